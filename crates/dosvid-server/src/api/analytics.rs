//! `/api/v1/query`, the dashboard's convenience questions (overview, trend, journey map), and
//! the organisation's settings that shape their answers.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use dosvid_analytics::{
    CxIndexRequest, CxIndexResult, DriversRequest, DriversResult, FunnelRequest, FunnelResult,
    ImpactRequest, ImpactResult, JourneyMap, MomentsRequest, MomentsResult, PrioritiesRequest,
    PrioritiesResult, QueryRequest, QueryResult, RetentionRequest, RetentionResult,
    ValueChainRequest, ValueChainResult,
};
use dosvid_domain::{Organisation, OrganisationPatch};

use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth};
use crate::questions::SliceParams;
use crate::{ApiError, AppState};

/// Ask a question of the feedback records: measures (n, NPS, CSAT, CES, reach, …) for the
/// records passing the filters, grouped by up to two dimensions, optionally against another
/// period with significance tests. Every value comes with its n, 95% interval and a
/// `low_sample` flag below `min_sample` answers.
#[utoipa::path(post, path = "/api/v1/query", tag = "analytics", request_body = QueryRequest,
    responses((status = 200, body = QueryResult), (status = 422, body = ErrorBody)))]
pub async fn query(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Json<QueryResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.query(&request))
            .await?,
    ))
}

/// The CX index: emotional (comment sentiment), cognitive (CSAT top-two-box, CES % easy) and
/// behavioural (recommendation from NPS, retention: a purchase within 90 days of the record)
/// components, 0–100 each, and their weighted mean — for any slice and grouping, or one customer.
#[utoipa::path(post, path = "/api/v1/cx-index", tag = "analytics", request_body = CxIndexRequest,
    responses((status = 200, body = CxIndexResult), (status = 422, body = ErrorBody)))]
pub async fn cx_index(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<CxIndexRequest>,
) -> Result<Json<CxIndexResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.cx_index(&request))
            .await?,
    ))
}

/// Key drivers: what moves NPS, CSAT, CES or churn. Every value of the factors (themes,
/// touchpoints, channels, customer attributes) is an indicator in one least-squares model of the
/// outcome; each value's relative importance (Johnson's relative weights, summing to R²) and its
/// effect with everything else equal, with bootstrap intervals over customers, p-values and
/// Benjamini–Hochberg control of false discoveries at 5%.
#[utoipa::path(post, path = "/api/v1/drivers", tag = "insights", request_body = DriversRequest,
    responses((status = 200, body = DriversResult), (status = 422, body = ErrorBody)))]
pub async fn drivers(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<DriversRequest>,
) -> Result<Json<DriversResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.drivers(&request))
            .await?,
    ))
}

/// What to fix first: each problem (a value that makes the outcome worse) scored by prevalence
/// (the share of customers whose answers carry it) × impact (its effect) × the affected
/// customers' value (their revenue relative to everyone's), with the complaints about it beside;
/// and the importance × performance matrix.
#[utoipa::path(post, path = "/api/v1/priorities", tag = "insights", request_body = PrioritiesRequest,
    responses((status = 200, body = PrioritiesResult), (status = 422, body = ErrorBody)))]
pub async fn priorities(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<PrioritiesRequest>,
) -> Result<Json<PrioritiesResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.priorities(&request))
            .await?,
    ))
}

/// The value chain: customers grouped by their latest answer in the period (NPS group, CSAT
/// group or sentiment) and what they did in the `horizon_days` after — churn, retention,
/// revenue per customer, expansion, contacts — each with its interval and the difference from
/// the first group with its significance; and what one point of NPS is worth.
#[utoipa::path(post, path = "/api/v1/value-chain", tag = "insights", request_body = ValueChainRequest,
    responses((status = 200, body = ValueChainResult), (status = 422, body = ErrorBody)))]
pub async fn value_chain(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<ValueChainRequest>,
) -> Result<Json<ValueChainResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.value_chain(&request))
            .await?,
    ))
}

/// What an initiative changed: difference in differences of the records it reached
/// (`treated`) against `comparison` (default: every other record, less the values of the
/// treated customer attribute that changed at the start themselves) between the `before_days`
/// before `starts_on` and the `after_days` after; intervals by a bootstrap over customers, a
/// parallel-trends check on the before period, the benefit in revenue and ROX against
/// `cost_minor`. `as_if_started_on` runs the same analysis at a placebo date.
#[utoipa::path(post, path = "/api/v1/impact", tag = "strategy", request_body = ImpactRequest,
    responses((status = 200, body = ImpactResult), (status = 422, body = ErrorBody)))]
pub async fn impact(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<ImpactRequest>,
) -> Result<Json<ImpactResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.impact(&request))
            .await?,
    ))
}

/// A journey funnel: of the customers whose first step fell in the period, how many reached
/// each next step in order within `within_days` (interactions and feedback records), overall
/// and per group, with the largest significant drop flagged. Without steps: the journey's
/// stages in order.
#[utoipa::path(post, path = "/api/v1/funnel", tag = "insights", request_body = FunnelRequest,
    responses((status = 200, body = FunnelResult), (status = 422, body = ErrorBody)))]
pub async fn funnel(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<FunnelRequest>,
) -> Result<Json<FunnelResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.funnel(&request))
            .await?,
    ))
}

/// Moments of truth from data: for each touchpoint, how much more the customers who were
/// detractors there churn in the horizon than the others who answered there — the touchpoints
/// where that difference is significant are suggested, beside the ones marked in the journey.
#[utoipa::path(post, path = "/api/v1/moments-of-truth", tag = "insights", request_body = MomentsRequest,
    responses((status = 200, body = MomentsResult), (status = 422, body = ErrorBody)))]
pub async fn moments_of_truth(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<MomentsRequest>,
) -> Result<Json<MomentsResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| {
                index.moments_of_truth(&request)
            })
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisation", tag = "settings",
    responses((status = 200, body = Organisation)))]
pub async fn get_organisation(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(state.run(move |s| s.organisation(auth.org)).await?))
}

/// Rename the organisation or change the time zone its days, weeks and months are counted in.
#[utoipa::path(patch, path = "/api/v1/organisation", tag = "settings", request_body = OrganisationPatch,
    responses((status = 200, body = Organisation), (status = 422, body = ErrorBody)))]
pub async fn update_organisation(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(patch): ApiJson<OrganisationPatch>,
) -> Result<Json<Organisation>, ApiError> {
    let patch = patch.validate()?;
    Ok(Json(
        state
            .operate(
                &auth.principal,
                move |op| Ok(op.update_organisation(patch)?),
            )
            .await?,
    ))
}

/// Retention and revenue from transactions — CRR, GRR, NRR, revenue, CLV (formula and
/// historical) — by month, quarter or year, for all customers or by a customer attribute.
#[utoipa::path(post, path = "/api/v1/retention", tag = "analytics", request_body = RetentionRequest,
    responses((status = 200, body = RetentionResult), (status = 422, body = ErrorBody)))]
pub async fn retention(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<RetentionRequest>,
) -> Result<Json<RetentionResult>, ApiError> {
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.retention(&request))
            .await?,
    ))
}

/// The headline numbers of a slice — n, reach, NPS, CSAT, CES — with intervals and, when the
/// period has both ends, the change against the period before it.
#[utoipa::path(get, path = "/api/v1/overview", tag = "analytics", params(SliceParams),
    responses((status = 200, body = QueryResult), (status = 422, body = ErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<SliceParams>, QueryRejection>,
) -> Result<Json<QueryResult>, ApiError> {
    let request = super::query_params(query)?.overview()?;
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.query(&request))
            .await?,
    ))
}

/// Measures of a slice by day, week, month, quarter or year.
#[utoipa::path(get, path = "/api/v1/trend", tag = "analytics", params(SliceParams),
    responses((status = 200, body = QueryResult), (status = 422, body = ErrorBody)))]
pub async fn trend(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<SliceParams>, QueryRejection>,
) -> Result<Json<QueryResult>, ApiError> {
    let request = super::query_params(query)?.trend()?;
    Ok(Json(
        state
            .ask(&auth.principal, move |index| index.query(&request))
            .await?,
    ))
}

/// The journey map's data: every stage and touchpoint with n, NPS, CSAT and CES (a touchpoint
/// counting everything below it), moments of truth and owners, and — when the period has both
/// ends — the change against the period before.
#[utoipa::path(get, path = "/api/v1/journey-map", tag = "analytics", params(SliceParams),
    responses((status = 200, body = JourneyMap), (status = 422, body = ErrorBody)))]
pub async fn journey_map(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    query: Result<Query<SliceParams>, QueryRejection>,
) -> Result<Json<JourneyMap>, ApiError> {
    let params = super::query_params(query)?;
    let filters = params.filters()?;
    let journey = params.journey();
    Ok(Json(
        state
            .ask(&auth.principal, move |index| {
                index.journey_map(journey.as_ref(), filters, params.min_sample)
            })
            .await?,
    ))
}
