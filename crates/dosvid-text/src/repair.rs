//! Text that broke on its way in, found and read again where the breakage can be undone:
//! - encodings mixed up: UTF-8 read as Windows-1251 or Latin-1 (once or twice), Windows-1251 or
//!   KOI8 read as Latin-1, KOI8 read as Windows-1251 — undone by encoding the characters back
//!   to the bytes they were and decoding those as they were meant, and kept when the result
//!   reads as Ukrainian or Russian;
//! - letters lost to `?` on the way (nothing to undo);
//! - Cyrillic print read by OCR as Latin look-alikes, digits and letter pairs, in any case
//!   (`MEXAHI3MY`, `AKTYyaJIbHICTh`, `Cnacu6o 3a nomowb`): each word is read back as the
//!   Cyrillic word its letters most plausibly were.
//!
//! "Reads as Ukrainian or Russian" is judged by letter pairs: the pairs of neighbouring letters
//! (and of a word's edges) found in the words of Dosvid's own word lists, against English's.

use std::sync::OnceLock;

use rustc_hash::FxHashSet as HashSet;

/// Windows-1251 bytes 0x80–0xBF (0x98, unassigned, as U+0098, as the WHATWG encoding standard
/// reads it); 0xC0–0xFF are А…я in order.
const CP1251_HIGH: &str =
    "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—\u{98}™љ›њќћџ\u{A0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{AD}®Ї°±Ііґµ¶·ё№є»јЅѕї";
/// Windows-1252 bytes 0x80–0x9F (unassigned ones as the C1 controls Latin-1 has there).
const CP1252_HIGH: &str = "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ";
/// KOI8-R bytes 0xC0–0xFF.
const KOI8_LETTERS: &str = "юабцдефгхийклмнопярстужвьызшэщчъЮАБЦДЕФГХИЙКЛМНОПЯРСТУЖВЬЫЗШЭЩЧЪ";
/// KOI8-U's letters below 0xC0.
const KOI8_U: [(u8, char); 10] = [
    (0xA3, 'ё'),
    (0xA4, 'є'),
    (0xA6, 'і'),
    (0xA7, 'ї'),
    (0xAD, 'ґ'),
    (0xB3, 'Ё'),
    (0xB4, 'Є'),
    (0xB6, 'І'),
    (0xB7, 'Ї'),
    (0xBD, 'Ґ'),
];

fn latin_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        code @ 0..=0xFF => Some(code as u8),
        _ => CP1252_HIGH
            .chars()
            .position(|h| h == c)
            .map(|i| 0x80 + i as u8),
    }
}

fn cp1251_byte(c: char) -> Option<u8> {
    match c {
        '\0'..='\u{7F}' => Some(c as u8),
        'А'..='я' => Some(0xC0 + (u32::from(c) - u32::from('А')) as u8),
        _ => CP1251_HIGH
            .chars()
            .position(|h| h == c)
            .map(|i| 0x80 + i as u8),
    }
}

fn cp1251_char(b: u8) -> Option<char> {
    match b {
        0..=0x7F => Some(b as char),
        0xC0..=0xFF => char::from_u32(u32::from('А') + u32::from(b - 0xC0)),
        _ => CP1251_HIGH.chars().nth(usize::from(b - 0x80)),
    }
}

fn koi8_char(b: u8) -> Option<char> {
    match b {
        0..=0x7F => Some(b as char),
        0xC0..=0xFF => KOI8_LETTERS.chars().nth(usize::from(b - 0xC0)),
        _ => KOI8_U.iter().find(|(k, _)| *k == b).map(|(_, c)| *c),
    }
}

/// The text's characters as the bytes `encode` says they were, read as UTF-8. A few bytes lost
/// on the way (a character the wrong encoding had no place for) become `�`; more, and the
/// reading fails.
fn through_utf8(text: &str, encode: fn(char) -> Option<u8>) -> Option<String> {
    let bytes: Vec<u8> = text.chars().map(|c| encode(c).unwrap_or(b'?')).collect();
    let read = String::from_utf8_lossy(&bytes);
    let lost = read.chars().filter(|c| *c == '\u{FFFD}').count();
    (lost * 20 <= read.chars().count()).then(|| read.into_owned())
}

/// The text's characters as the bytes `encode` says they were, each read by `decode`.
fn through(
    text: &str,
    encode: fn(char) -> Option<u8>,
    decode: fn(u8) -> Option<char>,
) -> Option<String> {
    text.chars().map(|c| decode(encode(c)?)).collect()
}

/// The pairs and triples of neighbouring letters in a language's words, `^` and `$` marking a
/// word's edges: pairs choose how OCR's letters are read back, triples judge the reading.
struct Letters {
    pairs: HashSet<(char, char)>,
    triples: HashSet<[char; 3]>,
}

impl Letters {
    fn of<'a>(words: impl IntoIterator<Item = &'a str>) -> Letters {
        let mut letters = Letters {
            pairs: HashSet::default(),
            triples: HashSet::default(),
        };
        for entry in words {
            for word in entry.split(|c: char| !c.is_alphabetic() && c != '\'') {
                if word.is_empty() {
                    continue;
                }
                let edged: Vec<char> = std::iter::once('^')
                    .chain(word.chars().flat_map(char::to_lowercase))
                    .chain(std::iter::once('$'))
                    .collect();
                for w in edged.windows(2) {
                    letters.pairs.insert((w[0], w[1]));
                }
                for w in edged.windows(3) {
                    letters.triples.insert([w[0], w[1], w[2]]);
                }
            }
        }
        letters
    }

    fn has(&self, a: char, b: char) -> bool {
        self.pairs.contains(&(a, b))
    }

    /// The share of a word's letter triples (edges included) this language's words have.
    fn share(&self, word: &str) -> f64 {
        let (mut a, mut b) = ('^', '\0');
        let (mut known, mut triples) = (0usize, 0usize);
        let letters = word
            .chars()
            .map(|c| c.to_lowercase().next().unwrap_or(c))
            .chain(std::iter::once('$'));
        for (i, c) in letters.enumerate() {
            if i > 0 {
                triples += 1;
                known += usize::from(self.triples.contains(&[a, b, c]));
                a = b;
            }
            b = c;
        }
        known as f64 / triples.max(1) as f64
    }
}

fn cyrillic_words() -> impl Iterator<Item = &'static str> {
    let sentiment = crate::sentiment::UK.iter().chain(crate::sentiment::RU);
    let emotion = crate::emotion::UK.iter().chain(crate::emotion::RU);
    sentiment
        .map(|(w, _)| *w)
        .chain(emotion.map(|(w, _)| *w))
        .chain(crate::language::UK_WORDS.iter().copied())
        .chain(crate::language::RU_WORDS.iter().copied())
        .chain(crate::themes::Taxonomy::default_taxonomy().words(&["uk", "ru"]))
}

fn english_words() -> impl Iterator<Item = &'static str> {
    crate::sentiment::EN
        .iter()
        .map(|(w, _)| *w)
        .chain(crate::emotion::EN.iter().map(|(w, _)| *w))
        .chain(crate::language::EN_WORDS.iter().copied())
        .chain(crate::themes::Taxonomy::default_taxonomy().words(&["en"]))
}

/// Letters of Ukrainian and Russian words, from Dosvid's own word lists.
fn cyrillic() -> &'static Letters {
    static LETTERS: OnceLock<Letters> = OnceLock::new();
    LETTERS.get_or_init(|| Letters::of(cyrillic_words()))
}

/// Letters of English words, from Dosvid's own word lists.
fn english() -> &'static Letters {
    static LETTERS: OnceLock<Letters> = OnceLock::new();
    LETTERS.get_or_init(|| Letters::of(english_words()))
}

/// How much a text reads as Ukrainian or Russian, 0…1: its share of Cyrillic letters times the
/// share of its words' letter triples that Ukrainian and Russian words have.
pub(crate) fn cyrillic_likeness(text: &str) -> f64 {
    let (mut letters, mut cyrillic_letters) = (0usize, 0usize);
    let (mut pairs, mut known) = (0usize, 0f64);
    for word in text.split(|c: char| !c.is_alphabetic()) {
        if word.is_empty() {
            continue;
        }
        let n = word.chars().count();
        letters += n;
        cyrillic_letters += word.chars().filter(|c| is_cyrillic(*c)).count();
        // A word of one letter says little (and a mix-up makes many: `Р В Р’`).
        if n > 1 {
            pairs += n;
            known += cyrillic().share(word) * n as f64;
        }
    }
    if letters == 0 || pairs == 0 {
        return 0.0;
    }
    (cyrillic_letters as f64 / letters as f64) * (known / pairs as f64)
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// The text as it was before its encoding was mixed up, when it was: of the ways to undo a
/// mix-up, the one whose result reads best as Ukrainian or Russian, if it reads well and much
/// better than the text.
pub(crate) fn encoding_repaired(text: &str) -> Option<String> {
    if text.is_ascii() {
        return None;
    }
    // Only a text with a character a mix-up leaves: Latin-1's letters and signs, or
    // Windows-1251's below its letters.
    // At least two, and one character in twenty: a comment's « » or ° are not enough.
    let (mut marks, mut chars) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        chars += 1;
        marks += usize::from(
            ('\u{80}'..='\u{24F}').contains(&c)
                || (c > '\u{24F}' && !is_cyrillic(c) && CP1251_HIGH.contains(c)),
        );
    }
    if marks < 2 || marks * 20 < chars {
        return None;
    }
    let before = cyrillic_likeness(text);
    if before >= 0.6 {
        return None;
    }
    let once = |t: &str| -> Vec<String> {
        [
            through_utf8(t, cp1251_byte),
            through_utf8(t, latin_byte),
            through(t, latin_byte, cp1251_char),
            through(t, latin_byte, koi8_char),
            through(t, cp1251_byte, koi8_char),
        ]
        .into_iter()
        .flatten()
        .filter(|r| r != t)
        .collect()
    };
    let mut candidates = once(text);
    // Decoded wrongly twice: undo it twice.
    let second: Vec<String> = candidates.iter().flat_map(|c| once(c)).collect();
    candidates.extend(second);
    let (best, score) = candidates
        .into_iter()
        .map(|c| {
            let score = cyrillic_likeness(&c);
            (c, score)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (score >= 0.35 && score >= before + 0.25).then_some(best)
}

/// A one-byte Cyrillic encoding read as Latin-1 (`Ïðèâåò`): most letters are Latin-1's
/// accented ones, which no language writes most of its letters with.
pub(crate) fn accented_mostly(text: &str) -> bool {
    // Latin-1's letters À…ÿ are the UTF-8 sequences starting with C3.
    if !text.as_bytes().contains(&0xC3) {
        return false;
    }
    let (mut letters, mut accented) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        accented += usize::from(('\u{C0}'..='\u{FF}').contains(&c));
    }
    accented >= 4 && accented * 10 >= letters * 6
}

/// UTF-8 read as Windows-1251 more than once (`Р В¤РЎР‚`): Р and С, which start every pair,
/// make up a third of the letters and stand alone as words again and again.
pub(crate) fn doubled_mixup(text: &str) -> bool {
    let alone = text
        .split_whitespace()
        .filter(|w| matches!(*w, "Р" | "С"))
        .count();
    if alone < 3 {
        return false;
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let leads = text.chars().filter(|c| matches!(c, 'Р' | 'С')).count();
    leads >= 4 && leads * 10 >= letters * 3
}

/// Letters lost to `?` on the way in: at least four, in runs, making up most of the text.
pub(crate) fn letters_lost(text: &str) -> bool {
    // A byte search (memchr) first: most comments have no `?` at all.
    if !text.as_bytes().contains(&b'?') || !text.contains("??") {
        return false;
    }
    let (mut marks, mut runs, mut chars, mut previous) = (0usize, 0usize, 0usize, ' ');
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        chars += 1;
        if c == '?' {
            marks += 1;
            runs += usize::from(previous == '?');
        }
        previous = c;
    }
    marks >= 4 && runs * 2 >= marks && marks * 2 >= chars
}

/// What OCR makes of Cyrillic letters: the Latin letters, letter pairs and digits that look
/// like them (lower case; upright print and italics both).
const LOOKALIKES: [(&str, &str); 38] = [
    ("iii", "ш"),
    ("ji", "л"),
    ("jl", "л"),
    ("bi", "ы"),
    ("bl", "ы"),
    ("io", "ю"),
    ("a", "а"),
    ("b", "ьбв"),
    ("c", "с"),
    ("d", "д"),
    ("e", "ев"),
    ("g", "д"),
    ("h", "ьн"),
    ("i", "іи"),
    ("k", "к"),
    ("l", "і"),
    ("m", "тм"),
    ("n", "пнли"),
    ("o", "о"),
    ("p", "р"),
    ("r", "г"),
    ("s", "я"),
    ("t", "т"),
    ("u", "ич"),
    ("v", "в"),
    ("w", "шщ"),
    ("x", "х"),
    ("y", "у"),
    ("z", "з"),
    ("f", "ф"),
    ("0", "о"),
    ("3", "з"),
    ("4", "ч"),
    ("6", "б"),
    ("8", "в"),
    ("9", "д"),
    ("q", "д"),
    ("j", "ј"),
];

/// What a capital stands for where it differs from its small letter's look-alikes: print
/// capitals are upright (`M` is М, where an italic `m` is т).
const CAPITALS: [(char, &str); 6] = [
    ('b', "в"),
    ('h', "н"),
    ('m', "м"),
    ('r', "я"),
    ('e', "е"),
    ('i', "і"),
];

/// The Cyrillic word a Latin-script word most plausibly was, and the share of its letter pairs
/// Cyrillic words have; `None` when a character has no look-alike.
fn cyrillic_reading(word: &str) -> Option<String> {
    let lower: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let upper: Vec<bool> = word.chars().map(char::is_uppercase).collect();
    if lower.len() != upper.len() {
        return None;
    }
    let pairs = cyrillic();
    // best[i]: for each last letter, the most known pairs reading lower[..i], and the reading.
    let mut best: Vec<Vec<(char, usize, String)>> = vec![Vec::new(); lower.len() + 1];
    best[0].push(('^', 0, String::new()));
    for i in 0..lower.len() {
        if best[i].is_empty() {
            continue;
        }
        // What the characters from i on may stand for: a Cyrillic letter OCR read right for
        // itself, else each look-alike that starts here (a print capital for its own letters).
        let mut readings: Vec<(usize, &str)> = Vec::new();
        let own = lower[i].to_string();
        if is_cyrillic(lower[i]) {
            readings.push((1, &own));
        } else {
            for (latin, letters) in LOOKALIKES {
                let n = latin.chars().count();
                if i + n > lower.len() || !lower[i..i + n].iter().copied().eq(latin.chars()) {
                    continue;
                }
                let capital = CAPITALS
                    .iter()
                    .find(|(c, _)| n == 1 && upper[i] && *c == lower[i]);
                readings.push((n, capital.map_or(letters, |(_, letters)| letters)));
            }
        }
        for (n, letters) in readings {
            for letter in letters.chars() {
                let Some((known, reading)) = best[i]
                    .iter()
                    .map(|(last, known, reading)| {
                        (known + usize::from(pairs.has(*last, letter)), reading)
                    })
                    .fold(None, |kept: Option<(usize, &String)>, next| match kept {
                        Some(k) if k.0 >= next.0 => Some(k),
                        _ => Some(next),
                    })
                else {
                    continue;
                };
                let mut reading = reading.clone();
                if upper[i] {
                    reading.extend(letter.to_uppercase());
                } else {
                    reading.push(letter);
                }
                let slot = &mut best[i + n];
                match slot.iter_mut().find(|(last, _, _)| *last == letter) {
                    Some(kept) if kept.1 >= known => {}
                    Some(kept) => *kept = (letter, known, reading),
                    None => slot.push((letter, known, reading)),
                }
            }
        }
    }
    let (_, reading) = first_best(
        best[lower.len()]
            .iter()
            .map(|(last, known, reading)| (known + usize::from(pairs.has(*last, '$')), reading)),
    )?;
    let capitals = upper.iter().filter(|u| **u).count();
    let latin_letters = word.chars().filter(char::is_ascii_alphabetic).count();
    // A word in capitals is read in capitals, digits and small letter pairs included.
    Some(if capitals * 3 >= latin_letters * 2 {
        reading.to_uppercase()
    } else {
        reading.clone()
    })
}

/// The reading with the most known pairs; of equals, the first (the first look-alike listed).
fn first_best<'a>(
    readings: impl Iterator<Item = (usize, &'a String)>,
) -> Option<(usize, &'a String)> {
    readings.fold(None, |kept, next| match kept {
        Some(k) if k.0 >= next.0 => Some(k),
        _ => Some(next),
    })
}

/// Whether a Latin-script word reads as OCR's Cyrillic: digits among its letters, capitals
/// after small letters, or letter pairs far more Cyrillic (read back) than English.
fn ocr_word(word: &str) -> Option<String> {
    let letters = word.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let readable = |c: &char| c.is_ascii_alphanumeric() || is_cyrillic(*c);
    if letters == 0 || word.chars().count() < 3 || !word.chars().all(|c| readable(&c)) {
        return None;
    }
    // An English-looking word is not read further (most words of most Latin-script texts).
    let english_share = english().share(word);
    if english_share >= 0.5 {
        return None;
    }
    let reading = cyrillic_reading(word)?;
    let cyrillic_share = cyrillic().share(&reading);
    let chars: Vec<char> = word.chars().collect();
    // A digit with letters on both sides (`MEXAHI3MY`), or leading a word of letters and
    // digits (`00C8I00M`); a digit only at the end is a model number (`mp3`, `A4`).
    let digit_inside = (1..chars.len().saturating_sub(1)).any(|i| {
        chars[i].is_ascii_digit()
            && chars[..i].iter().any(char::is_ascii_alphabetic)
            && chars[i + 1..].iter().any(char::is_ascii_alphabetic)
    }) || (chars[0].is_ascii_digit()
        && letters >= 2
        && chars.iter().filter(|c| c.is_ascii_digit()).count() >= 2);
    // A capital after a small letter, then a small one again or twice (`AKTYyaJIbHICTh`,
    // `ynpaeninHa`); one such step is a name written together (`iPhone`, `McDonald`).
    let steps = chars
        .windows(2)
        .filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        .count();
    let mixed_case = steps >= 2
        || (steps == 1
            && chars.last().is_some_and(char::is_ascii_lowercase)
            && chars[0].is_ascii_lowercase());
    let strong = (digit_inside || mixed_case) && cyrillic_share >= 0.3 && english_share < 0.5;
    // Chosen on garbled text against the clean labelled sets (`tests.rs`): the most caught with
    // no clean text of 21,162 flagged.
    let reads_cyrillic =
        english_share < 0.4 && cyrillic_share >= 0.35 && cyrillic_share >= english_share + 0.25;
    (strong || reads_cyrillic).then_some(reading)
}

/// The Cyrillic text OCR misread as Latin look-alikes, if the text is that: most of its
/// Latin-script words (at least two) read as OCR's Cyrillic and none is a frequent English word.
pub(crate) fn ocr_repaired(text: &str, english_word: bool) -> Option<String> {
    if english_word || !text.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    // Mostly Cyrillic text with a Latin name in it is no OCR of Cyrillic: one cheap pass first.
    let (mut latin_letters, mut cyrillic_letters) = (0usize, 0usize);
    for c in text.chars() {
        latin_letters += usize::from(c.is_ascii_alphabetic());
        cyrillic_letters += usize::from(is_cyrillic(c));
    }
    if latin_letters == 0 || latin_letters * 2 < cyrillic_letters {
        return None;
    }
    let (mut words, mut misread_letters, mut judged_letters) = (0, 0, 0);
    // Letters of the words proper (mentions and links left out).
    let (mut word_latin, mut word_cyrillic) = (0usize, 0usize);
    // The misread words: where they stand in the text, and what they were.
    let mut readings: Vec<(usize, usize, String)> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let start = rest
            .find(|c: char| c.is_ascii_alphanumeric() || is_cyrillic(c))
            .unwrap_or(rest.len());
        let after_sign = rest[..start]
            .chars()
            .next_back()
            .is_some_and(|c| "@#/._-:=&?%+~".contains(c));
        at += start;
        let rest = &text[at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || is_cyrillic(c)))
            .unwrap_or(rest.len());
        let mut after = rest[end..].chars();
        let joined = matches!(after.next(), Some('@' | '.' | '/' | ':' | '_'))
            && after
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '/');
        if after_sign || joined {
            // A mention, a hashtag, an address or a link: not a word, left as it is.
            at += rest.find(char::is_whitespace).unwrap_or(rest.len());
            continue;
        }
        let word = &rest[..end];
        if word.is_empty() {
            continue;
        }
        let (from, to) = (at, at + end);
        at = to;
        let letters = word.chars().filter(char::is_ascii_alphabetic).count();
        word_latin += letters;
        word_cyrillic += word.chars().filter(|c| is_cyrillic(*c)).count();
        // Words of one or two characters (`HE`, `3a`) can be anything: they are not judged.
        if letters == 0 || word.chars().count() < 3 {
            continue;
        }
        words += 1;
        judged_letters += letters;
        if let Some(reading) = ocr_word(word) {
            misread_letters += letters;
            readings.push((from, to, reading));
        }
    }
    let misread = readings.len();
    let enough = misread >= 2 && misread * 2 >= words;
    if !enough || misread_letters * 2 < judged_letters || word_latin * 2 < word_cyrillic {
        return None;
    }
    let mut repaired = String::with_capacity(text.len() * 2);
    let mut copied = 0;
    for (from, to, reading) in &readings {
        repaired.push_str(&text[copied..*from]);
        repaired.push_str(reading);
        copied = *to;
    }
    repaired.push_str(&text[copied..]);
    Some(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_mixed_up_are_undone() {
        let text = "Привіт, як справи? Дякую за допомогу";
        let utf8_as_cp1251: String = text
            .as_bytes()
            .iter()
            .map(|b| cp1251_char(*b).unwrap_or('?'))
            .collect();
        assert_eq!(encoding_repaired(&utf8_as_cp1251).as_deref(), Some(text));
        let cp1251_as_latin1: String = text
            .chars()
            .map(|c| char::from(cp1251_byte(c).unwrap()))
            .collect();
        assert_eq!(encoding_repaired(&cp1251_as_latin1).as_deref(), Some(text));
        assert_eq!(encoding_repaired(text), None);
        assert_eq!(encoding_repaired("Größe und Qualität sind gut"), None);
        assert!(letters_lost("?????? ?? ??????, ??? ?????"));
        assert!(!letters_lost("Why??? Where is my bag?"));
    }

    #[test]
    fn ocr_misreadings_are_read_back() {
        assert_eq!(
            ocr_repaired("MEXAHI3MY AKTYAJIbHICTb", false).as_deref(),
            Some("МЕХАНІЗМУ АКТУАЛЬНІСТЬ")
        );
        assert!(ocr_repaired("Cnacu6o 3a nomowb", false).is_some());
        for clean in [
            "Flight UA 1234 from JFK to LAX delayed again",
            "iPhone 15 Pro Max, order A320-77",
            "Thanks!",
            "https://kvant.ua/help",
        ] {
            assert_eq!(ocr_repaired(clean, false), None, "{clean}");
        }
    }
}
