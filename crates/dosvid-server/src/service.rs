//! The service the company gives through its cases, measured: MTTR, FCR, SLA compliance and
//! backlog by team, owner, priority or touchpoint — read by the API (`/cases/metrics`) and the
//! service-metrics page alike.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dosvid_domain::FieldError;
use dosvid_domain::case::Case;
use dosvid_metrics::Estimate;
use serde::Serialize;
use utoipa::ToSchema;

/// What cases are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseGroup {
    Team,
    Owner,
    Priority,
    Touchpoint,
}

impl CaseGroup {
    pub const ALL: [CaseGroup; 4] = [
        CaseGroup::Team,
        CaseGroup::Owner,
        CaseGroup::Priority,
        CaseGroup::Touchpoint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseGroup::Team => "team",
            CaseGroup::Owner => "owner",
            CaseGroup::Priority => "priority",
            CaseGroup::Touchpoint => "touchpoint",
        }
    }

    /// `team` when absent or empty.
    pub fn parse(raw: Option<&str>) -> Result<CaseGroup, FieldError> {
        match raw.filter(|r| !r.is_empty()) {
            None => Ok(CaseGroup::Team),
            Some(raw) => CaseGroup::ALL
                .into_iter()
                .find(|g| g.as_str() == raw)
                .ok_or_else(|| {
                    FieldError::new("group_by", "must be team, owner, priority or touchpoint")
                }),
        }
    }

    fn key(self, case: &Case) -> Option<String> {
        match self {
            CaseGroup::Team => case.team.clone(),
            CaseGroup::Owner => case.owner.clone(),
            CaseGroup::Priority => Some(case.priority.as_str().to_owned()),
            CaseGroup::Touchpoint => case.touchpoint_id.map(|t| t.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hours {
    pub mean: f64,
    pub median: f64,
    pub p90: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseMetricsRow {
    /// The group's team, priority or touchpoint id (`null`: none).
    pub group: Option<String>,
    /// Cases opened in the period.
    pub cases: u64,
    /// Of those, resolved (or closed after resolution).
    pub resolved: u64,
    /// Time from opening to resolution of the resolved ones, in hours.
    pub mttr_hours: Option<Hours>,
    /// Resolved with exactly one contact with the customer, of the resolved.
    pub fcr: Estimate,
    /// Resolved by their due time, of the resolved (open ones past due count as misses).
    pub sla_compliance: Estimate,
    /// Still open now.
    pub backlog: u64,
}

/// The metrics of `cases`, one row per group (in the order of the group's key; none first).
/// A share of fewer than `min_sample` cases is flagged `low_sample`.
pub fn case_metrics(
    cases: &[Case],
    by: CaseGroup,
    min_sample: u64,
    now: DateTime<Utc>,
) -> Vec<CaseMetricsRow> {
    let mut groups: BTreeMap<Option<String>, Vec<&Case>> = BTreeMap::new();
    for case in cases {
        groups.entry(by.key(case)).or_default().push(case);
    }
    groups
        .into_iter()
        .map(|(group, cases)| row(group, &cases, min_sample, now))
        .collect()
}

/// The metrics of all of `cases` as one group.
pub fn overall(cases: &[Case], min_sample: u64, now: DateTime<Utc>) -> CaseMetricsRow {
    row(None, &cases.iter().collect::<Vec<_>>(), min_sample, now)
}

fn row(
    group: Option<String>,
    cases: &[&Case],
    min_sample: u64,
    now: DateTime<Utc>,
) -> CaseMetricsRow {
    let resolved: Vec<&&Case> = cases.iter().filter(|c| c.resolved_at.is_some()).collect();
    let hours: Vec<f64> = resolved
        .iter()
        .filter_map(|c| {
            c.resolved_at
                .map(|r| (r - c.opened_at).num_seconds() as f64 / 3600.0)
        })
        .collect();
    let judged: Vec<&&Case> = cases
        .iter()
        .filter(|c| c.resolved_at.is_some() || c.breached(now))
        .collect();
    CaseMetricsRow {
        group,
        cases: cases.len() as u64,
        resolved: resolved.len() as u64,
        mttr_hours: dosvid_metrics::mttr(&hours).map(|d| Hours {
            mean: d.mean,
            median: d.median,
            p90: d.p90,
        }),
        fcr: dosvid_metrics::fcr(
            resolved.iter().filter(|c| c.contacts == 1).count() as u64,
            resolved.len() as u64,
            min_sample,
        ),
        sla_compliance: dosvid_metrics::percent(
            judged.iter().filter(|c| !c.breached(now)).count() as u64,
            judged.len() as u64,
            min_sample,
        ),
        backlog: cases.iter().filter(|c| c.status.open()).count() as u64,
    }
}
