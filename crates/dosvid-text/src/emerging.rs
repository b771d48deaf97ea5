//! Emerging themes: what customers start talking about that no theme of the taxonomy covers.
//! The key phrases of the uncovered comments of a period — content-word stems and pairs of
//! adjacent ones — are counted against the period before; each phrase comes with the pairs that
//! contain it, its growth (its share of comments now over its share then, with one added to the
//! earlier count so a new phrase has a finite growth) and the share of its comments that are
//! negative.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use crate::language::language_of;
use crate::normalize::{TokenKind, tokens_with};
use crate::stem::{Stems, Vocabulary};

/// The key phrases of a comment: the stems of its content words (three letters or more, not
/// among the most frequent words) and "stem stem" for adjacent pairs of them, each once.
pub fn key_phrases(text: &str) -> Vec<String> {
    let vocabulary = Vocabulary::read();
    let tokens = tokens_with(text, &vocabulary);
    let stems = Stems::of(&tokens, language_of(&tokens), vocabulary);
    let mut out: Vec<String> = Vec::new();
    let mut previous: Option<&str> = None;
    for (i, token) in tokens.iter().enumerate() {
        let content = token.kind == TokenKind::Word
            && token.text.chars().count() >= 3
            && token.class.frequent == 0;
        if !content {
            previous = None;
            continue;
        }
        let stem = stems.get(i);
        if let Some(p) = previous {
            out.push(format!("{p} {stem}"));
        }
        out.push(stem.to_owned());
        previous = Some(stem);
    }
    stems.learn(&tokens);
    let mut seen = HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EmergingPhrase {
    /// A stem, as the comments' words were reduced to it.
    pub phrase: String,
    /// Uncovered comments of the period with it, and of the period before.
    pub comments: u64,
    pub previous: u64,
    /// Its share of the period's uncovered comments over its share before.
    pub growth: f64,
    /// Share of its comments read as negative, 0–1.
    pub negative_share: f64,
    /// The most frequent two-word phrases containing it.
    pub phrases: Vec<String>,
    /// One comment that says it.
    pub example: String,
}

/// Counts the key phrases of the current and previous uncovered comments (text, negative?) and
/// returns the `limit` phrases seen in at least `min_comments` comments, by growth (or, with
/// `by_negative`, by negative share), then by volume.
pub fn emerging<'a>(
    current: impl IntoIterator<Item = (&'a str, bool)>,
    previous: impl IntoIterator<Item = &'a str>,
    min_comments: u64,
    limit: usize,
    by_negative: bool,
) -> Vec<EmergingPhrase> {
    #[derive(Default)]
    struct Count<'a> {
        now: u64,
        negative: u64,
        example: Option<&'a str>,
    }
    let mut counts: HashMap<String, Count<'a>> = HashMap::new();
    let mut n_now = 0u64;
    for (text, negative) in current {
        n_now += 1;
        for phrase in key_phrases(text) {
            let c = counts.entry(phrase).or_default();
            c.now += 1;
            c.negative += u64::from(negative);
            c.example.get_or_insert(text);
        }
    }
    let mut before: HashMap<String, u64> = HashMap::new();
    let mut n_before = 0u64;
    for text in previous {
        n_before += 1;
        for phrase in key_phrases(text) {
            if counts.contains_key(&phrase) {
                *before.entry(phrase).or_default() += 1;
            }
        }
    }
    let pairs: Vec<(&String, u64)> = counts
        .iter()
        .filter(|(p, c)| p.contains(' ') && c.now >= min_comments)
        .map(|(p, c)| (p, c.now))
        .collect();
    let mut out: Vec<EmergingPhrase> = counts
        .iter()
        .filter(|(p, c)| !p.contains(' ') && c.now >= min_comments.max(1))
        .map(|(phrase, c)| {
            let previous = before.get(phrase).copied().unwrap_or(0);
            let share_now = c.now as f64 / n_now.max(1) as f64;
            let share_before = (previous + 1) as f64 / (n_before + 1) as f64;
            let mut related: Vec<(&String, u64)> = pairs
                .iter()
                .filter(|(p, _)| p.split(' ').any(|w| w == phrase))
                .copied()
                .collect();
            related.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            EmergingPhrase {
                phrase: phrase.clone(),
                comments: c.now,
                previous,
                growth: share_now / share_before,
                negative_share: c.negative as f64 / c.now as f64,
                phrases: related
                    .into_iter()
                    .take(3)
                    .map(|(p, _)| p.clone())
                    .collect(),
                example: c.example.unwrap_or_default().to_owned(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let (x, y) = if by_negative {
            (a.negative_share, b.negative_share)
        } else {
            (a.growth, b.growth)
        };
        y.total_cmp(&x)
            .then(b.comments.cmp(&a.comments))
            .then(a.phrase.cmp(&b.phrase))
    });
    out.truncate(limit);
    out
}
