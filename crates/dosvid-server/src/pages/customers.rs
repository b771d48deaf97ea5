//! Customers: find one by what an agent has at hand (CRM id, e-mail, phone), and the customer
//! 360 — the profile, the CX index of their own records, and one timeline of everything they
//! did and said on every channel.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dosvid_analytics::CxIndexRequest;
use dosvid_domain::user::Action;
use dosvid_domain::{Customer, Feedback, Interaction, Transaction};
use dosvid_store::{Filter, PageRequest, all_pages};
use maud::html;
use serde::Deserialize;

use super::app::{SignedIn, app_page};
use super::html_response;
use super::naming::Naming;
use crate::AppState;

/// Events shown on one page of a timeline.
const TIMELINE_EVENTS: usize = 200;

#[derive(Deserialize)]
pub struct ListParams {
    q: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<ListParams>,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let q = params.q.unwrap_or_default();
    let wanted = q.clone();
    let after = params
        .cursor
        .as_deref()
        .and_then(|c| PageRequest::parse_cursor(c).ok());
    let sight = match state.sight(&signed.principal).await {
        Ok(sight) => sight,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    let mine = sight.clone();
    let found = state
        .run(move |s| {
            let found = s.find_customer(org, &wanted)?;
            // Not a CRM id, e-mail or phone: the customers whose name has the text.
            let named = Filter {
                name: Some(wanted).filter(|_| found.is_none()),
                ..Filter::default()
            };
            // A unit's person sees some of the customers of each page: read on until a page's
            // worth is found (or a few thousand were read).
            let mut request = PageRequest { after, limit: 50 };
            let mut page = s.list_customers(org, &named, request)?;
            page.items.retain(|c| mine.customer(c.id));
            for _ in 0..60 {
                let Some(cursor) = page
                    .next_cursor
                    .as_deref()
                    .filter(|_| page.items.len() < 50)
                else {
                    break;
                };
                request.after = Some(PageRequest::parse_cursor(cursor)?);
                let next = s.list_customers(org, &named, request)?;
                page.items
                    .extend(next.items.into_iter().filter(|c| mine.customer(c.id)));
                page.next_cursor = next.next_cursor;
            }
            Ok((found, page, Naming::read(s, org, lang)?))
        })
        .await;
    let (found, page, naming) = match found {
        Ok(found) => found,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    if let Some(id) = found.filter(|id| sight.customer(*id)) {
        return (
            StatusCode::SEE_OTHER,
            [(axum::http::header::LOCATION, format!("/customers/{id}"))],
        )
            .into_response();
    }
    let body = html! {
        h1 { (ui.customers) }
        p { a href="/customers/duplicates" { (super::duplicates::title(signed.lang())) } }
        form.filters method="get" action="/customers" role="search" {
            div.filter {
                label for="q" { (ui.find_customer) }
                input #q type="search" name="q" value=(q) autocomplete="off";
            }
            div.filter { button.primary type="submit" { (ui.find) } }
        }
        @if !q.trim().is_empty() && page.items.is_empty() { p.error role="alert" { (ui.no_match) } }
        div.scroll {
            table {
                thead { tr { th { "id" } th { (ui.crm_id) } th { (ui.name) } th { (ui.segment) } th { (ui.region) } th { (ui.plan) } } }
                tbody {
                    @for c in &page.items {
                        tr {
                            td { a href={ "/customers/" (c.id) } { (c.id) } }
                            td { (c.external_id.as_deref().unwrap_or("—")) }
                            td { (c.name.as_deref().unwrap_or("—")) }
                            td { (c.segment.as_deref().map_or("—", |v| naming.of("segment", v))) }
                            td { (c.region.as_deref().map_or("—", |v| naming.of("region", v))) }
                            td { (c.plan.as_deref().map_or("—", |v| naming.of("plan", v))) }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &page.next_cursor {
            @let search: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            p { a href={ "/customers?cursor=" (cursor) "&q=" (search) } { (ui.next_page) } }
        }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/customers", ui.customers, body),
    )
}

/// One thing that happened, for the timeline.
enum Event {
    Feedback(Feedback),
    Interaction(Interaction),
    Transaction(Transaction),
}

impl Event {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Event::Feedback(f) => f.occurred_at,
            Event::Interaction(i) => i.occurred_at,
            Event::Transaction(t) => t.occurred_at,
        }
    }
}

/// What the customer 360 reads from the store.
struct Profile {
    customer: Customer,
    events: Vec<Event>,
    /// Newest first.
    consents: Vec<dosvid_domain::Consent>,
    naming: Naming,
    /// The customer's cases the reader sees, newest first.
    cases: Vec<dosvid_domain::case::Case>,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let not_found = || {
        let body = html! { h1 { (ui.customers) } p.error role="alert" { (ui.no_match) } };
        html_response(
            StatusCode::NOT_FOUND,
            app_page(&signed, "/customers", ui.customers, body),
        )
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let Ok(sight) = state.sight(&signed.principal).await else {
        return not_found();
    };
    if !sight.customer(id) {
        return not_found();
    }
    let read = state
        .run(move |s| {
            let customer = s.get_customer(org, id)?;
            let theirs = Filter {
                customer_id: Some(id),
                ..Default::default()
            };
            let mut events: Vec<Event> = Vec::new();
            events.extend(
                all_pages(|p| s.list_feedback(org, &theirs, p))?
                    .into_iter()
                    .map(Event::Feedback),
            );
            events.extend(
                all_pages(|p| s.list_interactions(org, &theirs, p))?
                    .into_iter()
                    .map(Event::Interaction),
            );
            events.extend(
                all_pages(|p| s.list_transactions(org, &theirs, p))?
                    .into_iter()
                    .map(Event::Transaction),
            );
            events.retain(|e| match e {
                Event::Feedback(f) => sight.feedback(f.id),
                Event::Interaction(i) => sight.interaction(i.id),
                Event::Transaction(_) => true,
            });
            events.sort_by_key(|e| std::cmp::Reverse(e.at()));
            let theirs = dosvid_store::CaseFilter {
                customer_id: Some(id),
                ..Default::default()
            };
            let mut cases = all_pages(|p| s.list_cases(org, &theirs, p))?;
            cases.retain(|c| sight.case(c));
            cases.sort_by_key(|c| std::cmp::Reverse(c.opened_at));
            Ok(Profile {
                cases,
                naming: Naming::read(s, org, lang)?,
                consents: s.consents(org, id)?,
                customer,
                events,
            })
        })
        .await;
    let Ok(profile) = read else {
        return not_found();
    };
    let (cx, latest) = state
        .ask(&signed.principal, move |index| {
            let cx = index.cx_index(&CxIndexRequest {
                customer_id: Some(id),
                min_sample: Some(1),
                ..Default::default()
            })?;
            Ok((cx.rows.into_iter().next(), index.latest()))
        })
        .await
        .unwrap_or_default();
    // Whether the customer has lapsed as the analyses count it: no purchase or payment within
    // the retention window before the latest data.
    let last_purchase = profile.events.iter().find_map(|e| match e {
        Event::Transaction(t) => Some(t.occurred_at),
        _ => None,
    });
    let lapsed = match (last_purchase, latest) {
        (Some(at), Some(latest)) => {
            latest - at.timestamp() > dosvid_analytics::RETENTION_WINDOW_DAYS * 86_400
        }
        _ => false,
    };
    let c = &profile.customer;
    let naming = &profile.naming;
    let name = c.name.clone().unwrap_or_else(|| format!("#{}", c.id));
    let place = |touchpoint: Option<i64>, channel: Option<i64>| {
        let t = touchpoint.and_then(|t| naming.of_id("touchpoint", t));
        let ch = channel.and_then(|c| naming.of_id("channel", c));
        [t, ch]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let hidden = profile.events.len().saturating_sub(TIMELINE_EVENTS);
    let body = html! {
        h1 { (name) }
        div.columns {
            section {
                table {
                    tbody {
                        tr { th { (ui.crm_id) } td { (c.external_id.as_deref().unwrap_or("—")) } }
                        @if let Some(at) = last_purchase {
                            tr data-lapsed=(lapsed) { th { (ui.last_purchase) } td {
                                (at.format("%Y-%m-%d"))
                                @if lapsed { br; strong.lapsed { (ui.lapsed) } }
                            } }
                        }
                        tr { th { (ui.segment) } td { (c.segment.as_deref().map_or("—", |v| naming.of("segment", v))) } }
                        tr { th { (ui.region) } td { (c.region.as_deref().map_or("—", |v| naming.of("region", v))) } }
                        tr { th { (ui.plan) } td { (c.plan.as_deref().map_or("—", |v| naming.of("plan", v))) } }
                        tr { th { (ui.language_read) } td { (c.language.as_deref().map_or("—", |v| naming.of("language", v))) } }
                        tr { th { (ui.identities) } td {
                            @for identity in &c.identities { (naming.of("identity", identity.kind.as_str())) ": " (identity.value) br; }
                        } }
                        @for (key, value) in &c.attributes {
                            @let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                            tr { th { (naming.of("attribute", key)) } td { (naming.of(key, &value)) } }
                        }
                    }
                }
            }
            section {
                @if let Some(cx) = &cx {
                    div.card-metric data-metric="cx_index" data-value=[cx.cx_index] {
                        h3 { (ui.cx_index) }
                        p.value { (cx.cx_index.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())) }
                        p.meta { "n = " (cx.n) }
                    }
                }
            }
        }
        @if !profile.consents.is_empty() {
            h2 { (ui.consents) }
            ul.list { @for c in &profile.consents {
                li {
                    (consent_purpose(ui, &c.purpose)) ": "
                    strong { (if c.granted { ui.consent_given } else { ui.consent_withdrawn }) }
                    span.meta { " " (c.at.format("%Y-%m-%d")) @if let Some(ch) = &c.channel { " · " (naming.of("channel", ch)) } }
                }
            } }
        }
        p {
            (ui.export_data) ": "
            a href=(format!("/customers/{}/export.json", c.id)) { "JSON" } " · "
            a href=(format!("/customers/{}/export.zip", c.id)) { "ZIP (CSV)" }
        }
        @if signed.may(Action::Administer) {
            details {
                summary { (ui.erase_customer) }
                form.inline method="post" action=(format!("/customers/{}/erase", c.id)) {
                    input type="hidden" name="csrf" value=(signed.session.csrf);
                    span.hint { (ui.erase_hint) }
                    button.secondary.small type="submit" { (ui.erase_customer) }
                }
            }
        }
        @if !profile.cases.is_empty() {
            h2 { (ui.cases) " (" (profile.cases.len()) ")" }
            ul.list { @for case in &profile.cases {
                li data-case=(case.id) {
                    a href={ "/cases/" (case.id) } { (case.title) }
                    span.meta { " · " (super::cases::status_name(ui, case.status)) " · " (case.opened_at.format("%Y-%m-%d")) }
                }
            } }
        }
        h2 { (ui.timeline) " (" (profile.events.len()) ")" }
        ul.comments {
            @for event in profile.events.iter().take(TIMELINE_EVENTS) {
                li {
                    @match event {
                        Event::Feedback(f) => {
                            p.meta {
                                strong { (ui.events[0]) } " · " (f.occurred_at.format("%Y-%m-%d %H:%M")) " · " (naming.of("source", f.source.as_str()))
                                " · " (place(f.touchpoint_id, f.channel_id))
                            }
                            p {
                                @if let Some(n) = f.nps { "NPS " (n) " " }
                                @if let Some(n) = f.csat { "CSAT " (n) " " }
                                @if let Some(n) = f.ces { "CES " (n) " " }
                            }
                            @if let Some(comment) = &f.comment {
                                p.comment lang=[f.language.as_deref()] { (comment) }
                            }
                            @if !f.themes.is_empty() { p.meta { (ui.themes) ": " (naming.list("theme", &f.themes)) } }
                        }
                        Event::Interaction(i) => {
                            p.meta {
                                strong { (ui.events[1]) } " · " (i.occurred_at.format("%Y-%m-%d %H:%M"))
                                " · " (place(i.touchpoint_id, Some(i.channel_id)))
                            }
                            p {
                                (naming.of("interaction_kind", &i.kind))
                                @if let Some(outcome) = &i.outcome { " → " (naming.of("outcome", outcome)) }
                                @if let Some(seconds) = i.duration_seconds { " · " (seconds / 60) " " (ui.minutes_short) " " (seconds % 60) " " (ui.seconds_short) }
                                @if let Some(agent) = &i.agent { " · " (agent) }
                            }
                        }
                        Event::Transaction(t) => {
                            p.meta { strong { (ui.events[2]) } " · " (t.occurred_at.format("%Y-%m-%d %H:%M")) }
                            p {
                                (naming.of("transaction_kind", t.kind.as_str())) " · "
                                (format!("{}.{:02}", t.amount_minor / 100, t.amount_minor % 100)) " " (t.currency)
                                @if let Some(product) = &t.product { " · " (naming.of("product", product)) }
                            }
                        }
                    }
                }
            }
        }
        @if hidden > 0 { p.meta { ((ui.more_not_shown)(hidden)) } }
    };
    html_response(StatusCode::OK, app_page(&signed, "/customers", &name, body))
}

/// Everything held about the customer, as the API exports it: `export.json` or `export.zip`.
pub async fn export(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let org = signed.session.user.org_id;
    let (Ok(id), Some(zip)) = (
        id.parse::<i64>(),
        match file.as_str() {
            "export.json" => Some(false),
            "export.zip" => Some(true),
            _ => None,
        },
    ) else {
        return html_response(StatusCode::NOT_FOUND, html! {});
    };
    if state.check_customer(&signed.principal, id).await.is_err() {
        return html_response(StatusCode::NOT_FOUND, html! {});
    }
    let read = state
        .run(move |s| {
            let export = crate::privacy::export(s, org, id)?;
            if zip {
                crate::privacy::zip(&export)
            } else {
                serde_json::to_vec_pretty(&export).map_err(dosvid_store::StoreError::backend)
            }
        })
        .await;
    match read {
        Ok(bytes) => {
            let (kind, ext) = if zip {
                ("application/zip", "zip")
            } else {
                ("application/json", "json")
            };
            (
                [
                    (axum::http::header::CONTENT_TYPE, kind.to_owned()),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"customer-{id}.{ext}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            let ui = signed.lang().ui();
            let body = html! { h1 { (ui.customers) } p.error role="alert" { (e.page_message()) } };
            html_response(
                e.status,
                app_page(&signed, "/customers", ui.customers, body),
            )
        }
    }
}

/// Erases the customer (administrators only) and returns to the list.
pub async fn erase(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let id = id.parse::<i64>().unwrap_or(0);
    let made = super::app::run_change(
        &state,
        &signed,
        &headers,
        super::Form::parse(&body),
        Action::Administer,
        move |op, _| Ok(op.erase_customer(id)?),
    )
    .await;
    match made {
        Ok(()) => super::app::redirect("/customers"),
        Err((status, message)) => {
            let ui = signed.lang().ui();
            let body = html! { h1 { (ui.customers) } p.error role="alert" { (message) } };
            html_response(status, app_page(&signed, "/customers", ui.customers, body))
        }
    }
}

fn consent_purpose(ui: &super::i18n::Ui, purpose: &str) -> &'static str {
    match purpose {
        "surveys" => ui.consent_purposes[0],
        "marketing" => ui.consent_purposes[1],
        _ => ui.consent_purposes[2],
    }
}
