//! Cases through the API: open, list, change, log notes and contacts, and the service metrics
//! measured from them — MTTR (mean, median, p90), FCR, SLA compliance and the backlog — by team,
//! priority or touchpoint.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::FieldError;
use dosvid_domain::alert::{Alert, Rule, RuleDefinition};
use dosvid_domain::case::{Case, CaseEvent, CaseEventKind, CasePatch, CaseStatus, NewCase};
use dosvid_store::{CaseFilter, all_pages};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{Id, ListResponse, query_params};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth, ListParams};
use crate::service::{CaseGroup, CaseMetricsRow, case_metrics};
use crate::{ApiError, AppState};

/// Open a case by hand (rules open them too, as they land).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCase,
    responses((status = 201, body = Case), (status = 422, body = ErrorBody)))]
pub async fn create_case(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(case): ApiJson<NewCase>,
) -> Result<(StatusCode, Json<Case>), ApiError> {
    let case = state
        .operate(&auth.principal, move |op| {
            Ok(op.open_case(case, Some("api"), Utc::now())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(case)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseParams {
    /// new, in_progress, waiting_for_customer, resolved, closed.
    pub status: Option<String>,
    /// `true`: only cases not resolved or closed.
    pub open: Option<bool>,
    pub team: Option<String>,
    pub owner: Option<String>,
    /// Opened from (inclusive).
    pub from: Option<String>,
    /// Opened before (exclusive).
    pub to: Option<String>,
    /// One customer's cases.
    pub customer_id: Option<String>,
    /// The list only.
    pub cursor: Option<String>,
    /// The list only.
    pub limit: Option<String>,
    /// `/cases/metrics`: `team` (default), `owner`, `priority` or `touchpoint`.
    pub group_by: Option<String>,
    /// `/cases/metrics`: below this many resolved (FCR) or judged (SLA) cases a share is
    /// flagged `low_sample` (default 30).
    pub min_sample: Option<String>,
}

impl CaseParams {
    fn filter(&self) -> Result<CaseFilter, FieldError> {
        let times = ListParams {
            from: self.from.clone(),
            to: self.to.clone(),
            customer_id: self.customer_id.clone(),
            ..Default::default()
        }
        .filter(Utc::now())?;
        Ok(CaseFilter {
            status: self
                .status
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| {
                    CaseStatus::parse(s).ok_or_else(|| {
                        FieldError::new(
                            "status",
                            "must be new, in_progress, waiting_for_customer, resolved or closed",
                        )
                    })
                })
                .transpose()?,
            open: self.open.unwrap_or(false),
            team: self.team.clone().filter(|t| !t.is_empty()),
            owner: self.owner.clone().filter(|o| !o.is_empty()),
            from: times.from,
            to: times.to,
            customer_id: times.customer_id,
        })
    }
}

/// List cases, oldest first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseParams),
    responses((status = 200, body = ListResponse<Case>), (status = 422, body = ErrorBody)))]
pub async fn list_cases(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<CaseParams>, QueryRejection>,
) -> Result<Json<ListResponse<Case>>, ApiError> {
    let params = query_params(params)?;
    let filter = params.filter()?;
    let page = ListParams {
        cursor: params.cursor.clone(),
        limit: params.limit.clone(),
        ..Default::default()
    }
    .page()?;
    let sight = state.sight(&auth.principal).await?;
    let mut page = state
        .run(move |s| s.list_cases(auth.org, &filter, page))
        .await?;
    page.items.retain(|c| sight.case(c));
    Ok(Json(page.into()))
}

/// A case.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Case), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Case>, ApiError> {
    state.check_case(&auth.principal, id).await?;
    Ok(Json(state.run(move |s| s.get_case(auth.org, id)).await?))
}

/// Change a case: status (new → in progress → waiting for customer → resolved → closed; a
/// resolved case may be reopened), priority (its due time follows), team, owner, codes. A
/// resolution code is required to resolve.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = CasePatch,
    responses((status = 200, body = Case), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_case(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(patch): ApiJson<CasePatch>,
) -> Result<Json<Case>, ApiError> {
    Ok(Json(
        state
            .operate(&auth.principal, move |op| {
                Ok(op.change_case(id, patch, Some("api"), Utc::now())?)
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// `note` (internal) or `contact` (with the customer; counts for FCR).
    pub kind: CaseEventKind,
    pub text: String,
    /// Who wrote it.
    pub by: Option<String>,
}

/// Log a note or a contact with the customer on a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/events", tag = "cases", params(("id" = i64, Path)), request_body = EventInput,
    responses((status = 201, body = CaseEvent), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_event(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<(StatusCode, Json<CaseEvent>), ApiError> {
    if input.kind == CaseEventKind::Change {
        return Err(FieldError::new(
            "kind",
            "must be note or contact; changes are logged by PATCH",
        )
        .into());
    }
    let by = dosvid_domain::error::short_text("by", input.by.as_deref())?;
    let event = state
        .operate(&auth.principal, move |op| {
            Ok(op.add_case_event(id, input.kind, by.as_deref(), &input.text, Utc::now())?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// A case's log: changes, notes and contacts, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CaseEvent>), (status = 404, body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Vec<CaseEvent>>, ApiError> {
    state.check_case(&auth.principal, id).await?;
    Ok(Json(state.run(move |s| s.case_events(auth.org, id)).await?))
}

/// Service metrics from cases opened in the period: MTTR, FCR, SLA compliance, backlog.
#[utoipa::path(get, path = "/api/v1/cases/metrics", tag = "cases", params(CaseParams),
    responses((status = 200, body = Vec<CaseMetricsRow>), (status = 422, body = ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<CaseParams>, QueryRejection>,
) -> Result<Json<Vec<CaseMetricsRow>>, ApiError> {
    let params = query_params(params)?;
    // The metrics are one answer, not pages: a page's parameters are a mistake to point out.
    if let Some(field) = [("cursor", &params.cursor), ("limit", &params.limit)]
        .into_iter()
        .find_map(|(field, value)| value.is_some().then_some(field))
    {
        return Err(FieldError::new(field, "the metrics are one answer, not pages").into());
    }
    let filter = params.filter()?;
    let by = CaseGroup::parse(params.group_by.as_deref())?;
    let min_sample = match params.min_sample.as_deref() {
        None => dosvid_metrics::DEFAULT_MIN_SAMPLE,
        Some(raw) => raw
            .parse()
            .map_err(|_| FieldError::new("min_sample", "must be a whole number, 0 or more"))?,
    };
    let sight = state.sight(&auth.principal).await?;
    let mut cases = state
        .run(move |s| all_pages(|p| s.list_cases(auth.org, &filter, p)))
        .await?;
    cases.retain(|c| sight.case(c));
    let rows = case_metrics(&cases, by, min_sample, Utc::now());
    Ok(Json(rows))
}

/// Alert rules on single records: conditions on scores, source, severity, sentiment, emotions,
/// themes, touchpoint (with everything below it), channel and customer attributes; each record
/// stored (by a batch, a survey answer or a logged complaint) that matches opens one case.
#[utoipa::path(get, path = "/api/v1/alert-rules", tag = "cases",
    responses((status = 200, body = Vec<Rule>)))]
pub async fn list_rules(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Rule>>, ApiError> {
    Ok(Json(state.run(move |s| s.list_rules(auth.org)).await?))
}

/// Create a rule.
#[utoipa::path(post, path = "/api/v1/alert-rules", tag = "cases", request_body = RuleDefinition,
    responses((status = 201, body = Rule), (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(rule): ApiJson<RuleDefinition>,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    let rule = state
        .run(move |s| s.create_rule(auth.org, rule, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replace a rule (set `enabled: false` to pause it).
#[utoipa::path(put, path = "/api/v1/alert-rules/{id}", tag = "cases", params(("id" = i64, Path)), request_body = RuleDefinition,
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_rule(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(rule): ApiJson<RuleDefinition>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(
        state
            .run(move |s| s.update_rule(auth.org, id, rule))
            .await?,
    ))
}

/// Delete a rule; the cases it opened stay.
#[utoipa::path(delete, path = "/api/v1/alert-rules/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_rule(auth.org, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn date(field: &str, raw: &str) -> Result<chrono::NaiveDate, FieldError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "must be a date, YYYY-MM-DD"))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateInput {
    /// The recent window ends before this day (default: today in the organisation's zone).
    pub as_of: Option<String>,
}

/// Evaluate an aggregate rule now (the schedule does every 15 minutes): its verdict per scope,
/// and the alerts raised — each opening a case and firing `alert.fired`; a scope still firing
/// for the problem of its latest alert raises nothing new.
#[utoipa::path(post, path = "/api/v1/alert-rules/{id}/evaluate", tag = "cases", params(("id" = i64, Path)), request_body = EvaluateInput,
    responses((status = 200, body = crate::watch::Evaluation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn evaluate_rule(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<EvaluateInput>,
) -> Result<Json<crate::watch::Evaluation>, ApiError> {
    let as_of = input
        .as_of
        .as_deref()
        .map(|d| date("as_of", d))
        .transpose()?;
    let evaluation = state
        .operate(&auth.principal, move |op| op.evaluate_rule(id, as_of))
        .await?;
    Ok(Json(evaluation))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestInput {
    /// The first and last days evaluated (YYYY-MM-DD).
    pub from: String,
    pub to: String,
}

/// Replay an aggregate rule on every day of a past period, one alert per problem, writing nothing:
/// the alerts it would have raised and how often (`alert_rate`).
#[utoipa::path(post, path = "/api/v1/alert-rules/{id}/backtest", tag = "cases", params(("id" = i64, Path)), request_body = BacktestInput,
    responses((status = 200, body = crate::watch::Backtest), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn backtest_rule(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(input): ApiJson<BacktestInput>,
) -> Result<Json<crate::watch::Backtest>, ApiError> {
    let (from, to) = (date("from", &input.from)?, date("to", &input.to)?);
    let rule = state.run(move |s| s.get_rule(auth.org, id)).await?;
    let Some(watch) = rule.definition.watch else {
        return Err(FieldError::new("id", "the rule watches records, not aggregates").into());
    };
    Ok(Json(
        state
            .ask(&auth.principal, move |index| {
                crate::watch::backtest(index, &watch, from, to)
            })
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// Only this rule's alerts.
    pub rule: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

/// Alerts raised by aggregate rules, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "cases", params(AlertParams),
    responses((status = 200, body = ListResponse<Alert>), (status = 422, body = ErrorBody)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<AlertParams>, QueryRejection>,
) -> Result<Json<ListResponse<Alert>>, ApiError> {
    let params = query_params(params)?;
    let page = ListParams {
        cursor: params.cursor,
        limit: params.limit,
        ..Default::default()
    }
    .page()?;
    let rule = params.rule;
    Ok(Json(
        state
            .run(move |s| s.list_alerts(auth.org, rule, page))
            .await?
            .into(),
    ))
}
