-- The months whose interest and fee postings finished for a client: the daily sweep skips them.
-- (Each account's own ledger is what keeps a posting from happening twice; this saves the work.)
CREATE TABLE accrual_months (
    tenant_id UUID NOT NULL,
    client_id UUID NOT NULL,
    month TEXT NOT NULL,
    finished_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, month)
);
