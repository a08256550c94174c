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
use jiff::civil::Date;
use recoup_domain::kpi;
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
    placements: Vec<PlacementRow>,
    /// Earlier months' statements: (label, from, to).
    months: Vec<(String, String, String)>,
}

struct PlacementRow {
    placed_on: String,
    portfolio: String,
    file: String,
    accounts: u64,
    placed: String,
    collected: String,
    recovery: String,
}

/// Months of statements offered besides the current one.
const EARLIER_MONTHS: i16 = 6;

#[derive(Template)]
#[template(path = "console/clients.html")]
struct Clients {
    chrome: Chrome,
    clients: Vec<ClientView>,
    statements: bool,
}

/// The months before the one starting `first`, newest first: (e.g. "October 2026", from, to).
fn earlier_months(first: Date) -> Vec<(String, String, String)> {
    (1..=EARLIER_MONTHS)
        .filter_map(|n| {
            let start = first.checked_sub(jiff::Span::new().months(n)).ok()?;
            Some((start.strftime("%B %Y").to_string(), start.to_string(), start.last_of_month().to_string()))
        })
        .collect()
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
        let listed = state.store.list_portfolios(p.tenant_id, client.id).await?;
        let portfolio_of = |id| listed.iter().find(|f| f.id == id).map(|f| f.name.clone()).unwrap_or_default();
        let placements = state
            .store
            .placement_summaries(p.tenant_id, Some(client.id))
            .await?
            .into_iter()
            .map(|x| PlacementRow {
                placed_on: day(x.placement.placed_on),
                portfolio: portfolio_of(x.placement.portfolio_id),
                file: x.placement.file_name.clone(),
                accounts: x.accounts,
                placed: money(x.placed_minor, &x.currency),
                collected: money(x.collected_minor, &x.currency),
                recovery: kpi::percent(kpi::recovery_rate(x.collected_minor, x.placed_minor)),
            })
            .collect();
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
            portfolios: listed.iter().map(|f| (f.code.clone(), f.name.clone())).collect(),
            accounts,
            period: format!("{} to {}", day(from), day(today)),
            collected: money(t.collected_by_agency, cur),
            direct: money(t.paid_direct, cur),
            commission: money(t.commission, cur),
            net: money(t.net_due_to_client, cur),
            from: from.to_string(),
            to: today.to_string(),
            placements,
            months: earlier_months(from),
        });
    }
    Ok(Clients { chrome: staff.chrome("Clients", "/console/clients"), clients: out, statements: may(p, Action::ReadRemittance) })
}
