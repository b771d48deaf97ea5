//! The rule editor (administrators and CX managers): the record rules with their conditions and
//! the aggregate rules with what they watch, in the reader's words, paused or active; an
//! aggregate rule tried on the past (its backtest); a new rule built from lists — or written as
//! JSON, the body `POST /api/v1/alert-rules` takes — checked the same way.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::alert::{RuleDefinition, WatchMetric};
use dosvid_domain::case::Priority;
use dosvid_domain::user::Action;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::app::{SignedIn, app_page, run_change};
use super::i18n::Ui;
use super::naming::Naming;
use super::{Form, given, given_day, html_response};
use crate::{ApiError, AppState};

const TEMPLATE: &str = r#"{
  "name": "Premium detractor",
  "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}},
  "open_case": {"priority": "high"}
}"#;

/// `?backtest=ID&from=DATE&to=DATE`: an aggregate rule tried on those days.
#[derive(Debug, Default, Deserialize)]
pub struct BacktestParams {
    backtest: Option<i64>,
    from: Option<String>,
    to: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    error: Option<String>,
    text: &str,
    status: StatusCode,
) -> Response {
    render_with(
        state,
        signed,
        error,
        text,
        status,
        BacktestParams::default(),
    )
    .await
}

async fn render_with(
    state: &AppState,
    signed: &SignedIn,
    error: Option<String>,
    text: &str,
    status: StatusCode,
    params: BacktestParams,
) -> Response {
    let ui = signed.lang().ui();
    let org = signed.session.user.org_id;
    let lang = signed.lang();
    let (rules, alerts, naming) = state
        .run(move |s| {
            let alerts = s.list_alerts(org, None, dosvid_store::PageRequest::first(20))?;
            Ok((
                s.list_rules(org)?,
                alerts.items,
                Naming::read(s, org, lang)?,
            ))
        })
        .await
        .unwrap_or_default();
    let segments = state
        .ask(&signed.principal, super::dashboard::segments)
        .await
        .unwrap_or_default();
    let backtest = match params
        .backtest
        .and_then(|id| rules.iter().find(|r| r.id == id))
    {
        Some(rule) => Some((rule.id, backtest(state, signed, rule, &params).await)),
        None => None,
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (ui.rules) }
        @if let Some(error) = &error { p.error role="alert" { (error) } }
        @if rules.is_empty() { p { (ui.no_cases) } }
        ul.list {
            @for rule in &rules {
                li data-rule=(rule.id) {
                    strong { (rule.definition.name) } " · "
                    @if rule.definition.enabled { (ui.enabled) } @else { span.thin { (ui.paused) } }
                    br;
                    span.rule-says { (describe(ui, &naming, &rule.definition)) }
                    details {
                        summary.meta { (ui.rule_as_json) }
                        code { (serde_json::to_string(&rule.definition).unwrap_or_default()) }
                    }
                    @if rule.definition.watch.is_some() {
                        (backtest_form(ui, rule.id, &params))
                        @if let Some((id, result)) = &backtest {
                            @if *id == rule.id { (result) }
                        }
                    }
                    form.inline.question-action method="post" action={ "/settings/rules/" (rule.id) "/toggle" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.secondary.small type="submit" {
                            @if rule.definition.enabled { (ui.pause) } @else { (ui.resume) }
                        }
                    }
                    form.inline.question-action method="post" action={ "/settings/rules/" (rule.id) "/delete" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.secondary.small type="submit" { (ui.delete) }
                    }
                }
            }
        }
        @if !alerts.is_empty() {
            h2 { (ui.alerts) }
            ul.list { @for alert in &alerts {
                @let rule = rules.iter().find(|r| Some(r.id) == alert.rule_id);
                li data-alert=(alert.id) {
                    strong { (rule.map_or("—", |r| r.definition.name.as_str())) }
                    " · " (alert.window_from.format("%Y-%m-%d")) " – " (alert.window_to.format("%Y-%m-%d"))
                    @if let Some((kind, key)) = alert.scope.split_once(':') { " · " (naming.of(kind, key)) }
                    br;
                    (alert_figures(ui, rule, &alert.details))
                    @if let Some(case) = alert.case_id { " · " a href={ "/cases/" (case) } { (ui.cases) " #" (case) } }
                }
            } }
        }
        h2 { (ui.add_rule) }
        (builder(ui, &naming, &segments, csrf))
        details {
            summary { (ui.rule_as_json) }
            form.fields method="post" action="/settings/rules" {
                input type="hidden" name="csrf" value=(csrf);
                label for="rule" { (ui.rule_as_json) }
                p.hint { (ui.rule_hint) }
                textarea #rule.code name="rule" rows="8" spellcheck="false" { (text) }
                div.buttons { button.primary type="submit" { (ui.add_rule) } }
            }
        }
    };
    html_response(status, app_page(signed, "/settings/rules", ui.rules, body))
}

/// What an alert measured, in the reader's words: the recent value against the baseline, with
/// their intervals and n, the difference and its p-value.
pub(super) fn alert_figures(
    ui: &super::i18n::Ui,
    rule: Option<&dosvid_domain::alert::Rule>,
    details: &serde_json::Value,
) -> String {
    use dosvid_domain::alert::WatchMetric;
    let metric = match rule
        .and_then(|r| r.definition.watch.as_ref())
        .map(|w| w.metric)
    {
        Some(WatchMetric::Nps) | None => "NPS",
        Some(WatchMetric::Csat) => "CSAT",
        Some(WatchMetric::Ces) => "CES",
        Some(WatchMetric::ThemeShare) => ui.theme_share,
    };
    let estimate = |key: &str| {
        let e = &details[key];
        match (e["value"].as_f64(), e["low"].as_f64(), e["high"].as_f64()) {
            (Some(v), Some(low), Some(high)) => {
                format!("{v:.1} [{low:.1}; {high:.1}] (n = {})", e["n"])
            }
            _ => "—".into(),
        }
    };
    format!(
        "{metric} {} {} {} · {:+.1}, p = {:.4}",
        estimate("recent"),
        ui.against,
        estimate("baseline"),
        details["difference"].as_f64().unwrap_or_default(),
        details["p_value"].as_f64().unwrap_or(1.0),
    )
}

fn allowed(signed: &SignedIn) -> bool {
    signed.may(ACTION)
}

/// What every form of this page does.
const ACTION: Action = Action::ManageRules;

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<BacktestParams>,
) -> Response {
    if !allowed(&signed) {
        let message = signed.lang().ui().not_allowed.to_owned();
        return render(&state, &signed, Some(message), "", StatusCode::FORBIDDEN).await;
    }
    render_with(&state, &signed, None, TEMPLATE, StatusCode::OK, params).await
}

/// One change, checked (role, CSRF) and made; then the editor again, keeping what was typed
/// when it is refused.
async fn change(
    state: AppState,
    signed: SignedIn,
    headers: HeaderMap,
    body: Bytes,
    make: impl FnOnce(&dyn dosvid_store::Store, i64, &Form) -> Result<(), ApiError> + Send + 'static,
) -> Response {
    let form = Form::parse(&body);
    let typed = form.one("rule").unwrap_or(TEMPLATE).to_owned();
    let made = run_change(&state, &signed, &headers, form, ACTION, move |op, form| {
        make(op.store, op.org(), form)
    });
    match made.await {
        Ok(()) => render(&state, &signed, None, TEMPLATE, StatusCode::OK).await,
        Err((status, message)) => render(&state, &signed, Some(message), &typed, status).await,
    }
}

pub async fn create(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, |s, org, form| {
        let text = match form.one("rule") {
            Some(json) => json.to_owned(),
            None => built(form).to_string(),
        };
        let rule: RuleDefinition = dosvid_domain::error::from_json(&text)?;
        s.create_rule(org, rule, Utc::now())?;
        Ok(())
    })
    .await
}

pub async fn toggle(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, move |s, org, _| {
        let id = id.parse().unwrap_or(0);
        let mut rule = s.get_rule(org, id)?.definition;
        rule.enabled = !rule.enabled;
        s.update_rule(org, id, rule)?;
        Ok(())
    })
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, move |s, org, _| {
        s.delete_rule(org, id.parse().unwrap_or(0))?;
        Ok(())
    })
    .await
}

/// A rule as a person reads it: its conditions or what it watches, and the case it opens.
fn describe(ui: &Ui, naming: &Naming, rule: &RuleDefinition) -> String {
    let mut parts: Vec<String> = Vec::new();
    let named = |label: &str, kind: &str, keys: &[String]| {
        (!keys.is_empty()).then(|| format!("{label}: {}", naming.list(kind, keys)))
    };
    match &rule.watch {
        Some(w) => {
            parts.push(format!(
                "{} · {} {} · {} {}",
                metric_name(ui, w.metric),
                ui.recent_days.to_lowercase(),
                w.recent_days,
                ui.baseline_days.to_lowercase(),
                w.baseline_days
            ));
            if let Some(theme) = &w.theme {
                parts.push(format!("{}: {}", ui.themes, naming.of("theme", theme)));
            }
            parts.extend(named(ui.touchpoint, "touchpoint", &w.touchpoint));
            parts.extend(named(ui.channel, "channel", &w.channel));
            if w.each_touchpoint {
                parts.push(ui.each_touchpoint.to_owned());
            }
        }
        None => {
            let w = &rule.when;
            parts.extend(w.nps_at_most.map(|v| format!("NPS ≤ {v}")));
            parts.extend(w.nps_at_least.map(|v| format!("NPS ≥ {v}")));
            parts.extend(w.csat_at_most.map(|v| format!("CSAT ≤ {v}")));
            parts.extend(w.ces_at_most.map(|v| format!("CES ≤ {v}")));
            parts.extend(named(ui.source, "source", &w.source));
            if !w.sentiment.is_empty() {
                let names: Vec<&str> = w.sentiment.iter().map(|s| sentiment_name(ui, s)).collect();
                parts.push(format!("{}: {}", ui.sentiment, names.join(", ")));
            }
            parts.extend(named(ui.emotion, "emotion", &w.emotion));
            parts.extend(named(ui.themes, "theme", &w.theme));
            parts.extend(named(ui.touchpoint, "touchpoint", &w.touchpoint));
            parts.extend(named(ui.channel, "channel", &w.channel));
            for (attribute, values) in &w.customer {
                let label = match attribute.as_str() {
                    "segment" => ui.segment,
                    "region" => ui.region,
                    "plan" => ui.plan,
                    other => naming.of("attribute", other.trim_start_matches("attr.")),
                };
                parts.push(format!("{label}: {}", naming.list(attribute, values)));
            }
        }
    }
    let case = &rule.open_case;
    let team = case
        .team
        .as_deref()
        .map(|t| format!(", {}", naming.team(t)));
    format!(
        "{} → {} ({}{})",
        parts.join(" · "),
        ui.opens_case,
        super::cases::priority_name(ui, case.priority),
        team.unwrap_or_default()
    )
}

fn metric_name(ui: &Ui, metric: WatchMetric) -> &'static str {
    match metric {
        WatchMetric::Nps => "NPS",
        WatchMetric::Csat => "CSAT",
        WatchMetric::Ces => "CES",
        WatchMetric::ThemeShare => ui.theme_share,
    }
}

const SENTIMENTS: [&str; 3] = ["negative", "neutral", "positive"];

fn sentiment_name<'a>(ui: &Ui, key: &'a str) -> &'a str {
    SENTIMENTS
        .iter()
        .position(|s| *s == key)
        .map_or(key, |i| ui.sentiments[i])
}

/// The form that builds a rule from lists: a record rule's conditions, or an aggregate rule's
/// metric, place and windows; either opens a case of the chosen priority.
fn builder(ui: &Ui, naming: &Naming, segments: &[String], csrf: &str) -> Markup {
    let choose = |id: &str, label: &str, options: Vec<(String, String)>| {
        html! {
            div.filter {
                label for=(id) { (label) }
                select #(id) name=(id) {
                    option value="" { (ui.any) }
                    @for (key, name) in &options { option value=(key) { (name) } }
                }
            }
        }
    };
    let words = |kind: &str, keys: &[&str]| -> Vec<(String, String)> {
        keys.iter()
            .map(|k| (k.to_string(), naming.of(kind, k).to_owned()))
            .collect()
    };
    let sentiments = SENTIMENTS
        .iter()
        .zip(ui.sentiments)
        .map(|(k, n)| (k.to_string(), n.to_owned()))
        .collect();
    let segment_choices = segments
        .iter()
        .map(|s| (s.clone(), naming.of("segment", s).to_owned()))
        .collect();
    let sources = dosvid_domain::FeedbackSource::ALL.map(|s| s.as_str());
    html! {
        form.fields #rule-builder method="post" action="/settings/rules" {
            input type="hidden" name="csrf" value=(csrf);
            label for="name" { (ui.rule_name) }
            input #name type="text" name="name" required maxlength="200";
            fieldset {
                legend { (ui.rule_kind) }
                div.choices.row {
                    @for (i, (key, name)) in ["record", "aggregate"].iter().zip(ui.rule_kinds).enumerate() {
                        label { input type="radio" name="kind" value=(key) checked[i == 0]; span { (name) } }
                    }
                }
            }
            h3 { (ui.rule_kinds[0]) }
            div.filters {
                div.filter {
                    label for="nps_at_most" { (ui.nps_at_most) }
                    input #nps_at_most type="number" name="nps_at_most" min="0" max="10";
                }
                div.filter {
                    label for="csat_at_most" { (ui.csat_at_most) }
                    input #csat_at_most type="number" name="csat_at_most" min="1" max="5";
                }
                (choose("source", ui.source, words("source", &sources)))
                (choose("sentiment", ui.sentiment, sentiments))
                (choose("segment", ui.segment, segment_choices))
            }
            h3 { (ui.rule_kinds[1]) }
            div.filters {
                div.filter {
                    label for="metric" { (ui.metric) }
                    select #metric name="metric" {
                        @for m in [WatchMetric::Nps, WatchMetric::Csat, WatchMetric::Ces, WatchMetric::ThemeShare] {
                            option value=(m.as_str()) { (metric_name(ui, m)) }
                        }
                    }
                }
                div.filter {
                    label for="recent_days" { (ui.recent_days) }
                    input #recent_days type="number" name="recent_days" min="1" max="365" value="7";
                }
                div.filter {
                    label for="baseline_days" { (ui.baseline_days) }
                    input #baseline_days type="number" name="baseline_days" min="1" max="3650" value="28";
                }
                div.filter {
                    label for="min_change" { (ui.min_change) }
                    input #min_change type="number" name="min_change" min="0" step="0.5" value="0";
                }
                div.filter {
                    label { input type="checkbox" name="each_touchpoint" value="1"; " " (ui.each_touchpoint) }
                }
            }
            h3 { (ui.touchpoint) ", " (ui.themes.to_lowercase()) }
            div.filters {
                (choose("touchpoint", ui.touchpoint, naming.choices("touchpoint")))
                (choose("theme", ui.themes, naming.choices("theme")))
            }
            h3 { (ui.opens_case) }
            div.filters {
                div.filter {
                    label for="priority" { (ui.priority) }
                    select #priority name="priority" {
                        @for p in Priority::ALL {
                            option value=(p.as_str()) selected[p == Priority::High] { (super::cases::priority_name(ui, p)) }
                        }
                    }
                }
                div.filter {
                    label for="team" { (ui.team) }
                    input #team type="text" name="team" maxlength="64";
                }
            }
            div.buttons { button.primary type="submit" { (ui.add_rule) } }
        }
    }
}

/// The rule the builder's fields describe, as `POST /api/v1/alert-rules` takes it; checked
/// the same way when stored. An empty field is no condition.
fn built(form: &Form) -> Value {
    let field = |name: &str| given(&form.text(name));
    let number = |name: &str| field(name).map(|v| v.parse::<f64>().map_or(json!(v), |n| json!(n)));
    let list = |name: &str| field(name).map_or_else(Vec::new, |v| vec![v]);
    let mut open_case = json!({"priority": field("priority").unwrap_or_else(|| "normal".into())});
    if let Some(team) = field("team") {
        open_case["team"] = json!(team);
    }
    let mut rule = json!({"name": field("name").unwrap_or_default(), "open_case": open_case});
    if form.one("kind") == Some("aggregate") {
        let mut watch = json!({
            "metric": field("metric").unwrap_or_else(|| "nps".into()),
            "touchpoint": list("touchpoint"),
            "each_touchpoint": form.one("each_touchpoint").is_some(),
        });
        for name in ["recent_days", "baseline_days", "min_change"] {
            if let Some(n) = number(name) {
                watch[name] = n;
            }
        }
        if let Some(theme) = field("theme") {
            watch["theme"] = json!(theme);
        }
        rule["watch"] = watch;
    } else {
        let mut when = json!({
            "source": list("source"),
            "sentiment": list("sentiment"),
            "theme": list("theme"),
            "touchpoint": list("touchpoint"),
        });
        for name in ["nps_at_most", "csat_at_most"] {
            if let Some(n) = number(name) {
                when[name] = n;
            }
        }
        if let Some(segment) = field("segment") {
            when["customer"] = json!({"segment": [segment]});
        }
        rule["when"] = when;
    }
    rule
}

fn backtest_form(ui: &Ui, id: i64, params: &BacktestParams) -> Markup {
    let today = Utc::now().date_naive();
    let chosen = params.backtest == Some(id);
    let from = params
        .from
        .clone()
        .filter(|_| chosen)
        .unwrap_or_else(|| (today - chrono::Duration::days(90)).to_string());
    let to = params
        .to
        .clone()
        .filter(|_| chosen)
        .unwrap_or_else(|| today.to_string());
    html! {
        form.filters method="get" action="/settings/rules" {
            input type="hidden" name="backtest" value=(id);
            div.filter {
                label for={ "from-" (id) } { (ui.period_from) }
                input id={ "from-" (id) } type="date" name="from" value=(from);
            }
            div.filter {
                label for={ "to-" (id) } { (ui.period_to) }
                input id={ "to-" (id) } type="date" name="to" value=(to);
            }
            div.filter { button.secondary.small type="submit" title=(ui.backtest_hint) { (ui.backtest) } }
        }
    }
}

/// An aggregate rule replayed on the chosen days, as `/alert-rules/{id}/backtest` answers.
async fn backtest(
    state: &AppState,
    signed: &SignedIn,
    rule: &dosvid_domain::alert::Rule,
    params: &BacktestParams,
) -> Markup {
    let ui = signed.lang().ui();
    let (Some(watch), Some(from), Some(to)) = (
        rule.definition.watch.clone(),
        given_day(&params.from),
        given_day(&params.to),
    ) else {
        return html! { p.error { (ui.form_expired) } };
    };
    let replay = state
        .ask(&signed.principal, move |index| {
            crate::watch::backtest(index, &watch, from, to)
        })
        .await;
    match replay {
        Ok(b) => {
            let summary = ui
                .backtest_result
                .replace("{alerts}", &b.alerts.to_string())
                .replace("{evaluations}", &b.evaluations.to_string());
            html! {
                div #backtest data-alerts=(b.alerts) data-evaluations=(b.evaluations) {
                    p { strong { (summary) } }
                    @if !b.windows.is_empty() {
                        p.meta {
                            (ui.fired_on) ": "
                            @for (i, w) in b.windows.iter().enumerate() {
                                @if i > 0 { ", " }
                                (w.as_of)
                            }
                        }
                    }
                }
            }
        }
        Err(e) => html! { p.error role="alert" { (e.page_message()) } },
    }
}
