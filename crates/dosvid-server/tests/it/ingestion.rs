//! Batch ingestion: whole records or clear rejections, and retries that add nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

fn batch(records: Vec<Value>) -> Value {
    json!({ "records": records })
}

async fn feedback_count(app: &TestApp) -> usize {
    app.all("/api/v1/feedback").await.len()
}

api_test!(
    a_batch_stores_the_valid_records_and_names_the_field_of_each_bad_one,
    mixed_batch
);
async fn mixed_batch(app: TestApp) {
    let t = "2025-03-02T08:15:00Z";
    let records = vec![
        json!({"external_id": "ok-1", "customer_external_id": "C1", "touchpoint": "contact-centre.queue", "channel": "phone", "nps": 2, "comment": "Півгодини в черзі, жах", "occurred_at": t}),
        json!({"external_id": "bad-nps", "nps": 11, "occurred_at": t}),
        json!({"external_id": "bad-tp", "touchpoint": "moon-base", "nps": 5, "occurred_at": t}),
        json!({"external_id": "no-time", "nps": 5}),
        json!({"external_id": "long", "comment": "а".repeat(10_001), "occurred_at": t}),
        json!({"external_id": "type", "nps": "ten", "occurred_at": t}),
        json!({"external_id": "typo", "nsp": 5, "occurred_at": t}),
        json!("not an object"),
        json!({"external_id": "ok-2", "customer_email": "IRA@example.com", "touchpoint": "mobile-app.login", "channel": "app", "csat": 4, "ces": 6, "language": "uk", "attributes": {"app_version": "5.2.0"}, "occurred_at": t}),
    ];
    let answer = app.post("/api/v1/feedback:batch", &batch(records)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        (
            answer.body["created"].as_u64(),
            answer.body["received"].as_u64()
        ),
        (Some(2), Some(9))
    );
    let rejected: Vec<(u64, &str)> = answer.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected,
        [
            (1, "nps"),
            (2, "touchpoint"),
            (3, "occurred_at"),
            (4, "comment"),
            (5, "nps"),
            (6, "nsp"),
            (7, "body")
        ]
    );
    let stored = app.all("/api/v1/feedback").await;
    assert_eq!(stored.len(), 2, "nothing of a rejected record is stored");
    assert_eq!(stored[1]["attributes"]["app_version"], "5.2.0");
    assert_eq!(stored[0]["comment"], "Півгодини в черзі, жах");
    // Rejected records created no customers.
    assert_eq!(app.all("/api/v1/customers").await.len(), 2);

    // A batch larger than a part is read by the workers, part by part, and stored as one:
    // rejections are named by their place in the whole batch, ids come in the records' order.
    let records: Vec<Value> = (0..700)
        .map(|i| {
            let nps = if [100, 350, 699].contains(&i) { 11 } else { i % 11 };
            json!({"external_id": format!("big-{i}"), "nps": nps, "comment": format!("Відповіли за {i} хвилин, дякую"), "occurred_at": t})
        })
        .collect();
    let answer = app.post("/api/v1/feedback:batch", &batch(records)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["created"], 697);
    let rejected: Vec<u64> = answer.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(rejected, [100, 350, 699]);
    let ids: Vec<i64> = answer.body["ids"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids in the records' order"
    );
    let stored = app.all("/api/v1/feedback").await;
    let big_500 = stored
        .iter()
        .find(|f| f["external_id"] == "big-500")
        .unwrap();
    assert_eq!(big_500["nps"], 500 % 11);
    assert!(big_500["sentiment"].as_f64().unwrap() > 0.05, "{big_500}");
    assert_eq!(big_500["emotions"], json!(["gratitude"]));
    // The answer says where its time went.
    let timing = answer.headers["server-timing"].to_str().unwrap();
    for part in ["read;dur=", "store;dur=", "index;dur="] {
        assert!(timing.contains(part), "{timing}");
    }
}

api_test!(
    broken_requests_get_a_clear_error_and_store_nothing,
    broken_requests
);
async fn broken_requests(app: TestApp) {
    let send =
        |body: Vec<u8>| app.send("POST", "/api/v1/feedback:batch", Some(&app.key), &[], body);
    let malformed = send(br#"{"records": [{"nps": 5,"#.to_vec()).await;
    assert_eq!(
        (malformed.status, malformed.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
    let not_utf8 = send(b"{\"records\": [{\"comment\": \"\xff\xfe\"}]}".to_vec()).await;
    assert_eq!(not_utf8.status, StatusCode::BAD_REQUEST);
    let no_records = send(br#"{"rows": []}"#.to_vec()).await;
    assert_eq!(
        (no_records.status, no_records.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "records")
    );
    let too_many = send(batch(vec![json!({}); 10_001]).to_string().into_bytes()).await;
    assert_eq!(
        (too_many.status, too_many.error_field()),
        (StatusCode::PAYLOAD_TOO_LARGE, "records")
    );
    let huge = send(
        format!(
            r#"{{"records": [{{"comment": "{}"}}]}}"#,
            "x".repeat(33 << 20)
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(
        (huge.status, huge.body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let all_bad = app
        .post(
            "/api/v1/feedback:batch",
            &batch(vec![json!({"nps": 12, "occurred_at": "2025-01-01"})]),
        )
        .await;
    assert_eq!(
        (all_bad.status, all_bad.body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_rejected"))
    );
    assert_eq!(all_bad.body["rejected"][0]["field"], "nps");
    assert_eq!(feedback_count(&app).await, 0);
    // The server is still serving.
    assert_eq!(app.get("/api/v1/channels").await.status, StatusCode::OK);
}

api_test!(
    a_hundred_thousand_records_are_stored_once_however_often_they_are_sent,
    idempotent_volume
);
async fn idempotent_volume(app: TestApp) {
    let batches: Vec<Vec<u8>> = (0..100)
        .map(|b| {
            let records = (0..1_000)
                .map(|i| {
                    let n = b * 1_000 + i;
                    json!({"external_id": format!("fb-{n}"), "customer_external_id": format!("C{}", n % 5_000), "touchpoint": "contact-centre.agent", "channel": "phone", "nps": n % 11, "occurred_at": "2025-05-05T10:00:00Z"})
                })
                .collect();
            batch(records).to_string().into_bytes()
        })
        .collect();
    for round in 0..2 {
        for (b, body) in batches.iter().enumerate() {
            let key = format!("batch-{b}");
            let answer = app
                .send(
                    "POST",
                    "/api/v1/feedback:batch",
                    Some(&app.key),
                    &[("idempotency-key", &key)],
                    body.clone(),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            assert_eq!(answer.body["created"], 1_000);
            assert_eq!(answer.body["replayed"], round == 1);
        }
    }
    // The same records under new keys: the external ids make them duplicates.
    let again = app
        .send(
            "POST",
            "/api/v1/feedback:batch",
            Some(&app.key),
            &[("idempotency-key", "fresh")],
            batches[7].clone(),
        )
        .await;
    assert_eq!(
        (
            again.body["created"].as_u64(),
            again.body["duplicates"].as_u64()
        ),
        (Some(0), Some(1_000))
    );
    // A key reused for a different body is refused.
    let reused = app
        .send(
            "POST",
            "/api/v1/feedback:batch",
            Some(&app.key),
            &[("idempotency-key", "batch-0")],
            batches[1].clone(),
        )
        .await;
    assert_eq!(
        (reused.status, reused.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key")
    );
    assert_eq!(feedback_count(&app).await, 100_000);
    assert_eq!(app.all("/api/v1/customers").await.len(), 5_000);
}

api_test!(
    interactions_and_transactions_arrive_the_same_way,
    other_signals
);
async fn other_signals(app: TestApp) {
    let calls = app
        .post("/api/v1/interactions:batch", &batch(vec![
            json!({"external_id": "call-1", "customer_phone": "+380671234567", "channel": "phone", "touchpoint": "contact-centre", "kind": "call", "occurred_at": "2025-02-01T09:00:00Z", "duration_seconds": 340, "outcome": "resolved", "agent": "a.shevchenko", "team": "retention"}),
            json!({"external_id": "call-2", "channel": "phone", "kind": "call", "occurred_at": "2025-02-01T09:00:00Z", "duration_seconds": -5}),
        ]))
        .await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.body);
    assert_eq!(calls.body["rejected"][0]["field"], "duration_seconds");
    let money = app
        .post("/api/v1/transactions:batch", &batch(vec![
            json!({"external_id": "inv-1", "customer_phone": "0671234567", "occurred_at": "2025-02-01", "amount_minor": 29900, "currency": "uah", "kind": "recurring", "product": "Tariff L"}),
            json!({"external_id": "inv-2", "customer_phone": "0671234567", "occurred_at": "2025-02-01", "amount_minor": -100, "currency": "UAH", "kind": "refund"}),
        ]))
        .await;
    assert_eq!(money.body["rejected"][0]["field"], "amount_minor");
    let customers = app.all("/api/v1/customers").await;
    assert_eq!(
        customers.len(),
        1,
        "the phone in two spellings is one customer"
    );
    let cid = &customers[0]["id"];
    assert_eq!(
        app.all(&format!("/api/v1/transactions?customer_id={cid}"))
            .await[0]["currency"],
        "UAH"
    );
    assert_eq!(
        app.all(&format!(
            "/api/v1/interactions?customer_id={cid}&from=2025-02-01&to=2025-02-02"
        ))
        .await
        .len(),
        1
    );
    assert_eq!(
        app.all("/api/v1/interactions?from=2025-02-02").await.len(),
        0
    );
    let bad = app.get("/api/v1/transactions?channel_id=1").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

api_test!(
    two_batches_naming_the_same_new_customers_in_opposite_orders_both_succeed,
    opposite_orders
);
async fn opposite_orders(app: TestApp) {
    let record = |i: usize, batch: &str| {
        json!({"external_id": format!("{batch}-{i}"), "customer_email": format!("c{i}@example.com"),
               "nps": i % 11, "occurred_at": "2026-03-02T08:15:00Z"})
    };
    for round in 0..3 {
        let ascending = batch((0..500).map(|i| record(i, &format!("a{round}"))).collect());
        let descending = batch(
            (0..500)
                .rev()
                .map(|i| record(i, &format!("d{round}")))
                .collect(),
        );
        let (a, d) = tokio::join!(
            app.post("/api/v1/feedback:batch", &ascending),
            app.post("/api/v1/feedback:batch", &descending),
        );
        for answer in [a, d] {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            assert_eq!(answer.body["created"], 500, "{}", answer.body);
        }
    }
    // One customer per e-mail, each with its e-mail, and each holding its six records.
    let customers = app.all("/api/v1/customers").await;
    assert_eq!(customers.len(), 500);
    for customer in &customers {
        let id = customer["id"].as_i64().unwrap();
        assert_eq!(
            customer["identities"].as_array().map(Vec::len),
            Some(1),
            "{customer}"
        );
        let records = app.all(&format!("/api/v1/feedback?customer_id={id}")).await;
        assert_eq!(records.len(), 6, "{customer}");
    }
}

api_test!(
    text_with_a_nul_character_is_refused_naming_the_field_and_fails_alone_in_a_batch,
    nul_characters
);
async fn nul_characters(app: TestApp) {
    let t = "2026-03-02T08:15:00Z";
    let mut records: Vec<Value> = (0..996)
        .map(|i| json!({"external_id": format!("ok-{i}"), "nps": 9, "occurred_at": t}))
        .collect();
    records.push(json!({"external_id": "a\u{0}b", "nps": 1, "occurred_at": t}));
    records.push(json!({"customer_external_id": "c\u{0}", "nps": 1, "occurred_at": t}));
    records.push(json!({"nps": 1, "occurred_at": t, "attributes": {"tier": "x\u{0}"}}));
    records.push(json!({"nps": 1, "occurred_at": t, "attributes": {"k\u{0}": "x"}}));
    let answer = app.post("/api/v1/feedback:batch", &batch(records)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["created"], 996, "{}", answer.body);
    let fields: Vec<&str> = answer.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "external_id",
            "customer_external_id",
            "attributes.tier",
            "attributes.k\\u0000"
        ]
    );

    for (path, body, field) in [
        ("/api/v1/customers", json!({"name": "Ір\u{0}ина"}), "name"),
        (
            "/api/v1/customers",
            json!({"external_id": "x", "attributes": {"a": "\u{0}"}}),
            "attributes.a",
        ),
        (
            "/api/v1/channels",
            json!({"key": "fax", "name": "F\u{0}", "kind": "offline"}),
            "name",
        ),
        ("/api/v1/cases", json!({"title": "\u{0}"}), "title"),
    ] {
        let refused = app.post(path, &body).await;
        assert_eq!(
            (refused.status, refused.error_field()),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{path}: {}",
            refused.body
        );
    }
    // An error that quotes the request never answers a NUL: it is written `\u0000`.
    let unknown = app
        .post(
            "/api/v1/interactions:batch",
            &json!({"records": [], "x\u{0}": 1}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = unknown.body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains('\0') && message.contains("x\\u0000"),
        "{message}"
    );
    let search = app.get("/api/v1/customers?q=%00").await;
    assert_eq!(search.status, StatusCode::BAD_REQUEST, "{}", search.body);
    assert_eq!(search.body["error"]["field"], "query");

    // Pages, signed in or not: a clear 400, nothing stored.
    let login = app
        .page(
            "POST",
            "/login",
            &[("email", "a\u{0}@b.c"), ("password", "x")],
            &[],
        )
        .await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST);
    assert!(login.html.contains("U+0000"), "{}", login.html);
    let start = app.page("GET", "/s/1/a%00b", &[], &[]).await;
    assert_eq!(start.status, StatusCode::BAD_REQUEST);
}

api_test!(
    an_unknown_endpoint_answers_401_without_a_key_and_404_with_one,
    unknown_endpoints
);
async fn unknown_endpoints(app: TestApp) {
    let anonymous = app
        .send("GET", "/api/v1/no-such-thing", None, &[], Vec::new())
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let known = app.get("/api/v1/no-such-thing").await;
    assert_eq!(known.status, StatusCode::NOT_FOUND);
    assert_eq!(known.body["error"]["code"], "not_found");
}
