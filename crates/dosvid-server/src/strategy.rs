//! Managing the experience (issue 18): what goals, initiatives and strategy cycles mean in
//! numbers. A goal's value is measured with the same questions `/query`, `/cx-index`,
//! `/retention` and the case metrics answer; an initiative's return is `/impact` run with what
//! the initiative says; a cycle gathers its goals, initiatives, budget, roles, deliveries and
//! evaluation. Both the JSON API and the pages call these functions.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use dosvid_analytics::{
    Bucket, CxIndexRequest, Filters, ImpactMetric, ImpactRequest, ImpactResult, Index, Interval,
    Measure, OneOrMany, PrioritiesRequest, QueryRequest, RETENTION_WINDOW_DAYS, RetentionRequest,
};
use dosvid_domain::strategy::{
    Artefact, Cycle, CycleDefinition, Finding, Goal, GoalDefinition, GoalMetric, GoalStatus,
    Initiative, InitiativeStatus, Measurement, Raci, StageKey,
};
use dosvid_domain::{Attributes, FieldError, OrgId};
use dosvid_metrics::{Estimate, Moments};
use dosvid_store::{CaseFilter, Filter, Store, StoreError, all_pages};
use serde::{Deserialize, Serialize};

use crate::analytics::read_index;
use crate::{ApiError, AppState};
use utoipa::{IntoParams, ToSchema};

impl AppState {
    /// Runs `f` on a blocking thread with the store and the analytics index of what `who` may
    /// see.
    pub(crate) async fn with_index<T: Send + 'static>(
        &self,
        who: &crate::access::Principal,
        f: impl FnOnce(&dyn Store, &Index) -> dosvid_store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let analytics = self.analytics.clone();
        let who = who.clone();
        self.run(move |store| {
            let index = analytics.index(store, who.org)?;
            let index = read_index(&index);
            match who.part_of(&index) {
                Some(part) => f(store, &part.index),
                None => f(store, &index),
            }
        })
        .await
    }
}

const DEFAULT_MIN_SAMPLE: u64 = 30;
/// Months of a goal's trend shown at most.
const TREND_MONTHS: usize = 24;

/// Reads a stored scope as the filters of `/query`.
pub fn filters(field: &str, scope: &Attributes) -> Result<Filters, FieldError> {
    serde_json::from_value(serde_json::Value::Object(scope.clone()))
        .map_err(|e| FieldError::new(field, e.to_string()))
}

/// The organisation's today.
pub fn today(index: &Index, now: DateTime<Utc>) -> NaiveDate {
    day_to_date(index.zone().day(now.timestamp()))
}

/// The end (exclusive) of what can be measured now: today, or the day after the latest record
/// when the data stops earlier — a feed that has stopped shows its last figures, with the
/// period they cover.
fn measured_until(index: &Index, now: DateTime<Utc>) -> NaiveDate {
    let today = today(index, now);
    index.latest().map_or(today, |s| {
        today.min(day_to_date(index.zone().day(s)) + chrono::Days::new(1))
    })
}

fn day_to_date(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day + 719_163).unwrap_or_default()
}

pub(crate) fn date_to_day(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - 719_163
}

fn from_estimate(from: NaiveDate, to: NaiveDate, e: &Estimate) -> Measurement {
    Measurement {
        from,
        to,
        value: e.value,
        low: e.low,
        high: e.high,
        n: e.n,
        low_sample: e.low_sample,
    }
}

fn only(
    field: &str,
    scope: &Attributes,
    allowed: &[&str],
    metric: GoalMetric,
) -> Result<(), FieldError> {
    match scope.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(FieldError::new(
            format!("{field}.{key}"),
            format!(
                "{} is measured with {}; only {} can narrow it",
                metric.as_str(),
                match metric {
                    GoalMetric::Nrr => "customers' revenue",
                    _ => "cases",
                },
                allowed.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Measures a goal's metric over its scope from `from` (inclusive) to `to` (exclusive), local
/// days of the organisation: the same figure `/query` (nps, csat, ces), `/cx-index` (cx_index;
/// churn is 100 − its retention part, over the window 90 days earlier, whose outcome is known), `/retention` (nrr: the mean of the months' NRR) or the
/// case metrics (mttr, fcr, cases opened in the period) give for the same scope and period.
pub fn measure(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    (metric, scope): (GoalMetric, &Attributes),
    min_sample: u64,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Measurement, StoreError> {
    // Whether a customer left is known only a horizon after their answer: churn is measured
    // over the window that far back.
    let (from, to) = if metric == GoalMetric::Churn {
        let horizon = chrono::Days::new(RETENTION_WINDOW_DAYS as u64);
        (from - horizon, to - horizon)
    } else {
        (from, to)
    };
    let mut filters = filters("filters", scope)?;
    filters.from = Some(from.to_string());
    filters.to = Some(to.to_string());
    let empty = || Measurement {
        from,
        to,
        value: None,
        low: None,
        high: None,
        n: 0,
        low_sample: true,
    };
    let measured = match metric {
        GoalMetric::Nps | GoalMetric::Csat | GoalMetric::Ces => {
            let measure = match metric {
                GoalMetric::Nps => Measure::Nps,
                GoalMetric::Csat => Measure::Csat,
                _ => Measure::Ces,
            };
            let result = index.query(&QueryRequest {
                measures: vec![Measure::N, measure],
                filters,
                min_sample: Some(min_sample),
                ..Default::default()
            })?;
            let row = result.rows.first();
            let metric = row.and_then(|r| match measure {
                Measure::Nps => r.nps.as_ref(),
                Measure::Csat => r.csat.as_ref(),
                _ => r.ces.as_ref(),
            });
            metric.map_or_else(empty, |m| from_estimate(from, to, &m.current))
        }
        GoalMetric::CxIndex | GoalMetric::Churn => {
            let result = index.cx_index(&CxIndexRequest {
                filters,
                min_sample: Some(min_sample),
                ..Default::default()
            })?;
            let Some(row) = result.rows.first() else {
                return Ok(empty());
            };
            if metric == GoalMetric::Churn {
                let retention = &row.behavioural.parts["retention"];
                Measurement {
                    from,
                    to,
                    value: retention.value.map(|v| 100.0 - v),
                    low: retention.high.map(|v| 100.0 - v),
                    high: retention.low.map(|v| 100.0 - v),
                    n: retention.n,
                    low_sample: retention.low_sample,
                }
            } else {
                // The index is a weighted mean of component means; their parts' intervals,
                // taken as independent, give its spread.
                let mut weighted = 0.0;
                let mut weights = 0.0;
                let mut variance = 0.0;
                for (component, weight) in [
                    (&row.emotional, result.weights.emotional),
                    (&row.cognitive, result.weights.cognitive),
                    (&row.behavioural, result.weights.behavioural),
                ] {
                    let Some(score) = component.score else {
                        continue;
                    };
                    let parts: Vec<&Estimate> = component
                        .parts
                        .values()
                        .filter(|e| e.value.is_some())
                        .collect();
                    let part_variance: f64 = parts
                        .iter()
                        .map(|e| match (e.low, e.high) {
                            (Some(l), Some(h)) => ((h - l) / 3.92).powi(2),
                            _ => 0.0,
                        })
                        .sum::<f64>()
                        / (parts.len() as f64).powi(2);
                    weighted += weight * score;
                    weights += weight;
                    variance += weight * weight * part_variance;
                }
                if weights <= 0.0 {
                    return Ok(empty());
                }
                let value = weighted / weights;
                let half = 1.96 * variance.sqrt() / weights;
                Measurement {
                    from,
                    to,
                    value: Some(value),
                    low: Some((value - half).max(0.0)),
                    high: Some((value + half).min(100.0)),
                    n: row.n,
                    low_sample: row.low_sample,
                }
            }
        }
        GoalMetric::Nrr => {
            only("filters", scope, &["customer"], metric)?;
            let result = index.retention(&RetentionRequest {
                period: Some(Bucket::Month),
                from: Some(from.to_string()),
                to: Some(to.to_string()),
                customer: filters.customer,
                ..Default::default()
            })?;
            let mut months = Moments::default();
            for row in result.rows.iter().filter(|r| !r.partial) {
                if let Some(nrr) = row.nrr {
                    months.add(nrr);
                }
            }
            // The months are the sample: at least three make an interval.
            from_estimate(from, to, &months.mean(3.min(min_sample)))
        }
        GoalMetric::Mttr | GoalMetric::Fcr => {
            only("filters", scope, &["touchpoint"], metric)?;
            let zone = index.zone();
            let at = |date: NaiveDate| {
                DateTime::from_timestamp(zone.day_start(date_to_day(date)), 0).unwrap_or_default()
            };
            let filter = CaseFilter {
                from: Some(at(from)),
                to: Some(at(to)),
                ..Default::default()
            };
            let mut cases = all_pages(|p| store.list_cases(org, &filter, p))?;
            // A unit's goal counts its own customers' cases.
            cases.retain(|c| index.covers(c.customer_id));
            let within = touchpoint_subtree(store, org, &filters.touchpoint)?;
            let resolved = cases.iter().filter(|c| {
                c.resolved_at.is_some()
                    && within
                        .as_ref()
                        .is_none_or(|set| c.touchpoint_id.is_some_and(|t| set.contains(&t)))
            });
            let estimate = if metric == GoalMetric::Mttr {
                let mut hours = Moments::default();
                for case in resolved {
                    if let Some(r) = case.resolved_at {
                        hours.add((r - case.opened_at).num_seconds() as f64 / 3600.0);
                    }
                }
                hours.mean(min_sample)
            } else {
                let resolved: Vec<_> = resolved.collect();
                let first = resolved.iter().filter(|c| c.contacts == 1).count() as u64;
                dosvid_metrics::fcr(first, resolved.len() as u64, min_sample)
            };
            from_estimate(from, to, &estimate)
        }
    };
    Ok(measured)
}

/// The touchpoints named (by id or key) with everything below them; `None` when none is named.
fn touchpoint_subtree(
    store: &dyn Store,
    org: OrgId,
    named: &OneOrMany<dosvid_analytics::Named>,
) -> Result<Option<HashSet<i64>>, StoreError> {
    let named = named.clone().into_vec();
    if named.is_empty() {
        return Ok(None);
    }
    let all = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let mut set: HashSet<i64> = all
        .iter()
        .filter(|t| {
            named.iter().any(|n| match n {
                dosvid_analytics::Named::Id(id) => *id == t.id,
                dosvid_analytics::Named::Key(key) => *key == t.key,
            })
        })
        .map(|t| t.id)
        .collect();
    if set.is_empty() {
        return Err(FieldError::new("filters.touchpoint", "no such touchpoint").into());
    }
    loop {
        let before = set.len();
        for t in &all {
            if t.parent_id.is_some_and(|p| set.contains(&p)) {
                set.insert(t.id);
            }
        }
        if set.len() == before {
            return Ok(Some(set));
        }
    }
}

/// The window a goal is measured over when set or judged on `day`: the `window_days` before it.
fn window(goal_window: u32, day: NaiveDate) -> (NaiveDate, NaiveDate) {
    (day - chrono::Days::new(u64::from(goal_window)), day)
}

/// Measures a goal's baseline when it is set.
pub fn baseline(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    goal: &GoalDefinition,
    now: DateTime<Utc>,
) -> Result<Measurement, StoreError> {
    let end = measured_until(index, now);
    let day = goal.set_on.map_or(end, |set| set.min(end));
    let period = window(goal.window_days, day);
    let min_sample = goal.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE);
    measure(
        store,
        index,
        org,
        (goal.metric, &goal.filters),
        min_sample,
        period,
    )
}

/// Where a goal stands: `GET /api/v1/goals/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalProgress {
    #[serde(flatten)]
    pub goal: Goal,
    /// The metric over the last `window_days` (up to the due date, once it has passed).
    pub current: Measurement,
    /// Current − baseline.
    pub change_since_baseline: Option<f64>,
    pub status: GoalStatus,
    /// Where the straight path from the baseline to the target stands today.
    pub planned: Option<f64>,
    /// Where the monthly trend since the baseline reaches by the due date (three months or more).
    pub projected: Option<f64>,
    /// The metric month by month since the baseline's window began.
    pub trend: Vec<Measurement>,
    /// The goals set under this one.
    pub children: Vec<i64>,
}

pub fn progress(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    goal: Goal,
    children: Vec<i64>,
    now: DateTime<Utc>,
) -> Result<GoalProgress, StoreError> {
    let d = &goal.definition;
    let min_sample = d.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE);
    let end = measured_until(index, now).min(d.due + chrono::Days::new(1));
    let current = measure(
        store,
        index,
        org,
        (d.metric, &d.filters),
        min_sample,
        window(d.window_days, end),
    )?;
    // Month by month from the baseline's first month to today.
    let mut trend = Vec::new();
    let mut month = goal.baseline.from.with_day(1).unwrap_or(goal.baseline.from);
    while month < end {
        let next = month + Months::new(1);
        let period = (month, next.min(end));
        trend.push(measure(
            store,
            index,
            org,
            (d.metric, &d.filters),
            min_sample.min(10),
            period,
        )?);
        month = next;
    }
    if trend.len() > TREND_MONTHS {
        trend.drain(..trend.len() - TREND_MONTHS);
    }
    let projected = projection(&trend, current.value, end, d.due);
    let judgement = goal.judge(&current, projected, end);
    Ok(GoalProgress {
        change_since_baseline: current.value.zip(goal.baseline.value).map(|(c, b)| c - b),
        current,
        status: judgement.status,
        planned: judgement.planned,
        projected,
        trend,
        children,
        goal,
    })
}

/// The value at `due` on the least-squares line through the months (weighted by their n),
/// drawn from the current value.
fn projection(
    trend: &[Measurement],
    current: Option<f64>,
    today: NaiveDate,
    due: NaiveDate,
) -> Option<f64> {
    let points: Vec<(f64, f64, f64)> = trend
        .iter()
        .filter(|m| !m.low_sample)
        .filter_map(|m| Some((date_to_day(m.from) as f64, m.value?, m.n as f64)))
        .collect();
    if points.len() < 3 || due <= today {
        return None;
    }
    let w: f64 = points.iter().map(|p| p.2).sum();
    let mx = points.iter().map(|p| p.0 * p.2).sum::<f64>() / w;
    let my = points.iter().map(|p| p.1 * p.2).sum::<f64>() / w;
    let sxx: f64 = points.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { return None };
    Some(current? + slope * (due - today).num_days() as f64)
}

/// Sets a goal: checked, its baseline measured now, stored.
pub fn set_goal(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    goal: GoalDefinition,
    now: DateTime<Utc>,
) -> Result<Goal, StoreError> {
    let goal = goal.validate()?;
    let baseline = baseline(store, index, org, &goal, now)?;
    store.create_goal(org, goal, baseline, now)
}

/// The progress of the goals `keep` chooses, each knowing the goals set under it.
pub fn goals_progress(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    keep: impl Fn(&Goal) -> bool,
    now: DateTime<Utc>,
) -> Result<Vec<GoalProgress>, StoreError> {
    let goals = store.list_goals(org)?;
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    for g in &goals {
        if let Some(parent) = g.definition.parent_id {
            children.entry(parent).or_default().push(g.id);
        }
    }
    goals
        .into_iter()
        .filter(|g| keep(g))
        .map(|g| {
            let kids = children.remove(&g.id).unwrap_or_default();
            progress(store, index, org, g, kids, now)
        })
        .collect()
}

/// The options of `GET /api/v1/initiatives/{id}/impact`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImpactParams {
    /// `nps`, `csat`, `ces`, `churn` or `revenue_per_customer` (default: the expected change's
    /// metric, or nps).
    pub metric: Option<String>,
    pub before_days: Option<u32>,
    pub after_days: Option<u32>,
    /// A placebo start: what "no effect" looks like.
    pub as_if_started_on: Option<String>,
    #[param(minimum = 20, maximum = 2000)]
    pub replicates: Option<u32>,
    pub min_sample: Option<u64>,
}

/// Orders the action plan: by `priority` (high first, then the largest budget), `budget`,
/// `owner` (department) or `starts_on`.
pub fn sort_initiatives(list: &mut [Initiative], sort: &str) {
    match sort {
        "budget" => list.sort_by_key(|i| std::cmp::Reverse(i.definition.budget_minor)),
        "owner" => list.sort_by(|a, b| {
            a.definition
                .owner_department
                .cmp(&b.definition.owner_department)
        }),
        "starts_on" => list.sort_by_key(|i| i.definition.starts_on),
        _ => list.sort_by_key(|i| {
            (
                i.definition.priority,
                std::cmp::Reverse(i.definition.budget_minor),
            )
        }),
    }
}

/// What an initiative changed: `/impact` with its treated and comparison groups, its start
/// and its budget as the cost.
pub fn impact(
    index: &Index,
    initiative: &Initiative,
    params: &ImpactParams,
) -> Result<ImpactResult, FieldError> {
    let d = &initiative.definition;
    let metric = match params
        .metric
        .as_deref()
        .or(d.expected.as_ref().map(|e| e.metric.as_str()))
    {
        None => ImpactMetric::Nps,
        Some(raw) => ImpactMetric::parse(raw).ok_or_else(|| {
            FieldError::new(
                "metric",
                "must be nps, csat, ces, churn or revenue_per_customer",
            )
        })?,
    };
    let treated = filters("treated", &d.treated)?;
    let comparison = d
        .comparison
        .as_ref()
        .map(|c| filters("comparison", c))
        .transpose()?;
    index.impact(&ImpactRequest {
        metric,
        treated,
        comparison,
        starts_on: d.starts_on.to_string(),
        as_if_started_on: params.as_if_started_on.clone(),
        before_days: params.before_days,
        after_days: params.after_days,
        cost_minor: (d.budget_minor > 0).then_some(d.budget_minor),
        replicates: params.replicates,
        min_sample: params.min_sample,
    })
}

/// An initiative's measured impact, once it has started and had a month to act before
/// `today` (the end of the data).
fn evaluate(index: &Index, initiative: &Initiative, today: NaiveDate) -> Option<Evaluated> {
    let d = &initiative.definition;
    let measurable = matches!(
        d.status,
        InitiativeStatus::InProgress | InitiativeStatus::Done
    ) && d.starts_on + chrono::Days::new(30) <= today;
    if !measurable {
        return None;
    }
    // The after period runs to today, at most 90 days.
    let after_days = ((today - d.starts_on).num_days()).clamp(2, 90) as u32;
    let params = ImpactParams {
        after_days: Some(after_days),
        ..Default::default()
    };
    let key = format!(
        "initiative-impact:{}:{}",
        initiative.id,
        initiative.updated_at.timestamp()
    );
    let result = index.remember(&key, |index| impact(index, initiative, &params));
    Some(match result.as_ref() {
        Ok(r) => Evaluated {
            initiative_id: initiative.id,
            title: d.title.clone(),
            metric: r.metric.as_str().to_owned(),
            effect: r.effect,
            significant: r.significant,
            low_sample: r.low_sample,
            parallel_trends_hold: r.parallel_trends.as_ref().map(|p| p.holds),
            rox: r.rox,
            error: None,
        },
        Err(e) => Evaluated {
            initiative_id: initiative.id,
            title: d.title.clone(),
            metric: String::new(),
            effect: None,
            significant: false,
            low_sample: true,
            parallel_trends_hold: None,
            rox: None,
            error: Some(format!("{}: {}", e.field, e.message)),
        },
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Evaluated {
    pub initiative_id: i64,
    pub title: String,
    pub metric: String,
    pub effect: Option<Interval>,
    pub significant: bool,
    pub low_sample: bool,
    pub parallel_trends_hold: Option<bool>,
    pub rox: Option<Interval>,
    /// Why it could not be measured.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalSummary {
    pub id: i64,
    pub name: String,
    pub metric: GoalMetric,
    pub target: f64,
    pub due: NaiveDate,
    pub status: GoalStatus,
    pub current: Measurement,
    pub baseline: Measurement,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentBudget {
    /// `None`: initiatives without an owner department.
    pub department: Option<String>,
    pub budget_minor: i64,
    pub initiatives: u64,
}

/// Stage 5: the initiatives' budgets by department against the cycle's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Budget {
    pub currency: Option<String>,
    pub cycle_budget_minor: Option<i64>,
    /// The budgets of the initiatives not dropped.
    pub planned_minor: i64,
    pub remaining_minor: Option<i64>,
    pub over_budget: bool,
    pub by_department: Vec<DepartmentBudget>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Responsibility {
    pub initiative_id: i64,
    pub title: String,
    pub raci: Raci,
}

/// Stage 7: a change delivered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivered {
    pub initiative_id: i64,
    pub title: String,
    pub started_on: NaiveDate,
    /// When it was marked done.
    pub done_on: Option<NaiveDate>,
}

/// A cycle with everything its stages show: `GET /api/v1/strategy-cycles/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CycleView {
    #[serde(flatten)]
    pub cycle: Cycle,
    /// The first stage not done.
    pub current_stage: Option<StageKey>,
    /// Stages past their due date and not done.
    pub overdue: Vec<StageKey>,
    /// Stage 4: the action plan.
    pub initiatives: Vec<Initiative>,
    pub budget: Budget,
    /// Stage 6.
    pub roles: Vec<Responsibility>,
    /// Stage 7.
    pub delivered: Vec<Delivered>,
    /// Stage 8: each goal's result and each initiative's measured impact.
    pub goals: Vec<GoalSummary>,
    pub evaluation: Vec<Evaluated>,
}

pub fn cycle_view(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    cycle: Cycle,
    now: DateTime<Utc>,
) -> Result<CycleView, StoreError> {
    let id = cycle.id;
    let goals = goals_progress(
        store,
        index,
        org,
        |g| g.definition.cycle_id == Some(id),
        now,
    )?;
    cycle_view_with(store, index, org, cycle, &goals, now)
}

/// [`cycle_view`] with the goals' progress measured already (the strategy page has them all).
pub fn cycle_view_with(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    cycle: Cycle,
    goals: &[GoalProgress],
    now: DateTime<Utc>,
) -> Result<CycleView, StoreError> {
    let today = today(index, now);
    let initiatives: Vec<Initiative> = store
        .list_initiatives(org)?
        .into_iter()
        .filter(|i| i.definition.cycle_id == Some(cycle.id))
        .collect();
    let active = || {
        initiatives
            .iter()
            .filter(|i| i.definition.status != InitiativeStatus::Dropped)
    };
    let mut departments: BTreeMap<Option<String>, (i64, u64)> = BTreeMap::new();
    for i in active() {
        let entry = departments
            .entry(i.definition.owner_department.clone())
            .or_default();
        entry.0 += i.definition.budget_minor;
        entry.1 += 1;
    }
    let planned: i64 = departments.values().map(|d| d.0).sum();
    let budget = Budget {
        currency: cycle.definition.currency.clone().or_else(|| {
            initiatives
                .iter()
                .find_map(|i| i.definition.currency.clone())
        }),
        cycle_budget_minor: cycle.definition.budget_minor,
        planned_minor: planned,
        remaining_minor: cycle.definition.budget_minor.map(|b| b - planned),
        over_budget: cycle.definition.budget_minor.is_some_and(|b| planned > b),
        by_department: departments
            .into_iter()
            .map(|(department, (budget_minor, n))| DepartmentBudget {
                department,
                budget_minor,
                initiatives: n,
            })
            .collect(),
    };
    let roles = active()
        .map(|i| Responsibility {
            initiative_id: i.id,
            title: i.definition.title.clone(),
            raci: i.definition.raci.clone(),
        })
        .collect();
    let mut delivered = Vec::new();
    for i in &initiatives {
        if i.definition.status == InitiativeStatus::Done {
            let done_on = store
                .initiative_log(org, i.id)?
                .iter()
                .rev()
                .find(|c| c.to == InitiativeStatus::Done)
                .map(|c| day_to_date(index.zone().day(c.at.timestamp())));
            delivered.push(Delivered {
                initiative_id: i.id,
                title: i.definition.title.clone(),
                started_on: i.definition.starts_on,
                done_on: i.definition.ends_on.or(done_on),
            });
        }
    }
    let goals = goals
        .iter()
        .filter(|p| p.goal.definition.cycle_id == Some(cycle.id))
        .map(|p| GoalSummary {
            id: p.goal.id,
            name: p.goal.definition.name.clone(),
            metric: p.goal.definition.metric,
            target: p.goal.definition.target,
            due: p.goal.definition.due,
            status: p.status,
            current: p.current.clone(),
            baseline: p.goal.baseline.clone(),
        })
        .collect();
    let data_end = measured_until(index, now);
    let evaluation = initiatives
        .iter()
        .filter_map(|i| evaluate(index, i, data_end))
        .collect();
    Ok(CycleView {
        current_stage: cycle.current_stage(),
        overdue: cycle
            .stages
            .iter()
            .filter(|s| s.overdue(today))
            .map(|s| s.key)
            .collect(),
        cycle,
        initiatives,
        budget,
        roles,
        delivered,
        goals,
        evaluation,
    })
}

/// What a new cycle carries over from the one before: each goal's result and each initiative's
/// measured effect, or that it is still running.
pub fn findings(view: &CycleView) -> Vec<Finding> {
    let mut out: Vec<Finding> = view
        .goals
        .iter()
        .map(|g| Finding {
            goal_id: Some(g.id),
            initiative_id: None,
            title: g.name.clone(),
            outcome: g.status.as_str().to_owned(),
            value: g.current.value,
            low: g.current.low,
            high: g.current.high,
        })
        .collect();
    for i in &view.initiatives {
        let evaluated = view.evaluation.iter().find(|e| e.initiative_id == i.id);
        let outcome = match (i.definition.status, evaluated) {
            (InitiativeStatus::Dropped, _) => "dropped",
            (_, Some(e)) if e.significant && e.effect.is_some_and(|x| x.value > 0.0) => "worked",
            (_, Some(e)) if e.significant => "made_worse",
            (InitiativeStatus::Done, Some(_)) => "no_effect",
            (InitiativeStatus::Done, None) => "not_measured",
            _ => "carried_on",
        };
        let effect = evaluated.and_then(|e| e.effect);
        out.push(Finding {
            goal_id: None,
            initiative_id: Some(i.id),
            title: i.definition.title.clone(),
            outcome: outcome.to_owned(),
            value: effect.map(|e| e.value),
            low: effect.map(|e| e.low),
            high: effect.map(|e| e.high),
        });
    }
    out
}

/// The evidence a new cycle starts with: the journey's touchpoints with owners and moments of
/// truth (stage 2) and the top problems of `/priorities` (stage 3).
pub fn starting_evidence(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
) -> Result<(Vec<Artefact>, Vec<Artefact>), StoreError> {
    let touchpoints = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let journey = touchpoints
        .iter()
        .filter(|t| t.moment_of_truth || t.owner_department.is_some())
        .take(60)
        .map(|t| Artefact {
            kind: if t.moment_of_truth {
                "moment_of_truth"
            } else {
                "touchpoint"
            }
            .into(),
            title: t.name.clone(),
            link: Some(format!("/touchpoints/{}", t.id)),
            detail: t.owner_department.clone(),
            figures: Default::default(),
        })
        .collect();
    let needs = match index.priorities(&PrioritiesRequest {
        replicates: Some(50),
        ..Default::default()
    }) {
        Ok(result) => result
            .problems
            .iter()
            .filter(|p| p.significant)
            .take(5)
            .map(|p| Artefact {
                kind: "priority".into(),
                title: format!("{}:{}", p.factor, p.value),
                link: Some("/insights".into()),
                detail: None,
                figures: [
                    ("impact", p.impact),
                    ("prevalence", 100.0 * p.prevalence),
                    ("customers", p.customers as f64),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            })
            .collect(),
        // Too little data for a model is not a reason to refuse a cycle.
        Err(_) => Vec::new(),
    };
    Ok((journey, needs))
}

/// Starts a cycle: the findings of the one before carried over (and its vision, unless a new
/// one is given), the journey and the priorities attached as evidence.
pub fn start_cycle(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    definition: CycleDefinition,
    now: DateTime<Utc>,
) -> Result<Cycle, StoreError> {
    let mut definition = definition.validate()?;
    let mut carried = Vec::new();
    if let Some(previous) = definition.previous_id {
        let previous = store.get_cycle(org, previous).map_err(|e| match e {
            StoreError::NotFound { .. } => StoreError::Conflict {
                field: "previous_id".into(),
                message: format!("no such strategy cycle {previous}"),
            },
            e => e,
        })?;
        if definition.vision.is_none() {
            definition.vision = previous.stages[0].notes.clone();
        }
        carried = findings(&cycle_view(store, index, org, previous, now)?);
    }
    let (journey, needs) = starting_evidence(store, index, org)?;
    let mut cycle = Cycle::new(definition, carried, now);
    cycle.stage_mut(StageKey::Touchpoints).artefacts = journey;
    cycle.stage_mut(StageKey::Needs).artefacts = needs;
    store.create_cycle(org, cycle)
}
