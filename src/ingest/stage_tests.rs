//! The pure middle of ingest, without a database: real feed files (the
//! fixtures under `tests/data/`, as written) through decode → parse →
//! identify → normalize, each file's result pinned as a snapshot beside
//! this file (`snapshots/`). A change to what is stored shows up here as a
//! diff to review (`cargo insta review`, or `INSTA_UPDATE=always`), not
//! only as a failed end-to-end test.

use chrono::{DateTime, Utc};
use url::Url;

use super::normalize::{self, Sanitizer};
use super::{decode, parse};

/// Fixtures written as of this day (see tests/it/support/fixture_dates.rs):
/// the fetch is placed just after, so no snapshot depends on the calendar.
const FETCHED_AT: &str = "2026-11-27T06:00:00Z";

fn stages(name: &str, content_type: Option<&str>) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fetched_at: DateTime<Utc> = FETCHED_AT.parse().unwrap();
    let url = Url::parse("https://feeds.example/")
        .unwrap()
        .join(name)
        .unwrap();
    let text = decode::decode(&bytes, content_type);
    let parsed = match parse::parse_feed(&text, None) {
        Ok(p) => p,
        Err(e) => return serde_json::json!({ "error": e.to_string() }),
    };
    let (present, lost_fields) = (parsed.present, parsed.lost_fields);
    let prepared = normalize::prepare(parsed.feed, &url, false, &parsed.blank);
    let sanitizer = Sanitizer::new();
    let entries: Vec<_> = prepared
        .candidates
        .iter()
        .map(|c| prepared.normalize(c, &sanitizer, fetched_at, None, None))
        .collect();
    serde_json::json!({
        "feed": {
            "title": prepared.meta.title,
            "site_url": prepared.meta.site_url,
            "language": prepared.meta.language,
        },
        "present": present,
        "lost_fields": lost_fields,
        "dropped": prepared.dropped.to_json(),
        "entries": entries,
    })
}

macro_rules! snapshot {
    ($test:ident, $file:expr) => {
        snapshot!($test, $file, None);
    };
    ($test:ident, $file:expr, $content_type:expr) => {
        #[test]
        fn $test() {
            insta::assert_json_snapshot!(stages($file, $content_type));
        }
    };
}

snapshot!(vietnamese_news, "vi-news.rss");
snapshot!(vietnamese_news_decomposed, "vi-news-nfd.rss");
snapshot!(
    vietnamese_news_windows_1258,
    "vi-news-windows-1258.rss",
    Some("application/rss+xml; charset=windows-1258")
);
snapshot!(english_wire_atom, "wire-en.atom");
snapshot!(republished_wire, "wire-republished.rss");
snapshot!(hostile_titles, "hostile-titles.atom");
snapshot!(awkward_lists, "awkward-lists.rss");
snapshot!(bare_ampersand, "bare-ampersand.rss");
snapshot!(repeated_guid, "repeated-guid.rss");
snapshot!(undated, "undated.rss");
snapshot!(atom_0_3, "dialects/atom03.xml");
snapshot!(rss_1_0_items_without_links, "dialects/rdf-about.rdf");
snapshot!(json_feed_with_wrong_types, "dialects/lenient.json");
snapshot!(atom_with_a_bad_field, "dialects/lenient.atom");
snapshot!(some_entries_dropped, "dialects/some-dropped.rss");
