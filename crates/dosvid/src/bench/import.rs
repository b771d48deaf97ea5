//! `dosvid bench import`: how fast a CSV of feedback records goes into SQLite through Dosvid's
//! own import path, next to a peer run in the same session on the same file — Python's `sqlite3`
//! loading the rows into a bare table with no validation, no reference resolution and no
//! indexes, the floor for a row-at-a-time loader on the machine. Machines are shared and noisy;
//! the ratio is the figure to compare between runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use dosvid_demo::rng::Rng;

const TOUCHPOINTS: &[(&str, &str)] = &[
    ("contact-centre.queue", "phone"),
    ("contact-centre.agent", "phone"),
    ("mobile-app.login", "app"),
    ("mobile-app.self-service", "app"),
    ("store.consultant", "store"),
    ("billing.invoice", "email"),
    ("chat-support", "chat"),
    ("e-shop.delivery", "web"),
];
const COMMENTS: &[&str] = &[
    "Чекав на лінії 25 хвилин, жах",
    "Швидко і зручно, дякую",
    "Приложение вылетает после обновления",
    "Great service, the agent solved it in one call",
    "Рахунок незрозумілий, за що списали гроші?",
];

/// Writes `rows` feedback records (and `rows / 10` customers) as CSV, deterministically.
pub fn write_feedback_csv(path: &Path, rows: usize) -> anyhow::Result<()> {
    let mut rng = Rng::new(20_251_123);
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(
        out,
        "external_id,customer_external_id,touchpoint,channel,occurred_at,nps,csat,ces,comment"
    )?;
    let customers = (rows / 10).max(1);
    for i in 0..rows {
        let (touchpoint, channel) = rng.pick(TOUCHPOINTS);
        let (month, day, hour, minute) = (
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
        );
        let csat = if rng.chance(0.7) {
            (1 + rng.below(5)).to_string()
        } else {
            String::new()
        };
        let ces = if rng.chance(0.5) {
            (1 + rng.below(7)).to_string()
        } else {
            String::new()
        };
        let comment = if rng.chance(0.3) {
            rng.pick(COMMENTS)
        } else {
            ""
        };
        writeln!(
            out,
            "r{i},C{},{touchpoint},{channel},2025-{month:02}-{day:02} {hour:02}:{minute:02}:00,{},{csat},{ces},\"{comment}\"",
            rng.below(customers),
            rng.below(11)
        )?;
    }
    out.flush()?;
    Ok(())
}

const PEER: &str = r#"
import csv, sqlite3, sys, time
path, db = sys.argv[1], sys.argv[2]
t = time.time()
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA synchronous=FULL")
c.execute("CREATE TABLE feedback (external_id TEXT, customer TEXT, touchpoint TEXT, channel TEXT, occurred_at TEXT, nps INT, csat INT, ces INT, comment TEXT)")
rows = csv.reader(open(path, newline="", encoding="utf-8")); next(rows)
batch = []
def flush():
    c.execute("BEGIN"); c.executemany("INSERT INTO feedback VALUES (?,?,?,?,?,?,?,?,?)", batch); c.execute("COMMIT"); batch.clear()
for row in rows:
    batch.append(row)
    if len(batch) == 10000: flush()
if batch: flush()
print(time.time() - t)
"#;

pub fn run(rows: usize, keep: Option<PathBuf>) -> anyhow::Result<()> {
    let scratch = super::scratch_dir()?;
    let dir = keep.unwrap_or_else(|| scratch.clone());
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join(format!("feedback-{rows}.csv"));
    if !csv.exists() {
        eprintln!("generating {}", csv.display());
        write_feedback_csv(&csv, rows)?;
    }
    let db = scratch.join("bench.db");
    let store = crate::db::open(&format!("sqlite://{}", db.display()))?;
    let options = crate::import::Options {
        format: None,
        map: Vec::new(),
        rejects: None,
        batch: 10_000,
        progress: false,
        bulk: None,
        encoding: None,
    };
    let started = Instant::now();
    let summary = crate::import::run(
        store.as_ref(),
        dosvid_domain::RecordKind::Feedback,
        &csv,
        &options,
    )?;
    let ours = started.elapsed().as_secs_f64();
    if summary.created != rows {
        bail!("expected {rows} records created, got: {summary}");
    }
    drop(store);

    let peer_db = scratch.join("peer.db");
    let output = Command::new("python3")
        .args(["-c", PEER])
        .arg(&csv)
        .arg(&peer_db)
        .output()
        .context("running python3")?;
    if !output.status.success() {
        bail!(
            "the peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peer: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("reading the peer's time")?;
    println!(
        "import_feedback_sqlite rows={rows} ours_s={ours:.2} ours_rows_per_s={:.0} peer=python-sqlite3-bare peer_s={peer:.2} peer_rows_per_s={:.0} ratio={:.2}",
        rows as f64 / ours,
        rows as f64 / peer,
        ours / peer
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
