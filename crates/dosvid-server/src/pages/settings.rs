//! Settings an administrator keeps: the people who sign in, the API keys integrators use, and
//! the secret survey links are signed with. Only administrators see or change them; a new
//! password or key is shown once and never kept.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::user::{Action, NewUser, Role};
use dosvid_store::Scope;
use maud::html;

use super::app::{SignedIn, admitted, app_page};
use super::{Form, html_response};
use crate::AppState;

/// What the last form did, to show above the lists.
enum Done {
    Nothing,
    /// A secret to copy now: a new user's password, or a new API key.
    Secret(&'static str, String),
    Said(&'static str),
    Refused(String),
}

async fn render(state: &AppState, signed: &SignedIn, done: Done, status: StatusCode) -> Response {
    let ui = signed.lang().ui();
    let org = signed.session.user.org_id;
    let lists = state
        .run(move |s| {
            let retired = s.survey_secrets(org)?.retired;
            let honoured_until = retired
                .map(|r| r.accepted_until)
                .filter(|until| *until > Utc::now());
            Ok((
                s.list_users(org)?,
                s.list_api_keys(org)?,
                honoured_until,
                s.list_units(org)?,
            ))
        })
        .await;
    let (users, keys, honoured_until, units) = match lists {
        Ok(lists) => lists,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    let csrf = &signed.session.csrf;
    let unit_words = super::units::words(signed.lang());
    let unit_name = |id: Option<i64>| super::units::name_of(&units, id, unit_words);
    let body = html! {
        h1 { (ui.settings) }
        p {
            a href="/settings/audit" { (super::audit::title(signed.lang())) }
            " · "
            a href="/settings/units" { (unit_words.title) }
        }
        @match &done {
            Done::Secret(what, secret) => {
                div.notice role="status" { p { (what) } p { code.secret { (secret) } } }
            }
            Done::Said(what) => { div.notice role="status" { p { (what) } } }
            Done::Refused(message) => { p.error role="alert" { (message) } }
            Done::Nothing => {}
        }
        section {
            h2 { (ui.users) }
            div.scroll { table {
                thead { tr { th { (ui.email) } th { (ui.name) } th { (ui.role) } th { (ui.interface_language) } th { (ui.agent_id) } th { (unit_words.unit) } th {} } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.email) } td { (u.name) } td { (u.role.as_str()) } td { (u.language) }
                            td { @if let Some(a) = &u.agent { a href={ "/agents/" (a) } { (a) } } }
                            td { (unit_name(u.unit_id)) }
                            td {
                                form.inline method="post" action=(format!("/settings/users/{}/password", u.id)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.secondary.small type="submit" { (super::account::words(signed.lang()).reset_password) }
                                }
                            }
                        }
                    }
                }
            } }
            form.filters method="post" action="/settings/users" {
                input type="hidden" name="csrf" value=(csrf);
                div.filter { label for="email" { (ui.email) } input #email type="email" name="email" required; }
                div.filter { label for="name" { (ui.name) } input #name type="text" name="name" required; }
                div.filter {
                    label for="role" { (ui.role) }
                    select #role name="role" {
                        @for r in Role::ALL { option value=(r.as_str()) selected[r == Role::Analyst] { (r.as_str()) } }
                    }
                }
                div.filter {
                    label for="language" { (ui.interface_language) }
                    select #language name="language" {
                        @for code in ["uk", "en", "ru"] { option value=(code) { (code) } }
                    }
                }
                div.filter { label for="agent" { (ui.agent_id) } input #agent type="text" name="agent" placeholder="agent-013"; }
                (super::units::unit_select("user_unit", &units, unit_words))
                div.filter { label for="password" { (ui.password_hint) } input #password type="password" name="password" autocomplete="new-password"; }
                div.filter { button.primary type="submit" { (ui.add_user) } }
            }
        }
        section {
            h2 { (ui.api_keys) }
            div.scroll { table {
                thead { tr { th { (ui.key_name) } th { "prefix" } th { (ui.scopes) } th { (ui.created) } th { (ui.expires) } th { (ui.last_used) } th { (unit_words.unit) } th {} } }
                tbody {
                    @for k in &keys {
                        tr data-key=(k.id) {
                            td { (k.name) }
                            td { code { (k.prefix) "…" } }
                            td { (k.scopes.iter().map(|s| scope_name(ui, *s)).collect::<Vec<_>>().join(", ")) }
                            td { (k.created_at.format("%Y-%m-%d %H:%M")) }
                            td { (k.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()) }
                            td { (k.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()) }
                            td { (unit_name(k.unit_id)) }
                            td {
                                @match k.revoked_at {
                                    Some(at) => { span.meta { (ui.revoked) " " (at.format("%Y-%m-%d")) } }
                                    None => {
                                        form.inline method="post" action="/settings/keys/revoke" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="id" value=(k.id);
                                            button.secondary.small type="submit" { (ui.revoke) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            form.filters method="post" action="/settings/keys" {
                input type="hidden" name="csrf" value=(csrf);
                div.filter { label for="key_name" { (ui.key_name) } input #key_name type="text" name="name" required; }
                fieldset.filter {
                    legend { (ui.scopes) }
                    @for scope in Scope::ALL {
                        label { input type="checkbox" name="scope" value=(scope.as_str()) checked[scope != Scope::Admin]; " " (scope_name(ui, scope)) }
                    }
                }
                div.filter { label for="expires" { (ui.expires) } input #expires type="date" name="expires"; }
                (super::units::unit_select("key_unit", &units, unit_words))
                div.filter { button.primary type="submit" { (ui.add_key) } }
            }
        }
        section {
            h2 { (ui.survey_links) }
            p.meta { (ui.survey_links_hint) }
            @if let Some(until) = honoured_until {
                p { (ui.previous_links_until) " " (until.format("%Y-%m-%d %H:%M UTC")) }
            }
            form.filters method="post" action="/settings/survey-secret" {
                input type="hidden" name="csrf" value=(csrf);
                div.filter {
                    label for="grace_days" { (ui.grace_days) }
                    input #grace_days type="number" name="grace_days" min="0" max="365" value="30" required;
                }
                div.filter { button.secondary type="submit" { (ui.rotate_secret) } }
            }
        }
    };
    html_response(status, app_page(signed, "/settings", ui.settings, body))
}

/// The unit a form puts a person or key in (none: the whole organisation).
fn chosen_unit(form: &Form) -> Option<i64> {
    form.text("unit").and_then(|u| u.parse().ok())
}

fn scope_name(ui: &super::i18n::Ui, scope: Scope) -> &'static str {
    ui.scope_names[Scope::ALL.iter().position(|s| *s == scope).unwrap_or(0)]
}

fn is_admin(signed: &SignedIn) -> bool {
    signed.may(Action::Administer)
}

/// The page a refused request gets.
fn refused(signed: &SignedIn, message: &str) -> Response {
    let ui = signed.lang().ui();
    let body = html! { h1 { (ui.settings) } p.error role="alert" { (message) } };
    html_response(
        StatusCode::FORBIDDEN,
        app_page(signed, "/settings", ui.settings, body),
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    if !is_admin(&signed) {
        return refused(&signed, signed.lang().ui().not_allowed);
    }
    render(&state, &signed, Done::Nothing, StatusCode::OK).await
}

pub async fn add_user(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match admitted(&signed, &headers, &body, Action::Administer) {
        Ok(form) => form,
        Err(message) => return refused(&signed, message),
    };
    let user = NewUser {
        email: form.one("email").unwrap_or_default().to_owned(),
        name: form.one("name").unwrap_or_default().to_owned(),
        role: form
            .one("role")
            .and_then(Role::parse)
            .unwrap_or(Role::Viewer),
        language: form.one("language").unwrap_or("uk").to_owned(),
        agent: form.one("agent").map(str::to_owned),
        unit_id: chosen_unit(&form),
    };
    let chosen = form.text("password");
    let org = signed.session.user.org_id;
    let created = state
        .run(move |s| {
            let password = match chosen {
                Some(p) => (p, false),
                None => (dosvid_store::generate_password()?, true),
            };
            s.create_user(org, user, &password.0, Utc::now())?;
            Ok(password)
        })
        .await;
    let ui = signed.lang().ui();
    match created {
        Ok((password, true)) => {
            render(
                &state,
                &signed,
                Done::Secret(ui.user_added, password),
                StatusCode::CREATED,
            )
            .await
        }
        Ok((_, false)) => render(&state, &signed, Done::Nothing, StatusCode::CREATED).await,
        Err(e) => render(&state, &signed, Done::Refused(e.page_message()), e.status).await,
    }
}

pub async fn add_key(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match admitted(&signed, &headers, &body, Action::Administer) {
        Ok(form) => form,
        Err(message) => return refused(&signed, message),
    };
    let name = form.one("name").unwrap_or_default().to_owned();
    let scopes: Vec<Scope> = form
        .all("scope")
        .into_iter()
        .filter_map(Scope::parse)
        .collect();
    let expires = form.text("expires");
    let unit = chosen_unit(&form);
    let org = signed.session.user.org_id;
    let created = state
        .run(move |s| {
            let expires_at = expires
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                        .map_err(|_| dosvid_domain::FieldError::new("expires_at", "must be a date"))
                })
                .transpose()?;
            s.create_scoped_api_key(org, &name, &scopes, expires_at, unit, Utc::now())
        })
        .await;
    let ui = signed.lang().ui();
    match created {
        Ok((_, secret)) => {
            let secret = secret.expose().to_owned();
            render(
                &state,
                &signed,
                Done::Secret(ui.shown_once, secret),
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => render(&state, &signed, Done::Refused(e.page_message()), e.status).await,
    }
}

pub async fn revoke_key(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match admitted(&signed, &headers, &body, Action::Administer) {
        Ok(form) => form,
        Err(message) => return refused(&signed, message),
    };
    let org = signed.session.user.org_id;
    let Some(id) = form.one("id").and_then(|id| id.parse::<i64>().ok()) else {
        return render(
            &state,
            &signed,
            Done::Nothing,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match state
        .run(move |s| s.revoke_api_key(org, id, Utc::now()))
        .await
    {
        Ok(()) => render(&state, &signed, Done::Nothing, StatusCode::OK).await,
        Err(e) => render(&state, &signed, Done::Refused(e.message), e.status).await,
    }
}

pub async fn rotate_survey_secret(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match admitted(&signed, &headers, &body, Action::Administer) {
        Ok(form) => form,
        Err(message) => return refused(&signed, message),
    };
    let ui = signed.lang().ui();
    let Some(days) = form
        .one("grace_days")
        .and_then(|d| d.trim().parse::<i64>().ok())
        .filter(|d| (0..=365).contains(d))
    else {
        let message = format!("{}: 0–365", ui.grace_days);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &signed, Done::Refused(message), status).await;
    };
    let org = signed.session.user.org_id;
    let until = Utc::now() + chrono::Duration::days(days);
    match state.run(move |s| s.rotate_survey_secret(org, until)).await {
        Ok(_) => {
            render(
                &state,
                &signed,
                Done::Said(ui.secret_rotated),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => render(&state, &signed, Done::Refused(e.page_message()), e.status).await,
    }
}
