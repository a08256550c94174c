//! KPI reports over HTTP on both databases, against figures worked out by hand from the records
//! the test makes: placements and recovery, aging, contact rates, promises and disputes, netback,
//! as JSON and as CSV; bad periods, unknown reports and a client user's narrowing.

use crate::fixtures::{key, tenant_with};
use crate::http::Server;
use fantoccini::Locator;
use jiff::civil::Date;
use recoup_domain::access::Role;
use recoup_domain::kpi::Bucket;
use recoup_domain::message::CallResult;
use recoup_store::servicing::contact::{self, ContactAttempt};
use recoup_store::servicing::payment::{self, ReversalReason};
use recoup_store::servicing::{RecordKind, dispute, hold, promise};
use recoup_store::{Actor, Store};
use uuid::Uuid;

fn call(result: CallResult, at: &str) -> ContactAttempt {
    ContactAttempt::call(Uuid::nil(), at.parse().unwrap(), result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_match_figures_worked_out_by_hand() {
    for server in Server::all().await {
        let s: &dyn Store = server.store.as_ref();
        let (tenant, clients) = tenant_with(&server.store, &[("A", 3), ("B", 2)]).await;
        let t = tenant.id;
        let a_accounts =
            s.list_accounts(t, &recoup_store::AccountFilter { client_id: Some(clients[0]), ..Default::default() }, None, 10).await.unwrap();
        let mut placed = 0;
        let mut by_bucket = [0i64; 7];
        let today = recoup_server::api::servicing::today();
        for acc in &a_accounts {
            let owed = s.balance(t, acc.id).await.unwrap().owed();
            placed += owed;
            let days = acc.first_delinquency_on.map_or(0, |d| i64::from(d.until(today).unwrap().get_days()));
            by_bucket[Bucket::of(days).index()] += owed;
        }
        // On client A: 50.00 and 20.00 paid, the 20.00 bounced; on client B: 12.34.
        let actor = Actor::new("user:agent-7");
        let first = a_accounts[0].id;
        s.service(t, first, payment::post(crate::fixtures::ach(5_000, today), today, &actor)).await.unwrap();
        let ch = s.service(t, first, payment::post(crate::fixtures::ach(2_000, today), today, &actor)).await.unwrap();
        let bounced = ch.records.iter().find(|r| r.kind == RecordKind::Payment).unwrap().id;
        s.service(t, first, payment::reverse(bounced, ReversalReason::Nsf, today, today, &actor)).await.unwrap();
        let b_account =
            s.list_accounts(t, &recoup_store::AccountFilter { client_id: Some(clients[1]), ..Default::default() }, None, 1).await.unwrap()
                [0]
            .id;
        s.service(t, b_account, payment::post(crate::fixtures::ach(1_234, today), today, &actor)).await.unwrap();
        // Calls on A: two right-party, one third party, four unanswered: 7 attempts, 3 connects.
        let noon = format!("{today}T17:00:00Z");
        for r in [CallResult::RightParty, CallResult::RightParty, CallResult::ThirdParty] {
            s.service(t, first, contact::log(call(r, &noon), None, &actor)).await.unwrap();
        }
        for _ in 0..4 {
            s.service(t, a_accounts[1].id, contact::log(call(CallResult::NoAnswer, &noon), None, &actor)).await.unwrap();
        }
        let opened = dispute::NewDispute {
            id: Uuid::now_v7(),
            reason: recoup_domain::dispute::Reason::NotMine,
            text: String::new(),
            channel: "phone".into(),
            received_on: today,
            disputed_amount: None,
            validation_notice_sent_on: None,
        };
        s.service(t, a_accounts[2].id, dispute::open(opened, today, &actor)).await.unwrap();
        let due = today.checked_add(jiff::Span::new().days(10)).unwrap();
        let promised = promise::NewPromise {
            id: Uuid::now_v7(),
            items: vec![recoup_domain::promise::PromiseItem { due_on: due, amount: 2_500 }],
            grace_days: None,
            channel: "phone".into(),
        };
        s.service(t, a_accounts[1].id, promise::take(promised, today, &actor)).await.unwrap();
        let cease = hold::NewHold {
            id: Uuid::now_v7(),
            kind: recoup_domain::hold::HoldKind::Cease,
            reason: "asked us to stop".into(),
            details: Default::default(),
            until: None,
        };
        s.service(t, b_account, hold::add(cease, today, &actor)).await.unwrap();

        let admin = key(s, &tenant, Role::Admin, None).await;
        let period = format!("from={}&to={today}", today.first_of_month());
        let get = |name: &str, extra: &str| {
            let (server, admin, period) = (&server, admin.clone(), period.clone());
            let path = format!("/api/v1/reports/{name}?{period}{extra}");
            async move { server.get(&path, Some(&admin)).await }
        };

        let r = get("placements", "&client=A").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let rows = r.json()["rows"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 1);
        let money = |minor: i64| recoup_domain::money::Currency::USD.format_minor(minor);
        assert_eq!((rows[0]["accounts"].as_u64(), rows[0]["placed"].as_str()), (Some(3), Some(money(placed).as_str())));
        assert_eq!(rows[0]["collected"], "50.00", "70.00 in, 20.00 back");
        let rate = rows[0]["recovery_rate"].as_f64().unwrap();
        assert!((rate - 5_000.0 / placed as f64).abs() < 1e-4, "{rate}");

        let r = get("aging", "&client=A").await;
        let rows = r.json()["rows"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 7, "every bucket, empty ones too");
        let bucket_of = |d: Option<Date>| Bucket::of(d.map_or(0, |d| i64::from(d.until(today).unwrap().get_days()))).index();
        let mut want = by_bucket;
        want[bucket_of(a_accounts[0].first_delinquency_on)] -= 5_000;
        for (i, b) in Bucket::ALL.iter().enumerate() {
            assert_eq!((rows[i]["bucket"].as_str(), rows[i]["owed"].as_str()), (Some(b.label()), Some(money(want[i]).as_str())));
        }

        let r = get("contacts", "").await;
        let all = r.json()["rows"][0].clone();
        assert_eq!(
            (all["by"].as_str(), all["attempts"].as_u64(), all["connects"].as_u64(), all["right_party_contacts"].as_u64()),
            (Some("all"), Some(7), Some(3), Some(2))
        );
        assert_eq!((all["rpc_rate_per_attempt"].as_f64(), all["rpc_rate_per_connect"].as_f64()), (Some(0.2857), Some(0.6667)));
        assert_eq!(r.json()["rows"][1]["by"], "user:agent-7");

        // 7 attempts -> 3 connects -> 2 right-party contacts -> 1 promise taken; none fell due.
        let r = get("funnel", "").await;
        let stages: Vec<(u64, Option<f64>)> =
            r.json()["rows"].as_array().unwrap().iter().map(|x| (x["count"].as_u64().unwrap(), x["rate_of_previous"].as_f64())).collect();
        assert_eq!(stages, [(7, None), (3, Some(0.4286)), (2, Some(0.6667)), (1, Some(0.5)), (0, None), (0, None)]);

        // The agent's own work: the bounced 20.00 does not count, client B's 12.34 does. No
        // signed-in time was recorded, so there is nothing per hour (null, not infinity).
        let r = get("agents", "").await;
        let me = r.json()["rows"].as_array().unwrap().iter().find(|x| x["agent"] == "user:agent-7").cloned().unwrap();
        assert_eq!(
            (me["attempts"].as_u64(), me["right_party_contacts"].as_u64(), me["promises"].as_u64(), me["collected"].as_str()),
            (Some(7), Some(2), Some(1), Some("62.34"))
        );
        assert_eq!((me["hours_signed_in"].as_str(), me["attempts_per_hour"].clone()), (Some("0.00"), serde_json::Value::Null));

        let r = get("promises", "").await;
        assert_eq!(
            (r.json()["rows"][0]["disputes_opened"].as_u64(), r.json()["rows"][0]["promise_kept_rate"].clone()),
            (Some(1), serde_json::Value::Null),
            "no promise fell due: no rate, not NaN"
        );
        // One dispute and one cease request over the five accounts owing: 200 and 400 per 1,000.
        let row = r.json()["rows"][0].clone();
        assert_eq!(
            (row["disputes_per_1000"].as_f64(), row["cease_requests"].as_u64(), row["complaints_per_1000"].as_f64()),
            (Some(200.0), Some(1), Some(400.0))
        );

        let r = get("netback", "").await;
        let rows = r.json()["rows"].as_array().unwrap().clone();
        let b = rows.iter().find(|x| x["client"] == "B").unwrap();
        // 20% contingency (the fixture's rate) on 12.34 = 2.468 -> 2.47 (half-even at the cent).
        assert_eq!(
            (b["collected_by_agency"].as_str(), b["commission"].as_str(), b["netback"].as_str()),
            (Some("12.34"), Some("2.47"), Some("9.87"))
        );

        // Client A's only portfolio is all of client A; a portfolio needs its client.
        let whole = get("placements", "&client=A").await.json();
        assert_eq!(get("placements", "&client=A&portfolio=P").await.json()["rows"], whole["rows"]);
        let r = get("placements", "&portfolio=P").await;
        assert_eq!((r.status, r.json()["errors"][0]["pointer"].as_str()), (422, Some("/portfolio")), "{}", r.body);
        let r = get("placements", "&client=A&portfolio=NOPE").await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.json()["detail"], "the client has no portfolio \"NOPE\"");

        // No account sits in a queue: one row, with what A owes now and what came in.
        let r = get("queues", "&client=A").await;
        let rows = r.json()["rows"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 1, "{}", r.body);
        assert_eq!(
            (rows[0]["queue"].as_str(), rows[0]["accounts"].as_u64(), rows[0]["collected"].as_str()),
            (Some("(no queue)"), Some(3), Some("50.00"))
        );
        assert_eq!(rows[0]["owed"].as_str(), Some(money(placed - 5_000).as_str()));

        let r = server.get(&format!("/api/v1/reports/contacts?{period}&format=csv"), Some(&admin)).await;
        assert_eq!(r.status, 200);
        let mut lines = r.body.lines();
        assert_eq!(lines.next(), Some("by,attempts,connects,right_party_contacts,rpc_rate_per_attempt,rpc_rate_per_connect,contact_rate"));
        assert_eq!(lines.next(), Some("all,7,3,2,0.2857,0.6667,0.4286"));

        // A client user sees its own figures whatever it asks for; bad input is answered plainly.
        let viewer = key(s, &tenant, Role::Client, Some(clients[1])).await;
        let r = server.get(&format!("/api/v1/reports/placements?{period}"), Some(&viewer)).await;
        assert_eq!(r.json()["rows"].as_array().unwrap().len(), 1, "only B's placement");
        let r = server.get(&format!("/api/v1/reports/placements?{period}&client=A"), Some(&viewer)).await;
        assert_eq!(r.status, 404, "another client's code is not found: {}", r.body);
        let agent = key(s, &tenant, Role::Agent, None).await;
        assert_eq!(server.get(&format!("/api/v1/reports/aging?{period}"), Some(&agent)).await.status, 403);
        let r = get("velocity", "").await;
        assert_eq!(r.status, 404);
        assert!(r.body.contains("placements, recovery, aging"), "{}", r.body);
        let r = server.get(&format!("/api/v1/reports/aging?from={today}&to=2000-01-01"), Some(&admin)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let empty = server.get("/api/v1/reports/contacts?from=2001-01-01&to=2001-01-31", Some(&admin)).await;
        assert_eq!(empty.json()["rows"][0]["rpc_rate_per_attempt"], serde_json::Value::Null, "an empty period divides by nothing");
    }
}

/// The console's dashboard in a real browser: its charts are drawn, its tiles agree with the
/// records, each table downloads as the API's CSV, and a backwards period is refused on the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_draws_its_charts_and_downloads_each_table_as_csv() {
    use crate::browser::{Browser, browsing};
    let server = browsing().await;
    let (_, tenant, account) = crate::console::agent_with_work(&server).await;
    let s: &dyn Store = server.store.as_ref();
    let supervisor = crate::fixtures::staff(s, tenant, Role::Supervisor, crate::console::PASSWORD).await;
    let today = recoup_server::api::servicing::today();
    let actor = Actor::new(format!("user:{}", supervisor.id));
    s.service(tenant, account, payment::post(crate::fixtures::ach(4_321, today), today, &actor)).await.unwrap();
    let noon = format!("{today}T17:00:00Z");
    for r in [CallResult::RightParty, CallResult::NoAnswer, CallResult::Voicemail, CallResult::NoAnswer] {
        s.service(tenant, account, contact::log(call(r, &noon), None, &actor)).await.unwrap();
    }
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };
    crate::console::sign_in_to(&b, &supervisor.email, "header", "Sign out").await;

    b.open("/console/reports").await;
    b.wait_text("h1", "Reports").await;
    let tiles = b.text(".tiles").await;
    assert!(tiles.contains("$43.21"), "collected in the default period (the last 30 days): {tiles}");
    assert!(tiles.contains("25.0%"), "1 right-party contact in 4 attempts: {tiles}");
    for id in ["recovery", "aging", "funnel"] {
        let svg = b.client.find(Locator::Css(&format!("#report-{id} svg.chart"))).await.expect("a chart");
        assert!(svg.attr("aria-label").await.unwrap().is_some_and(|l| !l.is_empty()), "{id}'s chart is named");
    }
    assert!(b.text("#report-agents").await.contains("Sam Supervisor"), "the leaderboard names the agent");

    // The funnel's CSV is the API's, for the period on the page.
    let href = b.client.find(Locator::Css("#report-funnel a[download]")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("/api/v1/reports/funnel?from="), "{href}");
    let csv = b.client.execute("return fetch(arguments[0]).then(r => r.text())", vec![href.into()]).await.unwrap();
    let csv = csv.as_str().unwrap_or_default().to_string();
    assert!(csv.starts_with("stage,count,rate_of_previous\ncall attempts,4,\nconnects,1,0.2500\n"), "{csv}");

    b.open(&format!("/console/reports?from={today}&to=2020-01-01")).await;
    b.wait_text("#period-error", "before it starts").await;
    b.open("/console/reports").await;
    b.wait_text("h1", "Reports").await;
    b.screenshot("dashboard").await;
    b.close().await;
}
