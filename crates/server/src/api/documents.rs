//! Documents on an account: uploaded as the raw body with its type, kept in the blob store by
//! SHA-256, linked to the account and optionally to a dispute, and downloaded as they came.
//! Only types a collections file needs are taken, and the bytes must be what the type says.

use super::access::Action;
use super::auth::Principal;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, actor, channel, record_of, records_of, today};
use crate::AppState;
use crate::blobs;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recoup_store::StoreError;
use recoup_store::servicing::document::{self, Document};
use serde::Deserialize;
use uuid::Uuid;

/// The largest document taken.
pub const DOCUMENT_LIMIT_BYTES: usize = 10 * 1024 * 1024;

/// The types taken, each with how its bytes must start (text must be UTF-8 without NULs).
const TYPES: [(&str, &[u8]); 4] =
    [("application/pdf", b"%PDF-"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xFF\xD8\xFF"), ("text/plain", b"")];

fn unsupported(detail: String) -> Problem {
    Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type", detail)
}

/// The declared type, once the bytes bear it out.
fn checked_type(declared: &str, bytes: &[u8]) -> Result<&'static str, Problem> {
    let essence = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let allowed = TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ");
    let (kind, magic) = TYPES.iter().find(|(t, _)| *t == essence).ok_or_else(|| unsupported(format!("send one of: {allowed}")))?;
    let looks_right = match *kind {
        "text/plain" => std::str::from_utf8(bytes).is_ok_and(|t| !t.contains('\0')),
        _ => bytes.starts_with(magic),
    };
    if !looks_right {
        return Err(unsupported(format!("the bytes are not {kind}")));
    }
    Ok(kind)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as the uploader knows it.
    pub name: String,
    /// The dispute the document belongs to, if any.
    #[serde(default)]
    pub dispute: Option<Uuid>,
}

fn check_name(name: &str) -> Result<String, Problem> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\', '\0']) {
        return Err(StoreError::invalid("/name", "a file name of 1 to 200 characters, without slashes").into());
    }
    Ok(name.to_string())
}

/// Upload a document (PDF, PNG, JPEG or plain text, up to 10 MiB) as the request body.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/documents", tag = "servicing", params(("id" = String, Path), UploadQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses(
        (status = 201, body = Document),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 415, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Document>), Problem> {
    let account = account_for(&state, &p, &id, Action::HandleDisputes).await?;
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let upload = Upload { name: &q.name, declared, bytes: &body, dispute: q.dispute, channel: channel(&p) };
    let doc = keep(&state, &account, upload, &actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// A document as it arrives, from the API, the console or the portal.
pub(crate) struct Upload<'a> {
    pub name: &'a str,
    /// The content type the sender gave; the bytes must match it.
    pub declared: &'a str,
    pub bytes: &'a [u8],
    pub dispute: Option<Uuid>,
    pub channel: String,
}

/// Checks a document (name, type against its first bytes, not empty), stores its bytes once by
/// their digest, and records it on the account.
pub(crate) async fn keep(
    state: &AppState,
    account: &recoup_domain::account::Account,
    up: Upload<'_>,
    actor: &recoup_store::Actor,
) -> Result<Document, Problem> {
    let file_name = check_name(up.name)?;
    if up.bytes.is_empty() {
        return Err(StoreError::invalid("", "the document is empty").into());
    }
    if up.bytes.len() > DOCUMENT_LIMIT_BYTES {
        return Err(StoreError::invalid("", "a document is at most 10 MiB").into());
    }
    let content_type = checked_type(up.declared, up.bytes)?;
    let sha256 = blobs::put(&state.blob_dir, account.tenant_id, up.bytes).await.map_err(|e| {
        tracing::error!(error = %e, "storing a document failed");
        Problem::internal()
    })?;
    let doc = Document {
        id: Uuid::now_v7(),
        account_id: account.id,
        dispute_id: up.dispute,
        file_name,
        content_type: content_type.into(),
        size: up.bytes.len() as u64,
        sha256,
        uploaded_on: today(),
        uploaded_by: String::new(),
        channel: up.channel,
    };
    let doc_id = doc.id;
    let changes = state.store.service(account.tenant_id, account.id, document::add(doc, actor)).await?;
    Ok(recoup_store::servicing::changed::<Document>(&changes, doc_id)?)
}

/// An account's documents, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/documents", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<Document>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Document>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}

/// Download a document as it was uploaded.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/documents/{document}", tag = "servicing",
    params(("id" = String, Path), ("document" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn download(State(state): State<AppState>, p: Principal, Path((id, doc)): Path<(String, String)>) -> Result<Response, Problem> {
    let (_, doc) = record_of::<Document>(&state, &p, &id, &doc).await?;
    let bytes = blobs::get(&state.blob_dir, p.tenant_id, &doc.sha256).await.map_err(|e| {
        tracing::error!(error = %e, document = %doc.id, "a stored document cannot be served");
        Problem::internal()
    })?;
    // Header values are ASCII; the name's other characters become underscores.
    let safe: String = doc.file_name.chars().map(|c| if c.is_ascii_graphic() && c != '"' || c == ' ' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{safe}\"");
    Ok(([(header::CONTENT_TYPE, doc.content_type), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}
