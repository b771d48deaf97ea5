//! dosvid-demo
