-- recoup foundation schema (PostgreSQL). Ids are UUIDv7, money is BIGINT minor
-- units, civil dates are 'YYYY-MM-DD' text, instants are BIGINT UTC microseconds. Every key
-- starts with tenant_id.

CREATE TABLE tenants (
    tenant_id UUID NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    tenant_id UUID NOT NULL REFERENCES tenants (tenant_id),
    id UUID NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    commission_rate TEXT NOT NULL,
    waterfall TEXT NOT NULL,
    default_currency TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE portfolios (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    client_id UUID NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    product TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, client_id, code),
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);

CREATE TABLE placements (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    client_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    placed_on TEXT NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_created BIGINT NOT NULL DEFAULT 0,
    rows_updated BIGINT NOT NULL DEFAULT 0,
    rows_unchanged BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, portfolio_id) REFERENCES portfolios (tenant_id, id)
);

CREATE TABLE accounts (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    client_id UUID NOT NULL,
    portfolio_id UUID NOT NULL,
    placement_id UUID NOT NULL,
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
    last_payment_minor BIGINT,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    queue TEXT,
    agent_id UUID,
    score BIGINT,
    -- what the client reported at the last placement, to compute re-placement adjustments
    rep_principal BIGINT NOT NULL,
    rep_interest BIGINT NOT NULL,
    rep_fees BIGINT NOT NULL,
    rep_costs BIGINT NOT NULL,
    rep_credit BIGINT NOT NULL DEFAULT 0,
    -- the ledger's sum, kept in the same transaction as every entry
    bal_principal BIGINT NOT NULL,
    bal_interest BIGINT NOT NULL,
    bal_fees BIGINT NOT NULL,
    bal_costs BIGINT NOT NULL,
    bal_credit BIGINT NOT NULL,
    fingerprint BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, client_id, external_ref)
);

CREATE TABLE parties (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    kind TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    company_name TEXT,
    date_of_birth TEXT,
    national_id_last4 TEXT,
    language TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE account_parties (
    tenant_id UUID NOT NULL,
    account_id UUID NOT NULL,
    party_id UUID NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id, party_id)
);

CREATE TABLE contact_points (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    party_id UUID NOT NULL,
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
    employer_provided BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contact_points_party ON contact_points (tenant_id, party_id);

CREATE TABLE invoices (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    account_id UUID NOT NULL,
    number TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    open_minor BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, account_id, number)
);

CREATE TABLE ledger_entries (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    account_id UUID NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    principal BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    fees BIGINT NOT NULL,
    costs BIGINT NOT NULL,
    credit BIGINT NOT NULL,
    reverses_id UUID,
    memo TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ledger_entries_account ON ledger_entries (tenant_id, account_id);
-- a payment can be reversed once
CREATE UNIQUE INDEX ledger_entries_reverses ON ledger_entries (tenant_id, reverses_id) WHERE reverses_id IS NOT NULL;

CREATE TABLE audit_log (
    tenant_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID NOT NULL,
    data TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_id);

-- the head of each tenant's chain; writers lock it so the chain cannot fork
CREATE TABLE audit_heads (
    tenant_id UUID NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);

-- the audit log is append-only and the ledger immutable: the database itself refuses edits
CREATE FUNCTION recoup_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION recoup_refuse_change();
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION recoup_refuse_change();
