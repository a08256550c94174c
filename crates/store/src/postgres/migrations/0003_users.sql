-- People who sign in, and their sessions. Passwords are argon2id PHC strings; a session is
-- stored as the SHA-256 digest of its cookie token, never the token itself.
CREATE TABLE users (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    client_id UUID,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE sessions (
    token_hash BYTEA NOT NULL PRIMARY KEY,
    tenant_id UUID NOT NULL,
    user_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
