//! `dosvid bench …`: figures that users feel, each measured next to a peer run in the same
//! session on the same data. Machines are shared and noisy; the ratio is the figure to compare
//! between runs.

pub mod analytics;
pub mod import;

use std::path::PathBuf;

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
