//! `GET /api/v1/audit`: the audit log, newest first, with filters.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use dosvid_domain::audit::AuditEntry;

use super::{ListResponse, query_params};
use crate::audit::AuditParams;
use crate::error::ErrorBody;
use crate::extract::Auth;
use crate::{ApiError, AppState};

/// Who did what, when and from where: every change made through the API or a page (refused
/// ones with their status), every export, every view of one customer's personal data, every
/// sign-in and failed sign-in. Kept for the organisation's `audit_retention_days`.
#[utoipa::path(get, path = "/api/v1/audit", tag = "settings", params(AuditParams),
    responses((status = 200, body = ListResponse<AuditEntry>), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<ListResponse<AuditEntry>>, ApiError> {
    let (filter, page) = query_params(params)?.filter()?;
    let entries = state
        .run(move |s| s.list_audit(auth.org, &filter, page))
        .await?;
    Ok(Json(entries.into()))
}
