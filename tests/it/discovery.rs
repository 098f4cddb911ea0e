//! Feeds found from web pages over real HTTP: `POST /api/v1/discover`,
//! and a page's address added through the API, the config, an OPML import
//! or the CLI subscribing to the first feed the page links to.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::{tributary, write_config};
use crate::support::{FeedServer, Route, TestApp, TestDb, data, run_ok};

/// What `POST /api/v1/discover` answers for `url` (a 200).
async fn discover(app: &TestApp, url: &str) -> Value {
    let r = post(app, "/api/v1/discover", &json!({ "url": url })).await;
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// POSTs `body` as JSON with the write token.
async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.authed(Method::POST, path)
        .json(body)
        .send()
        .await
        .unwrap()
}

const ALLOW_PRIVATE: &str = "[poller]\nallow_private_networks = true\n";

/// A site: a home page linking to two feeds (relative hrefs, a `<base>`),
/// a page linking to none, the feeds themselves.
async fn site() -> FeedServer {
    let server = FeedServer::start().await;
    let home = r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
        <title>Báo Mẫu - Tin tức</title>
        <base href="/tin/">
        <link rel="stylesheet" href="/static/site.css">
        <link rel="alternate" hreflang="en" href="/en/" type="text/html">
        <link rel="alternate" type="application/rss+xml" title="Báo Mẫu - Thời sự" href="thoi-su.rss">
        <link rel="alternate" type="application/atom+xml" title="Báo Mẫu - Atom" href="/atom.xml">
        </head><body><h1>Báo Mẫu</h1><p>Trang chủ</p></body></html>"#;
    server.route(
        "/",
        Route::feed(home.as_bytes().to_vec(), "text/html; charset=utf-8"),
    );
    // A blog with one feed, a JSON Feed, its href relative to the page.
    let blog = r#"<html><head><title>Ghi chép</title>
        <link rel="alternate" type="application/feed+json" title="Ghi chép (JSON)" href="feed.json">
        </head><body><article><p>Bài mới</p></article></body></html>"#;
    server.route("/blog/", Route::feed(blog.as_bytes().to_vec(), "text/html"));
    let bare = "<!DOCTYPE html><html><head><title>Giới thiệu</title></head><body><p>Không có RSS.</p></body></html>";
    server.route(
        "/gioi-thieu",
        Route::feed(bare.as_bytes().to_vec(), "text/html"),
    );
    server.route(
        "/tin/thoi-su.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    server.route(
        "/atom.xml",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_lists_a_pages_feeds_in_order() {
    let server = site().await;
    let app = TestApp::spawn(ALLOW_PRIVATE).await;
    let found = discover(&app, &server.url("/")).await;
    assert_eq!(
        found,
        json!({ "items": [
            { "url": server.url("/tin/thoi-su.rss"), "title": "Báo Mẫu - Thời sự", "type": "application/rss+xml" },
            { "url": server.url("/atom.xml"), "title": "Báo Mẫu - Atom", "type": "application/atom+xml" },
        ]})
    );

    let found = discover(&app, &server.url("/blog/")).await;
    assert_eq!(
        found,
        json!({ "items": [
            { "url": server.url("/blog/feed.json"), "title": "Ghi chép (JSON)", "type": "application/feed+json" },
        ]})
    );

    // A feed's own address lists itself.
    let found = discover(&app, &server.url("/atom.xml")).await;
    assert_eq!(found["items"][0]["url"], server.url("/atom.xml"));
    assert_eq!(found["items"][0]["type"], "application/atom+xml");

    // A page without feeds, and one that cannot be fetched: 422, naming it.
    for path in ["/gioi-thieu", "/khong-co"] {
        let r = post(
            &app,
            "/api/v1/discover",
            &json!({ "url": server.url(path) }),
        )
        .await;
        assert_eq!(r.status(), 422, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&server.url(path)),
            "{problem}"
        );
    }

    // A token is needed, and the body must say what to look at.
    let r = app
        .http
        .post(format!("{}/api/v1/discover", app.address))
        .json(&json!({ "url": server.url("/") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    for body in [
        json!({}),
        json!({ "url": "ftp://example.com/" }),
        json!({ "url": 5 }),
    ] {
        let r = post(&app, "/api/v1/discover", &body).await;
        assert_eq!(r.status(), 400, "{body}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_keeps_to_public_addresses_unless_allowed() {
    let server = site().await;
    let app = TestApp::spawn("").await;
    let r = post(&app, "/api/v1/discover", &json!({ "url": server.url("/") })).await;
    assert_eq!(r.status(), 400);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("private"),
        "{problem}"
    );
    assert!(server.requests("/").is_empty(), "nothing was fetched");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_page_subscribes_to_its_first_feed() {
    let server = site().await;
    let app = TestApp::spawn(ALLOW_PRIVATE).await;
    let r = post(
        &app,
        "/api/v1/sources",
        &json!({ "url": server.url("/"), "tags": ["vn"], "full_text": true }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let source: Value = r.json().await.unwrap();
    assert_eq!(source["url"], server.url("/tin/thoi-su.rss"));
    assert_eq!(source["discovered_from"], server.url("/"));
    assert_eq!(source["full_text"], true);
    assert_eq!(source["tags"], json!(["vn"]));

    // The same page again is the same feed: a conflict naming it.
    let r = post(&app, "/api/v1/sources", &json!({ "url": server.url("/") })).await;
    assert_eq!(r.status(), 409);

    // A page without feeds is refused, naming it; nothing is added.
    let r = post(
        &app,
        "/api/v1/sources",
        &json!({ "url": server.url("/gioi-thieu") }),
    )
    .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("/gioi-thieu"),
        "{problem}"
    );
    let list = app.get_json("/api/v1/sources").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // A feed's address is added as it is.
    let r = post(
        &app,
        "/api/v1/sources",
        &json!({ "url": server.url("/atom.xml") }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let source: Value = r.json().await.unwrap();
    assert_eq!(source["discovered_from"], Value::Null);
    assert_eq!(source["full_text"], false);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_page_is_followed_to_its_feed_and_matched_on_restart() {
    let server = site().await;
    let toml = format!(
        "[[sources]]\nurl = \"{}\"\ntitle = \"Báo Mẫu\"\n[[sources]]\nurl = \"{}\"\n",
        server.url("/"),
        server.url("/gioi-thieu")
    );
    let app = TestApp::spawn(&toml).await;
    let reports = app.poll_all().await;
    assert!(
        matches!(reports[0].outcome, tributary::poller::PollOutcome::Fetched { new, .. } if new > 0),
        "the page's feed is polled at once: {:?}",
        reports[0]
    );
    let sources = app.get_json("/api/v1/sources").await;
    let followed = &sources["items"][0];
    assert_eq!(followed["url"], server.url("/tin/thoi-su.rss"));
    assert_eq!(followed["discovered_from"], server.url("/"));
    assert_eq!(followed["title"], "Báo Mẫu");
    assert!(followed["entry_count"].as_i64().unwrap() > 0);
    // A page without feeds is a failed poll that says why.
    let lost = &sources["items"][1];
    assert_eq!(lost["url"], server.url("/gioi-thieu"));
    assert!(
        lost["last_error"]
            .as_str()
            .unwrap()
            .contains("links to no feed"),
        "{lost}"
    );

    // The next start with the same file: the page is the same source.
    let db = app.stop().await;
    let config = crate::support::test_config(&toml);
    let report = tributary::sources::sync_config(&db.pool, &config.sources)
        .await
        .unwrap();
    assert_eq!((report.added, report.disabled), (0, 0));
    let (count, enabled): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE enabled) FROM sources")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((count, enabled), (2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_page_is_followed_to_its_feed() {
    let server = site().await;
    let app = TestApp::spawn(ALLOW_PRIVATE).await;
    let opml = format!(
        r#"<?xml version="1.0"?><opml version="2.0"><body>
        <outline text="Báo Mẫu" type="rss" xmlUrl="{}"/>
        </body></opml>"#,
        server.url("/")
    );
    let r = app
        .authed(Method::POST, "/api/v1/opml")
        .header("content-type", "text/x-opml")
        .body(opml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.poll_all().await;
    let sources = app.get_json("/api/v1/sources").await;
    assert_eq!(sources["items"][0]["url"], server.url("/tin/thoi-su.rss"));
    assert_eq!(sources["items"][0]["discovered_from"], server.url("/"));
    app.shutdown().await;
}

#[test]
fn the_cli_adds_a_pages_feed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (server, db) = rt.block_on(async { (site().await, TestDb::new().await) });
    let config = write_config(&format!("[database]\nurl = \"{}\"\n", db.url()));
    let out = run_ok(tributary().arg("--config").arg(&config).args([
        "sources",
        "add",
        &server.url("/"),
        "--full-text",
    ]));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&server.url("/tin/thoi-su.rss")) && said.contains("found from"),
        "{said}"
    );
    let (url, page, full_text): (String, Option<String>, bool) = rt
        .block_on(
            sqlx::query_as("SELECT url, discovered_from, full_text FROM sources")
                .fetch_one(&db.pool),
        )
        .unwrap();
    assert_eq!(url, server.url("/tin/thoi-su.rss"));
    assert_eq!(page.as_deref(), Some(server.url("/").as_str()));
    assert!(full_text);
    let out = run_ok(
        tributary()
            .arg("--config")
            .arg(&config)
            .args(["sources", "list"]),
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains(&format!("(found from {}; full text)", server.url("/"))),
        "{listed}"
    );
    drop(server);
}
