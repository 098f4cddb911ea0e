//! Feed dialects feed-rs does not read, brought to ones it does before it
//! parses: Atom 0.3 becomes Atom 1.0 (the way feedparser maps it), MIME
//! types on Atom text constructs become `text`/`html`/`xhtml`, and RSS in a
//! default namespace or without `version` becomes plain RSS 2.0. Documents
//! that need none of this (nearly all) are not touched, not even copied.
//!
//! Pure: text in, text out. A document the rewriter cannot read is handed
//! to feed-rs as it came, so that its error is the one reported.

use std::borrow::Cow;
use std::sync::LazyLock;

use base64::Engine;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const XHTML: &str = "http://www.w3.org/1999/xhtml";
/// RSS 0.90's namespace: feed-rs reads RSS 1.0's, and the two are one shape.
const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS_10: &str = "http://purl.org/rss/1.0/";
/// UserLand's RSS 2.0 namespace, default or prefixed: RSS 2.0 has none.
const USERLAND: &[&str] = &[
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
    "http://blogs.law.harvard.edu/tech/rss",
];

/// `text` in a dialect feed-rs reads; borrowed when it already is one.
pub fn for_feed_rs(text: &str) -> Cow<'_, str> {
    if !needs_rewrite(text) {
        return Cow::Borrowed(text);
    }
    match rewrite(text) {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// Whether `text` declares namespace `ns`: its URI as an attribute value,
/// not as text (RSS 2.0 feeds name UserLand's spec in `<docs>`).
fn declares(text: &str, ns: &str) -> bool {
    text.match_indices(ns).any(|(at, _)| {
        let (before, after) = (&text[..at], &text[at + ns.len()..]);
        (before.ends_with('"') && after.starts_with('"'))
            || (before.ends_with('\'') && after.starts_with('\''))
    })
}

/// Cheap checks on the raw text: false for RSS 2.0 and Atom 1.0 as
/// usually written, so they pay only these searches.
fn needs_rewrite(text: &str) -> bool {
    if [ATOM_03, RSS_090]
        .into_iter()
        .chain(USERLAND.iter().copied())
        .any(|ns| declares(text, ns))
    {
        return true;
    }
    if text.contains(ATOM_10) {
        // `type="text/html"` is common on links; only text constructs count.
        static MIME_TEXT: LazyLock<regex::Regex> = LazyLock::new(|| {
            regex::Regex::new(
                r#"<(?:[\w.-]+:)?(?:title|subtitle|summary|content|rights)\s[^>]*\btype\s*=\s*["'](?:text/|application/)"#,
            )
            .expect("static regex")
        });
        return [
            "type=\"text/",
            "type='text/",
            "type=\"application/",
            "type='application/",
        ]
        .iter()
        .any(|t| text.contains(t))
            && MIME_TEXT.is_match(text);
    }
    rss_root(text).is_some_and(|tag| {
        tag.contains("xmlns=")
            || ![
                "\"2.0\"", "\"0.91\"", "\"0.92\"", "'2.0'", "'0.91'", "'0.92'",
            ]
            .iter()
            .any(|v| tag.contains(v))
    })
}

/// The `<rss ...>` start tag, if the document's root is one.
fn rss_root(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        rest = &rest[at..];
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = if rest.starts_with("<!--") {
                rest.find("-->")? + 3
            } else {
                rest.find('>')? + 1
            };
            rest = &rest[end..];
            continue;
        }
        if !rest.starts_with("<rss") || !rest[4..].starts_with([' ', '>', '\t', '\r', '\n']) {
            return None;
        }
        return Some(&rest[..rest.find('>')? + 1]);
    }
}

/// How one open element is written back.
struct Open {
    /// The name its end tag gets (renamed elements keep their prefix).
    name: String,
    /// Base64 content being gathered, decoded at the end tag.
    base64: Option<String>,
    /// An `<div>` opened inside it (MIME-typed inline markup made xhtml).
    wrapped: bool,
}

fn rewrite(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut out = String::with_capacity(text.len() + 256);
    let mut stack: Vec<Open> = Vec::new();
    let mut seen_root = false;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let atom_03 = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == ATOM_03.as_bytes());
        let atom_10 = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == ATOM_10.as_bytes());
        let userland = matches!(ns, ResolveResult::Bound(n) if USERLAND.iter().any(|u| n.as_ref() == u.as_bytes()));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let root = !seen_root;
                seen_root = true;
                let (tag, open) = start_tag(e, root, (atom_03, atom_10, userland))?;
                out.push_str(&tag);
                if empty {
                    // `<x/>` written as `<x></x>`: same meaning, one code path.
                    out.push_str(&format!("</{}>", open.name));
                } else {
                    if open.wrapped {
                        out.push_str(&format!("<div xmlns=\"{XHTML}\">"));
                    }
                    stack.push(open);
                }
            }
            Event::End(_) => {
                let open = stack.pop()?;
                if let Some(encoded) = open.base64 {
                    out.push_str(&quick_xml::escape::escape(decode_base64(&encoded)));
                }
                if open.wrapped {
                    out.push_str("</div>");
                }
                out.push_str(&format!("</{}>", open.name));
            }
            Event::Text(ref t) => {
                let raw = std::str::from_utf8(t.as_ref()).ok()?;
                match stack.last_mut().and_then(|o| o.base64.as_mut()) {
                    Some(encoded) => encoded.push_str(raw),
                    None => out.push_str(raw),
                }
            }
            Event::CData(ref c) => {
                let raw = std::str::from_utf8(c.as_ref()).ok()?;
                match stack.last_mut().and_then(|o| o.base64.as_mut()) {
                    Some(encoded) => encoded.push_str(raw),
                    None => out.push_str(&raw_event(&event)?),
                }
            }
            Event::Eof => break,
            other => {
                if stack.last().is_some_and(|o| o.base64.is_some()) {
                    continue;
                }
                out.push_str(&raw_event(&other)?);
            }
        }
    }
    Some(out)
}

/// An event other than a start, end or text tag, as it was written.
fn raw_event(event: &Event) -> Option<String> {
    let mut writer = quick_xml::Writer::new(Vec::new());
    writer.write_event(event.borrow()).ok()?;
    String::from_utf8(writer.into_inner()).ok()
}

/// A start tag rewritten for its dialect, and how to close it.
fn start_tag(
    e: &BytesStart,
    root: bool,
    (atom_03, atom_10, userland): (bool, bool, bool),
) -> Option<(String, Open)> {
    let qname = std::str::from_utf8(e.name().as_ref()).ok()?.to_owned();
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p.to_owned()), l.to_owned()),
        None => (None, qname.clone()),
    };
    let renamed = if atom_03 {
        match local.as_str() {
            "issued" => "published",
            "modified" => "updated",
            "tagline" => "subtitle",
            "copyright" => "rights",
            "url" => "uri",
            other => other,
        }
    } else {
        local.as_str()
    };
    let name = match &prefix {
        // RSS 2.0 elements under a UserLand prefix: plain RSS elements.
        Some(p) if !userland => format!("{p}:{renamed}"),
        _ => renamed.to_owned(),
    };
    let text_construct = (atom_03 || atom_10)
        && matches!(
            renamed,
            "title" | "subtitle" | "summary" | "content" | "rights"
        );
    let rss = root && local == "rss" && !atom_03 && !atom_10;

    let mut attrs: Vec<(String, String)> = Vec::new();
    let (mut mime, mut mode) = (None, None);
    for a in e.attributes().with_checks(false).flatten() {
        let key = std::str::from_utf8(a.key.as_ref()).ok()?.to_owned();
        let value = std::str::from_utf8(&a.value).ok()?.to_owned();
        let declaration = key == "xmlns" || key.starts_with("xmlns:");
        if declaration && value == ATOM_03 {
            attrs.push((key, ATOM_10.to_owned()));
        } else if declaration && value == RSS_090 {
            attrs.push((key, RSS_10.to_owned()));
        } else if declaration && USERLAND.contains(&value.as_str()) {
            // Dropped with the prefixes that used it.
        } else if atom_03 && root && key == "version" {
            // "0.3": Atom 1.0 has no version attribute.
        } else if rss && key == "xmlns" {
            // RSS in another default namespace: plain RSS.
        } else if text_construct && key == "type" {
            mime = Some(value);
        } else if text_construct && atom_03 && key == "mode" {
            mode = Some(value);
        } else {
            attrs.push((key, value));
        }
    }
    if rss {
        // feed-rs knows 0.91, 0.92 and 2.0 by name; 0.93, 0.94, a missing
        // or odd version are RSS 2.0's shape.
        attrs.retain(|(k, v)| k != "version" || ["2.0", "0.91", "0.92"].contains(&v.trim()));
        if !attrs.iter().any(|(k, _)| k == "version") {
            attrs.push(("version".into(), "2.0".into()));
        }
    }
    let mut open = Open {
        name: name.clone(),
        base64: None,
        wrapped: false,
    };
    if text_construct {
        let kind = mime.as_deref().and_then(text_type);
        let atom_type = match (mode.as_deref(), kind) {
            (Some("base64"), k) => {
                let html = k == Some("html") || k == Some("xhtml");
                open.base64 = Some(String::new());
                Some(if html { "html" } else { "text" })
            }
            (Some("escaped"), Some("xhtml")) | (Some("escaped"), None) => Some("html"),
            (Some("escaped"), k) => k,
            // Inline markup typed as HTML in Atom 0.3: it is XHTML.
            (_, Some("html")) if atom_03 && mime.as_deref() != Some("html") => {
                open.wrapped = true;
                Some("xhtml")
            }
            (_, Some("xhtml")) if mime.as_deref() != Some("xhtml") => {
                open.wrapped = true;
                Some("xhtml")
            }
            (_, k) => k,
        };
        match (atom_type, mime) {
            (Some(t), _) => attrs.push(("type".into(), t.into())),
            (None, Some(m)) => attrs.push(("type".into(), m)),
            (None, None) => {}
        }
    }
    let mut tag = format!("<{name}");
    for (k, v) in &attrs {
        let quote = if v.contains('"') { '\'' } else { '"' };
        tag.push_str(&format!(" {k}={quote}{v}{quote}"));
    }
    tag.push('>');
    Some((tag, open))
}

/// An Atom text construct's `type` for a MIME type (feedparser's reading):
/// `text/plain` is text, `text/html` html, `application/xhtml+xml` xhtml;
/// Atom's own values stay; other XML is xhtml, other text is text. `None`
/// for any other media type (an image, say), which stays as written.
fn text_type(mime: &str) -> Option<&'static str> {
    let m = mime.trim().to_ascii_lowercase();
    let essence = m.split(';').next().unwrap_or("").trim();
    Some(match essence {
        "text" | "text/plain" => "text",
        "html" | "text/html" => "html",
        "xhtml" | "application/xhtml+xml" => "xhtml",
        _ if essence.ends_with("+xml") || essence.ends_with("/xml") => "xhtml",
        _ if essence.starts_with("text/") => "text",
        _ => return None,
    })
}

fn decode_base64(encoded: &str) -> String {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse::parse_feed;

    fn text_of(t: &Option<feed_rs::model::Text>) -> String {
        t.as_ref().map(|t| t.content.clone()).unwrap_or_default()
    }

    #[test]
    fn atom_0_3_is_read_as_feedparser_reads_it() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#" xml:lang="vi">
  <title>Tin Hải Phòng</title>
  <tagline>Tin nhanh mỗi ngày</tagline>
  <copyright>© Báo Hải Phòng</copyright>
  <entry>
    <title type="text/html" mode="escaped">Đảng ủy &lt;b&gt;Hải Phòng&lt;/b&gt; họp</title>
    <link rel="alternate" type="text/html" href="https://haiphong.example/dang-uy-1"/>
    <id>tag:haiphong.example,2026:1</id>
    <issued>2026-11-25T07:30:00+07:00</issued>
    <modified>2026-11-25T08:00:00+07:00</modified>
    <author><name>Lê Tân</name><url>https://haiphong.example/le-tan</url></author>
    <content type="text/html" mode="base64">PHA+VGjDoG5oIHBo4buRIDxiPkjhuqNpIFBow7JuZzwvYj48L3A+</content>
  </entry>
  <entry>
    <title>Trường Sa</title>
    <summary type="text/plain">Bản tin thời tiết</summary>
    <content type="application/xhtml+xml" mode="xml"><p>Nội dung <b>đậm</b></p></content>
  </entry>
</feed>"#;
        let feed = parse_feed(xml, None).unwrap();
        assert_eq!(text_of(&feed.title), "Tin Hải Phòng");
        assert_eq!(text_of(&feed.description), "Tin nhanh mỗi ngày");
        assert_eq!(text_of(&feed.rights), "© Báo Hải Phòng");
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(text_of(&first.title), "Đảng ủy <b>Hải Phòng</b> họp");
        assert_eq!(first.links[0].href, "https://haiphong.example/dang-uy-1");
        assert_eq!(
            first.published.map(|d| d.to_rfc3339()),
            Some("2026-11-25T00:30:00+00:00".to_owned())
        );
        assert_eq!(
            first.updated.map(|d| d.to_rfc3339()),
            Some("2026-11-25T01:00:00+00:00".to_owned())
        );
        assert_eq!(
            first.authors[0].uri.as_deref(),
            Some("https://haiphong.example/le-tan")
        );
        let body = first.content.as_ref().and_then(|c| c.body.clone()).unwrap();
        assert_eq!(body, "<p>Thành phố <b>Hải Phòng</b></p>");
        let second = &feed.entries[1];
        assert_eq!(text_of(&second.summary), "Bản tin thời tiết");
        let body = second
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap();
        assert!(body.contains("<b>đậm</b>"), "{body}");
    }

    #[test]
    fn rss_in_a_default_namespace_or_without_version_is_rss() {
        for root in [
            r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2">"#,
            r#"<rss version="0.93">"#,
            r#"<rss version="0.94">"#,
            r#"<rss version="2.01">"#,
            "<rss>",
            r#"<rss xmlns:dc="http://purl.org/dc/elements/1.1/">"#,
        ] {
            let xml = format!(
                "<?xml version=\"1.0\"?>\n<!-- a comment -->\n{root}<channel><title>Tin</title>\
                 <item><title>Trường Sa</title><link>https://a.example/1</link></item></channel></rss>"
            );
            let feed = parse_feed(&xml, None).unwrap_or_else(|e| panic!("{root}: {e}"));
            assert_eq!(feed.entries.len(), 1, "{root}");
            assert_eq!(text_of(&feed.entries[0].title), "Trường Sa", "{root}");
        }
    }

    #[test]
    fn atom_1_0_with_mime_types_on_text_constructs() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <entry><title type="text/plain">Hải Phòng</title><id>1</id>
            <summary type="text/plain">Tóm tắt</summary></entry></feed>"#;
        let feed = parse_feed(xml, None).unwrap();
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(text_of(&feed.entries[0].title), "Hải Phòng");
        assert_eq!(text_of(&feed.entries[0].summary), "Tóm tắt");
    }

    #[test]
    fn common_documents_are_not_copied() {
        let rss =
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>"#;
        assert!(matches!(for_feed_rs(rss), Cow::Borrowed(_)));
        // UserLand's spec named in <docs>, not declared as a namespace.
        let docs = r#"<rss version="2.0"><channel><title>t</title>
            <docs>http://blogs.law.harvard.edu/tech/rss</docs></channel></rss>"#;
        assert!(matches!(for_feed_rs(docs), Cow::Borrowed(_)));
        // type="text/html" on a link is not a text construct's MIME type.
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">t</title>
            <link rel="alternate" type="text/html" href="/"/></feed>"#;
        assert!(matches!(for_feed_rs(atom), Cow::Borrowed(_)));
    }

    #[test]
    fn a_document_the_rewriter_cannot_read_is_left_as_it_came() {
        let broken = r#"<feed xmlns="http://purl.org/atom/ns#"><entry><title>x</entry"#;
        assert_eq!(for_feed_rs(broken), broken);
    }
}
