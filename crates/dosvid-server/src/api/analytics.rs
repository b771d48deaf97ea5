//! `/api/v1/query` and the organisation's settings that shape its answers.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Json};
use dosvid_analytics::{Index, QueryRequest, QueryResult};
use dosvid_domain::{FieldError, Organisation, OrganisationPatch};

use crate::analytics::read;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth};
use crate::{ApiError, AppState};

impl AppState {
    /// Asks the organisation's analytics index, on a blocking thread (a scan uses every core).
    pub(crate) async fn ask<T: Send + 'static>(
        &self,
        org: dosvid_domain::OrgId,
        f: impl FnOnce(&Index) -> Result<T, FieldError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let analytics = self.analytics.clone();
        let answer = self
            .run(move |store| {
                let index = analytics.index(store, org)?;
                let answer = f(&read(&index));
                Ok(answer)
            })
            .await?;
        answer.map_err(ApiError::invalid)
    }
}

/// Ask a question of the feedback records: measures (n, NPS, CSAT, CES, reach, …) for the
/// records passing the filters, grouped by up to two dimensions, optionally against another
/// period with significance tests. Every value comes with its n, 95% interval and a
/// `low_sample` flag below `min_sample` answers.
#[utoipa::path(post, path = "/api/v1/query", tag = "analytics", request_body = QueryRequest,
    responses((status = 200, body = QueryResult), (status = 422, body = ErrorBody)))]
pub async fn query(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<QueryRequest>,
) -> Result<Json<QueryResult>, ApiError> {
    Ok(Json(
        state
            .ask(auth.org, move |index| index.query(&request))
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisation", tag = "settings",
    responses((status = 200, body = Organisation)))]
pub async fn get_organisation(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(state.run(move |s| s.organisation(auth.org)).await?))
}

/// Rename the organisation or change the time zone its days, weeks and months are counted in.
#[utoipa::path(patch, path = "/api/v1/organisation", tag = "settings", request_body = OrganisationPatch,
    responses((status = 200, body = Organisation), (status = 422, body = ErrorBody)))]
pub async fn update_organisation(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(patch): ApiJson<OrganisationPatch>,
) -> Result<Json<Organisation>, ApiError> {
    let patch = patch.validate()?;
    Ok(Json(
        state
            .write(move |s, analytics| {
                let organisation = s.update_organisation(auth.org, patch)?;
                analytics.zone_changed(auth.org, &organisation.time_zone);
                Ok(organisation)
            })
            .await?,
    ))
}

/// After a successful change to channels, journeys, stages or touchpoints, tells analytics to
/// read them again before its next answer.
pub async fn track_directory_changes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let changes_directory = request.method() != axum::http::Method::GET
        && [
            "/api/v1/channels",
            "/api/v1/journeys",
            "/api/v1/stages",
            "/api/v1/touchpoints",
        ]
        .iter()
        .any(|prefix| request.uri().path().starts_with(prefix));
    let auth = request.extensions().get::<Auth>().copied();
    let response = next.run(request).await;
    if let Some(auth) = auth
        && changes_directory
        && response.status().is_success()
    {
        state.analytics.directory_changed(auth.org);
    }
    response
}
