//! What is left of a document feed-rs refuses as a whole: one field it
//! cannot read (a text construct of an unknown type, an attachment without
//! a media type, a number where JSON Feed wants a string) fails its whole
//! parse, and with it every entry of the source. Here the document is taken
//! apart: entries are read one by one, and inside an entry that still fails
//! its fields are kept one by one while it parses, so a bad field loses that
//! field and a bad entry loses that entry, never the others.
//!
//! Only documents that failed come here; the cost of a good one is nil.

use feed_rs::model::{Entry, Feed};
use quick_xml::events::Event;
use serde_json::{Map, Value};

/// A document read in parts.
#[derive(Debug)]
pub struct Salvaged {
    pub feed: Feed,
    /// Entries of the document that could not be read at all.
    pub lost_entries: usize,
    /// Fields (child elements, JSON members) left out so the rest parses.
    pub lost_fields: usize,
}

/// `text` read as far as `parse` allows; `None` if not even the document
/// without its entries parses (then its own error is the one to report).
pub fn salvage<E>(text: &str, parse: impl Fn(&str) -> Result<Feed, E>) -> Option<Salvaged> {
    if text.trim_start().starts_with('{') {
        salvage_json(text, parse)
    } else {
        salvage_xml(text, parse)
    }
}

/// The items or entries of an XML document as written (`<item>` and
/// `<entry>` elements under the root or the channel), each `true` when it
/// is blank: no text and no attribute anywhere in it. `None` if it is not
/// well-formed enough to tell.
pub fn scan_entries(text: &str) -> Option<Vec<bool>> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    // Runs on every document: a depth and one flag, no allocation per element.
    let mut depth = 0usize;
    let mut under_channel = false;
    let mut blank = Vec::new();
    // The depth of the children of the entry being read, while its
    // markup may still turn out blank.
    let mut inside: Option<usize> = None;
    loop {
        let event = reader.read_event().ok()?;
        if inside.is_some_and(|c| depth >= c) {
            let content = match &event {
                Event::Text(t) => !t.iter().all(u8::is_ascii_whitespace),
                // `<description>  </description>` carries nothing.
                Event::Start(e) | Event::Empty(e) => e.attributes().next().is_some(),
                Event::CData(_) | Event::GeneralRef(_) => true,
                _ => false,
            };
            if content {
                if let Some(last) = blank.last_mut() {
                    *last = false;
                }
                inside = None;
            }
        }
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                if is_entry_at(local.as_ref(), depth, under_channel) {
                    let attributes = e.attributes().next().is_some();
                    blank.push(!attributes);
                    inside = (!attributes).then_some(depth + 1);
                }
                if depth == 1 {
                    under_channel = local.as_ref() == b"channel";
                }
                depth += 1;
            }
            Event::Empty(e) if is_entry_at(e.local_name().as_ref(), depth, under_channel) => {
                blank.push(e.attributes().next().is_none());
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if inside.is_some_and(|c| depth < c) {
                    inside = None;
                }
            }
            Event::Eof => return Some(blank),
            _ => {}
        }
    }
}

/// An entry element: `item` or `entry` whose parent is the root or an RSS
/// channel (not an `<entry>` quoted inside some extension).
fn is_entry(local: &[u8], path: &[Vec<u8>]) -> bool {
    is_entry_at(
        local,
        path.len(),
        path.get(1).is_some_and(|p| p == b"channel"),
    )
}

/// `is_entry` at `depth` (the root's children are at 1), `under_channel`
/// when the open element at depth 1 is a `<channel>`.
fn is_entry_at(local: &[u8], depth: usize, under_channel: bool) -> bool {
    matches!(local, b"item" | b"entry") && (depth == 1 || (depth == 2 && under_channel))
}

/// A span of the text: `[start, end)` in bytes.
type Span = (usize, usize);

/// The element that holds the entries, taken apart.
struct Parts {
    /// Up to the end of the container's start tag.
    prefix: Span,
    /// From the container's end tag to the end of the document.
    suffix: Span,
    /// The container's other children, as written.
    header: Vec<Span>,
    entries: Vec<EntryParts>,
}

struct EntryParts {
    /// The entry's start tag.
    open: Span,
    /// Its child elements.
    children: Vec<Span>,
    /// Its end tag (empty for `<item/>`).
    close: Span,
}

/// Parses a salvage may try on one document, at most: a hostile feed of
/// many entries, each failing on many fields, would otherwise cost a
/// parse per field of every entry. Entries past it are counted as lost.
const MAX_PARSES: usize = 5_000;

fn salvage_xml<E>(text: &str, parse: impl Fn(&str) -> Result<Feed, E>) -> Option<Salvaged> {
    let parts = take_apart(text)?;
    let piece = |s: &Span| &text[s.0..s.1];
    let (prefix, suffix) = (piece(&parts.prefix), piece(&parts.suffix));
    let document = |header: &str, entries: &str| [prefix, header, entries, suffix].concat();
    let budget = std::cell::Cell::new(MAX_PARSES);
    let parse = |doc: &str| -> Option<Feed> {
        let left = budget.get().checked_sub(1)?;
        budget.set(left);
        parse(doc).ok()
    };
    let mut lost_fields = 0;
    let all_header: String = parts.header.iter().map(piece).collect();
    let (header, mut feed) = match parse(&document(&all_header, "")) {
        Some(feed) => (all_header, feed),
        None => {
            let (kept, lost) =
                keep_what_parses(parts.header.iter().map(piece), |h| document(h, ""), &parse)?;
            lost_fields += lost;
            let feed = parse(&document(&kept, ""))?;
            (kept, feed)
        }
    };
    let mut lost_entries = 0;
    let mut entries: Vec<Entry> = Vec::with_capacity(parts.entries.len());
    let first = |feed: Feed| feed.entries.into_iter().next();
    for entry in &parts.entries {
        let (open, close) = (piece(&entry.open), piece(&entry.close));
        let wrap = |children: &str| document(&header, &[open, children, close].concat());
        let whole: String = entry.children.iter().map(piece).collect();
        if let Some(read) = parse(&wrap(&whole)).and_then(first) {
            entries.push(read);
            continue;
        }
        let read = keep_what_parses(entry.children.iter().map(piece), wrap, &parse)
            .and_then(|(kept, lost)| Some((parse(&wrap(&kept)).and_then(first)?, lost)));
        match read {
            Some((read, lost)) => {
                lost_fields += lost;
                entries.push(read);
            }
            None => lost_entries += 1,
        }
    }
    feed.entries = entries;
    Some(Salvaged {
        feed,
        lost_entries,
        lost_fields,
    })
}

/// The longest run of `pieces`, in order, with which `build` still
/// parses, each piece tried once; `None` if nothing parses even with none.
fn keep_what_parses<'a>(
    pieces: impl Iterator<Item = &'a str>,
    build: impl Fn(&str) -> String,
    parse: &impl Fn(&str) -> Option<Feed>,
) -> Option<(String, usize)> {
    parse(&build(""))?;
    let mut kept = String::new();
    let mut lost = 0;
    for p in pieces {
        let len = kept.len();
        kept.push_str(p);
        if parse(&build(&kept)).is_none() {
            kept.truncate(len);
            lost += 1;
        }
    }
    Some((kept, lost))
}

/// One element of the document, as spans of the text.
struct Node {
    local: Vec<u8>,
    parent: Option<usize>,
    /// From `<` of its start tag to the end of its start tag.
    open: Span,
    /// Its end tag (at the end of the start tag for `<x/>`).
    close: Span,
}

/// The container of the entries (the root, or RSS's `<channel>`) and the
/// spans of its children and of each entry's children.
fn take_apart(text: &str) -> Option<Parts> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut nodes: Vec<Node> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().ok()?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                nodes.push(Node {
                    local: e.local_name().as_ref().to_vec(),
                    parent: open.last().copied(),
                    open: (before, after),
                    close: (after, after),
                });
                if matches!(event, Event::Start(_)) {
                    open.push(nodes.len() - 1);
                }
            }
            Event::End(_) => {
                let i = open.pop()?;
                nodes[i].close = (before, after);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let path_of = |mut i: usize| {
        let mut path = vec![];
        while let Some(p) = nodes[i].parent {
            path.push(nodes[p].local.clone());
            i = p;
        }
        path.reverse();
        path
    };
    let first = (0..nodes.len()).find(|i| is_entry(&nodes[*i].local, &path_of(*i)))?;
    let container = nodes[first].parent?;
    let nodes = &nodes;
    let children = |of: usize| (0..nodes.len()).filter(move |i| nodes[*i].parent == Some(of));
    let mut parts = Parts {
        prefix: (0, nodes[container].open.1),
        suffix: (nodes[container].close.0, text.len()),
        header: vec![],
        entries: vec![],
    };
    for c in children(container) {
        let node = &nodes[c];
        if matches!(node.local.as_slice(), b"item" | b"entry") {
            parts.entries.push(EntryParts {
                open: node.open,
                children: children(c)
                    .map(|g| (nodes[g].open.0, nodes[g].close.1))
                    .collect(),
                close: node.close,
            });
        } else {
            parts.header.push((node.open.0, node.close.1));
        }
    }
    Some(parts)
}

/// JSON Feed with every member brought to the type the format gives it:
/// numbers where strings belong become strings, a lone object or string
/// where a list belongs becomes a list of one, what cannot be made right is
/// left out.
fn salvage_json<E>(text: &str, parse: impl Fn(&str) -> Result<Feed, E>) -> Option<Salvaged> {
    let Value::Object(mut top) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    let version = top.get("version").and_then(Value::as_str).unwrap_or("");
    // Some other JSON document: not ours to turn into a feed.
    if !version.contains("jsonfeed.org/version/") && !top.get("items").is_some_and(Value::is_array)
    {
        return None;
    }
    let mut lost_fields = 0;
    if !version.starts_with("https://jsonfeed.org/version/1") {
        // `http://` and missing versions are common; the shape is 1.x.
        top.insert(
            "version".into(),
            Value::from("https://jsonfeed.org/version/1.1"),
        );
    }
    if coerce_string(&mut top, "title") == Coerced::Lost || !top.contains_key("title") {
        top.insert("title".into(), Value::from(""));
    }
    for key in [
        "home_page_url",
        "feed_url",
        "language",
        "description",
        "icon",
        "favicon",
    ] {
        lost_fields += (coerce_string(&mut top, key) == Coerced::Lost) as usize;
    }
    lost_fields += coerce_authors(&mut top);
    let items = match top.remove("items") {
        Some(Value::Array(items)) => items,
        Some(Value::Object(item)) => vec![Value::Object(item)],
        _ => vec![],
    };
    let mut lost_entries = 0;
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut item) = item else {
            lost_entries += 1;
            continue;
        };
        for key in [
            "id",
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "date_published",
            "date_modified",
            "image",
            "banner_image",
            "language",
        ] {
            lost_fields += (coerce_string(&mut item, key) == Coerced::Lost) as usize;
        }
        lost_fields += coerce_authors(&mut item);
        lost_fields += coerce_tags(&mut item);
        lost_fields += coerce_attachments(&mut item);
        kept.push(Value::Object(item));
    }
    top.insert("items".into(), Value::Array(kept));
    let repaired = serde_json::to_string(&Value::Object(top)).ok()?;
    let feed = parse(&repaired).ok()?;
    Some(Salvaged {
        feed,
        lost_entries,
        lost_fields,
    })
}

#[derive(PartialEq)]
enum Coerced {
    Kept,
    Lost,
}

/// A string member as a string: numbers and booleans written as text,
/// anything else (and null) removed.
fn coerce_string(obj: &mut Map<String, Value>, key: &str) -> Coerced {
    let fixed = match obj.get(key) {
        None | Some(Value::String(_)) => return Coerced::Kept,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(_) => None,
    };
    match fixed {
        Some(s) => {
            obj.insert(key.into(), Value::from(s));
            Coerced::Kept
        }
        None => {
            let was_null = obj.remove(key).is_some_and(|v| v.is_null());
            if was_null {
                Coerced::Kept
            } else {
                Coerced::Lost
            }
        }
    }
}

/// A list member as a list: one value becomes a list of one.
fn as_list(obj: &mut Map<String, Value>, key: &str) -> Option<Vec<Value>> {
    match obj.remove(key)? {
        Value::Array(list) => Some(list),
        Value::Null => None,
        one => Some(vec![one]),
    }
}

fn coerce_author(value: Value) -> Option<Value> {
    match value {
        Value::Object(mut a) => {
            for key in ["name", "url", "avatar"] {
                coerce_string(&mut a, key);
            }
            Some(Value::Object(a))
        }
        // A bare name, as some JSON Feed 1.0 writers do.
        Value::String(name) => Some(serde_json::json!({ "name": name })),
        _ => None,
    }
}

fn coerce_authors(obj: &mut Map<String, Value>) -> usize {
    let mut lost = 0;
    if let Some(one) = obj.remove("author") {
        match coerce_author(one) {
            Some(a) => {
                obj.insert("author".into(), a);
            }
            None => lost += 1,
        }
    }
    lost + coerce_list(obj, "authors", coerce_author)
}

/// A list member as a list of what `each` makes of its values; returns
/// how many values it could not make anything of.
fn coerce_list(
    obj: &mut Map<String, Value>,
    key: &str,
    each: impl Fn(Value) -> Option<Value>,
) -> usize {
    let Some(list) = as_list(obj, key) else {
        return 0;
    };
    let total = list.len();
    let kept: Vec<Value> = list.into_iter().filter_map(each).collect();
    let lost = total - kept.len();
    obj.insert(key.into(), Value::Array(kept));
    lost
}

fn coerce_tags(obj: &mut Map<String, Value>) -> usize {
    coerce_list(obj, "tags", |t| match t {
        Value::String(s) => Some(Value::String(s)),
        Value::Number(n) => Some(Value::String(n.to_string())),
        _ => None,
    })
}

fn coerce_attachments(obj: &mut Map<String, Value>) -> usize {
    coerce_list(obj, "attachments", |a| {
        let Value::Object(mut a) = a else { return None };
        coerce_string(&mut a, "url");
        a.get("url")?.as_str()?;
        coerce_string(&mut a, "mime_type");
        if !a.contains_key("mime_type") {
            // Required by the format; unknown is still an attachment.
            a.insert("mime_type".into(), Value::from("application/octet-stream"));
        }
        coerce_string(&mut a, "title");
        let size = match a.remove("size_in_bytes") {
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        if let Some(size) = size {
            a.insert("size_in_bytes".into(), Value::from(size));
        }
        Some(Value::Object(a))
    })
}

#[cfg(test)]
mod tests {
    use crate::ingest::parse::parse_feed;

    fn titles(p: &crate::ingest::parse::Parsed) -> Vec<String> {
        p.feed
            .entries
            .iter()
            .map(|e| {
                e.title
                    .as_ref()
                    .map(|t| t.content.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn atom(bad: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://haiphong.example/">
  <title>Báo Hải Phòng</title><id>urn:hp</id>
  <entry><id>urn:1</id><title>Đảng ủy họp</title><link href="tin/1"/></entry>
  <entry><id>urn:2</id><title>Trường Sa</title>{bad}<link href="tin/2"/></entry>
  <entry><id>urn:3</id><title>Hải Phòng mưa lớn</title></entry>
</feed>"#
        )
    }

    #[test]
    fn a_field_feed_rs_refuses_loses_that_field_only() {
        for bad in [
            // A content type that is not a media type.
            r#"<content src="https://haiphong.example/v" type="not a type"/>"#,
            // `src` with a body, which RFC 4287 forbids.
            r#"<content src="https://haiphong.example/v" type="text/html">thân bài</content>"#,
            // Inline content of a media type, empty.
            r#"<content type="image/png"></content>"#,
        ] {
            let parsed = parse_feed(&atom(bad), None).unwrap_or_else(|e| panic!("{bad}: {e}"));
            assert_eq!(
                titles(&parsed),
                ["Đảng ủy họp", "Trường Sa", "Hải Phòng mưa lớn"],
                "{bad}"
            );
            assert_eq!(parsed.present, 3);
            assert_eq!(parsed.unreadable(), 0);
            assert_eq!(parsed.lost_fields, 1, "{bad}");
            // The entry keeps its other fields, after the bad one too,
            // with xml:base still applied.
            let second = &parsed.feed.entries[1];
            assert_eq!(second.id, "urn:2");
            assert_eq!(second.links[0].href, "https://haiphong.example/tin/2");
        }
    }

    #[test]
    fn a_bad_channel_field_loses_that_field_only() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Tin</title>
            <subtitle type="text/html" src="x">a</subtitle><rights type="bogus/&amp;">x</rights>
            <entry><id>1</id><title>Hải Phòng</title></entry></feed>"#;
        let parsed = parse_feed(xml, None).unwrap();
        assert_eq!(titles(&parsed), ["Hải Phòng"]);
    }

    #[test]
    fn a_hostile_document_costs_a_bounded_number_of_parses() {
        // Every entry fails on its content type, each with fields to try one
        // by one: without a budget, tens of thousands of parses.
        let entry = |i: usize| {
            format!(
                r#"<entry><id>urn:{i}</id><title>Tin {i}</title><summary>a</summary>
                   <content src="https://a.example/{i}" type="bad type"/><rights>r</rights></entry>"#
            )
        };
        let body: String = (0..3_000).map(entry).collect();
        let xml =
            format!(r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{body}</feed>"#);
        let parsed = parse_feed(&xml, None).unwrap();
        assert_eq!(parsed.present, 3_000);
        let read = parsed.feed.entries.len();
        assert!(read > 0 && read < 3_000, "{read} entries read");
        assert_eq!(titles(&parsed)[0], "Tin 0");
        // The rest are not hidden: they count as unreadable.
        assert_eq!(parsed.unreadable(), 3_000 - read);
    }

    #[test]
    fn entries_are_counted_as_written() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
            <item><title>a</title></item><item/><item><description><![CDATA[<item>]]></description></item>
            <item><media:group xmlns:media="http://search.yahoo.com/mrss/"><item/></media:group></item>
            </channel></rss>"#;
        assert_eq!(
            super::scan_entries(rss),
            Some(vec![false, true, false, false])
        );
        let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
            xmlns="http://purl.org/rss/1.0/"><channel><items><rdf:Seq><rdf:li/></rdf:Seq></items></channel>
            <item rdf:about="a"/><item rdf:about="b"/></rdf:RDF>"#;
        assert_eq!(super::scan_entries(rdf), Some(vec![false, false]));
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><source><entry/></source></entry></feed>"#;
        // One entry (the one quoted in its source is not), blank.
        assert_eq!(super::scan_entries(atom), Some(vec![true]));
        let blank = "<rss><channel><item>\n  </item><item><!-- x --></item><item>&amp;</item>\
                     <item><a/><b> </b></item><item><a href=\"x\"/></item></channel></rss>";
        assert_eq!(
            super::scan_entries(blank),
            Some(vec![true, true, false, true, false])
        );
    }

    fn json(bad: &str) -> String {
        format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"Tin nhanh",
               "items":[{{"id":"1","title":"Đảng ủy họp"}},{{{bad}}},{{"id":"3","title":"Hải Phòng"}}]}}"#
        )
    }

    #[test]
    fn json_feed_members_of_the_wrong_type_are_mended_or_left_out() {
        for (bad, id, lost) in [
            (r#""id":2,"title":"Trường Sa""#, "2", 0),
            (
                r#""id":"2","title":"Trường Sa","date_published":20261125"#,
                "2",
                0,
            ),
            (r#""id":"2","title":"Trường Sa","tags":"biển đảo""#, "2", 0),
            (r#""id":"2","title":"Trường Sa","url":{"href":"x"}"#, "2", 1),
            (
                r#""id":"2","title":"Trường Sa","authors":{"name":"Lê Tân"}"#,
                "2",
                0,
            ),
            (r#""id":"2","title":"Trường Sa","author":"Lê Tân""#, "2", 0),
            (
                r#""id":"2","title":"Trường Sa","attachments":[{"url":"https://a.example/a.mp3"}]"#,
                "2",
                0,
            ),
            (
                r#""id":"2","title":"Trường Sa","attachments":[{"url":"https://a.example/a.mp3","mime_type":"audio/mpeg","size_in_bytes":"12"}]"#,
                "2",
                0,
            ),
            (
                r#""id":"2","title":"Trường Sa","attachments":[{"title":"no url"}]"#,
                "2",
                1,
            ),
            (
                r#""id":"2","title":"Trường Sa","content_html":["a"]"#,
                "2",
                1,
            ),
        ] {
            let parsed = parse_feed(&json(bad), None).unwrap_or_else(|e| panic!("{bad}: {e}"));
            assert_eq!(
                titles(&parsed),
                ["Đảng ủy họp", "Trường Sa", "Hải Phòng"],
                "{bad}"
            );
            assert_eq!(parsed.feed.entries[1].id, id, "{bad}");
            assert_eq!(parsed.lost_fields, lost, "{bad}");
        }
        // An item that is not an object is one unreadable entry.
        let parsed = parse_feed(&json("").replace("{},", "7,"), None).unwrap();
        assert_eq!(titles(&parsed), ["Đảng ủy họp", "Hải Phòng"]);
        assert_eq!((parsed.present, parsed.unreadable()), (3, 1));
        // Feed-level members too, and a version written with http://.
        let feed = json(r#""id":"2""#)
            .replace(
                r#""title":"Tin nhanh""#,
                r#""title":7,"home_page_url":["x"]"#,
            )
            .replace(
                "https://jsonfeed.org/version/1.1",
                "http://jsonfeed.org/version/1",
            );
        let parsed = parse_feed(&feed, None).unwrap();
        assert_eq!(parsed.feed.entries.len(), 3);
        assert_eq!(parsed.feed.title.unwrap().content, "7");
    }

    #[test]
    fn what_is_not_a_feed_stays_an_error() {
        assert!(parse_feed("<html><body><p>nope</p></body></html>", None).is_err());
        assert!(parse_feed(r#"{"hello":"world"}"#, None).is_err());
        assert!(parse_feed(r#"{"items":"none"}"#, None).is_err());
        assert!(parse_feed("[1, 2]", None).is_err());
    }
}
