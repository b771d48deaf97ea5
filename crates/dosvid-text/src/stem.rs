//! Snowball stems of a text's words, computed once per analysis and shared by sentiment,
//! emotions and themes: stemming is most of the cost of reading a comment, and all three match
//! their word lists on the same stems. The stems live in one buffer, not a `String` per word,
//! and words seen lately are not stemmed again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

use rustc_hash::FxHashMap;
use smol_str::SmolStr;
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

/// The stem of every token (empty for tokens that are not words), its [`Facts`], and the id
/// the word has in the cache of words stemmed lately, in token order.
#[derive(Debug, Default)]
pub(crate) struct Stems {
    buffer: String,
    ends: Vec<u32>,
    facts: Vec<Facts>,
    ids: Vec<u32>,
    /// The cache generation the ids belong to.
    generation: u64,
}

/// [`Stems`]' id of a token that is not a cached word.
const NO_ID: u32 = u32::MAX;

/// Words stemmed lately, per language, shared by all threads: customers use few words often,
/// and a hash look-up costs a fraction of running the Snowball algorithm again. A text takes
/// the read lock once; the words it was first to see are added after.
const CACHED_WORDS: usize = 200_000;

/// A word's stem, what the lexicons say of it, and its id: a number no other word of the cache
/// has in the same generation, with which others (a taxonomy's matcher) remember what they found
/// of the word without hashing it again.
struct Known {
    stem: SmolStr,
    facts: Facts,
    id: u32,
}

#[derive(Default)]
struct Cache {
    /// Words and stems are kept inline (up to 23 bytes), so that finding a word and reading its
    /// stem touch one place in memory, not three.
    words: FxHashMap<SmolStr, Known>,
    /// Changes (to a number never used before) when the cache is emptied and ids start again.
    generation: u64,
}

impl Cache {
    fn new_generation() -> u64 {
        static GENERATIONS: AtomicU64 = AtomicU64::new(1);
        GENERATIONS.fetch_add(1, Ordering::Relaxed)
    }
}

fn cache(language: Language) -> &'static RwLock<Cache> {
    static CACHES: [OnceLock<RwLock<Cache>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match language {
        Language::Uk => 0,
        Language::Ru => 1,
        Language::En | Language::Und => 2,
    };
    CACHES[slot].get_or_init(|| {
        RwLock::new(Cache {
            words: FxHashMap::default(),
            generation: Cache::new_generation(),
        })
    })
}

impl Stems {
    pub(crate) fn of(tokens: &[Token], language: Language) -> Stems {
        let stemmer = stemmer(language);
        let cache = cache(language);
        let mut stems = Stems {
            buffer: String::with_capacity(tokens.len() * 8),
            ends: Vec::with_capacity(tokens.len()),
            facts: Vec::with_capacity(tokens.len()),
            ids: Vec::with_capacity(tokens.len()),
            generation: 0,
        };
        // (token, word, stem, facts) of the words the cache does not know yet.
        let mut learned: Vec<(usize, SmolStr, SmolStr, Facts)> = Vec::new();
        {
            let known = cache
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            stems.generation = known.generation;
            for (i, token) in tokens.iter().enumerate() {
                let (mut facts, mut id) = (Facts::default(), NO_ID);
                if token.kind == TokenKind::Word {
                    match known.words.get(&*token.text) {
                        Some(word) => {
                            stems.buffer.push_str(&word.stem);
                            (facts, id) = (word.facts, word.id);
                        }
                        None => {
                            let stem = stemmer.stem(&token.text);
                            facts = Facts::of(&stem, language);
                            stems.buffer.push_str(&stem);
                            learned.push((
                                i,
                                token.text.as_ref().into(),
                                stem.as_ref().into(),
                                facts,
                            ));
                        }
                    }
                }
                stems.ends.push(stems.buffer.len() as u32);
                stems.facts.push(facts);
                stems.ids.push(id);
            }
        }
        if !learned.is_empty() {
            let mut known = cache
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if known.words.len() + learned.len() > CACHED_WORDS {
                known.words.clear();
                known.generation = Cache::new_generation();
            }
            if known.generation != stems.generation {
                // The ids read before belong to the generation just ended.
                stems.ids.fill(NO_ID);
                stems.generation = known.generation;
            }
            for (i, word, stem, facts) in learned {
                // Ids are the order words entered this generation in (another text may have
                // entered the word meanwhile: its id stays).
                let next = known.words.len() as u32;
                let entry = known.words.entry(word).or_insert(Known {
                    stem,
                    facts,
                    id: next,
                });
                stems.ids[i] = entry.id;
            }
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

    /// Token `i`'s word's id in the cache of words stemmed lately (of [`Stems::generation`]);
    /// `None` for a token that is not a word.
    pub(crate) fn id(&self, i: usize) -> Option<u32> {
        Some(self.ids[i]).filter(|id| *id != NO_ID)
    }

    /// The cache generation the ids belong to.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}
