//! Which stories a channel carries: its sources (by tag or URL, all for
//! `all`) and its include/exclude patterns on title and summary.

use sqlx::PgPool;

use crate::config::ChannelConfig;
use crate::entries::{self, Cursor, EntryFilter, EntryView, Page};

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

/// Rows a filtered listing reads for one page at most: past this it
/// answers with what it found and a cursor to go on from (a pattern that
/// almost nothing matches must not scan the whole database per request).
pub const MAX_SCANNED: usize = 20 * entries::MAX_LIMIT as usize;

/// A page of a channel's stories, one per story, exactly as its feeds and
/// its river carry them: full pages of what passes its patterns.
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
    if !channel.has_patterns() {
        return entries::list_stories(pool, within.as_deref(), cursor, limit).await;
    }
    let within = within.as_deref();
    fill_page(
        limit,
        cursor,
        |c| entries::list_stories(pool, within, c, entries::MAX_LIMIT),
        |e| matches(channel, e),
        |e| {
            Some(Cursor {
                at: e.story_sort_at?,
                id: e.story_id?,
                rank: None,
            })
        },
    )
    .await
}

/// A page of entries (`GET /api/v1/entries`, a river search) within a
/// channel: its sources and, when it has them, its patterns, with pages as
/// full as the listing without patterns would give.
pub async fn channel_entries(
    pool: &PgPool,
    channel: &ChannelConfig,
    filter: &EntryFilter,
) -> Result<Page, sqlx::Error> {
    let mut filter = filter.clone();
    filter.within_sources = selected_sources(pool, channel).await?;
    if !channel.has_patterns() {
        return entries::list_entries(pool, &filter).await;
    }
    let limit = filter.limit.clamp(1, entries::MAX_LIMIT);
    let filter = &filter;
    fill_page(
        limit,
        filter.cursor,
        |c| {
            let mut f = filter.clone();
            f.cursor = c;
            f.limit = entries::MAX_LIMIT;
            async move { entries::list_entries(pool, &f).await }
        },
        |e| matches(channel, e),
        |e| {
            Some(Cursor {
                at: e.sort_at,
                id: e.id,
                rank: e.rank,
            })
        },
    )
    .await
}

/// Reads pages from `fetch` from `cursor` on, keeping what `keep` keeps,
/// until `limit` items are kept and one more proves there is a next page
/// (so a last page says so), or [`MAX_SCANNED`] rows were read.
async fn fill_page<F, Fut>(
    limit: i64,
    mut cursor: Option<Cursor>,
    mut fetch: F,
    keep: impl Fn(&EntryView) -> bool,
    cursor_of: impl Fn(&EntryView) -> Option<Cursor>,
) -> Result<Page, sqlx::Error>
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<Page, sqlx::Error>>,
{
    let limit = limit.max(1) as usize;
    let mut items: Vec<EntryView> = Vec::with_capacity(limit + 1);
    let mut scanned = 0;
    loop {
        let page = fetch(cursor).await?;
        scanned += page.items.len();
        items.extend(page.items.into_iter().filter(|e| keep(e)));
        if items.len() > limit {
            items.truncate(limit);
            let next_cursor = items.last().and_then(&cursor_of);
            return Ok(Page { items, next_cursor });
        }
        match page.next_cursor {
            // Bounded: what was found, and where to go on from.
            Some(c) if scanned >= MAX_SCANNED => {
                return Ok(Page {
                    items,
                    next_cursor: Some(c),
                });
            }
            Some(c) => cursor = Some(c),
            None => {
                return Ok(Page {
                    items,
                    next_cursor: None,
                });
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
