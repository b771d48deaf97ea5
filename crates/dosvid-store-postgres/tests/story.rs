//! The store story on a fresh PostgreSQL database (skipped, with a notice, without
//! `DOSVID_TEST_POSTGRES_URL`).

use dosvid_store_postgres::TestDatabase;

#[test]
fn the_store_story_passes_on_postgres() {
    let Some(db) = TestDatabase::create("the store story") else {
        return;
    };
    let store = dosvid_store_postgres::open(&db.url, chrono::Utc::now()).unwrap();
    dosvid_store::conformance::run(&store);
}
