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
        let mut conn = self.checkout()?;
        let result = f(&mut conn);
        let mut state = self.state.lock().expect("pool lock");
        if healthy(&mut conn) {
            state.idle.push(conn);
        } else {
            state.open -= 1;
        }
        drop(state);
        self.returned.notify_one();
        result
    }

    fn checkout(&self) -> Result<C> {
        let mut state = self.state.lock().expect("pool lock");
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(conn);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return (self.connect)().inspect_err(|_| {
                    self.state.lock().expect("pool lock").open -= 1;
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
