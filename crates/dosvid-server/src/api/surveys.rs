//! Surveys through the API: definitions (the JSON a survey is written, imported and exported
//! in), personal invitations under the fatigue rule, responses (JSON or CSV), SERVQUAL gaps,
//! and complaints or reviews logged on a customer's behalf.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use dosvid_domain::survey::{Invitation, Survey, SurveyDefinition, SurveyResponse, SurveyStatus};
use dosvid_domain::{CustomerRef, FieldError};
use dosvid_store::{InvitationRequest, PageRequest, all_pages};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Id, ListResponse, list_params};
use crate::complaints::{ComplaintInput, ComplaintLogged};
use crate::error::ErrorBody;
use crate::extract::{ApiJson, Auth, ListParams};
use crate::servqual::ServqualReport;
use crate::{ApiError, AppState};

/// A survey with its public link.
#[derive(Serialize, ToSchema)]
pub struct SurveyView {
    #[serde(flatten)]
    pub survey: Survey,
    /// The anonymous link anyone may answer through.
    pub public_url: String,
}

fn view(state: &AppState, headers: &HeaderMap, org: i64, survey: Survey) -> SurveyView {
    SurveyView {
        public_url: format!("{}/s/{org}/{}", state.base_url(headers), survey.key),
        survey,
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// `active` (default: takes answers at once), `draft` or `closed`.
    pub status: Option<String>,
}

fn status(raw: Option<&str>) -> Result<Option<SurveyStatus>, ApiError> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            SurveyStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(FieldError::new("status", "must be draft, active or closed"))
            })
        })
        .transpose()
}

/// Create a survey from its definition (the same JSON `GET …/definition` exports).
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", params(CreateParams), request_body = SurveyDefinition,
    responses((status = 201, body = SurveyView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_survey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Query(params): Query<CreateParams>,
    ApiJson(definition): ApiJson<SurveyDefinition>,
) -> Result<(StatusCode, Json<SurveyView>), ApiError> {
    let definition = definition.validate()?;
    let status = status(params.status.as_deref())?.unwrap_or(SurveyStatus::Active);
    let survey = state
        .run(move |s| s.create_survey(auth.org, definition, status, Utc::now()))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, &headers, auth.org, survey)),
    ))
}

/// List surveys.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", params(ListParams),
    responses((status = 200, body = ListResponse<SurveyView>)))]
pub async fn list_surveys(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ListResponse<SurveyView>>, ApiError> {
    let (_, page) = list_params(query)?;
    let surveys = state.run(move |s| s.list_surveys(auth.org, page)).await?;
    Ok(Json(ListResponse {
        items: surveys
            .items
            .into_iter()
            .map(|s| view(&state, &headers, auth.org, s))
            .collect(),
        next_cursor: surveys.next_cursor,
    }))
}

/// Get a survey with its current definition.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyView), (status = 404, body = ErrorBody)))]
pub async fn get_survey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Id(id): Id,
) -> Result<Json<SurveyView>, ApiError> {
    let survey = state.run(move |s| s.get_survey(auth.org, id)).await?;
    Ok(Json(view(&state, &headers, auth.org, survey)))
}

/// Replace the definition: a changed definition becomes the next version; responses keep the
/// version they answered.
#[utoipa::path(put, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)), request_body = SurveyDefinition,
    responses((status = 200, body = SurveyView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_survey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Id(id): Id,
    ApiJson(definition): ApiJson<SurveyDefinition>,
) -> Result<Json<SurveyView>, ApiError> {
    let definition = definition.validate()?;
    let survey = state
        .run(move |s| s.update_survey(auth.org, id, Some(definition), None, Utc::now()))
        .await?;
    Ok(Json(view(&state, &headers, auth.org, survey)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyPatch {
    pub status: SurveyStatus,
}

/// Open, pause (draft) or close a survey.
#[utoipa::path(patch, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)), request_body = SurveyPatch,
    responses((status = 200, body = SurveyView), (status = 404, body = ErrorBody)))]
pub async fn patch_survey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Id(id): Id,
    ApiJson(patch): ApiJson<SurveyPatch>,
) -> Result<Json<SurveyView>, ApiError> {
    let survey = state
        .run(move |s| s.update_survey(auth.org, id, None, Some(patch.status), Utc::now()))
        .await?;
    Ok(Json(view(&state, &headers, auth.org, survey)))
}

/// Delete a survey nobody has answered (one with responses can only be closed).
#[utoipa::path(delete, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_survey(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    state.run(move |s| s.delete_survey(auth.org, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The definition alone: the file to keep, edit and import again with `POST /api/v1/surveys`.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/definition", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDefinition), (status = 404, body = ErrorBody)))]
pub async fn get_definition(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
) -> Result<Json<SurveyDefinition>, ApiError> {
    let survey = state.run(move |s| s.get_survey(auth.org, id)).await?;
    Ok(Json(survey.definition))
}

/// Who to invite: a known customer (by id, CRM id, e-mail or phone), optionally about one of
/// their interactions.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationInput {
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    /// The interaction the answer is about; the feedback record takes its touchpoint and channel.
    pub interaction_id: Option<i64>,
    /// The page language (`uk`, `en`, `ru`); default: the customer's browser, then the survey's.
    pub language: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    #[serde(flatten)]
    pub invitation: Invitation,
    /// The personal link to send to the customer.
    pub url: String,
    pub token: String,
}

/// How long links signed with the replaced secret stay valid, unless the request says.
const DEFAULT_GRACE_DAYS: i64 = 30;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretInput {
    /// Days links already sent (personal invitations, responses in progress) stay valid; 0
    /// invalidates them at once (after a leak). Default 30, at most 365.
    pub grace_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SecretRotated {
    /// Links signed before the rotation are accepted until then.
    pub previous_accepted_until: DateTime<Utc>,
}

/// Sign survey links and forms with a new secret from now on. Links already sent stay valid for
/// `grace_days`; after a leak, rotate with `grace_days: 0`.
#[utoipa::path(post, path = "/api/v1/surveys/secret:rotate", tag = "surveys", request_body = RotateSecretInput,
    responses((status = 200, body = SecretRotated), (status = 422, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<RotateSecretInput>,
) -> Result<Json<SecretRotated>, ApiError> {
    let days = input.grace_days.unwrap_or(DEFAULT_GRACE_DAYS);
    if !(0..=365).contains(&days) {
        return Err(ApiError::invalid(FieldError::new(
            "grace_days",
            "must be a whole number of days from 0 to 365",
        )));
    }
    let until = Utc::now() + chrono::Duration::days(days);
    state
        .run(move |s| s.rotate_survey_secret(auth.org, until))
        .await?;
    Ok(Json(SecretRotated {
        previous_accepted_until: until,
    }))
}

/// Invite a customer ("survey customer X about interaction Y"): returns the personal link, or
/// says why not — the survey is not active (409 `survey_not_active`) or the customer was asked
/// too recently (409 `survey_fatigue`, with the date the next invitation is possible).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/invitations", tag = "surveys", params(("id" = i64, Path)), request_body = InvitationInput,
    responses((status = 201, body = InvitationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Id(id): Id,
    ApiJson(input): ApiJson<InvitationInput>,
) -> Result<(StatusCode, Json<InvitationView>), ApiError> {
    let customer = CustomerRef::from_fields(
        input.customer_id,
        input.customer_external_id.as_deref(),
        input.customer_email.as_deref(),
        input.customer_phone.as_deref(),
    )?
    .ok_or_else(|| {
        FieldError::new(
            "customer_id",
            "name the customer: customer_id, customer_external_id, customer_email or customer_phone",
        )
    })?;
    let language = dosvid_domain::error::language("language", input.language.as_deref())?;
    let request = InvitationRequest {
        customer,
        interaction_id: input.interaction_id,
        language,
    };
    let (invitation, secret) = state
        .run(move |s| {
            let survey = s.get_survey(auth.org, id)?;
            if survey.status != SurveyStatus::Active {
                return Ok(Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "survey_not_active",
                    format!(
                        "the survey is {}; activate it to invite customers",
                        survey.status.as_str()
                    ),
                )
                .with_field("status")));
            }
            let invited = s.invite(auth.org, &survey, &request, Utc::now())?;
            Ok(Ok((invited, s.survey_secrets(auth.org)?)))
        })
        .await??;
    let invitation = invitation.map_err(|refused| {
        ApiError::new(StatusCode::CONFLICT, "survey_fatigue", refused.message)
            .with_field("customer")
    })?;
    let token = secret
        .signer()
        .invitation_token(auth.org, invitation.id, invitation.expires_at);
    Ok((
        StatusCode::CREATED,
        Json(InvitationView {
            url: format!("{}/p/{token}", state.base_url(&headers)),
            token,
            invitation,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseParams {
    /// `json` (default, paged) or `csv` (every response, one row each).
    pub format: Option<String>,
    /// `completed` for finished responses only.
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
    /// Responses started from (inclusive).
    pub from: Option<String>,
    /// Responses started before (exclusive).
    pub to: Option<String>,
    pub customer_id: Option<String>,
}

/// A survey's responses with their full answer sets, as JSON pages or as one CSV file with a
/// column per question (a SERVQUAL item gives two: `id.expectation`, `id.perception`).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses", tag = "surveys", params(("id" = i64, Path), ResponseParams),
    responses((status = 200, body = ListResponse<SurveyResponse>), (status = 404, body = ErrorBody)))]
pub async fn list_responses(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    query: Result<Query<ResponseParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = super::query_params(query)?;
    let list = ListParams {
        cursor: params.cursor,
        limit: params.limit,
        from: params.from,
        to: params.to,
        customer_id: params.customer_id,
        ..Default::default()
    };
    let filter = list.filter(Utc::now())?;
    let page = list.page()?;
    let completed = match params.status.as_deref() {
        None | Some("") => false,
        Some("completed") => true,
        Some(_) => return Err(FieldError::new("status", "must be 'completed' or absent").into()),
    };
    match params.format.as_deref() {
        None | Some("") | Some("json") => {
            let responses = state
                .run(move |s| {
                    s.get_survey(auth.org, id)?;
                    s.list_responses(auth.org, id, &filter, completed, page)
                })
                .await?;
            Ok(Json(ListResponse::from(responses)).into_response())
        }
        Some("csv") => {
            let (survey, responses) = state
                .run(move |s| {
                    let survey = s.get_survey(auth.org, id)?;
                    let responses = all_pages(|p: PageRequest| {
                        s.list_responses(auth.org, id, &filter, completed, p)
                    })?;
                    Ok((survey, responses))
                })
                .await?;
            let csv = crate::download::responses_csv(&survey.definition, &responses)
                .map_err(ApiError::internal)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{}-responses.csv\"", survey.key),
                    ),
                ],
                csv,
            )
                .into_response())
        }
        Some(_) => Err(FieldError::new("format", "must be json or csv").into()),
    }
}

/// SERVQUAL gaps (gap 5 of the service-quality model: perceived − expected) of a survey's
/// finished responses, per item, per dimension and overall. Items are named by question id and
/// take their dimension from the version each response answered.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/servqual", tag = "surveys", params(("id" = i64, Path), ListParams),
    responses((status = 200, body = ServqualReport), (status = 404, body = ErrorBody)))]
pub async fn servqual(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Id(id): Id,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<ServqualReport>, ApiError> {
    let (filter, _) = list_params(query)?;
    let report = state
        .run(move |s| crate::servqual::report(s, auth.org, id, &filter))
        .await?;
    Ok(Json(report))
}

/// Log a complaint or a review on a customer's behalf. It becomes a feedback record with source
/// `complaint` or `review` and attribute `severity`, read like every comment.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "surveys", request_body = ComplaintInput,
    responses((status = 201, body = ComplaintLogged), (status = 422, body = ErrorBody)))]
pub async fn log_complaint(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    ApiJson(input): ApiJson<ComplaintInput>,
) -> Result<(StatusCode, Json<ComplaintLogged>), ApiError> {
    let logged = state
        .operate(&auth.principal, move |op| {
            crate::complaints::log(op, input, Utc::now())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(logged)))
}
