//! The product's own words for the keys it shows — feedback sources, emotions, languages,
//! identity and transaction kinds, webhook events — in uk, en and ru: read by the pages' naming and by what the
//! server writes for people (a template's prefilled entries).

/// The product's own words by (kind, key): uk, en, ru.
pub const WORDS: &[(&str, &str, [&str; 3])] = &[
    ("source", "survey", ["опитування", "survey", "опрос"]),
    ("source", "review", ["відгук", "review", "отзыв"]),
    ("source", "complaint", ["скарга", "complaint", "жалоба"]),
    ("source", "social", ["соцмережі", "social media", "соцсети"]),
    ("source", "other", ["інше", "other", "другое"]),
    ("emotion", "anger", ["гнів", "anger", "гнев"]),
    (
        "emotion",
        "frustration",
        ["роздратування", "frustration", "раздражение"],
    ),
    ("emotion", "anxiety", ["тривога", "anxiety", "тревога"]),
    (
        "emotion",
        "confusion",
        ["розгубленість", "confusion", "растерянность"],
    ),
    ("emotion", "joy", ["радість", "joy", "радость"]),
    (
        "emotion",
        "gratitude",
        ["вдячність", "gratitude", "благодарность"],
    ),
    (
        "emotion",
        "surprise",
        ["здивування", "surprise", "удивление"],
    ),
    ("language", "uk", ["українська", "Ukrainian", "украинский"]),
    ("language", "ru", ["російська", "Russian", "русский"]),
    ("language", "en", ["англійська", "English", "английский"]),
    (
        "language",
        "und",
        ["не визначено", "undetermined", "не определён"],
    ),
    ("identity", "email", ["e-mail", "e-mail", "e-mail"]),
    ("identity", "phone", ["телефон", "phone", "телефон"]),
    (
        "identity",
        "external",
        ["в іншій системі", "external", "в другой системе"],
    ),
    ("identity", "social", ["соцмережа", "social", "соцсеть"]),
    (
        "transaction_kind",
        "purchase",
        ["купівля", "purchase", "покупка"],
    ),
    (
        "transaction_kind",
        "recurring",
        [
            "регулярний платіж",
            "recurring payment",
            "регулярный платёж",
        ],
    ),
    (
        "transaction_kind",
        "refund",
        ["повернення коштів", "refund", "возврат средств"],
    ),
    (
        "webhook_event",
        "feedback.created",
        ["новий відгук", "new feedback", "новый отзыв"],
    ),
    (
        "webhook_event",
        "alert.fired",
        ["спрацювало правило", "alert fired", "сработало правило"],
    ),
    (
        "webhook_event",
        "case.created",
        ["новий кейс", "case opened", "новый кейс"],
    ),
    (
        "webhook_event",
        "case.updated",
        ["зміна кейсу", "case changed", "изменение кейса"],
    ),
];

/// The word for `key` of `kind` in `language` (`uk`, `en`, `ru`; English otherwise).
pub fn word(kind: &str, key: &str, language: &str) -> Option<&'static str> {
    let at = match language {
        "uk" => 0,
        "ru" => 2,
        _ => 1,
    };
    WORDS
        .iter()
        .find(|(k, x, _)| *k == kind && *x == key)
        .map(|(_, _, names)| names[at])
}
