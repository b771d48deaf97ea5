//! The value chain (SPEC §2): what customers did after they told us how they felt. Customers
//! are grouped by their latest answer in the period (promoter / passive / detractor, CSAT top
//! two / middle / bottom, or the comment's sentiment), and for each group we follow the
//! `horizon_days` after that answer: whether they bought again (churn is "no purchase or
//! recurring payment in the horizon"), their revenue, whether it grew against the same span
//! before, and how often they contacted the company. A customer whose horizon has not ended by
//! the latest data is left out: their future is not known yet.

use dosvid_domain::{FieldError, TransactionKind};
use dosvid_metrics::{Change, Estimate, Moments, mean_change, percent, proportion_change};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::index::{Index, NO_CUSTOMER, NPS_NONE, SCORE_NONE, SENTIMENTS};
use crate::query::{Filters, Measure, Period, QueryRequest};

/// How customers are grouped by their latest answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueChainBy {
    #[default]
    NpsGroup,
    CsatGroup,
    Sentiment,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueChainRequest {
    /// The answers' period (as in filters; these win over `filters.from` and `filters.to`).
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub filters: Filters,
    /// Days followed after each customer's latest answer (default 180).
    pub horizon_days: Option<u32>,
    #[serde(default)]
    pub by: ValueChainBy,
    pub min_sample: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ValueChainResult {
    pub by: ValueChainBy,
    pub period: Period,
    pub horizon_days: u32,
    /// The currency revenue is counted in (the one most transactions use).
    pub currency: Option<String>,
    /// Customers whose horizon has not ended yet, left out.
    pub too_recent: u64,
    pub groups: Vec<ValueChainGroup>,
    /// For `nps_group`: what one point of NPS is worth over the horizon, and how it is computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps_point: Option<NpsPointValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ValueChainGroup {
    /// `promoter`, `passive`, `detractor`; `top`, `middle`, `bottom`; `positive`, `neutral`,
    /// `negative`.
    pub group: String,
    pub customers: u64,
    /// % who bought nothing in the horizon.
    pub churn: Estimate,
    pub retention: Estimate,
    /// Revenue per customer in the horizon, minor units.
    pub revenue_per_customer: Estimate,
    /// % whose revenue in the horizon exceeded the same span before the answer.
    pub expansion: Estimate,
    /// Contacts (interactions) per customer in the horizon.
    pub contacts: Estimate,
    /// Against the first group (promoters, top box, positive): churn in percentage points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn_vs_first: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue_vs_first: Option<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NpsPointValue {
    /// Revenue over the horizon, minor units, per point of NPS.
    pub revenue_minor: f64,
    pub assumptions: String,
}

/// The group of a record's answer, if it has one.
type GroupOf<'a> = Box<dyn Fn(usize) -> Option<usize> + 'a>;

impl Index {
    pub fn value_chain(&self, request: &ValueChainRequest) -> Result<ValueChainResult, FieldError> {
        let horizon = request.horizon_days.unwrap_or(180);
        if !(1..=3650).contains(&horizon) {
            return Err(FieldError::new("horizon_days", "must be 1 to 3650"));
        }
        let h = i64::from(horizon) * 86_400;
        let min_sample = request.min_sample.unwrap_or(30);
        let mut filters = request.filters.clone();
        if request.from.is_some() {
            filters.from = request.from.clone();
        }
        if request.to.is_some() {
            filters.to = request.to.clone();
        }
        let plan = self
            .plan(&QueryRequest {
                measures: vec![Measure::N],
                filters,
                ..Default::default()
            })
            .map_err(|e| {
                FieldError::new(
                    e.field
                        .replace("filters.from", "from")
                        .replace("filters.to", "to"),
                    e.message,
                )
            })?;
        let (names, group_of): ([&str; 3], GroupOf) = match request.by {
            ValueChainBy::NpsGroup => (
                ["promoter", "passive", "detractor"],
                Box::new(|r| match self.rows.nps[r] {
                    NPS_NONE => None,
                    9.. => Some(0),
                    7..=8 => Some(1),
                    _ => Some(2),
                }),
            ),
            ValueChainBy::CsatGroup => (
                ["top", "middle", "bottom"],
                Box::new(|r| match self.rows.csat[r] {
                    SCORE_NONE => None,
                    4.. => Some(0),
                    3 => Some(1),
                    _ => Some(2),
                }),
            ),
            ValueChainBy::Sentiment => (
                ["positive", "neutral", "negative"],
                Box::new(|r| {
                    let code = usize::from(self.rows.sentiment[r] & 3);
                    let label = code.checked_sub(1).and_then(|i| SENTIMENTS.get(i))?;
                    Some(match label {
                        dosvid_text::Label::Positive => 0,
                        dosvid_text::Label::Neutral => 1,
                        dosvid_text::Label::Negative => 2,
                    })
                }),
            ),
        };
        // Each customer's latest answer in the period.
        let mut latest: Vec<Option<(i64, usize)>> = vec![None; self.customers.len()];
        plan.current.for_each_row(self, |r| {
            let customer = self.rows.customer[r];
            if customer == NO_CUSTOMER {
                return;
            }
            let Some(group) = group_of(r) else { return };
            let at = self.rows.second[r];
            let slot = &mut latest[customer as usize];
            if slot.is_none_or(|(t, _)| at >= t) {
                *slot = Some((at, group));
            }
        });
        let currency_code = self.main_currency();
        let currency = currency_code.and_then(|c| self.currencies.key(c).cloned());
        let end = [&self.rows, &self.interactions]
            .iter()
            .filter_map(|c| c.span())
            .map(|(_, last)| last)
            .chain(self.transactions.iter().map(|t| t.second))
            .max()
            .unwrap_or(i64::MIN);
        // The customers followed, each from their answer on; the others are `None`.
        let mut too_recent = 0;
        let followed: Vec<Option<i64>> = latest
            .iter()
            .map(|answer| {
                let (at, _) = (*answer)?;
                if at + h > end {
                    too_recent += 1;
                    return None;
                }
                Some(at)
            })
            .collect();
        // What each followed customer did: one pass over the transactions and one over the
        // interactions, in whatever order they are held.
        #[derive(Default, Clone, Copy)]
        struct After {
            bought: bool,
            revenue: i64,
            revenue_before: i64,
        }
        let mut after = vec![After::default(); followed.len()];
        for t in &self.transactions {
            if t.customer == NO_CUSTOMER || Some(t.currency) != currency_code {
                continue;
            }
            let slot = t.customer as usize;
            let Some(at) = followed[slot] else { continue };
            let refund = t.kind == TransactionKind::Refund;
            let amount = if refund {
                -t.amount_minor.abs()
            } else {
                t.amount_minor
            };
            let a = &mut after[slot];
            if t.second > at && t.second <= at + h {
                a.bought |= !refund;
                a.revenue += amount;
            } else if t.second > at - h && t.second <= at {
                a.revenue_before += amount;
            }
        }
        // Contacts: each range of customers counted by its own thread, on 8 bytes a customer
        // (the answer as seconds after the earliest one, and the count) so that what a thread
        // touches at random stays in its share of the cache.
        const NOT_FOLLOWED: u32 = u32::MAX;
        let base = followed.iter().flatten().min().copied().unwrap_or(0);
        let contacts: Vec<u32> = self
            .by_customer_range(|slots| {
                let mut state: Vec<(u32, u32)> = followed[slots.clone()]
                    .iter()
                    .map(|at| {
                        let since = at.map(|at| u32::try_from(at - base).unwrap_or(NOT_FOLLOWED));
                        (since.unwrap_or(NOT_FOLLOWED), 0)
                    })
                    .collect();
                let columns = &self.interactions;
                for (&customer, &second) in columns.customer.iter().zip(&columns.second) {
                    let slot = customer as usize;
                    if !slots.contains(&slot) {
                        continue;
                    }
                    let (answered, count) = &mut state[slot - slots.start];
                    let after = second - base - i64::from(*answered);
                    if *answered != NOT_FOLLOWED && after > 0 && after <= h {
                        *count += 1;
                    }
                }
                state
                    .into_iter()
                    .map(|(_, count)| count)
                    .collect::<Vec<u32>>()
            })
            .concat();
        #[derive(Default, Clone)]
        struct Tally {
            customers: u64,
            churned: u64,
            expanded: u64,
            revenue: Moments,
            contacts: Moments,
        }
        let mut tallies = vec![Tally::default(); 3];
        for (slot, answer) in latest.iter().enumerate() {
            let (Some((_, group)), Some(_)) = (*answer, followed[slot]) else {
                continue;
            };
            let a = after[slot];
            let tally = &mut tallies[group];
            tally.customers += 1;
            tally.churned += u64::from(!a.bought);
            tally.expanded += u64::from(a.revenue > a.revenue_before);
            tally.revenue.add(a.revenue as f64);
            tally.contacts.add(f64::from(contacts[slot]));
        }
        let first = tallies[0].clone();
        let groups: Vec<ValueChainGroup> = tallies
            .iter()
            .enumerate()
            .map(|(g, t)| ValueChainGroup {
                group: names[g].to_owned(),
                customers: t.customers,
                churn: percent(t.churned, t.customers, min_sample),
                retention: percent(t.customers - t.churned, t.customers, min_sample),
                revenue_per_customer: t.revenue.mean(min_sample),
                expansion: percent(t.expanded, t.customers, min_sample),
                contacts: t.contacts.mean(min_sample),
                churn_vs_first: (g > 0)
                    .then(|| {
                        proportion_change(
                            (first.churned, first.customers),
                            (t.churned, t.customers),
                        )
                    })
                    .flatten(),
                revenue_vs_first: (g > 0)
                    .then(|| mean_change(&first.revenue, &t.revenue))
                    .flatten(),
            })
            .collect();
        let nps_point = (request.by == ValueChainBy::NpsGroup)
            .then(|| {
                let promoter = tallies[0].revenue.mean_value()?;
                let detractor = tallies[2].revenue.mean_value()?;
                let customers: u64 = tallies.iter().map(|t| t.customers).sum();
                Some(NpsPointValue {
                    revenue_minor: (promoter - detractor) * customers as f64 / 200.0,
                    assumptions: format!(
                        "One point of NPS is one customer in 200 moving from detractor to promoter; \
                         each such customer is assumed to bring the promoters' mean revenue instead of \
                         the detractors' over the {horizon} days that follow (the groups' difference is \
                         observed, not proven causal), among the {customers} customers followed."
                    ),
                })
            })
            .flatten();
        Ok(ValueChainResult {
            by: request.by,
            period: plan.period.clone(),
            horizon_days: horizon,
            currency,
            too_recent,
            groups,
            nps_point,
        })
    }
}
