//! API keys open only what their scopes allow, stop at their expiry or revocation at once, and
//! say when they were last used.

use axum::http::StatusCode;
use dosvid_store::Scope;
use serde_json::json;

use crate::api_test;
use crate::helpers::TestApp;

api_test!(
    a_key_opens_only_what_its_scopes_allow_until_it_expires_or_is_revoked,
    scopes
);
async fn scopes(app: TestApp) {
    let store = app.store.clone();
    let made = tokio::task::spawn_blocking(move || {
        let org = store.default_org().unwrap();
        let now = chrono::Utc::now();
        let key = |name: &str, scopes: &[Scope], expires: Option<i64>| {
            let expires = expires.map(|s| now + chrono::Duration::seconds(s));
            let (key, secret) = store
                .create_scoped_api_key(org, name, scopes, expires, None, now)
                .unwrap();
            (key.id, secret.expose().to_owned())
        };
        (
            key("reader", &[Scope::Read], None),
            key("loader", &[Scope::Read, Scope::Write], None),
            key("config", &[Scope::Read, Scope::Manage], None),
            key("brief", &[Scope::Read], Some(2)),
        )
    })
    .await
    .unwrap();
    let ((_, reader), (loader_id, loader), (_, config), (_, brief)) = made;
    let call = |method: &'static str, path: &'static str, key: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.send(method, path, Some(&key), &[], body.to_string().into_bytes())
                .await
                .status
        }
    };
    let batch = json!({"records": [{"nps": 9, "occurred_at": "2026-05-01T10:00:00Z"}]});
    let question = json!({"measures": ["n"]});
    let theme = json!({"themes": []});
    // Reading and asking: every key.
    assert_eq!(
        call("GET", "/api/v1/customers", reader.clone(), json!(null)).await,
        StatusCode::OK
    );
    assert_eq!(
        call("POST", "/api/v1/query", reader.clone(), question.clone()).await,
        StatusCode::OK
    );
    // Writing signals: not a reader, not configuration.
    let refused = app
        .send(
            "POST",
            "/api/v1/feedback:batch",
            Some(&reader),
            &[],
            batch.to_string().into_bytes(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("write"),
        "{}",
        refused.body
    );
    assert_eq!(
        call(
            "POST",
            "/api/v1/feedback:batch",
            loader.clone(),
            batch.clone()
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        call(
            "POST",
            "/api/v1/feedback:batch",
            config.clone(),
            batch.clone()
        )
        .await,
        StatusCode::FORBIDDEN
    );
    // The configuration: only a manager.
    assert_eq!(
        call("PUT", "/api/v1/themes", loader.clone(), theme.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_ne!(
        call("PUT", "/api/v1/themes", config.clone(), theme.clone()).await,
        StatusCode::FORBIDDEN
    );
    // The audit log: only an administrator (the tests' own key has every scope).
    assert_eq!(
        call("GET", "/api/v1/audit", config.clone(), json!(null)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/api/v1/audit").await.status, StatusCode::OK);

    // Last used, listed; revocation stops the key at once; expiry too.
    let store = app.store.clone();
    let loader_key = tokio::task::spawn_blocking(move || {
        let org = store.default_org().unwrap();
        let key = store
            .list_api_keys(org)
            .unwrap()
            .into_iter()
            .find(|k| k.id == loader_id)
            .unwrap();
        store
            .revoke_api_key(org, loader_id, chrono::Utc::now())
            .unwrap();
        key
    })
    .await
    .unwrap();
    assert!(loader_key.last_used_at.is_some());
    assert_eq!(
        call("GET", "/api/v1/customers", loader.clone(), json!(null)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call("GET", "/api/v1/customers", brief.clone(), json!(null)).await,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(
        call("GET", "/api/v1/customers", brief, json!(null)).await,
        StatusCode::UNAUTHORIZED
    );
}
