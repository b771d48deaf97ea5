//! Which language a comment is in: Ukrainian, Russian, English, or undetermined. Letters decide
//! most Cyrillic texts (і ї є ґ are Ukrainian only; ы э ъ ё Russian only); frequent words decide
//! the rest; a Cyrillic text with no sign either way is taken as Russian, the likelier of the two
//! in texts that avoid every Ukrainian letter.

use rustc_hash::FxHashSet as HashSet;
use std::sync::OnceLock;

use serde::Serialize;

use crate::normalize::{Token, TokenKind, tokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Uk,
    Ru,
    En,
    /// Too little text, or none of the three.
    Und,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Uk => "uk",
            Language::Ru => "ru",
            Language::En => "en",
            Language::Und => "und",
        }
    }
}

/// Frequent Ukrainian words spelt without the letters only Ukrainian has.
const UK_WORDS: &[&str] = &[
    "що",
    "як",
    "та",
    "але",
    "це",
    "ні",
    "мені",
    "вже",
    "ще",
    "дуже",
    "було",
    "буде",
    "його",
    "вона",
    "ми",
    "ви",
    "вони",
    "коли",
    "тому",
    "щоб",
    "якщо",
    "чому",
    "де",
    "зараз",
    "треба",
    "можна",
    "нема",
    "дякую",
    "ласка",
    "добрий",
    "з",
    "й",
    "або",
    "теж",
    "також",
    "лише",
    "чи",
    "були",
    "був",
    "була",
    "мене",
    "який",
    "яка",
    "яке",
    "цей",
    "ця",
    "ось",
    "завжди",
    "добре",
    "погано",
    "швидко",
    "замовлення",
    "привіт",
    "знову",
    "розчарований",
    "розумію",
];

/// Frequent Russian words spelt without the letters only Russian has.
const RU_WORDS: &[&str] = &[
    "и",
    "что",
    "как",
    "но",
    "очень",
    "будет",
    "его",
    "он",
    "она",
    "они",
    "от",
    "когда",
    "потому",
    "если",
    "почему",
    "где",
    "сейчас",
    "надо",
    "можно",
    "нет",
    "спасибо",
    "пожалуйста",
    "привет",
    "здравствуйте",
    "с",
    "к",
    "или",
    "тоже",
    "только",
    "ли",
    "меня",
    "тебя",
    "какой",
    "какая",
    "какое",
    "какие",
    "вот",
    "мой",
    "сегодня",
    "всегда",
    "никогда",
    "хорошо",
    "плохо",
    "заказ",
    "деньги",
    "уже",
    "еще",
    "да",
    "нужно",
    "сколько",
    "почему",
    "вообще",
];

/// Frequent English words: enough of them tell English from other Latin-script text.
const EN_WORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "is", "are",
    "was", "were", "be", "been", "it", "this", "that", "i", "you", "he", "she", "we", "they", "my",
    "your", "our", "me", "not", "no", "yes", "do", "does", "did", "have", "has", "had", "can",
    "will", "would", "just", "so", "very", "good", "bad", "great", "thanks", "thank", "please",
    "service", "flight", "from", "what", "why", "how", "when", "all", "get", "got", "now", "again",
    "still", "time", "if", "out", "up", "there", "their", "by", "about", "phone", "customer",
];

/// A word list as a set, built once.
fn set(
    list: &'static [&'static str],
    cell: &'static OnceLock<HashSet<&'static str>>,
) -> &'static HashSet<&'static str> {
    cell.get_or_init(|| list.iter().copied().collect())
}

static UK_SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
static RU_SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
static EN_SET: OnceLock<HashSet<&'static str>> = OnceLock::new();

/// Whether a word is among the most frequent of any of the three languages.
pub(crate) fn is_frequent_word(word: &str) -> bool {
    set(UK_WORDS, &UK_SET).contains(word)
        || set(RU_WORDS, &RU_SET).contains(word)
        || set(EN_WORDS, &EN_SET).contains(word)
}

pub(crate) fn is_english_word(word: &str) -> bool {
    set(EN_WORDS, &EN_SET).contains(word)
}

pub fn detect_language(text: &str) -> Language {
    language_of(&tokens(text))
}

/// [`detect_language`] of a text already split into tokens.
pub(crate) fn language_of(tokens: &[Token]) -> Language {
    let (mut cyrillic, mut latin) = (0usize, 0usize);
    let (mut uk, mut ru, mut en) = (0usize, 0usize, 0usize);
    for token in tokens.iter().filter(|t| t.kind == TokenKind::Word) {
        let word = token.text.as_str();
        for c in word.chars() {
            match c {
                'і' | 'ї' | 'є' | 'ґ' => {
                    cyrillic += 1;
                    uk += 3;
                }
                'ы' | 'э' | 'ъ' | 'ё' => {
                    cyrillic += 1;
                    ru += 3;
                }
                '\'' => {}
                c if ('\u{0400}'..='\u{04FF}').contains(&c) => cyrillic += 1,
                c if c.is_ascii_alphabetic() => latin += 1,
                _ => {}
            }
        }
        // An apostrophe between Cyrillic letters is Ukrainian spelling (м'ята).
        if word.contains('\'') && word.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
            uk += 2;
        }
        uk += 2 * usize::from(set(UK_WORDS, &UK_SET).contains(word));
        ru += 2 * usize::from(set(RU_WORDS, &RU_SET).contains(word));
        en += usize::from(is_english_word(word));
    }
    if cyrillic + latin < 2 {
        return Language::Und;
    }
    if cyrillic >= latin {
        return if uk > ru { Language::Uk } else { Language::Ru };
    }
    // Latin script: English when it reads like English.
    if en > 0 || !crate::garbage::unlike_english(tokens) {
        Language::En
    } else {
        Language::Und
    }
}
