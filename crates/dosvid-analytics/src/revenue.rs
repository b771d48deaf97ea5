//! Retention and revenue from transactions (SPEC §2): CRR, GRR, NRR and CLV by period, for all
//! customers or by a customer attribute. A customer is *active* in a period with a purchase or
//! recurring charge in it; *recurring revenue* is the sum of their recurring charges. Only
//! transactions linked to a customer and in one currency count.

use std::collections::BTreeMap;

use dosvid_domain::{FieldError, TransactionKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::{Bucket, civil_from_days, days_from_civil};
use crate::index::{FastMap, Index, NO_CUSTOMER};
use crate::query::OneOrMany;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionRequest {
    /// The period length: `month` (default), `quarter`, `year`, `week` or `day`.
    pub period: Option<Bucket>,
    /// The first period shown: the one holding this date (default: the first with data).
    pub from: Option<String>,
    /// The periods shown end before this date.
    pub to: Option<String>,
    /// A customer attribute to break the figures down by: `segment`, `region`, `plan`, `attr.NAME`.
    pub group_by: Option<String>,
    /// Only customers with these attribute values, e.g. `{"segment": "premium"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub customer: BTreeMap<String, OneOrMany<String>>,
    /// The currency counted (default: the one most transactions are in).
    pub currency: Option<String>,
    /// The share of revenue that is margin, for CLV (default 1: CLV in revenue).
    pub margin: Option<f64>,
    /// Yearly discount rate for CLV (default 0.1).
    pub discount_rate: Option<f64>,
}

/// One period's (and group's) retention and revenue. Money is in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RetentionRow {
    /// The period's label: `2025-06`, `2025-Q2`, `2025`, or its first day.
    pub period: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, Option<String>>,
    /// Customers active in the period before.
    pub customers_start: u64,
    /// Customers active in this period.
    pub customers_end: u64,
    /// Customers active for the first time.
    pub new_customers: u64,
    /// (end − new) / start, in percent.
    pub crr: Option<f64>,
    /// Recurring revenue of the period before.
    pub recurring_start: i64,
    pub expansion: i64,
    pub contraction: i64,
    pub churned: i64,
    /// (start − churned − contraction) / start, at most 100, in percent.
    pub grr: Option<f64>,
    /// (start + expansion − churned − contraction) / start, in percent.
    pub nrr: Option<f64>,
    /// Purchases and recurring charges less refunds.
    pub revenue: i64,
    /// margin × revenue per active customer × r / (1 + d − r), with r the period's CRR and d
    /// the period's discount rate.
    pub clv: Option<f64>,
    /// Mean margin per customer so far: what customers have brought since their first purchase.
    pub historical_clv: Option<f64>,
    /// The period runs past the latest transaction: its figures are not final.
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RetentionResult {
    pub period: Bucket,
    pub currency: Option<String>,
    pub margin: f64,
    pub discount_rate: f64,
    pub rows: Vec<RetentionRow>,
}

/// Periods numbered so that consecutive ones differ by one.
fn ordinal(bucket: Bucket, day: i32) -> i32 {
    let (y, m, _) = civil_from_days(day);
    match bucket {
        Bucket::Day => day,
        Bucket::Week => (day + 3).div_euclid(7),
        Bucket::Month => y * 12 + m as i32 - 1,
        Bucket::Quarter => y * 4 + (m as i32 - 1) / 3,
        Bucket::Year => y,
    }
}

fn ordinal_start(bucket: Bucket, ordinal: i32) -> i32 {
    match bucket {
        Bucket::Day => ordinal,
        Bucket::Week => ordinal * 7 - 3,
        Bucket::Month => {
            days_from_civil(ordinal.div_euclid(12), ordinal.rem_euclid(12) as u32 + 1, 1)
        }
        Bucket::Quarter => days_from_civil(
            ordinal.div_euclid(4),
            ordinal.rem_euclid(4) as u32 * 3 + 1,
            1,
        ),
        Bucket::Year => days_from_civil(ordinal, 1, 1),
    }
}

fn periods_per_year(bucket: Bucket) -> f64 {
    match bucket {
        Bucket::Day => 365.25,
        Bucket::Week => 365.25 / 7.0,
        Bucket::Month => 12.0,
        Bucket::Quarter => 4.0,
        Bucket::Year => 1.0,
    }
}

/// What one customer did in one period.
#[derive(Debug, Clone, Copy, Default)]
struct CustomerPeriod {
    active: bool,
    recurring: i64,
    revenue: i64,
}

/// A group's sums for one period.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    start: u64,
    end: u64,
    new: u64,
    recurring_start: i64,
    expansion: i64,
    contraction: i64,
    churned: i64,
    revenue: i64,
}

impl Index {
    pub fn retention(&self, request: &RetentionRequest) -> Result<RetentionResult, FieldError> {
        let bucket = request.period.unwrap_or(Bucket::Month);
        let margin = request.margin.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&margin) {
            return Err(FieldError::new("margin", "must be between 0 and 1"));
        }
        let discount_rate = request.discount_rate.unwrap_or(0.1);
        if !(0.0..=10.0).contains(&discount_rate) {
            return Err(FieldError::new("discount_rate", "must be between 0 and 10"));
        }
        let currency = match &request.currency {
            Some(c) => Some(
                self.currencies
                    .code_of(&c.trim().to_ascii_uppercase())
                    .ok_or_else(|| {
                        FieldError::new("currency", "no transaction is in this currency")
                    })?,
            ),
            None => {
                let mut counts = vec![0usize; self.currencies.cardinality()];
                for t in &self.transactions {
                    counts[usize::from(t.currency)] += 1;
                }
                (1..counts.len())
                    .max_by_key(|&c| counts[c])
                    .map(|c| c as u16)
            }
        };
        let day = |field: &str, raw: &Option<String>| {
            raw.as_deref()
                .map(|raw| {
                    self.zone
                        .parse(raw)
                        .map(|s| ordinal(bucket, self.zone.day(s)))
                        .ok_or_else(|| FieldError::new(field, "must be a date such as 2025-06-01"))
                })
                .transpose()
        };
        let (from, to) = (day("from", &request.from)?, day("to", &request.to)?);
        let accepts = self.customer_filter(&request.customer, "customer")?;
        let group_column = request
            .group_by
            .as_deref()
            .map(|name| self.customer_column("group_by", name))
            .transpose()?;
        let group_values = group_column.as_ref().map(|c| &self.customers.columns[c]);

        let mut per: FastMap<(u32, i32), CustomerPeriod> = FastMap::default();
        for t in &self.transactions {
            if Some(t.currency) != currency || t.customer == NO_CUSTOMER || !accepts(t.customer) {
                continue;
            }
            let o = ordinal(bucket, self.zone.day(t.second));
            let p = per.entry((t.customer, o)).or_default();
            match t.kind {
                TransactionKind::Purchase => {
                    p.active = true;
                    p.revenue += t.amount_minor;
                }
                TransactionKind::Recurring => {
                    p.active = true;
                    p.recurring += t.amount_minor;
                    p.revenue += t.amount_minor;
                }
                TransactionKind::Refund => p.revenue -= t.amount_minor,
            }
        }
        let mut entries: Vec<((u32, i32), CustomerPeriod)> = per.into_iter().collect();
        entries.sort_unstable_by_key(|e| e.0);

        let mut sums: BTreeMap<(u16, i32), Sums> = BTreeMap::new();
        for run in entries.chunk_by(|a, b| a.0.0 == b.0.0) {
            let customer = run[0].0.0;
            let group = group_values.map_or(0, |c| c.values[customer as usize]);
            if let Some(((_, first), _)) = run.iter().find(|(_, p)| p.active) {
                sums.entry((group, *first)).or_default().new += 1;
            }
            for (i, &((_, o), p)) in run.iter().enumerate() {
                let s = sums.entry((group, o)).or_default();
                s.revenue += p.revenue;
                if p.active {
                    s.end += 1;
                }
                let next = sums.entry((group, o + 1)).or_default();
                if p.active {
                    next.start += 1;
                }
                if p.recurring > 0 {
                    let following = run
                        .get(i + 1)
                        .filter(|(key, _)| key.1 == o + 1)
                        .map_or(0, |(_, n)| n.recurring);
                    next.recurring_start += p.recurring;
                    match following {
                        0 => next.churned += p.recurring,
                        n if n < p.recurring => next.contraction += p.recurring - n,
                        n => next.expansion += n - p.recurring,
                    }
                }
            }
        }

        let per_period_discount = (1.0 + discount_rate).powf(1.0 / periods_per_year(bucket)) - 1.0;
        let last = entries.iter().map(|e| e.0.1).max();
        let latest_day = self
            .transactions
            .iter()
            .map(|t| t.second)
            .max()
            .map(|s| self.zone.day(s));
        let mut rows = Vec::new();
        let mut cumulative: FastMap<u16, (i64, u64)> = FastMap::default();
        for (&(group, o), s) in &sums {
            let c = cumulative.entry(group).or_default();
            c.0 += s.revenue;
            c.1 += s.new;
            // The period after the last transaction exists only as "the start of the next".
            if Some(o) > last || from.is_some_and(|f| o < f) || to.is_some_and(|t| o >= t) {
                continue;
            }
            let crr = dosvid_metrics::crr(s.start, s.end, s.new);
            let start = s.recurring_start as f64;
            let per_customer = (s.end > 0).then(|| margin * s.revenue as f64 / s.end as f64);
            let mut group_label = BTreeMap::new();
            if let (Some(name), Some(values)) = (&group_column, group_values) {
                group_label.insert(name.clone(), values.dict.key(group).cloned());
            }
            rows.push(RetentionRow {
                period: bucket.label(ordinal_start(bucket, o)),
                group: group_label,
                customers_start: s.start,
                customers_end: s.end,
                new_customers: s.new,
                crr: crr.map(|r| 100.0 * r),
                recurring_start: s.recurring_start,
                expansion: s.expansion,
                contraction: s.contraction,
                churned: s.churned,
                grr: dosvid_metrics::grr(start, s.churned as f64, s.contraction as f64)
                    .map(|r| 100.0 * r),
                nrr: dosvid_metrics::nrr(
                    start,
                    s.expansion as f64,
                    s.churned as f64,
                    s.contraction as f64,
                )
                .map(|r| 100.0 * r),
                revenue: s.revenue,
                clv: per_customer
                    .zip(crr)
                    .and_then(|(m, r)| dosvid_metrics::clv(m, r, per_period_discount)),
                historical_clv: (c.1 > 0).then(|| margin * c.0 as f64 / c.1 as f64),
                partial: latest_day.is_some_and(|d| d + 1 < ordinal_start(bucket, o + 1)),
            });
        }
        rows.sort_by(|a, b| a.period.cmp(&b.period).then_with(|| a.group.cmp(&b.group)));
        Ok(RetentionResult {
            period: bucket,
            currency: currency.and_then(|c| self.currencies.key(c).cloned()),
            margin,
            discount_rate,
            rows,
        })
    }
}
