//! Cross-site request forgery, twice over (OWASP ASVS 4.2.2; COMPLIANCE.md 36). A form post that
//! another site's page made is refused by what the browser says about where it came from
//! (`Sec-Fetch-Site`, `Origin`), and every signed-in form carries a token that only our pages
//! know: a keyed digest of the session, which changes with each sign-in.

use crate::AppState;
use crate::api::auth::{SESSION_COOKIE, cookie_value, cross_site};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use recoup_store::Store;

/// The portal's session cookie: a debtor's, never a staff member's.
pub const PORTAL_COOKIE: &str = "recoup_portal";

/// The field forms carry the token in, and the header htmx sends it in.
pub const FIELD: &str = "csrf";
const HEADER: &str = "x-csrf-token";

/// The largest form body the guard reads to find the token; uploads send it as a header.
const MAX_FORM: usize = 256 * 1024;

/// The token for the session whose cookie is `session_token`.
pub fn token(store: &dyn Store, session_token: &str) -> String {
    let digest = crate::keys::digest(session_token);
    let mut data = b"csrf:".to_vec();
    data.extend_from_slice(&digest);
    recoup_domain::hex::encode(&store.link_tag(&data)[..16])
}

fn same(a: &str, b: &str) -> bool {
    crate::keys::same(a.as_bytes(), b.as_bytes())
}

/// Forms posted before there is a session to ride on: signing in, and a debtor proving who they
/// are. The fetch-metadata check still applies to them.
fn before_session(path: &str) -> bool {
    path == "/console/login" || path.starts_with("/portal/verify") || path == "/portal/find"
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let path = req.uri().path().to_string();
    if cross_site(req.method(), req.headers()) {
        tracing::warn!(%path, "cross-site form post refused");
        return refused("This form came from another site, so it was not accepted.");
    }
    let cookie = if path.starts_with("/portal") { PORTAL_COOKIE } else { SESSION_COOKIE };
    let Some(session) = cookie_value(req.headers(), cookie).map(str::to_string) else {
        // Nothing to forge: the handler sends whoever it is to sign in.
        return next.run(req).await;
    };
    if before_session(&path) {
        return next.run(req).await;
    }
    let want = token(state.store.as_ref(), &session);
    if req.headers().get(HEADER).and_then(|v| v.to_str().ok()).is_some_and(|got| same(got, &want)) {
        return next.run(req).await;
    }
    // A file form (multipart) names its token in its action's query: the guard does not read
    // uploads. No page leaks the URL: every response says `Referrer-Policy: no-referrer`.
    if query_token(req.uri().query()).is_some_and(|got| same(&got, &want)) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
        return refused("This form was too large to check; reload the page and try again.");
    };
    if !form_token(&bytes).is_some_and(|got| same(&got, &want)) {
        tracing::warn!(%path, "form post without a valid CSRF token refused");
        return refused("This form has expired or did not come from this site. Reload the page and try again.");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn query_token(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned())
}

fn form_token(body: &Bytes) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned())
}

fn refused(text: &str) -> Response {
    (StatusCode::FORBIDDEN, axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not accepted</title><p>{}</p><p><a href=\"javascript:history.back()\">Back</a></p></html>",
        crate::documents::escape(text)
    )))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_found_in_a_form_body() {
        let body = Bytes::from_static(b"amount=12.50&csrf=ab%2Bcd&note=a+b");
        assert_eq!(form_token(&body).as_deref(), Some("ab+cd"));
        assert_eq!(form_token(&Bytes::from_static(b"amount=1")), None);
    }

    #[test]
    fn tokens_compare_in_full() {
        assert!(same("abcd", "abcd"));
        assert!(!same("abcd", "abce"));
        assert!(!same("abc", "abcd"));
    }
}
