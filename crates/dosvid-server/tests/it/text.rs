//! `/api/v1/text/analyze` as a client uses it.

use axum::http::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::TestApp;

api_test!(
    texts_are_read_in_three_languages_and_garbage_is_named,
    analyze
);
async fn analyze(app: TestApp) {
    let answer = app
        .post(
            "/api/v1/text/analyze",
            &json!({"texts": ["Дякую, все чудово", "Оператор хамит, ужасно", "not bad at all", "Ð¿Ñ€Ð¸Ð²ÐµÑ‚ Ð¼Ð¸Ñ€"]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let a = &answer.body["analyses"];
    assert_eq!(
        (
            a[0]["language"].as_str(),
            a[0]["sentiment"]["label"].as_str()
        ),
        (Some("uk"), Some("positive"))
    );
    assert_eq!(
        (
            a[1]["language"].as_str(),
            a[1]["sentiment"]["label"].as_str()
        ),
        (Some("ru"), Some("negative"))
    );
    assert_eq!(
        (
            a[2]["language"].as_str(),
            a[2]["sentiment"]["label"].as_str()
        ),
        (Some("en"), Some("positive"))
    );
    assert_eq!(a[3]["garbage"]["kind"], "mojibake");
    assert!(a[3]["sentiment"].is_null(), "garbage gets no sentiment");

    let too_long = app
        .post(
            "/api/v1/text/analyze",
            &json!({"texts": ["ok", "а".repeat(10_001)]}),
        )
        .await;
    assert_eq!(
        (too_long.status, too_long.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "texts[1]")
    );
}
