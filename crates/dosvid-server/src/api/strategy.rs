//! Goals, initiatives and strategy cycles (issue 18): thin handlers over `crate::strategy`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_analytics::{ImpactResult, Index};
use dosvid_domain::FieldError;
use dosvid_domain::strategy::{
    Cycle, CycleDefinition, CycleStagePatch, Goal, GoalDefinition, Initiative,
    InitiativeDefinition, InitiativeStatus, StageKey, StatusChange,
};
use dosvid_store::StoreError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Id, query_params};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth};
use crate::strategy::{self, CycleView, GoalProgress, ImpactParams};
use crate::{ApiError, AppState};

/// A JSON merge patch (RFC 7396) applied to a stored definition, read again as a whole so the
/// result is checked like a new one.
pub(crate) fn merge<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<T, FieldError> {
    let mut value =
        serde_json::to_value(current).map_err(|e| FieldError::new("body", e.to_string()))?;
    let object = value.as_object_mut().expect("a definition is an object");
    for (key, v) in patch {
        if v.is_null() {
            object.remove(&key);
        } else {
            object.insert(key, v);
        }
    }
    dosvid_domain::error::from_json(&value.to_string())
}

/// Set a CX goal. Its baseline — the metric over the `window_days` before today, with n and
/// interval — is measured now and kept.
#[utoipa::path(post, path = "/api/v1/goals", tag = "strategy", request_body = GoalDefinition,
    responses((status = 201, body = Goal), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_goal(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(goal): ApiJson<GoalDefinition>,
) -> Result<(StatusCode, Json<Goal>), ApiError> {
    let goal = state
        .with_index(&auth.principal, move |store, index| {
            strategy::set_goal(store, index, auth.org, goal, Utc::now())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(goal)))
}

/// Every goal with its progress.
#[utoipa::path(get, path = "/api/v1/goals", tag = "strategy",
    responses((status = 200, body = Vec<GoalProgress>)))]
pub async fn list_goals(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<GoalProgress>>, ApiError> {
    Ok(Json(
        state
            .with_index(&auth.principal, move |store, index| {
                strategy::goals_progress(store, index, auth.org, |_| true, Utc::now())
            })
            .await?,
    ))
}

/// A goal's progress: the current value with its interval (the same figure `/query` gives for
/// the scope over `current.from`–`current.to`), the change since the baseline, the month-by-month
/// trend, and a status — achieved, on track, at risk, off track, not enough data — judged by
/// the interval against the path from the baseline to the target and the trend.
#[utoipa::path(get, path = "/api/v1/goals/{id}", tag = "strategy", params(("id" = i64, Path)),
    responses((status = 200, body = GoalProgress), (status = 404, body = ErrorBody)))]
pub async fn get_goal(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<GoalProgress>, ApiError> {
    Ok(Json(
        state
            .with_index(&auth.principal, move |store, index| {
                let now = Utc::now();
                strategy::goals_progress(store, index, auth.org, |g| g.id == id, now)?
                    .pop()
                    .ok_or_else(|| StoreError::NotFound {
                        entity: "goal",
                        id: id.to_string(),
                    })
            })
            .await?,
    ))
}

/// Change a goal's name, target, due date, owner, parent or cycle (a merge patch). What it
/// measures — metric, scope, window — cannot change: set a new goal.
#[utoipa::path(patch, path = "/api/v1/goals/{id}", tag = "strategy", params(("id" = i64, Path)),
    request_body = Object,
    responses((status = 200, body = Goal), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_goal(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Goal>, ApiError> {
    Ok(Json(
        state
            .run(move |s| {
                let goal = s.get_goal(auth.org, id)?;
                s.update_goal(auth.org, id, merge(&goal.definition, patch)?)
            })
            .await?,
    ))
}

/// Delete a goal; the goals under it and the initiatives serving it stay, unlinked.
#[utoipa::path(delete, path = "/api/v1/goals/{id}", tag = "strategy", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_goal(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_goal(auth.org, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add an initiative to the action plan.
#[utoipa::path(post, path = "/api/v1/initiatives", tag = "strategy", request_body = InitiativeDefinition,
    responses((status = 201, body = Initiative), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_initiative(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(initiative): ApiJson<InitiativeDefinition>,
) -> Result<(StatusCode, Json<Initiative>), ApiError> {
    let initiative = state
        .with_index(&auth.principal, move |s, index| {
            check_scopes(index, &initiative)?;
            s.create_initiative(auth.org, initiative, Some("api"), Utc::now())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(initiative)))
}

/// The treated and comparison filters must name what exists, or the impact could never be
/// measured.
fn check_scopes(index: &Index, initiative: &InitiativeDefinition) -> Result<(), FieldError> {
    let mut groups = vec![("treated", &initiative.treated)];
    if let Some(comparison) = &initiative.comparison {
        groups.push(("comparison", comparison));
    }
    for (field, scope) in groups {
        let filters = strategy::filters(field, scope)?;
        index
            .query(&dosvid_analytics::QueryRequest {
                measures: vec![dosvid_analytics::Measure::N],
                filters,
                ..Default::default()
            })
            .map_err(|e| FieldError::new(e.field.replacen("filters", field, 1), e.message))?;
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InitiativeParams {
    /// Only initiatives with this status.
    #[param(value_type = Option<dosvid_domain::strategy::InitiativeStatus>)]
    pub status: Option<String>,
    /// Only those of this cycle.
    pub cycle_id: Option<i64>,
    /// `priority` (default), `budget`, `owner` or `starts_on`.
    #[param(pattern = "^(priority|budget|owner|starts_on)$")]
    pub sort: Option<String>,
}

/// The action plan: initiatives by priority (high first, then the largest budget), budget
/// (largest first), owner department or start.
#[utoipa::path(get, path = "/api/v1/initiatives", tag = "strategy", params(InitiativeParams),
    responses((status = 200, body = Vec<Initiative>), (status = 422, body = ErrorBody)))]
pub async fn list_initiatives(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<InitiativeParams>, QueryRejection>,
) -> Result<Json<Vec<Initiative>>, ApiError> {
    let params = query_params(params)?;
    let status = params
        .status
        .as_deref()
        .map(|raw| {
            InitiativeStatus::parse(raw).ok_or_else(|| {
                FieldError::new(
                    "status",
                    "must be idea, planned, in_progress, done or dropped",
                )
            })
        })
        .transpose()?;
    let sort = params.sort.clone().unwrap_or_else(|| "priority".into());
    if !["priority", "budget", "owner", "starts_on"].contains(&sort.as_str()) {
        return Err(FieldError::new("sort", "must be priority, budget, owner or starts_on").into());
    }
    let mut list = state.run(move |s| s.list_initiatives(auth.org)).await?;
    list.retain(|i| {
        status.is_none_or(|s| i.definition.status == s)
            && params
                .cycle_id
                .is_none_or(|c| i.definition.cycle_id == Some(c))
    });
    strategy::sort_initiatives(&mut list, &sort);
    Ok(Json(list))
}

/// An initiative with the log of its status changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct InitiativeWithLog {
    #[serde(flatten)]
    pub initiative: Initiative,
    pub status_log: Vec<StatusChange>,
}

#[utoipa::path(get, path = "/api/v1/initiatives/{id}", tag = "strategy", params(("id" = i64, Path)),
    responses((status = 200, body = InitiativeWithLog), (status = 404, body = ErrorBody)))]
pub async fn get_initiative(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<InitiativeWithLog>, ApiError> {
    Ok(Json(
        state
            .run(move |s| {
                Ok(InitiativeWithLog {
                    initiative: s.get_initiative(auth.org, id)?,
                    status_log: s.initiative_log(auth.org, id)?,
                })
            })
            .await?,
    ))
}

/// Change an initiative (a merge patch: `{"status": "in_progress"}`); a status change is logged.
#[utoipa::path(patch, path = "/api/v1/initiatives/{id}", tag = "strategy", params(("id" = i64, Path)),
    request_body = Object,
    responses((status = 200, body = Initiative), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_initiative(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Initiative>, ApiError> {
    Ok(Json(
        state
            .with_index(&auth.principal, move |s, index| {
                let current = s.get_initiative(auth.org, id)?;
                let changed = merge(&current.definition, patch)?;
                check_scopes(index, &changed)?;
                s.update_initiative(auth.org, id, changed, Some("api"), Utc::now())
            })
            .await?,
    ))
}

/// What the initiative changed (ROX): difference in differences of its `treated` records
/// against its `comparison` (or the records it did not reach) around `starts_on`, with a
/// bootstrap interval, a parallel-trends check, the benefit in revenue and ROX against its
/// budget. `as_if_started_on` shows what "no effect" looks like.
#[utoipa::path(get, path = "/api/v1/initiatives/{id}/impact", tag = "strategy",
    params(("id" = i64, Path), ImpactParams),
    responses((status = 200, body = ImpactResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn initiative_impact(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    params: Result<Query<ImpactParams>, QueryRejection>,
) -> Result<Json<ImpactResult>, ApiError> {
    let params = query_params(params)?;
    Ok(Json(
        state
            .with_index(&auth.principal, move |s, index| {
                let initiative = s.get_initiative(auth.org, id)?;
                Ok(strategy::impact(index, &initiative, &params)?)
            })
            .await?,
    ))
}

/// Start a strategy cycle: the eight stages of SPEC §2 in order, the journey's touchpoints with
/// owners and moments of truth attached to stage 2 and the top priorities to stage 3; with
/// `previous_id`, the previous cycle's vision and findings carried over.
#[utoipa::path(post, path = "/api/v1/strategy-cycles", tag = "strategy", request_body = CycleDefinition,
    responses((status = 201, body = Cycle), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_cycle(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(definition): ApiJson<CycleDefinition>,
) -> Result<(StatusCode, Json<Cycle>), ApiError> {
    let cycle = state
        .with_index(&auth.principal, move |s, index| {
            strategy::start_cycle(s, index, auth.org, definition, Utc::now())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(cycle)))
}

#[utoipa::path(get, path = "/api/v1/strategy-cycles", tag = "strategy",
    responses((status = 200, body = Vec<Cycle>)))]
pub async fn list_cycles(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Cycle>>, ApiError> {
    Ok(Json(state.run(move |s| s.list_cycles(auth.org)).await?))
}

/// A cycle with where the company is (the first stage not done), what is overdue, and what each
/// stage shows: the action plan, the budget by department against the cycle's, the roles, the
/// changes delivered, each goal's result and each initiative's measured impact.
#[utoipa::path(get, path = "/api/v1/strategy-cycles/{id}", tag = "strategy", params(("id" = i64, Path)),
    responses((status = 200, body = CycleView), (status = 404, body = ErrorBody)))]
pub async fn get_cycle(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<CycleView>, ApiError> {
    Ok(Json(
        state
            .with_index(&auth.principal, move |s, index| {
                let cycle = s.get_cycle(auth.org, id)?;
                strategy::cycle_view(s, index, auth.org, cycle, Utc::now())
            })
            .await?,
    ))
}

/// Change one stage: status, owner, due date, notes (for the service vision: the vision), and
/// artefacts added.
#[utoipa::path(patch, path = "/api/v1/strategy-cycles/{id}/stages/{stage}", tag = "strategy",
    params(("id" = i64, Path), ("stage" = String, Path, description = "service_vision, touchpoints, needs, action_plan, budget, roles, brand_experience or evaluation")),
    request_body = CycleStagePatch,
    responses((status = 200, body = Cycle), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_stage(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, stage)): Path<(String, String)>,
    ApiJson(patch): ApiJson<CycleStagePatch>,
) -> Result<Json<Cycle>, ApiError> {
    let not_found = |what: String| ApiError::new(StatusCode::NOT_FOUND, "not_found", what);
    let id: i64 = id
        .parse()
        .map_err(|_| not_found(format!("no record with id '{id}'")))?;
    let stage = StageKey::parse(&stage).ok_or_else(|| not_found(format!("no stage '{stage}'")))?;
    Ok(Json(
        state
            .run(move |s| s.update_cycle_stage(auth.org, id, stage, patch))
            .await?,
    ))
}
