//! The pages people use: the staff console (`/console`) and the debtors' portal (`/portal`).
//! Server-rendered HTML (askama templates in `crates/server/templates`) with htmx for partial
//! updates, assets embedded in the binary. Every action goes through the same handler the API
//! runs, so a page can never do what the API would refuse, and never differently.

mod assets;
mod charts;
mod console;
mod csrf;
mod format;
mod i18n;
mod portal;
mod upload;

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(console::router())
        .merge(portal::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::guard))
        .merge(assets::router())
}

/// What every page's frame shows: the title, the navigation and the form token.
pub struct Chrome {
    pub title: String,
    pub lang: &'static str,
    /// The CSRF token every form of the page carries, once someone is signed in.
    pub csrf: Option<String>,
    /// Links across the top: (href, label, whether it is this page).
    pub nav: Vec<(String, String, bool)>,
    /// Who is signed in, for the header.
    pub who: Option<String>,
    /// Where the header's sign-out form posts, when someone is signed in.
    pub sign_out: Option<&'static str>,
    /// Whether the header has the account search box (the console, for staff who may search).
    pub search: bool,
    /// Where the brand links to.
    pub home: &'static str,
    pub narrow: bool,
}

impl Chrome {
    pub fn css(&self) -> &'static str {
        assets::CSS_URL.as_str()
    }
    pub fn js(&self) -> &'static str {
        assets::JS_URL.as_str()
    }
    pub fn htmx(&self) -> &'static str {
        assets::HTMX_URL.as_str()
    }
}

/// A template rendered as a page with `status`; a template that fails to render (a bug) is
/// logged and answered with a plain 500.
pub fn page(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be shown; it has been logged").into_response()
        }
    }
}

/// See other: where a form that worked sends the browser (post, redirect, get), so a reload
/// does not post it again.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(axum::http::header::LOCATION, to.to_string())]).into_response()
}

/// Signing out of the console or the portal: the session named by `cookie` ends on the server
/// (not only in the browser), the cookie is cleared, and the browser goes to `to`. A failure to
/// delete is logged; the person is signed out of this browser either way.
pub async fn sign_out(state: &AppState, headers: &axum::http::HeaderMap, cookie: &str, to: &str) -> Response {
    if let Some(token) = crate::api::auth::cookie_value(headers, cookie)
        && let Err(e) = state.store.delete_session(&crate::keys::digest(token)).await
    {
        tracing::warn!(error = %e, "could not end a session");
    }
    let mut res = see_other(to);
    let clear = crate::api::session::named_cookie(cookie, "", Some(0), state.secure_cookies);
    res.headers_mut().insert(axum::http::header::SET_COOKIE, clear);
    res
}

/// A page that says what went wrong, in the page's frame.
#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub chrome: Chrome,
    pub heading: String,
    pub text: String,
    pub back: Option<(String, String)>,
}

pub fn message(status: StatusCode, chrome: Chrome, heading: &str, text: &str) -> Response {
    page(status, &Message { chrome, heading: heading.into(), text: text.into(), back: None })
}

#[cfg(test)]
mod tests {
    /// The pages' policy allows no inline style or script (`hardening`), so no template may carry
    /// one: it would silently not apply.
    #[test]
    fn no_template_carries_inline_style_or_script() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for bad in [" style=", "<style", "<script>", " onclick=", " onsubmit="] {
                    if text.contains(bad) {
                        found.push(format!("{}: {bad}", path.display()));
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"), &mut found);
        assert!(found.is_empty(), "{found:#?}");
    }
}
