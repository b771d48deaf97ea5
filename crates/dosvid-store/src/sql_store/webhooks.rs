//! Webhook endpoints and the outbox of their deliveries. An event is written once per subscribed
//! endpoint as a pending delivery; the dispatcher claims due deliveries by moving their next
//! attempt past a lease, sends them, and records each attempt. A server that dies while sending
//! leaves the delivery to be claimed again when the lease runs out: delivery is at least once,
//! and the event id (`webhook-id`) lets a receiver drop a repeat.

use chrono::{DateTime, Utc};
use dosvid_domain::webhook::{
    Attempt, Delivery, DeliveryStatus, EventType, RetryPolicy, Webhook, WebhookInput, WebhookPatch,
};
use dosvid_domain::{FieldError, OrgId};

use super::limit;
use crate::sql::{Conn, Row};
use crate::{Page, PageRequest, Result, StoreError};

const COLUMNS: &str = "id, url, events, description, enabled, disabled_reason, failing_since, \
    consecutive_failures, created_at";

fn from_row(r: &Row) -> Result<Webhook> {
    let events = r.str(2)?.split(',').filter_map(EventType::parse).collect();
    Ok(Webhook {
        id: r.int(0)?,
        input: WebhookInput {
            url: r.text(1)?,
            events,
            description: r.opt_text(3)?,
            enabled: r.bool(4)?,
        },
        disabled_reason: r.opt_text(5)?,
        failing_since: r.opt_time(6)?,
        consecutive_failures: r.int(7)? as u32,
        created_at: r.time(8)?,
    })
}

fn events_text(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn random_key() -> Result<Vec<u8>> {
    let mut key = vec![0u8; 24];
    getrandom::fill(&mut key).map_err(StoreError::backend)?;
    Ok(key)
}

/// A fresh event id, `msg_` and 128 random bits.
fn event_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(StoreError::backend)?;
    Ok(format!(
        "msg_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

pub(super) fn create(
    c: &mut impl Conn,
    org: OrgId,
    input: &WebhookInput,
    now: DateTime<Utc>,
) -> Result<Webhook> {
    let secret = dosvid_domain::webhook::secret_from_key(&random_key()?);
    let id = c.insert_id(
        "INSERT INTO webhooks (org_id, url, events, description, enabled, secret, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            org.into(),
            (&input.url).into(),
            events_text(&input.events).into(),
            (&input.description).into(),
            input.enabled.into(),
            secret.into(),
            now.into(),
        ],
    )?;
    get(c, org, id)
}

pub(super) fn get(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Webhook> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM webhooks WHERE org_id = $1 AND id = $2"),
        &[org.into(), id.into()],
    )?
    .map(|r| from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found("webhook", id))
}

pub(super) fn secret(c: &mut impl Conn, org: OrgId, id: i64) -> Result<String> {
    c.query_opt(
        "SELECT secret FROM webhooks WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?
    .ok_or_else(|| StoreError::not_found("webhook", id))?
    .text(0)
}

pub(super) fn list(c: &mut impl Conn, org: OrgId) -> Result<Vec<Webhook>> {
    c.query(
        &format!("SELECT {COLUMNS} FROM webhooks WHERE org_id = $1 ORDER BY id"),
        &[org.into()],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Changes an endpoint. Enabling it clears the failure record, and its pending deliveries go
/// out again.
pub(super) fn update(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    patch: WebhookPatch,
) -> Result<Webhook> {
    let current = get(c, org, id)?;
    let was_enabled = current.input.enabled;
    let input = current.input.patched(patch).validate()?;
    c.execute(
        "UPDATE webhooks SET url = $1, events = $2, description = $3, enabled = $4 \
         WHERE org_id = $5 AND id = $6",
        &[
            (&input.url).into(),
            events_text(&input.events).into(),
            (&input.description).into(),
            input.enabled.into(),
            org.into(),
            id.into(),
        ],
    )?;
    if input.enabled && !was_enabled {
        c.execute(
            "UPDATE webhooks SET disabled_reason = NULL, failing_since = NULL, consecutive_failures = 0 \
             WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?;
    }
    get(c, org, id)
}

/// Deletes an endpoint with its deliveries and their log.
pub(super) fn delete(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    get(c, org, id)?;
    c.execute(
        "DELETE FROM webhook_attempts WHERE delivery_id IN \
         (SELECT id FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2)",
        &[org.into(), id.into()],
    )?;
    c.execute(
        "DELETE FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2",
        &[org.into(), id.into()],
    )?;
    c.execute(
        "DELETE FROM webhooks WHERE org_id = $1 AND id = $2",
        &[org.into(), id.into()],
    )?;
    Ok(())
}

/// The enabled endpoints subscribed to `event`.
fn subscribers(c: &mut impl Conn, org: OrgId, event: EventType) -> Result<Vec<i64>> {
    let rows = c.query(
        "SELECT id, events FROM webhooks WHERE org_id = $1 AND enabled = $2",
        &[org.into(), true.into()],
    )?;
    let mut ids = Vec::new();
    for r in rows {
        if r.str(1)?.split(',').any(|e| e == event.as_str()) {
            ids.push(r.int(0)?);
        }
    }
    Ok(ids)
}

pub(super) fn subscribed(c: &mut impl Conn, org: OrgId, event: EventType) -> Result<bool> {
    Ok(!subscribers(c, org, event)?.is_empty())
}

/// Writes one pending delivery per subscribed endpoint and event, each event under a fresh id;
/// returns how many.
pub(super) fn enqueue(
    c: &mut impl Conn,
    org: OrgId,
    events: &[(EventType, String)],
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut written = 0;
    let mut hooks: Vec<(EventType, Vec<i64>)> = Vec::new();
    for (event, payload) in events {
        let targets = match hooks.iter().find(|(e, _)| e == event) {
            Some((_, ids)) => ids.clone(),
            None => {
                let ids = subscribers(c, org, *event)?;
                hooks.push((*event, ids.clone()));
                ids
            }
        };
        let id = event_id()?;
        for webhook in targets {
            c.execute(
                "INSERT INTO webhook_deliveries (org_id, webhook_id, event_id, event_type, payload, status, \
                 attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
                &[
                    org.into(),
                    webhook.into(),
                    (&id).into(),
                    event.as_str().into(),
                    payload.into(),
                    now.into(),
                ],
            )?;
            written += 1;
        }
    }
    Ok(written)
}

/// A delivery claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: i64,
    pub org: OrgId,
    pub webhook_id: i64,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// Of those, the ones since the delivery was last retried by hand: the retry policy's count.
    pub since_retry: u32,
}

/// The webhook queue of every organisation: pending deliveries, and those of them due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookBacklog {
    pub pending: u64,
    pub due: u64,
}

pub(super) fn backlog(c: &mut impl Conn, now: DateTime<Utc>) -> Result<WebhookBacklog> {
    let row = c.query_one(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN next_attempt_at <= $1 THEN 1 ELSE 0 END), 0) \
         FROM webhook_deliveries WHERE status = 'pending'",
        &[now.into()],
    )?;
    Ok(WebhookBacklog {
        pending: row.int(0)?.max(0) as u64,
        due: row.int(1)?.max(0) as u64,
    })
}

/// Claims up to `limit` due deliveries of enabled endpoints, of every organisation, by moving
/// their next attempt to `lease_until`: another dispatcher does not take them meanwhile, and if
/// this one dies they fall due again then.
pub(super) fn claim(
    c: &mut impl Conn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DueDelivery>> {
    let rows = c.query(
        "SELECT d.id, d.org_id, d.webhook_id, w.url, w.secret, d.event_id, d.payload, d.attempts, d.next_attempt_at, \
         d.retried_from \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.enabled = $2 \
         ORDER BY d.next_attempt_at, d.id LIMIT $3",
        &[now.into(), true.into(), i64::from(limit).into()],
    )?;
    let mut claimed = Vec::new();
    for r in rows {
        let taken = c.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 \
             WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3",
            &[lease_until.into(), r.int(0)?.into(), r.time(8)?.into()],
        )?;
        if taken == 1 {
            claimed.push(DueDelivery {
                id: r.int(0)?,
                org: r.int(1)?,
                webhook_id: r.int(2)?,
                url: r.text(3)?,
                secret: r.text(4)?,
                event_id: r.text(5)?,
                payload: r.text(6)?,
                attempts: r.int(7)? as u32,
                since_retry: (r.int(7)? - r.int(9)?).max(0) as u32,
            });
        }
    }
    Ok(claimed)
}

/// Logs an attempt and moves the delivery on: delivered, due again per `policy`, or failed for
/// good. The endpoint's failure record follows; an endpoint `policy` gives up on is disabled.
pub(super) fn record_attempt(
    c: &mut impl Conn,
    delivery: &DueDelivery,
    attempt: &Attempt,
    delivered: bool,
    policy: &RetryPolicy,
) -> Result<()> {
    c.execute(
        "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            delivery.id.into(),
            attempt.at.into(),
            attempt.status_code.map(i64::from).into(),
            (&attempt.error).into(),
            i64::from(attempt.duration_ms).into(),
        ],
    )?;
    let attempts = delivery.attempts + 1;
    let now = attempt.at;
    let next = (!delivered)
        .then(|| policy.next_attempt(delivery.since_retry + 1, now))
        .flatten();
    let status = match (delivered, next) {
        (true, _) => DeliveryStatus::Delivered,
        (false, Some(_)) => DeliveryStatus::Pending,
        (false, None) => DeliveryStatus::Failed,
    };
    c.execute(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, delivered_at = $4 \
         WHERE id = $5",
        &[
            status.as_str().into(),
            i64::from(attempts).into(),
            next.into(),
            delivered.then_some(now).into(),
            delivery.id.into(),
        ],
    )?;
    if delivered {
        c.execute(
            "UPDATE webhooks SET failing_since = NULL, consecutive_failures = 0 WHERE id = $1",
            &[delivery.webhook_id.into()],
        )?;
        return Ok(());
    }
    c.execute(
        "UPDATE webhooks SET failing_since = COALESCE(failing_since, $1), \
         consecutive_failures = consecutive_failures + 1 WHERE id = $2",
        &[now.into(), delivery.webhook_id.into()],
    )?;
    let hook = get(c, delivery.org, delivery.webhook_id)?;
    if let Some(since) = hook.failing_since
        && hook.input.enabled
        && policy.disables(since, hook.consecutive_failures, now)
    {
        let reason = format!(
            "disabled after {} failed attempts in a row since {}",
            hook.consecutive_failures,
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        c.execute(
            "UPDATE webhooks SET enabled = $1, disabled_reason = $2 WHERE id = $3",
            &[false.into(), reason.into(), delivery.webhook_id.into()],
        )?;
    }
    Ok(())
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event_type, status, attempts, \
    next_attempt_at, created_at, delivered_at, payload";

fn delivery_from_row(r: &Row) -> Result<Delivery> {
    let bad = |what: &str| StoreError::backend(format!("stored delivery: bad {what}"));
    Ok(Delivery {
        id: r.int(0)?,
        webhook_id: r.int(1)?,
        event_id: r.text(2)?,
        event_type: EventType::parse(r.str(3)?).ok_or_else(|| bad("event type"))?,
        status: DeliveryStatus::parse(r.str(4)?).ok_or_else(|| bad("status"))?,
        attempts: r.int(5)? as u32,
        next_attempt_at: r.opt_time(6)?,
        created_at: r.time(7)?,
        delivered_at: r.opt_time(8)?,
        payload: serde_json::from_str(r.str(9)?).map_err(|_| bad("payload"))?,
        log: Vec::new(),
    })
}

/// An endpoint's deliveries, newest first.
pub(super) fn deliveries(
    c: &mut impl Conn,
    org: OrgId,
    webhook: i64,
    status: Option<DeliveryStatus>,
    page: PageRequest,
) -> Result<Page<Delivery>> {
    get(c, org, webhook)?;
    let limit = limit(page);
    let rows = c.query(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE org_id = $1 AND webhook_id = $2 AND id < $3 AND ($4 = '' OR status = $4) \
             ORDER BY id DESC LIMIT $5"
        ),
        &[
            org.into(),
            webhook.into(),
            page.after.unwrap_or(i64::MAX).into(),
            status.map_or("", DeliveryStatus::as_str).into(),
            i64::from(limit + 1).into(),
        ],
    )?;
    let items = rows
        .iter()
        .map(delivery_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(items, limit, |d| d.id))
}

/// One delivery with its log of attempts.
pub(super) fn delivery(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Delivery> {
    let mut delivery = c
        .query_opt(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = $1 AND id = $2"
            ),
            &[org.into(), id.into()],
        )?
        .map(|r| delivery_from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::not_found("delivery", id))?;
    delivery.log = c
        .query(
            "SELECT at, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
            &[id.into()],
        )?
        .iter()
        .map(|r| {
            Ok(Attempt {
                at: r.time(0)?,
                status_code: r.opt_int(1)?.map(|s| s as u16),
                error: r.opt_text(2)?,
                duration_ms: r.int(3)? as u32,
            })
        })
        .collect::<Result<_>>()?;
    Ok(delivery)
}

/// Sends a delivery again now with a fresh retry schedule (its log stays).
pub(super) fn redeliver(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Delivery> {
    let current = delivery(c, org, id)?;
    if current.status == DeliveryStatus::Pending {
        return Err(StoreError::Invalid(FieldError::new(
            "status",
            "the delivery is pending: it is sent at its next attempt",
        )));
    }
    c.execute(
        "UPDATE webhook_deliveries SET status = 'pending', retried_from = attempts, next_attempt_at = $1 \
         WHERE org_id = $2 AND id = $3",
        &[now.into(), org.into(), id.into()],
    )?;
    delivery(c, org, id)
}
