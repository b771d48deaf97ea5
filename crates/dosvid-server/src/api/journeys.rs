//! `/api/v1/channels`, `/api/v1/journeys`, `/api/v1/stages`, `/api/v1/touchpoints`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::{
    Channel, ChannelPatch, Journey, JourneyPatch, NewChannel, NewJourney, NewStage, NewTouchpoint,
    Stage, StagePatch, Term, Touchpoint, TouchpointPatch,
};

use super::{Id, ListResponse, list_params};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth, ListParams};
use crate::{ApiError, AppState};

type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

#[utoipa::path(get, path = "/api/v1/channels", tag = "journeys", params(ListParams), responses((status = 200, body = ListResponse<Channel>)))]
pub async fn list_channels(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Channel>>, ApiError> {
    let (_, page) = list_params(query)?;
    Ok(Json(
        state
            .run(move |s| s.list_channels(auth.org, page))
            .await?
            .into(),
    ))
}

/// Add a custom channel (the seven standard ones exist from the start).
#[utoipa::path(post, path = "/api/v1/channels", tag = "journeys", request_body = NewChannel,
    responses((status = 201, body = Channel), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<NewChannel>,
) -> Created<Channel> {
    let channel = input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .change_journey(&auth.principal, move |s, org| {
                    s.create_channel(org, channel, Utc::now())
                })
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody)))]
pub async fn get_channel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(state.run(move |s| s.get_channel(auth.org, id)).await?))
}

#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "journeys", params(("id" = i64, Path)), request_body = ChannelPatch,
    responses((status = 200, body = Channel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_channel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<ChannelPatch>,
) -> Result<Json<Channel>, ApiError> {
    let patch = input.validate()?;
    Ok(Json(
        state
            .change_journey(&auth.principal, move |s, org| {
                s.update_channel(org, id, patch)
            })
            .await?,
    ))
}

/// Delete a channel no signal refers to.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_channel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .change_journey(&auth.principal, move |s, org| s.delete_channel(org, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List journeys, each with its stages in order.
#[utoipa::path(get, path = "/api/v1/journeys", tag = "journeys", params(ListParams), responses((status = 200, body = ListResponse<Journey>)))]
pub async fn list_journeys(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Journey>>, ApiError> {
    let (_, page) = list_params(query)?;
    Ok(Json(
        state
            .run(move |s| s.list_journeys(auth.org, page))
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/journeys", tag = "journeys", request_body = NewJourney,
    responses((status = 201, body = Journey), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_journey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<NewJourney>,
) -> Created<Journey> {
    let journey = input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .change_journey(&auth.principal, move |s, org| {
                    s.create_journey(org, journey, Utc::now())
                })
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/journeys/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 200, body = Journey), (status = 404, body = ErrorBody)))]
pub async fn get_journey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Journey>, ApiError> {
    Ok(Json(state.run(move |s| s.get_journey(auth.org, id)).await?))
}

#[utoipa::path(patch, path = "/api/v1/journeys/{id}", tag = "journeys", params(("id" = i64, Path)), request_body = JourneyPatch,
    responses((status = 200, body = Journey), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_journey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<JourneyPatch>,
) -> Result<Json<Journey>, ApiError> {
    let patch = input.validate()?;
    Ok(Json(
        state
            .change_journey(&auth.principal, move |s, org| {
                s.update_journey(org, id, patch)
            })
            .await?,
    ))
}

/// Delete a journey with its stages and touchpoints, unless signals refer to them.
#[utoipa::path(delete, path = "/api/v1/journeys/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_journey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .change_journey(&auth.principal, move |s, org| s.delete_journey(org, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a stage to a journey, at `position` or at the end.
#[utoipa::path(post, path = "/api/v1/journeys/{id}/stages", tag = "journeys", params(("id" = i64, Path)), request_body = NewStage,
    responses((status = 201, body = Stage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_stage(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(journey): Id,
    ApiJson(input): ApiJson<NewStage>,
) -> Created<Stage> {
    let stage = input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .change_journey(&auth.principal, move |s, org| {
                    s.create_stage(org, journey, stage, Utc::now())
                })
                .await?,
        ),
    ))
}

/// Rename, describe or move a stage; the other stages shift to keep positions 1..n.
#[utoipa::path(patch, path = "/api/v1/stages/{id}", tag = "journeys", params(("id" = i64, Path)), request_body = StagePatch,
    responses((status = 200, body = Stage), (status = 404, body = ErrorBody)))]
pub async fn update_stage(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<StagePatch>,
) -> Result<Json<Stage>, ApiError> {
    let patch = input.validate()?;
    Ok(Json(
        state
            .change_journey(&auth.principal, move |s, org| {
                s.update_stage(org, id, patch)
            })
            .await?,
    ))
}

/// Delete a stage and its touchpoints, unless signals refer to them.
#[utoipa::path(delete, path = "/api/v1/stages/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_stage(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .change_journey(&auth.principal, move |s, org| s.delete_stage(org, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List touchpoints; `touchpoint_id` selects a subtree, `channel_id` those reached through a channel.
#[utoipa::path(get, path = "/api/v1/touchpoints", tag = "journeys", params(ListParams), responses((status = 200, body = ListResponse<Touchpoint>)))]
pub async fn list_touchpoints(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<Touchpoint>>, ApiError> {
    let (filter, page) = list_params(query)?;
    Ok(Json(
        state
            .run(move |s| s.list_touchpoints(auth.org, &filter, page))
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/touchpoints", tag = "journeys", request_body = NewTouchpoint,
    responses((status = 201, body = Touchpoint), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_touchpoint(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<NewTouchpoint>,
) -> Created<Touchpoint> {
    let touchpoint = input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .change_journey(&auth.principal, move |s, org| {
                    s.create_touchpoint(org, touchpoint, Utc::now())
                })
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/touchpoints/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 200, body = Touchpoint), (status = 404, body = ErrorBody)))]
pub async fn get_touchpoint(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Touchpoint>, ApiError> {
    Ok(Json(
        state.run(move |s| s.get_touchpoint(auth.org, id)).await?,
    ))
}

/// Change a touchpoint: move it in the tree, mark a moment of truth, set its owner and channels.
#[utoipa::path(patch, path = "/api/v1/touchpoints/{id}", tag = "journeys", params(("id" = i64, Path)), request_body = TouchpointPatch,
    responses((status = 200, body = Touchpoint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_touchpoint(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<TouchpointPatch>,
) -> Result<Json<Touchpoint>, ApiError> {
    let patch = input.validate()?;
    Ok(Json(
        state
            .change_journey(&auth.principal, move |s, org| {
                s.update_touchpoint(org, id, patch)
            })
            .await?,
    ))
}

/// Delete a touchpoint and the touchpoints below it, unless signals refer to them.
#[utoipa::path(delete, path = "/api/v1/touchpoints/{id}", tag = "journeys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_touchpoint(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .change_journey(&auth.principal, move |s, org| s.delete_touchpoint(org, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The company's names for values of its data that are not things of its own — segments,
/// regions, plans, departments, interaction kinds, outcomes, products, attributes — in the
/// languages of the interface; pages show them in their reader's language.
#[utoipa::path(get, path = "/api/v1/vocabulary", tag = "journeys",
    responses((status = 200, body = Vec<Term>)))]
pub async fn vocabulary(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Term>>, ApiError> {
    Ok(Json(state.run(move |s| s.vocabulary(auth.org)).await?))
}

/// Name a value (e.g. `{"kind": "segment", "key": "mass", "names": {"uk": "Масовий"}}`),
/// replacing the names it had.
#[utoipa::path(put, path = "/api/v1/vocabulary", tag = "journeys", request_body = Term,
    responses((status = 200, body = Term), (status = 422, body = ErrorBody)))]
pub async fn set_term(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(term): ApiJson<Term>,
) -> Result<Json<Term>, ApiError> {
    Ok(Json(state.run(move |s| s.set_term(auth.org, term)).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TermRef {
    #[param(pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub kind: String,
    pub key: String,
}

/// Forget the names of a value; pages show the value as records carry it.
#[utoipa::path(delete, path = "/api/v1/vocabulary", tag = "journeys", params(TermRef),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delete_term(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<TermRef>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(term) = query
        .map_err(|e| ApiError::invalid(dosvid_domain::FieldError::new("query", e.body_text())))?;
    state
        .run(move |s| s.delete_term(auth.org, &term.kind, &term.key))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
