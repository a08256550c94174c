//! The supervisor's floor: each queue's health, what each agent did today, and the contacts the
//! policy blocked this week with their reasons.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, allow};
use crate::api::messages::OutboxQuery;
use crate::api::problem::Problem;
use crate::web::format::{instant, label};
use crate::web::{Chrome, message, page};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use recoup_domain::policy::Outcome;
use recoup_store::servicing::contact::{ContactAttempt, ContactDecision};
use recoup_store::servicing::promise::Promise;
use recoup_store::servicing::{Kept, RecordKind, RecordQuery};
use recoup_store::worklist::WorkQuery;
use std::collections::{BTreeMap, BTreeSet};

pub fn router() -> Router<AppState> {
    Router::new().route("/console/floor", get(floor))
}

/// Messages of the day the floor reads.
const OUTBOX_SHOWN: u32 = 100;

/// Open tasks read at most, all queues together; past it the page says "at least".
const QUEUE_CAP: u32 = 20_000;

struct QueueRow {
    queue: String,
    open: String,
    due: usize,
    held: usize,
    oldest_due: String,
}

struct AgentRow {
    name: String,
    queues: String,
    attempts: usize,
    conversations: usize,
    promises: usize,
    capacity: u32,
}

struct Blocked {
    when: String,
    account_id: String,
    medium: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "console/floor.html")]
struct Floor {
    chrome: Chrome,
    queues: Vec<QueueRow>,
    agents: Vec<AgentRow>,
    by_reason: Vec<(String, usize)>,
    blocked: Vec<Blocked>,
    /// Today's messages, newest first: (when, account, medium, to, template, status, transport).
    outbox: Vec<[String; 7]>,
}

async fn floor(State(state): State<AppState>, staff: Staff) -> Response {
    match load(&state, &staff).await {
        Ok(f) => page(StatusCode::OK, &f),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn load(state: &AppState, staff: &Staff) -> Result<Floor, Problem> {
    let p = &staff.p;
    // The floor is the supervisors': who manages agents sees how they and their queues do.
    allow(p, Action::ManageAgents)?;
    allow(p, Action::ReadMessages)?;
    let now = (state.outbound.clock)();
    // Servicing dates its records by the wall clock's UTC day, as the API does; messages and the
    // policy's decisions by the outbound clock. (They are the same clock except in tests.)
    let today = crate::api::servicing::today();
    let sending_day = recoup_store::servicing::contact::utc_day(now);
    let agents = state.store.agents(p.tenant_id).await?;
    let names: BTreeSet<String> = agents.iter().flat_map(|a| a.queues.iter().cloned()).collect();
    // One read for every queue, grouped here: a read per queue cost a worklist ordering each.
    let query = WorkQuery { queues: names.iter().cloned().collect(), agent_id: None, now: now.as_microsecond(), limit: QUEUE_CAP };
    let all = state.store.worklist(p.tenant_id, &query).await?;
    let capped = all.len() as u32 >= QUEUE_CAP;
    let mut queues = Vec::new();
    for q in names {
        let items: Vec<_> = all.iter().filter(|i| i.queue == q).collect();
        let due: Vec<_> = items.iter().filter(|i| i.due_at <= now).collect();
        let open = if capped { format!("{}+", items.len()) } else { items.len().to_string() };
        queues.push(QueueRow {
            queue: q,
            open,
            due: due.len(),
            held: items.iter().filter(|i| i.held_by.is_some()).count(),
            oldest_due: due.iter().map(|i| i.due_at).min().map(instant).unwrap_or_else(|| "-".into()),
        });
    }
    let of_today = |kind| RecordQuery { on_from: Some(today), on_to: Some(today), limit: 50_000, ..RecordQuery::of(kind) };
    let attempts: Vec<ContactAttempt> = kept(state, p.tenant_id, &of_today(RecordKind::ContactAttempt)).await?;
    let promises: Vec<Promise> = kept(state, p.tenant_id, &of_today(RecordKind::Promise)).await?;
    let mut rows = Vec::new();
    for a in &agents {
        let me = format!("user:{}", a.user_id);
        let mine: Vec<_> = attempts.iter().filter(|x| x.by == me && !x.inbound).collect();
        let name = state.store.user(p.tenant_id, a.user_id).await?.map(|u| u.name).unwrap_or_else(|| a.user_id.to_string());
        rows.push(AgentRow {
            name,
            queues: a.queues.join(", "),
            attempts: mine.len(),
            conversations: mine.iter().filter(|x| x.outcome == Outcome::Conversation).count(),
            promises: promises.iter().filter(|x| x.taken_by == me).count(),
            capacity: a.daily_capacity,
        });
    }
    let week = RecordQuery {
        statuses: vec!["block".into()],
        on_from: sending_day.checked_sub(jiff::Span::new().days(6)).ok(),
        on_to: Some(sending_day),
        limit: 5_000,
        ..RecordQuery::of(RecordKind::ContactDecision)
    };
    let mut decisions: Vec<ContactDecision> = kept(state, p.tenant_id, &week).await?;
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for d in &decisions {
        for r in &d.reasons {
            *by_reason.entry(format!("{} ({})", r.code.replace('_', " "), r.rule)).or_default() += 1;
        }
    }
    let mut by_reason: Vec<_> = by_reason.into_iter().collect();
    by_reason.sort_by_key(|r| std::cmp::Reverse(r.1));
    decisions.sort_by_key(|d| std::cmp::Reverse(d.at));
    let blocked = decisions
        .iter()
        .take(25)
        .map(|d| Blocked {
            when: instant(d.at),
            account_id: d.account_id.to_string(),
            medium: label(&d.medium),
            reasons: d.reasons.iter().map(|r| r.detail.clone()).collect::<Vec<_>>().join("; "),
        })
        .collect();
    // The day's first hundred: each message is read whole (its text and HTML), so a busy day's
    // full outbox would cost the page most of its time; the API pages through the rest.
    let q = OutboxQuery { status: None, on: Some(sending_day), after: None, limit: Some(OUTBOX_SHOWN) };
    let axum::Json(sent) = crate::api::messages::outbox(State(state.clone()), p.clone(), Query(q)).await?;
    let outbox = sent
        .items
        .iter()
        .rev()
        .map(|m| {
            [
                instant(m.created_at),
                m.account_id.to_string(),
                label(&m.medium),
                m.to.clone(),
                m.template.as_ref().map(|t| t.key.clone()).unwrap_or_default(),
                label(&m.status),
                m.transport.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Floor { chrome: staff.chrome("Floor", "/console/floor"), queues, agents: rows, by_reason, blocked, outbox })
}

async fn kept<T: Kept>(state: &AppState, tenant_id: uuid::Uuid, q: &RecordQuery) -> Result<Vec<T>, Problem> {
    Ok(state.store.records(tenant_id, q).await?.iter().map(T::from_record).collect::<Result<_, _>>()?)
}
