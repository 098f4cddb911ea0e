//! Full text over real HTTP: a teaser feed whose entries' article pages
//! (from the extraction evaluation set) are fetched, extracted and stored
//! as the entries' content, once per link; two outlets' teasers of one
//! article joining one story by their extracted text.

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::support::{FeedServer, Route, TestApp};

/// A page of the extraction evaluation set, as served.
fn page(id: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/extraction/pages/{id}.html"));
    std::fs::read(path).unwrap()
}

/// What a person calls the article of that page.
fn article(id: &str) -> String {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/data/extraction/expected/{id}.txt"));
    std::fs::read_to_string(path).unwrap()
}

/// An RSS feed of teasers: (title, link, one-sentence description), newest
/// first; guids by position, so that an item keeps its identity when its
/// link changes.
fn teasers(title: &str, items: &[(&str, String, &str)]) -> Vec<u8> {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>{title}</title><link>https://tin.example.vn/</link>"
    );
    for (i, (t, link, teaser)) in items.iter().enumerate() {
        let date = (Utc::now() - Duration::hours(i as i64 + 1)).to_rfc2822();
        out.push_str(&format!(
            "<item><title>{t}</title><link>{link}</link><guid isPermaLink=\"false\">tin-{i}</guid><pubDate>{date}</pubDate><description>{teaser}</description></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out.into_bytes()
}

async fn entries_by_url(app: &TestApp) -> std::collections::HashMap<String, Value> {
    let list = app.get_json("/api/v1/entries?limit=100").await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["url"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_teaser_feed_gets_its_articles_whole_once_per_link() {
    let server = FeedServer::start().await;
    server.route(
        "/bai/cau-vuot-bien.html",
        Route::feed(page("01"), "text/html; charset=utf-8"),
    );
    // windows-1258 bytes, declared only in the page's <meta>.
    server.route("/bai/da-nang.html", Route::feed(page("03"), "text/html"));
    server.route("/bai/storm.html", Route::feed(page("17"), "text/html"));
    server.route(
        "/bai/audio.mp3",
        Route::feed(b"ID3\x03".to_vec(), "audio/mpeg"),
    );
    let items = |first_link: &str| {
        teasers(
            "Tin nhanh",
            &[
                (
                    "Hải Phòng khởi công cầu vượt biển",
                    server.url(first_link),
                    "Cầu dài 5,4 km nối Cát Hải với Đình Vũ.",
                ),
                (
                    "Đà Nẵng mở lại đường ven biển",
                    server.url("/bai/da-nang.html"),
                    "Đường Hoàng Sa thông xe trở lại.",
                ),
                (
                    "Storm Bert",
                    server.url("/bai/storm.html"),
                    "Thousands without power in Wales.",
                ),
                (
                    "Bài đã gỡ",
                    server.url("/bai/khong-con.html"),
                    "Trang này không còn.",
                ),
                (
                    "Bản tin âm thanh",
                    server.url("/bai/audio.mp3"),
                    "Nghe bản tin sáng.",
                ),
            ],
        )
    };
    server.route(
        "/teasers.rss",
        Route::feed(items("/bai/cau-vuot-bien.html"), "application/rss+xml"),
    );
    let app = TestApp::spawn(&format!(
        "[[sources]]\nurl = \"{}\"\nfull_text = true\n",
        server.url("/teasers.rss")
    ))
    .await;
    app.poll_all().await;

    let entries = entries_by_url(&app).await;
    assert_eq!(
        entries.len(),
        5,
        "every entry stored, whatever its page gave"
    );
    let bridge = &entries[&server.url("/bai/cau-vuot-bien.html")];
    assert_eq!(bridge["content_source"], "extracted");
    assert_eq!(bridge["extraction_error"], Value::Null);
    // The feed's own summary stays; the content is the article, lead first.
    assert_eq!(bridge["summary"], "Cầu dài 5,4 km nối Cát Hải với Đình Vũ.");
    let html = bridge["content_html"].as_str().unwrap();
    for paragraph in article("01").lines() {
        let start: String = paragraph.chars().take(40).collect();
        assert!(html.contains(&start), "missing {paragraph:?} in {html}");
    }
    assert!(
        !html.contains("Ý kiến") && !html.contains("Xem nhiều"),
        "{html}"
    );
    // Links and images absolute, against the page.
    assert!(
        !html.contains("src=\"/") && !html.contains("href=\"/"),
        "{html}"
    );
    assert!(html.contains(&server.url("/images/01/anh-1.jpg")), "{html}");

    let da_nang = &entries[&server.url("/bai/da-nang.html")];
    assert_eq!(da_nang["content_source"], "extracted");
    assert!(
        da_nang["content_html"]
            .as_str()
            .unwrap()
            .contains("Lực lượng chức năng phải rào chắn toàn tuyến"),
        "windows-1258 decoded and NFC: {}",
        da_nang["content_html"]
    );
    assert_eq!(
        entries[&server.url("/bai/storm.html")]["content_source"],
        "extracted"
    );

    let gone = &entries[&server.url("/bai/khong-con.html")];
    assert_eq!(gone["content_source"], "feed");
    assert_eq!(
        gone["content_html"], "Trang này không còn.",
        "the feed's own text"
    );
    assert!(
        gone["extraction_error"].as_str().unwrap().contains("404"),
        "{gone}"
    );
    let audio = &entries[&server.url("/bai/audio.mp3")];
    assert!(
        audio["extraction_error"]
            .as_str()
            .unwrap()
            .contains("audio/mpeg"),
        "{audio}"
    );

    // The merged feeds carry the article.
    let feed = app.get_json("/feeds/all.json").await;
    let item = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["url"] == server.url("/bai/storm.html").as_str())
        .unwrap()
        .clone();
    assert!(
        item["content_html"]
            .as_str()
            .unwrap()
            .contains("Rail services suspended"),
        "{item}"
    );

    // Polled again, unchanged: no page is fetched again.
    app.poll_all().await;
    assert_eq!(server.requests("/bai/cau-vuot-bien.html").len(), 1);
    assert_eq!(
        server.requests("/bai/khong-con.html").len(),
        1,
        "a failure is not retried"
    );

    // An update with the same link keeps the article without fetching it.
    let edited = String::from_utf8(items("/bai/cau-vuot-bien.html"))
        .unwrap()
        .replace(
            "Hải Phòng khởi công cầu vượt biển",
            "Hải Phòng khởi công cầu vượt biển 7.300 tỷ",
        );
    server.route(
        "/teasers.rss",
        Route::feed(edited.into_bytes(), "application/rss+xml"),
    );
    app.poll_all().await;
    assert_eq!(server.requests("/bai/cau-vuot-bien.html").len(), 1);
    let bridge = &entries_by_url(&app).await[&server.url("/bai/cau-vuot-bien.html")];
    assert_eq!(
        bridge["title"],
        "Hải Phòng khởi công cầu vượt biển 7.300 tỷ"
    );
    assert_eq!(bridge["content_source"], "extracted");
    assert!(
        bridge["content_html"]
            .as_str()
            .unwrap()
            .contains("Nguồn vốn từ ngân sách thành phố")
    );

    // A new link is a new page: fetched and extracted again.
    server.route(
        "/bai/cau-vuot-bien-2.html",
        Route::feed(page("02"), "text/html"),
    );
    server.route(
        "/teasers.rss",
        Route::feed(items("/bai/cau-vuot-bien-2.html"), "application/rss+xml"),
    );
    app.poll_all().await;
    assert_eq!(server.requests("/bai/cau-vuot-bien-2.html").len(), 1);
    let entries = entries_by_url(&app).await;
    assert_eq!(entries.len(), 5, "the same entry, relinked");
    let relinked = &entries[&server.url("/bai/cau-vuot-bien-2.html")];
    assert_eq!(relinked["content_source"], "extracted");
    assert!(
        relinked["content_html"]
            .as_str()
            .unwrap()
            .contains("Giá vàng miếng SJC")
    );

    // Searchable by the article's words, not only the teaser's, folded.
    let found = app
        .get_json("/api/v1/entries?q=ro%20da%20luoi%20thep")
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    app.shutdown().await;
}

/// The app with one teaser feed of `items` as its source, polled once.
async fn teaser_app(
    server: &FeedServer,
    items: &[(&str, String, &str)],
    full_text: bool,
) -> TestApp {
    server.route(
        "/teasers.rss",
        Route::feed(teasers("Tin nhanh", items), "application/rss+xml"),
    );
    let app = TestApp::spawn(&format!(
        "[[sources]]\nurl = \"{}\"\nfull_text = {full_text}\n",
        server.url("/teasers.rss")
    ))
    .await;
    app.poll_all().await;
    app
}

/// The teaser feed as served now.
async fn feed_body(server: &FeedServer) -> Vec<u8> {
    reqwest::get(server.url("/teasers.rss"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// Puts every pending retry of a page in the past, as if its time had come.
async fn retries_due(app: &TestApp) {
    sqlx::query(
        "UPDATE entries SET extraction_retry_at = now() - interval '1 second'
         WHERE extraction_retry_at IS NOT NULL",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_failed_in_a_way_that_may_pass_is_tried_again_then_given_up() {
    let server = FeedServer::start().await;
    server.route("/bai/bao.html", Route::status(503));
    server.route("/bai/sap.html", Route::status(500));
    server.route("/bai/mat.html", Route::status(404));
    let app = teaser_app(
        &server,
        &[
            (
                "Storm Bert",
                server.url("/bai/bao.html"),
                "Thousands without power in Wales.",
            ),
            (
                "Máy chủ sập",
                server.url("/bai/sap.html"),
                "Trang luôn lỗi.",
            ),
            (
                "Bài đã gỡ",
                server.url("/bai/mat.html"),
                "Trang này không còn.",
            ),
        ],
        true,
    )
    .await;
    let storm_url = server.url("/bai/bao.html");
    let storm = &entries_by_url(&app).await[&storm_url];
    assert_eq!(storm["content_source"], "feed");
    let error = storm["extraction_error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 503") && error.contains("fetch 1 of 4"),
        "{error}"
    );

    // The feed now has an ETag. Not yet due: the next polls leave the
    // page alone, the second with a 304.
    let body = feed_body(&server).await;
    let feed = server.requests("/teasers.rss");
    server.route(
        "/teasers.rss",
        Route::feed(body, "application/rss+xml").with_etag("\"v1\""),
    );
    app.poll_all().await;
    app.poll_all().await;
    let asked = server.requests("/teasers.rss");
    assert_eq!(asked.len(), feed.len() + 2);
    assert!(asked.last().unwrap().headers.contains_key("if-none-match"));
    assert_eq!(server.requests("/bai/bao.html").len(), 1);

    // Due, and the site is back: the feed is read whole though unchanged,
    // the article replaces the teaser, and search finds its words.
    server.route("/bai/bao.html", Route::feed(page("17"), "text/html"));
    retries_due(&app).await;
    app.poll_all().await;
    let asked = server.requests("/teasers.rss");
    assert!(!asked.last().unwrap().headers.contains_key("if-none-match"));
    assert_eq!(server.requests("/bai/bao.html").len(), 2);
    let storm = &entries_by_url(&app).await[&storm_url];
    assert_eq!(storm["content_source"], "extracted", "{storm}");
    assert_eq!(storm["extraction_error"], Value::Null);
    assert_eq!(storm["summary"], "Thousands without power in Wales.");
    let found = app
        .get_json("/api/v1/entries?q=rail%20services%20suspended")
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");

    // A server that keeps failing is asked four times in all; a 404 once.
    for _ in 0..4 {
        retries_due(&app).await;
        app.poll_all().await;
    }
    assert_eq!(server.requests("/bai/sap.html").len(), 4);
    assert_eq!(
        server.requests("/bai/bao.html").len(),
        2,
        "an article is kept"
    );
    assert_eq!(server.requests("/bai/mat.html").len(), 1, "a 404 is final");
    let entries = entries_by_url(&app).await;
    let down = &entries[&server.url("/bai/sap.html")];
    let error = down["extraction_error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 500") && error.contains("not tried again"),
        "{error}"
    );
    assert_eq!(down["content_html"], "Trang luôn lỗi.");

    // A retry left due for over a day (its entry gone from the feed) does
    // not keep the feed from being asked with its validators.
    sqlx::query("UPDATE entries SET extraction_retry_at = now() - interval '2 days'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    app.poll_all().await;
    let asked = server.requests("/teasers.rss");
    assert!(asked.last().unwrap().headers.contains_key("if-none-match"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_source_without_full_text_fetches_no_page() {
    let server = FeedServer::start().await;
    server.route("/bai/1.html", Route::feed(page("05"), "text/html"));
    let app = teaser_app(
        &server,
        &[(
            "Làn xe buýt",
            server.url("/bai/1.html"),
            "Thí điểm làn riêng.",
        )],
        false,
    )
    .await;
    assert!(server.requests("/bai/1.html").is_empty());
    let entries = entries_by_url(&app).await;
    let e = &entries[&server.url("/bai/1.html")];
    assert_eq!(
        (e["content_source"].as_str(), &e["extraction_error"]),
        (Some("feed"), &Value::Null)
    );
    app.shutdown().await;
}

/// Two outlets' teasers of one article, worded differently, at different
/// addresses: one story when their pages are read, two when not.
async fn two_outlets(full_text: bool) -> i64 {
    let server = FeedServer::start().await;
    // The same article in a news site's layout and in an old portal's.
    server.route("/a/gia-vang.html", Route::feed(page("02"), "text/html"));
    server.route("/b/tin-4521.html", Route::feed(page("33"), "text/html"));
    server.route(
        "/a.rss",
        Route::feed(
            teasers(
                "Báo A",
                &[(
                    "Giá vàng miếng tăng lên 92 triệu đồng",
                    server.url("/a/gia-vang.html"),
                    "Vàng SJC tăng 800.000 đồng sáng nay.",
                )],
            ),
            "application/rss+xml",
        ),
    );
    server.route(
        "/b.rss",
        Route::feed(
            teasers(
                "Cổng B",
                &[(
                    "Vàng lên đỉnh mới",
                    server.url("/b/tin-4521.html"),
                    "Thị trường kim loại quý sôi động.",
                )],
            ),
            "application/rss+xml",
        ),
    );
    let app = TestApp::spawn(&format!(
        "[[sources]]\nurl = \"{}\"\nfull_text = {full_text}\n[[sources]]\nurl = \"{}\"\nfull_text = {full_text}\n",
        server.url("/a.rss"),
        server.url("/b.rss")
    ))
    .await;
    app.poll_all().await;
    let (stories,): (i64,) = sqlx::query_as("SELECT count(DISTINCT story_id) FROM entries")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    app.shutdown().await;
    stories
}

#[tokio::test(flavor = "multi_thread")]
async fn teasers_of_one_article_join_one_story_by_their_pages_text() {
    assert_eq!(
        two_outlets(false).await,
        2,
        "teasers alone share too little"
    );
    assert_eq!(two_outlets(true).await, 1, "the pages' article is the same");
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_that_share_a_link_or_point_home_are_not_extracted() {
    let server = FeedServer::start().await;
    server.route("/", Route::feed(page("13"), "text/html"));
    server.route("/tin/chung.html", Route::feed(page("14"), "text/html"));
    server.route(
        "/teasers.rss",
        Route::feed(
            teasers(
                "Tin",
                &[
                    ("Tin một", server.url("/tin/chung.html"), "Tóm tắt một."),
                    ("Tin hai", server.url("/tin/chung.html"), "Tóm tắt hai."),
                    ("Tin ba", server.url("/"), "Tóm tắt ba."),
                ],
            ),
            "application/rss+xml",
        ),
    );
    let app = TestApp::spawn(&format!(
        "[[sources]]\nurl = \"{}\"\nfull_text = true\n",
        server.url("/teasers.rss")
    ))
    .await;
    app.poll_all().await;
    assert!(server.requests("/tin/chung.html").is_empty());
    assert!(server.requests("/").is_empty());
    let list = app.get_json("/api/v1/entries?limit=10").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for e in items {
        assert_eq!(e["content_source"], "feed", "{e}");
        let why = e["extraction_error"].as_str().unwrap();
        assert!(
            why.contains("same link") || why.contains("home page"),
            "{e}"
        );
    }
    app.shutdown().await;
}
