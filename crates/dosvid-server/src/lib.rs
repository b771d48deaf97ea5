//! The Dosvid server: the JSON API under `/api/v1` (and, as they land, the web pages). Handlers
//! are thin: they parse, authenticate, call the [`Store`] on a blocking thread and shape the
//! answer. All domain rules live in `dosvid-domain` and `dosvid-store`; questions about the data
//! are answered from the analytics index ([`analytics`]), which write handlers keep current.

pub mod analytics;
mod api;
mod error;
mod extract;

use std::sync::Arc;

use axum::Router;
use dosvid_store::Store;

use crate::analytics::Analytics;

pub use error::ApiError;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub analytics: Arc<Analytics>,
}

impl AppState {
    /// A state whose analytics indexes are built on each organisation's first question; call
    /// [`Analytics::load`] before serving to build them at start instead.
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState {
            store,
            analytics: Arc::new(Analytics::default()),
        }
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

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    api::router(state)
}

/// The OpenAPI 3.1 document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::openapi()
}

/// Serves `app` until ctrl-c or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Without TCP_NODELAY the last segment of a large answer waits for the client's delayed
    // acknowledgement: 40 ms added to every big response.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
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
