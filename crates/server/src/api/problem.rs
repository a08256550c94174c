//! Errors as `application/problem+json` (RFC 9457): a stable `type` per kind of problem, a
//! human `detail`, and for invalid input the field each complaint is about. Internal errors are
//! logged in full and answered with nothing a client could use against us.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recoup_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON Pointer (RFC 6901) to the offending field, e.g. `/amount`.
    pub pointer: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable slug; the `type` is `/problems/<slug>`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// For 401: the `WWW-Authenticate` challenge.
    pub challenge: bool,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Problem { status, kind, title, detail: detail.into(), errors: Vec::new(), challenge: false }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem { challenge: true, ..Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required", detail) }
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    pub fn too_many(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-attempts", "Too many attempts", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", format!("no {what} with that id"))
    }

    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Problem { errors, ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "Invalid input", detail) }
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side; it has been logged",
        )
    }
}

/// An RFC 9457 problem document, as every error of the API is answered.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDocument {
    /// `/problems/<slug>`: stable, for programs to branch on.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// For people: what went wrong and what to do.
    pub detail: String,
    /// For invalid input: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let (status, challenge) = (self.status, self.challenge);
        let body = ProblemDocument {
            kind: format!("/problems/{}", self.kind),
            title: self.title.to_string(),
            status: status.as_u16(),
            detail: self.detail,
            errors: self.errors,
        };
        let mut res = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if challenge {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"recoup\""));
        }
        res
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, .. } => Problem::not_found(entity),
            StoreError::Conflict(what) => Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", format!("{what} already exists")),
            StoreError::Ledger(e) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "ledger-refused", "The ledger refused the posting", e.to_string())
            }
            StoreError::Transition(e) => {
                Problem::new(StatusCode::CONFLICT, "status-transition", "Status change not allowed", e.to_string())
            }
            StoreError::Invalid { field, reason } => {
                let pointer = if field.starts_with('/') { field } else { format!("/{field}") };
                Problem::invalid(reason.clone(), vec![FieldError { pointer, detail: reason }])
            }
            StoreError::Refused(why) => Problem::new(StatusCode::CONFLICT, "refused", "Not possible now", why),
            StoreError::NotAllowed(why) => Problem::forbidden(why),
            other => {
                tracing::error!(error = %other, "store error");
                Problem::internal()
            }
        }
    }
}
