//! Message templates: saved as new versions after they render against a sample and pass the
//! compliance checks for their channel and purpose, listed, and previewed against a real account.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, today};
use crate::AppState;
use crate::compose::{self, Links, language_code, parse_language};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use recoup_domain::template::{Rendered, TemplateDraft};
use recoup_store::{StoreError, StoredTemplate};
use serde::Deserialize;

/// A template that does not render for this account.
fn refused(errors: Vec<recoup_channels::template::TemplateError>) -> Problem {
    let first = errors.first().map(|e| e.field).unwrap_or("/text");
    let words: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    StoreError::invalid(first, words.join("; ")).into()
}

/// Save a template: it is rendered against a sample account first (strict: an unknown variable or
/// a syntax error is refused with its line) and checked for what its channel and purpose require
/// (the debt-collector disclosure, an opt-out for e-mail and texts, the validation details, no
/// threat of suit where time-barred debts may get it). Each save is a new version.
#[utoipa::path(post, path = "/api/v1/templates", tag = "communications", request_body = Object,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = StoredTemplate),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Body(d): Body<TemplateDraft>,
) -> Result<(StatusCode, Json<StoredTemplate>), Problem> {
    allow(&p, Action::ManageTemplates)?;
    let saved = crate::messages::save_template(state.store.as_ref(), p.tenant_id, &d, &super::servicing::actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// The latest version of every template.
#[utoipa::path(get, path = "/api/v1/templates", tag = "communications",
    responses((status = 200, body = Items<StoredTemplate>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Json<Items<StoredTemplate>>, Problem> {
    allow(&p, Action::ReadTemplates)?;
    Ok(Json(Items { items: state.store.templates(p.tenant_id).await? }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionsQuery {
    /// en (default) or es.
    pub language: Option<String>,
}

fn language_param(s: Option<&str>) -> Result<recoup_domain::validation_notice::Language, Problem> {
    let s = s.unwrap_or("en");
    parse_language(s).ok_or_else(|| StoreError::invalid("/language", "en or es").into())
}

/// Every version of a template, newest first.
#[utoipa::path(get, path = "/api/v1/templates/{key}/versions", tag = "communications", params(("key" = String, Path), VersionsQuery),
    responses((status = 200, body = Items<StoredTemplate>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Query(q): Query<VersionsQuery>,
) -> Result<Json<Items<StoredTemplate>>, Problem> {
    allow(&p, Action::ReadTemplates)?;
    let lang = language_code(language_param(q.language.as_deref())?);
    let items = state.store.template_versions(p.tenant_id, &key, lang).await?;
    if items.is_empty() {
        return Err(Problem::not_found("template"));
    }
    Ok(Json(Items { items }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub account_id: String,
    /// en or es; left out, the debtor's language.
    #[serde(default)]
    pub language: Option<String>,
    /// Left out, the latest.
    #[serde(default)]
    pub version: Option<u32>,
}

/// Render a template for a real account, exactly as it would be sent; nothing is sent or kept.
#[utoipa::path(post, path = "/api/v1/templates/{key}/preview", tag = "communications", request_body = PreviewRequest, params(("key" = String, Path)),
    responses(
        (status = 200, body = Object),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn preview(
    State(state): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
    Body(req): Body<PreviewRequest>,
) -> Result<Json<Rendered>, Problem> {
    allow(&p, Action::ReadTemplates)?;
    let account = account_for(&state, &p, &req.account_id, Action::ReadMessages).await?;
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    let lang = match req.language.as_deref() {
        Some(l) => language_param(Some(l))?,
        None => compose::language_of(&parties),
    };
    let t =
        state.store.template(p.tenant_id, &key, language_code(lang), req.version).await?.ok_or_else(|| Problem::not_found("template"))?;
    let d = crate::messages::draft_of(&t)?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let links = Links { unsubscribe_url: format!("{}/u/PREVIEW", state.outbound.public_url), portal_url: state.outbound.portal_url() };
    let ctx = compose::context(&file, &parties, d.purpose, lang, today(), links)?;
    let rendered = recoup_channels::template::render(&d, &ctx).map_err(|e| refused(vec![e]))?;
    Ok(Json(rendered))
}
