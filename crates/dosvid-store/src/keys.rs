//! API keys. A key is shown once when created; only its SHA-256 is stored, which is enough for a
//! secret of 160 random bits (a slow password hash protects low-entropy secrets, not these).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

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
