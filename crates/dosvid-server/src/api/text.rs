//! What Dosvid reads in comments: `/api/v1/text/analyze` for texts sent ad hoc, the theme
//! taxonomy (`/api/v1/themes`), and what the themes of the stored comments weigh.

use axum::extract::State;
use axum::{Extension, Json};
use dosvid_analytics::{ThemeReport, ThemeReportRequest};
use dosvid_domain::FieldError;
use dosvid_domain::limits::{MAX_BATCH_RECORDS, MAX_COMMENT_CHARS};
use dosvid_text::{Analysis, Taxonomy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// Up to 10,000 texts of up to 10,000 characters each.
    texts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyzeResponse {
    /// One analysis per text, in order.
    analyses: Vec<Analysis>,
}

/// Language, garbage (with the reason), sentiment, emotions and themes (with the organisation's
/// taxonomy) of each text.
#[utoipa::path(post, path = "/api/v1/text/analyze", tag = "text", request_body = AnalyzeRequest,
    responses((status = 200, body = AnalyzeResponse), (status = 422, body = ErrorBody)))]
pub async fn analyze(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<AnalyzeRequest>,
) -> Result<Json<AnalyzeResponse>, ApiError> {
    if request.texts.len() > MAX_BATCH_RECORDS {
        return Err(ApiError::invalid(FieldError::new(
            "texts",
            format!("at most {MAX_BATCH_RECORDS} texts"),
        )));
    }
    if let Some(i) = request
        .texts
        .iter()
        .position(|t| t.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(ApiError::invalid(FieldError::new(
            format!("texts[{i}]"),
            format!("at most {MAX_COMMENT_CHARS} characters"),
        )));
    }
    let analytics = state.analytics.clone();
    let analyses = state
        .run(move |store| {
            let themes = analytics.themes(store, auth.org)?;
            Ok(request
                .texts
                .iter()
                .map(|t| dosvid_text::analyze_with(t, &themes))
                .collect())
        })
        .await?;
    Ok(Json(AnalyzeResponse { analyses }))
}

/// The organisation's theme taxonomy: every theme with its names and patterns by language.
#[utoipa::path(get, path = "/api/v1/themes", tag = "text",
    responses((status = 200, body = Taxonomy)))]
pub async fn get_themes(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Taxonomy>, ApiError> {
    Ok(Json(
        state.run(move |store| store.taxonomy(auth.org)).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomyUpdated {
    /// Themes in the new taxonomy.
    themes: usize,
    /// Stored comments tagged again with it.
    tagged: u64,
}

/// Replace the theme taxonomy. Every stored comment is tagged again before the answer, so the
/// next question counts by the new themes. A theme's key names its parent (`time.queue` is
/// under `time`); a pattern word ending in `*` matches the words it begins, others match by stem.
#[utoipa::path(put, path = "/api/v1/themes", tag = "text", request_body = Taxonomy,
    responses((status = 200, body = TaxonomyUpdated), (status = 422, body = ErrorBody)))]
pub async fn put_themes(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(taxonomy): ApiJson<Taxonomy>,
) -> Result<Json<TaxonomyUpdated>, ApiError> {
    let analytics = state.analytics.clone();
    let updated = state
        .run(move |store| {
            let result = store.set_taxonomy(auth.org, &taxonomy);
            if result.is_ok() {
                analytics.taxonomy_changed(auth.org);
            }
            let (_, tagged) = result?;
            Ok(TaxonomyUpdated {
                themes: taxonomy.themes.len(),
                tagged,
            })
        })
        .await?;
    Ok(Json(updated))
}

/// Every theme's volume, share of the readable comments, mean sentiment, and the NPS of those
/// who mention it against those who do not (its impact on loyalty, with significance).
#[utoipa::path(post, path = "/api/v1/themes/report", tag = "text", request_body = ThemeReportRequest,
    responses((status = 200, body = ThemeReport), (status = 422, body = ErrorBody)))]
pub async fn theme_report(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<ThemeReportRequest>,
) -> Result<Json<ThemeReport>, ApiError> {
    Ok(Json(
        state
            .ask(auth.org, move |index| index.theme_report(&request))
            .await?,
    ))
}
