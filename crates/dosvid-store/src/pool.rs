//! A small blocking connection pool: connections are opened on demand up to a maximum, reused,
//! and dropped when a backend reports them broken. Enough for a server whose blocking threads
//! each hold a connection for one short operation.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::{Result, StoreError};

type Connect<C> = Box<dyn Fn() -> Result<C> + Send + Sync>;

pub struct Pool<C> {
    state: Mutex<State<C>>,
    returned: Condvar,
    max: usize,
    connect: Connect<C>,
}

struct State<C> {
    idle: Vec<C>,
    open: usize,
}

impl<C> Pool<C> {
    pub fn new(max: usize, connect: impl Fn() -> Result<C> + Send + Sync + 'static) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            max: max.max(1),
            connect: Box::new(connect),
        }
    }

    /// Runs `f` with a connection. `healthy` tells after use whether the connection may be reused.
    pub fn with<R>(
        &self,
        healthy: impl Fn(&mut C) -> bool,
        f: impl FnOnce(&mut C) -> Result<R>,
    ) -> Result<R> {
        let mut checked_out = CheckedOut {
            pool: self,
            conn: Some(self.checkout()?),
        };
        let conn = checked_out.conn.as_mut().expect("connection present");
        let result = f(conn);
        if !healthy(conn) {
            checked_out.conn = None;
        }
        result
    }

    fn checkout(&self) -> Result<C> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return (self.connect)().inspect_err(|_| {
                    self.state
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .open -= 1;
                });
            }
            let (next, timeout) = self
                .returned
                .wait_timeout(state, Duration::from_secs(30))
                .expect("pool lock");
            if timeout.timed_out() && next.idle.is_empty() && next.open >= self.max {
                return Err(StoreError::Backend(
                    "timed out waiting for a database connection".into(),
                ));
            }
            state = next;
        }
    }
}

/// Gives a connection back when dropped — also when the code using it panicked, so that a panic
/// cannot shrink the pool. A connection taken out (`conn = None`) is counted as closed.
struct CheckedOut<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> Drop for CheckedOut<'_, C> {
    fn drop(&mut self) {
        let mut state = self
            .pool
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match self.conn.take() {
            Some(conn) if !std::thread::panicking() => state.idle.push(conn),
            _ => state.open -= 1,
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_while_holding_a_connection_does_not_shrink_the_pool() {
        let pool = Pool::new(1, || Ok(0u32));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.with(|_| true, |_| -> Result<()> { panic!("a bug") })
        }));
        assert!(panicked.is_err());
        // With the slot leaked, this would wait 30 s and fail.
        assert_eq!(pool.with(|_| true, |c| Ok(*c)).unwrap(), 0);
    }

    #[test]
    fn a_broken_connection_is_replaced() {
        let opened = std::sync::atomic::AtomicU32::new(0);
        let pool = Pool::new(1, move || {
            Ok(opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
        });
        assert_eq!(pool.with(|_| false, |c| Ok(*c)).unwrap(), 0);
        assert_eq!(pool.with(|_| true, |c| Ok(*c)).unwrap(), 1);
        assert_eq!(pool.with(|_| true, |c| Ok(*c)).unwrap(), 1);
    }
}
