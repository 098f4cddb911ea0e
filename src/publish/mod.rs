//! Merged feeds: a channel's stories rendered as RSS 2.0, Atom 1.0 or JSON
//! Feed 1.1. Rendering is pure: a [`FeedPage`] in, bytes out.

pub mod atom;
pub mod channel;
pub mod json_feed;
pub mod response_cache;
pub mod rss;

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::ChannelConfig;
use crate::entries::EntryView;

/// Everything a renderer needs for one page of a channel.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub channel: ChannelConfig,
    pub public_url: Url,
    /// This page's own URL (with its query).
    pub self_url: String,
    pub first_url: String,
    pub next_url: Option<String>,
    /// The WebSub hub to name beside `self` (`[websub] hub`).
    pub hub_url: Option<String>,
    pub items: Vec<EntryView>,
}

/// The links of one page of a channel's feed.
pub struct PageUrls {
    pub self_url: String,
    pub first_url: String,
    pub next_url: Option<String>,
}

impl PageUrls {
    /// `limit` is named only when it is not the channel's own; cursors are
    /// already encoded.
    pub fn new(
        public_url: &Url,
        channel: &str,
        format: FeedFormat,
        limit: Option<i64>,
        cursor: Option<&str>,
        next_cursor: Option<&str>,
    ) -> PageUrls {
        let path_url = format!(
            "{}/feeds/{channel}.{}",
            public_url.as_str().trim_end_matches('/'),
            format.extension()
        );
        let with = |c: Option<&str>| {
            let mut parts: Vec<String> = limit.iter().map(|l| format!("limit={l}")).collect();
            if let Some(c) = c {
                parts.push(format!("cursor={c}"));
            }
            if parts.is_empty() {
                path_url.clone()
            } else {
                format!("{path_url}?{}", parts.join("&"))
            }
        };
        PageUrls {
            self_url: with(cursor),
            first_url: with(None),
            next_url: next_cursor.map(|c| with(Some(c))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    pub fn from_extension(ext: &str) -> Option<FeedFormat> {
        match ext {
            "rss" | "xml" => Some(FeedFormat::Rss),
            "atom" => Some(FeedFormat::Atom),
            "json" => Some(FeedFormat::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FeedFormat::Rss => "rss",
            FeedFormat::Atom => "atom",
            FeedFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
        }
    }
}

impl FeedPage {
    pub fn render(&self, format: FeedFormat) -> Vec<u8> {
        match format {
            FeedFormat::Rss => rss::render(self),
            FeedFormat::Atom => atom::render(self),
            FeedFormat::Json => json_feed::render(self),
        }
    }

    /// The newest change among the items (for `updated` and `Last-Modified`).
    /// First sight counts too: an item published long ago but ingested just
    /// now still changes the feed for an `If-Modified-Since` client.
    pub fn updated(&self) -> DateTime<Utc> {
        self.items
            .iter()
            .map(|i| item_updated(i).max(i.fetched_at))
            .max()
            .unwrap_or_else(|| DateTime::<Utc>::from_timestamp(0, 0).unwrap_or_default())
    }

    /// The stable id of a story in our output, for the story's whole life.
    pub fn story_id_url(&self, item: &EntryView) -> String {
        match item.story_id {
            Some(id) => format!("{}/api/v1/stories/{id}", self.public_base()),
            None => format!("{}/api/v1/entries/{}", self.public_base(), item.id),
        }
    }

    /// The link of an item: the article, or our own record of it.
    pub fn item_link(&self, item: &EntryView) -> String {
        item.url.clone().unwrap_or_else(|| self.story_id_url(item))
    }

    pub fn public_base(&self) -> &str {
        self.public_url.as_str().trim_end_matches('/')
    }
}

pub fn item_published(item: &EntryView) -> DateTime<Utc> {
    item.published_at.unwrap_or(item.sort_at)
}

pub fn item_updated(item: &EntryView) -> DateTime<Utc> {
    let published = item_published(item);
    item.updated_at
        .filter(|u| *u > published)
        .unwrap_or(published)
        .max(item.fetched_at.min(published))
}
