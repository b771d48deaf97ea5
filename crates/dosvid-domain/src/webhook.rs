//! Outbound webhooks (SPEC §3 item 8): an endpoint subscribes to event types and receives each
//! event as a JSON POST signed per the Standard Webhooks scheme — headers `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
//! under the endpoint's secret (`whsec_<base64 key>`). Failed deliveries are retried with
//! exponential backoff; an endpoint that keeps failing is disabled. Pure: the caller sends.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::error::{self, FieldError};

/// What an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "feedback.created")]
    FeedbackCreated,
    #[serde(rename = "alert.fired")]
    AlertFired,
    #[serde(rename = "case.created")]
    CaseCreated,
    #[serde(rename = "case.updated")]
    CaseUpdated,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::FeedbackCreated,
        EventType::AlertFired,
        EventType::CaseCreated,
        EventType::CaseUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::FeedbackCreated => "feedback.created",
            EventType::AlertFired => "alert.fired",
            EventType::CaseCreated => "case.created",
            EventType::CaseUpdated => "case.updated",
        }
    }

    pub fn parse(raw: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

/// An endpoint as written: the body of `POST /api/v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `https://…` (or `http://…` for a receiver inside the company's network).
    pub url: String,
    pub events: Vec<EventType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

/// A change to an endpoint: the fields given replace the stored ones. Enabling a disabled
/// endpoint resumes its pending deliveries.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

impl WebhookInput {
    pub fn validate(mut self) -> Result<WebhookInput, FieldError> {
        self.url = self.url.trim().to_owned();
        let rest = self
            .url
            .strip_prefix("https://")
            .or_else(|| self.url.strip_prefix("http://"))
            .ok_or_else(|| FieldError::new("url", "must start with https:// or http://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
            return Err(FieldError::new(
                "url",
                "must name a host, without user or password",
            ));
        }
        if self.url.len() > 2000 || self.url.contains(char::is_whitespace) {
            return Err(FieldError::new(
                "url",
                "must be at most 2000 characters without spaces",
            ));
        }
        if self.events.is_empty() {
            return Err(FieldError::new(
                "events",
                format!(
                    "subscribe to at least one of: {}",
                    EventType::ALL.map(EventType::as_str).join(", ")
                ),
            ));
        }
        let mut seen = Vec::new();
        self.events.retain(|e| {
            let new = !seen.contains(e);
            seen.push(*e);
            new
        });
        self.description = error::short_text("description", self.description.as_deref())?;
        Ok(self)
    }

    /// The endpoint with `patch` applied (to be validated).
    pub fn patched(self, patch: WebhookPatch) -> WebhookInput {
        WebhookInput {
            url: patch.url.unwrap_or(self.url),
            events: patch.events.unwrap_or(self.events),
            description: patch.description.or(self.description),
            enabled: patch.enabled.unwrap_or(self.enabled),
        }
    }
}

/// A stored endpoint. Its secret is shown by `GET /api/v1/webhooks/{id}/secret`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    #[serde(flatten)]
    pub input: WebhookInput,
    /// Why the endpoint was disabled, when Dosvid disabled it.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (none: the last one succeeded).
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub created_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Every attempt of the retry schedule failed.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    /// The `webhook-id` header: the same on every attempt, so a receiver can drop repeats.
    pub event_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body sent, as JSON.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Every attempt, oldest first (in a delivery's own listing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<Attempt>,
}

/// One attempt of a delivery: the delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed (connection refused, timeout, the status).
    pub error: Option<String>,
    pub duration_ms: u32,
}

/// How deliveries are retried and when an endpoint is given up on.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each later one waits `factor` times longer.
    pub first_delay: Duration,
    pub factor: i32,
    pub max_delay: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// An endpoint is disabled once its attempts have failed without a success for this long…
    pub disable_after: Duration,
    /// …and at least this many times in a row.
    pub disable_min_failures: u32,
}

impl Default for RetryPolicy {
    /// 10 s, 1 min, 6 min, 36 min, 3.6 h, then every 12 h: eight attempts over a day and a
    /// half; an endpoint failing for five days is disabled.
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::seconds(10),
            factor: 6,
            max_delay: Duration::hours(12),
            max_attempts: 8,
            disable_after: Duration::days(5),
            disable_min_failures: 10,
        }
    }
}

impl RetryPolicy {
    /// When to try again after `attempts` attempts have failed; `None` when none is left.
    pub fn next_attempt(&self, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let mut delay = self.first_delay;
        for _ in 1..attempts {
            delay = (delay * self.factor).min(self.max_delay);
        }
        Some(now + delay.min(self.max_delay))
    }

    /// Whether an endpoint failing since `since`, `failures` times in a row, is given up on.
    pub fn disables(&self, since: DateTime<Utc>, failures: u32, now: DateTime<Utc>) -> bool {
        failures >= self.disable_min_failures && now - since >= self.disable_after
    }
}

/// An endpoint's signing secret as shown to its owner: `whsec_` and the base64 key.
pub fn secret_from_key(key: &[u8]) -> String {
    format!("whsec_{}", STANDARD.encode(key))
}

/// The `webhook-signature` header for a message: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret's key. `None` for a malformed secret.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// What a receiver checks: one of the space-separated signatures of `header` is the message's
/// (compared in constant time), and the timestamp is within five minutes of `now`.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: i64,
    header: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> bool {
    if (now.timestamp() - timestamp).abs() > 300 {
        return false;
    }
    let Some(expected) = signature(secret, id, timestamp, body) else {
        return false;
    };
    header.split(' ').any(|given| {
        given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

/// The body of an event: `{"type", "timestamp", "data"}`.
pub fn payload(event: EventType, at: DateTime<Utc>, data: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": event.as_str(),
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, events: Vec<EventType>) -> WebhookInput {
        WebhookInput {
            url: url.into(),
            events,
            description: None,
            enabled: true,
        }
    }

    #[test]
    fn endpoints_are_checked_by_field() {
        let bad = |url: &str, events: Vec<EventType>| input(url, events).validate().unwrap_err();
        assert_eq!(bad("ftp://x", vec![EventType::CaseCreated]).field, "url");
        assert_eq!(bad("https://", vec![EventType::CaseCreated]).field, "url");
        assert_eq!(
            bad("https://u:p@h/", vec![EventType::CaseCreated]).field,
            "url"
        );
        assert_eq!(bad("https://hooks.example/x", vec![]).field, "events");
        let ok = input(
            " https://hooks.example/cx?x=1 ",
            vec![EventType::CaseCreated, EventType::CaseCreated],
        )
        .validate()
        .unwrap();
        assert_eq!(ok.url, "https://hooks.example/cx?x=1");
        assert_eq!(ok.events, vec![EventType::CaseCreated]);
        let parsed: Result<WebhookInput, _> =
            serde_json::from_str(r#"{"url":"https://x","events":["case.deleted"]}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let now = DateTime::from_timestamp(1614265330, 0).unwrap();
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        assert!(verify(
            secret,
            id,
            1614265330,
            &format!("v1,bogus {sig}"),
            body,
            now
        ));
        assert!(!verify(secret, id, 1614265330, &sig, b"{}", now));
        assert!(!verify(secret, "msg_other", 1614265330, &sig, body, now));
        let late = now + Duration::minutes(6);
        assert!(!verify(secret, id, 1614265330, &sig, body, late));
    }

    #[test]
    fn retries_back_off_and_give_up() {
        let policy = RetryPolicy::default();
        let now = Utc::now();
        let waits: Vec<i64> = (1..=8)
            .map(|n| {
                policy
                    .next_attempt(n, now)
                    .map_or(-1, |t| (t - now).num_seconds())
            })
            .collect();
        assert_eq!(waits, [10, 60, 360, 2160, 12960, 43200, 43200, -1]);
        let since = now - Duration::days(6);
        assert!(policy.disables(since, 10, now));
        assert!(!policy.disables(since, 9, now));
        assert!(!policy.disables(now - Duration::days(1), 50, now));
    }
}
