//! Cases (SPEC §3 item 8, "close the loop"): a problem a customer had, owned by a team and a
//! person until it is resolved, with a due time from its priority, a log of notes and contacts
//! with the customer, and root-cause and resolution codes. MTTR and FCR are measured from them.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    New,
    InProgress,
    WaitingForCustomer,
    Resolved,
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 5] = [
        CaseStatus::New,
        CaseStatus::InProgress,
        CaseStatus::WaitingForCustomer,
        CaseStatus::Resolved,
        CaseStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::WaitingForCustomer => "waiting_for_customer",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the case still waits for the company (its SLA clock runs).
    pub fn open(self) -> bool {
        !matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }

    /// The moves a case may make: forward through the work, a resolved case reopened, a closed
    /// case left alone.
    pub fn can_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        match self {
            Closed => false,
            Resolved => matches!(next, Closed | InProgress),
            _ => next != New && next != self,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(raw: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// How long a case of this priority may take to resolve.
    pub fn sla(self) -> Duration {
        Duration::hours(match self {
            Priority::Low => 120,
            Priority::Normal => 48,
            Priority::High => 24,
            Priority::Urgent => 4,
        })
    }
}

/// A case as opened by a person or a rule.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub title: String,
    pub description: Option<String>,
    #[serde(default)]
    pub priority: Priority,
    /// The team (department) that owns it; default: the touchpoint's owner department.
    pub team: Option<String>,
    /// The person working it.
    pub owner: Option<String>,
    pub customer_id: Option<i64>,
    /// The touchpoint the problem happened at (its key).
    pub touchpoint: Option<String>,
    /// The feedback record the case answers.
    pub feedback_id: Option<i64>,
    /// A survey (its key) to invite the customer to when the case is resolved.
    pub follow_up_survey: Option<String>,
}

impl NewCase {
    pub fn validate(self) -> Result<NewCase, FieldError> {
        Ok(NewCase {
            title: error::required_text("title", Some(&self.title))?,
            description: long_text("description", self.description)?,
            priority: self.priority,
            team: error::short_text("team", self.team.as_deref())?,
            owner: error::short_text("owner", self.owner.as_deref())?,
            customer_id: self.customer_id,
            touchpoint: self
                .touchpoint
                .as_deref()
                .map(|k| error::key("touchpoint", k))
                .transpose()?,
            feedback_id: self.feedback_id,
            follow_up_survey: self
                .follow_up_survey
                .as_deref()
                .map(|k| error::key("follow_up_survey", k))
                .transpose()?,
        })
    }
}

fn long_text(field: &str, text: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > crate::limits::MAX_COMMENT_CHARS {
        return Err(FieldError::new(
            field,
            format!(
                "must be at most {} characters",
                crate::limits::MAX_COMMENT_CHARS
            ),
        ));
    }
    Ok(Some(text))
}

/// A change to a case; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    pub status: Option<CaseStatus>,
    pub priority: Option<Priority>,
    pub team: Option<String>,
    pub owner: Option<String>,
    /// Why it happened, as a code of the company's list (e.g. `queue_capacity`).
    pub root_cause: Option<String>,
    /// How it was resolved, as a code (e.g. `callback_made`); required to resolve.
    pub resolution: Option<String>,
}

impl CasePatch {
    /// Checks the patch against the case it changes.
    pub fn validate(self, current: &Case) -> Result<CasePatch, FieldError> {
        let code = |field: &str, v: Option<String>| -> Result<Option<String>, FieldError> {
            v.as_deref().map(|c| error::key(field, c)).transpose()
        };
        let patch = CasePatch {
            status: self.status,
            priority: self.priority,
            team: error::short_text("team", self.team.as_deref())?,
            owner: error::short_text("owner", self.owner.as_deref())?,
            root_cause: code("root_cause", self.root_cause)?,
            resolution: code("resolution", self.resolution)?,
        };
        if let Some(next) = patch.status
            && next != current.status
        {
            if !current.status.can_become(next) {
                return Err(FieldError::new(
                    "status",
                    format!(
                        "a {} case cannot become {}",
                        current.status.as_str(),
                        next.as_str()
                    ),
                ));
            }
            if next == CaseStatus::Resolved
                && patch.resolution.is_none()
                && current.resolution.is_none()
            {
                return Err(FieldError::new(
                    "resolution",
                    "is required to resolve a case",
                ));
            }
        }
        Ok(patch)
    }
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub status: CaseStatus,
    pub priority: Priority,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub customer_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub feedback_id: Option<i64>,
    pub opened_at: DateTime<Utc>,
    /// When it must be resolved by (opened + the priority's SLA).
    pub due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub root_cause: Option<String>,
    pub resolution: Option<String>,
    /// Contacts with the customer logged on the case.
    pub contacts: u32,
    /// The survey the customer is invited to on resolution, the invitation once sent, and the
    /// feedback record of their answer once given.
    pub follow_up_survey: Option<String>,
    pub follow_up_invitation_id: Option<i64>,
    pub follow_up_feedback_id: Option<i64>,
}

impl Case {
    /// Whether the SLA was (or is, for an open case at `now`) broken.
    pub fn breached(&self, now: DateTime<Utc>) -> bool {
        self.resolved_at.unwrap_or(now) > self.due_at
    }
}

/// What happened on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseEventKind {
    /// An internal note.
    Note,
    /// A contact with the customer (a call, a message).
    Contact,
    /// A change of status, team, owner or codes (written by the store).
    Change,
}

impl CaseEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseEventKind::Note => "note",
            CaseEventKind::Contact => "contact",
            CaseEventKind::Change => "change",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseEvent {
    pub id: i64,
    pub kind: CaseEventKind,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(status: CaseStatus) -> Case {
        let at = "2026-03-01T10:00:00Z".parse().unwrap();
        Case {
            id: 1,
            title: "Queue".into(),
            description: None,
            status,
            priority: Priority::High,
            team: None,
            owner: None,
            customer_id: None,
            touchpoint_id: None,
            feedback_id: None,
            opened_at: at,
            due_at: at + Priority::High.sla(),
            resolved_at: None,
            closed_at: None,
            root_cause: None,
            resolution: None,
            contacts: 0,
            follow_up_survey: None,
            follow_up_invitation_id: None,
            follow_up_feedback_id: None,
        }
    }

    #[test]
    fn a_case_moves_forward_and_resolves_only_with_a_resolution() {
        let open = case(CaseStatus::InProgress);
        let resolve = |resolution: Option<&str>| CasePatch {
            status: Some(CaseStatus::Resolved),
            resolution: resolution.map(str::to_owned),
            ..Default::default()
        };
        assert_eq!(
            resolve(None).validate(&open).unwrap_err().field,
            "resolution"
        );
        assert!(resolve(Some("callback_made")).validate(&open).is_ok());
        let back_to_new = CasePatch {
            status: Some(CaseStatus::New),
            ..Default::default()
        };
        assert_eq!(back_to_new.validate(&open).unwrap_err().field, "status");
        let reopen = CasePatch {
            status: Some(CaseStatus::InProgress),
            ..Default::default()
        };
        assert!(reopen.clone().validate(&case(CaseStatus::Resolved)).is_ok());
        assert!(reopen.validate(&case(CaseStatus::Closed)).is_err());
    }

    #[test]
    fn the_sla_is_broken_by_a_late_resolution_or_a_late_open_case() {
        let mut late = case(CaseStatus::InProgress);
        assert!(!late.breached(late.opened_at + Duration::hours(23)));
        assert!(late.breached(late.opened_at + Duration::hours(25)));
        late.resolved_at = Some(late.opened_at + Duration::hours(2));
        assert!(!late.breached(late.opened_at + Duration::hours(100)));
    }
}
