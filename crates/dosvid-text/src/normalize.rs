//! Normalisation (NFC, lower case, one apostrophe) and tokens: words, numbers, emoji, and the
//! noise of messages (links, @mentions) kept apart so that it does not count as language.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use crate::class::Class;
use crate::stem::{Facts, Known, Vocabulary};

/// The apostrophes people type inside Ukrainian words (м'ята, сім’я, пʼять), read as one.
const APOSTROPHES: [char; 5] = ['\'', '’', 'ʼ', '`', '‘'];

/// NFC, lower case, and every apostrophe as `'`.
pub fn normalize(text: &str) -> String {
    // Latin-1 and Cyrillic letters are their own NFC form: most comments skip the composition.
    let mut out = String::with_capacity(text.len());
    if text.chars().all(|c| push_lower(&mut out, c)) {
        return out;
    }
    text.nfc()
        .flat_map(char::to_lowercase)
        .map(|c| if APOSTROPHES.contains(&c) { '\'' } else { c })
        .collect()
}

/// A letter or digit, answered without Unicode tables for ASCII and Cyrillic.
pub(crate) fn is_alphanumeric(c: char) -> bool {
    match u32::from(c) {
        0..=0x7F => c.is_ascii_alphanumeric(),
        0x400..=0x481 | 0x48A..=0x52F => true,
        _ => c.is_alphanumeric(),
    }
}

/// An upper-case letter, answered without Unicode tables for ASCII and basic Cyrillic.
pub(crate) fn is_upper(c: char) -> bool {
    match u32::from(c) {
        0..=0x7F => c.is_ascii_uppercase(),
        0x400..=0x42F => true,
        0x430..=0x45F => false,
        _ => c.is_uppercase(),
    }
}

/// A lower-case letter, answered without Unicode tables for ASCII and basic Cyrillic.
pub(crate) fn is_lower(c: char) -> bool {
    match u32::from(c) {
        0..=0x7F => c.is_ascii_lowercase(),
        0x400..=0x42F => false,
        0x430..=0x45F => true,
        _ => c.is_lowercase(),
    }
}

/// A letter, answered without Unicode tables for ASCII and Cyrillic.
pub(crate) fn is_letter(c: char) -> bool {
    match u32::from(c) {
        0..=0x7F => c.is_ascii_alphabetic(),
        0x400..=0x481 | 0x48A..=0x52F => true,
        _ => c.is_alphabetic(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Number,
    Emoji,
    /// Links, e-mail addresses and @mentions: not language.
    Noise,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    /// Normalised text (a hashtag's word without `#`), borrowed from the text when it is
    /// normal as written.
    pub text: Cow<'a, str>,
    /// Byte range in the text given to [`tokens`].
    pub start: usize,
    pub end: usize,
    /// The token's characters as written, counted while it was split off.
    pub(crate) counts: Counts,
    /// What the word is (words only): its role, the languages it is frequent in, whether it
    /// was typed by mashing the keyboard.
    pub(crate) class: Class,
    /// The word's id in the vocabulary the text was split with, or [`NO_ID`].
    pub(crate) id: u32,
    /// What the lexicons say of the word's stem in each language it was read in before.
    pub(crate) facts: [Facts; 3],
    /// What stands between the token before (or the start of the text) and this one: bits
    /// [`PUNCTUATION`] and [`NEWLINE`].
    pub(crate) gap: u8,
}

impl<'a> Token<'a> {
    /// A token the vocabulary says nothing of (an emoji, noise).
    fn unknown(
        kind: TokenKind,
        text: Cow<'a, str>,
        bytes: std::ops::Range<usize>,
        counts: Counts,
        gap: u8,
    ) -> Token<'a> {
        let Known { id, class, facts } = Known::NONE;
        Token {
            kind,
            text,
            start: bytes.start,
            end: bytes.end,
            counts,
            class,
            id,
            facts,
            gap,
        }
    }
}

/// A sentence or list mark (`. ! ? ; , :`) before a token: a clause ends there.
pub(crate) const PUNCTUATION: u8 = 1;
/// A line break before a token.
pub(crate) const NEWLINE: u8 = 2;

/// The [`Token::gap`] bit a skipped character sets.
fn gap_bit(c: char) -> u8 {
    match c {
        '.' | '!' | '?' | ';' | ',' | ':' => PUNCTUATION,
        '\n' => NEWLINE,
        _ => 0,
    }
}

/// Counts of a token's characters as written, made in the one pass that splits the text, so
/// that language, garbage and sentiment do not walk the characters again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub chars: u32,
    pub letters: u32,
    pub upper: u32,
    pub lower: u32,
    /// ASCII letters, and those of them in upper case.
    pub ascii: u32,
    pub ascii_upper: u32,
    /// Letters of the Cyrillic block, and those only Ukrainian (і ї є ґ) or only Russian
    /// (ы э ъ ё) has, in either case.
    pub cyrillic: u32,
    pub uk_only: u32,
    pub ru_only: u32,
    pub apostrophes: u32,
}

/// ASCII letters and digits of a word, counted in registers as the word is read.
#[derive(Debug, Clone, Copy, Default)]
struct Ascii {
    all: u32,
    digits: u32,
    upper: u32,
}

impl Counts {
    /// Counts ASCII letters and digits: how many, and of them digits and upper-case letters.
    fn add_ascii_alphanumerics(&mut self, Ascii { all, digits, upper }: Ascii) {
        let letters = all - digits;
        self.chars += all;
        self.letters += letters;
        self.ascii += letters;
        self.upper += upper;
        self.ascii_upper += upper;
        self.lower += letters - upper;
    }

    fn add(&mut self, c: char) {
        if c.is_ascii_alphanumeric() {
            let b = c as u8;
            return self.add_ascii_alphanumerics(Ascii {
                all: 1,
                digits: u32::from(b.is_ascii_digit()),
                upper: u32::from(b.is_ascii_uppercase()),
            });
        }
        self.chars += 1;
        if c.is_ascii() {
            if APOSTROPHES.contains(&c) {
                self.apostrophes += 1;
            }
            return;
        }
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            self.cyrillic += 1;
            match c {
                'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => self.uk_only += 1,
                'ы' | 'э' | 'ъ' | 'ё' | 'Ы' | 'Э' | 'Ъ' | 'Ё' => self.ru_only += 1,
                _ => {}
            }
        }
        if APOSTROPHES.contains(&c) {
            self.apostrophes += 1;
        }
        if is_letter(c) {
            self.letters += 1;
        }
        self.upper += u32::from(is_upper(c));
        self.lower += u32::from(is_lower(c));
    }

    fn of(text: &str) -> Counts {
        let mut counts = Counts::default();
        for c in text.chars() {
            counts.add(c);
        }
        counts
    }

    pub fn sum<'a, 't: 'a>(tokens: impl IntoIterator<Item = &'a Token<'t>>) -> Counts {
        let mut sum = Counts::default();
        for t in tokens {
            let c = &t.counts;
            sum.chars += c.chars;
            sum.letters += c.letters;
            sum.upper += c.upper;
            sum.lower += c.lower;
            sum.ascii += c.ascii;
            sum.ascii_upper += c.ascii_upper;
            sum.cyrillic += c.cyrillic;
            sum.uk_only += c.uk_only;
            sum.ru_only += c.ru_only;
            sum.apostrophes += c.apostrophes;
        }
        sum
    }
}

pub(crate) fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF | 0x2B00..=0x2BFF | 0x3030 | 0x303D)
}

/// Splits a text into tokens. Words keep inner apostrophes and hyphens (сім'я, Wi-Fi).
pub fn tokens(text: &str) -> Vec<Token<'_>> {
    tokens_with(text, &Vocabulary::read())
}

/// [`tokens`], each word looked up in the vocabulary.
pub(crate) fn tokens_with<'a>(text: &'a str, vocabulary: &Vocabulary) -> Vec<Token<'a>> {
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    // Only a chunk holding an '@' or starting "http"/"www." can be noise: the next '@' and the
    // start of its chunk are kept, so that other tokens need not find their chunk's end.
    let mut at: Option<(usize, usize)> = None;
    let mut searched_to = 0;
    let (mut start, mut gap) = (0, 0u8);
    while start < text.len() {
        let c = char_at(text, start);
        if c.is_whitespace() {
            gap |= gap_bit(c);
            start += c.len_utf8();
            continue;
        }
        if is_emoji(c) {
            let end = start + c.len_utf8();
            out.push(Token::unknown(
                TokenKind::Emoji,
                Cow::Borrowed(&text[start..end]),
                start..end,
                Counts::default(),
                std::mem::take(&mut gap),
            ));
            start += c.len_utf8();
            continue;
        }
        if at.is_none_or(|(_, position)| position < start) && searched_to <= start {
            at = text[start..].find('@').map(|i| {
                let position = start + i;
                let chunk_start = text[..position]
                    .rfind(char::is_whitespace)
                    .map_or(0, |w| w + char_at(text, w).len_utf8());
                (chunk_start, position)
            });
            searched_to = at.map_or(text.len() + 1, |(_, position)| position + 1);
        }
        let in_at_chunk = at.is_some_and(|(from, position)| from <= start && start <= position);
        // A whitespace-delimited chunk decides links and mentions as a whole.
        // Outside an '@' chunk only a link can be noise.
        let link = matches!(c, 'h' | 'H' | 'w' | 'W') && is_link(&text[start..]);
        if (in_at_chunk || link)
            && let Some(chunk_end) = noise_chunk(text, start, c, link)
        {
            let chunk = &text[start..chunk_end];
            out.push(Token::unknown(
                TokenKind::Noise,
                Cow::Owned(chunk.to_lowercase()),
                start..chunk_end,
                Counts::of(chunk),
                std::mem::take(&mut gap),
            ));
            start = chunk_end;
            continue;
        }
        if is_alphanumeric(c) {
            let mut token = word(text, start, vocabulary);
            token.gap = std::mem::take(&mut gap);
            start = token.end;
            out.push(token);
            continue;
        }
        gap |= gap_bit(c);
        start += c.len_utf8();
    }
    out
}

/// The character at byte `i` of the text (a character boundary).
fn char_at(text: &str, i: usize) -> char {
    match text.as_bytes()[i] {
        b if b.is_ascii() => char::from(b),
        _ => text[i..].chars().next().unwrap_or_default(),
    }
}

/// The word or number starting at byte `start` (an alphanumeric character), lower-cased as it
/// is read; a word with characters outside Latin-1 and Cyrillic is normalised whole.
fn word<'a>(text: &'a str, start: usize, vocabulary: &Vocabulary) -> Token<'a> {
    let bytes = text.as_bytes();
    let (mut end, mut counts, mut ascii) = (start, Counts::default(), Ascii::default());
    // The lower-case form is written from the first character that changes in it: most words
    // are in lower case already, and borrowed from the text.
    let mut lowered: Option<String> = None;
    let mut simple = true;
    loop {
        // A run of ASCII letters and digits, most of Latin text: no decoding, no table, and
        // lower-cased as a whole when it has capitals.
        let run = end;
        let upper = ascii.upper;
        end = ascii_run(bytes, end, &mut ascii);
        ascii.all += (end - run) as u32;
        if ascii.upper > upper && lowered.is_none() {
            lowered = Some(lowered_from(text, start, run));
        }
        if let Some(lowered) = &mut lowered {
            let from = lowered.len();
            lowered.push_str(&text[run..end]);
            lowered[from..].make_ascii_lowercase();
        }
        if end == text.len() {
            break;
        }
        let ch = char_at(text, end);
        let next = end + ch.len_utf8();
        let inner = || {
            (APOSTROPHES.contains(&ch) || ch == '-')
                && end > start
                && text.len() > next
                && is_alphanumeric(char_at(text, next))
        };
        if !(is_alphanumeric(ch) || combining_mark(ch) || inner()) {
            break;
        }
        counts.add(ch);
        let unchanged = matches!(ch, '\u{430}'..='\u{45F}' | '\'' | '-');
        if !unchanged && lowered.is_none() {
            lowered = Some(lowered_from(text, start, end));
        }
        if let Some(lowered) = &mut lowered {
            simple = simple && push_lower(lowered, ch);
        }
        end = next;
    }
    // Only ASCII digits make a number.
    let all_digits = counts.chars == 0 && ascii.digits == ascii.all;
    counts.add_ascii_alphanumerics(ascii);
    let normal = match lowered {
        None => Cow::Borrowed(&text[start..end]),
        Some(lowered) if simple => Cow::Owned(lowered),
        Some(_) => Cow::Owned(normalize(&text[start..end])),
    };
    let (kind, Known { id, class, facts }) = if all_digits {
        (TokenKind::Number, Known::NONE)
    } else {
        (TokenKind::Word, vocabulary.look_up(&normal))
    };
    Token {
        kind,
        text: normal,
        start,
        end,
        counts,
        class,
        id,
        facts,
        gap: 0,
    }
}

/// The end of the run of ASCII letters and digits starting at byte `i`, counting its digits
/// and capitals. Eight bytes are classified at a time (SWAR), so that the end of a word is found
/// without a branch per byte, which the processor cannot predict.
fn ascii_run(bytes: &[u8], mut i: usize, ascii: &mut Ascii) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` (7-bit bytes) that is at least `n`.
    let at_least = |x: u64, n: u8| (x + ONES * u64::from(128 - n)) & HIGH;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let chunk = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let ascii_bytes = !chunk & HIGH;
        let x = chunk & !HIGH;
        let digits = at_least(x, b'0') & !at_least(x, b'9' + 1) & ascii_bytes;
        let upper = at_least(x, b'A') & !at_least(x, b'Z' + 1) & ascii_bytes;
        let folded = x | (ONES * 0x20);
        let letters = at_least(folded, b'a') & !at_least(folded, b'z' + 1) & ascii_bytes;
        // Bytes before the first that is neither.
        let run = ((!(digits | letters) & HIGH).trailing_zeros() / 8) as usize;
        let within = if run == 8 {
            u64::MAX
        } else {
            (1 << (8 * run)) - 1
        };
        ascii.digits += (digits & within).count_ones();
        ascii.upper += (upper & within).count_ones();
        i += run;
        if run < 8 {
            return i;
        }
    }
    while let Some(&b) = bytes.get(i).filter(|b| b.is_ascii_alphanumeric()) {
        ascii.digits += u32::from(b.is_ascii_digit());
        ascii.upper += u32::from(b.is_ascii_uppercase());
        i += 1;
    }
    i
}

/// A word's lower-case form begun with its characters before `end`, which need no change.
fn lowered_from(text: &str, start: usize, end: usize) -> String {
    let mut lowered = String::with_capacity(end - start + 8);
    lowered.push_str(&text[start..end]);
    lowered
}

/// The end of the whitespace-delimited chunk starting at `start` when it is a link, an e-mail
/// address or an @mention (`link`: the chunk starts like a link).
fn noise_chunk(text: &str, start: usize, c: char, link: bool) -> Option<usize> {
    let rest = &text[start..];
    let chunk_end = rest
        .find(char::is_whitespace)
        .map_or(text.len(), |i| start + i);
    let chunk = &text[start..chunk_end];
    (c == '@' || link || (chunk.contains('@') && chunk.contains('.'))).then_some(chunk_end)
}

/// Whether a text starts with a link (`http://`, `https://`, `www.`).
fn is_link(text: &str) -> bool {
    let starts = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    starts("http://") || starts("https://") || starts("www.")
}

/// Appends `c` lower-cased, with `'` for an apostrophe, when it needs no composition: false
/// (and nothing appended) for a character outside Latin-1 and Cyrillic. [`normalize`] and the
/// tokenizer both write characters with it.
fn push_lower(out: &mut String, c: char) -> bool {
    let code = u32::from(c);
    if c.is_ascii() {
        out.push(if c == '`' {
            '\''
        } else {
            c.to_ascii_lowercase()
        });
    } else if (0x410..=0x42F).contains(&code) {
        out.push(char::from_u32(code + 0x20).unwrap_or(c));
    } else if (0x430..=0x45F).contains(&code) {
        out.push(c);
    } else if code < 0x300 || (0x400..=0x4FF).contains(&code) {
        out.extend(
            c.to_lowercase()
                .map(|c| if APOSTROPHES.contains(&c) { '\'' } else { c }),
        );
    } else {
        return false;
    }
    true
}

/// Combining marks (a stress mark, a decomposed й) stay inside their word.
fn combining_mark(c: char) -> bool {
    matches!(u32::from(c), 0x0300..=0x036F)
}
