-- The months whose interest and fee postings finished for a client: the daily sweep skips them.
-- (Each account's own ledger is what keeps a posting from happening twice; this saves the work.)
CREATE TABLE accrual_months (
    tenant_id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    month TEXT NOT NULL,
    finished_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, client_id, month)
) WITHOUT ROWID;
