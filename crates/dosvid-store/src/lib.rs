//! The storage contract: the [`Store`] trait every backend fulfils, its error type and its query
//! types. This crate holds the store's logic once — reference resolution, idempotency, paging —
//! written against the small [`sql::Conn`] interface; the backend crates (`dosvid-store-sqlite`,
//! `dosvid-store-postgres`) only supply connections and migrations. This crate links no SQL
//! driver. [`conformance`] is the one story both backends must pass.

pub mod conformance;
pub mod keys;
pub mod pool;
pub mod sql;
mod sql_store;

use chrono::{DateTime, Utc};
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
use dosvid_domain::unit::{Unit, UnitInput};
use dosvid_domain::user::{NewUser, User};
use dosvid_domain::webhook::{
    Attempt, Delivery, DeliveryStatus, EventType, RetryPolicy, Webhook, WebhookInput, WebhookPatch,
};
use dosvid_domain::{
    BatchReport, Channel, ChannelPatch, Consent, ConsentInput, Customer, CustomerMerge,
    CustomerPatch, DuplicateSuggestion, Feedback, FeedbackSource, FieldError, Interaction, Journey,
    JourneyPatch, NewChannel, NewCustomer, NewFeedback, NewInteraction, NewJourney, NewStage,
    NewTouchpoint, NewTransaction, OrgId, RecordKind, Stage, StagePatch, Term, Touchpoint,
    TouchpointPatch, Transaction,
};
use dosvid_domain::{
    CustomerFact, FactScan, FeedbackFact, InteractionFact, Organisation, OrganisationPatch,
    TransactionFact,
};

pub use keys::{ApiKey, ApiKeySecret, Scope};
pub use sql_store::SqlStore;
pub use sql_store::cases::CaseFilter;
pub use sql_store::surveys::InvitationRequest;
pub use sql_store::users::{SESSION_HOURS, Session, SessionInfo, generate_password};
pub use sql_store::webhooks::{DueDelivery, WebhookBacklog};

/// Why a store operation failed. The first variants are the caller's to fix; `Backend` is ours.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Invalid(FieldError),
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    #[error("this idempotency key was used for a different request")]
    IdempotencyMismatch,
    /// A unique constraint failed; the store turns it into a [`StoreError::Conflict`] in context.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    /// A foreign key constraint failed; the store turns it into a [`StoreError::Conflict`] in context.
    #[error("foreign key constraint violated: {0}")]
    ForeignKeyViolation(String),
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(e: impl std::fmt::Display) -> Self {
        StoreError::Backend(e.to_string())
    }

    pub fn invalid(field: &str, message: &str) -> Self {
        StoreError::Invalid(FieldError::new(field, message))
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// Names the field behind a unique or foreign-key violation for the caller.
    pub(crate) fn in_context(self, field: &str, unique: &str, in_use: &str) -> Self {
        match self {
            StoreError::UniqueViolation(_) => StoreError::Conflict {
                field: field.into(),
                message: unique.into(),
            },
            StoreError::ForeignKeyViolation(_) => StoreError::Conflict {
                field: field.into(),
                message: in_use.into(),
            },
            other => other,
        }
    }
}

impl From<FieldError> for StoreError {
    fn from(e: FieldError) -> Self {
        StoreError::Invalid(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a page starts and how long it is. Lists are ordered by id, so a cursor is stable while
/// records are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub limit: u32,
}

impl PageRequest {
    pub const MAX_LIMIT: u32 = 1_000;

    pub fn first(limit: u32) -> Self {
        PageRequest { after: None, limit }
    }

    /// Reads an opaque cursor from a previous page.
    pub fn parse_cursor(cursor: &str) -> Result<i64, FieldError> {
        cursor
            .strip_prefix("c")
            .and_then(|id| i64::from_str_radix(id, 36).ok())
            .ok_or_else(|| FieldError::new("cursor", "is not a cursor returned by this API"))
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    fn from_items(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> i64) -> Self {
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| format!("c{}", radix36(id(last))))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

/// Every item of a paged list, following the cursors: for the few callers that need a whole
/// list (the journey map of an organisation, the keys an export names records by).
/// Compiles a taxonomy read from the store. It was checked when it was set, so a failure here
/// is ours, not the caller's.
pub fn compile_stored(taxonomy: &dosvid_text::Taxonomy) -> Result<dosvid_text::Themes> {
    taxonomy
        .compile()
        .map_err(|e| StoreError::backend(format!("stored taxonomy: {}: {}", e.field, e.message)))
}

pub fn all_pages<T>(mut page: impl FnMut(PageRequest) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut request = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let p = page(request)?;
        items.extend(p.items);
        match p.next_cursor {
            Some(cursor) => request.after = Some(PageRequest::parse_cursor(&cursor)?),
            None => return Ok(items),
        }
    }
}

fn radix36(mut n: i64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// Filters shared by the lists of signals (and, where they make sense, of the directory).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Inclusive start of the time range (`occurred_at` for signals, `created_at` otherwise).
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end of the time range.
    pub to: Option<DateTime<Utc>>,
    /// A touchpoint and its whole subtree.
    pub touchpoint_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Feedback only.
    pub source: Option<FeedbackSource>,
    /// Customers only: whose name contains this text, as typed or with a capital first letter.
    pub name: Option<String>,
}

/// A batch of validated signals; a record that failed validation keeps its place as an error
/// so the report can name its index.
#[derive(Debug, Clone)]
pub enum Signals {
    /// Customer profiles: a record whose external id or identity is known updates that profile.
    Customers(Vec<Result<NewCustomer, FieldError>>),
    Feedback(Vec<Result<NewFeedback, FieldError>>),
    Interactions(Vec<Result<NewInteraction, FieldError>>),
    Transactions(Vec<Result<NewTransaction, FieldError>>),
}

impl Signals {
    pub fn kind(&self) -> RecordKind {
        match self {
            Signals::Customers(_) => RecordKind::Customers,
            Signals::Feedback(_) => RecordKind::Feedback,
            Signals::Interactions(_) => RecordKind::Interactions,
            Signals::Transactions(_) => RecordKind::Transactions,
        }
    }
}

/// A document of the company's diagnosis as stored: the JSON of the API under its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: i64,
    /// The assessment an answer belongs to.
    pub parent_id: Option<i64>,
    pub body: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An `Idempotency-Key` with a hash of the request it arrived with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// Everything Dosvid keeps. Implementations must be safe to share between threads; calls block,
/// so async callers run them on a blocking thread.
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
    /// The organisation created on first start.
    fn default_org(&self) -> Result<OrgId>;

    fn organisation(&self, org: OrgId) -> Result<Organisation>;
    fn update_organisation(&self, org: OrgId, patch: OrganisationPatch) -> Result<Organisation>;

    /// A key with every scope and no expiry.
    fn create_api_key(
        &self,
        org: OrgId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, ApiKeySecret)> {
        self.create_scoped_api_key(org, name, &Scope::ALL, None, None, now)
    }
    /// A key that may do only what its scopes allow, until `expires_at`, seeing the records of
    /// `unit` (None: the whole organisation).
    fn create_scoped_api_key(
        &self,
        org: OrgId,
        name: &str,
        scopes: &[Scope],
        expires_at: Option<DateTime<Utc>>,
        unit: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, ApiKeySecret)>;
    fn list_api_keys(&self, org: OrgId) -> Result<Vec<ApiKey>>;
    /// Stops a key from opening the API (it stays listed as revoked).
    fn revoke_api_key(&self, org: OrgId, id: i64, now: DateTime<Utc>) -> Result<()>;
    /// The key a presented secret belongs to, if it is valid, not revoked and not expired;
    /// its last use is noted (to the minute).
    fn authenticate(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>>;

    fn create_customer(
        &self,
        org: OrgId,
        customer: NewCustomer,
        now: DateTime<Utc>,
    ) -> Result<Customer>;
    fn get_customer(&self, org: OrgId, id: i64) -> Result<Customer>;
    fn update_customer(&self, org: OrgId, id: i64, patch: CustomerPatch) -> Result<Customer>;
    /// The customer a CRM id, an e-mail or a phone number names.
    fn find_customer(&self, org: OrgId, text: &str) -> Result<Option<i64>>;
    /// The names of the customers with these ids (those without a name or not found left out).
    fn customer_names(&self, org: OrgId, ids: &[i64]) -> Result<Vec<(i64, String)>>;
    /// Deletes the profile and its identities; the customer's signals stay, anonymised.
    fn delete_customer(&self, org: OrgId, id: i64) -> Result<()>;
    /// `filter.touchpoint_id` / `channel_id` select customers with a signal there.
    fn list_customers(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Customer>>;

    fn create_channel(
        &self,
        org: OrgId,
        channel: NewChannel,
        now: DateTime<Utc>,
    ) -> Result<Channel>;
    fn get_channel(&self, org: OrgId, id: i64) -> Result<Channel>;
    fn update_channel(&self, org: OrgId, id: i64, patch: ChannelPatch) -> Result<Channel>;
    fn delete_channel(&self, org: OrgId, id: i64) -> Result<()>;
    fn list_channels(&self, org: OrgId, page: PageRequest) -> Result<Page<Channel>>;

    fn create_journey(
        &self,
        org: OrgId,
        journey: NewJourney,
        now: DateTime<Utc>,
    ) -> Result<Journey>;
    fn get_journey(&self, org: OrgId, id: i64) -> Result<Journey>;
    fn update_journey(&self, org: OrgId, id: i64, patch: JourneyPatch) -> Result<Journey>;
    /// Deletes the journey with its stages and touchpoints, unless signals refer to them.
    fn delete_journey(&self, org: OrgId, id: i64) -> Result<()>;
    fn list_journeys(&self, org: OrgId, page: PageRequest) -> Result<Page<Journey>>;

    fn create_stage(
        &self,
        org: OrgId,
        journey_id: i64,
        stage: NewStage,
        now: DateTime<Utc>,
    ) -> Result<Stage>;
    fn update_stage(&self, org: OrgId, id: i64, patch: StagePatch) -> Result<Stage>;
    fn delete_stage(&self, org: OrgId, id: i64) -> Result<()>;

    fn create_touchpoint(
        &self,
        org: OrgId,
        touchpoint: NewTouchpoint,
        now: DateTime<Utc>,
    ) -> Result<Touchpoint>;
    fn get_touchpoint(&self, org: OrgId, id: i64) -> Result<Touchpoint>;
    fn update_touchpoint(&self, org: OrgId, id: i64, patch: TouchpointPatch) -> Result<Touchpoint>;
    /// Deletes the touchpoint and its subtree, unless signals refer to them.
    fn delete_touchpoint(&self, org: OrgId, id: i64) -> Result<()>;
    /// `filter.touchpoint_id` selects a subtree, `channel_id` the touchpoints reached through it.
    fn list_touchpoints(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Touchpoint>>;

    /// Stores the valid records of a batch in one transaction and reports on every record. With
    /// an idempotency key, a repeated request returns the first answer and stores nothing.
    fn ingest(
        &self,
        org: OrgId,
        batch: &Signals,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BatchReport>;
    /// [`Store::ingest`] of a batch of one kind that arrives in parts, each read while the one
    /// before is stored (the API reads comments on one core while another stores): one
    /// transaction, one report, its indices counted from the start of the batch. A replayed
    /// idempotency key answers without reading any part.
    fn ingest_parts(
        &self,
        org: OrgId,
        kind: RecordKind,
        parts: &mut dyn Iterator<Item = Signals>,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<BatchReport>;
    /// Prepares for a large import of one kind of record (see `dosvid import`); pair with
    /// [`Store::end_bulk_load`]. Ingestion stays correct without either call, only slower.
    fn begin_bulk_load(&self, kind: RecordKind) -> Result<()>;
    fn end_bulk_load(&self, kind: RecordKind) -> Result<()>;
    fn list_feedback(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Feedback>>;
    /// The feedback records with these ids, in the order given (ids not found are left out).
    fn feedback_by_ids(&self, org: OrgId, ids: &[i64]) -> Result<Vec<Feedback>>;
    fn list_interactions(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Interaction>>;
    fn list_transactions(
        &self,
        org: OrgId,
        filter: &Filter,
        page: PageRequest,
    ) -> Result<Page<Transaction>>;

    /// The organisation's theme taxonomy (the default until one is set).
    fn taxonomy(&self, org: OrgId) -> Result<dosvid_text::Taxonomy>;
    /// The organisation's theme taxonomy, compiled for reading comments.
    fn themes(&self, org: OrgId) -> Result<dosvid_text::Themes> {
        compile_stored(&self.taxonomy(org)?)
    }
    /// Checks and stores a new taxonomy, then tags every stored comment with it; returns the
    /// compiled taxonomy and how many comments were tagged.
    fn set_taxonomy(
        &self,
        org: OrgId,
        taxonomy: &dosvid_text::Taxonomy,
    ) -> Result<(dosvid_text::Themes, u64)>;
    /// Tags the comments stored without themes (before themes existed) with `themes`.
    fn tag_untagged(&self, org: OrgId, themes: &dosvid_text::Themes) -> Result<u64>;

    fn create_survey(
        &self,
        org: OrgId,
        definition: SurveyDefinition,
        status: SurveyStatus,
        now: DateTime<Utc>,
    ) -> Result<Survey>;
    fn get_survey(&self, org: OrgId, id: i64) -> Result<Survey>;
    fn survey_by_key(&self, org: OrgId, key: &str) -> Result<Survey>;
    /// A changed definition becomes the next version; answers keep the version they answered.
    fn update_survey(
        &self,
        org: OrgId,
        id: i64,
        definition: Option<SurveyDefinition>,
        status: Option<SurveyStatus>,
        now: DateTime<Utc>,
    ) -> Result<Survey>;
    /// Deletes a survey nobody answered; one with responses can only be closed.
    fn delete_survey(&self, org: OrgId, id: i64) -> Result<()>;
    fn list_surveys(&self, org: OrgId, page: PageRequest) -> Result<Page<Survey>>;
    fn survey_version(&self, org: OrgId, survey: i64, version: i64) -> Result<SurveyDefinition>;
    /// The secrets that sign the organisation's survey links and forms (made on first use).
    fn survey_secrets(&self, org: OrgId) -> Result<SigningSecrets>;
    /// Signs with a new secret from now on; links signed with the one it replaces stay valid
    /// until `accepted_until`.
    fn rotate_survey_secret(
        &self,
        org: OrgId,
        accepted_until: DateTime<Utc>,
    ) -> Result<SigningSecrets>;
    /// A personal invitation, unless the fatigue rule forbids asking the customer now.
    fn invite(
        &self,
        org: OrgId,
        survey: &Survey,
        request: &InvitationRequest,
        now: DateTime<Utc>,
    ) -> Result<Result<Invitation, Fatigued>>;
    fn get_invitation(&self, org: OrgId, id: i64) -> Result<Invitation>;
    /// Starts a response, or returns the one already started on the same invitation.
    fn start_response(
        &self,
        org: OrgId,
        response: NewResponse,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse>;
    fn get_response(&self, org: OrgId, id: i64) -> Result<SurveyResponse>;
    /// Saves a response in progress; a finished one is a conflict.
    fn save_response(
        &self,
        org: OrgId,
        id: i64,
        answers: &Answers,
        position: i64,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse>;
    /// Finishes a response and stores the feedback record it becomes, in one transaction.
    fn complete_response(
        &self,
        org: OrgId,
        id: i64,
        answers: &Answers,
        feedback: Option<NewFeedback>,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse>;
    /// A survey's responses in id order (`filter`: start time and customer).
    fn list_responses(
        &self,
        org: OrgId,
        survey: i64,
        filter: &Filter,
        completed_only: bool,
        page: PageRequest,
    ) -> Result<Page<SurveyResponse>>;
    /// Stores one feedback record (a logged complaint or review) and returns its id.
    fn create_feedback(&self, org: OrgId, feedback: NewFeedback, now: DateTime<Utc>)
    -> Result<i64>;

    /// Opens a case (checked with [`NewCase::validate`]); its team defaults to the owner
    /// department of its touchpoint.
    fn create_case(
        &self,
        org: OrgId,
        case: NewCase,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case>;
    /// Opens the case a rule asks for about a record, unless the rule already opened one for
    /// that record (`None`).
    fn open_rule_case(
        &self,
        org: OrgId,
        rule: i64,
        case: NewCase,
        now: DateTime<Utc>,
    ) -> Result<Option<Case>>;
    fn get_case(&self, org: OrgId, id: i64) -> Result<Case>;
    fn create_rule(&self, org: OrgId, rule: RuleDefinition, now: DateTime<Utc>) -> Result<Rule>;
    fn list_rules(&self, org: OrgId) -> Result<Vec<Rule>>;
    fn get_rule(&self, org: OrgId, id: i64) -> Result<Rule>;
    fn update_rule(&self, org: OrgId, id: i64, rule: RuleDefinition) -> Result<Rule>;
    /// Deletes a rule; the cases it opened stay.
    fn delete_rule(&self, org: OrgId, id: i64) -> Result<()>;
    fn list_cases(&self, org: OrgId, filter: &CaseFilter, page: PageRequest) -> Result<Page<Case>>;
    /// Changes a case (the patch is checked against it) and logs the change.
    fn update_case(
        &self,
        org: OrgId,
        id: i64,
        patch: CasePatch,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case>;
    /// Logs a note or a contact with the customer on a case.
    fn add_case_event(
        &self,
        org: OrgId,
        id: i64,
        kind: CaseEventKind,
        by: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseEvent>;
    fn case_events(&self, org: OrgId, id: i64) -> Result<Vec<CaseEvent>>;
    /// Records the follow-up survey invitation sent when the case was resolved.
    fn set_case_follow_up(
        &self,
        org: OrgId,
        id: i64,
        invitation: i64,
        now: DateTime<Utc>,
    ) -> Result<Case>;

    /// A new organisation, with its own default channels and journey (users, keys and data
    /// are then made for it like for any other).
    fn create_organisation(
        &self,
        name: &str,
        time_zone: &str,
        now: DateTime<Utc>,
    ) -> Result<Organisation>;
    /// Joins `merged` into `survivor`: identities, missing attributes and every record moved,
    /// the merged profile removed; undoable for 30 days.
    fn merge_customers(
        &self,
        org: OrgId,
        survivor: i64,
        merged: i64,
        now: DateTime<Utc>,
    ) -> Result<CustomerMerge>;
    /// Puts both profiles of a merge back as they were.
    fn undo_merge(&self, org: OrgId, id: i64, now: DateTime<Utc>) -> Result<CustomerMerge>;
    /// The latest merges, newest first.
    fn list_merges(&self, org: OrgId) -> Result<Vec<CustomerMerge>>;
    /// Pairs of profiles that look like one person.
    fn duplicate_customers(&self, org: OrgId) -> Result<Vec<DuplicateSuggestion>>;
    /// Records a consent given or withdrawn (the latest of a purpose is in force).
    fn record_consent(
        &self,
        org: OrgId,
        customer: i64,
        consent: ConsentInput,
        now: DateTime<Utc>,
    ) -> Result<Consent>;
    /// A customer's consents, newest first.
    fn consents(&self, org: OrgId, customer: i64) -> Result<Vec<Consent>>;
    /// Erases a customer on their request: every text by or about them (comments and what was
    /// read in them, survey answers, case texts and notes, record attributes, webhook payloads),
    /// then the profile and identities; their scores stay, anonymised.
    fn erase_customer(&self, org: OrgId, id: i64) -> Result<()>;
    /// Appends an entry to the audit log (its `id` is ignored).
    fn append_audit(&self, org: OrgId, entry: &AuditEntry) -> Result<()>;
    /// The audit log, newest first.
    fn list_audit(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>>;
    /// Drops the audit entries older than `before`; how many went.
    fn prune_audit(&self, org: OrgId, before: DateTime<Utc>) -> Result<u64>;

    /// Sets a goal with the baseline measured for it; its parent and cycle must exist.
    fn create_goal(
        &self,
        org: OrgId,
        goal: GoalDefinition,
        baseline: Measurement,
        now: DateTime<Utc>,
    ) -> Result<Goal>;
    fn get_goal(&self, org: OrgId, id: i64) -> Result<Goal>;
    fn list_goals(&self, org: OrgId) -> Result<Vec<Goal>>;
    /// Changes a goal's name, target, due date, owner or links; what it measures stays.
    fn update_goal(&self, org: OrgId, id: i64, goal: GoalDefinition) -> Result<Goal>;
    /// Deletes a goal; the goals under it and its initiatives stay, unlinked.
    fn delete_goal(&self, org: OrgId, id: i64) -> Result<()>;

    /// The company's names for values of its data (segments, regions, departments…), by kind
    /// and key.
    fn vocabulary(&self, org: OrgId) -> Result<Vec<Term>>;
    /// Sets (validated) the names of a value, replacing those it had.
    fn set_term(&self, org: OrgId, term: Term) -> Result<Term>;
    fn delete_term(&self, org: OrgId, kind: &str, key: &str) -> Result<()>;

    /// The organisation's units, in the order they were made.
    fn list_units(&self, org: OrgId) -> Result<Vec<Unit>>;
    fn get_unit(&self, org: OrgId, id: i64) -> Result<Unit>;
    /// Creates a unit (validated) under its parent, which must be a unit of the organisation.
    fn create_unit(&self, org: OrgId, unit: UnitInput, now: DateTime<Utc>) -> Result<Unit>;
    /// Replaces a unit's name, parent and rules; it cannot be moved under itself.
    fn update_unit(&self, org: OrgId, id: i64, unit: UnitInput) -> Result<Unit>;
    /// Deletes a unit with no units, people or keys under it (else a conflict).
    fn delete_unit(&self, org: OrgId, id: i64) -> Result<()>;
    /// Puts a person in a unit, or (None) in the whole organisation.
    fn set_user_unit(&self, org: OrgId, user: i64, unit: Option<i64>) -> Result<()>;
    /// Puts an API key in a unit, or (None) in the whole organisation.
    fn set_api_key_unit(&self, org: OrgId, key: i64, unit: Option<i64>) -> Result<()>;
    fn create_initiative(
        &self,
        org: OrgId,
        initiative: InitiativeDefinition,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Initiative>;
    fn get_initiative(&self, org: OrgId, id: i64) -> Result<Initiative>;
    fn list_initiatives(&self, org: OrgId) -> Result<Vec<Initiative>>;
    /// Replaces an initiative's definition (checked); a change of status is logged.
    fn update_initiative(
        &self,
        org: OrgId,
        id: i64,
        initiative: InitiativeDefinition,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Initiative>;
    /// The initiative's status changes, oldest first (its creation first).
    fn initiative_log(&self, org: OrgId, id: i64) -> Result<Vec<StatusChange>>;
    /// Stores a new strategy cycle (made by [`Cycle::new`]) with its definition checked.
    fn create_cycle(&self, org: OrgId, cycle: Cycle) -> Result<Cycle>;
    fn get_cycle(&self, org: OrgId, id: i64) -> Result<Cycle>;
    fn list_cycles(&self, org: OrgId) -> Result<Vec<Cycle>>;
    fn update_cycle_stage(
        &self,
        org: OrgId,
        id: i64,
        stage: StageKey,
        patch: CycleStagePatch,
    ) -> Result<Cycle>;

    /// A document of the company's diagnosis under `parent` (an answer under its assessment,
    /// which must exist).
    fn create_document(
        &self,
        org: OrgId,
        kind: DocumentKind,
        parent: Option<i64>,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Document>;
    fn get_document(&self, org: OrgId, kind: DocumentKind, id: i64) -> Result<Document>;
    /// The documents of `kind` (under `parent` when given), oldest first.
    fn list_documents(
        &self,
        org: OrgId,
        kind: DocumentKind,
        parent: Option<i64>,
    ) -> Result<Vec<Document>>;
    fn update_document(
        &self,
        org: OrgId,
        kind: DocumentKind,
        id: i64,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Document>;
    /// Deletes a document with everything under it.
    fn delete_document(&self, org: OrgId, kind: DocumentKind, id: i64) -> Result<()>;

    /// Every organisation, for the work a server does for all of them (scheduled rules).
    fn organisations(&self) -> Result<Vec<OrgId>>;
    /// Records an aggregate rule's alert unless `same_problem` says the latest alert of the
    /// rule for the same scope stands for it (`None`; that alert is marked still firing).
    fn record_alert(
        &self,
        org: OrgId,
        alert: &Alert,
        same_problem: &dyn Fn(&Alert) -> bool,
    ) -> Result<Option<Alert>>;
    /// Links an alert to the case it opened.
    fn set_alert_case(&self, org: OrgId, alert: i64, case: i64) -> Result<()>;
    /// Alerts, newest first; of one rule when given.
    fn list_alerts(&self, org: OrgId, rule: Option<i64>, page: PageRequest) -> Result<Page<Alert>>;

    /// Adds a webhook endpoint (checked) with a fresh signing secret.
    fn create_webhook(
        &self,
        org: OrgId,
        webhook: WebhookInput,
        now: DateTime<Utc>,
    ) -> Result<Webhook>;
    fn list_webhooks(&self, org: OrgId) -> Result<Vec<Webhook>>;
    fn get_webhook(&self, org: OrgId, id: i64) -> Result<Webhook>;
    /// The endpoint's signing secret, `whsec_…`.
    fn webhook_secret(&self, org: OrgId, id: i64) -> Result<String>;
    /// Changes an endpoint; enabling a disabled one resumes its pending deliveries.
    fn update_webhook(&self, org: OrgId, id: i64, patch: WebhookPatch) -> Result<Webhook>;
    /// Deletes an endpoint with its deliveries.
    fn delete_webhook(&self, org: OrgId, id: i64) -> Result<()>;
    /// Whether any enabled endpoint takes `event` (so callers build payloads only when needed).
    fn webhook_subscribed(&self, org: OrgId, event: EventType) -> Result<bool>;
    /// Writes a pending delivery for every enabled endpoint subscribed to each event
    /// `(type, body)`, in one transaction, each event under a fresh id; returns how many.
    fn enqueue_events(
        &self,
        org: OrgId,
        events: &[(EventType, String)],
        now: DateTime<Utc>,
    ) -> Result<usize>;
    /// Claims up to `limit` due deliveries of every organisation until `lease_until`.
    fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>>;
    /// How many deliveries wait, of every organisation (for the operator's metrics).
    fn webhook_backlog(&self, now: DateTime<Utc>) -> Result<WebhookBacklog>;
    /// Logs an attempt of a claimed delivery and schedules what follows under `policy`.
    fn record_delivery_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &Attempt,
        delivered: bool,
        policy: &RetryPolicy,
    ) -> Result<()>;
    /// An endpoint's deliveries, newest first.
    fn list_deliveries(
        &self,
        org: OrgId,
        webhook: i64,
        status: Option<DeliveryStatus>,
        page: PageRequest,
    ) -> Result<Page<Delivery>>;
    /// One delivery with its log of attempts.
    fn get_delivery(&self, org: OrgId, id: i64) -> Result<Delivery>;
    /// Sends a delivered or failed delivery again, with a fresh retry schedule.
    fn redeliver(&self, org: OrgId, id: i64, now: DateTime<Utc>) -> Result<Delivery>;

    /// Creates a user who signs in with `password` (checked, then hashed with argon2id).
    fn create_user(
        &self,
        org: OrgId,
        user: NewUser,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<User>;
    fn list_users(&self, org: OrgId) -> Result<Vec<User>>;
    /// Sets a new password (checked, then hashed) and ends the user's sessions.
    fn set_password(&self, org: OrgId, user: i64, password: &str) -> Result<()>;
    fn set_user_language(&self, org: OrgId, user: i64, language: &str) -> Result<()>;
    /// The organisation of the person with this e-mail, if there is one (a failed sign-in is
    /// that organisation's to know about).
    fn organisation_of(&self, email: &str) -> Result<Option<OrgId>>;
    /// Checks an e-mail and password — and, for a person who turned the second factor on, a
    /// code of it not used before; on success opens a session and returns the cookie's secret.
    fn sign_in(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>>;
    /// Whether a person signs in with a second factor.
    fn two_factor(&self, org: OrgId, user: i64) -> Result<bool>;
    /// Turns a person's second factor on with a TOTP secret (base32), or off (`None`).
    fn set_two_factor(&self, org: OrgId, user: i64, secret: Option<&str>) -> Result<()>;
    /// The unexpired session a cookie's secret opens.
    fn session(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<Session>>;
    fn end_session(&self, secret: &str) -> Result<()>;
    /// A user's unexpired sessions, newest first.
    fn list_sessions(&self, org: OrgId, user: i64, now: DateTime<Utc>) -> Result<Vec<SessionInfo>>;
    /// Ends one session of a user (`id`), or all of them but `keep`; how many ended.
    fn end_sessions(
        &self,
        org: OrgId,
        user: i64,
        id: Option<&str>,
        keep: Option<&str>,
    ) -> Result<u64>;
    /// Whether `password` is the user's (for a change of password).
    fn password_is(&self, org: OrgId, user: i64, password: &str) -> Result<bool>;

    /// The highest id among an organisation's records of a kind, to split a scan of them.
    fn last_id(&self, org: OrgId, kind: RecordKind) -> Result<Option<i64>>;
    /// Feedback facts for the analytics index: a page in id order, or the given records.
    fn feedback_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<FeedbackFact>>;
    fn interaction_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<InteractionFact>>;
    fn customer_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<CustomerFact>>;
    fn transaction_facts(&self, org: OrgId, scan: FactScan) -> Result<Vec<TransactionFact>>;
}
