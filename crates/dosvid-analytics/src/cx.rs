//! The CX index (SPEC §2): the experience's three components, each 0–100, and their weighted
//! mean, for any slice and grouping the query API takes, or for one customer.
//!
//! - *emotional*: the mean sentiment of the comments, (s + 1) × 50;
//! - *cognitive*: the mean of CSAT top-two-box % and CES % easy (those answered);
//! - *behavioural*: the mean of recommendation ((NPS + 100) / 2) and retention — the % of
//!   records whose customer bought or paid a recurring charge in the 90 days after giving them.
//!   A record less than 90 days before the latest data, with no purchase yet, cannot be judged
//!   and is left out of retention.
//!
//! Every component carries the n it rests on and a low-sample flag, like every estimate.

use std::collections::BTreeMap;
use std::sync::Arc;

use dosvid_domain::{FieldError, TransactionKind};
use dosvid_metrics::{DEFAULT_MIN_SAMPLE, Estimate, cx_index, percent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Bucket;
use crate::index::{Index, NO_CUSTOMER};
use crate::query::{Filters, Measure, Period, QueryRequest, Scores};
use crate::scan::{Filter, Histograms, Key};

/// How long after a record the customer's activity counts as retention.
pub const RETENTION_WINDOW_DAYS: i64 = 90;

/// Codes of the derived retention column.
pub(crate) const UNKNOWN: u8 = 0;
pub(crate) const LAPSED: u8 = 1;
pub(crate) const RETAINED: u8 = 2;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CxIndexRequest {
    #[serde(default)]
    pub filters: Filters,
    /// Up to two dimensions, as in `POST /api/v1/query` (e.g. `touchpoint`, `segment`, `month`).
    #[serde(default)]
    pub group_by: Vec<String>,
    pub bucket: Option<Bucket>,
    /// One customer's index.
    pub customer_id: Option<i64>,
    /// Weights of the components (default equal).
    pub weights: Option<CxWeights>,
    pub min_sample: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CxWeights {
    pub emotional: f64,
    pub cognitive: f64,
    pub behavioural: f64,
}

impl Default for CxWeights {
    fn default() -> Self {
        CxWeights {
            emotional: 1.0,
            cognitive: 1.0,
            behavioural: 1.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CxIndexResult {
    pub group_by: Vec<String>,
    pub period: Period,
    pub weights: CxWeights,
    pub min_sample: u64,
    pub rows: Vec<CxIndexRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CxIndexRow {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, Option<String>>,
    /// Records in the group.
    pub n: u64,
    /// The weighted mean of the components that have a score, 0–100.
    pub cx_index: Option<f64>,
    /// True when a component it rests on has fewer answers than `min_sample`.
    pub low_sample: bool,
    pub emotional: Component,
    pub cognitive: Component,
    pub behavioural: Component,
}

/// One component: its score 0–100 and the estimates it is the mean of.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Component {
    pub score: Option<f64>,
    pub low_sample: bool,
    /// `sentiment` (as 0–100); `csat_top2`, `ces_easy`; `recommendation`, `retention`.
    #[schema(value_type = Object)]
    pub parts: BTreeMap<&'static str, Estimate>,
}

impl Component {
    fn of(parts: BTreeMap<&'static str, Estimate>) -> Component {
        let scored: Vec<&Estimate> = parts.values().filter(|e| e.value.is_some()).collect();
        let score = (!scored.is_empty())
            .then(|| scored.iter().filter_map(|e| e.value).sum::<f64>() / scored.len() as f64);
        Component {
            score,
            low_sample: score.is_none() || scored.iter().any(|e| e.low_sample),
            parts,
        }
    }
}

/// An estimate mapped linearly onto 0–100; an interval that reaches past the scale (a normal
/// approximation near its end) stops at it.
fn rescale(e: Estimate, f: impl Fn(f64) -> f64) -> Estimate {
    let on_scale = |x: f64| f(x).clamp(0.0, 100.0);
    Estimate {
        value: e.value.map(on_scale),
        low: e.low.map(on_scale),
        high: e.high.map(on_scale),
        ..e
    }
}

impl Index {
    /// Whether each feedback record's customer was active within the window after it.
    pub(crate) fn retained_column(&self) -> Arc<Vec<u8>> {
        self.retained
            .get_or_init(|| Arc::new(self.active_after(RETENTION_WINDOW_DAYS)))
            .clone()
    }

    /// For each feedback record: whether its customer bought or paid within `days` after it
    /// ([`RETAINED`]), did not ([`LAPSED`]), or cannot be judged yet or is unknown ([`UNKNOWN`]).
    pub(crate) fn active_after(&self, days: i64) -> Vec<u8> {
        let mut active: Vec<(u32, i64)> = self
            .transactions
            .iter()
            .filter(|t| t.customer != NO_CUSTOMER && t.kind != TransactionKind::Refund)
            .map(|t| (t.customer, t.second))
            .collect();
        active.sort_unstable();
        let mut starts = vec![0usize; self.customers.len() + 1];
        for &(customer, _) in &active {
            starts[customer as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let rows = &self.rows;
        let latest = rows
            .second
            .iter()
            .copied()
            .chain(self.transactions.iter().map(|t| t.second))
            .max()
            .unwrap_or(i64::MIN);
        let window = days * 86_400;
        (0..rows.len())
            .map(|r| {
                let customer = rows.customer[r];
                if customer == NO_CUSTOMER {
                    return UNKNOWN;
                }
                let at = rows.second[r];
                let times = &active[starts[customer as usize]..starts[customer as usize + 1]];
                let next = times.partition_point(|&(_, t)| t <= at);
                match times.get(next) {
                    Some(&(_, t)) if t <= at + window => RETAINED,
                    _ if at + window <= latest => LAPSED,
                    _ => UNKNOWN,
                }
            })
            .collect()
    }

    pub fn cx_index(&self, request: &CxIndexRequest) -> Result<CxIndexResult, FieldError> {
        let weights = request.weights.unwrap_or_default();
        let all = [weights.emotional, weights.cognitive, weights.behavioural];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) || all.iter().sum::<f64>() <= 0.0 {
            return Err(FieldError::new(
                "weights",
                "must be non-negative numbers, not all zero",
            ));
        }
        let query = QueryRequest {
            measures: vec![Measure::N, Measure::Nps, Measure::Sentiment],
            filters: request.filters.clone(),
            group_by: request.group_by.clone(),
            bucket: request.bucket,
            min_sample: request.min_sample,
            ..QueryRequest::default()
        };
        let plan = self.plan(&query)?;
        let mut scan = plan.current.clone();
        if let Some(id) = request.customer_id {
            let slot = self.customers.slot_of(id).ok_or_else(|| {
                FieldError::new("customer_id", "no such customer has any records")
            })?;
            scan.filters.push(Filter::CustomerSlot(slot));
        }
        scan.keys.push((Key::Derived(self.retained_column()), 3));
        let counts = scan.run(self);
        let min = request.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE);
        let mut rows = Vec::new();
        for (group, codes) in counts.groups.chunks(3).enumerate() {
            let mut h = Histograms::default();
            for code in codes {
                h.merge(code);
            }
            if h.n() == 0 {
                continue;
            }
            let s = Scores::of(&h);
            let emotional = Component::of(BTreeMap::from([(
                "sentiment",
                rescale(s.sentiment.mean(min), |x| (x + 1.0) * 50.0),
            )]));
            let cognitive = Component::of(BTreeMap::from([
                ("csat_top2", s.csat.top_two_box(min)),
                ("ces_easy", s.ces.percent_easy(min)),
            ]));
            let (lapsed, retained) = (codes[LAPSED as usize].n(), codes[RETAINED as usize].n());
            let behavioural = Component::of(BTreeMap::from([
                (
                    "recommendation",
                    rescale(s.nps.nps(min), |x| (x + 100.0) / 2.0),
                ),
                ("retention", percent(retained, retained + lapsed, min)),
            ]));
            let components = [
                (emotional.score, weights.emotional),
                (cognitive.score, weights.cognitive),
                (behavioural.score, weights.behavioural),
            ];
            let low_sample = [&emotional, &cognitive, &behavioural]
                .iter()
                .any(|c| c.score.is_some() && c.low_sample);
            rows.push((
                plan.group_rank(group),
                CxIndexRow {
                    group: plan.group_labels(group),
                    n: h.n(),
                    cx_index: cx_index(&components),
                    low_sample,
                    emotional,
                    cognitive,
                    behavioural,
                },
            ));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(CxIndexResult {
            group_by: request.group_by.clone(),
            period: plan.period.clone(),
            weights,
            min_sample: min,
            rows: rows.into_iter().map(|(_, row)| row).collect(),
        })
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;

    #[test]
    fn an_interval_stays_on_the_scale() {
        let sentiment = Estimate {
            value: Some(-0.9),
            n: 3,
            low: Some(-1.126),
            high: Some(-0.674),
            low_sample: false,
        };
        let e = rescale(sentiment, |x| (x + 1.0) * 50.0);
        assert_eq!(e.low, Some(0.0));
        assert!((e.value.unwrap() - 5.0).abs() < 1e-9 && e.high.unwrap() > 16.0);
    }
}
