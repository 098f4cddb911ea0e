//! Pairwise precision and recall of story grouping on the labelled set in
//! `tests/data/dedup/set.json` (built by `scripts/dedup_set/gen.py`): each
//! outlet's articles are served as an RSS feed, polled through the real
//! ingest path, and the stories PostgreSQL ends up with are compared with
//! the labels.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::support::{FeedServer, Route, TestApp, at, data, sources_toml};

const MIN_PRECISION: f64 = 0.97;
const MIN_RECALL: f64 = 0.90;

/// One outlet's articles as an RSS 2.0 feed, dated as of today (the set
/// keeps fixed dates so that its figures are reproducible).
pub fn rss(outlet: &str, articles: &[&Value]) -> Vec<u8> {
    crate::dedup_feed::rss(outlet, articles, |published| at(published).to_rfc2822()).into_bytes()
}

#[derive(Default)]
struct Counts {
    true_pos: u64,
    false_pos: u64,
    false_neg: u64,
}

#[tokio::test(flavor = "multi_thread")]
async fn grouping_meets_precision_and_recall_on_the_labelled_set() {
    let set: Value = serde_json::from_slice(&data("dedup/set.json")).unwrap();
    let articles: Vec<&Value> = set["articles"].as_array().unwrap().iter().collect();
    let by_outlet = crate::dedup_feed::by_outlet(&articles);
    let server = FeedServer::start().await;
    let mut urls = vec![];
    for (outlet, list) in &by_outlet {
        let path = format!("/{outlet}.rss");
        server.route(&path, Route::feed(rss(outlet, list), "application/rss+xml"));
        urls.push(server.url(&path));
    }
    let app = TestApp::spawn(&sources_toml(&urls)).await;
    for report in app.poll_all().await {
        assert!(
            matches!(
                report.outcome,
                tributary::poller::PollOutcome::Fetched { .. }
            ),
            "{report:?}"
        );
    }

    let rows: Vec<(String, i64, Option<i64>, Vec<i64>)> =
        sqlx::query_as("SELECT guid, story_id, simhash, passages FROM entries")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), articles.len(), "every article is stored");
    let story: HashMap<&str, i64> = rows.iter().map(|(g, s, _, _)| (g.as_str(), *s)).collect();
    let simhash: HashMap<&str, Option<i64>> =
        rows.iter().map(|(g, _, h, _)| (g.as_str(), *h)).collect();
    let sketch: HashMap<&str, &[i64]> = rows
        .iter()
        .map(|(g, _, _, p)| (g.as_str(), p.as_slice()))
        .collect();
    // How far the signals are from their thresholds, for the record.
    let signals = |a: &str, b: &str| {
        let d = match (simhash[a], simhash[b]) {
            (Some(x), Some(y)) => (x ^ y).count_ones(),
            _ => 64,
        };
        (
            d,
            tributary::stories::passages::shared(sketch[a], sketch[b]),
        )
    };
    let label: HashMap<&str, &str> = articles
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["story"].as_str().unwrap()))
        .collect();
    let kind: HashMap<&str, &str> = articles
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["kind"].as_str().unwrap()))
        .collect();

    // Every pair of the set: positives are pairs with one label.
    let ids: Vec<&str> = label.keys().copied().collect();
    let mut all = Counts::default();
    let mut by_kind: BTreeMap<String, Counts> = BTreeMap::new();
    let mut misses = vec![];
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            let same_label = label[a] == label[b];
            let same_story = story[a] == story[b];
            let pair_kind = if same_label {
                let (mut ka, mut kb) = (kind[a], kind[b]);
                if ka > kb {
                    std::mem::swap(&mut ka, &mut kb);
                }
                format!("{ka}+{kb}")
            } else {
                "different".to_owned()
            };
            let k = by_kind.entry(pair_kind).or_default();
            match (same_label, same_story) {
                (true, true) => {
                    all.true_pos += 1;
                    k.true_pos += 1;
                }
                (false, true) => {
                    all.false_pos += 1;
                    k.false_pos += 1;
                    misses.push(format!("merged: {a} ~ {b}"));
                }
                (true, false) => {
                    all.false_neg += 1;
                    k.false_neg += 1;
                    let d = match (simhash[a], simhash[b]) {
                        (Some(x), Some(y)) => ((x ^ y).count_ones()).to_string(),
                        _ => "-".into(),
                    };
                    misses.push(format!("split: {a} ~ {b} (SimHash distance {d})"));
                }
                (false, false) => {}
            }
        }
    }
    let hard = set["hard_negatives"].as_array().unwrap();
    let hard_merged: Vec<String> = hard
        .iter()
        .filter(|h| story[h[0].as_str().unwrap()] == story[h[1].as_str().unwrap()])
        .map(|h| h.to_string())
        .collect();

    let positive_signals: Vec<(u32, usize)> = ids
        .iter()
        .enumerate()
        .flat_map(|(i, a)| ids[i + 1..].iter().map(move |b| (*a, *b)))
        .filter(|(a, b)| label[a] == label[b])
        .map(|(a, b)| signals(a, b))
        .collect();
    let hard_signals: Vec<(u32, usize)> = hard
        .iter()
        .map(|h| signals(h[0].as_str().unwrap(), h[1].as_str().unwrap()))
        .collect();
    eprintln!(
        "positives: SimHash distance {}..{}, shared shingles {}..{} of {}; hard negatives: distance {}..{}, shared {}..{}",
        positive_signals.iter().map(|s| s.0).min().unwrap_or(0),
        positive_signals.iter().map(|s| s.0).max().unwrap_or(0),
        positive_signals.iter().map(|s| s.1).min().unwrap_or(0),
        positive_signals.iter().map(|s| s.1).max().unwrap_or(0),
        tributary::stories::passages::SKETCH_SIZE,
        hard_signals.iter().map(|s| s.0).min().unwrap_or(0),
        hard_signals.iter().map(|s| s.0).max().unwrap_or(0),
        hard_signals.iter().map(|s| s.1).min().unwrap_or(0),
        hard_signals.iter().map(|s| s.1).max().unwrap_or(0),
    );
    let mut hist = [0usize; 17];
    for s in &hard_signals {
        hist[s.1.min(16)] += 1;
    }
    eprintln!("hard negatives by shared shingles: {hist:?}");
    let mut hist = [0usize; 17];
    for s in &positive_signals {
        hist[s.1.min(16)] += 1;
    }
    eprintln!("positives by shared shingles: {hist:?}");
    let precision = all.true_pos as f64 / (all.true_pos + all.false_pos).max(1) as f64;
    let recall = all.true_pos as f64 / (all.true_pos + all.false_neg).max(1) as f64;
    eprintln!(
        "dedup set: {} articles, {} pairs, {} labelled positive, {} labelled hard negatives",
        ids.len(),
        ids.len() * (ids.len() - 1) / 2,
        all.true_pos + all.false_neg,
        hard.len()
    );
    eprintln!("| pair kind | grouped | split | wrongly merged |");
    for (k, c) in &by_kind {
        eprintln!(
            "| {k} | {} | {} | {} |",
            c.true_pos, c.false_neg, c.false_pos
        );
    }
    eprintln!(
        "precision {precision:.4}, recall {recall:.4}; hard negatives merged: {}",
        hard_merged.len()
    );
    for m in &misses {
        eprintln!("  {m}");
    }
    assert!(
        precision >= MIN_PRECISION,
        "precision {precision:.4} < {MIN_PRECISION}"
    );
    assert!(recall >= MIN_RECALL, "recall {recall:.4} < {MIN_RECALL}");
    assert!(
        hard_merged.is_empty(),
        "hard negatives merged: {hard_merged:?}"
    );
    // Every entry is in a story, every story has entries and is headed by
    // its earliest one (new entries start in a story of their own and
    // move when they join another).
    let (unassigned, empty, misheaded): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM entries WHERE story_id IS NULL),
                (SELECT count(*) FROM stories s
                 WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id)),
                (SELECT count(*) FROM stories s
                 WHERE s.head_entry_id <> (SELECT e.id FROM entries e WHERE e.story_id = s.id
                                          ORDER BY e.sort_at, e.id LIMIT 1))",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((unassigned, empty, misheaded), (0, 0, 0));
    app.shutdown().await;
}
