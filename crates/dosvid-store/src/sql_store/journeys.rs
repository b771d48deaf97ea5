//! Channels, journeys, stages and the touchpoint tree.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dosvid_domain::{
    Channel, ChannelKind, ChannelPatch, FieldError, Journey, JourneyPatch, Names, NewChannel,
    NewJourney, NewStage, NewTouchpoint, OrgId, Stage, StagePatch, Touchpoint, TouchpointPatch,
};

use super::{limit, push_id_list};
use crate::sql::{Conn, Query, Row, Value};
use crate::{Filter, Page, PageRequest, Result, StoreError};

// ----- channels -------------------------------------------------------------------------------

fn channel_from_row(r: &Row) -> Result<Channel> {
    Ok(Channel {
        id: r.int(0)?,
        key: r.text(1)?,
        name: r.text(2)?,
        kind: ChannelKind::parse(&r.text(3)?).unwrap_or(ChannelKind::Custom),
        names: Names::from_json(&r.text(4)?),
    })
}

const CHANNEL_UNIQUE: &str = "a channel with this key already exists";
const CHANNEL_IN_USE: &str = "signals refer to this channel";

pub(super) fn create_channel(
    c: &mut impl Conn,
    org: OrgId,
    ch: &NewChannel,
    now: DateTime<Utc>,
) -> Result<Channel> {
    let id = c
        .insert_id(
            "INSERT INTO channels (org_id, key, name, kind, created_at, names) VALUES ($1, $2, $3, $4, $5, $6)",
            &[org.into(), ch.key.as_str().into(), ch.name.as_str().into(), ch.kind.as_str().into(), now.into(), ch.names.to_json().into()],
        )
        .map_err(|e| e.in_context("key", CHANNEL_UNIQUE, CHANNEL_IN_USE))?;
    get_channel(c, org, id)
}

pub(super) fn get_channel(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Channel> {
    let row = c
        .query_opt(
            "SELECT id, key, name, kind, names FROM channels WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("channel", id))?;
    channel_from_row(&row)
}

pub(super) fn update_channel(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: &ChannelPatch,
) -> Result<Channel> {
    let current = get_channel(c, org, id)?;
    c.execute(
        "UPDATE channels SET key = $1, name = $2, kind = $3, names = $4 WHERE org_id = $5 AND id = $6",
        &[
            patch.key.as_ref().unwrap_or(&current.key).into(),
            patch.name.as_ref().unwrap_or(&current.name).into(),
            patch.kind.unwrap_or(current.kind).as_str().into(),
            patch.names.as_ref().unwrap_or(&current.names).to_json().into(),
            org.into(),
            id.into(),
        ],
    )
    .map_err(|e| e.in_context("key", CHANNEL_UNIQUE, CHANNEL_IN_USE))?;
    get_channel(c, org, id)
}

pub(super) fn delete_channel(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    let n = c
        .execute(
            "DELETE FROM channels WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )
        .map_err(|e| e.in_context("id", CHANNEL_UNIQUE, CHANNEL_IN_USE))?;
    if n == 0 {
        return Err(StoreError::not_found("channel", id));
    }
    Ok(())
}

pub(super) fn list_channels(
    c: &mut impl Conn,
    org: OrgId,
    page: PageRequest,
) -> Result<Page<Channel>> {
    let limit = limit(page);
    let rows = c.query(
        "SELECT id, key, name, kind, names FROM channels WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &[org.into(), page.after.unwrap_or(0).into(), i64::from(limit + 1).into()],
    )?;
    let channels = rows
        .iter()
        .map(channel_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(channels, limit, |c| c.id))
}

// ----- journeys and stages --------------------------------------------------------------------

const JOURNEY_UNIQUE: &str = "a journey with this key already exists";
const JOURNEY_IN_USE: &str = "signals refer to touchpoints of this journey";

fn journey_from_row(r: &Row) -> Result<Journey> {
    Ok(Journey {
        id: r.int(0)?,
        key: r.text(1)?,
        name: r.text(2)?,
        description: r.opt_text(3)?,
        names: Names::from_json(&r.text(4)?),
        stages: Vec::new(),
    })
}

fn stage_from_row(r: &Row) -> Result<Stage> {
    Ok(Stage {
        id: r.int(0)?,
        journey_id: r.int(1)?,
        name: r.text(2)?,
        position: r.int(3)?,
        description: r.opt_text(4)?,
        names: Names::from_json(&r.text(5)?),
    })
}

pub(super) fn create_journey(
    c: &mut impl Conn,
    org: OrgId,
    j: &NewJourney,
    now: DateTime<Utc>,
) -> Result<Journey> {
    let id = c
        .insert_id(
            "INSERT INTO journeys (org_id, key, name, description, created_at, names) VALUES ($1, $2, $3, $4, $5, $6)",
            &[org.into(), j.key.as_str().into(), j.name.as_str().into(), (&j.description).into(), now.into(), j.names.to_json().into()],
        )
        .map_err(|e| e.in_context("key", JOURNEY_UNIQUE, JOURNEY_IN_USE))?;
    get_journey(c, org, id)
}

pub(super) fn get_journey(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Journey> {
    let row = c
        .query_opt(
            "SELECT id, key, name, description, names FROM journeys WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("journey", id))?;
    let mut journeys = vec![journey_from_row(&row)?];
    load_stages(c, &mut journeys)?;
    Ok(journeys.pop().expect("one journey"))
}

fn load_stages(c: &mut impl Conn, journeys: &mut [Journey]) -> Result<()> {
    let mut q = Query::new(
        "SELECT id, journey_id, name, position, description, names FROM stages WHERE journey_id IN ",
    );
    push_id_list(&mut q, &journeys.iter().map(|j| j.id).collect::<Vec<_>>());
    q.sql.push_str(" ORDER BY journey_id, position");
    for row in c.query(&q.sql, &q.params)? {
        let stage = stage_from_row(&row)?;
        if let Some(j) = journeys.iter_mut().find(|j| j.id == stage.journey_id) {
            j.stages.push(stage);
        }
    }
    Ok(())
}

pub(super) fn update_journey(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: &JourneyPatch,
) -> Result<Journey> {
    let current = get_journey(c, org, id)?;
    let description = patch.description.clone().unwrap_or(current.description);
    c.execute(
        "UPDATE journeys SET key = $1, name = $2, description = $3, names = $4 WHERE org_id = $5 AND id = $6",
        &[
            patch.key.as_ref().unwrap_or(&current.key).into(),
            patch.name.as_ref().unwrap_or(&current.name).into(),
            description.into(),
            patch.names.as_ref().unwrap_or(&current.names).to_json().into(),
            org.into(),
            id.into(),
        ],
    )
    .map_err(|e| e.in_context("key", JOURNEY_UNIQUE, JOURNEY_IN_USE))?;
    get_journey(c, org, id)
}

pub(super) fn delete_journey(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    let n = c
        .execute(
            "DELETE FROM journeys WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )
        .map_err(|e| e.in_context("id", JOURNEY_UNIQUE, JOURNEY_IN_USE))?;
    if n == 0 {
        return Err(StoreError::not_found("journey", id));
    }
    Ok(())
}

pub(super) fn list_journeys(
    c: &mut impl Conn,
    org: OrgId,
    page: PageRequest,
) -> Result<Page<Journey>> {
    let limit = limit(page);
    let rows = c.query(
        "SELECT id, key, name, description, names FROM journeys WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &[org.into(), page.after.unwrap_or(0).into(), i64::from(limit + 1).into()],
    )?;
    let mut journeys = rows
        .iter()
        .map(journey_from_row)
        .collect::<Result<Vec<_>>>()?;
    load_stages(c, &mut journeys)?;
    Ok(Page::from_items(journeys, limit, |j| j.id))
}

fn get_stage(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Stage> {
    let row = c
        .query_opt(
            "SELECT id, journey_id, name, position, description, names FROM stages WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("stage", id))?;
    stage_from_row(&row)
}

/// Writes positions 1..n in the given order, touching only stages whose position changes.
fn renumber(c: &mut impl Conn, stages: &[Stage]) -> Result<()> {
    for (i, stage) in stages.iter().enumerate() {
        let position = i as i64 + 1;
        if stage.position != position {
            c.execute(
                "UPDATE stages SET position = $1 WHERE id = $2",
                &[position.into(), stage.id.into()],
            )?;
        }
    }
    Ok(())
}

pub(super) fn create_stage(
    c: &mut impl Conn,
    org: OrgId,
    journey_id: i64,
    s: &NewStage,
    now: DateTime<Utc>,
) -> Result<Stage> {
    let mut stages = get_journey(c, org, journey_id)?.stages;
    let id = c.insert_id(
        "INSERT INTO stages (org_id, journey_id, name, position, description, created_at, names) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            org.into(),
            journey_id.into(),
            s.name.as_str().into(),
            0i64.into(),
            (&s.description).into(),
            now.into(),
            s.names.to_json().into(),
        ],
    )?;
    let index = s
        .position
        .map_or(stages.len(), |p| (p as usize - 1).min(stages.len()));
    let new = Stage {
        id,
        journey_id,
        name: s.name.clone(),
        names: s.names.clone(),
        position: 0,
        description: s.description.clone(),
    };
    stages.insert(index, new);
    renumber(c, &stages)?;
    get_stage(c, org, id)
}

pub(super) fn update_stage(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: &StagePatch,
) -> Result<Stage> {
    let current = get_stage(c, org, id)?;
    let description = patch
        .description
        .clone()
        .unwrap_or(current.description.clone());
    c.execute(
        "UPDATE stages SET name = $1, description = $2, names = $3 WHERE id = $4",
        &[
            patch.name.as_ref().unwrap_or(&current.name).into(),
            description.into(),
            patch
                .names
                .as_ref()
                .unwrap_or(&current.names)
                .to_json()
                .into(),
            id.into(),
        ],
    )?;
    if let Some(position) = patch.position {
        let mut stages = get_journey(c, org, current.journey_id)?.stages;
        let from = stages
            .iter()
            .position(|s| s.id == id)
            .expect("stage in its journey");
        let stage = stages.remove(from);
        stages.insert((position as usize - 1).min(stages.len()), stage);
        renumber(c, &stages)?;
    }
    get_stage(c, org, id)
}

pub(super) fn delete_stage(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    let stage = get_stage(c, org, id)?;
    c.execute("DELETE FROM stages WHERE id = $1", &[id.into()])
        .map_err(|e| {
            e.in_context(
                "id",
                "conflict",
                "signals refer to touchpoints of this stage",
            )
        })?;
    let stages = get_journey(c, org, stage.journey_id)?.stages;
    renumber(c, &stages)
}

// ----- touchpoints ----------------------------------------------------------------------------

const TOUCHPOINT_COLUMNS: &str =
    "id, journey_id, stage_id, parent_id, key, name, moment_of_truth, owner_department, names";
const TOUCHPOINT_UNIQUE: &str = "a touchpoint with this key already exists";
const TOUCHPOINT_IN_USE: &str = "signals refer to this touchpoint or one below it";

fn touchpoint_from_row(r: &Row) -> Result<Touchpoint> {
    Ok(Touchpoint {
        id: r.int(0)?,
        journey_id: r.int(1)?,
        stage_id: r.int(2)?,
        parent_id: r.opt_int(3)?,
        key: r.text(4)?,
        name: r.text(5)?,
        moment_of_truth: r.bool(6)?,
        owner_department: r.opt_text(7)?,
        names: Names::from_json(&r.text(8)?),
        channels: Vec::new(),
    })
}

/// The ids of a touchpoint and everything below it.
pub(crate) fn subtree(c: &mut impl Conn, org: OrgId, root: i64) -> Result<Vec<i64>> {
    c.query(
        "WITH RECURSIVE sub(id) AS ( \
           SELECT id FROM touchpoints WHERE org_id = $1 AND id = $2 \
           UNION ALL SELECT t.id FROM touchpoints t JOIN sub ON t.parent_id = sub.id) \
         SELECT id FROM sub",
        &[org.into(), root.into()],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

fn channel_ids(c: &mut impl Conn, org: OrgId, keys: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let row = c.query_opt(
            "SELECT id FROM channels WHERE org_id = $1 AND key = $2",
            &[org.into(), key.into()],
        )?;
        let row = row.ok_or_else(|| {
            FieldError::new(
                format!("channels[{i}]"),
                format!("no channel with key '{key}'"),
            )
        })?;
        ids.push(row.int(0)?);
    }
    Ok(ids)
}

fn set_channels(c: &mut impl Conn, org: OrgId, touchpoint: i64, keys: &[String]) -> Result<()> {
    let ids = channel_ids(c, org, keys)?;
    c.execute(
        "DELETE FROM touchpoint_channels WHERE touchpoint_id = $1",
        &[touchpoint.into()],
    )?;
    for id in ids {
        c.execute(
            "INSERT INTO touchpoint_channels (touchpoint_id, channel_id) VALUES ($1, $2)",
            &[touchpoint.into(), id.into()],
        )?;
    }
    Ok(())
}

/// Checks that a stage and a parent exist and belong together; returns the journey.
fn place(c: &mut impl Conn, org: OrgId, stage_id: i64, parent_id: Option<i64>) -> Result<i64> {
    let stage = get_stage(c, org, stage_id)
        .map_err(|_| FieldError::new("stage_id", format!("no stage with id {stage_id}")))?;
    if let Some(parent_id) = parent_id {
        let parent = get_touchpoint(c, org, parent_id).map_err(|_| {
            FieldError::new("parent_id", format!("no touchpoint with id {parent_id}"))
        })?;
        if parent.journey_id != stage.journey_id {
            return Err(FieldError::new(
                "parent_id",
                "must be a touchpoint of the same journey as the stage",
            )
            .into());
        }
    }
    Ok(stage.journey_id)
}

pub(super) fn create_touchpoint(
    c: &mut impl Conn,
    org: OrgId,
    t: &NewTouchpoint,
    now: DateTime<Utc>,
) -> Result<Touchpoint> {
    let journey_id = place(c, org, t.stage_id, t.parent_id)?;
    let id = c
        .insert_id(
            "INSERT INTO touchpoints (org_id, journey_id, stage_id, parent_id, key, name, moment_of_truth, owner_department, created_at, names) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                org.into(),
                journey_id.into(),
                t.stage_id.into(),
                t.parent_id.into(),
                t.key.as_str().into(),
                t.name.as_str().into(),
                t.moment_of_truth.into(),
                (&t.owner_department).into(),
                now.into(),
                t.names.to_json().into(),
            ],
        )
        .map_err(|e| e.in_context("key", TOUCHPOINT_UNIQUE, TOUCHPOINT_IN_USE))?;
    set_channels(c, org, id, &t.channels)?;
    get_touchpoint(c, org, id)
}

pub(super) fn get_touchpoint(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Touchpoint> {
    let row = c
        .query_opt(
            &format!("SELECT {TOUCHPOINT_COLUMNS} FROM touchpoints WHERE org_id = $1 AND id = $2"),
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("touchpoint", id))?;
    let mut touchpoints = vec![touchpoint_from_row(&row)?];
    load_channels(c, &mut touchpoints)?;
    Ok(touchpoints.pop().expect("one touchpoint"))
}

fn load_channels(c: &mut impl Conn, touchpoints: &mut [Touchpoint]) -> Result<()> {
    if touchpoints.is_empty() {
        return Ok(());
    }
    let mut q = Query::new(
        "SELECT tc.touchpoint_id, ch.key FROM touchpoint_channels tc JOIN channels ch ON ch.id = tc.channel_id \
         WHERE tc.touchpoint_id IN ",
    );
    push_id_list(
        &mut q,
        &touchpoints.iter().map(|t| t.id).collect::<Vec<_>>(),
    );
    q.sql.push_str(" ORDER BY ch.id");
    let index: HashMap<i64, usize> = touchpoints
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id, i))
        .collect();
    for row in c.query(&q.sql, &q.params)? {
        if let Some(&i) = index.get(&row.int(0)?) {
            touchpoints[i].channels.push(row.text(1)?);
        }
    }
    Ok(())
}

pub(super) fn update_touchpoint(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: &TouchpointPatch,
) -> Result<Touchpoint> {
    let current = get_touchpoint(c, org, id)?;
    let stage_id = patch.stage_id.unwrap_or(current.stage_id);
    let parent_id = patch.parent_id.unwrap_or(current.parent_id);
    let journey_id = place(c, org, stage_id, parent_id)?;
    if journey_id != current.journey_id {
        return Err(FieldError::new(
            "stage_id",
            "must be a stage of the touchpoint's own journey",
        )
        .into());
    }
    if let Some(parent) = parent_id
        && subtree(c, org, id)?.contains(&parent)
    {
        return Err(FieldError::new(
            "parent_id",
            "must not be the touchpoint itself or one below it",
        )
        .into());
    }
    c.execute(
        "UPDATE touchpoints SET stage_id = $1, parent_id = $2, key = $3, name = $4, moment_of_truth = $5, owner_department = $6, names = $7 \
         WHERE org_id = $8 AND id = $9",
        &[
            stage_id.into(),
            parent_id.into(),
            patch.key.as_ref().unwrap_or(&current.key).into(),
            patch.name.as_ref().unwrap_or(&current.name).into(),
            patch.moment_of_truth.unwrap_or(current.moment_of_truth).into(),
            patch.owner_department.clone().unwrap_or(current.owner_department).into(),
            patch.names.as_ref().unwrap_or(&current.names).to_json().into(),
            org.into(),
            id.into(),
        ],
    )
    .map_err(|e| e.in_context("key", TOUCHPOINT_UNIQUE, TOUCHPOINT_IN_USE))?;
    if stage_id != current.stage_id {
        // Everything below a moved touchpoint moves to its new stage with it.
        let mut q = Query::new("UPDATE touchpoints SET stage_id = ");
        let p = q.param(stage_id);
        q.sql.push_str(&p);
        q.push(" WHERE org_id = {} AND id IN ", [org.into()]);
        push_id_list(&mut q, &subtree(c, org, id)?);
        c.execute(&q.sql, &q.params)?;
    }
    if let Some(channels) = &patch.channels {
        set_channels(c, org, id, channels)?;
    }
    get_touchpoint(c, org, id)
}

pub(super) fn delete_touchpoint(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    let n = c
        .execute(
            "DELETE FROM touchpoints WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )
        .map_err(|e| e.in_context("id", TOUCHPOINT_UNIQUE, TOUCHPOINT_IN_USE))?;
    if n == 0 {
        return Err(StoreError::not_found("touchpoint", id));
    }
    Ok(())
}

pub(super) fn list_touchpoints(
    c: &mut impl Conn,
    org: OrgId,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<Touchpoint>> {
    let limit = limit(page);
    let mut q = Query::new(&format!(
        "SELECT {TOUCHPOINT_COLUMNS} FROM touchpoints WHERE org_id = "
    ));
    let p = q.param(org);
    q.sql.push_str(&p);
    if let Some(after) = page.after {
        q.push(" AND id > {}", [after.into()]);
    }
    if let Some(root) = filter.touchpoint_id {
        q.sql.push_str(" AND id IN ");
        push_id_list(&mut q, &subtree(c, org, root)?);
    }
    if let Some(channel) = filter.channel_id {
        q.push(
            " AND id IN (SELECT touchpoint_id FROM touchpoint_channels WHERE channel_id = {})",
            [Value::Int(channel)],
        );
    }
    q.push(" ORDER BY id LIMIT {}", [i64::from(limit + 1).into()]);
    let mut touchpoints = c
        .query(&q.sql, &q.params)?
        .iter()
        .map(touchpoint_from_row)
        .collect::<Result<Vec<_>>>()?;
    load_channels(c, &mut touchpoints)?;
    Ok(Page::from_items(touchpoints, limit, |t| t.id))
}
