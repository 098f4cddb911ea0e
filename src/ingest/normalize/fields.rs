//! An entry's links and lists: its link (resolved, http(s) only), its
//! enclosures, authors and categories.

use feed_rs::model::Entry;
use url::Url;

use super::Enclosure;
use super::texts::is_html_type;
use crate::text;

pub(super) fn resolve(base: Option<&Url>, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match base {
        Some(b) => b.join(href).ok(),
        None => Url::parse(href).ok(),
    }
}

/// The entry's page: its alternate link, else a permalink guid.
pub(super) fn entry_link(e: &Entry, base: Option<&Url>) -> Option<Url> {
    let web = |u: Url| matches!(u.scheme(), "http" | "https").then_some(u);
    e.links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate") && !is_attachment(l))
        .chain(e.links.iter().filter(|l| {
            !matches!(
                l.rel.as_deref(),
                Some("enclosure" | "self" | "replies" | "edit")
            )
        }))
        .find_map(|l| resolve(base, &l.href).and_then(web))
        .or_else(|| {
            // RSS: a guid that is a URL is a permalink unless said otherwise.
            let g = e.id.trim();
            (g.starts_with("http://") || g.starts_with("https://"))
                .then(|| Url::parse(g).ok().and_then(web))
                .flatten()
        })
}

/// JSON Feed attachments arrive as links with a media type and no rel.
pub(super) fn is_attachment(l: &feed_rs::model::Link) -> bool {
    l.rel.is_none() && l.media_type.as_deref().is_some_and(|t| !is_html_type(t))
}

pub(super) fn people(e: &Entry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &e.authors {
        let name = p
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| p.email.clone())
            .unwrap_or_default();
        let name = text::collapse_whitespace(&text::nfc(&name));
        if !name.is_empty() && name.chars().count() <= 200 && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

pub(super) fn categories(e: &Entry) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in &e.categories {
        let label = c
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&c.term);
        let label = text::collapse_whitespace(&text::nfc(label));
        if !label.is_empty() && label.chars().count() <= 200 && !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

pub(super) fn enclosures(e: &Entry, base: Option<&Url>) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    let mut push = |url: Option<Url>, mime: Option<String>, length: Option<u64>| {
        let Some(url) = url.filter(|u| matches!(u.scheme(), "http" | "https")) else {
            return;
        };
        if out.iter().any(|x| x.url == url.as_str()) {
            return;
        }
        out.push(Enclosure {
            url: url.into(),
            mime_type: mime.filter(|m| !m.is_empty() && m.len() <= 100),
            length: length.filter(|n| *n > 0),
        });
    };
    for l in e
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure") || is_attachment(l))
    {
        push(resolve(base, &l.href), l.media_type.clone(), l.length);
    }
    for m in &e.media {
        for c in &m.content {
            push(
                c.url.as_ref().and_then(|u| resolve(base, u.as_str())),
                c.content_type.as_ref().map(|t| t.to_string()),
                c.size,
            );
        }
    }
    out
}
