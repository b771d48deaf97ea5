//! Managing the experience (SPEC §2 "The strategy cycle", §3.9): CX goals and how their progress
//! is judged, initiatives (the action plan's items) and their statuses, and the eight-stage
//! strategy cycle. Scopes are kept as the JSON filters of `/query`; the server checks them
//! against the analytics index, which this crate does not know.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{self, FieldError};
use crate::{Attributes, limits};

/// Longest vision, note or description, in characters.
const MAX_NOTE_CHARS: usize = 10_000;

fn note(field: &str, value: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    error::plain_text(field, &value)?;
    if value.chars().count() > MAX_NOTE_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(Some(value))
}

fn names(field: &str, values: Vec<String>) -> Result<Vec<String>, FieldError> {
    let mut out = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = error::short_text(&format!("{field}[{i}]"), Some(v))?
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    if out.len() > limits::MAX_ATTRIBUTES {
        return Err(FieldError::new(
            field,
            format!("at most {} values", limits::MAX_ATTRIBUTES),
        ));
    }
    Ok(out)
}

/// A scope must not carry its own period: goals and initiatives have their windows.
fn scope(field: &str, filters: &Attributes) -> Result<(), FieldError> {
    for key in ["from", "to"] {
        if filters.contains_key(key) {
            return Err(FieldError::new(
                format!("{field}.{key}"),
                "the period comes from the goal's or initiative's dates, not the scope",
            ));
        }
    }
    Ok(())
}

fn positive_id(field: &str, id: Option<i64>) -> Result<(), FieldError> {
    if id.is_some_and(|id| id <= 0) {
        return Err(FieldError::new(field, "must be a positive id"));
    }
    Ok(())
}

/// What a goal is measured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalMetric {
    Nps,
    Csat,
    Ces,
    CxIndex,
    /// Customers with an answer who did not buy or pay within 90 days after it, in percent.
    Churn,
    /// Net revenue retention per month, in percent.
    Nrr,
    /// Mean time to resolve a case, in hours.
    Mttr,
    /// First-contact resolution of cases, in percent.
    Fcr,
}

impl GoalMetric {
    pub const ALL: [GoalMetric; 8] = [
        GoalMetric::Nps,
        GoalMetric::Csat,
        GoalMetric::Ces,
        GoalMetric::CxIndex,
        GoalMetric::Churn,
        GoalMetric::Nrr,
        GoalMetric::Mttr,
        GoalMetric::Fcr,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GoalMetric::Nps => "nps",
            GoalMetric::Csat => "csat",
            GoalMetric::Ces => "ces",
            GoalMetric::CxIndex => "cx_index",
            GoalMetric::Churn => "churn",
            GoalMetric::Nrr => "nrr",
            GoalMetric::Mttr => "mttr",
            GoalMetric::Fcr => "fcr",
        }
    }

    /// The values the metric can take.
    pub fn range(self) -> (f64, f64) {
        match self {
            GoalMetric::Nps => (-100.0, 100.0),
            GoalMetric::Csat => (1.0, 5.0),
            GoalMetric::Ces => (1.0, 7.0),
            GoalMetric::CxIndex | GoalMetric::Churn | GoalMetric::Fcr => (0.0, 100.0),
            GoalMetric::Nrr => (0.0, 1_000.0),
            GoalMetric::Mttr => (0.0, 100_000.0),
        }
    }

    pub fn higher_is_better(self) -> bool {
        !matches!(self, GoalMetric::Churn | GoalMetric::Mttr)
    }
}

fn window_days() -> u32 {
    90
}

/// A goal as set: the body of `POST /api/v1/goals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalDefinition {
    pub name: String,
    pub metric: GoalMetric,
    /// The scope, as the filters of `/query` (no period: see `window_days`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub filters: Attributes,
    pub target: f64,
    /// The day by which the target is to be reached.
    pub due: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_department: Option<String>,
    /// The goal this one contributes to (a touchpoint's goal under the company's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_id: Option<i64>,
    /// The value is measured over the last `window_days` (default 90).
    #[serde(default = "window_days")]
    pub window_days: u32,
    /// The day the goal was set (default: today); its baseline is the window before it. A team
    /// bringing in a goal set earlier in the year gives that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_on: Option<NaiveDate>,
    /// Answers needed before a status is given (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sample: Option<u64>,
}

impl GoalDefinition {
    pub fn validate(mut self) -> Result<GoalDefinition, FieldError> {
        self.name = error::required_text("name", Some(&self.name))?;
        let (low, high) = self.metric.range();
        if !self.target.is_finite() || self.target < low || self.target > high {
            return Err(FieldError::new(
                "target",
                format!("must be from {low} to {high} for {}", self.metric.as_str()),
            ));
        }
        if !(7..=730).contains(&self.window_days) {
            return Err(FieldError::new("window_days", "must be 7 to 730"));
        }
        scope("filters", &self.filters)?;
        if self.set_on.is_some_and(|set| set >= self.due) {
            return Err(FieldError::new("set_on", "must be before due"));
        }
        self.owner_department =
            error::short_text("owner_department", self.owner_department.as_deref())?;
        positive_id("parent_id", self.parent_id)?;
        positive_id("cycle_id", self.cycle_id)?;
        Ok(self)
    }
}

/// A metric measured over a period, with its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Measurement {
    /// The period: from (inclusive) to (exclusive).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub n: u64,
    pub low_sample: bool,
}

/// A stored goal with the baseline measured when it was set.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Goal {
    pub id: i64,
    #[serde(flatten)]
    pub definition: GoalDefinition,
    pub baseline: Measurement,
    pub created_at: DateTime<Utc>,
}

/// Where a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    /// The whole interval meets the target.
    Achieved,
    /// The interval reaches the straight path from the baseline to the target.
    OnTrack,
    /// Below the path, but the trend still reaches the target by the due date, or the due
    /// date has passed with the target inside the interval.
    AtRisk,
    /// Significantly worse than the baseline, or below the path with a trend that misses the
    /// target, or past due and surely short of it.
    OffTrack,
    /// Too few answers in the window, or no value.
    NotEnoughData,
}

impl GoalStatus {
    pub const ALL: [GoalStatus; 5] = [
        GoalStatus::Achieved,
        GoalStatus::OnTrack,
        GoalStatus::AtRisk,
        GoalStatus::OffTrack,
        GoalStatus::NotEnoughData,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Achieved => "achieved",
            GoalStatus::OnTrack => "on_track",
            GoalStatus::AtRisk => "at_risk",
            GoalStatus::OffTrack => "off_track",
            GoalStatus::NotEnoughData => "not_enough_data",
        }
    }
}

/// The judgement of a goal's progress and the planned value it was compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub status: GoalStatus,
    /// Where the straight path from the baseline to the target stands today.
    pub planned: Option<f64>,
}

impl Goal {
    /// Judges the current measurement (up to `today`) against the target, the path from the baseline to it and
    /// the trend (`projected`: where the trend since the baseline reaches by the due date) —
    /// always by the interval, never by the point value alone.
    pub fn judge(
        &self,
        current: &Measurement,
        projected: Option<f64>,
        today: NaiveDate,
    ) -> Judgement {
        let d = &self.definition;
        let sign = if d.metric.higher_is_better() {
            1.0
        } else {
            -1.0
        };
        let (Some(_), Some(low), Some(high)) = (current.value, current.low, current.high) else {
            return Judgement {
                status: GoalStatus::NotEnoughData,
                planned: None,
            };
        };
        // Oriented so that higher is better.
        let (worst, best) = if sign > 0.0 {
            (low, high)
        } else {
            (-high, -low)
        };
        let target = sign * d.target;
        // The path starts where the baseline's window ends: the day the goal was set.
        let set_on = self.baseline.to;
        let planned = self.baseline.value.map(|base| {
            let total = (d.due - set_on).num_days().max(1) as f64;
            let elapsed = (today - set_on).num_days() as f64;
            let share = (elapsed / total).clamp(0.0, 1.0);
            sign * base + (target - sign * base) * share
        });
        let status = if current.low_sample {
            GoalStatus::NotEnoughData
        } else if worst >= target {
            GoalStatus::Achieved
        } else if today >= d.due {
            if best >= target {
                GoalStatus::AtRisk
            } else {
                GoalStatus::OffTrack
            }
        } else if self
            .baseline
            .value
            .is_some_and(|base| !self.baseline.low_sample && best < sign * base)
        {
            GoalStatus::OffTrack
        } else if planned.is_none_or(|p| best >= p) {
            GoalStatus::OnTrack
        } else if projected.is_none_or(|p| sign * p >= target) {
            GoalStatus::AtRisk
        } else {
            GoalStatus::OffTrack
        };
        Judgement {
            status,
            planned: planned.map(|p| sign * p),
        }
    }
}

/// How big an initiative is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitiativeKind {
    #[default]
    QuickWin,
    Transformation,
}

impl InitiativeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InitiativeKind::QuickWin => "quick_win",
            InitiativeKind::Transformation => "transformation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitiativeStatus {
    #[default]
    Idea,
    Planned,
    InProgress,
    Done,
    Dropped,
}

impl InitiativeStatus {
    pub const ALL: [InitiativeStatus; 5] = [
        InitiativeStatus::Idea,
        InitiativeStatus::Planned,
        InitiativeStatus::InProgress,
        InitiativeStatus::Done,
        InitiativeStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InitiativeStatus::Idea => "idea",
            InitiativeStatus::Planned => "planned",
            InitiativeStatus::InProgress => "in_progress",
            InitiativeStatus::Done => "done",
            InitiativeStatus::Dropped => "dropped",
        }
    }

    pub fn parse(raw: &str) -> Option<InitiativeStatus> {
        InitiativeStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// Declared in this order so that sorting puts the most urgent first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = InitiativePriority)]
pub enum Priority {
    High,
    #[default]
    Medium,
    Low,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

/// The problem an initiative answers, as `/priorities` names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InitiativeProblem)]
pub struct Problem {
    /// `theme`, `touchpoint`, `segment`, …
    pub factor: String,
    pub value: String,
}

/// The change an initiative is expected to bring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// `nps`, `csat`, `ces`, `churn` or `revenue_per_customer`.
    pub metric: String,
    /// In the metric's units (NPS points, percent of churn, minor units of revenue).
    pub change: f64,
}

/// Who does what for an initiative, by department (stage 6 of the cycle).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Raci {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responsible: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountable: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consulted: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub informed: Vec<String>,
}

/// An initiative as written: the body of `POST /api/v1/initiatives`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitiativeDefinition {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// Touchpoint keys it changes.
    #[serde(default)]
    pub touchpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_department: Option<String>,
    /// What it costs, in minor units of `currency`.
    #[serde(default)]
    pub budget_minor: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default)]
    pub kind: InitiativeKind,
    #[serde(default)]
    pub status: InitiativeStatus,
    #[serde(default)]
    pub priority: Priority,
    pub starts_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    /// The records it reaches, as the filters of `/query` (no period).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub treated: Attributes,
    /// The comparison group; default: the records it did not reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub comparison: Option<Attributes>,
    #[serde(default)]
    pub raci: Raci,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycle_id: Option<i64>,
}

impl InitiativeDefinition {
    pub fn validate(mut self) -> Result<InitiativeDefinition, FieldError> {
        self.title = error::required_text("title", Some(&self.title))?;
        self.description = note("description", self.description.take())?;
        if let Some(problem) = &mut self.problem {
            problem.factor = error::required_text("problem.factor", Some(&problem.factor))?;
            problem.value = error::required_text("problem.value", Some(&problem.value))?;
        }
        self.touchpoints = names("touchpoints", std::mem::take(&mut self.touchpoints))?;
        self.owner_department =
            error::short_text("owner_department", self.owner_department.as_deref())?;
        if self.budget_minor < 0 {
            return Err(FieldError::new("budget_minor", "must not be negative"));
        }
        self.currency = match error::short_text("currency", self.currency.as_deref())? {
            Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                Some(c.to_ascii_uppercase())
            }
            Some(_) => {
                return Err(FieldError::new(
                    "currency",
                    "must be a three-letter code (UAH)",
                ));
            }
            None => None,
        };
        if self.ends_on.is_some_and(|end| end < self.starts_on) {
            return Err(FieldError::new("ends_on", "must not be before starts_on"));
        }
        if let Some(expected) = &self.expected {
            const METRICS: [&str; 5] = ["nps", "csat", "ces", "churn", "revenue_per_customer"];
            if !METRICS.contains(&expected.metric.as_str()) {
                return Err(FieldError::new(
                    "expected.metric",
                    format!("must be one of: {}", METRICS.join(", ")),
                ));
            }
            if !expected.change.is_finite() {
                return Err(FieldError::new("expected.change", "must be a number"));
            }
        }
        scope("treated", &self.treated)?;
        if let Some(comparison) = &self.comparison {
            scope("comparison", comparison)?;
        }
        let raci = &mut self.raci;
        raci.responsible = names("raci.responsible", std::mem::take(&mut raci.responsible))?;
        raci.accountable = error::short_text("raci.accountable", raci.accountable.as_deref())?;
        raci.consulted = names("raci.consulted", std::mem::take(&mut raci.consulted))?;
        raci.informed = names("raci.informed", std::mem::take(&mut raci.informed))?;
        positive_id("goal_id", self.goal_id)?;
        positive_id("cycle_id", self.cycle_id)?;
        Ok(self)
    }
}

/// A stored initiative.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Initiative {
    pub id: i64,
    #[serde(flatten)]
    pub definition: InitiativeDefinition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change of an initiative's status, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusChange {
    pub at: DateTime<Utc>,
    /// None when the initiative was created.
    pub from: Option<InitiativeStatus>,
    pub to: InitiativeStatus,
    /// Who changed it (a user's e-mail or an API key's name).
    pub by: Option<String>,
}

/// The eight stages of the strategy cycle, in order (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageKey {
    ServiceVision,
    Touchpoints,
    Needs,
    ActionPlan,
    Budget,
    Roles,
    BrandExperience,
    Evaluation,
}

impl StageKey {
    pub const ALL: [StageKey; 8] = [
        StageKey::ServiceVision,
        StageKey::Touchpoints,
        StageKey::Needs,
        StageKey::ActionPlan,
        StageKey::Budget,
        StageKey::Roles,
        StageKey::BrandExperience,
        StageKey::Evaluation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageKey::ServiceVision => "service_vision",
            StageKey::Touchpoints => "touchpoints",
            StageKey::Needs => "needs",
            StageKey::ActionPlan => "action_plan",
            StageKey::Budget => "budget",
            StageKey::Roles => "roles",
            StageKey::BrandExperience => "brand_experience",
            StageKey::Evaluation => "evaluation",
        }
    }

    pub fn parse(raw: &str) -> Option<StageKey> {
        StageKey::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    #[default]
    NotStarted,
    InProgress,
    Done,
}

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::NotStarted => "not_started",
            StageStatus::InProgress => "in_progress",
            StageStatus::Done => "done",
        }
    }
}

/// Something a stage produced or rests on: a note, a link, evidence from the analyses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Artefact {
    /// `note`, `link`, `touchpoint`, `moment_of_truth`, `priority`, `driver` or `research`.
    pub kind: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Figures it rests on, by name (a priority's `impact`, `prevalence`, `customers`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub figures: std::collections::BTreeMap<String, f64>,
}

const ARTEFACT_KINDS: [&str; 7] = [
    "note",
    "link",
    "touchpoint",
    "moment_of_truth",
    "priority",
    "driver",
    "research",
];

impl Artefact {
    pub fn validate(mut self, field: &str) -> Result<Artefact, FieldError> {
        if !ARTEFACT_KINDS.contains(&self.kind.as_str()) {
            return Err(FieldError::new(
                format!("{field}.kind"),
                format!("must be one of: {}", ARTEFACT_KINDS.join(", ")),
            ));
        }
        self.title = error::required_text(&format!("{field}.title"), Some(&self.title))?;
        self.link = match note(&format!("{field}.link"), self.link.take())? {
            Some(link) if link.starts_with('/') || link.starts_with("https://") => Some(link),
            Some(_) => {
                return Err(FieldError::new(
                    format!("{field}.link"),
                    "must start with / or https://",
                ));
            }
            None => None,
        };
        self.detail = note(&format!("{field}.detail"), self.detail.take())?;
        Ok(self)
    }
}

/// One stage of a cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CycleStage {
    pub key: StageKey,
    pub status: StageStatus,
    pub owner: Option<String>,
    pub due: Option<NaiveDate>,
    /// The stage's text: for the service vision, the vision, values and promises.
    pub notes: Option<String>,
    pub artefacts: Vec<Artefact>,
}

impl CycleStage {
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status != StageStatus::Done && self.due.is_some_and(|due| due < today)
    }
}

/// A change to one stage: `PATCH /api/v1/strategy-cycles/{id}/stages/{key}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleStagePatch {
    pub status: Option<StageStatus>,
    pub owner: Option<String>,
    pub due: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Artefacts added to the stage's.
    #[serde(default)]
    pub add_artefacts: Vec<Artefact>,
}

impl CycleStage {
    pub fn apply(&mut self, patch: CycleStagePatch) -> Result<(), FieldError> {
        if let Some(status) = patch.status {
            self.status = status;
        }
        if let Some(owner) = patch.owner {
            self.owner = error::short_text("owner", Some(&owner))?;
        }
        if let Some(due) = patch.due {
            self.due = Some(due);
        }
        if let Some(notes) = patch.notes {
            self.notes = note("notes", Some(notes))?;
        }
        for (i, artefact) in patch.add_artefacts.into_iter().enumerate() {
            self.artefacts
                .push(artefact.validate(&format!("add_artefacts[{i}]"))?);
        }
        if self.artefacts.len() > 200 {
            return Err(FieldError::new("add_artefacts", "at most 200 per stage"));
        }
        Ok(())
    }
}

/// A cycle as started: the body of `POST /api/v1/strategy-cycles`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleDefinition {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The cycle's budget, in minor units of `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The cycle this one follows: its vision and findings are carried over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<i64>,
    /// The service vision (stage 1), if known at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vision: Option<String>,
}

impl CycleDefinition {
    pub fn validate(mut self) -> Result<CycleDefinition, FieldError> {
        self.name = error::required_text("name", Some(&self.name))?;
        if self.to <= self.from {
            return Err(FieldError::new("to", "must be after from"));
        }
        if self.budget_minor.is_some_and(|b| b < 0) {
            return Err(FieldError::new("budget_minor", "must not be negative"));
        }
        self.currency = error::short_text("currency", self.currency.as_deref())?
            .map(|c| c.to_ascii_uppercase());
        positive_id("previous_id", self.previous_id)?;
        self.vision = note("vision", self.vision.take())?;
        Ok(self)
    }
}

/// A stored cycle: its definition, its eight stages and what the cycle before it left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cycle {
    pub id: i64,
    #[serde(flatten)]
    pub definition: CycleDefinition,
    pub stages: Vec<CycleStage>,
    /// Findings carried over from the previous cycle's evaluation.
    #[serde(default)]
    pub carried_over: Vec<Finding>,
    pub created_at: DateTime<Utc>,
}

/// What the cycle before found about one goal or initiative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiative_id: Option<i64>,
    pub title: String,
    /// A goal's status (`achieved`, `off_track`, …), or for an initiative `worked`,
    /// `made_worse`, `no_effect`, `not_measured`, `carried_on` or `dropped`.
    pub outcome: String,
    /// The goal's value, or the initiative's effect, with its interval.
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Cycle {
    /// A new cycle (not stored yet): the eight stages not started, the first with the vision
    /// as its notes.
    pub fn new(
        definition: CycleDefinition,
        carried_over: Vec<Finding>,
        now: DateTime<Utc>,
    ) -> Cycle {
        Cycle {
            id: 0,
            stages: Cycle::new_stages(&definition),
            definition,
            carried_over,
            created_at: now,
        }
    }

    fn new_stages(definition: &CycleDefinition) -> Vec<CycleStage> {
        StageKey::ALL
            .into_iter()
            .map(|key| CycleStage {
                key,
                status: StageStatus::NotStarted,
                owner: None,
                due: None,
                notes: (key == StageKey::ServiceVision)
                    .then(|| definition.vision.clone())
                    .flatten(),
                artefacts: Vec::new(),
            })
            .collect()
    }

    pub fn stage_mut(&mut self, key: StageKey) -> &mut CycleStage {
        self.stages
            .iter_mut()
            .find(|s| s.key == key)
            .expect("a cycle has all eight stages")
    }

    /// The first stage not done: where the company is.
    pub fn current_stage(&self) -> Option<StageKey> {
        self.stages
            .iter()
            .find(|s| s.status != StageStatus::Done)
            .map(|s| s.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(metric: GoalMetric, baseline: f64, target: f64) -> Goal {
        Goal {
            id: 1,
            definition: GoalDefinition {
                name: "g".into(),
                metric,
                filters: Attributes::new(),
                target,
                due: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                owner_department: None,
                parent_id: None,
                cycle_id: None,
                window_days: 90,
                set_on: None,
                min_sample: None,
            },
            baseline: Measurement {
                from: NaiveDate::from_ymd_opt(2025, 10, 3).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                ..measured(baseline, 2.0)
            },
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    fn measured(value: f64, half: f64) -> Measurement {
        Measurement {
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            value: Some(value),
            low: Some(value - half),
            high: Some(value + half),
            n: 500,
            low_sample: false,
        }
    }

    #[test]
    fn a_goal_is_judged_by_its_interval_against_the_path_to_the_target() {
        let g = goal(GoalMetric::Nps, 10.0, 30.0);
        let mid = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(); // half way: the path is at 20
        let status = |value: f64, half: f64, projected: Option<f64>| {
            g.judge(&measured(value, half), projected, mid).status
        };
        assert_eq!(status(33.0, 2.0, None), GoalStatus::Achieved);
        // The point is above the target, but the interval is not: not achieved yet.
        assert_eq!(status(31.0, 3.0, None), GoalStatus::OnTrack);
        assert_eq!(status(19.0, 2.0, None), GoalStatus::OnTrack);
        assert_eq!(status(15.0, 2.0, Some(31.0)), GoalStatus::AtRisk);
        assert_eq!(status(15.0, 2.0, Some(22.0)), GoalStatus::OffTrack);
        assert_eq!(status(5.0, 2.0, Some(40.0)), GoalStatus::OffTrack);
        let mut thin = measured(40.0, 2.0);
        thin.low_sample = true;
        assert_eq!(g.judge(&thin, None, mid).status, GoalStatus::NotEnoughData);
        let after = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(
            g.judge(&measured(29.0, 2.0), None, after).status,
            GoalStatus::AtRisk
        );
        assert_eq!(
            g.judge(&measured(25.0, 2.0), None, after).status,
            GoalStatus::OffTrack
        );
    }

    #[test]
    fn a_lower_is_better_goal_is_judged_the_other_way() {
        let g = goal(GoalMetric::Churn, 20.0, 10.0);
        let mid = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(); // the path is at 15
        let j = g.judge(&measured(8.0, 1.0), None, mid);
        assert_eq!(j.status, GoalStatus::Achieved);
        assert!((j.planned.unwrap() - 15.0).abs() < 0.2);
        assert_eq!(
            g.judge(&measured(16.0, 1.5), None, mid).status,
            GoalStatus::OnTrack
        );
        assert_eq!(
            g.judge(&measured(25.0, 1.0), None, mid).status,
            GoalStatus::OffTrack
        );
    }

    #[test]
    fn bad_input_names_its_field() {
        let mut g = goal(GoalMetric::Csat, 4.0, 4.5).definition;
        g.target = 6.0;
        assert_eq!(g.clone().validate().unwrap_err().field, "target");
        g.target = 4.5;
        g.filters.insert("from".into(), "2026-01-01".into());
        assert_eq!(g.validate().unwrap_err().field, "filters.from");
        let stage = &mut Cycle::new_stages(&CycleDefinition {
            name: "c".into(),
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            budget_minor: None,
            currency: None,
            previous_id: None,
            vision: None,
        })[0];
        let bad = CycleStagePatch {
            add_artefacts: vec![Artefact {
                kind: "picture".into(),
                title: "x".into(),
                link: None,
                detail: None,
                figures: Default::default(),
            }],
            ..CycleStagePatch::default()
        };
        assert_eq!(stage.apply(bad).unwrap_err().field, "add_artefacts[0].kind");
    }
}
