//! Finding a source's hub (WebSub §4): the HTTP `Link` header first, then
//! the document: `<link rel="hub">` in Atom, `<atom:link rel="hub">` in
//! RSS, `hubs` in JSON Feed; the topic is the `rel="self"` beside it, or
//! the fetched URL. Pure: text in, links out.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// A hub and the topic to subscribe to there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLink {
    pub hub: Url,
    pub topic: Url,
}

/// The hub a fetched document names, if any. `link_header` is the
/// response's `Link` header; `document_url` resolves relative links and
/// is the topic when nothing names one.
pub fn discover(link_header: Option<&str>, text: &str, document_url: &Url) -> Option<HubLink> {
    let (mut hub, mut topic) = (None, None);
    if let Some(header) = link_header {
        (hub, topic) = from_link_header(header, document_url);
    }
    if hub.is_none() {
        let (h, t) = if text.trim_start().starts_with('{') {
            from_json_feed(text, document_url)
        } else {
            from_xml(text, document_url)
        };
        hub = h;
        topic = topic.or(t);
    }
    let hub = hub?;
    Some(HubLink {
        hub,
        topic: topic.unwrap_or_else(|| document_url.clone()),
    })
}

fn http_url(base: &Url, href: &str) -> Option<Url> {
    base.join(href.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// `<https://hub.example/>; rel="hub", </feed>; rel="self"`.
fn from_link_header(header: &str, base: &Url) -> (Option<Url>, Option<Url>) {
    static LINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"<([^>]*)>((?:\s*;\s*[a-zA-Z*-]+\s*=\s*(?:"[^"]*"|[^;,]*))*)"#)
            .expect("static regex")
    });
    static REL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i);\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]*))"#).expect("static regex")
    });
    let (mut hub, mut topic) = (None, None);
    for link in LINK.captures_iter(header) {
        let params = link.get(2).map_or("", |m| m.as_str());
        let Some(rel) = REL
            .captures(params)
            .and_then(|c| c.get(1).or(c.get(2)))
            .map(|m| m.as_str().to_ascii_lowercase())
        else {
            continue;
        };
        let url = http_url(base, &link[1]);
        for r in rel.split_whitespace() {
            match r {
                "hub" if hub.is_none() => hub = url.clone(),
                "self" if topic.is_none() => topic = url.clone(),
                _ => {}
            }
        }
    }
    (hub, topic)
}

/// Feed-level `<link>` elements of any prefix (`link`, `atom:link`,
/// `atom10:link`), before the first item.
fn from_xml(text: &str, base: &Url) -> (Option<Url>, Option<Url>) {
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(?:[a-z0-9_-]+:)?link\b([^>]*)>").expect("static regex")
    });
    static ATTR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?is)\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("static regex")
    });
    let end = ["<item", "<entry"]
        .iter()
        .filter_map(|t| text.find(t))
        .min()
        .unwrap_or(text.len());
    let mut end = end.min(256 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let (mut hub, mut topic) = (None, None);
    for tag in TAG.captures_iter(&text[..end]) {
        let (mut rel, mut href) = (None, None);
        for a in ATTR.captures_iter(&tag[1]) {
            let value = a.get(2).or(a.get(3)).map_or("", |m| m.as_str());
            let value = quick_xml::escape::unescape(value)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| value.to_owned());
            if a[1].eq_ignore_ascii_case("rel") {
                rel = Some(value.to_ascii_lowercase());
            } else {
                href = Some(value);
            }
        }
        let (Some(rel), Some(href)) = (rel, href) else {
            continue;
        };
        for r in rel.split_whitespace() {
            match r {
                "hub" if hub.is_none() => hub = http_url(base, &href),
                "self" if topic.is_none() => topic = http_url(base, &href),
                _ => {}
            }
        }
    }
    (hub, topic)
}

/// JSON Feed: `"hubs": [{"type": "WebSub", "url": ...}]` and `feed_url`.
fn from_json_feed(text: &str, base: &Url) -> (Option<Url>, Option<Url>) {
    #[derive(serde::Deserialize)]
    struct Feed {
        #[serde(default)]
        hubs: Vec<Hub>,
        feed_url: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Hub {
        #[serde(rename = "type", default)]
        kind: String,
        url: Option<String>,
    }
    let Ok(feed) = serde_json::from_str::<Feed>(text) else {
        return (None, None);
    };
    let hub = feed
        .hubs
        .iter()
        .filter(|h| {
            h.kind.is_empty()
                || h.kind.eq_ignore_ascii_case("websub")
                || h.kind.eq_ignore_ascii_case("pubsubhubbub")
        })
        .find_map(|h| http_url(base, h.url.as_deref()?));
    let topic = feed.feed_url.as_deref().and_then(|u| http_url(base, u));
    (hub, topic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://baomoi.example/rss/hai-phong.rss").unwrap()
    }

    fn found(link: Option<&str>, text: &str) -> Option<(String, String)> {
        discover(link, text, &base()).map(|h| (h.hub.to_string(), h.topic.to_string()))
    }

    #[test]
    fn rss_atom_link_names_hub_and_self() {
        let rss = r#"<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Tin Hải Phòng</title>
            <atom:link rel="self" type="application/rss+xml" href="https://baomoi.example/rss/hp.rss"/>
            <atom:link href='https://pubsubhubbub.appspot.com/' rel='hub'/>
            <item><atom:link rel="hub" href="https://wrong.example/"/></item></channel></rss>"#;
        assert_eq!(
            found(None, rss),
            Some((
                "https://pubsubhubbub.appspot.com/".into(),
                "https://baomoi.example/rss/hp.rss".into()
            ))
        );
    }

    #[test]
    fn atom_links_resolve_relative_and_the_topic_defaults_to_the_fetched_url() {
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Đảng ủy</title>
            <link rel="alternate" href="/"/><link href="/hub?a=1&amp;b=2" rel="hub"/><entry><title>x</title></entry></feed>"#;
        assert_eq!(
            found(None, atom),
            Some((
                "https://baomoi.example/hub?a=1&b=2".into(),
                base().to_string()
            ))
        );
    }

    #[test]
    fn json_feed_hubs() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","feed_url":"https://baomoi.example/feed.json",
            "hubs":[{"type":"rssCloud","url":"https://cloud.example/"},{"type":"WebSub","url":"https://hub.example/"}],"items":[]}"#;
        assert_eq!(
            found(None, json),
            Some((
                "https://hub.example/".into(),
                "https://baomoi.example/feed.json".into()
            ))
        );
    }

    #[test]
    fn the_link_header_wins_over_the_body() {
        let header = r#"<https://hub.example/ws>; rel="hub", <https://baomoi.example/canonical.rss>; rel="self""#;
        let rss =
            r#"<rss><channel><atom:link rel="hub" href="https://other.example/"/></channel></rss>"#;
        assert_eq!(
            found(Some(header), rss),
            Some((
                "https://hub.example/ws".into(),
                "https://baomoi.example/canonical.rss".into()
            ))
        );
        // A header without a hub leaves the body's.
        assert_eq!(
            found(Some("<https://x.example/>; rel=\"next\""), rss).map(|h| h.0),
            Some("https://other.example/".into())
        );
    }

    #[test]
    fn no_hub_or_an_unusable_one_is_none() {
        assert_eq!(
            found(None, "<rss><channel><title>x</title></channel></rss>"),
            None
        );
        assert_eq!(
            found(None, r#"<feed><link rel="hub" href="mailto:x@y"/></feed>"#),
            None
        );
        assert_eq!(found(None, "{not json"), None);
    }
}
