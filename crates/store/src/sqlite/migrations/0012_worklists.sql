-- Worklists: each call task's row in the order agents work (written in the task's transaction),
-- agents' queues and capacity, the claims that give one account to one agent at a time, and the
-- log of what was handed out and skipped (the capacity counts it).
CREATE TABLE work_items (
    tenant_id BLOB NOT NULL,
    task_id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    queue TEXT NOT NULL,
    agent_id BLOB,
    due_at INTEGER NOT NULL,
    appointment INTEGER NOT NULL,
    expected_minor INTEGER NOT NULL,
    delinquent_since TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (tenant_id, task_id)
) WITHOUT ROWID;
CREATE INDEX work_items_queue ON work_items (tenant_id, queue, status, due_at);
CREATE INDEX work_items_account ON work_items (tenant_id, account_id, status);

CREATE TABLE agents (
    tenant_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    queues TEXT NOT NULL,
    daily_capacity INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) WITHOUT ROWID;

CREATE TABLE work_claims (
    tenant_id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    agent_id BLOB NOT NULL,
    task_id BLOB NOT NULL,
    claimed_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
) WITHOUT ROWID;
CREATE INDEX work_claims_agent ON work_claims (tenant_id, agent_id);
CREATE INDEX work_claims_task ON work_claims (tenant_id, task_id);

CREATE TABLE work_log (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    agent_id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    task_id BLOB,
    day TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX work_log_agent_day ON work_log (tenant_id, agent_id, day, action);
