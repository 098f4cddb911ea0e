//! Leases across processes: a poller killed mid-poll gives its sources up at
//! once (its holder lock dies with its session), a live one keeps them, and
//! `poll --once` accounts for every source it was asked for.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{TempConfig, tributary, write_config};
use crate::support::{FeedServer, Route, TestDb, data, run_ok};

fn slow(delay: Duration) -> Route {
    let mut route = Route::feed(data("vi-news.rss"), "application/rss+xml");
    route.delay = delay;
    route
}

fn config_for(server: &FeedServer, paths: &[String]) -> TempConfig {
    // Every source in flight at once (they share one host), each fetch
    // given longer than the test takes.
    let mut text = String::from(
        "[server]\nlisten = \"127.0.0.1:0\"\n[poller]\nper_host_concurrency = 16\ntimeout = \"60s\"\n",
    );
    for path in paths {
        text.push_str(&format!("[[sources]]\nurl = \"{}\"\n", server.url(path)));
    }
    write_config(&text)
}

/// `serve --role poller` as its own process.
fn poller_process(config: &TempConfig, db: &TestDb) -> Child {
    tributary()
        .env("DATABASE_URL", db.url())
        .arg("--config")
        .arg(config)
        .args(["serve", "--role", "poller"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_until_requested(server: &FeedServer, paths: &[String]) {
    let started = Instant::now();
    while !paths.iter().all(|p| !server.requests(p).is_empty()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the poller never fetched them all"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn poll_once_all(config: &TempConfig, db: &TestDb) -> String {
    let out = run_ok(
        tributary()
            .env("DATABASE_URL", db.url())
            .arg("--config")
            .arg(config)
            .args(["poll", "--once", "--all"]),
    );
    String::from_utf8(out.stdout).unwrap()
}

fn total_line(summary: &str) -> &str {
    summary
        .lines()
        .find(|l| l.starts_with("total: "))
        .unwrap_or_else(|| panic!("no total line: {summary}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_pollers_sources_are_polled_at_once_by_the_next_run() {
    let server = FeedServer::start().await;
    let paths: Vec<String> = (0..6).map(|i| format!("/hang-{i}.rss")).collect();
    for p in &paths {
        server.route(p, slow(Duration::from_secs(90)));
    }
    let db = TestDb::new().await;
    let config = config_for(&server, &paths);
    let mut poller = poller_process(&config, &db);
    wait_until_requested(&server, &paths).await;
    // Killed in the middle of its polls: no shutdown, no lease given back.
    poller.kill().unwrap();
    poller.wait().unwrap();
    let (leased,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM sources WHERE lease_until > now()")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        leased, 6,
        "the dead poller's leases are still in force by time"
    );
    // PostgreSQL ends the dead process's session (and its holder lock) as
    // soon as it sees the connection closed: milliseconds.
    let started = Instant::now();
    while !tributary::metrics::render(&db.pool)
        .await
        .contains("tributary_sources_leased{state=\"orphaned\"} 6")
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the dead holder's lock outlived it"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for p in &paths {
        server.route(p, slow(Duration::ZERO));
    }
    let summary = poll_once_all(&config, &db);
    assert!(
        total_line(&summary).starts_with("total: 6 sources (6 ok, 0 not modified, 0 failed)"),
        "{summary}"
    );
    assert!(!summary.contains("skipped"), "{summary}");
    let counts: Vec<(i64,)> =
        sqlx::query_as("SELECT count(*) FROM entries GROUP BY source_id ORDER BY source_id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(counts.len(), 6, "every source stored its entries");
    assert!(counts[0].0 > 0 && counts.iter().all(|c| *c == counts[0]));
    // Each stored by this run, once: the killed poller stored nothing.
    let stored_now = format!("ok: {} new,", counts[0].0);
    assert_eq!(
        summary.lines().filter(|l| l.contains(&stored_now)).count(),
        6,
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_pollers_sources_are_left_to_it_and_counted_as_skipped() {
    let server = FeedServer::start().await;
    let held: Vec<String> = (0..3).map(|i| format!("/busy-{i}.rss")).collect();
    let free: Vec<String> = (0..2).map(|i| format!("/quick-{i}.rss")).collect();
    for p in &held {
        server.route(p, slow(Duration::from_secs(90)));
    }
    for p in &free {
        server.route(p, slow(Duration::ZERO));
    }
    let all: Vec<String> = held.iter().chain(&free).cloned().collect();
    let db = TestDb::new().await;
    let config = config_for(&server, &all);
    let mut poller = poller_process(&config, &db);
    wait_until_requested(&server, &all).await;
    // The quick ones done and recorded: a poll still being recorded holds
    // its lease, and would rightly be reported as skipped too.
    let started = Instant::now();
    loop {
        let (done,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM sources WHERE url LIKE '%/quick-%' AND lease_until IS NULL AND last_polled_at IS NOT NULL",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if done == 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the quick polls never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let summary = poll_once_all(&config, &db);
    let total = total_line(&summary);
    assert!(
        total.starts_with("total: 5 sources (2 ok, 0 not modified, 0 failed, 3 skipped: held by another poller until "),
        "{summary}"
    );
    for p in &held {
        let line = summary
            .lines()
            .find(|l| l.contains(&server.url(p)))
            .unwrap_or_else(|| panic!("no line for {p}: {summary}"));
        assert!(
            line.contains("skipped: another poller holds it until"),
            "{line}"
        );
        assert_eq!(
            server.requests(p).len(),
            1,
            "{p} was not taken from its live holder"
        );
    }

    // The same in the API's rows and the metrics.
    let sources = tributary::sources::list(&db.pool).await.unwrap();
    let leased: Vec<&str> = sources
        .iter()
        .filter(|s| s.leased_until.is_some())
        .map(|s| s.url.as_str())
        .collect();
    assert_eq!(leased.len(), 3, "{leased:?}");
    assert!(leased.iter().all(|u| u.contains("/busy-")), "{leased:?}");
    let metrics = tributary::metrics::render(&db.pool).await;
    assert!(
        metrics.contains("tributary_sources_leased{state=\"held\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tributary_sources_leased{state=\"orphaned\"} 0"),
        "{metrics}"
    );

    // Once the holder dies, its leases show as orphaned until taken.
    poller.kill().unwrap();
    poller.wait().unwrap();
    let started = Instant::now();
    loop {
        let metrics = tributary::metrics::render(&db.pool).await;
        if metrics.contains("tributary_sources_leased{state=\"orphaned\"} 3") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the dead holder's leases never showed as orphaned: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
