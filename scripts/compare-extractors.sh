#!/usr/bin/env bash
# Compares article extractors on the evaluation set (tests/data/extraction):
# Tributary's (dom_smoothie with our clutter, lead and tail rules),
# dom_smoothie alone, and the `readability` crate (0.3, a port of the
# older arc90 algorithm). Each page is decoded as Tributary decodes pages,
# each extractor's HTML sanitized and turned to text as Tributary stores
# it, and scored as the unit test scores it: precision and recall over
# folded words, per page.
#
#   scripts/compare-extractors.sh
#
# Builds a throwaway crate under target/ (the second extractor is not a
# dependency of Tributary).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="$ROOT/target/compare-extractors"
mkdir -p "$DIR/src"
cat > "$DIR/Cargo.toml" <<TOML
[package]
name = "compare-extractors"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
tributary = { path = "$ROOT" }
dom_smoothie = "0.19"
readability = { version = "0.3", default-features = false }
url = "2"

[workspace]
TOML
cat > "$DIR/src/main.rs" <<'RS'
use std::collections::HashMap;
use std::path::PathBuf;

use tributary::ingest::normalize::Sanitizer;
use tributary::text;
use url::Url;

fn counts(s: &str) -> HashMap<String, usize> {
    let folded = text::fold(&text::nfc(s));
    let mut m = HashMap::new();
    for w in text::words(&folded) {
        *m.entry(w.to_owned()).or_insert(0) += 1;
    }
    m
}

fn score(got: &str, want: &str) -> (f64, f64) {
    let (g, w) = (counts(got), counts(want));
    let common: usize = g.iter().map(|(k, n)| (*n).min(w.get(k).copied().unwrap_or(0))).sum();
    let (gn, wn) = (g.values().sum::<usize>(), w.values().sum::<usize>());
    (common as f64 / gn.max(1) as f64, common as f64 / wn.max(1) as f64)
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("data dir"));
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.join("pages")).unwrap().map(|e| e.unwrap().path()).collect();
    pages.sort();
    let sanitizer = Sanitizer::new();
    let as_text = |html: &str, base: &Url| text::sanitized_html_to_text(&text::nfc(&sanitizer.clean(html, Some(base))));
    let names = ["tributary (dom_smoothie + rules)", "dom_smoothie 0.19 alone", "readability 0.3"];
    let mut scores: Vec<Vec<(f64, f64)>> = vec![Vec::new(); 3];
    for page in &pages {
        let id = page.file_stem().unwrap().to_str().unwrap().to_owned();
        let want = std::fs::read_to_string(dir.join("expected").join(format!("{id}.txt"))).unwrap();
        let url = Url::parse(&format!("https://news.example/{id}.html")).unwrap();
        let html = tributary::ingest::decode::decode_html(&std::fs::read(page).unwrap(), Some("text/html"));
        let ours = tributary::fulltext::article_of(&html, &url).map(|a| a.text).unwrap_or_default();
        let smoothie = dom_smoothie::Readability::new(html.as_str(), Some(url.as_str()), None)
            .ok()
            .and_then(|mut r| r.parse().ok())
            .map(|a| as_text(&a.content, &url))
            .unwrap_or_default();
        let arc90 = readability::extractor::extract(&mut html.as_bytes(), &url)
            .map(|p| as_text(&p.content, &url))
            .unwrap_or_default();
        for (i, got) in [ours, smoothie, arc90].iter().enumerate() {
            scores[i].push(score(got, &want));
        }
    }
    println!("{} pages\n| extractor | mean precision | mean recall | lowest precision | lowest recall | pages below 0.6 |\n|---|---|---|---|---|---|", pages.len());
    for (name, s) in names.iter().zip(&scores) {
        let n = s.len() as f64;
        let low = |f: fn(&(f64, f64)) -> f64| s.iter().map(f).fold(1.0, f64::min);
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {} |",
            s.iter().map(|x| x.0).sum::<f64>() / n,
            s.iter().map(|x| x.1).sum::<f64>() / n,
            low(|x| x.0),
            low(|x| x.1),
            s.iter().filter(|x| x.0 < 0.6 || x.1 < 0.6).count()
        );
    }
}
RS
cd "$DIR"
cargo run --quiet --release -- "$ROOT/tests/data/extraction"
