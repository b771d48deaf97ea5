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
/// word is first stemmed, instead of on every reading of the word; in eight bytes, as the
/// vocabulary keeps three of them beside each word.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Facts {
    sentiment: f32,
    emotion: Option<Emotion>,
    /// [`STEMMED`], [`SENTIMENT`], [`SENTIMENT_PHRASE`], [`EMOTION_PHRASE`].
    flags: u8,
}

/// Bits of [`Facts::flags`]: the word was stemmed (the facts are known), the stem has a
/// sentiment weight, it starts a two-word sentiment phrase, or an emotion phrase.
const STEMMED: u8 = 1;
const SENTIMENT: u8 = 2;
const SENTIMENT_PHRASE: u8 = 4;
const EMOTION_PHRASE: u8 = 8;

impl Facts {
    fn of(word: &str, stem: &str, language: Language) -> Facts {
        let (sentiment, sentiment_phrase) = crate::sentiment::facts(word, stem, language);
        let (emotion, emotion_phrase) = crate::emotion::lexicon(language).facts(stem);
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Facts {
            sentiment: sentiment.unwrap_or_default(),
            emotion,
            flags: STEMMED
                | flag(sentiment.is_some(), SENTIMENT)
                | flag(sentiment_phrase, SENTIMENT_PHRASE)
                | flag(emotion_phrase, EMOTION_PHRASE),
        }
    }

    pub(crate) fn stemmed(self) -> bool {
        self.flags & STEMMED != 0
    }

    /// These facts, with the weight and the emotion of `other` where these have none (phrases
    /// stay these facts' own: they are looked up in their language's lexicon).
    fn or(self, other: Facts) -> Facts {
        let mut facts = self;
        if self.sentiment().is_none() && other.sentiment().is_some() {
            facts.sentiment = other.sentiment;
            facts.flags |= SENTIMENT;
        }
        facts.emotion = self.emotion.or(other.emotion);
        facts
    }

    pub(crate) fn sentiment(self) -> Option<f32> {
        (self.flags & SENTIMENT != 0).then_some(self.sentiment)
    }

    pub(crate) fn sentiment_phrase(self) -> bool {
        self.flags & SENTIMENT_PHRASE != 0
    }

    pub(crate) fn emotion(self) -> Option<Emotion> {
        self.emotion
    }

    pub(crate) fn emotion_phrase(self) -> bool {
        self.flags & EMOTION_PHRASE != 0
    }
}

/// The stems of a text's tokens (empty for tokens that are not words), their [`Facts`], and
/// the words' ids in the vocabulary, in token order. The vocabulary is read while they are in
/// use (a known word's stem is read from it only when asked for); [`Stems::learn`] then adds
/// the words it did not know.
#[derive(Debug)]
pub(crate) struct Stems {
    vocabulary: RwLockReadGuard<'static, Vocabulary>,
    slot: usize,
    stems: Vec<Stem>,
    /// The words stemmed for this text.
    fresh: Vec<Fresh>,
    /// The vocabulary generation the ids belong to.
    generation: u64,
}

#[derive(Debug, Clone, Copy)]
struct Stem {
    facts: Facts,
    id: u32,
    /// The stem's place in [`Stems::fresh`], or [`NOT_FRESH`].
    fresh: u32,
}

const NOT_FRESH: u32 = u32::MAX;

/// A word stemmed in a language for the first time, to be learned after the text.
#[derive(Debug)]
struct Fresh {
    token: usize,
    slot: usize,
    stem: SmolStr,
    facts: Facts,
}

/// The language whose lexicons a word of a Ukrainian or Russian comment is also read with: English
/// for a word of Latin letters (whose facts come first), the other of the two for a Cyrillic word
/// the comment's language gives no weight or no emotion.
fn mixed_in(token: &Token, language: Language, facts: Facts) -> Option<Language> {
    let other = match language {
        Language::Uk => Language::Ru,
        Language::Ru => Language::Uk,
        Language::En | Language::Und => return None,
    };
    if token.counts.cyrillic == 0 && token.counts.ascii > 0 {
        Some(Language::En)
    } else {
        (facts.sentiment().is_none() || facts.emotion().is_none()).then_some(other)
    }
}

/// The id of a token that is not a word of the vocabulary.
pub(crate) const NO_ID: u32 = u32::MAX;

/// Most words the vocabulary holds before it starts again.
const MOST_WORDS: usize = 200_000;

/// The words read lately. What is read of every word (id, class, facts) is kept beside the word
/// itself, inline (words of up to 23 bytes), so that a word costs one place in memory; its stems
/// are kept apart, read only when a phrase or a pattern needs them.
#[derive(Debug)]
pub(crate) struct Vocabulary {
    words: FxHashMap<SmolStr, Known>,
    /// By id, the word's stem in each language (by [`slot`]) it was read in.
    stems: Vec<[SmolStr; 3]>,
    /// Changes (to a number never used before) when the vocabulary is emptied and ids start
    /// again.
    generation: u64,
}

/// What the vocabulary knows of a word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known {
    pub id: u32,
    pub class: Class,
    /// By language ([`slot`]); [`Facts::stemmed`] once read in it.
    pub facts: [Facts; 3],
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

impl Known {
    /// Nothing known: a number, or a word not read lately (with its class).
    pub(crate) const NONE: Known = Known {
        id: NO_ID,
        class: Class {
            role: None,
            frequent: 0,
            mashed: false,
        },
        facts: [Facts {
            sentiment: 0.0,
            emotion: None,
            flags: 0,
        }; 3],
    };
}

impl Vocabulary {
    fn lock() -> &'static RwLock<Vocabulary> {
        static VOCABULARY: OnceLock<RwLock<Vocabulary>> = OnceLock::new();
        VOCABULARY.get_or_init(|| {
            RwLock::new(Vocabulary {
                words: FxHashMap::default(),
                stems: Vec::new(),
                generation: new_generation(),
            })
        })
    }

    /// The vocabulary to read a text with: held while the text is split, stemmed and read, and
    /// not to be asked for again meanwhile.
    pub(crate) fn read() -> RwLockReadGuard<'static, Vocabulary> {
        Vocabulary::lock()
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What is known of a normalised word: for a word not read lately, [`NO_ID`], its class
    /// and no facts.
    pub(crate) fn look_up(&self, word: &str) -> Known {
        self.words.get(word).copied().unwrap_or_else(|| Known {
            class: class(word),
            ..Known::NONE
        })
    }
}

impl Stems {
    /// The stems of a text's tokens, split with `vocabulary`.
    pub(crate) fn of(
        tokens: &[Token],
        language: Language,
        vocabulary: RwLockReadGuard<'static, Vocabulary>,
    ) -> Stems {
        let slot = slot(language);
        let mut stems = Vec::with_capacity(tokens.len());
        let mut fresh = Vec::new();
        // A word's facts in a language: the vocabulary's, or found now (and learned after).
        let mut facts_in = |i: usize, token: &Token, language: Language| -> (Facts, u32) {
            match token.facts[self::slot(language)] {
                facts if facts.stemmed() => (facts, NOT_FRESH),
                _ => {
                    let word_stem = SmolStr::new(stemmer(language).stem(&token.text));
                    let facts = Facts::of(&token.text, &word_stem, language);
                    fresh.push(Fresh {
                        token: i,
                        slot: self::slot(language),
                        stem: word_stem,
                        facts,
                    });
                    (facts, (fresh.len() - 1) as u32)
                }
            }
        };
        for (i, token) in tokens.iter().enumerate() {
            let mut stem = Stem {
                facts: Facts::default(),
                id: token.id,
                fresh: NOT_FRESH,
            };
            if token.kind == TokenKind::Word {
                (stem.facts, stem.fresh) = facts_in(i, token, language);
                // Ukrainian and Russian comments mix in each other's words and English ones:
                // such a word is read with its own language's lexicons (the stem the themes and
                // phrases use stays the comment's).
                if let Some(other) = mixed_in(token, language, stem.facts) {
                    let (facts, _) = facts_in(i, token, other);
                    stem.facts = if other == Language::En {
                        facts.or(stem.facts)
                    } else {
                        stem.facts.or(facts)
                    };
                }
            }
            stems.push(stem);
        }
        Stems {
            generation: vocabulary.generation,
            vocabulary,
            slot,
            stems,
            fresh,
        }
    }

    /// Adds the words the vocabulary did not know, releasing it first.
    pub(crate) fn learn(self, tokens: &[Token]) {
        let Stems {
            vocabulary, fresh, ..
        } = self;
        drop(vocabulary);
        if fresh.is_empty() {
            return;
        }
        let mut vocabulary = Vocabulary::lock()
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if vocabulary.stems.len() + fresh.len() > MOST_WORDS {
            vocabulary.words.clear();
            vocabulary.stems.clear();
            vocabulary.generation = new_generation();
        }
        let Vocabulary { words, stems, .. } = &mut *vocabulary;
        for Fresh {
            token,
            slot,
            stem,
            facts,
        } in fresh
        {
            let token = &tokens[token];
            // Another text may have added the word meanwhile.
            let known = words.entry(SmolStr::new(&token.text)).or_insert_with(|| {
                stems.push(Default::default());
                Known {
                    id: (stems.len() - 1) as u32,
                    class: token.class,
                    facts: Default::default(),
                }
            });
            if !known.facts[slot].stemmed() {
                known.facts[slot] = facts;
                stems[known.id as usize][slot] = stem;
            }
        }
    }

    /// The stem of token `i`.
    pub(crate) fn get(&self, i: usize) -> &str {
        let stem = &self.stems[i];
        if stem.fresh != NOT_FRESH {
            &self.fresh[stem.fresh as usize].stem
        } else if stem.id != NO_ID {
            &self.vocabulary.stems[stem.id as usize][self.slot]
        } else {
            ""
        }
    }

    /// What the lexicons say of token `i`'s stem.
    pub(crate) fn facts(&self, i: usize) -> Facts {
        self.stems[i].facts
    }

    /// Token `i`'s word's id in the vocabulary (of [`Stems::generation`]); `None` for a token
    /// that is not a word or a word the vocabulary does not know yet.
    pub(crate) fn id(&self, i: usize) -> Option<u32> {
        Some(self.stems[i].id).filter(|id| *id != NO_ID)
    }

    /// The vocabulary generation the ids belong to.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}
