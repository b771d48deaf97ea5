//! The organisation's own reading of sentiment: most comments come with a score — NPS, CSAT —
//! a free label of how the customer felt, so a model fitted to them (`dosvid_text::learn`)
//! learns the company's vocabulary and domain. It is cross-validated against the lexicon on the
//! same answers and read instead of the lexicon only when it does better; its figures are shown
//! (`GET /api/v1/text/model`, the Insights page). Trained on demand and, on the rule schedule,
//! when the last training is six hours old; kept in memory (a restart trains it again).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dosvid_domain::OrgId;
use dosvid_store::{Filter, PageRequest, Store};
use dosvid_text::learn::{Reader, cross_validate, mean_sd};
use serde::Serialize;
use utoipa::ToSchema;

/// Fewest answered comments a model is fitted to, and fewest of each class.
pub const MIN_ANSWERS: usize = 300;
pub const MIN_PER_CLASS: usize = 20;
/// Most answered comments (the latest) a model is fitted to.
const MAX_ANSWERS: usize = 20_000;
/// How much better (macro-F1, cross-validated) the model must read than the lexicon to be used.
pub const MARGIN: f64 = 0.02;
const FOLDS: usize = 5;
const LABELS: [&str; 3] = ["negative", "neutral", "positive"];
/// Hours after which the schedule trains again.
pub const RETRAIN_HOURS: i64 = 6;

/// What the organisation's sentiment model is and how well it reads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelCard {
    pub trained_at: DateTime<Utc>,
    /// Answered comments it was fitted to: NPS 0–6 or CSAT 1–2 negative, 7–8 or 3 neutral,
    /// 9–10 or 4–5 positive.
    pub answers: usize,
    pub negative: usize,
    pub neutral: usize,
    pub positive: usize,
    pub folds: usize,
    /// Macro-F1 against the answers' labels on held-out folds (mean), of the lexicon and of
    /// the model fitted to the other folds; none when there were too few answers.
    pub lexicon_cv_macro_f1: Option<f64>,
    pub learned_cv_macro_f1: Option<f64>,
    /// Whether new comments are read with the model (it beats the lexicon by 0.02 or more).
    pub in_use: bool,
    /// Why it is not in use, when it is not.
    pub reason: Option<String>,
}

/// The label an answer's score gives its comment.
fn label(nps: Option<i16>, csat: Option<i16>) -> Option<&'static str> {
    match (nps, csat) {
        (Some(..=6), _) => Some("negative"),
        (Some(7..=8), _) => Some("neutral"),
        (Some(_), _) => Some("positive"),
        (None, Some(..=2)) => Some("negative"),
        (None, Some(3)) => Some("neutral"),
        (None, Some(_)) => Some("positive"),
        (None, None) => None,
    }
}

/// Fits and cross-validates the organisation's model on its latest answered comments.
pub fn fit(
    store: &dyn Store,
    org: OrgId,
    now: DateTime<Utc>,
) -> dosvid_store::Result<(ModelCard, Option<Arc<Reader>>)> {
    let mut answers: Vec<(String, String)> = Vec::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let found = store.list_feedback(org, &Filter::default(), page)?;
        for f in found.items {
            if f.garbage.is_some() {
                continue;
            }
            let (Some(comment), Some(label)) = (f.comment, label(f.nps, f.csat)) else {
                continue;
            };
            answers.push((comment, label.to_owned()));
        }
        match found.next_cursor {
            Some(cursor) => page.after = Some(PageRequest::parse_cursor(&cursor)?),
            None => break,
        }
    }
    let latest = answers.len().saturating_sub(MAX_ANSWERS);
    let answers = answers.split_off(latest);
    let count = |l: &str| answers.iter().filter(|(_, a)| a == l).count();
    let mut card = ModelCard {
        trained_at: now,
        answers: answers.len(),
        negative: count("negative"),
        neutral: count("neutral"),
        positive: count("positive"),
        folds: FOLDS,
        lexicon_cv_macro_f1: None,
        learned_cv_macro_f1: None,
        in_use: false,
        reason: None,
    };
    if answers.len() < MIN_ANSWERS
        || [card.negative, card.neutral, card.positive]
            .iter()
            .any(|n| *n < MIN_PER_CLASS)
    {
        card.reason = Some(format!(
            "needs at least {MIN_ANSWERS} answered comments, {MIN_PER_CLASS} of each label"
        ));
        return Ok((card, None));
    }
    let (cv, model) = cross_validate(&answers, &LABELS, FOLDS);
    let (lexicon_f1, learned_f1) = (mean_sd(&cv.lexicon).0, mean_sd(&cv.learned).0);
    card.lexicon_cv_macro_f1 = Some(lexicon_f1);
    card.learned_cv_macro_f1 = Some(learned_f1);
    card.in_use = learned_f1 >= lexicon_f1 + MARGIN;
    if !card.in_use {
        card.reason = Some("it does not read the answers better than the lexicon".into());
        return Ok((card, None));
    }
    Ok((card, Some(Arc::new(Reader::new(model)))))
}
