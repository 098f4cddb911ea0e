//! Where deliveries go: webhooks (from the config file), subscribers of
//! the built-in hub (from `POST /websub/hub`), and the external hub our
//! feeds name (one row per feed it is pinged for). Each row carries its
//! delivery state: the last success, the last error, the failures in a
//! row and when the next attempt may be made.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::config::{Config, HubSetting};
use crate::publish::{FeedFormat, PageUrls};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    Webhook,
    Subscriber,
    Hub,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Webhook => "webhook",
            EndpointKind::Subscriber => "subscriber",
            EndpointKind::Hub => "hub",
        }
    }

    fn parse(s: &str) -> EndpointKind {
        match s {
            "subscriber" => EndpointKind::Subscriber,
            "hub" => EndpointKind::Hub,
            _ => EndpointKind::Webhook,
        }
    }
}

/// The columns of an [`Endpoint`], for queries that join them.
pub const COLUMNS: &str = "e.id AS endpoint_id, e.kind, e.url, e.channel, e.topic, e.secret,
    e.lease_seconds, e.expires_at, e.created_at AS endpoint_created_at, e.last_success_at,
    e.last_error AS endpoint_last_error, e.last_error_at, e.consecutive_failures, e.retry_at,
    e.delivered, e.abandoned";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Endpoint {
    #[sqlx(rename = "endpoint_id")]
    pub id: i64,
    /// See [`Endpoint::kind`].
    pub kind: String,
    pub url: String,
    pub channel: String,
    /// Subscribers and hub pings: the feed URL.
    pub topic: String,
    /// Subscribers: the secret they gave (webhooks' are in the config).
    pub secret: Option<String>,
    pub lease_seconds: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
    #[sqlx(rename = "endpoint_created_at")]
    pub created_at: DateTime<Utc>,
    pub last_success_at: Option<DateTime<Utc>>,
    #[sqlx(rename = "endpoint_last_error")]
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i32,
    pub retry_at: DateTime<Utc>,
    pub delivered: i64,
    pub abandoned: i64,
}

/// Failures in a row from which an endpoint counts as failing (before
/// that it is retrying).
pub const FAILING_AFTER: i32 = 3;

impl Endpoint {
    pub fn kind(&self) -> EndpointKind {
        EndpointKind::parse(&self.kind)
    }

    /// `ok`, `retrying` or `failing`.
    pub fn state(&self) -> &'static str {
        match self.consecutive_failures {
            0 => "ok",
            n if n < FAILING_AFTER => "retrying",
            _ => "failing",
        }
    }
}

/// Makes the webhook and hub-ping endpoints agree with the config: new ones
/// added, ones no longer configured deleted with their pending deliveries.
/// Subscribers are the hub's business and are left alone.
pub async fn sync_config(pool: &PgPool, config: &Config) -> Result<(), sqlx::Error> {
    let mut wanted: Vec<(&'static str, String, String, String)> = config
        .webhooks
        .iter()
        .map(|w| {
            (
                "webhook",
                w.url.to_string(),
                w.channel.clone(),
                String::new(),
            )
        })
        .collect();
    if let HubSetting::External(hub) = &config.websub.hub {
        for channel in config.all_channels() {
            for format in [FeedFormat::Rss, FeedFormat::Atom, FeedFormat::Json] {
                wanted.push((
                    "hub",
                    hub.to_string(),
                    channel.name.clone(),
                    PageUrls::new(
                        &config.server.public_url,
                        &channel.name,
                        format,
                        None,
                        None,
                        None,
                    )
                    .self_url,
                ));
            }
        }
    }
    let rows: Vec<serde_json::Value> = wanted
        .iter()
        .map(|(kind, url, channel, topic)| {
            serde_json::json!({"kind": kind, "url": url, "channel": channel, "topic": topic})
        })
        .collect();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SYNC_LOCK)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "WITH cfg AS (SELECT * FROM jsonb_to_recordset($1::jsonb)
                      AS x(kind text, url text, channel text, topic text)),
         gone AS (DELETE FROM endpoints e WHERE e.kind IN ('webhook', 'hub')
                  AND NOT EXISTS (SELECT 1 FROM cfg c WHERE c.kind = e.kind AND c.url = e.url
                                  AND c.channel = e.channel AND c.topic = e.topic))
         INSERT INTO endpoints (kind, url, channel, topic)
         SELECT kind, url, channel, topic FROM cfg
         ON CONFLICT (kind, url, channel, topic) DO NOTHING",
    )
    .bind(serde_json::Value::Array(rows))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

const SYNC_LOCK: i64 = 0x7472_6962_686f_6f6b; // "tribhook"

/// Endpoints of one kind, oldest first, with their pending deliveries.
pub async fn list(pool: &PgPool, kind: EndpointKind) -> Result<Vec<(Endpoint, i64)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        endpoint: Endpoint,
        pending: i64,
    }
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT count(*) FROM deliveries d WHERE d.endpoint_id = e.id) AS pending
         FROM endpoints e WHERE e.kind = $1 ORDER BY e.id"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(kind.as_str())
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| (r.endpoint, r.pending)).collect())
}

/// Endpoints that receive what a channel's new stories bring: webhooks,
/// live subscribers and hub pings, by channel name.
pub async fn receiving(pool: &PgPool) -> Result<Vec<Endpoint>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM endpoints e
         WHERE e.expires_at IS NULL OR e.expires_at > now() ORDER BY e.id"
    );
    sqlx::query_as(&sql).fetch_all(pool).await
}

/// Endpoint counts by kind and state, for `/metrics`.
pub async fn counts(pool: &PgPool) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT kind, CASE WHEN consecutive_failures = 0 THEN 'ok'
                           WHEN consecutive_failures < {FAILING_AFTER} THEN 'retrying'
                           ELSE 'failing' END, count(*)
         FROM endpoints WHERE expires_at IS NULL OR expires_at > now() GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .fetch_all(pool)
    .await
}
