//! Experiments over HTTP: the live strategy's arms and shares, each arm's results from what
//! happened to its accounts after they joined, and promoting the winner to a new live version.

use crate::fixtures::{assert_problem, key, post, ready};
use crate::http::Server;
use jiff::civil::{Date, date};
use recoup_domain::access::Role;
use recoup_domain::strategy::DEMO;
use recoup_server::strategy::RunRequest;
use recoup_store::Actor;
use recoup_store::strategy::ActionQuery;
use std::collections::BTreeMap;
use uuid::Uuid;

const EXPERIMENT: &str = "early-sms-vs-email";

/// A day on which the synthetic placement (2 November 2026) is in the demo's early segment, and
/// which is never in the future (payments and calls cannot be).
fn run_on() -> Date {
    date(2026, 11, 24)
}

fn arm<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["arms"].as_array().unwrap().iter().find(|a| a["arm"] == name).unwrap_or_else(|| panic!("no arm {name}: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arms_report_what_their_accounts_did_and_the_winner_is_promoted() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 150).await;
        let sup = key(s, &tenant, Role::Supervisor, None).await;
        let staff = key(s, &tenant, Role::Agent, None).await;
        recoup_server::strategy::save(s, tenant.id, DEMO, &Actor::new("test")).await.unwrap();

        let listed = server.get("/api/v1/experiments", Some(&sup)).await.json();
        let e = &listed["items"][0];
        assert_eq!(e["name"], EXPERIMENT, "{listed}");
        let shares: BTreeMap<String, u64> =
            e["arms"].as_array().unwrap().iter().map(|a| (a["arm"].as_str().unwrap().into(), a["percent"].as_u64().unwrap())).collect();
        assert_eq!(shares, BTreeMap::from([("champion".into(), 45), ("control".into(), 10), ("sms-first".into(), 45)]));
        assert_eq!(server.get("/api/v1/experiments", Some(&staff)).await.status, 403);

        let out = recoup_server::outbound::Outbound { clock: crate::http::weekday_afternoon, ..Default::default() };
        let req = RunRequest { tenant_id: tenant.id, date: run_on(), dry_run: false, version: None, node: None };
        let day = recoup_server::strategy::run(s, &out, &req, |_| {}).await.unwrap();

        // Accounts with a step in a treated arm are that arm's; the control group has no steps.
        let actions = s.strategy_actions(tenant.id, &ActionQuery { limit: 10_000, ..Default::default() }).await.unwrap();
        let mut by_arm: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
        for a in actions.iter().filter(|a| a.segment == "early") {
            by_arm.entry(a.arm.clone()).or_default().push(a.account_id);
        }
        let (champions, challengers) = (by_arm["champion"].clone(), by_arm["sms-first"].clone());
        assert!(!by_arm.contains_key("control"));

        // What happened after they joined: payments, a dispute, calls.
        let pay = |id: Uuid, amount: i64| {
            let body = format!(r#"{{"amount":{amount},"method":"check","effective_on":"{}"}}"#, run_on());
            let (server, staff) = (&server, staff.clone());
            async move {
                let r = post(server, &staff, &format!("/api/v1/accounts/{id}/payments"), &body).await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
        };
        pay(challengers[0], 1_000).await;
        pay(challengers[0], 500).await;
        pay(challengers[1], 2_500).await;
        pay(champions[0], 700).await;
        let r =
            post(&server, &staff, &format!("/api/v1/accounts/{}/disputes", challengers[2]), r#"{"reason":"other","text":"not me"}"#).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let at = format!("{}T03:00:00Z", run_on());
        for result in ["right_party", "no_answer"] {
            let body = format!(r#"{{"medium":"call","result":"{result}","at":"{at}"}}"#);
            let r = post(&server, &staff, &format!("/api/v1/accounts/{}/contact-attempts", champions[1]), &body).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }

        let r = server.get(&format!("/api/v1/experiments/{EXPERIMENT}/results"), Some(&sup)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let report = r.json();
        assert_eq!(report["running"], true);
        let (champion, control, sms) = (arm(&report, "champion"), arm(&report, "control"), arm(&report, "sms-first"));
        for (name, a) in [("champion", champion), ("control", control), ("sms-first", sms)] {
            assert_eq!(a["accounts"].as_u64(), day.by_arm.get(&format!("early/{name}")).copied(), "{name}: {report}");
        }
        assert!(control["accounts"].as_u64().unwrap() > 0, "{report}");
        let collected = &sms["collected"][0];
        assert_eq!((collected["currency"].as_str(), collected["total_minor"].as_i64()), (Some("USD"), Some(4_000)));
        let n = sms["accounts"].as_i64().unwrap();
        assert_eq!(collected["per_account_minor"], (4_000 + n / 2) / n, "accounts that paid nothing count in the mean");
        assert!(collected["low_minor"].as_i64().unwrap() < collected["per_account_minor"].as_i64().unwrap());
        assert_eq!(champion["collected"][0]["total_minor"], 700);
        assert_eq!(control["collected"].as_array().unwrap().len(), 0);
        assert_eq!(sms["complaints"], 1);
        assert_eq!(champion["complaints"], 0);
        assert_eq!((champion["rpc_rate"]["successes"].as_u64(), champion["rpc_rate"]["trials"].as_u64()), (Some(1), Some(2)));
        assert_eq!(champion["rpc_rate"]["value"], 0.5);
        assert!(champion["rpc_rate"]["low"].as_f64().unwrap() < 0.5 && champion["rpc_rate"]["high"].as_f64().unwrap() > 0.5);
        assert!(sms["rpc_rate"]["value"].is_null(), "no calls, no rate: {sms}");
        // A day before anyone joined counts nothing.
        let before = server.get(&format!("/api/v1/experiments/{EXPERIMENT}/results?through=2026-11-23"), Some(&sup)).await.json();
        assert_eq!(arm(&before, "sms-first")["accounts"], 0);

        // Promotion: the control group and unknown arms or experiments are refused.
        let promote = |name: &str, arm: &str| {
            let (server, sup) = (&server, sup.clone());
            let (path, body) = (format!("/api/v1/experiments/{name}/promote"), format!(r#"{{"arm":"{arm}"}}"#));
            async move { post(server, &sup, &path, &body).await }
        };
        assert_problem(&promote(EXPERIMENT, "control").await, 422, "invalid");
        assert_problem(&promote(EXPERIMENT, "pigeon").await, 422, "invalid");
        assert_problem(&promote("no-such-test", "champion").await, 404, "not-found");
        assert_eq!(s.strategy(tenant.id, None).await.unwrap().unwrap().version, 1, "refusals change nothing");
        let r = promote(EXPERIMENT, "sms-first").await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!((r.json()["version"].as_u64(), r.json()["live"].as_bool()), (Some(2), Some(true)));
        let live = recoup_domain::strategy::parse(&s.strategy(tenant.id, None).await.unwrap().unwrap().body).unwrap();
        let early = live.segments.iter().find(|x| x.name == "early").unwrap();
        assert_eq!((early.treatment.as_deref(), early.experiment.is_none()), (Some("early-sms"), true));
        assert_eq!(server.get("/api/v1/experiments", Some(&sup)).await.json()["items"].as_array().unwrap().len(), 0);
        let after = server.get(&format!("/api/v1/experiments/{EXPERIMENT}/results"), Some(&sup)).await.json();
        assert_eq!((after["running"].as_bool(), arm(&after, "sms-first")["accounts"].as_u64()), (Some(false), sms["accounts"].as_u64()));
    }
}
