-- Idempotency keys: the first response to a keyed request, replayed to every repeat. The key is
-- scoped to the credential that sent it, as two integrators may pick the same key.
CREATE TABLE idempotency_keys (
    tenant_id UUID NOT NULL,
    subject TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    -- 'pending' while the first request runs, then 'done'
    state TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    body BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subject, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The outbox: business events written in the transaction of the change they report, when some
-- webhook subscription wants them.
CREATE TABLE events (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    type TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    subject_id UUID NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE webhook_subscriptions (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- comma-separated event type names
    event_types TEXT NOT NULL,
    description TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    subscription_id UUID NOT NULL,
    event_id UUID NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_status BIGINT,
    last_error TEXT,
    next_attempt_at BIGINT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (tenant_id, subscription_id, id);

CREATE TABLE webhook_attempts (
    tenant_id UUID NOT NULL,
    delivery_id UUID NOT NULL,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status BIGINT,
    error TEXT,
    duration_micros BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id, attempt)
);

-- Background work, enqueued in the transaction of the change that needs it and claimed by any
-- node: 'queued' -> 'running' (leased until locked_until) -> 'done' or 'dead'.
CREATE TABLE jobs (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_due ON jobs (state, run_at);

-- Free-text notes staff and integrations keep on an account; append-only like the ledger.
CREATE TABLE notes (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    account_id UUID NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notes_account ON notes (tenant_id, account_id, id);
CREATE TRIGGER notes_append_only BEFORE UPDATE OR DELETE ON notes FOR EACH ROW EXECUTE FUNCTION recoup_refuse_change();

-- Auditors read the chain by who acted and by when.
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor, seq);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);
