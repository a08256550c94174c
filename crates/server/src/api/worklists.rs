//! Worklists: agents' queues and daily capacity, a queue's or an agent's list in order, and the
//! calls an agent's screen makes all day: the next account (never one another agent holds), skip
//! it with a reason, or let it go.

use super::access::{Action, allow};
use super::auth::{Principal, Subject};
use super::json::Body;
use super::problem::{FieldError, Problem, ProblemDocument};
use super::servicing::{Items, actor};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use recoup_domain::access::Role;
use recoup_domain::worklist::Agent;
use recoup_store::worklist::{Next, Skip, WorkItem, WorkQuery};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long an account handed out stays the agent's without them asking again: a long call and
/// its wrap-up. Asking for the next account renews it while the task is still open.
pub const HOLD: SignedDuration = SignedDuration::from_mins(30);

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    pub queues: Vec<String>,
    pub daily_capacity: u32,
    /// IANA zone of the agent's working day (default UTC).
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgentView {
    pub user_id: Uuid,
    pub queues: Vec<String>,
    pub daily_capacity: u32,
    pub time_zone: String,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        AgentView { user_id: a.user_id, queues: a.queues, daily_capacity: a.daily_capacity, time_zone: a.time_zone }
    }
}

/// Agents with their queues and daily capacity.
#[utoipa::path(get, path = "/api/v1/agents", tag = "worklists",
    responses((status = 200, body = Items<AgentView>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn agents(State(state): State<AppState>, p: Principal) -> Result<Json<Items<AgentView>>, Problem> {
    allow(&p, Action::ReadWorklists)?;
    let items = state.store.agents(p.tenant_id).await?.into_iter().map(AgentView::from).collect();
    Ok(Json(Items { items }))
}

/// Set which queues a user works and how many accounts a day they are handed. Only agents and
/// supervisors work lists.
#[utoipa::path(put, path = "/api/v1/agents/{user_id}", tag = "worklists", request_body = AgentSettings,
    params(("user_id" = String, Path)),
    responses(
        (status = 200, body = AgentView),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn set_agent(
    State(state): State<AppState>,
    p: Principal,
    Path(user_id): Path<String>,
    Body(req): Body<AgentSettings>,
) -> Result<Json<AgentView>, Problem> {
    allow(&p, Action::ManageAgents)?;
    let user_id = Uuid::parse_str(&user_id).map_err(|_| p.not_found("user", &user_id))?;
    let user = state.store.user(p.tenant_id, user_id).await?.ok_or_else(|| p.not_found("user", &user_id.to_string()))?;
    if !matches!(user.role, Role::Agent | Role::Supervisor) {
        return Err(Problem::invalid(
            "only agents and supervisors work lists",
            vec![FieldError { pointer: "/user_id".into(), detail: format!("the user is a {}", user.role.as_str()) }],
        ));
    }
    let agent = Agent {
        user_id,
        queues: req.queues.iter().map(|q| q.trim().to_string()).collect(),
        daily_capacity: req.daily_capacity,
        time_zone: req.time_zone.unwrap_or_else(|| "UTC".into()),
    };
    state.store.set_agent(p.tenant_id, &agent, &actor(&p)).await?;
    Ok(Json(agent.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One queue's list.
    pub queue: Option<String>,
    /// One agent's list: their queues (or `queue`) and the tasks meant for them.
    pub agent_id: Option<Uuid>,
    pub limit: Option<u32>,
}

/// A queue's or an agent's worklist, in the order it is worked: appointments due, soonest first;
/// then due tasks by expected recovery (propensity to pay x balance), then by age; then tasks not
/// yet due. `held_by` shows who is working an account now.
#[utoipa::path(get, path = "/api/v1/worklists", tag = "worklists", params(ListQuery),
    responses(
        (status = 200, body = Items<WorkItem>),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, Query(q): Query<ListQuery>) -> Result<Json<Items<WorkItem>>, Problem> {
    allow(&p, Action::ReadWorklists)?;
    let mut queues: Vec<String> = q.queue.into_iter().collect();
    if let Some(agent_id) = q.agent_id {
        let agent = state.store.agent(p.tenant_id, agent_id).await?.ok_or_else(|| p.not_found("agent", &agent_id.to_string()))?;
        if queues.is_empty() {
            queues = agent.queues;
        }
    }
    let now = (state.outbound.clock)().as_microsecond();
    let query = WorkQuery { queues, agent_id: q.agent_id, now, limit: q.limit.unwrap_or(200).clamp(1, 5_000) };
    Ok(Json(Items { items: state.store.worklist(p.tenant_id, &query).await? }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NextQuery {
    /// For whom; left out, the signed-in agent. Naming another agent is a supervisor's.
    pub agent_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Handed {
    /// `handed` (new) or `holding` (the account the agent has not finished).
    pub status: &'static str,
    pub item: WorkItem,
}

/// The next account for an agent. The agent holds it until they ask again after finishing its
/// task, skip it, release it, or 30 minutes pass; meanwhile nobody else is handed it. 204 when
/// nothing is due; 409 (`capacity-reached`) when the agent has had their day's accounts.
#[utoipa::path(post, path = "/api/v1/worklist/next", tag = "worklists", params(NextQuery),
    responses(
        (status = 200, body = Handed),
        (status = 204, description = "Nothing due that nobody else holds"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn next(State(state): State<AppState>, p: Principal, Query(q): Query<NextQuery>) -> Result<Response, Problem> {
    Ok(match next_work(&state, &p, q.agent_id).await? {
        Next::Handed(item) => Json(Handed { status: "handed", item }).into_response(),
        Next::Holding(item) => Json(Handed { status: "holding", item }).into_response(),
        Next::Empty => StatusCode::NO_CONTENT.into_response(),
        Next::AtCapacity { handed, capacity } => return Err(at_capacity(handed, capacity)),
    })
}

/// The next account for the caller (or, for a supervisor, `agent_id`), held for [`HOLD`].
pub(crate) async fn next_work(state: &AppState, p: &Principal, agent_id: Option<Uuid>) -> Result<Next, Problem> {
    let agent_id = working_agent(p, agent_id)?;
    let now = (state.outbound.clock)();
    let lease = now.checked_add(HOLD).unwrap_or(now);
    Ok(state.store.next_work(p.tenant_id, agent_id, now.as_microsecond(), lease.as_microsecond()).await?)
}

pub(crate) fn at_capacity(handed: u32, capacity: u32) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "capacity-reached",
        "Daily capacity reached",
        format!("the agent has been handed {handed} accounts today, their capacity is {capacity}"),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipRequest {
    pub account_id: Uuid,
    /// Why (wrong time zone, needs a supervisor, ...): kept in the audit trail.
    pub reason: String,
    #[serde(default)]
    pub agent_id: Option<Uuid>,
}

/// Give back an account the agent holds, with a reason. They are not handed it again today;
/// others may be.
#[utoipa::path(post, path = "/api/v1/worklist/skip", tag = "worklists", request_body = SkipRequest,
    responses(
        (status = 204, description = "Skipped"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn skip(State(state): State<AppState>, p: Principal, Body(req): Body<SkipRequest>) -> Result<StatusCode, Problem> {
    let agent_id = working_agent(&p, req.agent_id)?;
    let now = (state.outbound.clock)().as_microsecond();
    let skip = Skip { agent_id, account_id: req.account_id, reason: req.reason, now };
    state.store.skip_work(p.tenant_id, &skip, &actor(&p)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    pub account_id: Uuid,
    #[serde(default)]
    pub agent_id: Option<Uuid>,
}

/// Let go of an account the agent holds (end of shift), so others may be handed it at once.
#[utoipa::path(post, path = "/api/v1/worklist/release", tag = "worklists", request_body = ReleaseRequest,
    responses(
        (status = 204, description = "Released"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn release(State(state): State<AppState>, p: Principal, Body(req): Body<ReleaseRequest>) -> Result<StatusCode, Problem> {
    let agent_id = working_agent(&p, req.agent_id)?;
    let now = (state.outbound.clock)().as_microsecond();
    if !state.store.release_work(p.tenant_id, agent_id, req.account_id, now).await? {
        return Err(Problem::new(StatusCode::CONFLICT, "refused", "Not possible now", "the agent does not hold this account"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who works: the signed-in agent, or the agent a supervisor (or an admin) names.
fn working_agent(p: &Principal, named: Option<Uuid>) -> Result<Uuid, Problem> {
    allow(p, Action::WorkAccounts)?;
    let me = match p.subject {
        Subject::User(u) => Some(u),
        Subject::ApiKey(_) => None,
    };
    match (named, me) {
        (Some(a), Some(m)) if a == m => Ok(a),
        (Some(a), _) => {
            allow(p, Action::ManageAgents)?;
            Ok(a)
        }
        (None, Some(m)) => Ok(m),
        (None, None) => Err(Problem::invalid(
            "an API key works for no agent of its own",
            vec![FieldError { pointer: "/agent_id".into(), detail: "name the agent".into() }],
        )),
    }
}
