//! Each organisation's theme taxonomy, and tagging stored comments with it again: after the
//! taxonomy changes, and for comments stored before themes existed.

use dosvid_domain::{FieldError, OrgId};
use dosvid_text::{Taxonomy, Themes};

use crate::sql::{Backend, Conn};
use crate::{Result, StoreError};

pub(super) fn taxonomy(c: &mut impl Conn, org: OrgId) -> Result<Taxonomy> {
    let row = c
        .query_opt(
            "SELECT taxonomy FROM organisations WHERE id = $1",
            &[org.into()],
        )?
        .ok_or_else(|| StoreError::not_found("organisation", org))?;
    match row.opt_text(0)? {
        None => Ok(Taxonomy::default_taxonomy().clone()),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            StoreError::Backend(format!("stored taxonomy of organisation {org}: {e}"))
        }),
    }
}

/// Checks and stores a taxonomy; the caller tags the stored comments with it.
pub(super) fn set_taxonomy(c: &mut impl Conn, org: OrgId, taxonomy: &Taxonomy) -> Result<Themes> {
    let themes = taxonomy
        .compile()
        .map_err(|e| StoreError::from(FieldError::new(e.field, e.message)))?;
    let json = serde_json::to_string(taxonomy).map_err(StoreError::backend)?;
    let changed = c.execute(
        "UPDATE organisations SET taxonomy = $1 WHERE id = $2",
        &[json.into(), org.into()],
    )?;
    if changed == 0 {
        return Err(StoreError::not_found("organisation", org));
    }
    Ok(themes)
}

/// Comments read and written back per transaction.
const PAGE: i64 = 2_000;

/// Reads the themes and emotions of an organisation's comments again (only those never tagged,
/// with `only_untagged`), a page per transaction; returns how many comments were tagged.
pub(super) fn retag<B: Backend>(
    backend: &B,
    org: OrgId,
    themes: &Themes,
    only_untagged: bool,
) -> Result<u64> {
    let select = format!(
        "SELECT id, comment FROM feedback WHERE +org_id = $1 AND id > $2 AND comment IS NOT NULL \
         AND garbage IS NULL{} ORDER BY id LIMIT $3",
        if only_untagged {
            " AND themes IS NULL"
        } else {
            ""
        }
    );
    let (mut after, mut tagged) = (i64::MIN, 0u64);
    loop {
        let rows = backend.read(|c| c.query(&select, &[org.into(), after.into(), PAGE.into()]))?;
        let Some(last) = rows.last() else {
            return Ok(tagged);
        };
        after = last.int(0)?;
        let mut updates = Vec::with_capacity(rows.len());
        for row in &rows {
            let analysis = dosvid_text::analyze_with(&row.text(1)?, themes);
            let emotions = analysis.emotions.map_or(0, |e| e.felt());
            updates.push((row.int(0)?, analysis.theme_keys().join(" "), emotions));
        }
        backend.write(|c| {
            for (id, keys, emotions) in &updates {
                c.execute(
                    "UPDATE feedback SET themes = $1, emotions = $2 WHERE org_id = $3 AND id = $4",
                    &[
                        keys.into(),
                        i16::from(*emotions).into(),
                        org.into(),
                        (*id).into(),
                    ],
                )?;
            }
            Ok(())
        })?;
        tagged += updates.len() as u64;
    }
}
