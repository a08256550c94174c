-- Scoring reads every account's ledger and contact history in account order. With indexes of
-- (tenant, account) alone, each entry is a second look-up into its table; carrying the columns
-- that read needs lets the indexes cover it. The key columns, and so every look-up by account,
-- are unchanged.
DROP INDEX ledger_entries_account;
CREATE INDEX ledger_entries_account ON ledger_entries (tenant_id, account_id) INCLUDE (effective_on, kind, principal, interest, fees, costs, credit);
DROP INDEX servicing_records_account;
CREATE INDEX servicing_records_account ON servicing_records (tenant_id, account_id, kind) INCLUDE (status, on_date);
