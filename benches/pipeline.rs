//! Tributary's own CPU per entry at ingest, without the database: decode,
//! parse, identify, clean (sanitize, NFC, fold, fingerprint, SimHash,
//! search document), stage by stage, over a directory of feeds
//! (`scripts/gen_feeds.py` writes realistic ones; a fixed `--newest` date
//! keeps the output digest the same from day to day).
//!
//!     python3 scripts/gen_feeds.py /tmp/feeds 200 50 5 --mixed --newest=2026-11-25
//!     cargo bench --bench pipeline -- /tmp/feeds
//!
//! Single-threaded; the figure to compare across changes is µs per entry.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tributary::ingest::normalize::{self, Sanitizer};
use tributary::ingest::{decode, parse};
use url::Url;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from);
    let Some(dir) = dir else {
        eprintln!("usage: cargo bench --bench pipeline -- FEED_DIR");
        std::process::exit(2);
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x != "gz"))
            .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
            .collect(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.display());
            std::process::exit(2);
        }
    };
    files.sort();
    let base = Url::parse("http://127.0.0.1/feed").expect("a constant URL");
    let sanitizer = Sanitizer::new();
    // Fixed, so the digest depends on the feeds alone.
    let fetched_at = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let mut times = [Duration::ZERO; 3];
    let (mut entries, mut bytes) = (0usize, 0usize);
    // A digest of everything the store would receive: a change that should
    // only be faster must leave it as it was.
    let mut digest = Sha256::new();
    for _round in 0..2 {
        times = [Duration::ZERO; 3];
        (entries, bytes) = (0, 0);
        digest = Sha256::new();
        for (path, body) in &files {
            let t = Instant::now();
            let text = decode::decode(body, None);
            let t1 = Instant::now();
            let feed = match parse::parse_feed(&text, None) {
                Ok(p) => p.feed,
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    continue;
                }
            };
            let prepared = normalize::prepare(feed, &base, false, &[]);
            let t2 = Instant::now();
            let cleaned: Vec<_> = prepared
                .candidates
                .iter()
                .map(|c| prepared.normalize(c, &sanitizer, fetched_at, None, None))
                .collect();
            let t3 = Instant::now();
            times[0] += t1 - t;
            times[1] += t2 - t1;
            times[2] += t3 - t2;
            // Everything the store is given, rendered as JSON for the
            // digest (the store sends it as arrays, not timed here).
            let json = serde_json::to_string(&cleaned).unwrap_or_default();
            entries += cleaned.len();
            bytes += json.len();
            digest.update(json.as_bytes());
        }
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / entries.max(1) as f64;
    let total: Duration = times.iter().sum();
    println!(
        "{} feeds, {entries} entries, {} KB of cleaned entries (as JSON)",
        files.len(),
        bytes / 1024
    );
    println!("| stage | µs per entry |\n|---|---|");
    for (name, d) in ["decode", "parse + identify", "clean (normalize)"]
        .iter()
        .zip(times)
    {
        println!("| {name} | {:.1} |", per(d));
    }
    println!("| all | {:.1} |", per(total));
    let out: String = digest.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("output digest {out}");
}
