//! Driver models on simulated companies: planted effects are found with the right sign and
//! size, and where nothing is planted, fewer than 5% of values are called significant.

use dosvid_domain::{CustomerFact, FeedbackFact, TransactionFact, TransactionKind};

use crate::tests::{Rng, directory};
use crate::*;

/// Customers with a segment and region; records at touchpoints with themes; NPS from a base
/// plus the planted effects plus noise.
fn company(
    seed: u64,
    records: usize,
    planted: bool,
) -> (Vec<CustomerFact>, Vec<FeedbackFact>, Vec<TransactionFact>) {
    let mut rng = Rng(seed);
    let regions = ["north", "south", "east", "west"];
    let customers: Vec<CustomerFact> = (1..=2_000)
        .map(|id| CustomerFact {
            id,
            segment: Some(if rng.chance(0.3) { "premium" } else { "mass" }.into()),
            region: Some(regions[rng.below(4) as usize].into()),
            ..Default::default()
        })
        .collect();
    let tps = [10, 11, 12, 20, 21];
    let tags = ["", "a.x", "a.y", "b"];
    let feedback = (0..records)
        .map(|i| {
            let customer = 1 + rng.below(2_000) as i64;
            let c = &customers[customer as usize - 1];
            let touchpoint = tps[rng.below(5) as usize];
            let has_comment = rng.chance(0.5);
            let tag = if has_comment {
                tags[rng.below(4) as usize]
            } else {
                ""
            };
            let mut score = 7.0 + (rng.below(1000) as f64 / 1000.0 - 0.5) * 6.0;
            if planted {
                if tag == "a.x" {
                    score -= 3.0;
                }
                if touchpoint == 21 {
                    score -= 1.5;
                }
                if c.region.as_deref() == Some("east") {
                    score -= 1.0;
                }
                if c.segment.as_deref() == Some("premium") {
                    score += 1.0;
                }
            }
            FeedbackFact {
                id: i as i64 + 1,
                customer_id: Some(customer),
                touchpoint_id: Some(touchpoint),
                channel_id: Some(1),
                occurred_at: (1_735_689_600 + rng.below(300 * 86_400) as i64) * 1_000_000,
                nps: Some(score.round().clamp(0.0, 10.0) as u8),
                has_comment,
                sentiment: has_comment.then_some(0.0),
                themes: has_comment.then(|| tag.to_owned()),
                ..Default::default()
            }
        })
        .collect();
    let transactions = (1..=2_000)
        .map(|id| TransactionFact {
            id,
            customer_id: Some(id),
            occurred_at: (1_735_689_600 + 200 * 86_400) * 1_000_000,
            amount_minor: if customers[id as usize - 1].segment.as_deref() == Some("premium") {
                50_000
            } else {
                10_000
            },
            currency: "UAH".into(),
            kind: TransactionKind::Purchase,
        })
        .collect();
    (customers, feedback, transactions)
}

/// Customers 1..=n with no attributes.
fn plain_customers(n: i64) -> Vec<CustomerFact> {
    (1..=n)
        .map(|id| CustomerFact {
            id,
            ..Default::default()
        })
        .collect()
}

/// Customer `id`'s survey answer: an NPS and nothing else.
fn survey_answer(id: i64, touchpoint: Option<i64>, occurred_at: i64, nps: u8) -> FeedbackFact {
    FeedbackFact {
        id,
        customer_id: Some(id),
        touchpoint_id: touchpoint,
        occurred_at,
        nps: Some(nps),
        ..Default::default()
    }
}

fn build(
    customers: &[CustomerFact],
    feedback: &[FeedbackFact],
    interactions: &[dosvid_domain::InteractionFact],
    transactions: &[TransactionFact],
) -> Index {
    let mut index = Index::new(Zone::utc(), directory());
    index.upsert_customers(customers);
    index.append_feedback(feedback);
    index.append_interactions(interactions);
    index.append_transactions(transactions);
    index.finish_build();
    index
}

fn index_of(seed: u64, records: usize, planted: bool) -> Index {
    let (customers, feedback, transactions) = company(seed, records, planted);
    build(&customers, &feedback, &[], &transactions)
}

fn request() -> DriversRequest {
    DriversRequest {
        factors: ["theme", "touchpoint", "segment", "region"]
            .map(String::from)
            .to_vec(),
        replicates: Some(100),
        ..Default::default()
    }
}

#[test]
fn planted_drivers_are_found_with_their_sign_and_size() {
    let index = index_of(1, 20_000, true);
    let result = index.drivers(&request()).unwrap();
    let driver = |factor: &str, value: &str| {
        result
            .drivers
            .iter()
            .find(|d| d.factor == factor && d.value == value)
            .unwrap_or_else(|| panic!("{factor} {value}: {:?}", result.drivers))
    };
    let theme = driver("theme", "a.x");
    assert!(
        theme.significant && (theme.effect + 3.0).abs() < 0.25,
        "{theme:?}"
    );
    assert!(theme.effect_low < theme.effect && theme.effect < theme.effect_high);
    assert_eq!(result.drivers[0].value, "a.x", "the strongest driver first");
    let touchpoint = driver("touchpoint", "tp-21");
    assert!(
        touchpoint.significant && touchpoint.effect < -0.8,
        "{touchpoint:?}"
    );
    let region = driver("region", "east");
    assert!(region.significant && region.effect < -0.5, "{region:?}");
    let premium = driver("segment", "premium");
    assert!(premium.significant && premium.effect > 0.4, "{premium:?}");
    let b = driver("theme", "b");
    assert!(!b.significant, "{b:?}");
    let total: f64 = result.drivers.iter().map(|d| d.importance).sum();
    assert!(
        total <= result.r2 + 1e-6 && result.r2 > 0.2,
        "{total} of {}",
        result.r2
    );
    assert!(result.r2_low <= result.r2 && result.r2 <= result.r2_high);

    // What to fix first: the planted theme, touching a quarter of the comments.
    let priorities = index
        .priorities(&PrioritiesRequest {
            factors: request().factors,
            replicates: Some(50),
            ..Default::default()
        })
        .unwrap();
    let first = &priorities.problems[0];
    assert_eq!(
        (first.factor.as_str(), first.value.as_str()),
        ("theme", "a.x")
    );
    assert!(first.revenue_at_risk_minor > 0 && first.customers > 0);
    assert!(
        priorities
            .problems
            .iter()
            .all(|p| p.factor != "segment" || p.value != "premium")
    );
    assert!(priorities.matrix.iter().any(|m| m.value == "tp-21"));
}

#[test]
fn without_planted_effects_fewer_than_five_percent_of_values_are_significant() {
    let (mut values, mut significant) = (0, 0);
    for seed in 0..20 {
        let index = index_of(100 + seed, 3_000, false);
        let result = index.drivers(&request()).unwrap();
        for d in result
            .drivers
            .iter()
            .filter(|d| d.factor != "control" && !d.low_sample)
        {
            values += 1;
            significant += usize::from(d.significant);
        }
    }
    assert!(values > 200, "{values}");
    assert!(
        (significant as f64) < 0.05 * values as f64,
        "{significant} of {values} called significant"
    );
}

#[test]
fn bad_driver_requests_name_the_field() {
    let index = index_of(3, 500, true);
    let bad = |request: DriversRequest| index.drivers(&request).unwrap_err().field;
    let factors = |f: &[&str]| DriversRequest {
        factors: f.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    assert_eq!(bad(factors(&["stage", "touchpoint"])), "factors");
    assert_eq!(bad(factors(&["theme", "theme"])), "factors[1]");
    assert_eq!(bad(factors(&["shoe_size"])), "factors[0]");
    assert_eq!(
        bad(DriversRequest {
            replicates: Some(5),
            ..Default::default()
        }),
        "replicates"
    );
}

#[test]
fn the_value_chain_shows_detractors_churning_more_and_spending_less() {
    let mut rng = Rng(9);
    let day = |d: i64| (1_735_689_600 + d * 86_400) * 1_000_000;
    let customers = plain_customers(1_500);
    let mut feedback = Vec::new();
    let mut transactions = Vec::new();
    for id in 1..=1_500i64 {
        let nps = rng.below(11) as u8;
        // The last 100 answered too late for their horizon to end.
        let answered = if id > 1_400 { 390 } else { 10 };
        feedback.push(survey_answer(id, None, day(answered), nps));
        let stays = if nps >= 9 {
            0.9
        } else if nps <= 6 {
            0.5
        } else {
            0.75
        };
        if rng.chance(stays) {
            transactions.push(TransactionFact {
                id,
                customer_id: Some(id),
                occurred_at: day(60),
                amount_minor: if nps >= 9 { 30_000 } else { 20_000 },
                currency: "UAH".into(),
                kind: TransactionKind::Purchase,
            });
        }
    }
    transactions.push(TransactionFact {
        id: 99_999,
        customer_id: None,
        occurred_at: day(400),
        amount_minor: 1,
        currency: "UAH".into(),
        kind: TransactionKind::Purchase,
    });
    let index = build(&customers, &feedback, &[], &transactions);
    let chain = index
        .value_chain(&ValueChainRequest {
            horizon_days: Some(180),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(chain.too_recent, 100);
    let group = |name: &str| chain.groups.iter().find(|g| g.group == name).unwrap();
    let (promoters, detractors) = (group("promoter"), group("detractor"));
    assert_eq!(chain.groups.iter().map(|g| g.customers).sum::<u64>(), 1_400);
    let churn = |g: &ValueChainGroup| g.churn.value.unwrap();
    assert!((churn(promoters) - 10.0).abs() < 5.0, "{promoters:?}");
    assert!((churn(detractors) - 50.0).abs() < 6.0, "{detractors:?}");
    let difference = detractors.churn_vs_first.unwrap();
    assert!(difference.significant && difference.difference > 30.0);
    assert!(detractors.revenue_vs_first.unwrap().difference < 0.0);
    assert!(chain.nps_point.unwrap().revenue_minor > 0.0);

    // nps_group is a dimension of every question.
    let by_group = index
        .query(&QueryRequest {
            measures: vec![Measure::N],
            group_by: vec!["nps_group".into()],
            ..Default::default()
        })
        .unwrap();
    let n_of = |name: &str| {
        by_group
            .rows
            .iter()
            .find(|r| r.group["nps_group"].as_deref() == Some(name))
            .map_or(0, |r| r.n)
    };
    let promoters = feedback.iter().filter(|f| f.nps >= Some(9)).count() as u64;
    let detractors = feedback.iter().filter(|f| f.nps <= Some(6)).count() as u64;
    assert_eq!(
        (n_of("promoter"), n_of("detractor")),
        (promoters, detractors)
    );
    assert_eq!(
        n_of("promoter") + n_of("passive") + n_of("detractor"),
        1_500
    );
    assert_eq!(chain.currency.as_deref(), Some("UAH"));
}

#[test]
fn a_funnel_finds_the_planted_drop_on_its_channel_and_step() {
    let mut rng = Rng(11);
    let day = |d: f64| ((1_735_689_600.0 + d * 86_400.0) as i64) * 1_000_000;
    let mut interactions = Vec::new();
    let mut push = |customer: i64, touchpoint: i64, channel: i64, at: f64| {
        interactions.push(dosvid_domain::InteractionFact {
            id: interactions.len() as i64 + 1,
            customer_id: Some(customer),
            touchpoint_id: Some(touchpoint),
            channel_id: channel,
            occurred_at: day(at),
        });
    };
    let (mut started, mut second, mut third) = (0u64, 0u64, 0u64);
    for customer in 1..=3_000i64 {
        let channel = 1 + rng.below(2) as i64;
        let start = rng.below(200) as f64;
        push(customer, 10, channel, start);
        started += 1;
        let goes_on = if channel == 2 { 0.4 } else { 0.8 };
        if rng.chance(goes_on) {
            // A sub-touchpoint of step 2's touchpoint counts for it.
            push(customer, 20, channel, start + 1.0);
            second += 1;
            if rng.chance(0.7) {
                // Too late for the window for one in ten.
                let late = rng.chance(0.1);
                push(customer, 21, channel, start + if late { 40.0 } else { 3.0 });
                third += u64::from(!late);
            }
        }
    }
    interactions.sort_by_key(|i| i.occurred_at);
    let customers = plain_customers(3_000);
    let index = build(&customers, &[], &interactions, &[]);
    let step = |key: &str| FunnelStep {
        touchpoint: Some(Named::Key(key.into())),
        stage: None,
    };
    let request = FunnelRequest {
        steps: vec![step("tp-10"), step("tp-20"), step("tp-21")],
        within_days: Some(30),
        group_by: Some("channel".into()),
        ..Default::default()
    };
    let funnel = index.funnel(&request).unwrap();
    let counts: Vec<u64> = funnel.overall.steps.iter().map(|s| s.customers).collect();
    // tp-11 and tp-12 sit under tp-10, so step one counts them too; none were used here.
    assert_eq!(counts, [started, second, third]);
    let drop = funnel.largest_drop.clone().expect("the planted drop");
    assert_eq!(
        (drop.step.as_str(), drop.group.as_deref()),
        ("tp-20", Some("ch-2"))
    );
    assert!(drop.difference < -30.0, "{drop:?}");
    assert_eq!(funnel.groups.len(), 2);

    let refused = index
        .funnel(&FunnelRequest {
            steps: vec![step("tp-10")],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(refused.field, "steps");
    let unknown = index
        .funnel(&FunnelRequest {
            steps: vec![step("tp-10"), step("nowhere")],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(unknown.field, "steps[1].touchpoint");
}

#[test]
fn the_touchpoint_where_a_bad_experience_is_followed_by_churn_is_suggested_as_a_moment_of_truth() {
    let mut rng = Rng(21);
    let day = |d: i64| (1_735_689_600 + d * 86_400) * 1_000_000;
    let customers = plain_customers(4_000);
    let (mut feedback, mut transactions) = (Vec::new(), Vec::new());
    for id in 1..=4_000i64 {
        let touchpoint = [10, 20, 21][rng.below(3) as usize];
        let nps = rng.below(11) as u8;
        feedback.push(survey_answer(id, Some(touchpoint), day(10), nps));
        let leaves = if touchpoint == 21 && nps <= 6 {
            0.7
        } else {
            0.15
        };
        if !rng.chance(leaves) {
            transactions.push(TransactionFact {
                id,
                customer_id: Some(id),
                occurred_at: day(40),
                amount_minor: 10_000,
                currency: "UAH".into(),
                kind: TransactionKind::Recurring,
            });
        }
    }
    transactions.push(TransactionFact {
        id: 99_999,
        customer_id: None,
        occurred_at: day(300),
        amount_minor: 1,
        currency: "UAH".into(),
        kind: TransactionKind::Purchase,
    });
    let index = build(&customers, &feedback, &[], &transactions);
    let moments = index.moments_of_truth(&MomentsRequest::default()).unwrap();
    let first = &moments.touchpoints[0];
    assert_eq!(first.touchpoint, "tp-21");
    assert!(first.suggested && first.difference > 40.0, "{first:?}");
    let elsewhere: Vec<_> = moments.touchpoints.iter().filter(|m| m.suggested).collect();
    assert_eq!(elsewhere.len(), 1, "{elsewhere:?}");
}
