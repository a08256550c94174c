//! The supervisor's floor: each queue's health, what each agent did today, and the contacts the
//! policy blocked this week with their reasons.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, allow};
use crate::api::messages::OutboxQuery;
use crate::api::problem::Problem;
use crate::web::format::{instant, label, money};
use crate::web::{Chrome, message, page};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jiff::civil::Date;
use recoup_domain::kpi::{self, Productivity};
use recoup_domain::message::CallResult;
use recoup_domain::worklist::Agent;
use recoup_store::reports::ReportQuery;
use recoup_store::servicing::contact::ContactDecision;
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
    /// Signed in today, "h:mm".
    signed_in: String,
    /// (count, per hour worked or "-") for attempts, right-party contacts and promises.
    attempts: (u64, String),
    right_party: (u64, String),
    promises: (u64, String),
    /// Collected today and per hour, per currency.
    collected: Vec<(String, String)>,
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
    let rows = productivity(state, p.tenant_id, &agents, today).await?;
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

/// What each agent did today, per hour signed in (recoup_domain::kpi::productivity), from the
/// same kept sums as the reports: attempts by the day made, promises by the day taken,
/// payments by the day effective.
async fn productivity(state: &AppState, tenant_id: uuid::Uuid, agents: &[Agent], today: Date) -> Result<Vec<AgentRow>, Problem> {
    let data = state.store.report_data(tenant_id, &ReportQuery::window(today, today)).await?;
    // The UTC day servicing dates its records by; still-open sessions count up to their last request.
    let midnight = today.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| Problem::internal())?.timestamp().as_microsecond();
    let end = midnight + 24 * 3_600_000_000;
    let periods = state.store.work_periods(tenant_id, midnight, end).await?;
    let worked = kpi::worked(&periods, midnight, end);
    let mut rows = Vec::new();
    for a in agents {
        let me = format!("user:{}", a.user_id);
        let me = me.as_str();
        let mine = || data.contacts.iter().filter(move |x| x.by == me && !x.inbound);
        let done = |kind: &'static str| data.done_by.iter().filter(move |x| x.by == me && x.kind == kind);
        let mut day = Productivity {
            attempts: mine().map(|x| x.count).sum(),
            right_party_contacts: mine()
                .filter(|x| x.result.as_deref().and_then(CallResult::parse).is_some_and(CallResult::is_rpc))
                .map(|x| x.count)
                .sum(),
            promises: done("promise").map(|x| x.count).sum(),
            worked_micros: worked.get(&a.user_id).copied().unwrap_or(0),
            ..Default::default()
        };
        for x in done("payment") {
            *day.collected.entry(x.currency.clone()).or_default() += x.minor;
        }
        let name = state.store.user(tenant_id, a.user_id).await?.map(|u| u.name).unwrap_or_else(|| a.user_id.to_string());
        let rate = |n: u64| (n, day.per_hour(n).map_or_else(|| "-".into(), |r| format!("{r:.1}")));
        let collected = day
            .collected
            .iter()
            .map(|(c, v)| (money(*v, c), day.collected_per_hour(c).map_or_else(|| "-".into(), |r| money(r, c))))
            .collect();
        let minutes = day.worked_micros / 60_000_000;
        rows.push(AgentRow {
            name,
            queues: a.queues.join(", "),
            signed_in: format!("{}:{:02}", minutes / 60, minutes % 60),
            attempts: rate(day.attempts),
            right_party: rate(day.right_party_contacts),
            promises: rate(day.promises),
            collected,
            capacity: a.daily_capacity,
        });
    }
    Ok(rows)
}

async fn kept<T: Kept>(state: &AppState, tenant_id: uuid::Uuid, q: &RecordQuery) -> Result<Vec<T>, Problem> {
    Ok(state.store.records(tenant_id, q).await?.iter().map(T::from_record).collect::<Result<_, _>>()?)
}
