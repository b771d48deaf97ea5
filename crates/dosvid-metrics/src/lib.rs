//! The metrics of SPEC §2, exactly as defined there, with honest statistics: every estimate
//! carries its n, a 95% interval and a low-sample flag, and a change between two periods is
//! called significant only when a test says so. Pure functions over counts and sums, so the
//! analytics index can keep only those and the API can explain every number.

pub mod regression;
pub mod stats;

use serde::Serialize;
use utoipa::ToSchema;

/// The sample below which an estimate is reported as "not enough responses" (SPEC §2).
pub const DEFAULT_MIN_SAMPLE: u64 = 30;

/// A metric's value with its sample size and 95% interval. `value` is `None` with no data;
/// the interval is `None` when it cannot be computed (e.g. a mean of one answer).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Estimate {
    pub value: Option<f64>,
    pub n: u64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// True when `n` is below the minimum sample: show "not enough responses", not the number.
    pub low_sample: bool,
}

impl Estimate {
    fn empty(min_sample: u64) -> Self {
        Estimate {
            value: None,
            n: 0,
            low: None,
            high: None,
            low_sample: min_sample > 0,
        }
    }

    fn new(value: f64, n: u64, interval: Option<(f64, f64)>, min_sample: u64) -> Self {
        Estimate {
            value: Some(value),
            n,
            low: interval.map(|i| i.0),
            high: interval.map(|i| i.1),
            low_sample: n < min_sample,
        }
    }
}

/// The 95% Wilson score interval of a proportion, as fractions.
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (n, p, z) = (n as f64, successes as f64 / n as f64, stats::Z95);
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// A proportion in percent with its Wilson interval.
pub fn percent(successes: u64, n: u64, min_sample: u64) -> Estimate {
    match wilson(successes, n) {
        None => Estimate::empty(min_sample),
        Some((low, high)) => Estimate::new(
            100.0 * successes as f64 / n as f64,
            n,
            Some((100.0 * low, 100.0 * high)),
            min_sample,
        ),
    }
}

/// NPS answers (0–10) counted by group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NpsCounts {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

impl NpsCounts {
    pub fn add(&mut self, score: u8) {
        match score {
            9..=10 => self.promoters += 1,
            7..=8 => self.passives += 1,
            _ => self.detractors += 1,
        }
    }

    pub fn merge(&mut self, other: &NpsCounts) {
        self.promoters += other.promoters;
        self.passives += other.passives;
        self.detractors += other.detractors;
    }

    pub fn n(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// (p₊, p₋, variance of p₊ − p₋) with the trinomial variance of SPEC §2.
    fn shares(&self) -> Option<(f64, f64, f64)> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let (plus, minus) = (
            self.promoters as f64 / n as f64,
            self.detractors as f64 / n as f64,
        );
        let variance = (plus + minus - (plus - minus).powi(2)) / n as f64;
        Some((plus, minus, variance.max(0.0)))
    }

    /// NPS = % promoters − % detractors, −100…100, with its 95% interval.
    pub fn nps(&self, min_sample: u64) -> Estimate {
        let Some((_, _, variance)) = self.shares() else {
            return Estimate::empty(min_sample);
        };
        // Computed from the counts, not the shares, so that the value is the exactly rounded
        // 100·(P − D)/n that a SQL engine gives for the same records.
        let value = 100.0 * (self.promoters as f64 - self.detractors as f64) / self.n() as f64;
        let half = 100.0 * stats::Z95 * variance.sqrt();
        Estimate::new(
            value,
            self.n(),
            Some(((value - half).max(-100.0), (value + half).min(100.0))),
            min_sample,
        )
    }
}

/// Count, sum and sum of squares: enough for a mean, its interval and Welch's test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Moments {
    pub n: u64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_squares += x * x;
    }

    pub fn merge(&mut self, other: &Moments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_squares += other.sum_squares;
    }

    pub fn mean_value(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }

    /// The sample variance (n − 1 in the denominator).
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| {
            ((self.sum_squares - self.sum * self.sum / self.n as f64) / (self.n - 1) as f64)
                .max(0.0)
        })
    }

    /// The mean with its 95% t interval.
    pub fn mean(&self, min_sample: u64) -> Estimate {
        let Some(mean) = self.mean_value() else {
            return Estimate::empty(min_sample);
        };
        let interval = self.variance().map(|v| {
            let half = stats::t_quantile(0.975, (self.n - 1) as f64) * (v / self.n as f64).sqrt();
            (mean - half, mean + half)
        });
        Estimate::new(mean, self.n, interval, min_sample)
    }
}

/// CSAT answers (1–5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Csat {
    pub satisfied: u64,
    pub moments: Moments,
}

impl Csat {
    pub fn add(&mut self, score: u8) {
        self.satisfied += u64::from(score >= 4);
        self.moments.add(f64::from(score));
    }

    /// % of 4–5 (top-two-box).
    pub fn top_two_box(&self, min_sample: u64) -> Estimate {
        percent(self.satisfied, self.moments.n, min_sample)
    }
}

/// CES answers (1–7, 7 = very easy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Ces {
    pub easy: u64,
    pub moments: Moments,
}

impl Ces {
    pub fn add(&mut self, score: u8) {
        self.easy += u64::from(score >= 5);
        self.moments.add(f64::from(score));
    }

    /// % easy (5–7).
    pub fn percent_easy(&self, min_sample: u64) -> Estimate {
        percent(self.easy, self.moments.n, min_sample)
    }
}

/// A difference between two periods (`after − before`) and whether it is significant at 5%.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Change {
    pub difference: f64,
    pub p_value: f64,
    pub significant: bool,
}

fn change(difference: f64, p_value: f64) -> Change {
    let p_value = if p_value.is_finite() {
        p_value.clamp(0.0, 1.0)
    } else {
        1.0
    };
    Change {
        difference,
        p_value,
        significant: p_value < 0.05,
    }
}

/// NPS change in points, z-test with the trinomial variances of both periods.
pub fn nps_change(before: &NpsCounts, after: &NpsCounts) -> Option<Change> {
    let (b_plus, b_minus, b_var) = before.shares()?;
    let (a_plus, a_minus, a_var) = after.shares()?;
    let difference = 100.0 * ((a_plus - a_minus) - (b_plus - b_minus));
    let se = 100.0 * (a_var + b_var).sqrt();
    if se == 0.0 {
        return Some(change(
            difference,
            if difference == 0.0 { 1.0 } else { 0.0 },
        ));
    }
    Some(change(
        difference,
        stats::two_sided_p_normal(difference / se),
    ))
}

/// Change of a proportion in percentage points, pooled two-proportion z-test.
pub fn proportion_change(before: (u64, u64), after: (u64, u64)) -> Option<Change> {
    let ((s1, n1), (s2, n2)) = (before, after);
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (s1 as f64 / n1 as f64, s2 as f64 / n2 as f64);
    let pooled = (s1 + s2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let difference = 100.0 * (p2 - p1);
    if se == 0.0 {
        return Some(change(difference, 1.0));
    }
    Some(change(
        difference,
        stats::two_sided_p_normal((p2 - p1) / se),
    ))
}

/// Change of a mean, Welch's t-test.
pub fn mean_change(before: &Moments, after: &Moments) -> Option<Change> {
    let (m1, v1) = (before.mean_value()?, before.variance()?);
    let (m2, v2) = (after.mean_value()?, after.variance()?);
    let (a, b) = (v1 / before.n as f64, v2 / after.n as f64);
    let difference = m2 - m1;
    if a + b == 0.0 {
        return Some(change(
            difference,
            if difference == 0.0 { 1.0 } else { 0.0 },
        ));
    }
    let t = difference / (a + b).sqrt();
    let df = (a + b).powi(2) / (a * a / (before.n - 1) as f64 + b * b / (after.n - 1) as f64);
    Some(change(difference, stats::two_sided_p_t(t, df)))
}

/// One attribute of the CSI: how important it is and how satisfied customers are with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsiAttribute {
    pub importance: f64,
    pub satisfaction: f64,
    pub scale_min: f64,
    pub scale_max: f64,
}

/// CSI: the importance-weighted mean of attribute satisfaction, scaled 0–100.
pub fn csi(attributes: &[CsiAttribute]) -> Option<f64> {
    let total: f64 = attributes.iter().map(|a| a.importance).sum();
    if total <= 0.0 {
        return None;
    }
    let weighted: f64 = attributes
        .iter()
        .map(|a| a.importance * (a.satisfaction - a.scale_min) / (a.scale_max - a.scale_min))
        .sum();
    Some(100.0 * weighted / total)
}

/// The five SERVQUAL dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Tangibles,
    Reliability,
    Responsiveness,
    Assurance,
    Empathy,
}

/// One respondent's answer to one SERVQUAL item: expectation and perception, each 1–7.
#[derive(Debug, Clone, PartialEq)]
pub struct ServqualAnswer<'a> {
    pub item: &'a str,
    pub dimension: Dimension,
    pub expectation: f64,
    pub perception: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServqualGaps {
    /// (item, dimension, mean P − mean E).
    pub items: Vec<(String, Dimension, f64)>,
    /// (dimension, mean of its items' gaps).
    pub dimensions: Vec<(Dimension, f64)>,
    /// Dimension gaps weighted by `weights` (over the dimensions that have answers).
    pub overall: Option<f64>,
}

/// SERVQUAL gaps (P − E) per item, per dimension and overall.
pub fn servqual(
    answers: &[ServqualAnswer<'_>],
    weights: impl Fn(Dimension) -> f64,
) -> ServqualGaps {
    let mut items: Vec<(String, Dimension, Moments, Moments)> = Vec::new();
    for a in answers {
        let i = match items.iter().position(|(item, ..)| item == a.item) {
            Some(i) => i,
            None => {
                items.push((
                    a.item.to_owned(),
                    a.dimension,
                    Moments::default(),
                    Moments::default(),
                ));
                items.len() - 1
            }
        };
        items[i].2.add(a.expectation);
        items[i].3.add(a.perception);
    }
    let items: Vec<(String, Dimension, f64)> = items
        .into_iter()
        .map(|(item, d, e, p)| {
            (
                item,
                d,
                p.mean_value().unwrap_or(0.0) - e.mean_value().unwrap_or(0.0),
            )
        })
        .collect();
    let mut dimensions: Vec<(Dimension, f64)> = Vec::new();
    for d in [
        Dimension::Tangibles,
        Dimension::Reliability,
        Dimension::Responsiveness,
        Dimension::Assurance,
        Dimension::Empathy,
    ] {
        let gaps: Vec<f64> = items.iter().filter(|i| i.1 == d).map(|i| i.2).collect();
        if !gaps.is_empty() {
            dimensions.push((d, gaps.iter().sum::<f64>() / gaps.len() as f64));
        }
    }
    let total_weight: f64 = dimensions.iter().map(|(d, _)| weights(*d)).sum();
    let overall = (total_weight > 0.0)
        .then(|| dimensions.iter().map(|(d, g)| weights(*d) * g).sum::<f64>() / total_weight);
    ServqualGaps {
        items,
        dimensions,
        overall,
    }
}

/// Customer retention rate: (customers at end − new customers) / customers at start.
pub fn crr(at_start: u64, at_end: u64, new: u64) -> Option<f64> {
    (at_start > 0).then(|| (at_end as f64 - new as f64) / at_start as f64)
}

/// Gross revenue retention: (start − churned − contraction) / start, at most 100%.
pub fn grr(start_revenue: f64, churned: f64, contraction: f64) -> Option<f64> {
    (start_revenue > 0.0)
        .then(|| ((start_revenue - churned - contraction) / start_revenue).min(1.0))
}

/// Net revenue retention: (start + expansion − churned − contraction) / start.
pub fn nrr(start_revenue: f64, expansion: f64, churned: f64, contraction: f64) -> Option<f64> {
    (start_revenue > 0.0)
        .then(|| (start_revenue + expansion - churned - contraction) / start_revenue)
}

/// Customer lifetime value: m·Σₜ rᵗ/(1+d)ᵗ = m·r/(1 + d − r), for per-period margin m,
/// retention r (0 ≤ r < 1 + d) and discount rate d.
pub fn clv(margin: f64, retention: f64, discount: f64) -> Option<f64> {
    (0.0..1.0 + discount)
        .contains(&retention)
        .then(|| margin * retention / (1.0 + discount - retention))
}

/// Return on experience: (benefit − cost) / cost.
pub fn rox(benefit: f64, cost: f64) -> Option<f64> {
    (cost > 0.0).then(|| (benefit - cost) / cost)
}

/// Difference in differences: the change among those an initiative touched, net of the change
/// in a comparison group over the same periods.
pub fn difference_in_differences(
    treated_before: f64,
    treated_after: f64,
    control_before: f64,
    control_after: f64,
) -> f64 {
    (treated_after - treated_before) - (control_after - control_before)
}

/// Time to resolution: mean, median and 90th percentile (nearest rank), in the input's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Durations {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    pub p90: f64,
}

/// MTTR from the durations of resolved cases.
pub fn mttr(durations: &[f64]) -> Option<Durations> {
    if durations.is_empty() {
        return None;
    }
    let mut sorted = durations.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let rank = |q: f64| sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some(Durations {
        n,
        mean: sorted.iter().sum::<f64>() / n as f64,
        median,
        p90: rank(0.9),
    })
}

/// FCR: cases resolved in exactly one contact / all resolved cases, in percent.
pub fn fcr(resolved_in_one_contact: u64, resolved: u64, min_sample: u64) -> Estimate {
    percent(resolved_in_one_contact, resolved, min_sample)
}

/// The CX index: the weighted mean of component scores (each 0–100); components without a
/// score are left out and the weights of the rest renormalised.
pub fn cx_index(components: &[(Option<f64>, f64)]) -> Option<f64> {
    let present: Vec<(f64, f64)> = components
        .iter()
        .filter_map(|(s, w)| s.map(|s| (s, *w)))
        .collect();
    let total: f64 = present.iter().map(|(_, w)| w).sum();
    (total > 0.0).then(|| present.iter().map(|(s, w)| s * w).sum::<f64>() / total)
}

#[cfg(test)]
mod tests;
