//! Surveys as a CX team and its customers use them: a survey made through the API, answered on
//! its public page with plain form posts (what a browser without JavaScript, or curl, sends),
//! personal links under the fatigue rule, SERVQUAL gaps, complaints logged by agents.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::{Page, TestApp};

pub fn after_call_survey() -> Value {
    json!({
        "key": "after-call",
        "title": {"uk": "Ваш дзвінок до нас", "en": "Your call to us"},
        "languages": ["uk", "en"],
        "touchpoint": "contact-centre",
        "channel": "phone",
        "questions": [
            {"id": "nps", "type": "nps", "required": true,
             "text": {"uk": "Наскільки ймовірно, що ви порекомендуєте нас друзям?",
                      "en": "How likely are you to recommend us to a friend?"}},
            {"id": "what_went_wrong", "type": "single_choice", "show_if": {"question": "nps", "at_most": 6},
             "text": {"uk": "Що пішло не так?", "en": "What went wrong?"},
             "options": [{"key": "queue", "text": {"uk": "Довго чекав на лінії", "en": "Long wait"}},
                         {"key": "staff", "text": {"uk": "Оператор", "en": "The agent"}}]},
            {"id": "comment", "type": "text",
             "text": {"uk": "Що ще нам варто знати?", "en": "Anything else we should know?"}}
        ]
    })
}

const UK: [(&str, &str); 1] = [("accept-language", "uk-UA,uk;q=0.9,en;q=0.5")];

/// Shows the page at `path` and submits `answer` on it, as a browser does; returns the answer
/// to the post.
async fn answer(app: &TestApp, path: &str, answer: &[(&str, &str)]) -> Page {
    let shown = app.page("GET", path, &[], &UK).await;
    assert_eq!(shown.status, StatusCode::OK, "{path}: {}", shown.html);
    let (ft, q) = (shown.hidden("ft"), shown.hidden("q"));
    let mut form = vec![("ft", ft.as_str()), ("q", q.as_str()), ("lang", "uk")];
    form.extend_from_slice(answer);
    app.page("POST", path, &form, &UK).await
}

async fn nps_of_contact_centre(app: &TestApp) -> (u64, f64) {
    let answer = app
        .post(
            "/api/v1/query",
            &json!({"measures": ["n", "nps"], "filters": {"touchpoint": "contact-centre"}, "min_sample": 1}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let row = &answer.body["rows"][0];
    (
        row["n"]["value"]
            .as_u64()
            .unwrap_or(row["n"].as_u64().unwrap_or(0)),
        row["nps"]["value"].as_f64().unwrap_or(f64::NAN),
    )
}

api_test!(
    a_survey_answered_on_its_public_page_is_in_the_metrics_at_once,
    public_page
);
async fn public_page(app: TestApp) {
    let created = app
        .send(
            "POST",
            "/api/v1/surveys",
            Some(&app.key),
            &[("host", "cx.example.com")],
            after_call_survey().to_string().into_bytes(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["version"], 1);
    let url = created.body["public_url"].as_str().unwrap();
    let link = url
        .strip_prefix("http://cx.example.com")
        .unwrap()
        .to_owned();

    // A detractor: the follow-up question is shown.
    let first = app.page("GET", &link, &[], &UK).await;
    assert!(first.html.contains("Питання 1 з 2"), "{}", first.html);
    assert!(first.html.contains("порекомендуєте"));
    let posted = answer(&app, &link, &[("a", "3")]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    let resume = posted.location.unwrap();
    assert!(resume.starts_with("/r/"), "{resume}");
    let follow_up = app.page("GET", &resume, &[], &UK).await;
    assert!(
        follow_up.html.contains("Що пішло не так?"),
        "{}",
        follow_up.html
    );
    assert!(follow_up.html.contains("Питання 2 з 3"));
    answer(&app, &resume, &[("a", "queue")]).await;
    let last = answer(
        &app,
        &resume,
        &[("a", "Чекав на лінії сорок хвилин, жахливо")],
    )
    .await;
    assert_eq!(last.location.as_deref(), Some(resume.as_str()));
    let thanks = app.page("GET", &resume, &[], &UK).await;
    assert!(thanks.html.contains("Дякуємо"), "{}", thanks.html);
    assert_eq!(nps_of_contact_centre(&app).await, (1, -100.0));

    // A promoter: no follow-up; the comment is left empty. In English, from the link.
    let en = format!("{link}?lang=en");
    let shown = app.page("GET", &en, &[], &UK).await;
    assert!(shown.html.contains("How likely"), "{}", shown.html);
    let posted = app
        .page(
            "POST",
            &link,
            &[
                ("ft", &shown.hidden("ft")),
                ("q", "nps"),
                ("lang", "en"),
                ("a", "9"),
            ],
            &UK,
        )
        .await;
    let resume = posted.location.unwrap();
    let next = app.page("GET", &resume, &[], &UK).await;
    assert!(next.html.contains("Anything else"), "{}", next.html);
    assert!(!next.html.contains("What went wrong"));
    answer(&app, &resume, &[("a", "")]).await;
    assert_eq!(nps_of_contact_centre(&app).await, (2, 0.0));

    // The answers, with the comment read like any other.
    let id = created.body["id"].as_i64().unwrap();
    let responses = app.all(&format!("/api/v1/surveys/{id}/responses")).await;
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0]["answers"]["what_went_wrong"], "queue");
    assert_eq!(responses[1]["language"], "en");
    let feedback = app.all("/api/v1/feedback?source=survey").await;
    assert_eq!(feedback.len(), 2);
    assert_eq!(
        feedback[0]["sentiment"].as_f64().map(|s| s < 0.0),
        Some(true)
    );
    assert_eq!(feedback[0]["attributes"]["survey"], "after-call");
    let csv = app
        .send(
            "GET",
            &format!("/api/v1/surveys/{id}/responses?format=csv"),
            Some(&app.key),
            &[],
            vec![],
        )
        .await;
    let csv = csv.body.as_str().unwrap().to_owned();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("nps,what_went_wrong,comment")
    );
    assert!(lines.next().unwrap().contains(",3,queue,"), "{csv}");

    // The survey's page shows the results question by question, in the reader's language.
    let email = crate::helpers::agent(&app, dosvid_domain::user::Role::Admin).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let page = app
        .page(
            "GET",
            &format!("/surveys/{id}"),
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Результати · 2 відповідей",
        "Довго чекав на лінії: <strong>1</strong>",
        "Чекав на лінії сорок хвилин, жахливо",
        "(n = 2)",
        "(один варіант",
    ] {
        assert!(page.html.contains(shown), "{shown}: {}", page.html);
    }
}

api_test!(
    a_personal_link_is_signed_answered_once_and_bound_by_the_fatigue_rule,
    personal_links
);
async fn personal_links(app: TestApp) {
    let customer = app
        .post(
            "/api/v1/customers",
            &json!({"external_id": "crm-7", "name": "Оксана", "segment": "premium"}),
        )
        .await;
    let customer_id = customer.body["id"].as_i64().unwrap();
    let mut definition = after_call_survey();
    definition["fatigue_days"] = json!(60);
    let survey = app.post("/api/v1/surveys", &definition).await;
    let id = survey.body["id"].as_i64().unwrap();

    let invite = |body: Value| {
        let app = app.clone();
        async move {
            app.post(&format!("/api/v1/surveys/{id}/invitations"), &body)
                .await
        }
    };
    let unknown = invite(json!({"customer_external_id": "nobody"})).await;
    assert_eq!(
        (unknown.status, unknown.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "customer_external_id")
    );
    let invited = invite(json!({"customer_external_id": "crm-7"})).await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let token = invited.body["token"].as_str().unwrap().to_owned();
    assert!(
        invited.body["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/p/{token}"))
    );

    // The fatigue rule: not again inside the window, for this survey or (org-wide) any other.
    let again = invite(json!({"customer_id": customer_id})).await;
    assert_eq!(
        (again.status, again.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("survey_fatigue"))
    );
    assert!(
        again.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("60 days")
    );
    let mut other = after_call_survey();
    other["key"] = json!("after-visit");
    let other = app.post("/api/v1/surveys", &other).await;
    let elsewhere = app
        .post(
            &format!("/api/v1/surveys/{}/invitations", other.body["id"]),
            &json!({"customer_id": customer_id}),
        )
        .await;
    assert_eq!(elsewhere.body["error"]["code"], "survey_fatigue");

    // A tampered link is refused, and shows nothing of the survey.
    let (body, tag) = token.rsplit_once('.').unwrap();
    let forged = format!(
        "{}.{tag}",
        body.replacen(&format!(".{}.", invited.body["id"]), ".999.", 1)
    );
    for bad in [forged.as_str(), "p1.2.3.00", "garbage"] {
        let refused = app.page("GET", &format!("/p/{bad}"), &[], &UK).await;
        assert!(
            matches!(
                refused.status,
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
            "{bad}: {}",
            refused.status
        );
        assert!(!refused.html.contains("порекомендуєте"));
    }

    // The personal link is answered once; the answer belongs to the customer.
    let path = format!("/p/{token}");
    answer(&app, &path, &[("a", "10")]).await;
    let page = answer(&app, &path, &[("a", "Все чудово, дякую")]).await;
    assert_eq!(page.location.as_deref(), Some(path.as_str()));
    let done = app.page("GET", &path, &[], &UK).await;
    assert!(done.html.contains("Ви вже відповіли"), "{}", done.html);
    let second = app
        .page(
            "POST",
            &path,
            &[("q", "nps"), ("a", "0"), ("ft", "1.00")],
            &UK,
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let feedback = app
        .all(&format!("/api/v1/feedback?customer_id={customer_id}"))
        .await;
    assert_eq!(feedback.len(), 1, "the second answer changed nothing");
    assert_eq!(feedback[0]["nps"], 10);
    assert_eq!(feedback[0]["comment"], "Все чудово, дякую");
}

api_test!(forms_refuse_forged_tokens_robots_and_missing_answers, abuse);
async fn abuse(app: TestApp) {
    let survey = app.post("/api/v1/surveys", &after_call_survey()).await;
    let id = survey.body["id"].as_i64().unwrap();
    let link = format!(
        "/s/{}/after-call",
        app.get("/api/v1/organisation").await.body["id"]
    );
    let shown = app.page("GET", &link, &[], &UK).await;
    let ft = shown.hidden("ft");

    let forged = app
        .page(
            "POST",
            &link,
            &[("ft", "1700000000.0011"), ("q", "nps"), ("a", "5")],
            &UK,
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let robot = app
        .page(
            "POST",
            &link,
            &[
                ("ft", &ft),
                ("q", "nps"),
                ("a", "0"),
                ("website", "http://spam"),
            ],
            &UK,
        )
        .await;
    assert_eq!(robot.status, StatusCode::OK);
    assert!(robot.html.contains("Дякуємо"));
    let missing = app
        .page("POST", &link, &[("ft", &ft), ("q", "nps")], &UK)
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.html.contains("Будь ласка, дайте відповідь"),
        "{}",
        missing.html
    );
    let out_of_range = app
        .page(
            "POST",
            &link,
            &[("ft", &ft), ("q", "nps"), ("a", "11")],
            &UK,
        )
        .await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    let huge = "я".repeat(200_000);
    let too_big = app
        .page(
            "POST",
            &link,
            &[("ft", &ft), ("q", "nps"), ("a", &huge)],
            &UK,
        )
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        app.all(&format!("/api/v1/surveys/{id}/responses"))
            .await
            .is_empty()
    );

    // Closed surveys take no answers; the API's errors name the field.
    app.patch(
        &format!("/api/v1/surveys/{id}"),
        &json!({"status": "closed"}),
    )
    .await;
    assert_eq!(
        app.page("GET", &link, &[], &UK).await.status,
        StatusCode::GONE
    );
    let mut bad = after_call_survey();
    bad["key"] = json!("bad");
    bad["questions"][1]["show_if"]["question"] = json!("comment");
    let refused = app.post("/api/v1/surveys", &bad).await;
    assert_eq!(
        (refused.status, refused.error_field()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "questions[1].show_if.question"
        )
    );
    let duplicate = app.post("/api/v1/surveys", &after_call_survey()).await;
    assert_eq!(
        (duplicate.status, duplicate.error_field()),
        (StatusCode::CONFLICT, "key")
    );
}

fn pair(id: &str, dimension: &str) -> Value {
    json!({"id": id, "type": "servqual", "dimension": dimension, "required": true,
           "text": {"en": format!("Item {id}")}})
}

api_test!(servqual_gaps_equal_a_hand_calculation, servqual);
async fn servqual(app: TestApp) {
    let definition = json!({
        "key": "servqual", "title": {"en": "Service quality"}, "languages": ["en"],
        "servqual_weights": {"reliability": 2.0},
        "questions": [pair("t1", "tangibles"), pair("r1", "reliability"), pair("r2", "reliability"), pair("e1", "empathy")]
    });
    let survey = app.post("/api/v1/surveys", &definition).await;
    assert_eq!(survey.status, StatusCode::CREATED, "{}", survey.body);
    let id = survey.body["id"].as_i64().unwrap();
    let org = app.get("/api/v1/organisation").await.body["id"].clone();
    // (expectation, perception) for t1, r1, r2, e1, per respondent.
    let respondents = [
        [(5, 4), (7, 5), (6, 6), (4, 6)],
        [(6, 6), (7, 4), (5, 3), (5, 5)],
        [(4, 5), (6, 6), (7, 5), (6, 4)],
    ];
    for items in respondents {
        let mut path = format!("/s/{org}/servqual");
        for (e, p) in items {
            let (e, p) = (e.to_string(), p.to_string());
            let posted = answer(&app, &path, &[("e", &e), ("p", &p)]).await;
            assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
            path = posted.location.unwrap();
        }
    }
    let report = app.get(&format!("/api/v1/surveys/{id}/servqual")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["responses"], 3);
    let gap = |kind: &str, name: &str| {
        report.body[kind]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["question"] == name || x["dimension"] == name)
            .unwrap()["gap"]
            .as_f64()
            .unwrap()
    };
    // By hand: r1 = mean P (5+4+6)/3 − mean E (7+7+6)/3 = 5 − 20/3; r2 = 14/3 − 6.
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} != {b}");
    close(gap("items", "t1"), 0.0);
    close(gap("items", "r1"), 5.0 - 20.0 / 3.0);
    close(gap("items", "r2"), 14.0 / 3.0 - 6.0);
    close(gap("dimensions", "reliability"), -1.5);
    close(gap("dimensions", "empathy"), 0.0);
    // Weighted: tangibles 1 × 0, reliability 2 × −1.5, empathy 1 × 0 over 4.
    close(report.body["overall"].as_f64().unwrap(), -0.75);
    // The survey's page shows the same gaps, each dimension by its name.
    let email = crate::helpers::agent(&app, dosvid_domain::user::Role::Analyst).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let page = app
        .page(
            "GET",
            &format!("/surveys/{id}"),
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    for shown in [
        "Розрив якості обслуговування (SERVQUAL)",
        "data-dimension=\"reliability\" data-gap=\"-1.5\"",
        "надійність",
        "data-overall=\"-0.75\"",
    ] {
        assert!(page.html.contains(shown), "{shown}: {}", page.html);
    }
}

api_test!(
    an_agent_logs_a_complaint_that_is_read_like_any_comment,
    complaints
);
async fn complaints(app: TestApp) {
    let logged = app
        .post(
            "/api/v1/complaints",
            &json!({"customer_email": "Olena@Example.com", "channel": "store", "touchpoint": "contact-centre",
                    "text": "Третій день не працює інтернет, оператор нічого не пояснив", "severity": "high",
                    "agent": "agent-12"}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.body);
    assert_eq!(logged.body["language"], "uk");
    assert!(logged.body["sentiment"].as_f64().unwrap() < 0.0);
    let stored = app.all("/api/v1/feedback?source=complaint").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["attributes"]["severity"], "high");
    assert!(stored[0]["customer_id"].is_i64());
    let missing = app.post("/api/v1/complaints", &json!({"text": "  "})).await;
    assert_eq!(missing.error_field(), "text");
    let bad = app
        .post(
            "/api/v1/complaints",
            &json!({"text": "ok", "severity": "urgent"}),
        )
        .await;
    assert_eq!(bad.error_field(), "severity");
}

api_test!(
    a_link_or_form_token_cut_short_is_refused_and_a_rotated_secret_honours_sent_links_for_the_grace_period,
    forged_tags_and_rotation
);
async fn forged_tags_and_rotation(app: TestApp) {
    app.post("/api/v1/customers", &json!({"external_id": "crm-1"}))
        .await;
    let survey = app.post("/api/v1/surveys", &after_call_survey()).await;
    let id = survey.body["id"].as_i64().unwrap();
    let invited = app
        .post(
            &format!("/api/v1/surveys/{id}/invitations"),
            &json!({"customer_external_id": "crm-1"}),
        )
        .await;
    let token = invited.body["token"].as_str().unwrap().to_owned();
    let (body, tag) = token.rsplit_once('.').unwrap();
    assert_eq!(tag.len(), 32, "a 128-bit tag");

    // The real tag cut short matches every byte it keeps: only its full length is accepted.
    for cut in [2, 8, 30] {
        let short = format!("/p/{body}.{}", &tag[..cut]);
        let refused = app.page("GET", &short, &[], &UK).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{short}");
    }
    let expiry_moved = format!(
        "/p/{}.4102444800.{}",
        body.rsplit_once('.').unwrap().0,
        &tag[..2]
    );
    let refused = app.page("GET", &expiry_moved, &[], &UK).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A form token cut short, or claiming to be issued far in the future, is refused.
    let path = format!("/p/{token}");
    let shown = app.page("GET", &path, &[], &UK).await;
    assert_eq!(shown.status, StatusCode::OK);
    let ft = shown.hidden("ft");
    let (_, ft_tag) = ft.split_once('.').unwrap();
    for forged in [
        format!("9999999999.{}", &ft_tag[..2]),
        format!("{}.{}", ft.split_once('.').unwrap().0, &ft_tag[..2]),
    ] {
        let posted = app
            .page(
                "POST",
                &path,
                &[("ft", &forged), ("q", "nps"), ("a", "0")],
                &UK,
            )
            .await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN, "{forged}");
    }

    // Rotation: a link already sent keeps working through the grace period, not after it.
    let out_of_range = app
        .post("/api/v1/surveys/secret:rotate", &json!({"grace_days": 400}))
        .await;
    assert_eq!(
        (out_of_range.status, out_of_range.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "grace_days")
    );
    let rotated = app
        .post("/api/v1/surveys/secret:rotate", &json!({"grace_days": 30}))
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert!(rotated.body["previous_accepted_until"].is_string());
    let still = app.page("GET", &path, &[], &UK).await;
    assert_eq!(still.status, StatusCode::OK, "within the grace period");
    let posted = app
        .page(
            "POST",
            &path,
            &[("ft", &still.hidden("ft")), ("q", "nps"), ("a", "9")],
            &UK,
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    let at_once = app
        .post("/api/v1/surveys/secret:rotate", &json!({"grace_days": 0}))
        .await;
    assert_eq!(at_once.status, StatusCode::OK);
    let refused = app.page("GET", &path, &[], &UK).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "two rotations later");
}
