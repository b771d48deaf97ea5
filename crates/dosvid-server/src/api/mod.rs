//! The JSON API under `/api/v1`, described by an OpenAPI 3.1 document built from these handlers.

pub(crate) mod analytics;
mod audit;
mod cases;
mod contract;
mod diagnosis;
mod directory;
mod journeys;
mod signals;
mod strategy;
pub(crate) mod surveys;
mod text;
mod units;
mod webhooks;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use dosvid_store::Page;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ListParams, require_api_key};
use crate::{ApiError, AppState};

/// The largest request body accepted (a batch of 10,000 records with comments fits easily).
pub const MAX_BODY_BYTES: usize = 32 << 20;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dosvid API",
        description = "Customer experience management: customers, journeys and touchpoints, and the signals customers leave. \
                       Every endpoint but /healthz needs `Authorization: Bearer <API key>`. Errors have one shape: \
                       `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    tags(
        (name = "directory", description = "Customers and their identities"),
        (name = "journeys", description = "Channels, journeys, stages and touchpoints"),
        (name = "signals", description = "Interactions, feedback records and transactions"),
        (name = "analytics", description = "Questions about the feedback: metrics by slice, trends, the journey map"),
        (name = "insights", description = "Why the experience is what it is: key drivers and what to fix first"),
        (name = "strategy", description = "Managing the experience: CX goals and their progress, initiatives and their return (ROX), the eight-stage strategy cycle"),
        (name = "diagnosis", description = "Diagnosing the company: readiness for CXM, interaction maturity, the five service-quality gaps with the standards and promises they are measured against, the research repository and the analytical templates"),
        (name = "settings", description = "The organisation's settings"),
        (name = "text", description = "What Dosvid reads in comments"),
        (name = "cases", description = "Cases that close the loop, and the service metrics measured from them"),
        (name = "webhooks", description = "Outbound webhooks signed per Standard Webhooks, with their delivery log"),
        (name = "surveys", description = "Surveys, personal invitations, responses, SERVQUAL gaps; complaints and reviews logged by agents"),
        (name = "access", description = "Organisation units: who sees which records. A key of a unit sees only its unit's records; endpoints that read the whole organisation's records refuse it"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(
            directory::list_customers,
            directory::create_customer
        ))
        .routes(routes!(
            directory::get_customer,
            directory::update_customer,
            directory::delete_customer
        ))
        .routes(routes!(directory::export_customer))
        .routes(routes!(directory::merge_customers))
        .routes(routes!(directory::undo_merge))
        .routes(routes!(directory::list_merges))
        .routes(routes!(directory::duplicates))
        .routes(routes!(directory::list_consents, directory::record_consent))
        .routes(routes!(directory::erase_customer))
        .routes(routes!(journeys::list_channels, journeys::create_channel))
        .routes(routes!(
            journeys::get_channel,
            journeys::update_channel,
            journeys::delete_channel
        ))
        .routes(routes!(journeys::list_journeys, journeys::create_journey))
        .routes(routes!(
            journeys::get_journey,
            journeys::update_journey,
            journeys::delete_journey
        ))
        .routes(routes!(
            journeys::vocabulary,
            journeys::set_term,
            journeys::delete_term
        ))
        .routes(routes!(journeys::create_stage))
        .routes(routes!(journeys::update_stage, journeys::delete_stage))
        .routes(routes!(
            journeys::list_touchpoints,
            journeys::create_touchpoint
        ))
        .routes(routes!(
            journeys::get_touchpoint,
            journeys::update_touchpoint,
            journeys::delete_touchpoint
        ))
        .routes(routes!(signals::feedback_batch))
        .routes(routes!(signals::interactions_batch))
        .routes(routes!(signals::transactions_batch))
        .routes(routes!(signals::list_feedback))
        .routes(routes!(signals::list_interactions))
        .routes(routes!(signals::list_transactions))
        .routes(routes!(analytics::query))
        .routes(routes!(analytics::overview))
        .routes(routes!(analytics::trend))
        .routes(routes!(analytics::journey_map))
        .routes(routes!(analytics::retention))
        .routes(routes!(analytics::cx_index))
        .routes(routes!(analytics::drivers))
        .routes(routes!(analytics::priorities))
        .routes(routes!(analytics::value_chain))
        .routes(routes!(analytics::impact))
        .routes(routes!(strategy::list_goals, strategy::create_goal))
        .routes(routes!(
            strategy::get_goal,
            strategy::update_goal,
            strategy::delete_goal
        ))
        .routes(routes!(
            strategy::list_initiatives,
            strategy::create_initiative
        ))
        .routes(routes!(
            strategy::get_initiative,
            strategy::update_initiative
        ))
        .routes(routes!(strategy::initiative_impact))
        .routes(routes!(diagnosis::questionnaire))
        .routes(routes!(
            diagnosis::list_assessments,
            diagnosis::create_assessment
        ))
        .routes(routes!(
            diagnosis::get_assessment,
            diagnosis::update_assessment,
            diagnosis::delete_assessment
        ))
        .routes(routes!(diagnosis::answer_assessment))
        .routes(routes!(diagnosis::invite_to_assessment))
        .routes(routes!(diagnosis::maturity))
        .routes(routes!(
            diagnosis::get_thresholds,
            diagnosis::put_thresholds
        ))
        .routes(routes!(
            diagnosis::list_standards,
            diagnosis::create_standard
        ))
        .routes(routes!(
            diagnosis::update_standard,
            diagnosis::delete_standard
        ))
        .routes(routes!(diagnosis::list_promises, diagnosis::create_promise))
        .routes(routes!(
            diagnosis::update_promise,
            diagnosis::delete_promise
        ))
        .routes(routes!(diagnosis::gaps))
        .routes(routes!(diagnosis::list_studies, diagnosis::create_study))
        .routes(routes!(
            diagnosis::get_study,
            diagnosis::update_study,
            diagnosis::delete_study
        ))
        .routes(routes!(
            diagnosis::list_templates,
            diagnosis::create_template
        ))
        .routes(routes!(
            diagnosis::get_template,
            diagnosis::update_template,
            diagnosis::delete_template
        ))
        .routes(routes!(diagnosis::template_markdown))
        .routes(routes!(strategy::list_cycles, strategy::create_cycle))
        .routes(routes!(strategy::get_cycle))
        .routes(routes!(strategy::update_stage))
        .routes(routes!(analytics::funnel))
        .routes(routes!(analytics::moments_of_truth))
        .routes(routes!(text::analyze))
        .routes(routes!(text::get_themes, text::put_themes))
        .routes(routes!(text::get_model))
        .routes(routes!(text::fit_model))
        .routes(routes!(text::theme_report))
        .routes(routes!(text::emerging_themes))
        .routes(routes!(cases::list_cases, cases::create_case))
        .routes(routes!(cases::metrics))
        .routes(routes!(cases::get_case, cases::update_case))
        .routes(routes!(cases::list_events, cases::add_event))
        .routes(routes!(cases::list_rules, cases::create_rule))
        .routes(routes!(cases::put_rule, cases::delete_rule))
        .routes(routes!(cases::evaluate_rule))
        .routes(routes!(cases::backtest_rule))
        .routes(routes!(cases::list_alerts))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(
            webhooks::get_webhook,
            webhooks::update_webhook,
            webhooks::delete_webhook
        ))
        .routes(routes!(webhooks::get_secret))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::get_delivery))
        .routes(routes!(webhooks::retry_delivery))
        .routes(routes!(surveys::list_surveys, surveys::create_survey))
        .routes(routes!(
            surveys::get_survey,
            surveys::put_survey,
            surveys::patch_survey,
            surveys::delete_survey
        ))
        .routes(routes!(surveys::get_definition))
        .routes(routes!(surveys::invite))
        .routes(routes!(surveys::rotate_secret))
        .routes(routes!(surveys::list_responses))
        .routes(routes!(surveys::servqual))
        .routes(routes!(surveys::log_complaint))
        .routes(routes!(
            analytics::get_organisation,
            analytics::update_organisation
        ))
        .routes(routes!(audit::list_audit))
        .routes(routes!(units::list_units, units::create_unit))
        .routes(routes!(
            units::get_unit,
            units::put_unit,
            units::delete_unit
        ))
}

/// The served OpenAPI document ([`contract::exact`]).
pub fn openapi() -> serde_json::Value {
    contract::exact(api_routes().split_for_parts().1)
}

pub fn router(state: AppState) -> Router {
    let (api, doc) = api_routes().split_for_parts();
    let doc = Arc::new(contract::exact(doc));
    let api = api
        .route(
            "/api/v1/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        // Inside the key check: without a key, no answer tells which endpoints exist.
        .route("/api/v1/{*rest}", axum::routing::any(no_such_endpoint))
        // Inside the key check, which names the actor.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::audit::record,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_api_key,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api)
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take this method",
            )
        })
        .layer(axum::middleware::from_fn(
            crate::extract::refuse_nul_address,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn no_such_endpoint() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn healthz() -> &'static str {
    "ok"
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> From<Page<T>> for ListResponse<T> {
    fn from(page: Page<T>) -> Self {
        ListResponse {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// A query string's parameters, or the API's error shape when they do not parse.
pub(crate) fn query_params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(params)| params)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
}

/// Reads the list parameters, with the API's error shape.
pub(crate) fn list_params(
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<(dosvid_store::Filter, dosvid_store::PageRequest), ApiError> {
    let params = query_params(query)?;
    Ok((params.filter(Utc::now())?, params.page()?))
}

/// The `{id}` of a path; an id that is not a number names nothing, so it is a 404.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_found", e.body_text()))?;
        raw.parse().map(Id).map_err(|_| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no record with id '{raw}'"),
            )
        })
    }
}
