//! What the operator sees of a running server: `GET /metrics`.

use std::collections::HashMap;

use serde_json::json;

use crate::api_test;
use crate::helpers::TestApp;

/// Parses the Prometheus text format strictly: every sample's family is declared by `# TYPE`
/// before it, every value is a number, labels are quoted. Returns `name{labels}` → value.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut declared = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "kind {kind}"
            );
            declared.push(name.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name {name}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| declared.iter().any(|d| d == f))
            })
            .unwrap_or(name);
        assert!(declared.iter().any(|d| d == family), "undeclared {name}");
        let labels = &series[name.len()..];
        if !labels.is_empty() {
            let inner = labels.strip_prefix('{').and_then(|l| l.strip_suffix('}'));
            for pair in inner.expect("labels in braces").split("\",") {
                let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
                assert!(!key.is_empty() && !value.contains('\n'), "label {pair}");
            }
        }
        samples.insert(series.to_owned(), value);
    }
    samples
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app.send("GET", "/metrics", None, &[], Vec::new()).await;
    assert_eq!(response.status, 200);
    let kind = response.headers["content-type"].to_str().unwrap();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    parse(std::str::from_utf8(&response.raw).unwrap())
}

async fn metrics_move_with_requests(app: TestApp) {
    let missing = "dosvid_http_requests_total{route=\"/api/v1/customers/{id}\",method=\"GET\",status=\"404\"}";
    let before = scrape(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/customers/987654").await.status, 404);
    }
    let batch = json!({"records": [{"customer_external_id": "m-1", "nps": 9, "occurred_at": "2026-11-01T10:00:00Z"}]});
    assert_eq!(app.post("/api/v1/feedback:batch", &batch).await.status, 200);
    // A scan of random addresses counts as one series, not one per address.
    app.get("/api/v1/no-such-thing-1").await;
    app.get("/api/v1/no-such-thing-2").await;

    assert_eq!(app.get("/api/v1/overview").await.status, 200);

    let after = scrape(&app).await;
    let moved = |series: &str| {
        after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
    };
    // Tests run side by side in one process: others may add to a counter, never take away.
    assert!(moved(missing) >= 3.0, "{}", moved(missing));
    let latency = "dosvid_http_request_duration_seconds_count{route=\"/api/v1/customers/{id}\",method=\"GET\"}";
    assert!(moved(latency) >= 3.0);
    let inf = "dosvid_http_request_duration_seconds_bucket{route=\"/api/v1/customers/{id}\",method=\"GET\",le=\"+Inf\"}";
    assert_eq!(
        after[inf], after[latency],
        "+Inf bucket holds every request"
    );
    assert!(moved("dosvid_records_stored_total{kind=\"feedback\"}") >= 1.0);
    assert!(after.keys().all(|k| !k.contains("no-such-thing")));
    assert!(after.contains_key("dosvid_webhook_deliveries_pending"));
    assert!(after["dosvid_index_records"] >= 1.0, "the index counted");
    assert!(after.contains_key("dosvid_index_build_seconds_total"));
}
api_test!(metrics_move_with_requests, metrics_move_with_requests);

#[test]
fn a_metrics_token_closes_the_metrics_to_others() {
    crate::helpers::run(Some(TestApp::sqlite()), |mut app| async move {
        app.router = dosvid_server::app(app.state.clone().with_metrics_token("s3cret-scrape"));
        let without = app.send("GET", "/metrics", None, &[], Vec::new()).await;
        assert_eq!(without.status, 401);
        let wrong = app
            .send("GET", "/metrics", Some("guess"), &[], Vec::new())
            .await;
        assert_eq!(wrong.status, 401);
        let right = app
            .send("GET", "/metrics", Some("s3cret-scrape"), &[], Vec::new())
            .await;
        assert_eq!(right.status, 200);
    });
}
