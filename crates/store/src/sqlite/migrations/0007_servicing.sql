-- Servicing records: promises, plans, payments and their reversals, settlements, disputes,
-- holds and documents. Each is one row whose `data` holds the record as JSON; the columns beside
-- it are the ones the scheduled jobs, worklists and statements search by. Every change to a
-- record is written in the same transaction as its ledger entries and audit entries.
CREATE TABLE servicing_records (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    -- the record's next date that matters: a promise's or installment's deadline, a payment's
    -- effective day, a dispute's SLA, a hold's end
    on_date TEXT,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX servicing_records_account ON servicing_records (tenant_id, account_id, kind);
CREATE INDEX servicing_records_due ON servicing_records (tenant_id, kind, status, on_date);
CREATE INDEX servicing_records_client ON servicing_records (tenant_id, client_id, kind, on_date);
