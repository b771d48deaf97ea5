//! Themes: what a comment is about, from a taxonomy a company can edit. The default is the
//! loyalty factors of the CX model (time, simplicity, freedom of choice, security, finance,
//! impressions) plus staff and product/service quality, each with sub-themes, written by us in
//! `taxonomy.json` in the format the API takes. A theme's key names its parent (`time.queue` is
//! under `time`), and a record that mentions a sub-theme also counts for its parent.
//!
//! A pattern is one or more words matched on consecutive words of the comment: a word ending in
//! `*` matches any word it begins (`черг*`: черга, черги), any other word matches the words with
//! its Snowball stem (`delay`: delays, delayed). Ukrainian and Russian are often mixed in one
//! comment, so a Cyrillic comment is matched against the patterns of both.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::{OnceLock, RwLock};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::language::Language;
use crate::normalize::{Token, TokenKind};
use crate::sentiment::{self, Sentiment};
use crate::stem::{Stems, stemmer};

/// Most themes a taxonomy may have: the analytics index keeps a record's themes as 64 bits.
pub const MAX_THEMES: usize = 64;
const MAX_PATTERNS: usize = 200;
const MAX_PATTERN_WORDS: usize = 6;
const LANGUAGES: [&str; 3] = ["uk", "ru", "en"];

/// A theme taxonomy, as the API takes and gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub themes: Vec<ThemeDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeDefinition {
    /// `time`, or `time.queue` for a sub-theme of `time` (lower-case letters, digits, `-`, `_`).
    pub key: String,
    /// The theme's name by language (`uk`, `ru`, `en`).
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// Patterns by language (`uk`, `ru`, `en`).
    #[serde(default)]
    pub patterns: BTreeMap<String, Vec<String>>,
}

/// What is wrong with a taxonomy, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyError {
    pub field: String,
    pub message: String,
}

fn invalid(field: String, message: impl Into<String>) -> TaxonomyError {
    TaxonomyError {
        field,
        message: message.into(),
    }
}

impl Taxonomy {
    /// The taxonomy every organisation starts with.
    pub fn default_taxonomy() -> &'static Taxonomy {
        static DEFAULT: OnceLock<Taxonomy> = OnceLock::new();
        DEFAULT.get_or_init(|| {
            serde_json::from_str(include_str!("taxonomy.json")).expect("taxonomy.json is valid")
        })
    }

    /// The words of the patterns and names in `languages` (a `*` ending dropped).
    pub(crate) fn words<'a>(&'a self, languages: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
        self.themes.iter().flat_map(move |theme| {
            languages.iter().flat_map(move |language| {
                let patterns = theme.patterns.get(*language).into_iter().flatten();
                patterns
                    .map(String::as_str)
                    .chain(theme.names.get(*language).map(String::as_str))
                    .map(|w| w.trim_end_matches('*'))
            })
        })
    }

    /// Checks keys, parents, languages and patterns, and compiles the matchers.
    pub fn compile(&self) -> Result<Themes, TaxonomyError> {
        if self.themes.len() > MAX_THEMES {
            return Err(invalid(
                "themes".into(),
                format!("at most {MAX_THEMES} themes"),
            ));
        }
        let mut keys: HashSet<&str> = HashSet::default();
        for (i, theme) in self.themes.iter().enumerate() {
            let field = format!("themes[{i}].key");
            let well_formed = !theme.key.is_empty()
                && theme.key.split('.').all(|part| {
                    !part.is_empty()
                        && part.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                        })
                });
            if !well_formed || theme.key.len() > 100 {
                return Err(invalid(
                    field,
                    "must be dot-separated parts of lower-case letters, digits, '-' or '_' (at most 100 characters)",
                ));
            }
            if !keys.insert(&theme.key) {
                return Err(invalid(field, "is defined twice"));
            }
        }
        for (i, theme) in self.themes.iter().enumerate() {
            if let Some((parent, _)) = theme.key.rsplit_once('.')
                && !keys.contains(parent)
            {
                return Err(invalid(
                    format!("themes[{i}].key"),
                    format!("its parent theme '{parent}' is not defined"),
                ));
            }
            for language in theme.names.keys().chain(theme.patterns.keys()) {
                if !LANGUAGES.contains(&language.as_str()) {
                    return Err(invalid(
                        format!("themes[{i}]"),
                        format!("unknown language '{language}': use uk, ru or en"),
                    ));
                }
            }
            for (language, patterns) in &theme.patterns {
                if patterns.len() > MAX_PATTERNS {
                    return Err(invalid(
                        format!("themes[{i}].patterns.{language}"),
                        format!("at most {MAX_PATTERNS} patterns"),
                    ));
                }
                for (j, pattern) in patterns.iter().enumerate() {
                    check_pattern(pattern)
                        .map_err(|m| invalid(format!("themes[{i}].patterns.{language}[{j}]"), m))?;
                }
            }
        }
        // Each Cyrillic matcher also holds the other language's patterns, stemmed its own way.
        let matcher = |language: Language, sources: &[&str]| Matcher::new(language, self, sources);
        Ok(Themes {
            keys: self.themes.iter().map(|t| t.key.clone()).collect(),
            uk: matcher(Language::Uk, &["uk", "ru"]),
            ru: matcher(Language::Ru, &["ru", "uk"]),
            en: matcher(Language::En, &["en"]),
            reader: None,
        })
    }
}

fn check_pattern(pattern: &str) -> Result<(), &'static str> {
    let words: Vec<&str> = pattern.split_whitespace().collect();
    if words.is_empty() {
        return Err("is empty");
    }
    if words.len() > MAX_PATTERN_WORDS || pattern.len() > 200 {
        return Err("is longer than six words or 200 characters");
    }
    for word in words {
        let prefix = word.strip_suffix('*');
        if prefix.unwrap_or(word).contains('*') {
            return Err("'*' may only end a word");
        }
        if prefix.is_some_and(|p| p.chars().count() < 2) {
            return Err("each word needs at least two letters before '*'");
        }
    }
    Ok(())
}

/// One word of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Atom {
    Stem(String),
    Prefix(String),
}

impl Atom {
    fn matches(&self, word: &str, stem: &str) -> bool {
        match self {
            Atom::Stem(s) => s == stem,
            Atom::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
struct Pattern {
    theme: u16,
    /// The words after the first.
    rest: Vec<Atom>,
}

/// A prefix that patterns start with, and those patterns.
type Prefix = (String, Vec<u32>);

/// The patterns of one language, found by their first word.
#[derive(Debug, Default)]
struct Matcher {
    by_stem: HashMap<String, Vec<u32>>,
    /// Prefix patterns by their first two characters (every prefix has two at least): a word
    /// looks up its own first two once, then tests the few prefixes found there.
    by_prefix: HashMap<(char, char), Vec<Prefix>>,
    patterns: Vec<Pattern>,
    memo: RwLock<Memo>,
}

/// The patterns each word read lately may start, by the word's id in the vocabulary (see
/// [`Stems::id`]): a word seen before costs the look-up of a number, not the hashing of its
/// stem and the testing of prefixes. Two bits per word say whether its patterns are known and
/// whether there are any, so that the words of no theme (most) are answered from a table small
/// enough to stay in the processor's cache. A text takes the read lock once; what it was first
/// to find is added after.
#[derive(Debug, Default)]
struct Memo {
    /// The vocabulary generation the ids belong to.
    generation: u64,
    /// [`KNOWN`] and [`SOME`] of word `id` at bits `2 * (id % 32)` of `bits[id / 32]`.
    bits: Vec<u64>,
    /// The range of `pool` of each word with patterns.
    words: HashMap<u32, (u32, u32)>,
    pool: Vec<u32>,
}

const KNOWN: u64 = 1;
const SOME: u64 = 2;

/// Most words with patterns a memo keeps before it starts again.
const MEMO_WORDS: usize = 100_000;

/// A word's candidate patterns found while reading a text, to be remembered after: its id, and
/// its range of the text's list of them.
type Found = (u32, std::ops::Range<usize>);

impl Memo {
    /// The patterns word `id` may start, if known.
    fn get(&self, id: u32) -> Option<&[u32]> {
        let (slot, shift) = ((id / 32) as usize, 2 * (id % 32));
        let bits = self.bits.get(slot).map_or(0, |b| b >> shift);
        if bits & KNOWN == 0 {
            None
        } else if bits & SOME == 0 {
            Some(&[])
        } else {
            let (start, len) = self.words.get(&id).copied().unwrap_or_default();
            Some(&self.pool[start as usize..(start + len) as usize])
        }
    }

    /// Remembers what a text found, unless its ids are of a generation already ended.
    fn learn(&mut self, generation: u64, learned: &[Found], candidates: &[u32]) {
        if generation < self.generation {
            return;
        }
        if generation > self.generation || self.words.len() + learned.len() > MEMO_WORDS {
            self.bits.clear();
            self.words.clear();
            self.pool.clear();
            self.generation = generation;
        }
        for (id, range) in learned {
            let (slot, shift) = ((id / 32) as usize, 2 * (id % 32));
            if self.bits.len() <= slot {
                self.bits.resize(slot + 1, 0);
            }
            if self.bits[slot] >> shift & KNOWN != 0 {
                continue;
            }
            let mut bits = KNOWN;
            if !range.is_empty() {
                bits |= SOME;
                let start = self.pool.len() as u32;
                self.pool.extend_from_slice(&candidates[range.clone()]);
                self.words.insert(*id, (start, range.len() as u32));
            }
            self.bits[slot] |= bits << shift;
        }
    }
}

impl Matcher {
    fn new(language: Language, taxonomy: &Taxonomy, sources: &[&str]) -> Matcher {
        let stemmer = stemmer(language);
        let atom = |word: &str| {
            let word = crate::normalize(word);
            match word.strip_suffix('*') {
                Some(prefix) => Atom::Prefix(prefix.to_owned()),
                None => Atom::Stem(stemmer.stem(&word).into_owned()),
            }
        };
        let mut matcher = Matcher::default();
        let mut seen = HashSet::default();
        for (code, theme) in taxonomy.themes.iter().enumerate() {
            for source in sources {
                for pattern in theme.patterns.get(*source).into_iter().flatten() {
                    let mut atoms: Vec<Atom> = pattern.split_whitespace().map(atom).collect();
                    if !seen.insert((code, atoms.clone())) {
                        continue;
                    }
                    let first = atoms.remove(0);
                    let id = matcher.patterns.len() as u32;
                    matcher.patterns.push(Pattern {
                        theme: code as u16,
                        rest: atoms,
                    });
                    match first {
                        Atom::Stem(s) => matcher.by_stem.entry(s).or_default().push(id),
                        Atom::Prefix(p) => {
                            let prefixes = matcher.by_prefix.entry(first_two(&p)).or_default();
                            match prefixes.iter_mut().find(|(known, _)| *known == p) {
                                Some((_, ids)) => ids.push(id),
                                None => prefixes.push((p, vec![id])),
                            }
                        }
                    }
                }
            }
        }
        // Longest prefixes first, as the most specific pattern names a theme's span.
        for prefixes in matcher.by_prefix.values_mut() {
            prefixes.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        }
        matcher
    }

    /// The patterns a word with this stem may start, in the order they are tried.
    fn candidates(&self, word: &str, stem: &str, out: &mut Vec<u32>) {
        if let Some(ids) = self.by_stem.get(stem) {
            out.extend(ids);
        }
        if let Some(prefixes) = self.by_prefix.get(&first_two(word)) {
            for (prefix, ids) in prefixes {
                if word.starts_with(prefix.as_str()) {
                    out.extend(ids);
                }
            }
        }
    }
}

fn first_two(word: &str) -> (char, char) {
    let mut chars = word.chars();
    (chars.next().unwrap_or(' '), chars.next().unwrap_or(' '))
}

/// A compiled taxonomy: its themes' keys and a matcher per language.
#[derive(Debug)]
pub struct Themes {
    keys: Vec<String>,
    uk: Matcher,
    ru: Matcher,
    en: Matcher,
    /// The organisation's own sentiment model, read instead of the lexicon when it is in use
    /// (`crate::learn`).
    reader: Option<std::sync::Arc<crate::learn::Reader>>,
}

impl Themes {
    /// The default taxonomy, compiled once.
    pub fn default_themes() -> &'static Themes {
        static DEFAULT: OnceLock<Themes> = OnceLock::new();
        DEFAULT.get_or_init(|| {
            Taxonomy::default_taxonomy()
                .compile()
                .expect("the default taxonomy compiles")
        })
    }

    /// The theme keys, in the taxonomy's order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Reads sentiment with an organisation's own model from now on.
    pub fn set_reader(&mut self, reader: std::sync::Arc<crate::learn::Reader>) {
        self.reader = Some(reader);
    }

    pub(crate) fn reader(&self) -> Option<&crate::learn::Reader> {
        self.reader.as_deref()
    }

    fn matcher(&self, language: Language) -> &Matcher {
        match language {
            Language::Uk => &self.uk,
            Language::Ru => &self.ru,
            Language::En | Language::Und => &self.en,
        }
    }
}

/// A theme found in a comment: where, and how the clause it is in feels.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ThemeMatch {
    pub theme: String,
    /// Byte range of the matched words in the text.
    pub start: usize,
    pub end: usize,
    /// The sentiment of the clause the theme was found in.
    pub sentiment: Sentiment,
}

/// The themes of a text already split into tokens and stemmed; one match per theme per clause.
pub(crate) fn themes_of(
    text: &str,
    tokens: &[Token],
    stems: &Stems,
    language: Language,
    themes: &Themes,
) -> Vec<ThemeMatch> {
    let matcher = themes.matcher(language);
    if matcher.patterns.is_empty() {
        return Vec::new();
    }
    let memo = matcher
        .memo
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let memo_current = memo.generation == stems.generation();
    // The candidates of the words the memo did not know, and where each word's are.
    let (mut fresh, mut learned): (Vec<u32>, Vec<Found>) = (Vec::new(), Vec::new());
    let mut found: Vec<Theme> = Vec::new();
    // The clause being read: its number, first byte and first token.
    let mut clause = Clause::default();
    for (i, token) in tokens.iter().enumerate() {
        if starts_clause(token) {
            clause = Clause {
                number: clause.number + 1,
                start: token.start,
                first: i,
            };
        }
        if token.kind != TokenKind::Word {
            continue;
        }
        let id = stems.id(i);
        let remembered = id.filter(|_| memo_current).and_then(|id| memo.get(id));
        let candidates = match remembered {
            Some(candidates) => candidates,
            None => {
                let start = fresh.len();
                matcher.candidates(&token.text, stems.get(i), &mut fresh);
                if let Some(id) = id {
                    learned.push((id, start..fresh.len()));
                }
                &fresh[start..]
            }
        };
        for &id in candidates {
            let pattern = &matcher.patterns[id as usize];
            let Some(last) = rest_matches(&pattern.rest, tokens, stems, i) else {
                continue;
            };
            let known = found
                .iter()
                .any(|f| f.theme == pattern.theme && f.clause.number == clause.number);
            if !known {
                found.push(Theme {
                    theme: pattern.theme,
                    start: token.start,
                    end: tokens[last].end,
                    clause,
                });
            }
        }
    }
    drop(memo);
    if !learned.is_empty() {
        matcher
            .memo
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .learn(stems.generation(), &learned, &fresh);
    }
    // A clause's sentiment is read from the tokens and stems already made; a clause's themes
    // are found one after another.
    let mut read: Option<(usize, Sentiment)> = None;
    found
        .into_iter()
        .map(
            |Theme {
                 theme,
                 start,
                 end,
                 clause,
             }| {
                let sentiment = match read {
                    Some((number, sentiment)) if number == clause.number => sentiment,
                    _ => {
                        let next = (clause.first + 1..tokens.len())
                            .find(|&k| starts_clause(&tokens[k]))
                            .unwrap_or(tokens.len());
                        let to = tokens.get(next).map_or(text.len(), |t| t.start);
                        let sentiment = sentiment::sentiment_in(
                            text,
                            clause.start..to,
                            &tokens[clause.first..next],
                            stems,
                            clause.first,
                            language,
                        );
                        read = Some((clause.number, sentiment));
                        sentiment
                    }
                };
                ThemeMatch {
                    theme: themes.keys[usize::from(theme)].clone(),
                    start,
                    end,
                    sentiment,
                }
            },
        )
        .collect()
}

/// A clause of a text: its number (0 for the first), first byte and first token.
#[derive(Debug, Clone, Copy, Default)]
struct Clause {
    number: usize,
    start: usize,
    first: usize,
}

/// A theme found: its code, the bytes of the words matched, and its clause.
struct Theme {
    theme: u16,
    start: usize,
    end: usize,
    clause: Clause,
}

/// Sentence and list punctuation before a token, and a contrast word, start a clause.
fn starts_clause(token: &Token) -> bool {
    token.gap & (crate::normalize::PUNCTUATION | crate::normalize::NEWLINE) != 0
        || token.class.role == Some(sentiment::Role::Contrast)
}

/// The last token of a pattern whose first word is token `i`, when the words after it in the
/// same clause match the rest of the pattern.
fn rest_matches(rest: &[Atom], tokens: &[Token], stems: &Stems, i: usize) -> Option<usize> {
    let (mut last, mut crossed) = (i, false);
    for atom in rest {
        // The next word, and whether a clause starts before it or with it.
        loop {
            last += 1;
            let token = tokens.get(last)?;
            crossed |= starts_clause(token);
            if token.kind == TokenKind::Word {
                break;
            }
        }
        if crossed || !atom.matches(&tokens[last].text, stems.get(last)) {
            return None;
        }
    }
    Some(last)
}
