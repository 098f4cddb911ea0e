//! The extraction evaluation set (`tests/data/extraction`): 32 article
//! pages of Vietnamese and English news sites and blogs with their clutter,
//! each with the text a person would call the article. Per page, over
//! folded words, precision (how much of what we extract is the article)
//! and recall (how much of the article we extract), on the text as it is
//! stored: extracted, sanitized, NFC, to text.

use std::collections::HashMap;
use std::path::PathBuf;

use url::Url;

use crate::ingest::normalize::Sanitizer;
use crate::text;

fn word_counts(s: &str) -> HashMap<String, usize> {
    let folded = text::fold(&text::nfc(s));
    let mut counts = HashMap::new();
    for w in text::words(&folded) {
        *counts.entry(w.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// (precision, recall) of `got` against `want`, over words with their counts.
fn precision_recall(got: &str, want: &str) -> (f64, f64) {
    let (g, w) = (word_counts(got), word_counts(want));
    let common: usize = g
        .iter()
        .map(|(k, n)| (*n).min(w.get(k).copied().unwrap_or(0)))
        .sum();
    let (gn, wn) = (g.values().sum::<usize>(), w.values().sum::<usize>());
    (
        common as f64 / gn.max(1) as f64,
        common as f64 / wn.max(1) as f64,
    )
}

#[test]
fn extraction_matches_what_people_call_the_article() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/extraction");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.join("pages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(pages.len() >= 30, "{} pages", pages.len());
    let sanitizer = Sanitizer::new();
    let mut report = String::new();
    let (mut sum_p, mut sum_r) = (0.0, 0.0);
    let mut weak = Vec::new();
    for page in &pages {
        let id = page.file_stem().unwrap().to_str().unwrap();
        let bytes = std::fs::read(page).unwrap();
        let want = std::fs::read_to_string(dir.join("expected").join(format!("{id}.txt"))).unwrap();
        let url = Url::parse(&format!("https://news.example/{id}.html")).unwrap();
        let html = crate::ingest::decode::decode_html(&bytes, Some("text/html"));
        let got = match super::extract::extract(&html, &url) {
            Ok(x) => {
                text::sanitized_html_to_text(&text::nfc(&sanitizer.clean(&x.html, Some(&x.base))))
            }
            Err(e) => format!("({e})"),
        };
        if std::env::var("SHOW_PAGE").ok().as_deref() == Some(id) {
            println!("{got}");
        }
        let (p, r) = precision_recall(&got, &want);
        report.push_str(&format!("{id}: precision {p:.3} recall {r:.3}\n"));
        if p < 0.6 || r < 0.6 {
            weak.push(format!("{id}: {got}"));
        }
        sum_p += p;
        sum_r += r;
    }
    let n = pages.len() as f64;
    let (mean_p, mean_r) = (sum_p / n, sum_r / n);
    println!("{report}mean precision {mean_p:.3} recall {mean_r:.3}");
    assert!(
        weak.is_empty(),
        "pages below 0.6:\n{}\n{report}",
        weak.join("\n")
    );
    assert!(
        mean_p >= 0.90 && mean_r >= 0.90,
        "{report}mean precision {mean_p:.3} recall {mean_r:.3}"
    );
}

#[test]
fn precision_and_recall_count_words_with_their_repeats() {
    assert_eq!(precision_recall("Hải Phòng", "hai phong"), (1.0, 1.0));
    let (p, r) = precision_recall("tin tin tin mới", "tin mới");
    assert_eq!((p, r), (0.5, 1.0));
    assert_eq!(precision_recall("", "một bài"), (0.0, 0.0));
}
