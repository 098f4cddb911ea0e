//! Merged feeds as feed readers see them.

use std::collections::HashSet;

use crate::support::{FeedServer, Route, TestApp, data, sources_toml};

async fn app_with_sample_feeds() -> (FeedServer, TestApp) {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    server.route(
        "/wire.atom",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    server.route(
        "/delta.rss",
        Route::feed(data("wire-republished.rss"), "application/rss+xml"),
    );
    let toml = format!(
        "{}timezone = \"Asia/Ho_Chi_Minh\"\ntags = [\"vi\"]\n{}\n[[channels]]\nname = \"vietnam\"\ntags_any = [\"vi\"]\n",
        sources_toml(&[server.url("/vi.rss")]),
        sources_toml(&[server.url("/wire.atom"), server.url("/delta.rss")])
    );
    let app = TestApp::spawn(&toml).await;
    app.poll_all().await;
    (server, app)
}

/// One JSON Feed page: its item ids and the next page's URL, rewritten from
/// the public URL to the test server's address.
async fn json_feed_page(app: &TestApp, url: &str) -> (Vec<String>, Option<String>) {
    let page: serde_json::Value = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let next = page["next_url"]
        .as_str()
        .map(|n| n.replace("http://tributary.test", &app.address));
    (ids, next)
}

fn parse(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes).expect("our own output must parse")
}

#[tokio::test(flavor = "multi_thread")]
async fn merged_feeds_list_one_item_per_story_newest_first_crediting_sources() {
    let (_server, app) = app_with_sample_feeds().await;
    for (path, content_type) in [
        ("/feeds/all.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/all.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/all.json", "application/feed+json; charset=utf-8"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], content_type);
        assert!(r.headers().contains_key("etag") && r.headers().contains_key("last-modified"));
        let body = r.bytes().await.unwrap();
        let feed = parse(&body);
        // 4 Vietnamese entries + 4 English entries forming 2 stories.
        assert_eq!(feed.entries.len(), 6, "{path}");
        let dates: Vec<_> = feed.entries.iter().map(|e| e.published.unwrap()).collect();
        assert!(
            dates.windows(2).all(|w| w[0] >= w[1]),
            "{path} newest first: {dates:?}"
        );
        let ids: HashSet<_> = feed.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids.len(), 6, "{path} stable unique ids");
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("Đảng ủy thành phố Hải Phòng"), "{path}");
        assert!(
            !text.contains("<script") && !text.contains("&lt;script"),
            "{path}"
        );
        assert!(!text.contains("javascript:"), "{path}");
    }
    let rss = String::from_utf8(
        app.get("/feeds/all.rss")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        rss.contains("<source url=\"http://127.0.0.1:"),
        "RSS items name their source"
    );
    assert!(rss.contains("rel=\"self\""));
    let atom = String::from_utf8(
        app.get("/feeds/all.atom")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        atom.contains("<source>")
            && atom.contains("<title type=\"text\">Tin Nhanh Hải Phòng</title>")
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn channel_by_tag_carries_only_its_sources_and_unknown_channel_is_404() {
    let (_server, app) = app_with_sample_feeds().await;
    let feed = app.get_json("/feeds/vietnam.json").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i["_tributary"]["source"]["id"] == 1));
    let r = app.get("/feeds/nope.rss").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(app.get("/feeds/all.html").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_answer_304_to_etag_and_last_modified() {
    let (_server, app) = app_with_sample_feeds().await;
    let r = app.get("/feeds/all.atom").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
    let url = format!("{}/feeds/all.atom", app.address);
    let r = app
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = app
        .http
        .get(&url)
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = app
        .http
        .get(&url)
        .header("If-None-Match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_are_compressed_when_asked() {
    let (_server, app) = app_with_sample_feeds().await;
    let r = app
        .http
        .get(format!("{}/feeds/all.rss", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_with_next_links_yields_every_story_once() {
    let (_server, app) = app_with_sample_feeds().await;
    let mut url = format!("{}/feeds/all.json?limit=2", app.address);
    let mut seen = Vec::new();
    for _ in 0..10 {
        let (ids, next) = json_feed_page(&app, &url).await;
        seen.extend(ids);
        match next {
            Some(next) => url = next,
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!((seen.len(), unique.len()), (6, 6), "{seen:?}");

    let atom = String::from_utf8(
        app.get("/feeds/all.atom?limit=2")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(atom.contains("rel=\"next\""), "RFC 5005 next link");
    assert_eq!(app.get("/feeds/all.atom?limit=0").await.status(), 400);
    assert_eq!(app.get("/feeds/all.atom?cursor=forged").await.status(), 400);
    app.shutdown().await;
}

/// Whether the Python validators (feedparser, jsonschema) are installed.
/// Tests that need them skip, loudly, when they are not — unless
/// TRIBUTARY_REQUIRE_VALIDATORS is set, as CI does.
fn python_has(module: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("TRIBUTARY_REQUIRE_VALIDATORS").is_none(),
            "python3 module {module} is required (pip install {module})"
        );
        eprintln!("SKIPPED: python3 module {module} is not installed");
    }
    ok
}

/// Runs a Python script with a document as its first argument.
fn python_on(script: &str, document: &[u8], suffix: &str) -> serde_json::Value {
    let file = std::env::temp_dir().join(format!(
        "tributary-validate-{}-{}.{suffix}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::write(&file, document).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The merged RSS and Atom must parse cleanly in Python's feedparser
/// (`bozo == 0`), with our titles and sources.
#[tokio::test(flavor = "multi_thread")]
async fn feedparser_reads_rss_and_atom_without_warnings() {
    if !python_has("feedparser") {
        return;
    }
    let (_server, app) = app_with_sample_feeds().await;
    let stored = app.get_json("/feeds/all.json").await;
    for path in ["/feeds/all.rss", "/feeds/all.atom"] {
        let body = app.get(path).await.bytes().await.unwrap();
        let script = "import feedparser,sys,json,calendar\nd=feedparser.parse(sys.argv[1])\nprint(json.dumps({'bozo': int(bool(d.bozo)), 'exc': str(d.get('bozo_exception','')), 'n': len(d.entries), 'titles': [e.title for e in d.entries], 'links': [e.link for e in d.entries], 'published': [calendar.timegm(e.published_parsed) for e in d.entries], 'source': [e.get('source',{}).get('title') for e in d.entries]}))";
        let result = python_on(script, &body, "xml");
        assert_eq!(result["bozo"], 0, "{path}: {}", result["exc"]);
        assert_eq!(result["n"], 6, "{path}");
        assert!(
            result["titles"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "Trường Sa: ngư dân bám biển mùa gió chướng")
        );
        assert!(
            result["source"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "Tin Nhanh Hải Phòng"),
            "{path}: {result}"
        );
        // The same titles, links and dates as we stored (the JSON Feed shows them too).
        let items = stored["items"].as_array().unwrap();
        let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
        let links: Vec<&str> = items.iter().map(|i| i["url"].as_str().unwrap()).collect();
        let dates: Vec<i64> = items
            .iter()
            .map(|i| {
                chrono::DateTime::parse_from_rfc3339(i["date_published"].as_str().unwrap())
                    .unwrap()
                    .timestamp()
            })
            .collect();
        assert_eq!(result["titles"], serde_json::json!(titles), "{path}");
        assert_eq!(result["links"], serde_json::json!(links), "{path}");
        assert_eq!(result["published"], serde_json::json!(dates), "{path}");
    }
    app.shutdown().await;
}

/// The JSON Feed validates against a JSON Schema written from the 1.1 spec.
#[tokio::test(flavor = "multi_thread")]
async fn json_feed_validates_against_the_1_1_schema() {
    if !python_has("jsonschema") {
        return;
    }
    let (_server, app) = app_with_sample_feeds().await;
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/jsonfeed-1.1.schema.json"
    );
    let script = format!(
        "import json,sys,jsonschema\nschema=json.load(open({schema:?}))\ndoc=json.load(open(sys.argv[1]))\nv=jsonschema.Draft202012Validator(schema)\nprint(json.dumps([f\"{{list(e.absolute_path)}}: {{e.message}}\" for e in v.iter_errors(doc)]))"
    );
    for path in ["/feeds/all.json", "/feeds/all.json?limit=2"] {
        let body = app.get(path).await.bytes().await.unwrap();
        let errors = python_on(&script, &body, "json");
        assert_eq!(errors, serde_json::json!([]), "{path}");
    }
    // The schema is strict enough to catch a broken feed.
    let broken = br#"{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","date_published":"yesterday"}]}"#;
    assert_ne!(python_on(&script, broken, "json"), serde_json::json!([]));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_feeds_change_as_soon_as_new_entries_land() {
    let (server, app) = app_with_sample_feeds().await;
    let first = app.get("/feeds/all.rss").await.text().await.unwrap();
    assert!(!first.contains("(cập nhật)"));
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news-edited.rss"), "application/rss+xml"),
    );
    app.poll_all().await;
    let second = app.get("/feeds/all.rss").await.text().await.unwrap();
    assert!(second.contains("Đảng ủy thành phố Hải Phòng họp phiên thường kỳ tháng 11 (cập nhật)"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_feeds_and_their_304s_need_no_database() {
    let (_server, app) = app_with_sample_feeds().await;
    let r = app.get("/feeds/all.atom").await;
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body = r.bytes().await.unwrap();
    app.db.pool.close().await;
    let url = format!("{}/feeds/all.atom", app.address);
    let r = app
        .http
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = app.get("/feeds/all.atom").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), body);
    // What is not cached needs the database: a clear 503, never a 500.
    let r = app.get("/feeds/all.atom?limit=3").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["retry-after"], "5");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn brotli_and_gzip_bodies_decode_to_the_same_feed() {
    let (_server, app) = app_with_sample_feeds().await;
    let url = format!("{}/feeds/all.json", app.address);
    let plain = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let r = app
        .http
        .get(&url)
        .header("Accept-Encoding", "br;q=1, gzip;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut brotli::Decompressor::new(&r.bytes().await.unwrap()[..], 4096),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, plain);
    let r = app
        .http
        .get(&url)
        .header("Accept-Encoding", "gzip, br;q=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&r.bytes().await.unwrap()[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, plain);
    app.shutdown().await;
}

/// The Atom output validates against the RELAX NG schema of RFC 4287
/// (Appendix B), with jing; enclosures, authors and sources included.
#[tokio::test(flavor = "multi_thread")]
async fn atom_validates_against_the_rfc_4287_schema() {
    let has_jing = std::process::Command::new("jing")
        .arg("-h")
        .output()
        .is_ok();
    if !has_jing {
        assert!(
            std::env::var_os("TRIBUTARY_REQUIRE_VALIDATORS").is_none(),
            "jing is required (apt-get install jing)"
        );
        eprintln!("SKIPPED: jing is not installed");
        return;
    }
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/feeds");
    let app = TestApp::spawn(&format!(
        "{}[[sources]]\nurl = \"file://{examples}/tech-weekly.json\"\n[[sources]]\nurl = \"file://{examples}/hanoi-times.atom\"\n",
        sources_toml(&[server.url("/vi.rss")])
    ))
    .await;
    app.poll_all().await;
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/atom-rfc4287.rnc");
    for path in ["/feeds/all.atom", "/feeds/all.atom?limit=2"] {
        let body = app.get(path).await.bytes().await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        if path == "/feeds/all.atom" {
            assert!(text.contains("rel=\"enclosure\"") && text.contains("length=\"48213677\""));
        }
        let file = std::env::temp_dir().join(format!("tributary-jing-{}.atom", std::process::id()));
        std::fs::write(&file, &body).unwrap();
        let out = std::process::Command::new("jing")
            .arg("-c")
            .arg(schema)
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&file);
        assert!(
            out.status.success(),
            "{path} is not valid Atom:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        // What the appendix's Schematron rules add: every entry has an author.
        let entries: Vec<&str> = text.split("<entry>").skip(1).collect();
        assert!(!entries.is_empty());
        assert!(
            entries.iter().all(|e| e.contains("<author><name>")),
            "{path}"
        );
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_stays_exact_while_new_stories_arrive() {
    let (server, app) = app_with_sample_feeds().await;
    let before: HashSet<String> = app.get_json("/feeds/all.json").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let mut url = format!("{}/feeds/all.json?limit=2", app.address);
    let mut seen = Vec::new();
    for page_number in 0..10 {
        let (ids, next) = json_feed_page(&app, &url).await;
        seen.extend(ids);
        if page_number == 0 {
            // New stories land between the first and second page.
            server.route(
                "/undated.rss",
                Route::feed(data("undated.rss"), "application/rss+xml"),
            );
            tributary::sources::add(
                &app.db.pool,
                &tributary::sources::NewSource {
                    url: url::Url::parse(&server.url("/undated.rss")).unwrap(),
                    title: None,
                    tags: Default::default(),
                    origin: "cli",
                    full_text: false,
                    discovered_from: None,
                },
            )
            .await
            .unwrap();
            app.poll_all().await;
        }
        match next {
            Some(next) => url = next,
            None => break,
        }
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no story twice: {seen:?}");
    assert!(
        before.is_subset(&unique),
        "every story that was there is reached"
    );
    let (total,): (i64,) = sqlx::query_as("SELECT count(*) FROM stories")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(total, 9, "the new stories are there, above the walk");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn head_requests_get_the_headers_without_a_body() {
    let (_server, app) = app_with_sample_feeds().await;
    let r = app
        .http
        .head(format!("{}/feeds/all.atom", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("etag"));
    assert_eq!(
        r.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert!(r.bytes().await.unwrap().is_empty());
    app.shutdown().await;
}
