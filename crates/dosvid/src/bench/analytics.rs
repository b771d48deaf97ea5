//! `dosvid bench analytics`: the five canonical dashboard questions asked of a Dosvid server
//! over HTTP, next to DuckDB answering them on the same CSV files (`duckdb_peer.py`) in the same
//! run. The data is the canonical benchmark set (`gen_data.py`), imported through Dosvid's own
//! import path into a fresh SQLite database; the server builds its analytics index from that
//! database at start, as it always does. Both engines' answers are reduced to the same canonical
//! rows and hashed the same way, so `same_answer=yes` means the same rows with values equal to
//! two decimals.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use dosvid_domain::{NewJourney, NewStage, NewTouchpoint, OrganisationPatch, RecordKind};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Server, median, scratch_dir};

pub struct Options {
    pub rows: usize,
    pub data: Option<PathBuf>,
    /// Where `gen_data.py` and `duckdb_peer.py` are.
    pub peers: PathBuf,
    pub repeat: usize,
    /// Keep the database in this file; when it already holds the data, the import is skipped.
    pub db: Option<PathBuf>,
}

/// One cell of a canonical result row, as the peer's Python sees it.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Int(i64),
    Text(String),
    Float(Option<f64>),
}

impl Cell {
    /// Python's `json.dumps` of the cell after the peer's `round(v, 2)` of floats.
    fn python_json(&self) -> String {
        match self {
            Cell::Int(i) => i.to_string(),
            Cell::Text(s) => serde_json::to_string(s).expect("strings serialise"),
            Cell::Float(None) => "null".into(),
            Cell::Float(Some(v)) => {
                // `{:.2}` rounds the exact binary value half to even, as Python's round does;
                // reading it back and printing the shortest form is Python's float repr.
                let rounded: f64 = format!("{v:.2}").parse().expect("a formatted float parses");
                let mut text = rounded.to_string();
                if !text.contains(['.', 'e', 'i', 'N']) {
                    text.push_str(".0");
                }
                text
            }
        }
    }
}

/// The peer's `result_sha`: SHA-256 of `json.dumps(rows)`, first 16 hex digits.
fn result_sha(rows: &[Vec<Cell>]) -> String {
    let json = format!(
        "[{}]",
        rows.iter()
            .map(|row| format!(
                "[{}]",
                row.iter()
                    .map(Cell::python_json)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let digest = Sha256::digest(json.as_bytes());
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..16]
        .to_owned()
}

/// A canonical question: how to ask it, and how to read the answer into the peer's rows.
struct Question {
    name: &'static str,
    request: Value,
    columns: &'static [Column],
}

/// Where a canonical column comes from in a result row.
enum Column {
    GroupInt(&'static str),
    GroupText(&'static str),
    N,
    Reach,
    Value(&'static str),
}

fn questions() -> Vec<Question> {
    use Column::*;
    vec![
        Question {
            name: "q1_tp_month",
            request: json!({"measures": ["n", "nps", "csat", "ces"], "group_by": ["touchpoint", "month"]}),
            columns: &[
                GroupInt("touchpoint"),
                GroupText("month"),
                N,
                Value("nps"),
                Value("csat"),
                Value("ces"),
            ],
        },
        Question {
            name: "q2_month_chan",
            request: json!({"measures": ["n", "nps"], "group_by": ["channel"],
                            "filters": {"from": "2025-06-01", "to": "2025-07-01"}}),
            columns: &[GroupText("channel"), N, Value("nps")],
        },
        Question {
            name: "q3_week_tp",
            request: json!({"measures": ["n", "nps"], "group_by": ["week"],
                            "filters": {"touchpoint": "7", "channel": "phone"}}),
            columns: &[GroupText("week"), N, Value("nps")],
        },
        Question {
            name: "q4_segment_q",
            request: json!({"measures": ["n", "nps"], "group_by": ["segment", "quarter"]}),
            columns: &[GroupText("segment"), GroupText("quarter"), N, Value("nps")],
        },
        Question {
            name: "q5_reach",
            request: json!({"measures": ["reach"], "group_by": ["touchpoint"]}),
            columns: &[GroupInt("touchpoint"), Reach],
        },
    ]
}

fn canonical(question: &Question, answer: &Value) -> anyhow::Result<Vec<Vec<Cell>>> {
    let rows = answer["rows"]
        .as_array()
        .with_context(|| format!("{}: no rows in {answer}", question.name))?;
    let mut out = Vec::new();
    for row in rows {
        let cells = question
            .columns
            .iter()
            .map(|column| {
                Ok(match column {
                    Column::GroupInt(d) => Cell::Int(
                        row["group"][d]
                            .as_str()
                            .and_then(|s| s.parse().ok())
                            .with_context(|| format!("{d} is not a number in {row}"))?,
                    ),
                    Column::GroupText(d) => Cell::Text(
                        row["group"][d]
                            .as_str()
                            .with_context(|| format!("no {d} in {row}"))?
                            .to_owned(),
                    ),
                    Column::N => Cell::Int(row["n"].as_i64().context("no n")?),
                    Column::Reach => Cell::Int(row["reach"].as_i64().context("no reach")?),
                    Column::Value(m) => Cell::Float(row[m]["value"].as_f64()),
                })
            })
            .collect::<anyhow::Result<Vec<Cell>>>()?;
        out.push(cells);
    }
    out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Ok(out)
}

/// The canonical data's touchpoints are numbers 0–39: a journey whose touchpoint keys are them.
fn prepare(store: &dyn dosvid_store::Store) -> anyhow::Result<()> {
    let org = store.default_org()?;
    let now = Utc::now();
    // The peer counts months in the data's own (UTC) clock.
    store.update_organisation(
        org,
        OrganisationPatch {
            time_zone: Some("UTC".into()),
            ..Default::default()
        },
    )?;
    let journey = NewJourney {
        key: "bench".into(),
        name: "Benchmark".into(),
        names: Default::default(),
        description: None,
    };
    let journey = store.create_journey(org, journey, now)?;
    let stage = NewStage {
        name: "All".into(),
        names: Default::default(),
        position: None,
        description: None,
    };
    let stage = store.create_stage(org, journey.id, stage, now)?;
    for tp in 0..40 {
        let touchpoint = NewTouchpoint {
            stage_id: stage.id,
            parent_id: None,
            key: tp.to_string(),
            name: format!("Touchpoint {tp}"),
            names: Default::default(),
            moment_of_truth: false,
            owner_department: None,
            channels: Vec::new(),
        };
        store.create_touchpoint(org, touchpoint.validate()?, now)?;
    }
    Ok(())
}

fn import(
    store: &dyn dosvid_store::Store,
    kind: RecordKind,
    file: &Path,
    map: &[&str],
) -> anyhow::Result<crate::import::Summary> {
    let options = crate::import::Options {
        format: None,
        map: map.iter().map(|m| (*m).to_owned()).collect(),
        rejects: None,
        batch: 10_000,
        progress: false,
        bulk: None,
        encoding: None,
    };
    let summary = crate::import::run(store, kind, file, &options)?;
    if summary.rejected > 0 {
        bail!(
            "{} rows of {} were rejected",
            summary.rejected,
            file.display()
        );
    }
    Ok(summary)
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let python = super::python_with(&["duckdb", "numpy"])?;
    let scratch = scratch_dir()?;
    let data = options.data.clone().unwrap_or_else(|| scratch.join("data"));
    if !data.join("responses.csv").exists() {
        eprintln!(
            "generating {} records into {}",
            options.rows,
            data.display()
        );
        let status = Command::new(&python)
            .arg(options.peers.join("gen_data.py"))
            .arg(&data)
            .arg(options.rows.to_string())
            .status()
            .context("running gen_data.py")?;
        if !status.success() {
            bail!("gen_data.py failed");
        }
    }

    let db_path = options
        .db
        .clone()
        .unwrap_or_else(|| scratch.join("bench.db"));
    let reuse = db_path.exists();
    let db = format!("sqlite://{}", db_path.display());
    let mut import_line = "import_feedback skipped: the database already holds the data".to_owned();
    if !reuse {
        let store = crate::db::open(&db)?;
        prepare(store.as_ref())?;
        eprintln!("importing {}", data.display());
        import(
            store.as_ref(),
            RecordKind::Customers,
            &data.join("customers.csv"),
            &["customer_id=external_id", "signup_date=attr.signup_date"],
        )?;
        let responses = import(
            store.as_ref(),
            RecordKind::Feedback,
            &data.join("responses.csv"),
            &[
                "response_id=external_id",
                "customer_id=customer_external_id",
                "ts=occurred_at",
            ],
        )?;
        import_line = format!(
            "import_feedback rows={} seconds={:.1} rows_per_s={:.0}",
            responses.created,
            responses.seconds,
            responses.created as f64 / responses.seconds
        );
    }
    let key = {
        let store = crate::db::open(&db)?;
        let org = store.default_org()?;
        let (_, secret) = store.create_api_key(org, "bench", Utc::now())?;
        secret.expose().to_owned()
    };

    let server = Server::start(&db, &scratch.join("server.log"))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut ours = Vec::new();
    for question in questions() {
        let mut times = Vec::new();
        let mut answer = Value::Null;
        for _ in 0..options.repeat.max(1) {
            let started = Instant::now();
            let mut response = agent
                .post(format!("{}/api/v1/query", server.address))
                .header("Authorization", format!("Bearer {key}"))
                .send_json(&question.request)?;
            answer = response.body_mut().read_json()?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if response.status() != 200 {
                bail!("{}: {answer}", question.name);
            }
        }
        let rows = canonical(&question, &answer)?;
        ours.push((question.name, median(times), rows.len(), result_sha(&rows)));
    }
    let unit_lines = unit_questions(&agent, &server.address, &db, &key, options.repeat)?;
    let memory = server.memory_mb();
    let build_line = server.build_line.clone();
    drop(server);

    eprintln!("running the DuckDB peer");
    let output = Command::new(&python)
        .arg(options.peers.join("duckdb_peer.py"))
        .arg(&data)
        .arg(options.repeat.to_string())
        .output()
        .context("running duckdb_peer.py")?;
    if !output.status.success() {
        bail!(
            "the peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peer: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();

    for (name, ms, rows, sha) in &ours {
        let theirs = peer.iter().find(|p| p["query"] == *name);
        let their_ms = theirs
            .and_then(|p| p["median_ms"].as_f64())
            .unwrap_or(f64::NAN);
        let same = theirs.is_some_and(|p| p["result_sha"] == *sha.as_str() && p["rows"] == *rows);
        println!(
            "{name} ours_ms={ms:.2} duckdb_ms={their_ms:.2} ratio={:.3} rows={rows} same_answer={}",
            ms / their_ms,
            if same { "yes" } else { "no" }
        );
    }
    for line in &unit_lines {
        println!("{line}");
    }
    println!("{import_line}");
    println!("{build_line}");
    if let Some((rss, peak)) = memory {
        println!("server_rss_mb={rss} peak_rss_mb={peak}");
    }
    if options.data.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Row-level access at no cost to a question: the five questions asked with the key of a unit
/// that sees one segment, next to the administrator asking them with that segment's filter
/// added (the same answer, by `tests/it/access.rs`); and the first question after the unit
/// appears, which builds the unit's part of the index.
fn unit_questions(
    agent: &ureq::Agent,
    address: &str,
    db: &str,
    admin: &str,
    repeat: usize,
) -> anyhow::Result<Vec<String>> {
    let ask = |key: &str, body: &Value| -> anyhow::Result<(f64, Value)> {
        let started = Instant::now();
        let mut response = agent
            .post(format!("{address}/api/v1/query"))
            .header("Authorization", format!("Bearer {key}"))
            .send_json(body)?;
        let answer: Value = response.body_mut().read_json()?;
        if response.status() != 200 {
            bail!("{body}: {answer}");
        }
        Ok((started.elapsed().as_secs_f64() * 1000.0, answer))
    };
    let (_, segments) = ask(admin, &json!({"measures": ["n"], "group_by": ["segment"]}))?;
    let segment = segments["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|r| r["group"]["segment"].as_str())
        .context("the benchmark data has no segments")?
        .to_owned();
    let rule = json!({"customer": {"segment": segment}});
    let mut created = agent
        .post(format!("{address}/api/v1/units"))
        .header("Authorization", format!("Bearer {admin}"))
        .send_json(json!({"name": "bench", "rules": [rule]}))?;
    let unit: Value = created.body_mut().read_json()?;
    let unit = unit["id"].as_i64().context("the unit was not created")?;
    let key = {
        let store = crate::db::open(db)?;
        let org = store.default_org()?;
        let all = dosvid_store::Scope::ALL;
        let (_, secret) =
            store.create_scoped_api_key(org, "bench-unit", &all, None, Some(unit), Utc::now())?;
        secret.expose().to_owned()
    };
    let (first, _) = ask(&key, &json!({"measures": ["n"]}))?;
    let mut lines = vec![format!(
        "unit_first_question_ms={first:.1} (builds the unit's part of the index)"
    )];
    for question in questions() {
        let mut whole = question.request.clone();
        whole["filters"]["customer"] = json!({"segment": segment});
        let (mut theirs, mut filtered) = (Vec::new(), Vec::new());
        let (mut same, mut rows) = (true, 0);
        for _ in 0..repeat.max(1) {
            let (ms, a) = ask(&key, &question.request)?;
            let (whole_ms, b) = ask(admin, &whole)?;
            same &= a["rows"] == b["rows"];
            rows = a["rows"].as_array().map_or(0, Vec::len);
            theirs.push(ms);
            filtered.push(whole_ms);
        }
        let (ms, whole_ms) = (median(theirs), median(filtered));
        lines.push(format!(
            "unit_{} unit_ms={ms:.2} whole_with_filter_ms={whole_ms:.2} ratio={:.3} rows={rows} same_answer={}",
            question.name,
            ms / whole_ms,
            if same { "yes" } else { "no" }
        ));
    }
    Ok(lines)
}
