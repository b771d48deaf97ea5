//! The Strategy pages: the current cycle as eight steps, goals with their progress and
//! intervals, the initiatives as a board and a list, an initiative's measured impact, and one
//! cycle with every stage's artefacts. Every number is the answer `crate::strategy` gives the
//! JSON API (`/api/v1/goals`, `/initiatives/{id}/impact`, `/strategy-cycles/{id}`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use dosvid_analytics::{ImpactResult, Interval};
use dosvid_domain::FieldError;
use dosvid_domain::strategy::{
    CycleDefinition, CycleStagePatch, GoalDefinition, GoalMetric, GoalStatus, Initiative,
    InitiativeDefinition, InitiativeKind, InitiativeStatus, Priority, StageKey, StageStatus,
    StatusChange,
};
use dosvid_domain::user::Action;
use maud::{Markup, html};
use serde::Deserialize;

use super::app::{SignedIn, app_page, redirect, refusal};
use super::i18n::{Lang, Ui};
use super::{Form, charts, html_response};
use crate::strategy::{self, CycleView, GoalProgress, ImpactParams};
use crate::{ApiError, AppState};

/// The words of these pages in one language.
pub struct Words {
    pub title: &'static str,
    cycle: &'static str,
    goals: &'static str,
    initiatives: &'static str,
    board: &'static str,
    by_priority: &'static str,
    stages: [&'static str; 8],
    stage_status: [&'static str; 3],
    goal_status: [&'static str; 5],
    initiative_status: [&'static str; 5],
    kinds: [&'static str; 2],
    priorities: [&'static str; 3],
    goal_metrics: [&'static str; 8],
    impact_metrics: [&'static str; 5],
    /// worked, made worse, no effect, not measured, carried on, dropped.
    outcomes: [&'static str; 6],
    /// note, link, touchpoint, moment of truth, priority, driver, research.
    artefact_kinds: [&'static str; 7],
    baseline: &'static str,
    current: &'static str,
    target: &'static str,
    due: &'static str,
    owner: &'static str,
    department: &'static str,
    budget: &'static str,
    planned: &'static str,
    remaining: &'static str,
    over_budget: &'static str,
    status: &'static str,
    save: &'static str,
    metric: &'static str,
    name: &'static str,
    effect: &'static str,
    significant: &'static str,
    not_significant: &'static str,
    low_sample: &'static str,
    trends_hold: &'static str,
    trends_fail: &'static str,
    treated: &'static str,
    comparison: &'static str,
    the_rest: &'static str,
    before: &'static str,
    after: &'static str,
    benefit: &'static str,
    rox: &'static str,
    start: &'static str,
    placebo: &'static str,
    show: &'static str,
    status_log: &'static str,
    created: &'static str,
    new_goal: &'static str,
    new_initiative: &'static str,
    start_cycle: &'static str,
    next_cycle: &'static str,
    from: &'static str,
    to: &'static str,
    vision: &'static str,
    where_we_are: &'static str,
    overdue: &'static str,
    notes: &'static str,
    artefacts: &'static str,
    raci: [&'static str; 4],
    delivered: &'static str,
    carried_over: &'static str,
    no_cycle: &'static str,
    no_goals: &'static str,
    no_initiatives: &'static str,
    not_measured_yet: &'static str,
    starts_on: &'static str,
    ends_on: &'static str,
    expected: &'static str,
    problem: &'static str,
    touchpoint: &'static str,
    region: &'static str,
    kind: &'static str,
    priority: &'static str,
    parent_goal: &'static str,
    none: &'static str,
    all_cycles: &'static str,
    not_found: &'static str,
    trend: &'static str,
    open_journey: &'static str,
    open_insights: &'static str,
    /// How the impact is measured, in a sentence or two.
    method: &'static str,
    /// Where the path from the baseline to the target stands today.
    path: &'static str,
}

const UK: Words = Words {
    title: "Стратегія",
    cycle: "Стратегічний цикл",
    goals: "Цілі",
    initiatives: "Ініціативи",
    board: "Дошка",
    by_priority: "Список за пріоритетом",
    stages: [
        "Бачення сервісу",
        "Структурування точок контакту",
        "Оцінка потреб",
        "План дій",
        "Ресурси й бюджет",
        "Ролі й відповідальність",
        "Новий досвід бренду",
        "Оцінка за KPI",
    ],
    stage_status: ["не розпочато", "триває", "завершено"],
    goal_status: [
        "досягнуто",
        "за планом",
        "під загрозою",
        "відстає",
        "замало даних",
    ],
    initiative_status: [
        "ідея",
        "заплановано",
        "виконується",
        "виконано",
        "скасовано",
    ],
    kinds: ["швидкий результат", "трансформація"],
    priorities: ["високий", "середній", "низький"],
    goal_metrics: [
        "NPS",
        "CSAT",
        "CES",
        "Індекс CX",
        "Відтік, %",
        "NRR, %",
        "MTTR, год",
        "FCR, %",
    ],
    impact_metrics: ["NPS", "CSAT", "CES", "Відтік, %", "Виручка на клієнта"],
    outcomes: [
        "спрацювала",
        "погіршила",
        "без ефекту",
        "не виміряно",
        "триває",
        "скасовано",
    ],
    artefact_kinds: [
        "нотатка",
        "посилання",
        "точка контакту",
        "момент істини",
        "пріоритет",
        "чинник",
        "дослідження",
    ],
    baseline: "Вихідний рівень",
    current: "Зараз",
    target: "Ціль",
    due: "Термін",
    owner: "Відповідальний",
    department: "Підрозділ",
    budget: "Бюджет",
    planned: "Заплановано",
    remaining: "Залишок",
    over_budget: "Понад бюджет",
    status: "Статус",
    save: "Зберегти",
    metric: "Показник",
    name: "Назва",
    effect: "Ефект (різниця різниць)",
    significant: "значущий",
    not_significant: "не значущий",
    low_sample: "замало відповідей",
    trends_hold: "До початку групи рухались паралельно.",
    trends_fail: "Увага: групи розходились ще до початку — ефект ненадійний.",
    treated: "Охоплені",
    comparison: "Група порівняння",
    the_rest: "усі, кого не охоплено",
    before: "До",
    after: "Після",
    benefit: "Вигода",
    rox: "ROX",
    start: "початок",
    placebo: "Плацебо-дата",
    show: "Показати",
    status_log: "Історія статусів",
    created: "створено",
    new_goal: "Нова ціль",
    new_initiative: "Нова ініціатива",
    start_cycle: "Розпочати цикл",
    next_cycle: "Розпочати наступний цикл",
    from: "З",
    to: "По",
    vision: "Бачення",
    where_we_are: "Де ми зараз",
    overdue: "прострочено",
    notes: "Нотатки",
    artefacts: "Артефакти",
    raci: ["Виконує", "Відповідає", "Консультує", "Інформується"],
    delivered: "Впроваджені зміни",
    carried_over: "Висновки попереднього циклу",
    no_cycle: "Стратегічного циклу ще немає.",
    no_goals: "Цілей ще немає.",
    no_initiatives: "Ініціатив ще немає.",
    not_measured_yet: "Ще не виміряно: ініціатива не почалась або триває менше місяця.",
    starts_on: "Початок",
    ends_on: "Завершення",
    expected: "Очікувана зміна",
    problem: "Проблема",
    touchpoint: "Точка контакту",
    region: "Регіон",
    kind: "Тип",
    priority: "Пріоритет",
    parent_goal: "Входить до цілі",
    none: "—",
    all_cycles: "Усі цикли",
    not_found: "Не знайдено.",
    trend: "Динаміка",
    open_journey: "Відкрити карту шляху",
    open_insights: "Відкрити чинники й пріоритети",
    method: "Різниця різниць: зміна в охоплених мінус зміна в групі порівняння; 95% інтервал — бутстреп за клієнтами. Вигода — різниця різниць виручки на клієнта, помножена на охоплених клієнтів; ROX = (вигода − бюджет) / бюджет.",
    path: "план на сьогодні",
};

const EN: Words = Words {
    title: "Strategy",
    cycle: "Strategy cycle",
    goals: "Goals",
    initiatives: "Initiatives",
    board: "Board",
    by_priority: "List by priority",
    stages: [
        "Service vision",
        "Structuring touchpoints",
        "Assessing needs",
        "Action plan",
        "Resources and budget",
        "Roles and responsibilities",
        "Creating the new brand experience",
        "Evaluation by KPI",
    ],
    stage_status: ["not started", "in progress", "done"],
    goal_status: [
        "achieved",
        "on track",
        "at risk",
        "off track",
        "not enough data",
    ],
    initiative_status: ["idea", "planned", "in progress", "done", "dropped"],
    kinds: ["quick win", "transformation"],
    priorities: ["high", "medium", "low"],
    goal_metrics: [
        "NPS", "CSAT", "CES", "CX index", "Churn, %", "NRR, %", "MTTR, h", "FCR, %",
    ],
    impact_metrics: ["NPS", "CSAT", "CES", "Churn, %", "Revenue per customer"],
    outcomes: [
        "worked",
        "made it worse",
        "no effect",
        "not measured",
        "carried on",
        "dropped",
    ],
    artefact_kinds: [
        "note",
        "link",
        "touchpoint",
        "moment of truth",
        "priority",
        "driver",
        "research",
    ],
    baseline: "Baseline",
    current: "Now",
    target: "Target",
    due: "Due",
    owner: "Owner",
    department: "Department",
    budget: "Budget",
    planned: "Planned",
    remaining: "Remaining",
    over_budget: "Over budget",
    status: "Status",
    save: "Save",
    metric: "Metric",
    name: "Name",
    effect: "Effect (difference in differences)",
    significant: "significant",
    not_significant: "not significant",
    low_sample: "too few answers",
    trends_hold: "Before the start the groups moved in parallel.",
    trends_fail: "Warning: the groups were drifting apart before the start — the effect is unreliable.",
    treated: "Reached",
    comparison: "Comparison group",
    the_rest: "everyone not reached",
    before: "Before",
    after: "After",
    benefit: "Benefit",
    rox: "ROX",
    start: "start",
    placebo: "Placebo date",
    show: "Show",
    status_log: "Status history",
    created: "created",
    new_goal: "New goal",
    new_initiative: "New initiative",
    start_cycle: "Start a cycle",
    next_cycle: "Start the next cycle",
    from: "From",
    to: "To",
    vision: "Vision",
    where_we_are: "Where we are",
    overdue: "overdue",
    notes: "Notes",
    artefacts: "Artefacts",
    raci: ["Responsible", "Accountable", "Consulted", "Informed"],
    delivered: "Changes delivered",
    carried_over: "Findings of the previous cycle",
    no_cycle: "There is no strategy cycle yet.",
    no_goals: "No goals yet.",
    no_initiatives: "No initiatives yet.",
    not_measured_yet: "Not measured yet: the initiative has not started or has run less than a month.",
    starts_on: "Starts",
    ends_on: "Ends",
    expected: "Expected change",
    problem: "Problem",
    touchpoint: "Touchpoint",
    region: "Region",
    kind: "Kind",
    priority: "Priority",
    parent_goal: "Part of goal",
    none: "—",
    all_cycles: "All cycles",
    not_found: "Not found.",
    trend: "Trend",
    open_journey: "Open the journey map",
    open_insights: "Open drivers and priorities",
    method: "Difference in differences: the change among those reached minus the change in the comparison group; 95% interval by a bootstrap over customers. Benefit: the difference in differences of revenue per customer times the customers reached; ROX = (benefit − budget) / budget.",
    path: "planned for today",
};

const RU: Words = Words {
    title: "Стратегия",
    cycle: "Стратегический цикл",
    goals: "Цели",
    initiatives: "Инициативы",
    board: "Доска",
    by_priority: "Список по приоритету",
    stages: [
        "Видение сервиса",
        "Структурирование точек контакта",
        "Оценка потребностей",
        "План действий",
        "Ресурсы и бюджет",
        "Роли и ответственность",
        "Новый опыт бренда",
        "Оценка по KPI",
    ],
    stage_status: ["не начат", "идёт", "завершён"],
    goal_status: [
        "достигнута",
        "по плану",
        "под угрозой",
        "отстаёт",
        "мало данных",
    ],
    initiative_status: [
        "идея",
        "запланирована",
        "выполняется",
        "выполнена",
        "отменена",
    ],
    kinds: ["быстрый результат", "трансформация"],
    priorities: ["высокий", "средний", "низкий"],
    goal_metrics: [
        "NPS",
        "CSAT",
        "CES",
        "Индекс CX",
        "Отток, %",
        "NRR, %",
        "MTTR, ч",
        "FCR, %",
    ],
    impact_metrics: ["NPS", "CSAT", "CES", "Отток, %", "Выручка на клиента"],
    outcomes: [
        "сработала",
        "ухудшила",
        "без эффекта",
        "не измерено",
        "продолжается",
        "отменена",
    ],
    artefact_kinds: [
        "заметка",
        "ссылка",
        "точка контакта",
        "момент истины",
        "приоритет",
        "фактор",
        "исследование",
    ],
    baseline: "Исходный уровень",
    current: "Сейчас",
    target: "Цель",
    due: "Срок",
    owner: "Ответственный",
    department: "Подразделение",
    budget: "Бюджет",
    planned: "Запланировано",
    remaining: "Остаток",
    over_budget: "Сверх бюджета",
    status: "Статус",
    save: "Сохранить",
    metric: "Показатель",
    name: "Название",
    effect: "Эффект (разность разностей)",
    significant: "значимый",
    not_significant: "не значимый",
    low_sample: "мало ответов",
    trends_hold: "До начала группы двигались параллельно.",
    trends_fail: "Внимание: группы расходились ещё до начала — эффект ненадёжен.",
    treated: "Охваченные",
    comparison: "Группа сравнения",
    the_rest: "все, кого не охватили",
    before: "До",
    after: "После",
    benefit: "Выгода",
    rox: "ROX",
    start: "начало",
    placebo: "Плацебо-дата",
    show: "Показать",
    status_log: "История статусов",
    created: "создана",
    new_goal: "Новая цель",
    new_initiative: "Новая инициатива",
    start_cycle: "Начать цикл",
    next_cycle: "Начать следующий цикл",
    from: "С",
    to: "По",
    vision: "Видение",
    where_we_are: "Где мы сейчас",
    overdue: "просрочено",
    notes: "Заметки",
    artefacts: "Артефакты",
    raci: ["Исполняет", "Отвечает", "Консультирует", "Информируется"],
    delivered: "Внедрённые изменения",
    carried_over: "Выводы предыдущего цикла",
    no_cycle: "Стратегического цикла ещё нет.",
    no_goals: "Целей ещё нет.",
    no_initiatives: "Инициатив ещё нет.",
    not_measured_yet: "Ещё не измерено: инициатива не началась или идёт меньше месяца.",
    starts_on: "Начало",
    ends_on: "Окончание",
    expected: "Ожидаемое изменение",
    problem: "Проблема",
    touchpoint: "Точка контакта",
    region: "Регион",
    kind: "Тип",
    priority: "Приоритет",
    parent_goal: "Входит в цель",
    none: "—",
    all_cycles: "Все циклы",
    not_found: "Не найдено.",
    trend: "Динамика",
    open_journey: "Открыть карту пути",
    open_insights: "Открыть факторы и приоритеты",
    method: "Разность разностей: изменение у охваченных минус изменение в группе сравнения; 95% интервал — бутстреп по клиентам. Выгода — разность разностей выручки на клиента, умноженная на охваченных клиентов; ROX = (выгода − бюджет) / бюджет.",
    path: "план на сегодня",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uk => &UK,
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

fn index_of<T: PartialEq + Copy>(all: &[T], value: T) -> usize {
    all.iter().position(|v| *v == value).unwrap_or(0)
}

impl Words {
    fn stage(&self, key: StageKey) -> &'static str {
        self.stages[index_of(&StageKey::ALL, key)]
    }

    fn stage_status(&self, s: StageStatus) -> &'static str {
        self.stage_status[index_of(
            &[
                StageStatus::NotStarted,
                StageStatus::InProgress,
                StageStatus::Done,
            ],
            s,
        )]
    }

    fn goal_status(&self, s: GoalStatus) -> &'static str {
        self.goal_status[index_of(&GoalStatus::ALL, s)]
    }

    fn initiative_status(&self, s: InitiativeStatus) -> &'static str {
        self.initiative_status[index_of(&InitiativeStatus::ALL, s)]
    }

    fn kind(&self, k: InitiativeKind) -> &'static str {
        self.kinds[usize::from(k == InitiativeKind::Transformation)]
    }

    fn priority(&self, p: Priority) -> &'static str {
        self.priorities[index_of(&[Priority::High, Priority::Medium, Priority::Low], p)]
    }

    fn goal_metric(&self, m: GoalMetric) -> &'static str {
        self.goal_metrics[index_of(&GoalMetric::ALL, m)]
    }

    fn impact_metric(&self, raw: &str) -> &'static str {
        dosvid_analytics::ImpactMetric::ALL
            .iter()
            .position(|m| m.as_str() == raw)
            .map_or(self.none, |i| self.impact_metrics[i])
    }

    fn outcome(&self, raw: &str) -> &'static str {
        [
            "worked",
            "made_worse",
            "no_effect",
            "not_measured",
            "carried_on",
            "dropped",
        ]
        .iter()
        .position(|o| *o == raw)
        .map_or(self.none, |i| self.outcomes[i])
    }

    fn artefact_kind(&self, raw: &str) -> &'static str {
        [
            "note",
            "link",
            "touchpoint",
            "moment_of_truth",
            "priority",
            "driver",
            "research",
        ]
        .iter()
        .position(|k| *k == raw)
        .map_or(self.none, |i| self.artefact_kinds[i])
    }
}

/// The names a page shows for the factors of a problem and the filters of a scope, in the
/// reader's language (the pages' [`Naming`](super::naming::Naming)).
struct Names {
    naming: super::naming::Naming,
}

impl Names {
    fn read(
        s: &dyn dosvid_store::Store,
        org: i64,
        lang: Lang,
    ) -> Result<Names, dosvid_store::StoreError> {
        Ok(Names {
            naming: super::naming::Naming::read(s, org, lang)?,
        })
    }

    fn touchpoint<'a>(&'a self, key: &'a str) -> &'a str {
        self.naming.of("touchpoint", key)
    }

    /// A factor's value (`touchpoint` + key, `theme` + key, `region` + value…) with the factor's name.
    fn value(&self, ui: &Ui, factor: &str, value: &str) -> String {
        let factor_name = match factor {
            "theme" => ui.factor_theme,
            "touchpoint" => ui.factor_touchpoint,
            "segment" => ui.factor_segment,
            "region" => ui.factor_region,
            "channel" => ui.channel,
            "plan" => ui.plan,
            other => other,
        };
        let value = self.naming.of(factor, value);
        format!("{value} ({factor_name})")
    }

    /// A scope of `/query` filters in words: each filter's name and values.
    fn scope(&self, ui: &Ui, w: &Words, scope: &dosvid_domain::Attributes) -> String {
        fn values(v: &serde_json::Value) -> Vec<String> {
            match v {
                serde_json::Value::Array(items) => items.iter().flat_map(values).collect(),
                serde_json::Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            }
        }
        let mut parts = Vec::new();
        for (key, value) in scope {
            if key == "customer" {
                for (attribute, v) in value.as_object().into_iter().flatten() {
                    let factor = attribute.as_str();
                    let shown: Vec<String> = values(v)
                        .iter()
                        .map(|x| self.value(ui, factor, x))
                        .collect();
                    parts.push(shown.join(", "));
                }
            } else {
                let factor = if key == "touchpoint" || key == "theme" || key == "channel" {
                    key.as_str()
                } else {
                    ""
                };
                let shown: Vec<String> = values(value)
                    .iter()
                    .map(|x| {
                        if factor.is_empty() {
                            format!("{key}: {x}")
                        } else {
                            self.value(ui, factor, x)
                        }
                    })
                    .collect();
                parts.push(shown.join(", "));
            }
        }
        if parts.is_empty() {
            w.none.to_owned()
        } else {
            parts.join(" · ")
        }
    }
}

fn api_get(ui: &Ui, path: &str) -> Markup {
    html! {
        details.api {
            summary { (ui.api_call) }
            pre { code { "GET " (path) } }
        }
    }
}

fn stage_class(s: StageStatus) -> &'static str {
    match s {
        StageStatus::Done => "tone-good",
        StageStatus::InProgress => "tone-mid",
        StageStatus::NotStarted => "",
    }
}

fn goal_class(s: GoalStatus) -> &'static str {
    match s {
        GoalStatus::Achieved | GoalStatus::OnTrack => "up",
        GoalStatus::AtRisk | GoalStatus::NotEnoughData => "flat",
        GoalStatus::OffTrack => "down",
    }
}

fn number(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.1}"))
}

fn with_interval(value: Option<f64>, low: Option<f64>, high: Option<f64>) -> String {
    match (value, low, high) {
        (Some(v), Some(l), Some(h)) => format!("{v:.1} [{l:.1}; {h:.1}]"),
        (Some(v), _, _) => format!("{v:.1}"),
        _ => "—".into(),
    }
}

fn interval(i: &Interval) -> String {
    with_interval(Some(i.value), Some(i.low), Some(i.high))
}

fn bounds(i: &Interval) -> String {
    format!("[{:.1}; {:.1}]", i.low, i.high)
}

fn money(minor: i64, currency: Option<&str>) -> String {
    let units = minor / 100;
    let mut digits = units.abs().to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(" {tail}{grouped}");
    }
    let sign = if units < 0 { "−" } else { "" };
    format!("{sign}{digits}{grouped} {}", currency.unwrap_or(""))
        .trim_end()
        .to_owned()
}

fn percent(ratio: f64) -> String {
    format!("{:.0}%", ratio * 100.0).replace('-', "−")
}

/// A bar from the baseline to the target with the current interval and point on it.
fn progress_bar(goal: &GoalProgress, w: &Words) -> Markup {
    let d = &goal.goal.definition;
    let (Some(base), Some(value)) = (goal.goal.baseline.value, goal.current.value) else {
        return html! {};
    };
    let (lo, hi) = (base.min(d.target), base.max(d.target));
    let span = (hi - lo).max(1e-9);
    let pad = span * 0.25;
    let (lo, hi) = (lo - pad, hi + pad);
    let at = |v: f64| ((v - lo) / (hi - lo) * 100.0).clamp(0.0, 100.0);
    let low = goal.current.low.unwrap_or(value);
    let high = goal.current.high.unwrap_or(value);
    let title = format!(
        "{} {base:.1} → {} {:.1}; {} {}",
        w.baseline,
        w.target,
        d.target,
        w.current,
        with_interval(goal.current.value, goal.current.low, goal.current.high)
    );
    html! {
        div.goal-bar role="img" aria-label=(title) title=(title) {
            span.goal-interval style=(format!("left:{:.1}%;width:{:.1}%", at(low.min(high)), (at(low.max(high)) - at(low.min(high))).max(0.8))) {}
            span.goal-mark.base style=(format!("left:{:.1}%", at(base))) {}
            span.goal-mark.target style=(format!("left:{:.1}%", at(d.target))) {}
            @if let Some(p) = goal.planned {
                span.goal-mark.plan style=(format!("left:{:.1}%", at(p))) title=(w.path) {}
            }
            span.goal-point style=(format!("left:{:.1}%", at(value))) {}
        }
    }
}

fn goals_table(goals: &[GoalProgress], w: &Words) -> Markup {
    // Parents first, each followed by the goals under it.
    let mut ordered: Vec<(&GoalProgress, usize)> = Vec::new();
    fn visit<'a>(
        all: &'a [GoalProgress],
        parent: Option<i64>,
        depth: usize,
        out: &mut Vec<(&'a GoalProgress, usize)>,
    ) {
        for g in all.iter().filter(|g| {
            g.goal.definition.parent_id == parent
                || (depth == 0
                    && g.goal
                        .definition
                        .parent_id
                        .is_some_and(|p| !all.iter().any(|o| o.goal.id == p)))
        }) {
            if depth > 8 || out.iter().any(|(o, _)| o.goal.id == g.goal.id) {
                continue;
            }
            out.push((g, depth));
            visit(all, Some(g.goal.id), depth + 1, out);
        }
    }
    visit(goals, None, 0, &mut ordered);
    html! {
        @if goals.is_empty() {
            p { (w.no_goals) }
        } @else {
            div.scroll { table {
                thead { tr {
                    th { (w.name) } th { (w.metric) } th.num { (w.baseline) } th.num { (w.current) }
                    th.num { (w.target) } th { (w.due) } th { (w.status) } th { (w.trend) }
                } }
                tbody {
                    @for (g, depth) in &ordered {
                        @let d = &g.goal.definition;
                        tr {
                            td style=(format!("padding-left:{}rem", 0.5 + *depth as f64 * 1.25)) {
                                (d.name)
                                @if let Some(owner) = &d.owner_department { div.meta { (owner) } }
                            }
                            td { (w.goal_metric(d.metric)) }
                            td.num { (number(g.goal.baseline.value)) div.meta { "n " (g.goal.baseline.n) } }
                            td.num {
                                (with_interval(g.current.value, g.current.low, g.current.high))
                                div.meta { "n " (g.current.n) " · " (g.current.from) " – " (g.current.to) }
                            }
                            td.num { (format!("{:.1}", d.target)) }
                            td { (d.due) }
                            td { strong class=(goal_class(g.status)) { (w.goal_status(g.status)) } }
                            td style="min-width:12rem" { (progress_bar(g, w)) }
                        }
                    }
                }
            } }
        }
    }
}

fn initiative_card(i: &Initiative, w: &Words) -> Markup {
    let d = &i.definition;
    html! {
        li.tp {
            span {
                a.tp-name href=(format!("/strategy/initiatives/{}", i.id)) { (d.title) }
                div.meta {
                    (w.priority(d.priority)) " · " (w.kind(d.kind))
                    @if let Some(owner) = &d.owner_department { " · " (owner) }
                }
            }
            span.tp-figures { (money(d.budget_minor, d.currency.as_deref())) }
        }
    }
}

fn board(initiatives: &[Initiative], w: &Words) -> Markup {
    html! {
        div.journey {
            @for status in InitiativeStatus::ALL {
                @let column: Vec<&Initiative> = initiatives.iter().filter(|i| i.definition.status == status).collect();
                section.stage aria-label=(w.initiative_status(status)) {
                    h2 { (w.initiative_status(status)) span.stage-nps { (column.len()) } }
                    ul.touchpoints { @for i in column { (initiative_card(i, w)) } }
                }
            }
        }
    }
}

fn initiative_list(initiatives: &[Initiative], w: &Words, sort: &str) -> Markup {
    html! {
        p.meta {
            @for (key, name) in [("priority", w.priority), ("budget", w.budget), ("owner", w.department), ("starts_on", w.starts_on)] {
                @if key == sort { strong { (name) } } @else { a href=(format!("/strategy?sort={key}#list")) { (name) } }
                " "
            }
        }
        div.scroll { table #list {
            thead { tr {
                th { (w.name) } th { (w.priority) } th { (w.status) } th { (w.department) }
                th.num { (w.budget) } th { (w.starts_on) }
            } }
            tbody { @for i in initiatives {
                @let d = &i.definition;
                tr {
                    td { a href=(format!("/strategy/initiatives/{}", i.id)) { (d.title) } }
                    td { (w.priority(d.priority)) }
                    td { (w.initiative_status(d.status)) }
                    td { (d.owner_department.as_deref().unwrap_or(w.none)) }
                    td.num { (money(d.budget_minor, d.currency.as_deref())) }
                    td { (d.starts_on) }
                }
            } }
        } }
    }
}

fn steps(view: &CycleView, w: &Words, today: NaiveDate) -> Markup {
    html! {
        ol.steps {
            @for stage in &view.cycle.stages {
                li.tp class=(stage_class(stage.status)) aria-current=[(view.current_stage == Some(stage.key)).then_some("step")] {
                    span {
                        strong { (w.stage(stage.key)) }
                        div.meta {
                            (w.stage_status(stage.status))
                            @if let Some(owner) = &stage.owner { " · " (owner) }
                            @if let Some(due) = stage.due { " · " (w.due) " " (due) }
                            @if stage.overdue(today) { " · " strong.down { (w.overdue) } }
                        }
                    }
                    span.tp-figures { (stage.artefacts.len()) }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OverviewParams {
    pub sort: Option<String>,
}

struct Overview {
    cycles: Vec<dosvid_domain::strategy::Cycle>,
    view: Option<CycleView>,
    goals: Vec<GoalProgress>,
    initiatives: Vec<Initiative>,
    touchpoints: Vec<(String, String)>,
    /// Each region's value and name.
    regions: Vec<(String, String)>,
}

async fn read_overview(
    state: &AppState,
    who: &crate::access::Principal,
    sort: String,
    lang: Lang,
) -> Result<Overview, ApiError> {
    let org = who.org;
    state
        .with_index(who, move |s, index| {
            let now = Utc::now();
            let cycles = s.list_cycles(org)?;
            // Every goal is measured once; the cycle's are among them.
            let goals = strategy::goals_progress(s, index, org, |_| true, now)?;
            let view = match cycles.last() {
                Some(c) => Some(strategy::cycle_view_with(
                    s,
                    index,
                    org,
                    c.clone(),
                    &goals,
                    now,
                )?),
                None => None,
            };
            let mut initiatives = s.list_initiatives(org)?;
            strategy::sort_initiatives(&mut initiatives, &sort);
            let touchpoints = dosvid_store::all_pages(|p| {
                s.list_touchpoints(org, &dosvid_store::Filter::default(), p)
            })?
            .into_iter()
            .map(|t| (t.key, t.names.or(lang.code(), &t.name).to_owned()))
            .collect();
            let naming = super::naming::Naming::read(s, org, lang)?;
            let regions = index
                .attribute_values("region")
                .into_iter()
                .map(|r| {
                    let name = naming.of("region", &r).to_owned();
                    (r, name)
                })
                .collect();
            Ok(Overview {
                cycles,
                view,
                goals,
                initiatives,
                touchpoints,
                regions,
            })
        })
        .await
}

pub async fn overview(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<OverviewParams>,
) -> Response {
    overview_page(&state, &signed, params.sort, None).await
}

async fn overview_page(
    state: &AppState,
    signed: &SignedIn,
    sort: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let w = words(lang);
    let sort = sort
        .filter(|s| ["priority", "budget", "owner", "starts_on"].contains(&s.as_str()))
        .unwrap_or_else(|| "priority".into());
    let read = read_overview(state, &signed.principal, sort.clone(), signed.lang()).await;
    let (status, message) = match &error {
        Some((status, message)) => (*status, Some(message.clone())),
        None => (StatusCode::OK, None),
    };
    let body = match read {
        Err(e) => html! { h1 { (w.title) } p.error role="alert" { (e.page_message()) } },
        Ok(o) => render_overview(signed, w, &o, &sort, message.as_deref()),
    };
    html_response(status, app_page(signed, "/strategy", w.title, body))
}

fn render_overview(
    signed: &SignedIn,
    w: &Words,
    o: &Overview,
    sort: &str,
    error: Option<&str>,
) -> Markup {
    let csrf = &signed.session.csrf;
    let may = signed.may(Action::ManageStrategy);
    let today = Utc::now().date_naive();
    let year = today.format("%Y").to_string();
    html! {
        h1 { (w.title) }
        @if let Some(message) = error { p.error role="alert" { (message) } }
        h2 { (w.cycle) }
        @match &o.view {
            Some(view) => {
                p {
                    a href=(format!("/strategy/cycles/{}", view.cycle.id)) { strong { (view.cycle.definition.name) } }
                    " · " (view.cycle.definition.from) " – " (view.cycle.definition.to)
                    @if let Some(stage) = view.current_stage { " · " (w.where_we_are) ": " (w.stage(stage)) }
                }
                @if let Some(vision) = &view.cycle.stages[0].notes { p.intro { (vision) } }
                (steps(view, w, today))
                @if o.cycles.len() > 1 {
                    p.meta { (w.all_cycles) ": "
                        @for c in &o.cycles { a href=(format!("/strategy/cycles/{}", c.id)) { (c.definition.name) } " " }
                    }
                }
            }
            None => {
                p { (w.no_cycle) }
                @if may {
                    form.filters method="post" action="/strategy/cycles" {
                        input type="hidden" name="csrf" value=(csrf);
                        div { label for="cycle-name" { (w.name) } input #cycle-name type="text" name="name" required value=(year); }
                        div { label for="cycle-from" { (w.from) } input #cycle-from type="date" name="from" required; }
                        div { label for="cycle-to" { (w.to) } input #cycle-to type="date" name="to" required; }
                        button.primary.small type="submit" { (w.start_cycle) }
                    }
                }
            }
        }
        h2 { (w.goals) }
        (goals_table(&o.goals, w))
        @if may {
            details {
                summary { (w.new_goal) }
                form.filters method="post" action="/strategy/goals" {
                    input type="hidden" name="csrf" value=(csrf);
                    div { label for="goal-name" { (w.name) } input #goal-name type="text" name="name" required; }
                    div { label for="goal-metric" { (w.metric) }
                        select #goal-metric name="metric" {
                            @for m in GoalMetric::ALL { option value=(m.as_str()) { (w.goal_metric(m)) } }
                        }
                    }
                    (scope_fields(w, o, "goal"))
                    div { label for="goal-target" { (w.target) } input #goal-target type="number" step="0.1" name="target" required; }
                    div { label for="goal-due" { (w.due) } input #goal-due type="date" name="due" required; }
                    div { label for="goal-owner" { (w.department) } input #goal-owner type="text" name="owner_department"; }
                    div { label for="goal-parent" { (w.parent_goal) }
                        select #goal-parent name="parent_id" {
                            option value="" { (w.none) }
                            @for g in &o.goals { option value=(g.goal.id) { (g.goal.definition.name) } }
                        }
                    }
                    button.primary.small type="submit" { (w.save) }
                }
            }
        }
        h2 { (w.initiatives) }
        @if o.initiatives.is_empty() {
            p { (w.no_initiatives) }
        } @else {
            h3 { (w.board) }
            (board(&o.initiatives, w))
            h3 { (w.by_priority) }
            (initiative_list(&o.initiatives, w, sort))
        }
        @if may {
            details {
                summary { (w.new_initiative) }
                form.filters method="post" action="/strategy/initiatives" {
                    input type="hidden" name="csrf" value=(csrf);
                    @if let Some(view) = &o.view { input type="hidden" name="cycle_id" value=(view.cycle.id); }
                    div { label for="initiative-title" { (w.name) } input #initiative-title type="text" name="title" required; }
                    div { label for="initiative-owner" { (w.department) } input #initiative-owner type="text" name="owner_department"; }
                    div { label for="initiative-budget" { (w.budget) } input #initiative-budget type="number" min="0" step="1" name="budget"; }
                    div { label for="initiative-kind" { (w.kind) }
                        select #initiative-kind name="kind" {
                            option value="quick_win" { (w.kinds[0]) } option value="transformation" { (w.kinds[1]) }
                        }
                    }
                    div { label for="initiative-priority" { (w.priority) }
                        select #initiative-priority name="priority" {
                            option value="high" { (w.priorities[0]) } option value="medium" selected { (w.priorities[1]) } option value="low" { (w.priorities[2]) }
                        }
                    }
                    div { label for="initiative-starts" { (w.starts_on) } input #initiative-starts type="date" name="starts_on" required; }
                    (scope_fields(w, o, "initiative"))
                    div { label for="initiative-goal" { (w.goals) }
                        select #initiative-goal name="goal_id" {
                            option value="" { (w.none) }
                            @for g in &o.goals { option value=(g.goal.id) { (g.goal.definition.name) } }
                        }
                    }
                    button.primary.small type="submit" { (w.save) }
                }
            }
        }
        (api_get(signed.lang().ui(), "/api/v1/goals"))
    }
}

/// The scope a form can give: a touchpoint and a region.
fn scope_fields(w: &Words, o: &Overview, prefix: &str) -> Markup {
    html! {
        div { label for=(format!("{prefix}-touchpoint")) { (w.touchpoint) }
            select id=(format!("{prefix}-touchpoint")) name="touchpoint" {
                option value="" { (w.none) }
                @for (key, name) in &o.touchpoints { option value=(key) { (name) } }
            }
        }
        div { label for=(format!("{prefix}-region")) { (w.region) }
            select id=(format!("{prefix}-region")) name="region" {
                option value="" { (w.none) }
                @for (region, name) in &o.regions { option value=(region) { (name) } }
            }
        }
    }
}

fn scope_of(form: &Form) -> dosvid_domain::Attributes {
    let mut scope = dosvid_domain::Attributes::new();
    if let Some(t) = form.text("touchpoint") {
        scope.insert("touchpoint".into(), t.into());
    }
    if let Some(r) = form.text("region") {
        scope.insert("customer".into(), serde_json::json!({"region": r}));
    }
    scope
}

fn date_field(form: &Form, field: &str) -> Result<NaiveDate, FieldError> {
    form.one(field)
        .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        .ok_or_else(|| FieldError::new(field, "must be a date, YYYY-MM-DD"))
}

fn id_field(form: &Form, field: &str) -> Result<Option<i64>, FieldError> {
    form.text(field)
        .map(|v| {
            v.parse()
                .map_err(|_| FieldError::new(field, "must be a number"))
        })
        .transpose()
}

/// Runs an admitted form's change with the store and the index; the error is what the page shows.
async fn change<T: Send + 'static>(
    state: &AppState,
    signed: &SignedIn,
    headers: &HeaderMap,
    body: &Bytes,
    make: impl FnOnce(
        &dyn dosvid_store::Store,
        &dosvid_analytics::Index,
        i64,
        &Form,
        &str,
    ) -> Result<T, dosvid_store::StoreError>
    + Send
    + 'static,
) -> Result<T, (StatusCode, String)> {
    let form = Form::parse(body);
    if let Some(message) = refusal(signed, headers, &form, Action::ManageStrategy) {
        return Err((StatusCode::FORBIDDEN, message.to_owned()));
    }
    let org = signed.user().org_id;
    let by = signed.user().email.clone();
    state
        .with_index(&signed.principal, move |s, index| {
            make(s, index, org, &form, &by)
        })
        .await
        .map_err(|e| (e.status, e.page_message()))
}

pub async fn create_goal(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let made = change(
        &state,
        &signed,
        &headers,
        &body,
        |s, index, org, form, _| {
            let goal = GoalDefinition {
                name: form.text("name").unwrap_or_default(),
                metric: form
                    .one("metric")
                    .and_then(|m| GoalMetric::ALL.into_iter().find(|g| g.as_str() == m))
                    .ok_or_else(|| FieldError::new("metric", "choose a metric"))?,
                filters: scope_of(form),
                target: form
                    .one("target")
                    .and_then(|t| t.trim().parse().ok())
                    .ok_or_else(|| FieldError::new("target", "must be a number"))?,
                due: date_field(form, "due")?,
                owner_department: form.text("owner_department"),
                parent_id: id_field(form, "parent_id")?,
                cycle_id: s.list_cycles(org)?.last().map(|c| c.id),
                window_days: 90,
                set_on: None,
                min_sample: None,
            };
            strategy::set_goal(s, index, org, goal, Utc::now())
        },
    )
    .await;
    match made {
        Ok(_) => redirect("/strategy"),
        Err(e) => overview_page(&state, &signed, None, Some(e)).await,
    }
}

pub async fn create_initiative(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let made = change(
        &state,
        &signed,
        &headers,
        &body,
        |s, index, org, form, by| {
            let budget: i64 = match form.text("budget") {
                Some(b) => b
                    .parse::<i64>()
                    .map_err(|_| FieldError::new("budget", "must be a whole number"))?,
                None => 0,
            };
            let treated = scope_of(form);
            // A touchpoint in one region is compared with the same touchpoint elsewhere.
            let comparison = (treated.contains_key("customer")
                && treated.contains_key("touchpoint"))
            .then(|| {
                let mut c = dosvid_domain::Attributes::new();
                c.insert("touchpoint".into(), treated["touchpoint"].clone());
                c
            });
            let definition = InitiativeDefinition {
                title: form.text("title").unwrap_or_default(),
                description: None,
                problem: None,
                touchpoints: form.text("touchpoint").into_iter().collect(),
                owner_department: form.text("owner_department"),
                budget_minor: budget.saturating_mul(100),
                currency: index.main_currency_name(),
                kind: if form.one("kind") == Some("transformation") {
                    InitiativeKind::Transformation
                } else {
                    InitiativeKind::QuickWin
                },
                status: InitiativeStatus::Idea,
                priority: match form.one("priority") {
                    Some("high") => Priority::High,
                    Some("low") => Priority::Low,
                    _ => Priority::Medium,
                },
                starts_on: date_field(form, "starts_on")?,
                ends_on: None,
                expected: None,
                treated,
                comparison,
                raci: Default::default(),
                goal_id: id_field(form, "goal_id")?,
                cycle_id: id_field(form, "cycle_id")?,
            };
            s.create_initiative(org, definition, Some(by), Utc::now())
        },
    )
    .await;
    match made {
        Ok(i) => redirect(&format!("/strategy/initiatives/{}", i.id)),
        Err(e) => overview_page(&state, &signed, None, Some(e)).await,
    }
}

pub async fn create_cycle(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let made = change(
        &state,
        &signed,
        &headers,
        &body,
        |s, index, org, form, _| {
            let definition = CycleDefinition {
                name: form.text("name").unwrap_or_default(),
                from: date_field(form, "from")?,
                to: date_field(form, "to")?,
                budget_minor: None,
                currency: None,
                previous_id: id_field(form, "previous_id")?,
                vision: None,
            };
            strategy::start_cycle(s, index, org, definition, Utc::now())
        },
    )
    .await;
    match made {
        Ok(c) => redirect(&format!("/strategy/cycles/{}", c.id)),
        Err(e) => overview_page(&state, &signed, None, Some(e)).await,
    }
}

fn id_of(raw: &str) -> i64 {
    raw.parse().unwrap_or(0)
}

#[derive(Debug, Default, Deserialize)]
pub struct ImpactQuery {
    pub metric: Option<String>,
    pub as_if: Option<String>,
}

pub async fn initiative(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
    Query(query): Query<ImpactQuery>,
) -> Response {
    initiative_page(&state, &signed, id_of(&id), query, None).await
}

async fn initiative_page(
    state: &AppState,
    signed: &SignedIn,
    id: i64,
    query: ImpactQuery,
    error: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let w = words(lang);
    let org = signed.user().org_id;
    let params = ImpactParams {
        metric: query.metric.clone().filter(|m| !m.is_empty()),
        as_if_started_on: query.as_if.clone().filter(|d| !d.is_empty()),
        ..Default::default()
    };
    let read = state
        .with_index(&signed.principal, move |s, index| {
            let initiative = s.get_initiative(org, id)?;
            let log = s.initiative_log(org, id)?;
            let impact = strategy::impact(index, &initiative, &params);
            Ok((initiative, log, impact, Names::read(s, org, lang)?))
        })
        .await;
    let Ok((initiative, log, impact, names)) = read else {
        let body = html! { h1 { (w.initiatives) } p.error role="alert" { (w.not_found) } };
        return html_response(
            StatusCode::NOT_FOUND,
            app_page(signed, "/strategy", w.title, body),
        );
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    let body = render_initiative(
        signed,
        w,
        &names,
        &initiative,
        &log,
        &impact,
        &query,
        error.map(|e| e.1).as_deref(),
    );
    html_response(
        status,
        app_page(signed, "/strategy", &initiative.definition.title, body),
    )
}

#[allow(clippy::too_many_arguments)]
fn render_initiative(
    signed: &SignedIn,
    w: &Words,
    names: &Names,
    initiative: &Initiative,
    log: &[StatusChange],
    impact: &Result<ImpactResult, FieldError>,
    query: &ImpactQuery,
    error: Option<&str>,
) -> Markup {
    let d = &initiative.definition;
    let csrf = &signed.session.csrf;
    let ui = signed.lang().ui();
    html! {
        p.meta {
            a href="/strategy" { "← " (w.title) }
            @if let Some(cycle) = d.cycle_id { " · " a href=(format!("/strategy/cycles/{cycle}")) { (w.cycle) } }
        }
        h1 { (d.title) }
        @if let Some(message) = error { p.error role="alert" { (message) } }
        @if let Some(text) = &d.description { p.intro { (text) } }
        div.cards {
            div.card-metric { h3 { (w.status) } p.value style="font-size:1.2rem" { (w.initiative_status(d.status)) } }
            div.card-metric { h3 { (w.budget) } p.value style="font-size:1.2rem" { (money(d.budget_minor, d.currency.as_deref())) } }
            div.card-metric { h3 { (w.starts_on) } p.value style="font-size:1.2rem" { (d.starts_on) }
                @if let Some(end) = d.ends_on { p.meta { (w.ends_on) " " (end) } } }
            div.card-metric { h3 { (w.priority) } p.value style="font-size:1.2rem" { (w.priority(d.priority)) } p.meta { (w.kind(d.kind)) } }
        }
        table {
            tbody {
                tr { th { (w.department) } td { (d.owner_department.as_deref().unwrap_or(w.none)) } }
                @if let Some(p) = &d.problem { tr { th { (w.problem) } td { (names.value(ui, &p.factor, &p.value)) } } }
                @if !d.touchpoints.is_empty() {
                    tr { th { (w.touchpoint) } td { (d.touchpoints.iter().map(|t| names.touchpoint(t)).collect::<Vec<_>>().join(", ")) } }
                }
                @if let Some(e) = &d.expected { tr { th { (w.expected) } td { (w.impact_metric(&e.metric)) " " (format!("{:+.1}", e.change)) } } }
                tr { th { (w.treated) } td { (names.scope(ui, w, &d.treated)) } }
                tr { th { (w.comparison) } td { @match &d.comparison { Some(c) => (names.scope(ui, w, c)), None => (w.the_rest) } } }
                @for (name, values) in [(w.raci[0], d.raci.responsible.join(", ")), (w.raci[1], d.raci.accountable.clone().unwrap_or_default()), (w.raci[2], d.raci.consulted.join(", ")), (w.raci[3], d.raci.informed.join(", "))] {
                    @if !values.is_empty() { tr { th { (name) } td { (values) } } }
                }
            }
        }
        @if signed.may(Action::ManageStrategy) {
            form.filters method="post" action=(format!("/strategy/initiatives/{}/status", initiative.id)) {
                input type="hidden" name="csrf" value=(csrf);
                div {
                    label for="status" { (w.status) }
                    select #status name="status" {
                        @for s in InitiativeStatus::ALL { option value=(s.as_str()) selected[s == d.status] { (w.initiative_status(s)) } }
                    }
                }
                button.secondary.small type="submit" { (w.save) }
            }
        }
        h2 { (w.effect) }
        form.filters method="get" {
            div { label for="metric" { (w.metric) }
                select #metric name="metric" {
                    @for m in dosvid_analytics::ImpactMetric::ALL {
                        option value=(m.as_str()) selected[impact.as_ref().is_ok_and(|r| r.metric == m)] { (w.impact_metric(m.as_str())) }
                    }
                }
            }
            div { label for="as_if" { (w.placebo) } input #as_if type="date" name="as_if" value=(query.as_if.clone().unwrap_or_default()); }
            button.secondary.small type="submit" { (w.show) }
        }
        @match impact {
            Err(e) => p.error role="alert" { (e.field) ": " (e.message) },
            Ok(r) => (impact_section(w, r)),
        }
        p.hint { (w.method) }
        (api_get(ui, &format!("/api/v1/initiatives/{}/impact", initiative.id)))
        h2 { (w.status_log) }
        table {
            tbody { @for change in log {
                tr {
                    td { (change.at.format("%Y-%m-%d %H:%M")) }
                    td { @match change.from { Some(from) => { (w.initiative_status(from)) " → " }, None => { (w.created) ": " } } (w.initiative_status(change.to)) }
                    td { (change.by.as_deref().unwrap_or("")) }
                }
            } }
        }
    }
}

fn impact_section(w: &Words, r: &ImpactResult) -> Markup {
    let labels: Vec<String> = r.series.iter().map(|b| b.from.clone()).collect();
    let treated: Vec<Option<f64>> = r
        .series
        .iter()
        .map(|b| b.treated.value.filter(|_| b.treated.n >= 5))
        .collect();
    let comparison: Vec<Option<f64>> = r
        .series
        .iter()
        .map(|b| b.comparison.value.filter(|_| b.comparison.n >= 5))
        .collect();
    let start = r.series.iter().position(|b| b.from == r.starts_on);
    let metric = w.impact_metric(r.metric.as_str());
    let by_revenue = r.metric == dosvid_analytics::ImpactMetric::RevenuePerCustomer;
    let currency = r.currency.as_deref();
    let shown = |i: &Interval| {
        if by_revenue {
            format!(
                "[{}; {}]",
                money(i.low as i64, currency),
                money(i.high as i64, currency)
            )
        } else {
            bounds(i)
        }
    };
    let cell = |c: &dosvid_analytics::ImpactCell| {
        if by_revenue {
            c.value.map_or("—".into(), |v| money(v as i64, currency))
        } else {
            number(c.value)
        }
    };
    html! {
        (charts::versus(metric, &labels, [&treated, &comparison], [w.treated, w.comparison], start.map(|s| (s, w.start)), ""))
        div.cards {
            div.card-metric {
                h3 { (w.effect) ", " (metric) }
                p.value { @match &r.effect { Some(e) => (format!("{:+.1}", e.value)), None => "—" } }
                @if let Some(e) = &r.effect { p.meta { "95%: " (shown(e)) } }
                p.meta {
                    @if r.low_sample { (w.low_sample) }
                    @else if r.significant { strong.up { (w.significant) } }
                    @else { (w.not_significant) }
                    @if let Some(p) = r.p_value { " · p = " (format!("{p:.3}")) }
                }
            }
            div.card-metric {
                h3 { (w.benefit) }
                p.value style="font-size:1.3rem" { @match &r.benefit_minor { Some(b) => (money(b.value as i64, currency)), None => "—" } }
                @if let Some(b) = &r.benefit_minor { p.meta { "95%: " (money(b.low as i64, currency)) " … " (money(b.high as i64, currency)) } }
            }
            div.card-metric {
                h3 { (w.rox) }
                @match (&r.rox, r.low_sample) {
                    (Some(x), false) => { p.value { (percent(x.value)) } p.meta { "95%: " (percent(x.low)) " … " (percent(x.high)) } }
                    (Some(_), true) => { p.value { "—" } p.meta { (w.low_sample) } }
                    (None, _) => { p.value { "—" } }
                }
            }
        }
        @if let Some(pt) = &r.parallel_trends {
            @if pt.holds { p.notice { (w.trends_hold) } } @else { p.error { (w.trends_fail) } }
        }
        table {
            thead { tr { th {} th.num { (w.before) } th.num { (w.after) } } }
            tbody {
                tr { th { (w.treated) } td.num { (cell(&r.treated_before)) div.meta { "n " (r.treated_before.n) } } td.num { (cell(&r.treated_after)) div.meta { "n " (r.treated_after.n) } } }
                tr { th { (w.comparison) } td.num { (cell(&r.comparison_before)) div.meta { "n " (r.comparison_before.n) } } td.num { (cell(&r.comparison_after)) div.meta { "n " (r.comparison_after.n) } } }
            }
        }
        p.meta {
            (w.before) ": " (r.before.from.as_deref().and_then(|d| d.get(..10)).unwrap_or("")) " – " (r.before.to.as_deref().and_then(|d| d.get(..10)).unwrap_or(""))
            " · " (w.after) ": " (r.after.from.as_deref().and_then(|d| d.get(..10)).unwrap_or("")) " – " (r.after.to.as_deref().and_then(|d| d.get(..10)).unwrap_or(""))
            @if !r.excluded_from_comparison.is_empty() { " · −" (r.excluded_from_comparison.join(", ")) }
        }
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = id_of(&id);
    let made = change(
        &state,
        &signed,
        &headers,
        &body,
        move |s, _, org, form, by| {
            let mut definition = s.get_initiative(org, id)?.definition;
            definition.status = form
                .one("status")
                .and_then(InitiativeStatus::parse)
                .ok_or_else(|| FieldError::new("status", "choose a status"))?;
            s.update_initiative(org, id, definition, Some(by), Utc::now())
        },
    )
    .await;
    match made {
        Ok(_) => redirect(&format!("/strategy/initiatives/{id}")),
        Err(e) => initiative_page(&state, &signed, id, ImpactQuery::default(), Some(e)).await,
    }
}

pub async fn cycle(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    cycle_page(&state, &signed, id_of(&id), None).await
}

async fn cycle_page(
    state: &AppState,
    signed: &SignedIn,
    id: i64,
    error: Option<(StatusCode, String)>,
) -> Response {
    let lang = signed.lang();
    let w = words(lang);
    let org = signed.user().org_id;
    let whole = signed.principal.is_whole();
    let read = state
        .with_index(&signed.principal, move |s, index| {
            let cycle = s.get_cycle(org, id)?;
            let view = strategy::cycle_view(s, index, org, cycle, Utc::now())?;
            // The research repository's quotes are evidence for assessing needs (stage 3).
            let quotes = if whole {
                crate::research::quotes(s, org, None)?
            } else {
                Vec::new()
            };
            Ok((view, Names::read(s, org, lang)?, quotes))
        })
        .await;
    let Ok((view, names, quotes)) = read else {
        let body = html! { h1 { (w.cycle) } p.error role="alert" { (w.not_found) } };
        return html_response(
            StatusCode::NOT_FOUND,
            app_page(signed, "/strategy", w.title, body),
        );
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.0);
    let body = render_cycle(
        signed,
        w,
        &names,
        &view,
        &quotes,
        error.map(|e| e.1).as_deref(),
    );
    html_response(
        status,
        app_page(signed, "/strategy", &view.cycle.definition.name, body),
    )
}

fn render_cycle(
    signed: &SignedIn,
    w: &Words,
    names: &Names,
    view: &CycleView,
    quotes: &[crate::research::Quote],
    error: Option<&str>,
) -> Markup {
    let cycle = &view.cycle;
    let today = Utc::now().date_naive();
    let csrf = &signed.session.csrf;
    let may = signed.may(Action::ManageStrategy);
    let currency = view.budget.currency.as_deref();
    let ui = signed.lang().ui();
    html! {
        p.meta { a href="/strategy" { "← " (w.title) } }
        h1 { (cycle.definition.name) }
        p.meta { (cycle.definition.from) " – " (cycle.definition.to)
            @if let Some(stage) = view.current_stage { " · " (w.where_we_are) ": " strong { (w.stage(stage)) } }
            @if !view.overdue.is_empty() { " · " strong.down { (w.overdue) ": " (view.overdue.len()) } }
        }
        @if let Some(message) = error { p.error role="alert" { (message) } }
        @if !cycle.carried_over.is_empty() {
            h2 { (w.carried_over) }
            ul.list { @for f in &cycle.carried_over {
                li { strong { (f.title) } " — "
                    @if f.goal_id.is_some() {
                        (GoalStatus::ALL.into_iter().find(|s| s.as_str() == f.outcome).map_or(w.none, |s| w.goal_status(s)))
                    } @else { (w.outcome(&f.outcome)) }
                    @if f.value.is_some() { " · " (with_interval(f.value, f.low, f.high)) }
                }
            } }
        }
        (steps(view, w, today))
        @for (number, stage) in cycle.stages.iter().enumerate() {
            section.editor-stage id=(stage.key.as_str()) {
                h2 { (number + 1) ". " (w.stage(stage.key)) " · " span.meta { (w.stage_status(stage.status)) } }
                p.meta {
                    (w.owner) ": " (stage.owner.as_deref().unwrap_or(w.none))
                    " · " (w.due) ": " @match stage.due { Some(d) => (d), None => (w.none) }
                    @if stage.overdue(today) { " · " strong.down { (w.overdue) } }
                }
                @if let Some(notes) = &stage.notes { p { (notes) } }
                (stage_content(w, view, stage.key, currency))
                @if stage.key == StageKey::Needs && !quotes.is_empty() {
                    details {
                        summary { (super::research::words(signed.lang()).research_quotes) " (" (quotes.len()) ")" }
                        ul.comments { @for q in quotes.iter().take(8) {
                            li { p.comment { "«" (q.text) "»" } p.meta {
                                @if let Some(who) = &q.participant { (who) " · " }
                                a href={ "/diagnosis/studies/" (q.study_id) } { (q.study) }
                            } }
                        } }
                        p.meta { a href="/diagnosis" { (super::diagnosis::words(signed.lang()).title) " →" } }
                    }
                }
                @if !stage.artefacts.is_empty() {
                    details open[stage.artefacts.len() <= 8] {
                        summary { (w.artefacts) " (" (stage.artefacts.len()) ")" }
                        ul.list { @for a in &stage.artefacts {
                            li {
                                span.meta { (w.artefact_kind(&a.kind)) ": " }
                                @let title = artefact_title(ui, names, a);
                                @match &a.link { Some(link) => a href=(link) { (title) }, None => (title) }
                                @if let Some(detail) = &a.detail {
                                    // A touchpoint's detail is its owner department's key.
                                    div.meta { @if touchpoint_id(a).is_some() { (names.naming.team(detail)) } @else { (detail) } }
                                }
                                @if !a.figures.is_empty() {
                                    div.meta { @for (name, value) in &a.figures {
                                        @let label = match name.as_str() { "impact" => ui.impact, "prevalence" => ui.share, "customers" => ui.customers, other => other };
                                        (label) ": " (if name == "prevalence" { format!("{value:.0}%") } else if name == "customers" { format!("{value:.0}") } else { format!("{value:.1}") }) " "
                                    } }
                                }
                            }
                        } }
                    }
                }
                @if may {
                    details {
                        summary { (ui.change) }
                        form.filters method="post" action=(format!("/strategy/cycles/{}/stages/{}", cycle.id, stage.key.as_str())) {
                            input type="hidden" name="csrf" value=(csrf);
                            div { label for=(format!("{}-status", stage.key.as_str())) { (w.status) }
                                select id=(format!("{}-status", stage.key.as_str())) name="status" {
                                    @for s in [StageStatus::NotStarted, StageStatus::InProgress, StageStatus::Done] {
                                        option value=(s.as_str()) selected[s == stage.status] { (w.stage_status(s)) }
                                    }
                                }
                            }
                            div { label for=(format!("{}-owner", stage.key.as_str())) { (w.owner) }
                                input id=(format!("{}-owner", stage.key.as_str())) type="text" name="owner" value=(stage.owner.clone().unwrap_or_default()); }
                            div { label for=(format!("{}-due", stage.key.as_str())) { (w.due) }
                                input id=(format!("{}-due", stage.key.as_str())) type="date" name="due" value=(stage.due.map(|d| d.to_string()).unwrap_or_default()); }
                            div style="flex:1 1 20rem" { label for=(format!("{}-notes", stage.key.as_str())) { (if stage.key == StageKey::ServiceVision { w.vision } else { w.notes }) }
                                textarea id=(format!("{}-notes", stage.key.as_str())) name="notes" style="min-height:4rem" { (stage.notes.clone().unwrap_or_default()) } }
                            button.primary.small type="submit" { (w.save) }
                        }
                    }
                }
            }
        }
        @if may {
            h2 { (w.next_cycle) }
            form.filters method="post" action="/strategy/cycles" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="previous_id" value=(cycle.id);
                div { label for="next-name" { (w.name) } input #next-name type="text" name="name" required; }
                div { label for="next-from" { (w.from) } input #next-from type="date" name="from" required value=((cycle.definition.to + chrono::Days::new(1)).to_string()); }
                div { label for="next-to" { (w.to) } input #next-to type="date" name="to" required; }
                button.primary.small type="submit" { (w.next_cycle) }
            }
        }
        (api_get(ui, &format!("/api/v1/strategy-cycles/{}", cycle.id)))
    }
}

/// A touchpoint's or moment of truth's artefact names the touchpoint by its link.
fn touchpoint_id(a: &dosvid_domain::strategy::Artefact) -> Option<i64> {
    matches!(a.kind.as_str(), "touchpoint" | "moment_of_truth")
        .then(|| {
            a.link
                .as_deref()?
                .strip_prefix("/touchpoints/")?
                .parse()
                .ok()
        })
        .flatten()
}

/// A priority's or driver's artefact is titled `factor:value`: shown by the value's name; a
/// touchpoint's by its name in the reader's language (the title keeps the name it had).
fn artefact_title(ui: &Ui, names: &Names, a: &dosvid_domain::strategy::Artefact) -> String {
    if let Some(name) = touchpoint_id(a).and_then(|id| names.naming.of_id("touchpoint", id)) {
        return name.to_owned();
    }
    match (a.kind.as_str(), a.title.split_once(':')) {
        ("priority" | "driver", Some((factor, value))) => names.value(ui, factor, value),
        _ => a.title.clone(),
    }
}

/// What a stage shows beyond its notes and artefacts.
fn stage_content(w: &Words, view: &CycleView, key: StageKey, currency: Option<&str>) -> Markup {
    match key {
        StageKey::Touchpoints => html! { p { a href="/journey" { (w.open_journey) } } },
        StageKey::Needs => html! { p { a href="/insights" { (w.open_insights) } } },
        StageKey::ActionPlan => html! {
            @if view.initiatives.is_empty() { p { (w.no_initiatives) } }
            @else { ul.touchpoints { @for i in &view.initiatives { (initiative_card(i, w)) } } }
        },
        StageKey::Budget => html! {
            p {
                (w.budget) ": " strong { @match view.budget.cycle_budget_minor { Some(b) => (money(b, currency)), None => (w.none) } }
                " · " (w.planned) ": " (money(view.budget.planned_minor, currency))
                @if let Some(r) = view.budget.remaining_minor { " · " (w.remaining) ": " (money(r, currency)) }
                @if view.budget.over_budget { " · " strong.down { (w.over_budget) } }
            }
            table {
                thead { tr { th { (w.department) } th.num { (w.budget) } th.num { (w.initiatives) } } }
                tbody { @for d in &view.budget.by_department {
                    tr { td { (d.department.as_deref().unwrap_or(w.none)) } td.num { (money(d.budget_minor, currency)) } td.num { (d.initiatives) } }
                } }
            }
        },
        StageKey::Roles => html! {
            div.scroll { table {
                thead { tr { th { (w.initiatives) } @for r in w.raci { th { (r) } } } }
                tbody { @for r in &view.roles {
                    tr {
                        td { a href=(format!("/strategy/initiatives/{}", r.initiative_id)) { (r.title) } }
                        td { (r.raci.responsible.join(", ")) }
                        td { (r.raci.accountable.as_deref().unwrap_or("")) }
                        td { (r.raci.consulted.join(", ")) }
                        td { (r.raci.informed.join(", ")) }
                    }
                } }
            } }
        },
        StageKey::BrandExperience => html! {
            h3 { (w.delivered) }
            ul.list { @for d in &view.delivered {
                li { a href=(format!("/strategy/initiatives/{}", d.initiative_id)) { (d.title) }
                    " · " (d.started_on) @if let Some(done) = d.done_on { " – " (done) } }
            } }
        },
        StageKey::Evaluation => html! {
            @if !view.goals.is_empty() {
                table {
                    thead { tr { th { (w.goals) } th.num { (w.baseline) } th.num { (w.current) } th.num { (w.target) } th { (w.status) } } }
                    tbody { @for g in &view.goals {
                        tr {
                            td { (g.name) div.meta { (w.goal_metric(g.metric)) } }
                            td.num { (number(g.baseline.value)) }
                            td.num { (with_interval(g.current.value, g.current.low, g.current.high)) }
                            td.num { (format!("{:.1}", g.target)) }
                            td { strong class=(goal_class(g.status)) { (w.goal_status(g.status)) } }
                        }
                    } }
                }
            }
            table {
                thead { tr { th { (w.initiatives) } th.num { (w.effect) } th.num { (w.rox) } } }
                tbody { @for e in &view.evaluation {
                    tr {
                        td { a href=(format!("/strategy/initiatives/{}", e.initiative_id)) { (e.title) } div.meta { (w.impact_metric(&e.metric)) } }
                        td.num {
                            @match &e.effect { Some(x) => (interval(x)), None => (w.none) }
                            div.meta {
                                @if e.low_sample { (w.low_sample) } @else if e.significant { strong.up { (w.significant) } } @else { (w.not_significant) }
                                @if e.parallel_trends_hold == Some(false) { " · " strong.down { "⚠" } }
                            }
                        }
                        // Without enough answers no effect is claimed, and no return either.
                        td.num { @match (&e.rox, e.low_sample) { (Some(x), false) => { (percent(x.value)) div.meta { (percent(x.low)) " … " (percent(x.high)) } }, _ => (w.none) } }
                    }
                } }
            }
            @if view.evaluation.is_empty() { p { (w.not_measured_yet) } }
        },
        StageKey::ServiceVision => html! {},
    }
}

pub async fn update_stage(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path((id, stage)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let id = id_of(&id);
    let made = change(
        &state,
        &signed,
        &headers,
        &body,
        move |s, _, org, form, _| {
            let key =
                StageKey::parse(&stage).ok_or_else(|| FieldError::new("stage", "no such stage"))?;
            let status = match form.one("status") {
                Some("done") => Some(StageStatus::Done),
                Some("in_progress") => Some(StageStatus::InProgress),
                Some("not_started") => Some(StageStatus::NotStarted),
                _ => None,
            };
            let due = match form.text("due") {
                Some(_) => Some(date_field(form, "due")?),
                None => None,
            };
            let patch = CycleStagePatch {
                status,
                owner: form.one("owner").map(str::to_owned),
                due,
                notes: form.one("notes").map(str::to_owned),
                add_artefacts: Vec::new(),
            };
            s.update_cycle_stage(org, id, key, patch)
        },
    )
    .await;
    match made {
        Ok(_) => redirect(&format!("/strategy/cycles/{id}")),
        Err(e) => cycle_page(&state, &signed, id, Some(e)).await,
    }
}
