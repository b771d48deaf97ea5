//! Journey funnels (SPEC §3.7): of the customers who reached the first step in the period, how
//! many went on to each next step, in order, within `within_days` of the first — from their
//! interactions and feedback records, overall and per group (the first step's channel, or a
//! customer attribute). Each step's conversion has its Wilson interval; the step and group
//! whose conversion falls furthest below the other groups' at that step, significantly after
//! Benjamini–Hochberg over every (step, group), is flagged. Without steps, the funnel is the
//! journey's stages in order (those where anything happens).
//!
//! A customer's attempt starts at their first first-step event in the period and moves on at
//! the earliest matching event of the next step; events are read once in time order, so ten
//! million interactions take one pass.

use std::collections::BTreeMap;

use dosvid_domain::FieldError;
use dosvid_metrics::regression::benjamini_hochberg;
use dosvid_metrics::{Estimate, percent, proportion_change};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::index::{Columns, Index, NO_CUSTOMER};
use crate::query::{Filters, Measure, Named, Period, QueryRequest};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunnelStep {
    /// A touchpoint (with everything below it), by key or id…
    #[schema(value_type = Option<Named>)]
    pub touchpoint: Option<Named>,
    /// …or a journey stage, by name or id.
    #[schema(value_type = Option<Named>)]
    pub stage: Option<Named>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunnelRequest {
    /// Two to twelve steps; default: the first journey's stages in order (those with events).
    #[serde(default)]
    pub steps: Vec<FunnelStep>,
    /// Days from the first step in which the others count (default 30).
    pub within_days: Option<u32>,
    /// `channel` (the first step's) or a customer attribute (`segment`, `region`, `attr.NAME`).
    pub group_by: Option<String>,
    /// `from`, `to` (of the first step) and `customer` attributes.
    #[serde(default)]
    pub filters: Filters,
    pub min_sample: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelResult {
    pub period: Period,
    pub within_days: u32,
    /// Each step's name (the touchpoint's key or the stage's name).
    pub steps: Vec<String>,
    pub overall: FunnelGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_by: Option<String>,
    pub groups: Vec<FunnelGroup>,
    /// The step (and group) whose conversion falls furthest below the rest, if significantly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_drop: Option<FunnelDrop>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelGroup {
    /// The group's value (absent for the whole funnel; `null` for records without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub steps: Vec<FunnelStepResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelStepResult {
    pub step: String,
    /// Customers who reached it.
    pub customers: u64,
    /// % of those who reached the step before (the first: 100).
    pub conversion: Estimate,
    /// % of those who started.
    pub from_start: Estimate,
    /// % of those who reached the step before and did not reach this one.
    pub drop_off: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelDrop {
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub conversion: f64,
    /// The other groups' conversion at the step (or, overall, the other steps').
    pub others: f64,
    /// In percentage points.
    pub difference: f64,
    pub p_value: f64,
}

/// A customer's way through the funnel.
#[derive(Clone, Copy)]
struct Attempt {
    /// Seconds after the earliest event.
    started: u32,
    group: u16,
    /// Steps reached (0: not started).
    reached: u8,
}

impl Attempt {
    const NONE: Attempt = Attempt {
        started: 0,
        group: 0,
        reached: 0,
    };
}

impl Index {
    pub fn funnel(&self, request: &FunnelRequest) -> Result<FunnelResult, FieldError> {
        let within = request.within_days.unwrap_or(30);
        if !(1..=3650).contains(&within) {
            return Err(FieldError::new("within_days", "must be 1 to 3650"));
        }
        let min_sample = request.min_sample.unwrap_or(30);
        let f = &request.filters;
        let placed = [
            ("filters.stage", !f.stage.clone().into_vec().is_empty()),
            (
                "filters.touchpoint",
                !f.touchpoint.clone().into_vec().is_empty(),
            ),
            ("filters.channel", !f.channel.clone().into_vec().is_empty()),
        ];
        let refused = placed
            .into_iter()
            .find(|(_, set)| *set)
            .map(|(field, _)| field);
        if let Some(field) = refused.or_else(|| f.feedback_only()) {
            return Err(FieldError::new(
                field,
                "a funnel is filtered by from, to and customer attributes; its steps say where",
            ));
        }
        let plan = self.plan(&QueryRequest {
            measures: vec![Measure::N],
            filters: Filters {
                from: f.from.clone(),
                to: f.to.clone(),
                customer: f.customer.clone(),
                ..Default::default()
            },
            ..Default::default()
        })?;
        let admitted = self.customer_filter(&f.customer, "filters.customer")?;
        let (names, accept) = self.funnel_steps(&request.steps)?;
        let (group_labels, group_of) = self.funnel_groups(request.group_by.as_deref())?;
        let window = i64::from(within) * 86_400;
        let (from, to) = (plan.current.from, plan.current.to);
        let steps = names.len();
        // Attempts are kept small (8 bytes): their start as seconds after the earliest event.
        let base = [&self.interactions, &self.rows]
            .iter()
            .filter_map(|c| c.span())
            .map(|(first, _)| first)
            .min()
            .unwrap_or(0);
        // Each range of customers is followed through all the events by its own thread.
        let parts = self.by_customer_range(|slots| {
            let (first, last) = (slots.start, slots.end);
            let mut attempts = vec![Attempt::NONE; last - first];
            let sources: [(&Columns, bool); 2] = [(&self.interactions, true), (&self.rows, false)];
            // Both kinds of events, merged in time order.
            let mut next = [0usize; 2];
            let lengths = [sources[0].0.len(), sources[1].0.len()];
            loop {
                let k = match (next[0] < lengths[0], next[1] < lengths[1]) {
                    (true, true) => {
                        usize::from(sources[1].0.second[next[1]] < sources[0].0.second[next[0]])
                    }
                    (true, false) => 0,
                    (false, true) => 1,
                    (false, false) => break,
                };
                let (columns, interaction) = sources[k];
                let r = next[k];
                next[k] += 1;
                let customer = columns.customer[r];
                let slot = customer as usize;
                if customer == NO_CUSTOMER || slot < first || slot >= last || !admitted(customer) {
                    continue;
                }
                let (second, touchpoint) = (columns.second[r], usize::from(columns.touchpoint[r]));
                let attempt = &mut attempts[slot - first];
                if attempt.reached == 0 {
                    if accept[0][touchpoint] && from <= second && second < to {
                        *attempt = Attempt {
                            reached: 1,
                            started: u32::try_from(second - base).unwrap_or(u32::MAX),
                            group: group_of(columns, r, interaction, customer),
                        };
                    }
                } else {
                    let step = usize::from(attempt.reached);
                    if step < steps
                        && accept[step][touchpoint]
                        && second - base <= i64::from(attempt.started) + window
                    {
                        attempt.reached += 1;
                    }
                }
            }
            attempts
        });
        let mut overall = vec![0u64; steps];
        let mut by_group: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
        for attempt in parts.iter().flatten().filter(|a| a.reached > 0) {
            let counts = by_group
                .entry(attempt.group)
                .or_insert_with(|| vec![0; steps]);
            for s in 0..usize::from(attempt.reached) {
                overall[s] += 1;
                counts[s] += 1;
            }
        }
        let shape = |group: Option<String>, counts: &[u64]| FunnelGroup {
            group,
            steps: (0..steps)
                .map(|s| {
                    let before = if s == 0 { counts[0] } else { counts[s - 1] };
                    FunnelStepResult {
                        step: names[s].clone(),
                        customers: counts[s],
                        conversion: percent(counts[s], before, min_sample),
                        from_start: percent(counts[s], counts[0], min_sample),
                        drop_off: if before == 0 {
                            0.0
                        } else {
                            100.0 * (before - counts[s]) as f64 / before as f64
                        },
                    }
                })
                .collect(),
        };
        // The largest significant drop: per group against the other groups at each step, or
        // (without groups) each step against the others.
        let mut candidates: Vec<FunnelDrop> = Vec::new();
        if request.group_by.is_some() {
            for (&g, counts) in &by_group {
                for s in 1..steps {
                    let (others_in, others_out) =
                        (overall[s - 1] - counts[s - 1], overall[s] - counts[s]);
                    if counts[s - 1] < min_sample || others_in < min_sample {
                        continue;
                    }
                    if let Some(change) =
                        proportion_change((others_out, others_in), (counts[s], counts[s - 1]))
                    {
                        candidates.push(FunnelDrop {
                            step: names[s].clone(),
                            group: group_labels[g as usize].clone(),
                            conversion: 100.0 * counts[s] as f64 / counts[s - 1] as f64,
                            others: 100.0 * others_out as f64 / others_in as f64,
                            difference: change.difference,
                            p_value: change.p_value,
                        });
                    }
                }
            }
        } else {
            for s in 1..steps {
                let (this_in, this_out) = (overall[s - 1], overall[s]);
                let others_in: u64 = (1..steps).filter(|&o| o != s).map(|o| overall[o - 1]).sum();
                let others_out: u64 = (1..steps).filter(|&o| o != s).map(|o| overall[o]).sum();
                if this_in < min_sample || others_in < min_sample {
                    continue;
                }
                if let Some(change) =
                    proportion_change((others_out, others_in), (this_out, this_in))
                {
                    candidates.push(FunnelDrop {
                        step: names[s].clone(),
                        group: None,
                        conversion: 100.0 * this_out as f64 / this_in as f64,
                        others: 100.0 * others_out as f64 / others_in as f64,
                        difference: change.difference,
                        p_value: change.p_value,
                    });
                }
            }
        }
        let found = benjamini_hochberg(
            &candidates.iter().map(|c| c.p_value).collect::<Vec<_>>(),
            0.05,
        );
        let largest_drop = candidates
            .into_iter()
            .zip(found)
            .filter(|(c, significant)| *significant && c.difference < 0.0)
            .map(|(c, _)| c)
            .min_by(|a, b| a.difference.total_cmp(&b.difference));
        Ok(FunnelResult {
            period: plan.period.clone(),
            within_days: within,
            steps: names.clone(),
            overall: shape(None, &overall),
            group_by: request.group_by.clone(),
            groups: if request.group_by.is_some() {
                by_group
                    .iter()
                    .map(|(&g, counts)| shape(group_labels[g as usize].clone(), counts))
                    .collect()
            } else {
                Vec::new()
            },
            largest_drop,
        })
    }

    /// Each step's name and which touchpoint codes it accepts.
    fn funnel_steps(
        &self,
        steps: &[FunnelStep],
    ) -> Result<(Vec<String>, Vec<Vec<bool>>), FieldError> {
        let dir = &self.directory;
        let accept_touchpoints = |ids: &[i64]| -> Vec<bool> {
            self.touchpoints
                .mask(|id| id.is_some_and(|id| ids.contains(id)))
        };
        if steps.is_empty() {
            let journey = dir
                .journeys
                .first()
                .ok_or_else(|| FieldError::new("steps", "there is no journey; name the steps"))?;
            // Stages nothing happens at (no event at any of their touchpoints) would stop every
            // customer at the door: the default funnel runs through the stages that have events.
            let mut used = vec![false; self.touchpoints.cardinality()];
            for columns in [&self.interactions, &self.rows] {
                for &code in &columns.touchpoint {
                    used[usize::from(code)] = true;
                }
            }
            let mut names = Vec::new();
            let mut accept = Vec::new();
            for stage in &journey.stages {
                let ids: Vec<i64> = dir
                    .touchpoints
                    .iter()
                    .filter(|t| t.stage_id == stage.id)
                    .map(|t| t.id)
                    .collect();
                let stage_accepts = accept_touchpoints(&ids);
                if stage_accepts.iter().zip(&used).any(|(a, u)| *a && *u) {
                    names.push(stage.name.clone());
                    accept.push(stage_accepts);
                }
            }
            if names.len() < 2 {
                return Err(FieldError::new(
                    "steps",
                    "the journey has fewer than two stages; name the steps",
                ));
            }
            return Ok((names, accept));
        }
        if !(2..=12).contains(&steps.len()) {
            return Err(FieldError::new("steps", "a funnel has 2 to 12 steps"));
        }
        let mut names = Vec::new();
        let mut accept = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let field = format!("steps[{i}]");
            let (name, ids) = match (&step.touchpoint, &step.stage) {
                (Some(touchpoint), None) => {
                    let found = dir.touchpoints.iter().find(|t| match touchpoint {
                        Named::Id(id) => t.id == *id,
                        Named::Key(key) => t.key == *key,
                    });
                    let t = found.ok_or_else(|| {
                        FieldError::new(format!("{field}.touchpoint"), "no such touchpoint")
                    })?;
                    (t.key.clone(), dir.subtree(t.id))
                }
                (None, Some(stage)) => {
                    let found = dir
                        .journeys
                        .iter()
                        .flat_map(|j| &j.stages)
                        .find(|s| match stage {
                            Named::Id(id) => s.id == *id,
                            Named::Key(name) => s.name.eq_ignore_ascii_case(name),
                        });
                    let s = found.ok_or_else(|| {
                        FieldError::new(format!("{field}.stage"), "no such stage")
                    })?;
                    let ids = dir
                        .touchpoints
                        .iter()
                        .filter(|t| t.stage_id == s.id)
                        .map(|t| t.id)
                        .collect();
                    (s.name.clone(), ids)
                }
                _ => {
                    return Err(FieldError::new(
                        field,
                        "names a touchpoint or a stage (one of them)",
                    ));
                }
            };
            names.push(name);
            accept.push(accept_touchpoints(&ids));
        }
        Ok((names, accept))
    }

    /// The groups' labels and how an event's customer (or the event) gets its group code.
    #[allow(clippy::type_complexity)]
    fn funnel_groups(
        &self,
        group_by: Option<&str>,
    ) -> Result<
        (
            Vec<Option<String>>,
            Box<dyn Fn(&Columns, usize, bool, u32) -> u16 + Sync + '_>,
        ),
        FieldError,
    > {
        match group_by {
            None => Ok((vec![None], Box::new(|_, _, _, _| 0))),
            Some("channel") => {
                let labels = (0..self.channels.cardinality())
                    .map(|c| {
                        self.channels
                            .key(c as u16)
                            .and_then(|id| self.directory.channel(*id))
                            .map(|ch| ch.key.clone())
                    })
                    .collect();
                Ok((labels, Box::new(|columns, r, _, _| columns.channel[r])))
            }
            Some(name) => {
                let column = self.customer_column("group_by", name)?;
                let column = &self.customers.columns[&column];
                let labels = (0..column.dict.cardinality())
                    .map(|c| column.dict.key(c as u16).cloned())
                    .collect();
                Ok((
                    labels,
                    Box::new(move |_, _, _, customer| column.values[customer as usize]),
                ))
            }
        }
    }
}
