//! The overview and the journey map. Each page asks the analytics index exactly the question
//! the matching API endpoint asks (`SliceParams::overview`, `::trend`, the journey map), so a
//! number on a page is the number the API returns for the same slice; the page links to it.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dosvid_analytics::{
    Bucket, CxIndexRequest, CxIndexResult, JourneyMap, Metric, OneOrMany, QueryRequest, QueryResult,
};
use dosvid_domain::Localize;
use dosvid_domain::user::Action;
use dosvid_metrics::Estimate;
use maud::{Markup, html};

use super::app::{SignedIn, app_page};
use super::charts::{self, Point};
use super::naming::Naming;
use super::{SliceForm, html_response};
use crate::AppState;
use crate::period::{month_start, parse_month, shift};
use crate::questions::SliceParams;

/// The query string of a slice, to show the same question in the API.
fn query_string(slice: &SliceParams) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("from", &slice.from),
        ("to", &slice.to),
        ("stage", &slice.stage),
        ("touchpoint", &slice.touchpoint),
        ("channel", &slice.channel),
        ("source", &slice.source),
        ("language", &slice.language),
        ("sentiment", &slice.sentiment),
        ("theme", &slice.theme),
        ("emotion", &slice.emotion),
        ("segment", &slice.segment),
    ] {
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    if let Some(has_comment) = slice.has_comment {
        q.append_pair("has_comment", &has_comment.to_string());
    }
    q.finish()
}

/// How far back a trend goes.
const TREND_MONTHS: i32 = 24;

/// Without a period, a page shows the default one (and its filters say which).
fn fill_default_period(
    index: &dosvid_analytics::Index,
    slice: &mut SliceParams,
) -> Result<(), dosvid_domain::FieldError> {
    if slice.from.is_none()
        && slice.to.is_none()
        && let Some((from, to)) = crate::period::default_period(index)?
    {
        slice.from = Some(from.to_string());
        slice.to = Some(to.to_string());
    }
    Ok(())
}

/// NPS by month over the [`TREND_MONTHS`] months up to the period's end: long enough to see a
/// change against the months before it.
fn trend_slice(slice: &SliceParams) -> SliceParams {
    let mut trend = slice.clone();
    if let Some(end) = slice.to.as_deref().and_then(parse_month) {
        let end = if slice
            .to
            .as_deref()
            .is_some_and(|t| t.get(8..10) == Some("01"))
        {
            end
        } else {
            shift(end, 1)
        };
        trend.from = Some(month_start(shift(end, -TREND_MONTHS)));
        trend.to = Some(month_start(end));
    }
    trend.measures = Some("nps".into());
    trend.bucket = Some(Bucket::Month);
    trend
}

/// The customer segments that have feedback, for the filter.
pub(super) fn segments(
    index: &dosvid_analytics::Index,
) -> Result<Vec<String>, dosvid_domain::FieldError> {
    Ok(index
        .query(&QueryRequest {
            group_by: vec!["segment".into()],
            measures: vec![dosvid_analytics::Measure::N],
            ..Default::default()
        })?
        .rows
        .into_iter()
        .filter_map(|r| r.group.get("segment").cloned().flatten())
        .collect())
}

/// The trend's points, for the chart.
pub(super) fn trend_points(trend: &QueryResult) -> Vec<Point> {
    trend
        .rows
        .iter()
        .map(|r| {
            let nps = r.nps.as_ref().map(|m| &m.current);
            Point {
                label: r.group.get("time").cloned().flatten().unwrap_or_default(),
                value: nps.and_then(|e| e.value),
                low: nps.and_then(|e| e.low),
                high: nps.and_then(|e| e.high),
                thin: nps.is_none_or(|e| e.low_sample),
            }
        })
        .collect()
}

/// What the filters offer to choose from.
struct Choices {
    segments: Vec<String>,
    /// The channels and stages (a stage is filtered by its `name`), named to the reader.
    naming: Naming,
}

fn select(
    name: &str,
    label: &str,
    all: &str,
    options: &[(String, String)],
    chosen: &Option<String>,
) -> Markup {
    html! {
        div.filter {
            label for=(name) { (label) }
            select #(name) name=(name) {
                option value="" { (all) }
                @for (value, text) in options {
                    option value=(value) selected[chosen.as_deref() == Some(value.as_str())] { (text) }
                }
            }
        }
    }
}

fn filter_form(
    action: &str,
    ui: &super::i18n::Ui,
    slice: &SliceParams,
    choices: &Choices,
) -> Markup {
    let channel_options = choices.naming.choices("channel");
    let stage_options = choices.naming.choices("stage");
    let segment_options: Vec<(String, String)> = choices
        .segments
        .iter()
        .map(|s| (s.clone(), choices.naming.of("segment", s).to_owned()))
        .collect();
    html! {
        form.filters method="get" action=(action) {
            div.filter {
                label for="from" { (ui.period_from) }
                input #from type="date" name="from" value=[slice.from.as_deref()];
            }
            div.filter {
                label for="to" { (ui.period_to) }
                input #to type="date" name="to" value=[slice.to.as_deref()];
            }
            (select("channel", ui.channel, ui.all, &channel_options, &slice.channel))
            (select("segment", ui.segment, ui.all, &segment_options, &slice.segment))
            (select("stage", ui.stage, ui.all, &stage_options, &slice.stage))
            div.filter { button.primary type="submit" { (ui.apply) } }
        }
    }
}

/// How a metric is written: NPS with a sign, shares as percentages, means with two decimals.
#[derive(Clone, Copy)]
enum Format {
    Score,
    Percent,
    Mean,
}

fn number(format: Format, v: f64) -> String {
    match format {
        Format::Score => with_sign(v, 1),
        Format::Percent => format!("{v:.1}%"),
        Format::Mean => format!("{v:.2}"),
    }
}

/// A change: points for NPS, percentage points for shares, the mean's own unit for means.
fn difference(ui: &super::i18n::Ui, format: Format, d: f64) -> String {
    match format {
        Format::Score => with_sign(d, 1),
        Format::Percent => format!("{} {}", with_sign(d, 1), ui.percentage_points),
        Format::Mean => with_sign(d, 2),
    }
}

fn card(
    ui: &super::i18n::Ui,
    key: &str,
    title: &str,
    estimate: &Estimate,
    change: Option<&dosvid_metrics::Change>,
    format: Format,
) -> Markup {
    let interval = match (estimate.low, estimate.high) {
        (Some(low), Some(high)) => format!(
            "{} {}…{}",
            ui.interval,
            number(format, low),
            number(format, high)
        ),
        _ => String::new(),
    };
    html! {
        div.card-metric data-metric=(key) data-value=[estimate.value.filter(|_| !estimate.low_sample)] data-n=(estimate.n) {
            h3 { (title) }
            @match estimate.value {
                Some(v) if !estimate.low_sample => {
                    p.value { (number(format, v)) }
                    p.meta { (interval) " · n = " (estimate.n) }
                    @if let Some(change) = change {
                        @let arrow = if change.difference >= 0.0 { "▲" } else { "▼" };
                        @let class = match (change.significant, change.difference >= 0.0) {
                            (true, true) => "change up",
                            (true, false) => "change down",
                            _ => "change flat",
                        };
                        p class=(class) {
                            (arrow) " " (difference(ui, format, change.difference)) " " (ui.vs_previous) " · "
                            @if change.significant { strong { (ui.significant) } } @else { (ui.not_significant) }
                            " (p = " (format!("{:.3}", change.p_value)) ")"
                        }
                    }
                }
                _ => {
                    p.value.thin { "—" }
                    p.meta { (ui.not_enough) " (n = " (estimate.n) ")" }
                }
            }
        }
    }
}

fn metric_card(
    ui: &super::i18n::Ui,
    key: &str,
    title: &str,
    metric: Option<&Metric>,
    format: Format,
) -> Markup {
    match metric {
        Some(m) => card(ui, key, title, &m.current, m.change.as_ref(), format),
        None => html! {},
    }
}

/// The headline cards of a slice.
fn cards(
    ui: &super::i18n::Ui,
    row: &dosvid_analytics::ResultRow,
    cx: Option<&dosvid_analytics::CxIndexRow>,
) -> Markup {
    html! {
        div.cards {
            (metric_card(ui, "nps", "NPS", row.nps.as_ref(), Format::Score))
            (metric_card(ui, "csat_top2", ui.csat_top2, row.csat_top2.as_ref(), Format::Percent))
            (metric_card(ui, "ces", ui.ces_mean, row.ces.as_ref(), Format::Mean))
            (metric_card(ui, "ces_easy", ui.ces_easy, row.ces_easy.as_ref(), Format::Percent))
            @if let Some(cx) = cx {
                div.card-metric data-metric="cx_index" data-value=[cx.cx_index.filter(|_| !cx.low_sample)] data-n=(cx.n) {
                    h3 { (ui.cx_index) }
                    @match cx.cx_index {
                        Some(v) if !cx.low_sample => {
                            p.value { (format!("{v:.1}")) }
                            p.meta { "0–100 · n = " (cx.n) }
                        }
                        _ => { p.value.thin { "—" } p.meta { (ui.not_enough) } }
                    }
                }
            }
        }
    }
}

/// Everything the overview shows, from one visit to the index.
struct Overview {
    slice: SliceParams,
    headline: QueryResult,
    cx: CxIndexResult,
    trend: QueryResult,
    /// NPS by stage and month over the last twelve months of the trend.
    stages: QueryResult,
    segments: Vec<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<SliceForm>,
) -> Response {
    let org = signed.session.user.org_id;
    let naming = Naming::load(&state, org, signed.lang()).await;
    let asked = params.slice();
    let answer = state
        .ask(&signed.principal, move |index| {
            let mut slice = asked;
            fill_default_period(index, &mut slice)?;
            let headline = index.query(&slice.overview()?)?;
            let cx = index.cx_index(&CxIndexRequest {
                filters: slice.filters()?,
                min_sample: slice.min_sample,
                ..Default::default()
            })?;
            let trend_range = trend_slice(&slice);
            let trend = index.query(&trend_range.trend()?)?;
            let mut year = trend_range.clone();
            if let Some(end) = trend_range.to.as_deref().and_then(parse_month) {
                year.from = Some(month_start(shift(end, -12)));
            }
            let stages = index.query(&QueryRequest {
                measures: vec![dosvid_analytics::Measure::N, dosvid_analytics::Measure::Nps],
                filters: year.filters()?,
                group_by: vec!["stage".into(), "month".into()],
                min_sample: slice.min_sample,
                ..Default::default()
            })?;
            let segments = segments(index)?;
            Ok(Overview {
                slice,
                headline,
                cx,
                trend,
                stages,
                segments,
            })
        })
        .await;
    let lang = signed.lang();
    let ui = lang.ui();
    let overview = match answer {
        Ok(o) => o,
        Err(e) => {
            let body = html! {
                h1 { (ui.overview) }
                p.error role="alert" { (e.field.clone().unwrap_or_default()) ": " (e.message) }
                p { a href="/" { (ui.overview) } }
            };
            return html_response(e.status, app_page(&signed, "/", ui.overview, body));
        }
    };
    let choices = Choices {
        segments: overview.segments.clone(),
        naming,
    };
    let query_string = query_string(&overview.slice);
    let row = overview.headline.rows.first();
    let cx = overview.cx.rows.first();
    let points = trend_points(&overview.trend);
    let body = html! {
        h1 { (ui.overview) }
        (filter_form("/", ui, &overview.slice, &choices))
        @match row {
            None => p { (ui.no_data) }
            Some(row) => {
                p.meta { (row.n) " " (ui.responses) }
                (cards(ui, row, cx))
            }
        }
        @if !points.is_empty() {
            (charts::line(ui.nps_trend, &points, (-100.0, 100.0), true, ""))
        }
        @if let Some((rows, columns, cells)) = stage_grid(&overview.stages, &choices) {
            (charts::heatmap(ui.stage_heatmap, &rows, &columns, &cells, nps_tone))
        }
        p.meta {
            (ui.same_in_api) ": "
            code { "GET /api/v1/overview?" (query_string) }
        }
    };
    html_response(StatusCode::OK, app_page(&signed, "/", ui.overview, body))
}

/// A value with its sign and `decimals` decimals, rounded once (−0.5 is −1, not "−0"); one
/// that rounds to nothing is written without a sign.
fn with_sign(v: f64, decimals: usize) -> String {
    let scale = 10f64.powi(decimals as i32);
    let rounded = (v * scale).round() / scale;
    if rounded == 0.0 {
        format!("{:.decimals$}", 0.0)
    } else {
        format!("{rounded:+.decimals$}")
    }
}

/// An NPS in whole points with its sign.
fn whole_points(v: f64) -> String {
    with_sign(v, 0)
}

/// The colour of an NPS: below 0, below 30, above.
fn nps_tone(v: f64) -> &'static str {
    if v < 0.0 {
        "bad"
    } else if v < 30.0 {
        "mid"
    } else {
        "good"
    }
}

/// Rows (stages), columns (months) and cells of a stage × month answer.
type Grid = (Vec<String>, Vec<String>, Vec<Vec<Option<(f64, bool)>>>);

fn stage_grid(answer: &QueryResult, choices: &Choices) -> Option<Grid> {
    let label = |r: &dosvid_analytics::ResultRow, d: &str| r.group.get(d).cloned().flatten();
    let mut rows: Vec<String> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    // The answer comes in the dimensions' order: stages by position, months in time.
    for r in &answer.rows {
        let (Some(stage), Some(month)) = (label(r, "stage"), label(r, "month")) else {
            continue;
        };
        if !rows.contains(&stage) {
            rows.push(stage);
        }
        if !columns.contains(&month) {
            columns.push(month);
        }
    }
    columns.sort();
    if rows.is_empty() {
        return None;
    }
    let names = rows
        .iter()
        .map(|r| choices.naming.of("stage", r).to_owned())
        .collect();
    let mut cells = vec![vec![None; columns.len()]; rows.len()];
    for r in &answer.rows {
        let (Some(stage), Some(month)) = (label(r, "stage"), label(r, "month")) else {
            continue;
        };
        let (Some(i), Some(j)) = (
            rows.iter().position(|s| *s == stage),
            columns.iter().position(|m| *m == month),
        ) else {
            continue;
        };
        cells[i][j] = r
            .nps
            .as_ref()
            .and_then(|m| m.current.value.map(|v| (v, m.current.low_sample)));
    }
    Some((names, columns, cells))
}

/// The colour class of a touchpoint's NPS.
fn tone(metric: Option<&Metric>) -> &'static str {
    match metric.map(|m| &m.current) {
        Some(e) if !e.low_sample => match e.value.map(nps_tone) {
            Some("bad") => "tone-bad",
            Some("mid") => "tone-mid",
            Some(_) => "tone-good",
            None => "tone-none",
        },
        _ => "tone-none",
    }
}

pub async fn journey_map(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<SliceForm>,
) -> Response {
    let org = signed.session.user.org_id;
    let naming = Naming::load(&state, org, signed.lang()).await;
    let slice = params.slice();
    let asked = slice.clone();
    let answer: Result<(JourneyMap, Vec<String>), _> = state
        .ask(&signed.principal, move |index| {
            let map =
                index.journey_map(asked.journey().as_ref(), asked.filters()?, asked.min_sample)?;
            let segments = segments(index)?;
            Ok((map, segments))
        })
        .await;
    let lang = signed.lang();
    let ui = lang.ui();
    let (map, segments) = match answer {
        Ok(a) => a,
        Err(e) => {
            let body = html! { h1 { (ui.journey_map) } p.error role="alert" { (e.message) } };
            return html_response(
                e.status,
                app_page(&signed, "/journey", ui.journey_map, body),
            );
        }
    };
    let choices = Choices { segments, naming };
    let query_string = query_string(&slice);
    let body = html! {
        h1 { (ui.journey_map) ": " (map.journey_names.or(lang.code(), &map.journey)) }
        @if signed.may(Action::ManageSurveys) {
            p { a href="/settings/journey" { (ui.journey_editor) } }
        }
        (filter_form("/journey", ui, &slice, &choices))
        div.journey {
            @for stage in &map.stages {
                section.stage {
                    h2 {
                        (stage.names.or(lang.code(), &stage.name))
                        span.stage-nps {
                            @match stage.measures.nps.as_ref().map(|m| &m.current) {
                                Some(e) if !e.low_sample => { "NPS " (e.value.map(|v| with_sign(v, 1)).unwrap_or_default()) }
                                _ => { span title=(ui.not_enough) { "NPS —" } }
                            }
                        }
                    }
                    // Why a stage shows no figures: nobody answered there in the period.
                    @if stage.measures.n == 0 { p.meta { (ui.no_answers_here) } }
                    ul.touchpoints {
                        @for t in &stage.touchpoints {
                            li class={ "tp " (tone(t.measures.nps.as_ref())) } style={ "margin-left:" (t.depth as f64 * 0.9) "rem" }
                                data-touchpoint=(t.key) data-nps=[t.measures.nps.as_ref().and_then(|m| m.current.value.filter(|_| !m.current.low_sample))] {
                                span.tp-label {
                                    a.tp-name href={ "/touchpoints/" (t.id) "?" (query_string) } {
                                        @if t.moment_of_truth { span.mot title=(ui.moment_of_truth) aria-label=(ui.moment_of_truth) { "★ " } }
                                        (t.names.or(lang.code(), &t.name))
                                    }
                                    @if let Some(owner) = &t.owner_department {
                                        span.tp-owner { (ui.owner) ": " (choices.naming.of("department", owner)) }
                                    }
                                }
                                span.tp-figures {
                                    @match t.measures.nps.as_ref().map(|m| &m.current) {
                                        Some(e) if !e.low_sample => { strong { (e.value.map(whole_points).unwrap_or_default()) } }
                                        _ => { span.thin title=(ui.not_enough) { "—" } }
                                    }
                                    " · n " (t.measures.n)
                                }
                            }
                        }
                    }
                }
            }
        }
        p.meta { "★ " (ui.moment_of_truth) " · " (ui.same_in_api) ": " code { "GET /api/v1/journey-map?" (query_string) } }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/journey", ui.journey_map, body),
    )
}

/// Everything the touchpoint page shows from the index.
struct TouchpointView {
    slice: SliceParams,
    headline: QueryResult,
    cx: CxIndexResult,
    trend: QueryResult,
    channels: QueryResult,
    distribution: Option<dosvid_analytics::Distribution>,
    below: Vec<dosvid_analytics::TouchpointMeasures>,
    themes: dosvid_analytics::ThemeReport,
    /// The latest readable comments of the slice, newest first.
    comment_ids: Vec<i64>,
    segments: Vec<String>,
}

/// Comments the touchpoint page shows.
const LATEST_COMMENTS: usize = 10;

/// A touchpoint: its headline numbers and trend, by channel, the touchpoints below it, the
/// themes of its comments with their impact on NPS, and its latest comments.
pub async fn touchpoint(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(params): Query<SliceForm>,
) -> Response {
    let lang = signed.lang();
    let ui = lang.ui();
    let org = signed.session.user.org_id;
    let not_found = || {
        let body = html! { h1 { (ui.touchpoint) } p.error role="alert" { (lang.t().not_found) } };
        html_response(
            StatusCode::NOT_FOUND,
            app_page(&signed, "/journey", ui.touchpoint, body),
        )
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let naming = Naming::load(&state, org, signed.lang()).await;
    let read = state
        .run(move |s| {
            let mut touchpoint = s.get_touchpoint(org, id)?;
            touchpoint.localize(lang.code());
            Ok(touchpoint)
        })
        .await;
    let Ok(touchpoint) = read else {
        return not_found();
    };
    let mut asked = params.slice();
    asked.touchpoint = Some(id.to_string());
    let key = touchpoint.key.clone();
    let answer = state
        .ask(&signed.principal, move |index| {
            let mut slice = asked;
            fill_default_period(index, &mut slice)?;
            let filters = slice.filters()?;
            let headline = index.query(&slice.overview()?)?;
            let cx = index.cx_index(&CxIndexRequest {
                filters: filters.clone(),
                min_sample: slice.min_sample,
                ..Default::default()
            })?;
            let trend = index.query(&trend_slice(&slice).trend()?)?;
            let channels = index.query(&QueryRequest {
                measures: vec![dosvid_analytics::Measure::N, dosvid_analytics::Measure::Nps],
                filters: filters.clone(),
                group_by: vec!["channel".into()],
                min_sample: slice.min_sample,
                ..Default::default()
            })?;
            let distribution = index
                .query(&QueryRequest {
                    measures: vec![dosvid_analytics::Measure::Distribution],
                    filters: filters.clone(),
                    ..Default::default()
                })?
                .rows
                .into_iter()
                .next()
                .and_then(|r| r.distribution);
            // The map without the touchpoint filter, so the touchpoints below keep their own
            // figures; the ones below are those after it in tree order until the tree climbs back.
            let mut around = slice.clone();
            around.touchpoint = None;
            let map = index.journey_map(None, around.filters()?, slice.min_sample)?;
            let below = map
                .stages
                .iter()
                .find_map(|stage| {
                    let at = stage.touchpoints.iter().position(|t| t.key == key)?;
                    let depth = stage.touchpoints[at].depth;
                    Some(
                        stage.touchpoints[at + 1..]
                            .iter()
                            .take_while(|t| t.depth > depth)
                            .cloned()
                            .collect::<Vec<_>>(),
                    )
                })
                .unwrap_or_default();
            // The latest readable comments of the slice (its period, within the reader's sight).
            let mut readable = filters.clone();
            use dosvid_text::Label::{Negative, Neutral, Positive};
            readable.sentiment = OneOrMany::Many(vec![Negative, Neutral, Positive]);
            let comment_ids = index.feedback_records(&readable, 0, LATEST_COMMENTS)?.ids;
            let themes = index.theme_report(&dosvid_analytics::ThemeReportRequest {
                filters,
                min_sample: slice.min_sample,
            })?;
            Ok(TouchpointView {
                slice,
                headline,
                cx,
                trend,
                channels,
                distribution,
                below,
                themes,
                comment_ids,
                segments: segments(index)?,
            })
        })
        .await;
    let view = match answer {
        Ok(view) => view,
        Err(e) => {
            let body = html! { h1 { (touchpoint.name) } p.error role="alert" { (e.message) } };
            return html_response(
                e.status,
                app_page(&signed, "/journey", &touchpoint.name, body),
            );
        }
    };
    let ids = view.comment_ids.clone();
    let comments = state
        .run(move |s| s.feedback_by_ids(org, &ids))
        .await
        .unwrap_or_default();
    // What customers said in the research repository's studies here (the whole company's
    // research, so for those who see the whole company).
    let quotes = if signed.principal.is_whole() {
        state
            .run(move |s| crate::research::quotes_at(s, org, id))
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let choices = Choices {
        segments: view.segments.clone(),
        naming,
    };
    // A query names a channel by key, or by id.
    let channel_name = |id: Option<&str>| {
        let id = id.unwrap_or("—");
        let by_id = id
            .parse()
            .ok()
            .and_then(|i| choices.naming.of_id("channel", i));
        by_id
            .unwrap_or_else(|| choices.naming.of("channel", id))
            .to_owned()
    };
    let mut page_slice = view.slice.clone();
    page_slice.touchpoint = None;
    let mut api_slice = view.slice.clone();
    api_slice.touchpoint = Some(touchpoint.key.clone());
    let points = trend_points(&view.trend);
    let here = format!("/touchpoints/{id}");
    let body = html! {
        h1 {
            @if touchpoint.moment_of_truth { span.mot title=(ui.moment_of_truth) { "★ " } }
            (touchpoint.name)
        }
        p.meta {
            @if let Some(owner) = &touchpoint.owner_department { (ui.owner) ": " (choices.naming.of("department", owner)) " · " }
            (ui.channel) ": " (choices.naming.list("channel", &touchpoint.channels))
        }
        (filter_form(&here, ui, &page_slice, &choices))
        @match view.headline.rows.first() {
            None => p { (ui.no_data) }
            Some(row) => {
                p.meta { (row.n) " " (ui.responses) }
                (cards(ui, row, view.cx.rows.first()))
            }
        }
        @if !points.is_empty() {
            (charts::line(ui.nps_trend, &points, (-100.0, 100.0), true, ""))
        }
        @if let Some(d) = view.distribution.as_ref().filter(|d| d.nps.iter().sum::<u64>() > 0) {
            div.columns {
                (charts::stacked(ui.nps_distribution, &[
                    (ui.nps_groups[0], d.nps[..=6].iter().sum(), "bad"),
                    (ui.nps_groups[1], d.nps[7..=8].iter().sum(), "mid"),
                    (ui.nps_groups[2], d.nps[9..=10].iter().sum(), "good"),
                ]))
                (charts::bars(
                    "NPS 0–10",
                    &(0..=10).map(|s| s.to_string()).collect::<Vec<_>>(),
                    &d.nps,
                    |score| match score { 0..=6 => "bad", 7 | 8 => "mid", _ => "good" },
                ))
            }
        }
        div.columns {
            section {
                h2 { (ui.by_channel) }
                table {
                    thead { tr { th { (ui.channel) } th.num { "n" } th.num { "NPS" } } }
                    tbody {
                        @for r in &view.channels.rows {
                            tr {
                                td { (channel_name(r.group.get("channel").cloned().flatten().as_deref())) }
                                td.num { (r.n) }
                                td.num { (nps_text(r.nps.as_ref())) }
                            }
                        }
                    }
                }
            }
            @if !view.below.is_empty() {
                section {
                    h2 { (ui.below) }
                    table {
                        thead { tr { th { (ui.touchpoint) } th.num { "n" } th.num { "NPS" } } }
                        tbody {
                            @for t in &view.below {
                                tr {
                                    td style={ "padding-left:" (0.5 + (t.depth as f64 - 1.0).max(0.0) * 0.9) "rem" } {
                                        a href={ "/touchpoints/" (t.id) } { (t.names.or(lang.code(), &t.name)) }
                                    }
                                    td.num { (t.measures.n) }
                                    td.num { (nps_text(t.measures.nps.as_ref())) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (theme_impact(ui, &choices.naming, &view.themes))
        section {
            h2 { (ui.latest_comments) }
            @if comments.is_empty() { p { (ui.no_comments) } }
            ul.comments {
                @for f in &comments {
                    li {
                        p.comment lang=[f.language.as_deref()] { (f.comment.as_deref().unwrap_or_default()) }
                        p.meta {
                            (f.occurred_at.format("%Y-%m-%d"))
                            @if let Some(nps) = f.nps { " · NPS " (nps) }
                            @if let Some(s) = f.sentiment {
                                " · " (ui.sentiment) ": " (ui.sentiment_of(s))
                            }
                            @if !f.themes.is_empty() { " · " (ui.themes) ": " (choices.naming.list("theme", &f.themes)) }
                        }
                    }
                }
            }
        }
        @if !quotes.is_empty() {
            section #research-quotes {
                h2 { (super::research::words(lang).research_quotes) }
                ul.comments {
                    @for q in quotes.iter().take(LATEST_COMMENTS) {
                        li {
                            p.comment { "«" (q.text) "»" }
                            p.meta {
                                @if let Some(who) = &q.participant { (who) " · " }
                                a href={ "/diagnosis/studies/" (q.study_id) } { (q.study) } " · " (q.conducted_on)
                            }
                        }
                    }
                }
            }
        }
        p.meta { (ui.same_in_api) ": " code { "GET /api/v1/overview?" (query_string(&api_slice)) } }
    };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/journey", &touchpoint.name, body),
    )
}

/// A value, or a dash with its n when there are too few answers to show one.
/// The themes of a report's comments, most harmful first: each with its share, sentiment, the
/// NPS of those who mention it against those who do not, and that impact (a number only where
/// both rest on enough answers, marked where significant).
pub(super) fn theme_impact(
    ui: &super::i18n::Ui,
    naming: &Naming,
    report: &dosvid_analytics::ThemeReport,
) -> Markup {
    let mut themes: Vec<&dosvid_analytics::ThemeRow> =
        report.themes.iter().filter(|t| t.n > 0).collect();
    let impact = |t: &dosvid_analytics::ThemeRow| t.impact.as_ref().map_or(0.0, |c| c.difference);
    themes.sort_by(|a, b| impact(a).total_cmp(&impact(b)));
    html! {
        section {
            h2 { (ui.theme_impact) }
            @if themes.is_empty() { p { (ui.no_comments) } }
            @else {
                div.scroll {
                    table {
                        thead { tr {
                            th { (ui.theme) } th.num { "n" } th.num { (ui.share) } th.num { (ui.sentiment) }
                            th.num { (ui.mentioning) } th.num { (ui.not_mentioning) } th.num { (ui.impact) }
                        } }
                        tbody {
                            @for t in &themes {
                                tr data-theme=(t.theme) {
                                    td { (naming.of("theme", &t.theme)) }
                                    td.num { (t.n) }
                                    td.num { (t.share.value.map(|v| format!("{v:.1}%")).unwrap_or_default()) }
                                    td.num { (t.sentiment.value.map(|v| format!("{v:+.2}")).unwrap_or_default()) }
                                    td.num { (estimate_text(&t.nps)) }
                                    td.num { (estimate_text(&t.nps_without)) }
                                    td.num {
                                        @match t.impact.as_ref().filter(|_| !t.nps.low_sample && !t.nps_without.low_sample) {
                                            Some(c) if c.significant => strong class=(if c.difference < 0.0 { "down" } else { "up" }) { (with_sign(c.difference, 1)) }
                                            Some(c) => { (with_sign(c.difference, 1)) }
                                            None => "—",
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn estimate_text(e: &Estimate) -> String {
    match e.value {
        Some(v) if !e.low_sample => with_sign(v, 1),
        _ => format!("— (n = {})", e.n),
    }
}

fn nps_text(metric: Option<&Metric>) -> String {
    metric.map_or_else(|| "—".into(), |m| estimate_text(&m.current))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A figure that rounds to nothing has no sign, and "−0" is never written.
    #[test]
    fn signs_are_written_on_what_is_shown() {
        let cases = [
            (-0.5, 0, "-1"),
            (-0.4, 0, "0"),
            (0.5, 0, "+1"),
            (-0.04, 1, "0.0"),
        ];
        for (v, decimals, shown) in cases {
            assert_eq!(with_sign(v, decimals), shown, "{v}");
        }
        assert_eq!(with_sign(2.345, 1), "+2.3");
        let ui = super::super::i18n::Lang::Uk.ui();
        assert_eq!(difference(ui, Format::Percent, 0.04), "0.0 в. п.");
    }
}
