//! The layers of the server, checked on its source: the pages and the JSON API are adapters
//! over the same application code, never import each other, and make the writes with
//! consequences only through the application layer.

use std::path::Path;

fn sources(folder: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path.display().to_string(), text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no sources in {}", dir.display());
    files
}

#[test]
fn pages_and_the_json_api_never_import_each_other() {
    for (path, text) in sources("pages") {
        assert!(!text.contains("crate::api"), "{path} imports the JSON API");
    }
    for (path, text) in sources("api") {
        assert!(!text.contains("crate::pages"), "{path} imports the pages");
    }
    // A page shows its errors as a page (`pages::error::PageError`), never as the API's JSON.
    for (path, text) in sources("pages") {
        for json in ["e.into_response()", "into_response(e)"] {
            assert!(!text.contains(json), "{path} answers an error as JSON");
        }
    }
}

/// Where a write has consequences beyond its row — the analytics index, record rules, webhook
/// events, the index's copy of the journey, access to the record — the handlers call an
/// operation of `crate::application` instead of doing it themselves: no handler appends to the
/// index, runs rules, writes events or makes such a write to the store on its own.
#[test]
fn no_handler_makes_a_consequential_write_except_through_the_application_layer() {
    const ONLY_THROUGH_OPERATIONS: [&str; 24] = [
        "alerts::after_feedback",
        "alerts::case_created",
        "alerts::case_updated",
        "_written(",
        "directory_changed(",
        "taxonomy_changed(",
        "zone_changed(",
        "customer_removed(",
        "records_rewritten(",
        "privacy::erase",
        "privacy::merge",
        "privacy::undo_merge",
        "watch::run_rule",
        ".ingest_parts(",
        ".create_feedback(",
        ".complete_response(",
        ".create_case(",
        ".update_case(",
        ".add_case_event(",
        ".create_customer(",
        ".update_customer(",
        ".delete_customer(",
        ".set_taxonomy(",
        ".update_organisation(",
    ];
    for folder in ["api", "pages"] {
        for (path, text) in sources(folder) {
            for pattern in ONLY_THROUGH_OPERATIONS {
                let calls = text.matches(pattern).count();
                let operations = text.matches(&format!("op{pattern}")).count();
                assert_eq!(
                    calls, operations,
                    "{path} calls {pattern} itself instead of an operation"
                );
            }
            // A change to the journey is made inside `change_journey`, which refreshes the index.
            for kind in ["channel", "journey", "stage", "touchpoint"] {
                for verb in ["create", "update", "delete"] {
                    let call = format!("s.{verb}_{kind}(");
                    for (at, _) in text.match_indices(&call) {
                        let before = &text[..at];
                        let function = before.rfind("fn ").unwrap_or(0);
                        assert!(
                            before
                                .rfind("change_journey(")
                                .is_some_and(|c| c > function),
                            "{path}: {call} outside change_journey"
                        );
                    }
                }
            }
        }
    }
}
