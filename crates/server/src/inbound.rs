//! What comes back: texts people send to our number (STOP and its synonyms revoke consent at
//! once, START restores it, HELP is answered, anything else goes to an agent), the SMS provider's
//! delivery reports, and the one-click unsubscribe link in every e-mail.
//!
//! These routes are called by the provider or by the person, with no credential of ours: each
//! proves itself instead (the provider's signature over the URL and form; the unsubscribe link's
//! keyed tag), and the tenant is named in the path.

use crate::AppState;
use crate::messages::{self, Outline};
use crate::outbound;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use recoup_channels::transport::DeliveryUpdate;
use recoup_domain::contact::{Channel, ConsentState, ContactPoint, normalize_phone};
use recoup_domain::hold::Purpose;
use recoup_domain::message::{Inbound, MessageStatus, read_inbound};
use recoup_domain::note::Note;
use recoup_domain::policy::Medium;
use recoup_store::servicing::message;
use recoup_store::{Actor, StoreError};
use std::collections::BTreeSet;
use uuid::Uuid;

pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

fn twiml(reply: Option<&str>) -> Response {
    let body = match reply {
        Some(text) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
            recoup_channels::html::escape(text)
        ),
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".to_string(),
    };
    ([(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

fn plain(status: StatusCode, text: &str) -> Response {
    (status, text.to_string()).into_response()
}

/// The provider's signature is over the URL it called, as configured, and the form.
fn signed(state: &AppState, headers: &HeaderMap, path_and_query: &str, form: &[(String, String)]) -> bool {
    let Some(token) = state.twilio_auth_token.as_deref() else { return false };
    let Some(sig) = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) else { return false };
    let url = format!("{}{path_and_query}", state.outbound.public_url.trim_end_matches('/'));
    recoup_channels::twilio::verify_signature(token, &url, form, sig)
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The tenant a provider's URL names, by slug or (in the callbacks recoup sets) by id.
async fn tenant_id(state: &AppState, slug: &str) -> Result<Uuid, Response> {
    if let Ok(id) = Uuid::parse_str(slug) {
        return match state.store.list_tenants().await {
            Ok(all) if all.iter().any(|t| t.id == id) => Ok(id),
            Ok(_) => Err(plain(StatusCode::NOT_FOUND, "no such tenant")),
            Err(e) => Err(store_failure(e)),
        };
    }
    match state.store.tenant_by_slug(slug).await {
        Ok(Some(t)) => Ok(t.id),
        Ok(None) => Err(plain(StatusCode::NOT_FOUND, "no such tenant")),
        Err(e) => Err(store_failure(e)),
    }
}

fn store_failure(e: StoreError) -> Response {
    tracing::error!(error = %e, "inbound handling failed");
    // 5xx makes the provider retry the callback later; nothing was half-applied (each change is
    // its own transaction, and repeating one is harmless).
    plain(StatusCode::SERVICE_UNAVAILABLE, "try again later")
}

fn inbound_actor(from: &str) -> Actor {
    Actor(format!("inbound:sms:{from}"))
}

/// `POST /inbound/{tenant}/twilio/sms`: a text someone sent us.
pub async fn sms(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !signed(&state, &headers, &format!("/inbound/{slug}/twilio/sms"), &form) {
        tracing::warn!(tenant = %slug, "an inbound text with a missing or bad signature was refused");
        return plain(StatusCode::FORBIDDEN, "bad signature");
    }
    let tenant = match tenant_id(&state, &slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (Some(from), body) = (field(&form, "From"), field(&form, "Body").unwrap_or("")) else {
        return plain(StatusCode::BAD_REQUEST, "From is required");
    };
    let Ok(phone) = normalize_phone(from) else {
        return plain(StatusCode::BAD_REQUEST, "From is not a phone number");
    };
    let points = match state.store.contact_points_by_phone(tenant, &phone.e164).await {
        Ok(p) => p,
        Err(e) => return store_failure(e),
    };
    if points.is_empty() {
        tracing::info!(tenant = %slug, "an inbound text from a number on no account");
    }
    let result = match read_inbound(body) {
        Inbound::OptOut => opt_out(&state, tenant, &phone.e164, &points).await.map(|_| None),
        Inbound::OptIn => set_all(&state, tenant, &phone.e164, &points, ConsentState::Granted).await.map(|_| None),
        Inbound::Help => Ok(Some(help_text(&state, tenant, &points).await)),
        Inbound::Reply => reply(&state, tenant, &phone.e164, body, &points).await.map(|_| None),
    };
    match result {
        Ok(reply) => twiml(reply.as_deref()),
        Err(e) => store_failure(e),
    }
}

fn distinct_points(points: &[(Uuid, ContactPoint)]) -> Vec<&ContactPoint> {
    let mut seen = BTreeSet::new();
    points.iter().filter(|(_, p)| seen.insert(p.id)).map(|(_, p)| p).collect()
}

/// Sets text consent on every contact point with the number; whether any changed.
async fn set_all(
    state: &AppState,
    tenant: Uuid,
    from: &str,
    points: &[(Uuid, ContactPoint)],
    to: ConsentState,
) -> Result<bool, StoreError> {
    let mut changed = false;
    for p in distinct_points(points) {
        if p.consent.get(Channel::Sms) != to {
            state.store.set_consent(tenant, p.id, Channel::Sms, to, &inbound_actor(from)).await?;
            changed = true;
        }
    }
    Ok(changed)
}

/// Revokes text consent on every contact point with this number at once (47 CFR 64.1200(a)(10);
/// Reg F 1006.14(h)), then sends the one confirmation the rules allow, through the policy like
/// any other message, on the first account only: one text back, not one per debt.
async fn opt_out(state: &AppState, tenant: Uuid, from: &str, points: &[(Uuid, ContactPoint)]) -> Result<(), StoreError> {
    // A repeated STOP changes nothing and is not confirmed again.
    if !set_all(state, tenant, from, points, ConsentState::Revoked).await? {
        return Ok(());
    }
    let Some((account_id, point)) = points.first() else { return Ok(()) };
    let account = state.store.account(tenant, *account_id).await?.ok_or_else(|| StoreError::not_found("account", account_id))?;
    let ask = messages::FromTemplate {
        template: OPT_OUT_TEMPLATE.into(),
        language: None,
        contact_point_id: Some(point.id),
        send_at: None,
        automated: true,
        id: None,
    };
    match messages::send_template(state.store.as_ref(), &state.outbound, &account, ask, &inbound_actor(from)).await {
        Err(StoreError::Invalid { field, .. }) if field == "/template" => fixed_confirmation(state, tenant, &account, point, from).await,
        other => other.map(|_| ()),
    }
}

/// The tenant's template for the confirmation, in the person's language.
const OPT_OUT_TEMPLATE: &str = "opt-out-confirmation-sms";

/// The confirmation in recoup's own words, for a tenant without the template.
async fn fixed_confirmation(
    state: &AppState,
    tenant: Uuid,
    account: &recoup_domain::account::Account,
    point: &ContactPoint,
    from: &str,
) -> Result<(), StoreError> {
    let mut point = point.clone();
    point.consent.set(Channel::Sms, ConsentState::Revoked);
    let file = state.store.account_file(tenant, account.id).await?.ok_or_else(|| StoreError::not_found("account", account.id))?;
    let name = if file.policy.collector.name.is_empty() { "us".to_string() } else { file.policy.collector.name.clone() };
    let now = (state.outbound.clock)();
    let outline = Outline {
        medium: Medium::Sms,
        point,
        postal_state: None,
        addressee: String::new(),
        subject: None,
        text: format!("You will get no more texts from {name} at this number. Reply START to receive texts again."),
        html: None,
        template: None,
        notice: None,
        purpose: Purpose::Collection,
        automated: true,
        opt_out_confirmation: true,
        legal_threat: false,
        not_before: now,
    };
    let item = messages::build(account.id, outline, now);
    messages::queue(state.store.as_ref(), tenant, account.id, vec![item], &inbound_actor(from)).await?;
    Ok(())
}

async fn help_text(state: &AppState, tenant: Uuid, points: &[(Uuid, ContactPoint)]) -> String {
    let collector = match points.first() {
        Some((a, _)) => state.store.account_file(tenant, *a).await.ok().flatten().map(|f| f.policy.collector),
        None => None,
    };
    match collector {
        Some(c) if !c.phone.is_empty() => format!("{}: call {} ({}). Reply STOP to stop texts.", c.name, c.phone, c.hours),
        _ => "Reply STOP to stop texts from this number.".into(),
    }
}

/// Free text: on each account's timeline as a note, and a call task so an agent answers it.
async fn reply(state: &AppState, tenant: Uuid, from: &str, body: &str, points: &[(Uuid, ContactPoint)]) -> Result<(), StoreError> {
    let body: String = body.chars().take(1_600).collect();
    let mut seen = BTreeSet::new();
    for (account_id, point) in points.iter().filter(|(a, _)| seen.insert(*a)) {
        let note = Note {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            account_id: *account_id,
            author: inbound_actor(from).0,
            body: format!("Text from {from}: {body}"),
            created_at: Timestamp::now().as_microsecond(),
        };
        state.store.add_note(&note, &inbound_actor(from)).await?;
        crate::api::calls::reply_task(state, tenant, *account_id, point.clone(), &inbound_actor(from)).await?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
pub struct StatusQuery {
    /// `<account id>.<message id>`, set by us when the message was sent.
    pub m: String,
}

/// `POST /inbound/{tenant}/twilio/status?m=<account>.<message>`: a delivery report.
pub async fn sms_status(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<StatusQuery>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !signed(&state, &headers, &format!("/inbound/{slug}/twilio/status?m={}", q.m), &form) {
        tracing::warn!(tenant = %slug, "a delivery report with a missing or bad signature was refused");
        return plain(StatusCode::FORBIDDEN, "bad signature");
    }
    let tenant = match tenant_id(&state, &slug).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some((account_id, message_id)) = q.m.split_once('.').and_then(|(a, m)| Some((a.parse::<Uuid>().ok()?, m.parse::<Uuid>().ok()?)))
    else {
        return plain(StatusCode::BAD_REQUEST, "m must be <account>.<message>");
    };
    let status = field(&form, "MessageStatus").unwrap_or("");
    let Some(update) = recoup_channels::twilio::status_of(status) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let to = match update {
        DeliveryUpdate::Sent => return StatusCode::NO_CONTENT.into_response(),
        DeliveryUpdate::Delivered => MessageStatus::Delivered,
        DeliveryUpdate::Bounced => MessageStatus::Bounced,
        DeliveryUpdate::Failed => MessageStatus::Failed,
    };
    let detail = match field(&form, "ErrorCode") {
        Some(code) => format!("provider reports {status} (error {code})"),
        None => format!("provider reports {status}"),
    };
    let op = message::provider_update(message_id, to, detail, (state.outbound.clock)(), &outbound::system());
    match state.store.service(tenant, account_id, op).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(StoreError::NotFound { .. }) => plain(StatusCode::NOT_FOUND, "no such message"),
        Err(e) => store_failure(e),
    }
}

fn page(title: &str, body: &str) -> Response {
    crate::hardening::inline_styled(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}}\
         button{{font-size:1rem;padding:.6rem 1.2rem}}</style></head><body><h1>{title}</h1>{body}</body></html>"
    ))
}

/// Shows the address a little masked, so the page confirms without disclosing it whole.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "this address".into(),
    }
}

async fn unsubscribe_point(state: &AppState, token: &str) -> Option<(Uuid, ContactPoint)> {
    let (tenant, point_id) = outbound::read_unsubscribe_token(state.store.as_ref(), token)?;
    let file_point = state.store.contact_point(tenant, point_id).await.ok().flatten()?;
    Some((tenant, file_point))
}

/// `GET /u/{token}`: asks to confirm, so a mail scanner following links unsubscribes no one.
pub async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((_, point)) = unsubscribe_point(&state, &token).await else {
        return (StatusCode::NOT_FOUND, page("Link not valid", "<p>This unsubscribe link is not valid.</p>")).into_response();
    };
    let body = format!(
        "<p>Stop e-mail to {}?</p><form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>",
        recoup_channels::html::escape(&masked(&point.value))
    );
    page("Unsubscribe", &body).into_response()
}

/// `POST /u/{token}`: the form's button, or a mail client's one-click (RFC 8058). Revokes e-mail
/// consent for that address at once (Reg F 1006.6(e)).
pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((tenant, point)) = unsubscribe_point(&state, &token).await else {
        return (StatusCode::NOT_FOUND, page("Link not valid", "<p>This unsubscribe link is not valid.</p>")).into_response();
    };
    if point.consent.get(Channel::Email) != ConsentState::Revoked {
        let actor = Actor(format!("inbound:unsubscribe:{}", point.id));
        if let Err(e) = state.store.set_consent(tenant, point.id, Channel::Email, ConsentState::Revoked, &actor).await {
            return store_failure(e);
        }
    }
    page(
        "Unsubscribed",
        &format!("<p>You will get no more e-mail from us at {}.</p>", recoup_channels::html::escape(&masked(&point.value))),
    )
    .into_response()
}
