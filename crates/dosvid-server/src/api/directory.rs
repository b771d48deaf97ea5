//! `/api/v1/customers`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::Customer;
use dosvid_domain::customer::{CustomerPatchInput, NewCustomerInput};

use super::{Id, ListResponse, list_params};
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
    let page = state
        .run(move |s| s.list_customers(auth.org, &filter, page))
        .await?;
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
        .write(move |s, analytics| {
            let created = s.create_customer(auth.org, customer, Utc::now())?;
            analytics.customers_written(s, auth.org, &[created.id]);
            Ok(created)
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
            .write(move |s, analytics| {
                let updated = s.update_customer(auth.org, id, patch)?;
                analytics.customers_written(s, auth.org, &[id]);
                Ok(updated)
            })
            .await?,
    ))
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
        .write(move |s, analytics| {
            s.delete_customer(auth.org, id)?;
            analytics.customer_removed(auth.org, id);
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
