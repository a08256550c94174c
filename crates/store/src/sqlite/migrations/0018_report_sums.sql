-- Sums the reports read, kept as the rows they sum change, so a dashboard over a book of a
-- million accounts reads thousands of rows, not millions.
--
-- Each sum is defined by a view giving every source row's contribution (`*_facts`): the
-- back-fill below reads it, and so does the conformance test that re-derives every sum and
-- compares. Triggers add a row's contribution after it is written and take it away before it
-- changes; where a write is frequent (an account or ledger entry placed, a record added) the
-- trigger works from NEW rather than reading the view back, which costs a third of an import's
-- time otherwise. Everything happens in the writer's transaction: a sum never runs ahead of or
-- behind its rows.

-- Money in and out per day, by kind of entry, placement, portfolio, queue and currency: the
-- account's when the entry was posted (entries never change, so they stay put).
CREATE VIEW ledger_facts AS
SELECT l.tenant_id, l.id, l.kind, l.effective_on AS on_day, a.placement_id, a.portfolio_id, COALESCE(a.queue, '') AS queue, l.currency,
       l.principal, l.interest, l.fees, l.costs, l.credit
FROM ledger_entries l JOIN accounts a ON a.tenant_id = l.tenant_id AND a.id = l.account_id;

CREATE TABLE ledger_days (
    tenant_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    on_day TEXT NOT NULL,
    placement_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    queue TEXT NOT NULL,
    currency TEXT NOT NULL,
    entries INTEGER NOT NULL,
    principal INTEGER NOT NULL,
    interest INTEGER NOT NULL,
    fees INTEGER NOT NULL,
    costs INTEGER NOT NULL,
    credit INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, on_day, placement_id, portfolio_id, queue, currency)
) WITHOUT ROWID;

-- Also: an entry dated on or before a kept month-end reopens that month-end and every later one
-- (month_end_closes below). One trigger for both, as each trigger run has a cost of its own.
CREATE TRIGGER ledger_days_add AFTER INSERT ON ledger_entries
BEGIN
    INSERT INTO ledger_days
    SELECT NEW.tenant_id, NEW.kind, NEW.effective_on, a.placement_id, a.portfolio_id, COALESCE(a.queue, ''), NEW.currency, 1,
           NEW.principal, NEW.interest, NEW.fees, NEW.costs, NEW.credit
    FROM accounts a WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.account_id
    ON CONFLICT (tenant_id, kind, on_day, placement_id, portfolio_id, queue, currency) DO UPDATE SET
        entries = entries + 1, principal = principal + excluded.principal, interest = interest + excluded.interest,
        fees = fees + excluded.fees, costs = costs + excluded.costs, credit = credit + excluded.credit;
    DELETE FROM month_end_closes WHERE tenant_id = NEW.tenant_id AND on_day >= NEW.effective_on;
END;

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
    tenant_id BLOB NOT NULL,
    placement_id BLOB NOT NULL,
    currency TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    placed INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, placement_id, currency)
) WITHOUT ROWID;

CREATE TABLE owed_sums (
    tenant_id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    queue TEXT NOT NULL,
    currency TEXT NOT NULL,
    since TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    owed INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, client_id, portfolio_id, queue, currency, since)
) WITHOUT ROWID;

-- An account's contribution to both, with a sign: +1 as it now stands, -1 to take it away.
CREATE TRIGGER placement_sums_add AFTER INSERT ON accounts
BEGIN
    INSERT INTO placement_sums
    VALUES (NEW.tenant_id, NEW.placement_id, NEW.currency, 1, NEW.rep_principal + NEW.rep_interest + NEW.rep_fees + NEW.rep_costs - NEW.rep_credit)
    ON CONFLICT (tenant_id, placement_id, currency) DO UPDATE SET accounts = accounts + excluded.accounts, placed = placed + excluded.placed;
    INSERT INTO owed_sums
    SELECT NEW.tenant_id, NEW.client_id, NEW.portfolio_id, COALESCE(NEW.queue, ''), NEW.currency, COALESCE(NEW.first_delinquency_on, ''), 1,
           NEW.bal_principal + NEW.bal_interest + NEW.bal_fees + NEW.bal_costs
    WHERE NEW.bal_principal + NEW.bal_interest + NEW.bal_fees + NEW.bal_costs > 0
    ON CONFLICT (tenant_id, client_id, portfolio_id, queue, currency, since) DO UPDATE SET accounts = accounts + excluded.accounts, owed = owed + excluded.owed;
END;

CREATE TRIGGER placement_sums_take BEFORE UPDATE OF placement_id, currency, rep_principal, rep_interest, rep_fees, rep_costs, rep_credit ON accounts
WHEN OLD.placement_id IS NOT NEW.placement_id OR OLD.currency IS NOT NEW.currency OR OLD.rep_principal IS NOT NEW.rep_principal
  OR OLD.rep_interest IS NOT NEW.rep_interest OR OLD.rep_fees IS NOT NEW.rep_fees OR OLD.rep_costs IS NOT NEW.rep_costs OR OLD.rep_credit IS NOT NEW.rep_credit
BEGIN
    INSERT INTO placement_sums SELECT tenant_id, placement_id, currency, -1, -placed FROM account_facts WHERE tenant_id = OLD.tenant_id AND id = OLD.id
    ON CONFLICT (tenant_id, placement_id, currency) DO UPDATE SET accounts = accounts + excluded.accounts, placed = placed + excluded.placed;
END;

CREATE TRIGGER placement_sums_put AFTER UPDATE OF placement_id, currency, rep_principal, rep_interest, rep_fees, rep_costs, rep_credit ON accounts
WHEN OLD.placement_id IS NOT NEW.placement_id OR OLD.currency IS NOT NEW.currency OR OLD.rep_principal IS NOT NEW.rep_principal
  OR OLD.rep_interest IS NOT NEW.rep_interest OR OLD.rep_fees IS NOT NEW.rep_fees OR OLD.rep_costs IS NOT NEW.rep_costs OR OLD.rep_credit IS NOT NEW.rep_credit
BEGIN
    INSERT INTO placement_sums SELECT tenant_id, placement_id, currency, 1, placed FROM account_facts WHERE tenant_id = NEW.tenant_id AND id = NEW.id
    ON CONFLICT (tenant_id, placement_id, currency) DO UPDATE SET accounts = accounts + excluded.accounts, placed = placed + excluded.placed;
END;

-- Balances move with every payment and accounts between queues with every daily run: these two
-- work from OLD and NEW, not the view.
CREATE TRIGGER owed_sums_move AFTER UPDATE OF client_id, portfolio_id, queue, currency, first_delinquency_on, bal_principal, bal_interest, bal_fees, bal_costs ON accounts
WHEN OLD.client_id IS NOT NEW.client_id OR OLD.portfolio_id IS NOT NEW.portfolio_id OR OLD.queue IS NOT NEW.queue OR OLD.currency IS NOT NEW.currency
  OR OLD.first_delinquency_on IS NOT NEW.first_delinquency_on OR OLD.bal_principal IS NOT NEW.bal_principal OR OLD.bal_interest IS NOT NEW.bal_interest
  OR OLD.bal_fees IS NOT NEW.bal_fees OR OLD.bal_costs IS NOT NEW.bal_costs
BEGIN
    INSERT INTO owed_sums
    SELECT OLD.tenant_id, OLD.client_id, OLD.portfolio_id, COALESCE(OLD.queue, ''), OLD.currency, COALESCE(OLD.first_delinquency_on, ''), -1,
           -(OLD.bal_principal + OLD.bal_interest + OLD.bal_fees + OLD.bal_costs)
    WHERE OLD.bal_principal + OLD.bal_interest + OLD.bal_fees + OLD.bal_costs > 0
    ON CONFLICT (tenant_id, client_id, portfolio_id, queue, currency, since) DO UPDATE SET accounts = accounts + excluded.accounts, owed = owed + excluded.owed;
    INSERT INTO owed_sums
    SELECT NEW.tenant_id, NEW.client_id, NEW.portfolio_id, COALESCE(NEW.queue, ''), NEW.currency, COALESCE(NEW.first_delinquency_on, ''), 1,
           NEW.bal_principal + NEW.bal_interest + NEW.bal_fees + NEW.bal_costs
    WHERE NEW.bal_principal + NEW.bal_interest + NEW.bal_fees + NEW.bal_costs > 0
    ON CONFLICT (tenant_id, client_id, portfolio_id, queue, currency, since) DO UPDATE SET accounts = accounts + excluded.accounts, owed = owed + excluded.owed;
END;

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
-- The portfolio is the account's; it moves with the account (the account triggers below).
CREATE VIEW record_facts AS
SELECT r.tenant_id, r.id, r.account_id, 'attempt' AS fact, COALESCE(r.on_date, '') AS on_day, r.client_id, a.portfolio_id, r.status,
       COALESCE(CAST(json_extract(r.data, '$.by') AS TEXT), '') AS by_whom,
       COALESCE(CAST(json_extract(r.data, '$.medium') AS TEXT), '') AS medium,
       COALESCE(CAST(json_extract(r.data, '$.result') AS TEXT), '') AS result,
       COALESCE(json_extract(r.data, '$.inbound'), 0) AS inbound,
       '' AS currency, '' AS code, '' AS rule, 0 AS minor
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_attempt'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_due', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'promise_taken', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, '',
       COALESCE(CAST(json_extract(r.data, '$.taken_by') AS TEXT), ''), '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'promise'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'contact_decision', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'contact_decision'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'blocked', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, '', '', '', '', 0, '',
       COALESCE(CAST(json_extract(j.value, '$.code') AS TEXT), ''), COALESCE(CAST(json_extract(j.value, '$.rule') AS TEXT), ''), 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id, json_each(r.data, '$.reasons') j
WHERE r.kind = 'contact_decision' AND r.status = 'block'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'dispute', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'dispute'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'cease', date(r.created_at / 1000000, 'unixepoch'), r.client_id, a.portfolio_id, r.status, '', '', '', 0, '', '', '', 0
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id
WHERE r.kind = 'hold' AND json_extract(r.data, '$.kind') = 'cease'
UNION ALL
SELECT r.tenant_id, r.id, r.account_id, 'payment', COALESCE(r.on_date, ''), r.client_id, a.portfolio_id, r.status,
       COALESCE(CAST(json_extract(r.data, '$.posted_by') AS TEXT), ''), '', '', 0,
       COALESCE(CAST(json_extract(r.data, '$.currency') AS TEXT), ''), '', '', COALESCE(CAST(json_extract(r.data, '$.amount') AS INTEGER), 0)
FROM servicing_records r JOIN accounts a ON a.tenant_id = r.tenant_id AND a.id = r.account_id WHERE r.kind = 'payment';

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
    n INTEGER NOT NULL,
    minor INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
) WITHOUT ROWID;

-- The facts of a record just added, from NEW: record_facts, branch for branch.
CREATE TRIGGER record_days_add AFTER INSERT ON servicing_records
WHEN NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment')
BEGIN
    INSERT INTO record_days
    SELECT NEW.tenant_id, f.fact, f.on_day, NEW.client_id, a.portfolio_id, f.status, f.by_whom, f.medium, f.result, f.inbound, f.currency,
           f.code, f.rule, 1, f.minor
    FROM accounts a, (
        SELECT 'attempt' AS fact, COALESCE(NEW.on_date, '') AS on_day, NEW.status AS status,
               COALESCE(CAST(json_extract(NEW.data, '$.by') AS TEXT), '') AS by_whom,
               COALESCE(CAST(json_extract(NEW.data, '$.medium') AS TEXT), '') AS medium,
               COALESCE(CAST(json_extract(NEW.data, '$.result') AS TEXT), '') AS result,
               COALESCE(json_extract(NEW.data, '$.inbound'), 0) AS inbound, '' AS currency, '' AS code, '' AS rule, 0 AS minor
        WHERE NEW.kind = 'contact_attempt'
        UNION ALL SELECT 'promise_due', COALESCE(NEW.on_date, ''), NEW.status, '', '', '', 0, '', '', '', 0 WHERE NEW.kind = 'promise'
        UNION ALL SELECT 'promise_taken', date(NEW.created_at / 1000000, 'unixepoch'), '',
               COALESCE(CAST(json_extract(NEW.data, '$.taken_by') AS TEXT), ''), '', '', 0, '', '', '', 0 WHERE NEW.kind = 'promise'
        UNION ALL SELECT 'contact_decision', COALESCE(NEW.on_date, ''), NEW.status, '', '', '', 0, '', '', '', 0 WHERE NEW.kind = 'contact_decision'
        UNION ALL SELECT 'blocked', COALESCE(NEW.on_date, ''), '', '', '', '', 0, '',
               COALESCE(CAST(json_extract(j.value, '$.code') AS TEXT), ''), COALESCE(CAST(json_extract(j.value, '$.rule') AS TEXT), ''), 0
        FROM json_each(NEW.data, '$.reasons') j WHERE NEW.kind = 'contact_decision' AND NEW.status = 'block'
        UNION ALL SELECT 'dispute', date(NEW.created_at / 1000000, 'unixepoch'), NEW.status, '', '', '', 0, '', '', '', 0 WHERE NEW.kind = 'dispute'
        UNION ALL SELECT 'cease', date(NEW.created_at / 1000000, 'unixepoch'), NEW.status, '', '', '', 0, '', '', '', 0
        WHERE NEW.kind = 'hold' AND json_extract(NEW.data, '$.kind') = 'cease'
        UNION ALL SELECT 'payment', COALESCE(NEW.on_date, ''), NEW.status, COALESCE(CAST(json_extract(NEW.data, '$.posted_by') AS TEXT), ''),
               '', '', 0, COALESCE(CAST(json_extract(NEW.data, '$.currency') AS TEXT), ''), '', '',
               COALESCE(CAST(json_extract(NEW.data, '$.amount') AS INTEGER), 0)
        WHERE NEW.kind = 'payment'
    ) f
    WHERE a.tenant_id = NEW.tenant_id AND a.id = NEW.account_id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

CREATE TRIGGER record_days_take BEFORE UPDATE ON servicing_records
WHEN OLD.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment')
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, -1, -minor
    FROM record_facts WHERE tenant_id = OLD.tenant_id AND id = OLD.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

CREATE TRIGGER record_days_put AFTER UPDATE ON servicing_records
WHEN NEW.kind IN ('contact_attempt', 'promise', 'contact_decision', 'dispute', 'hold', 'payment')
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, 1, minor
    FROM record_facts WHERE tenant_id = NEW.tenant_id AND id = NEW.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

-- An account moving portfolio takes its records' counts with it.
CREATE TRIGGER record_days_move_take BEFORE UPDATE OF portfolio_id ON accounts WHEN OLD.portfolio_id IS NOT NEW.portfolio_id
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, -1, -minor
    FROM record_facts WHERE tenant_id = OLD.tenant_id AND account_id = OLD.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

CREATE TRIGGER record_days_move_put AFTER UPDATE OF portfolio_id ON accounts WHEN OLD.portfolio_id IS NOT NEW.portfolio_id
BEGIN
    INSERT INTO record_days
    SELECT tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule, 1, minor
    FROM record_facts WHERE tenant_id = NEW.tenant_id AND account_id = NEW.id
    ON CONFLICT (tenant_id, fact, on_day, client_id, portfolio_id, status, by_whom, medium, result, inbound, currency, code, rule)
    DO UPDATE SET n = n + excluded.n, minor = minor + excluded.minor;
END;

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
    tenant_id BLOB NOT NULL,
    on_day TEXT NOT NULL,
    closer BLOB,
    PRIMARY KEY (tenant_id, on_day)
) WITHOUT ROWID;

CREATE TABLE month_end_owed (
    tenant_id BLOB NOT NULL,
    on_day TEXT NOT NULL,
    client_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    currency TEXT NOT NULL,
    bucket TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    owed INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, on_day, client_id, portfolio_id, currency, bucket)
) WITHOUT ROWID;

CREATE TABLE month_end_moves (
    tenant_id BLOB NOT NULL,
    on_day TEXT NOT NULL,
    client_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    currency TEXT NOT NULL,
    from_bucket TEXT NOT NULL,
    -- empty: paid off
    to_bucket TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    from_minor INTEGER NOT NULL,
    to_minor INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, on_day, client_id, portfolio_id, currency, from_bucket, to_bucket)
) WITHOUT ROWID;

-- An account changing what buckets and groups it reopens every month-end, as it may have been
-- delinquent or placed since any day. (Entries reopen theirs in ledger_days_add above.)
CREATE TRIGGER month_ends_reopen_by_account AFTER UPDATE OF first_delinquency_on, placement_id, client_id, portfolio_id, currency ON accounts
WHEN OLD.first_delinquency_on IS NOT NEW.first_delinquency_on OR OLD.placement_id IS NOT NEW.placement_id OR OLD.client_id IS NOT NEW.client_id
  OR OLD.portfolio_id IS NOT NEW.portfolio_id OR OLD.currency IS NOT NEW.currency
BEGIN
    DELETE FROM month_end_closes WHERE tenant_id = NEW.tenant_id;
END;
