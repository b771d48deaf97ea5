//! The audit log's entries, written in one place for the JSON API and the pages alike: after a
//! request by a known principal (an API key, a signed-in user) that changes something, exports
//! data or shows one customer's personal data, the entry — who, when, from where, the
//! operation, the object and the answer's status — is appended before the answer leaves.
//! Sign-ins and failed sign-ins are recorded by the sign-in form.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use dosvid_domain::audit::{ActorKind, AuditEntry, AuditFilter, AuditKind};
use dosvid_domain::{FieldError, OrgId};
use dosvid_store::PageRequest;

use crate::AppState;

/// Who is acting: set beside the API key's or the session's other extensions.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org: OrgId,
    pub kind: ActorKind,
    pub name: Option<String>,
}

/// The client's address: the peer, or the address a trusted proxy forwarded. Requests that did
/// not come through a socket (in-process tests) are from 0.0.0.0.
pub fn client_address(
    state: &AppState,
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
) -> IpAddr {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    crate::network::client_ip(peer, forwarded, &state.trusted_proxies)
}

/// The endpoints that take their question as a POST body but change nothing.
const QUESTIONS: [&str; 13] = [
    "/api/v1/query",
    "/api/v1/retention",
    "/api/v1/cx-index",
    "/api/v1/drivers",
    "/api/v1/priorities",
    "/api/v1/value-chain",
    "/api/v1/impact",
    "/api/v1/funnel",
    "/api/v1/moments-of-truth",
    "/api/v1/text/analyze",
    "/api/v1/themes/report",
    "/api/v1/themes/emerging",
    "/api/v1/alert-rules/{id}/backtest",
];

/// Whether a POST route asks a question rather than changes something.
pub fn is_question(template: &str) -> bool {
    QUESTIONS.contains(&template)
}

/// What a request is, for the audit log: a change (any method but GET, HEAD and OPTIONS, except
/// the questions asked by POST), an export (a CSV, a ZIP or an `export`), a view of one
/// customer (`…/customers/{id}…`), or nothing worth recording. `template` is the route's
/// (`/api/v1/cases/{id}`).
pub fn kind_of(
    method: &Method,
    template: &str,
    path: &str,
    query: Option<&str>,
) -> Option<AuditKind> {
    if ![Method::GET, Method::HEAD, Method::OPTIONS].contains(method) {
        return (!is_question(template)).then_some(AuditKind::Change);
    }
    let export = path.ends_with(".csv")
        || path.ends_with(".zip")
        || path.contains("/export")
        || query.is_some_and(|q| q.split('&').any(|p| p == "format=csv"));
    if export {
        return Some(AuditKind::Export);
    }
    let mut segments = path.trim_start_matches('/').split('/');
    let one_customer = segments.any(|s| s == "customers")
        && segments.next().is_some_and(|id| id.parse::<i64>().is_ok());
    one_customer.then_some(AuditKind::View)
}

/// Appends an entry; a failure is logged, never shown to the person acting.
pub async fn append(state: &AppState, org: OrgId, entry: AuditEntry) {
    if let Err(e) = state.run(move |s| s.append_audit(org, &entry)).await {
        tracing::error!("could not write the audit entry: {}", e.message);
    }
}

/// The middleware behind every API endpoint and signed-in page (inside the key or session
/// check, which names the actor).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(path, MatchedPath::as_str);
    let (Some(actor), Some(kind)) = (
        req.extensions().get::<Actor>(),
        kind_of(req.method(), template, path, req.uri().query()),
    ) else {
        return next.run(req).await;
    };
    let (actor, action, object) = (
        actor.clone(),
        format!("{} {template}", req.method()),
        path.to_owned(),
    );
    let address = client_address(&state, req.extensions(), req.headers()).to_string();
    let response = next.run(req).await;
    let entry = AuditEntry {
        id: 0,
        at: Utc::now(),
        kind,
        actor_kind: actor.kind,
        actor: actor.name,
        address: Some(address),
        action,
        object: Some(object),
        status: response.status().as_u16(),
    };
    append(&state, actor.org, entry).await;
    response
}

/// The filters of the audit log, as query parameters (`GET /api/v1/audit`, the audit page).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// change, export, view, sign_in, failed_sign_in.
    #[param(value_type = Option<dosvid_domain::audit::AuditKind>)]
    pub kind: Option<String>,
    /// Entries whose actor (e-mail, key) contains this.
    pub actor: Option<String>,
    /// Entries whose operation or object contains this (`cases`, `/api/v1/customers/17`).
    pub q: Option<String>,
    /// From (inclusive), RFC 3339 or a date.
    pub from: Option<String>,
    /// To (exclusive).
    pub to: Option<String>,
    pub cursor: Option<String>,
    /// 1–1000 (default 100).
    pub limit: Option<String>,
}

impl AuditParams {
    pub fn filter(&self) -> Result<(AuditFilter, PageRequest), FieldError> {
        let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let horizon = Utc::now() + chrono::Duration::days(365 * 100);
        let time = |field: &str, v: &Option<String>| {
            given(v)
                .map(|v| dosvid_domain::time::parse_timestamp(field, &v, horizon))
                .transpose()
        };
        let kind = given(&self.kind)
            .map(|k| {
                AuditKind::parse(&k).ok_or_else(|| {
                    FieldError::new(
                        "kind",
                        "must be change, export, view, sign_in or failed_sign_in",
                    )
                })
            })
            .transpose()?;
        let limit = match given(&self.limit) {
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=PageRequest::MAX_LIMIT).contains(l))
                .ok_or_else(|| FieldError::new("limit", "must be from 1 to 1000"))?,
            None => 100,
        };
        let after = given(&self.cursor)
            .map(|c| PageRequest::parse_cursor(&c))
            .transpose()?;
        Ok((
            AuditFilter {
                kind,
                actor: given(&self.actor),
                text: given(&self.q),
                from: time("from", &self.from)?,
                to: time("to", &self.to)?,
            },
            PageRequest { after, limit },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_exports_and_views_of_one_customer_are_recorded_and_nothing_else() {
        let kind =
            |method: Method, path: &str, query: Option<&str>| kind_of(&method, path, path, query);
        assert_eq!(
            kind(Method::POST, "/cases/3", None),
            Some(AuditKind::Change)
        );
        assert_eq!(
            kind(Method::DELETE, "/api/v1/goals/3", None),
            Some(AuditKind::Change)
        );
        assert_eq!(
            kind(Method::GET, "/feedback/export.csv", None),
            Some(AuditKind::Export)
        );
        assert_eq!(
            kind(
                Method::GET,
                "/api/v1/surveys/2/responses",
                Some("format=csv")
            ),
            Some(AuditKind::Export)
        );
        assert_eq!(
            kind(Method::GET, "/customers/17", None),
            Some(AuditKind::View)
        );
        assert_eq!(
            kind(Method::GET, "/api/v1/customers/17", None),
            Some(AuditKind::View)
        );
        assert_eq!(kind(Method::GET, "/customers", Some("q=olena")), None);
        assert_eq!(kind(Method::GET, "/api/v1/query", None), None);
        assert_eq!(kind(Method::POST, "/api/v1/query", None), None);
        assert_eq!(
            kind(Method::POST, "/api/v1/goals", None),
            Some(AuditKind::Change)
        );
    }
}
