-- Failed sign-ins by e-mail, for throttling and lockout across every node (a sign-in names no
-- tenant, so this table is keyed by the e-mail as typed, lower-cased).
CREATE TABLE sign_in_failures (
    email TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);
