//! The documents of the company's diagnosis (issue 22): each kept as the JSON of the API under
//! its kind, an answer under its assessment. The server gives them their types and meaning.

use chrono::{DateTime, Utc};
use dosvid_domain::OrgId;
use dosvid_domain::diagnosis::DocumentKind;

use crate::sql::{Conn, Row};
use crate::{Document, Result, StoreError};

const COLUMNS: &str = "id, parent_id, document, created_at, updated_at";

fn from_row(r: &Row) -> Result<Document> {
    Ok(Document {
        id: r.int(0)?,
        parent_id: r.opt_int(1)?,
        body: serde_json::from_str(r.str(2)?)
            .map_err(|e| StoreError::backend(format!("stored document: {e}")))?,
        created_at: r.time(3)?,
        updated_at: r.time(4)?,
    })
}

pub(super) fn create(
    c: &mut impl Conn,
    org: OrgId,
    kind: DocumentKind,
    parent: Option<i64>,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Document> {
    if let (Some(parent), Some(parent_kind)) = (parent, kind.parent()) {
        get(c, org, parent_kind, parent)?;
    }
    let id = c.insert_id(
        "INSERT INTO diagnosis_documents (org_id, kind, parent_id, document, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            org.into(),
            kind.as_str().into(),
            parent.into(),
            body.to_string().into(),
            now.into(),
            now.into(),
        ],
    )?;
    get(c, org, kind, id)
}

pub(super) fn get(c: &mut impl Conn, org: OrgId, kind: DocumentKind, id: i64) -> Result<Document> {
    c.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM diagnosis_documents WHERE org_id = $1 AND kind = $2 AND id = $3"
        ),
        &[org.into(), kind.as_str().into(), id.into()],
    )?
    .map(|r| from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found(kind.entity(), id))
}

pub(super) fn list(
    c: &mut impl Conn,
    org: OrgId,
    kind: DocumentKind,
    parent: Option<i64>,
) -> Result<Vec<Document>> {
    let rows = match parent {
        Some(parent) => c.query(
            &format!(
                "SELECT {COLUMNS} FROM diagnosis_documents \
                 WHERE org_id = $1 AND kind = $2 AND parent_id = $3 ORDER BY id"
            ),
            &[org.into(), kind.as_str().into(), parent.into()],
        )?,
        None => c.query(
            &format!(
                "SELECT {COLUMNS} FROM diagnosis_documents WHERE org_id = $1 AND kind = $2 ORDER BY id"
            ),
            &[org.into(), kind.as_str().into()],
        )?,
    };
    rows.iter().map(from_row).collect()
}

pub(super) fn update(
    c: &mut impl Conn,
    org: OrgId,
    kind: DocumentKind,
    id: i64,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Document> {
    let changed = c.execute(
        "UPDATE diagnosis_documents SET document = $1, updated_at = $2 \
         WHERE org_id = $3 AND kind = $4 AND id = $5",
        &[
            body.to_string().into(),
            now.into(),
            org.into(),
            kind.as_str().into(),
            id.into(),
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::not_found(kind.entity(), id));
    }
    get(c, org, kind, id)
}

pub(super) fn delete(c: &mut impl Conn, org: OrgId, kind: DocumentKind, id: i64) -> Result<()> {
    let deleted = c.execute(
        "DELETE FROM diagnosis_documents WHERE org_id = $1 AND kind = $2 AND id = $3",
        &[org.into(), kind.as_str().into(), id.into()],
    )?;
    if deleted == 0 {
        return Err(StoreError::not_found(kind.entity(), id));
    }
    Ok(())
}
