//! The audit log: who did what, when, from where — every change, export, sign-in and view of
//! one customer's personal data. Entries are only ever appended (and dropped after the
//! organisation's retention period).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person signed in to the web application (by e-mail).
    User,
    /// An API key (by name and prefix).
    ApiKey,
    /// Someone not signed in (a failed sign-in names the e-mail tried).
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::Anonymous => "anonymous",
        }
    }

    pub fn parse(raw: &str) -> Option<ActorKind> {
        [ActorKind::User, ActorKind::ApiKey, ActorKind::Anonymous]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// What kind of event an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    Change,
    Export,
    /// A view of one customer's personal data.
    View,
    SignIn,
    FailedSignIn,
}

impl AuditKind {
    pub const ALL: [AuditKind; 5] = [
        AuditKind::Change,
        AuditKind::Export,
        AuditKind::View,
        AuditKind::SignIn,
        AuditKind::FailedSignIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Change => "change",
            AuditKind::Export => "export",
            AuditKind::View => "view",
            AuditKind::SignIn => "sign_in",
            AuditKind::FailedSignIn => "failed_sign_in",
        }
    }

    pub fn parse(raw: &str) -> Option<AuditKind> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// 0 until stored.
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: AuditKind,
    pub actor_kind: ActorKind,
    /// The user's e-mail, the key's name and prefix, or the e-mail tried.
    pub actor: Option<String>,
    /// The client's address.
    pub address: Option<String>,
    /// The operation: `PATCH /api/v1/cases/{id}`, `POST /cases/{id}`, `sign in`.
    pub action: String,
    /// What it acted on: the request's path (`/api/v1/cases/12`).
    pub object: Option<String>,
    /// The answer's HTTP status: a refused change is recorded too.
    pub status: u16,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub kind: Option<AuditKind>,
    /// Entries whose actor contains this (case-insensitive).
    pub actor: Option<String>,
    /// Entries whose action or object contains this.
    pub text: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}
