//! The signed-in application as an agent uses it: sign in, log a complaint on a customer's
//! behalf, change the interface language, sign out. Nobody who is not signed in sees anything.

use axum::http::StatusCode;
use dosvid_domain::user::{Action, Role};
use serde_json::json;

use crate::api_test;
use crate::helpers::{PASSWORD, TestApp, agent, sign_in};

api_test!(
    an_agent_signs_in_and_logs_a_complaint_that_reaches_the_api,
    agent_logs_a_complaint
);
async fn agent_logs_a_complaint(app: TestApp) {
    let email = agent(&app, Role::Agent).await;
    // Not signed in: only the sign-in page.
    let away = app.page("GET", "/complaints/new", &[], &[]).await;
    assert_eq!(
        (away.status, away.location.as_deref()),
        (
            StatusCode::SEE_OTHER,
            Some("/login?next=%2Fcomplaints%2Fnew")
        )
    );
    assert_eq!(
        app.page("GET", "/", &[], &[]).await.location.as_deref(),
        Some("/login")
    );
    let wrong = app.login(&email, "not the password", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.cookie.unwrap_or_default().contains("dosvid_session"));
    // A post that did not come from the sign-in form (no token, or another's) is refused.
    let forged = app
        .page(
            "POST",
            "/login",
            &[("email", &email), ("password", PASSWORD), ("csrf", "0f")],
            &[("cookie", "dosvid_login=aa")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!forged.cookie.unwrap_or_default().contains("dosvid_session"));

    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    let form = app.page("GET", "/complaints/new", &[], &signed).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.html.contains("Записати скаргу чи відгук"),
        "{}",
        form.html
    );
    assert!(
        form.html.contains("contact-centre.queue"),
        "the touchpoints to choose from"
    );
    let csrf = form.hidden("csrf");
    let complaint = [
        ("kind", "complaint"),
        ("customer_phone", "067 123 45 67"),
        ("channel", "store"),
        ("touchpoint", "contact-centre.queue"),
        ("text", "Сорок хвилин на лінії, ніхто не відповів. Жахливо!"),
        ("severity", "high"),
    ];
    let mut without_token = complaint.to_vec();
    without_token.push(("csrf", "forged"));
    let forged = app
        .page("POST", "/complaints/new", &without_token, &signed)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut with_token = complaint.to_vec();
    with_token.push(("csrf", &csrf));
    let cross_site = [
        ("cookie", cookie.as_str()),
        ("origin", "https://evil.example"),
    ];
    let refused = app
        .page("POST", "/complaints/new", &with_token, &cross_site)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        app.all("/api/v1/feedback?source=complaint")
            .await
            .is_empty()
    );

    let logged = app
        .page("POST", "/complaints/new", &with_token, &signed)
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.html);
    assert!(logged.html.contains("Записано"), "{}", logged.html);
    assert!(logged.html.contains("негативна"));
    let stored = app.all("/api/v1/feedback?source=complaint").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["attributes"]["severity"], "high");
    assert_eq!(stored[0]["attributes"]["logged_by"], email.as_str());
    let customer = app
        .get(&format!("/api/v1/customers/{}", stored[0]["customer_id"]))
        .await;
    assert_eq!(customer.body["identities"][0]["value"], "+380671234567");

    // An agent sees only the customers of their cases: this one is not theirs.
    let profile_path = format!("/customers/{}", stored[0]["customer_id"]);
    let not_theirs = app.page("GET", &profile_path, &[], &signed).await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    // The customer 360 for a team lead: found by the phone as an agent types it, with the
    // complaint on the timeline.
    let lead = sign_in(&app, &agent(&app, Role::TeamLead).await).await;
    let as_lead = [("cookie", lead.as_str())];
    let found = app
        .page("GET", "/customers?q=067+123+45+67", &[], &as_lead)
        .await;
    assert_eq!(found.location.as_deref(), Some(profile_path.as_str()));
    let profile = app.page("GET", &profile_path, &[], &as_lead).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.html);
    assert!(profile.html.contains("+380671234567"));
    assert!(
        profile.html.contains("Сорок хвилин на лінії"),
        "{}",
        profile.html
    );
    let nobody = app
        .page("GET", "/customers?q=nobody%40example.com", &[], &as_lead)
        .await;
    assert!(nobody.html.contains("Такого клієнта не знайдено"));

    // A bad field is named and nothing is stored; what was typed stays in the form.
    let mut bad = with_token.clone();
    bad.retain(|(k, _)| *k != "touchpoint");
    bad.push(("touchpoint", "no-such-place"));
    let named = app.page("POST", "/complaints/new", &bad, &signed).await;
    assert_eq!(named.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(named.html.contains("touchpoint"), "{}", named.html);
    assert!(named.html.contains("Сорок хвилин"));
    assert_eq!(app.all("/api/v1/feedback?source=complaint").await.len(), 1);

    // English, then sign out: the cookie opens nothing any more.
    let switched = app
        .page(
            "POST",
            "/me/language",
            &[("csrf", &csrf), ("language", "en"), ("next", "/")],
            &signed,
        )
        .await;
    assert_eq!(switched.location.as_deref(), Some("/"));
    let home = app.page("GET", "/", &[], &signed).await;
    assert!(home.html.contains("<h1>Overview</h1>"), "{}", home.html);
    assert!(home.html.contains("Log a complaint or review"));
    let out = app
        .page("POST", "/logout", &[("csrf", &csrf)], &signed)
        .await;
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert_eq!(
        app.page("GET", "/", &[], &signed).await.status,
        StatusCode::SEE_OTHER
    );
}

api_test!(a_viewer_cannot_log_complaints, viewer_is_refused);
async fn viewer_is_refused(app: TestApp) {
    let email = agent(&app, Role::Viewer).await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    let csrf = app
        .page("GET", "/complaints/new", &[], &signed)
        .await
        .hidden("csrf");
    let refused = app
        .page(
            "POST",
            "/complaints/new",
            &[("csrf", &csrf), ("text", "Все погано")],
            &signed,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(app.all("/api/v1/feedback").await.is_empty());
}

/// The `data-value` of the card of `metric` on a page.
fn card_value(html: &str, metric: &str) -> Option<f64> {
    let card = html.split(&format!("data-metric=\"{metric}\"")).nth(1)?;
    let tag = card.split('>').next()?;
    let value = tag.split("data-value=\"").nth(1)?.split('"').next()?;
    value.parse().ok()
}

api_test!(
    the_overview_and_the_journey_map_show_the_apis_numbers,
    dashboards_agree_with_the_api
);
async fn dashboards_agree_with_the_api(app: TestApp) {
    // 40 phone answers in March (NPS 25), 40 in April with more detractors.
    let mut records = Vec::new();
    for i in 0..80 {
        let month = if i < 40 { "03" } else { "04" };
        let nps = match (i < 40, i % 4) {
            (true, 0) => 3,
            (true, 1 | 2) => 9,
            (false, 0 | 1) => 2,
            (false, 2) => 8,
            _ => 7,
        };
        let comment = match i % 10 {
            0 => Some("Довго чекав на лінії"),
            5 => Some("Все чудово, дякую"),
            _ => None,
        };
        records.push(json!({"touchpoint": "contact-centre.queue", "channel": "phone", "nps": nps, "comment": comment,
            "csat": 1 + i % 5, "ces": 1 + i % 7, "occurred_at": format!("2026-{month}-{:02}T10:00:00Z", 1 + i % 28)}));
    }
    let stored = app
        .post("/api/v1/feedback:batch", &json!({"records": records}))
        .await;
    assert_eq!(stored.body["created"], 80, "{}", stored.body);
    let email = agent(&app, Role::Analyst).await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];

    let query = "from=2026-04-01&to=2026-05-01&channel=phone";
    let page = app.page("GET", &format!("/?{query}"), &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let api = app.get(&format!("/api/v1/overview?{query}")).await;
    let row = &api.body["rows"][0];
    for metric in ["nps", "csat_top2", "ces", "ces_easy"] {
        assert_eq!(
            card_value(&page.html, metric),
            row[metric]["value"].as_f64(),
            "{metric}: {}",
            page.html
        );
    }
    assert!(page.html.contains("<svg"), "the trend chart");
    assert!(page.html.contains("▼"), "April is worse than March");
    assert!(
        page.html.contains("NPS за етапами й місяцями"),
        "the stage heatmap"
    );

    // Without a period the page shows the last three months with data, and says which.
    let default = app.page("GET", "/", &[], &signed).await;
    assert!(
        default.html.contains(r#"value="2026-02-01""#),
        "{}",
        default.html
    );
    assert!(default.html.contains(r#"value="2026-05-01""#));

    let map = app
        .page(
            "GET",
            "/journey?from=2026-03-01&to=2026-05-01",
            &[],
            &signed,
        )
        .await;
    assert_eq!(map.status, StatusCode::OK, "{}", map.html);
    let api = app
        .get("/api/v1/journey-map?from=2026-03-01&to=2026-05-01")
        .await;
    let queue = api.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["touchpoints"].as_array().unwrap().iter())
        .find(|t| t["key"] == "contact-centre.queue")
        .unwrap()
        .clone();
    let shown = map
        .html
        .split(r#"data-touchpoint="contact-centre.queue""#)
        .nth(1)
        .and_then(|rest| rest.split("data-nps=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(
        shown,
        queue["measures"]["nps"]["value"].as_f64(),
        "{}",
        map.html
    );
}

api_test!(
    an_administrator_adds_a_user_and_creates_and_revokes_an_api_key,
    settings
);
async fn settings(app: TestApp) {
    let admin = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &admin).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app.page("GET", "/settings", &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.hidden("csrf");

    // A user with a generated password, who can then sign in.
    let added = app
        .page(
            "POST",
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "new.agent@kvant.example"),
                ("name", "Тарас"),
                ("role", "agent"),
                ("language", "en"),
                ("password", ""),
            ],
            &signed,
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.html);
    let password = added.secret();
    let signed_in = app.login("new.agent@kvant.example", &password, None).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let duplicate = app
        .page(
            "POST",
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("email", "new.agent@kvant.example"),
                ("name", "Тарас"),
                ("role", "agent"),
                ("language", "en"),
                ("password", ""),
            ],
            &signed,
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT, "{}", duplicate.html);

    // An API key that opens the API until it is revoked; a key needs a scope.
    let scopeless = app
        .page(
            "POST",
            "/settings/keys",
            &[("csrf", &csrf), ("name", "crm-sync")],
            &signed,
        )
        .await;
    assert_eq!(scopeless.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .page(
            "POST",
            "/settings/keys",
            &[
                ("csrf", &csrf),
                ("name", "crm-sync"),
                ("scope", "read"),
                ("scope", "write"),
            ],
            &signed,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let key = created.secret();
    let opened = app
        .send("GET", "/api/v1/organisation", Some(&key), &[], vec![])
        .await;
    assert_eq!(opened.status, StatusCode::OK);
    let id = created
        .html
        .split("crm-sync")
        .next()
        .and_then(|before| before.rsplit("data-key=\"").next())
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let revoked = app
        .page(
            "POST",
            "/settings/keys/revoke",
            &[("csrf", &csrf), ("id", &id)],
            &signed,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.html);
    let closed = app
        .send("GET", "/api/v1/organisation", Some(&key), &[], vec![])
        .await;
    assert_eq!(closed.status, StatusCode::UNAUTHORIZED);

    // Not an administrator: nothing to see here.
    let agent_email = agent(&app, Role::Agent).await;
    let agent_cookie = sign_in(&app, &agent_email).await;
    let refused = app
        .page(
            "GET",
            "/settings",
            &[],
            &[("cookie", agent_cookie.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.html.contains("crm-sync"));
}

api_test!(
    a_cx_manager_writes_a_survey_opens_it_and_makes_a_personal_link,
    survey_management
);
async fn survey_management(app: TestApp) {
    app.post(
        "/api/v1/customers",
        &json!({"external_id": "crm-9", "name": "Ольга"}),
    )
    .await;
    let manager = agent(&app, Role::CxManager).await;
    let cookie = sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let new = app.page("GET", "/surveys/new", &[], &signed).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.html);
    let csrf = new.hidden("csrf");

    let broken = r#"{"key": "visit", "title": {"en": "Visit"}, "languages": ["en"], "questions": [
        {"id": "why", "type": "text", "text": {"en": "Why?"}, "show_if": {"question": "nps", "answered": true}}]}"#;
    let refused = app
        .page(
            "POST",
            "/surveys/new",
            &[("csrf", &csrf), ("definition", broken)],
            &signed,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("questions[0].show_if.question"),
        "{}",
        refused.html
    );

    let good = r#"{"key": "visit", "title": {"en": "Your visit"}, "languages": ["en"], "questions": [
        {"id": "nps", "type": "nps", "required": true, "text": {"en": "Recommend us?"}},
        {"id": "why", "type": "text", "text": {"en": "Why?"}, "show_if": {"question": "nps", "at_most": 6}}]}"#;
    let created = app
        .page(
            "POST",
            "/surveys/new",
            &[("csrf", &csrf), ("definition", good)],
            &signed,
        )
        .await;
    let page_path = created.location.expect("a redirect to the new survey");
    let page = app.page("GET", &page_path, &[], &signed).await;
    assert!(
        page.html.contains("Your visit") && page.html.contains("nps ≤ 6"),
        "{}",
        page.html
    );

    // The builder: a question added, moved, another removed; each change a new version.
    let added = app
        .page(
            "POST",
            &format!("{page_path}/questions"),
            &[
                ("csrf", &csrf),
                ("kind", "single_choice"),
                ("id", "reason"),
                ("text_en", "What was it about?"),
                ("options", "bill | The bill\nnet | The internet"),
                ("show_if_question", "nps"),
                ("show_if_test", "at_most"),
                ("show_if_value", "6"),
            ],
            &signed,
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let order = |html: &str| -> Vec<String> {
        html.split("data-question=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(order(&added.html), ["nps", "why", "reason"]);
    let moved = app
        .page(
            "POST",
            &format!("{page_path}/questions/reason/up"),
            &[("csrf", &csrf)],
            &signed,
        )
        .await;
    assert_eq!(order(&moved.html), ["nps", "reason", "why"]);
    let removed = app
        .page(
            "POST",
            &format!("{page_path}/questions/why/remove"),
            &[("csrf", &csrf)],
            &signed,
        )
        .await;
    assert_eq!(order(&removed.html), ["nps", "reason"]);
    let twice = app
        .page(
            "POST",
            &format!("{page_path}/questions"),
            &[
                ("csrf", &csrf),
                ("kind", "text"),
                ("id", "nps"),
                ("text_en", "Again?"),
            ],
            &signed,
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.html.contains("questions[2].id"), "{}", twice.html);
    let survey_id = page_path.rsplit('/').next().unwrap();
    let definition = app.get(&format!("/api/v1/surveys/{survey_id}")).await;
    assert_eq!(definition.body["version"], 4, "one version per change");
    assert_eq!(
        definition.body["definition"]["questions"][1]["options"][1]["key"],
        "net"
    );

    // A draft invites nobody; once active, a personal link for the customer's CRM id.
    let invite = format!("{page_path}/invite");
    let draft = app
        .page(
            "POST",
            &invite,
            &[("csrf", &csrf), ("customer", "crm-9")],
            &signed,
        )
        .await;
    assert!(draft.html.contains("status: draft"), "{}", draft.html);
    app.page(
        "POST",
        &format!("{page_path}/status"),
        &[("csrf", &csrf), ("status", "active")],
        &signed,
    )
    .await;
    let linked = app
        .page(
            "POST",
            &invite,
            &[("csrf", &csrf), ("customer", "crm-9")],
            &signed,
        )
        .await;
    let link = linked.secret();
    let path = link
        .split_once("/p/")
        .map(|(_, token)| format!("/p/{token}"))
        .unwrap();
    let survey_page = app.page("GET", &path, &[], &[]).await;
    assert!(
        survey_page.html.contains("Recommend us?"),
        "{}",
        survey_page.html
    );
    let again = app
        .page(
            "POST",
            &invite,
            &[("csrf", &csrf), ("customer", "crm-9")],
            &signed,
        )
        .await;
    assert!(
        again.html.contains("invited to this survey"),
        "the fatigue rule: {}",
        again.html
    );

    let csv = app
        .page("GET", &format!("{page_path}/responses.csv"), &[], &signed)
        .await;
    assert!(csv.html.starts_with("response_id,"), "{}", csv.html);

    // A viewer may look, not change.
    let viewer = agent(&app, Role::Viewer).await;
    let viewer_cookie = sign_in(&app, &viewer).await;
    let viewing = [("cookie", viewer_cookie.as_str())];
    assert_eq!(
        app.page("GET", &page_path, &[], &viewing).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.page("GET", "/surveys/new", &[], &viewing).await.status,
        StatusCode::FORBIDDEN
    );
}

api_test!(
    a_cx_manager_edits_the_journey_and_the_map_follows,
    journey_editor
);
async fn journey_editor(app: TestApp) {
    let manager = agent(&app, Role::CxManager).await;
    let cookie = sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let editor = app.page("GET", "/settings/journey", &[], &signed).await;
    assert_eq!(editor.status, StatusCode::OK, "{}", editor.html);
    let csrf = editor.hidden("csrf");
    let touchpoints = app.all("/api/v1/touchpoints").await;
    let centre = touchpoints
        .iter()
        .find(|t| t["key"] == "contact-centre")
        .unwrap();
    let (stage, parent) = (centre["stage_id"].to_string(), centre["id"].to_string());

    let bad = app
        .page(
            "POST",
            "/settings/touchpoints",
            &[
                ("csrf", &csrf),
                ("stage_id", &stage),
                ("name_uk", "Chatbot"),
                ("key", "Chat Bot!"),
            ],
            &signed,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("key:"), "{}", bad.html);
    let added = app
        .page(
            "POST",
            "/settings/touchpoints",
            &[
                ("csrf", &csrf),
                ("stage_id", &stage),
                ("parent_id", &parent),
                ("name_uk", "Voice bot"),
                ("key", "contact-centre.voicebot"),
                ("owner", "it"),
                ("moment_of_truth", "yes"),
            ],
            &signed,
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let stored = app.all("/api/v1/touchpoints").await;
    let bot = stored
        .iter()
        .find(|t| t["key"] == "contact-centre.voicebot")
        .unwrap()
        .clone();
    assert_eq!(
        (
            bot["moment_of_truth"].as_bool(),
            bot["owner_department"].as_str()
        ),
        (Some(true), Some("it"))
    );
    assert_eq!(bot["parent_id"].to_string(), parent);

    // The map answers with it at once, and feedback about it counts there.
    app.post(
        "/api/v1/feedback:batch",
        &json!({"records": [{"touchpoint": "contact-centre.voicebot", "nps": 2, "occurred_at": "2026-03-02T10:00:00Z"}]}),
    )
    .await;
    let map = app.get("/api/v1/journey-map").await;
    let found = map.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["touchpoints"].as_array().unwrap().iter())
        .find(|t| t["key"] == "contact-centre.voicebot")
        .cloned()
        .unwrap();
    assert_eq!(found["measures"]["n"], 1);

    let id = bot["id"].to_string();
    let renamed = app
        .page(
            "POST",
            &format!("/settings/touchpoints/{id}"),
            &[
                ("csrf", &csrf),
                ("name_uk", "Голосовий бот"),
                ("name_en", "Voice bot"),
                ("name_ru", "Голосовой бот"),
                ("owner", ""),
            ],
            &signed,
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    let after = app.get(&format!("/api/v1/touchpoints/{id}")).await;
    // The row names the touchpoint in each language; `name` stays what integrators see.
    assert_eq!(
        (&after.body["name"], &after.body["names"]),
        (
            &json!("Voice bot"),
            &json!({"uk": "Голосовий бот", "en": "Voice bot", "ru": "Голосовой бот"})
        )
    );
    let map = app.page("GET", "/journey", &[], &signed).await;
    assert!(map.html.contains("Голосовий бот") && map.html.contains("Очікування на лінії"));
    // Owners are on the map, named; a stage nobody answered at says so.
    assert!(
        map.html
            .contains(r#"<span class="tp-owner">Власник: Маркетинг</span>"#)
    );
    assert!(
        map.html
            .contains("Ніхто не відповідав тут у цьому періоді.")
    );
    // (a stage is filtered by its `name`, so it stays an option's value, unseen)
    for english in [
        ">Voice bot",
        ">Wait in queue",
        ">Awareness",
        "Customer journey",
    ] {
        let at = map
            .html
            .find(english)
            .map(|i| &map.html[i.saturating_sub(300)..i + 50]);
        assert!(at.is_none(), "{english} on a Ukrainian page: {at:?}");
    }
    assert!(after.body["owner_department"].is_null());
    assert_eq!(
        after.body["moment_of_truth"], false,
        "an unticked box clears the mark"
    );
    let website = touchpoints.iter().find(|t| t["key"] == "website").unwrap();
    let target = format!("stage:{}", website["stage_id"]);
    let moved = app
        .page(
            "POST",
            &format!("/settings/touchpoints/{id}/move"),
            &[("csrf", &csrf), ("parent", &target)],
            &signed,
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.html);
    let after = app.get(&format!("/api/v1/touchpoints/{id}")).await;
    assert_eq!(after.body["stage_id"], website["stage_id"]);
    assert!(after.body["parent_id"].is_null());
    let in_use = app
        .page(
            "POST",
            &format!("/settings/touchpoints/{id}/delete"),
            &[("csrf", &csrf)],
            &signed,
        )
        .await;
    assert_eq!(in_use.status, StatusCode::CONFLICT, "{}", in_use.html);

    let channel = app
        .page(
            "POST",
            "/settings/channels",
            &[
                ("csrf", &csrf),
                ("name_uk", "Viber"),
                ("key", "viber"),
                ("kind", "chat"),
            ],
            &signed,
        )
        .await;
    assert_eq!(channel.status, StatusCode::OK);
    assert!(
        app.all("/api/v1/channels")
            .await
            .iter()
            .any(|c| c["key"] == "viber" && c["kind"] == "chat")
    );
    let stage_added = app
        .page(
            "POST",
            "/settings/stages",
            &[("csrf", &csrf), ("name_uk", "Win-back")],
            &signed,
        )
        .await;
    assert!(
        stage_added.html.contains(r#"value="Win-back""#),
        "{}",
        stage_added.html
    );
}

api_test!(an_agent_works_a_case_from_the_inbox_to_resolved, inbox);
async fn inbox(app: TestApp) {
    let email = agent(&app, Role::Agent).await;
    let created = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Сорок хвилин у черзі", "priority": "urgent", "owner": email, "touchpoint": "contact-centre.queue"}),
        )
        .await;
    let id = created.body["id"].to_string();
    app.post(
        "/api/v1/cases",
        &json!({"title": "Someone else's", "owner": "other@kvant.example"}),
    )
    .await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    let mine = app.page("GET", "/cases?view=mine", &[], &signed).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.html);
    assert!(mine.html.contains("Сорок хвилин у черзі") && !mine.html.contains("Someone else"));
    let soon = app.page("GET", "/cases?view=breaching", &[], &signed).await;
    assert!(
        soon.html.contains(&format!("data-case=\"{id}\"")),
        "urgent: due in 4 hours"
    );

    let page = app.page("GET", &format!("/cases/{id}"), &[], &signed).await;
    let csrf = page.hidden("csrf");
    let logged = app
        .page(
            "POST",
            &format!("/cases/{id}/events"),
            &[
                ("csrf", &csrf),
                ("kind", "contact"),
                ("text", "Передзвонила, вибачилась"),
            ],
            &signed,
        )
        .await;
    assert!(logged.html.contains("Передзвонила"), "{}", logged.html);
    let refused = app
        .page(
            "POST",
            &format!("/cases/{id}"),
            &[
                ("csrf", &csrf),
                ("status", "resolved"),
                ("priority", "urgent"),
            ],
            &signed,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("resolution"), "{}", refused.html);
    let resolved = app
        .page(
            "POST",
            &format!("/cases/{id}"),
            &[
                ("csrf", &csrf),
                ("status", "resolved"),
                ("priority", "urgent"),
                ("resolution", "callback_made"),
            ],
            &signed,
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.html);
    let stored = app.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(
        (
            stored.body["status"].as_str(),
            stored.body["contacts"].as_u64()
        ),
        (Some("resolved"), Some(1))
    );
    let open = app.page("GET", "/cases", &[], &signed).await;
    assert!(!open.html.contains("Сорок хвилин у черзі"));
}

api_test!(
    a_cx_manager_writes_pauses_and_deletes_an_alert_rule,
    rule_editor
);
async fn rule_editor(app: TestApp) {
    let manager = agent(&app, Role::CxManager).await;
    let cookie = sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app.page("GET", "/settings/rules", &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.hidden("csrf");
    let empty = app
        .page(
            "POST",
            "/settings/rules",
            &[("csrf", &csrf), ("rule", r#"{"name": "All", "when": {}}"#)],
            &signed,
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.html.contains("when:"), "{}", empty.html);
    let rule = r#"{"name": "Security complaint", "when": {"source": ["complaint"], "theme": ["security"]}, "open_case": {"priority": "urgent"}}"#;
    let added = app
        .page(
            "POST",
            "/settings/rules",
            &[("csrf", &csrf), ("rule", rule)],
            &signed,
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let rules = app.get("/api/v1/alert-rules").await;
    let id = rules.body[0]["id"].to_string();
    assert_eq!(rules.body[0]["open_case"]["priority"], "urgent");
    app.page(
        "POST",
        &format!("/settings/rules/{id}/toggle"),
        &[("csrf", &csrf)],
        &signed,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/alert-rules").await.body[0]["enabled"],
        false
    );
    app.page(
        "POST",
        &format!("/settings/rules/{id}/delete"),
        &[("csrf", &csrf)],
        &signed,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/alert-rules")
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

api_test!(
    a_cx_manager_adds_pauses_and_deletes_a_webhook_endpoint,
    webhook_settings
);
async fn webhook_settings(app: TestApp) {
    let agent_user = agent(&app, Role::Agent).await;
    let agent_cookie = sign_in(&app, &agent_user).await;
    let refused = app
        .page(
            "GET",
            "/settings/webhooks",
            &[],
            &[("cookie", agent_cookie.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let manager = agent(&app, Role::CxManager).await;
    let cookie = sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app.page("GET", "/settings/webhooks", &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.hidden("csrf");
    let bad = app
        .page(
            "POST",
            "/settings/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "crm.example.com"),
                ("events", "case.created"),
            ],
            &signed,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("url:"), "{}", bad.html);
    let added = app
        .page(
            "POST",
            "/settings/webhooks",
            &[
                ("csrf", &csrf),
                ("url", "https://crm.example.com/hooks/dosvid"),
                ("events", "case.created"),
                ("events", "alert.fired"),
                ("description", "CRM"),
            ],
            &signed,
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    assert!(added.secret().starts_with("whsec_"));
    assert!(added.html.contains("https://crm.example.com/hooks/dosvid"));
    // Its events are named in the reader's language (the hint names their keys for the
    // integrator).
    let shown = app.page("GET", "/settings/webhooks", &[], &signed).await;
    let text = crate::strategy::visible(&shown.html);
    assert!(text.contains("новий кейс, спрацювало правило"), "{text}");
    let hooks = app.get("/api/v1/webhooks").await;
    assert_eq!(
        hooks.body[0]["events"],
        json!(["case.created", "alert.fired"])
    );
    let secret = app
        .get(&format!("/api/v1/webhooks/{}/secret", hooks.body[0]["id"]))
        .await;
    assert_eq!(
        secret.body["secret"].as_str(),
        Some(added.secret().as_str())
    );
    let id = hooks.body[0]["id"].to_string();
    app.page(
        "POST",
        &format!("/settings/webhooks/{id}/toggle"),
        &[("csrf", &csrf)],
        &signed,
    )
    .await;
    assert_eq!(app.get("/api/v1/webhooks").await.body[0]["enabled"], false);
    app.page(
        "POST",
        &format!("/settings/webhooks/{id}/delete"),
        &[("csrf", &csrf)],
        &signed,
    )
    .await;
    assert_eq!(app.get("/api/v1/webhooks").await.body, json!([]));
}

/// Every form a signed-in page posts, with the action it stands for in `Role::may`.
const FORM_ACTIONS: &[(&str, Action)] = &[
    ("/cases/1", Action::WorkCases),
    ("/cases/1/events", Action::WorkCases),
    ("/surveys/new", Action::ManageSurveys),
    ("/surveys/1/status", Action::ManageSurveys),
    ("/surveys/1/definition", Action::ManageSurveys),
    ("/surveys/1/questions", Action::ManageSurveys),
    ("/surveys/1/questions/nps/up", Action::ManageSurveys),
    ("/surveys/1/invite", Action::ManageSurveys),
    ("/settings/rules", Action::ManageRules),
    ("/settings/rules/1/toggle", Action::ManageRules),
    ("/settings/rules/1/delete", Action::ManageRules),
    ("/settings/webhooks", Action::ManageWebhooks),
    ("/settings/webhooks/1/toggle", Action::ManageWebhooks),
    ("/settings/webhooks/1/delete", Action::ManageWebhooks),
    (
        "/settings/webhooks/deliveries/1/retry",
        Action::ManageWebhooks,
    ),
    ("/settings/stages", Action::EditJourney),
    ("/settings/stages/1", Action::EditJourney),
    ("/settings/touchpoints", Action::EditJourney),
    ("/settings/touchpoints/1", Action::EditJourney),
    ("/settings/touchpoints/1/move", Action::EditJourney),
    ("/settings/touchpoints/1/delete", Action::EditJourney),
    ("/settings/channels", Action::EditJourney),
    ("/settings/users", Action::Administer),
    ("/settings/keys", Action::Administer),
    ("/settings/keys/revoke", Action::Administer),
    ("/settings/survey-secret", Action::Administer),
    ("/complaints/new", Action::RecordFeedback),
    ("/diagnosis/assessments", Action::ManageStrategy),
    ("/diagnosis/assessments/1/link", Action::ManageStrategy),
    ("/diagnosis/thresholds", Action::ManageStrategy),
    ("/diagnosis/standards", Action::ManageStrategy),
    ("/diagnosis/promises", Action::ManageStrategy),
    ("/diagnosis/standards/1/delete", Action::ManageStrategy),
    ("/diagnosis/studies", Action::ManageStrategy),
    ("/diagnosis/templates", Action::ManageStrategy),
    ("/diagnosis/templates/1", Action::ManageStrategy),
    ("/diagnosis/studies/1/delete", Action::ManageStrategy),
    ("/diagnosis/templates/1/delete", Action::ManageStrategy),
    ("/diagnosis/assessments/1/delete", Action::ManageStrategy),
];

api_test!(
    every_form_refuses_each_role_its_action_is_not_granted_to,
    form_actions_by_role
);
async fn form_actions_by_role(app: TestApp) {
    let case = app
        // Owned by the agent: an agent sees only the cases they own and their customers.
        .post(
            "/api/v1/cases",
            &json!({"title": "Чекав 40 хвилин", "owner": "agent@kvant.example"}),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let not_allowed = "Ваша роль не дозволяє цього.";
    let mut signed_in = Vec::new();
    for role in Role::ALL {
        let cookie = sign_in(&app, &agent(&app, role).await).await;
        let csrf = app
            .page("GET", "/complaints/new", &[], &[("cookie", &cookie)])
            .await
            .hidden("csrf");
        signed_in.push((role, cookie, csrf));
    }
    // The roles refused go first, so that what they are refused is still there to change.
    for (path, action) in FORM_ACTIONS {
        let mut roles: Vec<_> = signed_in.iter().collect();
        roles.sort_by_key(|(role, ..)| role.may(*action));
        for (role, cookie, csrf) in roles {
            let form = [
                ("csrf", csrf.as_str()),
                ("status", "closed"),
                ("text", "Нотатка"),
                ("grace_days", "0"),
            ];
            let page = app
                .page("POST", path, &form, &[("cookie", cookie.as_str())])
                .await;
            if role.may(*action) {
                assert!(!page.html.contains(not_allowed), "{role:?} {path}");
            } else {
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{role:?} {path}");
                assert!(page.html.contains(not_allowed), "{role:?} {path}");
            }
        }
        if *path == "/cases/1/events" {
            let events = case_log(&app).await;
            let notes = events.iter().filter(|e| e["text"] == "Нотатка").count();
            let workers = Role::ALL.iter().filter(|r| r.may(*action)).count();
            assert_eq!(notes, workers, "one note per role that works cases");
        }
    }
    // Nothing in the case's log was done by a role that may not work cases.
    let log = case_log(&app).await;
    for role in Role::ALL.iter().filter(|r| !r.may(Action::WorkCases)) {
        let email = format!("{}@kvant.example", role.as_str());
        assert!(!log.iter().any(|e| e["by"] == email.as_str()), "{log:?}");
    }
}

async fn case_log(app: &TestApp) -> Vec<serde_json::Value> {
    let log = app.get("/api/v1/cases/1/events").await;
    log.body.as_array().unwrap().clone()
}

api_test!(
    behind_a_public_url_a_sign_in_from_it_is_accepted_and_one_from_elsewhere_refused,
    origin_behind_a_proxy
);
async fn origin_behind_a_proxy(app: TestApp) {
    let email = agent(&app, Role::Agent).await;
    let mut behind = app.clone();
    let state =
        dosvid_server::AppState::new(app.store.clone()).with_public_url("https://cx.example.com");
    behind.router = dosvid_server::app(state);
    let form = behind.page("GET", "/login", &[], &[]).await;
    let cookie = form
        .cookie
        .as_deref()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = form.hidden("csrf");
    let fields = [
        ("csrf", csrf.as_str()),
        ("email", &email),
        ("password", PASSWORD),
    ];
    // The proxy reaches the server as 127.0.0.1:8080; the browser says where it really is.
    let sign_in = |origin: &'static str| {
        let (behind, cookie) = (behind.clone(), cookie.clone());
        let fields = fields.map(|(k, v)| (k, v.to_owned()));
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let headers = [
                ("cookie", cookie.as_str()),
                ("origin", origin),
                ("host", "127.0.0.1:8080"),
            ];
            behind
                .page("POST", "/login", &fields, &headers)
                .await
                .status
        }
    };
    assert_eq!(sign_in("https://evil.example").await, StatusCode::FORBIDDEN);
    assert_eq!(
        sign_in("https://cx.example.com").await,
        StatusCode::SEE_OTHER
    );
}

api_test!(
    behind_a_trusted_proxy_the_rate_limit_counts_each_forwarded_client,
    forwarded_clients
);
async fn forwarded_clients(app: TestApp) {
    // In-process requests come from 0.0.0.0: here, the proxy.
    let mut behind = app.clone();
    let state = dosvid_server::AppState::new(app.store.clone())
        .with_trusted_proxies(vec!["0.0.0.0/32".parse().unwrap()]);
    behind.router = dosvid_server::app(state);
    let visit = |client: &'static str| {
        let behind = behind.clone();
        async move {
            let headers = [("x-forwarded-for", client)];
            behind.page("GET", "/login", &[], &headers).await.status
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..61 {
        statuses.push(visit("203.0.113.1").await);
    }
    assert_eq!(statuses[59], StatusCode::OK);
    assert_eq!(
        statuses[60],
        StatusCode::TOO_MANY_REQUESTS,
        "one client's burst is spent"
    );
    assert_eq!(
        visit("203.0.113.2").await,
        StatusCode::OK,
        "another client has its own"
    );
    // Without the trust, the header is ignored: everyone is the proxy.
    let mut direct = Vec::new();
    for _ in 0..61 {
        direct.push(
            app.page("GET", "/login", &[], &[("x-forwarded-for", "198.51.100.7")])
                .await
                .status,
        );
    }
    assert_eq!(direct[60], StatusCode::TOO_MANY_REQUESTS);
}

api_test!(
    a_person_ends_their_other_sessions_and_changes_their_password_and_an_administrator_resets_one,
    account
);
async fn account(app: TestApp) {
    let email = agent(&app, Role::Analyst).await;
    let first = sign_in(&app, &email).await;
    let second = sign_in(&app, &email).await;
    let mine = [("cookie", first.as_str())];
    let page = app.page("GET", "/me/account", &[], &mine).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.html.matches("/me/sessions/end").count(),
        2,
        "one other session and 'all others'"
    );
    let csrf = page.hidden("csrf");
    let ended = app
        .page(
            "POST",
            "/me/sessions/end",
            &[("csrf", &csrf), ("id", "others")],
            &mine,
        )
        .await;
    assert_eq!(ended.location.as_deref(), Some("/me/account"));
    let gone = app
        .page("GET", "/", &[], &[("cookie", second.as_str())])
        .await;
    assert_eq!(
        gone.status,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert_eq!(
        app.page("GET", "/", &[], &mine).await.status,
        StatusCode::OK
    );

    // A wrong current password or two different new ones change nothing.
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (app, csrf, mine) = (&app, csrf.clone(), mine);
        async move {
            app.page(
                "POST",
                "/me/password",
                &[
                    ("csrf", &csrf),
                    ("current", current),
                    ("new", new),
                    ("again", again),
                ],
                &mine,
            )
            .await
        }
    };
    assert_eq!(
        change("wrong-password", "новий-пароль-123", "новий-пароль-123")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        change(PASSWORD, "новий-пароль-123", "інший-пароль-123")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let changed = change(PASSWORD, "новий-пароль-123", "новий-пароль-123").await;
    assert_eq!(changed.location.as_deref(), Some("/login"));
    assert_eq!(
        app.login(&email, PASSWORD, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&email, "новий-пароль-123", None).await.status,
        StatusCode::SEE_OTHER
    );

    // An administrator gives them a new one, shown once.
    let admin = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &admin).await;
    let signed = [("cookie", cookie.as_str())];
    let settings = app.page("GET", "/settings", &[], &signed).await;
    let store = app.store.clone();
    let target = email.clone();
    let id = tokio::task::spawn_blocking(move || {
        let org = store.default_org().unwrap();
        store
            .list_users(org)
            .unwrap()
            .into_iter()
            .find(|u| u.email == target)
            .unwrap()
            .id
    })
    .await
    .unwrap();
    let reset = app
        .page(
            "POST",
            &format!("/settings/users/{id}/password"),
            &[("csrf", &settings.hidden("csrf"))],
            &signed,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.html);
    let password = reset.secret();
    let again = app.login(&email, &password, Some("/me/account")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    // Not for anyone else to do.
    let cookie = again.cookie.unwrap();
    let theirs = [("cookie", cookie.split(';').next().unwrap())];
    let page = app.page("GET", "/me/account", &[], &theirs).await;
    let refused = app
        .page(
            "POST",
            &format!("/settings/users/{id}/password"),
            &[("csrf", &page.hidden("csrf"))],
            &theirs,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

api_test!(
    the_companys_values_are_shown_by_their_names_in_the_readers_language,
    values_by_their_names
);
async fn values_by_their_names(app: TestApp) {
    // A customer of a segment and region the company names, with a comment read as Ukrainian.
    let customer = app
        .post(
            "/api/v1/customers",
            &json!({"external_id": "c-1", "name": "Олена", "segment": "mass", "region": "Lviv"}),
        )
        .await;
    let id = customer.body["id"].to_string();
    let stored = app.post(
        "/api/v1/feedback:batch",
        &json!({"records": [{"customer_external_id": "c-1", "touchpoint": "contact-centre.queue",
            "source": "complaint", "nps": 3, "comment": "Дуже довго чекав на лінії, жахливо",
            "occurred_at": "2026-03-02T10:00:00Z"}]}),
    )
    .await;
    assert_eq!(stored.body["rejected"], json!([]), "{}", stored.body);
    let named = app
        .put(
            "/api/v1/vocabulary",
            &json!({"kind": "segment", "key": "mass", "names": {"uk": "Масовий", "en": "Mass market"}}),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    let bad = app
        .put(
            "/api/v1/vocabulary",
            &json!({"kind": "region", "key": "Lviv", "names": {}}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "names")
    );
    app.put(
        "/api/v1/vocabulary",
        &json!({"kind": "region", "key": "Lviv", "names": {"uk": "Львів"}}),
    )
    .await;
    let all = app.get("/api/v1/vocabulary").await.body;
    let departments = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "department");
    assert_eq!(
        departments.count(),
        10,
        "the template's departments are named"
    );

    let email = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    let page = app
        .page("GET", &format!("/customers/{id}"), &[], &signed)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in ["Масовий", "Львів", "скарга", "Очікування на лінії"]
    {
        assert!(
            page.html.contains(shown),
            "{shown} not on the customer's page"
        );
    }
    for raw in [">mass<", ">Lviv<", "· complaint", "time.queue"] {
        assert!(!page.html.contains(raw), "{raw} on the customer's page");
    }
    let feedback = app.page("GET", "/feedback", &[], &signed).await;
    assert!(feedback.html.contains(">українська"));
    assert!(
        feedback.html.contains(">Олена</a>"),
        "the explorer names the customer"
    );
    assert!(!feedback.html.contains(">time.queue") && !feedback.html.contains(">complaint"));

    assert_eq!(
        app.delete("/api/v1/vocabulary?kind=segment&key=mass")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete("/api/v1/vocabulary?kind=segment&key=mass")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let page = app
        .page("GET", &format!("/customers/{id}"), &[], &signed)
        .await;
    assert!(
        page.html.contains(">mass<"),
        "a value without a name is shown as it is"
    );
}

api_test!(
    a_missing_case_survey_or_touchpoint_says_there_is_no_such_record,
    missing_records
);
async fn missing_records(app: TestApp) {
    let email = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    for path in ["/cases/999999", "/surveys/999999", "/touchpoints/999999"] {
        let page = app.page("GET", path, &[], &signed).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.html.contains("Такого запису немає"),
            "{path}: {}",
            page.html
        );
        assert!(
            !page.html.contains("клієнта") && !page.html.contains("даних немає"),
            "{path}"
        );
    }
}

api_test!(
    the_touchpoint_pages_latest_comments_are_the_periods_newest_first,
    latest_comments_of_the_period
);
async fn latest_comments_of_the_period(app: TestApp) {
    let comment = |text: &str, at: &str| json!({"touchpoint": "contact-centre.queue", "nps": 5, "comment": text, "occurred_at": at});
    // Stored out of the order they happened in.
    let stored = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [
                comment("Січневий коментар про чергу", "2026-01-10T10:00:00Z"),
                comment("Березневий коментар про чергу", "2026-03-10T10:00:00Z"),
                comment("Лютневий коментар про чергу", "2026-02-10T10:00:00Z"),
            ]}),
        )
        .await;
    assert_eq!(stored.body["rejected"], json!([]), "{}", stored.body);
    let touchpoints = app.all("/api/v1/touchpoints").await;
    let queue = touchpoints
        .iter()
        .find(|t| t["key"] == "contact-centre.queue")
        .unwrap();
    let email = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    let path = format!("/touchpoints/{}?from=2026-02-01&to=2026-03-31", queue["id"]);
    let page = app.page("GET", &path, &[], &signed).await;
    assert_eq!(page.status, StatusCode::OK);
    let at = |text: &str| page.html.find(text);
    assert!(at("Січневий").is_none(), "a comment outside the period");
    assert!(
        at("Березневий").unwrap() < at("Лютневий").unwrap(),
        "newest first"
    );
}

api_test!(
    a_customers_page_shows_their_cases_and_that_they_lapsed,
    cases_and_lapse_on_the_customers_page
);
async fn cases_and_lapse_on_the_customers_page(app: TestApp) {
    for (id, name) in [("c-1", "Олена Коваль"), ("c-2", "Тарас")] {
        app.post(
            "/api/v1/customers",
            &json!({"external_id": id, "name": name}),
        )
        .await;
    }
    let payment = |customer: &str, at: &str| {
        json!({"customer_external_id": customer, "occurred_at": at, "amount_minor": 25000,
               "currency": "UAH", "kind": "recurring"})
    };
    // Olena last paid in March; the data runs to October.
    let paid = app
        .post(
            "/api/v1/transactions:batch",
            &json!({"records": [payment("c-1", "2026-03-05T10:00:00Z"), payment("c-2", "2026-10-05T10:00:00Z")]}),
        )
        .await;
    assert_eq!(paid.body["rejected"], json!([]), "{}", paid.body);
    let olena = app.all("/api/v1/customers").await;
    let olena = olena.iter().find(|c| c["external_id"] == "c-1").unwrap()["id"].clone();
    let case = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Повернення коштів за тариф", "customer_id": olena}),
        )
        .await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);

    let email = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    // Found by a part of her name, typed in lower case; `%` is a character, not a wildcard.
    let found = app
        .page("GET", "/customers?q=%D0%BE%D0%BB%D0%B5%D0%BD", &[], &signed)
        .await;
    assert!(found.html.contains("Олена Коваль") && !found.html.contains("Тарас"));
    let none = app.page("GET", "/customers?q=Zz%25", &[], &signed).await;
    assert!(!none.html.contains("Олена Коваль"));
    let page = app
        .page("GET", &format!("/customers/{olena}"), &[], &signed)
        .await;
    assert!(
        page.html.contains("Повернення коштів за тариф"),
        "the customer's case"
    );
    assert!(
        page.html.contains(r#"data-lapsed="true""#),
        "no payment since March"
    );
    let case_page = app
        .page("GET", &format!("/cases/{}", case.body["id"]), &[], &signed)
        .await;
    assert!(
        case_page.html.contains("Олена Коваль"),
        "the case names its customer"
    );
}

api_test!(
    the_insights_page_shows_phrases_no_theme_covers_that_grew,
    emerging_on_insights
);
async fn emerging_on_insights(app: TestApp) {
    let comment = |i: usize, text: &str, day: u32| {
        json!({"external_id": format!("e{i}"), "touchpoint": "mobile-app", "nps": 4, "comment": text,
               "occurred_at": format!("2026-03-{day:02}T10:00:00Z")})
    };
    let mut records = Vec::new();
    for i in 0..30 {
        records.push(comment(
            i,
            "Купив квиток на концерт, усе гаразд",
            1 + (i % 20) as u32,
        ));
    }
    for i in 30..50 {
        records.push(comment(
            i,
            "Віджет погоди зник після оновлення",
            25 + (i % 5) as u32,
        ));
    }
    let stored = app
        .post("/api/v1/feedback:batch", &json!({"records": records}))
        .await;
    assert_eq!(stored.body["rejected"], json!([]), "{}", stored.body);
    let email = agent(&app, Role::Admin).await;
    let cookie = sign_in(&app, &email).await;
    let page = app
        .page("GET", "/insights", &[], &[("cookie", cookie.as_str())])
        .await;
    assert!(page.html.contains("Нові теми"), "{}", page.html);
    assert!(page.html.contains("data-phrase="), "a phrase that grew");
}

api_test!(
    a_cx_manager_builds_rules_from_lists_and_tries_one_on_the_past,
    rule_builder
);
async fn rule_builder(app: TestApp) {
    let manager = agent(&app, Role::CxManager).await;
    let cookie = sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let csrf = app
        .page("GET", "/settings/rules", &[], &signed)
        .await
        .hidden("csrf");
    let record = [
        ("csrf", csrf.as_str()),
        ("name", "Незадоволений преміум"),
        ("kind", "record"),
        ("nps_at_most", "6"),
        ("source", "survey"),
        ("sentiment", ""),
        ("segment", "premium"),
        ("touchpoint", ""),
        ("theme", ""),
        ("metric", "nps"),
        ("recent_days", "7"),
        ("baseline_days", "28"),
        ("min_change", "0"),
        ("priority", "urgent"),
        ("team", ""),
    ];
    let added = app.page("POST", "/settings/rules", &record, &signed).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let stored = app.get("/api/v1/alert-rules").await.body[0].clone();
    assert_eq!(
        (&stored["when"], &stored["open_case"]["priority"]),
        (
            &json!({"nps_at_most": 6, "source": ["survey"], "customer": {"segment": ["premium"]}}),
            &json!("urgent")
        ),
        "{stored}"
    );
    // Read back in words, not JSON keys.
    for shown in [
        "NPS ≤ 6",
        "Джерело: опитування",
        "Сегмент: premium",
        "терміновий",
    ] {
        assert!(added.html.contains(shown), "{shown}: {}", added.html);
    }

    let mut aggregate = record.to_vec();
    for (name, value) in [
        ("name", "Падіння NPS"),
        ("kind", "aggregate"),
        ("nps_at_most", ""),
    ] {
        aggregate.retain(|(n, _)| *n != name);
        aggregate.push((name, value));
    }
    let added = app
        .page("POST", "/settings/rules", &aggregate, &signed)
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.html);
    let rules = app.get("/api/v1/alert-rules").await.body;
    let watch = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Падіння NPS")
        .unwrap();
    assert_eq!(watch["watch"]["metric"], "nps", "{watch}");
    assert_eq!(watch["watch"]["recent_days"], 7);
    let id = watch["id"].as_i64().unwrap();
    let api = app
        .post(
            &format!("/api/v1/alert-rules/{id}/backtest"),
            &json!({"from": "2026-01-01", "to": "2026-01-31"}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let tried = app
        .page(
            "GET",
            &format!("/settings/rules?backtest={id}&from=2026-01-01&to=2026-01-31"),
            &[],
            &signed,
        )
        .await;
    let figures = format!(
        "data-alerts=\"{}\" data-evaluations=\"{}\"",
        api.body["alerts"], api.body["evaluations"]
    );
    assert!(tried.html.contains(&figures), "{figures}: {}", tried.html);
}

api_test!(
    a_cx_manager_starts_a_survey_from_a_template_without_json,
    survey_builder
);
async fn survey_builder(app: TestApp) {
    let manager = agent(&app, Role::CxManager).await;
    let cookie = sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let new = app.page("GET", "/surveys/new", &[], &signed).await;
    assert!(new.html.contains("survey-builder"), "{}", new.html);
    let csrf = new.hidden("csrf");
    let fields = |key: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.to_owned()),
            ("language", "uk".to_owned()),
            ("language", "en".to_owned()),
            ("title_uk", "Якість обслуговування".to_owned()),
            ("title_en", "Service quality".to_owned()),
            ("title_ru", "".to_owned()),
            ("touchpoint", "store".to_owned()),
            ("channel", "".to_owned()),
            ("start", "servqual".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let app = app.clone();
        async move {
            let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.page("POST", "/surveys/new", &form, &signed).await
        }
    };
    // A key that is no key: refused by name, and what was typed stays in the builder.
    let refused = post(fields("якість")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("key:") && refused.html.contains("Якість обслуговування"),
        "{}",
        refused.html
    );
    let created = post(fields("service-quality")).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let surveys = app.all("/api/v1/surveys").await;
    let survey = surveys
        .iter()
        .find(|s| s["key"] == "service-quality")
        .expect("the survey");
    let definition = &survey["definition"];
    assert_eq!(definition["languages"], json!(["uk", "en"]));
    assert_eq!(definition["title"]["uk"], "Якість обслуговування");
    assert_eq!(definition["touchpoint"], "store");
    let dimensions: Vec<&str> = definition["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["dimension"].as_str().unwrap())
        .collect();
    assert_eq!(
        dimensions,
        [
            "tangibles",
            "reliability",
            "responsiveness",
            "assurance",
            "empathy"
        ]
    );
    assert_eq!(survey["status"], "draft");
}
