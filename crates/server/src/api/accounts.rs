//! Accounts: one by id, and the tenant's accounts a page at a time.

use super::access::{Action, allow, may};
use super::auth::Principal;
use super::problem::{FieldError, Problem, ProblemDocument};
use crate::{AppState, StoreOnly};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use recoup_domain::access::Role;
use recoup_domain::account::Account;
use recoup_domain::contact::ContactPoint;
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::party::{Party, PartyRole, format_national_id};
use recoup_domain::placement::PlacedParty;
use serde::Serialize;
use uuid::Uuid;

const MAX_LIMIT: u32 = 500;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountView {
    #[serde(flatten)]
    pub account: Account,
    /// Minor units per component, from the ledger.
    pub balance: Amounts,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Page {
    pub items: Vec<AccountView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One account with its balance by component.
///
/// Unknown ids, malformed ids, another tenant's ids and another client's ids all answer the
/// same 404, so the API never confirms that something exists elsewhere.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, body = AccountView),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn get_one(
    State(StoreOnly(store)): State<StoreOnly>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, Problem> {
    allow(&p, Action::ReadAccounts)?;
    // One read for both: this is the API's busiest route.
    let found = match Uuid::parse_str(&id) {
        Ok(uuid) => store.account_with_balance(p.tenant_id, uuid).await?,
        Err(_) => None,
    };
    let (account, balance) = found.filter(|(a, _)| p.sees_client(a.client_id)).ok_or_else(|| p.not_found("account", &id))?;
    Ok(Json(AccountView { account, balance }))
}

/// The account `id` names, if this caller may read it; every other case is the same 404.
pub(super) async fn visible_account(state: &AppState, p: &Principal, id: &str) -> Result<Account, Problem> {
    allow(p, Action::ReadAccounts)?;
    let not_found = || p.not_found("account", id);
    let Ok(uuid) = Uuid::parse_str(id) else { return Err(not_found()) };
    state.store.account(p.tenant_id, uuid).await?.filter(|a| p.sees_client(a.client_id)).ok_or_else(not_found)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ledger {
    /// Every movement, oldest first; each records its signed change per component.
    pub items: Vec<LedgerEntry>,
    /// Their sum.
    pub balance: Amounts,
}

/// An account's ledger: every money movement and the balance they add up to.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/ledger", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, body = Ledger),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn ledger(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Ledger>, Problem> {
    let account = visible_account(&state, &p, &id).await?;
    let items = state.store.ledger(p.tenant_id, account.id).await?;
    let balance = state.store.balance(p.tenant_id, account.id).await?;
    Ok(Json(Ledger { items, balance }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Parties {
    /// The primary debtor first, then co-obligors and guarantors, each with contact points and
    /// their consent per channel.
    pub items: Vec<PartyOnAccount>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartyOnAccount {
    pub role: PartyRole,
    pub party: PartyView,
    pub contact_points: Vec<ContactPoint>,
}

/// A party as the caller's role may see it. The full national id goes to admin and integrator
/// roles, the date of birth to admin, supervisor, agent and integrator; everyone sees the last
/// four digits, and `masked` names what is on file but withheld.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartyView {
    #[serde(flatten)]
    pub party: Party,
    /// The full national id, as 123-45-6789.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<jiff::civil::Date>,
    /// Sensitive fields on file that this caller may not see (`national_id`, `date_of_birth`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub masked: Vec<String>,
}

pub(crate) fn party_view(p: &Principal, placed: PlacedParty) -> PartyOnAccount {
    let PlacedParty { role, party, contact_points } = placed;
    let (may_id, may_dob) = (may(p, Action::SeeNationalId), may(p, Action::SeeDateOfBirth));
    let mut masked = Vec::new();
    if party.national_id.is_some() && !may_id {
        masked.push("national_id".to_string());
    }
    if party.date_of_birth.is_some() && !may_dob {
        masked.push("date_of_birth".to_string());
    }
    let national_id = party.national_id.as_ref().filter(|_| may_id).map(|n| format_national_id(n.expose()));
    let date_of_birth = party.date_of_birth.filter(|_| may_dob).map(|d| *d.expose());
    PartyOnAccount { role, party: PartyView { party, national_id, date_of_birth, masked }, contact_points }
}

/// An account's parties and their contact points.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/parties", tag = "accounts",
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, body = Parties),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn parties(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Parties>, Problem> {
    let account = visible_account(&state, &p, &id).await?;
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    Ok(Json(Parties { items: parties.into_iter().map(|party| party_view(&p, party)).collect() }))
}

/// The accounts the caller may see that pass the filters, a page at a time, in the order asked.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    params(
        ("status" = Option<String>, Query, description = "Comma-separated statuses, e.g. `active,recalled`"),
        ("stage" = Option<String>, Query, description = "Comma-separated stages: early, late, legal"),
        ("client_id" = Option<String>, Query), ("portfolio_id" = Option<String>, Query), ("placement_id" = Option<String>, Query),
        ("dpd_min" = Option<u32>, Query, description = "At least this many days past due (from first delinquency, as of today UTC)"),
        ("dpd_max" = Option<u32>, Query, description = "At most this many days past due"),
        ("balance_min" = Option<i64>, Query, description = "Owed (principal, interest, fees, costs) at least this, in minor units"),
        ("balance_max" = Option<i64>, Query, description = "Owed at most this, in minor units"),
        ("state" = Option<String>, Query, description = "A party's postal address is in this state (two letters)"),
        ("flag" = Option<String>, Query, description = "Comma-separated flags the account must all have, e.g. `disputed`"),
        ("updated_since" = Option<String>, Query, description = "Changed at or after this RFC 3339 time"),
        ("external_ref" = Option<String>, Query, description = "The client's reference, exactly"),
        ("sort" = Option<String>, Query, description = "`id` (default), `owed`, `first_delinquency_on` or `updated_at`; prefix `-` for descending"),
        ("after" = Option<String>, Query, description = "The `next` of the previous page (made for the same sort)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 500 (default 50)"),
        ("national_id" = Option<String>, Query, description = "Only accounts with a party whose full national id is this one \
            (123-45-6789 or nine digits), matched through a keyed hash; admin and integrator roles only"),
    ),
    responses(
        (status = 200, body = Page),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json", description = "The role may not search by national id"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, RawQuery(query): RawQuery) -> Result<Json<Page>, Problem> {
    allow(&p, Action::ReadAccounts)?;
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut listing = super::account_query::parse(query.as_deref(), today, MAX_LIMIT)?;
    if listing.filter.national_id.is_some() {
        allow(&p, Action::FindByNationalId)?;
    }
    // A client's credential is narrowed in the query itself, so its pages are full pages; asking
    // for another client's accounts finds none rather than revealing whether any exist.
    if p.role == Role::Client {
        if listing.filter.client_id.is_some_and(|asked| Some(asked) != p.client_id) {
            return Ok(Json(Page { items: Vec::new(), next: None }));
        }
        listing.filter.client_id = p.client_id;
    }
    let found = state.store.find_accounts(p.tenant_id, &listing).await?;
    let next = (found.len() == listing.limit as usize)
        .then(|| found.last().map(|l| listing.sort.cursor(&l.account, &l.balance, l.updated_at).encode()))
        .flatten();
    let items = found.into_iter().map(|l| AccountView { account: l.account, balance: l.balance }).collect();
    Ok(Json(Page { items, next }))
}

/// What a PATCH may change on an account: its status (with a reason), and its stage, queue and
/// agent. Unknown fields are refused: a typo must not be silently ignored. `null` clears the
/// queue or the agent; a field left out stays as it is.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    /// The new status; the account's status machine decides whether the move is allowed.
    #[serde(default)]
    pub status: Option<String>,
    /// Why the status changes, for the audit trail (required with `status`).
    #[serde(default)]
    pub reason: Option<String>,
    /// early, late or legal.
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub queue: Option<Option<String>>,
    /// A user of the tenant with the agent or supervisor role.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub agent_id: Option<Option<Uuid>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Change an account's status (for example recall it, or close it) with a reason, or its stage,
/// queue or agent. Every change goes into the audit trail with the caller's identity.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", request_body = AccountPatch,
    params(("id" = String, Path, description = "The account's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats with the same key return the first answer")),
    responses(
        (status = 200, body = AccountView),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json", description = "The status machine does not allow the move"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    super::json::Body(patch): super::json::Body<AccountPatch>,
) -> Result<Json<AccountView>, Problem> {
    let account = visible_account(&state, &p, &id).await?;
    let assigning = patch.stage.is_some() || patch.queue.is_some() || patch.agent_id.is_some();
    if patch.status.is_some() || !assigning {
        allow(&p, Action::ChangeAccountStatus)?;
    }
    if assigning {
        allow(&p, Action::AssignAccounts)?;
    }
    let mut errors = Vec::new();
    let mut bad = |pointer: &str, detail: String| errors.push(FieldError { pointer: pointer.into(), detail });
    let status = patch.status.as_deref().map(|s| recoup_domain::account::AccountStatus::parse(s.trim()));
    if status == Some(None) {
        let allowed: Vec<&str> = recoup_domain::account::AccountStatus::ALL.iter().map(|s| s.as_str()).collect();
        bad("/status", format!("must be one of {}", allowed.join(", ")));
    }
    let reason = patch.reason.as_deref().map(str::trim).unwrap_or("");
    if patch.status.is_some() && reason.is_empty() {
        bad("/reason", "say why; it goes into the audit trail".into());
    }
    if patch.status.is_none() && !assigning {
        bad("", "change at least one of status, stage, queue, agent_id".into());
    }
    let stage = patch.stage.as_deref().map(|s| recoup_domain::account::Stage::parse(s.trim()));
    if stage == Some(None) {
        bad("/stage", "must be one of early, late, legal".into());
    }
    let queue = patch.queue.map(|q| q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty()));
    if queue.as_ref().is_some_and(|q| q.as_ref().is_some_and(|q| q.chars().count() > 64)) {
        bad("/queue", "at most 64 characters".into());
    }
    if let Some(Some(agent)) = patch.agent_id {
        let user = state.store.user(p.tenant_id, agent).await?;
        let works = user.is_some_and(|u| !u.disabled && matches!(u.role, Role::Agent | Role::Supervisor));
        if !works {
            bad("/agent_id", "must be an active agent or supervisor of this tenant".into());
        }
    }
    if !errors.is_empty() {
        return Err(Problem::invalid("the change is not valid", errors));
    }
    // Refuse a status move the machine forbids before changing anything else, so a PATCH is
    // applied whole or not at all.
    if let Some(Some(to)) = status {
        account.status.transition(to).map_err(|e| Problem::from(recoup_store::StoreError::Transition(e)))?;
    }
    let actor = recoup_store::Actor::new(p.subject.to_string());
    let mut account = account;
    if assigning {
        let change = recoup_store::Assignment { stage: stage.flatten(), queue, agent_id: patch.agent_id };
        account = state.store.assign(p.tenant_id, account.id, &change, &actor).await?;
    }
    if let Some(Some(to)) = status {
        account = state.store.change_status(p.tenant_id, account.id, to, reason, &actor).await?;
    }
    let balance = state.store.balance(p.tenant_id, account.id).await?;
    Ok(Json(AccountView { account, balance }))
}
