//! Shared setup for the HTTP tests: tenants with placed accounts, keys per role, and the
//! problem-document check every error answer gets.

use crate::http::{Response, Server};
use jiff::civil::date;
use recoup_domain::access::{Role, User};
use recoup_domain::ledger::Waterfall;
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, Portfolio, Tenant};
use recoup_import::{Format, Mapping, PlacementReader, synth};
use recoup_server::import::ImportRequest;
use recoup_store::{Actor, Store};
use uuid::Uuid;

/// A tenant with clients placing `rows` synthetic accounts each; returns the tenant and the
/// clients' ids.
pub async fn tenant_with(store: &std::sync::Arc<dyn Store>, clients: &[(&str, u64)]) -> (Tenant, Vec<Uuid>) {
    let tenant = Tenant { id: Uuid::now_v7(), slug: format!("t{}", Uuid::now_v7().simple()), name: "T".into() };
    store.create_tenant(&tenant).await.unwrap();
    let actor = Actor::new("test");
    let mut ids = Vec::new();
    for (code, rows) in clients {
        let client = Client {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            code: code.to_string(),
            name: code.to_string(),
            commission_rate: "0.2".parse().unwrap(),
            waterfall: Waterfall::default(),
            default_currency: Currency::USD,
        };
        store.create_client(&client, &actor).await.unwrap();
        let portfolio =
            Portfolio { id: Uuid::now_v7(), tenant_id: tenant.id, client_id: client.id, code: "P".into(), name: "P".into(), product: None };
        store.create_portfolio(&portfolio, &actor).await.unwrap();
        let mut file = Vec::new();
        synth::write_csv(&mut file, *rows, 3, &format!("{code}-"), date(2026, 11, 2)).unwrap();
        ids.push(client.id);
        let summary = place_file(store, &tenant, code, file).await;
        assert_eq!(summary.counts.created, *rows);
    }
    (tenant, ids)
}

/// Imports a standard CSV file for the client `code` (portfolio `P`) of `tenant`.
pub async fn place_file(
    store: &std::sync::Arc<dyn Store>,
    tenant: &Tenant,
    code: &str,
    file: Vec<u8>,
) -> recoup_server::import::ImportSummary {
    let client = store.client_by_code(tenant.id, code).await.unwrap().unwrap();
    let portfolio = store.portfolio_by_code(tenant.id, client.id, "P").await.unwrap().unwrap();
    let req = ImportRequest {
        tenant_id: tenant.id,
        client,
        portfolio,
        file_name: "t.csv".into(),
        placed_on: date(2026, 11, 2),
        dry_run: false,
        actor: Actor::new("test"),
    };
    let ctx = req.context();
    let reader = PlacementReader::new(std::io::Cursor::new(file), Format::Csv, &Mapping::standard(), ctx.clone()).unwrap();
    recoup_server::import::run::<_, std::io::Sink>(store.clone(), reader, ctx, None, req, |_| {}).await.unwrap()
}

pub async fn key(store: &dyn Store, tenant: &Tenant, role: Role, client: Option<Uuid>) -> String {
    recoup_server::keys::issue(store, tenant.id, "test key", role, client, &Actor::new("test")).await.unwrap().1
}

pub fn assert_problem(res: &crate::http::Response, status: u16, kind: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(res.header("content-type").as_deref(), Some("application/problem+json"), "{}", res.head);
    let body = res.json();
    assert_eq!(body["type"], format!("/problems/{kind}"), "{body}");
    assert_eq!(body["status"], status);
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

/// JSON request headers with a bearer key and, optionally, an idempotency key.
pub fn json_headers(k: &str, idem: Option<&str>) -> Vec<String> {
    let mut h = vec!["Content-Type: application/json".to_string(), format!("Authorization: Bearer {k}")];
    h.extend(idem.map(|i| format!("Idempotency-Key: {i}")));
    h
}

pub fn collector() -> recoup_domain::client_policy::Collector {
    recoup_domain::client_policy::Collector {
        name: "Test Recovery LLC".into(),
        address: "1 Test Way\nSpringfield, IL 62701".into(),
        phone: "(555) 010-0100".into(),
        hours: "Mon-Fri 8-8 CT".into(),
        website: "https://pay.test.example".into(),
        electronic_dispute: None,
    }
}

/// A tenant with one client's accounts, its collector set and the starter templates saved.
pub async fn ready(store: &std::sync::Arc<dyn Store>, rows: u64) -> (Tenant, Uuid) {
    let (tenant, clients) = tenant_with(store, &[("A", rows)]).await;
    let actor = Actor::new("test");
    let mut policy = store.client_policy(tenant.id, clients[0]).await.unwrap();
    policy.collector = collector();
    store.set_client_policy(tenant.id, clients[0], &policy, &actor).await.unwrap();
    for d in recoup_channels::template::starter_set() {
        recoup_server::messages::save_template(store.as_ref(), tenant.id, &d, &actor).await.unwrap();
    }
    (tenant, clients[0])
}

/// The first `n` accounts of the tenant.
pub async fn accounts(server: &Server, tenant: Uuid, n: u32) -> Vec<Uuid> {
    server.store.list_accounts(tenant, &Default::default(), None, n).await.unwrap().into_iter().map(|a| a.id).collect()
}

/// A JSON POST with a bearer key and a fresh idempotency key.
pub async fn post(server: &Server, k: &str, path: &str, body: &str) -> Response {
    server.send("POST", path, &json_headers(k, Some(&Uuid::now_v7().to_string())), body).await
}

/// A staff user of `tenant_id` who signs in with `password`.
pub async fn staff(store: &dyn Store, tenant_id: Uuid, role: Role, password: &str) -> User {
    let user = User {
        id: Uuid::now_v7(),
        tenant_id,
        email: format!("u{}@example.com", Uuid::now_v7().simple()),
        name: "Sam Supervisor".into(),
        role,
        client_id: None,
        disabled: false,
        created_at: 0,
    };
    let hash = recoup_server::passwords::hash(password.to_string()).await.unwrap();
    store.create_user(&user, &hash, &Actor::new("test")).await.unwrap();
    user
}

pub async fn sign_in(server: &Server, email: &str, password: &str) -> Response {
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    server.send("POST", "/api/v1/session", &["Content-Type: application/json".into()], &body).await
}

/// The `recoup_session=...` pair from a sign-in's Set-Cookie.
pub fn cookie(res: &Response) -> String {
    let set = res.header("set-cookie").unwrap_or_else(|| panic!("no cookie: {}", res.head));
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
    set.split(';').next().unwrap().to_string()
}

/// An ACH payment of `amount` minor units (USD) effective on `on`, taken by an agent for the agency.
pub fn ach(amount: i64, on: jiff::civil::Date) -> recoup_store::servicing::payment::NewPayment {
    use recoup_store::servicing::payment::{Method, NewPayment};
    NewPayment::by_agent(amount, recoup_domain::money::Currency::USD, on, Method::Ach)
}
