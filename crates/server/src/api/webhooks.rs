//! Webhook subscriptions, their delivery log, redelivery and ping. Admins and integration keys
//! manage them; the signing secret is shown once, when the subscription is created.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{FieldError, Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use recoup_domain::event::EventType;
use recoup_domain::webhook::{Subscription, check_receiver};
use recoup_store::{Actor, Attempt, Delivery};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// Where to POST events: https (or http for a receiver on a private network).
    pub url: String,
    /// Event type names, e.g. `payment.posted`.
    pub event_types: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The HMAC-SHA256 signing secret. Shown only now: store it with the receiver.
    pub secret: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    /// `false` pauses deliveries; events while paused are not kept for it.
    pub active: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Subscriptions {
    pub items: Vec<Subscription>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Deliveries {
    /// Newest first.
    pub items: Vec<Delivery>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Every attempt, oldest first, with the receiver's status or the transport error.
    pub attempts: Vec<Attempt>,
}

fn event_types(names: &[String], errors: &mut Vec<FieldError>) -> BTreeSet<EventType> {
    let mut out = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        match EventType::parse(name.trim()) {
            Some(EventType::WebhookPing) | None => {
                let known: Vec<&str> = EventType::ALL.iter().filter(|t| **t != EventType::WebhookPing).map(|t| t.as_str()).collect();
                errors.push(FieldError { pointer: format!("/event_types/{i}"), detail: format!("must be one of {}", known.join(", ")) });
            }
            Some(t) => {
                out.insert(t);
            }
        }
    }
    if names.is_empty() {
        errors.push(FieldError { pointer: "/event_types".into(), detail: "name at least one event type".into() });
    }
    out
}

fn check_fields(state: &AppState, url: Option<&str>, description: Option<&str>, errors: &mut Vec<FieldError>) {
    if let Some(Err(e)) = url.map(|u| check_receiver(u, state.worker.allow_private_receivers)) {
        errors.push(FieldError { pointer: "/url".into(), detail: e.to_string() });
    }
    if description.is_some_and(|d| d.chars().count() > 500) {
        errors.push(FieldError { pointer: "/description".into(), detail: "at most 500 characters".into() });
    }
}

fn actor(p: &Principal) -> Actor {
    Actor::new(p.subject.to_string())
}

/// Subscribe a receiver to events. The answer holds the signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewSubscription,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats with the same key return the first answer")),
    responses(
        (status = 201, body = CreatedSubscription),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Body(new): Body<NewSubscription>,
) -> Result<(StatusCode, Json<CreatedSubscription>), Problem> {
    allow(&p, Action::ManageWebhooks)?;
    let mut errors = Vec::new();
    let url = new.url.trim().to_string();
    check_fields(&state, Some(&url), Some(&new.description), &mut errors);
    let types = event_types(&new.event_types, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::invalid("the subscription is not valid", errors));
    }
    let subscription = Subscription {
        id: Uuid::now_v7(),
        tenant_id: p.tenant_id,
        url,
        event_types: types,
        description: new.description.trim().to_string(),
        active: true,
        created_at: jiff::Timestamp::now().as_microsecond(),
    };
    let secret = crate::webhooks::new_secret();
    state.store.create_subscription(&subscription, &secret, &actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(CreatedSubscription { subscription, secret })))
}

/// The tenant's subscriptions (without their secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Subscriptions), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Json<Subscriptions>, Problem> {
    allow(&p, Action::ManageWebhooks)?;
    Ok(Json(Subscriptions { items: state.store.subscriptions(p.tenant_id).await? }))
}

async fn visible(state: &AppState, p: &Principal, id: &str) -> Result<Subscription, Problem> {
    allow(p, Action::ManageWebhooks)?;
    let found = match Uuid::parse_str(id) {
        Ok(id) => state.store.subscription(p.tenant_id, id).await?,
        Err(_) => None,
    };
    found.ok_or_else(|| p.not_found("webhook subscription", id))
}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn get_one(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Subscription>, Problem> {
    Ok(Json(visible(&state, &p, &id).await?))
}

/// Change a subscription's URL, event types or description, or pause and resume it.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = SubscriptionPatch,
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Subscription),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(patch): Body<SubscriptionPatch>,
) -> Result<Json<Subscription>, Problem> {
    let mut sub = visible(&state, &p, &id).await?;
    let mut errors = Vec::new();
    let url = patch.url.map(|u| u.trim().to_string());
    check_fields(&state, url.as_deref(), patch.description.as_deref(), &mut errors);
    let types = patch.event_types.map(|t| event_types(&t, &mut errors));
    if !errors.is_empty() {
        return Err(Problem::invalid("the change is not valid", errors));
    }
    sub.url = url.unwrap_or(sub.url);
    sub.event_types = types.unwrap_or(sub.event_types);
    sub.description = patch.description.map(|d| d.trim().to_string()).unwrap_or(sub.description);
    sub.active = patch.active.unwrap_or(sub.active);
    state.store.update_subscription(&sub, &actor(&p)).await?;
    Ok(Json(sub))
}

/// A subscription's deliveries, newest first, with each one's status and last result.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(
        ("id" = String, Path),
        ("before" = Option<String>, Query, description = "The `next` of the previous page"),
        ("limit" = Option<u32>, Query, description = "1 to 200 (default 50)"),
    ),
    responses(
        (status = 200, body = Deliveries),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Deliveries>, Problem> {
    let sub = visible(&state, &p, &id).await?;
    let page = super::paging::Page::parse(query.as_deref(), Some("before"), 200)?;
    let items = state.store.deliveries(p.tenant_id, sub.id, page.cursor, page.limit).await?;
    let next = page.next(&items, |d| d.id);
    Ok(Json(Deliveries { items, next }))
}

async fn visible_delivery(state: &AppState, p: &Principal, id: &str, delivery_id: &str) -> Result<Delivery, Problem> {
    let sub = visible(state, p, id).await?;
    let found = match Uuid::parse_str(delivery_id) {
        Ok(d) => state.store.delivery(p.tenant_id, d).await?.filter(|d| d.subscription_id == sub.id),
        Err(_) => None,
    };
    found.ok_or_else(|| p.not_found("delivery", delivery_id))
}

/// One delivery with every attempt.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 200, body = DeliveryDetail), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn delivery(
    State(state): State<AppState>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, Problem> {
    let delivery = visible_delivery(&state, &p, &id, &delivery_id).await?;
    let attempts = state.store.attempts(p.tenant_id, delivery.id).await?;
    Ok(Json(DeliveryDetail { delivery, attempts }))
}

/// Send a delivery again now, whether it failed or was delivered (a receiver that lost it).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats with the same key return the first answer")),
    responses((status = 202, body = Delivery), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn redeliver(
    State(state): State<AppState>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Delivery>), Problem> {
    let delivery = visible_delivery(&state, &p, &id, &delivery_id).await?;
    let d = state.store.redeliver(p.tenant_id, delivery.id, &actor(&p)).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// Send a `webhook.ping` event to this subscription, to check the receiver and its signature
/// check.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks",
    params(("id" = String, Path)),
    responses(
        (status = 202, body = Delivery),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json", description = "The subscription is paused"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn ping(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<(StatusCode, Json<Delivery>), Problem> {
    let sub = visible(&state, &p, &id).await?;
    if !sub.active {
        return Err(Problem::new(StatusCode::CONFLICT, "subscription-paused", "Subscription paused", "resume the subscription first"));
    }
    let d = state.store.ping(p.tenant_id, sub.id, &actor(&p)).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}
