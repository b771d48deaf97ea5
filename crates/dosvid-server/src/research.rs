//! The research repository and the analytical templates (issue 22, SPEC §3.4): studies of
//! customers met first-hand — their participants linked to profiles, notes and quotes tagged
//! with touchpoints and themes (suggested by the text analysis), attachments' text, five-whys
//! chains linked to cases' root causes — searchable, their quotes shown beside the numbers;
//! and templates (empathy map, value proposition canvas…) prefilled from the data. The JSON
//! API and the pages both call these functions.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use dosvid_analytics::{Filters, Index, ThemeReportRequest};
use dosvid_domain::diagnosis::{DocumentKind, StudyDefinition, TemplateDocument, TemplateKind};
use dosvid_domain::{FieldError, OrgId};
use dosvid_store::{CaseFilter, Document, Filter, Store, StoreError, all_pages};

use crate::diagnosis::{body, read, subtree};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A stored study.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Study {
    pub id: i64,
    #[serde(flatten)]
    pub definition: StudyDefinition,
    /// Cases closed with the study's root cause: how often the chain's end shows in service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause_cases: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How many cases were closed with each root cause, read once for every study shown.
fn root_cause_counts(store: &dyn Store, org: OrgId) -> Result<HashMap<String, u64>, StoreError> {
    let mut counts = HashMap::new();
    for case in all_pages(|p| store.list_cases(org, &CaseFilter::default(), p))? {
        if let Some(code) = case.root_cause {
            *counts.entry(code).or_default() += 1;
        }
    }
    Ok(counts)
}

fn study(d: &Document, definition: StudyDefinition, counts: &HashMap<String, u64>) -> Study {
    Study {
        id: d.id,
        root_cause_cases: definition
            .root_cause
            .as_ref()
            .map(|code| counts.get(code).copied().unwrap_or(0)),
        definition,
        created_at: d.created_at,
        updated_at: d.updated_at,
    }
}

/// A study as shown, with the count of cases closed with its root cause.
fn shown(store: &dyn Store, org: OrgId, d: &Document) -> Result<Study, StoreError> {
    let definition: StudyDefinition = read(d)?;
    let counts = match definition.root_cause {
        Some(_) => root_cause_counts(store, org)?,
        None => HashMap::new(),
    };
    Ok(study(d, definition, &counts))
}

/// Checks a study against the organisation: touchpoints by key resolved to ids, participants'
/// customers and themes known; a note without themes gets those the text analysis reads in it.
fn resolve(
    store: &dyn Store,
    org: OrgId,
    definition: StudyDefinition,
) -> Result<StudyDefinition, StoreError> {
    let mut definition = definition.validate()?;
    for (i, p) in definition.participants.iter().enumerate() {
        if let Some(id) = p.customer_id {
            store.get_customer(org, id).map_err(|e| match e {
                StoreError::NotFound { .. } => {
                    FieldError::new(format!("participants[{i}].customer_id"), "no such customer")
                        .into()
                }
                e => e,
            })?;
        }
    }
    let touchpoints = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let taxonomy = store.taxonomy(org)?;
    let themes = store.themes(org)?;
    for (i, note) in definition.notes.iter_mut().enumerate() {
        if let Some(key) = note.touchpoint.take() {
            let found = touchpoints.iter().find(|t| t.key == key).ok_or_else(|| {
                FieldError::new(format!("notes[{i}].touchpoint"), "no such touchpoint")
            })?;
            note.touchpoint_id = Some(found.id);
        } else if let Some(id) = note.touchpoint_id
            && !touchpoints.iter().any(|t| t.id == id)
        {
            return Err(
                FieldError::new(format!("notes[{i}].touchpoint_id"), "no such touchpoint").into(),
            );
        }
        if let Some((j, _)) = note
            .themes
            .iter()
            .enumerate()
            .find(|(_, t)| !taxonomy.themes.iter().any(|x| &x.key == *t))
        {
            return Err(FieldError::new(format!("notes[{i}].themes[{j}]"), "no such theme").into());
        }
        if note.themes.is_empty() {
            note.themes = dosvid_text::analyze_with(&note.text, &themes)
                .theme_keys()
                .into_iter()
                .map(str::to_owned)
                .collect();
        }
    }
    Ok(definition)
}

pub fn save_study(
    store: &dyn Store,
    org: OrgId,
    id: Option<i64>,
    definition: StudyDefinition,
    now: DateTime<Utc>,
) -> Result<Study, StoreError> {
    let definition = resolve(store, org, definition)?;
    let json = body(&definition)?;
    let d = match id {
        Some(id) => store.update_document(org, DocumentKind::Study, id, &json, now)?,
        None => store.create_document(org, DocumentKind::Study, None, &json, now)?,
    };
    shown(store, org, &d)
}

pub fn get_study(store: &dyn Store, org: OrgId, id: i64) -> Result<Study, StoreError> {
    shown(
        store,
        org,
        &store.get_document(org, DocumentKind::Study, id)?,
    )
}

/// What the repository is searched by; every given one must match.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StudySearch {
    /// Words in the title, summary, notes, attachments, whys or participants' names.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// in_depth_interview, observation, customers_moccasins, stories_sharing, pioneer_view,
    /// field_research, five_whys.
    pub method: Option<String>,
    /// A note at this touchpoint (key) or below it.
    pub touchpoint: Option<String>,
    /// A note tagged with this theme key.
    pub theme: Option<String>,
}

/// The touchpoint of `key` with everything below it; an unknown key names the `touchpoint`
/// field.
fn subtree_of(store: &dyn Store, org: OrgId, key: &str) -> Result<HashSet<i64>, StoreError> {
    let all = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let root = all
        .iter()
        .find(|t| t.key == key)
        .ok_or_else(|| FieldError::new("touchpoint", "no such touchpoint"))?;
    Ok(subtree(&all, root.id))
}

/// The studies `search` finds, newest first by the day they were conducted.
pub fn search_studies(
    store: &dyn Store,
    org: OrgId,
    search: &StudySearch,
) -> Result<Vec<Study>, StoreError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let method = given(&search.method)
        .map(|m| {
            dosvid_domain::diagnosis::StudyMethod::ALL
                .into_iter()
                .find(|x| x.as_str() == m)
                .ok_or_else(|| FieldError::new("method", "no such method"))
        })
        .transpose()?;
    let needle = given(&search.q).map(|q| q.to_lowercase());
    if needle.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(FieldError::new("q", "must be at most 200 characters").into());
    }
    let within = given(&search.touchpoint)
        .map(|t| subtree_of(store, org, &t))
        .transpose()?;
    let theme = given(&search.theme);
    let mut kept = Vec::new();
    for d in store.list_documents(org, DocumentKind::Study, None)? {
        let s: StudyDefinition = read(&d)?;
        let keep = method.is_none_or(|m| s.method == m)
            && needle.as_deref().is_none_or(|n| s.mentions(n))
            && within.as_ref().is_none_or(|set| {
                s.notes
                    .iter()
                    .any(|n| n.touchpoint_id.is_some_and(|t| set.contains(&t)))
            })
            && theme
                .as_ref()
                .is_none_or(|t| s.notes.iter().any(|n| n.themes.contains(t)));
        if keep {
            kept.push((d, s));
        }
    }
    let counts = if kept.iter().any(|(_, s)| s.root_cause.is_some()) {
        root_cause_counts(store, org)?
    } else {
        HashMap::new()
    };
    let mut found: Vec<Study> = kept
        .into_iter()
        .map(|(d, s)| study(&d, s, &counts))
        .collect();
    found.sort_by(|a, b| {
        b.definition
            .conducted_on
            .cmp(&a.definition.conducted_on)
            .then(b.id.cmp(&a.id))
    });
    Ok(found)
}

/// A customer's words from a study, shown beside the numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quote {
    pub study_id: i64,
    pub study: String,
    pub conducted_on: NaiveDate,
    pub text: String,
    pub participant: Option<String>,
    pub touchpoint_id: Option<i64>,
    pub themes: Vec<String>,
}

/// The quotes of every study at any of `touchpoints` (all quotes when `None`), newest first.
pub fn quotes(
    store: &dyn Store,
    org: OrgId,
    touchpoints: Option<&HashSet<i64>>,
) -> Result<Vec<Quote>, StoreError> {
    let mut out = Vec::new();
    for d in store.list_documents(org, DocumentKind::Study, None)? {
        let s: StudyDefinition = read(&d)?;
        for n in s.notes.iter().filter(|n| n.quote) {
            if touchpoints.is_some_and(|set| n.touchpoint_id.is_none_or(|t| !set.contains(&t))) {
                continue;
            }
            out.push(Quote {
                study_id: d.id,
                study: s.title.clone(),
                conducted_on: s.conducted_on,
                text: n.text.clone(),
                participant: n
                    .participant
                    .and_then(|p| s.participants.get(p))
                    .map(|p| p.name.clone()),
                touchpoint_id: n.touchpoint_id,
                themes: n.themes.clone(),
            });
        }
    }
    out.sort_by_key(|q| std::cmp::Reverse(q.conducted_on));
    Ok(out)
}

/// The quotes at a touchpoint and everything below it.
pub fn quotes_at(store: &dyn Store, org: OrgId, touchpoint: i64) -> Result<Vec<Quote>, StoreError> {
    let all = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    if !all.iter().any(|t| t.id == touchpoint) {
        return Ok(Vec::new());
    }
    quotes(store, org, Some(&subtree(&all, touchpoint)))
}

// ---------------------------------------------------------------------------------------------
// Analytical templates

/// A stored template.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub id: i64,
    #[serde(flatten)]
    pub document: TemplateDocument,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn template(d: &Document) -> Result<Template, StoreError> {
    Ok(Template {
        id: d.id,
        document: read(d)?,
        created_at: d.created_at,
        updated_at: d.updated_at,
    })
}

/// How many entries a prefilled section gets at most.
const PREFILLED: usize = 5;

/// The filters of a template's segment over the 90 days up to the data's end.
fn segment_filters(
    index: &Index,
    doc: &TemplateDocument,
    now: DateTime<Utc>,
) -> Result<Filters, FieldError> {
    let customer = doc.segment.clone().unwrap_or_default();
    let mut filters: Filters = serde_json::from_value(serde_json::json!({ "customer": customer }))
        .map_err(|e| FieldError::new("segment", e.to_string()))?;
    let end = crate::diagnosis::PeriodParams::default().period(index, now)?;
    filters.from = Some(end.0.to_string());
    filters.to = Some(end.1.to_string());
    // Checked here so a wrong attribute is named as the template's.
    index
        .feedback_records(&filters, 0, 0)
        .map_err(|e| FieldError::new(e.field.replace("filters.customer", "segment"), e.message))?;
    Ok(filters)
}

/// Fills the empty sections a template's data can speak to, in `language`: what the segment's
/// customers say (their latest readable comments and the studies' quotes), what they feel (the
/// emotions of their comments), their pains and gains (the themes that cost and earn loyalty),
/// the journey's stages and the touchpoints that hurt most.
pub fn prefill(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    doc: &mut TemplateDocument,
    language: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let filters = segment_filters(index, doc, now)?;
    let taxonomy = store.taxonomy(org)?;
    let theme_name = |key: &str| {
        taxonomy
            .themes
            .iter()
            .find(|t| t.key == key)
            .and_then(|t| t.names.get(language).or_else(|| t.names.values().next()))
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    };
    let report = index.theme_report(&ThemeReportRequest {
        filters: filters.clone(),
        min_sample: None,
    })?;
    // A theme with the NPS of those who mention it against those who do not.
    let vs = match language {
        "uk" => "проти",
        "ru" => "против",
        _ => "vs",
    };
    let named = |t: &&dosvid_analytics::ThemeRow| {
        let nps =
            |e: &dosvid_metrics::Estimate| e.value.map_or("—".to_owned(), |v| format!("{v:+.0}"));
        format!(
            "{} (NPS {} {vs} {})",
            theme_name(&t.theme),
            nps(&t.nps),
            nps(&t.nps_without)
        )
    };
    let mut themes: Vec<_> = report.themes.iter().filter(|t| t.n >= 10).collect();
    themes.sort_by(|a, b| {
        let impact = |t: &&dosvid_analytics::ThemeRow| t.impact.map_or(0.0, |c| c.difference);
        impact(a).total_cmp(&impact(b))
    });
    let pains: Vec<String> = themes
        .iter()
        .filter(|t| {
            t.impact
                .is_some_and(|c| c.difference < 0.0 && c.significant)
        })
        .take(PREFILLED)
        .map(&named)
        .collect();
    let gains: Vec<String> = themes
        .iter()
        .rev()
        .filter(|t| {
            t.impact
                .is_some_and(|c| c.difference > 0.0 && c.significant)
        })
        .take(PREFILLED)
        .map(&named)
        .collect();
    let mut says = Vec::new();
    for label in [dosvid_text::Label::Negative, dosvid_text::Label::Positive] {
        let mut f = filters.clone();
        f.sentiment = dosvid_analytics::OneOrMany::One(label);
        let ids = index.feedback_records(&f, 0, 3)?.ids;
        for record in store.feedback_by_ids(org, &ids)? {
            if let Some(c) = record.comment {
                says.push(format!("«{c}»"));
            }
        }
    }
    for q in quotes(store, org, None)?.into_iter().take(PREFILLED) {
        says.push(format!(
            "«{}» — {}",
            q.text,
            q.participant.unwrap_or(q.study)
        ));
    }
    let mut feels = Vec::new();
    let comments = report.comments.max(1) as f64;
    for emotion in dosvid_text::EMOTIONS {
        let mut f = filters.clone();
        f.emotion = dosvid_analytics::OneOrMany::One(emotion.to_owned());
        let n = index.feedback_records(&f, 0, 0)?.total;
        if n > 0 {
            feels.push((n, emotion));
        }
    }
    feels.sort_by_key(|f| std::cmp::Reverse(f.0));
    let feels: Vec<String> = feels
        .iter()
        .take(PREFILLED)
        .map(|(n, e)| {
            let name = crate::words::word("emotion", e, language).unwrap_or(e);
            format!("{name}: {:.0}%", 100.0 * *n as f64 / comments)
        })
        .collect();
    let (stages, hurting) = journey(store, index, org, &filters, language)?;
    let fill: BTreeMap<&str, Vec<String>> = match doc.kind {
        TemplateKind::EmpathyMap => BTreeMap::from([
            ("says", says),
            ("feels", feels),
            ("pains", pains),
            ("gains", gains),
        ]),
        TemplateKind::ValueProposition => BTreeMap::from([("pains", pains), ("gains", gains)]),
        TemplateKind::JourneyCanvas => BTreeMap::from([
            ("stages", stages),
            ("touchpoints", hurting),
            ("emotions", feels),
            ("pains", pains),
        ]),
        TemplateKind::PointOfView | TemplateKind::HowMightWe => BTreeMap::new(),
    };
    for (key, entries) in fill {
        let section = doc.sections.entry(key.to_owned()).or_default();
        if section.is_empty() {
            *section = entries;
        }
    }
    Ok(())
}

/// The journey's stages and the touchpoints with the lowest NPS for the segment, named in
/// `language`.
fn journey(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    filters: &Filters,
    language: &str,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let mut stages = Vec::new();
    for j in all_pages(|p| store.list_journeys(org, p))? {
        for s in j.stages {
            stages.push(s.names.or(language, &s.name).to_owned());
        }
    }
    let touchpoints = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let result = index.query(&dosvid_analytics::QueryRequest {
        measures: vec![dosvid_analytics::Measure::N, dosvid_analytics::Measure::Nps],
        filters: filters.clone(),
        group_by: vec!["touchpoint".into()],
        ..Default::default()
    })?;
    let mut scored: Vec<(f64, String)> = result
        .rows
        .iter()
        .filter_map(|r| {
            let nps = r
                .nps
                .as_ref()
                .filter(|m| !m.current.low_sample)?
                .current
                .value?;
            let key = r.group.get("touchpoint").cloned().flatten()?;
            let t = touchpoints.iter().find(|t| t.key == key)?;
            Some((
                nps,
                format!("{} (NPS {nps:+.0})", t.names.or(language, &t.name)),
            ))
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok((
        stages,
        scored.into_iter().take(PREFILLED).map(|s| s.1).collect(),
    ))
}

pub fn save_template(
    store: &dyn Store,
    index: &Index,
    org: OrgId,
    id: Option<i64>,
    document: TemplateDocument,
    prefill_in: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Template, StoreError> {
    let mut document = document.validate()?;
    match prefill_in {
        Some(language) => prefill(store, index, org, &mut document, language, now)?,
        None => {
            segment_filters(index, &document, now)?;
        }
    }
    let json = body(&document)?;
    let d = match id {
        Some(id) => store.update_document(org, DocumentKind::Template, id, &json, now)?,
        None => store.create_document(org, DocumentKind::Template, None, &json, now)?,
    };
    template(&d)
}
