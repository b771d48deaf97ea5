//! What a running server tells its operator: `GET /metrics` in the Prometheus text format —
//! requests by route and status with their latency, records stored, the analytics indexes'
//! size and build time, the webhook queue, and rule runs.
//!
//! The counters are the process's (one registry per process, as Prometheus counts processes):
//! a scrape of one server of several reports that server. Routes are counted by their pattern
//! (`/api/v1/customers/{id}`), never by the path asked for, so a scan of random addresses adds
//! one series (`unmatched`), not one per address.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dosvid_domain::RecordKind;
use sha2::{Digest, Sha256};

use crate::AppState;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The requests of one route and method: by status, and their latency — counts per bucket
/// (not cumulative), sum, count.
#[derive(Default)]
struct Served {
    statuses: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The process's counters.
struct Registry {
    /// route → method → requests. Nested, so that counting a request of a series already seen
    /// allocates nothing (the maps are looked up by `&str`).
    requests: Mutex<BTreeMap<String, BTreeMap<String, Served>>>,
    /// Records stored, by [`RecordKind`] in the order of `KINDS`.
    stored: [AtomicU64; 4],
    index_builds: AtomicU64,
    index_build_micros: AtomicU64,
    /// `(kind of rule, outcome)` → runs.
    rule_runs: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    cases_opened: AtomicU64,
    alerts_raised: AtomicU64,
}

static REGISTRY: Registry = Registry {
    requests: Mutex::new(BTreeMap::new()),
    stored: [const { AtomicU64::new(0) }; 4],
    index_builds: AtomicU64::new(0),
    index_build_micros: AtomicU64::new(0),
    rule_runs: Mutex::new(BTreeMap::new()),
    cases_opened: AtomicU64::new(0),
    alerts_raised: AtomicU64::new(0),
};

const KINDS: [RecordKind; 4] = [
    RecordKind::Customers,
    RecordKind::Interactions,
    RecordKind::Feedback,
    RecordKind::Transactions,
];

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Counts `n` records of `kind` stored.
pub fn stored(kind: RecordKind, n: usize) {
    let slot = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
    REGISTRY.stored[slot].fetch_add(n as u64, Ordering::Relaxed);
}

/// Counts an analytics index built (at start, on first use, or again after a change).
pub fn index_built(took: Duration) {
    REGISTRY.index_builds.fetch_add(1, Ordering::Relaxed);
    REGISTRY
        .index_build_micros
        .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
}

/// Counts a run of rules of `kind` (`record` or `aggregate`) that `failed` or not.
pub fn rules_ran(kind: &'static str, runs: usize, failed: bool) {
    let outcome = if failed { "failed" } else { "done" };
    *lock(&REGISTRY.rule_runs)
        .entry((kind, outcome))
        .or_default() += runs as u64;
}

/// Counts cases opened by rules and alerts raised.
pub fn rules_acted(cases: usize, alerts: usize) {
    REGISTRY
        .cases_opened
        .fetch_add(cases as u64, Ordering::Relaxed);
    REGISTRY
        .alerts_raised
        .fetch_add(alerts as u64, Ordering::Relaxed);
}

/// The middleware that counts every request by its route's pattern, method and status.
pub async fn count(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let took = started.elapsed().as_secs_f64();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let mut requests = lock(&REGISTRY.requests);
    if !requests.contains_key(route) {
        requests.insert(route.to_owned(), BTreeMap::new());
    }
    let methods = requests.get_mut(route).expect("inserted above");
    if !methods.contains_key(method.as_str()) {
        methods.insert(method.as_str().to_owned(), Served::default());
    }
    let served = methods.get_mut(method.as_str()).expect("inserted above");
    *served
        .statuses
        .entry(response.status().as_u16())
        .or_default() += 1;
    if let Some(bucket) = BUCKETS.iter().position(|b| took <= *b) {
        served.buckets[bucket] += 1;
    }
    served.sum += took;
    served.count += 1;
    response
}

/// `GET /metrics`. With a metrics token configured, only a request bearing it is answered.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let offered = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // Digests compared, so the time taken tells nothing of how much of the token matched.
        let matches = offered.is_some_and(|o| Sha256::digest(o) == Sha256::digest(&**token));
        if !matches {
            return (StatusCode::UNAUTHORIZED, "a metrics token is required\n").into_response();
        }
    }
    let backlog = state
        .run(|store| store.webhook_backlog(chrono::Utc::now()))
        .await
        .ok();
    let indexes = state.analytics.sizes();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&indexes, backlog),
    )
        .into_response()
}

/// The text exposition of every metric.
fn render(
    indexes: &[crate::analytics::IndexSize],
    backlog: Option<dosvid_store::WebhookBacklog>,
) -> String {
    let mut out = String::new();

    let name = family(
        &mut out,
        "dosvid_http_requests_total",
        "counter",
        "HTTP requests answered, by route pattern, method and status.",
    );
    let requests = lock(&REGISTRY.requests);
    let series = || {
        requests.iter().flat_map(|(route, methods)| {
            let route = escape(route);
            methods.iter().map(move |(method, served)| {
                (format!("route=\"{route}\",method=\"{method}\""), served)
            })
        })
    };
    for (labels, served) in series() {
        for (status, n) in &served.statuses {
            let _ = writeln!(out, "{name}{{{labels},status=\"{status}\"}} {n}");
        }
    }

    let name = family(
        &mut out,
        "dosvid_http_request_duration_seconds",
        "histogram",
        "Time to answer an HTTP request, by route pattern and method.",
    );
    for (labels, latency) in series() {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(latency.buckets) {
            cumulative += n;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels},le=\"+Inf\"}} {}",
            latency.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", latency.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", latency.count);
    }
    drop(requests);

    let name = family(
        &mut out,
        "dosvid_records_stored_total",
        "counter",
        "Records stored through this server, by kind.",
    );
    for (kind, n) in KINDS.iter().zip(&REGISTRY.stored) {
        let _ = writeln!(
            out,
            "{name}{{kind=\"{}\"}} {}",
            kind.as_str(),
            n.load(Ordering::Relaxed)
        );
    }

    let total = |of: fn(&crate::analytics::IndexSize) -> usize| indexes.iter().map(of).sum();
    let index_records: usize = total(|s| s.records);
    let index_interactions: usize = total(|s| s.interactions);
    let index_bytes: usize = total(|s| s.bytes);
    let seconds = REGISTRY.index_build_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let mut singles: Vec<(&str, &str, &str, String)> = vec![
        (
            "dosvid_index_records",
            "gauge",
            "Feedback records in the analytics indexes.",
            index_records.to_string(),
        ),
        (
            "dosvid_index_interactions",
            "gauge",
            "Interactions in the analytics indexes.",
            index_interactions.to_string(),
        ),
        (
            "dosvid_index_bytes",
            "gauge",
            "Memory the analytics indexes hold, in bytes.",
            index_bytes.to_string(),
        ),
        (
            "dosvid_index_organisations",
            "gauge",
            "Organisations whose analytics index is built.",
            indexes.len().to_string(),
        ),
        (
            "dosvid_index_builds_total",
            "counter",
            "Analytics indexes built from the database.",
            REGISTRY.index_builds.load(Ordering::Relaxed).to_string(),
        ),
        (
            "dosvid_index_build_seconds_total",
            "counter",
            "Time spent building analytics indexes.",
            seconds.to_string(),
        ),
        (
            "dosvid_rule_cases_opened_total",
            "counter",
            "Cases opened by rules.",
            REGISTRY.cases_opened.load(Ordering::Relaxed).to_string(),
        ),
        (
            "dosvid_alerts_raised_total",
            "counter",
            "Alerts raised by aggregate rules.",
            REGISTRY.alerts_raised.load(Ordering::Relaxed).to_string(),
        ),
    ];
    if let Some(backlog) = backlog {
        singles.push((
            "dosvid_webhook_deliveries_pending",
            "gauge",
            "Webhook deliveries waiting to be sent (all organisations).",
            backlog.pending.to_string(),
        ));
        singles.push((
            "dosvid_webhook_deliveries_due",
            "gauge",
            "Pending webhook deliveries whose time has come.",
            backlog.due.to_string(),
        ));
    }
    for (metric, kind, help, value) in singles {
        let name = family(&mut out, metric, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }

    let name = family(
        &mut out,
        "dosvid_rule_runs_total",
        "counter",
        "Rules run, by kind (record, aggregate) and outcome.",
    );
    for ((kind, outcome), n) in lock(&REGISTRY.rule_runs).iter() {
        let _ = writeln!(out, "{name}{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}");
    }
    out
}

/// Writes a metric family's header; returns its name for the samples that follow.
fn family<'a>(out: &mut String, name: &'a str, kind: &str, help: &str) -> &'a str {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    name
}

/// A label value as the exposition format writes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
