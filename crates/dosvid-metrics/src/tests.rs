//! Every metric against a hand calculation (see each case), edge cases included.

use super::*;

const MIN: u64 = DEFAULT_MIN_SAMPLE;

fn close(got: Option<f64>, want: f64) -> bool {
    got.is_some_and(|g| (g - want).abs() < 1e-3)
}

fn nps_of(promoters: u64, passives: u64, detractors: u64) -> NpsCounts {
    NpsCounts {
        promoters,
        passives,
        detractors,
    }
}

/// (counts, value, low, high, low_sample)
fn check_nps(counts: NpsCounts, expect: (Option<f64>, Option<f64>, Option<f64>, bool)) {
    let e = counts.nps(MIN);
    let same = |g: Option<f64>, w: Option<f64>| match (g, w) {
        (None, None) => true,
        (g, Some(w)) => close(g, w),
        _ => false,
    };
    assert!(
        same(e.value, expect.0)
            && same(e.low, expect.1)
            && same(e.high, expect.2)
            && e.low_sample == expect.3,
        "{counts:?}: got {e:?}, want {expect:?}"
    );
}

#[test]
fn nps_and_its_trinomial_interval_match_hand_calculations() {
    // p+ = .5, p- = .2: NPS 30; var = (.5 + .2 - .3²)/10 = .061; 30 ± 1.96·100·√.061.
    check_nps(
        nps_of(5, 3, 2),
        (Some(30.0), Some(-18.4075), Some(78.4075), true),
    );
    // All promoters: no variance at all.
    check_nps(
        nps_of(40, 0, 0),
        (Some(100.0), Some(100.0), Some(100.0), false),
    );
    // One answer: a number, but flagged.
    check_nps(
        nps_of(0, 0, 1),
        (Some(-100.0), Some(-100.0), Some(-100.0), true),
    );
    // No answers: no number.
    check_nps(nps_of(0, 0, 0), (None, None, None, true));
    let mut counted = NpsCounts::default();
    for score in [0, 6, 7, 8, 9, 10] {
        counted.add(score);
    }
    assert_eq!(counted, nps_of(2, 2, 2));
}

#[test]
fn proportions_use_the_wilson_interval() {
    let e = percent(8, 10, MIN);
    assert!(
        close(e.value, 80.0) && close(e.low, 49.0162) && close(e.high, 94.3318),
        "{e:?}"
    );
    let all = percent(10, 10, MIN);
    assert!(close(all.high, 100.0) && all.low.unwrap() > 69.0, "{all:?}");
    assert_eq!(percent(0, 0, MIN).value, None);

    let mut csat = Csat::default();
    for s in [5, 4, 4, 3, 1] {
        csat.add(s);
    }
    assert!(close(csat.top_two_box(MIN).value, 60.0) && close(csat.moments.mean(MIN).value, 3.4));
    let mut ces = Ces::default();
    for s in [7, 5, 4, 2] {
        ces.add(s);
    }
    assert!(close(ces.percent_easy(MIN).value, 50.0) && close(ces.moments.mean(MIN).value, 4.5));
}

#[test]
fn means_use_the_t_interval_and_one_answer_has_none() {
    let mut m = Moments::default();
    for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
        m.add(x);
    }
    // 3 ± t(.975, 4)·√(2.5/5) = 3 ± 2.776445·0.707107.
    let e = m.mean(MIN);
    assert!(
        close(e.value, 3.0) && close(e.low, 1.03676) && close(e.high, 4.96324),
        "{e:?}"
    );
    let mut one = Moments::default();
    one.add(4.0);
    assert_eq!((one.mean(MIN).value, one.mean(MIN).low), (Some(4.0), None));
}

#[test]
fn changes_are_significant_only_when_the_test_says_so() {
    // Welch: means 3 and 6, variances 2.5 and 10, n = 5 each: t = 1.8974, df = 5.882, p = .1075.
    let (mut a, mut b) = (Moments::default(), Moments::default());
    for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
        a.add(x);
        b.add(2.0 * x);
    }
    let welch = mean_change(&a, &b).unwrap();
    assert!(
        close(Some(welch.difference), 3.0)
            && close(Some(welch.p_value), 0.10753)
            && !welch.significant,
        "{welch:?}"
    );

    // NPS 30 (n 10) → 40 (n 50): z = 0.3681, p = .7128; ten points on ten answers is noise.
    let nps = nps_change(&nps_of(5, 3, 2), &nps_of(30, 10, 10)).unwrap();
    assert!(
        close(Some(nps.difference), 10.0) && close(Some(nps.p_value), 0.71279) && !nps.significant,
        "{nps:?}"
    );

    // 30% → 45% of 100 each: pooled z = 2.1909, p = .02846.
    let p = proportion_change((30, 100), (45, 100)).unwrap();
    assert!(
        close(Some(p.difference), 15.0) && close(Some(p.p_value), 0.02846) && p.significant,
        "{p:?}"
    );

    assert_eq!(nps_change(&NpsCounts::default(), &nps_of(1, 0, 0)), None);
    let same = nps_change(&nps_of(40, 0, 0), &nps_of(40, 0, 0)).unwrap();
    assert!(!same.significant);
}

#[test]
fn csi_weighs_satisfaction_by_importance() {
    let attributes = [
        CsiAttribute {
            importance: 2.0,
            satisfaction: 4.0,
            scale_min: 1.0,
            scale_max: 5.0,
        },
        CsiAttribute {
            importance: 1.0,
            satisfaction: 7.0,
            scale_min: 1.0,
            scale_max: 7.0,
        },
    ];
    // (2·0.75 + 1·1) / 3 = 0.8333.
    assert!(close(csi(&attributes), 83.3333));
    assert_eq!(csi(&[]), None);
}

#[test]
fn servqual_gaps_are_perception_minus_expectation() {
    let answer = |item, dimension, expectation, perception| ServqualAnswer {
        item,
        dimension,
        expectation,
        perception,
    };
    let answers = [
        answer("on-time", Dimension::Reliability, 7.0, 5.0),
        answer("on-time", Dimension::Reliability, 6.0, 4.0),
        answer("as-promised", Dimension::Reliability, 6.0, 5.0),
        answer("individual-care", Dimension::Empathy, 5.0, 6.0),
    ];
    let equal = servqual(&answers, |_| 1.0);
    assert_eq!(
        equal.items[0],
        ("on-time".to_owned(), Dimension::Reliability, -2.0)
    );
    assert_eq!(
        equal.dimensions,
        [(Dimension::Reliability, -1.5), (Dimension::Empathy, 1.0)]
    );
    assert!(close(equal.overall, -0.25));
    let weighted = servqual(&answers, |d| {
        if d == Dimension::Reliability {
            3.0
        } else {
            1.0
        }
    });
    assert!(close(weighted.overall, -0.875));
    assert_eq!(servqual(&[], |_| 1.0).overall, None);
}

#[test]
fn retention_and_value_metrics_follow_their_formulas() {
    assert!(close(crr(100, 110, 20), 0.9));
    assert_eq!(crr(0, 10, 10), None);
    assert!(close(grr(1000.0, 100.0, 50.0), 0.85));
    assert!(
        close(grr(1000.0, -100.0, 0.0), 1.0),
        "GRR never exceeds 100%"
    );
    assert!(close(nrr(1000.0, 200.0, 100.0, 50.0), 1.05));
    assert!(close(clv(100.0, 0.8, 0.1), 266.6667));
    assert_eq!(clv(100.0, 1.2, 0.1), None);
    assert!(close(rox(150.0, 100.0), 0.5));
    assert_eq!(rox(150.0, 0.0), None);
    assert!(close(
        Some(difference_in_differences(0.80, 0.85, 0.81, 0.82)),
        0.04
    ));
}

#[test]
fn service_metrics_and_the_cx_index() {
    let d = mttr(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
    assert_eq!((d.mean, d.median, d.p90), (22.0, 3.0, 100.0));
    let even = mttr(&[4.0, 1.0, 3.0, 2.0]).unwrap();
    assert_eq!((even.median, even.p90), (2.5, 4.0));
    assert_eq!(mttr(&[]), None);
    assert!(close(fcr(45, 60, MIN).value, 75.0));
    assert!(close(
        cx_index(&[(Some(80.0), 1.0), (Some(60.0), 1.0), (None, 1.0)]),
        70.0
    ));
    assert_eq!(cx_index(&[(None, 1.0)]), None);
}
