//! The public survey page: one question per screen, plain HTML forms, progress, back and next,
//! answers saved on every step so the same link resumes where the respondent left.
//!
//! Links: `/s/{org}/{key}` is the survey's anonymous link; answering its first question starts
//! a response and moves to `/r/{token}`, the response's own signed link. `/p/{token}` is a
//! personal link from an invitation: it always leads to that invitation's one response. A
//! finished response cannot be answered again — its link shows the thank-you page (personal
//! links included: a second answer is refused, the first is kept as given).
//!
//! Every form carries a signed token bound to its page and question and to the time it was
//! shown, and a honeypot field people never see; a post with the honeypot filled is thanked
//! and dropped.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dosvid_domain::survey::{
    Answer, Answers, NewResponse, Question, QuestionKind, ResponseStatus, Survey, SurveyDefinition,
    SurveyResponse, SurveyStatus, parse_answer, response_feedback,
};
use dosvid_domain::survey_link::{LinkToken, Signer, peek_org};
use dosvid_domain::{OrgId, SignalInput};
use dosvid_store::{Store, StoreError};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Form, Lang, html_response, message_page, page};
use crate::AppState;
use crate::access::Principal;
use crate::analytics::Analytics;
use crate::application::Operation;
use crate::webhooks::Outbox;

#[derive(Deserialize)]
pub struct LangParam {
    lang: Option<String>,
}

/// How the page was reached.
#[derive(Clone)]
enum Entry {
    /// The anonymous link, before a response exists.
    Start { org: OrgId, key: String },
    /// A response's link (`r…`) or a personal link (`p…`).
    Token(String),
}

/// What a request ends in.
enum Outcome {
    Page(StatusCode, Markup),
    Message(StatusCode, Lang, fn(Lang) -> (&'static str, &'static str)),
    Redirect(String),
}

fn invalid_link(l: Lang) -> (&'static str, &'static str) {
    (l.t().invalid_link_title, l.t().invalid_link)
}
fn closed(l: Lang) -> (&'static str, &'static str) {
    (l.t().closed_title, l.t().closed)
}
fn thanks(l: Lang) -> (&'static str, &'static str) {
    (l.t().thanks_title, l.t().thanks)
}

pub async fn start(
    State(state): State<AppState>,
    Path((org, key)): Path<(String, String)>,
    Query(lang): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let Ok(org) = org.parse() else {
        return not_found(&headers);
    };
    handle(state, Entry::Start { org, key }, lang.lang, headers, None).await
}

pub async fn start_post(
    State(state): State<AppState>,
    Path((org, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(org) = org.parse() else {
        return not_found(&headers);
    };
    post(state, Entry::Start { org, key }, headers, body).await
}

pub async fn resume(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(lang): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    handle(state, Entry::Token(token), lang.lang, headers, None).await
}

pub async fn resume_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    post(state, Entry::Token(token), headers, body).await
}

fn not_found(headers: &HeaderMap) -> Response {
    let lang = Lang::from_accept(headers);
    let (title, message) = invalid_link(lang);
    message_page(StatusCode::NOT_FOUND, lang, title, message)
}

async fn post(
    state: AppState,
    entry: Entry,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let lang = Lang::from_accept(&headers);
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                lang.t().too_large
            } else {
                lang.t().invalid_answer
            };
            return message_page(status, lang, lang.t().invalid_link_title, message);
        }
    };
    let form = Form::parse(&body);
    let lang = form.one("lang").map(str::to_owned);
    handle(state, entry, lang, headers, Some(form)).await
}

async fn handle(
    state: AppState,
    entry: Entry,
    lang: Option<String>,
    headers: HeaderMap,
    form: Option<Form>,
) -> Response {
    let accepted = Lang::accepted(&headers);
    let fallback = Lang::from_accept(&headers);
    let outbox = state.outbox.clone();
    let outcome = state
        .write(move |store, analytics| {
            let languages = (lang.as_deref(), accepted.as_slice());
            respond(
                store,
                (analytics, &outbox),
                entry,
                languages,
                form.as_ref(),
                Utc::now(),
            )
        })
        .await;
    match outcome {
        Ok(Outcome::Page(status, markup)) => html_response(status, markup),
        Ok(Outcome::Message(status, lang, texts)) => {
            let (title, message) = texts(lang);
            message_page(status, lang, title, message)
        }
        Ok(Outcome::Redirect(to)) => {
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            let (title, message) = invalid_link(fallback);
            message_page(StatusCode::NOT_FOUND, fallback, title, message)
        }
        Err(e) => {
            let mut response = message_page(
                e.status,
                fallback,
                fallback.t().invalid_link_title,
                &e.message,
            );
            *response.status_mut() = e.status;
            response
        }
    }
}

/// The survey, the version being answered and the response, as the link names them.
struct Context {
    org: OrgId,
    survey: Survey,
    definition: SurveyDefinition,
    response: Option<SurveyResponse>,
    /// What form tokens are bound to, and where forms post to.
    scope: String,
    action: String,
    signer: Signer,
    lang: Lang,
}

fn lang_of(definition: &SurveyDefinition, wanted: &[&str]) -> Lang {
    Lang::parse(definition.language(wanted)).unwrap_or(Lang::Uk)
}

/// Reads what the link names. `Ok(Err(outcome))` is a refusal page. The page's language is the
/// one the link asks for (`?lang=`), else the one the response started in (or the invitation
/// names), else the browser's.
fn context(
    store: &dyn Store,
    entry: &Entry,
    explicit: Option<&str>,
    accepted: &[&str],
    now: DateTime<Utc>,
) -> dosvid_store::Result<Result<Context, Outcome>> {
    fn in_order<'a>(
        explicit: Option<&'a str>,
        remembered: Option<&'a str>,
        accepted: &[&'a str],
    ) -> Vec<&'a str> {
        let mut wanted: Vec<&str> = explicit.into_iter().chain(remembered).collect();
        wanted.extend_from_slice(accepted);
        wanted
    }
    let fallback = in_order(explicit, None, accepted)
        .iter()
        .find_map(|w| Lang::parse(w))
        .unwrap_or(Lang::Uk);
    let refuse = |status| Ok(Err(Outcome::Message(status, fallback, invalid_link)));
    match entry {
        Entry::Start { org, key } => {
            let survey = store.survey_by_key(*org, key)?;
            let signer = store.survey_secrets(*org)?.signer();
            let lang = lang_of(&survey.definition, &in_order(explicit, None, accepted));
            Ok(Ok(Context {
                org: *org,
                scope: format!("s{org}.{}", survey.id),
                action: format!("/s/{org}/{key}"),
                definition: survey.definition.clone(),
                survey,
                response: None,
                signer,
                lang,
            }))
        }
        Entry::Token(token) => {
            let Some(org) = peek_org(token) else {
                return refuse(StatusCode::NOT_FOUND);
            };
            let signer = store.survey_secrets(org)?.signer();
            let (response, survey, action) = match signer.verify(token, now) {
                Ok(LinkToken::Invitation { invitation, .. }) => {
                    let invitation = store.get_invitation(org, invitation)?;
                    let survey = store.get_survey(org, invitation.survey_id)?;
                    let wanted = in_order(explicit, invitation.language.as_deref(), accepted);
                    if survey.status != SurveyStatus::Active {
                        let lang = lang_of(&survey.definition, &wanted);
                        return Ok(Err(Outcome::Message(StatusCode::GONE, lang, closed)));
                    }
                    let response = store.start_response(
                        org,
                        NewResponse {
                            survey_id: survey.id,
                            version: survey.version,
                            invitation_id: Some(invitation.id),
                            customer_id: invitation.customer_id,
                            interaction_id: invitation.interaction_id,
                            language: survey.definition.language(&wanted).to_owned(),
                        },
                        now,
                    )?;
                    (response, survey, format!("/p/{token}"))
                }
                Ok(LinkToken::Response { response, .. }) => {
                    let response = store.get_response(org, response)?;
                    let survey = store.get_survey(org, response.survey_id)?;
                    (response, survey, format!("/r/{token}"))
                }
                // An assessment's link is answered on its own page.
                Ok(LinkToken::Assessment { .. }) | Err(_) => return refuse(StatusCode::FORBIDDEN),
            };
            let definition = if response.version == survey.version {
                survey.definition.clone()
            } else {
                store.survey_version(org, survey.id, response.version)?
            };
            let lang = lang_of(
                &definition,
                &in_order(explicit, Some(&response.language), accepted),
            );
            Ok(Ok(Context {
                org,
                survey,
                definition,
                scope: token.clone(),
                action,
                response: Some(response),
                signer,
                lang,
            }))
        }
    }
}

fn respond(
    store: &dyn Store,
    after: (&Analytics, &Outbox),
    entry: Entry,
    (explicit, accepted): (Option<&str>, &[&str]),
    form: Option<&Form>,
    now: DateTime<Utc>,
) -> dosvid_store::Result<Outcome> {
    let ctx = match context(store, &entry, explicit, accepted, now) {
        Ok(Ok(ctx)) => ctx,
        Ok(Err(outcome)) => return Ok(outcome),
        Err(StoreError::NotFound { .. }) => {
            let lang = explicit
                .into_iter()
                .chain(accepted.iter().copied())
                .find_map(Lang::parse)
                .unwrap_or(Lang::Uk);
            return Ok(Outcome::Message(StatusCode::NOT_FOUND, lang, invalid_link));
        }
        Err(e) => return Err(e),
    };
    let lang = ctx.lang;
    if let Some(response) = &ctx.response
        && response.status == ResponseStatus::Completed
    {
        // A finished response's link thanks; a post to it (a second answer) is refused.
        let page = thank_you(&ctx, form.is_some());
        let status = if form.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        };
        return Ok(Outcome::Page(status, page));
    }
    if ctx.survey.status != SurveyStatus::Active {
        return Ok(Outcome::Message(StatusCode::GONE, lang, closed));
    }
    let mut answers = ctx
        .response
        .as_ref()
        .map(|r| r.answers.clone())
        .unwrap_or_default();
    let current = match &ctx.response {
        Some(r) => r.position.map(|p| p as usize),
        None => ctx.definition.next_visible(None, &answers),
    };
    let Some(current) = current.filter(|&i| i < ctx.definition.questions.len()) else {
        // Nothing left to ask (every question hidden): the response is complete as it is.
        return finish(store, after, &ctx, answers, now);
    };
    let Some(form) = form else {
        return Ok(Outcome::Page(
            StatusCode::OK,
            question_page(&ctx, current, &answers, None, None, now),
        ));
    };
    if form.one("website").is_some_and(|v| !v.is_empty()) {
        // The honeypot: a person never sees this field. Thank the robot, keep nothing.
        return Ok(Outcome::Message(StatusCode::OK, lang, thanks));
    }
    let question = &ctx.definition.questions[current];
    let token_ok = form.one("q") == Some(question.id.as_str())
        && form.one("ft").is_some_and(|ft| {
            ctx.signer
                .verify_form(ft, &ctx.scope, &question.id, now)
                .is_ok()
        });
    if !token_ok {
        let page = question_page(
            &ctx,
            current,
            &answers,
            Some(lang.t().expired_form),
            None,
            now,
        );
        return Ok(Outcome::Page(StatusCode::FORBIDDEN, page));
    }
    let back = form.one("nav") == Some("back");
    let parsed = parse_answer(question, &form.all("a"), form.one("e"), form.one("p"));
    let answer = match parsed {
        Ok(answer) => answer,
        // Going back never needs a valid answer on the page being left.
        Err(_) if back => answers.get(&question.id).cloned(),
        Err(e) => {
            let message = if e.message.contains("needs an answer") {
                lang.t().required_error
            } else {
                lang.t().invalid_answer
            };
            let page = question_page(&ctx, current, &answers, Some(message), Some(form), now);
            return Ok(Outcome::Page(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    match answer {
        Some(answer) => answers.insert(question.id.clone(), answer),
        None => answers.remove(&question.id),
    };
    ctx.definition.prune(&mut answers);
    let next = if back {
        Some(
            ctx.definition
                .previous_visible(current, &answers)
                .unwrap_or(current),
        )
    } else {
        ctx.definition.next_visible(Some(current), &answers)
    };
    let response = match &ctx.response {
        Some(r) => r.clone(),
        None => store.start_response(
            ctx.org,
            NewResponse {
                survey_id: ctx.survey.id,
                version: ctx.survey.version,
                invitation_id: None,
                customer_id: None,
                interaction_id: None,
                language: lang.code().to_owned(),
            },
            now,
        )?,
    };
    let location = match &entry {
        Entry::Start { .. } => format!(
            "/r/{}",
            ctx.signer.response_token(ctx.org, response.id, now)
        ),
        Entry::Token(_) => ctx.action.clone(),
    };
    match next {
        Some(next) => {
            store.save_response(
                ctx.org,
                response.id,
                &answers,
                next as i64,
                lang.code(),
                now,
            )?;
        }
        None => {
            let ctx = Context {
                response: Some(response),
                ..ctx
            };
            finish(store, after, &ctx, answers, now)?;
        }
    }
    Ok(Outcome::Redirect(location))
}

/// Completes the response and stores the feedback record it becomes, then puts the record in
/// the analytics index so the metrics include it at once.
fn finish(
    store: &dyn Store,
    (analytics, outbox): (&Analytics, &Outbox),
    ctx: &Context,
    answers: Answers,
    now: DateTime<Utc>,
) -> dosvid_store::Result<Outcome> {
    let Some(response) = &ctx.response else {
        return Ok(Outcome::Message(StatusCode::OK, ctx.lang, thanks));
    };
    let feedback = match response_feedback(
        &ctx.definition,
        response.version,
        response.id,
        &answers,
        ctx.lang.code(),
    ) {
        Some(mut input) => {
            input.customer_id = response.customer_id;
            // A survey about a call or a visit is feedback on it: the agent comes with it.
            input.interaction_id = response.interaction_id;
            input.touchpoint_id = ctx.survey.touchpoint_id;
            input.channel_id = ctx.survey.channel_id;
            input.occurred_at = Some(now.to_rfc3339());
            let themes = analytics.themes(store, ctx.org)?;
            Some(input.validate(now, &themes).map_err(StoreError::Invalid)?)
        }
        None => None,
    };
    let respondent = Principal::whole(ctx.org);
    let op = Operation::new(store, analytics, outbox, &respondent);
    op.complete_response(response.id, &answers, feedback, now)?;
    Ok(Outcome::Redirect(ctx.action.clone()))
}

fn thank_you(ctx: &Context, second_answer: bool) -> Markup {
    let t = ctx.lang.t();
    let code = ctx.lang.code();
    let custom = ctx
        .definition
        .thanks
        .as_ref()
        .and_then(|texts| texts.get(code));
    let title = t.thanks_title;
    page(
        ctx.lang,
        title,
        html! {
            h1 { (title) }
            p { (custom.map_or(t.thanks, String::as_str)) }
            @if second_answer || ctx.response.as_ref().is_some_and(|r| r.invitation_id.is_some()) {
                p.intro { (t.already_answered) }
            }
        },
    )
}

fn text_in<'a>(
    texts: &'a dosvid_domain::survey::Texts,
    lang: Lang,
    def: &'a SurveyDefinition,
) -> &'a str {
    texts
        .get(lang.code())
        .or_else(|| texts.get(&def.languages[0]))
        .map_or("", String::as_str)
}

/// One screen: the question at `index`, with the answer already given (or the values just
/// typed, when they were refused).
fn question_page(
    ctx: &Context,
    index: usize,
    answers: &Answers,
    error: Option<&str>,
    typed: Option<&Form>,
    now: DateTime<Utc>,
) -> Markup {
    let (def, lang, t) = (&ctx.definition, ctx.lang, ctx.lang.t());
    let q = &def.questions[index];
    let title = text_in(&def.title, lang, def);
    // Progress counts the questions shown given the answers so far.
    let shown: Vec<usize> = (0..def.questions.len())
        .filter(|&i| i == index || def.visible(i, answers))
        .collect();
    let step = shown.iter().position(|&i| i == index).unwrap_or(0) + 1;
    let total = shown.len().max(step);
    let last = def.next_visible(Some(index), answers).is_none();
    let first = def.previous_visible(index, answers).is_none();
    let given = answers.get(&q.id);
    let typed_values: Vec<&str> = typed.map(|f| f.all("a")).unwrap_or_default();
    let chosen = |value: &str| -> bool {
        if typed.is_some() {
            return typed_values.contains(&value);
        }
        match given {
            Some(Answer::Number(n)) => n.to_string() == value,
            Some(Answer::Text(k)) => k == value,
            Some(Answer::Many(keys)) => keys.iter().any(|k| k == value),
            _ => false,
        }
    };
    let error_id = format!("{}-error", q.id);
    let body = html! {
        header {
            h1 { (title) }
            @if def.languages.len() > 1 {
                nav.langs aria-label=(t.language) {
                    @for code in &def.languages {
                        @if let Some(l) = Lang::parse(code) {
                            @if l == lang {
                                a href={ "?lang=" (code) } aria-current="true" lang=(code) { (l.name()) }
                            } @else {
                                a href={ "?lang=" (code) } lang=(code) { (l.name()) }
                            }
                        }
                    }
                }
            }
        }
        @if step == 1 && let Some(intro) = &def.intro {
            p.intro { (text_in(intro, lang, def)) }
        }
        div.progress role="progressbar" aria-valuemin="1" aria-valuemax=(total) aria-valuenow=(step)
            aria-label=((t.progress)(step, total)) {
            span style={ "width:" (step * 100 / total) "%" } {}
        }
        p.step { ((t.progress)(step, total)) }
        form method="post" action=(ctx.action) {
            input type="hidden" name="ft" value=(ctx.signer.form_token(&ctx.scope, &q.id, now));
            input type="hidden" name="q" value=(q.id);
            input type="hidden" name="lang" value=(lang.code());
            div.hp aria-hidden="true" {
                label { (t.honeypot) input type="text" name="website" tabindex="-1" autocomplete="off"; }
            }
            @if let Some(error) = error {
                p.error role="alert" id=(error_id) { (error) }
            }
            (question_input(ctx, q, given, typed, &chosen, error.map(|_| error_id.as_str())))
            div.buttons {
                button.primary type="submit" name="nav" value="next" {
                    @if last { (t.submit) } @else { (t.next) }
                }
                @if !first {
                    button.secondary type="submit" name="nav" value="back" formnovalidate { (t.back) }
                }
            }
        }
    };
    page(lang, title, body)
}

fn question_input(
    ctx: &Context,
    q: &Question,
    given: Option<&Answer>,
    typed: Option<&Form>,
    chosen: &dyn Fn(&str) -> bool,
    described_by: Option<&str>,
) -> Markup {
    let (def, lang, t) = (&ctx.definition, ctx.lang, ctx.lang.t());
    let text = text_in(&q.text, lang, def);
    let legend = html! {
        legend {
            (text)
            @if q.required { " " span.req { "(" (t.required) ")" } }
        }
    };
    let scale = |name: &str,
                 (min, max): (i64, i64),
                 is_checked: &dyn Fn(i64) -> bool,
                 ends: (&str, &str)| {
        html! {
            div.scale {
                @for v in min..=max {
                    label {
                        input type="radio" name=(name) value=(v) checked[is_checked(v)]
                            required[q.required] aria-describedby=[described_by];
                        span { (v) }
                    }
                }
            }
            div.ends aria-hidden="true" { span { (ends.0) } span { (ends.1) } }
        }
    };
    match q.kind {
        QuestionKind::Nps | QuestionKind::Csat | QuestionKind::Ces | QuestionKind::Rating => {
            let ends = match q.kind {
                QuestionKind::Nps => t.nps_ends,
                QuestionKind::Csat => t.csat_ends,
                QuestionKind::Ces => t.ces_ends,
                _ => t.rating_ends,
            };
            let range = q
                .kind
                .range(q.scale)
                .expect("scored questions have a range");
            html! {
                fieldset { (legend) (scale("a", range, &|v| chosen(&v.to_string()), ends)) }
            }
        }
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let kind = if q.kind == QuestionKind::SingleChoice {
                "radio"
            } else {
                "checkbox"
            };
            html! {
                fieldset {
                    (legend)
                    div.choices {
                        @for option in &q.options {
                            label {
                                input type=(kind) name="a" value=(option.key) checked[chosen(&option.key)]
                                    aria-describedby=[described_by];
                                span { (text_in(&option.text, lang, def)) }
                            }
                        }
                    }
                }
            }
        }
        QuestionKind::Text => {
            let value = match (typed, given) {
                (Some(form), _) => form.one("a").unwrap_or_default().to_owned(),
                (None, Some(Answer::Text(text))) => text.clone(),
                _ => String::new(),
            };
            let id = format!("{}-text", q.id);
            html! {
                fieldset {
                    legend { label for=(id) { (text) @if q.required { " " span.req { "(" (t.required) ")" } } } }
                    textarea id=(id) name="a" maxlength="10000" required[q.required]
                        aria-describedby=[described_by] { (value) }
                }
            }
        }
        QuestionKind::Servqual => {
            let (e, p) = match (typed, given) {
                (Some(form), _) => (
                    form.one("e").and_then(|v| v.parse().ok()),
                    form.one("p").and_then(|v| v.parse().ok()),
                ),
                (
                    None,
                    Some(Answer::Pair {
                        expectation,
                        perception,
                    }),
                ) => (Some(*expectation), Some(*perception)),
                _ => (None, None),
            };
            html! {
                fieldset {
                    (legend)
                    div.pair {
                        p { strong { (t.expectation) } }
                        (scale("e", (1, 7), &|v| e == Some(v), t.servqual_ends))
                    }
                    div.pair {
                        p { strong { (t.perception) } }
                        (scale("p", (1, 7), &|v| p == Some(v), t.servqual_ends))
                    }
                }
            }
        }
    }
}
