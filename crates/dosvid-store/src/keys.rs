//! API keys. A key is shown once when created; only its SHA-256 is stored, which is enough for a
//! secret of 160 random bits (a slow password hash protects low-entropy secrets, not these).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What a key may do. Each request needs one scope (`dosvid_server` decides which).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read data and ask questions.
    Read,
    /// Write signals and customers, work cases, invite to surveys.
    Write,
    /// Change the configuration: journey, surveys, rules, webhooks, themes, goals, settings.
    Manage,
    /// The audit log, a customer's export and erasure, the survey-link secret.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Manage, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Manage => "manage",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// A comma-separated list, as stored and as the CLI takes it.
    pub fn parse_list(raw: &str) -> Option<Vec<Scope>> {
        let mut scopes: Vec<Scope> = raw
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Scope::parse)
            .collect::<Option<_>>()?;
        scopes.sort();
        scopes.dedup();
        (!scopes.is_empty()).then_some(scopes)
    }

    pub fn list(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    /// The first characters of the secret, to recognise a key in a list.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// When the key stopped opening the API.
    pub revoked_at: Option<DateTime<Utc>>,
    pub scopes: Vec<Scope>,
    /// After this the key opens nothing.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it last opened the API (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// The organisation unit whose records the key sees; none: the whole organisation.
    pub unit_id: Option<i64>,
}

impl ApiKey {
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// The secret a client presents as `Authorization: Bearer <secret>`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.prefix())
    }
}

impl ApiKeySecret {
    pub fn generate() -> Result<ApiKeySecret, getrandom::Error> {
        let mut bytes = [0u8; 20];
        getrandom::fill(&mut bytes)?;
        Ok(ApiKeySecret(format!("dsv_{}", hex(&bytes))))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> &str {
        &self.0[..12]
    }

    pub fn hash(secret: &str) -> String {
        hex(&Sha256::digest(secret.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
