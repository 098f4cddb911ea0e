//! Sources: the feeds Tributary polls, and the SQL that owns the `sources`
//! table (administration and health). Their URLs, titles and tags are
//! checked in `domain`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use url::Url;

use crate::config::SourceConfig;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Invalid(#[from] crate::domain::Invalid),
    #[error("source {id} already has the URL {url}")]
    Duplicate { id: i64, url: String },
    #[error("no source with id {0}")]
    NotFound(i64),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

pub use crate::domain::SourceUrl;

/// A source as stored, with its health (the API's answer is
/// `api::responses::SourceBody`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub id: i64,
    pub url: String,
    pub title: Option<String>,
    pub feed_title: Option<String>,
    pub site_url: Option<String>,
    pub tags: Vec<String>,
    pub timezone: Option<String>,
    pub interval_seconds: Option<i32>,
    pub origin: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub guid_is_unreliable: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub next_poll_at: DateTime<Utc>,
    /// When a poller's lease on the source ends, while one holds it.
    pub leased_until: Option<DateTime<Utc>>,
    pub entry_count: i64,
    pub full_text: bool,
    pub discovered_from: Option<String>,
}

impl Source {
    /// The title readers see: the operator's, else the feed's own, else the host.
    pub fn display_title(&self) -> String {
        self.title
            .clone()
            .or_else(|| self.feed_title.clone())
            .unwrap_or_else(|| {
                Url::parse(&self.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_else(|| self.url.clone())
            })
    }
}

// `title` is what readers see: the operator's title, else the feed's own.
const SELECT_SOURCE: &str = "SELECT s.id, s.url, coalesce(s.title, s.feed_title) AS title, s.feed_title, s.site_url, s.tags, s.timezone,
        s.interval_seconds, s.origin, s.enabled, s.disabled_reason, s.guid_is_unreliable,
        s.etag, s.last_modified, s.last_polled_at, s.last_status, s.last_error,
        s.consecutive_failures, s.next_poll_at,
        CASE WHEN s.lease_until > now() THEN s.lease_until END AS leased_until,
        (SELECT count(*) FROM entries e WHERE e.source_id = s.id) AS entry_count,
        s.full_text, s.discovered_from
    FROM sources s";

pub async fn list(pool: &PgPool) -> Result<Vec<Source>, SourceError> {
    let sql = format!("{SELECT_SOURCE} ORDER BY s.id");
    Ok(sqlx::query_as::<_, Source>(&sql).fetch_all(pool).await?)
}

/// Display names of the given sources (title, feed title, or URL).
pub async fn titles(pool: &PgPool, ids: &[i64]) -> Result<HashMap<i64, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, coalesce(title, feed_title, url) FROM sources WHERE id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

pub async fn get(pool: &PgPool, id: i64) -> Result<Source, SourceError> {
    let sql = format!("{SELECT_SOURCE} WHERE s.id = $1");
    sqlx::query_as::<_, Source>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(SourceError::NotFound(id))
}

pub async fn find_by_url(pool: &PgPool, url: &str) -> Result<Option<Source>, SourceError> {
    let sql = format!("{SELECT_SOURCE} WHERE s.url = $1");
    Ok(sqlx::query_as::<_, Source>(&sql)
        .bind(url)
        .fetch_optional(pool)
        .await?)
}

/// What an operator asks to add.
#[derive(Debug, Clone)]
pub struct NewSource {
    pub url: Url,
    pub title: Option<crate::domain::Title>,
    pub tags: crate::domain::Tags,
    pub origin: &'static str,
    pub full_text: bool,
    /// The page `url` was found from (discovery).
    pub discovered_from: Option<Url>,
}

pub async fn add(pool: &PgPool, new: &NewSource) -> Result<Source, SourceError> {
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO sources (url, title, tags, origin, full_text, discovered_from)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (url) DO NOTHING RETURNING id",
    )
    .bind(new.url.as_str())
    .bind(new.title.as_ref().map(crate::domain::Title::as_str))
    .bind(new.tags.as_slice())
    .bind(new.origin)
    .bind(new.full_text)
    .bind(new.discovered_from.as_ref().map(Url::as_str))
    .fetch_optional(pool)
    .await?;
    match inserted {
        Some((id,)) => get(pool, id).await,
        None => {
            let existing = find_by_url(pool, new.url.as_str()).await?;
            Err(SourceError::Duplicate {
                id: existing.map(|s| s.id).unwrap_or_default(),
                url: new.url.to_string(),
            })
        }
    }
}

/// Removes a source; its entries go with it, and stories they headed get a
/// new head (or disappear when nothing is left in them).
pub async fn remove(pool: &PgPool, id: i64) -> Result<(), SourceError> {
    let mut tx = pool.begin().await?;
    let stories: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT story_id FROM entries WHERE source_id = $1 AND story_id IS NOT NULL",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    // Near-duplicate keys have no foreign key (migration 0010): the
    // source's recent ones would linger until pruned and crowd lookups.
    sqlx::query(
        "DELETE FROM near_keys k USING entries e
         WHERE e.source_id = $1 AND k.entry_id = e.id AND k.sort_at = e.sort_at",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query("DELETE FROM sources WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(SourceError::NotFound(id));
    }
    let ids: Vec<i64> = stories.into_iter().map(|(s,)| s).collect();
    crate::stories::group::refresh_heads(&mut tx, &ids).await?;
    crate::db::changes::notify_changed(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// One fetch of a source, as the fetch log keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FetchRecord {
    pub at: DateTime<Utc>,
    pub status: Option<i32>,
    pub duration_ms: i32,
    pub bytes: Option<i64>,
    pub new_entries: i32,
    pub updated_entries: i32,
    pub error: Option<String>,
    /// Entries of the document that were not stored.
    pub dropped: i32,
    /// Why, as reason → count (`unreadable`, `empty`, `duplicate`).
    pub dropped_reasons: serde_json::Value,
    pub via: String,
}

/// The source's recent fetches, newest first.
pub async fn fetch_log(pool: &PgPool, id: i64) -> Result<Vec<FetchRecord>, SourceError> {
    get(pool, id).await?;
    Ok(sqlx::query_as(
        "SELECT at, status, duration_ms, bytes, new_entries, updated_entries, error,
                dropped, COALESCE(dropped_reasons, '{}'::jsonb) AS dropped_reasons, via
         FROM fetch_log WHERE source_id = $1 ORDER BY id DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?)
}

/// Stops polling a source, saying why (shown in the API).
pub async fn disable(pool: &PgPool, id: i64, reason: &str) -> Result<(), SourceError> {
    sqlx::query("UPDATE sources SET enabled = FALSE, disabled_reason = $2, lease_until = NULL, lease_holder = NULL WHERE id = $1")
        .bind(id)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

/// Moves a source to the URL it permanently redirects to. When another
/// source already has that URL, this one is disabled as its duplicate.
pub async fn move_url(pool: &PgPool, id: i64, to: &str) -> Result<(), SourceError> {
    if let Some(other) = find_by_url(pool, to).await? {
        if other.id != id {
            let reason = format!(
                "moved permanently to {to}, which source {} already follows",
                other.id
            );
            return disable(pool, id, &reason).await;
        }
    }
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE sources SET url = $2, moved_to = NULL, moved_count = 0, etag = NULL, last_modified = NULL WHERE id = $1")
        .bind(id)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    // Feeds name each item's source by URL.
    crate::db::changes::notify_changed(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes a source added as a web page's address follow the feed the page
/// links to, remembering the page. When another source already follows
/// that feed, this one is disabled as its duplicate. Whether it now follows
/// the feed.
pub async fn follow_discovered(
    pool: &PgPool,
    id: i64,
    feed: &str,
    page: &str,
) -> Result<bool, SourceError> {
    if let Some(other) = find_by_url(pool, feed).await? {
        if other.id != id {
            let reason = format!(
                "{page} links to the feed {feed}, which source {} already follows",
                other.id
            );
            disable(pool, id, &reason).await?;
            return Ok(false);
        }
    }
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE sources SET url = $2, discovered_from = coalesce(discovered_from, $3),
            etag = NULL, last_modified = NULL, moved_to = NULL, moved_count = 0
         WHERE id = $1",
    )
    .bind(id)
    .bind(feed)
    .bind(page)
    .execute(&mut *tx)
    .await?;
    crate::db::changes::notify_changed(&mut tx, id).await?;
    tx.commit().await?;
    Ok(true)
}

/// Makes the database agree with the `[[sources]]` of the config file: new
/// ones are added, changed ones updated, and config sources that left the
/// file are disabled (not deleted: their entries stay until an operator
/// removes them).
pub async fn sync_config(
    pool: &PgPool,
    configured: &[SourceConfig],
) -> Result<SyncReport, SourceError> {
    let mut tx = pool.begin().await?;
    // Several processes may start at once (replicas, a CLI beside serve).
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SYNC_LOCK)
        .execute(&mut *tx)
        .await?;
    // One statement for all of them: one per source cost a round trip each
    // (0.2 s at every start with 2,000 sources), and rewrote unchanged rows.
    // A URL listed twice takes its last entry, as a file read top down would.
    // New sources get ids in the file's order.
    let last_of: HashMap<&str, usize> = configured
        .iter()
        .enumerate()
        .map(|(i, s)| (s.url.as_str(), i))
        .collect();
    let picked: Vec<(usize, &SourceConfig)> = configured
        .iter()
        .enumerate()
        .filter(|(i, s)| last_of.get(s.url.as_str()) == Some(i))
        .collect();
    let rows: Vec<serde_json::Value> = picked
        .iter()
        .map(|(n, s)| {
            serde_json::json!({
                "n": n,
                "url": s.url.as_str(),
                "title": s.title,
                "tags": s.tags,
                "timezone": s.timezone.map(|t| t.name()),
                "interval_seconds": s.interval.map(|d| d.as_secs().min(i32::MAX as u64) as i32),
                "full_text": s.full_text,
            })
        })
        .collect();
    let urls: Vec<&str> = picked.iter().map(|(_, s)| s.url.as_str()).collect();
    let (updated, added): (i64, i64) = sqlx::query_as(
        "WITH cfg AS (
            SELECT * FROM jsonb_to_recordset($1::jsonb)
                AS x(n int, url text, title text, tags text[], timezone text, interval_seconds int,
                     full_text boolean)),
         -- A page URL of the file matches the source whose feed was found
         -- from it (discovered_from).
         updated AS (
            UPDATE sources s SET title = c.title, tags = c.tags, timezone = c.timezone,
                interval_seconds = c.interval_seconds, full_text = c.full_text, origin = 'config',
                enabled = CASE WHEN s.disabled_reason = $2 THEN TRUE ELSE s.enabled END,
                disabled_reason = CASE WHEN s.disabled_reason = $2 THEN NULL ELSE s.disabled_reason END
            FROM cfg c
            WHERE (s.url = c.url OR s.discovered_from = c.url)
              AND (s.title IS DISTINCT FROM c.title OR s.tags IS DISTINCT FROM c.tags
                   OR s.timezone IS DISTINCT FROM c.timezone
                   OR s.interval_seconds IS DISTINCT FROM c.interval_seconds
                   OR s.full_text IS DISTINCT FROM c.full_text
                   OR s.origin <> 'config' OR s.disabled_reason IS NOT DISTINCT FROM $2)
            RETURNING s.id),
         -- Only new URLs: an INSERT ... ON CONFLICT would burn a sequence
         -- value for every existing one, and source ids would jump.
         added AS (
            INSERT INTO sources (url, title, tags, timezone, interval_seconds, full_text, origin)
            SELECT c.url, c.title, coalesce(c.tags, '{}'), c.timezone, c.interval_seconds,
                   coalesce(c.full_text, FALSE), 'config'
            FROM cfg c WHERE NOT EXISTS (
                SELECT 1 FROM sources s WHERE s.url = c.url OR s.discovered_from = c.url)
            ORDER BY c.n
            RETURNING id)
         SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM added)",
    )
    .bind(serde_json::Value::Array(rows))
    .bind(REMOVED_FROM_CONFIG)
    .fetch_one(&mut *tx)
    .await?;
    let mut report = SyncReport {
        added: added as u64,
        updated: updated as u64,
        disabled: 0,
    };
    report.disabled = sqlx::query(
        "UPDATE sources SET enabled = FALSE, disabled_reason = $2
         WHERE origin = 'config' AND enabled AND NOT (url = ANY($1))
           AND NOT (coalesce(discovered_from, '') = ANY($1))",
    )
    .bind(&urls)
    .bind(REMOVED_FROM_CONFIG)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // Titles shown in feeds may have changed.
    crate::db::changes::notify_changed(&mut tx, 0).await?;
    tx.commit().await?;
    Ok(report)
}

const SYNC_LOCK: i64 = 0x7472_6962_7379_6e63; // "tribsync"

const REMOVED_FROM_CONFIG: &str = "removed from the config file";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub added: u64,
    /// Sources already stored whose settings changed.
    pub updated: u64,
    pub disabled: u64,
}
