//! Bounds on what one document may cost before it is parsed: at most
//! `max_items_per_document` items are read (a 7 MB feed of a million empty
//! `<item/>` peaked at 1.4 GB resident as parsed entries). The document is
//! cut after its last item kept and closed again, so the parser sees a
//! shorter feed of the same shape; documents within the bound are passed
//! on untouched, found so by a count far cheaper than a parse.

use std::borrow::Cow;

use quick_xml::events::Event;

/// The document with at most `max` items, and how many were cut.
pub fn cap_items(text: &str, max: usize) -> (Cow<'_, str>, u32) {
    if text.trim_start().starts_with('{') {
        // Every item is an object: no more `{` than the bound, no more items.
        if text.bytes().filter(|b| *b == b'{').count() <= max {
            return (Cow::Borrowed(text), 0);
        }
        // Re-serialized only when something was cut: the text as written
        // is what the parser should see otherwise.
        return match cap_json(text, max) {
            Some((capped, over)) if over > 0 => (Cow::Owned(capped), over),
            _ => (Cow::Borrowed(text), 0),
        };
    }
    if element_starts(text, "item") + element_starts(text, "entry") <= max {
        return (Cow::Borrowed(text), 0);
    }
    cap_xml(text, max).map_or((Cow::Borrowed(text), 0), |(t, n)| (Cow::Owned(t), n))
}

/// How many times `name` follows `<` or a prefix's `:`: at least the
/// number of such elements.
fn element_starts(text: &str, name: &str) -> usize {
    let bytes = text.as_bytes();
    text.match_indices(name)
        .filter(|(i, _)| *i > 0 && matches!(bytes[i - 1], b'<' | b':'))
        .count()
}

/// Cuts after the `max`-th entry element (an `item` or `entry` under the
/// root or an RSS channel) and closes what was open there. `None` when the
/// markup cannot be read far enough (the parser's salvage takes over).
fn cap_xml(text: &str, max: usize) -> Option<(String, u32)> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    // Names of the open elements above the entries (root, channel).
    let mut open: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut kept = 0usize;
    let mut cut_at: Option<(usize, Vec<String>)> = None;
    let mut over = 0u32;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            // Broken past the cut: what is kept was read.
            Err(_) if cut_at.is_some() => break,
            // Broken before it: cut where the markup says the items end.
            Err(_) => return cut_by_text(text, max),
        };
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                if is_entry(local.as_ref(), depth, &open) && cut_at.is_some() {
                    over += 1;
                }
                if depth < 2 {
                    open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                }
                depth += 1;
            }
            Event::Empty(e) if is_entry(e.local_name().as_ref(), depth, &open) => {
                if cut_at.is_some() {
                    over += 1;
                } else {
                    kept += 1;
                    if kept == max {
                        cut_at = Some((reader.buffer_position() as usize, open.clone()));
                    }
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if depth < 2 {
                    open.truncate(depth);
                }
                let local = e.local_name();
                if cut_at.is_none() && is_entry(local.as_ref(), depth, &open) {
                    kept += 1;
                    if kept == max {
                        cut_at = Some((reader.buffer_position() as usize, open.clone()));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let (at, still_open) = cut_at?;
    let mut out = String::with_capacity(at + 64);
    out.push_str(text.get(..at)?);
    for name in still_open.iter().rev() {
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    Some((out, over))
}

/// For markup too broken to read: cut after the `max`-th item or entry
/// end tag as written, leaving the root unclosed (the parser's salvage
/// reads what it can, entry by entry). `None` when there are not that many.
fn cut_by_text(text: &str, max: usize) -> Option<(String, u32)> {
    let ends = ["</item>", "</entry>", "<item/>", "<entry/>"];
    let mut positions: Vec<usize> = ends
        .iter()
        .flat_map(|e| text.match_indices(e).map(|(i, m)| i + m.len()))
        .collect();
    if max == 0 || positions.len() <= max {
        return None;
    }
    positions.sort_unstable();
    let at = positions[max - 1];
    let over = (positions.len() - max).min(u32::MAX as usize) as u32;
    Some((text.get(..at)?.to_owned(), over))
}

/// `item`/`entry` whose parent is the root or an RSS `channel`.
fn is_entry(local: &[u8], depth: usize, open: &[String]) -> bool {
    let under_channel = depth == 2
        && open
            .get(1)
            .is_some_and(|c| c.rsplit(':').next() == Some("channel"));
    (local == b"item" || local == b"entry") && (depth == 1 || under_channel)
}

/// A JSON Feed with its `items` array cut to `max`, the rest skipped
/// without being kept in memory.
fn cap_json(text: &str, max: usize) -> Option<(String, u32)> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    struct Top(usize);
    struct Items(usize);

    impl<'de> DeserializeSeed<'de> for Items {
        type Value = (Vec<serde_json::Value>, u32);
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Items {
        type Value = (Vec<serde_json::Value>, u32);
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of items")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut kept = Vec::new();
            let mut over = 0u32;
            while kept.len() < self.0 {
                match seq.next_element::<serde_json::Value>()? {
                    Some(v) => kept.push(v),
                    None => return Ok((kept, 0)),
                }
            }
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                over = over.saturating_add(1);
            }
            Ok((kept, over))
        }
    }
    impl<'de> Visitor<'de> for Top {
        type Value = (serde_json::Map<String, serde_json::Value>, u32);
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON Feed object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = serde_json::Map::new();
            let mut over = 0;
            while let Some(key) = map.next_key::<String>()? {
                if key == "items" {
                    let (items, cut) = map.next_value_seed(Items(self.0))?;
                    over = cut;
                    out.insert(key, serde_json::Value::Array(items));
                } else {
                    out.insert(key, map.next_value()?);
                }
            }
            Ok((out, over))
        }
    }

    let mut de = serde_json::Deserializer::from_str(text);
    let (feed, over) = de.deserialize_map(Top(max)).ok()?;
    Some((serde_json::to_string(&feed).ok()?, over))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss(items: usize) -> String {
        let body: String = (0..items)
            .map(|i| format!("<item><guid>hp-{i}</guid><title>Tin Hải Phòng số {i}</title></item>"))
            .collect();
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Báo</title>{body}</channel></rss>"
        )
    }

    #[test]
    fn documents_within_the_bound_are_untouched() {
        let doc = rss(10);
        let (out, over) = cap_items(&doc, 10);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(over, 0);
    }

    #[test]
    fn rss_is_cut_after_the_last_item_kept_and_closed_again() {
        let doc = rss(12);
        let (out, over) = cap_items(&doc, 5);
        assert_eq!(over, 7);
        assert!(
            out.ends_with("<title>Tin Hải Phòng số 4</title></item></channel></rss>"),
            "{out}"
        );
        let feed = feed_rs::parser::parse(out.as_bytes()).unwrap();
        assert_eq!(feed.entries.len(), 5);
    }

    #[test]
    fn a_million_empty_items_are_cut_without_reading_them_all_into_memory() {
        let doc = format!(
            "<rss version=\"2.0\"><channel><title>x</title>{}</channel></rss>",
            "<item/>".repeat(1_000_000)
        );
        let (out, over) = cap_items(&doc, 5_000);
        assert_eq!(over, 995_000);
        assert_eq!(out.matches("<item/>").count(), 5_000);
        assert!(out.ends_with("<item/></channel></rss>"));
    }

    #[test]
    fn atom_entries_and_prefixed_roots_are_closed_by_their_names() {
        let entries: String = (0..4)
            .map(|i| {
                format!("<a:entry><a:id>urn:e{i}</a:id><a:title>Trường Sa {i}</a:title></a:entry>")
            })
            .collect();
        let doc = format!(
            "<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\"><a:title>t</a:title>{entries}</a:feed>"
        );
        let (out, over) = cap_items(&doc, 2);
        assert_eq!(over, 2);
        assert!(
            out.ends_with("Trường Sa 1</a:title></a:entry></a:feed>"),
            "{out}"
        );
        // An <entry> quoted inside an extension is not an entry.
        let nested = "<feed><entry><x><entry/><entry/></x></entry><entry/></feed>";
        let (out, over) = cap_items(nested, 1);
        assert_eq!(over, 1);
        assert_eq!(out, "<feed><entry><x><entry/><entry/></x></entry></feed>");
    }

    #[test]
    fn markup_too_broken_to_read_is_still_cut_after_the_last_item_kept() {
        let items: String = (0..50)
            .map(|i| format!("<item><title>Tin {i}</title><!x></item>"))
            .collect();
        let doc =
            format!("<rss version=\"2.0\"><channel><title>Hỏng</title>{items}</channel></rss>");
        let (out, over) = cap_items(&doc, 10);
        assert_eq!(over, 40);
        assert!(out.ends_with("<title>Tin 9</title><!x></item>"), "{out}");
        // What the parser's salvage makes of it: the first ten at most.
        let parsed = crate::ingest::parse::parse_feed(&out, None);
        assert!(parsed.map_or(0, |p| p.feed.entries.len()) <= 10);
    }

    #[test]
    fn json_feed_items_are_cut_and_the_rest_of_the_feed_kept() {
        let items: Vec<String> = (0..9)
            .map(|i| format!("{{\"id\":\"{i}\",\"title\":\"Đảng ủy {i}\"}}"))
            .collect();
        let doc = format!(
            "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"Báo\",\"items\":[{}],\"home_page_url\":\"https://baomoi.example/\"}}",
            items.join(",")
        );
        let (out, over) = cap_items(&doc, 3);
        assert_eq!(over, 6);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 3);
        assert_eq!(v["items"][2]["title"], "Đảng ủy 2");
        assert_eq!(v["home_page_url"], "https://baomoi.example/");
        // More objects than the bound, but not more items: as written.
        let nested = "{\"items\":[{\"id\":\"1\",\"author\":{\"name\":\"Lê\"}},{\"id\":\"2\",\"author\":{\"name\":\"Hà\"}}]}";
        let (out, over) = cap_items(nested, 3);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(over, 0);
    }
}
