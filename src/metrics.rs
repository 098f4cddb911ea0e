//! Prometheus metrics, in the text exposition format at `GET /metrics`:
//! polls by outcome, poll duration and size, entries and stories, HTTP
//! requests by route and status with latency, and — read at scrape time —
//! sources by health, scheduler lag and the database pool. A small registry
//! of our own: a handful of counters and histograms do not need a framework.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use sqlx::PgPool;

const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const BYTES_BUCKETS: &[f64] = &[1e3, 1e4, 1e5, 1e6, 1e7];

#[derive(Debug)]
struct Histogram {
    buckets: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(buckets: &'static [f64]) -> Histogram {
        Histogram {
            buckets,
            counts: vec![0; buckets.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, v: f64) {
        for (i, b) in self.buckets.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in self.buckets.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug)]
struct Registry {
    polls: Mutex<BTreeMap<&'static str, u64>>,
    poll_seconds: Mutex<Histogram>,
    poll_bytes: Mutex<Histogram>,
    entries_new: AtomicU64,
    entries_updated: AtomicU64,
    entries_unchanged: AtomicU64,
    entries_joined_story: AtomicU64,
    entries_dropped: Mutex<BTreeMap<&'static str, u64>>,
    stories_created: AtomicU64,
    http_requests: Mutex<BTreeMap<(String, u16), u64>>,
    http_seconds: Mutex<BTreeMap<String, Histogram>>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    polls: Mutex::new(BTreeMap::new()),
    poll_seconds: Mutex::new(Histogram::new(DURATION_BUCKETS)),
    poll_bytes: Mutex::new(Histogram::new(BYTES_BUCKETS)),
    entries_new: AtomicU64::new(0),
    entries_updated: AtomicU64::new(0),
    entries_unchanged: AtomicU64::new(0),
    entries_joined_story: AtomicU64::new(0),
    entries_dropped: Mutex::new(BTreeMap::new()),
    stories_created: AtomicU64::new(0),
    http_requests: Mutex::new(BTreeMap::new()),
    http_seconds: Mutex::new(BTreeMap::new()),
});

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a poll ended, as the `outcome` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollKind {
    Ok,
    NotModified,
    HttpError,
    NetworkError,
    ParseError,
    /// A document with entries of which none could be stored.
    NothingStored,
    DatabaseError,
}

impl PollKind {
    fn label(self) -> &'static str {
        match self {
            PollKind::Ok => "ok",
            PollKind::NotModified => "not_modified",
            PollKind::HttpError => "http_error",
            PollKind::NetworkError => "network_error",
            PollKind::ParseError => "parse_error",
            PollKind::NothingStored => "nothing_stored",
            PollKind::DatabaseError => "database_error",
        }
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default)]
pub struct PollCounts {
    pub bytes: Option<u64>,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub new_stories: u64,
}

pub fn record_poll(kind: PollKind, elapsed: Duration, counts: PollCounts) {
    let r = &*REGISTRY;
    *lock(&r.polls).entry(kind.label()).or_default() += 1;
    lock(&r.poll_seconds).observe(elapsed.as_secs_f64());
    if let Some(b) = counts.bytes {
        lock(&r.poll_bytes).observe(b as f64);
    }
    r.entries_new.fetch_add(counts.new, Ordering::Relaxed);
    r.entries_updated
        .fetch_add(counts.updated, Ordering::Relaxed);
    r.entries_unchanged
        .fetch_add(counts.unchanged, Ordering::Relaxed);
    r.entries_joined_story.fetch_add(
        counts.new.saturating_sub(counts.new_stories),
        Ordering::Relaxed,
    );
    r.stories_created
        .fetch_add(counts.new_stories, Ordering::Relaxed);
}

/// Entries of fetched documents not stored, by reason.
pub fn record_dropped(reason: &'static str, n: u64) {
    *lock(&REGISTRY.entries_dropped).entry(reason).or_default() += n;
}

pub fn record_request(route: &str, status: u16, elapsed: Duration) {
    let r = &*REGISTRY;
    *lock(&r.http_requests)
        .entry((route.to_owned(), status))
        .or_default() += 1;
    lock(&r.http_seconds)
        .entry(route.to_owned())
        .or_insert_with(|| Histogram::new(DURATION_BUCKETS))
        .observe(elapsed.as_secs_f64());
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The whole exposition, with the gauges read from the database now (a
/// database that does not answer leaves them out rather than failing the scrape).
pub async fn render(pool: &PgPool) -> String {
    let r = &*REGISTRY;
    let mut out = String::with_capacity(8 * 1024);
    out.push_str(
        "# HELP tributary_polls_total Polls by outcome.\n# TYPE tributary_polls_total counter\n",
    );
    for (k, v) in lock(&r.polls).iter() {
        let _ = writeln!(out, "tributary_polls_total{{outcome=\"{k}\"}} {v}");
    }
    out.push_str("# HELP tributary_poll_duration_seconds Time to fetch and store one source.\n# TYPE tributary_poll_duration_seconds histogram\n");
    lock(&r.poll_seconds).render(&mut out, "tributary_poll_duration_seconds", "");
    out.push_str("# HELP tributary_poll_bytes Size of fetched bodies.\n# TYPE tributary_poll_bytes histogram\n");
    lock(&r.poll_bytes).render(&mut out, "tributary_poll_bytes", "");
    out.push_str("# HELP tributary_entries_total Entries seen by polls, by what happened to them.\n# TYPE tributary_entries_total counter\n");
    for (kind, v) in [
        ("new", &r.entries_new),
        ("updated", &r.entries_updated),
        ("unchanged", &r.entries_unchanged),
        ("deduplicated", &r.entries_joined_story),
    ] {
        let _ = writeln!(
            out,
            "tributary_entries_total{{kind=\"{kind}\"}} {}",
            v.load(Ordering::Relaxed)
        );
    }
    out.push_str("# HELP tributary_entries_dropped_total Entries of fetched documents not stored, by reason.\n# TYPE tributary_entries_dropped_total counter\n");
    for (reason, v) in lock(&r.entries_dropped).iter() {
        let _ = writeln!(
            out,
            "tributary_entries_dropped_total{{reason=\"{reason}\"}} {v}"
        );
    }
    out.push_str("# HELP tributary_stories_created_total Stories created by this process.\n# TYPE tributary_stories_created_total counter\n");
    let _ = writeln!(
        out,
        "tributary_stories_created_total {}",
        r.stories_created.load(Ordering::Relaxed)
    );
    out.push_str("# HELP tributary_http_requests_total HTTP requests by route and status.\n# TYPE tributary_http_requests_total counter\n");
    for ((route, status), v) in lock(&r.http_requests).iter() {
        let _ = writeln!(
            out,
            "tributary_http_requests_total{{route=\"{}\",status=\"{status}\"}} {v}",
            escape_label(route)
        );
    }
    out.push_str("# HELP tributary_http_request_duration_seconds HTTP latency by route.\n# TYPE tributary_http_request_duration_seconds histogram\n");
    for (route, h) in lock(&r.http_seconds).iter() {
        h.render(
            &mut out,
            "tributary_http_request_duration_seconds",
            &format!("route=\"{}\"", escape_label(route)),
        );
    }

    out.push_str("# HELP tributary_db_pool_connections Database pool connections by state.\n# TYPE tributary_db_pool_connections gauge\n");
    let idle = pool.num_idle() as u64;
    let size = u64::from(pool.size());
    let _ = writeln!(
        out,
        "tributary_db_pool_connections{{state=\"idle\"}} {idle}"
    );
    let _ = writeln!(
        out,
        "tributary_db_pool_connections{{state=\"in_use\"}} {}",
        size.saturating_sub(idle)
    );

    let health: Result<Vec<(String, i64)>, sqlx::Error> = sqlx::query_as(
        "SELECT CASE WHEN NOT enabled THEN 'disabled' WHEN consecutive_failures > 0 THEN 'failing'
                     WHEN last_polled_at IS NULL THEN 'new' ELSE 'healthy' END AS health, count(*)
         FROM sources GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await;
    if let Ok(rows) = health {
        out.push_str(
            "# HELP tributary_sources Sources by health.\n# TYPE tributary_sources gauge\n",
        );
        for (h, n) in rows {
            let _ = writeln!(out, "tributary_sources{{health=\"{h}\"}} {n}");
        }
    }
    let lag: Result<(f64,), sqlx::Error> = sqlx::query_as(
        "SELECT coalesce(extract(epoch FROM now() - min(next_poll_at)), 0)::float8 FROM sources
         WHERE enabled AND next_poll_at <= now() AND (lease_until IS NULL OR lease_until < now())",
    )
    .fetch_one(pool)
    .await;
    if let Ok((lag,)) = lag {
        out.push_str("# HELP tributary_scheduler_lag_seconds How overdue the most overdue unclaimed source is.\n# TYPE tributary_scheduler_lag_seconds gauge\n");
        let _ = writeln!(out, "tributary_scheduler_lag_seconds {}", lag.max(0.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::new(&[1.0, 2.0]);
        h.observe(0.5);
        h.observe(1.5);
        h.observe(9.0);
        let mut out = String::new();
        h.render(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"1\"} 1"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"2\"} 2"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 3"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 3"), "{out}");
    }
}
