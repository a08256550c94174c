//! The approvals inbox: settlements deeper than their offerer's limit, waiting for a senior
//! role. Deciding runs the API's decision, which refuses anyone deciding their own request.

use super::Staff;
use super::account::{SettlementRow, settlement_rows};
use crate::AppState;
use crate::api::access::{Action, may};
use crate::api::settlements;
use crate::web::{Chrome, message, page};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/approvals", get(inbox))
}

struct Waiting {
    reference: String,
    row: SettlementRow,
}

#[derive(Template)]
#[template(path = "console/approvals.html")]
struct Inbox {
    chrome: Chrome,
    items: Vec<Waiting>,
    done: bool,
    back: &'static str,
}

#[derive(Deserialize)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn inbox(State(state): State<AppState>, staff: Staff, Query(q): Query<Done>) -> Response {
    if !may(&staff.p, Action::ApproveSettlements) {
        return message(StatusCode::FORBIDDEN, staff.chrome("Not allowed", ""), "Not allowed", "Your role does not approve settlements.");
    }
    let pending = match settlements::pending(State(state.clone()), staff.p.clone()).await {
        Ok(axum::Json(items)) => items.items,
        Err(p) => return message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    };
    let mut items = Vec::new();
    for s in pending {
        let Ok(Some(file)) = state.store.account_file(staff.p.tenant_id, s.account_id).await else { continue };
        let Ok(rows) = settlement_rows(&file, &staff.p) else { continue };
        items.extend(rows.into_iter().filter(|r| r.id == s.id).map(|row| Waiting { reference: file.account.external_ref.clone(), row }));
    }
    let inbox = Inbox { chrome: staff.chrome("Approvals", "/console/approvals"), items, done: q.done.is_some(), back: "approvals" };
    page(StatusCode::OK, &inbox)
}
