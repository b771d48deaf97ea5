//! dosvid-store
