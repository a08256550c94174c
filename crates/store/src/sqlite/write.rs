//! Everything the SQLite store writes inside a transaction: the audit chain, the placed-account
//! rows in bulk, updates on re-placement, and ledger postings' rows.

use super::bulk::{Bulk, Table, blob, int, opt_int, opt_text, opt_uuid, text, uuid};
use super::{query_all, query_one};
use crate::ops::{self, Existing, UpdatePlan};
use crate::rows::{self, Get, date_text};
use crate::{Actor, Result};
use recoup_domain::account::Account;
use recoup_domain::audit::{AuditEvent, Chainer, GENESIS};
use recoup_domain::contact::{ContactKind, ContactPoint};
use recoup_domain::invoice::Invoice;
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::org::Placement;
use recoup_domain::party::{Party, PartyRole};
use recoup_domain::placement::{PlacedAccount, RowOutcome};
use rusqlite::{Connection, params};
use std::collections::HashSet;
use uuid::Uuid;

static ACCOUNTS: Table = Table {
    name: "accounts",
    cols: &[
        "tenant_id",
        "id",
        "client_id",
        "portfolio_id",
        "placement_id",
        "external_ref",
        "currency",
        "original_creditor",
        "current_creditor",
        "product",
        "opened_on",
        "first_delinquency_on",
        "charged_off_on",
        "itemization_on",
        "itemization_basis",
        "last_payment_on",
        "last_payment_minor",
        "status",
        "stage",
        "flags",
        "queue",
        "agent_id",
        "score",
        "rep_principal",
        "rep_interest",
        "rep_fees",
        "rep_costs",
        "bal_principal",
        "bal_interest",
        "bal_fees",
        "bal_costs",
        "bal_credit",
        "fingerprint",
        "created_at",
        "updated_at",
    ],
    suffix: "",
};

static PARTIES: Table = Table {
    name: "parties",
    cols: &[
        "tenant_id",
        "id",
        "kind",
        "first_name",
        "last_name",
        "company_name",
        "date_of_birth",
        "national_id_last4",
        "language",
        "created_at",
    ],
    suffix: "",
};

static ACCOUNT_PARTIES: Table = Table { name: "account_parties", cols: &["tenant_id", "account_id", "party_id", "role"], suffix: "" };

static CONTACT_POINTS: Table = Table {
    name: "contact_points",
    cols: &[
        "tenant_id",
        "id",
        "party_id",
        "kind",
        "value",
        "extension",
        "phone_type",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "country",
        "time_zone",
        "source",
        "verification",
        "consent_call",
        "consent_sms",
        "consent_email",
        "consent_letter",
        "employer_provided",
        "created_at",
    ],
    suffix: "",
};

static INVOICES: Table = Table {
    name: "invoices",
    cols: &["tenant_id", "id", "account_id", "number", "issued_on", "due_on", "amount_minor", "open_minor"],
    suffix: "ON CONFLICT (tenant_id, account_id, number) DO UPDATE SET due_on = excluded.due_on, \
             amount_minor = excluded.amount_minor, open_minor = excluded.open_minor",
};

static LEDGER_ENTRIES: Table = Table {
    name: "ledger_entries",
    cols: &[
        "tenant_id",
        "id",
        "account_id",
        "kind",
        "currency",
        "effective_on",
        "principal",
        "interest",
        "fees",
        "costs",
        "credit",
        "reverses_id",
        "memo",
        "posted_at",
    ],
    suffix: "",
};

static AUDIT_LOG: Table = Table {
    name: "audit_log",
    cols: &["tenant_id", "seq", "at", "actor", "action", "entity", "entity_id", "data", "prev_hash", "hash"],
    suffix: "",
};

/// Buffered inserts for every table a write touches; `finish` writes what is left.
pub(crate) struct Inserts<'c> {
    now: i64,
    accounts: Bulk<'c>,
    parties: Bulk<'c>,
    links: Bulk<'c>,
    contacts: Bulk<'c>,
    invoices: Bulk<'c>,
    ledger: Bulk<'c>,
    audit: Bulk<'c>,
}

impl<'c> Inserts<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Inserts {
            now: ops::now_micros(),
            accounts: Bulk::new(conn, &ACCOUNTS),
            parties: Bulk::new(conn, &PARTIES),
            links: Bulk::new(conn, &ACCOUNT_PARTIES),
            contacts: Bulk::new(conn, &CONTACT_POINTS),
            invoices: Bulk::new(conn, &INVOICES),
            ledger: Bulk::new(conn, &LEDGER_ENTRIES),
            audit: Bulk::new(conn, &AUDIT_LOG),
        }
    }

    pub fn finish(mut self) -> Result<()> {
        for b in [
            &mut self.accounts,
            &mut self.parties,
            &mut self.links,
            &mut self.contacts,
            &mut self.invoices,
            &mut self.ledger,
            &mut self.audit,
        ] {
            b.flush()?;
        }
        Ok(())
    }

    fn account(&mut self, a: &Account, reported: &Amounts, balance: &Amounts, fingerprint: &[u8]) -> Result<()> {
        self.accounts.push([
            uuid(a.tenant_id),
            uuid(a.id),
            uuid(a.client_id),
            uuid(a.portfolio_id),
            uuid(a.placement_id),
            text(&a.external_ref),
            text(a.currency.code()),
            text(&a.original_creditor),
            text(&a.current_creditor),
            opt_text(a.product.as_deref()),
            opt_text(date_text(a.opened_on)),
            opt_text(date_text(a.first_delinquency_on)),
            opt_text(date_text(a.charged_off_on)),
            opt_text(date_text(a.itemization_on)),
            opt_text(a.itemization_basis.map(|b| b.as_str())),
            opt_text(date_text(a.last_payment_on)),
            opt_int(a.last_payment_minor),
            text(a.status.as_str()),
            text(a.stage.as_str()),
            text(a.flags.to_text()),
            opt_text(a.queue.as_deref()),
            opt_uuid(a.agent_id),
            opt_int(a.score.map(i64::from)),
            int(reported.principal),
            int(reported.interest),
            int(reported.fees),
            int(reported.costs),
            int(balance.principal),
            int(balance.interest),
            int(balance.fees),
            int(balance.costs),
            int(balance.credit),
            blob(fingerprint),
            int(self.now),
            int(self.now),
        ])
    }

    fn party(&mut self, p: &Party) -> Result<()> {
        self.parties.push([
            uuid(p.tenant_id),
            uuid(p.id),
            text(p.kind.as_str()),
            opt_text(p.first_name.as_deref()),
            opt_text(p.last_name.as_deref()),
            opt_text(p.company_name.as_deref()),
            opt_text(date_text(p.date_of_birth)),
            opt_text(p.national_id_last4.as_deref()),
            opt_text(p.language.as_deref()),
            int(self.now),
        ])
    }

    fn link(&mut self, tenant_id: Uuid, account_id: Uuid, party_id: Uuid, role: PartyRole) -> Result<()> {
        self.links.push([uuid(tenant_id), uuid(account_id), uuid(party_id), text(role.as_str())])
    }

    pub fn contact(&mut self, c: &ContactPoint) -> Result<()> {
        let a = c.address.as_ref();
        self.contacts.push([
            uuid(c.tenant_id),
            uuid(c.id),
            uuid(c.party_id),
            text(c.kind.as_str()),
            text(&c.value),
            opt_text(c.extension.as_deref()),
            opt_text(c.phone_type.map(|t| t.as_str())),
            opt_text(a.map(|a| a.line1.as_str())),
            opt_text(a.and_then(|a| a.line2.as_deref())),
            opt_text(a.map(|a| a.city.as_str())),
            opt_text(a.map(|a| a.region.as_str())),
            opt_text(a.map(|a| a.postal_code.as_str())),
            opt_text(a.map(|a| a.country.as_str())),
            opt_text(c.time_zone.as_deref()),
            text(c.source.as_str()),
            text(c.verification.as_str()),
            text(c.consent.call.as_str()),
            text(c.consent.sms.as_str()),
            text(c.consent.email.as_str()),
            text(c.consent.letter.as_str()),
            int(i64::from(c.employer_provided)),
            int(self.now),
        ])
    }

    fn invoice(&mut self, i: &Invoice) -> Result<()> {
        self.invoices.push([
            uuid(i.tenant_id),
            uuid(i.id),
            uuid(i.account_id),
            text(&i.number),
            text(i.issued_on.to_string()),
            text(i.due_on.to_string()),
            int(i.amount_minor),
            int(i.open_minor),
        ])
    }

    pub fn ledger(&mut self, tenant_id: Uuid, e: &LedgerEntry) -> Result<()> {
        let d = &e.delta;
        self.ledger.push([
            uuid(tenant_id),
            uuid(e.id),
            uuid(e.account_id),
            text(e.kind.as_str()),
            text(e.currency.code()),
            text(e.effective_on.to_string()),
            int(d.principal),
            int(d.interest),
            int(d.fees),
            int(d.costs),
            int(d.credit),
            opt_uuid(e.reverses),
            text(&e.memo),
            int(self.now),
        ])
    }

    /// A new account with everything that comes with it, except its audit event.
    fn placed(&mut self, row: &PlacedAccount, opening: Option<&LedgerEntry>) -> Result<()> {
        let a = &row.account;
        self.account(a, &row.reported, &row.reported, &row.fingerprint)?;
        for p in &row.parties {
            self.party(&p.party)?;
            self.link(a.tenant_id, a.id, p.party.id, p.role)?;
            for c in &p.contact_points {
                self.contact(c)?;
            }
        }
        for i in &row.invoices {
            self.invoice(i)?;
        }
        if let Some(e) = opening {
            self.ledger(a.tenant_id, e)?;
        }
        Ok(())
    }

    /// Appends events to the tenant's chain. The writer connection is the only writer, so
    /// reading the head and writing after it cannot race.
    pub fn audit(&mut self, tenant_id: Uuid, events: Vec<AuditEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let conn = self.audit_conn();
        let head = query_one(conn, "SELECT seq, hash FROM audit_heads WHERE tenant_id = ?", [tenant_id], |r| {
            Ok((r.int("seq")?, r.hash("hash")?))
        })?;
        let (seq, head) = head.unwrap_or((0, GENESIS));
        let mut chain = Chainer { tenant_id, seq, head };
        for ev in events {
            let e = chain.link(self.now, ev);
            let ev = e.event;
            self.audit.push([
                uuid(tenant_id),
                int(e.seq),
                int(e.at_micros),
                text(ev.actor),
                text(ev.action),
                text(ev.entity),
                uuid(ev.entity_id),
                text(ev.data),
                blob(&e.prev_hash),
                blob(&e.hash),
            ])?;
        }
        conn.execute(
            "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?,?,?) \
             ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            params![tenant_id, chain.seq, &chain.head[..]],
        )?;
        Ok(())
    }

    fn audit_conn(&self) -> &'c Connection {
        self.audit.connection()
    }
}

/// Runs `events` through a fresh set of inserts: for writes that only add audit entries.
pub(crate) fn append_audit(conn: &Connection, tenant_id: Uuid, events: Vec<AuditEvent>) -> Result<()> {
    let mut ins = Inserts::new(conn);
    ins.audit(tenant_id, events)?;
    ins.finish()
}

fn update_account(conn: &Connection, a: &Account, reported: &Amounts, balance: &Amounts, fingerprint: &[u8], now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE accounts SET original_creditor = ?, current_creditor = ?, product = ?, opened_on = ?, first_delinquency_on = ?, \
         charged_off_on = ?, itemization_on = ?, itemization_basis = ?, last_payment_on = ?, last_payment_minor = ?, flags = ?, \
         rep_principal = ?, rep_interest = ?, rep_fees = ?, rep_costs = ?, \
         bal_principal = ?, bal_interest = ?, bal_fees = ?, bal_costs = ?, bal_credit = ?, fingerprint = ?, updated_at = ? \
         WHERE tenant_id = ? AND id = ?",
    )?
    .execute(params![
        a.original_creditor,
        a.current_creditor,
        a.product,
        date_text(a.opened_on),
        date_text(a.first_delinquency_on),
        date_text(a.charged_off_on),
        date_text(a.itemization_on),
        a.itemization_basis.map(|b| b.as_str()),
        date_text(a.last_payment_on),
        a.last_payment_minor,
        a.flags.to_text(),
        reported.principal,
        reported.interest,
        reported.fees,
        reported.costs,
        balance.principal,
        balance.interest,
        balance.fees,
        balance.costs,
        balance.credit,
        fingerprint,
        now,
        a.tenant_id,
        a.id,
    ])?;
    Ok(())
}

pub(crate) fn set_balance(conn: &Connection, tenant_id: Uuid, account_id: Uuid, b: &Amounts) -> Result<()> {
    conn.prepare_cached(
        "UPDATE accounts SET bal_principal = ?, bal_interest = ?, bal_fees = ?, bal_costs = ?, bal_credit = ?, updated_at = ? \
         WHERE tenant_id = ? AND id = ?",
    )?
    .execute(params![b.principal, b.interest, b.fees, b.costs, b.credit, ops::now_micros(), tenant_id, account_id])?;
    Ok(())
}

fn update_party(conn: &Connection, p: &Party) -> Result<()> {
    conn.prepare_cached(
        "UPDATE parties SET kind = ?, first_name = ?, last_name = ?, company_name = ?, date_of_birth = ?, national_id_last4 = ?, \
         language = COALESCE(?, language) WHERE tenant_id = ? AND id = ?",
    )?
    .execute(params![
        p.kind.as_str(),
        p.first_name,
        p.last_name,
        p.company_name,
        date_text(p.date_of_birth),
        p.national_id_last4,
        p.language,
        p.tenant_id,
        p.id
    ])?;
    Ok(())
}

fn load_existing(conn: &Connection, tenant_id: Uuid, client_id: Uuid, external_ref: &str) -> Result<Option<Existing>> {
    let sql = format!(
        "SELECT {}, rep_principal, rep_interest, rep_fees, rep_costs, rep_credit, \
         bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, fingerprint \
         FROM accounts WHERE tenant_id = ? AND client_id = ? AND external_ref = ?",
        rows::ACCOUNT_COLS
    );
    let found = query_one(conn, &sql, params![tenant_id, client_id, external_ref], |r| {
        Ok((rows::account(r)?, rows::amounts(r, "rep_")?, rows::amounts(r, "bal_")?, r.bytes("fingerprint")?))
    })?;
    let Some((account, reported, balance, fingerprint)) = found else { return Ok(None) };
    let primary_party_id = query_one(
        conn,
        "SELECT party_id FROM account_parties WHERE tenant_id = ? AND account_id = ? AND role = 'primary'",
        params![tenant_id, account.id],
        |r| r.uuid("party_id"),
    )?;
    let contacts = match primary_party_id {
        Some(pid) => {
            query_all(conn, "SELECT kind, value FROM contact_points WHERE tenant_id = ? AND party_id = ?", params![tenant_id, pid], |r| {
                Ok((r.parsed("kind", ContactKind::parse)?, r.text("value")?))
            })?
        }
        None => Vec::new(),
    };
    Ok(Some(Existing { account, reported, balance, fingerprint, primary_party_id, contacts }))
}

/// Writes one batch of placed accounts: new ones in bulk, known ones updated or left alone.
pub(crate) fn write_rows(conn: &Connection, placement: &Placement, rows: &[PlacedAccount], actor: &Actor) -> Result<Vec<RowOutcome>> {
    let mut ins = Inserts::new(conn);
    let now = ins.now;
    let mut events = Vec::with_capacity(rows.len());
    let mut outcomes = Vec::with_capacity(rows.len());
    // New accounts wait in the insert buffers, so a lookup cannot see them: remember them.
    let mut created: HashSet<&str> = HashSet::new();
    for row in rows {
        let a = &row.account;
        if created.contains(a.external_ref.as_str()) {
            outcomes.push(RowOutcome::Refused(format!("account {} appears twice in one batch", a.external_ref)));
            continue;
        }
        let outcome = match load_existing(conn, a.tenant_id, a.client_id, &a.external_ref)? {
            None => {
                let (opening, ev) = ops::plan_create(placement, row, actor);
                ins.placed(row, opening.as_ref())?;
                events.push(ev);
                created.insert(&a.external_ref);
                RowOutcome::Created
            }
            Some(existing) => match ops::plan_update(existing, row, placement.placed_on, actor) {
                UpdatePlan::Unchanged => RowOutcome::Unchanged,
                UpdatePlan::Refused(why) => RowOutcome::Refused(why),
                UpdatePlan::Update(u) => {
                    update_account(conn, &u.account, &u.reported, &u.balance, &row.fingerprint, now)?;
                    if let Some(p) = &u.primary_party {
                        update_party(conn, p)?;
                    }
                    for c in &u.new_contacts {
                        ins.contact(c)?;
                    }
                    for i in &row.invoices {
                        ins.invoice(&Invoice { account_id: u.account.id, ..i.clone() })?;
                    }
                    if let Some(e) = &u.adjustment {
                        ins.ledger(a.tenant_id, e)?;
                    }
                    events.push(u.event);
                    RowOutcome::Updated
                }
            },
        };
        outcomes.push(outcome);
    }
    ins.audit(placement.tenant_id, events)?;
    ins.finish()?;
    Ok(outcomes)
}

/// The floor a placement import is measured against (`recoup bench import`): the same rows,
/// written with the same statements into the same tables, including one audit row per account,
/// but with no lookups, no checks and no hashing. `audit_seq` carries the sequence across calls.
pub fn bare_insert(conn: &Connection, placement: &Placement, rows: &[PlacedAccount], audit_seq: &mut i64) -> Result<()> {
    let mut ins = Inserts::new(conn);
    for row in rows {
        let a = &row.account;
        let opening = LedgerEntry {
            id: Uuid::now_v7(),
            account_id: a.id,
            kind: recoup_domain::ledger::EntryKind::Charge,
            currency: a.currency,
            effective_on: placement.placed_on,
            delta: row.reported,
            reverses: None,
            memo: format!("placed balance, placement {}", placement.id),
        };
        ins.placed(row, Some(&opening))?;
        *audit_seq += 1;
        ins.audit.push([
            uuid(a.tenant_id),
            int(*audit_seq),
            int(ins.now),
            text("bench"),
            text("account.placed"),
            text("account"),
            uuid(a.id),
            text("{}"),
            blob(&GENESIS),
            blob(&GENESIS),
        ])?;
    }
    ins.finish()
}
