//! Retention and customer value, as `POST /api/v1/retention` answers them: customers kept, new
//! and lost per period, revenue retention (gross and net), revenue, and customer lifetime value
//! under the margin and discount rate the reader sets — whole, or by segment, region or plan.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dosvid_analytics::{Bucket, RetentionRequest, RetentionResult};
use maud::{Markup, html};
use serde::Deserialize;

use super::app::{SignedIn, app_page};
use super::charts::{self, Point};
use super::html_response;
use super::i18n::Ui;
use super::naming::Naming;
use crate::AppState;

/// The breakdowns offered: the customer attributes every organisation has.
const GROUPS: [&str; 3] = ["segment", "region", "plan"];
const BUCKETS: [(Bucket, &str); 3] = [
    (Bucket::Month, "month"),
    (Bucket::Quarter, "quarter"),
    (Bucket::Year, "year"),
];

#[derive(Debug, Default, Deserialize)]
pub struct RetentionParams {
    period: Option<String>,
    group_by: Option<String>,
    /// Margin in percent (default 100: CLV in revenue).
    margin: Option<f64>,
    /// Yearly discount rate in percent (default 10).
    discount: Option<f64>,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<RetentionParams>,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let bucket = BUCKETS
        .iter()
        .find(|(_, key)| params.period.as_deref() == Some(*key))
        .map_or(Bucket::Month, |(b, _)| *b);
    let group = params
        .group_by
        .as_deref()
        .filter(|g| GROUPS.contains(g))
        .map(str::to_owned);
    let margin = params
        .margin
        .filter(|m| (0.0..=100.0).contains(m))
        .unwrap_or(100.0);
    let discount = params
        .discount
        .filter(|d| (0.0..=100.0).contains(d))
        .unwrap_or(10.0);
    let request = RetentionRequest {
        period: Some(bucket),
        group_by: group.clone(),
        margin: Some(margin / 100.0),
        discount_rate: Some(discount / 100.0),
        ..Default::default()
    };
    let naming = Naming::load(&state, org, lang).await;
    let answer = state
        .ask(&signed.principal, move |index| index.retention(&request))
        .await;
    let form = html! {
        form.filters method="get" action="/insights/retention" {
            div.filter {
                label for="period" { (ui.period_length) }
                select #period name="period" {
                    @for ((b, key), name) in BUCKETS.iter().zip(ui.buckets) {
                        option value=(key) selected[*b == bucket] { (name) }
                    }
                }
            }
            div.filter {
                label for="group_by" { (ui.group_by) }
                select #group_by name="group_by" {
                    option value="" { "—" }
                    @for key in GROUPS {
                        option value=(key) selected[group.as_deref() == Some(key)] { (group_name(ui, key)) }
                    }
                }
            }
            div.filter {
                label for="margin" { (ui.margin_percent) }
                input #margin type="number" name="margin" min="0" max="100" step="1" value=(margin);
            }
            div.filter {
                label for="discount" { (ui.discount_percent) }
                input #discount type="number" name="discount" min="0" max="100" step="1" value=(discount);
            }
            div.filter { button.primary type="submit" { (ui.apply) } }
        }
    };
    let body = html! {
        h1 { (ui.retention_title) }
        p.hint { (ui.retention_hint) }
        (form)
        @match &answer {
            Ok(result) if !result.rows.is_empty() => (render(ui, result, group.as_deref(), &naming)),
            Ok(_) => p { (ui.no_data) },
            Err(e) => p.error { (e.page_message()) },
        }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/insights", ui.retention_title, body),
    )
}

fn group_name(ui: &Ui, group: &str) -> &'static str {
    match group {
        "region" => ui.region,
        "plan" => ui.plan,
        _ => ui.segment,
    }
}

fn render(ui: &Ui, result: &RetentionResult, group: Option<&str>, naming: &Naming) -> Markup {
    let currency = result.currency.as_deref().unwrap_or("");
    let percent = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}%"));
    let money = |minor: f64| format!("{} {currency}", super::insights::money(minor));
    // The trend of retention, when the figures are not broken down.
    let points: Vec<Point> = result
        .rows
        .iter()
        .map(|r| Point {
            label: r.period.clone(),
            value: r.crr,
            low: None,
            high: None,
            thin: r.partial,
        })
        .collect();
    html! {
        @if group.is_none() && points.iter().filter(|p| p.value.is_some()).count() > 1 {
            (charts::line(ui.crr_trend, &points, (0.0, 100.0), true, "%"))
        }
        div.scroll { table #retention {
            thead { tr {
                th { (ui.period_length) }
                @if let Some(kind) = group { th { (group_name(ui, kind)) } }
                th.num { (ui.customers_start) } th.num { (ui.customers_end) } th.num { (ui.new_customers) }
                th.num { (ui.crr) } th.num { (ui.grr) } th.num { (ui.nrr) }
                th.num { (ui.revenue) } th.num { (ui.clv) } th.num { (ui.historical_clv) }
            } }
            tbody {
                @for row in &result.rows {
                    tr data-period=(row.period) data-crr=[row.crr] {
                        td {
                            (row.period)
                            @if row.partial { abbr title=(ui.partial_period) { "*" } }
                        }
                        @if let Some(kind) = group {
                            td { (row.group.get(kind).cloned().flatten().map_or_else(|| ui.no_group.to_owned(), |v| naming.of(kind, &v).to_owned())) }
                        }
                        td.num { (row.customers_start) }
                        td.num { (row.customers_end) }
                        td.num { (row.new_customers) }
                        td.num { (percent(row.crr)) }
                        td.num { (percent(row.grr)) }
                        td.num { (percent(row.nrr)) }
                        td.num { (money(row.revenue as f64)) }
                        td.num { (row.clv.map_or_else(|| "—".to_owned(), money)) }
                        td.num { (row.historical_clv.map_or_else(|| "—".to_owned(), money)) }
                    }
                }
            }
        } }
    }
}
