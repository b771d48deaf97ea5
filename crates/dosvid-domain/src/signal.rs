//! Signals: what customers do and say. Interactions (the behavioural component), feedback
//! records (cognitive scores and emotional comments) and transactions (revenue) arrive through
//! the batch API, CSV/JSONL import and later surveys; all take the same flat input shape here, so
//! a CSV column, a JSON field and an error message share one name.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use dosvid_text::Themes;

use crate::Attributes;
use crate::customer::CustomerRef;
use crate::error::{self, FieldError};
use crate::time::parse_timestamp;

/// The kinds of record that arrive in bulk, as they appear in URLs (`/api/v1/feedback:batch`)
/// and CLI commands (`dosvid import feedback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Customers,
    Interactions,
    Feedback,
    Transactions,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Customers => "customers",
            RecordKind::Interactions => "interactions",
            RecordKind::Feedback => "feedback",
            RecordKind::Transactions => "transactions",
        }
    }
}

/// Something a record points at, by id or by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ref {
    Id(i64),
    Key(String),
}

fn reference(
    id_field: &str,
    id: Option<i64>,
    key_field: &str,
    key: Option<&str>,
) -> Result<Option<Ref>, FieldError> {
    match (id, key.map(str::trim).filter(|k| !k.is_empty())) {
        (Some(_), Some(_)) => Err(FieldError::new(
            key_field,
            format!("give either {key_field} or {id_field}, not both"),
        )),
        (Some(id), None) => Ok(Some(Ref::Id(id))),
        (None, Some(key)) => Ok(Some(Ref::Key(error::key(key_field, key)?))),
        (None, None) => Ok(None),
    }
}

fn score(field: &str, value: Option<i64>, min: i64, max: i64) -> Result<Option<i16>, FieldError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(FieldError::new(
            field,
            format!("must be an integer from {min} to {max}, got {v}"),
        )),
        v => Ok(v.map(|v| v as i16)),
    }
}

fn comment(value: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(text) = value else { return Ok(None) };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let chars = trimmed.chars().count();
    if chars > crate::limits::MAX_COMMENT_CHARS {
        return Err(FieldError::new(
            "comment",
            format!(
                "must be at most {} characters, got {chars}",
                crate::limits::MAX_COMMENT_CHARS
            ),
        ));
    }
    error::plain_text("comment", trimmed)?;
    Ok(Some(trimmed.to_owned()))
}

/// What every signal input has in common, so ingestion and import can be written once.
pub trait SignalInput: serde::de::DeserializeOwned {
    type Valid: Send + 'static;
    const KIND: RecordKind;
    /// Every field the input accepts, for checking CSV headers.
    const FIELDS: &'static [&'static str];
    /// Checks every field; comments are read with the organisation's theme taxonomy.
    fn validate(self, now: DateTime<Utc>, themes: &Themes) -> Result<Self::Valid, FieldError>;
    /// Sets the attributes read from `attr.*` CSV columns.
    fn set_attributes(&mut self, attributes: Attributes);
}

// ----- feedback -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackSource {
    Survey,
    Review,
    Complaint,
    Social,
    Other,
}

impl FeedbackSource {
    pub const ALL: [FeedbackSource; 5] = [
        FeedbackSource::Survey,
        FeedbackSource::Review,
        FeedbackSource::Complaint,
        FeedbackSource::Social,
        FeedbackSource::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackSource::Survey => "survey",
            FeedbackSource::Review => "review",
            FeedbackSource::Complaint => "complaint",
            FeedbackSource::Social => "social",
            FeedbackSource::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A feedback record as sent. Customers, touchpoints and channels are referenced by id or by
/// their external id / key; every score is optional, but one score or a comment is required.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    /// The sender's id for this record; a record whose external id is already stored is a duplicate.
    pub external_id: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    /// Touchpoint key, e.g. `contact-centre.queue`.
    pub touchpoint: Option<String>,
    pub touchpoint_id: Option<i64>,
    /// Channel key, e.g. `phone`.
    pub channel: Option<String>,
    pub channel_id: Option<i64>,
    /// `survey` (default), `review`, `complaint`, `social` or `other`.
    pub source: Option<FeedbackSource>,
    /// When the customer gave the feedback (RFC 3339; a time without zone is UTC).
    pub occurred_at: Option<String>,
    /// Likelihood to recommend, 0–10.
    pub nps: Option<i64>,
    /// Satisfaction, 1–5.
    pub csat: Option<i64>,
    /// Customer effort, 1–7 (7 = very easy).
    pub ces: Option<i64>,
    /// A rating on a scale of 1..`rating_scale`.
    pub rating: Option<i64>,
    /// The top of the rating's scale (2–100); required with `rating`.
    pub rating_scale: Option<i64>,
    pub comment: Option<String>,
    pub language: Option<String>,
    /// The interaction the feedback is about (a call, a visit), by id…
    pub interaction_id: Option<i64>,
    /// …or by its external id. The record takes the interaction's agent and team unless it
    /// names its own.
    pub interaction_external_id: Option<String>,
    /// Who served the customer (an agent's id or name).
    pub agent: Option<String>,
    pub team: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Attributes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewFeedback {
    pub external_id: Option<String>,
    pub customer: Option<CustomerRef>,
    pub touchpoint: Option<Ref>,
    pub channel: Option<Ref>,
    pub source: FeedbackSource,
    pub occurred_at: DateTime<Utc>,
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
    pub rating_scale: Option<i16>,
    pub comment: Option<String>,
    /// As sent, or else as read from the comment.
    pub language: Option<String>,
    /// The interaction the record answers for.
    pub interaction: Option<Ref>,
    pub agent: Option<String>,
    pub team: Option<String>,
    pub attributes: Attributes,
    /// The comment's sentiment, −1…1 (none for no comment, or garbage).
    pub sentiment: Option<f64>,
    /// Why the comment is not readable text (`mojibake`, `latin_lookalikes`, `keyboard_mashing`).
    pub garbage: Option<&'static str>,
    /// The keys of the themes the comment mentions, space-separated (empty: none; none for no
    /// comment, or garbage).
    pub themes: Option<String>,
    /// The emotions the comment shows, as bits in the order of [`dosvid_text::EMOTIONS`].
    pub emotions: Option<u8>,
}

impl NewFeedback {
    /// Reads the comment: its sentiment, emotions and themes, whether it is garbage, and —
    /// unless the sender said — its language.
    pub fn analysed(mut self, themes: &Themes) -> Self {
        if let Some(text) = &self.comment {
            let analysis = dosvid_text::analyze_with(text, themes);
            if self.language.is_none() && analysis.language != dosvid_text::Language::Und {
                self.language = Some(analysis.language.code().to_owned());
            }
            self.sentiment = analysis.sentiment.map(|s| f64::from(s.score));
            self.garbage = analysis.garbage.map(|g| g.kind.as_str());
            self.emotions = analysis.emotions.map(|e| e.felt());
            // Broken text read back has the themes of what it said.
            self.themes = (analysis.garbage.is_none() || analysis.repaired.is_some())
                .then(|| analysis.theme_keys().join(" "));
        }
        self
    }
}

/// The theme keys of a stored `themes` column.
pub fn theme_list(stored: Option<&str>) -> Vec<String> {
    stored
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The emotion names of a stored `emotions` column.
pub fn emotion_list(bits: Option<u8>) -> Vec<String> {
    let bits = bits.unwrap_or(0);
    dosvid_text::EMOTIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & 1 << i != 0)
        .map(|(_, name)| (*name).to_owned())
        .collect()
}

impl SignalInput for FeedbackInput {
    fn set_attributes(&mut self, attributes: Attributes) {
        self.attributes = Some(attributes);
    }

    type Valid = NewFeedback;
    const KIND: RecordKind = RecordKind::Feedback;
    const FIELDS: &'static [&'static str] = &[
        "external_id",
        "customer_id",
        "customer_external_id",
        "customer_email",
        "customer_phone",
        "touchpoint",
        "touchpoint_id",
        "channel",
        "channel_id",
        "source",
        "occurred_at",
        "nps",
        "csat",
        "ces",
        "rating",
        "rating_scale",
        "comment",
        "language",
        "interaction_id",
        "interaction_external_id",
        "agent",
        "team",
    ];

    fn validate(self, now: DateTime<Utc>, themes: &Themes) -> Result<NewFeedback, FieldError> {
        let occurred_at = self
            .occurred_at
            .as_deref()
            .ok_or_else(|| FieldError::new("occurred_at", "is required"))?;
        let rating_scale = score("rating_scale", self.rating_scale, 2, 100)?;
        let rating = match (self.rating, rating_scale) {
            (Some(_), None) => {
                return Err(FieldError::new(
                    "rating_scale",
                    "is required when rating is given",
                ));
            }
            (rating, Some(top)) => score("rating", rating, 1, top.into())?,
            (None, None) => None,
        };
        let feedback = NewFeedback {
            external_id: error::short_text("external_id", self.external_id.as_deref())?,
            customer: CustomerRef::from_fields(
                self.customer_id,
                self.customer_external_id.as_deref(),
                self.customer_email.as_deref(),
                self.customer_phone.as_deref(),
            )?,
            touchpoint: reference(
                "touchpoint_id",
                self.touchpoint_id,
                "touchpoint",
                self.touchpoint.as_deref(),
            )?,
            channel: reference(
                "channel_id",
                self.channel_id,
                "channel",
                self.channel.as_deref(),
            )?,
            source: self.source.unwrap_or(FeedbackSource::Survey),
            occurred_at: parse_timestamp("occurred_at", occurred_at, now)?,
            nps: score("nps", self.nps, 0, 10)?,
            csat: score("csat", self.csat, 1, 5)?,
            ces: score("ces", self.ces, 1, 7)?,
            rating,
            rating_scale: rating.and(rating_scale),
            comment: comment(self.comment)?,
            language: error::language("language", self.language.as_deref())?,
            // An interaction's external id is the sender's own text, not a key.
            interaction: match (
                self.interaction_id,
                error::short_text(
                    "interaction_external_id",
                    self.interaction_external_id.as_deref(),
                )?,
            ) {
                (Some(_), Some(_)) => {
                    return Err(FieldError::new(
                        "interaction_external_id",
                        "give either interaction_external_id or interaction_id, not both",
                    ));
                }
                (Some(id), None) => Some(Ref::Id(id)),
                (None, Some(external)) => Some(Ref::Key(external)),
                (None, None) => None,
            },
            agent: error::short_text("agent", self.agent.as_deref())?,
            team: error::short_text("team", self.team.as_deref())?,
            attributes: error::attributes("attributes", self.attributes)?,
            sentiment: None,
            garbage: None,
            themes: None,
            emotions: None,
        }
        .analysed(themes);
        let has_score = [feedback.nps, feedback.csat, feedback.ces, feedback.rating]
            .iter()
            .any(Option::is_some);
        if !has_score && feedback.comment.is_none() {
            return Err(FieldError::new(
                "nps",
                "a feedback record needs at least one score (nps, csat, ces, rating) or a comment",
            ));
        }
        Ok(feedback)
    }
}

/// A stored feedback record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub id: i64,
    pub external_id: Option<String>,
    pub customer_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub source: FeedbackSource,
    pub occurred_at: DateTime<Utc>,
    pub nps: Option<i16>,
    pub csat: Option<i16>,
    pub ces: Option<i16>,
    pub rating: Option<i16>,
    pub rating_scale: Option<i16>,
    pub comment: Option<String>,
    pub language: Option<String>,
    /// The interaction the record answers for.
    pub interaction_id: Option<i64>,
    /// Who served the customer: as sent, or the interaction's.
    pub agent: Option<String>,
    pub team: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    /// The comment's sentiment, −1…1, read at ingest.
    pub sentiment: Option<f64>,
    /// Why the comment is not readable text, when it is not.
    pub garbage: Option<String>,
    /// The themes the comment mentions (keys of the taxonomy).
    pub themes: Vec<String>,
    /// The emotions the comment shows (`anger`, `frustration`, `anxiety`, `confusion`, `joy`,
    /// `gratitude`, `surprise`).
    pub emotions: Vec<String>,
    pub created_at: DateTime<Utc>,
}

// ----- interactions ---------------------------------------------------------------------------

/// An interaction as sent: a call, a visit, a chat, an app session, a purchase step.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    pub external_id: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub touchpoint: Option<String>,
    pub touchpoint_id: Option<i64>,
    /// Channel key; an interaction always happens on a channel.
    pub channel: Option<String>,
    pub channel_id: Option<i64>,
    /// What happened, e.g. `call`, `visit`, `chat`, `login`, `order`.
    pub kind: Option<String>,
    pub occurred_at: Option<String>,
    pub duration_seconds: Option<i64>,
    /// How it ended, e.g. `resolved`, `unresolved`, `abandoned`, `transferred`.
    pub outcome: Option<String>,
    pub agent: Option<String>,
    pub team: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Attributes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    pub external_id: Option<String>,
    pub customer: Option<CustomerRef>,
    pub touchpoint: Option<Ref>,
    pub channel: Ref,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    pub agent: Option<String>,
    pub team: Option<String>,
    pub attributes: Attributes,
}

impl SignalInput for InteractionInput {
    fn set_attributes(&mut self, attributes: Attributes) {
        self.attributes = Some(attributes);
    }

    type Valid = NewInteraction;
    const KIND: RecordKind = RecordKind::Interactions;
    const FIELDS: &'static [&'static str] = &[
        "external_id",
        "customer_id",
        "customer_external_id",
        "customer_email",
        "customer_phone",
        "touchpoint",
        "touchpoint_id",
        "channel",
        "channel_id",
        "kind",
        "occurred_at",
        "duration_seconds",
        "outcome",
        "agent",
        "team",
    ];

    fn validate(self, now: DateTime<Utc>, _: &Themes) -> Result<NewInteraction, FieldError> {
        let occurred_at = self
            .occurred_at
            .as_deref()
            .ok_or_else(|| FieldError::new("occurred_at", "is required"))?;
        if self
            .duration_seconds
            .is_some_and(|d| !(0..=31 * 24 * 3600).contains(&d))
        {
            return Err(FieldError::new(
                "duration_seconds",
                "must be from 0 to 2678400 (31 days)",
            ));
        }
        Ok(NewInteraction {
            external_id: error::short_text("external_id", self.external_id.as_deref())?,
            customer: CustomerRef::from_fields(
                self.customer_id,
                self.customer_external_id.as_deref(),
                self.customer_email.as_deref(),
                self.customer_phone.as_deref(),
            )?,
            touchpoint: reference(
                "touchpoint_id",
                self.touchpoint_id,
                "touchpoint",
                self.touchpoint.as_deref(),
            )?,
            channel: reference(
                "channel_id",
                self.channel_id,
                "channel",
                self.channel.as_deref(),
            )?
            .ok_or_else(|| FieldError::new("channel", "is required"))?,
            kind: error::key("kind", &error::required_text("kind", self.kind.as_deref())?)?,
            occurred_at: parse_timestamp("occurred_at", occurred_at, now)?,
            duration_seconds: self.duration_seconds,
            outcome: self
                .outcome
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| error::key("outcome", o))
                .transpose()?,
            agent: error::short_text("agent", self.agent.as_deref())?,
            team: error::short_text("team", self.team.as_deref())?,
            attributes: error::attributes("attributes", self.attributes)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Interaction {
    pub id: i64,
    pub external_id: Option<String>,
    pub customer_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub channel_id: i64,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub duration_seconds: Option<i64>,
    pub outcome: Option<String>,
    pub agent: Option<String>,
    pub team: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    pub created_at: DateTime<Utc>,
}

// ----- transactions ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    /// A one-off purchase.
    Purchase,
    /// A recurring (subscription) charge; the basis of GRR and NRR.
    Recurring,
    /// Money returned to the customer; `amount_minor` is still positive.
    Refund,
}

impl TransactionKind {
    pub const ALL: [TransactionKind; 3] = [Self::Purchase, Self::Recurring, Self::Refund];

    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Purchase => "purchase",
            TransactionKind::Recurring => "recurring",
            TransactionKind::Refund => "refund",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionInput {
    pub external_id: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub occurred_at: Option<String>,
    /// Amount in minor units (kopiykas, cents), never negative: refunds say so by `kind`.
    pub amount_minor: Option<i64>,
    /// ISO 4217 code, e.g. `UAH`.
    pub currency: Option<String>,
    pub kind: Option<TransactionKind>,
    pub product: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Attributes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTransaction {
    pub external_id: Option<String>,
    pub customer: CustomerRef,
    pub occurred_at: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: String,
    pub kind: TransactionKind,
    pub product: Option<String>,
    pub attributes: Attributes,
}

impl SignalInput for TransactionInput {
    fn set_attributes(&mut self, attributes: Attributes) {
        self.attributes = Some(attributes);
    }

    type Valid = NewTransaction;
    const KIND: RecordKind = RecordKind::Transactions;
    const FIELDS: &'static [&'static str] = &[
        "external_id",
        "customer_id",
        "customer_external_id",
        "customer_email",
        "customer_phone",
        "occurred_at",
        "amount_minor",
        "currency",
        "kind",
        "product",
    ];

    fn validate(self, now: DateTime<Utc>, _: &Themes) -> Result<NewTransaction, FieldError> {
        let occurred_at = self
            .occurred_at
            .as_deref()
            .ok_or_else(|| FieldError::new("occurred_at", "is required"))?;
        let amount_minor = self
            .amount_minor
            .ok_or_else(|| FieldError::new("amount_minor", "is required"))?;
        if amount_minor < 0 {
            return Err(FieldError::new(
                "amount_minor",
                "must not be negative; send money returned with kind \"refund\"",
            ));
        }
        let currency = self
            .currency
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(FieldError::new(
                "currency",
                "must be a three-letter ISO 4217 code such as UAH",
            ));
        }
        Ok(NewTransaction {
            external_id: error::short_text("external_id", self.external_id.as_deref())?,
            customer: CustomerRef::from_fields(
                self.customer_id,
                self.customer_external_id.as_deref(),
                self.customer_email.as_deref(),
                self.customer_phone.as_deref(),
            )?
            .ok_or_else(|| FieldError::new("customer_external_id", "a transaction needs a customer (customer_id, customer_external_id, customer_email or customer_phone)"))?,
            occurred_at: parse_timestamp("occurred_at", occurred_at, now)?,
            amount_minor,
            currency,
            kind: self.kind.ok_or_else(|| FieldError::new("kind", "is required: purchase, recurring or refund"))?,
            product: error::short_text("product", self.product.as_deref())?,
            attributes: error::attributes("attributes", self.attributes)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Transaction {
    pub id: i64,
    pub external_id: Option<String>,
    /// `None` once the customer has been erased.
    pub customer_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: String,
    pub kind: TransactionKind,
    pub product: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Attributes,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// Validates a JSON feedback record and returns the failing field, or "ok".
    fn check(json: serde_json::Value, expect: &str) {
        let input: FeedbackInput = serde_json::from_value(json.clone()).unwrap();
        let got = match input.validate(now(), Themes::default_themes()) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.field,
        };
        assert_eq!(got, expect, "{json}");
    }

    #[test]
    fn feedback_validation_names_the_failing_field() {
        use serde_json::json;
        let t = "2025-05-01T10:00:00Z";
        check(json!({"occurred_at": t, "nps": 10}), "ok");
        check(
            json!({"occurred_at": t, "comment": "Дуже довго чекав на лінії"}),
            "ok",
        );
        check(json!({"occurred_at": t, "nps": 11}), "nps");
        check(json!({"occurred_at": t, "nps": -1}), "nps");
        check(json!({"occurred_at": t, "csat": 0}), "csat");
        check(json!({"occurred_at": t, "ces": 8}), "ces");
        check(json!({"occurred_at": t, "rating": 4}), "rating_scale");
        check(
            json!({"occurred_at": t, "rating": 6, "rating_scale": 5}),
            "rating",
        );
        check(json!({"occurred_at": t}), "nps");
        check(json!({"occurred_at": t, "comment": "   "}), "nps");
        check(json!({"nps": 5}), "occurred_at");
        check(json!({"occurred_at": "someday", "nps": 5}), "occurred_at");
        check(
            json!({"occurred_at": t, "nps": 5, "touchpoint": "Bad Key!"}),
            "touchpoint",
        );
        check(
            json!({"occurred_at": t, "nps": 5, "touchpoint": "a", "touchpoint_id": 3}),
            "touchpoint",
        );
        check(
            json!({"occurred_at": t, "nps": 5, "customer_email": "nope"}),
            "customer_email",
        );
        check(
            json!({"occurred_at": t, "nps": 5, "language": "ukrainian!"}),
            "language",
        );
        check(
            json!({"occurred_at": t, "nps": 5, "attributes": {"tier": [1]}}),
            "attributes.tier",
        );
        check(
            json!({"occurred_at": t, "comment": "x".repeat(10_001)}),
            "comment",
        );
        check(
            json!({"occurred_at": t, "comment": "ї".repeat(10_000)}),
            "ok",
        );
    }

    #[test]
    fn interactions_need_a_channel_and_a_kind_and_transactions_a_customer() {
        let i = InteractionInput {
            occurred_at: Some("2025-01-01".into()),
            kind: Some("call".into()),
            ..Default::default()
        };
        assert_eq!(
            i.validate(now(), Themes::default_themes())
                .unwrap_err()
                .field,
            "channel"
        );
        let t = TransactionInput {
            occurred_at: Some("2025-01-01".into()),
            amount_minor: Some(100),
            currency: Some("uah".into()),
            kind: Some(TransactionKind::Purchase),
            ..Default::default()
        };
        assert_eq!(
            t.clone()
                .validate(now(), Themes::default_themes())
                .unwrap_err()
                .field,
            "customer_external_id"
        );
        let ok = TransactionInput {
            customer_external_id: Some("C1".into()),
            ..t
        }
        .validate(now(), Themes::default_themes())
        .unwrap();
        assert_eq!(ok.currency, "UAH");
    }
}
