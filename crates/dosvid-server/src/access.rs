//! Who is asking and what they may see (SPEC §3.10: row-level access).
//!
//! Every request carries a [`Principal`]: the organisation and, for a person or key of an
//! organisation unit and for an agent, a [`Restriction`]. Analytics are asked of the index
//! restricted to it ([`AppState::ask`], [`AppState::with_index`]), so an answer is computed over
//! the permitted rows only; records read from the store pass through a [`Sight`] before they
//! leave. An endpoint or page that reads records no sight filters is refused to a restricted
//! principal ([`unit_may_use`]): access fails closed.
//!
//! Invariants (tested in `tests/it/access.rs`):
//! - an analytics answer to a restricted principal equals the whole organisation's answer to
//!   the same question with the unit's rule added;
//! - no list, record or page answers a restricted principal with a record outside its sight.

use std::sync::Arc;

use dosvid_analytics::{Filters, Index, Measure, QueryRequest, Restricted, Restriction};
use dosvid_domain::FieldError;
use dosvid_domain::OrgId;
use dosvid_domain::case::Case;
use dosvid_domain::unit::{self, Unit, UnitInput};
use dosvid_domain::user::{Role, User};
use dosvid_store::{CaseFilter, Store, all_pages};

use crate::analytics::{Analytics, read_index};
use crate::{ApiError, AppState};

/// The organisation a request acts in and the part of it the actor may see.
#[derive(Debug, Clone)]
pub struct Principal {
    pub org: OrgId,
    part: Option<Arc<Part>>,
    /// The person's e-mail: the cases they own are theirs to see whatever their customer.
    person: Option<String>,
}

#[derive(Debug)]
struct Part {
    /// Under which the restricted index is remembered: equal restrictions share one copy.
    memo_key: String,
    restriction: Restriction,
}

impl Principal {
    /// The whole organisation.
    pub fn whole(org: OrgId) -> Principal {
        Principal {
            org,
            part: None,
            person: None,
        }
    }

    /// Nothing at all: what a principal whose reach cannot be read sees.
    pub fn nothing(org: OrgId) -> Principal {
        Principal::of_agent(org, None, Vec::new())
    }

    pub fn is_whole(&self) -> bool {
        self.part.is_none()
    }

    /// A person or key of `unit_id`: the records any rule of the unit or of a unit below it
    /// admits. A rule that no longer reads as filters admits nothing.
    pub fn of_unit(org: OrgId, units: &[Unit], unit_id: i64) -> Principal {
        let ids = unit::subtree(units, unit_id);
        let raw: Vec<&dosvid_domain::Attributes> = units
            .iter()
            .filter(|u| ids.contains(&u.id))
            .flat_map(|u| &u.rules)
            .collect();
        let rules: Vec<Filters> = raw
            .iter()
            .filter_map(|rule| crate::strategy::filters("rules", rule).ok())
            .collect();
        let memo_key = format!(
            "restricted:unit:{}",
            serde_json::to_string(&raw).unwrap_or_default()
        );
        Principal {
            org,
            person: None,
            part: Some(Arc::new(Part {
                memo_key,
                restriction: Restriction {
                    rules,
                    ..Default::default()
                },
            })),
        }
    }

    /// An agent: their own scores and the customers of their cases.
    pub fn of_agent(org: OrgId, agent: Option<&str>, mut customers: Vec<i64>) -> Principal {
        customers.sort_unstable();
        customers.dedup();
        Principal {
            org,
            person: None,
            part: Some(Arc::new(Part {
                memo_key: format!("restricted:agent:{agent:?}:{customers:?}"),
                restriction: Restriction {
                    rules: Vec::new(),
                    agent: agent.map(str::to_owned),
                    customers,
                },
            })),
        }
    }

    /// The restricted copy of `index` (remembered until the index changes), or `None` for the
    /// whole organisation.
    pub fn part_of(&self, index: &Index) -> Option<Arc<Restricted>> {
        self.part
            .as_ref()
            .map(|part| index.remember(&part.memo_key, |index| index.restricted(&part.restriction)))
    }
}

impl Principal {
    /// What this principal may see of the records the store holds now.
    pub fn sight(&self, store: &dyn Store, analytics: &Analytics) -> dosvid_store::Result<Sight> {
        let part = match &self.part {
            None => None,
            Some(_) => {
                let index = analytics.index(store, self.org)?;
                self.part_of(&read_index(&index))
            }
        };
        Ok(Sight {
            part,
            person: self.person.clone(),
        })
    }
}

/// The principal of a key or person in `unit` (None: the whole organisation).
pub fn of_unit_id(
    store: &dyn Store,
    org: OrgId,
    unit: Option<i64>,
) -> dosvid_store::Result<Principal> {
    Ok(match unit {
        None => Principal::whole(org),
        Some(id) => Principal::of_unit(org, &store.list_units(org)?, id),
    })
}

/// The principal of a signed-in person: an agent sees their own scores and the customers of
/// the cases they own; anyone else their unit's records, or the whole organisation.
pub fn of_user(store: &dyn Store, user: &User) -> dosvid_store::Result<Principal> {
    let person = Some(user.email.clone());
    if user.role != Role::Agent {
        let principal = of_unit_id(store, user.org_id, user.unit_id)?;
        return Ok(Principal {
            person,
            ..principal
        });
    }
    let cases = all_pages(|p| {
        store.list_cases(
            user.org_id,
            &CaseFilter {
                owner: Some(user.email.clone()),
                ..Default::default()
            },
            p,
        )
    })?;
    let principal = Principal::of_agent(
        user.org_id,
        user.agent.as_deref(),
        cases.iter().filter_map(|c| c.customer_id).collect(),
    );
    Ok(Principal {
        person,
        ..principal
    })
}

/// What a principal may see of the records read from the store.
#[derive(Clone)]
pub struct Sight {
    part: Option<Arc<Restricted>>,
    person: Option<String>,
}

impl Sight {
    pub fn is_whole(&self) -> bool {
        self.part.is_none()
    }

    pub fn customer(&self, id: i64) -> bool {
        self.part.as_ref().is_none_or(|r| r.sees_customer(id))
    }

    /// A record of a customer, or of none (which only the whole organisation sees).
    pub fn customer_of(&self, id: Option<i64>) -> bool {
        match id {
            Some(id) => self.customer(id),
            None => self.is_whole(),
        }
    }

    pub fn feedback(&self, id: i64) -> bool {
        self.part.as_ref().is_none_or(|r| r.sees_feedback(id))
    }

    pub fn interaction(&self, id: i64) -> bool {
        self.part.as_ref().is_none_or(|r| r.sees_interaction(id))
    }

    /// A case: that of a customer in sight, or one the person owns.
    pub fn case(&self, case: &Case) -> bool {
        self.customer_of(case.customer_id) || (self.person.is_some() && case.owner == self.person)
    }
}

impl AppState {
    /// The principal of an API key: its unit's, or (without a store read, as for most keys)
    /// the whole organisation.
    pub async fn principal_of_key(
        &self,
        org: OrgId,
        unit: Option<i64>,
    ) -> Result<Principal, ApiError> {
        match unit {
            None => Ok(Principal::whole(org)),
            Some(_) => self.run(move |store| of_unit_id(store, org, unit)).await,
        }
    }

    /// The principal of a signed-in person (see [`of_user`]); a person of the whole
    /// organisation who is no agent needs no store read. Access fails closed: a person whose
    /// reach cannot be read sees nothing.
    pub async fn principal_of_user(&self, user: &User) -> Principal {
        if user.role != Role::Agent && user.unit_id.is_none() {
            return Principal {
                person: Some(user.email.clone()),
                ..Principal::whole(user.org_id)
            };
        }
        let (org, user) = (user.org_id, user.clone());
        self.run(move |store| of_user(store, &user))
            .await
            .unwrap_or_else(|_| Principal::nothing(org))
    }

    /// What `who` may see of the records the store holds now.
    pub async fn sight(&self, who: &Principal) -> Result<Sight, ApiError> {
        if who.is_whole() {
            return Ok(Sight {
                part: None,
                person: who.person.clone(),
            });
        }
        let analytics = self.analytics.clone();
        let who = who.clone();
        self.run(move |store| who.sight(store, &analytics)).await
    }

    /// 404 unless `who` sees customer `id` ([`crate::application::Operation::check_customer`]).
    pub async fn check_customer(&self, who: &Principal, id: i64) -> Result<(), ApiError> {
        if who.is_whole() {
            return Ok(());
        }
        self.operate(who, move |op| Ok(op.check_customer(id)?))
            .await
    }

    /// 404 unless `who` sees case `id` ([`crate::application::Operation::check_case`]).
    pub async fn check_case(&self, who: &Principal, id: i64) -> Result<(), ApiError> {
        if who.is_whole() {
            return Ok(());
        }
        self.operate(who, move |op| Ok(op.check_case(id)?)).await
    }
}

/// Checks a unit's name and rules: each rule must read as filters of `/query` whose names
/// (touchpoints, stages, channels, themes…) the organisation knows, so that a rule does not
/// silently admit nothing. The error names the rule and its field (`rules[0].touchpoint`).
pub async fn check_unit(
    state: &AppState,
    org: OrgId,
    input: UnitInput,
) -> Result<UnitInput, ApiError> {
    let input = input.validate()?;
    let mut rules = Vec::new();
    for (i, rule) in input.rules.iter().enumerate() {
        let field = format!("rules[{i}]");
        rules.push((field.clone(), crate::strategy::filters(&field, rule)?));
    }
    state
        .ask(&Principal::whole(org), move |index| {
            for (field, filters) in rules {
                let question = QueryRequest {
                    measures: vec![Measure::N],
                    filters,
                    ..Default::default()
                };
                index.query(&question).map_err(|e| {
                    let inner = e.field.strip_prefix("filters.").unwrap_or(&e.field);
                    FieldError::new(format!("{field}.{inner}"), e.message)
                })?;
            }
            Ok(())
        })
        .await?;
    Ok(input)
}

/// The API endpoints (route templates) a restricted principal may use: those whose answers are
/// computed on the restricted index or filtered by a [`Sight`], those that write, and those that
/// show configuration but no customer's records. Every endpoint is in this list or in
/// [`REFUSED_TO_UNITS`] (a test holds it so); one in neither is refused.
pub const OPEN_TO_UNITS: [&str; 56] = [
    "/api/v1/alert-rules",
    "/api/v1/alert-rules/{id}",
    "/api/v1/cases",
    "/api/v1/cases/metrics",
    "/api/v1/cases/{id}",
    "/api/v1/cases/{id}/events",
    "/api/v1/channels",
    "/api/v1/channels/{id}",
    "/api/v1/complaints",
    "/api/v1/customers",
    "/api/v1/customers/{id}",
    "/api/v1/customers/{id}/consents",
    "/api/v1/customers/{id}/erase",
    "/api/v1/customers/{id}/export",
    "/api/v1/cx-index",
    "/api/v1/drivers",
    "/api/v1/feedback",
    "/api/v1/feedback:batch",
    "/api/v1/funnel",
    "/api/v1/goals",
    "/api/v1/goals/{id}",
    "/api/v1/impact",
    "/api/v1/initiatives",
    "/api/v1/initiatives/{id}",
    "/api/v1/initiatives/{id}/impact",
    "/api/v1/interactions",
    "/api/v1/interactions:batch",
    "/api/v1/journey-map",
    "/api/v1/journeys",
    "/api/v1/journeys/{id}",
    "/api/v1/journeys/{id}/stages",
    "/api/v1/moments-of-truth",
    "/api/v1/organisation",
    "/api/v1/overview",
    "/api/v1/priorities",
    "/api/v1/query",
    "/api/v1/retention",
    "/api/v1/stages/{id}",
    "/api/v1/strategy-cycles",
    "/api/v1/strategy-cycles/{id}",
    "/api/v1/strategy-cycles/{id}/stages/{stage}",
    "/api/v1/surveys",
    "/api/v1/surveys/secret:rotate",
    "/api/v1/surveys/{id}",
    "/api/v1/surveys/{id}/definition",
    "/api/v1/text/analyze",
    "/api/v1/themes",
    "/api/v1/themes/emerging",
    "/api/v1/themes/report",
    "/api/v1/touchpoints",
    "/api/v1/touchpoints/{id}",
    "/api/v1/transactions",
    "/api/v1/transactions:batch",
    "/api/v1/trend",
    "/api/v1/value-chain",
    "/api/v1/vocabulary",
];

/// The endpoints that read or act on records of the whole organisation — merges and duplicates
/// across customers, survey responses and invitations, alerts and rule replays, webhook
/// webhooks (their payloads are the organisation's events), the company's diagnosis (its
/// readiness, maturity and gaps are the whole company's), the sentiment model (fitted to all its answers), the audit log, the units themselves — refused to a restricted principal.
pub const REFUSED_TO_UNITS: [&str; 38] = [
    "/api/v1/assessment-questionnaire",
    "/api/v1/assessments",
    "/api/v1/assessments/{id}",
    "/api/v1/assessments/{id}/answers",
    "/api/v1/assessments/{id}/invitations",
    "/api/v1/gaps",
    "/api/v1/maturity",
    "/api/v1/maturity/thresholds",
    "/api/v1/promises",
    "/api/v1/promises/{id}",
    "/api/v1/standards",
    "/api/v1/standards/{id}",
    "/api/v1/studies",
    "/api/v1/studies/{id}",
    "/api/v1/templates",
    "/api/v1/templates/{id}",
    "/api/v1/templates/{id}/markdown",
    "/api/v1/alert-rules/{id}/backtest",
    "/api/v1/alert-rules/{id}/evaluate",
    "/api/v1/alerts",
    "/api/v1/audit",
    "/api/v1/customers/duplicates",
    "/api/v1/customers/{id}/merge",
    "/api/v1/merges",
    "/api/v1/merges/{id}/undo",
    "/api/v1/surveys/{id}/invitations",
    "/api/v1/surveys/{id}/responses",
    "/api/v1/surveys/{id}/servqual",
    "/api/v1/text/model",
    "/api/v1/text/model:fit",
    "/api/v1/units",
    "/api/v1/units/{id}",
    "/api/v1/webhook-deliveries/{id}",
    "/api/v1/webhook-deliveries/{id}/retry",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{id}",
    "/api/v1/webhooks/{id}/deliveries",
    "/api/v1/webhooks/{id}/secret",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A new endpoint must be classified: open to units (and then filtered) or refused to them.
    #[test]
    fn every_endpoint_is_open_to_units_or_refused_to_them() {
        let doc = crate::api::openapi();
        let paths = doc["paths"].as_object().unwrap();
        for path in paths.keys() {
            let open = OPEN_TO_UNITS.contains(&path.as_str());
            let refused = REFUSED_TO_UNITS.contains(&path.as_str());
            assert!(open != refused, "{path}: open {open}, refused {refused}");
        }
        for path in OPEN_TO_UNITS.iter().chain(&REFUSED_TO_UNITS) {
            assert!(paths.contains_key(*path), "{path} is no endpoint");
        }
    }
}
