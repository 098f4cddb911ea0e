//! The outbox: every POST Tributary owes someone — a webhook's new
//! stories, a WebSub subscriber's changed feed, a ping to an external hub —
//! is a row in PostgreSQL until it is delivered, so a restart loses
//! nothing and never blocks ingest.
//!
//! - [`endpoints`]: where deliveries go, with their state and backoff.
//! - [`deliverer`]: the loop that sends them, signed, one at a time per
//!   endpoint, retrying with exponential backoff for a day.

pub mod deliverer;
pub mod endpoints;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

pub use endpoints::{Endpoint, EndpointKind};

/// How long deliveries to an endpoint are retried before they are dropped.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Stores a body once for the deliveries that will carry it.
pub async fn store_payload(
    conn: &mut PgConnection,
    content_type: &str,
    body: &[u8],
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO delivery_payloads (content_type, body) VALUES ($1, $2) RETURNING id",
    )
    .bind(content_type)
    .bind(body)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Queues one delivery of `payload` to `endpoint`, with a fresh key the
/// receiver sees on every attempt.
pub async fn enqueue(
    conn: &mut PgConnection,
    endpoint: i64,
    payload: i64,
    story_count: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deliveries (delivery_key, endpoint_id, payload_id, story_count)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(delivery_key())
    .bind(endpoint)
    .bind(payload)
    .bind(story_count as i32)
    .execute(conn)
    .await?;
    Ok(())
}

fn delivery_key() -> String {
    crate::websub::hub::random_token()
}

/// A delivery taken for sending, with what it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub payload_id: i64,
    pub delivery_key: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub content_type: String,
    pub body: Vec<u8>,
    pub story_count: i32,
    #[sqlx(flatten)]
    pub endpoint: Endpoint,
}

/// Takes up to `limit` deliveries that are due: the oldest of each
/// endpoint not backing off, none already being sent to it (each endpoint
/// gets its deliveries one at a time, in order), none of a lapsed
/// subscription. `hold` bounds how long a deliverer that died keeps them.
pub async fn claim(pool: &PgPool, limit: i64, hold: Duration) -> Result<Vec<Claimed>, sqlx::Error> {
    let sql = format!(
        "WITH due AS (
            SELECT DISTINCT ON (d.endpoint_id) d.id
            FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
            WHERE e.retry_at <= now() AND (e.expires_at IS NULL OR e.expires_at > now())
              AND NOT EXISTS (SELECT 1 FROM deliveries x
                              WHERE x.endpoint_id = d.endpoint_id AND x.claimed_until > now())
            ORDER BY d.endpoint_id, d.id
            LIMIT $1)
         UPDATE deliveries d SET claimed_until = now() + make_interval(secs => $2),
                                 attempts = d.attempts + 1
         FROM due, endpoints e, delivery_payloads p
         WHERE d.id = due.id AND d.claimed_until <= now()
           AND e.id = d.endpoint_id AND p.id = d.payload_id
         RETURNING d.id, d.payload_id, d.delivery_key, d.attempts, d.created_at, p.content_type, p.body,
                   d.story_count, {columns}",
        columns = endpoints::COLUMNS
    );
    sqlx::query_as(&sql)
        .bind(limit)
        .bind(hold.as_secs_f64())
        .fetch_all(pool)
        .await
}

/// Delivered: the row goes, the endpoint is healthy again.
pub async fn delivered(pool: &PgPool, claimed: &Claimed) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH done AS (DELETE FROM deliveries WHERE id = $1 RETURNING endpoint_id)
         UPDATE endpoints SET last_success_at = now(), consecutive_failures = 0,
                              retry_at = 'epoch', delivered = delivered + 1
         WHERE id IN (SELECT endpoint_id FROM done)",
    )
    .bind(claimed.id)
    .execute(pool)
    .await?;
    drop_payload_if_unused(pool, claimed.payload_id).await
}

/// Not delivered: the endpoint backs off; a delivery older than
/// [`GIVE_UP_AFTER`] is dropped and counted as abandoned.
pub async fn failed(
    pool: &PgPool,
    claimed: &Claimed,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let failures = claimed.endpoint.consecutive_failures.saturating_add(1);
    let retry_at = now + backoff(failures as u32, claimed.id as u64);
    let give_up = now - claimed.created_at
        >= chrono::Duration::from_std(GIVE_UP_AFTER).unwrap_or(chrono::Duration::days(1));
    let mut tx = pool.begin().await?;
    if give_up {
        sqlx::query("DELETE FROM deliveries WHERE id = $1")
            .bind(claimed.id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("UPDATE deliveries SET claimed_until = 'epoch', last_error = $2 WHERE id = $1")
            .bind(claimed.id)
            .bind(error)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE endpoints SET consecutive_failures = consecutive_failures + 1, last_error = $2,
                last_error_at = $3, retry_at = $4, abandoned = abandoned + $5
         WHERE id = $1",
    )
    .bind(claimed.endpoint.id)
    .bind(error)
    .bind(now)
    .bind(retry_at)
    .bind(i64::from(give_up))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if give_up {
        tracing::warn!(endpoint = %claimed.endpoint.url, key = %claimed.delivery_key, "delivery abandoned after a day of failures");
        drop_payload_if_unused(pool, claimed.payload_id).await?;
    }
    Ok(())
}

/// The body of a finished delivery, once no other carries it (two
/// finishing at once may both keep it: housekeeping's
/// [`drop_unused_payloads`] takes what is left).
async fn drop_payload_if_unused(pool: &PgPool, payload: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM delivery_payloads p WHERE p.id = $1
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.payload_id = p.id)",
    )
    .bind(payload)
    .execute(pool)
    .await?;
    Ok(())
}

/// Bodies no delivery carries any more.
pub async fn drop_unused_payloads(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM delivery_payloads p
         WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.payload_id = p.id)",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// How long an endpoint rests after `failures` failures in a row: 5 s,
/// doubling, at most an hour, spread by a tenth either way so that
/// endpoints that failed together do not come back together.
pub fn backoff(failures: u32, spread_seed: u64) -> chrono::Duration {
    let base = 5.0 * 2f64.powi(failures.saturating_sub(1).min(20) as i32);
    let capped = base.min(3600.0);
    let spread = ((spread_seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 2001) as f64 / 10_000.0;
    let secs = capped * (0.9 + spread);
    chrono::Duration::milliseconds((secs * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_seconds_to_an_hour() {
        let secs = |n| backoff(n, 0).num_milliseconds() as f64 / 1000.0;
        assert!((4.5..=5.5).contains(&secs(1)), "{}", secs(1));
        assert!((9.0..=11.0).contains(&secs(2)));
        assert!((36.0..=44.0).contains(&secs(4)));
        assert!((3240.0..=3960.0).contains(&secs(30)));
        for seed in 0..200 {
            let s = backoff(3, seed).num_milliseconds();
            assert!((18_000..=22_000).contains(&s), "{s}");
        }
    }

    #[test]
    fn delivery_keys_are_unique_hex() {
        let a = delivery_key();
        assert_eq!(a.len(), 32);
        assert_ne!(a, delivery_key());
    }
}
