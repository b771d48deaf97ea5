//! Reading what customers write, in Ukrainian, Russian and English: normalisation and
//! tokens, the language of a comment, and whether it is readable text at all (garbage: Cyrillic
//! OCR'd into Latin look-alikes, mojibake, keyboard mashing). Pure, no models downloaded: the
//! word lists and rules are ours. `eval` alone reads files: the labelled sets it is measured on.

mod emotion;
pub mod eval;
mod garbage;
mod language;
mod normalize;
mod sentiment;

pub use emotion::Emotions;
pub use garbage::{Garbage, garbage};
pub use language::{Language, detect_language};
pub use normalize::{Token, TokenKind, normalize, tokens};
pub use sentiment::{Label, NEUTRAL_BAND, Sentiment, sentiment};

/// Everything read from one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Analysis {
    pub language: Language,
    /// Why the text is not readable language; such text gets no sentiment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub garbage: Option<GarbageReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Each emotion 0…1 (none for garbage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emotions: Option<Emotions>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct GarbageReport {
    pub kind: Garbage,
    pub reason: &'static str,
}

/// Reads a comment: its language, whether it is garbage, and its sentiment.
pub fn analyze(text: &str) -> Analysis {
    let tokens = tokens(text);
    let garbage = garbage::garbage_of(text, &tokens).map(|kind| GarbageReport {
        kind,
        reason: kind.reason(),
    });
    let language = if garbage.is_some() {
        Language::Und
    } else {
        language::language_of(&tokens)
    };
    Analysis {
        language,
        garbage,
        sentiment: garbage
            .is_none()
            .then(|| sentiment::sentiment_of(text, &tokens, language)),
        emotions: garbage
            .is_none()
            .then(|| emotion::emotions_of(text, &tokens, language)),
    }
}

#[cfg(test)]
mod tests;
