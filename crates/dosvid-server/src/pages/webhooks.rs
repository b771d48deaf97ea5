//! The webhook settings (administrators and CX managers): each endpoint with its events, its
//! state (active, paused, or disabled by Dosvid and why) and its latest deliveries with their
//! attempts; a new endpoint, whose signing secret is shown once; pause, resume, delete, and a
//! failed delivery sent again.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::user::Action;
use dosvid_domain::webhook::{DeliveryStatus, EventType, WebhookInput, WebhookPatch};
use dosvid_store::PageRequest;
use maud::html;

use super::app::{SignedIn, app_page, run_change};
use super::{Form, Lang, html_response};
use crate::{ApiError, AppState};

/// Deliveries shown per endpoint.
const RECENT: u32 = 10;

fn time(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    error: Option<String>,
    secret: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let listed = state
        .run(move |s| {
            s.list_webhooks(org)?
                .into_iter()
                .map(|w| {
                    let recent = s.list_deliveries(org, w.id, None, PageRequest::first(RECENT))?;
                    Ok((w, recent.items))
                })
                .collect::<dosvid_store::Result<Vec<_>>>()
        })
        .await;
    let hooks = match listed {
        Ok(hooks) => hooks,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (ui.webhooks) }
        @if let Some(error) = &error { p.error role="alert" { (error) } }
        @if let Some(secret) = &secret {
            div.notice role="status" { p { (ui.shown_once) } p { code.secret { (secret) } } }
        }
        p.hint { (ui.webhook_hint) }
        @if hooks.is_empty() { p { (ui.no_webhooks) } }
        @for (hook, deliveries) in &hooks {
            section data-webhook=(hook.id) {
                h2 { code { (hook.input.url) } }
                p {
                    @if hook.input.enabled { (ui.enabled) } @else { span.thin { (ui.paused) } }
                    @if let Some(reason) = &hook.disabled_reason { " — " span.error { (reason) } }
                    " · "
                    (hook.input.events.iter().map(|e| event_name(lang, *e)).collect::<Vec<_>>().join(", "))
                    @if let Some(d) = &hook.input.description { " · " (d) }
                    @if let Some(since) = hook.failing_since {
                        br; span.error { (ui.failing_since) " " (time(since)) " (" (hook.consecutive_failures) ")" }
                    }
                }
                form.inline method="post" action={ "/settings/webhooks/" (hook.id) "/toggle" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.secondary.small type="submit" {
                        @if hook.input.enabled { (ui.pause) } @else { (ui.resume) }
                    }
                }
                " "
                form.inline method="post" action={ "/settings/webhooks/" (hook.id) "/delete" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button.secondary.small type="submit" { (ui.delete) }
                }
                @if !deliveries.is_empty() {
                    h3 { (ui.deliveries) }
                    div.scroll { table {
                        thead { tr { th { (ui.created) } th { (ui.event) } th { (ui.status) } th { (ui.attempts) } th { (ui.next_attempt) } th {} } }
                        tbody {
                            @for d in deliveries {
                                tr data-delivery=(d.id) {
                                    td { (time(d.created_at)) }
                                    td { (event_name(lang, d.event_type)) }
                                    td { (ui.delivery_statuses[DeliveryStatus::ALL.iter().position(|s| *s == d.status).unwrap_or(0)]) }
                                    td.num { (d.attempts) }
                                    td { (d.next_attempt_at.filter(|_| d.status == DeliveryStatus::Pending).map(time).unwrap_or_default()) }
                                    td {
                                        @if d.status != DeliveryStatus::Pending {
                                            form.inline method="post" action={ "/settings/webhooks/deliveries/" (d.id) "/retry" } {
                                                input type="hidden" name="csrf" value=(csrf);
                                                button.secondary.small type="submit" { (ui.send_again) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
            }
        }
        form.fields method="post" action="/settings/webhooks" {
            input type="hidden" name="csrf" value=(csrf);
            h2 { (ui.add_webhook) }
            label for="url" { "URL" }
            input #url type="url" name="url" required placeholder="https://crm.example.com/hooks/dosvid";
            fieldset {
                legend { (ui.event) }
                div.choices {
                    @for e in EventType::ALL {
                        label { input type="checkbox" name="events" value=(e.as_str()) checked; span { (event_name(lang, e)) } }
                    }
                }
            }
            label for="description" { (ui.description) }
            input #description type="text" name="description";
            div.buttons { button.primary type="submit" { (ui.add_webhook) } }
        }
    };
    html_response(
        status,
        app_page(signed, "/settings/webhooks", ui.webhooks, body),
    )
}

fn allowed(signed: &SignedIn) -> bool {
    signed.may(ACTION)
}

/// What every form of this page does.
const ACTION: Action = Action::ManageWebhooks;

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    if !allowed(&signed) {
        let message = signed.lang().ui().not_allowed.to_owned();
        return render(&state, &signed, Some(message), None, StatusCode::FORBIDDEN).await;
    }
    render(&state, &signed, None, None, StatusCode::OK).await
}

/// One change, checked (role, CSRF) and made; then the page again, with the new secret if the
/// change made one.
async fn change(
    state: AppState,
    signed: SignedIn,
    headers: HeaderMap,
    body: Bytes,
    make: impl FnOnce(&dyn dosvid_store::Store, i64, &Form) -> Result<Option<String>, ApiError>
    + Send
    + 'static,
) -> Response {
    let form = Form::parse(&body);
    let made = run_change(&state, &signed, &headers, form, ACTION, move |op, form| {
        make(op.store, op.org(), form)
    })
    .await;
    // A resumed endpoint or a delivery sent again goes out now.
    state.outbox.wake();
    match made {
        Ok(secret) => render(&state, &signed, None, secret, StatusCode::OK).await,
        Err((status, message)) => render(&state, &signed, Some(message), None, status).await,
    }
}

pub async fn create(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outbox = state.outbox.clone();
    change(state, signed, headers, body, move |s, org, form| {
        let url = form.one("url").unwrap_or_default().trim();
        outbox.check_url(url)?;
        let events = form
            .all("events")
            .into_iter()
            .filter_map(EventType::parse)
            .collect();
        let input = WebhookInput {
            url: form.one("url").unwrap_or_default().to_owned(),
            events,
            description: form.text("description"),
            enabled: true,
        };
        let hook = s.create_webhook(org, input, Utc::now())?;
        Ok(Some(s.webhook_secret(org, hook.id)?))
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
        let enabled = !s.get_webhook(org, id)?.input.enabled;
        let patch = WebhookPatch {
            enabled: Some(enabled),
            ..Default::default()
        };
        s.update_webhook(org, id, patch)?;
        Ok(None)
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
        s.delete_webhook(org, id.parse().unwrap_or(0))?;
        Ok(None)
    })
    .await
}

pub async fn retry(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, move |s, org, _| {
        s.redeliver(org, id.parse().unwrap_or(0), Utc::now())?;
        Ok(None)
    })
    .await
}

/// An event's name in the reader's language.
fn event_name(lang: Lang, event: EventType) -> &'static str {
    crate::words::word("webhook_event", event.as_str(), lang.code()).unwrap_or(event.as_str())
}
