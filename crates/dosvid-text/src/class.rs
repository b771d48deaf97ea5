//! What a word is, found once per word of the vocabulary: the role it plays for the words
//! around it (sentiment, emotions, clause boundaries), the languages it is among the most
//! frequent words of (language identification, garbage, key phrases), and whether it was typed
//! by mashing the keyboard (garbage).

use std::sync::OnceLock;

use rustc_hash::FxHashMap as HashMap;

use crate::language::{EN_WORDS, RU_WORDS, UK_WORDS};
use crate::sentiment::{CONCORD, CONTRASTS, INTENSIFIERS, NEGATORS, Role, SOFTENERS};

/// Bits of [`Class::frequent`].
pub(crate) const UK: u8 = 1;
pub(crate) const RU: u8 = 2;
pub(crate) const EN: u8 = 4;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Class {
    pub role: Option<Role>,
    /// The languages ([`UK`], [`RU`], [`EN`]) the word is among the most frequent words of.
    pub frequent: u8,
    /// Typed by sliding along the keyboard (see [`crate::garbage`]).
    pub mashed: bool,
}

/// The class of a normalised word.
pub(crate) fn class(word: &str) -> Class {
    static CLASSES: OnceLock<HashMap<&'static str, Class>> = OnceLock::new();
    let classes = CLASSES.get_or_init(|| {
        let mut classes: HashMap<&'static str, Class> = HashMap::default();
        for (words, role) in [
            (CONCORD, Role::Concord),
            (SOFTENERS, Role::Softener),
            (INTENSIFIERS, Role::Intensifier),
            (NEGATORS, Role::Negator),
            (CONTRASTS, Role::Contrast),
        ] {
            for w in words {
                classes.entry(w).or_default().role = Some(role);
            }
        }
        for (words, bit) in [(UK_WORDS, UK), (RU_WORDS, RU), (EN_WORDS, EN)] {
            for w in words {
                classes.entry(w).or_default().frequent |= bit;
            }
        }
        classes
    });
    let mut class = classes.get(word).copied().unwrap_or_default();
    if class.role.is_none() && word.ends_with("n't") {
        class.role = Some(Role::Negator);
    }
    class.mashed = crate::garbage::mashed(word);
    class
}
