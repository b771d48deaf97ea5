//! Managing the experience through the API: what an initiative changed, measured by
//! difference in differences on a company loaded through the API.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

/// 400 customers in four regions, each answering six times over 2026; from 1 April the
/// customers of the west answer two points higher (a queue fixed there).
async fn company(app: &TestApp) {
    let regions = ["north", "south", "east", "west"];
    for i in 0..400 {
        let customer = json!({"external_id": format!("c{i}"), "region": regions[i % 4]});
        let created = app.post("/api/v1/customers", &customer).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let mut records = Vec::new();
    for i in 0..2_400usize {
        let customer = i % 400;
        let month = 1 + (i / 400);
        let day = 1 + (i * 7) % 27;
        let after = month >= 4;
        let mut score = 6 + ((i * 13) % 5) as i64 - 1 + (customer % 3) as i64;
        if after && customer % 4 == 3 {
            score += 2;
        }
        records.push(json!({"external_id": format!("f{i}"), "customer_external_id": format!("c{customer}"),
            "nps": score.clamp(0, 10), "occurred_at": format!("2026-{month:02}-{day:02}T10:00:00Z")}));
    }
    for chunk in records.chunks(1_000) {
        let loaded = app
            .post("/api/v1/feedback:batch", &json!({ "records": chunk }))
            .await;
        assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
        assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    }
}

api_test!(
    an_initiative_in_the_region_where_nps_rose_shows_a_significant_effect_and_elsewhere_none,
    impact
);
async fn impact(app: TestApp) {
    company(&app).await;
    let ask = |region: &str, extra: Value| {
        let mut body = json!({"treated": {"customer": {"region": region}}, "starts_on": "2026-04-01",
                              "before_days": 90, "after_days": 90, "cost_minor": 50_000});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let west = app.post("/api/v1/impact", &ask("west", json!({}))).await;
    assert_eq!(west.status, StatusCode::OK, "{}", west.body);
    let effect = &west.body["effect"];
    assert!(
        west.body["significant"] == true && effect["low"].as_f64().unwrap() > 0.0,
        "{}",
        west.body
    );
    assert_eq!(west.body["parallel_trends"]["holds"], true, "{}", west.body);
    assert_eq!(west.body["treated_customers"], 100);

    let north = app.post("/api/v1/impact", &ask("north", json!({}))).await;
    assert_eq!(north.status, StatusCode::OK, "{}", north.body);
    assert_eq!(north.body["significant"], false, "{}", north.body);
    // West changed at that date itself: it cannot stand for "nothing was done".
    assert_eq!(north.body["excluded_from_comparison"], json!(["west"]));

    let placebo = app
        .post(
            "/api/v1/impact",
            &ask(
                "west",
                json!({"as_if_started_on": "2026-02-15", "before_days": 45, "after_days": 40}),
            ),
        )
        .await;
    assert_eq!(placebo.status, StatusCode::OK, "{}", placebo.body);
    assert_eq!(placebo.body["significant"], false, "{}", placebo.body);

    let bad = app
        .post(
            "/api/v1/impact",
            &ask("west", json!({"starts_on": "April"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["field"], "starts_on", "{}", bad.body);
    let bad = app
        .post(
            "/api/v1/impact",
            &ask(
                "nowhere",
                json!({"treated": {"customer": {"planet": "mars"}}}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.body["error"]["field"], "treated.customer.planet",
        "{}",
        bad.body
    );
}
