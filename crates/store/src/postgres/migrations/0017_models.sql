-- Propensity models a tenant trained: each a version with the snapshots it learnt from and was
-- tested on, its metrics and its weights (JSON); at most one active, the one that scores.
CREATE TABLE models (
    tenant_id UUID NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 0,
    trained_on TEXT NOT NULL,
    tested_on TEXT NOT NULL,
    outcome TEXT NOT NULL,
    metrics TEXT NOT NULL,
    model TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
CREATE UNIQUE INDEX models_one_active ON models (tenant_id) WHERE active = 1;

-- Each account's last score with the model that gave it and its reasons in words (JSON list);
-- the score itself is also on accounts.score, where worklists and strategies read it.
CREATE TABLE account_scores (
    tenant_id UUID NOT NULL,
    account_id UUID NOT NULL,
    model_version BIGINT NOT NULL,
    scored_on TEXT NOT NULL,
    per_mille BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);

-- Reports read a window of days of one kind of record (contacts, decisions, promises): this
-- index serves each such range with the status alongside.
CREATE INDEX servicing_records_by_day ON servicing_records (tenant_id, kind, on_date, status);
