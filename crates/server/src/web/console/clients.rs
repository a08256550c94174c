//! What a client's staff see: their portfolios, their accounts, what has been recovered this
//! month and the remittance statements to download. Staff of the agency see every client; a
//! client user only their own, by the same visibility rule as the API.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, may};
use crate::web::format::{day, money};
use crate::web::{Chrome, message, page};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use recoup_store::listing::AccountFilter;
use recoup_store::servicing::remittance;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/clients", get(clients))
}

/// How many of a client's accounts the page lists (the API pages through the rest).
const LISTED: u32 = 50;

struct ClientView {
    name: String,
    code: String,
    portfolios: Vec<(String, String)>,
    accounts: Vec<(String, String, String, String)>,
    period: String,
    collected: String,
    direct: String,
    commission: String,
    net: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "console/clients.html")]
struct Clients {
    chrome: Chrome,
    clients: Vec<ClientView>,
    statements: bool,
}

async fn clients(State(state): State<AppState>, staff: Staff) -> Response {
    match load(&state, &staff).await {
        Ok(page_) => page(StatusCode::OK, &page_),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn load(state: &AppState, staff: &Staff) -> Result<Clients, crate::api::problem::Problem> {
    let p = &staff.p;
    crate::api::access::allow(p, Action::ReadClients)?;
    let today = crate::api::servicing::today();
    let from = today.first_of_month();
    let mut out = Vec::new();
    for client in state.store.list_clients(p.tenant_id).await?.into_iter().filter(|c| p.sees_client(c.id)) {
        let cur = client.default_currency.code();
        let portfolios = state.store.list_portfolios(p.tenant_id, client.id).await?.into_iter().map(|f| (f.code, f.name)).collect();
        let filter = AccountFilter { client_id: Some(client.id), ..AccountFilter::default() };
        let mut accounts = Vec::new();
        for a in state.store.list_accounts(p.tenant_id, &filter, None, LISTED).await? {
            let owed = state.store.balance(p.tenant_id, a.id).await?.owed();
            accounts.push((a.id.to_string(), a.external_ref, crate::web::format::label(&a.status), money(owed, a.currency.code())));
        }
        let st = remittance::statement(state.store.as_ref(), p.tenant_id, client.id, from, today).await?;
        let t = &st.totals;
        out.push(ClientView {
            name: client.name.clone(),
            code: client.code.clone(),
            portfolios,
            accounts,
            period: format!("{} to {}", day(from), day(today)),
            collected: money(t.collected_by_agency, cur),
            direct: money(t.paid_direct, cur),
            commission: money(t.commission, cur),
            net: money(t.net_due_to_client, cur),
            from: from.to_string(),
            to: today.to_string(),
        });
    }
    Ok(Clients { chrome: staff.chrome("Clients", "/console/clients"), clients: out, statements: may(p, Action::ReadRemittance) })
}
