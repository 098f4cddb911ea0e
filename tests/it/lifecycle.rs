//! The process as an operator runs it: SIGTERM drains and exits 0, leases of
//! abandoned polls are released, the embedded PostgreSQL stops cleanly, and
//! a database restart is survived without restarting Tributary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{FeedServer, Route, TestDb, data, temp_dir};

struct Served {
    child: Child,
    address: String,
}

/// Starts `tributary serve` and waits for the address it prints.
fn serve(config: &std::path::Path, database_url: Option<&str>) -> Served {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tributary"));
    cmd.env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--config")
        .arg(config)
        .arg("serve");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("serving on ").nth(1) {
                let _ = tx.send(rest.split(' ').next().unwrap_or("").to_owned());
            }
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve did not start");
    Served { child, address }
}

fn terminate(child: &mut Child) -> (Option<i32>, Duration) {
    let started = Instant::now();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("serve did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_releases_abandoned_leases_and_exits_zero() {
    let server = FeedServer::start().await;
    server.route(
        "/quick.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    let mut hanging = Route::feed(data("wire-en.atom"), "application/atom+xml");
    hanging.delay = Duration::from_secs(60);
    server.route("/hang.atom", hanging);
    let db = TestDb::new().await;
    let dir = temp_dir("sigterm");
    let config = dir.join("tributary.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\nshutdown_timeout = \"2s\"\n[poller]\ntimeout = \"90s\"\n[[sources]]\nurl = \"{}\"\n[[sources]]\nurl = \"{}\"\n",
            server.url("/quick.rss"),
            server.url("/hang.atom")
        ),
    )
    .unwrap();
    let mut served = serve(&config, Some(&db.url()));
    // Wait until both polls are under way (the quick one has landed).
    for _ in 0..200 {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM entries")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        if n > 0 && !server.requests("/hang.atom").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let health = reqwest::get(format!("{}/healthz", served.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // The container HEALTHCHECK command agrees, and fails where nothing listens.
    let check = |listen: &str| {
        Command::new(env!("CARGO_BIN_EXE_tributary"))
            .env("TRIBUTARY_LISTEN", listen)
            .arg("--config")
            .arg(&config)
            .arg("healthcheck")
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(check(served.address.trim_start_matches("http://")));
    assert!(!check("127.0.0.1:9"));
    let (code, took) = terminate(&mut served.child);
    assert_eq!(code, Some(0));
    assert!(
        took < Duration::from_secs(15),
        "the grace period bounds the shutdown: {took:?}"
    );
    let (lease,): (Option<chrono::DateTime<chrono::Utc>>,) =
        sqlx::query_as("SELECT lease_until FROM sources WHERE url LIKE '%hang.atom'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(lease, None, "the abandoned poll's lease is given back");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_postgres_starts_serves_and_stops_with_tributary() {
    let dir = temp_dir("embedded");
    let config = dir.join("tributary.toml");
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/feeds");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[database]\ndata_dir = \"{}/data\"\n[[sources]]\nurl = \"file://{examples}/saigon-daily.rss\"\n[[sources]]\nurl = \"file://{examples}/hanoi-times.atom\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let mut served = serve(&config, None);
    let mut items = 0;
    // Up to 30 s: a loaded 2-core box (a CI build beside it) is slow to start.
    for _ in 0..300 {
        let feed: serde_json::Value = reqwest::get(format!("{}/feeds/all.json", served.address))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        items = feed["items"].as_array().map(Vec::len).unwrap_or(0);
        // Both sources polled (the first may be served before the second
        // is in): the count then stays as it is.
        if items >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(items, 6, "7 entries, the repost joins its original");
    let pid_file = dir.join("data/postgres/postmaster.pid");
    assert!(pid_file.exists(), "the cluster runs in data_dir/postgres");
    let (code, _) = terminate(&mut served.child);
    assert_eq!(code, Some(0));
    assert!(
        !pid_file.exists(),
        "PostgreSQL was shut down cleanly (no stale postmaster.pid)"
    );
    let log = std::fs::read_to_string(dir.join("data/postgres.log")).unwrap_or_default();
    assert!(log.contains("database system is shut down"), "{log}");
    // The cluster is sized for an aggregator, in a file the operator can edit.
    let conf = std::fs::read_to_string(dir.join("data/postgres/postgresql.conf")).unwrap();
    let buffers: u64 = conf
        .lines()
        .filter_map(|l| l.strip_prefix("shared_buffers = "))
        .filter_map(|v| v.strip_suffix("MB")?.parse().ok())
        .next_back()
        .expect("Tributary's shared_buffers line");
    assert!((128..=1024).contains(&buffers), "{buffers} MB");

    // Started again on the same data dir: everything ingested is still there.
    let mut again = serve(&config, None);
    let entries: serde_json::Value = reqwest::get(format!("{}/api/v1/entries", again.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(entries["items"].as_array().unwrap().len(), 7);
    let (code, _) = terminate(&mut again.child);
    assert_eq!(code, Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_restart_is_survived_without_restarting_tributary() {
    use std::sync::Arc;
    use tributary::db::EmbeddedCluster;

    let dir = temp_dir("restart");
    let cluster_dir = dir.join("pg");
    let cluster = EmbeddedCluster::start(&cluster_dir).await.unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(cluster.connect_options())
        .await
        .unwrap();
    tributary::db::MIGRATOR.run(&pool).await.unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/feeds");
    let config = Arc::new(crate::support::test_config(&format!(
        "[[sources]]\nurl = \"file://{examples}/asia-wire.rss\"\n"
    )));
    tributary::sources::sync_config(&pool, &config.sources)
        .await
        .unwrap();
    crate::support::poll_all(&pool, &config).await;
    let app = tributary::startup::Application::start(
        config.clone(),
        pool.clone(),
        tributary::startup::Role::Web,
    )
    .await
    .unwrap();
    let base = format!("http://{}", app.address().unwrap());
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap() }
    };
    // Once the change listener is up (it invalidates when it starts), a
    // rendered feed stays cached.
    let cache = app.response_cache();
    let started = Instant::now();
    while cache.generation() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the change listener never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cached = get("/feeds/all.json").await.text().await.unwrap();
    assert_eq!(get("/feeds/all.json").await.text().await.unwrap(), cached);

    // The database goes away.
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    assert_eq!(get("/healthz").await.status(), 200, "alive");
    assert_eq!(get("/readyz").await.status(), 503, "not ready");
    assert_eq!(
        get("/feeds/all.json").await.text().await.unwrap(),
        cached,
        "cached feeds keep being served"
    );
    // Also when the cache was invalidated as the database went down (the
    // change listener may reconnect on a pooled connection whose backend
    // has not ended yet, and invalidates on reconnecting): the last page.
    cache.invalidate();
    assert_eq!(
        get("/feeds/all.json").await.text().await.unwrap(),
        cached,
        "an invalidated feed is served stale while the database is away"
    );
    let r = get("/api/v1/entries").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    // It comes back: everything resumes, nothing ingested is lost.
    let cluster = EmbeddedCluster::start(&cluster_dir).await.unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if get("/readyz").await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "/readyz recovers by itself");
    let entries = get("/api/v1/entries")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(entries["items"].as_array().unwrap().len(), 3);
    let reports = crate::support::poll_all(&pool, &config).await;
    assert_eq!(reports.len(), 1, "polling works again");
    app.shutdown().await;
    pool.close().await;
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A poller replica answers its probes and /metrics (a container's
/// HEALTHCHECK and a Prometheus scrape need them) and nothing else: feeds
/// and the API are the web replicas' job.
#[tokio::test(flavor = "multi_thread")]
async fn a_poller_serves_only_its_probes_and_metrics() {
    let db = TestDb::new().await;
    let config = std::sync::Arc::new(crate::support::test_config(""));
    let app = tributary::startup::Application::start(
        config,
        db.pool.clone(),
        tributary::startup::Role::Poller,
    )
    .await
    .unwrap();
    let base = format!("http://{}", app.address().expect("a poller listens too"));
    let status = |path: &'static str| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/healthz").await, 200);
    assert_eq!(status("/readyz").await, 200);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tributary_sources"), "{metrics}");
    for path in ["/feeds/all.rss", "/api/v1/entries", "/api/v1/sources", "/"] {
        assert_eq!(status(path).await, 404, "{path} on a poller");
    }
    app.shutdown().await;
}

/// Forwards 127.0.0.1:`port` to the test database (its unix socket, or the
/// host and port of DATABASE_URL), from the moment it is called.
async fn proxy_to_database(port: u16, db_url: &str) {
    let target = url::Url::parse(db_url).unwrap();
    let socket_dir = target
        .query_pairs()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| std::path::PathBuf::from(v.into_owned()));
    let tcp_target = format!(
        "{}:{}",
        target.host_str().unwrap_or("127.0.0.1"),
        target.port().unwrap_or(5432)
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let socket_dir = socket_dir.clone();
            let tcp_target = tcp_target.clone();
            tokio::spawn(async move {
                let _ = match socket_dir {
                    Some(dir) => {
                        let mut out = tokio::net::UnixStream::connect(dir.join(".s.PGSQL.5432"))
                            .await
                            .unwrap();
                        tokio::io::copy_bidirectional(&mut inbound, &mut out).await
                    }
                    None => {
                        let mut out = tokio::net::TcpStream::connect(tcp_target).await.unwrap();
                        tokio::io::copy_bidirectional(&mut inbound, &mut out).await
                    }
                };
            });
        }
    });
}

/// `serve` started before its database answers (a container beside a
/// PostgreSQL still starting) waits for it instead of exiting.
#[tokio::test(flavor = "multi_thread")]
async fn serve_waits_for_a_database_that_answers_late() {
    let db = TestDb::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let real = url::Url::parse(&db.url()).unwrap();
    let mut late = url::Url::parse(&format!("postgres://127.0.0.1:{port}{}", real.path())).unwrap();
    late.set_username(real.username()).unwrap();
    late.set_password(real.password()).unwrap();
    let dir = temp_dir("late-db");
    let config = dir.join("tributary.toml");
    std::fs::write(&config, "[server]\nlisten = \"127.0.0.1:0\"\n").unwrap();

    // The database answers 2 s after serve starts.
    let db_url = db.url();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        proxy_to_database(port, &db_url).await;
    });
    let started = Instant::now();
    let late_url = late.to_string();
    let mut served = tokio::task::spawn_blocking(move || serve(&config, Some(&late_url)))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "served before the database answered"
    );
    let health = reqwest::get(format!("{}/readyz", served.address))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let (code, _) = terminate(&mut served.child);
    assert_eq!(code, Some(0));
}
