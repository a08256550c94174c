//! Servicing over the API: card payments through the test gateway, reversals and receipts,
//! concurrent idempotent payments, settlements with approval, disputes, holds, promises, plans
//! and remittance statements, on both databases.

use crate::fixtures::{accounts, assert_problem, json_headers as headers, key, post, tenant_with};
use crate::http::Server;
use recoup_domain::access::Role;
use recoup_domain::ledger::Amounts;
use recoup_gateways::test_gateway::{VISA_APPROVED, VISA_DECLINED};
use recoup_store::servicing::payment::Payment;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use uuid::Uuid;

/// Everything the process logs, from the first test that asks on.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("recoup_server=trace,recoup_store=trace,recoup_gateways=trace,info")
            .with_writer(move || Capture(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn today() -> jiff::civil::Date {
    recoup_server::api::servicing::today()
}

fn card_payment(amount: i64, number: &str) -> String {
    format!(r#"{{"amount":{amount},"method":"card","card":{{"number":"{number}","exp_month":12,"exp_year":2031,"cvc":"123"}}}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_payments_keep_only_token_brand_and_last4() {
    let logs = logs();
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let agent = key(s, &tenant, Role::Agent, None).await;
        let path = format!("/api/v1/accounts/{id}/payments");
        let before = s.balance(tenant.id, id).await.unwrap();

        let declined = post(&server, &agent, &path, &card_payment(1_000, VISA_DECLINED)).await;
        assert_problem(&declined, 402, "payment-declined");
        assert_eq!(s.balance(tenant.id, id).await.unwrap(), before, "a decline posts nothing");
        let bad = post(&server, &agent, &path, &card_payment(1_000, "4242424242424241")).await;
        assert_problem(&bad, 422, "invalid");
        assert_eq!(bad.json()["errors"][0]["pointer"], "/card");

        let ok = post(&server, &agent, &path, &card_payment(1_000, VISA_APPROVED)).await;
        assert_eq!(ok.status, 201, "{}", ok.body);
        let pay: Payment = serde_json::from_str(&ok.body).unwrap();
        let card = pay.card.clone().unwrap();
        assert_eq!((card.gateway.as_str(), card.brand.as_str(), card.last4.as_str()), ("test", "visa", "4242"));
        assert_eq!(s.balance(tenant.id, id).await.unwrap().owed(), before.owed() - 1_000);
        assert_eq!(pay.commission, 200, "20 % of 10.00");

        let receipt = server.get(&format!("{path}/{}/receipt", pay.id), Some(&agent)).await;
        assert_eq!(receipt.status, 200);
        assert!(receipt.body.contains(&pay.receipt_no) && receipt.body.contains("visa ending 4242"), "{}", receipt.body);

        // The processor's system reports the chargeback.
        let integrator = key(s, &tenant, Role::Integrator, None).await;
        let rev = post(&server, &integrator, &format!("{path}/{}/reversal", pay.id), r#"{"reason":"chargeback"}"#).await;
        assert_eq!(rev.status, 201, "{}", rev.body);
        assert_eq!(s.balance(tenant.id, id).await.unwrap(), before, "restored exactly");
        let again = post(&server, &integrator, &format!("{path}/{}/reversal", pay.id), r#"{"reason":"chargeback"}"#).await;
        assert_problem(&again, 409, "refused");
        assert_problem(&post(&server, &agent, &format!("{path}/{}/reversal", pay.id), r#"{"reason":"nsf"}"#).await, 403, "forbidden");

        let admin = key(s, &tenant, Role::Admin, None).await;
        let csv = server.get(&format!("/api/v1/payments/reconciliation?date={}", today()), Some(&admin)).await;
        assert_eq!(csv.status, 200);
        assert!(csv.body.contains(&format!("test,payment,{},{id},1000,USD,card,ch_test_", pay.receipt_no)), "{}", csv.body);
        assert!(csv.body.contains(&format!("test,reversal,{},{id},-1000", pay.receipt_no)), "{}", csv.body);

        // No full card number anywhere: not in the database, not in the logs.
        let file = s.account_file(tenant.id, id).await.unwrap().unwrap();
        let audit = s.audit_entries(tenant.id, 0, 100_000).await.unwrap();
        let stored = format!("{:?}{:?}{:?}", file.records, file.ledger, audit);
        if let Some(db) = server.sqlite_path() {
            let mut bytes = std::fs::read(&db).unwrap();
            bytes.extend(std::fs::read(db.with_extension("sqlite-wal")).unwrap_or_default());
            for number in [VISA_APPROVED, VISA_DECLINED] {
                assert!(!bytes.windows(number.len()).any(|w| w == number.as_bytes()), "{number} in the database file");
            }
        }
        for number in [VISA_APPROVED, VISA_DECLINED] {
            assert!(!stored.contains(number), "{number} stored");
            assert!(!String::from_utf8_lossy(&logs.lock().unwrap()).contains(number), "{number} logged");
        }
    }
    assert!(!logs.lock().unwrap().is_empty(), "the logs were captured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_payments_sent_at_once_with_one_key_post_once() {
    for server in Server::all().await {
        let store = server.store.clone();
        let s = store.as_ref();
        let (tenant, _) = tenant_with(&store, &[("A", 1)]).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let agent = key(s, &tenant, Role::Agent, None).await;
        let path = format!("/api/v1/accounts/{id}/payments");
        let k = Uuid::now_v7().to_string();
        let server = Arc::new(server);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (server, path, h) = (server.clone(), path.clone(), headers(&agent, Some(&k)));
            set.spawn(async move { server.send("POST", &path, &h, r#"{"amount":777,"method":"ach","reference":"TRACE-1"}"#).await });
        }
        let mut statuses = Vec::new();
        while let Some(res) = set.join_next().await {
            let res = res.unwrap();
            assert!(res.status == 201 || res.status == 409, "{} {}", res.status, res.body);
            statuses.push(res.status);
        }
        assert!(statuses.contains(&201), "{statuses:?}");
        let file = s.account_file(tenant.id, id).await.unwrap().unwrap();
        assert_eq!(file.all::<Payment>().unwrap().len(), 1, "posted once: {statuses:?}");
        assert_eq!(file.ledger.iter().filter(|e| e.kind == recoup_domain::ledger::EntryKind::Payment).count(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settlements_disputes_holds_plans_and_statements_over_http() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 3)]).await;
        let ids = accounts(&server, tenant.id, 3).await;
        let t = tenant.id;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let supervisor = key(s, &tenant, Role::Supervisor, None).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        let day = today();
        let in_30 = day.checked_add(jiff::Span::new().days(30)).unwrap();

        // A 40 %-off settlement waits for a supervisor; paying it settles the account.
        let acct = ids[0];
        let owed = s.balance(t, acct).await.unwrap().owed();
        let body = format!(r#"{{"percent":"0.6","expires_on":"{in_30}"}}"#);
        let offered = post(&server, &agent, &format!("/api/v1/accounts/{acct}/settlements"), &body).await;
        assert_eq!(offered.status, 201, "{}", offered.body);
        let st = offered.json();
        assert_eq!(st["status"], "pending_approval");
        let amount = st["amount"].as_i64().unwrap();
        assert_eq!(amount, recoup_domain::settlement::amount(owed, recoup_domain::settlement::Offer::Percent("0.6".parse().unwrap())));
        let decision = format!("/api/v1/accounts/{acct}/settlements/{}/decision", st["id"].as_str().unwrap());
        assert_problem(&post(&server, &agent, &decision, r#"{"approve":true}"#).await, 403, "forbidden");
        let pending = server.get("/api/v1/settlements/pending-approval", Some(&supervisor)).await;
        assert_eq!(pending.json()["items"].as_array().unwrap().len(), 1);
        let approved = post(&server, &supervisor, &decision, r#"{"approve":true,"note":"hardship"}"#).await;
        assert_eq!((approved.status, approved.json()["status"].as_str()), (200, Some("active")), "{}", approved.body);
        let too_much =
            post(&server, &agent, &format!("/api/v1/accounts/{acct}/payments"), &format!(r#"{{"amount":{},"method":"ach"}}"#, amount + 1))
                .await;
        assert_problem(&too_much, 422, "invalid");
        let paid =
            post(&server, &agent, &format!("/api/v1/accounts/{acct}/payments"), &format!(r#"{{"amount":{amount},"method":"ach"}}"#)).await;
        assert_eq!(paid.status, 201, "{}", paid.body);
        assert_eq!(s.account(t, acct).await.unwrap().unwrap().status, recoup_domain::account::AccountStatus::Settled);
        assert_eq!(s.balance(t, acct).await.unwrap(), Amounts::default());
        let letter = server.get(&format!("/api/v1/accounts/{acct}/settlements/{}/letter", st["id"].as_str().unwrap()), Some(&agent)).await;
        assert!(letter.body.contains("Settled in full"), "{}", letter.body);
        let letter_pdf = server
            .get(&format!("/api/v1/accounts/{acct}/settlements/{}/letter?format=pdf", st["id"].as_str().unwrap()), Some(&agent))
            .await;
        assert!(letter_pdf.body.starts_with("%PDF-") && letter_pdf.body.contains("Settled in full"), "{}", letter_pdf.head);

        // A dispute holds the account until verification is sent.
        let acct = ids[1];
        let opened =
            post(&server, &agent, &format!("/api/v1/accounts/{acct}/disputes"), r#"{"reason":"not_mine","text":"never had this card"}"#)
                .await;
        assert_eq!(opened.status, 201, "{}", opened.body);
        let aging = server.get("/api/v1/disputes/open", Some(&supervisor)).await;
        assert_eq!(aging.json()["items"][0]["age_days"], 0, "{}", aging.body);
        let holds = server.get(&format!("/api/v1/accounts/{acct}/holds"), Some(&agent)).await.json();
        assert_eq!(holds["items"][0]["kind"], "dispute");
        let patch = format!("/api/v1/accounts/{acct}/disputes/{}", opened.json()["id"].as_str().unwrap());
        let sent =
            server.send("PATCH", &patch, &headers(&agent, None), r#"{"status":"verification_sent","note":"statements mailed"}"#).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(server.get("/api/v1/disputes/open", Some(&supervisor)).await.json()["items"].as_array().unwrap().is_empty());

        // A cease request: placed with its reason, flagged, released with another.
        let ceased =
            post(&server, &agent, &format!("/api/v1/accounts/{acct}/holds"), r#"{"kind":"cease","reason":"letter received"}"#).await;
        assert_eq!(ceased.status, 201, "{}", ceased.body);
        assert!(s.account(t, acct).await.unwrap().unwrap().flags.contains(recoup_domain::account::Flag::Cease));
        let no_chapter =
            post(&server, &agent, &format!("/api/v1/accounts/{acct}/holds"), r#"{"kind":"bankruptcy","reason":"notice"}"#).await;
        assert_problem(&no_chapter, 422, "invalid");
        assert_eq!(no_chapter.json()["errors"][0]["pointer"], "/details/chapter");
        let release = format!("/api/v1/accounts/{acct}/holds/{}/release", ceased.json()["id"].as_str().unwrap());
        assert_eq!(post(&server, &agent, &release, r#"{"reason":"consumer withdrew the request in writing"}"#).await.status, 200);

        // A promise, then a plan whose schedule is the quote's.
        let acct = ids[2];
        let past = r#"{"items":[{"due_on":"2020-01-01","amount":100}]}"#;
        let refused = post(&server, &agent, &format!("/api/v1/accounts/{acct}/promises"), past).await;
        assert_problem(&refused, 422, "invalid");
        assert_eq!(refused.json()["errors"][0]["pointer"], "/items/0/due_on");
        let promise = format!(r#"{{"items":[{{"due_on":"{in_30}","amount":100}}]}}"#);
        assert_eq!(post(&server, &agent, &format!("/api/v1/accounts/{acct}/promises"), &promise).await.status, 201);
        let plan_body = format!(r#"{{"frequency":"monthly","count":3,"first_due_on":"{in_30}"}}"#);
        let quote = post(&server, &agent, &format!("/api/v1/accounts/{acct}/plan-quote"), &plan_body).await.json();
        let plan = post(&server, &agent, &format!("/api/v1/accounts/{acct}/plans"), &plan_body).await;
        assert_eq!(plan.status, 201, "{}", plan.body);
        assert_eq!(plan.json()["installments"], quote["installments"]);
        assert_problem(&post(&server, &agent, &format!("/api/v1/accounts/{acct}/plans"), &plan_body).await, 409, "refused");

        // The day's statement: the settlement payment, 20 % commission.
        let url = format!("/api/v1/remittance-statements?client=A&from={day}&to={day}");
        let st = server.get(&url, Some(&admin)).await.json();
        assert_eq!(st["totals"]["collected_by_agency"], amount);
        let commission = (rust_decimal::Decimal::from(amount) * rust_decimal::Decimal::new(2, 1))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven);
        assert_eq!(st["totals"]["commission"].to_string(), commission.to_string());
        let csv = server.get(&format!("{url}&format=csv"), Some(&admin)).await;
        assert!(csv.body.contains(",NET due to client,"), "{}", csv.body);
        let pdf = server.get(&format!("{url}&format=pdf"), Some(&admin)).await;
        assert_eq!(pdf.header("content-type").as_deref(), Some("application/pdf"));
        assert!(pdf.body.starts_with("%PDF-") && pdf.body.contains("Net due to the client"), "{}", &pdf.body[..200.min(pdf.body.len())]);
        let html = server.get(&format!("{url}&format=html"), Some(&admin)).await;
        assert!(html.body.contains("<th>Net due to the client</th>"), "{}", html.body);
        assert_problem(&server.get(&url, Some(&agent)).await, 403, "forbidden");

        let run = post(&server, &admin, &format!("/api/v1/servicing/run?date={in_30}"), "").await;
        assert_eq!(run.status, 200, "{}", run.body);
        assert!(recoup_store::verify_audit(s, t).await.unwrap().is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_typed_limited_hashed_and_linked_to_their_dispute() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let agent = key(s, &tenant, Role::Agent, None).await;
        let dispute = post(&server, &agent, &format!("/api/v1/accounts/{id}/disputes"), r#"{"reason":"already_paid"}"#).await.json();
        let did = dispute["id"].as_str().unwrap();
        let send = |ctype: &str, name: &str, body: &str, dispute: Option<&str>| {
            let mut path = format!("/api/v1/accounts/{id}/documents?name={name}");
            if let Some(d) = dispute {
                path.push_str(&format!("&dispute={d}"));
            }
            let h = vec![format!("Content-Type: {ctype}"), format!("Authorization: Bearer {agent}")];
            let server = &server;
            let body = body.to_string();
            async move { server.send("POST", &path, &h, &body).await }
        };
        let pdf = "%PDF-1.7\nbank statement showing the June payment\n%%EOF";
        let up = send("application/pdf", "june.pdf", pdf, Some(did)).await;
        assert_eq!(up.status, 201, "{}", up.body);
        let doc = up.json();
        assert_eq!(doc["sha256"], recoup_server::blobs::sha256_hex(pdf.as_bytes()));
        assert_eq!((doc["size"].as_u64(), doc["dispute_id"].as_str()), (Some(pdf.len() as u64), Some(did)));
        let got = server.get(&format!("/api/v1/accounts/{id}/documents/{}", doc["id"].as_str().unwrap()), Some(&agent)).await;
        assert_eq!((got.status, got.body.as_str()), (200, pdf));
        assert_eq!(got.header("content-type").as_deref(), Some("application/pdf"));
        let disputes = server.get(&format!("/api/v1/accounts/{id}/disputes"), Some(&agent)).await.json();
        assert_eq!(disputes["items"][0]["documents"][0], doc["id"]);

        assert_problem(&send("image/gif", "x.gif", "GIF89a", None).await, 415, "unsupported-media-type");
        assert_problem(&send("image/png", "x.png", pdf, None).await, 415, "unsupported-media-type");
        assert_problem(&send("text/plain", "a%2Fb.txt", "hello", None).await, 422, "invalid");
        let elsewhere = send("text/plain", "note.txt", "hello", Some(&Uuid::now_v7().to_string())).await;
        assert_problem(&elsewhere, 422, "invalid");
        // Refused on its declared length, before a byte of it is read.
        let over = recoup_server::api::documents::DOCUMENT_LIMIT_BYTES + 1;
        let head = format!(
            "POST /api/v1/accounts/{id}/documents?name=big.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: text/plain\r\nAuthorization: Bearer {agent}\r\nContent-Length: {over}\r\n\r\n"
        );
        let addr = server.addr;
        let big = tokio::task::spawn_blocking(move || crate::http::raw(addr, &head)).await.unwrap();
        assert_problem(&big, 413, "too-large");
        let at_limit = "a".repeat(recoup_server::api::documents::DOCUMENT_LIMIT_BYTES);
        assert_eq!(send("text/plain", "limit.txt", &at_limit, None).await.status, 201, "exactly the limit is taken");
        let listed = server.get(&format!("/api/v1/accounts/{id}/documents"), Some(&agent)).await.json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 2, "refused uploads leave nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtors_payment_over_several_debts_follows_the_instruction_and_skips_none_silently() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let stranger = accounts(&server, tenant.id, 1).await[0];
        // Two debts of one debtor: the same person placed twice under different references.
        let mut one = Vec::new();
        recoup_import::synth::write_csv(&mut one, 1, 11, "SAME-", jiff::civil::date(2026, 11, 2)).unwrap();
        let text = String::from_utf8(one).unwrap();
        let row = text.lines().nth(1).unwrap();
        let file = format!("{text}{}\n", row.replacen("SAME-", "TWIN-", 1));
        crate::fixtures::place_file(&server.store, &tenant, "A", file.into_bytes()).await;
        let client = s.client_by_code(tenant.id, "A").await.unwrap().unwrap();
        let first = s.account_by_ref(tenant.id, client.id, "SAME-00000001").await.unwrap().unwrap().id;
        let second = s.account_by_ref(tenant.id, client.id, "TWIN-00000001").await.unwrap().unwrap().id;
        let (b1, b2) = (s.balance(tenant.id, first).await.unwrap().owed(), s.balance(tenant.id, second).await.unwrap().owed());
        let agent = key(s, &tenant, Role::Agent, None).await;
        let body = |a: Uuid, b: Uuid| {
            format!(r#"{{"method":"ach","allocations":[{{"account_id":"{a}","amount":1000}},{{"account_id":"{b}","amount":500}}]}}"#)
        };

        let paid = post(&server, &agent, "/api/v1/payments", &body(first, second)).await;
        assert_eq!(paid.status, 201, "{}", paid.body);
        assert_eq!(paid.json()["items"].as_array().unwrap().len(), 2);
        assert_eq!(s.balance(tenant.id, first).await.unwrap().owed(), b1 - 1_000);
        assert_eq!(s.balance(tenant.id, second).await.unwrap().owed(), b2 - 500);

        let other = post(&server, &agent, "/api/v1/payments", &body(first, stranger)).await;
        assert_problem(&other, 422, "invalid");
        assert_eq!(other.json()["errors"][0]["pointer"], "/allocations/1/account_id");

        // Once the second debt is disputed, no part of such a payment may go to it, and the
        // first part does not land alone.
        let disputed = post(&server, &agent, &format!("/api/v1/accounts/{second}/disputes"), r#"{"reason":"wrong_amount"}"#).await;
        assert_eq!(disputed.status, 201);
        let refused = post(&server, &agent, "/api/v1/payments", &body(first, second)).await;
        assert_problem(&refused, 409, "refused");
        assert!(refused.json()["detail"].as_str().unwrap().starts_with("allocation 1"), "{}", refused.body);
        assert_eq!(s.balance(tenant.id, first).await.unwrap().owed(), b1 - 1_000, "nothing half-applied");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_file_posts_good_rows_names_bad_ones_and_never_posts_twice() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 2)]).await;
        let refs: Vec<String> =
            s.list_accounts(tenant.id, &Default::default(), None, 2).await.unwrap().into_iter().map(|a| a.external_ref).collect();
        let day = today();
        let file = format!(
            "account_ref,amount,paid_on,method,reference,route\n\
             {r0},25.00,{day},ach,TR-1,\n\
             NOPE-1,10.00,{day},ach,TR-2,\n\
             {r1},12.3.4,{day},check,CK-9,\n\
             {r1},40.00,{day},check,CK-10,direct\n",
            r0 = refs[0],
            r1 = refs[1]
        );
        let supervisor = key(s, &tenant, Role::Supervisor, None).await;
        let send = |dry: bool| {
            let path = format!("/api/v1/payment-files?client=A{}", if dry { "&dry_run=true" } else { "" });
            let h = vec!["Content-Type: text/csv".to_string(), format!("Authorization: Bearer {supervisor}")];
            let (server, file) = (&server, file.clone());
            async move { server.send("POST", &path, &h, &file).await }
        };
        let dry = send(true).await;
        assert_eq!(dry.status, 200, "{}", dry.body);
        assert_eq!((dry.json()["posted"].as_u64(), dry.json()["dry_run"].as_bool()), (Some(2), Some(true)));
        let first =
            s.account_by_ref(tenant.id, s.client_by_code(tenant.id, "A").await.unwrap().unwrap().id, &refs[0]).await.unwrap().unwrap();
        assert!(
            s.account_file(tenant.id, first.id).await.unwrap().unwrap().all::<Payment>().unwrap().is_empty(),
            "a dry run writes nothing"
        );

        let run = send(false).await.json();
        assert_eq!((run["read"].as_u64(), run["posted"].as_u64()), (Some(4), Some(2)), "{run}");
        let rejected = run["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 2, "{run}");
        assert_eq!((rejected[0]["line"].as_u64(), rejected[0]["column"].as_str()), (Some(3), Some("account_ref")), "{run}");
        assert_eq!((rejected[1]["line"].as_u64(), rejected[1]["column"].as_str()), (Some(4), Some("amount")), "{run}");
        assert_eq!(run["totals"][0]["amount"], 6_500);
        let again = send(false).await.json();
        assert_eq!((again["posted"].as_u64(), again["duplicates"].as_array().unwrap().len()), (Some(0), 2), "{again}");
        let paid = s.account_file(tenant.id, first.id).await.unwrap().unwrap().all::<Payment>().unwrap();
        assert_eq!((paid.len(), paid[0].amount, paid[0].reference.as_deref()), (1, 2_500, Some("TR-1")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_policy_answers_before_a_call_and_keeps_every_answer() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let agent = key(s, &tenant, Role::Agent, None).await;
        let check = |at: &str| format!(r#"{{"medium":"call","at":"{at}"}}"#);
        // 15:00 in New York is 12:00 in Los Angeles and 09:00 in Honolulu: inside every US window.
        let noon = "2026-06-03T19:00:00Z";
        let first = post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-checks"), &check(noon)).await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!(first.json()["decision"], "allow", "{}", first.body);

        // Seven calls in the week before: the eighth waits (Reg F 1006.14(b)(2)).
        for day in 28..=31 {
            for hour in [14, 16] {
                if day == 31 && hour == 16 {
                    continue;
                }
                let body = format!(r#"{{"medium":"call","outcome":"no_conversation","at":"2026-05-{day}T{hour}:00:00Z"}}"#);
                assert_eq!(post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-attempts"), &body).await.status, 201);
            }
        }
        let eighth = post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-checks"), &check(noon)).await.json();
        assert_eq!(eighth["decision"], "defer", "{eighth}");
        assert!(
            eighth["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["code"] == "call_cap" && r["rule"].as_str().unwrap().contains("1006.14")),
            "{eighth}"
        );
        let future = post(
            &server,
            &agent,
            &format!("/api/v1/accounts/{id}/contact-attempts"),
            r#"{"medium":"call","outcome":"conversation","at":"2099-01-01T00:00:00Z"}"#,
        )
        .await;
        assert_problem(&future, 422, "invalid");

        // A cease request blocks collection calls outright, naming the rule.
        let cease = post(&server, &agent, &format!("/api/v1/accounts/{id}/holds"), r#"{"kind":"cease","reason":"letter"}"#).await;
        assert_eq!(cease.status, 201);
        let blocked = post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-checks"), &check("2026-06-10T19:00:00Z")).await.json();
        assert_eq!(blocked["decision"], "block", "{blocked}");
        assert!(blocked["reasons"].as_array().unwrap().iter().any(|r| r["rule"] == "Reg F 1006.6(c)"), "{blocked}");

        let kept = server.get(&format!("/api/v1/accounts/{id}/contact-checks"), Some(&agent)).await.json();
        let decisions: Vec<_> = kept["items"].as_array().unwrap().iter().map(|d| d["decision"].as_str().unwrap().to_string()).collect();
        assert_eq!(decisions, ["allow", "defer", "block"], "every answer is kept");
        assert_eq!(
            server.get(&format!("/api/v1/accounts/{id}/contact-attempts"), Some(&agent)).await.json()["items"].as_array().unwrap().len(),
            7
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_policy_picks_the_contact_profile() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, clients) = tenant_with(&server.store, &[("A", 1)]).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let (agent, admin) = (key(s, &tenant, Role::Agent, None).await, key(s, &tenant, Role::Admin, None).await);
        for day in ["01", "02"] {
            let body = format!(r#"{{"medium":"call","outcome":"no_conversation","at":"2026-06-{day}T15:00:00Z"}}"#);
            assert_eq!(post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-attempts"), &body).await.status, 201);
        }
        let policy = format!("/api/v1/clients/{}/servicing-policy", clients[0]);
        let checks = format!("/api/v1/accounts/{id}/contact-checks");
        let ask = || post(&server, &agent, &checks, r#"{"medium":"call","at":"2026-06-03T19:00:00Z"}"#);
        let federal = ask().await.json();
        assert_eq!((federal["decision"].as_str(), federal["profile"].as_str()), (Some("allow"), Some("us-federal")), "{federal}");
        let typo = server.send("PUT", &policy, &headers(&admin, None), r#"{"contact":{"profile":"us-ma","call_capp":3}}"#).await;
        assert_problem(&typo, 422, "invalid");
        let set = server.send("PUT", &policy, &headers(&admin, None), r#"{"contact":{"profile":"us-ma"}}"#).await;
        assert_eq!(set.status, 200, "{}", set.body);
        // Massachusetts: two calls in seven days are the most.
        let ma = ask().await.json();
        assert_eq!((ma["decision"].as_str(), ma["profile"].as_str()), (Some("defer"), Some("us-ma")), "{ma}");
    }
}
