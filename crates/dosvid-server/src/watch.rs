//! Aggregate rules: each enabled rule with a [`Watch`] is evaluated on a schedule against the
//! analytics index — the metric over the last N full days against the M days before, per scope —
//! and a scope whose verdict fires raises one alert per problem (a scope that keeps firing is the
//! same problem until it has been quiet for the rule's cool-down), opens a case for the scope's
//! owner team and announces `alert.fired` and `case.created`. A backtest replays a rule over past
//! days the same way, writing nothing: how often it would have fired, and when.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use dosvid_analytics::{
    CompareTo, Filters, Index, Measure, Named, OneOrMany, QueryRequest, QueryResult, ResultRow,
};
use dosvid_domain::alert::{Alert, Rule, Verdict, Watch, WatchMetric, WindowValue};
use dosvid_domain::case::NewCase;
use dosvid_domain::webhook::EventType;
use dosvid_domain::{FieldError, OrgId};
use dosvid_metrics::Estimate;
use dosvid_store::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::analytics::{Analytics, read_index};
use crate::webhooks::{Event, Outbox};

/// How often the scheduler evaluates every aggregate rule.
const EVERY: Duration = Duration::from_secs(15 * 60);

/// The recent window of an evaluation as of `day` (exclusive): the `days` before it.
fn window(day: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    (day - chrono::Days::new(u64::from(days)), day)
}

fn value(e: &Estimate) -> WindowValue {
    WindowValue {
        value: e.value,
        n: e.n,
        low: e.low,
        high: e.high,
    }
}

/// The question for one window pair: the watched records, grouped by touchpoint when each is
/// tested, against the baseline window.
fn question(watch: &Watch, as_of: NaiveDate, measure: Measure, theme: bool) -> QueryRequest {
    let (from, to) = window(as_of, watch.recent_days);
    let (base_from, _) = window(from, watch.baseline_days);
    let keys = |keys: &[String]| OneOrMany::Many(keys.iter().cloned().map(Named::Key).collect());
    let filters = Filters {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        touchpoint: keys(&watch.touchpoint),
        channel: keys(&watch.channel),
        has_comment: (watch.metric == WatchMetric::ThemeShare).then_some(true),
        theme: match (theme, &watch.theme) {
            (true, Some(t)) => OneOrMany::One(t.clone()),
            _ => OneOrMany::default(),
        },
        ..Default::default()
    };
    QueryRequest {
        measures: vec![Measure::N, measure],
        filters,
        group_by: if watch.each_touchpoint {
            vec!["touchpoint".into()]
        } else {
            Vec::new()
        },
        compare_to: Some(CompareTo::Range {
            from: base_from.to_string(),
            to: from.to_string(),
        }),
        min_sample: Some(watch.min_sample),
        ..Default::default()
    }
}

fn scope_of(row: &ResultRow) -> String {
    match row.group.get("touchpoint") {
        Some(Some(key)) => format!("touchpoint:{key}"),
        Some(None) => "touchpoint:none".into(),
        None => "all".into(),
    }
}

fn rows(result: QueryResult) -> BTreeMap<String, ResultRow> {
    result.rows.into_iter().map(|r| (scope_of(&r), r)).collect()
}

/// Evaluates a watch as of `as_of` (the recent window ends at its start): one verdict per scope.
pub fn evaluate(
    index: &Index,
    watch: &Watch,
    as_of: NaiveDate,
) -> Result<Vec<Verdict>, FieldError> {
    if watch.metric == WatchMetric::ThemeShare {
        let all = rows(index.query(&question(watch, as_of, Measure::N, false))?);
        let theme = rows(index.query(&question(watch, as_of, Measure::N, true))?);
        let scopes = all.len();
        return Ok(all
            .into_iter()
            .map(|(scope, all)| {
                let (cur, prev) = theme
                    .get(&scope)
                    .map_or((0, 0), |t| (t.n, t.previous_n.unwrap_or(0)));
                let share = |k: u64, n: u64| WindowValue {
                    value: (n > 0).then(|| 100.0 * k as f64 / n as f64),
                    n,
                    low: dosvid_metrics::wilson(k, n).map(|i| 100.0 * i.0),
                    high: dosvid_metrics::wilson(k, n).map(|i| 100.0 * i.1),
                };
                let before = all.previous_n.unwrap_or(0);
                let change = dosvid_metrics::proportion_change((prev, before), (cur, all.n))
                    .map(|c| (c.difference, c.p_value));
                watch.judge(
                    scope,
                    scopes,
                    share(cur, all.n),
                    Some(share(prev, before)),
                    change,
                )
            })
            .collect());
    }
    let measure = match watch.metric {
        WatchMetric::Nps => Measure::Nps,
        WatchMetric::Csat => Measure::CsatTop2,
        _ => Measure::CesEasy,
    };
    let result = index.query(&question(watch, as_of, measure, false))?;
    let scopes = result.rows.len();
    Ok(result
        .rows
        .into_iter()
        .filter_map(|row| {
            let metric = match watch.metric {
                WatchMetric::Nps => row.nps.clone(),
                WatchMetric::Csat => row.csat_top2.clone(),
                _ => row.ces_easy.clone(),
            }?;
            let change = metric.change.map(|c| (c.difference, c.p_value));
            Some(watch.judge(
                scope_of(&row),
                scopes,
                value(&metric.current),
                metric.previous.as_ref().map(value),
                change,
            ))
        })
        .collect())
}

/// One evaluation of a backtest.
#[derive(Debug, Serialize, ToSchema)]
pub struct BacktestWindow {
    /// The day the recent window ends before.
    pub as_of: String,
    /// Scopes evaluated that day.
    pub scopes: usize,
    /// The verdicts that raised an alert (a scope still firing for the problem it raised an
    /// alert for before raises none).
    pub fired: Vec<Verdict>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Backtest {
    /// Evaluations: days × scopes.
    pub evaluations: usize,
    /// Alerts it would have raised.
    pub alerts: usize,
    /// alerts / evaluations.
    pub alert_rate: f64,
    /// The days something fired.
    pub windows: Vec<BacktestWindow>,
}

/// Replays a watch on each day from `from` to `to` (inclusive), one alert per problem.
pub fn backtest(
    index: &Index,
    watch: &Watch,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Backtest, FieldError> {
    if to < from || (to - from).num_days() > 3660 {
        return Err(FieldError::new(
            "to",
            "must be on or after from, at most ten years later",
        ));
    }
    // Per scope, the last day it fired.
    let mut last: BTreeMap<String, NaiveDate> = BTreeMap::new();
    let (mut evaluations, mut alerts, mut windows) = (0, 0, Vec::new());
    for day in from.iter_days().take_while(|d| *d <= to) {
        let verdicts = evaluate(index, watch, day)?;
        let scopes = verdicts.len();
        evaluations += scopes;
        let mut fired = Vec::new();
        for v in verdicts.into_iter().filter(|v| v.fired) {
            let known = last
                .insert(v.scope.clone(), day)
                .is_some_and(|at| watch.same_problem((day - at).num_days()));
            if !known {
                fired.push(v);
            }
        }
        alerts += fired.len();
        if !fired.is_empty() {
            windows.push(BacktestWindow {
                as_of: day.to_string(),
                scopes,
                fired,
            });
        }
    }
    Ok(Backtest {
        evaluations,
        alerts,
        alert_rate: if evaluations == 0 {
            0.0
        } else {
            alerts as f64 / evaluations as f64
        },
        windows,
    })
}

/// Today in the index's zone: evaluations use the full days before it.
pub fn today(index: &Index, now: DateTime<Utc>) -> NaiveDate {
    let (y, m, d) = dosvid_analytics::calendar::civil_from_days(index.zone().day(now.timestamp()));
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| now.date_naive())
}

/// The instant a local day starts, for an alert's window.
fn day_start(index: &Index, day: NaiveDate) -> DateTime<Utc> {
    let days = dosvid_analytics::calendar::days_from_civil(
        chrono::Datelike::year(&day),
        chrono::Datelike::month(&day),
        chrono::Datelike::day(&day),
    );
    DateTime::from_timestamp(index.zone().day_start(days), 0).unwrap_or_default()
}

/// What an evaluation of a rule found and raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct Evaluation {
    pub as_of: String,
    pub verdicts: Vec<Verdict>,
    /// The alerts raised (a scope still firing for the problem of its latest alert raises none).
    pub alerts: Vec<Alert>,
}

/// Evaluates one aggregate rule as of `as_of` (default: today) and raises its alerts.
pub fn run_rule(
    store: &dyn Store,
    analytics: &Analytics,
    outbox: &Outbox,
    org: OrgId,
    rule: &Rule,
    as_of: Option<NaiveDate>,
) -> dosvid_store::Result<Result<Evaluation, FieldError>> {
    let Some(watch) = &rule.definition.watch else {
        return Ok(Err(FieldError::new(
            "id",
            "the rule watches records, not aggregates",
        )));
    };
    let now = Utc::now();
    let index = analytics.index(store, org)?;
    let (verdicts, from, to, day) = {
        let index = read_index(&index);
        let day = as_of.unwrap_or_else(|| today(&index, now));
        let verdicts = match evaluate(&index, watch, day) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let (from, to) = window(day, watch.recent_days);
        (
            verdicts,
            day_start(&index, from),
            day_start(&index, to),
            day,
        )
    };
    let mut alerts = Vec::new();
    let mut events = Vec::new();
    for v in verdicts.iter().filter(|v| v.fired) {
        let metric = watch.metric.as_str();
        let place = match v.scope.strip_prefix("touchpoint:") {
            Some(key) => key.to_owned(),
            None if watch.touchpoint.is_empty() => "every touchpoint".to_owned(),
            None => watch.touchpoint.join(", "),
        };
        let message = format!(
            "{}: {metric} at {place} — {}",
            rule.definition.name, v.reason
        );
        let alert = Alert {
            id: 0,
            rule_id: Some(rule.id),
            scope: v.scope.clone(),
            fired_at: now,
            window_from: from,
            window_to: to,
            last_firing: to,
            message: message.clone(),
            details: serde_json::to_value(v).unwrap_or_default(),
            case_id: None,
        };
        let same = |latest: &Alert| watch.same_problem((to - latest.last_firing).num_days());
        let Some(mut alert) = store.record_alert(org, &alert, &same)? else {
            continue;
        };
        let touchpoint = v
            .scope
            .strip_prefix("touchpoint:")
            .filter(|k| *k != "none")
            .map(str::to_owned)
            .or_else(|| (watch.touchpoint.len() == 1).then(|| watch.touchpoint[0].clone()));
        let case = NewCase {
            title: message,
            description: Some(format!("as of {day}; alert {}", alert.id)),
            priority: rule.definition.open_case.priority,
            team: rule.definition.open_case.team.clone(),
            owner: None,
            customer_id: None,
            touchpoint,
            feedback_id: None,
            follow_up_survey: None,
        };
        let case = store.open_rule_case(org, rule.id, case, now)?;
        if let Some(case) = &case {
            store.set_alert_case(org, alert.id, case.id)?;
            alert.case_id = Some(case.id);
        }
        let fired = serde_json::json!({
            "rule": {"id": rule.id, "name": rule.definition.name, "kind": "aggregate"},
            "alert": alert,
            "case_id": alert.case_id,
        });
        events.push((EventType::AlertFired, Event::of(&fired)));
        if let Some(case) = &case {
            events.push((EventType::CaseCreated, Event::of(case)));
        }
        alerts.push(alert);
    }
    crate::telemetry::rules_ran("aggregate", 1, false);
    let cases = alerts.iter().filter(|a| a.case_id.is_some()).count();
    crate::telemetry::rules_acted(cases, alerts.len());
    outbox.emit(store, org, events);
    Ok(Ok(Evaluation {
        as_of: day.to_string(),
        verdicts,
        alerts,
    }))
}

/// Evaluates every enabled aggregate rule of every organisation.
fn run_all(state: &AppState) -> dosvid_store::Result<()> {
    let store = state.store.as_ref();
    for org in store.organisations()? {
        // The audit log keeps what the organisation's retention allows.
        let days = store.organisation(org)?.audit_retention_days;
        store.prune_audit(
            org,
            chrono::Utc::now() - chrono::Duration::days(i64::from(days)),
        )?;
        // The organisation's sentiment model, fitted again when it is six hours old.
        let stale = state.analytics.model_card(org).is_none_or(|card| {
            chrono::Utc::now() - card.trained_at
                > chrono::Duration::hours(crate::reading::RETRAIN_HOURS)
        });
        if stale {
            let whole = crate::access::Principal::whole(org);
            let op =
                crate::application::Operation::new(store, &state.analytics, &state.outbox, &whole);
            if let Err(e) = op.fit_sentiment_model() {
                tracing::error!("sentiment model of organisation {org}: {e}");
            }
        }
        for rule in store.list_rules(org)? {
            if !rule.definition.enabled || rule.definition.watch.is_none() {
                continue;
            }
            if let Err(e) = run_rule(store, &state.analytics, &state.outbox, org, &rule, None)? {
                crate::telemetry::rules_ran("aggregate", 1, true);
                tracing::error!("aggregate rule {}: {}: {}", rule.id, e.field, e.message);
            }
        }
    }
    Ok(())
}

/// Runs the schedule (the aggregate rules, and the audit log's retention) until the runtime stops.
pub fn spawn_scheduler(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let state = Arc::new(state);
        loop {
            let s = state.clone();
            match tokio::task::spawn_blocking(move || run_all(&s)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!("aggregate rules: {e}"),
                Err(e) => tracing::error!("aggregate rules: {e}"),
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use dosvid_analytics::{Directory, Zone};
    use dosvid_demo::rng::Rng;
    use dosvid_domain::{FeedbackFact, Journey, Stage, Touchpoint};

    use super::*;

    /// An NPS answer: a promoter with `promoters`, a detractor with `detractors`.
    fn answer(rng: &mut Rng, promoters: f64, detractors: f64) -> u8 {
        let u = rng.unit();
        let pick = rng.unit();
        if u < promoters {
            9 + (pick * 2.0) as u8
        } else if u < promoters + detractors {
            (pick * 7.0) as u8
        } else {
            7 + (pick * 2.0) as u8
        }
    }

    const START: i64 = 1_704_067_200; // 2024-01-01
    const DAYS: i64 = 400;

    fn index(touchpoints: i64, per_day: i64, drop_from: Option<i64>, seed: u64) -> Index {
        let directory = Directory {
            channels: Vec::new(),
            journeys: vec![Journey {
                id: 1,
                key: "main".into(),
                name: "Main".into(),
                names: Default::default(),
                description: None,
                stages: vec![Stage {
                    id: 1,
                    journey_id: 1,
                    name: "Use".into(),
                    names: Default::default(),
                    position: 1,
                    description: None,
                }],
            }],
            touchpoints: (1..=touchpoints)
                .map(|id| Touchpoint {
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
                })
                .collect(),
            themes: Vec::new(),
        };
        let mut rng = Rng::new(seed);
        let mut facts = Vec::new();
        for day in 0..DAYS {
            for tp in 1..=touchpoints {
                for k in 0..per_day {
                    let dropped = tp == 1 && drop_from.is_some_and(|d| day >= d);
                    let nps = if dropped {
                        answer(&mut rng, 0.30, 0.40)
                    } else {
                        answer(&mut rng, 0.45, 0.25)
                    };
                    facts.push(FeedbackFact {
                        id: facts.len() as i64 + 1,
                        touchpoint_id: Some(tp),
                        occurred_at: (START + day * 86_400 + k * 60) * 1_000_000,
                        nps: Some(nps),
                        ..Default::default()
                    });
                }
            }
        }
        let mut index = Index::new(Zone::utc(), directory);
        index.append_feedback(&facts);
        index
    }

    fn watch(json: serde_json::Value) -> Watch {
        serde_json::from_value::<Watch>(json)
            .unwrap()
            .validate()
            .unwrap()
    }

    fn day(n: i64) -> NaiveDate {
        DateTime::from_timestamp(START + n * 86_400, 0)
            .unwrap()
            .date_naive()
    }

    /// Share of evaluations whose verdict fired, alert or not.
    fn raw_rate(index: &Index, watch: &Watch, from: i64, to: i64) -> f64 {
        let (mut fired, mut all) = (0, 0);
        for d in from..=to {
            let verdicts = evaluate(index, watch, day(d)).unwrap();
            all += verdicts.len();
            fired += verdicts.iter().filter(|v| v.fired).count();
        }
        fired as f64 / all as f64
    }

    #[test]
    fn without_a_real_change_rules_fire_in_few_windows() {
        // One touchpoint, and ten tested together, over a year of unchanging answers, with
        // three seeds: every window counts, before one alert per problem thins them out.
        for seed in [1, 2, 3] {
            let single = index(1, 40, None, seed);
            let one = watch(serde_json::json!({"metric": "nps", "touchpoint": ["tp-1"]}));
            let rate = raw_rate(&single, &one, 40, DAYS - 1);
            println!(
                "seed {seed}: one touchpoint fired in {:.2}% of windows",
                100.0 * rate
            );
            assert!(
                rate <= 0.05,
                "seed {seed}: one touchpoint fired in {rate:.3}"
            );
            let ten = index(10, 25, None, seed);
            let each = watch(serde_json::json!({"metric": "nps", "each_touchpoint": true}));
            let rate = raw_rate(&ten, &each, 40, DAYS - 1);
            println!(
                "seed {seed}: ten touchpoints fired in {:.2}% of windows",
                100.0 * rate
            );
            assert!(
                rate <= 0.05,
                "seed {seed}: ten touchpoints fired in {rate:.3}"
            );
            let tested = backtest(&ten, &each, day(40), day(DAYS - 1)).unwrap();
            assert_eq!(tested.evaluations, 3600);
            println!(
                "seed {seed}: alerts in {:.2}% of windows",
                100.0 * tested.alert_rate
            );
            assert!(tested.alert_rate <= 0.05, "{}", tested.alert_rate);
        }
    }

    #[test]
    fn a_drop_fires_once_within_the_recent_window() {
        let index = index(10, 25, Some(300), 7);
        let each = watch(serde_json::json!({"metric": "nps", "each_touchpoint": true}));
        let tested = backtest(&index, &each, day(280), day(360)).unwrap();
        let fired: Vec<(&str, &str)> = tested
            .windows
            .iter()
            .flat_map(|w| w.fired.iter().map(|v| (w.as_of.as_str(), v.scope.as_str())))
            .collect();
        assert_eq!(fired.len(), 1, "one problem, one alert: {fired:?}");
        let (as_of, scope) = fired[0];
        assert_eq!(scope, "touchpoint:tp-1");
        let as_of: NaiveDate = as_of.parse().unwrap();
        assert!(
            as_of > day(300) && as_of <= day(307),
            "fired as of {as_of}, the drop began {}",
            day(300)
        );
        let verdict = &tested.windows[0].fired[0];
        assert!(verdict.difference.unwrap() < -10.0, "{verdict:?}");

        // Against a target of 10: missed after the drop (NPS −10), met before (+20).
        let target =
            watch(serde_json::json!({"metric": "nps", "touchpoint": ["tp-1"], "target": 10}));
        assert!(evaluate(&index, &target, day(320)).unwrap()[0].fired);
        assert!(!evaluate(&index, &target, day(290)).unwrap()[0].fired);
    }
}
