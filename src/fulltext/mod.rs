//! Full text: the article pages of a teaser feed's entries, fetched with
//! the poller's client and rules (timeout, body limit, SSRF, user agent,
//! at most `per_host_concurrency` pages of one host at once) and their
//! main text extracted (`extract`, with `clutter` taken out first and
//! `tidy` after), sanitized like feed content.

mod clutter;
#[cfg(test)]
mod eval_tests;
pub mod extract;
mod tidy;

use std::sync::Arc;

use tokio::sync::Semaphore;
use url::Url;

use crate::config::PollerConfig;
use crate::host_limits::HostLimits;
use crate::ingest::fetch::{FetchError, FetchOutcome, Fetcher, Reach, Validators};
use crate::ingest::normalize::Sanitizer;

/// An article as stored: sanitized HTML (NFC, absolute URLs) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub html: String,
    pub text: String,
}

/// Why an entry's page gave no article (recorded on the entry).
#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("cannot fetch the page: {0}")]
    Fetch(#[from] FetchError),
    #[error("the page is not HTML ({0})")]
    NotHtml(String),
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
    #[error("internal error: {0}")]
    Task(String),
}

impl ArticleError {
    /// Whether a later fetch may succeed where this one failed: the
    /// server was busy, down or slow, or the network failed. A status
    /// that says "no" (404, 410, 403), a page that is not HTML or holds no
    /// article is final.
    pub fn may_pass(&self) -> bool {
        match self {
            ArticleError::Fetch(FetchError::Status { status, .. }) => {
                matches!(status, 408 | 425 | 429 | 500..=599)
            }
            ArticleError::Fetch(FetchError::Timeout(_) | FetchError::Network(_)) => true,
            ArticleError::Task(_) => true,
            ArticleError::Fetch(_) | ArticleError::NotHtml(_) | ArticleError::Extract(_) => false,
        }
    }

    /// When the server asked to be asked again (`Retry-After`).
    pub fn retry_after(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            ArticleError::Fetch(FetchError::Status { retry_after, .. }) => *retry_after,
            _ => None,
        }
    }
}

/// Fetches article pages and extracts them.
#[derive(Clone)]
pub struct Pages {
    fetcher: Fetcher,
    limits: Arc<HostLimits>,
    /// Extraction is CPU work (~0.5 ms a page, more for big ones): a few
    /// at a time keep the cores busy, while the fetches, however many,
    /// only wait on the network.
    extracting: Arc<Semaphore>,
}

/// Pages extracted at once per core.
const EXTRACTIONS_PER_CORE: usize = 2;

impl Pages {
    pub fn new(fetcher: Fetcher, config: &PollerConfig) -> Pages {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Pages {
            fetcher,
            limits: Arc::new(HostLimits::new(
                config.concurrency,
                config.per_host_concurrency,
            )),
            extracting: Arc::new(Semaphore::new(EXTRACTIONS_PER_CORE * cores)),
        }
    }

    /// The article of the page at `link`.
    pub async fn article(&self, link: &Url, reach: Reach) -> Result<Article, ArticleError> {
        let fetched = {
            let _permit = self.limits.acquire(link.as_str()).await;
            self.fetcher
                .fetch(link, &Validators::default(), reach)
                .await?
        };
        let page = match fetched.outcome {
            FetchOutcome::Fetched(page) => page,
            // Nothing was sent that could make a server answer 304.
            FetchOutcome::NotModified { status } => {
                return Err(ArticleError::NotHtml(format!("HTTP {status}")));
            }
        };
        if let Some(kind) = page.content_type.as_deref().filter(|t| !is_html_type(t)) {
            return Err(ArticleError::NotHtml(kind.to_owned()));
        }
        let _extracting = self
            .extracting
            .acquire()
            .await
            .map_err(|e| ArticleError::Task(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let html = crate::ingest::decode::decode_html(&page.body, page.content_type.as_deref());
            article_of(&html, &page.final_url)
        })
        .await
        .map_err(|e| ArticleError::Task(e.to_string()))?
    }
}

/// The article of a decoded page (pure).
pub fn article_of(html: &str, url: &Url) -> Result<Article, ArticleError> {
    let extracted = extract::extract(html, url)?;
    let html = crate::text::nfc(&Sanitizer::new().clean(&extracted.html, Some(&extracted.base)));
    let text = crate::text::nfc(&crate::text::sanitized_html_to_text(&html));
    Ok(Article { html, text })
}

/// The length of a text without its whitespace: how much of a page a
/// block holds, whatever its indentation.
fn visible_chars(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

fn is_html_type(content_type: &str) -> bool {
    let essence = crate::discovery::essence(content_type);
    essence.is_empty() || matches!(essence.as_str(), "text/html" | "application/xhtml+xml")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// Markup pieces that page and feed parsers trip on, in any order.
    fn markup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("<p>".to_owned()),
            Just("</p>".to_owned()),
            Just("<div class=\"related comment\">".to_owned()),
            Just("</div>".to_owned()),
            Just("<table><tr><td>".to_owned()),
            Just("<b>Các tin khác:</b>".to_owned()),
            Just("<a href=\"//x\">".to_owned()),
            Just("<base href=\"::\">".to_owned()),
            Just("<link rel=alternate type=application/rss+xml href=\"?\">".to_owned()),
            Just("<meta charset=\"".to_owned()),
            Just("<h2 class=sapo>".to_owned()),
            Just("<script>".to_owned()),
            Just("<!--".to_owned()),
            Just("&#x0;&amp".to_owned()),
            "\\PC{0,80}",
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever a server sends, extraction and discovery answer
        /// (an article, an error, a list) and never panic.
        #[test]
        fn any_page_gives_an_answer(page in markup()) {
            let url = url::Url::parse("https://tin.example.vn/a/b.html").unwrap();
            if let Ok(article) = super::article_of(&page, &url) {
                prop_assert!(!article.text.trim().is_empty());
            }
            for feed in crate::discovery::alternates(&page, &url) {
                prop_assert!(feed.url.starts_with("http"));
            }
            let decoded = crate::ingest::decode::decode_html(page.as_bytes(), Some("text/html"));
            prop_assert!(!decoded.is_empty() || page.is_empty());
        }
    }
}
