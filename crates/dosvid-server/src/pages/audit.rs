//! The audit log for administrators (`/settings/audit`): who did what, when and from where,
//! newest first, with the filters of `GET /api/v1/audit`.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dosvid_domain::audit::{ActorKind, AuditKind};
use dosvid_domain::user::Action;
use maud::html;

use super::app::{SignedIn, app_page};
use super::html_response;
use super::i18n::Lang;
use crate::AppState;
use crate::audit::AuditParams;

struct Words {
    title: &'static str,
    hint: &'static str,
    kinds: [&'static str; 5],
    actor_kinds: [&'static str; 3],
    any: &'static str,
    when: &'static str,
    what: &'static str,
    who: &'static str,
    address: &'static str,
    action: &'static str,
    status: &'static str,
    search: &'static str,
    from: &'static str,
    to: &'static str,
    show: &'static str,
    empty: &'static str,
    older: &'static str,
}

const UK: Words = Words {
    title: "Журнал аудиту",
    hint: "Кожна зміна через API чи сторінки (і відмовлені спроби), кожне вивантаження, кожен перегляд даних одного клієнта, кожен вхід і невдала спроба входу.",
    kinds: [
        "зміна",
        "вивантаження",
        "перегляд клієнта",
        "вхід",
        "невдалий вхід",
    ],
    actor_kinds: ["користувач", "ключ API", "без входу"],
    any: "усі",
    when: "Коли",
    what: "Подія",
    who: "Хто",
    address: "Адреса",
    action: "Дія й об’єкт",
    status: "Відповідь",
    search: "Дія чи об’єкт містить",
    from: "З",
    to: "По",
    show: "Показати",
    empty: "Записів немає.",
    older: "Давніші →",
};

const EN: Words = Words {
    title: "Audit log",
    hint: "Every change through the API or the pages (refused attempts too), every export, every view of one customer's data, every sign-in and failed sign-in.",
    kinds: [
        "change",
        "export",
        "customer viewed",
        "sign-in",
        "failed sign-in",
    ],
    actor_kinds: ["user", "API key", "not signed in"],
    any: "all",
    when: "When",
    what: "Event",
    who: "Who",
    address: "Address",
    action: "Operation and object",
    status: "Answer",
    search: "Operation or object contains",
    from: "From",
    to: "To",
    show: "Show",
    empty: "No entries.",
    older: "Older →",
};

const RU: Words = Words {
    title: "Журнал аудита",
    hint: "Каждое изменение через API или страницы (и отклонённые попытки), каждая выгрузка, каждый просмотр данных одного клиента, каждый вход и неудачная попытка входа.",
    kinds: [
        "изменение",
        "выгрузка",
        "просмотр клиента",
        "вход",
        "неудачный вход",
    ],
    actor_kinds: ["пользователь", "ключ API", "без входа"],
    any: "все",
    when: "Когда",
    what: "Событие",
    who: "Кто",
    address: "Адрес",
    action: "Действие и объект",
    status: "Ответ",
    search: "Действие или объект содержит",
    from: "С",
    to: "По",
    show: "Показать",
    empty: "Записей нет.",
    older: "Более ранние →",
};

/// The page's name, for links to it.
pub(super) fn title(lang: Lang) -> &'static str {
    words(lang).title
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uk => &UK,
        Lang::En => &EN,
        Lang::Ru => &RU,
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<AuditParams>,
) -> Response {
    let ui = signed.lang().ui();
    let w = words(signed.lang());
    if !signed.may(Action::Administer) {
        let body = html! { h1 { (w.title) } p.error role="alert" { (ui.not_allowed) } };
        return html_response(
            StatusCode::FORBIDDEN,
            app_page(&signed, "/settings", w.title, body),
        );
    }
    let org = signed.user().org_id;
    let asked = params.clone();
    let answer = match params.filter() {
        Ok((filter, page)) => state
            .run(move |s| s.list_audit(org, &filter, page))
            .await
            .map_err(|e| e.page_message()),
        Err(e) => Err(format!("{}: {}", e.field, e.message)),
    };
    let kind_name = |k: AuditKind| {
        w.kinds[AuditKind::ALL
            .iter()
            .position(|x| *x == k)
            .unwrap_or_default()]
    };
    let actor_name = |k: ActorKind| match k {
        ActorKind::User => w.actor_kinds[0],
        ActorKind::ApiKey => w.actor_kinds[1],
        ActorKind::Anonymous => w.actor_kinds[2],
    };
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let status = if answer.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        p.meta { a href="/settings" { "← " (ui.settings) } }
        h1 { (w.title) }
        p.hint { (w.hint) }
        form.filters method="get" {
            div { label for="kind" { (w.what) }
                select #kind name="kind" {
                    option value="" { (w.any) }
                    @for k in AuditKind::ALL { option value=(k.as_str()) selected[asked.kind.as_deref() == Some(k.as_str())] { (kind_name(k)) } }
                }
            }
            div { label for="actor" { (w.who) } input #actor type="text" name="actor" value=(value(&asked.actor)); }
            div { label for="q" { (w.search) } input #q type="text" name="q" value=(value(&asked.q)); }
            div { label for="from" { (w.from) } input #from type="date" name="from" value=(value(&asked.from)); }
            div { label for="to" { (w.to) } input #to type="date" name="to" value=(value(&asked.to)); }
            button.secondary.small type="submit" { (w.show) }
        }
        @match &answer {
            Err(message) => p.error role="alert" { (message) },
            Ok(page) if page.items.is_empty() => p { (w.empty) },
            Ok(page) => {
                div.scroll { table {
                    thead { tr { th { (w.when) } th { (w.what) } th { (w.who) } th { (w.address) } th { (w.action) } th.num { (w.status) } } }
                    tbody { @for e in &page.items {
                        tr {
                            td { (e.at.format("%Y-%m-%d %H:%M:%S")) }
                            td { (kind_name(e.kind)) }
                            td { (e.actor.as_deref().unwrap_or("")) div.meta { (actor_name(e.actor_kind)) } }
                            td { (e.address.as_deref().unwrap_or("")) }
                            td { code { (e.action) } @if let Some(o) = &e.object { div.meta { (o) } } }
                            td.num { (e.status) }
                        }
                    } }
                } }
                @if let Some(cursor) = &page.next_cursor {
                    p { a href=(older(&asked, cursor)) { (w.older) } }
                }
            }
        }
    };
    html_response(status, app_page(&signed, "/settings", w.title, body))
}

/// The link to the next page: the same filters, the cursor after this page.
fn older(asked: &AuditParams, cursor: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("kind", &asked.kind),
        ("actor", &asked.actor),
        ("q", &asked.q),
        ("from", &asked.from),
        ("to", &asked.to),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            query.append_pair(name, v);
        }
    }
    query.append_pair("cursor", cursor);
    format!("/settings/audit?{}", query.finish())
}
