//! The forms of a Ukrainian or Russian lemma, so that a lexicon written as lemmas matches the
//! forms customers write. The Snowball stemmers conflate most adjective and noun forms, but not
//! all verb forms ("чекати" → `чек`, "чекала" → `чека`; "рекомендувати" → `рекомендув`,
//! "рекомендую" → `рекоменду`) nor some participles ("розчарований" → `розч`): the lexicon
//! stems each generated form, so a lemma counts in every form the stemmer keeps apart.
//!
//! The paradigms are the regular ones, chosen by the lemma's ending (adjectives, the main noun
//! declensions, verbs by their infinitive's class, reflexive verbs, adverbs in -о with their
//! adjective). A form the language does not have is harmless: nobody writes it. English needs
//! none (its stemmer conflates its few forms).

use crate::language::Language;

/// The lemma and its regular forms.
pub(crate) fn forms(lemma: &str, language: Language) -> Vec<String> {
    let mut out = vec![lemma.to_owned()];
    match language {
        Language::Uk => uk(lemma, &mut out),
        Language::Ru => ru(lemma, &mut out),
        Language::En | Language::Und => {}
    }
    out
}

/// The forms of a reflexive verb (infinitive ending in `infinitive` + -ся/-сь): its plain
/// verb's forms, each with -ся and -сь. False when `lemma` is none.
fn reflexive(
    lemma: &str,
    infinitive: &str,
    verb: fn(&str, &mut Vec<String>),
    out: &mut Vec<String>,
) -> bool {
    let Some(plain) = lemma
        .strip_suffix("ся")
        .or_else(|| lemma.strip_suffix("сь"))
        .filter(|v| v.ends_with(infinitive))
    else {
        return false;
    };
    let mut forms = Vec::new();
    verb(plain, &mut forms);
    for form in forms {
        out.push(format!("{form}ся"));
        out.push(format!("{form}сь"));
    }
    true
}

/// `stem` + each ending.
fn with(out: &mut Vec<String>, stem: &str, endings: &[&str]) {
    out.extend(endings.iter().map(|e| format!("{stem}{e}")));
}

fn letters(word: &str) -> usize {
    word.chars().count()
}

const UK_ADJECTIVE: &[&str] = &[
    "ий", "а", "е", "і", "ого", "ому", "ої", "ій", "им", "их", "ими", "у", "ою", "ім",
];

fn uk(lemma: &str, out: &mut Vec<String>) {
    if reflexive(lemma, "ти", uk_verb, out) {
        return;
    }
    if lemma.ends_with("ти") && letters(lemma) > 4 {
        uk_verb(lemma, out);
    } else if let Some(stem) = lemma.strip_suffix("ий").or_else(|| lemma.strip_suffix('і')) {
        with(out, stem, UK_ADJECTIVE);
        with(out, stem, &["о"]);
    } else if let Some(stem) = lemma.strip_suffix('о').filter(|_| letters(lemma) >= 6) {
        with(out, stem, UK_ADJECTIVE);
    } else if let Some(stem) = lemma.strip_suffix("ість") {
        with(out, stem, &["ості", "істю"]);
    } else if let Some((stem, c)) = [("ння", "н"), ("ття", "т")]
        .iter()
        .find_map(|(end, c)| Some((lemma.strip_suffix(end)?, c)))
    {
        with(
            out,
            &format!("{stem}{c}{c}"),
            &["ю", "ям", "ях", "ями", "і"],
        );
        with(out, stem, &[&format!("{c}ь")]);
    } else if let Some(stem) = lemma.strip_suffix('а') {
        with(out, stem, &["", "и", "і", "у", "ою", "ам", "ами", "ах"]);
    } else if let Some(stem) = lemma.strip_suffix('я') {
        with(out, stem, &["і", "ю", "ею", "ям", "ями", "ях"]);
    } else if lemma.ends_with(|c: char| !"аеєиіїоуюяь'".contains(c)) && letters(lemma) >= 3
    {
        with(
            out,
            lemma,
            &["а", "у", "ові", "ом", "і", "и", "ів", "ам", "ами", "ах"],
        );
    }
}

/// A Ukrainian verb's past, present and imperative forms from its infinitive (…ти).
fn uk_verb(infinitive: &str, out: &mut Vec<String>) {
    let s = &infinitive[..infinitive.len() - "ти".len()];
    if s.ends_with(|c: char| "аеиіоуюя".contains(c)) {
        with(out, s, &["в", "ла", "ло", "ли"]);
    }
    if let Some(root) = s.strip_suffix("ува").or_else(|| s.strip_suffix("юва")) {
        let u = if s.ends_with("ува") { "у" } else { "ю" };
        let endings = ["ю", "єш", "є", "ємо", "єте", "ють", "й", "йте"];
        out.extend(endings.iter().map(|e| format!("{root}{u}{e}")));
    } else if s.ends_with('а') || s.ends_with('я') || s.ends_with('і') {
        with(out, s, &["ю", "єш", "є", "ємо", "єте", "ють", "й", "йте"]);
        if let Some(root) = s.strip_suffix('і') {
            with(out, root, &["иш", "ить", "имо", "ите", "ять", "іть"]);
        }
    } else if let Some(root) = s.strip_suffix('и') {
        with(
            out,
            root,
            &[
                "ю", "у", "иш", "ить", "имо", "ите", "ять", "ать", "и", "іть",
            ],
        );
    } else if let Some(root) = s.strip_suffix('у') {
        with(
            out,
            root,
            &["у", "еш", "е", "емо", "ете", "уть", "и", "іть"],
        );
    }
}

const RU_ADJECTIVE: &[&str] = &[
    "ый", "ий", "ой", "ая", "яя", "ое", "ее", "ые", "ие", "ого", "его", "ому", "ему", "ую", "юю",
    "ым", "им", "ых", "их", "ыми", "ими", "ом", "ем", "ей", "о", "а", "ы",
];

fn ru(lemma: &str, out: &mut Vec<String>) {
    if reflexive(lemma, "ть", ru_verb, out) {
        return;
    }
    if lemma.ends_with("ть") && !lemma.ends_with("ость") && letters(lemma) > 4 {
        ru_verb(lemma, out);
    } else if let Some(stem) = ["ый", "ий", "ой", "ые", "ие"]
        .iter()
        .find_map(|e| lemma.strip_suffix(e))
        .filter(|_| letters(lemma) >= 5)
    {
        with(out, stem, RU_ADJECTIVE);
    } else if let Some(stem) = lemma.strip_suffix('о').filter(|_| letters(lemma) >= 6) {
        with(out, stem, RU_ADJECTIVE);
    } else if let Some(stem) = lemma.strip_suffix("ость") {
        with(out, stem, &["ости", "остью", "остей"]);
    } else if let Some(stem) = lemma.strip_suffix("ие") {
        with(out, stem, &["ия", "ию", "ием", "ии", "ий", "иями", "иях"]);
    } else if let Some(stem) = lemma.strip_suffix('а') {
        with(
            out,
            stem,
            &["", "ы", "и", "е", "у", "ой", "ам", "ами", "ах"],
        );
    } else if let Some(stem) = lemma.strip_suffix('я') {
        with(out, stem, &["и", "е", "ю", "ей", "ям", "ями", "ях"]);
    } else if lemma.ends_with(|c: char| !"аеёиоуыэюяьй".contains(c)) && letters(lemma) >= 3
    {
        with(
            out,
            lemma,
            &["а", "у", "ом", "е", "ы", "и", "ов", "ам", "ами", "ах"],
        );
    }
}

/// A Russian verb's past, present and imperative forms from its infinitive (…ть).
fn ru_verb(infinitive: &str, out: &mut Vec<String>) {
    let s = &infinitive[..infinitive.len() - "ть".len()];
    with(out, s, &["л", "ла", "ло", "ли"]);
    if let Some(root) = s.strip_suffix("ова").or_else(|| s.strip_suffix("ева")) {
        with(
            out,
            root,
            &["ую", "уешь", "ует", "уем", "уете", "уют", "уй", "уйте"],
        );
    } else if s.ends_with('а') || s.ends_with('я') || s.ends_with('е') {
        with(out, s, &["ю", "ешь", "ет", "ем", "ете", "ют", "й", "йте"]);
        if let Some(root) = s.strip_suffix('е') {
            with(out, root, &["ит", "ят", "ишь", "им"]);
        }
    } else if let Some(root) = s.strip_suffix('и') {
        with(
            out,
            root,
            &["ю", "у", "ишь", "ит", "им", "ите", "ят", "ат", "и"],
        );
    } else if let Some(root) = s.strip_suffix('у') {
        with(
            out,
            root,
            &["у", "ешь", "ет", "ем", "ете", "ут", "и", "ите"],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stem::stemmer;

    /// Forms the Snowball stemmer keeps apart from their lemma are among the generated ones.
    #[test]
    fn a_lemma_brings_the_forms_its_stemmer_keeps_apart() {
        let cases = [
            (Language::Uk, "чекати", "чекала"),
            (Language::Uk, "рекомендувати", "рекомендую"),
            (Language::Uk, "розчарований", "розчарована"),
            (Language::Uk, "розчарування", "розчарувань"),
            (Language::Uk, "обманювати", "обманюють"),
            (Language::Uk, "жахливо", "жахливий"),
            (Language::Uk, "ввічливість", "ввічливістю"),
            (Language::Uk, "розчаруватися", "розчарувалася"),
            (Language::Ru, "рекомендовать", "рекомендую"),
            (Language::Ru, "обмануть", "обманули"),
            (Language::Ru, "ужасно", "ужасного"),
            (Language::Ru, "разочароваться", "разочаровался"),
        ];
        for (language, lemma, form) in cases {
            let stems: Vec<_> = forms(lemma, language)
                .iter()
                .map(|f| stemmer(language).stem(f).into_owned())
                .collect();
            let stem = stemmer(language).stem(form).into_owned();
            assert!(
                stems.contains(&stem),
                "{lemma} → {form} ({stem} ∉ {stems:?})"
            );
        }
    }
}
