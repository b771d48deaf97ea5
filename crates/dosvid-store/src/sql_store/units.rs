//! Organisation units: a tree within the organisation, each unit with its rules kept as JSON,
//! and the unit each person and API key belongs to.

use chrono::{DateTime, Utc};
use dosvid_domain::unit::{MAX_DEPTH, Unit, UnitInput};
use dosvid_domain::{FieldError, OrgId};

use crate::sql::{Conn, Row};
use crate::{Result, StoreError};

fn conflict(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        field: field.into(),
        message: message.into(),
    }
}

const COLUMNS: &str = "id, parent_id, name, rules, created_at";

fn unit_from_row(r: &Row) -> Result<Unit> {
    Ok(Unit {
        id: r.int(0)?,
        parent_id: r.opt_int(1)?,
        name: r.text(2)?,
        rules: serde_json::from_str(r.str(3)?)
            .map_err(|e| StoreError::backend(format!("stored unit rules: {e}")))?,
        created_at: r.time(4)?,
    })
}

pub(super) fn list_units(c: &mut impl Conn, org: OrgId) -> Result<Vec<Unit>> {
    let sql = format!("SELECT {COLUMNS} FROM units WHERE org_id = $1 ORDER BY id");
    c.query(&sql, &[org.into()])?
        .iter()
        .map(unit_from_row)
        .collect()
}

pub(super) fn get_unit(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Unit> {
    let sql = format!("SELECT {COLUMNS} FROM units WHERE org_id = $1 AND id = $2");
    let row = c
        .query_opt(&sql, &[org.into(), id.into()])?
        .ok_or_else(|| StoreError::not_found("unit", id))?;
    unit_from_row(&row)
}

/// Checks that the parent is a unit of the organisation, that `id` would not sit under itself,
/// and that the tree stays at most [`MAX_DEPTH`] deep.
fn check_parent(c: &mut impl Conn, org: OrgId, parent: Option<i64>, id: Option<i64>) -> Result<()> {
    let units = list_units(c, org)?;
    let mut depth = 1;
    let mut at = parent;
    while let Some(p) = at {
        if Some(p) == id {
            return Err(conflict("parent_id", "a unit cannot sit under itself"));
        }
        let Some(unit) = units.iter().find(|u| u.id == p) else {
            return Err(StoreError::Invalid(FieldError::new(
                "parent_id",
                format!("no such unit {p}"),
            )));
        };
        depth += 1;
        if depth > MAX_DEPTH {
            return Err(conflict(
                "parent_id",
                format!("units nest at most {MAX_DEPTH} deep"),
            ));
        }
        at = unit.parent_id;
    }
    Ok(())
}

fn rules_json(unit: &UnitInput) -> Result<String> {
    serde_json::to_string(&unit.rules).map_err(StoreError::backend)
}

pub(super) fn create_unit(
    c: &mut impl Conn,
    org: OrgId,
    unit: &UnitInput,
    now: DateTime<Utc>,
) -> Result<Unit> {
    check_parent(c, org, unit.parent_id, None)?;
    let id = c.insert_id(
        "INSERT INTO units (org_id, parent_id, name, rules, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            org.into(),
            unit.parent_id.into(),
            unit.name.as_deref().unwrap_or_default().into(),
            rules_json(unit)?.into(),
            now.into(),
        ],
    )?;
    get_unit(c, org, id)
}

pub(super) fn update_unit(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    unit: &UnitInput,
) -> Result<Unit> {
    get_unit(c, org, id)?;
    check_parent(c, org, unit.parent_id, Some(id))?;
    c.execute(
        "UPDATE units SET parent_id = $1, name = $2, rules = $3 WHERE org_id = $4 AND id = $5",
        &[
            unit.parent_id.into(),
            unit.name.as_deref().unwrap_or_default().into(),
            rules_json(unit)?.into(),
            org.into(),
            id.into(),
        ],
    )?;
    get_unit(c, org, id)
}

/// Deletes a unit that has no units, people or keys under it.
pub(super) fn delete_unit(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    get_unit(c, org, id)?;
    for (table, what) in [
        ("units", "units sit under it"),
        ("users", "people belong to it"),
        ("api_keys", "API keys belong to it"),
    ] {
        let column = if table == "units" {
            "parent_id"
        } else {
            "unit_id"
        };
        let sql = format!("SELECT 1 FROM {table} WHERE org_id = $1 AND {column} = $2 LIMIT 1");
        if c.query_opt(&sql, &[org.into(), id.into()])?.is_some() {
            return Err(conflict(
                "id",
                format!("{what}: move them to another unit first"),
            ));
        }
    }
    c.execute(
        "DELETE FROM units WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?;
    Ok(())
}

/// Puts a person (`table` = users) or an API key (`api_keys`) in a unit, or in none.
pub(super) fn set_unit(
    c: &mut impl Conn,
    org: OrgId,
    table: &str,
    id: i64,
    unit: Option<i64>,
) -> Result<()> {
    if let Some(unit) = unit {
        get_unit(c, org, unit).map_err(|e| match e {
            StoreError::NotFound { .. } => conflict("unit_id", format!("no such unit {unit}")),
            other => other,
        })?;
    }
    let sql = format!("UPDATE {table} SET unit_id = $1 WHERE org_id = $2 AND id = $3");
    match c.execute(&sql, &[unit.into(), org.into(), id.into()])? {
        0 => Err(StoreError::not_found(
            if table == "users" { "user" } else { "API key" },
            id,
        )),
        _ => Ok(()),
    }
}
