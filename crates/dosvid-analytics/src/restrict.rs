//! Row-level access (SPEC §3.10): the part of an index one principal may see, as an index of its
//! own. Every question — `/query`, the journey map, drivers, retention, the CX index — is then
//! asked of the restricted copy, so that an answer is computed over the permitted rows only and
//! equals the administrator's answer to the same question with the scope's filter.
//!
//! What a restriction admits:
//! - a feedback record or interaction that any rule admits (a rule is the filters of `/query`;
//!   a rule naming what interactions lack — source, comment, agent… — admits no interaction);
//! - with `agent`, the feedback records naming that agent (an agent's own scores);
//! - every record of the customers listed (the customers of an agent's cases);
//! - a customer with a record admitted, listed, or whose attributes a rule of attributes alone
//!   admits; and the transactions of the customers admitted.
//!
//! A rule that names what the index does not know (a touchpoint since deleted) admits nothing:
//! access fails closed.

use std::collections::HashSet;

use crate::index::{Index, NO_CUSTOMER};
use crate::query::{Filters, OneOrMany, QueryRequest, Records};

/// What one principal may see.
#[derive(Debug, Clone, Default)]
pub struct Restriction {
    pub rules: Vec<Filters>,
    pub agent: Option<String>,
    pub customers: Vec<i64>,
}

/// An index restricted to what a principal may see, with the ids it holds, so that records
/// read from the store can be checked against it.
#[derive(Debug)]
pub struct Restricted {
    pub index: Index,
    customers: HashSet<i64>,
    feedback: HashSet<i64>,
    interactions: HashSet<i64>,
}

impl Restricted {
    pub fn sees_customer(&self, id: i64) -> bool {
        self.customers.contains(&id)
    }

    pub fn sees_feedback(&self, id: i64) -> bool {
        self.feedback.contains(&id)
    }

    pub fn sees_interaction(&self, id: i64) -> bool {
        self.interactions.contains(&id)
    }
}

/// Whether a rule speaks of customers' attributes only.
fn attributes_only(rule: &Filters) -> bool {
    let empty = |v: &OneOrMany<_>| matches!(v, OneOrMany::Many(v) if v.is_empty());
    !rule.customer.is_empty()
        && rule.feedback_only().is_none()
        && rule.from.is_none()
        && rule.to.is_none()
        && empty(&rule.stage)
        && empty(&rule.touchpoint)
        && empty(&rule.channel)
        && matches!(&rule.department, OneOrMany::Many(v) if v.is_empty())
}

impl Index {
    /// The part of this index `restriction` admits (see the module's documentation).
    pub fn restricted(&self, restriction: &Restriction) -> Restricted {
        let slots = self.customers.len();
        let ids_by_slot = self.customers.ids_by_slot();
        let mut customers = vec![false; slots];
        for id in &restriction.customers {
            if let Some(slot) = self.customers.slot_of(*id) {
                customers[slot as usize] = true;
            }
        }
        let listed = customers.clone();
        let mark = |records: Records, rule: &Filters, keep: &mut Vec<bool>| {
            let request = QueryRequest {
                records,
                filters: rule.clone(),
                ..Default::default()
            };
            if let Ok(plan) = self.plan(&request) {
                plan.current.for_each_row(self, |row| keep[row] = true);
            }
        };
        let mut rows = vec![false; self.rows.len()];
        let mut interactions = vec![false; self.interactions.len()];
        for rule in &restriction.rules {
            mark(Records::Feedback, rule, &mut rows);
            if rule.feedback_only().is_none() {
                mark(Records::Interactions, rule, &mut interactions);
            }
            if attributes_only(rule)
                && let Ok(admits) = self.customer_filter(&rule.customer, "rules.customer")
            {
                for (slot, seen) in customers.iter_mut().enumerate() {
                    *seen |= ids_by_slot[slot].is_some() && admits(slot as u32);
                }
            }
        }
        if let Some(agent) = &restriction.agent {
            let own = Filters {
                agent: OneOrMany::One(agent.clone()),
                ..Default::default()
            };
            mark(Records::Feedback, &own, &mut rows);
        }
        for (columns, keep) in [
            (&self.rows, &mut rows),
            (&self.interactions, &mut interactions),
        ] {
            for (row, &slot) in columns.customer.iter().enumerate() {
                if slot == NO_CUSTOMER {
                    continue;
                }
                keep[row] |= listed[slot as usize];
                if keep[row] {
                    customers[slot as usize] = true;
                }
            }
        }
        let ids = |ids: &[i64], keep: &[bool]| -> HashSet<i64> {
            ids.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(id, _)| *id)
                .collect()
        };
        Restricted {
            feedback: ids(&self.rows.id, &rows),
            interactions: ids(&self.interactions.id, &interactions),
            customers: (0..slots as u32)
                .filter(|&slot| customers[slot as usize])
                .filter_map(|slot| ids_by_slot[slot as usize])
                .collect(),
            index: self.subset(&rows, &interactions, &customers),
        }
    }
}
