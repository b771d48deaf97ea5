//! Outbound webhooks against a real HTTP receiver on loopback: signed events within a second,
//! retries that deliver once, a restart between attempts, an endpoint disabled and re-enabled.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

/// One request the receiver got, and the status it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Verifies the Standard Webhooks signature with `secret`.
    fn verified(&self, secret: &str) -> bool {
        let header = |name: &str| self.headers.get(name).cloned().unwrap_or_default();
        dosvid_domain::webhook::verify(
            secret,
            &header("webhook-id"),
            header("webhook-timestamp").parse().unwrap_or(0),
            &header("webhook-signature"),
            &self.body,
            chrono::Utc::now(),
        )
    }
}

/// A receiver on loopback that answers requests with `script`'s statuses in turn, then 200.
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(script: Vec<u16>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/dosvid", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or_default();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
                    }
                }
                let length = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let mut log = log.lock().unwrap();
                let answered = script.get(log.len()).copied().unwrap_or(200);
                log.push(Received {
                    headers,
                    body,
                    answered,
                });
                drop(log);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {answered} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits up to `limit` for `n` requests.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let started = Instant::now();
        while self.received().len() < n && started.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received()
    }
}

async fn subscribe(app: &TestApp, url: &str, events: Value) -> (Value, String) {
    let created = app
        .post(
            "/api/v1/webhooks",
            &json!({"url": url, "events": events, "description": "CRM"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (created.body, secret)
}

/// The endpoint's deliveries once `n` are delivered (the receiver logs a request a moment
/// before the dispatcher records its answer).
async fn delivered(app: &TestApp, hook: &Value, n: usize) -> Vec<Value> {
    let path = format!(
        "/api/v1/webhooks/{}/deliveries?status=delivered",
        hook["id"]
    );
    let started = Instant::now();
    loop {
        let items = app.get(&path).await.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if items.len() >= n || started.elapsed() > Duration::from_secs(10) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

api_test!(
    a_premium_detractor_fires_a_signed_webhook_within_a_second,
    signed_events
);
async fn signed_events(app: TestApp) {
    let _dispatcher = app.state.start_background();
    for (body, field) in [
        (json!({"url": "ftp://x", "events": ["case.created"]}), "url"),
        (json!({"url": "https://x.example", "events": []}), "events"),
        (
            json!({"url": "https://x.example", "events": ["case.deleted"]}),
            "events[0]",
        ),
    ] {
        let refused = app.post("/api/v1/webhooks", &body).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.error_field(), field, "{}", refused.body);
    }
    let receiver = Receiver::start(vec![]);
    let (hook, secret) = subscribe(
        &app,
        &receiver.url,
        json!([
            "feedback.created",
            "alert.fired",
            "case.created",
            "case.updated"
        ]),
    )
    .await;
    let rule = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "Premium detractor", "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    app.post(
        "/api/v1/customers",
        &json!({"external_id": "vip-1", "segment": "premium"}),
    )
    .await;

    let started = Instant::now();
    let stored = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [{"customer_external_id": "vip-1", "touchpoint": "contact-centre.queue", "nps": 1,
                                 "comment": "Чекав сорок хвилин", "occurred_at": "2026-03-02T10:00:00Z"}]}),
        )
        .await;
    assert_eq!(stored.body["created"], 1, "{}", stored.body);
    let got = receiver.wait_for(3, Duration::from_secs(5)).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    for wanted in ["feedback.created", "alert.fired", "case.created"] {
        assert!(types.iter().any(|t| t == wanted), "{wanted} in {types:?}");
    }
    for r in &got {
        assert!(r.verified(&secret), "signature of {:?}", r.headers);
        assert!(!r.verified("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        assert!(r.headers["webhook-id"].starts_with("msg_"));
    }
    let case = got
        .iter()
        .map(Received::json)
        .find(|e| e["type"] == "case.created")
        .unwrap();
    assert_eq!(case["data"]["priority"], "normal");
    assert_eq!(case["data"]["feedback_id"], stored.body["ids"][0]);
    let fired = got
        .iter()
        .map(Received::json)
        .find(|e| e["type"] == "alert.fired")
        .unwrap();
    assert_eq!(fired["data"]["rule"]["name"], "Premium detractor");
    assert_eq!(fired["data"]["case_id"], case["data"]["id"]);

    // A change of the case is announced too.
    let id = case["data"]["id"].clone();
    app.patch(
        &format!("/api/v1/cases/{id}"),
        &json!({"status": "in_progress", "owner": "olena"}),
    )
    .await;
    let got = receiver.wait_for(4, Duration::from_secs(5)).await;
    let updated = got.last().unwrap().json();
    assert_eq!(updated["type"], "case.updated");
    assert_eq!(updated["data"]["owner"], "olena");

    // The delivery log.
    let items = delivered(&app, &hook, 4).await;
    assert_eq!(items.len(), 4, "{items:?}");
    let one = app
        .get(&format!("/api/v1/webhook-deliveries/{}", items[0]["id"]))
        .await;
    assert_eq!(one.body["log"][0]["status_code"], 200, "{}", one.body);
}

api_test!(
    a_receiver_failing_twice_gets_the_event_once_across_a_restart,
    retries
);
async fn retries(app: TestApp) {
    let receiver = Receiver::start(vec![500, 500]);
    let (hook, secret) = subscribe(&app, &receiver.url, json!(["case.created"])).await;
    let first = app.state.start_background();
    let case = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Card blocked abroad", "touchpoint": "contact-centre.queue"}),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED);
    receiver.wait_for(1, Duration::from_secs(5)).await;
    // The server stops after the first failure; a new one on the same database carries on.
    first.abort();
    let restarted = dosvid_server::AppState::new(app.store.clone())
        .with_retry_policy(crate::helpers::fast_retries())
        .with_webhook_networks(vec![crate::helpers::loopback()]);
    let _second = restarted.start_background();
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_later = receiver.received();
    assert_eq!(
        got_later.len(),
        3,
        "nothing after the success: {got_later:?}"
    );
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    let ids: Vec<&String> = got.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one event: {ids:?}");
    assert!(got.iter().all(|r| r.verified(&secret)));
    assert_eq!(got[2].json()["data"]["id"], case.body["id"]);

    let delivery = &delivered(&app, &hook, 1).await[0];
    assert_eq!(delivery["attempts"], 3, "{delivery}");
    let log = app
        .get(&format!("/api/v1/webhook-deliveries/{}", delivery["id"]))
        .await;
    let codes: Vec<&Value> = log.body["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(200)]);
    assert_eq!(log.body["log"][0]["error"], "HTTP 500");

    // Sent again by hand, it counts every attempt its log holds.
    let retried = app
        .post(
            &format!("/api/v1/webhook-deliveries/{}/retry", delivery["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    receiver.wait_for(4, Duration::from_secs(10)).await;
    let started = Instant::now();
    let log = loop {
        let log = app
            .get(&format!("/api/v1/webhook-deliveries/{}", delivery["id"]))
            .await;
        let done = log.body["log"].as_array().is_some_and(|l| l.len() == 4);
        if (done && log.body["status"] == "delivered") || started.elapsed() > Duration::from_secs(5)
        {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(log.body["log"].as_array().unwrap().len(), 4);
    assert_eq!(log.body["attempts"], 4, "{}", log.body);
}

api_test!(
    an_endpoint_that_keeps_failing_is_disabled_and_resumes_when_enabled,
    disabling
);
async fn disabling(app: TestApp) {
    let receiver = Receiver::start(vec![503; 5]);
    let (hook, _) = subscribe(&app, &receiver.url, json!(["case.created"])).await;
    let _dispatcher = app.state.start_background();
    let case = app
        .post("/api/v1/cases", &json!({"title": "Router returned twice"}))
        .await;
    assert_eq!(case.status, StatusCode::CREATED);
    let path = format!("/api/v1/webhooks/{}", hook["id"]);
    let started = Instant::now();
    let mut state = app.get(&path).await.body;
    while state["enabled"] == true && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        state = app.get(&path).await.body;
    }
    assert_eq!(state["enabled"], false, "{state}");
    assert!(
        state["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("5 failed attempts")
    );
    assert_eq!(receiver.received().len(), 5);
    // Disabled, nothing is sent and the delivery waits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 5);
    let enabled = app.patch(&path, &json!({"enabled": true})).await;
    assert_eq!(enabled.body["enabled"], true, "{}", enabled.body);
    assert_eq!(enabled.body["disabled_reason"], Value::Null);
    let got = receiver.wait_for(6, Duration::from_secs(5)).await;
    assert_eq!(got.last().map(|r| r.answered), Some(200));
    assert_eq!(delivered(&app, &hook, 1).await[0]["attempts"], 6);
    let bad = app.get(&format!("{path}/deliveries?status=lost")).await;
    assert_eq!(bad.error_field(), "status");
    let deleted = app.delete(&path).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
}

api_test!(
    webhooks_to_private_loopback_or_metadata_addresses_are_refused_unless_allowed,
    private_targets
);
async fn private_targets(app: TestApp) {
    // A server that allows no private network.
    let mut strict = app.clone();
    strict.state = dosvid_server::AppState::new(app.store.clone())
        .with_retry_policy(crate::helpers::fast_retries());
    strict.router = dosvid_server::app(strict.state.clone());
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://[::1]:8080/hooks",
        "http://10.0.0.5/hooks",
    ] {
        let refused = strict
            .post(
                "/api/v1/webhooks",
                &json!({"url": url, "events": ["case.created"]}),
            )
            .await;
        assert_eq!(
            (refused.status, refused.error_field()),
            (StatusCode::UNPROCESSABLE_ENTITY, "url"),
            "{url}: {}",
            refused.body
        );
    }
    let named = strict
        .post(
            "/api/v1/webhooks",
            &json!({"url": "https://hooks.example.com/x", "events": ["case.created"]}),
        )
        .await;
    assert_eq!(
        named.status,
        StatusCode::CREATED,
        "names are checked when sent"
    );

    // An endpoint stored while loopback was allowed: the strict server resolves and refuses it.
    let receiver = Receiver::start(vec![]);
    let (hook, _) = subscribe(&app, &receiver.url, json!(["case.created"])).await;
    let _dispatcher = strict.state.start_background();
    strict
        .post("/api/v1/cases", &json!({"title": "Card blocked abroad"}))
        .await;
    let path = format!("/api/v1/webhooks/{}/deliveries", hook["id"]);
    let started = Instant::now();
    let error = loop {
        let items = strict.get(&path).await.body["items"].clone();
        if let Some(delivery) = items.as_array().and_then(|i| i.first())
            && delivery["attempts"].as_u64().unwrap_or(0) > 0
        {
            let log = strict
                .get(&format!("/api/v1/webhook-deliveries/{}", delivery["id"]))
                .await;
            break log.body["log"][0]["error"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no attempt: {items}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        error.contains("127.0.0.1") && error.contains("--webhook-allow-network"),
        "{error}"
    );
    assert!(receiver.received().is_empty(), "nothing was sent");
}
