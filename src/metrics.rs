//! Prometheus metrics at `GET /metrics`: polls by outcome, poll duration
//! and size, entries and stories, HTTP requests by route and status with
//! latency (a `prometheus-client` registry), and — read from the database
//! at scrape time by a collector — sources by health, scheduler lag and
//! the database pool.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, prometheus_text,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sqlx::PgPool;

const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const BYTES_BUCKETS: [f64; 5] = [1e3, 1e4, 1e5, 1e6, 1e7];

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatusLabel {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

/// The process's counters and histograms, registered once.
struct Metrics {
    registry: Registry,
    polls: Family<OutcomeLabel, Counter>,
    poll_seconds: Histogram,
    poll_bytes: Histogram,
    entries: Family<KindLabel, Counter>,
    entries_dropped: Family<ReasonLabel, Counter>,
    stories_created: Counter,
    http_requests: Family<RouteStatusLabel, Counter>,
    http_seconds: Family<RouteLabel, Histogram, fn() -> Histogram>,
    deliveries: Family<DeliveryLabel, Counter>,
    websub_pushes: Family<OutcomeLabel, Counter>,
    extractions: Family<OutcomeLabel, Counter>,
    websub_missed: Counter,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabel {
    kind: &'static str,
    outcome: &'static str,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("tributary");
    let m = Metrics {
        registry: Registry::default(),
        polls: Family::default(),
        poll_seconds: duration_histogram(),
        poll_bytes: Histogram::new(BYTES_BUCKETS),
        entries: Family::default(),
        entries_dropped: Family::default(),
        stories_created: Counter::default(),
        http_requests: Family::default(),
        http_seconds: Family::new_with_constructor(duration_histogram),
        deliveries: Family::default(),
        websub_pushes: Family::default(),
        extractions: Family::default(),
        websub_missed: Counter::default(),
    };
    registry.register(
        "deliveries",
        "Outbox delivery attempts by endpoint kind and outcome",
        m.deliveries.clone(),
    );
    registry.register(
        "extractions",
        "Article pages fetched for full text, by outcome (extracted, failed)",
        m.extractions.clone(),
    );
    registry.register(
        "websub_pushes",
        "Content distributions received from hubs, by outcome",
        m.websub_pushes.clone(),
    );
    registry.register(
        "websub_missed_by_push",
        "Polls of sources with a live WebSub subscription that found new entries the hub had not pushed",
        m.websub_missed.clone(),
    );
    registry.register("polls", "Polls by outcome", m.polls.clone());
    registry.register(
        "poll_duration_seconds",
        "Time to fetch and store one source",
        m.poll_seconds.clone(),
    );
    registry.register("poll_bytes", "Size of fetched bodies", m.poll_bytes.clone());
    registry.register(
        "entries",
        "Entries seen by polls, by what happened to them",
        m.entries.clone(),
    );
    registry.register(
        "entries_dropped",
        "Entries of fetched documents not stored, by reason",
        m.entries_dropped.clone(),
    );
    registry.register(
        "stories_created",
        "Stories created by this process",
        m.stories_created.clone(),
    );
    registry.register(
        "http_requests",
        "HTTP requests by route and status",
        m.http_requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "HTTP latency by route",
        m.http_seconds.clone(),
    );
    Metrics { registry, ..m }
});

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
    let m = &*METRICS;
    m.polls
        .get_or_create(&OutcomeLabel {
            outcome: kind.label(),
        })
        .inc();
    m.poll_seconds.observe(elapsed.as_secs_f64());
    if let Some(b) = counts.bytes {
        m.poll_bytes.observe(b as f64);
    }
    for (kind, n) in [
        ("new", counts.new),
        ("updated", counts.updated),
        ("unchanged", counts.unchanged),
        (
            "deduplicated",
            counts.new.saturating_sub(counts.new_stories),
        ),
    ] {
        m.entries.get_or_create(&KindLabel { kind }).inc_by(n);
    }
    m.stories_created.inc_by(counts.new_stories);
}

/// Entries of fetched documents not stored, by reason.
pub fn record_dropped(reason: &'static str, n: u64) {
    METRICS
        .entries_dropped
        .get_or_create(&ReasonLabel { reason })
        .inc_by(n);
}

pub fn record_delivery(kind: &'static str, delivered: bool) {
    METRICS
        .deliveries
        .get_or_create(&DeliveryLabel {
            kind,
            outcome: if delivered { "delivered" } else { "failed" },
        })
        .inc();
}

/// A content distribution from a hub: `stored`, `unsigned`, `bad_signature`,
/// `unknown_subscription`, `fetched` (a thin ping), `failed`.
pub fn record_push(outcome: &'static str) {
    METRICS
        .websub_pushes
        .get_or_create(&OutcomeLabel { outcome })
        .inc();
}

/// An article page fetched for full text.
pub fn record_extraction(extracted: bool) {
    METRICS
        .extractions
        .get_or_create(&OutcomeLabel {
            outcome: if extracted { "extracted" } else { "failed" },
        })
        .inc();
}

/// A poll found what a live subscription's hub had not pushed.
pub fn record_missed_by_push() {
    METRICS.websub_missed.inc();
}

pub fn record_request(route: &str, status: u16, elapsed: Duration) {
    let m = &*METRICS;
    m.http_requests
        .get_or_create(&RouteStatusLabel {
            route: route.to_owned(),
            status,
        })
        .inc();
    m.http_seconds
        .get_or_create(&RouteLabel {
            route: route.to_owned(),
        })
        .observe(elapsed.as_secs_f64());
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    kind: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HealthLabel {
    health: String,
}

/// What the database says now: read at each scrape, encoded by the
/// scrape's own registry as a collector (a database that does not answer
/// leaves its gauges out rather than failing the scrape).
#[derive(Debug, Default)]
struct ScrapeGauges {
    pool_idle: i64,
    pool_in_use: i64,
    sources: Option<Vec<(String, i64)>>,
    scheduler_lag: Option<f64>,
    ungrouped: Option<i64>,
    /// Live leases: held by a live poller, or orphaned (their holder is
    /// gone and the next claim takes them).
    leased: Option<(i64, i64)>,
    /// Delivery endpoints by kind and state.
    endpoints: Option<Vec<(String, String, i64)>>,
    /// Deliveries waiting in the outbox.
    pending_deliveries: Option<i64>,
}

impl ScrapeGauges {
    async fn read(pool: &PgPool) -> ScrapeGauges {
        let idle = pool.num_idle() as i64;
        let health = sqlx::query_as(
            "SELECT CASE WHEN NOT enabled THEN 'disabled' WHEN consecutive_failures > 0 THEN 'failing'
                         WHEN last_polled_at IS NULL THEN 'new' ELSE 'healthy' END AS health, count(*)
             FROM sources GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(pool)
        .await;
        let lag: Result<(f64,), sqlx::Error> = sqlx::query_as(&format!(
            "SELECT coalesce(extract(epoch FROM now() - min(next_poll_at)), 0)::float8 FROM sources
             WHERE enabled AND next_poll_at <= now() AND {takeable}",
            takeable = crate::db::lease_holders::takeable("sources")
        ))
        .fetch_one(pool)
        .await;
        let ungrouped: Result<(i64,), sqlx::Error> =
            sqlx::query_as("SELECT count(*) FROM ungrouped")
                .fetch_one(pool)
                .await;
        let leased: Result<(i64, i64), sqlx::Error> = sqlx::query_as(&format!(
            "SELECT count(*) FILTER (WHERE NOT {takeable}), count(*) FILTER (WHERE {takeable})
             FROM sources s WHERE s.lease_until > now()",
            takeable = crate::db::lease_holders::takeable("s")
        ))
        .fetch_one(pool)
        .await;
        let pending: Result<(i64,), sqlx::Error> =
            sqlx::query_as("SELECT count(*) FROM deliveries")
                .fetch_one(pool)
                .await;
        ScrapeGauges {
            endpoints: crate::outbox::endpoints::counts(pool).await.ok(),
            pending_deliveries: pending.ok().map(|(n,)| n),
            leased: leased.ok(),
            ungrouped: ungrouped.ok().map(|(n,)| n),
            pool_idle: idle,
            pool_in_use: (i64::from(pool.size()) - idle).max(0),
            sources: health.ok(),
            scheduler_lag: lag.ok().map(|(l,)| l.max(0.0)),
        }
    }
}

impl Collector for ScrapeGauges {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        encode_by_state(
            &mut encoder,
            "db_pool_connections",
            "Database pool connections by state",
            &[("idle", self.pool_idle), ("in_use", self.pool_in_use)],
        )?;
        if let Some(rows) = &self.sources {
            let sources: Family<HealthLabel, Gauge> = Family::default();
            for (health, n) in rows {
                sources
                    .get_or_create(&HealthLabel {
                        health: health.clone(),
                    })
                    .set(*n);
            }
            sources.encode(encoder.encode_descriptor(
                "sources",
                "Sources by health",
                None,
                sources.metric_type(),
            )?)?;
        }
        if let Some((held, orphaned)) = self.leased {
            encode_by_state(
                &mut encoder,
                "sources_leased",
                "Sources a poller holds now; orphaned: their holder is gone, the next claim takes them",
                &[("held", held), ("orphaned", orphaned)],
            )?;
        }
        if let Some(rows) = &self.endpoints {
            let family: Family<EndpointLabel, Gauge> = Family::default();
            for (kind, state, n) in rows {
                family
                    .get_or_create(&EndpointLabel {
                        kind: kind.clone(),
                        state: state.clone(),
                    })
                    .set(*n);
            }
            family.encode(encoder.encode_descriptor(
                "delivery_endpoints",
                "Webhooks, hub subscribers and hubs we deliver to, by state (failing: 3 or more failures in a row)",
                None,
                family.metric_type(),
            )?)?;
        }
        if let Some(n) = self.pending_deliveries {
            let gauge = ConstGauge::new(n);
            gauge.encode(encoder.encode_descriptor(
                "deliveries_pending",
                "Deliveries waiting in the outbox",
                None,
                gauge.metric_type(),
            )?)?;
        }
        if let Some(n) = self.ungrouped {
            let gauge = ConstGauge::new(n);
            gauge.encode(encoder.encode_descriptor(
                "ungrouped_batches",
                "Stored batches of entries waiting to be grouped into stories",
                None,
                gauge.metric_type(),
            )?)?;
        }
        if let Some(lag) = self.scheduler_lag {
            let gauge = ConstGauge::new(lag);
            gauge.encode(encoder.encode_descriptor(
                "scheduler_lag_seconds",
                "How overdue the most overdue unclaimed source is",
                None,
                gauge.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// One gauge family labelled by `state`.
fn encode_by_state(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    values: &[(&'static str, i64)],
) -> Result<(), std::fmt::Error> {
    let family: Family<StateLabel, Gauge> = Family::default();
    for (state, value) in values {
        family.get_or_create(&StateLabel { state }).set(*value);
    }
    family.encode(encoder.encode_descriptor(name, help, None, family.metric_type())?)
}

/// The whole exposition, with the gauges read from the database now.
pub async fn render(pool: &PgPool) -> String {
    let gauges = ScrapeGauges::read(pool).await;
    let mut scrape = Registry::with_prefix("tributary");
    scrape.register_collector(Box::new(gauges));
    let mut out = String::with_capacity(8 * 1024);
    // Writing to a String cannot fail.
    let _ = prometheus_text::encode(&mut out, &METRICS.registry);
    let _ = prometheus_text::encode(&mut out, &scrape);
    out
}
