//! Diagnosing the company (issue 22): thin handlers over `crate::diagnosis` and
//! `crate::research`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::Utc;
use dosvid_domain::FieldError;
use dosvid_domain::diagnosis::{
    AssessmentAnswer, AssessmentDefinition, DocumentKind, ITEMS, Item, MaturityThresholds,
    PromiseDefinition, StandardDefinition, StudyDefinition, TemplateDocument,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Id, query_params};
use crate::diagnosis::{
    self, Assessment, AssessmentReport, Gaps, GapsParams, Maturity, PeriodParams, Promise,
    Standard, StoredAnswer,
};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth};
use crate::research::{self, Study, StudySearch, Template};
use crate::{ApiError, AppState};

/// The readiness questionnaire: three statements per block, one per kind of external support
/// and one per maturity level, each answered on agreement from 1 to 5, in uk/en/ru.
#[utoipa::path(get, path = "/api/v1/assessment-questionnaire", tag = "diagnosis",
    responses((status = 200, body = Vec<Item>)))]
pub async fn questionnaire() -> Json<&'static [Item]> {
    Json(&ITEMS)
}

/// Readiness assessments, oldest first by the day they stand for.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "diagnosis",
    responses((status = 200, body = Vec<Assessment>)))]
pub async fn list_assessments(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Assessment>>, ApiError> {
    Ok(Json(
        state
            .run(move |s| diagnosis::list_assessments(s, auth.org))
            .await?,
    ))
}

/// Start a readiness assessment; people then answer it (`/answers`).
#[utoipa::path(post, path = "/api/v1/assessments", tag = "diagnosis", request_body = AssessmentDefinition,
    responses((status = 201, body = Assessment), (status = 422, body = ErrorBody)))]
pub async fn create_assessment(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(definition): ApiJson<AssessmentDefinition>,
) -> Result<(StatusCode, Json<Assessment>), ApiError> {
    let a = state
        .run(move |s| diagnosis::create_assessment(s, auth.org, definition, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// An assessment with its answers scored: each block and kind of support 0–100 with the spread
/// between respondents, weakest first, with recommendations for the weak ones; the
/// self-assessed maturity level.
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 200, body = AssessmentReport), (status = 404, body = ErrorBody)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<AssessmentReport>, ApiError> {
    Ok(Json(
        state
            .run(move |s| diagnosis::assessment_report(s, auth.org, id))
            .await?,
    ))
}

/// Change an assessment's title, day, note or survey; its answers stay.
#[utoipa::path(put, path = "/api/v1/assessments/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = AssessmentDefinition,
    responses((status = 200, body = Assessment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_assessment(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(definition): ApiJson<AssessmentDefinition>,
) -> Result<Json<Assessment>, ApiError> {
    Ok(Json(
        state
            .run(move |s| diagnosis::update_assessment(s, auth.org, id, definition, Utc::now()))
            .await?,
    ))
}

/// Delete an assessment with its answers.
#[utoipa::path(delete, path = "/api/v1/assessments/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_assessment(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_document(auth.org, DocumentKind::Assessment, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One person's answers; answering again under the same name replaces the earlier answers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/answers", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = AssessmentAnswer,
    responses((status = 201, body = StoredAnswer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_assessment(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(answer): ApiJson<AssessmentAnswer>,
) -> Result<(StatusCode, Json<StoredAnswer>), ApiError> {
    let stored = state
        .run(move |s| diagnosis::answer(s, auth.org, id, answer, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// How long an assessment's link is valid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    /// Days (default 30).
    #[schema(minimum = 1, maximum = 365)]
    pub days: Option<u32>,
}

/// A link to the assessment, signed like a survey invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentInvitation {
    /// The page anyone holding the link answers on, without an account.
    pub url: String,
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
}

/// A link the company's people answer the assessment through without an account (each gives
/// their name); it expires after `days`.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/invitations", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = InvitationRequest,
    responses((status = 201, body = AssessmentInvitation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite_to_assessment(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: axum::http::HeaderMap,
    Id(id): Id,
    ApiJson(request): ApiJson<InvitationRequest>,
) -> Result<(StatusCode, Json<AssessmentInvitation>), ApiError> {
    let days = request.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(FieldError::new("days", "must be from 1 to 365").into());
    }
    let (token, expires_at) = state
        .run(move |s| diagnosis::invitation_token(s, auth.org, id, days, Utc::now()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AssessmentInvitation {
            url: format!("{}/a/{token}", state.base_url(&headers)),
            token,
            expires_at,
        }),
    ))
}

/// Interaction maturity: each level's evidence from the company's data (its figures and
/// thresholds), the level reached — the highest whose evidence holds with every level's below
/// it — beside the latest self-assessment.
#[utoipa::path(get, path = "/api/v1/maturity", tag = "diagnosis", params(PeriodParams),
    responses((status = 200, body = Maturity), (status = 422, body = ErrorBody)))]
pub async fn maturity(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<PeriodParams>, QueryRejection>,
) -> Result<Json<Maturity>, ApiError> {
    let params = query_params(params)?;
    let org = auth.org;
    Ok(Json(
        state
            .with_index(&auth.principal, move |s, index| {
                let now = Utc::now();
                let period = params.period(index, now)?;
                diagnosis::maturity(s, index, org, period, now)
            })
            .await?,
    ))
}

/// Every maturity criterion's threshold (defaults where none was set).
#[utoipa::path(get, path = "/api/v1/maturity/thresholds", tag = "diagnosis",
    responses((status = 200, body = MaturityThresholds)))]
pub async fn get_thresholds(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<MaturityThresholds>, ApiError> {
    Ok(Json(
        state
            .run(move |s| diagnosis::all_thresholds(s, auth.org))
            .await?,
    ))
}

/// Set thresholds: criterion key → threshold; a criterion left out keeps its default.
#[utoipa::path(put, path = "/api/v1/maturity/thresholds", tag = "diagnosis", request_body = MaturityThresholds,
    responses((status = 200, body = MaturityThresholds), (status = 422, body = ErrorBody)))]
pub async fn put_thresholds(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(thresholds): ApiJson<MaturityThresholds>,
) -> Result<Json<MaturityThresholds>, ApiError> {
    Ok(Json(
        state
            .run(move |s| diagnosis::set_thresholds(s, auth.org, thresholds, Utc::now()))
            .await?,
    ))
}

/// Service standards set from the expectations (gap 2), held against delivery (gap 3).
#[utoipa::path(get, path = "/api/v1/standards", tag = "diagnosis",
    responses((status = 200, body = Vec<Standard>)))]
pub async fn list_standards(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Standard>>, ApiError> {
    let list = state
        .run(move |s| diagnosis::list::<StandardDefinition>(s, auth.org))
        .await?;
    Ok(Json(list.into_iter().map(diagnosis::standard).collect()))
}

/// Record a standard: a metric, its target and the touchpoint (by `touchpoint` key or
/// `touchpoint_id`; none: every touchpoint), e.g. interactions at `contact-centre.queue` within
/// 120 seconds.
#[utoipa::path(post, path = "/api/v1/standards", tag = "diagnosis", request_body = StandardDefinition,
    responses((status = 201, body = Standard), (status = 422, body = ErrorBody)))]
pub async fn create_standard(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(definition): ApiJson<StandardDefinition>,
) -> Result<(StatusCode, Json<Standard>), ApiError> {
    let saved = state
        .run(move |s| diagnosis::save(s, auth.org, None, definition, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(diagnosis::standard(saved))))
}

/// Replace a standard.
#[utoipa::path(put, path = "/api/v1/standards/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = StandardDefinition,
    responses((status = 200, body = Standard), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_standard(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(definition): ApiJson<StandardDefinition>,
) -> Result<Json<Standard>, ApiError> {
    let saved = state
        .run(move |s| diagnosis::save(s, auth.org, Some(id), definition, Utc::now()))
        .await?;
    Ok(Json(diagnosis::standard(saved)))
}

#[utoipa::path(delete, path = "/api/v1/standards/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_standard(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_document(auth.org, DocumentKind::Standard, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Promises made in the company's communications (gap 4).
#[utoipa::path(get, path = "/api/v1/promises", tag = "diagnosis",
    responses((status = 200, body = Vec<Promise>)))]
pub async fn list_promises(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Promise>>, ApiError> {
    let list = state
        .run(move |s| diagnosis::list::<PromiseDefinition>(s, auth.org))
        .await?;
    Ok(Json(list.into_iter().map(diagnosis::promise).collect()))
}

/// Record a promise: what was said, where and when, and the target it sets.
#[utoipa::path(post, path = "/api/v1/promises", tag = "diagnosis", request_body = PromiseDefinition,
    responses((status = 201, body = Promise), (status = 422, body = ErrorBody)))]
pub async fn create_promise(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(definition): ApiJson<PromiseDefinition>,
) -> Result<(StatusCode, Json<Promise>), ApiError> {
    let saved = state
        .run(move |s| diagnosis::save(s, auth.org, None, definition, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(diagnosis::promise(saved))))
}

/// Replace a promise.
#[utoipa::path(put, path = "/api/v1/promises/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = PromiseDefinition,
    responses((status = 200, body = Promise), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_promise(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(definition): ApiJson<PromiseDefinition>,
) -> Result<Json<Promise>, ApiError> {
    let saved = state
        .run(move |s| diagnosis::save(s, auth.org, Some(id), definition, Utc::now()))
        .await?;
    Ok(Json(diagnosis::promise(saved)))
}

#[utoipa::path(delete, path = "/api/v1/promises/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_promise(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_document(auth.org, DocumentKind::Promise, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The five gaps of the service-quality model in the period: 1 — customers' expectations against
/// what the company's people think they are; 2 — customers' answers at touchpoints no standard
/// governs; 3 — delivery that missed its standards; 4 — delivery that missed what was promised;
/// 5 — SERVQUAL, perception − expectation. Each with its interval, the previous period's figure
/// and where it is widest.
#[utoipa::path(get, path = "/api/v1/gaps", tag = "diagnosis", params(GapsParams),
    responses((status = 200, body = Gaps), (status = 422, body = ErrorBody)))]
pub async fn gaps(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<GapsParams>, QueryRejection>,
) -> Result<Json<Gaps>, ApiError> {
    let params = query_params(params)?;
    let survey = params.survey()?;
    let org = auth.org;
    Ok(Json(
        state
            .with_index(&auth.principal, move |s, index| {
                let now = Utc::now();
                let period = params.period().period(index, now)?;
                diagnosis::gaps(s, index, org, period, survey, now)
            })
            .await?,
    ))
}

/// The research repository: studies found by words, method, touchpoint (with everything below
/// it) or theme, newest first.
#[utoipa::path(get, path = "/api/v1/studies", tag = "diagnosis", params(StudySearch),
    responses((status = 200, body = Vec<Study>), (status = 422, body = ErrorBody)))]
pub async fn list_studies(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<StudySearch>, QueryRejection>,
) -> Result<Json<Vec<Study>>, ApiError> {
    let search = query_params(params)?;
    Ok(Json(
        state
            .run(move |s| research::search_studies(s, auth.org, &search))
            .await?,
    ))
}

/// Record a study: its method, participants (customers linked by `customer_id`), notes and
/// quotes tagged with touchpoints and themes (a note without themes gets those the text
/// analysis reads in it), attachments' text, and for five whys the chain with its root cause.
#[utoipa::path(post, path = "/api/v1/studies", tag = "diagnosis", request_body = StudyDefinition,
    responses((status = 201, body = Study), (status = 422, body = ErrorBody)))]
pub async fn create_study(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(definition): ApiJson<StudyDefinition>,
) -> Result<(StatusCode, Json<Study>), ApiError> {
    let study = state
        .run(move |s| research::save_study(s, auth.org, None, definition, Utc::now()))
        .await?;
    Ok((StatusCode::CREATED, Json(study)))
}

#[utoipa::path(get, path = "/api/v1/studies/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 200, body = Study), (status = 404, body = ErrorBody)))]
pub async fn get_study(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Study>, ApiError> {
    Ok(Json(
        state
            .run(move |s| research::get_study(s, auth.org, id))
            .await?,
    ))
}

/// Replace a study.
#[utoipa::path(put, path = "/api/v1/studies/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = StudyDefinition,
    responses((status = 200, body = Study), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_study(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(definition): ApiJson<StudyDefinition>,
) -> Result<Json<Study>, ApiError> {
    Ok(Json(
        state
            .run(move |s| research::save_study(s, auth.org, Some(id), definition, Utc::now()))
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/studies/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_study(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_document(auth.org, DocumentKind::Study, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Analytical templates: empathy maps, points of view, how-might-we questions, value
/// proposition and journey map canvases.
#[utoipa::path(get, path = "/api/v1/templates", tag = "diagnosis",
    responses((status = 200, body = Vec<Template>)))]
pub async fn list_templates(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Vec<Template>>, ApiError> {
    let list = state
        .run(move |s| {
            s.list_documents(auth.org, DocumentKind::Template, None)?
                .iter()
                .map(research::template)
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(list))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// `uk`, `en` or `ru`: fill the empty sections the data speaks to (what the segment says and
    /// feels, its pains and gains, the journey's stages and the touchpoints that hurt), written
    /// in this language. Absent: nothing is filled.
    #[param(pattern = "^(uk|en|ru)$")]
    pub prefill: Option<String>,
}

fn language(field: &str, raw: Option<&str>) -> Result<Option<&'static str>, FieldError> {
    match raw {
        None => Ok(None),
        Some(raw) => ["uk", "en", "ru"]
            .into_iter()
            .find(|l| *l == raw)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "must be uk, en or ru")),
    }
}

/// Start a template, prefilled from the data when `prefill` names a language.
#[utoipa::path(post, path = "/api/v1/templates", tag = "diagnosis", params(TemplateParams),
    request_body = TemplateDocument,
    responses((status = 201, body = Template), (status = 422, body = ErrorBody)))]
pub async fn create_template(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    params: Result<Query<TemplateParams>, QueryRejection>,
    ApiJson(document): ApiJson<TemplateDocument>,
) -> Result<(StatusCode, Json<Template>), ApiError> {
    let params = query_params(params)?;
    let prefill = language("prefill", params.prefill.as_deref())?;
    let org = auth.org;
    let made = state
        .with_index(&auth.principal, move |s, index| {
            research::save_template(s, index, org, None, document, prefill, Utc::now())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 200, body = Template), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<Template>, ApiError> {
    Ok(Json(
        state
            .run(move |s| {
                research::template(&s.get_document(auth.org, DocumentKind::Template, id)?)
            })
            .await?,
    ))
}

/// Replace a template's title, segment and sections.
#[utoipa::path(put, path = "/api/v1/templates/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    request_body = TemplateDocument,
    responses((status = 200, body = Template), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_template(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    ApiJson(document): ApiJson<TemplateDocument>,
) -> Result<Json<Template>, ApiError> {
    let org = auth.org;
    Ok(Json(
        state
            .with_index(&auth.principal, move |s, index| {
                s.get_document(org, DocumentKind::Template, id)?;
                research::save_template(s, index, org, Some(id), document, None, Utc::now())
            })
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "diagnosis", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_template(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state
        .run(move |s| s.delete_document(auth.org, DocumentKind::Template, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MarkdownParams {
    /// The language of the sections' names: `uk` (default), `en` or `ru`.
    #[param(pattern = "^(uk|en|ru)$")]
    pub language: Option<String>,
}

/// A template as Markdown.
#[utoipa::path(get, path = "/api/v1/templates/{id}/markdown", tag = "diagnosis",
    params(("id" = i64, Path), MarkdownParams),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn template_markdown(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    params: Result<Query<MarkdownParams>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let params = query_params(params)?;
    let lang = language("language", params.language.as_deref())?.unwrap_or("uk");
    let t = state
        .run(move |s| research::template(&s.get_document(auth.org, DocumentKind::Template, id)?))
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        t.document.markdown(lang),
    ))
}
