//! The store story on a fresh SQLite file.

#[test]
fn the_store_story_passes_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = dosvid_store_sqlite::open(dir.path().join("story.db"), chrono::Utc::now()).unwrap();
    dosvid_store::conformance::run(&store);
}

#[test]
fn reopening_a_database_keeps_its_data_and_seeds_nothing_twice() {
    use dosvid_store::{Filter, PageRequest, Store};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    let count = |store: &dyn Store| {
        let org = store.default_org().unwrap();
        store
            .list_touchpoints(org, &Filter::default(), PageRequest::first(1000))
            .unwrap()
            .items
            .len()
    };
    let first = count(&dosvid_store_sqlite::open(&path, chrono::Utc::now()).unwrap());
    let second = count(&dosvid_store_sqlite::open(&path, chrono::Utc::now()).unwrap());
    assert_eq!(first, second);
}
