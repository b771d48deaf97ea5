//! Snowball stems of a text's words, computed once per analysis and shared by sentiment,
//! emotions and themes: stemming is most of the cost of reading a comment, and all three match
//! their word lists on the same stems. The stems live in one buffer, not a `String` per word,
//! and words seen lately are not stemmed again.

use std::sync::{OnceLock, RwLock};

use rustc_hash::FxHashMap;
use snowball_stemmers_rs::{Algorithm, Stemmer};

use crate::emotion::Emotion;
use crate::language::Language;
use crate::normalize::{Token, TokenKind};

/// The stemmer of a language (English for undetermined text, whose words are mostly Latin).
pub(crate) fn stemmer(language: Language) -> &'static Stemmer {
    static UK: OnceLock<Stemmer> = OnceLock::new();
    static RU: OnceLock<Stemmer> = OnceLock::new();
    static EN: OnceLock<Stemmer> = OnceLock::new();
    match language {
        Language::Uk => UK.get_or_init(|| Stemmer::create(Algorithm::Ukrainian)),
        Language::Ru => RU.get_or_init(|| Stemmer::create(Algorithm::Russian)),
        Language::En | Language::Und => EN.get_or_init(|| Stemmer::create(Algorithm::English)),
    }
}

/// What the sentiment and emotion lexicons of a language say of a stem, looked up once, when a
/// word is first stemmed, instead of on every reading of the word.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts {
    pub sentiment: Option<f32>,
    /// The stem starts a two-word sentiment phrase.
    pub sentiment_phrase: bool,
    pub emotion: Option<Emotion>,
    /// The stem starts a two-word emotion phrase.
    pub emotion_phrase: bool,
}

impl Facts {
    fn of(stem: &str, language: Language) -> Facts {
        let (sentiment, sentiment_phrase) = crate::sentiment::lexicon_facts(stem, language);
        let (emotion, emotion_phrase) = crate::emotion::lexicon_facts(stem, language);
        Facts {
            sentiment,
            sentiment_phrase,
            emotion,
            emotion_phrase,
        }
    }
}

/// The stem of every token (empty for tokens that are not words) and its [`Facts`], in token
/// order.
#[derive(Debug, Default)]
pub(crate) struct Stems {
    buffer: String,
    ends: Vec<u32>,
    facts: Vec<Facts>,
}

/// Words stemmed lately, per language, shared by all threads: customers use few words often,
/// and a hash look-up costs a fraction of running the Snowball algorithm again. A text takes
/// the read lock once; the words it was first to see are added after.
const CACHED_WORDS: usize = 200_000;

/// A word's stem and what the lexicons say of it.
type Known = (Box<str>, Facts);

type Cache = RwLock<FxHashMap<Box<str>, Known>>;

fn cache(language: Language) -> &'static Cache {
    static CACHES: [OnceLock<Cache>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match language {
        Language::Uk => 0,
        Language::Ru => 1,
        Language::En | Language::Und => 2,
    };
    CACHES[slot].get_or_init(Cache::default)
}

impl Stems {
    pub(crate) fn of(tokens: &[Token], language: Language) -> Stems {
        let stemmer = stemmer(language);
        let cache = cache(language);
        let mut stems = Stems {
            buffer: String::with_capacity(tokens.len() * 8),
            ends: Vec::with_capacity(tokens.len()),
            facts: Vec::with_capacity(tokens.len()),
        };
        let mut learned: Vec<(Box<str>, Known)> = Vec::new();
        {
            let known = cache
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for token in tokens {
                let mut facts = Facts::default();
                if token.kind == TokenKind::Word {
                    match known.get(token.text.as_str()) {
                        Some((stem, known_facts)) => {
                            stems.buffer.push_str(stem);
                            facts = *known_facts;
                        }
                        None => {
                            let stem = stemmer.stem(&token.text);
                            facts = Facts::of(&stem, language);
                            stems.buffer.push_str(&stem);
                            learned
                                .push((token.text.as_str().into(), (stem.as_ref().into(), facts)));
                        }
                    }
                }
                stems.ends.push(stems.buffer.len() as u32);
                stems.facts.push(facts);
            }
        }
        if !learned.is_empty() {
            let mut known = cache
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if known.len() + learned.len() > CACHED_WORDS {
                known.clear();
            }
            known.extend(learned);
        }
        stems
    }

    /// The stem of token `i`.
    pub(crate) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buffer[start..self.ends[i] as usize]
    }

    /// What the lexicons say of token `i`'s stem.
    pub(crate) fn facts(&self, i: usize) -> Facts {
        self.facts[i]
    }
}
