//! Webhook subscriptions, the outbox and the job queue on PostgreSQL. Claims use
//! `FOR UPDATE SKIP LOCKED`, so any number of nodes can work the queue without taking a job twice.

use super::{PgStore, all, append_audit, one};
use crate::outbox::{self, Attempt, AttemptOutcome, Delivery, DeliveryWork, Job, JobEnd, JobKind, Jobs, Webhooks};
use crate::rows::{self, Get};
use crate::{Actor, Result, StoreError, ops};
use async_trait::async_trait;
use recoup_domain::event::Event;
use recoup_domain::webhook::{DeliveryStatus, Subscription};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

async fn active_subscriptions(c: &mut PgConnection, tenant_id: Uuid) -> Result<Vec<Subscription>> {
    let q = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = $1 AND active", rows::SUBSCRIPTION_COLS);
    all(c, q, |q| q.bind(tenant_id), rows::subscription).await
}

/// Which per-account events of an import some subscription wants.
pub(crate) async fn placement_events_wanted(c: &mut PgConnection, tenant_id: Uuid) -> Result<outbox::PlacementEvents> {
    Ok(outbox::PlacementEvents::of(&active_subscriptions(c, tenant_id).await?))
}

/// Writes the events some subscription wants, with their deliveries and jobs, inside the caller's
/// transaction.
pub(crate) async fn emit(c: &mut PgConnection, tenant_id: Uuid, events: Vec<Event>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let subs = active_subscriptions(c, tenant_id).await?;
    if subs.is_empty() {
        return Ok(());
    }
    let out = outbox::fan_out(&subs, events);
    let now = ops::now_micros();
    for e in &out.events {
        sqlx::query("INSERT INTO events (tenant_id, id, type, occurred_at, subject_id, data) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(tenant_id)
            .bind(e.id)
            .bind(e.event_type.as_str())
            .bind(e.occurred_at)
            .bind(e.subject_id)
            .bind(e.data.to_string())
            .execute(&mut *c)
            .await?;
    }
    for (delivery_id, sub_id, event_id, _) in &out.deliveries {
        sqlx::query(
            "INSERT INTO webhook_deliveries (tenant_id, id, subscription_id, event_id, status, attempts, next_attempt_at, created_at) \
             VALUES ($1,$2,$3,$4,'pending',0,$5,$5)",
        )
        .bind(tenant_id)
        .bind(delivery_id)
        .bind(sub_id)
        .bind(event_id)
        .bind(now)
        .execute(&mut *c)
        .await?;
        enqueue(c, tenant_id, JobKind::WebhookDelivery, &outbox::delivery_payload(*delivery_id), now).await?;
    }
    Ok(())
}

/// Several jobs in one statement.
pub(crate) async fn enqueue_many(c: &mut PgConnection, tenant_id: Uuid, jobs: &[&crate::outbox::NewJob]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = jobs.iter().map(|_| Uuid::now_v7()).collect();
    let kinds: Vec<String> = jobs.iter().map(|j| j.kind.as_str().to_string()).collect();
    let payloads: Vec<String> = jobs.iter().map(|j| j.payload.clone()).collect();
    let run_at: Vec<i64> = jobs.iter().map(|j| j.run_at).collect();
    sqlx::query(
        "INSERT INTO jobs (tenant_id, id, kind, payload, state, run_at, attempts, created_at, updated_at) \
         SELECT $1, i, k, p, 'queued', r, 0, r, r FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::bigint[]) AS u(i, k, p, r)",
    )
    .bind(tenant_id)
    .bind(ids)
    .bind(kinds)
    .bind(payloads)
    .bind(run_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub(crate) async fn enqueue(c: &mut PgConnection, tenant_id: Uuid, kind: JobKind, payload: &str, run_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (tenant_id, id, kind, payload, state, run_at, attempts, created_at, updated_at) VALUES ($1,$2,$3,$4,'queued',$5,0,$5,$5)",
    )
    .bind(tenant_id)
    .bind(Uuid::now_v7())
    .bind(kind.as_str())
    .bind(payload)
    .bind(run_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn load_delivery(c: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> Result<Option<Delivery>> {
    let q = format!(
        "SELECT {} FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
         WHERE d.tenant_id = $1 AND d.id = $2",
        rows::DELIVERY_COLS
    );
    one(c, q, |q| q.bind(tenant_id).bind(id), rows::delivery).await
}

async fn load_subscription(c: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> Result<Option<Subscription>> {
    let q = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2", rows::SUBSCRIPTION_COLS);
    one(c, q, |q| q.bind(tenant_id).bind(id), rows::subscription).await
}

#[async_trait]
impl Webhooks for PgStore {
    async fn create_subscription(&self, sub: &Subscription, secret: &str, actor: &Actor) -> Result<()> {
        let secret = outbox::seal_secret(&self.keys, sub, secret)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_subscriptions (tenant_id, id, url, secret, event_types, description, active, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(sub.tenant_id)
        .bind(sub.id)
        .bind(&sub.url)
        .bind(&secret)
        .bind(outbox::types_text(sub))
        .bind(&sub.description)
        .bind(sub.active)
        .bind(sub.created_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, sub.tenant_id, vec![outbox::subscription_event(actor, "webhook.subscribed", sub)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn subscriptions(&self, tenant_id: Uuid) -> Result<Vec<Subscription>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM webhook_subscriptions WHERE tenant_id = $1 ORDER BY id", rows::SUBSCRIPTION_COLS);
        all(&mut c, q, |q| q.bind(tenant_id), rows::subscription).await
    }

    async fn subscription(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Subscription>> {
        let mut c = self.pool.acquire().await?;
        load_subscription(&mut c, tenant_id, id).await
    }

    async fn update_subscription(&self, sub: &Subscription, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE webhook_subscriptions SET url = $3, event_types = $4, description = $5, active = $6 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(sub.tenant_id)
        .bind(sub.id)
        .bind(&sub.url)
        .bind(outbox::types_text(sub))
        .bind(&sub.description)
        .bind(sub.active)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook subscription", sub.id));
        }
        append_audit(&mut tx, sub.tenant_id, vec![outbox::subscription_event(actor, "webhook.updated", sub)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, tenant_id: Uuid, subscription_id: Uuid, before: Option<Uuid>, limit: u32) -> Result<Vec<Delivery>> {
        let mut c = self.pool.acquire().await?;
        let q = format!(
            "SELECT {} FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.subscription_id = $2 AND ($3::uuid IS NULL OR d.id < $3) ORDER BY d.id DESC LIMIT $4",
            rows::DELIVERY_COLS
        );
        all(&mut c, q, |q| q.bind(tenant_id).bind(subscription_id).bind(before).bind(i64::from(limit)), rows::delivery).await
    }

    async fn delivery(&self, tenant_id: Uuid, id: Uuid) -> Result<Option<Delivery>> {
        let mut c = self.pool.acquire().await?;
        load_delivery(&mut c, tenant_id, id).await
    }

    async fn attempts(&self, tenant_id: Uuid, delivery_id: Uuid) -> Result<Vec<Attempt>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY attempt", rows::ATTEMPT_COLS);
        all(&mut c, q, |q| q.bind(tenant_id).bind(delivery_id), rows::attempt).await
    }

    async fn redeliver(&self, tenant_id: Uuid, delivery_id: Uuid, actor: &Actor) -> Result<Delivery> {
        let mut tx = self.pool.begin().await?;
        let d = load_delivery(&mut tx, tenant_id, delivery_id).await?.ok_or_else(|| StoreError::not_found("delivery", delivery_id))?;
        let now = ops::now_micros();
        sqlx::query("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(delivery_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        enqueue(&mut tx, tenant_id, JobKind::WebhookDelivery, &outbox::delivery_payload(delivery_id), now).await?;
        let ev = ops::event(actor, "webhook.redelivered", "webhook_delivery", delivery_id, json!({"previous_status": d.status.as_str()}));
        append_audit(&mut tx, tenant_id, vec![ev]).await?;
        let d = load_delivery(&mut tx, tenant_id, delivery_id).await?.ok_or_else(|| StoreError::not_found("delivery", delivery_id))?;
        tx.commit().await?;
        Ok(d)
    }

    async fn ping(&self, tenant_id: Uuid, subscription_id: Uuid, actor: &Actor) -> Result<Delivery> {
        let mut tx = self.pool.begin().await?;
        let sub = load_subscription(&mut tx, tenant_id, subscription_id)
            .await?
            .ok_or_else(|| StoreError::not_found("webhook subscription", subscription_id))?;
        if !sub.active {
            return Err(StoreError::Conflict(format!("webhook subscription {subscription_id} is paused, so a ping")));
        }
        let ev = outbox::ping_event(tenant_id, subscription_id, actor);
        let event_id = ev.id;
        emit(&mut tx, tenant_id, vec![ev]).await?;
        let q = format!(
            "SELECT {} FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.event_id = $2",
            rows::DELIVERY_COLS
        );
        let d = one(&mut tx, q, |q| q.bind(tenant_id).bind(event_id), rows::delivery)
            .await?
            .ok_or_else(|| StoreError::not_found("delivery", event_id))?;
        tx.commit().await?;
        Ok(d)
    }

    async fn delivery_work(&self, tenant_id: Uuid, delivery_id: Uuid) -> Result<Option<DeliveryWork>> {
        let mut c = self.pool.acquire().await?;
        let Some(delivery) = load_delivery(&mut c, tenant_id, delivery_id).await? else { return Ok(None) };
        let q = format!("SELECT {} FROM events WHERE tenant_id = $1 AND id = $2", rows::EVENT_COLS);
        let event = one(&mut c, q, |q| q.bind(tenant_id).bind(delivery.event_id), rows::event)
            .await?
            .ok_or_else(|| StoreError::not_found("event", delivery.event_id))?;
        let q = format!("SELECT {}, secret FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2", rows::SUBSCRIPTION_COLS);
        let (subscription, secret) =
            one(&mut c, q, |q| q.bind(tenant_id).bind(delivery.subscription_id), |r| Ok((rows::subscription(r)?, r.text("secret")?)))
                .await?
                .ok_or_else(|| StoreError::not_found("webhook subscription", delivery.subscription_id))?;
        let secret = outbox::open_secret(&self.keys, &subscription, &secret)?;
        Ok(Some(DeliveryWork { delivery, event, subscription, secret }))
    }

    async fn record_attempt(&self, job: &Job, delivery_id: Uuid, a: &Attempt, outcome: AttemptOutcome) -> Result<()> {
        let tenant_id = job.tenant_id;
        let mut tx = self.pool.begin().await?;
        // Locking the delivery row orders concurrent attempts (a redelivery racing a retry).
        sqlx::query("SELECT 1 FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
            .bind(tenant_id)
            .bind(delivery_id)
            .execute(&mut *tx)
            .await?;
        let n: i64 =
            sqlx::query("SELECT COALESCE(MAX(attempt), 0) + 1 AS n FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = $2")
                .bind(tenant_id)
                .bind(delivery_id)
                .fetch_one(&mut *tx)
                .await?
                .int("n")?;
        let status = a.status.map(i64::from);
        sqlx::query(
            "INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt, at, status, error, duration_micros) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(tenant_id)
        .bind(delivery_id)
        .bind(n)
        .bind(a.at)
        .bind(status)
        .bind(&a.error)
        .bind(a.duration_micros)
        .execute(&mut *tx)
        .await?;
        let (dstatus, next, delivered, job_state, run_at) = match outcome {
            AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None, Some(a.at), "done", a.at),
            AttemptOutcome::RetryAt(t) => (DeliveryStatus::Pending, Some(t), None, "queued", t),
            AttemptOutcome::GiveUp => (DeliveryStatus::Failed, None, None, "dead", a.at),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, attempts = $4, last_status = $5, last_error = $6, next_attempt_at = $7, \
             delivered_at = COALESCE($8, delivered_at) WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(delivery_id)
        .bind(dstatus.as_str())
        .bind(n)
        .bind(status)
        .bind(&a.error)
        .bind(next)
        .bind(delivered)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE jobs SET state = $3, run_at = $4, locked_until = NULL, last_error = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(job.id)
        .bind(job_state)
        .bind(run_at)
        .bind(&a.error)
        .bind(a.at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Jobs for PgStore {
    async fn claim_jobs(&self, tenant: Option<Uuid>, now: i64, lease_micros: i64, limit: u32) -> Result<Vec<Job>> {
        let mut c = self.pool.acquire().await?;
        let q = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
             WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM jobs \
                 WHERE ((state = 'queued' AND run_at <= $2) OR (state = 'running' AND locked_until < $2)) \
                 AND ($4::uuid IS NULL OR tenant_id = $4) ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {}",
            rows::JOB_COLS
        );
        all(&mut c, q, |q| q.bind(now + lease_micros).bind(now).bind(i64::from(limit)).bind(tenant), rows::job).await
    }

    async fn finish_job(&self, job: &Job, end: &JobEnd) -> Result<()> {
        let now = ops::now_micros();
        let (state, run_at, error) = outbox::end_columns(end, now);
        sqlx::query(
            "UPDATE jobs SET state = $3, run_at = $4, locked_until = NULL, last_error = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(job.tenant_id)
        .bind(job.id)
        .bind(state)
        .bind(run_at)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enqueue_job(&self, tenant_id: Uuid, id: Uuid, job: &crate::outbox::NewJob) -> Result<()> {
        sqlx::query(outbox::ENQUEUE_ONCE)
            .bind(tenant_id)
            .bind(id)
            .bind(job.kind.as_str())
            .bind(&job.payload)
            .bind(job.run_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn pending_jobs(&self, tenant_id: Uuid) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1 AND state IN ('queued', 'running')")
            .bind(tenant_id)
            .fetch_one(&self.pool)
            .await?
            .int("n")?;
        Ok(n as u64)
    }
}
