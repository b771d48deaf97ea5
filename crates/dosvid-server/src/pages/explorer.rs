//! The feedback explorer: the records behind the numbers, with every filter of the query API,
//! a search in the comments, pages, and a CSV export of what the filters and search select.
//!
//! The analytics index picks the records (newest first) with the very filters a question uses,
//! so the explorer lists exactly the records a number on another page counts; the store reads
//! them by id. The search folds case and reads comments from the store in steps of
//! [`SEARCH_STEP`] records, up to [`SEARCH_LIMIT`], and says how far it looked.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dosvid_domain::{Feedback, FeedbackSource};
use maud::html;

use super::app::{SignedIn, app_page};
use super::naming::Naming;
use super::{SliceForm, html_response};
use crate::AppState;

const PAGE: usize = 50;
/// Records read per step of a search.
const SEARCH_STEP: usize = 2_000;
/// The most records one search reads before it stops and says so.
const SEARCH_LIMIT: u64 = 200_000;
/// The most rows one export writes.
const EXPORT_LIMIT: usize = 200_000;

/// What a listing found: the records of the page, and how many there are (or, for a search,
/// how many it found in how many it read).
struct Found {
    records: Vec<Feedback>,
    total: u64,
    searched: Option<u64>,
    more: bool,
}

/// Selects the records: `skip` and `take` count records that pass the filters and the search.
async fn find(
    state: &AppState,
    who: &crate::access::Principal,
    params: &SliceForm,
    skip: usize,
    take: usize,
) -> Result<Found, crate::ApiError> {
    let org = who.org;
    let filters = params.slice().filters()?;
    let Some(search) = params.search() else {
        let page = state
            .ask(who, move |index| {
                index.feedback_records(&filters, skip, take)
            })
            .await?;
        let total = page.total;
        let records = state
            .run(move |s| s.feedback_by_ids(org, &page.ids))
            .await?;
        let more = (skip + records.len()) < total as usize;
        return Ok(Found {
            records,
            total,
            searched: None,
            more,
        });
    };
    // One visit to the index for every candidate, then the comments a step at a time.
    let candidates = state
        .ask(who, move |index| {
            index.feedback_records(&filters, 0, SEARCH_LIMIT as usize)
        })
        .await?;
    let (mut records, mut matched, mut read) = (Vec::new(), 0usize, 0u64);
    for step in candidates.ids.chunks(SEARCH_STEP) {
        let ids = step.to_vec();
        read += ids.len() as u64;
        let batch = state.run(move |s| s.feedback_by_ids(org, &ids)).await?;
        for f in batch {
            let hit = f
                .comment
                .as_deref()
                .is_some_and(|c| c.to_lowercase().contains(&search));
            if !hit {
                continue;
            }
            if matched >= skip && records.len() < take {
                records.push(f);
            }
            matched += 1;
        }
        if records.len() >= take {
            return Ok(Found {
                records,
                total: matched as u64,
                searched: Some(read),
                more: true,
            });
        }
    }
    Ok(Found {
        records,
        total: matched as u64,
        searched: Some(read),
        more: false,
    })
}

pub async fn explorer(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<SliceForm>,
) -> Response {
    let ui = signed.lang().ui();
    let org = signed.session.user.org_id;
    let page = params.page.unwrap_or(0);
    let naming = Naming::load(&state, org, signed.lang()).await;
    let found = find(&state, &signed.principal, &params, page * PAGE, PAGE).await;
    // The records' customers by name.
    let ids: Vec<i64> = found
        .iter()
        .flat_map(|f| f.records.iter().filter_map(|r| r.customer_id))
        .collect();
    let customers: std::collections::HashMap<i64, String> = state
        .run(move |s| s.customer_names(org, &ids))
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    let touchpoint_name = |id: Option<i64>| {
        id.and_then(|id| naming.of_id("touchpoint", id))
            .unwrap_or("—")
    };
    let channel_name =
        |id: Option<i64>| id.and_then(|id| naming.of_id("channel", id)).unwrap_or("—");
    let select = |name: &str,
                  label: &str,
                  options: Vec<(String, String)>,
                  chosen: &Option<String>| {
        html! {
            div.filter {
                label for=(name) { (label) }
                select #(name) name=(name) {
                    option value="" { (ui.all) }
                    @for (value, text) in &options {
                        option value=(value) selected[chosen.as_deref() == Some(value.as_str())] { (text) }
                    }
                }
            }
        }
    };
    let named = |kind: &str, values: &mut dyn Iterator<Item = &str>| {
        values
            .map(|v| (v.to_owned(), naming.of(kind, v).to_owned()))
            .collect::<Vec<_>>()
    };
    let body = html! {
        h1 { (ui.feedback) }
        form.filters method="get" action="/feedback" {
            div.filter {
                label for="q" { (ui.search) }
                input #q type="search" name="q" value=[params.q.as_deref()];
            }
            div.filter {
                label for="from" { (ui.period_from) }
                input #from type="date" name="from" value=[params.from.as_deref()];
            }
            div.filter {
                label for="to" { (ui.period_to) }
                input #to type="date" name="to" value=[params.to.as_deref()];
            }
            (select("touchpoint", ui.touchpoint, naming.choices("touchpoint"), &params.touchpoint))
            (select("channel", ui.channel, naming.choices("channel"), &params.channel))
            (select("source", ui.source, named("source", &mut FeedbackSource::ALL.iter().map(|s| s.as_str())), &params.source))
            (select("language", ui.language_read, named("language", &mut ["uk", "ru", "en"].into_iter()), &params.language))
            (select("sentiment", ui.sentiment, vec![
                ("negative".into(), ui.sentiments[0].into()),
                ("neutral".into(), ui.sentiments[1].into()),
                ("positive".into(), ui.sentiments[2].into()),
            ], &params.sentiment))
            (select("theme", ui.theme, naming.choices("theme"), &params.theme))
            (select("emotion", ui.emotion, named("emotion", &mut dosvid_text::EMOTIONS.into_iter()), &params.emotion))
            (select("has_comment", ui.with_comment, vec![("yes".into(), ui.yes.into()), ("no".into(), ui.no.into())], &params.has_comment))
            div.filter { button.primary type="submit" { (ui.apply) } }
        }
        @match &found {
            Err(e) => { p.error role="alert" { (e.field.clone().unwrap_or_default()) ": " (e.message) } }
            Ok(found) => {
                p.meta {
                    @match found.searched {
                        Some(read) => { ((ui.searched)(found.total as usize, read)) }
                        None => { ((ui.found)(found.total)) }
                    }
                    " · " a href={ "/feedback/export.csv?" (params.link(None)) } { (ui.export_csv) }
                }
                div.scroll {
                    table.records {
                        thead { tr {
                            th { (ui.date) } th { (ui.touchpoint) } th { (ui.channel) } th { (ui.scores) } th { (ui.comment) } th { (ui.customer) }
                        } }
                        tbody {
                            @for f in &found.records {
                                tr data-feedback=(f.id) {
                                    td.num { (f.occurred_at.format("%Y-%m-%d")) }
                                    td { (touchpoint_name(f.touchpoint_id)) }
                                    td { (channel_name(f.channel_id)) br; span.meta { (naming.of("source", f.source.as_str())) } }
                                    td.num {
                                        @if let Some(n) = f.nps { "NPS " (n) br; }
                                        @if let Some(n) = f.csat { "CSAT " (n) br; }
                                        @if let Some(n) = f.ces { "CES " (n) }
                                    }
                                    td {
                                        @if let Some(comment) = &f.comment {
                                            p.comment lang=[f.language.as_deref()] { (comment) }
                                            p.meta {
                                                (naming.of("language", f.language.as_deref().unwrap_or("und")))
                                                @if let Some(s) = f.sentiment { " · " (ui.sentiment_of(s)) }
                                                @if !f.themes.is_empty() { " · " (naming.list("theme", &f.themes)) }
                                                @if !f.emotions.is_empty() { " · " (naming.list("emotion", &f.emotions)) }
                                            }
                                        }
                                    }
                                    td { @if let Some(c) = f.customer_id {
                                        a href={ "/customers/" (c) } { (customers.get(&c).cloned().unwrap_or_else(|| format!("#{c}"))) }
                                    } }
                                }
                            }
                        }
                    }
                }
                p {
                    @if page > 0 { a href={ "/feedback?" (params.link(Some(page - 1))) } { (ui.previous_page) } " " }
                    @if found.more { a href={ "/feedback?" (params.link(Some(page + 1))) } { (ui.next_page) } }
                }
            }
        }
    };
    let status = match &found {
        Ok(_) => StatusCode::OK,
        Err(e) => e.status,
    };
    html_response(status, app_page(&signed, "/feedback", ui.feedback, body))
}

/// The records the filters and search select (all pages, up to [`EXPORT_LIMIT`]), as CSV.
pub async fn export(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<SliceForm>,
) -> Response {
    let org = signed.session.user.org_id;
    let naming = Naming::load(&state, org, signed.lang()).await;
    let found = match find(&state, &signed.principal, &params, 0, EXPORT_LIMIT).await {
        Ok(found) => found,
        Err(e) => return super::error::PageError::from(e).page(signed.lang()),
    };
    let key = |kind, id: Option<i64>| {
        id.and_then(|id| naming.key_of(kind, id))
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let head = [
        "id",
        "occurred_at",
        "customer_id",
        "touchpoint",
        "channel",
        "source",
        "nps",
        "csat",
        "ces",
        "rating",
        "rating_scale",
        "comment",
        "language",
        "sentiment",
        "themes",
        "emotions",
    ];
    let opt = |v: Option<i16>| v.map(|v| v.to_string()).unwrap_or_default();
    let written = out.write_record(head).and_then(|()| {
        for f in &found.records {
            crate::download::write_row(
                &mut out,
                [
                    f.id.to_string(),
                    f.occurred_at.to_rfc3339(),
                    f.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                    key("touchpoint", f.touchpoint_id),
                    key("channel", f.channel_id),
                    f.source.as_str().to_owned(),
                    opt(f.nps),
                    opt(f.csat),
                    opt(f.ces),
                    opt(f.rating),
                    opt(f.rating_scale),
                    f.comment.clone().unwrap_or_default(),
                    f.language.clone().unwrap_or_default(),
                    f.sentiment.map(|s| format!("{s:.3}")).unwrap_or_default(),
                    f.themes.join(" "),
                    f.emotions.join(" "),
                ],
            )?;
        }
        Ok(())
    });
    match written.and_then(|()| out.into_inner().map_err(|e| e.into_error().into())) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"feedback.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => crate::ApiError::internal(e).into_response(),
    }
}
