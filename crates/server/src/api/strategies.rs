//! Strategies: save a version (checked whole, every mistake with its line), list and activate
//! versions, run a day or a dry run of one, compare two versions on the same day, and read the
//! actions a run decided.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{FieldError, Problem, ProblemDocument};
use super::servicing::{Items, actor, today};
use crate::AppState;
use crate::experiments::{ExperimentReport, ExperimentView};
use crate::strategy::{RunReport, RunRequest, StrategyRefusal};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use recoup_store::StoreError;
use recoup_store::strategy::{ActionQuery, ActionStatus, RunSchedule, StoredStrategy, StrategyAction};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

impl From<StrategyRefusal> for Problem {
    fn from(e: StrategyRefusal) -> Self {
        match e {
            StrategyRefusal::Invalid(errors) => {
                let errors = errors.iter().map(|e| FieldError { pointer: "/body".into(), detail: e.to_string() }).collect();
                Problem::invalid("the strategy was not saved: it has mistakes (each with its line)", errors)
            }
            StrategyRefusal::Store(e) => e.into(),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStrategy {
    /// The strategy file (TOML).
    pub body: String,
}

/// Save a new version of the tenant's strategy. It is checked whole first: its syntax, field
/// names and types in every condition, templates that exist on the step's channel, queues for
/// tasks, experiment shares that add up to at most 100%, no circle of hand-ons. The first version
/// goes live; later ones wait to be activated.
#[utoipa::path(post, path = "/api/v1/strategies", tag = "strategy", request_body = NewStrategy,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = StoredStrategy),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    Body(req): Body<NewStrategy>,
) -> Result<(StatusCode, Json<StoredStrategy>), Problem> {
    allow(&p, Action::ManageStrategies)?;
    let saved = crate::strategy::save(state.store.as_ref(), p.tenant_id, &req.body, &actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Every version, newest first; `live` marks the one the daily run uses.
#[utoipa::path(get, path = "/api/v1/strategies", tag = "strategy",
    responses((status = 200, body = Items<StoredStrategy>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Json<Items<StoredStrategy>>, Problem> {
    allow(&p, Action::ReadStrategies)?;
    Ok(Json(Items { items: state.store.strategy_versions(p.tenant_id).await? }))
}

#[utoipa::path(get, path = "/api/v1/strategies/{version}", tag = "strategy",
    params(("version" = u32, Path)),
    responses((status = 200, body = StoredStrategy), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn get_one(State(state): State<AppState>, p: Principal, Path(version): Path<u32>) -> Result<Json<StoredStrategy>, Problem> {
    allow(&p, Action::ReadStrategies)?;
    let found = state.store.strategy(p.tenant_id, Some(version)).await?;
    Ok(Json(found.ok_or_else(|| Problem::not_found("strategy version"))?))
}

/// Make a version the live one: the next daily run uses it. Accounts keep their place in
/// segments the new version also has.
#[utoipa::path(post, path = "/api/v1/strategies/{version}/activate", tag = "strategy",
    params(("version" = u32, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses((status = 200, body = StoredStrategy), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn activate(State(state): State<AppState>, p: Principal, Path(version): Path<u32>) -> Result<Json<StoredStrategy>, Problem> {
    allow(&p, Action::ManageStrategies)?;
    Ok(Json(state.store.activate_strategy(p.tenant_id, version, &actor(&p)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// The day to run; today (UTC) when left out.
    #[schema(value_type = Option<String>)]
    pub date: Option<Date>,
    /// Count what would happen and write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// A version to dry-run instead of the live one (a live run always uses the live one).
    pub version: Option<u32>,
}

/// Run the strategy for a day: every active account is evaluated and its step, if one is due,
/// is asked of the contact policy and written: `queued` when the policy lets it through (now or
/// deferred), `planned` with the reasons when it blocks it or it cannot be made. The server's
/// carry-out job then makes each one (a message through the policy again, a call task, a queue
/// move, or the blocked message and the failure with why). The report counts the policy's first
/// answers. The same day run again creates nothing new. A dry run counts by segment, arm, step,
/// action and reason, and writes nothing.
#[utoipa::path(post, path = "/api/v1/strategy-runs", tag = "strategy", request_body = RunBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = RunReport),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn run(State(state): State<AppState>, p: Principal, Body(b): Body<RunBody>) -> Result<Json<RunReport>, Problem> {
    allow(&p, Action::RunStrategies)?;
    if !b.dry_run && b.version.is_some() {
        return Err(StoreError::invalid("/version", "a live run uses the live version; activate the one to run").into());
    }
    let date = b.date.unwrap_or_else(today);
    if !b.dry_run {
        let report = crate::strategy::run_by_hand(state.store.as_ref(), &state.outbound, p.tenant_id, date, &state.node, |_| {}).await?;
        return Ok(Json(report));
    }
    let req = RunRequest { tenant_id: p.tenant_id, date, dry_run: true, version: b.version, node: None };
    Ok(Json(crate::strategy::run(state.store.as_ref(), &state.outbound, &req, |_| {}).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: u32,
    pub to: u32,
    /// The day both dry runs are for; today (UTC) when left out.
    #[param(value_type = Option<String>)]
    pub date: Option<Date>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Diff {
    pub from: RunReport,
    pub to: RunReport,
}

/// Dry-run two versions on the same day, to compare a new version with the live one before it
/// goes live.
#[utoipa::path(get, path = "/api/v1/strategies/diff", tag = "strategy", params(DiffQuery),
    responses((status = 200, body = Diff), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn diff(State(state): State<AppState>, p: Principal, Query(q): Query<DiffQuery>) -> Result<Json<Diff>, Problem> {
    allow(&p, Action::RunStrategies)?;
    let date = q.date.unwrap_or_else(today);
    let dry = |version| RunRequest { tenant_id: p.tenant_id, date, dry_run: true, version: Some(version), node: None };
    let from = crate::strategy::run(state.store.as_ref(), &state.outbound, &dry(q.from), |_| {}).await?;
    let to = crate::strategy::run(state.store.as_ref(), &state.outbound, &dry(q.to), |_| {}).await?;
    Ok(Json(Diff { from, to }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActionsQuery {
    #[param(value_type = Option<String>)]
    pub run_on: Option<Date>,
    /// planned, queued, done, blocked or failed.
    pub status: Option<String>,
    pub account_id: Option<Uuid>,
    /// The last id of the previous page.
    pub after: Option<Uuid>,
    pub limit: Option<u32>,
}

/// The actions runs decided, oldest first: what each became, or why it was blocked.
#[utoipa::path(get, path = "/api/v1/strategy-actions", tag = "strategy", params(ActionsQuery),
    responses((status = 200, body = Items<StrategyAction>), (status = 422, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn actions(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ActionsQuery>,
) -> Result<Json<Items<StrategyAction>>, Problem> {
    allow(&p, Action::ReadStrategies)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(ActionStatus::parse(s).ok_or_else(|| StoreError::invalid("/status", "planned, queued, done, blocked or failed"))?),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let query = ActionQuery { run_on: q.run_on, status, account_id: q.account_id, after: q.after, limit };
    Ok(Json(Items { items: state.store.strategy_actions(p.tenant_id, &query).await? }))
}

/// When the daily run starts on its own, in the tenant's time; 404 when it runs only by hand.
#[utoipa::path(get, path = "/api/v1/strategy-schedule", tag = "strategy",
    responses((status = 200, body = RunSchedule), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn schedule(State(state): State<AppState>, p: Principal) -> Result<Json<RunSchedule>, Problem> {
    allow(&p, Action::ReadStrategies)?;
    Ok(Json(state.store.run_schedule(p.tenant_id).await?.ok_or_else(|| Problem::not_found("strategy schedule"))?))
}

/// Set the daily run's local start time and zone: every `serve` node looks each minute, and the
/// first to claim a tenant's day runs it.
#[utoipa::path(put, path = "/api/v1/strategy-schedule", tag = "strategy", request_body = RunSchedule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses((status = 200, body = RunSchedule), (status = 422, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn set_schedule(State(state): State<AppState>, p: Principal, Body(s): Body<RunSchedule>) -> Result<Json<RunSchedule>, Problem> {
    allow(&p, Action::ManageStrategies)?;
    if jiff::tz::TimeZone::get(&s.time_zone).is_err() {
        return Err(StoreError::invalid(
            "/time_zone",
            format!("{:?} is not an IANA time zone (America/Chicago, Europe/London, ...)", s.time_zone),
        )
        .into());
    }
    state.store.set_run_schedule(p.tenant_id, Some(&s), &actor(&p)).await?;
    Ok(Json(s))
}

/// The live strategy's experiments: each segment's champion, control group and challengers with
/// their shares.
#[utoipa::path(get, path = "/api/v1/experiments", tag = "strategy",
    responses((status = 200, body = Items<ExperimentView>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn experiments(State(state): State<AppState>, p: Principal) -> Result<Json<Items<ExperimentView>>, Problem> {
    allow(&p, Action::ReadStrategies)?;
    Ok(Json(Items { items: crate::experiments::list(state.store.as_ref(), p.tenant_id).await? }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    /// The last day counted; today (UTC) when left out.
    #[param(value_type = Option<String>)]
    pub through: Option<Date>,
}

/// How each arm did since its accounts joined: accounts, collected (total and per account),
/// right-party contact rate (conversations / call attempts), promise-kept rate (kept / came
/// due) and complaints (disputes and cease requests), each rate with its 95% interval.
#[utoipa::path(get, path = "/api/v1/experiments/{name}/results", tag = "strategy", params(("name" = String, Path), ResultsQuery),
    responses(
        (status = 200, body = ExperimentReport),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn experiment_results(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Json<ExperimentReport>, Problem> {
    allow(&p, Action::ReadStrategies)?;
    let through = q.through.unwrap_or_else(today);
    Ok(Json(crate::experiments::results(state.store.as_ref(), p.tenant_id, &name, through).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteBody {
    /// `champion` or a challenger's name.
    pub arm: String,
}

/// End the experiment in favour of an arm: a new version of the live strategy in which the
/// segment gives every account that arm's treatment, checked and made live. Results stay readable.
#[utoipa::path(post, path = "/api/v1/experiments/{name}/promote", tag = "strategy", request_body = PromoteBody,
    params(("name" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = StoredStrategy),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn promote(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
    Body(req): Body<PromoteBody>,
) -> Result<(StatusCode, Json<StoredStrategy>), Problem> {
    allow(&p, Action::ManageStrategies)?;
    let live = crate::experiments::promote(state.store.as_ref(), p.tenant_id, &name, &req.arm, &actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(live)))
}
