//! The rule editor (administrators and CX managers): the record rules with their conditions and
//! the aggregate rules with what they watch, paused or active, and a new rule written as JSON — the body `POST /api/v1/alert-rules` takes,
//! checked the same way.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::alert::RuleDefinition;
use dosvid_domain::user::Action;
use maud::html;

use super::app::{SignedIn, app_page, run_change};
use super::naming::Naming;
use super::{Form, html_response};
use crate::{ApiError, AppState};

const TEMPLATE: &str = r#"{
  "name": "Premium detractor",
  "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}},
  "open_case": {"priority": "high"}
}"#;

async fn render(
    state: &AppState,
    signed: &SignedIn,
    error: Option<String>,
    text: &str,
    status: StatusCode,
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
                    " · " (rule.definition.open_case.priority.as_str())
                    br;
                    @match &rule.definition.watch {
                        Some(watch) => code { "watch " (serde_json::to_string(watch).unwrap_or_default()) },
                        None => code { (serde_json::to_string(&rule.definition.when).unwrap_or_default()) },
                    }
                    " "
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
        form.fields method="post" action="/settings/rules" {
            input type="hidden" name="csrf" value=(csrf);
            label for="rule" { (ui.add_rule) }
            p.hint { (ui.rule_hint) }
            textarea #rule.code name="rule" rows="8" spellcheck="false" { (text) }
            div.buttons { button.primary type="submit" { (ui.add_rule) } }
        }
    };
    html_response(status, app_page(signed, "/settings/rules", ui.rules, body))
}

/// What an alert measured, in the reader's words: the recent value against the baseline, with
/// their intervals and n, the difference and its p-value.
fn alert_figures(
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
) -> Response {
    if !allowed(&signed) {
        let message = signed.lang().ui().not_allowed.to_owned();
        return render(&state, &signed, Some(message), "", StatusCode::FORBIDDEN).await;
    }
    render(&state, &signed, None, TEMPLATE, StatusCode::OK).await
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
        let rule: RuleDefinition =
            dosvid_domain::error::from_json(form.one("rule").unwrap_or_default())?;
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
