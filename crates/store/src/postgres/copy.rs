//! `COPY ... FROM STDIN`: the bulk-load limit a PostgreSQL placement import is measured against.
//! recoup's own writes use `INSERT ... SELECT FROM UNNEST(...)` instead: sqlx sends COPY's data
//! and its end in two writes, which on TCP meets Nagle's algorithm and the peer's delayed ACK
//! (about 40 ms per COPY), too slow for the many small writes a service makes.

use crate::ops;
use crate::rows::date_text;
use crate::seal::SealedParty;
use crate::{Actor, Result};
use recoup_domain::account::Account;
use recoup_domain::audit::{AuditEntry, GENESIS};
use recoup_domain::contact::ContactPoint;
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::org::Placement;
use recoup_domain::party::{Party, PartyRole};
use recoup_domain::placement::PlacedAccount;
use sqlx::PgConnection;
use uuid::Uuid;

/// NULL is written as `\N`, so an empty string stays an empty string.
const NULL: &str = "\\N";

/// One table's rows in COPY's CSV form, sent when the write is done.
struct Copy {
    table: &'static str,
    cols: &'static str,
    csv: csv::Writer<Vec<u8>>,
    rows: usize,
}

impl Copy {
    fn new(table: &'static str, cols: &'static str) -> Self {
        Copy { table, cols, csv: csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()), rows: 0 }
    }

    fn row<'a>(&mut self, cells: impl IntoIterator<Item = Option<std::borrow::Cow<'a, str>>>) -> Result<()> {
        for cell in cells {
            let field = cell.as_deref().unwrap_or(NULL);
            self.csv.write_field(field).map_err(|e| crate::StoreError::Corrupt(format!("encoding a {} row: {e}", self.table)))?;
        }
        self.csv.write_record(None::<&[u8]>).map_err(|e| crate::StoreError::Corrupt(format!("encoding a {} row: {e}", self.table)))?;
        self.rows += 1;
        Ok(())
    }

    async fn send(self, c: &mut PgConnection) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let bytes = self.csv.into_inner().map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let sql = format!("COPY {} ({}) FROM STDIN (FORMAT csv, NULL '\\N')", self.table, self.cols);
        let mut copy = c.copy_in_raw(&sql).await?;
        copy.send(bytes).await?;
        copy.finish().await?;
        Ok(())
    }
}

type Cell<'a> = Option<std::borrow::Cow<'a, str>>;

fn s(v: &str) -> Cell<'_> {
    Some(v.into())
}

fn owned<'a>(v: impl ToString) -> Cell<'a> {
    Some(v.to_string().into())
}

fn opt<'a>(v: Option<impl ToString>) -> Cell<'a> {
    v.map(|v| v.to_string().into())
}

fn bytea<'a>(b: &[u8]) -> Cell<'a> {
    let mut hex = String::with_capacity(2 + b.len() * 2);
    hex.push_str("\\x");
    for byte in b {
        hex.push_str(&format!("{byte:02x}"));
    }
    Some(hex.into())
}

/// The rows one write adds, table by table.
struct Rows {
    now: i64,
    accounts: Copy,
    parties: Copy,
    links: Copy,
    contacts: Copy,
    ledger: Copy,
    audit: Copy,
}

impl Rows {
    pub fn new(now: i64) -> Self {
        Rows {
            now,
            accounts: Copy::new(
                "accounts",
                "tenant_id, id, client_id, portfolio_id, placement_id, external_ref, currency, original_creditor, current_creditor, \
                 product, opened_on, first_delinquency_on, charged_off_on, itemization_on, itemization_basis, last_payment_on, \
                 last_payment_minor, status, stage, flags, queue, agent_id, rep_principal, rep_interest, rep_fees, rep_costs, \
                 bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, fingerprint, created_at, updated_at",
            ),
            parties: Copy::new(
                "parties",
                "tenant_id, id, kind, first_name, last_name, company_name, date_of_birth_enc, national_id_enc, national_id_hash, \
                 national_id_last4, language, created_at",
            ),
            links: Copy::new("account_parties", "tenant_id, account_id, party_id, role"),
            contacts: Copy::new(
                "contact_points",
                "tenant_id, id, party_id, kind, value, extension, phone_type, line1, line2, city, region, postal_code, country, \
                 time_zone, source, verification, consent_call, consent_sms, consent_email, consent_letter, employer_provided, created_at",
            ),
            ledger: Copy::new(
                "ledger_entries",
                "tenant_id, id, account_id, kind, currency, effective_on, principal, interest, fees, costs, credit, reverses_id, memo, posted_at",
            ),
            audit: Copy::new("audit_log", "tenant_id, seq, at, actor, action, entity, entity_id, data, prev_hash, hash"),
        }
    }

    pub async fn send(self, c: &mut PgConnection) -> Result<()> {
        for copy in [self.accounts, self.parties, self.links, self.contacts, self.ledger, self.audit] {
            copy.send(c).await?;
        }
        Ok(())
    }

    pub fn account(&mut self, a: &Account, reported: &Amounts, balance: &Amounts, fingerprint: &[u8]) -> Result<()> {
        let now = self.now;
        self.accounts.row([
            owned(a.tenant_id),
            owned(a.id),
            owned(a.client_id),
            owned(a.portfolio_id),
            owned(a.placement_id),
            s(&a.external_ref),
            s(a.currency.code()),
            s(&a.original_creditor),
            s(&a.current_creditor),
            a.product.as_deref().map(Into::into),
            opt(date_text(a.opened_on)),
            opt(date_text(a.first_delinquency_on)),
            opt(date_text(a.charged_off_on)),
            opt(date_text(a.itemization_on)),
            a.itemization_basis.map(|b| b.as_str().into()),
            opt(date_text(a.last_payment_on)),
            opt(a.last_payment_minor),
            s(a.status.as_str()),
            s(a.stage.as_str()),
            owned(a.flags.to_text()),
            a.queue.as_deref().map(Into::into),
            opt(a.agent_id),
            owned(reported.principal),
            owned(reported.interest),
            owned(reported.fees),
            owned(reported.costs),
            owned(balance.principal),
            owned(balance.interest),
            owned(balance.fees),
            owned(balance.costs),
            owned(balance.credit),
            bytea(fingerprint),
            owned(now),
            owned(now),
        ])
    }

    /// Sealed columns get stand-ins of the same size: the limit leaves out recoup's encryption.
    pub fn party(&mut self, p: &Party) -> Result<()> {
        let now = self.now;
        let sealed = SealedParty::placeholder(p);
        self.parties.row([
            owned(p.tenant_id),
            owned(p.id),
            s(p.kind.as_str()),
            p.first_name.as_deref().map(Into::into),
            p.last_name.as_deref().map(Into::into),
            p.company_name.as_deref().map(Into::into),
            sealed.date_of_birth_enc.as_deref().and_then(bytea),
            sealed.national_id_enc.as_deref().and_then(bytea),
            sealed.national_id_hash.as_deref().and_then(bytea),
            p.national_id_last4.as_deref().map(Into::into),
            p.language.as_deref().map(Into::into),
            owned(now),
        ])
    }

    pub fn link(&mut self, tenant_id: Uuid, account_id: Uuid, party_id: Uuid, role: PartyRole) -> Result<()> {
        self.links.row([owned(tenant_id), owned(account_id), owned(party_id), s(role.as_str())])
    }

    pub fn contact(&mut self, c: &ContactPoint) -> Result<()> {
        let a = c.address.as_ref();
        let now = self.now;
        self.contacts.row([
            owned(c.tenant_id),
            owned(c.id),
            owned(c.party_id),
            s(c.kind.as_str()),
            s(&c.value),
            c.extension.as_deref().map(Into::into),
            c.phone_type.map(|t| t.as_str().into()),
            a.map(|a| a.line1.as_str().into()),
            a.and_then(|a| a.line2.as_deref()).map(Into::into),
            a.map(|a| a.city.as_str().into()),
            a.map(|a| a.region.as_str().into()),
            a.map(|a| a.postal_code.as_str().into()),
            a.map(|a| a.country.as_str().into()),
            c.time_zone.as_deref().map(Into::into),
            s(c.source.as_str()),
            s(c.verification.as_str()),
            s(c.consent.call.as_str()),
            s(c.consent.sms.as_str()),
            s(c.consent.email.as_str()),
            s(c.consent.letter.as_str()),
            s(if c.employer_provided { "t" } else { "f" }),
            owned(now),
        ])
    }

    pub fn ledger(&mut self, tenant_id: Uuid, e: &LedgerEntry) -> Result<()> {
        let d = &e.delta;
        let now = self.now;
        self.ledger.row([
            owned(tenant_id),
            owned(e.id),
            owned(e.account_id),
            s(e.kind.as_str()),
            s(e.currency.code()),
            owned(e.effective_on),
            owned(d.principal),
            owned(d.interest),
            owned(d.fees),
            owned(d.costs),
            owned(d.credit),
            opt(e.reverses),
            s(&e.memo),
            owned(now),
        ])
    }

    pub fn audit(&mut self, e: &AuditEntry) -> Result<()> {
        let ev = &e.event;
        self.audit.row([
            owned(e.tenant_id),
            owned(e.seq),
            owned(e.at_micros),
            s(&ev.actor),
            s(&ev.action),
            s(&ev.entity),
            owned(ev.entity_id),
            s(&ev.data),
            bytea(&e.prev_hash),
            bytea(&e.hash),
        ])
    }

    /// A new account with its parties, contact points and opening entry (invoices go apart:
    /// they upsert).
    pub fn placed(&mut self, row: &PlacedAccount, opening: Option<&LedgerEntry>) -> Result<()> {
        let a = &row.account;
        self.account(a, &row.reported, &row.reported, &row.fingerprint)?;
        for p in &row.parties {
            self.party(&p.party)?;
            self.link(a.tenant_id, a.id, p.party.id, p.role)?;
            for c in &p.contact_points {
                self.contact(c)?;
            }
        }
        if let Some(e) = opening {
            self.ledger(a.tenant_id, e)?;
        }
        Ok(())
    }
}

/// The floor a placement import is measured against on PostgreSQL (`recoup bench import`): the
/// same rows COPYed into the same tables, including one audit row per account, with no lookups,
/// no checks and no hashing. `audit_seq` carries the sequence across calls.
pub async fn bare_copy(c: &mut PgConnection, placement: &Placement, rows: &[PlacedAccount], audit_seq: &mut i64) -> Result<()> {
    let now = ops::now_micros();
    let mut added = Rows::new(now);
    for row in rows {
        let a = &row.account;
        added.placed(row, Some(&ops::opening_entry(placement, row)))?;
        *audit_seq += 1;
        let event = ops::event(&Actor::new("bench"), "account.placed", "account", a.id, serde_json::json!({}));
        added.audit(&AuditEntry { tenant_id: a.tenant_id, seq: *audit_seq, at_micros: now, event, prev_hash: GENESIS, hash: GENESIS })?;
    }
    added.send(c).await
}
