//! The outbox and the job queue. A change that integrators should hear of writes its event, one
//! delivery per subscription that wants it, and a job per delivery, all in the transaction of the
//! change; workers on any node then claim the jobs, send, and record each attempt.

use crate::{Actor, Result, ops};
use async_trait::async_trait;
use recoup_domain::event::{Event, EventType};
use recoup_domain::webhook::{DeliveryStatus, Subscription};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// What a job does. The payload's shape belongs to the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Payload: the delivery's id.
    WebhookDelivery,
    /// Payload: `<account id>/<message id>`.
    MessageSend,
    /// Payload: the run's date: make the messages and tasks its queued actions ask for.
    StrategyCarryOut,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::WebhookDelivery => "webhook.delivery",
            JobKind::MessageSend => "message.send",
            JobKind::StrategyCarryOut => "strategy.carry_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [JobKind::WebhookDelivery, JobKind::MessageSend, JobKind::StrategyCarryOut].into_iter().find(|k| k.as_str() == s)
    }
}

/// A claimed job: it is leased to the claimer until it is finished or the lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: JobKind,
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// One event's trip to one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The receiver's HTTP status on the last attempt, if it answered.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// UTC microseconds; set while pending.
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
}

/// One try at a delivery, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub attempt: u32,
    /// UTC microseconds.
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_micros: i64,
}

/// A job to add in the transaction of the change that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: String,
    /// UTC microseconds.
    pub run_at: i64,
}

/// How a job ended, for jobs whose work is recorded elsewhere (a message's own status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    Done,
    /// Try again at this UTC microsecond, keeping why this try failed.
    RetryAt(i64, String),
    Dead(String),
}

/// What the worker decided after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(i64),
    GiveUp,
}

/// Everything a worker needs to send a delivery.
#[derive(Debug, Clone)]
pub struct DeliveryWork {
    pub delivery: Delivery,
    pub event: Event,
    pub subscription: Subscription,
    pub secret: String,
}

#[async_trait]
pub trait Webhooks: Send + Sync {
    async fn create_subscription(&self, sub: &Subscription, secret: &str, actor: &Actor) -> Result<()>;
    async fn subscriptions(&self, tenant_id: Uuid) -> Result<Vec<Subscription>>;
    async fn subscription(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Subscription>>;
    /// Saves a subscription's URL, event types, description and active flag.
    async fn update_subscription(&self, sub: &Subscription, actor: &Actor) -> Result<()>;
    /// A subscription's deliveries, newest first, before `before` (keyset pagination).
    async fn deliveries(&self, tenant_id: Uuid, subscription_id: Uuid, before: Option<Uuid>, limit: u32) -> Result<Vec<Delivery>>;
    async fn delivery(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Delivery>>;
    async fn attempts(&self, tenant_id: Uuid, delivery_id: Uuid) -> Result<Vec<Attempt>>;
    /// Sends a delivery again, whatever became of it: back to pending with a new job.
    async fn redeliver(&self, tenant_id: Uuid, delivery_id: Uuid, actor: &Actor) -> Result<Delivery>;
    /// Emits a `webhook.ping` event to this subscription alone.
    async fn ping(&self, tenant_id: Uuid, subscription_id: Uuid, actor: &Actor) -> Result<Delivery>;
    async fn delivery_work(&self, tenant_id: Uuid, delivery_id: Uuid) -> Result<Option<DeliveryWork>>;
    /// Logs an attempt and, in the same transaction, moves the delivery and its job on.
    async fn record_attempt(&self, job: &Job, delivery_id: Uuid, attempt: &Attempt, outcome: AttemptOutcome) -> Result<()>;
}

#[async_trait]
pub trait Jobs: Send + Sync {
    /// Leases up to `limit` due jobs (queued and due, or running with an expired lease) until
    /// `now + lease_micros`, of one tenant or (`None`) of all. Two claimers never get the same
    /// job while its lease holds.
    async fn claim_jobs(&self, tenant: Option<Uuid>, now: i64, lease_micros: i64, limit: u32) -> Result<Vec<Job>>;
    /// Adds a job under a known id, so asking twice makes one job: one already queued or
    /// running is left as it is, one done or dead is queued again.
    async fn enqueue_job(&self, tenant_id: Uuid, id: Uuid, job: &NewJob) -> Result<()>;
    /// Marks a job that could not be run as dead, with why.
    async fn bury_job(&self, job: &Job, error: &str) -> Result<()> {
        self.finish_job(job, &JobEnd::Dead(error.to_string())).await
    }
    /// Ends a claimed job: done, back in the queue for later, or dead.
    async fn finish_job(&self, job: &Job, end: &JobEnd) -> Result<()>;
    /// Jobs not yet done or dead (for tests and the console).
    async fn pending_jobs(&self, tenant_id: Uuid) -> Result<u64>;
}

/// The rows a batch of events becomes: the events some subscription wants, and one delivery (with
/// its job) per wanting subscription. Events nobody wants are not kept.
#[derive(Debug, Default)]
pub(crate) struct Fanout {
    pub events: Vec<Event>,
    /// (delivery id, subscription id, event id, event type)
    pub deliveries: Vec<(Uuid, Uuid, Uuid, EventType)>,
}

pub(crate) fn fan_out(subs: &[Subscription], events: Vec<Event>) -> Fanout {
    let mut out = Fanout::default();
    for ev in events {
        let before = out.deliveries.len();
        for s in subs.iter().filter(|s| s.wants(ev.event_type)) {
            if ev.event_type == EventType::WebhookPing && ev.subject_id != s.id {
                continue;
            }
            out.deliveries.push((Uuid::now_v7(), s.id, ev.id, ev.event_type));
        }
        if out.deliveries.len() > before {
            out.events.push(ev);
        }
    }
    out
}

/// Which per-account events an import must build.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlacementEvents {
    pub created: bool,
    pub updated: bool,
}

impl PlacementEvents {
    pub fn of(subs: &[Subscription]) -> Self {
        PlacementEvents {
            created: subs.iter().any(|s| s.wants(EventType::AccountCreated)),
            updated: subs.iter().any(|s| s.wants(EventType::AccountUpdated)),
        }
    }
}

/// Subscriptions store their event types as one comma-separated column.
pub(crate) fn types_text(sub: &Subscription) -> String {
    sub.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn parse_types(s: &str) -> Result<std::collections::BTreeSet<EventType>> {
    s.split(',')
        .filter(|t| !t.is_empty())
        .map(|t| EventType::parse(t).ok_or_else(|| crate::rows::corrupt("event_types", format!("unknown event type {t:?}"))))
        .collect()
}

/// [`Jobs::enqueue_job`]'s statement (`$` placeholders: tenant, id, kind, payload, run_at).
pub(crate) const ENQUEUE_ONCE: &str = "INSERT INTO jobs (tenant_id, id, kind, payload, state, run_at, attempts, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, 'queued', $5, 0, $5, $5) ON CONFLICT (tenant_id, id) DO UPDATE SET state = 'queued', \
     run_at = excluded.run_at, attempts = 0, locked_until = NULL, last_error = NULL, updated_at = excluded.updated_at \
     WHERE jobs.state IN ('done', 'dead')";

const SECRET_COLUMN: &str = "webhook_subscriptions.secret";
const SEALED_PREFIX: &str = "sealed:";

fn secret_place(tenant_id: Uuid, subscription_id: Uuid) -> crate::seal::Place<'static> {
    crate::seal::Place { column: SECRET_COLUMN, tenant_id, row_id: subscription_id }
}

/// A subscription's signing secret as stored: sealed with the data key (it must be read back to
/// sign, so it cannot be a one-way digest), hex in the text column.
pub(crate) fn seal_secret(keys: &crate::seal::Keyring, sub: &Subscription, secret: &str) -> Result<String> {
    let sealed = keys.seal(&secret_place(sub.tenant_id, sub.id), secret.as_bytes())?;
    Ok(format!("{SEALED_PREFIX}{}", recoup_domain::hex::encode(&sealed)))
}

pub(crate) fn open_secret(keys: &crate::seal::Keyring, sub: &Subscription, stored: &str) -> Result<String> {
    let corrupt = || crate::rows::corrupt("secret", "not a sealed value");
    let hex = stored.strip_prefix(SEALED_PREFIX).ok_or_else(corrupt)?;
    let bytes = recoup_domain::hex::decode(hex).ok_or_else(corrupt)?;
    let plain = keys.open(&secret_place(sub.tenant_id, sub.id), &bytes)?;
    String::from_utf8(plain).map_err(|_| corrupt())
}

/// The job row's state, next run time and error after `end`, at `now`.
pub(crate) fn end_columns(end: &JobEnd, now: i64) -> (&'static str, i64, Option<String>) {
    match end {
        JobEnd::Done => ("done", now, None),
        JobEnd::RetryAt(at, why) => ("queued", *at, Some(why.clone())),
        JobEnd::Dead(why) => ("dead", now, Some(why.clone())),
    }
}

pub(crate) fn delivery_payload(delivery_id: Uuid) -> String {
    delivery_id.to_string()
}

pub(crate) fn subscription_event(actor: &Actor, action: &str, sub: &Subscription) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(
        actor,
        action,
        "webhook_subscription",
        sub.id,
        serde_json::json!({"url": sub.url, "event_types": types_text(sub), "active": sub.active}),
    )
}

pub(crate) fn ping_event(tenant_id: Uuid, subscription_id: Uuid, actor: &Actor) -> Event {
    Event {
        id: Uuid::now_v7(),
        tenant_id,
        event_type: EventType::WebhookPing,
        occurred_at: ops::now_micros(),
        subject_id: subscription_id,
        data: json!({"subscription_id": subscription_id, "requested_by": actor.0}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(types: &[EventType]) -> Subscription {
        Subscription {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            url: "http://x.test/".into(),
            event_types: types.iter().copied().collect(),
            description: String::new(),
            active: true,
            created_at: 0,
        }
    }

    fn ev(t: EventType, subject: Uuid) -> Event {
        Event {
            id: Uuid::now_v7(),
            tenant_id: Uuid::nil(),
            event_type: t,
            occurred_at: 0,
            subject_id: subject,
            data: serde_json::json!({}),
        }
    }

    #[test]
    fn only_wanted_events_are_kept_and_each_wanting_subscription_gets_one_delivery() {
        let a = sub(&[EventType::PaymentPosted, EventType::AccountCreated]);
        let b = sub(&[EventType::PaymentPosted]);
        let mut c = sub(&[EventType::PaymentPosted]);
        c.active = false;
        let out = fan_out(
            &[a.clone(), b.clone(), c],
            vec![
                ev(EventType::PaymentPosted, Uuid::nil()),
                ev(EventType::AccountCreated, Uuid::nil()),
                ev(EventType::HoldAdded, Uuid::nil()),
            ],
        );
        assert_eq!(out.events.len(), 2);
        let to: Vec<_> = out.deliveries.iter().map(|d| (d.1, d.3)).collect();
        assert_eq!(to, vec![(a.id, EventType::PaymentPosted), (b.id, EventType::PaymentPosted), (a.id, EventType::AccountCreated)]);
    }

    #[test]
    fn a_ping_goes_to_its_subscription_alone() {
        let a = sub(&[EventType::PaymentPosted]);
        let b = sub(&[EventType::PaymentPosted]);
        let out = fan_out(&[a.clone(), b], vec![ev(EventType::WebhookPing, a.id)]);
        assert_eq!(out.deliveries.len(), 1);
        assert_eq!(out.deliveries[0].1, a.id);
    }

    #[test]
    fn types_round_trip() {
        let s = sub(&[EventType::PaymentReversed, EventType::AccountCreated]);
        assert_eq!(parse_types(&types_text(&s)).unwrap(), s.event_types);
        assert!(parse_types("account.created,bogus").is_err());
    }
}
