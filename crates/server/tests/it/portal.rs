//! The debtors' portal in a real browser (issue 7's browser tests), and its door over plain HTTP.

use crate::browser::{Browser, browsing};
use crate::fixtures::{accounts, ready};
use crate::http::Server;
use recoup_domain::contact::ContactKind;
use recoup_domain::party::PartyRole;
use uuid::Uuid;

fn label(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v).unwrap().as_str().unwrap_or_default().to_string()
}

/// An account's signed portal path and the primary debtor's true answers (date of birth, ZIP).
pub async fn door(server: &Server, tenant: Uuid, account: Uuid) -> (String, String, String) {
    let today = jiff::Zoned::now().date();
    let expires = today.checked_add(jiff::Span::new().days(30)).unwrap();
    let token = recoup_server::outbound::portal_token(server.store.as_ref(), tenant, account, expires);
    let parties = server.store.parties_of(tenant, account).await.unwrap();
    let primary = parties.iter().find(|p| p.role == PartyRole::Primary).unwrap();
    let dob = primary.party.date_of_birth.as_ref().expect("the synthetic debtor has a birthday").expose().to_string();
    let zip = primary
        .contact_points
        .iter()
        .find(|c| c.kind == ContactKind::Address)
        .and_then(|c| c.address.as_ref())
        .map(|a| a.postal_code.clone())
        .expect("an address");
    (format!("/portal/l/{token}"), dob, zip)
}

/// A debtor who opened the account's link and answered the identity check, over plain HTTP: their
/// portal cookie and the page's CSRF token.
async fn verified(server: &Server, tenant: Uuid, account: Uuid) -> (String, String) {
    let (link, dob, zip) = door(server, tenant, account).await;
    let token = link.trim_start_matches("/portal/l/");
    let form = ["Content-Type: application/x-www-form-urlencoded".to_string()];
    let body =
        form_urlencoded::Serializer::new(String::new()).extend_pairs([("token", token), ("date_of_birth", &dob), ("zip", &zip)]).finish();
    let r = server.send("POST", "/portal/verify", &form, &body).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("recoup_portal="));
    let page = server.send("GET", "/portal/account", &[format!("Cookie: {cookie}")], "").await;
    let csrf = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    (cookie, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_by_the_week_or_every_two_weeks_are_offered_where_the_policy_allows_and_nothing_else_is_taken() {
    let server = browsing().await;
    let (tenant, _) = ready(&server.store, 2).await;
    let ids = accounts(&server, tenant.id, 2).await;
    let (cookie, csrf) = verified(&server, tenant.id, ids[1]).await;
    let headers = [format!("Cookie: {cookie}"), "Content-Type: application/x-www-form-urlencoded".to_string()];
    let page = server.send("GET", "/portal/account", &headers[..1], "").await.body;
    let file = server.store.account_file(tenant.id, ids[1]).await.unwrap().unwrap();
    let (owed, min) = (file.balance.owed(), file.policy.plans.min_installment);
    // Every shape is offered exactly when each of its installments reaches the policy's minimum.
    for (key, count) in [("monthly-3", 3), ("monthly-24", 24), ("bi_weekly-13", 13), ("weekly-26", 26)] {
        assert_eq!(page.contains(&format!("id=\"offer-{key}\"")), owed / count >= min, "{key} with {owed} owed and {min} minimum");
    }
    assert!(page.contains("payments every two weeks of") || owed / 6 < min, "the bi-weekly offers are in words");
    let choose = |plan: &str| form_urlencoded::Serializer::new(String::new()).extend_pairs([("plan", plan), ("csrf", &csrf)]).finish();
    let r = server.send("POST", "/portal/plan", &headers, &choose("monthly-7")).await;
    assert_eq!(r.status, 422, "a plan not offered is refused: {}", r.body);
    let r = server.send("POST", "/portal/plan", &headers, &choose("bi_weekly-6")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let file = server.store.account_file(tenant.id, ids[1]).await.unwrap().unwrap();
    let plans: Vec<recoup_store::servicing::plan::Plan> = file.all().unwrap();
    assert_eq!(plans.len(), 1);
    let due: Vec<_> = plans[0].installments.iter().map(|i| i.due_on).collect();
    assert_eq!(due.len(), 6);
    assert!(due.windows(2).all(|w| w[0].until(w[1]).unwrap().get_days() == 14), "every two weeks: {due:?}");
    assert_eq!(plans[0].installments.iter().map(|i| i.amount).sum::<i64>(), owed, "the whole balance, no interest");
}

pub async fn answer(b: &Browser, dob: &str, zip: &str) {
    b.set("#dob", dob).await;
    b.fill("#zip", zip).await;
    b.click("#verify").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_opens_the_link_picks_a_six_month_plan_pays_the_first_installment_and_gets_a_receipt() {
    let server = browsing().await;
    let (tenant, _) = ready(&server.store, 6).await;
    let ids = accounts(&server, tenant.id, 6).await;
    let (link, dob, zip) = door(&server, tenant.id, ids[0]).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };

    b.open(&link).await;
    b.wait_text("main", "confirm it is you").await;
    answer(&b, "1900-01-01", &zip).await;
    b.wait_text("#wrong", "do not match").await;
    answer(&b, &dob, &zip).await;
    b.wait_text("#owed", "$").await;

    // Six months, every installment shown before choosing.
    b.click("#offer-monthly-6 summary").await;
    let schedule = b.text("#offer-monthly-6 table").await;
    assert_eq!(schedule.lines().filter(|l| l.contains('$')).count(), 6, "{schedule}");
    b.click("#offer-monthly-6 button").await;
    b.wait_text("#done", "payment plan is set up").await;
    let plan = b.text("#plan").await;
    assert_eq!(plan.matches("to pay").count(), 6, "{plan}");

    // The amount is the first installment; the test card pays it.
    let first = b.client.find(fantoccini::Locator::Css("#amount")).await.unwrap().prop("value").await.unwrap().unwrap();
    b.card(recoup_gateways::test_gateway::VISA_APPROVED).await;
    b.click("#pay").await;
    b.wait_text("#done", "payment was received").await;
    let plan = b.text("#plan").await;
    assert_eq!((plan.matches("to pay").count(), plan.matches("paid").count()), (5, 1), "{plan}");
    let shown = recoup_domain::money::format_money(recoup_domain::money::Currency::USD.parse_minor(&first).unwrap(), "USD");
    let history = b.text("#history").await;
    assert!(history.contains(&shown), "{history} shows {shown}");
    b.screenshot("portal-plan-and-first-installment").await;
    assert!(b.fits_a_phone().await, "the portal reads at 360 px without scrolling sideways");
    b.screenshot("portal-at-360px").await;

    // The receipt.
    let href = b.client.find(fantoccini::Locator::Css("#history a")).await.unwrap().attr("href").await.unwrap().unwrap();
    b.open(&href).await;
    b.wait_text("body", &format!("{first} USD")).await;

    // Recorded as the debtor's, through the portal.
    let file = server.store.account_file(tenant.id, ids[0]).await.unwrap().unwrap();
    let pay: Vec<recoup_store::servicing::payment::Payment> = file.all().unwrap();
    assert_eq!(pay.len(), 1);
    assert!(pay[0].posted_by.starts_with("debtor:"), "{}", pay[0].posted_by);
    // Each action's confirmation went through the contact policy like any message.
    let sent: Vec<recoup_store::servicing::message::Message> = file.all().unwrap();
    let keys: Vec<&str> = sent.iter().filter_map(|m| m.template.as_ref().map(|t| t.key.as_str())).collect();
    assert!(keys.contains(&"plan-confirmation-email") && keys.contains(&"payment-receipt-email"), "{keys:?}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_wrong_answers_lock_the_portal_door_and_say_for_how_long() {
    let server = browsing().await;
    let (tenant, _) = ready(&server.store, 3).await;
    let ids = accounts(&server, tenant.id, 3).await;
    let (link, dob, zip) = door(&server, tenant.id, ids[1]).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };
    b.open(&format!("{link}?lang=es")).await;
    b.wait_text("main", "confirme que es usted").await;
    for _ in 0..3 {
        b.fill("#last4", "0000").await;
        b.click("#verify").await;
        b.wait_text("#wrong", "no coinciden").await;
    }
    // Even the right answers wait now.
    answer(&b, &dob, &zip).await;
    let locked = b.wait_text("#locked", "Minutos restantes: 15").await;
    assert!(locked.contains("espere"), "{locked}");
    assert_eq!(b.path().await, "/portal/verify");
    b.screenshot("portal-locked-after-three-wrong-answers").await;
    b.close().await;

    // A forged or expired link opens nothing.
    let r = server.get("/portal/l/AAAA", None).await;
    assert_eq!(r.status, 404);
    let past = jiff::Zoned::now().date().checked_sub(jiff::Span::new().days(1)).unwrap();
    let old = recoup_server::outbound::portal_token(server.store.as_ref(), tenant.id, ids[0], past);
    assert_eq!(server.get(&format!("/portal/l/{old}"), None).await.status, 410);
    let r = server.get("/portal/account", None).await;
    assert_eq!((r.status, r.header("location").as_deref()), (303, Some("/portal")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_stops_texts_and_the_console_shows_texts_blocked_with_the_reason() {
    let server = browsing().await;
    let (agent, tenant, account) = crate::console::agent_with_work(&server).await;
    let (link, dob, zip) = door(&server, tenant, account).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };

    b.open(&link).await;
    answer(&b, &dob, &zip).await;
    b.wait_text("#prefs", "Text messages").await;
    b.click("#stop-sms").await;
    b.wait_text("#done", "not contact you that way").await;
    let prefs = b.text("#prefs").await;
    let sms = prefs.lines().find(|l| l.contains("Text messages")).unwrap_or_default().to_string();
    assert!(sms.contains("stopped"), "{prefs}");
    assert!(b.client.find(fantoccini::Locator::Css("#allow-sms")).await.is_ok(), "texts can be allowed again");

    // The agent sees texts blocked, with the rule that blocks them; calls still allowed.
    crate::console::sign_in(&b, &agent).await;
    b.open(&format!("/console/accounts/{account}")).await;
    let reach = b.wait_text("#reach", "blocked").await;
    let text_row = reach.lines().find(|l| l.contains("text")).unwrap_or_default().to_string();
    assert!(text_row.contains("blocked"), "{reach}");
    b.click("#reach details summary").await;
    let why = b.text("#reach details").await;
    assert!(why.contains("opted out of sms") && why.contains("1006.14(h)"), "the reason and its rule: {why}");
    b.screenshot("console-texts-blocked-after-portal-opt-out").await;
    b.close().await;

    // Kept as the debtor's own change, in the audit trail.
    let parties = server.store.parties_of(tenant, account).await.unwrap();
    let phone = parties.iter().flat_map(|p| &p.contact_points).find(|c| c.kind == ContactKind::Phone).unwrap();
    assert_eq!(phone.consent.sms, recoup_domain::contact::ConsentState::Revoked);
    assert_eq!(phone.consent.call, recoup_domain::contact::ConsentState::Unknown, "only texts stopped");
    let file = server.store.account_file(tenant, account).await.unwrap().unwrap();
    let sent: Vec<recoup_store::servicing::message::Message> = file.all().unwrap();
    let confirmation =
        sent.iter().find(|m| m.template.as_ref().is_some_and(|t| t.key == "opt-out-confirmation-sms")).expect("a confirming text");
    assert_ne!(label(&confirmation.status), "blocked", "the one confirming text the opt-out allows: {:?}", confirmation.steps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_promises_disputes_and_downloads_the_validation_notice() {
    let server = browsing().await;
    let (tenant, _) = ready(&server.store, 3).await;
    let ids = accounts(&server, tenant.id, 3).await;
    let (cookie, csrf) = verified(&server, tenant.id, ids[2]).await;
    let form = ["Content-Type: application/x-www-form-urlencoded".to_string()];
    let with = |extra: &[String]| [&[format!("Cookie: {cookie}")], extra].concat();
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).append_pair("csrf", &csrf).finish();
        let headers = with(&form);
        let server = &server;
        async move { server.send("POST", path, &headers, &body).await }
    };
    let soon = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(5)).unwrap().to_string();
    let r = post("/portal/promise", vec![("amount", "40.00".into()), ("due_on", soon)]).await;
    assert_eq!((r.status, r.header("location").as_deref()), (303, Some("/portal/account?done=promise")), "{}", r.body);
    let r = post("/portal/promise", vec![("amount", "lots".into()), ("due_on", "tomorrow".into())]).await;
    assert_eq!(r.status, 422, "a bad amount is refused on the page");
    // The promise is confirmed by e-mail through the contact policy. (Once the dispute below is
    // open, a confirmation not yet out is held like any collection message: Reg F 1006.38.)
    let file = server.store.account_file(tenant.id, ids[2]).await.unwrap().unwrap();
    let sent: Vec<recoup_store::servicing::message::Message> = file.all().unwrap();
    let m = sent.iter().find(|m| m.template.as_ref().is_some_and(|t| t.key == "promise-confirmation-email")).expect("confirmation");
    assert_ne!(label(&m.status), "blocked", "{:?}", m.steps);
    let r = post("/portal/dispute", vec![("reason", "not_mine".into()), ("text", "I never had this card".into())]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let file = server.store.account_file(tenant.id, ids[2]).await.unwrap().unwrap();
    let promises: Vec<recoup_store::servicing::promise::Promise> = file.all().unwrap();
    assert_eq!((promises.len(), promises[0].total(), promises[0].channel.as_str()), (1, 4000, "portal"));
    let disputes: Vec<recoup_store::servicing::dispute::Dispute> = file.all().unwrap();
    assert_eq!((disputes.len(), disputes[0].channel.as_str()), (1, "portal"));
    assert!(disputes[0].opened_by.starts_with("debtor:"), "{}", disputes[0].opened_by);
    // The dispute's hold lets its own receipt through (it asks for nothing), while a collection
    // e-mail now would be blocked.
    let sent: Vec<recoup_store::servicing::message::Message> = file.all().unwrap();
    let m = sent.iter().find(|m| m.template.as_ref().is_some_and(|t| t.key == "dispute-acknowledgement-email")).expect("receipt");
    assert_ne!(label(&m.status), "blocked", "{:?}", m.steps);
    let admin = crate::fixtures::key(server.store.as_ref(), &tenant, recoup_domain::access::Role::Admin, None).await;
    let r =
        crate::fixtures::post(&server, &admin, &format!("/api/v1/accounts/{}/messages", ids[2]), r#"{"template":"reminder-email"}"#).await;
    assert!(r.body.contains("1006.38"), "collection is held while the dispute is open: {}", r.body);

    // A document sent from the portal goes with the open dispute; the token rides in the query.
    let body = |name: &str, kind: &str, bytes: &str| {
        format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n{bytes}\r\n--XyZ--\r\n"
        )
    };
    let multipart = with(&["Content-Type: multipart/form-data; boundary=XyZ".to_string()]);
    let r = server.send("POST", "/portal/documents", &multipart, &body("proof.pdf", "application/pdf", "%PDF-1.4 proof")).await;
    assert_eq!(r.status, 403, "no token, no upload");
    let r = server
        .send("POST", &format!("/portal/documents?csrf={csrf}"), &multipart, &body("proof.pdf", "application/pdf", "%PDF-1.4 proof"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = server
        .send("POST", &format!("/portal/documents?csrf={csrf}"), &multipart, &body("fake.pdf", "application/pdf", "MZ not a pdf"))
        .await;
    assert_eq!(r.status, 422, "bytes that are not what they say are refused: {}", r.body);
    let file = server.store.account_file(tenant.id, ids[2]).await.unwrap().unwrap();
    let docs: Vec<recoup_store::servicing::document::Document> = file.all().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!((docs[0].file_name.as_str(), docs[0].dispute_id, docs[0].channel.as_str()), ("proof.pdf", Some(disputes[0].id), "portal"));

    // Inconvenient times and no contact at work, kept for the contact policy.
    let r = post("/portal/times", vec![("from", "08:00".into()), ("to", "12:30".into()), ("not_at_work", "1".into())]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = post("/portal/times", vec![("from", "8 in the morning".into()), ("to", "".into())]).await;
    assert_eq!(r.status, 422, "a time that does not read is refused on the page");
    let file = server.store.account_file(tenant.id, ids[2]).await.unwrap().unwrap();
    let prefs = file.find::<recoup_store::servicing::preference::ContactPreferences>(ids[2]).unwrap().unwrap();
    assert!(prefs.workplace_prohibited);
    assert_eq!(prefs.inconvenient.len(), 1);
    assert_eq!((prefs.inconvenient[0].from.to_string(), prefs.inconvenient[0].to.to_string()), ("08:00:00".into(), "12:30:00".into()));
    let sent: Vec<recoup_store::servicing::message::Message> = file.all().unwrap();
    assert!(
        sent.iter().any(|m| m.template.as_ref().is_some_and(|t| t.key == "preferences-confirmation-email")),
        "the new times are confirmed (the message goes through the policy, which may hold it for the dispute)"
    );

    // The language letters and messages are written in, kept on the debtor's party.
    let r = post("/portal/language", vec![("language", "es".into())]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.head.contains("recoup_lang=es"), "the portal speaks it too: {}", r.head);
    let parties = server.store.parties_of(tenant.id, ids[2]).await.unwrap();
    assert_eq!(parties[0].party.language.as_deref(), Some("es"));

    let pdf = server.send("GET", "/portal/validation-notice", &with(&[]), "").await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(server.send("GET", "/portal/validation-notice", &[], "").await.status, 303, "not without the identity check");

    // Signing out ends the session on the server, not only in the browser.
    let r = post("/portal/logout", vec![]).await;
    assert_eq!(r.status, 303);
    assert_eq!(server.send("GET", "/portal/account", &with(&[]), "").await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_accepts_a_settlement_offer_by_paying_it() {
    let server = browsing().await;
    let (tenant, _) = ready(&server.store, 3).await;
    let ids = accounts(&server, tenant.id, 3).await;
    let sup = crate::fixtures::key(server.store.as_ref(), &tenant, recoup_domain::access::Role::Supervisor, None).await;
    let by = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(20)).unwrap();
    let r = crate::fixtures::post(
        &server,
        &sup,
        &format!("/api/v1/accounts/{}/settlements", ids[0]),
        &format!(r#"{{"percent":"0.8","expires_on":"{by}"}}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let amount = r.json()["amount"].as_i64().unwrap();

    let (link, dob, zip) = door(&server, tenant.id, ids[0]).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };
    b.open(&link).await;
    answer(&b, &dob, &zip).await;
    let offer = b.wait_text("#settlement", "forgiven").await;
    let shown = recoup_domain::money::format_money(amount, "USD");
    assert!(offer.contains(&shown), "{offer} offers {shown}");
    b.card(recoup_gateways::test_gateway::VISA_APPROVED).await;
    b.click("#pay").await;
    b.wait_text("#done", "payment was received").await;
    b.wait_text("#owed", "$0.00").await;
    b.close().await;
    let file = server.store.account_file(tenant.id, ids[0]).await.unwrap().unwrap();
    let s: Vec<recoup_store::servicing::settlement::Settlement> = file.all().unwrap();
    assert_eq!(label(&s[0].status), "completed");
}
