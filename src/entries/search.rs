//! Full-text search over `entry_search`, ranked by relevance, then
//! recency: entries whose title holds every word first, then those that
//! hold them anywhere, each tier newest first. Pages are keyset pages over
//! (tier, date, id), so walking them yields every match exactly once.
//!
//! The GIN index finds matches but cannot order them by date, and reading
//! every match of a common word from the heap to sort it costs ~7,000
//! blocks in a million entries. So a page asks the index for one tier's
//! matches within recent days only, then further back in ranges sized
//! from the density seen: the heap is read for about the rows of the page.
//! The vectors make ranges cheap to ask for (migrations 0007, 0009): each
//! holds its entry's day and month (`~d20261126`, `~m202611`), its title
//! words marked (`^hai`) and marked with the day (`^20261126:hai`), whose
//! posting lists are short.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::{
    ENTRY_COLUMNS, EntryFilter, EntryRow, Page, page_of, push_before, push_filters,
    push_one_per_story,
};

/// The first probe: today (and tomorrow, for clocks a little ahead) and
/// yesterday.
const FIRST_SPAN_DAYS: i64 = 2;
/// Up to this span a probe names days; beyond it, months.
const MAX_DAY_SPAN: i64 = 62;
/// Beyond this span a probe is the whole archive.
const MAX_MONTH_SPAN: i64 = 36;

/// The shortest last word searched as a prefix. Shorter ones are whole
/// words: a Vietnamese syllable is 2-5 letters, so "pho" as a prefix would
/// find "phong" and "phoi" for "thành phố", and expanding a short prefix
/// reads the postings of every word it starts (~20 ms for "pho" in a
/// million entries).
const MIN_PREFIX_CHARS: usize = 4;

/// What a search looks for: folded words, all required, the last one as a
/// prefix when it is long enough (search as you type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    words: Vec<String>,
    prefix_last: bool,
}

impl SearchTerms {
    /// `None` when the text holds no word (only punctuation): nothing
    /// matches.
    pub fn parse(q: &str) -> Option<SearchTerms> {
        let folded = crate::text::fold(q);
        let words: Vec<String> = crate::text::words(&folded)
            .filter(|w| w.len() <= 100)
            .take(32)
            .map(str::to_owned)
            .collect();
        let prefix_last = words.last()?.chars().count() >= MIN_PREFIX_CHARS;
        Some(SearchTerms { words, prefix_last })
    }

    /// The words ANDed as a tsquery, each lexeme preceded by `mark`.
    fn tsquery(&self, mark: &str) -> String {
        let last = self.words.len() - 1;
        let parts: Vec<String> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let prefix = if i == last && self.prefix_last {
                    ":*"
                } else {
                    ""
                };
                format!("'{mark}{w}'{prefix}")
            })
            .collect();
        parts.join(" & ")
    }
}

/// Relevance, most relevant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// Every word in the title.
    Title,
    /// The words anywhere, not all in the title.
    Anywhere,
}

impl Tier {
    /// As carried in a cursor's rank.
    fn rank(self) -> f32 {
        match self {
            Tier::Title => 1.0,
            Tier::Anywhere => 0.0,
        }
    }

    fn of_rank(rank: Option<f32>) -> Tier {
        match rank {
            Some(r) if r < 0.5 => Tier::Anywhere,
            _ => Tier::Title,
        }
    }
}

/// Up to this many dated marks (days × words) a title probe names them;
/// beyond, it asks for the undated marks within the range's buckets.
const MAX_DATED_MARKS: usize = 256;

/// The tsquery of one probe: `tier`'s matches within `range`.
fn probe_tsquery(tier: Tier, terms: &SearchTerms, range: &Range) -> String {
    let within = |query: String| match range.buckets() {
        Some(buckets) => format!("{query} & ({buckets})"),
        None => query,
    };
    match tier {
        Tier::Title => match range.days() {
            Some(days) if days.len() * terms.words.len() <= MAX_DATED_MARKS => days
                .iter()
                .map(|d| format!("({})", terms.tsquery(&format!("^{}:", d.format("%Y%m%d")))))
                .collect::<Vec<_>>()
                .join(" | "),
            _ => within(terms.tsquery("^")),
        },
        Tier::Anywhere => within(format!("{} & !({})", terms.tsquery(""), terms.tsquery("^"))),
    }
}

/// A search page: the rest of the cursor's tier, then the next tier, each
/// probed from its newest possible day back (see the module comment).
pub(super) async fn search_entries(
    pool: &PgPool,
    f: &EntryFilter,
    terms: &SearchTerms,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let want = limit + 1;
    let first = Tier::of_rank(f.cursor.and_then(|c| c.rank));
    let tiers = [Tier::Title, Tier::Anywhere];
    let mut rows: Vec<EntryRow> = Vec::new();
    for tier in tiers.into_iter().skip_while(|t| *t != first) {
        let cursor = if tier == first { f.cursor } else { None };
        let found = probe_tier(pool, f, terms, tier, cursor, want - rows.len() as i64).await?;
        rows.extend(found);
        if rows.len() as i64 >= want {
            break;
        }
    }
    Ok(page_of(rows, limit))
}

/// The newest `need` matches of one tier below `cursor`: probes ranges of
/// days further and further back until they hold `need` rows or reach
/// `since` or the beginning.
async fn probe_tier(
    pool: &PgPool,
    f: &EntryFilter,
    terms: &SearchTerms,
    tier: Tier,
    cursor: Option<super::Cursor>,
    need: i64,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    // Nothing is dated after the fetch that stored it: tomorrow covers a
    // clock a little ahead.
    let mut newest = Utc::now().date_naive() + Duration::days(1);
    if let Some(c) = cursor {
        newest = newest.min(c.at.date_naive());
    }
    if let Some(until) = f.until {
        newest = newest.min((until - Duration::microseconds(1)).date_naive());
    }
    let oldest = f.since.map(|s| s.date_naive());
    let mut rows: Vec<EntryRow> = Vec::new();
    let mut covered = 0;
    let mut span = FIRST_SPAN_DAYS;
    loop {
        let range = Range::back_from(newest - Duration::days(covered), span);
        let last = range.is_all() || oldest.is_some_and(|o| range.oldest <= o);
        let query = probe_tsquery(tier, terms, &range);
        let mut qb = probe(f, query, tier, &range, cursor, need - rows.len() as i64);
        let found: Vec<EntryRow> = qb.build_query_as().fetch_all(pool).await?;
        tracing::debug!(?tier, newest = %range.newest, oldest = %range.oldest, found = found.len(), "search probe");
        rows.extend(found);
        covered += span;
        if last || rows.len() as i64 >= need {
            return Ok(rows);
        }
        span = next_span(covered, rows.len() as i64, need);
    }
}

/// How many days further back to probe after `covered` days held `found`
/// of the `need` rows: enough for the rest at the density seen, with a
/// margin, and at least as many days again.
fn next_span(covered: i64, found: i64, need: i64) -> i64 {
    if found == 0 {
        return covered * 8;
    }
    let more = (covered as f64 * 1.5 * (need - found) as f64 / found as f64).ceil() as i64;
    more.max(covered)
}

/// The days a probe covers, newest and oldest included, named in the query
/// as day lexemes, or month lexemes for a long range; a very long one is
/// the rest of the archive.
#[derive(Debug, PartialEq, Eq)]
struct Range {
    newest: NaiveDate,
    oldest: NaiveDate,
}

impl Range {
    fn back_from(newest: NaiveDate, days: i64) -> Range {
        let oldest = if days > MAX_DAY_SPAN
            && month_index(newest) - month_index(newest - Duration::days(days - 1))
                >= MAX_MONTH_SPAN
        {
            NaiveDate::MIN
        } else {
            newest - Duration::days(days - 1)
        };
        Range { newest, oldest }
    }

    fn is_all(&self) -> bool {
        self.oldest == NaiveDate::MIN
    }

    /// Each day, newest first, when the range is short enough to name days.
    fn days(&self) -> Option<Vec<NaiveDate>> {
        let days = (self.newest - self.oldest).num_days() + 1;
        if self.is_all() || days > MAX_DAY_SPAN {
            return None;
        }
        Some(
            (0..days)
                .map(|back| self.newest - Duration::days(back))
                .collect(),
        )
    }

    /// The day or month buckets ORed, or `None` for the rest of the archive.
    fn buckets(&self) -> Option<String> {
        if self.is_all() {
            return None;
        }
        let lexemes: Vec<String> = match self.days() {
            Some(days) => days
                .iter()
                .map(|d| format!("'~d{}'", d.format("%Y%m%d")))
                .collect(),
            None => (month_index(self.oldest)..=month_index(self.newest))
                .rev()
                .map(|i| format!("'~m{:04}{:02}'", i.div_euclid(12), i.rem_euclid(12) + 1))
                .collect(),
        };
        Some(lexemes.join(" | "))
    }
}

/// Months since year 0, for month arithmetic.
fn month_index(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// One probe: the newest `need` matches of `tier` within `range`, below
/// the cursor, with the filters; `entries` is read for the rows found only.
///
/// The matches are found in `entry_search` alone, through its GIN index:
/// its rows carry the source and the date the filters need. For a
/// channel (one version per story), `entries` is joined after, behind an
/// `OFFSET 0` fence: joined directly, the planner walked `entries` by date
/// and tested each row's vector, which read every entry of the range when
/// the words matched nothing in the channel (~2 s at 270,000 entries; the
/// same search without a channel took 15 ms).
fn probe<'a>(
    f: &EntryFilter,
    query: String,
    tier: Tier,
    range: &Range,
    cursor: Option<super::Cursor>,
    need: i64,
) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, "
    ));
    qb.push_bind(tier.rank())
        .push("::real AS rank FROM (SELECT ");
    if f.one_per_story {
        qb.push("e.id, e.sort_at FROM (SELECT e.entry_id, e.sort_at FROM entry_search e ");
    } else {
        qb.push("e.entry_id AS id, e.sort_at FROM entry_search e ");
    }
    // Inside, `e` is `entry_search`, which carries source_id and sort_at,
    // so the shared filters apply as they are.
    if f.tag.is_some() {
        qb.push("JOIN sources src ON src.id = e.source_id ");
    }
    qb.push("WHERE e.search @@ ")
        .push_bind(query)
        .push("::tsquery AND e.sort_at < ")
        .push_bind(start_of(range.newest + Duration::days(1)));
    if !range.is_all() {
        qb.push(" AND e.sort_at >= ")
            .push_bind(start_of(range.oldest));
    }
    push_filters(&mut qb, f);
    push_before(&mut qb, "e.sort_at, e.entry_id", cursor);
    let id = if f.one_per_story {
        qb.push(" OFFSET 0) found JOIN entries e ON e.id = found.entry_id WHERE TRUE");
        push_one_per_story(&mut qb, f);
        "e.id"
    } else {
        "e.entry_id"
    };
    qb.push(format!(" ORDER BY e.sort_at DESC, {id} DESC LIMIT "))
        .push_bind(need)
        .push(
            ") m JOIN entries e ON e.id = m.id JOIN sources src ON src.id = e.source_id
             ORDER BY m.sort_at DESC, m.id DESC",
        );
    qb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn terms(q: &str) -> String {
        SearchTerms::parse(q).unwrap().tsquery("")
    }

    #[test]
    fn terms_fold_and_prefix() {
        assert_eq!(terms("Hải Phòng"), "'hai' & 'phong':*");
        assert_eq!(terms("đảng ủy"), "'dang' & 'uy'");
        assert_eq!(
            terms("thành phố"),
            "'thanh' & 'pho'",
            "a short last word is a whole word, not the start of 'phong'"
        );
        assert_eq!(terms("singa"), "'singa':*");
        assert_eq!(SearchTerms::parse(" !!! "), None);
    }

    #[test]
    fn tiers_split_title_matches_from_the_rest() {
        let t = SearchTerms::parse("Hải Phòng").unwrap();
        let newest = day(2026, 1, 2);
        assert_eq!(
            probe_tsquery(Tier::Title, &t, &Range::back_from(newest, 2)),
            "('^20260102:hai' & '^20260102:phong':*) | ('^20260101:hai' & '^20260101:phong':*)",
            "recent title matches: the dated marks"
        );
        assert_eq!(
            probe_tsquery(Tier::Title, &t, &Range::back_from(newest, 90)),
            "'^hai' & '^phong':* & ('~m202601' | '~m202512' | '~m202511' | '~m202510')",
        );
        assert_eq!(
            probe_tsquery(Tier::Anywhere, &t, &Range::back_from(newest, 2)),
            "'hai' & 'phong':* & !('^hai' & '^phong':*) & ('~d20260102' | '~d20260101')"
        );
        assert_eq!(
            probe_tsquery(Tier::Anywhere, &t, &Range::back_from(newest, 50_000)),
            "'hai' & 'phong':* & !('^hai' & '^phong':*)"
        );
        // Many words over many days: undated marks within day buckets.
        let long = SearchTerms::parse("a b c d e f g h i j").unwrap();
        let q = probe_tsquery(Tier::Title, &long, &Range::back_from(newest, 30));
        assert!(
            q.starts_with("'^a' & '^b'") && q.contains("'~d20251204'"),
            "{q}"
        );
        assert_eq!(Tier::of_rank(None), Tier::Title);
        assert_eq!(Tier::of_rank(Some(Tier::Anywhere.rank())), Tier::Anywhere);
        assert_eq!(Tier::of_rank(Some(Tier::Title.rank())), Tier::Title);
    }

    #[test]
    fn ranges_name_days_then_months_then_everything() {
        let newest = day(2026, 1, 3);
        let r = Range::back_from(newest, 3);
        assert_eq!(r.oldest, day(2026, 1, 1));
        assert_eq!(
            r.buckets().as_deref(),
            Some("'~d20260103' | '~d20260102' | '~d20260101'")
        );
        let r = Range::back_from(newest, 90);
        assert_eq!(r.oldest, day(2025, 10, 6));
        assert_eq!(r.days(), None);
        assert_eq!(
            r.buckets().as_deref(),
            Some("'~m202601' | '~m202512' | '~m202511' | '~m202510'"),
            "the months the range touches; the dates bound it exactly"
        );
        let r = Range::back_from(newest, 5000);
        assert!(r.is_all());
        assert_eq!(r.buckets(), None);
    }

    #[test]
    fn probes_widen_to_the_density_seen() {
        assert_eq!(next_span(2, 0, 51), 16);
        // 10 of 51 rows in 2 days: 41 more need ~8 days, with a margin 13.
        assert_eq!(next_span(2, 10, 51), 13);
        // Nearly full: at least as many days again.
        assert_eq!(next_span(8, 50, 51), 8);
    }
}
