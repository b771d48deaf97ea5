//! The organisation: whose data it is, and the time zone its days, weeks and months are counted in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{FieldError, OrgId, error::short_text};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    /// IANA time zone (e.g. `Europe/Kyiv`); dashboards bucket time by it.
    pub time_zone: String,
    /// A customer is invited to at most one survey in this many days (the fatigue rule).
    pub survey_fatigue_days: u32,
    /// Audit entries older than this many days are dropped.
    pub audit_retention_days: u32,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    /// 0–3650 days.
    pub survey_fatigue_days: Option<u32>,
    /// 30–3650 days.
    pub audit_retention_days: Option<u32>,
}

impl OrganisationPatch {
    pub fn validate(self) -> Result<Self, FieldError> {
        Ok(OrganisationPatch {
            name: match self.name {
                Some(name) => Some(
                    short_text("name", Some(&name))?
                        .ok_or_else(|| FieldError::new("name", "must not be empty"))?,
                ),
                None => None,
            },
            time_zone: self
                .time_zone
                .map(|tz| time_zone("time_zone", &tz).map(|_| tz.trim().to_owned()))
                .transpose()?,
            survey_fatigue_days: match self.survey_fatigue_days {
                Some(days) if days > 3_650 => {
                    return Err(FieldError::new(
                        "survey_fatigue_days",
                        "must be at most 3650 days",
                    ));
                }
                days => days,
            },
            audit_retention_days: match self.audit_retention_days {
                Some(days) if !(30..=3_650).contains(&days) => {
                    return Err(FieldError::new(
                        "audit_retention_days",
                        "must be 30 to 3650 days",
                    ));
                }
                days => days,
            },
        })
    }
}

/// Reads an IANA time zone name from the bundled time zone database.
pub fn time_zone(field: &str, raw: &str) -> Result<jiff::tz::TimeZone, FieldError> {
    jiff::tz::TimeZone::get(raw.trim()).map_err(|_| {
        FieldError::new(
            field,
            format!(
                "unknown time zone {:?}; use an IANA name such as Europe/Kyiv or UTC",
                raw.trim()
            ),
        )
    })
}
