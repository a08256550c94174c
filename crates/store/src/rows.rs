//! Reading stored rows into domain types, once for both backends: each backend only says how to
//! get a typed column out of its own row type.

use crate::seal::{self, Keyring, Place};
use crate::{Result, StoreError};
use jiff::civil::Date;
use recoup_domain::account::{Account, AccountStatus, Flags, ItemizationBasis, Stage};
use recoup_domain::audit::{AuditEntry, AuditEvent, Hash};
use recoup_domain::contact::{Consent, ConsentState, ContactKind, ContactPoint, PhoneType, PostalAddress, Source, Verification};
use recoup_domain::ledger::{Amounts, EntryKind, LedgerEntry, Waterfall};
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, ImportCounts, Placement, PlacementStatus, Portfolio, Tenant};
use recoup_domain::party::{Party, PartyKind, Secret};
use uuid::Uuid;

/// Typed column access, implemented for a rusqlite row and a sqlx Postgres row.
pub(crate) trait Get {
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>>;
    fn boolean(&self, col: &str) -> Result<bool>;

    fn text(&self, col: &str) -> Result<String> {
        self.opt_text(col)?.ok_or_else(|| corrupt(col, "NULL"))
    }
    fn int(&self, col: &str) -> Result<i64> {
        self.opt_int(col)?.ok_or_else(|| corrupt(col, "NULL"))
    }
    fn uuid(&self, col: &str) -> Result<Uuid> {
        self.opt_uuid(col)?.ok_or_else(|| corrupt(col, "NULL"))
    }
    /// Hands `f` the column's text (None for NULL). The default copies it out; a backend that
    /// can lend it in place does, which spares an allocation for each date and code read.
    fn with_opt_text<T>(&self, col: &str, f: impl FnOnce(Option<&str>) -> Result<T>) -> Result<T> {
        f(self.opt_text(col)?.as_deref())
    }
    fn opt_date(&self, col: &str) -> Result<Option<Date>> {
        self.with_opt_text(col, |s| s.map(|s| s.parse::<Date>().map_err(|e| corrupt(col, e))).transpose())
    }
    fn date(&self, col: &str) -> Result<Date> {
        self.opt_date(col)?.ok_or_else(|| corrupt(col, "NULL"))
    }
    fn hash(&self, col: &str) -> Result<Hash> {
        self.bytes(col)?.try_into().map_err(|_| corrupt(col, "not 32 bytes"))
    }
    fn parsed<T>(&self, col: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        self.opt_parsed(col, parse)?.ok_or_else(|| corrupt(col, "NULL"))
    }
    fn opt_parsed<T>(&self, col: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
        self.with_opt_text(col, |s| match s {
            None => Ok(None),
            Some(s) => parse(s).map(Some).ok_or_else(|| corrupt(col, format!("unknown value {s:?}"))),
        })
    }
}

/// "a.x, a.y" from "x, y".
pub(crate) fn prefixed(table: &str, cols: &str) -> String {
    cols.split(", ").map(|col| format!("{table}.{}", col.trim())).collect::<Vec<_>>().join(", ")
}

pub(crate) fn corrupt(col: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {why}"))
}

pub(crate) fn date_text(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

pub(crate) fn currency(s: &str) -> Option<Currency> {
    Currency::from_code(s).ok()
}

pub(crate) const TENANT_COLS: &str = "tenant_id, slug, name";

pub(crate) fn tenant(r: &impl Get) -> Result<Tenant> {
    Ok(Tenant { id: r.uuid("tenant_id")?, slug: r.text("slug")?, name: r.text("name")? })
}

pub(crate) const CLIENT_COLS: &str = "tenant_id, id, code, name, commission_rate, waterfall, default_currency";

pub(crate) fn client(r: &impl Get) -> Result<Client> {
    let waterfall: Waterfall = serde_json::from_str(&r.text("waterfall")?).map_err(|e| corrupt("waterfall", e))?;
    Ok(Client {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        commission_rate: r.parsed("commission_rate", |s| s.parse().ok())?,
        waterfall,
        default_currency: r.parsed("default_currency", currency)?,
    })
}

pub(crate) fn waterfall_text(w: &Waterfall) -> String {
    serde_json::to_string(w).expect("a waterfall serializes")
}

pub(crate) const PORTFOLIO_COLS: &str = "tenant_id, id, client_id, code, name, product";

pub(crate) fn portfolio(r: &impl Get) -> Result<Portfolio> {
    Ok(Portfolio {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        client_id: r.uuid("client_id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        product: r.opt_text("product")?,
    })
}

pub(crate) const PLACEMENT_COLS: &str = "tenant_id, id, client_id, portfolio_id, placed_on, file_name, status, rows_read, rows_created, rows_updated, rows_unchanged, rows_rejected";

pub(crate) fn placement(r: &impl Get) -> Result<Placement> {
    let n = |c| r.int(c).map(|v| v as u64);
    Ok(Placement {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        client_id: r.uuid("client_id")?,
        portfolio_id: r.uuid("portfolio_id")?,
        placed_on: r.date("placed_on")?,
        file_name: r.text("file_name")?,
        status: r.parsed("status", PlacementStatus::parse)?,
        counts: ImportCounts {
            read: n("rows_read")?,
            created: n("rows_created")?,
            updated: n("rows_updated")?,
            unchanged: n("rows_unchanged")?,
            rejected: n("rows_rejected")?,
        },
    })
}

/// An account's columns, read from `accounts` (unaliased), with its last score from
/// `account_scores`, where scoring writes it.
pub(crate) const ACCOUNT_COLS: &str = "tenant_id, id, client_id, portfolio_id, placement_id, external_ref, currency, \
    original_creditor, current_creditor, product, opened_on, first_delinquency_on, charged_off_on, itemization_on, \
    itemization_basis, last_payment_on, last_payment_minor, status, stage, flags, queue, agent_id, \
    (SELECT s.per_mille FROM account_scores s WHERE s.tenant_id = accounts.tenant_id AND s.account_id = accounts.id) AS score";

pub(crate) fn account(r: &impl Get) -> Result<Account> {
    Ok(Account {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        client_id: r.uuid("client_id")?,
        portfolio_id: r.uuid("portfolio_id")?,
        placement_id: r.uuid("placement_id")?,
        external_ref: r.text("external_ref")?,
        currency: r.parsed("currency", currency)?,
        original_creditor: r.text("original_creditor")?,
        current_creditor: r.text("current_creditor")?,
        product: r.opt_text("product")?,
        opened_on: r.opt_date("opened_on")?,
        first_delinquency_on: r.opt_date("first_delinquency_on")?,
        charged_off_on: r.opt_date("charged_off_on")?,
        itemization_on: r.opt_date("itemization_on")?,
        itemization_basis: r.opt_parsed("itemization_basis", ItemizationBasis::parse)?,
        last_payment_on: r.opt_date("last_payment_on")?,
        last_payment_minor: r.opt_int("last_payment_minor")?,
        status: r.parsed("status", AccountStatus::parse)?,
        stage: r.parsed("stage", Stage::parse)?,
        flags: r.parsed("flags", |s| Flags::parse(s).ok())?,
        queue: r.opt_text("queue")?,
        agent_id: r.opt_uuid("agent_id")?,
        score: r.opt_int("score")?.map(|s| s as i32),
    })
}

/// Balance columns on the account row, prefixed `bal_` (current) or `rep_` (as the client reported).
pub(crate) fn amounts(r: &impl Get, prefix: &str) -> Result<Amounts> {
    // One buffer for the five names: this runs for every account read.
    let mut name = String::with_capacity(prefix.len() + 9);
    let mut g = |c: &str| {
        name.clear();
        name.push_str(prefix);
        name.push_str(c);
        r.int(&name)
    };
    Ok(Amounts { principal: g("principal")?, interest: g("interest")?, fees: g("fees")?, costs: g("costs")?, credit: g("credit")? })
}

pub(crate) const PARTY_COLS: &str = "tenant_id, id, kind, first_name, last_name, company_name, date_of_birth, date_of_birth_enc, national_id_enc, national_id_last4, language";

/// A party with its sealed fields opened. A row written before sealing existed may still hold a
/// plain date of birth until the next start seals it; it is read as it is.
pub(crate) fn party(r: &impl Get, keys: &Keyring) -> Result<Party> {
    let (id, tenant_id) = (r.uuid("id")?, r.uuid("tenant_id")?);
    let open = |column: &'static str| -> Result<Option<String>> {
        let Some(sealed) = r.opt_bytes(column)? else { return Ok(None) };
        let plain = keys.open(&Place { column, tenant_id, row_id: id }, &sealed).map_err(|source| StoreError::Sealed {
            entity: "party",
            id,
            column,
            source,
        })?;
        String::from_utf8(plain).map(Some).map_err(|_| corrupt(column, "not UTF-8 once opened"))
    };
    let date_of_birth = match open(seal::DATE_OF_BIRTH_ENC)? {
        Some(text) => Some(text.parse::<Date>().map_err(|_| corrupt(seal::DATE_OF_BIRTH_ENC, "not a date once opened"))?),
        None => r.opt_date("date_of_birth")?,
    };
    Ok(Party {
        id,
        tenant_id,
        kind: r.parsed("kind", PartyKind::parse)?,
        first_name: r.opt_text("first_name")?,
        last_name: r.opt_text("last_name")?,
        company_name: r.opt_text("company_name")?,
        date_of_birth: date_of_birth.map(Secret::new),
        national_id: open(seal::NATIONAL_ID_ENC)?.map(Secret::new),
        national_id_last4: r.opt_text("national_id_last4")?,
        language: r.opt_text("language")?,
    })
}

pub(crate) const CONTACT_COLS: &str = "tenant_id, id, party_id, kind, value, extension, phone_type, line1, line2, city, region, \
    postal_code, country, time_zone, source, verification, consent_call, consent_sms, consent_email, consent_letter, employer_provided";

pub(crate) fn contact_point(r: &impl Get) -> Result<ContactPoint> {
    let kind = r.parsed("kind", ContactKind::parse)?;
    let address = match kind {
        ContactKind::Address => Some(PostalAddress {
            line1: r.text("line1")?,
            line2: r.opt_text("line2")?,
            city: r.text("city")?,
            region: r.text("region")?,
            postal_code: r.text("postal_code")?,
            country: r.text("country")?,
        }),
        _ => None,
    };
    Ok(ContactPoint {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        party_id: r.uuid("party_id")?,
        kind,
        value: r.text("value")?,
        extension: r.opt_text("extension")?,
        phone_type: r.opt_parsed("phone_type", PhoneType::parse)?,
        address,
        time_zone: r.opt_text("time_zone")?,
        source: r.parsed("source", Source::parse)?,
        verification: r.parsed("verification", Verification::parse)?,
        consent: Consent {
            call: r.parsed("consent_call", ConsentState::parse)?,
            sms: r.parsed("consent_sms", ConsentState::parse)?,
            email: r.parsed("consent_email", ConsentState::parse)?,
            letter: r.parsed("consent_letter", ConsentState::parse)?,
        },
        employer_provided: r.boolean("employer_provided")?,
    })
}

pub(crate) const LEDGER_COLS: &str =
    "tenant_id, id, account_id, kind, currency, effective_on, principal, interest, fees, costs, credit, reverses_id, memo";

pub(crate) fn ledger_entry(r: &impl Get) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        kind: r.parsed("kind", EntryKind::parse)?,
        currency: r.parsed("currency", currency)?,
        effective_on: r.date("effective_on")?,
        delta: amounts(r, "")?,
        reverses: r.opt_uuid("reverses_id")?,
        memo: r.text("memo")?,
    })
}

pub(crate) const AUDIT_COLS: &str = "tenant_id, seq, at, actor, action, entity, entity_id, data, prev_hash, hash";

pub(crate) fn audit_entry(r: &impl Get) -> Result<AuditEntry> {
    Ok(AuditEntry {
        tenant_id: r.uuid("tenant_id")?,
        seq: r.int("seq")?,
        at_micros: r.int("at")?,
        event: AuditEvent {
            actor: r.text("actor")?,
            action: r.text("action")?,
            entity: r.text("entity")?,
            entity_id: r.uuid("entity_id")?,
            data: r.text("data")?,
        },
        prev_hash: r.hash("prev_hash")?,
        hash: r.hash("hash")?,
    })
}

pub(crate) const INVOICE_COLS: &str = "tenant_id, id, account_id, number, issued_on, due_on, amount_minor, open_minor";

pub(crate) fn invoice(r: &impl Get) -> Result<recoup_domain::invoice::Invoice> {
    Ok(recoup_domain::invoice::Invoice {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        account_id: r.uuid("account_id")?,
        number: r.text("number")?,
        issued_on: r.date("issued_on")?,
        due_on: r.date("due_on")?,
        amount_minor: r.int("amount_minor")?,
        open_minor: r.int("open_minor")?,
    })
}

pub(crate) const API_KEY_COLS: &str = "tenant_id, id, name, role, client_id, prefix, created_at, last_used_at, revoked_at";

pub(crate) fn api_key(r: &impl Get) -> Result<recoup_domain::access::ApiKey> {
    Ok(recoup_domain::access::ApiKey {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        name: r.text("name")?,
        role: r.parsed("role", recoup_domain::access::Role::parse)?,
        client_id: r.opt_uuid("client_id")?,
        prefix: r.text("prefix")?,
        created_at: r.int("created_at")?,
        last_used_at: r.opt_int("last_used_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

pub(crate) const USER_COLS: &str = "tenant_id, id, email, name, role, client_id, disabled, created_at";

pub(crate) fn user(r: &impl Get) -> Result<recoup_domain::access::User> {
    Ok(recoup_domain::access::User {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        email: r.text("email")?,
        name: r.text("name")?,
        role: r.parsed("role", recoup_domain::access::Role::parse)?,
        client_id: r.opt_uuid("client_id")?,
        disabled: r.boolean("disabled")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn session(r: &impl Get) -> Result<recoup_domain::access::Session> {
    Ok(recoup_domain::access::Session {
        token_hash: r.hash("token_hash")?,
        tenant_id: r.uuid("tenant_id")?,
        user_id: r.uuid("user_id")?,
        created_at: r.int("created_at")?,
        last_seen_at: r.int("last_seen_at")?,
        account_id: r.opt_uuid("account_id")?,
    })
}

/// Staff time signed in that overlaps a window: ended sessions' spans, then sessions still open.
/// Placeholders: tenant, window start, window end (twice, as both halves need them).
pub(crate) const WORK_PERIODS_SQL: &str = "SELECT user_id, started_at, ended_at FROM work_periods \
     WHERE tenant_id = {t} AND ended_at > {from} AND started_at < {to} \
     UNION ALL SELECT user_id, created_at AS started_at, last_seen_at AS ended_at FROM sessions \
     WHERE tenant_id = {t} AND account_id IS NULL AND last_seen_at > {from} AND created_at < {to}";

pub(crate) fn work_period(r: &impl Get) -> Result<recoup_domain::kpi::WorkPeriod> {
    Ok(recoup_domain::kpi::WorkPeriod { user_id: r.uuid("user_id")?, started_at: r.int("started_at")?, ended_at: r.int("ended_at")? })
}

pub(crate) const SUBSCRIPTION_COLS: &str = "tenant_id, id, url, event_types, description, active, created_at";

pub(crate) fn subscription(r: &impl Get) -> Result<recoup_domain::webhook::Subscription> {
    Ok(recoup_domain::webhook::Subscription {
        tenant_id: r.uuid("tenant_id")?,
        id: r.uuid("id")?,
        url: r.text("url")?,
        event_types: crate::outbox::parse_types(&r.text("event_types")?)?,
        description: r.text("description")?,
        active: r.boolean("active")?,
        created_at: r.int("created_at")?,
    })
}

fn small(r: &impl Get, col: &str) -> Result<Option<u16>> {
    r.opt_int(col)?.map(|v| u16::try_from(v).map_err(|_| corrupt(col, v))).transpose()
}

fn count(r: &impl Get, col: &str) -> Result<u32> {
    let v = r.int(col)?;
    u32::try_from(v).map_err(|_| corrupt(col, v))
}

/// Deliveries are read joined with their event's type.
pub(crate) const DELIVERY_COLS: &str = "d.id, d.subscription_id, d.event_id, e.type AS event_type, d.status, d.attempts, d.last_status, \
     d.last_error, d.next_attempt_at, d.delivered_at, d.created_at";

pub(crate) fn delivery(r: &impl Get) -> Result<crate::outbox::Delivery> {
    Ok(crate::outbox::Delivery {
        id: r.uuid("id")?,
        subscription_id: r.uuid("subscription_id")?,
        event_id: r.uuid("event_id")?,
        event_type: r.parsed("event_type", recoup_domain::event::EventType::parse)?,
        status: r.parsed("status", recoup_domain::webhook::DeliveryStatus::parse)?,
        attempts: count(r, "attempts")?,
        last_status: small(r, "last_status")?,
        last_error: r.opt_text("last_error")?,
        next_attempt_at: r.opt_int("next_attempt_at")?,
        delivered_at: r.opt_int("delivered_at")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) const ATTEMPT_COLS: &str = "attempt, at, status, error, duration_micros";

pub(crate) fn attempt(r: &impl Get) -> Result<crate::outbox::Attempt> {
    Ok(crate::outbox::Attempt {
        attempt: count(r, "attempt")?,
        at: r.int("at")?,
        status: small(r, "status")?,
        error: r.opt_text("error")?,
        duration_micros: r.int("duration_micros")?,
    })
}

pub(crate) const EVENT_COLS: &str = "tenant_id, id, type, occurred_at, subject_id, data";

pub(crate) fn event(r: &impl Get) -> Result<recoup_domain::event::Event> {
    let data = r.text("data")?;
    Ok(recoup_domain::event::Event {
        tenant_id: r.uuid("tenant_id")?,
        id: r.uuid("id")?,
        event_type: r.parsed("type", recoup_domain::event::EventType::parse)?,
        occurred_at: r.int("occurred_at")?,
        subject_id: r.uuid("subject_id")?,
        data: serde_json::from_str(&data).map_err(|e| corrupt("data", e))?,
    })
}

pub(crate) const JOB_COLS: &str = "tenant_id, id, kind, payload, attempts";

pub(crate) fn job(r: &impl Get) -> Result<crate::outbox::Job> {
    Ok(crate::outbox::Job {
        tenant_id: r.uuid("tenant_id")?,
        id: r.uuid("id")?,
        kind: r.parsed("kind", crate::outbox::JobKind::parse)?,
        payload: r.text("payload")?,
        attempts: count(r, "attempts")?,
    })
}

pub(crate) const NOTE_COLS: &str = "tenant_id, id, account_id, author, body, created_at";

pub(crate) fn note(r: &impl Get) -> Result<recoup_domain::note::Note> {
    Ok(recoup_domain::note::Note {
        tenant_id: r.uuid("tenant_id")?,
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        author: r.text("author")?,
        body: r.text("body")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) const LISTED_COLS: &str = "bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, updated_at";

pub(crate) fn listed(r: &impl Get) -> Result<crate::ListedAccount> {
    Ok(crate::ListedAccount { account: account(r)?, balance: amounts(r, "bal_")?, updated_at: r.int("updated_at")? })
}

pub(crate) fn record(r: &impl Get) -> Result<crate::servicing::Record> {
    let data = r.text("data")?;
    Ok(crate::servicing::Record {
        id: r.uuid("id")?,
        tenant_id: r.uuid("tenant_id")?,
        account_id: r.uuid("account_id")?,
        client_id: r.uuid("client_id")?,
        kind: r.parsed("kind", crate::servicing::RecordKind::parse)?,
        status: r.text("status")?,
        on_date: r.opt_date("on_date")?,
        data: serde_json::from_str(&data).map_err(|e| corrupt("data", e))?,
        created_at: r.int("created_at")?,
        updated_at: r.int("updated_at")?,
    })
}
