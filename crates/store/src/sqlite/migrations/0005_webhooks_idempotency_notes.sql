-- Idempotency keys: the first response to a keyed request, replayed to every repeat. The key is
-- scoped to the credential that sent it, as two integrators may pick the same key.
CREATE TABLE idempotency_keys (
    tenant_id BLOB NOT NULL,
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    -- 'pending' while the first request runs, then 'done'
    state TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    body BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, subject, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The outbox: business events written in the transaction of the change they report, when some
-- webhook subscription wants them.
CREATE TABLE events (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    type TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    subject_id BLOB NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE webhook_subscriptions (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- comma-separated event type names
    event_types TEXT NOT NULL,
    description TEXT NOT NULL,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    subscription_id BLOB NOT NULL,
    event_id BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    next_attempt_at INTEGER,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (tenant_id, subscription_id, id);

CREATE TABLE webhook_attempts (
    tenant_id BLOB NOT NULL,
    delivery_id BLOB NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_micros INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id, attempt)
) WITHOUT ROWID;

-- Background work, enqueued in the transaction of the change that needs it and claimed by any
-- node: 'queued' -> 'running' (leased until locked_until) -> 'done' or 'dead'.
CREATE TABLE jobs (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX jobs_due ON jobs (state, run_at);

-- Free-text notes staff and integrations keep on an account; append-only like the ledger.
CREATE TABLE notes (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX notes_account ON notes (tenant_id, account_id, id);
CREATE TRIGGER notes_append_only_update BEFORE UPDATE ON notes BEGIN SELECT RAISE(ABORT, 'notes is append-only'); END;
CREATE TRIGGER notes_append_only_delete BEFORE DELETE ON notes BEGIN SELECT RAISE(ABORT, 'notes is append-only'); END;

-- Auditors read the chain by who acted and by when.
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor, seq);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);
