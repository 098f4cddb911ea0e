//! Atom 1.0 (RFC 4287), written directly: every entry has an id, title,
//! updated and author (the source's name when the feed gave none, RFC 4287
//! §4.1.2), and an `atom:source` naming where it came from.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::escape::escape;

use super::{FeedPage, item_published, item_updated};

pub fn render(page: &FeedPage) -> Vec<u8> {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let feed_id = page.self_url.split('?').next().unwrap_or(&page.self_url);
    element(&mut out, 1, "id", feed_id);
    let _ = writeln!(
        out,
        "  <title type=\"text\">{}</title>",
        escape(&page.channel.title)
    );
    element(&mut out, 1, "updated", &date(page.updated()));
    link(
        &mut out,
        1,
        "self",
        &page.self_url,
        Some("application/atom+xml"),
    );
    if let Some(hub) = &page.hub_url {
        link(&mut out, 1, "hub", hub, None);
    }
    link(
        &mut out,
        1,
        "alternate",
        page.public_base(),
        Some("text/html"),
    );
    link(
        &mut out,
        1,
        "first",
        &page.first_url,
        Some("application/atom+xml"),
    );
    if let Some(next) = &page.next_url {
        link(&mut out, 1, "next", next, Some("application/atom+xml"));
    }
    let _ = writeln!(
        out,
        "  <generator version=\"{}\">Tributary</generator>",
        env!("CARGO_PKG_VERSION")
    );
    for item in &page.items {
        out.push_str("  <entry>\n");
        element(&mut out, 2, "id", &page.story_id_url(item));
        let _ = writeln!(
            out,
            "    <title type=\"text\">{}</title>",
            escape(&item.title)
        );
        link(
            &mut out,
            2,
            "alternate",
            &page.item_link(item),
            Some("text/html"),
        );
        element(&mut out, 2, "published", &date(item_published(item)));
        element(&mut out, 2, "updated", &date(item_updated(item)));
        let authors: Vec<&str> = if item.authors.is_empty() {
            vec![item.source.title.as_str()]
        } else {
            item.authors.iter().map(String::as_str).collect()
        };
        for a in authors {
            let _ = writeln!(out, "    <author><name>{}</name></author>", escape(a));
        }
        for c in &item.categories {
            let _ = writeln!(out, "    <category term=\"{}\"/>", escape(c));
        }
        for e in &item.enclosures {
            let _ = write!(
                out,
                "    <link rel=\"enclosure\" href=\"{}\"",
                escape(&e.url)
            );
            if let Some(t) = &e.mime_type {
                let _ = write!(out, " type=\"{}\"", escape(t));
            }
            if let Some(l) = e.length {
                let _ = write!(out, " length=\"{l}\"");
            }
            out.push_str("/>\n");
        }
        if let Some(summary) = &item.summary {
            let _ = writeln!(
                out,
                "    <summary type=\"text\">{}</summary>",
                escape(summary)
            );
        }
        if let Some(html) = &item.content_html {
            let _ = writeln!(out, "    <content type=\"html\">{}</content>", escape(html));
        }
        out.push_str("    <source>\n");
        element(&mut out, 3, "id", &item.source.url);
        let _ = writeln!(
            out,
            "      <title type=\"text\">{}</title>",
            escape(&item.source.title)
        );
        link(&mut out, 3, "self", &item.source.url, None);
        if let Some(site) = &item.source.site_url {
            link(&mut out, 3, "alternate", site, Some("text/html"));
        }
        out.push_str("    </source>\n  </entry>\n");
    }
    out.push_str("</feed>\n");
    out.into_bytes()
}

fn element(out: &mut String, depth: usize, name: &str, text: &str) {
    let _ = writeln!(
        out,
        "{}<{name}>{}</{name}>",
        "  ".repeat(depth),
        escape(text)
    );
}

fn link(out: &mut String, depth: usize, rel: &str, href: &str, media_type: Option<&str>) {
    let _ = write!(
        out,
        "{}<link rel=\"{rel}\" href=\"{}\"",
        "  ".repeat(depth),
        escape(href)
    );
    if let Some(t) = media_type {
        let _ = write!(out, " type=\"{t}\"");
    }
    out.push_str("/>\n");
}

fn date(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}
