//! The decisions behind each write, made once for both backends: what ledger entry a posting
//! becomes, what a re-placement changes, and which audit events go with them. Backends only read
//! the inputs and execute the result inside their transaction.

use crate::{Actor, Posting, StoreError};
use jiff::civil::Date;
use recoup_domain::account::{Account, AccountStatus};
use recoup_domain::audit::AuditEvent;
use recoup_domain::contact::{Channel, ConsentState, ContactKind, ContactPoint};
use recoup_domain::event::{Event, EventType};
use recoup_domain::ledger::{self, Amounts, EntryKind, LedgerEntry, Waterfall};
use recoup_domain::note::Note;
use recoup_domain::org::{ImportCounts, Placement, PlacementStatus};
use recoup_domain::placement::{self, PlacedAccount};
use serde_json::json;
use uuid::Uuid;

pub(crate) fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// Today in UTC: which months are over, for keeping month-end balances.
pub(crate) fn today() -> Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

fn amounts_json(a: &Amounts) -> serde_json::Value {
    json!({"principal": a.principal, "interest": a.interest, "fees": a.fees, "costs": a.costs, "credit": a.credit})
}

pub(crate) fn event(actor: &Actor, action: &str, entity: &str, entity_id: Uuid, data: serde_json::Value) -> AuditEvent {
    AuditEvent { actor: actor.0.clone(), action: action.to_string(), entity: entity.to_string(), entity_id, data: data.to_string() }
}

pub(crate) fn api_key_event(actor: &Actor, action: &str, key: &recoup_domain::access::ApiKey) -> AuditEvent {
    event(
        actor,
        action,
        "api_key",
        key.id,
        json!({"name": key.name, "role": key.role.as_str(), "prefix": key.prefix, "client_id": key.client_id}),
    )
}

pub(crate) fn user_event(actor: &Actor, action: &str, user: &recoup_domain::access::User) -> AuditEvent {
    event(
        actor,
        action,
        "user",
        user.id,
        json!({"email": user.email, "role": user.role.as_str(), "client_id": user.client_id, "disabled": user.disabled}),
    )
}

/// The charge that brings the balance the client reports onto a new account.
pub(crate) fn opening_entry(placement: &Placement, row: &PlacedAccount) -> LedgerEntry {
    LedgerEntry {
        id: Uuid::now_v7(),
        account_id: row.account.id,
        kind: EntryKind::Charge,
        currency: row.account.currency,
        effective_on: placement.placed_on,
        delta: Amounts { credit: 0, ..row.reported },
        reverses: None,
        memo: format!("placed balance, placement {}", placement.id),
    }
}

/// The opening ledger entry and audit event of an account placed for the first time.
pub(crate) fn plan_create(placement: &Placement, row: &PlacedAccount, actor: &Actor) -> (Option<LedgerEntry>, AuditEvent) {
    let a = &row.account;
    let opening = (row.reported.owed() > 0).then(|| opening_entry(placement, row));
    let ev = event(
        actor,
        "account.placed",
        "account",
        a.id,
        json!({
            "external_ref": a.external_ref,
            "placement_id": placement.id,
            "currency": a.currency.code(),
            "reported": amounts_json(&row.reported),
            "ledger_entry_id": opening.as_ref().map(|e| e.id),
        }),
    );
    (opening, ev)
}

/// What is stored for an account the file names again.
pub(crate) struct Existing {
    pub account: Account,
    pub reported: Amounts,
    pub balance: Amounts,
    pub fingerprint: Vec<u8>,
    pub primary_party_id: Option<Uuid>,
    /// (kind, value) of the primary party's contact points.
    pub contacts: Vec<(ContactKind, String)>,
}

pub(crate) enum UpdatePlan {
    Unchanged,
    Refused(String),
    Update(Box<Update>),
}

pub(crate) struct Update {
    pub account: Account,
    pub reported: Amounts,
    pub adjustment: Option<LedgerEntry>,
    pub balance: Amounts,
    pub primary_party: Option<recoup_domain::party::Party>,
    pub new_contacts: Vec<ContactPoint>,
    pub event: AuditEvent,
}

/// A re-placement updates what the client owns (creditors, dates, product, its flags, names,
/// new contact points) and keeps what recoup owns (status, stage, queue, agent, score, flags set
/// here, consent recorded on existing contact points). Money moves by the difference between
/// the new and the previous report, never to the new report outright: payments taken in recoup
/// since the last file are not the client's to undo.
pub(crate) fn plan_update(existing: Existing, row: &PlacedAccount, placed_on: Date, actor: &Actor) -> UpdatePlan {
    if existing.fingerprint == row.fingerprint {
        return UpdatePlan::Unchanged;
    }
    let old = existing.account;
    if old.currency != row.account.currency {
        return UpdatePlan::Refused(format!("currency changed from {} to {}", old.currency, row.account.currency));
    }
    let mut flags = old.flags.clone();
    flags.0.extend(row.account.flags.0.iter().copied());
    let account = Account {
        id: old.id,
        tenant_id: old.tenant_id,
        client_id: old.client_id,
        portfolio_id: old.portfolio_id,
        placement_id: old.placement_id,
        status: old.status,
        stage: old.stage,
        queue: old.queue.clone(),
        agent_id: old.agent_id,
        score: old.score,
        flags,
        ..row.account.clone()
    };
    let delta = placement::replacement_adjustment(&existing.reported, &row.reported);
    let (adjustment, balance) = if delta.is_zero() {
        (None, existing.balance)
    } else {
        match ledger::apply(&existing.balance, EntryKind::Adjustment, &delta) {
            Ok(b) => (
                Some(LedgerEntry {
                    id: Uuid::now_v7(),
                    account_id: old.id,
                    kind: EntryKind::Adjustment,
                    currency: old.currency,
                    effective_on: placed_on,
                    delta,
                    reverses: None,
                    memo: "client re-placement changed the reported balance".into(),
                }),
                b,
            ),
            Err(e) => {
                return UpdatePlan::Refused(format!("the new reported balance cannot be applied: {e}"));
            }
        }
    };
    let primary = row.parties.iter().find(|p| p.role == recoup_domain::party::PartyRole::Primary);
    let (primary_party, new_contacts) = match (primary, existing.primary_party_id) {
        (Some(p), Some(pid)) => {
            let party = recoup_domain::party::Party { id: pid, ..p.party.clone() };
            let fresh = p
                .contact_points
                .iter()
                .filter(|c| !existing.contacts.iter().any(|(k, v)| *k == c.kind && *v == c.value))
                .map(|c| ContactPoint { party_id: pid, ..c.clone() })
                .collect();
            (Some(party), fresh)
        }
        _ => (None, Vec::new()),
    };
    let event = event(
        actor,
        "account.replaced",
        "account",
        old.id,
        json!({
            "external_ref": account.external_ref,
            "reported": amounts_json(&row.reported),
            "adjustment": adjustment.as_ref().map(|e| json!({"id": e.id, "delta": amounts_json(&e.delta)})),
            "new_contact_points": new_contacts.len(),
        }),
    );
    UpdatePlan::Update(Box::new(Update { account, reported: row.reported, adjustment, balance, primary_party, new_contacts, event }))
}

/// Everything a backend needs to post one entry.
pub(crate) struct PostingPlan {
    pub entry: LedgerEntry,
    pub balance: Amounts,
    pub event: AuditEvent,
    /// `payment.posted` or `payment.reversed` for integrators; other postings tell nobody.
    pub business: Option<Event>,
}

/// One posting as asked for: what, on which day, why and by whom.
pub(crate) struct PostingInput<'a> {
    pub posting: &'a Posting,
    pub effective_on: Date,
    pub memo: &'a str,
    pub actor: &'a Actor,
}

/// Turns a posting into a checked ledger entry. `entries` is the account's ledger so far; it is
/// needed only to find and check the payment a reversal undoes.
pub(crate) fn plan_posting(
    account: &Account,
    waterfall: &Waterfall,
    balance: &Amounts,
    entries: &[LedgerEntry],
    input: &PostingInput<'_>,
) -> Result<PostingPlan, StoreError> {
    let PostingInput { posting, effective_on, memo, actor } = *input;
    let (kind, delta, reverses) = match posting {
        Posting::Payment { amount_minor } => (EntryKind::Payment, ledger::payment(balance, *amount_minor, waterfall)?, None),
        Posting::Reversal { payment_id } => {
            let payment = entries.iter().find(|e| e.id == *payment_id).ok_or_else(|| StoreError::not_found("payment", payment_id))?;
            (EntryKind::Reversal, ledger::reversal(balance, payment, entries)?, Some(*payment_id))
        }
        Posting::Interest { amount_minor } => (EntryKind::Interest, Amounts::only(ledger::Component::Interest, *amount_minor), None),
        Posting::Fee { fees_minor, costs_minor } => {
            (EntryKind::Fee, Amounts { fees: *fees_minor, costs: *costs_minor, ..Default::default() }, None)
        }
        Posting::Charge { delta } => (EntryKind::Charge, *delta, None),
        Posting::Adjustment { delta } => (EntryKind::Adjustment, *delta, None),
        Posting::WriteOffAll => (EntryKind::WriteOff, ledger::write_off_all(balance)?, None),
    };
    let next = ledger::apply(balance, kind, &delta)?;
    let entry = LedgerEntry {
        id: Uuid::now_v7(),
        account_id: account.id,
        kind,
        currency: account.currency,
        effective_on,
        delta,
        reverses,
        memo: memo.to_string(),
    };
    let event = event(
        actor,
        "ledger.posted",
        "account",
        account.id,
        json!({
            "entry_id": entry.id,
            "kind": kind.as_str(),
            "effective_on": effective_on.to_string(),
            "delta": amounts_json(&delta),
            "reverses": reverses,
            "balance": amounts_json(&next),
            "memo": memo,
        }),
    );
    let business = match kind {
        EntryKind::Payment => Some(EventType::PaymentPosted),
        EntryKind::Reversal => Some(EventType::PaymentReversed),
        _ => None,
    }
    .map(|t| {
        let mut data = account_ref(account);
        data["entry_id"] = json!(entry.id);
        data["currency"] = json!(account.currency.code());
        data["effective_on"] = json!(effective_on.to_string());
        data["allocation"] = amounts_json(&delta);
        data["balance"] = amounts_json(&next);
        data["reverses"] = json!(reverses);
        business_event(account.tenant_id, t, account.id, data)
    });
    Ok(PostingPlan { entry, balance: next, event, business })
}

/// What every account event carries, so a receiver can match it without another call.
fn account_ref(a: &Account) -> serde_json::Value {
    json!({"account_id": a.id, "external_ref": a.external_ref, "client_id": a.client_id, "portfolio_id": a.portfolio_id})
}

pub(crate) fn business_event(tenant_id: Uuid, event_type: EventType, subject_id: Uuid, data: serde_json::Value) -> Event {
    Event { id: Uuid::now_v7(), tenant_id, event_type, occurred_at: now_micros(), subject_id, data }
}

pub(crate) fn account_placed(a: &Account, created: bool) -> Event {
    let mut data = account_ref(a);
    data["placement_id"] = json!(a.placement_id);
    let t = if created { EventType::AccountCreated } else { EventType::AccountUpdated };
    business_event(a.tenant_id, t, a.id, data)
}

pub(crate) fn status_changed(a: &Account, from: AccountStatus, reason: &str) -> Event {
    let mut data = account_ref(a);
    data["from"] = json!(from.as_str());
    data["to"] = json!(a.status.as_str());
    data["reason"] = json!(reason);
    business_event(a.tenant_id, EventType::AccountStatusChanged, a.id, data)
}

pub(crate) fn consent_changed(cp: &ContactPoint, channel: Channel, from: ConsentState) -> Event {
    let data = json!({
        "contact_point_id": cp.id,
        "party_id": cp.party_id,
        "channel": channel.as_str(),
        "from": from.as_str(),
        "to": cp.consent.get(channel).as_str(),
    });
    business_event(cp.tenant_id, EventType::ConsentChanged, cp.id, data)
}

pub(crate) fn placement_completed(tenant_id: Uuid, placement_id: Uuid, status: PlacementStatus, n: &ImportCounts) -> Event {
    let data = json!({
        "placement_id": placement_id,
        "status": status.as_str(),
        "rows_read": n.read,
        "created": n.created,
        "updated": n.updated,
        "unchanged": n.unchanged,
        "rejected": n.rejected,
    });
    business_event(tenant_id, EventType::PlacementCompleted, placement_id, data)
}

pub(crate) fn note_event(actor: &Actor, note: &Note) -> AuditEvent {
    event(actor, "note.added", "account", note.account_id, json!({"note_id": note.id, "body": note.body}))
}

pub(crate) fn note_added(note: &Note) -> Event {
    let data = json!({"account_id": note.account_id, "note_id": note.id, "author": note.author});
    business_event(note.tenant_id, EventType::NoteAdded, note.account_id, data)
}

/// Applies an assignment to an account: the account as it will be, and the audit and business
/// events, or `None` when nothing changes.
pub(crate) fn plan_assign(a: &Account, change: &crate::Assignment, actor: &Actor) -> Option<(Account, AuditEvent, Event)> {
    let mut next = a.clone();
    if let Some(stage) = change.stage {
        next.stage = stage;
    }
    if let Some(queue) = &change.queue {
        next.queue = queue.clone();
    }
    if let Some(agent) = change.agent_id {
        next.agent_id = agent;
    }
    if next == *a {
        return None;
    }
    let diff = json!({
        "stage": {"from": a.stage.as_str(), "to": next.stage.as_str()},
        "queue": {"from": a.queue, "to": next.queue},
        "agent_id": {"from": a.agent_id, "to": next.agent_id},
    });
    let audit = event(actor, "account.assigned", "account", a.id, diff.clone());
    let mut data = account_ref(&next);
    data["changes"] = diff;
    let business = business_event(a.tenant_id, EventType::AccountUpdated, a.id, data);
    Some((next, audit, business))
}
