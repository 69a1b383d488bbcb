//! REST: the history lists, by role (`crate::history::scope`), as JSON pages or streamed CSV.
//!
//! - `GET /api/v1/calls` → `{"calls": [...], "next_cursor": "..." | null}`
//! - `GET /api/calls` → the same rows as a bare JSON array, the shape the desktop app has always
//!   read; the next page's cursor is in the `Next-Cursor` header (both paths send it).
//! - `GET /api/v1/calls.csv` → the whole view as CSV, streamed.
//! - `GET /api/v1/permission_requests` (and `.csv`) → the Permission requests view.
//!
//! The parameters are in the README ("History API"). A bad one is a 400 naming it, a filter
//! outside the caller's scope a 403; both are answered before any row is read.

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::SecondsFormat;
use futures_util::{Stream, StreamExt};
use protocol::ErrorCode;
use serde::Serialize;

use super::auth::{authenticate, error_response};
use super::AppState;
use crate::history::{self, Format, PageRequest, Records, ScopedQuery};
use crate::store::history::{ExportsBusy, HistoryCall, Page, PermissionRequestRecord};
use crate::store::wire::name_of;
use crate::store::StoreError;

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The header carrying the next page's cursor.
const NEXT_CURSOR: &str = "next-cursor";

pub(super) fn store_failure(error: StoreError) -> Response {
    tracing::error!(%error, "REST query failed");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InternalError,
        "the records could not be read; retry",
    )
}

/// Authenticates, checks the parameters and scopes them: the query to run and its page (unused
/// for CSV), or the refusal to answer.
async fn scoped(
    state: &AppState,
    headers: &HeaderMap,
    pairs: Pairs,
    records: Records,
    format: Format,
) -> Result<(ScopedQuery, PageRequest), Response> {
    let caller = authenticate(&state.store, headers).await?;
    let Query(pairs) = pairs.map_err(|rejection| {
        error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("invalid query string: {}", rejection.body_text()),
        )
    })?;
    let request = history::parse(&pairs, records, format).map_err(|error| {
        error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            error.to_string(),
        )
    })?;
    let mut query = history::scope(&caller, request.filter).map_err(|refusal| {
        error_response(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            refusal.to_string(),
        )
    })?;
    if records == Records::PermissionRequests {
        // The facts keep the phone_number_id only: a business number names its id.
        if let Some(channel) = &mut query.filter.channel {
            if let Some(number) = state
                .settings
                .numbers
                .iter()
                .find(|number| number.display_phone_number == *channel)
            {
                *channel = number.phone_number_id.clone();
            }
        }
    }
    Ok((query, request.page))
}

async fn calls_page(
    state: &AppState,
    headers: &HeaderMap,
    pairs: Pairs,
) -> Result<Page<HistoryCall>, Response> {
    let (query, page) = scoped(state, headers, pairs, Records::Calls, Format::Json).await?;
    state
        .store
        .history_calls(&query, &page)
        .await
        .map_err(store_failure)
}

#[derive(Serialize)]
struct CallsPage {
    calls: Vec<HistoryCall>,
    next_cursor: Option<String>,
}

#[derive(Serialize)]
struct PermissionRequestsPage {
    permission_requests: Vec<PermissionRequestRecord>,
    next_cursor: Option<String>,
}

/// Adds the `Next-Cursor` header when there is a next page.
fn with_cursor(next_cursor: Option<String>, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Some(value) = next_cursor.and_then(|cursor| HeaderValue::from_str(&cursor).ok()) {
        response.headers_mut().insert(NEXT_CURSOR, value);
    }
    response
}

/// The page as JSON (`body` wraps its rows and next cursor), with the `Next-Cursor` header.
fn page_response<T, B: Serialize>(
    page: Page<T>,
    body: impl FnOnce(Vec<T>, Option<String>) -> B,
) -> Response {
    let next_cursor = page.next.map(|cursor| cursor.encode());
    with_cursor(next_cursor.clone(), Json(body(page.rows, next_cursor)))
}

/// `GET /api/v1/calls`: a page of the caller's history.
pub async fn list_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Response {
    match calls_page(&state, &headers, pairs).await {
        Ok(page) => page_response(page, |calls, next_cursor| CallsPage { calls, next_cursor }),
        Err(refusal) => refusal,
    }
}

/// `GET /api/calls`: the same page as a bare array (what the desktop app parses).
pub async fn list_calls_array(
    State(state): State<AppState>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Response {
    match calls_page(&state, &headers, pairs).await {
        Ok(page) => page_response(page, |rows, _| rows),
        Err(refusal) => refusal,
    }
}

/// `GET /api/v1/permission_requests`: a page of the permission requests the caller may see.
pub async fn list_permission_requests(
    State(state): State<AppState>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Response {
    let (query, page) = match scoped(
        &state,
        &headers,
        pairs,
        Records::PermissionRequests,
        Format::Json,
    )
    .await
    {
        Ok(scoped) => scoped,
        Err(refusal) => return refusal,
    };
    match state.store.history_permission_requests(&query, &page).await {
        Ok(mut page) => {
            for row in &mut page.rows {
                fill_business_number(&state, row);
            }
            page_response(page, |permission_requests, next_cursor| {
                PermissionRequestsPage {
                    permission_requests,
                    next_cursor,
                }
            })
        }
        Err(error) => store_failure(error),
    }
}

fn fill_business_number(state: &AppState, row: &mut PermissionRequestRecord) {
    row.business_number = state
        .settings
        .numbers
        .iter()
        .find(|number| number.phone_number_id == row.phone_number_id)
        .map(|number| number.display_phone_number.clone());
}

/// The columns of `GET /api/v1/calls.csv` (documented in the README).
pub const CALL_COLUMNS: &[&str] = &[
    "id",
    "direction",
    "status",
    "channel",
    "business_number",
    "customer_number",
    "customer_name",
    "agent_id",
    "agent_name",
    "agents_rung",
    "offered_at",
    "answered_at",
    "ended_at",
    "duration_secs",
    "ended_by",
    "meta_error_code",
];

fn time(at: Option<protocol::Timestamp>) -> String {
    at.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn text(value: Option<impl ToString>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// A text people chose (a WhatsApp profile name, an agent's name) as a CSV cell: one a
/// spreadsheet would run as a formula (first character `=`, `+`, `-`, `@`, tab or CR) gets a
/// leading `'`, OWASP's advice against CSV injection. The JSON keeps the text as it is.
fn person_text(value: Option<&str>) -> String {
    match value {
        Some(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{text}"),
        Some(text) => text.to_owned(),
        None => String::new(),
    }
}

fn call_fields(call: &HistoryCall) -> Vec<String> {
    let record = &call.record;
    let agent = record
        .answered_by
        .as_ref()
        .map(|agent| agent.as_str().to_owned())
        .or_else(|| call.placed_by.clone());
    // `name (outcome)` per ring, in ring order; the id where the agent has no name any more.
    let rung = record
        .agents_rung
        .iter()
        .zip(&call.rung_names)
        .map(|(ring, name)| {
            let who = name.as_deref().unwrap_or(ring.agent_id.as_str());
            format!("{who} ({})", name_of(&ring.outcome))
        })
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        record.id.as_str().to_owned(),
        name_of(&record.direction),
        name_of(&record.status),
        call.phone_number_id.clone(),
        record.business_number.as_str().to_owned(),
        record.customer.number.as_str().to_owned(),
        person_text(record.customer.profile_name.as_deref()),
        text(agent),
        person_text(call.agent_name.as_deref()),
        person_text(Some(&rung)),
        time(Some(record.offered_at)),
        time(record.answered_at),
        time(record.ended_at),
        record.duration_secs.to_string(),
        text(record.ended_by.as_ref().map(name_of)),
        text(record.meta_error_code),
    ]
}

/// The columns of `GET /api/v1/permission_requests.csv`.
pub const PERMISSION_REQUEST_COLUMNS: &[&str] = &[
    "id",
    "channel",
    "business_number",
    "customer_number",
    "customer_name",
    "requested_by",
    "requested_by_name",
    "requested_at",
    "reply",
    "replied_at",
];

fn permission_request_fields(row: &PermissionRequestRecord) -> Vec<String> {
    vec![
        row.id.clone(),
        row.phone_number_id.clone(),
        text(row.business_number.as_ref()),
        row.customer.number.as_str().to_owned(),
        person_text(row.customer.profile_name.as_deref()),
        text(row.requested_by.as_ref()),
        person_text(row.requested_by_name.as_deref()),
        time(Some(row.requested_at)),
        text(row.reply.as_ref()),
        time(row.replied_at),
    ]
}

/// Records encoded per batch of this many (one body chunk each).
const CSV_BATCH: usize = 128;

/// RFC 4180 lines (CRLF, fields quoted where needed) of `records`.
fn csv_lines(records: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<Bytes> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(&record)?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|error| std::io::Error::other(error.to_string()))
}

/// A `text/csv` attachment: the header row, then `rows` as they come. A store error after the
/// first bytes ends the body with an error, so the client sees a broken transfer rather than a
/// file that looks complete.
fn csv_response<T: Send + 'static>(
    filename: &str,
    columns: &'static [&'static str],
    rows: impl Stream<Item = Result<T, StoreError>> + Send + 'static,
    fields: fn(&T) -> Vec<String>,
) -> Response {
    let header = csv_lines([columns.iter().map(|c| (*c).to_owned()).collect()]);
    let body = rows.ready_chunks(CSV_BATCH).map(move |batch| {
        let records = batch
            .into_iter()
            .map(|row| row.map(|row| fields(&row)))
            .collect::<Result<Vec<_>, StoreError>>()
            .map_err(|error| {
                tracing::error!(%error, "CSV export failed mid-way");
                std::io::Error::other(error.to_string())
            })?;
        csv_lines(records)
    });
    let stream = futures_util::stream::once(async move { header }).chain(body);
    (
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

fn exports_busy(busy: ExportsBusy) -> Response {
    error_response(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        busy.to_string(),
    )
}

/// `GET /api/v1/calls.csv`: the whole view, streamed.
pub async fn export_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Response {
    match scoped(&state, &headers, pairs, Records::Calls, Format::Csv).await {
        Ok((query, _)) => match state.store.export_calls(&query) {
            Ok(rows) => csv_response("calls.csv", CALL_COLUMNS, rows, call_fields),
            Err(busy) => exports_busy(busy),
        },
        Err(refusal) => refusal,
    }
}

/// `GET /api/v1/permission_requests.csv`: the whole view, streamed.
pub async fn export_permission_requests(
    State(state): State<AppState>,
    headers: HeaderMap,
    pairs: Pairs,
) -> Response {
    match scoped(
        &state,
        &headers,
        pairs,
        Records::PermissionRequests,
        Format::Csv,
    )
    .await
    {
        Ok((query, _)) => {
            let rows = match state.store.export_permission_requests(&query) {
                Ok(rows) => rows,
                Err(busy) => return exports_busy(busy),
            };
            let filled = state.clone();
            let rows = rows.map(move |row| {
                row.map(|mut row| {
                    fill_business_number(&filled, &mut row);
                    row
                })
            });
            csv_response(
                "permission_requests.csv",
                PERMISSION_REQUEST_COLUMNS,
                rows,
                permission_request_fields,
            )
        }
        Err(refusal) => refusal,
    }
}
