-- API keys for integrations. The secret is stored as its SHA-256 digest only; the prefix is the
-- public half used to find the key, unique across tenants because a request names no tenant.
CREATE TABLE api_keys (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    client_id BLOB,
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
