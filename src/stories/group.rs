//! Grouping entries of different sources into stories: the same canonical
//! URL, the same content fingerprint, or a near-duplicate (close SimHashes,
//! see [`super::simhash`], or shared sentences, see [`super::passages`])
//! within the story window is one story. Each story
//! points at its earliest entry, the version merged feeds show.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::decide::{Found, Pending, Plan, plan};
use super::simhash;

/// Serializes story assignment between concurrent ingests, so that two
/// sources carrying the same new article cannot each create a story for it.
/// Taken in the grouping transaction, after the candidate lookups
/// (see `assign_stories`), and held until its commit; story deletions take
/// it too (`refresh_heads`).
pub const GROUPING_LOCK: i64 = 0x7472_6962_7374_6f72; // "tribstor"

/// Candidates read per key. Some keys are shared by many texts of one
/// language (a SimHash band of common words, a stock phrase's shingle):
/// measured on synthetic news, 1,590 entries under one key in the window,
/// so one 50-entry batch read ~950,000 candidate rows and took seconds under
/// the grouping lock. Real copies share several keys, so the newest few per
/// key find them.
const CANDIDATES_PER_KEY: i64 = 32;

/// How long near-duplicate keys are kept: new entries are published now
/// (future dates are clamped), so keys older than the story window cannot
/// match them; the margin serves sources that publish late or backfill.
pub fn near_keys_horizon(story_window: std::time::Duration) -> Duration {
    let window = Duration::from_std(story_window).unwrap_or(Duration::days(3));
    (window * 2).max(Duration::days(14))
}

/// What grouping did with a batch of entries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Grouped {
    /// Entries that remain stories of their own.
    pub kept: u64,
    /// Entries that joined another story.
    pub moved: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot group entries into stories: {0}")]
pub struct GroupError(#[from] sqlx::Error);

/// Groups one batch the store left (a row of `ungrouped`), in its own
/// transaction; `None` when another poller's sweep took it first.
pub async fn group_batch(
    pool: &PgPool,
    batch: i64,
    story_window: std::time::Duration,
) -> Result<Option<Grouped>, GroupError> {
    let window = Duration::from_std(story_window).unwrap_or(Duration::days(3));
    let mut tx = pool.begin().await?;
    // Deleting the batch's row claims it: a sweep trying the same row
    // waits for this transaction and then finds nothing. Grouping
    // transactions are serialized (the grouping lock), so each one's WAL
    // flush would be waited for under it: committed without waiting (a
    // crash loses at worst the last groupings, whose batches are grouped
    // again), set in the same statement (set_config(.., true) is SET LOCAL).
    // The batch's entries come with it, in the order grouping reads them.
    let rows: Vec<BatchRow> = sqlx::query_as(
        "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)),
         batch AS (DELETE FROM ungrouped WHERE id = $1 AND EXISTS (SELECT 1 FROM quick)
                   RETURNING source_id, entry_ids)
         SELECT b.source_id, e.id, e.story_id, e.canonical_url, e.fingerprint, e.sort_at, e.title,
                e.simhash, e.number_sketch, e.passages
         FROM batch b LEFT JOIN LATERAL (
            SELECT id, story_id, canonical_url, fingerprint, sort_at, title, simhash, number_sketch,
                   coalesce(passages, '{}') AS passages
            FROM entries WHERE id = ANY(b.entry_ids) AND source_id = b.source_id) e ON true
         ORDER BY e.sort_at, e.id",
    )
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    let Some(source_id) = rows.first().map(|r| r.source_id) else {
        return Ok(None);
    };
    let pending: Vec<Pending> = rows.into_iter().filter_map(BatchRow::pending).collect();
    let grouped = assign_stories(&mut tx, source_id, pending, window).await?;
    if grouped.moved > 0 {
        crate::db::changes::notify_changed(&mut tx, source_id).await?;
    }
    tx.commit().await?;
    Ok(Some(grouped))
}

/// A batch's row of `ungrouped` with one of its entries (none when every
/// entry is gone, deleted by retention or with its source since).
#[derive(sqlx::FromRow)]
struct BatchRow {
    source_id: i64,
    id: Option<i64>,
    story_id: Option<i64>,
    canonical_url: Option<String>,
    fingerprint: Option<Vec<u8>>,
    sort_at: Option<DateTime<Utc>>,
    title: Option<String>,
    simhash: Option<i64>,
    number_sketch: Option<i64>,
    passages: Option<Vec<i64>>,
}

impl BatchRow {
    fn pending(self) -> Option<Pending> {
        Some(Pending {
            id: self.id?,
            story_id: self.story_id?,
            canonical_url: self.canonical_url,
            fingerprint: self.fingerprint,
            sort_at: self.sort_at?,
            title: self.title?,
            simhash: self.simhash,
            number_sketch: self.number_sketch,
            passages: self.passages.unwrap_or_default(),
        })
    }
}

/// How long a batch may wait before a sweep groups it: longer than any
/// poll between its store and its grouping takes.
pub const SWEEP_AFTER: std::time::Duration = std::time::Duration::from_secs(120);

/// Groups the batches left behind (a poller that died between storing and
/// grouping, or a grouping that failed); returns how many it grouped.
pub async fn sweep(
    pool: &PgPool,
    older_than: std::time::Duration,
    story_window: std::time::Duration,
) -> Result<u64, GroupError> {
    let batches: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM ungrouped WHERE queued_at < now() - make_interval(secs => $1)
         ORDER BY id LIMIT 1000",
    )
    .bind(older_than.as_secs_f64())
    .fetch_all(pool)
    .await?;
    let mut grouped = 0;
    for (batch,) in batches {
        if group_batch(pool, batch, story_window).await?.is_some() {
            grouped += 1;
        }
    }
    Ok(grouped)
}

/// Groups the entries of `source_id` just stored (`inserted`, each in a
/// story of its own, see `ingest::store`) with the stories they belong to.
/// Entries of different sources published at most `window` apart join one
/// story when their content fingerprints are equal or they are
/// near-duplicates; the same canonical URL joins at any distance.
pub async fn assign_stories(
    tx: &mut Transaction<'_, Postgres>,
    source_id: i64,
    pending: Vec<Pending>,
    window: Duration,
) -> Result<Grouped, sqlx::Error> {
    if pending.is_empty() {
        return Ok(Grouped::default());
    }
    let inserted: Vec<i64> = pending.iter().map(|p| p.id).collect();
    let inserted = inserted.as_slice();
    // The source's new entries (it is leased to this poller) and their
    // near-duplicate keys need no lock: other transactions see the keys
    // only after this one commits, and lookups skip this source's pending
    // entries. Under the lock they were a third of its time, and every
    // other poller waits on it.
    store_near_keys(tx, &pending).await?;

    // Looking up what other sources stored is most of grouping's work, and
    // needs no lock either: what is committed once this snapshot is taken
    // is found here, and what other groupings commit after it (they are
    // few: writes are limited per core) is read under the lock from the
    // grouping log. Under the lock the lookups were ~60 % of cold ingest's
    // wall time, every other poller waiting.
    // The lookup is as old as its snapshot: lookup time and lock wait both count.
    let looked = std::time::Instant::now();
    let (snapshot,): (String,) = sqlx::query_as("SELECT pg_current_snapshot()::text")
        .fetch_one(&mut **tx)
        .await?;
    let mut found = look_up(tx, source_id, &pending, inserted, window).await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(GROUPING_LOCK)
        .execute(&mut **tx)
        .await?;
    if looked.elapsed() > MAX_LOOKUP_AGE {
        // The grouping log may have been pruned past the snapshot.
        found = look_up(tx, source_id, &pending, inserted, window).await?;
        sqlx::query("INSERT INTO grouping_log (entry_ids) VALUES ($1)")
            .bind(inserted)
            .execute(&mut **tx)
            .await?;
    } else {
        // This grouping's own line of the log goes in with the read.
        let recent: Vec<Pending> = sqlx::query_as(
            "WITH logged AS (INSERT INTO grouping_log (entry_ids) VALUES ($3))
             SELECT e.id, e.story_id, e.canonical_url, e.fingerprint, e.sort_at, e.title, e.simhash,
                    e.number_sketch, coalesce(e.passages, '{}') AS passages
             FROM grouping_log g CROSS JOIN LATERAL unnest(g.entry_ids) AS x(id)
             JOIN entries e ON e.id = x.id
             WHERE g.tx >= pg_snapshot_xmin($1::pg_snapshot)
               AND NOT pg_visible_in_snapshot(g.tx, $1::pg_snapshot)
               AND e.source_id <> $2 AND e.story_id IS NOT NULL",
        )
        .bind(&snapshot)
        .bind(source_id)
        .bind(inserted)
        .fetch_all(&mut **tx)
        .await?;
        found.add_recent(&pending, recent, window);
    }
    let mut existing = found.existing_stories(&pending, window);
    // A story found before the lock may have been deleted since (its
    // entries removed with their source, under this lock): look again.
    let mut chosen: Vec<i64> = existing.iter().flatten().copied().collect();
    chosen.sort_unstable();
    chosen.dedup();
    if !chosen.is_empty() {
        let (alive,): (i64,) = sqlx::query_as("SELECT count(*) FROM stories WHERE id = ANY($1)")
            .bind(&chosen)
            .fetch_one(&mut **tx)
            .await?;
        if alive < chosen.len() as i64 {
            found = look_up(tx, source_id, &pending, inserted, window).await?;
            existing = found.existing_stories(&pending, window);
        }
    }

    let Plan {
        moved,
        from,
        to,
        kept,
    } = plan(&pending, &existing, window);
    announce_new(tx, &pending, &moved).await?;
    // Every entry a story of its own, the common case: nothing to write.
    if moved.is_empty() {
        return Ok(Grouped { kept, moved: 0 });
    }
    // By entry id: an entry's own story holds only it (no other grouping
    // joins an entry waiting for its own, see `look_up`). Moving by story
    // id let the planner join all entries by hash, per grouping: half of
    // cold ingest's time. A story's head is its earliest entry: what moves
    // can only take the head's place, so it is compared with the head
    // alone, never with every version (a syndicated story can have
    // thousands).
    sqlx::query(
        "WITH m AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS m(entry_id, to_story)),
         gone AS (DELETE FROM stories WHERE id = ANY($3)),
         moved AS (
            UPDATE entries e SET story_id = m.to_story FROM m WHERE e.id = m.entry_id
            RETURNING e.id, e.sort_at, m.to_story)
         UPDATE stories s SET head_entry_id = x.id, sort_at = x.sort_at
         FROM (SELECT DISTINCT ON (to_story) to_story, id, sort_at FROM moved
               ORDER BY to_story, sort_at, id) x
         WHERE s.id = x.to_story AND (x.sort_at, x.id) < (s.sort_at, s.head_entry_id)",
    )
    .bind(&moved)
    .bind(&to)
    .bind(&from)
    .execute(&mut **tx)
    .await?;
    Ok(Grouped {
        kept,
        moved: moved.len() as u64,
    })
}

/// Logs the stories this grouping created (its entries that joined no
/// other story) for webhooks and the hub (`crate::announce`). Written
/// under the grouping lock, so the log's sequence commits in order.
async fn announce_new(
    tx: &mut Transaction<'_, Postgres>,
    pending: &[Pending],
    moved: &[i64],
) -> Result<(), sqlx::Error> {
    let moved: HashSet<i64> = moved.iter().copied().collect();
    let mut created: Vec<i64> = pending
        .iter()
        .filter(|p| !moved.contains(&p.id))
        .map(|p| p.story_id)
        .collect();
    created.sort_unstable();
    created.dedup();
    if created.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "WITH logged AS (INSERT INTO story_announcements (story_ids) VALUES ($1))
         SELECT pg_notify($2, '')",
    )
    .bind(&created)
    .bind(crate::db::changes::STORIES_CHANNEL)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How long a lookup made before the grouping lock stays good (the
/// grouping log is kept longer, see the retention module).
const MAX_LOOKUP_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// How long the grouping log is kept.
pub const GROUPING_LOG_KEEP: Duration = Duration::hours(1);

/// Stored entries of other sources that the pending ones may join: the
/// same canonical URL, the same fingerprint, or near-duplicate candidates
/// (sharing a SimHash band or a shingle hash within the window; each is an
/// index range of the window, so the cost depends on how many entries the
/// window holds, not on the table's size).
async fn look_up(
    tx: &mut Transaction<'_, Postgres>,
    source_id: i64,
    pending: &[Pending],
    inserted: &[i64],
    window: Duration,
) -> Result<Found, sqlx::Error> {
    let mut found = Found::default();
    let urls: Vec<&str> = pending
        .iter()
        .filter_map(|p| p.canonical_url.as_deref())
        .collect();
    let url_rows: Vec<(String, DateTime<Utc>, i64, i64)> = sqlx::query_as(
        "SELECT canonical_url, sort_at, id, story_id FROM entries
         WHERE canonical_url = ANY($1) AND story_id IS NOT NULL AND NOT (id = ANY($2))",
    )
    .bind(&urls)
    .bind(inserted)
    .fetch_all(&mut **tx)
    .await?;

    let fingerprints: Vec<&[u8]> = pending
        .iter()
        .filter_map(|p| p.fingerprint.as_deref())
        .collect();
    let fp_rows: Vec<(Vec<u8>, i64, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT fingerprint, id, story_id, sort_at FROM entries
         WHERE fingerprint = ANY($1) AND story_id IS NOT NULL AND NOT (id = ANY($2))",
    )
    .bind(&fingerprints)
    .bind(inserted)
    .fetch_all(&mut **tx)
    .await?;

    let (mut idx, mut keys, mut hashes, mut lo, mut hi) = (vec![], vec![], vec![], vec![], vec![]);
    for (i, p) in pending.iter().enumerate() {
        for (key, hash) in p.near_keys() {
            idx.push(i as i32);
            keys.push(key);
            hashes.push(hash);
            lo.push(p.sort_at - window);
            hi.push(p.sort_at + window);
        }
    }
    if !idx.is_empty() {
        found.near = sqlx::query_as(
            "SELECT DISTINCT ON (q.pending, e.id) q.pending, e.id, e.story_id, e.sort_at, e.title, e.simhash,
                    e.number_sketch, coalesce(e.passages, '{}') AS passages
             FROM unnest($1::int[], $2::bigint[], $3::timestamptz[], $4::timestamptz[], $7::bigint[])
                  AS q(pending, key, lo, hi, simhash)
             CROSS JOIN LATERAL (
                 -- A band hit is a candidate only if the SimHashes are close: the
                 -- test simhashes_agree starts with, here before the entry is read.
                 SELECT k.entry_id FROM near_keys k
                 WHERE k.key = q.key AND k.sort_at BETWEEN q.lo AND q.hi
                   AND (k.simhash IS NULL OR bit_count((k.simhash # q.simhash)::bit(64)) <= $8)
                 ORDER BY k.sort_at DESC LIMIT $6) k
             JOIN entries e ON e.id = k.entry_id
             WHERE e.source_id <> $5 AND e.story_id IS NOT NULL AND e.simhash IS NOT NULL",
        )
        .bind(&idx)
        .bind(&keys)
        .bind(&lo)
        .bind(&hi)
        .bind(source_id)
        .bind(CANDIDATES_PER_KEY)
        .bind(&hashes)
        .bind(simhash::MAX_DISTANCE as i32)
        .fetch_all(&mut **tx)
        .await?;
    }

    // Entries stored but not yet grouped are not candidates: their own
    // stories are provisional, and a copy that joined one would miss the
    // story the entry itself is about to join. Read after the lookups, so
    // every entry they saw whose batch is still waiting is left out; those
    // grouped since the caller's snapshot are read from the grouping log.
    let (hidden,): (Vec<i64>,) = sqlx::query_as(
        "SELECT coalesce(array_agg(x.id), '{}') FROM ungrouped u
         CROSS JOIN LATERAL unnest(u.entry_ids) AS x(id)",
    )
    .fetch_one(&mut **tx)
    .await?;
    let hidden: HashSet<i64> = hidden.into_iter().collect();
    for (url, at, id, story) in url_rows {
        if hidden.contains(&id) {
            continue;
        }
        let this = (at, id, story);
        found
            .by_url
            .entry(url)
            .and_modify(|e| *e = (*e).min(this))
            .or_insert(this);
    }
    for (fp, id, story, at) in fp_rows {
        if !hidden.contains(&id) {
            found.by_fp.entry(fp).or_default().push((story, at));
        }
    }
    found.near.retain(|c| !hidden.contains(&c.id));
    Ok(found)
}

/// Indexes the near-duplicate keys of newly grouped entries. Keys of old
/// entries (a backfill) serve other sources' copies arriving soon after;
/// pruning removes them later.
async fn store_near_keys(
    tx: &mut Transaction<'_, Postgres>,
    pending: &[Pending],
) -> Result<(), sqlx::Error> {
    let (mut keys, mut hashes, mut times, mut ids) = (vec![], vec![], vec![], vec![]);
    for p in pending {
        for (key, hash) in p.near_keys() {
            keys.push(key);
            hashes.push(hash);
            times.push(p.sort_at);
            ids.push(p.id);
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO near_keys (key, sort_at, entry_id, simhash)
         SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[])",
    )
    .bind(&keys)
    .bind(&times)
    .bind(&ids)
    .bind(&hashes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Points each story at its earliest remaining entry; deletes stories left
/// without entries. Takes the grouping lock (held until the caller
/// commits): an ingest grouping a new entry into one of these stories
/// either commits first, and the story is seen to have it, or groups
/// after, and sees the story's entries gone. Nothing else keeps an entry
/// from joining a story deleted under it (no foreign key, migration 0012).
pub async fn refresh_heads(conn: &mut PgConnection, story_ids: &[i64]) -> Result<(), sqlx::Error> {
    if story_ids.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(GROUPING_LOCK)
        .execute(&mut *conn)
        .await?;
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
