//! When to poll a source next. Pure: times and hints in, a time out.
//!
//! The interval adapts to how often the source publishes, within
//! `min_interval`..`max_interval` (a per-source interval overrides it), and
//! is never shorter than the server or the feed asked for (`Cache-Control`,
//! `Expires`, `<ttl>`, `sy:updatePeriod`); `<skipHours>`/`<skipDays>` push it
//! out of the skipped hours. Failures back off exponentially with jitter;
//! `Retry-After` is honoured.

use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::config::PollerConfig;

/// What the server said about when to come back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age` (or `s-maxage`).
    pub max_age: Option<Duration>,
    /// `Expires`.
    pub expires: Option<DateTime<Utc>>,
}

/// Never schedule further out than this, whatever a server says.
const HARD_CAP: Duration = Duration::from_secs(7 * 86_400);

/// What the feed itself says about its rhythm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedHints {
    /// The longest of `<ttl>` and `sy:updatePeriod`/`sy:updateFrequency`.
    pub min_interval: Option<Duration>,
    /// `<skipHours>`: hours (0-23, GMT) not to poll in.
    pub skip_hours: Vec<u32>,
    /// `<skipDays>`: days not to poll on, 0 = Monday.
    pub skip_days: Vec<u32>,
}

/// The interval that fits how often the source publishes: half the average
/// gap between its recent entries, within the configured bounds.
pub fn adaptive_interval(
    config: &PollerConfig,
    publish_times: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Duration {
    let (min, max) = (
        config.min_interval,
        config.max_interval.max(config.min_interval),
    );
    let month_ago = now - chrono::Duration::days(30);
    let mut recent: Vec<DateTime<Utc>> = publish_times
        .iter()
        .copied()
        .filter(|t| *t >= month_ago && *t <= now + chrono::Duration::hours(1))
        .collect();
    recent.sort_unstable();
    recent.dedup();
    if recent.len() < 2 {
        // Nothing published lately: a quiet source.
        return if publish_times.is_empty() {
            config.default_interval.clamp(min, max)
        } else {
            max
        };
    }
    let span = (recent[recent.len() - 1] - recent[0])
        .to_std()
        .unwrap_or_default();
    let gap = span / (recent.len() as u32 - 1);
    (gap / 2).clamp(min, max)
}

/// The next poll after a successful fetch (200 or 304).
pub fn next_after_success(
    now: DateTime<Utc>,
    interval: Duration,
    cache: &CacheHints,
    feed: &FeedHints,
) -> DateTime<Utc> {
    let mut wait = interval;
    if let Some(max_age) = cache.max_age {
        wait = wait.max(max_age);
    }
    if let Some(expires) = cache.expires {
        wait = wait.max((expires - now).to_std().unwrap_or_default());
    }
    if let Some(m) = feed.min_interval {
        wait = wait.max(m);
    }
    let at = now + chrono_duration(wait.min(HARD_CAP));
    skip_forward(at, feed)
}

/// The next poll after a failure: exponential backoff from the interval up
/// to `max_interval`, ±10% jitter (`jitter` in 0..1), and never before a
/// `Retry-After`.
pub fn next_after_failure(
    now: DateTime<Utc>,
    interval: Duration,
    max_interval: Duration,
    failures_before: i32,
    retry_after: Option<DateTime<Utc>>,
    jitter: f64,
) -> DateTime<Utc> {
    let base = interval.as_secs_f64();
    let backoff =
        (base * 2f64.powi(failures_before.clamp(0, 20))).min(max_interval.as_secs_f64().max(base));
    let jittered = backoff * (0.9 + 0.2 * jitter.clamp(0.0, 1.0));
    let mut at = now + chrono::Duration::milliseconds((jittered * 1000.0) as i64);
    if let Some(ra) = retry_after {
        at = at.max(ra.min(now + chrono_duration(HARD_CAP)));
    }
    at
}

fn skip_forward(mut at: DateTime<Utc>, feed: &FeedHints) -> DateTime<Utc> {
    if feed.skip_hours.len() >= 24 && feed.skip_days.len() >= 7 {
        return at;
    }
    for _ in 0..(24 * 8) {
        let skipped = feed.skip_hours.contains(&at.hour())
            || feed
                .skip_days
                .contains(&at.weekday().num_days_from_monday());
        if !skipped {
            return at;
        }
        // To the start of the next hour.
        at = at + chrono::Duration::hours(1)
            - chrono::Duration::seconds(i64::from(at.minute() * 60 + at.second()));
    }
    at
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(7))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, EnvOverrides};

    fn config() -> PollerConfig {
        Config::from_toml("", std::path::Path::new("t.toml"), &EnvOverrides::default())
            .unwrap()
            .poller
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn busy_sources_are_polled_often_quiet_ones_rarely() {
        let now = t("2026-11-25T12:00:00Z");
        let hourly: Vec<_> = (0..10).map(|h| now - chrono::Duration::hours(h)).collect();
        assert_eq!(
            adaptive_interval(&config(), &hourly, now),
            Duration::from_secs(30 * 60)
        );
        let every_minute: Vec<_> = (0..10)
            .map(|m| now - chrono::Duration::minutes(m))
            .collect();
        assert_eq!(
            adaptive_interval(&config(), &every_minute, now),
            Duration::from_secs(5 * 60),
            "min_interval"
        );
        let daily: Vec<_> = (0..10).map(|d| now - chrono::Duration::days(d)).collect();
        assert_eq!(
            adaptive_interval(&config(), &daily, now),
            Duration::from_secs(12 * 3600)
        );
        let long_ago = vec![now - chrono::Duration::days(90)];
        assert_eq!(
            adaptive_interval(&config(), &long_ago, now),
            Duration::from_secs(24 * 3600),
            "max_interval"
        );
        assert_eq!(
            adaptive_interval(&config(), &[], now),
            Duration::from_secs(30 * 60),
            "default"
        );
    }

    #[test]
    fn never_sooner_than_the_server_or_feed_asked() {
        let now = t("2026-11-25T12:00:00Z");
        let five = Duration::from_secs(300);
        let cache = CacheHints {
            max_age: Some(Duration::from_secs(3600)),
            expires: None,
        };
        assert_eq!(
            next_after_success(now, five, &cache, &FeedHints::default()),
            t("2026-11-25T13:00:00Z")
        );
        let cache = CacheHints {
            max_age: None,
            expires: Some(t("2026-11-25T14:00:00Z")),
        };
        assert_eq!(
            next_after_success(now, five, &cache, &FeedHints::default()),
            t("2026-11-25T14:00:00Z")
        );
        let feed = FeedHints {
            min_interval: Some(Duration::from_secs(7200)),
            ..Default::default()
        };
        assert_eq!(
            next_after_success(now, five, &CacheHints::default(), &feed),
            t("2026-11-25T14:00:00Z")
        );
    }

    #[test]
    fn skip_hours_and_days_push_the_poll_out() {
        let now = t("2026-11-25T12:00:00Z"); // a Wednesday
        let feed = FeedHints {
            skip_hours: vec![12, 13, 14],
            ..Default::default()
        };
        assert_eq!(
            next_after_success(now, Duration::from_secs(600), &CacheHints::default(), &feed),
            t("2026-11-25T15:00:00Z")
        );
        let feed = FeedHints {
            skip_days: vec![2],
            ..Default::default()
        };
        assert_eq!(
            next_after_success(now, Duration::from_secs(600), &CacheHints::default(), &feed),
            t("2026-11-26T00:00:00Z")
        );
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_maximum_and_honour_retry_after() {
        let now = t("2026-11-25T12:00:00Z");
        let i = Duration::from_secs(600);
        let max = Duration::from_secs(86_400);
        assert_eq!(
            next_after_failure(now, i, max, 0, None, 0.5),
            now + chrono::Duration::seconds(600)
        );
        assert_eq!(
            next_after_failure(now, i, max, 3, None, 0.5),
            now + chrono::Duration::seconds(4800)
        );
        assert_eq!(
            next_after_failure(now, i, max, 30, None, 0.5),
            now + chrono::Duration::seconds(86_400)
        );
        let later = t("2026-11-25T18:00:00Z");
        assert_eq!(next_after_failure(now, i, max, 0, Some(later), 0.5), later);
        let j0 = next_after_failure(now, i, max, 0, None, 0.0);
        let j1 = next_after_failure(now, i, max, 0, None, 1.0);
        assert_eq!((j0 - now).num_seconds(), 540);
        assert_eq!((j1 - now).num_seconds(), 660);
    }
}
