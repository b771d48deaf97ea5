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

    /// Whether the role may create and change surveys.
    pub fn manages_surveys(self) -> bool {
        matches!(self, Role::Admin | Role::CxManager)
    }

    /// Whether the role may record what customers said (log complaints, reviews).
    pub fn records_feedback(self) -> bool {
        self != Role::Viewer
    }
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
        };
        assert_eq!(
            user(" Olena@Kvant.UA ", "uk").validate().unwrap().email,
            "olena@kvant.ua"
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
