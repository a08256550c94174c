-- Worklists: each call task's row in the order agents work (written in the task's transaction),
-- agents' queues and capacity, the claims that give one account to one agent at a time, and the
-- log of what was handed out and skipped (the capacity counts it).
CREATE TABLE work_items (
    tenant_id UUID NOT NULL,
    task_id UUID NOT NULL,
    account_id UUID NOT NULL,
    queue TEXT NOT NULL,
    agent_id UUID,
    due_at BIGINT NOT NULL,
    appointment BOOLEAN NOT NULL,
    expected_minor BIGINT NOT NULL,
    delinquent_since TEXT,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (tenant_id, task_id)
);
CREATE INDEX work_items_queue ON work_items (tenant_id, queue, status, due_at);
CREATE INDEX work_items_account ON work_items (tenant_id, account_id, status);

CREATE TABLE agents (
    tenant_id UUID NOT NULL,
    user_id UUID NOT NULL,
    queues TEXT NOT NULL,
    daily_capacity BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE work_claims (
    tenant_id UUID NOT NULL,
    account_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    task_id UUID NOT NULL,
    claimed_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);
CREATE INDEX work_claims_agent ON work_claims (tenant_id, agent_id);
CREATE INDEX work_claims_task ON work_claims (tenant_id, task_id);

CREATE TABLE work_log (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    agent_id UUID NOT NULL,
    account_id UUID NOT NULL,
    task_id UUID,
    day TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX work_log_agent_day ON work_log (tenant_id, agent_id, day, action);
