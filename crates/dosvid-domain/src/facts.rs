//! Facts: the few columns of stored records that analytics reads — what the analytics index is
//! built from at start and appended with on every write. Times are Unix microseconds (UTC).

use crate::{Attributes, FeedbackSource, TransactionKind};

/// A feedback record as analytics sees it: who, where, when, the scores, whether it has words.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackFact {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub source: FeedbackSource,
    pub occurred_at: i64,
    pub nps: Option<u8>,
    pub csat: Option<u8>,
    pub ces: Option<u8>,
    pub has_comment: bool,
    pub language: Option<String>,
    /// The comment's sentiment score, −1…1.
    pub sentiment: Option<f64>,
    /// The comment's theme keys, space-separated.
    pub themes: Option<String>,
    /// The comment's emotions as bits (see [`dosvid_text::EMOTIONS`]).
    pub emotions: u8,
    /// Who served the customer, when the record names it or answers for an interaction that does.
    pub agent: Option<String>,
    pub team: Option<String>,
}

impl Default for FeedbackFact {
    /// A survey record with nothing in it: the start of a record built field by field.
    fn default() -> Self {
        FeedbackFact {
            id: 0,
            customer_id: None,
            touchpoint_id: None,
            channel_id: None,
            source: FeedbackSource::Survey,
            occurred_at: 0,
            nps: None,
            csat: None,
            ces: None,
            has_comment: false,
            language: None,
            sentiment: None,
            themes: None,
            emotions: 0,
            agent: None,
            team: None,
        }
    }
}

/// An interaction as analytics sees it: who, where, when.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionFact {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub touchpoint_id: Option<i64>,
    pub channel_id: i64,
    pub occurred_at: i64,
}

/// The customer facts records are sliced by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerFact {
    pub id: i64,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub plan: Option<String>,
    pub language: Option<String>,
    pub attributes: Attributes,
}

/// A transaction as the retention and revenue metrics see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionFact {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub occurred_at: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub kind: TransactionKind,
}

/// Which facts to read: a page in id order of the ids in `(after, through]`, or the records
/// with the given ids.
#[derive(Debug, Clone, Copy)]
pub enum FactScan<'a> {
    Page {
        after: i64,
        through: i64,
        limit: usize,
    },
    Ids(&'a [i64]),
}
