//! Webhook subscriptions, the outbox and the job queue on SQLite. The single writer connection
//! makes claiming jobs race-free: a claim is one `UPDATE ... RETURNING` under it.

use super::{SqliteStore, append_audit, query_all, query_one};
use crate::outbox::{self, Attempt, AttemptOutcome, Delivery, DeliveryWork, Job, JobEnd, JobKind, Jobs, Webhooks};
use crate::rows::{self, Get};
use crate::{Actor, Result, StoreError, ops};
use async_trait::async_trait;
use recoup_domain::event::Event;
use recoup_domain::webhook::{DeliveryStatus, Subscription};
use rusqlite::{Transaction, params};
use serde_json::json;
use uuid::Uuid;

/// Writes the events some subscription wants, with their deliveries and jobs, inside `tx`.
pub(crate) fn emit(tx: &Transaction, tenant_id: Uuid, events: Vec<Event>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = ? AND active = 1", rows::SUBSCRIPTION_COLS);
    let subs = query_all(tx, &sql, [tenant_id], |r| rows::subscription(r))?;
    if subs.is_empty() {
        return Ok(());
    }
    let out = outbox::fan_out(&subs, events);
    let now = ops::now_micros();
    let mut ins_event =
        tx.prepare_cached("INSERT INTO events (tenant_id, id, type, occurred_at, subject_id, data) VALUES (?,?,?,?,?,?)")?;
    for e in &out.events {
        ins_event.execute(params![tenant_id, e.id, e.event_type.as_str(), e.occurred_at, e.subject_id, e.data.to_string()])?;
    }
    for (delivery_id, sub_id, event_id, _) in &out.deliveries {
        tx.prepare_cached(
            "INSERT INTO webhook_deliveries (tenant_id, id, subscription_id, event_id, status, attempts, next_attempt_at, created_at) \
             VALUES (?,?,?,?,'pending',0,?,?)",
        )?
        .execute(params![tenant_id, delivery_id, sub_id, event_id, now, now])?;
        enqueue(tx, tenant_id, JobKind::WebhookDelivery, &outbox::delivery_payload(*delivery_id), now)?;
    }
    Ok(())
}

/// Which per-account events of an import some subscription wants.
pub(crate) fn placement_events_wanted(tx: &Transaction, tenant_id: Uuid) -> Result<outbox::PlacementEvents> {
    let sql = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = ? AND active = 1", rows::SUBSCRIPTION_COLS);
    let subs = query_all(tx, &sql, [tenant_id], |r| rows::subscription(r))?;
    Ok(outbox::PlacementEvents::of(&subs))
}

pub(crate) fn enqueue(tx: &Transaction, tenant_id: Uuid, kind: JobKind, payload: &str, run_at: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO jobs (tenant_id, id, kind, payload, state, run_at, attempts, created_at, updated_at) VALUES (?,?,?,?,'queued',?,0,?,?)",
    )?
    .execute(params![tenant_id, Uuid::now_v7(), kind.as_str(), payload, run_at, run_at, run_at])?;
    Ok(())
}

fn load_delivery(tx: &rusqlite::Connection, tenant_id: Uuid, id: Uuid) -> Result<Option<Delivery>> {
    let sql = format!(
        "SELECT {} FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
         WHERE d.tenant_id = ? AND d.id = ?",
        rows::DELIVERY_COLS
    );
    query_one(tx, &sql, params![tenant_id, id], |r| rows::delivery(r))
}

fn load_subscription(c: &rusqlite::Connection, tenant_id: Uuid, id: Uuid) -> Result<Option<Subscription>> {
    let sql = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?", rows::SUBSCRIPTION_COLS);
    query_one(c, &sql, params![tenant_id, id], |r| rows::subscription(r))
}

#[async_trait]
impl Webhooks for SqliteStore {
    async fn create_subscription(&self, sub: &Subscription, secret: &str, actor: &Actor) -> Result<()> {
        let (sub, actor) = (sub.clone(), actor.clone());
        let secret = outbox::seal_secret(&self.keys(), &sub, secret)?;
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO webhook_subscriptions (tenant_id, id, url, secret, event_types, description, active, created_at) \
                 VALUES (?,?,?,?,?,?,?,?)",
                params![sub.tenant_id, sub.id, sub.url, secret, outbox::types_text(&sub), sub.description, sub.active, sub.created_at],
            )?;
            append_audit(tx, sub.tenant_id, vec![outbox::subscription_event(&actor, "webhook.subscribed", &sub)])
        })
        .await
    }

    async fn subscriptions(&self, tenant_id: Uuid) -> Result<Vec<Subscription>> {
        let sql = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = ? ORDER BY id", rows::SUBSCRIPTION_COLS);
        self.read(move |c| query_all(c, &sql, [tenant_id], |r| rows::subscription(r))).await
    }

    async fn subscription(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Subscription>> {
        self.read(move |c| load_subscription(c, tenant_id, id)).await
    }

    async fn update_subscription(&self, sub: &Subscription, actor: &Actor) -> Result<()> {
        let (sub, actor) = (sub.clone(), actor.clone());
        self.tx(move |tx| {
            let n = tx.execute(
                "UPDATE webhook_subscriptions SET url = ?, event_types = ?, description = ?, active = ? WHERE tenant_id = ? AND id = ?",
                params![sub.url, outbox::types_text(&sub), sub.description, sub.active, sub.tenant_id, sub.id],
            )?;
            if n == 0 {
                return Err(StoreError::not_found("webhook subscription", sub.id));
            }
            append_audit(tx, sub.tenant_id, vec![outbox::subscription_event(&actor, "webhook.updated", &sub)])
        })
        .await
    }

    async fn deliveries(&self, tenant_id: Uuid, subscription_id: Uuid, before: Option<Uuid>, limit: u32) -> Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT {} FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
             WHERE d.tenant_id = ? AND d.subscription_id = ? AND (? IS NULL OR d.id < ?) ORDER BY d.id DESC LIMIT ?",
            rows::DELIVERY_COLS
        );
        self.read(move |c| query_all(c, &sql, params![tenant_id, subscription_id, before, before, limit], |r| rows::delivery(r))).await
    }

    async fn delivery(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Delivery>> {
        self.read(move |c| load_delivery(c, tenant_id, id)).await
    }

    async fn attempts(&self, tenant_id: Uuid, delivery_id: Uuid) -> Result<Vec<Attempt>> {
        let sql = format!("SELECT {} FROM webhook_attempts WHERE tenant_id = ? AND delivery_id = ? ORDER BY attempt", rows::ATTEMPT_COLS);
        self.read(move |c| query_all(c, &sql, params![tenant_id, delivery_id], |r| rows::attempt(r))).await
    }

    async fn redeliver(&self, tenant_id: Uuid, delivery_id: Uuid, actor: &Actor) -> Result<Delivery> {
        let actor = actor.clone();
        self.tx(move |tx| {
            let d = load_delivery(tx, tenant_id, delivery_id)?.ok_or_else(|| StoreError::not_found("delivery", delivery_id))?;
            let now = ops::now_micros();
            tx.execute(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ? WHERE tenant_id = ? AND id = ?",
                params![now, tenant_id, delivery_id],
            )?;
            enqueue(tx, tenant_id, JobKind::WebhookDelivery, &outbox::delivery_payload(delivery_id), now)?;
            let ev =
                ops::event(&actor, "webhook.redelivered", "webhook_delivery", delivery_id, json!({"previous_status": d.status.as_str()}));
            append_audit(tx, tenant_id, vec![ev])?;
            load_delivery(tx, tenant_id, delivery_id)?.ok_or_else(|| StoreError::not_found("delivery", delivery_id))
        })
        .await
    }

    async fn ping(&self, tenant_id: Uuid, subscription_id: Uuid, actor: &Actor) -> Result<Delivery> {
        let actor = actor.clone();
        self.tx(move |tx| {
            let sub = load_subscription(tx, tenant_id, subscription_id)?
                .ok_or_else(|| StoreError::not_found("webhook subscription", subscription_id))?;
            if !sub.active {
                return Err(StoreError::Conflict(format!("webhook subscription {subscription_id} is paused, so a ping")));
            }
            let ev = outbox::ping_event(tenant_id, subscription_id, &actor);
            let event_id = ev.id;
            emit(tx, tenant_id, vec![ev])?;
            let sql = format!(
                "SELECT {} FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
                 WHERE d.tenant_id = ? AND d.event_id = ?",
                rows::DELIVERY_COLS
            );
            query_one(tx, &sql, params![tenant_id, event_id], |r| rows::delivery(r))?
                .ok_or_else(|| StoreError::not_found("delivery", event_id))
        })
        .await
    }

    async fn delivery_work(&self, tenant_id: Uuid, delivery_id: Uuid) -> Result<Option<DeliveryWork>> {
        let keys = self.keys();
        self.read(move |c| {
            let Some(delivery) = load_delivery(c, tenant_id, delivery_id)? else { return Ok(None) };
            let esql = format!("SELECT {} FROM events WHERE tenant_id = ? AND id = ?", rows::EVENT_COLS);
            let event = query_one(c, &esql, params![tenant_id, delivery.event_id], |r| rows::event(r))?
                .ok_or_else(|| StoreError::not_found("event", delivery.event_id))?;
            let ssql = format!("SELECT {}, secret FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?", rows::SUBSCRIPTION_COLS);
            let (subscription, secret) =
                query_one(c, &ssql, params![tenant_id, delivery.subscription_id], |r| Ok((rows::subscription(r)?, r.text("secret")?)))?
                    .ok_or_else(|| StoreError::not_found("webhook subscription", delivery.subscription_id))?;
            let secret = outbox::open_secret(&keys, &subscription, &secret)?;
            Ok(Some(DeliveryWork { delivery, event, subscription, secret }))
        })
        .await
    }

    async fn record_attempt(&self, job: &Job, delivery_id: Uuid, a: &Attempt, outcome: AttemptOutcome) -> Result<()> {
        let (job, a) = (job.clone(), a.clone());
        self.tx(move |tx| {
            let tenant_id = job.tenant_id;
            let n: i64 = tx.query_row(
                "SELECT COALESCE(MAX(attempt), 0) + 1 FROM webhook_attempts WHERE tenant_id = ? AND delivery_id = ?",
                params![tenant_id, delivery_id],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, at, status, error, duration_micros) VALUES (?,?,?,?,?,?,?)",
                params![tenant_id, delivery_id, n, a.at, a.status, a.error, a.duration_micros],
            )?;
            let (status, next, delivered, job_state, run_at) = match outcome {
                AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None, Some(a.at), "done", a.at),
                AttemptOutcome::RetryAt(t) => (DeliveryStatus::Pending, Some(t), None, "queued", t),
                AttemptOutcome::GiveUp => (DeliveryStatus::Failed, None, None, "dead", a.at),
            };
            tx.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, \
                 delivered_at = COALESCE(?, delivered_at) WHERE tenant_id = ? AND id = ?",
                params![status.as_str(), n, a.status, a.error, next, delivered, tenant_id, delivery_id],
            )?;
            tx.execute(
                "UPDATE jobs SET state = ?, run_at = ?, locked_until = NULL, last_error = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                params![job_state, run_at, a.error, a.at, tenant_id, job.id],
            )?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Jobs for SqliteStore {
    async fn claim_jobs(&self, tenant: Option<Uuid>, now: i64, lease_micros: i64, limit: u32) -> Result<Vec<Job>> {
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = ?1, updated_at = ?2 \
             WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM jobs \
                 WHERE ((state = 'queued' AND run_at <= ?2) OR (state = 'running' AND locked_until < ?2)) \
                 AND (?4 IS NULL OR tenant_id = ?4) ORDER BY run_at LIMIT ?3) \
             RETURNING {}",
            rows::JOB_COLS
        );
        self.tx(move |tx| query_all(tx, &sql, params![now + lease_micros, now, limit, tenant], |r| rows::job(r))).await
    }

    async fn finish_job(&self, job: &Job, end: &JobEnd) -> Result<()> {
        let (job, end) = (job.clone(), end.clone());
        self.tx(move |tx| {
            let now = ops::now_micros();
            let (state, run_at, error) = outbox::end_columns(&end, now);
            tx.execute(
                "UPDATE jobs SET state = ?, run_at = ?, locked_until = NULL, last_error = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                params![state, run_at, error, now, job.tenant_id, job.id],
            )?;
            Ok(())
        })
        .await
    }

    async fn enqueue_job(&self, tenant_id: Uuid, id: Uuid, job: &crate::outbox::NewJob) -> Result<()> {
        let job = job.clone();
        let sql = outbox::ENQUEUE_ONCE.replace('$', "?");
        self.tx(move |tx| Ok(tx.execute(&sql, params![tenant_id, id, job.kind.as_str(), job.payload, job.run_at]).map(|_| ())?)).await
    }

    async fn pending_jobs(&self, tenant_id: Uuid) -> Result<u64> {
        self.read(move |c| {
            let n: i64 =
                c.query_row("SELECT COUNT(*) FROM jobs WHERE tenant_id = ? AND state IN ('queued', 'running')", [tenant_id], |r| r.get(0))?;
            Ok(n as u64)
        })
        .await
    }
}
