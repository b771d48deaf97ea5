//! Accepting connections so that clients which never finish cannot starve the ones that do.
//! A request's headers must arrive within [`Limits::header_timeout`], and a kept-alive
//! connection idle that long is closed too (hyper's header-read timer runs while it waits for
//! the next request). Connections are counted per client address and in all: when a new one
//! would pass either limit, the oldest connection of that address (or of all) that is not in
//! the middle of a request is closed to make room — so a flood of half-open connections from
//! one address costs that address its oldest, and `/healthz` from anywhere still answers.
//! The total stays below the process's file limit, so `accept` never runs out of descriptors.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, mpsc, watch};

/// How many connections a server keeps and how long it waits for a client.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections from one address before its oldest idle one is closed.
    pub per_address: usize,
    /// Connections in all before the oldest idle one is closed.
    pub total: usize,
    /// Time a client has to send a request's headers, and that a connection may stay idle.
    pub header_timeout: Duration,
}

/// Descriptors kept free for the database, log and data files beside the connections.
const RESERVED_FILES: u64 = 256;

impl Limits {
    /// 512 per address, and as many in all as the file limit allows once it is raised to its
    /// hard maximum (`ulimit -Hn`); headers within 10 s.
    pub fn for_this_process() -> Limits {
        let files = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(files) => files,
            Err(e) => {
                tracing::warn!("cannot read the file limit: {e}");
                4096
            }
        };
        let total = files.saturating_sub(RESERVED_FILES).max(64);
        Limits {
            per_address: 512,
            total: usize::try_from(total).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// One open connection, as the registry sees it.
struct Entry {
    ip: IpAddr,
    /// Requests being answered on it; 0 means idle or still sending its headers.
    busy: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    next: u64,
    open: BTreeMap<u64, Entry>,
    per_address: HashMap<IpAddr, usize>,
}

impl Registry {
    /// Adds a connection; closes the oldest idle ones its arrival puts over a limit.
    fn admit(&mut self, ip: IpAddr, limits: &Limits) -> (u64, Arc<AtomicUsize>, Arc<Notify>) {
        let id = self.next;
        self.next += 1;
        let (busy, close) = (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()));
        self.open.insert(
            id,
            Entry {
                ip,
                busy: busy.clone(),
                close: close.clone(),
            },
        );
        let count = self.per_address.entry(ip).or_default();
        *count += 1;
        if *count > limits.per_address {
            self.evict(|e| e.ip == ip);
        }
        if self.open.len() > limits.total {
            self.evict(|_| true);
        }
        (id, busy, close)
    }

    fn evict(&mut self, which: impl Fn(&Entry) -> bool) {
        let oldest = self
            .open
            .iter()
            .find(|(_, e)| which(e) && e.busy.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        if let Some(id) = oldest {
            // Its task closes the socket and then calls `leave`.
            let entry = self.forget(id);
            if let Some(entry) = entry {
                entry.close.notify_one();
            }
        }
    }

    fn forget(&mut self, id: u64) -> Option<Entry> {
        let entry = self.open.remove(&id)?;
        if let Some(count) = self.per_address.get_mut(&entry.ip) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&entry.ip);
            }
        }
        Some(entry)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let registry = Arc::new(Mutex::new(Registry::default()));
    let (stop, stopping) = watch::channel(false);
    // Each connection task holds a sender; when all are gone, every connection has closed.
    let (alive, mut all_closed) = mpsc::channel::<Infallible>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: wait a
                    // moment rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY the last segment of a large answer waits for the client's
        // delayed acknowledgement: 40 ms added to every big response.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let (id, busy, close) = registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .admit(peer.ip(), &limits);
        let (app, registry, mut stopping, alive) = (
            app.clone(),
            registry.clone(),
            stopping.clone(),
            alive.clone(),
        );
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut request| {
                // The peer address is what the public pages' rate limit counts by.
                request.extensions_mut().insert(ConnectInfo(peer));
                let busy = busy.clone();
                busy.fetch_add(1, Ordering::AcqRel);
                let answer = tower::ServiceExt::oneshot(app.clone(), request);
                async move {
                    let answer = answer.await;
                    busy.fetch_sub(1, Ordering::AcqRel);
                    answer
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            let mut connection = std::pin::pin!(connection);
            let closed = close.notified();
            let mut closed = std::pin::pin!(closed);
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(e) = result {
                            tracing::trace!("connection from {peer} ended: {e}");
                        }
                        break;
                    }
                    () = &mut closed => break,
                    changed = stopping.changed() => {
                        if changed.is_ok() {
                            connection.as_mut().graceful_shutdown();
                        } else {
                            break;
                        }
                    }
                }
            }
            registry
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .forget(id);
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(alive);
    // Requests in flight get up to 30 s to finish.
    let _ = tokio::time::timeout(Duration::from_secs(30), all_closed.recv()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_closes_the_oldest_idle_one_of_its_address_never_a_busy_one() {
        let limits = Limits {
            per_address: 2,
            total: 3,
            header_timeout: Duration::from_secs(1),
        };
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let mut registry = Registry::default();
        let (first, busy, _) = registry.admit(a, &limits);
        busy.fetch_add(1, Ordering::AcqRel);
        let (second, _, _) = registry.admit(a, &limits);
        let (third, _, _) = registry.admit(a, &limits);
        let open: Vec<u64> = registry.open.keys().copied().collect();
        assert_eq!(
            open,
            [first, third],
            "the busy first stays, the idle second goes"
        );
        let (fourth, _, _) = registry.admit(b, &limits);
        assert_eq!(registry.open.len(), 3);
        let (fifth, _, _) = registry.admit(b, &limits);
        let open: Vec<u64> = registry.open.keys().copied().collect();
        assert_eq!(
            open,
            [first, fourth, fifth],
            "over the total: the oldest idle anywhere"
        );
        assert_eq!(registry.per_address[&a], 1);
        assert!(registry.forget(second).is_none());
    }
}
