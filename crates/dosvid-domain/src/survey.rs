//! Surveys (SPEC §3 item 4): a definition with typed questions, texts in several languages and
//! display logic on earlier answers; the answers a respondent gives; and what a finished
//! response becomes — the same feedback record the ingestion API creates. The definition's
//! JSON shape is the API's and the import/export format, so an error's `field`
//! (`questions[2].show_if.question`) points into the document the user wrote.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};
use crate::signal::{FeedbackInput, FeedbackSource};

/// The languages survey pages are offered in.
pub const SURVEY_LANGUAGES: [&str; 3] = ["uk", "en", "ru"];
/// Most questions in one survey.
pub const MAX_QUESTIONS: usize = 100;
/// Most options of one choice question.
pub const MAX_OPTIONS: usize = 30;
/// Longest question or option text, in characters.
pub const MAX_QUESTION_CHARS: usize = 1_000;

/// A text in each language the survey is offered in: `{"uk": "…", "en": "…"}`.
pub type Texts = BTreeMap<String, String>;

/// The kinds of question. Scored kinds feed the metric of their name; `servqual` asks the
/// expectation and the perception of one service-quality item, each on 1–7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Likelihood to recommend, 0–10.
    Nps,
    /// Satisfaction, 1–5.
    Csat,
    /// Effort, 1–7 (7 = very easy).
    Ces,
    /// A rating of 1..`scale`.
    Rating,
    SingleChoice,
    MultipleChoice,
    /// Free text; becomes the feedback record's comment.
    Text,
    Servqual,
}

impl QuestionKind {
    /// The answer range of a numeric question.
    pub fn range(self, scale: Option<u8>) -> Option<(i64, i64)> {
        match self {
            QuestionKind::Nps => Some((0, 10)),
            QuestionKind::Csat => Some((1, 5)),
            QuestionKind::Ces => Some((1, 7)),
            QuestionKind::Rating => Some((1, scale.unwrap_or(5).into())),
            QuestionKind::Servqual => Some((1, 7)),
            _ => None,
        }
    }
}

/// The five SERVQUAL dimensions an item belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServqualDimension {
    Tangibles,
    Reliability,
    Responsiveness,
    Assurance,
    Empathy,
}

impl ServqualDimension {
    pub const ALL: [ServqualDimension; 5] = [
        ServqualDimension::Tangibles,
        ServqualDimension::Reliability,
        ServqualDimension::Responsiveness,
        ServqualDimension::Assurance,
        ServqualDimension::Empathy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServqualDimension::Tangibles => "tangibles",
            ServqualDimension::Reliability => "reliability",
            ServqualDimension::Responsiveness => "responsiveness",
            ServqualDimension::Assurance => "assurance",
            ServqualDimension::Empathy => "empathy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// How answers name the option.
    pub key: String,
    #[schema(value_type = Object)]
    pub text: Texts,
}

/// Shows a question only when an earlier answer meets one test: `at_most`/`at_least` for a
/// numeric answer, `any_of` for a choice (any of the listed option keys chosen), `answered`
/// for any answer at all. A question whose condition refers to an unanswered question is skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The id of an earlier question.
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Names the question in answers, conditions and exports (`nps`, `what_went_wrong`).
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    #[schema(value_type = Object)]
    pub text: Texts,
    /// A respondent cannot go on without answering it.
    #[serde(default)]
    pub required: bool,
    /// Options of a choice question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// The top of a rating's scale, 2–10 (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u8>,
    /// The dimension of a SERVQUAL item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<ServqualDimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
}

/// A survey as written by its author: the body of `POST /api/v1/surveys` and what
/// `GET /api/v1/surveys/{id}/definition` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyDefinition {
    /// Unique within the organisation; part of the survey's public link.
    pub key: String,
    #[schema(value_type = Object)]
    pub title: Texts,
    /// The languages offered (`uk`, `en`, `ru`); the first is the default. Every text must
    /// exist in each.
    pub languages: Vec<String>,
    /// The touchpoint the answers are about (its key); a personal link for an interaction uses
    /// the interaction's touchpoint instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    /// The channel the survey is answered through (its key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Shown above the first question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub intro: Option<Texts>,
    /// Shown on the thank-you page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub thanks: Option<Texts>,
    /// One customer is invited to this survey at most once in this many days (default 90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fatigue_days: Option<u32>,
    /// How long a personal link stays valid, in days (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_valid_days: Option<u32>,
    /// Weights of the SERVQUAL dimensions in the overall gap (default equal).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub servqual_weights: BTreeMap<ServqualDimension, f64>,
    pub questions: Vec<Question>,
}

pub const DEFAULT_SURVEY_FATIGUE_DAYS: u32 = 90;
pub const DEFAULT_LINK_VALID_DAYS: u32 = 30;

fn texts(field: &str, texts: &Texts, languages: &[String]) -> Result<(), FieldError> {
    for language in languages {
        let text = texts.get(language).map(|t| t.trim()).unwrap_or_default();
        if text.is_empty() {
            return Err(FieldError::new(
                format!("{field}.{language}"),
                "is required in every language of the survey",
            ));
        }
    }
    for (language, text) in texts {
        if !languages.contains(language) {
            return Err(FieldError::new(
                format!("{field}.{language}"),
                "is not one of the survey's languages",
            ));
        }
        if text.chars().count() > MAX_QUESTION_CHARS {
            return Err(FieldError::new(
                format!("{field}.{language}"),
                format!("must be at most {MAX_QUESTION_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

impl SurveyDefinition {
    /// Checks the whole definition, naming the first field at fault.
    pub fn validate(mut self) -> Result<SurveyDefinition, FieldError> {
        self.key = error::key("key", &self.key)?;
        if self.languages.is_empty() {
            return Err(FieldError::new("languages", "name at least one language"));
        }
        for (i, language) in self.languages.iter_mut().enumerate() {
            *language = language.trim().to_ascii_lowercase();
            if !SURVEY_LANGUAGES.contains(&language.as_str()) {
                return Err(FieldError::new(
                    format!("languages[{i}]"),
                    "must be one of uk, en, ru",
                ));
            }
        }
        let mut seen = self.languages.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.languages.len() {
            return Err(FieldError::new("languages", "names a language twice"));
        }
        texts("title", &self.title, &self.languages)?;
        if let Some(intro) = &self.intro {
            texts("intro", intro, &self.languages)?;
        }
        if let Some(thanks) = &self.thanks {
            texts("thanks", thanks, &self.languages)?;
        }
        self.touchpoint = self
            .touchpoint
            .as_deref()
            .map(|k| error::key("touchpoint", k))
            .transpose()?;
        self.channel = self
            .channel
            .as_deref()
            .map(|k| error::key("channel", k))
            .transpose()?;
        for (field, days) in [
            ("fatigue_days", self.fatigue_days),
            ("link_valid_days", self.link_valid_days),
        ] {
            if days.is_some_and(|d| d > 3_650) {
                return Err(FieldError::new(field, "must be at most 3650 days"));
            }
        }
        if self.link_valid_days == Some(0) {
            return Err(FieldError::new("link_valid_days", "must be at least 1"));
        }
        for (dimension, weight) in &self.servqual_weights {
            if !(weight.is_finite() && *weight >= 0.0) {
                let name = serde_json::to_value(dimension).unwrap_or_default();
                return Err(FieldError::new(
                    format!("servqual_weights.{}", name.as_str().unwrap_or_default()),
                    "must be a number of 0 or more",
                ));
            }
        }
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            return Err(FieldError::new(
                "questions",
                format!("a survey has 1 to {MAX_QUESTIONS} questions"),
            ));
        }
        let languages = self.languages.clone();
        for i in 0..self.questions.len() {
            let (earlier, rest) = self.questions.split_at_mut(i);
            validate_question(&mut rest[0], i, earlier, &languages)?;
        }
        Ok(self)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The language a page is shown in: the one asked for if offered, else the default.
    pub fn language<'a>(&'a self, wanted: &[&str]) -> &'a str {
        wanted
            .iter()
            .find_map(|w| self.languages.iter().find(|l| l.as_str() == *w))
            .unwrap_or(&self.languages[0])
    }

    /// Whether question `i` is shown, given the answers so far.
    pub fn visible(&self, i: usize, answers: &Answers) -> bool {
        let Some(condition) = &self.questions[i].show_if else {
            return true;
        };
        let Some(answer) = answers.get(&condition.question) else {
            return false;
        };
        if condition.answered == Some(true) {
            return true;
        }
        match answer {
            Answer::Number(n) => {
                condition.at_most.is_none_or(|max| *n <= max)
                    && condition.at_least.is_none_or(|min| *n >= min)
                    && condition.any_of.is_none()
            }
            Answer::Text(key) => condition
                .any_of
                .as_ref()
                .is_some_and(|keys| keys.contains(key)),
            Answer::Many(chosen) => condition
                .any_of
                .as_ref()
                .is_some_and(|keys| chosen.iter().any(|c| keys.contains(c))),
            Answer::Pair { .. } => false,
        }
    }

    /// The first shown question after `from` (exclusive; `None` = from the start).
    pub fn next_visible(&self, from: Option<usize>, answers: &Answers) -> Option<usize> {
        let start = from.map_or(0, |i| i + 1);
        (start..self.questions.len()).find(|&i| self.visible(i, answers))
    }

    /// The last shown question before `from`.
    pub fn previous_visible(&self, from: usize, answers: &Answers) -> Option<usize> {
        (0..from).rev().find(|&i| self.visible(i, answers))
    }

    /// Answers to questions that are no longer shown (an earlier answer changed) are dropped,
    /// so a response never keeps an answer to a question its respondent was not asked.
    pub fn prune(&self, answers: &mut Answers) {
        for i in 0..self.questions.len() {
            if !self.visible(i, answers) {
                answers.remove(&self.questions[i].id);
            }
        }
    }
}

fn validate_question(
    q: &mut Question,
    i: usize,
    earlier: &[Question],
    languages: &[String],
) -> Result<(), FieldError> {
    let field = |name: &str| format!("questions[{i}].{name}");
    q.id = error::key(&field("id"), &q.id)?;
    if earlier.iter().any(|e| e.id == q.id) {
        return Err(FieldError::new(
            field("id"),
            "is used by an earlier question",
        ));
    }
    texts(&field("text"), &q.text, languages)?;
    let choice = matches!(
        q.kind,
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice
    );
    if choice {
        if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
            return Err(FieldError::new(
                field("options"),
                format!("a choice question has 2 to {MAX_OPTIONS} options"),
            ));
        }
        for j in 0..q.options.len() {
            let key = error::key(&field(&format!("options[{j}].key")), &q.options[j].key)?;
            if q.options[..j].iter().any(|o| o.key == key) {
                return Err(FieldError::new(
                    field(&format!("options[{j}].key")),
                    "is used by an earlier option",
                ));
            }
            q.options[j].key = key;
            texts(
                &field(&format!("options[{j}].text")),
                &q.options[j].text,
                languages,
            )?;
        }
    } else if !q.options.is_empty() {
        return Err(FieldError::new(
            field("options"),
            "only choice questions have options",
        ));
    }
    match (q.kind, q.scale) {
        (QuestionKind::Rating, Some(scale)) if !(2..=10).contains(&scale) => {
            return Err(FieldError::new(field("scale"), "must be from 2 to 10"));
        }
        (QuestionKind::Rating, _) | (_, None) => {}
        (_, Some(_)) => {
            return Err(FieldError::new(
                field("scale"),
                "only rating questions have a scale",
            ));
        }
    }
    match (q.kind, q.dimension) {
        (QuestionKind::Servqual, None) => {
            return Err(FieldError::new(
                field("dimension"),
                "a SERVQUAL item needs its dimension: tangibles, reliability, responsiveness, assurance or empathy",
            ));
        }
        (QuestionKind::Servqual, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err(FieldError::new(
                field("dimension"),
                "only SERVQUAL items have a dimension",
            ));
        }
    }
    if let Some(condition) = &q.show_if {
        let Some(target) = earlier.iter().find(|e| e.id == condition.question) else {
            return Err(FieldError::new(
                field("show_if.question"),
                format!(
                    "must name an earlier question; '{}' is not one",
                    condition.question
                ),
            ));
        };
        let numeric =
            target.kind.range(target.scale).is_some() && target.kind != QuestionKind::Servqual;
        let tests = [
            condition.at_most.is_some() || condition.at_least.is_some(),
            condition.any_of.is_some(),
            condition.answered == Some(true),
        ];
        if tests.iter().filter(|t| **t).count() != 1 {
            return Err(FieldError::new(
                field("show_if"),
                "give one test: at_most and/or at_least, any_of, or answered: true",
            ));
        }
        if tests[0] && !numeric {
            return Err(FieldError::new(
                field("show_if"),
                format!("'{}' has no numeric answer to compare", target.id),
            ));
        }
        if let Some(keys) = &condition.any_of {
            for key in keys {
                if !target.options.iter().any(|o| &o.key == key) {
                    return Err(FieldError::new(
                        field("show_if.any_of"),
                        format!("'{key}' is not an option of '{}'", target.id),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// One answer: a number (scored questions), an option key or a text, several option keys, or a
/// SERVQUAL pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Answer {
    Number(i64),
    Text(String),
    Many(Vec<String>),
    Pair { expectation: i64, perception: i64 },
}

/// A response's answers by question id.
pub type Answers = BTreeMap<String, Answer>;

/// Reads the answer to `q` from submitted form fields (`values` are the values sent under the
/// question's id; `expectation`/`perception` those of a SERVQUAL pair). `Ok(None)` is no answer.
pub fn parse_answer(
    q: &Question,
    values: &[&str],
    expectation: Option<&str>,
    perception: Option<&str>,
) -> Result<Option<Answer>, FieldError> {
    let present: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let number = |raw: &str, field: &str, (min, max): (i64, i64)| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| FieldError::new(field, format!("choose a value from {min} to {max}")))
    };
    let answer = match q.kind {
        QuestionKind::Servqual => {
            let range = (1, 7);
            let e = expectation.map(str::trim).filter(|v| !v.is_empty());
            let p = perception.map(str::trim).filter(|v| !v.is_empty());
            match (e, p) {
                (None, None) => None,
                (Some(e), Some(p)) => Some(Answer::Pair {
                    expectation: number(e, &format!("{}.expectation", q.id), range)?,
                    perception: number(p, &format!("{}.perception", q.id), range)?,
                }),
                (None, Some(_)) => {
                    return Err(FieldError::new(
                        format!("{}.expectation", q.id),
                        "answer both what you expected and what you got",
                    ));
                }
                (Some(_), None) => {
                    return Err(FieldError::new(
                        format!("{}.perception", q.id),
                        "answer both what you expected and what you got",
                    ));
                }
            }
        }
        kind => match (kind, present.as_slice()) {
            (_, []) => None,
            (QuestionKind::MultipleChoice, chosen) => {
                let mut keys = Vec::new();
                for c in chosen {
                    if !q.options.iter().any(|o| o.key == *c) {
                        return Err(FieldError::new(&q.id, format!("'{c}' is not an option")));
                    }
                    if !keys.iter().any(|k: &String| k == c) {
                        keys.push((*c).to_owned());
                    }
                }
                Some(Answer::Many(keys))
            }
            (_, [_, _, ..]) => {
                return Err(FieldError::new(&q.id, "give one answer"));
            }
            (QuestionKind::SingleChoice, [c]) => {
                if !q.options.iter().any(|o| o.key == *c) {
                    return Err(FieldError::new(&q.id, format!("'{c}' is not an option")));
                }
                Some(Answer::Text((*c).to_owned()))
            }
            (QuestionKind::Text, [text]) => {
                let chars = text.chars().count();
                if chars > crate::limits::MAX_COMMENT_CHARS {
                    return Err(FieldError::new(
                        &q.id,
                        format!(
                            "must be at most {} characters, got {chars}",
                            crate::limits::MAX_COMMENT_CHARS
                        ),
                    ));
                }
                if text.contains('\0') {
                    return Err(FieldError::new(&q.id, "must not contain NUL characters"));
                }
                Some(Answer::Text((*text).to_owned()))
            }
            (kind, [raw]) => {
                let range = kind.range(q.scale).expect("numeric kinds have a range");
                Some(Answer::Number(number(raw, &q.id, range)?))
            }
        },
    };
    if answer.is_none() && q.required {
        return Err(FieldError::new(&q.id, "this question needs an answer"));
    }
    Ok(answer)
}

/// Checks a whole answer set sent as JSON (the API's shape) against the definition.
pub fn check_answers(definition: &SurveyDefinition, answers: &Answers) -> Result<(), FieldError> {
    for (id, answer) in answers {
        let Some(q) = definition.question(id) else {
            return Err(FieldError::new(
                format!("answers.{id}"),
                "is not a question of this survey",
            ));
        };
        let ok = match (q.kind, answer) {
            (QuestionKind::SingleChoice, Answer::Text(k)) => q.options.iter().any(|o| &o.key == k),
            (QuestionKind::MultipleChoice, Answer::Many(ks)) => {
                ks.iter().all(|k| q.options.iter().any(|o| &o.key == k))
            }
            (QuestionKind::Text, Answer::Text(t)) => {
                t.chars().count() <= crate::limits::MAX_COMMENT_CHARS
            }
            (
                QuestionKind::Servqual,
                Answer::Pair {
                    expectation,
                    perception,
                },
            ) => (1..=7).contains(expectation) && (1..=7).contains(perception),
            (kind, Answer::Number(n)) => kind.range(q.scale).is_some_and(|(min, max)| {
                kind != QuestionKind::Servqual && (min..=max).contains(n)
            }),
            _ => false,
        };
        if !ok {
            return Err(FieldError::new(
                format!("answers.{id}"),
                "is not a valid answer to this question",
            ));
        }
    }
    Ok(())
}

/// The feedback record a finished response becomes: the first NPS, CSAT, CES and rating
/// answers as scores, the free-text answers as the comment. `None` when the respondent gave
/// neither a score nor a comment (nothing to measure).
pub fn response_feedback(
    definition: &SurveyDefinition,
    version: i64,
    response_id: i64,
    answers: &Answers,
    language: &str,
) -> Option<FeedbackInput> {
    let mut input = FeedbackInput {
        external_id: Some(format!("survey-response-{response_id}")),
        source: Some(FeedbackSource::Survey),
        ..Default::default()
    };
    let mut comments = Vec::new();
    for q in &definition.questions {
        match (q.kind, answers.get(&q.id)) {
            (QuestionKind::Nps, Some(Answer::Number(n))) if input.nps.is_none() => {
                input.nps = Some(*n);
            }
            (QuestionKind::Csat, Some(Answer::Number(n))) if input.csat.is_none() => {
                input.csat = Some(*n);
            }
            (QuestionKind::Ces, Some(Answer::Number(n))) if input.ces.is_none() => {
                input.ces = Some(*n);
            }
            (QuestionKind::Rating, Some(Answer::Number(n))) if input.rating.is_none() => {
                input.rating = Some(*n);
                input.rating_scale = Some(q.scale.unwrap_or(5).into());
            }
            (QuestionKind::Text, Some(Answer::Text(t))) if !t.trim().is_empty() => {
                comments.push(t.trim());
            }
            _ => {}
        }
    }
    if !comments.is_empty() {
        let mut comment = comments.join("\n\n");
        if comment.chars().count() > crate::limits::MAX_COMMENT_CHARS {
            comment = comment
                .chars()
                .take(crate::limits::MAX_COMMENT_CHARS)
                .collect();
        }
        input.comment = Some(comment);
    } else {
        // Without a comment, the record's language is the one the respondent read.
        input.language = Some(language.to_owned());
    }
    let scored = [input.nps, input.csat, input.ces, input.rating]
        .iter()
        .any(Option::is_some);
    if !scored && input.comment.is_none() {
        return None;
    }
    let mut attributes = crate::Attributes::new();
    attributes.insert("survey".into(), definition.key.clone().into());
    attributes.insert("survey_version".into(), version.into());
    attributes.insert("survey_response_id".into(), response_id.into());
    input.attributes = Some(attributes);
    Some(input)
}

/// Whether a survey takes answers: `active` does, `draft` and `closed` do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    Draft,
    Active,
    Closed,
}

impl SurveyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyStatus::Draft => "draft",
            SurveyStatus::Active => "active",
            SurveyStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            SurveyStatus::Draft,
            SurveyStatus::Active,
            SurveyStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A stored survey: its current definition and where its answers go.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Survey {
    pub id: i64,
    pub key: String,
    pub status: SurveyStatus,
    /// Increases with every change of the definition; responses keep the version they answered.
    pub version: i64,
    pub touchpoint_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub definition: SurveyDefinition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A personal invitation: one customer (and optionally one interaction) asked to answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub survey_id: i64,
    pub customer_id: Option<i64>,
    pub interaction_id: Option<i64>,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    InProgress,
    Completed,
}

impl ResponseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseStatus::InProgress => "in_progress",
            ResponseStatus::Completed => "completed",
        }
    }
}

/// One respondent's answers to one survey, finished or not.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SurveyResponse {
    pub id: i64,
    pub survey_id: i64,
    pub version: i64,
    pub invitation_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub interaction_id: Option<i64>,
    pub language: String,
    pub status: ResponseStatus,
    /// The question the respondent is on (an index into the version's questions).
    pub position: Option<i64>,
    #[schema(value_type = Object)]
    pub answers: Answers,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The feedback record the finished response became.
    pub feedback_id: Option<i64>,
}

/// A response about to begin.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    pub survey_id: i64,
    pub version: i64,
    pub invitation_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub interaction_id: Option<i64>,
    pub language: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(json: serde_json::Value) -> Result<SurveyDefinition, FieldError> {
        crate::error::from_json::<SurveyDefinition>(&json.to_string())?.validate()
    }

    fn nps_survey() -> SurveyDefinition {
        definition(serde_json::json!({
            "key": "after-call",
            "title": {"uk": "Дзвінок", "en": "Your call"},
            "languages": ["uk", "en"],
            "questions": [
                {"id": "nps", "type": "nps", "required": true,
                 "text": {"uk": "Порекомендуєте?", "en": "Recommend?"}},
                {"id": "why", "type": "single_choice",
                 "text": {"uk": "Що не так?", "en": "What went wrong?"},
                 "show_if": {"question": "nps", "at_most": 6},
                 "options": [{"key": "queue", "text": {"uk": "Черга", "en": "Queue"}},
                             {"key": "staff", "text": {"uk": "Персонал", "en": "Staff"}}]},
                {"id": "comment", "type": "text", "text": {"uk": "Коментар", "en": "Comment"}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn follow_up_is_shown_to_detractors_only() {
        let survey = nps_survey();
        let mut answers = Answers::new();
        answers.insert("nps".into(), Answer::Number(6));
        assert_eq!(survey.next_visible(Some(0), &answers), Some(1));
        answers.insert("nps".into(), Answer::Number(7));
        assert_eq!(survey.next_visible(Some(0), &answers), Some(2));
        answers.insert("why".into(), Answer::Text("queue".into()));
        survey.prune(&mut answers);
        assert!(
            !answers.contains_key("why"),
            "answer to a hidden question dropped"
        );
    }

    #[test]
    fn definition_errors_name_the_field() {
        let check = |json: serde_json::Value, field: &str| {
            let error = definition(json).unwrap_err();
            assert_eq!(error.field, field, "{}", error.message);
        };
        let q = |extra: serde_json::Value| {
            let mut base = serde_json::json!({"key": "s", "title": {"en": "T"}, "languages": ["en"],
                "questions": [{"id": "nps", "type": "nps", "text": {"en": "Q"}}]});
            base["questions"].as_array_mut().unwrap().push(extra);
            base
        };
        check(
            q(
                serde_json::json!({"id": "x", "type": "text", "text": {"en": "T"},
                "show_if": {"question": "later", "answered": true}}),
            ),
            "questions[1].show_if.question",
        );
        check(
            q(serde_json::json!({"id": "x", "type": "text", "text": {"uk": "T"}})),
            "questions[1].text.en",
        );
        check(
            q(serde_json::json!({"id": "x", "type": "servqual", "text": {"en": "T"}})),
            "questions[1].dimension",
        );
        check(
            q(serde_json::json!({"id": "nps", "type": "text", "text": {"en": "T"}})),
            "questions[1].id",
        );
        check(
            q(
                serde_json::json!({"id": "x", "type": "single_choice", "text": {"en": "T"},
                "options": [{"key": "a", "text": {"en": "A"}}]}),
            ),
            "questions[1].options",
        );
        check(
            q(
                serde_json::json!({"id": "x", "type": "text", "text": {"en": "T"},
                "show_if": {"question": "nps", "any_of": ["a"]}}),
            ),
            "questions[1].show_if.any_of",
        );
        check(
            serde_json::json!({"key": "s", "title": {"en": "T"}, "languages": ["de"], "questions": []}),
            "languages[0]",
        );
    }

    #[test]
    fn form_answers_are_read_by_question_type() {
        let survey = nps_survey();
        let nps = &survey.questions[0];
        assert_eq!(
            parse_answer(nps, &["9"], None, None),
            Ok(Some(Answer::Number(9)))
        );
        assert_eq!(
            parse_answer(nps, &["11"], None, None).unwrap_err().field,
            "nps"
        );
        assert_eq!(parse_answer(nps, &[], None, None).unwrap_err().field, "nps");
        let why = &survey.questions[1];
        assert!(parse_answer(why, &["price"], None, None).is_err());
        assert_eq!(parse_answer(why, &[], None, None), Ok(None));
    }

    #[test]
    fn a_finished_response_becomes_a_feedback_record() {
        let survey = nps_survey();
        let mut answers = Answers::new();
        answers.insert("nps".into(), Answer::Number(3));
        answers.insert("why".into(), Answer::Text("queue".into()));
        answers.insert("comment".into(), Answer::Text("Чекав 40 хвилин".into()));
        let input = response_feedback(&survey, 2, 17, &answers, "uk").unwrap();
        assert_eq!(input.nps, Some(3));
        assert_eq!(input.comment.as_deref(), Some("Чекав 40 хвилин"));
        assert_eq!(input.external_id.as_deref(), Some("survey-response-17"));
        assert_eq!(input.attributes.unwrap()["survey"], "after-call");
        assert!(response_feedback(&survey, 1, 18, &Answers::new(), "uk").is_none());
    }
}
