//! Groups of customers side by side — segments, regions, plans, channels or stages — each with
//! its NPS, CSAT and CES and their intervals over the same period, beside everyone: the question
//! `POST /api/v1/query` answers grouped by that dimension.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dosvid_analytics::{Filters, Measure, Metric, QueryRequest, QueryResult, ResultRow};
use maud::{Markup, html};
use serde::Deserialize;

use super::app::{SignedIn, app_page};
use super::given;
use super::html_response;
use super::i18n::Ui;
use super::naming::Naming;
use crate::AppState;

/// The dimensions offered, with the naming kind of their values.
const DIMENSIONS: [&str; 5] = ["segment", "region", "plan", "channel", "stage"];

const MEASURES: [Measure; 4] = [
    Measure::N,
    Measure::Nps,
    Measure::CsatTop2,
    Measure::CesEasy,
];

#[derive(Debug, Default, Deserialize)]
pub struct CompareParams {
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<CompareParams>,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let by = params
        .by
        .as_deref()
        .filter(|b| DIMENSIONS.contains(b))
        .unwrap_or("segment")
        .to_owned();
    let filters = Filters {
        from: given(&params.from),
        to: given(&params.to),
        ..Default::default()
    };
    let grouped = QueryRequest {
        measures: MEASURES.to_vec(),
        filters: filters.clone(),
        group_by: vec![by.clone()],
        ..Default::default()
    };
    let whole = QueryRequest {
        measures: MEASURES.to_vec(),
        filters,
        ..Default::default()
    };
    let naming = Naming::load(&state, org, lang).await;
    let answer = state
        .ask(&signed.principal, move |index| {
            Ok((index.query(&grouped)?, index.query(&whole)?))
        })
        .await;
    let body = html! {
        h1 { (ui.compare_title) }
        p.hint { (ui.compare_hint) }
        form.filters method="get" action="/insights/compare" {
            div.filter {
                label for="by" { (ui.compare_by) }
                select #by name="by" {
                    @for d in DIMENSIONS {
                        option value=(d) selected[d == by] { (dimension_name(ui, d)) }
                    }
                }
            }
            div.filter {
                label for="from" { (ui.period_from) }
                input #from type="date" name="from" value=[given(&params.from)];
            }
            div.filter {
                label for="to" { (ui.period_to) }
                input #to type="date" name="to" value=[given(&params.to)];
            }
            div.filter { button.primary type="submit" { (ui.apply) } }
        }
        @match &answer {
            Ok((groups, all)) => (table(ui, &by, groups, all, &naming)),
            Err(e) => p.error { (e.page_message()) },
        }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/insights", ui.compare_title, body),
    )
}

fn dimension_name(ui: &Ui, dimension: &str) -> &'static str {
    match dimension {
        "region" => ui.region,
        "plan" => ui.plan,
        "channel" => ui.channel,
        "stage" => ui.stage,
        _ => ui.segment,
    }
}

/// A measure of a row.
type MetricOf = fn(&ResultRow) -> Option<&Metric>;

/// One column per group, the whole first; one row per measure.
fn table(ui: &Ui, by: &str, groups: &QueryResult, all: &QueryResult, naming: &Naming) -> Markup {
    let mut columns: Vec<(String, &ResultRow)> = Vec::new();
    if let Some(row) = all.rows.first() {
        columns.push((ui.all.to_owned(), row));
    }
    for row in &groups.rows {
        let name = match row.group.get(by).cloned().flatten() {
            Some(value) => naming.of(by, &value).to_owned(),
            None => ui.no_group.to_owned(),
        };
        columns.push((name, row));
    }
    if columns.len() < 2 {
        return html! { p { (ui.no_data) } };
    }
    let figure = |metric: Option<&Metric>| -> Markup {
        let Some(e) = metric.map(|m| &m.current) else {
            return html! { "—" };
        };
        html! {
            @match (e.value, e.low, e.high) {
                (Some(v), Some(low), Some(high)) if !e.low_sample => {
                    (format!("{v:.1}")) br; small.meta { (format!("[{low:.1}; {high:.1}]")) }
                }
                _ => small.thin { (ui.not_enough) },
            }
        }
    };
    let rows: [(&str, &str, MetricOf); 3] = [
        ("nps", "NPS", |r| r.nps.as_ref()),
        ("csat_top2", ui.csat_top2, |r| r.csat_top2.as_ref()),
        ("ces_easy", ui.ces_easy, |r| r.ces_easy.as_ref()),
    ];
    html! {
        div.scroll { table #compare {
            thead { tr {
                th {}
                @for (name, _) in &columns { th.num { (name) } }
            } }
            tbody {
                tr { th { "n" } @for (_, row) in &columns { td.num { (row.n) } } }
                @for (key, name, of) in rows {
                    tr data-measure=(key) {
                        th { (name) }
                        @for (_, row) in &columns {
                            td.num data-value=[of(row).and_then(|m| m.current.value)] { (figure(of(row))) }
                        }
                    }
                }
            }
        } }
    }
}
