//! Messages (e-mails, texts, letters) as records of their account, and the outbox they move
//! through. A message is rendered when it is queued, so what is kept is what the person read.
//! The contact policy is asked twice: when the message is queued (so a blocked one is known at
//! once, and a deferred one waits for its time) and again just before it leaves (holds, opt-outs
//! and caps may have changed since). Each answer is kept as a [`ContactDecision`]; a message that
//! leaves is logged as a [`ContactAttempt`] so the frequency rules count it.

use super::contact::{self, Check, ContactAttempt};
use super::{Draft, Kept, Op, RecordKind, op};
use crate::outbox::JobKind;
use crate::{Actor, Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::account::Flag;
use recoup_domain::event::EventType;
use recoup_domain::hold::{Purpose, Recipient};
use recoup_domain::limitation::TimeBar;
use recoup_domain::message::MessageStatus;
use recoup_domain::policy::{Medium, Outcome};
use recoup_domain::validation_notice::Notice;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Which stored template a message was rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateRef {
    pub key: String,
    pub version: u32,
    pub language: String,
    pub purpose: String,
}

/// One step in a message's life, for its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageStep {
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub status: MessageStatus,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub id: Uuid,
    pub account_id: Uuid,
    pub contact_point_id: Uuid,
    /// email, sms or letter.
    #[schema(value_type = String)]
    pub medium: Medium,
    pub template: Option<TemplateRef>,
    /// The address, E.164 number or postal address it goes to.
    pub to: String,
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
    /// Set when this is the validation notice (Reg F 1006.34): its content, rendered as the letter.
    pub notice: Option<Notice>,
    /// The text threatens legal action: never for a time-barred debt (Reg F 1006.26(b)).
    pub legal_threat: bool,
    /// Sent without a person deciding (the strategy, a reminder).
    pub automated: bool,
    /// What it is for, as the holds judge it (a promise reminder may go where collection may not).
    #[schema(value_type = String)]
    pub purpose: Purpose,
    /// The one confirmation of an opt-out (Reg F 1006.14(h)).
    pub opt_out_confirmation: bool,
    pub status: MessageStatus,
    /// Not to leave before this instant (the policy's deferral, or a scheduled send).
    #[schema(value_type = String)]
    pub not_before: Timestamp,
    /// The policy's latest answer about it.
    pub decision_id: Option<Uuid>,
    pub transport: Option<String>,
    pub provider_id: Option<String>,
    /// Tries to hand it to the transport.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub steps: Vec<MessageStep>,
    pub created_by: String,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub sent_at: Option<Timestamp>,
}

impl Kept for Message {
    const KIND: RecordKind = RecordKind::Message;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    /// The day it left, or was queued: the print batch and the outbox are by day.
    fn on_date(&self) -> Option<Date> {
        Some(super::contact::utc_day(self.sent_at.unwrap_or(self.created_at)))
    }
}

impl Message {
    fn step(&mut self, at: Timestamp, to: MessageStatus, detail: impl Into<String>) -> Result<()> {
        if to != self.status {
            self.status = self.status.transition(to).map_err(|e| StoreError::Refused(e.to_string()))?;
        }
        self.steps.push(MessageStep { at, status: to, detail: detail.into() });
        Ok(())
    }
}

/// The policy's question about this message, asked of `point` at `at`.
pub fn check_for(m: &Message, point: recoup_domain::contact::ContactPoint, postal_state: Option<String>, at: Timestamp) -> Check {
    let intent = intent(m.medium, m.purpose, m.automated, m.opt_out_confirmation);
    Check { intent, point, postal_state, at }
}

/// What the policy is asked about a message to the consumer (before it is one, too).
pub fn intent(medium: Medium, purpose: Purpose, automated: bool, opt_out_confirmation: bool) -> recoup_domain::policy::Intent {
    recoup_domain::policy::Intent { medium, purpose, recipient: Recipient::Consumer, automated, opt_out_confirmation }
}

/// The job payload that sends a message.
pub fn job_payload(account_id: Uuid, message_id: Uuid) -> String {
    format!("{account_id}/{message_id}")
}

pub fn parse_job_payload(s: &str) -> Option<(Uuid, Uuid)> {
    let (a, m) = s.split_once('/')?;
    Some((a.parse().ok()?, m.parse().ok()?))
}

/// Reg F 1006.26(b): no suit or threat of suit on a time-barred debt: flagged so by the client,
/// or past its limitation period by the table (COMPLIANCE 17, 28).
fn legal_threat_block(d: &Draft<'_>, m: &Message, check: &Check) -> Option<String> {
    if !m.legal_threat {
        return None;
    }
    if d.account.flags.contains(Flag::TimeBarred) {
        return Some("the message threatens legal action and the debt is flagged time-barred (Reg F 1006.26(b))".into());
    }
    let today = super::contact::utc_day(check.at);
    match d.file.policy.limitation.judge(&d.account, check.postal_state.as_deref(), today) {
        TimeBar::Barred { since, source } => {
            Some(format!("the message threatens legal action and the limitation period ran on {since} ({source}; Reg F 1006.26(b))"))
        }
        _ => None,
    }
}

/// What the policy said, applied to the message: blocked, waiting, or free to go now.
enum Gate {
    Go,
    Wait(Timestamp),
    Blocked,
}

fn gate(d: &mut Draft<'_>, m: &mut Message, check: &Check) -> Result<Gate> {
    if let Some(why) = legal_threat_block(d, m, check) {
        m.step(check.at, MessageStatus::Blocked, why)?;
        return Ok(Gate::Blocked);
    }
    let decision = contact::decide(d, check)?;
    m.decision_id = Some(decision.id);
    let words = decision.words();
    match (decision.decision.as_str(), decision.until) {
        ("allow", _) => Ok(Gate::Go),
        ("defer", Some(until)) => {
            m.not_before = until;
            m.steps.push(MessageStep { at: check.at, status: MessageStatus::Queued, detail: format!("deferred until {until}: {words}") });
            Ok(Gate::Wait(until))
        }
        _ => {
            m.step(check.at, MessageStatus::Blocked, words)?;
            Ok(Gate::Blocked)
        }
    }
}

fn announce_block(d: &mut Draft<'_>, m: &Message) {
    let why = m.steps.last().map(|s| s.detail.clone()).unwrap_or_default();
    d.emit(EventType::MessageBlocked, m.id, json!({"message_id": m.id, "medium": m.medium, "reason": why, "decision_id": m.decision_id}));
}

/// Queues rendered messages (a first message with the validation notice it schedules, say): asks
/// the policy about each, keeps each (blocked, or queued with a send job at the first allowed
/// instant) and audits it. All land or none.
pub fn queue(items: Vec<(Message, Check)>, actor: &Actor) -> Op {
    op(actor, move |d| {
        for (message, check) in items {
            // Made already under this id (a carry-out taken up twice): it stays as it was.
            if d.find::<Message>(message.id)?.is_some() {
                continue;
            }
            queue_one(d, message, &check)?;
        }
        Ok(())
    })
}

fn queue_one(d: &mut Draft<'_>, message: Message, check: &Check) -> Result<()> {
    if !matches!(message.medium, Medium::Email | Medium::Sms | Medium::Letter) {
        return Err(StoreError::invalid("/medium", "messages are e-mails, texts or letters; calls are tasks"));
    }
    let mut m = Message {
        account_id: d.account.id,
        status: MessageStatus::Queued,
        created_by: d.actor.0.clone(),
        steps: vec![MessageStep { at: check.at, status: MessageStatus::Queued, detail: "queued".into() }],
        ..message
    };
    let run_at = match gate(d, &mut m, check)? {
        Gate::Go => Some(m.not_before.max(check.at)),
        Gate::Wait(until) => Some(until),
        Gate::Blocked => None,
    };
    if let Some(at) = run_at {
        d.enqueue(JobKind::MessageSend, job_payload(d.account.id, m.id), at.as_microsecond());
    } else {
        announce_block(d, &m);
    }
    d.audit(
        "message.queued",
        "message",
        m.id,
        json!({"medium": m.medium, "to": m.to, "status": m.status, "template": m.template, "decision_id": m.decision_id}),
    );
    d.put(&m);
    Ok(())
}

/// What the sender should do with a message it was asked to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Release {
    /// Hand it to the transport now.
    Send(Box<Message>),
    /// The policy wants it later.
    Later(Timestamp),
    /// It was blocked now, or is no longer queued: nothing to send.
    Nothing,
}

/// The policy's second look, just before a message leaves, at `check.at`.
pub fn release(message_id: Uuid, check: Check, actor: &Actor) -> Op {
    op(actor, move |d| {
        let Some(mut m) = d.find::<Message>(message_id)? else {
            return Err(StoreError::not_found("message", message_id));
        };
        if m.status != MessageStatus::Queued {
            return Ok(());
        }
        match gate(d, &mut m, &check)? {
            Gate::Go => m.attempts += 1,
            Gate::Wait(_) => {}
            Gate::Blocked => announce_block(d, &m),
        }
        d.put(&m);
        Ok(())
    })
}

/// Reads what [`release`] decided from the changes it returned.
pub fn released(changes: &super::Changes, message_id: Uuid, at: Timestamp) -> Result<Release> {
    let Ok(m) = super::changed::<Message>(changes, message_id) else {
        return Ok(Release::Nothing);
    };
    Ok(match m.status {
        MessageStatus::Queued if m.not_before > at => Release::Later(m.not_before),
        MessageStatus::Queued => Release::Send(Box::new(m)),
        _ => Release::Nothing,
    })
}

/// The transport took the message: it counts as a contact from now.
pub fn sent(message_id: Uuid, transport: String, provider_id: String, delivered: bool, at: Timestamp, actor: &Actor) -> Op {
    op(actor, move |d| {
        let Some(mut m) = d.find::<Message>(message_id)? else {
            return Err(StoreError::not_found("message", message_id));
        };
        if m.status != MessageStatus::Queued {
            return Ok(());
        }
        m.step(at, MessageStatus::Sent, format!("handed to {transport}"))?;
        if delivered {
            m.step(at, MessageStatus::Delivered, format!("{transport} reports it delivered"))?;
        }
        m.transport = Some(transport);
        m.provider_id = Some(provider_id);
        m.sent_at = Some(at);
        m.last_error = None;
        let attempt = ContactAttempt {
            id: Uuid::now_v7(),
            account_id: d.account.id,
            contact_point_id: Some(m.contact_point_id),
            medium: m.medium,
            at,
            outcome: Outcome::NoConversation,
            result: None,
            message_id: Some(m.id),
            inbound: false,
            by: d.actor.0.clone(),
            note: None,
            queue: None,
        };
        d.put(&attempt);
        d.audit("message.sent", "message", m.id, json!({"transport": m.transport, "provider_id": m.provider_id}));
        d.put(&m);
        Ok(())
    })
}

/// A try that did not work: queued again for `retry_at`, or failed (or bounced) for good.
pub fn not_sent(message_id: Uuid, error: String, retry_at: Option<Timestamp>, bounced: bool, at: Timestamp, actor: &Actor) -> Op {
    op(actor, move |d| {
        let Some(mut m) = d.find::<Message>(message_id)? else {
            return Err(StoreError::not_found("message", message_id));
        };
        if m.status != MessageStatus::Queued {
            return Ok(());
        }
        m.last_error = Some(error.clone());
        match retry_at {
            // The job's next run time carries the retry; `not_before` stays the policy's.
            Some(t) => {
                m.steps.push(MessageStep {
                    at,
                    status: MessageStatus::Queued,
                    detail: format!("try {} failed, retry at {t}: {error}", m.attempts),
                });
            }
            None => {
                let to = if bounced { MessageStatus::Bounced } else { MessageStatus::Failed };
                m.step(at, to, error.clone())?;
                d.audit("message.failed", "message", m.id, json!({"status": to, "error": error}));
            }
        }
        d.put(&m);
        Ok(())
    })
}

/// A provider's later word on a message (delivered, bounced, failed). Late or repeated reports
/// that would move it backwards are ignored.
pub fn provider_update(message_id: Uuid, to: MessageStatus, detail: String, at: Timestamp, actor: &Actor) -> Op {
    op(actor, move |d| {
        let Some(mut m) = d.find::<Message>(message_id)? else {
            return Err(StoreError::not_found("message", message_id));
        };
        if m.status == to || m.status.transition(to).is_err() {
            return Ok(());
        }
        m.step(at, to, detail)?;
        if matches!(to, MessageStatus::Bounced | MessageStatus::Failed) {
            mark_attempt_unconnected(d, m.id)?;
            d.audit("message.failed", "message", m.id, json!({"status": to, "provider_id": m.provider_id}));
        }
        d.put(&m);
        Ok(())
    })
}

/// A message that never reached the person does not count against the caps (Reg F 1006.14(b)(3)
/// by analogy: undeliverable is not a contact).
fn mark_attempt_unconnected(d: &mut Draft<'_>, message_id: Uuid) -> Result<()> {
    let attempts = d.all::<ContactAttempt>()?;
    if let Some(mut a) = attempts.into_iter().find(|a| a.message_id == Some(message_id)) {
        a.outcome = Outcome::NeverConnected;
        d.put(&a);
    }
    Ok(())
}

/// Cancels a queued message (a person decided it should not go).
pub fn cancel(message_id: Uuid, reason: String, actor: &Actor) -> Op {
    op(actor, move |d| {
        let Some(mut m) = d.find::<Message>(message_id)? else {
            return Err(StoreError::not_found("message", message_id));
        };
        if m.status != MessageStatus::Queued {
            return Err(StoreError::Refused(format!("the message is {}, not queued", m.status.as_str())));
        }
        m.step(Timestamp::from_microsecond(d.now).unwrap_or(m.created_at), MessageStatus::Cancelled, reason.clone())?;
        d.audit("message.cancelled", "message", m.id, json!({"reason": reason}));
        d.put(&m);
        Ok(())
    })
}
