//! The supervisor's strategy pages: the editor (check, save, dry-run, activate; every mistake
//! with its line) and experiments with each arm's results and promotion. Each runs the API's
//! handler.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, allow, may};
use crate::api::json::Body;
use crate::api::problem::Problem;
use crate::api::strategies::{self, NewStrategy, PromoteBody, ResultsQuery, RunBody};
use crate::web::format::{day, instant, money};
use crate::web::{Chrome, message, page, see_other};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/strategy", get(editor).post(submit))
        .route("/console/strategy/{version}/activate", post(activate))
        .route("/console/experiments/{name}", get(results).post(promote))
}

struct Version {
    version: u32,
    name: String,
    live: bool,
    created: String,
    created_by: String,
}

/// A dry run's counts, one table per dimension.
struct Counts {
    title: &'static str,
    rows: Vec<(String, u64)>,
}

struct ExperimentRow {
    name: String,
    segment: String,
    arms: String,
}

#[derive(Template)]
#[template(path = "console/strategy.html")]
struct Editor {
    chrome: Chrome,
    body: String,
    versions: Vec<Version>,
    experiments: Vec<ExperimentRow>,
    errors: Vec<String>,
    notice: Option<String>,
    dry_run: Vec<Counts>,
    can_manage: bool,
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn editor(State(state): State<AppState>, staff: Staff, Query(n): Query<Notice>) -> Response {
    let notice = n.done.map(|d| match d.as_str() {
        "saved" => "Saved as a new version. Activate it to make it live.".to_string(),
        "activated" => "Activated: the next daily run uses it.".to_string(),
        "promoted" => "Promoted: the segment now gives every account that arm's treatment.".to_string(),
        _ => "Done.".to_string(),
    });
    show(&state, &staff, Outcome { notice, ..Outcome::default() }, StatusCode::OK).await
}

/// What the last submission came to: the text as typed, its mistakes, a notice, a dry run.
#[derive(Default)]
struct Outcome {
    body: Option<String>,
    errors: Vec<String>,
    notice: Option<String>,
    dry_run: Vec<Counts>,
}

async fn show(state: &AppState, staff: &Staff, o: Outcome, status: StatusCode) -> Response {
    match load(state, staff, o).await {
        Ok(e) => page(status, &e),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn load(state: &AppState, staff: &Staff, o: Outcome) -> Result<Editor, Problem> {
    let p = &staff.p;
    let axum::Json(all) = strategies::list(State(state.clone()), p.clone()).await?;
    let live_body = all.items.iter().find(|s| s.live).map(|s| s.body.clone()).unwrap_or_default();
    let versions = all
        .items
        .iter()
        .map(|s| Version {
            version: s.version,
            name: s.name.clone(),
            live: s.live,
            created: jiff::Timestamp::from_microsecond(s.created_at).map(instant).unwrap_or_default(),
            created_by: s.created_by.clone(),
        })
        .collect();
    let axum::Json(found) = strategies::experiments(State(state.clone()), p.clone()).await?;
    let experiments = found
        .items
        .into_iter()
        .map(|e| ExperimentRow {
            name: e.name,
            segment: e.segment,
            arms: e.arms.iter().map(|a| format!("{} {}%", a.arm, a.percent)).collect::<Vec<_>>().join(", "),
        })
        .collect();
    Ok(Editor {
        chrome: staff.chrome("Strategy", "/console/strategy"),
        body: o.body.unwrap_or(live_body),
        versions,
        experiments,
        errors: o.errors,
        notice: o.notice,
        dry_run: o.dry_run,
        can_manage: may(p, Action::ManageStrategies),
    })
}

#[derive(Deserialize)]
struct StrategyForm {
    body: String,
    /// "check" (with a dry run of today), or "save".
    action: String,
}

async fn submit(State(state): State<AppState>, staff: Staff, Form(f): Form<StrategyForm>) -> Response {
    let refused = |p: Problem| {
        let errors = if p.errors.is_empty() { vec![p.detail.clone()] } else { p.errors.iter().map(|e| e.detail.clone()).collect() };
        (errors, p.status)
    };
    if f.action == "save" {
        return match strategies::create(State(state.clone()), staff.p.clone(), Body(NewStrategy { body: f.body.clone() })).await {
            Ok(_) => see_other("/console/strategy?done=saved"),
            Err(p) => {
                let (errors, status) = refused(p);
                show(&state, &staff, Outcome { body: Some(f.body), errors, ..Outcome::default() }, status).await
            }
        };
    }
    // Check it and show what today would do with it, writing nothing.
    let checked = match allow(&staff.p, Action::ReadStrategies) {
        Ok(()) => crate::strategy::check(state.store.as_ref(), staff.p.tenant_id, &f.body).await.map_err(Problem::from),
        Err(p) => Err(p),
    };
    if let Err(p) = checked {
        let (errors, status) = refused(p);
        return show(&state, &staff, Outcome { body: Some(f.body), errors, ..Outcome::default() }, status).await;
    }
    let counts = dry_run(&state, &staff).await;
    let notice = match &counts {
        Ok(_) => "No mistakes. Below: what the live version would do today (a dry run writes nothing); save to keep these changes.",
        Err(_) => "No mistakes. (The dry run of the live version did not run: see below.)",
    };
    let (counts, errors) = match counts {
        Ok(c) => (c, Vec::new()),
        Err(p) => (Vec::new(), vec![p.detail]),
    };
    let o = Outcome { body: Some(f.body), errors, notice: Some(notice.into()), dry_run: counts };
    show(&state, &staff, o, StatusCode::OK).await
}

async fn dry_run(state: &AppState, staff: &Staff) -> Result<Vec<Counts>, Problem> {
    let run = RunBody { date: None, dry_run: true, version: None };
    let axum::Json(r) = strategies::run(State(state.clone()), staff.p.clone(), Body(run)).await?;
    let table =
        |title, m: &std::collections::BTreeMap<String, u64>| Counts { title, rows: m.iter().map(|(k, v)| (k.clone(), *v)).collect() };
    Ok(vec![
        Counts { title: "Accounts", rows: vec![(format!("version {} on {}", r.version, day(r.date)), r.accounts)] },
        table("By segment", &r.by_segment),
        table("By arm", &r.by_arm),
        table("By step", &r.by_step),
        table("By action", &r.by_action),
        table("Idle, by reason", &r.idle),
    ])
}

async fn activate(State(state): State<AppState>, staff: Staff, Path(version): Path<u32>) -> Response {
    match strategies::activate(State(state.clone()), staff.p.clone(), Path(version)).await {
        Ok(_) => see_other("/console/strategy?done=activated"),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

struct ArmRow {
    arm: String,
    accounts: u64,
    collected: String,
    rpc: String,
    kept: String,
    complaints: u64,
}

#[derive(Template)]
#[template(path = "console/experiment.html")]
struct Results {
    chrome: Chrome,
    name: String,
    through: String,
    running: bool,
    arms: Vec<ArmRow>,
    can_manage: bool,
}

fn rate(r: &recoup_domain::experiment::Rate) -> String {
    match (r.value, r.low, r.high) {
        (Some(v), Some(l), Some(h)) => format!("{:.1}% ({:.1}–{:.1}%) of {}", v * 100.0, l * 100.0, h * 100.0, r.trials),
        _ => "no trials yet".into(),
    }
}

async fn results(State(state): State<AppState>, staff: Staff, Path(name): Path<String>) -> Response {
    let found =
        strategies::experiment_results(State(state.clone()), staff.p.clone(), Path(name.clone()), Query(ResultsQuery { through: None }))
            .await;
    let r = match found {
        Ok(axum::Json(r)) => r,
        Err(p) => return message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    };
    let arms = r
        .arms
        .iter()
        .map(|a| ArmRow {
            arm: a.arm.clone(),
            accounts: a.accounts,
            collected: a
                .collected
                .iter()
                .map(|c| {
                    let m = |v| money(v, &c.currency);
                    format!("{} in all; {} per account ({}–{})", m(c.total_minor), m(c.per_account_minor), m(c.low_minor), m(c.high_minor))
                })
                .collect::<Vec<_>>()
                .join("; "),
            rpc: rate(&a.rpc_rate),
            kept: rate(&a.promise_kept_rate),
            complaints: a.complaints,
        })
        .collect();
    let page_ = Results {
        chrome: staff.chrome(&format!("Experiment {name}"), "/console/strategy"),
        name: r.experiment.clone(),
        through: day(r.through),
        running: r.running,
        arms,
        can_manage: may(&staff.p, Action::ManageStrategies),
    };
    page(StatusCode::OK, &page_)
}

#[derive(Deserialize)]
struct PromoteForm {
    arm: String,
}

async fn promote(State(state): State<AppState>, staff: Staff, Path(name): Path<String>, Form(f): Form<PromoteForm>) -> Response {
    match strategies::promote(State(state.clone()), staff.p.clone(), Path(name), Body(PromoteBody { arm: f.arm })).await {
        Ok(_) => see_other("/console/strategy?done=promoted"),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}
