//! The audit trail for auditors and supervisors: entries filtered by account, by who acted and
//! by day, and on request the check of the whole hash chain.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, may};
use crate::api::audit::{self, ChainCheck};
use crate::web::{Chrome, message, page};
use askama::Template;
use axum::Router;
use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/audit", get(trail))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    actor: String,
    /// First day, inclusive (UTC).
    #[serde(default)]
    from: String,
    /// Last day, inclusive (UTC).
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    verify: Option<String>,
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    data: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct Trail {
    chrome: Chrome,
    f: Filters,
    rows: Vec<Row>,
    next: Option<String>,
    check: Option<ChainCheck>,
    can_verify: bool,
    error: Option<String>,
}

/// The API's query from the form: days become instants, empty fields are left out.
fn api_query(f: &Filters) -> String {
    let day_start = |d: &str, plus: i64| {
        d.trim()
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.checked_add(jiff::Span::new().days(plus)).ok())
            .map(|d| format!("{d}T00:00:00Z"))
    };
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !f.account_id.trim().is_empty() {
        pairs.push(("entity_id", f.account_id.trim().to_string()));
    }
    if !f.actor.trim().is_empty() {
        pairs.push(("actor", f.actor.trim().to_string()));
    }
    if let Some(from) = day_start(&f.from, 0) {
        pairs.push(("from", from));
    }
    if let Some(to) = day_start(&f.to, 1) {
        pairs.push(("to", to));
    }
    if !f.after.trim().is_empty() {
        pairs.push(("after", f.after.trim().to_string()));
    }
    pairs.push(("limit", "100".into()));
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn trail(State(state): State<AppState>, staff: Staff, Query(f): Query<Filters>) -> Response {
    if !may(&staff.p, Action::ReadAudit) {
        return message(StatusCode::FORBIDDEN, staff.chrome("Not allowed", ""), "Not allowed", "Your role does not read the audit trail.");
    }
    let (rows, next, error) = match audit::search(State(state.clone()), staff.p.clone(), RawQuery(Some(api_query(&f)))).await {
        Ok(axum::Json(found)) => {
            let rows = found
                .items
                .into_iter()
                .map(|e| Row {
                    seq: e.seq,
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    entity: e.entity,
                    entity_id: e.entity_id.to_string(),
                    data: e.data.to_string(),
                })
                .collect();
            (rows, found.next.map(|n| n.to_string()), None)
        }
        Err(p) => (
            Vec::new(),
            None,
            Some(p.errors.first().map_or(p.detail.clone(), |e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.detail))),
        ),
    };
    let can_verify = may(&staff.p, Action::VerifyAudit);
    // The whole chain is recomputed: on request only, not on every page.
    let check = match f.verify.is_some() && can_verify {
        true => audit::verify_audit(State(state.clone()), staff.p.clone()).await.ok().map(|j| j.0),
        false => None,
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    page(status, &Trail { chrome: staff.chrome("Audit trail", "/console/audit"), f, rows, next, check, can_verify, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_apis_query() {
        let f = Filters { from: "2026-11-01".into(), to: "2026-11-23".into(), actor: "user:1".into(), ..Filters::default() };
        assert_eq!(
            api_query(&f),
            "actor=user%3A1&from=2026-11-01T00%3A00%3A00Z&to=2026-11-24T00%3A00%3A00Z&limit=100",
            "the last day is included"
        );
        assert_eq!(api_query(&Filters::default()), "limit=100");
    }
}
