//! End-to-end tests of the `dosvid` binary: real processes, real files, real HTTP.

mod crash;
mod demo;
mod import;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub fn dosvid() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dosvid"))
}

/// Runs `dosvid ARGS` and returns its standard output, failing the test on a non-zero exit.
pub fn run(args: &[&str]) -> String {
    let output = dosvid().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "dosvid {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A key for the database at `db`.
pub fn api_key(db: &str) -> String {
    run(&["keys", "create", "--db", db, "--name", "tests"])
        .trim()
        .to_owned()
}

/// A running `dosvid serve` on a free port.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(db: &Path) -> Server {
        let url = format!("sqlite://{}", db.display());
        let mut child = dosvid()
            .args(["serve", "--db", &url, "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The server says how its analytics index was built, then where it listens.
        let base = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .map(Result::unwrap)
            .find_map(|line| line.strip_prefix("listening on ").map(str::to_owned))
            .expect("the server said where it listens");
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
