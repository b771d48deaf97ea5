//! Snowball stems of a text's words, shared by sentiment, emotions and themes, which all match
//! their word lists on stems; and the vocabulary: the words read lately, shared by all threads,
//! each with an id, its class and, per language, its stem and what the lexicons say of it.
//! Customers use few words often: a word is looked up once per reading, when the text is split
//! into tokens, and stemmed, classed and looked up in the lexicons once per vocabulary. Its id
//! lets others (a taxonomy's matcher) remember what they found of it without hashing it again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock, RwLockReadGuard};

use rustc_hash::FxHashMap;
use smol_str::SmolStr;
use snowball_stemmers_rs::{Algorithm, Stemmer};

use crate::class::{Class, class};
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

/// The stem of every token (empty for tokens that are not words), its [`Facts`], and the word's
/// id in the vocabulary, in token order.
#[derive(Debug, Default)]
pub(crate) struct Stems {
    stems: Vec<Stem>,
    /// The vocabulary generation the ids belong to.
    generation: u64,
}

#[derive(Debug, Clone, Default)]
struct Stem {
    stem: SmolStr,
    facts: Facts,
    id: u32,
}

/// The id of a token that is not a word of the vocabulary.
pub(crate) const NO_ID: u32 = u32::MAX;

/// Most words the vocabulary holds before it starts again.
const MOST_WORDS: usize = 200_000;

/// Words and stems are kept inline (up to 23 bytes): finding a word and reading its stem touch
/// the entry alone.
#[derive(Debug)]
pub(crate) struct Vocabulary {
    /// Each word's id and class.
    ids: FxHashMap<SmolStr, (u32, Class)>,
    /// By id: the word's stem and facts in each language (by [`slot`]) it was read in.
    words: Vec<[Option<(SmolStr, Facts)>; 3]>,
    /// Changes (to a number never used before) when the vocabulary is emptied and ids start
    /// again.
    generation: u64,
}

/// Where a language's stems are kept (English for undetermined text, as its stemmer).
fn slot(language: Language) -> usize {
    match language {
        Language::Uk => 0,
        Language::Ru => 1,
        Language::En | Language::Und => 2,
    }
}

fn new_generation() -> u64 {
    static GENERATIONS: AtomicU64 = AtomicU64::new(1);
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

impl Vocabulary {
    fn lock() -> &'static RwLock<Vocabulary> {
        static VOCABULARY: OnceLock<RwLock<Vocabulary>> = OnceLock::new();
        VOCABULARY.get_or_init(|| {
            RwLock::new(Vocabulary {
                ids: FxHashMap::default(),
                words: Vec::new(),
                generation: new_generation(),
            })
        })
    }

    /// The vocabulary to read a text with. The guard is held while the text is split and
    /// stemmed, and must not be asked for again meanwhile.
    pub(crate) fn read() -> RwLockReadGuard<'static, Vocabulary> {
        Vocabulary::lock()
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A normalised word's id and class; [`NO_ID`] for a word not read lately.
    pub(crate) fn look_up(&self, word: &str) -> (u32, Class) {
        self.ids
            .get(word)
            .copied()
            .unwrap_or_else(|| (NO_ID, class(word)))
    }
}

impl Stems {
    /// The stems of a text's tokens, split with `vocabulary`, which is released before the words
    /// it did not know are added to it.
    pub(crate) fn of(
        tokens: &[Token],
        language: Language,
        vocabulary: RwLockReadGuard<'static, Vocabulary>,
    ) -> Stems {
        let slot = slot(language);
        let mut stems = Stems {
            stems: Vec::with_capacity(tokens.len()),
            generation: vocabulary.generation,
        };
        // The tokens whose words the vocabulary does not know in this language yet.
        let mut learned: Vec<usize> = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            if token.kind != TokenKind::Word {
                stems.stems.push(Stem {
                    id: NO_ID,
                    ..Stem::default()
                });
                continue;
            }
            let known = vocabulary
                .words
                .get(token.id as usize)
                .and_then(|stems| stems[slot].as_ref());
            let (stem, facts) = match known {
                Some((stem, facts)) => (stem.clone(), *facts),
                None => {
                    learned.push(i);
                    let stem = SmolStr::new(stemmer(language).stem(&token.text));
                    let facts = Facts::of(&stem, language);
                    (stem, facts)
                }
            };
            stems.stems.push(Stem {
                stem,
                facts,
                id: token.id,
            });
        }
        drop(vocabulary);
        if !learned.is_empty() {
            stems.learn(tokens, slot, &learned);
        }
        stems
    }

    /// Adds the words the vocabulary did not know, and gives them their ids.
    fn learn(&mut self, tokens: &[Token], slot: usize, learned: &[usize]) {
        let mut vocabulary = Vocabulary::lock()
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if vocabulary.words.len() + learned.len() > MOST_WORDS {
            vocabulary.ids.clear();
            vocabulary.words.clear();
            vocabulary.generation = new_generation();
        }
        if vocabulary.generation != self.generation {
            // The ids the text was read with belong to the generation just ended.
            for stem in &mut self.stems {
                stem.id = NO_ID;
            }
            self.generation = vocabulary.generation;
        }
        let Vocabulary { ids, words, .. } = &mut *vocabulary;
        for &i in learned {
            let token = &tokens[i];
            // Another text may have added the word meanwhile: its id stays.
            let id = match self.stems[i].id {
                NO_ID => {
                    ids.entry(SmolStr::new(&token.text))
                        .or_insert_with(|| {
                            words.push(Default::default());
                            ((words.len() - 1) as u32, token.class)
                        })
                        .0
                }
                id => id,
            };
            let stem = &self.stems[i];
            words[id as usize][slot].get_or_insert_with(|| (stem.stem.clone(), stem.facts));
            self.stems[i].id = id;
        }
    }

    /// The stem of token `i`.
    pub(crate) fn get(&self, i: usize) -> &str {
        &self.stems[i].stem
    }

    /// What the lexicons say of token `i`'s stem.
    pub(crate) fn facts(&self, i: usize) -> Facts {
        self.stems[i].facts
    }

    /// Token `i`'s word's id in the vocabulary (of [`Stems::generation`]); `None` for a token
    /// that is not a word.
    pub(crate) fn id(&self, i: usize) -> Option<u32> {
        Some(self.stems[i].id).filter(|id| *id != NO_ID)
    }

    /// The vocabulary generation the ids belong to.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}
