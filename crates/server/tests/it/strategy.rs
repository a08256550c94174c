//! Strategies over HTTP and the daily run: a file is refused whole with its lines, versions go
//! live when activated, a dry run writes nothing, a live run puts each action through the contact
//! policy, and the same day run twice creates nothing new.

use crate::fixtures::{assert_problem, json_headers as headers, key, ready};
use crate::http::{Response, Server};
use jiff::civil::{Date, date};
use recoup_domain::access::Role;
use recoup_domain::strategy::DEMO;
use recoup_server::strategy::{RunReport, RunRequest};
use recoup_store::strategy::{ActionQuery, ActionStatus, StrategyAction};
use recoup_store::{Actor, Store};
use uuid::Uuid;

async fn post(server: &Server, k: &str, path: &str, body: serde_json::Value) -> Response {
    server.send("POST", path, &headers(k, Some(&Uuid::now_v7().to_string())), &body.to_string()).await
}

fn details(r: &Response) -> Vec<String> {
    r.json()["errors"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_is_refused_whole_with_its_lines_and_versions_go_live_when_activated() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 1).await;
        let sup = key(s, &tenant, Role::Supervisor, None).await;
        let agent = key(s, &tenant, Role::Agent, None).await;

        let money_vs_date = DEMO.replace("days_since_placement <= 60", "balance <= 2026-01-01");
        let r = post(&server, &sup, "/api/v1/strategies", serde_json::json!({ "body": money_vs_date })).await;
        assert_problem(&r, 422, "invalid");
        let line = DEMO.lines().position(|l| l.contains("days_since_placement <= 60")).unwrap() + 1;
        assert!(details(&r)[0].starts_with(&format!("line {line}, column 20: cannot compare `balance`")), "{:?}", details(&r));

        let wrong_templates = DEMO.replace("\"reminder-sms\"", "\"reminder-smz\"").replacen("\"reminder-email\"", "\"reminder-sms\"", 1);
        let r = post(&server, &sup, "/api/v1/strategies", serde_json::json!({ "body": wrong_templates })).await;
        assert_problem(&r, 422, "invalid");
        let d = details(&r);
        assert!(d.iter().any(|e| e.contains("there is no template \"reminder-smz\"")), "{d:?}");
        assert!(d.iter().any(|e| e.contains("template \"reminder-sms\" is for sms, not email")), "{d:?}");
        assert!(s.strategy_versions(tenant.id).await.unwrap().is_empty(), "nothing saved from a refused file");

        let r = post(&server, &agent, "/api/v1/strategies", serde_json::json!({ "body": DEMO })).await;
        assert_problem(&r, 403, "forbidden");

        let first = post(&server, &sup, "/api/v1/strategies", serde_json::json!({ "body": DEMO })).await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!((first.json()["version"].as_u64(), first.json()["live"].as_bool()), (Some(1), Some(true)));
        let second =
            post(&server, &sup, "/api/v1/strategies", serde_json::json!({ "body": DEMO.replace("control = 10", "control = 20") })).await;
        assert_eq!((second.json()["version"].as_u64(), second.json()["live"].as_bool()), (Some(2), Some(false)));

        let listed = server.get("/api/v1/strategies", Some(&sup)).await.json();
        let live: Vec<(u64, bool)> =
            listed["items"].as_array().unwrap().iter().map(|v| (v["version"].as_u64().unwrap(), v["live"].as_bool().unwrap())).collect();
        assert_eq!(live, [(2, false), (1, true)]);
        let r = post(&server, &sup, "/api/v1/strategies/2/activate", serde_json::json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(s.strategy(tenant.id, None).await.unwrap().unwrap().version, 2);
        assert_eq!(server.get("/api/v1/strategies/9", Some(&sup)).await.status, 404);
        let audit = s.audit_entries(tenant.id, 0, 1000).await.unwrap();
        assert_eq!(audit.iter().filter(|e| e.event.action == "strategy.activated").count(), 2, "the first save and the activation");
    }
}

fn run_on() -> Date {
    date(2026, 11, 24)
}

async fn run(server: &Server, tenant: Uuid, dry_run: bool) -> RunReport {
    let out = recoup_server::outbound::Outbound { clock: crate::http::weekday_afternoon, ..Default::default() };
    let req = RunRequest { tenant_id: tenant, date: run_on(), dry_run, version: None, node: None };
    recoup_server::strategy::run(server.store.as_ref(), &out, &req, |_| {}).await.unwrap()
}

async fn all_actions(s: &dyn Store, tenant: Uuid) -> Vec<StrategyAction> {
    s.strategy_actions(tenant, &ActionQuery { limit: 10_000, ..ActionQuery::default() }).await.unwrap()
}

/// The actions once the server's job worker has carried out every queued one.
async fn carried_out(s: &dyn Store, tenant: Uuid) -> Vec<StrategyAction> {
    for _ in 0..600 {
        let actions = all_actions(s, tenant).await;
        if actions.iter().all(|a| !matches!(a.status, ActionStatus::Planned | ActionStatus::Queued)) {
            return actions;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the carry-out job left actions queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_runs_once_through_the_policy_and_a_dry_run_writes_nothing() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 40).await;
        recoup_server::strategy::save(s, tenant.id, DEMO, &Actor::new("test")).await.unwrap();
        // One account disputes before the run: it waits in the holding segment, untouched.
        let disputed = s.list_accounts(tenant.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let d = recoup_store::servicing::dispute::NewDispute {
            id: Uuid::now_v7(),
            reason: recoup_domain::dispute::Reason::Other,
            text: String::new(),
            channel: "api".into(),
            received_on: run_on(),
            disputed_amount: None,
            validation_notice_sent_on: None,
        };
        s.service(tenant.id, disputed, recoup_store::servicing::dispute::open(d, run_on(), &Actor::new("test"))).await.unwrap();

        let dry = run(&server, tenant.id, true).await;
        assert_eq!(dry.accounts, 40);
        assert!(dry.actions > 0, "{dry:?}");
        assert_eq!(dry.by_segment.get("on-hold"), Some(&1), "{dry:?}");
        assert!(all_actions(s, tenant.id).await.is_empty(), "a dry run writes no action");
        assert_eq!(run(&server, tenant.id, true).await, dry, "nor positions: a second dry run sees the same");

        let live = run(&server, tenant.id, false).await;
        assert_eq!((&live.by_segment, &live.by_step, live.actions), (&dry.by_segment, &dry.by_step, dry.actions));
        assert_eq!(live.outcomes.values().sum::<u64>(), live.actions, "{live:?}");
        // The run leaves what the policy let through queued for the server's carry-out job.
        assert!(live.outcomes.get("queued").is_some_and(|n| *n > 0), "{live:?}");
        let actions = carried_out(s, tenant.id).await;
        assert_eq!(actions.len() as u64, live.actions);
        assert!(actions.iter().all(|a| a.account_id != disputed));
        // Each message action became a message on its account, judged by the policy, or failed
        // with why (here: accounts whose validation notice cannot be given yet).
        for a in actions.iter().filter(|a| a.status == ActionStatus::Failed) {
            assert!(a.detail.as_ref().is_some_and(|d| !d.is_empty()) && a.result_id.is_none(), "{a:?}");
        }
        let sent = |a: &&StrategyAction| a.status != ActionStatus::Failed && ["email", "sms", "letter"].contains(&a.action.as_str());
        assert!(actions.iter().filter(sent).count() > 0);
        for a in actions.iter().filter(sent) {
            let file = s.account_file(tenant.id, a.account_id).await.unwrap().unwrap();
            let m = file.find::<recoup_store::servicing::message::Message>(a.result_id.expect("a message")).unwrap().unwrap();
            assert!(m.automated && m.template.as_ref().is_some_and(|t| Some(&t.key) == a.template.as_ref()));
            assert_eq!(a.status == ActionStatus::Blocked, m.status == recoup_domain::message::MessageStatus::Blocked);
        }

        let again = run(&server, tenant.id, false).await;
        assert_eq!((again.already_run, again.actions), (40, 0), "{again:?}");
        assert_eq!(all_actions(s, tenant.id).await.len(), actions.len(), "the same day twice creates nothing new");
    }
}

/// Two `serve` nodes on one PostgreSQL database, both watching the clock: the tenant's day is
/// claimed by one, every action exists once, and every message's send job ran once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_one_postgres_run_a_tenants_day_exactly_once() {
    let fast = |s: &mut recoup_server::AppState| s.strategy_tick = std::time::Duration::from_millis(50);
    let (Some(a), Some(b)) = (Server::postgres_with(fast).await, Server::postgres_with(fast).await) else {
        eprintln!("skipped: RECOUP_TEST_DATABASE_URL is not set (CI sets it)");
        return;
    };
    let s = a.store.as_ref();
    let (tenant, _) = ready(&a.store, 30).await;
    recoup_server::strategy::save(s, tenant.id, DEMO, &Actor::new("test")).await.unwrap();
    let due = recoup_store::strategy::RunSchedule { run_at: jiff::civil::time(0, 0, 0, 0), time_zone: "UTC".into() };
    s.set_run_schedule(tenant.id, Some(&due), &Actor::new("test")).await.unwrap();
    let day = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();

    let mut run = None;
    for _ in 0..600 {
        run = b.store.strategy_run(tenant.id, day).await.unwrap().filter(|r| r.status == "finished");
        if run.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let run = run.expect("one node finished the day's run");
    let report: serde_json::Value = serde_json::from_str(run.report.as_deref().unwrap()).unwrap();
    assert!(run.node.starts_with("node-"), "{run:?}");

    let actions = carried_out(s, tenant.id).await;
    assert_eq!(actions.len() as u64, report["actions"].as_u64().unwrap());
    assert!(!actions.is_empty());
    let mut steps: Vec<_> = actions.iter().map(|a| (a.account_id, a.segment.clone(), a.entered_on, a.step)).collect();
    steps.sort();
    steps.dedup();
    assert_eq!(steps.len(), actions.len(), "each step of each account once");

    // Both nodes' workers send; each message's job ran once: one try, one logged attempt.
    for _ in 0..600 {
        if s.pending_jobs(tenant.id).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(s.pending_jobs(tenant.id).await.unwrap(), 0);
    let mut sent = 0;
    for a in actions.iter().filter(|a| a.status == ActionStatus::Done && a.result_id.is_some() && a.action != "call") {
        let file = s.account_file(tenant.id, a.account_id).await.unwrap().unwrap();
        let m = file.find::<recoup_store::servicing::message::Message>(a.result_id.unwrap()).unwrap().unwrap();
        if m.status == recoup_domain::message::MessageStatus::Queued {
            continue; // deferred by the policy to a later hour
        }
        assert_eq!(m.attempts, 1, "{m:?}");
        let logged = file.all::<recoup_store::servicing::contact::ContactAttempt>().unwrap();
        assert_eq!(logged.iter().filter(|c| c.message_id == Some(m.id)).count(), 1);
        sent += 1;
    }
    assert!(sent > 0, "some messages left");
    // A step carried out twice (two nodes working the same actions) would leave two messages.
    let mut by_account: std::collections::BTreeMap<Uuid, usize> = Default::default();
    for a in actions.iter().filter(|a| a.status != ActionStatus::Failed && ["email", "sms", "letter"].contains(&a.action.as_str())) {
        *by_account.entry(a.account_id).or_default() += 1;
    }
    for (account, n) in by_account {
        let file = s.account_file(tenant.id, account).await.unwrap().unwrap();
        let messages = file.all::<recoup_store::servicing::message::Message>().unwrap();
        assert_eq!(messages.iter().filter(|m| m.template.is_some() && m.notice.is_none()).count(), n, "{account}");
    }
    // A day already run is not run again by either node.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(all_actions(s, tenant.id).await.len(), actions.len());
    // The shared database outlives the test: no later server should run this tenant's days.
    s.set_run_schedule(tenant.id, None, &Actor::new("test")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_by_hand_holds_the_day_and_waits_for_a_node_that_holds_it() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 5).await;
        let sup = key(s, &tenant, Role::Supervisor, None).await;
        recoup_server::strategy::save(s, tenant.id, DEMO, &Actor::new("test")).await.unwrap();
        let now = jiff::Timestamp::now().as_microsecond();
        let held = s.claim_run(tenant.id, run_on(), "other-node", now + 60_000_000, now).await.unwrap();
        assert_eq!(held, recoup_store::strategy::Claim::Claimed);

        let live = serde_json::json!({ "date": run_on() });
        let r = post(&server, &sup, "/api/v1/strategy-runs", live.clone()).await;
        assert_problem(&r, 409, "refused");
        assert!(r.json()["detail"].as_str().unwrap().contains("other-node"), "{}", r.body);
        assert!(all_actions(s, tenant.id).await.is_empty(), "nothing was carried out");
        let dry = post(&server, &sup, "/api/v1/strategy-runs", serde_json::json!({ "date": run_on(), "dry_run": true })).await;
        assert_eq!(dry.status, 200, "a dry run needs no claim: {}", dry.body);

        // Once the other node is done, a run by hand goes through (and, the day being done,
        // creates nothing new).
        let end = recoup_store::strategy::RunEnd::Finished { report: "{}".into() };
        s.finish_run(tenant.id, run_on(), "other-node", end).await.unwrap();
        let r = post(&server, &sup, "/api/v1/strategy-runs", live).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // A day nobody held is claimed by the run by hand and marked finished by it.
        let next = run_on().tomorrow().unwrap();
        let r = post(&server, &sup, "/api/v1/strategy-runs", serde_json::json!({ "date": next })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let day = s.strategy_run(tenant.id, next).await.unwrap().unwrap();
        assert_eq!((day.status.as_str(), day.node.as_str()), ("finished", format!("node-{}", server.addr).as_str()));
    }
}
