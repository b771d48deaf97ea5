//! The company's names for values of its data that are not things of its own (see
//! [`dosvid_domain::Term`]).

use dosvid_domain::{Names, OrgId, Term};

use crate::sql::{Conn, Row};
use crate::{Result, StoreError};

fn term_from_row(r: &Row) -> Result<Term> {
    Ok(Term {
        kind: r.text(0)?,
        key: r.text(1)?,
        names: Names::from_json(&r.text(2)?),
    })
}

pub(super) fn vocabulary(c: &mut impl Conn, org: OrgId) -> Result<Vec<Term>> {
    c.query(
        "SELECT kind, key, names FROM vocabulary WHERE org_id = $1 ORDER BY kind, key",
        &[org.into()],
    )?
    .iter()
    .map(term_from_row)
    .collect()
}

pub(super) fn set_term(c: &mut impl Conn, org: OrgId, term: &Term) -> Result<()> {
    c.execute(
        "INSERT INTO vocabulary (org_id, kind, key, names) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, kind, key) DO UPDATE SET names = excluded.names",
        &[
            org.into(),
            term.kind.as_str().into(),
            term.key.as_str().into(),
            term.names.to_json().into(),
        ],
    )?;
    Ok(())
}

pub(super) fn delete_term(c: &mut impl Conn, org: OrgId, kind: &str, key: &str) -> Result<()> {
    let n = c.execute(
        "DELETE FROM vocabulary WHERE org_id = $1 AND kind = $2 AND key = $3",
        &[org.into(), kind.into(), key.into()],
    )?;
    if n == 0 {
        return Err(StoreError::not_found("term", format!("{kind}/{key}")));
    }
    Ok(())
}
