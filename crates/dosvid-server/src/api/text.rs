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

/// The organisation's own sentiment model: what it was fitted to, how it reads the answers on
/// held-out folds against the lexicon, and whether new comments are read with it.
#[utoipa::path(get, path = "/api/v1/text/model", tag = "text",
    responses((status = 200, body = crate::reading::ModelCard), (status = 404, body = ErrorBody)))]
pub async fn get_model(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<crate::reading::ModelCard>, ApiError> {
    state
        .analytics
        .model_card(auth.org)
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no sentiment model was fitted yet; POST /api/v1/text/model:fit fits one",
            )
        })
}

/// Fit the organisation's sentiment model now, to its latest answered comments (NPS or CSAT
/// labels each comment); it is cross-validated against the lexicon and used for new comments
/// only when it reads the answers better.
#[utoipa::path(post, path = "/api/v1/text/model:fit", tag = "text",
    responses((status = 200, body = crate::reading::ModelCard)))]
pub async fn fit_model(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<crate::reading::ModelCard>, ApiError> {
    Ok(Json(
        state
            .operate(&auth.principal, |op| Ok(op.fit_sentiment_model()?))
            .await?,
    ))
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
    let updated = state
        .operate(&auth.principal, move |op| {
            let tagged = op.set_taxonomy(&taxonomy)?;
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
            .ask(&auth.principal, move |index| index.theme_report(&request))
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergingRequest {
    /// The period (a date or time in the organisation's zone, or RFC 3339); it is compared with
    /// the period of the same length just before it.
    from: String,
    to: String,
    /// Phrases in fewer comments are left out (default 5).
    min_comments: Option<u64>,
    /// At most this many phrases (default 20, at most 200).
    limit: Option<usize>,
    /// `growth` (default) or `negative`.
    order: Option<String>,
}

/// Emerging themes: frequent key phrases of a period's comments that no theme covers, against
/// the period before, ranked by growth (or by negative share), each with its related two-word
/// phrases and an example.
#[utoipa::path(post, path = "/api/v1/themes/emerging", tag = "text", request_body = EmergingRequest,
    responses((status = 200, body = crate::questions::EmergingResponse), (status = 422, body = ErrorBody)))]
pub async fn emerging_themes(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(request): ApiJson<EmergingRequest>,
) -> Result<Json<crate::questions::EmergingResponse>, ApiError> {
    let by_negative = match request.order.as_deref() {
        None | Some("growth") => false,
        Some("negative") => true,
        Some(_) => {
            return Err(ApiError::invalid(FieldError::new(
                "order",
                "must be growth or negative",
            )));
        }
    };
    let limit = request.limit.unwrap_or(20);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid(FieldError::new("limit", "must be 1–200")));
    }
    let periods = state
        .ask(&auth.principal, move |index| {
            let zone = index.zone();
            let parse = |field: &str, raw: &str| {
                zone.parse(raw).ok_or_else(|| {
                    FieldError::new(
                        field,
                        "must be a date (2025-06-01), a local time or RFC 3339",
                    )
                })
            };
            let (from, to) = (parse("from", &request.from)?, parse("to", &request.to)?);
            if from >= to {
                return Err(FieldError::new("to", "must be after from"));
            }
            Ok(((from, to), zone.previous_period(from, to)))
        })
        .await?;
    let min_comments = request.min_comments.unwrap_or(5);
    let sight = state.sight(&auth.principal).await?;
    let answer = state
        .run(move |store| {
            let asked = (min_comments, limit, by_negative);
            crate::questions::emerging(store, auth.org, &sight, periods, asked)
        })
        .await?;
    Ok(Json(answer))
}
