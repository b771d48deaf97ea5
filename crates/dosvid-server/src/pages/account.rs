//! A person's own account (`/me/account`): where they are signed in, ending those sessions,
//! changing their password, and two-step sign-in (a TOTP code from an authenticator app).
//! Administrators reset another person's password from Settings, which also turns their
//! two-step sign-in off (a lost phone).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::user::Action;
use maud::html;

use super::app::{SignedIn, app_page, redirect, refusal};
use super::i18n::Lang;
use super::{Form, html_response};
use crate::AppState;

pub struct Words {
    pub title: &'static str,
    sessions: &'static str,
    this_session: &'static str,
    started: &'static str,
    ends: &'static str,
    end: &'static str,
    end_others: &'static str,
    change_password: &'static str,
    current_password: &'static str,
    new_password: &'static str,
    repeat_password: &'static str,
    differ: &'static str,
    wrong_current: &'static str,
    pub reset_password: &'static str,
    two_factor: &'static str,
    two_factor_off: &'static str,
    two_factor_on: &'static str,
    secret_hint: &'static str,
    pub code: &'static str,
    turn_on: &'static str,
    turn_off: &'static str,
    wrong_code: &'static str,
}

const UK: Words = Words {
    title: "Мій обліковий запис",
    sessions: "Де я ввійшов",
    this_session: "цей сеанс",
    started: "Початок",
    ends: "Завершиться",
    end: "Завершити",
    end_others: "Завершити всі інші сеанси",
    change_password: "Змінити пароль",
    current_password: "Поточний пароль",
    new_password: "Новий пароль (щонайменше 10 символів)",
    repeat_password: "Новий пароль ще раз",
    differ: "Нові паролі не збігаються.",
    wrong_current: "Поточний пароль неправильний.",
    reset_password: "Новий пароль",
    two_factor: "Двоетапний вхід",
    two_factor_off: "Вимкнено. Увімкніть його, щоб для входу, крім пароля, потрібен був код із застосунку-автентифікатора (Google Authenticator, Microsoft Authenticator, FreeOTP…).",
    two_factor_on: "Увімкнено: для входу потрібен пароль і код із застосунку. Щоб вимкнути, введіть поточний пароль.",
    secret_hint: "Додайте в застосунок цей ключ (або адресу нижче) і введіть код, який він покаже:",
    code: "Код із застосунку-автентифікатора (якщо двоетапний вхід увімкнено)",
    turn_on: "Увімкнути",
    turn_off: "Вимкнути двоетапний вхід",
    wrong_code: "Код не підходить до цього ключа: перевірте час на телефоні й спробуйте ще раз.",
};

const EN: Words = Words {
    title: "My account",
    sessions: "Where I am signed in",
    this_session: "this session",
    started: "Started",
    ends: "Ends",
    end: "End",
    end_others: "End every other session",
    change_password: "Change password",
    current_password: "Current password",
    new_password: "New password (at least 10 characters)",
    repeat_password: "New password again",
    differ: "The new passwords differ.",
    wrong_current: "The current password is wrong.",
    reset_password: "New password",
    two_factor: "Two-step sign-in",
    two_factor_off: "Off. Turn it on to need, besides the password, a code from an authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP…) to sign in.",
    two_factor_on: "On: signing in needs the password and a code from the app. To turn it off, enter your current password.",
    secret_hint: "Add this key (or the address below) to the app and enter the code it shows:",
    code: "Code from the authenticator app (if two-step sign-in is on)",
    turn_on: "Turn on",
    turn_off: "Turn two-step sign-in off",
    wrong_code: "The code does not match this key: check the phone's clock and try again.",
};

const RU: Words = Words {
    title: "Моя учётная запись",
    sessions: "Где я вошёл",
    this_session: "этот сеанс",
    started: "Начало",
    ends: "Завершится",
    end: "Завершить",
    end_others: "Завершить все другие сеансы",
    change_password: "Сменить пароль",
    current_password: "Текущий пароль",
    new_password: "Новый пароль (не меньше 10 символов)",
    repeat_password: "Новый пароль ещё раз",
    differ: "Новые пароли не совпадают.",
    wrong_current: "Текущий пароль неверен.",
    reset_password: "Новый пароль",
    two_factor: "Двухэтапный вход",
    two_factor_off: "Выключен. Включите его, чтобы для входа, кроме пароля, нужен был код из приложения-аутентификатора (Google Authenticator, Microsoft Authenticator, FreeOTP…).",
    two_factor_on: "Включён: для входа нужны пароль и код из приложения. Чтобы выключить, введите текущий пароль.",
    secret_hint: "Добавьте в приложение этот ключ (или адрес ниже) и введите код, который оно покажет:",
    code: "Код из приложения-аутентификатора (если двухэтапный вход включён)",
    turn_on: "Включить",
    turn_off: "Выключить двухэтапный вход",
    wrong_code: "Код не подходит к этому ключу: проверьте время на телефоне и попробуйте ещё раз.",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uk => &UK,
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    page(&state, &signed, None, StatusCode::OK).await
}

async fn page(
    state: &AppState,
    signed: &SignedIn,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let w = words(signed.lang());
    let user = signed.user().clone();
    let (sessions, two_factor) = state
        .run(move |s| {
            Ok((
                s.list_sessions(user.org_id, user.id, Utc::now())?,
                s.two_factor(user.org_id, user.id)?,
            ))
        })
        .await
        .unwrap_or_default();
    // A new key for turning two-step sign-in on: kept only if a code of it comes back.
    let mut fresh = [0u8; dosvid_domain::totp::SECRET_BYTES];
    let secret = getrandom::fill(&mut fresh)
        .ok()
        .map(|()| dosvid_domain::totp::encode_secret(&fresh));
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (w.title) }
        p { (signed.user().name) " · " (signed.user().email) }
        @if let Some(message) = &error { p.error role="alert" { (message) } }
        h2 { (w.sessions) }
        table {
            thead { tr { th { (w.started) } th { (w.ends) } th {} } }
            tbody { @for s in &sessions {
                tr {
                    td { (s.created_at.format("%Y-%m-%d %H:%M")) }
                    td { (s.expires_at.format("%Y-%m-%d %H:%M")) }
                    td {
                        @if s.id == signed.session.id { strong { (w.this_session) } }
                        @else {
                            form.inline method="post" action="/me/sessions/end" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="id" value=(s.id);
                                button.secondary.small type="submit" { (w.end) }
                            }
                        }
                    }
                }
            } }
        }
        @if sessions.len() > 1 {
            form.inline method="post" action="/me/sessions/end" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="id" value="others";
                button.secondary.small type="submit" { (w.end_others) }
            }
        }
        h2 { (w.change_password) }
        form.fields method="post" action="/me/password" {
            input type="hidden" name="csrf" value=(csrf);
            label for="current" { (w.current_password) }
            input #current type="password" name="current" autocomplete="current-password" required;
            label for="new" { (w.new_password) }
            input #new type="password" name="new" autocomplete="new-password" required;
            label for="again" { (w.repeat_password) }
            input #again type="password" name="again" autocomplete="new-password" required;
            div.buttons { button.primary type="submit" { (w.change_password) } }
        }
        h2 { (w.two_factor) }
        @if two_factor {
            p { (w.two_factor_on) }
            form.fields method="post" action="/me/two-factor" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="off" value="1";
                label for="off_password" { (w.current_password) }
                input #off_password type="password" name="current" autocomplete="current-password" required;
                div.buttons { button.secondary type="submit" { (w.turn_off) } }
            }
        } @else if let Some(secret) = &secret {
            p { (w.two_factor_off) }
            form.fields method="post" action="/me/two-factor" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="secret" value=(secret);
                p { (w.secret_hint) }
                p { code.secret #totp_secret { (secret) } }
                p.meta { code { (dosvid_domain::totp::uri("Dosvid", &signed.user().email, secret)) } }
                label for="totp_code" { (w.code) }
                input #totp_code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required;
                div.buttons { button.primary type="submit" { (w.turn_on) } }
            }
        }
    };
    html_response(status, app_page(signed, "/me/account", w.title, body))
}

/// A post's form when it is the session's own (its CSRF token); otherwise the account page
/// saying the form expired.
async fn own_form(state: &AppState, signed: &SignedIn, body: &[u8]) -> Result<Form, Response> {
    let form = Form::parse(body);
    if form.one("csrf") == Some(signed.session.csrf.as_str()) {
        return Ok(form);
    }
    let expired = signed.lang().ui().form_expired.to_owned();
    Err(page(state, signed, Some(expired), StatusCode::FORBIDDEN).await)
}

/// Ends one of the person's other sessions, or all of them.
pub async fn end_sessions(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match own_form(&state, &signed, &body).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let _ = headers;
    let user = signed.user().clone();
    let current = signed.session.id.clone();
    let id = form.one("id").unwrap_or_default().to_owned();
    let ended = state
        .run(move |s| {
            let one = (id != "others").then_some(id.as_str());
            s.end_sessions(user.org_id, user.id, one, Some(&current))
        })
        .await;
    match ended {
        Ok(_) => redirect("/me/account"),
        Err(e) => page(&state, &signed, Some(e.page_message()), e.status).await,
    }
}

/// Changes the person's password; every session ends, this one too (sign in again).
pub async fn change_password(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let w = words(signed.lang());
    let form = match own_form(&state, &signed, &body).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let (current, new, again) = (
        form.one("current").unwrap_or_default().to_owned(),
        form.one("new").unwrap_or_default().to_owned(),
        form.one("again").unwrap_or_default().to_owned(),
    );
    if new != again {
        return page(
            &state,
            &signed,
            Some(w.differ.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let user = signed.user().clone();
    let changed = state
        .run(move |s| {
            if !s.password_is(user.org_id, user.id, &current)? {
                return Ok(false);
            }
            s.set_password(user.org_id, user.id, &new)?;
            Ok(true)
        })
        .await;
    match changed {
        Ok(true) => redirect("/login"),
        Ok(false) => {
            page(
                &state,
                &signed,
                Some(w.wrong_current.into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => page(&state, &signed, Some(e.page_message()), e.status).await,
    }
}

/// Turns the person's two-step sign-in on (with a code of the new key, so that the key is in
/// their app) or off (with their current password).
pub async fn two_factor(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let w = words(signed.lang());
    let form = match own_form(&state, &signed, &body).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let user = signed.user().clone();
    let changed = if form.one("off").is_some() {
        let current = form.one("current").unwrap_or_default().to_owned();
        state
            .run(move |s| {
                if !s.password_is(user.org_id, user.id, &current)? {
                    return Ok(Some(w.wrong_current));
                }
                s.set_two_factor(user.org_id, user.id, None)?;
                Ok(None)
            })
            .await
    } else {
        let secret = form.one("secret").unwrap_or_default().to_owned();
        let code = form.one("code").unwrap_or_default().to_owned();
        let matches = dosvid_domain::totp::decode_secret(&secret).is_some_and(|key| {
            dosvid_domain::totp::matching_step(&key, &code, Utc::now().timestamp()).is_some()
        });
        if !matches {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&state, &signed, Some(w.wrong_code.into()), status).await;
        }
        state
            .run(move |s| {
                s.set_two_factor(user.org_id, user.id, Some(&secret))?;
                Ok(None)
            })
            .await
    };
    match changed {
        Ok(None) => redirect("/me/account"),
        Ok(Some(message)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(&state, &signed, Some(message.into()), status).await
        }
        Err(e) => page(&state, &signed, Some(e.page_message()), e.status).await,
    }
}

/// An administrator gives a person a new password (shown once); their sessions end, and their
/// two-step sign-in is turned off (the usual reason is a lost phone).
pub async fn reset_password(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let ui = signed.lang().ui();
    let form = Form::parse(&body);
    if let Some(message) = refusal(&signed, &headers, &form, Action::Administer) {
        let body = html! { h1 { (ui.settings) } p.error role="alert" { (message) } };
        return html_response(
            StatusCode::FORBIDDEN,
            app_page(&signed, "/settings", ui.settings, body),
        );
    }
    let org = signed.user().org_id;
    let id: i64 = id.parse().unwrap_or(0);
    let made = state
        .run(move |s| {
            let password = dosvid_store::generate_password()?;
            s.set_password(org, id, &password)?;
            s.set_two_factor(org, id, None)?;
            let email = s
                .list_users(org)?
                .into_iter()
                .find(|u| u.id == id)
                .map(|u| u.email)
                .unwrap_or_default();
            Ok((email, password))
        })
        .await;
    let body = match made {
        Ok((email, password)) => html! {
            h1 { (words(signed.lang()).reset_password) ": " (email) }
            p.notice { (ui.shown_once) } p { code.secret { (password) } }
            p { a href="/settings" { "← " (ui.settings) } }
        },
        Err(e) => html! { h1 { (ui.settings) } p.error role="alert" { (e.page_message()) } },
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/settings", ui.settings, body),
    )
}
