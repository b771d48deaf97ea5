//! dosvid-server
