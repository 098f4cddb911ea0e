//! Grouping entries of different sources into stories: the same canonical
//! URL, or the same content fingerprint within a few days, is one story.
//! Each story points at its earliest entry, the version merged feeds show.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, Postgres, Transaction};

/// Entries with the same text published further apart than this are
/// different stories (recurring boilerplate, yearly notices).
const FINGERPRINT_WINDOW_DAYS: i64 = 3;

/// Serializes story assignment between concurrent ingests, so that two
/// sources carrying the same new article cannot each create a story for it.
/// Taken at the end of the ingest transaction; held until its commit.
const GROUPING_LOCK: i64 = 0x7472_6962_7374_6f72; // "tribstor"

/// id, canonical URL, fingerprint, sort time of an entry without a story.
type PendingEntry = (i64, Option<String>, Option<Vec<u8>>, DateTime<Utc>);

/// Puts every unassigned entry of `source_id` into a story. Returns how many
/// stories were created.
pub async fn assign_stories(
    tx: &mut Transaction<'_, Postgres>,
    source_id: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(GROUPING_LOCK)
        .execute(&mut **tx)
        .await?;
    let pending: Vec<PendingEntry> = sqlx::query_as(
        "SELECT id, canonical_url, fingerprint, sort_at FROM entries
         WHERE source_id = $1 AND story_id IS NULL ORDER BY sort_at, id",
    )
    .bind(source_id)
    .fetch_all(&mut **tx)
    .await?;
    if pending.is_empty() {
        return Ok(0);
    }

    let urls: Vec<&str> = pending.iter().filter_map(|p| p.1.as_deref()).collect();
    let by_url: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT DISTINCT ON (canonical_url) canonical_url, story_id FROM entries
         WHERE canonical_url = ANY($1) AND story_id IS NOT NULL ORDER BY canonical_url, sort_at, id",
    )
    .bind(&urls)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();

    let fingerprints: Vec<&[u8]> = pending.iter().filter_map(|p| p.2.as_deref()).collect();
    let fp_rows: Vec<(Vec<u8>, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT fingerprint, story_id, sort_at FROM entries
         WHERE fingerprint = ANY($1) AND story_id IS NOT NULL",
    )
    .bind(&fingerprints)
    .fetch_all(&mut **tx)
    .await?;
    let mut by_fp: HashMap<Vec<u8>, Vec<(i64, DateTime<Utc>)>> = HashMap::new();
    for (fp, story, at) in fp_rows {
        by_fp.entry(fp).or_default().push((story, at));
    }

    // Decide in Rust; entries of this batch can join each other too.
    enum Target {
        Existing(i64),
        NewStory(usize),
    }
    let mut new_url: HashMap<&str, usize> = HashMap::new();
    let mut new_fp: HashMap<&[u8], Vec<(usize, DateTime<Utc>)>> = HashMap::new();
    let mut heads: Vec<(i64, DateTime<Utc>)> = Vec::new();
    let mut targets: Vec<(i64, Target)> = Vec::with_capacity(pending.len());
    let window = Duration::days(FINGERPRINT_WINDOW_DAYS);
    for (id, url, fp, at) in &pending {
        let near = |t: &DateTime<Utc>| (*t - *at).abs() <= window;
        let existing = url
            .as_deref()
            .and_then(|u| by_url.get(u).copied())
            .or_else(|| {
                fp.as_ref()
                    .and_then(|f| by_fp.get(f))
                    .and_then(|v| v.iter().find(|(_, t)| near(t)).map(|(s, _)| *s))
            });
        let target = match existing {
            Some(story) => Target::Existing(story),
            None => {
                let in_batch = url
                    .as_deref()
                    .and_then(|u| new_url.get(u).copied())
                    .or_else(|| {
                        fp.as_deref()
                            .and_then(|f| new_fp.get(f))
                            .and_then(|v| v.iter().find(|(_, t)| near(t)).map(|(i, _)| *i))
                    });
                let slot = in_batch.unwrap_or_else(|| {
                    heads.push((*id, *at));
                    heads.len() - 1
                });
                if let Some(u) = url.as_deref() {
                    new_url.entry(u).or_insert(slot);
                }
                if let Some(f) = fp.as_deref() {
                    new_fp.entry(f).or_default().push((slot, *at));
                }
                Target::NewStory(slot)
            }
        };
        targets.push((*id, target));
    }

    let (head_ids, head_times): (Vec<i64>, Vec<DateTime<Utc>>) = heads.iter().copied().unzip();
    let created: Vec<(i64, i64)> = sqlx::query_as(
        "INSERT INTO stories (head_entry_id, sort_at)
         SELECT * FROM unnest($1::bigint[], $2::timestamptz[]) RETURNING head_entry_id, id",
    )
    .bind(&head_ids)
    .bind(&head_times)
    .fetch_all(&mut **tx)
    .await?;
    let story_of_head: HashMap<i64, i64> = created.into_iter().collect();

    let mut entry_ids = Vec::with_capacity(targets.len());
    let mut story_ids = Vec::with_capacity(targets.len());
    let mut touched = Vec::new();
    for (id, target) in targets {
        let story = match target {
            Target::Existing(s) => {
                touched.push(s);
                s
            }
            Target::NewStory(slot) => match story_of_head.get(&heads[slot].0) {
                Some(s) => *s,
                None => continue,
            },
        };
        entry_ids.push(id);
        story_ids.push(story);
    }
    sqlx::query(
        "UPDATE entries e SET story_id = x.story_id
         FROM unnest($1::bigint[], $2::bigint[]) AS x(entry_id, story_id) WHERE e.id = x.entry_id",
    )
    .bind(&entry_ids)
    .bind(&story_ids)
    .execute(&mut **tx)
    .await?;
    touched.sort_unstable();
    touched.dedup();
    refresh_heads(tx, &touched).await?;
    Ok(heads.len() as u64)
}

/// Points each story at its earliest remaining entry; deletes stories left
/// without entries.
pub async fn refresh_heads(conn: &mut PgConnection, story_ids: &[i64]) -> Result<(), sqlx::Error> {
    if story_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "WITH h AS (
            SELECT DISTINCT ON (story_id) story_id, id, sort_at FROM entries
            WHERE story_id = ANY($1) ORDER BY story_id, sort_at, id)
         UPDATE stories s SET head_entry_id = h.id, sort_at = h.sort_at FROM h
         WHERE s.id = h.story_id AND (s.head_entry_id <> h.id OR s.sort_at <> h.sort_at)",
    )
    .bind(story_ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM stories s WHERE s.id = ANY($1)
         AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.story_id = s.id)",
    )
    .bind(story_ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
