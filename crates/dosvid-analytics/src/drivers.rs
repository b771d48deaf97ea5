//! Key drivers and priorities (SPEC §3.7): which themes, touchpoints, channels and customer
//! attributes move an outcome, and which problems to fix first.
//!
//! **The model.** Every value of every factor asked for becomes a 0/1 indicator of a record;
//! the outcome (the NPS answer 0–10, CSAT 1–5, CES 1–7, or for `churn` 100 when the customer
//! bought nothing within `horizon_days` after the record and 0 when they did) is fitted on all
//! of them at once by least squares, with an intercept and a control for "the record has a
//! comment" (theme indicators are otherwise confounded with writing at all).
//!
//! - *Categorical factors* (touchpoint, stage, channel, source, segment, region, plan,
//!   `attr.NAME`): a record has one value, so the values are exclusive; the most common value is
//!   left out as the reference (its indicator would be the sum of the others'). An **effect** is
//!   reported against the average record that has a value of the factor: the value's coefficient
//!   minus the share-weighted mean of the values' coefficients (the reference's being 0). Records
//!   without a value (feedback not about a call has no agent) are a population of their own, not
//!   a value: they are neither reported nor part of the average — so agents are compared with
//!   agents, not with answers about the website.
//! - *Themes* are many per comment: each is its own indicator, its effect its coefficient
//!   ("mentioning it, everything else equal"). A comment's themes carry their parents' bits in
//!   the index; here a parent counts only when none of its children is mentioned ("time, other"),
//!   so a theme and its parent are never the same mention counted twice. `stage` and `touchpoint`
//!   together would be (a stage is the sum of its touchpoints) and are refused.
//!
//! **Importance** is Johnson's relative weights (`dosvid_metrics::regression`): R² shared among
//! the indicators, correlated ones included, summing to R².
//!
//! **Intervals** come from a bootstrap over customers: records are put in blocks by customer
//! (a customer's records stay together, so repeated answers do not pass for independent ones),
//! each replicate draws blocks with replacement and refits from the blocks' cross-products.
//! Importance and effect intervals are the replicates' 2.5th and 97.5th percentiles; a p-value
//! is the normal one of effect / bootstrap standard error. **Multiple testing**: Benjamini–
//! Hochberg at a false discovery rate of 5% over every value with at least `min_sample` records;
//! smaller values are reported with `low_sample` and never significant.

use std::collections::BTreeMap;

use dosvid_domain::FieldError;
use dosvid_metrics::regression::{CrossProducts, Fit, benjamini_hochberg};
use dosvid_metrics::stats::two_sided_p_normal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bootstrap::{self, percentile};
use crate::cx::{LAPSED, RETAINED};
use crate::index::{Index, NO_CUSTOMER, NPS_NONE, SCORE_NONE};
use crate::query::{Filters, Measure, Period, QueryRequest};

/// Indicators a model may have: enough for every touchpoint, theme and segment of a large
/// company, few enough for a second's answer.
const MAX_INDICATORS: usize = 400;
const DEFAULT_REPLICATES: u32 = 200;
const MAX_REPLICATES: u32 = 2_000;
/// Blocks of customers the bootstrap draws.
const MAX_BLOCKS: usize = 256;
const DEFAULT_FACTORS: [&str; 4] = ["theme", "touchpoint", "segment", "region"];

/// What a driver model explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Nps,
    Csat,
    Ces,
    Churn,
}

impl Outcome {
    /// Whether a higher outcome is worse (more churn).
    fn higher_is_worse(self) -> bool {
        self == Outcome::Churn
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriversRequest {
    #[serde(default)]
    pub outcome: Outcome,
    /// `theme`, `touchpoint`, `stage`, `channel`, `source`, `agent`, `team`, `segment`,
    /// `region`, `plan`, `attr.NAME` (default: theme, touchpoint, segment, region).
    #[serde(default)]
    pub factors: Vec<String>,
    #[serde(default)]
    pub filters: Filters,
    /// Values with fewer records are reported with `low_sample` and never significant
    /// (default 30).
    pub min_sample: Option<u64>,
    /// For `churn`: days after a record in which a purchase keeps the customer (default 90).
    pub horizon_days: Option<u32>,
    /// Bootstrap replicates (default 200, at most 2,000).
    pub replicates: Option<u32>,
    /// The bootstrap's seed: the same request and data give the same intervals.
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DriversResult {
    pub outcome: Outcome,
    pub period: Period,
    /// Records in the model.
    pub n: u64,
    pub r2: f64,
    pub r2_low: f64,
    pub r2_high: f64,
    /// The outcome's mean over the records.
    pub mean: f64,
    pub min_sample: u64,
    pub replicates: u32,
    /// Sorted by importance, largest first.
    pub drivers: Vec<Driver>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Driver {
    /// `theme`, `touchpoint`, `segment`…
    pub factor: String,
    /// The theme or touchpoint key, the segment's name…
    pub value: String,
    /// Records with this value.
    pub n: u64,
    /// Their share of the model's records.
    pub share: f64,
    /// The value's relative weight: its part of R².
    pub importance: f64,
    pub importance_low: f64,
    pub importance_high: f64,
    /// The change of the outcome with this value, everything else equal: score points for
    /// NPS (0–10), CSAT and CES; percentage points for churn.
    pub effect: f64,
    pub effect_low: f64,
    pub effect_high: f64,
    pub p_value: f64,
    /// After Benjamini–Hochberg at 5% over the values with enough records.
    pub significant: bool,
    pub low_sample: bool,
    /// The value left out of the model as its factor's reference (its importance is 0).
    pub reference: bool,
    /// Values found in exactly the same records as this one (themes always mentioned together):
    /// no data can tell their effects apart, so they are one driver, named by the first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub together_with: Vec<String>,
}

/// One factor of the model and how a row gets its value.
enum Factor {
    /// Exclusive values: a code per row, `levels` the codes present, one left out.
    Categorical {
        name: String,
        labels: Vec<String>,
        /// Row → code, over all rows of the index.
        code: Box<dyn Fn(usize) -> usize + Sync>,
        /// Indicator of each code (`None` for the reference and codes absent).
        indicator: Vec<Option<usize>>,
        counts: Vec<u64>,
    },
    /// Themes: indicator `i` is on when the row mentions `bits[i]` and none of its children.
    Themes {
        keys: Vec<String>,
        bits: Vec<(u64, u64)>,
        first: usize,
        counts: Vec<u64>,
    },
}

/// The model's indicators and which value each stands for.
pub(crate) struct Design {
    factors: Vec<Factor>,
    /// (factor, value label) of each indicator; the last is the comment control.
    pub(crate) columns: Vec<(String, String)>,
    comment_control: usize,
    /// Indicators on in exactly the same rows as an earlier one (`Some(earlier)`), left out.
    merged: Vec<Option<usize>>,
}

impl Design {
    /// The indicators on in `row`, sorted.
    pub(crate) fn active(&self, index: &Index, row: usize, out: &mut Vec<usize>) {
        out.clear();
        for factor in &self.factors {
            match factor {
                Factor::Categorical {
                    code, indicator, ..
                } => {
                    if let Some(j) = indicator[code(row)] {
                        out.push(j);
                    }
                }
                Factor::Themes { bits, first, .. } => {
                    let themes = index.rows.themes[row];
                    if themes != 0 {
                        for (i, (bit, children)) in bits.iter().enumerate() {
                            if themes & bit != 0 && themes & children == 0 {
                                out.push(first + i);
                            }
                        }
                    }
                }
            }
        }
        if index.rows.comment[row] {
            out.push(self.comment_control);
        }
        out.sort_unstable();
    }

    pub(crate) fn width(&self) -> usize {
        self.columns.len()
    }
}

/// The fitted model with its bootstrap, before it is shaped into an answer.
pub(crate) struct Model {
    pub(crate) design: Design,
    pub(crate) rows: Vec<u32>,
    pub(crate) outcomes: Vec<f64>,
    pub(crate) fit: Fit,
    /// Effects of each indicator (deviation-coded for categorical values) and of each
    /// categorical reference, by (factor, value).
    effects: Vec<(String, String, f64)>,
    replicate_effects: Vec<Vec<f64>>,
    replicate_importance: Vec<Vec<f64>>,
    replicate_r2: Vec<f64>,
    period: Period,
}

impl Index {
    pub fn drivers(&self, request: &DriversRequest) -> Result<DriversResult, FieldError> {
        let model = self.driver_model(request)?;
        let min_sample = request.min_sample.unwrap_or(30);
        Ok(model.answer(request.outcome, min_sample))
    }

    pub(crate) fn driver_model(&self, request: &DriversRequest) -> Result<Model, FieldError> {
        let plan = self.plan(&QueryRequest {
            measures: vec![Measure::N],
            filters: request.filters.clone(),
            ..Default::default()
        })?;
        let horizon = i64::from(request.horizon_days.unwrap_or(90));
        if !(1..=3650).contains(&horizon) {
            return Err(FieldError::new("horizon_days", "must be 1 to 3650"));
        }
        let churn = (request.outcome == Outcome::Churn).then(|| self.active_after(horizon));
        let outcome = |r: usize| -> Option<f64> {
            match request.outcome {
                Outcome::Nps => {
                    let v = self.rows.nps[r];
                    (v != NPS_NONE).then_some(f64::from(v))
                }
                Outcome::Csat => {
                    let v = self.rows.csat[r];
                    (v != SCORE_NONE).then_some(f64::from(v))
                }
                Outcome::Ces => {
                    let v = self.rows.ces[r];
                    (v != SCORE_NONE).then_some(f64::from(v))
                }
                Outcome::Churn => match churn.as_ref().map(|c| c[r]) {
                    Some(LAPSED) => Some(100.0),
                    Some(RETAINED) => Some(0.0),
                    _ => None,
                },
            }
        };
        let mut rows = Vec::new();
        let mut outcomes = Vec::new();
        plan.current.for_each_row(self, |r| {
            if let Some(y) = outcome(r) {
                rows.push(r as u32);
                outcomes.push(y);
            }
        });
        let factors: Vec<String> = if request.factors.is_empty() {
            DEFAULT_FACTORS.map(str::to_owned).to_vec()
        } else {
            request.factors.clone()
        };
        let design = self.design(&factors, &rows)?;
        if rows.len() < 10 {
            return Err(FieldError::new(
                "filters",
                format!(
                    "{} records with the outcome answered; a driver model needs at least 10",
                    rows.len()
                ),
            ));
        }
        // Cross-products per block of customers.
        let p = design.width();
        let blocks = (rows.len() / 40).clamp(2, MAX_BLOCKS);
        let mut parts = vec![CrossProducts::new(p); blocks];
        let mut active = Vec::new();
        for (&r, &y) in rows.iter().zip(&outcomes) {
            let r = r as usize;
            design.active(self, r, &mut active);
            let customer = self.rows.customer[r];
            let key = if customer == NO_CUSTOMER {
                r as u64
            } else {
                u64::from(customer)
            };
            let block = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % blocks;
            parts[block].add_binary(&active, y);
        }
        let mut total = CrossProducts::new(p);
        for part in &parts {
            total.add_scaled(part, 1.0);
        }
        let mut design = design;
        design.merged = total.duplicates();
        for (k, _) in design
            .merged
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_some())
        {
            for part in parts.iter_mut().chain(std::iter::once(&mut total)) {
                part.drop_predictor(k);
            }
        }
        let fit = total.fit().ok_or_else(|| {
            FieldError::new("filters", "the outcome does not vary over these records")
        })?;
        let effects = design.effects(&fit.coefficients);
        let replicates = request.replicates.unwrap_or(DEFAULT_REPLICATES);
        if !(20..=MAX_REPLICATES).contains(&replicates) {
            return Err(FieldError::new(
                "replicates",
                format!("must be 20 to {MAX_REPLICATES}"),
            ));
        }
        let seed = request.seed.unwrap_or(0x0d05_f1d0);
        let fits: Vec<Fit> = bootstrap::replicate(seed, replicates, blocks, |counts| {
            let mut sample = CrossProducts::new(p);
            for (part, &count) in parts.iter().zip(counts) {
                sample.add_scaled(part, f64::from(count));
            }
            sample.fit()
        })
        .into_iter()
        .flatten()
        .collect();
        let replicate_effects = fits
            .iter()
            .map(|f| {
                design
                    .effects(&f.coefficients)
                    .into_iter()
                    .map(|e| e.2)
                    .collect()
            })
            .collect();
        let replicate_importance = fits.iter().map(|f| f.importance.clone()).collect();
        let replicate_r2 = fits.iter().map(|f| f.r2).collect();
        Ok(Model {
            design,
            rows,
            outcomes,
            fit,
            effects,
            replicate_effects,
            replicate_importance,
            replicate_r2,
            period: plan.period.clone(),
        })
    }

    /// The factors' indicators over the model's rows.
    fn design(&self, factors: &[String], rows: &[u32]) -> Result<Design, FieldError> {
        let mut seen = Vec::new();
        for (i, name) in factors.iter().enumerate() {
            if seen.contains(name) {
                return Err(FieldError::new(format!("factors[{i}]"), "is named twice"));
            }
            seen.push(name.clone());
        }
        if seen.iter().any(|f| f == "stage") && seen.iter().any(|f| f == "touchpoint") {
            return Err(FieldError::new(
                "factors",
                "stage and touchpoint together count the same records twice (a stage is its touchpoints); choose one",
            ));
        }
        let mut built = Vec::new();
        let mut columns = Vec::new();
        for (i, name) in factors.iter().enumerate() {
            let field = format!("factors[{i}]");
            let factor = self.factor(&field, name, rows, columns.len())?;
            match &factor {
                Factor::Categorical {
                    labels, indicator, ..
                } => {
                    let mut named: Vec<(usize, String)> = indicator
                        .iter()
                        .enumerate()
                        .filter_map(|(code, j)| j.map(|j| (j, labels[code].clone())))
                        .collect();
                    named.sort();
                    columns.extend(named.into_iter().map(|(_, label)| (name.clone(), label)));
                }
                Factor::Themes { keys, .. } => {
                    columns.extend(keys.iter().map(|k| (name.clone(), k.clone())));
                }
            }
            built.push(factor);
            if columns.len() > MAX_INDICATORS {
                return Err(FieldError::new(
                    field,
                    format!(
                        "the factors have more than {MAX_INDICATORS} values; filter the records or choose fewer factors"
                    ),
                ));
            }
        }
        let comment_control = columns.len();
        columns.push(("control".to_owned(), "has_comment".to_owned()));
        let merged = vec![None; columns.len()];
        Ok(Design {
            factors: built,
            columns,
            comment_control,
            merged,
        })
    }

    fn factor(
        &self,
        field: &str,
        name: &str,
        rows: &[u32],
        first: usize,
    ) -> Result<Factor, FieldError> {
        let dir = &self.directory;
        if name == "theme" {
            let keys = dir.themes.clone();
            let bit = |k: &str| keys.iter().position(|t| t == k).map_or(0, |i| 1u64 << i);
            let all: Vec<(u64, u64)> = keys
                .iter()
                .map(|k| {
                    let prefix = format!("{k}.");
                    let children = keys
                        .iter()
                        .filter(|c| c.starts_with(&prefix))
                        .fold(0, |bits, c| bits | bit(c));
                    (bit(k), children)
                })
                .collect();
            let mut counts = vec![0u64; keys.len()];
            for &r in rows {
                let themes = self.rows.themes[r as usize];
                if themes != 0 {
                    for (i, (b, children)) in all.iter().enumerate() {
                        if themes & b != 0 && themes & children == 0 {
                            counts[i] += 1;
                        }
                    }
                }
            }
            // Themes nobody mentions here have nothing to say.
            let present: Vec<usize> = (0..keys.len()).filter(|&i| counts[i] > 0).collect();
            return Ok(Factor::Themes {
                keys: present.iter().map(|&i| keys[i].clone()).collect(),
                bits: present.iter().map(|&i| all[i]).collect(),
                first,
                counts: present.iter().map(|&i| counts[i]).collect(),
            });
        }
        let (labels, code): (Vec<String>, Box<dyn Fn(usize) -> usize + Sync>) = match name {
            "touchpoint" => {
                let labels = (0..self.touchpoints.cardinality())
                    .map(|c| {
                        self.touchpoints
                            .key(c as u16)
                            .and_then(|id| dir.touchpoint(*id))
                            .map_or_else(|| "(none)".to_owned(), |t| t.key.clone())
                    })
                    .collect();
                let codes = self.rows.touchpoint.clone();
                (labels, Box::new(move |r| usize::from(codes[r])))
            }
            "stage" => {
                let stages: Vec<i64> = dir
                    .journeys
                    .iter()
                    .flat_map(|j| &j.stages)
                    .map(|s| s.id)
                    .collect();
                let mut labels: Vec<String> = vec!["(none)".to_owned()];
                labels.extend(
                    dir.journeys
                        .iter()
                        .flat_map(|j| &j.stages)
                        .map(|s| s.name.clone()),
                );
                let of_touchpoint: Vec<usize> = (0..self.touchpoints.cardinality())
                    .map(|c| {
                        self.touchpoints
                            .key(c as u16)
                            .and_then(|id| dir.touchpoint(*id))
                            .and_then(|t| stages.iter().position(|s| *s == t.stage_id))
                            .map_or(0, |i| i + 1)
                    })
                    .collect();
                let codes = self.rows.touchpoint.clone();
                (
                    labels,
                    Box::new(move |r| of_touchpoint[usize::from(codes[r])]),
                )
            }
            "channel" => {
                let labels = (0..self.channels.cardinality())
                    .map(|c| {
                        self.channels
                            .key(c as u16)
                            .and_then(|id| dir.channel(*id))
                            .map_or_else(|| "(none)".to_owned(), |ch| ch.key.clone())
                    })
                    .collect();
                let codes = self.rows.channel.clone();
                (labels, Box::new(move |r| usize::from(codes[r])))
            }
            "agent" | "team" => {
                let (dict, codes) = if name == "agent" {
                    (&self.agents, self.rows.agent.clone())
                } else {
                    (&self.teams, self.rows.team.clone())
                };
                let labels = (0..dict.cardinality())
                    .map(|c| {
                        dict.key(c as u16)
                            .cloned()
                            .unwrap_or_else(|| "(none)".to_owned())
                    })
                    .collect();
                (labels, Box::new(move |r| usize::from(codes[r])))
            }
            "source" => {
                let labels = crate::index::SOURCES
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect();
                let codes = self.rows.source.clone();
                (labels, Box::new(move |r| usize::from(codes[r])))
            }
            _ => {
                let column = self.customer_column(field, name)?;
                let column = &self.customers.columns[&column];
                let labels = (0..column.dict.cardinality())
                    .map(|c| {
                        column
                            .dict
                            .key(c as u16)
                            .cloned()
                            .unwrap_or_else(|| "(none)".to_owned())
                    })
                    .collect();
                let (values, customers) = (column.values.clone(), self.rows.customer.clone());
                (
                    labels,
                    Box::new(move |r| {
                        let c = customers[r];
                        if c == NO_CUSTOMER {
                            0
                        } else {
                            usize::from(values[c as usize])
                        }
                    }),
                )
            }
        };
        let mut counts = vec![0u64; labels.len()];
        for &r in rows {
            counts[code(r as usize)] += 1;
        }
        // The most common value; among equals, the first by name, so that the same data give
        // the same reference whatever order it arrived in.
        let reference = (0..counts.len())
            .max_by(|&a, &b| counts[a].cmp(&counts[b]).then(labels[b].cmp(&labels[a])))
            .unwrap_or(0);
        let mut next = first;
        let indicator = (0..counts.len())
            .map(|c| {
                (counts[c] > 0 && c != reference).then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(Factor::Categorical {
            name: name.to_owned(),
            labels,
            code,
            indicator,
            counts,
        })
    }
}

impl Design {
    /// Each value's effect from the coefficients: a theme's coefficient; a categorical value's
    /// coefficient less the share-weighted mean of its factor's (the reference's being 0).
    fn effects(&self, coefficients: &[f64]) -> Vec<(String, String, f64)> {
        let mut out = Vec::new();
        for factor in &self.factors {
            match factor {
                Factor::Categorical {
                    name,
                    labels,
                    indicator,
                    counts,
                    ..
                } => {
                    // Against the average of the records that have a value: records without
                    // one (no agent, because the feedback is not about a call) are a different
                    // population, not a value to compare with.
                    let total: u64 = counts[1..].iter().sum();
                    let coefficient = |c: usize| indicator[c].map_or(0.0, |j| coefficients[j]);
                    let mean: f64 = (1..counts.len())
                        .map(|c| counts[c] as f64 * coefficient(c))
                        .sum::<f64>()
                        / total.max(1) as f64;
                    for c in (1..counts.len()).filter(|&c| self.kept(counts[c], indicator[c])) {
                        out.push((name.clone(), labels[c].clone(), coefficient(c) - mean));
                    }
                }
                Factor::Themes { keys, first, .. } => {
                    for (i, key) in keys.iter().enumerate() {
                        if self.merged[first + i].is_none() {
                            out.push(("theme".to_owned(), key.clone(), coefficients[first + i]));
                        }
                    }
                }
            }
        }
        out
    }

    /// For each value of [`Design::effects`]: its records and its indicator (none for a
    /// reference).
    fn values(&self) -> Vec<(u64, Option<usize>)> {
        let mut out = Vec::new();
        for factor in &self.factors {
            match factor {
                Factor::Categorical {
                    indicator, counts, ..
                } => {
                    for c in (1..counts.len()).filter(|&c| self.kept(counts[c], indicator[c])) {
                        out.push((counts[c], indicator[c]));
                    }
                }
                Factor::Themes { first, counts, .. } => {
                    out.extend(
                        counts
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| self.merged[first + i].is_none())
                            .map(|(i, n)| (*n, Some(first + i))),
                    );
                }
            }
        }
        out
    }

    /// Whether a value is reported: present, and not merged into an identical earlier one.
    fn kept(&self, count: u64, indicator: Option<usize>) -> bool {
        count > 0 && indicator.is_none_or(|j| self.merged[j].is_none())
    }

    /// The labels of the indicators merged into `j`.
    fn together_with(&self, j: usize) -> Vec<String> {
        (0..self.merged.len())
            .filter(|&k| self.merged[k] == Some(j))
            .map(|k| self.columns[k].1.clone())
            .collect()
    }

    /// Where each factor's codes (or themes) fall among the values of [`Design::effects`],
    /// worked out once for a pass over the rows.
    fn value_slots(&self) -> Vec<Vec<Option<usize>>> {
        let mut next = 0;
        let mut take = |kept: bool| {
            kept.then(|| {
                next += 1;
                next - 1
            })
        };
        let mut slots = Vec::with_capacity(self.factors.len());
        for factor in &self.factors {
            slots.push(match factor {
                Factor::Categorical {
                    counts, indicator, ..
                } => (0..counts.len())
                    .map(|c| take(c > 0 && self.kept(counts[c], indicator[c])))
                    .collect(),
                Factor::Themes { bits, first, .. } => (0..bits.len())
                    .map(|i| take(self.merged[first + i].is_none()))
                    .collect(),
            });
        }
        slots
    }

    /// The values (in [`Design::effects`] order) `row` has, references included.
    fn row_values(
        &self,
        index: &Index,
        row: usize,
        slots: &[Vec<Option<usize>>],
        out: &mut Vec<usize>,
    ) {
        out.clear();
        for (factor, slots) in self.factors.iter().zip(slots) {
            match factor {
                Factor::Categorical { code, .. } => out.extend(slots[code(row)]),
                Factor::Themes { bits, .. } => {
                    let themes = index.rows.themes[row];
                    for ((bit, children), slot) in bits.iter().zip(slots) {
                        if let Some(v) = slot
                            && themes & bit != 0
                            && themes & children == 0
                        {
                            out.push(*v);
                        }
                    }
                }
            }
        }
    }
}

impl Model {
    fn answer(&self, outcome: Outcome, min_sample: u64) -> DriversResult {
        let n = self.rows.len() as u64;
        let values = self.design.values();
        let mut drivers: Vec<Driver> = Vec::with_capacity(values.len());
        let mut p_values = Vec::new();
        for (v, ((factor, value, effect), (count, indicator))) in
            self.effects.iter().zip(&values).enumerate()
        {
            let mut effects: Vec<f64> = self.replicate_effects.iter().map(|e| e[v]).collect();
            let mean = effects.iter().sum::<f64>() / effects.len().max(1) as f64;
            let sd = (effects.iter().map(|e| (e - mean).powi(2)).sum::<f64>()
                / (effects.len().max(2) - 1) as f64)
                .sqrt();
            effects.sort_by(f64::total_cmp);
            let mut importance: Vec<f64> = match indicator {
                Some(j) => self.replicate_importance.iter().map(|w| w[*j]).collect(),
                None => vec![0.0],
            };
            importance.sort_by(f64::total_cmp);
            let p_value = if sd > 0.0 {
                two_sided_p_normal(effect / sd)
            } else {
                1.0
            };
            let low_sample = *count < min_sample;
            if !low_sample {
                p_values.push((drivers.len(), p_value));
            }
            drivers.push(Driver {
                factor: factor.clone(),
                value: value.clone(),
                n: *count,
                share: *count as f64 / n.max(1) as f64,
                importance: indicator.map_or(0.0, |j| self.fit.importance[j]),
                importance_low: percentile(&importance, 0.025),
                importance_high: percentile(&importance, 0.975),
                effect: *effect,
                effect_low: percentile(&effects, 0.025),
                effect_high: percentile(&effects, 0.975),
                p_value,
                significant: false,
                low_sample,
                reference: indicator.is_none(),
                together_with: indicator.map_or_else(Vec::new, |j| self.design.together_with(j)),
            });
        }
        let found = benjamini_hochberg(&p_values.iter().map(|p| p.1).collect::<Vec<_>>(), 0.05);
        for ((i, _), significant) in p_values.iter().zip(found) {
            drivers[*i].significant = significant;
        }
        drivers.sort_by(|a, b| b.importance.total_cmp(&a.importance));
        let mut r2s = self.replicate_r2.clone();
        r2s.sort_by(f64::total_cmp);
        DriversResult {
            outcome,
            period: self.period.clone(),
            n,
            r2: self.fit.r2,
            r2_low: percentile(&r2s, 0.025),
            r2_high: percentile(&r2s, 0.975),
            mean: self.outcomes.iter().sum::<f64>() / n.max(1) as f64,
            min_sample,
            replicates: self.replicate_r2.len() as u32,
            drivers,
        }
    }
}

/// What to fix first: the problems of a driver model weighed by how many customers they touch
/// and what those customers are worth.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrioritiesRequest {
    #[serde(default)]
    pub outcome: Outcome,
    /// As for the drivers (default: theme, touchpoint, segment, region).
    #[serde(default)]
    pub factors: Vec<String>,
    #[serde(default)]
    pub filters: Filters,
    pub min_sample: Option<u64>,
    pub horizon_days: Option<u32>,
    pub replicates: Option<u32>,
    pub seed: Option<u64>,
    /// Days of transactions before the latest data that make a customer's value (default 365).
    pub revenue_days: Option<u32>,
}

impl PrioritiesRequest {
    fn model(&self) -> DriversRequest {
        DriversRequest {
            outcome: self.outcome,
            factors: self.factors.clone(),
            filters: self.filters.clone(),
            min_sample: self.min_sample,
            horizon_days: self.horizon_days,
            replicates: self.replicates,
            seed: self.seed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PrioritiesResult {
    pub outcome: Outcome,
    pub period: Period,
    /// Customers with an answer in the model (complaints aside).
    pub customers: u64,
    /// The currency revenue is counted in (the one most transactions use).
    pub currency: Option<String>,
    /// Sorted by priority, highest first.
    pub problems: Vec<Problem>,
    /// Importance against performance for every value with enough records: the matrix.
    pub matrix: Vec<MatrixPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    pub factor: String,
    pub value: String,
    /// The share of the model's customers whose answers carry the value (solicited feedback,
    /// not complaints).
    pub prevalence: f64,
    /// How much worse the outcome is with it: the effect's size, in the outcome's units.
    pub impact: f64,
    pub impact_low: f64,
    pub impact_high: f64,
    pub significant: bool,
    pub low_sample: bool,
    /// Customers affected.
    pub customers: u64,
    /// Their revenue over `revenue_days`, in minor units of `currency`.
    pub revenue_at_risk_minor: i64,
    /// prevalence × impact × the affected customers' mean revenue relative to everyone's.
    pub priority: f64,
    /// Complaints and reviews logged with the value in the same period, for comparison:
    /// what customers complain about is not always what moves them.
    pub complaints: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MatrixPoint {
    pub factor: String,
    pub value: String,
    pub importance: f64,
    /// The mean outcome over the records with the value.
    pub performance: f64,
    pub n: u64,
}

impl Index {
    pub fn priorities(&self, request: &PrioritiesRequest) -> Result<PrioritiesResult, FieldError> {
        self.drivers_and_priorities(request)
            .map(|(_, priorities)| priorities)
    }

    /// The drivers and the priorities from one model (a page shows both).
    pub fn drivers_and_priorities(
        &self,
        request: &PrioritiesRequest,
    ) -> Result<(DriversResult, PrioritiesResult), FieldError> {
        let days = i64::from(request.revenue_days.unwrap_or(365));
        if !(1..=3650).contains(&days) {
            return Err(FieldError::new("revenue_days", "must be 1 to 3650"));
        }
        let model = self.driver_model(&request.model())?;
        let outcome = request.outcome;
        let min_sample = request.min_sample.unwrap_or(30);
        let answer = model.answer(outcome, min_sample);
        let design = &model.design;
        let effects = &model.effects;
        let values = effects.len();
        // Customers carrying each value, in answers that are not complaints, and the outcome's
        // sum over each value's records for the matrix.
        let complaint = crate::index::SOURCES
            .iter()
            .position(|s| *s == dosvid_domain::FeedbackSource::Complaint)
            .map(|i| i as u8 + 1);
        let words = self.customers.len().div_ceil(64);
        let mut everyone = vec![0u64; words];
        let mut carrying = vec![vec![0u64; 0]; values];
        let mut sums = vec![(0.0f64, 0u64); values];
        let mut own = Vec::new();
        let slots = design.value_slots();
        for (&r, &y) in model.rows.iter().zip(&model.outcomes) {
            let r = r as usize;
            design.row_values(self, r, &slots, &mut own);
            for &v in &own {
                sums[v].0 += y;
                sums[v].1 += 1;
            }
            let customer = self.rows.customer[r];
            if customer == NO_CUSTOMER || Some(self.rows.source[r]) == complaint {
                continue;
            }
            let (word, bit) = (customer as usize / 64, 1u64 << (customer % 64));
            everyone[word] |= bit;
            for &v in &own {
                if carrying[v].is_empty() {
                    carrying[v] = vec![0u64; words];
                }
                carrying[v][word] |= bit;
            }
        }
        // Complaints with each value, whatever their scores.
        let mut complaints = vec![0u64; values];
        let plan = self.plan(&QueryRequest {
            measures: vec![Measure::N],
            filters: request.filters.clone(),
            ..Default::default()
        })?;
        plan.current.for_each_row(self, |r| {
            if Some(self.rows.source[r]) == complaint {
                design.row_values(self, r, &slots, &mut own);
                for &v in &own {
                    complaints[v] += 1;
                }
            }
        });
        let (currency, revenue) = self.revenue_by_customer(days);
        let customers_of =
            |bits: &[u64]| -> u64 { bits.iter().map(|w| u64::from(w.count_ones())).sum() };
        let revenue_of = |bits: &[u64]| -> i64 {
            bits.iter()
                .enumerate()
                .flat_map(|(w, word)| {
                    (0..64)
                        .filter(move |b| word & (1 << b) != 0)
                        .map(move |b| w * 64 + b)
                })
                .map(|slot| revenue.get(slot).copied().unwrap_or(0))
                .sum()
        };
        let total_customers = customers_of(&everyone);
        let total_revenue = revenue_of(&everyone);
        let mean_revenue = total_revenue as f64 / total_customers.max(1) as f64;
        let by_value = by_value(&answer);
        let by_value: BTreeMap<(String, String), Driver> =
            by_value.into_iter().map(|(k, d)| (k, d.clone())).collect();
        let worse = |effect: f64| {
            if outcome.higher_is_worse() {
                effect
            } else {
                -effect
            }
        };
        let mut problems = Vec::new();
        let mut matrix = Vec::new();
        for (v, (factor, value, effect)) in effects.iter().enumerate() {
            let Some(driver) = by_value.get(&(factor.clone(), value.clone())) else {
                continue;
            };
            if !driver.low_sample && sums[v].1 > 0 {
                matrix.push(MatrixPoint {
                    factor: factor.clone(),
                    value: value.clone(),
                    importance: driver.importance,
                    performance: sums[v].0 / sums[v].1 as f64,
                    n: sums[v].1,
                });
            }
            let impact = worse(*effect);
            if impact <= 0.0 || factor == "control" {
                continue;
            }
            let customers = customers_of(&carrying[v]);
            let revenue_at_risk = revenue_of(&carrying[v]);
            let prevalence = customers as f64 / total_customers.max(1) as f64;
            let value_weight = if mean_revenue > 0.0 && customers > 0 {
                (revenue_at_risk as f64 / customers as f64) / mean_revenue
            } else {
                1.0
            };
            let (a, b) = (worse(driver.effect_low), worse(driver.effect_high));
            problems.push(Problem {
                factor: factor.clone(),
                value: value.clone(),
                prevalence,
                impact,
                impact_low: a.min(b),
                impact_high: a.max(b),
                significant: driver.significant,
                low_sample: driver.low_sample,
                customers,
                revenue_at_risk_minor: revenue_at_risk,
                priority: prevalence * impact * value_weight,
                complaints: complaints[v],
            });
        }
        problems.sort_by(|a, b| b.priority.total_cmp(&a.priority));
        let priorities = PrioritiesResult {
            outcome,
            period: model.period.clone(),
            customers: total_customers,
            currency,
            problems,
            matrix,
        };
        Ok((answer, priorities))
    }

    /// Each customer slot's revenue over the `days` before the latest transaction, in the
    /// currency most transactions use (refunds count against it).
    pub(crate) fn revenue_by_customer(&self, days: i64) -> (Option<String>, Vec<i64>) {
        let Some(currency) = self.main_currency() else {
            return (None, Vec::new());
        };
        let latest = self
            .transactions
            .iter()
            .map(|t| t.second)
            .max()
            .unwrap_or(0);
        let since = latest - days * 86_400;
        let mut revenue = vec![0i64; self.customers.len()];
        for t in &self.transactions {
            if t.currency == currency && t.customer != NO_CUSTOMER && t.second > since {
                let amount = if t.kind == dosvid_domain::TransactionKind::Refund {
                    -t.amount_minor.abs()
                } else {
                    t.amount_minor
                };
                revenue[t.customer as usize] += amount;
            }
        }
        (self.currencies.key(currency).cloned(), revenue)
    }

    /// The code of the currency most transactions use: the one revenue is counted in.
    pub(crate) fn main_currency(&self) -> Option<u16> {
        let mut per_currency = vec![0u64; self.currencies.cardinality()];
        for t in &self.transactions {
            per_currency[usize::from(t.currency)] += 1;
        }
        (1..per_currency.len())
            .max_by_key(|&c| per_currency[c])
            .map(|c| c as u16)
    }
}

/// A driver model's design, to check the fit against another implementation: each indicator's
/// (factor, value), each record's active indicators and outcome, and the fitted intercept and
/// coefficients (0 for an indicator merged into an identical one).
#[derive(Debug, Clone)]
pub struct DriverDesign {
    pub columns: Vec<(String, String)>,
    pub rows: Vec<(Vec<u16>, f64)>,
    pub intercept: f64,
    pub coefficients: Vec<f64>,
}

impl Index {
    pub fn driver_design(&self, request: &DriversRequest) -> Result<DriverDesign, FieldError> {
        let model = self.driver_model(request)?;
        let mut active = Vec::new();
        let rows = model
            .rows
            .iter()
            .zip(&model.outcomes)
            .map(|(&r, &y)| {
                model.design.active(self, r as usize, &mut active);
                let kept = active.iter().filter(|&&j| model.design.merged[j].is_none());
                (kept.map(|&j| j as u16).collect(), y)
            })
            .collect();
        Ok(DriverDesign {
            columns: model.design.columns.clone(),
            rows,
            intercept: model.fit.intercept,
            coefficients: model.fit.coefficients.clone(),
        })
    }
}

/// The drivers of an answer by (factor, value).
fn by_value(result: &DriversResult) -> BTreeMap<(String, String), &Driver> {
    result
        .drivers
        .iter()
        .map(|d| ((d.factor.clone(), d.value.clone()), d))
        .collect()
}
