//! Feed dialects feed-rs does not read, brought to ones it does before it
//! parses: Atom 0.3 becomes Atom 1.0 (the way feedparser maps it), MIME
//! types on Atom text constructs become `text`/`html`/`xhtml`, and RSS in a
//! default namespace or without `version` becomes plain RSS 2.0. Documents
//! that need none of this (nearly all) are not touched, not even copied.
//!
//! Pure: text in, text out. A document the rewriter cannot read is handed
//! to feed-rs as it came, so that its error is the one reported.

use std::borrow::Cow;

use base64::Engine;
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
const XHTML: &str = "http://www.w3.org/1999/xhtml";
/// RSS 0.90's namespace: feed-rs reads RSS 1.0's, and the two are one shape.
const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS_10: &str = "http://purl.org/rss/1.0/";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const DC: &str = "http://purl.org/dc/elements/1.1/";
const MEDIA: &str = "http://search.yahoo.com/mrss/";
const CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
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
    if [ATOM_03, RSS_090, RSS_10]
        .into_iter()
        .chain(USERLAND.iter().copied())
        .any(|ns| declares(text, ns))
    {
        return true;
    }
    if (declares(text, DC) || declares(text, MEDIA)) && text.contains(":title>") {
        // `dc:title` or `media:title` may be an item's only title.
        return true;
    }
    if ["<body", ":body", "<fullitem"]
        .iter()
        .any(|t| text.contains(t))
    {
        // An item's body in XHTML (under any prefix) or escaped HTML (see
        // `rewrite`).
        return true;
    }
    if text.contains(ATOM_10) {
        return text_construct_types(text).any(|t| !matches!(t, "text" | "html" | "xhtml"));
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

/// The `type` values written on Atom text constructs (title, subtitle,
/// summary, content, rights); `type="text/html"` on a link is not one.
fn text_construct_types(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("type=").filter_map(move |(at, _)| {
        let rest = &text[at + 5..];
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value = &rest[1..rest[1..].find(quote)? + 1];
        let open = text[..at].rfind('<')?;
        let name = text[open + 1..at]
            .split(|c: char| c.is_whitespace() || c == '>')
            .next()?;
        let local = name.rsplit(':').next()?;
        matches!(
            local,
            "title" | "subtitle" | "summary" | "content" | "rights"
        )
        .then_some(value)
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
    /// What closes it: its end tag (renamed elements keep their prefix),
    /// `</channel></rss>` for RSS 1.0's root, nothing for a tag that is
    /// not written (RSS 1.0's `<channel>`).
    end: String,
    /// Base64 content being gathered, decoded at the end tag.
    base64: Option<Base64>,
    /// An `<div>` opened inside it (MIME-typed inline markup made xhtml).
    wrapped: bool,
    /// Its content is written inside a CDATA section (inline XHTML made
    /// an RSS item's `content:encoded`).
    cdata: bool,
}

/// Text gathered as base64 (as written, escaped), and what to write if it
/// is not base64.
struct Base64 {
    text: String,
    /// Atom 0.3 says `mode="base64"`: what does not decode is nothing.
    /// Atom 1.0 only implies it by a media type: it is written as it came.
    declared: bool,
}

/// An RSS item being written: where it starts in the output, and what it
/// has had so far.
struct Item {
    depth: usize,
    start: usize,
    about: Option<String>,
    has_link: bool,
    has_title: bool,
    has_description: bool,
}

fn rewrite(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut w = Rewriter {
        out: String::with_capacity(text.len() + 256),
        stack: Vec::new(),
        seen_root: false,
        rdf: false,
        item: None,
    };
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        match event {
            Event::Start(ref e) => w.start(e, false, &Dialect::of(&ns))?,
            Event::Empty(ref e) => w.start(e, true, &Dialect::of(&ns))?,
            Event::End(_) => w.end()?,
            Event::Text(ref t) => w.text(std::str::from_utf8(t.as_ref()).ok()?),
            Event::CData(ref c) => match w.base64() {
                Some(b) => b.text.push_str(&quick_xml::escape::escape(
                    std::str::from_utf8(c.as_ref()).ok()?,
                )),
                None => w.out.push_str(&raw_event(&event)?),
            },
            Event::Eof => break,
            other => {
                let raw = raw_event(&other)?;
                match w.base64() {
                    // A character or entity reference is text; comments
                    // and processing instructions inside are not.
                    Some(b) if matches!(other, Event::GeneralRef(_)) => b.text.push_str(&raw),
                    Some(_) => {}
                    None => w.out.push_str(&raw),
                }
            }
        }
    }
    Some(w.out)
}

/// The rewrite under way: what is written, what is open.
struct Rewriter {
    out: String,
    stack: Vec<Open>,
    seen_root: bool,
    /// RSS 1.0 and 0.90 are written as RSS 2.0: the root becomes `<rss>`
    /// with one `<channel>` that holds the channel's children and the items.
    rdf: bool,
    item: Option<Item>,
}

impl Rewriter {
    /// The base64 text being gathered, if the open element is such.
    fn base64(&mut self) -> Option<&mut Base64> {
        self.stack.last_mut().and_then(|o| o.base64.as_mut())
    }

    fn text(&mut self, raw: &str) {
        match self.base64() {
            Some(b) => b.text.push_str(raw),
            None => self.out.push_str(raw),
        }
    }

    fn end(&mut self) -> Option<()> {
        let open = self.stack.pop()?;
        close(&mut self.out, open);
        finish_item(&mut self.out, &mut self.item, self.stack.len());
        Some(())
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool, dialect: &Dialect) -> Option<()> {
        let depth = self.stack.len();
        let root = !std::mem::replace(&mut self.seen_root, true);
        let local = local_name(e)?;
        if root && dialect.rdf && local == "RDF" {
            self.rdf = true;
            self.out.push_str(&rdf_root(e)?);
            return self.open(Open::unwritten("</channel></rss>"), empty, depth);
        }
        if self.rdf && depth == 1 && local == "channel" {
            return self.open(Open::unwritten(""), empty, depth);
        }
        let rss_item = local == "item" && dialect.rss;
        if rss_item && self.item.is_none() {
            self.item = Some(Item {
                depth,
                start: 0,
                about: self.rdf.then(|| attribute(e, "rdf:about")).flatten(),
                has_link: false,
                has_title: false,
                has_description: false,
            });
        }
        let in_item = self.item.as_ref().is_some_and(|i| i.depth + 1 == depth);
        let (tag, mut open) = start_tag(e, root, dialect)?;
        match in_item.then(|| self.item_child(&local, dialect)).flatten() {
            Some(ItemChild::Body) => {
                open.end = "</content:encoded>".into();
                self.out
                    .push_str(&format!("<content:encoded xmlns:content=\"{CONTENT}\">"));
                if dialect.xhtml {
                    open.cdata = true;
                    self.out.push_str("<![CDATA[");
                }
            }
            Some(ItemChild::Alias(name)) => {
                open.end = format!("</{name}>");
                self.out.push_str(&format!("<{name}>"));
            }
            None => self.out.push_str(&tag),
        }
        if rss_item {
            if let Some(i) = self.item.as_mut().filter(|i| i.depth == depth) {
                i.start = self.out.len();
            }
        }
        self.open(open, empty, depth)
    }

    /// What a child of an RSS item becomes, besides itself: an item's body
    /// as XHTML (`xhtml:body`) or escaped HTML (`<body>`, `<fullitem>`) is
    /// its content, as feedparser reads it; its `dc:title` or `media:title`
    /// is its title when it has no other, its `dc:description` its
    /// description (a later element of RSS's own still wins).
    fn item_child(&mut self, local: &str, dialect: &Dialect) -> Option<ItemChild> {
        let item = self.item.as_mut()?;
        if dialect.rss {
            item.has_link |= local == "link";
            item.has_title |= local == "title";
            item.has_description |= local == "description";
        }
        if (local == "body" && (dialect.xhtml || dialect.rss))
            || (local == "fullitem" && dialect.rss)
        {
            return Some(ItemChild::Body);
        }
        let alias = match local {
            "title" if dialect.title_alias && !item.has_title => "title",
            "description" if dialect.dc && !item.has_description => "description",
            _ => return None,
        };
        item.has_title |= alias == "title";
        item.has_description |= alias == "description";
        Some(ItemChild::Alias(alias))
    }

    /// Keeps `open` until its end tag, or closes it at once for `<x/>`
    /// (written as `<x></x>`: same meaning, one code path).
    fn open(&mut self, open: Open, empty: bool, depth: usize) -> Option<()> {
        if empty {
            close(&mut self.out, open);
            finish_item(&mut self.out, &mut self.item, depth);
        } else {
            if open.wrapped {
                self.out.push_str(&format!("<div xmlns=\"{XHTML}\">"));
            }
            self.stack.push(open);
        }
        Some(())
    }
}

/// What a child of an RSS item is written as, when not as itself.
enum ItemChild {
    Body,
    Alias(&'static str),
}

impl Open {
    /// An element whose start tag is not written as it came (RSS 1.0's
    /// root and channel), closed by `end`.
    fn unwritten(end: &str) -> Open {
        Open {
            end: end.to_owned(),
            base64: None,
            wrapped: false,
            cdata: false,
        }
    }
}

impl Dialect {
    /// The namespace an element is in, as far as the rewrite cares.
    fn of(ns: &ResolveResult<'_>) -> Dialect {
        let bound =
            |uri: &str| matches!(ns, ResolveResult::Bound(n) if n.as_ref() == uri.as_bytes());
        let userland = USERLAND.iter().any(|u| bound(u));
        Dialect {
            atom_03: bound(ATOM_03),
            atom_10: bound(ATOM_10),
            userland,
            title_alias: bound(DC) || bound(MEDIA),
            dc: bound(DC),
            rdf: bound(RDF),
            xhtml: bound(XHTML),
            rss: matches!(ns, ResolveResult::Unbound)
                || bound(RSS_10)
                || bound(RSS_090)
                || userland,
        }
    }
}

/// Writes what an open element still owes: decoded base64, the closing
/// `</div>` of wrapped markup, its end tag.
fn close(out: &mut String, open: Open) {
    if let Some(b) = open.base64 {
        let unescaped = quick_xml::escape::unescape(&b.text).ok();
        match unescaped.as_deref().and_then(decode_base64) {
            Some(decoded) => out.push_str(&quick_xml::escape::escape(&decoded)),
            None if b.declared => {}
            None => out.push_str(&b.text),
        }
    }
    if open.wrapped {
        out.push_str("</div>");
    }
    if open.cdata {
        out.push_str("]]>");
    }
    out.push_str(&open.end);
}

/// At an item's end: an RSS 1.0 item without a `<link>` is identified by
/// its `rdf:about` (the item's URI, which the spec says is its link).
fn finish_item(out: &mut String, item: &mut Option<Item>, depth: usize) {
    if item.as_ref().is_none_or(|i| i.depth != depth) {
        return;
    }
    let Some(i) = item.take() else { return };
    if let (false, Some(about)) = (i.has_link, i.about) {
        // Before the end tag just written (`</item>`).
        let at = out.rfind("</").unwrap_or(out.len()).max(i.start);
        out.insert_str(
            at,
            &format!(
                "<guid isPermaLink=\"false\">{}</guid>",
                quick_xml::escape::escape(&about)
            ),
        );
    }
}

/// The RSS 2.0 root (and its channel) for an RSS 1.0 `rdf:RDF` root: its
/// namespace declarations kept, except RSS 1.0's as the default namespace
/// (RSS 2.0's elements have none).
fn rdf_root(e: &BytesStart<'_>) -> Option<String> {
    let mut tag = String::from("<rss version=\"2.0\"");
    for a in e.attributes().with_checks(false).flatten() {
        let key = std::str::from_utf8(a.key.as_ref()).ok()?;
        let value = std::str::from_utf8(&a.value).ok()?;
        if key == "xmlns" || !key.starts_with("xmlns:") {
            continue;
        }
        let value = if value == RSS_090 { RSS_10 } else { value };
        tag.push_str(&format!(" {key}=\"{value}\""));
    }
    tag.push_str("><channel>");
    Some(tag)
}

fn local_name(e: &BytesStart<'_>) -> Option<String> {
    let local = e.local_name();
    std::str::from_utf8(local.as_ref()).ok().map(str::to_owned)
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == key.as_bytes())
        .and_then(|a| {
            let raw = std::str::from_utf8(&a.value).ok()?;
            quick_xml::escape::unescape(raw)
                .ok()
                .map(|v| v.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
}

/// Which namespace an element is in, as far as the rewrite cares.
struct Dialect {
    atom_03: bool,
    atom_10: bool,
    userland: bool,
    /// `dc:title`, `media:title`: an item's title if it has none.
    title_alias: bool,
    dc: bool,
    rdf: bool,
    xhtml: bool,
    /// RSS's own elements: no namespace, RSS 1.0's or 0.90's, UserLand's.
    rss: bool,
}

/// An event other than a start, end or text tag, as it was written.
fn raw_event(event: &Event<'_>) -> Option<String> {
    let mut writer = quick_xml::Writer::new(Vec::new());
    writer.write_event(event.borrow()).ok()?;
    String::from_utf8(writer.into_inner()).ok()
}

/// A start tag rewritten for its dialect, and how to close it.
fn start_tag(e: &BytesStart<'_>, root: bool, dialect: &Dialect) -> Option<(String, Open)> {
    let Dialect {
        atom_03,
        atom_10,
        userland,
        ..
    } = *dialect;
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
    let mut open = Open::unwritten(&format!("</{name}>"));
    if text_construct {
        let atom_type = text_construct_type(
            &mut open,
            mime.as_deref(),
            mode.as_deref(),
            renamed,
            dialect,
        );
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

/// The Atom 1.0 `type` an Atom text construct gets for its `type` (a MIME
/// type, say) and, in Atom 0.3, its `mode`; `open` is told when its text
/// is base64 to decode or inline markup to wrap. `None` keeps the type as
/// written.
fn text_construct_type(
    open: &mut Open,
    mime: Option<&str>,
    mode: Option<&str>,
    element: &str,
    dialect: &Dialect,
) -> Option<&'static str> {
    let kind = mime.and_then(text_type);
    let base64 = |declared| {
        Some(Base64 {
            text: String::new(),
            declared,
        })
    };
    match (mode, kind) {
        (Some("base64"), k) => {
            open.base64 = base64(true);
            let html = k == Some("html") || k == Some("xhtml");
            Some(if html { "html" } else { "text" })
        }
        // Atom 1.0: a text construct of another media type is base64
        // (RFC 4287 4.1.3.3 says so of content; feedparser reads titles
        // and summaries alike). An empty type is text.
        (None, None) if dialect.atom_10 && element != "content" && mime.is_some() => {
            open.base64 = base64(false);
            Some("text")
        }
        (Some("escaped"), Some("xhtml")) | (Some("escaped"), None) => Some("html"),
        (Some("escaped"), k) => k,
        // Inline markup typed as HTML in Atom 0.3: it is XHTML.
        (_, Some("html")) if dialect.atom_03 && mime != Some("html") => {
            open.wrapped = true;
            Some("xhtml")
        }
        (_, Some("xhtml")) if mime != Some("xhtml") => {
            open.wrapped = true;
            Some("xhtml")
        }
        (_, k) => k,
    }
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

/// Base64 text decoded, if it is base64 of UTF-8 text.
fn decode_base64(encoded: &str) -> Option<String> {
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok()
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
        let feed = parse_feed(xml, None).unwrap().feed;
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
            let feed = parse_feed(&xml, None)
                .unwrap_or_else(|e| panic!("{root}: {e}"))
                .feed;
            assert_eq!(feed.entries.len(), 1, "{root}");
            assert_eq!(text_of(&feed.entries[0].title), "Trường Sa", "{root}");
        }
    }

    #[test]
    fn atom_1_0_with_mime_types_on_text_constructs() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <entry><title type="text/plain">Hải Phòng</title><id>1</id>
            <summary type="text/plain">Tóm tắt</summary></entry></feed>"#;
        let feed = parse_feed(xml, None).unwrap().feed;
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(text_of(&feed.entries[0].title), "Hải Phòng");
        assert_eq!(text_of(&feed.entries[0].summary), "Tóm tắt");
    }

    #[test]
    fn rss_1_0_and_0_90_items_are_kept_without_a_link() {
        for ns in [RSS_10, RSS_090] {
            let xml = format!(
                r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="{ns}"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://haiphong.example/rss">
  <title>Báo Hải Phòng</title><link>https://haiphong.example/</link>
  <items><rdf:Seq><rdf:li resource="https://haiphong.example/1"/></rdf:Seq></items>
</channel>
<item rdf:about="https://haiphong.example/1"><title>Đảng ủy họp</title>
  <dc:date>2026-11-25T07:30:00+07:00</dc:date></item>
<item><title>Trường Sa</title><dc:description>Quần đảo</dc:description></item>
<item rdf:about="https://haiphong.example/3"><title>Có link</title>
  <link>https://haiphong.example/3?src=rss</link></item>
<item rdf:about="urn:x:4"/>
</rdf:RDF>"#
            );
            let feed = parse_feed(&xml, None)
                .unwrap_or_else(|e| panic!("{ns}: {e}"))
                .feed;
            assert_eq!(text_of(&feed.title), "Báo Hải Phòng", "{ns}");
            let titles: Vec<String> = feed.entries.iter().map(|e| text_of(&e.title)).collect();
            assert_eq!(titles, ["Đảng ủy họp", "Trường Sa", "Có link", ""], "{ns}");
            let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
            // rdf:about identifies an item only when it has no link, so
            // items stored before keep their identity.
            assert_eq!(
                ids,
                ["https://haiphong.example/1", "", "", "urn:x:4"],
                "{ns}"
            );
            assert!(feed.entries[0].published.is_some(), "{ns}");
            assert_eq!(text_of(&feed.entries[1].summary), "Quần đảo", "{ns}");
            assert_eq!(
                feed.entries[2].links[0].href,
                "https://haiphong.example/3?src=rss"
            );
        }
    }

    #[test]
    fn an_items_dc_or_media_title_is_its_title_when_it_has_none() {
        let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
            <title>t</title>
            <item><dc:title>Hải Phòng</dc:title><link>https://a.example/1</link></item>
            <item><title>Tiêu đề</title><dc:title>khác</dc:title></item>
            <item xmlns:media="http://search.yahoo.com/mrss/"><media:title type="plain">Video: Trường Sa</media:title>
              <media:content url="https://a.example/v.mp4"><media:title>không</media:title></media:content></item>
            </channel></rss>"#;
        let feed = parse_feed(xml, None).unwrap().feed;
        assert_eq!(text_of(&feed.entries[0].title), "Hải Phòng");
        assert_eq!(text_of(&feed.entries[1].title), "Tiêu đề");
        assert_eq!(text_of(&feed.entries[2].title), "Video: Trường Sa");
    }

    #[test]
    fn atom_1_0_text_of_another_media_type_is_base64_or_as_written() {
        // "Hải <b>Phòng</b>" in base64.
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <entry><id>1</id><title type="application/octet-stream">SOG6o2kgPGI+UGjDsm5nPC9iPg==</title></entry>
            <entry><id>2</id><title type="">Trường Sa</title>
              <summary type="image/png">không phải base64 &amp; vẫn giữ</summary></entry>
            </feed>"#;
        let feed = parse_feed(xml, None).unwrap().feed;
        assert_eq!(feed.entries.len(), 2);
        assert_eq!(text_of(&feed.entries[0].title), "Hải <b>Phòng</b>");
        assert_eq!(text_of(&feed.entries[1].title), "Trường Sa");
        assert_eq!(
            text_of(&feed.entries[1].summary),
            "không phải base64 & vẫn giữ"
        );
    }

    #[test]
    fn an_items_xhtml_or_escaped_body_is_its_content() {
        let xml = r#"<rss version="2.0" xmlns:xhtml="http://www.w3.org/1999/xhtml"><channel><title>t</title>
            <item><title>Một</title><xhtml:body><xhtml:p>Phố <xhtml:b>Hải Phòng</xhtml:b></xhtml:p></xhtml:body></item>
            <item><title>Hai</title><fullitem>&lt;p&gt;Trường Sa&lt;/p&gt;</fullitem></item>
            <item><title>Ba</title><body>&lt;i&gt;Đà Nẵng&lt;/i&gt;</body></item>
            <item xmlns:h="http://www.w3.org/1999/xhtml"><title>Bốn</title><h:body><h:p>Huế</h:p></h:body></item>
            </channel></rss>"#;
        let feed = parse_feed(xml, None).unwrap().feed;
        let body = |i: usize| {
            feed.entries[i]
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .unwrap_or_default()
        };
        assert!(body(0).contains("Hải Phòng</xhtml:b>"), "{}", body(0));
        assert_eq!(body(1), "<p>Trường Sa</p>");
        assert_eq!(body(2), "<i>Đà Nẵng</i>");
        // XHTML's body under another prefix is read too, and seen alone.
        assert!(body(3).contains("Huế"), "{}", body(3));
        assert!(needs_rewrite(
            r#"<rss version="2.0"><channel><item><h:body xmlns:h="http://www.w3.org/1999/xhtml"/></item></channel></rss>"#
        ));
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
