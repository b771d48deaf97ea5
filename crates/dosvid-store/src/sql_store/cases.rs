//! Cases and their events. A case's team defaults to the owner department of its touchpoint;
//! every change of status, priority, team, owner or codes is logged as an event in the same
//! transaction, so the log always tells how a case got where it is.

use chrono::{DateTime, Utc};
use dosvid_domain::alert::{Alert, Rule, RuleDefinition};
use dosvid_domain::case::{
    Case, CaseEvent, CaseEventKind, CasePatch, CaseStatus, NewCase, Priority,
};
use dosvid_domain::{FieldError, OrgId};

use super::limit;
use crate::sql::{Conn, Query, Row};
use crate::{Page, PageRequest, Result, StoreError};

const COLUMNS: &str = "c.id, c.title, c.description, c.status, c.priority, c.team, c.owner, c.customer_id, \
    c.touchpoint_id, c.feedback_id, c.opened_at, c.due_at, c.resolved_at, c.closed_at, c.root_cause, c.resolution, \
    c.contacts, c.follow_up_survey, c.follow_up_invitation_id, r.feedback_id";
/// A case with the answer to its follow-up survey, if any.
const FROM: &str =
    "FROM cases c LEFT JOIN survey_responses r ON r.invitation_id = c.follow_up_invitation_id";

fn from_row(r: &Row) -> Result<Case> {
    let bad = |what: &str, v: &str| StoreError::backend(format!("unknown case {what} {v}"));
    Ok(Case {
        id: r.int(0)?,
        title: r.text(1)?,
        description: r.opt_text(2)?,
        status: CaseStatus::parse(r.str(3)?)
            .ok_or_else(|| bad("status", r.str(3).unwrap_or("")))?,
        priority: Priority::parse(r.str(4)?)
            .ok_or_else(|| bad("priority", r.str(4).unwrap_or("")))?,
        team: r.opt_text(5)?,
        owner: r.opt_text(6)?,
        customer_id: r.opt_int(7)?,
        touchpoint_id: r.opt_int(8)?,
        feedback_id: r.opt_int(9)?,
        opened_at: r.time(10)?,
        due_at: r.time(11)?,
        resolved_at: r.opt_time(12)?,
        closed_at: r.opt_time(13)?,
        root_cause: r.opt_text(14)?,
        resolution: r.opt_text(15)?,
        contacts: r.int(16)? as u32,
        follow_up_survey: r.opt_text(17)?,
        follow_up_invitation_id: r.opt_int(18)?,
        follow_up_feedback_id: r.opt_int(19)?,
    })
}

fn event(
    c: &mut impl Conn,
    org: OrgId,
    case: i64,
    kind: CaseEventKind,
    by: Option<&str>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    c.insert_id(
        "INSERT INTO case_events (org_id, case_id, kind, at, by_whom, text) VALUES ($1, $2, $3, $4, $5, $6)",
        &[org.into(), case.into(), kind.as_str().into(), now.into(), by.into(), text.into()],
    )
}

/// Opens a case; for a rule, only the first for a record (`None` when the rule already opened
/// one for it: a record re-sent is not a new problem).
pub(super) fn create_case(
    c: &mut impl Conn,
    org: OrgId,
    new: &NewCase,
    rule: Option<i64>,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Case>> {
    if let (Some(rule), Some(feedback)) = (rule, new.feedback_id) {
        let opened = c.query_opt(
            "SELECT id FROM cases WHERE org_id = $1 AND rule_id = $2 AND feedback_id = $3",
            &[org.into(), rule.into(), feedback.into()],
        )?;
        if opened.is_some() {
            return Ok(None);
        }
    }
    let touchpoint = match &new.touchpoint {
        Some(key) => Some(
            c.query_opt(
                "SELECT id, owner_department FROM touchpoints WHERE org_id = $1 AND key = $2",
                &[org.into(), key.into()],
            )?
            .ok_or_else(|| {
                StoreError::Invalid(FieldError::new(
                    "touchpoint",
                    format!("no touchpoint with key '{key}'"),
                ))
            })?,
        ),
        None => None,
    };
    for (field, table, id) in [
        ("customer_id", "customers", new.customer_id),
        ("feedback_id", "feedback", new.feedback_id),
    ] {
        if let Some(id) = id {
            let sql = format!("SELECT 1 FROM {table} WHERE org_id = $1 AND id = $2");
            if c.query_opt(&sql, &[org.into(), id.into()])?.is_none() {
                return Err(StoreError::Invalid(FieldError::new(
                    field,
                    format!("no record with id {id}"),
                )));
            }
        }
    }
    let team = match (&new.team, &touchpoint) {
        (Some(team), _) => Some(team.clone()),
        (None, Some(row)) => row.opt_text(1)?,
        (None, None) => None,
    };
    let touchpoint_id = touchpoint.as_ref().map(|r| r.int(0)).transpose()?;
    let id = c.insert_id(
        "INSERT INTO cases (org_id, title, description, status, priority, team, owner, customer_id, touchpoint_id, \
         feedback_id, opened_at, due_at, rule_id, follow_up_survey) \
         VALUES ($1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            org.into(),
            (&new.title).into(),
            (&new.description).into(),
            new.priority.as_str().into(),
            team.into(),
            (&new.owner).into(),
            new.customer_id.into(),
            touchpoint_id.into(),
            new.feedback_id.into(),
            now.into(),
            (now + new.priority.sla()).into(),
            rule.into(),
            (&new.follow_up_survey).into(),
        ],
    )?;
    event(c, org, id, CaseEventKind::Change, by, "opened", now)?;
    get_case(c, org, id).map(Some)
}

fn rule_from_row(r: &Row) -> Result<Rule> {
    let mut definition: RuleDefinition = serde_json::from_str(r.str(2)?)
        .map_err(|e| StoreError::backend(format!("stored rule: {e}")))?;
    definition.enabled = r.bool(1)?;
    Ok(Rule {
        id: r.int(0)?,
        definition,
        created_at: r.time(3)?,
    })
}

pub(super) fn create_rule(
    c: &mut impl Conn,
    org: OrgId,
    rule: &RuleDefinition,
    now: DateTime<Utc>,
) -> Result<Rule> {
    let definition = serde_json::to_string(rule).map_err(StoreError::backend)?;
    let id = c.insert_id(
        "INSERT INTO alert_rules (org_id, name, enabled, definition, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[org.into(), (&rule.name).into(), rule.enabled.into(), definition.into(), now.into()],
    )?;
    get_rule(c, org, id)
}

pub(super) fn get_rule(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Rule> {
    c.query_opt(
        "SELECT id, enabled, definition, created_at FROM alert_rules WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?
    .map(|r| rule_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found("alert rule", id))
}

pub(super) fn list_rules(c: &mut impl Conn, org: OrgId) -> Result<Vec<Rule>> {
    c.query(
        "SELECT id, enabled, definition, created_at FROM alert_rules WHERE org_id = $1 ORDER BY id",
        &[org.into()],
    )?
    .iter()
    .map(rule_from_row)
    .collect()
}

pub(super) fn update_rule(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    rule: &RuleDefinition,
) -> Result<Rule> {
    get_rule(c, org, id)?;
    let definition = serde_json::to_string(rule).map_err(StoreError::backend)?;
    c.execute(
        "UPDATE alert_rules SET name = $1, enabled = $2, definition = $3 WHERE org_id = $4 AND id = $5",
        &[(&rule.name).into(), rule.enabled.into(), definition.into(), org.into(), id.into()],
    )?;
    get_rule(c, org, id)
}

/// Deletes a rule; the cases it opened stay, no longer linked to it.
pub(super) fn delete_rule(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    get_rule(c, org, id)?;
    c.execute(
        "UPDATE cases SET rule_id = NULL WHERE org_id = $1 AND rule_id = $2",
        &[org.into(), id.into()],
    )?;
    c.execute(
        "DELETE FROM alert_rules WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?;
    Ok(())
}

pub(super) fn get_case(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Case> {
    let sql = format!("SELECT {COLUMNS} {FROM} WHERE c.org_id = $1 AND c.id = $2");
    c.query_opt(&sql, &[org.into(), id.into()])?
        .map(|r| from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::not_found("case", id))
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    /// Only cases still open (not resolved or closed).
    pub open: bool,
    pub team: Option<String>,
    pub owner: Option<String>,
    /// Opened from (inclusive) and before (exclusive).
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// One customer's cases.
    pub customer_id: Option<i64>,
}

pub(super) fn list_cases(
    c: &mut impl Conn,
    org: OrgId,
    filter: &CaseFilter,
    page: PageRequest,
) -> Result<Page<Case>> {
    let mut q = Query::new(&format!("SELECT {COLUMNS} {FROM} WHERE c.org_id = "));
    let p = q.param(org);
    q.sql.push_str(&p);
    q.push(" AND c.id > {}", [page.after.unwrap_or(0).into()]);
    if let Some(status) = filter.status {
        q.push(" AND c.status = {}", [status.as_str().into()]);
    }
    if filter.open {
        q.sql
            .push_str(" AND c.status NOT IN ('resolved', 'closed')");
    }
    if let Some(team) = &filter.team {
        q.push(" AND c.team = {}", [team.into()]);
    }
    if let Some(owner) = &filter.owner {
        q.push(" AND c.owner = {}", [owner.into()]);
    }
    if let Some(from) = filter.from {
        q.push(" AND c.opened_at >= {}", [from.into()]);
    }
    if let Some(to) = filter.to {
        q.push(" AND c.opened_at < {}", [to.into()]);
    }
    if let Some(customer) = filter.customer_id {
        q.push(" AND c.customer_id = {}", [customer.into()]);
    }
    let limit = limit(page);
    q.push(" ORDER BY c.id LIMIT {}", [i64::from(limit + 1).into()]);
    let rows = c.query(&q.sql, &q.params)?;
    let cases = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(cases, limit, |c| c.id))
}

/// Applies a checked patch and logs what changed.
pub(super) fn update_case(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: CasePatch,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Case> {
    let current = get_case(c, org, id)?;
    let patch = patch.validate(&current)?;
    let mut changes = Vec::new();
    let status = patch.status.unwrap_or(current.status);
    if status != current.status {
        changes.push(format!(
            "status: {} → {}",
            current.status.as_str(),
            status.as_str()
        ));
    }
    let priority = patch.priority.unwrap_or(current.priority);
    if priority != current.priority {
        changes.push(format!(
            "priority: {} → {}",
            current.priority.as_str(),
            priority.as_str()
        ));
    }
    let mut text = |name: &str, old: &Option<String>, new: Option<String>| {
        let value = new.or_else(|| old.clone());
        if value != *old {
            changes.push(format!("{name}: {}", value.as_deref().unwrap_or("—")));
        }
        value
    };
    let team = text("team", &current.team, patch.team);
    let owner = text("owner", &current.owner, patch.owner);
    let root_cause = text("root_cause", &current.root_cause, patch.root_cause);
    let resolution = text("resolution", &current.resolution, patch.resolution);
    // The clock: a resolution keeps its first time unless the case is reopened.
    let resolved_at = match status {
        CaseStatus::Resolved | CaseStatus::Closed => current.resolved_at.or(Some(now)),
        _ => None,
    };
    let closed_at = (status == CaseStatus::Closed).then(|| current.closed_at.unwrap_or(now));
    let due_at = current.opened_at + priority.sla();
    c.execute(
        "UPDATE cases SET status = $1, priority = $2, team = $3, owner = $4, root_cause = $5, resolution = $6, \
         resolved_at = $7, closed_at = $8, due_at = $9 WHERE org_id = $10 AND id = $11",
        &[
            status.as_str().into(),
            priority.as_str().into(),
            team.into(),
            owner.into(),
            root_cause.into(),
            resolution.into(),
            resolved_at.into(),
            closed_at.into(),
            due_at.into(),
            org.into(),
            id.into(),
        ],
    )?;
    if !changes.is_empty() {
        event(
            c,
            org,
            id,
            CaseEventKind::Change,
            by,
            &changes.join("; "),
            now,
        )?;
    }
    get_case(c, org, id)
}

/// Records the follow-up invitation sent on resolution.
pub(super) fn set_follow_up(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    invitation: i64,
    now: DateTime<Utc>,
) -> Result<Case> {
    c.execute(
        "UPDATE cases SET follow_up_invitation_id = $1 WHERE org_id = $2 AND id = $3",
        &[invitation.into(), org.into(), id.into()],
    )?;
    event(
        c,
        org,
        id,
        CaseEventKind::Change,
        None,
        "follow-up survey sent",
        now,
    )?;
    get_case(c, org, id)
}

/// Logs a note or a contact with the customer (which counts towards first-contact resolution).
pub(super) fn add_event(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    kind: CaseEventKind,
    by: Option<&str>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<CaseEvent> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > dosvid_domain::limits::MAX_COMMENT_CHARS {
        return Err(StoreError::Invalid(FieldError::new(
            "text",
            format!(
                "must be 1 to {} characters",
                dosvid_domain::limits::MAX_COMMENT_CHARS
            ),
        )));
    }
    get_case(c, org, id)?;
    let event_id = event(c, org, id, kind, by, text, now)?;
    if kind == CaseEventKind::Contact {
        c.execute(
            "UPDATE cases SET contacts = contacts + 1 WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?;
    }
    Ok(CaseEvent {
        id: event_id,
        kind,
        at: now,
        by: by.map(str::to_owned),
        text: text.to_owned(),
    })
}

pub(super) fn case_events(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Vec<CaseEvent>> {
    get_case(c, org, id)?;
    c.query(
        "SELECT id, kind, at, by_whom, text FROM case_events WHERE org_id = $1 AND case_id = $2 ORDER BY id",
        &[org.into(), id.into()],
    )?
    .iter()
    .map(|r| {
        let kind = match r.str(1)? {
            "note" => CaseEventKind::Note,
            "contact" => CaseEventKind::Contact,
            _ => CaseEventKind::Change,
        };
        Ok(CaseEvent {
            id: r.int(0)?,
            kind,
            at: r.time(2)?,
            by: r.opt_text(3)?,
            text: r.text(4)?,
        })
    })
    .collect()
}

const ALERT_COLUMNS: &str =
    "id, rule_id, scope, fired_at, window_from, window_to, last_firing, message, details, case_id";

fn alert_from_row(r: &Row) -> Result<Alert> {
    Ok(Alert {
        id: r.int(0)?,
        rule_id: r.opt_int(1)?,
        scope: r.text(2)?,
        fired_at: r.time(3)?,
        window_from: r.time(4)?,
        window_to: r.time(5)?,
        last_firing: r.time(6)?,
        message: r.text(7)?,
        details: serde_json::from_str(r.str(8)?)
            .map_err(|e| StoreError::backend(format!("stored alert: {e}")))?,
        case_id: r.opt_int(9)?,
    })
}

/// Records an alert unless `same_problem` says the scope's latest alert of the rule stands for
/// it — then that alert's `last_firing` moves on and `None` is returned: one problem, one alert.
/// Reading the latest and writing are one transaction, so two servers evaluating at once raise
/// it once. `alert.id` and `alert.last_firing` are ignored.
pub(super) fn record_alert(
    c: &mut impl Conn,
    org: OrgId,
    alert: &Alert,
    same_problem: &dyn Fn(&Alert) -> bool,
) -> Result<Option<Alert>> {
    let latest = c.query_opt(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE org_id = $1 AND rule_id = $2 AND scope = $3 \
             ORDER BY window_to DESC, id DESC LIMIT 1"
        ),
        &[org.into(), alert.rule_id.into(), (&alert.scope).into()],
    )?;
    if let Some(latest) = latest.map(|r| alert_from_row(&r)).transpose()?
        && same_problem(&latest)
    {
        c.execute(
            "UPDATE alerts SET last_firing = $1 WHERE id = $2 AND last_firing < $1",
            &[alert.window_to.into(), latest.id.into()],
        )?;
        return Ok(None);
    }
    let details = serde_json::to_string(&alert.details).map_err(StoreError::backend)?;
    let id = c.insert_id(
        "INSERT INTO alerts (org_id, rule_id, scope, fired_at, window_from, window_to, last_firing, message, details, case_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
        &[
            org.into(),
            alert.rule_id.into(),
            (&alert.scope).into(),
            alert.fired_at.into(),
            alert.window_from.into(),
            alert.window_to.into(),
            (&alert.message).into(),
            details.into(),
            alert.case_id.into(),
        ],
    )?;
    Ok(Some(Alert {
        id,
        last_firing: alert.window_to,
        ..alert.clone()
    }))
}

pub(super) fn set_alert_case(c: &mut impl Conn, org: OrgId, alert: i64, case: i64) -> Result<()> {
    c.execute(
        "UPDATE alerts SET case_id = $1 WHERE org_id = $2 AND id = $3",
        &[case.into(), org.into(), alert.into()],
    )?;
    Ok(())
}

/// Alerts, newest first; of one rule when given.
pub(super) fn list_alerts(
    c: &mut impl Conn,
    org: OrgId,
    rule: Option<i64>,
    page: PageRequest,
) -> Result<Page<Alert>> {
    let limit = limit(page);
    let rows = c.query(
        &format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE org_id = $1 AND id < $2 \
             AND ($3 = 0 OR rule_id = $3) ORDER BY id DESC LIMIT $4"
        ),
        &[
            org.into(),
            page.after.unwrap_or(i64::MAX).into(),
            rule.unwrap_or(0).into(),
            i64::from(limit + 1).into(),
        ],
    )?;
    let alerts = rows
        .iter()
        .map(alert_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(alerts, limit, |a| a.id))
}
