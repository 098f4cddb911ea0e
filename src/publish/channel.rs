//! Which stories a channel carries: its sources (by tag or URL, all for
//! `all`) and its include/exclude patterns on title and summary.

use sqlx::PgPool;

use crate::config::ChannelConfig;
use crate::entries::{self, Cursor, EntryView, Page};

/// The sources a channel selects (by tag or URL); `None` for every source.
pub async fn selected_sources(
    pool: &PgPool,
    channel: &ChannelConfig,
) -> Result<Option<Vec<i64>>, sqlx::Error> {
    if channel.is_unfiltered() {
        return Ok(None);
    }
    let urls: Vec<String> = channel.sources.iter().map(|u| u.to_string()).collect();
    Ok(Some(
        entries::sources_matching(pool, &channel.tags_any, &urls).await?,
    ))
}

/// A page of a channel's stories. Include/exclude patterns are applied here,
/// fetching further until the page is full or the stories run out.
pub async fn channel_page(
    pool: &PgPool,
    channel: &ChannelConfig,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let within = selected_sources(pool, channel).await?;
    if within.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Page {
            items: vec![],
            next_cursor: None,
        });
    }
    if channel.include.is_none() && channel.exclude.is_none() {
        return entries::list_stories(pool, within.as_deref(), cursor, limit).await;
    }
    let mut items: Vec<EntryView> = Vec::new();
    let mut cursor = cursor;
    loop {
        let page =
            entries::list_stories(pool, within.as_deref(), cursor, entries::MAX_LIMIT).await?;
        for item in page.items {
            if items.len() as i64 == limit {
                let next = items.last().and_then(|e| {
                    Some(Cursor {
                        at: e.story_sort_at?,
                        id: e.story_id?,
                        rank: None,
                    })
                });
                return Ok(Page {
                    items,
                    next_cursor: next,
                });
            }
            if matches(channel, &item) {
                items.push(item);
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => {
                return Ok(Page {
                    items,
                    next_cursor: None,
                })
            }
        }
    }
}

/// Whether an item passes the channel's include/exclude patterns.
pub fn matches(channel: &ChannelConfig, item: &EntryView) -> bool {
    let text = format!("{}\n{}", item.title, item.summary.as_deref().unwrap_or(""));
    channel.include.as_ref().is_none_or(|r| r.is_match(&text))
        && !channel.exclude.as_ref().is_some_and(|r| r.is_match(&text))
}
