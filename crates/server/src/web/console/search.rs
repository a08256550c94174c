//! Finding an account by what the person on the phone says: a name, the account's reference, a
//! phone number or an e-mail address. One match opens the account at once; results also update
//! as the agent types, swapped into the page in place.

use super::Staff;
use crate::AppState;
use crate::api::access::Action;
use crate::api::problem::Problem;
use crate::web::format::{label, money};
use crate::web::{Chrome, message, page, see_other};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use recoup_domain::contact::normalize_phone;
use recoup_store::listing::AccountFilter;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/search", get(search))
}

const LIMIT: u32 = 50;

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    /// Results as the agent types (htmx swaps them in): a single match is listed, not opened.
    #[serde(default)]
    live: Option<String>,
}

struct Found {
    id: Uuid,
    reference: String,
    names: String,
    client: String,
    status: String,
    owed: String,
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct Results {
    chrome: Chrome,
    q: String,
    searched_by: &'static str,
    found: Vec<Found>,
}

/// What the text looks like, and so how it is looked up.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Email(String),
    Phone(String),
    /// A reference or a name: both are tried.
    Words(String),
}

fn kind(q: &str) -> Kind {
    let q = q.trim();
    if q.contains('@') {
        return Kind::Email(q.to_lowercase());
    }
    let digits = q.chars().filter(char::is_ascii_digit).count();
    let phoneish = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    match normalize_phone(q) {
        Ok(p) if phoneish && digits >= 10 => Kind::Phone(p.e164),
        _ => Kind::Words(q.to_string()),
    }
}

async fn search(State(state): State<AppState>, staff: Staff, Query(sq): Query<SearchQuery>) -> Response {
    match find(&state, &staff, &sq.q).await {
        Ok((_, found)) if found.len() == 1 && sq.live.is_none() => see_other(&format!("/console/accounts/{}", found[0].id)),
        Ok((searched_by, found)) => {
            page(StatusCode::OK, &Results { chrome: staff.chrome("Search", ""), q: sq.q.trim().to_string(), searched_by, found })
        }
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn find(state: &AppState, staff: &Staff, q: &str) -> Result<(&'static str, Vec<Found>), Problem> {
    let p = &staff.p;
    crate::api::access::allow(p, Action::ReadAccounts)?;
    if q.trim().is_empty() {
        return Ok(("", Vec::new()));
    }
    let (by, ids): (&'static str, Vec<Uuid>) = match kind(q) {
        Kind::Email(e) => ("e-mail", state.store.accounts_by_name_or_email(p.tenant_id, "", &e, LIMIT).await?),
        Kind::Phone(e164) => {
            ("phone", state.store.contact_points_by_phone(p.tenant_id, &e164).await?.into_iter().map(|(a, _)| a).collect())
        }
        Kind::Words(w) => {
            let filter = AccountFilter { external_ref: Some(w.clone()), ..AccountFilter::default() };
            let mut ids: Vec<Uuid> =
                state.store.list_accounts(p.tenant_id, &filter, None, LIMIT).await?.into_iter().map(|a| a.id).collect();
            ids.extend(state.store.accounts_by_name_or_email(p.tenant_id, &w, "", LIMIT).await?);
            ("reference or name", ids)
        }
    };
    let clients = state.store.list_clients(p.tenant_id).await?;
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in ids.into_iter().filter(|id| seen.insert(*id)).take(LIMIT as usize) {
        let Some((a, balance)) = state.store.account_with_balance(p.tenant_id, id).await? else { continue };
        // A client's staff find only their client's accounts, as everywhere else.
        if !p.sees_client(a.client_id) {
            continue;
        }
        let parties = state.store.parties_of(p.tenant_id, id).await?;
        found.push(Found {
            id,
            reference: a.external_ref.clone(),
            names: parties.iter().map(|pp| pp.party.display_name()).collect::<Vec<_>>().join(", "),
            client: clients.iter().find(|c| c.id == a.client_id).map(|c| c.name.clone()).unwrap_or_default(),
            status: label(&a.status),
            owed: money(balance.owed(), a.currency.code()),
        });
    }
    Ok((by, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_says_how_to_look() {
        assert_eq!(kind(" Ana@Example.COM "), Kind::Email("ana@example.com".into()));
        assert_eq!(kind("(512) 555-7955"), Kind::Phone("+15125557955".into()));
        assert_eq!(kind("+1 512 555 7955"), Kind::Phone("+15125557955".into()));
        assert_eq!(kind("A-00000042"), Kind::Words("A-00000042".into()), "a reference with digits is not a phone");
        assert_eq!(kind("5125557"), Kind::Words("5125557".into()), "too short for a phone");
        assert_eq!(kind("Muñoz"), Kind::Words("Muñoz".into()));
    }
}
