//! The poller: claims due sources with a lease (so several pollers can share
//! one database), fetches them within a global and a per-host concurrency
//! limit, and loops until told to stop.

pub mod decide;
pub mod holder;
pub mod lease;

mod one;
pub mod record;
pub mod report;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::{Semaphore, watch};

use crate::config::PollerConfig;
use crate::host_limits::HostLimits;
use crate::ingest::Ingestor;
use crate::stories::group;
pub use decide::REDIRECT_GRACE_POLLS;
pub use holder::Holder;
pub use lease::{HeldElsewhere, PollTarget};
pub use report::{PollOutcome, PollReport};

/// Groupings run at once, per core. They queue on one lock, and each
/// reads under it what the others committed since its lookup. Cold ingest
/// on 2 cores, 64 polls in flight: one grouping per poll kept ~30
/// transactions waiting on the lock, 2,440 entries/s and 69 s of CPU; one
/// per core 3,390-3,590; two per core 3,800-3,880 (the next ones' lookups
/// run while one writes).
const GROUPINGS_PER_CORE: usize = 2;

/// How often a running poller looks for batches grouping left behind.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Which sources one pass polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Due,
    AllEnabled,
}

pub struct Poller {
    ingestor: Ingestor,
    config: PollerConfig,
    limits: Arc<HostLimits>,
    /// Groupings run at once (`GROUPINGS_PER_CORE`).
    grouping: Arc<Semaphore>,
    /// Stamps this process's leases, so that they are taken over at once
    /// if it dies (`None`: respected until they expire).
    holder: Option<Holder>,
}

/// What one pass over the selected sources did: a report per source it
/// polled, and the sources it left to another live poller.
pub struct PollPass {
    pub reports: Vec<PollReport>,
    pub held_elsewhere: Vec<HeldElsewhere>,
}

impl Poller {
    pub fn new(ingestor: Ingestor, config: &PollerConfig) -> Poller {
        Poller {
            limits: Arc::new(HostLimits::new(
                config.concurrency,
                config.per_host_concurrency,
            )),
            ingestor,
            config: config.clone(),
            grouping: Arc::new(Semaphore::new(
                GROUPINGS_PER_CORE * std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            holder: None,
        }
    }

    /// The client and rules sources are fetched with.
    pub fn fetcher(&self) -> &crate::ingest::fetch::Fetcher {
        self.ingestor.fetcher()
    }

    /// Stamps the leases this poller claims with `holder`.
    pub fn with_holder(mut self, holder: Holder) -> Poller {
        self.holder = Some(holder);
        self
    }

    fn holder_id(&self) -> Option<i32> {
        self.holder.as_ref().map(Holder::id)
    }

    /// Claims and polls every selected source once: a report for each, and
    /// the ones another live poller holds.
    pub async fn poll_once(&self, selection: Selection) -> Result<PollPass, sqlx::Error> {
        self.sweep().await;
        let lease = self.lease_duration();
        let pool = self.ingestor.pool();
        let targets = lease::claim(pool, selection, i64::MAX, lease, self.holder_id()).await?;
        let claimed: Vec<i64> = targets.iter().map(|t| t.id).collect();
        let held_elsewhere = lease::held_elsewhere(pool, selection, &claimed).await?;
        Ok(PollPass {
            reports: self.poll_targets(targets).await,
            held_elsewhere,
        })
    }

    /// Polls one source now, whatever its schedule (API "refresh").
    pub async fn poll_source(&self, source_id: i64) -> Result<Option<PollReport>, sqlx::Error> {
        let Some(target) =
            lease::claim_one(self.ingestor.pool(), source_id, self.lease_duration()).await?
        else {
            return Ok(None);
        };
        Ok(self.poll_targets(vec![target]).await.pop())
    }

    /// Stores what the source's hub pushed. `None` when the source is
    /// disabled, gone, or being polled right now (that poll reads the feed
    /// itself, and the source is polled again just after it).
    pub async fn push(
        &self,
        source_id: i64,
        body: Vec<u8>,
        content_type: Option<String>,
    ) -> Result<Option<PollReport>, sqlx::Error> {
        let pool = self.ingestor.pool();
        let Some(target) = lease::claim_one(pool, source_id, self.lease_duration()).await? else {
            sqlx::query("UPDATE sources SET next_poll_at = now() WHERE id = $1 AND enabled")
                .bind(source_id)
                .execute(pool)
                .await?;
            return Ok(None);
        };
        Ok(Some(
            one::push(
                &self.ingestor,
                &self.config,
                &self.grouping,
                &target,
                body,
                content_type,
            )
            .await,
        ))
    }

    async fn poll_targets(&self, targets: Vec<PollTarget>) -> Vec<PollReport> {
        let mut running: FuturesUnordered<_> = targets
            .into_iter()
            .map(|t| {
                let limits = self.limits.clone();
                async move {
                    let _permit = limits.acquire(&t.url).await;
                    // Boxed: every waiting poll would otherwise be as large
                    // as a running one (a future is the size of its largest
                    // state), and `--all` keeps thousands waiting.
                    Box::pin(one::poll(&self.ingestor, &self.config, &self.grouping, &t)).await
                }
            })
            .collect();
        let mut reports = Vec::new();
        while let Some(r) = running.next().await {
            reports.push(r);
        }
        reports
    }

    /// Runs until `stop` turns true: claims due sources as capacity frees
    /// up. Then stops claiming, gives in-flight polls `grace` to finish, and
    /// releases the leases of those it had to abandon, so that another poller
    /// takes them at once rather than when the leases expire.
    pub async fn run(self, mut stop: watch::Receiver<bool>, grace: Duration) {
        let this = Arc::new(self);
        let mut in_flight: FuturesUnordered<tokio::task::JoinHandle<(i64, PollReport)>> =
            FuturesUnordered::new();
        let mut running: HashMap<i64, tokio::task::AbortHandle> = HashMap::new();
        let mut swept = tokio::time::Instant::now();
        this.sweep().await;
        loop {
            if *stop.borrow() {
                break;
            }
            if swept.elapsed() >= SWEEP_EVERY {
                swept = tokio::time::Instant::now();
                this.sweep().await;
            }
            let free = this.config.concurrency.saturating_sub(in_flight.len());
            if free > 0 {
                match lease::claim(
                    this.ingestor.pool(),
                    Selection::Due,
                    free as i64,
                    this.lease_duration(),
                    this.holder_id(),
                )
                .await
                {
                    Ok(targets) => {
                        for t in targets {
                            let poller = this.clone();
                            let id = t.id;
                            let handle = tokio::spawn(async move {
                                let _permit = poller.limits.acquire(&t.url).await;
                                let report = one::poll(
                                    &poller.ingestor,
                                    &poller.config,
                                    &poller.grouping,
                                    &t,
                                )
                                .await;
                                (t.id, report)
                            });
                            running.insert(id, handle.abort_handle());
                            in_flight.push(handle);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim due sources; retrying"),
                }
            }
            // An idle poller looks as often as a busy one: at 5 s, a poller
            // restarted beside a busy one (which claims at each completion)
            // found nothing left for minutes (the cluster test saw it).
            let idle = Duration::from_secs(1);
            tokio::select! {
                _ = stop.changed() => {}
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    if let Ok((id, _)) = done {
                        running.remove(&id);
                    }
                }
                _ = tokio::time::sleep(idle) => {}
            }
        }
        let deadline = tokio::time::Instant::now() + grace;
        while !in_flight.is_empty() {
            match tokio::time::timeout_at(deadline, in_flight.next()).await {
                Ok(Some(Ok((id, _)))) => {
                    running.remove(&id);
                }
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => break,
            }
        }
        if !running.is_empty() {
            let ids: Vec<i64> = running.keys().copied().collect();
            for handle in running.values() {
                handle.abort();
            }
            tracing::warn!(sources = ?ids, "shutdown: abandoned polls that outlived the grace period");
            if let Err(e) = lease::release(this.ingestor.pool(), &ids).await {
                tracing::warn!(error = %e, "cannot release leases; they expire by themselves");
            }
        }
    }

    /// Groups the batches a dead poller or a failed grouping left behind.
    async fn sweep(&self) {
        let pool = self.ingestor.pool();
        match group::sweep(pool, group::SWEEP_AFTER, self.config.story_window).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(batches = n, "grouped entries left ungrouped"),
            Err(e) => tracing::warn!(error = %e, "cannot sweep ungrouped entries; retrying later"),
        }
    }

    fn lease_duration(&self) -> Duration {
        lease::duration(&self.config)
    }
}
