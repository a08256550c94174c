-- Sums the reports read, kept as the rows they sum change, so a dashboard over a book of a
-- million accounts reads thousands of rows, not millions.
--
-- Each sum is defined by a view giving every source row's contribution (`*_facts`): the
-- back-fill below reads it, and so does the conformance test that re-derives every sum and
-- compares. Triggers add a row's contribution after it is written and take it away before it
-- changes; where a write is frequent (a ledger entry) the trigger works from NEW rather than
-- reading the view back. Everything happens in the writer's transaction: a sum never runs ahead
-- of or behind its rows.

-- Money in and out per day, by kind of entry, placement, portfolio, queue and currency: the
-- account's when the entry was posted (entries never change, so they stay put).
CREATE VIEW ledger_facts AS
SELECT l.tenant_id, l.id, l.kind, l.effective_on AS on_day, a.placement_id, a.portfolio_id, COALESCE(a.queue, '') AS queue, l.currency,
       l.principal, l.interest, l.fees, l.costs, l.credit
FROM ledger_entries l JOIN accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id;

CREATE TABLE ledger_days (
    tenant_id UUID NOT NULL,
    kind TEXT NOT NULL,
    on_day TEXT NOT NULL,
    placement_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    queue TEXT NOT NULL,
    currency TEXT NOT NULL,
    entries BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    fees BIGINT NOT NULL,
    costs BIGINT NOT NULL,
    credit BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, on_day, placement_id, portfolio_id, queue, currency)
);

-- Also: an entry dated on or before a kept month-end reopens that month-end and every later one
-- (month_end_closes below), holding the tenant's month-end lock shared until it commits.
CREATE FUNCTION recoup_ledger_days_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_days AS d
    SELECT NEW.tenant_id, NEW.kind, NEW.effective_on, a.placement_id, a.portfolio_id, COALESCE(a.queue, ''), NEW.currency, 1,
           NEW.principal, NEW.interest, NEW.fees, NEW.costs, NEW.credit
    FROM accounts a WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.account_id
    ON CONFLICT (tenant_id, kind, on_day, placement_id, portfolio_id, queue, currency) DO UPDATE SET
        entries = d.entries + 1, principal = d.principal + excluded.principal, interest = d.interest + excluded.interest,
        fees = d.fees + excluded.fees, costs = d.costs + excluded.costs, credit = d.credit + excluded.credit;
    PERFORM recoup_month_ends_reopen(NEW.tenant_id, NEW.effective_on);
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_days_add AFTER INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION recoup_ledger_days_add();

INSERT INTO ledger_days
SELECT tenant_id, kind, on_day, placement_id, portfolio_id, queue, currency, COUNT(*), SUM(principal), SUM(interest), SUM(fees), SUM(costs), SUM(credit)
FROM ledger_facts GROUP BY tenant_id, kind, on_day, placement_id, portfolio_id, queue, currency;

-- Each account as it stands: what its latest placement brought, and what it owes (only when it
-- owes something) by the day it first went delinquent, so aging can be bucketed for any day.
CREATE VIEW account_facts AS
SELECT tenant_id, id, client_id, portfolio_id, placement_id, COALESCE(queue, '') AS queue, currency,
       COALESCE(first_delinquency_on, '') AS since,
       rep_principal + rep_interest + rep_fees + rep_costs - rep_credit AS placed,
       bal_principal + bal_interest + bal_fees + bal_costs AS owed
FROM accounts;

CREATE TABLE placement_sums (
    tenant_id UUID NOT NULL,
    placement_id UUID NOT NULL,
    currency TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    placed BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, placement_id, currency)
);

CREATE TABLE owed_sums (
    tenant_id UUID NOT NULL,
    client_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    queue TEXT NOT NULL,
    currency TEXT NOT NULL,
    since TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    owed BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, portfolio_id, queue, currency, since)
);

-- One account's contribution to the placement sums (`placed`) or the owed sums, with a sign:
-- +1 as it now stands, -1 to take it away.
CREATE FUNCTION recoup_account_sums(p_tenant UUID, p_id UUID, p_sign INT, p_placed BOOLEAN) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_placed THEN
        INSERT INTO placement_sums AS s
        SELECT f.tenant_id, f.placement_id, f.currency, p_sign, p_sign * f.placed FROM account_facts f WHERE f.tenant_id = p_tenant AND f.id = p_id
        ON CONFLICT (tenant_id, placement_id, currency) DO UPDATE SET accounts = s.accounts + excluded.accounts, placed = s.placed + excluded.placed;
    ELSE
        INSERT INTO owed_sums AS s
        SELECT f.tenant_id, f.client_id, f.portfolio_id, f.queue, f.currency, f.since, p_sign, p_sign * f.owed FROM account_facts f
        WHERE f.tenant_id = p_tenant AND f.id = p_id AND f.owed > 0
        ON CONFLICT (tenant_id, client_id, portfolio_id, queue, currency, since) DO UPDATE SET
            accounts = s.accounts + excluded.accounts, owed = s.owed + excluded.owed;
    END IF;
END;
$$;

CREATE FUNCTION recoup_account_sums_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM recoup_account_sums(NEW.tenant_id, NEW.id, 1, true);
    PERFORM recoup_account_sums(NEW.tenant_id, NEW.id, 1, false);
    RETURN NULL;
END;
$$;
CREATE TRIGGER account_sums_add AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION recoup_account_sums_add();

-- Before an update the account still stands as it was: take its part away; after, put it back.
CREATE FUNCTION recoup_account_sums_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign INT := CASE WHEN TG_WHEN = 'BEFORE' THEN -1 ELSE 1 END;
BEGIN
    IF (OLD.placement_id, OLD.currency, OLD.rep_principal, OLD.rep_interest, OLD.rep_fees, OLD.rep_costs, OLD.rep_credit)
       IS DISTINCT FROM (NEW.placement_id, NEW.currency, NEW.rep_principal, NEW.rep_interest, NEW.rep_fees, NEW.rep_costs, NEW.rep_credit) THEN
        PERFORM recoup_account_sums(NEW.tenant_id, NEW.id, sign, true);
    END IF;
    IF (OLD.client_id, OLD.portfolio_id, OLD.queue, OLD.currency, OLD.first_delinquency_on, OLD.bal_principal, OLD.bal_interest, OLD.bal_fees, OLD.bal_costs)
       IS DISTINCT FROM (NEW.client_id, NEW.portfolio_id, NEW.queue, NEW.currency, NEW.first_delinquency_on, NEW.bal_principal, NEW.bal_interest, NEW.bal_fees, NEW.bal_costs) THEN
        PERFORM recoup_account_sums(NEW.tenant_id, NEW.id, sign, false);
    END IF;
    IF OLD.portfolio_id IS DISTINCT FROM NEW.portfolio_id THEN
        -- Its records' counts move portfolio with it.
        PERFORM recoup_record_days(NEW.tenant_id, NULL, NEW.id, sign);
    END IF;
    RETURN CASE WHEN TG_WHEN = 'BEFORE' THEN NEW ELSE NULL END;
END;
$$;

INSERT INTO placement_sums SELECT tenant_id, placement_id, currency, COUNT(*), SUM(placed) FROM account_facts GROUP BY tenant_id, placement_id, currency;
INSERT INTO owed_sums SELECT tenant_id, client_id, portfolio_id, queue, currency, since, COUNT(*), SUM(owed) FROM account_facts
WHERE owed > 0 GROUP BY tenant_id, client_id, portfolio_id, queue, currency, since;

-- Servicing records counted per day, one fact per row of this view:
--   attempt          contacts made or received, by the day, who, medium, call result, direction
--   promise_due      promises by the day they fall due and their status
--   promise_taken    promises by the day taken and who took them
--   contact_decision the contact policy's decisions by the day of the contact and outcome
--   blocked          each reason (code, rule) of a blocked contact, by the day of the contact
--   dispute          disputes by the day opened and status
--   cease            cease-communication holds by the day placed and status
--   payment          payments by the day effective, status, who posted them and currency, summed
-- The portfolio is the account's; it moves with the account (the account trigger above).
CREATE VIEW record_facts AS
SELECT r.tenant_id, r.id, r.account_id, 'attempt' AS fact, COALESCE(r.on_date, '') AS on_day, r.client_id, a.portfolio_id, r.status,
       COALESCE(r.data::jsonb ->> 'by', '') AS by_whom, COALESCE(r.data::jsonb ->> 'medium', '') AS medium,
       COALESCE(r.data::jsonb ->> 'result', '') AS result, CASE WHEN r.data::jsonb ->> 'inbound' = 'true' THEN 1 ELSE 0 END AS inbound,
       '' AS currency, '' AS code, '' AS rule, CAST(0 AS BIGINT) AS minor
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_attempt'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_due', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_taken', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, '', COALESCE(r.data::jsonb ->> 'taken_by', ''), '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'contact_decision', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_decision'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'blocked', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, '', '', '', '', 0, '',
       COALESCE(j ->> 'code', ''), COALESCE(j ->> 'rule', ''), 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id
CROSS JOIN LATERAL jsonb_array_elements(COALESCE(r.data::jsonb -> 'reasons', '[]'::jsonb)) j
WHERE r.kind = 'contact_decision' AND r.status = 'block'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'dispute', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'dispute'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'cease', to_char(to_timestamp(r.created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
       r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id
WHERE r.kind = 'hold' AND r.data::jsonb ->> 'kind' = 'cease'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'payment', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status,
       COALESCE(r.data::jsonb ->> 'posted_by', ''), '', '', 0, COALESCE(r.data::jsonb ->> 'currency', ''), '', '',
       COALESCE((r.data::jsonb ->> 'amount')::BIGINT, 0)
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'payment';

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
    n BIGINT NOT NULL,
    minor BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
);

-- One record's facts (p_id), or every record of one account (p_account), with a sign.
CREATE FUNCTION recoup_record_days(p_tenant UUID, p_id UUID, p_account UUID, p_sign INT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_days AS d
    SELECT f.tenant_id, f.fact, f.on_day, f.client_id, f.portfolio_id, f.status, f.by_whom, f.medium, f.result, f.inbound, f.currency,
           f.code, f.rule, p_sign, p_sign * f.minor
    FROM record_facts f WHERE f.tenant_id = p_tenant AND (f.id = p_id OR f.account_id = p_account)
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
    DO UPDATE SET n = d.n + excluded.n, minor = d.minor + excluded.minor;
END;
$$;

CREATE FUNCTION recoup_record_days_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND TG_WHEN = 'BEFORE' THEN
        PERFORM recoup_record_days(OLD.tenant_id, OLD.id, NULL, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND TG_WHEN = 'AFTER' THEN
        PERFORM recoup_record_days(NEW.tenant_id, NEW.id, NULL, 1);
    END IF;
    RETURN CASE WHEN TG_WHEN = 'BEFORE' AND TG_OP = 'UPDATE' THEN NEW WHEN TG_WHEN = 'BEFORE' THEN OLD ELSE NULL END;
END;
$$;
CREATE TRIGGER record_days_take BEFORE UPDATE OR DELETE ON servicing_records FOR EACH ROW
WHEN (OLD.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment'))
EXECUTE FUNCTION recoup_record_days_change();
CREATE TRIGGER record_days_put AFTER INSERT OR UPDATE ON servicing_records FOR EACH ROW
WHEN (NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment'))
EXECUTE FUNCTION recoup_record_days_change();

CREATE TRIGGER account_sums_take BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION recoup_account_sums_move();
CREATE TRIGGER account_sums_put AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION recoup_account_sums_move();

INSERT INTO record_days
SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, COUNT(*), SUM(minor)
FROM record_facts
GROUP BY tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule;

-- Balances at month-ends by aging bucket, and how each bucket's balance moved by the next
-- month-end, kept once a month has closed (replaying the ledger for them is the slow part of a
-- dashboard). `on_day` is the month-end; a move is kept under the later of its two month-ends.
-- `month_end_closes` lists the month-ends kept (`closer` empty), even those with nothing owed,
-- and those being replayed (`closer` the replay's id). A change that reopens a month-end deletes
-- its row, so a replay that began before the change finds its row gone and keeps nothing.
CREATE TABLE month_end_closes (
    tenant_id UUID NOT NULL,
    on_day TEXT NOT NULL,
    closer UUID,
    PRIMARY KEY (tenant_id, on_day)
);

CREATE TABLE month_end_owed (
    tenant_id UUID NOT NULL,
    on_day TEXT NOT NULL,
    client_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    currency TEXT NOT NULL,
    bucket TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    owed BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, on_day, client_id, portfolio_id, currency, bucket)
);

CREATE TABLE month_end_moves (
    tenant_id UUID NOT NULL,
    on_day TEXT NOT NULL,
    client_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    currency TEXT NOT NULL,
    from_bucket TEXT NOT NULL,
    -- empty: paid off
    to_bucket TEXT NOT NULL,
    accounts BIGINT NOT NULL,
    from_minor BIGINT NOT NULL,
    to_minor BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, on_day, client_id, portfolio_id, currency, from_bucket, to_bucket)
);

-- Each change that may reopen a month-end holds the tenant's month-end lock shared until it
-- commits; a replay takes it exclusively while it marks its month-ends as being replayed, so
-- no change that looked before the mark can still be in flight when the replay reads.
CREATE FUNCTION recoup_month_ends_reopen(p_tenant UUID, p_from TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('month_ends:' || p_tenant::text));
    DELETE FROM month_end_closes WHERE tenant_id = p_tenant AND on_day >= p_from;
END;
$$;

-- An account changing what buckets and groups it reopens every month-end, as it may have been
-- delinquent or placed since any day. (Entries reopen theirs in recoup_ledger_days_add above.)
CREATE FUNCTION recoup_month_ends_reopen_by_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.first_delinquency_on, OLD.placement_id, OLD.client_id, OLD.portfolio_id, OLD.currency)
       IS DISTINCT FROM (NEW.first_delinquency_on, NEW.placement_id, NEW.client_id, NEW.portfolio_id, NEW.currency) THEN
        PERFORM recoup_month_ends_reopen(NEW.tenant_id, '');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER month_ends_reopen_by_account AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION recoup_month_ends_reopen_by_account();
