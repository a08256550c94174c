//! Calls: tasks for agents (each past the contact policy before it reaches a worklist) and the
//! per-account answer to "can I contact this person now, and if not, when and why".

use super::access::{Action, allow};
use super::auth::Principal;
use super::contacts::point_for;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, act, actor};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use recoup_domain::contact::ContactKind;
use recoup_domain::hold::{Purpose, Recipient};
use recoup_domain::policy::{Intent, Medium, Outcome};
use recoup_store::servicing::contact::{self, Check, ContactAttempt, ContactDecision};
use recoup_store::servicing::preference::{self, ContactPreferences};
use recoup_store::servicing::task::{self, CallTask, TaskStatus};
use recoup_store::servicing::{Kept, RecordKind, RecordQuery, first};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    /// The phone to call; left out, the primary party's first phone.
    #[serde(default)]
    pub contact_point_id: Option<Uuid>,
    pub queue: String,
    pub reason: String,
    /// Not before (default now); the policy may move it later.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Timestamp>,
    /// Dialed by a dialer rather than by hand.
    #[serde(default)]
    pub automated: bool,
    /// A callback at the time the person asked for (`due_at`): first in the worklist once due.
    #[serde(default)]
    pub appointment: bool,
    /// Only this agent works it (who arranged the callback); left out, anyone on the queue.
    #[serde(default)]
    pub agent_id: Option<Uuid>,
}

/// Ask for a call: the policy looks first. Allowed, the task is open and due when asked; deferred,
/// it is due when the policy allows; blocked, it is kept as blocked with the decision's reasons
/// and reaches no worklist.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/call-tasks", tag = "communications", request_body = TaskRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = CallTask),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create_task(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<TaskRequest>,
) -> Result<(StatusCode, Json<CallTask>), Problem> {
    let account = account_for(&state, &p, &id, Action::SendMessages).await?;
    let (point, postal_state) = point_for(&state, &p, &account, Medium::Call, req.contact_point_id).await?;
    let now = (state.outbound.clock)();
    let intent = Intent::collection_call(req.automated);
    let task = CallTask {
        id: Uuid::now_v7(),
        account_id: account.id,
        contact_point_id: point.id,
        queue: req.queue,
        reason: req.reason,
        due_at: req.due_at.unwrap_or(now),
        status: TaskStatus::Open,
        decision_id: None,
        attempt_id: None,
        created_by: String::new(),
        appointment: req.appointment,
        agent_id: req.agent_id,
    };
    let check = Check { intent, point, postal_state, at: req.due_at.unwrap_or(now).max(now) };
    let changes = act(&state, &p, &account, task::create(task, check, &actor(&p))).await?;
    Ok((StatusCode::CREATED, Json(first::<CallTask>(&changes)?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// open (default), done, blocked or cancelled.
    pub status: Option<String>,
    pub queue: Option<String>,
    /// Only tasks due by now.
    #[serde(default)]
    pub due: bool,
    pub limit: Option<u32>,
}

/// Call tasks across accounts, soonest due first.
#[utoipa::path(get, path = "/api/v1/call-tasks", tag = "communications", params(TaskQuery),
    responses((status = 200, body = Items<CallTask>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn tasks(State(state): State<AppState>, p: Principal, Query(q): Query<TaskQuery>) -> Result<Json<Items<CallTask>>, Problem> {
    allow(&p, Action::ReadMessages)?;
    let mut query = RecordQuery::of(RecordKind::CallTask);
    query.statuses = vec![q.status.unwrap_or_else(|| "open".into())];
    query.limit = q.limit.unwrap_or(500).clamp(1, 5_000);
    let now = (state.outbound.clock)();
    let mut items: Vec<CallTask> =
        state.store.records(p.tenant_id, &query).await?.iter().map(CallTask::from_record).collect::<Result<_, _>>()?;
    items.retain(|t| q.queue.as_ref().is_none_or(|want| &t.queue == want) && (!q.due || t.due_at <= now));
    items.sort_by_key(|t| (t.due_at, t.id));
    Ok(Json(Items { items }))
}

/// The policy's answer for one way of reaching one contact point, right now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Reachability {
    pub contact_point_id: Uuid,
    pub kind: String,
    /// The number or address, as stored.
    pub value: String,
    #[schema(value_type = String)]
    pub medium: Medium,
    /// allow, defer or block.
    pub decision: String,
    /// For a deferral: the first instant it is allowed.
    #[schema(value_type = Option<String>)]
    pub next_allowed_at: Option<Timestamp>,
    pub reasons: Vec<contact::KeptReason>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Contactability {
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// The policy profile that judged (us-federal, us-ma, ...).
    pub profile: String,
    /// Placed calls counted in the last seven days (Reg F 1006.14(b)(2)(i) allows 7).
    pub calls_last_7_days: usize,
    pub channels: Vec<Reachability>,
    /// Whether suit is still possible on the debt, by the client's limitation table: once barred,
    /// messages that mention legal action are blocked (Reg F 1006.26(b)).
    #[schema(value_type = Object)]
    pub time_bar: recoup_domain::limitation::TimeBar,
    /// What to say if the call reaches voicemail: the tenant's limited-content message (Reg F
    /// 1006.2(j)), which may be left without disclosing the debt to whoever hears it.
    pub voicemail: Option<String>,
}

/// Why can't I contact this person now? For every contact point and way to use it, the policy's
/// answer at this moment with its rules and, when deferred, the next allowed time. Nothing is
/// kept: asking does not count as a contact.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/contactability", tag = "communications", params(("id" = String, Path)),
    responses((status = 200, body = Contactability), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn contactability(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Contactability>, Problem> {
    let account = account_for(&state, &p, &id, Action::ReadMessages).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    Ok(Json(reachability(&state, &p, &file, &parties).await?))
}

/// The policy's answers for an account already read (its file and parties), as
/// [`contactability`] gives them; the console's account page has both in hand.
pub(crate) async fn reachability(
    state: &AppState,
    p: &Principal,
    file: &recoup_store::servicing::AccountFile,
    parties: &[recoup_domain::placement::PlacedParty],
) -> Result<Contactability, Problem> {
    allow(p, Action::ReadMessages)?;
    let now = (state.outbound.clock)();
    let mut channels = Vec::new();
    let mut profile = String::new();
    for point in parties.iter().flat_map(|pp| pp.contact_points.iter()) {
        let region = crate::messages::postal_state(parties, point);
        for medium in mediums(point.kind) {
            let intent = Intent {
                medium,
                purpose: Purpose::Collection,
                recipient: Recipient::Consumer,
                automated: false,
                opt_out_confirmation: false,
            };
            let check = Check { intent, point: point.clone(), postal_state: region.clone(), at: now };
            let d: ContactDecision = contact::explain(file, &check, &actor(p))?;
            profile = d.profile.clone();
            channels.push(Reachability {
                contact_point_id: point.id,
                kind: point.kind.as_str().into(),
                value: point.value.clone(),
                medium,
                decision: d.decision,
                next_allowed_at: d.until,
                reasons: d.reasons,
            });
        }
    }
    let week_ago = now - jiff::SignedDuration::from_hours(7 * 24);
    let calls_last_7_days = file
        .all::<ContactAttempt>()?
        .iter()
        .filter(|a| a.medium.is_call() && !a.inbound && a.outcome != Outcome::NeverConnected && a.at > week_ago)
        .count();
    let voicemail = voicemail_text(state, file, parties).await?;
    let home =
        crate::compose::primary(parties).and_then(|p| p.contact_points.iter().find_map(|c| c.address.as_ref().map(|a| a.region.clone())));
    let time_bar = file.policy.limitation.judge(&file.account, home.as_deref(), now.to_zoned(jiff::tz::TimeZone::UTC).date());
    Ok(Contactability { at: now, profile, calls_last_7_days, channels, time_bar, voicemail })
}

/// The `voicemail` template rendered for this debtor, when the tenant has one.
async fn voicemail_text(
    state: &AppState,
    file: &recoup_store::servicing::AccountFile,
    parties: &[recoup_domain::placement::PlacedParty],
) -> Result<Option<String>, Problem> {
    let lang = crate::compose::language_of(parties);
    let Some(t) = state.store.template(file.account.tenant_id, "voicemail", crate::compose::language_code(lang), None).await? else {
        return Ok(None);
    };
    let d = crate::messages::draft_of(&t)?;
    let links = crate::compose::Links { unsubscribe_url: String::new(), portal_url: state.outbound.portal_url() };
    let today = (state.outbound.clock)().to_zoned(jiff::tz::TimeZone::UTC).date();
    let ctx = crate::compose::context(file, parties, d.purpose, lang, today, links)?;
    Ok(recoup_channels::template::render(&d, &ctx).ok().map(|r| r.text))
}

fn mediums(kind: ContactKind) -> Vec<Medium> {
    match kind {
        ContactKind::Phone => vec![Medium::Call, Medium::Sms],
        ContactKind::Email => vec![Medium::Email],
        ContactKind::Address => vec![Medium::Letter],
    }
}

/// A call task for an agent to answer a text the person sent: through the policy like any other.
pub async fn reply_task(
    state: &AppState,
    tenant_id: Uuid,
    account_id: Uuid,
    point: recoup_domain::contact::ContactPoint,
    actor: &recoup_store::Actor,
) -> Result<CallTask, recoup_store::StoreError> {
    let ask = CallAsk { queue: INBOUND_QUEUE, reason: "answer the person's text", id: None };
    call_task(state.store.as_ref(), (state.outbound.clock)(), tenant_id, account_id, point, ask, actor).await
}

/// What a call task is for, as a reply, a strategy step or an agent asks for one.
pub struct CallAsk<'a> {
    pub queue: &'a str,
    pub reason: &'a str,
    /// The task's id, when the caller must recognise it later; a new one when None.
    pub id: Option<Uuid>,
}

/// A call task due `now` or when the policy allows it; a call the policy refuses is kept as a
/// blocked task with the decision. An agent dials it, so it is never an automated call, even
/// when the strategy asked for it.
pub async fn call_task(
    store: &dyn recoup_store::Store,
    now: Timestamp,
    tenant_id: Uuid,
    account_id: Uuid,
    point: recoup_domain::contact::ContactPoint,
    ask: CallAsk<'_>,
    actor: &recoup_store::Actor,
) -> Result<CallTask, recoup_store::StoreError> {
    let parties = store.parties_of(tenant_id, account_id).await?;
    let (task, check) = prepare_call(&parties, now, account_id, point, ask);
    let id = task.id;
    let changes = store.service(tenant_id, account_id, task::create(task, check, actor)).await?;
    recoup_store::servicing::changed::<CallTask>(&changes, id)
}

/// The task [`call_task`] would create and the check the policy will judge it by, not yet
/// written. `parties` are the account's.
pub fn prepare_call(
    parties: &[recoup_domain::placement::PlacedParty],
    now: Timestamp,
    account_id: Uuid,
    point: recoup_domain::contact::ContactPoint,
    ask: CallAsk<'_>,
) -> (CallTask, Check) {
    let postal_state = crate::messages::postal_state(parties, &point);
    let task = CallTask { id: ask.id.unwrap_or_else(Uuid::now_v7), ..CallTask::new(account_id, point.id, ask.queue, ask.reason, now) };
    (task, task::agent_call(point, postal_state, now))
}

/// Where answers to inbound texts wait for an agent.
pub const INBOUND_QUEUE: &str = "inbound-replies";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesRequest {
    /// Local hours that are inconvenient, e.g. `[{"from":"07:00","to":"12:00"}]`; `from` after
    /// `to` wraps past midnight.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub inconvenient: Vec<recoup_domain::policy::LocalHours>,
    #[serde(default)]
    pub workplace_prohibited: bool,
    /// When the person asked us to call them.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub call_consent_at: Option<Timestamp>,
}

/// Record what the person said about contacting them: inconvenient times (Reg F 1006.6(b)(1)),
/// no contact at work (FDCPA 805(a)(3)), or that they asked for a call (Reg F
/// 1006.14(b)(3)(i)). Replaces what was there; the contact policy honours it from now on.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/contact-preferences", tag = "communications", request_body = PreferencesRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = ContactPreferences),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn set_preferences(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<PreferencesRequest>,
) -> Result<Json<ContactPreferences>, Problem> {
    let account = account_for(&state, &p, &id, Action::ChangeConsent).await?;
    if req.call_consent_at.is_some_and(|t| t > Timestamp::now()) {
        return Err(recoup_store::StoreError::invalid("/call_consent_at", "not in the future").into());
    }
    let prefs = ContactPreferences {
        account_id: account.id,
        inconvenient: req.inconvenient,
        workplace_prohibited: req.workplace_prohibited,
        call_consent_at: req.call_consent_at,
        updated_by: String::new(),
    };
    let changes = act(&state, &p, &account, preference::set(prefs, &actor(&p))).await?;
    Ok(Json(recoup_store::servicing::changed::<ContactPreferences>(&changes, account.id)?))
}

/// What the person told us about contacting them (all empty when nothing was recorded).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/contact-preferences", tag = "communications", params(("id" = String, Path)),
    responses((status = 200, body = ContactPreferences), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn preferences(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<ContactPreferences>, Problem> {
    let account = account_for(&state, &p, &id, Action::ReadMessages).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
    let prefs = file.find::<ContactPreferences>(account.id)?.unwrap_or(ContactPreferences { account_id: account.id, ..Default::default() });
    Ok(Json(prefs))
}
