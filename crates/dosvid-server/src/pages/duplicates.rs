//! Profiles that may be one person (`/customers/duplicates`): the pairs the store suggests, each
//! merged with one click by an administrator, and the latest merges, undone within 30 days.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::user::Action;
use dosvid_domain::{Customer, CustomerMerge, DuplicateSuggestion};
use maud::html;

use super::app::{SignedIn, app_page, redirect, run_change};
use super::i18n::Lang;
use super::{Form, html_response};
use crate::AppState;

struct Words {
    title: &'static str,
    hint: &'static str,
    same_name: &'static str,
    same_phone: &'static str,
    keep: &'static str,
    merge: &'static str,
    none: &'static str,
    merges: &'static str,
    moved: &'static str,
    undo: &'static str,
    undone: &'static str,
}

const UK: Words = Words {
    title: "Можливі дублікати",
    hint: "Пари профілів, схожих на одну людину. Об’єднання переносить до першого профілю ідентифікатори, відсутні атрибути та всі записи другого; його можна скасувати протягом 30 днів.",
    same_name: "те саме ім’я в тому самому регіоні",
    same_phone: "той самий номер телефону",
    keep: "Лишається",
    merge: "Приєднати",
    none: "Схожих пар не знайдено.",
    merges: "Останні об’єднання",
    moved: "перенесено записів",
    undo: "Скасувати",
    undone: "скасовано",
};

const EN: Words = Words {
    title: "Possible duplicates",
    hint: "Pairs of profiles that look like one person. Merging moves the second's identities, missing attributes and every record to the first; it can be undone for 30 days.",
    same_name: "same name in the same region",
    same_phone: "same phone number",
    keep: "Stays",
    merge: "Merge in",
    none: "No similar pairs found.",
    merges: "Latest merges",
    moved: "records moved",
    undo: "Undo",
    undone: "undone",
};

const RU: Words = Words {
    title: "Возможные дубликаты",
    hint: "Пары профилей, похожих на одного человека. Объединение переносит в первый профиль идентификаторы, недостающие атрибуты и все записи второго; его можно отменить в течение 30 дней.",
    same_name: "то же имя в том же регионе",
    same_phone: "тот же номер телефона",
    keep: "Остаётся",
    merge: "Присоединить",
    none: "Похожих пар не найдено.",
    merges: "Последние объединения",
    moved: "перенесено записей",
    undo: "Отменить",
    undone: "отменено",
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

/// What the page shows: each pair with both profiles, and the latest merges.
type Listing = (
    Vec<(DuplicateSuggestion, Customer, Customer)>,
    Vec<CustomerMerge>,
);

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
    let ui = signed.lang().ui();
    let org = signed.user().org_id;
    let read: Result<Listing, _> = state
        .run(move |s| {
            let pairs = s
                .duplicate_customers(org)?
                .into_iter()
                .take(50)
                .filter_map(|d| {
                    let a = s.get_customer(org, d.customer_ids[0]).ok()?;
                    let b = s.get_customer(org, d.customer_ids[1]).ok()?;
                    Some((d, a, b))
                })
                .collect();
            Ok((pairs, s.list_merges(org)?))
        })
        .await;
    let may = signed.may(Action::Administer);
    let csrf = &signed.session.csrf;
    let who = |c: &Customer| {
        let name = c.name.clone().unwrap_or_else(|| format!("#{}", c.id));
        html! { a href=(format!("/customers/{}", c.id)) { (name) } span.meta { " " (c.region.as_deref().unwrap_or("")) " · " (c.external_id.as_deref().unwrap_or("")) } }
    };
    let body = html! {
        p.meta { a href="/customers" { "← " (ui.customers) } }
        h1 { (w.title) }
        p.hint { (w.hint) }
        @if let Some(message) = &error { p.error role="alert" { (message) } }
        @match &read {
            Err(e) => p.error role="alert" { (e.page_message()) },
            Ok((pairs, merges)) => {
                @if pairs.is_empty() { p { (w.none) } } @else {
                    div.scroll { table {
                        thead { tr { th { (w.keep) } th { (w.merge) } th {} th {} } }
                        tbody { @for (d, a, b) in pairs {
                            tr {
                                td { (who(a)) } td { (who(b)) }
                                td { (if d.reason == "same_phone_number" { w.same_phone } else { w.same_name }) }
                                td { @if may {
                                    form.inline method="post" action=(format!("/customers/{}/merge/{}", a.id, b.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button.secondary.small type="submit" { (w.merge) }
                                    }
                                } }
                            }
                        } }
                    } }
                }
                @if !merges.is_empty() {
                    h2 { (w.merges) }
                    table { tbody { @for m in merges {
                        tr {
                            td { (m.merged_at.format("%Y-%m-%d %H:%M")) }
                            td { "#" (m.merged_id) " → " a href=(format!("/customers/{}", m.survivor_id)) { "#" (m.survivor_id) } }
                            td.num { (m.moved.values().sum::<usize>()) " " (w.moved) }
                            td {
                                @if m.undone_at.is_some() { (w.undone) }
                                @else if may && Utc::now() - m.merged_at <= chrono::Duration::days(CustomerMerge::UNDO_DAYS) {
                                    form.inline method="post" action=(format!("/customers/merges/{}/undo", m.id)) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button.secondary.small type="submit" { (w.undo) }
                                    }
                                }
                            }
                        }
                    } } }
                }
            }
        }
    };
    html_response(status, app_page(signed, "/customers", w.title, body))
}

pub async fn merge(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path((survivor, merged)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (survivor, merged) = (
        survivor.parse::<i64>().unwrap_or(0),
        merged.parse::<i64>().unwrap_or(0),
    );
    let made = run_change(
        &state,
        &signed,
        &headers,
        Form::parse(&body),
        Action::Administer,
        move |op, _| Ok(op.merge_customers(survivor, merged).map(|_| ())?),
    )
    .await;
    match made {
        Ok(()) => redirect(&format!("/customers/{survivor}")),
        Err((status, message)) => page(&state, &signed, Some(message), status).await,
    }
}

pub async fn undo(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = id.parse::<i64>().unwrap_or(0);
    let made = run_change(
        &state,
        &signed,
        &headers,
        Form::parse(&body),
        Action::Administer,
        move |op, _| Ok(op.undo_merge(id).map(|_| ())?),
    )
    .await;
    match made {
        Ok(()) => redirect("/customers/duplicates"),
        Err((status, message)) => page(&state, &signed, Some(message), status).await,
    }
}
