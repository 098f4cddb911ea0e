//! Tributary as a WebSub subscriber (`[websub] subscribe = true`): a
//! source whose feed names a hub (see [`super::discover`]) is subscribed
//! to at that hub with a callback of its own
//! (`{public_url}/websub/callback/{id}`, 256 random bits) and a fresh
//! secret. The manager here asks, renews before the lease ends, gives up
//! on hubs that deny or never verify (the source is polled as before,
//! and asked again later), and unsubscribes when the source goes, is
//! disabled or names another hub. The callback's side (verification of
//! intent, content distribution) is in `crate::api::websub`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use sqlx::PgPool;
use tokio::sync::watch;

use crate::config::Config;

/// How long a hub has to verify a subscription it accepted.
pub const VERIFY_WAIT: Duration = Duration::from_secs(300);
/// How often the manager looks for work.
const TICK: Duration = Duration::from_secs(5);
/// Requests to hubs in flight at once.
const IN_FLIGHT: i64 = 16;
/// Unsubscribe requests made before a subscription is simply forgotten.
const UNSUBSCRIBE_TRIES: i32 = 3;

/// One subscription as the manager acts on it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Due {
    id: i64,
    hub: String,
    topic: String,
    callback_id: String,
    secret: String,
    state: String,
    attempts: i32,
    expires_at: Option<DateTime<Utc>>,
    /// The source's origin (`api` sources reach public hubs only).
    origin: Option<String>,
}

pub struct Subscriber {
    pool: PgPool,
    config: Arc<Config>,
    client: crate::net::Client,
}

/// Redirects a hub's answer may take (each hop checked by the guard).
const HUB_REDIRECTS: usize = 3;

impl Subscriber {
    pub fn new(pool: PgPool, config: Arc<Config>) -> Result<Subscriber, crate::net::NetError> {
        Ok(Subscriber {
            client: crate::net::Client::new(&config.poller)?,
            pool,
            config,
        })
    }

    /// Manages subscriptions until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "WebSub: cannot manage subscriptions; retrying");
            }
            tokio::select! {
                _ = stop.changed() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// Plans what sources need, then acts on what is due: returns how
    /// many subscriptions it acted on.
    pub async fn pass(&self) -> Result<usize, sqlx::Error> {
        self.plan().await?;
        let due: Vec<Due> = sqlx::query_as(
            "UPDATE websub_subscriptions w
             SET next_action_at = now() + make_interval(secs => $2), attempts = w.attempts + 1
             FROM (SELECT id FROM websub_subscriptions WHERE next_action_at <= now()
                   ORDER BY next_action_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
             WHERE w.id = due.id
             RETURNING w.id, w.hub, w.topic, w.callback_id, w.secret, w.state, w.attempts, w.expires_at,
                       (SELECT origin FROM sources s WHERE s.id = w.source_id) AS origin",
        )
        .bind(IN_FLIGHT)
        .bind(VERIFY_WAIT.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        let n = due.len();
        let mut acting: FuturesUnordered<_> = due.into_iter().map(|d| self.act(d)).collect();
        while let Some(done) = acting.next().await {
            if let Err(e) = done {
                tracing::warn!(error = %e, "WebSub: cannot record a subscription's state");
            }
        }
        Ok(n)
    }

    /// Rows for sources that name a hub; ends for those that should not
    /// be subscribed any more.
    async fn plan(&self) -> Result<(), sqlx::Error> {
        let wanted = "EXISTS (SELECT 1 FROM sources s WHERE s.id = w.source_id AND s.enabled AND $1
                       AND s.websub_hub = w.hub AND s.websub_topic = w.topic)";
        sqlx::query(&format!(
            "WITH ending AS (
                UPDATE websub_subscriptions w SET state = 'unsubscribing', next_action_at = now(), attempts = 0
                WHERE w.state IN ('requested', 'active') AND NOT {wanted})
             DELETE FROM websub_subscriptions w
             WHERE w.state IN ('pending', 'failed', 'denied') AND NOT {wanted}"
        ))
        .bind(self.config.websub.subscribe)
        .execute(&self.pool)
        .await?;
        if !self.config.websub.subscribe {
            return Ok(());
        }
        // Callback ids and secrets from PostgreSQL's strong random source
        // (gen_random_uuid: 122 random bits each, two of them).
        sqlx::query(
            "INSERT INTO websub_subscriptions (source_id, hub, topic, callback_id, secret)
             SELECT s.id, s.websub_hub, s.websub_topic,
                    replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                    replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
             FROM sources s
             WHERE s.enabled AND s.websub_hub IS NOT NULL AND s.websub_topic IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM websub_subscriptions w
                               WHERE w.source_id = s.id AND w.state <> 'unsubscribing')
             ON CONFLICT DO NOTHING",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn act(&self, due: Due) -> Result<(), sqlx::Error> {
        let now = Utc::now();
        match due.state.as_str() {
            "unsubscribing" => {
                if due.attempts > UNSUBSCRIBE_TRIES {
                    return self.forget(due.id).await;
                }
                if let Err(e) = self.ask(&due, "unsubscribe").await {
                    tracing::info!(hub = %due.hub, topic = %due.topic, error = %e, "WebSub: unsubscribe refused");
                }
                // The hub's verification GET deletes the row (api::websub).
                Ok(())
            }
            "requested" => {
                self.failed(
                    &due,
                    "the hub did not verify the subscription within 5 minutes",
                    now,
                )
                .await
            }
            // Lapsed while renewals failed: start over.
            "active" if due.expires_at.is_none_or(|e| e <= now) => {
                self.failed(&due, "the lease ended before a renewal was verified", now)
                    .await
            }
            // pending, failed, denied: ask; active: renew.
            _ => match self.ask(&due, "subscribe").await {
                Ok(()) => {
                    sqlx::query(
                        "UPDATE websub_subscriptions
                         SET state = CASE WHEN state = 'active' THEN 'active' ELSE 'requested' END,
                             requested_at = now(), last_error = NULL
                         WHERE id = $1 AND state = $2",
                    )
                    .bind(due.id)
                    .bind(&due.state)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }
                Err(e) => self.failed(&due, &e, now).await,
            },
        }
    }

    /// A subscription request (WebSub §5.1), answered 2xx by a hub that
    /// will verify it.
    async fn ask(&self, due: &Due, mode: &str) -> Result<(), String> {
        let callback = callback_url(&self.config, &due.callback_id);
        let mut form = vec![
            ("hub.mode", mode.to_owned()),
            ("hub.topic", due.topic.clone()),
            ("hub.callback", callback),
        ];
        if mode == "subscribe" {
            form.push(("hub.secret", due.secret.clone()));
            form.push((
                "hub.lease_seconds",
                self.config.websub.lease.as_secs().to_string(),
            ));
        }
        // The hub is named by the feed: it reaches what the source may.
        let reach = crate::net::Reach::for_origin(
            due.origin.as_deref().unwrap_or("api"),
            self.config.poller.allow_private_networks,
        );
        let hub =
            url::Url::parse(&due.hub).map_err(|e| format!("the hub URL is not valid: {e}"))?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let request = crate::net::Request {
            method: reqwest::Method::POST,
            url: hub,
            headers: reqwest::header::HeaderMap::new(),
            body: Some(body.into()),
            max_redirects: HUB_REDIRECTS,
            timeout: self.config.poller.timeout.min(Duration::from_secs(30)),
        }
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
        let reply = self
            .client
            .send(request, reach)
            .await
            .map_err(|e| format!("cannot reach the hub: {e}"))?;
        let status = reply.response.status();
        if status.is_success() {
            return Ok(());
        }
        // The status alone: what a hub says in its body is not ours to
        // show (a hub URL can point anywhere a feed's author likes).
        Err(format!(
            "the hub answered HTTP {}{}",
            status.as_u16(),
            status
                .canonical_reason()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        ))
    }

    /// Polling only until it is asked again, later each time.
    async fn failed(&self, due: &Due, error: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE websub_subscriptions SET state = 'failed', last_error = $2, next_action_at = $3
             WHERE id = $1",
        )
        .bind(due.id)
        .bind(error)
        .bind(now + retry_after(due.attempts))
        .execute(&self.pool)
        .await?;
        tracing::info!(hub = %due.hub, topic = %due.topic, %error, "WebSub: not subscribed; polling instead");
        Ok(())
    }

    async fn forget(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM websub_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// How long after `attempts` failed requests a hub is asked again: a
/// minute, doubling, at most a day.
pub fn retry_after(attempts: i32) -> chrono::Duration {
    let minutes = 2i64
        .saturating_pow(attempts.clamp(1, 12) as u32 - 1)
        .min(24 * 60);
    chrono::Duration::minutes(minutes)
}

/// Our callback for a subscription.
pub fn callback_url(config: &Config, callback_id: &str) -> String {
    format!(
        "{}/websub/callback/{callback_id}",
        config.server.public_url.as_str().trim_end_matches('/')
    )
}

/// A subscription a callback id names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub source_id: Option<i64>,
    pub topic: String,
    pub secret: String,
    pub state: String,
}

pub async fn by_callback(
    pool: &PgPool,
    callback_id: &str,
) -> Result<Option<Subscription>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, source_id, topic, secret, state FROM websub_subscriptions WHERE callback_id = $1",
    )
    .bind(callback_id)
    .fetch_optional(pool)
    .await
}

/// What a hub's verification GET asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Confirm: echo the challenge.
    Confirmed,
    /// Not a request we made: 404.
    Unknown,
}

impl Verified {
    fn if_any(rows: u64) -> Verified {
        if rows > 0 {
            Verified::Confirmed
        } else {
            Verified::Unknown
        }
    }
}

/// A hub confirms a subscription we asked for (WebSub §5.3): only for the
/// callback's own topic, while we want it. The lease starts now; renewal
/// is due at nine tenths of it.
pub async fn confirm_subscribe(
    pool: &PgPool,
    callback_id: &str,
    topic: &str,
    lease: Duration,
) -> Result<Verified, sqlx::Error> {
    let lease_secs = lease.as_secs().clamp(60, i32::MAX as u64) as f64;
    let done = sqlx::query(
        "UPDATE websub_subscriptions
         SET state = 'active', verified_at = now(), lease_seconds = $3::float8::int,
             expires_at = now() + make_interval(secs => $3),
             next_action_at = now() + make_interval(secs => $3 * 0.9),
             attempts = 0, last_error = NULL
         WHERE callback_id = $1 AND topic = $2 AND source_id IS NOT NULL
           AND state IN ('pending', 'requested', 'active', 'failed')",
    )
    .bind(callback_id)
    .bind(topic)
    .bind(lease_secs)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(Verified::if_any(done))
}

/// A hub confirms an unsubscription we asked for: the row goes.
pub async fn confirm_unsubscribe(
    pool: &PgPool,
    callback_id: &str,
    topic: &str,
) -> Result<Verified, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM websub_subscriptions WHERE callback_id = $1 AND topic = $2 AND state = 'unsubscribing'",
    )
    .bind(callback_id)
    .bind(topic)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(Verified::if_any(done))
}

/// A hub denies a subscription (WebSub §5.2): polling only; asked again in
/// a day.
pub async fn denied(
    pool: &PgPool,
    callback_id: &str,
    topic: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let reason: String = reason.chars().take(500).collect();
    let done = sqlx::query(
        "UPDATE websub_subscriptions SET state = 'denied', last_error = $3,
                next_action_at = now() + interval '1 day'
         WHERE callback_id = $1 AND topic = $2 AND state <> 'unsubscribing'",
    )
    .bind(callback_id)
    .bind(topic)
    .bind(format!("the hub denied the subscription: {reason}"))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(done > 0)
}

/// A content distribution arrived for a subscription.
pub async fn record_push(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE websub_subscriptions SET last_push_at = now(), pushes = pushes + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// A poll found entries a live subscription's hub had not pushed.
pub async fn record_missed(pool: &PgPool, source_id: i64) {
    crate::metrics::record_missed_by_push();
    let done = sqlx::query(
        "UPDATE websub_subscriptions SET missed = missed + 1 WHERE source_id = $1 AND state = 'active'",
    )
    .bind(source_id)
    .execute(pool)
    .await;
    if let Err(e) = done {
        tracing::warn!(source_id, error = %e, "cannot count a poll that found what a push missed");
    }
}

/// Subscriptions with their state, for the API.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionState {
    pub id: i64,
    pub source_id: Option<i64>,
    pub hub: String,
    pub topic: String,
    pub state: String,
    pub lease_seconds: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
    pub requested_at: Option<DateTime<Utc>>,
    pub verified_at: Option<DateTime<Utc>>,
    pub next_action_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub pushes: i64,
    pub missed: i64,
}

pub async fn list(pool: &PgPool) -> Result<Vec<SubscriptionState>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, source_id, hub, topic, state, lease_seconds, expires_at, requested_at, verified_at,
                next_action_at, last_error, last_push_at, pushes, missed
         FROM websub_subscriptions ORDER BY id",
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubs_are_asked_again_after_a_minute_doubling_to_a_day() {
        assert_eq!(retry_after(1), chrono::Duration::minutes(1));
        assert_eq!(retry_after(3), chrono::Duration::minutes(4));
        assert_eq!(retry_after(40), chrono::Duration::minutes(24 * 60));
        assert_eq!(retry_after(0), chrono::Duration::minutes(1));
    }
}
