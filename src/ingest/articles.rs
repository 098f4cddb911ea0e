//! Full text in the ingest: which entries of a fetch get their article
//! page read (new ones, changed ones whose link changed, and those whose
//! page failed in a way that may pass and is due to be tried again; a
//! changed entry with the same link keeps what its page gave), fetched a
//! few at a time, and what each gave (`crate::fulltext` fetches and
//! extracts).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use url::Url;

use super::normalize::{Extraction, PreparedFeed};
use super::{IngestError, Ingestor, Request, needs_cleaning, store};
use crate::fulltext::{Article, ArticleError};

/// Fetches of one page at most: a failure that may pass (a timeout, HTTP
/// 429 or 5xx) is tried again at a later poll until then, and is final
/// after it.
const MAX_PAGE_ATTEMPTS: i16 = 4;

/// Article pages fetched at once for one fetch (each host also has the
/// poller's per-host limit).
const PAGES_AT_ONCE: usize = 8;

/// Pages fetched for one fetch at most: a feed that lists thousands of new
/// entries at once does not hold its poll for an hour. The rest are stored
/// with the feed's text and say why.
const MAX_PAGES_PER_FETCH: usize = 200;

impl Ingestor {
    /// What full text makes of the pages of the entries this fetch will
    /// clean, by identity: fetched and extracted once per link (an update
    /// whose link is unchanged keeps what its page gave before).
    pub(super) async fn extract_pages(
        &self,
        request: &Request,
        prepared: &PreparedFeed,
        known: &HashMap<String, store::Known>,
    ) -> Result<HashMap<String, Extraction>, IngestError> {
        let wanted: Vec<(&str, &Url)> = prepared
            .candidates
            .iter()
            .filter(|c| needs_cleaning(c, known))
            .filter_map(|c| Some((c.identity.as_str(), c.link.as_ref()?)))
            .collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let updated: Vec<String> = wanted
            .iter()
            .filter(|(id, _)| known.contains_key(*id))
            .map(|(id, _)| (*id).to_owned())
            .collect();
        let before = store::stored_extractions(&self.pool, request.source_id, &updated).await?;
        let shared = shared_links(prepared);
        let mut out = HashMap::with_capacity(wanted.len());
        let mut to_fetch = Vec::new();
        for (identity, link) in wanted {
            let refuse = |why: String| Extraction {
                link: link.to_string(),
                result: Err(why),
                attempts: 0,
                retry_at: None,
            };
            let same_link = before
                .get(identity)
                .filter(|(stored, _)| stored.link == link.as_str());
            match same_link {
                Some((stored, false)) => {
                    out.insert(identity.to_owned(), stored.clone());
                }
                // Not an article's own page: every entry would get the
                // same text, and grouping would make them one story.
                _ if shared.contains(link.as_str()) => {
                    let why = "not fetched: other entries of the feed have the same link";
                    out.insert(identity.to_owned(), refuse(why.to_owned()));
                }
                _ if is_site_root(link, prepared) => {
                    let why = "not fetched: the link is the site's home page";
                    out.insert(identity.to_owned(), refuse(why.to_owned()));
                }
                // A retry that does not fit waits, still due, for the next poll.
                Some((stored, true)) if to_fetch.len() >= MAX_PAGES_PER_FETCH => {
                    out.insert(identity.to_owned(), stored.clone());
                }
                _ if to_fetch.len() >= MAX_PAGES_PER_FETCH => {
                    let why = format!(
                        "not fetched: more than {MAX_PAGES_PER_FETCH} new entries in one fetch"
                    );
                    out.insert(identity.to_owned(), refuse(why));
                }
                _ => {
                    let before = same_link.map_or(0, |(stored, _)| stored.attempts);
                    to_fetch.push((identity, link, before));
                }
            }
        }
        let jobs: Vec<(String, Url, i16)> = to_fetch
            .into_iter()
            .map(|(identity, link, before)| (identity.to_owned(), link.clone(), before))
            .collect();
        let reach = request.reach;
        let mut fetched: Vec<(String, Extraction)> = futures_util::stream::iter(jobs)
            .map(|(identity, link, before)| {
                let pages = self.pages.clone();
                async move {
                    let outcome = pages.article(&link, reach).await;
                    crate::metrics::record_extraction(outcome.is_ok());
                    let extraction = settle(&link, outcome, before + 1, Utc::now());
                    (identity, extraction)
                }
            })
            .buffer_unordered(PAGES_AT_ONCE)
            .collect()
            .await;
        refuse_repeated_text(&mut fetched);
        let extracted = fetched.iter().filter(|(_, x)| x.result.is_ok()).count();
        tracing::info!(
            source_id = request.source_id,
            pages = fetched.len(),
            extracted,
            "full text: article pages fetched"
        );
        out.extend(fetched);
        Ok(out)
    }
}

/// What a page's `attempts`-th fetch gave, as stored: a failure that may
/// pass is tried again later (15 minutes, then an hour, then 4 hours on,
/// or when the server's Retry-After says, within a day), up to
/// `MAX_PAGE_ATTEMPTS` fetches; the error says so.
fn settle(
    link: &Url,
    outcome: Result<Article, ArticleError>,
    attempts: i16,
    now: DateTime<Utc>,
) -> Extraction {
    let link = link.to_string();
    let e = match outcome {
        Ok(article) => {
            return Extraction {
                link,
                result: Ok(article),
                attempts,
                retry_at: None,
            };
        }
        Err(e) => e,
    };
    let (retry_at, why) = if !e.may_pass() {
        (None, e.to_string())
    } else if attempts >= MAX_PAGE_ATTEMPTS {
        (
            None,
            format!("{e} (fetched {attempts} times; not tried again)"),
        )
    } else {
        let soonest = now + retry_delay(attempts);
        let at = e.retry_after().map_or(soonest, |asked| {
            asked.clamp(soonest, now + chrono::Duration::days(1))
        });
        let when = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        (
            Some(at),
            format!(
                "{e} (fetch {attempts} of {MAX_PAGE_ATTEMPTS}; tried again at a poll after {when})"
            ),
        )
    };
    Extraction {
        link,
        result: Err(why),
        attempts,
        retry_at,
    }
}

/// How long after its `attempts`-th failed fetch a page waits: 15 minutes,
/// four times longer each time.
fn retry_delay(attempts: i16) -> chrono::Duration {
    chrono::Duration::minutes(15 * 4i64.pow(attempts.clamp(1, 6) as u32 - 1))
}

/// Links that more than one entry of the document has.
fn shared_links(prepared: &PreparedFeed) -> std::collections::HashSet<&str> {
    let mut seen = std::collections::HashSet::new();
    prepared
        .candidates
        .iter()
        .filter_map(|c| c.link.as_ref().map(Url::as_str))
        .filter(|l| !seen.insert(*l))
        .collect()
}

/// Whether `link` is the feed's site (its home page), or a bare host.
fn is_site_root(link: &Url, prepared: &PreparedFeed) -> bool {
    let bare = link.path() == "/" && link.query().is_none();
    bare || prepared.meta.site_url.as_deref() == Some(link.as_str())
}

/// Different links whose pages give the same text were not articles (a
/// "not found" page answered with 200, a consent wall): every entry would
/// get that text, and grouping would make them one story.
fn refuse_repeated_text(fetched: &mut [(String, Extraction)]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (_, x) in fetched.iter() {
        if let Ok(article) = &x.result {
            *seen.entry(article.text.as_str()).or_insert(0) += 1;
        }
    }
    let repeated: std::collections::HashSet<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(text, _)| text.to_owned())
        .collect();
    for (_, x) in fetched.iter_mut() {
        if x.result.as_ref().is_ok_and(|a| repeated.contains(&a.text)) {
            x.result = Err("no article: other entries' pages gave the same text".to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::fetch::FetchError;

    #[test]
    fn pages_that_give_the_same_text_are_not_articles() {
        let page = |link: &str, text: &str| {
            (
                link.to_owned(),
                Extraction {
                    link: link.to_owned(),
                    result: Ok(Article {
                        html: format!("<p>{text}</p>"),
                        text: text.to_owned(),
                    }),
                    attempts: 1,
                    retry_at: None,
                },
            )
        };
        let mut fetched = vec![
            page("a", "Bài viết không tồn tại hoặc đã bị xóa."),
            page("b", "Hải Phòng khởi công cầu vượt biển."),
            page("c", "Bài viết không tồn tại hoặc đã bị xóa."),
        ];
        refuse_repeated_text(&mut fetched);
        let ok: Vec<bool> = fetched.iter().map(|(_, x)| x.result.is_ok()).collect();
        assert_eq!(ok, [false, true, false]);
    }

    #[test]
    fn failures_that_may_pass_are_tried_again_later_and_then_given_up() {
        let link = Url::parse("https://baohaiphong.example/tin/cau-vuot-bien.html").expect("url");
        let now = Utc::now();
        let unavailable = || {
            Err(ArticleError::Fetch(FetchError::Status {
                status: 503,
                reason: Some("Service Unavailable"),
                retry_after: None,
            }))
        };
        let first = settle(&link, unavailable(), 1, now);
        assert_eq!(first.retry_at, Some(now + chrono::Duration::minutes(15)));
        assert!(
            first
                .result
                .as_ref()
                .is_err_and(|e| e.contains("HTTP 503") && e.contains("fetch 1 of 4")),
            "{first:?}"
        );
        let third = settle(&link, unavailable(), 3, now);
        assert_eq!(third.retry_at, Some(now + chrono::Duration::hours(4)));
        let last = settle(&link, unavailable(), MAX_PAGE_ATTEMPTS, now);
        assert_eq!(last.retry_at, None);
        assert!(last.result.is_err_and(|e| e.contains("not tried again")));

        // A server that asks for longer is given it, up to a day.
        let asked = |after: chrono::Duration| {
            settle(
                &link,
                Err(ArticleError::Fetch(FetchError::Status {
                    status: 429,
                    reason: None,
                    retry_after: Some(now + after),
                })),
                1,
                now,
            )
            .retry_at
        };
        assert_eq!(
            asked(chrono::Duration::hours(2)),
            Some(now + chrono::Duration::hours(2))
        );
        assert_eq!(
            asked(chrono::Duration::days(9)),
            Some(now + chrono::Duration::days(1))
        );
        assert_eq!(
            asked(chrono::Duration::seconds(5)),
            Some(now + chrono::Duration::minutes(15))
        );

        // What no retry changes is final at once.
        for final_error in [
            ArticleError::Fetch(FetchError::Status {
                status: 404,
                reason: Some("Not Found"),
                retry_after: None,
            }),
            ArticleError::NotHtml("application/pdf".to_owned()),
            ArticleError::Fetch(FetchError::TooLarge { limit: 1 << 20 }),
        ] {
            let x = settle(&link, Err(final_error), 1, now);
            assert_eq!(x.retry_at, None, "{x:?}");
        }
        let timed_out = settle(
            &link,
            Err(ArticleError::Fetch(FetchError::Timeout(
                std::time::Duration::from_secs(20),
            ))),
            2,
            now,
        );
        assert_eq!(timed_out.retry_at, Some(now + chrono::Duration::hours(1)));
    }
}
