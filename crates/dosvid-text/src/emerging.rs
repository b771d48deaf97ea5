//! Emerging themes: what customers start talking about that no theme of the taxonomy covers.
//! The key phrases of the uncovered comments of a period — content-word stems and pairs of
//! adjacent ones — are counted against the period before; each phrase comes with the pairs that
//! contain it, its growth (its share of comments now over its share then, with one added to the
//! earlier count so a new phrase has a finite growth) and the share of its comments that are
//! negative. Stop words are no phrase, and a phrase emerges only when its growth is sure (G²,
//! p < 0.05); each is named by the word form the comments use most.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use crate::language::language_of;
use crate::normalize::{TokenKind, tokens_with};
use crate::stem::{Stems, Vocabulary};

/// Words that carry no topic in Ukrainian, Russian and English — pronouns, prepositions,
/// conjunctions, particles, auxiliary and the most general verbs, adverbs and adjectives — so
/// that no phrase a person would name is made of them alone.
const STOP_WORDS: &[&str] = &[
    // Ukrainian
    "все",
    "всі",
    "весь",
    "вся",
    "усе",
    "усі",
    "так",
    "там",
    "тут",
    "тоді",
    "теж",
    "також",
    "який",
    "яка",
    "яке",
    "які",
    "якій",
    "яких",
    "цей",
    "ця",
    "це",
    "ці",
    "цього",
    "цієї",
    "той",
    "та",
    "те",
    "ті",
    "того",
    "тому",
    "свій",
    "своє",
    "свою",
    "свої",
    "наш",
    "ваш",
    "мій",
    "моя",
    "моє",
    "мої",
    "мене",
    "мені",
    "мною",
    "нас",
    "нам",
    "вас",
    "вам",
    "його",
    "її",
    "їх",
    "їм",
    "він",
    "вона",
    "воно",
    "вони",
    "був",
    "була",
    "було",
    "були",
    "буде",
    "будуть",
    "бути",
    "є",
    "має",
    "мали",
    "можна",
    "треба",
    "дуже",
    "більше",
    "менше",
    "просто",
    "вже",
    "ще",
    "лише",
    "тільки",
    "навіть",
    "знову",
    "раз",
    "рази",
    "разу",
    "рік",
    "року",
    "році",
    "роки",
    "років",
    "день",
    "дні",
    "днів",
    "коли",
    "поки",
    "після",
    "через",
    "перед",
    "під",
    "над",
    "між",
    "для",
    "без",
    "про",
    "при",
    "від",
    "до",
    "на",
    "по",
    "за",
    "із",
    "зі",
    "або",
    "але",
    "і",
    "й",
    "та",
    "що",
    "щоб",
    "якщо",
    "бо",
    "чи",
    "ні",
    "не",
    "ну",
    "ось",
    "вот",
    "нічого",
    "ніхто",
    "хтось",
    "щось",
    "кожен",
    "інший",
    "інша",
    "інші",
    "сам",
    "сама",
    "самі",
    "той",
    "тримати",
    "тримає",
    "зробити",
    "робити",
    "каже",
    "сказали",
    "зараз",
    // Russian
    "всё",
    "весь",
    "вся",
    "всех",
    "всем",
    "это",
    "этот",
    "эта",
    "эти",
    "этого",
    "этой",
    "тот",
    "так",
    "там",
    "тут",
    "тогда",
    "тоже",
    "также",
    "который",
    "которая",
    "которое",
    "которые",
    "свой",
    "своё",
    "свою",
    "свои",
    "мой",
    "моя",
    "моё",
    "мои",
    "меня",
    "мне",
    "мной",
    "нас",
    "нам",
    "вас",
    "вам",
    "его",
    "её",
    "их",
    "им",
    "он",
    "она",
    "оно",
    "они",
    "был",
    "была",
    "было",
    "были",
    "будет",
    "будут",
    "быть",
    "есть",
    "можно",
    "нужно",
    "надо",
    "очень",
    "больше",
    "меньше",
    "просто",
    "уже",
    "ещё",
    "еще",
    "только",
    "даже",
    "снова",
    "раз",
    "год",
    "года",
    "году",
    "лет",
    "день",
    "дня",
    "дней",
    "когда",
    "пока",
    "после",
    "через",
    "перед",
    "под",
    "над",
    "между",
    "для",
    "без",
    "про",
    "при",
    "от",
    "до",
    "на",
    "по",
    "за",
    "из",
    "со",
    "или",
    "но",
    "и",
    "а",
    "что",
    "чтобы",
    "если",
    "потому",
    "ли",
    "ни",
    "не",
    "ну",
    "вот",
    "ничего",
    "никто",
    "кто-то",
    "что-то",
    "каждый",
    "другой",
    "другая",
    "другие",
    "сам",
    "сама",
    "сами",
    "сделать",
    "делать",
    "говорит",
    "сказали",
    "сейчас",
    "вообще",
    "почему",
    // English
    "the",
    "and",
    "for",
    "are",
    "but",
    "not",
    "you",
    "all",
    "any",
    "can",
    "had",
    "her",
    "was",
    "one",
    "our",
    "out",
    "has",
    "have",
    "him",
    "his",
    "how",
    "its",
    "may",
    "new",
    "now",
    "old",
    "see",
    "two",
    "way",
    "who",
    "did",
    "get",
    "got",
    "let",
    "say",
    "she",
    "too",
    "use",
    "that",
    "with",
    "this",
    "they",
    "from",
    "them",
    "then",
    "than",
    "there",
    "their",
    "what",
    "when",
    "will",
    "would",
    "could",
    "should",
    "been",
    "being",
    "were",
    "just",
    "also",
    "very",
    "some",
    "into",
    "over",
    "only",
    "about",
    "again",
    "still",
    "even",
    "much",
    "more",
    "most",
    "your",
    "yours",
    "mine",
    "ours",
    "here",
    "where",
    "which",
    "while",
    "because",
    "after",
    "before",
    "today",
    "year",
    "years",
    "day",
    "days",
    "time",
    "times",
    "thing",
    "things",
    "make",
    "made",
    "does",
    "doing",
    "done",
    "going",
    "know",
    "said",
    "says",
    "really",
];

fn stop_word(word: &str) -> bool {
    static WORDS: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    WORDS
        .get_or_init(|| STOP_WORDS.iter().copied().collect())
        .contains(word)
}

/// The key phrases of a comment: the stems of its content words (three letters or more, not
/// among the most frequent words or the [`STOP_WORDS`]) and "stem stem" for adjacent pairs of
/// them, each once.
pub fn key_phrases(text: &str) -> Vec<String> {
    key_phrases_with_words(text)
        .into_iter()
        .map(|(phrase, _)| phrase)
        .collect()
}

/// [`key_phrases`], each with the words it was said in.
fn key_phrases_with_words(text: &str) -> Vec<(String, String)> {
    let vocabulary = Vocabulary::read();
    let tokens = tokens_with(text, &vocabulary);
    let stems = Stems::of(&tokens, language_of(&tokens), vocabulary);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut previous: Option<(&str, &str)> = None;
    for (i, token) in tokens.iter().enumerate() {
        let content = token.kind == TokenKind::Word
            && token.text.chars().count() >= 3
            && token.class.frequent == 0
            && !stop_word(&token.text)
            && !token.text.chars().all(|c| c.is_ascii_digit());
        if !content {
            previous = None;
            continue;
        }
        let stem = stems.get(i);
        if let Some((p, word)) = previous {
            out.push((format!("{p} {stem}"), format!("{word} {}", token.text)));
        }
        out.push((stem.to_owned(), token.text.to_string()));
        previous = Some((stem, &token.text));
    }
    stems.learn(&tokens);
    let mut seen = HashSet::new();
    out.retain(|(p, _)| seen.insert(p.clone()));
    out
}

/// How surely a phrase's share grew, as the log-likelihood ratio G² of its comments now
/// (`a` of `n`) against before (`b` of `m`); 3.84 is p = 0.05, 6.63 is p = 0.01.
fn g2(a: u64, n: u64, b: u64, m: u64) -> f64 {
    let term = |observed: f64, expected: f64| {
        if observed > 0.0 && expected > 0.0 {
            observed * (observed / expected).ln()
        } else {
            0.0
        }
    };
    let (a, n, b, m) = (a as f64, n as f64, b as f64, m as f64);
    let total = n + m;
    let with = a + b;
    let without = total - with;
    2.0 * (term(a, n * with / total)
        + term(b, m * with / total)
        + term(n - a, n * without / total)
        + term(m - b, m * without / total))
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EmergingPhrase {
    /// A stem, as the comments' words were reduced to it.
    pub phrase: String,
    /// The phrase as a person would name it: the word form the comments use most.
    pub label: String,
    /// Uncovered comments of the period with it, and of the period before.
    pub comments: u64,
    pub previous: u64,
    /// Its share of the period's uncovered comments over its share before.
    pub growth: f64,
    /// Share of its comments read as negative, 0–1.
    pub negative_share: f64,
    /// The most frequent two-word phrases containing it.
    pub phrases: Vec<String>,
    /// One comment that says it.
    pub example: String,
}

/// Counts the key phrases of the current and previous uncovered comments (text, negative?) and
/// returns the `limit` phrases seen in at least `min_comments` comments, by growth (or, with
/// `by_negative`, by negative share), then by volume.
pub fn emerging<'a>(
    current: impl IntoIterator<Item = (&'a str, bool)>,
    previous: impl IntoIterator<Item = &'a str>,
    min_comments: u64,
    limit: usize,
    by_negative: bool,
) -> Vec<EmergingPhrase> {
    #[derive(Default)]
    struct Count<'a> {
        now: u64,
        negative: u64,
        example: Option<&'a str>,
        forms: HashMap<String, u64>,
    }
    let mut counts: HashMap<String, Count<'a>> = HashMap::new();
    let mut n_now = 0u64;
    for (text, negative) in current {
        n_now += 1;
        for (phrase, words) in key_phrases_with_words(text) {
            let c = counts.entry(phrase).or_default();
            c.now += 1;
            c.negative += u64::from(negative);
            c.example.get_or_insert(text);
            *c.forms.entry(words).or_default() += 1;
        }
    }
    let mut before: HashMap<String, u64> = HashMap::new();
    let mut n_before = 0u64;
    for text in previous {
        n_before += 1;
        for phrase in key_phrases(text) {
            if counts.contains_key(&phrase) {
                *before.entry(phrase).or_default() += 1;
            }
        }
    }
    let pairs: Vec<(&String, u64)> = counts
        .iter()
        .filter(|(p, c)| p.contains(' ') && c.now >= min_comments)
        .map(|(p, c)| (p, c.now))
        .collect();
    // A phrase emerges when its share grew surely; without a period before, every phrase is new.
    let grew = |now: u64, before: u64| {
        n_before == 0
            || (now as f64 / n_now.max(1) as f64 > before as f64 / n_before as f64
                && g2(now, n_now, before, n_before) >= 3.84)
    };
    let mut out: Vec<EmergingPhrase> = counts
        .iter()
        .filter(|(p, c)| !p.contains(' ') && c.now >= min_comments.max(1))
        .filter(|(p, c)| by_negative || grew(c.now, before.get(*p).copied().unwrap_or(0)))
        .map(|(phrase, c)| {
            let previous = before.get(phrase).copied().unwrap_or(0);
            let share_now = c.now as f64 / n_now.max(1) as f64;
            let share_before = (previous + 1) as f64 / (n_before + 1) as f64;
            let mut related: Vec<(&String, u64)> = pairs
                .iter()
                .filter(|(p, _)| p.split(' ').any(|w| w == phrase))
                .copied()
                .collect();
            related.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let label = c
                .forms
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or_else(|| phrase.clone(), |(form, _)| form.clone());
            EmergingPhrase {
                phrase: phrase.clone(),
                label,
                comments: c.now,
                previous,
                growth: share_now / share_before,
                negative_share: c.negative as f64 / c.now as f64,
                phrases: related
                    .into_iter()
                    .take(3)
                    .map(|(p, _)| p.clone())
                    .collect(),
                example: c.example.unwrap_or_default().to_owned(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let (x, y) = if by_negative {
            (a.negative_share, b.negative_share)
        } else {
            (a.growth, b.growth)
        };
        y.total_cmp(&x)
            .then(b.comments.cmp(&a.comments))
            .then(a.phrase.cmp(&b.phrase))
    });
    out.truncate(limit);
    out
}
