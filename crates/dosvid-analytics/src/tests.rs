//! The index against a brute-force count over the same facts, for random records and random
//! queries, in a zone with summer time so that day boundaries are tested too.

use std::collections::BTreeMap;

use dosvid_domain::{
    Channel, ChannelKind, CustomerFact, FeedbackFact, FeedbackSource, Journey, Stage, Touchpoint,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::index::SOURCES;
use crate::*;

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        // SplitMix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

pub(crate) fn directory() -> Directory {
    let stage = |id, position| Stage {
        id,
        journey_id: 1,
        name: format!("Stage {id}"),
        names: Default::default(),
        position,
        description: None,
    };
    let touchpoint = |id: i64, stage_id, parent_id| Touchpoint {
        id,
        journey_id: 1,
        stage_id,
        parent_id,
        key: format!("tp-{id}"),
        name: format!("Touchpoint {id}"),
        names: Default::default(),
        moment_of_truth: false,
        owner_department: None,
        channels: Vec::new(),
    };
    Directory {
        channels: (1..=4)
            .map(|id| Channel {
                id,
                key: format!("ch-{id}"),
                name: format!("Channel {id}"),
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
            stages: vec![stage(1, 1), stage(2, 2)],
        }],
        // 10 ← 11 ← 12 is a chain; 20, 21 sit in stage 2.
        touchpoints: vec![
            touchpoint(10, 1, None),
            touchpoint(11, 1, Some(10)),
            touchpoint(12, 1, Some(11)),
            touchpoint(20, 2, None),
            touchpoint(21, 2, None),
        ],
        themes: THEMES.iter().map(|t| t.to_string()).collect(),
    }
}

/// A taxonomy: `a` with two sub-themes, and `b`.
const THEMES: [&str; 4] = ["a", "a.x", "a.y", "b"];
/// What records are tagged with: the most specific themes found.
const TAGS: [&str; 6] = ["", "a.x", "a.y", "b", "a.x b", "a a.y"];

const SEGMENTS: [&str; 3] = ["mass", "premium", "youth"];

fn facts(rng: &mut Rng, n: usize) -> (Vec<CustomerFact>, Vec<FeedbackFact>) {
    let customers: Vec<CustomerFact> = (1..=60)
        .map(|id| CustomerFact {
            id,
            segment: rng
                .chance(0.9)
                .then(|| SEGMENTS[rng.below(3) as usize].into()),
            attributes: if rng.chance(0.5) {
                serde_json::json!({"tier": rng.below(2)})
                    .as_object()
                    .unwrap()
                    .clone()
            } else {
                Default::default()
            },
            ..Default::default()
        })
        .collect();
    let tps = [None, Some(10), Some(11), Some(12), Some(20), Some(21)];
    let feedback = (0..n)
        .map(|i| FeedbackFact {
            id: i as i64 + 1,
            customer_id: rng.chance(0.9).then(|| 1 + rng.below(60) as i64),
            touchpoint_id: tps[rng.below(6) as usize],
            channel_id: rng.chance(0.9).then(|| 1 + rng.below(4) as i64),
            source: SOURCES[rng.below(5) as usize],
            // 2025 and the first days of 2026, around summer time changes.
            occurred_at: (1_735_689_600 + rng.below(380 * 86_400) as i64) * 1_000_000,
            nps: rng.chance(0.8).then(|| rng.below(11) as u8),
            csat: rng.chance(0.6).then(|| 1 + rng.below(5) as u8),
            ces: rng.chance(0.5).then(|| 1 + rng.below(7) as u8),
            has_comment: rng.chance(0.3),
            language: [None, Some("uk"), Some("ru"), Some("en")][rng.below(4) as usize]
                .map(String::from),
            // Scores on a 0.05 grid, so the neutral band's edges are hit exactly.
            sentiment: rng
                .chance(0.6)
                .then(|| (rng.below(41) as f64 - 20.0) / 20.0),
            themes: rng
                .chance(0.7)
                .then(|| TAGS[rng.below(6) as usize].to_owned()),
            emotions: rng.below(128) as u8 & rng.below(128) as u8,
            ..Default::default()
        })
        .collect();
    (customers, feedback)
}

/// What the query should say about each group, counted the slow, obvious way.
#[derive(Debug, Default, Clone)]
struct Expected {
    n: u64,
    sentiments: Vec<f64>,
    nps: Vec<u8>,
    csat: Vec<u8>,
    ces: Vec<u8>,
    customers: std::collections::BTreeSet<i64>,
}

fn label(
    dimension: &str,
    f: &FeedbackFact,
    customers: &[CustomerFact],
    dir: &Directory,
    tz: &TimeZone,
) -> Option<String> {
    let date = Timestamp::from_microsecond(f.occurred_at)
        .unwrap()
        .to_zoned(tz.clone())
        .date();
    let customer = f
        .customer_id
        .and_then(|id| customers.iter().find(|c| c.id == id));
    match dimension {
        "touchpoint" => f.touchpoint_id.map(|id| format!("tp-{id}")),
        "stage" => f
            .touchpoint_id
            .and_then(|id| dir.touchpoint(id))
            .map(|t| format!("Stage {}", t.stage_id)),
        "channel" => f.channel_id.map(|id| format!("ch-{id}")),
        "source" => Some(f.source.as_str().into()),
        "language" => f.language.clone(),
        "has_comment" => Some(f.has_comment.to_string()),
        "sentiment" => f
            .sentiment
            .map(|s| dosvid_text::Label::of(s).as_str().to_owned()),
        "month" => Some(date.strftime("%Y-%m").to_string()),
        "week" => {
            let monday = date
                .checked_sub(
                    jiff::Span::new().days(i64::from(date.weekday().to_monday_zero_offset())),
                )
                .unwrap();
            Some(monday.to_string())
        }
        "day" => Some(date.to_string()),
        "quarter" => Some(format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)),
        "segment" => customer.and_then(|c| c.segment.clone()),
        "attr.tier" => customer
            .and_then(|c| c.attributes.get("tier"))
            .map(|v| v.to_string()),
        other => panic!("unknown dimension {other}"),
    }
}

/// The groups a record counts in along one dimension: one, or for themes and emotions as many
/// as it has (a sub-theme counting for its parent too), or "none".
fn labels_of(
    dimension: &str,
    f: &FeedbackFact,
    customers: &[CustomerFact],
    dir: &Directory,
    tz: &TimeZone,
) -> Vec<Option<String>> {
    let many: Vec<Option<String>> = match dimension {
        "theme" => {
            let tags: Vec<&str> = f
                .themes
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            THEMES
                .iter()
                .filter(|t| {
                    tags.iter()
                        .any(|tag| tag == *t || tag.starts_with(&format!("{t}.")))
                })
                .map(|t| Some(t.to_string()))
                .collect()
        }
        "emotion" => dosvid_text::EMOTIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| f.emotions & 1 << i != 0)
            .map(|(_, e)| Some(e.to_string()))
            .collect(),
        _ => return vec![label(dimension, f, customers, dir, tz)],
    };
    if many.is_empty() { vec![None] } else { many }
}

/// A filter as the brute force applies it.
type Keep = Box<dyn Fn(&FeedbackFact) -> bool>;

#[test]
fn random_queries_match_a_brute_force_count() {
    let mut rng = Rng(20251123);
    let dir = directory();
    let (customers, feedback) = facts(&mut rng, 40_000);
    let mut index = Index::new(Zone::new("Europe/Kyiv").unwrap(), dir.clone());
    index.upsert_customers(&customers);
    // Built in two parts with a sort between, like a build from the store followed by writes.
    index.append_feedback(&feedback[..30_000]);
    index.finish_build();
    index.append_feedback(&feedback[30_000..]);
    // A record reported again (a duplicate in a later batch) is not counted twice.
    index.append_feedback(&feedback[29_990..30_010]);
    assert_eq!(index.len(), feedback.len());

    let dimensions = [
        "touchpoint",
        "stage",
        "channel",
        "source",
        "language",
        "has_comment",
        "month",
        "week",
        "day",
        "quarter",
        "segment",
        "attr.tier",
        "sentiment",
        "theme",
        "emotion",
    ];
    let tz = TimeZone::get("Europe/Kyiv").unwrap();
    let labels: Vec<BTreeMap<&str, Vec<Option<String>>>> = feedback
        .iter()
        .map(|f| {
            dimensions
                .iter()
                .map(|&d| (d, labels_of(d, f, &customers, &dir, &tz)))
                .collect()
        })
        .collect();
    for round in 0..120 {
        let mut request = QueryRequest {
            measures: vec![
                Measure::N,
                Measure::Nps,
                Measure::Csat,
                Measure::CsatTop2,
                Measure::Ces,
                Measure::CesEasy,
                Measure::Reach,
                Measure::Sentiment,
            ],
            ..Default::default()
        };
        let mut keep: Vec<Keep> = Vec::new();
        if rng.chance(0.4) {
            let from_day = rng.below(300) as i64;
            let days = 1 + rng.below(60) as i64;
            let tz = TimeZone::get("Europe/Kyiv").unwrap();
            let start = jiff::civil::date(2025, 1, 1)
                .checked_add(jiff::Span::new().days(from_day))
                .unwrap();
            let end = start.checked_add(jiff::Span::new().days(days)).unwrap();
            let (a, b) = (
                start
                    .to_zoned(tz.clone())
                    .unwrap()
                    .timestamp()
                    .as_microsecond(),
                end.to_zoned(tz).unwrap().timestamp().as_microsecond(),
            );
            request.filters.from = Some(start.to_string());
            request.filters.to = Some(end.to_string());
            keep.push(Box::new(move |f| a <= f.occurred_at && f.occurred_at < b));
        }
        if rng.chance(0.3) {
            // tp-11 means 11 and 12 (its child).
            request.filters.touchpoint = OneOrMany::One(Named::Key("tp-11".into()));
            keep.push(Box::new(|f| matches!(f.touchpoint_id, Some(11 | 12))));
        }
        if rng.chance(0.2) {
            request.filters.stage = OneOrMany::One(Named::Id(2));
            keep.push(Box::new(|f| matches!(f.touchpoint_id, Some(20 | 21))));
        }
        if rng.chance(0.3) {
            request.filters.channel =
                OneOrMany::Many(vec![Named::Key("ch-2".into()), Named::Id(3)]);
            keep.push(Box::new(|f| matches!(f.channel_id, Some(2 | 3))));
        }
        if rng.chance(0.2) {
            request.filters.source = OneOrMany::One(FeedbackSource::Complaint);
            keep.push(Box::new(|f| f.source == FeedbackSource::Complaint));
        }
        if rng.chance(0.2) {
            request.filters.language = OneOrMany::Many(vec!["UK".into(), "en".into()]);
            keep.push(Box::new(|f| {
                matches!(f.language.as_deref(), Some("uk" | "en"))
            }));
        }
        if rng.chance(0.2) {
            request.filters.has_comment = Some(true);
            keep.push(Box::new(|f| f.has_comment));
        }
        if rng.chance(0.2) {
            use dosvid_text::Label;
            request.filters.sentiment = OneOrMany::Many(vec![Label::Negative, Label::Neutral]);
            keep.push(Box::new(|f| {
                f.sentiment
                    .is_some_and(|s| matches!(Label::of(s), Label::Negative | Label::Neutral))
            }));
        }
        if rng.chance(0.2) {
            // `a` includes its sub-themes.
            request.filters.theme = OneOrMany::Many(vec!["a".into(), "b".into()]);
            keep.push(Box::new(|f| {
                f.themes.as_deref().is_some_and(|t| !t.is_empty())
            }));
        } else if rng.chance(0.2) {
            request.filters.theme = OneOrMany::One("a.y".into());
            keep.push(Box::new(|f| {
                f.themes.as_deref().is_some_and(|t| t.contains("a.y"))
            }));
        }
        if rng.chance(0.2) {
            request.filters.emotion = OneOrMany::Many(vec!["anger".into(), "joy".into()]);
            keep.push(Box::new(|f| f.emotions & (1 | 1 << 4) != 0));
        }
        if rng.chance(0.3) {
            request
                .filters
                .customer
                .insert("segment".into(), OneOrMany::One("premium".into()));
            let premium: Vec<i64> = customers
                .iter()
                .filter(|c| c.segment.as_deref() == Some("premium"))
                .map(|c| c.id)
                .collect();
            keep.push(Box::new(move |f| {
                f.customer_id.is_some_and(|c| premium.contains(&c))
            }));
        }
        let groups = rng.below(3) as usize;
        for _ in 0..groups {
            let d = dimensions[rng.below(dimensions.len() as u64) as usize];
            if !request.group_by.iter().any(|g| g == d) {
                request.group_by.push(d.to_owned());
            }
        }

        let mut expected: BTreeMap<Vec<Option<String>>, Expected> = BTreeMap::new();
        for (f, labels) in feedback
            .iter()
            .zip(&labels)
            .filter(|(f, _)| keep.iter().all(|k| k(f)))
        {
            let mut keys: Vec<Vec<Option<String>>> = vec![Vec::new()];
            for d in &request.group_by {
                keys = keys
                    .into_iter()
                    .flat_map(|key| {
                        labels[d.as_str()].iter().map(move |l| {
                            let mut key = key.clone();
                            key.push(l.clone());
                            key
                        })
                    })
                    .collect();
            }
            for key in keys {
                let e = expected.entry(key).or_default();
                e.n += 1;
                e.nps.extend(f.nps);
                e.csat.extend(f.csat);
                e.ces.extend(f.ces);
                e.sentiments.extend(f.sentiment);
                e.customers.extend(f.customer_id);
            }
        }

        let result = index.query(&request).unwrap();
        assert_eq!(
            result.rows.len(),
            expected.len(),
            "round {round}: {request:?}"
        );
        for row in &result.rows {
            let key: Vec<Option<String>> = request
                .group_by
                .iter()
                .map(|d| row.group[d].clone())
                .collect();
            let e = &expected[&key];
            let context = format!("round {round}, group {key:?}");
            assert_eq!(row.n, e.n, "{context}");
            assert_eq!(row.reach, Some(e.customers.len() as u64), "{context}");
            let nps = row.nps.as_ref().unwrap().current;
            assert_eq!(nps.n, e.nps.len() as u64, "{context}");
            if !e.nps.is_empty() {
                let promoters = e.nps.iter().filter(|&&s| s >= 9).count() as f64;
                let detractors = e.nps.iter().filter(|&&s| s <= 6).count() as f64;
                let want = 100.0 * (promoters - detractors) / e.nps.len() as f64;
                assert_eq!(nps.value, Some(want), "{context}");
                assert_eq!(nps.low_sample, e.nps.len() < 30, "{context}");
            }
            let mean = |v: &[u8]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
            let csat = row.csat.as_ref().unwrap().current;
            assert_eq!(csat.n, e.csat.len() as u64, "{context}");
            if !e.csat.is_empty() {
                assert!(
                    (csat.value.unwrap() - mean(&e.csat)).abs() < 1e-9,
                    "{context}"
                );
                let top2 = e.csat.iter().filter(|&&s| s >= 4).count() as f64;
                let got = row.csat_top2.as_ref().unwrap().current.value.unwrap();
                assert!(
                    (got - 100.0 * top2 / e.csat.len() as f64).abs() < 1e-9,
                    "{context}"
                );
            }
            let sentiment = row.sentiment.as_ref().unwrap().current;
            assert_eq!(sentiment.n, e.sentiments.len() as u64, "{context}");
            if !e.sentiments.is_empty() {
                let want = e.sentiments.iter().sum::<f64>() / e.sentiments.len() as f64;
                assert!((sentiment.value.unwrap() - want).abs() < 1e-9, "{context}");
            }
            let ces = row.ces.as_ref().unwrap().current;
            assert_eq!(ces.n, e.ces.len() as u64, "{context}");
            if !e.ces.is_empty() {
                assert!(
                    (ces.value.unwrap() - mean(&e.ces)).abs() < 1e-9,
                    "{context}"
                );
                let easy = e.ces.iter().filter(|&&s| s >= 5).count() as f64;
                let got = row.ces_easy.as_ref().unwrap().current.value.unwrap();
                assert!(
                    (got - 100.0 * easy / e.ces.len() as f64).abs() < 1e-9,
                    "{context}"
                );
            }
        }
    }
}

#[test]
fn comparing_periods_reports_the_change_and_its_significance() {
    let dir = directory();
    let mut index = Index::new(Zone::utc(), dir);
    let day = |d: i64| (1_735_689_600 + d * 86_400) * 1_000_000;
    let record = |id, at, nps| FeedbackFact {
        id,
        touchpoint_id: Some(20),
        channel_id: Some(1),
        occurred_at: at,
        nps: Some(nps),
        ..Default::default()
    };
    // January: 200 answers, half promoters; February: 200 answers, all detractors.
    let mut facts = Vec::new();
    for i in 0..200 {
        facts.push(record(i, day(i % 28), if i % 2 == 0 { 10 } else { 8 }));
        facts.push(record(1000 + i, day(31 + i % 28), 3));
    }
    index.append_feedback(&facts);
    index.finish_build();
    let request: QueryRequest = serde_json::from_value(serde_json::json!({
        "measures": ["nps"],
        "filters": {"from": "2025-02-01", "to": "2025-03-01"},
        "group_by": ["touchpoint"],
        "compare_to": "previous_period"
    }))
    .unwrap();
    let result = index.query(&request).unwrap();
    assert_eq!(result.rows.len(), 1);
    let nps = result.rows[0].nps.as_ref().unwrap();
    assert_eq!(nps.current.value, Some(-100.0));
    // February is a calendar month: the period before it is January.
    let previous = nps.previous.unwrap();
    assert_eq!(previous.n, 200);
    let change = nps.change.unwrap();
    assert!(change.significant && change.difference < -100.0);
    assert_eq!(
        result.compared_to.unwrap().from.as_deref(),
        Some("2025-01-01T00:00:00+00:00")
    );

    // Too few answers: flagged, not a bare number.
    let request: QueryRequest = serde_json::from_value(serde_json::json!({
        "measures": ["nps"], "filters": {"from": "2025-02-01", "to": "2025-02-02"}
    }))
    .unwrap();
    let nps = index.query(&request).unwrap().rows[0].nps.clone().unwrap();
    assert!(nps.current.low_sample && nps.current.n < 30);
}

#[test]
fn bad_queries_name_the_field() {
    let index = Index::new(Zone::utc(), directory());
    let error = |json: serde_json::Value| {
        let request: QueryRequest = serde_json::from_value(json).unwrap();
        index.query(&request).unwrap_err()
    };
    let e = error(serde_json::json!({"group_by": ["touchpoint", "colour"]}));
    assert_eq!(e.field, "group_by[1]");
    let e = error(serde_json::json!({"filters": {"touchpoint": "nope"}}));
    assert_eq!(e.field, "filters.touchpoint[0]");
    let e = error(serde_json::json!({"filters": {"from": "yesterday"}}));
    assert_eq!(e.field, "filters.from");
    let e = error(serde_json::json!({"filters": {"from": "2025-02-01", "to": "2025-01-01"}}));
    assert_eq!(e.field, "filters.to");
    let e = error(serde_json::json!({"compare_to": "previous_period"}));
    assert_eq!(e.field, "compare_to");
    let e = error(
        serde_json::json!({"group_by": ["month"], "compare_to": {"from": "2025-01-01", "to": "2025-02-01"}}),
    );
    assert_eq!(e.field, "compare_to");
    let e = error(serde_json::json!({"filters": {"customer": {"colour": "red"}}}));
    assert_eq!(e.field, "filters.customer.colour");
}

#[test]
fn retention_and_revenue_by_month_match_hand_counts() {
    use dosvid_domain::{TransactionFact, TransactionKind};
    let mut index = Index::new(Zone::utc(), directory());
    let customer = |id, segment: &str| CustomerFact {
        id,
        segment: Some(segment.into()),
        ..Default::default()
    };
    index.upsert_customers(&[
        customer(1, "mass"),
        customer(2, "mass"),
        customer(3, "premium"),
    ]);
    let month = |m: i64| (1_735_689_600 + (m - 1) * 31 * 86_400 + 86_400) * 1_000_000;
    let mut id = 0;
    let mut t = |customer: i64, m: i64, amount: i64, kind: TransactionKind, currency: &str| {
        id += 1;
        TransactionFact {
            id,
            customer_id: Some(customer),
            occurred_at: month(m),
            amount_minor: amount,
            currency: currency.into(),
            kind,
        }
    };
    use TransactionKind::*;
    let facts = vec![
        t(1, 1, 100, Recurring, "UAH"),
        t(1, 2, 100, Recurring, "UAH"),
        t(1, 3, 150, Recurring, "UAH"),
        t(2, 1, 200, Recurring, "UAH"),
        t(2, 2, 120, Recurring, "UAH"),
        t(3, 2, 500, Purchase, "UAH"),
        t(3, 2, 100, Refund, "UAH"),
        t(3, 3, 50, Purchase, "UAH"),
        t(3, 3, 9_999, Purchase, "USD"),
    ];
    index.append_transactions(&facts);
    index.finish_build();
    // Sent again by a retried batch: counted once.
    index.append_transactions(&facts[..2]);

    let result = index.retention(&RetentionRequest::default()).unwrap();
    assert_eq!(result.currency.as_deref(), Some("UAH"));
    let periods: Vec<&str> = result.rows.iter().map(|r| r.period.as_str()).collect();
    assert_eq!(periods, ["2025-01", "2025-02", "2025-03"]);
    let [jan, feb, mar] = &result.rows[..] else {
        unreachable!()
    };
    assert_eq!(
        (jan.customers_start, jan.customers_end, jan.new_customers),
        (0, 2, 2)
    );
    assert_eq!((jan.crr, jan.grr, jan.revenue), (None, None, 300));
    assert_eq!(
        (feb.customers_start, feb.customers_end, feb.new_customers),
        (2, 3, 1)
    );
    assert_eq!(feb.crr, Some(100.0));
    assert_eq!(
        (
            feb.recurring_start,
            feb.contraction,
            feb.churned,
            feb.expansion
        ),
        (300, 80, 0, 0)
    );
    let close = |a: Option<f64>, b: f64| assert!((a.unwrap() - b).abs() < 1e-9, "{a:?} ≠ {b}");
    close(feb.grr, 100.0 * 220.0 / 300.0);
    close(feb.nrr, 100.0 * 220.0 / 300.0);
    assert_eq!(feb.revenue, 620);
    assert_eq!(
        (mar.customers_start, mar.customers_end, mar.new_customers),
        (3, 2, 0)
    );
    // The data ends on 4 March: March is not over.
    assert!(mar.partial && !feb.partial);
    close(mar.crr, 100.0 * 2.0 / 3.0);
    assert_eq!(
        (mar.recurring_start, mar.expansion, mar.churned),
        (220, 50, 120)
    );
    close(mar.grr, 100.0 * 100.0 / 220.0);
    close(mar.nrr, 100.0 * 150.0 / 220.0);
    close(jan.historical_clv, 150.0);
    close(mar.historical_clv, 1120.0 / 3.0);
    let monthly = 1.1f64.powf(1.0 / 12.0) - 1.0;
    close(
        mar.clv,
        dosvid_metrics::clv(200.0 / 2.0, 2.0 / 3.0, monthly).unwrap(),
    );

    let request: RetentionRequest = serde_json::from_value(serde_json::json!({
        "group_by": "segment", "from": "2025-02-01", "margin": 0.5
    }))
    .unwrap();
    let by_segment = index.retention(&request).unwrap();
    let feb_premium = by_segment
        .rows
        .iter()
        .find(|r| r.period == "2025-02" && r.group["segment"].as_deref() == Some("premium"))
        .unwrap();
    assert_eq!(
        (
            feb_premium.customers_end,
            feb_premium.new_customers,
            feb_premium.revenue
        ),
        (1, 1, 400)
    );
    close(feb_premium.historical_clv, 0.5 * 400.0);
    assert!(
        by_segment
            .rows
            .iter()
            .all(|r| r.period.as_str() >= "2025-02")
    );
    let usd: RetentionRequest =
        serde_json::from_value(serde_json::json!({"currency": "usd"})).unwrap();
    assert_eq!(index.retention(&usd).unwrap().rows[0].revenue, 9_999);
    let bad: RetentionRequest =
        serde_json::from_value(serde_json::json!({"currency": "XYZ"})).unwrap();
    assert_eq!(index.retention(&bad).unwrap_err().field, "currency");
}

/// A commented record for the theme and CX index checks.
fn commented(
    id: i64,
    customer: i64,
    day: i64,
    nps: u8,
    sentiment: Option<f64>,
    themes: &str,
) -> FeedbackFact {
    FeedbackFact {
        id,
        customer_id: Some(customer),
        touchpoint_id: Some(10),
        channel_id: Some(1),
        occurred_at: (1_735_689_600 + day * 86_400) * 1_000_000,
        nps: Some(nps),
        csat: Some(if nps >= 9 { 5 } else { 2 }),
        has_comment: true,
        language: Some("uk".into()),
        sentiment,
        themes: sentiment.map(|_| themes.to_owned()),
        ..Default::default()
    }
}

#[test]
fn a_theme_report_compares_the_nps_of_those_who_mention_it_with_the_rest() {
    let mut index = Index::new(Zone::utc(), directory());
    let mut facts = Vec::new();
    for (i, nps) in [10, 10, 10, 3].into_iter().enumerate() {
        facts.push(commented(i as i64 + 1, 1, 1, nps, Some(0.5), "a.x"));
    }
    for (i, nps) in [0, 0, 10, 8].into_iter().enumerate() {
        facts.push(commented(i as i64 + 11, 2, 1, nps, Some(-0.5), ""));
    }
    // Garbage has no sentiment and no themes, and is not a readable comment.
    facts.push(commented(21, 3, 1, 0, None, ""));
    index.append_feedback(&facts);
    index.finish_build();
    let report = index
        .theme_report(&ThemeReportRequest {
            min_sample: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(report.comments, 8);
    let row = |key: &str| {
        report
            .themes
            .iter()
            .find(|t| t.theme == key)
            .unwrap()
            .clone()
    };
    for key in ["a", "a.x"] {
        let r = row(key);
        assert_eq!(r.n, 4, "{key}");
        assert_eq!(r.share.value, Some(50.0));
        assert_eq!(r.nps.value, Some(50.0)); // 3 promoters, 1 detractor of 4
        assert_eq!(r.nps_without.value, Some(-25.0)); // 1 promoter, 2 detractors of 4
        assert!((r.sentiment.value.unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(r.impact.unwrap().difference, 75.0);
    }
    assert_eq!(row("a.y").n, 0);
    assert_eq!(row("b").nps_without.value, Some(12.5)); // all eight: 4 promoters, 3 detractors
    assert_eq!(row("b").nps.value, None);
}

/// Sixteen angry comments against forty delighted ones: a clear difference, on too few answers
/// (below 30) to be called significant; with a minimum sample of 10 it is.
#[test]
fn a_theme_on_too_few_answers_is_never_significant() {
    let mut index = Index::new(Zone::utc(), directory());
    let mut facts = Vec::new();
    for i in 0..16 {
        facts.push(commented(i + 1, 1, 1, 0, Some(-0.5), "a.x"));
    }
    for i in 0..40 {
        facts.push(commented(i + 101, 2, 1, 10, Some(0.5), ""));
    }
    index.append_feedback(&facts);
    index.finish_build();
    let impact = |min_sample| {
        let request = ThemeReportRequest {
            min_sample: Some(min_sample),
            ..Default::default()
        };
        let report = index.theme_report(&request).unwrap();
        let row = report
            .themes
            .into_iter()
            .find(|t| t.theme == "a.x")
            .unwrap();
        row.impact.unwrap()
    };
    assert_eq!(impact(30).difference, -200.0);
    assert!(!impact(30).significant);
    assert!(impact(10).significant);
}

#[test]
fn the_cx_index_combines_sentiment_ratings_and_what_customers_did_afterwards() {
    use dosvid_domain::{TransactionFact, TransactionKind};
    let mut index = Index::new(Zone::utc(), directory());
    let facts = [
        // Customer 1 buys 10 days after: retained. Customer 2 never buys again: lapsed.
        // Customer 3's record is 10 days before the latest data: not yet known.
        commented(1, 1, 0, 10, Some(0.6), "a"),
        commented(2, 2, 0, 3, Some(-0.2), "b"),
        commented(3, 3, 190, 9, Some(1.0), ""),
    ];
    index.upsert_customers(
        &(1..=3)
            .map(|id| CustomerFact {
                id,
                segment: Some("mass".into()),
                ..Default::default()
            })
            .collect::<Vec<_>>(),
    );
    index.append_feedback(&facts);
    let purchase = |id, customer, day: i64, kind| TransactionFact {
        id,
        customer_id: Some(customer),
        occurred_at: (1_735_689_600 + day * 86_400) * 1_000_000,
        amount_minor: 1000,
        currency: "UAH".into(),
        kind,
    };
    index.append_transactions(&[
        purchase(1, 1, 10, TransactionKind::Purchase),
        // A refund is not activity; the latest data is day 200.
        purchase(2, 2, 200, TransactionKind::Refund),
    ]);
    index.finish_build();
    let result = index
        .cx_index(&CxIndexRequest {
            min_sample: Some(1),
            ..Default::default()
        })
        .unwrap();
    let row = &result.rows[0];
    assert_eq!(row.n, 3);
    let part = |c: &Component, name: &str| c.parts[name].value.unwrap();
    // Mean sentiment (0.6 − 0.2 + 1.0) / 3, as 0–100.
    let emotional = (1.4 / 3.0 + 1.0) * 50.0;
    assert!((row.emotional.score.unwrap() - emotional).abs() < 1e-9);
    // CSAT 5, 2, 5: two of three top-two-box; no CES answered.
    assert!((part(&row.cognitive, "csat_top2") - 200.0 / 3.0).abs() < 1e-9);
    assert!(row.cognitive.parts["ces_easy"].value.is_none());
    assert!((row.cognitive.score.unwrap() - 200.0 / 3.0).abs() < 1e-9);
    // NPS (2 − 1) / 3 → (33.3 + 100) / 2; retention 1 of 2 judged.
    let recommendation = (100.0 / 3.0 + 100.0) / 2.0;
    assert!((part(&row.behavioural, "recommendation") - recommendation).abs() < 1e-9);
    assert_eq!(part(&row.behavioural, "retention"), 50.0);
    let behavioural = (recommendation + 50.0) / 2.0;
    let want = (emotional + 200.0 / 3.0 + behavioural) / 3.0;
    assert!((row.cx_index.unwrap() - want).abs() < 1e-9);
    assert!(!row.low_sample);
    // One customer's index, and the same by segment.
    let one = index
        .cx_index(&CxIndexRequest {
            customer_id: Some(1),
            min_sample: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(one.rows[0].n, 1);
    assert_eq!(part(&one.rows[0].behavioural, "retention"), 100.0);
    let by_segment = index
        .cx_index(&CxIndexRequest {
            group_by: vec!["segment".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_segment.rows[0].group["segment"].as_deref(), Some("mass"));
    assert!(
        by_segment.rows[0].low_sample,
        "three records are below the default 30"
    );
}

#[test]
fn the_records_behind_a_filter_come_newest_first_and_all_are_counted() {
    let mut rng = Rng(7);
    let dir = directory();
    let (customers, feedback) = facts(&mut rng, 12_000);
    let mut index = Index::new(Zone::new("Europe/Kyiv").unwrap(), dir);
    index.upsert_customers(&customers);
    index.append_feedback(&feedback);
    index.finish_build();
    let filters: Filters =
        serde_json::from_value(serde_json::json!({"channel": "ch-2", "has_comment": true}))
            .unwrap();
    let mut expected: Vec<&FeedbackFact> = feedback
        .iter()
        .filter(|f| f.channel_id == Some(2) && f.has_comment)
        .collect();
    expected.sort_by_key(|f| std::cmp::Reverse(f.occurred_at));
    let first = index.feedback_records(&filters, 0, 50).unwrap();
    assert_eq!(first.total, expected.len() as u64);
    let at = |id: i64| feedback.iter().find(|f| f.id == id).unwrap().occurred_at;
    let times: Vec<i64> = first.ids.iter().map(|&id| at(id)).collect();
    assert_eq!(
        times,
        expected[..50]
            .iter()
            .map(|f| f.occurred_at)
            .collect::<Vec<_>>()
    );
    let second = index.feedback_records(&filters, 50, 50).unwrap();
    assert!(
        second.ids.iter().all(|id| !first.ids.contains(id)),
        "pages do not overlap"
    );
    assert_eq!(at(second.ids[0]), expected[50].occurred_at);
    let past_the_end = index
        .feedback_records(&filters, expected.len(), 10)
        .unwrap();
    assert!(past_the_end.ids.is_empty());
}

#[test]
fn the_distribution_counts_each_score() {
    let mut rng = Rng(11);
    let (customers, feedback) = facts(&mut rng, 5_000);
    let mut index = Index::new(Zone::new("Europe/Kyiv").unwrap(), directory());
    index.upsert_customers(&customers);
    index.append_feedback(&feedback);
    index.finish_build();
    let answer = index
        .query(&QueryRequest {
            measures: vec![Measure::Distribution],
            ..Default::default()
        })
        .unwrap();
    let d = answer.rows[0].distribution.as_ref().unwrap();
    for score in 0..=10u8 {
        let expected = feedback.iter().filter(|f| f.nps == Some(score)).count() as u64;
        assert_eq!(d.nps[usize::from(score)], expected, "NPS {score}");
    }
    for score in 1..=5u8 {
        let expected = feedback.iter().filter(|f| f.csat == Some(score)).count() as u64;
        assert_eq!(d.csat[usize::from(score) - 1], expected, "CSAT {score}");
    }
    assert_eq!(d.ces.len(), 7);
}

/// A company large enough that funnels and the value chain split their customers between
/// threads: both answers against a brute-force walk of each customer's own events.
#[test]
fn funnels_and_the_value_chain_match_each_customers_own_history_across_threads() {
    use dosvid_domain::{InteractionFact, TransactionFact, TransactionKind};
    const CUSTOMERS: i64 = 150_000;
    const DAY: i64 = 86_400;
    let start = 1_735_689_600;
    let mut rng = Rng(99);
    let mut index = Index::new(Zone::utc(), directory());
    index.upsert_customers(
        &(1..=CUSTOMERS)
            .map(|id| CustomerFact {
                id,
                ..Default::default()
            })
            .collect::<Vec<_>>(),
    );
    // Each customer's events: (second, touchpoint, channel, nps); seconds are distinct within a
    // customer, so "after" means one thing.
    type Event = (i64, i64, i64, Option<u8>);
    let touchpoints = [10, 11, 12, 20, 21];
    let mut histories: Vec<Vec<Event>> = Vec::new();
    let mut purchases: Vec<Vec<(i64, i64)>> = Vec::new();
    let (mut interactions, mut feedback, mut transactions) = (Vec::new(), Vec::new(), Vec::new());
    for customer in 1..=CUSTOMERS {
        let mut events = Vec::new();
        let count = rng.below(5);
        for j in 0..count + 1 {
            let second = start + rng.below(60 * 24 * 40) as i64 * 60 + j as i64;
            let touchpoint = touchpoints[rng.below(5) as usize];
            let channel = 1 + rng.below(3) as i64;
            let answer = (j == count).then(|| rng.below(11) as u8);
            if answer.is_none() || rng.chance(0.5) {
                events.push((second, touchpoint, channel, answer));
            }
        }
        for &(second, touchpoint, channel, nps) in &events {
            if nps.is_some() {
                feedback.push(FeedbackFact {
                    id: feedback.len() as i64 + 1,
                    customer_id: Some(customer),
                    touchpoint_id: Some(touchpoint),
                    channel_id: Some(channel),
                    occurred_at: second * 1_000_000,
                    nps,
                    ..Default::default()
                });
            } else {
                interactions.push(InteractionFact {
                    id: interactions.len() as i64 + 1,
                    customer_id: Some(customer),
                    touchpoint_id: Some(touchpoint),
                    channel_id: channel,
                    occurred_at: second * 1_000_000,
                });
            }
        }
        let mut bought = Vec::new();
        for _ in 0..rng.below(3) {
            let second = start + rng.below(60 * DAY as u64) as i64;
            let amount = 100 * (1 + rng.below(50) as i64);
            bought.push((second, amount));
            transactions.push(TransactionFact {
                id: transactions.len() as i64 + 1,
                customer_id: Some(customer),
                occurred_at: second * 1_000_000,
                amount_minor: amount,
                currency: "UAH".into(),
                kind: TransactionKind::Purchase,
            });
        }
        events.sort();
        histories.push(events);
        purchases.push(bought);
    }
    index.append_interactions(&interactions);
    index.append_feedback(&feedback);
    index.append_transactions(&transactions);
    index.finish_build();

    // The funnel tp-10 (with 11 and 12 below it) → tp-20 → tp-21 within 5 days, by channel.
    let steps = [&[10, 11, 12][..], &[20], &[21]];
    let window = 5 * DAY;
    let mut expected: BTreeMap<i64, [u64; 3]> = BTreeMap::new();
    for events in &histories {
        let mut reached = 0;
        let mut began = (0, 0);
        for &(second, touchpoint, channel, _) in events {
            if reached == 0 {
                if steps[0].contains(&touchpoint) {
                    reached = 1;
                    began = (second, channel);
                }
            } else if reached < 3
                && steps[reached].contains(&touchpoint)
                && second <= began.0 + window
            {
                reached += 1;
            }
        }
        let counts = expected.entry(began.1).or_default();
        for count in counts.iter_mut().take(reached) {
            *count += 1;
        }
    }
    let step = |key: &str| FunnelStep {
        touchpoint: Some(Named::Key(key.into())),
        stage: None,
    };
    let funnel = index
        .funnel(&FunnelRequest {
            steps: vec![step("tp-10"), step("tp-20"), step("tp-21")],
            within_days: Some(5),
            group_by: Some("channel".into()),
            ..Default::default()
        })
        .unwrap();
    for group in &funnel.groups {
        let channel: i64 = group.group.as_deref().unwrap()[3..].parse().unwrap();
        let ours: Vec<u64> = group.steps.iter().map(|s| s.customers).collect();
        assert_eq!(ours, expected[&channel], "channel {channel}");
    }
    assert_eq!(funnel.groups.len(), 3);

    // The value chain over 10 days after each customer's answer in the first 20 days.
    let horizon = 10 * DAY;
    let end = histories
        .iter()
        .flatten()
        .map(|e| e.0)
        .chain(purchases.iter().flatten().map(|p| p.0))
        .max()
        .unwrap();
    let mut expected = [(0u64, 0u64, 0i64, 0u64); 3];
    for (events, bought) in histories.iter().zip(&purchases) {
        let Some(&(at, _, _, Some(nps))) = events
            .iter()
            .rfind(|e| e.3.is_some() && e.0 < start + 20 * DAY)
        else {
            continue;
        };
        if at + horizon > end {
            continue;
        }
        let group = match nps {
            9.. => 0,
            7..=8 => 1,
            _ => 2,
        };
        let within = |t: i64| t > at && t <= at + horizon;
        let revenue: i64 = bought.iter().filter(|p| within(p.0)).map(|p| p.1).sum();
        let contacts = events
            .iter()
            .filter(|e| e.3.is_none() && within(e.0))
            .count();
        let tally = &mut expected[group];
        tally.0 += 1;
        tally.1 += u64::from(!bought.iter().any(|p| within(p.0)));
        tally.2 += revenue;
        tally.3 += contacts as u64;
    }
    let chain = index
        .value_chain(&ValueChainRequest {
            from: Some("2025-01-01".into()),
            to: Some("2025-01-21".into()),
            horizon_days: Some(10),
            ..Default::default()
        })
        .unwrap();
    for (group, (customers, churned, revenue, contacts)) in chain.groups.iter().zip(expected) {
        assert_eq!(group.customers, customers, "{}", group.group);
        let n = customers as f64;
        assert!((group.churn.value.unwrap() - 100.0 * churned as f64 / n).abs() < 1e-9);
        assert!((group.revenue_per_customer.value.unwrap() - revenue as f64 / n).abs() < 1e-6);
        assert!((group.contacts.value.unwrap() - contacts as f64 / n).abs() < 1e-9);
    }
}

#[test]
fn a_remembered_answer_is_kept_until_the_index_changes() {
    let mut index = Index::new(Zone::utc(), directory());
    let (customers, records) = facts(&mut Rng(5), 200);
    index.upsert_customers(&customers);
    index.append_feedback(&records[..100]);
    index.finish_build();
    let asked = std::cell::Cell::new(0);
    let count = |index: &Index| {
        asked.set(asked.get() + 1);
        index.len()
    };
    assert_eq!(*index.remember("n", count), 100);
    assert_eq!(*index.remember("n", count), 100);
    assert_eq!(
        asked.get(),
        1,
        "the second question is answered from memory"
    );
    index.append_feedback(&records[100..]);
    assert_eq!(*index.remember("n", count), 200);
    assert_eq!(asked.get(), 2);
}

/// A company of `customers` in four regions answering NPS over a year; from mid-year, the
/// answers of `planted` (if any) are `shift` points higher on the 0–10 scale.
fn initiative_company(seed: u64, customers: i64, planted: Option<&str>, shift: f64) -> Index {
    use dosvid_domain::{TransactionFact, TransactionKind};
    const REGIONS: [&str; 4] = ["kyiv", "lviv", "odesa", "dnipro"];
    let mut rng = Rng(seed);
    let mut index = Index::new(Zone::utc(), directory());
    let facts: Vec<CustomerFact> = (1..=customers)
        .map(|id| CustomerFact {
            id,
            region: Some(REGIONS[(id % 4) as usize].into()),
            ..Default::default()
        })
        .collect();
    index.upsert_customers(&facts);
    let start = 1_735_689_600i64; // 2025-01-01
    let middle = start + 182 * 86_400;
    let (mut records, mut payments) = (Vec::new(), Vec::new());
    for id in 1..=customers {
        let region = REGIONS[(id % 4) as usize];
        let loyalty = (rng.below(1000) as f64 / 1000.0 - 0.5) * 4.0;
        for _ in 0..4 {
            let second = start + rng.below(364 * 86_400) as i64;
            let planted_here = planted == Some(region) && second >= middle;
            let noise = (rng.below(1000) as f64 / 1000.0 - 0.5) * 5.0;
            let score = 7.0 + loyalty + noise + if planted_here { shift } else { 0.0 };
            records.push(FeedbackFact {
                id: records.len() as i64 + 1,
                customer_id: Some(id),
                touchpoint_id: Some(10),
                channel_id: Some(1),
                occurred_at: second * 1_000_000,
                nps: Some(score.round().clamp(0.0, 10.0) as u8),
                ..Default::default()
            });
            let amount = 1_000 + rng.below(1_000) as i64 + if planted_here { 300 } else { 0 };
            payments.push(TransactionFact {
                id: payments.len() as i64 + 1,
                customer_id: Some(id),
                occurred_at: second * 1_000_000,
                amount_minor: amount,
                currency: "UAH".into(),
                kind: TransactionKind::Purchase,
            });
        }
    }
    index.append_feedback(&records);
    index.append_transactions(&payments);
    index.finish_build();
    index
}

fn region_initiative(region: &str) -> ImpactRequest {
    ImpactRequest {
        treated: serde_json::from_value(serde_json::json!({"customer": {"region": region}}))
            .unwrap(),
        starts_on: "2025-07-02".into(),
        before_days: Some(150),
        after_days: Some(150),
        cost_minor: Some(100_000),
        ..Default::default()
    }
}

#[test]
fn an_initiative_planted_in_one_region_is_found_there_and_nowhere_else() {
    let index = initiative_company(8, 4_000, Some("lviv"), 1.5);
    let found = index.impact(&region_initiative("lviv")).unwrap();
    let effect = found.effect.unwrap();
    // 1.5 points on the 0–10 scale moves many passives to promoters: the NPS rises.
    assert!(found.significant && effect.low > 0.0, "{found:?}");
    assert!(found.parallel_trends.as_ref().unwrap().holds);
    assert!((950..=1_000).contains(&found.treated_customers));
    let benefit = found.benefit_minor.unwrap();
    assert!(benefit.low > 0.0, "{benefit:?}");
    let rox = found.rox.unwrap();
    assert!((rox.value - (benefit.value - 100_000.0) / 100_000.0).abs() < 1e-9);
    // The series over time holds the same records, and the treated rise after the start.
    let treated_n: u64 = found.series.iter().map(|b| b.treated.n).sum();
    assert_eq!(treated_n, found.treated_before.n + found.treated_after.n);
    let start = found
        .series
        .iter()
        .position(|b| b.from == "2025-07-02")
        .expect("a bin starts at the start");
    let mean = |bins: &[crate::ImpactBin]| {
        let (sum, n) = bins.iter().fold((0.0, 0), |(sum, n), b| {
            let value = b.treated.value.unwrap_or(0.0);
            (sum + value * b.treated.n as f64, n + b.treated.n)
        });
        sum / n as f64
    };
    assert!(mean(&found.series[start..]) > mean(&found.series[..start]) + 5.0);

    // Revenue per customer as the outcome: the planted revenue shows as its own effect.
    let revenue = index
        .impact(&ImpactRequest {
            metric: ImpactMetric::RevenuePerCustomer,
            ..region_initiative("lviv")
        })
        .unwrap();
    assert_eq!(revenue.effect, found.revenue_per_customer);
    assert!(revenue.significant, "{revenue:?}");

    let elsewhere = index.impact(&region_initiative("odesa")).unwrap();
    assert!(!elsewhere.significant, "{elsewhere:?}");
    // A placebo start in the first half of the year, before anything happened.
    let placebo = index
        .impact(&ImpactRequest {
            as_if_started_on: Some("2025-04-01".into()),
            before_days: Some(80),
            after_days: Some(80),
            ..region_initiative("lviv")
        })
        .unwrap();
    assert!(placebo.placebo && !placebo.significant, "{placebo:?}");

    let bad = index
        .impact(&ImpactRequest {
            starts_on: "soon".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(bad.field, "starts_on");
}

#[test]
fn without_an_effect_the_interval_covers_zero_in_at_least_93_percent_of_trials() {
    let trials = 150;
    let mut covered = 0;
    for trial in 0..trials {
        let index = initiative_company(1_000 + trial, 600, None, 0.0);
        let answer = index
            .impact(&ImpactRequest {
                replicates: Some(200),
                ..region_initiative("lviv")
            })
            .unwrap();
        let effect = answer.effect.unwrap();
        covered += usize::from(effect.low <= 0.0 && 0.0 <= effect.high);
    }
    assert!(
        covered * 100 >= 93 * trials as usize,
        "{covered} of {trials} intervals cover zero"
    );
}

#[test]
fn a_restricted_index_answers_as_the_whole_index_with_the_rule_added() {
    let mut rng = Rng(31);
    let dir = directory();
    let (customers, feedback) = facts(&mut rng, 15_000);
    let mut index = Index::new(Zone::new("Europe/Kyiv").unwrap(), dir);
    index.upsert_customers(&customers);
    index.append_feedback(&feedback);
    index.finish_build();
    let rules = [
        serde_json::json!({"channel": "ch-2"}),
        serde_json::json!({"touchpoint": "tp-11"}),
        serde_json::json!({"customer": {"segment": "premium"}}),
        serde_json::json!({"language": ["uk", "ru"], "stage": 1}),
    ];
    let dimensions = ["touchpoint", "month", "segment", "source", "theme", ""];
    for rule in rules {
        let rule: Filters = serde_json::from_value(rule).unwrap();
        let restricted = index.restricted(&Restriction {
            rules: vec![rule.clone()],
            ..Default::default()
        });
        for _ in 0..12 {
            let dimension = dimensions[rng.below(dimensions.len() as u64) as usize];
            let mut asked = QueryRequest {
                measures: vec![Measure::N, Measure::Nps, Measure::Reach, Measure::Sentiment],
                group_by: (!dimension.is_empty())
                    .then(|| dimension.to_owned())
                    .into_iter()
                    .collect(),
                ..Default::default()
            };
            if rng.chance(0.5) {
                asked.filters.source = OneOrMany::One(FeedbackSource::Survey);
            }
            // The rules use none of the question's own filters, so adding them is a union.
            let mut whole = asked.clone();
            whole.filters = Filters {
                source: asked.filters.source.clone(),
                ..rule.clone()
            };
            let mine = serde_json::to_value(restricted.index.query(&asked).unwrap()).unwrap();
            let all = serde_json::to_value(index.query(&whole).unwrap()).unwrap();
            assert_eq!(mine, all, "rule {rule:?}, question {asked:?}");
        }
        let admitted = feedback
            .iter()
            .filter(|f| restricted.sees_feedback(f.id))
            .count();
        let counted = index
            .query(&QueryRequest {
                measures: vec![Measure::N],
                filters: rule.clone(),
                ..Default::default()
            })
            .unwrap()
            .rows[0]
            .n;
        assert_eq!(admitted as u64, counted);
    }
    // A rule naming what the journey does not hold admits nothing.
    let none = index.restricted(&Restriction {
        rules: vec![serde_json::from_value(serde_json::json!({"touchpoint": "gone"})).unwrap()],
        ..Default::default()
    });
    assert_eq!(none.index.len(), 0);
    assert!(!none.sees_customer(1));
}
