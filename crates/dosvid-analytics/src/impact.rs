//! What an initiative changed (SPEC §3.9, the ROX row of §2): difference in differences of the
//! records it reached (`treated`) against a comparison group — the records of `comparison`, or
//! every other record — between the `before_days` before it started and the `after_days` after.
//! When "every other record" is the comparison and the treated filter names a customer
//! attribute, the attribute's other values whose change at the start stands out from the
//! others' (significantly, Holm over the values, one at a time, only ever a minority) are left
//! out of it: they cannot stand for "nothing was done", and the answer names them.
//!
//! - The score of a record: NPS as +100 / 0 / −100 (so that the mean is the NPS), CSAT 1–5,
//!   CES 1–7, or churn as 100 / 0 (its customer did not / did buy or pay within 90 days after);
//!   records without the score are left out. `revenue_per_customer` compares the revenue per
//!   customer of the customers with a record in each group instead.
//! - Intervals and the p-value come from a bootstrap over customers (a customer's records stay
//!   together; a record without a customer is its own block), so the many answers of one
//!   customer do not pass for independent evidence.
//! - **Parallel trends**: the same difference in differences between the first and the second
//!   half of the before period, where nothing had started yet; if that is significant, the two
//!   groups were already drifting apart and the effect is flagged as unreliable.
//! - **Benefit**: the difference in differences of revenue per customer (the customers with a
//!   record in each group in the window, their transactions in the main currency) times the
//!   treated customers; **ROX** = (benefit − cost) / cost, each replicate giving its own, so
//!   that ROX has an interval too.

use dosvid_domain::{FieldError, TransactionKind};
use dosvid_metrics::Moments;
use dosvid_metrics::stats::two_sided_p_normal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bootstrap::{self, percentile};
use crate::cx::{LAPSED, RETAINED};
use crate::index::{Index, NO_CUSTOMER, NPS_NONE, SCORE_NONE};
use crate::query::{Filters, Measure, Period, QueryRequest};

const DEFAULT_REPLICATES: u32 = 200;
const MAX_REPLICATES: u32 = 2_000;

/// The outcome an initiative is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImpactMetric {
    #[default]
    Nps,
    Csat,
    Ces,
    /// Customers who did not buy or pay within 90 days after their answer, in percent.
    Churn,
    /// Revenue per customer in the period, minor units of the main currency.
    RevenuePerCustomer,
}

impl ImpactMetric {
    pub const ALL: [ImpactMetric; 5] = [
        ImpactMetric::Nps,
        ImpactMetric::Csat,
        ImpactMetric::Ces,
        ImpactMetric::Churn,
        ImpactMetric::RevenuePerCustomer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImpactMetric::Nps => "nps",
            ImpactMetric::Csat => "csat",
            ImpactMetric::Ces => "ces",
            ImpactMetric::Churn => "churn",
            ImpactMetric::RevenuePerCustomer => "revenue_per_customer",
        }
    }

    pub fn parse(raw: &str) -> Option<ImpactMetric> {
        ImpactMetric::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    /// Whether a rise is an improvement.
    pub fn higher_is_better(self) -> bool {
        self != ImpactMetric::Churn
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactRequest {
    #[serde(default)]
    pub metric: ImpactMetric,
    /// The records the initiative reached (filters as in `/query`; no period).
    #[serde(default)]
    pub treated: Filters,
    /// The comparison group; default: every record the treated filters do not select.
    pub comparison: Option<Filters>,
    /// The day it started (`2026-03-01`).
    pub starts_on: String,
    /// A placebo start: the same analysis as if it had started on this day instead.
    pub as_if_started_on: Option<String>,
    /// Days before and after the start compared (default 90 each).
    pub before_days: Option<u32>,
    pub after_days: Option<u32>,
    /// What the initiative cost, in minor units of the revenue's currency (for ROX).
    pub cost_minor: Option<i64>,
    /// Bootstrap replicates (default 200).
    pub replicates: Option<u32>,
    pub min_sample: Option<u64>,
}

/// One group in one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct ImpactCell {
    pub value: Option<f64>,
    pub n: u64,
}

/// A quantity with its bootstrap 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ParallelTrends {
    /// The difference in differences between the halves of the before period.
    pub difference: f64,
    pub p_value: f64,
    /// False when the groups were already drifting apart before the start.
    pub holds: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImpactResult {
    pub metric: ImpactMetric,
    /// The start the analysis used (the placebo's, if one was given).
    pub starts_on: String,
    pub placebo: bool,
    pub before: Period,
    pub after: Period,
    /// `given` or `the rest` (every record the treated filters do not select).
    pub comparison: String,
    /// Values of the treated filter's customer attribute left out of "the rest": they changed
    /// significantly at the start themselves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded_from_comparison: Vec<String>,
    pub treated_before: ImpactCell,
    pub treated_after: ImpactCell,
    pub comparison_before: ImpactCell,
    pub comparison_after: ImpactCell,
    /// (treated after − before) − (comparison after − before), in the metric's units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    pub significant: bool,
    /// Too few records in a cell (under `min_sample`): no effect is claimed.
    pub low_sample: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_trends: Option<ParallelTrends>,
    /// Customers with a treated record in the window.
    pub treated_customers: u64,
    pub currency: Option<String>,
    /// Revenue per customer, difference in differences, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_per_customer: Option<Interval>,
    /// Revenue per customer × treated customers, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benefit_minor: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_minor: Option<i64>,
    /// (benefit − cost) / cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rox: Option<Interval>,
    pub replicates: u32,
    /// The window in bins of a week or more, one bin starting at the start: each group's
    /// mean score (or revenue per customer) in it, for a chart of the two over time.
    pub series: Vec<ImpactBin>,
    pub assumptions: String,
}

/// One bin of the window.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImpactBin {
    /// Its first day.
    pub from: String,
    pub treated: ImpactCell,
    pub comparison: ImpactCell,
}

/// The window cut into bins of equal length, one boundary at the start.
struct Bins {
    start: i64,
    length: i64,
    first: i64,
    /// Per bin, treated (0) and comparison (1).
    scores: Vec<[Moments; 2]>,
    revenue: Vec<[f64; 2]>,
}

impl Bins {
    fn new(from: i64, start: i64, to: i64, days: u32) -> Bins {
        let length = i64::from(days.div_ceil(12).max(7)) * 86_400;
        let first = (from - start).div_euclid(length);
        let last = (to - 1 - start).div_euclid(length);
        let n = (last - first + 1) as usize;
        Bins {
            start,
            length,
            first,
            scores: vec![[Moments::default(); 2]; n],
            revenue: vec![[0.0; 2]; n],
        }
    }

    fn of(&self, second: i64) -> usize {
        ((second - self.start).div_euclid(self.length) - self.first) as usize
    }

    fn start_of(&self, bin: usize) -> i64 {
        self.start + (self.first + bin as i64) * self.length
    }
}

/// Cells: treated in the first and second half of the before period, and after; the same for
/// the comparison group.
const CELLS: usize = 6;
const T_EARLY: usize = 0;
const T_LATE: usize = 1;
const T_AFTER: usize = 2;
const C_EARLY: usize = 3;
const C_LATE: usize = 4;
const C_AFTER: usize = 5;

/// A bootstrap block: one customer's sums.
#[derive(Clone, Default)]
struct Block {
    sum: [f64; CELLS],
    n: [f64; CELLS],
    /// 1: treated, 2: comparison (for revenue); 0: neither.
    group: u8,
    /// Revenue in the first and second half of the before period, and after.
    revenue: [f64; 3],
}

/// A figure computed from the blocks' totals.
type Statistic = fn(&Totals) -> Option<f64>;

/// What the blocks add up to.
#[derive(Clone, Copy, Default)]
struct Totals {
    sum: [f64; CELLS],
    n: [f64; CELLS],
    /// Customers and revenue before and after, treated (0) and comparison (1).
    customers: [f64; 2],
    /// Per group: the first and second half of before, and after.
    revenue: [[f64; 3]; 2],
}

impl Totals {
    fn add(&mut self, b: &Block, weight: f64) {
        for c in 0..CELLS {
            self.sum[c] += weight * b.sum[c];
            self.n[c] += weight * b.n[c];
        }
        if b.group > 0 {
            let g = usize::from(b.group - 1);
            self.customers[g] += weight;
            for (sum, value) in self.revenue[g].iter_mut().zip(b.revenue) {
                *sum += weight * value;
            }
        }
    }

    fn mean(&self, cells: &[usize]) -> Option<f64> {
        let n: f64 = cells.iter().map(|&c| self.n[c]).sum();
        (n > 0.0).then(|| cells.iter().map(|&c| self.sum[c]).sum::<f64>() / n)
    }

    fn effect(&self) -> Option<f64> {
        Some(
            (self.mean(&[T_AFTER])? - self.mean(&[T_EARLY, T_LATE])?)
                - (self.mean(&[C_AFTER])? - self.mean(&[C_EARLY, C_LATE])?),
        )
    }

    fn pre_trend(&self) -> Option<f64> {
        Some(
            (self.mean(&[T_LATE])? - self.mean(&[T_EARLY])?)
                - (self.mean(&[C_LATE])? - self.mean(&[C_EARLY])?),
        )
    }

    /// Revenue per customer of a group (0 treated, 1 comparison) over the given parts of the
    /// window; the halves of before added up make before.
    fn revenue_per(&self, group: usize, parts: &[usize]) -> Option<f64> {
        let customers = self.customers[group];
        (customers > 0.0)
            .then(|| parts.iter().map(|&p| self.revenue[group][p]).sum::<f64>() / customers)
    }

    fn revenue_change(&self, group: usize) -> Option<f64> {
        Some(self.revenue_per(group, &[2])? - self.revenue_per(group, &[0, 1])?)
    }

    fn revenue_effect(&self) -> Option<f64> {
        Some(self.revenue_change(0)? - self.revenue_change(1)?)
    }

    fn revenue_pre_trend(&self) -> Option<f64> {
        let change = |g: usize| Some(self.revenue_per(g, &[1])? - self.revenue_per(g, &[0])?);
        Some(change(0)? - change(1)?)
    }
}

impl Index {
    pub fn impact(&self, request: &ImpactRequest) -> Result<ImpactResult, FieldError> {
        let before_days = request.before_days.unwrap_or(90);
        let after_days = request.after_days.unwrap_or(90);
        for (field, days) in [("before_days", before_days), ("after_days", after_days)] {
            if !(2..=3650).contains(&days) {
                return Err(FieldError::new(field, "must be 2 to 3650"));
            }
        }
        let replicates = request.replicates.unwrap_or(DEFAULT_REPLICATES);
        if !(20..=MAX_REPLICATES).contains(&replicates) {
            return Err(FieldError::new(
                "replicates",
                format!("must be 20 to {MAX_REPLICATES}"),
            ));
        }
        if request.cost_minor.is_some_and(|c| c <= 0) {
            return Err(FieldError::new("cost_minor", "must be positive"));
        }
        let min_sample = request.min_sample.unwrap_or(30);
        let day = |field: &str, raw: &str| {
            self.zone
                .parse(raw)
                .ok_or_else(|| FieldError::new(field, "must be a date (2026-03-01)"))
        };
        let (start, placebo) = match &request.as_if_started_on {
            Some(raw) => (day("as_if_started_on", raw)?, true),
            None => (day("starts_on", &request.starts_on)?, false),
        };
        let starts_on = if placebo {
            request.as_if_started_on.clone().unwrap_or_default()
        } else {
            request.starts_on.clone()
        };
        let (from, middle, to) = (
            start - i64::from(before_days) * 86_400,
            start - i64::from(before_days) * 43_200,
            start + i64::from(after_days) * 86_400,
        );
        // The records each group's filters select in the window.
        let select = |filters: &Filters, field: &str| -> Result<Vec<bool>, FieldError> {
            if filters.from.is_some() || filters.to.is_some() {
                return Err(FieldError::new(
                    format!("{field}.from"),
                    "the periods come from starts_on, before_days and after_days",
                ));
            }
            let mut plan = self
                .plan(&QueryRequest {
                    measures: vec![Measure::N],
                    filters: filters.clone(),
                    ..Default::default()
                })
                .map_err(|e| FieldError::new(e.field.replacen("filters", field, 1), e.message))?;
            plan.current.from = from;
            plan.current.to = to;
            let mut chosen = vec![false; self.rows.len()];
            plan.current.for_each_row(self, |r| chosen[r] = true);
            Ok(chosen)
        };
        let treated = select(&request.treated, "treated")?;
        let comparison = match &request.comparison {
            Some(filters) => Some(select(filters, "comparison")?),
            None => None,
        };
        let churn = (request.metric == ImpactMetric::Churn).then(|| self.retained_column());
        let score = |r: usize| -> Option<f64> {
            match request.metric {
                ImpactMetric::Nps => match self.rows.nps[r] {
                    NPS_NONE => None,
                    9.. => Some(100.0),
                    7..=8 => Some(0.0),
                    _ => Some(-100.0),
                },
                ImpactMetric::Csat => {
                    (self.rows.csat[r] != SCORE_NONE).then(|| f64::from(self.rows.csat[r]))
                }
                ImpactMetric::Ces => {
                    (self.rows.ces[r] != SCORE_NONE).then(|| f64::from(self.rows.ces[r]))
                }
                ImpactMetric::Churn => match churn.as_ref().map(|c| c[r]) {
                    Some(LAPSED) => Some(100.0),
                    Some(RETAINED) => Some(0.0),
                    _ => None,
                },
                // Revenue is counted per customer from the transactions, not per record.
                ImpactMetric::RevenuePerCustomer => None,
            }
        };
        // Without a given comparison, the rest stands for "no initiative" — except units with a
        // change of their own at the start (see the module's comment).
        let mut excluded: Vec<String> = Vec::new();
        let mut stratum_of: Option<(&[u16], Vec<bool>)> = None;
        if comparison.is_none() && request.treated.customer.len() == 1 {
            let name = request
                .treated
                .customer
                .keys()
                .next()
                .expect("one attribute");
            let column =
                &self.customers.columns[&self.customer_column("treated.customer", name)?];
            let strata = column.dict.cardinality();
            // Per stratum: sum, sum of squares and n, before (0) and after (1).
            let mut moments = vec![[Moments::default(); 2]; strata];
            for (r, &reached) in treated.iter().enumerate() {
                let (second, customer) = (self.rows.second[r], self.rows.customer[r]);
                if reached || second < from || second >= to || customer == NO_CUSTOMER {
                    continue;
                }
                let Some(value) = score(r) else { continue };
                moments[usize::from(column.values[customer as usize])]
                    [usize::from(second >= start)]
                .add(value);
            }
            // The value whose change from before to after stands furthest from the others'
            // (pooled) is left out while that difference is significant (Holm: 5% over the
            // values still in), and only while the values left out stay a minority.
            // A change: (after − before, its variance).
            let change = |m: &[Moments; 2]| -> Option<(f64, f64)> {
                let spread = |m: &Moments| Some((m.mean_value()?, m.variance()? / m.n as f64));
                let (before, after) = (spread(&m[0])?, spread(&m[1])?);
                Some((after.0 - before.0, after.1 + before.1))
            };
            let mut active: Vec<usize> = (0..strata)
                .filter(|&code| change(&moments[code]).is_some())
                .collect();
            let tested = active.len();
            let mut keep = vec![true; strata];
            while 2 * (excluded.len() + 1) < tested {
                let furthest = active
                    .iter()
                    .filter_map(|&code| {
                        let mut others = [Moments::default(); 2];
                        for &other in active.iter().filter(|&&o| o != code) {
                            for (period, m) in others.iter_mut().enumerate() {
                                m.merge(&moments[other][period]);
                            }
                        }
                        let ((own, own_var), (rest, rest_var)) =
                            (change(&moments[code])?, change(&others)?);
                        let se = (own_var + rest_var).sqrt();
                        (se > 0.0).then(|| (code, ((own - rest) / se).abs()))
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                let Some((code, z)) = furthest else { break };
                if two_sided_p_normal(z) >= 0.05 / active.len() as f64 {
                    break;
                }
                keep[code] = false;
                active.retain(|&c| c != code);
                excluded.push(
                    column
                        .dict
                        .key(code as u16)
                        .cloned()
                        .unwrap_or_else(|| "—".into()),
                );
            }
            stratum_of = Some((&column.values, keep));
        }
        let in_comparison = |r: usize| match (&comparison, &stratum_of) {
            (Some(chosen), _) => chosen[r],
            (None, Some((values, keep))) => {
                let customer = self.rows.customer[r];
                customer == NO_CUSTOMER || keep[usize::from(values[customer as usize])]
            }
            (None, None) => true,
        };
        let mut bins = Bins::new(from, start, to, before_days + after_days);
        // One block per customer with a record in either group (and one per record without a
        // customer).
        let mut block_of: Vec<u32> = vec![u32::MAX; self.customers.len()];
        let mut blocks: Vec<Block> = Vec::new();
        for (r, &reached) in treated.iter().enumerate() {
            let second = self.rows.second[r];
            if second < from || second >= to {
                continue;
            }
            let group = if reached {
                1
            } else if in_comparison(r) {
                2
            } else {
                continue;
            };
            let customer = self.rows.customer[r];
            let b = if customer == NO_CUSTOMER {
                blocks.push(Block::default());
                blocks.len() - 1
            } else {
                let slot = &mut block_of[customer as usize];
                if *slot == u32::MAX {
                    *slot = blocks.len() as u32;
                    blocks.push(Block::default());
                }
                *slot as usize
            };
            let block = &mut blocks[b];
            // A customer reached by the initiative counts among the treated for revenue.
            if customer != NO_CUSTOMER && (block.group == 0 || group == 1) {
                block.group = group;
            }
            let Some(value) = score(r) else { continue };
            let cell = match (group, second < middle, second < start) {
                (1, true, _) => T_EARLY,
                (1, false, true) => T_LATE,
                (1, _, false) => T_AFTER,
                (_, true, _) => C_EARLY,
                (_, false, true) => C_LATE,
                _ => C_AFTER,
            };
            block.sum[cell] += value;
            block.n[cell] += 1.0;
            let bin = bins.of(second);
            bins.scores[bin][usize::from(group - 1)].add(value);
        }
        let currency_code = self.main_currency();
        let currency = currency_code.and_then(|c| self.currencies.key(c).cloned());
        let before_span = start - from;
        for t in &self.transactions {
            if t.customer == NO_CUSTOMER || Some(t.currency) != currency_code {
                continue;
            }
            let b = block_of[t.customer as usize];
            if b == u32::MAX {
                continue;
            }
            let amount = if t.kind == TransactionKind::Refund {
                -(t.amount_minor.abs() as f64)
            } else {
                t.amount_minor as f64
            };
            let block = &mut blocks[b as usize];
            if block.group > 0 && t.second >= from && t.second < to {
                let bin = bins.of(t.second);
                bins.revenue[bin][usize::from(block.group - 1)] += amount;
            }
            if t.second >= from && t.second < middle {
                block.revenue[0] += amount;
            } else if t.second >= middle && t.second < start {
                block.revenue[1] += amount;
            } else if t.second >= start && t.second < to {
                // Scaled to the length of the before period, so unequal periods compare.
                block.revenue[2] += amount * before_span as f64 / (to - start) as f64;
            }
        }
        let mut totals = Totals::default();
        for block in &blocks {
            totals.add(block, 1.0);
        }
        let by_revenue = request.metric == ImpactMetric::RevenuePerCustomer;
        let cells = if by_revenue {
            let cell = |group: usize, parts: &[usize]| ImpactCell {
                value: totals.revenue_per(group, parts),
                n: totals.customers[group] as u64,
            };
            [
                cell(0, &[0, 1]),
                cell(0, &[2]),
                cell(1, &[0, 1]),
                cell(1, &[2]),
            ]
        } else {
            let cell = |cells: &[usize]| ImpactCell {
                value: totals.mean(cells),
                n: cells.iter().map(|&c| totals.n[c]).sum::<f64>() as u64,
            };
            [
                cell(&[T_EARLY, T_LATE]),
                cell(&[T_AFTER]),
                cell(&[C_EARLY, C_LATE]),
                cell(&[C_AFTER]),
            ]
        };
        let (effect_of, pre_trend_of): (Statistic, Statistic) = if by_revenue {
            (Totals::revenue_effect, Totals::revenue_pre_trend)
        } else {
            (Totals::effect, Totals::pre_trend)
        };
        let low_sample = cells.iter().any(|c| c.n < min_sample);
        let treated_customers = totals.customers[0] as u64;

        // The bootstrap: each replicate draws as many blocks as there are, with replacement.
        let samples: Vec<Totals> =
            bootstrap::replicate(0x1a2b_3c4d, replicates, blocks.len(), |counts| {
                let mut t = Totals::default();
                for (block, &count) in blocks.iter().zip(counts) {
                    if count > 0 {
                        t.add(block, f64::from(count));
                    }
                }
                t
            });
        let interval = |point: Option<f64>, of: &dyn Fn(&Totals) -> Option<f64>| {
            let point = point?;
            let mut values: Vec<f64> = samples.iter().filter_map(of).collect();
            if values.len() < samples.len() / 2 || values.is_empty() {
                return None;
            }
            values.sort_by(f64::total_cmp);
            Some((
                Interval {
                    value: point,
                    low: percentile(&values, 0.025),
                    high: percentile(&values, 0.975),
                },
                standard_error(&values),
            ))
        };
        let effect = interval(effect_of(&totals), &effect_of);
        let p_of = |value: f64, se: f64| {
            if se > 0.0 {
                two_sided_p_normal(value / se)
            } else if value == 0.0 {
                1.0
            } else {
                0.0
            }
        };
        let p_value = effect.map(|(e, se)| p_of(e.value, se));
        let significant = !low_sample
            && effect.is_some_and(|(e, _)| e.low > 0.0 || e.high < 0.0)
            && p_value.is_some_and(|p| p < 0.05);
        let parallel_trends = interval(pre_trend_of(&totals), &pre_trend_of).map(|(d, se)| {
            let p_value = p_of(d.value, se);
            ParallelTrends {
                difference: d.value,
                p_value,
                holds: p_value >= 0.05,
            }
        });
        let revenue = currency
            .as_ref()
            .and_then(|_| interval(totals.revenue_effect(), &Totals::revenue_effect));
        let treated_n = |t: &Totals| t.customers[0];
        let benefit = revenue.map(|(r, _)| {
            let scale = |t: &Totals| t.revenue_effect().map(|e| e * treated_n(t));
            let mut values: Vec<f64> = samples.iter().filter_map(scale).collect();
            values.sort_by(f64::total_cmp);
            Interval {
                value: r.value * treated_n(&totals),
                low: percentile(&values, 0.025),
                high: percentile(&values, 0.975),
            }
        });
        let rox = match (benefit, request.cost_minor) {
            (Some(b), Some(cost)) => {
                let cost = cost as f64;
                Some(Interval {
                    value: (b.value - cost) / cost,
                    low: (b.low - cost) / cost,
                    high: (b.high - cost) / cost,
                })
            }
            _ => None,
        };
        let series = (0..bins.revenue.len())
            .map(|b| {
                let cell = |g: usize| {
                    if by_revenue {
                        let customers = totals.customers[g];
                        ImpactCell {
                            value: (customers > 0.0).then(|| bins.revenue[b][g] / customers),
                            n: customers as u64,
                        }
                    } else {
                        let m = &bins.scores[b][g];
                        ImpactCell {
                            value: m.mean_value(),
                            n: m.n,
                        }
                    }
                };
                let day = self.zone.format(bins.start_of(b).max(from));
                ImpactBin {
                    from: day.get(..10).unwrap_or(&day).to_owned(),
                    treated: cell(0),
                    comparison: cell(1),
                }
            })
            .collect();
        let period = |from: i64, to: i64| Period {
            from: Some(self.zone.format(from)),
            to: Some(self.zone.format(to)),
        };
        Ok(ImpactResult {
            metric: request.metric,
            starts_on,
            placebo,
            before: period(from, start),
            after: period(start, to),
            comparison: if request.comparison.is_some() {
                "given".into()
            } else {
                "the rest".into()
            },
            excluded_from_comparison: excluded,
            treated_before: cells[0],
            treated_after: cells[1],
            comparison_before: cells[2],
            comparison_after: cells[3],
            effect: effect.map(|e| e.0),
            p_value,
            significant,
            low_sample,
            parallel_trends,
            treated_customers,
            currency,
            revenue_per_customer: revenue.map(|r| r.0),
            benefit_minor: benefit,
            cost_minor: request.cost_minor,
            rox,
            replicates,
            series,
            assumptions: format!(
                "The comparison group stands for what would have happened to the treated without the \
                 initiative (checked by the parallel-trends test on the {before_days} days before). \
                 Intervals: {replicates} bootstrap replicates over customers, percentile 95%. Benefit: \
                 the difference in differences of revenue per customer (after scaled to the length of \
                 before) times the {treated_customers} treated customers; ROX = (benefit − cost) / cost."
            ),
        })
    }
}

/// The replicates' spread: the bootstrap's standard error.
fn standard_error(values: &[f64]) -> f64 {
    let mut moments = Moments::default();
    values.iter().for_each(|&v| moments.add(v));
    moments.variance().unwrap_or(0.0).sqrt()
}
