//! `dosvid bench journey`: the journey funnel and the value chain over a simulated company of
//! `customers` customers and `interactions` interactions (plus one answer and about three
//! purchases per customer), timed in this process; next to them, DuckDB answering the same two
//! questions in SQL on the same data (loaded into its tables first, not timed), and the answers
//! compared: the funnel's customers at every step and group, and the value chain's customers,
//! churned and expanded per group exactly, revenue and contacts per customer to two decimals.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::process::Command;

use anyhow::{Context, bail};
use dosvid_analytics::{Directory, FunnelRequest, Index, ValueChainBy, ValueChainRequest, Zone};
use dosvid_demo::rng::Rng;
use dosvid_domain::{
    Channel, ChannelKind, CustomerFact, FeedbackFact, InteractionFact, Journey, Stage, Touchpoint,
    TransactionFact, TransactionKind,
};
use dosvid_metrics::Estimate;
use serde_json::Value;

const STAGES: i64 = 4;
const CHANNELS: [&str; 3] = ["web", "app", "phone"];
/// 2025-01-01T00:00:00Z.
const BASE: i64 = 1_735_689_600;
const DAY_MINUTES: i64 = 1440;
const WITHIN_DAYS: u32 = 30;
const HORIZON_DAYS: u32 = 90;
/// The answers followed: the first half of 2025.
const FROM: &str = "2025-01-01";
const TO: &str = "2025-07-01";
const TO_SECOND: i64 = BASE + 181 * 86_400;

const PEER: &str = r#"
import json, sys, time, duckdb
folder, within, horizon, start, end, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
con = duckdb.connect()
for table, columns in [("interactions", "customer BIGINT, stage INT, channel INT, second BIGINT"),
                       ("feedback", "customer BIGINT, stage INT, channel INT, second BIGINT, nps INT"),
                       ("transactions", "customer BIGINT, second BIGINT, amount BIGINT")]:
    names = ", ".join(f"'{c.split()[0]}': '{c.split()[1]}'" for c in columns.split(", "))
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{folder}/{table}.csv', header=false, columns={{{names}}})")
W = within * 86400
steps = ["s1 AS (SELECT customer, min(second) AS t1, min(second) AS t, arg_min(channel, second) AS channel FROM ev WHERE stage = 1 GROUP BY customer)"]
for k in range(2, 5):
    steps.append(f"s{k} AS (SELECT e.customer, any_value(p.t1) AS t1, min(e.second) AS t, any_value(p.channel) AS channel "
                 f"FROM ev e JOIN s{k-1} p USING (customer) WHERE e.stage = {k} AND e.second > p.t AND e.second <= p.t1 + {W} GROUP BY e.customer)")
funnel = ("WITH ev AS (SELECT customer, stage, channel, second FROM interactions UNION ALL SELECT customer, stage, channel, second FROM feedback), "
          + ", ".join(steps) + " "
          + " UNION ALL ".join(f"SELECT {k} AS step, channel, count(*) AS n FROM s{k} GROUP BY channel" for k in range(1, 5))
          + " ORDER BY step, channel")
H = horizon * 86400
value_chain = f"""
WITH latest AS (SELECT customer, max(second) AS answered, arg_max(nps, second) AS nps FROM feedback
                WHERE nps IS NOT NULL AND second >= {start} AND second < {end} GROUP BY customer),
last AS (SELECT max(s) AS e FROM (SELECT max(second) AS s FROM feedback UNION ALL SELECT max(second) FROM interactions
                                 UNION ALL SELECT max(second) FROM transactions)),
followed AS (SELECT customer, answered, CASE WHEN nps >= 9 THEN 0 WHEN nps >= 7 THEN 1 ELSE 2 END AS grp
             FROM latest, last WHERE answered + {H} <= e),
money AS (SELECT f.customer,
                 sum(CASE WHEN t.second > f.answered AND t.second <= f.answered + {H} THEN amount ELSE 0 END) AS after,
                 sum(CASE WHEN t.second > f.answered - {H} AND t.second <= f.answered THEN amount ELSE 0 END) AS before,
                 count(*) FILTER (WHERE t.second > f.answered AND t.second <= f.answered + {H}) AS bought
          FROM followed f JOIN transactions t USING (customer) GROUP BY f.customer),
contacts AS (SELECT f.customer, count(*) AS c FROM followed f JOIN interactions i USING (customer)
             WHERE i.second > f.answered AND i.second <= f.answered + {H} GROUP BY f.customer)
SELECT grp, count(*), count(*) FILTER (WHERE coalesce(bought, 0) = 0),
       count(*) FILTER (WHERE coalesce(after, 0) > coalesce(before, 0)),
       avg(coalesce(after, 0)), avg(coalesce(c, 0))
FROM followed LEFT JOIN money USING (customer) LEFT JOIN contacts USING (customer) GROUP BY grp ORDER BY grp"""
def timed(sql):
    times, rows = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2], rows
funnel_s, funnel_rows = timed(funnel)
chain_s, chain_rows = timed(value_chain)
print(json.dumps({"funnel_s": funnel_s, "funnel": funnel_rows, "value_chain_s": chain_s, "value_chain": chain_rows}))
"#;

pub(super) fn directory() -> Directory {
    let stages: Vec<Stage> = (1..=STAGES)
        .map(|id| Stage {
            id,
            journey_id: 1,
            name: format!("Stage {id}"),
            names: Default::default(),
            position: id,
            description: None,
        })
        .collect();
    Directory {
        channels: CHANNELS
            .iter()
            .enumerate()
            .map(|(i, key)| Channel {
                id: i as i64 + 1,
                key: (*key).into(),
                name: (*key).into(),
                names: Default::default(),
                kind: ChannelKind::Custom,
            })
            .collect(),
        journeys: vec![Journey {
            id: 1,
            key: "main".into(),
            name: "Main".into(),
            names: Default::default(),
            description: None,
            stages,
        }],
        // Two touchpoints per stage.
        touchpoints: (1..=2 * STAGES)
            .map(|id| Touchpoint {
                id,
                journey_id: 1,
                stage_id: (id + 1) / 2,
                parent_id: None,
                key: format!("tp-{id}"),
                name: format!("Touchpoint {id}"),
                names: Default::default(),
                moment_of_truth: false,
                owner_department: None,
                channels: Vec::new(),
            })
            .collect(),
        themes: Vec::new(),
    }
}

/// CSV files for the peer, written beside the index's facts.
struct Files {
    interactions: BufWriter<std::fs::File>,
    feedback: BufWriter<std::fs::File>,
    transactions: BufWriter<std::fs::File>,
}

/// Builds the index and writes the same data for the peer. Each customer's events fall on
/// distinct seconds (the event's number within the customer is the second within the minute),
/// so that "after the previous step" means the same in both engines.
fn company(customers: usize, interactions: usize, files: &mut Files) -> anyhow::Result<Index> {
    let mut rng = Rng::new(7);
    let mut index = Index::new(Zone::utc(), directory());
    let facts: Vec<CustomerFact> = (1..=customers as i64)
        .map(|id| CustomerFact {
            id,
            ..Default::default()
        })
        .collect();
    index.upsert_customers(&facts);
    let per_customer = interactions as f64 / customers as f64;
    let (mut interaction_id, mut feedback_id, mut transaction_id) = (0i64, 0i64, 0i64);
    let mut batch: Vec<InteractionFact> = Vec::new();
    let mut answers: Vec<FeedbackFact> = Vec::new();
    let mut payments: Vec<TransactionFact> = Vec::new();
    for customer in 1..=customers as i64 {
        let channel = 1 + rng.below(CHANNELS.len()) as i64;
        let mut j = 0i64;
        let mut event = |minute: i64, touchpoint: i64, channel: i64, batch: &mut Vec<_>| {
            let second = BASE + minute * 60 + j;
            j += 1;
            interaction_id += 1;
            batch.push(InteractionFact {
                id: interaction_id,
                customer_id: Some(customer),
                touchpoint_id: Some(touchpoint),
                channel_id: channel,
                occurred_at: second * 1_000_000,
            });
        };
        // The path through the stages: most start, and each next stage follows within up to
        // 40 days with a chance that is lower on the app at the third stage.
        let mut minute = rng.below(365 * DAY_MINUTES as usize) as i64;
        let mut made = 0;
        if rng.chance(0.9) {
            for stage in 1..=STAGES {
                let go = match (stage, channel) {
                    (1, _) => true,
                    (3, 2) => rng.chance(0.35),
                    _ => rng.chance(0.65),
                };
                if !go {
                    break;
                }
                if stage > 1 {
                    minute += 1 + rng.below(40 * DAY_MINUTES as usize) as i64;
                }
                event(
                    minute,
                    2 * stage - 1 + rng.below(2) as i64,
                    channel,
                    &mut batch,
                );
                made += 1;
            }
        }
        // The rest of the customer's contacts, anywhere, any time in 18 months.
        let rest = (per_customer * 2.0 * rng.unit()).round() as usize;
        for _ in made..rest.clamp(made, 50) {
            let at = rng.below(540 * DAY_MINUTES as usize) as i64;
            let touchpoint = 1 + rng.below(2 * STAGES as usize) as i64;
            event(at, touchpoint, 1 + rng.below(3) as i64, &mut batch);
        }
        // One answer, whose score follows the customer's loyalty, which also sets how often
        // they buy.
        let loyalty = rng.unit();
        let nps = (10.0 * loyalty + 2.0 * rng.normal())
            .round()
            .clamp(0.0, 10.0) as u8;
        let minute = rng.below(365 * DAY_MINUTES as usize) as i64;
        let touchpoint = 1 + rng.below(2 * STAGES as usize) as i64;
        let second = BASE + minute * 60 + j;
        feedback_id += 1;
        answers.push(FeedbackFact {
            id: feedback_id,
            customer_id: Some(customer),
            touchpoint_id: Some(touchpoint),
            channel_id: Some(channel),
            occurred_at: second * 1_000_000,
            nps: Some(nps),
            ..Default::default()
        });
        writeln!(
            files.feedback,
            "{customer},{},{channel},{second},{nps}",
            (touchpoint + 1) / 2
        )?;
        for _ in 0..6 {
            if rng.chance(0.1 + 0.6 * loyalty) {
                transaction_id += 1;
                let second = BASE + rng.below(540 * 86_400) as i64;
                let amount = 100 * rng.range(1, 100);
                payments.push(TransactionFact {
                    id: transaction_id,
                    customer_id: Some(customer),
                    occurred_at: second * 1_000_000,
                    amount_minor: amount,
                    currency: "UAH".into(),
                    kind: TransactionKind::Purchase,
                });
                writeln!(files.transactions, "{customer},{second},{amount}")?;
            }
        }
        if batch.len() >= 100_000 {
            flush(&mut index, &mut batch, &mut answers, &mut payments, files)?;
        }
    }
    flush(&mut index, &mut batch, &mut answers, &mut payments, files)?;
    index.finish_build();
    Ok(index)
}

fn flush(
    index: &mut Index,
    batch: &mut Vec<InteractionFact>,
    answers: &mut Vec<FeedbackFact>,
    payments: &mut Vec<TransactionFact>,
    files: &mut Files,
) -> anyhow::Result<()> {
    let mut text = String::new();
    for fact in batch.iter() {
        let touchpoint = fact.touchpoint_id.unwrap_or_default();
        writeln!(
            text,
            "{},{},{},{}",
            fact.customer_id.unwrap_or_default(),
            (touchpoint + 1) / 2,
            fact.channel_id,
            fact.occurred_at / 1_000_000
        )?;
    }
    files.interactions.write_all(text.as_bytes())?;
    index.append_interactions(batch);
    index.append_feedback(answers);
    index.append_transactions(payments);
    batch.clear();
    answers.clear();
    payments.clear();
    Ok(())
}

/// How many of an estimate's `n` its percentage counts.
fn count(estimate: &Estimate) -> u64 {
    (estimate.value.unwrap_or(0.0) * estimate.n as f64 / 100.0).round() as u64
}

pub fn run(customers: usize, interactions: usize, repeat: usize) -> anyhow::Result<()> {
    if customers == 0 || interactions < customers {
        bail!("--customers must be at least 1 and --interactions at least as many");
    }
    let scratch = super::scratch_dir()?;
    let create = |name: &str| -> anyhow::Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::new(std::fs::File::create(scratch.join(name))?))
    };
    let mut files = Files {
        interactions: create("interactions.csv")?,
        feedback: create("feedback.csv")?,
        transactions: create("transactions.csv")?,
    };
    eprintln!("simulating {customers} customers and about {interactions} interactions");
    let index = company(customers, interactions, &mut files)?;
    for file in [
        &mut files.interactions,
        &mut files.feedback,
        &mut files.transactions,
    ] {
        file.flush()?;
    }
    let funnel_request = FunnelRequest {
        within_days: Some(WITHIN_DAYS),
        group_by: Some("channel".into()),
        ..Default::default()
    };
    let (funnel_s, funnel) = super::timed(repeat, || {
        index
            .funnel(&funnel_request)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    let chain_request = ValueChainRequest {
        from: Some(FROM.into()),
        to: Some(TO.into()),
        horizon_days: Some(HORIZON_DAYS),
        by: ValueChainBy::NpsGroup,
        ..Default::default()
    };
    let (chain_s, chain) = super::timed(repeat, || {
        index
            .value_chain(&chain_request)
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;

    let python = super::python_with(&["duckdb", "numpy"])?;
    eprintln!("DuckDB loads the same data and answers the same questions");
    let output = Command::new(&python)
        .args(["-c", PEER])
        .arg(&scratch)
        .args([
            WITHIN_DAYS.to_string(),
            HORIZON_DAYS.to_string(),
            BASE.to_string(),
            TO_SECOND.to_string(),
            repeat.max(1).to_string(),
        ])
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
    let seconds = |key: &str| peer[key].as_f64().context("peer time");

    // The funnel: customers at each step per first-step channel.
    let mut differences = Vec::new();
    for row in peer["funnel"].as_array().context("peer funnel")? {
        let step = row[0].as_u64().context("step")? as usize - 1;
        let channel = row[1].as_u64().context("channel")? as usize - 1;
        let theirs = row[2].as_u64().context("n")?;
        let ours = funnel
            .groups
            .iter()
            .find(|g| g.group.as_deref() == Some(CHANNELS[channel]))
            .map_or(0, |g| g.steps[step].customers);
        if ours != theirs {
            differences.push(format!(
                "funnel step {} on {}: ours {ours}, DuckDB {theirs}",
                step + 1,
                CHANNELS[channel]
            ));
        }
    }
    for row in peer["value_chain"].as_array().context("peer value chain")? {
        let group = &chain.groups[row[0].as_u64().context("group")? as usize];
        let exact = [
            ("customers", group.customers, row[1].as_u64()),
            ("churned", count(&group.churn), row[2].as_u64()),
            ("expanded", count(&group.expansion), row[3].as_u64()),
        ];
        for (what, ours, theirs) in exact {
            if Some(ours) != theirs {
                differences.push(format!(
                    "value chain {} {what}: ours {ours}, DuckDB {theirs:?}",
                    group.group
                ));
            }
        }
        let close = [
            (
                "revenue per customer",
                group.revenue_per_customer.value,
                row[4].as_f64(),
            ),
            ("contacts", group.contacts.value, row[5].as_f64()),
        ];
        for (what, ours, theirs) in close {
            if ours.zip(theirs).is_none_or(|(a, b)| (a - b).abs() >= 0.005) {
                differences.push(format!(
                    "value chain {} {what}: ours {ours:?}, DuckDB {theirs:?}",
                    group.group
                ));
            }
        }
    }
    let (peer_funnel, peer_chain) = (seconds("funnel_s")?, seconds("value_chain_s")?);
    println!(
        "funnel interactions={} customers={customers} steps={} group_by=channel ours_s={funnel_s:.3} duckdb_s={peer_funnel:.3} ratio={:.2}",
        index.interactions(),
        funnel.steps.len(),
        funnel_s / peer_funnel
    );
    println!(
        "value_chain followed={} horizon_days={HORIZON_DAYS} ours_s={chain_s:.3} duckdb_s={peer_chain:.3} ratio={:.2}",
        chain.groups.iter().map(|g| g.customers).sum::<u64>(),
        chain_s / peer_chain
    );
    if !differences.is_empty() {
        bail!("the answers differ:\n{}", differences.join("\n"));
    }
    println!("same answers: yes");
    Ok(())
}
