//! An automated accessibility audit: axe-core, in the real browser, on the console's pages for
//! each role and on the portal's, in English and Spanish. Any WCAG 2.1 A or AA violation fails.

use crate::browser::{Browser, browsing};
use crate::console::{PASSWORD, agent_with_work, sign_in_to};
use crate::fixtures::staff;
use crate::portal::{answer, door};
use recoup_domain::access::Role;

/// Audits the page at `path` (after `ready` shows in `css`) and adds what axe found to `found`.
async fn audit(b: &Browser, path: &str, css: &str, ready: &str, found: &mut Vec<String>) -> bool {
    b.open(path).await;
    b.wait_text(css, ready).await;
    let Some(violations) = b.accessibility_violations().await else { return false };
    found.extend(violations.into_iter().map(|v| format!("{path}: {v}")));
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_and_the_portal_pass_an_automated_wcag_audit() {
    let server = browsing().await;
    let (agent, tenant, account) = agent_with_work(&server).await;
    let s = server.store.as_ref();
    let supervisor = staff(s, tenant, Role::Supervisor, PASSWORD).await;
    let admin = staff(s, tenant, Role::Admin, PASSWORD).await;
    let auditor = staff(s, tenant, Role::Auditor, PASSWORD).await;
    let (link, dob, zip) = door(&server, tenant, account).await;
    let Some(b) = Browser::start(&format!("http://{}", server.addr)).await else { return };
    let mut found = Vec::new();

    // Signed out: the sign-in page, and the same page with an error next to the fields.
    if !audit(&b, "/console/login", "h1", "Sign in", &mut found).await {
        b.close().await;
        return;
    }
    b.fill("input[name=email]", &agent).await;
    b.fill("input[name=password]", "wrong").await;
    b.click("button[type=submit]").await;
    b.wait_text("#login-error", "wrong").await;
    found.extend(b.accessibility_violations().await.unwrap().into_iter().map(|v| format!("login error: {v}")));

    let pages: [(&str, &[Page]); 4] = [
        (&agent, &[("/console", "h1", "Hello"), ("/console/search?q=a", "h1", "Search")]),
        (
            &supervisor.email,
            &[
                ("/console/floor", "h1", "Floor"),
                ("/console/reports", "h1", "Reports"),
                ("/console/approvals", "h1", "Approvals"),
                ("/console/strategy", "h1", "Strategy"),
                ("/console/clients", "h1", ""),
            ],
        ),
        (&admin.email, &[("/console/users", "h1", "Users")]),
        (&auditor.email, &[("/console/audit", "h1", "Audit")]),
    ];
    for (email, paths) in pages {
        b.client.delete_all_cookies().await.unwrap();
        // Each role lands on its own page; wait for it to leave the sign-in page.
        sign_in_to(&b, email, "header", "Sign out").await;
        for (path, css, ready) in paths {
            audit(&b, path, css, ready, &mut found).await;
        }
        if email == agent {
            audit(&b, &format!("/console/accounts/{account}"), "h1", "Account", &mut found).await;
        }
    }

    // The portal: the identity check, then the account page in each language.
    b.client.delete_all_cookies().await.unwrap();
    audit(&b, &link, "main", "confirm it is you", &mut found).await;
    answer(&b, &dob, &zip).await;
    b.wait_text("#owed", "$").await;
    audit(&b, "/portal/account?lang=en", "#owed", "$", &mut found).await;
    audit(&b, "/portal/account?lang=es", "#owed", "$", &mut found).await;
    b.screenshot("accessibility-portal-es").await;
    b.close().await;
    assert!(found.is_empty(), "axe-core found WCAG 2.1 A/AA violations:\n{}", found.join("\n"));
}
/// A page to audit: its path, and an element and text that show it has loaded.
type Page<'a> = (&'a str, &'a str, &'a str);
