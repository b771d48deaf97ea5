//! `/api/v1/units`: the organisation's units and the rules that scope what their people and
//! keys see (see `crate::access`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::unit::{Unit, UnitInput};

use super::Id;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth};
use crate::{ApiError, AppState};

/// The organisation's units, parents before children.
#[utoipa::path(get, path = "/api/v1/units", tag = "access",
    responses((status = 200, body = Vec<Unit>)))]
pub async fn list_units(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Unit>>, ApiError> {
    Ok(Json(state.run(move |s| s.list_units(auth.org)).await?))
}

/// Create a unit under another (or directly under the organisation) with the rules of what it
/// sees: each rule the filters of `/query` without a period, e.g. `{"department": "Branches"}`
/// or `{"customer": {"region": "Lviv"}}`; a record any rule of the unit or of a unit below it
/// admits is the unit's. A unit without rules sees nothing of its own.
#[utoipa::path(post, path = "/api/v1/units", tag = "access", request_body = UnitInput,
    responses((status = 201, body = Unit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<UnitInput>,
) -> Result<(StatusCode, Json<Unit>), ApiError> {
    let input = crate::access::check_unit(&state, auth.org, input).await?;
    let unit = state
        .run(move |s| s.create_unit(auth.org, input, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody)))]
pub async fn get_unit(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Unit>, ApiError> {
    Ok(Json(state.run(move |s| s.get_unit(auth.org, id)).await?))
}

/// Replace a unit's name, parent and rules; its people and keys see by the new rules at once.
#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "access", params(("id" = i64, Path)), request_body = UnitInput,
    responses((status = 200, body = Unit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_unit(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<UnitInput>,
) -> Result<Json<Unit>, ApiError> {
    let input = crate::access::check_unit(&state, auth.org, input).await?;
    Ok(Json(
        state
            .run(move |s| s.update_unit(auth.org, id, input))
            .await?,
    ))
}

/// Delete a unit that has no units, people or keys under it.
#[utoipa::path(delete, path = "/api/v1/units/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_unit(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_unit(auth.org, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
