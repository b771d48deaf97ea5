//! Surveys in the web application: the list, a new survey or a new version from its JSON
//! definition (errors name the field, as in the API), the survey's page with its questions and
//! display logic, status, links, personal invitations under the fatigue rule, and the responses
//! as CSV. Administrators and CX managers change surveys; everyone signed in may look.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dosvid_domain::survey::{
    Answer, QuestionKind, ServqualDimension, Survey, SurveyDefinition, SurveyResponse, SurveyStatus,
};
use dosvid_domain::user::Action;
use dosvid_domain::{CustomerRef, FieldError};
use dosvid_store::{InvitationRequest, all_pages};
use maud::{Markup, html};

use super::app::{SignedIn, app_page, refusal};
use super::naming::Naming;
use super::{Form, Lang, given, html_response};
use crate::AppState;

const STATUSES: [SurveyStatus; 3] = [
    SurveyStatus::Draft,
    SurveyStatus::Active,
    SurveyStatus::Closed,
];

fn status_name(ui: &super::i18n::Ui, status: SurveyStatus) -> &'static str {
    ui.statuses[STATUSES.iter().position(|s| *s == status).unwrap_or(0)]
}

fn title<'a>(survey: &'a Survey, code: &str) -> &'a str {
    let def = &survey.definition;
    def.title
        .get(code)
        .or_else(|| def.title.get(&def.languages[0]))
        .map_or(survey.key.as_str(), String::as_str)
}

pub async fn list(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
) -> Response {
    let org = signed.session.user.org_id;
    let surveys = state
        .run(move |s| all_pages(|p| s.list_surveys(org, p)))
        .await
        .unwrap_or_default();
    let base = state.base_url(&headers);
    let (lang, ui) = (signed.lang(), signed.lang().ui());
    let body = html! {
        h1 { (ui.surveys) }
        @if signed.may(Action::ManageSurveys) {
            p { a href="/surveys/new" { (ui.new_survey) } }
        }
        @if surveys.is_empty() { p { (ui.no_surveys) } }
        ul.list {
            @for survey in &surveys {
                li {
                    a href={ "/surveys/" (survey.id) } { strong { (title(survey, lang.code())) } }
                    " · " (status_name(ui, survey.status)) " · v" (survey.version) br;
                    (ui.public_link) ": "
                    a href={ "/s/" (org) "/" (survey.key) } { (base) "/s/" (org) "/" (survey.key) }
                }
            }
        }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/surveys", ui.surveys, body),
    )
}

/// Where a new survey starts: the usual relationship question, a follow-up for detractors and
/// a comment, in the three languages.
const TEMPLATE: &str = r#"{
  "key": "new-survey",
  "title": {"uk": "Ваша думка про нас", "en": "What you think of us", "ru": "Ваше мнение о нас"},
  "languages": ["uk", "en", "ru"],
  "questions": [
    {"id": "nps", "type": "nps", "required": true,
     "text": {"uk": "Наскільки ймовірно, що ви порекомендуєте нас друзям?",
              "en": "How likely are you to recommend us to a friend?",
              "ru": "Насколько вероятно, что вы порекомендуете нас друзьям?"}},
    {"id": "what_went_wrong", "type": "single_choice", "show_if": {"question": "nps", "at_most": 6},
     "text": {"uk": "Що пішло не так?", "en": "What went wrong?", "ru": "Что пошло не так?"},
     "options": [
       {"key": "time", "text": {"uk": "Довго", "en": "It took too long", "ru": "Долго"}},
       {"key": "staff", "text": {"uk": "Персонал", "en": "The staff", "ru": "Персонал"}},
       {"key": "price", "text": {"uk": "Ціна", "en": "The price", "ru": "Цена"}}]},
    {"id": "comment", "type": "text",
     "text": {"uk": "Що нам варто змінити?", "en": "What should we change?", "ru": "Что нам стоит изменить?"}}
  ]
}"#;

/// Where a survey after a contact starts: satisfaction, effort and a comment.
const AFTER_CONTACT: &str = r#"[
    {"id": "csat", "type": "csat", "required": true,
     "text": {"uk": "Наскільки ви задоволені цим зверненням?", "en": "How satisfied are you with this contact?",
              "ru": "Насколько вы довольны этим обращением?"}},
    {"id": "ces", "type": "ces",
     "text": {"uk": "Наскільки легко було вирішити ваше питання?", "en": "How easy was it to get your issue resolved?",
              "ru": "Насколько легко было решить ваш вопрос?"}},
    {"id": "comment", "type": "text",
     "text": {"uk": "Що можна було зробити краще?", "en": "What could we have done better?",
              "ru": "Что можно было сделать лучше?"}}
]"#;

/// Where a SERVQUAL survey starts: one item (expectation and perception) per dimension.
const SERVQUAL: &str = r#"[
    {"id": "tangibles", "type": "servqual", "dimension": "tangibles", "required": true,
     "text": {"uk": "Приміщення, обладнання й матеріали виглядають сучасно й охайно",
              "en": "Premises, equipment and materials look modern and tidy",
              "ru": "Помещения, оборудование и материалы выглядят современно и опрятно"}},
    {"id": "reliability", "type": "servqual", "dimension": "reliability", "required": true,
     "text": {"uk": "Обіцяне виконують вчасно і з першого разу", "en": "What is promised is done on time and right the first time",
              "ru": "Обещанное выполняют вовремя и с первого раза"}},
    {"id": "responsiveness", "type": "servqual", "dimension": "responsiveness", "required": true,
     "text": {"uk": "Працівники охоче й швидко допомагають", "en": "Staff help willingly and promptly",
              "ru": "Сотрудники охотно и быстро помогают"}},
    {"id": "assurance", "type": "servqual", "dimension": "assurance", "required": true,
     "text": {"uk": "Працівники компетентні й викликають довіру", "en": "Staff are competent and inspire trust",
              "ru": "Сотрудники компетентны и вызывают доверие"}},
    {"id": "empathy", "type": "servqual", "dimension": "empathy", "required": true,
     "text": {"uk": "До вас ставляться уважно й зважають на ваші потреби", "en": "You are given individual attention and your needs are understood",
              "ru": "К вам относятся внимательно и учитывают ваши потребности"}}
]"#;

/// A blank survey still asks one thing: what the customer wants to say.
const BLANK: &str = r#"[
    {"id": "comment", "type": "text", "required": true,
     "text": {"uk": "Розкажіть, будь ласка, про ваш досвід", "en": "Please tell us about your experience",
              "ru": "Расскажите, пожалуйста, о вашем опыте"}}
]"#;

/// The starts a new survey may take: (key, its questions as JSON).
fn starts() -> [(&'static str, serde_json::Value); 4] {
    let relationship = serde_json::from_str::<serde_json::Value>(TEMPLATE)
        .map(|t| t["questions"].clone())
        .unwrap_or_default();
    let parse = |text: &str| serde_json::from_str(text).unwrap_or_default();
    [
        ("relationship", relationship),
        ("after_contact", parse(AFTER_CONTACT)),
        ("servqual", parse(SERVQUAL)),
        ("blank", parse(BLANK)),
    ]
}

/// The definition the builder's fields describe, read as the JSON editor's text is.
fn built(form: &Form) -> Result<SurveyDefinition, FieldError> {
    let field = |name: &str| given(&form.text(name));
    let languages: Vec<&str> = ["uk", "en", "ru"]
        .into_iter()
        .filter(|l| form.all("language").contains(l))
        .collect();
    let start = form.one("start").unwrap_or("relationship");
    let mut questions = starts()
        .into_iter()
        .find(|(key, _)| *key == start)
        .map(|(_, questions)| questions)
        .ok_or_else(|| FieldError::new("start", "is not one of the offered starts"))?;
    keep_languages(&mut questions, &languages);
    let mut title = serde_json::Map::new();
    for language in &languages {
        if let Some(text) = field(&format!("title_{language}")) {
            title.insert(language.to_string(), text.into());
        }
    }
    let mut definition = serde_json::json!({
        "key": field("key").unwrap_or_default(),
        "title": title,
        "languages": languages,
        "questions": questions,
    });
    for name in ["touchpoint", "channel"] {
        if let Some(value) = field(name) {
            definition[name] = value.into();
        }
    }
    read_definition(&definition.to_string())
}

/// Leaves in each text of `value` (an object of `uk`, `en`, `ru` strings) only `languages`.
fn keep_languages(value: &mut serde_json::Value, languages: &[&str]) {
    match value {
        serde_json::Value::Object(fields) => {
            let texts = !fields.is_empty()
                && fields
                    .iter()
                    .all(|(k, v)| ["uk", "en", "ru"].contains(&k.as_str()) && v.is_string());
            if texts {
                fields.retain(|k, _| languages.contains(&k.as_str()));
            } else {
                fields
                    .values_mut()
                    .for_each(|v| keep_languages(v, languages));
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| keep_languages(v, languages))
        }
        _ => {}
    }
}

/// The builder of a new survey: its key, title and languages, where it is answered, and what
/// it starts from; the questions are then edited on the survey's page.
fn builder(signed: &SignedIn, naming: &Naming, form: Option<&Form>) -> Markup {
    let ui = signed.lang().ui();
    let value = |name: &str| form.and_then(|f| f.text(name)).unwrap_or_default();
    let checked = |language: &str| form.is_none_or(|f| f.all("language").contains(&language));
    let start = form.and_then(|f| f.one("start")).unwrap_or("relationship");
    let place = |id: &str, label: &str, kind: &str| {
        let chosen = value(id);
        html! {
            label for=(id) { (label) }
            select #(id) name=(id) {
                option value="" { "—" }
                @for (key, name) in naming.choices(kind) {
                    option value=(key) selected[key == chosen] { (name) }
                }
            }
        }
    };
    html! {
        form.fields #survey-builder method="post" action="/surveys/new" {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            label for="key" { (ui.key) }
            p.hint { (ui.survey_key_hint) }
            input #key type="text" name="key" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9_.-]*" value=(value("key"));
            fieldset {
                legend { (ui.survey_languages) }
                div.choices.row {
                    @for l in [Lang::Uk, Lang::En, Lang::Ru] {
                        label { input type="checkbox" name="language" value=(l.code()) checked[checked(l.code())]; span { (l.name()) } }
                    }
                }
            }
            @for language in ["uk", "en", "ru"] {
                @let id = format!("title_{language}");
                label for=(id) { (ui.survey_title) " (" (language) ")" }
                input id=(id) type="text" name=(id) maxlength="200" value=(value(&id));
            }
            (place("touchpoint", ui.touchpoint, "touchpoint"))
            (place("channel", ui.channel, "channel"))
            fieldset {
                legend { (ui.survey_start) }
                div.choices {
                    @for ((key, _), name) in starts().iter().zip(ui.survey_starts) {
                        label { input type="radio" name="start" value=(key) checked[*key == start]; span { (name) } }
                    }
                }
            }
            div.buttons { button.primary type="submit" { (ui.new_survey) } }
        }
    }
}

fn editor(signed: &SignedIn, action: &str, text: &str, error: Option<&str>) -> Markup {
    let ui = signed.lang().ui();
    html! {
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form.fields method="post" action=(action) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            label for="definition" { (ui.definition) }
            p.hint { (ui.definition_hint) }
            textarea #definition.code name="definition" rows="24" spellcheck="false" { (text) }
            div.buttons { button.primary type="submit" { (ui.save_definition) } }
        }
    }
}

fn refused(signed: &SignedIn, status: StatusCode, message: &str) -> Response {
    let ui = signed.lang().ui();
    let body = html! { h1 { (ui.surveys) } p.error role="alert" { (message) } };
    html_response(status, app_page(signed, "/surveys", ui.surveys, body))
}

pub async fn new_form(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    let ui = signed.lang().ui();
    if !signed.may(Action::ManageSurveys) {
        return refused(&signed, StatusCode::FORBIDDEN, ui.not_allowed);
    }
    let body = new_page(&state, &signed, None, TEMPLATE, None).await;
    html_response(
        StatusCode::OK,
        app_page(&signed, "/surveys", ui.new_survey, body),
    )
}

/// The new-survey page: the builder, and the JSON editor for experts (open when its text was
/// what failed).
async fn new_page(
    state: &AppState,
    signed: &SignedIn,
    form: Option<&Form>,
    text: &str,
    error: Option<&str>,
) -> Markup {
    let ui = signed.lang().ui();
    let (org, lang) = (signed.session.user.org_id, signed.lang());
    let naming = Naming::load(state, org, lang).await;
    let json_failed = form.is_some_and(|f| f.one("definition").is_some());
    html! {
        h1 { (ui.new_survey) }
        @if let Some(error) = error.filter(|_| !json_failed) { p.error role="alert" { (error) } }
        (builder(signed, &naming, form.filter(|_| !json_failed)))
        details open[json_failed] {
            summary { (ui.definition) }
            (editor(signed, "/surveys/new", text, error.filter(|_| json_failed)))
        }
    }
}

/// Reads a definition from the editor, naming the field at fault.
fn read_definition(text: &str) -> Result<SurveyDefinition, FieldError> {
    dosvid_domain::error::from_json::<SurveyDefinition>(text)?.validate()
}

/// Why a change is not admitted: the wrong role, or not the session's own form.
fn not_admitted(signed: &SignedIn, headers: &HeaderMap, form: &Form) -> Option<&'static str> {
    refusal(signed, headers, form, Action::ManageSurveys)
}

/// A change to survey `id`: the form once admitted, or the status and message to refuse with.
fn admit(
    signed: &SignedIn,
    headers: &HeaderMap,
    body: &[u8],
    id: &str,
) -> Result<(Form, i64), (StatusCode, &'static str)> {
    let form = Form::parse(body);
    if let Some(message) = not_admitted(signed, headers, &form) {
        return Err((StatusCode::FORBIDDEN, message));
    }
    match id_of(id) {
        Some(id) => Ok((form, id)),
        None => Err((StatusCode::NOT_FOUND, signed.lang().t().not_found)),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if let Some(message) = not_admitted(&signed, &headers, &form) {
        return refused(&signed, StatusCode::FORBIDDEN, message);
    }
    let text = form.one("definition").unwrap_or(TEMPLATE).to_owned();
    let org = signed.session.user.org_id;
    let definition = match form.one("definition") {
        Some(json) => read_definition(json),
        None => built(&form),
    };
    let created = match definition {
        Ok(definition) => {
            state
                .run(move |s| s.create_survey(org, definition, SurveyStatus::Draft, Utc::now()))
                .await
        }
        Err(e) => Err(e.into()),
    };
    let ui = signed.lang().ui();
    match created {
        Ok(survey) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/surveys/{}", survey.id))],
        )
            .into_response(),
        Err(e) => {
            let message = e.page_message();
            let body = new_page(&state, &signed, Some(&form), &text, Some(&message)).await;
            html_response(e.status, app_page(&signed, "/surveys", ui.new_survey, body))
        }
    }
}

/// What the survey page shows after a change: a link just made, or why not.
enum Notice {
    None,
    Link(String),
    Error(String),
}

async fn survey_page(
    state: &AppState,
    signed: &SignedIn,
    headers: &HeaderMap,
    id: i64,
    notice: Notice,
    editing: Option<&str>,
    status: StatusCode,
) -> Response {
    let org = signed.session.user.org_id;
    let read = state
        .run(move |s| {
            let survey = s.get_survey(org, id)?;
            let finished = all_pages(|p| s.list_responses(org, id, &Default::default(), true, p))?;
            let servqual = crate::servqual::report(s, org, id, &Default::default())?;
            Ok((survey, finished, servqual))
        })
        .await;
    let ui = signed.lang().ui();
    let Ok((survey, finished, servqual)) = read else {
        return refused(signed, StatusCode::NOT_FOUND, signed.lang().t().not_found);
    };
    let code = signed.lang().code();
    let base = state.base_url(headers);
    let manages = signed.may(Action::ManageSurveys);
    let csrf = &signed.session.csrf;
    let def = &survey.definition;
    let text_of = |texts: &dosvid_domain::survey::Texts| {
        texts
            .get(code)
            .or_else(|| texts.get(&def.languages[0]))
            .cloned()
            .unwrap_or_default()
    };
    let json = serde_json::to_string_pretty(def).unwrap_or_default();
    let body = html! {
        h1 { (title(&survey, code)) }
        p.meta {
            (ui.status) ": " strong { (status_name(ui, survey.status)) } " · " (ui.version) " " (survey.version)
            " · " (def.languages.join(", "))
        }
        @match &notice {
            Notice::Link(url) => { div.notice role="status" { p { (ui.personal_link) ": " } p { code.secret { (url) } } } }
            Notice::Error(message) => { p.error role="alert" { (message) } }
            Notice::None => {}
        }
        p {
            (ui.public_link) ": " a href={ "/s/" (org) "/" (survey.key) } { (base) "/s/" (org) "/" (survey.key) }
            " · " a href={ "/surveys/" (survey.id) "/responses.csv" } { (ui.download_responses) }
        }
        (results(ui, &text_of, def, &finished))
        @if !servqual.dimensions.is_empty() { (servqual_section(ui, &servqual)) }
        h2 { (ui.questions) }
        ol.questions {
            @for q in &def.questions {
                li data-question=(q.id) {
                    (text_of(&q.text)) " "
                    span.meta {
                        "(" (kind_name(ui, q.kind))
                        @if q.required { ", " (signed.lang().t().required) }
                        ")"
                    }
                    @if let Some(c) = &q.show_if {
                        br; span.meta {
                            (ui.shown_when) " " (c.question)
                            @if let Some(max) = c.at_most { " ≤ " (max) }
                            @if let Some(min) = c.at_least { " ≥ " (min) }
                            @if let Some(keys) = &c.any_of { " ∈ {" (keys.join(", ")) "}" }
                        }
                    }
                    @if manages {
                        " "
                        @for (action, label) in [("up", ui.move_up), ("remove", ui.remove)] {
                            form.inline.question-action method="post" action={ "/surveys/" (survey.id) "/questions/" (q.id) "/" (action) } {
                                input type="hidden" name="csrf" value=(csrf);
                                button.secondary.small type="submit" { (label) }
                            }
                        }
                    }
                }
            }
        }
        @if manages {
            details {
                summary { (ui.add_question) }
                (question_form(signed, &survey))
            }
        }
        @if manages {
            div.columns {
                section {
                    h2 { (ui.status) }
                    form.filters method="post" action={ "/surveys/" (survey.id) "/status" } {
                        input type="hidden" name="csrf" value=(csrf);
                        div.filter {
                            label for="status" { (ui.status) }
                            select #status name="status" {
                                @for s in STATUSES { option value=(s.as_str()) selected[s == survey.status] { (status_name(ui, s)) } }
                            }
                        }
                        div.filter { button.primary type="submit" { (ui.set_status) } }
                    }
                }
                section {
                    h2 { (ui.invite_customer) }
                    form.filters method="post" action={ "/surveys/" (survey.id) "/invite" } {
                        input type="hidden" name="csrf" value=(csrf);
                        div.filter {
                            label for="customer" { (ui.find_customer) }
                            input #customer type="text" name="customer" required;
                        }
                        div.filter { button.primary type="submit" { (ui.create_link) } }
                    }
                }
            }
            (editor(signed, &format!("/surveys/{}/definition", survey.id), editing.unwrap_or(&json), None))
        }
    };
    html_response(
        status,
        app_page(signed, "/surveys", title(&survey, code), body),
    )
}

/// A question kind in the reader's language.
fn kind_name(ui: &super::i18n::Ui, kind: QuestionKind) -> &'static str {
    let key = serde_json::to_value(kind).ok();
    let key = key.as_ref().and_then(|v| v.as_str()).unwrap_or_default();
    KINDS
        .iter()
        .position(|k| *k == key)
        .map_or("", |i| ui.question_kinds[i])
}

/// What the finished responses say, question by question: a score's distribution with its
/// headline figure and interval (or "not enough answers"), each option's count, the latest
/// answers in words, a SERVQUAL item's mean gap.
fn results(
    ui: &super::i18n::Ui,
    text_of: &dyn Fn(&dosvid_domain::survey::Texts) -> String,
    def: &SurveyDefinition,
    responses: &[SurveyResponse],
) -> Markup {
    use dosvid_metrics::{Ces, Csat, DEFAULT_MIN_SAMPLE as MIN, Estimate, Moments, NpsCounts};
    let figure = |name: &str, e: Estimate, unit: &str| -> String {
        match (e.value, e.low, e.high) {
            (Some(v), Some(low), Some(high)) if !e.low_sample => {
                format!("{name} {v:.1}{unit} [{low:.1}; {high:.1}] · n = {}", e.n)
            }
            _ => format!("{name}: {} (n = {})", ui.not_enough, e.n),
        }
    };
    let numbers = |id: &str| -> Vec<i64> {
        responses
            .iter()
            .filter_map(|r| match r.answers.get(id) {
                Some(Answer::Number(n)) => Some(*n),
                _ => None,
            })
            .collect()
    };
    html! {
        h2 { (ui.results) " · " (responses.len()) " " (ui.answers_counted) }
        @for q in &def.questions {
            section.result data-result=(q.id) {
                h3 { (text_of(&q.text)) }
                @match q.kind {
                    QuestionKind::Nps | QuestionKind::Csat | QuestionKind::Ces | QuestionKind::Rating => {
                        @let answers = numbers(&q.id);
                        @let (low, high) = q.kind.range(q.scale).unwrap_or((0, 10));
                        @let counts: Vec<u64> = (low..=high).map(|v| answers.iter().filter(|a| **a == v).count() as u64).collect();
                        @let labels: Vec<String> = (low..=high).map(|v| v.to_string()).collect();
                        p.meta { (match q.kind {
                            QuestionKind::Nps => {
                                let mut c = NpsCounts::default();
                                answers.iter().for_each(|a| c.add(*a as u8));
                                figure("NPS", c.nps(MIN), "")
                            }
                            QuestionKind::Csat => {
                                let mut c = Csat::default();
                                answers.iter().for_each(|a| c.add(*a as u8));
                                figure("CSAT", c.top_two_box(MIN), "%")
                            }
                            QuestionKind::Ces => {
                                let mut c = Ces::default();
                                answers.iter().for_each(|a| c.add(*a as u8));
                                figure("CES", c.percent_easy(MIN), "%")
                            }
                            _ => {
                                let mut m = Moments::default();
                                answers.iter().for_each(|a| m.add(*a as f64));
                                figure(ui.mean, m.mean(MIN), "")
                            }
                        }) }
                        (super::charts::bars(&text_of(&q.text), &labels, &counts, |_| "mid"))
                    }
                    QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                        ul.list { @for option in &q.options {
                            @let n = responses.iter().filter(|r| match r.answers.get(&q.id) {
                                Some(Answer::Text(k)) => *k == option.key,
                                Some(Answer::Many(keys)) => keys.contains(&option.key),
                                _ => false,
                            }).count();
                            li { (text_of(&option.text)) ": " strong { (n) } }
                        } }
                    }
                    QuestionKind::Text => {
                        @let latest = latest_texts(responses, &q.id);
                        p.meta { (ui.latest_answers) " (" (latest.len()) ")" }
                        ul.comments { @for (r, text) in latest.iter().take(5) {
                            li { p.comment lang=(r.language) { (text) } }
                        } }
                    }
                    QuestionKind::Servqual => {
                        p.meta { (figure(ui.gap, servqual_gap(responses, &q.id).mean(MIN), "")) }
                    }
                }
            }
        }
    }
}

/// The answers in words to a question, newest first.
fn latest_texts<'a>(
    responses: &'a [SurveyResponse],
    id: &str,
) -> Vec<(&'a SurveyResponse, &'a str)> {
    let mut latest: Vec<(&SurveyResponse, &str)> = responses
        .iter()
        .filter_map(|r| match r.answers.get(id) {
            Some(Answer::Text(t)) => Some((r, t.as_str())),
            _ => None,
        })
        .collect();
    latest.sort_by_key(|(r, _)| std::cmp::Reverse(r.completed_at));
    latest
}

/// Gap 5 by dimension, as `/api/v1/surveys/{id}/servqual` answers: perception − expectation,
/// weighted into one overall gap.
fn servqual_section(ui: &super::i18n::Ui, report: &crate::servqual::ServqualReport) -> Markup {
    let name = |d: ServqualDimension| {
        let i = ServqualDimension::ALL.iter().position(|a| *a == d);
        i.map_or("—", |i| ui.servqual_dimensions[i])
    };
    html! {
        section #servqual {
            h2 { (ui.servqual_title) }
            p.hint { (ui.servqual_hint) }
            table {
                thead { tr { th { (ui.dimension) } th.num { (ui.gap) } th.num { (ui.weight) } } }
                tbody {
                    @for d in &report.dimensions {
                        tr data-dimension=(d.dimension.as_str()) data-gap=(d.gap) {
                            td { (name(d.dimension)) }
                            td.num { (format!("{:+.2}", d.gap)) }
                            td.num { (format!("{:.2}", d.weight)) }
                        }
                    }
                }
                @if let Some(overall) = report.overall {
                    tfoot { tr { th { (ui.overall_gap) } th.num data-overall=(overall) { (format!("{overall:+.2}")) } td {} } }
                }
            }
        }
    }
}

/// A SERVQUAL item's gaps: perception − expectation of each answer.
fn servqual_gap(responses: &[SurveyResponse], id: &str) -> dosvid_metrics::Moments {
    let mut gap = dosvid_metrics::Moments::default();
    for r in responses {
        if let Some(Answer::Pair {
            expectation,
            perception,
        }) = r.answers.get(id)
        {
            gap.add((perception - expectation) as f64);
        }
    }
    gap
}

const KINDS: [&str; 8] = [
    "nps",
    "csat",
    "ces",
    "rating",
    "single_choice",
    "multiple_choice",
    "text",
    "servqual",
];
const TESTS: [&str; 4] = ["at_most", "at_least", "any_of", "answered"];

/// The form that adds one question: its type, id, texts in the survey's languages, options,
/// scale, dimension and the condition on an earlier answer.
fn question_form(signed: &SignedIn, survey: &Survey) -> Markup {
    let ui = signed.lang().ui();
    let def = &survey.definition;
    html! {
        form.fields method="post" action={ "/surveys/" (survey.id) "/questions" } {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            label for="q-kind" { (ui.question_type) }
            select #q-kind name="kind" { @for (k, name) in KINDS.iter().zip(ui.question_kinds) { option value=(k) { (name) } } }
            label for="q-id" { (ui.question_id) }
            input #q-id type="text" name="id" required pattern="[a-z0-9][a-z0-9_.-]*";
            @for code in &def.languages {
                label for={ "q-text-" (code) } { (ui.question_text) " (" (code) ")" }
                input id={ "q-text-" (code) } type="text" name={ "text_" (code) } required;
            }
            label { input type="checkbox" name="required" value="yes"; " " (signed.lang().t().required) }
            label for="q-options" { (ui.options_hint) }
            textarea #q-options name="options" rows="4" placeholder={ "queue | " (def.languages.join(" | ")) } {}
            label for="q-scale" { (ui.scale) }
            input #q-scale type="number" name="scale" min="2" max="10";
            label for="q-dimension" { (ui.dimension) }
            select #q-dimension name="dimension" {
                option value="" { "—" }
                @for (d, name) in ServqualDimension::ALL.iter().zip(ui.servqual_dimensions) { option value=(d.as_str()) { (name) } }
            }
            label for="q-condition" { (ui.condition) }
            div.filters {
                select #q-condition name="show_if_question" aria-label=(ui.condition) {
                    option value="" { (ui.always) }
                    @for q in &def.questions { option value=(q.id) { (q.id) } }
                }
                select name="show_if_test" aria-label=(ui.condition) {
                    @for (test, name) in TESTS.iter().zip(ui.tests) { option value=(test) { (name) } }
                }
                input type="text" name="show_if_value" aria-label=(ui.value) placeholder=(ui.value);
            }
            div.buttons { button.primary type="submit" { (ui.add_question) } }
        }
    }
}

/// A form field naming a value of an enum, read as the API reads it; `None` when blank.
fn enum_field<T: serde::de::DeserializeOwned>(
    form: &Form,
    field: &str,
    message: &str,
) -> Result<Option<T>, FieldError> {
    form.text(field)
        .map(|v| {
            serde_json::from_value(serde_json::Value::String(v))
                .map_err(|_| FieldError::new(field, message))
        })
        .transpose()
}

/// Reads the add-question form into a question (checked with the whole definition after).
fn question_of(
    form: &Form,
    languages: &[String],
) -> Result<dosvid_domain::survey::Question, FieldError> {
    use dosvid_domain::survey::{Choice, Condition, Question, Texts};
    let kind = enum_field(form, "kind", "is not a question type")?
        .ok_or_else(|| FieldError::new("kind", "is required"))?;
    let mut text = Texts::new();
    for code in languages {
        if let Some(t) = form.text(&format!("text_{code}")) {
            text.insert(code.clone(), t);
        }
    }
    let mut options = Vec::new();
    for line in form
        .one("options")
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let mut parts = line.split('|').map(str::trim);
        let key = parts.next().unwrap_or_default().to_owned();
        let texts: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
        let mut option_text = Texts::new();
        for (i, code) in languages.iter().enumerate() {
            // One text serves every language until the others are written.
            if let Some(t) = texts.get(i).or(texts.first()) {
                option_text.insert(code.clone(), (*t).to_owned());
            }
        }
        options.push(Choice {
            key,
            text: option_text,
        });
    }
    let show_if = match form.text("show_if_question") {
        None => None,
        Some(question) => {
            let value = form.text("show_if_value").unwrap_or_default();
            let number = || {
                value
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| FieldError::new("show_if_value", "must be a whole number"))
            };
            let mut condition = Condition {
                question,
                at_most: None,
                at_least: None,
                any_of: None,
                answered: None,
            };
            match form.one("show_if_test") {
                Some("at_most") => condition.at_most = number()?,
                Some("at_least") => condition.at_least = number()?,
                Some("any_of") => {
                    condition.any_of = Some(
                        value
                            .split(',')
                            .map(|k| k.trim().to_owned())
                            .filter(|k| !k.is_empty())
                            .collect(),
                    )
                }
                _ => condition.answered = Some(true),
            }
            Some(condition)
        }
    };
    Ok(Question {
        id: form.one("id").unwrap_or_default().to_owned(),
        kind,
        text,
        required: form.one("required") == Some("yes"),
        options,
        scale: form
            .text("scale")
            .map(|s| {
                s.parse::<u8>()
                    .map_err(|_| FieldError::new("scale", "must be from 2 to 10"))
            })
            .transpose()?,
        dimension: enum_field(form, "dimension", "is not a SERVQUAL dimension")?,
        show_if,
    })
}

/// Changes the questions of a survey and saves the result as its next version.
async fn edit_questions(
    state: AppState,
    signed: SignedIn,
    headers: HeaderMap,
    id: String,
    body: Bytes,
    edit: impl FnOnce(&mut SurveyDefinition, &Form) -> Result<(), FieldError> + Send + 'static,
) -> Response {
    let (form, id) = match admit(&signed, &headers, &body, &id) {
        Ok(admitted) => admitted,
        Err((status, message)) => return refused(&signed, status, message),
    };
    let org = signed.session.user.org_id;
    let saved = state
        .run(move |s| {
            let mut definition = s.get_survey(org, id)?.definition;
            let checked = edit(&mut definition, &form).and_then(|()| definition.validate());
            Ok(match checked {
                Ok(definition) => {
                    s.update_survey(org, id, Some(definition), None, Utc::now())?;
                    Ok(())
                }
                Err(e) => Err(e),
            })
        })
        .await;
    let (notice, status) = match saved {
        Ok(Ok(())) => (Notice::None, StatusCode::OK),
        Ok(Err(e)) => (
            Notice::Error(format!("{}: {}", e.field, e.message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => (Notice::Error(e.message), e.status),
    };
    survey_page(&state, &signed, &headers, id, notice, None, status).await
}

pub async fn add_question(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    edit_questions(state, signed, headers, id, body, |definition, form| {
        let question = question_of(form, &definition.languages)?;
        definition.questions.push(question);
        Ok(())
    })
    .await
}

pub async fn question_action(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path((id, question, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    edit_questions(state, signed, headers, id, body, move |definition, _| {
        let at = definition
            .questions
            .iter()
            .position(|q| q.id == question)
            .ok_or_else(|| FieldError::new("question", "is not a question of this survey"))?;
        match action.as_str() {
            "up" if at > 0 => definition.questions.swap(at - 1, at),
            "up" => {}
            "remove" => {
                definition.questions.remove(at);
            }
            _ => return Err(FieldError::new("action", "must be up or remove")),
        }
        Ok(())
    })
    .await
}

fn id_of(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = id_of(&id) else {
        return refused(&signed, StatusCode::NOT_FOUND, signed.lang().t().not_found);
    };
    survey_page(
        &state,
        &signed,
        &headers,
        id,
        Notice::None,
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn set_status(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (form, id) = match admit(&signed, &headers, &body, &id) {
        Ok(admitted) => admitted,
        Err((status, message)) => return refused(&signed, status, message),
    };
    let Some(status) = form.one("status").and_then(SurveyStatus::parse) else {
        return refused(
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            signed.lang().ui().form_expired,
        );
    };
    let org = signed.session.user.org_id;
    let changed = state
        .run(move |s| s.update_survey(org, id, None, Some(status), Utc::now()))
        .await;
    let notice = match changed {
        Ok(_) => Notice::None,
        Err(e) => Notice::Error(e.message),
    };
    survey_page(&state, &signed, &headers, id, notice, None, StatusCode::OK).await
}

pub async fn save_definition(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (form, id) = match admit(&signed, &headers, &body, &id) {
        Ok(admitted) => admitted,
        Err((status, message)) => return refused(&signed, status, message),
    };
    let text = form.one("definition").unwrap_or_default().to_owned();
    let org = signed.session.user.org_id;
    let saved = match read_definition(&text) {
        Ok(definition) => {
            state
                .run(move |s| s.update_survey(org, id, Some(definition), None, Utc::now()))
                .await
        }
        Err(e) => Err(e.into()),
    };
    match saved {
        Ok(_) => {
            survey_page(
                &state,
                &signed,
                &headers,
                id,
                Notice::None,
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            let message = e.page_message();
            survey_page(
                &state,
                &signed,
                &headers,
                id,
                Notice::Error(message),
                Some(&text),
                e.status,
            )
            .await
        }
    }
}

pub async fn invite(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (form, id) = match admit(&signed, &headers, &body, &id) {
        Ok(admitted) => admitted,
        Err((status, message)) => return refused(&signed, status, message),
    };
    let wanted = form.one("customer").unwrap_or_default().to_owned();
    let org = signed.session.user.org_id;
    let no_match = signed.lang().ui().no_match;
    let made = state
        .run(move |s| {
            let survey = s.get_survey(org, id)?;
            let Some(customer) = s.find_customer(org, &wanted)? else {
                return Ok(Err(no_match.to_owned()));
            };
            if survey.status != SurveyStatus::Active {
                return Ok(Err(format!("status: {}", survey.status.as_str())));
            }
            let request = InvitationRequest {
                customer: CustomerRef {
                    id: Some(customer),
                    ..Default::default()
                },
                interaction_id: None,
                language: None,
            };
            Ok(match s.invite(org, &survey, &request, Utc::now())? {
                Ok(invitation) => {
                    let signer = s.survey_secrets(org)?.signer();
                    Ok(signer.invitation_token(org, invitation.id, invitation.expires_at))
                }
                Err(fatigued) => Err(fatigued.message),
            })
        })
        .await;
    let notice = match made {
        Ok(Ok(token)) => Notice::Link(format!("{}/p/{token}", state.base_url(&headers))),
        Ok(Err(message)) => Notice::Error(message),
        Err(e) => Notice::Error(e.message),
    };
    survey_page(&state, &signed, &headers, id, notice, None, StatusCode::OK).await
}

pub async fn responses_csv(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = id_of(&id) else {
        return refused(&signed, StatusCode::NOT_FOUND, signed.lang().t().not_found);
    };
    let org = signed.session.user.org_id;
    let read = state
        .run(move |s| {
            let survey = s.get_survey(org, id)?;
            let responses =
                all_pages(|p| s.list_responses(org, id, &Default::default(), false, p))?;
            Ok((survey, responses))
        })
        .await;
    match read {
        Ok((survey, responses)) => {
            match crate::download::responses_csv(&survey.definition, &responses) {
                Ok(csv) => (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{}-responses.csv\"", survey.key),
                        ),
                    ],
                    csv,
                )
                    .into_response(),
                Err(e) => {
                    super::error::PageError::from(crate::ApiError::internal(e)).page(signed.lang())
                }
            }
        }
        Err(e) => super::error::PageError::from(e).page(signed.lang()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_new_survey_starts_from_a_valid_definition() {
        super::read_definition(super::TEMPLATE).unwrap();
    }
}
