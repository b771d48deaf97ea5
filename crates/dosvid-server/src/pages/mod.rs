//! Server-rendered HTML pages. For now: the public survey pages customers answer on, which need
//! no sign-in and no JavaScript. Everything here is reached without an API key, so every page
//! goes through a per-address rate limit, takes small bodies only and shows nothing but the
//! survey the link names.

mod account;
mod agent;
mod app;
mod audit;
mod cases;
mod charts;
mod compare;
mod customers;
mod dashboard;
mod diagnosis;
mod duplicates;
mod error;
mod explorer;
mod i18n;
mod insights;
mod journey;
mod naming;
mod research;
mod retention;
mod rules;
mod settings;
mod strategy;
mod survey;
mod surveys;
mod units;
mod webhooks;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

use crate::AppState;
use crate::questions::SliceParams;

pub use i18n::Lang;

/// The largest form a survey page accepts: a 10,000-character answer, percent-encoded.
const MAX_FORM_BYTES: usize = 256 << 10;

pub fn router(state: AppState) -> Router {
    // Pages anyone may reach (surveys, sign-in) are rate-limited per address.
    let public = Router::new()
        .route(
            "/s/{org}/{key}",
            get(survey::start).post(survey::start_post),
        )
        .route("/r/{token}", get(survey::resume).post(survey::resume_post))
        .route("/p/{token}", get(survey::resume).post(survey::resume_post))
        .route(
            "/a/{token}",
            get(diagnosis::link_form).post(diagnosis::link_post),
        )
        .route("/login", get(app::login_form).post(app::login_post))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit,
        ));
    Router::new()
        .merge(public)
        .merge(app::routes(state.clone()))
        .method_not_allowed_fallback(|headers: axum::http::HeaderMap| async move {
            let lang = Lang::from_accept(&headers);
            let t = lang.t();
            message_page(
                StatusCode::METHOD_NOT_ALLOWED,
                lang,
                t.bad_request_title,
                t.wrong_method,
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_foreign_origin,
        ))
        .layer(axum::middleware::from_fn(refuse_nul))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state)
}

/// Refuses a post from a page of another site, whatever it carries: its `Origin`, when the
/// browser sends one, must be this server as the browser reached it — the `Host` it asked, or
/// the public address (`--public-url`) a proxy in front answers at.
async fn refuse_foreign_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() == axum::http::Method::POST
        && let Some(origin) = req.headers().get(axum::http::header::ORIGIN)
        && !same_origin(
            origin.to_str().unwrap_or_default(),
            req.headers(),
            state.public_url.as_deref(),
        )
    {
        let lang = Lang::from_accept(req.headers());
        let t = lang.t();
        return message_page(
            StatusCode::FORBIDDEN,
            lang,
            t.bad_request_title,
            t.expired_form,
        );
    }
    next.run(req).await
}

fn same_origin(origin: &str, headers: &axum::http::HeaderMap, public_url: Option<&str>) -> bool {
    // The public address's scheme and host, without any path it is served under.
    let public_origin = public_url.map(|url| {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        match url[after_scheme..].find('/') {
            Some(path) => &url[..after_scheme + path],
            None => url,
        }
    });
    if public_origin.is_some_and(|public| public.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, host)| host);
    origin_host.is_some() && origin_host == host
}

/// Refuses a page request whose address or form holds a NUL character (`%00`), before any
/// handler reads it: no text Dosvid keeps may hold one (`dosvid_domain::error::plain_text`),
/// and a form is the only body a page takes.
async fn refuse_nul(req: Request, next: Next) -> Response {
    let lang = Lang::from_accept(req.headers());
    let refuse = || {
        let t = lang.t();
        message_page(
            StatusCode::BAD_REQUEST,
            lang,
            t.bad_request_title,
            t.nul_character,
        )
    };
    if crate::extract::address_holds_nul(req.uri()) {
        return refuse();
    }
    if req.method() != axum::http::Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        let t = lang.t();
        return message_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            lang,
            t.bad_request_title,
            t.too_large,
        );
    };
    if crate::extract::holds_nul(&bytes) {
        return refuse();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// A submitted form, with repeated fields kept (a multiple choice sends one per option).
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form {
            fields: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    pub fn one(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field's value, `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        given(&self.one(name).map(str::to_owned))
    }

    /// Every field in order, as (name, value).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The filters of a page that shows a slice of the feedback (the query API's, as form fields;
/// blank means all), with the explorer's search and page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SliceForm {
    pub(super) from: Option<String>,
    to: Option<String>,
    stage: Option<String>,
    touchpoint: Option<String>,
    channel: Option<String>,
    source: Option<String>,
    language: Option<String>,
    sentiment: Option<String>,
    theme: Option<String>,
    emotion: Option<String>,
    segment: Option<String>,
    /// The agent who served the customer (the Insights page links an agent's feedback here).
    agent: Option<String>,
    has_comment: Option<String>,
    q: Option<String>,
    page: Option<usize>,
}

impl SliceForm {
    pub fn slice(&self) -> SliceParams {
        SliceParams {
            from: given(&self.from),
            to: given(&self.to),
            stage: given(&self.stage),
            touchpoint: given(&self.touchpoint),
            channel: given(&self.channel),
            source: given(&self.source),
            language: given(&self.language),
            sentiment: given(&self.sentiment),
            theme: given(&self.theme),
            emotion: given(&self.emotion),
            segment: given(&self.segment),
            agent: given(&self.agent),
            has_comment: match self.has_comment.as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            },
            ..Default::default()
        }
    }

    pub fn search(&self) -> Option<String> {
        given(&self.q).map(|q| q.to_lowercase())
    }

    /// The query string of these filters, with another page.
    pub fn link(&self, page: Option<usize>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("from", &self.from),
            ("to", &self.to),
            ("stage", &self.stage),
            ("touchpoint", &self.touchpoint),
            ("channel", &self.channel),
            ("source", &self.source),
            ("language", &self.language),
            ("sentiment", &self.sentiment),
            ("theme", &self.theme),
            ("emotion", &self.emotion),
            ("segment", &self.segment),
            ("agent", &self.agent),
            ("has_comment", &self.has_comment),
            ("q", &self.q),
        ] {
            if let Some(v) = given(value) {
                q.append_pair(name, &v);
            }
        }
        if let Some(page) = page.filter(|p| *p > 0) {
            q.append_pair("page", &page.to_string());
        }
        q.finish()
    }
}

/// A query parameter's value, `None` when absent or blank (a form's "all").
pub fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A date field's value (`2026-05-01`, as a date input sends it), `None` when absent or not one.
pub fn given_day(v: &Option<String>) -> Option<chrono::NaiveDate> {
    given(v).and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

/// A token bucket per client address: `BURST` requests at once, then one per `REFILL_SECONDS`.
/// Enough for a person answering a survey quickly, far too few for a script filling it in.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

const BURST: f64 = 60.0;
const REFILL_SECONDS: f64 = 1.0;
/// Buckets kept before full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// Takes one request from `ip`'s bucket; false when it is empty.
    pub fn admit(&self, ip: IpAddr, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() / REFILL_SECONDS < BURST
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() / REFILL_SECONDS).min(BURST);
        *at = now;
        if *tokens < 1.0 {
            return false;
        }
        *tokens -= 1.0;
        true
    }
}

async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Requests that did not come through a socket (in-process tests) share one bucket.
    let ip = crate::audit::client_address(&state, req.extensions(), req.headers());
    if !state.rate_limit.admit(ip, Instant::now()) {
        let lang = Lang::from_accept(req.headers());
        let mut response = message_page(
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            lang.t().too_many_title,
            lang.t().too_many,
        );
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        return response;
    }
    next.run(req).await
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#eef1f5;color:#1b1f24;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:40rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:1.25rem 1.25rem 1.5rem}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
h1{font-size:1.3rem;margin:0 0 .5rem}
nav.langs a{color:#0b57a4;margin-left:.5rem}
nav.langs a[aria-current]{color:#1b1f24;font-weight:600;text-decoration:none}
.intro{color:#3d4650}
.progress{height:8px;background:#dde3ea;border-radius:4px;overflow:hidden;margin:.75rem 0 .25rem}
.progress span{display:block;height:100%;background:#0b57a4}
.step{font-size:.9rem;color:#4a5360;margin:0 0 1rem}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:600;font-size:1.1rem;margin-bottom:.75rem;padding:0}
.req{color:#a1261a;font-weight:400;font-size:.9rem}
.scale{display:grid;grid-auto-flow:column;grid-auto-columns:1fr;gap:.3rem}
.scale label,.choices label{position:relative}
.scale input,.choices input{position:absolute;opacity:0;width:1px;height:1px}
.scale span{display:flex;align-items:center;justify-content:center;height:2.75rem;border:2px solid #8a96a3;border-radius:8px;font-weight:600;cursor:pointer;background:#fff}
.scale input:checked+span,.choices input:checked+span{background:#0b57a4;border-color:#0b57a4;color:#fff}
.scale input:focus-visible+span,.choices input:focus-visible+span{outline:3px solid #f0a000;outline-offset:2px}
.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#4a5360;margin-top:.35rem}
.choices{display:grid;gap:.4rem}
.choices span{display:block;padding:.6rem .8rem;border:2px solid #8a96a3;border-radius:8px;cursor:pointer}
.pair{margin-bottom:1rem}
.pair p{margin:.25rem 0;font-size:.95rem}
textarea{width:100%;min-height:8rem;font:inherit;padding:.6rem;border:2px solid #8a96a3;border-radius:8px}
textarea:focus{outline:3px solid #f0a000}
.error{background:#fdecea;color:#8c1d13;border-left:4px solid #c0392b;padding:.5rem .75rem;border-radius:4px}
.buttons{display:flex;justify-content:space-between;gap:.75rem;flex-direction:row-reverse}
button{font:inherit;font-weight:600;padding:.7rem 1.4rem;border-radius:8px;border:2px solid #0b57a4;cursor:pointer}
button.primary{background:#0b57a4;color:#fff}
button.secondary{background:#fff;color:#0b57a4}
button:focus-visible{outline:3px solid #f0a000;outline-offset:2px}
.hp,.visually-hidden{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
nav.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;margin:-.25rem 0 1rem;padding-bottom:.75rem;border-bottom:1px solid #dde3ea}
nav.bar a{color:#0b57a4}
nav.bar a[aria-current]{color:#1b1f24;font-weight:600;text-decoration:none}
nav.bar .brand{font-weight:700;color:#1b1f24;text-decoration:none}
nav.bar .grow{flex:1}
form.inline{display:flex;gap:.35rem;align-items:center}
button.small{padding:.3rem .7rem;font-size:.9rem}
h2{font-size:1.1rem;margin:1.25rem 0 .25rem}
h3{font-size:1rem;margin:1rem 0 .25rem}
ul.list{padding-left:1.1rem}
ul.list li{margin-bottom:.6rem;overflow-wrap:anywhere}
.fields label{display:block;font-weight:600;margin:.8rem 0 .25rem}
.fields input[type=email],.fields input[type=password],.fields input[type=text],.fields input[type=tel],.fields input[type=number],.fields input[type=date],.fields textarea,select{width:100%;font:inherit;padding:.5rem .6rem;border:2px solid #8a96a3;border-radius:8px;background:#fff}
.fields input:focus,select:focus{outline:3px solid #f0a000}
.fields fieldset{margin-top:1rem}
.fields .buttons{margin-top:1.25rem}
.choices.row{grid-template-columns:1fr 1fr}
.choices.row label{margin:0;font-weight:400}
.hint{font-size:.9rem;color:#4a5360;margin:.25rem 0}
main:has(nav.bar){max-width:76rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:.5rem 0 1rem}
form.filters label{display:block;font-size:.85rem;font-weight:600;margin-bottom:.2rem}
form.filters input,form.filters select{font:inherit;padding:.4rem .5rem;border:2px solid #8a96a3;border-radius:8px;background:#fff;width:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.75rem;margin:.5rem 0 1rem}
.card-metric{border:1px solid #dde3ea;border-radius:10px;padding:.75rem 1rem}
.card-metric h3{margin:0;font-size:.95rem;color:#3d4650}
.card-metric .value{font-size:2rem;font-weight:700;margin:.2rem 0}
.thin{color:#8a96a3}
.meta{font-size:.85rem;color:#4a5360;margin:.2rem 0}
.meta.bad,span.bad{color:#c0392b}span.good{color:#2e7d32;font-weight:600}
.ladder .level{border-left:4px solid #dde3ea;padding-left:.75rem;margin:.75rem 0}.ladder .level.reached{border-left-color:#2e7d32}
.question{margin:.6rem 0}.question p{margin:.2rem 0}
input.link{width:100%;font:inherit;padding:.4rem}
nav.tabs{display:flex;gap:1rem;margin:.25rem 0 .75rem;font-size:.95rem}nav.tabs a[aria-current]{font-weight:700;text-decoration:none}
.canvas{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.75rem}.canvas .cell{border:1px solid #dde3ea;border-radius:8px;padding:.5rem .75rem}.canvas h2{font-size:1rem;margin:.2rem 0}
pre.attachment{white-space:pre-wrap;font-size:.85rem}
@media print{nav.bar,nav.tabs,.no-print{display:none}}
.change{font-size:.85rem;margin:.3rem 0 0}
.change.up{color:#1d6b2a}.change.down{color:#a1261a}.change.flat{color:#4a5360}
.journey{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(12rem,1fr);gap:.75rem;overflow-x:auto;padding-bottom:.5rem}
.stage{border:1px solid #dde3ea;border-radius:10px;padding:.5rem}
.stage h2{font-size:1rem;margin:.25rem .25rem .5rem;display:flex;justify-content:space-between;gap:.5rem}
.stage-nps{font-weight:400;font-size:.85rem;color:#3d4650}
ul.touchpoints{list-style:none;margin:0;padding:0;display:grid;gap:.3rem}
.tp{display:flex;justify-content:space-between;gap:.5rem;padding:.35rem .5rem;border-radius:6px;font-size:.9rem;border-left:5px solid #c5ccd4;background:#f6f8fa}
.tp.tone-bad{border-left-color:#c0392b;background:#fdecea}
.tp.tone-mid{border-left-color:#d68910;background:#fef5e7}
.tp.tone-good{border-left-color:#2e7d32;background:#e8f4ea}
.tp-figures{white-space:nowrap;color:#3d4650}
.lapsed{color:#a1261a}.tp-label{min-width:0;overflow-wrap:anywhere}.tp-owner{display:block;font-size:.75rem;color:#4a5360}
.mot{color:#b7791f}
code{font-size:.8rem;overflow-wrap:anywhere}
a.tp-name{color:inherit;text-decoration:none}a.tp-name:hover,a.tp-name:focus{text-decoration:underline}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 1.5rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #dde3ea;vertical-align:top}
th{font-size:.8rem;color:#3d4650}
.num{text-align:right;white-space:nowrap}
.scroll{overflow-x:auto}
strong.down{color:#a1261a}strong.up{color:#1d6b2a}
ul.comments{list-style:none;padding:0;margin:0}
ul.comments li{border-bottom:1px solid #dde3ea;padding:.5rem 0}
p.comment{margin:0 0 .2rem}
textarea.code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;min-height:24rem}
ol.questions li{margin-bottom:.4rem}
form.question-action{display:inline-flex;margin-left:.25rem}
section.editor-stage{border:1px solid #dde3ea;border-radius:10px;padding:.5rem .75rem;margin-bottom:1rem}
section.editor-stage input[type=text]{font:inherit;padding:.3rem .4rem;border:1.5px solid #8a96a3;border-radius:6px;width:100%;min-width:8rem}
form.stage-name input{font-weight:700}
td.num form.inline{display:inline-flex;margin:.1rem}
details summary{cursor:pointer;color:#0b57a4;margin:.5rem 0}
.goal-bar{position:relative;height:1.1rem;background:#eef1f5;border-radius:4px;margin:.3rem 0}
.goal-interval{position:absolute;top:.25rem;height:.6rem;background:#0b57a4;opacity:.3;border-radius:3px}
.goal-point{position:absolute;top:.15rem;width:.8rem;height:.8rem;margin-left:-.4rem;border-radius:50%;background:#0b57a4}
.goal-mark{position:absolute;top:0;width:2px;height:100%;background:#8a96a3}.goal-mark.target{background:#2e7d32;width:3px}.goal-mark.plan{background:#d68910}
ol.steps{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.4rem;counter-reset:step}
ol.steps li{counter-increment:step}ol.steps li strong::before{content:counter(step) ". "}
ol.steps li[aria-current]{outline:2px solid #0b57a4}
.notice{background:#e8f4ea;border-left:4px solid #2e7d32;padding:.5rem .75rem;border-radius:4px;color:#1d4d20}
@media (max-width:30rem){main{padding:.5rem}.card{padding:1rem}.scale{gap:.2rem}.scale span{font-size:.95rem;border-width:1.5px}}
"#;

/// The frame of every public page.
pub fn page(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(charts::STYLE)) }
            }
            body { main { div.card { (body) } } }
        }
    }
}

/// A page with a heading and one message: thanks, a closed survey, a refused link.
pub fn message_page(status: StatusCode, lang: Lang, title: &str, message: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p { (message) }
    };
    html_response(status, page(lang, title, body))
}

pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup).into_response();
    // Answers are personal: never cache them, never show them in a frame of another site.
    let headers = response.headers_mut();
    headers.insert(
        "cache-control",
        axum::http::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        "x-frame-options",
        axum::http::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        "content-security-policy",
        axum::http::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_address_is_slowed_down_and_another_is_not() {
        let limiter = RateLimiter::default();
        let (a, b) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let start = Instant::now();
        let admitted = (0..100).filter(|_| limiter.admit(a, start)).count();
        assert_eq!(admitted, BURST as usize);
        assert!(limiter.admit(b, start));
        assert!(!limiter.admit(a, start));
        assert!(limiter.admit(a, start + Duration::from_secs(2)));
    }
}
