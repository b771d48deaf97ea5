//! Joining two profiles of one person, undoing it within 30 days, and the pairs that look like
//! one person. A merge keeps what it needs to be undone: the survivor as it was, the merged
//! profile whole, and the ids of every record it moved.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dosvid_domain::{Customer, CustomerMerge, DuplicateSuggestion, OrgId};

use super::directory::get_customer;
use crate::sql::{Conn, Row};
use crate::{Result, StoreError};

/// The tables whose rows name a customer, and so move with a merge.
const MOVED: [&str; 7] = [
    "consents",
    "feedback",
    "interactions",
    "transactions",
    "survey_invitations",
    "survey_responses",
    "cases",
];

fn conflict(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        field: field.into(),
        message: message.into(),
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(StoreError::backend)
}

fn merge_from_row(r: &Row) -> Result<CustomerMerge> {
    let moved: BTreeMap<String, Vec<i64>> =
        serde_json::from_str(r.str(3)?).map_err(StoreError::backend)?;
    Ok(CustomerMerge {
        id: r.int(0)?,
        survivor_id: r.int(1)?,
        merged_id: r.int(2)?,
        moved: moved.into_iter().map(|(k, v)| (k, v.len())).collect(),
        merged_at: r.time(4)?,
        undone_at: r.opt_time(5)?,
    })
}

const COLUMNS: &str = "id, survivor_id, merged_id, moved, merged_at, undone_at";

fn write_profile(
    c: &mut impl Conn,
    org: OrgId,
    customer: &Customer,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "UPDATE customers SET name = $1, language = $2, segment = $3, region = $4, plan = $5, \
         attributes = $6, updated_at = $7 WHERE org_id = $8 AND id = $9",
        &[
            (&customer.name).into(),
            (&customer.language).into(),
            (&customer.segment).into(),
            (&customer.region).into(),
            (&customer.plan).into(),
            (&customer.attributes).into(),
            now.into(),
            org.into(),
            customer.id.into(),
        ],
    )?;
    Ok(())
}

/// Moves everything of `merged` to `survivor`: identities, every record, and the attributes the
/// survivor lacks (where both have one, the survivor's stays); then the merged profile goes.
pub(super) fn merge(
    c: &mut impl Conn,
    org: OrgId,
    survivor: i64,
    merged: i64,
    now: DateTime<Utc>,
) -> Result<CustomerMerge> {
    if survivor == merged {
        return Err(StoreError::invalid(
            "merge",
            "a customer cannot be merged into itself",
        ));
    }
    let before = get_customer(c, org, survivor)?;
    let gone = get_customer(c, org, merged)?;
    let mut moved: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for table in MOVED {
        let ids: Vec<i64> = c
            .query(
                &format!("SELECT id FROM {table} WHERE org_id = $1 AND customer_id = $2"),
                &[org.into(), merged.into()],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<_>>()?;
        c.execute(
            &format!("UPDATE {table} SET customer_id = $1 WHERE org_id = $2 AND customer_id = $3"),
            &[survivor.into(), org.into(), merged.into()],
        )?;
        moved.insert(table.to_owned(), ids);
    }
    c.execute(
        "UPDATE customer_identities SET customer_id = $1 WHERE org_id = $2 AND customer_id = $3",
        &[survivor.into(), org.into(), merged.into()],
    )?;
    let mut after = before.clone();
    for (mine, theirs) in [
        (&mut after.name, &gone.name),
        (&mut after.language, &gone.language),
        (&mut after.segment, &gone.segment),
        (&mut after.region, &gone.region),
        (&mut after.plan, &gone.plan),
    ] {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    }
    for (key, value) in &gone.attributes {
        after
            .attributes
            .entry(key.clone())
            .or_insert_with(|| value.clone());
    }
    write_profile(c, org, &after, now)?;
    c.execute(
        "DELETE FROM customers WHERE org_id = $1 AND id = $2",
        &[org.into(), merged.into()],
    )?;
    let id = c.insert_id(
        "INSERT INTO customer_merges (org_id, survivor_id, merged_id, survivor_before, merged_customer, \
         moved, merged_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            org.into(),
            survivor.into(),
            merged.into(),
            to_json(&before)?.into(),
            to_json(&gone)?.into(),
            to_json(&moved)?.into(),
            now.into(),
        ],
    )?;
    get_merge(c, org, id)
}

pub(super) fn get_merge(c: &mut impl Conn, org: OrgId, id: i64) -> Result<CustomerMerge> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM customer_merges WHERE org_id = $1 AND id = $2"),
        &[org.into(), id.into()],
    )?
    .map(|r| merge_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found("merge", id))
}

pub(super) fn list_merges(c: &mut impl Conn, org: OrgId) -> Result<Vec<CustomerMerge>> {
    c.query(
        &format!(
            "SELECT {COLUMNS} FROM customer_merges WHERE org_id = $1 ORDER BY id DESC LIMIT 500"
        ),
        &[org.into()],
    )?
    .iter()
    .map(merge_from_row)
    .collect()
}

/// Puts both profiles back as they were, with their own identities and records.
pub(super) fn undo(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<CustomerMerge> {
    let row = c
        .query_opt(
            "SELECT survivor_id, merged_id, survivor_before, merged_customer, moved, merged_at, undone_at \
             FROM customer_merges WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("merge", id))?;
    if row.opt_time(6)?.is_some() {
        return Err(conflict("merge", "this merge was undone already"));
    }
    if now - row.time(5)? > chrono::Duration::days(CustomerMerge::UNDO_DAYS) {
        return Err(conflict(
            "merge",
            format!(
                "a merge can be undone for {} days",
                CustomerMerge::UNDO_DAYS
            ),
        ));
    }
    let survivor = row.int(0)?;
    let before: Customer = serde_json::from_str(row.str(2)?).map_err(StoreError::backend)?;
    let gone: Customer = serde_json::from_str(row.str(3)?).map_err(StoreError::backend)?;
    let moved: BTreeMap<String, Vec<i64>> =
        serde_json::from_str(row.str(4)?).map_err(StoreError::backend)?;
    get_customer(c, org, survivor)?;
    c.execute(
        "INSERT INTO customers (id, org_id, external_id, name, language, segment, region, plan, \
         attributes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            gone.id.into(),
            org.into(),
            (&gone.external_id).into(),
            (&gone.name).into(),
            (&gone.language).into(),
            (&gone.segment).into(),
            (&gone.region).into(),
            (&gone.plan).into(),
            (&gone.attributes).into(),
            gone.created_at.into(),
            now.into(),
        ],
    )
    .map_err(|e| {
        e.in_context(
            "merge",
            "the merged profile's CRM id is now someone else's",
            "",
        )
    })?;
    for identity in &gone.identities {
        c.execute(
            "UPDATE customer_identities SET customer_id = $1 \
             WHERE org_id = $2 AND kind = $3 AND value = $4 AND customer_id = $5",
            &[
                gone.id.into(),
                org.into(),
                identity.kind.as_str().into(),
                (&identity.value).into(),
                survivor.into(),
            ],
        )?;
    }
    for (table, ids) in &moved {
        if !MOVED.contains(&table.as_str()) {
            return Err(StoreError::backend(format!(
                "unknown table {table} in a merge"
            )));
        }
        for chunk in ids.chunks(500) {
            let mut q = crate::sql::Query::new(&format!("UPDATE {table} SET customer_id = "));
            let p = q.param(gone.id);
            q.sql.push_str(&p);
            q.push(" WHERE org_id = {}", [org.into()]);
            q.push(" AND customer_id = {}", [survivor.into()]);
            q.sql.push_str(" AND id IN ");
            super::push_id_list(&mut q, chunk);
            c.execute(&q.sql, &q.params)?;
        }
    }
    write_profile(c, org, &before, now)?;
    c.execute(
        "UPDATE customer_merges SET undone_at = $1 WHERE org_id = $2 AND id = $3",
        &[now.into(), org.into(), id.into()],
    )?;
    get_merge(c, org, id)
}

/// Pairs that look like one person: the same name (ignoring case, compared here: SQLite's
/// `lower` folds only ASCII) in the same region, or phone numbers with the same last nine
/// digits (one number written with and without its country). At most 200 of each.
pub(super) fn duplicates(c: &mut impl Conn, org: OrgId) -> Result<Vec<DuplicateSuggestion>> {
    let mut out = Vec::new();
    let push = |pair: [i64; 2], reason: &str, out: &mut Vec<DuplicateSuggestion>| {
        if !out
            .iter()
            .any(|d: &DuplicateSuggestion| d.customer_ids == pair)
        {
            out.push(DuplicateSuggestion {
                customer_ids: pair,
                reason: reason.into(),
            });
        }
    };
    let mut people: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for row in c.query(
        "SELECT id, name, region FROM customers WHERE org_id = $1 AND name IS NOT NULL \
         AND region IS NOT NULL ORDER BY id",
        &[org.into()],
    )? {
        let key = (row.str(1)?.trim().to_lowercase(), row.text(2)?);
        people.entry(key).or_default().push(row.int(0)?);
    }
    let mut named = 0;
    for ids in people.values().filter(|ids| ids.len() > 1) {
        for pair in ids.windows(2) {
            if named < 200 {
                push([pair[0], pair[1]], "same_name_and_region", &mut out);
                named += 1;
            }
        }
    }
    // Grouped here by the last nine digits, not by a self-join on them: the join compared
    // every pair of numbers (a minute at 20,000 customers).
    let mut phones: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in c.query(
        "SELECT customer_id, value FROM customer_identities WHERE org_id = $1 AND kind = 'phone' \
         ORDER BY customer_id",
        &[org.into()],
    )? {
        let value = row.text(1)?;
        let tail = value.get(value.len().saturating_sub(9)..).unwrap_or(&value);
        phones.entry(tail.to_owned()).or_default().push(row.int(0)?);
    }
    let mut pairs: Vec<[i64; 2]> = Vec::new();
    for ids in phones.values_mut().filter(|ids| ids.len() > 1) {
        ids.dedup();
        for (i, a) in ids.iter().enumerate() {
            pairs.extend(ids[i + 1..].iter().map(|b| [*a, *b]));
        }
    }
    pairs.sort_unstable();
    for pair in pairs.into_iter().take(200) {
        push(pair, "same_phone_number", &mut out);
    }
    Ok(out)
}
