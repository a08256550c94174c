use crate::fixtures::{assert_problem, key, tenant_with};
use crate::http::Server;
use recoup_domain::access::Role;
use recoup_store::Actor;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required_and_checked() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let res = server.get("/api/v1/accounts", None).await;
        assert_problem(&res, 401, "unauthorized");
        assert!(res.header("www-authenticate").is_some());
        assert_problem(&server.get("/api/v1/accounts", Some("not-a-key")).await, 401, "unauthorized");
        let good = key(s, &tenant, Role::Integrator, None).await;
        let wrong_secret = format!("{}{}", &good[..good.len() - 1], if good.ends_with('0') { '1' } else { '0' });
        assert_problem(&server.get("/api/v1/accounts", Some(&wrong_secret)).await, 401, "unauthorized");
        assert_eq!(server.get("/api/v1/accounts", Some(&good)).await.status, 200);

        let keys = s.list_api_keys(tenant.id).await.unwrap();
        assert!(keys[0].last_used_at.is_some(), "use is recorded");
        s.revoke_api_key(tenant.id, keys[0].id, &Actor::new("test")).await.unwrap();
        assert_problem(&server.get("/api/v1/accounts", Some(&good)).await, 401, "unauthorized");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_or_clients_account_is_not_found() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (mine, my_clients) = tenant_with(&server.store, &[("A", 3), ("B", 2)]).await;
        let (theirs, _) = tenant_with(&server.store, &[("A", 2)]).await;
        let my_key = key(s, &mine, Role::Agent, None).await;
        let their_account = s.list_accounts(theirs.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let my_account = s.list_accounts(mine.id, &Default::default(), None, 1).await.unwrap()[0].clone();

        let res = server.get(&format!("/api/v1/accounts/{}", my_account.id), Some(&my_key)).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let body = res.json();
        assert_eq!(body["external_ref"], my_account.external_ref);
        let balance = s.balance(mine.id, my_account.id).await.unwrap();
        assert_eq!(body["balance"]["principal"], balance.principal);

        assert_problem(&server.get(&format!("/api/v1/accounts/{their_account}"), Some(&my_key)).await, 404, "not-found");

        // The account's ledger and parties, and nobody else's.
        let ledger = server.get(&format!("/api/v1/accounts/{}/ledger", my_account.id), Some(&my_key)).await.json();
        let entries = s.ledger(mine.id, my_account.id).await.unwrap();
        assert_eq!(ledger["items"].as_array().unwrap().len(), entries.len());
        assert_eq!(ledger["items"][0]["kind"], "charge");
        assert_eq!(ledger["balance"]["interest"], balance.interest);
        let parties = server.get(&format!("/api/v1/accounts/{}/parties", my_account.id), Some(&my_key)).await.json();
        assert_eq!(parties["items"][0]["role"], "primary");
        assert!(!parties["items"][0]["contact_points"].as_array().unwrap().is_empty());
        for sub in ["ledger", "parties"] {
            assert_problem(&server.get(&format!("/api/v1/accounts/{their_account}/{sub}"), Some(&my_key)).await, 404, "not-found");
        }
        assert_problem(&server.get("/api/v1/accounts/not-a-uuid", Some(&my_key)).await, 404, "not-found");

        // A client-role key sees only its own client's accounts.
        let client_a = key(s, &mine, Role::Client, Some(my_clients[0])).await;
        let page = server.get("/api/v1/accounts?limit=2", Some(&client_a)).await.json();
        assert_eq!(page["items"].as_array().unwrap().len(), 2, "full pages of its own accounts: {page}");
        let page = server.get("/api/v1/accounts?limit=500", Some(&client_a)).await.json();
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|a| a["client_id"] == my_clients[0].to_string()));
        let b_account = s
            .list_accounts(mine.id, &Default::default(), None, 500)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.client_id == my_clients[1])
            .unwrap();
        assert_problem(&server.get(&format!("/api/v1/accounts/{}", b_account.id), Some(&client_a)).await, 404, "not-found");
        assert_problem(&server.get(&format!("/api/v1/accounts/{}/ledger", b_account.id), Some(&client_a)).await, 404, "not-found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_page_with_a_cursor_and_bad_parameters_are_named() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 5)]).await;
        let k = key(s, &tenant, Role::Auditor, None).await;
        let first = server.get("/api/v1/accounts?limit=2", Some(&k)).await.json();
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        let mut seen: Vec<String> = first["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect();
        let mut next = first["next"].as_str().map(str::to_string);
        while let Some(after) = next {
            let page = server.get(&format!("/api/v1/accounts?limit=2&after={after}"), Some(&k)).await.json();
            seen.extend(page["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()));
            next = page["next"].as_str().map(str::to_string);
        }
        seen.dedup();
        assert_eq!(seen.len(), 5, "every account once");

        let res = server.get("/api/v1/accounts?limit=0&colour=red", Some(&k)).await;
        assert_problem(&res, 422, "invalid");
        let pointers: Vec<String> =
            res.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/limit", "/colour"]);

        assert_problem(&server.get("/api/v1/no-such-thing", Some(&k)).await, 404, "no-such-route");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route_and_every_listed_route_answers() {
    let server = Server::sqlite().await;
    let doc = server.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    routes.sort();
    // The matrix test's route list is the one place that names every route.
    let mut expected: Vec<(String, String)> = crate::matrix::ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    expected.sort();
    assert_eq!(routes, expected);
    for (method, path) in &routes {
        let path = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { Uuid::now_v7().to_string() } else { seg.to_string() })
            .collect::<Vec<_>>()
            .join("/");
        let res = server.send(method, &path, &["Content-Type: application/json".into()], "{}").await;
        assert_ne!(res.json()["type"], "/problems/no-such-route", "{method} {path} is documented but not served");
        assert_ne!(res.status, 405, "{method} {path}");
    }
    // The reference page is built from the same document and needs no network.
    let page = server.get("/api/docs", None).await;
    assert_eq!(page.status, 200);
    for (method, path) in &routes {
        assert!(
            page.body.contains(&format!("<span class=\"m\">{method}</span> <code>{path}</code>")),
            "{method} {path} missing from /api/docs"
        );
    }
    assert!(!page.body.contains("http://") && !page.body.contains("https://"), "no outside assets");

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert!(doc["components"]["schemas"]["ProblemDocument"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_listed_per_credential_and_only_auditors_and_admins_verify_the_chain() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, clients) = tenant_with(&server.store, &[("A", 1), ("B", 1)]).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let codes = |res: crate::http::Response| -> Vec<String> {
            res.json()["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(codes(server.get("/api/v1/clients", Some(&agent)).await), ["A", "B"]);
        let client_b = key(s, &tenant, Role::Client, Some(clients[1])).await;
        assert_eq!(codes(server.get("/api/v1/clients", Some(&client_b)).await), ["B"]);

        assert_problem(&server.get("/api/v1/audit/verify", Some(&agent)).await, 403, "forbidden");
        let auditor = key(s, &tenant, Role::Auditor, None).await;
        let check = server.get("/api/v1/audit/verify", Some(&auditor)).await.json();
        assert_eq!(check["ok"], true, "{check}");
        let entries = recoup_store::verify_audit(s, tenant.id).await.unwrap().unwrap();
        assert_eq!(check["entries"], entries);
        assert!(entries > 0);
    }
}

async fn patch(server: &Server, id: Uuid, headers: &[String], body: &str) -> crate::http::Response {
    let mut all = vec!["Content-Type: application/json".to_string()];
    all.extend_from_slice(headers);
    server.send("PATCH", &format!("/api/v1/accounts/{id}"), &all, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_go_through_the_machine_and_into_the_audit_trail() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = s.list_accounts(tenant.id, &Default::default(), None, 1).await.unwrap()[0].id;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let bearer = |k: &str| vec![format!("Authorization: Bearer {k}")];

        let res = patch(&server, id, &bearer(&agent), r#"{"status":"recalled","reason":"client recall file 2026-11"}"#).await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.json()["status"], "recalled");
        let last = s.audit_entries(tenant.id, 0, 10_000).await.unwrap().pop().unwrap();
        assert_eq!(last.event.action, "account.status_changed");
        assert!(last.event.actor.starts_with("api_key:"), "{}", last.event.actor);
        assert!(last.event.data.contains("client recall file 2026-11"));

        let bad = patch(&server, id, &bearer(&agent), r#"{"status":"paid_in_full","reason":"x"}"#).await;
        assert_problem(&bad, 409, "status-transition");
        let invalid = patch(&server, id, &bearer(&agent), r#"{"status":"gone","reason":" "}"#).await;
        assert_problem(&invalid, 422, "invalid");
        let pointers: Vec<String> =
            invalid.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/status", "/reason"]);
        let typo = patch(&server, id, &bearer(&agent), r#"{"stauts":"active","reason":"x"}"#).await;
        assert_problem(&typo, 422, "invalid");

        let auditor = key(s, &tenant, Role::Auditor, None).await;
        assert_problem(&patch(&server, id, &bearer(&auditor), r#"{"status":"active","reason":"x"}"#).await, 403, "forbidden");
        assert_eq!(s.account(tenant.id, id).await.unwrap().unwrap().status.as_str(), "recalled", "refused changes change nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_filter_and_sort_and_a_client_key_cannot_widen_its_view() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, clients) = tenant_with(&server.store, &[("A", 6), ("B", 4)]).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let refs = |v: &serde_json::Value| -> Vec<String> {
            v["items"].as_array().unwrap().iter().map(|a| a["external_ref"].as_str().unwrap().to_string()).collect()
        };
        let of_b = server.get(&format!("/api/v1/accounts?client_id={}&limit=500", clients[1]), Some(&agent)).await.json();
        assert_eq!(refs(&of_b).len(), 4);
        assert!(refs(&of_b).iter().all(|r| r.starts_with("B-")));

        // Largest balance first, two at a time, following `next`.
        let mut owed = Vec::new();
        let mut url = "/api/v1/accounts?sort=-owed&limit=2".to_string();
        loop {
            let page = server.get(&url, Some(&agent)).await.json();
            for a in page["items"].as_array().unwrap() {
                let b = &a["balance"];
                owed.push(["principal", "interest", "fees", "costs"].iter().map(|k| b[k].as_i64().unwrap()).sum::<i64>());
            }
            let Some(next) = page["next"].as_str() else { break };
            url = format!("/api/v1/accounts?sort=-owed&limit=2&after={next}");
        }
        assert_eq!(owed.len(), 10);
        assert!(owed.windows(2).all(|w| w[0] >= w[1]), "{owed:?}");
        let res = server.get("/api/v1/accounts?sort=-owed&after=not-a-cursor", Some(&agent)).await;
        assert_problem(&res, 422, "invalid");

        let client_a = key(s, &tenant, Role::Client, Some(clients[0])).await;
        let widened = server.get(&format!("/api/v1/accounts?client_id={}", clients[1]), Some(&client_a)).await.json();
        assert!(refs(&widened).is_empty(), "a client key never sees another client's accounts: {widened}");
        let own = server.get("/api/v1/accounts?limit=500", Some(&client_a)).await.json();
        assert_eq!(refs(&own).len(), 6);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_bad_keys_from_one_address_are_refused_for_a_while() {
    let server = Server::sqlite().await;
    let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
    let good = key(server.store.as_ref(), &tenant, Role::Agent, None).await;
    for i in 0..20 {
        let bad = format!("rk_{:012x}_{}", i, "0".repeat(64));
        assert_problem(&server.get("/api/v1/accounts", Some(&bad)).await, 401, "unauthorized");
    }
    assert_eq!(server.get("/api/v1/accounts", Some(&good)).await.status, 200, "twenty failures do not block");
    assert_problem(&server.get("/api/v1/accounts", Some("rk_000000000000_x")).await, 401, "unauthorized");
    let res = server.get("/api/v1/accounts", Some(&good)).await;
    assert_problem(&res, 429, "too-many-attempts");
    // Sessions and unauthenticated routes are not affected.
    assert_eq!(server.get("/healthz", None).await.status, 200);
}
