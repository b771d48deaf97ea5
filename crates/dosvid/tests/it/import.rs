//! `dosvid import` and `dosvid export`.

use std::fs;
use std::path::Path;

use crate::run;

/// `dosvid import KIND FILE --db DB --quiet EXTRA…`'s arguments.
fn import_args<'a>(kind: &'a str, file: &'a Path, db: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "import",
        kind,
        file.to_str().expect("a UTF-8 path"),
        "--db",
        db,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args
}

/// Runs an import that must succeed; its summary.
fn import(kind: &str, file: &Path, db: &str, extra: &[&str]) -> String {
    run(&import_args(kind, file, db, extra))
}

#[test]
fn a_csv_import_stores_good_rows_reports_bad_ones_and_adds_nothing_when_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("import.db").display());
    let csv = dir.path().join("feedback.csv");
    let mut bytes = b"response_id,customer_external_id,touchpoint,channel,ts,nps,csat,comment,attr.app_version\n".to_vec();
    bytes.extend_from_slice(
        "r1,C1,contact-centre.queue,phone,2025-06-01 10:00:00,2,1,\"Чекав 40 хвилин, жах\",\n"
            .as_bytes(),
    );
    bytes.extend_from_slice(b"r2,C2,mobile-app,app,2025-06-02 11:00:00,11,,,5.0.1\n");
    bytes.extend_from_slice(
        b"r3,C3,mobile-app,app,2025-06-02 11:00:00,9,,\"caf\xe9 latin-1\",5.0.1\n",
    );
    bytes.extend_from_slice(b"r4,C4,nowhere,app,2025-06-02 11:00:00,9,,,\n");
    bytes.extend_from_slice(b"r5,C5,mobile-app,app,2025-06-03,ten,,,\n");
    bytes.extend_from_slice(
        "r6,C1,mobile-app.login,app,2025-06-04T08:00:00Z,10,5,Зручно,5.0.2\n".as_bytes(),
    );
    fs::write(&csv, bytes).unwrap();
    let map = "--map=response_id=external_id,ts=occurred_at";
    let summary = import("feedback", &csv, &db, &[map]);
    assert!(
        summary.contains("6 rows")
            && summary.contains("2 created")
            && summary.contains("4 rejected"),
        "{summary}"
    );

    // The rejected row is kept byte for byte (invalid UTF-8 included), with line, field and reason.
    let rejects = fs::read(dir.path().join("feedback.rejected.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(rejects.as_slice());
    let reasons: Vec<(String, String)> = reader
        .byte_records()
        .map(|r| {
            let r = r.unwrap();
            (
                String::from_utf8_lossy(&r[0]).into_owned(),
                String::from_utf8_lossy(&r[r.len() - 2]).into_owned(),
            )
        })
        .collect();
    let reasons: Vec<(&str, &str)> = reasons
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("r2", "nps"),
            ("r3", "comment"),
            ("r4", "touchpoint"),
            ("r5", "nps")
        ]
    );

    let again = import("feedback", &csv, &db, &[map]);
    assert!(
        again.contains("0 created") && again.contains("2 already stored"),
        "{again}"
    );

    let exported = run(&["export", "feedback", "--db", &db]);
    let lines: Vec<&str> = exported.lines().collect();
    assert_eq!(lines.len(), 3, "{exported}");
    assert!(
        lines[1].contains("contact-centre.queue") && lines[1].contains("\"Чекав 40 хвилин, жах\""),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(r#"{""app_version"":""5.0.2""}"#),
        "{}",
        lines[2]
    );
    let customers = run(&["export", "customers", "--db", &db, "--format", "jsonl"]);
    assert_eq!(
        customers.lines().count(),
        1,
        "rejected rows created no customers: {customers}"
    );
}

#[test]
fn an_unknown_column_stops_the_import_before_anything_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("columns.db").display());
    let csv = dir.path().join("feedback.csv");
    fs::write(&csv, "external_id,occurred_at,nsp\nx,2025-01-01,5\n").unwrap();
    let output = crate::dosvid()
        .args(import_args("feedback", &csv, &db, &[]))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown column(s) nsp"), "{stderr}");
}

#[test]
fn jsonl_imports_report_rejected_lines_with_their_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("jsonl.db").display());
    let file = dir.path().join("calls.jsonl");
    fs::write(
        &file,
        "{\"external_id\":\"c1\",\"channel\":\"phone\",\"kind\":\"call\",\"occurred_at\":\"2025-01-01T10:00:00Z\",\"customer_phone\":\"0501234567\"}\n\
         {\"external_id\":\"c2\",\"channel\":\"phone\",\"kind\":\"call\"}\n\
         not json\n",
    )
    .unwrap();
    let summary = import("interactions", &file, &db, &[]);
    assert!(
        summary.contains("1 created") && summary.contains("2 rejected"),
        "{summary}"
    );
    let rejects = fs::read_to_string(dir.path().join("calls.rejected.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (rows[0]["line"].as_u64(), rows[0]["field"].as_str()),
        (Some(2), Some("occurred_at"))
    );
    assert_eq!(rows[0]["record"]["external_id"], "c2");
    assert_eq!(rows[1]["line"], 3);
}

#[test]
fn a_bulk_import_links_every_record_and_leaves_the_references_and_indexes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.db");
    let db = format!("sqlite://{}", path.display());
    let csv = dir.path().join("feedback.csv");
    fs::write(
        &csv,
        "external_id,customer_external_id,touchpoint,channel,occurred_at,nps\n\
         b1,C1,contact-centre.queue,phone,2025-06-01 10:00:00,2\n\
         b2,C2,mobile-app,app,2025-06-02 11:00:00,9\n\
         b3,C1,mobile-app.login,app,2025-06-03 11:00:00,10\n\
         b4,C3,nowhere,app,2025-06-04 11:00:00,7\n\
         b5,,mobile-app,app,2025-06-05 11:00:00,8\n",
    )
    .unwrap();
    let import = || import("feedback", &csv, &db, &["--bulk", "--batch", "2"]);
    let first = import();
    assert!(
        first.contains("4 created") && first.contains("1 rejected"),
        "{first}"
    );
    let again = import();
    assert!(again.contains("4 already stored"), "{again}");

    let store = dosvid_store_sqlite::open(&path, chrono::Utc::now()).unwrap();
    let rows = |sql: &str| store.query_sql(sql, &[]).unwrap();
    assert!(
        rows("PRAGMA foreign_key_check").is_empty(),
        "every reference points at a stored row"
    );
    assert_eq!(
        rows("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'feedback_customer'")
            .len(),
        1,
        "the index dropped for the load is back"
    );
    let linked = rows(
        "SELECT f.external_id, c.external_id FROM feedback f JOIN customers c ON c.id = f.customer_id \
         ORDER BY f.external_id",
    );
    let linked: Vec<(String, String)> = linked
        .iter()
        .map(|r| (r.text(0).unwrap(), r.text(1).unwrap()))
        .collect();
    let expected = [("b1", "C1"), ("b2", "C2"), ("b3", "C1")];
    assert_eq!(
        linked,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned())),
        "one customer per CRM id, across batches"
    );
    assert_eq!(
        rows("SELECT 1 FROM customers").len(),
        2,
        "the rejected row created no customer"
    );
}

/// The `_line` and `_error` of each rejected row.
fn rejected_lines(path: &std::path::Path) -> Vec<(u64, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[r.len() - 3].parse().unwrap(), r[r.len() - 1].to_owned())
        })
        .collect()
}

#[test]
fn a_quote_never_closed_rejects_its_row_with_the_lines_it_swallowed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("quotes.db").display());
    let row = |i: usize, comment: &str| format!("r{i},2025-06-01 10:00:00,{},{comment}\n", i % 11);
    // A stray quote near the end (two rows swallowed, the field count still right) and one in
    // the middle closed by the next quoted comment.
    let mut text = String::from("external_id,occurred_at,nps,comment\n");
    for i in 1..=2000 {
        text += &match i {
            1000 => row(i, "\"Чекав, а потім"),
            1003 => row(i, "\"все добре\""),
            1998 => row(i, "\"Довго"),
            _ => row(i, "Нормально"),
        };
    }
    let csv = dir.path().join("feedback.csv");
    fs::write(&csv, text).unwrap();
    let summary = import("feedback", &csv, &db, &[]);
    assert!(
        summary.contains("1993 created") && summary.contains("2 rejected"),
        "{summary}"
    );
    let rejected = rejected_lines(&dir.path().join("feedback.rejected.csv"));
    let lines: Vec<u64> = rejected.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [1001, 1999], "{rejected:?}");
    assert!(rejected[0].1.contains("lines 1002–1004"), "{rejected:?}");
    assert!(rejected[1].1.contains("lines 2000–2001"), "{rejected:?}");
}

#[test]
fn a_cp1251_or_utf16_file_is_read_with_its_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("encodings.db").display());
    let text = "external_id,occurred_at,nps,comment\nw1,2025-06-01,3,Дуже довго чекав\n";
    let cp1251 = dir.path().join("cp1251.csv");
    fs::write(&cp1251, encoding_rs::WINDOWS_1251.encode(text).0).unwrap();
    let refused = crate::dosvid()
        .args(import_args("feedback", &cp1251, &db, &[]))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stdout);
    assert!(said.contains("1 rejected"), "{said}");
    // The row is kept as it was, in its own encoding.
    let rejects = fs::read(dir.path().join("cp1251.rejected.csv")).unwrap();
    let rejects = String::from_utf8_lossy(&rejects);
    assert!(rejects.contains("--encoding cp1251"), "{rejects}");

    let read = import("feedback", &cp1251, &db, &["--encoding", "cp1251"]);
    assert!(read.contains("1 created"), "{read}");
    let utf16 = dir.path().join("utf16.csv");
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.replace("w1", "w2").encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    fs::write(&utf16, bytes).unwrap();
    let read = import("feedback", &utf16, &db, &["--encoding", "utf-16"]);
    assert!(read.contains("1 created"), "{read}");
    let exported = run(&["export", "feedback", "--db", &db]);
    assert_eq!(
        exported.matches("Дуже довго чекав").count(),
        2,
        "{exported}"
    );
}
