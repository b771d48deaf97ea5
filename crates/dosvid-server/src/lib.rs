//! The Dosvid server: the JSON API under `/api/v1` (and, as they land, the web pages). Handlers
//! are thin: they parse, authenticate, call the [`Store`] on a blocking thread and shape the
//! answer. All domain rules live in `dosvid-domain` and `dosvid-store`; questions about the data
//! are answered from the analytics index ([`analytics`]), which write handlers keep current.

pub mod access;
mod alerts;
pub mod analytics;
mod api;
pub mod application;
pub mod audit;
mod complaints;
mod connections;
pub mod diagnosis;
mod download;
mod error;
mod extract;
mod network;
mod pages;
mod period;
mod privacy;
mod questions;
pub mod reading;
pub mod research;
mod service;
mod servqual;
pub mod strategy;
mod telemetry;
mod watch;
mod webhooks;
mod words;
mod workers;

use std::sync::Arc;

use axum::Router;
use dosvid_store::Store;

use crate::analytics::Analytics;

pub use connections::Limits;
pub use error::ApiError;
pub use network::Network;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub analytics: Arc<Analytics>,
    /// How customers reach this server (`https://cx.example.com`), for the links it hands
    /// out; without it, links use the address the API was called on.
    pub public_url: Option<Arc<str>>,
    /// Limits how fast one address may use the public survey pages.
    pub(crate) rate_limit: Arc<pages::RateLimiter>,
    /// Where webhook events are written.
    pub(crate) outbox: Arc<webhooks::Outbox>,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub(crate) trusted_proxies: Arc<[Network]>,
    /// The bearer token `GET /metrics` asks for; without one, the metrics are open.
    pub(crate) metrics_token: Option<Arc<str>>,
}

impl AppState {
    /// A state whose analytics indexes are built on each organisation's first question; call
    /// [`Analytics::load`] before serving to build them at start instead.
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState {
            store,
            analytics: Arc::new(Analytics::default()),
            public_url: None,
            rate_limit: Arc::new(pages::RateLimiter::default()),
            outbox: Arc::new(webhooks::Outbox::new(Default::default(), Vec::new())),
            trusted_proxies: Arc::new([]),
            metrics_token: None,
        }
    }

    /// Retries webhook deliveries under `policy` instead of the default schedule.
    pub fn with_retry_policy(mut self, policy: dosvid_domain::webhook::RetryPolicy) -> Self {
        let allowed = self.outbox.allowed_networks().to_vec();
        self.outbox = Arc::new(webhooks::Outbox::new(policy, allowed));
        self
    }

    /// Lets webhooks be sent to these private networks (receivers inside the company's own
    /// network); any other private, loopback or link-local address is refused.
    pub fn with_webhook_networks(mut self, allowed: Vec<Network>) -> Self {
        self.outbox = Arc::new(webhooks::Outbox::new(self.outbox.policy(), allowed));
        self
    }

    /// Trusts these proxies' `X-Forwarded-For` for the client's address (the rate limit's).
    pub fn with_trusted_proxies(mut self, proxies: Vec<Network>) -> Self {
        self.trusted_proxies = proxies.into();
        self
    }

    /// Answers `GET /metrics` only to requests bearing `token`.
    pub fn with_metrics_token(mut self, token: &str) -> Self {
        self.metrics_token = Some(token.into());
        self
    }

    /// Starts the work a serving process does besides answering requests: the webhook
    /// dispatcher and the schedule of aggregate rules. Call inside the runtime; [`serve`] does.
    pub fn start_background(&self) -> Background {
        Background(vec![
            webhooks::spawn_dispatcher(self.store.clone(), self.outbox.clone()),
            watch::spawn_scheduler(self.clone()),
        ])
    }

    /// Sets the address customers reach this server at (see [`AppState::public_url`]).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.trim_end_matches('/').into());
        self
    }

    /// The base of the links this server hands out.
    pub(crate) fn base_url(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.to_string();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    /// Runs a store operation on a blocking thread: store calls block on I/O.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> dosvid_store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(join) => Err(ApiError::internal(format!("store task failed: {join}"))),
        }
    }

    /// Runs a write on a blocking thread with the analytics indexes at hand, so that the
    /// handler can append what it stored before answering.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store, &Analytics) -> dosvid_store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let analytics = self.analytics.clone();
        self.run(move |store| f(store, &analytics)).await
    }
}

/// The tasks of [`AppState::start_background`].
pub struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Background {
    /// Stops them (a round already running on a blocking thread finishes).
    pub fn abort(&self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let https = state
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let metrics = Router::new()
        .route("/metrics", axum::routing::get(telemetry::metrics))
        .with_state(state.clone());
    api::router(state.clone())
        .merge(pages::router(state))
        .merge(metrics)
        .layer(axum::middleware::from_fn(telemetry::count))
        .layer(axum::middleware::from_fn(move |req, next| {
            security_headers(https, req, next)
        }))
}

/// Headers every answer carries: no content sniffing (a JSON or CSV answer is never run as a
/// page), no `Referer` from pages to other sites (a survey link's token would leave with it;
/// `same-origin`, not `no-referrer`, under which browsers send `Origin: null` on the server's own
/// forms and the origin check could not tell them from a foreign post), and, served over
/// https, HSTS.
async fn security_headers(
    https: bool,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if html {
        headers
            .entry(header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("same-origin"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// The OpenAPI 3.1 document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> serde_json::Value {
    api::openapi()
}

/// Serves `app` until ctrl-c or SIGTERM, then finishes the requests in flight; connections
/// are limited as [`Limits::for_this_process`] says.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(
        listener,
        state,
        Limits::for_this_process(),
        shutdown_signal(),
    )
    .await
}

/// [`serve`] with chosen connection limits, until `shutdown` completes.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let background = state.start_background();
    let served = connections::serve(listener, app(state), limits, shutdown).await;
    background.abort();
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
