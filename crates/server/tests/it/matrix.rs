//! The access matrix: every API route, driven with every role's credential, and with another
//! tenant's ids. A role the access table leaves out gets 403; an allowed role gets neither 401,
//! 403 nor 404; another tenant's id is the same 404 as an unknown one. The route list here is
//! also what the OpenAPI test holds the document to.

use crate::fixtures::{key, tenant_with};
use crate::http::Server;
use recoup_domain::access::Role;
use recoup_domain::event::EventType;
use recoup_domain::webhook::Subscription;
use recoup_store::{Actor, Store};
use uuid::Uuid;

const ALL: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Client, Role::Auditor, Role::Integrator];
const STAFF_WRITE: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator];
const INTEGRATIONS: &[Role] = &[Role::Admin, Role::Integrator];
const READ_MESSAGES: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor, Role::Integrator];
const READ_TEMPLATES: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor];
const READ_STRATEGIES: &[Role] = &[Role::Admin, Role::Supervisor, Role::Auditor];
const TUNE_STRATEGIES: &[Role] = &[Role::Admin, Role::Supervisor];
const READ_WORKLISTS: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor];
const WORK: &[Role] = &[Role::Admin, Role::Supervisor, Role::Agent];

/// (method, path, roles allowed). `None` marks routes outside role checks (signing in and out).
pub const ROUTES: &[(&str, &str, Option<&[Role]>)] = &[
    ("DELETE", "/api/v1/session", None),
    ("GET", "/api/v1/accounts", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/contact-attempts", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/contact-checks", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/contact-preferences", Some(READ_MESSAGES)),
    ("GET", "/api/v1/accounts/{id}/contactability", Some(READ_MESSAGES)),
    ("GET", "/api/v1/accounts/{id}/messages", Some(READ_MESSAGES)),
    ("GET", "/api/v1/accounts/{id}/messages/{message_id}", Some(READ_MESSAGES)),
    ("GET", "/api/v1/accounts/{id}/validation-notice", Some(READ_MESSAGES)),
    ("GET", "/api/v1/accounts/{id}/disputes", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/documents", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/documents/{document}", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/holds", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/ledger", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/notes", Some(&[Role::Admin, Role::Supervisor, Role::Agent, Role::Auditor, Role::Integrator])),
    ("GET", "/api/v1/accounts/{id}/parties", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/payments", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/payments/{payment}/receipt", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/plans", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/promises", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/settlements", Some(ALL)),
    ("GET", "/api/v1/accounts/{id}/settlements/{settlement}/letter", Some(ALL)),
    ("GET", "/api/v1/audit", Some(&[Role::Admin, Role::Supervisor, Role::Auditor])),
    ("GET", "/api/v1/call-tasks", Some(READ_MESSAGES)),
    ("GET", "/api/v1/letters/batch", Some(&[Role::Admin, Role::Supervisor])),
    ("GET", "/api/v1/outbox", Some(READ_MESSAGES)),
    ("GET", "/api/v1/reports/compliance", Some(&[Role::Admin, Role::Supervisor, Role::Auditor])),
    ("GET", "/api/v1/templates", Some(READ_TEMPLATES)),
    ("GET", "/api/v1/templates/{key}/versions", Some(READ_TEMPLATES)),
    ("GET", "/api/v1/audit/verify", Some(&[Role::Admin, Role::Auditor])),
    ("GET", "/api/v1/clients", Some(ALL)),
    ("GET", "/api/v1/clients/{id}/portfolios", Some(ALL)),
    ("GET", "/api/v1/clients/{id}/servicing-policy", Some(ALL)),
    ("GET", "/api/v1/disputes/open", Some(STAFF_WRITE)),
    ("GET", "/api/v1/payments/reconciliation", Some(&[Role::Admin, Role::Supervisor, Role::Integrator])),
    ("GET", "/api/v1/placements/{id}", Some(ALL)),
    ("GET", "/api/v1/remittance-statements", Some(&[Role::Admin, Role::Supervisor, Role::Auditor, Role::Client])),
    ("GET", "/api/v1/reports/{report}", Some(&[Role::Admin, Role::Supervisor, Role::Auditor, Role::Client])),
    ("GET", "/api/v1/session", None),
    ("GET", "/api/v1/settlements/pending-approval", Some(&[Role::Admin, Role::Supervisor])),
    ("GET", "/api/v1/strategies", Some(READ_STRATEGIES)),
    ("GET", "/api/v1/strategies/diff", Some(TUNE_STRATEGIES)),
    ("GET", "/api/v1/strategies/{version}", Some(READ_STRATEGIES)),
    ("GET", "/api/v1/strategy-actions", Some(READ_STRATEGIES)),
    ("GET", "/api/v1/strategy-schedule", Some(READ_STRATEGIES)),
    ("GET", "/api/v1/agents", Some(READ_WORKLISTS)),
    ("GET", "/api/v1/experiments", Some(READ_STRATEGIES)),
    ("GET", "/api/v1/experiments/{name}/results", Some(READ_STRATEGIES)),
    ("GET", "/api/v1/worklists", Some(READ_WORKLISTS)),
    ("GET", "/api/v1/webhooks", Some(INTEGRATIONS)),
    ("GET", "/api/v1/webhooks/{id}", Some(INTEGRATIONS)),
    ("GET", "/api/v1/webhooks/{id}/deliveries", Some(INTEGRATIONS)),
    ("GET", "/api/v1/webhooks/{id}/deliveries/{delivery_id}", Some(INTEGRATIONS)),
    ("PATCH", "/api/v1/accounts/{id}", Some(STAFF_WRITE)),
    ("PATCH", "/api/v1/accounts/{id}/disputes/{dispute}", Some(STAFF_WRITE)),
    ("PATCH", "/api/v1/webhooks/{id}", Some(INTEGRATIONS)),
    ("POST", "/api/v1/accounts/{id}/call-tasks", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/contact-attempts", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/contact-checks", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/disputes", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/documents", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/holds", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/holds/{hold}/release", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/messages", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/messages/{message_id}/cancel", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/notes", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/payments", Some(&[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator])),
    ("POST", "/api/v1/accounts/{id}/payments/{payment}/reversal", Some(&[Role::Admin, Role::Supervisor, Role::Integrator])),
    ("POST", "/api/v1/accounts/{id}/plan-quote", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/plans", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/promises", Some(STAFF_WRITE)),
    ("POST", "/api/v1/accounts/{id}/settlements", Some(&[Role::Admin, Role::Supervisor, Role::Agent])),
    ("POST", "/api/v1/accounts/{id}/settlements/{settlement}/decision", Some(&[Role::Admin, Role::Supervisor])),
    ("POST", "/api/v1/clients", Some(&[Role::Admin])),
    ("POST", "/api/v1/clients/{id}/portfolios", Some(&[Role::Admin])),
    ("POST", "/api/v1/placements", Some(&[Role::Admin, Role::Supervisor, Role::Integrator, Role::Client])),
    ("POST", "/api/v1/payment-files", Some(&[Role::Admin, Role::Supervisor, Role::Integrator])),
    ("POST", "/api/v1/payments", Some(&[Role::Admin, Role::Supervisor, Role::Agent, Role::Integrator])),
    ("POST", "/api/v1/servicing/run", Some(&[Role::Admin])),
    ("POST", "/api/v1/session", None),
    ("POST", "/api/v1/experiments/{name}/promote", Some(TUNE_STRATEGIES)),
    ("POST", "/api/v1/strategies", Some(TUNE_STRATEGIES)),
    ("POST", "/api/v1/strategies/{version}/activate", Some(TUNE_STRATEGIES)),
    ("POST", "/api/v1/strategy-runs", Some(TUNE_STRATEGIES)),
    ("POST", "/api/v1/templates", Some(&[Role::Admin])),
    ("POST", "/api/v1/worklist/next", Some(WORK)),
    ("POST", "/api/v1/worklist/skip", Some(WORK)),
    ("POST", "/api/v1/worklist/release", Some(WORK)),
    ("POST", "/api/v1/templates/{key}/preview", Some(READ_TEMPLATES)),
    ("POST", "/api/v1/webhooks", Some(INTEGRATIONS)),
    ("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", Some(INTEGRATIONS)),
    ("POST", "/api/v1/webhooks/{id}/ping", Some(INTEGRATIONS)),
    ("PUT", "/api/v1/accounts/{id}/contact-points/{contact_point_id}/consent", Some(STAFF_WRITE)),
    ("PUT", "/api/v1/accounts/{id}/contact-preferences", Some(STAFF_WRITE)),
    ("PUT", "/api/v1/clients/{id}/servicing-policy", Some(&[Role::Admin])),
    ("PUT", "/api/v1/strategy-schedule", Some(TUNE_STRATEGIES)),
    ("PUT", "/api/v1/agents/{user_id}", Some(TUNE_STRATEGIES)),
];

/// The ids a route's path names, from one tenant.
struct Ids {
    account: Uuid,
    contact_point: Uuid,
    client: Uuid,
    client_code: String,
    placement: Uuid,
    subscription: Uuid,
    delivery: Uuid,
    payment: Uuid,
    settlement: Uuid,
    dispute: Uuid,
    hold: Uuid,
    document: Uuid,
    template: String,
    message: Uuid,
    /// A strategy version. Versions are numbered per tenant, so another tenant's "id" here is a
    /// number the tenant has not reached.
    strategy: u32,
    /// A user who works lists.
    agent: Uuid,
    /// An experiment of the live strategy; named per tenant, like versions.
    experiment: String,
}

async fn ids(store: &dyn Store, blob_dir: &std::path::Path, tenant_id: Uuid, client: Uuid) -> Ids {
    let account = store
        .list_accounts(tenant_id, &recoup_store::AccountFilter { client_id: Some(client), ..Default::default() }, None, 1)
        .await
        .unwrap()
        .remove(0);
    let contact_point = store.parties_of(tenant_id, account.id).await.unwrap()[0].contact_points[0].id;
    let sub = Subscription {
        id: Uuid::now_v7(),
        tenant_id,
        url: "https://receiver.invalid/hook".into(),
        event_types: [EventType::NoteAdded].into(),
        description: String::new(),
        active: true,
        created_at: 0,
    };
    store.create_subscription(&sub, "whsec_matrix", &Actor::new("test")).await.unwrap();
    let delivery = store.ping(tenant_id, sub.id, &Actor::new("test")).await.unwrap().id;
    let client_code = store.list_clients(tenant_id).await.unwrap().into_iter().find(|c| c.id == client).unwrap().code;
    // Before the dispute below, whose hold would block the first message.
    let (template, message) = communications(store, tenant_id, client, &account).await;
    let (payment, settlement, dispute, hold) = servicing_records(store, tenant_id, account.id).await;
    let document = stored_document(store, blob_dir, tenant_id, account.id, dispute).await;
    let strategy = store.save_strategy(tenant_id, "matrix", MATRIX_STRATEGY, &Actor::new("test")).await.unwrap().version;
    let late = recoup_store::strategy::RunSchedule { run_at: jiff::civil::time(23, 59, 0, 0), time_zone: "Pacific/Kiritimati".into() };
    store.set_run_schedule(tenant_id, Some(&late), &Actor::new("test")).await.unwrap();
    let agent = crate::fixtures::staff(store, tenant_id, Role::Agent, "matrix agent password").await.id;
    Ids {
        account: account.id,
        contact_point,
        client,
        client_code,
        placement: account.placement_id,
        subscription: sub.id,
        delivery,
        payment,
        settlement,
        dispute,
        hold,
        document,
        template,
        message,
        strategy,
        agent,
        experiment: "matrix-test".into(),
    }
}

/// A strategy that needs no template: a call task for every account.
const MATRIX_STRATEGY: &str = "name = \"matrix\"\n[[segments]]\nname = \"all\"\ntreatment = \"calls\"\n\
[segments.experiment]\nname = \"matrix-test\"\ncontrol = 10\n\
challengers = [{ name = \"second\", treatment = \"calls\", percent = 40 }]\n\
[treatments.calls]\nsteps = [{ day = 0, action = \"call\", queue = \"matrix\" }]\n";

/// A template of this tenant's own (its key unlike any other tenant's), the collector's identity,
/// and a first message on the account, sent before the matrix runs.
async fn communications(store: &dyn Store, tenant_id: Uuid, client: Uuid, account: &recoup_domain::account::Account) -> (String, Uuid) {
    let a = Actor::new("test");
    let mut policy = store.client_policy(tenant_id, client).await.unwrap();
    policy.collector.name = "Matrix Recovery".into();
    policy.collector.address = "1 Matrix Way\nSpringfield, IL 62701".into();
    store.set_client_policy(tenant_id, client, &policy, &a).await.unwrap();
    let mut d = recoup_channels::template::starter_set().into_iter().find(|d| d.key == "reminder-email").unwrap();
    d.key = format!("matrix-{}", &tenant_id.simple().to_string()[..12]);
    recoup_server::messages::save_template(store, tenant_id, &d, &a).await.unwrap();
    let ask = recoup_server::messages::FromTemplate {
        template: d.key.clone(),
        language: None,
        contact_point_id: None,
        send_at: None,
        automated: false,
        id: None,
    };
    let out = recoup_server::outbound::Outbound { clock: crate::http::weekday_afternoon, ..Default::default() };
    let m = recoup_server::messages::send_template(store, &out, account, ask, &a).await.unwrap();
    // The server's worker sends it (and the validation notice with it): wait, so the day's print
    // batch has a letter.
    for _ in 0..200 {
        let file = store.account_file(tenant_id, account.id).await.unwrap().unwrap();
        let msgs = file.all::<recoup_store::servicing::message::Message>().unwrap();
        if msgs.iter().all(|m| m.status != recoup_domain::message::MessageStatus::Queued) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    (d.key, m.id)
}

/// A document in the blob store, recorded on the account and its dispute.
async fn stored_document(store: &dyn Store, blob_dir: &std::path::Path, tenant_id: Uuid, account: Uuid, dispute: Uuid) -> Uuid {
    use recoup_store::servicing::document::{self, Document};
    let sha256 = recoup_server::blobs::put(blob_dir, tenant_id, b"matrix evidence").await.unwrap();
    let doc = Document {
        id: Uuid::now_v7(),
        account_id: account,
        dispute_id: Some(dispute),
        file_name: "evidence.txt".into(),
        content_type: "text/plain".into(),
        size: 15,
        sha256,
        uploaded_on: recoup_server::api::servicing::today(),
        uploaded_by: String::new(),
        channel: "api".into(),
    };
    let id = doc.id;
    store.service(tenant_id, account, document::add(doc, &Actor::new("test"))).await.unwrap();
    id
}

/// A payment, a settlement waiting for approval, an open dispute and its hold on the account.
async fn servicing_records(store: &dyn Store, tenant_id: Uuid, account: Uuid) -> (Uuid, Uuid, Uuid, Uuid) {
    use recoup_store::servicing::{RecordKind, dispute, payment, settlement};
    let (a, today) = (Actor::new("test"), recoup_server::api::servicing::today());
    let pay = payment::NewPayment::by_agent(100, recoup_domain::money::Currency::USD, today, payment::Method::Check);
    let ch = store.service(tenant_id, account, payment::post(pay, today, &a)).await.unwrap();
    let payment = ch.records.iter().find(|r| r.kind == RecordKind::Payment).unwrap().id;
    let offer = settlement::NewSettlement {
        id: Uuid::now_v7(),
        offer: recoup_domain::settlement::Offer::Percent("0.6".parse().unwrap()),
        expires_on: today.checked_add(jiff::Span::new().days(20)).unwrap(),
        installments: Vec::new(),
        requested_by: settlement::Requester { id: Uuid::now_v7(), role: Role::Agent },
    };
    let settlement = offer.id;
    store.service(tenant_id, account, settlement::offer(offer, today, &a)).await.unwrap();
    let d = dispute::NewDispute {
        id: Uuid::now_v7(),
        reason: recoup_domain::dispute::Reason::Other,
        text: String::new(),
        channel: "api".into(),
        received_on: today,
        disputed_amount: None,
        validation_notice_sent_on: None,
    };
    let dispute = d.id;
    let ch = store.service(tenant_id, account, dispute::open(d, today, &a)).await.unwrap();
    let hold = ch.records.iter().find(|r| r.kind == RecordKind::Hold).unwrap().id;
    (payment, settlement, dispute, hold)
}

fn path_for(template: &str, ids: &Ids) -> String {
    let id = if template.starts_with("/api/v1/accounts") {
        ids.account
    } else if template.starts_with("/api/v1/webhooks") {
        ids.subscription
    } else if template.starts_with("/api/v1/clients") {
        ids.client
    } else {
        ids.placement
    };
    let path = template
        .replace("{id}", &id.to_string())
        .replace("{delivery_id}", &ids.delivery.to_string())
        .replace("{contact_point_id}", &ids.contact_point.to_string())
        .replace("{payment}", &ids.payment.to_string())
        .replace("{settlement}", &ids.settlement.to_string())
        .replace("{dispute}", &ids.dispute.to_string())
        .replace("{hold}", &ids.hold.to_string())
        .replace("{document}", &ids.document.to_string())
        .replace("{key}", &ids.template)
        .replace("{message_id}", &ids.message.to_string())
        .replace("{version}", &ids.strategy.to_string())
        .replace("{user_id}", &ids.agent.to_string())
        .replace("{name}", &ids.experiment);
    match template {
        "/api/v1/placements" | "/api/v1/payment-files" => format!("{path}?client={}", ids.client_code),
        "/api/v1/accounts/{id}/documents" => format!("{path}?name=letter.txt"),
        "/api/v1/remittance-statements" => format!("{path}?client={}&from=2026-01-01&to=2026-12-31", ids.client_code),
        "/api/v1/reports/compliance" => format!("{path}?from=2026-01-01&to=2026-12-31"),
        "/api/v1/reports/{report}" => format!("{}?from=2026-01-01&to=2026-12-31", path.replace("{report}", "placements")),
        "/api/v1/strategies/diff" => format!("{path}?from={}&to={}", ids.strategy, ids.strategy),
        "/api/v1/letters/batch" => format!("{path}?on={}", crate::http::weekday_afternoon().to_zoned(jiff::tz::TimeZone::UTC).date()),
        _ => path,
    }
}

/// A body that is valid for the route, so an allowed role gets past validation.
fn body_for(method: &str, template: &str, n: usize, ids: &Ids) -> (&'static str, String) {
    let json = "application/json";
    match (method, template) {
        ("PATCH", "/api/v1/accounts/{id}") => (json, r#"{"status":"recalled","reason":"matrix"}"#.into()),
        ("PATCH", "/api/v1/webhooks/{id}") => (json, r#"{"description":"matrix"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/notes") => (json, r#"{"body":"matrix note"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/plan-quote") => (json, r#"{"frequency":"monthly","count":6,"first_due_on":"2099-01-15"}"#.into()),
        ("POST", "/api/v1/clients") => (json, format!(r#"{{"code":"M{n}","name":"Matrix {n}","commission_rate":"0.2"}}"#)),
        ("POST", "/api/v1/clients/{id}/portfolios") => (json, format!(r#"{{"code":"P{n}","name":"Matrix {n}"}}"#)),
        ("POST", "/api/v1/webhooks") => (json, r#"{"url":"https://receiver.invalid/x","event_types":["hold.added"]}"#.into()),
        ("POST", "/api/v1/placements") => {
            let mut file = Vec::new();
            recoup_import::synth::write_csv(&mut file, 1, 3, &format!("MX{n}-"), jiff::civil::date(2026, 11, 2)).unwrap();
            ("text/csv", String::from_utf8(file).unwrap())
        }
        ("POST", "/api/v1/accounts/{id}/contact-attempts") => (json, r#"{"medium":"call","outcome":"no_conversation"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/contact-checks") => (json, r#"{"medium":"call"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/disputes") => (json, r#"{"reason":"other","text":"matrix"}"#.into()),
        ("PATCH", "/api/v1/accounts/{id}/disputes/{dispute}") => (json, r#"{"status":"verification_sent","note":"matrix"}"#.into()),
        ("POST", "/api/v1/payment-files") => ("text/csv", "account_ref,amount,paid_on,method,reference,route\n".into()),
        ("POST", "/api/v1/payments") => (json, r#"{"method":"check","allocations":[]}"#.into()),
        ("POST", "/api/v1/accounts/{id}/documents") => ("text/plain", "a letter from the debtor".into()),
        ("POST", "/api/v1/accounts/{id}/holds") => (json, r#"{"kind":"cease","reason":"matrix"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/holds/{hold}/release") => (json, r#"{"reason":"matrix"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/payments") => (json, r#"{"amount":100,"method":"check"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/payments/{payment}/reversal") => (json, r#"{"reason":"nsf"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/plans") => (json, r#"{"frequency":"monthly","count":6,"first_due_on":"2099-01-15"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/promises") => (json, format!(r#"{{"items":[{{"due_on":"{}","amount":100}}]}}"#, soon(5))),
        ("POST", "/api/v1/accounts/{id}/settlements") => (json, format!(r#"{{"percent":"0.8","expires_on":"{}"}}"#, soon(10))),
        ("POST", "/api/v1/accounts/{id}/settlements/{settlement}/decision") => (json, r#"{"approve":true}"#.into()),
        ("PUT", "/api/v1/clients/{id}/servicing-policy") => (json, r#"{"promise_grace_days":3}"#.into()),
        ("POST", "/api/v1/accounts/{id}/call-tasks") => (json, r#"{"queue":"matrix","reason":"matrix"}"#.into()),
        ("POST", "/api/v1/accounts/{id}/messages") => (json, format!(r#"{{"template":"{}"}}"#, ids.template)),
        ("POST", "/api/v1/accounts/{id}/messages/{message_id}/cancel") => (json, r#"{"reason":"matrix"}"#.into()),
        ("POST", "/api/v1/templates/{key}/preview") => (json, format!(r#"{{"account_id":"{}"}}"#, ids.account)),
        ("POST", "/api/v1/templates") => (
            json,
            format!(
                r#"{{"key":"matrix-new-{n}","channel":"sms","language":"en","purpose":"collection","text":"{{{{ disclosure }}}} {{{{ opt_out }}}}","for_time_barred":false}}"#
            ),
        ),
        ("POST", "/api/v1/strategies") => (json, serde_json::json!({ "body": MATRIX_STRATEGY }).to_string()),
        ("POST", "/api/v1/strategy-runs") => (json, r#"{"dry_run":true}"#.into()),
        // Late in the day, so no server's scheduler finds the matrix tenant due while it runs.
        ("PUT", "/api/v1/strategy-schedule") => (json, r#"{"run_at":"23:59","time_zone":"Pacific/Kiritimati"}"#.into()),
        // The control group cannot be promoted: every allowed role gets as far as that refusal.
        ("POST", "/api/v1/experiments/{name}/promote") => (json, r#"{"arm":"control"}"#.into()),
        ("PUT", "/api/v1/agents/{user_id}") => (json, r#"{"queues":["matrix"],"daily_capacity":50}"#.into()),
        ("POST", "/api/v1/worklist/skip") => (json, format!(r#"{{"account_id":"{}","reason":"matrix"}}"#, ids.account)),
        ("POST", "/api/v1/worklist/release") => (json, format!(r#"{{"account_id":"{}"}}"#, ids.account)),
        ("PUT", "/api/v1/accounts/{id}/contact-preferences") => (json, r#"{"inconvenient":[{"from":"07:00","to":"09:00"}]}"#.into()),
        ("PUT", _) => (json, r#"{"channel":"email","state":"granted"}"#.into()),
        _ => (json, String::new()),
    }
}

fn soon(days: i64) -> jiff::civil::Date {
    recoup_server::api::servicing::today().checked_add(jiff::Span::new().days(days)).unwrap()
}

async fn call(server: &Server, method: &str, path: &str, key: &str, body: &(&str, String)) -> crate::http::Response {
    let headers = vec![format!("Content-Type: {}", body.0), format!("Authorization: Bearer {key}")];
    server.send(method, path, &headers, &body.1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_with_every_role_and_another_tenants_ids() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (mine, my_clients) = tenant_with(&server.store, &[("A", 2), ("B", 1)]).await;
        let (theirs, their_clients) = tenant_with(&server.store, &[("A", 1)]).await;
        let my_ids = ids(s, &server.blob_dir, mine.id, my_clients[0]).await;
        let their_ids =
            Ids { strategy: 999, experiment: "theirs-only".into(), ..ids(s, &server.blob_dir, theirs.id, their_clients[0]).await };
        let mut keys = Vec::new();
        for role in ALL {
            // A client credential belongs to the client whose ids the matrix uses.
            let client = (*role == Role::Client).then_some(my_clients[0]);
            keys.push((*role, key(s, &mine, *role, client).await));
        }
        letter_printed(&server, &keys[0].1, &my_ids).await;
        let mut n = 0;
        let mut failures = Vec::new();
        for (method, template, allowed) in ROUTES {
            let Some(allowed) = allowed else { continue };
            for (role, k) in &keys {
                n += 1;
                let res = call(&server, method, &path_for(template, &my_ids), k, &body_for(method, template, n, &my_ids)).await;
                let ok = if allowed.contains(role) { ![401, 403, 404].contains(&res.status) } else { res.status == 403 };
                if !ok {
                    failures.push(format!("{method} {template} as {}: {} {}", role.as_str(), res.status, short(&res.body)));
                }
            }
            // A report's name is not an id: nothing of another tenant's to find there.
            if !template.contains('{') || *template == "/api/v1/reports/{report}" {
                continue;
            }
            // Another tenant's ids, with a credential that may use the route: not found.
            let (_, k) = keys.iter().find(|(r, _)| allowed.contains(r)).unwrap();
            n += 1;
            let res = call(&server, method, &path_for(template, &their_ids), k, &body_for(method, template, n, &their_ids)).await;
            if res.status != 404 {
                failures.push(format!("{method} {template} with another tenant's ids: {} {}", res.status, short(&res.body)));
            }
        }
        assert!(failures.is_empty(), "{} of the matrix failed:\n{}", failures.len(), failures.join("\n"));
        // The other tenant's data is untouched by all of that.
        assert!(s.notes(theirs.id, their_ids.account, 10).await.unwrap().is_empty());
        assert_eq!(s.account(theirs.id, their_ids.account).await.unwrap().unwrap().status, recoup_domain::account::AccountStatus::Active);
    }
}

/// Waits until the first message's validation notice, a letter, has joined the day's print
/// queue: the outbox worker does that in the background, and on a loaded machine it had not yet
/// when the matrix reached the print batch.
async fn letter_printed(server: &Server, admin: &str, ids: &Ids) {
    let path = path_for("/api/v1/letters/batch", ids);
    for _ in 0..200 {
        if server.get(&path, Some(admin)).await.status == 200 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the validation notice never joined the print queue");
}

fn short(body: &str) -> String {
    body.chars().take(200).collect()
}
