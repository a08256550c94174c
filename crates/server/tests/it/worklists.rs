//! Worklists over HTTP: agents' settings are checked, lists come in worklist order, the next
//! account goes to one agent at a time, skips are kept with their reason, and capacity holds.

use crate::fixtures::{accounts, assert_problem, cookie, json_headers as headers, key, post, ready, sign_in, staff};
use crate::http::{Response, Server, weekday_afternoon};
use recoup_domain::access::Role;
use recoup_domain::contact::ContactKind;
use recoup_domain::worklist::{Entry, order};
use std::collections::HashSet;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery";

/// A request as a signed-in user.
async fn as_user(server: &Server, cookie: &str, method: &str, path: &str, body: &str) -> Response {
    server.send(method, path, &["Content-Type: application/json".into(), format!("Cookie: {cookie}")], body).await
}

async fn put(server: &Server, k: &str, path: &str, body: &str) -> Response {
    server.send("PUT", path, &headers(k, None), body).await
}

fn entry(v: &serde_json::Value) -> Entry {
    Entry {
        task_id: v["task_id"].as_str().unwrap().parse().unwrap(),
        account_id: v["account_id"].as_str().unwrap().parse().unwrap(),
        due_at: v["due_at"].as_str().unwrap().parse().unwrap(),
        appointment: v["appointment"].as_bool().unwrap(),
        expected_minor: v["expected_minor"].as_i64().unwrap(),
        delinquent_since: v["delinquent_since"].as_str().map(|d| d.parse().unwrap()),
    }
}

/// Up to `n` of the tenant's accounts whose primary party has a phone.
async fn callable(server: &Server, tenant: Uuid, n: usize) -> Vec<Uuid> {
    let mut out = Vec::new();
    for id in accounts(server, tenant, 200).await {
        let parties = server.store.parties_of(tenant, id).await.unwrap();
        if parties.iter().flat_map(|p| &p.contact_points).any(|c| c.kind == ContactKind::Phone) {
            out.push(id);
        }
    }
    out.truncate(n);
    assert_eq!(out.len(), n, "not enough accounts with a phone");
    out
}

fn account_of(r: &Response) -> String {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["item"]["account_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_account_goes_to_one_agent_in_worklist_order_with_skips_and_capacity() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 12).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        let auditor = key(s, &tenant, Role::Auditor, None).await;
        let ann = staff(s, tenant.id, Role::Agent, PASSWORD).await;
        let bob = staff(s, tenant.id, Role::Agent, PASSWORD).await;
        let audrey = staff(s, tenant.id, Role::Auditor, PASSWORD).await;
        let ann_c = cookie(&sign_in(&server, &ann.email, PASSWORD).await);
        let bob_c = cookie(&sign_in(&server, &bob.email, PASSWORD).await);

        // Settings: checked, and only for people who work lists.
        let settings = r#"{"queues":["early"],"daily_capacity":4,"time_zone":"America/Chicago"}"#;
        let r = put(&server, &admin, &format!("/api/v1/agents/{}", audrey.id), settings).await;
        assert_problem(&r, 422, "invalid");
        let r = put(&server, &admin, &format!("/api/v1/agents/{}", ann.id), r#"{"queues":["early"],"daily_capacity":0}"#).await;
        assert_problem(&r, 422, "invalid");
        assert_eq!(r.json()["errors"][0]["pointer"], "/daily_capacity");
        let r = as_user(&server, &ann_c, "PUT", &format!("/api/v1/agents/{}", ann.id), settings).await;
        assert_problem(&r, 403, "forbidden");
        assert_eq!(put(&server, &admin, &format!("/api/v1/agents/{}", ann.id), settings).await.status, 200);
        let r = put(&server, &admin, &format!("/api/v1/agents/{}", bob.id), r#"{"queues":["early","late"],"daily_capacity":10}"#).await;
        assert_eq!(r.json()["time_zone"], "UTC", "{}", r.body);
        assert_eq!(server.get("/api/v1/agents", Some(&auditor)).await.json()["items"].as_array().unwrap().len(), 2);

        // Six tasks: a callback due now, a callback due in an hour, four plain calls.
        let ids = callable(&server, tenant.id, 6).await;
        let now = weekday_afternoon();
        let later = now.checked_add(jiff::SignedDuration::from_hours(1)).unwrap();
        for (i, id) in ids.iter().enumerate() {
            let body = match i {
                0 => format!(r#"{{"queue":"early","reason":"callback","appointment":true,"due_at":"{now}"}}"#),
                1 => format!(r#"{{"queue":"early","reason":"callback","appointment":true,"due_at":"{later}"}}"#),
                _ => r#"{"queue":"early","reason":"first call"}"#.into(),
            };
            let r = post(&server, &admin, &format!("/api/v1/accounts/{id}/call-tasks"), &body).await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(r.json()["status"], "open", "{}", r.body);
        }

        // The list is in the domain's order: the due callback, then the rest by worth, then later.
        let list = server.get("/api/v1/worklists?queue=early", Some(&auditor)).await;
        assert_eq!(list.status, 200, "{}", list.body);
        let items = list.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 6);
        let got: Vec<Entry> = items.iter().map(entry).collect();
        let mut want = got.clone();
        want.reverse();
        order(&mut want, now);
        assert_eq!(got, want);
        assert_eq!(items[0]["account_id"], ids[0].to_string());
        assert_eq!(items[5]["account_id"], ids[1].to_string(), "a callback not yet due waits");
        assert!(got[1..5].windows(2).all(|w| w[0].expected_minor >= w[1].expected_minor));
        assert!(got.iter().all(|e| e.expected_minor > 0));

        // Two agents get two different accounts; asking again while holding gives the same one.
        let a1 = account_of(&as_user(&server, &ann_c, "POST", "/api/v1/worklist/next", "").await);
        assert_eq!(a1, ids[0].to_string(), "the due callback first");
        let b1 = account_of(&as_user(&server, &bob_c, "POST", "/api/v1/worklist/next", "").await);
        assert_ne!(a1, b1);
        assert_eq!(b1, items[1]["account_id"].as_str().unwrap());
        let again = as_user(&server, &ann_c, "POST", "/api/v1/worklist/next", "").await;
        assert_eq!(account_of(&again), a1);
        assert_eq!(again.json()["status"], "holding");
        let held = server.get("/api/v1/worklists?queue=early", Some(&auditor)).await.json();
        assert_eq!(held["items"][0]["held_by"], ann.id.to_string());

        // An agent works only for themselves; a skip needs a reason and must be theirs.
        let r = as_user(&server, &ann_c, "POST", &format!("/api/v1/worklist/next?agent_id={}", bob.id), "").await;
        assert_problem(&r, 403, "forbidden");
        let r = as_user(&server, &ann_c, "POST", "/api/v1/worklist/skip", &format!(r#"{{"account_id":"{a1}","reason":" "}}"#)).await;
        assert_problem(&r, 422, "invalid");
        let r = as_user(&server, &ann_c, "POST", "/api/v1/worklist/skip", &format!(r#"{{"account_id":"{b1}","reason":"not mine"}}"#)).await;
        assert_problem(&r, 409, "refused");
        let r =
            as_user(&server, &ann_c, "POST", "/api/v1/worklist/skip", &format!(r#"{{"account_id":"{a1}","reason":"asked for Spanish"}}"#))
                .await;
        assert_eq!(r.status, 204, "{}", r.body);

        // Skipped, it is not Ann's again today; others are.
        let mut seen = HashSet::from([a1.clone(), b1.clone()]);
        for _ in 0..3 {
            let next = account_of(&as_user(&server, &ann_c, "POST", "/api/v1/worklist/next", "").await);
            assert!(seen.insert(next.clone()), "{next} handed twice");
            let r =
                as_user(&server, &ann_c, "POST", "/api/v1/worklist/skip", &format!(r#"{{"account_id":"{next}","reason":"busy"}}"#)).await;
            assert_eq!(r.status, 204, "{}", r.body);
        }
        // Four handed today: her capacity.
        let r = as_user(&server, &ann_c, "POST", "/api/v1/worklist/next", "").await;
        assert_problem(&r, 409, "capacity-reached");

        // Released, an account is free again; Ann's skip does not keep the callback from Bob.
        let release = format!(r#"{{"account_id":"{b1}"}}"#);
        assert_eq!(as_user(&server, &bob_c, "POST", "/api/v1/worklist/release", &release).await.status, 204);
        assert_problem(&as_user(&server, &bob_c, "POST", "/api/v1/worklist/release", &release).await, 409, "refused");
        let b2 = as_user(&server, &bob_c, "POST", "/api/v1/worklist/next", "").await;
        assert_eq!((account_of(&b2), b2.json()["status"].as_str()), (a1.clone(), Some("handed")));

        // Bob finishes that call (the logged call closes the task) and is handed the next.
        let task = items[0]["task_id"].as_str().unwrap();
        let logged = post(
            &server,
            &admin,
            &format!("/api/v1/accounts/{a1}/contact-attempts"),
            &format!(r#"{{"medium":"call","result":"no_answer","at":"{now}","task_id":"{task}"}}"#),
        )
        .await;
        assert_eq!(logged.status, 201, "{}", logged.body);
        let b3 = as_user(&server, &bob_c, "POST", "/api/v1/worklist/next", "").await;
        assert_eq!((account_of(&b3), b3.json()["status"].as_str()), (b1.clone(), Some("handed")));
        let list = server.get("/api/v1/worklists?queue=early", Some(&auditor)).await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 5, "the finished task left the list");

        let audit = s.search_audit(tenant.id, &Default::default(), 0, 1000).await.unwrap();
        assert!(audit.iter().any(|e| e.event.action == "worklist.skipped" && e.event.data.contains("asked for Spanish")));
        assert!(audit.iter().any(|e| e.event.action == "agent.updated"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_asking_at_the_same_moment_never_share_an_account() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 20).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        for id in callable(&server, tenant.id, 12).await {
            let r = post(&server, &admin, &format!("/api/v1/accounts/{id}/call-tasks"), r#"{"queue":"rush","reason":"call"}"#).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        let mut agents = Vec::new();
        for _ in 0..8 {
            let a = staff(s, tenant.id, Role::Agent, PASSWORD).await;
            let r = put(&server, &admin, &format!("/api/v1/agents/{}", a.id), r#"{"queues":["rush"],"daily_capacity":100}"#).await;
            assert_eq!(r.status, 200, "{}", r.body);
            agents.push(a.id);
        }
        // Eight agents at once, twice over (the second time on the accounts still free).
        let mut handed: Vec<String> = Vec::new();
        for _ in 0..2 {
            // Each request on its own thread, all started before any is answered.
            let asks: Vec<_> = agents
                .iter()
                .map(|a| {
                    let text = format!(
                        "POST /api/v1/worklist/next?agent_id={a} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
                         Authorization: Bearer {admin}\r\nContent-Length: 0\r\n\r\n"
                    );
                    let addr = server.addr;
                    tokio::task::spawn_blocking(move || crate::http::raw(addr, &text))
                })
                .collect();
            for ask in asks {
                let r = ask.await.unwrap();
                if r.status == 200 && r.json()["status"] == "handed" {
                    handed.push(r.json()["item"]["account_id"].as_str().unwrap().to_string());
                } else {
                    assert!(r.status == 200 || r.status == 204, "{} {}", r.status, r.body);
                }
            }
        }
        let distinct: HashSet<&String> = handed.iter().collect();
        assert_eq!(distinct.len(), handed.len(), "an account went to two agents: {handed:?}");
        assert_eq!(handed.len(), 8, "each agent holds one account and keeps it on asking again");
    }
}

/// The worklists report: per queue, the tasks opened and where they stand, and only the calls
/// that worked a task, with what they reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worklists_report_counts_each_queues_tasks_and_the_calls_that_worked_them() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 12).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        let ids = callable(&server, tenant.id, 4).await;
        let mut tasks = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let queue = if i < 3 { "early" } else { "late" };
            let r =
                post(&server, &admin, &format!("/api/v1/accounts/{id}/call-tasks"), &format!(r#"{{"queue":"{queue}","reason":"call"}}"#))
                    .await;
            assert_eq!(r.status, 201, "{}", r.body);
            tasks.push(r.json()["id"].as_str().unwrap().to_string());
        }
        let now = weekday_afternoon();
        let log = |id: Uuid, result: &str, task: Option<&str>| {
            let task = task.map(|t| format!(r#","task_id":"{t}""#)).unwrap_or_default();
            let body = format!(r#"{{"medium":"call","result":"{result}","at":"{now}"{task}}}"#);
            let (server, admin) = (&server, admin.clone());
            async move { post(server, &admin, &format!("/api/v1/accounts/{id}/contact-attempts"), &body).await }
        };
        // Two early tasks worked (a promise, no answer); a call on the third account outside
        // its task; the late task untouched.
        let r = log(ids[0], "promise_taken", Some(&tasks[0])).await;
        assert_eq!((r.status, r.json()["queue"].as_str()), (201, Some("early")), "{}", r.body);
        assert_eq!(log(ids[1], "no_answer", Some(&tasks[1])).await.status, 201);
        let r = log(ids[2], "right_party", None).await;
        assert!(r.json().get("queue").is_none(), "{}", r.body);
        assert_problem(&log(ids[0], "right_party", Some(&tasks[0])).await, 409, "refused");

        let today = recoup_server::api::servicing::today();
        let from = now.to_zoned(jiff::tz::TimeZone::UTC).date().min(today);
        let r = server.get(&format!("/api/v1/reports/worklists?from={from}&to={today}"), Some(&admin)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let rows = r.json()["rows"].as_array().unwrap().clone();
        let row = |q: &str| rows.iter().find(|r| r["queue"] == q).unwrap_or_else(|| panic!("no {q} in {rows:?}")).clone();
        let (early, late) = (row("early"), row("late"));
        let counts = |r: &serde_json::Value, cols: &[&str]| cols.iter().map(|c| r[*c].as_u64().unwrap()).collect::<Vec<_>>();
        let cols = ["tasks_opened", "worked", "open", "blocked", "calls", "right_party_contacts", "promises"];
        assert_eq!(counts(&early, &cols), [3, 2, 1, 0, 2, 1, 1]);
        assert_eq!(counts(&late, &cols), [1, 0, 1, 0, 0, 0, 0]);
        assert_eq!((early["rpc_rate_per_call"].as_f64(), early["promise_rate_per_rpc"].as_f64()), (Some(0.5), Some(1.0)));
        assert!(late["rpc_rate_per_call"].is_null(), "no calls: no rate, {late}");
        assert_eq!(rows.len(), 2, "the call outside a task is in no queue: {rows:?}");
    }
}
