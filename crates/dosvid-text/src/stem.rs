//! Snowball stems of a text's words, computed once per analysis and shared by sentiment,
//! emotions and themes: stemming is most of the cost of reading a comment, and all three match
//! their word lists on the same stems. The stems live in one buffer, not a `String` per word,
//! and words seen lately are not stemmed again.

use std::cell::RefCell;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use snowball_stemmers_rs::{Algorithm, Stemmer};

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

/// The stem of every token (empty for tokens that are not words), in token order.
#[derive(Debug, Default)]
pub(crate) struct Stems {
    buffer: String,
    ends: Vec<u32>,
}

/// Words stemmed lately, per thread and language: customers use few words often, and a hash
/// look-up costs a fraction of running the Snowball algorithm again.
const CACHED_WORDS: usize = 200_000;

thread_local! {
    static CACHE: RefCell<[FxHashMap<Box<str>, Box<str>>; 3]> = RefCell::default();
}

impl Stems {
    pub(crate) fn of(tokens: &[Token], language: Language) -> Stems {
        let stemmer = stemmer(language);
        let slot = match language {
            Language::Uk => 0,
            Language::Ru => 1,
            Language::En | Language::Und => 2,
        };
        let mut stems = Stems {
            buffer: String::with_capacity(tokens.len() * 8),
            ends: Vec::with_capacity(tokens.len()),
        };
        CACHE.with_borrow_mut(|caches| {
            let cache = &mut caches[slot];
            for token in tokens {
                if token.kind == TokenKind::Word {
                    match cache.get(token.text.as_str()) {
                        Some(stem) => stems.buffer.push_str(stem),
                        None => {
                            let stem = stemmer.stem(&token.text);
                            stems.buffer.push_str(&stem);
                            if cache.len() >= CACHED_WORDS {
                                cache.clear();
                            }
                            cache.insert(token.text.as_str().into(), stem.as_ref().into());
                        }
                    }
                }
                stems.ends.push(stems.buffer.len() as u32);
            }
        });
        stems
    }

    /// The stem of token `i`.
    pub(crate) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buffer[start..self.ends[i] as usize]
    }
}
