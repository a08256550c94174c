//! The staff console in a real browser (issue 7's browser tests), and its pages over plain HTTP.

use crate::browser::{Browser, browsing};
use crate::fixtures::{accounts, key, post, ready, staff};
use crate::http::Server;
use recoup_domain::access::Role;
use recoup_domain::contact::ContactKind;
use recoup_domain::worklist::Agent;
use recoup_store::Actor;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery";

/// A tenant whose agent has one account waiting in the `early` queue; returns the agent's
/// e-mail, the tenant and the account.
pub async fn agent_with_work(server: &Server) -> (String, Uuid, Uuid) {
    let s = server.store.as_ref();
    let (tenant, _) = ready(&server.store, 6).await;
    let admin = key(s, &tenant, Role::Admin, None).await;
    let agent = staff(s, tenant.id, Role::Agent, PASSWORD).await;
    let settings = Agent { user_id: agent.id, queues: vec!["early".into()], daily_capacity: 20, time_zone: "America/Chicago".into() };
    s.set_agent(tenant.id, &settings, &Actor::new("test")).await.unwrap();
    let mut account = None;
    for id in accounts(server, tenant.id, 6).await {
        let parties = s.parties_of(tenant.id, id).await.unwrap();
        if parties.iter().flat_map(|p| &p.contact_points).any(|c| c.kind == ContactKind::Phone) {
            account = Some(id);
            break;
        }
    }
    let account = account.expect("an account with a phone");
    let r = post(server, &admin, &format!("/api/v1/accounts/{account}/call-tasks"), r#"{"queue":"early","reason":"first call"}"#).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "open", "{}", r.body);
    (agent.email, tenant.id, account)
}

pub async fn sign_in(b: &Browser, email: &str) {
    sign_in_to(b, email, "h1", "Hello").await;
}

/// Signs in through the login form and waits for `css` on the landing page to say `want`.
pub async fn sign_in_to(b: &Browser, email: &str, css: &str, want: &str) {
    b.open("/console").await;
    assert!(b.path().await.ends_with("/console/login"), "a signed-out visitor is sent to sign in");
    b.fill("input[name=email]", email).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text(css, want).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_works_the_next_account_logs_a_call_takes_a_promise_and_a_card_payment() {
    let server = browsing().await;
    let (email, tenant, account) = agent_with_work(&server).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };

    sign_in(&b, &email).await;
    b.click("#next-account").await;
    b.wait_text("h1", "Account").await;
    assert!(b.path().await.ends_with(&format!("/console/accounts/{account}")), "the worklist's account opens");
    let owed_before = b.text("#owed").await;
    let reach = b.text("#reach").await;
    assert!(reach.contains("call"), "the policy's answer per channel is shown: {reach}");

    // Log a right-party call with the keyboard shortcut.
    b.press("c").await;
    b.select("#call-result", "right_party").await;
    b.click("#call-form button[type=submit]").await;
    b.wait_text("#done", "Call logged").await;
    b.wait_text("#timeline", "right party").await;

    // A promise for next week.
    let due = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(7)).unwrap();
    b.click("#promise-form summary").await;
    b.fill("#promise-amount", "50.00").await;
    b.set("#promise-date", &due.to_string()).await;
    b.click("#promise-form button[type=submit]").await;
    b.wait_text("#done", "Promise taken").await;
    b.wait_text("#promises", "$50.00").await;

    // A declined card changes nothing and says why, next to the form.
    b.click("#payment-form summary").await;
    b.fill("#payment-amount", "25.00").await;
    b.card(recoup_gateways::test_gateway::VISA_DECLINED).await;
    b.click("#payment-form button[type=submit]").await;
    b.wait_text("#problem", "declined").await;
    assert_eq!(b.text("#owed").await, owed_before, "a declined card moves no money");

    // The test card goes through: the balance drops by the payment and the timeline shows it.
    b.fill("#payment-amount", "25.00").await;
    b.card(recoup_gateways::test_gateway::VISA_APPROVED).await;
    b.click("#payment-form button[type=submit]").await;
    b.wait_text("#done", "Payment taken").await;
    b.wait_text("#payments", "$25.00").await;
    b.wait_text("#timeline", "payment").await;
    let owed_after = b.text("#owed").await;
    let minor = |s: &str| s.trim_start_matches('$').replace([',', '.'], "").parse::<i64>().unwrap();
    assert_eq!(minor(&owed_before) - minor(&owed_after), 2500, "{owed_before} -> {owed_after}");
    b.screenshot("console-agent-works-an-account").await;
    assert!(b.fits_a_phone().await, "the account page reads at 360 px without scrolling sideways");
    b.screenshot("console-account-at-360px").await;

    // What the page showed is what the store holds.
    let balance = server.store.balance(tenant, account).await.unwrap();
    assert_eq!(recoup_domain::money::format_money(balance.owed(), "USD"), owed_after);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_need_a_session_and_forms_need_their_token() {
    let server = browsing().await;
    let (email, _, account) = agent_with_work(&server).await;
    let r = server.get("/console", None).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/console/login?next=%2Fconsole"));

    let login = format!("email={}&password={}", email.replace('@', "%40"), PASSWORD.replace(' ', "+"));
    let form = |extra: &[String]| {
        let mut h = vec!["Content-Type: application/x-www-form-urlencoded".to_string()];
        h.extend_from_slice(extra);
        h
    };
    let r = server.send("POST", "/console/login", &form(&[]), "email=nobody%40x.example&password=wrong").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("The e-mail or the password is wrong"), "{}", r.body);
    let r = server.send("POST", "/console/login", &form(&["Sec-Fetch-Site: cross-site".into()]), &login).await;
    assert_eq!(r.status, 403, "another site's login form is refused");
    let r = server.send("POST", "/console/login", &form(&[]), &login).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = r.header("set-cookie").unwrap().split(';').next().unwrap().to_string();

    let page = server.send("GET", &format!("/console/accounts/{account}"), &[format!("Cookie: {cookie}")], "").await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let token = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let note = |body: String| {
        let server = &server;
        let cookie = cookie.clone();
        async move { server.send("POST", &format!("/console/accounts/{account}/notes"), &form(&[format!("Cookie: {cookie}")]), &body).await }
    };
    assert_eq!(note("body=hello".into()).await.status, 403, "a form without the token is refused");
    assert_eq!(note("body=hello&csrf=0000".into()).await.status, 403, "a wrong token is refused");
    let ok = note(format!("body=hello&csrf={token}")).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let r = note(format!("body=&csrf={token}")).await;
    assert_eq!(r.status, 422, "an empty note comes back with the error next to the field");
    assert!(r.body.contains("field-error"), "{}", r.body);

    // Another tenant's or a made-up account is the same 404 page.
    let r = server.send("GET", &format!("/console/accounts/{}", Uuid::now_v7()), &[format!("Cookie: {cookie}")], "").await;
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_schedule_and_search_results_are_swapped_in_without_redrawing_the_page() {
    let server = browsing().await;
    let (email, tenant, account) = agent_with_work(&server).await;
    let reference = server.store.account(tenant, account).await.unwrap().unwrap().external_ref;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };
    sign_in(&b, &email).await;
    // A mark on an element outside the part that should change: a whole-page swap would lose it.
    let mark = |css: &'static str| {
        let b = &b;
        async move {
            let js = format!("document.querySelector('{css}').dataset.mark = 'kept'");
            b.client.execute(&js, vec![]).await.unwrap();
        }
    };
    let marked = |css: &'static str| {
        let b = &b;
        async move {
            let js = format!("return document.querySelector('{css}').dataset.mark || ''");
            b.client.execute(&js, vec![]).await.unwrap().as_str() == Some("kept")
        }
    };

    b.open(&format!("/console/accounts/{account}")).await;
    b.wait_text("h1", "Account").await;
    mark("#owed").await;
    b.press("l").await;
    b.set("#plan-count", "4").await;
    b.click("#plan-preview-button").await;
    let schedule = b.wait_text("#plan-preview", "Balance after").await;
    assert_eq!(schedule.lines().filter(|l| l.contains('$')).count(), 4 + 1, "four installments and the caption's total: {schedule}");
    assert!(marked("#owed").await, "only the plan form was swapped");
    assert!(b.client.find(fantoccini::Locator::Css("#plan-create")).await.is_ok(), "set up is offered once the schedule is seen");

    b.open("/console/search").await;
    b.wait_text("h1", "Search").await;
    mark("h1").await;
    b.fill("#search-q", &reference).await;
    b.wait_text("#found", &reference).await;
    assert!(marked("h1").await, "results are swapped in as the agent types");
    assert_eq!(b.path().await, "/console/search", "a single match is listed while typing, not opened");
    b.screenshot("console-search-as-you-type").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_approves_a_settlement_an_agent_proposed_over_its_limit_and_the_agent_cannot() {
    let server = browsing().await;
    let (agent_email, tenant, account) = agent_with_work(&server).await;
    let supervisor = staff(server.store.as_ref(), tenant, Role::Supervisor, PASSWORD).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };

    sign_in(&b, &agent_email).await;
    b.open(&format!("/console/accounts/{account}")).await;
    // 60 % of the balance is 40 % off: past the agent's 30 %.
    b.press("s").await;
    b.fill("#settle-percent", "60").await;
    b.click("#settlement-form button[type=submit]").await;
    b.wait_text("#done", "waits for a supervisor").await;
    b.wait_text("#settlements", "waiting for a supervisor").await;
    assert!(b.client.find(fantoccini::Locator::Css("#settlements button.approve")).await.is_err(), "no approve button for the agent");

    // Not through the inbox, and not by posting the decision by hand.
    b.open("/console/approvals").await;
    b.wait_text("h1", "Not allowed").await;
    b.open(&format!("/console/accounts/{account}")).await;
    let sid = server
        .store
        .account_file(tenant, account)
        .await
        .unwrap()
        .unwrap()
        .all::<recoup_store::servicing::settlement::Settlement>()
        .unwrap()[0]
        .id;
    let script = "const [url, done] = [arguments[0], arguments[1]];
        const csrf = document.querySelector('input[name=csrf]').value;
        fetch(url, {method: 'POST', body: new URLSearchParams({csrf, decision: 'approve'})}).then(r => done(r.status));";
    let url = format!("/console/accounts/{account}/settlements/{sid}/decision");
    let status = b.client.execute_async(script, vec![url.into()]).await.unwrap();
    assert_eq!(status, 403, "the agent's own approval is refused");

    b.click("header form button").await;
    b.wait_text("h1", "Sign in").await;
    sign_in(&b, &supervisor.email).await;
    b.click("nav a[href='/console/approvals']").await;
    b.wait_text("#approvals", "40% off").await;
    b.click("#approvals button.approve").await;
    b.wait_text("#done", "Decision recorded").await;
    b.wait_text("#empty", "Nothing waits").await;
    b.open(&format!("/console/accounts/{account}")).await;
    b.wait_text("#settlements", "active").await;
    b.screenshot("console-supervisor-approves-a-settlement").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_user_sees_only_its_own_portfolios_and_another_clients_account_is_not_found() {
    let server = browsing().await;
    let (tenant, clients) = crate::fixtures::tenant_with(&server.store, &[("A", 3), ("B", 3)]).await;
    let mut user = staff(server.store.as_ref(), tenant.id, Role::Agent, PASSWORD).await;
    // The fixture makes staff; a client's viewer is the same user with the client's role.
    user.id = Uuid::now_v7();
    user.email = format!("viewer{}@client-a.example", user.id.simple());
    user.role = Role::Client;
    user.client_id = Some(clients[0]);
    let hash = recoup_server::passwords::hash(PASSWORD.to_string()).await.unwrap();
    server.store.create_user(&user, &hash, &Actor::new("test")).await.unwrap();
    let mine = server
        .store
        .list_accounts(tenant.id, &recoup_store::listing::AccountFilter { client_id: Some(clients[0]), ..Default::default() }, None, 5)
        .await
        .unwrap();
    let theirs = server
        .store
        .list_accounts(tenant.id, &recoup_store::listing::AccountFilter { client_id: Some(clients[1]), ..Default::default() }, None, 5)
        .await
        .unwrap();
    let cookie = crate::fixtures::cookie(&crate::fixtures::sign_in(&server, &user.email, PASSWORD).await);
    let r = server.send("GET", &format!("/console/accounts/{}", theirs[0].id), &[format!("Cookie: {cookie}")], "").await;
    assert_eq!(r.status, 404, "answered 404, the same as an account that does not exist");
    // Its placements: one, of its three accounts, with what was placed and the recovery so far.
    let page = server.send("GET", "/console/clients", &[format!("Cookie: {cookie}")], "").await.body;
    let placements = page.split("class=\"placements\"").nth(1).expect("a placements table").split("</table>").next().unwrap();
    let rows: Vec<&str> = placements.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), 1, "only its own placement: {placements}");
    let mut placed = 0;
    for a in &mine {
        placed += server.store.balance(tenant.id, a.id).await.unwrap().owed();
    }
    assert!(rows[0].contains("<td class=\"num\">3</td>") && rows[0].contains("<td class=\"num\">0.0%</td>"), "{}", rows[0]);
    assert!(rows[0].contains(&recoup_domain::money::format_money(placed, "USD")), "placed {placed}: {}", rows[0]);
    assert!(page.contains("Earlier statements"), "earlier months' statements to download");
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };

    sign_in_to(&b, &user.email, "#client-A", "Portfolios").await;
    assert_eq!(b.path().await, "/console/clients");
    let page = b.text("main").await;
    assert!(page.contains(&mine[0].external_ref), "{page}");
    assert!(!page.contains(&theirs[0].external_ref) && !page.contains("B-0"), "another client's accounts are not listed: {page}");
    assert!(b.client.find(fantoccini::Locator::Css("#client-B")).await.is_err());
    assert!(b.client.find(fantoccini::Locator::Css("#next-account")).await.is_err(), "a client works no lists");

    b.open(&format!("/console/accounts/{}", mine[0].id)).await;
    b.wait_text("h1", &mine[0].external_ref).await;
    assert!(b.client.find(fantoccini::Locator::Css("#call-form")).await.is_err(), "a client takes no servicing actions");
    b.open(&format!("/console/accounts/{}", theirs[0].id)).await;
    b.wait_text("h1", "No such account").await;
    b.screenshot("console-client-user-another-clients-account").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_find_accounts_by_reference_name_phone_or_e_mail() {
    let server = browsing().await;
    let (email, tenant, account) = agent_with_work(&server).await;
    let r = crate::fixtures::sign_in(&server, &email, PASSWORD).await;
    let cookie = crate::fixtures::cookie(&r);
    let get = |q: String| {
        let (server, cookie) = (&server, cookie.clone());
        async move {
            let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            server.send("GET", &format!("/console/search?q={q}"), &[format!("Cookie: {cookie}")], "").await
        }
    };
    let opens =
        |r: &crate::http::Response| r.status == 303 && r.header("location").as_deref() == Some(&format!("/console/accounts/{account}"));
    let a = server.store.account(tenant, account).await.unwrap().unwrap();
    let parties = server.store.parties_of(tenant, account).await.unwrap();
    let points: Vec<_> = parties.iter().flat_map(|p| &p.contact_points).collect();
    let phone = points.iter().find(|c| c.kind == ContactKind::Phone).unwrap().value.clone();
    let national = format!("({}) {}-{}", &phone[2..5], &phone[5..8], &phone[8..]);
    assert!(opens(&get(a.external_ref.clone()).await), "one match by reference opens the account");
    assert!(opens(&get(national).await), "by phone, as people say it");
    if let Some(e) = points.iter().find(|c| c.kind == ContactKind::Email) {
        assert!(opens(&get(e.value.to_uppercase()).await), "by e-mail, any case");
    }
    let last = parties[0].party.last_name.clone().unwrap();
    let r = get(last.to_lowercase()).await;
    assert!(opens(&r) || (r.status == 200 && r.body.contains(&a.external_ref)), "by name: {}", r.body);
    let r = get("no such person zzz".into()).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("No account matches"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_filters_the_trail_and_verifies_the_chain() {
    let server = browsing().await;
    let (_, tenant, account) = agent_with_work(&server).await;
    let auditor = staff(server.store.as_ref(), tenant, Role::Auditor, PASSWORD).await;
    let cookie = crate::fixtures::cookie(&crate::fixtures::sign_in(&server, &auditor.email, PASSWORD).await);
    let get = |path: String| {
        let (server, cookie) = (&server, cookie.clone());
        async move { server.send("GET", &path, &[format!("Cookie: {cookie}")], "").await }
    };
    let home = get("/console".into()).await;
    assert_eq!(home.header("location").as_deref(), Some("/console/audit"), "an auditor lands on the trail");
    let r = get(format!("/console/audit?account_id={account}")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("account.placed"), "the account's entries: {}", r.body);
    assert!(!r.body.contains("id=\"chain\""), "the chain is checked on request only");
    let r = get("/console/audit?verify=1".into()).await;
    assert!(r.body.contains("The hash chain is unbroken"), "{}", r.body);
    let r = get("/console/audit?from=yesterday".into()).await;
    assert_eq!(r.status, 200, "a day that does not parse is left out");
    let r = get(format!("/console/audit?account_id={account}&from=2000-01-01&to=2000-01-02")).await;
    assert!(r.body.contains("No entries match"), "{}", r.body);
}

/// A signed-in console over plain HTTP: the cookie and the form token.
struct Desk<'a> {
    server: &'a Server,
    cookie: String,
    csrf: String,
}

impl<'a> Desk<'a> {
    async fn open(server: &'a Server, email: &str, account: Uuid) -> Desk<'a> {
        let cookie = crate::fixtures::cookie(&crate::fixtures::sign_in(server, email, PASSWORD).await);
        let mut desk = Desk { server, cookie, csrf: String::new() };
        let page = desk.get(&format!("/console/accounts/{account}")).await;
        desk.csrf = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        desk
    }

    async fn get(&self, path: &str) -> crate::http::Response {
        self.server.send("GET", path, &[format!("Cookie: {}", self.cookie)], "").await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> crate::http::Response {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).append_pair("csrf", &self.csrf).finish();
        let headers = [format!("Cookie: {}", self.cookie), "Content-Type: application/x-www-form-urlencoded".to_string()];
        self.server.send("POST", path, &headers, &body).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_previews_and_sets_up_a_plan_logs_a_dispute_holds_and_changes_consent() {
    let server = browsing().await;
    let (email, tenant, account) = agent_with_work(&server).await;
    let desk = Desk::open(&server, &email, account).await;
    let base = format!("/console/accounts/{account}");
    let first = jiff::Zoned::now().date().checked_add(jiff::Span::new().days(10)).unwrap().to_string();

    // The schedule first, nothing kept; then the same terms set up.
    let plan = [("frequency", "monthly"), ("count", "4"), ("first_due_on", first.as_str()), ("down_payment", "")];
    let r = desk.post(&format!("{base}/plans"), &[&plan[..], &[("action", "preview")]].concat()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let preview = r.body.split("id=\"plan-preview\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert_eq!(preview.matches("<tr><td>").count(), 4, "four installments shown");
    let file = || async { server.store.account_file(tenant, account).await.unwrap().unwrap() };
    assert!(file().await.all::<recoup_store::servicing::plan::Plan>().unwrap().is_empty(), "a preview keeps nothing");
    let r = desk
        .post(
            &format!("{base}/plans"),
            &[("frequency", "monthly"), ("count", "0"), ("first_due_on", first.as_str()), ("action", "preview")],
        )
        .await;
    assert_eq!(r.status, 422, "zero installments is refused next to the form");
    let r = desk.post(&format!("{base}/plans"), &[&plan[..], &[("action", "create")]].concat()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(file().await.all::<recoup_store::servicing::plan::Plan>().unwrap()[0].installments.len(), 4);

    // A dispute puts its own hold on; a cease hold is added and lifted with a reason.
    let r = desk.post(&format!("{base}/disputes"), &[("reason", "wrong_amount"), ("text", "says the fees are wrong")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = desk.post(&format!("{base}/holds"), &[("kind", "cease"), ("reason", "asked in writing to stop"), ("until", "")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = desk.get(&base).await.body;
    assert!(page.contains("asked in writing to stop") && page.contains("wrong amount"), "{page}");
    let holds: Vec<recoup_store::servicing::hold::HoldRecord> = file().await.all().unwrap();
    let cease = holds.iter().find(|h| h.reason == "asked in writing to stop").unwrap();
    let r = desk.post(&format!("{base}/holds/{}/release", cease.id), &[("reason", "")]).await;
    assert_eq!(r.status, 422, "lifting a hold needs a reason: {}", r.body);
    let r = desk.post(&format!("{base}/holds/{}/release", cease.id), &[("reason", "withdrawn by phone")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = desk.post(&format!("{base}/holds"), &[("kind", "sideways"), ("reason", "x")]).await;
    assert_eq!(r.status, 422);

    // A document the debtor sent is listed with a link to it.
    let admin = crate::fixtures::key(server.store.as_ref(), &tenant_of(&server, tenant).await, Role::Admin, None).await;
    let headers = [format!("Authorization: Bearer {admin}"), "Content-Type: application/pdf".to_string()];
    let r = server.send("POST", &format!("/api/v1/accounts/{account}/documents?name=proof.pdf"), &headers, "%PDF-1.4 proof").await;
    assert_eq!(r.status, 201, "{}", r.body);
    // And one an agent adds from the console, as a file form.
    let part = "--XyZ\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"letter.txt\"\r\nContent-Type: text/plain\r\n\r\nPlease stop calling me at work.\r\n--XyZ--\r\n";
    let headers = [format!("Cookie: {}", desk.cookie), "Content-Type: multipart/form-data; boundary=XyZ".to_string()];
    let r = server.send("POST", &format!("{base}/documents?csrf={}", desk.csrf), &headers, part).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = desk.get(&base).await.body;
    let listed = page.split("id=\"documents\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert!(listed.contains("proof.pdf") && listed.contains("letter.txt") && listed.contains("/documents/"), "{listed}");

    // Consent, per channel of one contact point.
    let parties = server.store.parties_of(tenant, account).await.unwrap();
    let phone = parties.iter().flat_map(|p| &p.contact_points).find(|c| c.kind == ContactKind::Phone).unwrap();
    let r = desk
        .post(&format!("{base}/consent"), &[("contact_point_id", &phone.id.to_string()), ("channel", "call"), ("state", "revoked")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let parties = server.store.parties_of(tenant, account).await.unwrap();
    let phone = parties.iter().flat_map(|p| &p.contact_points).find(|c| c.kind == ContactKind::Phone).unwrap();
    assert_eq!(phone.consent.call, recoup_domain::contact::ConsentState::Revoked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_sees_queue_health_agents_today_and_blocked_contacts() {
    let server = browsing().await;
    let (agent_email, tenant, account) = agent_with_work(&server).await;
    let supervisor = staff(server.store.as_ref(), tenant, Role::Supervisor, PASSWORD).await;
    // The agent calls once (a conversation), and a text to a revoked number is blocked.
    let agent = Desk::open(&server, &agent_email, account).await;
    let r = agent.post(&format!("/console/accounts/{account}/calls"), &[("result", "right_party"), ("note", "")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(agent.get("/console/floor").await.status, 403, "agents do not see the floor");

    let admin = crate::fixtures::key(server.store.as_ref(), &tenant_of(&server, tenant).await, Role::Admin, None).await;
    let r =
        crate::fixtures::post(&server, &admin, &format!("/api/v1/accounts/{account}/messages"), r#"{"template":"reminder-email"}"#).await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The agent has also been signed in on another device since two hours ago: a shift of two
    // hours, which the overlapping console session does not lengthen.
    let (me, _) = server.store.user_by_email(&agent_email).await.unwrap().unwrap();
    let now = jiff::Timestamp::now().as_microsecond();
    let shift = recoup_domain::access::Session {
        token_hash: [7; 32],
        tenant_id: tenant,
        user_id: me.id,
        created_at: now - 2 * 3_600_000_000,
        last_seen_at: now,
        account_id: None,
    };
    server.store.create_session(&shift).await.unwrap();

    let boss = Desk::open(&server, &supervisor.email, account).await;
    let floor = boss.get("/console/floor").await;
    assert_eq!(floor.status, 200, "{}", floor.body);
    let queues = floor.body.split("id=\"queues\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(queues.contains("<td>early</td><td class=\"num\">1</td>"), "one open task in early: {queues}");
    let agents = floor.body.split("id=\"agents\"").nth(1).unwrap().split("</table>").next().unwrap();
    let row = agents.split("<tr>").find(|r| r.contains(&me.name) && r.contains("early")).expect("the agent's row");
    let cells: Vec<&str> = row.split("<td class=\"num\">").skip(1).map(|c| c.split("</td>").next().unwrap()).collect();
    // Signed in, calls and per hour, right-party and per hour, promises and per hour. The floor
    // counts today's hours (UTC here): in the first two hours of a day the shift began yesterday.
    let since_midnight = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).time();
    if since_midnight >= jiff::civil::time(2, 1, 0, 0) {
        assert_eq!(cells[..7], ["2:00", "1", "0.5", "1", "0.5", "0", "0.0"], "{row}");
    } else {
        assert_eq!([cells[1], cells[3], cells[5]], ["1", "1", "0"], "{row}");
    }
    let outbox = floor.body.split("id=\"outbox\"").nth(1).expect("today's messages").split("</table>").next().unwrap();
    assert!(outbox.contains("reminder-email"), "{outbox}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_checks_dry_runs_saves_and_activates_a_strategy_and_reads_an_experiment() {
    let server = browsing().await;
    let (_, tenant, account) = agent_with_work(&server).await;
    let s = server.store.as_ref();
    recoup_server::strategy::save(s, tenant, recoup_domain::strategy::DEMO, &Actor::new("test")).await.unwrap();
    let supervisor = staff(s, tenant, Role::Supervisor, PASSWORD).await;
    let desk = Desk::open(&server, &supervisor.email, account).await;

    let editor = desk.get("/console/strategy").await;
    assert_eq!(editor.status, 200);
    assert!(editor.body.contains("early-sms-vs-email") && editor.body.contains("badge allow\">live"), "{}", editor.body);

    // A mistake comes back with its line, and nothing is saved.
    let broken = recoup_domain::strategy::DEMO.replacen("when = \"", "when = \"nonsense_field > 3 and ", 1);
    let r = desk.post("/console/strategy", &[("body", broken.as_str()), ("action", "save")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("line"), "the mistake names its line: {}", r.body);
    assert_eq!(s.strategy_versions(tenant).await.unwrap().len(), 1);

    // A good one: checked with a dry run of today, then saved and activated.
    let renamed = recoup_domain::strategy::DEMO.replacen("name = \"", "name = \"Edited ", 1);
    let r = desk.post("/console/strategy", &[("body", renamed.as_str()), ("action", "check")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"dry-run\"") && r.body.contains("By segment"), "{}", r.body);
    assert_eq!(s.strategy_versions(tenant).await.unwrap().len(), 1, "checking saves nothing");
    let r = desk.post("/console/strategy", &[("body", renamed.as_str()), ("action", "save")]).await;
    assert_eq!((r.status, r.header("location").as_deref()), (303, Some("/console/strategy?done=saved")), "{}", r.body);
    let r = desk.post("/console/strategy/2/activate", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let live = s.strategy(tenant, None).await.unwrap().unwrap();
    assert_eq!((live.version, live.live), (2, true));

    let r = desk.get("/console/experiments/early-sms-vs-email").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("sms-first") && r.body.contains("control"), "{}", r.body);
    assert_eq!(desk.get("/console/experiments/no-such-thing").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_user_who_signs_in_with_the_password_shown_once_then_disables_them() {
    let server = browsing().await;
    let (agent_email, tenant, account) = agent_with_work(&server).await;
    let admin = staff(server.store.as_ref(), tenant, Role::Admin, PASSWORD).await;
    let desk = Desk::open(&server, &admin.email, account).await;
    assert_eq!(Desk::open(&server, &agent_email, account).await.get("/console/users").await.status, 403, "only admins");

    let r = desk.post("/console/users", &[("email", "not-an-email"), ("name", "Kim"), ("role", "agent"), ("client_id", "")]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("email"), "{}", r.body);
    let r =
        desk.post("/console/users", &[("email", "kim@example.com"), ("name", "Kim Caller"), ("role", "agent"), ("client_id", "")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let password = r.body.split("id=\"new-password\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(password.len(), 20);
    assert_eq!(crate::fixtures::sign_in(&server, "kim@example.com", &password).await.status, 201, "the shown password works");
    assert!(!desk.get("/console/users").await.body.contains(&password), "and it is never shown again");

    let kim = server.store.user_by_email("kim@example.com").await.unwrap().unwrap().0;
    let r = desk.post(&format!("/console/users/{}/queues", kim.id), &[("queues", "early, late"), ("capacity", "40")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let agent = server.store.agent(tenant, kim.id).await.unwrap().unwrap();
    assert_eq!((agent.queues.clone(), agent.daily_capacity), (vec!["early".to_string(), "late".to_string()], 40));
    let r = desk.post(&format!("/console/users/{}/access", kim.id), &[("access", "disable")]).await;
    assert_eq!(r.status, 303);
    assert_eq!(crate::fixtures::sign_in(&server, "kim@example.com", &password).await.status, 401, "a disabled user cannot sign in");
    let r = desk.post(&format!("/console/users/{}/access", admin.id), &[("access", "disable")]).await;
    assert_eq!(r.status, 422, "nobody disables themselves");
}

async fn tenant_of(server: &Server, tenant: Uuid) -> recoup_domain::org::Tenant {
    server.store.list_tenants().await.unwrap().into_iter().find(|t| t.id == tenant).unwrap()
}
