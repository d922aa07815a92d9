//! One helper builds a test app: the real server on an ephemeral port against a fresh SQLite file
//! or a fresh PostgreSQL schema, spoken to over HTTP.

use rand::Rng;
use reqwest::{Method, StatusCode};
use sellstream_accounts::{Accounts, NewStaff, Role};
use sellstream_server::{AppState, ServerConfig};
use sellstream_store::Store;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub state: AppState,
    pub client: reqwest::Client,
    _guard: Cleanup,
    _turn: Turn,
}

/// Stories that measure the whole process (its memory) run alone; the others share the time.
static TURNS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

#[allow(dead_code)]
enum Turn {
    Shared(tokio::sync::RwLockReadGuard<'static, ()>),
    Alone(tokio::sync::RwLockWriteGuard<'static, ()>),
}

enum Cleanup {
    Dir(#[allow(dead_code)] TempDir),
    Schema { admin_url: String, schema: String },
}

pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let p = std::env::temp_dir().join(format!(
            "sellstream-test-{:016x}",
            rand::rng().random::<u64>()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Schema { admin_url, schema } = self {
            let (url, schema) = (admin_url.clone(), schema.clone());
            // Drop runs inside the test's runtime; a fresh thread may start its own.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(async {
                        if let Ok(store) = Store::connect(&url).await {
                            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                                .execute(store.pool())
                                .await;
                            store.close().await;
                        }
                    })
            })
            .join();
        }
    }
}

pub fn pg_url() -> String {
    std::env::var("SELLSTREAM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh store: a SQLite file in a temp dir, or a new schema in the test PostgreSQL database.
/// `None` when PostgreSQL is not there and not required (`SELLSTREAM_TEST_REQUIRE_PG` unset).
pub async fn fresh_store(backend: Backend) -> Option<(Store, CleanupHandle)> {
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new();
            let store = Store::connect(&Store::sqlite_url_in(&dir.0)).await.unwrap();
            Some((store, CleanupHandle(Cleanup::Dir(dir))))
        }
        Backend::Postgres => {
            let admin_url = pg_url();
            let admin = match Store::connect(&admin_url).await {
                Ok(s) => s,
                Err(e) => {
                    if std::env::var_os("SELLSTREAM_TEST_REQUIRE_PG").is_some() {
                        panic!("PostgreSQL is required but does not answer at {admin_url}: {e}");
                    }
                    eprintln!("SKIPPED: PostgreSQL does not answer at {admin_url} ({e}); set SELLSTREAM_TEST_REQUIRE_PG=1 to fail instead");
                    return None;
                }
            };
            let schema = format!("sellstream_t_{:016x}", rand::rng().random::<u64>());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(admin.pool())
                .await
                .unwrap();
            admin.close().await;
            let sep = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
            let store = Store::connect(&url).await.unwrap();
            Some((store, CleanupHandle(Cleanup::Schema { admin_url, schema })))
        }
    }
}

pub struct CleanupHandle(Cleanup);

/// The sandbox payment provider's secret in tests: stories sign callbacks with it.
pub const SANDBOX_SECRET: &str = "test-sandbox-secret";

impl TestApp {
    /// Rooms in tests sample chat above 5 messages a second per viewer, so sampling is seen with
    /// a handful of senders.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let config = ServerConfig {
            rooms: sellstream_live::RoomConfig {
                chat_per_viewer_per_second: 5,
                ..Default::default()
            },
            sandbox_secret: Some(SANDBOX_SECRET.into()),
            // Stories place many orders from one customer in a moment; the limit has its own.
            buys_per_customer: Some((1_000, 1_000)),
            // Webhook retries within a story's patience.
            outbox_retry_base_ms: Some(100),
            ..Default::default()
        };
        Self::spawn_with(backend, config).await
    }

    pub async fn spawn_with(backend: Backend, config: ServerConfig) -> Option<TestApp> {
        let turn = Turn::Shared(TURNS.read().await);
        Self::spawn_in_turn(backend, config, turn).await
    }

    /// A server while no other story runs in this process: for stories that measure the
    /// process itself.
    pub async fn spawn_alone(backend: Backend, config: ServerConfig) -> Option<TestApp> {
        let turn = Turn::Alone(TURNS.write().await);
        Self::spawn_in_turn(backend, config, turn).await
    }

    async fn spawn_in_turn(backend: Backend, config: ServerConfig, turn: Turn) -> Option<TestApp> {
        let (store, cleanup) = fresh_store(backend).await?;
        store.migrate().await.unwrap();
        let (state, base) = serve(&store, config).await;
        Some(TestApp {
            base,
            state,
            store,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _guard: cleanup.0,
            _turn: turn,
        })
    }

    /// Stops the rooms as a shutdown would and starts a new server on the same database, as a
    /// restart does.
    pub async fn restart(&mut self) {
        self.state.rooms.shutdown().await;
        let config = ServerConfig {
            rooms: self.state.config.rooms.clone(),
            sandbox_secret: self.state.config.sandbox_secret.clone(),
            buys_per_customer: self.state.config.buys_per_customer,
            ..Default::default()
        };
        let (state, base) = serve(&self.store, config).await;
        self.state = state;
        self.base = base;
    }

    /// Another server on the same database, as a second node behind a load balancer: its base URL.
    pub async fn second_node(&self) -> String {
        let config = ServerConfig {
            rooms: self.state.config.rooms.clone(),
            sandbox_secret: self.state.config.sandbox_secret.clone(),
            buys_per_customer: self.state.config.buys_per_customer,
            ..Default::default()
        };
        serve(&self.store, config).await.1
    }

    /// Creates a staff account with `roles` and returns its bearer token.
    pub async fn staff(&self, username: &str, roles: &[Role]) -> String {
        Accounts::new(self.store.clone())
            .create_staff(NewStaff {
                username: username.into(),
                nickname: format!("{username} nick"),
                password: format!("{username}-password"),
                roles: roles.to_vec(),
            })
            .await
            .unwrap();
        self.login(username, &format!("{username}-password")).await
    }

    /// Registers a customer and returns its bearer token.
    pub async fn customer(&self, phone: &str) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(serde_json::json!({
                    "phone": phone, "nickname": "顾客", "password": "customer-password"
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn login(&self, login: &str, password: &str) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        read(res).await
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let res = self.client.get(format!("{}/metrics", self.base)).send();
        res.await.unwrap().text().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Sends raw bytes as JSON.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        read(res).await
    }
}

async fn serve(store: &Store, config: ServerConfig) -> (AppState, String) {
    let state = AppState::new(store.clone(), config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = sellstream_server::app(state.clone());
    tokio::spawn(sellstream_server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    (state, format!("http://{addr}"))
}

async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}

/// Asserts the JSON error shape and code.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "body: {}", got.1);
    assert_eq!(got.1["error"]["code"], code, "body: {}", got.1);
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "body: {}",
        got.1
    );
}

/// Runs each story against SQLite and PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await.unwrap();
                    super::$story(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await else { return };
                    super::$story(app).await;
                }
            )*
        }
    };
}
