//! Customers and their identities.

use chrono::{DateTime, Utc};
use dosvid_domain::{Customer, CustomerPatch, Identity, IdentityKind, NewCustomer, OrgId};

use super::{limit, push_id_list};
use crate::sql::{Conn, Query, Row, Value};
use crate::{Filter, Page, PageRequest, Result, StoreError};

const COLUMNS: &str =
    "id, external_id, name, language, segment, region, plan, attributes, created_at";

fn from_row(r: &Row) -> Result<Customer> {
    Ok(Customer {
        id: r.int(0)?,
        external_id: r.opt_text(1)?,
        name: r.opt_text(2)?,
        language: r.opt_text(3)?,
        segment: r.opt_text(4)?,
        region: r.opt_text(5)?,
        plan: r.opt_text(6)?,
        attributes: r.attributes(7)?,
        identities: Vec::new(),
        created_at: r.time(8)?,
    })
}

fn identity_field(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Email => "email",
        IdentityKind::Phone => "phone",
        IdentityKind::External | IdentityKind::Social => "identities",
    }
}

/// The customer who owns an identity, if any.
pub(super) fn identity_owner(
    c: &mut impl Conn,
    org: OrgId,
    identity: &Identity,
) -> Result<Option<i64>> {
    c.query_opt(
        "SELECT customer_id FROM customer_identities WHERE org_id = $1 AND kind = $2 AND value = $3",
        &[org.into(), identity.kind.as_str().into(), identity.value.as_str().into()],
    )?
    .map(|r| r.int(0))
    .transpose()
}

/// The customer a person would type to find: a CRM id, an e-mail or a phone number.
pub(super) fn customer_names(
    c: &mut impl Conn,
    org: OrgId,
    ids: &[i64],
) -> Result<Vec<(i64, String)>> {
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(PageRequest::MAX_LIMIT as usize) {
        let mut q = Query::new("SELECT id, name FROM customers WHERE org_id = ");
        let p = q.param(org);
        q.sql.push_str(&p);
        q.sql.push_str(" AND name IS NOT NULL AND id IN ");
        push_id_list(&mut q, part);
        for row in c.query(&q.sql, &q.params)? {
            found.push((row.int(0)?, row.text(1)?));
        }
    }
    Ok(found)
}

pub(super) fn find_customer(c: &mut impl Conn, org: OrgId, text: &str) -> Result<Option<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(row) = c.query_opt(
        "SELECT id FROM customers WHERE org_id = $1 AND external_id = $2",
        &[org.into(), text.into()],
    )? {
        return Ok(Some(row.int(0)?));
    }
    for kind in [IdentityKind::Email, IdentityKind::Phone] {
        if let Ok(identity) = Identity::parse(kind, text, "q")
            && let Some(id) = identity_owner(c, org, &identity)?
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Adds an identity unless someone already owns it; returns whether it was added.
pub(super) fn attach_identity(
    c: &mut impl Conn,
    org: OrgId,
    customer: i64,
    identity: &Identity,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = c.execute(
        "INSERT INTO customer_identities (org_id, customer_id, kind, value, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, kind, value) DO NOTHING",
        &[org.into(), customer.into(), identity.kind.as_str().into(), identity.value.as_str().into(), now.into()],
    )?;
    Ok(n == 1)
}

/// Gives a customer just created its identities. If another transaction created the same
/// person meanwhile (its identity committed while this one waited on it), the new profile is
/// dropped and the other's id returned: the person is never split in two, and no customer is
/// left without the identity that made it.
pub(super) fn claim_identities(
    c: &mut impl Conn,
    org: OrgId,
    created: i64,
    identities: &[Identity],
    now: DateTime<Utc>,
) -> Result<i64> {
    for identity in identities {
        if attach_identity(c, org, created, identity, now)? {
            continue;
        }
        if let Some(owner) = identity_owner(c, org, identity)?
            && owner != created
        {
            for sql in [
                "DELETE FROM customer_identities WHERE org_id = $1 AND customer_id = $2",
                "DELETE FROM customers WHERE org_id = $1 AND id = $2",
            ] {
                c.execute(sql, &[org.into(), created.into()])?;
            }
            return Ok(owner);
        }
    }
    Ok(created)
}

fn add_identities(
    c: &mut impl Conn,
    org: OrgId,
    customer: i64,
    identities: &[Identity],
    now: DateTime<Utc>,
) -> Result<()> {
    for identity in identities {
        match identity_owner(c, org, identity)? {
            Some(owner) if owner == customer => {}
            Some(owner) => {
                return Err(StoreError::Conflict {
                    field: identity_field(identity.kind).into(),
                    message: format!(
                        "{} {} already belongs to customer {owner}",
                        identity.kind.as_str(),
                        identity.value
                    ),
                });
            }
            None => {
                attach_identity(c, org, customer, identity, now)?;
            }
        }
    }
    Ok(())
}

pub(super) fn insert_customer(
    c: &mut impl Conn,
    org: OrgId,
    customer: &NewCustomer,
    now: DateTime<Utc>,
) -> Result<i64> {
    c.insert_id(
        "INSERT INTO customers (org_id, external_id, name, language, segment, region, plan, attributes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        &[
            org.into(),
            (&customer.external_id).into(),
            (&customer.name).into(),
            (&customer.language).into(),
            (&customer.segment).into(),
            (&customer.region).into(),
            (&customer.plan).into(),
            (&customer.attributes).into(),
            now.into(),
        ],
    )
    .map_err(|e| e.in_context("external_id", "a customer with this external_id already exists", "conflict"))
}

pub(super) fn create_customer(
    c: &mut impl Conn,
    org: OrgId,
    customer: &NewCustomer,
    now: DateTime<Utc>,
) -> Result<Customer> {
    let id = insert_customer(c, org, customer, now)?;
    add_identities(c, org, id, &customer.identities, now)?;
    get_customer(c, org, id)
}

pub(super) fn get_customer(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Customer> {
    let row = c
        .query_opt(
            &format!("SELECT {COLUMNS} FROM customers WHERE org_id = $1 AND id = $2"),
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("customer", id))?;
    let mut customers = vec![from_row(&row)?];
    load_identities(c, &mut customers)?;
    Ok(customers.pop().expect("one customer"))
}

fn load_identities(c: &mut impl Conn, customers: &mut [Customer]) -> Result<()> {
    if customers.is_empty() {
        return Ok(());
    }
    let mut q = Query::new(
        "SELECT customer_id, kind, value FROM customer_identities WHERE customer_id IN ",
    );
    push_id_list(&mut q, &customers.iter().map(|c| c.id).collect::<Vec<_>>());
    q.sql.push_str(" ORDER BY kind, value");
    for row in c.query(&q.sql, &q.params)? {
        let customer_id = row.int(0)?;
        let kind = IdentityKind::parse(&row.text(1)?)
            .ok_or_else(|| StoreError::Backend("unknown identity kind".into()))?;
        if let Some(customer) = customers.iter_mut().find(|c| c.id == customer_id) {
            customer.identities.push(Identity {
                kind,
                value: row.text(2)?,
            });
        }
    }
    Ok(())
}

pub(super) fn update_customer(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: &CustomerPatch,
) -> Result<Customer> {
    let now = Utc::now();
    apply_patch(c, org, id, patch, now)?;
    add_identities(c, org, id, &patch.add_identities, now)?;
    get_customer(c, org, id)
}

/// Writes the profile fields a patch sets.
pub(super) fn apply_patch(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: &CustomerPatch,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut q = Query::new("UPDATE customers SET ");
    q.push("updated_at = {}", [now.into()]);
    let texts = [
        ("name", &patch.name),
        ("language", &patch.language),
        ("segment", &patch.segment),
        ("region", &patch.region),
        ("plan", &patch.plan),
    ];
    for (column, value) in texts {
        if let Some(value) = value {
            q.push(&format!(", {column} = {{}}"), [Value::from(value)]);
        }
    }
    if let Some(attributes) = &patch.attributes {
        q.push(", attributes = {}", [Value::from(attributes)]);
    }
    q.push(" WHERE org_id = {} AND id = {}", [org.into(), id.into()]);
    if c.execute(&q.sql, &q.params)? == 0 {
        return Err(StoreError::not_found("customer", id));
    }
    Ok(())
}

/// Erases a customer (a request to be forgotten): every text they wrote or that was written
/// about them — comments with what was read in them, survey answers, the texts of their cases
/// and case notes, record attributes, the webhook payloads that carried them — is removed, and
/// then the profile and identities as [`delete_customer`] does. Their scores stay, anonymised,
/// so the organisation's aggregates keep counting them.
pub(super) fn erase_customer(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    get_customer(c, org, id)?;
    let by_customer = [
        "UPDATE feedback SET comment = NULL, language = NULL, sentiment = NULL, garbage = NULL,          themes = NULL, emotions = NULL, attributes = NULL WHERE org_id = $1 AND customer_id = $2",
        "UPDATE interactions SET attributes = NULL WHERE org_id = $1 AND customer_id = $2",
        "UPDATE transactions SET attributes = NULL WHERE org_id = $1 AND customer_id = $2",
        "UPDATE survey_responses SET answers = '{}' WHERE org_id = $1 AND customer_id = $2",
        "UPDATE case_events SET text = '' WHERE org_id = $1 AND case_id IN          (SELECT id FROM cases WHERE org_id = $1 AND customer_id = $2)",
        "UPDATE cases SET title = '—', description = NULL, root_cause = NULL, resolution = NULL          WHERE org_id = $1 AND customer_id = $2",
    ];
    for sql in by_customer {
        c.execute(sql, &[org.into(), id.into()])?;
    }
    // Events already written for webhooks carried the records whole.
    for end in [",", "}"] {
        c.execute(
            "UPDATE webhook_deliveries SET payload = '{\"erased\":true}'              WHERE org_id = $1 AND payload LIKE $2",
            &[org.into(), format!("%\"customer_id\":{id}{end}%").into()],
        )?;
    }
    delete_customer(c, org, id)
}

pub(super) fn delete_customer(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    // Signals keep their scores for the metrics but lose the link to the person.
    for table in [
        "feedback",
        "interactions",
        "transactions",
        "survey_invitations",
        "survey_responses",
        "cases",
    ] {
        c.execute(
            &format!(
                "UPDATE {table} SET customer_id = NULL WHERE org_id = $1 AND customer_id = $2"
            ),
            &[org.into(), id.into()],
        )?;
    }
    c.execute(
        "DELETE FROM customer_identities WHERE org_id = $1 AND customer_id = $2",
        &[org.into(), id.into()],
    )?;
    if c.execute(
        "DELETE FROM customers WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )? == 0
    {
        return Err(StoreError::not_found("customer", id));
    }
    Ok(())
}

pub(super) fn list_customers(
    c: &mut impl Conn,
    org: OrgId,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<Customer>> {
    let limit = limit(page);
    // `+org_id`: see `facts::scan`.
    let mut q = Query::new(&format!("SELECT {COLUMNS} FROM customers WHERE +org_id = "));
    let p = q.param(org);
    q.sql.push_str(&p);
    if let Some(after) = page.after {
        q.push(" AND id > {}", [after.into()]);
    }
    if let Some(from) = filter.from {
        q.push(" AND created_at >= {}", [from.into()]);
    }
    if let Some(to) = filter.to {
        q.push(" AND created_at < {}", [to.into()]);
    }
    if let Some(id) = filter.customer_id {
        q.push(" AND id = {}", [id.into()]);
    }
    if let Some(text) = filter
        .name
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        // LIKE folds no Cyrillic case in SQLite: the text is tried as typed and capitalised.
        let escaped: String = text
            .chars()
            .flat_map(|ch| match ch {
                '\\' | '%' | '_' => vec!['\\', ch],
                ch => vec![ch],
            })
            .collect();
        let mut chars = escaped.chars();
        let capital: String = chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        });
        q.push(
            " AND (name LIKE {} ESCAPE '\\'",
            [format!("%{escaped}%").into()],
        );
        q.push(
            " OR name LIKE {} ESCAPE '\\')",
            [format!("%{capital}%").into()],
        );
    }
    if let Some(tp) = filter.touchpoint_id {
        let subtree = super::journeys::subtree(c, org, tp)?;
        for (i, table) in ["feedback", "interactions"].iter().enumerate() {
            q.sql.push_str(if i == 0 {
                " AND (id IN ("
            } else {
                " OR id IN ("
            });
            q.push(
                &format!(
                    "SELECT customer_id FROM {table} WHERE org_id = {{}} AND touchpoint_id IN "
                ),
                [org.into()],
            );
            push_id_list(&mut q, &subtree);
            q.sql.push(')');
        }
        q.sql.push(')');
    }
    if let Some(channel) = filter.channel_id {
        q.push(
            " AND (id IN (SELECT customer_id FROM feedback WHERE org_id = {} AND channel_id = {}) \
             OR id IN (SELECT customer_id FROM interactions WHERE org_id = {} AND channel_id = {}))",
            [org.into(), channel.into(), org.into(), channel.into()],
        );
    }
    q.push(" ORDER BY id LIMIT {}", [i64::from(limit + 1).into()]);
    let mut customers = c
        .query(&q.sql, &q.params)?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
    load_identities(c, &mut customers)?;
    Ok(Page::from_items(customers, limit, |c| c.id))
}

fn consent_from_row(r: &Row) -> Result<dosvid_domain::Consent> {
    Ok(dosvid_domain::Consent {
        id: r.int(0)?,
        customer_id: r.int(1)?,
        purpose: r.text(2)?,
        granted: r.bool(3)?,
        channel: r.opt_text(4)?,
        at: r.time(5)?,
    })
}

pub(super) fn record_consent(
    c: &mut impl Conn,
    org: OrgId,
    customer: i64,
    consent: &dosvid_domain::ConsentInput,
    now: DateTime<Utc>,
) -> Result<dosvid_domain::Consent> {
    get_customer(c, org, customer)?;
    let id = c.insert_id(
        "INSERT INTO consents (org_id, customer_id, purpose, granted, channel, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            org.into(),
            customer.into(),
            (&consent.purpose).into(),
            consent.granted.into(),
            (&consent.channel).into(),
            consent.at.unwrap_or(now).into(),
        ],
    )?;
    let row = c.query_one(
        "SELECT id, customer_id, purpose, granted, channel, at FROM consents WHERE id = $1",
        &[id.into()],
    )?;
    consent_from_row(&row)
}

/// A customer's consents, newest first: the first of each purpose is in force.
pub(super) fn consents(
    c: &mut impl Conn,
    org: OrgId,
    customer: i64,
) -> Result<Vec<dosvid_domain::Consent>> {
    c.query(
        "SELECT id, customer_id, purpose, granted, channel, at FROM consents \
         WHERE org_id = $1 AND customer_id = $2 ORDER BY at DESC, id DESC",
        &[org.into(), customer.into()],
    )?
    .iter()
    .map(consent_from_row)
    .collect()
}
