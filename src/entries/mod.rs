//! Reading entries and stories back for the API and the merged feeds:
//! filtered listings with keyset pagination (never OFFSET), single entries,
//! stories with all their versions, and each item's alternates.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::domain::Enclosure;

pub const MAX_LIMIT: i64 = 500;
pub const DEFAULT_LIMIT: i64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceRef {
    pub id: i64,
    pub title: String,
    pub url: String,
    #[serde(skip)]
    pub site_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Alternate {
    pub source_id: i64,
    pub url: Option<String>,
}

/// An entry as the API and the feeds show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Entry)]
pub struct EntryView {
    pub id: i64,
    pub story_id: Option<i64>,
    pub source: SourceRef,
    pub guid: Option<String>,
    pub url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    /// `feed`, or `extracted` when `content_html` is the article from the
    /// entry's page (full text); `summary` is the feed's own either way.
    #[schema(example = "feed")]
    pub content_source: String,
    /// Why full text found no article on the entry's page, if it did not
    /// (a failure that may pass says which fetch it was and when the page
    /// is tried again).
    pub extraction_error: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    pub language: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub fetched_at: DateTime<Utc>,
    pub alternates: Vec<Alternate>,
    /// The ordering key (published, or first seen).
    #[serde(skip)]
    pub sort_at: DateTime<Utc>,
    /// For story listings: the story's own ordering key.
    #[serde(skip)]
    pub story_sort_at: Option<DateTime<Utc>>,
    /// For search results: relevance (1 when the title holds every word).
    #[serde(skip)]
    pub rank: Option<f32>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    story_id: Option<i64>,
    source_id: i64,
    source_title: Option<String>,
    source_feed_title: Option<String>,
    source_url: String,
    source_site_url: Option<String>,
    guid: Option<String>,
    url: Option<String>,
    title: String,
    summary: Option<String>,
    content_html: Option<String>,
    content_source: String,
    extraction_error: Option<String>,
    authors: Vec<String>,
    categories: Vec<String>,
    enclosures: sqlx::types::Json<Vec<Enclosure>>,
    language: Option<String>,
    published_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
    sort_at: DateTime<Utc>,
    story_sort_at: Option<DateTime<Utc>>,
    rank: Option<f32>,
    /// The other versions of the story, read in the same query.
    alternates: sqlx::types::Json<Vec<Alternate>>,
}

impl From<EntryRow> for EntryView {
    fn from(r: EntryRow) -> Self {
        let title = r.source_title.or(r.source_feed_title).unwrap_or_else(|| {
            url::Url::parse(&r.source_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| r.source_url.clone())
        });
        EntryView {
            id: r.id,
            story_id: r.story_id,
            source: SourceRef {
                id: r.source_id,
                title,
                url: r.source_url,
                site_url: r.source_site_url,
            },
            guid: r.guid,
            url: r.url,
            title: r.title,
            summary: r.summary,
            content_html: r.content_html,
            content_source: r.content_source,
            extraction_error: r.extraction_error,
            authors: r.authors,
            categories: r.categories,
            enclosures: r.enclosures.0,
            language: r.language,
            published_at: r.published_at,
            updated_at: r.updated_at,
            fetched_at: r.fetched_at,
            alternates: r.alternates.0,
            sort_at: r.sort_at,
            story_sort_at: r.story_sort_at,
            rank: r.rank,
        }
    }
}

const ENTRY_COLUMNS: &str = "e.id, e.story_id, e.source_id, src.title AS source_title,
    src.feed_title AS source_feed_title, src.url AS source_url, src.site_url AS source_site_url,
    e.guid, e.url, e.title, e.summary, e.content_html, e.content_source, e.extraction_error,
    e.authors, e.categories, e.enclosures,
    e.language, coalesce(e.published_at, e.sort_at) AS published_at, e.updated_at, e.fetched_at, e.sort_at,
    (SELECT coalesce(json_agg(json_build_object('source_id', a.source_id, 'url', a.url) ORDER BY a.sort_at, a.id), '[]')
       FROM entries a WHERE a.story_id = e.story_id AND a.id <> e.id) AS alternates";

pub use crate::cursor::{BadCursor, Cursor, CursorKey};
pub use search::SearchTerms;

mod search;

/// Filters of an entry listing; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub sources: Vec<i64>,
    /// Restricts to these sources (a channel's selection); `None` is all.
    pub within_sources: Option<Vec<i64>>,
    pub tag: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Free text; folded here exactly as the stored lexemes were.
    pub q: Option<String>,
    pub cursor: Option<Cursor>,
    pub limit: i64,
    /// One item per story (a channel's view): an entry is listed only when
    /// no earlier version of its story is within the selected sources.
    pub one_per_story: bool,
}

/// A page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<EntryView>,
    pub next_cursor: Option<Cursor>,
}

/// Entries newest first (by publication), one row per entry.
pub async fn list_entries(pool: &PgPool, f: &EntryFilter) -> Result<Page, sqlx::Error> {
    let limit = f.limit.clamp(1, MAX_LIMIT);
    let mut qb: QueryBuilder<'_, Postgres> = match f.q.as_deref().map(SearchTerms::parse) {
        Some(Some(terms)) => return search::search_entries(pool, f, &terms, limit).await,
        // Nothing searchable in q (only punctuation): nothing matches.
        Some(None) => QueryBuilder::new(format!(
            "SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, NULL::real AS rank
             FROM entries e JOIN sources src ON src.id = e.source_id WHERE FALSE LIMIT "
        )),
        None if (1..=PER_SOURCE_SCANS).contains(&f.sources.len()) => {
            // A few sources: the newest page of each from its own index
            // range, then merged. One scan over all of them would read and
            // sort every entry the sources have.
            let mut sources = f.sources.clone();
            sources.sort_unstable();
            sources.dedup();
            let mut qb = QueryBuilder::new(format!(
                "SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, NULL::real AS rank
                 FROM unnest("
            ));
            qb.push_bind(sources).push(
                "::bigint[]) AS pick(source_id) CROSS JOIN LATERAL (SELECT e.* FROM entries e
                   JOIN sources src ON src.id = e.source_id WHERE e.source_id = pick.source_id",
            );
            push_listing_conditions(&mut qb, f);
            qb.push(format_args!(" LIMIT {}", limit + 1)).push(
                ") e JOIN sources src ON src.id = e.source_id ORDER BY e.sort_at DESC, e.id DESC LIMIT ",
            );
            qb
        }
        None => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, NULL::real AS rank
                 FROM entries e JOIN sources src ON src.id = e.source_id WHERE TRUE"
            ));
            push_listing_conditions(&mut qb, f);
            qb.push(" LIMIT ");
            qb
        }
    };
    // The limit is written out, not bound: a statement whose other
    // parameters are none or harmless then keeps one generic plan instead of
    // being planned on every call (0.25 ms, a third of a listing's cost),
    // and a generic plan for an unknown limit would sort every entry.
    qb.push(limit + 1);
    let rows: Vec<EntryRow> = qb.build_query_as().fetch_all(pool).await?;
    Ok(page_of(rows, limit))
}

/// Up to this many `source` filters are read source by source.
const PER_SOURCE_SCANS: usize = 64;

/// The filters, the story rule and the cursor of a listing by date, and
/// its order.
fn push_listing_conditions(qb: &mut QueryBuilder<'_, Postgres>, f: &EntryFilter) {
    push_filters(qb, f);
    push_one_per_story(qb, f);
    push_before(qb, "e.sort_at, e.id", f.cursor);
    qb.push(" ORDER BY e.sort_at DESC, e.id DESC");
}

/// Keyset pagination: `AND (key) < (cursor)`, `key` naming the ordering
/// columns (time, id) of the listing.
fn push_before(qb: &mut QueryBuilder<'_, Postgres>, key: &str, cursor: Option<Cursor>) {
    if let Some(c) = cursor {
        qb.push(format_args!(" AND ({key}) < ("))
            .push_bind(c.at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
}

/// Rows read with `LIMIT limit + 1` as a page: the extra row only says
/// that there is a next page.
fn page_of(rows: Vec<EntryRow>, limit: i64) -> Page {
    let mut items: Vec<EntryView> = rows.into_iter().map(EntryView::from).collect();
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|e| Cursor {
            at: e.sort_at,
            id: e.id,
            rank: e.rank,
        })
    } else {
        None
    };
    Page { items, next_cursor }
}

/// The filters every listing shares, as `AND ...` clauses on `e` and `src`.
fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, f: &EntryFilter) {
    if !f.sources.is_empty() {
        qb.push(" AND e.source_id = ANY(")
            .push_bind(f.sources.clone())
            .push(")");
    }
    if let Some(within) = &f.within_sources {
        qb.push(" AND e.source_id = ANY(")
            .push_bind(within.clone())
            .push(")");
    }
    if let Some(tag) = &f.tag {
        qb.push(" AND ")
            .push_bind(tag.clone())
            .push(" = ANY(src.tags)");
    }
    if let Some(since) = f.since {
        qb.push(" AND e.sort_at >= ").push_bind(since);
    }
    if let Some(until) = f.until {
        qb.push(" AND e.sort_at < ").push_bind(until);
    }
}

/// For a channel's view: `e` (an `entries` row) is the earliest version of
/// its story within the selected sources. Uses `entries_story`.
fn push_one_per_story(qb: &mut QueryBuilder<'_, Postgres>, f: &EntryFilter) {
    if !f.one_per_story {
        return;
    }
    qb.push(
        " AND NOT EXISTS (SELECT 1 FROM entries o WHERE o.story_id = e.story_id
           AND (o.sort_at, o.id) < (e.sort_at, e.id)",
    );
    if let Some(within) = &f.within_sources {
        qb.push(" AND o.source_id = ANY(")
            .push_bind(within.clone())
            .push(")");
    }
    qb.push(")");
}

/// Stories newest first: one item per story, its earliest version within
/// the selected sources, with the other versions as alternates.
pub async fn list_stories(
    pool: &PgPool,
    within_sources: Option<&[i64]>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let mut qb = story_heads_query(within_sources);
    push_before(&mut qb, "st.sort_at, st.id", cursor);
    // Written out, not bound: see list_entries.
    qb.push(" ORDER BY st.sort_at DESC, st.id DESC LIMIT ")
        .push(limit + 1);
    let rows: Vec<EntryRow> = qb.build_query_as().fetch_all(pool).await?;
    let mut items: Vec<EntryView> = rows.into_iter().map(EntryView::from).collect();
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().and_then(|e| {
            Some(Cursor {
                at: e.story_sort_at?,
                id: e.story_id?,
                rank: None,
            })
        })
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// The version of each story a feed shows (its earliest within the
/// selected sources), for stories with an entry there; newest first.
pub async fn story_heads(
    pool: &PgPool,
    story_ids: &[i64],
    within_sources: Option<&[i64]>,
) -> Result<Vec<EntryView>, sqlx::Error> {
    let mut qb = story_heads_query(within_sources);
    qb.push(" AND st.id = ANY(")
        .push_bind(story_ids.to_vec())
        .push(") ORDER BY st.sort_at DESC, st.id DESC");
    let rows: Vec<EntryRow> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(EntryView::from).collect())
}

/// `SELECT` of stories with the version shown, ending in `WHERE TRUE`.
fn story_heads_query(within_sources: Option<&[i64]>) -> QueryBuilder<'static, Postgres> {
    let mut qb: QueryBuilder<'static, Postgres> = QueryBuilder::new(format!(
        "SELECT {ENTRY_COLUMNS}, st.sort_at AS story_sort_at, NULL::real AS rank FROM stories st "
    ));
    match within_sources {
        None => {
            qb.push("JOIN entries e ON e.id = st.head_entry_id ");
        }
        Some(ids) => {
            qb.push(
                "JOIN LATERAL (SELECT * FROM entries x WHERE x.story_id = st.id AND x.source_id = ANY(",
            )
            .push_bind(ids.to_vec())
            .push(") ORDER BY x.sort_at, x.id LIMIT 1) e ON TRUE ");
        }
    }
    qb.push("JOIN sources src ON src.id = e.source_id WHERE TRUE");
    qb
}

pub async fn get_entry(pool: &PgPool, id: i64) -> Result<Option<EntryView>, sqlx::Error> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, NULL::real AS rank FROM entries e JOIN sources src ON src.id = e.source_id WHERE e.id = $1"
    );
    let row: Option<EntryRow> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
    let mut items: Vec<EntryView> = row.into_iter().map(EntryView::from).collect();
    Ok(items.pop())
}

/// Every version of a story, oldest first.
pub async fn get_story(pool: &PgPool, id: i64) -> Result<Option<Vec<EntryView>>, sqlx::Error> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, NULL::real AS rank FROM entries e JOIN sources src ON src.id = e.source_id
         WHERE e.story_id = $1 ORDER BY e.sort_at, e.id"
    );
    let rows: Vec<EntryRow> = sqlx::query_as(&sql).bind(id).fetch_all(pool).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let items: Vec<EntryView> = rows.into_iter().map(EntryView::from).collect();
    Ok(Some(items))
}

/// Source ids selected by tags or explicit URLs (a channel's selection).
pub async fn sources_matching(
    pool: &PgPool,
    tags_any: &[String],
    urls: &[String],
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM sources WHERE tags && $1 OR url = ANY($2) ORDER BY id")
            .bind(tags_any)
            .bind(urls)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
