//! A customer's rights: everything held about them exported, and erased so that no text of
//! theirs is left — in the answers, in webhook payloads, in the database's files — while the
//! organisation's aggregates stay as they were.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::{TestApp, agent, sign_in};
use dosvid_domain::user::Role;

/// A phrase that exists only in what the customer wrote and what was written about them.
const PHRASE: &str = "Жовтогарячий дирижабль 7q4z";

api_test!(
    an_erased_customer_s_words_are_gone_everywhere_and_the_aggregates_stay,
    erase
);
async fn erase(app: TestApp) {
    let hook = app
        .post(
            "/api/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["feedback.created"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    for (id, name) in [("c1", "Олена Приватна"), ("c2", "Петро")] {
        let made = app
            .post(
                "/api/v1/customers",
                &json!({"external_id": id, "name": name}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let stored = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [
                {"customer_external_id": "c1", "nps": 2, "comment": format!("{PHRASE}: ніхто не відповів"),
                 "occurred_at": "2026-05-01T10:00:00Z"},
                {"customer_external_id": "c2", "nps": 10, "comment": "Все чудово",
                 "occurred_at": "2026-05-02T10:00:00Z"}
            ]}),
        )
        .await;
    assert_eq!(stored.body["created"], 2, "{}", stored.body);
    let customer = app.all("/api/v1/customers").await[0]["id"].clone();
    let case = app
        .post(
            "/api/v1/cases",
            &json!({"title": format!("Скарга: {PHRASE}"), "description": PHRASE, "customer_id": customer}),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let note = app
        .post(
            &format!("/api/v1/cases/{}/events", case.body["id"]),
            &json!({"kind": "note", "text": format!("Передзвонити щодо {PHRASE}")}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);

    // The export holds it all, as JSON and as a ZIP of CSV files, with who looked at them.
    app.get(&format!("/api/v1/customers/{customer}")).await;
    let export = app
        .get(&format!("/api/v1/customers/{customer}/export"))
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    assert_eq!(export.body["customer"]["name"], "Олена Приватна");
    assert_eq!(export.body["feedback"].as_array().unwrap().len(), 1);
    // The case's opening and its note.
    assert_eq!(export.body["cases"][0]["log"].as_array().unwrap().len(), 2);
    assert!(
        !export.body["views"].as_array().unwrap().is_empty(),
        "{}",
        export.body
    );
    let zip = app
        .send(
            "GET",
            &format!("/api/v1/customers/{customer}/export?format=zip"),
            Some(&app.key),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(zip.status, StatusCode::OK);
    let bytes = zip.raw.clone();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let contains = |haystack: &[u8], needle: &str| {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(contains(&bytes, "feedback.csv") && contains(&bytes, PHRASE));

    // The same from the customer's page; only an administrator may erase.
    let admin = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &admin).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app
        .page(
            "GET",
            &format!("/customers/{customer}/export.json"),
            &[],
            &signed,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(PHRASE));
    let analyst = agent(&app, Role::Analyst).await;
    let theirs = sign_in(&app, &analyst).await;
    let theirs = [("cookie", theirs.as_str())];
    let profile = app
        .page("GET", &format!("/customers/{customer}"), &[], &theirs)
        .await;
    let refused = app
        .page(
            "POST",
            &format!("/customers/{customer}/erase"),
            &[("csrf", &profile.hidden("csrf"))],
            &theirs,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let question = json!({"measures": ["n", "nps"]});
    let before = app.post("/api/v1/query", &question).await.body;
    let erased = app
        .post(&format!("/api/v1/customers/{customer}/erase"), &json!({}))
        .await;
    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);

    // Nothing of theirs in any answer…
    assert_eq!(
        app.get(&format!("/api/v1/customers/{customer}/export"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut answers: Vec<Value> = vec![
        json!(app.all("/api/v1/feedback").await),
        json!(app.all("/api/v1/customers").await),
        app.get(&format!("/api/v1/cases/{}", case.body["id"]))
            .await
            .body,
        app.get(&format!("/api/v1/cases/{}/events", case.body["id"]))
            .await
            .body,
    ];
    answers.push(
        app.get(&format!("/api/v1/webhooks/{}/deliveries", hook.body["id"]))
            .await
            .body,
    );
    for answer in &answers {
        let text = answer.to_string();
        assert!(!text.contains(PHRASE) && !text.contains("Олена"), "{text}");
    }
    // …the scores still count…
    let after = app.post("/api/v1/query", &question).await.body;
    assert_eq!(after["rows"][0]["n"], before["rows"][0]["n"]);
    assert_eq!(
        after["rows"][0]["nps"]["value"],
        before["rows"][0]["nps"]["value"]
    );
    // …and the database's files hold no trace of the words.
    for file in &app.files {
        if let Ok(bytes) = std::fs::read(file) {
            assert!(
                !contains(&bytes, PHRASE),
                "{} still holds the phrase",
                file.display()
            );
            assert!(!contains(&bytes, "Олена Приватна"), "{}", file.display());
        }
    }
}

api_test!(
    a_customer_who_withdrew_consent_to_surveys_is_not_invited,
    consent
);
async fn consent(app: TestApp) {
    let customer = app
        .post(
            "/api/v1/customers",
            &json!({"external_id": "crm-9", "name": "Оксана"}),
        )
        .await
        .body["id"]
        .clone();
    let survey = app
        .post("/api/v1/surveys", &crate::surveys::after_call_survey())
        .await
        .body["id"]
        .clone();
    let withdrawn = app
        .post(
            &format!("/api/v1/customers/{customer}/consents"),
            &json!({"purpose": "surveys", "granted": false, "channel": "phone"}),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::CREATED, "{}", withdrawn.body);
    let bad = app
        .post(
            &format!("/api/v1/customers/{customer}/consents"),
            &json!({"purpose": "everything", "granted": true}),
        )
        .await;
    assert_eq!(bad.body["error"]["field"], "purpose");
    let path = format!("/api/v1/surveys/{survey}/invitations");
    let body = json!({"customer_external_id": "crm-9"});
    let invite = || app.post(&path, &body);
    let refused = invite().await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.body["error"]["field"], "customer");
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    app.post(
        &format!("/api/v1/customers/{customer}/consents"),
        &json!({"purpose": "surveys", "granted": true, "channel": "web", "at": later}),
    )
    .await;
    assert_eq!(invite().await.status, StatusCode::CREATED);
    let history = app
        .get(&format!("/api/v1/customers/{customer}/consents"))
        .await
        .body;
    assert_eq!(history[0]["granted"], true);
    assert_eq!(history[1]["channel"], "phone");
    let export = app
        .get(&format!("/api/v1/customers/{customer}/export"))
        .await
        .body;
    assert_eq!(export["consents"].as_array().unwrap().len(), 2);
}
