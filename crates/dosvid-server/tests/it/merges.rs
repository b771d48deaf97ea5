//! Two profiles of one person: suggested for review, merged with everything they hold, the
//! index agreeing, and undone.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

async fn answers_of(app: &TestApp, customer: &Value) -> (usize, u64) {
    let listed = app
        .all(&format!("/api/v1/feedback?customer_id={customer}"))
        .await
        .len();
    let cx = app
        .post("/api/v1/cx-index", &json!({"customer_id": customer}))
        .await;
    (listed, cx.body["rows"][0]["n"].as_u64().unwrap_or(0))
}

api_test!(
    a_merge_moves_everything_the_index_agrees_and_undo_restores_both,
    merge
);
async fn merge(app: TestApp) {
    let create = |body: Value| {
        let app = &app;
        async move {
            let made = app.post("/api/v1/customers", &body).await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
            made.body["id"].clone()
        }
    };
    let a = create(
        json!({"external_id": "a", "name": "Олена Коваль", "region": "Lviv",
                          "phone": "+380501234567"}),
    )
    .await;
    let b = create(
        json!({"external_id": "b", "name": "олена коваль", "region": "Lviv",
                          "email": "olena@example.com", "plan": "premium",
                          "attributes": {"tier": "gold"}}),
    )
    .await;
    let records: Vec<Value> = [("a", 9), ("a", 10), ("b", 0), ("b", 1), ("b", 2)]
        .iter()
        .enumerate()
        .map(|(i, (who, nps))| {
            json!({"customer_external_id": who, "nps": nps,
                   "occurred_at": format!("2026-05-0{}T10:00:00Z", i + 1)})
        })
        .collect();
    let stored = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(stored.body["created"], 5, "{}", stored.body);
    let case = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Скарга", "customer_id": b}),
        )
        .await
        .body["id"]
        .clone();

    let suggested = app.get("/api/v1/customers/duplicates").await.body;
    assert_eq!(suggested[0]["customer_ids"], json!([a, b]), "{suggested}");
    assert_eq!(suggested[0]["reason"], "same_name_and_region");
    assert_eq!(answers_of(&app, &a).await, (2, 2));

    let itself = app
        .post(
            &format!("/api/v1/customers/{a}/merge"),
            &json!({"merge": a}),
        )
        .await;
    assert_eq!(itself.body["error"]["field"], "merge", "{}", itself.body);
    let merged = app
        .post(
            &format!("/api/v1/customers/{a}/merge"),
            &json!({"merge": b}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    assert_eq!(merged.body["moved"]["feedback"], 3);
    assert_eq!(merged.body["moved"]["cases"], 1);
    let survivor = app.get(&format!("/api/v1/customers/{a}")).await.body;
    let identities = survivor["identities"].to_string();
    assert!(identities.contains("olena@example.com") && identities.contains("+380501234567"));
    assert_eq!(survivor["plan"], "premium");
    assert_eq!(survivor["attributes"]["tier"], "gold");
    assert_eq!(
        survivor["name"], "Олена Коваль",
        "the survivor's own value stays"
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{b}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(answers_of(&app, &a).await, (5, 5));
    assert_eq!(
        app.get(&format!("/api/v1/cases/{case}")).await.body["customer_id"],
        a
    );
    // The same e-mail now finds the survivor.
    let found = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [{"customer_email": "olena@example.com", "nps": 8,
                                 "occurred_at": "2026-06-01T10:00:00Z"}]}),
        )
        .await;
    assert_eq!(found.body["created"], 1);
    assert_eq!(answers_of(&app, &a).await, (6, 6));

    // Undone: both back, each with their own.
    let merges = app.get("/api/v1/merges").await.body;
    let undone = app
        .post(
            &format!("/api/v1/merges/{}/undo", merges[0]["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert!(undone.body["undone_at"].is_string());
    let back = app.get(&format!("/api/v1/customers/{b}")).await.body;
    assert_eq!(back["external_id"], "b");
    assert!(back["identities"].to_string().contains("olena@example.com"));
    let survivor = app.get(&format!("/api/v1/customers/{a}")).await.body;
    assert!(survivor["plan"].is_null(), "{survivor}");
    assert!(
        !survivor["identities"]
            .to_string()
            .contains("olena@example.com")
    );
    // The answer given after the merge stays with the survivor, which had it.
    assert_eq!(answers_of(&app, &a).await, (3, 3));
    assert_eq!(answers_of(&app, &b).await, (3, 3));
    assert_eq!(
        app.get(&format!("/api/v1/cases/{case}")).await.body["customer_id"],
        b
    );
    let again = app
        .post(
            &format!("/api/v1/merges/{}/undo", merges[0]["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

api_test!(
    an_administrator_merges_a_suggested_pair_from_the_page_and_undoes_it,
    merge_page
);
async fn merge_page(app: TestApp) {
    use crate::helpers::{agent, sign_in};
    use dosvid_domain::user::Role;
    for (id, phone) in [("x1", "+380671112233"), ("x2", "+48671112233")] {
        let made = app
            .post(
                "/api/v1/customers",
                &json!({"external_id": id, "name": format!("Клієнт {id}"), "phone": phone}),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let admin = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &admin).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app.page("GET", "/customers/duplicates", &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("Клієнт x1") && page.html.contains("Клієнт x2"),
        "{}",
        page.html
    );
    let csrf = page.hidden("csrf");
    let ids: Vec<i64> = app
        .all("/api/v1/customers")
        .await
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let analyst = agent(&app, Role::Analyst).await;
    let theirs = sign_in(&app, &analyst).await;
    let theirs = [("cookie", theirs.as_str())];
    let their_page = app.page("GET", "/customers/duplicates", &[], &theirs).await;
    let refused = app
        .page(
            "POST",
            &format!("/customers/{}/merge/{}", ids[0], ids[1]),
            &[("csrf", &their_page.hidden("csrf"))],
            &theirs,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let merged = app
        .page(
            "POST",
            &format!("/customers/{}/merge/{}", ids[0], ids[1]),
            &[("csrf", &csrf)],
            &signed,
        )
        .await;
    assert_eq!(
        merged.location,
        Some(format!("/customers/{}", ids[0])),
        "{}",
        merged.html
    );
    assert_eq!(app.all("/api/v1/customers").await.len(), 1);
    let page = app.page("GET", "/customers/duplicates", &[], &signed).await;
    let merge_id = app.get("/api/v1/merges").await.body[0]["id"].clone();
    assert!(
        page.html
            .contains(&format!("/customers/merges/{merge_id}/undo"))
    );
    let undone = app
        .page(
            "POST",
            &format!("/customers/merges/{merge_id}/undo"),
            &[("csrf", &csrf)],
            &signed,
        )
        .await;
    assert_eq!(undone.location.as_deref(), Some("/customers/duplicates"));
    assert_eq!(app.all("/api/v1/customers").await.len(), 2);
}

/// Numbers with the same last nine digits (one number stored under two country codes) are
/// suggested once; a third number, and a customer with no phone, are not.
async fn one_phone_number_written_two_ways_is_suggested_once(app: TestApp) {
    let mut ids = Vec::new();
    for (external, phone) in [
        ("p1", Some("+380671234567")),
        ("p2", Some("+80671234567")),
        ("p3", Some("+380931112233")),
        ("p4", None),
    ] {
        let mut body = json!({"external_id": external, "name": external});
        if let Some(phone) = phone {
            body["phone"] = json!(phone);
        }
        let created = app.post("/api/v1/customers", &body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        ids.push(created.body["id"].as_i64().unwrap());
    }
    let suggested = app.get("/api/v1/customers/duplicates").await.body;
    assert_eq!(
        suggested,
        json!([{"customer_ids": [ids[0], ids[1]], "reason": "same_phone_number"}])
    );
}
api_test!(
    one_phone_number_written_two_ways_is_suggested_once,
    one_phone_number_written_two_ways_is_suggested_once
);
