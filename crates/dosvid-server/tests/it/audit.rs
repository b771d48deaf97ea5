//! The audit log: every change through the API or a page, every export, view of one customer,
//! sign-in and failed sign-in is recorded with its principal.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::{TestApp, agent, sign_in};
use dosvid_domain::user::Role;

fn entries(body: &Value) -> Vec<Value> {
    body["items"].as_array().cloned().unwrap_or_default()
}

api_test!(
    every_change_export_view_and_sign_in_is_in_the_audit_log_with_who_did_it,
    audited
);
async fn audited(app: TestApp) {
    // Through the API: a change, a refused change, a view of one customer, a plain question.
    let created = app
        .post(
            "/api/v1/customers",
            &json!({"external_id": "c1", "name": "Олена"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].clone();
    let refused = app
        .post("/api/v1/customers", &json!({"external_id": "c1"}))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    app.get(&format!("/api/v1/customers/{id}")).await;
    app.post("/api/v1/query", &json!({"measures": ["n"]})).await;

    // Through the pages: a failed sign-in, a sign-in, a change, a view and an export.
    let admin = agent(&app, Role::Admin).await;
    let failed = app.login(&admin, "not the password", None).await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let cookie = sign_in(&app, &admin).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app
        .page("GET", &format!("/customers/{id}"), &[], &signed)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.hidden("csrf");
    let switched = app
        .page(
            "POST",
            "/me/language",
            &[("csrf", &csrf), ("language", "en"), ("next", "/")],
            &signed,
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let export = app.page("GET", "/feedback/export.csv", &[], &signed).await;
    assert_eq!(export.status, StatusCode::OK);

    let log = entries(&app.get("/api/v1/audit?limit=100").await.body);
    let find = |kind: &str, action: &str| {
        log.iter()
            .find(|e| e["kind"] == kind && e["action"].as_str().unwrap_or("").contains(action))
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} {action} in {log:#?}"))
    };
    let change = find("change", "POST /api/v1/customers");
    assert_eq!(change["actor_kind"], "api_key");
    assert!(
        change["actor"].as_str().unwrap().contains("dsv_"),
        "{change}"
    );
    assert!(
        log.iter()
            .any(|e| e["action"] == "POST /api/v1/customers" && e["status"] == 409),
        "the refused change is recorded: {log:#?}"
    );
    let view = find("view", "GET /api/v1/customers/{id}");
    assert_eq!(view["object"], format!("/api/v1/customers/{id}"));
    assert!(
        !log.iter()
            .any(|e| e["action"].as_str().unwrap_or("").contains("/api/v1/query")),
        "a question is not a change"
    );
    let failed = find("failed_sign_in", "sign in");
    assert_eq!(failed["actor"], admin.as_str());
    assert_eq!(failed["actor_kind"], "anonymous");
    assert_eq!(find("sign_in", "sign in")["actor"], admin.as_str());
    let by_page = find("change", "POST /me/language");
    assert_eq!(by_page["actor"], admin.as_str());
    assert_eq!(by_page["actor_kind"], "user");
    assert_eq!(find("view", "GET /customers/{id}")["actor"], admin.as_str());
    assert_eq!(find("export", "/feedback/export.csv")["status"], 200);

    // Filters, and the page for administrators only.
    let views = entries(&app.get("/api/v1/audit?kind=view").await.body);
    assert_eq!(views.len(), 2, "{views:#?}");
    let mine = entries(&app.get(&format!("/api/v1/audit?actor={admin}")).await.body);
    assert!(mine.iter().all(|e| e["actor"] == admin.as_str()));
    let bad = app.get("/api/v1/audit?kind=everything").await;
    assert_eq!(bad.body["error"]["field"], "kind");
    let page = app.page("GET", "/settings/audit", &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("/feedback/export.csv"), "{}", page.html);
    let analyst = agent(&app, Role::Analyst).await;
    let theirs = sign_in(&app, &analyst).await;
    let refused = app
        .page(
            "GET",
            "/settings/audit",
            &[],
            &[("cookie", theirs.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Retention is the organisation's setting, within bounds.
    let short = app
        .patch("/api/v1/organisation", &json!({"audit_retention_days": 7}))
        .await;
    assert_eq!(short.body["error"]["field"], "audit_retention_days");
    let kept = app
        .patch("/api/v1/organisation", &json!({"audit_retention_days": 90}))
        .await;
    assert_eq!(kept.body["audit_retention_days"], 90, "{}", kept.body);
}

api_test!(
    an_account_that_keeps_failing_to_sign_in_is_closed_for_a_while,
    lockout
);
async fn lockout(app: TestApp) {
    let target = agent(&app, Role::Admin).await;
    let other = agent(&app, Role::Analyst).await;
    for _ in 0..5 {
        let failed = app.login(&target, "guessing", None).await;
        assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now; another account is not affected.
    let locked = app.login(&target, crate::helpers::PASSWORD, None).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.html
    );
    assert!(locked.html.contains("15"), "{}", locked.html);
    sign_in(&app, &other).await;
}

api_test!(
    a_failed_sign_in_is_in_the_log_of_the_organisation_whose_person_it_names,
    failed_elsewhere
);
async fn failed_elsewhere(app: TestApp) {
    let store = app.store.clone();
    let key = tokio::task::spawn_blocking(move || {
        let now = chrono::Utc::now();
        let org = store.create_organisation("Друга", "UTC", now).unwrap();
        let user = dosvid_domain::user::NewUser {
            email: "boss@second.example".into(),
            name: "Бос".into(),
            role: Role::Admin,
            language: "uk".into(),
            agent: None,
            unit_id: None,
        };
        store
            .create_user(org.id, user, crate::helpers::PASSWORD, now)
            .unwrap();
        let (_, secret) = store.create_api_key(org.id, "second", now).unwrap();
        secret.expose().to_owned()
    })
    .await
    .unwrap();
    let failed = app.login("boss@second.example", "guessing", None).await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let theirs = app
        .send(
            "GET",
            "/api/v1/audit?kind=failed_sign_in",
            Some(&key),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(entries(&theirs.body).len(), 1, "{}", theirs.body);
    let ours = app.get("/api/v1/audit?kind=failed_sign_in").await;
    assert!(entries(&ours.body).is_empty(), "{}", ours.body);
}
