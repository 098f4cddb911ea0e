//! The grouping decision on the labelled dedup set, without a database:
//! each outlet's articles go through the real pure pipeline (parse,
//! prepare, normalize), outlet after outlet; the candidates SQL would find
//! are found here by brute force over what is "stored" (same rules, no
//! per-key limit), and `decide` places each batch. Pairwise precision and
//! recall against the labels must hold the same bounds as the end-to-end
//! test over PostgreSQL (`tests/it/dedup_eval.rs`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::decide::{Found, NearCandidate, Pending, decide};
use super::simhash;
use crate::ingest::normalize::{self, NewEntry, Sanitizer};
use crate::ingest::parse;

const MIN_PRECISION: f64 = 0.97;
const MIN_RECALL: f64 = 0.90;

#[path = "../../tests/shared/dedup_feed.rs"]
mod dedup_feed;

fn rss(outlet: &str, articles: &[&Value]) -> String {
    dedup_feed::rss(outlet, articles, |published| {
        DateTime::parse_from_rfc3339(published)
            .map(|t| t.to_rfc2822())
            .unwrap_or_default()
    })
}

/// One outlet's articles, cleaned as ingest cleans them.
fn entries_of(outlet: &str, articles: &[&Value], fetched_at: DateTime<Utc>) -> Vec<NewEntry> {
    let text = rss(outlet, articles);
    let parsed = parse::parse_feed(&text, None).unwrap();
    let url = url::Url::parse(&format!("https://{outlet}.example/rss")).unwrap();
    let prepared = normalize::prepare(parsed.feed, &url, false, &parsed.blank);
    let sanitizer = Sanitizer::new();
    prepared
        .candidates
        .iter()
        .map(|c| prepared.normalize(c, &sanitizer, fetched_at, None, None))
        .collect()
}

/// An entry as the in-memory store keeps it.
struct Stored {
    source: usize,
    guid: String,
    entry: Pending,
}

/// What the lookups of `stories::group` would find for `pending` among
/// `stored`, without their per-key limit.
fn look_up(stored: &[Stored], source: usize, pending: &[Pending], window: Duration) -> Found {
    let mut found = Found::default();
    for p in pending {
        for s in stored {
            let e = &s.entry;
            if let (Some(a), Some(b)) = (&p.canonical_url, &e.canonical_url) {
                if a == b {
                    let this = (e.sort_at, e.id, e.story_id);
                    found
                        .by_url
                        .entry(a.clone())
                        .and_modify(|x| *x = (*x).min(this))
                        .or_insert(this);
                }
            }
            if let (Some(a), Some(b)) = (&p.fingerprint, &e.fingerprint) {
                if a == b {
                    found
                        .by_fp
                        .entry(a.clone())
                        .or_default()
                        .push((e.story_id, e.sort_at));
                }
            }
        }
    }
    for (i, p) in pending.iter().enumerate() {
        let keys = p.near_keys();
        for s in stored {
            let e = &s.entry;
            if s.source == source || e.simhash.is_none() || (e.sort_at - p.sort_at).abs() > window {
                continue;
            }
            let shares_a_key = e.near_keys().iter().any(|(key, hash)| {
                keys.iter().any(|(k, h)| {
                    k == key
                        && match (h, hash) {
                            (None, None) => true,
                            (Some(a), Some(b)) => {
                                simhash::distance(*a as u64, *b as u64) <= simhash::MAX_DISTANCE
                            }
                            _ => false,
                        }
                })
            });
            if shares_a_key {
                found.near.push(NearCandidate {
                    pending: i as i32,
                    id: e.id,
                    story_id: e.story_id,
                    sort_at: e.sort_at,
                    title: e.title.clone(),
                    simhash: e.simhash.unwrap_or_default(),
                    number_sketch: e.number_sketch,
                    passages: e.passages.clone(),
                });
            }
        }
    }
    found
}

#[test]
fn the_grouping_decision_meets_precision_and_recall_on_the_labelled_set() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/dedup/set.json");
    let set: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let articles: Vec<&Value> = set["articles"].as_array().unwrap().iter().collect();
    let by_outlet = dedup_feed::by_outlet(&articles);
    let newest = articles
        .iter()
        .map(|a| DateTime::parse_from_rfc3339(a["published"].as_str().unwrap()).unwrap())
        .max()
        .unwrap()
        .with_timezone(&Utc);
    let fetched_at = newest + Duration::hours(1);
    let window = Duration::days(3);

    let mut stored: Vec<Stored> = vec![];
    let mut next_id = 1i64;
    for (source, (outlet, list)) in by_outlet.iter().enumerate() {
        // Stored, each entry in a story of its own (its id), in the order
        // grouping reads a batch.
        let mut batch: Vec<(String, Pending)> = entries_of(outlet, list, fetched_at)
            .into_iter()
            .map(|e| {
                let id = next_id;
                next_id += 1;
                let pending = Pending {
                    id,
                    story_id: id,
                    canonical_url: e.canonical_url,
                    fingerprint: e.fingerprint.map(|f| f.to_vec()),
                    sort_at: e.sort_at,
                    title: e.title,
                    simhash: e.simhash,
                    number_sketch: e.number_sketch,
                    passages: e.passages,
                };
                (e.guid.unwrap_or_default(), pending)
            })
            .collect();
        batch.sort_by_key(|(_, p)| (p.sort_at, p.id));
        let pending: Vec<Pending> = batch.iter().map(|(_, p)| p.clone()).collect();
        let found = look_up(&stored, source, &pending, window);
        let plan = decide(&pending, &found, window);
        let moves: HashMap<i64, i64> = plan.from.iter().copied().zip(plan.to).collect();
        for (guid, mut entry) in batch {
            if let Some(to) = moves.get(&entry.story_id) {
                entry.story_id = *to;
            }
            stored.push(Stored {
                source,
                guid,
                entry,
            });
        }
    }
    assert_eq!(stored.len(), articles.len(), "every article is placed");

    let story: HashMap<&str, i64> = stored
        .iter()
        .map(|s| (s.guid.as_str(), s.entry.story_id))
        .collect();
    let label: HashMap<&str, &str> = articles
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["story"].as_str().unwrap()))
        .collect();
    let ids: Vec<&str> = label.keys().copied().collect();
    let (mut true_pos, mut false_pos, mut false_neg) = (0u64, 0u64, 0u64);
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            match (label[a] == label[b], story[a] == story[b]) {
                (true, true) => true_pos += 1,
                (false, true) => false_pos += 1,
                (true, false) => false_neg += 1,
                (false, false) => {}
            }
        }
    }
    let precision = true_pos as f64 / (true_pos + false_pos).max(1) as f64;
    let recall = true_pos as f64 / (true_pos + false_neg).max(1) as f64;
    eprintln!(
        "grouping decision without a database: {} articles, {true_pos} pairs found, \
         {false_pos} wrong, {false_neg} missed: precision {precision:.3}, recall {recall:.3}",
        articles.len()
    );
    assert!(
        precision >= MIN_PRECISION,
        "precision {precision:.3} < {MIN_PRECISION}"
    );
    assert!(recall >= MIN_RECALL, "recall {recall:.3} < {MIN_RECALL}");
}

#[test]
fn entries_of_one_batch_with_the_same_url_are_one_story_headed_by_the_first() {
    let at = |h| DateTime::parse_from_rfc3339("2026-11-20T06:00:00Z").unwrap() + Duration::hours(h);
    let entry = |id: i64, url: &str, hours| Pending {
        id,
        story_id: 100 + id,
        canonical_url: Some(url.to_owned()),
        fingerprint: None,
        sort_at: at(hours).with_timezone(&Utc),
        title: format!("Tin {id}"),
        simhash: None,
        number_sketch: None,
        passages: vec![],
    };
    let pending = [
        entry(1, "https://a.example/hai-phong", 0),
        entry(2, "https://a.example/truong-sa", 1),
        entry(3, "https://a.example/hai-phong", 2),
    ];
    let mut found = Found::default();
    // The second already has a story elsewhere.
    found.by_url.insert(
        "https://a.example/truong-sa".to_owned(),
        (at(0).with_timezone(&Utc), 50, 500),
    );
    let plan = decide(&pending, &found, Duration::days(3));
    assert_eq!(plan.moved, vec![2, 3]);
    assert_eq!(plan.from, vec![102, 103]);
    assert_eq!(plan.to, vec![500, 101]);
    assert_eq!(plan.kept, 1);
}
