//! Ingestion of signals and their lists. A batch resolves every reference inside its own
//! transaction, so a record is stored with all it points at, or not at all.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use foldhash::HashMap;

use dosvid_domain::{
    BatchReport, CustomerRef, Feedback, FeedbackSource, FieldError, Interaction, NewCustomer,
    NewFeedback, NewInteraction, NewTransaction, OrgId, RecordKind, Ref, Rejection, Transaction,
    TransactionKind,
};

use super::{directory, journeys, limit, push_id_list};
use crate::sql::{Conn, Query, Row, Value};
use crate::{Filter, Idempotency, Page, PageRequest, Result, Signals, StoreError};

/// What happened to one valid record.
enum Stored {
    Created(i64),
    Duplicate(i64),
}

/// Caches the references of one batch: most records of a batch name the same few touchpoints
/// and channels, and a customer often appears many times. Hashed with foldhash: a
/// look-up per record on the writer's path, and still seeded per process against crafted keys.
#[derive(Default)]
struct Resolver {
    touchpoints: HashMap<Ref, Option<i64>>,
    channels: HashMap<Ref, Option<i64>>,
    customers: HashMap<CustomerRef, i64>,
    /// An interaction's id with its agent and team.
    interactions: HashMap<Ref, Option<Served>>,
}

/// The interaction a feedback record answers for: its id, and who served the customer.
type Served = (i64, Option<String>, Option<String>);

impl Resolver {
    fn lookup(
        c: &mut impl Conn,
        cache: &mut HashMap<Ref, Option<i64>>,
        table: &str,
        org: OrgId,
        r: &Ref,
    ) -> Result<Option<i64>> {
        if let Some(found) = cache.get(r) {
            return Ok(*found);
        }
        let (column, value) = match r {
            Ref::Id(id) => ("id", Value::Int(*id)),
            Ref::Key(key) => ("key", Value::from(key)),
        };
        let sql = format!("SELECT id FROM {table} WHERE org_id = $1 AND {column} = $2");
        let found = c
            .query_opt(&sql, &[org.into(), value])?
            .map(|r| r.int(0))
            .transpose()?;
        cache.insert(r.clone(), found);
        Ok(found)
    }

    fn interaction(
        &mut self,
        c: &mut impl Conn,
        org: OrgId,
        r: &Ref,
    ) -> Result<Result<Served, FieldError>> {
        if !self.interactions.contains_key(r) {
            let (column, value) = match r {
                Ref::Id(id) => ("id", Value::Int(*id)),
                Ref::Key(external) => ("external_id", Value::from(external)),
            };
            let sql = format!(
                "SELECT id, agent, team FROM interactions WHERE org_id = $1 AND {column} = $2"
            );
            let found = c
                .query_opt(&sql, &[org.into(), value])?
                .map(|row| Ok::<_, StoreError>((row.int(0)?, row.opt_text(1)?, row.opt_text(2)?)))
                .transpose()?;
            self.interactions.insert(r.clone(), found);
        }
        Ok(self.interactions[r].clone().ok_or_else(|| match r {
            Ref::Id(id) => {
                FieldError::new("interaction_id", format!("no interaction with id {id}"))
            }
            Ref::Key(external) => FieldError::new(
                "interaction_external_id",
                format!("no interaction with external id '{external}'"),
            ),
        }))
    }

    fn touchpoint(
        &mut self,
        c: &mut impl Conn,
        org: OrgId,
        r: &Ref,
    ) -> Result<Result<i64, FieldError>> {
        Ok(
            Self::lookup(c, &mut self.touchpoints, "touchpoints", org, r)?.ok_or_else(|| match r {
                Ref::Id(id) => {
                    FieldError::new("touchpoint_id", format!("no touchpoint with id {id}"))
                }
                Ref::Key(key) => {
                    FieldError::new("touchpoint", format!("no touchpoint with key '{key}'"))
                }
            }),
        )
    }

    fn channel(
        &mut self,
        c: &mut impl Conn,
        org: OrgId,
        r: &Ref,
    ) -> Result<Result<i64, FieldError>> {
        Ok(
            Self::lookup(c, &mut self.channels, "channels", org, r)?.ok_or_else(|| match r {
                Ref::Id(id) => FieldError::new("channel_id", format!("no channel with id {id}")),
                Ref::Key(key) => FieldError::new("channel", format!("no channel with key '{key}'")),
            }),
        )
    }

    /// Finds the customer a reference names, creating one when nobody matches. Identities in the
    /// reference that nobody owns yet are attached to the customer found.
    /// Looks up, a few hundred at a time, the customers that records name by CRM id alone, so that
    /// a batch of thousands asks the database a few dozen times instead of once per record.
    /// References with identities are left to [`Resolver::customer`], which also attaches them.
    fn prefetch_customers<'a>(
        &mut self,
        c: &mut impl Conn,
        org: OrgId,
        refs: impl Iterator<Item = &'a CustomerRef>,
    ) -> Result<()> {
        const IN_LIST: usize = 500;
        let mut wanted: Vec<&CustomerRef> = refs
            .filter(|r| r.id.is_none() && r.identities.is_empty() && r.external_id.is_some())
            .collect();
        wanted.sort_unstable_by(|a, b| a.external_id.cmp(&b.external_id));
        wanted.dedup_by(|a, b| a.external_id == b.external_id);
        for part in wanted.chunks(IN_LIST) {
            let placeholders: Vec<String> = (2..part.len() + 2).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT external_id, id FROM customers WHERE org_id = $1 AND external_id IN ({})",
                placeholders.join(", ")
            );
            let mut params = Vec::with_capacity(part.len() + 1);
            params.push(Value::from(org));
            params.extend(part.iter().map(|r| Value::from(&r.external_id)));
            let mut found: HashMap<String, i64> = HashMap::default();
            for row in c.query(&sql, &params)? {
                found.insert(row.text(0)?, row.int(1)?);
            }
            for r in part {
                if let Some(&id) = r.external_id.as_ref().and_then(|e| found.get(e)) {
                    self.customers.insert((*r).clone(), id);
                }
            }
        }
        Ok(())
    }

    fn customer(
        &mut self,
        c: &mut impl Conn,
        org: OrgId,
        r: &CustomerRef,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, FieldError>> {
        if let Some(&id) = self.customers.get(r) {
            return Ok(Ok(id));
        }
        let mut found = None;
        if let Some(id) = r.id {
            let exists = c.query_opt(
                "SELECT id FROM customers WHERE org_id = $1 AND id = $2",
                &[org.into(), id.into()],
            )?;
            if exists.is_none() {
                return Ok(Err(FieldError::new(
                    "customer_id",
                    format!("no customer with id {id}"),
                )));
            }
            found = Some(id);
        }
        if found.is_none()
            && let Some(external_id) = &r.external_id
        {
            found = c
                .query_opt(
                    "SELECT id FROM customers WHERE org_id = $1 AND external_id = $2",
                    &[org.into(), external_id.into()],
                )?
                .map(|r| r.int(0))
                .transpose()?;
        }
        for identity in &r.identities {
            if found.is_some() {
                break;
            }
            found = directory::identity_owner(c, org, identity)?;
            // The CRM id was unknown, but the person is: remember the CRM id on their profile.
            if let (Some(id), Some(external_id)) = (found, &r.external_id) {
                c.execute(
                    "UPDATE customers SET external_id = $1 WHERE id = $2 AND external_id IS NULL",
                    &[external_id.into(), id.into()],
                )?;
            }
        }
        let id = match found {
            Some(id) => id,
            None => {
                let new = NewCustomer {
                    external_id: r.external_id.clone(),
                    ..Default::default()
                };
                let id = directory::insert_customer(c, org, &new, now)?;
                directory::claim_identities(c, org, id, &r.identities, now)?
            }
        };
        for identity in &r.identities {
            directory::attach_identity(c, org, id, identity, now)?;
        }
        self.customers.insert(r.clone(), id);
        Ok(Ok(id))
    }
}

/// Runs `$resolve` and turns a rejected reference into an early `Ok(Err(..))`.
macro_rules! resolve {
    ($resolve:expr) => {
        match $resolve? {
            Ok(id) => id,
            Err(field_error) => return Ok(Err(field_error)),
        }
    };
}

/// Inserts with `ON CONFLICT DO NOTHING`; a conflict on the external id is a duplicate.
fn insert_or_find(
    c: &mut impl Conn,
    table: &str,
    insert_sql: &str,
    params: &[Value],
    org: OrgId,
    external_id: &Option<String>,
) -> Result<Stored> {
    if let Some(id) = c.insert(insert_sql, params)? {
        return Ok(Stored::Created(id));
    }
    let sql = format!("SELECT id FROM {table} WHERE org_id = $1 AND external_id = $2");
    let existing = c.query_one(&sql, &[org.into(), external_id.into()])?;
    Ok(Stored::Duplicate(existing.int(0)?))
}

fn store_feedback(
    c: &mut impl Conn,
    res: &mut Resolver,
    org: OrgId,
    f: &NewFeedback,
    now: DateTime<Utc>,
) -> Result<Result<Stored, FieldError>> {
    let touchpoint = match &f.touchpoint {
        Some(r) => Some(resolve!(res.touchpoint(c, org, r))),
        None => None,
    };
    let channel = match &f.channel {
        Some(r) => Some(resolve!(res.channel(c, org, r))),
        None => None,
    };
    let customer = match &f.customer {
        Some(r) => Some(resolve!(res.customer(c, org, r, now))),
        None => None,
    };
    let (interaction, agent, team) = match &f.interaction {
        Some(r) => {
            let (id, agent, team) = resolve!(res.interaction(c, org, r));
            (Some(id), f.agent.clone().or(agent), f.team.clone().or(team))
        }
        None => (None, f.agent.clone(), f.team.clone()),
    };
    let params = [
        org.into(),
        (&f.external_id).into(),
        customer.into(),
        touchpoint.into(),
        channel.into(),
        f.source.as_str().into(),
        f.occurred_at.into(),
        f.nps.into(),
        f.csat.into(),
        f.ces.into(),
        f.rating.into(),
        f.rating_scale.into(),
        (&f.comment).into(),
        (&f.language).into(),
        (&f.attributes).into(),
        now.into(),
        f.sentiment.into(),
        f.garbage.into(),
        (&f.themes).into(),
        f.emotions.map(i16::from).into(),
        interaction.into(),
        agent.into(),
        team.into(),
    ];
    let sql = "INSERT INTO feedback (org_id, external_id, customer_id, touchpoint_id, channel_id, source, occurred_at, \
               nps, csat, ces, rating, rating_scale, comment, language, attributes, created_at, sentiment, garbage, \
               themes, emotions, interaction_id, agent, team) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
               $21, $22, $23) \
               ON CONFLICT (org_id, external_id) DO NOTHING";
    insert_or_find(c, "feedback", sql, &params, org, &f.external_id).map(Ok)
}

/// Stores one feedback record outside a batch (a finished survey response, a logged complaint),
/// with the batch's rules: a rejected reference is the caller's error, a known external id
/// answers with the record already stored.
pub(super) fn store_one_feedback(
    c: &mut impl Conn,
    org: OrgId,
    f: &NewFeedback,
    now: DateTime<Utc>,
) -> Result<i64> {
    match store_feedback(c, &mut Resolver::default(), org, f, now)? {
        Ok(Stored::Created(id) | Stored::Duplicate(id)) => Ok(id),
        Err(e) => Err(StoreError::Invalid(e)),
    }
}

fn store_interaction(
    c: &mut impl Conn,
    res: &mut Resolver,
    org: OrgId,
    i: &NewInteraction,
    now: DateTime<Utc>,
) -> Result<Result<Stored, FieldError>> {
    let touchpoint = match &i.touchpoint {
        Some(r) => Some(resolve!(res.touchpoint(c, org, r))),
        None => None,
    };
    let channel = resolve!(res.channel(c, org, &i.channel));
    let customer = match &i.customer {
        Some(r) => Some(resolve!(res.customer(c, org, r, now))),
        None => None,
    };
    let params = [
        org.into(),
        (&i.external_id).into(),
        customer.into(),
        touchpoint.into(),
        channel.into(),
        i.kind.as_str().into(),
        i.occurred_at.into(),
        i.duration_seconds.into(),
        (&i.outcome).into(),
        (&i.agent).into(),
        (&i.team).into(),
        (&i.attributes).into(),
        now.into(),
    ];
    let sql = "INSERT INTO interactions (org_id, external_id, customer_id, touchpoint_id, channel_id, kind, occurred_at, \
               duration_seconds, outcome, agent, team, attributes, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
               ON CONFLICT (org_id, external_id) DO NOTHING";
    insert_or_find(c, "interactions", sql, &params, org, &i.external_id).map(Ok)
}

fn store_transaction(
    c: &mut impl Conn,
    res: &mut Resolver,
    org: OrgId,
    t: &NewTransaction,
    now: DateTime<Utc>,
) -> Result<Result<Stored, FieldError>> {
    let customer = resolve!(res.customer(c, org, &t.customer, now));
    let params = [
        org.into(),
        (&t.external_id).into(),
        customer.into(),
        t.occurred_at.into(),
        t.amount_minor.into(),
        t.currency.as_str().into(),
        t.kind.as_str().into(),
        (&t.product).into(),
        (&t.attributes).into(),
        now.into(),
    ];
    let sql = "INSERT INTO transactions (org_id, external_id, customer_id, occurred_at, amount_minor, currency, kind, \
               product, attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
               ON CONFLICT (org_id, external_id) DO NOTHING";
    insert_or_find(c, "transactions", sql, &params, org, &t.external_id).map(Ok)
}

/// Creates a profile, or updates the one its external id or an identity names (a duplicate).
fn store_customer(
    c: &mut impl Conn,
    org: OrgId,
    new: &NewCustomer,
    now: DateTime<Utc>,
) -> Result<Result<Stored, FieldError>> {
    let mut found = match &new.external_id {
        Some(external_id) => c
            .query_opt(
                "SELECT id FROM customers WHERE org_id = $1 AND external_id = $2",
                &[org.into(), external_id.into()],
            )?
            .map(|r| r.int(0))
            .transpose()?,
        None => None,
    };
    let mut owners = Vec::with_capacity(new.identities.len());
    for identity in &new.identities {
        owners.push(directory::identity_owner(c, org, identity)?);
    }
    if found.is_none() {
        found = owners.iter().flatten().next().copied();
    }
    for (identity, owner) in new.identities.iter().zip(&owners) {
        if let (Some(owner), Some(id)) = (owner, found)
            && *owner != id
        {
            let field = if identity.kind == dosvid_domain::IdentityKind::Phone {
                "phone"
            } else {
                "email"
            };
            return Ok(Err(FieldError::new(
                field,
                format!("{} already belongs to customer {owner}", identity.value),
            )));
        }
    }
    let stored = match found {
        Some(id) => {
            let patch = dosvid_domain::CustomerPatch {
                name: new.name.clone().map(Some),
                language: new.language.clone().map(Some),
                segment: new.segment.clone().map(Some),
                region: new.region.clone().map(Some),
                plan: new.plan.clone().map(Some),
                attributes: Some(new.attributes.clone()).filter(|a| !a.is_empty()),
                add_identities: Vec::new(),
            };
            directory::apply_patch(c, org, id, &patch, now)?;
            if new.external_id.is_some() {
                c.execute(
                    "UPDATE customers SET external_id = $1 WHERE id = $2 AND external_id IS NULL",
                    &[(&new.external_id).into(), id.into()],
                )?;
            }
            Stored::Duplicate(id)
        }
        None => {
            let id = directory::insert_customer(c, org, new, now)?;
            let owner = directory::claim_identities(c, org, id, &new.identities, now)?;
            if owner != id {
                // Someone created this person while we waited: the record updates them.
                return store_customer(c, org, new, now);
            }
            Stored::Created(id)
        }
    };
    let id = match stored {
        Stored::Created(id) | Stored::Duplicate(id) => id,
    };
    for identity in &new.identities {
        directory::attach_identity(c, org, id, identity, now)?;
    }
    Ok(Ok(stored))
}

/// Stores the records of one part of a batch and adds what happened to each to the batch's
/// report, which counts the records of the parts before (the first of this one is number
/// `report.received` of the batch).
fn store_all<C: Conn, T>(
    c: &mut C,
    org: OrgId,
    report: &mut BatchReport,
    records: &[Result<T, FieldError>],
    resolver: &mut Resolver,
    customer: impl Fn(&T) -> Option<&CustomerRef>,
    mut store: impl FnMut(&mut C, &mut Resolver, &T) -> Result<Result<Stored, FieldError>>,
) -> Result<()> {
    let offset = report.received;
    report.received += records.len();
    report.ids.reserve(records.len());
    let named = records.iter().flatten().filter_map(&customer);
    resolver.prefetch_customers(c, org, named)?;
    for (index, record) in records.iter().enumerate() {
        let outcome = match record {
            Ok(record) => store(c, resolver, record)?,
            Err(e) => Err(e.clone()),
        };
        match outcome {
            Ok(Stored::Created(id)) => {
                report.created += 1;
                report.ids.push(Some(id));
            }
            Ok(Stored::Duplicate(id)) => {
                report.duplicates += 1;
                report.ids.push(Some(id));
            }
            Err(FieldError { field, message }) => {
                report.rejected.push(Rejection {
                    index: offset + index,
                    field,
                    message,
                });
                report.ids.push(None);
            }
        }
    }
    Ok(())
}

/// Stores a batch of one kind of record, in parts, inside the caller's transaction: the
/// report counts the records of every part, indices from the start of the batch. With an
/// idempotency key already used, answers the first report and reads no part.
pub(super) fn ingest(
    c: &mut impl Conn,
    org: OrgId,
    kind: RecordKind,
    parts: &mut dyn Iterator<Item = Cow<'_, Signals>>,
    idempotency: Option<&Idempotency>,
    now: DateTime<Utc>,
) -> Result<BatchReport> {
    if let Some(idem) = idempotency {
        let stored = c.query_opt(
            "SELECT request_hash, report FROM idempotency_keys WHERE org_id = $1 AND key = $2",
            &[org.into(), idem.key.as_str().into()],
        )?;
        if let Some(row) = stored {
            if row.text(0)? != idem.request_hash {
                return Err(StoreError::IdempotencyMismatch);
            }
            let mut report: BatchReport =
                serde_json::from_str(&row.text(1)?).map_err(StoreError::backend)?;
            report.replayed = true;
            return Ok(report);
        }
    }
    let mut report = BatchReport {
        kind,
        received: 0,
        created: 0,
        duplicates: 0,
        rejected: Vec::new(),
        ids: Vec::new(),
        replayed: false,
    };
    c.serialize_on(org)?;
    let mut resolver = Resolver::default();
    for part in parts {
        if part.kind() != kind {
            return Err(StoreError::Backend(format!(
                "a part of {} in a batch of {}",
                part.kind().as_str(),
                kind.as_str()
            )));
        }
        let r = &mut resolver;
        match part.as_ref() {
            Signals::Customers(records) => store_all(
                c,
                org,
                &mut report,
                records,
                r,
                |_| None,
                |c, _, customer| store_customer(c, org, customer, now),
            )?,
            Signals::Feedback(records) => store_all(
                c,
                org,
                &mut report,
                records,
                r,
                |f| f.customer.as_ref(),
                |c, res, f| store_feedback(c, res, org, f, now),
            )?,
            Signals::Interactions(records) => store_all(
                c,
                org,
                &mut report,
                records,
                r,
                |i| i.customer.as_ref(),
                |c, res, i| store_interaction(c, res, org, i, now),
            )?,
            Signals::Transactions(records) => store_all(
                c,
                org,
                &mut report,
                records,
                r,
                |t| Some(&t.customer),
                |c, res, t| store_transaction(c, res, org, t, now),
            )?,
        }
    }
    if let Some(idem) = idempotency {
        let json = serde_json::to_string(&report).map_err(StoreError::backend)?;
        c.execute(
            "INSERT INTO idempotency_keys (org_id, key, kind, request_hash, report, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[org.into(), idem.key.as_str().into(), report.kind.as_str().into(), idem.request_hash.as_str().into(), json.into(), now.into()],
        )?;
    }
    Ok(report)
}

// ----- lists ----------------------------------------------------------------------------------

/// One page of rows, each read by `from_row`.
fn page_of<T>(
    rows: Vec<Row>,
    page: PageRequest,
    from_row: fn(&Row) -> Result<T>,
    id: fn(&T) -> i64,
) -> Result<Page<T>> {
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(items, limit(page), id))
}

/// `SELECT columns FROM table WHERE org_id = … [filters] ORDER BY id LIMIT …`.
fn select_signals(
    c: &mut impl Conn,
    table: &str,
    columns: &str,
    org: OrgId,
    filter: &Filter,
    page: PageRequest,
) -> Result<Vec<Row>> {
    let mut q = signals_where(c, table, columns, org, filter)?;
    if let Some(after) = page.after {
        q.push(" AND id > {}", [after.into()]);
    }
    q.push(" ORDER BY id LIMIT {}", [i64::from(limit(page) + 1).into()]);
    c.query(&q.sql, &q.params)
}

/// `SELECT columns FROM table WHERE org_id = … [filters]`, for more conditions to follow.
fn signals_where(
    c: &mut impl Conn,
    table: &str,
    columns: &str,
    org: OrgId,
    filter: &Filter,
) -> Result<Query> {
    // `+org_id`: see `facts::scan`.
    let mut q = Query::new(&format!("SELECT {columns} FROM {table} WHERE +org_id = "));
    let p = q.param(org);
    q.sql.push_str(&p);
    if let Some(from) = filter.from {
        q.push(" AND occurred_at >= {}", [from.into()]);
    }
    if let Some(to) = filter.to {
        q.push(" AND occurred_at < {}", [to.into()]);
    }
    if let Some(customer) = filter.customer_id {
        q.push(" AND customer_id = {}", [customer.into()]);
    }
    if table != "transactions" {
        if let Some(root) = filter.touchpoint_id {
            q.sql.push_str(" AND touchpoint_id IN ");
            push_id_list(&mut q, &journeys::subtree(c, org, root)?);
        }
        if let Some(channel) = filter.channel_id {
            q.push(" AND channel_id = {}", [channel.into()]);
        }
    } else if filter.touchpoint_id.is_some() || filter.channel_id.is_some() {
        return Err(FieldError::new(
            "touchpoint_id",
            "transactions have no touchpoint or channel to filter by",
        )
        .into());
    }
    if let Some(source) = filter.source {
        if table != "feedback" {
            return Err(FieldError::new("source", "only feedback records have a source").into());
        }
        q.push(" AND source = {}", [source.as_str().into()]);
    }
    Ok(q)
}

/// The feedback records with these ids, in any order.
pub(super) fn feedback_by_ids(c: &mut impl Conn, org: OrgId, ids: &[i64]) -> Result<Vec<Feedback>> {
    let mut found = Vec::with_capacity(ids.len());
    for part in ids.chunks(PageRequest::MAX_LIMIT as usize) {
        // `+org_id`: the ids pick the rows; an index starting with org_id would scan them all.
        let mut q = Query::new(&format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback WHERE +org_id = "
        ));
        let p = q.param(org);
        q.sql.push_str(&p);
        q.sql.push_str(" AND id IN ");
        push_id_list(&mut q, part);
        for row in c.query(&q.sql, &q.params)? {
            found.push(feedback_from_row(&row)?);
        }
    }
    Ok(found)
}

const FEEDBACK_COLUMNS: &str = "id, external_id, customer_id, touchpoint_id, channel_id, source, occurred_at, nps, csat, \
                                ces, rating, rating_scale, comment, language, attributes, created_at, sentiment, garbage, themes, emotions, \
                                interaction_id, agent, team";

fn feedback_from_row(r: &Row) -> Result<Feedback> {
    Ok(Feedback {
        id: r.int(0)?,
        external_id: r.opt_text(1)?,
        customer_id: r.opt_int(2)?,
        touchpoint_id: r.opt_int(3)?,
        channel_id: r.opt_int(4)?,
        source: FeedbackSource::parse(&r.text(5)?).unwrap_or(FeedbackSource::Other),
        occurred_at: r.time(6)?,
        nps: r.opt_small(7)?,
        csat: r.opt_small(8)?,
        ces: r.opt_small(9)?,
        rating: r.opt_small(10)?,
        rating_scale: r.opt_small(11)?,
        comment: r.opt_text(12)?,
        language: r.opt_text(13)?,
        attributes: r.attributes(14)?,
        created_at: r.time(15)?,
        sentiment: r.opt_real(16)?,
        garbage: r.opt_text(17)?,
        themes: dosvid_domain::theme_list(r.opt_text(18)?.as_deref()),
        emotions: dosvid_domain::emotion_list(r.opt_small(19)?.map(|bits| bits as u8)),
        interaction_id: r.opt_int(20)?,
        agent: r.opt_text(21)?,
        team: r.opt_text(22)?,
    })
}

pub(super) fn list_feedback(
    c: &mut impl Conn,
    org: OrgId,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<Feedback>> {
    let rows = select_signals(c, "feedback", FEEDBACK_COLUMNS, org, filter, page)?;
    page_of(rows, page, feedback_from_row, |f| f.id)
}

const INTERACTION_COLUMNS: &str = "id, external_id, customer_id, touchpoint_id, channel_id, kind, occurred_at, \
                                   duration_seconds, outcome, agent, team, attributes, created_at";

fn interaction_from_row(r: &Row) -> Result<Interaction> {
    Ok(Interaction {
        id: r.int(0)?,
        external_id: r.opt_text(1)?,
        customer_id: r.opt_int(2)?,
        touchpoint_id: r.opt_int(3)?,
        channel_id: r.int(4)?,
        kind: r.text(5)?,
        occurred_at: r.time(6)?,
        duration_seconds: r.opt_int(7)?,
        outcome: r.opt_text(8)?,
        agent: r.opt_text(9)?,
        team: r.opt_text(10)?,
        attributes: r.attributes(11)?,
        created_at: r.time(12)?,
    })
}

pub(super) fn list_interactions(
    c: &mut impl Conn,
    org: OrgId,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<Interaction>> {
    let rows = select_signals(c, "interactions", INTERACTION_COLUMNS, org, filter, page)?;
    page_of(rows, page, interaction_from_row, |i| i.id)
}

const TRANSACTION_COLUMNS: &str = "id, external_id, customer_id, occurred_at, amount_minor, currency, kind, product, attributes, created_at";

fn transaction_from_row(r: &Row) -> Result<Transaction> {
    Ok(Transaction {
        id: r.int(0)?,
        external_id: r.opt_text(1)?,
        customer_id: r.opt_int(2)?,
        occurred_at: r.time(3)?,
        amount_minor: r.int(4)?,
        currency: r.text(5)?,
        kind: TransactionKind::parse(&r.text(6)?)
            .ok_or_else(|| StoreError::Backend("unknown transaction kind".into()))?,
        product: r.opt_text(7)?,
        attributes: r.attributes(8)?,
        created_at: r.time(9)?,
    })
}

pub(super) fn list_transactions(
    c: &mut impl Conn,
    org: OrgId,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<Transaction>> {
    let rows = select_signals(c, "transactions", TRANSACTION_COLUMNS, org, filter, page)?;
    page_of(rows, page, transaction_from_row, |t| t.id)
}
