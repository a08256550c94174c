//! Recording a debtor's consent, or its revocation, for one channel of one contact point. The
//! contact policy reads it before every contact, so every change is audited and announced.

use super::access::{Action, allow};
use super::accounts::visible_account;
use super::auth::Principal;
use super::json::Body;
use super::problem::{FieldError, Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use recoup_domain::contact::{Channel, ConsentState, ContactPoint};
use recoup_store::Actor;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentChange {
    /// `call`, `sms`, `email` or `letter`.
    pub channel: String,
    /// `granted`, `revoked` or `unknown`.
    pub state: String,
}

/// Set the consent of one channel of one of the account's contact points.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/contact-points/{contact_point_id}/consent", tag = "accounts",
    request_body = ConsentChange,
    params(("id" = String, Path), ("contact_point_id" = String, Path)),
    responses(
        (status = 200, body = ContactPoint),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn set(
    State(state): State<AppState>,
    p: Principal,
    Path((id, cp)): Path<(String, String)>,
    Body(change): Body<ConsentChange>,
) -> Result<Json<ContactPoint>, Problem> {
    let account = visible_account(&state, &p, &id).await?;
    allow(&p, Action::ChangeConsent)?;
    // The contact point must belong to one of this account's parties: an id from another
    // account (or tenant) is the same 404 as an unknown one.
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    let cp_id = Uuid::parse_str(&cp).ok().filter(|cp| parties.iter().any(|party| party.contact_points.iter().any(|c| c.id == *cp)));
    let Some(cp_id) = cp_id else { return Err(p.not_found("contact point", &cp)) };
    let mut errors = Vec::new();
    let channel = Channel::ALL.into_iter().find(|c| c.as_str() == change.channel.trim());
    if channel.is_none() {
        errors.push(FieldError { pointer: "/channel".into(), detail: "must be one of call, sms, email, letter".into() });
    }
    let consent = ConsentState::parse(change.state.trim());
    if consent.is_none() {
        errors.push(FieldError { pointer: "/state".into(), detail: "must be one of granted, revoked, unknown".into() });
    }
    let (Some(channel), Some(consent)) = (channel, consent) else { return Err(Problem::invalid("the change is not valid", errors)) };
    let updated = state.store.set_consent(p.tenant_id, cp_id, channel, consent, &Actor::new(p.subject.to_string())).await?;
    Ok(Json(updated))
}
