//! Which language a comment is in: Ukrainian, Russian, English, or undetermined. Letters decide
//! most Cyrillic texts (і ї є ґ are Ukrainian only; ы э ъ ё Russian only); frequent words decide
//! the rest; a Cyrillic text with no sign either way is taken as Russian, the likelier of the two
//! in texts that avoid every Ukrainian letter.

use serde::Serialize;

use crate::class;
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
pub(crate) const UK_WORDS: &[&str] = &[
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
pub(crate) const RU_WORDS: &[&str] = &[
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
pub(crate) const EN_WORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "is", "are",
    "was", "were", "be", "been", "it", "this", "that", "i", "you", "he", "she", "we", "they", "my",
    "your", "our", "me", "not", "no", "yes", "do", "does", "did", "have", "has", "had", "can",
    "will", "would", "just", "so", "very", "good", "bad", "great", "thanks", "thank", "please",
    "service", "flight", "from", "what", "why", "how", "when", "all", "get", "got", "now", "again",
    "still", "time", "if", "out", "up", "there", "their", "by", "about", "phone", "customer",
];

pub fn detect_language(text: &str) -> Language {
    language_of(&tokens(text))
}

/// [`detect_language`] of a text already split into tokens.
pub(crate) fn language_of(tokens: &[Token]) -> Language {
    let (mut cyrillic, mut latin) = (0u32, 0u32);
    let (mut uk, mut ru, mut en) = (0u32, 0u32, 0u32);
    for token in tokens.iter().filter(|t| t.kind == TokenKind::Word) {
        let counts = &token.counts;
        cyrillic += counts.cyrillic;
        latin += counts.ascii;
        uk += 3 * counts.uk_only;
        ru += 3 * counts.ru_only;
        // An apostrophe between Cyrillic letters is Ukrainian spelling (м'ята).
        if counts.apostrophes > 0 && counts.cyrillic > 0 {
            uk += 2;
        }
        let frequent = token.class.frequent;
        uk += 2 * u32::from(frequent & class::UK != 0);
        ru += 2 * u32::from(frequent & class::RU != 0);
        en += u32::from(frequent & class::EN != 0);
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
