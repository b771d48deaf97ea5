//! The Diagnosis section (issue 22): readiness for CXM as a radar with the weakest blocks and
//! what to do about them, the maturity ladder with its evidence, the company–client model with
//! the five gaps on it, the standards and promises they are measured against, and each
//! assessment with its questionnaire to answer. Figures come from `crate::diagnosis`, as the
//! API's do.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use dosvid_domain::diagnosis::{
    AssessmentAnswer, AssessmentDefinition, CRITERIA, Direction, ITEMS, MaturityThresholds, Part,
    PromiseDefinition, ReadinessBlock, ServiceMetric, ServiceTarget, StandardDefinition,
};
use dosvid_domain::survey::ServqualDimension;
use dosvid_domain::user::Action;
use dosvid_domain::{FieldError, OrgId};
use dosvid_store::{Store, StoreError, all_pages};
use maud::{Markup, html};
use serde::Deserialize;

use super::app::{SignedIn, app_page, csrf_ok, redirect, refusal};
use super::i18n::{Lang, Ui};
use super::naming::Naming;
use super::{Form, given_day, html_response};
use crate::AppState;
use crate::diagnosis::{self, AssessmentReport, Gap, GapUnit, Gaps, Maturity, PeriodParams};

pub struct Words {
    pub title: &'static str,
    hint: &'static str,
    from: &'static str,
    to: &'static str,
    readiness: &'static str,
    readiness_hint: &'static str,
    no_assessment: &'static str,
    assessments: &'static str,
    conducted_on: &'static str,
    respondents: &'static str,
    overall: &'static str,
    new_assessment: &'static str,
    assessment_title: &'static str,
    note: &'static str,
    gap1_survey: &'static str,
    none: &'static str,
    create: &'static str,
    open: &'static str,
    part: &'static str,
    score: &'static str,
    spread: &'static str,
    range: &'static str,
    disagreement: &'static str,
    weak: &'static str,
    recommendation: &'static str,
    blocks: &'static str,
    support: &'static str,
    answer_title: &'static str,
    answer_hint: &'static str,
    respondent: &'static str,
    role: &'static str,
    agreement: [&'static str; 5],
    dont_know: &'static str,
    expectations_title: &'static str,
    expectations_hint: &'static str,
    save_answers: &'static str,
    maturity: &'static str,
    maturity_hint: &'static str,
    level_reached: &'static str,
    self_assessed: &'static str,
    criterion: &'static str,
    figure: &'static str,
    threshold: &'static str,
    holds: &'static str,
    yes: &'static str,
    no: &'static str,
    no_figure: &'static str,
    thresholds: &'static str,
    save: &'static str,
    at_least: &'static str,
    at_most: &'static str,
    gaps: &'static str,
    gaps_hint: &'static str,
    gap_names: [&'static str; 5],
    gap_meaning: [&'static str; 5],
    gap: &'static str,
    interval: &'static str,
    previous: &'static str,
    widest: &'static str,
    model: [&'static str; 6],
    standards: &'static str,
    standards_hint: &'static str,
    new_standard: &'static str,
    name: &'static str,
    metric: &'static str,
    target: &'static str,
    touchpoint: &'static str,
    all_touchpoints: &'static str,
    dimension: &'static str,
    compliance: &'static str,
    met_of: &'static str,
    promises: &'static str,
    promises_hint: &'static str,
    new_promise: &'static str,
    promise_text: &'static str,
    channel: &'static str,
    made_on: &'static str,
    kept: &'static str,
    metrics: [&'static str; 5],
    delete: &'static str,
    expectations: &'static str,
    customers: &'static str,
    staff: &'static str,
    coverage: &'static str,
    staff_expectation: &'static str,
    pub not_whole: &'static str,
    no_such: &'static str,
    link: &'static str,
    link_hint: &'static str,
    make_link: &'static str,
    link_invalid: &'static str,
    thanks: &'static str,
}

static UK: Words = Words {
    title: "Діагностика",
    hint: "Чи готова компанія управляти досвідом клієнтів, наскільки зрілі її взаємодії з ними і де розриваються відносини компанії та клієнта — за відповідями людей компанії та за її власними даними.",
    from: "З",
    to: "До (не включно)",
    readiness: "Готовність до управління досвідом",
    readiness_hint: "П’ять блоків і шість видів зовнішньої підтримки, 0–100 за відповідями кількох людей компанії; розкид між ними — теж знахідка.",
    no_assessment: "Оцінювання ще не було. Почніть його нижче й попросіть кількох керівників відповісти.",
    assessments: "Оцінювання",
    conducted_on: "Дата",
    respondents: "Відповіли",
    overall: "Загалом",
    new_assessment: "Нове оцінювання",
    assessment_title: "Назва",
    note: "Примітка",
    gap1_survey: "Опитування SERVQUAL для розриву 1 (необов’язково)",
    none: "—",
    create: "Створити",
    open: "Відкрити",
    part: "Блок",
    score: "Бал",
    spread: "Розкид (σ)",
    range: "Від–до",
    disagreement: "розбіжність думок",
    weak: "слабкий блок",
    recommendation: "Що робити",
    blocks: "Блоки готовності",
    support: "Зовнішня підтримка",
    answer_title: "Ваші відповіді",
    answer_hint: "Наскільки ви згодні з кожним твердженням? Якщо не знаєте — залиште «не знаю». Повторна відповідь під тим самим ім’ям замінює попередню.",
    respondent: "Хто відповідає",
    role: "Посада",
    agreement: ["1 — зовсім ні", "2", "3", "4", "5 — повністю так"],
    dont_know: "не знаю",
    expectations_title: "Чого, на вашу думку, очікують клієнти?",
    expectations_hint: "Ті самі пункти очікувань, що й в опитуванні клієнтів, 1–7: так вимірюється розрив 1.",
    save_answers: "Зберегти відповіді",
    maturity: "Зрілість взаємодії",
    maturity_hint: "П’ять рівнів від комунікації до розвитку відносин. Досягнутий рівень — найвищий, докази якого та всіх нижчих рівнів виконуються; поруч — самооцінка з останнього оцінювання.",
    level_reached: "Досягнутий рівень за даними",
    self_assessed: "Самооцінка",
    criterion: "Критерій",
    figure: "Значення",
    threshold: "Поріг",
    holds: "Виконано",
    yes: "так",
    no: "ні",
    no_figure: "немає даних",
    thresholds: "Пороги критеріїв",
    save: "Зберегти",
    at_least: "≥",
    at_most: "≤",
    gaps: "П’ять розривів якості сервісу",
    gaps_hint: "Модель «компанія — клієнт»: де очікування, стандарти, виконання, обіцянки й сприйняття розходяться. Розриви 2–4 — частки, що не дотягують; 1 і 5 — у балах шкали 1–7.",
    gap_names: [
        "Розрив 1: уявлення керівництва",
        "Розрив 2: стандарти",
        "Розрив 3: виконання",
        "Розрив 4: обіцянки",
        "Розрив 5: сприйняття (SERVQUAL)",
    ],
    gap_meaning: [
        "очікування клієнтів мінус те, що про них думають люди компанії",
        "частка відповідей клієнтів у точках контакту без жодного стандарту",
        "частка подій, що не відповідають стандартам",
        "частка подій, що не відповідають обіцяному",
        "сприйняття мінус очікування клієнтів",
    ],
    gap: "Розрив",
    interval: "95% інтервал",
    previous: "Попередній період",
    widest: "Де найширший",
    model: [
        "Очікуваний сервіс",
        "Сприйнятий сервіс",
        "Наданий сервіс",
        "Обіцянки в комунікаціях",
        "Стандарти сервісу",
        "Уявлення керівництва про очікування",
    ],
    standards: "Стандарти сервісу",
    standards_hint: "Стандарт — метрика, ціль і точка контакту, напр. «лінія: відповідь ≤ 120 с». Його виконання — розрив 3.",
    new_standard: "Новий стандарт",
    name: "Назва",
    metric: "Метрика",
    target: "Ціль",
    touchpoint: "Точка контакту",
    all_touchpoints: "усі точки контакту",
    dimension: "Вимір очікувань",
    compliance: "Виконання",
    met_of: "з",
    promises: "Обіцянки",
    promises_hint: "Що компанія обіцяє в рекламі, на сайті, в договорі — і чи виконує: розрив 4.",
    new_promise: "Нова обіцянка",
    promise_text: "Текст обіцянки",
    channel: "Де сказано",
    made_on: "Від дати",
    kept: "Дотримано",
    metrics: [
        "тривалість взаємодії, с ≤",
        "час вирішення кейсу, год ≤",
        "CSAT ≥",
        "оцінка NPS ≥",
        "CES ≤",
    ],
    delete: "Видалити",
    expectations: "Очікування: клієнти і люди компанії",
    customers: "Клієнти",
    staff: "Люди компанії",
    coverage: "Стандарти за вимірами очікувань",
    staff_expectation: "Очікування за оцінкою компанії",
    not_whole: "Діагностика охоплює всю компанію; вона доступна користувачам без обмеження підрозділом.",
    no_such: "Такого оцінювання немає.",
    link: "Посилання для колег",
    link_hint: "Колеги без облікового запису відповідають за посиланням, назвавши себе; воно діє 30 днів.",
    make_link: "Створити посилання",
    link_invalid: "Посилання недійсне або його строк минув.",
    thanks: "Дякуємо! Ваші відповіді збережено.",
};

static EN: Words = Words {
    title: "Diagnosis",
    hint: "Is the company ready to manage the customer experience, how mature are its interactions, and where does the company–client relationship break — from its people's answers and its own data.",
    from: "From",
    to: "To (exclusive)",
    readiness: "Readiness for CXM",
    readiness_hint: "Five blocks and six kinds of external support, 0–100 from several people's answers; the spread between them is a finding too.",
    no_assessment: "No assessment yet. Start one below and ask a few managers to answer it.",
    assessments: "Assessments",
    conducted_on: "Date",
    respondents: "Answered",
    overall: "Overall",
    new_assessment: "New assessment",
    assessment_title: "Title",
    note: "Note",
    gap1_survey: "SERVQUAL survey for gap 1 (optional)",
    none: "—",
    create: "Create",
    open: "Open",
    part: "Block",
    score: "Score",
    spread: "Spread (σ)",
    range: "Range",
    disagreement: "people disagree",
    weak: "weak block",
    recommendation: "What to do",
    blocks: "Readiness blocks",
    support: "External support",
    answer_title: "Your answers",
    answer_hint: "How far do you agree with each statement? If you do not know, leave \"don't know\". Answering again under the same name replaces your earlier answers.",
    respondent: "Who is answering",
    role: "Role",
    agreement: ["1 — not at all", "2", "3", "4", "5 — fully"],
    dont_know: "don't know",
    expectations_title: "What do you think customers expect?",
    expectations_hint: "The same expectation items as the customer survey, 1–7: this measures gap 1.",
    save_answers: "Save answers",
    maturity: "Interaction maturity",
    maturity_hint: "Five levels from communication to relationship evolution. The level reached is the highest whose evidence holds with every level's below it; beside it, the self-assessment from the latest assessment.",
    level_reached: "Level reached by the data",
    self_assessed: "Self-assessment",
    criterion: "Criterion",
    figure: "Figure",
    threshold: "Threshold",
    holds: "Holds",
    yes: "yes",
    no: "no",
    no_figure: "no data",
    thresholds: "Criteria thresholds",
    save: "Save",
    at_least: "≥",
    at_most: "≤",
    gaps: "The five service-quality gaps",
    gaps_hint: "The company–client model: where expectations, standards, delivery, promises and perception part. Gaps 2–4 are shares that fall short; 1 and 5 are points on the 1–7 scale.",
    gap_names: [
        "Gap 1: management's idea",
        "Gap 2: standards",
        "Gap 3: delivery",
        "Gap 4: promises",
        "Gap 5: perception (SERVQUAL)",
    ],
    gap_meaning: [
        "customers' expectations minus what the company's people think they are",
        "share of customers' answers at touchpoints no standard governs",
        "share of events that miss their standards",
        "share of events that miss what was promised",
        "customers' perception minus their expectation",
    ],
    gap: "Gap",
    interval: "95% interval",
    previous: "Previous period",
    widest: "Widest at",
    model: [
        "Expected service",
        "Perceived service",
        "Service delivered",
        "Promises in communications",
        "Service standards",
        "Management's idea of expectations",
    ],
    standards: "Service standards",
    standards_hint: "A standard is a metric, a target and a touchpoint, e.g. \"queue: answered within 120 s\". Meeting it is gap 3.",
    new_standard: "New standard",
    name: "Name",
    metric: "Metric",
    target: "Target",
    touchpoint: "Touchpoint",
    all_touchpoints: "every touchpoint",
    dimension: "Expectation dimension",
    compliance: "Met",
    met_of: "of",
    promises: "Promises",
    promises_hint: "What the company promises in adverts, on its website, in contracts — and whether it keeps it: gap 4.",
    new_promise: "New promise",
    promise_text: "What was promised",
    channel: "Where it was said",
    made_on: "Since",
    kept: "Kept",
    metrics: [
        "interaction time, s ≤",
        "case resolution time, h ≤",
        "CSAT ≥",
        "NPS score ≥",
        "CES ≤",
    ],
    delete: "Delete",
    expectations: "Expectations: customers and the company's people",
    customers: "Customers",
    staff: "Company's people",
    coverage: "Standards by expectation dimension",
    staff_expectation: "Expectation as the company rates it",
    not_whole: "The diagnosis covers the whole company; it is open to users not limited to a unit.",
    no_such: "There is no such assessment.",
    link: "A link for colleagues",
    link_hint: "Colleagues without an account answer through the link, giving their name; it is valid for 30 days.",
    make_link: "Make a link",
    link_invalid: "The link is not valid or has expired.",
    thanks: "Thank you! Your answers are saved.",
};

static RU: Words = Words {
    title: "Диагностика",
    hint: "Готова ли компания управлять опытом клиентов, насколько зрелы её взаимодействия с ними и где разрываются отношения компании и клиента — по ответам людей компании и по её собственным данным.",
    from: "С",
    to: "До (не включительно)",
    readiness: "Готовность к управлению опытом",
    readiness_hint: "Пять блоков и шесть видов внешней поддержки, 0–100 по ответам нескольких людей компании; разброс между ними — тоже находка.",
    no_assessment: "Оценки ещё не было. Начните её ниже и попросите нескольких руководителей ответить.",
    assessments: "Оценки",
    conducted_on: "Дата",
    respondents: "Ответили",
    overall: "В целом",
    new_assessment: "Новая оценка",
    assessment_title: "Название",
    note: "Примечание",
    gap1_survey: "Опрос SERVQUAL для разрыва 1 (необязательно)",
    none: "—",
    create: "Создать",
    open: "Открыть",
    part: "Блок",
    score: "Балл",
    spread: "Разброс (σ)",
    range: "От–до",
    disagreement: "мнения расходятся",
    weak: "слабый блок",
    recommendation: "Что делать",
    blocks: "Блоки готовности",
    support: "Внешняя поддержка",
    answer_title: "Ваши ответы",
    answer_hint: "Насколько вы согласны с каждым утверждением? Если не знаете — оставьте «не знаю». Повторный ответ под тем же именем заменяет прежний.",
    respondent: "Кто отвечает",
    role: "Должность",
    agreement: ["1 — совсем нет", "2", "3", "4", "5 — полностью да"],
    dont_know: "не знаю",
    expectations_title: "Чего, по-вашему, ожидают клиенты?",
    expectations_hint: "Те же пункты ожиданий, что и в опросе клиентов, 1–7: так измеряется разрыв 1.",
    save_answers: "Сохранить ответы",
    maturity: "Зрелость взаимодействия",
    maturity_hint: "Пять уровней от коммуникации до развития отношений. Достигнутый уровень — наивысший, доказательства которого и всех нижних уровней выполняются; рядом — самооценка из последней оценки.",
    level_reached: "Достигнутый уровень по данным",
    self_assessed: "Самооценка",
    criterion: "Критерий",
    figure: "Значение",
    threshold: "Порог",
    holds: "Выполнено",
    yes: "да",
    no: "нет",
    no_figure: "нет данных",
    thresholds: "Пороги критериев",
    save: "Сохранить",
    at_least: "≥",
    at_most: "≤",
    gaps: "Пять разрывов качества сервиса",
    gaps_hint: "Модель «компания — клиент»: где расходятся ожидания, стандарты, исполнение, обещания и восприятие. Разрывы 2–4 — доли недотягивающего; 1 и 5 — в баллах шкалы 1–7.",
    gap_names: [
        "Разрыв 1: представление руководства",
        "Разрыв 2: стандарты",
        "Разрыв 3: исполнение",
        "Разрыв 4: обещания",
        "Разрыв 5: восприятие (SERVQUAL)",
    ],
    gap_meaning: [
        "ожидания клиентов минус то, что о них думают люди компании",
        "доля ответов клиентов в точках контакта без стандарта",
        "доля событий, не отвечающих стандартам",
        "доля событий, не отвечающих обещанному",
        "восприятие минус ожидания клиентов",
    ],
    gap: "Разрыв",
    interval: "95% интервал",
    previous: "Предыдущий период",
    widest: "Где шире всего",
    model: [
        "Ожидаемый сервис",
        "Воспринятый сервис",
        "Предоставленный сервис",
        "Обещания в коммуникациях",
        "Стандарты сервиса",
        "Представление руководства об ожиданиях",
    ],
    standards: "Стандарты сервиса",
    standards_hint: "Стандарт — метрика, цель и точка контакта, напр. «линия: ответ ≤ 120 с». Его исполнение — разрыв 3.",
    new_standard: "Новый стандарт",
    name: "Название",
    metric: "Метрика",
    target: "Цель",
    touchpoint: "Точка контакта",
    all_touchpoints: "все точки контакта",
    dimension: "Измерение ожиданий",
    compliance: "Исполнение",
    met_of: "из",
    promises: "Обещания",
    promises_hint: "Что компания обещает в рекламе, на сайте, в договоре — и выполняет ли: разрыв 4.",
    new_promise: "Новое обещание",
    promise_text: "Текст обещания",
    channel: "Где сказано",
    made_on: "С даты",
    kept: "Соблюдено",
    metrics: [
        "длительность взаимодействия, с ≤",
        "время решения кейса, ч ≤",
        "CSAT ≥",
        "оценка NPS ≥",
        "CES ≤",
    ],
    delete: "Удалить",
    expectations: "Ожидания: клиенты и люди компании",
    customers: "Клиенты",
    staff: "Люди компании",
    coverage: "Стандарты по измерениям ожиданий",
    staff_expectation: "Ожидание по оценке компании",
    not_whole: "Диагностика охватывает всю компанию; она доступна пользователям без ограничения подразделением.",
    no_such: "Такой оценки нет.",
    link: "Ссылка для коллег",
    link_hint: "Коллеги без учётной записи отвечают по ссылке, назвав себя; она действует 30 дней.",
    make_link: "Создать ссылку",
    link_invalid: "Ссылка недействительна или её срок истёк.",
    thanks: "Спасибо! Ваши ответы сохранены.",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uk => &UK,
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

/// What a person limited to a unit meets in the Diagnosis section (it is the whole company's),
/// with the problem of what they tried, when they tried something.
pub(super) fn not_whole(
    signed: &SignedIn,
    title: &str,
    problem: Option<&(StatusCode, String)>,
) -> Response {
    let w = words(signed.lang());
    html_response(
        problem.map_or(StatusCode::FORBIDDEN, |p| p.0),
        app_page(
            signed,
            "/diagnosis",
            title,
            html! {
                h1 { (title) }
                @if let Some((_, message)) = problem.filter(|p| !p.1.is_empty()) { p.error role="alert" { (message) } }
                p { (w.not_whole) }
            },
        ),
    )
}

/// A Diagnosis page that only says what went wrong.
pub(super) fn section_message(
    signed: &SignedIn,
    title: &str,
    status: StatusCode,
    message: &str,
) -> Response {
    html_response(
        status,
        app_page(
            signed,
            "/diagnosis",
            title,
            html! { h1 { (title) } p.error role="alert" { (message) } },
        ),
    )
}

/// A form with one button that deletes what `action` names.
pub(super) fn delete_form(action: &str, csrf: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            button.secondary.small type="submit" { (label) }
        }
    }
}

fn metric_name(w: &Words, metric: ServiceMetric) -> &'static str {
    w.metrics[ServiceMetric::ALL
        .iter()
        .position(|m| *m == metric)
        .unwrap_or(0)]
}

fn dimension_name(ui: &Ui, d: ServqualDimension) -> &'static str {
    ui.servqual_dimensions[ServqualDimension::ALL
        .iter()
        .position(|x| *x == d)
        .unwrap_or(0)]
}

fn number(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn gap_figure(gap: &Gap) -> String {
    match (gap.figure, gap.unit) {
        (None, _) => "—".to_owned(),
        (Some(v), GapUnit::Points) => format!("{v:+.2}"),
        (Some(v), GapUnit::Percent) => format!("{v:.0}%"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DiagnosisParams {
    from: Option<String>,
    to: Option<String>,
}

/// What the overview shows, read in one go.
struct Overview {
    /// Every assessment with its answers scored, oldest first: compared over time.
    history: Vec<AssessmentReport>,
    latest: Option<AssessmentReport>,
    earlier: Option<AssessmentReport>,
    maturity: Maturity,
    gaps: Gaps,
    thresholds: MaturityThresholds,
    surveys: Vec<(i64, String)>,
    questions: BTreeMap<String, String>,
}

/// The surveys with SERVQUAL items (id, title), and every such item's text by its id.
type SurveyTexts = (Vec<(i64, String)>, BTreeMap<String, String>);

/// The surveys with SERVQUAL items (id, title), and every such item's text in `lang`.
fn servqual_surveys(store: &dyn Store, org: OrgId, lang: Lang) -> Result<SurveyTexts, StoreError> {
    let code = lang.code();
    let mut surveys = Vec::new();
    let mut questions = BTreeMap::new();
    for s in all_pages(|p| store.list_surveys(org, p))? {
        let def = &s.definition;
        let text = |t: &dosvid_domain::survey::Texts| {
            t.get(code)
                .or_else(|| def.languages.first().and_then(|l| t.get(l)))
                .cloned()
                .unwrap_or_default()
        };
        let items: Vec<_> = def
            .questions
            .iter()
            .filter(|q| q.dimension.is_some())
            .collect();
        if items.is_empty() {
            continue;
        }
        for q in items {
            questions.insert(q.id.clone(), text(&q.text));
        }
        surveys.push((s.id, text(&def.title)));
    }
    Ok((surveys, questions))
}

pub async fn overview(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<DiagnosisParams>,
) -> Response {
    overview_page(&state, &signed, &params, None).await
}

async fn overview_page(
    state: &AppState,
    signed: &SignedIn,
    params: &DiagnosisParams,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let (ui, w) = (lang.ui(), words(lang));
    if !signed.principal.is_whole() {
        return not_whole(signed, w.title, problem.as_ref());
    }
    let org = signed.user().org_id;
    let period = PeriodParams {
        from: given_day(&params.from).map(|d| d.to_string()),
        to: given_day(&params.to).map(|d| d.to_string()),
    };
    let naming = Naming::load(state, org, lang).await;
    let read = state
        .with_index(&signed.principal, move |s, index| {
            let now = Utc::now();
            let period = period.period(index, now)?;
            let history = diagnosis::list_assessments(s, org)?
                .iter()
                .map(|a| diagnosis::assessment_report(s, org, a.id))
                .collect::<Result<Vec<_>, _>>()?;
            let answered: Vec<&AssessmentReport> = history
                .iter()
                .filter(|r| r.assessment.respondents > 0)
                .collect();
            let (surveys, questions) = servqual_surveys(s, org, lang)?;
            Ok(Overview {
                latest: answered.last().copied().cloned(),
                earlier: answered.len().checked_sub(2).map(|i| answered[i].clone()),
                maturity: diagnosis::maturity(s, index, org, period, now)?,
                gaps: diagnosis::gaps(s, index, org, period, None, now)?,
                thresholds: diagnosis::all_thresholds(s, org)?,
                history,
                surveys,
                questions,
            })
        })
        .await;
    let o = match read {
        Ok(o) => o,
        Err(e) => {
            return section_message(signed, w.title, e.status, &e.page_message());
        }
    };
    let csrf = &signed.session.csrf;
    let manage = signed.may(Action::ManageStrategy);
    let body = html! {
        (super::research::section_nav(lang, "/diagnosis"))
        h1 { (w.title) }
        p.hint { (w.hint) }
        @if let Some((_, message)) = &problem { p.error role="alert" { (message) } }
        form.filters method="get" action="/diagnosis" {
            div.filter {
                label for="from" { (w.from) }
                input #from type="date" name="from" value=(o.maturity.from);
            }
            div.filter {
                label for="to" { (w.to) }
                input #to type="date" name="to" value=(o.maturity.to);
            }
            div.filter { button.primary type="submit" { (ui.apply) } }
        }
        section #readiness {
            h2 { (w.readiness) }
            p.hint { (w.readiness_hint) }
            @match &o.latest {
                Some(report) => (readiness(lang, report, o.earlier.as_ref(), true)),
                None => p { (w.no_assessment) },
            }
            @if !o.history.is_empty() {
                h3 { (w.assessments) }
                div.scroll { table #assessments {
                    thead { tr {
                        th { (w.assessment_title) } th { (w.conducted_on) } th.num { (w.respondents) }
                        @for b in ReadinessBlock::ALL { th.num { (b.name().get(lang.code())) } }
                    } }
                    tbody {
                        @for r in &o.history {
                            @let a = &r.assessment;
                            tr {
                                td { a href={ "/diagnosis/assessments/" (a.id) } { (a.definition.title) } }
                                td { (a.definition.conducted_on) }
                                td.num { (a.respondents) }
                                @for b in ReadinessBlock::ALL {
                                    td.num { (number(r.readiness.blocks.iter().find(|x| x.part == Part::Block(b)).and_then(|x| x.score), 0)) }
                                }
                            }
                        }
                    }
                } }
            }
            @if manage {
                details {
                    summary { (w.new_assessment) }
                    form.fields method="post" action="/diagnosis/assessments" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="a-title" { (w.assessment_title) }
                        input #a-title type="text" name="title" required maxlength="200";
                        label for="a-date" { (w.conducted_on) }
                        input #a-date type="date" name="conducted_on" required value=(Utc::now().date_naive());
                        label for="a-survey" { (w.gap1_survey) }
                        select #a-survey name="servqual_survey_id" {
                            option value="" { (w.none) }
                            @for (id, title) in &o.surveys { option value=(id) { (title) } }
                        }
                        label for="a-note" { (w.note) }
                        textarea #a-note name="note" rows="2" {}
                        button.primary type="submit" { (w.create) }
                    }
                }
            }
        }
        section #maturity { (maturity(lang, &o.maturity, &o.thresholds, manage, csrf)) }
        section #gaps { (gaps(lang, &o.gaps, &naming, &o.questions)) }
        section #standards { (standards(lang, &o.gaps, &naming, manage, csrf)) }
    };
    html_response(
        problem.as_ref().map_or(StatusCode::OK, |p| p.0),
        app_page(signed, "/diagnosis", w.title, body),
    )
}

/// The scores of an assessment; `earlier` drawn beside them; `linked`: with a link to its page.
fn readiness(
    lang: Lang,
    report: &AssessmentReport,
    earlier: Option<&AssessmentReport>,
    linked: bool,
) -> Markup {
    let (code, w) = (lang.code(), words(lang));
    let r = &report.readiness;
    let labels: Vec<&str> = ReadinessBlock::ALL
        .iter()
        .map(|b| b.name().get(code))
        .collect();
    let of = |report: &AssessmentReport| -> Vec<Option<f64>> {
        ReadinessBlock::ALL
            .iter()
            .map(|b| {
                report
                    .readiness
                    .blocks
                    .iter()
                    .find(|x| x.part == Part::Block(*b))
                    .and_then(|x| x.score)
            })
            .collect()
    };
    let latest_name = format!(
        "{} ({})",
        report.assessment.definition.title, report.assessment.definition.conducted_on
    );
    let mut series = vec![(latest_name.as_str(), of(report), "")];
    let earlier_name = earlier.map(|e| {
        format!(
            "{} ({})",
            e.assessment.definition.title, e.assessment.definition.conducted_on
        )
    });
    if let (Some(e), Some(name)) = (earlier, earlier_name.as_deref()) {
        series.push((name, of(e), "other"));
    }
    html! {
        p { strong { (w.overall) ": " (number(r.overall, 0)) } " · " (w.respondents) ": " (r.respondents)
            @if linked { " · " a href={ "/diagnosis/assessments/" (report.assessment.id) } { (w.open) } } }
        (super::charts::radar(w.readiness, &labels, &series))
        (parts_table(lang, w.blocks, &r.blocks))
        (parts_table(lang, w.support, &r.support))
    }
}

fn parts_table(lang: Lang, title: &str, parts: &[dosvid_domain::diagnosis::PartScore]) -> Markup {
    let (code, w) = (lang.code(), words(lang));
    html! {
        h3 { (title) }
        div.scroll { table.parts {
            thead { tr { th { (w.part) } th.num { (w.score) } th.num { (w.spread) } th.num { (w.range) } th.num { (w.respondents) } th { (w.recommendation) } } }
            tbody {
                @for p in parts {
                    tr data-part=(p.part.key()) data-score=[p.score] {
                        td {
                            (p.part.name().get(code))
                            @if p.weak { " " small.meta.bad { (w.weak) } }
                            @if p.disagreement { " " small.meta { (w.disagreement) } }
                        }
                        td.num { (number(p.score, 0)) }
                        td.num { (number(p.spread, 0)) }
                        td.num { (number(p.min, 0)) "–" (number(p.max, 0)) }
                        td.num { (p.respondents) }
                        td { @if let Some(text) = &p.recommendation { (text.get(code)) } }
                    }
                }
            }
        } }
    }
}

fn maturity(
    lang: Lang,
    m: &Maturity,
    thresholds: &MaturityThresholds,
    manage: bool,
    csrf: &str,
) -> Markup {
    let (code, w) = (lang.code(), words(lang));
    let self_level = m.self_assessment.as_ref().map(|s| s.level);
    html! {
        h2 { (w.maturity) }
        p.hint { (w.maturity_hint) }
        p {
            strong { (w.level_reached) ": " (m.level) " / 5" }
            @if let Some(level) = self_level { " · " (w.self_assessed) ": " (level) " / 5" }
        }
        div.ladder {
            @for l in m.levels.iter().rev() {
                section.level.reached[l.number <= m.level] data-level=(l.number) {
                    h3 { (l.number) ". " (l.level.name().get(code)) " — " small.meta { (l.level.meaning().get(code)) } }
                    @if let Some(s) = &m.self_assessment {
                        @if let Some(p) = s.levels.iter().find(|p| p.part == Part::Maturity(l.level)) {
                            p.meta { (w.self_assessed) ": " (number(p.score, 0)) " / 100" }
                        }
                    }
                    table.thin {
                        thead { tr { th { (w.criterion) } th.num { (w.figure) } th.num { (w.threshold) } th { (w.holds) } } }
                        tbody {
                            @for c in &l.criteria {
                                @let name = CRITERIA.iter().find(|x| x.key == c.key).map_or(c.key, |x| x.name.get(code));
                                tr data-criterion=(c.key) {
                                    td { (name) }
                                    td.num { (c.figure.map_or_else(|| w.no_figure.to_owned(), |f| if f.fract() == 0.0 { format!("{f:.0}") } else { format!("{f:.1}") })) small.meta { " n " (c.n) } }
                                    td.num { (match c.direction { Direction::AtLeast => w.at_least, Direction::AtMost => w.at_most }) " " (c.threshold) }
                                    td { @match c.holds { Some(true) => span.good { (w.yes) }, Some(false) => span.bad { (w.no) }, None => span.meta { (w.no_figure) } } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if manage {
            details {
                summary { (w.thresholds) }
                form.fields method="post" action="/diagnosis/thresholds" {
                    input type="hidden" name="csrf" value=(csrf);
                    @for c in &CRITERIA {
                        label for={ "t-" (c.key) } { (c.level.name().get(code)) ": " (c.name.get(code)) }
                        input id={ "t-" (c.key) } type="number" step="any" name=(c.key) value=(thresholds.of(c));
                    }
                    button.primary type="submit" { (w.save) }
                }
            }
        }
    }
}

/// The company–client model with the five gaps on it.
fn model(w: &Words, gaps: &Gaps) -> Markup {
    let label = |n: usize| {
        let gap = &gaps.gaps[n - 1];
        format!("{} {n}: {}", w.gap, gap_figure(gap))
    };
    let boxes = [
        (170.0, 10.0, w.model[0]),
        (170.0, 90.0, w.model[1]),
        (170.0, 180.0, w.model[2]),
        (430.0, 180.0, w.model[3]),
        (170.0, 260.0, w.model[4]),
        (170.0, 340.0, w.model[5]),
    ];
    let summary: Vec<String> = (1..=5).map(label).collect();
    html! {
        figure.chart {
            figcaption { (w.gaps) }
            svg viewBox="0 0 640 400" role="img" aria-label={ (w.gaps) ". " (summary.join("; ")) } {
                title { (w.gaps) }
                line.divider x1="0" y1="155" x2="640" y2="155" {}
                @for (x, y, text) in boxes {
                    rect.box x=(x) y=(y) width=(if x > 400.0 { 200.0 } else { 230.0 }) height="40" rx="4" {}
                    text.box-label x=(x + 8.0) y=(y + 25.0) { (text) }
                }
                // Delivery shapes perception; communications shape expectations.
                path.flow d="M285,180 L285,130" {}
                path.flow d="M530,180 L530,30 L400,30" {}
                path.gap d="M285,50 L285,90" {}
                text.gap-label x="295" y="75" { (label(5)) }
                path.gap d="M170,30 L60,30 L60,360 L170,360" {}
                text.gap-label x="66" y="200" { (label(1)) }
                path.gap d="M285,340 L285,300" {}
                text.gap-label x="295" y="325" { (label(2)) }
                path.gap d="M285,260 L285,220" {}
                text.gap-label x="295" y="245" { (label(3)) }
                path.gap d="M400,200 L430,200" {}
                text.gap-label x="420" y="250" { (label(4)) }
            }
        }
    }
}

fn gaps(lang: Lang, g: &Gaps, naming: &Naming, questions: &BTreeMap<String, String>) -> Markup {
    let (ui, w) = (lang.ui(), words(lang));
    let standard_name = |id: &str| {
        g.standards
            .iter()
            .find(|s| s.standard.id.to_string() == id)
            .map(|s| {
                s.standard
                    .definition
                    .names
                    .as_ref()
                    .and_then(|n| n.get(lang.code()))
                    .unwrap_or(&s.standard.definition.name)
                    .to_owned()
            })
    };
    let promise_text = |id: &str| {
        g.promises
            .iter()
            .find(|p| p.promise.id.to_string() == id)
            .map(|p| p.promise.definition.text.clone())
    };
    let widest_name = |x: &diagnosis::Widest| -> String {
        match x.kind {
            "touchpoint" => naming.of("touchpoint", &x.key).to_owned(),
            "standard" => standard_name(&x.key).unwrap_or_default(),
            "promise" => promise_text(&x.key).unwrap_or_default(),
            "item" => questions.get(&x.key).cloned().unwrap_or_default(),
            _ => ServqualDimension::ALL
                .iter()
                .find(|d| d.as_str() == x.key)
                .map_or_else(String::new, |d| dimension_name(ui, *d).to_owned()),
        }
    };
    html! {
        h2 { (w.gaps) }
        p.hint { (w.gaps_hint) }
        (model(w, g))
        div.scroll { table #gap-table {
            thead { tr { th { (w.gap) } th.num { (w.figure) } th.num { (w.interval) } th.num { (w.previous) } th.num { "n" } th { (w.widest) } } }
            tbody {
                @for (i, gap) in g.gaps.iter().enumerate() {
                    tr data-gap=(gap.number) data-figure=[gap.figure] {
                        td { (w.gap_names[i]) br; small.meta { (w.gap_meaning[i]) } }
                        td.num.thin[gap.low_sample] { (gap_figure(gap)) }
                        td.num { (number(gap.low, 2)) " … " (number(gap.high, 2)) }
                        td.num { (number(gap.previous, 2)) }
                        td.num { (gap.n) }
                        td {
                            @for x in gap.widest.iter().take(3) {
                                (widest_name(x)) " " small.meta { "(" (number(x.figure, 1)) ")" } br;
                            }
                        }
                    }
                }
            }
        } }
        @if !g.expectations.is_empty() {
            h3 { (w.expectations) }
            div.scroll { table.thin {
                thead { tr { th { (w.dimension) } th { "" } th.num { (w.customers) } th.num { (w.staff) } th.num { (w.gap) } th.num { (w.interval) } } }
                tbody {
                    @for e in &g.expectations {
                        tr {
                            td { (dimension_name(ui, e.dimension)) }
                            td { (questions.get(&e.question).map_or("", String::as_str)) }
                            td.num { (number(e.customers, 2)) small.meta { " n " (e.customers_n) } }
                            td.num { (number(e.staff, 2)) small.meta { " n " (e.staff_n) } }
                            td.num { (number(e.gap.value, 2)) }
                            td.num { (number(e.gap.low, 2)) " … " (number(e.gap.high, 2)) }
                        }
                    }
                }
            } }
        }
        h3 { (w.coverage) }
        table.thin {
            thead { tr { th { (w.dimension) } th.num { (w.staff_expectation) } th.num { (w.standards) } } }
            tbody {
                @for c in &g.coverage {
                    tr { td { (dimension_name(ui, c.dimension)) } td.num { (number(c.staff_expectation, 2)) } td.num { (c.standards) } }
                }
            }
        }
    }
}

fn target_text(w: &Words, naming: &Naming, t: &ServiceTarget) -> String {
    let place = t
        .touchpoint_id
        .and_then(|id| naming.of_id("touchpoint", id))
        .unwrap_or(w.all_touchpoints);
    format!("{place}: {} {}", metric_name(w, t.metric), t.target)
}

fn standards(lang: Lang, g: &Gaps, naming: &Naming, manage: bool, csrf: &str) -> Markup {
    let (ui, w) = (lang.ui(), words(lang));
    let compliance = |d: &diagnosis::ServiceDelivery| {
        format!(
            "{} ({} {} {})",
            number(d.compliance.value, 0) + "%",
            d.met,
            w.met_of,
            d.n
        )
    };
    let target_fields = |prefix: &str| {
        html! {
            label for={ (prefix) "-metric" } { (w.metric) }
            select id={ (prefix) "-metric" } name="metric" {
                @for (m, name) in ServiceMetric::ALL.iter().zip(w.metrics) { option value=(m.as_str()) { (name) } }
            }
            label for={ (prefix) "-target" } { (w.target) }
            input id={ (prefix) "-target" } type="number" step="any" name="target" required;
            label for={ (prefix) "-touchpoint" } { (w.touchpoint) }
            select id={ (prefix) "-touchpoint" } name="touchpoint" {
                option value="" { (w.all_touchpoints) }
                @for (key, name) in naming.choices("touchpoint") { option value=(key) { (name) } }
            }
        }
    };
    html! {
        h2 { (w.standards) }
        p.hint { (w.standards_hint) }
        table #standard-list {
            thead { tr { th { (w.name) } th { (w.target) } th { (w.dimension) } th.num { (w.compliance) } @if manage { th {} } } }
            tbody {
                @for s in &g.standards {
                    @let d = &s.standard.definition;
                    tr data-standard=(s.standard.id) {
                        td { (d.names.as_ref().and_then(|n| n.get(lang.code())).unwrap_or(&d.name)) }
                        td { (target_text(w, naming, &d.measure)) }
                        td { (d.dimension.map_or("—", |x| dimension_name(ui, x))) }
                        td.num.thin[s.delivery.compliance.low_sample] { (compliance(&s.delivery)) }
                        @if manage { td { (delete_form(&format!("/diagnosis/standards/{}/delete", s.standard.id), csrf, w.delete)) } }
                    }
                }
            }
        }
        @if manage {
            details {
                summary { (w.new_standard) }
                form.fields method="post" action="/diagnosis/standards" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="s-name" { (w.name) }
                    input #s-name type="text" name="name" required maxlength="200";
                    (target_fields("s"))
                    label for="s-dimension" { (w.dimension) }
                    select #s-dimension name="dimension" {
                        option value="" { (w.none) }
                        @for d in ServqualDimension::ALL { option value=(d.as_str()) { (dimension_name(ui, d)) } }
                    }
                    button.primary type="submit" { (w.create) }
                }
            }
        }
        h2 { (w.promises) }
        p.hint { (w.promises_hint) }
        table #promise-list {
            thead { tr { th { (w.promise_text) } th { (w.channel) } th { (w.made_on) } th { (w.target) } th.num { (w.kept) } @if manage { th {} } } }
            tbody {
                @for p in &g.promises {
                    @let d = &p.promise.definition;
                    tr data-promise=(p.promise.id) {
                        td { (d.text) }
                        td { (d.channel.as_deref().unwrap_or("—")) }
                        td { (d.made_on) }
                        td { (target_text(w, naming, &d.measure)) }
                        td.num.thin[p.delivery.compliance.low_sample] { (compliance(&p.delivery)) }
                        @if manage { td { (delete_form(&format!("/diagnosis/promises/{}/delete", p.promise.id), csrf, w.delete)) } }
                    }
                }
            }
        }
        @if manage {
            details {
                summary { (w.new_promise) }
                form.fields method="post" action="/diagnosis/promises" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="p-text" { (w.promise_text) }
                    textarea #p-text name="text" rows="2" required {}
                    label for="p-channel" { (w.channel) }
                    input #p-channel type="text" name="channel" maxlength="200";
                    label for="p-made" { (w.made_on) }
                    input #p-made type="date" name="made_on" required value=(Utc::now().date_naive());
                    (target_fields("p"))
                    button.primary type="submit" { (w.create) }
                }
            }
        }
    }
}

fn target_of(form: &Form) -> Result<ServiceTarget, FieldError> {
    Ok(ServiceTarget {
        metric: form
            .one("metric")
            .and_then(|m| ServiceMetric::ALL.into_iter().find(|x| x.as_str() == m))
            .ok_or_else(|| FieldError::new("measure.metric", "choose a metric"))?,
        target: form
            .one("target")
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| FieldError::new("measure.target", "must be a number"))?,
        touchpoint: form.text("touchpoint").filter(|t| !t.is_empty()),
        touchpoint_id: None,
    })
}

fn date_of(form: &Form, field: &str) -> Result<NaiveDate, FieldError> {
    given_day(&form.text(field)).ok_or_else(|| FieldError::new(field, "must be a date, YYYY-MM-DD"))
}

/// Makes a change a manager asked for, then shows the overview (or the problem on it).
async fn change(
    state: AppState,
    signed: SignedIn,
    headers: HeaderMap,
    body: Bytes,
    make: impl FnOnce(&dyn Store, OrgId, &Form) -> Result<String, StoreError> + Send + 'static,
) -> Response {
    let form = Form::parse(&body);
    if let Some(message) = refusal(&signed, &headers, &form, Action::ManageStrategy) {
        return overview_page(
            &state,
            &signed,
            &DiagnosisParams::default(),
            Some((StatusCode::FORBIDDEN, message.to_owned())),
        )
        .await;
    }
    if !signed.principal.is_whole() {
        return overview_page(&state, &signed, &DiagnosisParams::default(), None).await;
    }
    let org = signed.user().org_id;
    match state.run(move |s| make(s, org, &form)).await {
        Ok(to) => redirect(&to),
        Err(e) => {
            overview_page(
                &state,
                &signed,
                &DiagnosisParams::default(),
                Some((e.status, e.page_message())),
            )
            .await
        }
    }
}

pub async fn create_assessment(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, |s, org, form| {
        let definition = AssessmentDefinition {
            title: form.text("title").unwrap_or_default(),
            conducted_on: date_of(form, "conducted_on")?,
            note: form.text("note"),
            servqual_survey_id: form.one("servqual_survey_id").and_then(|v| v.parse().ok()),
        };
        let a = diagnosis::create_assessment(s, org, definition, Utc::now())?;
        Ok(format!("/diagnosis/assessments/{}", a.id))
    })
    .await
}

pub async fn set_thresholds(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, |s, org, form| {
        let mut set = BTreeMap::new();
        for c in &CRITERIA {
            if let Some(raw) = form.one(c.key).filter(|v| !v.trim().is_empty()) {
                let value: f64 = raw
                    .trim()
                    .parse()
                    .map_err(|_| FieldError::new(c.key, "must be a number"))?;
                set.insert(c.key.to_owned(), value);
            }
        }
        diagnosis::set_thresholds(s, org, MaturityThresholds(set), Utc::now())?;
        Ok("/diagnosis#maturity".to_owned())
    })
    .await
}

pub async fn create_standard(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, |s, org, form| {
        let definition = StandardDefinition {
            name: form.text("name").unwrap_or_default(),
            names: None,
            measure: target_of(form)?,
            dimension: form
                .one("dimension")
                .and_then(|d| ServqualDimension::ALL.into_iter().find(|x| x.as_str() == d)),
        };
        diagnosis::save(s, org, None, definition, Utc::now())?;
        Ok("/diagnosis#standards".to_owned())
    })
    .await
}

pub async fn create_promise(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    change(state, signed, headers, body, |s, org, form| {
        let definition = PromiseDefinition {
            text: form.text("text").unwrap_or_default(),
            channel: form.text("channel"),
            made_on: date_of(form, "made_on")?,
            measure: target_of(form)?,
        };
        diagnosis::save(s, org, None, definition, Utc::now())?;
        Ok("/diagnosis#standards".to_owned())
    })
    .await
}

pub async fn delete_document(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path((kind, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    use dosvid_domain::diagnosis::DocumentKind;
    change(state, signed, headers, body, move |s, org, _| {
        let (kind, then) = match kind.as_str() {
            "standards" => (DocumentKind::Standard, "/diagnosis#standards"),
            "promises" => (DocumentKind::Promise, "/diagnosis#standards"),
            "assessments" => (DocumentKind::Assessment, "/diagnosis#readiness"),
            "studies" => (DocumentKind::Study, "/diagnosis/studies"),
            "templates" => (DocumentKind::Template, "/diagnosis/templates"),
            _ => return Err(StoreError::not_found("document", id)),
        };
        s.delete_document(org, kind, id)?;
        Ok(then.to_owned())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// One assessment

pub async fn assessment(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    assessment_page(&state, &signed, id, None, None).await
}

async fn assessment_page(
    state: &AppState,
    signed: &SignedIn,
    id: i64,
    problem: Option<(StatusCode, String)>,
    link: Option<String>,
) -> Response {
    let lang = signed.lang();
    let w = words(lang);
    if !signed.principal.is_whole() {
        return not_whole(signed, w.title, problem.as_ref());
    }
    let org = signed.user().org_id;
    let read = state
        .run(move |s| {
            let report = diagnosis::assessment_report(s, org, id)?;
            let (_, questions) = servqual_surveys(s, org, lang)?;
            let items = expectation_items(s, org, &report.assessment.definition)?;
            Ok((report, questions, items))
        })
        .await;
    let (report, questions, items) = match read {
        Ok(r) => r,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return section_message(signed, w.title, StatusCode::NOT_FOUND, w.no_such);
        }
        Err(e) => {
            return section_message(signed, w.title, e.status, &e.page_message());
        }
    };
    let me = signed.user().name.clone();
    let mine = report
        .answers
        .iter()
        .find(|a| a.answer.respondent.to_lowercase() == me.to_lowercase());
    let title = report.assessment.definition.title.clone();
    let body = html! {
        (super::research::section_nav(lang, ""))
        p { a href="/diagnosis" { "← " (w.title) } }
        h1 { (title) }
        p.meta { (w.conducted_on) ": " (report.assessment.definition.conducted_on) " · " (w.respondents) ": " (report.assessment.respondents) }
        @if let Some(note) = &report.assessment.definition.note { p { (note) } }
        @if let Some((_, message)) = &problem { p.error role="alert" { (message) } }
        @if report.assessment.respondents > 0 {
            (readiness(lang, &report, None, false))
            h3 { (w.self_assessed) ": " (report.readiness.self_assessed_level) " / 5" }
            (parts_table(lang, w.maturity, &report.readiness.maturity))
            h3 { (w.respondents) }
            ul { @for a in &report.answers { li { (a.answer.respondent) @if let Some(role) = &a.answer.role { " — " (role) } " " small.meta { (a.answered_at.format("%Y-%m-%d")) } } } }
        }
        @if signed.may(Action::ManageStrategy) {
            (delete_form(&format!("/diagnosis/assessments/{id}/delete"), &signed.session.csrf, w.delete))
            h2 #link { (w.link) }
            p.hint { (w.link_hint) }
            @match &link {
                Some(url) => p { input.link type="text" readonly value=(url) aria-label=(w.link); },
                None => form.inline method="post" action={ "/diagnosis/assessments/" (id) "/link" } {
                    input type="hidden" name="csrf" value=(signed.session.csrf);
                    button.secondary type="submit" { (w.make_link) }
                },
            }
        }
        h2 #answer { (w.answer_title) }
        p.hint { (w.answer_hint) }
        form.fields method="post" action={ "/diagnosis/assessments/" (id) "/answers" } {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            (questionnaire(lang, &me, mine.map(|m| &m.answer), &items, &questions))
            button.primary type="submit" { (w.save_answers) }
        }
    };
    html_response(
        problem.as_ref().map_or(StatusCode::OK, |p| p.0),
        app_page(signed, "/diagnosis", &title, body),
    )
}

/// The SERVQUAL items (id, dimension) an assessment's people rate customers' expectations on.
fn expectation_items(
    store: &dyn Store,
    org: OrgId,
    definition: &AssessmentDefinition,
) -> Result<Vec<(String, ServqualDimension)>, StoreError> {
    Ok(match definition.servqual_survey_id {
        Some(survey) => store
            .get_survey(org, survey)?
            .definition
            .questions
            .iter()
            .filter_map(|q| q.dimension.map(|d| (q.id.clone(), d)))
            .collect(),
        None => Vec::new(),
    })
}

/// The questionnaire's fields: who answers, the statements as agreement buttons, and the
/// expectation items; `mine` holds the answers given before.
fn questionnaire(
    lang: Lang,
    me: &str,
    mine: Option<&AssessmentAnswer>,
    items: &[(String, ServqualDimension)],
    questions: &BTreeMap<String, String>,
) -> Markup {
    let (code, w) = (lang.code(), words(lang));
    let sections: [(&str, Vec<&dosvid_domain::diagnosis::Item>); 3] = [
        (
            w.blocks,
            ITEMS
                .iter()
                .filter(|i| matches!(i.part, Part::Block(_)))
                .collect(),
        ),
        (
            w.support,
            ITEMS
                .iter()
                .filter(|i| matches!(i.part, Part::Support(_)))
                .collect(),
        ),
        (
            w.maturity,
            ITEMS
                .iter()
                .filter(|i| matches!(i.part, Part::Maturity(_)))
                .collect(),
        ),
    ];
    html! {
            label for="respondent" { (w.respondent) }
            input #respondent type="text" name="respondent" required maxlength="200" value=(me);
            label for="role" { (w.role) }
            input #role type="text" name="role" maxlength="200" value=[mine.and_then(|m| m.role.clone())];
            @for (heading, list) in &sections {
                fieldset {
                    legend { (heading) }
                    @for item in list {
                        @let given = mine.and_then(|m| m.answers.get(item.key)).copied();
                        div.question {
                            p { (item.part.name().get(code)) ": " (item.text.get(code)) }
                            div.scale role="radiogroup" {
                                @for v in 1..=5u8 {
                                    label { input type="radio" name=(item.key) value=(v) checked[given == Some(v)]; span { (w.agreement[usize::from(v - 1)]) } }
                                }
                                label { input type="radio" name=(item.key) value="" checked[given.is_none()]; span { (w.dont_know) } }
                            }
                        }
                    }
                }
            }
            @if !items.is_empty() {
                fieldset {
                    legend { (w.expectations_title) }
                    p.hint { (w.expectations_hint) }
                    @for (question, dimension) in items {
                        @let given = mine.and_then(|m| m.expectations.get(question)).copied();
                        div.question {
                            label for={ "e-" (question) } { (dimension_name(lang.ui(), *dimension)) ": " (questions.get(question).map_or("", String::as_str)) }
                            select id={ "e-" (question) } name={ "expectation." (question) } {
                                option value="" { (w.dont_know) }
                                @for v in 1..=7u8 { option value=(v) selected[given == Some(v)] { (v) } }
                            }
                        }
                    }
                }
            }
    }
}

/// One person's answers from the questionnaire's fields.
fn answer_of(form: &Form) -> AssessmentAnswer {
    AssessmentAnswer {
        respondent: form.text("respondent").unwrap_or_default(),
        role: form.text("role"),
        answers: ITEMS
            .iter()
            .filter_map(|i| {
                form.one(i.key)
                    .and_then(|v| v.parse().ok())
                    .map(|v| (i.key.to_owned(), v))
            })
            .collect(),
        expectations: form
            .pairs()
            .filter_map(|(k, v)| {
                Some((k.strip_prefix("expectation.")?.to_owned(), v.parse().ok()?))
            })
            .collect(),
    }
}

/// Anyone signed in with sight of the whole company may answer: the assessment asks the
/// company's people.
pub async fn answer(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if !csrf_ok(&form, &headers, &signed) {
        let expired = signed.lang().ui().form_expired.to_owned();
        return assessment_page(
            &state,
            &signed,
            id,
            Some((StatusCode::FORBIDDEN, expired)),
            None,
        )
        .await;
    }
    let answer = answer_of(&form);
    let org = signed.user().org_id;
    match state
        .run(move |s| diagnosis::answer(s, org, id, answer, Utc::now()))
        .await
    {
        Ok(_) => redirect(&format!("/diagnosis/assessments/{id}")),
        Err(e) => {
            assessment_page(
                &state,
                &signed,
                id,
                Some((e.status, e.page_message())),
                None,
            )
            .await
        }
    }
}

/// A link for colleagues without an account, shown on the assessment's page.
pub async fn make_link(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::parse(&body);
    if let Some(message) = refusal(&signed, &headers, &form, Action::ManageStrategy) {
        let problem = Some((StatusCode::FORBIDDEN, message.to_owned()));
        return overview_page(&state, &signed, &DiagnosisParams::default(), problem).await;
    }
    let org = signed.user().org_id;
    let base = state.base_url(&headers);
    match state
        .run(move |s| diagnosis::invitation_token(s, org, id, 30, Utc::now()))
        .await
    {
        Ok((token, _)) => {
            assessment_page(&state, &signed, id, None, Some(format!("{base}/a/{token}"))).await
        }
        Err(e) => {
            assessment_page(
                &state,
                &signed,
                id,
                Some((e.status, e.page_message())),
                None,
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LinkParams {
    lang: Option<String>,
}

/// What an assessment's link stands for, once verified.
struct Linked {
    org: OrgId,
    id: i64,
    definition: AssessmentDefinition,
    items: Vec<(String, ServqualDimension)>,
    questions: BTreeMap<String, String>,
    signer: dosvid_domain::survey_link::Signer,
}

fn linked(store: &dyn Store, token: &str, lang: Lang) -> Result<Option<Linked>, StoreError> {
    use dosvid_domain::survey_link::{LinkToken, peek_org};
    let Some(org) = peek_org(token) else {
        return Ok(None);
    };
    let signer = store.survey_secrets(org)?.signer();
    let Ok(LinkToken::Assessment { assessment, .. }) = signer.verify(token, Utc::now()) else {
        return Ok(None);
    };
    let document = match store.get_document(
        org,
        dosvid_domain::diagnosis::DocumentKind::Assessment,
        assessment,
    ) {
        Ok(d) => d,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let definition: AssessmentDefinition = serde_json::from_value(document.body)
        .map_err(|e| StoreError::backend(format!("stored assessment: {e}")))?;
    Ok(Some(Linked {
        org,
        id: assessment,
        items: expectation_items(store, org, &definition)?,
        questions: servqual_surveys(store, org, lang)?.1,
        definition,
        signer,
    }))
}

fn link_lang(params: &LinkParams, headers: &HeaderMap) -> Lang {
    params
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| Lang::from_accept(headers))
}

/// The questionnaire for someone holding an assessment's link: no account, a name given.
fn link_page(
    lang: Lang,
    token: &str,
    l: &Linked,
    given: Option<&AssessmentAnswer>,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let w = words(lang);
    let now = Utc::now();
    let body = html! {
        h1 { (l.definition.title) }
        p.hint { (w.answer_hint) }
        @if let Some((_, message)) = &problem { p.error role="alert" { (message) } }
        form.fields method="post" action={ "/a/" (token) "?lang=" (lang.code()) } {
            input type="hidden" name="ft" value=(l.signer.form_token(token, "assessment", now));
            (questionnaire(lang, given.map_or("", |g| g.respondent.as_str()), given, &l.items, &l.questions))
            button.primary type="submit" { (w.save_answers) }
        }
    };
    html_response(
        problem.as_ref().map_or(StatusCode::OK, |p| p.0),
        super::page(lang, &l.definition.title, body),
    )
}

pub async fn link_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(params): Query<LinkParams>,
    headers: HeaderMap,
) -> Response {
    let lang = link_lang(&params, &headers);
    let w = words(lang);
    let shown = token.clone();
    match state.run(move |s| linked(s, &shown, lang)).await {
        Ok(Some(l)) => link_page(lang, &token, &l, None, None),
        Ok(None) => super::message_page(StatusCode::FORBIDDEN, lang, w.title, w.link_invalid),
        Err(e) => super::message_page(e.status, lang, w.title, &e.page_message()),
    }
}

pub async fn link_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(params): Query<LinkParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = link_lang(&params, &headers);
    let w = words(lang);
    let form = Form::parse(&body);
    let answer = answer_of(&form);
    let shown = token.clone();
    let l = match state.run(move |s| linked(s, &shown, lang)).await {
        Ok(Some(l)) => l,
        Ok(None) => {
            return super::message_page(StatusCode::FORBIDDEN, lang, w.title, w.link_invalid);
        }
        Err(e) => return super::message_page(e.status, lang, w.title, &e.page_message()),
    };
    let fresh = form.one("ft").is_some_and(|ft| {
        l.signer
            .verify_form(ft, &token, "assessment", Utc::now())
            .is_ok()
    });
    if !fresh {
        let problem = Some((StatusCode::FORBIDDEN, lang.ui().form_expired.to_owned()));
        return link_page(lang, &token, &l, Some(&answer), problem);
    }
    let (org, id, kept) = (l.org, l.id, answer.clone());
    match state
        .run(move |s| diagnosis::answer(s, org, id, kept, Utc::now()))
        .await
    {
        Ok(_) => super::message_page(StatusCode::OK, lang, &l.definition.title, w.thanks),
        Err(e) => link_page(
            lang,
            &token,
            &l,
            Some(&answer),
            Some((e.status, e.page_message())),
        ),
    }
}
