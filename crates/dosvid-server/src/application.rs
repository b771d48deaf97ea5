//! The application layer: the operations of the product whose consequences reach beyond one
//! row — recording signals, feedback, a survey's answers and complaints; creating, changing and
//! deleting customers; opening and working cases; changing the journey — each taken by an
//! acting [`Principal`]. The JSON API and the pages both call them, and this is the one place
//! where, for these operations, access to the record is checked, the analytics index appended,
//! record rules run, webhook events written and the index's copy of the journey refreshed (a
//! test holds that no handler does any of these itself). The audit entry of every change is
//! written once, by the middleware both adapters pass through (`crate::audit`).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dosvid_domain::case::{Case, CaseEvent, CaseEventKind, CasePatch, NewCase};
use dosvid_domain::customer::{CustomerPatch, NewCustomer};
use dosvid_domain::survey::{Answers, SurveyResponse};
use dosvid_domain::{BatchReport, Customer, NewFeedback, OrgId, RecordKind};
use dosvid_store::{Idempotency, Signals, Store, StoreError};

use crate::access::{Principal, Sight};
use crate::analytics::Analytics;
use crate::webhooks::Outbox;
use crate::{ApiError, AppState};

/// What an operation works with: the store, the index, the outbox and who acts.
pub struct Operation<'a> {
    pub store: &'a dyn Store,
    pub analytics: &'a Analytics,
    outbox: &'a Outbox,
    pub who: &'a Principal,
}

impl AppState {
    /// Runs operations on a blocking thread, as `who`.
    pub(crate) async fn operate<T: Send + 'static>(
        &self,
        who: &Principal,
        f: impl FnOnce(&Operation) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (store, analytics, outbox, who) = (
            self.store.clone(),
            self.analytics.clone(),
            self.outbox.clone(),
            who.clone(),
        );
        let run = move || f(&Operation::new(store.as_ref(), &analytics, &outbox, &who));
        match tokio::task::spawn_blocking(run).await {
            Ok(result) => result,
            Err(join) => Err(ApiError::internal(format!("store task failed: {join}"))),
        }
    }
}

impl AppState {
    /// Operations of a caller that is no request — a command of the `dosvid` binary — on its
    /// own thread.
    pub fn operation<T>(&self, who: &Principal, f: impl FnOnce(&Operation) -> T) -> T {
        f(&Operation::new(
            self.store.as_ref(),
            &self.analytics,
            &self.outbox,
            who,
        ))
    }

    /// Changes channels, journeys, stages or touchpoints as `who` (see
    /// [`Operation::change_journey`]).
    pub(crate) async fn change_journey<T: Send + 'static>(
        &self,
        who: &Principal,
        change: impl FnOnce(&dyn Store, OrgId) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.operate(who, move |op| Ok(op.change_journey(change)?))
            .await
    }
}

impl<'a> Operation<'a> {
    /// Operations of a caller already on a blocking thread: a respondent of a public survey
    /// link acts for the organisation that signed it.
    pub(crate) fn new(
        store: &'a dyn Store,
        analytics: &'a Analytics,
        outbox: &'a Outbox,
        who: &'a Principal,
    ) -> Operation<'a> {
        Operation {
            store,
            analytics,
            outbox,
            who,
        }
    }
}

impl Operation<'_> {
    pub fn org(&self) -> OrgId {
        self.who.org
    }

    /// What the principal may see now.
    pub fn sight(&self) -> Result<Sight, StoreError> {
        self.who.sight(self.store, self.analytics)
    }

    /// A customer the principal sees, or not found: a record outside one's sight is not there.
    pub(crate) fn check_customer(&self, id: i64) -> Result<(), StoreError> {
        if self.who.is_whole() || self.sight()?.customer(id) {
            Ok(())
        } else {
            Err(StoreError::not_found("customer", id))
        }
    }

    /// A case the principal sees (its customer's, or one the person owns), or not found.
    pub(crate) fn check_case(&self, id: i64) -> Result<(), StoreError> {
        if self.who.is_whole() {
            return Ok(());
        }
        let case = self.store.get_case(self.org(), id)?;
        if self.sight()?.case(&case) {
            Ok(())
        } else {
            Err(StoreError::not_found("case", id))
        }
    }

    /// Stores a batch of signals read in parts (see `Store::ingest_parts`), then puts what was
    /// stored in the index and, for feedback, runs the record rules and writes the events;
    /// with the time those took after the store.
    pub fn ingest(
        &self,
        kind: RecordKind,
        parts: &mut dyn Iterator<Item = Signals>,
        idempotency: Option<Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<(BatchReport, Duration), StoreError> {
        let report = self
            .store
            .ingest_parts(self.org(), kind, parts, idempotency, now)?;
        let stored = Instant::now();
        let ids: Vec<i64> = report.ids.iter().flatten().copied().collect();
        crate::telemetry::stored(kind, ids.len());
        let (store, org) = (self.store, self.org());
        match kind {
            RecordKind::Feedback => self.feedback_recorded(&ids),
            RecordKind::Transactions => self.analytics.transactions_written(store, org, &ids),
            RecordKind::Customers => self.analytics.customers_written(store, org, &ids),
            RecordKind::Interactions => self.analytics.interactions_written(store, org, &ids),
        }
        Ok((report, stored.elapsed()))
    }

    /// Stores one feedback record (a complaint or review taken down by an agent).
    pub fn record_feedback(
        &self,
        feedback: NewFeedback,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let id = self.store.create_feedback(self.org(), feedback, now)?;
        crate::telemetry::stored(RecordKind::Feedback, 1);
        self.feedback_recorded(&[id]);
        Ok(id)
    }

    /// Finishes a survey response with the feedback record it becomes.
    pub fn complete_response(
        &self,
        response: i64,
        answers: &Answers,
        feedback: Option<NewFeedback>,
        now: DateTime<Utc>,
    ) -> Result<SurveyResponse, StoreError> {
        let done = self
            .store
            .complete_response(self.org(), response, answers, feedback, now)?;
        if let Some(id) = done.feedback_id {
            crate::telemetry::stored(RecordKind::Feedback, 1);
            self.feedback_recorded(&[id]);
        }
        Ok(done)
    }

    /// Runs the record rules over feedback already stored — records that came in before the
    /// rules did — opening the cases (and writing the events) they would have opened then.
    pub fn apply_rules(&self, ids: &[i64]) {
        crate::alerts::after_feedback(self.store, self.outbox, self.org(), ids);
    }

    /// What follows stored feedback: the index, the record rules (cases they open), the events.
    fn feedback_recorded(&self, ids: &[i64]) {
        self.analytics.feedback_written(self.store, self.org(), ids);
        self.apply_rules(ids);
    }

    pub fn create_customer(
        &self,
        customer: NewCustomer,
        now: DateTime<Utc>,
    ) -> Result<Customer, StoreError> {
        let created = self.store.create_customer(self.org(), customer, now)?;
        self.analytics
            .customers_written(self.store, self.org(), &[created.id]);
        Ok(created)
    }

    pub fn update_customer(&self, id: i64, patch: CustomerPatch) -> Result<Customer, StoreError> {
        self.check_customer(id)?;
        let updated = self.store.update_customer(self.org(), id, patch)?;
        self.analytics
            .customers_written(self.store, self.org(), &[id]);
        Ok(updated)
    }

    /// Deletes a customer's profile; their signals stay, anonymised.
    pub fn delete_customer(&self, id: i64) -> Result<(), StoreError> {
        self.check_customer(id)?;
        self.store.delete_customer(self.org(), id)?;
        self.analytics.customer_removed(self.org(), id);
        Ok(())
    }

    /// Erases a customer on their request (`crate::privacy::erase`).
    pub fn erase_customer(&self, id: i64) -> Result<(), StoreError> {
        self.check_customer(id)?;
        crate::privacy::erase(self.store, self.analytics, self.org(), id)
    }

    /// Joins profile `merged` into `survivor` (both must be in sight); the index is rebuilt.
    pub fn merge_customers(
        &self,
        survivor: i64,
        merged: i64,
    ) -> Result<dosvid_domain::CustomerMerge, StoreError> {
        self.check_customer(survivor)?;
        self.check_customer(merged)?;
        crate::privacy::merge(self.store, self.analytics, self.org(), survivor, merged)
    }

    /// Puts both profiles of a merge back; the index is rebuilt.
    pub fn undo_merge(&self, id: i64) -> Result<dosvid_domain::CustomerMerge, StoreError> {
        crate::privacy::undo_merge(self.store, self.analytics, self.org(), id)
    }

    /// Opens a case (about a customer the principal sees) and announces it.
    pub fn open_case(
        &self,
        case: NewCase,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case, StoreError> {
        if let Some(customer) = case.customer_id {
            self.check_customer(customer)?;
        }
        let case = self.store.create_case(self.org(), case, by, now)?;
        crate::alerts::case_created(self.store, self.outbox, self.org(), &case);
        Ok(case)
    }

    /// Changes a case the principal sees, and announces the change.
    pub fn change_case(
        &self,
        id: i64,
        patch: CasePatch,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case, StoreError> {
        self.check_case(id)?;
        let case = self.store.update_case(self.org(), id, patch, by, now)?;
        Ok(crate::alerts::case_updated(
            self.store,
            self.outbox,
            self.org(),
            case,
        ))
    }

    /// Logs a note or a contact on a case the principal sees, and announces it.
    pub fn add_case_event(
        &self,
        id: i64,
        kind: CaseEventKind,
        by: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<CaseEvent, StoreError> {
        self.check_case(id)?;
        let event = self
            .store
            .add_case_event(self.org(), id, kind, by, text, now)?;
        let case = self.store.get_case(self.org(), id)?;
        crate::alerts::case_updated(self.store, self.outbox, self.org(), case);
        Ok(event)
    }

    /// Evaluates an aggregate rule now (or as of a day), raising its alerts and opening its
    /// cases as the schedule would.
    pub fn evaluate_rule(
        &self,
        id: i64,
        as_of: Option<chrono::NaiveDate>,
    ) -> Result<crate::watch::Evaluation, ApiError> {
        let rule = self.store.get_rule(self.org(), id)?;
        Ok(crate::watch::run_rule(
            self.store,
            self.analytics,
            self.outbox,
            self.org(),
            &rule,
            as_of,
        )??)
    }

    /// Replaces the theme taxonomy: every stored comment is tagged again, and the index counts
    /// by the new themes from its next answer. Returns how many comments were tagged.
    pub fn set_taxonomy(&self, taxonomy: &dosvid_text::Taxonomy) -> Result<u64, StoreError> {
        let (_, tagged) = self.store.set_taxonomy(self.org(), taxonomy)?;
        self.analytics.taxonomy_changed(self.org());
        Ok(tagged)
    }

    /// Fits the organisation's sentiment model to its answered comments again; new comments are
    /// read with it if it beats the lexicon.
    pub fn fit_sentiment_model(&self) -> Result<crate::reading::ModelCard, StoreError> {
        let (card, reader) = crate::reading::fit(self.store, self.org(), Utc::now())?;
        self.analytics
            .model_fitted(self.org(), card.clone(), reader);
        Ok(card)
    }

    /// Changes the organisation's settings; a new time zone recounts the index's days.
    pub fn update_organisation(
        &self,
        patch: dosvid_domain::OrganisationPatch,
    ) -> Result<dosvid_domain::Organisation, StoreError> {
        let organisation = self.store.update_organisation(self.org(), patch)?;
        self.analytics
            .zone_changed(self.org(), &organisation.time_zone);
        Ok(organisation)
    }

    /// Changes channels, journeys, stages or touchpoints; the index reads the journey again
    /// before its next answer.
    pub fn change_journey<T, E: From<StoreError>>(
        &self,
        change: impl FnOnce(&dyn Store, OrgId) -> Result<T, E>,
    ) -> Result<T, E> {
        let changed = change(self.store, self.org())?;
        self.analytics.directory_changed(self.org());
        Ok(changed)
    }
}
