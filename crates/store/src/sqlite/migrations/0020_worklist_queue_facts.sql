-- The floor by worklist queue: record_days gains the queue a fact belongs to, and a fact for
-- call tasks. A call that works a task carries the task's queue (ContactAttempt.queue), so
-- calls, right-party contacts and promises taken count under the queue that produced them.
--   task   call tasks by the day opened, the queue and their status now (open, done, blocked,
--          cancelled): a task worked later changes status in place and moves with it
-- The table is rebuilt from the view (its key gains a column), so its triggers are too.
DROP TRIGGER record_days_add;
DROP TRIGGER record_days_take;
DROP TRIGGER record_days_put;
DROP TRIGGER record_days_move_take;
DROP TRIGGER record_days_move_put;
DROP VIEW record_facts;
DROP TABLE record_days;

CREATE VIEW record_facts AS
SELECT r.tenant_id, r.id, r.account_id, 'attempt' AS fact, COALESCE(r.on_date, '') AS on_day, r.client_id, a.portfolio_id, r.status,
       COALESCE(CAST(json_extract(r.data, '$.by') AS TEXT), '') AS by_whom,
       COALESCE(CAST(json_extract(r.data, '$.medium') AS TEXT), '') AS medium,
       COALESCE(CAST(json_extract(r.data, '$.result') AS TEXT), '') AS result,
       COALESCE(json_extract(r.data, '$.inbound'), 0) AS inbound,
       '' AS currency, '' AS code, '' AS rule, COALESCE(CAST(json_extract(r.data, '$.queue') AS TEXT), '') AS queue, 0 AS minor
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_attempt'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_due', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_taken', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, '',
       COALESCE(CAST(json_extract(r.data, '$.taken_by') AS TEXT), ''), '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'contact_decision', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_decision'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'blocked', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, '', '', '', '', 0, '',
       COALESCE(CAST(json_extract(j.value, '$.code') AS TEXT), ''), COALESCE(CAST(json_extract(j.value, '$.rule') AS TEXT), ''), '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id, json_each(r.data, '$.reasons') j
WHERE r.kind = 'contact_decision' AND r.status = 'block'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'dispute', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'dispute'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'cease', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id
WHERE r.kind = 'hold' AND json_extract(r.data, '$.kind') = 'cease'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'payment', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status,
       COALESCE(CAST(json_extract(r.data, '$.posted_by') AS TEXT), ''), '', '', 0,
       COALESCE(CAST(json_extract(r.data, '$.currency') AS TEXT), ''), '', '', '', COALESCE(CAST(json_extract(r.data, '$.amount') AS INTEGER), 0)
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'payment'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'task', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '',
       COALESCE(CAST(json_extract(r.data, '$.queue') AS TEXT), ''), 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'call_task';

CREATE TABLE record_days (
    tenant_id BLOB NOT NULL,
    fact TEXT NOT NULL,
    on_day TEXT NOT NULL,
    client_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    status TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    medium TEXT NOT NULL,
    result TEXT NOT NULL,
    inbound INTEGER NOT NULL,
    currency TEXT NOT NULL,
    code TEXT NOT NULL,
    rule TEXT NOT NULL,
    queue TEXT NOT NULL,
    n INTEGER NOT NULL,
    minor INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
) WITHOUT ROWID;

-- The facts of a record just added, from NEW: record_facts, branch for branch.
CREATE TRIGGER record_days_add AFTER INSERT ON servicing_records
WHEN NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment', 'call_task')
BEGIN
    INSERT INTO record_days
    SELECT NEW.tenant_id, f.fact, f.on_day, NEW.client_id, a.portfolio_id, f.status, f.by_whom, f.medium, f.result, f.inbound, f.currency,
           f.code, f.rule, f.queue, 1, f.minor
    FROM accounts a, (
        SELECT 'attempt' AS fact, COALESCE(NEW.on_date, '') AS on_day, NEW.status AS status,
               COALESCE(CAST(json_extract(NEW.data, '$.by') AS TEXT), '') AS by_whom,
               COALESCE(CAST(json_extract(NEW.data, '$.medium') AS TEXT), '') AS medium,
               COALESCE(CAST(json_extract(NEW.data, '$.result') AS TEXT), '') AS result,
               COALESCE(json_extract(NEW.data, '$.inbound'), 0) AS inbound, '' AS currency, '' AS code, '' AS rule,
               COALESCE(CAST(json_extract(NEW.data, '$.queue') AS TEXT), '') AS queue, 0 AS minor
        WHERE NEW.kind = 'contact_attempt'
        UNION ALL SELECT 'promise_due', COALESCE(NEW.on_date, ''), NEW.status, '', '', '', 0, '', '', '', '', 0 WHERE NEW.kind = 'promise'
        UNION ALL SELECT 'promise_taken', date(NEW.created_at / 1000000, 'unixepoch'), '',
               COALESCE(CAST(json_extract(NEW.data, '$.taken_by') AS TEXT), ''), '', '', 0, '', '', '', '', 0 WHERE NEW.kind = 'promise'
        UNION ALL SELECT 'contact_decision', COALESCE(NEW.on_date, ''), NEW.status, '', '', '', 0, '', '', '', '', 0 WHERE NEW.kind = 'contact_decision'
        UNION ALL SELECT 'blocked', COALESCE(NEW.on_date, ''), '', '', '', '', 0, '',
               COALESCE(CAST(json_extract(j.value, '$.code') AS TEXT), ''), COALESCE(CAST(json_extract(j.value, '$.rule') AS TEXT), ''), '', 0
        FROM json_each(NEW.data, '$.reasons') j WHERE NEW.kind = 'contact_decision' AND NEW.status = 'block'
        UNION ALL SELECT 'dispute', date(NEW.created_at / 1000000, 'unixepoch'), NEW.status, '', '', '', 0, '', '', '', '', 0 WHERE NEW.kind = 'dispute'
        UNION ALL SELECT 'cease', date(NEW.created_at / 1000000, 'unixepoch'), NEW.status, '', '', '', 0, '', '', '', '', 0
        WHERE NEW.kind = 'hold' AND json_extract(NEW.data, '$.kind') = 'cease'
        UNION ALL SELECT 'payment', COALESCE(NEW.on_date, ''), NEW.status, COALESCE(CAST(json_extract(NEW.data, '$.posted_by') AS TEXT), ''),
               '', '', 0, COALESCE(CAST(json_extract(NEW.data, '$.currency') AS TEXT), ''), '', '', '',
               COALESCE(CAST(json_extract(NEW.data, '$.amount') AS INTEGER), 0)
        WHERE NEW.kind = 'payment'
        UNION ALL SELECT 'task', date(NEW.created_at / 1000000, 'unixepoch'), NEW.status, '', '', '', 0, '', '', '',
               COALESCE(CAST(json_extract(NEW.data, '$.queue') AS TEXT), ''), 0
        WHERE NEW.kind = 'call_task'
    ) f
    WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.account_id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

CREATE TRIGGER record_days_take BEFORE UPDATE ON servicing_records
WHEN OLD.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment', 'call_task')
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, -1, -minor
    FROM record_facts WHERE tenant_id = OLD.tenant_id AND id = OLD.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

CREATE TRIGGER record_days_put AFTER UPDATE ON servicing_records
WHEN NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment', 'call_task')
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, 1, minor
    FROM record_facts WHERE tenant_id = NEW.tenant_id AND id = NEW.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

-- An account moving portfolio takes its records' counts with it.
CREATE TRIGGER record_days_move_take BEFORE UPDATE OF portfolio_id ON accounts WHEN OLD.portfolio_id IS NOT NEW.portfolio_id
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, -1, -minor
    FROM record_facts WHERE tenant_id = OLD.tenant_id AND account_id = OLD.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

CREATE TRIGGER record_days_move_put AFTER UPDATE OF portfolio_id ON accounts WHEN OLD.portfolio_id IS NOT NEW.portfolio_id
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, 1, minor
    FROM record_facts WHERE tenant_id = NEW.tenant_id AND account_id = NEW.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

INSERT INTO record_days
SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, COUNT(*), SUM(minor)
FROM record_facts
GROUP BY tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue;
