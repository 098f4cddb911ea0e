//! The poller on the messy web: server wishes, redirects, hostile bodies,
//! SSRF, and several pollers sharing one database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tributary::poller::PollOutcome;
use tributary::poller::{Poller, Selection};

use crate::support::{
    FeedServer, Route, TestDb, data, db_with_sources, poll_all, sources_toml, test_config,
};

const RSS: &str = "application/rss+xml; charset=utf-8";

/// One pass over the sources that are due, as the serve loop makes.
async fn poll_due(db: &TestDb, config: &tributary::config::Config) -> usize {
    let ingestor = tributary::ingest::Ingestor::new(db.pool.clone(), &config.poller).unwrap();
    Poller::new(ingestor, &config.poller)
        .poll_once(Selection::Due)
        .await
        .unwrap()
        .reports
        .len()
}

async fn next_poll_at(db: &TestDb, id: i64) -> DateTime<Utc> {
    let (at,): (DateTime<Utc>,) = sqlx::query_as("SELECT next_poll_at FROM sources WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    at
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_on_429_is_honoured_with_no_early_retry() {
    let server = FeedServer::start().await;
    server.route(
        "/busy.rss",
        Route::status(429).header("Retry-After", "3600"),
    );
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/busy.rss")])).await;
    let before = Utc::now();
    poll_due(&db, &config).await;
    let next = next_poll_at(&db, 1).await;
    assert!(
        next >= before + chrono::Duration::seconds(3590),
        "next poll {next}"
    );
    assert_eq!(
        poll_due(&db, &config).await,
        0,
        "not due again before Retry-After"
    );
    assert_eq!(server.requests("/busy.rss").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_control_max_age_sets_the_earliest_next_poll() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), RSS).header("Cache-Control", "max-age=86400"),
    );
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/vi.rss")])).await;
    let before = Utc::now();
    poll_due(&db, &config).await;
    assert!(next_poll_at(&db, 1).await >= before + chrono::Duration::seconds(86_390));
}

#[tokio::test(flavor = "multi_thread")]
async fn gone_disables_the_source_with_a_reason() {
    let server = FeedServer::start().await;
    server.route("/gone.rss", Route::status(410));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/gone.rss")])).await;
    poll_all(&db.pool, &config).await;
    let (enabled, reason): (bool, Option<String>) =
        sqlx::query_as("SELECT enabled, disabled_reason FROM sources")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(!enabled);
    assert!(reason.unwrap().contains("410"));
    assert!(
        poll_all(&db.pool, &config).await.is_empty(),
        "disabled sources are not polled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_redirects_move_the_source_after_a_grace_period_temporary_never() {
    let server = FeedServer::start().await;
    server.route("/old.rss", Route::redirect(301, "/new.rss"));
    server.route("/new.rss", Route::feed(data("vi-news.rss"), RSS));
    server.route("/tmp.rss", Route::redirect(302, "/new2.rss"));
    server.route(
        "/new2.rss",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    let (db, config) = db_with_sources(&sources_toml(&[
        server.url("/old.rss"),
        server.url("/tmp.rss"),
    ]))
    .await;
    let url_of = |id: i64| {
        let pool = db.pool.clone();
        async move {
            let (u,): (String,) = sqlx::query_as("SELECT url FROM sources WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
            u
        }
    };
    for poll in 1..=3 {
        let reports = poll_all(&db.pool, &config).await;
        assert!(matches!(
            reports[0].outcome,
            PollOutcome::Fetched { .. } | PollOutcome::NotModified
        ));
        let moved = url_of(1).await == server.url("/new.rss");
        assert_eq!(
            moved,
            poll >= tributary::poller::REDIRECT_GRACE_POLLS as usize,
            "after poll {poll}"
        );
        assert_eq!(
            url_of(2).await,
            server.url("/tmp.rss"),
            "302 never moves a source"
        );
    }
    poll_all(&db.pool, &config).await;
    assert_eq!(
        server.requests("/old.rss").len(),
        3,
        "the old URL is no longer fetched"
    );
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM entries WHERE source_id = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 4, "moving does not duplicate entries");
}

#[tokio::test(flavor = "multi_thread")]
async fn redirect_loops_chains_endless_and_huge_bodies_fail_cleanly() {
    let server = FeedServer::start().await;
    server.route("/a", Route::redirect(302, "/b"));
    server.route("/b", Route::redirect(302, "/a"));
    for i in 0..7 {
        server.route(
            &format!("/hop{i}"),
            Route::redirect(302, &format!("/hop{}", i + 1)),
        );
    }
    server.route("/hop7", Route::feed(data("vi-news.rss"), RSS));
    let mut endless = Route::feed(vec![b'x'; 64 * 1024], RSS);
    endless.endless = true;
    server.route("/endless.rss", endless);
    server.route("/huge.rss", Route::feed(vec![b' '; 3_000_000], RSS));
    server.route("/ok.rss", Route::feed(data("vi-news.rss"), RSS));
    let urls = ["/a", "/hop0", "/endless.rss", "/huge.rss", "/ok.rss"].map(|p| server.url(p));
    let (db, config) = db_with_sources(&format!(
        "[poller]\nmax_body_bytes = 1000000\ntimeout = \"10s\"\n{}",
        sources_toml(&urls)
    ))
    .await;
    let reports = poll_all(&db.pool, &config).await;
    let error = |i: usize| match &reports[i].outcome {
        PollOutcome::Failed { error, .. } => error.clone(),
        other => panic!("source {} should fail: {other:?}", i + 1),
    };
    assert!(error(0).contains("redirect loop"), "{}", error(0));
    assert!(error(1).contains("too many redirects"), "{}", error(1));
    assert!(error(2).contains("larger than"), "{}", error(2));
    assert!(error(3).contains("larger than"), "{}", error(3));
    assert!(matches!(
        reports[4].outcome,
        PollOutcome::Fetched { new: 4, .. }
    ));
    assert!(
        reports[2].elapsed < Duration::from_secs(10),
        "cut off, not timed out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_sources_may_not_reach_private_addresses_unless_allowed() {
    let server = FeedServer::start().await;
    server.route("/vi.rss?api", Route::feed(data("vi-news.rss"), RSS));
    server.route("/vi.rss?cli", Route::feed(data("vi-news.rss"), RSS));
    let db = TestDb::new().await;
    for origin in ["api", "cli"] {
        let url = server.url("/vi.rss").replace("127.0.0.1", "localhost") + "?" + origin;
        sqlx::query("INSERT INTO sources (url, origin) VALUES ($1, $2)")
            .bind(url)
            .bind(origin)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let config = test_config("");
    let reports = poll_all(&db.pool, &config).await;
    match &reports[0].outcome {
        PollOutcome::Failed { error, .. } => {
            assert!(error.contains("no public address"), "{error}")
        }
        other => panic!("an API source must not reach localhost: {other:?}"),
    }
    assert!(
        matches!(reports[1].outcome, PollOutcome::Fetched { .. }),
        "operator sources may: {:?}",
        reports[1].outcome
    );
    assert_eq!(server.requests("/vi.rss?api").len(), 0, "nothing was sent");

    let allowed = test_config("[poller]\nallow_private_networks = true\n");
    let reports = poll_all(&db.pool, &allowed).await;
    assert!(
        reports
            .iter()
            .all(|r| !matches!(r.outcome, PollOutcome::Failed { .. })),
        "{reports:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_log_is_kept_per_source_and_served_by_the_api() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), RSS).with_etag("\"e\""),
    );
    let app = crate::support::TestApp::spawn(&sources_toml(&[server.url("/vi.rss")])).await;
    app.poll_all().await;
    app.poll_all().await;
    let log = app.get_json("/api/v1/sources/1/fetches").await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["status"], 304, "newest first");
    assert_eq!(items[1]["status"], 200);
    assert_eq!(items[1]["new_entries"], 4);
    assert!(items[1]["bytes"].as_i64().unwrap() > 1000);
    assert_eq!(app.get("/api/v1/sources/99/fetches").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_poller_processes_never_fetch_a_source_twice() {
    let server = FeedServer::start().await;
    let mut urls = Vec::new();
    for i in 0..12 {
        let mut r = Route::feed(data("vi-news.rss"), RSS);
        r.delay = Duration::from_millis(300);
        server.route(&format!("/s{i}.rss"), r);
        urls.push(server.url(&format!("/s{i}.rss")));
    }
    let db = TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("tributary-pollers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config_path = dir.join("tributary.toml");
    std::fs::write(
        &config_path,
        format!(
            "[poller]\nper_host_concurrency = 4\n{}",
            sources_toml(&urls)
        ),
    )
    .unwrap();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
            .env("DATABASE_URL", db.url())
            .env("RUST_LOG", "warn")
            .arg("--config")
            .arg(&config_path)
            .args(["poll", "--once", "--all"])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    for i in 0..12 {
        assert_eq!(
            server.requests(&format!("/s{i}.rss")).len(),
            1,
            "source {i} fetched once"
        );
    }
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM entries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 48);
}

#[tokio::test(flavor = "multi_thread")]
async fn per_host_limit_bounds_concurrent_fetches() {
    let server = FeedServer::start().await;
    let mut urls = Vec::new();
    for i in 0..6 {
        let mut r = Route::feed(data("vi-news.rss"), RSS);
        r.delay = Duration::from_millis(400);
        server.route(&format!("/h{i}.rss"), r);
        urls.push(server.url(&format!("/h{i}.rss")));
    }
    let (db, config) = db_with_sources(&format!(
        "[poller]\nper_host_concurrency = 2\n{}",
        sources_toml(&urls)
    ))
    .await;
    let started = std::time::Instant::now();
    poll_all(&db.pool, &config).await;
    // Six 400 ms fetches, two at a time, take at least three rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(1150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn feed_ttl_and_503_retry_after_dates_are_honoured() {
    let server = FeedServer::start().await;
    let with_ttl = String::from_utf8(data("vi-news.rss")).unwrap().replace(
        "<language>vi</language>",
        "<language>vi</language><ttl>180</ttl>",
    );
    server.route("/ttl.rss", Route::feed(with_ttl.into_bytes(), RSS));
    let later = Utc::now() + chrono::Duration::hours(5);
    server.route(
        "/maint.rss",
        Route::status(503).header(
            "Retry-After",
            &later.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
    );
    let (db, config) = db_with_sources(&sources_toml(&[
        server.url("/ttl.rss"),
        server.url("/maint.rss"),
    ]))
    .await;
    let before = Utc::now();
    poll_due(&db, &config).await;
    assert!(
        next_poll_at(&db, 1).await >= before + chrono::Duration::minutes(179),
        "<ttl> is 180 minutes"
    );
    assert!(
        next_poll_at(&db, 2).await >= later - chrono::Duration::seconds(1),
        "Retry-After date"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_500s_backs_off_exponentially_and_recovers() {
    let server = FeedServer::start().await;
    server.route("/flaky.rss", Route::status(500));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/flaky.rss")])).await;
    let mut waits = Vec::new();
    for _ in 0..4 {
        let before = Utc::now();
        poll_all(&db.pool, &config).await;
        waits.push((next_poll_at(&db, 1).await - before).num_seconds());
    }
    // 30 min, then 60, 120, 240 (±10% jitter).
    for (i, w) in waits.iter().enumerate() {
        let expected = 1800 * 2i64.pow(i as u32);
        assert!(
            (*w - expected).abs() <= expected / 10 + 2,
            "failure {}: waited {w}s, expected ~{expected}s",
            i + 1
        );
    }
    let (failures, error): (i32, Option<String>) =
        sqlx::query_as("SELECT consecutive_failures, last_error FROM sources")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(failures, 4);
    assert!(error.unwrap().contains("500"));

    server.route("/flaky.rss", Route::feed(data("vi-news.rss"), RSS));
    poll_all(&db.pool, &config).await;
    let (failures, error): (i32, Option<String>) =
        sqlx::query_as("SELECT consecutive_failures, last_error FROM sources")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((failures, error), (0, None), "healthy again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickling_body_hits_the_total_timeout() {
    let server = FeedServer::start().await;
    let mut slow = Route::feed(data("vi-news.rss"), RSS);
    slow.trickle = Some(Duration::from_millis(50));
    server.route("/trickle.rss", slow);
    server.route("/ok.rss", Route::feed(data("vi-news.rss"), RSS));
    let (db, config) = db_with_sources(&format!(
        "[poller]\ntimeout = \"2s\"\n{}",
        sources_toml(&[server.url("/trickle.rss"), server.url("/ok.rss")])
    ))
    .await;
    let reports = poll_all(&db.pool, &config).await;
    match &reports[0].outcome {
        PollOutcome::Failed { error, .. } => assert!(error.contains("timed out"), "{error}"),
        other => panic!("a body that never finishes must time out: {other:?}"),
    }
    assert!(
        reports[0].elapsed < Duration::from_secs(4),
        "{:?}",
        reports[0].elapsed
    );
    assert!(matches!(
        reports[1].outcome,
        PollOutcome::Fetched { new: 4, .. }
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_pollers_leases_expire_and_its_sources_are_picked_up() {
    let server = FeedServer::start().await;
    server.route("/a.rss", Route::feed(data("vi-news.rss"), RSS));
    server.route(
        "/b.rss",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    let (db, config) =
        db_with_sources(&sources_toml(&[server.url("/a.rss"), server.url("/b.rss")])).await;
    // Source 1 is held by a live poller; source 2 by one that died long ago.
    sqlx::query("UPDATE sources SET lease_until = now() + interval '10 minutes' WHERE id = 1")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE sources SET lease_until = now() - interval '1 minute' WHERE id = 2")
        .execute(&db.pool)
        .await
        .unwrap();
    let reports = poll_all(&db.pool, &config).await;
    assert_eq!(
        reports.iter().map(|r| r.source_id).collect::<Vec<_>>(),
        vec![2]
    );
    assert!(
        server.requests("/a.rss").is_empty(),
        "a leased source is not fetched twice"
    );
    let (lease,): (Option<DateTime<Utc>>,) =
        sqlx::query_as("SELECT lease_until FROM sources WHERE id = 2")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(lease, None, "the lease is released after the poll");
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_deletes_old_entries_and_tombstones_keep_them_out() {
    let server = FeedServer::start().await;
    server.route("/vi.rss", Route::feed(data("vi-news.rss"), RSS));
    server.route("/undated.rss", Route::feed(data("undated.rss"), RSS));
    let app = crate::support::TestApp::spawn(&sources_toml(&[
        server.url("/vi.rss"),
        server.url("/undated.rss"),
    ]))
    .await;
    app.poll_all().await;
    let count = |sql: &'static str| {
        let pool = app.db.pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(count("SELECT count(*) FROM entries").await, 7);

    // The Vietnamese items are two days old and more; the undated ones are first seen now.
    let before = app.cache_generation();
    let deleted = tributary::retention::sweep(&app.db.pool, 1, Utc::now())
        .await
        .unwrap();
    assert_eq!(deleted, 4);
    app.wait_for_change(before).await;
    assert_eq!(count("SELECT count(*) FROM entries").await, 3);
    assert_eq!(count("SELECT count(*) FROM entry_search").await, 3);
    assert_eq!(count("SELECT count(*) FROM tombstones").await, 4);
    assert_eq!(
        count("SELECT count(*) FROM stories").await,
        3,
        "stories left without entries go too"
    );
    assert_eq!(
        app.get_json("/feeds/all.json").await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // The source still lists the old items: they are not ingested again.
    let reports = app.poll_all().await;
    assert!(
        reports
            .iter()
            .all(|r| matches!(r.outcome, PollOutcome::Fetched { new: 0, .. })),
        "{reports:?}"
    );
    assert_eq!(count("SELECT count(*) FROM entries").await, 3);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fetch_log_keeps_the_newest_lines_of_each_source() {
    use tributary::poller::record::{FETCH_LOG_KEEP, FetchLogRow, SourceUpdate, finish_poll};
    let (db, _config) = db_with_sources(&sources_toml(&[
        "https://a.example/rss".to_owned(),
        "https://b.example/rss".to_owned(),
    ]))
    .await;
    let polls = FETCH_LOG_KEEP + 10;
    for n in 0..polls {
        for source in [1, 2] {
            let row = FetchLogRow {
                status: Some(304),
                duration_ms: n as i32,
                ..Default::default()
            };
            let update = SourceUpdate::NotModified {
                at: Utc::now(),
                status: 304,
                next_poll_at: Utc::now(),
            };
            finish_poll(&db.pool, source, &update, &row).await.unwrap();
        }
    }
    let kept: Vec<(i64, i64, i32, i32)> = sqlx::query_as(
        "SELECT source_id, count(*), min(duration_ms), max(duration_ms)
         FROM fetch_log GROUP BY source_id ORDER BY source_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let newest = (polls - FETCH_LOG_KEEP) as i32;
    assert_eq!(
        kept,
        [
            (1, FETCH_LOG_KEEP, newest, polls as i32 - 1),
            (2, FETCH_LOG_KEEP, newest, polls as i32 - 1)
        ]
    );
    let (status, failures): (Option<i32>, i32) =
        sqlx::query_as("SELECT last_status, consecutive_failures FROM sources WHERE id = 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((status, failures), (Some(304), 0));
}
