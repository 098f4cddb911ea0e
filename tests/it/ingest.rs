//! Ingest as it must behave: conditional GET, identity, updates in place,
//! encodings, failures recorded and isolated.

use std::time::Duration;

use tributary::poller::PollOutcome;

use crate::support::{
    FeedServer, Route, TestDb, at, data, db_with_sources, poll_all, sources_toml,
};

const RSS: &str = "application/rss+xml; charset=utf-8";

async fn entry_rows(db: &TestDb) -> Vec<(i64, String, String, String)> {
    sqlx::query_as("SELECT id, identity, title, xmin::text FROM entries ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// Every stored search vector holds the marks of its entry's day, as SQL's
/// `search_document` (used for backfills) would add them: ingest builds
/// them in Rust, and the two must agree.
async fn assert_search_vectors_dated(db: &TestDb) {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT entry_id, search::text,
                search_document(ts_delete(search, ARRAY(
                    SELECT lexeme FROM unnest(search) u WHERE u.lexeme ~ '^(\\^[0-9]+:|~)')), sort_at)::text
         FROM entry_search",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for (id, stored, by_sql) in rows {
        assert_eq!(stored, by_sql, "entry {id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_stores_clean_nfc_entries_with_absolute_links() {
    let server = FeedServer::start().await;
    server.route("/vi.rss", Route::feed(data("vi-news.rss"), RSS));
    let (db, config) = db_with_sources(&format!(
        "{}timezone = \"Asia/Ho_Chi_Minh\"\n",
        sources_toml(&[server.url("/vi.rss")])
    ))
    .await;

    let reports = poll_all(&db.pool, &config).await;
    assert!(
        matches!(reports[0].outcome, PollOutcome::Fetched { new: 4, .. }),
        "{:?}",
        reports[0].outcome
    );

    let (title, url, content, published): (String, String, String, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as(
            "SELECT title, url, content_html, published_at FROM entries WHERE guid = 'tn-1001'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        title,
        "Đảng ủy thành phố Hải Phòng họp phiên thường kỳ tháng 11"
    );
    assert_eq!(
        url,
        "https://tinnhanh.example/thoi-su/dang-uy-hai-phong-hop-1001.html?utm_source=rss"
    );
    assert!(
        content.contains("src=\"https://tinnhanh.example/anh/hop-1001.jpg\""),
        "{content}"
    );
    assert!(
        content.contains("href=\"https://tinnhanh.example/thoi-su/\""),
        "{content}"
    );
    for bad in ["<script", "onclick", "javascript:", "alert("] {
        assert!(
            !content.contains(bad),
            "{bad} survived sanitizing: {content}"
        );
    }
    // "25/11/2026 07:30" in Asia/Ho_Chi_Minh.
    assert_eq!(published, at("2026-11-25T00:30:00Z"));
    let (sort_at_for_bare,): (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT sort_at FROM entries WHERE title = 'Thời tiết hôm nay'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(sort_at_for_bare, at("2026-11-24T22:00:00Z"));
}

#[tokio::test(flavor = "multi_thread")]
async fn second_poll_of_unchanged_feed_is_a_304_and_changes_no_entry() {
    let server = FeedServer::start().await;
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), RSS).with_etag("\"v1\""),
    );
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/vi.rss")])).await;

    poll_all(&db.pool, &config).await;
    let before = entry_rows(&db).await;
    let reports = poll_all(&db.pool, &config).await;
    assert_eq!(reports[0].outcome, PollOutcome::NotModified);
    assert_eq!(
        entry_rows(&db).await,
        before,
        "a 304 must not touch entries"
    );

    let requests = server.requests("/vi.rss");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].headers.get("if-none-match"), None);
    assert_eq!(
        requests[1].headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    let (status, failures): (Option<i32>, i32) =
        sqlx::query_as("SELECT last_status, consecutive_failures FROM sources")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((status, failures), (Some(304), 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn refetching_an_unchanged_feed_without_validators_writes_no_entry() {
    let server = FeedServer::start().await;
    server.route("/vi.rss", Route::feed(data("vi-news.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/vi.rss")])).await;

    poll_all(&db.pool, &config).await;
    let before = entry_rows(&db).await;
    let reports = poll_all(&db.pool, &config).await;
    assert_eq!(
        reports[0].outcome,
        PollOutcome::Fetched {
            new: 0,
            updated: 0,
            unchanged: 4,
            new_stories: 0,
            dropped: Default::default(),
        }
    );
    assert_eq!(
        entry_rows(&db).await,
        before,
        "identical entries must not be rewritten"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn edited_entry_is_updated_in_place_and_bare_items_are_not_duplicated() {
    let server = FeedServer::start().await;
    server.route("/vi.rss", Route::feed(data("vi-news.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/vi.rss")])).await;
    poll_all(&db.pool, &config).await;
    let before = entry_rows(&db).await;
    // As if first seen ten days ago: an update keeps its place in time,
    // and its search marks stay those of that day.
    sqlx::query(
        "WITH e AS (UPDATE entries SET sort_at = sort_at - interval '10 days'
                    WHERE identity = 'g:tn-1001' RETURNING id, sort_at)
         UPDATE entry_search s SET sort_at = e.sort_at FROM e WHERE s.entry_id = e.id",
    )
    .execute(&db.pool)
    .await
    .unwrap();

    server.route("/vi.rss", Route::feed(data("vi-news-edited.rss"), RSS));
    let reports = poll_all(&db.pool, &config).await;
    assert_eq!(
        reports[0].outcome,
        PollOutcome::Fetched {
            new: 0,
            updated: 1,
            unchanged: 3,
            new_stories: 0,
            dropped: Default::default(),
        }
    );
    let after = entry_rows(&db).await;
    assert_eq!(after.len(), before.len(), "nothing duplicated");
    let edited = after.iter().find(|r| r.1 == "g:tn-1001").unwrap();
    let original = before.iter().find(|r| r.1 == "g:tn-1001").unwrap();
    assert_eq!(edited.0, original.0, "same row");
    assert!(edited.2.ends_with("(cập nhật)"));
    let (updated_at,): (Option<chrono::DateTime<chrono::Utc>>,) =
        sqlx::query_as("SELECT updated_at FROM entries WHERE identity = 'g:tn-1001'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(updated_at.is_some());
    // The item without guid is known by its link, the bare one by title and date.
    assert!(
        after
            .iter()
            .any(|r| r.1 == "u:https://tinnhanh.example/bien-dao/truong-sa-1002.html")
    );
    assert!(
        after
            .iter()
            .any(|r| r.1.starts_with("h:") && r.2 == "Thời tiết hôm nay")
    );
    let (marked,): (bool,) = sqlx::query_as(
        "SELECT s.search @@ ('''^' || to_char(e.sort_at AT TIME ZONE 'UTC', 'YYYYMMDD') || ':hai''')::tsquery
         FROM entries e JOIN entry_search s ON s.entry_id = e.id WHERE e.identity = 'g:tn-1001'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(marked, "the update is marked with its first day");
    assert_search_vectors_dated(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_1258_and_nfd_feeds_match_their_utf8_twin() {
    let server = FeedServer::start().await;
    server.route("/utf8.rss", Route::feed(data("vi-news.rss"), RSS));
    server.route(
        "/cp1258.rss",
        Route::feed(data("vi-news-windows-1258.rss"), "application/rss+xml"),
    );
    server.route("/nfd.rss", Route::feed(data("vi-news-nfd.rss"), RSS));
    let urls = [
        server.url("/utf8.rss"),
        server.url("/cp1258.rss"),
        server.url("/nfd.rss"),
    ];
    let (db, config) = db_with_sources(&sources_toml(&urls)).await;
    poll_all(&db.pool, &config).await;

    let titles = |source: i64| {
        let pool = db.pool.clone();
        async move {
            let rows: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT title, summary FROM entries WHERE source_id = $1 ORDER BY identity",
            )
            .bind(source)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows
        }
    };
    let utf8 = titles(1).await;
    assert_eq!(utf8.len(), 4);
    assert!(
        utf8.iter()
            .any(|(t, _)| t == "Trường Sa: ngư dân bám biển mùa gió chướng")
    );
    assert_eq!(
        titles(2).await,
        utf8,
        "windows-1258 decodes to the same NFC text"
    );
    assert_eq!(titles(3).await, utf8, "NFD text is stored as NFC");
}

#[tokio::test(flavor = "multi_thread")]
async fn feed_repeating_one_guid_keeps_every_item() {
    let server = FeedServer::start().await;
    server.route("/broken.rss", Route::feed(data("repeated-guid.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/broken.rss")])).await;
    poll_all(&db.pool, &config).await;
    poll_all(&db.pool, &config).await;
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM entries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 3);
    let (unreliable,): (bool,) = sqlx::query_as("SELECT guid_is_unreliable FROM sources")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(unreliable);
}

#[tokio::test(flavor = "multi_thread")]
async fn bare_ampersands_do_not_lose_the_feed() {
    let server = FeedServer::start().await;
    server.route("/qa.rss", Route::feed(data("bare-ampersand.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/qa.rss")])).await;
    poll_all(&db.pool, &config).await;
    let (title, url): (String, String) = sqlx::query_as("SELECT title, url FROM entries")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(title, "Q&A: AT&T and the 5G rollout");
    assert_eq!(url, "https://qa.example/p/1?a=1&b=2");
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_recorded_and_do_not_stop_other_sources() {
    let server = FeedServer::start().await;
    server.route("/ok.rss", Route::feed(data("vi-news.rss"), RSS));
    server.route("/500.rss", Route::status(500));
    server.route(
        "/html",
        Route::feed(
            b"<html><body>Not a feed</body></html>".to_vec(),
            "text/html",
        ),
    );
    let mut slow = Route::feed(data("vi-news.rss"), RSS);
    slow.delay = Duration::from_secs(5);
    server.route("/slow.rss", slow);
    let mut big = Route::feed(vec![b' '; 300_000], RSS);
    big.gzip = true; // a small gzip body that inflates past the limit
    server.route("/big.rss", big);
    let urls = ["/ok.rss", "/500.rss", "/html", "/slow.rss", "/big.rss"].map(|p| server.url(p));
    let (db, config) = db_with_sources(&format!(
        "[poller]\ntimeout = \"1s\"\nmax_body_bytes = 100000\n{}",
        sources_toml(&urls)
    ))
    .await;

    let reports = poll_all(&db.pool, &config).await;
    assert!(matches!(
        reports[0].outcome,
        PollOutcome::Fetched { new: 4, .. }
    ));
    let failed = |i: usize| match &reports[i].outcome {
        PollOutcome::Failed { status, error } => (*status, error.clone()),
        other => panic!("source {} should have failed: {other:?}", i + 1),
    };
    assert_eq!(failed(1).0, Some(500));
    assert!(failed(2).1.contains("not a feed"), "{}", failed(2).1);
    assert!(failed(3).1.contains("timed out"), "{}", failed(3).1);
    assert!(failed(4).1.contains("larger than"), "{}", failed(4).1);

    let rows: Vec<(i64, Option<i32>, Option<String>, i32)> = sqlx::query_as(
        "SELECT id, last_status, last_error, consecutive_failures FROM sources ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows[0].3, 0);
    assert_eq!((rows[1].1, rows[1].3), (Some(500), 1));
    assert!(
        rows[2..].iter().all(|r| r.2.is_some() && r.3 == 1),
        "{rows:?}"
    );

    poll_all(&db.pool, &config).await;
    let (failures,): (i32,) =
        sqlx::query_as("SELECT consecutive_failures FROM sources WHERE id = 2")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(failures, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_responses_are_decoded() {
    let server = FeedServer::start().await;
    let mut route = Route::feed(data("vi-news.rss"), RSS);
    route.gzip = true;
    server.route("/gz.rss", route);
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/gz.rss")])).await;
    let reports = poll_all(&db.pool, &config).await;
    assert!(
        matches!(reports[0].outcome, PollOutcome::Fetched { new: 4, .. }),
        "{:?}",
        reports[0].outcome
    );
    let ua = server.requests("/gz.rss")[0]
        .headers
        .get("user-agent")
        .cloned()
        .unwrap_or_default();
    assert!(ua.starts_with("Tributary/"), "{ua}");
}

#[tokio::test(flavor = "multi_thread")]
async fn undated_entries_keep_the_feeds_order() {
    let server = FeedServer::start().await;
    server.route("/undated.rss", Route::feed(data("undated.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/undated.rss")])).await;
    poll_all(&db.pool, &config).await;
    let page = tributary::entries::list_entries(
        &db.pool,
        &tributary::entries::EntryFilter {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let titles: Vec<&str> = page.items.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["Tin mới nhất", "Tin thứ hai", "Tin cũ nhất"]);
    // A missing date is the first-seen time.
    assert!(
        page.items
            .iter()
            .all(|e| e.published_at.is_some_and(|p| p <= e.fetched_at))
    );
    assert_search_vectors_dated(&db).await;
}

type TitleSummaryDates = (
    String,
    Option<String>,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
);

#[tokio::test(flavor = "multi_thread")]
async fn common_breakage_is_recovered_and_future_dates_are_clamped() {
    let server = FeedServer::start().await;
    server.route("/breakage.rss", Route::feed(data("breakage.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/breakage.rss")])).await;
    let reports = poll_all(&db.pool, &config).await;
    assert!(
        matches!(reports[0].outcome, PollOutcome::Fetched { new: 2, .. }),
        "{:?}",
        reports[0].outcome
    );
    let rows: Vec<TitleSummaryDates> = sqlx::query_as(
        "SELECT title, summary, published_at, fetched_at FROM entries ORDER BY guid",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows[0].0, "Café “Sài Gòn” khai trương chi nhánh mới…");
    assert_eq!(
        rows[0].1.as_deref(),
        Some("Quán cà phê mở thêm chi nhánh tại Quận 1.")
    );
    assert_eq!(rows[0].2, at("2026-11-25T00:30:00Z"), "ICT is +07:00");
    assert!(
        rows[1].2 <= rows[1].3,
        "a date in 2100 is clamped to the fetch time"
    );
    let (feed_title,): (Option<String>,) = sqlx::query_as("SELECT feed_title FROM sources")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(feed_title.as_deref(), Some("Café Sài Gòn — Tin nhanh"));
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_charsets_from_the_http_header_are_transcoded() {
    let server = FeedServer::start().await;
    let feed = |title: &str| {
        format!(
            "<rss version=\"2.0\"><channel><title>{title}</title><link>https://x.example/</link><description>d</description>\
             <item><title>{title}</title><link>https://x.example/1</link></item></channel></rss>"
        )
    };
    let cases = [
        ("shift_jis", "東京のニュース"),
        ("gb18030", "北京新闻"),
        ("koi8-r", "Новости Москвы"),
        ("iso-8859-2", "Zprávy z Prahy"),
        ("windows-1252", "Café “Noël”"),
    ];
    let mut urls = Vec::new();
    for (label, title) in cases {
        let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let doc = feed(title);
        let (bytes, _, _) = encoding.encode(&doc);
        let path = format!("/{label}.rss");
        server.route(
            &path,
            Route::feed(bytes.into_owned(), &format!("text/xml; charset={label}")),
        );
        urls.push(server.url(&path));
    }
    let (db, config) = db_with_sources(&sources_toml(&urls)).await;
    poll_all(&db.pool, &config).await;
    let titles: Vec<(String,)> = sqlx::query_as("SELECT title FROM entries ORDER BY source_id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let want: Vec<(String,)> = cases.iter().map(|(_, t)| (t.to_string(),)).collect();
    assert_eq!(titles, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_with_quotes_commas_and_braces_are_stored_exactly() {
    let server = FeedServer::start().await;
    server.route("/tin.rss", Route::feed(data("awkward-lists.rss"), RSS));
    let (db, config) = db_with_sources(&sources_toml(&[server.url("/tin.rss")])).await;
    poll_all(&db.pool, &config).await;

    type Row = (Vec<String>, Vec<String>, serde_json::Value, Vec<i64>, i64);
    let (authors, categories, enclosures, passages, simhash): Row = sqlx::query_as(
        "SELECT authors, categories, enclosures, passages, simhash FROM entries WHERE guid = 'ts-2611'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        authors,
        [
            "Nguyễn Văn An, \"Phóng viên thường trú\"",
            "B\\ình {Biên tập}"
        ]
    );
    assert_eq!(
        categories,
        ["Thời sự, \"nóng\"", "C:\\tin\\{mới}", "NULL", "a,b"]
    );
    assert_eq!(
        enclosures,
        serde_json::json!([{
            "url": "https://tinsang.example/audio/26-11.mp3",
            "type": "audio/mpeg",
            "length": 4812345
        }])
    );
    // Long enough to be matched approximately: its shingle sketch is kept
    // whole, in order, with negative hashes as they are.
    assert_eq!(passages.len(), tributary::stories::passages::SKETCH_SIZE);
    assert!(passages.windows(2).all(|w| w[0] <= w[1]), "{passages:?}");
    assert!(passages.iter().any(|p| *p < 0), "{passages:?}");
    assert_ne!(simhash, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn entry_text_is_compressed_with_lz4_where_the_server_has_it() {
    let (db, _config) = db_with_sources("").await;
    let (has_lz4,): (bool,) = sqlx::query_as(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT attrelid::regclass::text || '.' || attname, attcompression::text
         FROM pg_attribute
         WHERE (attrelid, attname) IN (('entries'::regclass, 'content_html'),
                                       ('entries'::regclass, 'summary'),
                                       ('entry_search'::regclass, 'search'))
         ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let expected = if has_lz4 { "l" } else { "" };
    assert_eq!(columns.len(), 3);
    for (column, method) in columns {
        assert_eq!(method, expected, "{column}");
    }
}
