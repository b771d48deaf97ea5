//! Diagnosing the company through the API: readiness scores against a hand calculation,
//! maturity evidence against the API's own figures, gap 3 against a hand count.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

api_test!(
    three_people_s_readiness_answers_give_block_scores_equal_to_a_hand_calculation,
    readiness
);
pub(crate) async fn readiness(app: TestApp) {
    let created = app
        .post(
            "/api/v1/assessments",
            &json!({"title": "Spring 2026", "conducted_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let answers = [
        ("Olena", [5, 4, 4], [2, 1, 2], 4),
        ("Taras", [3, 3, 2], [2, 2, 1], 2),
        ("Iryna", [4, 5, 5], [5, 4, 5], 5),
    ];
    for (who, strategy, motivation, funding) in answers {
        let body = json!({"respondent": who, "answers": {
            "strategy.vision": strategy[0], "strategy.goals": strategy[1], "strategy.budget": strategy[2],
            "motivation.kpi": motivation[0], "motivation.visibility": motivation[1], "motivation.ideas": motivation[2],
            "support.financial": funding,
        }});
        let answered = app
            .post(&format!("/api/v1/assessments/{id}/answers"), &body)
            .await;
        assert_eq!(answered.status, StatusCode::CREATED, "{}", answered.body);
    }
    // Answering again under the same name replaces the earlier answers.
    let again = app
        .post(
            &format!("/api/v1/assessments/{id}/answers"),
            &json!({"respondent": "taras", "answers": {"strategy.vision": 3, "strategy.goals": 3, "strategy.budget": 2,
                    "motivation.kpi": 2, "motivation.visibility": 2, "motivation.ideas": 1, "support.financial": 2}}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);

    let report = app.get(&format!("/api/v1/assessments/{id}")).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["respondents"], 3, "{}", report.body);
    let r = &report.body["readiness"];
    // By hand: a person's block score is the mean of (answer − 1) / 4 × 100.
    let person = |xs: [i32; 3]| xs.iter().map(|x| f64::from(x - 1) * 25.0).sum::<f64>() / 3.0;
    // Strategy (0) or motivation (1): each person's three answers.
    let hand = |block: usize| {
        let scores: Vec<f64> = answers
            .iter()
            .map(|a| person(if block == 0 { a.1 } else { a.2 }))
            .collect();
        let mean = scores.iter().sum::<f64>() / 3.0;
        let sd = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        (mean, sd)
    };
    let block = |key: &str| -> Value {
        r["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["part"] == key)
            .unwrap()
            .clone()
    };
    for (key, (mean, sd)) in [("strategy", hand(0)), ("motivation", hand(1))] {
        let b = block(key);
        assert!(
            (b["score"].as_f64().unwrap() - mean).abs() < 1e-9,
            "{key}: {b}"
        );
        assert!(
            (b["spread"].as_f64().unwrap() - sd).abs() < 1e-9,
            "{key}: {b}"
        );
        assert_eq!(b["respondents"], 3);
    }
    // Motivation (≈ 36) is the weakest, first, with its recommendation in three languages.
    assert_eq!(r["blocks"][0]["part"], "motivation", "{r}");
    assert_eq!(r["blocks"][0]["weak"], true);
    assert!(
        r["blocks"][0]["recommendation"]["uk"]
            .as_str()
            .unwrap()
            .len()
            > 20
    );
    assert_eq!(block("strategy")["weak"], false, "{r}");
    // Blocks nobody answered come last, without a score.
    assert!(r["blocks"][4]["score"].is_null());
    let funding = r["support"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["part"] == "financial")
        .unwrap();
    // (75 + 25 + 100) / 3
    assert!((funding["score"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9);

    // Bad answers are refused by field, and nothing is stored.
    for (body, field) in [
        (
            json!({"respondent": "X", "answers": {"strategy.vision": 6}}),
            "answers.strategy.vision",
        ),
        (
            json!({"respondent": "X", "answers": {"strategy.none": 3}}),
            "answers.strategy.none",
        ),
        (
            json!({"respondent": "", "answers": {"strategy.vision": 3}}),
            "respondent",
        ),
        (
            json!({"respondent": "X", "expectations": {"q1": 4}}),
            "expectations",
        ),
    ] {
        let refused = app
            .post(&format!("/api/v1/assessments/{id}/answers"), &body)
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.error_field(), field, "{}", refused.body);
    }
    let report = app.get(&format!("/api/v1/assessments/{id}")).await;
    assert_eq!(report.body["respondents"], 3);
    let missing = app.get("/api/v1/assessments/999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let listed = app.get("/api/v1/assessments").await;
    assert_eq!(listed.body[0]["respondents"], 3, "{}", listed.body);
}

api_test!(
    a_queue_standard_s_gap_3_is_the_share_of_calls_missing_it_by_hand_count,
    standards
);
pub(crate) async fn standards(app: TestApp) {
    // 40 calls waiting 30, 60, … seconds in the queue in November; 12 more elsewhere.
    let mut records: Vec<Value> = (0..40)
        .map(|i| {
            json!({"external_id": format!("q{i}"), "channel": "phone", "touchpoint": "contact-centre.queue",
                   "kind": "call", "occurred_at": format!("2026-11-{:02}T10:00:00Z", 1 + i % 28),
                   "duration_seconds": 30 + (i * 37) % 200})
        })
        .collect();
    records.extend((0..12).map(|i| {
        json!({"external_id": format!("s{i}"), "channel": "phone", "touchpoint": "contact-centre",
               "kind": "call", "occurred_at": "2026-11-10T10:00:00Z", "duration_seconds": 900})
    }));
    let loaded = app
        .post("/api/v1/interactions:batch", &json!({ "records": records }))
        .await;
    assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    let met = (0..40).filter(|i| 30 + (i * 37) % 200 <= 120).count() as f64;

    let standard = app
        .post(
            "/api/v1/standards",
            &json!({"name": "Queue answered within 2 min", "measure": {"metric": "interaction_seconds", "target": 120,
                    "touchpoint": "contact-centre.queue"}, "dimension": "responsiveness"}),
        )
        .await;
    assert_eq!(standard.status, StatusCode::CREATED, "{}", standard.body);
    assert!(standard.body["measure"]["touchpoint_id"].as_i64().is_some());
    assert!(
        standard.body["measure"].get("touchpoint").is_none(),
        "{}",
        standard.body
    );

    let gaps = app.get("/api/v1/gaps?from=2026-11-01&to=2026-12-01").await;
    assert_eq!(gaps.status, StatusCode::OK, "{}", gaps.body);
    let delivery = &gaps.body["standards"][0]["delivery"];
    assert_eq!(delivery["n"], 40, "{}", gaps.body);
    assert_eq!(delivery["met"], met as u64);
    let gap3 = &gaps.body["gaps"][2];
    assert_eq!(gap3["number"], 3);
    assert!(
        (gap3["figure"].as_f64().unwrap() - 100.0 * (1.0 - met / 40.0)).abs() < 1e-9,
        "{gap3}"
    );
    assert!(gap3["low"].as_f64().unwrap() < gap3["figure"].as_f64().unwrap());
    assert_eq!(gap3["widest"][0]["kind"], "standard");

    // A promise stricter than the standard, made on 15 November, is held from that day.
    let promise = app
        .post(
            "/api/v1/promises",
            &json!({"text": "We answer in under a minute", "channel": "advert", "made_on": "2026-11-15",
                    "measure": {"metric": "interaction_seconds", "target": 60, "touchpoint": "contact-centre.queue"}}),
        )
        .await;
    assert_eq!(promise.status, StatusCode::CREATED, "{}", promise.body);
    let gaps = app.get("/api/v1/gaps?from=2026-11-01&to=2026-12-01").await;
    let after: Vec<i64> = (0..40)
        .filter(|i| 1 + i % 28 >= 15)
        .map(|i| 30 + (i * 37) % 200)
        .collect();
    let kept = after.iter().filter(|d| **d <= 60).count();
    let p = &gaps.body["promises"][0]["delivery"];
    assert_eq!(
        (p["n"].as_u64(), p["met"].as_u64()),
        (Some(after.len() as u64), Some(kept as u64)),
        "{}",
        gaps.body
    );

    for (body, field) in [
        (
            json!({"name": "x", "measure": {"metric": "interaction_seconds", "target": -1}}),
            "measure.target",
        ),
        (
            json!({"name": "x", "measure": {"metric": "csat", "target": 4, "touchpoint": "nowhere"}}),
            "measure.touchpoint",
        ),
        (
            json!({"name": "x", "measure": {"metric": "speed", "target": 4}}),
            "measure.metric",
        ),
    ] {
        let refused = app.post("/api/v1/standards", &body).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.error_field(), field, "{}", refused.body);
    }
    let listed = app.get("/api/v1/standards").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.body);
}

api_test!(
    maturity_evidence_equals_the_api_s_own_figures_for_the_same_period,
    maturity
);
async fn maturity(app: TestApp) {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today - chrono::Days::new(20), today + chrono::Days::new(1));
    let records: Vec<Value> = (0..60)
        .map(|i| {
            let at = chrono::Utc::now() - chrono::Duration::days(1 + i % 10);
            json!({"external_id": format!("m{i}"), "nps": (i * 7) % 11, "channel": if i % 2 == 0 { "phone" } else { "email" },
                   "occurred_at": at.to_rfc3339()})
        })
        .collect();
    let loaded = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    for i in 0..4 {
        let case = app
            .post(
                "/api/v1/cases",
                &json!({"title": format!("Case {i}"), "priority": "high", "team": "care"}),
            )
            .await;
        assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
        let id = case.body["id"].as_i64().unwrap();
        if i < 3 {
            for _ in 0..(1 + i % 2) {
                app.post(
                    &format!("/api/v1/cases/{id}/events"),
                    &json!({"kind": "contact", "text": "Called back"}),
                )
                .await;
            }
            let done = app
                .patch(
                    &format!("/api/v1/cases/{id}"),
                    &json!({"status": "resolved", "resolution": "callback_made"}),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        }
    }
    let m = app
        .get(&format!("/api/v1/maturity?from={from}&to={to}"))
        .await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.body);
    let figure = |key: &str| -> Value {
        m.body["levels"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["criteria"].as_array().unwrap())
            .find(|c| c["key"] == key)
            .unwrap()["figure"]
            .clone()
    };
    let metrics = app
        .get(&format!("/api/v1/cases/metrics?from={from}&to={to}"))
        .await;
    let row = &metrics.body[0];
    assert_eq!(
        figure("mttr_hours"),
        row["mttr_hours"]["mean"],
        "{}",
        m.body
    );
    assert_eq!(figure("fcr"), row["fcr"]["value"]);
    assert_eq!(figure("sla_compliance"), row["sla_compliance"]["value"]);
    let query = app
        .post(
            "/api/v1/query",
            &json!({"measures": ["n", "nps"], "filters": {"from": from.to_string(), "to": to.to_string()}}),
        )
        .await;
    assert_eq!(
        figure("nps"),
        query.body["rows"][0]["nps"]["value"],
        "{}",
        query.body
    );
    assert_eq!(figure("answers"), json!(60.0));
    assert_eq!(figure("channels"), json!(2.0));
    // 60 answers are below the 100 the first level needs: nothing is reached.
    assert_eq!(m.body["level"], 0);
    let lowered = app
        .put("/api/v1/maturity/thresholds", &json!({"answers": 50}))
        .await;
    assert_eq!(lowered.status, StatusCode::OK, "{}", lowered.body);
    assert_eq!(lowered.body["channels"], 2.0);
    let m = app
        .get(&format!("/api/v1/maturity?from={from}&to={to}"))
        .await;
    assert_eq!(m.body["level"], 1, "{}", m.body);
    let refused = app
        .put("/api/v1/maturity/thresholds", &json!({"speed": 1}))
        .await;
    assert_eq!(refused.error_field(), "speed");
    let refused = app.get("/api/v1/maturity?from=2026-13-01").await;
    assert_eq!(refused.error_field(), "from");
}

api_test!(
    the_diagnosis_pages_speak_three_languages_show_the_api_s_figures_and_take_answers,
    diagnosis_pages
);
async fn diagnosis_pages(app: TestApp) {
    readiness(app.clone()).await;
    let id = app.get("/api/v1/assessments").await.body[0]["id"]
        .as_i64()
        .unwrap();
    let manager = crate::helpers::agent(&app, dosvid_domain::user::Role::CxManager).await;
    let cookie = crate::helpers::sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let assessment_page = format!("/diagnosis/assessments/{id}");
    let raw_keys = [
        "strategy.vision",
        "human_resources",
        "interaction_seconds",
        "resolution_hours",
        "mttr_hours",
        "proactive_cases",
        "contact-centre.queue",
    ];
    let study = app
        .post(
            "/api/v1/studies",
            &json!({"title": "Field notes", "method": "observation", "conducted_on": "2026-10-01",
                    "notes": [{"text": "Long queue at noon", "quote": true, "touchpoint": "contact-centre.queue"}]}),
        )
        .await;
    let template = app
        .post(
            "/api/v1/templates",
            &json!({"kind": "value_proposition", "title": "Everyone", "sections": {"jobs": ["Top up"]}}),
        )
        .await;
    let study_page = format!("/diagnosis/studies/{}", study.body["id"]);
    let template_page = format!("/diagnosis/templates/{}", template.body["id"]);
    // Each page with a word of its own in the reader's language.
    let pages = |lang: &str| -> Vec<(String, &'static str)> {
        let pick = |uk: &'static str, en: &'static str, ru: &'static str| match lang {
            "uk" => uk,
            "en" => en,
            _ => ru,
        };
        vec![
            (
                "/diagnosis/studies".to_owned(),
                pick(
                    "Дослідження клієнтів",
                    "Customer studies",
                    "Исследования клиентов",
                ),
            ),
            (
                study_page.clone(),
                pick("Спостереження", "Observation", "Наблюдение"),
            ),
            (
                "/diagnosis/templates".to_owned(),
                pick(
                    "Аналітичні шаблони",
                    "Analytical templates",
                    "Аналитические шаблоны",
                ),
            ),
            (
                template_page.clone(),
                pick("Знеболювальні", "Pain relievers", "Обезболивающие"),
            ),
        ]
    };
    for (lang, title, readiness) in [
        ("uk", "Діагностика", "Готовність до управління досвідом"),
        ("en", "Diagnosis", "Readiness for CXM"),
        ("ru", "Диагностика", "Готовность к управлению опытом"),
    ] {
        let overview = app.page("GET", "/diagnosis", &[], &signed).await;
        let csrf = overview.hidden("csrf");
        let switched = app
            .page(
                "POST",
                "/me/language",
                &[("csrf", &csrf), ("language", lang), ("next", "/diagnosis")],
                &signed,
            )
            .await;
        assert_eq!(switched.location.as_deref(), Some("/diagnosis"));
        for path in ["/diagnosis", assessment_page.as_str()] {
            let page = app.page("GET", path, &[], &signed).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
            let text = crate::strategy::visible(&page.html);
            assert!(text.contains(title), "{lang} {path}: {text}");
            assert!(text.contains(readiness), "{lang} {path}: {text}");
            for key in raw_keys {
                assert!(!text.contains(key), "{lang} {path} shows {key}: {text}");
            }
        }
        for (path, word) in pages(lang) {
            let page = app.page("GET", &path, &[], &signed).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
            let text = crate::strategy::visible(&page.html);
            assert!(text.contains(word), "{lang} {path}: {text}");
            for key in [
                "in_depth_interview",
                "five_whys",
                "value_proposition",
                "pain_relievers",
                "contact-centre.queue",
            ] {
                assert!(!text.contains(key), "{lang} {path} shows {key}: {text}");
            }
        }
    }

    // The page's block scores are the API's.
    let api = app.get(&format!("/api/v1/assessments/{id}")).await;
    let page = app.page("GET", &assessment_page, &[], &signed).await;
    for block in api.body["readiness"]["blocks"].as_array().unwrap() {
        if let Some(score) = block["score"].as_f64() {
            let shown = format!(
                "data-part=\"{}\" data-score=\"{score}\"",
                block["part"].as_str().unwrap()
            );
            assert!(page.html.contains(&shown), "{shown}");
        }
    }

    // Someone answers in the web application; the API counts them.
    let csrf = page.hidden("csrf");
    let answered = app
        .page(
            "POST",
            &format!("{assessment_page}/answers"),
            &[
                ("csrf", &csrf),
                ("respondent", "Andriy"),
                ("strategy.vision", "5"),
                ("team.owner", "4"),
                ("team.skills", ""),
            ],
            &signed,
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.html);
    let api = app.get(&format!("/api/v1/assessments/{id}")).await;
    assert_eq!(api.body["respondents"], 4);
    let team = api.body["readiness"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["part"] == "team")
        .unwrap()
        .clone();
    assert_eq!(team["score"], 75.0, "{team}");

    // A colleague without an account answers through the assessment's link.
    let invited = app
        .post(
            &format!("/api/v1/assessments/{id}/invitations"),
            &json!({"days": 7}),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    let token = invited.body["token"].as_str().unwrap().to_owned();
    assert!(
        invited.body["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/a/{token}"))
    );
    let form = app
        .page("GET", &format!("/a/{token}?lang=en"), &[], &[])
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(
        form.html.contains("Leadership has a written vision"),
        "{}",
        form.html
    );
    let ft = form.hidden("ft");
    let posted = app
        .page(
            "POST",
            &format!("/a/{token}?lang=en"),
            &[
                ("ft", &ft),
                ("respondent", "Sofia"),
                ("motivation.kpi", "3"),
            ],
            &[],
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.html);
    assert!(posted.html.contains("Your answers are saved"));
    let api = app.get(&format!("/api/v1/assessments/{id}")).await;
    assert_eq!(api.body["respondents"], 5);
    let forged = token.replacen(&format!(".{id}."), &format!(".{}.", id + 1), 1);
    let refused = app.page("GET", &format!("/a/{forged}"), &[], &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stale = app
        .page(
            "POST",
            &format!("/a/{token}"),
            &[("respondent", "Eve"), ("strategy.vision", "1")],
            &[],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::FORBIDDEN,
        "a post without the form's token"
    );
    // The link opens no survey.
    let survey = app.page("GET", &format!("/p/{token}"), &[], &[]).await;
    assert_eq!(survey.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/v1/assessments/{id}")).await.body["respondents"],
        5
    );

    // A standard from the form, stored as the API stores one; an agent may not add one.
    let created = app
        .page(
            "POST",
            "/diagnosis/standards",
            &[
                ("csrf", &csrf),
                ("name", "Queue within 2 min"),
                ("metric", "interaction_seconds"),
                ("target", "120"),
                ("touchpoint", "contact-centre.queue"),
                ("dimension", "responsiveness"),
            ],
            &signed,
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let standards = app.get("/api/v1/standards").await;
    assert_eq!(standards.body[0]["measure"]["target"], 120.0);
    let bad = app
        .page(
            "POST",
            "/diagnosis/standards",
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("metric", "csat"),
                ("target", "9"),
            ],
            &signed,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("measure.target"), "{}", bad.html);
    let agent = crate::helpers::agent(&app, dosvid_domain::user::Role::Agent).await;
    let agent_cookie = crate::helpers::sign_in(&app, &agent).await;
    let as_agent = [("cookie", agent_cookie.as_str())];
    let page = app.page("GET", "/diagnosis", &[], &as_agent).await;
    let refused = app
        .page(
            "POST",
            "/diagnosis/standards",
            &[
                ("csrf", &page.hidden("csrf")),
                ("name", "y"),
                ("metric", "csat"),
                ("target", "4"),
            ],
            &as_agent,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/standards")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

api_test!(
    studies_are_found_by_words_touchpoint_and_theme_and_their_quotes_stand_beside_the_numbers,
    studies
);
async fn studies(app: TestApp) {
    let customer = app
        .post(
            "/api/v1/customers",
            &json!({"external_id": "c1", "name": "Марія"}),
        )
        .await;
    let customer = customer.body["id"].as_i64().unwrap();
    let study = json!({
        "title": "Інтерв'ю з клієнтами, що пішли", "method": "in_depth_interview", "conducted_on": "2026-10-01",
        "participants": [{"name": "Марія", "customer_id": customer}, {"name": "Клієнт 2"}],
        "notes": [
            {"text": "Я чекала на лінії сорок хвилин, і ніхто не відповів", "quote": true, "participant": 0,
             "touchpoint": "contact-centre.queue"},
            {"text": "Most leavers name the queue first", "touchpoint": "contact-centre"}
        ],
        "attachments": [{"name": "transcript.txt", "text": "Interviewer: why did you leave? — the bill was unclear"}],
        "whys": ["Customers leave", "They wait too long", "Too few agents at peak", "Shifts planned on averages"],
        "root_cause": "queue_capacity"
    });
    let created = app.post("/api/v1/studies", &study).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    // The quote's themes were read from its text; its touchpoint is stored by id.
    let note = &created.body["notes"][0];
    assert!(!note["themes"].as_array().unwrap().is_empty(), "{note}");
    assert!(note["touchpoint_id"].as_i64().is_some() && note.get("touchpoint").is_none());
    assert_eq!(created.body["root_cause_cases"], 0);

    let case = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Waited", "touchpoint": "contact-centre.queue"}),
        )
        .await;
    let case_id = case.body["id"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/cases/{case_id}"),
        &json!({"status": "resolved", "resolution": "callback_made", "root_cause": "queue_capacity"}),
    )
    .await;
    let got = app.get(&format!("/api/v1/studies/{id}")).await;
    assert_eq!(got.body["root_cause_cases"], 1, "{}", got.body);

    let theme = note["themes"][0].as_str().unwrap().to_owned();
    for (query, found) in [
        ("q=unclear".to_owned(), 1),
        ("q=nothing-like-this".to_owned(), 0),
        ("touchpoint=contact-centre".to_owned(), 1),
        ("touchpoint=e-shop".to_owned(), 0),
        (format!("theme={theme}"), 1),
        ("method=observation".to_owned(), 0),
        ("method=in_depth_interview&q=bill".to_owned(), 1),
    ] {
        let list = app.get(&format!("/api/v1/studies?{query}")).await;
        assert_eq!(list.status, StatusCode::OK, "{query}: {}", list.body);
        assert_eq!(list.body.as_array().unwrap().len(), found, "{query}");
    }
    for (query, field) in [
        ("method=guessing", "method"),
        ("touchpoint=nowhere", "touchpoint"),
    ] {
        let refused = app.get(&format!("/api/v1/studies?{query}")).await;
        assert_eq!(refused.error_field(), field, "{}", refused.body);
    }
    for (change, field) in [
        (
            json!({"participants": [{"name": "X", "customer_id": 999_999}]}),
            "participants[0].customer_id",
        ),
        (
            json!({"notes": [{"text": "x", "touchpoint": "nowhere"}]}),
            "notes[0].touchpoint",
        ),
        (
            json!({"notes": [{"text": "x", "themes": ["no.such"]}]}),
            "notes[0].themes[0]",
        ),
        (
            json!({"notes": [{"text": "x", "participant": 5}]}),
            "notes[0].participant",
        ),
        (json!({"method": "telepathy"}), "method"),
    ] {
        let mut body = study.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let refused = app.post("/api/v1/studies", &body).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.error_field(), field, "{}", refused.body);
    }
    assert_eq!(
        app.get("/api/v1/studies")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The quote stands on the queue's page and its parent's, not elsewhere.
    let manager = crate::helpers::agent(&app, dosvid_domain::user::Role::CxManager).await;
    let cookie = crate::helpers::sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let touchpoints = app.all("/api/v1/touchpoints").await;
    let id_of = |key: &str| touchpoints.iter().find(|t| t["key"] == key).unwrap()["id"].clone();
    for (key, shown) in [
        ("contact-centre.queue", true),
        ("contact-centre", true),
        ("e-shop", false),
    ] {
        let page = app
            .page("GET", &format!("/touchpoints/{}", id_of(key)), &[], &signed)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.html.contains("сорок хвилин"), shown, "{key}");
    }
    let page = app
        .page("GET", &format!("/diagnosis/studies/{id}"), &[], &signed)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let text = crate::strategy::visible(&page.html);
    assert!(
        text.contains("Too few agents at peak") && text.contains("1 кейсів"),
        "{text}"
    );
    let page = app
        .page("GET", "/diagnosis/studies?q=bill", &[], &signed)
        .await;
    assert!(page.html.contains(&format!("/diagnosis/studies/{id}")));
    // A manager deletes it from its page.
    let deleted = app
        .page(
            "POST",
            &format!("/diagnosis/studies/{id}/delete"),
            &[("csrf", &page.hidden("csrf"))],
            &signed,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.html);
    let gone = app.get(&format!("/api/v1/studies/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

api_test!(
    an_empathy_map_of_a_segment_is_prefilled_from_its_comments_and_exported_as_markdown,
    templates
);
async fn templates(app: TestApp) {
    for i in 0..200 {
        let segment = if i % 2 == 0 { "premium" } else { "mass" };
        let created = app
            .post(
                "/api/v1/customers",
                &json!({"external_id": format!("t{i}"), "segment": segment}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let now = chrono::Utc::now();
    let records: Vec<Value> = (0..600)
        .map(|i| {
            let at = now - chrono::Duration::days(1 + i % 40);
            let (comment, nps) = if i % 3 == 0 {
                ("Дуже довго чекав на лінії, черга жахлива", 2)
            } else {
                ("Дякую, консультант усе пояснив і допоміг", 10)
            };
            json!({"external_id": format!("r{i}"), "customer_external_id": format!("t{}", i % 200),
                   "nps": nps, "comment": comment, "occurred_at": at.to_rfc3339()})
        })
        .collect();
    let loaded = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    let made = app
        .post(
            "/api/v1/templates?prefill=uk",
            &json!({"kind": "empathy_map", "title": "Преміум-клієнти", "segment": {"segment": "premium"},
                    "sections": {"thinks": ["Чи варто платити більше?"]}}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let sections = &made.body["sections"];
    // What was written stays; what the data speaks to is filled.
    assert_eq!(sections["thinks"], json!(["Чи варто платити більше?"]));
    let says = sections["says"].as_array().unwrap();
    assert!(
        says.iter().any(|s| s.as_str().unwrap().contains("черга")),
        "{sections}"
    );
    assert!(
        !sections["pains"].as_array().unwrap().is_empty(),
        "{sections}"
    );
    let id = made.body["id"].as_i64().unwrap();
    let md = app
        .get(&format!("/api/v1/templates/{id}/markdown?language=en"))
        .await;
    assert_eq!(md.status, StatusCode::OK);
    let text = String::from_utf8(md.raw).unwrap();
    assert!(text.starts_with("# Преміум-клієнти"), "{text}");
    assert!(
        text.contains("## Says") && text.contains("## Thinks\n\n- Чи варто платити більше?"),
        "{text}"
    );

    for (url, body, field) in [
        (
            "/api/v1/templates",
            json!({"kind": "empathy_map", "title": "x", "sections": {"jobs": []}}),
            "sections.jobs",
        ),
        (
            "/api/v1/templates?prefill=uk",
            json!({"kind": "empathy_map", "title": "x", "segment": {"planet": "mars"}}),
            "segment.planet",
        ),
        (
            "/api/v1/templates?prefill=de",
            json!({"kind": "empathy_map", "title": "x"}),
            "prefill",
        ),
        (
            "/api/v1/templates",
            json!({"kind": "mind_map", "title": "x"}),
            "kind",
        ),
    ] {
        let refused = app.post(url, &body).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.error_field(), field, "{}", refused.body);
    }
    assert_eq!(
        app.get("/api/v1/templates")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
