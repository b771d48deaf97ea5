//! Organisation units for administrators (`/settings/units`): the tree of units, the rules that
//! say which records each sees, and forms to add a unit, add a rule and delete a unit. People and
//! keys are put in a unit on the settings page.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dosvid_domain::Attributes;
use dosvid_domain::unit::{Unit, UnitInput};
use dosvid_domain::user::Action;
use maud::{Markup, html};

use super::app::{SignedIn, admitted, app_page};
use super::i18n::Lang;
use super::{Form, html_response};
use crate::AppState;

pub struct Words {
    pub title: &'static str,
    pub unit: &'static str,
    hint: &'static str,
    pub whole: &'static str,
    /// Why a page of the whole organisation is refused to a person of a unit.
    pub whole_only: &'static str,
    name: &'static str,
    parent: &'static str,
    rules: &'static str,
    people: &'static str,
    no_rules: &'static str,
    add_unit: &'static str,
    add_rule: &'static str,
    rule_hint: &'static str,
    delete: &'static str,
    empty: &'static str,
    /// The rule fields the form offers, in [`FIELDS`] order.
    fields: [&'static str; 6],
}

/// The rule fields the form offers: the filter each fills and whether it is a customer's
/// attribute.
const FIELDS: [(&str, bool); 6] = [
    ("department", false),
    ("region", true),
    ("segment", true),
    ("touchpoint", false),
    ("channel", false),
    ("team", false),
];

const UK: Words = Words {
    title: "Підрозділи",
    unit: "Підрозділ",
    hint: "Дерево підрозділів (компанія → регіон → відділення або департаменти). Людина чи ключ API підрозділу бачить лише записи, які допускає правило підрозділу або підрозділу під ним; усі показники рахуються лише за цими записами.",
    whole: "уся організація",
    whole_only: "Ця сторінка показує записи всієї організації; людині підрозділу чи оператору вона недоступна.",
    name: "Назва",
    parent: "Над ним",
    rules: "Правила",
    people: "Люди й ключі",
    no_rules: "немає правил — не бачить нічого свого",
    add_unit: "Додати підрозділ",
    add_rule: "Додати правило",
    rule_hint: "Правило допускає записи, що відповідають усім заповненим полям; кілька значень — через кому.",
    delete: "Видалити",
    empty: "Підрозділів ще немає: усі бачать усю організацію.",
    fields: [
        "Департамент-власник точки",
        "Регіон клієнта",
        "Сегмент клієнта",
        "Точка контакту (ключ)",
        "Канал (ключ)",
        "Команда",
    ],
};

const EN: Words = Words {
    title: "Units",
    unit: "Unit",
    hint: "The tree of units (company → region → branch, or departments). A person or API key of a unit sees only the records a rule of the unit or of a unit below it admits; every figure is computed over those records only.",
    whole: "whole organisation",
    whole_only: "This page shows records of the whole organisation; a person of a unit or an agent cannot open it.",
    name: "Name",
    parent: "Above it",
    rules: "Rules",
    people: "People and keys",
    no_rules: "no rules — sees nothing of its own",
    add_unit: "Add unit",
    add_rule: "Add rule",
    rule_hint: "A rule admits the records matching every field filled in; several values separated by commas.",
    delete: "Delete",
    empty: "No units yet: everyone sees the whole organisation.",
    fields: [
        "Department owning the touchpoint",
        "Customer's region",
        "Customer's segment",
        "Touchpoint (key)",
        "Channel (key)",
        "Team",
    ],
};

const RU: Words = Words {
    title: "Подразделения",
    unit: "Подразделение",
    hint: "Дерево подразделений (компания → регион → отделение или департаменты). Человек или ключ API подразделения видит только записи, которые допускает правило подразделения или подразделения под ним; все показатели считаются только по этим записям.",
    whole: "вся организация",
    whole_only: "Эта страница показывает записи всей организации; человеку подразделения или оператору она недоступна.",
    name: "Название",
    parent: "Над ним",
    rules: "Правила",
    people: "Люди и ключи",
    no_rules: "нет правил — не видит ничего своего",
    add_unit: "Добавить подразделение",
    add_rule: "Добавить правило",
    rule_hint: "Правило допускает записи, соответствующие всем заполненным полям; несколько значений — через запятую.",
    delete: "Удалить",
    empty: "Подразделений пока нет: все видят всю организацию.",
    fields: [
        "Департамент-владелец точки",
        "Регион клиента",
        "Сегмент клиента",
        "Точка контакта (ключ)",
        "Канал (ключ)",
        "Команда",
    ],
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uk => &UK,
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

/// The name of a unit, or the whole organisation for none.
pub fn name_of(units: &[Unit], id: Option<i64>, w: &Words) -> String {
    id.and_then(|id| units.iter().find(|u| u.id == id))
        .map_or_else(|| w.whole.to_owned(), |u| u.name.clone())
}

/// A select of the units (and the whole organisation), for the forms that put a person or key
/// in one.
pub fn unit_select(id: &str, units: &[Unit], w: &Words) -> Markup {
    html! {
        div.filter {
            label for=(id) { (w.unit) }
            select id=(id) name="unit" {
                option value="" { (w.whole) }
                @for (unit, depth) in tree(units) {
                    option value=(unit.id) { ("· ".repeat(depth)) (unit.name) }
                }
            }
        }
    }
}

/// The units in tree order, each with its depth.
fn tree(units: &[Unit]) -> Vec<(&Unit, usize)> {
    fn below<'a>(
        units: &'a [Unit],
        parent: Option<i64>,
        depth: usize,
        out: &mut Vec<(&'a Unit, usize)>,
    ) {
        for unit in units.iter().filter(|u| u.parent_id == parent) {
            out.push((unit, depth));
            if depth < dosvid_domain::unit::MAX_DEPTH {
                below(units, Some(unit.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    below(units, None, 0, &mut out);
    out
}

/// A rule as a person reads it: `Region: Lviv; Team: retention`.
fn readable(rule: &Attributes, w: &Words) -> String {
    let value = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    let label = |name: &str| {
        FIELDS
            .iter()
            .position(|(f, _)| *f == name)
            .map_or_else(|| name.to_owned(), |i| w.fields[i].to_owned())
    };
    let mut parts = Vec::new();
    for (name, v) in rule {
        match (name.as_str(), v) {
            ("customer", serde_json::Value::Object(attributes)) => {
                for (attribute, v) in attributes {
                    parts.push(format!("{}: {}", label(attribute), value(v)));
                }
            }
            _ => parts.push(format!("{}: {}", label(name), value(v))),
        }
    }
    parts.join("; ")
}

/// The rule the form's fields make (None when every field is empty).
fn rule_from(form: &Form) -> Option<Attributes> {
    let mut rule = Attributes::new();
    let mut customer = Attributes::new();
    for (field, of_customer) in FIELDS {
        let values: Vec<serde_json::Value> = form
            .text(field)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.into())
            .collect();
        if values.is_empty() {
            continue;
        }
        let target = if of_customer {
            &mut customer
        } else {
            &mut rule
        };
        target.insert(field.to_owned(), serde_json::Value::Array(values));
    }
    if !customer.is_empty() {
        rule.insert("customer".into(), serde_json::Value::Object(customer));
    }
    (!rule.is_empty()).then_some(rule)
}

fn rule_fields(w: &Words, prefix: &str) -> Markup {
    html! {
        @for (i, (field, _)) in FIELDS.iter().enumerate() {
            div.filter {
                label for={ (prefix) (field) } { (w.fields[i]) }
                input id={ (prefix) (field) } type="text" name=(field);
            }
        }
    }
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    message: Option<(StatusCode, String)>,
) -> Response {
    let w = words(signed.lang());
    let org = signed.session.user.org_id;
    let read = state
        .run(move |s| {
            Ok((
                s.list_units(org)?,
                s.list_users(org)?,
                s.list_api_keys(org)?,
            ))
        })
        .await;
    let (units, users, keys) = match read {
        Ok(read) => read,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    let csrf = &signed.session.csrf;
    let status = message.as_ref().map_or(StatusCode::OK, |(s, _)| *s);
    let body = html! {
        h1 { (w.title) }
        p.meta { (w.hint) }
        @if let Some((_, message)) = &message { p.error role="alert" { (message) } }
        @if units.is_empty() {
            p role="status" { (w.empty) }
        } @else {
            div.scroll { table {
                thead { tr { th { (w.unit) } th { (w.rules) } th { (w.people) } th {} } }
                tbody {
                    @for (unit, depth) in tree(&units) {
                        tr data-unit=(unit.id) {
                            td { ("· ".repeat(depth)) (unit.name) }
                            td {
                                @if unit.rules.is_empty() { span.meta { (w.no_rules) } }
                                @for rule in &unit.rules { div { (readable(rule, w)) } }
                            }
                            td {
                                @for u in users.iter().filter(|u| u.unit_id == Some(unit.id)) { div { (u.email) } }
                                @for k in keys.iter().filter(|k| k.unit_id == Some(unit.id) && k.revoked_at.is_none()) { div { code { (k.prefix) "…" } " " (k.name) } }
                            }
                            td {
                                form.inline method="post" action=(format!("/settings/units/{}/delete", unit.id)) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.secondary.small type="submit" { (w.delete) }
                                }
                            }
                        }
                    }
                }
            } }
        }
        section {
            h2 { (w.add_unit) }
            p.meta { (w.rule_hint) }
            form.filters method="post" action="/settings/units" {
                input type="hidden" name="csrf" value=(csrf);
                div.filter { label for="unit_name" { (w.name) } input #unit_name type="text" name="name" required; }
                div.filter {
                    label for="parent" { (w.parent) }
                    select #parent name="parent" {
                        option value="" { (w.whole) }
                        @for (unit, depth) in tree(&units) { option value=(unit.id) { ("· ".repeat(depth)) (unit.name) } }
                    }
                }
                (rule_fields(w, "new_"))
                div.filter { button.primary type="submit" { (w.add_unit) } }
            }
        }
        @if !units.is_empty() {
            section {
                h2 { (w.add_rule) }
                form.filters method="post" action="/settings/units/rules" {
                    input type="hidden" name="csrf" value=(csrf);
                    div.filter {
                        label for="rule_unit" { (w.unit) }
                        select #rule_unit name="unit" required {
                            @for (unit, depth) in tree(&units) { option value=(unit.id) { ("· ".repeat(depth)) (unit.name) } }
                        }
                    }
                    (rule_fields(w, "more_"))
                    div.filter { button.primary type="submit" { (w.add_rule) } }
                }
            }
        }
    };
    html_response(status, app_page(signed, "/settings", w.title, body))
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Response {
    if !signed.may(Action::Administer) {
        return render_refusal(&signed, signed.lang().ui().not_allowed);
    }
    render(&state, &signed, None).await
}

fn render_refusal(signed: &SignedIn, message: &str) -> Response {
    let w = words(signed.lang());
    let body = html! { h1 { (w.title) } p.error role="alert" { (message) } };
    html_response(
        StatusCode::FORBIDDEN,
        app_page(signed, "/settings", w.title, body),
    )
}

/// Checks the unit (its rules against the journey) and writes it; back to the list, or the
/// list with the reason.
async fn save(state: &AppState, signed: &SignedIn, id: Option<i64>, input: UnitInput) -> Response {
    let org = signed.session.user.org_id;
    let saved = match crate::access::check_unit(state, org, input).await {
        Ok(input) => {
            state
                .run(move |s| match id {
                    Some(id) => s.update_unit(org, id, input),
                    None => s.create_unit(org, input, Utc::now()),
                })
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Redirect::to("/settings/units").into_response(),
        Err(e) => render(state, signed, Some((e.status, e.page_message()))).await,
    }
}

pub async fn create(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match admitted(&signed, &headers, &body, Action::Administer) {
        Ok(form) => form,
        Err(message) => return render_refusal(&signed, message),
    };
    let input = UnitInput {
        name: form.text("name"),
        parent_id: form.text("parent").and_then(|p| p.parse().ok()),
        rules: rule_from(&form).into_iter().collect(),
    };
    save(&state, &signed, None, input).await
}

pub async fn add_rule(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match admitted(&signed, &headers, &body, Action::Administer) {
        Ok(form) => form,
        Err(message) => return render_refusal(&signed, message),
    };
    let org = signed.session.user.org_id;
    let id = form.text("unit").and_then(|u| u.parse().ok()).unwrap_or(0);
    let unit = match state.run(move |s| s.get_unit(org, id)).await {
        Ok(unit) => unit,
        Err(e) => return render(&state, &signed, Some((e.status, e.page_message()))).await,
    };
    let Some(rule) = rule_from(&form) else {
        let message = words(signed.lang()).rule_hint.to_owned();
        return render(
            &state,
            &signed,
            Some((StatusCode::UNPROCESSABLE_ENTITY, message)),
        )
        .await;
    };
    let mut rules = unit.rules;
    rules.push(rule);
    let input = UnitInput {
        name: Some(unit.name),
        parent_id: unit.parent_id,
        rules,
    };
    save(&state, &signed, Some(id), input).await
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(message) = admitted(&signed, &headers, &body, Action::Administer) {
        return render_refusal(&signed, message);
    }
    let org = signed.session.user.org_id;
    let id = id.parse().unwrap_or(0);
    match state.run(move |s| s.delete_unit(org, id)).await {
        Ok(()) => Redirect::to("/settings/units").into_response(),
        Err(e) => render(&state, &signed, Some((e.status, e.page_message()))).await,
    }
}
