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
    // Mojibake is named, read back, and the text it was is read.
    assert_eq!(a[3]["garbage"]["kind"], "mojibake");
    assert_eq!(a[3]["repaired"], "привет мир");
    assert_eq!(a[3]["language"], "ru");
    let mashed = app
        .post(
            "/api/v1/text/analyze",
            &json!({"texts": ["asdfghjkl qwertyuiop"]}),
        )
        .await;
    let m = &mashed.body["analyses"][0];
    assert_eq!(m["garbage"]["kind"], "keyboard_mashing");
    assert!(
        m["sentiment"].is_null(),
        "garbage not read back gets no sentiment"
    );

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

api_test!(
    themes_and_emotions_of_stored_comments_slice_the_metrics,
    themes_and_emotions
);
async fn themes_and_emotions(app: TestApp) {
    let t = "2025-06-01T10:00:00Z";
    let record = |id: &str, customer: &str, nps: i64, comment: &str| {
        json!({"external_id": id, "customer_external_id": customer, "touchpoint": "contact-centre.queue",
               "channel": "phone", "occurred_at": t, "nps": nps, "comment": comment})
    };
    let batch = json!({"records": [
        record("q1", "C1", 2, "Чекав на лінії 40 хвилин, жах"),
        record("q2", "C2", 3, "Ждал в очереди полчаса, бесит!"),
        record("q3", "C3", 4, "Stuck in the queue on hold for an hour"),
        record("s1", "C4", 10, "Оператор дуже ввічливий, дякую"),
        record("s2", "C5", 9, "Friendly and polite agent, thank you"),
        record("n1", "C6", 8, "Все нормально"),
    ]});
    let stored = app.post("/api/v1/feedback:batch", &batch).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);
    let listed = app.get("/api/v1/feedback?limit=10").await;
    let q1 = &listed.body["items"][0];
    assert_eq!(q1["themes"], json!(["time", "time.queue"]), "{q1}");

    let query = |body: serde_json::Value| {
        let app = app.clone();
        async move { app.post("/api/v1/query", &body).await }
    };
    let queue = query(json!({"measures": ["n", "nps", "sentiment"],
                             "filters": {"theme": "time.queue"}, "min_sample": 1}))
    .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(queue.body["rows"][0]["n"], 3);
    assert_eq!(queue.body["rows"][0]["nps"]["value"], -100.0);
    assert!(
        queue.body["rows"][0]["sentiment"]["value"]
            .as_f64()
            .unwrap()
            < 0.0
    );
    let angry = query(json!({"filters": {"emotion": ["anger"]}})).await;
    assert_eq!(angry.body["rows"][0]["n"], 2, "{}", angry.body);
    let by_theme = query(json!({"measures": ["n"], "group_by": ["theme"]})).await;
    let n_of = |theme: &str| {
        by_theme.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"]["theme"] == theme)
            .map_or(0, |r| r["n"].as_u64().unwrap())
    };
    assert_eq!((n_of("time.queue"), n_of("staff.politeness")), (3, 2));

    let report = app
        .post("/api/v1/themes/report", &json!({"min_sample": 1}))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["comments"], 6);
    let queue_row = report.body["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["theme"] == "time.queue")
        .unwrap()
        .clone();
    // Those who mention the queue: NPS −100; the other three: 2 promoters of 3, NPS 66.7.
    assert_eq!(queue_row["nps"]["value"], -100.0);
    let impact = queue_row["impact"]["difference"].as_f64().unwrap();
    assert!((impact + 100.0 + 200.0 / 3.0).abs() < 1e-9, "{impact}");

    let cx = app
        .post(
            "/api/v1/cx-index",
            &json!({"group_by": ["touchpoint"], "min_sample": 1}),
        )
        .await;
    assert_eq!(cx.status, StatusCode::OK, "{}", cx.body);
    let score = cx.body["rows"][0]["cx_index"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&score), "{}", cx.body);

    // A new taxonomy tags the stored comments again before it answers.
    let bad = app
        .put("/api/v1/themes", &json!({"themes": [{"key": "Hold"}]}))
        .await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "themes[0].key")
    );
    let custom = json!({"themes": [{"key": "hold", "names": {"en": "On hold"},
        "patterns": {"uk": ["на лінії"], "ru": ["очеред*"], "en": ["on hold"]}}]});
    let put = app.put("/api/v1/themes", &custom).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["tagged"], 6);
    assert_eq!(app.get("/api/v1/themes").await.body, custom);
    let hold = query(json!({"filters": {"theme": "hold"}})).await;
    assert_eq!(hold.body["rows"][0]["n"], 3, "{}", hold.body);
    let gone = query(json!({"filters": {"theme": "time.queue"}})).await;
    assert_eq!(
        (gone.status, gone.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "filters.theme[0]")
    );
    let analysed = app
        .post(
            "/api/v1/text/analyze",
            &json!({"texts": ["Довго на лінії"]}),
        )
        .await;
    assert_eq!(analysed.body["analyses"][0]["themes"][0]["theme"], "hold");

    // Under that taxonomy the three comments about staff and the neutral one are uncovered.
    let emerging = app
        .post(
            "/api/v1/themes/emerging",
            &json!({"from": "2025-06-01", "to": "2025-06-02", "min_comments": 1}),
        )
        .await;
    assert_eq!(emerging.status, StatusCode::OK, "{}", emerging.body);
    assert_eq!(emerging.body["comments"], 3, "{}", emerging.body);
    assert!(!emerging.body["phrases"].as_array().unwrap().is_empty());
    let wrong = app
        .post(
            "/api/v1/themes/emerging",
            &json!({"from": "2025-06-01", "to": "2025-06-02", "order": "size"}),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "order")
    );
}

api_test!(
    an_organisations_own_answers_teach_its_sentiment_model,
    own_model
);
async fn own_model(app: TestApp) {
    let none = app.get("/api/v1/text/model").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    // A domain's words no lexicon knows: the terminal's error code E42 is bad news, a receipt good.
    let mut records = Vec::new();
    for i in 0..900 {
        let (comment, nps) = match i % 3 {
            0 => (format!("Термінал видав код E42, замовлення {i}"), 2),
            1 => (format!("Термінал видав чек, замовлення {i}"), 10),
            _ => (format!("Звичайне замовлення {i}"), 8),
        };
        records.push(
            json!({"external_id": format!("m{i}"), "nps": nps, "comment": comment,
                            "occurred_at": "2026-05-01T10:00:00Z"}),
        );
    }
    let stored = app
        .post("/api/v1/feedback:batch", &json!({"records": records}))
        .await;
    assert_eq!(stored.body["rejected"], json!([]), "{}", stored.body);
    let before = app
        .post(
            "/api/v1/text/analyze",
            &json!({"texts": ["Термінал показав код E42"]}),
        )
        .await;
    assert_ne!(before.body["analyses"][0]["sentiment"]["label"], "negative");

    let card = app.post("/api/v1/text/model:fit", &json!({})).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.body);
    assert_eq!(card.body["answers"], 900);
    assert_eq!(card.body["in_use"], true, "{}", card.body);
    let (lexicon, learned) = (
        card.body["lexicon_cv_macro_f1"].as_f64().unwrap(),
        card.body["learned_cv_macro_f1"].as_f64().unwrap(),
    );
    assert!(learned > 0.9 && learned > lexicon + 0.02, "{}", card.body);
    assert_eq!(app.get("/api/v1/text/model").await.body["in_use"], true);

    // New comments are read with the organisation's model.
    let new = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [{"external_id": "new", "comment": "Термінал показав код E42",
                                  "occurred_at": "2026-05-02T10:00:00Z"}]}),
        )
        .await;
    let id = new.body["ids"][0].as_i64().unwrap();
    let record = app
        .all("/api/v1/feedback")
        .await
        .into_iter()
        .find(|f| f["id"] == id)
        .unwrap();
    assert!(record["sentiment"].as_f64().unwrap() < -0.1, "{record}");
}
