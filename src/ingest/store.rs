//! Writing one fetched feed: one transaction, one statement for all its new
//! and changed entries with their search documents, the feed's validators
//! and metadata, and the note of what grouping has still to do (grouping
//! is the next step, `stories::group`; the schedule is the poller's).

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::fetch::Validators;
use super::normalize::{FeedMeta, NewEntry};

/// What is stored of an item a feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Stored: its raw hash (unchanged items skip all work) and its place
    /// in time, which never changes (updates are searchable by that day).
    Entry {
        raw_hash: Vec<u8>,
        sort_at: DateTime<Utc>,
        /// Its article page failed in a way that may pass, and the time
        /// to try it again has come: it is read again though unchanged.
        retry_page: bool,
    },
    /// Deleted by retention, never to come back.
    Tombstone,
}

/// What this source already has of each of `identities`.
pub async fn existing_entries(
    pool: &PgPool,
    source_id: i64,
    identities: &[String],
) -> Result<HashMap<String, Known>, sqlx::Error> {
    if identities.is_empty() {
        return Ok(HashMap::new());
    }
    // Tombstoned entries (deleted by retention) count as known and unchanged:
    // an old item a source still lists must not come back as new.
    type Row = (String, Option<Vec<u8>>, Option<DateTime<Utc>>, bool);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT identity, raw_hash, sort_at, coalesce(extraction_retry_at <= now(), false)
         FROM entries WHERE source_id = $1 AND identity = ANY($2)
         UNION ALL
         SELECT identity, NULL, NULL, false FROM tombstones WHERE source_id = $1 AND identity = ANY($2)",
    )
    .bind(source_id)
    .bind(identities)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(identity, raw_hash, sort_at, retry_page)| {
            let known = match (raw_hash, sort_at) {
                (Some(raw_hash), Some(sort_at)) => Known::Entry {
                    raw_hash,
                    sort_at,
                    retry_page,
                },
                _ => Known::Tombstone,
            };
            (identity, known)
        })
        .collect())
}

/// What full text made of stored entries' pages before (only entries
/// whose page was tried), by identity, and whether the time to try a page
/// again has come.
pub async fn stored_extractions(
    pool: &PgPool,
    source_id: i64,
    identities: &[String],
) -> Result<HashMap<String, (super::normalize::Extraction, bool)>, sqlx::Error> {
    if identities.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        i16,
        Option<DateTime<Utc>>,
        bool,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT identity, extracted_from, content_source, content_html, extraction_error,
                extraction_attempts, extraction_retry_at, coalesce(extraction_retry_at <= now(), false)
         FROM entries WHERE source_id = $1 AND identity = ANY($2) AND extracted_from IS NOT NULL",
    )
    .bind(source_id)
    .bind(identities)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(identity, link, source, html, error, attempts, retry_at, due)| {
                let result = match (source.as_str(), html) {
                    ("extracted", Some(html)) => Ok(crate::fulltext::Article {
                        text: crate::text::sanitized_html_to_text(&html),
                        html,
                    }),
                    _ => Err(error.unwrap_or_else(|| "no article".to_owned())),
                };
                let extraction = super::normalize::Extraction {
                    link,
                    result,
                    attempts,
                    retry_at,
                };
                (identity, (extraction, due))
            },
        )
        .collect())
}

/// Everything one successful fetch writes.
pub struct FetchWrite<'a> {
    pub source_id: i64,
    pub entries: &'a [NewEntry],
    pub fetched_at: DateTime<Utc>,
    pub meta: &'a FeedMeta,
    /// What a fetch says of the source beyond its entries (`None` for a
    /// document a hub pushed: the source keeps what its last fetch said).
    pub fetched: Option<FetchedState<'a>>,
    pub guid_is_unreliable: bool,
}

/// The feed's validators and the hub it names, as fetched.
#[derive(Debug, Clone, Copy)]
pub struct FetchedState<'a> {
    pub validators: &'a Validators,
    pub hub: Option<&'a crate::websub::discover::HubLink>,
}

/// What one write stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteStats {
    pub inserted: u64,
    pub updated: u64,
    /// The row of `ungrouped` naming the inserted entries, each in a story
    /// of its own until grouping (`stories::group::group_batch`) runs.
    pub ungrouped: Option<i64>,
}

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot encode enclosures: {0}")]
    Encode(#[from] serde_json::Error),
}

const UPSERT: &str = r#"
WITH incoming AS (
    -- One array per column, sent in binary: no JSON to write here and to
    -- parse there (with its dates and numbers from text, a fifth of this
    -- statement's time). Lists of varying length come as array literals
    -- (see `text_array`, `number_array`). sort_at is placed by Tributary (see
    -- NewEntry::sort_at); an update keeps the stored one.
    SELECT identity, guid, url, canonical_url, title, summary, content_html,
           authors::text[], categories::text[], enclosures::jsonb, language, published_at,
           updated_at, sort_at, raw_hash, fingerprint, simhash, number_sketch,
           passages::bigint[], search_vector, content_source, extracted_from, extraction_error,
           extraction_attempts, extraction_retry_at
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::bytea[],
                $18::bytea[], $19::bigint[], $20::bigint[], $21::text[], $22::text[],
                $23::text[], $24::text[], $25::text[], $26::smallint[], $27::timestamptz[])
         AS x(identity, guid, url, canonical_url, title, summary, content_html, authors,
              categories, enclosures, language, published_at, updated_at, sort_at, raw_hash,
              fingerprint, simhash, number_sketch, passages, search_vector, content_source,
              extracted_from, extraction_error, extraction_attempts, extraction_retry_at)
),
-- A new entry is written once, already in a story of its own (most entries
-- are the only version of theirs); grouping moves the few that join
-- another story. The source is leased to this poller, so what is not
-- stored now is inserted by this statement.
fresh AS (
    SELECT i.identity, i.sort_at, nextval(pg_get_serial_sequence('entries', 'id')) AS id
    FROM incoming i
    WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.source_id = $1 AND e.identity = i.identity)
),
own_story AS (
    INSERT INTO stories (head_entry_id, sort_at) SELECT id, sort_at FROM fresh
    RETURNING id, head_entry_id
),
upserted AS (
    INSERT INTO entries AS e (
        id, story_id, source_id, identity, guid, url, canonical_url, title, summary, content_html, authors,
        categories, enclosures, language, published_at, updated_at, fetched_at, sort_at, raw_hash,
        fingerprint, simhash, number_sketch, passages, content_source, extracted_from,
        extraction_error, extraction_attempts, extraction_retry_at)
    SELECT coalesce(f.id, nextval(pg_get_serial_sequence('entries', 'id'))), s.id,
           $1, i.identity, guid, url, canonical_url, title, summary, content_html,
           authors, categories, enclosures, language,
           -- a date in the future is clamped to the fetch time
           LEAST(published_at, $2), updated_at, $2, i.sort_at, raw_hash, fingerprint, simhash,
           number_sketch, passages, content_source, extracted_from, extraction_error,
           extraction_attempts, extraction_retry_at
    FROM incoming i LEFT JOIN fresh f ON f.identity = i.identity
         LEFT JOIN own_story s ON s.head_entry_id = f.id
    ON CONFLICT (source_id, identity) DO UPDATE SET
        guid = EXCLUDED.guid, url = EXCLUDED.url, canonical_url = EXCLUDED.canonical_url,
        title = EXCLUDED.title, summary = EXCLUDED.summary, content_html = EXCLUDED.content_html,
        authors = EXCLUDED.authors, categories = EXCLUDED.categories,
        enclosures = EXCLUDED.enclosures, language = EXCLUDED.language,
        published_at = coalesce(EXCLUDED.published_at, e.published_at),
        updated_at = CASE WHEN EXCLUDED.updated_at > coalesce(e.updated_at, '-infinity')
                          THEN EXCLUDED.updated_at
                          -- a page tried again that failed again changed nothing
                          WHEN e.raw_hash = EXCLUDED.raw_hash
                               AND e.content_html IS NOT DISTINCT FROM EXCLUDED.content_html
                          THEN e.updated_at
                          ELSE $2 END,
        raw_hash = EXCLUDED.raw_hash, fingerprint = EXCLUDED.fingerprint,
        simhash = EXCLUDED.simhash, number_sketch = EXCLUDED.number_sketch,
        passages = EXCLUDED.passages, content_source = EXCLUDED.content_source,
        extracted_from = EXCLUDED.extracted_from, extraction_error = EXCLUDED.extraction_error,
        extraction_attempts = EXCLUDED.extraction_attempts,
        extraction_retry_at = EXCLUDED.extraction_retry_at
    -- An unchanged item is written again only when its page was to be
    -- tried again (see existing_entries).
    WHERE e.raw_hash IS DISTINCT FROM EXCLUDED.raw_hash OR e.extraction_retry_at IS NOT NULL
    RETURNING e.id, e.source_id, e.sort_at, e.identity, (xmax = 0) AS inserted
),
searchable AS (
    -- Built in Rust, dated marks and buckets included (see
    -- search_document::add_dated_search_marks; to_tsvector and the SQL functions of
    -- migrations 0007/0009 cost several times more per entry).
    INSERT INTO entry_search (entry_id, source_id, sort_at, search)
    SELECT u.id, u.source_id, u.sort_at, i.search_vector::tsvector
    FROM upserted u JOIN incoming i ON i.identity = u.identity
    ON CONFLICT (entry_id) DO UPDATE SET search = EXCLUDED.search
),
queued AS (
    -- What grouping, the next step, is to group (deleted by it).
    INSERT INTO ungrouped (source_id, entry_ids)
    SELECT $1, array_agg(id) FROM upserted WHERE inserted HAVING count(*) > 0
    RETURNING id
)
SELECT id, inserted, (SELECT id FROM queued) AS queued FROM upserted
"#;

/// The entries of one write, column by column, as [`UPSERT`] takes them.
struct Columns<'a> {
    identity: Vec<&'a str>,
    guid: Vec<Option<&'a str>>,
    url: Vec<Option<&'a str>>,
    canonical_url: Vec<Option<&'a str>>,
    title: Vec<&'a str>,
    summary: Vec<Option<&'a str>>,
    content_html: Vec<Option<&'a str>>,
    authors: Vec<String>,
    categories: Vec<String>,
    enclosures: Vec<String>,
    language: Vec<Option<&'a str>>,
    published_at: Vec<Option<DateTime<Utc>>>,
    updated_at: Vec<Option<DateTime<Utc>>>,
    sort_at: Vec<DateTime<Utc>>,
    raw_hash: Vec<&'a [u8]>,
    fingerprint: Vec<Option<&'a [u8]>>,
    simhash: Vec<Option<i64>>,
    number_sketch: Vec<Option<i64>>,
    passages: Vec<String>,
    search_vector: Vec<&'a str>,
    content_source: Vec<&'static str>,
    extracted_from: Vec<Option<&'a str>>,
    extraction_error: Vec<Option<&'a str>>,
    extraction_attempts: Vec<i16>,
    extraction_retry_at: Vec<Option<DateTime<Utc>>>,
}

impl<'a> Columns<'a> {
    fn of(entries: &'a [NewEntry]) -> Result<Columns<'a>, serde_json::Error> {
        let mut enclosures = Vec::with_capacity(entries.len());
        for e in entries {
            enclosures.push(serde_json::to_string(&e.enclosures)?);
        }
        Ok(Columns {
            identity: entries.iter().map(|e| e.identity.as_str()).collect(),
            guid: entries.iter().map(|e| e.guid.as_deref()).collect(),
            url: entries.iter().map(|e| e.url.as_deref()).collect(),
            canonical_url: entries.iter().map(|e| e.canonical_url.as_deref()).collect(),
            title: entries.iter().map(|e| e.title.as_str()).collect(),
            summary: entries.iter().map(|e| e.summary.as_deref()).collect(),
            content_html: entries.iter().map(|e| e.content_html.as_deref()).collect(),
            authors: entries.iter().map(|e| text_array(&e.authors)).collect(),
            categories: entries.iter().map(|e| text_array(&e.categories)).collect(),
            enclosures,
            language: entries.iter().map(|e| e.language.as_deref()).collect(),
            published_at: entries.iter().map(|e| e.published_at).collect(),
            updated_at: entries.iter().map(|e| e.updated_at).collect(),
            sort_at: entries.iter().map(|e| e.sort_at).collect(),
            raw_hash: entries.iter().map(|e| e.raw_hash.as_slice()).collect(),
            fingerprint: entries
                .iter()
                .map(|e| e.fingerprint.as_ref().map(|f| f.as_slice()))
                .collect(),
            simhash: entries.iter().map(|e| e.simhash).collect(),
            number_sketch: entries.iter().map(|e| e.number_sketch).collect(),
            passages: entries.iter().map(|e| number_array(&e.passages)).collect(),
            search_vector: entries.iter().map(|e| e.search_vector.as_str()).collect(),
            content_source: entries.iter().map(|e| e.content_source.as_str()).collect(),
            extracted_from: entries
                .iter()
                .map(|e| e.extracted_from.as_deref())
                .collect(),
            extraction_error: entries
                .iter()
                .map(|e| e.extraction_error.as_deref())
                .collect(),
            extraction_attempts: entries.iter().map(|e| e.extraction_attempts).collect(),
            extraction_retry_at: entries.iter().map(|e| e.extraction_retry_at).collect(),
        })
    }
}

/// A PostgreSQL array literal of texts (each quoted, so any text is taken
/// as is): lists whose length varies per entry cannot be one column of a
/// two-dimensional array.
fn text_array(items: &[String]) -> String {
    let mut out = String::with_capacity(2 + items.iter().map(|s| s.len() + 3).sum::<usize>());
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// A PostgreSQL array literal of integers.
fn number_array(items: &[i64]) -> String {
    let mut out = String::with_capacity(2 + items.len() * 20);
    out.push('{');
    for (i, n) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{n}");
    }
    out.push('}');
    out
}

pub async fn write_fetch(pool: &PgPool, w: FetchWrite<'_>) -> Result<WriteStats, StoreError> {
    let mut tx = pool.begin().await?;
    let mut stats = WriteStats::default();
    if !w.entries.is_empty() {
        let c = Columns::of(w.entries)?;
        let rows: Vec<(i64, bool, Option<i64>)> = sqlx::query_as(UPSERT)
            .bind(w.source_id)
            .bind(w.fetched_at)
            .bind(c.identity)
            .bind(c.guid)
            .bind(c.url)
            .bind(c.canonical_url)
            .bind(c.title)
            .bind(c.summary)
            .bind(c.content_html)
            .bind(c.authors)
            .bind(c.categories)
            .bind(c.enclosures)
            .bind(c.language)
            .bind(c.published_at)
            .bind(c.updated_at)
            .bind(c.sort_at)
            .bind(c.raw_hash)
            .bind(c.fingerprint)
            .bind(c.simhash)
            .bind(c.number_sketch)
            .bind(c.passages)
            .bind(c.search_vector)
            .bind(c.content_source)
            .bind(c.extracted_from)
            .bind(c.extraction_error)
            .bind(c.extraction_attempts)
            .bind(c.extraction_retry_at)
            .fetch_all(&mut *tx)
            .await?;
        stats.inserted = rows.iter().filter(|(_, i, _)| *i).count() as u64;
        stats.updated = rows.len() as u64 - stats.inserted;
        stats.ungrouped = rows.iter().find_map(|(_, _, q)| *q);
    }
    // Committed without waiting for the WAL flush (the setting counts at
    // commit; set_config(.., true) is SET LOCAL, here without a round trip
    // of its own): a crash may lose the last moments of ingest, but
    // atomically, entries together with the feed's validators, so the feed
    // is fetched again and nothing is missed. Waiting for each flush was
    // most of a small write's time.
    sqlx::query(
        "UPDATE sources SET feed_title = coalesce($2, feed_title), site_url = coalesce($3, site_url),
            language = coalesce($4, language),
            etag = CASE WHEN $8 THEN $5 ELSE etag END,
            last_modified = CASE WHEN $8 THEN $6 ELSE last_modified END,
            websub_hub = CASE WHEN $8 THEN $9 ELSE websub_hub END,
            websub_topic = CASE WHEN $8 THEN $10 ELSE websub_topic END,
            guid_is_unreliable = $7
         WHERE id = $1 AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL",
    )
    .bind(w.source_id)
    .bind(&w.meta.title)
    .bind(&w.meta.site_url)
    .bind(&w.meta.language)
    .bind(w.fetched.and_then(|f| f.validators.etag.as_deref()))
    .bind(w.fetched.and_then(|f| f.validators.last_modified.as_deref()))
    .bind(w.guid_is_unreliable)
    .bind(w.fetched.is_some())
    .bind(w.fetched.and_then(|f| f.hub).map(|h| h.hub.as_str()))
    .bind(w.fetched.and_then(|f| f.hub).map(|h| h.topic.as_str()))
    .execute(&mut *tx)
    .await?;
    if stats.inserted + stats.updated > 0 {
        crate::db::changes::notify_changed(&mut tx, w.source_id).await?;
    }
    tx.commit().await?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::{number_array, text_array};

    #[test]
    fn array_literals_quote_every_text_and_escape_quotes_and_backslashes() {
        let items = ["Thời sự, \"nóng\"", "C:\\tin\\{mới}", "NULL", ""].map(String::from);
        assert_eq!(
            text_array(&items),
            r#"{"Thời sự, \"nóng\"","C:\\tin\\{mới}","NULL",""}"#
        );
        assert_eq!(text_array(&[]), "{}");
        assert_eq!(
            number_array(&[-9_223_372_036_854_775_808, 0, 42]),
            "{-9223372036854775808,0,42}"
        );
        assert_eq!(number_array(&[]), "{}");
    }
}
