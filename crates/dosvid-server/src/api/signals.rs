//! Batch ingestion of signals and their lists.
//!
//! A batch is `{"records": [...]}` with up to 10,000 records. Each record is parsed and
//! validated on its own, so one bad record is reported by index and field while the rest are
//! stored; the stored ones commit in one transaction before the answer is sent. An
//! `Idempotency-Key` header makes a retried request answer as the first one did, storing nothing.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::HeaderName;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::limits::MAX_BATCH_RECORDS;
use dosvid_domain::{
    BatchReport, Feedback, FeedbackInput, FieldError, Interaction, InteractionInput, SignalInput,
    Transaction, TransactionInput,
};
use dosvid_store::{Idempotency, Signals};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::{ListResponse, list_params};
use crate::error::ErrorBody;
use crate::extract::{Auth, ListParams, read_body};
use crate::workers::Workers;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

/// The body of a batch request.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Documents the shape for OpenAPI; the handler reads records one by one.
pub struct BatchRequest<T: utoipa::ToSchema> {
    /// Up to 10,000 records.
    records: Vec<T>,
}

fn idempotency(
    headers: &HeaderMap,
    kind: &str,
    body: &[u8],
) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::invalid(FieldError::new(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ))
        })?;
    let mut hash = Sha256::new();
    hash.update(kind.as_bytes());
    hash.update([0]);
    hash.update(body);
    let request_hash = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(Idempotency {
        key: key.to_owned(),
        request_hash,
    }))
}

/// Reads `{"records": [...]}` keeping each record as raw JSON, so one bad record fails alone.
fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_json(format!("the body is not valid UTF-8: {e}")))?;
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::invalid(FieldError::new(
            "records",
            format!("the body must be {{\"records\": [...]}}: {e}"),
        )),
        _ => ApiError::bad_json(format!("the body is not valid JSON: {e}")),
    })?;
    let count = envelope.records.len();
    if count > MAX_BATCH_RECORDS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_records",
            format!(
                "a batch holds at most {MAX_BATCH_RECORDS} records, this one has {count}; split it"
            ),
        )
        .with_field("records"));
    }
    Ok(envelope)
}

/// Records the caller reads before the store starts, and the records of each later part.
const FIRST_PART: usize = 64;
const PART: usize = 128;

/// Reads the records of a batch in parts, in order: the [`Workers`] start on every part but the
/// first at once, the caller reads the first, and each later part is waited for when the store
/// asks for it — so comments are read on the other cores while the caller stores the parts
/// before. Small parts keep the store from waiting long for the first and the last. Each worker
/// reads its records from the shared request body; a request's parts are queued before the
/// next request's, so a store waiting for its parts never waits for another's.
///
/// `waited` adds up the time the caller spent reading or waiting for records.
fn read_parts<'a, I: SignalInput>(
    body: &Bytes,
    raws: &[&RawValue],
    now: chrono::DateTime<Utc>,
    themes: &Arc<dosvid_text::Themes>,
    waited: &'a Cell<Duration>,
) -> impl Iterator<Item = Vec<Result<I::Valid, FieldError>>> + 'a
where
    I::Valid: Send + 'static,
{
    let validate = move |raw: &str, themes: &dosvid_text::Themes| {
        dosvid_domain::error::from_json::<I>(raw).and_then(|r| r.validate(now, themes))
    };
    let first = raws.len().min(FIRST_PART);
    let base = body.as_ptr() as usize;
    let later: Vec<_> = raws[first..]
        .chunks(PART)
        .map(|part| {
            let ranges: Vec<(usize, usize)> = part
                .iter()
                .map(|raw| {
                    let start = raw.get().as_ptr() as usize - base;
                    (start, start + raw.get().len())
                })
                .collect();
            let (body, themes) = (body.clone(), themes.clone());
            Workers::global().run(move || {
                ranges
                    .into_iter()
                    .map(
                        |(start, end)| match std::str::from_utf8(&body[start..end]) {
                            Ok(raw) => validate(raw, &themes),
                            Err(e) => Err(FieldError::new("records", e.to_string())),
                        },
                    )
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let started = Instant::now();
    let first: Vec<_> = raws[..first]
        .iter()
        .map(|raw| validate(raw.get(), themes))
        .collect();
    waited.set(started.elapsed());
    std::iter::once(first).chain(later.into_iter().map(|answer| {
        let started = Instant::now();
        let part = answer.recv().expect("a worker reading a batch");
        waited.set(waited.get() + started.elapsed());
        part
    }))
}

async fn ingest<I: SignalInput>(
    state: AppState,
    auth: Auth,
    headers: HeaderMap,
    request: Request,
    wrap: fn(Vec<Result<I::Valid, FieldError>>) -> Signals,
) -> Result<Response, ApiError>
where
    I::Valid: Send + 'static,
{
    let body = read_body(request, &()).await?;
    let idempotency = idempotency(&headers, I::KIND.as_str(), &body)?;
    // Parsing 10,000 records is CPU work: it runs on the blocking thread with the store call.
    let (report, timing) = state
        .operate(&auth.principal, move |op| {
            let envelope = parse_envelope(&body)?;
            let now = Utc::now();
            let themes = op.analytics.themes(op.store, op.org())?;
            let (started, read) = (Instant::now(), Cell::new(Duration::ZERO));
            let mut parts =
                read_parts::<I>(&body, &envelope.records, now, &themes, &read).map(wrap);
            let (report, indexed) = op.ingest(I::KIND, &mut parts, idempotency, now)?;
            let store = started.elapsed().saturating_sub(read.get() + indexed);
            let timing = [("read", read.get()), ("store", store), ("index", indexed)];
            Ok((report, timing))
        })
        .await?;
    if report.received > 0 && report.rejected.len() == report.received {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_rejected",
            "every record of the batch was rejected; see `rejected`",
        );
        error.rejected = report.rejected;
        return Err(error);
    }
    let header = HeaderName::from_static("server-timing");
    Ok(([(header, server_timing(&timing))], Json(report)).into_response())
}

/// `Server-Timing` (W3C) of a batch: `read` is the time the request spent reading records
/// (validating, analysing comments) or waiting for the workers reading them, `store` the rest of
/// the transaction, `index` the analytics index and the rules after it.
fn server_timing(parts: &[(&str, Duration)]) -> String {
    parts
        .iter()
        .map(|(name, took)| format!("{name};dur={:.3}", took.as_secs_f64() * 1e3))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Store a batch of feedback records.
#[utoipa::path(post, path = "/api/v1/feedback:batch", tag = "signals", request_body = BatchRequest<FeedbackInput>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request store nothing new")),
    responses((status = 200, body = BatchReport, headers(("Server-Timing" = String, description = "read;dur=MS (reading the records and their comments, as far as the store waited for it), store;dur=MS, index;dur=MS"))), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feedback_batch(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    ingest::<FeedbackInput>(state, auth, headers, request, Signals::Feedback).await
}

/// Store a batch of interactions.
#[utoipa::path(post, path = "/api/v1/interactions:batch", tag = "signals", request_body = BatchRequest<InteractionInput>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request store nothing new")),
    responses((status = 200, body = BatchReport, headers(("Server-Timing" = String, description = "read;dur=MS (reading the records and their comments, as far as the store waited for it), store;dur=MS, index;dur=MS"))), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn interactions_batch(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    ingest::<InteractionInput>(state, auth, headers, request, Signals::Interactions).await
}

/// Store a batch of transactions.
#[utoipa::path(post, path = "/api/v1/transactions:batch", tag = "signals", request_body = BatchRequest<TransactionInput>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request store nothing new")),
    responses((status = 200, body = BatchReport, headers(("Server-Timing" = String, description = "read;dur=MS (reading the records and their comments, as far as the store waited for it), store;dur=MS, index;dur=MS"))), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transactions_batch(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    ingest::<TransactionInput>(state, auth, headers, request, Signals::Transactions).await
}

/// List feedback records, oldest first.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "signals", params(ListParams),
    responses((status = 200, body = ListResponse<Feedback>), (status = 422, body = ErrorBody)))]
pub async fn list_feedback(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Feedback>>, ApiError> {
    let (filter, page) = list_params(query)?;
    let sight = state.sight(&auth.principal).await?;
    let mut page = state
        .run(move |s| s.list_feedback(auth.org, &filter, page))
        .await?;
    page.items.retain(|r| sight.feedback(r.id));
    Ok(Json(page.into()))
}

/// List interactions, oldest first.
#[utoipa::path(get, path = "/api/v1/interactions", tag = "signals", params(ListParams),
    responses((status = 200, body = ListResponse<Interaction>), (status = 422, body = ErrorBody)))]
pub async fn list_interactions(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Interaction>>, ApiError> {
    let (filter, page) = list_params(query)?;
    let sight = state.sight(&auth.principal).await?;
    let mut page = state
        .run(move |s| s.list_interactions(auth.org, &filter, page))
        .await?;
    page.items.retain(|r| sight.interaction(r.id));
    Ok(Json(page.into()))
}

/// List transactions, oldest first.
#[utoipa::path(get, path = "/api/v1/transactions", tag = "signals", params(ListParams),
    responses((status = 200, body = ListResponse<Transaction>), (status = 422, body = ErrorBody)))]
pub async fn list_transactions(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Transaction>>, ApiError> {
    let (filter, page) = list_params(query)?;
    let sight = state.sight(&auth.principal).await?;
    let mut page = state
        .run(move |s| s.list_transactions(auth.org, &filter, page))
        .await?;
    page.items.retain(|r| sight.customer_of(r.customer_id));
    Ok(Json(page.into()))
}
