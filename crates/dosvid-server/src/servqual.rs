//! SERVQUAL: gap 5 of the service-quality model — perceived service against expected, from a
//! survey's paired items — per item, per dimension and overall; read by the API
//! (`/surveys/{id}/servqual`) and the survey's page alike.

use dosvid_domain::OrgId;
use dosvid_domain::survey::{Answer, ServqualDimension};
use dosvid_store::{Filter, Store, StoreError, all_pages};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServqualItem {
    pub question: String,
    pub dimension: ServqualDimension,
    /// Responses that answered the item.
    pub n: u64,
    pub expectation: f64,
    pub perception: f64,
    /// Mean perception − mean expectation.
    pub gap: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServqualDimensionGap {
    pub dimension: ServqualDimension,
    /// The mean of its items' gaps.
    pub gap: f64,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServqualReport {
    /// Finished responses in the period.
    pub responses: u64,
    pub items: Vec<ServqualItem>,
    pub dimensions: Vec<ServqualDimensionGap>,
    /// The dimension gaps weighted by the survey's `servqual_weights` (equal by default).
    pub overall: Option<f64>,
}

fn metrics_dimension(d: ServqualDimension) -> dosvid_metrics::Dimension {
    use dosvid_metrics::Dimension as M;
    match d {
        ServqualDimension::Tangibles => M::Tangibles,
        ServqualDimension::Reliability => M::Reliability,
        ServqualDimension::Responsiveness => M::Responsiveness,
        ServqualDimension::Assurance => M::Assurance,
        ServqualDimension::Empathy => M::Empathy,
    }
}

/// The report of survey `id`'s finished responses that `filter` admits. Items are named by
/// question id and take their dimension from the version each response answered.
pub fn report(
    store: &dyn Store,
    org: OrgId,
    id: i64,
    filter: &Filter,
) -> Result<ServqualReport, StoreError> {
    let survey = store.get_survey(org, id)?;
    let responses = all_pages(|p| store.list_responses(org, id, filter, true, p))?;
    let mut versions = std::collections::HashMap::new();
    versions.insert(survey.version, survey.definition.clone());
    let mut pairs = Vec::new();
    for r in &responses {
        if let std::collections::hash_map::Entry::Vacant(v) = versions.entry(r.version) {
            v.insert(store.survey_version(org, id, r.version)?);
        }
        let definition = &versions[&r.version];
        for (question, answer) in &r.answers {
            if let (
                Some(dimension),
                Answer::Pair {
                    expectation,
                    perception,
                },
            ) = (
                definition.question(question).and_then(|q| q.dimension),
                answer,
            ) {
                pairs.push((question.clone(), dimension, *expectation, *perception));
            }
        }
    }
    let weights = survey.definition.servqual_weights;
    let weight = |d: ServqualDimension| weights.get(&d).copied().unwrap_or(1.0);
    let answers: Vec<dosvid_metrics::ServqualAnswer> = pairs
        .iter()
        .map(|(item, d, e, p)| dosvid_metrics::ServqualAnswer {
            item,
            dimension: metrics_dimension(*d),
            expectation: *e as f64,
            perception: *p as f64,
        })
        .collect();
    let dimension_of = |m: dosvid_metrics::Dimension| {
        pairs
            .iter()
            .map(|p| p.1)
            .find(|d| metrics_dimension(*d) == m)
            .expect("a dimension with answers has a pair")
    };
    let gaps = dosvid_metrics::servqual(&answers, |m| weight(dimension_of(m)));
    let items = gaps
        .items
        .iter()
        .map(|(item, m, gap)| {
            let of_item: Vec<_> = pairs.iter().filter(|p| &p.0 == item).collect();
            let n = of_item.len() as f64;
            ServqualItem {
                question: item.clone(),
                dimension: dimension_of(*m),
                n: of_item.len() as u64,
                expectation: of_item.iter().map(|p| p.2 as f64).sum::<f64>() / n,
                perception: of_item.iter().map(|p| p.3 as f64).sum::<f64>() / n,
                gap: *gap,
            }
        })
        .collect();
    let dimensions = gaps
        .dimensions
        .iter()
        .map(|(m, gap)| ServqualDimensionGap {
            dimension: dimension_of(*m),
            gap: *gap,
            weight: weight(dimension_of(*m)),
        })
        .collect();
    Ok(ServqualReport {
        responses: responses.len() as u64,
        items,
        dimensions,
        overall: gaps.overall,
    })
}
