//! `/api/v1`: the JSON API integrators and (later) the console use. Every handler takes a
//! [`auth::Principal`], asks [`access::allow`] before touching data, and answers errors as
//! problem documents.

pub mod access;
mod accounts;
pub mod auth;
mod json;
pub mod problem;
mod session;
pub mod throttle;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use problem::Problem;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts", get(accounts::list))
        .route("/api/v1/accounts/{id}", get(accounts::get_one))
        .route("/api/v1/session", get(session::me).post(session::sign_in).delete(session::sign_out))
        .route("/api/v1/{*rest}", axum::routing::any(unknown))
}

async fn unknown() -> Problem {
    Problem::new(axum::http::StatusCode::NOT_FOUND, "no-such-route", "No such route", "this API has no such route")
}
