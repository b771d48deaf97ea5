//! `dosvid bench impact`: what an initiative changed (difference in differences with a bootstrap
//! over customers, the parallel-trends check and the revenue benefit) over a simulated company
//! of `rows` feedback records and `transactions` transactions, the initiative planted in one of
//! eight regions; timed in this process. Next to it, DuckDB sums each customer's answers and
//! revenue per period in SQL and NumPy runs the same bootstrap over those customer sums (the
//! data loaded first, not timed). The four cells, the effects and their n are compared exactly;
//! the intervals, drawn from different random numbers, to within a fifth of their width.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::process::Command;

use anyhow::{Context, bail};
use dosvid_analytics::{Filters, ImpactMetric, ImpactRequest, Index, Zone};
use dosvid_demo::rng::Rng;
use dosvid_domain::{CustomerFact, FeedbackFact, TransactionFact, TransactionKind};
use serde_json::Value;

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
/// 2025-01-01T00:00:00Z; the initiative starts on 2025-07-01 in Lviv.
const BASE: i64 = 1_735_689_600;
const START_DAY: i64 = 181;
const STARTS_ON: &str = "2025-07-01";
const DAYS: i64 = 90;
const REPLICATES: u32 = 200;

const PEER: &str = r#"
import json, sys, time, duckdb, numpy as np
folder, frm, middle, start, to, reps, repeat = sys.argv[1], *map(int, sys.argv[2:8])
con = duckdb.connect()
con.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{folder}/customers.csv', header=false, columns={{'customer': 'BIGINT', 'treated': 'BOOLEAN'}})")
con.execute(f"CREATE TABLE feedback AS SELECT * FROM read_csv('{folder}/feedback.csv', header=false, columns={{'customer': 'BIGINT', 'second': 'BIGINT', 'nps': 'INT'}})")
con.execute(f"CREATE TABLE transactions AS SELECT * FROM read_csv('{folder}/transactions.csv', header=false, columns={{'customer': 'BIGINT', 'second': 'BIGINT', 'amount': 'BIGINT'}})")
sql = f"""
WITH f AS (SELECT customer, second, CASE WHEN nps >= 9 THEN 100 WHEN nps >= 7 THEN 0 ELSE -100 END AS s
           FROM feedback WHERE second >= {frm} AND second < {to}),
b AS (SELECT customer,
        sum(s) FILTER (WHERE second < {middle}) AS s0, count(*) FILTER (WHERE second < {middle}) AS n0,
        sum(s) FILTER (WHERE second >= {middle} AND second < {start}) AS s1,
        count(*) FILTER (WHERE second >= {middle} AND second < {start}) AS n1,
        sum(s) FILTER (WHERE second >= {start}) AS s2, count(*) FILTER (WHERE second >= {start}) AS n2
      FROM f GROUP BY customer),
r AS (SELECT t.customer,
        sum(amount) FILTER (WHERE t.second >= {frm} AND t.second < {middle}) AS r0,
        sum(amount) FILTER (WHERE t.second >= {middle} AND t.second < {start}) AS r1,
        sum(amount) FILTER (WHERE t.second >= {start} AND t.second < {to}) AS r2
      FROM transactions t JOIN b USING (customer) GROUP BY t.customer)
SELECT c.treated::INT AS g, coalesce(s0, 0), n0, coalesce(s1, 0), n1, coalesce(s2, 0), n2,
       coalesce(r0, 0), coalesce(r1, 0), coalesce(r2, 0)
FROM b JOIN customers c USING (customer) LEFT JOIN r USING (customer)"""
def answer():
    columns = con.execute(sql).fetchnumpy()
    x = np.column_stack([np.asarray(columns[k], dtype=np.float64) for k in columns])
    g = x[:, 0] == 1
    cols = x[:, 1:]
    # Per block: treated sums in columns 0..9, comparison sums in 10..19, and the group sizes.
    blocks = np.hstack([cols * g[:, None], cols * (~g)[:, None], g[:, None], (~g)[:, None]])
    def stats(t):
        T, C, nt, nc = t[0:9], t[9:18], t[18], t[19]
        mean = lambda S, cells: sum(S[2 * c] for c in cells) / sum(S[2 * c + 1] for c in cells)
        effect = (mean(T, [2]) - mean(T, [0, 1])) - (mean(C, [2]) - mean(C, [0, 1]))
        trend = (mean(T, [1]) - mean(T, [0])) - (mean(C, [1]) - mean(C, [0]))
        rev = lambda S, n, parts: sum(S[6 + p] for p in parts) / n
        revenue = (rev(T, nt, [2]) - rev(T, nt, [0, 1])) - (rev(C, nc, [2]) - rev(C, nc, [0, 1]))
        return np.array([effect, trend, revenue])
    total = blocks.sum(axis=0)
    point = stats(total)
    rng = np.random.default_rng(7)
    n = blocks.shape[0]
    samples = np.array([stats(np.bincount(rng.integers(0, n, n), minlength=n) @ blocks) for _ in range(reps)])
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    cells = [[total[9 * k + 2 * c] / total[9 * k + 2 * c + 1], total[9 * k + 2 * c + 1]] for k in (0, 1) for c in (0, 1, 2)]
    return {"point": point.tolist(), "low": low.tolist(), "high": high.tolist(), "cells": cells}
times, result = [], None
for _ in range(repeat):
    started = time.perf_counter()
    result = answer()
    times.append(time.perf_counter() - started)
result["seconds"] = sorted(times)[len(times) // 2]
print(json.dumps(result))
"#;

/// The company: customers in eight regions answering over 2025 and buying; from the start, the
/// answers of Lviv's customers rise by `effect` points on the 0–10 scale.
fn company(rows: usize, transactions: usize, folder: &std::path::Path) -> anyhow::Result<Index> {
    let customers = (rows / 4).max(8);
    let mut rng = Rng::new(11);
    let mut index = Index::new(Zone::utc(), super::journey::directory());
    let file = |name: &str| -> anyhow::Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::new(std::fs::File::create(folder.join(name))?))
    };
    let (mut customer_csv, mut feedback_csv, mut transaction_csv) = (
        file("customers.csv")?,
        file("feedback.csv")?,
        file("transactions.csv")?,
    );
    let regions: Vec<usize> = (0..customers).map(|_| rng.below(REGIONS.len())).collect();
    let facts: Vec<CustomerFact> = regions
        .iter()
        .enumerate()
        .map(|(i, &r)| CustomerFact {
            id: i as i64 + 1,
            region: Some(REGIONS[r].into()),
            ..Default::default()
        })
        .collect();
    index.upsert_customers(&facts);
    for (i, &r) in regions.iter().enumerate() {
        writeln!(customer_csv, "{},{}", i + 1, r == 1)?;
    }
    let loyalty: Vec<f64> = (0..customers).map(|_| rng.normal()).collect();
    let start = BASE + START_DAY * 86_400;
    let mut batch = Vec::with_capacity(100_000);
    let mut text = String::new();
    for id in 0..rows {
        let c = rng.below(customers);
        let second = BASE + rng.below(365 * 86_400) as i64;
        let lift = if regions[c] == 1 && second >= start {
            1.0
        } else {
            0.0
        };
        let nps = (7.0 + 1.5 * loyalty[c] + lift + 1.5 * rng.normal())
            .round()
            .clamp(0.0, 10.0) as u8;
        batch.push(FeedbackFact {
            id: id as i64 + 1,
            customer_id: Some(c as i64 + 1),
            occurred_at: second * 1_000_000,
            nps: Some(nps),
            ..Default::default()
        });
        writeln!(text, "{},{second},{nps}", c + 1)?;
        if batch.len() == 100_000 {
            index.append_feedback(&batch);
            batch.clear();
            feedback_csv.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    index.append_feedback(&batch);
    feedback_csv.write_all(text.as_bytes())?;
    text.clear();
    let payments: Vec<TransactionFact> = (0..transactions)
        .map(|id| {
            let c = rng.below(customers);
            let second = BASE + rng.below(365 * 86_400) as i64;
            let amount = 100 * rng.range(1, 300);
            let _ = writeln!(text, "{},{second},{amount}", c + 1);
            TransactionFact {
                id: id as i64 + 1,
                customer_id: Some(c as i64 + 1),
                occurred_at: second * 1_000_000,
                amount_minor: amount,
                currency: "UAH".into(),
                kind: TransactionKind::Purchase,
            }
        })
        .collect();
    transaction_csv.write_all(text.as_bytes())?;
    index.append_transactions(&payments);
    index.finish_build();
    for mut f in [customer_csv, feedback_csv, transaction_csv] {
        f.flush()?;
    }
    Ok(index)
}

pub fn run(rows: usize, transactions: usize, repeat: usize) -> anyhow::Result<()> {
    if rows < 1_000 {
        bail!("--rows must be at least 1000");
    }
    let scratch = super::scratch_dir()?;
    eprintln!("simulating {rows} feedback records and {transactions} transactions");
    let index = company(rows, transactions, &scratch)?;
    let request = ImpactRequest {
        metric: ImpactMetric::Nps,
        treated: serde_json::from_value(serde_json::json!({"customer": {"region": "lviv"}}))?,
        // Every record not reached: the same comparison the peer makes.
        comparison: Some(Filters::default()),
        starts_on: STARTS_ON.into(),
        before_days: Some(DAYS as u32),
        after_days: Some(DAYS as u32),
        cost_minor: Some(1_000_000),
        replicates: Some(REPLICATES),
        ..Default::default()
    };
    let (ours_s, ours) = super::timed(repeat, || {
        index.impact(&request).map_err(|e| anyhow::anyhow!("{e}"))
    })?;

    let python = super::python_with(&["duckdb", "numpy"])?;
    eprintln!("DuckDB and NumPy load the same data and answer the same question");
    let start = BASE + START_DAY * 86_400;
    let output = Command::new(&python)
        .args(["-c", PEER])
        .arg(&scratch)
        .args(
            [
                start - DAYS * 86_400,
                start - DAYS * 43_200,
                start,
                start + DAYS * 86_400,
                i64::from(REPLICATES),
                repeat.max(1) as i64,
            ]
            .map(|v| v.to_string()),
        )
        .output()
        .context("running the DuckDB peer")?;
    let _ = std::fs::remove_dir_all(&scratch);
    if !output.status.success() {
        bail!(
            "the peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let peer: Value = serde_json::from_slice(&output.stdout).context("reading the peer")?;
    let number = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut differences = Vec::new();
    // The cells: treated then comparison, each in the two halves of before and after; ours
    // pools the halves of before.
    let cells = peer["cells"].as_array().context("peer cells")?;
    let pooled = |k: usize| {
        let (a, b) = (&cells[3 * k], &cells[3 * k + 1]);
        let (na, nb) = (number(&a[1]), number(&b[1]));
        (
            (number(&a[0]) * na + number(&b[0]) * nb) / (na + nb),
            na + nb,
        )
    };
    for (name, ours_cell, (value, n)) in [
        ("treated before", ours.treated_before, pooled(0)),
        (
            "treated after",
            ours.treated_after,
            (number(&cells[2][0]), number(&cells[2][1])),
        ),
        ("comparison before", ours.comparison_before, pooled(1)),
        (
            "comparison after",
            ours.comparison_after,
            (number(&cells[5][0]), number(&cells[5][1])),
        ),
    ] {
        if ours_cell.n as f64 != n || ours_cell.value.is_none_or(|v| (v - value).abs() > 1e-6) {
            differences.push(format!(
                "{name}: ours {:?} n {}, DuckDB {value} n {n}",
                ours_cell.value, ours_cell.n
            ));
        }
    }
    let effect = ours.effect.context("no effect")?;
    let revenue = ours.revenue_per_customer.context("no revenue effect")?;
    let trend = ours.parallel_trends.as_ref().context("no trend check")?;
    for (name, point, low, high, k) in [
        (
            "effect",
            effect.value,
            Some(effect.low),
            Some(effect.high),
            0,
        ),
        ("pre-trend", trend.difference, None, None, 1),
        (
            "revenue per customer",
            revenue.value,
            Some(revenue.low),
            Some(revenue.high),
            2,
        ),
    ] {
        let theirs = number(&peer["point"][k]);
        if (point - theirs).abs() > 1e-6 * theirs.abs().max(1.0) {
            differences.push(format!("{name}: ours {point}, DuckDB {theirs}"));
        }
        if let (Some(low), Some(high)) = (low, high) {
            let (their_low, their_high) = (number(&peer["low"][k]), number(&peer["high"][k]));
            let width = their_high - their_low;
            if (low - their_low).abs() > 0.2 * width || (high - their_high).abs() > 0.2 * width {
                differences.push(format!(
                    "{name} interval: ours [{low:.2}; {high:.2}], DuckDB+NumPy [{their_low:.2}; {their_high:.2}]"
                ));
            }
        }
    }
    let peer_s = number(&peer["seconds"]);
    println!(
        "impact rows={rows} transactions={transactions} replicates={REPLICATES} effect={:.2} [{:.2}; {:.2}] ours_s={ours_s:.3} duckdb_numpy_s={peer_s:.3} ratio={:.2}",
        effect.value,
        effect.low,
        effect.high,
        ours_s / peer_s
    );
    if !differences.is_empty() {
        bail!("the answers differ:\n{}", differences.join("\n"));
    }
    println!("same answers: yes");
    Ok(())
}
