//! Placement files over HTTP: the same import, checks and report as `recoup import placements`.
//! The body is streamed to a temporary file first (memory stays flat whatever its size), then
//! imported; the answer is the validation report, every rejected row with its line and column.

use super::access::{Action, allow};
use super::auth::Principal;
use super::paging::Page;
use super::problem::{FieldError, Problem, ProblemDocument};
use crate::AppState;
use crate::hardening::{UPLOAD_LIMIT_BYTES, too_large};
use crate::import::{ImportRequest, ImportRunError, ImportSummary};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use recoup_domain::org::{ImportCounts, Placement};
use recoup_import::{Format, Mapping, PlacementReader, RejectWriter, find_duplicate_refs};
use recoup_store::Actor;
use serde::Serialize;
use std::io::{Seek, Write};
use uuid::Uuid;

/// How many rejected rows the answer lists; the counts always cover all of them.
const REPORTED_REJECTS: usize = 1_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct RejectedRow {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The column the first fault is in, as the file names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub error: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Absent on a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement_id: Option<Uuid>,
    pub dry_run: bool,
    pub counts: ImportCounts,
    /// Rows the file got wrong, with where and why (the first 1,000).
    pub rejected: Vec<RejectedRow>,
    /// True when more rows were rejected than are listed.
    pub rejected_truncated: bool,
}

struct Options {
    client: Option<String>,
    portfolio: String,
    format: Option<Format>,
    placed_on: Option<jiff::civil::Date>,
    dry_run: bool,
    file_name: String,
}

fn options(query: Option<&str>) -> Result<Options, Problem> {
    let mut o =
        Options { client: None, portfolio: "default".into(), format: None, placed_on: None, dry_run: false, file_name: "upload".into() };
    Page::parse_with(query, None, 1, |name, value, errors| {
        let mut bad = |detail: &str| errors.push(FieldError { pointer: format!("/{name}"), detail: detail.into() });
        match name {
            "client" => o.client = Some(value.to_string()),
            "portfolio" => o.portfolio = value.to_string(),
            "format" => match Format::parse(value) {
                Some(f) => o.format = Some(f),
                None => bad("must be csv or jsonl"),
            },
            "placed_on" => match value.parse() {
                Ok(d) => o.placed_on = Some(d),
                Err(_) => bad("must be a date such as 2026-11-23"),
            },
            "dry_run" => match value {
                "true" | "1" => o.dry_run = true,
                "false" | "0" => o.dry_run = false,
                _ => bad("must be true or false"),
            },
            "file_name" if !value.is_empty() && value.len() <= 255 => o.file_name = value.to_string(),
            "file_name" => bad("1 to 255 characters"),
            _ => return false,
        }
        true
    })?;
    Ok(o)
}

/// The format the query names, else the one the content type says, else CSV.
fn format_of(o: &Options, headers: &HeaderMap) -> Format {
    if let Some(f) = o.format {
        return f;
    }
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ct.contains("ndjson") || ct.contains("jsonl") || ct.contains("json-seq") { Format::JsonLines } else { Format::Csv }
}

/// Upload a placement file (CSV or JSON Lines, in the documented standard format) for a client
/// and portfolio. Good rows land, bad rows are reported with line and column and change nothing;
/// accounts already placed are updated or left unchanged, never duplicated.
#[utoipa::path(post, path = "/api/v1/placements", tag = "placements",
    request_body(content = String, content_type = "text/csv", description = "The placement file"),
    params(
        ("client" = String, Query, description = "The client's code"),
        ("portfolio" = Option<String>, Query, description = "The portfolio's code (default: `default`, created if missing)"),
        ("format" = Option<String>, Query, description = "csv or jsonl; else from the content type"),
        ("placed_on" = Option<String>, Query, description = "The placement date (default today, UTC)"),
        ("dry_run" = Option<bool>, Query, description = "Check everything, write nothing"),
        ("file_name" = Option<String>, Query, description = "Kept with the placement"),
    ),
    responses(
        (status = 201, body = ImportReport, description = "Imported; the report lists rejected rows"),
        (status = 200, body = ImportReport, description = "A dry run's report"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 413, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json", description = "The file as a whole is unreadable"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn upload(State(state): State<AppState>, p: Principal, RawQuery(q): RawQuery, headers: HeaderMap, body: Body) -> Response {
    let key = match super::idempotency::key_of(&headers) {
        Ok(k) => k,
        Err(problem) => return problem.into_response(),
    };
    let target = match &q {
        Some(q) => format!("{}?{q}", crate::hardening::UPLOAD_PATH),
        None => crate::hardening::UPLOAD_PATH.to_string(),
    };
    let mut hasher = super::idempotency::request_hasher(&axum::http::Method::POST, &target);
    let file = match allow(&p, Action::UploadPlacements).map(|_| ()) {
        Ok(()) => spool(body, &mut hasher).await,
        Err(problem) => return problem.into_response(),
    };
    let file = match file {
        Ok(Some(f)) => f,
        Ok(None) => return too_large(UPLOAD_LIMIT_BYTES),
        Err(problem) => return problem.into_response(),
    };
    let Some(key) = key else {
        return run_upload(&state, &p, q, &headers, file).await.unwrap_or_else(IntoResponse::into_response);
    };
    // The same file sent again with the same key gets the first report, not a second placement.
    let hash: [u8; 32] = sha2::Digest::finalize(hasher).into();
    if let Some(answer) = super::idempotency::begin(&state, &p, &key, &hash).await {
        return answer;
    }
    let resp = run_upload(&state, &p, q, &headers, file).await.unwrap_or_else(IntoResponse::into_response);
    super::idempotency::remember(&state, &p, &key, resp).await
}

async fn run_upload(
    state: &AppState,
    p: &Principal,
    q: Option<String>,
    headers: &HeaderMap,
    file: std::fs::File,
) -> Result<Response, Problem> {
    let (state, p) = (state.clone(), p.clone());
    let o = options(q.as_deref())?;
    let Some(code) = o.client.as_deref() else {
        let e = FieldError { pointer: "/client".into(), detail: "name the client's code".into() };
        return Err(Problem::invalid("the query parameters are not valid", vec![e]));
    };
    let client = state.store.client_by_code(p.tenant_id, code).await?.filter(|c| p.sees_client(c.id));
    let Some(client) = client else { return Err(p.not_found("client", code)) };
    let found = crate::import::find_portfolio(state.store.as_ref(), &client, &o.portfolio).await?;
    let Some((portfolio, new_portfolio)) = found else { return Err(p.not_found("portfolio", &o.portfolio)) };
    let format = format_of(&o, headers);
    let actor = Actor::new(p.subject.to_string());
    let req = ImportRequest {
        tenant_id: p.tenant_id,
        client,
        portfolio,
        file_name: o.file_name.clone(),
        placed_on: o.placed_on.unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()),
        dry_run: o.dry_run,
        actor: actor.clone(),
    };
    if new_portfolio && !o.dry_run {
        state.store.create_portfolio(&req.portfolio, &actor).await?;
    }
    let summary = import(&state, file, format, req).await?;
    let status = if o.dry_run { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(report(summary, o.dry_run))).into_response())
}

/// Streams the body into a temporary file, hashing it on the way; `None` when it grows past the
/// upload limit.
async fn spool(mut body: Body, hasher: &mut sha2::Sha256) -> Result<Option<std::fs::File>, Problem> {
    let mut file = tempfile::tempfile().map_err(|e| {
        tracing::error!(error = %e, "cannot create a temporary file for an upload");
        Problem::internal()
    })?;
    let mut size = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Request too large", "the upload was cut off"))?;
        let Some(data) = frame.data_ref() else { continue };
        size += data.len();
        if size > UPLOAD_LIMIT_BYTES {
            return Ok(None);
        }
        sha2::Digest::update(hasher, data);
        file.write_all(data).map_err(|e| {
            tracing::error!(error = %e, "writing an upload to disk failed");
            Problem::internal()
        })?;
    }
    file.rewind().map_err(|_| Problem::internal())?;
    Ok(Some(file))
}

async fn import(state: &AppState, file: std::fs::File, format: Format, req: ImportRequest) -> Result<ImportSummary, Problem> {
    let unreadable = |e: recoup_import::ImportError| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unreadable-file", "Unreadable placement file", e.to_string())
    };
    let mapping = Mapping::standard();
    let again = |f: &std::fs::File| -> Result<std::fs::File, Problem> {
        let mut c = f.try_clone().map_err(|_| Problem::internal())?;
        c.rewind().map_err(|_| Problem::internal())?;
        Ok(c)
    };
    let duplicates = find_duplicate_refs(again(&file)?, format, &mapping).map_err(unreadable)?;
    let ctx = req.context();
    let reader = PlacementReader::new(again(&file)?, format, &mapping, ctx.clone()).map_err(unreadable)?.with_duplicates(duplicates);
    // Every reject is in the summary's sample up to its size; the rejects file is not kept here.
    let rejects: Option<RejectWriter<std::io::Sink>> = None;
    crate::import::run_keeping(state.store.clone(), reader, ctx, rejects, req, |_| {}, REPORTED_REJECTS).await.map_err(|e| match e {
        ImportRunError::File(e) => unreadable(e),
        ImportRunError::Store { source, .. } => Problem::from(source),
        other => {
            tracing::error!(error = %other, "placement upload failed");
            Problem::internal()
        }
    })
}

fn report(s: ImportSummary, dry_run: bool) -> ImportReport {
    let mut rejected: Vec<RejectedRow> =
        s.sample_rejects.iter().map(|r| RejectedRow { line: r.line, column: r.column.clone(), error: r.reason.clone() }).collect();
    rejected.extend(s.refusals.iter().map(|r| RejectedRow { line: r.line, column: None, error: r.reason.clone() }));
    rejected.sort_by_key(|r| r.line);
    let truncated = s.counts.rejected as usize > rejected.len();
    rejected.truncate(REPORTED_REJECTS);
    ImportReport { placement_id: s.placement_id, dry_run, counts: s.counts, rejected, rejected_truncated: truncated }
}

/// A placement and its counts.
#[utoipa::path(get, path = "/api/v1/placements/{id}", tag = "placements",
    params(("id" = String, Path)),
    responses((status = 200, body = Placement), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn get_one(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Placement>, Problem> {
    allow(&p, Action::ReadAccounts)?;
    let found = match Uuid::parse_str(&id) {
        Ok(id) => state.store.placement(p.tenant_id, id).await?.filter(|pl| p.sees_client(pl.client_id)),
        Err(_) => None,
    };
    found.map(Json).ok_or_else(|| p.not_found("placement", &id))
}
