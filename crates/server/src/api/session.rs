//! Signing in and out with a password: a session cookie for the browser (and the console to
//! come). A new random token each time (no fixation), stored only as a digest, HttpOnly and
//! SameSite=Strict, ended by sign-out, by idleness and by disabling the user.

use super::auth::{Principal, SESSION_COOKIE, Subject};
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::throttle;
use crate::{AppState, keys, passwords};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recoup_domain::access::Session;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: String,
    password: String,
}

/// Who the credential is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    tenant_id: Uuid,
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<Uuid>,
}

fn cookie(value: &str, max_age: Option<u32>, secure: bool) -> HeaderValue {
    named_cookie(SESSION_COOKIE, value, max_age, secure)
}

/// A session cookie: HttpOnly (no script reads it) and SameSite=Strict (no other site's page
/// sends it); `max_age` 0 clears it.
pub(crate) fn named_cookie(name: &str, value: &str, max_age: Option<u32>, secure: bool) -> HeaderValue {
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}")).expect("a valid cookie")
}

/// Sign in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses(
        (status = 201, body = Me, description = "Signed in; `Set-Cookie: recoup_session=...`"),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 429, body = ProblemDocument, content_type = "application/problem+json", description = "Locked after repeated failures; see Retry-After"),
    ))]
pub async fn sign_in(State(state): State<AppState>, Body(form): Body<SignIn>) -> Result<Response, Problem> {
    let (user, token) = match open(&state, &form.email, form.password).await? {
        Opened::Yes(user, token) => (user, token),
        Opened::Locked { wait_micros } => {
            let problem = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-sign-in-failures",
                "Too many failed sign-ins",
                format!("too many failed sign-ins for this e-mail; try again in {}", throttle::wait_text(wait_micros)),
            );
            let mut res = problem.into_response();
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds(wait_micros)));
            return Ok(res);
        }
    };
    let me =
        Me { tenant_id: user.tenant_id, role: user.role.as_str(), user_id: Some(user.id), api_key_id: None, client_id: user.client_id };
    let mut res = (StatusCode::CREATED, Json(me)).into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie(&token, None, state.secure_cookies));
    Ok(res)
}

/// Whole seconds to wait, rounded up, for `Retry-After`.
pub(crate) fn retry_after_seconds(wait_micros: i64) -> i64 {
    (wait_micros + 999_999) / 1_000_000
}

/// What a sign-in came to: a session, or a lockout after repeated failures.
pub(crate) enum Opened {
    Yes(recoup_domain::access::User, String),
    Locked { wait_micros: i64 },
}

/// Checks the password (with lockout after repeated failures) and opens a session: the API's
/// sign-in and the console's login form both come here. The token is the cookie's value.
pub(crate) async fn open(state: &AppState, email: &str, password: String) -> Result<Opened, Problem> {
    let now = jiff::Timestamp::now().as_microsecond();
    let failures = state.store.sign_in_failures(email, now - throttle::WINDOW_MICROS).await?;
    if let Some(until) = throttle::locked_until(&failures, now) {
        tracing::warn!(email = %email.trim().to_lowercase(), "sign-in refused: locked after repeated failures");
        return Ok(Opened::Locked { wait_micros: until - now });
    }
    let found = state.store.user_by_email(email).await?;
    // Verify against a decoy when there is no such user, so timing does not tell.
    let stored = found.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| passwords::decoy_hash().to_string());
    let password_ok = passwords::verify(password, stored).await;
    let user = match found {
        Some((user, _)) if password_ok && !user.disabled => user,
        _ => {
            tracing::warn!(email = %email.trim().to_lowercase(), "failed sign-in");
            state.store.record_sign_in_failure(email, now).await?;
            return Err(Problem::unauthorized("the e-mail or the password is wrong, or the user is disabled"));
        }
    };
    state.store.clear_sign_in_failures(email).await?;
    let token = new_session(state, user.tenant_id, user.id, None).await?;
    tracing::info!(user = %user.id, tenant = %user.tenant_id, "signed in");
    Ok(Opened::Yes(user, token))
}

/// A new session for a user (or, with `account_id`, a debtor's portal session for a party): a
/// fresh random token each time, so a session id is never carried over (no fixation). Returns
/// the token for the cookie; only its digest is kept.
pub(crate) async fn new_session(state: &AppState, tenant_id: Uuid, user_id: Uuid, account_id: Option<Uuid>) -> Result<String, Problem> {
    let now = jiff::Timestamp::now().as_microsecond();
    let mut token_bytes = [0u8; 32];
    getrandom::fill(&mut token_bytes).map_err(|_| Problem::internal())?;
    let token = recoup_domain::hex::encode(&token_bytes);
    let session = Session { token_hash: keys::digest(&token), tenant_id, user_id, created_at: now, last_seen_at: now, account_id };
    state.store.create_session(&session).await?;
    Ok(token)
}

/// The caller: tenant, role, and the user or API key behind the request.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn me(p: Principal) -> Json<Me> {
    let (user_id, api_key_id) = match p.subject {
        Subject::User(id) => (Some(id), None),
        Subject::ApiKey(id) => (None, Some(id)),
    };
    Json(Me { tenant_id: p.tenant_id, role: p.role.as_str(), user_id, api_key_id, client_id: p.client_id })
}

/// Sign out: the session ends and its cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("session" = [])))]
pub async fn sign_out(State(state): State<AppState>, p: Principal, headers: HeaderMap) -> Result<Response, Problem> {
    let Subject::User(_) = p.subject else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "no-session",
            "No session",
            "an API key has no session to end; revoke the key instead",
        ));
    };
    if let Some(token) = super::auth::session_cookie(&headers) {
        state.store.delete_session(&keys::digest(token)).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie("", Some(0), state.secure_cookies));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_secure_only_when_asked() {
        assert!(!cookie("t", None, false).to_str().unwrap().contains("Secure"));
        let c = cookie("t", Some(0), true);
        assert_eq!(c.to_str().unwrap(), "recoup_session=t; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0");
    }
}
