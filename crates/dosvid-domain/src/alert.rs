//! Alert rules on single records (SPEC §3 item 8): conditions a feedback record is checked
//! against as it arrives — its scores, source, severity, sentiment, emotions and themes, its
//! touchpoint (with everything below it), channel and its customer's attributes — and the case a
//! match opens. Evaluation is pure: the caller gathers what a record is into a [`RecordView`].

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

/// A rule as written: the body of `POST /api/v1/alert-rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDefinition {
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub when: Conditions,
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
        if *w == Conditions::default() {
            return Err(FieldError::new(
                "when",
                "give at least one condition; a rule on every record would open a case for each",
            ));
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
    pub fn matches(&self, r: &RecordView) -> bool {
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
            && self
                .customer
                .iter()
                .all(|(name, values)| is(values, r.customer.get(name)))
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
