//! The ingest pipeline for one source:
//! fetch → decode → parse → identify → (only new or changed) normalize → store.
//! The middle stages are pure; fetch and store are the I/O at the edges.

pub mod dates;
pub mod decode;
pub mod fetch;
pub mod identity;
pub mod normalize;
pub mod parse;
pub mod store;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use tracing::Instrument;
use url::Url;

use crate::config::PollerConfig;
use fetch::{FetchError, FetchOutcome, Fetcher, Validators};
use normalize::{NewEntry, PreparedFeed, Sanitizer};

/// What the poller knows about a source when it polls it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PollTarget {
    pub id: i64,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub timezone: Option<String>,
    pub interval_seconds: Option<i32>,
    pub consecutive_failures: i32,
    pub guid_is_unreliable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    NotModified,
    Fetched {
        new: u64,
        updated: u64,
        unchanged: u64,
        new_stories: u64,
    },
    Failed {
        status: Option<u16>,
        error: String,
    },
}

#[derive(Debug, Clone)]
pub struct PollReport {
    pub source_id: i64,
    pub url: String,
    pub outcome: PollOutcome,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] parse::ParseError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Task(String),
}

/// Polls sources and stores what they publish.
#[derive(Clone)]
pub struct Ingestor {
    pool: PgPool,
    fetcher: Fetcher,
    config: PollerConfig,
}

impl Ingestor {
    pub fn new(pool: PgPool, config: &PollerConfig) -> Result<Ingestor, FetchError> {
        Ok(Ingestor {
            pool,
            fetcher: Fetcher::new(config)?,
            config: config.clone(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Polls one source; every failure is recorded on it, never returned.
    pub async fn poll(&self, target: &PollTarget) -> PollReport {
        let started = Instant::now();
        let span = tracing::info_span!("poll", source_id = target.id, url = %target.url);
        let outcome = {
            match self.poll_inner(target).instrument(span).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    let status = match &e {
                        PollError::Fetch(f) => f.http_status(),
                        _ => None,
                    };
                    let error = e.to_string();
                    let next = self.next_after_failure(target);
                    if let Err(db) = store::record_failure(
                        &self.pool,
                        target.id,
                        Utc::now(),
                        status,
                        &error,
                        next,
                    )
                    .await
                    {
                        tracing::error!(source_id = target.id, error = %db, "cannot record a failed poll");
                    }
                    PollOutcome::Failed { status, error }
                }
            }
        };
        let elapsed = started.elapsed();
        match &outcome {
            PollOutcome::Failed { error, .. } => {
                tracing::warn!(source_id = target.id, url = %target.url, ?elapsed, %error, "poll failed")
            }
            other => {
                tracing::info!(source_id = target.id, url = %target.url, ?elapsed, outcome = ?other, "polled")
            }
        }
        PollReport {
            source_id: target.id,
            url: target.url.clone(),
            outcome,
            elapsed,
        }
    }

    async fn poll_inner(&self, target: &PollTarget) -> Result<PollOutcome, PollError> {
        let url = Url::parse(&target.url)
            .map_err(|e| FetchError::Network(format!("invalid URL: {e}")))?;
        let validators = Validators {
            etag: target.etag.clone(),
            last_modified: target.last_modified.clone(),
        };
        let fetched = match self.fetcher.fetch(&url, &validators).await? {
            FetchOutcome::NotModified { status } => {
                store::record_not_modified(
                    &self.pool,
                    target.id,
                    Utc::now(),
                    status,
                    self.next_after_success(target),
                )
                .await?;
                return Ok(PollOutcome::NotModified);
            }
            FetchOutcome::Fetched(f) => f,
        };
        let fetched_at = Utc::now();
        let tz: Option<Tz> = target.timezone.as_deref().and_then(|t| t.parse().ok());
        let guid_was_unreliable = target.guid_is_unreliable;

        // Decoding and parsing are CPU work: keep them off the async workers.
        let final_url = fetched.final_url.clone();
        let body = fetched.body;
        let content_type = fetched.content_type.clone();
        let prepared: PreparedFeed = run_blocking(move || {
            let text = decode::decode(&body, content_type.as_deref());
            let feed = parse::parse_feed(&text, tz)?;
            Ok::<_, PollError>(normalize::prepare(feed, &final_url, guid_was_unreliable))
        })
        .await??;

        let identities: Vec<String> = prepared
            .candidates
            .iter()
            .map(|c| c.identity.clone())
            .collect();
        let known = store::existing_hashes(&self.pool, target.id, &identities).await?;
        let total = prepared.candidates.len() as u64;
        let (entries, prepared): (Vec<NewEntry>, PreparedFeed) = run_blocking(move || {
            let sanitizer = Sanitizer::new();
            let entries = prepared
                .candidates
                .iter()
                .filter(|c| {
                    known
                        .get(&c.identity)
                        .is_none_or(|h| h.as_slice() != c.raw_hash)
                })
                .map(|c| prepared.normalize(c, &sanitizer))
                .collect();
            (entries, prepared)
        })
        .await?;

        let stats = store::write_fetch(
            &self.pool,
            store::FetchWrite {
                source_id: target.id,
                entries: &entries,
                fetched_at,
                meta: &prepared.meta,
                validators: &fetched.validators,
                status: fetched.status,
                guid_is_unreliable: prepared.guid_is_unreliable,
                next_poll_at: self.next_after_success(target),
            },
        )
        .await?;
        Ok(PollOutcome::Fetched {
            new: stats.inserted,
            updated: stats.updated,
            unchanged: total.saturating_sub(stats.inserted + stats.updated),
            new_stories: stats.new_stories,
        })
    }

    fn interval(&self, target: &PollTarget) -> Duration {
        let wanted = target
            .interval_seconds
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(s as u64))
            .unwrap_or(self.config.default_interval);
        wanted.clamp(
            self.config.min_interval,
            self.config.max_interval.max(self.config.min_interval),
        )
    }

    fn next_after_success(&self, target: &PollTarget) -> DateTime<Utc> {
        Utc::now()
            + chrono::Duration::from_std(self.interval(target))
                .unwrap_or_else(|_| chrono::Duration::hours(1))
    }

    /// Exponential backoff from the normal interval, capped at max_interval,
    /// with ±10% jitter so failing sources do not retry in lockstep.
    fn next_after_failure(&self, target: &PollTarget) -> DateTime<Utc> {
        let base = self.interval(target).as_secs_f64();
        let factor = 2f64.powi(target.consecutive_failures.clamp(0, 16));
        let capped = (base * factor).min(self.config.max_interval.as_secs_f64().max(base));
        let jitter = 0.9 + 0.2 * pseudo_random(target.id);
        Utc::now() + chrono::Duration::milliseconds((capped * jitter * 1000.0) as i64)
    }
}

fn pseudo_random(seed: i64) -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let mut x = (seed as u64) ^ nanos ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 10_000) as f64 / 10_000.0
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PollError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PollError::Task(e.to_string()))
}
