//! Moments of truth from data (SPEC §2): the touchpoints where how the experience went best
//! predicts whether the customer stays. For each touchpoint, the records answered there with an
//! NPS are split into detractors (0–6) and the rest, and each group's churn — no purchase within
//! `horizon_days` after the answer — is compared: where a bad experience is followed by much
//! more churn than a good one, the touchpoint is a moment of truth, whatever it was marked by
//! hand. Differences are tested per touchpoint, with Benjamini–Hochberg over all of them, and a
//! touchpoint is suggested when its difference is significant and material: at least
//! [`MATERIAL_POINTS`] percentage points (a few points' difference is true of any contact and
//! says nothing about where to invest).

use dosvid_domain::FieldError;
use dosvid_metrics::regression::benjamini_hochberg;
use dosvid_metrics::{Estimate, percent, proportion_change};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cx::{LAPSED, RETAINED};
use crate::index::{Index, NPS_NONE};
use crate::query::{Filters, Measure, Period, QueryRequest};

/// The churn difference, in percentage points, below which a touchpoint is not suggested.
pub const MATERIAL_POINTS: f64 = 10.0;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MomentsRequest {
    #[serde(default)]
    pub filters: Filters,
    /// Days after an answer in which a purchase keeps the customer (default 90).
    pub horizon_days: Option<u32>,
    pub min_sample: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MomentsResult {
    pub period: Period,
    pub horizon_days: u32,
    /// Sorted by how much more detractors churn there, largest first.
    pub touchpoints: Vec<Moment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Moment {
    pub touchpoint: String,
    pub name: String,
    /// Marked as a moment of truth in the journey.
    pub marked: bool,
    /// Suggested by the data: detractors churn significantly and materially more after
    /// answering here.
    pub suggested: bool,
    pub churn_detractors: Estimate,
    pub churn_others: Estimate,
    /// Percentage points.
    pub difference: f64,
    pub p_value: f64,
}

impl Index {
    pub fn moments_of_truth(&self, request: &MomentsRequest) -> Result<MomentsResult, FieldError> {
        let horizon = request.horizon_days.unwrap_or(90);
        if !(1..=3650).contains(&horizon) {
            return Err(FieldError::new("horizon_days", "must be 1 to 3650"));
        }
        let min_sample = request.min_sample.unwrap_or(30);
        let plan = self.plan(&QueryRequest {
            measures: vec![Measure::N],
            filters: request.filters.clone(),
            ..Default::default()
        })?;
        let churn = self.active_after(i64::from(horizon));
        // Per touchpoint code: (detractors churned, detractors), (others churned, others).
        let mut tally = vec![[(0u64, 0u64); 2]; self.touchpoints.cardinality()];
        plan.current.for_each_row(self, |r| {
            let nps = self.rows.nps[r];
            let lapsed = match churn[r] {
                LAPSED => 1,
                RETAINED => 0,
                _ => return,
            };
            if nps == NPS_NONE {
                return;
            }
            let t = &mut tally[usize::from(self.rows.touchpoint[r])][usize::from(nps > 6)];
            t.0 += lapsed;
            t.1 += 1;
        });
        let mut moments = Vec::new();
        for (code, [detractors, others]) in tally.iter().enumerate().skip(1) {
            let Some(touchpoint) = self
                .touchpoints
                .key(code as u16)
                .and_then(|id| self.directory.touchpoint(*id))
            else {
                continue;
            };
            if detractors.1 < min_sample || others.1 < min_sample {
                continue;
            }
            let Some(change) = proportion_change(*others, *detractors) else {
                continue;
            };
            moments.push(Moment {
                touchpoint: touchpoint.key.clone(),
                name: touchpoint.name.clone(),
                marked: touchpoint.moment_of_truth,
                suggested: false,
                churn_detractors: percent(detractors.0, detractors.1, min_sample),
                churn_others: percent(others.0, others.1, min_sample),
                difference: change.difference,
                p_value: change.p_value,
            });
        }
        let found =
            benjamini_hochberg(&moments.iter().map(|m| m.p_value).collect::<Vec<_>>(), 0.05);
        for (m, significant) in moments.iter_mut().zip(found) {
            m.suggested = significant && m.difference >= MATERIAL_POINTS;
        }
        moments.sort_by(|a, b| b.difference.total_cmp(&a.difference));
        Ok(MomentsResult {
            period: plan.period.clone(),
            horizon_days: horizon,
            touchpoints: moments,
        })
    }
}
