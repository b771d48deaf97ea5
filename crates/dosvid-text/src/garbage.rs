//! Text that is not readable language, flagged with the reason so it gets no sentiment:
//! - mojibake: UTF-8 decoded as Latin-1/Windows-1252 ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚") or as Windows-1251
//!   ("РїСЂРёРІРµС‚");
//! - Cyrillic read by OCR as Latin look-alikes ("KJIIEHTCBKUM JOCBIZIOM"): Latin letters in
//!   sequences English does not have, and no English word among them;
//! - keyboard mashing ("asdfghjkl", "фывапролд"): runs of neighbouring keys;
//! - and what `crate::repair` finds and reads back: encodings mixed up (Windows-1251, KOI8,
//!   Latin-1, UTF-8 decoded twice), letters lost to `?`, OCR's Latin look-alikes and digits in
//!   any case.
//!
//! Every rule is conservative: a real comment, however short or misspelt, must not be flagged.

use serde::Serialize;

use std::sync::OnceLock;

use crate::normalize::{Counts, Token, TokenKind, tokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Garbage {
    Mojibake,
    LatinLookalikes,
    KeyboardMashing,
}

impl Garbage {
    pub fn as_str(self) -> &'static str {
        match self {
            Garbage::Mojibake => "mojibake",
            Garbage::LatinLookalikes => "latin_lookalikes",
            Garbage::KeyboardMashing => "keyboard_mashing",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Garbage::Mojibake => "the text was decoded with the wrong encoding",
            Garbage::LatinLookalikes => "Cyrillic text read as Latin look-alike letters",
            Garbage::KeyboardMashing => "keys pressed at random",
        }
    }
}

pub fn garbage(text: &str) -> Option<Garbage> {
    garbage_of(text, &tokens(text))
}

/// [`garbage`] of a text already split into tokens.
pub(crate) fn garbage_of(text: &str, tokens: &[Token]) -> Option<Garbage> {
    garbage_and_repair(text, tokens).map(|(kind, _)| kind)
}

/// [`garbage_of`] with the text as it was before it broke, where that can be told.
pub(crate) fn garbage_and_repair(
    text: &str,
    tokens: &[Token],
) -> Option<(Garbage, Option<String>)> {
    // What every encoding mix-up leaves: a UTF-8 sequence starting C2…C9 (U+0080…U+024F) or
    // E2 (the punctuation Windows-1251 has). One pass over the bytes spares the checks below
    // on almost every comment.
    // Without a branch per byte, so that the pass runs many bytes at a time.
    let mixed_up = !text.is_ascii()
        && text.bytes().fold(false, |found, b| {
            found | (b.wrapping_sub(0xC2) < 8) | (b == 0xE2)
        });
    let repaired = mixed_up
        .then(|| crate::repair::encoding_repaired(text))
        .flatten();
    // OCR's Cyrillic: two words or more with Latin letters (mentions and links are not words),
    // and Latin letters at least half as many as Cyrillic ones.
    let latin = || {
        let (mut words, mut ascii, mut cyrillic) = (0, 0, 0);
        for t in tokens.iter().filter(|t| t.kind == TokenKind::Word) {
            words += usize::from(t.counts.ascii > 0 && t.counts.chars >= 3);
            ascii += t.counts.ascii;
            cyrillic += t.counts.cyrillic;
        }
        words >= 2 && ascii * 2 >= cyrillic
    };
    if let Some(repaired) = repaired {
        Some((Garbage::Mojibake, Some(repaired)))
    } else if mojibake(text, tokens)
        || crate::repair::letters_lost(text)
        || (mixed_up
            && (crate::repair::accented_mostly(text) || crate::repair::doubled_mixup(text)))
    {
        Some((Garbage::Mojibake, None))
    } else if keyboard_mashing(tokens) {
        Some((Garbage::KeyboardMashing, None))
    } else if let Some(repaired) = latin()
        .then(|| crate::repair::ocr_repaired(text, has_english_word(tokens)))
        .flatten()
    {
        Some((Garbage::LatinLookalikes, Some(repaired)))
    } else if lookalikes(tokens) {
        Some((Garbage::LatinLookalikes, None))
    } else {
        None
    }
}

/// The second characters UTF-8 continuation bytes become in Latin-1 / Windows-1252.
fn latin1_continuation(c: char) -> bool {
    ('\u{0080}'..='\u{00BF}').contains(&c) || "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c)
}

/// The characters bytes 0x80–0xBF become in Windows-1251.
fn cp1251_continuation(c: char) -> bool {
    "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџ\u{00A0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{00AD}®Ї°±Ііґµ¶·ё№є»јЅѕї".contains(c)
}

/// The characters a mojibake pair starts with.
const MOJIBAKE_LEADS: [char; 7] = ['Ð', 'Ñ', 'Ã', 'Â', 'â', 'Р', 'С'];

/// At least as many as the text's [`MOJIBAKE_LEADS`], found without decoding: the bytes C3
/// (which Ð Ñ Ã Â â start with) and the letters Р and С, each counted by a vectorised search.
/// Searching for each lead by its last byte instead was slow on Cyrillic text, where those
/// bytes end у, т, А and Б too.
fn leads(text: &str) -> usize {
    if text.is_ascii() {
        return 0;
    }
    let latin1 = text.bytes().filter(|&b| b == 0xC3).count();
    latin1 + text.matches('Р').count() + text.matches('С').count()
}

fn mojibake(text: &str, tokens: &[Token]) -> bool {
    // Each pair starts with a lead, and pairs must cover half the non-space characters (of
    // which the tokens hold a part): real text with a capital Р or С stops here.
    let leads = leads(text);
    if leads < 2 || 4 * leads < tokens.iter().map(|t| t.counts.chars as usize).sum() {
        return false;
    }
    // Pairs of neighbouring non-space characters, read in one pass.
    let (mut chars, mut latin, mut cyrillic) = (0usize, 0usize, 0usize);
    let mut previous = None;
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        chars += 1;
        if let Some(p) = previous {
            latin += usize::from(MOJIBAKE_LEADS[..5].contains(&p) && latin1_continuation(c));
            cyrillic += usize::from((p == 'Р' || p == 'С') && cp1251_continuation(c));
        }
        previous = Some(c);
    }
    let covered = 2 * latin.max(cyrillic);
    latin.max(cyrillic) >= 2 && covered * 2 >= chars
}

/// Keys by row, so that runs of neighbours can be found (Latin and Cyrillic layouts).
const ROWS: [&str; 6] = [
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "йцукенгшщзхї",
    "фівапролджє",
    "ячсмитьбю",
];
const RU_ROWS: [&str; 3] = ["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"];

/// A key's row and column: a table for ASCII and one for the Cyrillic block, built once.
fn key(c: char) -> Option<(u8, u8)> {
    type Keys = ([Option<(u8, u8)>; 128], [Option<(u8, u8)>; 256]);
    static KEYS: OnceLock<Keys> = OnceLock::new();
    let (latin, cyrillic) = KEYS.get_or_init(|| {
        let mut keys: Keys = ([None; 128], [None; 256]);
        for (row, letters) in ROWS.iter().chain(&RU_ROWS).enumerate() {
            for (col, k) in letters.chars().enumerate() {
                let slot = match u32::from(k) {
                    code @ 0..=0x7F => &mut keys.0[code as usize],
                    code => &mut keys.1[(code - 0x400) as usize],
                };
                slot.get_or_insert((row as u8 % 3, col as u8));
            }
        }
        keys
    });
    match u32::from(c) {
        code @ 0..=0x7F => latin[code as usize],
        code @ 0x400..=0x4FF => cyrillic[(code - 0x400) as usize],
        _ => None,
    }
}

/// A word typed by sliding along the keyboard: most neighbouring letters are neighbouring keys.
/// A letter held down ("ааааа", "милооооо") is emphasis, not mashing: repeats do not count.
pub(crate) fn mashed(word: &str) -> bool {
    if word.len() < 6 {
        return false;
    }
    // At least nine pairs in ten must be neighbouring keys. The letters (runs collapsed:
    // "милооооо" is "мило") are counted in the same pass, so the pass stops at the first miss
    // too many for a word of the word's length in bytes, at least as many as its letters —
    // for a real word usually the first pair.
    let allowed = |pairs: usize| pairs - (pairs * 9).div_ceil(10);
    let most_allowed = allowed(word.len() - 1);
    let (mut distinct, mut kinds) = (['\0'; 4], 0usize);
    let (mut letters, mut misses, mut previous) = (0usize, 0usize, None);
    for c in word.chars() {
        if previous == Some(c) {
            continue;
        }
        letters += 1;
        if kinds < 4 && !distinct[..kinds].contains(&c) {
            distinct[kinds] = c;
            kinds += 1;
        }
        if let Some(p) = previous {
            let near = matches!((key(p), key(c)), (Some((r1, c1)), Some((r2, c2)))
                if r1 == r2 && c1.abs_diff(c2) <= 2);
            misses += usize::from(!near);
            if misses > most_allowed {
                return false;
            }
        }
        previous = Some(c);
    }
    letters >= 6 && misses <= allowed(letters - 1) && kinds >= 4
}

fn keyboard_mashing(tokens: &[Token]) -> bool {
    let words = tokens.iter().filter(|t| t.kind == TokenKind::Word);
    let mashed: u32 = words
        .clone()
        .filter(|w| w.class.mashed)
        .map(|w| w.counts.chars)
        .sum();
    if mashed == 0 {
        return false;
    }
    let letters: u32 = words.map(|w| w.counts.chars).sum();
    mashed * 10 >= letters * 6
}

/// Letter pairs common in English words; a text made mostly of other pairs is not English.
const ENGLISH_BIGRAMS: &str = "th he in er an re on at en nd ti es or te of ed is it al ar st to nt \
    ng se ha as ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns \
    di fo ho pe ec pr no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt \
    po we na ul ni ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl \
    ab gh ty op wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa ef \
    cu rn sc gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg \
    au ck ew mu br bi pt ak pu ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip ub oi rl gu dr \
    hr cc tw ft wn nu af hu nn eo vo rv nf xp gn sm fl iz ok nl my gl aw ju oa sy ka ks jo je ze \
    sk sl sn sw kn kl oy ya ze zi za xi xt ew yi";

/// True when a Latin-script text has no English word and its letter pairs are mostly ones
/// English words do not have.
pub(crate) fn unlike_english(tokens: &[Token]) -> bool {
    static COMMON: OnceLock<[[bool; 26]; 26]> = OnceLock::new();
    let common = COMMON.get_or_init(|| {
        let mut table = [[false; 26]; 26];
        for pair in ENGLISH_BIGRAMS.split_whitespace() {
            let b = pair.as_bytes();
            table[usize::from(b[0] - b'a')][usize::from(b[1] - b'a')] = true;
        }
        table
    });
    let (mut pairs, mut rare) = (0usize, 0usize);
    for token in tokens.iter().filter(|t| t.kind == TokenKind::Word) {
        // Runs of Latin letters (OCR reads З as 3, so digits split runs).
        for w in token.text.as_bytes().windows(2) {
            if w[0].is_ascii_lowercase() && w[1].is_ascii_lowercase() {
                pairs += 1;
                rare += usize::from(!common[usize::from(w[0] - b'a')][usize::from(w[1] - b'a')]);
            }
        }
    }
    pairs >= 12 && rare * 100 >= pairs * 40
}

fn lookalikes(tokens: &[Token]) -> bool {
    let counts = Counts::sum(tokens);
    let (letters, ascii, upper) = (counts.letters, counts.ascii, counts.ascii_upper);
    // OCR output of print is capitals; mixed-case Latin text is someone's writing.
    ascii * 10 >= letters * 9
        && upper * 10 >= ascii * 7
        && !has_english_word(tokens)
        && unlike_english(tokens)
}

/// An English word of three letters or more (two-letter ones are Cyrillic look-alikes too:
/// HE is "не").
fn has_english_word(tokens: &[Token]) -> bool {
    tokens
        .iter()
        .any(|t| t.text.len() >= 3 && t.class.frequent & crate::class::EN != 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_mojibake_lead_is_counted() {
        for lead in super::MOJIBAKE_LEADS {
            assert_eq!(super::leads(&format!("ab{lead}c {lead}")), 2, "{lead}");
        }
        assert_eq!(super::leads("Привіт, ту"), 0);
        assert_eq!(super::leads("plain text"), 0);
    }
}
