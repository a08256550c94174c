//! Webhooks end to end: subscriptions over the API, changes that enqueue events, the worker's
//! signed POSTs to a real local receiver that fails the first try, retries, the delivery log,
//! redelivery and ping.

use crate::fixtures::{assert_problem, key, tenant_with};
use crate::http::Server;
use axum::http::{HeaderMap, StatusCode};
use jiff::civil::date;
use recoup_domain::access::Role;
use recoup_store::{Actor, Posting};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

#[derive(Clone, Debug)]
struct Received {
    delivery: String,
    event: String,
    signature: String,
    body: String,
    status: u16,
}

/// A webhook receiver on a real socket. It answers 500 the first time it sees a delivery and
/// 204 after, so every delivery needs one retry.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    seen: Arc<Mutex<HashSet<String>>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let me = Receiver::default();
        let state = me.clone();
        let app = axum::Router::new().route(
            "/hooks/{token}",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    let delivery = h("recoup-delivery");
                    let first = state.seen.lock().unwrap().insert(delivery.clone());
                    let status = if first { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::NO_CONTENT };
                    let event = h("recoup-event");
                    let signature = h("recoup-signature");
                    state.got.lock().unwrap().push(Received { delivery, event, signature, body, status: status.as_u16() });
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/t0k3n", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (me, url)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (bounded) until `done` holds for what has arrived.
    async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for {what}: {:#?}", self.received());
    }
}

fn json_headers(k: &str) -> Vec<String> {
    vec!["Content-Type: application/json".into(), format!("Authorization: Bearer {k}")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_are_retried_logged_and_redelivered() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 2)]).await;
        let integrator = key(s, &tenant, Role::Integrator, None).await;
        let (receiver, url) = Receiver::start().await;

        let body = format!(r#"{{"url":"{url}","event_types":["account.status_changed","payment.posted"],"description":"ERP sync"}}"#);
        let res = server.send("POST", "/api/v1/webhooks", &json_headers(&integrator), &body).await;
        assert_eq!(res.status, 201, "{}", res.body);
        let created = res.json();
        let secret = created["secret"].as_str().unwrap().to_string();
        let sub_id = created["id"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_"));
        let listed = server.get("/api/v1/webhooks", Some(&integrator)).await;
        assert!(!listed.body.contains(&secret), "the secret is shown once, at creation");

        let accounts = s.list_accounts(tenant.id, &Default::default(), None, 2).await.unwrap();
        let patch = r#"{"status":"recalled","reason":"client recall"}"#;
        let res = server.send("PATCH", &format!("/api/v1/accounts/{}", accounts[0].id), &json_headers(&integrator), patch).await;
        assert_eq!(res.status, 200, "{}", res.body);
        let pay =
            s.post(tenant.id, accounts[1].id, Posting::Payment { amount_minor: 2_500 }, date(2026, 11, 20), "card", &Actor::new("t")).await;
        let pay = pay.unwrap();

        let got = receiver.until("two deliveries, each after one failure", |g| g.iter().filter(|r| r.status == 204).count() == 2).await;
        assert_eq!(got.len(), 4, "one failure and one success each: {got:#?}");
        let now = jiff::Timestamp::now().as_second();
        for r in &got {
            assert!(recoup_server::webhooks::verify(&secret, &r.signature, r.body.as_bytes(), now, 300), "signature of {r:?}");
            assert!(!recoup_server::webhooks::verify("whsec_wrong", &r.signature, r.body.as_bytes(), now, 300));
            let event: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(event["type"], r.event);
        }
        let posted = got.iter().find(|r| r.event == "payment.posted" && r.status == 204).unwrap();
        let event: serde_json::Value = serde_json::from_str(&posted.body).unwrap();
        assert_eq!(event["data"]["entry_id"], pay.id.to_string());
        assert_eq!(event["data"]["external_ref"], accounts[1].external_ref);
        let changed = got.iter().find(|r| r.event == "account.status_changed").unwrap();
        let event: serde_json::Value = serde_json::from_str(&changed.body).unwrap();
        assert_eq!((event["data"]["from"].as_str(), event["data"]["to"].as_str()), (Some("active"), Some("recalled")));

        // The log shows each delivery delivered on its second attempt, with both attempts.
        // The receiver has answered; the worker records the answer a moment later.
        let delivered = |log: &serde_json::Value| {
            let items = log["items"].as_array().unwrap();
            items.len() == 2 && items.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 2 && d["last_status"] == 204)
        };
        let mut log = serde_json::Value::Null;
        // Up to 20 s: on a loaded two-core machine (the browser tests beside it) the retry has
        // been seen to take over 5.
        for _ in 0..400 {
            log = server.get(&format!("/api/v1/webhooks/{sub_id}/deliveries"), Some(&integrator)).await.json();
            if delivered(&log) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(delivered(&log), "{log}");
        let delivery_id = posted.delivery.clone();
        let detail = server.get(&format!("/api/v1/webhooks/{sub_id}/deliveries/{delivery_id}"), Some(&integrator)).await.json();
        let statuses: Vec<_> = detail["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, [500, 204]);

        // Redelivery sends the same event again; ping reaches the receiver too.
        let res = server
            .send("POST", &format!("/api/v1/webhooks/{sub_id}/deliveries/{delivery_id}/redeliver"), &json_headers(&integrator), "")
            .await;
        assert_eq!(res.status, 202, "{}", res.body);
        receiver.until("the redelivery", |g| g.iter().filter(|r| r.delivery == delivery_id).count() == 3).await;
        let res = server.send("POST", &format!("/api/v1/webhooks/{sub_id}/ping"), &json_headers(&integrator), "").await;
        assert_eq!(res.status, 202, "{}", res.body);
        receiver.until("the ping", |g| g.iter().any(|r| r.event == "webhook.ping" && r.status == 204)).await;

        // Paused: changes are not sent, and a ping is refused.
        let res = server.send("PATCH", &format!("/api/v1/webhooks/{sub_id}"), &json_headers(&integrator), r#"{"active":false}"#).await;
        assert_eq!(res.json()["active"], false);
        assert_problem(
            &server.send("POST", &format!("/api/v1/webhooks/{sub_id}/ping"), &json_headers(&integrator), "").await,
            409,
            "subscription-paused",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_checked_scoped_to_the_tenant_and_to_integration_roles() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let (other, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        let bad = r#"{"url":"ftp://example.com/x","event_types":["payment.posted","payment.teleported"]}"#;
        let res = server.send("POST", "/api/v1/webhooks", &json_headers(&admin), bad).await;
        assert_problem(&res, 422, "invalid");
        let pointers: Vec<_> =
            res.json()["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap().to_string()).collect();
        assert_eq!(pointers, ["/url", "/event_types/1"]);
        let typo = r#"{"url":"https://example.com/x","event_types":["payment.posted"],"secret":"mine"}"#;
        assert_problem(&server.send("POST", "/api/v1/webhooks", &json_headers(&admin), typo).await, 422, "invalid");
        assert!(s.subscriptions(tenant.id).await.unwrap().is_empty(), "nothing was created by bad requests");

        let ok = r#"{"url":"https://example.com/x","event_types":["payment.posted"]}"#;
        let sub = server.send("POST", "/api/v1/webhooks", &json_headers(&admin), ok).await.json();
        let id = sub["id"].as_str().unwrap();
        for role in [Role::Agent, Role::Supervisor, Role::Client, Role::Auditor] {
            let k = key(s, &tenant, role, None).await;
            assert_problem(&server.get("/api/v1/webhooks", Some(&k)).await, 403, "forbidden");
            assert_problem(&server.send("POST", "/api/v1/webhooks", &json_headers(&k), ok).await, 403, "forbidden");
        }
        let theirs = key(s, &other, Role::Admin, None).await;
        assert_problem(&server.get(&format!("/api/v1/webhooks/{id}"), Some(&theirs)).await, 404, "not-found");
        assert_problem(&server.send("POST", &format!("/api/v1/webhooks/{id}/ping"), &json_headers(&theirs), "").await, 404, "not-found");
        let missing = Uuid::now_v7();
        assert_problem(&server.get(&format!("/api/v1/webhooks/{id}/deliveries/{missing}"), Some(&admin)).await, 404, "not-found");
        assert!(server.get("/api/v1/webhooks", Some(&theirs)).await.json()["items"].as_array().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_inside_our_own_network_are_refused_unless_allowed() {
    let server = Server::sqlite_with(|state| state.worker.allow_private_receivers = false).await;
    let s = server.store.as_ref();
    let (tenant, _) = crate::fixtures::tenant_with(&server.store, &[("A", 1)]).await;
    let admin = crate::fixtures::key(s, &tenant, recoup_domain::access::Role::Admin, None).await;
    for url in ["http://169.254.169.254/latest/meta-data/", "http://localhost:8080/hook", "http://10.1.2.3/hook", "http://[::1]/hook"] {
        let body = format!(r#"{{"url":"{url}","event_types":["note.added"]}}"#);
        let res = server.send("POST", "/api/v1/webhooks", &crate::fixtures::json_headers(&admin, None), &body).await;
        crate::fixtures::assert_problem(&res, 422, "invalid");
        assert!(res.body.contains("/url") && res.body.contains("private"), "{url}: {}", res.body);
    }
    let public = r#"{"url":"https://hooks.example.com/recoup","event_types":["note.added"]}"#;
    assert_eq!(server.send("POST", "/api/v1/webhooks", &crate::fixtures::json_headers(&admin, None), public).await.status, 201);
}
