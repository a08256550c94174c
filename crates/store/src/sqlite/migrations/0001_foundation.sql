-- recoup foundation schema (SQLite). Ids are UUIDv7 as 16-byte BLOBs, money is INTEGER minor
-- units, civil dates are 'YYYY-MM-DD' text, instants are INTEGER UTC microseconds. Every key
-- starts with tenant_id.

CREATE TABLE tenants (
    tenant_id BLOB NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE clients (
    tenant_id BLOB NOT NULL REFERENCES tenants (tenant_id),
    id BLOB NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    commission_rate TEXT NOT NULL,
    waterfall TEXT NOT NULL,
    default_currency TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE portfolios (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    product TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, client_id, code),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);

CREATE TABLE placements (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    placed_on TEXT NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_created INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, portfolio_id) REFERENCES portfolios (tenant_id, id)
);

CREATE TABLE accounts (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    client_id BLOB NOT NULL,
    portfolio_id BLOB NOT NULL,
    placement_id BLOB NOT NULL,
    external_ref TEXT NOT NULL,
    currency TEXT NOT NULL,
    original_creditor TEXT NOT NULL,
    current_creditor TEXT NOT NULL,
    product TEXT,
    opened_on TEXT,
    first_delinquency_on TEXT,
    charged_off_on TEXT,
    itemization_on TEXT,
    itemization_basis TEXT,
    last_payment_on TEXT,
    last_payment_minor INTEGER,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    queue TEXT,
    agent_id BLOB,
    score INTEGER,
    -- what the client reported at the last placement, to compute re-placement adjustments
    rep_principal INTEGER NOT NULL,
    rep_interest INTEGER NOT NULL,
    rep_fees INTEGER NOT NULL,
    rep_costs INTEGER NOT NULL,
    rep_credit INTEGER NOT NULL DEFAULT 0,
    -- the ledger's sum, kept in the same transaction as every entry
    bal_principal INTEGER NOT NULL,
    bal_interest INTEGER NOT NULL,
    bal_fees INTEGER NOT NULL,
    bal_costs INTEGER NOT NULL,
    bal_credit INTEGER NOT NULL,
    fingerprint BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, client_id, external_ref)
) WITHOUT ROWID;

CREATE TABLE parties (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    company_name TEXT,
    date_of_birth TEXT,
    national_id_last4 TEXT,
    language TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE account_parties (
    tenant_id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    party_id BLOB NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id, party_id)
) WITHOUT ROWID;

CREATE TABLE contact_points (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    party_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    extension TEXT,
    phone_type TEXT,
    line1 TEXT,
    line2 TEXT,
    city TEXT,
    region TEXT,
    postal_code TEXT,
    country TEXT,
    time_zone TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL,
    consent_call TEXT NOT NULL,
    consent_sms TEXT NOT NULL,
    consent_email TEXT NOT NULL,
    consent_letter TEXT NOT NULL,
    employer_provided INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX contact_points_party ON contact_points (tenant_id, party_id);

CREATE TABLE invoices (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    open_minor INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, account_id, number)
) WITHOUT ROWID;

CREATE TABLE ledger_entries (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    principal INTEGER NOT NULL,
    interest INTEGER NOT NULL,
    fees INTEGER NOT NULL,
    costs INTEGER NOT NULL,
    credit INTEGER NOT NULL,
    reverses_id BLOB,
    memo TEXT NOT NULL,
    posted_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX ledger_entries_account ON ledger_entries (tenant_id, account_id);
-- a payment can be reversed once
CREATE UNIQUE INDEX ledger_entries_reverses ON ledger_entries (tenant_id, reverses_id) WHERE reverses_id IS NOT NULL;

CREATE TABLE audit_log (
    tenant_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BLOB NOT NULL,
    data TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_id);

-- the head of each tenant's chain; writers lock it so the chain cannot fork
CREATE TABLE audit_heads (
    tenant_id BLOB NOT NULL PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);

-- the audit log is append-only: the database itself refuses edits and deletes
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger_entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
