//! Response bodies kept in memory until the entries change: rendered feeds
//! per channel, format and page, compressed once (gzip and brotli) and
//! served many times, and `/api/v1/entries` listings per query. Any ingest that changes
//! entries sends `NOTIFY tributary_changes`; every replica listens and
//! drops its cache, so a reader never sees a stale feed for more than a
//! moment. Conditional requests that match are answered without the database.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web::Bytes;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::FeedFormat;

use crate::db::changes::CHANGES_CHANNEL;

/// Enough for every channel × format × a few pages; beyond it the cache is
/// emptied rather than tracked for recency.
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedKey {
    pub channel: String,
    pub format: FeedFormat,
    pub limit: i64,
    pub cursor: Option<String>,
}

/// One rendered page in every encoding we serve.
#[derive(Debug)]
pub struct RenderedFeed {
    pub generation: u64,
    pub identity: Bytes,
    pub gzip: Bytes,
    pub br: Bytes,
    pub etag: String,
    pub last_modified: String,
    pub content_type: &'static str,
}

#[derive(Debug, Default)]
pub struct ResponseCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<FeedKey, Arc<RenderedFeed>>>,
    /// JSON listings by query string (the hot ones: first pages, common
    /// filters and searches that many clients repeat), same invalidation.
    listings: Mutex<HashMap<String, (u64, Bytes)>>,
}

/// Listings larger than this are not kept (a 500-item page of long articles).
const MAX_LISTING_BYTES: usize = 512 * 1024;

impl ResponseCache {
    pub fn new() -> ResponseCache {
        ResponseCache::default()
    }

    /// Changes whenever the cache is invalidated.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The cached page, if it was rendered since the last invalidation.
    pub fn get(&self, key: &FeedKey) -> Option<Arc<RenderedFeed>> {
        let current = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|r| r.generation == current)
            .cloned()
    }

    /// Stores a page rendered from data read at `rendered.generation`; a page
    /// whose data was invalidated meanwhile is dropped.
    pub fn put(&self, key: FeedKey, rendered: Arc<RenderedFeed>) {
        if rendered.generation != self.generation() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, rendered);
    }

    /// The last page rendered for `key`, however old: served only when the
    /// database cannot be reached, so that readers keep getting feeds
    /// through an outage even if a change notification (or the listener's
    /// reconnection as the database went down) invalidated it.
    pub fn get_stale(&self, key: &FeedKey) -> Option<Arc<RenderedFeed>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.get(key).cloned()
    }

    /// Pages rendered before stay, as stale fallbacks (see `get_stale`);
    /// listings go.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.listings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// A JSON listing answered since the last invalidation.
    pub fn get_listing(&self, key: &str) -> Option<Bytes> {
        let current = self.generation();
        let listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
        listings
            .get(key)
            .filter(|(g, _)| *g == current)
            .map(|(_, body)| body.clone())
    }

    /// Keeps a listing read at `generation` (dropped if invalidated since).
    pub fn put_listing(&self, key: String, generation: u64, body: Bytes) {
        if generation != self.generation() || body.len() > MAX_LISTING_BYTES {
            return;
        }
        let mut listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
        if listings.len() >= MAX_ENTRIES * 2 {
            listings.clear();
        }
        listings.insert(key, (generation, body));
    }
}

/// Compresses a rendered body once for all later requests.
pub fn compress(body: &[u8]) -> (Bytes, Bytes) {
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(6),
    );
    let gzip = gz
        .write_all(body)
        .and_then(|_| gz.finish())
        .unwrap_or_default();
    let mut br = Vec::with_capacity(body.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 6, 22);
        let _ = w.write_all(body);
    }
    (Bytes::from(gzip), Bytes::from(br))
}

/// After this long without a notification the listener's connection is
/// checked: a peer whose packets are dropped (a network cut, not a closed
/// socket) never ends a wait, and every change would be missed until the
/// kernel gave up on the connection, many minutes later.
const LISTEN_IDLE: Duration = Duration::from_secs(15);
const PING_WAIT: Duration = Duration::from_secs(5);

async fn listener_alive(listener: &mut PgListener) -> bool {
    matches!(
        tokio::time::timeout(PING_WAIT, sqlx::query("SELECT 1").execute(&mut *listener)).await,
        Ok(Ok(_))
    )
}

/// Invalidates `cache` on every change notification, on any replica.
/// Runs until the process ends; survives database restarts.
pub async fn follow_changes(pool: PgPool, cache: Arc<ResponseCache>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for changes; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANGES_CHANNEL).await {
            tracing::warn!(error = %e, "cannot LISTEN; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        // Changes may have happened while we were not listening. Invalidating
        // only now, with the database back, keeps cached feeds served while
        // it is away.
        cache.invalidate();
        loop {
            let received = match tokio::time::timeout(LISTEN_IDLE, listener.try_recv()).await {
                Ok(received) => received,
                Err(_) => {
                    if listener_alive(&mut listener).await {
                        continue;
                    }
                    tracing::warn!("change listener's connection does not answer; reconnecting");
                    break;
                }
            };
            match received {
                Ok(Some(_)) => cache.invalidate(),
                // The connection was lost: reconnect (and invalidate) above.
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(generation: u64) -> Arc<RenderedFeed> {
        Arc::new(RenderedFeed {
            generation,
            identity: Bytes::from_static(b"x"),
            gzip: Bytes::new(),
            br: Bytes::new(),
            etag: "\"e\"".into(),
            last_modified: String::new(),
            content_type: "text/plain",
        })
    }

    fn key() -> FeedKey {
        FeedKey {
            channel: "all".into(),
            format: FeedFormat::Rss,
            limit: 100,
            cursor: None,
        }
    }

    #[test]
    fn invalidation_drops_pages_and_late_renders() {
        let cache = ResponseCache::new();
        cache.put(key(), rendered(cache.generation()));
        assert!(cache.get(&key()).is_some());
        let before = cache.generation();
        cache.invalidate();
        assert!(cache.get(&key()).is_none());
        cache.put(key(), rendered(before));
        assert!(
            cache.get(&key()).is_none(),
            "rendered from data older than the invalidation"
        );
        // Kept for an outage, and replaced by the next render.
        assert_eq!(cache.get_stale(&key()).map(|r| r.generation), Some(before));
        cache.put(key(), rendered(cache.generation()));
        assert_eq!(
            cache.get_stale(&key()).map(|r| r.generation),
            Some(cache.generation())
        );
    }

    #[test]
    fn compressed_bodies_round_trip() {
        let body = "Hải Phòng ".repeat(500);
        let (gz, br) = compress(body.as_bytes());
        assert!(gz.len() < body.len() / 5 && br.len() < body.len() / 5);
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut brotli::Decompressor::new(&br[..], 4096), &mut out)
            .unwrap();
        assert_eq!(out, body.as_bytes());
    }
}
