//! The research repository and the analytical templates in the Diagnosis section (issue 22):
//! studies searched and recorded, one study with its quotes, notes and five-whys chain, and
//! templates filled in, prefilled from the data, printable and exported as Markdown.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use dosvid_domain::diagnosis::{
    DocumentKind, Participant, StudyDefinition, StudyMethod, StudyNote, TemplateDocument,
    TemplateKind,
};
use dosvid_domain::user::Action;
use dosvid_domain::{FieldError, OrgId};
use dosvid_store::{Store, StoreError};
use maud::{Markup, html};

use super::app::{SignedIn, app_page, redirect, refusal};
use super::diagnosis::section_message;
use super::i18n::Lang;
use super::naming::Naming;
use super::{Form, given_day, html_response};
use crate::AppState;
use crate::research::{self, Study, StudySearch, Template};

pub struct Words {
    pub research_quotes: &'static str,
    studies: &'static str,
    studies_hint: &'static str,
    search: &'static str,
    words_field: &'static str,
    method: &'static str,
    any: &'static str,
    theme: &'static str,
    touchpoint: &'static str,
    no_studies: &'static str,
    new_study: &'static str,
    title: &'static str,
    date: &'static str,
    summary: &'static str,
    participants: &'static str,
    quotes: &'static str,
    notes: &'static str,
    whys: &'static str,
    one_per_line: &'static str,
    root_cause: &'static str,
    root_cause_cases: &'static str,
    attachments: &'static str,
    create: &'static str,
    templates: &'static str,
    templates_hint: &'static str,
    no_templates: &'static str,
    new_template: &'static str,
    kind: &'static str,
    segment: &'static str,
    everyone: &'static str,
    prefill: &'static str,
    save: &'static str,
    markdown: &'static str,
    print: &'static str,
    edit: &'static str,
    delete: &'static str,
    no_such_study: &'static str,
    no_such_template: &'static str,
}

static UK: Words = Words {
    research_quotes: "Що кажуть клієнти в дослідженнях",
    studies: "Дослідження клієнтів",
    studies_hint: "Інтерв’ю, спостереження, «у мокасинах клієнта», п’ять «чому»: що компанія дізналася, зустрівши клієнтів. Цитати з’являються на сторінках точок контакту.",
    search: "Шукати",
    words_field: "Слова",
    method: "Метод",
    any: "будь-який",
    theme: "Тема",
    touchpoint: "Точка контакту",
    no_studies: "Досліджень не знайдено.",
    new_study: "Нове дослідження",
    title: "Назва",
    date: "Дата",
    summary: "Підсумок",
    participants: "Учасники",
    quotes: "Цитати клієнтів",
    notes: "Нотатки",
    whys: "Ланцюжок «чому» від симптому до причини",
    one_per_line: "по одному в рядку",
    root_cause: "Коренева причина",
    root_cause_cases: "кейсів із цією причиною",
    attachments: "Додатки",
    create: "Створити",
    templates: "Аналітичні шаблони",
    templates_hint: "Карта емпатії, точка зору, «як ми могли б…», канва ціннісної пропозиції, канва карти шляху — заповнюються даними сегмента, друкуються й експортуються в Markdown.",
    no_templates: "Шаблонів ще немає.",
    new_template: "Новий шаблон",
    kind: "Шаблон",
    segment: "Сегмент",
    everyone: "усі клієнти",
    prefill: "Заповнити з даних",
    save: "Зберегти",
    markdown: "Markdown",
    print: "Сторінка друкується без меню: надрукуйте її або збережіть у PDF засобами браузера.",
    edit: "Редагувати",
    delete: "Видалити",
    no_such_study: "Такого дослідження немає.",
    no_such_template: "Такого шаблону немає.",
};

static EN: Words = Words {
    research_quotes: "What customers said in studies",
    studies: "Customer studies",
    studies_hint: "Interviews, observation, the customer's moccasins, five whys: what the company learned by meeting its customers. Quotes appear on the touchpoints' pages.",
    search: "Search",
    words_field: "Words",
    method: "Method",
    any: "any",
    theme: "Theme",
    touchpoint: "Touchpoint",
    no_studies: "No study found.",
    new_study: "New study",
    title: "Title",
    date: "Date",
    summary: "Summary",
    participants: "Participants",
    quotes: "Customers' quotes",
    notes: "Notes",
    whys: "The chain of whys from symptom to cause",
    one_per_line: "one per line",
    root_cause: "Root cause",
    root_cause_cases: "cases with this cause",
    attachments: "Attachments",
    create: "Create",
    templates: "Analytical templates",
    templates_hint: "Empathy map, point of view, how might we, value proposition canvas, journey map canvas — filled from a segment's data, printable and exported as Markdown.",
    no_templates: "No template yet.",
    new_template: "New template",
    kind: "Template",
    segment: "Segment",
    everyone: "every customer",
    prefill: "Fill from the data",
    save: "Save",
    markdown: "Markdown",
    print: "The page prints without the menus: print it or save it as PDF from the browser.",
    edit: "Edit",
    delete: "Delete",
    no_such_study: "There is no such study.",
    no_such_template: "There is no such template.",
};

static RU: Words = Words {
    research_quotes: "Что говорят клиенты в исследованиях",
    studies: "Исследования клиентов",
    studies_hint: "Интервью, наблюдение, «в мокасинах клиента», пять «почему»: что компания узнала, встретившись с клиентами. Цитаты появляются на страницах точек контакта.",
    search: "Искать",
    words_field: "Слова",
    method: "Метод",
    any: "любой",
    theme: "Тема",
    touchpoint: "Точка контакта",
    no_studies: "Исследований не найдено.",
    new_study: "Новое исследование",
    title: "Название",
    date: "Дата",
    summary: "Итог",
    participants: "Участники",
    quotes: "Цитаты клиентов",
    notes: "Заметки",
    whys: "Цепочка «почему» от симптома к причине",
    one_per_line: "по одному в строке",
    root_cause: "Корневая причина",
    root_cause_cases: "кейсов с этой причиной",
    attachments: "Приложения",
    create: "Создать",
    templates: "Аналитические шаблоны",
    templates_hint: "Карта эмпатии, точка зрения, «как мы могли бы…», канва ценностного предложения, канва карты пути — заполняются данными сегмента, печатаются и экспортируются в Markdown.",
    no_templates: "Шаблонов ещё нет.",
    new_template: "Новый шаблон",
    kind: "Шаблон",
    segment: "Сегмент",
    everyone: "все клиенты",
    prefill: "Заполнить из данных",
    save: "Сохранить",
    markdown: "Markdown",
    print: "Страница печатается без меню: распечатайте её или сохраните в PDF средствами браузера.",
    edit: "Редактировать",
    delete: "Удалить",
    no_such_study: "Такого исследования нет.",
    no_such_template: "Такого шаблона нет.",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uk => &UK,
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

/// The sub-navigation of the Diagnosis section.
pub(super) fn section_nav(lang: Lang, here: &str) -> Markup {
    let w = words(lang);
    let items = [
        ("/diagnosis", super::diagnosis::words(lang).title),
        ("/diagnosis/studies", w.studies),
        ("/diagnosis/templates", w.templates),
    ];
    html! {
        nav.tabs {
            @for (path, name) in items {
                a href=(path) aria-current=[(here == path).then_some("page")] { (name) } " "
            }
        }
    }
}

fn refused(
    signed: &SignedIn,
    title: &str,
    problem: Option<&(StatusCode, String)>,
) -> Option<Response> {
    (!signed.principal.is_whole()).then(|| super::diagnosis::not_whole(signed, title, problem))
}

fn lines(form: &Form, field: &str) -> Vec<String> {
    form.one(field)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn studies(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(search): Query<StudySearch>,
) -> Response {
    studies_page(&state, &signed, search, None).await
}

async fn studies_page(
    state: &AppState,
    signed: &SignedIn,
    search: StudySearch,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let (code, w, ui) = (lang.code(), words(lang), lang.ui());
    if let Some(r) = refused(signed, w.studies, problem.as_ref()) {
        return r;
    }
    let org = signed.user().org_id;
    let naming = Naming::load(state, org, lang).await;
    let asked = search.clone();
    let found = state
        .run(move |s| research::search_studies(s, org, &asked))
        .await;
    let csrf = &signed.session.csrf;
    let manage = signed.may(Action::ManageStrategy);
    let body = html! {
        (section_nav(lang, "/diagnosis/studies"))
        h1 { (w.studies) }
        p.hint { (w.studies_hint) }
        @if let Some((_, message)) = &problem { p.error role="alert" { (message) } }
        form.filters method="get" action="/diagnosis/studies" {
            div.filter { label for="q" { (w.words_field) } input #q type="search" name="q" value=[search.q.as_deref()]; }
            div.filter {
                label for="method" { (w.method) }
                select #method name="method" {
                    option value="" { (w.any) }
                    @for m in StudyMethod::ALL { option value=(m.as_str()) selected[search.method.as_deref() == Some(m.as_str())] { (m.name().get(code)) } }
                }
            }
            div.filter {
                label for="touchpoint" { (w.touchpoint) }
                select #touchpoint name="touchpoint" {
                    option value="" { (w.any) }
                    @for (key, name) in naming.choices("touchpoint") { option value=(key) selected[search.touchpoint.as_deref() == Some(key.as_str())] { (name) } }
                }
            }
            div.filter {
                label for="theme" { (w.theme) }
                select #theme name="theme" {
                    option value="" { (w.any) }
                    @for (key, name) in naming.choices("theme") { option value=(key) selected[search.theme.as_deref() == Some(key.as_str())] { (name) } }
                }
            }
            div.filter { button.primary type="submit" { (w.search) } }
        }
        @match &found {
            Err(e) => p.error role="alert" { (e.page_message()) },
            Ok(list) if list.is_empty() => p { (w.no_studies) },
            Ok(list) => ul.studies {
                @for s in list {
                    li data-study=(s.id) {
                        a href={ "/diagnosis/studies/" (s.id) } { (s.definition.title) }
                        " " small.meta { (s.definition.method.name().get(code)) " · " (s.definition.conducted_on)
                            " · " (s.definition.notes.iter().filter(|n| n.quote).count()) " " (w.quotes.to_lowercase()) }
                        @if let Some(summary) = &s.definition.summary { p.meta { (summary) } }
                    }
                }
            },
        }
        @if manage {
            details open[problem.is_some()] {
                summary { (w.new_study) }
                form.fields method="post" action="/diagnosis/studies" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="s-title" { (w.title) }
                    input #s-title type="text" name="title" required maxlength="200";
                    label for="s-method" { (w.method) }
                    select #s-method name="method" {
                        @for m in StudyMethod::ALL { option value=(m.as_str()) { (m.name().get(code)) } }
                    }
                    label for="s-date" { (w.date) }
                    input #s-date type="date" name="conducted_on" required value=(Utc::now().date_naive());
                    label for="s-touchpoint" { (w.touchpoint) }
                    select #s-touchpoint name="touchpoint" {
                        option value="" { "—" }
                        @for (key, name) in naming.choices("touchpoint") { option value=(key) { (name) } }
                    }
                    label for="s-summary" { (w.summary) }
                    textarea #s-summary name="summary" rows="2" {}
                    label for="s-participants" { (w.participants) " (" (w.one_per_line) ")" }
                    textarea #s-participants name="participants" rows="2" {}
                    label for="s-quotes" { (w.quotes) " (" (w.one_per_line) ")" }
                    textarea #s-quotes name="quotes" rows="3" {}
                    label for="s-notes" { (w.notes) " (" (w.one_per_line) ")" }
                    textarea #s-notes name="notes" rows="3" {}
                    label for="s-whys" { (w.whys) " (" (w.one_per_line) ")" }
                    textarea #s-whys name="whys" rows="3" {}
                    label for="s-root" { (w.root_cause) }
                    input #s-root type="text" name="root_cause" maxlength="200";
                    button.primary type="submit" { (w.create) }
                }
            }
        }
        p.meta { (ui.same_in_api) ": " code { "GET /api/v1/studies" } }
    };
    html_response(
        problem.as_ref().map_or(StatusCode::OK, |p| p.0),
        app_page(signed, "/diagnosis", w.studies, body),
    )
}

pub async fn create_study(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    let problem = match refusal(&signed, &headers, &form, Action::ManageStrategy) {
        Some(message) => Some((StatusCode::FORBIDDEN, message.to_owned())),
        None if !signed.principal.is_whole() => Some((StatusCode::FORBIDDEN, String::new())),
        None => None,
    };
    if problem.is_some() {
        return studies_page(&state, &signed, StudySearch::default(), problem).await;
    }
    let org = signed.user().org_id;
    let made = state
        .run(move |s| {
            let touchpoint = form.text("touchpoint");
            let note = |text: String, quote: bool| StudyNote {
                text,
                quote,
                participant: None,
                touchpoint: touchpoint.clone(),
                touchpoint_id: None,
                themes: Vec::new(),
            };
            let definition = StudyDefinition {
                title: form.text("title").unwrap_or_default(),
                method: form
                    .one("method")
                    .and_then(|m| StudyMethod::ALL.into_iter().find(|x| x.as_str() == m))
                    .ok_or_else(|| FieldError::new("method", "choose a method"))?,
                conducted_on: given_day(&form.text("conducted_on"))
                    .ok_or_else(|| FieldError::new("conducted_on", "must be a date, YYYY-MM-DD"))?,
                summary: form.text("summary"),
                participants: lines(&form, "participants")
                    .into_iter()
                    .map(|name| Participant {
                        name,
                        customer_id: None,
                    })
                    .collect(),
                notes: lines(&form, "quotes")
                    .into_iter()
                    .map(|t| note(t, true))
                    .chain(lines(&form, "notes").into_iter().map(|t| note(t, false)))
                    .collect(),
                attachments: Vec::new(),
                whys: lines(&form, "whys"),
                root_cause: form.text("root_cause"),
            };
            research::save_study(s, org, None, definition, Utc::now())
        })
        .await;
    match made {
        Ok(study) => redirect(&format!("/diagnosis/studies/{}", study.id)),
        Err(e) => {
            studies_page(
                &state,
                &signed,
                StudySearch::default(),
                Some((e.status, e.page_message())),
            )
            .await
        }
    }
}

pub async fn study(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    let lang = signed.lang();
    let (code, w) = (lang.code(), words(lang));
    if let Some(r) = refused(&signed, w.studies, None) {
        return r;
    }
    let org = signed.user().org_id;
    let naming = Naming::load(&state, org, lang).await;
    let found: Result<Study, _> = state.run(move |s| research::get_study(s, org, id)).await;
    let Ok(s) = found else {
        return section_message(&signed, w.studies, StatusCode::NOT_FOUND, w.no_such_study);
    };
    let d = &s.definition;
    let note = |n: &StudyNote| {
        html! {
            li {
                p.comment { @if n.quote { "«" (n.text) "»" } @else { (n.text) } }
                p.meta {
                    @if let Some(p) = n.participant.and_then(|p| d.participants.get(p)) { (p.name) " · " }
                    @if let Some(t) = n.touchpoint_id.and_then(|t| naming.of_id("touchpoint", t)) { (t) " · " }
                    (naming.list("theme", &n.themes))
                }
            }
        }
    };
    let body = html! {
        (section_nav(lang, ""))
        p { a href="/diagnosis/studies" { "← " (w.studies) } }
        h1 { (d.title) }
        @if signed.may(Action::ManageStrategy) {
            (super::diagnosis::delete_form(&format!("/diagnosis/studies/{}/delete", s.id), &signed.session.csrf, w.delete))
        }
        p.meta { (d.method.name().get(code)) " · " (d.conducted_on) }
        @if let Some(summary) = &d.summary { p { (summary) } }
        @if !d.participants.is_empty() {
            h2 { (w.participants) }
            ul { @for p in &d.participants {
                li { @match p.customer_id { Some(c) => a href={ "/customers/" (c) } { (p.name) }, None => (p.name) } }
            } }
        }
        @if d.notes.iter().any(|n| n.quote) {
            h2 { (w.quotes) }
            ul.comments { @for n in d.notes.iter().filter(|n| n.quote) { (note(n)) } }
        }
        @if d.notes.iter().any(|n| !n.quote) {
            h2 { (w.notes) }
            ul.comments { @for n in d.notes.iter().filter(|n| !n.quote) { (note(n)) } }
        }
        @if !d.whys.is_empty() {
            h2 { (w.whys) }
            ol.whys { @for why in &d.whys { li { (why) } } }
        }
        @if let Some(cause) = &d.root_cause {
            p { strong { (w.root_cause) ": " } (naming.of("root_cause", cause))
                @if let Some(n) = s.root_cause_cases { " · " (n) " " (w.root_cause_cases) } }
        }
        @if !d.attachments.is_empty() {
            h2 { (w.attachments) }
            @for a in &d.attachments { details { summary { (a.name) } pre.attachment { (a.text) } } }
        }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/diagnosis", &d.title, body),
    )
}

// ---------------------------------------------------------------------------------------------
// Templates

fn segments(state_index: &dosvid_analytics::Index) -> Vec<String> {
    state_index.attribute_values("segment")
}

pub async fn templates(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    templates_page(&state, &signed, None).await
}

async fn templates_page(
    state: &AppState,
    signed: &SignedIn,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let (code, w) = (lang.code(), words(lang));
    if let Some(r) = refused(signed, w.templates, problem.as_ref()) {
        return r;
    }
    let org = signed.user().org_id;
    let naming = Naming::load(state, org, lang).await;
    let read = state
        .with_index(&signed.principal, move |s, index| {
            let list = s
                .list_documents(org, DocumentKind::Template, None)?
                .iter()
                .map(research::template)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((list, segments(index)))
        })
        .await;
    let (list, segments) = match read {
        Ok(r) => r,
        Err(e) => {
            return section_message(signed, w.templates, e.status, &e.page_message());
        }
    };
    let csrf = &signed.session.csrf;
    let manage = signed.may(Action::ManageStrategy);
    let body = html! {
        (section_nav(lang, "/diagnosis/templates"))
        h1 { (w.templates) }
        p.hint { (w.templates_hint) }
        @if let Some((_, message)) = &problem { p.error role="alert" { (message) } }
        @if list.is_empty() { p { (w.no_templates) } }
        ul.templates {
            @for t in &list {
                li data-template=(t.id) {
                    a href={ "/diagnosis/templates/" (t.id) } { (t.document.title) }
                    " " small.meta { (t.document.kind.name().get(code)) " · " (segment_name(&t.document, &naming, w)) }
                }
            }
        }
        @if manage {
            details open[problem.is_some()] {
                summary { (w.new_template) }
                form.fields method="post" action="/diagnosis/templates" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="t-kind" { (w.kind) }
                    select #t-kind name="kind" {
                        @for k in TemplateKind::ALL { option value=(k.as_str()) { (k.name().get(code)) } }
                    }
                    label for="t-title" { (w.title) }
                    input #t-title type="text" name="title" required maxlength="200";
                    label for="t-segment" { (w.segment) }
                    select #t-segment name="segment" {
                        option value="" { (w.everyone) }
                        @for s in &segments { option value=(s) { (naming.of("segment", s)) } }
                    }
                    label { input type="checkbox" name="prefill" value="1" checked; " " (w.prefill) }
                    button.primary type="submit" { (w.create) }
                }
            }
        }
    };
    html_response(
        problem.as_ref().map_or(StatusCode::OK, |p| p.0),
        app_page(signed, "/diagnosis", w.templates, body),
    )
}

fn segment_name(doc: &TemplateDocument, naming: &Naming, w: &Words) -> String {
    doc.segment
        .as_ref()
        .and_then(|s| s.get("segment"))
        .and_then(|v| v.as_str())
        .map_or_else(
            || w.everyone.to_owned(),
            |s| naming.of("segment", s).to_owned(),
        )
}

/// The checks every change to a template passes: the role, the form's token, the whole company.
fn template_refusal(
    signed: &SignedIn,
    headers: &HeaderMap,
    form: &Form,
) -> Option<(StatusCode, String)> {
    match refusal(signed, headers, form, Action::ManageStrategy) {
        Some(message) => Some((StatusCode::FORBIDDEN, message.to_owned())),
        None if !signed.principal.is_whole() => Some((StatusCode::FORBIDDEN, String::new())),
        None => None,
    }
}

pub async fn create_template(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if let Some(problem) = template_refusal(&signed, &headers, &form) {
        return templates_page(&state, &signed, Some(problem)).await;
    }
    let org = signed.user().org_id;
    let lang = signed.lang().code();
    let made = state
        .with_index(&signed.principal, move |s, index| {
            let document = TemplateDocument {
                kind: form
                    .one("kind")
                    .and_then(|k| TemplateKind::ALL.into_iter().find(|x| x.as_str() == k))
                    .ok_or_else(|| FieldError::new("kind", "choose a template"))?,
                title: form.text("title").unwrap_or_default(),
                segment: form.text("segment").map(|s| {
                    dosvid_domain::Attributes::from_iter([("segment".to_owned(), s.into())])
                }),
                sections: Default::default(),
            };
            let prefill = form.one("prefill").is_some().then_some(lang);
            research::save_template(s, index, org, None, document, prefill, Utc::now())
        })
        .await;
    match made {
        Ok(t) => redirect(&format!("/diagnosis/templates/{}", t.id)),
        Err(e) => templates_page(&state, &signed, Some((e.status, e.page_message()))).await,
    }
}

fn load(store: &dyn Store, org: OrgId, id: i64) -> Result<Template, StoreError> {
    research::template(&store.get_document(org, DocumentKind::Template, id)?)
}

pub async fn template(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    template_page(&state, &signed, id, None).await
}

async fn template_page(
    state: &AppState,
    signed: &SignedIn,
    id: i64,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let (code, w) = (lang.code(), words(lang));
    if let Some(r) = refused(signed, w.templates, problem.as_ref()) {
        return r;
    }
    let org = signed.user().org_id;
    let naming = Naming::load(state, org, lang).await;
    let Ok(t) = state.run(move |s| load(s, org, id)).await else {
        return section_message(
            signed,
            w.templates,
            StatusCode::NOT_FOUND,
            w.no_such_template,
        );
    };
    let doc = &t.document;
    let manage = signed.may(Action::ManageStrategy);
    let body = html! {
        (section_nav(lang, ""))
        p.no-print { a href="/diagnosis/templates" { "← " (w.templates) } }
        h1 { (doc.title) }
        p.meta { (doc.kind.name().get(code)) " · " (segment_name(doc, &naming, w)) " · "
            a.no-print href={ "/diagnosis/templates/" (t.id) "/markdown" } { (w.markdown) } }
        p.hint.no-print { (w.print) }
        @if let Some((_, message)) = &problem { p.error role="alert" { (message) } }
        div.canvas {
            @for (key, name) in doc.kind.sections() {
                section.cell data-section=(key) {
                    h2 { (name.get(code)) }
                    ul { @for e in doc.sections.get(*key).into_iter().flatten() { li { (e) } } }
                }
            }
        }
        @if manage {
            p.no-print { (super::diagnosis::delete_form(&format!("/diagnosis/templates/{}/delete", t.id), &signed.session.csrf, w.delete)) }
            details.no-print open[problem.is_some()] {
                summary { (w.edit) }
                form.fields method="post" action={ "/diagnosis/templates/" (t.id) } {
                    input type="hidden" name="csrf" value=(signed.session.csrf);
                    label for="t-title" { (w.title) }
                    input #t-title type="text" name="title" required maxlength="200" value=(doc.title);
                    @for (key, name) in doc.kind.sections() {
                        label for={ "t-" (key) } { (name.get(code)) " (" (w.one_per_line) ")" }
                        textarea id={ "t-" (key) } name=(key) rows="4" { (doc.sections.get(*key).map(|e| e.join("\n")).unwrap_or_default()) }
                    }
                    button.primary type="submit" { (w.save) }
                }
            }
        }
    };
    html_response(
        problem.as_ref().map_or(StatusCode::OK, |p| p.0),
        app_page(signed, "/diagnosis", &doc.title, body),
    )
}

pub async fn update_template(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if let Some(problem) = template_refusal(&signed, &headers, &form) {
        return templates_page(&state, &signed, Some(problem)).await;
    }
    let org = signed.user().org_id;
    let saved = state
        .with_index(&signed.principal, move |s, index| {
            let mut document = load(s, org, id)?.document;
            document.title = form.text("title").unwrap_or_default();
            for (key, _) in document.kind.sections() {
                document
                    .sections
                    .insert((*key).to_owned(), lines(&form, key));
            }
            research::save_template(s, index, org, Some(id), document, None, Utc::now())
        })
        .await;
    match saved {
        Ok(_) => redirect(&format!("/diagnosis/templates/{id}")),
        Err(e) => template_page(&state, &signed, id, Some((e.status, e.page_message()))).await,
    }
}

pub async fn template_markdown(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    let lang = signed.lang();
    if let Some(r) = refused(&signed, words(lang).templates, None) {
        return r;
    }
    let org = signed.user().org_id;
    match state.run(move |s| load(s, org, id)).await {
        Ok(t) => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/markdown; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"template-{id}.md\""),
                ),
            ],
            t.document.markdown(lang.code()),
        )
            .into_response(),
        Err(e) => html_response(
            e.status,
            app_page(
                &signed,
                "/diagnosis",
                words(lang).templates,
                html! { p { (e.page_message()) } },
            ),
        ),
    }
}
