//! The staff console: signing in, each role's home, the account page and its actions.

mod account;
mod approvals;
mod audit;
mod clients;
mod floor;
mod reports;
mod search;
mod strategy;
mod users;

pub(crate) use account::card_input;

use super::{Chrome, page, see_other};
use crate::AppState;
use crate::api::access::{Action, may};
use crate::api::auth::{Principal, Subject, session_cookie};
use crate::api::session::{Opened, named_cookie, open};
use crate::api::worklists::{ListQuery, at_capacity, next_work};
use crate::web::csrf;
use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use recoup_domain::access::{Role, User};
use recoup_store::worklist::Next;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/next", post(next))
        .merge(account::router())
        .merge(approvals::router())
        .merge(audit::router())
        .merge(clients::router())
        .merge(floor::router())
        .merge(reports::router())
        .merge(search::router())
        .merge(strategy::router())
        .merge(users::router())
}

/// A signed-in staff member, with the token their forms carry. A request without a live session
/// is sent to the login page instead (the rejection), coming back here once signed in.
pub struct Staff {
    pub p: Principal,
    pub user: User,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
        let to_login =
            || see_other(&format!("/console/login?next={}", form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()));
        let Some(token) = session_cookie(&parts.headers).map(str::to_string) else { return Err(to_login()) };
        let p = Principal::from_request_parts(parts, state).await.map_err(|_| to_login())?;
        let Subject::User(user_id) = p.subject else { return Err(to_login()) };
        let user = match state.store.user(p.tenant_id, user_id).await {
            Ok(Some(u)) => u,
            _ => return Err(to_login()),
        };
        Ok(Staff { csrf: csrf::token(state.store.as_ref(), &token), p, user })
    }
}

impl Staff {
    /// The frame of a console page: navigation by role, the search box, sign-out.
    pub fn chrome(&self, title: &str, here: &str) -> Chrome {
        let mut nav = Vec::new();
        if self.user.role != Role::Client {
            nav.push(("/console".to_string(), "Work".to_string()));
        }
        if may(&self.p, Action::ManageAgents) {
            nav.push(("/console/floor".to_string(), "Floor".to_string()));
        }
        if may(&self.p, Action::ReadStrategies) {
            nav.push(("/console/strategy".to_string(), "Strategy".to_string()));
        }
        if may(&self.p, Action::ReadClients) {
            let label = if self.p.role == Role::Client { "Portfolios" } else { "Clients" };
            nav.push(("/console/clients".to_string(), label.to_string()));
        }
        if may(&self.p, Action::ReadReports) {
            nav.push(("/console/reports".to_string(), "Reports".to_string()));
        }
        if may(&self.p, Action::ApproveSettlements) {
            nav.push(("/console/approvals".to_string(), "Approvals".to_string()));
        }
        if may(&self.p, Action::ManageUsers) {
            nav.push(("/console/users".to_string(), "Users".to_string()));
        }
        if may(&self.p, Action::ReadAudit) {
            nav.push(("/console/audit".to_string(), "Audit".to_string()));
            nav.push(("/api/docs".to_string(), "API".to_string()));
        }
        Chrome {
            title: title.into(),
            lang: "en",
            csrf: Some(self.csrf.clone()),
            nav: nav.into_iter().map(|(href, label)| (href.clone(), label, href == here)).collect(),
            who: Some(format!("{} ({})", self.user.name, self.user.role.as_str())),
            sign_out: Some("/console/logout"),
            search: may(&self.p, Action::ReadAccounts),
            home: "/console",
            narrow: false,
        }
    }
}

fn plain_chrome(title: &str) -> Chrome {
    Chrome {
        title: title.into(),
        lang: "en",
        csrf: None,
        nav: Vec::new(),
        who: None,
        sign_out: None,
        search: false,
        home: "/console",
        narrow: true,
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextParam {
    #[serde(default)]
    next: Option<String>,
}

/// Only a page of the console is a place to go back to (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/console") && !n.starts_with("//")).unwrap_or("/console").to_string()
}

async fn login_page(Query(q): Query<NextParam>) -> Response {
    let form = LoginPage { chrome: plain_chrome("Sign in"), next: safe_next(q.next.as_deref()), email: String::new(), error: None };
    page(StatusCode::OK, &form)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(State(state): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let next = safe_next(f.next.as_deref());
    let again = |status, error: String| {
        page(status, &LoginPage { chrome: plain_chrome("Sign in"), next: next.clone(), email: f.email.clone(), error: Some(error) })
    };
    match open(&state, &f.email, f.password.clone()).await {
        Ok(Opened::Yes(_, token)) => {
            let mut res = see_other(&next);
            res.headers_mut()
                .insert(header::SET_COOKIE, named_cookie(crate::api::auth::SESSION_COOKIE, &token, None, state.secure_cookies));
            res
        }
        Ok(Opened::Locked { wait_micros }) => {
            let wait = crate::api::throttle::wait_text(wait_micros);
            let mut res = again(StatusCode::TOO_MANY_REQUESTS, format!("Too many failed sign-ins for this e-mail. Try again in {wait}."));
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(crate::api::session::retry_after_seconds(wait_micros)));
            res
        }
        Err(p) if p.status == StatusCode::UNAUTHORIZED => {
            again(StatusCode::UNAUTHORIZED, "The e-mail or the password is wrong, or the user is disabled.".into())
        }
        Err(p) => again(p.status, p.detail),
    }
}

async fn logout(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    super::sign_out(&state, &headers, crate::api::auth::SESSION_COOKIE, "/console/login").await
}

/// One row of a worklist as the home page shows it.
struct WorkRow {
    account_id: String,
    reference: String,
    queue: String,
    reason: String,
    due: String,
    expected: String,
    held: bool,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home {
    chrome: Chrome,
    name: String,
    role: &'static str,
    works_lists: bool,
    queues: Vec<String>,
    capacity: u32,
    rows: Vec<WorkRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct HomeQuery {
    #[serde(default)]
    notice: Option<String>,
}

async fn home(State(state): State<AppState>, staff: Staff, Query(q): Query<HomeQuery>) -> Response {
    match staff.user.role {
        Role::Client => return see_other("/console/clients"),
        Role::Auditor => return see_other("/console/audit"),
        _ => {}
    }
    let agent = match state.store.agent(staff.p.tenant_id, staff.user.id).await {
        Ok(a) => a,
        Err(e) => return crate::api::problem::Problem::from(e).into_response(),
    };
    let works_lists = agent.is_some() && may(&staff.p, Action::WorkAccounts);
    let mut rows = Vec::new();
    if let Some(a) = &agent
        && may(&staff.p, Action::ReadWorklists)
    {
        let q = ListQuery { queue: None, agent_id: Some(a.user_id), limit: Some(25) };
        if let Ok(axum::Json(items)) = crate::api::worklists::list(State(state.clone()), staff.p.clone(), Query(q)).await {
            rows = items
                .items
                .into_iter()
                .map(|w| WorkRow {
                    account_id: w.account_id.to_string(),
                    reference: w.external_ref,
                    queue: w.queue,
                    reason: w.reason,
                    due: super::format::instant(w.due_at),
                    expected: super::format::money(w.expected_minor, &w.currency),
                    held: w.held_by.is_some(),
                })
                .collect();
        }
    }
    let notice = q.notice.map(|n| match n.as_str() {
        "empty" => "Nothing is due in your queues right now.".to_string(),
        _ => n,
    });
    let home = Home {
        chrome: staff.chrome("Work", "/console"),
        name: staff.user.name.clone(),
        role: staff.user.role.as_str(),
        works_lists,
        queues: agent.as_ref().map(|a| a.queues.clone()).unwrap_or_default(),
        capacity: agent.as_ref().map_or(0, |a| a.daily_capacity),
        rows,
        notice,
    };
    page(StatusCode::OK, &home)
}

/// "Next account": the worklist hands out the first due account nobody holds, and the agent
/// lands on its page with the task in hand.
async fn next(State(state): State<AppState>, staff: Staff) -> Response {
    if staff.user.role == Role::Client || !may(&staff.p, Action::WorkAccounts) {
        return super::message(StatusCode::FORBIDDEN, staff.chrome("Not allowed", ""), "Not allowed", "Your role does not work lists.");
    }
    match next_work(&state, &staff.p, None).await {
        Ok(Next::Handed(item) | Next::Holding(item)) => see_other(&format!("/console/accounts/{}?task={}", item.account_id, item.task_id)),
        Ok(Next::Empty) => see_other("/console?notice=empty"),
        Ok(Next::AtCapacity { handed, capacity }) => {
            let p = at_capacity(handed, capacity);
            super::message(StatusCode::CONFLICT, staff.chrome("Daily capacity reached", ""), p.title, &p.detail)
        }
        Err(p) => super::message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_pages_are_places_to_go_back_to() {
        assert_eq!(safe_next(Some("/console/accounts/1")), "/console/accounts/1");
        assert_eq!(safe_next(Some("https://evil.example/")), "/console");
        assert_eq!(safe_next(Some("//evil.example/console")), "/console");
        assert_eq!(safe_next(None), "/console");
    }
}
