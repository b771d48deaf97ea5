//! Row-level access (SPEC §3.10): with units and a person and key in each, no endpoint or page
//! returns a record outside the unit, and every analytics answer equals the administrator's
//! answer to the same question with the unit's rule added.

use axum::http::StatusCode;
use dosvid_domain::user::{NewUser, Role};
use dosvid_store::Scope;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::{PASSWORD, TestApp};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        // SplitMix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
const SEGMENTS: [&str; 2] = ["mass", "premium"];
const CHANNELS: [&str; 3] = ["phone", "app", "email"];
const SOURCES: [&str; 3] = ["survey", "review", "complaint"];

/// 120 customers in four regions; 1,500 feedback records over the default journey's
/// touchpoints, with comments naming the customer's region; interactions and a case for some.
async fn company(app: &TestApp) -> Vec<String> {
    let mut rng = Rng(19);
    for i in 0..120 {
        let customer = json!({"external_id": format!("c{i}"), "region": REGIONS[i % 4],
                              "segment": SEGMENTS[(i / 4) % 2], "name": format!("Клієнт {i}")});
        let created = app.post("/api/v1/customers", &customer).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let touchpoints: Vec<String> = app
        .all("/api/v1/touchpoints")
        .await
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_owned())
        .collect();
    let mut records = Vec::new();
    for i in 0..1_500usize {
        let customer = rng.below(120);
        let region = REGIONS[customer % 4];
        let mut record = json!({"external_id": format!("f{i}"), "customer_external_id": format!("c{customer}"),
            "touchpoint": rng.pick(&touchpoints), "channel": rng.pick(&CHANNELS), "source": rng.pick(&SOURCES),
            "nps": rng.below(11), "occurred_at": format!("2026-{:02}-{:02}T10:00:00Z", 1 + rng.below(6), 1 + rng.below(27))});
        if rng.below(3) == 0 {
            record["csat"] = json!(1 + rng.below(5));
        }
        if rng.below(4) == 0 {
            record["comment"] = json!(format!("Відгук {i} із регіону {region}: чекав довго"));
        }
        records.push(record);
    }
    for chunk in records.chunks(1_000) {
        let loaded = app
            .post("/api/v1/feedback:batch", &json!({ "records": chunk }))
            .await;
        assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    }
    let interactions: Vec<Value> = (0..200)
        .map(|i| {
            json!({"external_id": format!("i{i}"), "customer_external_id": format!("c{}", i % 120),
                   "touchpoint": touchpoints[i % touchpoints.len()], "channel": "phone", "kind": "call",
                   "occurred_at": "2026-03-03T09:00:00Z"})
        })
        .collect();
    let loaded = app
        .post(
            "/api/v1/interactions:batch",
            &json!({ "records": interactions }),
        )
        .await;
    assert_eq!(loaded.body["rejected"], json!([]), "{}", loaded.body);
    touchpoints
}

/// The id of the customer with this external id.
async fn customer_id(app: &TestApp, external: &str) -> i64 {
    let customers = app.all("/api/v1/customers").await;
    customers
        .iter()
        .find(|c| c["external_id"] == external)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// A unit through the API, a key in it (every scope) and an analyst in it; the key.
async fn unit(app: &TestApp, body: &Value, email: &str) -> (i64, String) {
    let created = app.post("/api/v1/units", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let unit = created.body["id"].as_i64().unwrap();
    let store = app.store.clone();
    let email = email.to_owned();
    let key = tokio::task::spawn_blocking(move || {
        let org = store.default_org().unwrap();
        let now = chrono::Utc::now();
        let user = NewUser {
            email,
            name: "Оксана".into(),
            role: Role::Analyst,
            language: "uk".into(),
            agent: None,
            unit_id: Some(unit),
        };
        store.create_user(org, user, PASSWORD, now).unwrap();
        let (_, secret) = store
            .create_scoped_api_key(org, "unit", &Scope::ALL, None, Some(unit), now)
            .unwrap();
        secret.expose().to_owned()
    })
    .await
    .unwrap();
    (unit, key)
}

async fn as_key(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let response = app.send(method, path, Some(key), &[], body).await;
    (response.status, response.body)
}

/// A random question of `/query` whose filters use none of `avoid`'s fields.
fn question(rng: &mut Rng, touchpoints: &[String], avoid: &[&str]) -> Value {
    let measures = ["n", "nps", "csat", "reach", "sentiment"];
    let mut chosen: Vec<&str> = (0..1 + rng.below(3))
        .map(|_| *rng.pick(&measures))
        .collect();
    chosen.dedup();
    let dimensions = [
        "touchpoint",
        "stage",
        "channel",
        "month",
        "source",
        "segment",
        "region",
    ];
    let group_by: Vec<&str> = (0..rng.below(3)).map(|_| *rng.pick(&dimensions)).collect();
    let mut group_by: Vec<&str> = group_by.into_iter().fold(Vec::new(), |mut v, d| {
        if !v.contains(&d) {
            v.push(d);
        }
        v
    });
    group_by.retain(|d| *d != "region" || !avoid.contains(&"customer"));
    let mut filters = serde_json::Map::new();
    if rng.below(2) == 0 && !avoid.contains(&"channel") {
        filters.insert("channel".into(), json!(rng.pick(&CHANNELS)));
    }
    if rng.below(3) == 0 {
        filters.insert("source".into(), json!(rng.pick(&SOURCES)));
    }
    if rng.below(3) == 0 && !avoid.contains(&"touchpoint") {
        filters.insert("touchpoint".into(), json!(rng.pick(touchpoints)));
    }
    if rng.below(3) == 0 && !avoid.contains(&"customer") {
        filters.insert("customer".into(), json!({"segment": rng.pick(&SEGMENTS)}));
    }
    if rng.below(3) == 0 {
        filters.insert("from".into(), json!("2026-03-01"));
    }
    json!({"measures": chosen, "group_by": group_by, "filters": filters})
}

api_test!(
    a_units_key_gets_the_administrators_answer_with_the_units_rule_added,
    answers
);
async fn answers(app: TestApp) {
    let touchpoints = company(&app).await;
    let (_, west) = unit(
        &app,
        &json!({"name": "Захід", "rules": [{"customer": {"region": "west"}}]}),
        "west@kvant.example",
    )
    .await;
    let (_, centre) = unit(
        &app,
        &json!({"name": "Контакт-центр", "rules": [{"department": "contact-centre"}]}),
        "centre@kvant.example",
    )
    .await;
    let mut rng = Rng(2026);
    let cases: [(&str, &str, Value, &[&str]); 2] = [
        (
            "west",
            &west,
            json!({"customer": {"region": "west"}}),
            &["customer"],
        ),
        (
            "centre",
            &centre,
            json!({"department": "contact-centre"}),
            &["touchpoint"],
        ),
    ];
    for (name, key, rule, avoid) in cases {
        for round in 0..25 {
            let asked = question(&mut rng, &touchpoints, avoid);
            let mut whole = asked.clone();
            for (field, value) in rule.as_object().unwrap() {
                match (field.as_str(), whole["filters"].get_mut("customer")) {
                    ("customer", Some(theirs)) => {
                        theirs
                            .as_object_mut()
                            .unwrap()
                            .extend(value.as_object().unwrap().clone());
                    }
                    _ => {
                        whole["filters"][field] = value.clone();
                    }
                }
            }
            let (status, mine) = as_key(&app, key, "POST", "/api/v1/query", &asked).await;
            assert_eq!(status, StatusCode::OK, "{mine}");
            let all = app.post("/api/v1/query", &whole).await;
            assert_eq!(mine, all.body, "{name}, round {round}: {asked}");
        }
    }
    // The unit's records are a true part: fewer than all, more than none.
    let n = |body: &Value| body["rows"][0]["n"].as_u64().unwrap();
    let everything = n(&app
        .post("/api/v1/query", &json!({"measures": ["n"]}))
        .await
        .body);
    let (_, theirs) = as_key(
        &app,
        &west,
        "POST",
        "/api/v1/query",
        &json!({"measures": ["n"]}),
    )
    .await;
    assert!(n(&theirs) > 0 && n(&theirs) < everything / 2, "{theirs}");

    // The other analytics endpoints answer over the unit's records too.
    let (status, overview) = as_key(&app, &centre, "GET", "/api/v1/overview", &Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let admin = app.get("/api/v1/overview?department=contact-centre").await;
    assert_eq!(overview, admin.body);
    let (_, trend) = as_key(
        &app,
        &west,
        "GET",
        "/api/v1/trend?measures=nps",
        &Value::Null,
    )
    .await;
    assert_eq!(
        trend,
        app.get("/api/v1/trend?measures=nps&region=west").await.body
    );

    // A parent unit sees its own records and those of the units below it.
    let parent = app
        .post(
            "/api/v1/units",
            &json!({"name": "Регіони", "rules": [{"customer": {"region": "north"}}]}),
        )
        .await;
    let child = json!({"name": "Південь", "parent_id": parent.body["id"], "rules": [{"customer": {"region": "south"}}]});
    assert_eq!(
        app.post("/api/v1/units", &child).await.status,
        StatusCode::CREATED
    );
    let parent_key = {
        let store = app.store.clone();
        let unit = parent.body["id"].as_i64();
        tokio::task::spawn_blocking(move || {
            let org = store.default_org().unwrap();
            let (_, secret) = store
                .create_scoped_api_key(
                    org,
                    "regions",
                    &[Scope::Read],
                    None,
                    unit,
                    chrono::Utc::now(),
                )
                .unwrap();
            secret.expose().to_owned()
        })
        .await
        .unwrap()
    };
    let (_, both) = as_key(
        &app,
        &parent_key,
        "POST",
        "/api/v1/query",
        &json!({"measures": ["n"]}),
    )
    .await;
    let region = |r: &str| {
        let app = app.clone();
        let r = r.to_owned();
        async move {
            n(&app
                .post(
                    "/api/v1/query",
                    &json!({"measures": ["n"], "filters": {"customer": {"region": r}}}),
                )
                .await
                .body)
        }
    };
    assert_eq!(n(&both), region("north").await + region("south").await);
}

api_test!(
    no_endpoint_or_page_returns_a_record_outside_the_units_scope,
    records
);
async fn records(app: TestApp) {
    company(&app).await;
    let (_, west) = unit(
        &app,
        &json!({"name": "Захід", "rules": [{"customer": {"region": "west"}}]}),
        "west@kvant.example",
    )
    .await;
    let (west_customer, east_customer) =
        (customer_id(&app, "c3").await, customer_id(&app, "c2").await);
    for (title, customer) in [
        ("Західна справа", west_customer),
        ("Східна справа", east_customer),
    ] {
        let case = app
            .post(
                "/api/v1/cases",
                &json!({"title": title, "customer_id": customer}),
            )
            .await;
        assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    }
    let get = |path: &str| {
        let (app, key, path) = (app.clone(), west.clone(), path.to_owned());
        async move { as_key(&app, &key, "GET", &path, &Value::Null).await }
    };
    let westerners: Vec<i64> = app
        .all("/api/v1/customers")
        .await
        .iter()
        .filter(|c| c["region"] == "west")
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let (_, customers) = get("/api/v1/customers?limit=1000").await;
    let seen: Vec<i64> = customers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, westerners);
    for list in ["/api/v1/feedback", "/api/v1/interactions", "/api/v1/cases"] {
        let (status, page) = get(&format!("{list}?limit=1000")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{list}");
        for item in items {
            let customer = item["customer_id"].as_i64().unwrap();
            assert!(westerners.contains(&customer), "{list}: {item}");
        }
    }
    assert_eq!(
        get(&format!("/api/v1/customers/{east_customer}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("/api/v1/customers/{east_customer}/export"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&format!("/api/v1/customers/{west_customer}")).await.0,
        StatusCode::OK
    );
    let east_case = app
        .all(&format!("/api/v1/cases?customer_id={east_customer}"))
        .await[0]["id"]
        .clone();
    assert_eq!(
        get(&format!("/api/v1/cases/{east_case}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = as_key(
        &app,
        &west,
        "PATCH",
        &format!("/api/v1/cases/{east_case}"),
        &json!({"status": "in_progress"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // What reads the whole organisation's records is refused.
    for path in [
        "/api/v1/alerts",
        "/api/v1/customers/duplicates",
        "/api/v1/audit",
        "/api/v1/units",
        "/api/v1/webhooks",
    ] {
        assert_eq!(get(path).await.0, StatusCode::FORBIDDEN, "{path}");
    }

    // The same through the pages, for the unit's analyst.
    let cookie = crate::helpers::sign_in(&app, "west@kvant.example").await;
    let signed = [("cookie", cookie.as_str())];
    let page = |path: String| {
        let app = app.clone();
        let cookie = cookie.clone();
        async move {
            app.page("GET", &path, &[], &[("cookie", cookie.as_str())])
                .await
        }
    };
    let list = page("/customers".into()).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.html.contains("Клієнт 3") && !list.html.contains("Клієнт 2<"),
        "{}",
        list.html
    );
    assert_eq!(
        page(format!("/customers/{east_customer}")).await.status,
        StatusCode::NOT_FOUND
    );
    let profile = page(format!("/customers/{west_customer}")).await;
    assert_eq!(profile.status, StatusCode::OK);
    let inbox = page("/cases".into()).await;
    assert!(inbox.html.contains("Західна справа") && !inbox.html.contains("Східна справа"));
    assert_eq!(
        page(format!("/cases/{east_case}")).await.status,
        StatusCode::NOT_FOUND
    );
    let explorer = page("/feedback?has_comment=true".into()).await;
    assert_eq!(explorer.status, StatusCode::OK, "{}", explorer.html);
    assert!(
        explorer.html.contains("із регіону west"),
        "{}",
        explorer.html
    );
    for region in ["north", "south", "east"] {
        assert!(
            !explorer.html.contains(&format!("із регіону {region}")),
            "{region}"
        );
    }
    for refused in ["/settings", "/settings/audit", "/customers/duplicates"] {
        let page = app.page("GET", refused, &[], &signed).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{refused}");
    }
}

api_test!(units_are_checked_and_kept_as_a_tree, tree);
async fn tree(app: TestApp) {
    let refused = app
        .post(
            "/api/v1/units",
            &json!({"name": "Захід", "rules": [{"touchpoint": "no-such-touchpoint"}]}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body["error"]["field"]
            .as_str()
            .unwrap()
            .starts_with("rules[0].touchpoint"),
        "{}",
        refused.body
    );
    let period = app
        .post(
            "/api/v1/units",
            &json!({"name": "Захід", "rules": [{"from": "2026-01-01"}]}),
        )
        .await;
    assert_eq!(
        period.body["error"]["field"], "rules[0].from",
        "{}",
        period.body
    );
    let top = app
        .post(
            "/api/v1/units",
            &json!({"name": "Регіони", "rules": [{"customer": {"region": "west"}}]}),
        )
        .await;
    let below = app
        .post(
            "/api/v1/units",
            &json!({"name": "Львів", "parent_id": top.body["id"], "rules": []}),
        )
        .await;
    assert_eq!(below.status, StatusCode::CREATED, "{}", below.body);
    let top_path = format!("/api/v1/units/{}", top.body["id"]);
    let moved = app
        .put(
            &top_path,
            &json!({"name": "Регіони", "parent_id": below.body["id"]}),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::CONFLICT,
        "a unit cannot go under its own: {}",
        moved.body
    );
    assert_eq!(
        app.delete(&top_path).await.status,
        StatusCode::CONFLICT,
        "it has a unit under it"
    );
    let units = app.get("/api/v1/units").await;
    assert_eq!(units.body.as_array().unwrap().len(), 2, "{}", units.body);
}

api_test!(two_step_sign_in_needs_a_fresh_code_once_turned_on, two_step);
async fn two_step(app: TestApp) {
    use dosvid_domain::totp;
    let email = crate::helpers::agent(&app, Role::Admin).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let signed = [("cookie", cookie.as_str())];
    let account = app.page("GET", "/me/account", &[], &signed).await;
    let secret = account.html.split("id=\"totp_secret\">").nth(1).unwrap();
    let secret = secret[..secret.find('<').unwrap()].to_owned();
    let key = totp::decode_secret(&secret).unwrap();
    let csrf = account.hidden("csrf");
    let code_at = |offset: i64| {
        let now = chrono::Utc::now().timestamp() + offset;
        format!(
            "{:06}",
            totp::code(&key, now.div_euclid(totp::STEP_SECONDS))
        )
    };
    let wrong = format!(
        "{:06}",
        (code_at(0).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let form = |code: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("secret", secret.clone()),
            ("code", code.to_owned()),
        ]
    };
    let refused = app
        .page("POST", "/me/two-factor", &pairs(&form(&wrong)), &signed)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let turned_on = app
        .page(
            "POST",
            "/me/two-factor",
            &pairs(&form(&code_at(0))),
            &signed,
        )
        .await;
    assert_eq!(
        turned_on.status,
        StatusCode::SEE_OTHER,
        "{}",
        turned_on.html
    );

    // The password alone no longer opens a session; the password and a code do, once.
    let without = app.login(&email, PASSWORD, None).await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    let code = code_at(0);
    let with = app
        .login_with_code(&email, PASSWORD, Some(&code), None)
        .await;
    assert_eq!(with.status, StatusCode::SEE_OTHER, "{}", with.html);
    let again = app
        .login_with_code(&email, PASSWORD, Some(&code), None)
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "a code is good once"
    );
    let next = app
        .login_with_code(&email, PASSWORD, Some(&code_at(totp::STEP_SECONDS)), None)
        .await;
    assert_eq!(
        next.status,
        StatusCode::SEE_OTHER,
        "the next step's code, for a clock ahead"
    );
    let wrong_password = app
        .login_with_code(&email, "не той пароль", Some(&code_at(0)), None)
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);

    // Turned off with the current password, the password alone opens a session again.
    let csrf = app
        .page("GET", "/me/account", &[], &signed)
        .await
        .hidden("csrf");
    let off = [("csrf", csrf.as_str()), ("off", "1"), ("current", PASSWORD)];
    let turned_off = app.page("POST", "/me/two-factor", &off, &signed).await;
    assert_eq!(
        turned_off.status,
        StatusCode::SEE_OTHER,
        "{}",
        turned_off.html
    );
    assert_eq!(
        app.login(&email, PASSWORD, None).await.status,
        StatusCode::SEE_OTHER
    );
}

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
