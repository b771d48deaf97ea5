//! The Insights page: what drives the outcome, what to fix first, what answers are worth
//! afterwards, and where customers drop out of the journey. Every number is the answer of the
//! API request shown under its section (`/api/v1/drivers`, `/priorities`, `/value-chain`,
//! `/funnel`), asked of the same index.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use dosvid_analytics::{
    DriversResult, Filters, FunnelRequest, FunnelResult, Measure, MomentsRequest, MomentsResult,
    OneOrMany, Outcome, PrioritiesRequest, PrioritiesResult, QueryRequest, QueryResult,
    ValueChainRequest, ValueChainResult,
};
use dosvid_domain::FieldError;
use dosvid_metrics::Estimate;
use maud::{Markup, html};
use serde::Deserialize;

use super::app::{SignedIn, app_page};
use super::charts;
use super::html_response;
use super::i18n::{Lang, Ui};
use super::naming::Naming;
use crate::AppState;

const FACTORS: [&str; 4] = ["theme", "touchpoint", "segment", "region"];
/// Agents listed on the page; the API gives them all.
const MAX_AGENTS: usize = 30;

#[derive(Debug, Default, Deserialize)]
pub struct InsightsParams {
    /// `nps` (default), `csat`, `ces` or `churn`.
    pub outcome: Option<String>,
}

/// Each section's answer, or why it has none (a section without data does not hide the others).
struct Analyses {
    model: Result<(DriversResult, PrioritiesResult), FieldError>,
    value_chain: Result<ValueChainResult, FieldError>,
    funnel: Result<FunnelResult, FieldError>,
    moments: Result<MomentsResult, FieldError>,
    /// NPS by agent, and the company's.
    agents: Result<(QueryResult, QueryResult), FieldError>,
    /// Every theme of the organisation's comments with its impact on NPS.
    themes: Result<dosvid_analytics::ThemeReport, FieldError>,
}

fn outcome_of(raw: Option<&str>) -> Outcome {
    match raw {
        Some("csat") => Outcome::Csat,
        Some("ces") => Outcome::Ces,
        Some("churn") => Outcome::Churn,
        _ => Outcome::Nps,
    }
}

fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Nps => "nps",
        Outcome::Csat => "csat",
        Outcome::Ces => "ces",
        Outcome::Churn => "churn",
    }
}

/// The emerging themes of the last 30 days of data against the 30 days before, within the
/// reader's sight, read once per change of the index (they read two periods of comments); none
/// when there is no data or the reading failed.
async fn emerging_of_last_month(
    state: &AppState,
    who: &crate::access::Principal,
) -> Option<std::sync::Arc<Option<crate::questions::EmergingResponse>>> {
    const DAY: i64 = 86_400;
    let (sight, org) = (state.sight(who).await.ok()?, who.org);
    state
        .with_index(who, move |s, index| {
            Ok(index.remember("insights-page:emerging", |index| {
                let to = index.latest().unwrap_or_default() + 1;
                let from = to - 30 * DAY;
                let periods = ((from, to), index.zone().previous_period(from, to));
                crate::questions::emerging(s, org, &sight, periods, (5, 15, false)).ok()
            }))
        })
        .await
        .ok()
}

fn emerging_section(ui: &Ui, emerging: Option<&crate::questions::EmergingResponse>) -> Markup {
    let Some(e) = emerging.filter(|e| !e.phrases.is_empty()) else {
        return html! {};
    };
    html! {
        section #emerging {
            h2 { (ui.emerging) }
            p.meta { (ui.emerging_hint) " n = " (e.comments) " / " (e.previous_comments) }
            div.scroll { table {
                thead { tr { th { (ui.phrase) } th.num { "n" } th.num { (ui.before) } th.num { (ui.growth) } th.num { (ui.negative_share) } th {} } }
                tbody { @for p in &e.phrases {
                    tr data-phrase=(p.phrase) {
                        td { strong { (p.label) } @if !p.phrases.is_empty() { div.meta { (p.phrases.join(", ")) } } }
                        td.num { (p.comments) }
                        td.num { (p.previous) }
                        td.num { (format!("×{:.1}", p.growth)) }
                        td.num { (format!("{:.0}%", 100.0 * p.negative_share)) }
                        td { span.meta { (p.example) } }
                    }
                } }
            } }
            (api_call(ui, "/api/v1/themes/emerging", "{\"from\": \"…\", \"to\": \"…\"}"))
        }
    }
}

/// An outcome as the page names it: the metrics by their international abbreviations.
fn outcome_name(ui: &Ui, outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Nps => "NPS",
        Outcome::Csat => "CSAT",
        Outcome::Ces => "CES",
        Outcome::Churn => ui.churn,
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(params): Query<InsightsParams>,
) -> Response {
    let org = signed.session.user.org_id;
    let lang = signed.lang();
    let ui = lang.ui();
    let outcome = outcome_of(params.outcome.as_deref());
    let naming = Naming::load(&state, org, lang).await;
    // The models are computed once per change of the index, not on every visit.
    let answer = state
        .ask(&signed.principal, move |index| {
            Ok(index.remember(
                &format!("insights-page:{}", outcome_key(outcome)),
                |index| {
                    let request = PrioritiesRequest {
                        outcome,
                        factors: FACTORS.map(str::to_owned).to_vec(),
                        ..Default::default()
                    };
                    Analyses {
                        model: index.drivers_and_priorities(&request),
                        value_chain: index.value_chain(&ValueChainRequest::default()),
                        funnel: index.funnel(&FunnelRequest::default()),
                        moments: index.moments_of_truth(&MomentsRequest::default()),
                        agents: agent_scores(index, &[Measure::N, Measure::Nps]),
                        themes: index.theme_report(&Default::default()),
                    }
                },
            ))
        })
        .await;
    let emerging = emerging_of_last_month(&state, &signed.principal).await;
    let body = match answer {
        Ok(analyses) => render(ui, outcome, &analyses, &naming),
        Err(e) => html! {
            h1 { (ui.insights) }
            (outcome_links(ui, outcome))
            p.error role="alert" { (ui.no_model) " " (e.message) }
        },
    };
    // The organisation's own reading of sentiment, for those who see the whole organisation.
    let card = signed
        .principal
        .is_whole()
        .then(|| state.analytics.model_card(org))
        .flatten();
    let body = html! { (body) (emerging_section(ui, emerging.as_deref().and_then(Option::as_ref))) (reading(lang, card.as_ref())) };
    html_response(
        StatusCode::OK,
        app_page(&signed, "/insights", ui.insights, body),
    )
}

struct ReadingWords {
    title: &'static str,
    hint: &'static str,
    none: &'static str,
    answers: &'static str,
    lexicon: &'static str,
    learned: &'static str,
    in_use: &'static str,
    not_in_use: &'static str,
    fitted: &'static str,
    too_few: &'static str,
}

const READING: [ReadingWords; 3] = [
    ReadingWords {
        title: "Як читаються коментарі",
        hint: "Модель настрою, навчена на власних відповідях організації (оцінка NPS чи CSAT — мітка настрою коментаря), перевірена на відкладених відповідях (5 частин) проти словника; нові коментарі читаються нею, лише коли вона точніша.",
        none: "Модель ще не навчена: вона навчається за розкладом і через POST /api/v1/text/model:fit.",
        answers: "Відповідей із коментарем",
        lexicon: "Словник, macro-F1 на відкладених",
        learned: "Модель, macro-F1 на відкладених",
        in_use: "Нові коментарі читаються моделлю.",
        not_in_use: "Нові коментарі читаються словником: модель не точніша.",
        fitted: "Навчена",
        too_few: "Замало відповідей із коментарем, щоб навчити модель.",
    },
    ReadingWords {
        title: "How comments are read",
        hint: "A sentiment model fitted to the organisation's own answers (the NPS or CSAT score labels each comment), tested on held-out answers (5 folds) against the lexicon; new comments are read with it only when it reads better.",
        none: "No model fitted yet: it is fitted on the schedule and by POST /api/v1/text/model:fit.",
        answers: "Answers with a comment",
        lexicon: "Lexicon, macro-F1 held out",
        learned: "Model, macro-F1 held out",
        in_use: "New comments are read with the model.",
        not_in_use: "New comments are read with the lexicon: the model is not better.",
        fitted: "Fitted",
        too_few: "Too few answers with a comment to fit a model.",
    },
    ReadingWords {
        title: "Как читаются комментарии",
        hint: "Модель настроения, обученная на собственных ответах организации (оценка NPS или CSAT — метка настроения комментария), проверенная на отложенных ответах (5 частей) против словаря; новые комментарии читаются ею, только когда она точнее.",
        none: "Модель ещё не обучена: она обучается по расписанию и через POST /api/v1/text/model:fit.",
        answers: "Ответов с комментарием",
        lexicon: "Словарь, macro-F1 на отложенных",
        learned: "Модель, macro-F1 на отложенных",
        in_use: "Новые комментарии читаются моделью.",
        not_in_use: "Новые комментарии читаются словарём: модель не точнее.",
        fitted: "Обучена",
        too_few: "Слишком мало ответов с комментарием, чтобы обучить модель.",
    },
];

fn reading(lang: Lang, card: Option<&crate::reading::ModelCard>) -> Markup {
    let w = &READING[match lang {
        Lang::Uk => 0,
        Lang::En => 1,
        Lang::Ru => 2,
    }];
    let figure = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"));
    html! {
        section #reading {
            h2 { (w.title) }
            p.meta { (w.hint) }
            @match card {
                None => p role="status" { (w.none) },
                Some(card) => {
                    table {
                        tbody {
                            tr { th { (w.fitted) } td { (card.trained_at.format("%Y-%m-%d %H:%M UTC")) } }
                            tr { th { (w.answers) } td.num { (card.answers) } }
                            tr { th { (w.lexicon) } td.num { (figure(card.lexicon_cv_macro_f1)) } }
                            tr { th { (w.learned) } td.num { (figure(card.learned_cv_macro_f1)) } }
                        }
                    }
                    p role="status" {
                        @if card.in_use { (w.in_use) }
                        @else if card.learned_cv_macro_f1.is_none() { (w.too_few) }
                        @else { (w.not_in_use) }
                    }
                }
            }
        }
    }
}

fn outcome_links(ui: &Ui, current: Outcome) -> Markup {
    html! {
        p {
            (ui.outcome) ": "
            @for (i, outcome) in [Outcome::Nps, Outcome::Csat, Outcome::Ces, Outcome::Churn].into_iter().enumerate() {
                @if i > 0 { " · " }
                @if outcome == current {
                    strong { (outcome_name(ui, outcome)) }
                } @else {
                    a href={ "/insights?outcome=" (outcome_key(outcome)) } { (outcome_name(ui, outcome)) }
                }
            }
        }
    }
}

/// The request behind a section, to copy.
pub(super) fn api_call(ui: &Ui, path: &str, body: &str) -> Markup {
    html! {
        details.api {
            summary { (ui.api_call) }
            pre { code { "POST " (path) "\n" (body) } }
        }
    }
}

fn pct(e: &Estimate) -> String {
    match (e.value, e.low_sample) {
        (Some(v), false) => format!("{v:.1}%"),
        (Some(v), true) => format!("({v:.1}%)"),
        (None, _) => "—".to_owned(),
    }
}

pub(super) fn money(minor: f64) -> String {
    let units = minor / 100.0;
    if units.abs() >= 10_000.0 {
        format!("{:.0}k", units / 1000.0)
    } else {
        format!("{units:.0}")
    }
}

/// The matrix's touchpoints and themes, most important first.
fn matrix_points(
    p: &PrioritiesResult,
    name: &dyn Fn(&str, &str) -> String,
) -> Vec<(String, f64, f64)> {
    let mut points: Vec<_> = p
        .matrix
        .iter()
        .filter(|m| m.factor == "touchpoint" || m.factor == "theme")
        .collect();
    points.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    points
        .into_iter()
        .take(25)
        .map(|m| (name(&m.factor, &m.value), m.importance, m.performance))
        .collect()
}

/// The page; `naming` gives each key its name in the reader's language.
fn render(ui: &Ui, outcome: Outcome, insights: &Analyses, naming: &Naming) -> Markup {
    let name = |factor: &str, value: &str| -> String {
        let factor_name = match factor {
            "theme" => ui.factor_theme,
            "touchpoint" => ui.factor_touchpoint,
            "segment" => ui.factor_segment,
            "region" => ui.factor_region,
            other => other,
        };
        format!("{} ({factor_name})", naming.of(factor, value))
    };
    let unavailable =
        |e: &FieldError| html! { p.meta role="status" { (ui.no_model) " " (e.message) } };
    html! {
        h1 { (ui.insights) }
        p { a href="/insights/retention" { (ui.retention_title) } " · " a href="/insights/compare" { (ui.compare_title) } }
        (outcome_links(ui, outcome))
        @match &insights.model {
            Ok((d, p)) => { (model_sections(ui, outcome, d, p, &name)) }
            Err(e) => { section #drivers { h2 { (ui.drivers_title) } (unavailable(e)) } }
        }
        @match &insights.value_chain {
            Ok(v) => { (value_chain_section(ui, v)) }
            Err(e) => { section #value-chain { h2 { (ui.value_chain_title) } (unavailable(e)) } }
        }
        @match &insights.agents {
            Ok((by_agent, company)) => { (agents_section(ui, by_agent, company)) }
            Err(e) => { section #agents { h2 { (ui.agents_title) } (unavailable(e)) } }
        }
        @match &insights.moments {
            Ok(m) => { (moments_section(ui, m, naming)) }
            Err(e) => { section #moments { h2 { (ui.moments_title) } (unavailable(e)) } }
        }
        @match &insights.funnel {
            Ok(f) => { (funnel_section(ui, f, naming)) }
            Err(e) => { section #funnel { h2 { (ui.funnel_title) } (unavailable(e)) } }
        }
        @match &insights.themes {
            Ok(report) => { div #themes { (super::dashboard::theme_impact(ui, naming, report)) } }
            Err(e) => { section #themes { h2 { (ui.theme_impact) } (unavailable(e)) } }
        }
    }
}

fn model_sections(
    ui: &Ui,
    outcome: Outcome,
    d: &DriversResult,
    p: &PrioritiesResult,
    name: &dyn Fn(&str, &str) -> String,
) -> Markup {
    let worse = |effect: f64| {
        if outcome == Outcome::Churn {
            effect > 0.0
        } else {
            effect < 0.0
        }
    };
    let shown: Vec<_> = d
        .drivers
        .iter()
        .filter(|x| !x.reference && x.factor != "control")
        .take(15)
        .collect();
    let bars: Vec<charts::Bar> = shown
        .iter()
        .map(|x| charts::Bar {
            label: name(&x.factor, &x.value),
            value: x.importance,
            low: x.importance_low,
            high: x.importance_high,
            bad: worse(x.effect),
            thin: x.low_sample,
        })
        .collect();
    let key = outcome_key(outcome);
    let drivers_body = format!(
        "{{\"outcome\": \"{key}\", \"factors\": [\"theme\", \"touchpoint\", \"segment\", \"region\"]}}"
    );
    html! {
        section #drivers {
            h2 { (ui.drivers_title) " — " (outcome_name(ui, outcome)) }
            p.meta { (ui.drivers_hint) " n = " (d.n) ", R² = " (format!("{:.2}", d.r2)) " [" (format!("{:.2}", d.r2_low)) "; " (format!("{:.2}", d.r2_high)) "]" }
            (charts::importance(ui.importance, &bars))
            div.scroll { table {
                thead { tr { th { } th { (ui.importance) } th { (ui.effect) } th { "n" } th { } } }
                tbody {
                    @for x in &shown {
                        tr data-driver=(format!("{}:{}", x.factor, x.value)) {
                            td { (name(&x.factor, &x.value)) }
                            td { (format!("{:.3}", x.importance)) }
                            td { (format!("{:+.2} [{:+.2}; {:+.2}]", x.effect, x.effect_low, x.effect_high)) }
                            td { (x.n) }
                            td { @if x.significant { (ui.driver_significant) } @else if x.low_sample { (ui.not_enough) } }
                        }
                    }
                }
            } }
            (api_call(ui, "/api/v1/drivers", &drivers_body))
        }
        section #priorities {
            h2 { (ui.priorities_title) }
            p.meta { (ui.priorities_hint) }
            div.scroll { table {
                thead { tr { th {} th { (ui.prevalence) } th { (ui.impact) } th { (ui.customers_affected) } th { (ui.revenue_at_risk) @if let Some(c) = &p.currency { " (" (c) ")" } } th { (ui.complaints_logged) } } }
                tbody {
                    @for x in p.problems.iter().take(10) {
                        tr data-problem=(format!("{}:{}", x.factor, x.value)) {
                            td { (name(&x.factor, &x.value)) @if !x.significant { " (" (ui.not_significant) ")" } }
                            td { (format!("{:.1}%", 100.0 * x.prevalence)) }
                            td { (format!("{:.2}", x.impact)) }
                            td { (x.customers) }
                            td { (money(x.revenue_at_risk_minor as f64)) }
                            td { (x.complaints) }
                        }
                    }
                }
            } }
            @let points = matrix_points(p, &name);
            (charts::scatter(ui.matrix_title, ui.importance, ui.performance, &points))
            (api_call(ui, "/api/v1/priorities", &drivers_body))
        }
    }
}

fn value_chain_section(ui: &Ui, v: &ValueChainResult) -> Markup {
    let group_name = |g: &str| -> String {
        match g {
            "promoter" => ui.promoter,
            "passive" => ui.passive,
            "detractor" => ui.detractor,
            other => other,
        }
        .to_owned()
    };
    html! {
        section #value-chain {
            h2 { (ui.value_chain_title) }
            p.meta { (ui.value_chain_hint) " " (v.horizon_days) " d." }
            div.scroll { table {
                thead { tr { th {} th { (ui.customers_followed) } th { (ui.churn) } th { (ui.retention) } th { (ui.revenue_per_customer) } th { (ui.expansion) } th { (ui.contacts_per_customer) } } }
                tbody {
                    @for g in &v.groups {
                        tr data-group=(g.group) {
                            td { (group_name(&g.group)) }
                            td { (g.customers) }
                            td { (pct(&g.churn)) @if let Some(c) = g.churn_vs_first { @if c.significant { " *" } } }
                            td { (pct(&g.retention)) }
                            td { (g.revenue_per_customer.value.map_or("—".to_owned(), money)) }
                            td { (pct(&g.expansion)) }
                            td { (g.contacts.value.map_or("—".to_owned(), |c| format!("{c:.1}"))) }
                        }
                    }
                }
            } }
            @if let Some(point) = &v.nps_point {
                p { (ui.nps_point_worth) ": " strong { (money(point.revenue_minor)) @if let Some(c) = &v.currency { " " (c) } } }
                p.meta { ((ui.nps_point_assumptions)(v.horizon_days, v.groups.iter().map(|g| g.customers).sum())) }
            }
            (api_call(ui, "/api/v1/value-chain", "{\"by\": \"nps_group\", \"horizon_days\": 180}"))
        }
    }
}

/// `measures` of each agent's feedback, and of all agents' together.
pub(super) fn agent_scores(
    index: &dosvid_analytics::Index,
    measures: &[Measure],
) -> Result<(QueryResult, QueryResult), FieldError> {
    let ask = |group_by: Vec<String>, agents: Vec<String>| {
        index.query(&QueryRequest {
            measures: measures.to_vec(),
            group_by,
            filters: Filters {
                agent: OneOrMany::Many(agents),
                ..Default::default()
            },
            ..Default::default()
        })
    };
    let by_agent = ask(vec!["agent".into()], Vec::new())?;
    let agents: Vec<String> = by_agent
        .rows
        .iter()
        .filter_map(|r| r.group.get("agent").cloned().flatten())
        .collect();
    // The average agent: the answers about every agent's contacts, not all answers (most are
    // not about a contact with anyone).
    let all_agents = if agents.is_empty() {
        ask(Vec::new(), Vec::new())?
    } else {
        ask(Vec::new(), agents)?
    };
    Ok((by_agent, all_agents))
}

/// Where each agent stands against the average agent (the answers about every agent's
/// contacts). An agent is set apart only when the difference is significant after
/// Benjamini–Hochberg over all agents (a hundred agents compared one by one would give five
/// "different" ones by chance).
pub(super) struct Standings {
    /// The average agent's NPS.
    pub overall: Option<f64>,
    /// Each agent with its n and NPS.
    pub rows: Vec<(String, u64, Estimate)>,
    apart: std::collections::BTreeSet<String>,
}

/// Below the average, above it, or not told apart from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Standing {
    Below,
    Above,
    Within,
}

impl Standings {
    pub(super) fn new(by_agent: &QueryResult, company: &QueryResult) -> Standings {
        let company = company
            .rows
            .first()
            .and_then(|r| r.nps.as_ref())
            .map(|m| m.current);
        let overall = company.and_then(|c| c.value);
        // The spread of one answer's NPS contribution among all agents' answers, from the
        // company's interval: each agent's standard error is this over the root of its n
        // (pooled, so that an agent whose answers are all alike still gets an honest error).
        let spread = company.and_then(|c| {
            let (lo, hi) = (c.low?, c.high?);
            Some((hi - lo) / (2.0 * dosvid_metrics::stats::Z95) * (c.n as f64).sqrt())
        });
        let rows: Vec<_> = by_agent
            .rows
            .iter()
            .filter_map(|r| Some((r.group.get("agent")?.clone()?, r.n, r.nps.as_ref()?.current)))
            .collect();
        let p_value = |nps: &Estimate| -> f64 {
            match (overall, nps.value, spread, nps.low_sample) {
                (Some(o), Some(v), Some(sd), false) if sd > 0.0 => {
                    let se = sd / (nps.n as f64).sqrt();
                    dosvid_metrics::stats::two_sided_p_normal((v - o) / se)
                }
                _ => 1.0,
            }
        };
        let p_values: Vec<f64> = rows.iter().map(|r| p_value(&r.2)).collect();
        let apart = dosvid_metrics::regression::benjamini_hochberg(&p_values, 0.05);
        let apart = rows
            .iter()
            .zip(apart)
            .filter(|(_, apart)| *apart)
            .map(|(r, _)| r.0.clone())
            .collect();
        Standings {
            overall,
            rows,
            apart,
        }
    }

    pub(super) fn of(&self, agent: &str, nps: &Estimate) -> Standing {
        match (self.overall, nps.value) {
            (Some(o), Some(v)) if self.apart.contains(agent) && v < o => Standing::Below,
            (Some(_), Some(_)) if self.apart.contains(agent) => Standing::Above,
            _ => Standing::Within,
        }
    }
}

/// Agents by NPS with their intervals: those set apart from the average agent first, by score;
/// the rest by name — an order among them would be noise.
fn agents_section(ui: &Ui, by_agent: &QueryResult, company: &QueryResult) -> Markup {
    let standings = Standings::new(by_agent, company);
    let overall = standings.overall;
    let standing = |agent: &str, nps: &Estimate| standings.of(agent, nps);
    let mut rows = standings.rows.clone();
    rows.sort_by(|a, b| {
        let (sa, sb) = (standing(&a.0, &a.2), standing(&b.0, &b.2));
        // Only the agents set apart are ordered by their score.
        let by_score = if sa != Standing::Within && sb != Standing::Within {
            a.2.value
                .unwrap_or(0.0)
                .total_cmp(&b.2.value.unwrap_or(0.0))
        } else {
            std::cmp::Ordering::Equal
        };
        sa.cmp(&sb).then(by_score).then(a.0.cmp(&b.0))
    });
    let shown = rows.len().min(MAX_AGENTS);
    html! {
        section #agents {
            h2 { (ui.agents_title) }
            p.meta { (ui.agents_hint) @if let Some(o) = overall { " NPS = " (format!("{o:.0}")) } }
            @if rows.is_empty() {
                p.meta role="status" { (ui.no_agents) }
            } @else {
                div.scroll { table {
                    thead { tr { th {} th { "n" } th { "NPS" } th {} } }
                    tbody {
                        @for (agent, n, nps) in &rows[..shown] {
                            tr data-agent=(agent) {
                                td { a href={ "/agents/" (agent) } { (agent) } }
                                td { (n) }
                                td {
                                    @if nps.low_sample { (ui.not_enough) } @else {
                                        (format!("{:.0}", nps.value.unwrap_or(0.0)))
                                        @if let (Some(lo), Some(hi)) = (nps.low, nps.high) { " [" (format!("{lo:.0}; {hi:.0}")) "]" }
                                    }
                                }
                                td {
                                    @match standing(agent, nps) {
                                        Standing::Below => { strong { (ui.below_company) } }
                                        Standing::Above => { (ui.above_company) }
                                        Standing::Within => {}
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            (api_call(ui, "/api/v1/query", "{\"measures\": [\"n\", \"nps\"], \"group_by\": [\"agent\"]}"))
        }
    }
}

fn moments_section(ui: &Ui, m: &MomentsResult, naming: &Naming) -> Markup {
    html! {
        section #moments {
            h2 { (ui.moments_title) }
            p.meta { (ui.moments_hint) " " (m.horizon_days) " d." }
            div.scroll { table {
                thead { tr { th {} th { (ui.churn_detractors) } th { (ui.churn_others) } th {} } }
                tbody {
                    @for t in m.touchpoints.iter().take(12) {
                        tr data-moment=(t.touchpoint) {
                            td { (naming.of("touchpoint", &t.touchpoint)) }
                            td { (pct(&t.churn_detractors)) }
                            td { (pct(&t.churn_others)) }
                            td {
                                @if t.suggested { strong { (ui.suggested_by_data) } }
                                @if t.suggested && t.marked { " · " }
                                @if t.marked { (ui.marked_by_hand) }
                            }
                        }
                    }
                }
            } }
            (api_call(ui, "/api/v1/moments-of-truth", "{\"horizon_days\": 90}"))
        }
    }
}

fn funnel_section(ui: &Ui, f: &FunnelResult, naming: &Naming) -> Markup {
    html! {
        section #funnel {
            h2 { (ui.funnel_title) }
            p.meta { (ui.funnel_hint) }
            @let labels: Vec<String> = f.overall.steps.iter().map(|s| naming.of("stage", &s.step).to_owned()).collect();
            @let counts: Vec<u64> = f.overall.steps.iter().map(|s| s.customers).collect();
            (charts::bars(ui.funnel_title, &labels, &counts, |_| "mid"))
            div.scroll { table {
                thead { tr { th {} th { (ui.customers_affected) } th { (ui.conversion) } th { (ui.drop_off) } } }
                tbody {
                    @for s in &f.overall.steps {
                        tr { td { (naming.of("stage", &s.step)) } td { (s.customers) } td { (pct(&s.conversion)) } td { (format!("{:.1}%", s.drop_off)) } }
                    }
                }
            } }
            @if let Some(drop) = &f.largest_drop {
                p { (ui.largest_drop) ": " strong { (naming.of("stage", &drop.step)) } " — " (format!("{:.1}% / {:.1}%", drop.conversion, drop.others)) }
            }
            (api_call(ui, "/api/v1/funnel", "{}"))
        }
    }
}
