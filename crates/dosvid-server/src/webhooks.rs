//! Outbound webhooks: events are written to the store's outbox (one pending delivery per
//! subscribed endpoint) by the code that caused them, and the dispatcher — a task every serving
//! process runs — claims due deliveries, POSTs them signed per Standard Webhooks, and records
//! each attempt; failures are retried under the [`RetryPolicy`]. Because the outbox is in the
//! database, deliveries survive a restart and several servers can share the work.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dosvid_domain::webhook::{self, Attempt, EventType, RetryPolicy};
use dosvid_domain::{FieldError, OrgId};
use dosvid_store::{DueDelivery, Store};
use serde::Serialize;
use tokio::sync::Notify;

use crate::network::{self, Network};

/// Deliveries claimed per round.
const CLAIM: u32 = 32;
/// How long a claimed delivery is left to its dispatcher before another may take it.
const LEASE: Duration = Duration::from_secs(60);
/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(15);
/// How often the dispatcher looks for due retries when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);

/// Where events are written, and the bell that wakes the dispatcher.
pub(crate) struct Outbox {
    wake: Notify,
    policy: RetryPolicy,
    /// Private networks an administrator allows receivers in (`--webhook-allow-network`).
    allowed: Vec<Network>,
}

impl Outbox {
    pub(crate) fn new(policy: RetryPolicy, allowed: Vec<Network>) -> Self {
        Outbox {
            wake: Notify::new(),
            policy,
            allowed,
        }
    }

    pub(crate) fn policy(&self) -> RetryPolicy {
        self.policy.clone()
    }

    pub(crate) fn allowed_networks(&self) -> &[Network] {
        &self.allowed
    }

    /// Refuses an address a receiver may not be at: not on the public internet and in no
    /// network an administrator allowed.
    fn check_address(&self, ip: IpAddr) -> Result<(), String> {
        if network::is_public(ip) || self.allowed.iter().any(|n| n.contains(ip)) {
            return Ok(());
        }
        Err(format!(
            "{ip} is a private, loopback or link-local address; an administrator may allow its network with --webhook-allow-network"
        ))
    }

    /// Checks an endpoint's URL when it is set: a host written as an address, or `localhost`,
    /// must be allowed. Names are resolved, and checked again, before each delivery.
    pub(crate) fn check_url(&self, url: &str) -> Result<(), FieldError> {
        let host = target(url).map_err(|e| FieldError::new("url", e))?.0;
        let literal = match host.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) if host.eq_ignore_ascii_case("localhost") => Some(IpAddr::from([127, 0, 0, 1])),
            Err(_) => None,
        };
        match literal {
            Some(ip) => self
                .check_address(ip)
                .map_err(|e| FieldError::new("url", e)),
            None => Ok(()),
        }
    }

    /// Resolves the receiver's name and checks every address it has.
    fn check_target(&self, url: &str) -> Result<(), String> {
        let (host, port) = target(url)?;
        let addresses = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        for address in addresses {
            self.check_address(address.ip())?;
        }
        Ok(())
    }

    /// Writes events for the endpoints subscribed to them. A failure is logged: it never
    /// undoes or fails the write the events came from.
    pub(crate) fn emit(&self, store: &dyn Store, org: OrgId, events: Vec<(EventType, Event)>) {
        if events.is_empty() {
            return;
        }
        let now = Utc::now();
        let bodies: Vec<(EventType, String)> = events
            .into_iter()
            .filter_map(|(kind, data)| {
                let data = data.0?;
                Some((kind, webhook::payload(kind, now, data).to_string()))
            })
            .collect();
        match store.enqueue_events(org, &bodies, now) {
            Ok(0) => {}
            Ok(_) => self.wake(),
            Err(e) => tracing::error!("webhook events not written: {e}"),
        }
    }

    /// Wakes the dispatcher: deliveries may be due now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether an event is wanted: callers skip building payloads nobody takes.
    pub(crate) fn wanted(&self, store: &dyn Store, org: OrgId, event: EventType) -> bool {
        store.webhook_subscribed(org, event).unwrap_or_else(|e| {
            tracing::error!("webhook subscriptions: {e}");
            false
        })
    }
}

/// An event's `data`, serialised by [`Event::of`].
pub(crate) struct Event(Option<serde_json::Value>);

impl Event {
    pub(crate) fn of(data: &impl Serialize) -> Event {
        Event(serde_json::to_value(data).ok())
    }
}

/// The host (without IPv6 brackets) and port a URL names.
fn target(url: &str) -> Result<(String, u16), String> {
    let uri: axum::http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    let host = uri.host().ok_or("the URL names no host")?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let https = uri.scheme_str() == Some("https");
    Ok((host, uri.port_u16().unwrap_or(if https { 443 } else { 80 })))
}

/// POSTs one delivery; returns the attempt and whether the receiver took it (any 2xx).
fn send(agent: &ureq::Agent, outbox: &Outbox, delivery: &DueDelivery) -> (Attempt, bool) {
    let at = Utc::now();
    let started = Instant::now();
    let timestamp = at.timestamp();
    let body = delivery.payload.as_bytes();
    let signature = webhook::signature(&delivery.secret, &delivery.event_id, timestamp, body);
    let checked = outbox.check_target(&delivery.url);
    let result = match (signature, checked) {
        (_, Err(refused)) => Err(refused),
        (None, _) => Err("the endpoint's secret is malformed".to_owned()),
        (Some(signature), Ok(())) => agent
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("user-agent", "Dosvid-Webhooks/1")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .send(body)
            .map(|response| response.status().as_u16())
            .map_err(|e| e.to_string()),
    };
    let duration_ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
    let (status_code, error, delivered) = match result {
        Ok(status) if (200..300).contains(&status) => (Some(status), None, true),
        Ok(status) => (Some(status), Some(format!("HTTP {status}")), false),
        Err(e) => (None, Some(e), false),
    };
    let attempt = Attempt {
        at,
        status_code,
        error,
        duration_ms,
    };
    (attempt, delivered)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// One round: claims what is due and sends it, in parallel threads. Returns how many were
/// attempted.
pub(crate) fn deliver_due(store: &dyn Store, outbox: &Outbox) -> dosvid_store::Result<usize> {
    let now = Utc::now();
    let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let due = store.claim_deliveries(now, lease, CLAIM)?;
    if due.is_empty() {
        return Ok(0);
    }
    let agent = agent();
    let sent: Vec<(Attempt, bool)> = std::thread::scope(|scope| {
        let handles: Vec<_> = due
            .iter()
            .map(|d| scope.spawn(|| send(&agent, outbox, d)))
            .collect();
        handles
            .into_iter()
            .zip(&due)
            .map(|(h, d)| {
                h.join().unwrap_or_else(|_| {
                    let attempt = Attempt {
                        at: Utc::now(),
                        status_code: None,
                        error: Some(format!("sending {} failed", d.event_id)),
                        duration_ms: 0,
                    };
                    (attempt, false)
                })
            })
            .collect()
    });
    for (delivery, (attempt, delivered)) in due.iter().zip(&sent) {
        store.record_delivery_attempt(delivery, attempt, *delivered, &outbox.policy)?;
    }
    Ok(due.len())
}

/// Runs the dispatcher until the runtime stops: a round whenever an event is written, and at
/// least every second for retries that fall due.
pub(crate) fn spawn_dispatcher(
    store: Arc<dyn Store>,
    outbox: Arc<Outbox>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let (s, o) = (store.clone(), outbox.clone());
            let round = tokio::task::spawn_blocking(move || deliver_due(s.as_ref(), &o)).await;
            let busy = match round {
                Ok(Ok(n)) => n > 0,
                Ok(Err(e)) => {
                    tracing::error!("webhook deliveries: {e}");
                    false
                }
                Err(e) => {
                    tracing::error!("webhook dispatcher: {e}");
                    false
                }
            };
            if !busy {
                let _ = tokio::time::timeout(POLL, outbox.wake.notified()).await;
            }
        }
    })
}
