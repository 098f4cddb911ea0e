//! What a poll leaves on its source: the schedule the poller decided, the
//! source's health, the fetch log, a redirect seen.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::schedule::FeedHints;

/// One line of a source's fetch log.
#[derive(Debug, Clone, Default)]
pub struct FetchLogRow {
    pub status: Option<i32>,
    pub duration_ms: i32,
    pub bytes: Option<i64>,
    pub new_entries: i32,
    pub updated_entries: i32,
    pub error: Option<String>,
    /// Entries of the document not stored, and why.
    pub dropped: crate::ingest::dropped::Dropped,
}

/// How many fetches the log keeps per source.
pub const FETCH_LOG_KEEP: i64 = 50;

/// What a poll changes on its source besides the fetch log (the feed's
/// validators and metadata went with its entries, see `ingest::store`).
#[derive(Debug, Clone)]
pub enum SourceUpdate {
    /// A fetch that was read and stored: its schedule and what was learned
    /// of the source's rhythm.
    Written {
        at: DateTime<Utc>,
        status: u16,
        next_poll_at: DateTime<Utc>,
        adaptive_interval: Duration,
        feed_hints: FeedHints,
    },
    /// A 304 (or an unchanged file): only the schedule moves.
    NotModified {
        at: DateTime<Utc>,
        status: u16,
        next_poll_at: DateTime<Utc>,
    },
    /// A document a hub pushed: entries only; the schedule and the
    /// source's health are the polls'.
    Pushed,
    /// A failed poll: recorded on the source, which is retried later.
    Failed {
        at: DateTime<Utc>,
        status: Option<u16>,
        error: String,
        next_poll_at: DateTime<Utc>,
    },
}

/// Ends a poll: the source's update and its fetch log line (the log keeps
/// the newest [`FETCH_LOG_KEEP`]) in one statement. Two statements were
/// two commits per poll, most of the cost of a 304.
pub async fn finish_poll(
    pool: &PgPool,
    source_id: i64,
    update: &SourceUpdate,
    row: &FetchLogRow,
) -> Result<(), sqlx::Error> {
    let source_sql = match update {
        SourceUpdate::Written { .. } => {
            "source AS (UPDATE sources SET last_polled_at = $11, last_status = $12, last_error = NULL,
                consecutive_failures = 0, next_poll_at = $13, lease_until = NULL, lease_holder = NULL,
                adaptive_interval_seconds = $14, feed_min_interval_seconds = $15, skip_hours = $16,
                skip_days = $17
             WHERE id = $1 RETURNING id),"
        }
        SourceUpdate::NotModified { .. } => {
            "source AS (UPDATE sources SET last_polled_at = $11, last_status = $12, last_error = NULL,
                consecutive_failures = 0, next_poll_at = $13, lease_until = NULL, lease_holder = NULL
             WHERE id = $1 RETURNING id),"
        }
        SourceUpdate::Pushed => {
            "source AS (UPDATE sources SET lease_until = NULL, lease_holder = NULL
             WHERE id = $1 RETURNING id),"
        }
        SourceUpdate::Failed { .. } => {
            "source AS (UPDATE sources SET last_polled_at = $11, last_status = $12, last_error = $14,
                consecutive_failures = consecutive_failures + 1, next_poll_at = $13, lease_until = NULL, lease_holder = NULL
             WHERE id = $1 RETURNING id),"
        }
    };
    // Committed without waiting for the WAL flush (set_config(.., true) is
    // SET LOCAL for this statement's transaction): a crash may lose the
    // record of the last polls, which are then polled again.
    let via = match update {
        SourceUpdate::Pushed => "push",
        _ => "poll",
    };
    let sql = format!(
        "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)),
         {source_sql} added AS (
            INSERT INTO fetch_log (source_id, at, status, duration_ms, bytes, new_entries, updated_entries, error,
                dropped, dropped_reasons, via)
            VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $9, $10, '{via}') RETURNING id)
         DELETE FROM fetch_log WHERE EXISTS (SELECT 1 FROM quick) AND id IN (
            SELECT id FROM fetch_log WHERE source_id = $1 ORDER BY at DESC, id DESC OFFSET $8 - 1)"
    );
    let query = sqlx::query(&sql)
        .bind(source_id)
        .bind(row.status)
        .bind(row.duration_ms)
        .bind(row.bytes)
        .bind(row.new_entries)
        .bind(row.updated_entries)
        .bind(&row.error)
        .bind(FETCH_LOG_KEEP)
        .bind(row.dropped.total() as i32)
        .bind(row.dropped.to_json());
    let query = match update {
        SourceUpdate::Written {
            at,
            status,
            next_poll_at,
            adaptive_interval,
            feed_hints,
        } => query
            .bind(*at)
            .bind(i32::from(*status))
            .bind(*next_poll_at)
            .bind(seconds(*adaptive_interval))
            .bind(feed_hints.min_interval.map(seconds))
            .bind(
                feed_hints
                    .skip_hours
                    .iter()
                    .map(|h| *h as i16)
                    .collect::<Vec<i16>>(),
            )
            .bind(
                feed_hints
                    .skip_days
                    .iter()
                    .map(|d| *d as i16)
                    .collect::<Vec<i16>>(),
            ),
        SourceUpdate::NotModified {
            at,
            status,
            next_poll_at,
        } => query.bind(*at).bind(i32::from(*status)).bind(*next_poll_at),
        SourceUpdate::Pushed => query,
        SourceUpdate::Failed {
            at,
            status,
            error,
            next_poll_at,
        } => query
            .bind(*at)
            .bind(status.map(i32::from))
            .bind(*next_poll_at)
            .bind(error.as_str()),
    };
    query.execute(pool).await?;
    Ok(())
}

/// Remembers a permanent redirect seen `count` times in a row (or forgets it).
pub async fn record_redirect(
    pool: &PgPool,
    source_id: i64,
    to: Option<&str>,
    count: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sources SET moved_to = $2, moved_count = $3 WHERE id = $1")
        .bind(source_id)
        .bind(to)
        .bind(count)
        .execute(pool)
        .await?;
    Ok(())
}

fn seconds(d: Duration) -> i32 {
    d.as_secs().min(i32::MAX as u64) as i32
}
