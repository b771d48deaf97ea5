//! Surveys, their versions, personal invitations and responses. A finished response and the
//! feedback record it becomes are written in one transaction, so the metrics never count half
//! a response and a response is never finished without its record.

use chrono::{DateTime, Duration, Utc};
use dosvid_domain::survey::{
    Answers, Invitation, NewResponse, ResponseStatus, Survey, SurveyDefinition, SurveyResponse,
    SurveyStatus,
};
use dosvid_domain::survey_link::{Fatigued, LastAsked, RetiredSecret, SigningSecrets, fatigue};
use dosvid_domain::{CustomerRef, FieldError, NewFeedback, OrgId, Ref};

use super::{directory, limit, signals};
use crate::sql::{Conn, Query, Row};
use crate::{Filter, Page, PageRequest, Result, StoreError};

const SURVEY_COLUMNS: &str = "s.id, s.key, s.status, s.version, s.touchpoint_id, s.channel_id, \
    s.created_at, s.updated_at, v.definition";
const SURVEY_FROM: &str =
    "FROM surveys s JOIN survey_versions v ON v.survey_id = s.id AND v.version = s.version";

fn json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::backend(format!("stored JSON: {e}")))
}

fn survey_from_row(r: &Row) -> Result<Survey> {
    let status = r.str(2)?;
    Ok(Survey {
        id: r.int(0)?,
        key: r.text(1)?,
        status: SurveyStatus::parse(status)
            .ok_or_else(|| StoreError::backend(format!("unknown survey status {status}")))?,
        version: r.int(3)?,
        touchpoint_id: r.opt_int(4)?,
        channel_id: r.opt_int(5)?,
        created_at: r.time(6)?,
        updated_at: r.time(7)?,
        definition: json(r.str(8)?)?,
    })
}

/// The touchpoint and channel a definition names by key, as ids.
fn placement(
    c: &mut impl Conn,
    org: OrgId,
    def: &SurveyDefinition,
) -> Result<(Option<i64>, Option<i64>)> {
    let mut find = |table: &str, field: &str, key: &Option<String>| -> Result<Option<i64>> {
        let Some(key) = key else { return Ok(None) };
        let sql = format!("SELECT id FROM {table} WHERE org_id = $1 AND key = $2");
        match c.query_opt(&sql, &[org.into(), key.into()])? {
            Some(row) => Ok(Some(row.int(0)?)),
            None => Err(StoreError::Invalid(FieldError::new(
                field,
                format!("no {field} with key '{key}'"),
            ))),
        }
    };
    Ok((
        find("touchpoints", "touchpoint", &def.touchpoint)?,
        find("channels", "channel", &def.channel)?,
    ))
}

fn definition_text(def: &SurveyDefinition) -> Result<String> {
    serde_json::to_string(def).map_err(StoreError::backend)
}

const KEY_TAKEN: &str = "a survey with this key already exists";

pub(super) fn create_survey(
    c: &mut impl Conn,
    org: OrgId,
    def: &SurveyDefinition,
    status: SurveyStatus,
    now: DateTime<Utc>,
) -> Result<Survey> {
    let (touchpoint, channel) = placement(c, org, def)?;
    let id = c
        .insert_id(
            "INSERT INTO surveys (org_id, key, status, version, touchpoint_id, channel_id, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $5, $6, $6)",
            &[org.into(), (&def.key).into(), status.as_str().into(), touchpoint.into(), channel.into(), now.into()],
        )
        .map_err(|e| e.in_context("key", KEY_TAKEN, ""))?;
    c.execute(
        "INSERT INTO survey_versions (org_id, survey_id, version, definition, created_at) VALUES ($1, $2, 1, $3, $4)",
        &[org.into(), id.into(), definition_text(def)?.into(), now.into()],
    )?;
    get_survey(c, org, id)
}

pub(super) fn get_survey(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Survey> {
    let sql = format!("SELECT {SURVEY_COLUMNS} {SURVEY_FROM} WHERE s.org_id = $1 AND s.id = $2");
    c.query_opt(&sql, &[org.into(), id.into()])?
        .map(|r| survey_from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::not_found("survey", id))
}

pub(super) fn survey_by_key(c: &mut impl Conn, org: OrgId, key: &str) -> Result<Survey> {
    let sql = format!("SELECT {SURVEY_COLUMNS} {SURVEY_FROM} WHERE s.org_id = $1 AND s.key = $2");
    c.query_opt(&sql, &[org.into(), key.into()])?
        .map(|r| survey_from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::not_found("survey", key))
}

/// A changed definition becomes the next version; an unchanged one changes nothing.
pub(super) fn update_survey(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    def: Option<&SurveyDefinition>,
    status: Option<SurveyStatus>,
    now: DateTime<Utc>,
) -> Result<Survey> {
    let current = get_survey(c, org, id)?;
    if let Some(def) = def.filter(|d| **d != current.definition) {
        let (touchpoint, channel) = placement(c, org, def)?;
        let version = current.version + 1;
        c.execute(
            "INSERT INTO survey_versions (org_id, survey_id, version, definition, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[org.into(), id.into(), version.into(), definition_text(def)?.into(), now.into()],
        )?;
        c.execute(
            "UPDATE surveys SET key = $1, version = $2, touchpoint_id = $3, channel_id = $4, updated_at = $5 \
             WHERE org_id = $6 AND id = $7",
            &[(&def.key).into(), version.into(), touchpoint.into(), channel.into(), now.into(), org.into(), id.into()],
        )
        .map_err(|e| e.in_context("key", KEY_TAKEN, ""))?;
    }
    if let Some(status) = status.filter(|s| *s != current.status) {
        c.execute(
            "UPDATE surveys SET status = $1, updated_at = $2 WHERE org_id = $3 AND id = $4",
            &[status.as_str().into(), now.into(), org.into(), id.into()],
        )?;
    }
    get_survey(c, org, id)
}

/// Deletes a survey nobody has answered; one with responses can only be closed.
pub(super) fn delete_survey(c: &mut impl Conn, org: OrgId, id: i64) -> Result<()> {
    get_survey(c, org, id)?;
    let answered = c.query_opt(
        "SELECT 1 FROM survey_responses WHERE org_id = $1 AND survey_id = $2 LIMIT 1",
        &[org.into(), id.into()],
    )?;
    if answered.is_some() {
        return Err(StoreError::Conflict {
            field: "id".into(),
            message: "the survey has responses; close it instead (status: closed)".into(),
        });
    }
    for sql in [
        "DELETE FROM survey_invitations WHERE org_id = $1 AND survey_id = $2",
        "DELETE FROM survey_versions WHERE org_id = $1 AND survey_id = $2",
        "DELETE FROM surveys WHERE org_id = $1 AND id = $2",
    ] {
        c.execute(sql, &[org.into(), id.into()])?;
    }
    Ok(())
}

pub(super) fn list_surveys(
    c: &mut impl Conn,
    org: OrgId,
    page: PageRequest,
) -> Result<Page<Survey>> {
    let limit = limit(page);
    let sql = format!(
        "SELECT {SURVEY_COLUMNS} {SURVEY_FROM} WHERE s.org_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3"
    );
    let rows = c.query(
        &sql,
        &[
            org.into(),
            page.after.unwrap_or(0).into(),
            i64::from(limit + 1).into(),
        ],
    )?;
    let surveys = rows
        .iter()
        .map(survey_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(surveys, limit, |s| s.id))
}

pub(super) fn survey_version(
    c: &mut impl Conn,
    org: OrgId,
    survey: i64,
    version: i64,
) -> Result<SurveyDefinition> {
    let row = c
        .query_opt(
            "SELECT definition FROM survey_versions WHERE org_id = $1 AND survey_id = $2 AND version = $3",
            &[org.into(), survey.into(), version.into()],
        )?
        .ok_or_else(|| StoreError::not_found("survey version", format!("{survey}/{version}")))?;
    json(row.str(0)?)
}

/// The organisation's stored secrets for signing links, if it has one yet.
pub(super) fn stored_secrets(c: &mut impl Conn, org: OrgId) -> Result<Option<SigningSecrets>> {
    let row = c
        .query_opt(
            "SELECT survey_secret, survey_secret_retired, survey_secret_retired_until \
             FROM organisations WHERE id = $1",
            &[org.into()],
        )?
        .ok_or_else(|| StoreError::not_found("organisation", org))?;
    let Some(current) = row.opt_text(0)? else {
        return Ok(None);
    };
    let retired = match (row.opt_text(1)?, row.opt_time(2)?) {
        (Some(secret), Some(accepted_until)) => Some(RetiredSecret {
            secret: secret.into_bytes(),
            accepted_until,
        }),
        _ => None,
    };
    Ok(Some(SigningSecrets {
        current: current.into_bytes(),
        retired,
    }))
}

fn fresh_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(StoreError::backend)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Makes the organisation's secret unless it has one. Two servers racing to make it both read
/// back the one that was stored.
pub(super) fn make_secret(c: &mut impl Conn, org: OrgId) -> Result<SigningSecrets> {
    if let Some(secrets) = stored_secrets(c, org)? {
        return Ok(secrets);
    }
    c.execute(
        "UPDATE organisations SET survey_secret = $1 WHERE id = $2 AND survey_secret IS NULL",
        &[fresh_secret()?.into(), org.into()],
    )?;
    stored_secrets(c, org)?.ok_or_else(|| StoreError::backend("the survey secret was not stored"))
}

/// Replaces the organisation's secret with a new one; the one replaced keeps being accepted
/// until `accepted_until` (a secret retired before is forgotten).
pub(super) fn rotate_secret(
    c: &mut impl Conn,
    org: OrgId,
    accepted_until: DateTime<Utc>,
) -> Result<SigningSecrets> {
    let current = make_secret(c, org)?.current;
    let current = String::from_utf8(current).map_err(StoreError::backend)?;
    c.execute(
        "UPDATE organisations SET survey_secret = $1, survey_secret_retired = $2, \
         survey_secret_retired_until = $3 WHERE id = $4",
        &[
            fresh_secret()?.into(),
            current.into(),
            accepted_until.into(),
            org.into(),
        ],
    )?;
    stored_secrets(c, org)?.ok_or_else(|| StoreError::backend("the survey secret was not stored"))
}

/// Who and what an invitation is for.
#[derive(Debug, Clone, PartialEq)]
pub struct InvitationRequest {
    pub customer: CustomerRef,
    pub interaction_id: Option<i64>,
    pub language: Option<String>,
}

/// The customer a reference names; unlike ingestion, an invitation never creates one.
fn existing_customer(c: &mut impl Conn, org: OrgId, r: &CustomerRef) -> Result<i64> {
    let not_found = |field: &str| StoreError::Invalid(FieldError::new(field, "no such customer"));
    if let Some(id) = r.id {
        return c
            .query_opt(
                "SELECT id FROM customers WHERE org_id = $1 AND id = $2",
                &[org.into(), id.into()],
            )?
            .ok_or_else(|| not_found("customer_id"))?
            .int(0);
    }
    if let Some(external_id) = &r.external_id {
        return c
            .query_opt(
                "SELECT id FROM customers WHERE org_id = $1 AND external_id = $2",
                &[org.into(), external_id.into()],
            )?
            .ok_or_else(|| not_found("customer_external_id"))?
            .int(0);
    }
    for identity in &r.identities {
        if let Some(id) = directory::identity_owner(c, org, identity)? {
            return Ok(id);
        }
    }
    Err(not_found(if r.identities.is_empty() {
        "customer_id"
    } else {
        "customer_email"
    }))
}

/// Creates a personal invitation unless the fatigue rule forbids asking the customer now.
pub(super) fn invite(
    c: &mut impl Conn,
    org: OrgId,
    survey: &Survey,
    request: &InvitationRequest,
    now: DateTime<Utc>,
) -> Result<Result<Invitation, Fatigued>> {
    use dosvid_domain::survey::{DEFAULT_LINK_VALID_DAYS, DEFAULT_SURVEY_FATIGUE_DAYS};
    let customer = existing_customer(c, org, &request.customer)?;
    if let Some(interaction) = request.interaction_id {
        let row = c
            .query_opt(
                "SELECT customer_id FROM interactions WHERE org_id = $1 AND id = $2",
                &[org.into(), interaction.into()],
            )?
            .ok_or_else(|| {
                StoreError::Invalid(FieldError::new("interaction_id", "no such interaction"))
            })?;
        if row.opt_int(0)?.is_some_and(|owner| owner != customer) {
            return Err(StoreError::Invalid(FieldError::new(
                "interaction_id",
                "the interaction belongs to another customer",
            )));
        }
    }
    // A customer who withdrew consent to surveys is not asked.
    let consent = c.query_opt(
        "SELECT granted, at FROM consents WHERE org_id = $1 AND customer_id = $2 AND purpose = 'surveys' \
         ORDER BY at DESC, id DESC LIMIT 1",
        &[org.into(), customer.into()],
    )?;
    if let Some(row) = consent
        && !row.bool(0)?
    {
        return Err(StoreError::Conflict {
            field: "customer".into(),
            message: format!(
                "the customer withdrew consent to surveys on {}",
                row.time(1)?.format("%Y-%m-%d")
            ),
        });
    }
    // Two invitations of one customer at once must not both pass the rule: a no-op update
    // locks the customer's row until this transaction ends (SQLite has one writer anyway).
    c.execute(
        "UPDATE customers SET updated_at = updated_at WHERE org_id = $1 AND id = $2",
        &[org.into(), customer.into()],
    )?;
    let last = |c: &mut _, survey_only: bool| -> Result<Option<DateTime<Utc>>> {
        let mut q = Query::new("SELECT MAX(created_at) FROM survey_invitations WHERE org_id = ");
        let p = q.param(org);
        q.sql.push_str(&p);
        q.push(" AND customer_id = {}", [customer.into()]);
        if survey_only {
            q.push(" AND survey_id = {}", [survey.id.into()]);
        }
        Conn::query_one(c, &q.sql, &q.params)?.opt_time(0)
    };
    let asked = LastAsked {
        any: last(c, false)?,
        this_survey: last(c, true)?,
    };
    let overall = c
        .query_one(
            "SELECT survey_fatigue_days FROM organisations WHERE id = $1",
            &[org.into()],
        )?
        .int(0)? as u32;
    let per_survey = survey
        .definition
        .fatigue_days
        .unwrap_or(DEFAULT_SURVEY_FATIGUE_DAYS);
    if let Err(refused) = fatigue(asked, overall, per_survey, now) {
        return Ok(Err(refused));
    }
    let valid_days = survey
        .definition
        .link_valid_days
        .unwrap_or(DEFAULT_LINK_VALID_DAYS);
    let expires_at = now + Duration::days(valid_days.into());
    let id = c.insert_id(
        "INSERT INTO survey_invitations (org_id, survey_id, customer_id, interaction_id, language, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[org.into(), survey.id.into(), customer.into(), request.interaction_id.into(), (&request.language).into(), now.into(), expires_at.into()],
    )?;
    Ok(Ok(Invitation {
        id,
        survey_id: survey.id,
        customer_id: Some(customer),
        interaction_id: request.interaction_id,
        language: request.language.clone(),
        created_at: now,
        expires_at,
    }))
}

pub(super) fn get_invitation(c: &mut impl Conn, org: OrgId, id: i64) -> Result<Invitation> {
    let r = c
        .query_opt(
            "SELECT id, survey_id, customer_id, interaction_id, language, created_at, expires_at \
             FROM survey_invitations WHERE org_id = $1 AND id = $2",
            &[org.into(), id.into()],
        )?
        .ok_or_else(|| StoreError::not_found("invitation", id))?;
    Ok(Invitation {
        id: r.int(0)?,
        survey_id: r.int(1)?,
        customer_id: r.opt_int(2)?,
        interaction_id: r.opt_int(3)?,
        language: r.opt_text(4)?,
        created_at: r.time(5)?,
        expires_at: r.time(6)?,
    })
}

const RESPONSE_COLUMNS: &str = "id, survey_id, version, invitation_id, customer_id, interaction_id, \
    language, status, position, answers, started_at, updated_at, completed_at, feedback_id";

fn response_from_row(r: &Row) -> Result<SurveyResponse> {
    Ok(SurveyResponse {
        id: r.int(0)?,
        survey_id: r.int(1)?,
        version: r.int(2)?,
        invitation_id: r.opt_int(3)?,
        customer_id: r.opt_int(4)?,
        interaction_id: r.opt_int(5)?,
        language: r.text(6)?,
        status: if r.str(7)? == "completed" {
            ResponseStatus::Completed
        } else {
            ResponseStatus::InProgress
        },
        position: r.opt_int(8)?,
        answers: json(r.str(9)?)?,
        started_at: r.time(10)?,
        updated_at: r.time(11)?,
        completed_at: r.opt_time(12)?,
        feedback_id: r.opt_int(13)?,
    })
}

pub(super) fn get_response(c: &mut impl Conn, org: OrgId, id: i64) -> Result<SurveyResponse> {
    let sql =
        format!("SELECT {RESPONSE_COLUMNS} FROM survey_responses WHERE org_id = $1 AND id = $2");
    c.query_opt(&sql, &[org.into(), id.into()])?
        .map(|r| response_from_row(&r))
        .transpose()?
        .ok_or_else(|| StoreError::not_found("response", id))
}

/// Starts a response, or returns the one already started on the same invitation: a personal
/// link always leads back to its one response.
/// The response already started on an invitation.
pub(super) fn invitation_response(
    c: &mut impl Conn,
    org: OrgId,
    invitation: i64,
) -> Result<Option<SurveyResponse>> {
    let sql = format!(
        "SELECT {RESPONSE_COLUMNS} FROM survey_responses WHERE org_id = $1 AND invitation_id = $2"
    );
    c.query_opt(&sql, &[org.into(), invitation.into()])?
        .map(|row| response_from_row(&row))
        .transpose()
}

pub(super) fn start_response(
    c: &mut impl Conn,
    org: OrgId,
    new: &NewResponse,
    now: DateTime<Utc>,
) -> Result<SurveyResponse> {
    if let Some(invitation) = new.invitation_id
        && let Some(started) = invitation_response(c, org, invitation)?
    {
        return Ok(started);
    }
    let id = c.insert_id(
        "INSERT INTO survey_responses (org_id, survey_id, version, invitation_id, customer_id, interaction_id, language, \
         status, position, answers, started_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_progress', 0, '{}', $8, $8)",
        &[org.into(), new.survey_id.into(), new.version.into(), new.invitation_id.into(), new.customer_id.into(),
          new.interaction_id.into(), (&new.language).into(), now.into()],
    )?;
    get_response(c, org, id)
}

fn answers_text(answers: &Answers) -> Result<String> {
    serde_json::to_string(answers).map_err(StoreError::backend)
}

fn already_completed() -> StoreError {
    StoreError::Conflict {
        field: "response".into(),
        message: "this response is already complete; it cannot be answered again".into(),
    }
}

/// Saves the answers so far and where the respondent is.
pub(super) fn save_response(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    answers: &Answers,
    position: i64,
    language: &str,
    now: DateTime<Utc>,
) -> Result<SurveyResponse> {
    let changed = c.execute(
        "UPDATE survey_responses SET answers = $1, position = $2, language = $3, updated_at = $4 \
         WHERE org_id = $5 AND id = $6 AND status = 'in_progress'",
        &[
            answers_text(answers)?.into(),
            position.into(),
            language.into(),
            now.into(),
            org.into(),
            id.into(),
        ],
    )?;
    if changed == 0 {
        get_response(c, org, id)?;
        return Err(already_completed());
    }
    get_response(c, org, id)
}

/// Finishes a response and stores the feedback record it becomes, in one transaction. A
/// response to an invitation about an interaction takes the interaction's touchpoint and
/// channel.
pub(super) fn complete_response(
    c: &mut impl Conn,
    org: OrgId,
    id: i64,
    answers: &Answers,
    feedback: Option<&NewFeedback>,
    now: DateTime<Utc>,
) -> Result<SurveyResponse> {
    let changed = c.execute(
        "UPDATE survey_responses SET answers = $1, position = NULL, status = 'completed', completed_at = $2, \
         updated_at = $2 WHERE org_id = $3 AND id = $4 AND status = 'in_progress'",
        &[answers_text(answers)?.into(), now.into(), org.into(), id.into()],
    )?;
    if changed == 0 {
        get_response(c, org, id)?;
        return Err(already_completed());
    }
    if let Some(feedback) = feedback {
        let mut feedback = feedback.clone();
        // An answer about an interaction is about where that interaction happened.
        let interaction = get_response(c, org, id)?.interaction_id;
        if let Some(interaction) = interaction
            && let Some(row) = c.query_opt(
                "SELECT touchpoint_id, channel_id FROM interactions WHERE org_id = $1 AND id = $2",
                &[org.into(), interaction.into()],
            )?
        {
            if let Some(touchpoint) = row.opt_int(0)? {
                feedback.touchpoint = Some(Ref::Id(touchpoint));
            }
            feedback.channel = Some(Ref::Id(row.int(1)?));
        }
        let feedback_id = signals::store_one_feedback(c, org, &feedback, now)?;
        c.execute(
            "UPDATE survey_responses SET feedback_id = $1 WHERE org_id = $2 AND id = $3",
            &[feedback_id.into(), org.into(), id.into()],
        )?;
    }
    get_response(c, org, id)
}

/// A survey's responses in id order; `filter.from`/`to` bound when they were started,
/// `filter.customer_id` whose they are.
pub(super) fn list_responses(
    c: &mut impl Conn,
    org: OrgId,
    survey: i64,
    filter: &Filter,
    completed_only: bool,
    page: PageRequest,
) -> Result<Page<SurveyResponse>> {
    let mut q = Query::new(&format!(
        "SELECT {RESPONSE_COLUMNS} FROM survey_responses WHERE org_id = "
    ));
    let p = q.param(org);
    q.sql.push_str(&p);
    q.push(" AND survey_id = {}", [survey.into()]);
    q.push(" AND id > {}", [page.after.unwrap_or(0).into()]);
    if let Some(from) = filter.from {
        q.push(" AND started_at >= {}", [from.into()]);
    }
    if let Some(to) = filter.to {
        q.push(" AND started_at < {}", [to.into()]);
    }
    if let Some(customer) = filter.customer_id {
        q.push(" AND customer_id = {}", [customer.into()]);
    }
    if completed_only {
        q.sql.push_str(" AND status = 'completed'");
    }
    let limit = limit(page);
    q.push(" ORDER BY id LIMIT {}", [i64::from(limit + 1).into()]);
    let rows = c.query(&q.sql, &q.params)?;
    let items = rows
        .iter()
        .map(response_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_items(items, limit, |r| r.id))
}
