//! The dashboard: headline figures for a period, charts (recovery curves by vintage, aging,
//! the funnel from call to kept promise) and every report's table with its CSV. The figures are
//! the API's and the CLI's (crate::reports), read once for the whole page.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, allow, may};
use crate::api::problem::Problem;
use crate::reports::{self, Cell, Context, Table};
use crate::web::{Chrome, charts, message, page};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jiff::ToSpan;
use jiff::civil::Date;
use recoup_domain::kpi;
use recoup_store::reports::{ReportData, ReportQuery};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/reports", get(dashboard))
}

/// Vintages drawn on the recovery chart (the newest); the table lists them all.
const VINTAGES_DRAWN: usize = 7;

#[derive(Deserialize, Default)]
struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    portfolio: String,
}

/// A report as the page shows it: each cell formatted, figures marked to align right.
struct Shown {
    name: &'static str,
    title: &'static str,
    help: &'static str,
    columns: Vec<String>,
    numeric: Vec<bool>,
    rows: Vec<Vec<String>>,
    /// The report's CSV for the same period and client.
    csv: String,
    chart: Option<String>,
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct Dashboard {
    chrome: Chrome,
    from: String,
    to: String,
    client: String,
    /// (code, name) for the client picker; empty for a client's own staff.
    clients: Vec<(String, String)>,
    portfolio: String,
    /// (code, name) of the chosen client's portfolios; empty until a client is chosen.
    portfolios: Vec<(String, String)>,
    presets: Vec<(&'static str, String, String)>,
    /// (label, value, how it is worked out).
    tiles: Vec<(&'static str, String, &'static str)>,
    sections: Vec<Shown>,
    error: Option<String>,
}

async fn dashboard(State(state): State<AppState>, staff: Staff, Query(f): Query<Period>) -> Response {
    match load(&state, &staff, f).await {
        Ok(d) => page(if d.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &d),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

/// This month, last month, the last 90 days and this year, as (label, from, to).
fn presets(today: Date) -> Vec<(&'static str, String, String)> {
    let first = today.first_of_month();
    let last_month = first.checked_sub(1.month()).unwrap_or(first);
    let ninety = today.checked_sub(89.days()).unwrap_or(today);
    let year = Date::new(today.year(), 1, 1).unwrap_or(first);
    [
        ("This month", first, today),
        ("Last month", last_month, last_month.last_of_month()),
        ("Last 90 days", ninety, today),
        ("This year", year, today),
    ]
    .into_iter()
    .map(|(label, from, to)| (label, from.to_string(), to.to_string()))
    .collect()
}

async fn load(state: &AppState, staff: &Staff, f: Period) -> Result<Dashboard, Problem> {
    allow(&staff.p, Action::ReadReports)?;
    let today = crate::api::servicing::today();
    let default_from = today.checked_sub(29.days()).unwrap_or(today);
    let mut d = Dashboard {
        chrome: staff.chrome("Reports", "/console/reports"),
        from: f.from.clone(),
        to: f.to.clone(),
        client: f.client.clone(),
        clients: Vec::new(),
        portfolio: String::new(),
        portfolios: Vec::new(),
        presets: presets(today),
        tiles: Vec::new(),
        sections: Vec::new(),
        error: None,
    };
    if may(&staff.p, Action::ReadClients) && staff.p.role != recoup_domain::access::Role::Client {
        d.clients = state.store.list_clients(staff.p.tenant_id).await?.into_iter().map(|c| (c.code, c.name)).collect();
    }
    let (from, to) = match (day_or(&f.from, default_from), day_or(&f.to, today)) {
        (Ok(from), Ok(to)) if from <= to => (from, to),
        (Ok(from), Ok(to)) => {
            d.error = Some(format!("The period ends ({to}) before it starts ({from})."));
            return Ok(d);
        }
        _ => {
            d.error = Some("Give the days as YYYY-MM-DD.".into());
            return Ok(d);
        }
    };
    (d.from, d.to) = (from.to_string(), to.to_string());
    let mut q = crate::api::reports::query_for(state, &staff.p, from, to, Some(f.client.as_str()), None).await?;
    if let Some(client_id) = q.client_id {
        let portfolios = state.store.list_portfolios(staff.p.tenant_id, client_id).await?;
        // A portfolio of another client (the client was just changed) is let go.
        if let Some(chosen) = portfolios.iter().find(|p| p.code == f.portfolio) {
            (q.portfolio_id, d.portfolio) = (Some(chosen.id), chosen.code.clone());
        }
        d.portfolios = portfolios.into_iter().map(|p| (p.code, p.name)).collect();
    }
    let store = state.store.as_ref();
    let tenant = staff.p.tenant_id;
    // The four reads are independent: side by side, each on its own connection.
    let (data, cx, netback, uplift) = tokio::join!(
        reports::data(store, tenant, &q),
        Context::read(store, tenant, &q),
        reports::netback(store, tenant, &q),
        reports::uplift(store, tenant, &q)
    );
    let (data, cx) = (data.map_err(Problem::from)?, cx.map_err(Problem::from)?);
    let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let query = format!("from={from}&to={to}&client={}&portfolio={}", encode(&f.client), encode(&d.portfolio));
    let tables = reports::DASHBOARD
        .map(|name| reports::build(name, &data, &q, &cx))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(Problem::from)?;
    let named = |name: &str| tables.iter().find(|t| t.name == name);
    d.tiles = tiles(&data, &q, named("funnel"), named("promises"));
    for t in tables {
        let chart = chart(&t);
        d.sections.push(shown(t, &query, chart));
    }
    for t in [netback, uplift] {
        d.sections.push(shown(t.map_err(Problem::from)?, &query, None));
    }
    Ok(d)
}

fn day_or(text: &str, default: Date) -> Result<Date, jiff::Error> {
    if text.trim().is_empty() { Ok(default) } else { text.trim().parse() }
}

fn shown(t: Table, query: &str, chart: Option<String>) -> Shown {
    let numeric = (0..t.columns.len()).map(|i| t.rows.first().is_some_and(|r| !matches!(r[i], Cell::Text(_)))).collect();
    Shown {
        name: t.name,
        title: t.title,
        help: t.help,
        columns: t.columns.iter().map(|c| c.replace('_', " ")).collect(),
        numeric,
        rows: t.rows.iter().map(|r| r.iter().map(Cell::shown).collect()).collect(),
        csv: format!("/api/v1/reports/{}?{query}&format=csv", t.name),
        chart,
    }
}

/// The chart that goes with a report, if it has one.
fn chart(t: &Table) -> Option<String> {
    match t.name {
        "recovery" => {
            let mut by_vintage: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for r in &t.rows {
                if let (Cell::Text(v), Cell::Rate(Some(rate))) = (&r[0], &r[3]) {
                    by_vintage.entry(v.clone()).or_default().push(*rate);
                }
            }
            let newest: Vec<(String, Vec<f64>)> = by_vintage.into_iter().rev().take(VINTAGES_DRAWN).collect();
            Some(charts::rate_lines("Recovery curves by vintage", "Months since placement", "Collected / placed", &newest))
        }
        "aging" => {
            // The first currency's buckets (a tenant in several currencies sees the rest in the table).
            let currency =
                t.rows.first().and_then(|r| if let Cell::Money { currency, .. } = &r[2] { Some(currency.clone()) } else { None })?;
            let scale = 10f64.powi(recoup_domain::money::Currency::from_code(&currency).map_or(2, |c| i32::from(c.exponent())));
            let bars: Vec<(String, f64)> = t
                .rows
                .iter()
                .filter_map(|r| match (&r[0], &r[2]) {
                    (Cell::Text(b), Cell::Money { minor, currency: c }) if *c == currency => Some((b.clone(), *minor as f64 / scale)),
                    _ => None,
                })
                .collect();
            Some(charts::bars("Owed by days past due", &format!("Owed ({currency})"), &bars, compact))
        }
        "aging_trend" => {
            // One line per bucket across the month-ends, in the first currency.
            let currency =
                t.rows.first().and_then(|r| if let Cell::Money { currency, .. } = &r[3] { Some(currency.clone()) } else { None })?;
            let scale = 10f64.powi(recoup_domain::money::Currency::from_code(&currency).map_or(2, |c| i32::from(c.exponent())));
            let mut ends: Vec<String> = Vec::new();
            let mut by_bucket: Vec<(String, Vec<f64>)> = Vec::new();
            for r in &t.rows {
                let (Cell::Text(on), Cell::Text(bucket), Cell::Money { minor, currency: c }) = (&r[0], &r[1], &r[3]) else { continue };
                if *c != currency {
                    continue;
                }
                if ends.last() != Some(on) {
                    ends.push(on.clone());
                }
                match by_bucket.iter_mut().find(|(b, _)| b == bucket) {
                    Some((_, values)) => values.push(*minor as f64 / scale),
                    None => by_bucket.push((bucket.clone(), vec![*minor as f64 / scale])),
                }
            }
            Some(charts::amount_lines("Owed by bucket at each month-end", &format!("Owed ({currency})"), &ends, &by_bucket, compact))
        }
        "rolls" => {
            // Every month in the period together: each bucket's shares weighted by its balance.
            let mut by: Vec<(String, f64, [f64; 8])> = Vec::new();
            for r in &t.rows {
                let (Cell::Text(bucket), Cell::Money { minor, .. }) = (&r[1], &r[2]) else { continue };
                let weight = *minor as f64;
                let at = match by.iter().position(|(b, _, _)| b == bucket) {
                    Some(i) => i,
                    None => {
                        by.push((bucket.clone(), 0.0, [0.0; 8]));
                        by.len() - 1
                    }
                };
                by[at].1 += weight;
                for (k, cell) in r[4..12].iter().enumerate() {
                    if let Cell::Rate(Some(share)) = cell {
                        by[at].2[k] += share * weight;
                    }
                }
            }
            if by.is_empty() {
                return None;
            }
            let rows: Vec<String> = by.iter().map(|(b, _, _)| b.clone()).collect();
            let values: Vec<Vec<Option<f64>>> =
                by.iter().map(|(_, w, shares)| shares.iter().map(|s| (*w > 0.0).then(|| s / w)).collect()).collect();
            let columns: Vec<String> =
                recoup_domain::kpi::Bucket::ALL.iter().map(|b| b.label().to_string()).chain(["paid off".to_string()]).collect();
            Some(charts::matrix("Where each bucket's balance was a month later", &rows, &columns, &values))
        }
        "funnel" => {
            let stages: Vec<(String, u64)> = t
                .rows
                .iter()
                .filter_map(|r| match (&r[0], &r[1]) {
                    (Cell::Text(s), Cell::Count(n)) => Some((s.clone(), *n)),
                    _ => None,
                })
                .collect();
            Some(charts::funnel("From call to kept promise", &stages))
        }
        _ => None,
    }
}

/// An axis figure in thousands or millions: 1.2M, 350k.
fn compact(v: &f64) -> String {
    match v.abs() {
        a if a >= 1_000_000.0 => format!("{:.1}M", v / 1_000_000.0),
        a if a >= 1_000.0 => format!("{:.0}k", v / 1_000.0),
        _ => format!("{v:.0}"),
    }
}

/// The headline figures: placed, collected in the period, recovery to date, right-party
/// contact, promise-kept rate and disputes, each in every currency it occurs in; the last three
/// from the funnel and promises tables the page shows.
fn tiles(d: &ReportData, q: &ReportQuery, funnel: Option<&Table>, promises: Option<&Table>) -> Vec<(&'static str, String, &'static str)> {
    let mut placed: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut in_period, mut to_date): (BTreeMap<&str, i64>, BTreeMap<&str, i64>) = Default::default();
    for p in &d.placements {
        *placed.entry(&p.currency).or_default() += p.placed_minor;
    }
    for c in &d.collected {
        *to_date.entry(&c.currency).or_default() += c.minor;
        if c.on >= q.from {
            *in_period.entry(&c.currency).or_default() += c.minor;
        }
    }
    let each = |m: &BTreeMap<&str, i64>| {
        if m.is_empty() {
            return recoup_domain::money::format_money(0, "USD");
        }
        m.iter().map(|(c, v)| recoup_domain::money::format_money(*v, c)).collect::<Vec<_>>().join(" + ")
    };
    let recovery = placed
        .iter()
        .map(|(c, p)| kpi::percent(kpi::recovery_rate(to_date.get(c).copied().unwrap_or(0), *p)))
        .collect::<Vec<_>>()
        .join(" / ");
    let cell = |t: Option<&Table>, row: usize, col: usize| t.and_then(|t| Some(t.rows.get(row)?.get(col)?.clone()));
    let (attempts, rpc) = (cell(funnel, 0, 1).map_or(0, |c| count(&c)), cell(funnel, 2, 1).map_or(0, |c| count(&c)));
    let shown = |c: Option<Cell>| c.map_or_else(|| "-".into(), |c| c.shown());
    vec![
        ("Placed", each(&placed), "What clients placed, on the accounts they placed"),
        ("Collected in the period", each(&in_period), "Payments less reversals, by the day effective"),
        ("Recovered to date", if recovery.is_empty() { "-".into() } else { recovery }, "Collected / placed, up to the period's end"),
        ("Right-party contact rate", kpi::percent(kpi::rates::Ratio::new(rpc, attempts).value()), "Right-party contacts / call attempts"),
        ("Promise-kept rate", shown(cell(promises, 0, 3)), "Kept / promises that fell due"),
        ("Disputes opened", shown(cell(promises, 0, 5)), "In the period"),
    ]
}

fn count(c: &Cell) -> u64 {
    if let Cell::Count(n) = c { *n } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn presets_cover_this_month_last_month_ninety_days_and_the_year() {
        let p = presets(date(2026, 3, 31));
        let got: Vec<(&str, &str, &str)> = p.iter().map(|(l, f, t)| (*l, f.as_str(), t.as_str())).collect();
        assert_eq!(
            got,
            [
                ("This month", "2026-03-01", "2026-03-31"),
                ("Last month", "2026-02-01", "2026-02-28"),
                ("Last 90 days", "2026-01-01", "2026-03-31"),
                ("This year", "2026-01-01", "2026-03-31"),
            ]
        );
    }

    #[test]
    fn axis_figures_are_short() {
        assert_eq!((compact(&1_260_000.0), compact(&350_400.0), compact(&42.0)), ("1.3M".into(), "350k".into(), "42".into()));
    }
}
