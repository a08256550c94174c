-- API keys for integrations. The secret is stored as its SHA-256 digest only; the prefix is the
-- public half used to find the key, unique across tenants because a request names no tenant.
CREATE TABLE api_keys (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    client_id UUID,
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
