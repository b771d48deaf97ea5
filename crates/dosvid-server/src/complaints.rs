//! Complaints and reviews an agent takes down on a customer's behalf, through the API or the
//! agent's web form: both become the same feedback record (source `complaint` or `review`,
//! attribute `severity`), read like every comment and put in the analytics index at once.

use chrono::{DateTime, Utc};
use dosvid_domain::{FeedbackInput, FeedbackSource, FieldError, SignalInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::application::Operation;

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    #[default]
    Complaint,
    Review,
}

/// A complaint or a review taken down by an agent on the customer's behalf.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintInput {
    /// `complaint` (default) or `review`.
    #[serde(default)]
    pub kind: ComplaintKind,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    /// Touchpoint key.
    pub touchpoint: Option<String>,
    /// Channel key: where the customer said it.
    pub channel: Option<String>,
    /// What the customer said, in their words.
    pub text: String,
    /// `low`, `medium` (default), `high`, `critical`.
    #[serde(default)]
    pub severity: Severity,
    /// When the customer said it (default: now).
    pub occurred_at: Option<String>,
    /// A review's rating on 1..`rating_scale`.
    pub rating: Option<i64>,
    pub rating_scale: Option<i64>,
    /// Who logged it.
    pub agent: Option<String>,
    /// The sender's id, so a retried request stores nothing new.
    pub external_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplaintLogged {
    /// The feedback record it became (source `complaint` or `review`).
    pub feedback_id: i64,
    pub language: Option<String>,
    pub sentiment: Option<f64>,
    pub themes: Vec<String>,
}

/// Checks and stores a complaint; an error names the field at fault.
pub fn log(
    op: &Operation,
    input: ComplaintInput,
    now: DateTime<Utc>,
) -> Result<ComplaintLogged, crate::ApiError> {
    let record = record(input, now)?;
    let themes = op.analytics.themes(op.store, op.org())?;
    let feedback = record.validate(now, &themes).map_err(rename_comment)?;
    let (language, sentiment, themes) = (
        feedback.language.clone(),
        feedback.sentiment,
        dosvid_domain::theme_list(feedback.themes.as_deref()),
    );
    let id = op.record_feedback(feedback, now)?;
    Ok(ComplaintLogged {
        feedback_id: id,
        language,
        sentiment,
        themes,
    })
}

fn record(input: ComplaintInput, now: DateTime<Utc>) -> Result<FeedbackInput, FieldError> {
    if input.text.trim().is_empty() {
        return Err(FieldError::new("text", "is required"));
    }
    let mut attributes = dosvid_domain::Attributes::new();
    attributes.insert("severity".into(), input.severity.as_str().into());
    if let Some(agent) = dosvid_domain::error::short_text("agent", input.agent.as_deref())? {
        attributes.insert("logged_by".into(), agent.into());
    }
    Ok(FeedbackInput {
        external_id: input.external_id,
        customer_id: input.customer_id,
        customer_external_id: input.customer_external_id,
        customer_email: input.customer_email,
        customer_phone: input.customer_phone,
        touchpoint: input.touchpoint,
        channel: input.channel,
        source: Some(match input.kind {
            ComplaintKind::Complaint => FeedbackSource::Complaint,
            ComplaintKind::Review => FeedbackSource::Review,
        }),
        occurred_at: Some(input.occurred_at.unwrap_or_else(|| now.to_rfc3339())),
        rating: input.rating,
        rating_scale: input.rating_scale,
        comment: Some(input.text),
        attributes: Some(attributes),
        ..Default::default()
    })
}

/// The complaint's `text` is the feedback record's `comment`: name the field the caller sent.
fn rename_comment(mut e: FieldError) -> FieldError {
    if e.field == "comment" {
        e.field = "text".into();
    }
    e
}
