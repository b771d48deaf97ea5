//! Cases through the API, and MTTR and FCR against a hand calculation on the exported cases.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

api_test!(
    cases_close_the_loop_and_their_metrics_equal_a_hand_calculation,
    cases
);
async fn cases(app: TestApp) {
    let open = |title: &str| {
        let app = app.clone();
        let body =
            json!({"title": title, "touchpoint": "contact-centre.queue", "priority": "high"});
        async move {
            let created = app.post("/api/v1/cases", &body).await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
            created.body
        }
    };
    let (one, two, three) = (
        open("Waited 40 min").await,
        open("Dropped twice").await,
        open("No answer").await,
    );
    let queue = app
        .all("/api/v1/touchpoints")
        .await
        .into_iter()
        .find(|t| t["key"] == "contact-centre.queue")
        .unwrap();
    assert_eq!(
        one["team"], queue["owner_department"],
        "the owner department's case"
    );
    assert_eq!(one["status"], "new");

    let path = |case: &Value, rest: &str| format!("/api/v1/cases/{}{rest}", case["id"]);
    let contact = |case: &Value| {
        let app = app.clone();
        let url = path(case, "/events");
        async move {
            let logged = app
                .post(
                    &url,
                    &json!({"kind": "contact", "text": "Called the customer back", "by": "olena"}),
                )
                .await;
            assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.body);
        }
    };
    contact(&one).await;
    contact(&two).await;
    contact(&two).await;
    let unresolved = app
        .patch(&path(&one, ""), &json!({"status": "resolved"}))
        .await;
    assert_eq!(
        (unresolved.status, unresolved.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "resolution")
    );
    for case in [&one, &two] {
        let done = app
            .patch(&path(case, ""), &json!({"status": "resolved", "resolution": "callback_made", "root_cause": "queue_capacity"}))
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    }
    let weird = app
        .patch(&path(&three, ""), &json!({"status": "lost"}))
        .await;
    assert_eq!(weird.error_field(), "status");
    let change = app
        .post(
            &path(&three, "/events"),
            &json!({"kind": "change", "text": "x"}),
        )
        .await;
    assert_eq!(change.error_field(), "kind");
    let log = app.get(&path(&two, "/events")).await;
    let kinds: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["change", "contact", "contact", "change"]);

    // The metrics against the exported cases.
    let exported = app.all("/api/v1/cases").await;
    assert_eq!(exported.len(), 3);
    let time = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    let hours: Vec<f64> = exported
        .iter()
        .filter(|c| !c["resolved_at"].is_null())
        .map(|c| (time(&c["resolved_at"]) - time(&c["opened_at"])).num_seconds() as f64 / 3600.0)
        .collect();
    let mean = hours.iter().sum::<f64>() / hours.len() as f64;
    let in_one_contact = exported
        .iter()
        .filter(|c| !c["resolved_at"].is_null() && c["contacts"] == 1)
        .count();
    let metrics = app.get("/api/v1/cases/metrics?group_by=team").await;
    assert_eq!(metrics.status, StatusCode::OK, "{}", metrics.body);
    let row = &metrics.body[0];
    assert_eq!(
        (
            row["cases"].as_u64(),
            row["resolved"].as_u64(),
            row["backlog"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert!((row["mttr_hours"]["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert_eq!(
        row["fcr"]["value"].as_f64(),
        Some(100.0 * in_one_contact as f64 / 2.0)
    );
    assert_eq!(
        row["sla_compliance"]["value"].as_f64(),
        Some(100.0),
        "resolved in minutes"
    );
    // The same by owner: every case counted once, under its owner (or none).
    let by_owner = app.get("/api/v1/cases/metrics?group_by=owner").await;
    assert_eq!(by_owner.status, StatusCode::OK, "{}", by_owner.body);
    let counted: u64 = by_owner
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cases"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 3);
    let refused = app.get("/api/v1/cases/metrics?group_by=mood").await;
    assert_eq!(refused.error_field(), "group_by");
    // Two resolved cases are too few for a share to stand on (default minimum 30).
    assert_eq!(row["fcr"]["low_sample"], true);
    assert_eq!(row["sla_compliance"]["low_sample"], true);
    let lenient = app.get("/api/v1/cases/metrics?min_sample=2").await;
    assert_eq!(lenient.body[0]["fcr"]["low_sample"], false);
    let bad = app.get("/api/v1/cases/metrics?min_sample=-1").await;
    assert_eq!(bad.error_field(), "min_sample");
    let open_only = app.all("/api/v1/cases?open=true").await;
    assert_eq!(open_only.len(), 1);
    assert_eq!(open_only[0]["id"], three["id"]);

    // The service-metrics page shows the API's figures for the same period and grouping, the
    // team by its department's name, in the reader's language.
    let team = one["team"].as_str().unwrap().to_owned();
    let named = app
        .put(
            "/api/v1/vocabulary",
            &json!({"kind": "department", "key": team, "names": {"uk": "Відділ черг"}}),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    let today = Utc::now().date_naive();
    let period = format!("from={}&to={today}", today - chrono::Duration::days(1));
    // The page's `to` is a day included; the API's is a time excluded.
    let api = app
        .get(&format!(
            "/api/v1/cases/metrics?group_by=team&from={}&to={}",
            today - chrono::Duration::days(1),
            today + chrono::Duration::days(1)
        ))
        .await;
    let email = crate::helpers::agent(&app, dosvid_domain::user::Role::TeamLead).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let page = app
        .page(
            "GET",
            &format!("/cases/metrics?group_by=team&{period}"),
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let fcr = api.body[0]["fcr"]["value"].as_f64().unwrap();
    for shown in [
        "Показники обслуговування".to_owned(),
        "Відділ черг".to_owned(),
        format!("data-fcr=\"{fcr}\""),
        format!("{fcr:.0} %"),
    ] {
        assert!(page.html.contains(&shown), "{shown}: {}", page.html);
    }
    assert!(!page.html.contains(&format!(">{team}<")), "raw team key");
}

api_test!(
    a_premium_detractor_opens_a_case_for_the_touchpoint_owner_at_once,
    rules
);
async fn rules(app: TestApp) {
    let bad = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "Everything", "when": {}}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "when")
    );
    let rule = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "Premium detractor", "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}},
                    "open_case": {"priority": "high"}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    app.post(
        "/api/v1/customers",
        &json!({"external_id": "vip-1", "segment": "premium"}),
    )
    .await;
    app.post(
        "/api/v1/customers",
        &json!({"external_id": "mass-1", "segment": "mass"}),
    )
    .await;
    let batch = json!({"records": [
        {"external_id": "f-1", "customer_external_id": "vip-1", "touchpoint": "contact-centre.queue", "nps": 2,
         "comment": "Сорок хвилин на лінії", "occurred_at": "2026-03-02T10:00:00Z"},
        {"external_id": "f-2", "customer_external_id": "mass-1", "touchpoint": "contact-centre.queue", "nps": 2,
         "occurred_at": "2026-03-02T10:00:00Z"},
        {"external_id": "f-3", "customer_external_id": "vip-1", "touchpoint": "contact-centre.queue", "nps": 9,
         "occurred_at": "2026-03-02T10:00:00Z"}
    ]});
    let started = std::time::Instant::now();
    let stored = app.post("/api/v1/feedback:batch", &batch).await;
    assert_eq!(stored.body["created"], 3, "{}", stored.body);
    let cases = app.all("/api/v1/cases").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "within a second"
    );
    assert_eq!(cases.len(), 1, "only the premium detractor: {cases:?}");
    let queue = app
        .all("/api/v1/touchpoints")
        .await
        .into_iter()
        .find(|t| t["key"] == "contact-centre.queue")
        .unwrap();
    assert_eq!(cases[0]["team"], queue["owner_department"]);
    assert_eq!(cases[0]["priority"], "high");
    assert!(cases[0]["title"].as_str().unwrap().contains("Сорок хвилин"));

    // The same record again, or the batch again: no second case.
    app.post("/api/v1/feedback:batch", &batch).await;
    assert_eq!(app.all("/api/v1/cases").await.len(), 1);

    // Paused, the rule opens nothing.
    let id = rule.body["id"].clone();
    let paused = app
        .put(
            &format!("/api/v1/alert-rules/{id}"),
            &json!({"name": "Premium detractor", "enabled": false, "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}}}),
        )
        .await;
    assert_eq!(paused.body["enabled"], false, "{}", paused.body);
    app.post(
        "/api/v1/feedback:batch",
        &json!({"records": [{"customer_external_id": "vip-1", "nps": 0, "occurred_at": "2026-03-03T10:00:00Z"}]}),
    )
    .await;
    assert_eq!(app.all("/api/v1/cases").await.len(), 1);
    let deleted = app.delete(&format!("/api/v1/alert-rules/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.all("/api/v1/cases").await.len(), 1, "its cases stay");
}

api_test!(
    a_resolved_case_invites_its_customer_to_the_follow_up_survey_once,
    follow_up
);
async fn follow_up(app: TestApp) {
    let survey = app
        .post(
            "/api/v1/surveys",
            &json!({"key": "after-case", "title": {"en": "Did we fix it?"}, "languages": ["en"],
                    "questions": [{"id": "csat", "type": "csat", "text": {"en": "How satisfied are you now?"}}]}),
        )
        .await;
    assert_eq!(survey.status, StatusCode::CREATED, "{}", survey.body);
    app.post(
        "/api/v1/customers",
        &json!({"external_id": "vip-2", "segment": "premium"}),
    )
    .await;
    app.post(
        "/api/v1/alert-rules",
        &json!({"name": "Premium detractor", "when": {"nps_at_most": 6, "customer": {"segment": ["premium"]}},
                "open_case": {"priority": "urgent", "follow_up_survey": "after-case"}}),
    )
    .await;
    let records = json!({"records": [
        {"customer_external_id": "vip-2", "nps": 1, "touchpoint": "contact-centre.queue", "occurred_at": "2026-03-02T10:00:00Z"},
        {"customer_external_id": "vip-2", "nps": 2, "touchpoint": "contact-centre.queue", "occurred_at": "2026-03-03T10:00:00Z"}
    ]});
    app.post("/api/v1/feedback:batch", &records).await;
    let cases = app.all("/api/v1/cases").await;
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0]["follow_up_survey"], "after-case");
    let resolve = |case: &Value| {
        let app = app.clone();
        let url = format!("/api/v1/cases/{}", case["id"]);
        async move {
            app.patch(
                &url,
                &json!({"status": "resolved", "resolution": "callback_made"}),
            )
            .await
        }
    };
    let first = resolve(&cases[0]).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let invitation = first.body["follow_up_invitation_id"].clone();
    assert!(invitation.is_i64(), "{}", first.body);
    // Reopened and resolved again: the customer is not asked twice.
    app.patch(
        &format!("/api/v1/cases/{}", cases[0]["id"]),
        &json!({"status": "in_progress"}),
    )
    .await;
    let again = resolve(&cases[0]).await;
    assert_eq!(again.body["follow_up_invitation_id"], invitation);
    // The same customer's second case, resolved the same day: the fatigue rule holds, and says so.
    let second = resolve(&cases[1]).await;
    assert!(second.body["follow_up_invitation_id"].is_null());
    let log = app
        .get(&format!("/api/v1/cases/{}/events", cases[1]["id"]))
        .await;
    assert!(
        log.body.as_array().unwrap().iter().any(|e| e["text"]
            .as_str()
            .unwrap()
            .contains("follow-up survey not sent")),
        "{}",
        log.body
    );
}

api_test!(
    an_aggregate_rule_fires_once_for_a_drop_and_opens_a_case,
    aggregate_rules
);
async fn aggregate_rules(app: TestApp) {
    for (body, field) in [
        (
            json!({"name": "x", "when": {"nps_at_most": 6}, "watch": {"metric": "nps"}}),
            "when",
        ),
        (
            json!({"name": "x", "watch": {"metric": "theme_share"}}),
            "watch.theme",
        ),
        (
            json!({"name": "x", "watch": {"metric": "nps", "alpha": 0.5}}),
            "watch.alpha",
        ),
    ] {
        let refused = app.post("/api/v1/alert-rules", &body).await;
        assert_eq!(
            (refused.status, refused.error_field()),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{}",
            refused.body
        );
    }
    // 70 days of 40 answers a day at the queue: NPS +10, then −40 from 1 March 2026.
    let steady = [10, 9, 9, 10, 8, 7, 7, 3, 5, 0];
    let worse = [10, 9, 8, 7, 6, 5, 4, 3, 2, 0];
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let records: Vec<Value> = (0..70)
        .flat_map(|d| {
            let day = start + chrono::Days::new(d);
            let scores = if day >= chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() {
                worse
            } else {
                steady
            };
            (0..40).map(move |k| {
                json!({"touchpoint": "contact-centre.queue", "nps": scores[k % 10],
                       "occurred_at": format!("{day}T{:02}:{:02}:00Z", 8 + k / 6, (k % 6) * 10)})
            })
        })
        .collect();
    let stored = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(stored.body["created"], 2800, "{}", stored.body);

    let rule = app
        .post(
            "/api/v1/alert-rules",
            &json!({"name": "Queue NPS drop", "watch": {"metric": "nps", "touchpoint": ["contact-centre"],
                    "each_touchpoint": true}, "open_case": {"priority": "high"}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    assert_eq!(rule.body["watch"]["recent_days"], 7, "defaults are shown");
    let id = rule.body["id"].clone();

    let quiet = app
        .post(
            &format!("/api/v1/alert-rules/{id}/evaluate"),
            &json!({"as_of": "2026-02-25"}),
        )
        .await;
    assert_eq!(quiet.status, StatusCode::OK, "{}", quiet.body);
    assert_eq!(quiet.body["alerts"], json!([]), "{}", quiet.body);
    assert_eq!(quiet.body["verdicts"][0]["fired"], false);

    let fired = app
        .post(
            &format!("/api/v1/alert-rules/{id}/evaluate"),
            &json!({"as_of": "2026-03-04"}),
        )
        .await;
    let alert = &fired.body["alerts"][0];
    assert_eq!(
        alert["scope"], "touchpoint:contact-centre.queue",
        "{}",
        fired.body
    );
    assert!(alert["details"]["difference"].as_f64().unwrap() < -20.0);
    let case = app
        .get(&format!("/api/v1/cases/{}", alert["case_id"]))
        .await;
    assert_eq!(case.status, StatusCode::OK, "{}", case.body);
    assert_eq!(case.body["priority"], "high");
    let queue = app
        .all("/api/v1/touchpoints")
        .await
        .into_iter()
        .find(|t| t["key"] == "contact-centre.queue")
        .unwrap();
    assert_eq!(case.body["team"], queue["owner_department"]);

    // The next day the drop is still there, but it is the same problem: no second alert.
    let again = app
        .post(
            &format!("/api/v1/alert-rules/{id}/evaluate"),
            &json!({"as_of": "2026-03-05"}),
        )
        .await;
    assert_eq!(again.body["verdicts"][0]["fired"], true);
    assert_eq!(again.body["alerts"], json!([]));
    let alerts = app.get(&format!("/api/v1/alerts?rule={id}")).await;
    assert_eq!(alerts.body["items"].as_array().unwrap().len(), 1);
    // The rules page shows the alert in the reader's words, with its case.
    let email = crate::helpers::agent(&app, dosvid_domain::user::Role::Admin).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let page = app
        .page(
            "GET",
            "/settings/rules",
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    for shown in ["Сповіщення", "Очікування на лінії", "проти", "/cases/"]
    {
        assert!(page.html.contains(shown), "{shown}: {}", page.html);
    }

    let replay = app
        .post(
            &format!("/api/v1/alert-rules/{id}/backtest"),
            &json!({"from": "2026-02-05", "to": "2026-03-01"}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.body);
    assert_eq!(
        replay.body["alerts"], 0,
        "nothing before the drop: {}",
        replay.body
    );
    let bad = app
        .post(
            &format!("/api/v1/alert-rules/{id}/backtest"),
            &json!({"from": "2026-03-01", "to": "March"}),
        )
        .await;
    assert_eq!(bad.error_field(), "to");
}
