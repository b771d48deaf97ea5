//! The outcome of a batch of signals: what was created, what was already there, what was
//! rejected and why. The same report answers the HTTP call, is replayed for a retried
//! idempotency key, and is what `dosvid import` summarises.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::signal::RecordKind;

/// A record that was not stored, with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rejection {
    /// Position of the record in the batch (0-based) or the line in a file (1-based, header = 1).
    pub index: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BatchReport {
    pub kind: RecordKind,
    /// Records in the batch.
    pub received: usize,
    /// Records stored by this batch.
    pub created: usize,
    /// Records whose external id was already stored; nothing was written for them.
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
    /// The stored id of each record, in batch order (`null` for rejected ones).
    pub ids: Vec<Option<i64>>,
    /// True when this is the stored answer to an earlier request with the same idempotency key.
    #[serde(default)]
    pub replayed: bool,
}
