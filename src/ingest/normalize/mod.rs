//! From feed-rs's model to what we store: absolute http(s) links, NFC text,
//! sanitized HTML (ammonia), plain-text summaries, enclosures, the identity
//! key, and the fingerprints and search lexemes computed here rather than in
//! PostgreSQL.

use chrono::{DateTime, SubsecRound, Utc};
use feed_rs::model::{Entry, Feed};
use serde::Serialize;
use sha2::{Digest, Sha256};
use url::Url;

mod fields;
mod sanitize;
mod texts;

pub use sanitize::Sanitizer;
pub use texts::plain_to_html;

use fields::{categories, enclosures, entry_link, people, resolve};
use texts::{declares_text_types, entry_title, is_html_text, is_html_type, plain_text};

use crate::ingest::dropped::Dropped;
use crate::ingest::identity::{self, IdentityInput};
use crate::stories::canonical_url::canonical_url;
use crate::stories::fingerprint::{content_fingerprint, content_words_of};
use crate::stories::{passages, simhash};
use crate::text;

const MAX_TITLE_CHARS: usize = 1000;
const MAX_SUMMARY_CHARS: usize = 500;
const MAX_GUID_LEN: usize = 2048;
const MAX_LEXEMES: usize = 4000;

/// What the feed says about itself.
#[derive(Debug, Clone, Default)]
pub struct FeedMeta {
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub language: Option<String>,
}

pub use crate::domain::Enclosure;

/// A parsed entry reduced to what decides whether any work is needed:
/// which stored entry it is, and whether anything in it changed.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub identity: String,
    pub raw_hash: [u8; 32],
    /// The entry's link (absolute), whose page full text extracts.
    pub link: Option<Url>,
    index: usize,
}

/// What full text made of an entry's page (see `crate::fulltext`).
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The link whose page was fetched.
    pub link: String,
    pub result: Result<crate::fulltext::Article, String>,
    /// How many times the page was fetched (0: refused without a fetch).
    pub attempts: i16,
    /// A failure that may pass: a poll after this tries the page again.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Where an entry's content came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentSource {
    Feed,
    Extracted,
}

impl ContentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentSource::Feed => "feed",
            ContentSource::Extracted => "extracted",
        }
    }
}

/// A parsed feed, ready for the cheap identity pass and the costly cleaning
/// of only the entries that are new or changed.
pub struct PreparedFeed {
    pub meta: FeedMeta,
    pub candidates: Vec<Candidate>,
    /// Entries left out of `candidates`, and why.
    pub dropped: Dropped,
    /// Set when this fetch repeats one guid for different items.
    pub guid_is_unreliable: bool,
    feed: Feed,
    base: Option<Url>,
    /// Whether text constructs say truthfully whether they are HTML.
    declared_types: bool,
}

/// An entry as it will be stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewEntry {
    pub identity: String,
    pub guid: Option<String>,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    /// The feed's, or the article extracted from the entry's page.
    pub content_source: ContentSource,
    /// The link whose page full text fetched (set when it was tried).
    pub extracted_from: Option<String>,
    /// Why it gave no article.
    pub extraction_error: Option<String>,
    /// How many times its page was fetched.
    pub extraction_attempts: i16,
    /// When its page may be tried again (a failure that may pass).
    pub extraction_retry_at: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    pub language: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "as_hex")]
    pub raw_hash: [u8; 32],
    #[serde(serialize_with = "as_hex_opt")]
    pub fingerprint: Option<[u8; 16]>,
    /// Near-duplicate SimHash (as stored: a signed 64-bit integer).
    pub simhash: Option<i64>,
    pub number_sketch: Option<i64>,
    /// Shingle sketch for near-duplicate matching (empty when the
    /// text is too short to be matched approximately).
    pub passages: Vec<i64>,
    /// A `tsvector` literal (see `search_document`), with the marks
    /// of the entry's day (see `search_document::add_dated_search_marks`).
    pub search_vector: String,
    /// Where the entry sorts (its place in time): its publication date, or
    /// for an undated entry the fetch time less its position in the feed
    /// (keeping the feed's order, newest first); never after the fetch
    /// (clock skew, scheduled posts). An entry already stored keeps its own.
    pub sort_at: DateTime<Utc>,
}

fn as_hex<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

fn as_hex_opt<S: serde::Serializer>(b: &Option<[u8; 16]>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&hex::encode(b)),
        None => s.serialize_none(),
    }
}

/// Identifies every entry of `feed` (cheap: no HTML is touched).
/// `guid_was_unreliable` is what we learned about the source before;
/// `blank` says per entry whether its markup was blank (see `Parsed`).
pub fn prepare(
    feed: Feed,
    document_url: &Url,
    guid_was_unreliable: bool,
    blank: &[bool],
) -> PreparedFeed {
    let site_url = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| resolve(None, &l.href).or_else(|| resolve(Some(document_url), &l.href)))
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    // Relative entry links are relative to the site (the feed's own <link>),
    // which is where feeds served from a CDN or a feed proxy point to.
    let base = site_url.clone().or_else(|| {
        matches!(document_url.scheme(), "http" | "https").then(|| document_url.clone())
    });
    let declared_types = declares_text_types(&feed);
    let meta = FeedMeta {
        title: feed
            .title
            .as_ref()
            .map(|t| plain_text(t, declared_types))
            .filter(|t| !t.is_empty()),
        site_url: site_url.map(String::from),
        language: feed.language.as_deref().and_then(language_tag),
    };

    let links: Vec<Option<Url>> = feed
        .entries
        .iter()
        .map(|e| entry_link(e, base.as_ref()))
        .collect();
    let canonicals: Vec<Option<String>> = links
        .iter()
        .map(|l| l.as_ref().and_then(canonical_url))
        .collect();
    let guids: Vec<Option<String>> = feed.entries.iter().map(guid).collect();
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| entry_title(e, declared_types))
        .collect();
    let inputs: Vec<IdentityInput<'_>> = feed
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| IdentityInput {
            guid: guids[i].as_deref(),
            canonical_link: canonicals[i].as_deref(),
            title: &titles[i],
            date: e.published.or(e.updated),
            body: e
                .content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .or(e.summary.as_ref().map(|s| s.content.as_str()))
                .unwrap_or(""),
        })
        .collect();
    let guid_is_unreliable = guid_was_unreliable || identity::has_repeated_guids(&inputs);
    let mut candidates: Vec<Candidate> = Vec::with_capacity(inputs.len());
    let mut seen = std::collections::HashSet::new();
    let mut dropped = Dropped::default();
    for (index, input) in inputs.iter().enumerate() {
        let empty = match blank.get(index) {
            Some(blank) => *blank,
            None => is_empty(&feed.entries[index], input),
        };
        if empty {
            dropped.empty += 1;
            continue;
        }
        let identity = identity::entry_identity(input, guid_is_unreliable);
        // A feed listing one item twice stores it once (the first, as feeds are newest first).
        if !seen.insert(identity.clone()) {
            dropped.duplicate += 1;
            continue;
        }
        candidates.push(Candidate {
            identity,
            raw_hash: raw_hash(&feed.entries[index]),
            link: links[index].clone(),
            index,
        });
    }
    PreparedFeed {
        meta,
        candidates,
        dropped,
        guid_is_unreliable,
        feed,
        base,
        declared_types,
    }
}

impl PreparedFeed {
    /// Keeps at most `max` of the candidates `changed` picks (new or
    /// changed entries), the newest by date (undated ones count as newest,
    /// as they are stored at the fetch time), in document order among
    /// equals; the rest leave `candidates`. Returns how many left.
    pub fn keep_newest_changes(&mut self, changed: impl Fn(&Candidate) -> bool, max: usize) -> u32 {
        let mut changes: Vec<usize> = (0..self.candidates.len())
            .filter(|i| changed(&self.candidates[*i]))
            .collect();
        if changes.len() <= max {
            return 0;
        }
        let date = |i: usize| {
            let e = &self.feed.entries[self.candidates[i].index];
            e.published.or(e.updated)
        };
        changes.sort_by(|a, b| match (date(*a), date(*b)) {
            (None, None) => a.cmp(b),
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => y.cmp(&x).then(a.cmp(b)),
        });
        let mut keep = vec![true; self.candidates.len()];
        for &i in &changes[max..] {
            keep[i] = false;
        }
        let mut keep = keep.into_iter();
        self.candidates.retain(|_| keep.next().unwrap_or(true));
        (changes.len() - max) as u32
    }

    /// When the feed's entries were published, for adaptive scheduling.
    pub fn publish_times(&self) -> Vec<DateTime<Utc>> {
        self.feed
            .entries
            .iter()
            .filter_map(|e| e.published.or(e.updated))
            .collect()
    }

    /// Cleans one entry for storage (the costly part: sanitizing HTML).
    /// `fetched_at` is when the feed was fetched, `stored_at` where the
    /// entry sorts if it is already stored (see [`NewEntry::sort_at`]);
    /// `extraction` what full text made of its page, if it was asked.
    pub fn normalize(
        &self,
        candidate: &Candidate,
        sanitizer: &Sanitizer,
        fetched_at: DateTime<Utc>,
        stored_at: Option<DateTime<Utc>>,
        extraction: Option<&Extraction>,
    ) -> NewEntry {
        let e = &self.feed.entries[candidate.index];
        let url = entry_link(e, self.base.as_ref());
        let canonical = url.as_ref().and_then(canonical_url);
        let title = text::truncate_words(&entry_title(e, self.declared_types), MAX_TITLE_CHARS);

        let content_source = e
            .content
            .as_ref()
            .and_then(|c| {
                c.body
                    .as_deref()
                    .map(|b| (b, is_html_type(c.content_type.as_ref())))
            })
            .filter(|(b, _)| !b.trim().is_empty())
            .or_else(|| {
                e.summary
                    .as_ref()
                    .filter(|s| !s.content.trim().is_empty())
                    .map(|s| (s.content.as_str(), is_html_text(s, self.declared_types)))
            });
        let (content_html, body_text) = match content_source {
            Some((body, true)) => {
                // Relative URLs in content are relative to the article they came from.
                let content_base = url.as_ref().or(self.base.as_ref());
                let clean = text::nfc(&sanitizer.clean(&text::nfc(body), content_base));
                let body_text = text::nfc(&text::sanitized_html_to_text(&clean));
                (Some(clean), body_text)
            }
            Some((body, false)) => {
                let plain = text::nfc(body);
                (
                    Some(plain_to_html(&plain)),
                    text::collapse_whitespace(&plain),
                )
            }
            None => (None, String::new()),
        };
        let summary_text = match &e.summary {
            // The summary was the content: its text is known, without
            // parsing the HTML again.
            Some(s)
                if content_source
                    .is_some_and(|(b, html)| html && std::ptr::eq(b, s.content.as_str())) =>
            {
                body_text.clone()
            }
            Some(s) if !s.content.trim().is_empty() => plain_text(s, self.declared_types),
            _ => body_text.clone(),
        };
        let summary =
            Some(text::truncate_words(&summary_text, MAX_SUMMARY_CHARS)).filter(|s| !s.is_empty());

        // The page's article replaces the feed's text when it says more;
        // the summary stays the feed's own.
        let (content_html, body_text, content_source, extraction_error) = match extraction {
            Some(Extraction { result: Ok(a), .. })
                if text::words(&a.text).count() > text::words(&body_text).count() =>
            {
                (
                    Some(a.html.clone()),
                    a.text.clone(),
                    ContentSource::Extracted,
                    None,
                )
            }
            Some(Extraction { result: Ok(_), .. }) => (
                content_html,
                body_text,
                ContentSource::Feed,
                Some("the page's article is no longer than the feed's own text".to_owned()),
            ),
            Some(Extraction { result: Err(e), .. }) => (
                content_html,
                body_text,
                ContentSource::Feed,
                Some(e.clone()),
            ),
            None => (content_html, body_text, ContentSource::Feed, None),
        };

        // Most feeds give one text (the summary is the body, or its start):
        // folded once, not twice.
        let summary_in_body = body_text
            .strip_prefix(summary_text.as_str())
            .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric));
        let search = if summary_in_body {
            crate::search_document::search_document(&title, &body_text, MAX_LEXEMES)
        } else {
            crate::search_document::search_document(
                &title,
                &format!("{summary_text}\n{body_text}"),
                MAX_LEXEMES,
            )
        };

        // Microseconds, as PostgreSQL keeps them: the day an entry is
        // searchable by is that of the instant stored.
        let published_at = e.published.or(e.updated).map(|t| t.trunc_subsecs(6));
        let sort_at = stored_at.unwrap_or_else(|| {
            published_at
                .unwrap_or(fetched_at - chrono::Duration::microseconds(candidate.index as i64))
                .min(fetched_at)
        });
        let mut search_vector = search.vector;
        crate::search_document::add_dated_search_marks(
            &mut search_vector,
            &search.title_words,
            sort_at,
        );

        let folded_body = text::fold(&body_text);
        let words = content_words_of(&folded_body);
        let near = simhash::signature(&title, &words);
        let passages = match near {
            Some(_) => passages::sketch(&words),
            None => Vec::new(),
        };
        NewEntry {
            identity: candidate.identity.clone(),
            guid: guid(e),
            url: url.map(String::from),
            canonical_url: canonical,
            fingerprint: content_fingerprint(&words),
            simhash: near.map(|n| n.simhash as i64),
            number_sketch: near.map(|n| n.numbers as i64),
            passages,
            title,
            summary,
            content_html: content_html.filter(|h| !h.trim().is_empty()),
            content_source,
            extracted_from: extraction.map(|x| x.link.clone()),
            extraction_error,
            extraction_attempts: extraction.map_or(0, |x| x.attempts),
            extraction_retry_at: extraction.and_then(|x| x.retry_at),
            authors: people(e),
            categories: categories(e),
            enclosures: enclosures(e, self.base.as_ref()),
            language: e
                .language
                .as_deref()
                .and_then(language_tag)
                .or_else(|| self.meta.language.clone()),
            published_at,
            updated_at: e.updated.map(|t| t.trunc_subsecs(6)),
            raw_hash: candidate.raw_hash,
            search_vector,
            sort_at,
        }
    }
}

fn guid(e: &Entry) -> Option<String> {
    let g = text::nfc(e.id.trim());
    (!g.is_empty() && g.len() <= MAX_GUID_LEN).then_some(g)
}

/// Titles and summaries are plain text, whatever the feed marked them as.
/// Nothing at all that we read: no title, link, id, content, date, author,
/// category or media. For XML the markup decides instead (an item with
/// only a `dc:subject` is kept, as every other reader keeps it); this is
/// for JSON Feed and for entries that cannot be matched to their markup.
fn is_empty(e: &Entry, input: &IdentityInput<'_>) -> bool {
    input.title.trim().is_empty()
        && input.guid.is_none()
        && input.canonical_link.is_none()
        && input.date.is_none()
        && input.body.trim().is_empty()
        && e.links.is_empty()
        && e.media.is_empty()
        && e.authors.is_empty()
        && e.categories.is_empty()
}

fn language_tag(lang: &str) -> Option<String> {
    let l = lang.trim().replace('_', "-").to_ascii_lowercase();
    (!l.is_empty() && l.len() <= 35 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then_some(l)
}

/// A hash over everything we store from the entry, as parsed: equal hashes
/// mean nothing to clean and nothing to write.
fn raw_hash(e: &Entry) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field(&e.id);
    field(e.title.as_ref().map(|t| t.content.as_str()).unwrap_or(""));
    field(e.summary.as_ref().map(|t| t.content.as_str()).unwrap_or(""));
    field(
        e.content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .unwrap_or(""),
    );
    for l in &e.links {
        field(&l.href);
        field(l.rel.as_deref().unwrap_or(""));
    }
    field(&e.published.map(|d| d.to_rfc3339()).unwrap_or_default());
    field(&e.updated.map(|d| d.to_rfc3339()).unwrap_or_default());
    for p in &e.authors {
        field(p.name.as_deref().unwrap_or(""));
    }
    for c in &e.categories {
        field(&c.term);
    }
    for m in &e.media {
        for c in &m.content {
            field(c.url.as_ref().map(|u| u.as_str()).unwrap_or(""));
        }
    }
    field(e.language.as_deref().unwrap_or(""));
    h.finalize().into()
}
