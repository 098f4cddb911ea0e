//! Full-text search over `entry_search`: the newest [`SEARCH_WINDOW`]
//! matches, ranked by relevance, then recency.
//!
//! Finding the newest matches of a common word used to mean reading every
//! match from the heap (~7,000 blocks for a word in 1 % of a million
//! entries) to sort them by date. Each vector also holds its entry's day and
//! month as lexemes (`~d20261126`, `~m202611`, migration 0007), so a search
//! first asks the GIN index for matches within recent days only, widening
//! the range until the window is full: the heap is read for about the
//! matches that are ranked, not for all of them.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::{
    page_of, push_filters, push_one_per_story, EntryFilter, EntryRow, Page, ENTRY_COLUMNS,
};

/// How many of the newest matches a search ranks: relevance is ordered
/// within them (narrow with `since`/`until`/`source` to reach further back).
/// Ranking every match of a common word costs seconds on a million entries.
pub const SEARCH_WINDOW: i64 = 1000;

/// The first probe: today and yesterday.
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

/// Builds a tsquery from free text: folded words ANDed, the last one as a
/// prefix when it is long enough (search as you type).
pub fn search_query(q: &str) -> Option<String> {
    let folded = crate::text::fold(q);
    let words: Vec<&str> = crate::text::words(&folded)
        .filter(|w| w.len() <= 100)
        .take(32)
        .collect();
    let (last, rest) = words.split_last()?;
    let mut parts: Vec<String> = rest.iter().map(|w| format!("'{w}'")).collect();
    if last.chars().count() >= MIN_PREFIX_CHARS {
        parts.push(format!("'{last}':*"));
    } else {
        parts.push(format!("'{last}'"));
    }
    Some(parts.join(" & "))
}

/// A search page. Probes recent ranges first (see the module comment); a
/// probe whose window is full holds the newest matches, since nothing is
/// newer than today.
pub(super) async fn search_entries(
    pool: &PgPool,
    f: &EntryFilter,
    tsquery: &str,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let today = Utc::now().date_naive();
    let mut span = FIRST_SPAN_DAYS;
    loop {
        let scope = Scope::covering(today, span);
        // A range reaching back past `since` already holds every match.
        let last = match (&scope, f.since) {
            (Scope::All, _) => true,
            (_, Some(since)) => scope.start(today) <= since.date_naive(),
            _ => false,
        };
        let query = match scope.tsquery(today) {
            Some(buckets) => format!("({tsquery}) & ({buckets})"),
            None => tsquery.to_owned(),
        };
        let rows: Vec<EntryRow> = build(f, &query, tsquery, limit)
            .build_query_as()
            .fetch_all(pool)
            .await?;
        let found = rows.first().and_then(|r| r.window_rows);
        // An empty page says nothing about the window (a cursor past the
        // end): only the whole archive is sure.
        match found {
            Some(n) if n >= SEARCH_WINDOW || last => return Ok(page_of(rows, limit)),
            None if last => return Ok(page_of(rows, limit)),
            _ => span = next_span(span, found.unwrap_or(0)),
        }
    }
}

/// The next range to probe after `span` days held `found` matches: wide
/// enough for the window at the density seen, with a margin, and at least
/// twice as wide.
fn next_span(span: i64, found: i64) -> i64 {
    if found == 0 {
        return span * 8;
    }
    let needed = (span as f64 * 1.5 * SEARCH_WINDOW as f64 / found as f64).ceil() as i64;
    needed.max(span * 2)
}

/// The time range a probe covers, as bucket lexemes.
#[derive(Debug, PartialEq, Eq)]
enum Scope {
    /// Today (and tomorrow, for clocks a little ahead) back `n - 1` days.
    Days(i64),
    /// This month (and the next) back `n - 1` months.
    Months(i64),
    All,
}

impl Scope {
    fn covering(today: NaiveDate, span_days: i64) -> Scope {
        if span_days <= MAX_DAY_SPAN {
            return Scope::Days(span_days.max(1));
        }
        let start = today - Duration::days(span_days - 1);
        let months = month_index(today) - month_index(start) + 1;
        if months <= MAX_MONTH_SPAN {
            Scope::Months(months)
        } else {
            Scope::All
        }
    }

    /// The first day the scope covers.
    fn start(&self, today: NaiveDate) -> NaiveDate {
        match self {
            Scope::Days(n) => today - Duration::days(n - 1),
            Scope::Months(n) => {
                let index = month_index(today) - (n - 1);
                NaiveDate::from_ymd_opt(
                    index.div_euclid(12) as i32,
                    index.rem_euclid(12) as u32 + 1,
                    1,
                )
                .unwrap_or(NaiveDate::MIN)
            }
            Scope::All => NaiveDate::MIN,
        }
    }

    /// The buckets ORed, or `None` for the whole archive.
    fn tsquery(&self, today: NaiveDate) -> Option<String> {
        let lexemes: Vec<String> = match self {
            Scope::Days(n) => (-1..*n)
                .map(|back| today - Duration::days(back))
                .map(|d| format!("'~d{}'", d.format("%Y%m%d")))
                .collect(),
            Scope::Months(n) => (-1..*n)
                .map(|back| month_index(today) - back)
                .map(|i| format!("'~m{:04}{:02}'", i.div_euclid(12), i.rem_euclid(12) + 1))
                .collect(),
            Scope::All => return None,
        };
        Some(lexemes.join(" | "))
    }
}

/// Months since year 0, for month arithmetic.
fn month_index(d: NaiveDate) -> i64 {
    d.year() as i64 * 12 + d.month0() as i64
}

/// One probe: the newest [`SEARCH_WINDOW`] rows matching `query` and the
/// filters, ranked by the words of `tsquery` ORed (ts_rank of an AND query
/// measures proximity, which our one-position lexemes do not have), with
/// the window's size on every row. Ranks while the search row is at hand,
/// and reads entries only for the page, not for the whole window.
fn build<'a>(
    f: &EntryFilter,
    query: &str,
    tsquery: &str,
    limit: i64,
) -> QueryBuilder<'a, Postgres> {
    let rank_query = tsquery.replace(" & ", " | ");
    let mut qb = QueryBuilder::new(
        "WITH matches AS (SELECT e.entry_id AS id, e.sort_at, ts_rank(e.search, ",
    );
    qb.push_bind(rank_query)
        .push("::tsquery) AS rank FROM entry_search e ");
    // `e` is the narrow search table here, so the shared filters apply as
    // they are; `src` is needed for tags only.
    if f.tag.is_some() {
        qb.push("JOIN sources src ON src.id = e.source_id ");
    }
    qb.push("WHERE e.search @@ ")
        .push_bind(query.to_owned())
        .push("::tsquery");
    push_filters(&mut qb, f);
    qb.push(" ORDER BY e.sort_at DESC, e.entry_id DESC LIMIT ")
        .push_bind(SEARCH_WINDOW)
        .push("), page AS (SELECT m.* FROM matches m ");
    if f.one_per_story {
        qb.push("JOIN entries e ON e.id = m.id ");
    }
    qb.push("WHERE TRUE");
    push_one_per_story(&mut qb, f);
    if let Some(c) = f.cursor {
        qb.push(" AND (m.rank, m.sort_at, m.id) < (")
            .push_bind(c.rank.unwrap_or(f32::MAX))
            .push("::real, ")
            .push_bind(c.at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    qb.push(" ORDER BY m.rank DESC, m.sort_at DESC, m.id DESC LIMIT ")
        .push_bind(limit + 1);
    qb.push(format!(
        ") SELECT {ENTRY_COLUMNS}, NULL::timestamptz AS story_sort_at, r.rank,
                (SELECT count(*) FROM matches) AS window_rows
         FROM page r JOIN entries e ON e.id = r.id JOIN sources src ON src.id = e.source_id
         ORDER BY r.rank DESC, r.sort_at DESC, r.id DESC"
    ));
    qb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn search_query_folds_and_prefixes() {
        assert_eq!(
            search_query("Hải Phòng").as_deref(),
            Some("'hai' & 'phong':*")
        );
        assert_eq!(search_query("đảng ủy").as_deref(), Some("'dang' & 'uy'"));
        assert_eq!(
            search_query("thành phố").as_deref(),
            Some("'thanh' & 'pho'"),
            "a short last word is a whole word, not the start of 'phong'"
        );
        assert_eq!(search_query("singa").as_deref(), Some("'singa':*"));
        assert_eq!(search_query(" !!! "), None);
    }

    #[test]
    fn scopes_name_recent_days_then_months_then_everything() {
        let today = day(2026, 1, 2);
        assert_eq!(
            Scope::covering(today, 2).tsquery(today).as_deref(),
            Some("'~d20260103' | '~d20260102' | '~d20260101'")
        );
        assert_eq!(Scope::covering(today, 2).start(today), day(2026, 1, 1));
        let months = Scope::covering(today, 90);
        assert_eq!(months, Scope::Months(4));
        assert_eq!(
            months.tsquery(today).as_deref(),
            Some("'~m202602' | '~m202601' | '~m202512' | '~m202511' | '~m202510'")
        );
        assert_eq!(months.start(today), day(2025, 10, 1));
        assert_eq!(Scope::covering(today, 5000), Scope::All);
        assert_eq!(Scope::All.tsquery(today), None);
    }

    #[test]
    fn probes_widen_to_the_density_seen() {
        assert_eq!(next_span(2, 0), 16);
        // 100 matches in 2 days: 1,000 need ~20 days, with a margin 30.
        assert_eq!(next_span(2, 100), 30);
        // Nearly full: at least double.
        assert_eq!(next_span(8, 990), 16);
    }
}
