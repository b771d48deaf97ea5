//! The journey map's data: every stage and touchpoint of a journey with its measures, each
//! touchpoint counting the records of everything below it, against the previous period.

use std::collections::HashMap;

use dosvid_domain::FieldError;
use dosvid_domain::Names;
use serde::Serialize;
use utoipa::ToSchema;

use crate::index::Index;
use crate::query::{Filters, Measure, Named, Period, QueryRequest, ResultRow};
use crate::scan::Histograms;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JourneyMap {
    pub journey_id: i64,
    pub journey: String,
    pub journey_names: Names,
    pub period: Period,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_to: Option<Period>,
    pub min_sample: u64,
    /// Stages in order, each with its touchpoints in tree order.
    pub stages: Vec<StageMeasures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StageMeasures {
    pub id: i64,
    pub name: String,
    pub names: Names,
    pub position: i64,
    /// All records at the stage's touchpoints.
    pub measures: ResultRow,
    pub touchpoints: Vec<TouchpointMeasures>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TouchpointMeasures {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub names: Names,
    pub parent_id: Option<i64>,
    /// 0 at the top of the tree.
    pub depth: usize,
    pub moment_of_truth: bool,
    pub owner_department: Option<String>,
    /// The records of this touchpoint and everything below it.
    pub measures: ResultRow,
}

impl Index {
    /// The journey map of one journey (by id or key; the first journey when `None`). Filters
    /// narrow the records as in a query; with both `from` and `to`, every value is compared
    /// with the previous period.
    pub fn journey_map(
        &self,
        journey: Option<&Named>,
        filters: Filters,
        min_sample: Option<u64>,
    ) -> Result<JourneyMap, FieldError> {
        let dir = &self.directory;
        let journey = match journey {
            None => dir.journeys.first(),
            Some(Named::Id(id)) => dir.journeys.iter().find(|j| j.id == *id),
            Some(Named::Key(key)) => dir.journeys.iter().find(|j| j.key == *key),
        }
        .ok_or_else(|| FieldError::new("journey", "no such journey"))?;
        let compare = filters.previous_period();
        let request = QueryRequest {
            records: Default::default(),
            measures: vec![Measure::N, Measure::Nps, Measure::Csat, Measure::Ces],
            filters,
            group_by: vec!["touchpoint".into()],
            bucket: None,
            compare_to: compare,
            min_sample,
        };
        let plan = self.plan(&request)?;
        let current = plan.current.run(self);
        let previous = plan.previous.as_ref().map(|scan| scan.run(self));
        // Histograms by touchpoint id, own records only.
        let own = |groups: &[Histograms]| -> HashMap<i64, Histograms> {
            groups
                .iter()
                .enumerate()
                .filter_map(|(code, h)| Some((*self.touchpoints.key(code as u16)?, *h)))
                .collect()
        };
        let (now, before) = (own(&current.groups), previous.map(|p| own(&p.groups)));
        let total = |ids: &[i64], of: &HashMap<i64, Histograms>| {
            let mut sum = Histograms::default();
            for id in ids {
                if let Some(h) = of.get(id) {
                    sum.merge(h);
                }
            }
            sum
        };
        let row = |ids: &[i64]| {
            let before = before.as_ref().map(|b| total(ids, b));
            plan.row(
                Default::default(),
                &total(ids, &now),
                None,
                before.as_ref().map(|b| (b, None)),
            )
        };
        let mut stages = Vec::new();
        for stage in &journey.stages {
            let mut touchpoints = Vec::new();
            let mut visit = vec![];
            let roots = dir
                .touchpoints
                .iter()
                .filter(|t| t.stage_id == stage.id && t.parent_id.is_none());
            visit.extend(roots.rev().map(|t| (t, 0)));
            while let Some((t, depth)) = visit.pop() {
                touchpoints.push(TouchpointMeasures {
                    id: t.id,
                    key: t.key.clone(),
                    name: t.name.clone(),
                    names: t.names.clone(),
                    parent_id: t.parent_id,
                    depth,
                    moment_of_truth: t.moment_of_truth,
                    owner_department: t.owner_department.clone(),
                    measures: row(&dir.subtree(t.id)),
                });
                let children = dir.touchpoints.iter().filter(|c| c.parent_id == Some(t.id));
                visit.extend(children.rev().map(|c| (c, depth + 1)));
            }
            let ids: Vec<i64> = dir
                .touchpoints
                .iter()
                .filter(|t| t.stage_id == stage.id)
                .map(|t| t.id)
                .collect();
            stages.push(StageMeasures {
                id: stage.id,
                name: stage.name.clone(),
                names: stage.names.clone(),
                position: stage.position,
                measures: row(&ids),
                touchpoints,
            });
        }
        Ok(JourneyMap {
            journey_id: journey.id,
            journey: journey.name.clone(),
            journey_names: journey.names.clone(),
            period: plan.period.clone(),
            compared_to: plan.compared_to.clone(),
            min_sample: plan.min_sample,
            stages,
        })
    }
}
