-- A record added finds its facts the way an update does, and the way the PostgreSQL trigger
-- always has: in record_facts, by its id. The trigger it replaces listed every kind's facts
-- again as one compound query over NEW, which SQLite ran for every kind at once: 40 µs a record,
-- three seconds of a 50,000-account strategy day (one contact decision per message). By id,
-- only the record's own kind finds a row, and the view stays the one definition of the facts.
DROP TRIGGER record_days_add;

CREATE TRIGGER record_days_add AFTER INSERT ON servicing_records
WHEN NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment', 'call_task')
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue, 1, minor
    FROM record_facts WHERE tenant_id = NEW.tenant_id AND id = NEW.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, queue)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;
