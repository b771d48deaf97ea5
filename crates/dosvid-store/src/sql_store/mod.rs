//! [`SqlStore`]: the [`Store`] implementation shared by every SQL backend.

mod audit;
pub(crate) mod cases;
mod diagnosis;
mod directory;
mod facts;
mod journeys;
mod merges;
mod signals;
mod strategy;
pub(crate) mod surveys;
mod themes;
mod units;
pub(crate) mod users;
mod vocabulary;
pub(crate) mod webhooks;

use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use dosvid_domain::journey::{
    DEFAULT_CHANNELS, DEFAULT_JOURNEY, DEFAULT_STAGES, TEMPLATE_DEPARTMENTS, TemplateTouchpoint,
    template_names,
};
use dosvid_domain::unit::{Unit, UnitInput};
use dosvid_domain::{
    BatchReport, Channel, ChannelPatch, Consent, ConsentInput, Customer, CustomerFact,
    CustomerMerge, CustomerPatch, DuplicateSuggestion, FactScan, Feedback, FeedbackFact,
    Interaction, InteractionFact, Journey, JourneyPatch, Names, NewChannel, NewCustomer,
    NewJourney, NewStage, NewTouchpoint, OrgId, Organisation, OrganisationPatch, RecordKind, Stage,
    StagePatch, Term, Touchpoint, TouchpointPatch, Transaction, TransactionFact,
};

use dosvid_domain::NewFeedback;
use dosvid_domain::alert::{Alert, Rule, RuleDefinition};
use dosvid_domain::audit::{AuditEntry, AuditFilter};
use dosvid_domain::case::{Case, CaseEvent, CaseEventKind, CasePatch, NewCase};
use dosvid_domain::diagnosis::DocumentKind;
use dosvid_domain::strategy::{
    Cycle, CycleStagePatch, Goal, GoalDefinition, Initiative, InitiativeDefinition, Measurement,
    StageKey, StatusChange,
};
use dosvid_domain::survey::{
    Answers, Invitation, NewResponse, Survey, SurveyDefinition, SurveyResponse, SurveyStatus,
};
use dosvid_domain::survey_link::{Fatigued, SigningSecrets};
use dosvid_domain::user::{NewUser, User};
use dosvid_domain::webhook::{
    Attempt, Delivery, DeliveryStatus, EventType, RetryPolicy, Webhook, WebhookInput, WebhookPatch,
};

use crate::sql::{Backend, Conn, Value};
use crate::{
    ApiKey, ApiKeySecret, CaseFilter, Document, DueDelivery, Filter, Idempotency,
    InvitationRequest, Page, PageRequest, Result, Session, SessionInfo, Signals, Store, StoreError,
    WebhookBacklog,
};

pub struct SqlStore<B: Backend> {
    backend: B,
    default_org: OnceLock<OrgId>,
}

impl<B: Backend> SqlStore<B> {
    /// Wraps a migrated backend; on first start creates the default organisation with the
    /// default channels and journey.
    pub fn open(backend: B, now: DateTime<Utc>) -> Result<Self> {
        let store = SqlStore {
            backend,
            default_org: OnceLock::new(),
        };
        store.backend.write(|c| bootstrap(c, now))?;
        Ok(store)
    }

    fn ingest_in_parts<'a>(
        &self,
        org: OrgId,
        kind: RecordKind,
        parts: &mut dyn Iterator<Item = Cow<'a, Signals>>,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BatchReport> {
        let mut attempt = || {
            self.backend
                .write(|c| signals::ingest(c, org, kind, &mut *parts, idempotency.as_ref(), now))
        };
        match attempt() {
            // Two requests with the same key raced: the loser's insert of the key failed after
            // the winner committed, so a second attempt finds and replays the winner's answer
            // (reading no part).
            Err(StoreError::UniqueViolation(what))
                if idempotency.is_some() && what.contains("idempotency") =>
            {
                attempt()
            }
            other => other,
        }
    }

    /// Runs a read-only SQL query (`$1` placeholders): for checks that compare an answer with
    /// the plain SQL computation, and for tools.
    pub fn query_sql(&self, sql: &str, params: &[Value]) -> Result<Vec<crate::sql::Row>> {
        self.backend.read(|c| c.query(sql, params))
    }
}

fn bootstrap(c: &mut impl Conn, now: DateTime<Utc>) -> Result<()> {
    if c.query_opt("SELECT id FROM organisations LIMIT 1", &[])?
        .is_some()
    {
        return Ok(());
    }
    create_organisation(c, "Default organisation", "Europe/Kyiv", now)?;
    Ok(())
}

/// A new organisation with the default channels and journey to start from.
fn create_organisation(
    c: &mut impl Conn,
    name: &str,
    time_zone: &str,
    now: DateTime<Utc>,
) -> Result<OrgId> {
    let org = c.insert_id(
        "INSERT INTO organisations (name, time_zone, created_at) VALUES ($1, $2, $3)",
        &[name.into(), time_zone.into(), now.into()],
    )?;
    for (key, name, kind) in DEFAULT_CHANNELS {
        let channel = NewChannel {
            key: (*key).into(),
            name: (*name).into(),
            names: template_names(name),
            kind: *kind,
        };
        journeys::create_channel(c, org, &channel, now)?;
    }
    let journey = NewJourney {
        key: DEFAULT_JOURNEY.0.into(),
        name: DEFAULT_JOURNEY.1.into(),
        names: template_names(DEFAULT_JOURNEY.1),
        description: None,
    };
    let journey = journeys::create_journey(c, org, &journey, now)?;
    for (key, [uk, en, ru]) in TEMPLATE_DEPARTMENTS {
        let term = Term {
            kind: "department".into(),
            key: (*key).into(),
            names: Names::new(uk, en, ru),
        };
        vocabulary::set_term(c, org, &term)?;
    }
    for stage in DEFAULT_STAGES {
        let new = NewStage {
            name: stage.name.into(),
            names: template_names(stage.name),
            position: None,
            description: Some(stage.behaviour.into()),
        };
        let stage_id = journeys::create_stage(c, org, journey.id, &new, now)?.id;
        seed_touchpoints(c, org, stage_id, None, stage.touchpoints, now)?;
    }
    Ok(org)
}

fn seed_touchpoints(
    c: &mut impl Conn,
    org: OrgId,
    stage_id: i64,
    parent_id: Option<i64>,
    touchpoints: &[TemplateTouchpoint],
    now: DateTime<Utc>,
) -> Result<()> {
    for t in touchpoints {
        let new = NewTouchpoint {
            stage_id,
            parent_id,
            key: t.key.into(),
            name: t.name.into(),
            names: template_names(t.name),
            moment_of_truth: t.moment_of_truth,
            owner_department: Some(t.owner.into()),
            channels: t.channels.iter().map(|c| (*c).to_owned()).collect(),
        };
        let id = journeys::create_touchpoint(c, org, &new, now)?.id;
        seed_touchpoints(c, org, stage_id, Some(id), t.children, now)?;
    }
    Ok(())
}

/// `($n, $n+1, …)` for a list of ids, appended to `q`; `(NULL)` for an empty list so the
/// statement stays valid and matches nothing.
pub(crate) fn push_id_list(q: &mut crate::sql::Query, ids: &[i64]) {
    if ids.is_empty() {
        q.sql.push_str("(NULL)");
        return;
    }
    q.sql.push('(');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.sql.push_str(", ");
        }
        let p = q.param(*id);
        q.sql.push_str(&p);
    }
    q.sql.push(')');
}

const KEY_COLUMNS: &str =
    "id, org_id, name, prefix, created_at, revoked_at, scopes, expires_at, last_used_at, unit_id";

fn api_key_from_row(r: &crate::sql::Row) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.int(0)?,
        org_id: r.int(1)?,
        name: r.text(2)?,
        prefix: r.text(3)?,
        created_at: r.time(4)?,
        revoked_at: r.opt_time(5)?,
        scopes: crate::keys::Scope::parse_list(r.str(6)?)
            .ok_or_else(|| StoreError::backend("unknown API key scope"))?,
        expires_at: r.opt_time(7)?,
        last_used_at: r.opt_time(8)?,
        unit_id: r.opt_int(9)?,
    })
}

fn limit(page: PageRequest) -> u32 {
    page.limit.clamp(1, PageRequest::MAX_LIMIT)
}

impl<B: Backend> Store for SqlStore<B> {
    fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    fn default_org(&self) -> Result<OrgId> {
        if let Some(org) = self.default_org.get() {
            return Ok(*org);
        }
        let org = self.backend.read(|c| {
            c.query_one("SELECT id FROM organisations ORDER BY id LIMIT 1", &[])?
                .int(0)
        })?;
        Ok(*self.default_org.get_or_init(|| org))
    }

    fn organisation(&self, org: OrgId) -> Result<Organisation> {
        self.backend.read(|c| facts::organisation(c, org))
    }

    fn update_organisation(&self, org: OrgId, patch: OrganisationPatch) -> Result<Organisation> {
        let patch = patch.validate()?;
        self.backend
            .write(|c| facts::update_organisation(c, org, &patch))
    }

    fn create_scoped_api_key(
        &self,
        org: OrgId,
        name: &str,
        scopes: &[crate::keys::Scope],
        expires_at: Option<DateTime<Utc>>,
        unit: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, ApiKeySecret)> {
        let name = dosvid_domain::error::required_text("name", Some(name))?;
        let scopes = crate::keys::Scope::parse_list(&crate::keys::Scope::list(scopes))
            .ok_or_else(|| StoreError::invalid("scopes", "give at least one scope"))?;
        if expires_at.is_some_and(|at| at <= now) {
            return Err(StoreError::invalid("expires_at", "must be in the future"));
        }
        let secret = ApiKeySecret::generate().map_err(StoreError::backend)?;
        let id = self.backend.write(|c| {
            if let Some(unit) = unit {
                units::get_unit(c, org, unit)?;
            }
            c.insert_id(
                "INSERT INTO api_keys (org_id, name, prefix, hash, created_at, scopes, expires_at, unit_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    org.into(),
                    name.as_str().into(),
                    secret.prefix().into(),
                    ApiKeySecret::hash(secret.expose()).into(),
                    now.into(),
                    crate::keys::Scope::list(&scopes).into(),
                    expires_at.into(),
                    unit.into(),
                ],
            )
        })?;
        let key = ApiKey {
            id,
            org_id: org,
            name,
            prefix: secret.prefix().to_owned(),
            created_at: now,
            revoked_at: None,
            scopes,
            expires_at,
            last_used_at: None,
            unit_id: unit,
        };
        Ok((key, secret))
    }

    fn list_api_keys(&self, org: OrgId) -> Result<Vec<ApiKey>> {
        self.backend.read(|c| {
            c.query(
                &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY id"),
                &[org.into()],
            )?
            .iter()
            .map(api_key_from_row)
            .collect()
        })
    }

    fn revoke_api_key(&self, org: OrgId, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.backend.write(|c| {
            let found = c.query_opt(
                "SELECT id FROM api_keys WHERE org_id = $1 AND id = $2",
                &[org.into(), id.into()],
            )?;
            if found.is_none() {
                return Err(StoreError::not_found("API key", id));
            }
            c.execute(
                "UPDATE api_keys SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL",
                &[now.into(), org.into(), id.into()],
            )?;
            Ok(())
        })
    }

    fn authenticate(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>> {
        let hash = ApiKeySecret::hash(secret);
        let key = self.backend.read(|c| {
            let row = c.query_opt(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE hash = $1 AND revoked_at IS NULL"
                ),
                &[Value::Text(hash)],
            )?;
            row.map(|r| api_key_from_row(&r)).transpose()
        })?;
        let Some(mut key) = key.filter(|k| k.expires_at.is_none_or(|at| at > now)) else {
            return Ok(None);
        };
        // Noted to the minute: a write per key and minute, not per request.
        if key
            .last_used_at
            .is_none_or(|at| now - at >= chrono::Duration::minutes(1))
        {
            self.backend.write(|c| {
                c.execute(
                    "UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
                    &[now.into(), key.id.into()],
                )
            })?;
            key.last_used_at = Some(now);
        }
        Ok(Some(key))
    }

    fn create_customer(
        &self,
        org: OrgId,
        customer: NewCustomer,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        self.backend
            .write(|c| directory::create_customer(c, org, &customer, now))
    }

    fn get_customer(&self, org: OrgId, id: i64) -> Result<Customer> {
        self.backend.read(|c| directory::get_customer(c, org, id))
    }

    fn update_customer(&self, org: OrgId, id: i64, patch: CustomerPatch) -> Result<Customer> {
        self.backend
            .write(|c| directory::update_customer(c, org, id, &patch))
    }

    fn customer_names(&self, org: OrgId, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        self.backend
            .read(|c| directory::customer_names(c, org, ids))
    }

    fn find_customer(&self, org: OrgId, text: &str) -> Result<Option<i64>> {
        self.backend
            .read(|c| directory::find_customer(c, org, text))
    }

    fn delete_customer(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend
            .write(|c| directory::delete_customer(c, org, id))
    }

    fn list_customers(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Customer>> {
        self.backend
            .read(|c| directory::list_customers(c, org, filter, page))
    }

    fn create_channel(
        &self,
        org: OrgId,
        channel: NewChannel,
        now: DateTime<Utc>,
    ) -> Result<Channel> {
        self.backend
            .write(|c| journeys::create_channel(c, org, &channel, now))
    }

    fn get_channel(&self, org: OrgId, id: i64) -> Result<Channel> {
        self.backend.read(|c| journeys::get_channel(c, org, id))
    }

    fn update_channel(&self, org: OrgId, id: i64, patch: ChannelPatch) -> Result<Channel> {
        self.backend
            .write(|c| journeys::update_channel(c, org, id, &patch))
    }

    fn delete_channel(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| journeys::delete_channel(c, org, id))
    }

    fn list_channels(&self, org: OrgId, page: PageRequest) -> Result<Page<Channel>> {
        self.backend.read(|c| journeys::list_channels(c, org, page))
    }

    fn create_journey(
        &self,
        org: OrgId,
        journey: NewJourney,
        now: DateTime<Utc>,
    ) -> Result<Journey> {
        self.backend
            .write(|c| journeys::create_journey(c, org, &journey, now))
    }

    fn get_journey(&self, org: OrgId, id: i64) -> Result<Journey> {
        self.backend.read(|c| journeys::get_journey(c, org, id))
    }

    fn update_journey(&self, org: OrgId, id: i64, patch: JourneyPatch) -> Result<Journey> {
        self.backend
            .write(|c| journeys::update_journey(c, org, id, &patch))
    }

    fn delete_journey(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| journeys::delete_journey(c, org, id))
    }

    fn list_journeys(&self, org: OrgId, page: PageRequest) -> Result<Page<Journey>> {
        self.backend.read(|c| journeys::list_journeys(c, org, page))
    }

    fn create_stage(
        &self,
        org: OrgId,
        journey_id: i64,
        stage: NewStage,
        now: DateTime<Utc>,
    ) -> Result<Stage> {
        self.backend
            .write(|c| journeys::create_stage(c, org, journey_id, &stage, now))
    }

    fn update_stage(&self, org: OrgId, id: i64, patch: StagePatch) -> Result<Stage> {
        self.backend
            .write(|c| journeys::update_stage(c, org, id, &patch))
    }

    fn delete_stage(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| journeys::delete_stage(c, org, id))
    }

    fn create_touchpoint(
        &self,
        org: OrgId,
        touchpoint: NewTouchpoint,
        now: DateTime<Utc>,
    ) -> Result<Touchpoint> {
        self.backend
            .write(|c| journeys::create_touchpoint(c, org, &touchpoint, now))
    }

    fn get_touchpoint(&self, org: OrgId, id: i64) -> Result<Touchpoint> {
        self.backend.read(|c| journeys::get_touchpoint(c, org, id))
    }

    fn update_touchpoint(&self, org: OrgId, id: i64, patch: TouchpointPatch) -> Result<Touchpoint> {
        self.backend
            .write(|c| journeys::update_touchpoint(c, org, id, &patch))
    }

    fn delete_touchpoint(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend
            .write(|c| journeys::delete_touchpoint(c, org, id))
    }

    fn list_touchpoints(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Touchpoint>> {
        self.backend
            .read(|c| journeys::list_touchpoints(c, org, filter, page))
    }

    fn ingest(
        &self,
        org: OrgId,
        batch: &Signals,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BatchReport> {
        let mut parts = std::iter::once(Cow::Borrowed(batch));
        self.ingest_in_parts(org, batch.kind(), &mut parts, idempotency, now)
    }

    fn ingest_parts(
        &self,
        org: OrgId,
        kind: RecordKind,
        parts: &mut dyn Iterator<Item = Signals>,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BatchReport> {
        let mut parts = parts.map(Cow::Owned);
        self.ingest_in_parts(org, kind, &mut parts, idempotency, now)
    }

    fn begin_bulk_load(&self, kind: RecordKind) -> Result<()> {
        self.backend.begin_bulk_load(kind.as_str())
    }

    fn end_bulk_load(&self, kind: RecordKind) -> Result<()> {
        self.backend.end_bulk_load(kind.as_str())
    }

    fn list_feedback(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Feedback>> {
        self.backend
            .read(|c| signals::list_feedback(c, org, filter, page))
    }

    fn feedback_by_ids(&self, org: OrgId, ids: &[i64]) -> Result<Vec<Feedback>> {
        let mut found = self
            .backend
            .read(|c| signals::feedback_by_ids(c, org, ids))?;
        let rank: std::collections::HashMap<i64, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        found.sort_by_key(|f| rank[&f.id]);
        Ok(found)
    }

    fn list_interactions(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Interaction>> {
        self.backend
            .read(|c| signals::list_interactions(c, org, filter, page))
    }

    fn list_transactions(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Transaction>> {
        self.backend
            .read(|c| signals::list_transactions(c, org, filter, page))
    }

    fn taxonomy(&self, org: OrgId) -> Result<dosvid_text::Taxonomy> {
        self.backend.read(|c| themes::taxonomy(c, org))
    }

    fn set_taxonomy(
        &self,
        org: OrgId,
        taxonomy: &dosvid_text::Taxonomy,
    ) -> Result<(dosvid_text::Themes, u64)> {
        let compiled = self
            .backend
            .write(|c| themes::set_taxonomy(c, org, taxonomy))?;
        let tagged = themes::retag(&self.backend, org, &compiled, false)?;
        Ok((compiled, tagged))
    }

    fn tag_untagged(&self, org: OrgId, themes: &dosvid_text::Themes) -> Result<u64> {
        themes::retag(&self.backend, org, themes, true)
    }

    fn create_survey(
        &self,
        org: OrgId,
        definition: SurveyDefinition,
        status: SurveyStatus,
        now: DateTime<Utc>,
    ) -> Result<Survey> {
        self.backend
            .write(|c| surveys::create_survey(c, org, &definition, status, now))
    }

    fn get_survey(&self, org: OrgId, id: i64) -> Result<Survey> {
        self.backend.read(|c| surveys::get_survey(c, org, id))
    }

    fn survey_by_key(&self, org: OrgId, key: &str) -> Result<Survey> {
        self.backend.read(|c| surveys::survey_by_key(c, org, key))
    }

    fn update_survey(
        &self,
        org: OrgId,
        id: i64,
        definition: Option<SurveyDefinition>,
        status: Option<SurveyStatus>,
        now: DateTime<Utc>,
    ) -> Result<Survey> {
        self.backend
            .write(|c| surveys::update_survey(c, org, id, definition.as_ref(), status, now))
    }

    fn delete_survey(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| surveys::delete_survey(c, org, id))
    }

    fn list_surveys(&self, org: OrgId, page: PageRequest) -> Result<Page<Survey>> {
        self.backend.read(|c| surveys::list_surveys(c, org, page))
    }

    fn survey_version(&self, org: OrgId, survey: i64, version: i64) -> Result<SurveyDefinition> {
        self.backend
            .read(|c| surveys::survey_version(c, org, survey, version))
    }

    fn survey_secrets(&self, org: OrgId) -> Result<SigningSecrets> {
        // Every public page needs the secret: read it without taking the writer.
        match self.backend.read(|c| surveys::stored_secrets(c, org))? {
            Some(secrets) => Ok(secrets),
            None => self.backend.write(|c| surveys::make_secret(c, org)),
        }
    }

    fn rotate_survey_secret(
        &self,
        org: OrgId,
        accepted_until: DateTime<Utc>,
    ) -> Result<SigningSecrets> {
        self.backend
            .write(|c| surveys::rotate_secret(c, org, accepted_until))
    }

    fn invite(
        &self,
        org: OrgId,
        survey: &Survey,
        request: &InvitationRequest,
        now: DateTime<Utc>,
    ) -> Result<Result<Invitation, Fatigued>> {
        self.backend
            .write(|c| surveys::invite(c, org, survey, request, now))
    }

    fn get_invitation(&self, org: OrgId, id: i64) -> Result<Invitation> {
        self.backend.read(|c| surveys::get_invitation(c, org, id))
    }

    fn start_response(
        &self,
        org: OrgId,
        response: NewResponse,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse> {
        // A personal link's every visit asks for its response: find it without the writer.
        if let Some(invitation) = response.invitation_id
            && let Some(started) = self
                .backend
                .read(|c| surveys::invitation_response(c, org, invitation))?
        {
            return Ok(started);
        }
        self.backend
            .write(|c| surveys::start_response(c, org, &response, now))
    }

    fn get_response(&self, org: OrgId, id: i64) -> Result<SurveyResponse> {
        self.backend.read(|c| surveys::get_response(c, org, id))
    }

    fn save_response(
        &self,
        org: OrgId,
        id: i64,
        answers: &Answers,
        position: i64,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse> {
        self.backend
            .write(|c| surveys::save_response(c, org, id, answers, position, language, now))
    }

    fn complete_response(
        &self,
        org: OrgId,
        id: i64,
        answers: &Answers,
        feedback: Option<NewFeedback>,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse> {
        self.backend
            .write(|c| surveys::complete_response(c, org, id, answers, feedback.as_ref(), now))
    }

    fn list_responses(
        &self,
        org: OrgId,
        survey: i64,
        filter: &Filter,
        completed_only: bool,
        page: PageRequest,
    ) -> Result<Page<SurveyResponse>> {
        self.backend
            .read(|c| surveys::list_responses(c, org, survey, filter, completed_only, page))
    }

    fn create_feedback(
        &self,
        org: OrgId,
        feedback: NewFeedback,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.backend
            .write(|c| signals::store_one_feedback(c, org, &feedback, now))
    }

    fn organisations(&self) -> Result<Vec<OrgId>> {
        self.backend.read(|c| {
            c.query("SELECT id FROM organisations ORDER BY id", &[])?
                .iter()
                .map(|r| r.int(0))
                .collect()
        })
    }

    fn record_alert(
        &self,
        org: OrgId,
        alert: &Alert,
        same_problem: &dyn Fn(&Alert) -> bool,
    ) -> Result<Option<Alert>> {
        self.backend
            .write(|c| cases::record_alert(c, org, alert, same_problem))
    }

    fn set_alert_case(&self, org: OrgId, alert: i64, case: i64) -> Result<()> {
        self.backend
            .write(|c| cases::set_alert_case(c, org, alert, case))
    }

    fn list_alerts(&self, org: OrgId, rule: Option<i64>, page: PageRequest) -> Result<Page<Alert>> {
        self.backend
            .read(|c| cases::list_alerts(c, org, rule, page))
    }

    fn create_webhook(
        &self,
        org: OrgId,
        webhook: WebhookInput,
        now: DateTime<Utc>,
    ) -> Result<Webhook> {
        let webhook = webhook.validate()?;
        self.backend
            .write(|c| webhooks::create(c, org, &webhook, now))
    }

    fn list_webhooks(&self, org: OrgId) -> Result<Vec<Webhook>> {
        self.backend.read(|c| webhooks::list(c, org))
    }

    fn get_webhook(&self, org: OrgId, id: i64) -> Result<Webhook> {
        self.backend.read(|c| webhooks::get(c, org, id))
    }

    fn webhook_secret(&self, org: OrgId, id: i64) -> Result<String> {
        self.backend.read(|c| webhooks::secret(c, org, id))
    }

    fn update_webhook(&self, org: OrgId, id: i64, patch: WebhookPatch) -> Result<Webhook> {
        self.backend.write(|c| webhooks::update(c, org, id, patch))
    }

    fn delete_webhook(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| webhooks::delete(c, org, id))
    }

    fn webhook_subscribed(&self, org: OrgId, event: EventType) -> Result<bool> {
        self.backend.read(|c| webhooks::subscribed(c, org, event))
    }

    fn enqueue_events(
        &self,
        org: OrgId,
        events: &[(EventType, String)],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.backend
            .write(|c| webhooks::enqueue(c, org, events, now))
    }

    fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>> {
        self.backend
            .write(|c| webhooks::claim(c, now, lease_until, limit))
    }

    fn webhook_backlog(&self, now: DateTime<Utc>) -> Result<WebhookBacklog> {
        self.backend.read(|c| webhooks::backlog(c, now))
    }

    fn record_delivery_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &Attempt,
        delivered: bool,
        policy: &RetryPolicy,
    ) -> Result<()> {
        self.backend
            .write(|c| webhooks::record_attempt(c, delivery, attempt, delivered, policy))
    }

    fn list_deliveries(
        &self,
        org: OrgId,
        webhook: i64,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> Result<Page<Delivery>> {
        self.backend
            .read(|c| webhooks::deliveries(c, org, webhook, status, page))
    }

    fn get_delivery(&self, org: OrgId, id: i64) -> Result<Delivery> {
        self.backend.read(|c| webhooks::delivery(c, org, id))
    }

    fn redeliver(&self, org: OrgId, id: i64, now: DateTime<Utc>) -> Result<Delivery> {
        self.backend.write(|c| webhooks::redeliver(c, org, id, now))
    }

    fn create_case(
        &self,
        org: OrgId,
        case: NewCase,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case> {
        let case = case.validate()?;
        self.backend
            .write(|c| cases::create_case(c, org, &case, None, by, now))?
            .ok_or_else(|| StoreError::backend("a case opened by hand was not stored"))
    }

    fn open_rule_case(
        &self,
        org: OrgId,
        rule: i64,
        case: NewCase,
        now: DateTime<Utc>,
    ) -> Result<Option<Case>> {
        let case = case.validate()?;
        let by = format!("rule {rule}");
        self.backend
            .write(|c| cases::create_case(c, org, &case, Some(rule), Some(&by), now))
    }

    fn create_rule(&self, org: OrgId, rule: RuleDefinition, now: DateTime<Utc>) -> Result<Rule> {
        let rule = rule.validate()?;
        self.backend
            .write(|c| cases::create_rule(c, org, &rule, now))
    }

    fn create_organisation(
        &self,
        name: &str,
        time_zone: &str,
        now: DateTime<Utc>,
    ) -> Result<Organisation> {
        let name = dosvid_domain::error::required_text("name", Some(name))?;
        dosvid_domain::organisation::time_zone("time_zone", time_zone)?;
        let org = self
            .backend
            .write(|c| create_organisation(c, &name, time_zone.trim(), now))?;
        self.organisation(org)
    }

    fn merge_customers(
        &self,
        org: OrgId,
        survivor: i64,
        merged: i64,
        now: DateTime<Utc>,
    ) -> Result<CustomerMerge> {
        self.backend
            .write(|c| merges::merge(c, org, survivor, merged, now))
    }

    fn undo_merge(&self, org: OrgId, id: i64, now: DateTime<Utc>) -> Result<CustomerMerge> {
        self.backend.write(|c| merges::undo(c, org, id, now))
    }

    fn list_merges(&self, org: OrgId) -> Result<Vec<CustomerMerge>> {
        self.backend.read(|c| merges::list_merges(c, org))
    }

    fn duplicate_customers(&self, org: OrgId) -> Result<Vec<DuplicateSuggestion>> {
        self.backend.read(|c| merges::duplicates(c, org))
    }

    fn record_consent(
        &self,
        org: OrgId,
        customer: i64,
        consent: ConsentInput,
        now: DateTime<Utc>,
    ) -> Result<Consent> {
        let consent = consent.validate()?;
        self.backend
            .write(|c| directory::record_consent(c, org, customer, &consent, now))
    }

    fn consents(&self, org: OrgId, customer: i64) -> Result<Vec<Consent>> {
        self.backend.read(|c| directory::consents(c, org, customer))
    }

    fn erase_customer(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend
            .write(|c| directory::erase_customer(c, org, id))?;
        self.backend.forget_erased()
    }

    fn append_audit(&self, org: OrgId, entry: &AuditEntry) -> Result<()> {
        self.backend.write(|c| audit::append(c, org, entry))
    }

    fn list_audit(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>> {
        self.backend.read(|c| audit::list(c, org, filter, page))
    }

    fn prune_audit(&self, org: OrgId, before: DateTime<Utc>) -> Result<u64> {
        self.backend.write(|c| audit::prune(c, org, before))
    }

    fn create_goal(
        &self,
        org: OrgId,
        goal: GoalDefinition,
        baseline: Measurement,
        now: DateTime<Utc>,
    ) -> Result<Goal> {
        let goal = goal.validate()?;
        self.backend
            .write(|c| strategy::create_goal(c, org, &goal, &baseline, now))
    }

    fn get_goal(&self, org: OrgId, id: i64) -> Result<Goal> {
        self.backend.read(|c| strategy::get_goal(c, org, id))
    }

    fn list_goals(&self, org: OrgId) -> Result<Vec<Goal>> {
        self.backend.read(|c| strategy::list_goals(c, org))
    }

    fn update_goal(&self, org: OrgId, id: i64, goal: GoalDefinition) -> Result<Goal> {
        let goal = goal.validate()?;
        self.backend
            .write(|c| strategy::update_goal(c, org, id, &goal))
    }

    fn delete_goal(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| strategy::delete_goal(c, org, id))
    }

    fn vocabulary(&self, org: OrgId) -> Result<Vec<Term>> {
        self.backend.read(|c| vocabulary::vocabulary(c, org))
    }

    fn set_term(&self, org: OrgId, term: Term) -> Result<Term> {
        let term = term.validate()?;
        self.backend
            .write(|c| vocabulary::set_term(c, org, &term))?;
        Ok(term)
    }

    fn delete_term(&self, org: OrgId, kind: &str, key: &str) -> Result<()> {
        self.backend
            .write(|c| vocabulary::delete_term(c, org, kind, key))
    }

    fn list_units(&self, org: OrgId) -> Result<Vec<Unit>> {
        self.backend.read(|c| units::list_units(c, org))
    }

    fn get_unit(&self, org: OrgId, id: i64) -> Result<Unit> {
        self.backend.read(|c| units::get_unit(c, org, id))
    }

    fn create_unit(&self, org: OrgId, unit: UnitInput, now: DateTime<Utc>) -> Result<Unit> {
        let unit = unit.validate()?;
        self.backend
            .write(|c| units::create_unit(c, org, &unit, now))
    }

    fn update_unit(&self, org: OrgId, id: i64, unit: UnitInput) -> Result<Unit> {
        let unit = unit.validate()?;
        self.backend
            .write(|c| units::update_unit(c, org, id, &unit))
    }

    fn delete_unit(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| units::delete_unit(c, org, id))
    }

    fn set_user_unit(&self, org: OrgId, user: i64, unit: Option<i64>) -> Result<()> {
        self.backend
            .write(|c| units::set_unit(c, org, "users", user, unit))
    }

    fn set_api_key_unit(&self, org: OrgId, key: i64, unit: Option<i64>) -> Result<()> {
        self.backend
            .write(|c| units::set_unit(c, org, "api_keys", key, unit))
    }

    fn create_initiative(
        &self,
        org: OrgId,
        initiative: InitiativeDefinition,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Initiative> {
        let initiative = initiative.validate()?;
        self.backend
            .write(|c| strategy::create_initiative(c, org, &initiative, by, now))
    }

    fn get_initiative(&self, org: OrgId, id: i64) -> Result<Initiative> {
        self.backend.read(|c| strategy::get_initiative(c, org, id))
    }

    fn list_initiatives(&self, org: OrgId) -> Result<Vec<Initiative>> {
        self.backend.read(|c| strategy::list_initiatives(c, org))
    }

    fn update_initiative(
        &self,
        org: OrgId,
        id: i64,
        initiative: InitiativeDefinition,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Initiative> {
        let initiative = initiative.validate()?;
        self.backend
            .write(|c| strategy::update_initiative(c, org, id, &initiative, by, now))
    }

    fn initiative_log(&self, org: OrgId, id: i64) -> Result<Vec<StatusChange>> {
        self.backend.read(|c| strategy::initiative_log(c, org, id))
    }

    fn create_document(
        &self,
        org: OrgId,
        kind: DocumentKind,
        parent: Option<i64>,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Document> {
        self.backend
            .write(|c| diagnosis::create(c, org, kind, parent, body, now))
    }

    fn get_document(&self, org: OrgId, kind: DocumentKind, id: i64) -> Result<Document> {
        self.backend.read(|c| diagnosis::get(c, org, kind, id))
    }

    fn list_documents(
        &self,
        org: OrgId,
        kind: DocumentKind,
        parent: Option<i64>,
    ) -> Result<Vec<Document>> {
        self.backend.read(|c| diagnosis::list(c, org, kind, parent))
    }

    fn update_document(
        &self,
        org: OrgId,
        kind: DocumentKind,
        id: i64,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Document> {
        self.backend
            .write(|c| diagnosis::update(c, org, kind, id, body, now))
    }

    fn delete_document(&self, org: OrgId, kind: DocumentKind, id: i64) -> Result<()> {
        self.backend.write(|c| diagnosis::delete(c, org, kind, id))
    }

    fn create_cycle(&self, org: OrgId, mut cycle: Cycle) -> Result<Cycle> {
        cycle.definition = cycle.definition.validate()?;
        self.backend
            .write(|c| strategy::create_cycle(c, org, &cycle))
    }

    fn get_cycle(&self, org: OrgId, id: i64) -> Result<Cycle> {
        self.backend.read(|c| strategy::get_cycle(c, org, id))
    }

    fn list_cycles(&self, org: OrgId) -> Result<Vec<Cycle>> {
        self.backend.read(|c| strategy::list_cycles(c, org))
    }

    fn update_cycle_stage(
        &self,
        org: OrgId,
        id: i64,
        stage: StageKey,
        patch: CycleStagePatch,
    ) -> Result<Cycle> {
        self.backend
            .write(|c| strategy::update_cycle_stage(c, org, id, stage, patch.clone()))
    }

    fn list_rules(&self, org: OrgId) -> Result<Vec<Rule>> {
        self.backend.read(|c| cases::list_rules(c, org))
    }

    fn get_rule(&self, org: OrgId, id: i64) -> Result<Rule> {
        self.backend.read(|c| cases::get_rule(c, org, id))
    }

    fn update_rule(&self, org: OrgId, id: i64, rule: RuleDefinition) -> Result<Rule> {
        let rule = rule.validate()?;
        self.backend
            .write(|c| cases::update_rule(c, org, id, &rule))
    }

    fn delete_rule(&self, org: OrgId, id: i64) -> Result<()> {
        self.backend.write(|c| cases::delete_rule(c, org, id))
    }

    fn get_case(&self, org: OrgId, id: i64) -> Result<Case> {
        self.backend.read(|c| cases::get_case(c, org, id))
    }

    fn list_cases(&self, org: OrgId, filter: &CaseFilter, page: PageRequest) -> Result<Page<Case>> {
        self.backend
            .read(|c| cases::list_cases(c, org, filter, page))
    }

    fn update_case(
        &self,
        org: OrgId,
        id: i64,
        patch: CasePatch,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case> {
        self.backend
            .write(|c| cases::update_case(c, org, id, patch, by, now))
    }

    fn add_case_event(
        &self,
        org: OrgId,
        id: i64,
        kind: CaseEventKind,
        by: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseEvent> {
        self.backend
            .write(|c| cases::add_event(c, org, id, kind, by, text, now))
    }

    fn case_events(&self, org: OrgId, id: i64) -> Result<Vec<CaseEvent>> {
        self.backend.read(|c| cases::case_events(c, org, id))
    }

    fn set_case_follow_up(
        &self,
        org: OrgId,
        id: i64,
        invitation: i64,
        now: DateTime<Utc>,
    ) -> Result<Case> {
        self.backend
            .write(|c| cases::set_follow_up(c, org, id, invitation, now))
    }

    fn create_user(
        &self,
        org: OrgId,
        user: NewUser,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let user = user.validate()?;
        dosvid_domain::user::check_password(password)?;
        let hash = users::hash_password(password)?;
        self.backend
            .write(|c| users::create_user(c, org, &user, &hash, now))
    }

    fn list_users(&self, org: OrgId) -> Result<Vec<User>> {
        self.backend.read(|c| users::list_users(c, org))
    }

    fn set_password(&self, org: OrgId, user: i64, password: &str) -> Result<()> {
        dosvid_domain::user::check_password(password)?;
        let hash = users::hash_password(password)?;
        self.backend
            .write(|c| users::set_password(c, org, user, &hash))
    }

    fn set_user_language(&self, org: OrgId, user: i64, language: &str) -> Result<()> {
        self.backend
            .write(|c| users::set_language(c, org, user, language))
    }

    fn organisation_of(&self, email: &str) -> Result<Option<OrgId>> {
        self.backend
            .read(|c| Ok(users::user_by_email(c, email)?.map(|(user, _)| user.org_id)))
    }

    fn sign_in(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>> {
        let found = self.backend.read(|c| users::user_by_email(c, email))?;
        // The slow check runs outside any transaction.
        if !users::verify_password(password, found.as_ref().map(|(_, hash)| hash.as_str())) {
            return Ok(None);
        }
        let Some((user, _)) = found else {
            return Ok(None);
        };
        let secret = self
            .backend
            .read(|c| users::two_factor(c, user.org_id, user.id))?;
        let step = match &secret {
            None => None,
            Some(secret) => {
                let step = dosvid_domain::totp::decode_secret(secret).and_then(|secret| {
                    dosvid_domain::totp::matching_step(&secret, code?, now.timestamp())
                });
                match step {
                    Some(step) => Some(step),
                    None => return Ok(None),
                }
            }
        };
        let token = self.backend.write(|c| {
            if let Some(step) = step
                && !users::use_step(c, user.id, step)?
            {
                return Ok(None);
            }
            users::open_session(c, &user, now).map(Some)
        })?;
        Ok(token.map(|token| (user, token)))
    }

    fn two_factor(&self, org: OrgId, user: i64) -> Result<bool> {
        Ok(self
            .backend
            .read(|c| users::two_factor(c, org, user))?
            .is_some())
    }

    fn set_two_factor(&self, org: OrgId, user: i64, secret: Option<&str>) -> Result<()> {
        if let Some(secret) = secret
            && dosvid_domain::totp::decode_secret(secret).is_none()
        {
            return Err(StoreError::invalid("secret", "must be base32"));
        }
        self.backend
            .write(|c| users::set_two_factor(c, org, user, secret))
    }

    fn session(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
        self.backend.read(|c| users::session(c, secret, now))
    }

    fn end_session(&self, secret: &str) -> Result<()> {
        self.backend.write(|c| users::end_session(c, secret))
    }

    fn list_sessions(&self, org: OrgId, user: i64, now: DateTime<Utc>) -> Result<Vec<SessionInfo>> {
        self.backend
            .read(|c| users::list_sessions(c, org, user, now))
    }

    fn end_sessions(
        &self,
        org: OrgId,
        user: i64,
        id: Option<&str>,
        keep: Option<&str>,
    ) -> Result<u64> {
        self.backend
            .write(|c| users::end_sessions(c, org, user, id, keep))
    }

    fn password_is(&self, org: OrgId, user: i64, password: &str) -> Result<bool> {
        self.backend
            .read(|c| users::password_is(c, org, user, password))
    }

    fn last_id(&self, org: OrgId, kind: RecordKind) -> Result<Option<i64>> {
        self.backend.read(|c| facts::last_id(c, org, kind))
    }

    fn feedback_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<FeedbackFact>> {
        self.backend.read(|c| facts::feedback(c, org, scan))
    }

    fn interaction_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<InteractionFact>> {
        self.backend.read(|c| facts::interactions(c, org, scan))
    }

    fn customer_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<CustomerFact>> {
        self.backend.read(|c| facts::customers(c, org, scan))
    }

    fn transaction_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<TransactionFact>> {
        self.backend.read(|c| facts::transactions(c, org, scan))
    }
}
