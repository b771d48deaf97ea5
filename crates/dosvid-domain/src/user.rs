//! People who sign in to the web application (SPEC §3 item 10): who they are, their role and the
//! language their interface speaks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    CxManager,
    Analyst,
    TeamLead,
    Agent,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::CxManager,
        Role::Analyst,
        Role::TeamLead,
        Role::Agent,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::CxManager => "cx_manager",
            Role::Analyst => "analyst",
            Role::TeamLead => "team_lead",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether the role may do `action`: the one table of who may change what in the web
    /// application. Every form a page posts names its action; reading is open to every role.
    pub fn may(self, action: Action) -> bool {
        use Role::*;
        let allowed: &[Role] = match action {
            Action::Administer => &[Admin],
            Action::ManageSurveys
            | Action::EditJourney
            | Action::ManageRules
            | Action::ManageWebhooks
            | Action::ManageStrategy => &[Admin, CxManager],
            Action::WorkCases => &[Admin, CxManager, TeamLead, Agent],
            Action::RecordFeedback => &[Admin, CxManager, Analyst, TeamLead, Agent],
        };
        allowed.contains(&self)
    }
}

/// A kind of change a person makes in the web application (see [`Role::may`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// People, API keys, the survey-link secret.
    Administer,
    /// Create, edit, activate and close surveys; invite customers.
    ManageSurveys,
    /// Channels, stages and touchpoints.
    EditJourney,
    /// Alert rules.
    ManageRules,
    /// Webhook endpoints and their deliveries.
    ManageWebhooks,
    /// Change a case (status, owner, priority…) and add notes and contacts to it.
    WorkCases,
    /// Record what customers said: log complaints and reviews.
    RecordFeedback,
    /// Goals, initiatives and strategy cycles.
    ManageStrategy,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Administer,
        Action::ManageSurveys,
        Action::EditJourney,
        Action::ManageRules,
        Action::ManageWebhooks,
        Action::WorkCases,
        Action::RecordFeedback,
        Action::ManageStrategy,
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The interface language: `uk`, `en` or `ru`.
    pub language: String,
    /// The agent id interactions and feedback name this person by (`agent-013`), if they serve
    /// customers: their own scores and the comments about them are on `/me`.
    pub agent: Option<String>,
    /// The organisation unit the person belongs to: they see only its records. None: the whole
    /// organisation.
    pub unit_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub language: String,
    /// The agent id interactions name this person by.
    pub agent: Option<String>,
    /// The organisation unit whose records they see (None: the whole organisation).
    pub unit_id: Option<i64>,
}

impl NewUser {
    pub fn validate(self) -> Result<NewUser, FieldError> {
        let email = self.email.trim().to_lowercase();
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        }) && !email.contains(char::is_whitespace);
        if !valid || email.len() > 254 {
            return Err(FieldError::new("email", "must be an e-mail address"));
        }
        let language = self.language.trim().to_ascii_lowercase();
        if !["uk", "en", "ru"].contains(&language.as_str()) {
            return Err(FieldError::new("language", "must be uk, en or ru"));
        }
        Ok(NewUser {
            email,
            name: error::required_text("name", Some(&self.name))?,
            role: self.role,
            language,
            agent: error::short_text("agent", self.agent.as_deref())?,
            unit_id: self.unit_id,
        })
    }
}

/// Checks a new password: long enough to resist guessing, short enough to hash.
pub fn check_password(password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1_000 {
        return Err(FieldError::new("password", "must be at most 1000 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_checked_field_by_field() {
        let user = |email: &str, language: &str| NewUser {
            email: email.into(),
            name: "Olena".into(),
            role: Role::Agent,
            language: language.into(),
            agent: Some(" agent-013 ".into()),
            unit_id: None,
        };
        assert_eq!(
            user(" Olena@Kvant.UA ", "uk").validate().unwrap().email,
            "olena@kvant.ua"
        );
        assert_eq!(
            user("o@kvant.ua", "uk")
                .validate()
                .unwrap()
                .agent
                .as_deref(),
            Some("agent-013")
        );
        assert_eq!(user("olena", "uk").validate().unwrap_err().field, "email");
        assert_eq!(
            user("o@kvant.ua", "de").validate().unwrap_err().field,
            "language"
        );
        assert!(check_password("short").is_err());
        assert!(check_password("долгий пароль").is_ok());
    }
}
