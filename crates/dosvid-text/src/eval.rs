//! Evaluation on the public labelled sets of `../shared/data` (read from a folder given at run
//! time; nothing of them is shipped): language identification, garbage flags and sentiment
//! macro-F1 per set. The one place that reads files in this crate.

use std::path::Path;
use std::time::Instant;

use crate::{Label, Language, analyze};

/// A labelled set: where its texts and labels are, and how its labels map to ours.
#[derive(Debug, Clone, Copy)]
pub struct LabelledSet {
    pub name: &'static str,
    pub file: &'static str,
    /// CSV columns, or `None` for `text<TAB>0|1` lines.
    pub columns: Option<(&'static str, &'static str)>,
    pub language: Language,
    /// Positive/negative only: our neutral counts as not positive.
    pub binary: bool,
}

pub const SETS: [LabelledSet; 7] = [
    LabelledSet {
        name: "airline-tweets",
        file: "twitter-us-airline-sentiment/Tweets.csv",
        columns: Some(("text", "airline_sentiment")),
        language: Language::En,
        binary: false,
    },
    LabelledSet {
        name: "hotline-ua",
        file: "hotline-ua-reviews/hotline_ua_reviews_native_uk.csv",
        columns: Some(("text", "label")),
        language: Language::Uk,
        binary: true,
    },
    LabelledSet {
        name: "sentirueval-banks",
        file: "sentirueval2016/banks_test_etalon.csv",
        columns: Some(("text", "label")),
        language: Language::Ru,
        binary: false,
    },
    LabelledSet {
        name: "rusentitweet",
        file: "rusentitweet/rusentitweet_train.csv",
        columns: Some(("text", "label")),
        language: Language::Ru,
        binary: false,
    },
    LabelledSet {
        name: "uci-amazon",
        file: "uci-sentiment-labelled-sentences/amazon_cells_labelled.txt",
        columns: None,
        language: Language::En,
        binary: true,
    },
    LabelledSet {
        name: "uci-yelp",
        file: "uci-sentiment-labelled-sentences/yelp_labelled.txt",
        columns: None,
        language: Language::En,
        binary: true,
    },
    LabelledSet {
        name: "uci-imdb",
        file: "uci-sentiment-labelled-sentences/imdb_labelled.txt",
        columns: None,
        language: Language::En,
        binary: true,
    },
];

impl LabelledSet {
    /// The set's labels: `negative, positive`, or with `neutral` between.
    pub fn labels(&self) -> &'static [&'static str] {
        if self.binary {
            &["negative", "positive"]
        } else {
            &["negative", "neutral", "positive"]
        }
    }

    /// The (text, label) pairs with a negative/neutral/positive label; `None` when the file is
    /// absent.
    pub fn read(&self, data: &Path) -> Result<Option<Vec<(String, String)>>, String> {
        let path = data.join(self.file);
        if !path.exists() {
            return Ok(None);
        }
        let pairs: Vec<(String, String)> = match self.columns {
            None => std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .lines()
                .filter_map(|l| l.rsplit_once('\t'))
                .map(|(t, l)| {
                    let label = if l.trim() == "1" {
                        "positive"
                    } else {
                        "negative"
                    };
                    (t.to_owned(), label.to_owned())
                })
                .collect(),
            Some((text, label)) => csv_pairs(&path, text, label)?,
        };
        Ok(Some(
            pairs
                .into_iter()
                .filter(|(_, l)| ["negative", "neutral", "positive"].contains(&l.as_str()))
                .collect(),
        ))
    }
}

/// Two columns of every row of a CSV file.
fn csv_pairs(path: &Path, a: &str, b: &str) -> Result<Vec<(String, String)>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column {name}", path.display()))
    };
    let (a, b) = (column(a)?, column(b)?);
    let mut pairs = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        pairs.push((record[a].to_owned(), record[b].to_owned()));
    }
    Ok(pairs)
}

/// What one set measured.
#[derive(Debug, Clone)]
pub struct SetReport {
    pub set: LabelledSet,
    pub texts: usize,
    /// Share of texts with letters whose language was found right.
    pub language_accuracy: f64,
    pub garbage: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Texts per second on one core in this first pass, when the words the set is first to use
    /// are stemmed and looked up for the first time.
    pub texts_per_second: f64,
}

/// Builds the lexicons and the default taxonomy, as a server does before its first comment, so
/// that timing starts with them ready (VADER's peer, likewise, builds its analyzer first).
pub fn prepare() {
    for text in ["ready", "готово", "готов"] {
        analyze(text);
    }
}

/// Seconds each pass over the texts takes on one core at steady state: after one unmeasured
/// pass, so that the set's words are as known as a running server's are; at least `passes`
/// passes, and more until they fill `seconds`, so that a small set's median is not at the mercy
/// of one moment of a shared machine.
pub fn warm_passes(pairs: &[(String, String)], passes: usize, seconds: f64) -> Vec<f64> {
    let time = || {
        let started = Instant::now();
        for (text, _) in pairs {
            std::hint::black_box(analyze(text));
        }
        started.elapsed().as_secs_f64()
    };
    time();
    let mut taken = Vec::new();
    while taken.len() < passes.max(1) || taken.iter().sum::<f64>() < seconds {
        taken.push(time());
    }
    taken
}

/// Macro-F1 over the gold labels that occur.
pub fn macro_f1(pairs: &[(&str, &str)]) -> f64 {
    let mut labels: Vec<&str> = pairs.iter().map(|(g, _)| *g).collect();
    labels.sort_unstable();
    labels.dedup();
    let f1 = |l: &str| {
        let tp = pairs.iter().filter(|(g, p)| *g == l && *p == l).count() as f64;
        let fp = pairs.iter().filter(|(g, p)| *g != l && *p == l).count() as f64;
        let missed = pairs.iter().filter(|(g, p)| *g == l && *p != l).count() as f64;
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + missed)
        }
    };
    labels.iter().map(|l| f1(l)).sum::<f64>() / labels.len().max(1) as f64
}

/// Our label for a text, in the set's label space.
pub fn predicted(label: Option<Label>, binary: bool) -> &'static str {
    match (binary, label) {
        (_, Some(Label::Positive)) => "positive",
        (true, _) | (false, Some(Label::Negative)) => "negative",
        (false, _) => "neutral",
    }
}

pub fn evaluate(set: &LabelledSet, pairs: &[(String, String)]) -> SetReport {
    let started = Instant::now();
    let analyses: Vec<_> = pairs.iter().map(|(t, _)| analyze(t)).collect();
    let seconds = started.elapsed().as_secs_f64();
    let with_letters: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].0.chars().any(char::is_alphabetic))
        .collect();
    let right_language = with_letters
        .iter()
        .filter(|&&i| analyses[i].language == set.language)
        .count();
    let labelled: Vec<(&str, &str)> = pairs
        .iter()
        .zip(&analyses)
        .map(|((_, gold), a)| {
            (
                gold.as_str(),
                predicted(a.sentiment.map(|s| s.label), set.binary),
            )
        })
        .collect();
    SetReport {
        set: *set,
        texts: pairs.len(),
        language_accuracy: right_language as f64 / with_letters.len().max(1) as f64,
        garbage: analyses.iter().filter(|a| a.garbage.is_some()).count(),
        accuracy: labelled.iter().filter(|(g, p)| g == p).count() as f64
            / labelled.len().max(1) as f64,
        macro_f1: macro_f1(&labelled),
        texts_per_second: pairs.len() as f64 / seconds.max(1e-9),
    }
}

/// How the airline tweets' complaint reasons map onto the default taxonomy's top-level themes:
/// a reason agrees with our reading when any of its themes is found in the tweet. "Can't Tell"
/// has no theme and is left out.
pub const AIRLINE_REASONS: [(&str, &[&str]); 9] = [
    ("Late Flight", &["time"]),
    ("longlines", &["time"]),
    ("Cancelled Flight", &["quality"]),
    ("Lost Luggage", &["quality"]),
    ("Damaged Luggage", &["quality"]),
    ("Bad Flight", &["quality", "impressions"]),
    ("Flight Booking Problems", &["simplicity", "quality"]),
    ("Customer Service Issue", &["staff", "time"]),
    ("Flight Attendant Complaints", &["staff"]),
];

/// One complaint reason: its name, its tweets, and those where a mapped theme was found.
pub type ReasonAgreement = (&'static str, usize, usize);

/// Theme agreement on the airline tweets, per reason; `None` when the file is absent.
pub fn airline_theme_agreement(data: &Path) -> Result<Option<Vec<ReasonAgreement>>, String> {
    let path = data.join("twitter-us-airline-sentiment/Tweets.csv");
    if !path.exists() {
        return Ok(None);
    }
    let mut counts: Vec<ReasonAgreement> =
        AIRLINE_REASONS.iter().map(|(r, _)| (*r, 0, 0)).collect();
    for (text, reason) in csv_pairs(&path, "text", "negativereason")? {
        let Some(i) = AIRLINE_REASONS.iter().position(|(r, _)| *r == reason) else {
            continue;
        };
        let analysis = analyze(&text);
        let found = analysis.theme_keys().iter().any(|key| {
            let top = key.split('.').next().unwrap_or(key);
            AIRLINE_REASONS[i].1.contains(&top)
        });
        counts[i].1 += 1;
        counts[i].2 += usize::from(found);
    }
    Ok(Some(counts))
}
