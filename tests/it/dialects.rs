//! Every dialect the other readers read arrives (issue #18): each served
//! over HTTP and polled through the real path; leniency per field; and a
//! document whose entries are all lost is a failed poll, never "ok: 0 new".

use serde_json::Value;
use tributary::poller::PollOutcome;

use crate::support::{FeedServer, Route, TestApp, data, sources_toml};

/// Serves `files` (under tests/data/dialects), polls them once, and
/// returns the app and the stored titles and links per file.
async fn poll_files(files: &[&str]) -> (TestApp, Vec<Vec<(String, Option<String>)>>) {
    let server = FeedServer::start().await;
    let mut urls = vec![];
    for f in files {
        let kind = if f.ends_with(".json") {
            "application/feed+json"
        } else {
            "application/xml; charset=utf-8"
        };
        let path = format!("/{f}");
        server.route(&path, Route::feed(data(&format!("dialects/{f}")), kind));
        urls.push(server.url(&path));
    }
    let app = TestApp::spawn(&sources_toml(&urls)).await;
    for r in app.poll_all().await {
        assert!(
            matches!(r.outcome, PollOutcome::Fetched { .. }),
            "{}: {:?}",
            r.url,
            r.outcome
        );
    }
    let mut stored = vec![];
    for url in &urls {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT e.title, e.url FROM entries e JOIN sources s ON s.id = e.source_id
             WHERE s.url = $1 ORDER BY e.published_at DESC NULLS LAST, e.id",
        )
        .bind(url)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        stored.push(rows);
    }
    (app, stored)
}

/// The one text value `sql` selects.
async fn text_of(app: &TestApp, sql: &str) -> Option<String> {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Titles in alphabetical order (undated entries sort by first sight).
fn titles(rows: &[(String, Option<String>)]) -> Vec<&str> {
    let mut t: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
    t.sort_unstable();
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn every_row_of_the_dialect_table_arrives() {
    let files = [
        "atom03.xml",
        "userland.rss",
        "rdf-about.rdf",
        "no-version.rss",
        "atom10-mime.atom",
        "media-title.rss",
    ];
    let (app, stored) = poll_files(&files).await;
    // Atom 0.3: escaped HTML title made text, base64 content decoded.
    assert_eq!(
        titles(&stored[0]),
        ["Cầu Hoàng Văn Thụ thông xe", "Mưa lớn ở Đồ Sơn"]
    );
    let content = text_of(
        &app,
        "SELECT content_html FROM entries WHERE title LIKE 'Cầu Hoàng%'",
    )
    .await
    .unwrap_or_default();
    assert!(
        content.contains("Cầu nối nội thành với Thủy Nguyên."),
        "{content}"
    );
    // The Atom 0.3 feed's own title reaches the source.
    let source_title = text_of(
        &app,
        "SELECT feed_title FROM sources WHERE url LIKE '%atom03.xml'",
    )
    .await;
    assert_eq!(source_title.as_deref(), Some("Nhật ký Hải Phòng"));
    assert_eq!(titles(&stored[1]), ["Đảo Song Tử Tây đón đoàn công tác"]);
    // RSS 1.0: the item with only rdf:about, and the one with only a title.
    assert_eq!(
        titles(&stored[2]),
        ["Cầu Rồng phun lửa cuối tuần", "Đà Nẵng đón khách quốc tế"]
    );
    assert_eq!(titles(&stored[3]), ["Đại Nội mở cửa đêm"]);
    assert_eq!(titles(&stored[4]), ["Chợ nổi Cái Răng vào mùa"]);
    assert_eq!(titles(&stored[5]), ["Ruộng bậc thang mùa lúa chín"]);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_field_loses_that_field_never_the_entry_or_the_others() {
    let (app, stored) = poll_files(&["lenient.json", "lenient.atom"]).await;
    // JSON Feed: a numeric id, tags as a string, an attachment without a
    // media type, a number as content_html, an author as a bare name.
    assert_eq!(
        titles(&stored[0]),
        ["Bún chả và câu chuyện ẩm thực", "Phố cổ Hà Nội về đêm"]
    );
    let (guid, tags, enclosures): (Option<String>, Value, Value) = sqlx::query_as(
        "SELECT guid, to_jsonb(categories), to_jsonb(enclosures) FROM entries WHERE title LIKE 'Phố cổ%'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(guid.as_deref(), Some("1042"));
    assert_eq!(tags, serde_json::json!(["du lịch"]));
    assert!(enclosures.to_string().contains("1042.mp3"), "{enclosures}");
    // Atom: the entry whose content type is no media type keeps its title,
    // link and summary; the entries around it are untouched.
    assert_eq!(
        stored[1],
        [
            (
                "Lặn ngắm san hô Hòn Mun".to_owned(),
                Some("https://nhatrang.example/hon-mun".to_owned())
            ),
            (
                "Tháp Bà Ponagar".to_owned(),
                Some("https://nhatrang.example/thap-ba".to_owned())
            ),
            (
                "Vịnh Nha Trang lúc bình minh".to_owned(),
                Some("https://nhatrang.example/binh-minh".to_owned())
            ),
        ]
    );
    let summary = text_of(
        &app,
        "SELECT summary FROM entries WHERE title = 'Tháp Bà Ponagar'",
    )
    .await;
    assert_eq!(summary.as_deref(), Some("Di tích Chăm hơn nghìn năm tuổi."));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_of_which_nothing_is_stored_is_a_failed_poll_with_its_reason() {
    let server = FeedServer::start().await;
    server.route(
        "/empty.rss",
        Route::feed(data("dialects/all-empty.rss"), "application/rss+xml"),
    );
    server.route(
        "/some.rss",
        Route::feed(data("dialects/some-dropped.rss"), "application/rss+xml"),
    );
    let urls = [server.url("/empty.rss"), server.url("/some.rss")];
    let app = TestApp::spawn(&sources_toml(&urls)).await;
    let reports = app.poll_all().await;
    let report = |u: &str| reports.iter().find(|r| r.url == u).unwrap();

    // Three items, none storable: failed, with the reason.
    match &report(&urls[0]).outcome {
        PollOutcome::Failed { status, error } => {
            assert_eq!(*status, Some(200));
            assert!(
                error.contains("3 entries") && error.contains("3 empty"),
                "{error}"
            );
        }
        other => panic!("expected a failed poll, got {other:?}"),
    }
    // Two stored; one empty and one repeated are counted, not hidden.
    match &report(&urls[1]).outcome {
        PollOutcome::Fetched { new, dropped, .. } => {
            assert_eq!(*new, 2);
            assert_eq!((dropped.empty, dropped.duplicate), (1, 1));
        }
        other => panic!("expected a fetch, got {other:?}"),
    }
    let summary =
        tributary::commands::poll_summary(&reports, &[], std::time::Duration::from_secs(1));
    assert!(
        summary.contains(
            "2 new, 0 updated, 0 unchanged, 2 new stories, 2 dropped (1 empty, 1 duplicate)"
        ),
        "{summary}"
    );
    assert!(summary.contains("2 dropped, in"), "{summary}");

    // Source health, fetch log and metrics say the same.
    let sources = app.get_json("/api/v1/sources").await;
    let empty = sources["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["url"] == urls[0].as_str())
        .unwrap()
        .clone();
    assert_eq!(empty["last_status"], 200);
    assert!(
        empty["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("none could be stored"),
        "{empty}"
    );
    let log = app
        .get_json(&format!("/api/v1/sources/{}/fetches", empty["id"]))
        .await;
    assert_eq!(log["items"][0]["dropped"], 3, "{log}");
    assert_eq!(
        log["items"][0]["dropped_reasons"],
        serde_json::json!({"empty": 3})
    );
    let some_id = sources["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["url"] == urls[1].as_str())
        .unwrap()["id"]
        .clone();
    let log = app
        .get_json(&format!("/api/v1/sources/{some_id}/fetches"))
        .await;
    assert_eq!(log["items"][0]["dropped"], 2, "{log}");
    assert_eq!(
        log["items"][0]["dropped_reasons"],
        serde_json::json!({"empty": 1, "duplicate": 1})
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("tributary_polls_total{outcome=\"nothing_stored\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("tributary_entries_dropped_total{reason=\"empty\"}"));
    app.shutdown().await;
}
