//! Learning sentiment from labelled comments: a multinomial logistic regression over the stems
//! and stem pairs of a comment (hashed), with the lexicon's score as one more feature — so it
//! starts from what the lexicon knows and learns a domain's words on top. Trained with
//! stochastic gradient descent in a fixed order, so the same examples give the same model.
//!
//! [`cross_validate`] is the honest measure of any reading: k fixed folds, each held out once.
//! Nothing learned here is shipped; a model is fitted to the texts it is given, at run time.

use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

use crate::language::language_of;
use crate::normalize::{TokenKind, tokens_with};
use crate::stem::{Stems, Vocabulary};

/// Hashed feature slots.
const DIMENSIONS: usize = 1 << 18;
const EPOCHS: usize = 8;
const RATE: f32 = 0.2;
const L2: f32 = 1e-5;

/// A comment as the model sees it: hashed stems and stem pairs, and the lexicon's score.
#[derive(Debug, Clone)]
pub struct Features {
    slots: Vec<u32>,
    lexicon: f32,
}

fn slot(text: &str) -> u32 {
    let mut h = FxHasher::default();
    text.hash(&mut h);
    (h.finish() % DIMENSIONS as u64) as u32
}

/// The features of a comment, the lexicon's score read from the same words (as the analysis
/// reads it).
pub fn features(text: &str) -> Features {
    let vocabulary = Vocabulary::read();
    let tokens = tokens_with(text, &vocabulary);
    let language = language_of(&tokens);
    let stems = Stems::of(&tokens, language, vocabulary);
    let lexicon = crate::sentiment::sentiment_of(text, &tokens, &stems, language).score;
    let features = features_of(&tokens, &stems, lexicon);
    stems.learn(&tokens);
    features
}

/// The features of a comment already split and stemmed, with the lexicon's score.
pub(crate) fn features_of(
    tokens: &[crate::normalize::Token],
    stems: &Stems,
    lexicon: f32,
) -> Features {
    let mut slots = Vec::new();
    let mut previous: Option<String> = None;
    for (i, token) in tokens.iter().enumerate() {
        let stem = match token.kind {
            TokenKind::Word => stems.get(i).to_owned(),
            TokenKind::Emoji => token.text.to_string(),
            _ => {
                previous = None;
                continue;
            }
        };
        slots.push(slot(&stem));
        if let Some(p) = &previous {
            slots.push(slot(&format!("{p} {stem}")));
        }
        previous = Some(stem);
    }
    slots.sort_unstable();
    slots.dedup();
    Features { slots, lexicon }
}

/// A fitted model: per class, a weight per slot, one for the lexicon's score and a bias.
pub struct Model {
    classes: usize,
    weights: Vec<f32>,
    lexicon: Vec<f32>,
    bias: Vec<f32>,
}

impl Model {
    fn scores(&self, f: &Features) -> Vec<f32> {
        (0..self.classes)
            .map(|c| {
                let row = &self.weights[c * DIMENSIONS..(c + 1) * DIMENSIONS];
                self.bias[c]
                    + self.lexicon[c] * f.lexicon
                    + f.slots.iter().map(|&s| row[s as usize]).sum::<f32>()
            })
            .collect()
    }

    /// The probability of each class.
    pub fn probabilities(&self, f: &Features) -> Vec<f32> {
        let scores = self.scores(f);
        let top = scores.iter().copied().fold(f32::MIN, f32::max);
        let exp: Vec<f32> = scores.iter().map(|s| (s - top).exp()).collect();
        let total: f32 = exp.iter().sum();
        exp.iter().map(|e| e / total).collect()
    }

    /// The most probable class.
    pub fn predict(&self, f: &Features) -> usize {
        let scores = self.scores(f);
        (0..self.classes)
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap_or(0)
    }
}

/// An organisation's sentiment model as the analysis reads it: fitted to three classes —
/// negative, neutral, positive — its score the probability of positive less that of negative.
pub struct Reader {
    model: Model,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reader({} classes)", self.model.classes)
    }
}

impl Reader {
    /// A reader of a model fitted to the classes negative, neutral, positive (in that order).
    pub fn new(model: Model) -> Reader {
        Reader { model }
    }

    pub(crate) fn read(&self, f: &Features) -> crate::Sentiment {
        let p = self.model.probabilities(f);
        let score = (p[2] - p[0]).clamp(-1.0, 1.0);
        crate::Sentiment {
            score,
            label: crate::Label::of(f64::from(score)),
        }
    }
}

/// Fits a model to examples (features, class below `classes`).
pub fn train(examples: &[(&Features, usize)], classes: usize) -> Model {
    let mut model = Model {
        classes,
        weights: vec![0.0; classes * DIMENSIONS],
        lexicon: vec![0.0; classes],
        bias: vec![0.0; classes],
    };
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for epoch in 0..EPOCHS {
        // A fixed shuffle (xorshift), so that the same examples give the same model.
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let rate = RATE / (1.0 + epoch as f32);
        for &i in &order {
            let (f, gold) = examples[i];
            for (c, p) in model.probabilities(f).into_iter().enumerate() {
                let gradient = p - if c == gold { 1.0 } else { 0.0 };
                let step = rate * gradient;
                let row = &mut model.weights[c * DIMENSIONS..(c + 1) * DIMENSIONS];
                for &s in &f.slots {
                    let w = &mut row[s as usize];
                    *w -= step + rate * L2 * *w;
                }
                model.lexicon[c] -= step * f.lexicon;
                model.bias[c] -= step;
            }
        }
    }
    model
}

/// The figures of k-fold cross-validation, one per fold.
#[derive(Debug, Clone)]
pub struct CrossValidation {
    /// Macro-F1 of the lexicon reading on each held-out fold.
    pub lexicon: Vec<f64>,
    /// Macro-F1 of a model fitted to the other folds, on each held-out fold.
    pub learned: Vec<f64>,
    /// Macro-F1 of a model fitted to every text, on the same texts (how much it memorises).
    pub learned_on_its_own_texts: f64,
}

/// The fold of a text: fixed by its content, so a text is held out in the same fold in every run.
pub fn fold_of(text: &str, k: usize) -> usize {
    let mut h = FxHasher::default();
    text.hash(&mut h);
    (h.finish() % k as u64) as usize
}

/// Cross-validates the lexicon reading and a learned model on labelled texts, their labels
/// `negative, positive` or `negative, neutral, positive` (the lexicon's neutral counts as
/// negative where there are two); with the model fitted to every text.
pub fn cross_validate(
    texts: &[(String, String)],
    labels: &[&str],
    k: usize,
) -> (CrossValidation, Model) {
    let class = |l: &str| labels.iter().position(|x| *x == l).unwrap_or(0);
    let features: Vec<Features> = texts.iter().map(|(t, _)| features(t)).collect();
    let lexicon: Vec<&'static str> = features
        .iter()
        .map(|f| {
            let label = crate::Label::of(f64::from(f.lexicon));
            crate::eval::predicted(Some(label), labels.len() == 2)
        })
        .collect();
    let folds: Vec<usize> = texts.iter().map(|(t, _)| fold_of(t, k)).collect();
    let mut result = CrossValidation {
        lexicon: Vec::new(),
        learned: Vec::new(),
        learned_on_its_own_texts: 0.0,
    };
    for fold in 0..k {
        let train_set: Vec<(&Features, usize)> = (0..texts.len())
            .filter(|&i| folds[i] != fold)
            .map(|i| (&features[i], class(&texts[i].1)))
            .collect();
        let model = train(&train_set, labels.len());
        let held: Vec<usize> = (0..texts.len()).filter(|&i| folds[i] == fold).collect();
        let by_lexicon: Vec<(&str, &str)> = held
            .iter()
            .map(|&i| (texts[i].1.as_str(), lexicon[i]))
            .collect();
        let by_model: Vec<(&str, &str)> = held
            .iter()
            .map(|&i| (texts[i].1.as_str(), labels[model.predict(&features[i])]))
            .collect();
        result.lexicon.push(crate::eval::macro_f1(&by_lexicon));
        result.learned.push(crate::eval::macro_f1(&by_model));
    }
    let all: Vec<(&Features, usize)> = (0..texts.len())
        .map(|i| (&features[i], class(&texts[i].1)))
        .collect();
    let model = train(&all, labels.len());
    let own: Vec<(&str, &str)> = (0..texts.len())
        .map(|i| (texts[i].1.as_str(), labels[model.predict(&features[i])]))
        .collect();
    result.learned_on_its_own_texts = crate::eval::macro_f1(&own);
    (result, model)
}

/// Mean and standard deviation.
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_learns_a_domains_words_the_lexicon_does_not_know() {
        // "залипає" and "лагає" (the app freezes) are in no lexicon; "летить" (flies) neither.
        let mut texts = Vec::new();
        for i in 0..60 {
            texts.push((format!("застосунок залипає {i}"), "negative".to_owned()));
            texts.push((format!("застосунок лагає знову {i}"), "negative".to_owned()));
            texts.push((format!("застосунок летить {i}"), "positive".to_owned()));
        }
        let (cv, _) = cross_validate(&texts, &["negative", "positive"], 5);
        let (learned, _) = mean_sd(&cv.learned);
        let (lexicon, _) = mean_sd(&cv.lexicon);
        assert!(learned > 0.95 && lexicon < 0.5, "{cv:?}");
        // The same texts give the same folds and the same model.
        assert_eq!(
            fold_of("застосунок летить 7", 5),
            fold_of("застосунок летить 7", 5)
        );
        let (again, _) = cross_validate(&texts, &["negative", "positive"], 5);
        assert_eq!(again.learned, cv.learned);
    }
}
