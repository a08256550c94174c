-- People who sign in, and their sessions. Passwords are argon2id PHC strings; a session is
-- stored as the SHA-256 digest of its cookie token, never the token itself.
CREATE TABLE users (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    client_id BLOB,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE sessions (
    token_hash BLOB NOT NULL PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
