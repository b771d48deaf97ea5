//! What customers talk about and what it costs: for every theme of the taxonomy, how many
//! readable comments mention it, their share, their mean sentiment, and the NPS of those who
//! mention it against those who do not — the theme's impact, with its significance. A theme's
//! rows include its sub-themes'.

use dosvid_domain::FieldError;
use dosvid_metrics::{Change, Estimate, nps_change, percent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use dosvid_text::Label;

use crate::index::Index;
use crate::query::{Filters, Measure, OneOrMany, Period, QueryRequest, Scores};
use crate::scan::Histograms;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeReportRequest {
    /// The records considered (as in `POST /api/v1/query`); only readable comments count.
    #[serde(default)]
    pub filters: Filters,
    /// Below this many answers a value is flagged `low_sample` (default 30).
    pub min_sample: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ThemeReport {
    pub period: Period,
    pub min_sample: u64,
    /// Readable comments in the slice: the base of every share.
    pub comments: u64,
    /// Every theme of the taxonomy, in its order, mentioned or not.
    pub themes: Vec<ThemeRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ThemeRow {
    pub theme: String,
    /// Comments mentioning the theme (or one of its sub-themes).
    pub n: u64,
    /// Their share of the readable comments, in percent.
    pub share: Estimate,
    /// Mean sentiment of those comments, −1…1.
    pub sentiment: Estimate,
    /// NPS of the records mentioning the theme.
    pub nps: Estimate,
    /// NPS of the records with a readable comment that does not mention it.
    pub nps_without: Estimate,
    /// `nps − nps_without`, with its significance: what the theme does to loyalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Change>,
}

impl Index {
    pub fn theme_report(&self, request: &ThemeReportRequest) -> Result<ThemeReport, FieldError> {
        let mut filters = request.filters.clone();
        if filters.has_comment == Some(false) {
            return Err(FieldError::new(
                "filters.has_comment",
                "themes come from comments; leave it out or set it to true",
            ));
        }
        // Readable comments are the ones with a sentiment (garbage has none).
        if filters.sentiment.clone().into_vec().is_empty() {
            filters.sentiment =
                OneOrMany::Many(vec![Label::Negative, Label::Neutral, Label::Positive]);
        }
        let query = QueryRequest {
            measures: vec![Measure::N, Measure::Nps, Measure::Sentiment],
            filters,
            group_by: vec!["theme".into()],
            min_sample: request.min_sample,
            ..QueryRequest::default()
        };
        let plan = self.plan(&query)?;
        let by_theme = plan.current.run(self);
        let mut whole = plan.current.clone();
        whole.keys.clear();
        let all = whole.run(self).groups.remove(0);
        let min = plan.min_sample;
        let comments = all.n();
        let themes = self
            .directory
            .themes
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let with: &Histograms = &by_theme.groups[i + 1];
                let without = Scores::of(&all.minus(with));
                let scores = Scores::of(with);
                let (nps, nps_without) = (scores.nps.nps(min), without.nps.nps(min));
                // An impact resting on too few answers is never called significant.
                let few = nps.low_sample || nps_without.low_sample;
                let impact = nps_change(&without.nps, &scores.nps).map(|mut c| {
                    c.significant &= !few;
                    c
                });
                ThemeRow {
                    theme: key.clone(),
                    n: with.n(),
                    share: percent(with.n(), comments, min),
                    sentiment: scores.sentiment.mean(min),
                    nps,
                    nps_without,
                    impact,
                }
            })
            .collect();
        Ok(ThemeReport {
            period: plan.period.clone(),
            min_sample: min,
            comments,
            themes,
        })
    }
}
