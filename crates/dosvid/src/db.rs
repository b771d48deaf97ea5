//! Opens the store a database URL names: `postgres://` or `postgresql://` for PostgreSQL,
//! anything else (`sqlite://PATH`, `sqlite:PATH`, a bare path) for SQLite.

use std::sync::Arc;

use anyhow::Context;
use dosvid_store::Store;

pub type SharedStore = Arc<dyn Store>;

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub fn open(url: &str) -> anyhow::Result<SharedStore> {
    let now = chrono::Utc::now();
    let store: SharedStore = if is_postgres(url) {
        Arc::new(
            dosvid_store_postgres::open(url, now)
                .with_context(|| format!("cannot open {}", redact(url)))?,
        )
    } else {
        let path = dosvid_store_sqlite::path_from_url(url);
        Arc::new(
            dosvid_store_sqlite::open(path, now)
                .with_context(|| format!("cannot open SQLite database {path}"))?,
        )
    };
    Ok(store)
}

/// A URL fit for messages: the password, if any, is hidden.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
