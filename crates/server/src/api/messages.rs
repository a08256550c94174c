//! Messages: queue an e-mail, text or letter from a template for an account (the first one also
//! schedules the validation notice), see an account's messages and each one as it was rendered,
//! the tenant's outbox, the day's print batch, and the validation notice itself.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, actor};
use crate::AppState;
use crate::compose::{self, parse_language};
use crate::documents::{Format, pdf_response, respond};
use crate::messages;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::message::MessageStatus;
use recoup_domain::policy::Medium;
use recoup_store::StoreError;
use recoup_store::servicing::message::{self, Message};
use recoup_store::servicing::{AccountFile, Kept, RecordKind, RecordQuery};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The template's key (`reminder-email`).
    pub template: String,
    /// en or es; left out, the debtor's language.
    #[serde(default)]
    pub language: Option<String>,
    /// Left out, the primary party's first contact point for the template's channel.
    #[serde(default)]
    pub contact_point_id: Option<Uuid>,
    /// Not before this instant (default now); the policy may defer it further.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub send_at: Option<Timestamp>,
    /// Sent by a rule (a strategy step, a reminder) rather than a person's decision.
    #[serde(default)]
    pub automated: bool,
}

/// Queue a message from a template. The contact policy judges it now and again just before it
/// leaves: the answer is 201 with the message queued (to leave now or when the policy allows) or
/// blocked (with the decision's reasons in its steps). On an account's first message, the
/// validation notice (Reg F 1006.34) is queued with it as a letter; if the notice cannot be
/// given (a required fact is missing) neither is queued.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/messages", tag = "communications", request_body = MessageRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = Message),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn send(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<MessageRequest>,
) -> Result<(StatusCode, Json<Message>), Problem> {
    let account = account_for(&state, &p, &id, Action::SendMessages).await?;
    let language = match req.language.as_deref() {
        Some(l) => Some(parse_language(l).ok_or_else(|| StoreError::invalid("/language", "en or es"))?),
        None => None,
    };
    let ask = messages::FromTemplate {
        template: req.template,
        language,
        contact_point_id: req.contact_point_id,
        send_at: req.send_at,
        automated: req.automated,
        id: None,
    };
    let m = messages::send_template(state.store.as_ref(), &state.outbound, &account, ask, &actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// An account's messages, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/messages", tag = "communications", params(("id" = String, Path)),
    responses((status = 200, body = Items<Message>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Message>>, Problem> {
    let account = account_for(&state, &p, &id, Action::ReadMessages).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    Ok(Json(Items { items: file.all::<Message>()? }))
}

async fn message_of(state: &AppState, p: &Principal, account: &Account, mid: Uuid) -> Result<(Message, AccountFile), Problem> {
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let m = file.find::<Message>(mid)?.ok_or_else(|| Problem::not_found("message"))?;
    Ok((m, file))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// json (default); html or pdf show the message as the person gets it.
    pub format: Option<String>,
}

/// One message: as kept (json), or as the person sees it (html: the e-mail's HTML part, a text's
/// words, a letter's pages; pdf: a letter).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/messages/{message_id}", tag = "communications",
    params(("id" = String, Path), ("message_id" = Uuid, Path), FormatQuery),
    responses((status = 200, body = Message), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    p: Principal,
    Path((id, mid)): Path<(String, Uuid)>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, Problem> {
    let account = account_for(&state, &p, &id, Action::ReadMessages).await?;
    let (m, file) = message_of(&state, &p, &account, mid).await?;
    let format = q.format.as_deref().unwrap_or("json");
    match (format, m.medium) {
        ("json", _) => Ok(Json(m).into_response()),
        ("html", Medium::Email) if m.html.is_some() => Ok(axum::response::Html(m.html.clone().unwrap_or_default()).into_response()),
        ("html", Medium::Letter) => {
            Ok(axum::response::Html(recoup_channels::html::render(&crate::letters::document(&m, &file.policy.collector).0)).into_response())
        }
        ("pdf", Medium::Letter) => Ok(pdf_response(crate::letters::pdf(&m, &file.policy.collector), &format!("letter-{}", m.id))),
        ("html", _) => {
            let body =
                format!("<pre style=\"white-space:pre-wrap;font-family:system-ui\">{}</pre>", recoup_channels::html::escape(&m.text));
            Ok(axum::response::Html(body).into_response())
        }
        _ => Err(StoreError::invalid("/format", "json, html, or pdf for a letter").into()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: String,
}

/// Cancel a queued message before it leaves.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/messages/{message_id}/cancel", tag = "communications", request_body = CancelRequest,
    params(("id" = String, Path), ("message_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = Message),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    p: Principal,
    Path((id, mid)): Path<(String, Uuid)>,
    Body(req): Body<CancelRequest>,
) -> Result<Json<Message>, Problem> {
    let account = account_for(&state, &p, &id, Action::SendMessages).await?;
    if req.reason.trim().is_empty() {
        return Err(StoreError::invalid("/reason", "say why").into());
    }
    let changes = state.store.service(p.tenant_id, account.id, message::cancel(mid, req.reason, &actor(&p))).await?;
    Ok(Json(recoup_store::servicing::changed::<Message>(&changes, mid)?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// queued, sent, delivered, failed, bounced, blocked or cancelled; left out, all.
    pub status: Option<String>,
    /// Messages of this UTC day (sent that day, or queued that day if not sent).
    #[param(value_type = Option<String>)]
    pub on: Option<Date>,
    /// Keyset: messages after this id.
    pub after: Option<Uuid>,
    pub limit: Option<u32>,
}

/// The tenant's outbox: every message by status and day, oldest first.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "communications", params(OutboxQuery),
    responses((status = 200, body = Items<Message>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn outbox(State(state): State<AppState>, p: Principal, Query(q): Query<OutboxQuery>) -> Result<Json<Items<Message>>, Problem> {
    allow(&p, Action::ReadMessages)?;
    let mut query = RecordQuery::of(RecordKind::Message);
    if let Some(s) = q.status {
        let s = MessageStatus::parse(&s)
            .ok_or_else(|| StoreError::invalid("/status", "queued, sent, delivered, failed, bounced, blocked or cancelled"))?;
        query.statuses = vec![s.as_str().into()];
    }
    (query.on_from, query.on_to, query.after) = (q.on, q.on, q.after);
    query.limit = q.limit.unwrap_or(100).clamp(1, 1_000);
    let items = state.store.records(p.tenant_id, &query).await?.iter().map(Message::from_record).collect::<Result<_, _>>()?;
    Ok(Json(Items { items }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// The UTC day the letters were sent (joined the print queue).
    #[param(value_type = String)]
    pub on: Date,
}

/// The day's letters as one PDF for the printer, each letter starting on a new page.
#[utoipa::path(get, path = "/api/v1/letters/batch", tag = "communications", params(BatchQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn batch(State(state): State<AppState>, p: Principal, Query(q): Query<BatchQuery>) -> Result<Response, Problem> {
    allow(&p, Action::PrintLetters)?;
    let letters = crate::letters::day_letters(state.store.as_ref(), p.tenant_id, q.on).await?;
    if letters.is_empty() {
        return Err(Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", format!("no letter joined the print queue on {}", q.on)));
    }
    Ok(pdf_response(crate::letters::batch_pdf(&letters), &format!("letters-{}", q.on)))
}

/// The account's validation notice as it would be sent today: json (its content), html or pdf.
/// A notice missing a required fact is refused, naming each.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/validation-notice", tag = "communications", params(("id" = String, Path), FormatQuery),
    responses(
        (status = 200, body = recoup_domain::validation_notice::Notice),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn validation_notice(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, Problem> {
    let account = account_for(&state, &p, &id, Action::ReadMessages).await?;
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let (m, _) = messages::notice_item(&file, &parties, compose::language_of(&parties), Timestamp::now())?;
    let notice = m.notice.clone().ok_or_else(|| StoreError::Corrupt("a notice without its content".into()))?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(notice).into_response()),
        f @ ("html" | "pdf") => Ok(respond(
            &recoup_channels::notice::validation_notice_document(&notice),
            Format::parse(Some(f)).unwrap_or(Format::Pdf),
            "validation-notice",
        )),
        _ => Err(StoreError::invalid("/format", "json, html or pdf").into()),
    }
}
