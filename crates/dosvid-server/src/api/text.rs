//! `/api/v1/text/analyze`: what Dosvid reads in texts sent ad hoc.

use axum::Json;
use dosvid_domain::FieldError;
use dosvid_domain::limits::{MAX_BATCH_RECORDS, MAX_COMMENT_CHARS};
use dosvid_text::Analysis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;
use crate::error::ErrorBody;
use crate::extract::ApiJson;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// Up to 10,000 texts of up to 10,000 characters each.
    texts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyzeResponse {
    /// One analysis per text, in order.
    analyses: Vec<Analysis>,
}

/// Language, garbage (with the reason) and sentiment of each text.
#[utoipa::path(post, path = "/api/v1/text/analyze", tag = "text", request_body = AnalyzeRequest,
    responses((status = 200, body = AnalyzeResponse), (status = 422, body = ErrorBody)))]
pub async fn analyze(
    ApiJson(request): ApiJson<AnalyzeRequest>,
) -> Result<Json<AnalyzeResponse>, ApiError> {
    if request.texts.len() > MAX_BATCH_RECORDS {
        return Err(ApiError::invalid(FieldError::new(
            "texts",
            format!("at most {MAX_BATCH_RECORDS} texts"),
        )));
    }
    if let Some(i) = request
        .texts
        .iter()
        .position(|t| t.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(ApiError::invalid(FieldError::new(
            format!("texts[{i}]"),
            format!("at most {MAX_COMMENT_CHARS} characters"),
        )));
    }
    let analyses = tokio::task::spawn_blocking(move || {
        request
            .texts
            .iter()
            .map(|t| dosvid_text::analyze(t))
            .collect()
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(AnalyzeResponse { analyses }))
}
