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

#[test]
fn a_backup_taken_while_the_store_is_open_holds_what_was_committed() {
    use dosvid_store::{Filter, PageRequest, Store};
    let dir = tempfile::tempdir().unwrap();
    let (path, copy) = (dir.path().join("live.db"), dir.path().join("copy.db"));
    let store = dosvid_store_sqlite::open(&path, chrono::Utc::now()).unwrap();
    let org = store.default_org().unwrap();
    let input: dosvid_domain::customer::NewCustomerInput =
        serde_json::from_value(serde_json::json!({"name": "Олена Backup"})).unwrap();
    store
        .create_customer(org, input.validate().unwrap(), chrono::Utc::now())
        .unwrap();
    let mut last = (0, 0);
    dosvid_store_sqlite::backup(&path, &copy, |done, total| last = (done, total)).unwrap();
    assert!(
        last.1 > 0 && last.0 == last.1,
        "progress ends whole: {last:?}"
    );
    let restored = dosvid_store_sqlite::open(&copy, chrono::Utc::now()).unwrap();
    let names: Vec<_> = restored
        .list_customers(org, &Filter::default(), PageRequest::first(10))
        .unwrap()
        .items
        .into_iter()
        .filter_map(|c| c.name)
        .collect();
    assert_eq!(names, ["Олена Backup"]);
    // A backup never overwrites: the second one into the same file is refused.
    let again = dosvid_store_sqlite::backup(&path, &copy, |_, _| {});
    assert!(again.unwrap_err().to_string().contains("exists"));
}
