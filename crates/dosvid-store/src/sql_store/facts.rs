//! The organisation's settings, and facts: the columns analytics reads, in id order a page at a
//! time (to build the index) or for given ids (to append what was just written).

use dosvid_domain::{
    CustomerFact, FactScan, FeedbackFact, FeedbackSource, InteractionFact, OrgId, Organisation,
    OrganisationPatch, RecordKind, TransactionFact, TransactionKind,
};

use super::push_id_list;
use crate::sql::{Conn, Query, Row};
use crate::{Result, StoreError};

pub(super) fn organisation(c: &mut impl Conn, org: OrgId) -> Result<Organisation> {
    let row = c
        .query_opt(
            "SELECT id, name, time_zone, survey_fatigue_days, audit_retention_days FROM organisations WHERE id = $1",
            &[org.into()],
        )?
        .ok_or_else(|| StoreError::not_found("organisation", org))?;
    Ok(Organisation {
        id: row.int(0)?,
        name: row.text(1)?,
        time_zone: row.text(2)?,
        survey_fatigue_days: row.int(3)? as u32,
        audit_retention_days: row.int(4)? as u32,
    })
}

pub(super) fn update_organisation(
    c: &mut impl Conn,
    org: OrgId,
    patch: &OrganisationPatch,
) -> Result<Organisation> {
    if let Some(name) = &patch.name {
        c.execute(
            "UPDATE organisations SET name = $1 WHERE id = $2",
            &[name.into(), org.into()],
        )?;
    }
    if let Some(zone) = &patch.time_zone {
        c.execute(
            "UPDATE organisations SET time_zone = $1 WHERE id = $2",
            &[zone.into(), org.into()],
        )?;
    }
    if let Some(days) = patch.survey_fatigue_days {
        c.execute(
            "UPDATE organisations SET survey_fatigue_days = $1 WHERE id = $2",
            &[i64::from(days).into(), org.into()],
        )?;
    }
    if let Some(days) = patch.audit_retention_days {
        c.execute(
            "UPDATE organisations SET audit_retention_days = $1 WHERE id = $2",
            &[i64::from(days).into(), org.into()],
        )?;
    }
    organisation(c, org)
}

/// Ids per statement when reading given ids: well under every backend's parameter limit.
const IDS_PER_QUERY: usize = 1_000;

/// Reads the facts `scan` selects with `select`, turning each row into a fact with `fact`.
fn scan<T>(
    c: &mut impl Conn,
    select: &str,
    org: OrgId,
    scan: FactScan,
    fact: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut each = |row: &Row| {
        out.push(fact(row)?);
        Ok(())
    };
    match scan {
        // `+org_id`: when every row has the same org_id, a planner without statistics (SQLite)
        // would pick the (org_id, external_id) index for `org_id = ?` and sort the whole
        // organisation by id for every page; the unary plus keeps it walking the ids.
        FactScan::Page {
            after,
            through,
            limit,
        } => {
            let mut q = Query::new(select);
            q.push(
                " WHERE +org_id = {} AND id > {} AND id <= {} ORDER BY id LIMIT {}",
                [
                    org.into(),
                    after.into(),
                    through.into(),
                    (limit as i64).into(),
                ],
            );
            c.for_each_row(&q.sql, &q.params, &mut each)?;
        }
        FactScan::Ids(ids) => {
            for ids in ids.chunks(IDS_PER_QUERY) {
                let mut q = Query::new(select);
                q.push(" WHERE org_id = {} AND id IN ", [org.into()]);
                push_id_list(&mut q, ids);
                q.sql.push_str(" ORDER BY id");
                c.for_each_row(&q.sql, &q.params, &mut each)?;
            }
        }
    }
    Ok(out)
}

fn score(row: &Row, i: usize) -> Result<Option<u8>> {
    Ok(row.opt_small(i)?.and_then(|s| u8::try_from(s).ok()))
}

pub(super) fn feedback(c: &mut impl Conn, org: OrgId, s: FactScan) -> Result<Vec<FeedbackFact>> {
    let select = "SELECT id, customer_id, touchpoint_id, channel_id, source, occurred_at, nps, csat, ces, \
                  comment IS NOT NULL AND comment <> '', language, sentiment, themes, emotions, agent, team FROM feedback";
    scan(c, select, org, s, |r| {
        Ok(FeedbackFact {
            id: r.int(0)?,
            customer_id: r.opt_int(1)?,
            touchpoint_id: r.opt_int(2)?,
            channel_id: r.opt_int(3)?,
            source: FeedbackSource::parse(r.str(4)?).unwrap_or(FeedbackSource::Other),
            occurred_at: r.time(5)?.timestamp_micros(),
            nps: score(r, 6)?,
            csat: score(r, 7)?,
            ces: score(r, 8)?,
            has_comment: r.bool(9)?,
            language: r.opt_text(10)?,
            sentiment: r.opt_real(11)?,
            themes: r.opt_text(12)?,
            emotions: r.opt_small(13)?.map_or(0, |bits| bits as u8),
            agent: r.opt_text(14)?,
            team: r.opt_text(15)?,
        })
    })
}

pub(super) fn interactions(
    c: &mut impl Conn,
    org: OrgId,
    s: FactScan,
) -> Result<Vec<InteractionFact>> {
    let select = "SELECT id, customer_id, touchpoint_id, channel_id, occurred_at FROM interactions";
    scan(c, select, org, s, |r| {
        Ok(InteractionFact {
            id: r.int(0)?,
            customer_id: r.opt_int(1)?,
            touchpoint_id: r.opt_int(2)?,
            channel_id: r.int(3)?,
            occurred_at: r.time(4)?.timestamp_micros(),
        })
    })
}

pub(super) fn customers(c: &mut impl Conn, org: OrgId, s: FactScan) -> Result<Vec<CustomerFact>> {
    let select = "SELECT id, segment, region, plan, language, attributes FROM customers";
    scan(c, select, org, s, |r| {
        Ok(CustomerFact {
            id: r.int(0)?,
            segment: r.opt_text(1)?,
            region: r.opt_text(2)?,
            plan: r.opt_text(3)?,
            language: r.opt_text(4)?,
            attributes: r.attributes(5)?,
        })
    })
}

pub(super) fn transactions(
    c: &mut impl Conn,
    org: OrgId,
    s: FactScan,
) -> Result<Vec<TransactionFact>> {
    let select =
        "SELECT id, customer_id, occurred_at, amount_minor, currency, kind FROM transactions";
    scan(c, select, org, s, |r| {
        Ok(TransactionFact {
            id: r.int(0)?,
            customer_id: r.opt_int(1)?,
            occurred_at: r.time(2)?.timestamp_micros(),
            amount_minor: r.int(3)?,
            currency: r.text(4)?,
            kind: TransactionKind::parse(r.str(5)?).unwrap_or(TransactionKind::Purchase),
        })
    })
}

/// The highest id of a table's rows of the organisation.
pub(super) fn last_id(c: &mut impl Conn, org: OrgId, kind: RecordKind) -> Result<Option<i64>> {
    // Walks the ids from the top: `max(id)` with an org filter would scan the organisation.
    let sql = format!(
        "SELECT id FROM {} WHERE +org_id = $1 ORDER BY id DESC LIMIT 1",
        kind.as_str()
    );
    c.query_opt(&sql, &[org.into()])?
        .map(|r| r.int(0))
        .transpose()
}
