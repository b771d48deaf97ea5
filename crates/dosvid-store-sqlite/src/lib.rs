//! dosvid-store-sqlite
