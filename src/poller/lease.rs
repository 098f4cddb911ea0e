//! Leases: a due source is claimed with `FOR UPDATE SKIP LOCKED` and a lease
//! expiry, so no two pollers fetch it at once. A lease names its holder
//! (`holder`): a dead poller's sources are taken over at once, those of a
//! live one when their leases run out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::Selection;
use super::holder;

/// A selected source another live poller holds, and until when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldElsewhere {
    pub id: i64,
    pub url: String,
    pub lease_until: DateTime<Utc>,
}

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
    /// A WebSub hub pushes its entries to us (a live subscription).
    pub push_live: bool,
    /// New entries' article pages are fetched for their full text.
    pub full_text: bool,
    /// Some of its entries' pages are due to be tried again: the feed is
    /// fetched whole (a 304 would leave them waiting for its next change).
    /// A retry due for over a day is of an entry the feed no longer lists
    /// (retries wait a day at most, polls far less): it no longer counts.
    pub pages_due: bool,
}

const RETURNING: &str =
    "RETURNING s.id, s.url, s.origin, s.etag, s.last_modified, s.timezone,
    s.interval_seconds, s.adaptive_interval_seconds, s.feed_min_interval_seconds, s.skip_hours, s.skip_days,
    s.consecutive_failures, s.guid_is_unreliable, s.moved_to, s.moved_count, s.full_text,
    EXISTS (SELECT 1 FROM websub_subscriptions w WHERE w.source_id = s.id AND w.state = 'active'
            AND w.expires_at > now()) AS push_live,
    s.full_text AND EXISTS (SELECT 1 FROM entries e WHERE e.source_id = s.id
                            AND e.extraction_retry_at <= now()
                            AND e.extraction_retry_at > now() - interval '1 day') AS pages_due";

/// Claims up to `limit` selected sources, stamping the leases with
/// `holder` (see `holder`; `None` leases are respected until they expire).
pub async fn claim(
    pool: &PgPool,
    selection: Selection,
    limit: i64,
    lease: Duration,
    holder: Option<i32>,
) -> Result<Vec<PollTarget>, sqlx::Error> {
    let sql = format!(
        "UPDATE sources s SET lease_until = now() + make_interval(secs => $2), lease_holder = $4
         WHERE s.id IN (
            SELECT id FROM sources
            WHERE enabled AND ($3 OR next_poll_at <= now())
              AND {takeable}
            ORDER BY next_poll_at, id LIMIT $1
            FOR UPDATE SKIP LOCKED)
         {RETURNING}",
        takeable = holder::takeable("sources")
    );
    sqlx::query_as::<_, PollTarget>(&sql)
        .bind(limit)
        .bind(lease.as_secs_f64())
        .bind(selection == Selection::AllEnabled)
        .bind(holder)
        .fetch_all(pool)
        .await
}

/// The selected sources that a claim left to others: leased, until when.
pub async fn held_elsewhere(
    pool: &PgPool,
    selection: Selection,
    claimed: &[i64],
) -> Result<Vec<HeldElsewhere>, sqlx::Error> {
    sqlx::query_as::<_, HeldElsewhere>(
        "SELECT id, url, lease_until FROM sources
         WHERE enabled AND ($1 OR next_poll_at <= now())
           AND lease_until >= now() AND NOT (id = ANY($2))
         ORDER BY id",
    )
    .bind(selection == Selection::AllEnabled)
    .bind(claimed)
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
        "UPDATE sources s SET lease_until = now() + make_interval(secs => $2), lease_holder = NULL
         WHERE s.id = (
            SELECT id FROM sources WHERE id = $1 AND enabled AND {takeable}
            FOR UPDATE SKIP LOCKED)
         {RETURNING}",
        takeable = holder::takeable("sources")
    );
    sqlx::query_as::<_, PollTarget>(&sql)
        .bind(source_id)
        .bind(lease.as_secs_f64())
        .fetch_optional(pool)
        .await
}

/// How long a claim holds a source: longer than a fetch can take, short
/// enough that a dead poller's sources come back soon. A poll that works
/// longer (a slow document, many article pages) renews it (see
/// [`held_while`]).
pub fn duration(config: &crate::config::PollerConfig) -> Duration {
    config.timeout * 3 + Duration::from_secs(60)
}

/// Runs `work`, one poll of `source_id`, renewing the source's lease every
/// third of `lease` until it ends: however long it works, no second poller
/// claims the source meanwhile. A renewal that fails is retried at the
/// next tick (the lease still has two thirds to run).
pub async fn held_while<F: Future>(
    pool: &PgPool,
    source_id: i64,
    lease: Duration,
    work: F,
) -> F::Output {
    tokio::pin!(work);
    let every = lease / 3;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = ticks.tick() => {
                let renewed = sqlx::query(
                    "UPDATE sources SET lease_until = now() + make_interval(secs => $2)
                     WHERE id = $1 AND lease_until > now()",
                )
                .bind(source_id)
                .bind(lease.as_secs_f64())
                .execute(pool)
                .await;
                if let Err(e) = renewed {
                    tracing::warn!(source_id, error = %e, "cannot renew a lease; retrying");
                }
            }
        }
    }
}

/// Gives sources back before their leases expire (a poller shutting down).
pub async fn release(pool: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sources SET lease_until = NULL, lease_holder = NULL WHERE id = ANY($1)")
        .bind(ids)
        .execute(pool)
        .await?;
    Ok(())
}
