//! Messages: queue an e-mail, text or letter from a template for an account (the first one also
//! schedules the validation notice), see an account's messages and each one as it was rendered,
//! the tenant's outbox, the day's print batch, and the validation notice itself.

use super::access::{Action, allow};
use super::auth::Principal;
use super::contacts::point_for;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, actor, today};
use super::templates::draft_of;
use crate::AppState;
use crate::compose::{self, Links, language_code, parse_language};
use crate::documents::{Format, respond};
use crate::messages::{self, Outline};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::contact::ContactKind;
use recoup_domain::hold::Purpose;
use recoup_domain::message::MessageStatus;
use recoup_domain::placement::PlacedParty;
use recoup_domain::policy::{Medium, Regime};
use recoup_domain::template::{TemplateChannel, TemplatePurpose, threatens_legal_action};
use recoup_domain::validation_notice::Language;
use recoup_store::servicing::message::{self, Message, TemplateRef};
use recoup_store::servicing::{AccountFile, Kept, RecordKind, RecordQuery};
use recoup_store::StoreError;
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

fn medium_of(c: TemplateChannel) -> Result<Medium, Problem> {
    match c {
        TemplateChannel::Email => Ok(Medium::Email),
        TemplateChannel::Sms => Ok(Medium::Sms),
        TemplateChannel::Letter => Ok(Medium::Letter),
        TemplateChannel::Voice => Err(StoreError::invalid("/template", "a voice template is read on a call, not sent").into()),
    }
}

/// What the holds judge a message by: a promise reminder may go where collection may not.
fn hold_purpose(p: TemplatePurpose) -> Purpose {
    match p {
        TemplatePurpose::PromiseReminder => Purpose::PromiseReminder,
        _ => Purpose::Collection,
    }
}

fn links(state: &AppState, tenant_id: Uuid, medium: Medium, point_id: Uuid) -> Links {
    let unsubscribe_url = match medium {
        Medium::Email => state.outbound.unsubscribe_url(state.store.as_ref(), tenant_id, point_id),
        _ => String::new(),
    };
    Links { unsubscribe_url, portal_url: state.outbound.portal_url() }
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
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    let lang = match req.language.as_deref() {
        Some(l) => parse_language(l).ok_or_else(|| StoreError::invalid("/language", "en or es"))?,
        None => compose::language_of(&parties),
    };
    let t = state
        .store
        .template(p.tenant_id, &req.template, language_code(lang), None)
        .await?
        .ok_or_else(|| StoreError::invalid("/template", format!("no template {:?} in {}", req.template, language_code(lang))))?;
    let d = draft_of(&t)?;
    let medium = medium_of(d.channel)?;
    let (point, postal_state) = point_for(&state, &p, &account, medium, req.contact_point_id).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let ctx = compose::context(&file, &parties, d.purpose, lang, today(), links(&state, p.tenant_id, medium, point.id))?;
    let rendered = recoup_channels::template::render(&d, &ctx).map_err(|e| StoreError::Refused(format!("the template does not render for this account: {e}")))?;
    let now = Timestamp::now();
    let outline = Outline {
        medium,
        addressee: messages::addressee(&parties, &point),
        point,
        postal_state,
        subject: rendered.subject,
        legal_threat: threatens_legal_action(&rendered.text),
        text: rendered.text,
        html: rendered.html,
        template: Some(TemplateRef { key: t.key.clone(), version: t.version, language: t.language.clone(), purpose: t.purpose.clone() }),
        notice: None,
        purpose: hold_purpose(d.purpose),
        automated: req.automated,
        opt_out_confirmation: d.purpose == TemplatePurpose::OptOutConfirmation,
        not_before: req.send_at.unwrap_or(now),
    };
    let mut items = Vec::new();
    if d.purpose != TemplatePurpose::ValidationNotice && needs_notice(&file)? {
        items.push(notice_item(&file, &parties, lang, now)?);
    }
    items.push(messages::build(account.id, outline, now));
    let queued = messages::queue(state.store.as_ref(), p.tenant_id, account.id, items, &actor(&p)).await?;
    let m = queued.into_iter().last().ok_or_else(|| StoreError::Corrupt("nothing was queued".into()))?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// The first communication about a debt carries the validation notice or schedules it (Reg F
/// 1006.34(a)); UK profiles have no such notice.
fn needs_notice(file: &AccountFile) -> Result<bool, Problem> {
    let profile = file.policy.contact_profile(file.account.portfolio_id).map_err(|e| StoreError::Corrupt(format!("contact profile: {e}")))?;
    Ok(profile.regime == Regime::Us && file.all::<Message>()?.is_empty())
}

/// The validation notice as a letter to the primary party's address, or why it cannot be given.
fn notice_item(file: &AccountFile, parties: &[PlacedParty], lang: Language, now: Timestamp) -> Result<(Message, recoup_store::servicing::contact::Check), Problem> {
    let day = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let notice = compose::notice(file, parties, &file.policy.collector, lang, day).map_err(|faults| {
        let words: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
        StoreError::Refused(format!("the validation notice cannot be given, so nothing was queued: {}", words.join("; ")))
    })?;
    let primary = compose::primary(parties).ok_or_else(|| StoreError::Refused("the account has no party to write to".into()))?;
    let point = primary
        .contact_points
        .iter()
        .find(|c| c.kind == ContactKind::Address)
        .cloned()
        .ok_or_else(|| StoreError::Refused("the validation notice needs a postal address for the debtor".into()))?;
    let title = match lang {
        Language::En => "Validation notice",
        Language::Es => "Aviso de validación",
    };
    let outline = Outline {
        medium: Medium::Letter,
        addressee: primary.party.display_name(),
        postal_state: point.address.as_ref().map(|a| a.region.clone()),
        point,
        subject: Some(title.into()),
        text: notice.statements.join("\n\n"),
        html: None,
        template: None,
        legal_threat: false,
        notice: Some(notice),
        purpose: Purpose::Collection,
        automated: true,
        opt_out_confirmation: false,
        not_before: now,
    };
    Ok(messages::build(file.account.id, outline, now))
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
        ("html", Medium::Letter) | ("pdf", Medium::Letter) => {
            let doc = crate::letters::document(&m, &file.policy.collector);
            let f = Format::parse(Some(format)).unwrap_or(Format::Pdf);
            Ok(respond(&doc, f, &format!("letter-{}", m.id)))
        }
        ("html", _) => {
            let body = format!("<pre style=\"white-space:pre-wrap;font-family:system-ui\">{}</pre>", recoup_channels::html::escape(&m.text));
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
        let s = MessageStatus::parse(&s).ok_or_else(|| StoreError::invalid("/status", "queued, sent, delivered, failed, bounced, blocked or cancelled"))?;
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
    let letters = day_letters(&state, p.tenant_id, q.on).await?;
    if letters.is_empty() {
        return Err(Problem::not_found("letter sent that day"));
    }
    Ok(respond(&crate::letters::batch(&letters), Format::Pdf, &format!("letters-{}", q.on)))
}

/// Letters that joined the print queue on `on`, oldest first, with their client's collector.
pub async fn day_letters(state: &AppState, tenant_id: Uuid, on: Date) -> Result<Vec<(Message, recoup_domain::client_policy::Collector)>, StoreError> {
    let mut query = RecordQuery::of(RecordKind::Message);
    (query.on_from, query.on_to, query.limit) = (Some(on), Some(on), 5_000);
    query.statuses = vec![MessageStatus::Sent.as_str().into(), MessageStatus::Delivered.as_str().into()];
    let mut out = Vec::new();
    let mut collectors = std::collections::HashMap::new();
    loop {
        let page = state.store.records(tenant_id, &query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some(last.id);
        for r in &page {
            let m = Message::from_record(r)?;
            if m.medium != Medium::Letter {
                continue;
            }
            if !collectors.contains_key(&r.client_id) {
                collectors.insert(r.client_id, state.store.client_policy(tenant_id, r.client_id).await?.collector);
            }
            out.push((m, collectors[&r.client_id].clone()));
        }
    }
    Ok(out)
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
    let (m, _) = notice_item(&file, &parties, compose::language_of(&parties), Timestamp::now())?;
    let notice = m.notice.clone().ok_or_else(|| StoreError::Corrupt("a notice without its content".into()))?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(notice).into_response()),
        f @ ("html" | "pdf") => Ok(respond(&recoup_channels::notice::validation_notice_document(&notice), Format::parse(Some(f)).unwrap_or(Format::Pdf), "validation-notice")),
        _ => Err(StoreError::invalid("/format", "json, html or pdf").into()),
    }
}
