//! `/api/v1`: the JSON API integrators and (later) the console use. Every handler takes a
//! [`auth::Principal`], asks [`access::allow`] before touching data, and answers errors as
//! problem documents.

pub mod access;
mod account_query;
pub(crate) mod accounts;
pub(crate) mod audit;
pub mod auth;
pub mod calls;
mod clients;
mod compliance;
pub(crate) mod consent;
pub(crate) mod contacts;
pub(crate) mod disputes;
mod docs;
pub mod documents;
pub mod idempotency;
pub(crate) mod json;
pub(crate) mod messages;
pub(crate) mod notes;
mod paging;
pub mod payment_files;
pub(crate) mod payments;
mod placements;
pub(crate) mod plans;
pub mod problem;
mod remittance;
pub(crate) mod reports;
pub mod servicing;
pub(crate) mod session;
pub(crate) mod settlements;
pub(crate) mod strategies;
mod templates;
pub mod throttle;
mod webhooks;
pub mod worklists;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use problem::Problem;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "recoup API", description = "Debt collection and receivables recovery. Money is in integer minor units; errors are RFC 9457 problem documents."),
    modifiers(&Security),
    tags(
        (name = "accounts", description = "Accounts, their balances, ledgers and parties"),
        (name = "clients", description = "The creditors placing accounts, and their portfolios"),
        (name = "placements", description = "Placement files: upload with a validation report"),
        (name = "servicing", description = "Promises, plans, payments and reversals, settlements, disputes, holds and remittance"),
        (name = "reports", description = "KPIs over a period: placements and recovery curves, aging, contact and promise rates, blocked contacts, netback"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "session", description = "Signing in and out"),
        (name = "communications", description = "Templates, messages (e-mail, SMS, letters) and the outbox, call tasks, contactability and the compliance report"),
        (name = "webhooks", description = "Signed event deliveries to integrators' receivers, with retries and a delivery log"),
        (name = "strategy", description = "Strategy versions, daily runs and dry runs, experiments and the run schedule"),
        (name = "worklists", description = "Agents' queues and capacity, ordered worklists, and handing out the next account"),
    ),
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("rk_<prefix>_<secret>").build();
        components.add_security_scheme("api_key", SecurityScheme::Http(bearer));
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))));
    }
}

/// The API's routes and their OpenAPI document, built from the same handler list so neither can
/// miss a route the other has.
pub fn router_and_doc() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::list))
        .routes(routes!(accounts::get_one, accounts::patch))
        .routes(routes!(accounts::ledger))
        .routes(routes!(accounts::parties))
        .routes(routes!(plans::quote))
        .routes(routes!(notes::list, notes::add))
        .routes(routes!(servicing::promises, servicing::take_promise))
        .routes(routes!(servicing::plans, servicing::create_plan))
        .routes(routes!(payments::list, payments::post))
        .routes(routes!(payments::reverse))
        .routes(routes!(payments::receipt))
        .routes(routes!(payments::reconciliation))
        .routes(routes!(payments::post_for_debtor))
        .routes(routes!(payment_files::import))
        .routes(routes!(settlements::list, settlements::offer))
        .routes(routes!(settlements::decide))
        .routes(routes!(settlements::letter))
        .routes(routes!(settlements::pending))
        .routes(routes!(disputes::list, disputes::open))
        .routes(routes!(disputes::change))
        .routes(routes!(disputes::aging))
        .routes(routes!(disputes::holds, disputes::add_hold))
        .routes(routes!(disputes::release_hold))
        .routes(routes!(documents::list, documents::upload))
        .routes(routes!(documents::download))
        .routes(routes!(contacts::checks, contacts::check))
        .routes(routes!(contacts::attempts, contacts::log))
        .routes(routes!(calls::create_task))
        .routes(routes!(calls::tasks))
        .routes(routes!(calls::contactability))
        .routes(routes!(calls::preferences, calls::set_preferences))
        .routes(routes!(compliance::report))
        .routes(routes!(strategies::list, strategies::create))
        .routes(routes!(strategies::diff))
        .routes(routes!(strategies::get_one))
        .routes(routes!(strategies::activate))
        .routes(routes!(strategies::run))
        .routes(routes!(strategies::actions))
        .routes(routes!(strategies::schedule, strategies::set_schedule))
        .routes(routes!(strategies::experiments))
        .routes(routes!(strategies::experiment_results))
        .routes(routes!(strategies::promote))
        .routes(routes!(worklists::agents))
        .routes(routes!(worklists::set_agent))
        .routes(routes!(worklists::list))
        .routes(routes!(worklists::next))
        .routes(routes!(worklists::skip))
        .routes(routes!(worklists::release))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(templates::versions))
        .routes(routes!(templates::preview))
        .routes(routes!(messages::list, messages::send))
        .routes(routes!(messages::get_one))
        .routes(routes!(messages::cancel))
        .routes(routes!(messages::outbox))
        .routes(routes!(messages::batch))
        .routes(routes!(messages::validation_notice))
        .routes(routes!(remittance::statement))
        .routes(routes!(remittance::run))
        .routes(routes!(reports::report))
        .routes(routes!(consent::set))
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::portfolios, clients::create_portfolio))
        .routes(routes!(clients::policy, clients::set_policy))
        .routes(routes!(placements::upload))
        .routes(routes!(placements::get_one))
        .routes(routes!(audit::search))
        .routes(routes!(audit::verify_audit))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get_one, webhooks::patch))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::delivery))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhooks::ping))
        .routes(routes!(session::me, session::sign_in, session::sign_out))
        .split_for_parts()
}

pub fn router(state: &AppState) -> Router<AppState> {
    let (routes, doc) = router_and_doc();
    // Behind an Arc: the layer's state is cloned for every request, reads included, and the whole
    // state is costly to clone.
    let routes = routes.layer(axum::middleware::from_fn_with_state(Arc::new(state.clone()), idempotency::layer));
    let json = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
    let page = Arc::new(docs::render(&json));
    let json = Arc::new(json);
    routes
        .route("/api/v1/openapi.json", get(move || std::future::ready(axum::Json(json.as_ref().clone()))))
        .route("/api/docs", get(move || std::future::ready(crate::hardening::inline_styled(page.as_ref().clone()))))
        .route("/api/v1/{*rest}", axum::routing::any(unknown))
}

async fn unknown() -> Problem {
    Problem::new(axum::http::StatusCode::NOT_FOUND, "no-such-route", "No such route", "this API has no such route")
}
