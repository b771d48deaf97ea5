//! The demo company as a Ukrainian-speaking CX manager meets it: no raw key and no English name
//! of the company's things on the pages they open every morning.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{Server, api_key, dosvid};

const PASSWORD: &str = "читач-демо-2026";

/// The pages checked, after the touchpoint and customer pages found on the way.
const PAGES: [&str; 17] = [
    "/",
    "/journey",
    "/feedback",
    "/cases",
    "/cases/metrics",
    "/insights",
    "/insights/retention",
    "/insights/compare",
    "/insights/compare?by=stage",
    "/customers/1",
    "/settings/rules",
    "/surveys/1",
    "/strategy",
    "/strategy/cycles/1",
    "/diagnosis",
    "/diagnosis/studies",
    "/diagnosis/templates",
];

struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Client {
    fn api(&self, path: &str) -> Value {
        self.agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.key))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }

    /// Signs in through the form, as a browser does; returns the session's cookie.
    fn sign_in(&self, email: &str) -> String {
        let mut form = self
            .agent
            .get(&format!("{}/login", self.base))
            .call()
            .unwrap();
        let cookie = first_cookie(form.headers());
        let html = form.body_mut().read_to_string().unwrap();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let signed = self
            .agent
            .post(&format!("{}/login", self.base))
            .header("Cookie", &cookie)
            .header("Origin", &self.base)
            .send_form([
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", PASSWORD),
            ])
            .unwrap();
        assert_eq!(signed.status(), 303, "signed in");
        first_cookie(signed.headers())
    }

    fn page(&self, path: &str, cookie: &str) -> String {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Cookie", cookie)
            .call()
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.body_mut().read_to_string().unwrap()
    }
}

fn first_cookie(headers: &ureq::http::HeaderMap) -> String {
    headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// What a reader reads: the page without scripts, styles, code (the API requests shown), JSON
/// editors, the language picker, folded expert views, and text marked as written in another
/// language (a customer's own words).
fn readable(html: &str) -> String {
    let mut text = html.to_owned();
    for tag in [
        "script", "style", "code", "pre", "select", "details", "textarea",
    ] {
        while let Some(start) = text.find(&format!("<{tag}")) {
            let close = format!("</{tag}>");
            let end = text[start..]
                .find(&close)
                .map_or(text.len(), |e| start + e + close.len());
            text.replace_range(start..end, " ");
        }
    }
    for language in ["en", "ru", "und"] {
        let marker = format!(" lang=\"{language}\"");
        while let Some(at) = text.find(&marker) {
            let open = text[..at].rfind('<').unwrap();
            let name: String = text[open + 1..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            let close = format!("</{name}>");
            let end = text[at..]
                .find(&close)
                .map_or(text.len(), |e| at + e + close.len());
            text.replace_range(open..end, " ");
        }
    }
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                plain.push(' ');
            }
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain.replace("&amp;", "&")
}

/// Whether `needle` stands in `text` as a whole (not inside a longer word or key).
fn stands(text: &str, needle: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || "-_.".contains(c);
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back().is_none_or(|c| !part(c));
        let after = text[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !part(c));
        before && after
    })
}

#[test]
fn the_demo_pages_in_ukrainian_show_no_raw_key_and_no_english_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let built = dosvid()
        .args(["demo", "--no-serve", "--db", &db])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let created = dosvid()
        .args([
            "users",
            "create",
            "--db",
            &db,
            "--email",
            "reader@kvant.example",
        ])
        .args(["--name", "Ірина"])
        .args(["--role", "cx_manager", "--language", "uk"])
        .env("DOSVID_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let key = api_key(&db);
    let server = Server::start(&dir.path().join("demo.db"));
    let client = Client {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into(),
        base: server.base.clone(),
        key,
    };

    // What must not show: the English name of every named thing whose Ukrainian name differs,
    // and every key that is not a word of its own.
    let mut english = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut named = |item: &Value, key: &str| {
        let names = &item["names"];
        if let (Some(en), Some(uk)) = (names["en"].as_str(), names["uk"].as_str())
            && en != uk
        {
            english.insert(en.to_owned());
        }
        if key.contains(['.', '_']) || key.contains('-') {
            keys.insert(key.to_owned());
        }
    };
    let touchpoints = client.api("/api/v1/touchpoints?limit=1000");
    for t in touchpoints["items"].as_array().unwrap() {
        named(t, t["key"].as_str().unwrap());
    }
    for c in client.api("/api/v1/channels")["items"].as_array().unwrap() {
        named(c, c["key"].as_str().unwrap());
    }
    for j in client.api("/api/v1/journeys")["items"].as_array().unwrap() {
        for s in j["stages"].as_array().unwrap() {
            named(s, "");
        }
    }
    for t in client.api("/api/v1/themes")["themes"].as_array().unwrap() {
        named(t, t["key"].as_str().unwrap());
    }
    for term in client.api("/api/v1/vocabulary").as_array().unwrap() {
        named(term, term["key"].as_str().unwrap());
    }
    assert!(
        english.len() > 50 && keys.len() > 20,
        "{english:?} {keys:?}"
    );

    let cookie = client.sign_in("reader@kvant.example");
    let journey = client.page("/journey", &cookie);
    let touchpoint = journey
        .split("href=\"/touchpoints/")
        .nth(1)
        .and_then(|rest| rest.split(['"', '?']).next())
        .expect("the journey map links its touchpoints");
    let mut found = vec![format!("/touchpoints/{touchpoint}")];
    // The case the planted app release's alert opened: its page reads the alert in words.
    let alerts = client.api("/api/v1/alerts");
    found.extend(
        alerts["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["case_id"].as_i64())
            .map(|case| format!("/cases/{case}")),
    );
    assert!(found.len() > 1, "the demo's alert opened a case: {alerts}");
    let mut failures = Vec::new();
    for path in PAGES
        .iter()
        .copied()
        .chain(found.iter().map(String::as_str))
    {
        let text = readable(&client.page(path, &cookie));
        for name in english.iter().filter(|n| stands(&text, n)) {
            failures.push(format!("{path}: English name {name:?}"));
        }
        for key in keys.iter().filter(|k| stands(&text, k)) {
            failures.push(format!("{path}: raw key {key:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
