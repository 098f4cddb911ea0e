//! JSON Feed 1.1 (https://jsonfeed.org/version/1.1), with the `_tributary`
//! extension object naming each item's story, source and alternates.

use chrono::SecondsFormat;
use serde::Serialize;

use super::{FeedPage, item_published, item_updated};
use crate::entries::{Alternate, SourceRef};

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

/// A webhook delivery: `{ "channel": "...", "items": [JSON Feed item, ...] }`.
#[derive(Serialize)]
struct WebhookBody<'a> {
    channel: &'a str,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Item<'a> {
    id: String,
    url: String,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
    _tributary: Extension<'a>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct Extension<'a> {
    story_id: Option<i64>,
    source: &'a SourceRef,
    alternates: &'a [Alternate],
}

pub fn render(page: &FeedPage) -> Vec<u8> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &page.channel.title,
        home_page_url: page.public_base(),
        feed_url: &page.self_url,
        next_url: page.next_url.as_deref(),
        description: format!("{} — merged by Tributary", page.channel.title),
        hubs: page
            .hub_url
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: items(page),
    };
    serde_json::to_vec(&feed).unwrap_or_default()
}

/// The body of a webhook delivery: the channel's new stories as JSON
/// Feed items.
pub fn webhook_body(page: &FeedPage) -> Vec<u8> {
    serde_json::to_vec(&WebhookBody {
        channel: &page.channel.name,
        items: items(page),
    })
    .unwrap_or_default()
}

fn items(page: &FeedPage) -> Vec<Item<'_>> {
    page.items
        .iter()
        .map(|item| Item {
            id: page.story_id_url(item),
            url: page.item_link(item),
            title: &item.title,
            content_html: item.content_html.as_deref(),
            // JSON Feed requires content_html or content_text.
            content_text: item
                .content_html
                .is_none()
                .then(|| item.summary.as_deref().unwrap_or(&item.title)),
            summary: item.summary.as_deref(),
            date_published: item_published(item).to_rfc3339_opts(SecondsFormat::Secs, true),
            date_modified: item_updated(item).to_rfc3339_opts(SecondsFormat::Secs, true),
            authors: item.authors.iter().map(|a| Author { name: a }).collect(),
            tags: &item.categories,
            language: item.language.as_deref(),
            attachments: item
                .enclosures
                .iter()
                .map(|e| Attachment {
                    url: &e.url,
                    mime_type: e.mime_type.as_deref().unwrap_or("application/octet-stream"),
                    size_in_bytes: e.length,
                })
                .collect(),
            _tributary: Extension {
                story_id: item.story_id,
                source: &item.source,
                alternates: &item.alternates,
            },
        })
        .collect()
}
