//! The Dosvid server: the JSON API under `/api/v1` (and, as they land, the web pages). Handlers
//! are thin: they parse, authenticate, call the [`Store`] on a blocking thread and shape the
//! answer. All domain rules live in `dosvid-domain` and `dosvid-store`.

mod api;
mod error;
mod extract;

use std::sync::Arc;

use axum::Router;
use dosvid_store::Store;

pub use error::ApiError;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState { store }
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
