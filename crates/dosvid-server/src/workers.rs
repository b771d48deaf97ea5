//! Threads that stay, for work a request splits across cores (reading a batch's records and
//! their comments). A thread spawned per request starts with an empty allocator heap and
//! faults fresh pages in for everything it allocates; these keep theirs warm.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

pub struct Workers {
    jobs: Sender<Job>,
}

impl Workers {
    /// The process's workers: one per core beyond the one the caller runs on.
    pub fn global() -> &'static Workers {
        static WORKERS: OnceLock<Workers> = OnceLock::new();
        WORKERS.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            Workers::new(cores.saturating_sub(1).max(1))
        })
    }

    fn new(threads: usize) -> Workers {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("dosvid-worker-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panicking job loses its answer (the caller sees a closed
                            // channel), not the thread.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawning a worker thread");
        }
        Workers { jobs }
    }

    /// Runs `f` on a worker; its answer arrives on the returned channel.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Receiver<T> {
        let (answer, answered) = mpsc::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(f());
        });
        if let Err(mpsc::SendError(job)) = self.jobs.send(job) {
            // No worker is left: run it here.
            job();
        }
        answered
    }
}

#[cfg(test)]
mod tests {
    use super::Workers;

    #[test]
    fn jobs_run_and_a_panicking_one_does_not_stop_the_workers() {
        let workers = Workers::new(1);
        let failed = workers.run(|| -> u32 { panic!("a failing job") });
        assert!(failed.recv().is_err());
        let answers: Vec<_> = (0..10u32).map(|i| workers.run(move || i * 2)).collect();
        let sum: u32 = answers.into_iter().map(|a| a.recv().unwrap()).sum();
        assert_eq!(sum, 90);
    }
}
