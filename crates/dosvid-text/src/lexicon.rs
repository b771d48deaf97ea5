//! A lexicon of stems — single words and two-word phrases, each with a value (a sentiment
//! weight, an emotion) — stemmed in its language once, when it is first used. Sentiment and
//! emotions each keep one per language.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::language::Language;
use crate::morph::forms;
use crate::stem::stemmer;

pub(crate) struct Lexicon<T> {
    words: HashMap<String, T>,
    /// Two-word phrases ("a b"), and the stems they start with.
    phrases: HashMap<String, T>,
    phrase_starts: HashSet<String>,
}

/// Whether the stem of a lemma's form is long enough to be the lemma's own: the Ukrainian
/// stemmer cuts some words to three letters ("потішити" and "потім" are both `пот`), a stem
/// that would give the weight of one to the other.
fn distinctive(lemma: &str, stem: &str) -> bool {
    let letters = stem.chars().count();
    letters >= 4 || 2 * letters >= lemma.chars().count()
}

impl<T: Copy> Lexicon<T> {
    /// The entries stemmed in `language`; where two have the same stems, the later stands.
    /// A one-word entry is a lemma: each of its forms ([`forms`]) counts, unless an entry of
    /// its own has the form's stem. Entries of more than two words are not read.
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
        let mut of_forms: HashMap<String, T> = HashMap::default();
        for (entry, value) in entries {
            let stems: Vec<String> = entry
                .split(' ')
                .map(|w| stemmer.stem(w).into_owned())
                .collect();
            match &stems[..] {
                [one] => {
                    if distinctive(entry, one) {
                        lexicon.words.insert(one.clone(), *value);
                    }
                    for form in forms(entry, language).iter().skip(1) {
                        let stem = stemmer.stem(form).into_owned();
                        if distinctive(entry, &stem) {
                            of_forms.entry(stem).or_insert(*value);
                        }
                    }
                }
                [a, b] => {
                    lexicon.phrase_starts.insert(a.clone());
                    lexicon.phrases.insert(format!("{a} {b}"), *value);
                }
                _ => {}
            }
        }
        for (stem, value) in of_forms {
            lexicon.words.entry(stem).or_insert(value);
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
