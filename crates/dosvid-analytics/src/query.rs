//! Questions and answers: the query a dashboard asks (`POST /api/v1/query`), how it is checked
//! and resolved against the index's dictionaries into a [`Scan`], and the rows it answers with —
//! every value with its n, 95% interval and low-sample flag, and the change against another
//! period with its significance.

use std::collections::BTreeMap;

use dosvid_domain::{FeedbackSource, FieldError};
use dosvid_metrics::{
    Ces, Change, Csat, DEFAULT_MIN_SAMPLE, Estimate, Moments, NpsCounts, mean_change, nps_change,
    proportion_change,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Bucket;
use dosvid_text::{EMOTIONS, Label};

use crate::index::{Index, SENTIMENT_SCALE, SENTIMENTS, SOURCES};
use crate::scan::{Counts, Filter, Histograms, Key, Scan};

/// Most grouping dimensions in one query.
pub const MAX_GROUP_BY: usize = 2;
/// Most groups one query may produce (e.g. 40 touchpoints × 730 days is 29,200).
pub const MAX_GROUPS: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Records, answered or not.
    N,
    /// Net Promoter Score, −100…100.
    Nps,
    /// Mean CSAT, 1–5.
    Csat,
    /// CSAT top-two-box: % answering 4 or 5.
    CsatTop2,
    /// Mean CES, 1–7 (7 = very easy).
    Ces,
    /// % answering CES 5–7.
    CesEasy,
    /// Distinct customers.
    Reach,
    /// Mean sentiment of the comments, −1…1.
    Sentiment,
    /// How many answered each score: NPS 0–10, CSAT 1–5, CES 1–7.
    Distribution,
}

fn default_measures() -> Vec<Measure> {
    vec![Measure::N, Measure::Nps, Measure::Csat, Measure::Ces]
}

/// What a query counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Records {
    #[default]
    Feedback,
    /// Interactions: measures `n` and `reach`; no source, language or comment to slice by.
    Interactions,
}

/// A touchpoint, channel or stage: by id, or by key (a stage by its name).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Named {
    Id(i64),
    Key(String),
}

/// One value or a list of them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Which records count. Lists mean "any of"; different filters must all hold.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// From this time on (inclusive): RFC 3339, or a local date/time in the organisation's zone.
    pub from: Option<String>,
    /// Up to this time (exclusive).
    pub to: Option<String>,
    /// Journey stages, by id or name.
    #[serde(default)]
    #[schema(value_type = Vec<Named>)]
    pub stage: OneOrMany<Named>,
    /// Touchpoints by id or key, each with everything below it.
    #[serde(default)]
    #[schema(value_type = Vec<Named>)]
    pub touchpoint: OneOrMany<Named>,
    /// Owner departments: the touchpoints a department owns (a touchpoint without an owner of
    /// its own belongs to its parent's).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub department: OneOrMany<String>,
    /// Channels by id or key.
    #[serde(default)]
    #[schema(value_type = Vec<Named>)]
    pub channel: OneOrMany<Named>,
    #[serde(default)]
    #[schema(value_type = Vec<FeedbackSource>)]
    pub source: OneOrMany<FeedbackSource>,
    /// Language codes of the comments (`uk`, `ru`, `en`, …).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub language: OneOrMany<String>,
    pub has_comment: Option<bool>,
    /// The comment's sentiment: `negative`, `neutral`, `positive`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub sentiment: OneOrMany<Label>,
    /// Themes of the taxonomy by key, each with its sub-themes (`time` includes `time.queue`).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub theme: OneOrMany<String>,
    /// Emotions shown: `anger`, `frustration`, `anxiety`, `confusion`, `joy`, `gratitude`,
    /// `surprise`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub emotion: OneOrMany<String>,
    /// Agents who served the customer (as feedback records name them, or their interactions do).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub agent: OneOrMany<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub team: OneOrMany<String>,
    /// Customer attributes: `{"segment": ["premium"], "region": "Kyiv", "attr.tariff": "x"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub customer: BTreeMap<String, OneOrMany<String>>,
}

impl Filters {
    /// The first filter set that only feedback records can pass (interactions have no source,
    /// comment or agent).
    pub(crate) fn feedback_only(&self) -> Option<&'static str> {
        let set = [
            ("filters.source", !self.source.clone().into_vec().is_empty()),
            (
                "filters.language",
                !self.language.clone().into_vec().is_empty(),
            ),
            ("filters.has_comment", self.has_comment.is_some()),
            (
                "filters.sentiment",
                !self.sentiment.clone().into_vec().is_empty(),
            ),
            ("filters.theme", !self.theme.clone().into_vec().is_empty()),
            (
                "filters.emotion",
                !self.emotion.clone().into_vec().is_empty(),
            ),
            ("filters.agent", !self.agent.clone().into_vec().is_empty()),
            ("filters.team", !self.team.clone().into_vec().is_empty()),
        ];
        set.into_iter()
            .find(|(_, set)| *set)
            .map(|(field, _)| field)
    }

    /// The comparison dashboards make by default: the period just before, when this one has
    /// both ends.
    pub fn previous_period(&self) -> Option<CompareTo> {
        (self.from.is_some() && self.to.is_some())
            .then_some(CompareTo::Named(ComparePeriod::PreviousPeriod))
    }
}

/// The period to compare with.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CompareTo {
    /// `previous_period` (as long as the filtered one, just before it) or `previous_year`.
    Named(ComparePeriod),
    Range {
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComparePeriod {
    PreviousPeriod,
    PreviousYear,
}

/// A dashboard question.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// `feedback` (default) or `interactions`.
    #[serde(default)]
    pub records: Records,
    /// Default: `n`, `nps`, `csat`, `ces` (for interactions: `n`).
    #[serde(default)]
    pub measures: Vec<Measure>,
    #[serde(default)]
    pub filters: Filters,
    /// Up to two of: `touchpoint`, `stage`, `channel`, `source`, `language`, `has_comment`, `sentiment`,
    /// `time` (by `bucket`), `day`, `week`, `month`, `quarter`, `year`, `segment`, `region`,
    /// `plan`, `attr.NAME`.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The time bucket of `time` (default `month`).
    pub bucket: Option<Bucket>,
    pub compare_to: Option<CompareTo>,
    /// Below this many answers a value is flagged `low_sample` (default 30).
    pub min_sample: Option<u64>,
}

/// A metric's value, with the other period's and the change when comparing.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Metric {
    #[serde(flatten)]
    pub current: Estimate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Estimate>,
    /// Current − previous, with a significance test (5%).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// One group's answer. Only the measures asked for are present.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResultRow {
    /// The group's value of each `group_by` dimension (`null`: records without one).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, Option<String>>,
    pub n: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_n: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reach: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_reach: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat_top2: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces_easy: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Metric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
}

/// How many answers each score has (index 0 is the lowest score of the scale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Distribution {
    /// Answers 0, 1, …, 10.
    pub nps: Vec<u64>,
    /// Answers 1, …, 5.
    pub csat: Vec<u64>,
    /// Answers 1, …, 7.
    pub ces: Vec<u64>,
}

impl Distribution {
    fn of(h: &Histograms) -> Distribution {
        let counts = |c: &[u32]| c.iter().map(|&n| u64::from(n)).collect();
        Distribution {
            nps: counts(&h.nps[..=10]),
            csat: counts(&h.csat[1..=5]),
            ces: counts(&h.ces[1..=7]),
        }
    }
}

/// A period as the answer states it, in the organisation's zone.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QueryResult {
    pub group_by: Vec<String>,
    pub period: Period,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_to: Option<Period>,
    pub min_sample: u64,
    /// Groups with at least one record, in the order of their dimensions' values.
    pub rows: Vec<ResultRow>,
}

/// A grouping dimension resolved: how rows get codes, and what each code is called.
#[derive(Debug, Clone)]
pub(crate) struct Dimension {
    name: String,
    key: Key,
    labels: Vec<Option<String>>,
    /// The position of each code in the answer's order.
    rank: Vec<u32>,
    time: bool,
}

/// A query checked against the index: the scans to run and how to name what they count.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    measures: Vec<Measure>,
    dimensions: Vec<Dimension>,
    pub(crate) current: Scan,
    pub(crate) previous: Option<Scan>,
    pub(crate) min_sample: u64,
    pub(crate) period: Period,
    pub(crate) compared_to: Option<Period>,
}

/// One page of the feedback records a filter selects, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecordPage {
    /// All the records the filter selects.
    pub total: u64,
    /// The ids of the page's records, newest first.
    pub ids: Vec<i64>,
}

impl Index {
    /// The feedback records `filters` select, newest first: `take` ids after skipping `skip`,
    /// for lists that show the records behind a number (the store then reads them by id).
    pub fn feedback_records(
        &self,
        filters: &Filters,
        skip: usize,
        take: usize,
    ) -> Result<RecordPage, FieldError> {
        let plan = self.plan(&QueryRequest {
            measures: vec![Measure::N],
            filters: filters.clone(),
            ..Default::default()
        })?;
        let (total, rows) = plan.current.rows_newest_first(self, skip, take);
        Ok(RecordPage {
            total,
            ids: rows.iter().map(|&r| self.rows.id[r as usize]).collect(),
        })
    }

    /// Answers a query, or says which field of it is wrong and why.
    pub fn query(&self, request: &QueryRequest) -> Result<QueryResult, FieldError> {
        let plan = self.plan(request)?;
        let current = plan.current.run(self);
        let previous = plan.previous.as_ref().map(|scan| scan.run(self));
        Ok(plan.answer(&current, previous.as_ref()))
    }

    /// Checks a query and resolves its names into codes of this index.
    pub(crate) fn plan(&self, request: &QueryRequest) -> Result<Plan, FieldError> {
        let interactions = request.records == Records::Interactions;
        let measures = match (request.measures.is_empty(), interactions) {
            (true, false) => default_measures(),
            (true, true) => vec![Measure::N],
            (false, _) => request.measures.clone(),
        };
        let f = &request.filters;
        if interactions {
            let counted = [Measure::N, Measure::Reach];
            if let Some(i) = measures.iter().position(|m| !counted.contains(m)) {
                return Err(FieldError::new(
                    format!("measures[{i}]"),
                    "interactions have only n and reach",
                ));
            }
            if let Some(field) = f.feedback_only() {
                return Err(FieldError::new(field, "interactions have no such field"));
            }
            for (i, name) in request.group_by.iter().enumerate() {
                let feedback_only = [
                    "source",
                    "language",
                    "has_comment",
                    "sentiment",
                    "theme",
                    "emotion",
                    "agent",
                    "team",
                ];
                if feedback_only.contains(&name.as_str()) {
                    return Err(FieldError::new(
                        format!("group_by[{i}]"),
                        "interactions have no such field",
                    ));
                }
            }
        }
        let time = |field: &str, raw: &Option<String>| {
            raw.as_deref()
                .map(|raw| {
                    self.zone.parse(raw).ok_or_else(|| {
                        FieldError::new(
                            field,
                            "must be a date (2025-06-01), a local time (2025-06-01T09:00:00) or RFC 3339",
                        )
                    })
                })
                .transpose()
        };
        let from = time("filters.from", &f.from)?;
        let to = time("filters.to", &f.to)?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(FieldError::new("filters.to", "must be after filters.from"));
        }
        let filters = self.filters(f)?;
        if request.group_by.len() > MAX_GROUP_BY {
            return Err(FieldError::new(
                "group_by",
                format!("at most {MAX_GROUP_BY} dimensions"),
            ));
        }
        let mut dimensions = Vec::new();
        for (i, name) in request.group_by.iter().enumerate() {
            let field = format!("group_by[{i}]");
            if request.group_by[..i].contains(name) {
                return Err(FieldError::new(field, "is already grouped by"));
            }
            dimensions.push(self.dimension(&field, name, request.bucket)?);
        }
        let groups: usize = dimensions.iter().map(|d| d.labels.len()).product();
        if groups > MAX_GROUPS {
            return Err(FieldError::new(
                "group_by",
                format!(
                    "gives {groups} groups; at most {MAX_GROUPS}: choose a coarser bucket or fewer dimensions"
                ),
            ));
        }
        let scan = |from: Option<i64>, to: Option<i64>| Scan {
            from: from.unwrap_or(i64::MIN),
            to: to.unwrap_or(i64::MAX),
            filters: filters.clone(),
            keys: dimensions
                .iter()
                .map(|d| (d.key.clone(), d.labels.len()))
                .collect(),
            reach: measures.contains(&Measure::Reach),
            sentiment: measures.contains(&Measure::Sentiment),
            interactions,
        };
        let previous_range = match &request.compare_to {
            None => None,
            Some(_) if dimensions.iter().any(|d| d.time) => {
                return Err(FieldError::new(
                    "compare_to",
                    "cannot be used when grouping by time: the trend already shows each period",
                ));
            }
            Some(CompareTo::Named(period)) => {
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(FieldError::new(
                        "compare_to",
                        "needs filters.from and filters.to to know which period came before",
                    ));
                };
                Some(match period {
                    ComparePeriod::PreviousPeriod => self.zone.previous_period(from, to),
                    ComparePeriod::PreviousYear => (
                        self.zone.years_before(from, 1),
                        self.zone.years_before(to, 1),
                    ),
                })
            }
            Some(CompareTo::Range { from, to }) => {
                let from = time("compare_to.from", &Some(from.clone()))?.unwrap_or(i64::MIN);
                let to = time("compare_to.to", &Some(to.clone()))?.unwrap_or(i64::MAX);
                if from >= to {
                    return Err(FieldError::new(
                        "compare_to.to",
                        "must be after compare_to.from",
                    ));
                }
                Some((from, to))
            }
        };
        let label = |t: Option<i64>| t.map(|t| self.zone.format(t));
        Ok(Plan {
            current: scan(from, to),
            previous: previous_range.map(|(a, b)| scan(Some(a), Some(b))),
            compared_to: previous_range.map(|(a, b)| Period {
                from: label(Some(a)),
                to: label(Some(b)),
            }),
            period: Period {
                from: label(from),
                to: label(to),
            },
            min_sample: request.min_sample.unwrap_or(DEFAULT_MIN_SAMPLE),
            measures,
            dimensions,
        })
    }

    fn filters(&self, f: &Filters) -> Result<Vec<Filter>, FieldError> {
        let mut filters = Vec::new();
        let dir = &self.directory;
        // Stages and touchpoints both narrow the touchpoints a record may have.
        let mut touchpoints: Option<Vec<bool>> = None;
        let stages = f.stage.clone().into_vec();
        if !stages.is_empty() {
            let mut ids = Vec::new();
            for (i, stage) in stages.iter().enumerate() {
                ids.push(self.stage_id(&format!("filters.stage[{i}]"), stage)?);
            }
            touchpoints = Some(self.touchpoints.mask(|id| {
                id.and_then(|id| dir.touchpoint(*id))
                    .is_some_and(|t| ids.contains(&t.stage_id))
            }));
        }
        let named = f.touchpoint.clone().into_vec();
        if !named.is_empty() {
            let mut ids = Vec::new();
            for (i, touchpoint) in named.iter().enumerate() {
                let field = format!("filters.touchpoint[{i}]");
                let id = match touchpoint {
                    Named::Id(id) => dir.touchpoint(*id).map(|t| t.id),
                    Named::Key(key) => dir
                        .touchpoints
                        .iter()
                        .find(|t| t.key.eq_ignore_ascii_case(key.trim()))
                        .map(|t| t.id),
                }
                .ok_or_else(|| FieldError::new(field, "no such touchpoint"))?;
                ids.extend(dir.subtree(id));
            }
            let mask = self
                .touchpoints
                .mask(|id| id.is_some_and(|id| ids.contains(id)));
            touchpoints = Some(match touchpoints {
                None => mask,
                Some(stages) => stages.iter().zip(mask).map(|(a, b)| *a && b).collect(),
            });
        }
        let departments = f.department.clone().into_vec();
        if !departments.is_empty() {
            let owned = |id: i64| {
                dir.owner_department(id)
                    .is_some_and(|d| departments.iter().any(|x| x.trim() == d))
            };
            let mask = self.touchpoints.mask(|id| id.is_some_and(|id| owned(*id)));
            touchpoints = Some(match touchpoints {
                None => mask,
                Some(before) => before.iter().zip(mask).map(|(a, b)| *a && b).collect(),
            });
        }
        filters.extend(touchpoints.map(Filter::Touchpoint));
        let channels = f.channel.clone().into_vec();
        if !channels.is_empty() {
            let mut ids = Vec::new();
            for (i, channel) in channels.iter().enumerate() {
                let field = format!("filters.channel[{i}]");
                ids.push(
                    match channel {
                        Named::Id(id) => dir.channel(*id).map(|c| c.id),
                        Named::Key(key) => dir
                            .channels
                            .iter()
                            .find(|c| c.key.eq_ignore_ascii_case(key.trim()))
                            .map(|c| c.id),
                    }
                    .ok_or_else(|| FieldError::new(field, "no such channel"))?,
                );
            }
            filters.push(Filter::Channel(
                self.channels
                    .mask(|id| id.is_some_and(|id| ids.contains(id))),
            ));
        }
        let sources = f.source.clone().into_vec();
        if !sources.is_empty() {
            filters.push(Filter::Source(SOURCES.map(|s| sources.contains(&s))));
        }
        let languages: Vec<String> = f
            .language
            .clone()
            .into_vec()
            .iter()
            .map(|l| l.trim().to_ascii_lowercase())
            .collect();
        if !languages.is_empty() {
            filters.push(Filter::Language(self.languages.mask(|l| {
                l.is_some_and(|l| languages.iter().any(|x| x.eq_ignore_ascii_case(l)))
            })));
        }
        if let Some(want) = f.has_comment {
            filters.push(Filter::Comment(want));
        }
        for (wanted, dict, agent) in [
            (&f.agent, &self.agents, true),
            (&f.team, &self.teams, false),
        ] {
            let wanted = wanted.clone().into_vec();
            if !wanted.is_empty() {
                let mask = dict.mask(|v| v.is_some_and(|v| wanted.contains(v)));
                filters.push(if agent {
                    Filter::Agent(mask)
                } else {
                    Filter::Team(mask)
                });
            }
        }
        let sentiments = f.sentiment.clone().into_vec();
        if !sentiments.is_empty() {
            let mut accept = [false; 4];
            for (code, label) in SENTIMENTS.iter().enumerate() {
                accept[code + 1] = sentiments.contains(label);
            }
            filters.push(Filter::Sentiment(accept));
        }
        let themes = f.theme.clone().into_vec();
        if !themes.is_empty() {
            let known: Vec<&str> = dir.themes.iter().map(String::as_str).collect();
            filters.push(Filter::Theme(bits(
                "filters.theme",
                &themes,
                &known,
                "no such theme in the taxonomy (GET /api/v1/themes lists them)",
            )?));
        }
        let emotions = f.emotion.clone().into_vec();
        if !emotions.is_empty() {
            let message = format!("must be one of {}", EMOTIONS.join(", "));
            let bits = bits("filters.emotion", &emotions, &EMOTIONS, &message)?;
            filters.push(Filter::Emotion(bits as u8));
        }
        for (name, values) in &f.customer {
            let field = format!("filters.customer.{name}");
            let column = self.customer_column(&field, name)?;
            let values = values.clone().into_vec();
            let accept = self.customers.columns[&column]
                .dict
                .mask(|v| v.is_some_and(|v| values.contains(v)));
            filters.push(Filter::Customer { column, accept });
        }
        Ok(filters)
    }

    /// Which customer slots have the given attribute values (all of them, for no attributes).
    pub(crate) fn customer_filter(
        &self,
        wanted: &BTreeMap<String, OneOrMany<String>>,
        field: &str,
    ) -> Result<impl Fn(u32) -> bool + '_, FieldError> {
        let mut tests = Vec::new();
        for (name, values) in wanted {
            let column = self.customer_column(&format!("{field}.{name}"), name)?;
            let values = values.clone().into_vec();
            let column = &self.customers.columns[&column];
            let accept = column.dict.mask(|v| v.is_some_and(|v| values.contains(v)));
            tests.push((&column.values, accept));
        }
        Ok(move |slot: u32| {
            tests
                .iter()
                .all(|(values, accept)| accept[usize::from(values[slot as usize])])
        })
    }

    fn stage_id(&self, field: &str, stage: &Named) -> Result<i64, FieldError> {
        let stages = || self.directory.journeys.iter().flat_map(|j| &j.stages);
        match stage {
            Named::Id(id) => stages()
                .find(|s| s.id == *id)
                .map(|s| s.id)
                .ok_or_else(|| FieldError::new(field, "no such stage")),
            Named::Key(name) => {
                let found: Vec<i64> = stages()
                    .filter(|s| s.name.eq_ignore_ascii_case(name.trim()))
                    .map(|s| s.id)
                    .collect();
                match found[..] {
                    [id] => Ok(id),
                    [] => Err(FieldError::new(field, "no such stage")),
                    _ => Err(FieldError::new(
                        field,
                        "names stages of several journeys; use the stage's id",
                    )),
                }
            }
        }
    }

    /// The column of a customer attribute: `segment`, `region`, `plan`, or a custom attribute
    /// as `attr.NAME` (or just `NAME`).
    pub(crate) fn customer_column(&self, field: &str, name: &str) -> Result<String, FieldError> {
        let columns = &self.customers.columns;
        [name.to_owned(), format!("attr.{name}")]
            .into_iter()
            .find(|c| columns.contains_key(c))
            .ok_or_else(|| {
                let known: Vec<&str> = columns.keys().map(String::as_str).collect();
                FieldError::new(
                    field,
                    format!(
                        "no customer has this attribute; known: {}",
                        known.join(", ")
                    ),
                )
            })
    }

    fn dimension(
        &self,
        field: &str,
        name: &str,
        bucket: Option<Bucket>,
    ) -> Result<Dimension, FieldError> {
        let dir = &self.directory;
        let by_label = |key: Key, labels: Vec<Option<String>>| Dimension {
            name: name.to_owned(),
            rank: rank_by_label(&labels),
            key,
            labels,
            time: false,
        };
        let touchpoint_key = |id: &i64| dir.touchpoint(*id).map(|t| t.key.clone());
        let bucket = match name {
            "time" => Some(bucket.unwrap_or(Bucket::Month)),
            "day" => Some(Bucket::Day),
            "week" => Some(Bucket::Week),
            "month" => Some(Bucket::Month),
            "quarter" => Some(Bucket::Quarter),
            "year" => Some(Bucket::Year),
            _ => None,
        };
        if let Some(bucket) = bucket {
            return Ok(self.time_dimension(name, bucket));
        }
        Ok(match name {
            "touchpoint" => by_label(
                Key::Touchpoint,
                codes(self.touchpoints.cardinality(), |c| {
                    self.touchpoints.key(c).and_then(touchpoint_key)
                }),
            ),
            "stage" => {
                let stages: Vec<&dosvid_domain::Stage> =
                    dir.journeys.iter().flat_map(|j| &j.stages).collect();
                let of = codes(self.touchpoints.cardinality(), |c| {
                    self.touchpoints
                        .key(c)
                        .and_then(|id| dir.touchpoint(*id))
                        .and_then(|t| stages.iter().position(|s| s.id == t.stage_id))
                        .map_or(0, |i| i as u32 + 1)
                });
                let labels = std::iter::once(None)
                    .chain(stages.iter().map(|s| Some(s.name.clone())))
                    .collect();
                // Stages keep their journey order.
                let rank = (0..=stages.len() as u32)
                    .map(|i| if i == 0 { u32::MAX } else { i })
                    .collect();
                Dimension {
                    name: name.to_owned(),
                    key: Key::Stage(of),
                    labels,
                    rank,
                    time: false,
                }
            }
            "channel" => by_label(
                Key::Channel,
                codes(self.channels.cardinality(), |c| {
                    self.channels
                        .key(c)
                        .and_then(|id| dir.channel(*id))
                        .map(|c| c.key.clone())
                }),
            ),
            "source" => by_label(
                Key::Source,
                SOURCES
                    .iter()
                    .map(|s| Some(s.as_str().to_owned()))
                    .collect(),
            ),
            "language" => by_label(
                Key::Language,
                codes(self.languages.cardinality(), |c| {
                    self.languages.key(c).cloned()
                }),
            ),
            "has_comment" => by_label(
                Key::Comment,
                vec![Some("false".into()), Some("true".into())],
            ),
            "sentiment" => Dimension {
                name: name.to_owned(),
                key: Key::Sentiment,
                labels: std::iter::once(None)
                    .chain(SENTIMENTS.iter().map(|l| Some(l.as_str().to_owned())))
                    .collect(),
                // Negative, neutral, positive, then records without one.
                rank: vec![3, 0, 1, 2],
                time: false,
            },
            "agent" => by_label(
                Key::Agent,
                codes(self.agents.cardinality(), |c| self.agents.key(c).cloned()),
            ),
            "team" => by_label(
                Key::Team,
                codes(self.teams.cardinality(), |c| self.teams.key(c).cloned()),
            ),
            "nps_group" => Dimension {
                name: name.to_owned(),
                key: Key::NpsGroup,
                labels: [None, Some("detractor"), Some("passive"), Some("promoter")]
                    .map(|l| l.map(str::to_owned))
                    .to_vec(),
                rank: vec![3, 0, 1, 2],
                time: false,
            },
            // Themes and emotions keep the taxonomy's and the list's order, "none" last.
            "theme" | "emotion" => {
                let (key, names): (Key, Vec<String>) = if name == "theme" {
                    (Key::Theme, dir.themes.clone())
                } else {
                    (
                        Key::Emotion,
                        EMOTIONS.iter().map(|e| e.to_string()).collect(),
                    )
                };
                let count = names.len() as u32;
                Dimension {
                    name: name.to_owned(),
                    key,
                    labels: std::iter::once(None)
                        .chain(names.into_iter().map(Some))
                        .collect(),
                    rank: (0..=count)
                        .map(|i| if i == 0 { u32::MAX } else { i })
                        .collect(),
                    time: false,
                }
            }
            other => {
                let column = self.customer_column(field, other).map_err(|_| {
                    FieldError::new(
                        field,
                        "must be touchpoint, stage, channel, source, language, has_comment, \
                         sentiment, nps_group, agent, team, theme, emotion, time, \
                         day, week, month, quarter, year, or a customer attribute (segment, region, \
                         plan, attr.NAME)",
                    )
                })?;
                let dict = &self.customers.columns[&column].dict;
                by_label(
                    Key::Customer(column.clone()),
                    codes(dict.cardinality(), |c| dict.key(c).cloned()),
                )
            }
        })
    }

    fn time_dimension(&self, name: &str, bucket: Bucket) -> Dimension {
        let (first, last) = self.days.unwrap_or((0, 0));
        let mut starts: Vec<i32> = Vec::new();
        let buckets = (first..=last)
            .map(|day| {
                let start = bucket.start(day);
                if starts.last() != Some(&start) {
                    starts.push(start);
                }
                starts.len() as u32 - 1
            })
            .collect();
        Dimension {
            name: name.to_owned(),
            key: Key::Time { first, buckets },
            rank: (0..starts.len() as u32).collect(),
            labels: starts.iter().map(|&s| Some(bucket.label(s))).collect(),
            time: true,
        }
    }
}

/// The bits of the named values (bit `i` for `known[i]`), or which name is unknown.
fn bits(field: &str, names: &[String], known: &[&str], unknown: &str) -> Result<u64, FieldError> {
    names.iter().enumerate().try_fold(0u64, |bits, (i, name)| {
        let position = known.iter().position(|k| *k == name.trim());
        let position = position.ok_or_else(|| FieldError::new(format!("{field}[{i}]"), unknown))?;
        Ok(bits | 1 << position)
    })
}

fn codes<T>(cardinality: usize, f: impl Fn(u16) -> T) -> Vec<T> {
    (0..cardinality).map(|c| f(c as u16)).collect()
}

/// Ranks codes by their labels, "none" last.
fn rank_by_label(labels: &[Option<String>]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| match (&labels[a], &labels[b]) {
        (Some(x), Some(y)) => natural(x).cmp(&natural(y)),
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
    });
    let mut rank = vec![0; labels.len()];
    for (position, code) in order.into_iter().enumerate() {
        rank[code] = position as u32;
    }
    rank
}

/// Sorts numbers as numbers ("2" before "10") and the rest as text.
fn natural(label: &str) -> (Option<i64>, &str) {
    (label.parse().ok(), label)
}

impl Plan {
    fn answer(&self, current: &Counts, previous: Option<&Counts>) -> QueryResult {
        let mut rows: Vec<(Vec<u32>, ResultRow)> = Vec::new();
        for (group, histograms) in current.groups.iter().enumerate() {
            if histograms.n() == 0 {
                continue;
            }
            let (rank, group_labels) = (self.group_rank(group), self.group_labels(group));
            let before = previous.map(|p| (&p.groups[group], p.reach.get(group).copied()));
            let row = self.row(
                group_labels,
                histograms,
                current.reach.get(group).copied(),
                before,
            );
            rows.push((rank, row));
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        QueryResult {
            group_by: self.dimensions.iter().map(|d| d.name.clone()).collect(),
            period: self.period.clone(),
            compared_to: self.compared_to.clone(),
            min_sample: self.min_sample,
            rows: rows.into_iter().map(|(_, row)| row).collect(),
        }
    }

    /// The code of each dimension in a group number.
    fn group_codes(&self, group: usize) -> Vec<usize> {
        let mut codes = vec![0usize; self.dimensions.len()];
        let mut rest = group;
        for (i, d) in self.dimensions.iter().enumerate().rev() {
            codes[i] = rest % d.labels.len();
            rest /= d.labels.len();
        }
        codes
    }

    /// Where a group comes in the answer's order.
    pub(crate) fn group_rank(&self, group: usize) -> Vec<u32> {
        let codes = self.group_codes(group);
        codes
            .iter()
            .zip(&self.dimensions)
            .map(|(&c, d)| d.rank[c])
            .collect()
    }

    /// A group's value of each dimension.
    pub(crate) fn group_labels(&self, group: usize) -> BTreeMap<String, Option<String>> {
        let codes = self.group_codes(group);
        codes
            .iter()
            .zip(&self.dimensions)
            .map(|(&c, d)| (d.name.clone(), d.labels[c].clone()))
            .collect()
    }

    pub(crate) fn row(
        &self,
        group: BTreeMap<String, Option<String>>,
        now: &Histograms,
        reach: Option<u64>,
        before: Option<(&Histograms, Option<u64>)>,
    ) -> ResultRow {
        let min = self.min_sample;
        let wants = |m: Measure| self.measures.contains(&m);
        let scores = |h: &Histograms| Scores::of(h);
        let (s, b) = (scores(now), before.map(|(h, _)| scores(h)));
        let metric = |m: Measure,
                      estimate: &dyn Fn(&Scores) -> Estimate,
                      change: &dyn Fn(&Scores, &Scores) -> Option<Change>| {
            wants(m).then(|| Metric {
                current: estimate(&s),
                previous: b.as_ref().map(estimate),
                change: b.as_ref().and_then(|b| change(b, &s)),
            })
        };
        ResultRow {
            group,
            n: now.n(),
            previous_n: before.map(|(h, _)| h.n()),
            reach: reach.filter(|_| wants(Measure::Reach)),
            previous_reach: before
                .and_then(|(_, r)| r)
                .filter(|_| wants(Measure::Reach)),
            nps: metric(Measure::Nps, &|s| s.nps.nps(min), &|b, a| {
                nps_change(&b.nps, &a.nps)
            }),
            csat: metric(Measure::Csat, &|s| s.csat.moments.mean(min), &|b, a| {
                mean_change(&b.csat.moments, &a.csat.moments)
            }),
            csat_top2: metric(Measure::CsatTop2, &|s| s.csat.top_two_box(min), &|b, a| {
                proportion_change(
                    (b.csat.satisfied, b.csat.moments.n),
                    (a.csat.satisfied, a.csat.moments.n),
                )
            }),
            ces: metric(Measure::Ces, &|s| s.ces.moments.mean(min), &|b, a| {
                mean_change(&b.ces.moments, &a.ces.moments)
            }),
            ces_easy: metric(Measure::CesEasy, &|s| s.ces.percent_easy(min), &|b, a| {
                proportion_change((b.ces.easy, b.ces.moments.n), (a.ces.easy, a.ces.moments.n))
            }),
            sentiment: metric(Measure::Sentiment, &|s| s.sentiment.mean(min), &|b, a| {
                mean_change(&b.sentiment, &a.sentiment)
            }),
            distribution: wants(Measure::Distribution).then(|| Distribution::of(now)),
        }
    }
}

/// The metrics' inputs, from a group's histograms.
pub(crate) struct Scores {
    pub(crate) nps: NpsCounts,
    pub(crate) csat: Csat,
    pub(crate) ces: Ces,
    pub(crate) sentiment: Moments,
}

impl Scores {
    pub(crate) fn of(h: &Histograms) -> Self {
        let sum = |counts: &[u32]| counts.iter().map(|&c| u64::from(c)).sum::<u64>();
        let moments = |counts: &[u32]| {
            let mut m = Moments::default();
            for (score, &count) in counts.iter().enumerate().skip(1) {
                let (x, c) = (score as f64, f64::from(count));
                m.n += u64::from(count);
                m.sum += x * c;
                m.sum_squares += x * x * c;
            }
            m
        };
        Scores {
            nps: NpsCounts {
                promoters: sum(&h.nps[9..=10]),
                passives: sum(&h.nps[7..=8]),
                detractors: sum(&h.nps[..=6]),
            },
            csat: Csat {
                satisfied: sum(&h.csat[4..=5]),
                moments: moments(&h.csat[..=5]),
            },
            ces: Ces {
                easy: sum(&h.ces[5..=7]),
                moments: moments(&h.ces[..=7]),
            },
            sentiment: {
                let (m, scale) = (&h.sentiment, SENTIMENT_SCALE);
                Moments {
                    n: m.n,
                    sum: m.sum as f64 / scale,
                    sum_squares: m.squares as f64 / (scale * scale),
                }
            },
        }
    }
}
