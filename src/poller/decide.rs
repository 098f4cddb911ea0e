//! What follows a poll, decided from what the ingest returned: the next
//! poll, whether the source is gone, whether it moved. Pure: the source as
//! claimed, the config, the outcome and the time in; decisions out
//! (`record` writes them).

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::lease::PollTarget;
use super::record::SourceUpdate;
use crate::config::PollerConfig;
use crate::ingest::fetch::FetchError;
use crate::ingest::{Got, IngestError};
use crate::schedule::{self, FeedHints};

/// A permanent redirect must be seen on this many consecutive polls before
/// the source's URL moves, so a misconfigured server cannot hijack it at once.
pub const REDIRECT_GRACE_POLLS: i32 = 3;

/// Why a source that answered 410 is disabled (shown on the source).
pub const GONE_REASON: &str = "the feed is gone (HTTP 410 Gone); re-enable it by adding it again";

/// What to do about a permanent redirect (or its absence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectStep {
    /// No redirect now, none remembered.
    Nothing,
    /// No redirect now: forget the one remembered.
    Forget,
    /// Seen `count` polls in a row, fewer than the grace period.
    Count { to: Url, count: i32 },
    /// Seen for the whole grace period: the source moves.
    Move { to: Url },
}

pub fn redirect_step(target: &PollTarget, moved_to: Option<&Url>) -> RedirectStep {
    let Some(to) = moved_to else {
        return if target.moved_to.is_some() {
            RedirectStep::Forget
        } else {
            RedirectStep::Nothing
        };
    };
    let count = if target.moved_to.as_deref() == Some(to.as_str()) {
        target.moved_count + 1
    } else {
        1
    };
    if count >= REDIRECT_GRACE_POLLS {
        RedirectStep::Move { to: to.clone() }
    } else {
        RedirectStep::Count {
            to: to.clone(),
            count,
        }
    }
}

/// The source's update after a poll: its schedule and health.
pub fn source_update(
    target: &PollTarget,
    config: &PollerConfig,
    result: &Result<Got, IngestError>,
    now: DateTime<Utc>,
    jitter: f64,
) -> SourceUpdate {
    match result {
        Ok(Got::NotModified { status, hints }) => SourceUpdate::NotModified {
            at: now,
            status: *status,
            next_poll_at: schedule::next_after_success(
                now,
                relaxed_for_push(target, config, interval_for(target, config)),
                hints,
                &stored_feed_hints(target),
            ),
        },
        Ok(Got::Stored(stored)) => {
            let adaptive =
                schedule::adaptive_interval(config, &stored.publish_times, stored.fetched_at);
            let interval = relaxed_for_push(
                target,
                config,
                override_interval(target).unwrap_or(adaptive),
            );
            SourceUpdate::Written {
                at: stored.fetched_at,
                status: stored.status,
                next_poll_at: schedule::next_after_success(
                    stored.fetched_at,
                    interval,
                    &stored.hints,
                    &stored.feed_hints,
                ),
                adaptive_interval: adaptive,
                feed_hints: stored.feed_hints.clone(),
            }
        }
        Err(e) => {
            let retry_after = match e {
                IngestError::Fetch(FetchError::Status { retry_after, .. }) => *retry_after,
                _ => None,
            };
            SourceUpdate::Failed {
                at: now,
                status: e.status(),
                error: e.to_string(),
                next_poll_at: schedule::next_after_failure(
                    now,
                    interval_for(target, config),
                    config.max_interval,
                    target.consecutive_failures,
                    retry_after,
                    jitter,
                ),
            }
        }
    }
}

/// The longest a source with a live WebSub subscription waits between
/// polls: pushes bring its entries, polls are the safety net.
pub const PUSH_SAFETY_NET: Duration = Duration::from_secs(6 * 3600);

/// A source whose hub pushes to us is polled at the relaxed end of its
/// schedule (`max_interval`, at most [`PUSH_SAFETY_NET`]), never more
/// often than it would be without.
pub fn relaxed_for_push(
    target: &PollTarget,
    config: &PollerConfig,
    interval: Duration,
) -> Duration {
    if target.push_live {
        interval.max(config.max_interval.min(PUSH_SAFETY_NET))
    } else {
        interval
    }
}

/// Whether the source is to be disabled, and why: a feed that answers 410
/// Gone says it is not coming back.
pub fn disable_reason(result: &Result<Got, IngestError>) -> Option<&'static str> {
    match result {
        Err(e) if e.status() == Some(410) => Some(GONE_REASON),
        _ => None,
    }
}

fn stored_feed_hints(target: &PollTarget) -> FeedHints {
    FeedHints {
        min_interval: target
            .feed_min_interval_seconds
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(s as u64)),
        skip_hours: target.skip_hours.iter().map(|h| *h as u32).collect(),
        skip_days: target.skip_days.iter().map(|d| *d as u32).collect(),
    }
}

fn override_interval(target: &PollTarget) -> Option<Duration> {
    target
        .interval_seconds
        .filter(|s| *s > 0)
        .map(|s| Duration::from_secs(s.max(60) as u64))
}

/// The interval in force: the source's override, else what we learned of
/// its rhythm, else the default.
fn interval_for(target: &PollTarget, config: &PollerConfig) -> Duration {
    override_interval(target).unwrap_or_else(|| {
        target
            .adaptive_interval_seconds
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(s as u64))
            .unwrap_or(config.default_interval)
            .clamp(
                config.min_interval,
                config.max_interval.max(config.min_interval),
            )
    })
}

/// A number in 0..1 that differs between sources and polls: the jitter of
/// backoffs, so sources failing together do not retry together.
pub fn jitter(seed: i64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Stored, dropped::Dropped, store::WriteStats};
    use crate::schedule::CacheHints;

    fn target() -> PollTarget {
        PollTarget {
            id: 7,
            url: "https://baohaiphong.example/rss".to_owned(),
            origin: "config".to_owned(),
            etag: None,
            last_modified: None,
            timezone: None,
            interval_seconds: None,
            adaptive_interval_seconds: Some(1_800),
            feed_min_interval_seconds: None,
            skip_hours: vec![],
            skip_days: vec![],
            consecutive_failures: 0,
            guid_is_unreliable: false,
            moved_to: None,
            moved_count: 0,
            push_live: false,
            full_text: false,
            pages_due: false,
        }
    }

    #[test]
    fn a_source_its_hub_pushes_is_polled_at_the_relaxed_end_only() {
        let c = config();
        let mut t = target();
        let half_hour = Duration::from_secs(1_800);
        assert_eq!(relaxed_for_push(&t, &c, half_hour), half_hour);
        t.push_live = true;
        assert_eq!(relaxed_for_push(&t, &c, half_hour), PUSH_SAFETY_NET);
        let two_days = Duration::from_secs(2 * 86_400);
        assert_eq!(relaxed_for_push(&t, &c, two_days), two_days);
    }

    fn config() -> PollerConfig {
        crate::config::Config::from_toml(
            "",
            std::path::Path::new("t.toml"),
            &crate::config::EnvOverrides::default(),
        )
        .expect("the empty config is valid")
        .poller
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a valid instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_redirect_moves_the_source_only_after_the_grace_period() {
        let to = Url::parse("https://baohaiphong.example/feed").unwrap();
        let mut t = target();
        assert_eq!(redirect_step(&t, None), RedirectStep::Nothing);
        assert_eq!(
            redirect_step(&t, Some(&to)),
            RedirectStep::Count {
                to: to.clone(),
                count: 1
            }
        );
        t.moved_to = Some(to.to_string());
        t.moved_count = REDIRECT_GRACE_POLLS - 1;
        assert_eq!(
            redirect_step(&t, Some(&to)),
            RedirectStep::Move { to: to.clone() }
        );
        // Another target starts the count again; no redirect forgets it.
        let elsewhere = Url::parse("https://elsewhere.example/feed").unwrap();
        assert_eq!(
            redirect_step(&t, Some(&elsewhere)),
            RedirectStep::Count {
                to: elsewhere,
                count: 1
            }
        );
        assert_eq!(redirect_step(&t, None), RedirectStep::Forget);
    }

    #[test]
    fn a_gone_feed_is_disabled_and_other_failures_back_off() {
        let now = at("2026-03-01T08:00:00Z");
        let gone: Result<Got, IngestError> = Err(FetchError::Status {
            status: 410,
            reason: Some("Gone"),
            retry_after: None,
        }
        .into());
        assert_eq!(disable_reason(&gone), Some(GONE_REASON));
        let mut t = target();
        t.consecutive_failures = 2;
        let SourceUpdate::Failed {
            status,
            next_poll_at,
            ..
        } = source_update(&t, &config(), &gone, now, 0.5)
        else {
            panic!("a failure")
        };
        assert_eq!(status, Some(410));
        // 30 minutes doubled twice, jitter in the middle.
        assert_eq!(next_poll_at, now + chrono::Duration::hours(2));

        let unavailable: Result<Got, IngestError> = Err(FetchError::Status {
            status: 503,
            reason: Some("Service Unavailable"),
            retry_after: Some(now + chrono::Duration::hours(5)),
        }
        .into());
        assert_eq!(disable_reason(&unavailable), None);
        let SourceUpdate::Failed { next_poll_at, .. } =
            source_update(&target(), &config(), &unavailable, now, 0.5)
        else {
            panic!("a failure")
        };
        assert_eq!(next_poll_at, now + chrono::Duration::hours(5));
    }

    #[test]
    fn a_stored_fetch_is_scheduled_from_what_the_feed_publishes() {
        let now = at("2026-03-01T08:00:00Z");
        let stored = Stored {
            status: 200,
            fetched_at: now,
            bytes: 1_000,
            stats: WriteStats::default(),
            unchanged: 0,
            dropped: Dropped::default(),
            hints: CacheHints::default(),
            feed_hints: FeedHints::default(),
            // Every two hours: polled every hour.
            publish_times: (0..6)
                .map(|h| now - chrono::Duration::hours(2 * h))
                .collect(),
            hub: None,
        };
        let got = Ok(Got::Stored(Box::new(stored)));
        let SourceUpdate::Written {
            next_poll_at,
            adaptive_interval,
            ..
        } = source_update(&target(), &config(), &got, now, 0.5)
        else {
            panic!("written")
        };
        assert_eq!(adaptive_interval, Duration::from_secs(3_600));
        assert_eq!(next_poll_at, now + chrono::Duration::hours(1));
        // The source's own interval wins over the learned one.
        let mut t = target();
        t.interval_seconds = Some(600);
        let SourceUpdate::Written { next_poll_at, .. } =
            source_update(&t, &config(), &got, now, 0.5)
        else {
            panic!("written")
        };
        assert_eq!(next_poll_at, now + chrono::Duration::minutes(10));
    }
}
