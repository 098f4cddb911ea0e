//! Feeds found from a web page: the `<link rel="alternate">` elements that
//! name an RSS, Atom or JSON Feed document, in the page's order, their
//! relative URLs resolved against the page's `<base href>`. People paste a
//! site's address, not its feed's; `find` tells which one they gave.

use dom_query::Document;
use serde::Serialize;
use url::Url;

use crate::ingest::fetch::{FetchError, FetchOutcome, Fetcher, Reach, Validators};

/// Media types of feeds, as pages announce them.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
];

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FoundFeed {
    pub url: String,
    /// The link's `title`, if it has one.
    pub title: Option<String>,
    /// The media type the page gives (`application/rss+xml`, ...).
    #[serde(rename = "type")]
    pub media_type: String,
}

/// What an address turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A feed itself (its type guessed from what the body starts with).
    Feed(FoundFeed),
    /// A web page and the feeds it links to (none, one or several).
    Page(Vec<FoundFeed>),
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot fetch {url}: {error}")]
    Fetch { url: String, error: FetchError },
    #[error(
        "{url} is a web page that links to no feed (no <link rel=\"alternate\"> of an RSS, Atom or JSON Feed type)"
    )]
    NoFeed { url: String },
}

/// The feeds `html`, a page fetched from `page_url`, links to.
pub fn alternates(html: &str, page_url: &Url) -> Vec<FoundFeed> {
    // Deep nesting costs html5ever quadratic time (crate::html_nesting).
    let doc =
        Document::from(crate::html_nesting::bounded(html, crate::html_nesting::MAX_DEPTH).as_ref());
    let base = doc
        .select("base[href]")
        .attr("href")
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut found: Vec<FoundFeed> = Vec::new();
    for link in doc.select("link[rel][href]").nodes() {
        let rel = link.attr("rel").unwrap_or_default().to_ascii_lowercase();
        if !rel.split_ascii_whitespace().any(|r| r == "alternate") {
            continue;
        }
        let media_type = link.attr("type").map(|t| essence(&t)).unwrap_or_default();
        if !FEED_TYPES.contains(&media_type.as_str()) {
            continue;
        }
        let href = link.attr("href").unwrap_or_default();
        let Some(url) = base
            .join(href.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            continue;
        };
        if found.iter().any(|f| f.url == url.as_str()) {
            continue;
        }
        let title = link
            .attr("title")
            .map(|t| crate::text::nfc(&crate::text::collapse_whitespace(&t)))
            .filter(|t| !t.is_empty());
        found.push(FoundFeed {
            url: url.into(),
            title,
            media_type,
        });
    }
    found
}

/// Whether a fetched body is a web page rather than a feed.
pub fn is_web_page(body: &[u8], content_type: Option<&str>) -> bool {
    // Servers send feeds as text/html and pages as text/xml: what the body
    // starts with decides first.
    if feed_type_of(body).is_some() {
        return false;
    }
    let declared = content_type.map(essence).unwrap_or_default();
    let head = head_of(body);
    declared == "text/html"
        || declared == "application/xhtml+xml"
        || head.starts_with("<!doctype html")
        || head.contains("<html")
}

/// A media type without its parameters, lowercased: `text/html`.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn head_of(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    head.trim_start_matches('\u{feff}').trim_start().to_owned()
}

/// The media type of a feed, from what its body starts with.
fn feed_type_of(body: &[u8]) -> Option<&'static str> {
    let head = head_of(body);
    if head.starts_with('{') {
        Some("application/feed+json")
    } else if head.contains("<feed") {
        Some("application/atom+xml")
    } else if head.contains("<rss") {
        Some("application/rss+xml")
    } else if head.contains("<rdf:rdf") {
        Some("application/rdf+xml")
    } else {
        None
    }
}

/// What the address `url` is: a feed, or a page with the feeds it links to.
pub async fn find(fetcher: &Fetcher, url: &Url, reach: Reach) -> Result<Found, DiscoverError> {
    let failed = |error| DiscoverError::Fetch {
        url: url.to_string(),
        error,
    };
    let fetched = fetcher
        .fetch(url, &Validators::default(), reach)
        .await
        .map_err(failed)?;
    let as_feed = |media_type: &str| {
        Found::Feed(FoundFeed {
            url: url.to_string(),
            title: None,
            media_type: media_type.to_owned(),
        })
    };
    let FetchOutcome::Fetched(page) = fetched.outcome else {
        // Nothing sent could make a server answer 304; the poller finds out.
        return Ok(as_feed("application/rss+xml"));
    };
    if !is_web_page(&page.body, page.content_type.as_deref()) {
        return Ok(as_feed(
            feed_type_of(&page.body).unwrap_or("application/rss+xml"),
        ));
    }
    // Parsing a page is CPU work (a few ms for a big one): off the
    // request's worker. A page the parser cannot get through offers none.
    let feeds = tokio::task::spawn_blocking(move || {
        let html = crate::ingest::decode::decode_html(&page.body, page.content_type.as_deref());
        alternates(&html, &page.content_location.unwrap_or(page.final_url))
    })
    .await
    .unwrap_or_default();
    Ok(Found::Page(feeds))
}

/// What to subscribe to for an address someone gave: the address itself
/// when it is a feed (or cannot be fetched now: its polls will say why),
/// else the first feed the page links to, with the page. A page that
/// links to no feed is an error.
pub async fn feed_for(
    fetcher: &Fetcher,
    url: &Url,
    reach: Reach,
) -> Result<(Url, Option<Url>), DiscoverError> {
    match find(fetcher, url, reach).await {
        Ok(Found::Page(feeds)) => feeds
            .first()
            .and_then(|f| Url::parse(&f.url).ok())
            .map(|feed| (feed, Some(url.clone())))
            .ok_or_else(|| DiscoverError::NoFeed {
                url: url.to_string(),
            }),
        Ok(Found::Feed(_)) | Err(_) => Ok((url.clone(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://bao.example.vn/thoi-su/index.html").unwrap()
    }

    #[test]
    fn alternates_in_order_with_types_titles_and_relative_hrefs() {
        let html = r#"<!DOCTYPE html><html><head>
            <link rel="stylesheet" href="/site.css">
            <link rel="alternate" hreflang="en" href="/en/" type="text/html">
            <link rel="alternate" type="application/rss+xml" title="Thời sự - RSS" href="rss/thoi-su.rss">
            <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml" title="  Tin   mới ">
            <link rel="alternate" type="application/feed+json" href="https://bao.example.vn/feed.json">
            <link rel="alternate" type="application/rss+xml" href="rss/thoi-su.rss">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
            </head><body></body></html>"#;
        let found = alternates(html, &page());
        let urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://bao.example.vn/thoi-su/rss/thoi-su.rss",
                "https://bao.example.vn/atom.xml",
                "https://bao.example.vn/feed.json"
            ]
        );
        assert_eq!(found[0].title.as_deref(), Some("Thời sự - RSS"));
        assert_eq!(found[1].title.as_deref(), Some("Tin mới"));
        assert_eq!(found[1].media_type, "application/atom+xml");
        assert_eq!(found[2].title, None);
    }

    #[test]
    fn base_href_decides_where_relative_hrefs_point() {
        let html = r#"<html><head><base href="https://cdn.example.com/site/">
            <link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>"#;
        assert_eq!(
            alternates(html, &page())[0].url,
            "https://cdn.example.com/site/feed.xml"
        );
        // A relative <base> is itself relative to the page.
        let html = r#"<html><head><base href="/v2/">
            <link rel="alternate" type="application/atom+xml" href="atom"></head></html>"#;
        assert_eq!(
            alternates(html, &page())[0].url,
            "https://bao.example.vn/v2/atom"
        );
    }

    #[test]
    fn pages_and_feeds_are_told_apart() {
        assert!(is_web_page(b"<!DOCTYPE html><html><head>", None));
        assert!(is_web_page(b"\n  <html lang=\"vi\">", Some("text/plain")));
        assert!(is_web_page(b"<p>hi</p>", Some("text/html; charset=utf-8")));
        assert!(!is_web_page(
            b"<?xml version=\"1.0\"?><rss version=\"2.0\">",
            Some("text/html")
        ));
        assert!(!is_web_page(
            b"<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">",
            None
        ));
        assert!(!is_web_page(
            b"{\"version\": \"https://jsonfeed.org/version/1.1\"}",
            Some("application/json")
        ));
    }
}
