//! Contacts as records: each attempt made (a call and how it ended, a message sent) and each
//! decision the contact policy gave, with its reasons, so that "why could we not call this
//! person on Tuesday" has an answer later. The policy itself is `recoup_domain::policy`; here it
//! is given the account's holds, flags and history as they stand in the same transaction.

use super::{Draft, Kept, Op, RecordKind, op};
use crate::{Actor, Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::contact::ContactPoint;
use recoup_domain::message::CallResult;
use recoup_domain::policy::{self, Attempt, Decision, Intent, Medium, Outcome};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub fn utc_day(t: Timestamp) -> Date {
    t.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// One contact made or received about the debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactAttempt {
    pub id: Uuid,
    pub account_id: Uuid,
    pub contact_point_id: Option<Uuid>,
    #[schema(value_type = String)]
    pub medium: Medium,
    #[schema(value_type = String)]
    pub at: Timestamp,
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// How a call ended, when this is a call; it decides `outcome`.
    #[serde(default)]
    pub result: Option<CallResult>,
    /// The message this attempt sent, when it was one.
    #[serde(default)]
    pub message_id: Option<Uuid>,
    /// The person contacted us.
    pub inbound: bool,
    pub by: String,
    pub note: Option<String>,
    /// The worklist queue of the call task this call worked, so the floor can be read by queue;
    /// set from the task when the call is logged, never by the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
}

impl ContactAttempt {
    /// An outbound call as an agent logs it: how it ended decides the outcome.
    pub fn call(account_id: Uuid, at: Timestamp, result: CallResult) -> ContactAttempt {
        ContactAttempt {
            id: Uuid::now_v7(),
            account_id,
            contact_point_id: None,
            medium: Medium::Call,
            at,
            outcome: result.outcome(),
            result: Some(result),
            message_id: None,
            inbound: false,
            by: String::new(),
            note: None,
            queue: None,
        }
    }
}

impl Kept for ContactAttempt {
    const KIND: RecordKind = RecordKind::ContactAttempt;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        serde_json::to_value(self.outcome).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    }
    fn on_date(&self) -> Option<Date> {
        Some(utc_day(self.at))
    }
}

/// A reason as kept: the policy's code, the rule's source and the words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KeptReason {
    pub code: String,
    pub rule: String,
    pub detail: String,
}

/// A policy decision as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactDecision {
    pub id: Uuid,
    pub account_id: Uuid,
    /// For the compliance report by portfolio.
    #[serde(default)]
    pub portfolio_id: Option<Uuid>,
    pub contact_point_id: Uuid,
    #[schema(value_type = String)]
    pub medium: Medium,
    /// When the contact would be made.
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// allow, defer or block.
    pub decision: String,
    /// For a deferral: the first instant the contact is allowed.
    #[schema(value_type = Option<String>)]
    pub until: Option<Timestamp>,
    pub reasons: Vec<KeptReason>,
    pub profile: String,
    pub asked_by: String,
}

impl ContactDecision {
    /// The reasons in words, each with its rule.
    pub fn words(&self) -> String {
        self.reasons.iter().map(|r| format!("{} ({})", r.detail, r.rule)).collect::<Vec<_>>().join("; ")
    }
}

impl Kept for ContactDecision {
    const KIND: RecordKind = RecordKind::ContactDecision;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.decision.clone()
    }
    fn on_date(&self) -> Option<Date> {
        Some(utc_day(self.at))
    }
}

/// Records a contact made or received; a call that worked a task closes it.
pub fn log(attempt: ContactAttempt, task_id: Option<Uuid>, actor: &Actor) -> Op {
    op(actor, move |d| {
        if attempt.note.as_ref().is_some_and(|n| n.chars().count() > 4_000) {
            return Err(StoreError::invalid("/note", "at most 4,000 characters"));
        }
        let outcome = attempt.result.map(CallResult::outcome).unwrap_or(attempt.outcome);
        let task = task_id.map(|t| super::task::open_task(d, t)).transpose()?;
        let queue = task.as_ref().map(|t| t.queue.clone());
        let a = ContactAttempt { account_id: d.account.id, by: d.actor.0.clone(), outcome, queue, ..attempt };
        d.put(&a);
        d.audit(
            "contact.logged",
            "account",
            d.account.id,
            json!({"attempt_id": a.id, "medium": a.medium, "outcome": a.outcome, "result": a.result, "at": a.at.to_string()}),
        );
        if let Some(t) = task {
            super::task::close_in(d, t, a.id);
        }
        Ok(())
    })
}

/// What a check needs beside the account's own file.
#[derive(Debug, Clone)]
pub struct Check {
    pub intent: Intent,
    pub point: ContactPoint,
    pub postal_state: Option<String>,
    pub at: Timestamp,
}

/// The account's contact history in the policy's terms. A message that confirmed an opt-out is
/// marked, so the one confirmation the rules allow is given once.
fn history(d: &Draft<'_>) -> Result<Vec<Attempt>> {
    let confirmations: Vec<Uuid> =
        d.all::<super::message::Message>()?.into_iter().filter(|m| m.opt_out_confirmation).map(|m| m.id).collect();
    Ok(d.all::<ContactAttempt>()?
        .into_iter()
        .map(|a| Attempt {
            at: a.at,
            medium: a.medium,
            outcome: a.outcome,
            inbound: a.inbound,
            opt_out_confirmation: a.message_id.is_some_and(|m| confirmations.contains(&m)),
        })
        .collect())
}

/// Asks the policy about a contact at `c.at`, under the profile the client's policy names for
/// the account's portfolio, and keeps its answer with the reasons. Returns the decision kept.
pub(crate) fn decide(d: &mut Draft<'_>, c: &Check) -> Result<ContactDecision> {
    let rec = judge(d, c)?;
    d.put(&rec);
    Ok(rec)
}

/// The policy's answer about a contact, not kept.
fn judge(d: &Draft<'_>, c: &Check) -> Result<ContactDecision> {
    let profile =
        d.file.policy.contact_profile(d.account.portfolio_id).map_err(|e| StoreError::Corrupt(format!("contact profile: {e}")))?;
    let holds = super::hold::in_force(d)?;
    let history = history(d)?;
    let prefs = d.find::<super::preference::ContactPreferences>(d.account.id)?.unwrap_or_default();
    let req = policy::Request {
        intent: c.intent,
        point: &c.point,
        postal_state: c.postal_state.as_deref(),
        holds: &holds,
        flags: &d.account.flags,
        history: &history,
        inconvenient: &prefs.inconvenient,
        call_consent: prefs.call_consent_at,
        workplace_prohibited: prefs.workplace_prohibited,
        first_party: false,
        now: c.at,
    };
    let verdict = policy::evaluate(&req, &profile);
    let (decision, until) = match verdict.decision {
        Decision::Allow => ("allow", None),
        Decision::Defer { until } => ("defer", Some(until)),
        Decision::Block => ("block", None),
    };
    let rec = ContactDecision {
        id: Uuid::now_v7(),
        account_id: d.account.id,
        portfolio_id: Some(d.account.portfolio_id),
        contact_point_id: c.point.id,
        medium: c.intent.medium,
        at: c.at,
        decision: decision.into(),
        until,
        reasons: verdict
            .reasons
            .iter()
            .map(|r| KeptReason { code: r.code.into(), rule: r.rule.into(), detail: r.detail.clone() })
            .collect(),
        profile: profile.name.clone(),
        asked_by: d.actor.0.clone(),
    };
    Ok(rec)
}

/// The policy's answer about a contact, asked of the account's file as it stands, kept nowhere:
/// for "why can't I contact this person now", which must not itself count as a decision.
pub fn explain(file: &super::AccountFile, c: &Check, actor: &Actor) -> Result<ContactDecision> {
    judge(&Draft::new(file, actor), c)
}

/// Asks the policy about a contact and keeps its answer (an agent before dialing, an integrator).
pub fn check(c: Check, actor: &Actor) -> Op {
    op(actor, move |d| decide(d, &c).map(|_| ()))
}
