//! API tests: the real router, called in-process, on a fresh database per test. Every test runs
//! on SQLite, and again on PostgreSQL when `DOSVID_TEST_POSTGRES_URL` is set.

mod access;
mod analytics;
mod audit;
mod browser;
mod cases;
mod connections;
mod diagnosis;
mod helpers;
mod ingestion;
mod insights;
mod keys;
mod layers;
mod merges;
mod operations;
mod organisations;
mod privacy;
mod resources;
mod strategy;
mod surveys;
mod text;
mod web;
mod webhooks;

/// Declares `name` once per backend, running `body(app)`.
#[macro_export]
macro_rules! api_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[test]
            fn on_sqlite() {
                $crate::helpers::run(Some($crate::helpers::TestApp::sqlite()), super::$body);
            }

            #[test]
            fn on_postgres() {
                $crate::helpers::run(
                    $crate::helpers::TestApp::postgres(stringify!($name)),
                    super::$body,
                );
            }
        }
    };
}
