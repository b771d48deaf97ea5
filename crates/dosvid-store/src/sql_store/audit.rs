//! The audit log: appended to, listed newest first with filters, and pruned after the
//! organisation's retention period — never changed (the databases refuse an update).

use chrono::{DateTime, Utc};
use dosvid_domain::OrgId;
use dosvid_domain::audit::{ActorKind, AuditEntry, AuditFilter, AuditKind};

use super::limit;
use crate::sql::{Conn, Query, Row};
use crate::{Page, PageRequest, Result, StoreError};

const COLUMNS: &str = "id, at, kind, actor_kind, actor, address, action, object, status";

fn from_row(r: &Row) -> Result<AuditEntry> {
    let bad = |what: &str| StoreError::backend(format!("unknown audit {what}"));
    Ok(AuditEntry {
        id: r.int(0)?,
        at: r.time(1)?,
        kind: AuditKind::parse(r.str(2)?).ok_or_else(|| bad("kind"))?,
        actor_kind: ActorKind::parse(r.str(3)?).ok_or_else(|| bad("actor"))?,
        actor: r.opt_text(4)?,
        address: r.opt_text(5)?,
        action: r.text(6)?,
        object: r.opt_text(7)?,
        status: r.int(8)? as u16,
    })
}

pub(super) fn append(c: &mut impl Conn, org: OrgId, entry: &AuditEntry) -> Result<()> {
    c.execute(
        "INSERT INTO audit_log (org_id, at, kind, actor_kind, actor, address, action, object, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            org.into(),
            entry.at.into(),
            entry.kind.as_str().into(),
            entry.actor_kind.as_str().into(),
            (&entry.actor).into(),
            (&entry.address).into(),
            (&entry.action).into(),
            (&entry.object).into(),
            i64::from(entry.status).into(),
        ],
    )?;
    Ok(())
}

pub(super) fn list(
    c: &mut impl Conn,
    org: OrgId,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEntry>> {
    let limit = limit(page);
    let mut q = Query::new(&format!("SELECT {COLUMNS} FROM audit_log WHERE org_id = "));
    let p = q.param(org);
    q.sql.push_str(&p);
    q.push(" AND id < {}", [page.after.unwrap_or(i64::MAX).into()]);
    if let Some(kind) = filter.kind {
        q.push(" AND kind = {}", [kind.as_str().into()]);
    }
    if let Some(actor) = &filter.actor {
        q.push(
            " AND lower(coalesce(actor, '')) LIKE {}",
            [format!("%{}%", actor.to_lowercase()).into()],
        );
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", text.to_lowercase());
        q.push(
            " AND (lower(action) LIKE {} OR lower(coalesce(object, '')) LIKE {})",
            [pattern.clone().into(), pattern.into()],
        );
    }
    if let Some(from) = filter.from {
        q.push(" AND at >= {}", [from.into()]);
    }
    if let Some(to) = filter.to {
        q.push(" AND at < {}", [to.into()]);
    }
    q.push(" ORDER BY id DESC LIMIT {}", [i64::from(limit + 1).into()]);
    let entries = c
        .query(&q.sql, &q.params)?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(entries, limit, |e| e.id))
}

/// Drops the entries older than `before`; how many went.
pub(super) fn prune(c: &mut impl Conn, org: OrgId, before: DateTime<Utc>) -> Result<u64> {
    c.execute(
        "DELETE FROM audit_log WHERE org_id = $1 AND at < $2",
        &[org.into(), before.into()],
    )
}
