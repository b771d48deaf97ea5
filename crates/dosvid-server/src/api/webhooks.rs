//! Webhook endpoints through the API: subscribe a URL to events, read its signing secret, and
//! follow its deliveries with the log of every attempt.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::FieldError;
use dosvid_domain::webhook::{Delivery, DeliveryStatus, Webhook, WebhookInput, WebhookPatch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Id, ListResponse};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth, ListParams};
use crate::{ApiError, AppState};

/// An endpoint with its signing secret, as answered when it is created.
#[derive(Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookSecret {
    pub secret: String,
}

/// Subscribe an endpoint to events: `feedback.created`, `alert.fired`, `case.created`,
/// `case.updated`. Each event is POSTed as `{"type", "timestamp", "data"}` with the headers
/// `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
/// `id.timestamp.body` under the secret); any 2xx answer delivers it, anything else is retried
/// with exponential backoff (10 s, 1 min, 6 min, 36 min, 3.6 h, then every 12 h; eight attempts),
/// and an endpoint failing for five days is disabled.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookCreated), (status = 422, body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    state.outbox.check_url(input.url.trim())?;
    let created = state
        .run(move |s| {
            let webhook = s.create_webhook(auth.org, input, Utc::now())?;
            let secret = s.webhook_secret(auth.org, webhook.id)?;
            Ok(WebhookCreated { webhook, secret })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The organisation's endpoints.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Webhook>)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(state.run(move |s| s.list_webhooks(auth.org)).await?))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Webhook>, ApiError> {
    Ok(Json(state.run(move |s| s.get_webhook(auth.org, id)).await?))
}

/// Change an endpoint; `enabled: true` re-enables one Dosvid disabled, and its pending
/// deliveries go out again.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)), request_body = WebhookPatch,
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(patch): ApiJson<WebhookPatch>,
) -> Result<Json<Webhook>, ApiError> {
    if let Some(url) = &patch.url {
        state.outbox.check_url(url.trim())?;
    }
    let outbox = state.outbox.clone();
    let webhook = state
        .run(move |s| s.update_webhook(auth.org, id, patch))
        .await?;
    if webhook.input.enabled {
        outbox.wake();
    }
    Ok(Json(webhook))
}

/// Delete an endpoint with its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_webhook(auth.org, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's signing secret.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/secret", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookSecret), (status = 404, body = ErrorBody)))]
pub async fn get_secret(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<WebhookSecret>, ApiError> {
    let secret = state.run(move |s| s.webhook_secret(auth.org, id)).await?;
    Ok(Json(WebhookSecret { secret }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// pending, delivered or failed.
    #[param(value_type = Option<dosvid_domain::webhook::DeliveryStatus>)]
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path), DeliveryParams),
    responses((status = 200, body = ListResponse<Delivery>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    params: Result<Query<DeliveryParams>, QueryRejection>,
) -> Result<Json<ListResponse<Delivery>>, ApiError> {
    let params = super::query_params(params)?;
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            DeliveryStatus::parse(raw)
                .ok_or_else(|| FieldError::new("status", "must be pending, delivered or failed"))?,
        ),
        None => None,
    };
    let page = ListParams {
        cursor: params.cursor,
        limit: params.limit,
        ..Default::default()
    }
    .page()?;
    Ok(Json(
        state
            .run(move |s| s.list_deliveries(auth.org, id, status, page))
            .await?
            .into(),
    ))
}

/// One delivery with the log of its attempts: when, the receiver's status, the error, how long.
#[utoipa::path(get, path = "/api/v1/webhook-deliveries/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 404, body = ErrorBody)))]
pub async fn get_delivery(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Delivery>, ApiError> {
    Ok(Json(
        state.run(move |s| s.get_delivery(auth.org, id)).await?,
    ))
}

/// Send a delivered or failed delivery again now, with a fresh retry schedule.
#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/retry", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retry_delivery(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Delivery>, ApiError> {
    let outbox = state.outbox.clone();
    let delivery = state
        .run(move |s| s.redeliver(auth.org, id, Utc::now()))
        .await?;
    outbox.wake();
    Ok(Json(delivery))
}
