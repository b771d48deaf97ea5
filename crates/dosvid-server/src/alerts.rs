//! What follows a stored feedback record: every record the server stores (batches, survey
//! answers, logged complaints) is checked against the organisation's enabled record rules, and
//! each match opens a case for the record's touchpoint's owner team — once per rule and record,
//! however often the record is re-sent — and the webhook events of it all are written.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use dosvid_domain::alert::{RecordView, Rule};
use dosvid_domain::case::{Case, NewCase};
use dosvid_domain::webhook::EventType;
use dosvid_domain::{Customer, Feedback, OrgId, Touchpoint};
use dosvid_store::{Filter, Store, all_pages};

use crate::webhooks::{Event, Outbox};

/// The attributes of a customer by the names rule conditions use.
fn customer_attributes(customer: &Customer) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = [
        ("segment", &customer.segment),
        ("region", &customer.region),
        ("plan", &customer.plan),
        ("language", &customer.language),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.clone().map(|v| (name.to_owned(), v)))
    .collect();
    for (name, value) in &customer.attributes {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        out.insert(format!("attr.{name}"), text);
    }
    out
}

/// A customer's attributes, read once per batch (none for a customer since erased).
fn attributes_of<'c>(
    store: &dyn Store,
    org: OrgId,
    id: i64,
    known: &'c mut HashMap<i64, BTreeMap<String, String>>,
) -> dosvid_store::Result<&'c BTreeMap<String, String>> {
    if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(id) {
        let found = match store.get_customer(org, id) {
            Ok(customer) => customer_attributes(&customer),
            Err(dosvid_store::StoreError::NotFound { .. }) => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        slot.insert(found);
    }
    Ok(&known[&id])
}

/// A touchpoint's key and the keys of all above it.
fn lineage(id: Option<i64>, touchpoints: &HashMap<i64, &Touchpoint>) -> Vec<String> {
    let mut keys = Vec::new();
    let mut at = id;
    while let Some(t) = at.and_then(|id| touchpoints.get(&id)) {
        keys.push(t.key.clone());
        at = t.parent_id;
        if keys.len() > 16 {
            break;
        }
    }
    keys
}

/// The first words of a comment, for a case's title.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// Checks stored records against the enabled rules and opens the cases they ask for. Returns
/// each rule that matched with the case it opened (none when it had opened one before).
fn open_cases<'r>(
    store: &dyn Store,
    org: OrgId,
    rules: &'r [Rule],
    records: &[Feedback],
    now: DateTime<Utc>,
) -> dosvid_store::Result<Vec<(&'r Rule, Case)>> {
    if rules.is_empty() || records.is_empty() {
        return Ok(Vec::new());
    }
    let touchpoint_list = all_pages(|p| store.list_touchpoints(org, &Filter::default(), p))?;
    let touchpoints: HashMap<i64, &Touchpoint> =
        touchpoint_list.iter().map(|t| (t.id, t)).collect();
    let channels: HashMap<i64, String> = all_pages(|p| store.list_channels(org, p))?
        .into_iter()
        .map(|c| (c.id, c.key))
        .collect();
    // Customers are read only for records that meet a rule's other conditions.
    let mut customers: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
    let nobody = BTreeMap::new();
    let mut opened = Vec::new();
    for f in records {
        let view = RecordView {
            nps: f.nps.map(i64::from),
            csat: f.csat.map(i64::from),
            ces: f.ces.map(i64::from),
            source: f.source.as_str().to_owned(),
            severity: f
                .attributes
                .get("severity")
                .and_then(|s| s.as_str())
                .map(str::to_owned),
            sentiment: f
                .sentiment
                .map(|s| dosvid_text::Label::of(s).as_str().to_owned()),
            emotions: f.emotions.clone(),
            themes: f.themes.clone(),
            touchpoints: lineage(f.touchpoint_id, &touchpoints),
            channel: f.channel_id.and_then(|c| channels.get(&c).cloned()),
            customer: BTreeMap::new(),
        };
        for rule in rules {
            let when = &rule.definition.when;
            if !when.matches_record(&view) {
                continue;
            }
            if !when.customer.is_empty() {
                let attributes = match f.customer_id {
                    Some(id) => attributes_of(store, org, id, &mut customers)?,
                    None => &nobody,
                };
                if !when.matches_customer(attributes) {
                    continue;
                }
            }
            let title = match &f.comment {
                Some(comment) => format!("{}: {}", rule.definition.name, excerpt(comment)),
                None => rule.definition.name.clone(),
            };
            let case = NewCase {
                title,
                description: f.comment.clone(),
                priority: rule.definition.open_case.priority,
                team: rule.definition.open_case.team.clone(),
                owner: None,
                customer_id: f.customer_id,
                touchpoint: view.touchpoints.first().cloned(),
                feedback_id: Some(f.id),
                follow_up_survey: rule.definition.open_case.follow_up_survey.clone(),
            };
            if let Some(case) = store.open_rule_case(org, rule.id, case, now)? {
                opened.push((rule, case));
            }
        }
    }
    Ok(opened)
}

/// After feedback records `ids` are stored and committed: the rules are checked (opening cases)
/// and the webhook events written — `feedback.created` for each record, `alert.fired` and
/// `case.created` for each case a rule opened. A failure is logged: it does not undo or fail the
/// write the customer's record came in by.
pub fn after_feedback(store: &dyn Store, outbox: &Outbox, org: OrgId, ids: &[i64]) {
    let now = Utc::now();
    let result = (|| -> dosvid_store::Result<()> {
        let rules: Vec<Rule> = store
            .list_rules(org)?
            .into_iter()
            .filter(|r| r.definition.enabled && r.definition.watch.is_none())
            .collect();
        let announce = outbox.wanted(store, org, EventType::FeedbackCreated);
        if ids.is_empty() || (rules.is_empty() && !announce) {
            return Ok(());
        }
        let records = store.feedback_by_ids(org, ids)?;
        let mut events = Vec::new();
        if announce {
            events.extend(
                records
                    .iter()
                    .map(|f| (EventType::FeedbackCreated, Event::of(f))),
            );
        }
        let opened = open_cases(store, org, &rules, &records, now)?;
        crate::telemetry::rules_ran("record", rules.len(), false);
        crate::telemetry::rules_acted(opened.len(), 0);
        for (rule, case) in opened {
            let fired = serde_json::json!({
                "rule": {"id": rule.id, "name": rule.definition.name, "kind": "record"},
                "feedback_id": case.feedback_id,
                "case_id": case.id,
            });
            events.push((EventType::AlertFired, Event::of(&fired)));
            events.push((EventType::CaseCreated, Event::of(&case)));
        }
        outbox.emit(store, org, events);
        Ok(())
    })();
    if let Err(e) = result {
        crate::telemetry::rules_ran("record", 1, true);
        tracing::error!("after feedback {ids:?}: {e}");
    }
}

/// After a case was opened by hand: its `case.created` event.
pub fn case_created(store: &dyn Store, outbox: &Outbox, org: OrgId, case: &Case) {
    outbox.emit(store, org, vec![(EventType::CaseCreated, Event::of(case))]);
}

/// After a case was changed or logged on: a resolved case's follow-up survey, then its
/// `case.updated` event. Returns the case as it now stands.
pub fn case_updated(store: &dyn Store, outbox: &Outbox, org: OrgId, case: Case) -> Case {
    let case = case_resolved(store, org, case);
    outbox.emit(store, org, vec![(EventType::CaseUpdated, Event::of(&case))]);
    case
}

/// After a case is resolved: invites its customer to its follow-up survey (under the fatigue
/// rule), once. The answer is linked to the case through the invitation. Returns the case as it
/// now stands. Failures are logged on the case or in the server log; they never undo the
/// resolution.
fn case_resolved(store: &dyn Store, org: OrgId, case: Case) -> Case {
    use dosvid_domain::case::{CaseEventKind, CaseStatus};
    let (Some(customer), Some(survey)) = (case.customer_id, case.follow_up_survey.clone()) else {
        return case;
    };
    if case.status != CaseStatus::Resolved || case.follow_up_invitation_id.is_some() {
        return case;
    }
    let now = Utc::now();
    // Ok(Ok(case)): the link is sent; Ok(Err(why)): it may not be.
    let sent = (|| -> dosvid_store::Result<Result<Case, String>> {
        let survey = store.survey_by_key(org, &survey)?;
        if survey.status != dosvid_domain::survey::SurveyStatus::Active {
            return Ok(Err(format!("the survey '{}' is not active", survey.key)));
        }
        let request = dosvid_store::InvitationRequest {
            customer: dosvid_domain::CustomerRef {
                id: Some(customer),
                ..Default::default()
            },
            interaction_id: None,
            language: None,
        };
        Ok(match store.invite(org, &survey, &request, now)? {
            Ok(invitation) => Ok(store.set_case_follow_up(org, case.id, invitation.id, now)?),
            Err(fatigued) => Err(fatigued.message),
        })
    })();
    match sent {
        Ok(Ok(updated)) => return updated,
        Ok(Err(why)) => {
            let text = format!("follow-up survey not sent: {why}");
            if let Err(e) =
                store.add_case_event(org, case.id, CaseEventKind::Note, None, &text, now)
            {
                tracing::error!("case {}: {e}", case.id);
            }
        }
        Err(e) => tracing::error!("follow-up survey of case {}: {e}", case.id),
    }
    case
}
