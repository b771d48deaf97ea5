//! Reading what customers write, in Ukrainian, Russian and English: normalisation and
//! tokens, the language of a comment, and whether it is readable text at all (garbage: Cyrillic
//! OCR'd into Latin look-alikes, mojibake, keyboard mashing). Pure, no models downloaded: the
//! word lists and rules are ours. `eval` alone reads files: the labelled sets it is measured on.

mod class;
mod emerging;
mod emotion;
pub mod eval;
mod garbage;
mod language;
pub mod learn;
mod lexicon;
mod morph;
mod normalize;
mod repair;
mod sentiment;
mod stem;
mod themes;

pub use emerging::{EmergingPhrase, emerging, key_phrases};
pub use emotion::{EMOTIONS, Emotions};
pub use garbage::{Garbage, garbage};
pub use language::{Language, detect_language};
pub use normalize::{Token, TokenKind, normalize, tokens};
pub use sentiment::{Label, NEUTRAL_BAND, Sentiment, sentiment};
pub use themes::{MAX_THEMES, Taxonomy, TaxonomyError, ThemeDefinition, ThemeMatch, Themes};

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
    /// The themes of the taxonomy the text mentions, each with the sentiment of its clause.
    pub themes: Vec<ThemeMatch>,
    /// Broken text read back as it was before it broke (encodings mixed up, OCR's look-alike
    /// letters); its language, sentiment, emotions and themes are read from this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repaired: Option<String>,
}

impl Analysis {
    /// The distinct keys of the themes found, in the order first found.
    pub fn theme_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for m in &self.themes {
            if !keys.contains(&m.theme.as_str()) {
                keys.push(&m.theme);
            }
        }
        keys
    }
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct GarbageReport {
    pub kind: Garbage,
    pub reason: &'static str,
}

/// Reads a comment with the default theme taxonomy.
pub fn analyze(text: &str) -> Analysis {
    analyze_with(text, Themes::default_themes())
}

/// Reads a comment: its language, whether it is garbage, and — for readable text — its
/// sentiment, emotions and themes. Every word is stemmed once, for all three.
pub fn analyze_with(text: &str, themes: &Themes) -> Analysis {
    let vocabulary = stem::Vocabulary::read();
    let tokens = normalize::tokens_with(text, &vocabulary);
    let Some((kind, repaired)) = garbage::garbage_and_repair(text, &tokens) else {
        return read(text, &tokens, vocabulary, themes);
    };
    let garbage = Some(GarbageReport {
        kind,
        reason: kind.reason(),
    });
    match repaired {
        Some(repaired) => {
            let tokens = normalize::tokens_with(&repaired, &vocabulary);
            let read = read(&repaired, &tokens, vocabulary, themes);
            Analysis {
                garbage,
                repaired: Some(repaired),
                ..read
            }
        }
        None => Analysis {
            language: Language::Und,
            garbage,
            sentiment: None,
            emotions: None,
            themes: Vec::new(),
            repaired: None,
        },
    }
}

/// The reading of readable text: language, sentiment, emotions, themes.
fn read(
    text: &str,
    tokens: &[normalize::Token],
    vocabulary: std::sync::RwLockReadGuard<'static, stem::Vocabulary>,
    themes: &Themes,
) -> Analysis {
    let garbage = None;
    let language = language::language_of(tokens);
    let stems = stem::Stems::of(tokens, language, vocabulary);
    let mut sentiment = sentiment::sentiment_of(text, tokens, &stems, language);
    if let Some(reader) = themes.reader() {
        sentiment = reader.read(&learn::features_of(tokens, &stems, sentiment.score));
    }
    let analysis = Analysis {
        language,
        garbage,
        sentiment: Some(sentiment),
        emotions: Some(emotion::emotions_of(text, tokens, &stems, language)),
        themes: themes::themes_of(text, tokens, &stems, language, themes),
        repaired: None,
    };
    stems.learn(tokens);
    analysis
}

#[cfg(test)]
mod tests;
