//! Who is calling: an API key in `Authorization: Bearer rk_...`, or a signed-in user's session
//! cookie. The tenant comes from the credential, never from the request. Failures are logged
//! without secrets: a key's public prefix at most.

use super::problem::Problem;
use crate::AppState;
use crate::keys;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use recoup_domain::access::Role;
use uuid::Uuid;

/// Don't write `last_used_at` more often than this: a busy key would otherwise turn every read
/// into a write.
const TOUCH_EVERY_MICROS: i64 = 60_000_000;

/// The credential behind a request, for logs and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    ApiKey(Uuid),
    User(Uuid),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::ApiKey(id) => write!(f, "api_key:{id}"),
            Subject::User(id) => write!(f, "user:{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: Uuid,
    pub role: Role,
    /// For a client-role credential, the only client it may see.
    pub client_id: Option<Uuid>,
    pub subject: Subject,
}

impl Principal {
    /// The one answer for an id this caller cannot see (unknown, malformed, another tenant's or
    /// another client's): the same 404, logged with who asked, so probing shows in the logs but
    /// never in the answer.
    pub fn not_found(&self, what: &str, requested: &str) -> Problem {
        tracing::info!(tenant = %self.tenant_id, subject = %self.subject, what, requested, "not found for this credential");
        Problem::not_found(what)
    }

    /// Whether this caller may see an account of `client_id`.
    pub fn sees_client(&self, client_id: Uuid) -> bool {
        match self.role {
            Role::Client => self.client_id == Some(client_id),
            _ => true,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value.to_str().ok().and_then(|h| h.strip_prefix("Bearer "));
            let addr = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
            return throttled_api_key(state, token, addr).await;
        }
        if let Some(token) = session_cookie(&parts.headers) {
            refuse_cross_site(parts)?;
            return from_session(state, token).await;
        }
        Err(Problem::unauthorized("sign in, or send an API key as `Authorization: Bearer rk_...`"))
    }
}

/// Refuses keys from an address that has failed too often lately, and counts its failures.
async fn throttled_api_key(state: &AppState, token: Option<&str>, addr: Option<std::net::IpAddr>) -> Result<Principal, Problem> {
    let now = jiff::Timestamp::now().as_microsecond();
    if let Some(wait) = addr.and_then(|a| state.key_failures.blocked(a, now)) {
        tracing::warn!(addr = ?addr, "API keys from this address refused after repeated failures");
        return Err(Problem::too_many(format!(
            "too many invalid API keys from this address; wait {} seconds",
            (wait + 999_999) / 1_000_000
        )));
    }
    let result = from_api_key(state, token).await;
    if let (Err(p), Some(a)) = (&result, addr)
        && p.status == axum::http::StatusCode::UNAUTHORIZED
    {
        state.key_failures.record(a, now);
    }
    result
}

async fn from_api_key(state: &AppState, token: Option<&str>) -> Result<Principal, Problem> {
    let Some((prefix, secret)) = token.and_then(|t| keys::parse(t.trim())) else {
        tracing::warn!("malformed API key");
        return Err(Problem::unauthorized("the API key is malformed"));
    };
    let found = state.store.api_key_by_prefix(prefix).await?;
    let Some((key, _)) = found.filter(|(_, stored)| keys::matches(secret, stored)) else {
        tracing::warn!(prefix, "unknown API key or wrong secret");
        return Err(Problem::unauthorized("the API key is not valid"));
    };
    if !key.is_active() {
        tracing::warn!(prefix, tenant = %key.tenant_id, "revoked API key used");
        return Err(Problem::unauthorized("the API key has been revoked"));
    }
    let now = jiff::Timestamp::now().as_microsecond();
    if key.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY_MICROS) {
        // Best effort: a failed bookkeeping write must not fail the request.
        if let Err(e) = state.store.touch_api_key(key.tenant_id, key.id, now).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
    Ok(Principal { tenant_id: key.tenant_id, role: key.role, client_id: key.client_id, subject: Subject::ApiKey(key.id) })
}

pub const SESSION_COOKIE: &str = "recoup_session";

/// A browser sends the session cookie with whatever page made the request, so a request that
/// changes something must come from our own pages (OWASP ASVS 4.2.2, CSRF). Browsers say where
/// a request comes from in `Sec-Fetch-Site`, or at least in `Origin`; a request with neither
/// did not come from a browser page and cannot be a forgery riding on the cookie.
fn refuse_cross_site(parts: &Parts) -> Result<(), Problem> {
    if !cross_site(&parts.method, &parts.headers) {
        return Ok(());
    }
    tracing::warn!(method = %parts.method, path = %parts.uri.path(), "cross-site request with a session cookie refused");
    Err(Problem::forbidden("a request from another site cannot use this session"))
}

/// Whether a request that changes something came from another site's page.
pub(crate) fn cross_site(method: &axum::http::Method, headers: &axum::http::HeaderMap) -> bool {
    use axum::http::Method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let same_site = match (header("sec-fetch-site"), header("origin")) {
        (Some(site), _) => site == "same-origin" || site == "none",
        (None, Some(origin)) => {
            header("host").is_some_and(|host| origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host))
        }
        (None, None) => true,
    };
    !same_site
}

pub(crate) fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries it.
pub(crate) fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// What a session cookie's token comes to.
pub(crate) enum Lookup {
    Live(recoup_domain::access::Session),
    /// It was unused too long (OWASP ASVS 3.3): now deleted.
    Idle,
    /// No such session: signed out, never made, or cleared.
    Unknown,
}

/// The session behind a cookie's token, staff's or a debtor's: an idle one is ended here, a
/// live one is touched often enough that the idle timeout holds to within a tenth of itself.
pub(crate) async fn look_up_session(state: &AppState, token: &str) -> Result<Lookup, Problem> {
    let hash = keys::digest(token);
    let Some(session) = state.store.session(&hash).await? else { return Ok(Lookup::Unknown) };
    let now = jiff::Timestamp::now().as_microsecond();
    let idle = i64::try_from(state.session_idle.as_micros()).unwrap_or(i64::MAX);
    if now - session.last_seen_at > idle {
        state.store.delete_session(&hash).await?;
        tracing::info!(user = %session.user_id, "session expired after being idle");
        return Ok(Lookup::Idle);
    }
    if now - session.last_seen_at > idle / 10 {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Lookup::Live(session))
}

async fn from_session(state: &AppState, token: &str) -> Result<Principal, Problem> {
    let session = match look_up_session(state, token).await? {
        // A debtor's portal session never stands for staff, whichever cookie carries it.
        Lookup::Live(s) if s.account_id.is_none() => s,
        Lookup::Idle => return Err(Problem::unauthorized("the session expired after being idle; sign in again")),
        _ => return Err(Problem::unauthorized("the session has ended; sign in again")),
    };
    let user = state.store.user(session.tenant_id, session.user_id).await?.filter(|u| !u.disabled);
    let Some(user) = user else {
        state.store.delete_session(&keys::digest(token)).await?;
        tracing::warn!(user = %session.user_id, "session of a disabled or removed user");
        return Err(Problem::unauthorized("this user cannot sign in"));
    };
    Ok(Principal { tenant_id: user.tenant_id, role: user.role, client_id: user.client_id, subject: Subject::User(user.id) })
}
