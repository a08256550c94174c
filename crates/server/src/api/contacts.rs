//! Contact checks and attempts on an account: an agent (or the dialer, or the strategy) asks the
//! contact policy before contacting and gets allow, defer until, or block with the rules; every
//! answer is kept, and every attempt made is logged, so the history the policy counts is the one
//! that happened.

use super::access::Action;
use super::auth::Principal;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, act, actor, records_of};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use recoup_domain::account::Account;
use recoup_domain::contact::ContactPoint;
use recoup_domain::hold::{Purpose, Recipient};
use recoup_domain::message::CallResult;
use recoup_domain::policy::{Intent, Medium, Outcome};
use recoup_store::StoreError;
use recoup_store::servicing::contact::{self, Check, ContactAttempt, ContactDecision};
use recoup_store::servicing::first;
use serde::Deserialize;
use uuid::Uuid;

/// The contact point asked for, or the primary party's first one fit for the medium; and the
/// party's mailing state, a candidate for the person's time zone.
pub(crate) async fn point_for(
    state: &AppState,
    p: &Principal,
    account: &Account,
    medium: Medium,
    wanted: Option<Uuid>,
) -> Result<(ContactPoint, Option<String>), Problem> {
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    Ok(crate::messages::pick_point(&parties, medium, wanted)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// call, voicemail, sms, email or letter.
    #[schema(value_type = String)]
    pub medium: Medium,
    /// Left out: the primary party's first contact point for the medium.
    #[serde(default)]
    pub contact_point_id: Option<Uuid>,
    /// collection (default), promise_reminder, verification, cease_confirmation, remedy_notice.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub purpose: Option<Purpose>,
    /// Dialed or sent without a person deciding.
    #[serde(default)]
    pub automated: bool,
    /// When the contact would be made (default now).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub at: Option<Timestamp>,
}

/// Ask the contact policy whether this person may be contacted (now, or at `at`): allow, defer
/// until an instant, or block, each with the rules behind it, under the contact profile the
/// client's servicing policy names. The answer is kept.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/contact-checks", tag = "servicing", request_body = CheckRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = ContactDecision),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn check(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<CheckRequest>,
) -> Result<(StatusCode, Json<ContactDecision>), Problem> {
    let account = account_for(&state, &p, &id, Action::ServiceAccounts).await?;
    let (point, postal_state) = point_for(&state, &p, &account, req.medium, req.contact_point_id).await?;
    let intent = Intent {
        medium: req.medium,
        purpose: req.purpose.unwrap_or(Purpose::Collection),
        recipient: Recipient::Consumer,
        automated: req.automated,
        opt_out_confirmation: false,
    };
    let c = Check { intent, point, postal_state, at: req.at.unwrap_or_else(Timestamp::now) };
    let changes = act(&state, &p, &account, contact::check(c, &actor(&p))).await?;
    Ok((StatusCode::CREATED, Json(first::<ContactDecision>(&changes)?)))
}

/// The policy's answers for an account, oldest first: why a contact was or was not made.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/contact-checks", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<ContactDecision>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn checks(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<ContactDecision>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptRequest {
    #[schema(value_type = String)]
    pub medium: Medium,
    #[serde(default)]
    pub contact_point_id: Option<Uuid>,
    /// For a call: right_party, third_party, wrong_number, no_answer, voicemail, not_connected,
    /// refused or promise_taken. It decides how the call counts.
    #[serde(default)]
    pub result: Option<CallResult>,
    /// When there is no `result`: never_connected (busy, failed), no_conversation (no answer,
    /// delivered) or conversation.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Outcome>,
    /// When it happened (default now); not in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub at: Option<Timestamp>,
    /// The person contacted us.
    #[serde(default)]
    pub inbound: bool,
    #[serde(default)]
    pub note: Option<String>,
    /// The call task this call worked; it is closed with it.
    #[serde(default)]
    pub task_id: Option<Uuid>,
}

/// Log a contact made or received: the history the call limits count.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/contact-attempts", tag = "servicing", request_body = AttemptRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = ContactAttempt),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn log(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<AttemptRequest>,
) -> Result<(StatusCode, Json<ContactAttempt>), Problem> {
    let account = account_for(&state, &p, &id, Action::ServiceAccounts).await?;
    let now = Timestamp::now();
    let at = req.at.unwrap_or(now);
    if at > now {
        return Err(StoreError::invalid("/at", "an attempt cannot be logged in the future").into());
    }
    if let Some(cp) = req.contact_point_id {
        point_for(&state, &p, &account, req.medium, Some(cp)).await?;
    }
    let outcome = match (req.result, req.outcome) {
        (Some(_), _) if !req.medium.is_call() => return Err(StoreError::invalid("/result", "only a call has a call result").into()),
        (Some(r), _) => r.outcome(),
        (None, Some(o)) => o,
        (None, None) => return Err(StoreError::invalid("/result", "say how the contact ended: a call result or an outcome").into()),
    };
    let attempt = ContactAttempt {
        id: Uuid::now_v7(),
        account_id: account.id,
        contact_point_id: req.contact_point_id,
        medium: req.medium,
        at,
        outcome,
        result: req.result,
        message_id: None,
        inbound: req.inbound,
        by: String::new(),
        note: req.note,
        queue: None,
    };
    let changes = act(&state, &p, &account, contact::log(attempt, req.task_id, &actor(&p))).await?;
    Ok((StatusCode::CREATED, Json(first::<ContactAttempt>(&changes)?)))
}

/// An account's logged contacts, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/contact-attempts", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<ContactAttempt>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn attempts(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<ContactAttempt>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}
