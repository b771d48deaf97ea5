//! `dosvid bench insights`: the key-driver model on a simulated company of `rows` feedback
//! records with about 60 indicators (themes, touchpoints, segments, regions), bootstrap
//! included, timed in this process; next to it, ordinary least squares by NumPy on the very
//! same indicator matrix (written to a file by our design), and the two models' coefficients
//! compared to two decimals.

use std::io::Write;
use std::process::Command;

use anyhow::{Context, bail};
use dosvid_analytics::{Directory, DriversRequest, Index, Zone};
use dosvid_demo::rng::Rng;
use dosvid_domain::{Channel, ChannelKind, CustomerFact, FeedbackFact, Journey, Stage, Touchpoint};

const TOUCHPOINTS: i64 = 25;
const THEMES: usize = 28;
const CUSTOMERS: i64 = 200_000;
const REGIONS: [&str; 8] = [
    "kyiv",
    "lviv",
    "odesa",
    "kharkiv",
    "dnipro",
    "vinnytsia",
    "poltava",
    "sumy",
];
const SEGMENTS: [&str; 3] = ["mass", "premium", "youth"];

const PEER: &str = r#"
import sys, time, numpy as np
path, p = sys.argv[1], int(sys.argv[2])
data = np.fromfile(path, dtype=np.float32).reshape(-1, p + 1)
y = data[:, p].astype(np.float64)
started = time.perf_counter()
x = np.hstack([np.ones((data.shape[0], 1)), data[:, :p].astype(np.float64)])
beta, *_ = np.linalg.lstsq(x, y, rcond=None)
elapsed = time.perf_counter() - started
print(elapsed)
print(" ".join(repr(float(b)) for b in beta))
"#;

fn directory() -> Directory {
    let touchpoint = |id: i64| Touchpoint {
        id,
        journey_id: 1,
        stage_id: 1,
        parent_id: None,
        key: format!("tp-{id}"),
        name: format!("Touchpoint {id}"),
        names: Default::default(),
        moment_of_truth: false,
        owner_department: None,
        channels: Vec::new(),
    };
    Directory {
        channels: vec![Channel {
            id: 1,
            key: "web".into(),
            name: "Web".into(),
            names: Default::default(),
            kind: ChannelKind::Custom,
        }],
        journeys: vec![Journey {
            id: 1,
            key: "main".into(),
            name: "Main".into(),
            names: Default::default(),
            description: None,
            stages: vec![Stage {
                id: 1,
                journey_id: 1,
                name: "Service".into(),
                names: Default::default(),
                position: 1,
                description: None,
            }],
        }],
        touchpoints: (1..=TOUCHPOINTS).map(touchpoint).collect(),
        themes: (0..THEMES).map(|i| format!("theme-{i:02}")).collect(),
    }
}

fn company(rows: usize) -> Index {
    let mut rng = Rng::new(42);
    let customers: Vec<CustomerFact> = (1..=CUSTOMERS)
        .map(|id| CustomerFact {
            id,
            segment: Some(SEGMENTS[rng.below(3)].into()),
            region: Some(REGIONS[rng.below(8)].into()),
            ..Default::default()
        })
        .collect();
    let feedback: Vec<FeedbackFact> = (0..rows)
        .map(|i| {
            let customer = 1 + rng.below(CUSTOMERS as usize) as i64;
            let touchpoint = 1 + rng.below(TOUCHPOINTS as usize) as i64;
            let mut score = 7.5 - if touchpoint == 3 { 2.0 } else { 0.0 };
            let mut themes = Vec::new();
            for t in 0..THEMES {
                if rng.chance(0.04) {
                    themes.push(format!("theme-{t:02}"));
                    score -= (t % 5) as f64 * 0.3;
                }
            }
            score += rng.unit() * 4.0 - 2.0;
            FeedbackFact {
                id: i as i64 + 1,
                customer_id: Some(customer),
                touchpoint_id: Some(touchpoint),
                channel_id: Some(1),
                occurred_at: (1_735_689_600 + rng.below(365 * 86_400) as i64) * 1_000_000,
                nps: Some(score.round().clamp(0.0, 10.0) as u8),
                has_comment: !themes.is_empty(),
                sentiment: (!themes.is_empty()).then_some(0.0),
                themes: (!themes.is_empty()).then(|| themes.join(" ")),
                ..Default::default()
            }
        })
        .collect();
    let mut index = Index::new(Zone::utc(), directory());
    index.upsert_customers(&customers);
    index.append_feedback(&feedback);
    index.finish_build();
    index
}

pub fn run(rows: usize, repeat: usize) -> anyhow::Result<()> {
    eprintln!("simulating {rows} feedback records");
    let index = company(rows);
    let request = DriversRequest {
        factors: ["theme", "touchpoint", "segment", "region"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    let (ours, answer) = super::timed(repeat, || {
        index.drivers(&request).map_err(|e| anyhow::anyhow!("{e}"))
    })?;

    // The same indicator matrix for the peer.
    let design = index
        .driver_design(&DriversRequest {
            replicates: Some(20),
            ..request
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let p = design.columns.len();
    let scratch = super::scratch_dir()?;
    let matrix = scratch.join("design.f32");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&matrix)?);
        let mut row = vec![0f32; p + 1];
        for (active, y) in &design.rows {
            row.iter_mut().for_each(|v| *v = 0.0);
            for &j in active {
                row[usize::from(j)] = 1.0;
            }
            row[p] = *y as f32;
            for v in &row {
                out.write_all(&v.to_le_bytes())?;
            }
        }
    }
    let python = super::python_with(&["numpy"])?;
    let output = Command::new(&python)
        .args(["-c", PEER])
        .arg(&matrix)
        .arg(p.to_string())
        .output()
        .context("running the NumPy peer")?;
    if !output.status.success() {
        bail!(
            "the peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8(output.stdout)?;
    let mut lines = text.lines();
    let peer: f64 = lines.next().context("peer time")?.trim().parse()?;
    let beta: Vec<f64> = lines
        .next()
        .context("peer coefficients")?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    // Indicators merged into an identical one are 0 in our fit; the peer splits them. Compare
    // the rest, and the intercept.
    let mut worst: f64 = (beta[0] - design.intercept).abs();
    for (j, ours) in design.coefficients.iter().enumerate() {
        if design
            .rows
            .iter()
            .any(|(active, _)| active.contains(&(j as u16)))
        {
            worst = worst.max((beta[j + 1] - ours).abs());
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "drivers rows={} indicators={} replicates={} ours_s={ours:.3} (bootstrap included) peer=numpy-lstsq(ols only) peer_s={peer:.3} ratio={:.2} largest_coefficient_difference={worst:.2e} r2={:.3}",
        answer.n,
        p,
        answer.replicates,
        ours / peer,
        answer.r2
    );
    if worst >= 0.005 {
        bail!("our coefficients differ from the peer's by {worst:.4}");
    }
    println!("coefficients equal to two decimals: yes");
    Ok(())
}
