//! One installation, several organisations: each with its own journey, keys and data, and none
//! sees anything of another's.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

api_test!(two_organisations_never_see_each_other_s_data, isolation);
async fn isolation(app: TestApp) {
    // The first organisation's customer, answer, case and goal.
    let customer = app
        .post(
            "/api/v1/customers",
            &json!({"external_id": "c1", "name": "Олена"}),
        )
        .await
        .body["id"]
        .clone();
    let stored = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [{"external_id": "f1", "customer_external_id": "c1", "nps": 3,
                                 "comment": "Перша організація", "occurred_at": "2026-05-01T10:00:00Z"}]}),
        )
        .await;
    assert_eq!(stored.body["created"], 1, "{}", stored.body);
    let case = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Скарга", "customer_id": customer}),
        )
        .await
        .body["id"]
        .clone();

    // A second organisation, made as `dosvid orgs create` makes it, with its own key.
    let store = app.store.clone();
    let (second, key) = tokio::task::spawn_blocking(move || {
        let now = chrono::Utc::now();
        let refused = store.create_organisation(" ", "UTC", now).unwrap_err();
        assert!(refused.to_string().contains("name"), "{refused}");
        let org = store.create_organisation("Друга", "UTC", now).unwrap();
        let (_, secret) = store.create_api_key(org.id, "second", now).unwrap();
        (org.id, secret.expose().to_owned())
    })
    .await
    .unwrap();
    let theirs = |path: String| {
        let key = key.clone();
        let app = &app;
        async move { app.send("GET", &path, Some(&key), &[], Vec::new()).await }
    };
    let organisation = theirs("/api/v1/organisation".into()).await;
    assert_eq!(organisation.body["id"], second);
    assert_eq!(organisation.body["name"], "Друга");
    let journey = theirs("/api/v1/touchpoints?limit=5".into()).await;
    assert!(!journey.body["items"].as_array().unwrap().is_empty());
    for list in ["/api/v1/customers", "/api/v1/feedback", "/api/v1/cases"] {
        let answer = theirs(list.into()).await;
        assert_eq!(answer.body["items"], json!([]), "{list}: {}", answer.body);
    }
    for one in [
        format!("/api/v1/customers/{customer}"),
        format!("/api/v1/customers/{customer}/export"),
        format!("/api/v1/cases/{case}"),
    ] {
        assert_eq!(
            theirs(one.clone()).await.status,
            StatusCode::NOT_FOUND,
            "{one}"
        );
    }
    assert_eq!(theirs("/api/v1/goals".into()).await.body, json!([]));
    let audit = theirs("/api/v1/audit".into()).await;
    let entries: Vec<Value> = audit.body["items"].as_array().cloned().unwrap_or_default();
    assert!(
        entries
            .iter()
            .all(|e| !e["action"].as_str().unwrap_or("").starts_with("POST")),
        "the first organisation's changes are not in the second's log: {entries:#?}"
    );
    let question = json!({"measures": ["n", "nps"]}).to_string().into_bytes();
    let answer = app
        .send("POST", "/api/v1/query", Some(&key), &[], question)
        .await;
    assert_eq!(answer.body["rows"], json!([]), "{}", answer.body);

    // The same external ids live side by side.
    let same = app
        .send(
            "POST",
            "/api/v1/feedback:batch",
            Some(&key),
            &[],
            json!({"records": [{"external_id": "f1", "customer_external_id": "c1", "nps": 10,
                                "occurred_at": "2026-05-01T10:00:00Z"}]})
            .to_string()
            .into_bytes(),
        )
        .await;
    assert_eq!(same.body["created"], 1, "{}", same.body);
    let ours = app
        .post("/api/v1/query", &json!({"measures": ["n", "nps"]}))
        .await;
    assert_eq!(ours.body["rows"][0]["n"], 1);
    assert_eq!(ours.body["rows"][0]["nps"]["value"], -100.0);
}
