//! The REST API: listings, keyset pagination, errors as problems, health.

use std::collections::HashSet;

use crate::support::{FeedServer, Route, TOKEN, TestApp, at, data, sources_toml};

async fn app_with_entries() -> (FeedServer, TestApp) {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    server.route(
        "/wire.atom",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    let toml = format!(
        "{}tags = [\"vi\"]\n{}",
        sources_toml(&[server.url("/vi.rss")]),
        sources_toml(&[server.url("/wire.atom")])
    );
    let app = TestApp::spawn(&toml).await;
    app.poll_all().await;
    (server, app)
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_filter_by_source_time_tag_and_search() {
    let (_server, app) = app_with_entries().await;
    let all = app.get_json("/api/v1/entries").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 6);
    assert!(all["next_cursor"].is_null());
    let first = &all["items"][0];
    for field in [
        "id",
        "story_id",
        "source",
        "guid",
        "url",
        "title",
        "summary",
        "content_html",
        "authors",
        "categories",
        "enclosures",
        "published_at",
        "updated_at",
        "fetched_at",
        "alternates",
    ] {
        assert!(first.get(field).is_some(), "missing field {field}");
    }

    let by_source = app.get_json("/api/v1/entries?source=2").await;
    assert_eq!(by_source["items"].as_array().unwrap().len(), 2);
    let both = app.get_json("/api/v1/entries?source=1&source=2").await;
    assert_eq!(both["items"].as_array().unwrap().len(), 6);
    // Read source by source and merged: the same order as the whole
    // listing, a repeated source counted once, pages exactly once each.
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&both), ids(&all));
    let repeated = app
        .get_json("/api/v1/entries?source=2&source=1&source=2")
        .await;
    assert_eq!(ids(&repeated), ids(&all));
    let mut walked = Vec::new();
    let mut path = "/api/v1/entries?source=1&source=2&limit=4".to_owned();
    loop {
        let page = app.get_json(&path).await;
        walked.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/entries?source=1&source=2&limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(walked, ids(&all));
    let tagged = app.get_json("/api/v1/entries?tag=vi").await;
    assert_eq!(tagged["items"].as_array().unwrap().len(), 4);

    let split = at("2026-11-25T00:00:00Z").to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let since = app
        .get_json(&format!("/api/v1/entries?since={split}"))
        .await;
    let until = app
        .get_json(&format!("/api/v1/entries?until={split}"))
        .await;
    assert_eq!(
        since["items"].as_array().unwrap().len() + until["items"].as_array().unwrap().len(),
        6,
        "since is inclusive, until exclusive"
    );

    for q in ["hai phong", "Hai Phong", "hải phòng", "dang uy", "ĐẢNG ỦY"] {
        let found = app
            .get_json(&format!("/api/v1/entries?q={}", urlencode(q)))
            .await;
        let titles: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap())
            .collect();
        assert!(
            titles
                .iter()
                .any(|t| t.contains("Đảng ủy thành phố Hải Phòng")),
            "q={q}: {titles:?}"
        );
    }
    let none = app.get_json("/api/v1/entries?q=khongcotu").await;
    assert!(none["items"].as_array().unwrap().is_empty());
    app.shutdown().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn keyset_pages_yield_every_entry_once_while_new_entries_arrive() {
    let (server, app) = app_with_entries().await;
    let mut seen = Vec::new();
    let first = app.get_json("/api/v1/entries?limit=2").await;
    for i in first["items"].as_array().unwrap() {
        seen.push(i["id"].as_i64().unwrap());
    }
    // New entries land between pages: they are newer, so they do not shift the walk.
    server.route(
        "/delta.rss",
        Route::feed(data("wire-republished.rss"), "application/rss+xml"),
    );
    tributary::sources::add(
        &app.db.pool,
        &tributary::sources::NewSource {
            url: url::Url::parse(&server.url("/delta.rss")).unwrap(),
            title: None,
            tags: Default::default(),
            origin: "api",
            full_text: false,
            discovered_from: None,
        },
    )
    .await
    .unwrap();
    app.poll_all().await;
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page = app
            .get_json(&format!("/api/v1/entries?limit=2&cursor={c}"))
            .await;
        for i in page["items"].as_array().unwrap() {
            seen.push(i["id"].as_i64().unwrap());
        }
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice: {seen:?}");
    let (older,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM entries WHERE sort_at <= (SELECT sort_at FROM entries WHERE id = $1)",
    )
    .bind(seen[1])
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        seen.len() as i64,
        older + 1,
        "every entry at or below the first page, exactly once"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_parameters_are_400_problems_naming_the_parameter() {
    let (_server, app) = app_with_entries().await;
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("cursor=bogus", "cursor"),
        ("since=yesterday", "since"),
        ("until=2026-13-01", "until"),
        ("source=x", "source"),
        ("source=-1", "source"),
        ("channel=nope", "channel"),
        ("limit=1&limit=2", "limit"),
    ] {
        let r = app.get(&format!("/api/v1/entries?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["status"], 400);
        assert_eq!(body["parameter"], param, "{query}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(param),
            "{query}: {body}"
        );
    }
    let r = app.get("/api/v1/entries/abc").await;
    assert_eq!(r.status(), 400);
    let r = app.get("/api/v1/entries/999999").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(app.get("/api/v1/stories/999999").await.status(), 404);
    assert_eq!(app.get("/no/such/path").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sources_report_health_and_writes_need_the_token() {
    let (server, app) = app_with_entries().await;
    let list = app.get_json("/api/v1/sources").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "Tin Nhanh Hải Phòng");
    assert_eq!(items[0]["last_status"], 200);
    assert_eq!(items[0]["entry_count"], 4);
    for field in [
        "id",
        "url",
        "tags",
        "enabled",
        "disabled_reason",
        "last_polled_at",
        "last_error",
        "consecutive_failures",
        "next_poll_at",
        "leased_until",
    ] {
        assert!(items[0].get(field).is_some(), "missing {field}");
    }
    assert!(items[0]["leased_until"].is_null(), "no poll in flight");

    let url = format!("{}/api/v1/sources", app.address);
    let body = serde_json::json!({ "url": "https://news.example/rss", "title": "Báo Mới", "tags": ["vi"] });
    let r = app.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .post(&url)
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["title"], "Báo Mới");
    let r = app
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&created["id"].to_string())
    );
    for bad in [
        serde_json::json!({ "url": "ftp://x.example/" }),
        serde_json::json!({ "url": "http://127.0.0.1:9/feed" }),
        serde_json::json!({ "url": "file:///etc/passwd" }),
        serde_json::json!({ "nope": 1 }),
    ] {
        let r = app
            .http
            .post(&url)
            .bearer_auth(TOKEN)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = app
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Refresh polls now; delete takes the entries along.
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news-edited.rss"), "application/rss+xml"),
    );
    let r = app
        .http
        .post(format!("{url}/1/refresh"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (title,): (String,) =
        sqlx::query_as("SELECT title FROM entries WHERE identity = 'g:tn-1001'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(title.ends_with("(cập nhật)"));
    let r = app.http.delete(format!("{url}/1")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .delete(format!("{url}/1"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM entries WHERE source_id = 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    assert_eq!(
        app.http
            .delete(format!("{url}/1"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bug_is_a_500_with_a_request_id_and_an_outage_a_503() {
    let (_server, app) = app_with_entries().await;
    // Every answer carries its request id; a sane one from the caller is kept.
    let r = app.get("/api/v1/entries").await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "{id}");
    let r = app
        .get_with("/api/v1/channels", &[("X-Request-Id", "proxy-7f3a.1")])
        .await;
    assert_eq!(r.headers()["x-request-id"], "proxy-7f3a.1");

    // A statement that no longer fits the schema is a bug, not an outage:
    // a 500 naming the request id, with no SQL in the body.
    sqlx::query("ALTER TABLE entries RENAME COLUMN summary TO summary_gone")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let r = app.get("/api/v1/entries?tag=vi").await;
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(&id), "{detail}");
    assert!(!detail.contains("summary"), "no internals: {detail}");
    sqlx::query("ALTER TABLE entries RENAME COLUMN summary_gone TO summary")
        .execute(&app.db.pool)
        .await
        .unwrap();

    // A database that cannot be reached is a 503 to come back after.
    app.db.pool.close().await;
    let r = app.get("/api/v1/entries?tag=en").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_channels() {
    let (_server, app) = app_with_entries().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    // A pending migration makes the instance not ready, until it is applied.
    let mark = |ok: bool| {
        sqlx::query("UPDATE _sqlx_migrations SET success = $1 WHERE version = (SELECT max(version) FROM _sqlx_migrations)")
            .bind(ok)
            .execute(&app.db.pool)
    };
    mark(false).await.unwrap();
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("migrations are pending"));
    mark(true).await.unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
    let channels = app.get_json("/api/v1/channels").await;
    assert_eq!(channels["items"][0]["name"], "all");
    assert_eq!(
        channels["items"][0]["feeds"]["atom"],
        "http://tributary.test/feeds/all.atom"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn opml_export_lists_every_source_and_reimports() {
    let (_server, app) = app_with_entries().await;
    let r = app.get("/opml").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/x-opml")
    );
    let text = r.text().await.unwrap();
    let outlines = tributary::opml::parse(&text).unwrap();
    assert_eq!(outlines.len(), 2);
    assert_eq!(outlines[0].title.as_deref(), Some("Tin Nhanh Hải Phòng"));
    assert!(
        outlines
            .iter()
            .all(|o| o.url.starts_with("http://127.0.0.1:"))
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn opml_import_adds_new_sources_and_reports_the_rest() {
    let (_server, app) = app_with_entries().await;
    let url = format!("{}/api/v1/opml", app.address);
    let doc = r#"<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
        <outline text="Tin Việt">
          <outline text="VnExpress" xmlUrl="https://vnexpress.net/rss/tin-moi-nhat.rss"/>
          <outline text="Tuổi Trẻ" xmlUrl="https://tuoitre.vn/rss/tin-moi-nhat.rss"/>
        </outline>
        <outline text="Local" xmlUrl="http://192.168.1.10/feed"/>
        <outline text="Broken" xmlUrl="not a url"/>
        <outline text="{long}" xmlUrl="https://dai-dong.example/rss"/>
      </body></opml>"#
        .replace("{long}", &"Tin dài ".repeat(50));
    let r = app.http.post(&url).body(doc.clone()).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .body(doc.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = r.json().await.unwrap();
    assert_eq!(report["added"].as_array().unwrap().len(), 2);
    // An over-long title rejects its subscription with the reason, as
    // POST /api/v1/sources would (it was dropped silently before).
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3, "{report}");
    assert!(
        rejected
            .iter()
            .any(|r| r["url"] == "https://dai-dong.example/rss"
                && r["error"]
                    .as_str()
                    .unwrap()
                    .contains("title: longer than 300")),
        "{report}"
    );
    let again: serde_json::Value = app
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .body(doc.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["existing"].as_array().unwrap().len(), 2);
    let sources = app.get_json("/api/v1/sources").await;
    let vn = sources["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == "VnExpress")
        .unwrap();
    assert_eq!(vn["tags"], serde_json::json!(["Tin Việt"]));
    let r = app
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .body("<rss/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn framework_errors_are_problems_too() {
    let (_server, app) = app_with_entries().await;
    let huge = vec![b'x'; 400 * 1024];
    let r = app
        .http
        .post(format!("{}/api/v1/sources", app.address))
        .bearer_auth(TOKEN)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], 413);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn search_ranks_title_matches_first_and_pages_in_that_order() {
    let server = FeedServer::start().await;
    server.route(
        "/search.rss",
        Route::feed(data("search.rss"), "application/rss+xml"),
    );
    let app = TestApp::spawn(&sources_toml(&[server.url("/search.rss")])).await;
    app.poll_all().await;
    let all = app.get_json("/api/v1/entries?q=hai+phong").await;
    let guids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["guid"].as_str().unwrap())
        .collect();
    assert_eq!(
        guids,
        ["s2", "s1", "s3"],
        "title matches by recency, then body matches"
    );

    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/entries?q=hai+phong&limit=1&cursor={c}"),
            None => "/api/v1/entries?q=hai+phong&limit=1".to_owned(),
        };
        let page = app.get_json(&path).await;
        walked.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["guid"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(walked, ["s2", "s1", "s3"]);
    // A cursor is bound to what signed it: an edited one is refused.
    let page = app.get_json("/api/v1/entries?limit=1").await;
    let mut forged = page["next_cursor"].as_str().unwrap().to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let r = app
        .get(&format!("/api/v1/entries?limit=1&cursor={forged}"))
        .await;
    assert_eq!(r.status(), 400);
    app.shutdown().await;
}

/// Every served answer matches the schema the OpenAPI document gives for
/// that route and status (validated with Python's jsonschema).
#[tokio::test(flavor = "multi_thread")]
async fn served_responses_match_the_openapi_document() {
    let has_jsonschema = std::process::Command::new("python3")
        .args(["-c", "import jsonschema"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_jsonschema {
        assert!(
            std::env::var_os("TRIBUTARY_REQUIRE_VALIDATORS").is_none(),
            "jsonschema is required"
        );
        eprintln!("SKIPPED: python3 jsonschema is not installed");
        return;
    }
    let (_server, app) = app_with_entries().await;
    let doc = app.get("/api/openapi.json").await.text().await.unwrap();
    let dir = std::env::temp_dir().join(format!("tributary-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("openapi.json"), &doc).unwrap();

    let api = format!("{}/api/v1", app.address);
    let post = |url: String, body: serde_json::Value| {
        app.http.post(url).bearer_auth(TOKEN).json(&body).send()
    };
    let entry_id = app.get_json("/api/v1/entries").await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let story_id = app.get_json("/api/v1/entries").await["items"][0]["story_id"]
        .as_i64()
        .unwrap();
    let mut cases: Vec<(&str, &str, reqwest::Response)> = vec![
        (
            "/api/v1/entries",
            "get",
            app.get("/api/v1/entries?limit=2").await,
        ),
        (
            "/api/v1/entries",
            "get",
            app.get("/api/v1/entries?q=hai+phong").await,
        ),
        (
            "/api/v1/entries",
            "get",
            app.get("/api/v1/entries?limit=0").await,
        ),
        (
            "/api/v1/entries/{id}",
            "get",
            app.get(&format!("/api/v1/entries/{entry_id}")).await,
        ),
        (
            "/api/v1/entries/{id}",
            "get",
            app.get("/api/v1/entries/999999").await,
        ),
        (
            "/api/v1/stories/{id}",
            "get",
            app.get(&format!("/api/v1/stories/{story_id}")).await,
        ),
        ("/api/v1/sources", "get", app.get("/api/v1/sources").await),
        (
            "/api/v1/sources/{id}",
            "get",
            app.get("/api/v1/sources/1").await,
        ),
        (
            "/api/v1/sources/{id}/fetches",
            "get",
            app.get("/api/v1/sources/1/fetches").await,
        ),
        ("/api/v1/channels", "get", app.get("/api/v1/channels").await),
    ];
    let new_source = serde_json::json!({ "url": "https://news.example/feed", "tags": ["en"] });
    cases.push((
        "/api/v1/sources",
        "post",
        post(format!("{api}/sources"), new_source.clone())
            .await
            .unwrap(),
    ));
    cases.push((
        "/api/v1/sources",
        "post",
        post(format!("{api}/sources"), new_source).await.unwrap(),
    ));
    cases.push((
        "/api/v1/sources",
        "post",
        app.http
            .post(format!("{api}/sources"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
    ));
    cases.push((
        "/api/v1/sources/{id}/refresh",
        "post",
        app.http
            .post(format!("{api}/sources/1/refresh"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    ));
    let opml = r#"<opml version="2.0"><body><outline text="x" xmlUrl="https://x.example/rss"/></body></opml>"#;
    cases.push((
        "/api/v1/opml",
        "post",
        app.http
            .post(format!("{api}/opml"))
            .bearer_auth(TOKEN)
            .body(opml)
            .send()
            .await
            .unwrap(),
    ));

    let script = r#"
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
path, method, status = sys.argv[2], sys.argv[3], sys.argv[4]
body = json.load(open(sys.argv[5]))
responses = doc["paths"][path][method]["responses"]
if status not in responses:
    print(json.dumps([f"status {status} is not documented for {method} {path}"])); sys.exit()
content = responses[status].get("content", {})
schema = next(iter(content.values()))["schema"]
root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"], **schema}
v = jsonschema.Draft202012Validator(root)
print(json.dumps([f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(body)]))
"#;
    for (i, (path, method, response)) in cases.into_iter().enumerate() {
        let status = response.status().as_u16().to_string();
        let body = response.bytes().await.unwrap();
        let file = dir.join(format!("body-{i}.json"));
        std::fs::write(&file, &body).unwrap();
        let out = crate::support::run_ok(
            std::process::Command::new("python3")
                .args(["-c", script])
                .arg(dir.join("openapi.json"))
                .args([path, method, &status])
                .arg(&file),
        );
        let errors: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            errors,
            serde_json::json!([]),
            "{method} {path} → {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // The check has teeth: a body that breaks the schema is caught.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        br#"{"items": [{"id": "not a number"}], "next_cursor": null}"#,
    )
    .unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(dir.join("openapi.json"))
        .args(["/api/v1/entries", "get", "200"])
        .arg(&bad)
        .output()
        .unwrap();
    let errors: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(errors, serde_json::json!([]));
    let _ = std::fs::remove_dir_all(&dir);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_configured_token_writes_are_forbidden_not_open() {
    let mut config = crate::support::test_config("");
    config.server.api_token = None;
    let app = TestApp::spawn_with(config).await;
    let r = app
        .http
        .post(format!("{}/api/v1/sources", app.address))
        .bearer_auth("anything")
        .json(&serde_json::json!({ "url": "https://news.example/rss" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("TRIBUTARY_TEST_TOKEN"),
        "{problem}"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refreshing_a_disabled_source_is_a_conflict() {
    let (_server, app) = app_with_entries().await;
    tributary::sources::disable(&app.db.pool, 1, "testing")
        .await
        .unwrap();
    let r = app
        .http
        .post(format!("{}/api/v1/sources/1/refresh", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert!(problem["detail"].as_str().unwrap().contains("testing"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_exposed_in_prometheus_text_format() {
    let (_server, app) = app_with_entries().await;
    app.get("/api/v1/entries").await;
    app.get("/api/v1/entries/999999").await;
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    for needle in [
        "tributary_polls_total{outcome=\"ok\"}",
        "tributary_poll_duration_seconds_bucket{le=\"+Inf\"}",
        "tributary_poll_bytes_count",
        "tributary_entries_total{kind=\"new\"}",
        "tributary_entries_total{kind=\"deduplicated\"}",
        "tributary_http_requests_total{route=\"/api/v1/entries\",status=\"200\"}",
        "tributary_http_requests_total{route=\"/api/v1/entries/{id}\",status=\"404\"}",
        "tributary_http_request_duration_seconds_bucket{route=\"/api/v1/entries\",le=\"0.005\"}",
        "tributary_sources{health=\"healthy\"} 2",
        "tributary_scheduler_lag_seconds",
        "tributary_ungrouped_batches 0",
        "tributary_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // Every sample line is `name{labels} value` with a number.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_endpoints_allow_cross_origin_reads_and_writes_do_not() {
    let (_server, app) = app_with_entries().await;
    for path in ["/api/v1/entries", "/feeds/all.rss", "/api/v1/sources"] {
        let r = app
            .http
            .get(format!("{}{path}", app.address))
            .header("Origin", "https://reader.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["access-control-allow-origin"], "*", "{path}");
    }
    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/entries", app.address),
        )
        .header("Origin", "https://reader.example")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "if-none-match")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let write_preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/sources", app.address),
        )
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        write_preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let write = app
        .http
        .post(format!("{}/api/v1/sources", app.address))
        .header("Origin", "https://evil.example")
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "url": "https://x.example/rss" }))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 201);
    assert!(
        write.headers().get("access-control-allow-origin").is_none(),
        "no CORS on writes"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn search_pages_every_match_once_title_matches_first() {
    let (_server, app) = app_with_entries().await;
    // Many body matches in the last day, and a few older entries whose
    // titles hold both words: those come first, then the rest newest first.
    let (recent, old) = (1_200, 5);
    sqlx::query(
        "WITH ins AS (
            INSERT INTO entries (source_id, identity, title, summary, fetched_at, sort_at, raw_hash)
            SELECT 1, 'bulk-' || n, 'Bản tin ' || n, 'Tin Phú Quốc số ' || n, now(),
                   CASE WHEN n <= $1 THEN now() - make_interval(mins => n)
                        ELSE now() - make_interval(days => 40, mins => n) END,
                   decode(md5(n::text), 'hex')
            FROM generate_series(1, $1 + $2) n
            RETURNING id, source_id, sort_at)
         INSERT INTO entry_search (entry_id, source_id, sort_at, search)
         SELECT id, source_id, sort_at,
                search_document(CASE WHEN sort_at < now() - interval '30 days'
                     THEN '''phu'' ''quoc'' ''^phu'' ''^quoc'''::tsvector
                     ELSE '''ban'' ''tin'' ''phu'' ''quoc'' ''so'' ''^ban'' ''^tin'''::tsvector END,
                                sort_at)
         FROM ins",
    )
    .bind(recent)
    .bind(old)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let mut titles = Vec::new();
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = format!(
            "/api/v1/entries?q=phu+quoc&limit=500{}",
            cursor
                .as_ref()
                .map(|c| format!("&cursor={c}"))
                .unwrap_or_default()
        );
        let page = app.get_json(&url).await;
        for item in page["items"].as_array().unwrap() {
            assert!(seen.insert(item["id"].as_i64().unwrap()), "seen twice");
            titles.push(item["title"].as_str().unwrap().to_owned());
        }
        if cursor.is_none() {
            // Arrivals during the walk are newer than its position: not
            // listed, and nothing is listed twice because of them.
            sqlx::query(
                "WITH ins AS (
                    INSERT INTO entries (source_id, identity, title, fetched_at, sort_at, raw_hash)
                    VALUES (1, 'late', 'Bản tin mới', now(), now(), decode(md5('late'), 'hex'))
                    RETURNING id, source_id, sort_at)
                 INSERT INTO entry_search (entry_id, source_id, sort_at, search)
                 SELECT id, source_id, sort_at,
                        search_document('''ban'' ''tin'' ''moi'' ''phu'' ''quoc''', sort_at)
                 FROM ins",
            )
            .execute(&app.db.pool)
            .await
            .unwrap();
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = (recent + 1..=recent + old)
        .chain(1..=recent)
        .map(|n| format!("Bản tin {n}"))
        .collect();
    assert_eq!(titles.len(), expected.len(), "{:?}", &titles[..8]);
    assert!(
        titles == expected,
        "title matches newest first, then the rest newest first, each once: {:?}",
        &titles[..8]
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn search_reaches_back_as_far_as_the_matches_go() {
    let (_server, app) = app_with_entries().await;
    // A rare word: a few matches today, weeks, months and years ago, in
    // titles and in bodies only. The first probes (recent days) hold too
    // few, so each tier's search widens to months, then to the whole
    // archive, and finds every one.
    let title_ages = [0, 0, 1, 20, 45, 100, 300, 1100, 4000];
    let body_ages = [0, 50, 2000];
    let all = title_ages
        .iter()
        .map(|age| (age, "Tin Côn Đảo", "'tin' 'con' 'dao' '^tin' '^con' '^dao'"))
        .chain(
            body_ages
                .iter()
                .map(|age| (age, "Tin biển", "'tin' 'bien' 'con' 'dao' '^tin' '^bien'")),
        );
    for (n, (age, title, vector)) in all.enumerate() {
        sqlx::query(
            "WITH ins AS (
                INSERT INTO entries (source_id, identity, title, fetched_at, sort_at, raw_hash)
                VALUES (1, 'rare-' || $1, $3 || ' ' || $1, now(),
                        now() - make_interval(days => $2, mins => $1), decode(md5($1::text), 'hex'))
                RETURNING id, source_id, sort_at)
             INSERT INTO entry_search (entry_id, source_id, sort_at, search)
             SELECT id, source_id, sort_at, search_document($4::tsvector, sort_at) FROM ins",
        )
        .bind(n as i32)
        .bind(*age)
        .bind(title)
        .bind(vector)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    let page = app.get_json("/api/v1/entries?q=con+dao&limit=50").await;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..title_ages.len())
        .map(|n| format!("Tin Côn Đảo {n}"))
        .chain((0..body_ages.len()).map(|n| format!("Tin biển {}", n + title_ages.len())))
        .collect();
    assert_eq!(
        titles, expected,
        "every match: title matches newest first, then body matches"
    );
    // `since` bounds the range: the probe covering it is the last one.
    let since = (chrono::Utc::now() - chrono::Duration::days(60))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let page = app
        .get_json(&format!("/api/v1/entries?q=con+dao&since={since}"))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5 + 2);
    // A page boundary between the tiers: the cursor carries the tier.
    let page = app.get_json("/api/v1/entries?q=con+dao&limit=10").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!(
            "/api/v1/entries?q=con+dao&limit=10&cursor={cursor}"
        ))
        .await;
    let rest: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(rest, &expected[10..]);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_listings_come_from_memory_until_the_entries_change() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    let app = TestApp::spawn(&sources_toml(&[server.url("/vi.rss")])).await;
    app.poll_all().await;
    let first = app.get_json("/api/v1/entries?limit=50").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    // Served again without the database.
    sqlx::query("UPDATE entries SET title = 'changed behind our back'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let again = app.get_json("/api/v1/entries?limit=50").await;
    assert_eq!(again, first);
    // A poll that changes entries invalidates it (on every replica, by NOTIFY).
    let before = app.cache_generation();
    // The outlet edits its articles.
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news-edited.rss"), "application/rss+xml"),
    );
    app.poll_all().await;
    app.wait_for_change(before).await;
    let after = app.get_json("/api/v1/entries?limit=50").await;
    let titles: Vec<&str> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_ne!(after, first, "the listing was read again");
    assert!(titles.contains(&"changed behind our back"), "{titles:?}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vectors_written_before_title_marks_get_them_from_their_weights() {
    let (_server, app) = app_with_entries().await;
    // What migration 0009 does to a vector of an earlier version (title
    // words at weight A), and what every stored vector is made of.
    let (marks, document): (String, String) = sqlx::query_as(
        "SELECT search_title_marks(v)::text,
                search_document(v || search_title_marks(v), '2026-11-25T23:30:00-02:00')::text
         FROM (SELECT '''hai'':1A ''phong'':2A ''cang'':3 ''~d20261126'''::tsvector AS v) x",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(marks, "'^hai' '^phong'");
    for lexeme in ["'^20261126:hai'", "'^20261126:phong'", "'~m202611'"] {
        assert!(document.contains(lexeme), "{lexeme} in {document}");
    }
    assert!(!document.contains("'^20261126:cang'"), "{document}");
    app.shutdown().await;
}
