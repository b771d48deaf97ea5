//! `/api/v1/customers`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::Customer;
use dosvid_domain::customer::{CustomerPatchInput, NewCustomerInput};

use dosvid_domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Id, ListResponse, list_params, query_params};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth, ListParams};
use crate::{ApiError, AppState};

/// List customers; `touchpoint_id` / `channel_id` select customers with a signal there.
#[utoipa::path(get, path = "/api/v1/customers", tag = "directory", params(ListParams),
    responses((status = 200, body = ListResponse<Customer>), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Customer>>, ApiError> {
    let (filter, page) = list_params(query)?;
    let sight = state.sight(&auth.principal).await?;
    let mut page = state
        .run(move |s| s.list_customers(auth.org, &filter, page))
        .await?;
    page.items.retain(|c| sight.customer(c.id));
    Ok(Json(page.into()))
}

/// Create a customer with their identities (e-mail, phone, other systems' ids, social handles).
#[utoipa::path(post, path = "/api/v1/customers", tag = "directory", request_body = NewCustomerInput,
    responses((status = 201, body = Customer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<NewCustomerInput>,
) -> Result<(StatusCode, Json<Customer>), ApiError> {
    let customer = input.validate()?;
    let created = state
        .operate(&auth.principal, move |op| {
            Ok(op.create_customer(customer, Utc::now())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Customer>, ApiError> {
    state.check_customer(&auth.principal, id).await?;
    Ok(Json(
        state.run(move |s| s.get_customer(auth.org, id)).await?,
    ))
}

/// Change a customer's profile; absent fields stay, `null` clears, `add_identities` adds.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "directory", params(("id" = i64, Path)), request_body = CustomerPatchInput,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<CustomerPatchInput>,
) -> Result<Json<Customer>, ApiError> {
    let patch = input.validate()?;
    Ok(Json(
        state
            .operate(
                &auth.principal,
                move |op| Ok(op.update_customer(id, patch)?),
            )
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `json` (default) or `zip` (one CSV file per kind of record).
    pub format: Option<String>,
}

/// Everything Dosvid holds about one customer: profile, identities, attributes, feedback with
/// comments, interactions, transactions, survey responses, cases with their notes, and who
/// looked at their data — as JSON, or as a ZIP of CSV files.
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "directory",
    params(("id" = i64, Path), ExportParams),
    responses((status = 200, body = crate::privacy::CustomerExport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_customer(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    state.check_customer(&auth.principal, id).await?;
    let zip = match query_params(params)?.format.as_deref() {
        None | Some("json") => false,
        Some("zip") => true,
        Some(_) => return Err(FieldError::new("format", "must be json or zip").into()),
    };
    let export = state
        .run(move |s| crate::privacy::export(s, auth.org, id))
        .await?;
    if !zip {
        return Ok(Json(export).into_response());
    }
    let bytes = crate::privacy::zip(&export).map_err(ApiError::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customer-{id}.zip\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Erase a customer on their request: every text by or about them — comments and what was read
/// in them, survey answers, case texts and notes, record attributes, webhook payloads — and
/// their profile and identities. Their scores stay, anonymised, so aggregates keep counting
/// them. Cannot be undone.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "directory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn erase_customer(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .operate(&auth.principal, move |op| Ok(op.erase_customer(id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a customer's profile and identities; their signals stay, anonymised.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_customer(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .operate(&auth.principal, move |op| Ok(op.delete_customer(id)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The profile joined into this one (and removed).
    pub merge: i64,
}

/// Join another profile of the same person into this one: its identities, the attributes this
/// one lacks (where both have one, this one's stays), and every feedback record, interaction,
/// transaction, invitation, response and case move here; the other profile goes. Undoable for
/// 30 days (`POST /api/v1/merges/{id}/undo`).
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "directory", params(("id" = i64, Path)),
    request_body = MergeInput,
    responses((status = 200, body = dosvid_domain::CustomerMerge), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge_customers(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<MergeInput>,
) -> Result<Json<dosvid_domain::CustomerMerge>, ApiError> {
    Ok(Json(
        state
            .operate(&auth.principal, move |op| {
                Ok(op.merge_customers(id, input.merge)?)
            })
            .await?,
    ))
}

/// Undo a merge (within 30 days): both profiles back with their own identities and records.
#[utoipa::path(post, path = "/api/v1/merges/{id}/undo", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = dosvid_domain::CustomerMerge), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn undo_merge(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<dosvid_domain::CustomerMerge>, ApiError> {
    Ok(Json(
        state
            .operate(&auth.principal, move |op| Ok(op.undo_merge(id)?))
            .await?,
    ))
}

/// The latest merges, newest first.
#[utoipa::path(get, path = "/api/v1/merges", tag = "directory",
    responses((status = 200, body = Vec<dosvid_domain::CustomerMerge>)))]
pub async fn list_merges(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<dosvid_domain::CustomerMerge>>, ApiError> {
    Ok(Json(state.run(move |s| s.list_merges(auth.org)).await?))
}

/// Profiles that look like one person, for review: the same name in the same region, or phone
/// numbers with the same last nine digits.
#[utoipa::path(get, path = "/api/v1/customers/duplicates", tag = "directory",
    responses((status = 200, body = Vec<dosvid_domain::DuplicateSuggestion>)))]
pub async fn duplicates(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<dosvid_domain::DuplicateSuggestion>>, ApiError> {
    Ok(Json(
        state.run(move |s| s.duplicate_customers(auth.org)).await?,
    ))
}

/// Record a consent given or withdrawn: what (`surveys`, `marketing`, `profiling`), when and
/// through which channel. The latest of a purpose is in force; survey invitations are refused
/// after a withdrawal of `surveys`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/consents", tag = "directory", params(("id" = i64, Path)),
    request_body = dosvid_domain::ConsentInput,
    responses((status = 201, body = dosvid_domain::Consent), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_consent(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(consent): ApiJson<dosvid_domain::ConsentInput>,
) -> Result<(StatusCode, Json<dosvid_domain::Consent>), ApiError> {
    state.check_customer(&auth.principal, id).await?;
    let consent = state
        .run(move |s| s.record_consent(auth.org, id, consent, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(consent)))
}

/// A customer's consents, newest first (the first of each purpose is in force).
#[utoipa::path(get, path = "/api/v1/customers/{id}/consents", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<dosvid_domain::Consent>), (status = 404, body = ErrorBody)))]
pub async fn list_consents(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Vec<dosvid_domain::Consent>>, ApiError> {
    state.check_customer(&auth.principal, id).await?;
    Ok(Json(
        state
            .run(move |s| {
                s.get_customer(auth.org, id)?;
                s.consents(auth.org, id)
            })
            .await?,
    ))
}
