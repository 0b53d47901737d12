//! Resumable package upload and the JSON/CSV endpoints the pages' scripts call.
//!
//! `POST /api/uploads` opens an upload; `PUT /api/uploads/{id}?offset=N` appends a chunk that
//! must start where the stored bytes end (a retried chunk is answered with the real offset, so
//! the client resumes from there); `GET /api/uploads/{id}` says where that is; `POST
//! /api/uploads/{id}/finish` with the package's SHA-256 validates the package and records the
//! provision. Finishing twice returns the same record: no package is ever stored twice.
//! Every call needs the session cookie *and* the `X-CSRF-Token` header.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakou_store::session::csrf_token_valid;
use kakou_store::{Actor, StoreError};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::session::of_headers;

/// The largest chunk accepted in one request.
pub const MAX_CHUNK: usize = 16 << 20;

type Answer = Result<Response, Response>;

pub(super) fn answer(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

pub(super) fn store_error(e: StoreError) -> Response {
    let status = match &e {
        StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::WrongOffset { .. } | StoreError::Conflict(_) => StatusCode::CONFLICT,
        StoreError::Invalid(_) | StoreError::HashMismatch { .. } | StoreError::PackageRejected(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    match e {
        StoreError::PackageRejected(report) => {
            (status, Json(json!({ "error": "package rejected", "report": report }))).into_response()
        }
        other => answer(status, other.to_string()),
    }
}

/// The caller, if signed in and carrying the session's CSRF token.
async fn actor(state: &AppState, headers: &HeaderMap, needs_csrf: bool) -> Result<Actor, Response> {
    session_of(state, headers, needs_csrf).await.map(|s| Actor::from(&s.user))
}

/// The caller's session, if signed in and (when `needs_csrf`) carrying its CSRF token; a
/// wrong token is audited.
pub(super) async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
    needs_csrf: bool,
) -> Result<kakou_store::Session, Response> {
    let session = of_headers(state, headers).await.map_err(store_error)?;
    let Some((session, _)) = session else {
        return Err(answer(StatusCode::UNAUTHORIZED, "sign-in required"));
    };
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if needs_csrf && !csrf_token_valid(&session, token) {
        let event = kakou_store::AuditEvent {
            actor: session.user.email.clone(),
            org_id: Some(session.user.org_id),
            action: "csrf.rejected".into(),
            target: format!("user:{}", session.user.id),
            detail: json!({}),
        };
        let _ = state.store.append_audit(event).await;
        return Err(answer(StatusCode::FORBIDDEN, "CSRF token missing or wrong"));
    }
    Ok(session)
}

pub async fn create(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let actor = actor(&state, &headers, true).await?;
    let upload = state.store.create_upload(&actor).await.map_err(store_error)?;
    Ok(Json(json!({ "id": upload.id, "offset": upload.received })).into_response())
}

pub async fn status(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let actor = actor(&state, &headers, false).await?;
    let upload = state.store.upload(&actor, &id).await.map_err(store_error)?;
    Ok(Json(json!({ "id": upload.id, "offset": upload.received, "status": upload.status })).into_response())
}

#[derive(Deserialize)]
pub struct ChunkQuery {
    offset: u64,
}

pub async fn put_chunk(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ChunkQuery>,
    body: Bytes,
) -> Answer {
    let actor = actor(&state, &headers, true).await?;
    match state.store.put_chunk(&actor, &id, q.offset, body).await {
        Ok(upload) => Ok(Json(json!({ "id": upload.id, "offset": upload.received })).into_response()),
        Err(StoreError::WrongOffset { expected, .. }) => {
            Err((StatusCode::CONFLICT, Json(json!({ "error": "wrong offset", "offset": expected }))).into_response())
        }
        Err(e) => Err(store_error(e)),
    }
}

#[derive(Deserialize)]
pub struct Finish {
    sha256: String,
}

pub async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Finish>,
) -> Answer {
    let actor = actor(&state, &headers, true).await?;
    let (package, provision) = state.store.finish_upload(&actor, &id, &body.sha256).await.map_err(store_error)?;
    Ok(Json(json!({ "id": provision.id, "package": package.id, "sha256": provision.sha256, "provision": provision }))
        .into_response())
}

/// The organisation's opt-out pseudonyms, for the browser to leave those patients out.
pub async fn optout_list(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let actor = actor(&state, &headers, true).await?;
    let list = state.store.list_optouts(&actor).await.map_err(store_error)?;
    let pseudonyms: Vec<String> = list.into_iter().map(|o| o.patient_id).collect();
    Ok(Json(json!({ "pseudonyms": pseudonyms })).into_response())
}

pub async fn provisions_csv(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let actor = actor(&state, &headers, false).await?;
    let text = state.store.export_provisions_csv(&actor).await.map_err(store_error)?;
    Ok(download(text, "text/csv; charset=utf-8", "provisions.csv"))
}

pub async fn provisions_json(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    let actor = actor(&state, &headers, false).await?;
    let text = state.store.export_provisions_json(&actor).await.map_err(store_error)?;
    Ok(download(text, "application/json", "provisions.json"))
}

fn download(text: String, content_type: &'static str, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], text)
        .into_response()
}

pub async fn not_found() -> Response {
    answer(StatusCode::NOT_FOUND, "no such endpoint")
}
