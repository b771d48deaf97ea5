//! An agent's own view (SPEC principle: staff engagement): the scores of the feedback on their
//! contacts with intervals, next to all agents together and placed as the agent list on the
//! insights page places them; their NPS month by month; and the latest comments about their
//! contacts. `/me` is the signed-in person's own page, when an administrator has linked them to
//! the agent id interactions name them by.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dosvid_analytics::{Bucket, Filters, Measure, OneOrMany, QueryRequest, QueryResult, ResultRow};
use dosvid_domain::{Feedback, FieldError, Localize, Touchpoint};
use dosvid_metrics::Estimate;
use dosvid_store::{Filter, all_pages};
use maud::{Markup, html};

use super::app::{SignedIn, app_page};
use super::charts;
use super::dashboard::trend_points;
use super::html_response;
use super::i18n::Ui;
use super::insights::{Standing, Standings, agent_scores, api_call};
use crate::AppState;

/// Comments shown; the explorer has the rest.
const COMMENTS: usize = 20;

/// What the index says about one agent.
struct Scores {
    /// n, NPS, CSAT, CES of the agent's feedback, and of all agents' together.
    agent: Option<ResultRow>,
    all: Option<ResultRow>,
    standings: Standings,
    trend: QueryResult,
    comment_ids: Vec<i64>,
}

fn scores(index: &dosvid_analytics::Index, agent: &str) -> Result<Scores, FieldError> {
    let measures = [Measure::N, Measure::Nps, Measure::Csat, Measure::Ces];
    let (by_agent, all_agents) = agent_scores(index, &measures)?;
    let own = Filters {
        agent: OneOrMany::Many(vec![agent.to_owned()]),
        ..Default::default()
    };
    let trend = index.query(&QueryRequest {
        measures: vec![Measure::N, Measure::Nps],
        filters: own.clone(),
        group_by: vec!["time".into()],
        bucket: Some(Bucket::Month),
        ..Default::default()
    })?;
    let commented = Filters {
        has_comment: Some(true),
        ..own
    };
    Ok(Scores {
        agent: by_agent
            .rows
            .iter()
            .find(|r| {
                r.group
                    .get("agent")
                    .is_some_and(|a| a.as_deref() == Some(agent))
            })
            .cloned(),
        all: all_agents.rows.first().cloned(),
        standings: Standings::new(&by_agent, &all_agents),
        trend,
        comment_ids: index.feedback_records(&commented, 0, COMMENTS)?.ids,
    })
}

/// A path segment: percent-encoded, a space as `%20` (a `+` in a path is a plus).
fn path_part(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `/me`: the signed-in person's own page, or why there is none.
pub async fn mine(Extension(signed): Extension<SignedIn>) -> Response {
    match &signed.user().agent {
        Some(agent) => Redirect::to(&format!("/agents/{}", path_part(agent))).into_response(),
        None => {
            let ui = signed.lang().ui();
            let body = html! { h1 { (ui.my_feedback) } p role="status" { (ui.no_agent_link) } };
            html_response(
                StatusCode::OK,
                app_page(&signed, "/me", ui.my_feedback, body),
            )
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(agent): Path<String>,
) -> Response {
    let org = signed.session.user.org_id;
    let ui = signed.lang().ui();
    let own = signed.user().agent.as_deref() == Some(agent.as_str());
    let here = if own { "/me" } else { "/insights" };
    let title = format!("{}: {agent}", ui.agent_title);
    let wanted = agent.clone();
    // One's own page reads one's own records and compares them with the organisation's
    // averages (figures, no records of others); anyone else's is read within one's sight.
    let whole = crate::access::Principal::whole(org);
    let who = if own { &whole } else { &signed.principal };
    let answer = state.ask(who, move |index| scores(index, &wanted)).await;
    let scores = match answer {
        Ok(scores) => scores,
        Err(e) => {
            let body = html! { h1 { (title) } p.error role="alert" { (e.message) } };
            return html_response(e.status, app_page(&signed, here, &title, body));
        }
    };
    let ids = scores.comment_ids.clone();
    let lang = signed.lang();
    let (comments, touchpoints): (Vec<Feedback>, Vec<Touchpoint>) = state
        .run(move |s| {
            let mut touchpoints = all_pages(|p| s.list_touchpoints(org, &Filter::default(), p))?;
            touchpoints.localize(lang.code());
            Ok((s.feedback_by_ids(org, &ids)?, touchpoints))
        })
        .await
        .unwrap_or_default();
    let body = render(ui, &agent, &scores, &comments, &touchpoints);
    html_response(StatusCode::OK, app_page(&signed, here, &title, body))
}

fn estimate(ui: &Ui, e: Option<&Estimate>, decimals: usize) -> Markup {
    html! {
        @match e {
            Some(e) if !e.low_sample && e.value.is_some() => {
                (format!("{:.*}", decimals, e.value.unwrap_or_default()))
                @if let (Some(lo), Some(hi)) = (e.low, e.high) {
                    span.meta { " [" (format!("{lo:.decimals$}; {hi:.decimals$}")) "]" }
                }
            }
            Some(e) if e.n > 0 => { span.meta { (ui.not_enough) " (n " (e.n) ")" } }
            _ => { "—" }
        }
    }
}

fn render(
    ui: &Ui,
    agent: &str,
    scores: &Scores,
    comments: &[Feedback],
    touchpoints: &[Touchpoint],
) -> Markup {
    let (mine, all) = (&scores.agent, &scores.all);
    let metric = |row: &Option<ResultRow>, which: Measure| {
        row.as_ref().and_then(|r| {
            match which {
                Measure::Nps => r.nps.as_ref(),
                Measure::Csat => r.csat.as_ref(),
                _ => r.ces.as_ref(),
            }
            .map(|m| m.current)
        })
    };
    let standing = metric(mine, Measure::Nps).map(|nps| scores.standings.of(agent, &nps));
    let points = trend_points(&scores.trend);
    let touchpoint = |id: Option<i64>| {
        id.and_then(|id| touchpoints.iter().find(|t| t.id == id))
            .map_or("—", |t| t.name.as_str())
    };
    let encoded: String = form_urlencoded::byte_serialize(agent.as_bytes()).collect();
    html! {
        h1 { (ui.agent_title) ": " (agent) }
        @if mine.as_ref().is_none_or(|r| r.n == 0) {
            p role="status" { (ui.no_agent_feedback) }
        } @else {
            section #agent-scores {
                p.meta { (ui.agent_scores_hint) }
                div.scroll { table {
                    thead { tr { th {} th { "n" } th { "NPS" } th { "CSAT" } th { "CES" } } }
                    tbody {
                        @for (label, row) in [(ui.this_agent, mine), (ui.all_agents, all)] {
                            tr {
                                th scope="row" { (label) }
                                td.num { (row.as_ref().map_or(0, |r| r.n)) }
                                td.num { (estimate(ui, metric(row, Measure::Nps).as_ref(), 0)) }
                                td.num { (estimate(ui, metric(row, Measure::Csat).as_ref(), 2)) }
                                td.num { (estimate(ui, metric(row, Measure::Ces).as_ref(), 2)) }
                            }
                        }
                    }
                } }
                p #standing {
                    "NPS: "
                    @match standing {
                        Some(Standing::Below) => { strong { (ui.below_company) } }
                        Some(Standing::Above) => { strong { (ui.above_company) } }
                        _ => { (ui.within_company) }
                    }
                }
                (api_call(ui, "/api/v1/query", &format!(
                    "{{\"measures\": [\"n\", \"nps\", \"csat\", \"ces\"], \"filters\": {{\"agent\": {}}}}}",
                    serde_json::to_string(agent).unwrap_or_default()
                )))
            }
            section #agent-trend {
                h2 { (ui.agent_trend) }
                (charts::line(ui.agent_trend, &points, (-100.0, 100.0), false, ""))
            }
            section #agent-comments {
                h2 { (ui.agent_comments) }
                ul.comments {
                    @for f in comments {
                        li data-feedback=(f.id) {
                            span.meta {
                                (f.occurred_at.format("%Y-%m-%d")) " · " (touchpoint(f.touchpoint_id))
                                @if let Some(nps) = f.nps { " · NPS " (nps) }
                            }
                            br;
                            (f.comment.as_deref().unwrap_or_default())
                        }
                    }
                }
                p { a href={ "/feedback?agent=" (encoded) } { (ui.all_agent_feedback) } }
            }
        }
    }
}
