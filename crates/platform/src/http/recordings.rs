//! `PUT /api/v1/calls/{id}/recording`: the agent who talked on a call uploads its recording
//! (stereo Ogg/Opus), with its SHA-256 in `X-Content-SHA256`. Idempotent: the same bytes again
//! are answered 200, different ones 409; the body is streamed to disk and checked (size,
//! Ogg magic, checksum) before it is kept. `GET` of the same path serves it, with single
//! byte ranges, to whoever may see the call (agent own, supervisor team, admin all); 404 for
//! the rest, as for the record itself.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use protocol::ErrorCode;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::auth::{authenticate, error_response};
use super::history::store_failure;
use super::AppState;
use crate::recordings::range::{slice, Slice};
use crate::store::calls::Visibility;
use crate::store::recordings::{KeptRecording, UploadRight};

/// Largest recording accepted: about 18 hours of 32 kb/s stereo Opus.
pub const MAX_RECORDING_BYTES: u64 = 256 * 1024 * 1024;
/// The checksum header.
pub const CHECKSUM_HEADER: &str = "x-content-sha256";

fn refuse(status: StatusCode, code: ErrorCode, message: String) -> Response {
    error_response(status, code, message)
}

fn kept_json(call_id: &str, kept: &KeptRecording) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "recording_id": call_id, "size": kept.size, "sha256": kept.sha256,
    }))
}

fn io_failure(error: std::io::Error) -> Response {
    tracing::error!(%error, "recording store failed");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InternalError,
        "the recording could not be stored; retry".into(),
    )
}

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call_id): Path<String>,
    body: Body,
) -> Response {
    let agent = match authenticate(&state.store, &headers).await {
        Ok(agent) => agent,
        Err(refusal) => return refusal,
    };
    let expected = headers
        .get(CHECKSUM_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()));
    let Some(expected) = expected else {
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("{CHECKSUM_HEADER} must carry the body's SHA-256 as 64 hex digits"),
        );
    };
    match state.store.upload_right(&call_id, &agent.id).await {
        Err(error) => return store_failure(error),
        Ok(UploadRight::UnknownCall) => {
            return refuse(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownCall,
                format!("no call {call_id} on record"),
            )
        }
        Ok(UploadRight::NotTheirs) => {
            return refuse(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!("call {call_id} was not answered or placed by this agent"),
            )
        }
        Ok(UploadRight::Talker(Some(kept))) => return already(&call_id, &kept, &expected),
        Ok(UploadRight::Talker(None)) => {}
    }
    let scratch = state.recordings.scratch();
    let received = receive(body, &scratch).await;
    let kept = match received {
        Ok(Received::Kept(kept)) => kept,
        Ok(refusal) => {
            let _ = tokio::fs::remove_file(&scratch).await;
            return refusal.response();
        }
        Err(error) => {
            let _ = tokio::fs::remove_file(&scratch).await;
            return io_failure(error);
        }
    };
    if kept.sha256 != expected {
        let _ = tokio::fs::remove_file(&scratch).await;
        return refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!(
                "checksum mismatch: the body's SHA-256 is {}, {CHECKSUM_HEADER} says {expected}",
                kept.sha256
            ),
        );
    }
    if let Err(error) = state.recordings.save(&call_id, &scratch).await {
        let _ = tokio::fs::remove_file(&scratch).await;
        if error.kind() != std::io::ErrorKind::AlreadyExists {
            return io_failure(error);
        }
        // Another upload of this call won the race: answer as a repeat would be.
        return match state.store.upload_right(&call_id, &agent.id).await {
            Ok(UploadRight::Talker(Some(existing))) => already(&call_id, &existing, &expected),
            Ok(_) => io_failure(error),
            Err(e) => store_failure(e),
        };
    }
    match state.store.link_recording(&call_id, &agent.id, &kept).await {
        Ok(_) => {
            tracing::info!(call_id, size = kept.size, "call recording kept");
            (StatusCode::CREATED, kept_json(&call_id, &kept)).into_response()
        }
        Err(error) => store_failure(error),
    }
}

/// The answer to an upload of a call whose recording is already kept.
fn already(call_id: &str, kept: &KeptRecording, expected: &str) -> Response {
    if kept.sha256 == expected {
        return (StatusCode::OK, kept_json(call_id, kept)).into_response();
    }
    refuse(
        StatusCode::CONFLICT,
        ErrorCode::InvalidCallState,
        format!("call {call_id} already has a different recording"),
    )
}

enum Received {
    Kept(KeptRecording),
    TooLarge,
    NotOgg,
    Broken(String),
}

impl Received {
    fn response(self) -> Response {
        match self {
            Received::Kept(_) => StatusCode::OK.into_response(),
            Received::TooLarge => refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::InvalidMessage,
                format!("a recording may be at most {MAX_RECORDING_BYTES} bytes"),
            ),
            Received::NotOgg => refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidMessage,
                "a recording must be an Ogg stream (Ogg/Opus)".into(),
            ),
            Received::Broken(why) => refuse(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidMessage,
                format!("the upload broke off: {why}"),
            ),
        }
    }
}

/// Streams `body` to `to`, hashing and counting as it goes.
async fn receive(body: Body, to: &std::path::Path) -> std::io::Result<Received> {
    let mut file = tokio::fs::File::create(to).await?;
    let mut hash = Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(4);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Ok(Received::Broken(e.to_string())),
        };
        size += chunk.len() as u64;
        if size > MAX_RECORDING_BYTES {
            return Ok(Received::TooLarge);
        }
        if head.len() < 4 {
            head.extend(chunk.iter().take(4 - head.len()));
            if head.len() == 4 && head.as_slice() != b"OggS" {
                return Ok(Received::NotOgg);
            }
        }
        hash.update(&chunk);
        file.write_all(&chunk).await?;
    }
    if head.as_slice() != b"OggS" {
        return Ok(Received::NotOgg);
    }
    file.flush().await?;
    Ok(Received::Kept(KeptRecording {
        sha256: hex::encode(hash.finalize()),
        size,
    }))
}

pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call_id): Path<String>,
) -> Response {
    let agent = match authenticate(&state.store, &headers).await {
        Ok(agent) => agent,
        Err(refusal) => return refusal,
    };
    let not_found =
        |message: String| refuse(StatusCode::NOT_FOUND, ErrorCode::UnknownCall, message);
    match state
        .store
        .call_record(&call_id, &Visibility::of(&agent))
        .await
    {
        Err(error) => return store_failure(error),
        Ok(None) => return not_found(format!("no call {call_id} visible to this agent")),
        Ok(Some(record)) if record.recording.is_none() => {
            return not_found(format!("call {call_id} has no recording"))
        }
        Ok(Some(_)) => {}
    }
    let size = match state.recordings.size(&call_id).await {
        Ok(Some(size)) => size,
        Ok(None) => return not_found(format!("the recording of {call_id} is not in the store")),
        Err(error) => return io_failure(error),
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match slice(range, size) {
        Slice::Whole if size == 0 => (StatusCode::OK, 0, 0),
        Slice::Whole => (StatusCode::OK, 0, size - 1),
        Slice::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        Slice::Unsatisfiable => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response()
        }
    };
    let length = if size == 0 { 0 } else { end - start + 1 };
    let bytes = match state.recordings.read(&call_id, start, length).await {
        Ok(bytes) => bytes,
        Err(error) => return io_failure(error),
    };
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "audio/ogg".to_owned()),
            (header::ACCEPT_RANGES, "bytes".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response();
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(value) = format!("bytes {start}-{end}/{size}").parse() {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    response
}
