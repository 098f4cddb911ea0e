//! The `tributary` binary as an operator uses it.

use std::process::Command;

use crate::support::{FeedServer, Route, TestDb, data};

pub(crate) fn tributary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tributary"));
    cmd.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    cmd
}

/// A config file in a directory of its own, removed when dropped.
pub(crate) struct TempConfig(std::path::PathBuf);

impl std::ops::Deref for TempConfig {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempConfig {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub(crate) fn write_config(text: &str) -> TempConfig {
    let dir = crate::support::temp_dir("cli");
    let path = dir.join("tributary.toml");
    std::fs::write(&path, text).unwrap();
    TempConfig(path)
}

#[test]
fn check_config_reports_unknown_keys_and_bad_durations() {
    let path = write_config("[poller]\nconcurrency = 4\nfrobnicate = 1\n");
    let out = tributary()
        .arg("--config")
        .arg(&path)
        .arg("check-config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("frobnicate") && err.contains("line 3"),
        "{err}"
    );

    let path = write_config("[poller]\ntimeout = \"soon\"\n");
    let out = tributary()
        .arg("--config")
        .arg(&path)
        .arg("check-config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("soon"));

    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/tributary.toml");
    let out = crate::support::run_ok(tributary().args(["--config", shipped, "check-config"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("saigon-daily.rss") && text.contains("config OK"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_once_prints_a_line_per_source_and_a_total() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml").with_etag("\"a\""),
    );
    server.route("/gone.rss", Route::status(500));
    let db = TestDb::new().await;
    let path = write_config(&format!(
        "[[sources]]\nurl = \"{}\"\n[[sources]]\nurl = \"{}\"\n",
        server.url("/vi.rss"),
        server.url("/gone.rss")
    ));
    let run = |args: &[&str]| {
        let out = tributary()
            .env("DATABASE_URL", db.url())
            .arg("--config")
            .arg(&path)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["poll", "--once"]);
    assert!(ok, "per-source failures are not fatal: {stderr}");
    assert!(stdout.contains("4 new"), "{stdout}");
    assert!(
        stdout.contains("FAILED") && stdout.contains("500"),
        "{stdout}"
    );
    assert!(
        stdout.contains("total: 2 sources (1 ok, 0 not modified, 1 failed)"),
        "{stdout}"
    );

    let (ok, stdout, _) = run(&["poll", "--once", "--all"]);
    assert!(ok);
    assert!(stdout.contains("not modified"), "{stdout}");

    // `poll` is never a daemon by accident: without --once it says so.
    let (ok, stdout, stderr) = run(&["poll"]);
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("--once"), "{stderr}");

    let (ok, stdout, stderr) = run(&[
        "sources",
        "add",
        "https://blog.example/feed.xml",
        "--title",
        "Blog",
        "--tag",
        "en",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("added source 3"), "{stdout}");
    let (ok, stdout, _) = run(&["sources", "list"]);
    assert!(ok);
    assert!(
        stdout.contains("https://blog.example/feed.xml") && stdout.contains("Blog"),
        "{stdout}"
    );
    let (ok, _, stderr) = run(&["sources", "add", "https://blog.example/feed.xml"]);
    assert!(!ok && stderr.contains("already"), "{stderr}");
    // The CLI checks what the API checks (it stored anything before).
    let long = "Tin dài ".repeat(50);
    let (ok, _, stderr) = run(&[
        "sources",
        "add",
        "https://other.example/rss",
        "--title",
        &long,
    ]);
    assert!(!ok && stderr.contains("title: longer than 300"), "{stderr}");
    let (ok, _, stderr) = run(&["sources", "add", "https://other.example/rss", "--tag", " "]);
    assert!(!ok && stderr.contains("tags: each tag"), "{stderr}");
    let (ok, stdout, _) = run(&["sources", "remove", "3"]);
    assert!(ok, "{stdout}");
    let (ok, _, stderr) = run(&["sources", "remove", "3"]);
    assert!(!ok && stderr.contains("no source with id 3"), "{stderr}");
}

#[test]
fn unreachable_database_is_fatal_with_a_clear_message() {
    let path = write_config("");
    let out = tributary()
        .env(
            "DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=2",
        )
        .arg("--config")
        .arg(&path)
        .args(["poll", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the database"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_are_one_object_per_line() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    let db = TestDb::new().await;
    let path = write_config(&format!(
        "[[sources]]\nurl = \"{}\"\n",
        server.url("/vi.rss")
    ));
    // The flag, and the environment (how a container is told).
    for from_env in [false, true] {
        let mut cmd = tributary();
        cmd.env("DATABASE_URL", db.url())
            .env("RUST_LOG", "info")
            .arg("--config")
            .arg(&path);
        if from_env {
            cmd.env("TRIBUTARY_LOG_FORMAT", "json");
        } else {
            cmd.args(["--log-format", "json"]);
        }
        let out = cmd.args(["poll", "--once", "--all"]).output().unwrap();
        assert!(out.status.success());
        assert_json_lines(&String::from_utf8_lossy(&out.stderr));
    }
}

fn assert_json_lines(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v.get("level").is_some() && v.get("timestamp").is_some(),
            "{line}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"source_id\":1") && l.contains("polled")),
        "a poll event names its source: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_sources_sync_adds_changes_disables_and_re_enables() {
    use tributary::sources::{SyncReport, sync_config};
    let db = TestDb::new().await;
    let sync = |toml: &str| {
        let config = crate::support::test_config(toml);
        let pool = db.pool.clone();
        async move { sync_config(&pool, &config.sources).await.unwrap() }
    };
    let a = "[[sources]]\nurl = \"https://a.example/rss\"\ntitle = \"Báo A\"\n";
    let b = "[[sources]]\nurl = \"https://b.example/rss\"\ntags = [\"vi\"]\n";
    let c = "[[sources]]\nurl = \"https://c.example/rss\"\n";
    let report = sync(&format!("{a}{b}{c}")).await;
    assert_eq!(
        report,
        SyncReport {
            added: 3,
            updated: 0,
            disabled: 0
        }
    );
    let ids: Vec<(i64, String)> = sqlx::query_as("SELECT id, url FROM sources ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let urls: Vec<&str> = ids.iter().map(|(_, u)| u.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://a.example/rss",
            "https://b.example/rss",
            "https://c.example/rss"
        ],
        "ids in the file's order"
    );
    // A restart with the same file changes nothing.
    assert_eq!(sync(&format!("{a}{b}{c}")).await, SyncReport::default());
    // A title changed, a source removed.
    let a2 = a.replace("Báo A", "Báo A mới");
    let report = sync(&format!("{a2}{b}")).await;
    assert_eq!(
        report,
        SyncReport {
            added: 0,
            updated: 1,
            disabled: 1
        }
    );
    let (title,): (Option<String>,) =
        sqlx::query_as("SELECT title FROM sources WHERE url = 'https://a.example/rss'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(title.as_deref(), Some("Báo A mới"));
    let (enabled, reason): (bool, Option<String>) = sqlx::query_as(
        "SELECT enabled, disabled_reason FROM sources WHERE url = 'https://c.example/rss'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        !enabled && reason.is_some(),
        "removed from the file: disabled, kept"
    );
    // Listed again: enabled again, same id.
    let report = sync(&format!("{a2}{b}{c}")).await;
    assert_eq!(
        report,
        SyncReport {
            added: 0,
            updated: 1,
            disabled: 0
        }
    );
    let (id, enabled): (i64, bool) =
        sqlx::query_as("SELECT id, enabled FROM sources WHERE url = 'https://c.example/rss'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(enabled);
    assert_eq!(id, ids[2].0);
}

/// A deployment that polls from cron never runs `serve`: `poll --once`
/// does the housekeeping itself (expired entries, near-duplicate keys past
/// the story window's horizon, the grouping log), or the database would
/// grow without end.
#[tokio::test(flavor = "multi_thread")]
async fn poll_once_expires_old_entries_and_prunes_what_grouping_left() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    let db = TestDb::new().await;
    sqlx::query(
        "INSERT INTO near_keys (key, sort_at, entry_id, simhash)
         VALUES (42, now() - interval '60 days', 1, NULL)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO grouping_log (at, entry_ids) VALUES (now() - interval '2 hours', '{1}')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    // The feed's items are two days old and more (see support::fixture_dates).
    let path = write_config(&format!(
        "[retention]\nmax_age_days = 1\n[[sources]]\nurl = \"{}\"\n",
        server.url("/vi.rss")
    ));
    let out = tributary()
        .env("DATABASE_URL", db.url())
        .arg("--config")
        .arg(&path)
        .args(["poll", "--once"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("4 new"), "{stdout}");

    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(
        count("SELECT count(*) FROM entries WHERE sort_at < now() - interval '1 day'").await,
        0,
        "expired entries are deleted"
    );
    assert!(count("SELECT count(*) FROM tombstones").await >= 1);
    assert_eq!(
        count("SELECT count(*) FROM near_keys WHERE sort_at < now() - interval '30 days'").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM grouping_log WHERE at < now() - interval '1 hour'").await,
        0
    );
}
