//! The signed-in application: sign-in and sign-out, the home page, the agent's form for logging
//! a complaint or a review, and the interface language. A session is a cookie (HttpOnly,
//! SameSite=Lax, Secure behind an https public address) naming a stored session; every form
//! carries the session's CSRF token, and a post whose `Origin` is another site is refused.

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use chrono::Utc;
use dosvid_domain::audit::{ActorKind, AuditEntry, AuditFilter, AuditKind};
use dosvid_domain::user::{Action, User};
use dosvid_domain::{Channel, Localize, Touchpoint};
use dosvid_store::{Filter, SESSION_HOURS, Session, all_pages};
use maud::{Markup, html};
use serde::Deserialize;

use super::error::PageError;
use super::{Form, Lang, html_response, page};
use crate::AppState;
use crate::application::Operation;
use crate::complaints::{ComplaintInput, ComplaintKind, ComplaintLogged, Severity};

const COOKIE: &str = "dosvid_session";

/// Who is signed in, set by [`require_user`].
#[derive(Clone)]
pub struct SignedIn {
    pub session: Session,
    /// What the person may see: their unit's records, an agent's own, or the whole organisation.
    pub principal: crate::access::Principal,
}

impl SignedIn {
    pub(super) fn user(&self) -> &User {
        &self.session.user
    }

    /// Whether the signed-in person's role may do `action` ([`Role::may`], the one table).
    pub(super) fn may(&self, action: Action) -> bool {
        self.session.user.role.may(action)
    }

    pub(super) fn lang(&self) -> Lang {
        Lang::parse(&self.session.user.language).unwrap_or(Lang::Uk)
    }
}

/// The pages that need a signed-in user (sign-in itself is routed with the public pages).
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", axum::routing::get(super::dashboard::overview))
        .route(
            "/journey",
            axum::routing::get(super::dashboard::journey_map),
        )
        .route(
            "/touchpoints/{id}",
            axum::routing::get(super::dashboard::touchpoint),
        )
        .route("/feedback", axum::routing::get(super::explorer::explorer))
        .route(
            "/feedback/export.csv",
            axum::routing::get(super::explorer::export),
        )
        .route("/insights", axum::routing::get(super::insights::show))
        .route(
            "/insights/retention",
            axum::routing::get(super::retention::show),
        )
        .route(
            "/insights/compare",
            axum::routing::get(super::compare::show),
        )
        .route("/strategy", axum::routing::get(super::strategy::overview))
        .route(
            "/strategy/goals",
            axum::routing::post(super::strategy::create_goal),
        )
        .route(
            "/strategy/initiatives",
            axum::routing::post(super::strategy::create_initiative),
        )
        .route(
            "/strategy/initiatives/{id}",
            axum::routing::get(super::strategy::initiative),
        )
        .route(
            "/strategy/initiatives/{id}/status",
            axum::routing::post(super::strategy::set_status),
        )
        .route(
            "/strategy/cycles",
            axum::routing::post(super::strategy::create_cycle),
        )
        .route(
            "/strategy/cycles/{id}",
            axum::routing::get(super::strategy::cycle),
        )
        .route(
            "/strategy/cycles/{id}/stages/{stage}",
            axum::routing::post(super::strategy::update_stage),
        )
        .route("/diagnosis", axum::routing::get(super::diagnosis::overview))
        .route(
            "/diagnosis/assessments",
            axum::routing::post(super::diagnosis::create_assessment),
        )
        .route(
            "/diagnosis/assessments/{id}",
            axum::routing::get(super::diagnosis::assessment),
        )
        .route(
            "/diagnosis/assessments/{id}/answers",
            axum::routing::post(super::diagnosis::answer),
        )
        .route(
            "/diagnosis/assessments/{id}/link",
            axum::routing::post(super::diagnosis::make_link),
        )
        .route(
            "/diagnosis/thresholds",
            axum::routing::post(super::diagnosis::set_thresholds),
        )
        .route(
            "/diagnosis/standards",
            axum::routing::post(super::diagnosis::create_standard),
        )
        .route(
            "/diagnosis/promises",
            axum::routing::post(super::diagnosis::create_promise),
        )
        .route(
            "/diagnosis/studies",
            axum::routing::get(super::research::studies).post(super::research::create_study),
        )
        .route(
            "/diagnosis/studies/{id}",
            axum::routing::get(super::research::study),
        )
        .route(
            "/diagnosis/templates",
            axum::routing::get(super::research::templates).post(super::research::create_template),
        )
        .route(
            "/diagnosis/templates/{id}",
            axum::routing::get(super::research::template).post(super::research::update_template),
        )
        .route(
            "/diagnosis/templates/{id}/markdown",
            axum::routing::get(super::research::template_markdown),
        )
        .route(
            "/diagnosis/{kind}/{id}/delete",
            axum::routing::post(super::diagnosis::delete_document),
        )
        .route("/agents/{agent}", axum::routing::get(super::agent::show))
        .route("/me", axum::routing::get(super::agent::mine))
        .route("/me/account", axum::routing::get(super::account::show))
        .route(
            "/me/sessions/end",
            axum::routing::post(super::account::end_sessions),
        )
        .route(
            "/me/password",
            axum::routing::post(super::account::change_password),
        )
        .route(
            "/me/two-factor",
            axum::routing::post(super::account::two_factor),
        )
        .route(
            "/settings/users/{id}/password",
            axum::routing::post(super::account::reset_password),
        )
        .route("/cases", axum::routing::get(super::cases::inbox))
        .route("/cases/metrics", axum::routing::get(super::cases::metrics))
        .route(
            "/cases/{id}",
            axum::routing::get(super::cases::show).post(super::cases::update),
        )
        .route(
            "/cases/{id}/events",
            axum::routing::post(super::cases::add_event),
        )
        .route("/customers", axum::routing::get(super::customers::list))
        .route(
            "/customers/{id}",
            axum::routing::get(super::customers::show),
        )
        .route(
            "/customers/duplicates",
            axum::routing::get(super::duplicates::show),
        )
        .route(
            "/customers/{id}/merge/{other}",
            axum::routing::post(super::duplicates::merge),
        )
        .route(
            "/customers/merges/{id}/undo",
            axum::routing::post(super::duplicates::undo),
        )
        .route(
            "/customers/{id}/erase",
            axum::routing::post(super::customers::erase),
        )
        .route(
            "/customers/{id}/{file}",
            axum::routing::get(super::customers::export),
        )
        .route("/surveys", axum::routing::get(super::surveys::list))
        .route(
            "/surveys/new",
            axum::routing::get(super::surveys::new_form).post(super::surveys::create),
        )
        .route("/surveys/{id}", axum::routing::get(super::surveys::show))
        .route(
            "/surveys/{id}/status",
            axum::routing::post(super::surveys::set_status),
        )
        .route(
            "/surveys/{id}/definition",
            axum::routing::post(super::surveys::save_definition),
        )
        .route(
            "/surveys/{id}/questions",
            axum::routing::post(super::surveys::add_question),
        )
        .route(
            "/surveys/{id}/questions/{question}/{action}",
            axum::routing::post(super::surveys::question_action),
        )
        .route(
            "/surveys/{id}/invite",
            axum::routing::post(super::surveys::invite),
        )
        .route(
            "/surveys/{id}/responses.csv",
            axum::routing::get(super::surveys::responses_csv),
        )
        .route("/settings", axum::routing::get(super::settings::show))
        .route("/settings/audit", axum::routing::get(super::audit::show))
        .route(
            "/settings/units",
            axum::routing::get(super::units::show).post(super::units::create),
        )
        .route(
            "/settings/units/rules",
            axum::routing::post(super::units::add_rule),
        )
        .route(
            "/settings/units/{id}/delete",
            axum::routing::post(super::units::delete),
        )
        .route(
            "/settings/rules",
            axum::routing::get(super::rules::show).post(super::rules::create),
        )
        .route(
            "/settings/rules/{id}/toggle",
            axum::routing::post(super::rules::toggle),
        )
        .route(
            "/settings/rules/{id}/delete",
            axum::routing::post(super::rules::delete),
        )
        .route(
            "/settings/webhooks",
            axum::routing::get(super::webhooks::show).post(super::webhooks::create),
        )
        .route(
            "/settings/webhooks/{id}/toggle",
            axum::routing::post(super::webhooks::toggle),
        )
        .route(
            "/settings/webhooks/{id}/delete",
            axum::routing::post(super::webhooks::delete),
        )
        .route(
            "/settings/webhooks/deliveries/{id}/retry",
            axum::routing::post(super::webhooks::retry),
        )
        .route(
            "/settings/journey",
            axum::routing::get(super::journey::show),
        )
        .route(
            "/settings/stages",
            axum::routing::post(super::journey::add_stage),
        )
        .route(
            "/settings/stages/{id}",
            axum::routing::post(super::journey::rename_stage),
        )
        .route(
            "/settings/touchpoints",
            axum::routing::post(super::journey::add_touchpoint),
        )
        .route(
            "/settings/touchpoints/{id}",
            axum::routing::post(super::journey::update_touchpoint),
        )
        .route(
            "/settings/touchpoints/{id}/move",
            axum::routing::post(super::journey::move_touchpoint),
        )
        .route(
            "/settings/touchpoints/{id}/delete",
            axum::routing::post(super::journey::delete_touchpoint),
        )
        .route(
            "/settings/channels",
            axum::routing::post(super::journey::add_channel),
        )
        .route(
            "/settings/users",
            axum::routing::post(super::settings::add_user),
        )
        .route(
            "/settings/keys",
            axum::routing::post(super::settings::add_key),
        )
        .route(
            "/settings/keys/revoke",
            axum::routing::post(super::settings::revoke_key),
        )
        .route(
            "/settings/survey-secret",
            axum::routing::post(super::settings::rotate_survey_secret),
        )
        .route(
            "/complaints/new",
            axum::routing::get(complaint_form).post(complaint_post),
        )
        .route("/me/language", axum::routing::post(set_language))
        .route("/logout", axum::routing::post(logout))
        // Inside the session check, which names the actor.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::audit::record,
        ))
        .route_layer(axum::middleware::from_fn_with_state(state, require_user))
}

fn cookie_secret(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

fn cookie_value(headers: &HeaderMap, cookie: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == cookie && !value.is_empty()).then(|| value.to_owned())
        })
}

pub(super) fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// Admits only a signed-in user; anyone else is sent to the sign-in page.
pub async fn require_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let session = match cookie_secret(req.headers()) {
        Some(secret) => state
            .run(move |s| s.session(&secret, Utc::now()))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some(session) = session else {
        let path = req.uri().path();
        let next = if req.method() == axum::http::Method::GET && path != "/" {
            format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            )
        } else {
            "/login".to_owned()
        };
        return redirect(&next);
    };
    req.extensions_mut().insert(crate::audit::Actor {
        org: session.user.org_id,
        kind: ActorKind::User,
        name: Some(session.user.email.clone()),
    });
    let principal = state.principal_of_user(&session.user).await;
    let template = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or(req.uri().path(), axum::extract::MatchedPath::as_str);
    let refused = !principal.is_whole() && refused_to_units(template);
    let signed = SignedIn { session, principal };
    if refused {
        let w = super::units::words(signed.lang());
        let ui = signed.lang().ui();
        let body = maud::html! {
            h1 { (w.title) }
            p.error role="alert" { (ui.not_allowed) }
            p { (w.whole_only) }
        };
        return html_response(StatusCode::FORBIDDEN, app_page(&signed, "/", w.title, body));
    }
    req.extensions_mut().insert(signed);
    next.run(req).await
}

/// The pages that read or change records of the whole organisation — settings (people, keys,
/// units, rules, webhooks, the audit log), duplicates and merges across customers, survey
/// responses and invitations — refused to a person of a unit or an agent (`crate::access`).
fn refused_to_units(template: &str) -> bool {
    const REFUSED: [&str; 5] = [
        "/customers/duplicates",
        "/customers/{id}/merge/{other}",
        "/customers/merges/{id}/undo",
        "/surveys/{id}/responses.csv",
        "/surveys/{id}/invite",
    ];
    template == "/settings" || template.starts_with("/settings/") || REFUSED.contains(&template)
}

/// Whether the form is the session's own. (A post from another site was refused before it got
/// here: `super::refuse_foreign_origin`.)
pub(super) fn csrf_ok(form: &Form, _headers: &HeaderMap, signed: &SignedIn) -> bool {
    form.one("csrf") == Some(signed.session.csrf.as_str())
}

/// A post's form once [`refusal`] admits it for `action`; otherwise the refusal's message.
pub(super) fn admitted(
    signed: &SignedIn,
    headers: &HeaderMap,
    body: &[u8],
    action: Action,
) -> Result<Form, &'static str> {
    let form = Form::parse(body);
    match refusal(signed, headers, &form, action) {
        Some(message) => Err(message),
        None => Ok(form),
    }
}

/// Why a post from a signed-in page is refused: the user's role may not do `action`, or the form
/// is not the session's own (its CSRF token, its origin). `None` admits it.
pub(super) fn refusal(
    signed: &SignedIn,
    headers: &HeaderMap,
    form: &Form,
    action: Action,
) -> Option<&'static str> {
    let ui = signed.lang().ui();
    if !signed.may(action) {
        Some(ui.not_allowed)
    } else if !csrf_ok(form, headers, signed) {
        Some(ui.form_expired)
    } else {
        None
    }
}

/// Makes the change an admitted form asks for, as an operation of the signed-in person
/// (`crate::application`) on a blocking thread; the error is the status and the message
/// (naming the field) to show on the page.
pub(super) async fn run_change<T: Send + 'static>(
    state: &AppState,
    signed: &SignedIn,
    headers: &HeaderMap,
    form: Form,
    action: Action,
    make: impl FnOnce(&Operation, &Form) -> Result<T, crate::ApiError> + Send + 'static,
) -> Result<T, (StatusCode, String)> {
    if let Some(message) = refusal(signed, headers, &form, action) {
        return Err((StatusCode::FORBIDDEN, message.to_owned()));
    }
    state
        .operate(&signed.principal, move |op| make(op, &form))
        .await
        .map_err(|e| (e.status, e.page_message()))
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// Only a path on this server may follow the sign-in.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or("/")
}

/// The cookie a sign-in form's token is checked against (double submit): a page of another site
/// can post to `/login` but can neither read this cookie nor set it.
const LOGIN_COOKIE: &str = "dosvid_login";

/// The sign-in page with a fresh form token, and the cookie that carries it.
fn login_page(
    lang: Lang,
    next: &str,
    error: Option<&str>,
    email: &str,
    status: StatusCode,
) -> Response {
    let mut bytes = [0u8; 16];
    if let Err(e) = getrandom::fill(&mut bytes) {
        return crate::ApiError::internal(format!("no randomness for a form token: {e}"))
            .into_response();
    }
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut response = html_response(status, login_markup(lang, next, error, email, &token));
    let cookie =
        format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=86400");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn login_markup(lang: Lang, next: &str, error: Option<&str>, email: &str, token: &str) -> Markup {
    let ui = lang.ui();
    page(
        lang,
        ui.sign_in_title,
        html! {
            h1 { (ui.sign_in_title) }
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form.fields method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label for="email" { (ui.email) }
                input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                label for="password" { (ui.password) }
                input #password type="password" name="password" autocomplete="current-password" required;
                label for="code" { (super::account::words(lang).code) }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code";
                div.buttons { button.primary type="submit" { (ui.sign_in) } }
            }
        },
    )
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<NextParam>,
) -> Response {
    let lang = Lang::from_accept(&headers);
    // Already signed in: straight on.
    if let Some(secret) = cookie_secret(&headers)
        && let Ok(Some(_)) = state.run(move |s| s.session(&secret, Utc::now())).await
    {
        return redirect(safe_next(params.next.as_deref()));
    }
    let next = safe_next(params.next.as_deref()).to_owned();
    login_page(lang, &next, None, "", StatusCode::OK)
}

/// Failed sign-ins to one account within [`LOCKOUT_MINUTES`] that close it for that long.
const LOCKOUT_FAILURES: u32 = 5;
const LOCKOUT_MINUTES: i64 = 15;

pub async fn login_post(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = Lang::from_accept(&headers);
    let form = Form::parse(&body);
    let next = safe_next(form.one("next")).to_owned();
    let token = cookie_value(&headers, LOGIN_COOKIE);
    if token.is_none() || form.one("csrf") != token.as_deref() {
        let expired = Some(lang.ui().form_expired);
        return login_page(lang, &next, expired, "", StatusCode::FORBIDDEN);
    }
    let email = form.one("email").unwrap_or_default().to_owned();
    let password = form.one("password").unwrap_or_default().to_owned();
    let code = form.text("code");
    let attempt = email.clone();
    let attempt_email = email.clone();
    let address = crate::audit::client_address(&state, &extensions, &headers);
    // An account that keeps failing is closed for a while, whatever address the tries come
    // from: the audit log counts them.
    let tried = email.trim().to_lowercase();
    let locked = state
        .run(move |s| {
            let org = match s.organisation_of(&tried)? {
                Some(org) => org,
                None => s.default_org()?,
            };
            let recent = AuditFilter {
                kind: Some(AuditKind::FailedSignIn),
                actor: Some(tried.clone()),
                from: Some(Utc::now() - chrono::Duration::minutes(LOCKOUT_MINUTES)),
                ..Default::default()
            };
            let failures = s
                .list_audit(
                    org,
                    &recent,
                    dosvid_store::PageRequest::first(LOCKOUT_FAILURES),
                )?
                .items
                .into_iter()
                .filter(|e| {
                    e.actor.as_deref().map(|a| a.trim().to_lowercase()) == Some(tried.clone())
                })
                .count();
            Ok(failures >= LOCKOUT_FAILURES as usize)
        })
        .await
        .unwrap_or(false);
    if locked {
        let message = Some(lang.ui().too_many_attempts);
        return login_page(lang, &next, message, &email, StatusCode::TOO_MANY_REQUESTS);
    }
    let signed = state
        .run(move |s| {
            let signed = s.sign_in(&attempt, &password, code.as_deref(), Utc::now())?;
            // A failed attempt is the organisation's whose person it names (or the first's).
            let org = match &signed {
                Some((user, _)) => user.org_id,
                None => match s.organisation_of(&attempt_email)? {
                    Some(org) => org,
                    None => s.default_org()?,
                },
            };
            Ok((signed, org))
        })
        .await;
    if let Ok((signed, org)) = &signed {
        let (kind, actor_kind, status) = match signed {
            Some(_) => (AuditKind::SignIn, ActorKind::User, StatusCode::SEE_OTHER),
            None => (
                AuditKind::FailedSignIn,
                ActorKind::Anonymous,
                StatusCode::UNAUTHORIZED,
            ),
        };
        let entry = AuditEntry {
            id: 0,
            at: Utc::now(),
            kind,
            actor_kind,
            actor: Some(email.chars().take(200).collect()),
            address: Some(address.to_string()),
            action: "sign in".into(),
            object: None,
            status: status.as_u16(),
        };
        crate::audit::append(&state, *org, entry).await;
    }
    match signed.map(|(signed, _)| signed) {
        Ok(Some((_, secret))) => {
            let secure = state
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"));
            let cookie = format!(
                "{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                SESSION_HOURS * 3600,
                if secure { "; Secure" } else { "" }
            );
            let mut response = redirect(&next);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(None) => {
            let wrong = Some(lang.ui().wrong_password);
            login_page(lang, &next, wrong, &email, StatusCode::UNAUTHORIZED)
        }
        Err(e) => PageError::from(e).page(lang),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !csrf_ok(&Form::parse(&body), &headers, &signed) {
        return redirect("/");
    }
    if let Some(secret) = cookie_secret(&headers) {
        let _ = state.run(move |s| s.end_session(&secret)).await;
    }
    let mut response = redirect("/login");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("dosvid_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

pub async fn set_language(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if csrf_ok(&form, &headers, &signed)
        && let Some(lang) = form.one("language").and_then(Lang::parse)
    {
        let user = signed.user().clone();
        let _ = state
            .run(move |s| s.set_user_language(user.org_id, user.id, lang.code()))
            .await;
    }
    redirect(safe_next(form.one("next")))
}

/// The frame of a signed-in page: the bar with the user, the language and sign-out.
pub(super) fn app_page(signed: &SignedIn, here: &str, title: &str, body: Markup) -> Markup {
    let (lang, ui) = (signed.lang(), signed.lang().ui());
    let csrf = &signed.session.csrf;
    page(
        lang,
        title,
        html! {
            nav.bar aria-label=(ui.app) {
                a.brand href="/" { (ui.app) }
                @for (path, name) in [("/", ui.overview), ("/journey", ui.journey_map), ("/insights", ui.insights), ("/strategy", super::strategy::words(lang).title), ("/diagnosis", super::diagnosis::words(lang).title), ("/feedback", ui.feedback), ("/cases", ui.cases), ("/customers", ui.customers), ("/surveys", ui.surveys), ("/complaints/new", ui.log_complaint), ("/me", ui.my_feedback), ("/settings", ui.settings)]
                    .into_iter()
                    .filter(|(path, _)| *path != "/settings" || signed.may(Action::Administer))
                    .filter(|(path, _)| *path != "/me" || signed.user().agent.is_some()) {
                    a href=(path) aria-current=[(here == path).then_some("page")] { (name) }
                }
                span.grow {}
                form.inline method="post" action="/me/language" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value=(here);
                    label.visually-hidden for="language" { (ui.interface_language) }
                    select #language name="language" {
                        @for l in [Lang::Uk, Lang::En, Lang::Ru] {
                            option value=(l.code()) selected[l == lang] { (l.name()) }
                        }
                    }
                    button.secondary.small type="submit" { (ui.change) }
                }
                a href="/me/account" aria-current=[(here == "/me/account").then_some("page")] { (super::account::words(lang).title) }
                form.inline method="post" action="/logout" {
                    input type="hidden" name="csrf" value=(csrf);
                    button.secondary.small type="submit" title=(signed.user().email) { (ui.sign_out) }
                }
            }
            (body)
        },
    )
}

/// The choices of the complaint form: the organisation's channels and touchpoints.
async fn choices(state: &AppState, org: i64, lang: Lang) -> (Vec<Channel>, Vec<Touchpoint>) {
    state
        .run(move |s| {
            let mut channels = all_pages(|p| s.list_channels(org, p))?;
            let mut touchpoints = all_pages(|p| s.list_touchpoints(org, &Filter::default(), p))?;
            channels.localize(lang.code());
            touchpoints.localize(lang.code());
            Ok((channels, touchpoints))
        })
        .await
        .unwrap_or_default()
}

/// How deep a touchpoint sits in its tree (0 at the top).
pub(super) fn touchpoint_depth(t: &Touchpoint, all: &[Touchpoint]) -> usize {
    let mut depth = 0;
    let mut parent = t.parent_id;
    while let Some(id) = parent.filter(|_| depth < 10) {
        depth += 1;
        parent = all.iter().find(|p| p.id == id).and_then(|p| p.parent_id);
    }
    depth
}

fn complaint_page(
    signed: &SignedIn,
    (channels, touchpoints): &(Vec<Channel>, Vec<Touchpoint>),
    form: Option<&Form>,
    outcome: Option<Result<&ComplaintLogged, String>>,
) -> Markup {
    let ui = signed.lang().ui();
    let value = |name: &str| {
        form.and_then(|f| f.one(name))
            .unwrap_or_default()
            .to_owned()
    };
    let kept = |name: &str, v: &str| form.and_then(|f| f.one(name)) == Some(v);
    let severity = form.and_then(|f| f.one("severity")).unwrap_or("medium");
    let kind = form.and_then(|f| f.one("kind")).unwrap_or("complaint");
    let body = html! {
        h1 { (ui.log_complaint) }
        p.intro { (ui.log_complaint_hint) }
        @match &outcome {
            Some(Ok(logged)) => {
                div.notice role="status" {
                    p { strong { ((ui.logged)(logged.feedback_id)) } }
                    p {
                        (ui.language_read) ": " (logged.language.as_deref().unwrap_or("—")) " · "
                        (ui.sentiment) ": "
                        (logged.sentiment.map_or("—", |s| ui.sentiment_of(s)))
                        @if !logged.themes.is_empty() { " · " (ui.themes) ": " (logged.themes.join(", ")) }
                    }
                }
            }
            Some(Err(message)) => { p.error role="alert" { (message) } }
            None => {}
        }
        form.fields method="post" action="/complaints/new" {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            fieldset {
                legend { (ui.kind_of_record) }
                div.choices.row {
                    label { input type="radio" name="kind" value="complaint" checked[kind == "complaint"]; span { (ui.complaint) } }
                    label { input type="radio" name="kind" value="review" checked[kind == "review"]; span { (ui.review) } }
                }
            }
            fieldset {
                legend { (ui.customer) }
                p.hint { (ui.customer_hint) }
                label for="customer_email" { (ui.email) }
                input #customer_email type="email" name="customer_email" value=(value("customer_email"));
                label for="customer_phone" { (ui.phone) }
                input #customer_phone type="tel" name="customer_phone" value=(value("customer_phone"));
                label for="customer_external_id" { (ui.crm_id) }
                input #customer_external_id type="text" name="customer_external_id" value=(value("customer_external_id"));
            }
            label for="channel" { (ui.channel) }
            select #channel name="channel" {
                option value="" { (ui.not_given) }
                @for c in channels { option value=(c.key) selected[kept("channel", &c.key)] { (c.name) } }
            }
            label for="touchpoint" { (ui.touchpoint) }
            select #touchpoint name="touchpoint" {
                option value="" { (ui.not_given) }
                @for t in touchpoints {
                    option value=(t.key) selected[kept("touchpoint", &t.key)] {
                        ("\u{a0}\u{a0}\u{a0}".repeat(touchpoint_depth(t, touchpoints))) (t.name)
                    }
                }
            }
            label for="text" { (ui.what_they_said) }
            textarea #text name="text" required maxlength="10000" { (value("text")) }
            label for="severity" { (ui.severity) }
            select #severity name="severity" {
                @for (s, name) in Severity::ALL.iter().zip(ui.severities) {
                    option value=(s.as_str()) selected[severity == s.as_str()] { (name) }
                }
            }
            label for="rating" { (ui.rating) }
            input #rating type="number" name="rating" min="1" max="5" value=(value("rating"));
            div.buttons { button.primary type="submit" { (ui.save) } }
        }
        @if outcome.as_ref().is_some_and(|o| o.is_ok()) {
            p { a href="/complaints/new" { (ui.log_another) } }
        }
    };
    app_page(signed, "/complaints/new", ui.log_complaint, body)
}

pub async fn complaint_form(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    let choices = choices(&state, signed.user().org_id, signed.lang()).await;
    html_response(
        StatusCode::OK,
        complaint_page(&signed, &choices, None, None),
    )
}

pub async fn complaint_post(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let ui = signed.lang().ui();
    let choices = choices(&state, signed.user().org_id, signed.lang()).await;
    let refuse = |status, message: &str| {
        html_response(
            status,
            complaint_page(
                &signed,
                &choices,
                Some(&form),
                Some(Err(message.to_owned())),
            ),
        )
    };
    if let Some(message) = refusal(&signed, &headers, &form, Action::RecordFeedback) {
        return refuse(StatusCode::FORBIDDEN, message);
    }
    let rating = match form.text("rating").map(|r| r.parse::<i64>()) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(_)) => {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("{}: 1–5", ui.rating),
            );
        }
    };
    let input = ComplaintInput {
        kind: if form.one("kind") == Some("review") {
            ComplaintKind::Review
        } else {
            ComplaintKind::Complaint
        },
        customer_id: None,
        customer_external_id: form.text("customer_external_id"),
        customer_email: form.text("customer_email"),
        customer_phone: form.text("customer_phone"),
        touchpoint: form.text("touchpoint"),
        channel: form.text("channel"),
        text: form.one("text").unwrap_or_default().to_owned(),
        severity: Severity::ALL
            .into_iter()
            .find(|s| form.one("severity") == Some(s.as_str()))
            .unwrap_or_default(),
        occurred_at: None,
        rating_scale: rating.map(|_| 5),
        rating,
        agent: Some(signed.user().email.clone()),
        external_id: None,
    };
    let logged = state
        .operate(&signed.principal, move |op| {
            crate::complaints::log(op, input, Utc::now())
        })
        .await;
    match logged {
        Ok(logged) => html_response(
            StatusCode::CREATED,
            complaint_page(&signed, &choices, None, Some(Ok(&logged))),
        ),
        Err(e) if e.status.is_client_error() => {
            let field = e.field.clone().unwrap_or_default();
            refuse(e.status, &format!("{field}: {}", e.message))
        }
        Err(e) => PageError::from(e).page(signed.lang()),
    }
}
