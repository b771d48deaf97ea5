//! `dosvid bench …`: figures that users feel, each measured next to a peer run in the same
//! session on the same data. Machines are shared and noisy; the ratio is the figure to compare
//! between runs.

pub mod analytics;
pub mod impact;
pub mod import;
pub mod ingest;
pub mod insights;
pub mod journey;
pub mod pages;
pub mod text;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// A fresh folder for one run's scratch files.
fn scratch_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("dosvid-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `run` repeated (at least once): the median of its times in seconds, and its last answer.
fn timed<T>(repeat: usize, mut run: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(f64, T)> {
    let mut times = Vec::new();
    let mut answer = None;
    for _ in 0..repeat.max(1) {
        let started = std::time::Instant::now();
        answer = Some(run()?);
        times.push(started.elapsed().as_secs_f64());
    }
    Ok((median(times), answer.context("no run")?))
}

/// A Python with `packages` importable: a virtual environment made once per package set, in the
/// temporary folder, for the peers the benchmarks run.
pub(crate) fn python_with(packages: &[&str]) -> anyhow::Result<PathBuf> {
    let venv = std::env::temp_dir().join(format!("dosvid-venv-{}", packages.join("-")));
    let python = venv.join("bin/python");
    let check = format!("import {}", packages.join(", "));
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", &check])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    eprintln!(
        "creating a Python environment with {} in {}",
        packages.join(", "),
        venv.display()
    );
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("running python3 -m venv")?;
    if !status.success() {
        bail!("python3 -m venv failed");
    }
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet"])
        .args(packages)
        .status()
        .context("running pip")?;
    if !status.success() || !ready(&python) {
        bail!(
            "could not install {} into {}",
            packages.join(", "),
            venv.display()
        );
    }
    Ok(python)
}

/// The server under test, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: String,
    pub(crate) build_line: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(crate) fn start(db: &str, log: &Path) -> anyhow::Result<Server> {
        let exe = std::env::current_exe().context("finding the dosvid binary")?;
        let mut child = Command::new(exe)
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("starting the server")?;
        let stdout = child.stdout.take().expect("piped");
        let mut server = Server {
            child,
            address: String::new(),
            build_line: String::new(),
        };
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if line.starts_with("analytics index:") {
                server.build_line = line;
            } else if let Some(address) = line.strip_prefix("listening on ") {
                server.address = address.trim().to_owned();
                return Ok(server);
            }
        }
        bail!(
            "the server stopped before listening: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    }

    /// (resident, peak resident) memory in MB, from /proc.
    pub(crate) fn memory_mb(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<u64>().ok())
                .map(|kb| kb / 1024)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}
