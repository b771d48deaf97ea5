//! A survey answered in a real browser: headless Chromium, driven through WebDriver
//! (`chromedriver`), on the server listening on a real port. Installed by `.ci/browser`; the
//! test skips with a notice where Chromium is not installed.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, run};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A WebDriver session; the driver process is killed when it is dropped.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

/// One WebDriver command; a WebDriver error panics with the driver's message.
fn call(method: &str, url: &str, body: Option<Value>) -> Value {
    try_call(method, url, body).unwrap_or_else(|e| panic!("{e}"))
}

fn try_call(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, body) => agent.post(url).send_json(body.unwrap_or(json!({}))),
    };
    let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let ok = response.status().is_success();
    let value = response.body_mut().read_json::<Value>().unwrap()["value"].clone();
    if ok {
        Ok(value)
    } else {
        Err(format!("{method} {url}: {value}"))
    }
}

/// Retries `attempt` until it succeeds: after a click the next page arrives when it arrives.
fn eventually<T>(what: &str, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match attempt() {
            Ok(done) => return done,
            Err(e) if Instant::now() > deadline => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

impl Browser {
    fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=390,844",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}
        }}});
        let session = call("POST", &format!("{base}/session"), Some(capabilities));
        Browser {
            driver,
            session: session["sessionId"].as_str().unwrap().to_owned(),
            base,
            _profile: profile,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn open(&self, url: &str) {
        call("POST", &self.url("/url"), Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> Result<String, String> {
        let found = try_call(
            "POST",
            &self.url("/element"),
            Some(json!({"using": "css selector", "value": css})),
        )?;
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no element {css}: {found}"))
    }

    fn click(&self, css: &str) {
        eventually(css, || {
            let element = self.find(css)?;
            try_call(
                "POST",
                &self.url(&format!("/element/{element}/click")),
                None,
            )
        });
    }

    fn type_text(&self, css: &str, text: &str) {
        eventually(css, || {
            let element = self.find(css)?;
            try_call(
                "POST",
                &self.url(&format!("/element/{element}/value")),
                Some(json!({"text": text})),
            )
        });
    }

    /// An attribute (or property, such as an input's `value`) of the first element `css` finds.
    fn attribute(&self, css: &str, name: &str) -> String {
        eventually(css, || {
            let element = self.find(css)?;
            let value = try_call(
                "GET",
                &self.url(&format!("/element/{element}/property/{name}")),
                None,
            )?;
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{css} has no {name}"))
        })
    }

    /// The browser's session cookie, to fetch what a link names the way the browser would.
    fn cookie_header(&self) -> String {
        let cookies = call("GET", &self.url("/cookie"), None);
        cookies
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}={}",
                    c["name"].as_str().unwrap_or_default(),
                    c["value"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn current_url(&self) -> String {
        call("GET", &self.url("/url"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Saves a screenshot to `target/test-artifacts/NAME.png`, for people to look at.
    fn screenshot(&self, name: &str) {
        let png = call("GET", &self.url("/screenshot"), None);
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            png.as_str().unwrap_or_default(),
        )
        .unwrap();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    fn resize(&self, width: u32, height: u32) {
        call(
            "POST",
            &self.url("/window/rect"),
            Some(json!({"width": width, "height": height})),
        );
    }

    /// The page's text once it contains `needle`.
    fn text_with(&self, needle: &str) -> String {
        eventually(needle, || {
            let body = self.find("body")?;
            let text = try_call("GET", &self.url(&format!("/element/{body}/text")), None)?;
            let text = text.as_str().unwrap_or_default().to_owned();
            if text.contains(needle) {
                Ok(text)
            } else {
                Err(format!("the page does not say {needle:?}: {text}"))
            }
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&self.url("")).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn browsers_installed() -> bool {
    let installed =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !installed {
        eprintln!("skipped: Chromium and chromedriver are not installed (run .ci/browser)");
    }
    installed
}

#[test]
fn a_customer_answers_in_ukrainian_in_chromium_and_the_answer_is_in_the_query_api() {
    if !browsers_installed() {
        return;
    }
    run(Some(TestApp::sqlite()), |app| async move {
        let created = app
            .post("/api/v1/surveys", &crate::surveys::after_call_survey())
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let org = app.get("/api/v1/organisation").await.body["id"].clone();
        let link = format!("http://{address}/s/{org}/after-call?lang=uk");

        tokio::task::spawn_blocking(move || {
            let browser = Browser::start();
            browser.open(&link);
            browser.text_with("порекомендуєте");
            browser.click(r#"input[name="a"][value="2"] + span"#);
            browser.click(r#"button[value="next"]"#);
            // A detractor is asked what went wrong.
            browser.text_with("Що пішло не так?");
            browser.click(r#"input[name="a"][value="queue"] + span"#);
            browser.click(r#"button[value="next"]"#);
            browser.text_with("Що ще нам варто знати?");
            browser.type_text("textarea", "Чекав на лінії сорок хвилин, жахливий сервіс");
            browser.click(r#"button[value="next"]"#);
            browser.text_with("Дякуємо");
        })
        .await
        .unwrap();

        let answer = app
            .post(
                "/api/v1/query",
                &json!({"measures": ["n", "nps", "sentiment"], "filters": {"touchpoint": "contact-centre", "language": "uk"}, "min_sample": 1}),
            )
            .await;
        let row = &answer.body["rows"][0];
        assert_eq!(
            row["nps"]["value"].as_f64(),
            Some(-100.0),
            "{}",
            answer.body
        );
        assert!(
            row["sentiment"]["value"].as_f64().unwrap() < 0.0,
            "{}",
            answer.body
        );
    });
}

#[test]
fn an_analyst_signs_in_filters_the_overview_and_opens_a_touchpoint_from_the_journey_map() {
    if !browsers_installed() {
        return;
    }
    run(Some(TestApp::sqlite()), |app| async move {
        let records: Vec<Value> = (0..120)
            .map(|i| {
                let (channel, touchpoint) = if i % 3 == 0 {
                    ("chat", "chat-support")
                } else {
                    ("phone", "contact-centre.queue")
                };
                json!({"channel": channel, "touchpoint": touchpoint, "nps": i % 11,
                       "comment": if i % 5 == 0 { Some("Довго чекав на лінії") } else { None },
                       "occurred_at": format!("2026-{:02}-{:02}T09:00:00Z", 7 + i % 3, 1 + i % 27)})
            })
            .collect();
        let stored = app
            .post("/api/v1/feedback:batch", &json!({"records": records}))
            .await;
        assert_eq!(stored.body["created"], 120, "{}", stored.body);
        let store = app.store.clone();
        tokio::task::spawn_blocking(move || {
            let user = dosvid_domain::user::NewUser {
                email: "analyst@kvant.example".into(),
                name: "Марко".into(),
                role: dosvid_domain::user::Role::Analyst,
                language: "uk".into(),
                agent: None,
                unit_id: None,
            };
            let org = store.default_org().unwrap();
            store
                .create_user(org, user, "аналітик-пароль", chrono::Utc::now())
                .unwrap();
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });

        let base = format!("http://{address}");
        let seen = tokio::task::spawn_blocking(move || {
            let browser = Browser::start();
            browser.resize(1366, 1000);
            browser.open(&format!("{base}/"));
            // The sign-in page speaks the browser's language; the user's own after signing in.
            browser.text_with("Dosvid");
            browser.type_text("#email", "analyst@kvant.example");
            browser.type_text("#password", "аналітик-пароль");
            browser.click("button.primary");
            browser.text_with("Огляд");
            let period = (
                browser.attribute("#from", "value"),
                browser.attribute("#to", "value"),
            );
            browser.screenshot("overview-desktop");
            // A filter: the phone channel.
            browser.click(r#"#channel option[value="phone"]"#);
            browser.click(r#"form.filters button[type="submit"]"#);
            eventually("the filtered page", || {
                let url = browser.current_url();
                url.contains("channel=phone").then_some(()).ok_or(url)
            });
            browser.text_with("Огляд");
            let phone_nps = browser.attribute(r#"[data-metric="nps"]"#, "outerHTML");
            browser.resize(390, 844);
            browser.screenshot("overview-phone");
            browser.resize(1366, 1000);
            browser.open(&format!("{base}/journey"));
            browser.text_with("Карта шляху");
            browser.screenshot("journey-map");
            browser.click(r#"li[data-touchpoint="contact-centre.queue"] a"#);
            browser.text_with("За каналами");
            browser.screenshot("touchpoint");
            // The explorer, filtered, and its export: the CSV holds the rows the page counts.
            browser.open(&format!("{base}/feedback?channel=chat"));
            let listed = browser.text_with("Знайдено записів");
            browser.screenshot("feedback-explorer");
            let export = browser.attribute(r#"a[href^="/feedback/export.csv"]"#, "href");
            let csv = ureq::get(&export)
                .header("cookie", &browser.cookie_header())
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap();
            (period, phone_nps, listed, csv)
        })
        .await
        .unwrap();
        let ((from, to), phone_card, listed, csv) = seen;
        assert!(listed.contains("Знайдено записів: 40"), "{listed}");
        assert_eq!(csv.lines().count(), 1 + 40, "{csv}");
        let value = phone_card
            .split("data-value=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse::<f64>().ok());
        let api = app
            .get(&format!(
                "/api/v1/overview?from={from}&to={to}&channel=phone"
            ))
            .await;
        assert_eq!(
            value,
            api.body["rows"][0]["nps"]["value"].as_f64(),
            "the page's NPS is the API's: {phone_card}"
        );
    });
}

#[test]
fn a_cx_manager_follows_the_strategy_from_the_cycle_to_an_initiative_s_return_in_two_languages() {
    if !browsers_installed() {
        return;
    }
    run(Some(TestApp::sqlite()), |app| async move {
        crate::strategy::company(&app).await;
        let (_, west) = crate::strategy::plan(&app).await;
        let manager = crate::helpers::agent(&app, dosvid_domain::user::Role::CxManager).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let base = format!("http://{address}");
        let id = west["id"].as_i64().unwrap();
        let shown = tokio::task::spawn_blocking(move || {
            let browser = Browser::start();
            browser.resize(1366, 1000);
            browser.open(&format!("{base}/login?next=/strategy"));
            browser.type_text("#email", &manager);
            browser.type_text("#password", crate::helpers::PASSWORD);
            browser.click("button.primary");
            browser.text_with("Стратегічний цикл");
            browser.text_with("Оцінка за KPI");
            browser.screenshot("strategy");
            browser.click(&format!(r#"a[href="/strategy/initiatives/{id}"]"#));
            let text = browser.text_with("Ефект (різниця різниць)");
            browser.screenshot("initiative");
            // In English, through the language switch (it leads back to the strategy page).
            browser.click(r#"#language option[value="en"]"#);
            browser.click(r#"form[action="/me/language"] button"#);
            browser.text_with("Evaluation by KPI");
            browser.click(&format!(r#"a[href="/strategy/initiatives/{id}"]"#));
            let english = browser.text_with("Effect (difference in differences)");
            browser.click(r#"a[href^="/strategy/cycles/"]"#);
            browser.text_with("Resources and budget");
            browser.screenshot("strategy-cycle");
            (text, english)
        })
        .await
        .unwrap();
        let (ukrainian, english) = shown;
        let api = app.get(&format!("/api/v1/initiatives/{id}/impact")).await;
        let effect = format!("{:+.1}", api.body["effect"]["value"].as_f64().unwrap());
        assert!(ukrainian.contains(&effect), "{effect}: {ukrainian}");
        assert!(english.contains(&effect), "{effect}: {english}");
        assert!(english.contains("significant"), "{english}");
    });
}

#[test]
fn a_cx_manager_reads_the_company_s_diagnosis_and_answers_its_readiness_questionnaire() {
    if !browsers_installed() {
        return;
    }
    run(Some(TestApp::sqlite()), |app| async move {
        crate::diagnosis::readiness(app.clone()).await;
        crate::diagnosis::standards(app.clone()).await;
        let id = app.get("/api/v1/assessments").await.body[0]["id"]
            .as_i64()
            .unwrap();
        let manager = crate::helpers::agent(&app, dosvid_domain::user::Role::CxManager).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let base = format!("http://{address}");
        tokio::task::spawn_blocking(move || {
            let browser = Browser::start();
            browser.resize(1366, 3200);
            browser.open(&format!("{base}/login?next=/diagnosis"));
            browser.type_text("#email", &manager);
            browser.type_text("#password", crate::helpers::PASSWORD);
            browser.click("button.primary");
            browser.text_with("Готовність до управління досвідом");
            browser.text_with("Розрив 3: виконання");
            browser.screenshot("diagnosis");
            browser.click(&format!(r#"a[href="/diagnosis/assessments/{id}"]"#));
            browser.text_with("Ваші відповіді");
            browser.click(r#"input[name="motivation.kpi"][value="5"]"#);
            browser.click(r#"input[name="organisation.loop"][value="4"]"#);
            browser.click("form.fields button.primary");
            let text = browser.text_with("Організація");
            assert!(text.contains("Відповіли: 4"), "{text}");
            browser.screenshot("assessment");
            browser.click(r#"#language option[value="en"]"#);
            browser.click(r#"form[action="/me/language"] button"#);
            browser.text_with("Readiness for CXM");
            browser.text_with("Interaction maturity");
            browser.screenshot("diagnosis-en");
            // The repository and the templates, from the section's tabs.
            browser.click(r#"nav.tabs a[href="/diagnosis/studies"]"#);
            browser.text_with("Customer studies");
            browser.click("details summary");
            browser.type_text("#s-title", "Calls observed");
            browser.type_text("#s-quotes", "I waited forty minutes");
            browser.type_text("#s-whys", "Customers wait\nToo few agents");
            browser.click(r#"form[method="post"][action="/diagnosis/studies"] button.primary"#);
            browser.text_with("I waited forty minutes");
            browser.screenshot("study");
            browser.click(r#"nav.tabs a[href="/diagnosis/templates"]"#);
            browser.click("details summary");
            browser.type_text("#t-title", "Everyone");
            browser.click(r#"form[action="/diagnosis/templates"] button.primary"#);
            browser.text_with("Says");
            browser.text_with("I waited forty minutes");
            browser.screenshot("template");
        })
        .await
        .unwrap();
        let api = app.get(&format!("/api/v1/assessments/{id}")).await;
        assert_eq!(api.body["respondents"], 4, "{}", api.body);
    });
}
