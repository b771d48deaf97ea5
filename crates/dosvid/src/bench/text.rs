//! `dosvid eval text`: what Dosvid reads in comments, measured on the public labelled sets of
//! `../shared/data` — language accuracy, texts flagged as garbage, sentiment accuracy and
//! macro-F1, throughput on one core — next to VADER (Python `vaderSentiment`, the usual
//! lexicon baseline) on the same English texts in the same run. Throughput is given for the
//! first pass over a set (its new words stemmed for the first time) and at steady state (the
//! median of the passes after it: five at least, and as many as fill 0.3 s); VADER, which keeps
//! nothing between texts, is timed as the median of three passes (0.05–0.5 s each). Each set is
//! also cross-validated on five fixed folds: the lexicon's figure per fold beside its whole-set
//! figure, and a model learned from the other folds' labels (`dosvid_text::learn`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use dosvid_text::eval::{SETS, evaluate, warm_passes};
use serde_json::Value;

const VADER: &str = r#"
import json, sys, time
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
analyzer = SentimentIntensityAnalyzer()
for line in sys.stdin:
    job = json.loads(line)
    passes = []
    for _ in range(3):
        started = time.time()
        predicted = []
        for text in job["texts"]:
            c = analyzer.polarity_scores(text)["compound"]
            if c >= 0.05: predicted.append("positive")
            elif c <= -0.05 or job["binary"]: predicted.append("negative")
            else: predicted.append("neutral")
        passes.append(time.time() - started)
    seconds = sorted(passes)[1]
    print(json.dumps({"set": job["set"], "predicted": predicted, "seconds": seconds}), flush=True)
"#;

pub fn run(data: &Path) -> anyhow::Result<()> {
    if !data.exists() {
        bail!("no labelled data at {} (pass --data DIR)", data.display());
    }
    dosvid_text::eval::prepare();
    let mut english = Vec::new();
    for set in &SETS {
        let Some(pairs) = set.read(data).map_err(anyhow::Error::msg)? else {
            println!("{} skipped: {} is absent", set.name, set.file);
            continue;
        };
        let report = evaluate(set, &pairs);
        let warm = pairs.len() as f64 / super::median(warm_passes(&pairs, 5, 0.3)).max(1e-9);
        println!(
            "{} texts={} language={:.4} garbage={} accuracy={:.3} macro_f1={:.3} first_pass_texts_per_s={:.0} texts_per_s={warm:.0}",
            set.name,
            report.texts,
            report.language_accuracy,
            report.garbage,
            report.accuracy,
            report.macro_f1,
            report.texts_per_second
        );
        cross_validated(set, &pairs, report.macro_f1);
        if set.language == dosvid_text::Language::En {
            english.push((set, pairs, report, warm));
        }
    }
    if let Some(counts) =
        dosvid_text::eval::airline_theme_agreement(data).map_err(anyhow::Error::msg)?
    {
        let (tweets, agreed) = counts.iter().fold((0, 0), |(t, a), c| (t + c.1, a + c.2));
        for (reason, n, found) in &counts {
            println!(
                "airline-themes reason={reason:?} tweets={n} agreement={:.3}",
                *found as f64 / (*n).max(1) as f64
            );
        }
        println!(
            "airline-themes tweets={tweets} agreement={:.3}",
            agreed as f64 / tweets.max(1) as f64
        );
    }
    if english.is_empty() {
        return Ok(());
    }
    let python = super::python_with(&["vaderSentiment"])?;
    let input: String = english
        .iter()
        .map(|(set, pairs, ..)| {
            let texts: Vec<&str> = pairs.iter().map(|(t, _)| t.as_str()).collect();
            serde_json::json!({"set": set.name, "binary": set.binary, "texts": texts}).to_string()
                + "\n"
        })
        .collect();
    let mut child = Command::new(&python)
        .args(["-c", VADER])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running VADER")?;
    // Written from another thread: the peer answers while it is still being fed, and a full
    // pipe each way would otherwise wait for the other for ever.
    let mut stdin = child.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes())
    });
    let output = child.wait_with_output()?;
    feeder.join().expect("the feeding thread")?;
    if !output.status.success() {
        bail!("the VADER peer failed");
    }
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let answer: Value = serde_json::from_str(line)?;
        let Some((_, pairs, ours, warm)) = english.iter().find(|(s, ..)| answer["set"] == s.name)
        else {
            continue;
        };
        let predicted: Vec<&str> = answer["predicted"]
            .as_array()
            .context("no predictions")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let labelled: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(_, g)| g.as_str())
            .zip(predicted)
            .collect();
        let seconds = answer["seconds"].as_f64().unwrap_or(f64::NAN);
        let vader_speed = pairs.len() as f64 / seconds;
        println!(
            "{} vader_macro_f1={:.3} vader_texts_per_s={:.0} ours_macro_f1={:.3} speed_ratio={:.1} first_pass_speed_ratio={:.1}",
            answer["set"].as_str().unwrap_or_default(),
            dosvid_text::eval::macro_f1(&labelled),
            vader_speed,
            ours.macro_f1,
            warm / vader_speed,
            ours.texts_per_second / vader_speed
        );
    }
    Ok(())
}

/// Folds of the cross-validation.
const FOLDS: usize = 5;

/// The honest figures of a set: the lexicon's macro-F1 on each of five fixed folds (mean and
/// spread) beside its whole-set figure and the gap between them, and what a model learned from
/// the other folds' labels (as an organisation's model learns from its own answers) reads on
/// each held-out fold — beside what it reads on the texts it was fitted to.
fn cross_validated(set: &dosvid_text::eval::LabelledSet, pairs: &[(String, String)], whole: f64) {
    use dosvid_text::learn::{cross_validate, mean_sd};
    let (cv, _) = cross_validate(pairs, set.labels(), FOLDS);
    let (lexicon_cv, lexicon_sd) = mean_sd(&cv.lexicon);
    let (learned_cv, learned_sd) = mean_sd(&cv.learned);
    println!(
        "{} cross_validated folds={FOLDS} lexicon_cv_macro_f1={lexicon_cv:.3}±{lexicon_sd:.3} lexicon_whole_set={whole:.3} gap={:.3} learned_cv_macro_f1={learned_cv:.3}±{learned_sd:.3} learned_on_its_own_texts={:.3} gap={:.3}",
        set.name,
        whole - lexicon_cv,
        cv.learned_on_its_own_texts,
        cv.learned_on_its_own_texts - learned_cv
    );
}
