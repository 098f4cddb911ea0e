//! The river page and the sources page, parsed with a real HTML parser.

use std::collections::HashSet;

use scraper::{Html, Selector};

use crate::support::{FeedServer, Route, TestApp, data, sources_toml};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn texts(doc: &Html, s: &str) -> Vec<String> {
    doc.select(&sel(s))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

async fn page(app: &TestApp, path: &str) -> (u16, Html) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{path}: {ct}");
    (status, Html::parse_document(&res.text().await.unwrap()))
}

/// Vietnamese news, a wire and an outlet republishing it, hostile titles,
/// and a source that fails.
async fn river_app(extra: &str) -> (FeedServer, TestApp) {
    let server = FeedServer::start().await;
    for (path, file, ct) in [
        ("/vi.rss", "vi-news.rss", "application/rss+xml"),
        ("/wire.atom", "wire-en.atom", "application/atom+xml"),
        ("/delta.rss", "wire-republished.rss", "application/rss+xml"),
        (
            "/hostile.atom",
            "hostile-titles.atom",
            "application/atom+xml",
        ),
    ] {
        server.route(path, Route::feed(data(file), ct));
    }
    server.route("/broken.rss", Route::status(500));
    let toml = format!(
        "{}{}tags = [\"en\"]\n{}",
        sources_toml(&[server.url("/vi.rss"), server.url("/hostile.atom")]),
        sources_toml(&[server.url("/wire.atom")]),
        sources_toml(&[server.url("/delta.rss"), server.url("/broken.rss")]),
    ) + extra;
    let app = TestApp::spawn(&toml).await;
    app.poll_all().await;
    (server, app)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_river_shows_one_item_per_story_with_links_sources_times_and_also_in() {
    let (_server, app) = river_app("").await;
    let (status, doc) = page(&app, "/").await;
    assert_eq!(status, 200);
    let items: Vec<_> = doc.select(&sel("ol.river > li")).collect();
    // 4 Vietnamese + 2 hostile + 2 wire stories (the republisher's 2 join them).
    assert_eq!(items.len(), 8, "{}", doc.html());
    for li in &items {
        let link = li.select(&sel("h2 a")).next();
        let title = li
            .select(&sel("h2"))
            .next()
            .unwrap()
            .text()
            .collect::<String>();
        assert!(!title.trim().is_empty());
        if let Some(a) = link {
            assert!(a.value().attr("href").unwrap().starts_with("https://"));
        }
        let source = li.select(&sel(".meta a")).next().unwrap();
        assert!(
            source
                .value()
                .attr("href")
                .unwrap()
                .starts_with("/?source=")
        );
        let time = li.select(&sel(".meta time")).next().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(time.value().attr("datetime").unwrap()).is_ok()
        );
        assert!(time.value().attr("title").unwrap().ends_with("UTC"));
    }
    // The wire's story carried by the republisher too.
    let also = texts(&doc, ".also");
    assert_eq!(also.len(), 2, "{also:?}");
    assert!(also.iter().all(|a| a.contains("Delta Daily")), "{also:?}");
    // Vietnamese as sent, NFC, and lang from the source.
    let titles = texts(&doc, "ol.river h2");
    assert!(
        titles.contains(&"Đảng ủy thành phố Hải Phòng họp phiên thường kỳ tháng 11".to_owned())
    );
    let langs: HashSet<&str> = doc
        .select(&sel("ol.river > li"))
        .filter_map(|li| li.value().attr("lang"))
        .collect();
    assert!(langs.contains("vi"), "{langs:?}");
    // Autodiscovery and subscribe links for every format.
    let alternates: Vec<(String, String)> = doc
        .select(&sel("head link[rel=alternate]"))
        .map(|l| {
            (
                l.value().attr("type").unwrap().to_owned(),
                l.value().attr("href").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        alternates,
        vec![
            ("application/rss+xml".into(), "/feeds/all.rss".into()),
            ("application/atom+xml".into(), "/feeds/all.atom".into()),
            ("application/feed+json".into(), "/feeds/all.json".into()),
        ]
    );
    let footer_links: Vec<String> = doc
        .select(&sel("footer a"))
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert!(footer_links.contains(&"/feeds/all.atom".to_owned()));
    // Nothing is loaded from another host.
    for (s, attr) in [
        ("link[href]", "href"),
        ("script[src]", "src"),
        ("img[src]", "src"),
    ] {
        for e in doc.select(&sel(s)) {
            assert!(
                e.value().attr(attr).unwrap().starts_with('/'),
                "{}",
                e.html()
            );
        }
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_and_summaries_are_text_never_markup() {
    let (_server, app) = river_app("").await;
    let (_, doc) = page(&app, "/").await;
    let titles = texts(&doc, "ol.river h2");
    assert!(
        titles
            .contains(&"<script>alert(\"xss\")</script> Cảnh báo lừa đảo qua tin nhắn".to_owned()),
        "{titles:?}"
    );
    assert!(titles.contains(&"Giá \"vàng\" & đô la <tăng> mạnh".to_owned()));
    // Our own deferred script is the only script element; no injected attributes.
    let scripts: Vec<_> = doc.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1);
    assert!(
        scripts[0]
            .value()
            .attr("src")
            .unwrap()
            .starts_with("/static/times-")
    );
    assert_eq!(doc.select(&sel("[onmouseover], [onclick], b")).count(), 0);
    let excerpts = texts(&doc, ".excerpt");
    assert!(
        excerpts
            .iter()
            .any(|e| e.contains("<b onmouseover=\"steal()\">đường link giả</b>")),
        "{excerpts:?}"
    );
    let href = doc
        .select(&sel("ol.river h2 a"))
        .find(|a| a.text().collect::<String>().starts_with("Giá"))
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    assert_eq!(
        href,
        "https://hostile.example/tin/gia-vang-2.html?a=1&b=%222%22"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn search_source_filter_and_channels() {
    let (_server, app) = river_app(
        "[[channels]]\nname = \"english\"\ntitle = \"English desk\"\ntags_any = [\"en\"]\n",
    )
    .await;
    for q in ["hai+phong", "Hai%20Phong", "h%E1%BA%A3i%20ph%C3%B2ng"] {
        let (status, doc) = page(&app, &format!("/?q={q}")).await;
        assert_eq!(status, 200);
        let titles = texts(&doc, "ol.river h2");
        assert!(!titles.is_empty(), "{q}");
        assert!(
            titles.iter().any(|t| t.contains("Hải Phòng")),
            "{q}: {titles:?}"
        );
        // The search box keeps what was typed.
        let value = doc
            .select(&sel("input[name=q]"))
            .next()
            .unwrap()
            .value()
            .attr("value");
        assert!(value.is_some());
    }
    let (_, doc) = page(&app, "/?q=zzzznothing").await;
    assert_eq!(doc.select(&sel("ol.river > li")).count(), 0);
    assert_eq!(texts(&doc, "p.empty").len(), 1);

    // Clicking a source name filters to it.
    let (_, doc) = page(&app, "/").await;
    let href = doc
        .select(&sel("ol.river .meta a"))
        .find(|a| {
            a.text().collect::<String>() == "Delta Daily"
                || a.text().collect::<String>() == "Tin Nhanh Hải Phòng"
        })
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let (_, filtered) = page(&app, &href).await;
    let sources: HashSet<String> = texts(&filtered, "ol.river .meta a").into_iter().collect();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(texts(&filtered, "p.filter").len(), 1);

    // The channel switcher, and a channel's own river and feeds.
    let switcher = texts(&doc, "nav.channels a");
    assert!(
        switcher.contains(&"English desk".to_owned()),
        "{switcher:?}"
    );
    let (status, english) = page(&app, "/c/english").await;
    assert_eq!(status, 200);
    let sources: HashSet<String> = texts(&english, "ol.river .meta a").into_iter().collect();
    assert_eq!(sources, HashSet::from(["Harbour Wire".to_owned()]));
    assert_eq!(
        english
            .select(&sel("nav.channels a[aria-current]"))
            .next()
            .unwrap()
            .text()
            .collect::<String>(),
        "English desk"
    );
    assert!(english.select(&sel("head link[rel=alternate]")).all(|l| {
        l.value()
            .attr("href")
            .unwrap()
            .starts_with("/feeds/english.")
    }));
    let (status, _) = page(&app, "/c/nope").await;
    assert_eq!(status, 404);
    let (status, doc) = page(&app, "/?cursor=forged").await;
    assert_eq!(status, 400);
    assert!(doc.html().contains("cursor"));
    let (status, _) = page(&app, "/?source=abc").await;
    assert_eq!(status, 400);
    app.shutdown().await;
}

/// A feed of `n` stories an hour apart, dated in the days before the
/// fixtures' day and moved to this run like every fixture.
fn long_feed(n: usize) -> Vec<u8> {
    let mut items = String::new();
    for i in 0..n {
        let hour = i % 24;
        let day = 25 - i / 24;
        items.push_str(&format!(
            "<item><title>Bản tin số {i}: Hải Phòng và các tỉnh ven biển</title>\
             <link>https://ban-tin.example/{i}</link><guid>bt-{i}</guid>\
             <pubDate>{day:02} Nov 2026 {hour:02}:00:00 GMT</pubDate>\
             <description>Nội dung bản tin số {i}.</description></item>"
        ));
    }
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Bản tin</title>\
         <link>https://ban-tin.example/</link><description>x</description>{items}</channel></rss>"
    );
    crate::support::fixture_dates::redate(feed.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn older_links_walk_every_story_once() {
    let server = FeedServer::start().await;
    server.route(
        "/long.rss",
        Route::feed(long_feed(75), "application/rss+xml"),
    );
    let app = TestApp::spawn(&sources_toml(&[server.url("/long.rss")])).await;
    app.poll_all().await;
    for start in ["/", "/?q=hai+phong"] {
        let mut seen = Vec::new();
        let mut next = Some(start.to_owned());
        let mut pages = 0;
        while let Some(path) = next {
            let (status, doc) = page(&app, &path).await;
            assert_eq!(status, 200);
            seen.extend(texts(&doc, "ol.river h2"));
            next = doc
                .select(&sel("nav.pager a[rel=next]"))
                .next()
                .map(|a| a.value().attr("href").unwrap().to_owned());
            pages += 1;
            assert!(pages < 10);
        }
        assert_eq!(pages, 3, "{start}");
        assert_eq!(seen.len(), 75, "{start}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 75, "{start}");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sources_page_shows_health_and_pages_revalidate() {
    let (_server, app) = river_app("").await;
    let (status, doc) = page(&app, "/sources").await;
    assert_eq!(status, 200);
    let rows: Vec<_> = doc.select(&sel("table.sources tbody tr")).collect();
    assert_eq!(rows.len(), 5);
    let broken: Vec<_> = doc.select(&sel("tr.broken")).collect();
    assert_eq!(broken.len(), 1);
    let row = broken[0].html();
    assert!(row.contains("/broken.rss"), "{row}");
    assert!(row.contains("500"), "{row}");
    assert_eq!(doc.select(&sel("tr.healthy")).count(), 4);
    let counts = texts(&doc, "td[data-label=Entries]");
    assert!(counts.contains(&"4".to_owned()), "{counts:?}");

    // Vietnamese for a Vietnamese browser.
    let res = app
        .http
        .get(format!("{}/sources", app.address))
        .header("Accept-Language", "vi-VN,vi;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    let vi = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(vi.root_element().value().attr("lang"), Some("vi"));
    assert_eq!(texts(&vi, "h1"), vec!["Nguồn tin".to_owned()]);

    // ETag / 304, compression, and immutable static assets.
    let res = app.get("/").await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let css = Html::parse_document(&res.text().await.unwrap())
        .select(&sel("link[rel=stylesheet]"))
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let again = app
        .http
        .get(format!("{}/", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    let gz = app
        .http
        .get(format!("{}/", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let res = app.get(&css).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        app.get("/static/style-000000.css").await.status().as_u16(),
        404
    );
    app.shutdown().await;
}
