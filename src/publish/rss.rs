//! RSS 2.0 with the `rss` crate: `atom:link rel="self"` (and paging links),
//! `<source url>` naming each item's origin, `dc:creator` for authors (RSS's
//! own `<author>` must be an e-mail address).

use std::collections::BTreeMap;

use rss::extension::Extension;
use rss::extension::dublincore::DublinCoreExtension;

use super::{FeedPage, item_published};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

pub fn render(page: &FeedPage) -> Vec<u8> {
    let mut channel = rss::Channel {
        title: page.channel.title.clone(),
        link: page.public_base().to_owned(),
        description: format!("{} — merged by Tributary", page.channel.title),
        generator: Some(format!("Tributary {}", env!("CARGO_PKG_VERSION"))),
        last_build_date: Some(page.updated().to_rfc2822()),
        ..Default::default()
    };
    channel.namespaces.insert("atom".into(), ATOM_NS.into());
    let rss = Some("application/rss+xml");
    let mut links = vec![atom_link("self", &page.self_url, rss)];
    if let Some(hub) = &page.hub_url {
        links.push(atom_link("hub", hub, None));
    }
    links.push(atom_link("first", &page.first_url, rss));
    if let Some(next) = &page.next_url {
        links.push(atom_link("next", next, rss));
    }
    channel
        .extensions
        .insert("atom".into(), BTreeMap::from([("link".to_owned(), links)]));

    channel.items = page
        .items
        .iter()
        .map(|item| {
            let description = item
                .content_html
                .clone()
                .or_else(|| item.summary.clone().map(|s| escape_text(&s)));
            rss::Item {
                title: Some(item.title.clone()).filter(|t| !t.is_empty()),
                link: Some(page.item_link(item)),
                description: description.or_else(|| Some(escape_text(&item.title))),
                guid: Some(rss::Guid {
                    value: page.story_id_url(item),
                    permalink: false,
                }),
                pub_date: Some(item_published(item).to_rfc2822()),
                source: Some(rss::Source {
                    url: item.source.url.clone(),
                    title: Some(item.source.title.clone()),
                }),
                categories: item
                    .categories
                    .iter()
                    .map(|c| rss::Category {
                        name: c.clone(),
                        domain: None,
                    })
                    .collect(),
                // RSS allows one enclosure per item.
                enclosure: item.enclosures.first().map(|e| rss::Enclosure {
                    url: e.url.clone(),
                    length: e.length.unwrap_or(0).to_string(),
                    mime_type: e
                        .mime_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                }),
                dublin_core_ext: (!item.authors.is_empty()).then(|| DublinCoreExtension {
                    creators: item.authors.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    // Writing to a Vec cannot fail; an empty body would be the only symptom.
    channel
        .write_to(Vec::with_capacity(64 * 1024))
        .unwrap_or_default()
}

fn atom_link(rel: &str, href: &str, media_type: Option<&str>) -> Extension {
    let mut attrs = BTreeMap::from([
        ("href".to_owned(), href.to_owned()),
        ("rel".to_owned(), rel.to_owned()),
    ]);
    if let Some(t) = media_type {
        attrs.insert("type".to_owned(), t.to_owned());
    }
    Extension {
        name: "atom:link".into(),
        value: None,
        attrs,
        children: BTreeMap::new(),
    }
}

/// Plain text placed where RSS readers expect HTML.
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
