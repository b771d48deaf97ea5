//! A lexicon of stems — single words and two-word phrases, each with a value (a sentiment
//! weight, an emotion) — stemmed in its language once, when it is first used. Sentiment and
//! emotions each keep one per language.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::language::Language;
use crate::stem::stemmer;

pub(crate) struct Lexicon<T> {
    words: HashMap<String, T>,
    /// Two-word phrases ("a b"), and the stems they start with.
    phrases: HashMap<String, T>,
    phrase_starts: HashSet<String>,
}

impl<T: Copy> Lexicon<T> {
    /// The entries stemmed in `language`; where two have the same stems, the later stands.
    /// Entries of more than two words are not read.
    pub(crate) fn new<'a>(
        language: Language,
        entries: impl IntoIterator<Item = &'a (&'a str, T)>,
    ) -> Self
    where
        T: 'a,
    {
        let stemmer = stemmer(language);
        let mut lexicon = Lexicon {
            words: HashMap::default(),
            phrases: HashMap::default(),
            phrase_starts: HashSet::default(),
        };
        for (entry, value) in entries {
            let stems: Vec<String> = entry
                .split(' ')
                .map(|w| stemmer.stem(w).into_owned())
                .collect();
            match &stems[..] {
                [one] => {
                    lexicon.words.insert(one.clone(), *value);
                }
                [a, b] => {
                    lexicon.phrase_starts.insert(a.clone());
                    lexicon.phrases.insert(format!("{a} {b}"), *value);
                }
                _ => {}
            }
        }
        lexicon
    }

    /// A stem's value as a word, and whether it starts a phrase.
    pub(crate) fn facts(&self, stem: &str) -> (Option<T>, bool) {
        (
            self.words.get(stem).copied(),
            self.phrase_starts.contains(stem),
        )
    }

    /// The value of the phrase of two stems; `key` is room to write the phrase in.
    pub(crate) fn phrase(&self, first: &str, second: &str, key: &mut String) -> Option<T> {
        key.clear();
        key.push_str(first);
        key.push(' ');
        key.push_str(second);
        self.phrases.get(key.as_str()).copied()
    }
}
