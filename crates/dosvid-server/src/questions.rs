//! The questions dashboards ask the analytics index, shared by the JSON API and the pages: the
//! slice a dashboard looks at (`SliceParams`, read from query parameters) and the requests
//! behind `/overview`, `/trend` and `/journey-map`; and `AppState::ask`, which puts a question
//! to the organisation's index on a blocking thread.

use std::collections::BTreeMap;

use dosvid_analytics::{Bucket, Filters, Index, Measure, Named, OneOrMany, QueryRequest};
use dosvid_domain::FieldError;
use dosvid_store::{Filter, PageRequest, Store};
use dosvid_text::EmergingPhrase;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::analytics::read_index;
use crate::{ApiError, AppState};

impl AppState {
    /// Asks the analytics index of what `who` may see (the organisation's, or the part of it their
    /// unit's rules admit), on a blocking thread (a scan uses every core).
    pub(crate) async fn ask<T: Send + 'static>(
        &self,
        who: &crate::access::Principal,
        f: impl FnOnce(&Index) -> Result<T, FieldError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let analytics = self.analytics.clone();
        let who = who.clone();
        let answer = self
            .run(move |store| {
                let index = analytics.index(store, who.org)?;
                let index = read_index(&index);
                Ok(match who.part_of(&index) {
                    Some(part) => f(&part.index),
                    None => f(&index),
                })
            })
            .await?;
        answer.map_err(ApiError::invalid)
    }
}

/// The slice a dashboard looks at, as query parameters. Lists are comma-separated; touchpoints,
/// channels and stages by id or key (a stage by name).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SliceParams {
    /// Start (inclusive): a date (2025-06-01) or time in the organisation's zone, or RFC 3339.
    pub(crate) from: Option<String>,
    /// End (exclusive).
    pub(crate) to: Option<String>,
    pub(crate) stage: Option<String>,
    /// Touchpoints, each with everything below it.
    pub(crate) touchpoint: Option<String>,
    pub(crate) channel: Option<String>,
    /// Departments owning the touchpoints (a touchpoint without an owner takes its parent's).
    pub(crate) department: Option<String>,
    /// survey, review, complaint, social, other.
    pub(crate) source: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) has_comment: Option<bool>,
    /// negative, neutral, positive (of the comment).
    pub(crate) sentiment: Option<String>,
    /// Theme keys (each with its sub-themes).
    pub(crate) theme: Option<String>,
    /// anger, frustration, anxiety, confusion, joy, gratitude, surprise.
    pub(crate) emotion: Option<String>,
    /// Agents who served the customer.
    pub(crate) agent: Option<String>,
    pub(crate) team: Option<String>,
    pub(crate) segment: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) plan: Option<String>,
    /// Below this many answers a value is flagged `low_sample` (default 30).
    pub(crate) min_sample: Option<u64>,
    /// `/trend`: the measures, e.g. `nps,csat` (default `nps`).
    pub(crate) measures: Option<String>,
    /// `/trend`: day, week, month (default), quarter, year.
    pub(crate) bucket: Option<Bucket>,
    /// `/journey-map`: the journey by id or key (default: the first).
    pub(crate) journey: Option<String>,
}

fn list(raw: &Option<String>) -> Vec<String> {
    raw.iter()
        .flat_map(|r| r.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

/// A comma-separated list of the names of an enum's values.
fn choices<T: DeserializeOwned>(
    field: &str,
    raw: &Option<String>,
    allowed: &str,
) -> Result<Vec<T>, FieldError> {
    list(raw)
        .into_iter()
        .map(|name| {
            serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| FieldError::new(field, format!("{name:?} is not one of: {allowed}")))
        })
        .collect()
}

fn named(raw: &str) -> Named {
    raw.parse()
        .map_or_else(|_| Named::Key(raw.to_owned()), Named::Id)
}

impl SliceParams {
    pub(crate) fn filters(&self) -> Result<Filters, FieldError> {
        let names =
            |raw: &Option<String>| OneOrMany::Many(list(raw).iter().map(|v| named(v)).collect());
        let sources = choices(
            "source",
            &self.source,
            "survey, review, complaint, social or other",
        )?;
        let sentiments = choices(
            "sentiment",
            &self.sentiment,
            "negative, neutral or positive",
        )?;
        let mut customer = BTreeMap::new();
        for (name, values) in [
            ("segment", &self.segment),
            ("region", &self.region),
            ("plan", &self.plan),
        ] {
            if values.is_some() {
                customer.insert(name.to_owned(), OneOrMany::Many(list(values)));
            }
        }
        Ok(Filters {
            from: self.from.clone(),
            to: self.to.clone(),
            stage: names(&self.stage),
            touchpoint: names(&self.touchpoint),
            channel: names(&self.channel),
            department: OneOrMany::Many(list(&self.department)),
            source: OneOrMany::Many(sources),
            language: OneOrMany::Many(list(&self.language)),
            has_comment: self.has_comment,
            sentiment: OneOrMany::Many(sentiments),
            theme: OneOrMany::Many(list(&self.theme)),
            emotion: OneOrMany::Many(list(&self.emotion)),
            agent: OneOrMany::Many(list(&self.agent)),
            team: OneOrMany::Many(list(&self.team)),
            customer,
        })
    }
}

impl SliceParams {
    /// The question behind `/overview` (and the web overview): the headline measures, against
    /// the period before when the period has both ends.
    pub(crate) fn overview(&self) -> Result<QueryRequest, FieldError> {
        let filters = self.filters()?;
        Ok(QueryRequest {
            measures: vec![
                Measure::N,
                Measure::Reach,
                Measure::Nps,
                Measure::Csat,
                Measure::CsatTop2,
                Measure::Ces,
                Measure::CesEasy,
            ],
            compare_to: filters.previous_period(),
            filters,
            min_sample: self.min_sample,
            ..Default::default()
        })
    }

    /// The question behind `/trend`: measures by time bucket.
    pub(crate) fn trend(&self) -> Result<QueryRequest, FieldError> {
        let mut measures = vec![Measure::N];
        measures.extend(choices::<Measure>(
            "measures",
            &self.measures,
            "n, nps, csat, csat_top2, ces, ces_easy, reach or sentiment",
        )?);
        if measures.len() == 1 {
            measures.push(Measure::Nps);
        }
        Ok(QueryRequest {
            measures,
            filters: self.filters()?,
            group_by: vec!["time".into()],
            bucket: self.bucket,
            min_sample: self.min_sample,
            ..Default::default()
        })
    }

    /// The journey asked for, by id or key.
    pub(crate) fn journey(&self) -> Option<Named> {
        self.journey.as_deref().map(named)
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EmergingResponse {
    /// Readable comments of the period that no theme covers, and of the period before.
    pub comments: u64,
    pub previous_comments: u64,
    pub phrases: Vec<EmergingPhrase>,
}

/// Most comments read for one period.
const MAX_EMERGING_COMMENTS: usize = 200_000;

/// The readable comments of a period that no theme covers: (text, negative?).
fn uncovered(
    store: &dyn Store,
    org: dosvid_domain::OrgId,
    sight: &crate::access::Sight,
    (from, to): (i64, i64),
) -> dosvid_store::Result<Vec<(String, bool)>> {
    let time = |s: i64| chrono::DateTime::from_timestamp(s, 0);
    let filter = Filter {
        from: time(from),
        to: time(to),
        ..Filter::default()
    };
    let mut out = Vec::new();
    let mut page = PageRequest::first(1000);
    loop {
        let found = store.list_feedback(org, &filter, page)?;
        // A unit's people read only their unit's comments.
        out.extend(
            found
                .items
                .into_iter()
                .filter(|f| sight.feedback(f.id))
                .filter_map(|f| {
                    let negative = f.sentiment? <= -dosvid_text::NEUTRAL_BAND;
                    (f.themes.is_empty() && f.garbage.is_none()).then_some((f.comment?, negative))
                }),
        );
        match found.next_cursor {
            Some(cursor) if out.len() < MAX_EMERGING_COMMENTS => {
                page.after = Some(PageRequest::parse_cursor(&cursor)?)
            }
            _ => return Ok(out),
        }
    }
}

/// Emerging themes — frequent key phrases of a period's comments that no theme covers, against
/// the period before — as the API and the insights page ask them: `(min_comments, limit,
/// by_negative)`, within the reader's sight.
pub fn emerging(
    store: &dyn Store,
    org: dosvid_domain::OrgId,
    sight: &crate::access::Sight,
    (now, before): ((i64, i64), (i64, i64)),
    (min_comments, limit, by_negative): (u64, usize, bool),
) -> dosvid_store::Result<EmergingResponse> {
    let now = uncovered(store, org, sight, now)?;
    let before = uncovered(store, org, sight, before)?;
    let phrases = dosvid_text::emerging(
        now.iter().map(|(t, n)| (t.as_str(), *n)),
        before.iter().map(|(t, _)| t.as_str()),
        min_comments,
        limit,
        by_negative,
    );
    Ok(EmergingResponse {
        comments: now.len() as u64,
        previous_comments: before.len() as u64,
        phrases,
    })
}
