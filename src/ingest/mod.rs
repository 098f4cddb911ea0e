//! The ingest pipeline for one source:
//! fetch → decode → parse → identify → (only new or changed) normalize → store.
//! The middle stages are pure; fetch and store are the I/O at the edges.
//! What follows a fetch (grouping into stories, the next poll, disabling a
//! gone source, moving a redirected one) is the poller's: an ingest returns
//! what happened and decides nothing else.

mod articles;
pub mod dates;
pub mod decode;
pub mod dialect;
pub mod dropped;
pub mod fetch;
pub mod identity;
pub mod limits;
pub mod normalize;
pub mod parse;
pub mod salvage;
#[cfg(test)]
mod stage_tests;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::PollerConfig;
use crate::schedule::{CacheHints, FeedHints};
use fetch::{FetchError, FetchOutcome, Fetcher, Reach, Validators};
use normalize::{Extraction, NewEntry, PreparedFeed, Sanitizer};

/// What an ingest needs to know about its source.
#[derive(Debug, Clone)]
pub struct Request {
    pub source_id: i64,
    pub url: String,
    pub reach: Reach,
    pub validators: Validators,
    /// For dates written without a zone.
    pub timezone: Option<Tz>,
    /// Whether the source's guids were found to repeat (see `identity`).
    pub guid_is_unreliable: bool,
    /// Whether new entries' article pages are fetched for their full text.
    pub full_text: bool,
}

/// What one ingest did.
#[derive(Debug)]
pub struct Ingested {
    /// Set when every hop to the body was a permanent redirect (301/308),
    /// whatever became of the body: where the source now lives.
    pub moved_to: Option<Url>,
    pub result: Result<Got, IngestError>,
}

#[derive(Debug)]
pub enum Got {
    NotModified { status: u16, hints: CacheHints },
    Stored(Box<Stored>),
}

/// A document read and stored.
#[derive(Debug)]
pub struct Stored {
    pub status: u16,
    pub fetched_at: DateTime<Utc>,
    pub bytes: i64,
    pub stats: store::WriteStats,
    /// Entries of the document already stored as they are.
    pub unchanged: u64,
    /// Entries of the document not stored, and why.
    pub dropped: dropped::Dropped,
    /// What the server said about when to come back.
    pub hints: CacheHints,
    /// What the feed said about its rhythm.
    pub feed_hints: FeedHints,
    /// When its entries were published, for adaptive scheduling.
    pub publish_times: Vec<DateTime<Utc>>,
    /// The WebSub hub the document (or its `Link` header) names.
    pub hub: Option<crate::websub::discover::HubLink>,
}

/// Where a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Fetched by a poll: its validators and hub links are the source's now.
    Fetched,
    /// Pushed by a hub (WebSub content distribution): entries only.
    Pushed,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] parse::ParseError),
    /// A web page where a feed was expected, with the feeds it links to.
    #[error("{}", web_page_message(.feeds))]
    WebPage {
        feeds: Vec<crate::discovery::FoundFeed>,
    },
    /// Items are there but none could be stored: a failure, not "0 new".
    #[error("the document holds {present} entries and none could be stored ({dropped})")]
    NothingStored {
        status: u16,
        present: usize,
        dropped: dropped::Dropped,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Reading and cleaning the document outlasted `processing_timeout`.
    #[error(
        "reading and cleaning the document took longer than {0:?} (poller.processing_timeout); nothing of it was stored"
    )]
    TooSlow(std::time::Duration),
    #[error("internal error: {0}")]
    Task(String),
}

fn web_page_message(feeds: &[crate::discovery::FoundFeed]) -> String {
    match feeds.first() {
        Some(f) => format!("a web page, not a feed; it links to the feed {}", f.url),
        None => "a web page, not a feed, and it links to no feed (no <link rel=\"alternate\">)"
            .to_owned(),
    }
}

impl IngestError {
    /// The HTTP status the failure came with, if it got that far.
    pub fn status(&self) -> Option<u16> {
        match self {
            IngestError::Fetch(FetchError::Status { status, .. })
            | IngestError::NothingStored { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Fetches processed at once per core (see `Ingestor::workers`).
const WORKERS_PER_CORE: usize = 2;

/// Fetches sources and stores what they publish.
#[derive(Clone)]
pub struct Ingestor {
    pool: PgPool,
    fetcher: Fetcher,
    /// Fetches wait on the network and may be many; what follows a fetch
    /// (decode, parse, clean, write) is CPU work here and in PostgreSQL,
    /// and a few at a time keep the cores busy while more only contend.
    /// Cold ingest on 2 cores, 64 fetches at once: 1 fetch processed at a
    /// time per core 3,090 entries/s, 2 3,530-3,690, 4 3,470, unlimited
    /// 3,170-3,360 (and 10 % more CPU).
    workers: Arc<Semaphore>,
    /// Article pages, for sources with full text.
    pages: crate::fulltext::Pages,
    limits: Limits,
}

/// What one fetched document may cost (`[poller]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_items_per_document: usize,
    pub max_entries_per_fetch: usize,
    pub processing_timeout: std::time::Duration,
}

impl Limits {
    pub fn of(config: &PollerConfig) -> Limits {
        Limits {
            max_items_per_document: config.max_items_per_document,
            max_entries_per_fetch: config.max_entries_per_fetch,
            processing_timeout: config.processing_timeout,
        }
    }
}

impl Ingestor {
    pub fn new(pool: PgPool, config: &PollerConfig) -> Result<Ingestor, FetchError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let fetcher = Fetcher::new(config)?;
        Ok(Ingestor {
            pool,
            pages: crate::fulltext::Pages::new(fetcher.clone(), config),
            fetcher,
            workers: Arc::new(Semaphore::new(WORKERS_PER_CORE * cores)),
            limits: Limits::of(config),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The client and rules sources are fetched with (discovery uses them).
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Fetches one source and stores what is new or changed.
    pub async fn ingest(&self, request: &Request) -> Ingested {
        let failed = |e: FetchError| Ingested {
            moved_to: None,
            result: Err(e.into()),
        };
        let url = match Url::parse(&request.url) {
            Ok(url) => url,
            Err(e) => return failed(FetchError::Network(format!("invalid URL: {e}"))),
        };
        let fetched = match self
            .fetcher
            .fetch(&url, &request.validators, request.reach)
            .await
        {
            Ok(fetched) => fetched,
            Err(e) => return failed(e),
        };
        let result = match fetched.outcome {
            FetchOutcome::NotModified { status } => Ok(Got::NotModified {
                status,
                hints: fetched.hints,
            }),
            FetchOutcome::Fetched(body) => self
                .read_and_store(request, *body, fetched.hints, Origin::Fetched)
                .await
                .map(|s| Got::Stored(Box::new(s))),
        };
        Ingested {
            moved_to: fetched.moved_to,
            result,
        }
    }

    /// Stores what a hub pushed for the source (a WebSub fat ping): the
    /// same pipeline as a fetched document, minus the fetch.
    pub async fn ingest_pushed(
        &self,
        request: &Request,
        body: Vec<u8>,
        content_type: Option<String>,
    ) -> Result<Stored, IngestError> {
        let url = Url::parse(&request.url)
            .map_err(|e| IngestError::Fetch(FetchError::Network(format!("invalid URL: {e}"))))?;
        let document = fetch::FetchedFeed {
            status: 200,
            body,
            content_type,
            validators: Validators::default(),
            final_url: url,
            content_location: None,
            link_header: None,
        };
        self.read_and_store(request, document, CacheHints::default(), Origin::Pushed)
            .await
    }

    async fn read_and_store(
        &self,
        request: &Request,
        fetched: fetch::FetchedFeed,
        hints: CacheHints,
        origin: Origin,
    ) -> Result<Stored, IngestError> {
        let mut working = self
            .workers
            .acquire()
            .await
            .map_err(|e| IngestError::Task(e.to_string()))?;
        // Microseconds, as PostgreSQL stores it: entries are placed in time
        // from it (see NewEntry::sort_at).
        let fetched_at = Utc::now().trunc_subsecs(6);
        let bytes = fetched.body.len() as i64;

        // Decoding and parsing are CPU work: keep them off the async workers.
        // Relative links resolve against the body's own address.
        let document_url = fetched
            .content_location
            .clone()
            .unwrap_or_else(|| fetched.final_url.clone());
        let body = fetched.body;
        let content_type = fetched.content_type.clone();
        let link_header = fetched.link_header.clone();
        let (tz, guid_was_unreliable) = (request.timezone, request.guid_is_unreliable);
        let limits = self.limits;
        // Checked between steps and entries: CPU work cannot be cancelled
        // from outside, so it stops itself.
        let deadline = std::time::Instant::now() + limits.processing_timeout;
        let Read {
            mut prepared,
            feed_hints,
            present,
            hub,
        } = run_blocking(move || {
            read(
                &body,
                content_type.as_deref(),
                link_header.as_deref(),
                &document_url,
                tz,
                guid_was_unreliable,
                limits.max_items_per_document,
            )
        })
        .await??;
        if std::time::Instant::now() > deadline {
            return Err(IngestError::TooSlow(limits.processing_timeout));
        }
        if prepared.candidates.is_empty() && present > 0 {
            return Err(IngestError::NothingStored {
                status: fetched.status,
                present,
                dropped: prepared.dropped,
            });
        }

        let identities: Vec<String> = prepared
            .candidates
            .iter()
            .map(|c| c.identity.clone())
            .collect();
        let known = store::existing_entries(&self.pool, request.source_id, &identities).await?;
        prepared.dropped.over_limit += prepared
            .keep_newest_changes(|c| needs_cleaning(c, &known), limits.max_entries_per_fetch);
        let dropped = prepared.dropped;
        let total = prepared.candidates.len() as u64;
        let extractions = if request.full_text {
            // Pages wait on the network: the slot is for CPU work.
            drop(working);
            let extractions = self.extract_pages(request, &prepared, &known).await?;
            working = self
                .workers
                .acquire()
                .await
                .map_err(|e| IngestError::Task(e.to_string()))?;
            extractions
        } else {
            HashMap::new()
        };
        let (entries, prepared) = run_blocking(move || {
            (
                clean(&prepared, &known, fetched_at, &extractions, deadline),
                prepared,
            )
        })
        .await?;
        let entries = entries.ok_or(IngestError::TooSlow(limits.processing_timeout))?;

        let stats = store::write_fetch(
            &self.pool,
            store::FetchWrite {
                source_id: request.source_id,
                entries: &entries,
                fetched_at,
                meta: &prepared.meta,
                fetched: (origin == Origin::Fetched).then_some(store::FetchedState {
                    validators: &fetched.validators,
                    hub: hub.as_ref(),
                }),
                guid_is_unreliable: prepared.guid_is_unreliable,
            },
        )
        .await?;
        drop(working);
        Ok(Stored {
            status: fetched.status,
            fetched_at,
            bytes,
            unchanged: total.saturating_sub(stats.inserted + stats.updated),
            stats,
            dropped,
            hints,
            feed_hints,
            publish_times: prepared.publish_times(),
            hub,
        })
    }
}

/// Whether an identified entry is new or changed, or its page is to be
/// tried again (else it is skipped).
pub(crate) fn needs_cleaning(
    c: &normalize::Candidate,
    known: &HashMap<String, store::Known>,
) -> bool {
    match known.get(&c.identity) {
        None => true,
        Some(store::Known::Entry {
            raw_hash,
            retry_page,
            ..
        }) => raw_hash.as_slice() != c.raw_hash || *retry_page,
        Some(store::Known::Tombstone) => false,
    }
}

/// A document decoded, parsed and its entries identified.
struct Read {
    prepared: PreparedFeed,
    feed_hints: FeedHints,
    /// Entries the document holds, as written.
    present: usize,
    hub: Option<crate::websub::discover::HubLink>,
}

/// decode → parse → identify: bytes in, identified entries out (pure).
fn read(
    body: &[u8],
    content_type: Option<&str>,
    link_header: Option<&str>,
    document_url: &Url,
    tz: Option<Tz>,
    guid_was_unreliable: bool,
    max_items: usize,
) -> Result<Read, IngestError> {
    let text = decode::decode(body, content_type);
    let (capped, over_limit) = limits::cap_items(&text, max_items);
    let parsed = match parse::parse_feed(&capped, tz) {
        Ok(parsed) => parsed,
        // A page's address given for a feed's (config, OPML): the feeds
        // it links to, for the poller to follow.
        Err(_) if crate::discovery::is_web_page(body, content_type) => {
            let html = decode::decode_html(body, content_type);
            return Err(IngestError::WebPage {
                feeds: crate::discovery::alternates(&html, document_url),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let feed_hints = parse::feed_hints(&text, parsed.feed.ttl);
    let hub = crate::websub::discover::discover(link_header, &text, document_url);
    if parsed.lost_fields > 0 {
        tracing::warn!(
            fields = parsed.lost_fields,
            "fields the parser could not read were left out"
        );
    }
    let (present, unreadable) = (
        parsed.present + over_limit as usize,
        parsed.unreadable() as u32,
    );
    let mut prepared = normalize::prepare(
        parsed.feed,
        document_url,
        guid_was_unreliable,
        &parsed.blank,
    );
    prepared.dropped.unreadable = unreadable;
    prepared.dropped.over_limit = over_limit;
    Ok(Read {
        prepared,
        feed_hints,
        present,
        hub,
    })
}

/// normalize, for what is new or changed (pure): an update keeps its place
/// in time, a new entry takes its own; unchanged and tombstoned entries
/// are skipped.
fn clean(
    prepared: &PreparedFeed,
    known: &HashMap<String, store::Known>,
    fetched_at: DateTime<Utc>,
    extractions: &HashMap<String, Extraction>,
    deadline: std::time::Instant,
) -> Option<Vec<NewEntry>> {
    let sanitizer = Sanitizer::new();
    prepared
        .candidates
        .iter()
        .filter(|c| needs_cleaning(c, known))
        .map(|c| {
            if std::time::Instant::now() > deadline {
                return None;
            }
            let stored_at = match known.get(&c.identity) {
                Some(store::Known::Entry { sort_at, .. }) => Some(*sort_at),
                _ => None,
            };
            Some(prepared.normalize(
                c,
                &sanitizer,
                fetched_at,
                stored_at,
                extractions.get(&c.identity),
            ))
        })
        .collect()
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, IngestError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| IngestError::Task(e.to_string()))
}
