//! Full text in the ingest: which entries of a fetch get their article
//! page read (new ones, and changed ones whose link changed; a changed
//! entry with the same link keeps what its page gave), fetched a few at a
//! time, and what each gave (`crate::fulltext` fetches and extracts).

use std::collections::HashMap;

use futures_util::StreamExt;
use url::Url;

use super::normalize::{Extraction, PreparedFeed};
use super::{IngestError, Ingestor, Request, needs_cleaning, store};

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
            };
            match before.get(identity) {
                Some(stored) if stored.link == link.as_str() => {
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
                _ if to_fetch.len() >= MAX_PAGES_PER_FETCH => {
                    let why = format!(
                        "not fetched: more than {MAX_PAGES_PER_FETCH} new entries in one fetch"
                    );
                    out.insert(identity.to_owned(), refuse(why));
                }
                _ => to_fetch.push((identity, link)),
            }
        }
        let jobs: Vec<(String, Url)> = to_fetch
            .into_iter()
            .map(|(identity, link)| (identity.to_owned(), link.clone()))
            .collect();
        let reach = request.reach;
        let mut fetched: Vec<(String, Extraction)> = futures_util::stream::iter(jobs)
            .map(|(identity, link)| {
                let pages = self.pages.clone();
                async move {
                    let result = pages.article(&link, reach).await.map_err(|e| e.to_string());
                    crate::metrics::record_extraction(result.is_ok());
                    let link = link.to_string();
                    (identity, Extraction { link, result })
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
    use crate::fulltext::Article;

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
}
