//! A channel's include/exclude patterns hold everywhere it is read (issue
//! #18, item 4): `GET /api/v1/entries?channel=`, the merged feeds and the
//! river, with full pages and a last page that says it is the last.

use std::collections::BTreeSet;

use scraper::{Html, Selector};
use serde_json::Value;

use crate::support::{FeedServer, Route, TestApp, sources_toml};

const ITEMS: usize = 120;

/// Item `i`: most are about Đà Nẵng; every third is about Hải Phòng in its
/// title, every seventh names Hải Phòng only in its summary, and some of
/// the Hải Phòng ones are advertisements.
fn item(i: usize) -> (String, String) {
    let title = if i % 15 == 0 {
        format!("Quảng cáo số {i}: căn hộ Hải Phòng giá tốt")
    } else if i % 3 == 0 {
        format!("Bản tin số {i}: Hải Phòng đón mưa lớn")
    } else {
        format!("Bản tin số {i}: Đà Nẵng và các tỉnh miền Trung")
    };
    let summary = if i % 7 == 1 && i % 3 != 0 {
        format!("Nội dung số {i}, tin từ hải phòng.")
    } else {
        format!("Nội dung bản tin số {i}.")
    };
    (title, summary)
}

/// Whether item `i` belongs to the channel, by the rule the patterns say.
fn wanted(i: usize) -> bool {
    let (title, summary) = item(i);
    let text = format!("{title}\n{summary}").to_lowercase();
    text.contains("hải phòng") && !text.contains("quảng cáo")
}

/// A feed of `ITEMS` items, an hour apart, newest first, dated from now.
fn feed() -> Vec<u8> {
    let now = chrono::Utc::now();
    let items: String = (0..ITEMS)
        .map(|i| {
            let (title, summary) = item(i);
            let date = (now - chrono::Duration::hours(i as i64 + 1)).to_rfc2822();
            format!(
                "<item><title>{title}</title><link>https://ban-tin.example/{i}</link>\
                 <guid>bt-{i}</guid><pubDate>{date}</pubDate><description>{summary}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>Bản tin</title><link>https://ban-tin.example/</link>{items}</channel></rss>"
    )
    .into_bytes()
}

/// The titles of a JSON list of entries or feed items.
fn titles_of(items: &Value) -> BTreeSet<String> {
    items
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["title"].as_str())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn expected() -> BTreeSet<String> {
    (0..ITEMS)
        .filter(|i| wanted(*i))
        .map(|i| item(i).0)
        .collect()
}

async fn app() -> (FeedServer, TestApp) {
    let server = FeedServer::start().await;
    server.route("/tin.rss", Route::feed(feed(), "application/rss+xml"));
    let toml = format!(
        "{}\n[[channels]]\nname = \"haiphong\"\ntitle = \"Tin Hải Phòng\"\n\
         include = \"(?i)hải phòng\"\nexclude = \"(?i)quảng cáo\"\n",
        sources_toml(&[server.url("/tin.rss")])
    );
    let app = TestApp::spawn(&toml).await;
    app.poll_all().await;
    (server, app)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_pages_a_channel_through_its_patterns_full_and_exact() {
    let (_server, app) = app().await;
    let want = expected();
    assert!(want.len() > 30, "the fixture must fill a river page");
    for limit in [7, 30, 500] {
        let mut seen = Vec::new();
        let mut path = format!("/api/v1/entries?channel=haiphong&limit={limit}");
        loop {
            let page = app.get_json(&path).await;
            let items = page["items"].as_array().unwrap();
            seen.extend(
                items
                    .iter()
                    .map(|e| e["title"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => {
                    // Every page but the last is full.
                    assert_eq!(items.len(), limit, "{path}");
                    path = format!("/api/v1/entries?channel=haiphong&limit={limit}&cursor={c}");
                }
                None => {
                    assert!(!items.is_empty(), "an empty last page: {path}");
                    break;
                }
            }
        }
        assert_eq!(seen.len(), want.len(), "limit {limit}: {seen:?}");
        assert_eq!(
            seen.into_iter().collect::<BTreeSet<_>>(),
            want,
            "limit {limit}"
        );
    }
    // A search within the channel keeps to it too.
    let page = app
        .get_json("/api/v1/entries?channel=haiphong&q=hai+phong&limit=500")
        .await;
    let found = titles_of(&page["items"]);
    assert!(!found.is_empty());
    assert!(found.is_subset(&want), "{:?}", found.difference(&want));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_and_river_carry_what_the_api_lists() {
    let (_server, app) = app().await;
    let want = expected();
    let json = app.get_json("/feeds/haiphong.json").await;
    let in_feed = titles_of(&json["items"]);
    assert_eq!(in_feed, want);

    let sel = |s: &str| Selector::parse(s).unwrap();
    for start in ["/c/haiphong", "/c/haiphong?q=tin"] {
        let mut seen = Vec::new();
        let mut next = Some(start.to_owned());
        let mut pages = 0;
        while let Some(path) = next {
            let doc = Html::parse_document(&app.get(&path).await.text().await.unwrap());
            let titles: Vec<String> = doc
                .select(&sel("ol.river h2"))
                .map(|h| h.text().collect::<String>().trim().to_owned())
                .collect();
            next = doc
                .select(&sel("nav.pager a[rel=next]"))
                .next()
                .map(|a| a.value().attr("href").unwrap().to_owned());
            if next.is_some() {
                assert_eq!(titles.len(), 30, "{path}: a short page");
            }
            seen.extend(titles);
            pages += 1;
            assert!(pages < 10);
        }
        assert_eq!(pages, 2, "{start}");
        assert_eq!(seen.len(), want.len(), "{start}");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), want, "{start}");
    }
    app.shutdown().await;
}
