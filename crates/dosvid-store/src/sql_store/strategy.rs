//! Goals, initiatives with the log of their status changes, and strategy cycles. Each is kept as
//! the JSON of its definition; the links between them (a goal's parent and cycle, an
//! initiative's goal and cycle) are columns too, checked to belong to the same organisation.

use chrono::{DateTime, Utc};
use dosvid_domain::OrgId;
use dosvid_domain::strategy::{
    Cycle, CycleStagePatch, Goal, GoalDefinition, Initiative, InitiativeDefinition,
    InitiativeStatus, Measurement, StageKey, StatusChange,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sql::{Conn, Row};
use crate::{Result, StoreError};

fn to_json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::backend(format!("stored {what}: {e}")))
}

/// Fails with a conflict naming `field` unless `id` is a row of `table` in the organisation.
fn exists(c: &mut impl Conn, org: OrgId, table: &str, field: &str, id: Option<i64>) -> Result<()> {
    let Some(id) = id else { return Ok(()) };
    let sql = format!("SELECT 1 FROM {table} WHERE org_id = $1 AND id = $2");
    match c.query_opt(&sql, &[org.into(), id.into()])? {
        Some(_) => Ok(()),
        None => Err(StoreError::Conflict {
            field: field.into(),
            message: format!(
                "no such {} {id}",
                table.trim_end_matches('s').replace('_', " ")
            ),
        }),
    }
}

const GOAL_COLUMNS: &str = "id, definition, baseline, created_at";

fn goal_from_row(r: &Row) -> Result<Goal> {
    Ok(Goal {
        id: r.int(0)?,
        definition: from_json("goal", r.str(1)?)?,
        baseline: from_json("baseline", r.str(2)?)?,
        created_at: r.time(3)?,
    })
}

fn check_goal_links(
    c: &mut impl Conn,
    org: OrgId,
    goal: &GoalDefinition,
    id: Option<i64>,
) -> Result<()> {
    exists(c, org, "strategy_cycles", "cycle_id", goal.cycle_id)?;
    exists(c, org, "goals", "parent_id", goal.parent_id)?;
    // A goal may not sit under itself, however far up.
    let mut parent = goal.parent_id;
    let mut steps = 0;
    while let (Some(p), Some(own)) = (parent, id) {
        if p == own || steps > 100 {
            return Err(StoreError::Conflict {
                field: "parent_id".into(),
                message: "a goal cannot be under itself".into(),
            });
        }
        parent = get_goal(c, org, p)?.definition.parent_id;
        steps += 1;
    }
    Ok(())
}

pub(super) fn create_goal(
    c: &mut impl Conn,
    org: OrgId,
    goal: &GoalDefinition,
    baseline: &Measurement,
    now: DateTime<Utc>,
) -> Result<Goal> {
    check_goal_links(c, org, goal, None)?;
    let id = c.insert_id(
        "INSERT INTO goals (org_id, parent_id, cycle_id, definition, baseline, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            org.into(),
            goal.parent_id.into(),
            goal.cycle_id.into(),
            to_json(goal)?.into(),
            to_json(baseline)?.into(),
            now.into(),
        ],
    )?;
    get_goal(c, org, id)
}

pub(super) fn get_goal(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Goal> {
    c.query_opt(
        &format!("SELECT {GOAL_COLUMNS} FROM goals WHERE org_id = $1 AND id = $2"),
        &[org.into(), id.into()],
    )?
    .map(|r| goal_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found("goal", id))
}

pub(super) fn list_goals(c: &mut impl Conn, org: OrgId) -> Result<Vec<Goal>> {
    c.query(
        &format!("SELECT {GOAL_COLUMNS} FROM goals WHERE org_id = $1 ORDER BY id"),
        &[org.into()],
    )?
    .iter()
    .map(goal_from_row)
    .collect()
}

/// Changes a goal; what it measures (metric, scope, window) stays, or the baseline would lie.
pub(super) fn update_goal(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    goal: &GoalDefinition,
) -> Result<Goal> {
    let old = get_goal(c, org, id)?.definition;
    for (field, same) in [
        ("metric", old.metric == goal.metric),
        ("filters", old.filters == goal.filters),
        ("window_days", old.window_days == goal.window_days),
        ("set_on", old.set_on == goal.set_on),
    ] {
        if !same {
            return Err(StoreError::invalid(
                field,
                "is measured against the baseline and cannot change; set a new goal",
            ));
        }
    }
    check_goal_links(c, org, goal, Some(id))?;
    c.execute(
        "UPDATE goals SET parent_id = $1, cycle_id = $2, definition = $3 WHERE org_id = $4 AND id = $5",
        &[
            goal.parent_id.into(),
            goal.cycle_id.into(),
            to_json(goal)?.into(),
            org.into(),
            id.into(),
        ],
    )?;
    get_goal(c, org, id)
}

/// Deletes a goal; the goals under it and the initiatives serving it stay, unlinked.
pub(super) fn delete_goal(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    get_goal(c, org, id)?;
    for (table, column, key) in [
        ("goals", "parent_id", "parent_id"),
        ("initiatives", "goal_id", "goal_id"),
    ] {
        let rows = c.query(
            &format!("SELECT id, definition FROM {table} WHERE org_id = $1 AND {column} = $2"),
            &[org.into(), id.into()],
        )?;
        for row in rows {
            let mut definition: serde_json::Value = from_json(table, row.str(1)?)?;
            if let Some(object) = definition.as_object_mut() {
                object.remove(key);
            }
            c.execute(
                &format!("UPDATE {table} SET {column} = NULL, definition = $1 WHERE id = $2"),
                &[to_json(&definition)?.into(), row.int(0)?.into()],
            )?;
        }
    }
    c.execute(
        "DELETE FROM goals WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?;
    Ok(())
}

const INITIATIVE_COLUMNS: &str = "id, definition, created_at, updated_at";

fn initiative_from_row(r: &Row) -> Result<Initiative> {
    Ok(Initiative {
        id: r.int(0)?,
        definition: from_json("initiative", r.str(1)?)?,
        created_at: r.time(2)?,
        updated_at: r.time(3)?,
    })
}

fn log_status(
    c: &mut impl Conn,
    id: i64,
    from: Option<InitiativeStatus>,
    to: InitiativeStatus,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO initiative_status_log (initiative_id, at, from_status, to_status, actor) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            id.into(),
            now.into(),
            from.map(InitiativeStatus::as_str).into(),
            to.as_str().into(),
            by.into(),
        ],
    )?;
    Ok(())
}

pub(super) fn create_initiative(
    c: &mut impl Conn,
    org: OrgId,
    initiative: &InitiativeDefinition,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Initiative> {
    exists(c, org, "goals", "goal_id", initiative.goal_id)?;
    exists(c, org, "strategy_cycles", "cycle_id", initiative.cycle_id)?;
    let id = c.insert_id(
        "INSERT INTO initiatives (org_id, goal_id, cycle_id, status, definition, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        &[
            org.into(),
            initiative.goal_id.into(),
            initiative.cycle_id.into(),
            initiative.status.as_str().into(),
            to_json(initiative)?.into(),
            now.into(),
        ],
    )?;
    log_status(c, id, None, initiative.status, by, now)?;
    get_initiative(c, org, id)
}

pub(super) fn get_initiative(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Initiative> {
    c.query_opt(
        &format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE org_id = $1 AND id = $2"),
        &[org.into(), id.into()],
    )?
    .map(|r| initiative_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found("initiative", id))
}

pub(super) fn list_initiatives(c: &mut impl Conn, org: OrgId) -> Result<Vec<Initiative>> {
    c.query(
        &format!("SELECT {INITIATIVE_COLUMNS} FROM initiatives WHERE org_id = $1 ORDER BY id"),
        &[org.into()],
    )?
    .iter()
    .map(initiative_from_row)
    .collect()
}

/// Replaces an initiative's definition; a change of status is logged in the same transaction.
pub(super) fn update_initiative(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    initiative: &InitiativeDefinition,
    by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Initiative> {
    let old = get_initiative(c, org, id)?.definition;
    exists(c, org, "goals", "goal_id", initiative.goal_id)?;
    exists(c, org, "strategy_cycles", "cycle_id", initiative.cycle_id)?;
    c.execute(
        "UPDATE initiatives SET goal_id = $1, cycle_id = $2, status = $3, definition = $4, updated_at = $5 \
         WHERE org_id = $6 AND id = $7",
        &[
            initiative.goal_id.into(),
            initiative.cycle_id.into(),
            initiative.status.as_str().into(),
            to_json(initiative)?.into(),
            now.into(),
            org.into(),
            id.into(),
        ],
    )?;
    if old.status != initiative.status {
        log_status(c, id, Some(old.status), initiative.status, by, now)?;
    }
    get_initiative(c, org, id)
}

pub(super) fn initiative_log(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Vec<StatusChange>> {
    get_initiative(c, org, id)?;
    let status = |raw: &str| {
        InitiativeStatus::parse(raw)
            .ok_or_else(|| StoreError::backend(format!("unknown initiative status {raw}")))
    };
    c.query(
        "SELECT at, from_status, to_status, actor FROM initiative_status_log \
         WHERE initiative_id = $1 ORDER BY id",
        &[id.into()],
    )?
    .iter()
    .map(|r| {
        Ok(StatusChange {
            at: r.time(0)?,
            from: r.opt_text(1)?.as_deref().map(status).transpose()?,
            to: status(r.str(2)?)?,
            by: r.opt_text(3)?,
        })
    })
    .collect()
}

fn cycle_from_row(r: &Row) -> Result<Cycle> {
    let mut cycle: Cycle = from_json("cycle", r.str(1)?)?;
    cycle.id = r.int(0)?;
    Ok(cycle)
}

pub(super) fn create_cycle(c: &mut impl Conn, org: OrgId, cycle: &Cycle) -> Result<Cycle> {
    let previous = cycle.definition.previous_id;
    exists(c, org, "strategy_cycles", "previous_id", previous)?;
    let id = c.insert_id(
        "INSERT INTO strategy_cycles (org_id, document, created_at) VALUES ($1, $2, $3)",
        &[org.into(), to_json(cycle)?.into(), cycle.created_at.into()],
    )?;
    get_cycle(c, org, id)
}

pub(super) fn get_cycle(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Cycle> {
    c.query_opt(
        "SELECT id, document FROM strategy_cycles WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?
    .map(|r| cycle_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found("strategy cycle", id))
}

pub(super) fn list_cycles(c: &mut impl Conn, org: OrgId) -> Result<Vec<Cycle>> {
    c.query(
        "SELECT id, document FROM strategy_cycles WHERE org_id = $1 ORDER BY id",
        &[org.into()],
    )?
    .iter()
    .map(cycle_from_row)
    .collect()
}

/// Changes one stage of a cycle: read, changed and written in one transaction.
pub(super) fn update_cycle_stage(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    key: StageKey,
    patch: CycleStagePatch,
) -> Result<Cycle> {
    let mut cycle = get_cycle(c, org, id)?;
    cycle.stage_mut(key).apply(patch)?;
    c.execute(
        "UPDATE strategy_cycles SET document = $1 WHERE org_id = $2 AND id = $3",
        &[to_json(&cycle)?.into(), org.into(), id.into()],
    )?;
    Ok(cycle)
}
