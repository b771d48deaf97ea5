//! The layers of the server, checked on its source: the pages and the JSON API are adapters
//! over the same application code and never import each other.

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
}
