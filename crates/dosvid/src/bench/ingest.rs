//! `dosvid bench ingest`: what reading comments adds to the batch API. The same 100 batches of
//! 1,000 feedback records are sent to a fresh server twice — once with comments on 30% of the
//! records (texts of the labelled sets in `../shared/data`: tweets, reviews, in three
//! languages) and once without, in alternating order — and compared two ways:
//! - `comments_add`: the time to answer, with comments over without. It holds sending,
//!   parsing and storing the comments' text too, so it bounds the cost of reading them;
//! - `reading_adds`: the time the server's requests spent reading records or waiting for the
//!   workers reading them (`read` of its `Server-Timing` header), with comments minus
//!   without, over the time to answer without: what analysing the comments adds.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::json;

use super::{Server, median, scratch_dir};

const BATCHES: usize = 100;
const RECORDS: usize = 1_000;

/// The bodies of the batches; `comments` holds the texts to use, or is empty.
fn batches(comments: &[String], run: &str) -> Vec<Vec<u8>> {
    (0..BATCHES)
        .map(|b| {
            let records: Vec<_> = (0..RECORDS)
                .map(|k| {
                    let i = b * RECORDS + k;
                    let mut record = json!({
                        "external_id": format!("{run}-{i}"),
                        "customer_external_id": format!("C{}", i % 10_000),
                        "touchpoint": "contact-centre.queue",
                        "nps": i % 11,
                        "occurred_at": "2026-03-02T10:00:00Z",
                    });
                    if !comments.is_empty() && i % 10 < 3 {
                        let text: String =
                            comments[i % comments.len()].chars().take(2000).collect();
                        record["comment"] = text.into();
                    }
                    record
                })
                .collect();
            serde_json::to_vec(&json!({ "records": records })).expect("a batch serialises")
        })
        .collect()
}

/// Seconds to answer the batches, on a fresh database, and the seconds the server reported
/// as `read` in `Server-Timing`.
fn send(bodies: &[Vec<u8>], scratch: &Path, name: &str) -> anyhow::Result<(f64, f64)> {
    let file = scratch.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let db = format!("sqlite://{}", file.display());
    let key = {
        let store = crate::db::open(&db)?;
        let org = store.default_org()?;
        store
            .create_api_key(org, "bench", Utc::now())?
            .1
            .expose()
            .to_owned()
    };
    let server = Server::start(&db, &scratch.join(format!("{name}.log")))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}/api/v1/feedback:batch", server.address);
    let (mut seconds, mut read) = (0.0, 0.0);
    for body in bodies {
        let started = Instant::now();
        let response = agent
            .post(&url)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .send(body.as_slice())
            .context("sending a batch")?;
        seconds += started.elapsed().as_secs_f64();
        if response.status() != 200 {
            bail!("a batch was answered {}", response.status());
        }
        read += response
            .headers()
            .get("server-timing")
            .and_then(|t| t.to_str().ok())
            .and_then(read_ms)
            .context("no read time in Server-Timing")?
            / 1e3;
    }
    Ok((seconds, read))
}

/// The `read;dur=MS` entry of a `Server-Timing` header.
fn read_ms(timing: &str) -> Option<f64> {
    timing
        .split(',')
        .find_map(|entry| entry.trim().strip_prefix("read;dur="))
        .and_then(|ms| ms.parse().ok())
}

pub fn run(data: &Path, repeat: usize) -> anyhow::Result<()> {
    let mut comments = Vec::new();
    for set in &dosvid_text::eval::SETS {
        if let Some(pairs) = set.read(data).map_err(anyhow::Error::msg)? {
            comments.extend(pairs.into_iter().map(|(text, _)| text));
        }
    }
    if comments.is_empty() {
        bail!(
            "no labelled texts under {} (pass --data DIR)",
            data.display()
        );
    }
    let scratch = scratch_dir()?;
    let (with, without) = (batches(&comments, "c"), batches(&[], "n"));
    let (mut comments_add, mut reading_adds) = (Vec::new(), Vec::new());
    for run in 0..repeat.max(1) {
        // Alternating which goes first: the first server of a pair starts on a colder machine.
        let ((a, read_a), (b, read_b)) = if run % 2 == 0 {
            let a = send(&with, &scratch, &format!("with-{run}"))?;
            (a, send(&without, &scratch, &format!("without-{run}"))?)
        } else {
            let b = send(&without, &scratch, &format!("without-{run}"))?;
            (send(&with, &scratch, &format!("with-{run}"))?, b)
        };
        let (all, reading) = (100.0 * (a - b) / b, 100.0 * (read_a - read_b) / b);
        println!(
            "ingest_api batches={BATCHES} records={} comments=30% with_comments_s={a:.2} without_s={b:.2} read_with_s={read_a:.3} read_without_s={read_b:.3} comments_add={all:.1}% reading_adds={reading:.1}%",
            BATCHES * RECORDS
        );
        comments_add.push(all);
        reading_adds.push(reading);
    }
    println!(
        "ingest_api median comments_add={:.1}% reading_adds={:.1}%",
        median(comments_add),
        median(reading_adds)
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
