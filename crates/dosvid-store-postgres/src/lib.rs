//! dosvid-store-postgres
