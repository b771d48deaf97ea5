//! Organisation units (SPEC §3.10): a tree — company → region → branch, or departments — to
//! which people and API keys belong, each seeing only the records its rules admit.
//!
//! A rule is written as the filters of `/query` without a period (`{"department": "Branches"}`,
//! `{"customer": {"region": "Lviv"}}`); a record is the unit's when any rule of the unit or of a
//! unit below it admits it. The server resolves the rules against the journey and the index.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Attributes;
use crate::error::{self, FieldError};

/// Most rules one unit holds.
pub const MAX_RULES: usize = 50;
/// Deepest a tree of units may grow.
pub const MAX_DEPTH: usize = 8;

/// The filter fields a rule may use: where the record happened, who served the customer, who
/// the customer is, what was said and how — never when (a unit sees its records of every period).
pub const RULE_FIELDS: [&str; 12] = [
    "stage",
    "touchpoint",
    "department",
    "channel",
    "agent",
    "team",
    "customer",
    "source",
    "language",
    "sentiment",
    "theme",
    "emotion",
];

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Unit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Which records the unit sees: each rule the filters of `/query` without a period; a
    /// record admitted by any rule of the unit or of a unit below it is the unit's.
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Attributes>,
    pub created_at: DateTime<Utc>,
}

/// A unit as created or replaced through the API.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub name: Option<String>,
    /// The unit above (none: directly under the organisation).
    pub parent_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Attributes>,
}

impl UnitInput {
    /// Checks the name and the shape of each rule: known fields only, no period, at least one
    /// condition.
    pub fn validate(self) -> Result<UnitInput, FieldError> {
        let name = error::required_text("name", self.name.as_deref())?;
        if self.rules.len() > MAX_RULES {
            return Err(FieldError::new(
                "rules",
                format!("at most {MAX_RULES} rules"),
            ));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.is_empty() {
                return Err(FieldError::new(
                    format!("rules[{i}]"),
                    "needs at least one condition (a rule admitting everything is no rule: leave the person outside any unit instead)",
                ));
            }
            if let Some(field) = rule.keys().find(|k| !RULE_FIELDS.contains(&k.as_str())) {
                let why = if matches!(field.as_str(), "from" | "to") {
                    "a unit sees its records of every period; a rule has no period".to_owned()
                } else {
                    format!("unknown; a rule uses {}", RULE_FIELDS.join(", "))
                };
                return Err(FieldError::new(format!("rules[{i}].{field}"), why));
            }
        }
        Ok(UnitInput {
            name: Some(name),
            ..self
        })
    }
}

/// The ids of `root` and every unit below it.
pub fn subtree(units: &[Unit], root: i64) -> Vec<i64> {
    let mut ids = vec![root];
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i];
        ids.extend(
            units
                .iter()
                .filter(|u| u.parent_id == Some(parent))
                .map(|u| u.id),
        );
        i += 1;
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Attributes {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_rule_has_conditions_of_known_fields_and_no_period() {
        let input = |rules| UnitInput {
            name: Some("Lviv".into()),
            parent_id: None,
            rules,
        };
        assert!(
            input(vec![rule(r#"{"customer": {"region": "Lviv"}}"#)])
                .validate()
                .is_ok()
        );
        let e = input(vec![rule("{}")]).validate().unwrap_err();
        assert_eq!(e.field, "rules[0]");
        let e = input(vec![
            rule(r#"{"department": "x"}"#),
            rule(r#"{"from": "2025-01-01"}"#),
        ])
        .validate()
        .unwrap_err();
        assert_eq!(e.field, "rules[1].from");
        assert!(e.message.contains("every period"));
        let e = UnitInput::default().validate().unwrap_err();
        assert_eq!(e.field, "name");
    }

    #[test]
    fn a_subtree_holds_the_unit_and_all_below_it() {
        let unit = |id, parent_id| Unit {
            id,
            parent_id,
            name: String::new(),
            rules: Vec::new(),
            created_at: Utc::now(),
        };
        let units = [
            unit(1, None),
            unit(2, Some(1)),
            unit(3, Some(2)),
            unit(4, None),
        ];
        assert_eq!(subtree(&units, 1), vec![1, 2, 3]);
        assert_eq!(subtree(&units, 4), vec![4]);
    }
}
