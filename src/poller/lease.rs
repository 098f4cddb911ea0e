//! Leases: a due source is claimed with `FOR UPDATE SKIP LOCKED` and a lease
//! expiry, so no two pollers fetch it at once, and a dead poller's sources
//! return to the pool when their leases run out.

use std::time::Duration;

use sqlx::PgPool;

use super::Selection;

/// What the poller knows about a source when it claims it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PollTarget {
    pub id: i64,
    pub url: String,
    pub origin: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub timezone: Option<String>,
    pub interval_seconds: Option<i32>,
    pub adaptive_interval_seconds: Option<i32>,
    pub feed_min_interval_seconds: Option<i32>,
    pub skip_hours: Vec<i16>,
    pub skip_days: Vec<i16>,
    pub consecutive_failures: i32,
    pub guid_is_unreliable: bool,
    pub moved_to: Option<String>,
    pub moved_count: i32,
}

const RETURNING: &str =
    "RETURNING s.id, s.url, s.origin, s.etag, s.last_modified, s.timezone,
    s.interval_seconds, s.adaptive_interval_seconds, s.feed_min_interval_seconds, s.skip_hours, s.skip_days,
    s.consecutive_failures, s.guid_is_unreliable, s.moved_to, s.moved_count";

pub async fn claim(
    pool: &PgPool,
    selection: Selection,
    limit: i64,
    lease: Duration,
) -> Result<Vec<PollTarget>, sqlx::Error> {
    let sql = format!(
        "UPDATE sources s SET lease_until = now() + make_interval(secs => $2)
         WHERE s.id IN (
            SELECT id FROM sources
            WHERE enabled AND ($3 OR next_poll_at <= now())
              AND (lease_until IS NULL OR lease_until < now())
            ORDER BY next_poll_at, id LIMIT $1
            FOR UPDATE SKIP LOCKED)
         {RETURNING}"
    );
    sqlx::query_as::<_, PollTarget>(&sql)
        .bind(limit)
        .bind(lease.as_secs_f64())
        .bind(selection == Selection::AllEnabled)
        .fetch_all(pool)
        .await
}

/// Claims one source regardless of its schedule; `None` when it does not
/// exist, is disabled, or another poller holds it.
pub async fn claim_one(
    pool: &PgPool,
    source_id: i64,
    lease: Duration,
) -> Result<Option<PollTarget>, sqlx::Error> {
    let sql = format!(
        "UPDATE sources s SET lease_until = now() + make_interval(secs => $2)
         WHERE s.id = (
            SELECT id FROM sources WHERE id = $1 AND enabled
              AND (lease_until IS NULL OR lease_until < now())
            FOR UPDATE SKIP LOCKED)
         {RETURNING}"
    );
    sqlx::query_as::<_, PollTarget>(&sql)
        .bind(source_id)
        .bind(lease.as_secs_f64())
        .fetch_optional(pool)
        .await
}

/// Gives sources back before their leases expire (a poller shutting down).
pub async fn release(pool: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sources SET lease_until = NULL WHERE id = ANY($1)")
        .bind(ids)
        .execute(pool)
        .await?;
    Ok(())
}
