//! Insights through the API, on a company loaded through the API with planted effects: what
//! drives NPS and what to fix first.

use axum::http::StatusCode;
use dosvid_domain::user::Role;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::{TestApp, agent, sign_in};

/// 400 customers; 1,200 survey answers where waiting in the queue costs four points and the
/// eastern region one; many complaints about prices, which do not move NPS.
async fn company(app: &TestApp) {
    let regions = ["north", "south", "east", "west"];
    for i in 0..400 {
        let customer = json!({"external_id": format!("c{i}"),
            "segment": if i % 3 == 0 { "premium" } else { "mass" }, "region": regions[i % 4]});
        let created = app.post("/api/v1/customers", &customer).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let mut records = Vec::new();
    for i in 0..1_200usize {
        let customer = (i / 3) % 400;
        let queue = i % 4 == 0;
        let price = i % 5 == 0;
        let comment = match (queue, price) {
            (true, _) => "Довго чекав у черзі на лінії, оператор не відповідав",
            (false, true) => "Тарифи дорогі, але обслуговування нормальне",
            _ if i % 2 == 0 => "Все добре, дякую",
            _ => "",
        };
        let mut score = 8 + (i % 3) as i64 - 1;
        if queue {
            score -= 4;
        }
        if customer % 4 == 2 {
            score -= 1;
        }
        let mut record = json!({"external_id": format!("f{i}"), "customer_external_id": format!("c{customer}"),
            "touchpoint": "contact-centre", "channel": "phone", "nps": score.clamp(0, 10),
            "occurred_at": format!("2026-0{}-1{}T10:00:00Z", 1 + i % 6, i % 10)});
        if !comment.is_empty() {
            record["comment"] = json!(comment);
        }
        records.push(record);
    }
    for i in 0..150usize {
        records.push(
            json!({"external_id": format!("k{i}"), "customer_external_id": format!("c{}", i % 400),
            "source": "complaint", "comment": "Ціни завищені, дуже дорого",
            "occurred_at": "2026-03-05T10:00:00Z"}),
        );
    }
    let loaded = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    let transactions: Vec<Value> = (0..400)
        .map(|i| json!({"external_id": format!("t{i}"), "customer_external_id": format!("c{i}"),
                        "amount_minor": 100_000 + (i % 3) * 50_000, "currency": "UAH", "kind": "purchase",
                        "occurred_at": "2026-05-01T10:00:00Z"}))
        .collect();
    let loaded = app
        .post(
            "/api/v1/transactions:batch",
            &json!({ "records": transactions }),
        )
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
}

api_test!(
    drivers_find_the_planted_theme_and_region_and_priorities_rank_it_above_the_complaints,
    drivers_and_priorities
);
async fn drivers_and_priorities(app: TestApp) {
    company(&app).await;
    let answer = app
        .post(
            "/api/v1/drivers",
            &json!({"outcome": "nps", "factors": ["theme", "region", "segment"], "replicates": 100}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let drivers = answer.body["drivers"].as_array().unwrap();
    let top = &drivers[0];
    assert_eq!(top["value"], "time.queue", "{}", answer.body);
    assert!(
        top["effect"].as_f64().unwrap() < -3.0 && top["significant"] == true,
        "{top}"
    );
    let east = drivers.iter().find(|d| d["value"] == "east").unwrap();
    assert!(
        east["effect"].as_f64().unwrap() < 0.0 && east["significant"] == true,
        "{east}"
    );
    let sum: f64 = drivers
        .iter()
        .map(|d| d["importance"].as_f64().unwrap())
        .sum();
    assert!(sum <= answer.body["r2"].as_f64().unwrap() + 1e-6);

    let priorities = app
        .post(
            "/api/v1/priorities",
            &json!({"factors": ["theme", "region"], "replicates": 50}),
        )
        .await;
    assert_eq!(priorities.status, StatusCode::OK, "{}", priorities.body);
    let problems = priorities.body["problems"].as_array().unwrap();
    let rank = |value: &str| problems.iter().position(|p| p["value"] == value);
    let queue = rank("time.queue").expect("the queue is a problem");
    assert_eq!(queue, 0, "{}", priorities.body);
    assert!(
        rank("finance.price").is_none_or(|price| price > queue),
        "prices are complained about, not what moves NPS"
    );
    assert!(problems[queue]["revenue_at_risk_minor"].as_i64().unwrap() > 0);
    assert_eq!(priorities.body["currency"], "UAH");
    // Nobody complained about the queue: surveys found it, complaints would not have.
    assert_eq!(problems[queue]["complaints"], 0);

    let chain = app
        .post(
            "/api/v1/value-chain",
            &json!({"by": "nps_group", "horizon_days": 30, "to": "2026-04-01"}),
        )
        .await;
    assert_eq!(chain.status, StatusCode::OK, "{}", chain.body);
    let groups: Vec<&str> = chain.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["promoter", "passive", "detractor"]);
    let moments = app
        .post("/api/v1/moments-of-truth", &json!({"min_sample": 5}))
        .await;
    assert_eq!(moments.status, StatusCode::OK, "{}", moments.body);
    assert!(moments.body["touchpoints"].is_array());
    let bad = app
        .post("/api/v1/value-chain", &json!({"horizon_days": 0}))
        .await;
    assert_eq!(bad.error_field(), "horizon_days");

    let refused = app
        .post(
            "/api/v1/drivers",
            &json!({"factors": ["stage", "touchpoint"]}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "factors")
    );
}

api_test!(
    a_funnel_over_interactions_flags_the_planted_drop_by_channel,
    funnel
);
async fn funnel(app: TestApp) {
    let mut records = Vec::new();
    for i in 0..600usize {
        let channel = if i % 2 == 0 { "web" } else { "app" };
        let at = |day: usize| format!("2026-03-{:02}T10:00:00Z", 1 + day);
        records.push(json!({"external_id": format!("i{i}-1"), "customer_external_id": format!("c{i}"),
            "touchpoint": "e-shop", "channel": channel, "kind": "visit", "occurred_at": at(i % 20)}));
        // On the app, four in five never get to delivery; on the web, one in five.
        let goes_on = if channel == "app" {
            i % 5 == 1
        } else {
            i % 5 != 0
        };
        if i % 3 == 0 {
            // A call later on: the journey's next stage, for the default funnel.
            records.push(json!({"external_id": format!("i{i}-3"), "customer_external_id": format!("c{i}"),
                "touchpoint": "contact-centre", "channel": "phone", "kind": "call", "occurred_at": at(i % 20 + 4)}));
        }
        if goes_on {
            records.push(json!({"external_id": format!("i{i}-2"), "customer_external_id": format!("c{i}"),
                "touchpoint": "e-shop.delivery", "channel": channel, "kind": "visit", "occurred_at": at(i % 20 + 2)}));
        }
    }
    let loaded = app
        .post("/api/v1/interactions:batch", &json!({ "records": records }))
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let answer = app
        .post(
            "/api/v1/funnel",
            &json!({"steps": [{"touchpoint": "e-shop"}, {"touchpoint": "e-shop.delivery"}],
                    "within_days": 7, "group_by": "channel"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let steps = &answer.body["overall"]["steps"];
    assert_eq!(steps[0]["customers"], 600);
    assert_eq!(steps[1]["customers"], 60 + 240, "{}", answer.body);
    assert_eq!(
        answer.body["largest_drop"]["group"], "app",
        "{}",
        answer.body
    );
    assert_eq!(answer.body["largest_drop"]["step"], "e-shop.delivery");

    // Without steps: the journey's stages.
    let stages = app.post("/api/v1/funnel", &json!({})).await;
    assert_eq!(stages.status, StatusCode::OK, "{}", stages.body);
    assert!(stages.body["steps"].as_array().unwrap().len() >= 2);
    let refused = app
        .post("/api/v1/funnel", &json!({"filters": {"theme": "time"}}))
        .await;
    assert_eq!(refused.error_field(), "filters.theme");
}

api_test!(
    the_insights_page_shows_the_apis_drivers_priorities_and_value_chain,
    insights_page
);
async fn insights_page(app: TestApp) {
    company(&app).await;
    let cookie = sign_in(&app, &agent(&app, Role::Analyst).await).await;
    let page = app
        .page("GET", "/insights", &[], &[("cookie", cookie.as_str())])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("Що рухає NPS"),
        "in the reader's language"
    );
    let api = app
        .post(
            "/api/v1/drivers",
            &json!({"outcome": "nps", "factors": ["theme", "touchpoint", "segment", "region"]}),
        )
        .await;
    let top = &api.body["drivers"][0];
    let row = page
        .html
        .split(&format!(
            "data-driver=\"{}:{}\"",
            top["factor"].as_str().unwrap(),
            top["value"].as_str().unwrap()
        ))
        .nth(1)
        .expect("the API's top driver is on the page");
    let importance = format!("{:.3}", top["importance"].as_f64().unwrap());
    let effect = format!("{:+.2}", top["effect"].as_f64().unwrap());
    assert!(
        row.contains(&importance) && row.contains(&effect),
        "{importance} {effect}: {row:.400}"
    );
    assert!(page.html.contains("data-problem=\"theme:time.queue\""));
    // The organisation's themes, each with its impact, named: the API's theme report.
    let report = app.post("/api/v1/themes/report", &json!({})).await;
    let queue = report.body["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["theme"] == "time.queue")
        .unwrap()
        .clone();
    let row = page
        .html
        .split("data-theme=\"time.queue\"")
        .nth(1)
        .expect("the theme report is on the page");
    assert!(
        row.contains(&format!("<td class=\"num\">{}</td>", queue["n"])),
        "{row:.300}"
    );
    assert!(page.html.contains("data-group=\"detractor\""));
    assert!(
        page.html.contains("/api/v1/drivers"),
        "the page names its API call"
    );
}

api_test!(
    feedback_about_a_call_takes_its_agent_and_a_planted_bad_agent_is_a_significant_driver,
    agents
);
async fn agents(app: TestApp) {
    let calls: Vec<Value> = (0..720usize)
        .map(|i| {
            json!({"external_id": format!("call-{i}"), "customer_external_id": format!("c{i}"),
                   "touchpoint": "contact-centre", "channel": "phone", "kind": "call",
                   "agent": format!("a{}", i % 24), "team": if i % 24 < 12 { "north" } else { "south" },
                   "occurred_at": format!("2026-02-{:02}T10:00:00Z", 1 + i % 28)})
        })
        .collect();
    let loaded = app
        .post("/api/v1/interactions:batch", &json!({ "records": calls }))
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    let mut records: Vec<Value> = (0..720usize)
        .map(|i| {
            // Every agent but a3 gets the same mix of answers.
            let nps = if i % 24 == 3 {
                4 + (i / 24) % 2
            } else {
                8 + (i / 24) % 3
            };
            json!({"external_id": format!("fb-{i}"), "interaction_external_id": format!("call-{i}"),
                   "customer_external_id": format!("c{i}"), "nps": nps,
                   "occurred_at": format!("2026-02-{:02}T11:00:00Z", 1 + i % 28)})
        })
        .collect();
    records[3]["comment"] = json!("Оператор не вислухав і поклав слухавку");
    records.push(json!({"external_id": "fb-own", "agent": "a9", "nps": 9,
                        "occurred_at": "2026-02-02T11:00:00Z"}));
    records.push(
        json!({"external_id": "fb-bad", "interaction_external_id": "call-nowhere",
                        "nps": 9, "occurred_at": "2026-02-02T11:00:00Z"}),
    );
    let loaded = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(loaded.status, StatusCode::OK, "{}", loaded.body);
    assert_eq!(loaded.body["created"], 721);
    assert_eq!(
        loaded.body["rejected"][0]["field"],
        "interaction_external_id"
    );

    let stored = app.all("/api/v1/feedback").await;
    let first = stored.iter().find(|f| f["external_id"] == "fb-3").unwrap();
    assert_eq!(
        (first["agent"].as_str(), first["team"].as_str()),
        (Some("a3"), Some("north"))
    );
    assert!(first["interaction_id"].is_i64());

    let by_agent = app
        .post(
            "/api/v1/query",
            &json!({"measures": ["n", "nps"], "group_by": ["agent"], "filters": {"team": "north"}}),
        )
        .await;
    assert_eq!(by_agent.status, StatusCode::OK, "{}", by_agent.body);
    let rows = by_agent.body["rows"].as_array().unwrap();
    let agents: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["group"]["agent"].as_str())
        .collect();
    assert_eq!(agents.len(), 12, "only the north team: {agents:?}");
    let worst = rows
        .iter()
        .min_by(|a, b| {
            a["nps"]["value"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["nps"]["value"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(worst["group"]["agent"], "a3");

    let drivers = app
        .post(
            "/api/v1/drivers",
            &json!({"factors": ["agent", "team"], "replicates": 100}),
        )
        .await;
    assert_eq!(drivers.status, StatusCode::OK, "{}", drivers.body);
    let a3 = drivers.body["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["value"] == "a3")
        .expect("a3 among the drivers");
    assert!(
        a3["effect"].as_f64().unwrap() < -2.0 && a3["significant"] == true,
        "{a3}"
    );

    // An agent's own feedback, in the explorer the Insights page links to.
    let cookie = sign_in(&app, &agent(&app, Role::TeamLead).await).await;
    let own = app
        .page(
            "GET",
            "/feedback?agent=a3",
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert!(own.html.contains("Знайдено записів: 30"), "{}", own.html);

    // On the Insights page, a3 alone is set apart from the average agent, and comes first.
    let page = app
        .page("GET", "/insights", &[], &[("cookie", cookie.as_str())])
        .await;
    let agents = page
        .html
        .split("id=\"agents\"")
        .nth(1)
        .expect("the agents section");
    let first = agents.split("data-agent=\"").nth(1).unwrap();
    assert!(first.starts_with("a3\""), "{agents:.600}");
    assert_eq!(
        agents
            .matches("<strong>нижче за середнього</strong>")
            .count(),
        1,
        "{agents:.2000}"
    );
    assert_eq!(agents.matches("вище за середнього</td>").count(), 0);
    assert!(agents.contains("href=\"/agents/a3\""));

    // An administrator links a new person to the agent id a3; on /me they see their own scores
    // (the API's numbers), where they stand, and the comment about their call.
    let admin = sign_in(&app, &agent(&app, Role::Admin).await).await;
    let settings = app
        .page("GET", "/settings", &[], &[("cookie", admin.as_str())])
        .await;
    let added = app
        .page(
            "POST",
            "/settings/users",
            &[
                ("csrf", &settings.hidden("csrf")),
                ("email", "a3@kvant.example"),
                ("name", "Тарас"),
                ("role", "agent"),
                ("language", "uk"),
                ("agent", " a3 "),
                ("password", crate::helpers::PASSWORD),
            ],
            &[("cookie", admin.as_str())],
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.html);
    assert!(added.html.contains("<a href=\"/agents/a3\">a3</a>"));
    let own = sign_in(&app, "a3@kvant.example").await;
    let me = app
        .page("GET", "/me", &[], &[("cookie", own.as_str())])
        .await;
    assert_eq!(me.status, StatusCode::SEE_OTHER);
    assert_eq!(me.location.as_deref(), Some("/agents/a3"));
    let page = app
        .page("GET", "/agents/a3", &[], &[("cookie", own.as_str())])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let api = app
        .post(
            "/api/v1/query",
            &json!({"measures": ["n", "nps"], "filters": {"agent": "a3"}}),
        )
        .await;
    let row = &api.body["rows"][0];
    assert_eq!(row["n"], 30);
    let nps = format!("{:.0}", row["nps"]["value"].as_f64().unwrap());
    let scores = page.html.split("id=\"agent-scores\"").nth(1).unwrap();
    assert!(
        scores.contains(&format!("<td class=\"num\">30</td><td class=\"num\">{nps}")),
        "{scores:.1500}"
    );
    assert!(scores.contains("<strong>нижче за середнього</strong>"));
    assert!(page.html.contains("Оператор не вислухав"));
    assert!(page.html.contains("aria-current=\"page\">Мої відгуки"));
    // Someone not linked to an agent is told how to be.
    let analyst = sign_in(&app, &agent(&app, Role::Analyst).await).await;
    let unlinked = app
        .page("GET", "/me", &[], &[("cookie", analyst.as_str())])
        .await;
    assert_eq!(unlinked.status, StatusCode::OK);
    assert!(
        unlinked
            .html
            .contains("не пов’язано з ідентифікатором оператора")
    );
    assert!(!unlinked.html.contains("href=\"/me\""));
}
