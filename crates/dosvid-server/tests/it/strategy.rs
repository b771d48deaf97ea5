//! Managing the experience through the API: what an initiative changed, measured by
//! difference in differences on a company loaded through the API.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::TestApp;

/// 400 customers in four regions, each answering six times over 2026; from 1 April the
/// customers of the west answer two points higher (a queue fixed there).
pub async fn company(app: &TestApp) {
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

/// 300 customers in three regions answering over the last 200 days; the east's answers climb.
async fn recent_company(app: &TestApp) {
    let regions = ["north", "south", "east"];
    for i in 0..300 {
        let customer = json!({"external_id": format!("r{i}"), "region": regions[i % 3]});
        let created = app.post("/api/v1/customers", &customer).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let now = chrono::Utc::now();
    let records: Vec<Value> = (0..3_000usize)
        .map(|i| {
            let customer = i % 300;
            let days_ago = (i * 37) % 200;
            let mut score = 5 + ((i * 13) % 6) as i64;
            if customer % 3 == 2 && days_ago < 100 {
                score += 2;
            }
            let at = now - chrono::Duration::days(days_ago as i64) - chrono::Duration::hours(3);
            json!({"external_id": format!("g{i}"), "customer_external_id": format!("r{customer}"),
                   "nps": score.clamp(0, 10), "csat": 1 + (i % 5), "occurred_at": at.to_rfc3339()})
        })
        .collect();
    for chunk in records.chunks(1_000) {
        let loaded = app
            .post("/api/v1/feedback:batch", &json!({ "records": chunk }))
            .await;
        assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    }
}

api_test!(
    a_goal_keeps_its_baseline_and_its_current_value_is_the_query_s_for_the_same_scope,
    goals
);
async fn goals(app: TestApp) {
    recent_company(&app).await;
    let due = (chrono::Utc::now() + chrono::Duration::days(180))
        .date_naive()
        .to_string();
    let company = app
        .post(
            "/api/v1/goals",
            &json!({"name": "Company NPS", "metric": "nps", "target": 40, "due": due,
                    "owner_department": "CX office"}),
        )
        .await;
    assert_eq!(company.status, StatusCode::CREATED, "{}", company.body);
    assert!(company.body["baseline"]["n"].as_u64().unwrap() > 1_000);
    let east = app
        .post(
            "/api/v1/goals",
            &json!({"name": "East NPS", "metric": "nps", "target": 60, "due": due, "window_days": 60,
                    "filters": {"customer": {"region": "east"}}, "parent_id": company.body["id"]}),
        )
        .await;
    assert_eq!(east.status, StatusCode::CREATED, "{}", east.body);

    let progress = app.get(&format!("/api/v1/goals/{}", east.body["id"])).await;
    assert_eq!(progress.status, StatusCode::OK, "{}", progress.body);
    let current = &progress.body["current"];
    let query = app
        .post(
            "/api/v1/query",
            &json!({"measures": ["nps"], "filters": {"customer": {"region": "east"},
                    "from": current["from"], "to": current["to"]}}),
        )
        .await;
    let row = &query.body["rows"][0];
    assert_eq!(row["n"], current["n"], "{}", query.body);
    assert_eq!(row["nps"]["value"], current["value"], "{}", query.body);
    assert_eq!(row["nps"]["low"], current["low"]);
    let status = progress.body["status"].as_str().unwrap();
    assert!(
        ["achieved", "on_track", "at_risk", "off_track"].contains(&status),
        "{}",
        progress.body
    );
    assert!(progress.body["trend"].as_array().unwrap().len() >= 2);
    let parent = app
        .get(&format!("/api/v1/goals/{}", company.body["id"]))
        .await;
    assert_eq!(parent.body["children"], json!([east.body["id"]]));

    // Other metrics are measured too, each with an interval.
    for (metric, target) in [("csat", 4.5), ("cx_index", 70.0), ("churn", 5.0)] {
        let goal = app
            .post(
                "/api/v1/goals",
                &json!({"name": metric, "metric": metric, "target": target, "due": due}),
            )
            .await;
        assert_eq!(goal.status, StatusCode::CREATED, "{}", goal.body);
    }
    let all = app.get("/api/v1/goals").await.body;
    let csat = all
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == "csat")
        .unwrap();
    assert!(csat["current"]["low"].as_f64().unwrap() < csat["current"]["value"].as_f64().unwrap());

    // What a goal measures cannot change under its baseline; bad input names its field.
    let patched = app
        .patch(
            &format!("/api/v1/goals/{}", east.body["id"]),
            &json!({"target": 55}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["target"], 55.0);
    for (body, status, field) in [
        (
            json!({"window_days": 30}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "window_days",
        ),
        (
            json!({"target": 150}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "target",
        ),
        (
            json!({"parent_id": east.body["id"]}),
            StatusCode::CONFLICT,
            "parent_id",
        ),
        (
            json!({"parent_id": 9_999}),
            StatusCode::CONFLICT,
            "parent_id",
        ),
    ] {
        let bad = app
            .patch(&format!("/api/v1/goals/{}", east.body["id"]), &body)
            .await;
        assert_eq!(bad.status, status, "{body}: {}", bad.body);
        assert_eq!(bad.body["error"]["field"], field, "{}", bad.body);
    }
    let bad = app
        .post(
            "/api/v1/goals",
            &json!({"name": "x", "metric": "mttr", "target": 24, "due": due,
                    "filters": {"customer": {"region": "east"}}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["error"]["field"], "filters.customer");
    let all = app.get("/api/v1/goals").await.body;
    assert_eq!(all.as_array().unwrap().len(), 5);
}

api_test!(
    an_initiative_measures_its_return_and_the_cycle_carries_its_finding_over,
    initiatives
);
async fn initiatives(app: TestApp) {
    company(&app).await;
    let cycle = app
        .post(
            "/api/v1/strategy-cycles",
            &json!({"name": "2026", "from": "2026-01-01", "to": "2026-12-31",
                    "budget_minor": 80_000, "currency": "UAH", "vision": "No queue longer than five minutes"}),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::CREATED, "{}", cycle.body);
    let stages: Vec<&str> = cycle.body["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "service_vision",
            "touchpoints",
            "needs",
            "action_plan",
            "budget",
            "roles",
            "brand_experience",
            "evaluation"
        ]
    );
    let cycle_id = cycle.body["id"].clone();
    let initiative = |title: &str, region: &str, budget: i64, department: &str| {
        json!({"title": title, "treated": {"customer": {"region": region}}, "starts_on": "2026-04-01",
               "budget_minor": budget, "currency": "UAH", "owner_department": department,
               "status": "in_progress", "kind": "quick_win", "cycle_id": cycle_id,
               "expected": {"metric": "nps", "change": 10},
               "raci": {"responsible": [department], "accountable": "CX office"}})
    };
    let west = app
        .post(
            "/api/v1/initiatives",
            &initiative("Queue fix in the west", "west", 50_000, "Contact centre"),
        )
        .await;
    assert_eq!(west.status, StatusCode::CREATED, "{}", west.body);
    let north = app
        .post(
            "/api/v1/initiatives",
            &initiative("Same fix in the north", "north", 40_000, "Branches"),
        )
        .await;
    assert_eq!(north.status, StatusCode::CREATED, "{}", north.body);

    let impact = app
        .get(&format!(
            "/api/v1/initiatives/{}/impact?before_days=90&after_days=90",
            west.body["id"]
        ))
        .await;
    assert_eq!(impact.status, StatusCode::OK, "{}", impact.body);
    assert_eq!(impact.body["significant"], true, "{}", impact.body);
    assert_eq!(impact.body["cost_minor"], 50_000);
    let none = app
        .get(&format!(
            "/api/v1/initiatives/{}/impact?before_days=90&after_days=90",
            north.body["id"]
        ))
        .await;
    assert_eq!(none.body["significant"], false, "{}", none.body);
    let bad = app
        .get(&format!(
            "/api/v1/initiatives/{}/impact?metric=happiness",
            west.body["id"]
        ))
        .await;
    assert_eq!(bad.body["error"]["field"], "metric", "{}", bad.body);

    // Status changes are logged.
    let done = app
        .patch(
            &format!("/api/v1/initiatives/{}", west.body["id"]),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let logged = app
        .get(&format!("/api/v1/initiatives/{}", west.body["id"]))
        .await;
    let log = logged.body["status_log"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{}", logged.body);
    assert_eq!(log[1]["from"], "in_progress");
    assert_eq!(log[1]["to"], "done");
    let by_budget = app.get("/api/v1/initiatives?sort=budget").await;
    assert_eq!(by_budget.body[0]["id"], west.body["id"]);
    let bad = app
        .post(
            "/api/v1/initiatives",
            &json!({"title": "x", "starts_on": "2026-04-01", "treated": {"customer": {"planet": "mars"}}}),
        )
        .await;
    assert_eq!(
        bad.body["error"]["field"], "treated.customer.planet",
        "{}",
        bad.body
    );

    // The cycle: budget by department against its own, roles, delivery, evaluation.
    let stage = app
        .patch(
            &format!("/api/v1/strategy-cycles/{cycle_id}/stages/service_vision"),
            &json!({"status": "done", "owner": "CEO", "due": "2026-02-01"}),
        )
        .await;
    assert_eq!(stage.status, StatusCode::OK, "{}", stage.body);
    let view = app
        .get(&format!("/api/v1/strategy-cycles/{cycle_id}"))
        .await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["current_stage"], "touchpoints");
    assert_eq!(view.body["budget"]["planned_minor"], 90_000);
    assert_eq!(view.body["budget"]["over_budget"], true);
    assert_eq!(
        view.body["budget"]["by_department"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(view.body["roles"].as_array().unwrap().len(), 2);
    assert_eq!(view.body["delivered"][0]["initiative_id"], west.body["id"]);
    let evaluation = view.body["evaluation"].as_array().unwrap();
    let measured = evaluation
        .iter()
        .find(|e| e["initiative_id"] == west.body["id"])
        .unwrap();
    assert_eq!(measured["significant"], true, "{}", view.body);

    let next = app
        .post(
            "/api/v1/strategy-cycles",
            &json!({"name": "2027", "from": "2027-01-01", "to": "2027-12-31", "previous_id": cycle_id}),
        )
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.body);
    assert_eq!(
        next.body["stages"][0]["notes"],
        "No queue longer than five minutes"
    );
    let findings = next.body["carried_over"].as_array().unwrap();
    let worked = findings
        .iter()
        .find(|f| f["initiative_id"] == west.body["id"])
        .unwrap();
    assert_eq!(worked["outcome"], "worked", "{}", next.body);
    let bad = app
        .patch(
            &format!("/api/v1/strategy-cycles/{cycle_id}/stages/launch"),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    let bad = app
        .post(
            "/api/v1/strategy-cycles",
            &json!({"name": "x", "from": "2027-01-01", "to": "2026-12-31"}),
        )
        .await;
    assert_eq!(bad.body["error"]["field"], "to", "{}", bad.body);
}

/// A cycle with two initiatives on the company: the west's (which worked) and the north's.
pub async fn plan(app: &TestApp) -> (Value, Value) {
    let cycle = app
        .post(
            "/api/v1/strategy-cycles",
            &json!({"name": "2026", "from": "2026-01-01", "to": "2026-12-31", "budget_minor": 100_000}),
        )
        .await;
    let initiative = |title: &str, region: &str| {
        json!({"title": title, "treated": {"customer": {"region": region}}, "starts_on": "2026-04-01",
               "budget_minor": 50_000, "currency": "UAH", "owner_department": "Contact centre",
               "status": "in_progress", "kind": "transformation", "priority": "high",
               "cycle_id": cycle.body["id"], "problem": {"factor": "region", "value": region},
               "raci": {"responsible": ["Contact centre"], "accountable": "CX office"}})
    };
    let west = app
        .post("/api/v1/initiatives", &initiative("Queue fix", "west"))
        .await;
    assert_eq!(west.status, StatusCode::CREATED, "{}", west.body);
    app.post(
        "/api/v1/initiatives",
        &initiative("Same elsewhere", "north"),
    )
    .await;
    (cycle.body, west.body)
}

/// The text a person reads: the markup without its tags, attributes and styles.
pub(crate) fn visible(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        text.push(' ');
        let tail = &rest[open..];
        let skip = ["<style", "<svg"]
            .iter()
            .find(|t| tail.starts_with(**t))
            .and_then(|t| tail.find(&format!("</{}>", &t[1..])));
        rest = match skip {
            Some(end) => &tail[end..],
            None => &tail[tail.find('>').map_or(tail.len(), |e| e + 1)..],
        };
    }
    text.push_str(rest);
    text
}

api_test!(
    the_strategy_pages_speak_three_languages_show_the_api_s_numbers_and_change_what_a_manager_may,
    strategy_pages
);
async fn strategy_pages(app: TestApp) {
    company(&app).await;
    let (cycle, west) = plan(&app).await;
    let manager = crate::helpers::agent(&app, dosvid_domain::user::Role::CxManager).await;
    let cookie = crate::helpers::sign_in(&app, &manager).await;
    let signed = [("cookie", cookie.as_str())];
    let initiative_page = format!("/strategy/initiatives/{}", west["id"]);
    let cycle_page = format!("/strategy/cycles/{}", cycle["id"]);
    let raw_keys = [
        "in_progress",
        "quick_win",
        "service_vision",
        "brand_experience",
        "on_track",
        "not_started",
        "revenue_per_customer",
    ];
    for (lang, title, effect) in [
        ("uk", "Стратегія", "Ефект"),
        ("en", "Strategy", "Effect"),
        ("ru", "Стратегия", "Эффект"),
    ] {
        let overview = app.page("GET", "/strategy", &[], &signed).await;
        let csrf = overview.hidden("csrf");
        let switched = app
            .page(
                "POST",
                "/me/language",
                &[("csrf", &csrf), ("language", lang), ("next", "/strategy")],
                &signed,
            )
            .await;
        assert_eq!(switched.location.as_deref(), Some("/strategy"));
        for path in ["/strategy", initiative_page.as_str(), cycle_page.as_str()] {
            let page = app.page("GET", path, &[], &signed).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
            let text = visible(&page.html);
            assert!(text.contains(title), "{lang} {path}: {text}");
            for key in raw_keys {
                assert!(!text.contains(key), "{lang} {path} shows {key}: {text}");
            }
        }
        let page = app.page("GET", &initiative_page, &[], &signed).await;
        assert!(visible(&page.html).contains(effect), "{lang}");
    }

    // The page's effect is the API's.
    let api = app
        .get(&format!("/api/v1/initiatives/{}/impact", west["id"]))
        .await;
    let page = app.page("GET", &initiative_page, &[], &signed).await;
    let shown = format!("{:+.1}", api.body["effect"]["value"].as_f64().unwrap());
    assert!(page.html.contains(&shown), "{shown}: {}", page.html);
    let csrf = page.hidden("csrf");

    // A manager moves it to done; the log names them.
    let moved = app
        .page(
            "POST",
            &format!("{initiative_page}/status"),
            &[("csrf", &csrf), ("status", "done")],
            &signed,
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    let stored = app
        .get(&format!("/api/v1/initiatives/{}", west["id"]))
        .await;
    assert_eq!(stored.body["status"], "done");
    assert_eq!(stored.body["status_log"][1]["by"], manager.as_str());

    // A new goal from the form, measured like one from the API.
    let goal = app
        .page(
            "POST",
            "/strategy/goals",
            &[
                ("csrf", &csrf),
                ("name", "West NPS"),
                ("metric", "nps"),
                ("region", "west"),
                ("target", "40"),
                ("due", "2027-06-30"),
            ],
            &signed,
        )
        .await;
    assert_eq!(goal.status, StatusCode::SEE_OTHER, "{}", goal.html);
    let goals = app.get("/api/v1/goals").await.body;
    assert_eq!(goals[0]["name"], "West NPS");
    assert_eq!(goals[0]["filters"], json!({"customer": {"region": "west"}}));
    let bad = app
        .page(
            "POST",
            "/strategy/goals",
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("metric", "nps"),
                ("target", "400"),
                ("due", "2027-06-30"),
            ],
            &signed,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("target"), "{}", bad.html);

    // A stage moves on from the cycle page.
    let stage = app
        .page(
            "POST",
            &format!("{cycle_page}/stages/service_vision"),
            &[
                ("csrf", &csrf),
                ("status", "done"),
                ("owner", "CEO"),
                ("notes", "Nobody waits"),
            ],
            &signed,
        )
        .await;
    assert_eq!(stage.status, StatusCode::SEE_OTHER, "{}", stage.html);
    let view = app
        .get(&format!("/api/v1/strategy-cycles/{}", cycle["id"]))
        .await;
    assert_eq!(view.body["stages"][0]["notes"], "Nobody waits");
    assert_eq!(view.body["current_stage"], "touchpoints");

    // An analyst reads but may not change.
    let analyst = crate::helpers::agent(&app, dosvid_domain::user::Role::Analyst).await;
    let cookie = crate::helpers::sign_in(&app, &analyst).await;
    let theirs = [("cookie", cookie.as_str())];
    let page = app.page("GET", &initiative_page, &[], &theirs).await;
    assert_eq!(page.status, StatusCode::OK);
    let refused = app
        .page(
            "POST",
            &format!("{initiative_page}/status"),
            &[("csrf", &page.hidden("csrf")), ("status", "dropped")],
            &theirs,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let missing = app
        .page("GET", "/strategy/initiatives/999", &[], &theirs)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
