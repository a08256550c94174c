//! Communications over HTTP: templates checked and versioned, messages through the contact
//! policy and the outbox (with the validation notice an account's first message brings), inbound
//! texts (STOP revokes consent at once), delivery reports, unsubscribe links, call tasks,
//! "why can't I contact this person now", and the compliance report.

use crate::fixtures::{accounts, assert_problem, json_headers as headers, key, post, ready, tenant_with};
use crate::http::{Response, Server, TWILIO_TOKEN};
use recoup_domain::access::Role;
use recoup_domain::contact::{Channel, ConsentState, ContactKind, ContactPoint};
use recoup_store::Actor;
use std::time::Duration;
use uuid::Uuid;

async fn point(server: &Server, tenant: Uuid, account: Uuid, kind: ContactKind) -> ContactPoint {
    let parties = server.store.parties_of(tenant, account).await.unwrap();
    parties.into_iter().flat_map(|p| p.contact_points).find(|c| c.kind == kind).expect("the synthetic account has one")
}

/// The account's messages once none is queued any more (the worker has had its go).
async fn settled(server: &Server, k: &str, account: Uuid) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let items = server.get(&format!("/api/v1/accounts/{account}/messages"), Some(k)).await.json()["items"].as_array().unwrap().clone();
        if items.iter().all(|m| m["status"] != "queued") {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("messages still queued on {account}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_checked_before_they_are_saved_and_each_save_is_a_version() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 1).await;
        let admin = key(s, &tenant, Role::Admin, None).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let good = serde_json::json!({
            "key": "nudge-sms", "channel": "sms", "language": "en", "purpose": "collection",
            "text": "{{ disclosure }} {{ debtor.first_name }}, your {{ account.client }} balance is {{ account.balance }}. {{ opt_out }}",
            "for_time_barred": false
        });
        let first = post(&server, &admin, "/api/v1/templates", &good.to_string()).await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!(first.json()["version"], 1);
        assert_eq!(post(&server, &admin, "/api/v1/templates", &good.to_string()).await.json()["version"], 2);
        assert_eq!(post(&server, &agent, "/api/v1/templates", &good.to_string()).await.status, 403, "what a message says is the admins'");

        let mut unknown = good.clone();
        unknown["text"] = "{{ disclosure }}\n{{ debtor.middle_name }} {{ opt_out }}".into();
        let refused = post(&server, &admin, "/api/v1/templates", &unknown.to_string()).await;
        assert_problem(&refused, 422, "invalid");
        let body = refused.json();
        assert!(body["detail"].as_str().unwrap().contains("line 2"), "{body}");
        assert!(body.to_string().contains("/text"), "{body}");

        let mut no_stop = good.clone();
        no_stop["text"] = "{{ disclosure }} Pay {{ account.balance }} today.".into();
        let refused = post(&server, &admin, "/api/v1/templates", &no_stop.to_string()).await;
        assert_problem(&refused, 422, "invalid");
        assert!(refused.body.contains("1006.6(e)"), "the opt-out rule is named: {}", refused.body);

        let mut threat = good.clone();
        threat["text"] = "{{ disclosure }} Pay now or we will sue you. {{ opt_out }}".into();
        threat["for_time_barred"] = true.into();
        assert_problem(&post(&server, &admin, "/api/v1/templates", &threat.to_string()).await, 422, "invalid");

        let versions = server.get("/api/v1/templates/nudge-sms/versions?language=en", Some(&agent)).await.json();
        assert_eq!(versions["items"].as_array().unwrap().len(), 2);
        let preview = post(&server, &agent, "/api/v1/templates/nudge-sms/preview", &format!(r#"{{"account_id":"{id}"}}"#)).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        let text = preview.json()["text"].as_str().unwrap().to_string();
        let owed = server.store.balance(tenant.id, id).await.unwrap().owed();
        let shown = recoup_domain::money::format_money(owed, "USD");
        assert!(text.contains(&shown) && text.contains("debt collector") && !text.contains("{{"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_message_brings_the_validation_notice_and_both_leave_through_the_outbox() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 2).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let supervisor = key(s, &tenant, Role::Supervisor, None).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let path = format!("/api/v1/accounts/{id}/messages");

        let notice = server.get(&format!("/api/v1/accounts/{id}/validation-notice"), Some(&agent)).await;
        assert_eq!(notice.status, 200, "{}", notice.body);
        let n = notice.json();
        let it = &n["itemization"];
        let sum = |k: &str| it[k].as_i64().unwrap();
        assert_eq!(
            sum("amount_then") + sum("interest") + sum("fees") - sum("payments") - sum("credits"),
            n["current_amount"].as_i64().unwrap()
        );
        assert_eq!(n["current_amount"].as_i64().unwrap(), server.store.balance(tenant.id, id).await.unwrap().owed());

        let queued = post(&server, &agent, &path, r#"{"template":"reminder-email"}"#).await;
        assert_eq!(queued.status, 201, "{}", queued.body);
        let items = settled(&server, &agent, id).await;
        assert_eq!(items.len(), 2, "the notice and the e-mail");
        assert_eq!(items[0]["medium"], "letter");
        assert!(items[0]["notice"].is_object());
        assert_eq!(items[1]["medium"], "email");
        for m in &items {
            assert_eq!(m["status"], "sent", "{m}");
        }
        assert_eq!(items[0]["transport"], "print");
        assert_eq!(items[1]["transport"], "outbox");
        assert!(items[1]["html"].as_str().unwrap().contains("debt collector"));

        let letter = server.get(&format!("{path}/{}?format=pdf", items[0]["id"].as_str().unwrap()), Some(&agent)).await;
        assert_eq!(letter.status, 200);
        assert!(letter.body.starts_with("%PDF"), "a PDF letter");
        let attempts = server.get(&format!("/api/v1/accounts/{id}/contact-attempts"), Some(&agent)).await.json();
        assert_eq!(attempts["items"].as_array().unwrap().iter().filter(|a| a["message_id"].is_string()).count(), 2, "each message counts");

        // The second message brings no second notice.
        assert_eq!(post(&server, &agent, &path, r#"{"template":"reminder-sms"}"#).await.status, 201);
        let items = settled(&server, &agent, id).await;
        assert_eq!(items.iter().filter(|m| m["notice"].is_object()).count(), 1);

        let day = crate::http::weekday_afternoon().to_zoned(jiff::tz::TimeZone::UTC).date();
        let outbox = server.get(&format!("/api/v1/outbox?status=sent&on={day}"), Some(&agent)).await.json();
        assert_eq!(outbox["items"].as_array().unwrap().len(), 3, "{outbox}");
        let batch = server.get(&format!("/api/v1/letters/batch?on={day}"), Some(&supervisor)).await;
        assert_eq!(batch.status, 200, "{}", batch.body);
        assert!(batch.body.starts_with("%PDF"));
        assert_eq!(server.get(&format!("/api/v1/letters/batch?on={day}"), Some(&agent)).await.status, 403);

        // Without the collector's name and address no notice can be given, so nothing goes.
        let (other, clients) = tenant_with(&server.store, &[("B", 1)]).await;
        recoup_server::messages::save_template(s, other.id, &recoup_channels::template::starter_set()[0], &Actor::new("t")).await.unwrap();
        let other_agent = key(s, &other, Role::Agent, None).await;
        let oid = accounts(&server, other.id, 1).await[0];
        let refused = post(&server, &other_agent, &format!("/api/v1/accounts/{oid}/messages"), r#"{"template":"reminder-email"}"#).await;
        assert_problem(&refused, 409, "refused");
        assert!(refused.body.contains("collector_name"), "{}", refused.body);
        assert!(server.store.account_file(other.id, oid).await.unwrap().unwrap().records.is_empty(), "nothing half-queued");
        let _ = clients;
    }
}

fn twilio_form(pairs: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let params: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let body = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
    (body, params)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn twilio_post(server: &Server, path: &str, pairs: &[(&str, &str)], token: &str) -> Response {
    let (body, params) = twilio_form(pairs);
    let url = format!("http://{}{path}", server.addr);
    let sig = recoup_channels::twilio::signature(token, &url, &params);
    let h = vec!["Content-Type: application/x-www-form-urlencoded".to_string(), format!("X-Twilio-Signature: {sig}")];
    server.send("POST", path, &h, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_text_revokes_consent_at_once_and_the_next_text_is_blocked_with_the_reason() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 1).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let phone = point(&server, tenant.id, id, ContactKind::Phone).await;
        let inbound = format!("/inbound/{}/twilio/sms", tenant.slug);
        let stop = [("From", phone.value.as_str()), ("To", "+15550100100"), ("Body", "Stop")];

        let forged = twilio_post(&server, &inbound, &stop, "not-the-token").await;
        assert_eq!(forged.status, 403);
        assert_eq!(s.contact_point(tenant.id, phone.id).await.unwrap().unwrap().consent.get(Channel::Sms), phone.consent.get(Channel::Sms));

        let answered = twilio_post(&server, &inbound, &stop, TWILIO_TOKEN).await;
        assert_eq!(answered.status, 200, "{}", answered.body);
        assert!(answered.body.contains("<Response"));
        assert_eq!(s.contact_point(tenant.id, phone.id).await.unwrap().unwrap().consent.get(Channel::Sms), ConsentState::Revoked);
        assert_eq!(twilio_post(&server, &inbound, &stop, TWILIO_TOKEN).await.status, 200, "a second STOP");
        let items = settled(&server, &agent, id).await;
        let confirmations: Vec<_> = items.iter().filter(|m| m["opt_out_confirmation"] == true).collect();
        assert_eq!(confirmations.len(), 1, "one confirmation: {items:?}");
        assert_eq!(confirmations[0]["status"], "sent", "the one confirmation the rules allow goes out");

        let next = post(&server, &agent, &format!("/api/v1/accounts/{id}/messages"), r#"{"template":"reminder-sms"}"#).await;
        assert_eq!(next.status, 201, "{}", next.body);
        let m = next.json();
        assert_eq!(m["status"], "blocked", "{m}");
        let why = m["steps"].as_array().unwrap().last().unwrap()["detail"].as_str().unwrap().to_string();
        assert!(why.contains("opted out") && why.contains("1006.14(h)"), "{why}");
        let decisions = server.get(&format!("/api/v1/accounts/{id}/contact-checks"), Some(&agent)).await.json();
        assert!(
            decisions["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["decision"] == "block" && d["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "channel_opt_out"))
        );

        let help = twilio_post(&server, &inbound, &[("From", phone.value.as_str()), ("Body", "HELP")], TWILIO_TOKEN).await;
        assert!(help.body.contains("(555) 010-0100"), "{}", help.body);
        let reply =
            twilio_post(&server, &inbound, &[("From", phone.value.as_str()), ("Body", "I can pay $50 on Friday")], TWILIO_TOKEN).await;
        assert_eq!(reply.status, 200);
        let notes = server.get(&format!("/api/v1/accounts/{id}/notes"), Some(&agent)).await.json();
        assert!(notes.to_string().contains("I can pay $50 on Friday"), "{notes}");
        let tasks = server.get("/api/v1/call-tasks?queue=inbound-replies", Some(&agent)).await.json();
        assert_eq!(tasks["items"].as_array().unwrap().len(), 1, "{tasks}");

        let restart = twilio_post(&server, &inbound, &[("From", phone.value.as_str()), ("Body", "START")], TWILIO_TOKEN).await;
        assert_eq!(restart.status, 200);
        assert_eq!(s.contact_point(tenant.id, phone.id).await.unwrap().unwrap().consent.get(Channel::Sms), ConsentState::Granted);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_unsubscribe_revokes_that_address_and_forged_links_do_nothing() {
    let server = Server::sqlite().await;
    let s = server.store.as_ref();
    let (tenant, _) = ready(&server.store, 1).await;
    let id = accounts(&server, tenant.id, 1).await[0];
    let email = point(&server, tenant.id, id, ContactKind::Email).await;
    let token = recoup_server::outbound::unsubscribe_token(s, tenant.id, email.id);
    let page = server.get(&format!("/u/{token}"), None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<form method=\"post\""), "a page asks first, so link scanners unsubscribe no one");
    assert_eq!(s.contact_point(tenant.id, email.id).await.unwrap().unwrap().consent.get(Channel::Email), email.consent.get(Channel::Email));
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 2.., if token.ends_with("00") { "11" } else { "00" });
    assert_eq!(server.send("POST", &format!("/u/{forged}"), &[], "List-Unsubscribe=One-Click").await.status, 404);
    let done = server
        .send("POST", &format!("/u/{token}"), &["Content-Type: application/x-www-form-urlencoded".into()], "List-Unsubscribe=One-Click")
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(s.contact_point(tenant.id, email.id).await.unwrap().unwrap().consent.get(Channel::Email), ConsentState::Revoked);
    let audit = s.search_audit(tenant.id, &Default::default(), 0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.event.action == "consent.changed" && e.event.actor.starts_with("inbound:unsubscribe")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_tasks_pass_the_policy_and_the_person_can_be_asked_about_now() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 1).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let auditor = key(s, &tenant, Role::Auditor, None).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let task = post(&server, &agent, &format!("/api/v1/accounts/{id}/call-tasks"), r#"{"queue":"early","reason":"first call"}"#).await;
        assert_eq!(task.status, 201, "{}", task.body);
        let task = task.json();
        assert_eq!(task["status"], "open");
        let listed = server.get("/api/v1/call-tasks?queue=early", Some(&agent)).await.json();
        assert_eq!(listed["items"][0]["id"], task["id"]);

        let at = crate::http::weekday_afternoon();
        let logged = post(
            &server,
            &agent,
            &format!("/api/v1/accounts/{id}/contact-attempts"),
            &format!(r#"{{"medium":"call","result":"right_party","at":"{at}","task_id":"{}"}}"#, task["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(logged.status, 201, "{}", logged.body);
        assert_eq!(logged.json()["outcome"], "conversation");
        assert_eq!(server.get("/api/v1/call-tasks?queue=early", Some(&agent)).await.json()["items"].as_array().unwrap().len(), 0);
        assert_eq!(
            server.get("/api/v1/call-tasks?queue=early&status=done", Some(&agent)).await.json()["items"].as_array().unwrap().len(),
            1
        );

        let why = server.get(&format!("/api/v1/accounts/{id}/contactability"), Some(&agent)).await;
        assert_eq!(why.status, 200, "{}", why.body);
        let why = why.json();
        assert_eq!(why["calls_last_7_days"], 1);
        let call = why["channels"].as_array().unwrap().iter().find(|c| c["medium"] == "call").unwrap().clone();
        assert_eq!(call["decision"], "defer", "a conversation today closes calls for a week: {call}");
        assert!(call["next_allowed_at"].is_string());
        assert!(call["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "post_conversation"));
        let checks = server.get(&format!("/api/v1/accounts/{id}/contact-checks"), Some(&agent)).await.json();
        assert_eq!(checks["items"].as_array().unwrap().len(), 1, "asking 'why' is not itself a decision kept");

        let cease = post(&server, &agent, &format!("/api/v1/accounts/{id}/holds"), r#"{"kind":"cease","reason":"letter"}"#).await;
        assert_eq!(cease.status, 201);
        let blocked = post(&server, &agent, &format!("/api/v1/accounts/{id}/call-tasks"), r#"{"queue":"early","reason":"again"}"#).await;
        assert_eq!(blocked.json()["status"], "blocked", "{}", blocked.body);

        let day = at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let report = server.get(&format!("/api/v1/reports/compliance?from={day}&to={day}"), Some(&auditor)).await;
        assert_eq!(report.status, 200, "{}", report.body);
        let r = report.json();
        assert_eq!(r["decisions"], 2, "{r}");
        assert_eq!((r["allowed"].as_i64(), r["blocked"].as_i64()), (Some(1), Some(1)));
        assert!(r["rows"].as_array().unwrap().iter().any(|row| row["decision"] == "block" && row["code"] == "cease"), "{r}");
        let csv = server.get(&format!("/api/v1/reports/compliance?from={day}&to={day}&format=csv"), Some(&auditor)).await;
        assert!(csv.body.starts_with("day,portfolio_id,medium,decision,code,rule,count"));
        assert_eq!(server.get(&format!("/api/v1/reports/compliance?from={day}&to={day}"), Some(&agent)).await.status, 403);
    }
}

type Forms = std::sync::Arc<std::sync::Mutex<Vec<Vec<(String, String)>>>>;

/// A stand-in for Twilio's Messages API: keeps every form it is sent and answers the n-th
/// (from 0) as `answer(n)` says. Returns its address and the forms.
async fn fake_twilio(answer: fn(usize) -> (u16, serde_json::Value)) -> (String, Forms) {
    use axum::routing::post as route_post;
    let seen: Forms = Default::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        route_post(move |axum::Form(form): axum::Form<Vec<(String, String)>>| {
            let keep = keep.clone();
            async move {
                let n = {
                    let mut forms = keep.lock().unwrap();
                    forms.push(form);
                    forms.len() - 1
                };
                let (status, body) = answer(n);
                (axum::http::StatusCode::from_u16(status).unwrap(), axum::Json(body))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// A test server whose texts go to Twilio at `url`.
async fn with_twilio(url: String) -> Server {
    Server::sqlite_with(|state| {
        let mut cfg =
            recoup_channels::twilio::TwilioConfig::new("AC123", TWILIO_TOKEN, recoup_channels::twilio::Sender::From("+16175550134".into()));
        cfg.base_url = url;
        state.outbound.sms = std::sync::Arc::new(recoup_channels::twilio::TwilioSms::new(cfg).unwrap());
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_goes_to_the_sms_provider_and_its_signed_delivery_report_moves_it_on() {
    let (url, seen) = fake_twilio(|_| (201, serde_json::json!({"sid": "SM0001", "status": "queued"}))).await;
    let server = with_twilio(url).await;
    let s = server.store.as_ref();
    let (tenant, _) = ready(&server.store, 1).await;
    let agent = key(s, &tenant, Role::Agent, None).await;
    let id = accounts(&server, tenant.id, 1).await[0];
    let phone = point(&server, tenant.id, id, ContactKind::Phone).await;
    assert_eq!(post(&server, &agent, &format!("/api/v1/accounts/{id}/messages"), r#"{"template":"reminder-sms"}"#).await.status, 201);
    let items = settled(&server, &agent, id).await;
    let text = items.iter().find(|m| m["medium"] == "sms").unwrap().clone();
    assert_eq!(
        (text["status"].as_str(), text["transport"].as_str(), text["provider_id"].as_str()),
        (Some("sent"), Some("twilio"), Some("SM0001"))
    );
    let form = seen.lock().unwrap()[0].clone();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(field("To"), phone.value);
    assert_eq!(field("Body"), text["text"].as_str().unwrap());
    let callback = field("StatusCallback");
    let path = callback.strip_prefix(&format!("http://{}", server.addr)).unwrap().to_string();
    assert!(path.contains(text["id"].as_str().unwrap()), "{path}");

    let report = [("MessageSid", "SM0001"), ("MessageStatus", "delivered")];
    assert_eq!(twilio_post(&server, &path, &report, "forged").await.status, 403);
    let done = twilio_post(&server, &path, &report, TWILIO_TOKEN).await;
    assert_eq!(done.status, 204, "{}", done.body);
    let m = server.get(&format!("/api/v1/accounts/{id}/messages/{}", text["id"].as_str().unwrap()), Some(&agent)).await.json();
    assert_eq!(m["status"], "delivered", "{m}");
    let bounced =
        twilio_post(&server, &path, &[("MessageSid", "SM0001"), ("MessageStatus", "undelivered"), ("ErrorCode", "30005")], TWILIO_TOKEN)
            .await;
    assert_eq!(bounced.status, 204);
    let m = server.get(&format!("/api/v1/accounts/{id}/messages/{}", text["id"].as_str().unwrap()), Some(&agent)).await.json();
    assert_eq!(m["status"], "bounced");
    let attempts = server.get(&format!("/api/v1/accounts/{id}/contact-attempts"), Some(&agent)).await.json();
    let counted = attempts["items"].as_array().unwrap().iter().find(|a| a["message_id"] == text["id"]).unwrap().clone();
    assert_eq!(counted["outcome"], "never_connected", "an undelivered text does not count toward the caps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_person_said_about_contact_is_kept_and_honoured() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, _) = ready(&server.store, 1).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        let id = accounts(&server, tenant.id, 1).await[0];
        let path = format!("/api/v1/accounts/{id}/contact-preferences");
        let put = |body: &'static str| {
            let (server, agent, path) = (&server, agent.clone(), path.clone());
            async move { server.send("PUT", &path, &headers(&agent, Some(&Uuid::now_v7().to_string())), body).await }
        };
        let empty = server.get(&path, Some(&agent)).await.json();
        assert_eq!(empty["inconvenient"].as_array().unwrap().len(), 0);
        assert_problem(&put(r#"{"inconvenient":[{"from":"09:00","to":"09:00"}]}"#).await, 422, "invalid");
        let saved = put(r#"{"inconvenient":[{"from":"08:00","to":"18:00"}]}"#).await;
        assert_eq!(saved.status, 200, "{}", saved.body);
        assert_eq!(server.get(&path, Some(&agent)).await.json()["inconvenient"][0]["from"], "08:00:00");
        // 19:00 UTC is inside 08:00-18:00 in every US zone: the call waits until it is over everywhere.
        let at = crate::http::weekday_afternoon();
        let check = post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-checks"), &format!(r#"{{"medium":"call","at":"{at}"}}"#))
            .await
            .json();
        assert_eq!(check["decision"], "defer", "{check}");
        assert!(
            check["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "inconvenient_time" && r["rule"] == "Reg F 1006.6(b)(1)"),
            "{check}"
        );
        let letter =
            post(&server, &agent, &format!("/api/v1/accounts/{id}/contact-checks"), &format!(r#"{{"medium":"letter","at":"{at}"}}"#))
                .await
                .json();
        assert_eq!(letter["decision"], "allow", "a letter is not a call at an inconvenient time: {letter}");
        let audit = s.audit_entries(tenant.id, 0, 10_000).await.unwrap();
        assert!(audit.iter().any(|e| e.event.action == "contact.preferences_changed"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failure_keeps_the_text_queued_and_it_is_retried_until_it_leaves() {
    let (url, seen) = fake_twilio(|n| match n {
        0 => (500, serde_json::json!({"code": 20500, "message": "Internal Server Error"})),
        _ => (201, serde_json::json!({"sid": "SM0002", "status": "queued"})),
    })
    .await;
    let server = with_twilio(url).await;
    let s = server.store.as_ref();
    let (tenant, _) = ready(&server.store, 1).await;
    let agent = key(s, &tenant, Role::Agent, None).await;
    let id = accounts(&server, tenant.id, 1).await[0];
    assert_eq!(post(&server, &agent, &format!("/api/v1/accounts/{id}/messages"), r#"{"template":"reminder-sms"}"#).await.status, 201);
    let items = settled(&server, &agent, id).await;
    let text = items.iter().find(|m| m["medium"] == "sms").unwrap();
    assert_eq!(text["status"], "sent", "{text}");
    assert_eq!(text["attempts"], 2, "{text}");
    assert_eq!(text["provider_id"], "SM0002");
    let steps = text["steps"].as_array().unwrap();
    assert!(steps.iter().any(|st| st["detail"].as_str().unwrap().contains("try 1 failed")), "{steps:?}");
    assert_eq!(seen.lock().unwrap().len(), 2, "one failed try and one that went through; nothing sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legal_wording_never_goes_to_a_debt_past_its_limitation_period() {
    for server in Server::all().await {
        let s = server.store.as_ref();
        let (tenant, client) = ready(&server.store, 30).await;
        let agent = key(s, &tenant, Role::Agent, None).await;
        // An account in default for more than a year on the day the test judges at.
        let year_before = jiff::civil::date(2025, 6, 1);
        let mut old = None;
        for a in s.list_accounts(tenant.id, &Default::default(), None, 30).await.unwrap() {
            if a.first_delinquency_on.is_some_and(|d| d < year_before) && a.last_payment_on.is_none_or(|d| d < year_before) {
                old = Some(a.id);
                break;
            }
        }
        let id = old.expect("one of 30 synthetic accounts defaulted over a year before");
        let state = point(&server, tenant.id, id, ContactKind::Address).await.address.unwrap().region;
        // Before: the default table does not bar it (or does not know the state), and the final
        // notice, which mentions legal action, goes out.
        let first = post(&server, &agent, &format!("/api/v1/accounts/{id}/messages"), r#"{"template":"final-notice-letter"}"#).await;
        assert_eq!(first.status, 201, "{}", first.body);
        let why = server.get(&format!("/api/v1/accounts/{id}/contactability"), Some(&agent)).await.json();
        let before = why["time_bar"]["status"].as_str().unwrap().to_string();
        // The client's counsel says one year in this state: the debt is now time-barred.
        let mut policy = s.client_policy(tenant.id, client).await.unwrap();
        policy.limitation.rules = vec![recoup_domain::limitation::LimitationRule {
            state: state.clone(),
            debt_type: None,
            years: 1,
            payment_restarts: false,
            source: "client counsel".into(),
        }];
        s.set_client_policy(tenant.id, client, &policy, &Actor::new("t")).await.unwrap();
        let why = server.get(&format!("/api/v1/accounts/{id}/contactability"), Some(&agent)).await.json();
        assert_eq!(why["time_bar"]["status"], "barred", "{why} (before: {before})");
        let second =
            post(&server, &agent, &format!("/api/v1/accounts/{id}/messages"), r#"{"template":"final-notice-letter"}"#).await.json();
        assert_eq!(second["status"], "blocked", "{second}");
        let reason = second["steps"].as_array().unwrap().last().unwrap()["detail"].as_str().unwrap().to_string();
        assert!(reason.contains("limitation period") && reason.contains("client counsel") && reason.contains("1006.26(b)"), "{reason}");
        // A reminder without legal wording still goes.
        let reminder = post(&server, &agent, &format!("/api/v1/accounts/{id}/messages"), r#"{"template":"reminder-email"}"#).await.json();
        assert_ne!(reminder["status"], "blocked", "{reminder}");
    }
}
