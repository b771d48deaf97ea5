//! The Dosvid domain: customers, channels, journeys and touchpoints, and the signals customers
//! leave (interactions, feedback records, transactions), as validated types. No I/O happens here;
//! the current time is always a parameter so that validation is reproducible in tests.

pub mod alert;
pub mod audit;
pub mod case;
pub mod customer;
pub mod diagnosis;
pub mod error;
pub mod facts;
pub mod ingest;
pub mod journey;
pub mod names;
pub mod organisation;
pub mod signal;
pub mod strategy;
pub mod survey;
pub mod survey_link;
pub mod time;
pub mod totp;
pub mod unit;
pub mod user;
pub mod webhook;

pub use customer::{
    Consent, ConsentInput, Customer, CustomerMerge, CustomerPatch, CustomerRef,
    DuplicateSuggestion, Identity, IdentityKind, NewCustomer,
};
pub use error::FieldError;
pub use facts::{CustomerFact, FactScan, FeedbackFact, InteractionFact, TransactionFact};
pub use ingest::{BatchReport, Rejection};
pub use journey::{
    Channel, ChannelKind, ChannelPatch, Journey, JourneyPatch, Localize, NewChannel, NewJourney,
    NewStage, NewTouchpoint, Stage, StagePatch, Touchpoint, TouchpointPatch,
};
pub use names::{Names, Term};
pub use organisation::{Organisation, OrganisationPatch};
pub use signal::{
    Feedback, FeedbackInput, FeedbackSource, Interaction, InteractionInput, NewFeedback,
    NewInteraction, NewTransaction, RecordKind, Ref, SignalInput, Transaction, TransactionInput,
    TransactionKind, emotion_list, theme_list,
};

/// Identifies an organisation; every stored row belongs to exactly one.
pub type OrgId = i64;

/// Free-form key → value attributes (segment-like facts about a customer or a record).
pub type Attributes = serde_json::Map<String, serde_json::Value>;

/// Limits every input obeys, so that one bad record cannot exhaust memory or storage.
pub mod limits {
    /// Longest comment accepted, in characters.
    pub const MAX_COMMENT_CHARS: usize = 10_000;
    /// Longest short text field (names, keys, ids), in characters.
    pub const MAX_TEXT_CHARS: usize = 200;
    /// Most attributes on one customer or record.
    pub const MAX_ATTRIBUTES: usize = 50;
    /// Longest attribute value when it is a string, in characters.
    pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 1_000;
    /// Most records in one ingestion batch.
    pub const MAX_BATCH_RECORDS: usize = 10_000;
}
