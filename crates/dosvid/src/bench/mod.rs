//! `dosvid bench …`: figures that users feel, each measured next to a peer run in the same
//! session on the same data. Machines are shared and noisy; the ratio is the figure to compare
//! between runs.

pub mod analytics;
pub mod import;
pub mod text;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
