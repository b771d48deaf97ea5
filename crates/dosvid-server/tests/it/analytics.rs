//! The analytics index against the plain SQL computation on the store, for random records and
//! random questions, on SQLite and PostgreSQL; and the query API as a client uses it.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use dosvid_analytics::{Named, OneOrMany, QueryRequest};
use dosvid_domain::customer::NewCustomerInput;
use dosvid_domain::{FeedbackInput, InteractionInput, OrganisationPatch, SignalInput};
use dosvid_server::analytics::Analytics;
use dosvid_store::sql::{Backend, Value};
use dosvid_store::{SqlStore, Store};
use serde_json::json;

use crate::api_test;
use crate::helpers::TestApp;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const SEGMENTS: [&str; 3] = ["mass", "premium", "business"];
const TOUCHPOINTS: [&str; 5] = [
    "contact-centre",
    "contact-centre.queue",
    "contact-centre.agent",
    "mobile-app.login",
    "store.consultant",
];
const CHANNELS: [&str; 4] = ["phone", "app", "store", "chat"];
const SOURCES: [&str; 3] = ["survey", "review", "complaint"];

fn ingest_random(store: &dyn Store, rng: &mut Rng, from: usize, n: usize) -> Vec<i64> {
    let org = store.default_org().unwrap();
    let now = Utc::now();
    let records = (from..from + n)
        .map(|i| {
            let pick = |rng: &mut Rng, options: &[&str]| {
                options[rng.below(options.len() as u64) as usize].to_owned()
            };
            let nps = (rng.below(5) > 0).then(|| rng.below(11) as i64);
            let csat = (rng.below(2) > 0).then(|| 1 + rng.below(5) as i64);
            let ces = (rng.below(3) > 0).then(|| 1 + rng.below(7) as i64);
            let comment = match rng.below(4) {
                0 => Some(
                    [
                        "Довго чекав на лінії, жах",
                        "Дякую, все чудово",
                        "Оператор отвечал вежливо",
                    ][rng.below(3) as usize],
                ),
                1 => Some("ok"),
                // A record needs a score or a comment.
                _ if nps.or(csat).or(ces).is_none() => Some("?"),
                _ => None,
            };
            let input = FeedbackInput {
                external_id: Some(format!("f{i}")),
                customer_external_id: (rng.below(10) > 0).then(|| format!("c{}", rng.below(40))),
                touchpoint: (rng.below(8) > 0).then(|| pick(rng, &TOUCHPOINTS)),
                channel: (rng.below(8) > 0).then(|| pick(rng, &CHANNELS)),
                source: dosvid_domain::FeedbackSource::parse(&pick(rng, &SOURCES)),
                occurred_at: Some(
                    Utc.timestamp_opt(1_735_689_600 + rng.below(200 * 86_400) as i64, 0)
                        .unwrap()
                        .to_rfc3339(),
                ),
                nps,
                csat,
                ces,
                comment: comment.map(String::from),
                ..Default::default()
            };
            input.validate(now, dosvid_text::Themes::default_themes())
        })
        .collect();
    let report = store
        .ingest(org, &dosvid_store::Signals::Feedback(records), None, now)
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    report.ids.into_iter().flatten().collect()
}

fn interact_random(store: &dyn Store, rng: &mut Rng, from: usize, n: usize) -> Vec<i64> {
    let org = store.default_org().unwrap();
    let now = Utc::now();
    let records = (from..from + n)
        .map(|i| {
            InteractionInput {
                external_id: Some(format!("i{i}")),
                customer_external_id: (rng.below(10) > 0).then(|| format!("c{}", rng.below(40))),
                touchpoint: (rng.below(6) > 0)
                    .then(|| TOUCHPOINTS[rng.below(TOUCHPOINTS.len() as u64) as usize].into()),
                channel: Some(CHANNELS[rng.below(CHANNELS.len() as u64) as usize].into()),
                kind: Some("call".into()),
                occurred_at: Some(
                    Utc.timestamp_opt(1_735_689_600 + rng.below(200 * 86_400) as i64, 0)
                        .unwrap()
                        .to_rfc3339(),
                ),
                ..Default::default()
            }
            .validate(now, dosvid_text::Themes::default_themes())
        })
        .collect();
    let report = store
        .ingest(
            org,
            &dosvid_store::Signals::Interactions(records),
            None,
            now,
        )
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    report.ids.into_iter().flatten().collect()
}

/// Interactions by `group`: (count, distinct customers), by plain SQL.
fn sql_interactions<B: Backend>(
    store: &SqlStore<B>,
    group: &str,
) -> BTreeMap<Option<String>, (i64, i64)> {
    let month = if store.backend_name() == "postgres" {
        "to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    } else {
        "strftime('%Y-%m', i.occurred_at / 1000000, 'unixepoch')"
    };
    let group_sql = match group {
        "touchpoint" => "t.key",
        "channel" => "ch.key",
        "segment" => "c.segment",
        _ => month,
    };
    let sql = format!(
        "SELECT {group_sql}, count(*), count(DISTINCT i.customer_id) FROM interactions i \
         LEFT JOIN customers c ON c.id = i.customer_id LEFT JOIN touchpoints t ON t.id = i.touchpoint_id \
         LEFT JOIN channels ch ON ch.id = i.channel_id WHERE i.org_id = $1 GROUP BY 1"
    );
    store
        .query_sql(&sql, &[store.default_org().unwrap().into()])
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.opt_text(0).unwrap(),
                (r.int(1).unwrap(), r.int(2).unwrap()),
            )
        })
        .collect()
}

/// Per group: n, NPS answers, promoters, detractors, CSAT answers and sum, CES answers and
/// sum, distinct customers — by plain SQL.
type Sums = [i64; 9];

fn sql_answer<B: Backend>(
    store: &SqlStore<B>,
    group: Option<&str>,
    request: &QueryRequest,
) -> BTreeMap<Option<String>, Sums> {
    let postgres = store.backend_name() == "postgres";
    let group_sql = match group {
        None => "NULL".to_owned(),
        Some("touchpoint") => "t.key".into(),
        Some("channel") => "ch.key".into(),
        Some("source") => "f.source".into(),
        Some("segment") => "c.segment".into(),
        Some("sentiment") => {
            "CASE WHEN f.sentiment >= 0.05 THEN 'positive' WHEN f.sentiment <= -0.05 \
                              THEN 'negative' WHEN f.sentiment IS NOT NULL THEN 'neutral' END"
                .into()
        }
        Some("month") if postgres => "to_char(f.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')".into(),
        Some("month") => "strftime('%Y-%m', f.occurred_at / 1000000, 'unixepoch')".into(),
        Some(other) => panic!("{other}"),
    };
    let mut params: Vec<Value> = vec![store.default_org().unwrap().into()];
    let mut param = |v: Value| {
        params.push(v);
        format!("${}", params.len())
    };
    let mut conditions = vec!["f.org_id = $1".to_owned()];
    let f = &request.filters;
    let time = |raw: &str| Value::Time(chrono::DateTime::parse_from_rfc3339(raw).unwrap().into());
    if let Some(from) = &f.from {
        conditions.push(format!("f.occurred_at >= {}", param(time(from))));
    }
    if let Some(to) = &f.to {
        conditions.push(format!("f.occurred_at < {}", param(time(to))));
    }
    if let OneOrMany::One(Named::Key(key)) = &f.touchpoint {
        conditions.push(format!(
            "f.touchpoint_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM touchpoints WHERE key = {} \
             UNION ALL SELECT tp.id FROM touchpoints tp JOIN sub ON tp.parent_id = sub.id) SELECT id FROM sub)",
            param(key.as_str().into())
        ));
    }
    if let OneOrMany::One(Named::Key(key)) = &f.channel {
        conditions.push(format!("ch.key = {}", param(key.as_str().into())));
    }
    if let OneOrMany::One(source) = &f.source {
        conditions.push(format!("f.source = {}", param(source.as_str().into())));
    }
    if let Some(has) = f.has_comment {
        let test = "(f.comment IS NOT NULL AND f.comment <> '')";
        conditions.push(if has {
            test.to_owned()
        } else {
            format!("NOT {test}")
        });
    }
    if let Some(OneOrMany::One(segment)) = f.customer.get("segment") {
        conditions.push(format!("c.segment = {}", param(segment.as_str().into())));
    }
    let sql = format!(
        "SELECT {group_sql}, count(*), count(f.nps), \
         sum(CASE WHEN f.nps >= 9 THEN 1 ELSE 0 END), sum(CASE WHEN f.nps <= 6 THEN 1 ELSE 0 END), \
         count(f.csat), sum(f.csat), count(f.ces), sum(f.ces), count(DISTINCT f.customer_id) \
         FROM feedback f LEFT JOIN customers c ON c.id = f.customer_id \
         LEFT JOIN touchpoints t ON t.id = f.touchpoint_id LEFT JOIN channels ch ON ch.id = f.channel_id \
         WHERE {} GROUP BY 1",
        conditions.join(" AND ")
    );
    store
        .query_sql(&sql, &params)
        .unwrap()
        .iter()
        .map(|r| {
            let mut sums = [0; 9];
            for (i, s) in sums.iter_mut().enumerate() {
                *s = r.opt_int(i + 1).unwrap().unwrap_or(0);
            }
            (r.opt_text(0).unwrap(), sums)
        })
        .collect()
}

fn random_request(rng: &mut Rng) -> (Option<&'static str>, QueryRequest) {
    let groups = [
        None,
        Some("touchpoint"),
        Some("channel"),
        Some("source"),
        Some("segment"),
        Some("month"),
        Some("sentiment"),
    ];
    let group = groups[rng.below(groups.len() as u64) as usize];
    let mut request: QueryRequest = serde_json::from_value(json!({
        "measures": ["n", "nps", "csat", "ces", "reach"],
        "group_by": group.into_iter().collect::<Vec<_>>(),
    }))
    .unwrap();
    let f = &mut request.filters;
    if rng.below(3) == 0 {
        let start = 1_735_689_600 + rng.below(150) as i64 * 86_400;
        let end = start + (1 + rng.below(60) as i64) * 86_400;
        f.from = Some(Utc.timestamp_opt(start, 0).unwrap().to_rfc3339());
        f.to = Some(Utc.timestamp_opt(end, 0).unwrap().to_rfc3339());
    }
    if rng.below(4) == 0 {
        f.touchpoint = OneOrMany::One(Named::Key(TOUCHPOINTS[rng.below(2) as usize].into()));
    }
    if rng.below(4) == 0 {
        f.channel = OneOrMany::One(Named::Key(CHANNELS[rng.below(4) as usize].into()));
    }
    if rng.below(5) == 0 {
        f.source = OneOrMany::One(dosvid_domain::FeedbackSource::Complaint);
    }
    if rng.below(5) == 0 {
        f.has_comment = Some(rng.below(2) == 0);
    }
    if rng.below(4) == 0 {
        f.customer.insert(
            "segment".into(),
            OneOrMany::One(SEGMENTS[rng.below(3) as usize].into()),
        );
    }
    (group, request)
}

fn index_matches_sql<B: Backend>(store: SqlStore<B>) {
    let org = store.default_org().unwrap();
    store
        .update_organisation(
            org,
            OrganisationPatch {
                time_zone: Some("UTC".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let now = Utc::now();
    let customers = (0..40)
        .map(|i| {
            NewCustomerInput {
                external_id: Some(format!("c{i}")),
                segment: Some(SEGMENTS[i % 3].into()),
                ..Default::default()
            }
            .validate()
        })
        .collect();
    store
        .ingest(org, &dosvid_store::Signals::Customers(customers), None, now)
        .unwrap();
    let mut rng = Rng(20251123);
    ingest_random(&store, &mut rng, 0, 1500);
    interact_random(&store, &mut rng, 0, 600);
    // Built from the store, then kept current by writes, as the server does.
    let analytics = Analytics::default();
    analytics.load(&store, org).unwrap();
    let ids = ingest_random(&store, &mut rng, 1500, 700);
    analytics.feedback_written(&store, org, &ids);
    let ids = interact_random(&store, &mut rng, 600, 300);
    analytics.interactions_written(&store, org, &ids);
    let index = analytics.index(&store, org).unwrap();
    let index = index.read().unwrap();
    assert_eq!(index.len(), 2200);

    for group in ["touchpoint", "channel", "segment", "month"] {
        let request: QueryRequest = serde_json::from_value(json!({
            "records": "interactions", "measures": ["n", "reach"], "group_by": [group]
        }))
        .unwrap();
        let want = sql_interactions(&store, group);
        let got = index.query(&request).unwrap();
        assert_eq!(got.rows.len(), want.len(), "interactions by {group}");
        for row in &got.rows {
            let (n, reach) = want[&row.group[group]];
            assert_eq!(
                (row.n as i64, row.reach.unwrap() as i64),
                (n, reach),
                "{group}: {row:?}"
            );
        }
    }

    for round in 0..60 {
        let (group, request) = random_request(&mut rng);
        let want = sql_answer(&store, group, &request);
        let got = index.query(&request).unwrap();
        assert_eq!(got.rows.len(), want.len(), "round {round}: {request:?}");
        for row in &got.rows {
            let key = group.and_then(|g| row.group[g].clone());
            let s = want[&key];
            let context = format!("round {round}, {group:?} = {key:?}: {request:?}");
            assert_eq!(row.n as i64, s[0], "{context}");
            assert_eq!(row.reach, Some(s[8] as u64), "{context}");
            let nps = row.nps.as_ref().unwrap().current;
            assert_eq!(nps.n as i64, s[1], "{context}");
            if s[1] > 0 {
                let want = 100.0 * (s[2] - s[3]) as f64 / s[1] as f64;
                assert!((nps.value.unwrap() - want).abs() < 1e-9, "{context}");
            }
            for (metric, (count, sum)) in [(&row.csat, (s[4], s[5])), (&row.ces, (s[6], s[7]))] {
                let m = metric.as_ref().unwrap().current;
                assert_eq!(m.n as i64, count, "{context}");
                if count > 0 {
                    assert!(
                        (m.value.unwrap() - sum as f64 / count as f64).abs() < 1e-9,
                        "{context}"
                    );
                }
            }
        }
    }
}

#[test]
fn index_matches_sql_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    index_matches_sql(dosvid_store_sqlite::open(dir.path().join("a.db"), Utc::now()).unwrap());
}

#[test]
fn index_matches_sql_on_postgres() {
    let Some(db) = dosvid_store_postgres::TestDatabase::create("index_matches_sql") else {
        return;
    };
    index_matches_sql(dosvid_store_postgres::open(&db.url, Utc::now()).unwrap());
}

api_test!(the_query_api_answers_from_what_was_just_written, query_api);
async fn query_api(app: TestApp) {
    let t = "2025-06-10T09:00:00Z";
    let record = |i: usize, nps: u64, channel: &str| {
        json!({"external_id": format!("r{i}"), "customer_external_id": format!("C{}", i % 7),
               "touchpoint": "contact-centre.queue", "channel": channel, "nps": nps, "occurred_at": t})
    };
    // 20 promoters, 10 passives, 10 detractors by phone; 5 by chat.
    let mut records: Vec<_> = (0..40)
        .map(|i| record(i, [10, 10, 8, 3][i % 4], "phone"))
        .collect();
    records.extend((40..45).map(|i| record(i, 9, "chat")));
    let stored = app
        .post("/api/v1/feedback:batch", &json!({"records": records}))
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);

    let ask = |body: serde_json::Value| {
        let app = app.clone();
        async move { app.post("/api/v1/query", &body).await }
    };
    let question = json!({"measures": ["n", "nps", "reach"], "group_by": ["channel"],
                          "filters": {"touchpoint": "contact-centre"}});
    let answer = ask(question.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let phone = &answer.body["rows"][1];
    assert_eq!(phone["group"]["channel"], "phone");
    assert_eq!(
        (phone["n"].as_u64(), phone["reach"].as_u64()),
        (Some(40), Some(7))
    );
    assert_eq!(phone["nps"]["value"].as_f64(), Some(25.0));
    assert_eq!(phone["nps"]["low_sample"], false);
    // Five answers: the API says there are too few rather than giving a bare number.
    let chat = &answer.body["rows"][0];
    assert_eq!(
        (
            chat["nps"]["n"].as_u64(),
            chat["nps"]["low_sample"].as_bool()
        ),
        (Some(5), Some(true))
    );

    // A write is in the next answer.
    let more = app
        .post(
            "/api/v1/feedback:batch",
            &json!({"records": [record(45, 0, "phone")]}),
        )
        .await;
    assert_eq!(more.status, StatusCode::OK);
    let answer = ask(question.clone()).await;
    let phone = &answer.body["rows"][1];
    assert_eq!(phone["n"].as_u64(), Some(41));
    assert_eq!(phone["nps"]["value"].as_f64(), Some(100.0 * 9.0 / 41.0));
    // A record sent again is a duplicate and counts once.
    app.post(
        "/api/v1/feedback:batch",
        &json!({"records": [record(45, 0, "phone")]}),
    )
    .await;
    assert_eq!(ask(question).await.body["rows"][1]["n"].as_u64(), Some(41));

    // Customer attributes slice, and follow changes to the customer.
    let customers = app.all("/api/v1/customers").await;
    let c0 = customers.iter().find(|c| c["external_id"] == "C0").unwrap();
    let patched = app
        .patch(
            &format!("/api/v1/customers/{}", c0["id"]),
            &json!({"segment": "premium"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let premium =
        ask(json!({"measures": ["n"], "filters": {"customer": {"segment": "premium"}}})).await;
    assert_eq!(
        premium.body["rows"][0]["n"].as_u64(),
        Some(7),
        "{}",
        premium.body
    );

    // A new touchpoint is known to the next question.
    let tp = app
        .post(
            "/api/v1/touchpoints",
            &json!({"stage_id": 1, "key": "pop-up-store", "name": "Pop-up store"}),
        )
        .await;
    assert_eq!(tp.status, StatusCode::CREATED, "{}", tp.body);
    let answer = ask(json!({"filters": {"touchpoint": "pop-up-store"}})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["rows"].as_array().map(Vec::len), Some(0));

    // The convenience questions agree with the query.
    let overview = app
        .get("/api/v1/overview?from=2025-06-01&to=2025-07-01&channel=phone")
        .await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let row = &overview.body["rows"][0];
    assert_eq!(
        (row["n"].as_u64(), row["previous_n"].as_u64()),
        (Some(41), Some(0))
    );
    assert_eq!(row["nps"]["value"].as_f64(), Some(100.0 * 9.0 / 41.0));
    assert_eq!(
        overview.body["compared_to"]["from"],
        "2025-05-01T00:00:00+03:00"
    );
    let trend = app.get("/api/v1/trend?measures=nps,csat&bucket=week").await;
    assert_eq!(trend.status, StatusCode::OK, "{}", trend.body);
    assert_eq!(trend.body["rows"][0]["group"]["time"], "2025-06-09");
    assert_eq!(trend.body["rows"][0]["n"].as_u64(), Some(46));
    let map = app.get("/api/v1/journey-map?channel=phone").await;
    assert_eq!(map.status, StatusCode::OK, "{}", map.body);
    let stages = map.body["stages"].as_array().unwrap();
    let touchpoints: Vec<&serde_json::Value> = stages
        .iter()
        .flat_map(|s| s["touchpoints"].as_array().unwrap())
        .collect();
    let by_key =
        |key: &str| touchpoints.iter().find(|t| t["key"] == key).unwrap()["measures"].clone();
    // The parent counts what its parts hold.
    assert_eq!(by_key("contact-centre")["n"].as_u64(), Some(41));
    assert_eq!(
        by_key("contact-centre.queue")["nps"]["value"].as_f64(),
        Some(100.0 * 9.0 / 41.0)
    );
    let bad = app.get("/api/v1/trend?measures=joy").await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "measures")
    );

    // Bad questions name the field.
    for (body, field) in [
        (json!({"group_by": ["colour"]}), "group_by[0]"),
        (
            json!({"filters": {"channel": "pigeon"}}),
            "filters.channel[0]",
        ),
        (json!({"measures": ["happiness"]}), "measures[0]"),
        (json!({"filters": {"from": "soon"}}), "filters.from"),
        (
            json!({"records": "interactions", "measures": ["n", "nps"]}),
            "measures[1]",
        ),
        (
            json!({"records": "interactions", "group_by": ["source"]}),
            "group_by[0]",
        ),
    ] {
        let answer = ask(body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert_eq!(answer.error_field(), field, "{}", answer.body);
    }
}

api_test!(
    retention_follows_the_transactions_just_written,
    retention_api
);
async fn retention_api(app: TestApp) {
    let charge = |i: usize, customer: &str, month: u32, amount: i64| {
        json!({"external_id": format!("t{i}"), "customer_external_id": customer,
               "occurred_at": format!("2025-{month:02}-05T10:00:00Z"), "amount_minor": amount,
               "currency": "UAH", "kind": "recurring"})
    };
    let records = vec![
        charge(1, "A", 1, 10_000),
        charge(2, "B", 1, 20_000),
        charge(3, "A", 2, 12_000),
    ];
    let stored = app
        .post("/api/v1/transactions:batch", &json!({"records": records}))
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);
    let answer = app
        .post("/api/v1/retention", &json!({"period": "month"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let feb = &answer.body["rows"][1];
    assert_eq!(feb["period"], "2025-02");
    // B left (churned 200.00), A grew by 20.00: NRR (300 + 20 − 200) / 300.
    assert_eq!(
        (
            feb["customers_start"].as_u64(),
            feb["customers_end"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(feb["crr"].as_f64(), Some(50.0));
    assert_eq!(
        (feb["churned"].as_i64(), feb["expansion"].as_i64()),
        (Some(20_000), Some(2_000))
    );
    assert_eq!(feb["nrr"].as_f64(), Some(100.0 * 12_000.0 / 30_000.0));
    let bad = app.post("/api/v1/retention", &json!({"margin": 2})).await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "margin")
    );
    // The page shows the API's figures, in the reader's language.
    let email = crate::helpers::agent(&app, dosvid_domain::user::Role::Analyst).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let page = app
        .page(
            "GET",
            "/insights/retention?period=month",
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    for shown in [
        "Утримання і цінність клієнтів",
        "data-period=\"2025-02\" data-crr=\"50\"",
        "40.0%",
        "Чисте утримання доходу (NRR)",
    ] {
        assert!(page.html.contains(shown), "{shown}: {}", page.html);
    }
}

api_test!(
    segments_side_by_side_show_the_query_apis_figures,
    compare_page
);
async fn compare_page(app: TestApp) {
    for (id, segment) in [("c1", "premium"), ("c2", "premium"), ("c3", "mass")] {
        let created = app
            .post(
                "/api/v1/customers",
                &json!({"external_id": id, "segment": segment}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    }
    let records: Vec<serde_json::Value> = [("c1", 10), ("c2", 3), ("c3", 9), ("c3", 8)]
        .iter()
        .enumerate()
        .map(|(i, (who, nps))| {
            json!({"customer_external_id": who, "nps": nps,
                   "occurred_at": format!("2026-05-0{}T10:00:00Z", i + 1)})
        })
        .collect();
    let stored = app
        .post("/api/v1/feedback:batch", &json!({ "records": records }))
        .await;
    assert_eq!(stored.body["created"], 4, "{}", stored.body);
    let named = app
        .put(
            "/api/v1/vocabulary",
            &json!({"kind": "segment", "key": "premium", "names": {"uk": "Преміум"}}),
        )
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.body);
    let api = app
        .post(
            "/api/v1/query",
            &json!({"measures": ["n", "nps"], "group_by": ["segment"], "min_sample": 1}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let email = crate::helpers::agent(&app, dosvid_domain::user::Role::Analyst).await;
    let cookie = crate::helpers::sign_in(&app, &email).await;
    let page = app
        .page(
            "GET",
            "/insights/compare?by=segment",
            &[],
            &[("cookie", cookie.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    // Premium: one promoter, one detractor → NPS 0; mass: two promoters → 100 — whatever the
    // sample, the figures are the API's.
    for row in api.body["rows"].as_array().unwrap() {
        let value = row["nps"]["value"].as_f64().unwrap();
        assert!(
            page.html.contains(&format!("data-value=\"{value}\"")),
            "{value}: {}",
            page.html
        );
    }
    for shown in ["Порівняння груп", "Преміум", "mass"] {
        assert!(page.html.contains(shown), "{shown}: {}", page.html);
    }
}
