//! Alert rules (SPEC §3 item 8) of two kinds. On single records: conditions a feedback record
//! is checked against as it arrives — its scores, source, severity, sentiment, emotions and
//! themes, its touchpoint (with everything below it), channel and its customer's attributes —
//! and the case a match opens; the caller gathers what a record is into a [`RecordView`]. On
//! aggregates ([`Watch`]): a metric over the last N days against the M days before, with a
//! significance test, or against its target, evaluated on a schedule; [`Watch::judge`] decides
//! from the two windows' estimates. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::case::Priority;
use crate::error::{self, FieldError};

/// What a rule asks of a record; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_at_most: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_at_least: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_at_most: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ces_at_most: Option<i64>,
    /// survey, review, complaint, social, other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
    /// A record attribute `severity` among these (complaints carry one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<String>,
    /// negative, neutral, positive (of the comment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentiment: Vec<String>,
    /// Any of these emotions shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emotion: Vec<String>,
    /// Any of these themes mentioned (a theme includes its sub-themes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub theme: Vec<String>,
    /// The record's touchpoint is one of these or below one of them (keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touchpoint: Vec<String>,
    /// Channel keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel: Vec<String>,
    /// The customer's attributes: `segment`, `region`, `plan`, `language` or `attr.NAME`, each
    /// with the values that match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub customer: BTreeMap<String, Vec<String>>,
}

/// The case a rule opens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseAction {
    #[serde(default)]
    pub priority: Priority,
    /// The team; default: the owner department of the record's touchpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// A survey (its key) the customer is invited to when the case is resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_survey: Option<String>,
}

/// What an aggregate rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WatchMetric {
    /// NPS, −100…100; a drop is the problem.
    Nps,
    /// CSAT top-two-box, % answering 4–5; a drop is the problem.
    Csat,
    /// CES, % answering 5–7 (easy); a drop is the problem.
    Ces,
    /// The share of comments mentioning `theme`, %; a rise is the problem.
    ThemeShare,
}

impl WatchMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchMetric::Nps => "nps",
            WatchMetric::Csat => "csat",
            WatchMetric::Ces => "ces",
            WatchMetric::ThemeShare => "theme_share",
        }
    }

    /// Whether a fall (not a rise) of the metric is bad news.
    pub fn falling_is_bad(self) -> bool {
        self != WatchMetric::ThemeShare
    }
}

/// A rule on aggregates, evaluated on a schedule: the metric over the last `recent_days`
/// against the `baseline_days` before them, fired when the change is significant in the bad
/// direction (p below `alpha`, divided among the scopes tested) and at least `min_change`
/// points; or, with a `target`, when the recent value's 95% interval lies wholly on the wrong
/// side of it. One alert per rule, scope and problem: while the scope keeps firing it is the same
/// problem, until it has been quiet for `cooldown_days` ([`Watch::same_problem`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    pub metric: WatchMetric,
    /// Records at these touchpoints or below them (keys); none: every touchpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touchpoint: Vec<String>,
    /// Channel keys; none: every channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel: Vec<String>,
    /// The theme of `theme_share` (with its sub-themes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// Test each touchpoint on its own (the significance level is shared among them).
    #[serde(default)]
    pub each_touchpoint: bool,
    #[serde(default = "recent_days")]
    pub recent_days: u32,
    #[serde(default = "baseline_days")]
    pub baseline_days: u32,
    /// Compare with this value instead of the baseline (NPS points, or %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    #[serde(default = "alpha")]
    pub alpha: f64,
    /// Answers needed in each window before anything is concluded.
    #[serde(default = "min_sample")]
    pub min_sample: u64,
    /// The smallest change worth an alert, in points.
    #[serde(default)]
    pub min_change: f64,
    /// Days without firing that end a problem: a scope that fires again sooner is the same
    /// problem and raises no new alert. Default: `recent_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_days: Option<u32>,
}

fn recent_days() -> u32 {
    7
}
fn baseline_days() -> u32 {
    28
}
fn alpha() -> f64 {
    0.01
}
fn min_sample() -> u64 {
    30
}

/// One window's estimate of the watched metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct WindowValue {
    pub value: Option<f64>,
    pub n: u64,
    /// The 95% interval.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// What an evaluation of one scope found.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Verdict {
    /// `all`, or `touchpoint:KEY` when each touchpoint is tested.
    pub scope: String,
    pub recent: WindowValue,
    pub baseline: Option<WindowValue>,
    /// recent − baseline, points.
    pub difference: Option<f64>,
    pub p_value: Option<f64>,
    /// The level the p-value was held to (`alpha` shared among the scopes).
    pub level: f64,
    pub fired: bool,
    /// Why it fired, or why not.
    pub reason: String,
}

impl Watch {
    pub fn validate(self) -> Result<Watch, FieldError> {
        let bad = |field: &str, why: &str| Err(FieldError::new(format!("watch.{field}"), why));
        if !(1..=366).contains(&self.recent_days) {
            return bad("recent_days", "must be from 1 to 366");
        }
        if !(1..=3660).contains(&self.baseline_days) {
            return bad("baseline_days", "must be from 1 to 3660");
        }
        if !(self.alpha > 0.0 && self.alpha <= 0.2) {
            return bad("alpha", "must be above 0 and at most 0.2");
        }
        if !(self.min_change >= 0.0 && self.min_change.is_finite()) {
            return bad("min_change", "must be 0 or more");
        }
        if self.target.is_some_and(|t| !t.is_finite()) {
            return bad("target", "must be a number");
        }
        match (self.metric, &self.theme) {
            (WatchMetric::ThemeShare, None) => return bad("theme", "theme_share needs a theme"),
            (WatchMetric::ThemeShare, Some(_)) if self.target.is_some() => {
                return bad("target", "theme_share compares periods; it has no target");
            }
            (m, Some(_)) if m != WatchMetric::ThemeShare => {
                return bad("theme", "only theme_share watches a theme");
            }
            _ => {}
        }
        if self.cooldown_days.is_some_and(|d| d > 3660) {
            return bad("cooldown_days", "must be at most 3660");
        }
        Ok(self)
    }

    /// Days without firing that end a problem.
    pub fn cooldown(&self) -> u32 {
        self.cooldown_days.unwrap_or(self.recent_days)
    }

    /// Whether a scope firing now is still the problem of its latest alert: it fired for it
    /// `days_since` days ago (the end of the last window that fired), fewer than the cool-down.
    /// A problem that persists keeps firing day after day and stays one alert; one that went
    /// quiet for the cool-down and comes back is news.
    pub fn same_problem(&self, days_since: i64) -> bool {
        days_since < i64::from(self.cooldown())
    }

    /// Decides one scope from its windows. `scopes` is how many were tested together: the
    /// significance level is shared among them (Bonferroni), so testing thirty touchpoints does
    /// not raise thirty times as many false alarms.
    pub fn judge(
        &self,
        scope: String,
        scopes: usize,
        recent: WindowValue,
        baseline: Option<WindowValue>,
        change: Option<(f64, f64)>,
    ) -> Verdict {
        let level = self.alpha / scopes.max(1) as f64;
        let mut verdict = Verdict {
            scope,
            recent,
            baseline,
            difference: change.map(|c| c.0),
            p_value: change.map(|c| c.1),
            level,
            fired: false,
            reason: String::new(),
        };
        let falling = self.metric.falling_is_bad();
        if recent.n < self.min_sample {
            verdict.reason = format!(
                "{} answers in the recent window, fewer than {}",
                recent.n, self.min_sample
            );
            return verdict;
        }
        if let Some(target) = self.target {
            let (Some(value), Some(low), Some(high)) = (recent.value, recent.low, recent.high)
            else {
                verdict.reason = "no value".into();
                return verdict;
            };
            let off = if falling { high < target } else { low > target };
            verdict.difference = Some(value - target);
            verdict.fired = off;
            verdict.reason = if off {
                format!("{value:.1} is off its target {target} (95% interval {low:.1}…{high:.1})")
            } else {
                format!("{value:.1} is not clearly off its target {target}")
            };
            return verdict;
        }
        let Some(base) = baseline.filter(|b| b.n >= self.min_sample) else {
            verdict.reason = format!(
                "fewer than {} answers in the baseline window",
                self.min_sample
            );
            return verdict;
        };
        let Some((difference, p)) = change else {
            verdict.reason = "no change could be computed".into();
            return verdict;
        };
        let worse = if falling { -difference } else { difference };
        verdict.fired = worse > 0.0 && worse >= self.min_change && p < level;
        verdict.reason = format!(
            "{:.1} against {:.1}: {difference:+.1} points, p = {p:.4} (level {level:.4})",
            recent.value.unwrap_or(f64::NAN),
            base.value.unwrap_or(f64::NAN),
        );
        verdict
    }
}

/// A rule as written: the body of `POST /api/v1/alert-rules`. A record rule has `when`; an
/// aggregate rule has `watch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDefinition {
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub when: Conditions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<Watch>,
    #[serde(default)]
    pub open_case: CaseAction,
}

fn enabled() -> bool {
    true
}

impl RuleDefinition {
    pub fn validate(mut self) -> Result<RuleDefinition, FieldError> {
        self.name = error::required_text("name", Some(&self.name))?;
        let w = &self.when;
        for (field, value, range) in [
            ("when.nps_at_most", w.nps_at_most, 0..=10),
            ("when.nps_at_least", w.nps_at_least, 0..=10),
            ("when.csat_at_most", w.csat_at_most, 1..=5),
            ("when.ces_at_most", w.ces_at_most, 1..=7),
        ] {
            if value.is_some_and(|v| !range.contains(&v)) {
                return Err(FieldError::new(
                    field,
                    format!("must be from {} to {}", range.start(), range.end()),
                ));
            }
        }
        let one_of = |field: &str, values: &[String], allowed: &[&str]| {
            for v in values {
                if !allowed.contains(&v.as_str()) {
                    return Err(FieldError::new(
                        field,
                        format!("{v:?} is not one of: {}", allowed.join(", ")),
                    ));
                }
            }
            Ok(())
        };
        one_of(
            "when.source",
            &w.source,
            &["survey", "review", "complaint", "social", "other"],
        )?;
        one_of(
            "when.sentiment",
            &w.sentiment,
            &["negative", "neutral", "positive"],
        )?;
        one_of("when.emotion", &w.emotion, &dosvid_text::EMOTIONS)?;
        for name in w.customer.keys() {
            let known = ["segment", "region", "plan", "language"].contains(&name.as_str())
                || name.starts_with("attr.");
            if !known {
                return Err(FieldError::new(
                    format!("when.customer.{name}"),
                    "must be segment, region, plan, language or attr.NAME",
                ));
            }
        }
        match (w.is_empty(), self.watch.take()) {
            (true, None) => {
                return Err(FieldError::new(
                    "when",
                    "give at least one condition (or `watch` for a rule on aggregates); a rule on every record would open a case for each",
                ));
            }
            (false, Some(_)) => {
                return Err(FieldError::new(
                    "when",
                    "a rule has either `when` (records) or `watch` (aggregates), not both",
                ));
            }
            (_, watch) => self.watch = watch.map(Watch::validate).transpose()?,
        }
        self.open_case.team = error::short_text("open_case.team", self.open_case.team.as_deref())?;
        Ok(self)
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rule {
    pub id: i64,
    #[serde(flatten)]
    pub definition: RuleDefinition,
    pub created_at: DateTime<Utc>,
}

/// An alert an aggregate rule fired: one per rule, scope and problem.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    /// None once the rule is deleted.
    pub rule_id: Option<i64>,
    pub scope: String,
    pub fired_at: DateTime<Utc>,
    /// The recent window: from (inclusive) and to (exclusive).
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
    /// The end of the latest window that fired for this problem (it is still on while later
    /// evaluations fire).
    pub last_firing: DateTime<Utc>,
    pub message: String,
    /// The evaluation that fired it.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The case it opened.
    pub case_id: Option<i64>,
}

/// What a rule looks at in one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordView {
    pub nps: Option<i64>,
    pub csat: Option<i64>,
    pub ces: Option<i64>,
    pub source: String,
    pub severity: Option<String>,
    /// negative, neutral or positive; none without a readable comment.
    pub sentiment: Option<String>,
    pub emotions: Vec<String>,
    pub themes: Vec<String>,
    /// The record's touchpoint key and those of all above it.
    pub touchpoints: Vec<String>,
    pub channel: Option<String>,
    /// The customer's attributes by the names conditions use.
    pub customer: BTreeMap<String, String>,
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }

    pub fn matches(&self, r: &RecordView) -> bool {
        self.matches_record(r) && self.matches_customer(&r.customer)
    }

    /// Every condition but those on the customer: what can be checked before the customer is
    /// read, which callers then do only for the records that got this far.
    pub fn matches_record(&self, r: &RecordView) -> bool {
        let score = |value: Option<i64>, test: &dyn Fn(i64) -> bool| value.is_some_and(test);
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        let is = |wanted: &[String], have: Option<&String>| {
            wanted.is_empty() || have.is_some_and(|h| wanted.contains(h))
        };
        // A theme condition on `time` matches `time.queue`.
        let themes_match = self.theme.is_empty()
            || self.theme.iter().any(|t| {
                r.themes
                    .iter()
                    .any(|have| have == t || have.starts_with(&format!("{t}.")))
            });
        self.nps_at_most
            .is_none_or(|max| score(r.nps, &|v| v <= max))
            && self
                .nps_at_least
                .is_none_or(|min| score(r.nps, &|v| v >= min))
            && self
                .csat_at_most
                .is_none_or(|max| score(r.csat, &|v| v <= max))
            && self
                .ces_at_most
                .is_none_or(|max| score(r.ces, &|v| v <= max))
            && is(&self.source, Some(&r.source))
            && is(&self.severity, r.severity.as_ref())
            && is(&self.sentiment, r.sentiment.as_ref())
            && any(&self.emotion, &r.emotions)
            && themes_match
            && any(&self.touchpoint, &r.touchpoints)
            && is(&self.channel, r.channel.as_ref())
    }

    /// The conditions on the customer's attributes.
    pub fn matches_customer(&self, customer: &BTreeMap<String, String>) -> bool {
        self.customer.iter().all(|(name, values)| {
            values.is_empty() || customer.get(name).is_some_and(|have| values.contains(have))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: serde_json::Value) -> Result<RuleDefinition, FieldError> {
        crate::error::from_json::<RuleDefinition>(&json.to_string())?.validate()
    }

    #[test]
    fn a_premium_detractor_at_the_contact_centre_matches() {
        let premium_detractor = rule(serde_json::json!({
            "name": "Premium detractor", "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]},
            "touchpoint": ["contact-centre"]}, "open_case": {"priority": "high"}}))
        .unwrap();
        let mut record = RecordView {
            nps: Some(3),
            source: "survey".into(),
            touchpoints: vec!["contact-centre.queue".into(), "contact-centre".into()],
            ..Default::default()
        };
        record.customer.insert("segment".into(), "premium".into());
        assert!(premium_detractor.when.matches(&record));
        record.nps = Some(7);
        assert!(!premium_detractor.when.matches(&record));
        record.nps = None;
        assert!(
            !premium_detractor.when.matches(&record),
            "no score, no match"
        );
        record.nps = Some(0);
        record.customer.insert("segment".into(), "mass".into());
        assert!(!premium_detractor.when.matches(&record));
    }

    #[test]
    fn themes_include_their_sub_themes_and_errors_name_the_field() {
        let security = rule(serde_json::json!({"name": "Security complaint",
            "when": {"source": ["complaint"], "theme": ["security"]}}))
        .unwrap();
        let record = RecordView {
            source: "complaint".into(),
            themes: vec!["security.access".into()],
            ..Default::default()
        };
        assert!(security.when.matches(&record));
        let field = |json| rule(json).unwrap_err().field;
        assert_eq!(field(serde_json::json!({"name": "x", "when": {}})), "when");
        assert_eq!(
            field(serde_json::json!({"name": "x", "when": {"nps_at_most": 11}})),
            "when.nps_at_most"
        );
        assert_eq!(
            field(serde_json::json!({"name": "x", "when": {"customer": {"shoe_size": ["42"]}}})),
            "when.customer.shoe_size"
        );
    }
}
