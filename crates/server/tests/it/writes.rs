//! Writes over the API: idempotency keys, notes, consent, and reading them back from the audit
//! trail.

use crate::fixtures::{assert_problem, json_headers as headers, key, tenant_with};
use crate::http::Server;
use recoup_domain::access::Role;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_replays_the_first_answer_and_changes_nothing() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = s.list_accounts(tenant.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let path = format!("/api/v1/accounts/{id}/notes");
        let k = Uuid::now_v7().to_string();

        let first = server.send("POST", &path, &headers(&agent, Some(&k)), r#"{"body":"Debtor asked for a payment plan"}"#).await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!(first.header("idempotent-replayed"), None);
        let again = server.send("POST", &path, &headers(&agent, Some(&k)), r#"{"body":"Debtor asked for a payment plan"}"#).await;
        assert_eq!((again.status, again.body.as_str()), (201, first.body.as_str()), "the very same answer");
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(s.notes(tenant.id, id, 10).await.unwrap().len(), 1, "and one note");

        let other_body = server.send("POST", &path, &headers(&agent, Some(&k)), r#"{"body":"something else"}"#).await;
        assert_problem(&other_body, 422, "idempotency-key-reused");
        assert_eq!(s.notes(tenant.id, id, 10).await.unwrap().len(), 1);

        // Another credential's identical key is its own.
        let supervisor = key(s, &tenant, Role::Supervisor, None).await;
        let theirs = server.send("POST", &path, &headers(&supervisor, Some(&k)), r#"{"body":"Debtor asked for a payment plan"}"#).await;
        assert_eq!(theirs.status, 201);
        assert_ne!(theirs.json()["id"], first.json()["id"]);

        // A status change retried after a lost answer happens once.
        let k2 = Uuid::now_v7().to_string();
        let audit_before = s.audit_entries(tenant.id, 0, 100_000).await.unwrap().len();
        let patch = r#"{"status":"recalled","reason":"recall file"}"#;
        let a = server.send("PATCH", &format!("/api/v1/accounts/{id}"), &headers(&agent, Some(&k2)), patch).await;
        let b = server.send("PATCH", &format!("/api/v1/accounts/{id}"), &headers(&agent, Some(&k2)), patch).await;
        assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.body, b.body);
        assert_eq!(s.audit_entries(tenant.id, 0, 100_000).await.unwrap().len(), audit_before + 1);
        // Without a key the same PATCH is a new request, and the machine refuses it.
        assert_problem(
            &server.send("PATCH", &format!("/api/v1/accounts/{id}"), &headers(&agent, None), patch).await,
            409,
            "status-transition",
        );

        assert_problem(&server.send("POST", &path, &headers(&agent, Some("has space")), r#"{"body":"x"}"#).await, 422, "invalid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_consent_and_the_audit_trail_by_account_and_user() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, clients) = tenant_with(&server.store, &[("A", 1)]).await;
        let (other, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = s.list_accounts(tenant.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let notes = format!("/api/v1/accounts/{id}/notes");

        let script = r#"{"body":"<script>alert(1)</script> Robert'); DROP TABLE notes;--"}"#;
        let res = server.send("POST", &notes, &headers(&agent, None), script).await;
        assert_eq!(res.status, 201, "{}", res.body);
        let listed = server.get(&notes, Some(&agent)).await.json();
        assert_eq!(listed["items"][0]["body"], "<script>alert(1)</script> Robert'); DROP TABLE notes;--", "kept verbatim");
        let res = server.send("POST", &notes, &headers(&agent, None), r#"{"body":"   "}"#).await;
        assert_problem(&res, 422, "invalid");
        assert_eq!(res.json()["errors"][0]["pointer"], "/body");
        assert_problem(&server.send("POST", &notes, &headers(&agent, None), r#"{"text":"typo"}"#).await, 422, "invalid");
        assert_problem(&server.send("POST", &notes, &["Authorization: Bearer x".into()], "").await, 401, "unauthorized");
        let client = key(s, &tenant, Role::Client, Some(clients[0])).await;
        assert_problem(&server.get(&notes, Some(&client)).await, 403, "forbidden");
        let auditor = key(s, &tenant, Role::Auditor, None).await;
        assert_problem(&server.send("POST", &notes, &headers(&auditor, None), r#"{"body":"x"}"#).await, 403, "forbidden");
        let theirs = key(s, &other, Role::Agent, None).await;
        assert_problem(&server.send("POST", &notes, &headers(&theirs, None), r#"{"body":"x"}"#).await, 404, "not-found");

        // Consent: a revocation on one of the account's contact points.
        let parties = s.parties_of(tenant.id, id).await.unwrap();
        let cp = parties[0].contact_points[0].id;
        let path = format!("/api/v1/accounts/{id}/contact-points/{cp}/consent");
        let res = server.send("PUT", &path, &headers(&agent, None), r#"{"channel":"sms","state":"revoked"}"#).await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.json()["consent"]["sms"], "revoked");
        let res = server.send("PUT", &path, &headers(&agent, None), r#"{"channel":"pigeon","state":"maybe"}"#).await;
        let pointers: Vec<_> =
            res.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/channel", "/state"]);
        let foreign_cp = format!("/api/v1/accounts/{id}/contact-points/{}/consent", Uuid::now_v7());
        assert_problem(
            &server.send("PUT", &foreign_cp, &headers(&agent, None), r#"{"channel":"sms","state":"revoked"}"#).await,
            404,
            "not-found",
        );

        // The audit trail by account shows both, and by user (here: the agent's key) too.
        assert_problem(&server.get(&format!("/api/v1/audit?account_id={id}"), Some(&agent)).await, 403, "forbidden");
        let by_account = server.get(&format!("/api/v1/audit?account_id={id}"), Some(&auditor)).await.json();
        let actions: Vec<_> = by_account["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
        assert_eq!(actions, ["account.placed", "note.added"]);
        let agent_key_id = s.list_api_keys(tenant.id).await.unwrap().into_iter().find(|k| k.role == Role::Agent).unwrap().id;
        let by_actor = server.get(&format!("/api/v1/audit?actor=api_key%3A{agent_key_id}"), Some(&auditor)).await.json();
        let actions: Vec<_> = by_actor["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
        assert_eq!(actions, ["note.added", "consent.changed"]);
        let future = server.get("/api/v1/audit?from=2999-01-01T00:00:00Z", Some(&auditor)).await.json();
        assert!(future["items"].as_array().unwrap().is_empty());
        let res = server.get("/api/v1/audit?from=yesterday&colour=red", Some(&auditor)).await;
        let pointers: Vec<_> =
            res.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/from", "/colour"]);
        let page = server.get("/api/v1/audit?limit=2", Some(&auditor)).await.json();
        let next = page["next"].as_i64().unwrap();
        let rest = server.get(&format!("/api/v1/audit?limit=1000&after={next}"), Some(&auditor)).await.json();
        assert_eq!(rest["items"][0]["seq"].as_i64().unwrap(), next + 1);
        let their_auditor = key(s, &other, Role::Auditor, None).await;
        let none = server.get(&format!("/api/v1/audit?account_id={id}"), Some(&their_auditor)).await.json();
        assert!(none["items"].as_array().unwrap().is_empty(), "another tenant's trail is not visible");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_files_upload_with_a_validation_report_and_never_duplicate() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, clients) = tenant_with(&server.store, &[("A", 1), ("B", 1)]).await;
        let mut file = Vec::new();
        recoup_import::synth::write_csv(&mut file, 5, 3, "UP-", jiff::civil::date(2026, 11, 2)).unwrap();
        let text = String::from_utf8(file).unwrap();
        let lines: Vec<String> =
            text.lines().enumerate().map(|(i, l)| if i == 2 { l.replacen(",USD,", ",XYZ,", 1) } else { l.to_string() }).collect();
        assert_ne!(lines.join("\n"), text.trim_end(), "the test corrupted a row");
        let csv = lines.join("\n") + "\n";
        let integrator = key(s, &tenant, Role::Integrator, None).await;
        let csv_headers = |k: &str| vec!["Content-Type: text/csv".to_string(), format!("Authorization: Bearer {k}")];

        let res = server.send("POST", "/api/v1/placements?client=A&file_name=nov.csv", &csv_headers(&integrator), &csv).await;
        assert_eq!(res.status, 201, "{}", res.body);
        let report = res.json();
        assert_eq!(report["counts"]["read"], 5, "{report}");
        assert_eq!((report["counts"]["created"].as_u64(), report["counts"]["rejected"].as_u64()), (Some(4), Some(1)), "{report}");
        assert_eq!(report["rejected"][0]["line"], 3);
        assert_eq!(report["rejected"][0]["column"], "currency");
        let placement_id = report["placement_id"].as_str().unwrap().to_string();
        let placement = server.get(&format!("/api/v1/placements/{placement_id}"), Some(&integrator)).await.json();
        assert_eq!((placement["status"].as_str(), placement["counts"]["created"].as_u64()), (Some("completed"), Some(4)));
        assert_eq!(placement["file_name"], "nov.csv");

        // A dry run changes nothing; the same file again updates nothing and duplicates nothing.
        let before = s.count_accounts(tenant.id).await.unwrap();
        let dry = server.send("POST", "/api/v1/placements?client=A&dry_run=true", &csv_headers(&integrator), &csv).await;
        assert_eq!(dry.status, 200, "{}", dry.body);
        assert!(dry.json().get("placement_id").is_none());
        let again = server.send("POST", "/api/v1/placements?client=A", &csv_headers(&integrator), &csv).await.json();
        assert_eq!((again["counts"]["created"].as_u64(), again["counts"]["unchanged"].as_u64()), (Some(0), Some(4)), "{again}");
        assert_eq!(s.count_accounts(tenant.id).await.unwrap(), before);

        // With an Idempotency-Key the same upload sent twice is one placement and one report.
        let mut keyed = csv_headers(&integrator);
        keyed.push(format!("Idempotency-Key: {}", Uuid::now_v7()));
        let first = server.send("POST", "/api/v1/placements?client=A", &keyed, &csv).await;
        let second = server.send("POST", "/api/v1/placements?client=A", &keyed, &csv).await;
        assert_eq!((first.status, second.body.as_str()), (201, first.body.as_str()));
        assert_eq!(second.header("idempotent-replayed").as_deref(), Some("true"));
        let other_file = server.send("POST", "/api/v1/placements?client=A", &keyed, &csv.replace("UP-", "UQ-")).await;
        assert_problem(&other_file, 422, "idempotency-key-reused");

        // Who may, and for which client.
        let client_b = key(s, &tenant, Role::Client, Some(clients[1])).await;
        assert_problem(&server.send("POST", "/api/v1/placements?client=A", &csv_headers(&client_b), &csv).await, 404, "not-found");
        let agent = key(s, &tenant, Role::Agent, None).await;
        assert_problem(&server.send("POST", "/api/v1/placements?client=A", &csv_headers(&agent), &csv).await, 403, "forbidden");
        assert_problem(&server.send("POST", "/api/v1/placements", &csv_headers(&integrator), &csv).await, 422, "invalid");
        assert_problem(
            &server.send("POST", "/api/v1/placements?client=A&portfolio=NOPE", &csv_headers(&integrator), &csv).await,
            404,
            "not-found",
        );
        assert_problem(
            &server.send("POST", "/api/v1/placements?client=A", &csv_headers(&integrator), "\u{0}\u{1}binary").await,
            422,
            "unreadable-file",
        );
        let (other, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let theirs = key(s, &other, Role::Admin, None).await;
        assert_problem(&server.get(&format!("/api/v1/placements/{placement_id}"), Some(&theirs)).await, 404, "not-found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_clients_and_portfolios_others_cannot() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        let body = r#"{"code":"MHS","name":"Mercy Health","commission_rate":"0.3","waterfall":["principal","interest","fees","costs"]}"#;
        let res = server.send("POST", "/api/v1/clients", &headers(&admin, None), body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        let id = res.json()["id"].as_str().unwrap().to_string();
        assert_eq!(res.json()["commission_rate"], "0.3");
        assert_problem(&server.send("POST", "/api/v1/clients", &headers(&admin, None), body).await, 409, "conflict");
        let bad = r#"{"code":"a b","name":"","commission_rate":"30","currency":"ZZZ","waterfall":["principal","tips"]}"#;
        let res = server.send("POST", "/api/v1/clients", &headers(&admin, None), bad).await;
        let pointers: Vec<_> =
            res.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/code", "/name", "/commission_rate", "/currency", "/waterfall"]);
        let res = server
            .send(
                "POST",
                &format!("/api/v1/clients/{id}/portfolios"),
                &headers(&admin, None),
                r#"{"code":"MED","name":"Medical","product":"medical"}"#,
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let listed = server.get(&format!("/api/v1/clients/{id}/portfolios"), Some(&admin)).await.json();
        assert_eq!(listed["items"][0]["code"], "MED");
        let supervisor = key(s, &tenant, Role::Supervisor, None).await;
        assert_problem(&server.send("POST", "/api/v1/clients", &headers(&supervisor, None), body).await, 403, "forbidden");
        let (other, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let theirs = key(s, &other, Role::Admin, None).await;
        assert_problem(&server.get(&format!("/api/v1/clients/{id}/portfolios"), Some(&theirs)).await, 404, "not-found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_assign_stage_queue_and_agent_and_a_refused_patch_changes_nothing() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = s.list_accounts(tenant.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let supervisor = key(s, &tenant, Role::Supervisor, None).await;
        let agent_user = recoup_domain::access::User {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            email: format!("agent-{}@example.com", Uuid::now_v7().simple()),
            name: "Ann Agent".into(),
            role: Role::Agent,
            client_id: None,
            disabled: false,
            created_at: 0,
        };
        s.create_user(&agent_user, "x", &recoup_store::Actor::new("test")).await.unwrap();
        let path = format!("/api/v1/accounts/{id}");
        let body = format!(r#"{{"stage":"late","queue":"hardship","agent_id":"{}"}}"#, agent_user.id);
        let res = server.send("PATCH", &path, &headers(&supervisor, None), &body).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let a = res.json();
        assert_eq!((a["stage"].as_str(), a["queue"].as_str()), (Some("late"), Some("hardship")));
        assert_eq!(a["agent_id"], agent_user.id.to_string());
        let cleared = server.send("PATCH", &path, &headers(&supervisor, None), r#"{"queue":null}"#).await.json();
        assert_eq!((cleared["queue"].is_null(), cleared["stage"].as_str()), (true, Some("late")), "null clears, absent keeps");

        let agent = key(s, &tenant, Role::Agent, None).await;
        assert_problem(&server.send("PATCH", &path, &headers(&agent, None), r#"{"queue":"mine"}"#).await, 403, "forbidden");
        let res = server.send("PATCH", &path, &headers(&supervisor, None), &format!(r#"{{"agent_id":"{}"}}"#, Uuid::now_v7())).await;
        assert_problem(&res, 422, "invalid");
        assert_problem(&server.send("PATCH", &path, &headers(&supervisor, None), "{}").await, 422, "invalid");

        // A status the machine refuses fails the whole PATCH: the stage does not change either.
        s.change_status(tenant.id, id, recoup_domain::account::AccountStatus::PaidInFull, "paid", &recoup_store::Actor::new("t"))
            .await
            .unwrap();
        let res = server.send("PATCH", &path, &headers(&supervisor, None), r#"{"status":"settled","reason":"x","stage":"legal"}"#).await;
        assert_problem(&res, 409, "status-transition");
        assert_eq!(s.account(tenant.id, id).await.unwrap().unwrap().stage, recoup_domain::account::Stage::Late);
        let trail =
            s.search_audit(tenant.id, &recoup_store::AuditQuery { entity_id: Some(id), ..Default::default() }, 0, 100).await.unwrap();
        assert_eq!(trail.iter().filter(|e| e.event.action == "account.assigned").count(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_quote_adds_up_to_the_balance_and_refuses_what_policy_forbids() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = s.list_accounts(tenant.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let owed = s.balance(tenant.id, id).await.unwrap().owed();
        let agent = key(s, &tenant, Role::Agent, None).await;
        let path = format!("/api/v1/accounts/{id}/plan-quote");
        let first = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().checked_add(jiff::Span::new().days(10)).unwrap();
        let body = format!(r#"{{"frequency":"monthly","count":7,"down_payment":1000,"first_due_on":"{first}"}}"#);
        let res = server.send("POST", &path, &headers(&agent, None), &body).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let q = res.json();
        let rows = q["installments"].as_array().unwrap();
        assert_eq!(rows.len(), 8, "the down payment and seven installments");
        let principal: i64 = rows.iter().map(|r| r["principal"].as_i64().unwrap()).sum();
        assert_eq!((principal, q["balance"].as_i64().unwrap(), q["total"].as_i64().unwrap()), (owed, owed, owed));
        assert_eq!(
            s.audit_entries(tenant.id, 0, 100_000).await.unwrap().iter().filter(|e| e.event.entity_id == id).count(),
            1,
            "a quote changes nothing"
        );

        let bad = format!(r#"{{"frequency":"fortnightly","count":3,"installment":500,"first_due_on":"{first}","apr":"lots"}}"#);
        let res = server.send("POST", &path, &headers(&agent, None), &bad).await;
        let pointers: Vec<_> =
            res.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/frequency", "/count", "/apr"]);
        let interest = format!(r#"{{"frequency":"weekly","count":3,"first_due_on":"{first}","apr":"0.08"}}"#);
        let res = server.send("POST", &path, &headers(&agent, None), &interest).await;
        assert_problem(&res, 422, "invalid");
        assert_eq!(res.json()["errors"][0]["pointer"], "/apr", "the default policy allows no interest");
        let auditor = key(s, &tenant, Role::Auditor, None).await;
        assert_problem(&server.send("POST", &path, &headers(&auditor, None), &body).await, 403, "forbidden");
    }
}
