//! The API's one error shape: `{"error": {"code", "message", "field"?}}` with a fitting status.
//! Codes are stable snake_case strings clients may match on. Internal failures are logged in
//! full and answered opaquely.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dosvid_domain::{FieldError, Rejection};
use dosvid_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Per-record diagnostics, for a batch whose every record was rejected.
    pub rejected: Vec<Rejection>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Rejection>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_field`, `not_found`, `payload_too_large`.
    pub code: &'static str,
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// The error as a signed-in page shows it: the field, then why.
    pub(crate) fn page_message(&self) -> String {
        format!(
            "{}: {}",
            self.field.as_deref().unwrap_or_default(),
            self.message
        )
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            rejected: Vec::new(),
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn invalid(e: FieldError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", e.message)
            .with_field(e.field)
    }

    pub fn bad_json(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    pub fn unauthorized(message: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::Invalid(field) => ApiError::invalid(field),
            StoreError::Conflict { field, message } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message).with_field(field)
            }
            StoreError::IdempotencyMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request body",
            )
            .with_field("Idempotency-Key"),
            StoreError::UniqueViolation(_) | StoreError::ForeignKeyViolation(_) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "the change conflicts with existing data",
            ),
            StoreError::Backend(detail) => ApiError::internal(detail),
        }
    }
}

/// Text an answer quotes from the request, with a NUL character written as `\u0000`: no text
/// Dosvid answers holds one, as no text it keeps does.
fn quoted(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\\u0000")
    } else {
        text
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rejected = self
            .rejected
            .into_iter()
            .map(|r| Rejection {
                field: quoted(r.field),
                message: quoted(r.message),
                ..r
            })
            .collect();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: quoted(self.message),
                field: self.field.map(quoted),
            },
            rejected,
        };
        (self.status, axum::Json(body)).into_response()
    }
}
