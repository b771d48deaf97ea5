//! Request parsing: JSON bodies whose errors name the field, the API-key check, and the query
//! parameters shared by every list.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use dosvid_domain::{FeedbackSource, FieldError, OrgId};
use dosvid_store::{Filter, PageRequest, Scope};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState};

/// Parses a request body: malformed JSON is a 400, well-formed JSON of the wrong shape a 422
/// naming the field.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_json(format!("the body is not valid UTF-8: {e}")))?;
    dosvid_domain::error::from_json(text).map_err(|field_error| {
        // Only a failed parse pays for telling bad JSON from JSON of the wrong shape.
        match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(e) => ApiError::bad_json(format!("the body is not valid JSON: {e}")),
            Ok(_) => ApiError::invalid(field_error),
        }
    })
}

/// Whether percent-encoded text (an address, a form body) holds a NUL character, raw or as `%00`.
pub fn holds_nul(encoded: &[u8]) -> bool {
    encoded.contains(&0) || encoded.windows(3).any(|w| w == b"%00")
}

/// [`holds_nul`] for a request's path and query.
pub fn address_holds_nul(uri: &axum::http::Uri) -> bool {
    holds_nul(uri.path_and_query().map_or("", |p| p.as_str()).as_bytes())
}

/// Refuses an API request whose address holds a NUL character (`%00`) before any handler or
/// store sees it; JSON bodies are checked field by field (`dosvid_domain::error::from_json`).
pub async fn refuse_nul_address(req: Request, next: Next) -> Result<Response, ApiError> {
    if address_holds_nul(req.uri()) {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_request",
            "the address must not contain the NUL character (%00)",
        )
        .with_field(if req.uri().path().contains("%00") {
            "path"
        } else {
            "query"
        }));
    }
    Ok(next.run(req).await)
}

/// A JSON body with the API's error shape on failure.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = read_body(req, state).await?;
        parse_body(&bytes).map(ApiJson)
    }
}

/// Reads a body, answering 413 in the API's shape when it exceeds the limit.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                rejection.status(),
                "payload_too_large",
                format!(
                    "the body is larger than {} MB",
                    crate::api::MAX_BODY_BYTES >> 20
                ),
            )
        } else {
            ApiError::bad_json(rejection.body_text())
        }
    })
}

/// Who is calling: set by [`require_api_key`] for every `/api/v1` request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub org: OrgId,
    /// What the key may see: its unit's records, or the whole organisation.
    pub principal: crate::access::Principal,
}

/// Admits a request only with `Authorization: Bearer <key>` of a valid key.
pub async fn require_api_key(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(secret) = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Err(ApiError::unauthorized(
            "send an API key as 'Authorization: Bearer <key>'; create one with 'dosvid keys create'",
        ));
    };
    let secret = secret.to_owned();
    let key = state
        .run(move |store| store.authenticate(&secret, Utc::now()))
        .await?;
    let key = key.ok_or_else(|| {
        ApiError::unauthorized("the API key is not valid (unknown, revoked or expired)")
    })?;
    let template = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or(req.uri().path(), axum::extract::MatchedPath::as_str);
    let needed = scope_needed(req.method(), template);
    if !key.may(needed) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "this key's scopes ({}) do not include {}, which {} {template} needs",
                Scope::list(&key.scopes),
                needed.as_str(),
                req.method()
            ),
        ));
    }
    let org = key.org_id;
    let principal = state.principal_of_key(org, key.unit_id).await?;
    if !principal.is_whole() && !crate::access::OPEN_TO_UNITS.contains(&template) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "{template} reads records of the whole organisation; a key of an organisation unit cannot use it"
            ),
        ));
    }
    req.extensions_mut().insert(crate::audit::Actor {
        org: key.org_id,
        kind: dosvid_domain::audit::ActorKind::ApiKey,
        name: Some(format!("{} ({}…)", key.name, key.prefix)),
    });
    req.extensions_mut().insert(Auth { org, principal });
    Ok(next.run(req).await)
}

/// The scope a request needs: reading and asking questions `read`; signals, customers, cases,
/// invitations and answers to a readiness assessment `write`; a customer's export, erasure, the audit log and the survey-link
/// secret `admin`; every other change (the configuration) `manage`.
pub fn scope_needed(method: &axum::http::Method, template: &str) -> Scope {
    const ADMIN: [&str; 6] = [
        "/api/v1/audit",
        "/api/v1/units",
        "/api/v1/units/{id}",
        "/api/v1/customers/{id}/export",
        "/api/v1/customers/{id}/erase",
        "/api/v1/surveys/secret:rotate",
    ];
    const WRITE: [&str; 15] = [
        "/api/v1/assessments/{id}/answers",
        "/api/v1/customers/{id}/consents",
        "/api/v1/customers/{id}/merge",
        "/api/v1/merges/{id}/undo",
        "/api/v1/feedback:batch",
        "/api/v1/interactions:batch",
        "/api/v1/transactions:batch",
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/complaints",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/events",
        "/api/v1/surveys/{id}/invitations",
        "/api/v1/webhook-deliveries/{id}/retry",
    ];
    let reading = [
        axum::http::Method::GET,
        axum::http::Method::HEAD,
        axum::http::Method::OPTIONS,
    ]
    .contains(method);
    if ADMIN.contains(&template) {
        Scope::Admin
    } else if reading || crate::audit::is_question(template) {
        Scope::Read
    } else if WRITE.contains(&template) {
        Scope::Write
    } else {
        Scope::Manage
    }
}

/// Query parameters of every list. Each is optional; which apply depends on the list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub limit: Option<String>,
    /// Start of the time range (inclusive), RFC 3339 or a date.
    pub from: Option<String>,
    /// End of the time range (exclusive).
    pub to: Option<String>,
    /// Only this touchpoint and the touchpoints below it.
    pub touchpoint_id: Option<String>,
    pub channel_id: Option<String>,
    pub customer_id: Option<String>,
    /// Feedback only: survey, review, complaint, social, other.
    #[param(value_type = Option<dosvid_domain::FeedbackSource>)]
    pub source: Option<String>,
    /// Customers only: whose name contains this text (as typed, or with a capital first letter).
    #[param(max_length = 200)]
    pub name: Option<String>,
}

fn int(field: &str, value: &Option<String>) -> Result<Option<i64>, FieldError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse()
                .map_err(|_| FieldError::new(field, format!("must be an integer, got '{v}'")))
        })
        .transpose()
}

fn time(
    field: &str,
    value: &Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    // Filters may reach far into the future (a "to" bound), so check against a distant "now".
    let horizon = now + chrono::Duration::days(365 * 100);
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| dosvid_domain::time::parse_timestamp(field, v, horizon))
        .transpose()
}

impl ListParams {
    pub fn page(&self) -> Result<PageRequest, FieldError> {
        let limit = int("limit", &self.limit)?.unwrap_or(100);
        if !(1..=i64::from(PageRequest::MAX_LIMIT)).contains(&limit) {
            return Err(FieldError::new(
                "limit",
                format!("must be from 1 to {}", PageRequest::MAX_LIMIT),
            ));
        }
        let after = self
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(PageRequest::parse_cursor)
            .transpose()?;
        Ok(PageRequest {
            after,
            limit: limit as u32,
        })
    }

    pub fn filter(&self, now: DateTime<Utc>) -> Result<Filter, FieldError> {
        let source = self
            .source
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                FeedbackSource::parse(s).ok_or_else(|| {
                    FieldError::new(
                        "source",
                        "must be survey, review, complaint, social or other",
                    )
                })
            })
            .transpose()?;
        Ok(Filter {
            from: time("from", &self.from, now)?,
            to: time("to", &self.to, now)?,
            touchpoint_id: int("touchpoint_id", &self.touchpoint_id)?,
            channel_id: int("channel_id", &self.channel_id)?,
            customer_id: int("customer_id", &self.customer_id)?,
            source,
            name: dosvid_domain::error::short_text("name", self.name.as_deref())?,
        })
    }
}
