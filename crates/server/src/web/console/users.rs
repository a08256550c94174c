//! User and role admin: the tenant's people, adding one (the password is shown once), disabling
//! and enabling, and the queues and daily capacity of those who work lists.

use super::Staff;
use crate::AppState;
use crate::api::access::{Action, allow};
use crate::api::json::Body;
use crate::api::problem::Problem;
use crate::api::servicing::actor;
use crate::api::worklists::{self, AgentSettings};
use crate::users::{self, NewUser};
use crate::web::{Chrome, message, page, see_other};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use recoup_domain::access::Role;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/users", get(list).post(add))
        .route("/console/users/{id}/access", post(access))
        .route("/console/users/{id}/queues", post(queues))
}

struct Person {
    id: Uuid,
    name: String,
    email: String,
    role: &'static str,
    client: String,
    disabled: bool,
    works_lists: bool,
    queues: String,
    capacity: u32,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct Users {
    chrome: Chrome,
    people: Vec<Person>,
    clients: Vec<(Uuid, String)>,
    /// A new user's password, shown this once.
    created: Option<(String, String)>,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct Shown {
    #[serde(default)]
    done: Option<String>,
}

async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<Shown>) -> Response {
    let notice = q.done.as_deref().map(|d| match d {
        "access" => "Saved. A disabled user's sessions end at once.",
        _ => "Saved.",
    });
    show(&state, &staff, None, None, notice).await
}

async fn show(
    state: &AppState,
    staff: &Staff,
    created: Option<(String, String)>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Response {
    match load(state, staff, created, error.clone(), notice).await {
        Ok(u) => page(if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &u),
        Err(p) => message(p.status, staff.chrome(p.title, ""), p.title, &p.detail),
    }
}

async fn load(
    state: &AppState,
    staff: &Staff,
    created: Option<(String, String)>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Users, Problem> {
    let p = &staff.p;
    allow(p, Action::ManageUsers)?;
    let clients: Vec<(Uuid, String)> = state.store.list_clients(p.tenant_id).await?.into_iter().map(|c| (c.id, c.name)).collect();
    let agents = state.store.agents(p.tenant_id).await?;
    let people = state
        .store
        .list_users(p.tenant_id)
        .await?
        .into_iter()
        .map(|u| {
            let agent = agents.iter().find(|a| a.user_id == u.id);
            Person {
                id: u.id,
                client: u.client_id.and_then(|c| clients.iter().find(|(id, _)| *id == c)).map(|(_, n)| n.clone()).unwrap_or_default(),
                works_lists: matches!(u.role, Role::Agent | Role::Supervisor),
                queues: agent.map(|a| a.queues.join(", ")).unwrap_or_default(),
                capacity: agent.map_or(60, |a| a.daily_capacity),
                name: u.name,
                email: u.email,
                role: u.role.as_str(),
                disabled: u.disabled,
            }
        })
        .collect();
    Ok(Users { chrome: staff.chrome("Users", "/console/users"), people, clients, created, error, notice })
}

#[derive(Deserialize)]
struct AddForm {
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    client_id: String,
}

async fn add(State(state): State<AppState>, staff: Staff, Form(f): Form<AddForm>) -> Response {
    let result = async {
        allow(&staff.p, Action::ManageUsers)?;
        let role = Role::parse(&f.role).ok_or_else(|| Problem::from(recoup_store::StoreError::invalid("/role", "choose a role")))?;
        let client_id = Uuid::parse_str(f.client_id.trim()).ok();
        let password = users::generated_password();
        let new = NewUser { email: f.email.clone(), name: f.name.clone(), role, client_id };
        let user = users::add(state.store.as_ref(), staff.p.tenant_id, new, password.clone(), &actor(&staff.p)).await?;
        Ok::<_, Problem>((user.email, password))
    }
    .await;
    match result {
        Ok(created) => show(&state, &staff, Some(created), None, None).await,
        Err(p) => {
            let why = p.errors.first().map_or(p.detail.clone(), |e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.detail));
            show(&state, &staff, None, Some(why), None).await
        }
    }
}

#[derive(Deserialize)]
struct AccessForm {
    /// "disable" or "enable".
    access: String,
}

async fn access(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>, Form(f): Form<AccessForm>) -> Response {
    let result = async {
        allow(&staff.p, Action::ManageUsers)?;
        if crate::api::auth::Subject::User(id) == staff.p.subject {
            return Err(Problem::from(recoup_store::StoreError::invalid("/user", "you cannot disable yourself")));
        }
        state.store.set_user_disabled(staff.p.tenant_id, id, f.access == "disable", &actor(&staff.p)).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => see_other("/console/users?done=access"),
        Err(p) => show(&state, &staff, None, Some(p.detail), None).await,
    }
}

#[derive(Deserialize)]
struct QueuesForm {
    queues: String,
    capacity: u32,
}

async fn queues(State(state): State<AppState>, staff: Staff, Path(id): Path<Uuid>, Form(f): Form<QueuesForm>) -> Response {
    let settings = AgentSettings {
        queues: f.queues.split(',').map(str::trim).filter(|q| !q.is_empty()).map(String::from).collect(),
        daily_capacity: f.capacity,
        time_zone: None,
    };
    match worklists::set_agent(State(state.clone()), staff.p.clone(), Path(id.to_string()), Body(settings)).await {
        Ok(_) => see_other("/console/users?done=queues"),
        Err(p) => {
            let why = p.errors.first().map_or(p.detail.clone(), |e| format!("{}: {}", e.pointer.trim_start_matches('/'), e.detail));
            show(&state, &staff, None, Some(why), None).await
        }
    }
}
