//! Diagnosing the company (issue 22): readiness assessments and their scores, interaction
//! maturity judged by the company's own data beside its self-assessment, and the five gaps of
//! the service-quality model measured from standards, promises, staff and customer answers.
//! The JSON API and the Diagnosis pages both call these functions.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use dosvid_analytics::{Index, Measure, QueryRequest};
use dosvid_domain::diagnosis::{
    self, AssessmentAnswer, AssessmentDefinition, CRITERIA, Direction, DocumentKind, MaturityLevel,
    MaturityThresholds, PartScore, PromiseDefinition, Readiness, ServiceMetric, ServiceTarget,
    StandardDefinition,
};
use dosvid_domain::strategy::GoalMetric;
use dosvid_domain::survey::{Answer, ServqualDimension};
use dosvid_domain::{FieldError, OrgId, Touchpoint};
use dosvid_metrics::{Estimate, Moments};
use dosvid_store::{CaseFilter, Document, Filter, Store, StoreError, all_pages};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::servqual::{self, ServqualReport};
use crate::strategy::{date_to_day, measure};

pub(crate) fn body<T: Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(StoreError::backend)
}

pub(crate) fn read<T: DeserializeOwned>(document: &Document) -> Result<T, StoreError> {
    serde_json::from_value(document.body.clone())
        .map_err(|e| StoreError::backend(format!("stored document {}: {e}", document.id)))
}

/// A stored readiness assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub id: i64,
    #[serde(flatten)]
    pub definition: AssessmentDefinition,
    /// People who have answered.
    pub respondents: u64,
    pub created_at: DateTime<Utc>,
}

/// One person's stored answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredAnswer {
    pub id: i64,
    #[serde(flatten)]
    pub answer: AssessmentAnswer,
    pub answered_at: DateTime<Utc>,
}

/// An assessment with its answers scored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentReport {
    #[serde(flatten)]
    pub assessment: Assessment,
    pub readiness: Readiness,
    pub answers: Vec<StoredAnswer>,
}

fn assessment(store: &dyn Store, org: OrgId, d: &Document) -> Result<Assessment, StoreError> {
    Ok(Assessment {
        id: d.id,
        definition: read(d)?,
        respondents: store
            .list_documents(org, DocumentKind::AssessmentAnswer, Some(d.id))?
            .len() as u64,
        created_at: d.created_at,
    })
}

/// The SERVQUAL questions (id → dimension) of a survey's current version; none is an error
/// naming `field`.
fn servqual_items(
    store: &dyn Store,
    org: OrgId,
    survey: i64,
    field: &str,
) -> Result<BTreeMap<String, ServqualDimension>, StoreError> {
    let survey = store.get_survey(org, survey).map_err(|e| match e {
        StoreError::NotFound { .. } => FieldError::new(field, "no such survey").into(),
        e => e,
    })?;
    let items: BTreeMap<String, ServqualDimension> = survey
        .definition
        .questions
        .iter()
        .filter_map(|q| q.dimension.map(|d| (q.id.clone(), d)))
        .collect();
    if items.is_empty() {
        return Err(FieldError::new(field, "the survey has no SERVQUAL questions").into());
    }
    Ok(items)
}

pub fn create_assessment(
    store: &dyn Store,
    org: OrgId,
    definition: AssessmentDefinition,
    now: DateTime<Utc>,
) -> Result<Assessment, StoreError> {
    let definition = definition.validate()?;
    if let Some(survey) = definition.servqual_survey_id {
        servqual_items(store, org, survey, "servqual_survey_id")?;
    }
    let d = store.create_document(
        org,
        DocumentKind::Assessment,
        None,
        &body(&definition)?,
        now,
    )?;
    assessment(store, org, &d)
}

pub fn update_assessment(
    store: &dyn Store,
    org: OrgId,
    id: i64,
    definition: AssessmentDefinition,
    now: DateTime<Utc>,
) -> Result<Assessment, StoreError> {
    let definition = definition.validate()?;
    if let Some(survey) = definition.servqual_survey_id {
        servqual_items(store, org, survey, "servqual_survey_id")?;
    }
    let d = store.update_document(org, DocumentKind::Assessment, id, &body(&definition)?, now)?;
    assessment(store, org, &d)
}

pub fn list_assessments(store: &dyn Store, org: OrgId) -> Result<Vec<Assessment>, StoreError> {
    let mut list = store
        .list_documents(org, DocumentKind::Assessment, None)?
        .iter()
        .map(|d| assessment(store, org, d))
        .collect::<Result<Vec<_>, _>>()?;
    list.sort_by_key(|a| (a.definition.conducted_on, a.id));
    Ok(list)
}

fn answers(store: &dyn Store, org: OrgId, id: i64) -> Result<Vec<StoredAnswer>, StoreError> {
    store
        .list_documents(org, DocumentKind::AssessmentAnswer, Some(id))?
        .iter()
        .map(|d| {
            Ok(StoredAnswer {
                id: d.id,
                answer: read(d)?,
                answered_at: d.updated_at,
            })
        })
        .collect()
}

pub fn assessment_report(
    store: &dyn Store,
    org: OrgId,
    id: i64,
) -> Result<AssessmentReport, StoreError> {
    let a = assessment(
        store,
        org,
        &store.get_document(org, DocumentKind::Assessment, id)?,
    )?;
    let answers = answers(store, org, id)?;
    let plain: Vec<AssessmentAnswer> = answers.iter().map(|a| a.answer.clone()).collect();
    Ok(AssessmentReport {
        assessment: a,
        readiness: diagnosis::readiness(&plain),
        answers,
    })
}

/// Records one person's answers; a respondent who answers again (the same name, in any case)
/// replaces their earlier answers.
pub fn answer(
    store: &dyn Store,
    org: OrgId,
    id: i64,
    answer: AssessmentAnswer,
    now: DateTime<Utc>,
) -> Result<StoredAnswer, StoreError> {
    let answer = answer.validate()?;
    let definition: AssessmentDefinition =
        read(&store.get_document(org, DocumentKind::Assessment, id)?)?;
    if !answer.expectations.is_empty() {
        let Some(survey) = definition.servqual_survey_id else {
            return Err(FieldError::new(
                "expectations",
                "this assessment has no SERVQUAL survey to compare expectations with",
            )
            .into());
        };
        let items = servqual_items(store, org, survey, "expectations")?;
        if let Some(key) = answer.expectations.keys().find(|k| !items.contains_key(*k)) {
            return Err(FieldError::new(
                format!("expectations.{key}"),
                "no such SERVQUAL question in the assessment's survey",
            )
            .into());
        }
    }
    let same =
        |a: &StoredAnswer| a.answer.respondent.to_lowercase() == answer.respondent.to_lowercase();
    let document = match answers(store, org, id)?.into_iter().find(same) {
        Some(earlier) => store.update_document(
            org,
            DocumentKind::AssessmentAnswer,
            earlier.id,
            &body(&answer)?,
            now,
        )?,
        None => store.create_document(
            org,
            DocumentKind::AssessmentAnswer,
            Some(id),
            &body(&answer)?,
            now,
        )?,
    };
    Ok(StoredAnswer {
        id: document.id,
        answer,
        answered_at: document.updated_at,
    })
}

/// A link anyone holding it may answer the assessment through (`/a/{token}`), signed with the
/// organisation's survey-link secret like a survey invitation, valid for `days`.
pub fn invitation_token(
    store: &dyn Store,
    org: OrgId,
    id: i64,
    days: u32,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), StoreError> {
    store.get_document(org, DocumentKind::Assessment, id)?;
    let expires = now + chrono::Duration::days(i64::from(days));
    let token = store
        .survey_secrets(org)?
        .signer()
        .assessment_token(org, id, expires);
    Ok((token, expires))
}

/// The period of a diagnosis: local days of the organisation, `to` exclusive.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// First day (YYYY-MM-DD); default: the three whole months up to the latest month with
    /// enough answers, or 90 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The day after the last (YYYY-MM-DD); default: as `from`, or 90 days after it.
    #[param(format = Date)]
    pub to: Option<String>,
}

fn date(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    raw.filter(|r| !r.is_empty())
        .map(|r| {
            NaiveDate::parse_from_str(r, "%Y-%m-%d")
                .map_err(|_| FieldError::new(field, "must be a date, YYYY-MM-DD"))
        })
        .transpose()
}

impl PeriodParams {
    /// The period asked for; without one, the pages' default (the three whole months up to the
    /// latest month with enough answers); a bound given alone extends 90 days to the other.
    pub fn period(
        &self,
        index: &Index,
        now: DateTime<Utc>,
    ) -> Result<(NaiveDate, NaiveDate), FieldError> {
        let span = chrono::Days::new(90);
        let (from, to) = (
            date("from", self.from.as_deref())?,
            date("to", self.to.as_deref())?,
        );
        let (from, to) = match (from, to) {
            (Some(from), Some(to)) => (from, to),
            (Some(from), None) => (from, from + span),
            (None, Some(to)) => (to - span, to),
            (None, None) => crate::period::default_period(index)?.unwrap_or_else(|| {
                let today = crate::strategy::today(index, now);
                (today - span, today + chrono::Days::new(1))
            }),
        };
        if from >= to {
            return Err(FieldError::new("from", "must be before to"));
        }
        Ok((from, to))
    }
}

fn instant(index: &Index, day: NaiveDate) -> DateTime<Utc> {
    DateTime::from_timestamp(index.zone().day_start(date_to_day(day)), 0).unwrap_or_default()
}

/// The same length of time just before `(from, to)`.
fn previous((from, to): (NaiveDate, NaiveDate)) -> (NaiveDate, NaiveDate) {
    (from - (to - from), from)
}

// ---------------------------------------------------------------------------------------------
// Interaction maturity

/// One criterion's figure against its threshold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionEvidence {
    pub key: &'static str,
    pub figure: Option<f64>,
    pub threshold: f64,
    pub direction: Direction,
    /// Records the figure stands on.
    pub n: u64,
    /// Whether the figure meets the threshold (`null`: no figure, which does not hold).
    pub holds: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelEvidence {
    pub level: MaturityLevel,
    pub number: u8,
    pub criteria: Vec<CriterionEvidence>,
    /// Every criterion holds.
    pub holds: bool,
}

/// What the company's people said of its maturity, from the latest assessment with answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfAssessment {
    pub assessment_id: i64,
    pub conducted_on: NaiveDate,
    pub level: u8,
    pub levels: Vec<PartScore>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Maturity {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The highest level whose evidence holds with every level's below it (0: none).
    pub level: u8,
    pub levels: Vec<LevelEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_assessment: Option<SelfAssessment>,
}

pub fn thresholds(store: &dyn Store, org: OrgId) -> Result<MaturityThresholds, StoreError> {
    match store
        .list_documents(org, DocumentKind::MaturityThresholds, None)?
        .first()
    {
        Some(d) => read(d),
        None => Ok(MaturityThresholds::default()),
    }
}

/// The thresholds with every criterion's, defaults filled in.
pub fn all_thresholds(store: &dyn Store, org: OrgId) -> Result<MaturityThresholds, StoreError> {
    let set = thresholds(store, org)?;
    Ok(MaturityThresholds(
        CRITERIA
            .iter()
            .map(|c| (c.key.to_owned(), set.of(c)))
            .collect(),
    ))
}

pub fn set_thresholds(
    store: &dyn Store,
    org: OrgId,
    thresholds: MaturityThresholds,
    now: DateTime<Utc>,
) -> Result<MaturityThresholds, StoreError> {
    let thresholds = thresholds.validate()?;
    let kind = DocumentKind::MaturityThresholds;
    match store.list_documents(org, kind, None)?.first() {
        Some(d) => store.update_document(org, kind, d.id, &body(&thresholds)?, now)?,
        None => store.create_document(org, kind, None, &body(&thresholds)?, now)?,
    };
    all_thresholds(store, org)
}

/// The cases opened in the period, of the customers the index covers.
fn cases_in(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<Vec<dosvid_domain::case::Case>, StoreError> {
    let filter = CaseFilter {
        from: Some(instant(index, from)),
        to: Some(instant(index, to)),
        ..Default::default()
    };
    let mut cases = all_pages(|p| store.list_cases(org, &filter, p))?;
    cases.retain(|c| index.covers(c.customer_id));
    Ok(cases)
}

fn share(part: usize, whole: usize) -> (Option<f64>, u64) {
    (
        (whole > 0).then(|| 100.0 * part as f64 / whole as f64),
        whole as u64,
    )
}

/// The evidence of each maturity level in the period, judged by the organisation's thresholds,
/// beside the latest self-assessment. Figures are those of `/query` (answers, channels, NPS),
/// `/cases/metrics` (MTTR mean, FCR, SLA compliance) and `/cx-index` for the same period.
pub fn maturity(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    period: (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<Maturity, StoreError> {
    let min_sample = dosvid_metrics::DEFAULT_MIN_SAMPLE;
    let thresholds = thresholds(store, org)?;
    let mut filters = dosvid_analytics::Filters {
        from: Some(period.0.to_string()),
        to: Some(period.1.to_string()),
        ..Default::default()
    };
    let answered = index.query(&QueryRequest {
        measures: vec![Measure::N],
        filters: filters.clone(),
        group_by: vec!["channel".into()],
        ..Default::default()
    })?;
    let answers: u64 = answered.rows.iter().map(|r| r.n).sum();
    let channels = answered
        .rows
        .iter()
        .filter(|r| r.n > 0 && r.group.values().all(Option::is_some))
        .count();
    let cases = cases_in(store, index, org, period)?;
    let service = crate::service::overall(&cases, min_sample, now);
    let resolved: Vec<_> = cases.iter().filter(|c| c.resolved_at.is_some()).collect();
    let owned = cases.iter().filter(|c| c.owner.is_some()).count();
    let followed = resolved
        .iter()
        .filter(|c| c.follow_up_invitation_id.is_some())
        .count();
    let alerted: HashSet<i64> = all_pages(|p| store.list_alerts(org, None, p))?
        .iter()
        .filter_map(|a| a.case_id)
        .collect();
    let proactive = cases.iter().filter(|c| alerted.contains(&c.id)).count();
    let nps = |p| {
        measure(
            store,
            index,
            org,
            (GoalMetric::Nps, &Default::default()),
            min_sample,
            p,
        )
    };
    let now_nps = nps(period)?;
    let before_nps = nps(previous(period))?;
    let cx = measure(
        store,
        index,
        org,
        (GoalMetric::CxIndex, &Default::default()),
        min_sample,
        period,
    )?;
    filters.from = None;
    let figure = |key: &str| -> (Option<f64>, u64) {
        match key {
            "answers" => (Some(answers as f64), answers),
            "channels" => (Some(channels as f64), answers),
            "mttr_hours" => (
                service.mttr_hours.as_ref().map(|h| h.mean),
                service.resolved,
            ),
            "fcr" => (service.fcr.value, service.fcr.n),
            "sla_compliance" => (service.sla_compliance.value, service.sla_compliance.n),
            "owned_cases" => share(owned, cases.len()),
            "follow_up" => share(followed, resolved.len()),
            "proactive_cases" => share(proactive, cases.len()),
            "nps" => (now_nps.value, now_nps.n),
            "nps_trend" => (
                now_nps.value.zip(before_nps.value).map(|(a, b)| a - b),
                now_nps.n.min(before_nps.n),
            ),
            "cx_index" => (cx.value, cx.n),
            _ => (None, 0),
        }
    };
    let levels: Vec<LevelEvidence> = MaturityLevel::ALL
        .iter()
        .map(|&level| {
            let criteria: Vec<CriterionEvidence> = CRITERIA
                .iter()
                .filter(|c| c.level == level)
                .map(|c| {
                    let (figure, n) = figure(c.key);
                    let threshold = thresholds.of(c);
                    CriterionEvidence {
                        key: c.key,
                        figure,
                        threshold,
                        direction: c.direction,
                        n,
                        holds: figure.map(|f| match c.direction {
                            Direction::AtLeast => f >= threshold,
                            Direction::AtMost => f <= threshold,
                        }),
                    }
                })
                .collect();
            LevelEvidence {
                level,
                number: level.number(),
                holds: criteria.iter().all(|c| c.holds == Some(true)),
                criteria,
            }
        })
        .collect();
    let level = levels.iter().take_while(|l| l.holds).count() as u8;
    let mut self_assessment = None;
    for a in list_assessments(store, org)?.iter().rev() {
        let readiness = assessment_report(store, org, a.id)?.readiness;
        if readiness.maturity.iter().any(|m| m.score.is_some()) {
            self_assessment = Some(SelfAssessment {
                assessment_id: a.id,
                conducted_on: a.definition.conducted_on,
                level: readiness.self_assessed_level,
                levels: readiness.maturity,
            });
            break;
        }
    }
    Ok(Maturity {
        from: period.0,
        to: period.1,
        level,
        levels,
        self_assessment,
    })
}

// ---------------------------------------------------------------------------------------------
// Standards and promises

/// A stored service standard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Standard {
    pub id: i64,
    #[serde(flatten)]
    pub definition: StandardDefinition,
    pub created_at: DateTime<Utc>,
}

/// A stored promise.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Promise {
    pub id: i64,
    #[serde(flatten)]
    pub definition: PromiseDefinition,
    pub created_at: DateTime<Utc>,
}

/// Resolves a target's touchpoint key to its id and checks an id names one.
fn resolve(store: &dyn Store, org: OrgId, target: &mut ServiceTarget) -> Result<(), StoreError> {
    if let Some(key) = target.touchpoint.take() {
        let all = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
        let found = all
            .iter()
            .find(|t| t.key == key)
            .ok_or_else(|| FieldError::new("measure.touchpoint", "no such touchpoint"))?;
        target.touchpoint_id = Some(found.id);
    } else if let Some(id) = target.touchpoint_id {
        store.get_touchpoint(org, id).map_err(|e| match e {
            StoreError::NotFound { .. } => {
                FieldError::new("measure.touchpoint_id", "no such touchpoint").into()
            }
            e => e,
        })?;
    }
    Ok(())
}

/// Something that is held against delivery: a standard or a promise.
pub trait Held: Serialize + DeserializeOwned {
    const KIND: DocumentKind;
    fn validate(self) -> Result<Self, FieldError>;
    fn target_mut(&mut self) -> &mut ServiceTarget;
}

impl Held for StandardDefinition {
    const KIND: DocumentKind = DocumentKind::Standard;
    fn validate(self) -> Result<Self, FieldError> {
        StandardDefinition::validate(self)
    }
    fn target_mut(&mut self) -> &mut ServiceTarget {
        &mut self.measure
    }
}

impl Held for PromiseDefinition {
    const KIND: DocumentKind = DocumentKind::Promise;
    fn validate(self) -> Result<Self, FieldError> {
        PromiseDefinition::validate(self)
    }
    fn target_mut(&mut self) -> &mut ServiceTarget {
        &mut self.measure
    }
}

/// Checks and stores a standard or a promise (`id`: replaces that one).
pub fn save<T: Held>(
    store: &dyn Store,
    org: OrgId,
    id: Option<i64>,
    definition: T,
    now: DateTime<Utc>,
) -> Result<(Document, T), StoreError> {
    let mut definition = definition.validate()?;
    resolve(store, org, definition.target_mut())?;
    let json = body(&definition)?;
    let document = match id {
        Some(id) => store.update_document(org, T::KIND, id, &json, now)?,
        None => store.create_document(org, T::KIND, None, &json, now)?,
    };
    Ok((document, definition))
}

pub fn list<T: Held>(store: &dyn Store, org: OrgId) -> Result<Vec<(Document, T)>, StoreError> {
    store
        .list_documents(org, T::KIND, None)?
        .into_iter()
        .map(|d| {
            let t = read(&d)?;
            Ok((d, t))
        })
        .collect()
}

pub fn standard((d, definition): (Document, StandardDefinition)) -> Standard {
    Standard {
        id: d.id,
        definition,
        created_at: d.created_at,
    }
}

pub fn promise((d, definition): (Document, PromiseDefinition)) -> Promise {
    Promise {
        id: d.id,
        definition,
        created_at: d.created_at,
    }
}

/// The touchpoint with everything below it.
pub(crate) fn subtree(all: &[Touchpoint], root: i64) -> HashSet<i64> {
    let mut set = HashSet::from([root]);
    loop {
        let before = set.len();
        for t in all {
            if t.parent_id.is_some_and(|p| set.contains(&p)) {
                set.insert(t.id);
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// How often the service met a target in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceDelivery {
    /// Events judged: interactions with a duration, cases resolved or past the target, answers
    /// with the score.
    pub n: u64,
    pub met: u64,
    /// The share that met the target, in percent, with its 95% interval.
    pub compliance: Estimate,
}

/// Counts the events of `(from, to)` at the target's touchpoint (with everything below it) that
/// met the target.
pub fn delivery(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    target: &ServiceTarget,
    (from, to): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<ServiceDelivery, StoreError> {
    let filter = Filter {
        from: Some(instant(index, from)),
        to: Some(instant(index, to)),
        touchpoint_id: target.touchpoint_id,
        ..Default::default()
    };
    let metric = target.metric;
    let values: Vec<f64> = match metric {
        ServiceMetric::InteractionSeconds => {
            all_pages(|p| store.list_interactions(org, &filter, p))?
                .iter()
                .filter(|i| index.covers(i.customer_id))
                .filter_map(|i| i.duration_seconds.map(|d| d as f64))
                .collect()
        }
        ServiceMetric::ResolutionHours => {
            let within = match target.touchpoint_id {
                Some(root) => Some(subtree(
                    &all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?,
                    root,
                )),
                None => None,
            };
            cases_in(store, index, org, (from, to))?
                .iter()
                .filter(|c| {
                    within
                        .as_ref()
                        .is_none_or(|set| c.touchpoint_id.is_some_and(|t| set.contains(&t)))
                })
                .filter_map(|c| {
                    let hours =
                        |end: DateTime<Utc>| (end - c.opened_at).num_seconds() as f64 / 3600.0;
                    match c.resolved_at {
                        Some(r) => Some(hours(r)),
                        // An open case counts once it is past the target: a miss.
                        None => Some(hours(now)).filter(|h| *h > target.target),
                    }
                })
                .collect()
        }
        ServiceMetric::Csat | ServiceMetric::NpsScore | ServiceMetric::Ces => {
            all_pages(|p| store.list_feedback(org, &filter, p))?
                .iter()
                .filter(|f| index.covers(f.customer_id))
                .filter_map(|f| match metric {
                    ServiceMetric::Csat => f.csat,
                    ServiceMetric::NpsScore => f.nps,
                    _ => f.ces,
                })
                .map(f64::from)
                .collect()
        }
    };
    let met = values
        .iter()
        .filter(|v| metric.meets(**v, target.target))
        .count() as u64;
    let n = values.len() as u64;
    Ok(ServiceDelivery {
        n,
        met,
        compliance: dosvid_metrics::percent(met, n, dosvid_metrics::DEFAULT_MIN_SAMPLE),
    })
}

// ---------------------------------------------------------------------------------------------
// The five gaps

/// In what a gap's figure is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapUnit {
    /// Points of the 1–7 expectation scale.
    Points,
    Percent,
}

/// Where a gap is widest: a touchpoint, a standard, a promise, an item or a dimension.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Widest {
    /// What it is: `touchpoint`, `standard`, `promise`, `item` or `dimension`.
    pub kind: &'static str,
    /// Its id (touchpoint, standard, promise) or key (item, dimension).
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint_id: Option<i64>,
    pub figure: Option<f64>,
    pub n: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gap {
    /// 1–5 as SPEC §2 numbers them.
    pub number: u8,
    pub unit: GapUnit,
    /// The gap's size: 0 is none. Gaps 1 and 5 are signed (customers' side − the company's
    /// side); gaps 2–4 are shares of what falls short.
    pub figure: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub n: u64,
    pub low_sample: bool,
    /// The same figure one period earlier (gap 1: the assessment before).
    pub previous: Option<f64>,
    /// Where it is widest, widest first.
    pub widest: Vec<Widest>,
}

fn gap(number: u8, unit: GapUnit, e: &Estimate, previous: Option<f64>, widest: Vec<Widest>) -> Gap {
    Gap {
        number,
        unit,
        figure: e.value,
        low: e.low,
        high: e.high,
        n: e.n,
        low_sample: e.low_sample,
        previous,
        widest,
    }
}

/// No figure: nothing to measure it on.
fn nothing() -> Estimate {
    difference(&Moments::default(), &Moments::default())
}

/// A share of misses from counts: 100 − compliance, its interval mirrored.
fn shortfall(met: u64, n: u64) -> Estimate {
    let e = dosvid_metrics::percent(met, n, dosvid_metrics::DEFAULT_MIN_SAMPLE);
    Estimate {
        value: e.value.map(|v| 100.0 - v),
        low: e.high.map(|v| 100.0 - v),
        high: e.low.map(|v| 100.0 - v),
        ..e
    }
}

/// The difference of two means (`a − b`) with its 95% Welch interval.
fn difference(a: &Moments, b: &Moments) -> Estimate {
    let n = a.n.min(b.n);
    let (Some(ma), Some(mb)) = (a.mean_value(), b.mean_value()) else {
        return Estimate {
            value: None,
            n,
            low: None,
            high: None,
            low_sample: true,
        };
    };
    let d = ma - mb;
    let interval = a.variance().zip(b.variance()).map(|(va, vb)| {
        let (x, y) = (va / a.n as f64, vb / b.n as f64);
        let df = if x + y > 0.0 {
            (x + y).powi(2) / (x * x / (a.n - 1) as f64 + y * y / (b.n - 1) as f64)
        } else {
            1.0
        };
        let half = dosvid_metrics::stats::t_quantile(0.975, df) * (x + y).sqrt();
        (d - half, d + half)
    });
    Estimate {
        value: Some(d),
        n,
        low: interval.map(|i| i.0),
        high: interval.map(|i| i.1),
        low_sample: b.n < 3 || a.n < dosvid_metrics::DEFAULT_MIN_SAMPLE,
    }
}

/// One expectation item as customers and the company's people rate it (gap 1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpectationItem {
    pub question: String,
    pub dimension: ServqualDimension,
    pub customers: Option<f64>,
    pub customers_n: u64,
    pub staff: Option<f64>,
    pub staff_n: u64,
    /// Customers − staff, with its 95% interval.
    pub gap: Estimate,
}

/// How the standards cover an expectation dimension (gap 2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DimensionCoverage {
    pub dimension: ServqualDimension,
    /// The mean expectation the company's people gave its items (1–7).
    pub staff_expectation: Option<f64>,
    pub standards: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StandardDelivery {
    #[serde(flatten)]
    pub standard: Standard,
    pub delivery: ServiceDelivery,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromiseDelivery {
    #[serde(flatten)]
    pub promise: Promise,
    pub delivery: ServiceDelivery,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gaps {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The SERVQUAL survey gaps 1 and 5 are read from.
    pub survey_id: Option<i64>,
    /// The assessment whose staff expectations give gap 1.
    pub assessment_id: Option<i64>,
    /// Gaps 1 to 5, in order.
    pub gaps: Vec<Gap>,
    pub expectations: Vec<ExpectationItem>,
    pub coverage: Vec<DimensionCoverage>,
    pub standards: Vec<StandardDelivery>,
    pub promises: Vec<PromiseDelivery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servqual: Option<ServqualReport>,
}

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GapsParams {
    /// First day (YYYY-MM-DD); default as `/maturity`'s.
    #[param(format = Date)]
    pub from: Option<String>,
    /// The day after the last (YYYY-MM-DD); default as `/maturity`'s.
    #[param(format = Date)]
    pub to: Option<String>,
    /// The SERVQUAL survey of gaps 1 and 5; default the latest assessment's.
    #[param(minimum = 1)]
    pub survey_id: Option<String>,
}

impl GapsParams {
    pub fn period(&self) -> PeriodParams {
        PeriodParams {
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    pub fn survey(&self) -> Result<Option<i64>, FieldError> {
        self.survey_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| FieldError::new("survey_id", "must be a positive id"))
            })
            .transpose()
    }
}

/// Customers' expectations per SERVQUAL question of `survey` in the period.
fn customer_expectations(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    survey: i64,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<BTreeMap<String, Moments>, StoreError> {
    let filter = Filter {
        from: Some(instant(index, from)),
        to: Some(instant(index, to)),
        ..Default::default()
    };
    let mut out: BTreeMap<String, Moments> = BTreeMap::new();
    for r in all_pages(|p| store.list_responses(org, survey, &filter, true, p))? {
        for (question, answer) in &r.answers {
            if let Answer::Pair { expectation, .. } = answer {
                out.entry(question.clone())
                    .or_default()
                    .add(*expectation as f64);
            }
        }
    }
    Ok(out)
}

fn staff_expectations(answers: &[StoredAnswer]) -> BTreeMap<String, Moments> {
    let mut out: BTreeMap<String, Moments> = BTreeMap::new();
    for a in answers {
        for (question, value) in &a.answer.expectations {
            out.entry(question.clone())
                .or_default()
                .add(f64::from(*value));
        }
    }
    out
}

/// Gap 1 over all items: customers' mean expectation − staff's mean, with the items compared.
fn gap_one(
    items: &BTreeMap<String, ServqualDimension>,
    customers: &BTreeMap<String, Moments>,
    staff: &BTreeMap<String, Moments>,
) -> (Estimate, Vec<ExpectationItem>) {
    let mut all_customers = Moments::default();
    let mut all_staff = Moments::default();
    let mut list = Vec::new();
    for (question, dimension) in items {
        let c = customers.get(question).copied().unwrap_or_default();
        let s = staff.get(question).copied().unwrap_or_default();
        if s.n > 0 {
            all_customers.merge(&c);
            all_staff.merge(&s);
        }
        list.push(ExpectationItem {
            question: question.clone(),
            dimension: *dimension,
            customers: c.mean_value(),
            customers_n: c.n,
            staff: s.mean_value(),
            staff_n: s.n,
            gap: difference(&c, &s),
        });
    }
    (difference(&all_customers, &all_staff), list)
}

/// Customers' answers under a standard, all answers, and the touchpoints no standard governs
/// with their answers.
type Coverage = (u64, u64, Vec<(String, u64)>);

/// The five gaps of the period.
pub fn gaps(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    period: (NaiveDate, NaiveDate),
    survey: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Gaps, StoreError> {
    let assessments = list_assessments(store, org)?;
    let with_staff: Vec<(&Assessment, Vec<StoredAnswer>)> = assessments
        .iter()
        .filter(|a| survey.is_none() || a.definition.servqual_survey_id == survey)
        .filter(|a| a.definition.servqual_survey_id.is_some())
        .map(|a| Ok((a, answers(store, org, a.id)?)))
        .collect::<Result<Vec<_>, StoreError>>()?
        .into_iter()
        .filter(|(_, answers)| answers.iter().any(|x| !x.answer.expectations.is_empty()))
        .collect();
    let latest = with_staff.last();
    let survey = survey.or_else(|| latest.and_then(|(a, _)| a.definition.servqual_survey_id));

    // Gap 1: the same expectation items, customers against the company's people.
    let mut expectations = Vec::new();
    let mut gap1 = gap(1, GapUnit::Points, &nothing(), None, vec![]);
    let mut items = BTreeMap::new();
    if let Some(survey) = survey {
        items = servqual_items(store, org, survey, "survey_id")?;
        let customers = customer_expectations(store, index, org, survey, period)?;
        if let Some((_, answers)) = latest {
            let (overall, list) = gap_one(&items, &customers, &staff_expectations(answers));
            let previous = with_staff.len().checked_sub(2).map(|i| &with_staff[i]);
            let before = previous.and_then(|(_, answers)| {
                gap_one(&items, &customers, &staff_expectations(answers))
                    .0
                    .value
            });
            let mut widest: Vec<Widest> = list
                .iter()
                .filter(|i| i.gap.value.is_some())
                .map(|i| Widest {
                    kind: "item",
                    key: i.question.clone(),
                    touchpoint_id: None,
                    figure: i.gap.value,
                    n: i.gap.n,
                })
                .collect();
            widest.sort_by(|x, y| {
                y.figure
                    .unwrap_or(0.0)
                    .abs()
                    .total_cmp(&x.figure.unwrap_or(0.0).abs())
            });
            gap1 = gap(1, GapUnit::Points, &overall, before, widest);
            expectations = list;
        }
    }
    let staff = latest
        .map(|(_, answers)| staff_expectations(answers))
        .unwrap_or_default();

    // Gap 2: what customers experience that no standard governs.
    let standards: Vec<Standard> = list::<StandardDefinition>(store, org)?
        .into_iter()
        .map(standard)
        .collect();
    let touchpoints = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let covered: Option<HashSet<i64>> = if standards
        .iter()
        .any(|s| s.definition.measure.touchpoint_id.is_none())
    {
        None
    } else {
        Some(
            standards
                .iter()
                .filter_map(|s| s.definition.measure.touchpoint_id)
                .flat_map(|t| subtree(&touchpoints, t))
                .collect(),
        )
    };
    let uncovered = |p: (NaiveDate, NaiveDate)| -> Result<Coverage, StoreError> {
        let rows = index
            .query(&QueryRequest {
                measures: vec![Measure::N],
                filters: dosvid_analytics::Filters {
                    from: Some(p.0.to_string()),
                    to: Some(p.1.to_string()),
                    ..Default::default()
                },
                group_by: vec!["touchpoint".into()],
                ..Default::default()
            })?
            .rows;
        let mut total = 0;
        let mut governed = 0;
        let mut open = Vec::new();
        for r in rows {
            let key = r.group.get("touchpoint").cloned().flatten();
            let id = key
                .as_ref()
                .and_then(|k| touchpoints.iter().find(|t| &t.key == k))
                .map(|t| t.id);
            total += r.n;
            let is_covered = covered
                .as_ref()
                .is_none_or(|set| id.is_some_and(|id| set.contains(&id)));
            if is_covered {
                governed += r.n;
            } else if let Some(key) = key {
                open.push((key, r.n));
            }
        }
        open.sort_by_key(|o| std::cmp::Reverse(o.1));
        Ok((governed, total, open))
    };
    let (governed, total, open) = uncovered(period)?;
    let (before_governed, before_total, _) = uncovered(previous(period))?;
    let widest2 = open
        .into_iter()
        .map(|(key, n)| {
            let id = touchpoints.iter().find(|t| t.key == key).map(|t| t.id);
            Widest {
                kind: "touchpoint",
                key,
                touchpoint_id: id,
                figure: Some(100.0 * n as f64 / total.max(1) as f64),
                n,
            }
        })
        .collect();
    let gap2 = gap(
        2,
        GapUnit::Percent,
        &shortfall(governed, total),
        shortfall(before_governed, before_total).value,
        widest2,
    );
    let coverage = ServqualDimension::ALL
        .iter()
        .map(|&dimension| {
            let mut m = Moments::default();
            for (q, s) in &staff {
                if items.get(q) == Some(&dimension) {
                    m.merge(s);
                }
            }
            DimensionCoverage {
                dimension,
                staff_expectation: m.mean_value(),
                standards: standards
                    .iter()
                    .filter(|s| s.definition.dimension == Some(dimension))
                    .count() as u64,
            }
        })
        .collect();

    // Gaps 3 and 4: standards and promises against measured delivery.
    let held = |target: &ServiceTarget, p| delivery(store, index, org, target, p, now);
    let mut standard_rows = Vec::new();
    let (mut met, mut n, mut before_met, mut before_n) = (0, 0, 0, 0);
    for s in standards {
        let d = held(&s.definition.measure, period)?;
        let b = held(&s.definition.measure, previous(period))?;
        (met, n, before_met, before_n) = (met + d.met, n + d.n, before_met + b.met, before_n + b.n);
        standard_rows.push(StandardDelivery {
            standard: s,
            delivery: d,
        });
    }
    let widest = |kind: &'static str, rows: Vec<(i64, Option<i64>, &ServiceDelivery)>| {
        let mut list: Vec<Widest> = rows
            .into_iter()
            .filter(|(_, _, d)| d.n > 0)
            .map(|(id, touchpoint_id, d)| Widest {
                kind,
                key: id.to_string(),
                touchpoint_id,
                figure: d.compliance.value.map(|v| 100.0 - v),
                n: d.n,
            })
            .collect();
        list.sort_by(|a, b| b.figure.unwrap_or(0.0).total_cmp(&a.figure.unwrap_or(0.0)));
        list
    };
    let gap3 = gap(
        3,
        GapUnit::Percent,
        &shortfall(met, n),
        shortfall(before_met, before_n).value,
        widest(
            "standard",
            standard_rows
                .iter()
                .map(|s| {
                    (
                        s.standard.id,
                        s.standard.definition.measure.touchpoint_id,
                        &s.delivery,
                    )
                })
                .collect(),
        ),
    );
    let mut promise_rows = Vec::new();
    let (mut met, mut n, mut before_met, mut before_n) = (0, 0, 0, 0);
    for (document, definition) in list::<PromiseDefinition>(store, org)? {
        // A promise is held only from the day it was made.
        let since = |(from, to): (NaiveDate, NaiveDate)| (from.max(definition.made_on), to);
        let current = since(period);
        let d = if current.0 < current.1 {
            held(&definition.measure, current)?
        } else {
            ServiceDelivery {
                n: 0,
                met: 0,
                compliance: dosvid_metrics::percent(0, 0, dosvid_metrics::DEFAULT_MIN_SAMPLE),
            }
        };
        let earlier = since(previous(period));
        if earlier.0 < earlier.1 {
            let b = held(&definition.measure, earlier)?;
            (before_met, before_n) = (before_met + b.met, before_n + b.n);
        }
        (met, n) = (met + d.met, n + d.n);
        promise_rows.push(PromiseDelivery {
            promise: promise((document, definition)),
            delivery: d,
        });
    }
    let gap4 = gap(
        4,
        GapUnit::Percent,
        &shortfall(met, n),
        shortfall(before_met, before_n).value,
        widest(
            "promise",
            promise_rows
                .iter()
                .map(|p| {
                    (
                        p.promise.id,
                        p.promise.definition.measure.touchpoint_id,
                        &p.delivery,
                    )
                })
                .collect(),
        ),
    );

    // Gap 5: SERVQUAL, perception − expectation.
    let servqual_of =
        |p: (NaiveDate, NaiveDate)| -> Result<Option<(ServqualReport, Moments)>, StoreError> {
            let Some(survey) = survey else {
                return Ok(None);
            };
            let filter = Filter {
                from: Some(instant(index, p.0)),
                to: Some(instant(index, p.1)),
                ..Default::default()
            };
            let report = servqual::report(store, org, survey, &filter)?;
            let mut pairs = Moments::default();
            for r in all_pages(|page| store.list_responses(org, survey, &filter, true, page))? {
                for (question, answer) in &r.answers {
                    if let (
                        true,
                        Answer::Pair {
                            expectation,
                            perception,
                        },
                    ) = (items.contains_key(question), answer)
                    {
                        pairs.add((*perception - *expectation) as f64);
                    }
                }
            }
            Ok(Some((report, pairs)))
        };
    let current = servqual_of(period)?;
    let before = servqual_of(previous(period))?.and_then(|(r, _)| r.overall);
    let gap5 = match &current {
        Some((report, pairs)) => {
            let spread = pairs.mean(dosvid_metrics::DEFAULT_MIN_SAMPLE);
            // The overall gap weights the dimensions; its interval is the pairs' around it.
            let half = spread.value.zip(spread.high).map(|(v, h)| h - v);
            let e = Estimate {
                value: report.overall,
                low: report.overall.zip(half).map(|(o, h)| o - h),
                high: report.overall.zip(half).map(|(o, h)| o + h),
                ..spread
            };
            let mut widest: Vec<Widest> = report
                .dimensions
                .iter()
                .map(|d| Widest {
                    kind: "dimension",
                    key: d.dimension.as_str().to_owned(),
                    touchpoint_id: None,
                    figure: Some(d.gap),
                    n: report.responses,
                })
                .collect();
            widest.sort_by(|a, b| a.figure.unwrap_or(0.0).total_cmp(&b.figure.unwrap_or(0.0)));
            gap(5, GapUnit::Points, &e, before, widest)
        }
        None => gap(5, GapUnit::Points, &nothing(), None, vec![]),
    };
    Ok(Gaps {
        from: period.0,
        to: period.1,
        survey_id: survey,
        assessment_id: latest.map(|(a, _)| a.id),
        gaps: vec![gap1, gap2, gap3, gap4, gap5],
        expectations,
        coverage,
        standards: standard_rows,
        promises: promise_rows,
        servqual: current.map(|(r, _)| r),
    })
}
