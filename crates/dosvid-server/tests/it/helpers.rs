//! Spawns the app on a fresh database and talks to it like a client would.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dosvid_server::{AppState, app};
use dosvid_store::Store;
use serde_json::Value;
use tower::ServiceExt;

#[derive(Clone)]
pub struct TestApp {
    pub router: axum::Router,
    /// The router's state: tests start its background work (`start_background`) when they need
    /// webhooks delivered.
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub key: String,
    /// The database's files, for tests that look into them (SQLite only).
    pub files: Vec<std::path::PathBuf>,
    _guard: Arc<dyn std::any::Any + Send + Sync>,
}

/// Runs an async test body on its own runtime. The app is made and dropped outside the runtime
/// because the PostgreSQL driver's blocking client must not be created or dropped on it.
pub fn run<F: std::future::Future<Output = ()>>(
    app: Option<TestApp>,
    body: impl FnOnce(TestApp) -> F,
) {
    let Some(app) = app else { return };
    let last_reference = app.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(body(app));
    drop(runtime);
    drop(last_reference);
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    /// The body as sent.
    pub raw: Vec<u8>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The `Set-Cookie` header.
    pub cookie: Option<String>,
    pub html: String,
}

impl Page {
    /// The secret a page shows once (a new password, API key or link).
    pub fn secret(&self) -> String {
        self.html
            .split(r#"<code class="secret">"#)
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_else(|| panic!("no secret in {}", self.html))
            .to_owned()
    }

    /// The value of the form's hidden input `name`.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.html))
            + marker.len();
        self.html[start..].split('"').next().unwrap().to_owned()
    }
}

impl Response {
    /// The `field` of an error answer.
    pub fn error_field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or_default()
    }
}

/// Webhook retries in tests: 50 ms, 100 ms, 200 ms…; an endpoint is disabled after five
/// failures in a row.
/// The loopback network, where test receivers listen.
pub fn loopback() -> dosvid_server::Network {
    "127.0.0.0/8".parse().unwrap()
}

pub fn fast_retries() -> dosvid_domain::webhook::RetryPolicy {
    dosvid_domain::webhook::RetryPolicy {
        first_delay: chrono::Duration::milliseconds(50),
        factor: 2,
        max_delay: chrono::Duration::seconds(1),
        max_attempts: 6,
        disable_after: chrono::Duration::zero(),
        disable_min_failures: 5,
    }
}

impl TestApp {
    fn with_store(store: Arc<dyn Store>, guard: Arc<dyn std::any::Any + Send + Sync>) -> TestApp {
        let org = store.default_org().unwrap();
        let (_, secret) = store
            .create_api_key(org, "tests", chrono::Utc::now())
            .unwrap();
        // Test receivers listen on loopback, which only an administrator may allow.
        let state = AppState::new(store.clone())
            .with_retry_policy(fast_retries())
            .with_webhook_networks(vec![loopback()]);
        TestApp {
            router: app(state.clone()),
            state,
            store,
            key: secret.expose().to_owned(),
            files: Vec::new(),
            _guard: guard,
        }
    }

    pub fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("api.db");
        let store = dosvid_store_sqlite::open(&file, chrono::Utc::now()).unwrap();
        let mut app = TestApp::with_store(Arc::new(store), Arc::new(dir));
        app.files = vec![file.with_extension("db-wal"), file];
        app
    }

    pub fn postgres(test: &str) -> Option<TestApp> {
        let db = dosvid_store_postgres::TestDatabase::create(test)?;
        let store = dosvid_store_postgres::open(&db.url, chrono::Utc::now()).unwrap();
        Some(TestApp::with_store(Arc::new(store), Arc::new(db)))
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Response {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Response {
            status,
            headers,
            body,
            raw: bytes.to_vec(),
        }
    }

    /// A browser-like request to a public page: no API key, a form body when given. Returns
    /// the status, the `Location` header and the page.
    /// Signs in as a browser does: the form is shown first, with its token and cookie.
    pub async fn login(&self, email: &str, password: &str, next: Option<&str>) -> Page {
        self.login_with_code(email, password, None, next).await
    }

    /// Signs in with a two-step sign-in code too.
    pub async fn login_with_code(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        next: Option<&str>,
    ) -> Page {
        let form = self.page("GET", "/login", &[], &[]).await;
        let cookie = form.cookie.as_deref().expect("the form's cookie");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let csrf = form.hidden("csrf");
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ];
        fields.extend(next.map(|next| ("next", next)));
        fields.extend(code.map(|code| ("code", code)));
        self.page("POST", "/login", &fields, &[("cookie", &cookie)])
            .await
    }

    pub async fn page(
        &self,
        method: &str,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = if method == "POST" {
            request = request.header("content-type", "application/x-www-form-urlencoded");
            let mut encoded = form_urlencoded::Serializer::new(String::new());
            for (k, v) in form {
                encoded.append_pair(k, v);
            }
            Body::from(encoded.finish())
        } else {
            Body::empty()
        };
        let response = self
            .router
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|l| l.to_str().unwrap().to_owned())
        };
        let (location, cookie) = (header("location"), header("set-cookie"));
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            location,
            cookie,
            html: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, Some(&self.key), &[], Vec::new())
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(
            "POST",
            path,
            Some(&self.key),
            &[],
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.send(
            "PUT",
            path,
            Some(&self.key),
            &[],
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.send(
            "PATCH",
            path,
            Some(&self.key),
            &[],
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send("DELETE", path, Some(&self.key), &[], Vec::new())
            .await
    }

    /// Every item of a list, following cursors.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{sep}limit=1000");
        loop {
            let page = self.get(&url).await;
            assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.body);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(cursor) => url = format!("{path}{sep}limit=1000&cursor={cursor}"),
                None => return items,
            }
        }
    }
}

/// The password of every user the tests create.
pub const PASSWORD: &str = "дуже-надійний-пароль";

/// Creates a user (on a blocking thread: store calls block).
pub async fn agent(app: &TestApp, role: dosvid_domain::user::Role) -> String {
    let store = app.store.clone();
    let email = format!("{}@kvant.example", role.as_str());
    let user = dosvid_domain::user::NewUser {
        email: email.clone(),
        name: "Ірина".into(),
        role,
        language: "uk".into(),
        agent: None,
        unit_id: None,
    };
    tokio::task::spawn_blocking(move || {
        let org = store.default_org().unwrap();
        store
            .create_user(org, user, PASSWORD, chrono::Utc::now())
            .unwrap();
    })
    .await
    .unwrap();
    email
}

/// Signs in and returns the `Cookie` header to send.
pub async fn sign_in(app: &TestApp, email: &str) -> String {
    let page = app.login(email, PASSWORD, Some("/complaints/new")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(page.location.as_deref(), Some("/complaints/new"));
    let cookie = page.cookie.unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_owned()
}
