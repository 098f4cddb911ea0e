//! Full text's CPU per article page, without the network: decode (charset),
//! extract (clutter, Readability, lead and tail), sanitize and to text, over
//! the extraction evaluation set (`tests/data/extraction/pages`, 40 news and
//! blog pages of 6-14 KB) or a directory given.
//!
//!     cargo bench --bench extract [-- PAGE_DIR]
//!
//! Single-threaded; the figure is µs per page, the median of 9 rounds, to
//! set beside `pipeline`'s µs per entry (parse + normalize).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tributary::fulltext;
use tributary::ingest::decode;
use url::Url;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/extraction/pages")
        });
    let mut pages: Vec<Vec<u8>> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "html"))
            .filter_map(|p| std::fs::read(&p).ok())
            .collect(),
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.display());
            std::process::exit(2);
        }
    };
    pages.sort();
    if pages.is_empty() {
        eprintln!("no .html pages in {}", dir.display());
        std::process::exit(2);
    }
    let url = Url::parse("http://127.0.0.1/tin/bai-viet.html").expect("a constant URL");
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let mut rounds: Vec<[Duration; 2]> = Vec::new();
    let mut extracted = 0;
    for _ in 0..9 {
        let mut times = [Duration::ZERO; 2];
        extracted = 0;
        for page in &pages {
            let t = Instant::now();
            let html = decode::decode_html(page, Some("text/html"));
            let t1 = Instant::now();
            if fulltext::article_of(&html, &url).is_ok() {
                extracted += 1;
            }
            times[0] += t1 - t;
            times[1] += t1.elapsed();
        }
        rounds.push(times);
    }
    let per_page = |stage: usize| {
        let mut v: Vec<f64> = rounds
            .iter()
            .map(|r| r[stage].as_secs_f64() * 1e6 / pages.len() as f64)
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{} pages ({} KB in all), {extracted} with an article",
        pages.len(),
        bytes / 1024
    );
    println!("| stage | µs per page (median of 9 rounds) |\n|---|---|");
    println!("| decode (charset) | {:.1} |", per_page(0));
    println!("| extract + sanitize + text | {:.1} |", per_page(1));
    println!("| all | {:.1} |", per_page(0) + per_page(1));
}
