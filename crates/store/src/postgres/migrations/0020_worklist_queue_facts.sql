-- The floor by worklist queue: record_days gains the queue a fact belongs to, and a fact for
-- call tasks. A call that works a task carries the task's queue (ContactAttempt.queue), so
-- calls, right-party contacts and promises taken count under the queue that produced them.
--   task   call tasks by the day opened, the queue and their status now (open, done, blocked,
--          cancelled): a task worked later changes status in place and moves with it
-- The table is rebuilt from the view (its key gains a column).
DROP TRIGGER record_days_take ON servicing_records;
DROP TRIGGER record_days_put ON servicing_records;
DROP VIEW record_facts;
DROP TABLE record_days;

CREATE VIEW record_facts AS
SELECT r.tenant_id, r.id, r.account_id, 'attempt' AS fact, COALESCE(r.on_date, '') AS on_day, r.client_id, a.portfolio_id, r.status,
       COALESCE(r.data::jsonb ->> 'by', '') AS by_whom, COALESCE(r.data::jsonb ->> 'medium', '') AS medium,
       COALESCE(r.data::jsonb ->> 'result', '') AS result, CASE WHEN r.data::jsonb ->> 'inbound' = 'true' THEN 1 ELSE 0 END AS inbound,
       '' AS currency, '' AS code, '' AS rule, COALESCE(r.data::jsonb ->> 'queue', '') AS queue, CAST(0 AS BIGINT) AS minor
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_attempt'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_due', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_taken', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, '', COALESCE(r.data::jsonb ->> 'taken_by', ''), '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'contact_decision', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_decision'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'blocked', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, '', '', '', '', 0, '',
       COALESCE(j ->> 'code', ''), COALESCE(j ->> 'rule', ''), '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(r.data::jsonb -> 'reasons', '[]'::jsonb)) j
WHERE r.kind = 'contact_decision' AND r.status = 'block'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'dispute', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'dispute'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'cease', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id
WHERE r.kind = 'hold' AND r.data::jsonb ->> 'kind' = 'cease'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'payment', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status,
       COALESCE(r.data::jsonb ->> 'posted_by', ''), '', '', 0, COALESCE(r.data::jsonb ->> 'currency', ''), '', '', '',
       COALESCE((r.data::jsonb ->> 'amount')::BIGINT, 0)
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'payment'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'task', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', COALESCE(r.data::jsonb ->> 'queue', ''), 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'call_task';

CREATE TABLE record_days (
    tenant_id UUID NOT NULL,
    fact TEXT NOT NULL,
    on_day TEXT NOT NULL,
    client_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    status TEXT NOT NULL,
    by_whom TEXT NOT NULL,
    medium TEXT NOT NULL,
    result TEXT NOT NULL,
    inbound INTEGER NOT NULL,
    currency TEXT NOT NULL,
    code TEXT NOT NULL,
    rule TEXT NOT NULL,
    queue TEXT NOT NULL,
    n BIGINT NOT NULL,
    minor BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
);

-- One record's facts (p_id), or every record of one account (p_account), with a sign. Summed
-- first: an account's records can share a key (two decisions on one day), and one statement may
-- not update a row twice.
CREATE OR REPLACE FUNCTION recoup_record_days(p_tenant UUID, p_id UUID, p_account UUID, p_sign INT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_days AS d
    SELECT f.tenant_id, f.fact, f.on_day, f.client_id, f.portfolio_id, f.status, f.by_whom, f.medium, f.result, f.inbound, f.currency,
           f.code, f.rule, f.queue, p_sign * COUNT(*), p_sign * SUM(f.minor)
    FROM record_facts f WHERE f.tenant_id = p_tenant AND (f.id = p_id OR f.account_id = p_account)
    GROUP BY f.tenant_id, f.fact, f.on_day, f.client_id, f.portfolio_id, f.status, f.by_whom, f.medium, f.result, f.inbound, f.currency,
             f.code, f.rule, f.queue
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = d.n + excluded.n, minor = d.minor + excluded.minor;
END;
$$;

CREATE TRIGGER record_days_take BEFORE UPDATE OR DELETE ON servicing_records FOR EACH ROW
WHEN (OLD.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment', 'call_task'))
EXECUTE FUNCTION recoup_record_days_change();
CREATE TRIGGER record_days_put AFTER INSERT OR UPDATE ON servicing_records FOR EACH ROW
WHEN (NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment', 'call_task'))
EXECUTE FUNCTION recoup_record_days_change();

INSERT INTO record_days
SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, COUNT(*), SUM(minor)
FROM record_facts
GROUP BY tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue;
