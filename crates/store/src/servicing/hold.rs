//! Holds as records: who placed each and why, the details its kind needs (a bankruptcy's chapter
//! and case, the attorney, the estate's contact), and when and why it was released. What each
//! kind blocks is `recoup_domain::hold`'s to say; here an active hold also sets the account flag
//! worklists and filters read, and a recall moves the account to `recalled`.

use super::{Draft, Kept, Op, RecordKind, op};
use crate::{Actor, Result, StoreError};
use jiff::civil::Date;
use recoup_domain::account::{AccountStatus, Flag};
use recoup_domain::event::EventType;
use recoup_domain::hold::{Hold, HoldKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    Active,
    Released,
}

/// Someone to contact instead of the debtor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Representative {
    pub name: String,
    #[serde(default)]
    pub firm: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// What a kind of hold needs to be acted on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldDetails {
    /// Bankruptcy: 7, 11 or 13.
    #[serde(default)]
    pub chapter: Option<u8>,
    #[serde(default)]
    pub case_number: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub filed_on: Option<Date>,
    /// Attorney representation: the attorney; deceased: the estate's representative.
    #[serde(default)]
    pub contact: Option<Representative>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HoldRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: HoldKind,
    pub reason: String,
    pub details: HoldDetails,
    pub placed_on: Date,
    /// Last day covered (hardship pauses); `None` until released.
    pub until: Option<Date>,
    /// The dispute that placed it.
    pub dispute_id: Option<Uuid>,
    pub status: HoldStatus,
    pub placed_by: String,
    pub released_on: Option<Date>,
    pub released_by: Option<String>,
    pub release_reason: Option<String>,
}

impl HoldRecord {
    pub fn as_hold(&self) -> Hold {
        Hold { kind: self.kind, placed_on: self.placed_on, until: self.until }
    }
}

impl Kept for HoldRecord {
    const KIND: RecordKind = RecordKind::Hold;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        match self.status {
            HoldStatus::Active => "active".into(),
            HoldStatus::Released => "released".into(),
        }
    }
    fn on_date(&self) -> Option<Date> {
        match self.status {
            HoldStatus::Active => self.until,
            HoldStatus::Released => self.released_on,
        }
    }
}

/// Where a vulnerable customer's account is worked: by specialists, never the general queues
/// (COMPLIANCE 29: the vulnerability flag routes the account to a specialist queue; FCA FG21/1).
pub const SPECIALIST_QUEUE: &str = "vulnerable-customers";

/// The flag an active hold of `kind` sets, if any.
fn flag(kind: HoldKind) -> Option<Flag> {
    match kind {
        HoldKind::Dispute => Some(Flag::Disputed),
        HoldKind::Cease => Some(Flag::Cease),
        HoldKind::Bankruptcy => Some(Flag::Bankruptcy),
        HoldKind::Deceased => Some(Flag::Deceased),
        HoldKind::AttorneyRepresented => Some(Flag::AttorneyRepresented),
        HoldKind::Vulnerability => Some(Flag::Vulnerable),
        HoldKind::HardshipPause | HoldKind::Recall => None,
    }
}

/// The account's holds not yet released, as the domain judges them.
pub fn in_force(d: &Draft<'_>) -> Result<Vec<Hold>> {
    Ok(d.all::<HoldRecord>()?.iter().filter(|h| h.status == HoldStatus::Active).map(HoldRecord::as_hold).collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub id: Uuid,
    pub kind: HoldKind,
    pub reason: String,
    pub details: HoldDetails,
    pub until: Option<Date>,
}

fn check(h: &NewHold, today: Date) -> Result<()> {
    if h.reason.trim().is_empty() || h.reason.chars().count() > 2_000 {
        return Err(StoreError::invalid("/reason", "say why, in at most 2,000 characters"));
    }
    match h.kind {
        HoldKind::HardshipPause if h.until.is_none_or(|u| u < today) => {
            Err(StoreError::invalid("/until", "a hardship pause needs its last day, today or later"))
        }
        HoldKind::Bankruptcy if !matches!(h.details.chapter, Some(7 | 11 | 13)) => {
            Err(StoreError::invalid("/details/chapter", "a bankruptcy needs its chapter: 7, 11 or 13"))
        }
        HoldKind::Bankruptcy if h.details.case_number.as_deref().is_none_or(|c| c.trim().is_empty()) => {
            Err(StoreError::invalid("/details/case_number", "a bankruptcy needs its case number"))
        }
        HoldKind::AttorneyRepresented if !reachable(&h.details.contact) => {
            Err(StoreError::invalid("/details/contact", "attorney representation needs the attorney's name and a phone or e-mail"))
        }
        _ if h.kind != HoldKind::HardshipPause && h.until.is_some() => {
            Err(StoreError::invalid("/until", "only a hardship pause ends on a set day; release the others"))
        }
        _ => Ok(()),
    }
}

fn reachable(c: &Option<Representative>) -> bool {
    c.as_ref().is_some_and(|c| !c.name.trim().is_empty() && (c.phone.is_some() || c.email.is_some()))
}

/// Places a hold on `today`.
pub fn add(h: NewHold, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| place(d, h, today, None).map(|_| ()))
}

/// Places a hold inside another action (a dispute places its own); returns the record.
pub(crate) fn place(d: &mut Draft<'_>, h: NewHold, today: Date, dispute_id: Option<Uuid>) -> Result<HoldRecord> {
    check(&h, today)?;
    let active = d.all::<HoldRecord>()?;
    if h.kind != HoldKind::Dispute && active.iter().any(|x| x.status == HoldStatus::Active && x.kind == h.kind) {
        return Err(StoreError::Refused(format!("the account already has an active {} hold", h.kind.as_str())));
    }
    let rec = HoldRecord {
        id: h.id,
        account_id: d.account.id,
        kind: h.kind,
        reason: h.reason,
        details: h.details,
        placed_on: today,
        until: h.until,
        dispute_id,
        status: HoldStatus::Active,
        placed_by: d.actor.0.clone(),
        released_on: None,
        released_by: None,
        release_reason: None,
    };
    d.put(&rec);
    if let Some(f) = flag(rec.kind) {
        d.account.flags.0.insert(f);
        d.touch_account();
    }
    if rec.kind == HoldKind::Recall {
        d.set_status(AccountStatus::Recalled, &rec.reason)?;
    }
    if rec.kind == HoldKind::Vulnerability {
        d.account.queue = Some(SPECIALIST_QUEUE.into());
        d.touch_account();
    }
    let data = json!({"hold_id": rec.id, "kind": rec.kind.as_str(), "reason": rec.reason, "until": rec.until, "dispute_id": dispute_id});
    d.audit("hold.added", "account", d.account.id, data.clone());
    d.emit(EventType::HoldAdded, rec.id, data);
    Ok(rec)
}

/// Releases a hold on `today` with the reason.
pub fn release(id: Uuid, reason: String, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        if reason.trim().is_empty() {
            return Err(StoreError::invalid("/reason", "say why the hold ends"));
        }
        let h = d.find::<HoldRecord>(id)?.ok_or_else(|| StoreError::not_found("hold", id))?;
        if h.kind == HoldKind::Dispute {
            return Err(StoreError::Refused("a dispute's hold ends when the dispute moves on (verification sent or resolved)".into()));
        }
        lift(d, h, &reason, today)
    })
}

/// Ends a hold inside another action.
pub(crate) fn lift(d: &mut Draft<'_>, mut h: HoldRecord, reason: &str, today: Date) -> Result<()> {
    if h.status == HoldStatus::Released {
        return Err(StoreError::Refused("the hold was already released".into()));
    }
    h.status = HoldStatus::Released;
    h.released_on = Some(today);
    h.released_by = Some(d.actor.0.clone());
    h.release_reason = Some(reason.to_string());
    d.put(&h);
    let still = d.all::<HoldRecord>()?.iter().any(|x| x.status == HoldStatus::Active && x.kind == h.kind);
    if let (Some(f), false) = (flag(h.kind), still) {
        d.account.flags.0.remove(&f);
        d.touch_account();
    }
    if h.kind == HoldKind::Vulnerability && !still && d.account.queue.as_deref() == Some(SPECIALIST_QUEUE) {
        d.account.queue = None;
        d.touch_account();
    }
    if h.kind == HoldKind::Recall && d.account.status == AccountStatus::Recalled {
        d.set_status(AccountStatus::Active, reason)?;
    }
    let data = json!({"hold_id": h.id, "kind": h.kind.as_str(), "reason": reason});
    d.audit("hold.released", "account", d.account.id, data.clone());
    d.emit(EventType::HoldReleased, h.id, data);
    Ok(())
}

/// Releases hardship pauses whose last day has passed.
pub(crate) fn expire(d: &mut Draft<'_>, today: Date) -> Result<()> {
    let ended: Vec<HoldRecord> =
        d.all::<HoldRecord>()?.into_iter().filter(|h| h.status == HoldStatus::Active && h.until.is_some_and(|u| u < today)).collect();
    for h in ended {
        lift(d, h, "the hardship pause ended", today)?;
    }
    Ok(())
}
