//! Notes on an account: the collection team's working record, append-only.

use super::access::{Action, allow};
use super::accounts::visible_account;
use super::auth::Principal;
use super::json::Body;
use super::paging::Page;
use super::problem::{FieldError, Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use recoup_domain::note::{Note, check_body};
use recoup_store::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// Up to 4,000 characters, kept verbatim.
    pub body: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Notes {
    /// Newest first.
    pub items: Vec<Note>,
}

/// An account's notes, newest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/notes", tag = "accounts",
    params(("id" = String, Path), ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)")),
    responses((status = 200, body = Notes), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Notes>, Problem> {
    let account = visible_account(&state, &p, &id).await?;
    allow(&p, Action::ReadNotes)?;
    let page = Page::parse(q.as_deref(), None, 500)?;
    Ok(Json(Notes { items: state.store.notes(p.tenant_id, account.id, page.limit).await? }))
}

/// Add a note to an account.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/notes", tag = "accounts", request_body = NewNote,
    params(("id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats with the same key return the first answer")),
    responses(
        (status = 201, body = Note),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn add(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(new): Body<NewNote>,
) -> Result<(StatusCode, Json<Note>), Problem> {
    let account = visible_account(&state, &p, &id).await?;
    allow(&p, Action::AddNotes)?;
    let body = check_body(&new.body)
        .map_err(|e| Problem::invalid("the note is not valid", vec![FieldError { pointer: "/body".into(), detail: e.to_string() }]))?;
    let note = Note {
        id: Uuid::now_v7(),
        tenant_id: p.tenant_id,
        account_id: account.id,
        author: p.subject.to_string(),
        body,
        created_at: jiff::Timestamp::now().as_microsecond(),
    };
    state.store.add_note(&note, &Actor::new(p.subject.to_string())).await?;
    Ok((StatusCode::CREATED, Json(note)))
}
