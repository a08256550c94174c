-- Strategies: every save is a new version; one version per tenant is live.
CREATE TABLE strategies (
    tenant_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, version)
) WITHOUT ROWID;

CREATE TABLE strategy_live (
    tenant_id BLOB NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    since INTEGER NOT NULL
) WITHOUT ROWID;

-- Where each account stands in the strategy, kept between daily runs.
CREATE TABLE strategy_positions (
    tenant_id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    segment TEXT NOT NULL,
    origin TEXT NOT NULL,
    arm TEXT NOT NULL,
    entered_on TEXT NOT NULL,
    next_step INTEGER NOT NULL,
    last_step_on TEXT,
    stopped TEXT,
    last_run_on TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
) WITHOUT ROWID;

-- The steps runs decided. One per account, segment entry and step: a repeated or resumed run
-- finds its action already written.
CREATE TABLE strategy_actions (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    run_on TEXT NOT NULL,
    version INTEGER NOT NULL,
    segment TEXT NOT NULL,
    arm TEXT NOT NULL,
    treatment TEXT NOT NULL,
    step INTEGER NOT NULL,
    action TEXT NOT NULL,
    template TEXT,
    queue TEXT,
    entered_on TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    result_id BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX strategy_actions_step ON strategy_actions (tenant_id, account_id, segment, entered_on, treatment, step);
CREATE INDEX strategy_actions_run ON strategy_actions (tenant_id, run_on, status);

-- When each tenant's daily run starts, in its own time; a tenant without a row is run by hand.
CREATE TABLE strategy_schedules (
    tenant_id BLOB NOT NULL PRIMARY KEY,
    run_at TEXT NOT NULL,
    time_zone TEXT NOT NULL
) WITHOUT ROWID;

-- One row per tenant and day: the node that holds the day's run until its lease ends (a node
-- that dies is taken over once the lease runs out), and the report once it finished.
CREATE TABLE strategy_runs (
    tenant_id BLOB NOT NULL,
    run_on TEXT NOT NULL,
    node TEXT NOT NULL,
    status TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    report TEXT,
    PRIMARY KEY (tenant_id, run_on)
) WITHOUT ROWID;
