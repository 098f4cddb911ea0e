//! Text constructs as text: whether a title or summary is HTML (feeds do
//! not always say so truthfully), an entry's title, plain text to HTML.

use feed_rs::model::{Entry, Feed, Text};

use crate::text;

pub(super) fn is_html_type(media_type: &str) -> bool {
    let m = media_type.to_ascii_lowercase();
    m.contains("html") || m.contains("xml")
}

/// Atom text constructs carry `type="text"|"html"` and JSON Feed titles
/// are text by definition, so their `<` is a character; RSS never says, and
/// its titles and descriptions carry escaped HTML as often as not.
pub(super) fn declares_text_types(feed: &Feed) -> bool {
    matches!(
        feed.feed_type,
        feed_rs::model::FeedType::Atom | feed_rs::model::FeedType::JSON
    )
}

pub(super) fn is_html_text(t: &Text, declared_types: bool) -> bool {
    is_html_type(t.content_type.as_ref()) || (!declared_types && looks_like_html(&t.content))
}

pub(super) fn looks_like_html(s: &str) -> bool {
    s.contains('<') && s.contains('>') || s.contains("&#") || s.contains("&amp;")
}

/// An entry's title as text; without one, its media's (`media:title`),
/// which is all some video and photo feeds give.
pub(super) fn entry_title(e: &Entry, declared_types: bool) -> String {
    let own = e
        .title
        .as_ref()
        .map(|t| plain_text(t, declared_types))
        .unwrap_or_default();
    if !own.trim().is_empty() {
        return own;
    }
    e.media
        .iter()
        .filter_map(|m| m.title.as_ref())
        .map(|t| plain_text(t, declared_types))
        .find(|t| !t.trim().is_empty())
        .unwrap_or(own)
}

pub(super) fn plain_text(t: &Text, declared_types: bool) -> String {
    let raw = text::nfc(&t.content);
    let plain = if is_html_text(t, declared_types) {
        text::html_to_text(&raw)
    } else if raw.contains('&') {
        // feed-rs passes entities XML does not define (&eacute; &hellip;) through
        // as text; decode them as HTML would, keeping any < and > literal.
        text::html_to_text(&raw.replace('<', "&lt;").replace('>', "&gt;"))
    } else {
        text::collapse_whitespace(&raw)
    };
    text::nfc(&plain)
}

pub fn plain_to_html(plain: &str) -> String {
    let escaped = plain
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    escaped
        .split("\n\n")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
        .collect()
}
