//! Test support: a real PostgreSQL (`DATABASE_URL`, or a throwaway cluster
//! shared by this test binary), a fresh database per test, the real
//! application on port 0, and a fixture HTTP server for feeds.

pub mod feed_server;
pub mod fixture_dates;
pub mod receiver;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use tributary::config::{Config, EnvOverrides};
use tributary::db::EmbeddedCluster;
use tributary::ingest::Ingestor;
use tributary::poller::PollReport;
use tributary::poller::{Poller, Selection};
use tributary::startup::{Application, Role};

pub use feed_server::{FeedServer, Route};
pub use fixture_dates::at;
pub use receiver::{Receiver, Verify};

/// Where test databases are created.
enum Server {
    Url(Box<PgConnectOptions>),
    Cluster(EmbeddedCluster),
}

static SERVER: OnceLock<Server> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);
static CLUSTER_PID: OnceLock<(i32, PathBuf)> = OnceLock::new();

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                let opts: PgConnectOptions = url
                    .parse()
                    .expect("DATABASE_URL is not a valid PostgreSQL URL");
                return Server::Url(Box::new(
                    opts.log_statements(tracing::log::LevelFilter::Trace),
                ));
            }
        }
        // Its own runtime: the cluster outlives any single test's runtime.
        std::thread::spawn(start_cluster)
            .join()
            .expect("cluster start thread panicked")
    })
}

fn start_cluster() -> Server {
    sweep_stale_clusters();
    let base = std::env::temp_dir().join(format!("tributary-test-{}", std::process::id()));
    std::fs::create_dir_all(&base).expect("cannot create the test cluster directory");
    // The cluster may run as another user (when we are root): let it in.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755))
        .expect("chmod test dir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cluster = rt
        .block_on(EmbeddedCluster::start(&base.join("pg")))
        .unwrap_or_else(|e| panic!("cannot start a throwaway PostgreSQL cluster (set DATABASE_URL to use a server instead): {e}"));
    if let Some(pid) = cluster.postmaster_pid() {
        let _ = CLUSTER_PID.set((pid, base));
        // SAFETY: registering a plain extern "C" function (nix has no
        // atexit; libc is a dev-dependency for this alone).
        unsafe { libc::atexit(stop_cluster_at_exit) };
    }
    Server::Cluster(cluster)
}

/// Runs when the test binary exits: fast shutdown, then remove the files.
extern "C" fn stop_cluster_at_exit() {
    let Some((pid, dir)) = CLUSTER_PID.get() else {
        return;
    };
    let pid = Pid::from_raw(*pid);
    let _ = kill(pid, Signal::SIGINT);
    for _ in 0..200 {
        if kill(pid, None).is_err() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Clusters left by test binaries that were killed.
fn sweep_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("tributary-test-")
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = kill(Pid::from_raw(pid), None).is_ok();
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn admin_options() -> PgConnectOptions {
    match server() {
        Server::Url(opts) => (**opts).clone(),
        Server::Cluster(c) => c.connect_options_for("postgres"),
    }
}

/// How long a dropped test database waits for its connections to come back.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A fresh, migrated database for one test; dropped when the test ends.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!(
            "tributary_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let admin = admin_options();
        let mut conn = sqlx::PgConnection::connect_with(&admin)
            .await
            .expect("cannot connect to the test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        let _ = conn.close().await;
        let options = admin.clone().database(&name);
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await
            .expect("connect to test database");
        tributary::db::MIGRATOR
            .run(&pool)
            .await
            .expect("migrations");
        TestDb { pool, name }
    }

    /// A `postgres://` URL for child processes (the CLI tests).
    pub fn url(&self) -> String {
        match server() {
            Server::Url(_) => {
                let base = std::env::var("DATABASE_URL").unwrap_or_default();
                let mut u = url::Url::parse(&base).expect("DATABASE_URL");
                u.set_path(&format!("/{}", self.name));
                u.to_string()
            }
            Server::Cluster(c) => format!(
                "postgres://tributary@localhost/{}?host={}",
                self.name,
                c.dir().display()
            ),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let pool = self.pool.clone();
        let admin = admin_options();
        // Drop runs inside the test's runtime; do the async work on a thread of its own.
        // That runtime is blocked until this returns, so a connection its tasks
        // hold (the app's announcer mid-transaction when the test ended) is
        // never given back: closing waits only a moment for it, then the
        // forced drop ends those sessions on the server's side.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let _ = tokio::time::timeout(CLOSE_WAIT, pool.close()).await;
                if let Ok(mut conn) = sqlx::PgConnection::connect_with(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// A config for tests: port 0, a fixed public URL, the given TOML merged in.
pub fn test_config(extra_toml: &str) -> Config {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://tributary.test\"\napi_token_env = \"TRIBUTARY_TEST_TOKEN\"\n{extra_toml}"
    );
    let env = EnvOverrides {
        lookup: Some(|k| (k == "TRIBUTARY_TEST_TOKEN").then(|| TOKEN.to_owned())),
        ..Default::default()
    };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/test.toml");
    Config::from_toml(&text, &path, &env).expect("test config")
}

pub const TOKEN: &str = "s3cret-token";

/// The real application (HTTP only: tests poll explicitly) on a fresh database.
pub struct TestApp {
    pub db: TestDb,
    pub config: Arc<Config>,
    pub address: String,
    pub http: reqwest::Client,
    app: Option<Application>,
}

impl TestApp {
    pub async fn spawn(extra_toml: &str) -> TestApp {
        TestApp::spawn_with(test_config(extra_toml)).await
    }

    pub async fn spawn_with(config: Config) -> TestApp {
        TestApp::spawn_as(config, Role::Web).await
    }

    /// The application in `role` (`All` polls, announces and delivers by
    /// itself, as `tributary serve` does).
    pub async fn spawn_as(config: Config, role: Role) -> TestApp {
        let db = TestDb::new().await;
        TestApp::start_on(db, config, role).await
    }

    /// The application on an existing database (a restart).
    pub async fn start_on(db: TestDb, config: Config, role: Role) -> TestApp {
        let config = Arc::new(config);
        tributary::sources::sync_config(&db.pool, &config.sources)
            .await
            .expect("sync sources");
        let app = Application::start(config.clone(), db.pool.clone(), role)
            .await
            .expect("start app");
        let address = format!("http://{}", app.address().expect("bound address"));
        // The change listener invalidates once when it starts listening.
        wait_for_generation(&app.response_cache(), 0).await;
        TestApp {
            db,
            config,
            address,
            // A server that stops answering fails the test instead of hanging the suite.
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .no_gzip()
                .no_brotli()
                .build()
                .expect("client"),
            app: Some(app),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(path, &[]).await
    }

    /// GET with request headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.address));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("json")
    }

    /// Polls everything, then waits until the app has seen the change
    /// notification, as a reader would a moment later.
    pub async fn poll_all(&self) -> Vec<PollReport> {
        let before = self.cache_generation();
        let reports = poll_all(&self.db.pool, &self.config).await;
        let changed = reports.iter().any(|r| {
            matches!(r.outcome, tributary::poller::PollOutcome::Fetched { new, updated, .. } if new + updated > 0)
        });
        if changed {
            self.wait_for_change(before).await;
        }
        reports
    }

    pub fn cache_generation(&self) -> u64 {
        self.app
            .as_ref()
            .map(|a| a.response_cache().generation())
            .unwrap_or(0)
    }

    /// Waits until the feed cache has been invalidated since `before`.
    pub async fn wait_for_change(&self, before: u64) {
        if let Some(app) = &self.app {
            wait_for_generation(&app.response_cache(), before).await;
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }

    /// Stops the application and hands back its database.
    pub async fn stop(mut self) -> TestDb {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
        self.db
    }

    /// A request with the write token.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(TOKEN)
    }
}

async fn wait_for_generation(
    cache: &tributary::publish::response_cache::ResponseCache,
    above: u64,
) {
    // Generous: on a loaded 2-core machine the listener can take seconds to connect.
    for _ in 0..3000 {
        if cache.generation() > above {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no change notification reached the app within 30 s");
}

/// Polls every enabled source once, as `tributary poll --once --all` does.
pub async fn poll_all(pool: &PgPool, config: &Config) -> Vec<PollReport> {
    let ingestor = Ingestor::new(pool.clone(), &config.poller).expect("ingestor");
    let mut reports = Poller::new(ingestor, &config.poller)
        .poll_once(Selection::AllEnabled)
        .await
        .expect("poll")
        .reports;
    reports.sort_by_key(|r| r.source_id);
    reports
}

/// A fresh database holding the sources of a test config built from `toml`.
pub async fn db_with_sources(toml: &str) -> (TestDb, Config) {
    let db = TestDb::new().await;
    let config = test_config(toml);
    tributary::sources::sync_config(&db.pool, &config.sources)
        .await
        .expect("sync sources");
    (db, config)
}

/// A fresh directory under the temp dir, searchable by the user the
/// embedded PostgreSQL runs as (when tests run as root).
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tributary-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
    dir
}

/// A file under tests/data, its feed dates moved to this run (see
/// [`fixture_dates`]): served today, it is as old as when it was written.
pub fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let bytes =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    fixture_dates::redate(&bytes)
}

/// `[[sources]]` entries for the given URLs.
pub fn sources_toml(urls: &[String]) -> String {
    urls.iter()
        .map(|u| format!("[[sources]]\nurl = \"{u}\"\n"))
        .collect()
}

/// Runs `cmd` to the end and asserts it succeeded, showing its stderr if not.
pub fn run_ok(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::TestDb;
    use sqlx::Connection;

    /// A task of the test's runtime in the middle of a transaction and a
    /// query on another connection when the test ends (the app's
    /// announcer, as a hung CI run showed) must not keep the database's
    /// drop, and so the suite, waiting for ever: closing the pool waits
    /// for every connection to come back, and that runtime cannot run the
    /// task while the drop blocks it.
    #[test]
    fn a_database_dropped_while_a_task_holds_a_transaction_is_dropped() {
        let (done, dropped) = std::sync::mpsc::channel();
        // A runtime of its own on a thread of its own, so that a hang
        // fails this test instead of hanging the suite.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let name = rt.block_on(async {
                let db = TestDb::new().await;
                let name = db.name.clone();
                let pool = db.pool.clone();
                let (began, begun) = tokio::sync::oneshot::channel();
                tokio::spawn(async move {
                    let mut tx = pool.begin().await.expect("begin");
                    sqlx::query("SELECT count(*) FROM sources")
                        .execute(&mut *tx)
                        .await
                        .expect("query");
                    // A second connection, mid-query when the test ends.
                    let mut other = pool.acquire().await.expect("another connection");
                    let _ = began.send(());
                    let _ = sqlx::query("SELECT pg_sleep(0.5)")
                        .execute(&mut *other)
                        .await;
                    std::future::pending::<()>().await;
                    drop(tx);
                });
                begun.await.expect("the transaction began");
                drop(db);
                name
            });
            let _ = done.send(name);
        });
        let name = dropped
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the drop returns while a task holds a transaction");

        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let left: i64 = rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect_with(&super::admin_options())
                .await
                .expect("admin");
            let (left,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count");
            left
        });
        assert_eq!(left, 0, "the database is gone");
    }
}
