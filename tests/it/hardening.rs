//! Tributary tried as an attacker would: requests a feed or an API user
//! steers toward internal services, floods, oversized and endless input.
//!
//! Every server here is on 127.0.0.1, so "public" has to be simulated: the
//! fixture origin that stands for a site on the internet is let through
//! the guard by `[poller] allow_addresses = ["127.0.0.1:PORT"]` (an
//! address with a port opens that port alone); any other port of
//! 127.0.0.1 is the internal service an attacker aims at, and must never
//! receive a request.

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use tributary::startup::Role;

use crate::support::{FeedServer, Route, TestApp, test_config};

const WAIT: Duration = Duration::from_secs(30);
const SECRET: &str = "INTERNAL-ADMIN-SECRET: db_password=mật-khẩu-nội-bộ";

/// An RSS feed naming `hub`, whose self link is `topic`.
fn feed_naming_hub(hub: &str, topic: &str) -> Vec<u8> {
    let when = (Utc::now() - chrono::Duration::minutes(30)).to_rfc2822();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\
         <title>Tin Hải Phòng</title><link>https://baomoi.example/</link><description>Tin mới</description>\
         <atom:link rel=\"hub\" href=\"{}\"/><atom:link rel=\"self\" href=\"{topic}\"/>\
         <item><guid>{topic}#1</guid><title>Hải Phòng mở rộng cảng Lạch Huyện</title>\
         <link>https://baomoi.example/hp-cang.html</link><pubDate>{when}</pubDate>\
         <description>Cảng nước sâu Lạch Huyện đón thêm hai bến mới.</description></item>\
         </channel></rss>",
        hub.replace('&', "&amp;")
    )
    .into_bytes()
}

/// The internal service: answers anything with its secrets.
async fn internal_service() -> FeedServer {
    let internal = FeedServer::start().await;
    let mut answer = Route::status(403);
    answer.body = SECRET.as_bytes().to_vec();
    internal.route("/internal/admin?action=dump", answer);
    internal
}

async fn wait_for<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while started.elapsed() < WAIT {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within {WAIT:?}");
}

async fn add_source(app: &TestApp, url: &str) -> u16 {
    app.authed(Method::POST, "/api/v1/sources")
        .json(&serde_json::json!({ "url": url }))
        .send()
        .await
        .expect("add source")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_named_by_a_feed_is_asked_only_at_public_addresses_and_its_answer_is_never_shown() {
    let internal = internal_service().await;
    let port = internal.addr().port();
    let origin = FeedServer::start().await;
    let target = format!("127.0.0.1:{port}/internal/admin?action=dump");
    // Every spelling of the internal address the attack used, and a
    // "public" hub that answers 307 to it.
    let hubs = [
        format!("http://{target}"),
        format!("http://2130706433:{port}/internal/admin?action=dump"),
        format!("http://[::ffff:7f00:1]:{port}/internal/admin?action=dump"),
        format!("http://[::127.0.0.1]:{port}/internal/admin?action=dump"),
        origin.url("/hub-redirects"),
        origin.url("/hub-refuses"),
    ];
    origin.route(
        "/hub-redirects",
        Route::redirect(307, &format!("http://{target}")),
    );
    let mut refusal = Route::status(403);
    refusal.body = b"HUB-BODY: internal details of the hub".to_vec();
    origin.route("/hub-refuses", refusal);
    for (i, hub) in hubs.iter().enumerate() {
        let path = format!("/f{i}.rss");
        origin.route(
            &path,
            Route::feed(
                feed_naming_hub(hub, &origin.url(&path)),
                "application/rss+xml",
            ),
        );
    }
    let config = test_config(&format!(
        "[poller]\nmin_interval = \"1s\"\nallow_addresses = [\"127.0.0.1:{}\"]\n[websub]\nsubscribe = true\n",
        origin.addr().port()
    ));
    let app = TestApp::spawn_as(config, Role::All).await;
    for i in 0..hubs.len() {
        assert_eq!(
            add_source(&app, &origin.url(&format!("/f{i}.rss"))).await,
            201
        );
    }
    async fn failed(app: &TestApp) -> Vec<serde_json::Value> {
        {
            let list = app
                .authed(Method::GET, "/api/v1/websub")
                .send()
                .await
                .expect("websub")
                .json::<serde_json::Value>()
                .await
                .expect("json");
            list["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s["role"] == "subscriber" && s["state"] == "failed")
                .collect::<Vec<_>>()
        }
    }
    wait_for("every subscription attempt recorded", || async {
        failed(&app).await.len() == hubs.len()
    })
    .await;
    let subscriptions = failed(&app).await;
    assert!(
        internal.all_requests().is_empty(),
        "the internal service was reached: {:?}",
        internal.all_requests()
    );
    for s in &subscriptions {
        let error = s["last_error"].as_str().unwrap_or("");
        assert!(
            !error.contains("SECRET") && !error.contains("HUB-BODY"),
            "{s}"
        );
        if s["hub"] == origin.url("/hub-refuses") {
            assert_eq!(error, "the hub answered HTTP 403 Forbidden", "{s}");
        } else {
            assert!(error.contains("no public address"), "{s}");
        }
    }
    // The redirecting hub was asked; its redirect was not followed.
    assert_eq!(origin.requests("/hub-redirects").len(), 1);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sources_and_pages_an_api_user_names_are_refused_at_every_internal_spelling() {
    let internal = internal_service().await;
    let port = internal.addr().port();
    let origin = FeedServer::start().await;
    origin.route(
        "/moved.rss",
        Route::redirect(
            302,
            &format!("http://[::ffff:127.0.0.1]:{port}/internal/admin?action=dump"),
        ),
    );
    let config = test_config(&format!(
        "[poller]\nallow_addresses = [\"127.0.0.1:{}\"]\n",
        origin.addr().port()
    ));
    let app = TestApp::spawn_as(config, Role::Web).await;
    for url in [
        format!("http://127.0.0.1:{port}/internal/admin?action=dump"),
        format!("http://2130706433:{port}/internal/admin?action=dump"),
        format!("http://0x7f.0.0.1:{port}/internal/admin?action=dump"),
        format!("http://[::ffff:7f00:1]:{port}/internal/admin?action=dump"),
        format!("http://[64:ff9b::7f00:1]:{port}/internal/admin?action=dump"),
        format!("http://localhost:{port}/internal/admin?action=dump"),
    ] {
        let r = app
            .authed(Method::POST, "/api/v1/sources")
            .json(&serde_json::json!({ "url": url }))
            .send()
            .await
            .expect("add");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        assert!((400..500).contains(&status), "{url}: {status} {text}");
        assert!(!text.contains("SECRET"), "{url}: {text}");
        assert!(!text.contains("resolves"), "no DNS probe: {url}: {text}");
    }
    // A "public" feed that redirects inward is added, and its polls fail
    // at the hop that turns inward.
    assert_eq!(add_source(&app, &origin.url("/moved.rss")).await, 201);
    app.poll_all().await;
    let source = app.get_json("/api/v1/sources/1").await;
    let error = source["last_error"].as_str().unwrap_or("");
    assert!(error.contains("no public address"), "{source}");
    assert!(
        internal.all_requests().is_empty(),
        "{:?}",
        internal.all_requests()
    );
    app.shutdown().await;
}

/// `HTTP_PROXY` and its kin would have the proxy resolve names the guard
/// never sees: they are ignored; `[poller] proxy` is the one way.
#[tokio::test(flavor = "multi_thread")]
async fn proxies_come_from_the_config_never_from_the_environment() {
    let origin = FeedServer::start().await;
    origin.route(
        "/hp.rss",
        Route::feed(
            feed_naming_hub("", &origin.url("/hp.rss")),
            "application/rss+xml",
        ),
    );
    let proxy = FeedServer::start().await;
    let db = crate::support::TestDb::new().await;
    let run = |extra: &str| {
        let config = crate::cli::write_config(&format!(
            "[poller]\n{extra}\n[[sources]]\nurl = \"{}\"\n",
            origin.url("/hp.rss")
        ));
        let mut cmd = crate::cli::tributary();
        cmd.arg("--config")
            .arg(&*config)
            .args(["poll", "--once", "--all"])
            .env("DATABASE_URL", db.url());
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env(var, proxy.url(""));
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        let out = cmd.output().expect("run tributary");
        drop(config);
        out
    };
    let out = run("");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(origin.requests("/hp.rss").len(), 1, "fetched directly");
    assert!(
        proxy.all_requests().is_empty(),
        "{:?}",
        proxy.all_requests()
    );

    let out = run(&format!("proxy = \"{}\"", proxy.url("")));
    let _ = out;
    let through: Vec<String> = proxy.all_requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        through,
        vec![origin.url("/hp.rss")],
        "the configured proxy carried it"
    );
    assert_eq!(origin.requests("/hp.rss").len(), 1, "and not directly");
}

/// Sends a request head announcing `length` bytes of body and a few of
/// them, then waits for the answer without sending the rest.
async fn stalled_upload(address: &str, path: &str, length: u64, token: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/x-opml\r\n{auth}Content-Length: {length}\r\n\r\n<?xml version=\"1.0\"?><opml"
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(WAIT, stream.read(&mut answer))
        .await
        .expect("an answer before the body is sent")
        .expect("read");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_refused_before_their_body_is_read_and_a_stalled_body_times_out() {
    let mut config = test_config("[websub]\nhub = \"builtin\"\n");
    config.server.body_timeout = Duration::from_secs(2);
    let app = TestApp::spawn_with(config).await;
    // No token: 401 at once, whatever the announced size; the body is
    // never waited for (a hundred of them at once).
    let answers = futures_util::future::join_all(
        (0..100).map(|_| stalled_upload(&app.address, "/api/v1/opml", 8_388_608, None)),
    )
    .await;
    for a in &answers {
        assert!(a.starts_with("HTTP/1.1 401"), "{a}");
    }
    // Announced past the limit: 413 before a byte of it is read, with or
    // without a token, and on the hub, which takes no token.
    for (path, length, token) in [
        ("/api/v1/opml", 9_000_000, Some(crate::support::TOKEN)),
        ("/api/v1/sources", 1_000_000, Some(crate::support::TOKEN)),
        ("/websub/hub", 1_000_000, None),
    ] {
        let a = stalled_upload(&app.address, path, length, token).await;
        assert!(a.starts_with("HTTP/1.1 413"), "{path}: {a}");
    }
    // Within the limit but never finished: 408 after body_timeout.
    let a = stalled_upload(
        &app.address,
        "/api/v1/opml",
        100_000,
        Some(crate::support::TOKEN),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 408"), "{a}");
    assert!(a.contains("not received within 2 s"), "{a}");
    let a = stalled_upload(&app.address, "/websub/hub", 1_000, None).await;
    assert!(a.starts_with("HTTP/1.1 408"), "{a}");
    app.shutdown().await;
}

/// Asks our hub to send `all.rss` to `callback`: the answer's status.
async fn subscribe_at_hub(app: &TestApp, callback: &str) -> u16 {
    app.http
        .post(format!("{}/websub/hub", app.address))
        .form(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", "http://tributary.test/feeds/all.rss"),
            ("hub.callback", callback),
        ])
        .send()
        .await
        .expect("hub request")
        .status()
        .as_u16()
}

/// The attack: many callback names that all resolve to one victim. Here
/// the names are `localhost` and the address itself, spelled three ways.
#[tokio::test(flavor = "multi_thread")]
async fn hub_verifications_are_limited_per_resolved_address_whatever_the_name() {
    let victim = crate::support::Receiver::start().await;
    let port = victim
        .url("")
        .trim_start_matches("http://127.0.0.1:")
        .to_owned();
    let app =
        TestApp::spawn("[poller]\nallow_private_networks = true\n[websub]\nhub = \"builtin\"\n")
            .await;
    let spellings = [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://2130706433:{port}"),
        format!("http://127.1:{port}"),
    ];
    let mut statuses = Vec::new();
    for i in 0..60 {
        let callback = format!("{}/cb{i}", spellings[i % spellings.len()]);
        statuses.push(subscribe_at_hub(&app, &callback).await);
    }
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert_eq!(accepted, 30, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 30);
    victim
        .wait_until(WAIT, "the accepted verifications", |r| r.len() >= 30)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        victim.received().len(),
        30,
        "one GET per accepted request, no more"
    );
    app.shutdown().await;
}

/// An RSS feed of `n` items, newest first, an hour apart.
fn big_feed(n: usize, description: &str) -> Vec<u8> {
    let now = Utc::now();
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<item><guid>tin-{i}</guid><title>Tin Trường Sa số {i}</title>\
                 <link>https://baomoi.example/tin-{i}.html</link>\
                 <pubDate>{}</pubDate><description>{description}</description></item>",
                (now - chrono::Duration::hours(i as i64 + 1)).to_rfc2822()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>Báo lớn</title><link>https://baomoi.example/</link><description>x</description>{items}</channel></rss>"
    )
    .into_bytes()
}

async fn source_with(
    feed: Vec<u8>,
    poller: &str,
) -> (
    FeedServer,
    crate::support::TestDb,
    tributary::config::Config,
) {
    let server = FeedServer::start().await;
    server.route("/big.rss", Route::feed(feed, "application/rss+xml"));
    let (db, config) = crate::support::db_with_sources(&format!(
        "[poller]\n{poller}\n[[sources]]\nurl = \"{}\"\n",
        server.url("/big.rss")
    ))
    .await;
    (server, db, config)
}

async fn titles_stored(db: &crate::support::TestDb) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM entries ORDER BY published_at DESC")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_fetch_reads_and_stores_at_most_its_limits_newest_first_and_counts_the_rest() {
    use tributary::poller::PollOutcome;
    let (_server, db, config) = source_with(
        big_feed(2_000, "Cảng Lạch Huyện đón tàu."),
        "max_items_per_document = 300\nmax_entries_per_fetch = 100",
    )
    .await;
    let reports = crate::support::poll_all(&db.pool, &config).await;
    match &reports[0].outcome {
        PollOutcome::Fetched { new, dropped, .. } => {
            assert_eq!(*new, 100);
            // 1,700 never read, 200 read but not stored in this fetch.
            assert_eq!(dropped.over_limit, 1_900, "{dropped:?}");
        }
        other => panic!("{other:?}"),
    }
    let titles = titles_stored(&db).await;
    assert_eq!(
        titles.first().map(String::as_str),
        Some("Tin Trường Sa số 0")
    );
    assert_eq!(
        titles.last().map(String::as_str),
        Some("Tin Trường Sa số 99")
    );
    let reasons: serde_json::Value =
        sqlx::query_scalar("SELECT dropped_reasons FROM fetch_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(reasons, serde_json::json!({ "over_limit": 1_900 }));
    // The next fetch takes the next hundred of those it reads.
    crate::support::poll_all(&db.pool, &config).await;
    let titles = titles_stored(&db).await;
    assert_eq!(titles.len(), 200);
    assert_eq!(
        titles.last().map(String::as_str),
        Some("Tin Trường Sa số 199")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_million_empty_items_fail_the_poll_clearly_after_reading_only_the_first_ones() {
    use tributary::poller::PollOutcome;
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>Rỗng</title>{}</channel></rss>",
        "<item/>".repeat(1_000_000)
    );
    let (_server, db, config) = source_with(doc.into_bytes(), "").await;
    let reports = crate::support::poll_all(&db.pool, &config).await;
    match &reports[0].outcome {
        PollOutcome::Failed { error, .. } => {
            assert!(error.contains("none could be stored"), "{error}");
            assert!(error.contains("995000 over_limit"), "{error}");
            assert!(error.contains("5000 empty"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert!(titles_stored(&db).await.is_empty(), "nothing is stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_html_is_cleaned_in_linear_time_and_its_text_kept() {
    let nested = format!(
        "{}Hải Phòng mở rộng cảng{}",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let escaped = nested.replace('<', "&lt;").replace('>', "&gt;");
    let (_server, db, config) = source_with(big_feed(1, &escaped), "").await;
    // 25 s of CPU per item before the depth bound (quadratic); no timing
    // is asserted here, a regression shows as a test that runs for minutes.
    let reports = crate::support::poll_all(&db.pool, &config).await;
    assert!(
        matches!(
            reports[0].outcome,
            tributary::poller::PollOutcome::Fetched { new: 1, .. }
        ),
        "{:?}",
        reports[0].outcome
    );
    let html: String = sqlx::query_scalar("SELECT content_html FROM entries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(html.contains("Hải Phòng mở rộng cảng"));
    assert!(html.matches("<div>").count() <= tributary::html_nesting::MAX_DEPTH);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_that_outlasts_the_processing_budget_fails_the_poll_and_stores_nothing() {
    use tributary::poller::PollOutcome;
    let (_server, db, config) = source_with(
        big_feed(
            2_000,
            "&lt;p&gt;Đảng ủy thành phố &lt;b&gt;họp&lt;/b&gt;&lt;/p&gt;",
        ),
        "processing_timeout = \"1ms\"",
    )
    .await;
    let reports = crate::support::poll_all(&db.pool, &config).await;
    match &reports[0].outcome {
        PollOutcome::Failed { error, .. } => {
            assert!(error.contains("poller.processing_timeout"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert!(titles_stored(&db).await.is_empty(), "nothing is stored");
    let error: Option<String> = sqlx::query_scalar("SELECT last_error FROM sources")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(error.is_some_and(|e| e.contains("took longer than")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poll_that_works_past_its_lease_keeps_the_source_from_other_pollers() {
    use tributary::poller::{Selection, lease};
    let (_server, db, _config) = source_with(big_feed(1, "x"), "").await;
    let lease_for = Duration::from_secs(3);
    let claimed = lease::claim(&db.pool, Selection::AllEnabled, 10, lease_for, None)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let pool = db.pool.clone();
    let work = async move {
        // Longer than the lease: without renewals it would lapse at 3 s.
        tokio::time::sleep(Duration::from_secs(5)).await;
        lease::claim(&pool, Selection::AllEnabled, 10, lease_for, None)
            .await
            .unwrap()
            .len()
    };
    let claimed_meanwhile = lease::held_while(&db.pool, claimed[0].id, lease_for, work).await;
    assert_eq!(
        claimed_meanwhile, 0,
        "a second poller claimed a source being polled"
    );
}

/// Malformed requests are answered 4xx and leave no ERROR in the log (a
/// client's mistake, and a way for anyone to fill the log).
#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_are_answered_and_not_logged_as_errors() {
    use std::io::{BufRead, BufReader};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = crate::support::TestDb::new().await;
    let config = crate::cli::write_config("[server]\nlisten = \"127.0.0.1:0\"\n");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .env_remove("RUST_LOG")
        .env("DATABASE_URL", db.url())
        .arg("--config")
        .arg(&*config)
        .args(["serve", "--role", "web"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let seen = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("serving on http://").nth(1) {
                let _ = tx.send(rest.split(' ').next().unwrap_or("").to_owned());
            }
            seen.lock().unwrap().push(line);
        }
    });
    let address = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve started");
    let long_uri = format!(
        "GET /feeds/{}.rss HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(40_000)
    );
    for request in [
        long_uri.as_str(),
        "GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        "GET /feeds/all.rss HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n",
        "BREW /\u{1}\u{2} HTCPCP/1.0\r\n\r\n",
    ] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let _ = stream.write_all(request.as_bytes()).await;
        let mut answer = vec![0u8; 1024];
        let n = tokio::time::timeout(WAIT, stream.read(&mut answer))
            .await
            .expect("an answer")
            .unwrap_or(0);
        let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{request:.60}: {answer}"
        );
    }
    // A request after them is served: the log has had time to be written.
    let ok = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = child.kill();
    let _ = child.wait();
    let logged = lines.lock().unwrap().clone();
    assert!(
        !logged.iter().any(|l| l.contains("ERROR")),
        "{}",
        logged.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_verifications_run_a_few_at_a_time_however_many_are_accepted() {
    // Each callback takes a second to answer (a slow or tarpitting victim).
    let slow = FeedServer::start().await;
    let mut answer = Route::status(404);
    answer.delay = Duration::from_secs(1);
    slow.fallback(answer);
    let app =
        TestApp::spawn("[poller]\nallow_private_networks = true\n[websub]\nhub = \"builtin\"\n")
            .await;
    for i in 0..24 {
        assert_eq!(
            subscribe_at_hub(&app, &slow.url(&format!("/cb{i}"))).await,
            202
        );
    }
    wait_for("every verification sent", || async {
        slow.all_requests().len() == 24
    })
    .await;
    let arrivals: Vec<std::time::Instant> = slow.all_requests().iter().map(|r| r.at).collect();
    // Within any half second, at most 8 verifications start: the 9th waits
    // for one of the first 8 to end, a second later.
    let most = arrivals
        .iter()
        .map(|a| {
            arrivals
                .iter()
                .filter(|b| **b >= *a && b.duration_since(*a) < Duration::from_millis(500))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!((1..=8).contains(&most), "{most} verifications at once");
    app.shutdown().await;
}
