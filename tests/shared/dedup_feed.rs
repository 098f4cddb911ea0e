//! The labelled dedup set (`tests/data/dedup/set.json`) as RSS feeds, one
//! per outlet: shared by the grouping decision's unit test (fixed dates)
//! and the end-to-end tests (dates moved to the day of the run).

use std::collections::BTreeMap;

use serde_json::Value;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One outlet's articles as an RSS 2.0 feed; `pub_date` turns an
/// article's `published` (RFC 3339) into its `<pubDate>`.
pub fn rss(outlet: &str, articles: &[&Value], pub_date: impl Fn(&str) -> String) -> String {
    let mut items = String::new();
    for a in articles {
        let text = |key: &str| escape(a[key].as_str().unwrap_or_default());
        items.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid>\
             <pubDate>{}</pubDate><description>{}</description></item>\n",
            text("title"),
            text("url"),
            text("id"),
            pub_date(a["published"].as_str().unwrap_or_default()),
            text("html"),
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>{outlet}</title><link>https://{outlet}.example/</link><description>{outlet}</description>\n\
         {items}</channel></rss>\n"
    )
}

/// The set's articles by outlet, outlets in name order.
pub fn by_outlet<'a>(articles: &[&'a Value]) -> BTreeMap<&'a str, Vec<&'a Value>> {
    let mut by_outlet: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for a in articles {
        by_outlet
            .entry(a["outlet"].as_str().unwrap_or_default())
            .or_default()
            .push(*a);
    }
    by_outlet
}
