//! The inbox of team leads and agents — their own cases, a team's, those breaching their SLA
//! soon — and the case page: its details, status and codes, and its log of changes, notes and
//! contacts with the customer.

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Duration, Utc};
use dosvid_domain::alert::{Alert, Rule};
use dosvid_domain::case::{Case, CaseEventKind, CasePatch, CaseStatus, Priority};
use dosvid_domain::user::Action;
use dosvid_store::{CaseFilter, all_pages};
use maud::{Markup, html};
use serde::Deserialize;

use super::app::{SignedIn, app_page, run_change};
use super::naming::Naming;
use super::{Form, given, given_day, html_response};
use crate::AppState;
use crate::application::Operation;
use crate::service::{CaseGroup, case_metrics};

/// An open case due within this long counts as breaching soon.
const SOON_HOURS: i64 = 4;

#[derive(Debug, Default, Deserialize)]
pub struct InboxParams {
    /// `mine`, `breaching` or `open` (default).
    view: Option<String>,
    team: Option<String>,
}

/// The alerts that opened cases, by case, with their rules: alerts are few (one per problem).
fn raised_alerts(
    store: &dyn dosvid_store::Store,
    org: i64,
) -> Result<HashMap<i64, (Alert, Option<Rule>)>, dosvid_store::StoreError> {
    let rules = store.list_rules(org)?;
    let alerts = all_pages(|p| store.list_alerts(org, None, p))?;
    Ok(alerts
        .into_iter()
        .filter_map(|alert| {
            let rule = rules.iter().find(|r| Some(r.id) == alert.rule_id).cloned();
            Some((alert.case_id?, (alert, rule)))
        })
        .collect())
}

/// A case's title in the reader's words: for a case an alert opened, the rule and the place it
/// fired at (the stored title is the API's); otherwise as stored, with the customer's words a
/// rule quoted in it marked as written in their language (a screen reader reads them so; they
/// are the customer's, not the interface's).
fn title(
    ui: &super::i18n::Ui,
    naming: &Naming,
    case: &Case,
    raised: Option<&(Alert, Option<Rule>)>,
) -> Markup {
    if let Some((alert, rule)) = raised {
        let place = match alert.scope.split_once(':') {
            Some((kind, key)) if key != "none" => naming.of(kind, key).to_owned(),
            _ => rule
                .as_ref()
                .and_then(|r| r.definition.watch.as_ref())
                .filter(|w| !w.touchpoint.is_empty())
                .map_or_else(
                    || ui.all.to_owned(),
                    |w| naming.list("touchpoint", &w.touchpoint),
                ),
        };
        let name = rule.as_ref().map_or("—", |r| r.definition.name.as_str());
        return html! { (name) ": " (place) };
    }
    let quoted = case.description.as_deref().and_then(|comment| {
        let (rule, excerpt) = case.title.split_once(": ")?;
        comment
            .starts_with(excerpt.trim_end_matches('…'))
            .then_some((rule, excerpt, comment))
    });
    match quoted {
        Some((rule, excerpt, comment)) => {
            let language = dosvid_text::detect_language(comment).code();
            html! { (rule) ": " span lang=(language) { (excerpt) } }
        }
        None => html! { (case.title) },
    }
}

pub(super) fn priority_name(ui: &super::i18n::Ui, priority: Priority) -> &'static str {
    ui.case_priorities[Priority::ALL
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(1)]
}

pub(super) fn status_name(ui: &super::i18n::Ui, status: CaseStatus) -> &'static str {
    ui.case_statuses[CaseStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0)]
}

pub async fn inbox(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<InboxParams>,
) -> Response {
    let ui = signed.lang().ui();
    let org = signed.session.user.org_id;
    let view = params.view.clone().unwrap_or_else(|| "open".into());
    let me = signed.session.user.email.clone();
    let filter = CaseFilter {
        open: true,
        owner: (view == "mine").then(|| me.clone()),
        team: given(&params.team),
        ..Default::default()
    };
    let lang = signed.lang();
    let read = state
        .run(move |s| {
            let cases = all_pages(|p| s.list_cases(org, &filter, p))?;
            Ok((cases, Naming::read(s, org, lang)?, raised_alerts(s, org)?))
        })
        .await;
    let now = Utc::now();
    let (mut cases, naming, raised) = read.unwrap_or_default();
    match state.sight(&signed.principal).await {
        Ok(sight) => cases.retain(|c| sight.case(c)),
        Err(_) => cases.clear(),
    }
    if view == "breaching" {
        cases.retain(|c| c.due_at <= now + Duration::hours(SOON_HOURS));
    }
    cases.sort_by_key(|c| c.due_at);
    let mut teams: Vec<String> = cases.iter().filter_map(|c| c.team.clone()).collect();
    teams.sort();
    teams.dedup();
    let link = |v: &str| format!("/cases?view={v}");
    let body = html! {
        h1 { (ui.cases) }
        @if signed.may(Action::ManageRules) {
            p { a href="/settings/rules" { (ui.rules) } " · " a href="/settings/webhooks" { (ui.webhooks) } }
        }
        p { a href="/cases/metrics" { (ui.service_metrics) } }
        p {
            @for (v, name) in [("open", ui.all_open), ("mine", ui.mine), ("breaching", ui.breaching)] {
                @if v == view { strong { (name) } } @else { a href=(link(v)) { (name) } }
                " · "
            }
        }
        @if cases.is_empty() { p { (ui.no_cases) } }
        @else {
            div.scroll { table {
                thead { tr { th { (ui.due) } th { (ui.cases) } th { (ui.priority) } th { (ui.status) } th { (ui.team) } th { (ui.owner) } } }
                tbody {
                    @for c in &cases {
                        tr data-case=(c.id) {
                            td.num {
                                (c.due_at.format("%Y-%m-%d %H:%M"))
                                @if c.breached(now) { br; strong.down { (ui.overdue) } }
                            }
                            td { a href={ "/cases/" (c.id) } { (title(ui, &naming, c, raised.get(&c.id))) } }
                            td { (priority_name(ui, c.priority)) }
                            td { (status_name(ui, c.status)) }
                            td { (c.team.as_deref().map_or("—", |t| naming.team(t))) }
                            td { (c.owner.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            } }
        }
    };
    html_response(StatusCode::OK, app_page(&signed, "/cases", ui.cases, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct MetricsParams {
    group_by: Option<String>,
    /// A date; default: 90 days ago.
    from: Option<String>,
    /// A date (inclusive); default: today.
    to: Option<String>,
}

/// The service the teams give, measured from the cases opened in a period: as
/// `GET /api/v1/cases/metrics` answers for the same period and grouping.
pub async fn metrics(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<MetricsParams>,
) -> Response {
    let ui = signed.lang().ui();
    let lang = signed.lang();
    let org = signed.session.user.org_id;
    let by = CaseGroup::parse(params.group_by.as_deref()).unwrap_or(CaseGroup::Team);
    let now = Utc::now();
    let to = given_day(&params.to).unwrap_or(now.date_naive());
    let from = given_day(&params.from).unwrap_or(to - Duration::days(90));
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let filter = CaseFilter {
        from: midnight(from),
        to: midnight(to + Duration::days(1)),
        ..Default::default()
    };
    let read = state
        .run(move |s| {
            let cases = all_pages(|p| s.list_cases(org, &filter, p))?;
            Ok((cases, Naming::read(s, org, lang)?))
        })
        .await;
    let (mut cases, naming) = read.unwrap_or_default();
    match state.sight(&signed.principal).await {
        Ok(sight) => cases.retain(|c| sight.case(c)),
        Err(_) => cases.clear(),
    }
    let rows = case_metrics(&cases, by, dosvid_metrics::DEFAULT_MIN_SAMPLE, now);
    let group_name = |key: &str| -> String {
        match by {
            CaseGroup::Team => naming.team(key).to_owned(),
            CaseGroup::Owner => key.to_owned(),
            CaseGroup::Priority => Priority::parse(key)
                .map_or(key, |p| priority_name(ui, p))
                .to_owned(),
            CaseGroup::Touchpoint => key
                .parse()
                .ok()
                .and_then(|id| naming.of_id("touchpoint", id))
                .unwrap_or(key)
                .to_owned(),
        }
    };
    let share = |e: &dosvid_metrics::Estimate| {
        html! {
            @match e.value {
                Some(v) => {
                    (format!("{v:.0} %"))
                    @if let (Some(low), Some(high)) = (e.low, e.high) {
                        " " small.meta { (format!("[{low:.0}–{high:.0}]")) }
                    }
                    @if e.low_sample { " " small.meta { (ui.not_enough) } }
                }
                None => "—",
            }
        }
    };
    let body = html! {
        h1 { (ui.service_metrics) }
        p.hint { (ui.service_metrics_hint) }
        form.filters method="get" action="/cases/metrics" {
            div.filter {
                label for="group_by" { (ui.group_by) }
                select #group_by name="group_by" {
                    @for (g, name) in CaseGroup::ALL.iter().zip(ui.case_groups) {
                        option value=(g.as_str()) selected[*g == by] { (name) }
                    }
                }
            }
            div.filter {
                label for="from" { (ui.period_from) }
                input #from type="date" name="from" value=(from);
            }
            div.filter {
                label for="to" { (ui.period_to) }
                input #to type="date" name="to" value=(to);
            }
            div.filter { button.primary type="submit" { (ui.apply) } }
        }
        @if rows.is_empty() { p { (ui.no_cases) } }
        @else {
            div.scroll { table #service-metrics {
                thead { tr {
                    th { (ui.case_groups[CaseGroup::ALL.iter().position(|g| *g == by).unwrap_or(0)]) }
                    th.num { (ui.cases) } th.num { (ui.resolved) } th.num { (ui.mttr) }
                    th.num { (ui.fcr) } th.num { (ui.sla) } th.num { (ui.backlog) }
                } }
                tbody {
                    @for row in &rows {
                        tr data-group=[row.group.as_deref()] {
                            td { (row.group.as_deref().map_or_else(|| ui.no_group.to_owned(), group_name)) }
                            td.num { (row.cases) }
                            td.num { (row.resolved) }
                            td.num {
                                @match &row.mttr_hours {
                                    Some(h) => {
                                        (format!("{:.1}", h.median)) " "
                                        small.meta { (format!("{:.1} · {:.1}", h.mean, h.p90)) }
                                    }
                                    None => "—",
                                }
                            }
                            td.num data-fcr=[row.fcr.value] { (share(&row.fcr)) }
                            td.num data-sla=[row.sla_compliance.value] { (share(&row.sla_compliance)) }
                            td.num { (row.backlog) }
                        }
                    }
                }
            } }
        }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/cases", ui.service_metrics, body),
    )
}

async fn case_page(
    state: &AppState,
    signed: &SignedIn,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let base = state.public_url.as_deref().unwrap_or("").to_owned();
    let ui = signed.lang().ui();
    let (org, lang) = (signed.session.user.org_id, signed.lang());
    let read = state
        .operate(&signed.principal, move |op| {
            op.check_case(id)?;
            let s = op.store;
            let case = s.get_case(org, id)?;
            // The personal link the customer was sent, to give them again if they ask.
            let follow_up = match case.follow_up_invitation_id {
                Some(invitation) => {
                    let invitation = s.get_invitation(org, invitation)?;
                    let signer = s.survey_secrets(org)?.signer();
                    Some(signer.invitation_token(org, invitation.id, invitation.expires_at))
                }
                None => None,
            };
            // Who the customer is: a case is worked with their name in front of one.
            let customer = case
                .customer_id
                .map(|c| s.get_customer(org, c))
                .transpose()?;
            let raised = raised_alerts(s, org)?.remove(&id);
            let (naming, rules) = (Naming::read(s, org, lang)?, s.list_rules(org)?);
            let log = s.case_events(org, id)?;
            Ok((case, log, follow_up, customer, raised, naming, rules))
        })
        .await;
    let Ok((case, log, follow_up, customer, raised, naming, rules)) = read else {
        let body =
            html! { h1 { (ui.cases) } p.error role="alert" { (signed.lang().t().not_found) } };
        return html_response(
            StatusCode::NOT_FOUND,
            app_page(signed, "/cases", ui.cases, body),
        );
    };
    let now = Utc::now();
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (title(ui, &naming, &case, raised.as_ref())) }
        p.meta {
            (ui.status) ": " strong { (status_name(ui, case.status)) } " · " (ui.priority) ": " (priority_name(ui, case.priority))
            " · " (ui.due) ": " (case.due_at.format("%Y-%m-%d %H:%M"))
            @if case.breached(now) { " · " strong.down { (ui.overdue) } }
            @if let Some(c) = &customer {
                " · " (ui.customer) ": " a href={ "/customers/" (c.id) } { (c.name.clone().unwrap_or_else(|| format!("#{}", c.id))) }
            }
            @if let Some(touchpoint) = case.touchpoint_id { " · " a href={ "/touchpoints/" (touchpoint) } { (ui.touchpoint) } }
        }
        @match &raised {
            // What the alert measured, in the reader's words (the stored description is the API's).
            Some((alert, rule)) => p { (alert.window_from.format("%Y-%m-%d")) " – " (alert.window_to.format("%Y-%m-%d")) ": " (super::rules::alert_figures(ui, rule.as_ref(), &alert.details)) },
            None => @if let Some(description) = &case.description { p { (description) } },
        }
        @if let Some(token) = &follow_up {
            p.meta {
                (ui.personal_link) ": " code.secret { (base) "/p/" (token) }
                @if let Some(answer) = case.follow_up_feedback_id { " · " (ui.feedback) " #" (answer) }
            }
        }
        @if let Some(error) = &error { p.error role="alert" { (error) } }
        form.filters method="post" action={ "/cases/" (case.id) } {
            input type="hidden" name="csrf" value=(csrf);
            div.filter {
                label for="status" { (ui.status) }
                select #status name="status" {
                    @for s in CaseStatus::ALL {
                        @if s == case.status || case.status.can_become(s) {
                            option value=(s.as_str()) selected[s == case.status] { (status_name(ui, s)) }
                        }
                    }
                }
            }
            div.filter {
                label for="priority" { (ui.priority) }
                select #priority name="priority" {
                    @for p in Priority::ALL {
                        option value=(p.as_str()) selected[p == case.priority] { (priority_name(ui, p)) }
                    }
                }
            }
            div.filter { label for="team" { (ui.team) } input #team type="text" name="team" value=[case.team.as_deref()]; }
            div.filter { label for="owner" { (ui.owner) } input #owner type="text" name="owner" value=[case.owner.as_deref()]; }
            div.filter { label for="root_cause" { (ui.root_cause) } input #root_cause type="text" name="root_cause" value=[case.root_cause.as_deref()]; }
            div.filter { label for="resolution" { (ui.resolution) } input #resolution type="text" name="resolution" value=[case.resolution.as_deref()]; }
            div.filter { button.primary type="submit" { (ui.save) } }
        }
        form.fields method="post" action={ "/cases/" (case.id) "/events" } {
            input type="hidden" name="csrf" value=(csrf);
            label for="text" { (ui.comment) }
            textarea #text name="text" required maxlength="10000" {}
            div.buttons {
                button.primary type="submit" name="kind" value="contact" { (ui.add_contact) }
                button.secondary type="submit" name="kind" value="note" { (ui.add_note) }
            }
        }
        h2 { (ui.log) }
        ul.comments {
            @for e in log.iter().rev() {
                li {
                    p.meta {
                        (e.at.format("%Y-%m-%d %H:%M")) " · " (event_kind(ui, e.kind))
                        @if let Some(by) = &e.by { " · " (actor(&rules, by)) }
                    }
                    @if e.kind == CaseEventKind::Change {
                        p { (change_text(ui, &naming, &e.text)) }
                    } @else {
                        p.comment { (e.text) }
                    }
                }
            }
        }
    };
    let page_title = format!("{} #{}", ui.cases, case.id);
    html_response(status, app_page(signed, "/cases", &page_title, body))
}

fn event_kind(ui: &super::i18n::Ui, kind: CaseEventKind) -> &'static str {
    match kind {
        CaseEventKind::Note => ui.case_event_kinds[0],
        CaseEventKind::Contact => ui.case_event_kinds[1],
        CaseEventKind::Change => ui.case_event_kinds[2],
    }
}

/// Who made an entry: a person by e-mail, or a rule (`rule 7`, as the store writes it) by name.
fn actor<'a>(rules: &'a [Rule], by: &'a str) -> &'a str {
    by.strip_prefix("rule ")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| rules.iter().find(|r| r.id == id))
        .map_or(by, |r| r.definition.name.as_str())
}

/// A change as the store logs it (`opened`, or `status: new → in_progress; owner: x`), in the
/// reader's words.
fn change_text(ui: &super::i18n::Ui, naming: &Naming, text: &str) -> String {
    if text == "opened" {
        return ui.case_opened.to_owned();
    }
    let value = |field: &str, v: &str| -> String {
        match field {
            "status" => CaseStatus::parse(v)
                .map_or(v, |s| status_name(ui, s))
                .to_owned(),
            "priority" => Priority::parse(v)
                .map_or(v, |p| priority_name(ui, p))
                .to_owned(),
            "team" => naming.team(v).to_owned(),
            // The company's codes, by the names its vocabulary gives them.
            "root_cause" | "resolution" => naming.of(field, v).to_owned(),
            _ => v.to_owned(),
        }
    };
    let parts: Vec<String> = text
        .split("; ")
        .map(|part| {
            let Some((field, change)) = part.split_once(": ") else {
                return part.to_owned();
            };
            let label = match field {
                "status" => ui.status,
                "priority" => ui.priority,
                "team" => ui.team,
                "owner" => ui.owner,
                "root_cause" => ui.root_cause,
                "resolution" => ui.resolution,
                other => other,
            };
            let change = match change.split_once(" → ") {
                Some((from, to)) => format!("{} → {}", value(field, from), value(field, to)),
                None => value(field, change),
            };
            format!("{label}: {change}")
        })
        .collect();
    parts.join("; ")
}

fn id_of(raw: &str) -> i64 {
    raw.parse().unwrap_or(0)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    case_page(&state, &signed, id_of(&id), None, StatusCode::OK).await
}

/// One change to a case, checked (CSRF, origin) and made with the signed-in person as its
/// author; then the case page again, with the refusal when there is one.
async fn change(
    state: AppState,
    signed: SignedIn,
    headers: HeaderMap,
    id: i64,
    body: Bytes,
    make: impl FnOnce(&Operation, &Form, &str) -> Result<(), crate::ApiError> + Send + 'static,
) -> Response {
    let by = signed.session.user.email.clone();
    let form = Form::parse(&body);
    let made = run_change(
        &state,
        &signed,
        &headers,
        form,
        Action::WorkCases,
        move |op, form| make(op, form, &by),
    )
    .await;
    match made {
        Ok(()) => case_page(&state, &signed, id, None, StatusCode::OK).await,
        Err((status, message)) => case_page(&state, &signed, id, Some(message), status).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = id_of(&id);
    change(state, signed, headers, id, body, move |op, form, by| {
        let patch = CasePatch {
            status: form.one("status").and_then(CaseStatus::parse),
            priority: form.one("priority").and_then(Priority::parse),
            team: form.text("team"),
            owner: form.text("owner"),
            root_cause: form.text("root_cause"),
            resolution: form.text("resolution"),
        };
        op.change_case(id, patch, Some(by), Utc::now())?;
        Ok(())
    })
    .await
}

pub async fn add_event(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = id_of(&id);
    change(state, signed, headers, id, body, move |op, form, by| {
        let kind = if form.one("kind") == Some("contact") {
            CaseEventKind::Contact
        } else {
            CaseEventKind::Note
        };
        let text = form.one("text").unwrap_or_default();
        op.add_case_event(id, kind, Some(by), text, Utc::now())?;
        Ok(())
    })
    .await
}
