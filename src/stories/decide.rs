//! The grouping decision, pure: given the entries of a batch and what
//! stored entries of other sources say about them (`Found`, looked up by
//! `group`), which story each entry joins. Tested without a database on
//! the labelled dedup set (`decide_tests`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::passages;
use super::simhash::{self, NearEntry};

/// An entry as grouping reads it: one just stored, in a story of its own
/// until grouped, or (see `Found::add_recent`) one another grouping stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    /// The story it was stored in: its own (see `ingest::store`).
    pub story_id: i64,
    pub canonical_url: Option<String>,
    pub fingerprint: Option<Vec<u8>>,
    pub sort_at: DateTime<Utc>,
    pub title: String,
    pub simhash: Option<i64>,
    pub number_sketch: Option<i64>,
    pub passages: Vec<i64>,
}

impl Pending {
    pub fn near(&self) -> Option<NearEntry<'_>> {
        Some(NearEntry {
            title: &self.title,
            simhash: self.simhash? as u64,
            numbers: self.number_sketch.unwrap_or(0) as u64,
            passages: &self.passages,
        })
    }

    /// The keys under which this entry is found by near-duplicate lookup:
    /// the smallest of its shingle hashes, and its SimHash bands, which
    /// carry the SimHash (see migration 0011).
    pub fn near_keys(&self) -> Vec<(i64, Option<i64>)> {
        let mut keys: Vec<(i64, Option<i64>)> = self
            .passages
            .iter()
            .take(passages::INDEXED)
            .map(|k| (*k, None))
            .collect();
        if let Some(h) = self.simhash {
            keys.extend(simhash::band_keys(h as u64).map(|k| (k, Some(h))));
        }
        keys
    }
}

/// A stored entry of another source sharing a SimHash band with a pending one.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NearCandidate {
    pub pending: i32,
    pub id: i64,
    pub story_id: i64,
    pub sort_at: DateTime<Utc>,
    pub title: String,
    pub simhash: i64,
    pub number_sketch: Option<i64>,
    pub passages: Vec<i64>,
}

/// What other sources' stored entries say about the pending ones.
#[derive(Debug, Default)]
pub struct Found {
    /// Per canonical URL, its earliest entry: (sort_at, id, story).
    pub by_url: HashMap<String, (DateTime<Utc>, i64, i64)>,
    /// Per fingerprint, the stories having it and when.
    pub by_fp: HashMap<Vec<u8>, Vec<(i64, DateTime<Utc>)>>,
    /// Near-duplicate candidates, to be verified.
    pub near: Vec<NearCandidate>,
}

impl Found {
    /// Adds entries other groupings committed since the lookup, matched
    /// here as the lookup's queries would have matched them.
    pub fn add_recent(&mut self, pending: &[Pending], recent: Vec<Pending>, window: Duration) {
        let mut by_key: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, p) in pending.iter().enumerate() {
            for (key, _) in p.near_keys() {
                by_key.entry(key).or_default().push(i);
            }
        }
        for r in recent {
            if let Some(url) = &r.canonical_url {
                if pending
                    .iter()
                    .any(|p| p.canonical_url.as_ref() == Some(url))
                {
                    let this = (r.sort_at, r.id, r.story_id);
                    self.by_url
                        .entry(url.clone())
                        .and_modify(|e| *e = (*e).min(this))
                        .or_insert(this);
                }
            }
            if let Some(fp) = &r.fingerprint {
                if pending.iter().any(|p| p.fingerprint.as_ref() == Some(fp)) {
                    self.by_fp
                        .entry(fp.clone())
                        .or_default()
                        .push((r.story_id, r.sort_at));
                }
            }
            let Some(hash) = r.simhash else { continue };
            let mut matched: Vec<usize> = r
                .near_keys()
                .iter()
                .filter_map(|(k, _)| by_key.get(k))
                .flatten()
                .copied()
                .filter(|i| (pending[*i].sort_at - r.sort_at).abs() <= window)
                .collect();
            matched.sort_unstable();
            matched.dedup();
            for i in matched {
                self.near.push(NearCandidate {
                    pending: i as i32,
                    id: r.id,
                    story_id: r.story_id,
                    sort_at: r.sort_at,
                    title: r.title.clone(),
                    simhash: hash,
                    number_sketch: r.number_sketch,
                    passages: r.passages.clone(),
                });
            }
        }
    }

    /// For each pending entry, the story it joins, if any: the earliest
    /// entry's with the same canonical URL, else one with the same
    /// fingerprint within the window, else its closest verified
    /// near-duplicate's.
    pub fn existing_stories(&self, pending: &[Pending], window: Duration) -> Vec<Option<i64>> {
        let near = self.closest_near(pending);
        pending
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.canonical_url
                    .as_deref()
                    .and_then(|u| self.by_url.get(u).map(|(_, _, s)| *s))
                    .or_else(|| {
                        p.fingerprint
                            .as_ref()
                            .and_then(|f| self.by_fp.get(f))
                            .and_then(|v| {
                                v.iter()
                                    .find(|(_, t)| (*t - p.sort_at).abs() <= window)
                                    .map(|(s, _)| *s)
                            })
                    })
                    .or_else(|| near.get(&i).copied())
            })
            .collect()
    }

    /// For each pending entry (by index) with a SimHash, the story of its
    /// closest verified near-duplicate.
    fn closest_near(&self, pending: &[Pending]) -> HashMap<usize, i64> {
        let mut best: HashMap<usize, (u32, DateTime<Utc>, i64)> = HashMap::new();
        for c in &self.near {
            let i = c.pending as usize;
            let Some(mine) = pending.get(i).and_then(Pending::near) else {
                continue;
            };
            let theirs = NearEntry {
                title: &c.title,
                simhash: c.simhash as u64,
                numbers: c.number_sketch.unwrap_or(0) as u64,
                passages: &c.passages,
            };
            if !is_near_duplicate(&mine, &theirs) {
                continue;
            }
            let key = (
                simhash::distance(mine.simhash, theirs.simhash),
                c.sort_at,
                c.story_id,
            );
            best.entry(i)
                .and_modify(|b| *b = (*b).min(key))
                .or_insert(key);
        }
        best.into_iter().map(|(i, (_, _, s))| (i, s)).collect()
    }
}

/// The near-duplicate rule (the time window and the different-source rule
/// are the caller's): close SimHashes (see [`simhash::simhashes_agree`]),
/// or shared passages in texts that mention the same numbers; under a
/// generic headline, templates filled in with other figures are told apart
/// by requiring most numbers to match.
fn is_near_duplicate(a: &NearEntry<'_>, b: &NearEntry<'_>) -> bool {
    // Bit and hash comparisons first: most candidates fail them, and the
    // headline checks fold text (this runs under the grouping lock).
    if !(simhash::simhashes_agree(a, b) || passages::passages_agree(a.passages, b.passages)) {
        return false;
    }
    if simhash::is_generic_title(a.title) || simhash::is_generic_title(b.title) {
        simhash::numbers_match(a.numbers, b.numbers)
    } else {
        simhash::numbers_agree(a.numbers, b.numbers)
    }
}

/// What grouping writes: entry `moved[i]` leaves its own story `from[i]`
/// (which goes) for story `to[i]`; `kept` entries remain stories of their
/// own.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    pub moved: Vec<i64>,
    pub from: Vec<i64>,
    pub to: Vec<i64>,
    pub kept: u64,
}

/// The decision for one batch: each entry joins the story `found` points
/// it to, else an earlier entry of the batch with the same canonical URL
/// or fingerprint (within the window), else heads a story of its own.
pub fn decide(pending: &[Pending], found: &Found, window: Duration) -> Plan {
    plan(pending, &found.existing_stories(pending, window), window)
}

/// The same, from the stories already chosen per entry.
pub fn plan(pending: &[Pending], existing: &[Option<i64>], window: Duration) -> Plan {
    enum Target {
        Existing(i64),
        NewStory(usize),
    }
    let mut new_url: HashMap<&str, usize> = HashMap::new();
    let mut new_fp: HashMap<&[u8], Vec<(usize, DateTime<Utc>)>> = HashMap::new();
    let mut heads: Vec<(i64, DateTime<Utc>)> = Vec::new();
    let mut targets: Vec<(i64, Target)> = Vec::with_capacity(pending.len());
    for (i, p) in pending.iter().enumerate() {
        let near = |t: &DateTime<Utc>| (*t - p.sort_at).abs() <= window;
        let target = match existing.get(i).copied().flatten() {
            Some(story) => Target::Existing(story),
            None => {
                let in_batch = p
                    .canonical_url
                    .as_deref()
                    .and_then(|u| new_url.get(u).copied())
                    .or_else(|| {
                        p.fingerprint
                            .as_deref()
                            .and_then(|f| new_fp.get(f))
                            .and_then(|v| v.iter().find(|(_, t)| near(t)).map(|(i, _)| *i))
                    });
                let slot = in_batch.unwrap_or_else(|| {
                    heads.push((p.id, p.sort_at));
                    heads.len() - 1
                });
                if let Some(u) = p.canonical_url.as_deref() {
                    new_url.entry(u).or_insert(slot);
                }
                if let Some(f) = p.fingerprint.as_deref() {
                    new_fp.entry(f).or_default().push((slot, p.sort_at));
                }
                Target::NewStory(slot)
            }
        };
        targets.push((p.id, target));
    }

    // An entry heading a new story keeps the story it was stored in; the
    // others move, and their own stories go.
    let own: HashMap<i64, i64> = pending.iter().map(|p| (p.id, p.story_id)).collect();
    let (mut moved, mut from, mut to): (Vec<i64>, Vec<i64>, Vec<i64>) = (vec![], vec![], vec![]);
    let mut kept = 0u64;
    for (id, target) in targets {
        let story = match target {
            Target::Existing(s) => s,
            Target::NewStory(slot) if heads[slot].0 == id => {
                kept += 1;
                continue;
            }
            Target::NewStory(slot) => match own.get(&heads[slot].0) {
                Some(s) => *s,
                None => continue,
            },
        };
        match own.get(&id) {
            // Never expected (no other grouping sees an entry waiting for
            // its own, see `look_up`), but deleting a story one's entry
            // stays in would lose it.
            Some(own_story) if *own_story == story => kept += 1,
            Some(own_story) => {
                moved.push(id);
                from.push(*own_story);
                to.push(story);
            }
            None => {}
        }
    }
    Plan {
        moved,
        from,
        to,
        kept,
    }
}
