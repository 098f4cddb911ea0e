//! One poll of one source, start to end: ingest (fetch, read, store), then
//! the steps that follow it: grouping the new entries into stories, the
//! redirect, the source's schedule and health, the fetch log, metrics.
//! Every failure is recorded on the source, never returned.

use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::decide::{self, RedirectStep};
use super::lease::PollTarget;
use super::record;
use super::report::{self, PollOutcome, PollReport};
use crate::config::PollerConfig;
use crate::ingest::fetch::{self, Reach, Validators};
use crate::ingest::{Got, Ingestor, Request};
use crate::metrics::{self, PollCounts, PollKind};

pub async fn poll(
    ingestor: &Ingestor,
    config: &PollerConfig,
    grouping: &Semaphore,
    target: &PollTarget,
) -> PollReport {
    let span = tracing::info_span!("poll", source_id = target.id, url = %target.url);
    let work = poll_in_span(ingestor, config, grouping, target).instrument(span);
    super::lease::held_while(
        ingestor.pool(),
        target.id,
        super::lease::duration(config),
        work,
    )
    .await
}

async fn poll_in_span(
    ingestor: &Ingestor,
    config: &PollerConfig,
    grouping: &Semaphore,
    target: &PollTarget,
) -> PollReport {
    let started = Instant::now();
    let pool = ingestor.pool();
    let mut ingested = ingestor.ingest(&request(target, config)).await;
    if let Err(crate::ingest::IngestError::WebPage { feeds }) = &ingested.result {
        if let Some(feed) = feeds.first() {
            ingested = follow_discovered(ingestor, config, target, &feed.url)
                .await
                .unwrap_or(ingested);
        }
    }

    follow_redirect(
        pool,
        target,
        decide::redirect_step(target, ingested.moved_to.as_ref()),
    )
    .await;
    let new_stories = match &ingested.result {
        Ok(Got::Stored(stored)) => group(pool, grouping, stored.stats.ungrouped, config).await,
        _ => None,
    };
    let result = ingested.result;
    if let Some(reason) = decide::disable_reason(&result) {
        if let Err(e) = crate::sources::disable(pool, target.id, reason).await {
            tracing::error!(source_id = target.id, error = %e, "cannot disable a gone source");
        }
    }
    let update = decide::source_update(
        target,
        config,
        &result,
        Utc::now(),
        decide::jitter(target.id),
    );
    let (mut outcome, mut log, mut kind) = report::outcome_of(&result, new_stories);
    log.duration_ms = fetch::elapsed_ms(started);
    if let Err(e) = record::finish_poll(pool, target.id, &update, &log).await {
        tracing::error!(source_id = target.id, error = %e, "cannot record the poll");
        // The lease runs out and the source is polled again.
        if outcome == PollOutcome::NotModified {
            kind = PollKind::DatabaseError;
            outcome = PollOutcome::Failed {
                status: None,
                error: format!("cannot record the poll: {e}"),
            };
        }
    }
    if target.push_live && matches!(&outcome, PollOutcome::Fetched { new, .. } if *new > 0) {
        crate::websub::subscriber::record_missed(pool, target.id).await;
    }
    let elapsed = started.elapsed();
    count(kind, elapsed, &outcome, &log);
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

/// Stores what a source's WebSub hub pushed (a fat ping), as a poll stores
/// what it fetched: grouped into stories, logged (`via: push`), counted;
/// the schedule and the source's health stay the polls'.
pub async fn push(
    ingestor: &Ingestor,
    config: &PollerConfig,
    grouping: &Semaphore,
    target: &PollTarget,
    body: Vec<u8>,
    content_type: Option<String>,
) -> PollReport {
    let started = Instant::now();
    let pool = ingestor.pool();
    let result = ingestor
        .ingest_pushed(&request(target, config), body, content_type)
        .await
        .map(|s| Got::Stored(Box::new(s)));
    let new_stories = match &result {
        Ok(Got::Stored(stored)) => group(pool, grouping, stored.stats.ungrouped, config).await,
        _ => None,
    };
    let (outcome, mut log, kind) = report::outcome_of(&result, new_stories);
    log.duration_ms = fetch::elapsed_ms(started);
    if let Err(e) = record::finish_poll(pool, target.id, &record::SourceUpdate::Pushed, &log).await
    {
        tracing::warn!(source_id = target.id, error = %e, "cannot record a push; the lease runs out");
    }
    count(kind, started.elapsed(), &outcome, &log);
    tracing::info!(source_id = target.id, outcome = ?outcome, "stored what the hub pushed");
    PollReport {
        source_id: target.id,
        url: target.url.clone(),
        outcome,
        elapsed: started.elapsed(),
    }
}

fn request(target: &PollTarget, config: &PollerConfig) -> Request {
    Request {
        source_id: target.id,
        url: target.url.clone(),
        reach: Reach::for_origin(&target.origin, config.allow_private_networks),
        // Pages due to be tried again are found by reading the feed.
        validators: if target.pages_due {
            Validators::default()
        } else {
            Validators {
                etag: target.etag.clone(),
                last_modified: target.last_modified.clone(),
            }
        },
        timezone: target
            .timezone
            .as_deref()
            .and_then(|t| t.parse::<Tz>().ok()),
        guid_is_unreliable: target.guid_is_unreliable,
        full_text: target.full_text,
    }
}

/// Groups what the store left; on failure the batch waits for the sweep
/// (`stories::group::sweep`) and the poll itself still counts as done.
async fn group(
    pool: &PgPool,
    grouping: &Semaphore,
    batch: Option<i64>,
    config: &PollerConfig,
) -> Option<u64> {
    let batch = batch?;
    // A closed semaphore (never closed) would only mean grouping unbounded.
    let _slot = grouping.acquire().await.ok();
    match crate::stories::group::group_batch(pool, batch, config.story_window).await {
        Ok(grouped) => grouped.map(|g| g.kept),
        Err(e) => {
            tracing::warn!(batch, error = %e, "grouping failed; the sweep retries it");
            None
        }
    }
}

/// A source whose address turned out to be a web page: it follows the
/// first feed the page links to from now on, polled at once. `None` when
/// it cannot (another source follows that feed: this one is disabled).
async fn follow_discovered(
    ingestor: &Ingestor,
    config: &PollerConfig,
    target: &PollTarget,
    feed: &str,
) -> Option<crate::ingest::Ingested> {
    let pool = ingestor.pool();
    match crate::sources::follow_discovered(pool, target.id, feed, &target.url).await {
        Ok(true) => {
            tracing::info!(source_id = target.id, page = %target.url, feed, "the source's page links to a feed; following it");
            let mut request = request(target, config);
            request.url = feed.to_owned();
            request.validators = Validators::default();
            Some(ingestor.ingest(&request).await)
        }
        Ok(false) => None,
        Err(e) => {
            tracing::warn!(source_id = target.id, feed, error = %e, "cannot follow the feed a page links to");
            None
        }
    }
}

async fn follow_redirect(pool: &PgPool, target: &PollTarget, step: RedirectStep) {
    let (to, count) = match step {
        RedirectStep::Nothing => return,
        RedirectStep::Move { to } => {
            match crate::sources::move_url(pool, target.id, to.as_str()).await {
                Ok(()) => {
                    tracing::info!(source_id = target.id, from = %target.url, to = %to, "source moved permanently")
                }
                Err(e) => {
                    tracing::warn!(source_id = target.id, to = %to, error = %e, "cannot move the source")
                }
            }
            return;
        }
        RedirectStep::Forget => (None, 0),
        RedirectStep::Count { to, count } => (Some(to), count),
    };
    let to = to.as_ref().map(url::Url::as_str);
    if let Err(e) = record::record_redirect(pool, target.id, to, count).await {
        tracing::warn!(source_id = target.id, error = %e, "cannot record a redirect");
    }
}

fn count(kind: PollKind, elapsed: Duration, outcome: &PollOutcome, log: &record::FetchLogRow) {
    let mut counts = PollCounts {
        bytes: log.bytes.map(|b| b as u64),
        ..Default::default()
    };
    if let PollOutcome::Fetched {
        new,
        updated,
        unchanged,
        new_stories,
        ..
    } = *outcome
    {
        counts.new = new;
        counts.updated = updated;
        counts.unchanged = unchanged;
        counts.new_stories = new_stories;
    }
    for (reason, n) in log.dropped.reasons() {
        metrics::record_dropped(reason, u64::from(n));
    }
    metrics::record_poll(kind, elapsed, counts);
}
