//! Batch ingestion of signals and their lists.
//!
//! A batch is `{"records": [...]}` with up to 10,000 records. Each record is parsed and
//! validated on its own, so one bad record is reported by index and field while the rest are
//! stored; the stored ones commit in one transaction before the answer is sent. An
//! `Idempotency-Key` header makes a retried request answer as the first one did, storing nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::limits::MAX_BATCH_RECORDS;
use dosvid_domain::{
    BatchReport, Feedback, FeedbackInput, FieldError, Interaction, InteractionInput, RecordKind,
    SignalInput, Transaction, TransactionInput,
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

/// Reads and validates the records of a batch (comments analysed) on every core: the caller's
/// thread takes the first part, the [`Workers`] the rest, each from the shared request body.
fn validate_all<I: SignalInput>(
    body: &Bytes,
    raws: &[&RawValue],
    now: chrono::DateTime<Utc>,
    themes: &Arc<dosvid_text::Themes>,
) -> Vec<Result<I::Valid, FieldError>>
where
    I::Valid: Send + 'static,
{
    let validate = move |raw: &str, themes: &dosvid_text::Themes| {
        dosvid_domain::error::from_json::<I>(raw).and_then(|r| r.validate(now, themes))
    };
    let workers = Workers::global();
    let part = raws.len().div_ceil(workers.threads() + 1).max(256);
    if raws.len() <= part {
        return raws.iter().map(|raw| validate(raw.get(), themes)).collect();
    }
    // The workers' parts, as byte ranges of the body they share.
    let base = body.as_ptr() as usize;
    let answers: Vec<_> = raws[part..]
        .chunks(part)
        .map(|chunk| {
            let ranges: Vec<(usize, usize)> = chunk
                .iter()
                .map(|raw| {
                    let start = raw.get().as_ptr() as usize - base;
                    (start, start + raw.get().len())
                })
                .collect();
            let (body, themes) = (body.clone(), themes.clone());
            workers.run(move || {
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
    let mut records: Vec<_> = raws[..part]
        .iter()
        .map(|raw| validate(raw.get(), themes))
        .collect();
    for answer in answers {
        records.extend(answer.recv().expect("a worker validating a batch"));
    }
    records
}

async fn ingest<I: SignalInput>(
    state: AppState,
    auth: Auth,
    headers: HeaderMap,
    request: Request,
    wrap: fn(Vec<Result<I::Valid, FieldError>>) -> Signals,
) -> Result<Json<BatchReport>, ApiError>
where
    I::Valid: Send + 'static,
{
    let body = read_body(request, &()).await?;
    let idempotency = idempotency(&headers, I::KIND.as_str(), &body)?;
    // Parsing 10,000 records is CPU work: it runs on the blocking thread with the store call.
    let outbox = state.outbox.clone();
    let report = state
        .write(move |store, analytics| {
            let envelope = match parse_envelope(&body) {
                Ok(envelope) => envelope,
                Err(e) => return Ok(Err(e)),
            };
            let now = Utc::now();
            let themes = analytics.themes(store, auth.org)?;
            let records = validate_all::<I>(&body, &envelope.records, now, &themes);
            let report = store.ingest(auth.org, &wrap(records), idempotency, now)?;
            let stored: Vec<i64> = report.ids.iter().flatten().copied().collect();
            match I::KIND {
                RecordKind::Feedback => {
                    analytics.feedback_written(store, auth.org, &stored);
                    crate::alerts::after_feedback(store, &outbox, auth.org, &stored);
                }
                RecordKind::Transactions => {
                    analytics.transactions_written(store, auth.org, &stored)
                }
                RecordKind::Customers => analytics.customers_written(store, auth.org, &stored),
                RecordKind::Interactions => {
                    analytics.interactions_written(store, auth.org, &stored)
                }
            }
            Ok(Ok(report))
        })
        .await??;
    if report.received > 0 && report.rejected.len() == report.received {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_rejected",
            "every record of the batch was rejected; see `rejected`",
        );
        error.rejected = report.rejected;
        return Err(error);
    }
    Ok(Json(report))
}

/// Store a batch of feedback records.
#[utoipa::path(post, path = "/api/v1/feedback:batch", tag = "signals", request_body = BatchRequest<FeedbackInput>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request store nothing new")),
    responses((status = 200, body = BatchReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feedback_batch(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    request: Request,
) -> Result<Json<BatchReport>, ApiError> {
    ingest::<FeedbackInput>(state, auth, headers, request, Signals::Feedback).await
}

/// Store a batch of interactions.
#[utoipa::path(post, path = "/api/v1/interactions:batch", tag = "signals", request_body = BatchRequest<InteractionInput>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request store nothing new")),
    responses((status = 200, body = BatchReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn interactions_batch(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    request: Request,
) -> Result<Json<BatchReport>, ApiError> {
    ingest::<InteractionInput>(state, auth, headers, request, Signals::Interactions).await
}

/// Store a batch of transactions.
#[utoipa::path(post, path = "/api/v1/transactions:batch", tag = "signals", request_body = BatchRequest<TransactionInput>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request store nothing new")),
    responses((status = 200, body = BatchReport), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transactions_batch(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    request: Request,
) -> Result<Json<BatchReport>, ApiError> {
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
    Ok(Json(
        state
            .run(move |s| s.list_feedback(auth.org, &filter, page))
            .await?
            .into(),
    ))
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
    Ok(Json(
        state
            .run(move |s| s.list_interactions(auth.org, &filter, page))
            .await?
            .into(),
    ))
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
    Ok(Json(
        state
            .run(move |s| s.list_transactions(auth.org, &filter, page))
            .await?
            .into(),
    ))
}
