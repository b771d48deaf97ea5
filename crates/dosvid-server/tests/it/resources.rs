//! Authentication, the OpenAPI document and the CRUD of the directory and journeys.

use axum::http::StatusCode;
use serde_json::json;
use tower::ServiceExt;

use crate::api_test;
use crate::helpers::TestApp;

api_test!(
    only_health_answers_without_an_api_key,
    only_health_answers_without_an_api_key
);
async fn only_health_answers_without_an_api_key(app: TestApp) {
    assert_eq!(
        app.send("GET", "/healthz", None, &[], vec![]).await.status,
        StatusCode::OK
    );
    for path in [
        "/api/v1/customers",
        "/api/v1/touchpoints",
        "/api/v1/openapi.json",
        "/api/v1/feedback",
    ] {
        let anonymous = app.send("GET", path, None, &[], vec![]).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(anonymous.body["error"]["code"], "unauthorized");
        let forged = app.send("GET", path, Some("dsv_forged"), &[], vec![]).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let batch = app
        .send(
            "POST",
            "/api/v1/feedback:batch",
            None,
            &[],
            br#"{"records":[]}"#.to_vec(),
        )
        .await;
    assert_eq!(batch.status, StatusCode::UNAUTHORIZED);
}

api_test!(
    the_openapi_document_describes_every_endpoint,
    the_openapi_document_describes_every_endpoint
);
async fn the_openapi_document_describes_every_endpoint(app: TestApp) {
    let doc = app.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/customers/{id}",
        "/api/v1/touchpoints",
        "/api/v1/feedback:batch",
        "/api/v1/journeys/{id}/stages",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc.body["components"]["schemas"]["FeedbackInput"]["properties"]["nps"].is_object());
}

api_test!(
    the_default_journey_is_there_from_the_start,
    the_default_journey_is_there_from_the_start
);
async fn the_default_journey_is_there_from_the_start(app: TestApp) {
    let touchpoints = app.all("/api/v1/touchpoints").await;
    assert!(touchpoints.len() >= 30, "{}", touchpoints.len());
    let page = app.get("/api/v1/touchpoints?limit=10").await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 10);
    assert!(page.body["next_cursor"].is_string());
    let cc = touchpoints
        .iter()
        .find(|t| t["key"] == "contact-centre")
        .unwrap();
    let subtree = app
        .all(&format!("/api/v1/touchpoints?touchpoint_id={}", cc["id"]))
        .await;
    assert_eq!(subtree.len(), 5, "the contact centre and its four parts");
    let journeys = app.get("/api/v1/journeys").await;
    assert_eq!(
        journeys.body["items"][0]["stages"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(app.all("/api/v1/channels").await.len(), 7);
    let bad = app.get("/api/v1/touchpoints?limit=0").await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "limit")
    );
    let bad = app.get("/api/v1/touchpoints?cursor=nonsense").await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "cursor")
    );
}

api_test!(
    customers_are_created_found_changed_and_deleted,
    customers_are_created_found_changed_and_deleted
);
async fn customers_are_created_found_changed_and_deleted(app: TestApp) {
    let created = app
        .post("/api/v1/customers", &json!({"external_id": "CRM-7", "name": "Тарас", "email": "Taras@Example.UA", "phone": "067 123 45 67", "segment": "premium", "attributes": {"tenure_years": 4}}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["identities"].as_array().unwrap().len(), 2);
    assert_eq!(created.body["attributes"]["tenure_years"], 4);

    let twin = app
        .post("/api/v1/customers", &json!({"email": "taras@example.ua"}))
        .await;
    assert_eq!(
        (twin.status, twin.error_field()),
        (StatusCode::CONFLICT, "email")
    );
    let bad = app.post("/api/v1/customers", &json!({"phone": "12"})).await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "phone")
    );
    let typo = app
        .post("/api/v1/customers", &json!({"emial": "x@y.ua"}))
        .await;
    assert_eq!(
        (typo.status, typo.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "emial")
    );
    let wrong_type = app.post("/api/v1/customers", &json!({"name": 5})).await;
    assert_eq!(
        (wrong_type.status, wrong_type.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "name")
    );

    let patched = app.patch(&format!("/api/v1/customers/{id}"), &json!({"segment": null, "plan": "pro", "add_identities": [{"kind": "social", "value": "telegram:@taras"}]})).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(
        (
            patched.body["segment"].clone(),
            patched.body["plan"].clone()
        ),
        (json!(null), json!("pro"))
    );
    assert_eq!(patched.body["identities"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}")).await.body["name"],
        "Тарас"
    );

    assert_eq!(
        app.delete(&format!("/api/v1/customers/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(
        (gone.status, gone.body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        app.get("/api/v1/customers/abc").await.status,
        StatusCode::NOT_FOUND
    );
}

api_test!(
    journeys_stages_and_touchpoints_can_be_edited,
    journeys_stages_and_touchpoints_can_be_edited
);
async fn journeys_stages_and_touchpoints_can_be_edited(app: TestApp) {
    let journey = app
        .post(
            "/api/v1/journeys",
            &json!({"key": "business", "name": "Business clients"}),
        )
        .await;
    assert_eq!(journey.status, StatusCode::CREATED, "{}", journey.body);
    let jid = journey.body["id"].as_i64().unwrap();
    let stage = app
        .post(
            &format!("/api/v1/journeys/{jid}/stages"),
            &json!({"name": "Contract"}),
        )
        .await;
    assert_eq!(stage.status, StatusCode::CREATED);
    let sid = stage.body["id"].as_i64().unwrap();
    let first = app
        .post(
            &format!("/api/v1/journeys/{jid}/stages"),
            &json!({"name": "Tender", "position": 1}),
        )
        .await;
    assert_eq!(first.body["position"], 1);
    assert_eq!(
        app.get(&format!("/api/v1/journeys/{jid}")).await.body["stages"][1]["name"],
        "Contract"
    );

    let tp = app.post("/api/v1/touchpoints", &json!({"stage_id": sid, "key": "kam", "name": "Key account manager", "channels": ["phone", "email"], "moment_of_truth": true, "owner_department": "sales"})).await;
    assert_eq!(tp.status, StatusCode::CREATED, "{}", tp.body);
    let tid = tp.body["id"].as_i64().unwrap();
    let child = app.post("/api/v1/touchpoints", &json!({"stage_id": sid, "parent_id": tid, "key": "kam.meeting", "name": "Quarterly meeting"})).await;
    assert_eq!(child.status, StatusCode::CREATED);
    let dup = app
        .post(
            "/api/v1/touchpoints",
            &json!({"stage_id": sid, "key": "kam", "name": "Again"}),
        )
        .await;
    assert_eq!(
        (dup.status, dup.error_field()),
        (StatusCode::CONFLICT, "key")
    );
    let no_stage = app
        .post(
            "/api/v1/touchpoints",
            &json!({"stage_id": 999999, "key": "zz", "name": "Nowhere"}),
        )
        .await;
    assert_eq!(
        (no_stage.status, no_stage.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "stage_id")
    );
    let renamed = app
        .patch(
            &format!("/api/v1/touchpoints/{tid}"),
            &json!({"name": "KAM", "names": {"uk": "Ключові клієнти"}, "owner_department": null}),
        )
        .await;
    assert_eq!(
        (
            renamed.body["name"].as_str(),
            renamed.body["names"].clone(),
            renamed.body["owner_department"].is_null()
        ),
        (Some("KAM"), json!({"uk": "Ключові клієнти"}), true)
    );
    let long_name = app
        .patch(
            &format!("/api/v1/touchpoints/{tid}"),
            &json!({"names": {"ru": "я".repeat(201)}}),
        )
        .await;
    assert_eq!(
        (long_name.status, long_name.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "names.ru")
    );

    let channel = app
        .post(
            "/api/v1/channels",
            &json!({"key": "viber", "name": "Viber"}),
        )
        .await;
    assert_eq!(
        (channel.status, channel.body["kind"].as_str()),
        (StatusCode::CREATED, Some("custom"))
    );
    assert_eq!(
        app.delete(&format!("/api/v1/journeys/{jid}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/touchpoints/{tid}")).await.status,
        StatusCode::NOT_FOUND
    );
}

api_test!(
    answers_carry_security_headers_and_a_wrong_method_gets_the_error_shape,
    security_headers
);
async fn security_headers(app: TestApp) {
    let json = app.get("/api/v1/customers").await;
    assert_eq!(json.headers["x-content-type-options"], "nosniff");
    let page = app
        .router
        .clone()
        .oneshot(
            axum::http::Request::get("/login")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    assert!(page.headers().get("strict-transport-security").is_none());

    let wrong = app
        .send("PUT", "/api/v1/feedback:batch", Some(&app.key), &[], vec![])
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.body["error"]["code"], "method_not_allowed");
    let page = app
        .page("PUT", "/login", &[], &[("accept-language", "en")])
        .await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        page.html.contains("does not take this kind of request"),
        "{}",
        page.html
    );

    // Behind https, browsers are told to keep to it.
    let state =
        dosvid_server::AppState::new(app.store.clone()).with_public_url("https://cx.example.com");
    let behind = dosvid_server::app(state)
        .oneshot(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(behind.headers().contains_key("strict-transport-security"));
}
