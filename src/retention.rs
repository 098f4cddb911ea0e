//! Retention: entries older than `max_age_days` are deleted in small
//! batches in the background. Each leaves a tombstone (source, identity key,
//! fingerprint) so that a source still listing an old item does not bring
//! it back as new. Near-duplicate keys are kept only as long as new entries
//! can match them (see [`crate::stories::group::near_keys_horizon`]), so
//! their index stays the size of a few weeks of news, whatever the archive.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::watch;

/// Rows per batch: short transactions, no long locks on a busy table.
pub const BATCH: i64 = 500;
const EVERY: Duration = Duration::from_secs(10 * 60);
/// Tombstones outlive their entries by this much, then go too.
const TOMBSTONE_DAYS: i32 = 365;

/// Deletes one batch of the entries expired at `now`; returns how many.
pub async fn sweep_batch(
    pool: &PgPool,
    max_age_days: u32,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let stories: Vec<(Option<i64>,)> = sqlx::query_as(
        "WITH old AS (
            SELECT id, source_id, identity, fingerprint, story_id FROM entries
            WHERE sort_at < $3 - make_interval(days => $1)
            ORDER BY sort_at LIMIT $2 FOR UPDATE SKIP LOCKED),
         tomb AS (
            INSERT INTO tombstones (source_id, identity, fingerprint)
            SELECT source_id, identity, fingerprint FROM old
            ON CONFLICT (source_id, identity) DO NOTHING)
         DELETE FROM entries e USING old WHERE e.id = old.id RETURNING old.story_id",
    )
    .bind(max_age_days.min(i32::MAX as u32) as i32)
    .bind(BATCH)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let deleted = stories.len() as u64;
    let mut ids: Vec<i64> = stories.into_iter().filter_map(|(s,)| s).collect();
    ids.sort_unstable();
    ids.dedup();
    crate::stories::group::refresh_heads(&mut tx, &ids).await?;
    if deleted > 0 {
        crate::db::changes::notify_changed(&mut tx, 0).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// Deletes every entry expired at `now`, batch by batch, and old tombstones.
pub async fn sweep(
    pool: &PgPool,
    max_age_days: u32,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let n = sweep_batch(pool, max_age_days, now).await?;
        total += n;
        if n < BATCH as u64 {
            break;
        }
        // Let other work through between batches.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("DELETE FROM tombstones WHERE deleted_at < $2 - make_interval(days => $1)")
        .bind(TOMBSTONE_DAYS)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(total)
}

/// Deletes near-duplicate keys older than `horizon` at `now`, batch by batch.
pub async fn prune_near_keys(
    pool: &PgPool,
    horizon: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let cutoff = now - horizon;
    let mut total = 0;
    loop {
        let n = sqlx::query(
            "DELETE FROM near_keys WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM near_keys WHERE sort_at < $1 LIMIT $2))",
        )
        .bind(cutoff)
        .bind(BATCH * 10)
        .execute(pool)
        .await?
        .rows_affected();
        total += n;
        if n < (BATCH * 10) as u64 {
            return Ok(total);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deletes the grouping log's lines older than a grouping's lookup can be
/// (see `crate::stories::group`) at `now`.
pub async fn prune_grouping_log(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let cutoff = now - crate::stories::group::GROUPING_LOG_KEEP;
    Ok(sqlx::query("DELETE FROM grouping_log WHERE at < $1")
        .bind(cutoff)
        .execute(pool)
        .await?
        .rows_affected())
}

/// One pass of what keeps the database from growing without end: expired
/// entries (`max_age_days = 0` keeps every entry), near-duplicate keys past
/// the story window's horizon, the grouping log. `serve`'s poller runs it
/// every ten minutes (see [`run`]) and `poll --once` after polling, so a
/// deployment polling from cron does not grow either. Ages count back from
/// `now`. Failures are logged; the next pass retries.
pub async fn housekeeping(
    pool: &PgPool,
    max_age_days: u32,
    story_window: Duration,
    now: DateTime<Utc>,
) {
    if max_age_days > 0 {
        match sweep(pool, max_age_days, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deleted = n,
                max_age_days,
                "retention: expired entries deleted"
            ),
            Err(e) => tracing::warn!(error = %e, "retention sweep failed; retrying later"),
        }
    }
    let horizon = crate::stories::group::near_keys_horizon(story_window);
    if let Err(e) = prune_near_keys(pool, horizon, now).await {
        tracing::warn!(error = %e, "pruning near-duplicate keys failed; retrying later");
    }
    if let Err(e) = prune_grouping_log(pool, now).await {
        tracing::warn!(error = %e, "pruning the grouping log failed; retrying later");
    }
    if let Err(e) = prune_realtime(pool, now).await {
        tracing::warn!(error = %e, "pruning announcements and lapsed subscriptions failed; retrying later");
    }
}

/// How long the log of new stories is kept: an announcer that was down
/// longer than this misses what came meanwhile.
pub const ANNOUNCEMENTS_KEEP: chrono::Duration = chrono::Duration::days(7);

/// The announcement log's old lines, hub subscriptions whose lease ran out,
/// bodies no delivery carries.
pub async fn prune_realtime(pool: &PgPool, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM story_announcements WHERE at < $1")
        .bind(now - ANNOUNCEMENTS_KEEP)
        .execute(pool)
        .await?;
    let lapsed = crate::websub::hub::expire(pool).await?;
    if lapsed > 0 {
        tracing::info!(
            subscriptions = lapsed,
            "hub: subscriptions whose lease ran out removed"
        );
    }
    crate::outbox::drop_unused_payloads(pool).await
}

/// Runs [`housekeeping`] now and every ten minutes until `stop` turns true.
pub async fn run(
    pool: PgPool,
    max_age_days: u32,
    story_window: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        housekeeping(&pool, max_age_days, story_window, Utc::now()).await;
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}
