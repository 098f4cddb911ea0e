//! The search document of an entry: what it is found by. Built in Rust at
//! ingest because PostgreSQL's own `to_tsvector` costs ten times the insert
//! (MEASURED.md); the SQL `search_document` (migrations 0007, 0009) builds
//! the same for backfills, and a test holds the two equal.

use chrono::{DateTime, Datelike, Utc};

use crate::text::{fold, words};

/// What an entry is found by: a `tsvector` literal of every word of title
/// and body, and the title's words again marked `^` (`'^hai'`), and the
/// title's words alone, from which the store adds them marked with the
/// entry's day (`'^20261126:hai'`, migration 0009). Search ranks entries
/// whose title holds every word first and asks the GIN index for those
/// alone by the marks. Built here because PostgreSQL's own `to_tsvector`
/// costs ten times the insert (MEASURED.md); lexemes are folded words
/// (letters and digits), so they need no quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    pub vector: String,
    pub title_words: Vec<String>,
}

pub fn search_document(title: &str, body: &str, max_lexemes: usize) -> SearchDocument {
    let (folded_title, folded_body) = (fold(title), fold(body));
    let mut title_words = lexemes_of(&folded_title);
    title_words.truncate(MAX_TITLE_LEXEMES);
    let mut all = lexemes_of(&folded_body);
    all.truncate(max_lexemes.saturating_sub(title_words.len()));
    all.extend(title_words.iter().copied());
    all.sort_unstable();
    all.dedup();
    let mut vector =
        String::with_capacity(all.iter().chain(&title_words).map(|w| w.len() + 4).sum());
    for w in &all {
        push_lexeme(&mut vector, &[w]);
    }
    for w in &title_words {
        push_lexeme(&mut vector, &["^", w]);
    }
    SearchDocument {
        vector,
        title_words: title_words.into_iter().map(str::to_owned).collect(),
    }
}

/// A title's words beyond this many are searchable, but not as title words.
const MAX_TITLE_LEXEMES: usize = 64;

/// Adds to a [`SearchDocument`]'s vector what depends on the entry's place
/// in time (its UTC day): its title words marked with the day
/// (`'^20261126:hai'`) and the day and month buckets (`'~d20261126'`,
/// `'~m202611'`) that search probes by. What SQL's
/// `search_document(vector, at)` (migrations 0007, 0009) adds for backfills;
/// a test holds the two equal.
pub fn add_dated_search_marks(vector: &mut String, title_words: &[String], at: DateTime<Utc>) {
    // As PostgreSQL's to_char(.., 'YYYY') writes years: BC ones unsigned.
    let year = match at.year() {
        y if y <= 0 => 1 - y,
        y => y,
    };
    let month = format!("{year:04}{:02}", at.month());
    let day = format!("{month}{:02}", at.day());
    for w in title_words {
        push_lexeme(vector, &["^", &day, ":", w]);
    }
    push_lexeme(vector, &["~d", &day]);
    push_lexeme(vector, &["~m", &month]);
}

/// Appends one lexeme, made of `parts`, to a `tsvector` literal. Lexemes
/// are folded words, marks and digits: no quote or backslash to escape.
fn push_lexeme(vector: &mut String, parts: &[&str]) {
    if !vector.is_empty() {
        vector.push(' ');
    }
    vector.push('\'');
    parts.iter().for_each(|p| vector.push_str(p));
    vector.push('\'');
}

/// The lexemes of folded text, sorted and deduplicated, borrowed from it,
/// bounded in length (PostgreSQL rejects lexemes over 2 KB; nobody
/// searches for such words).
fn lexemes_of(folded: &str) -> Vec<&str> {
    let mut lexemes: Vec<&str> = words(folded).filter(|w| w.len() <= 100).collect();
    lexemes.sort_unstable();
    lexemes.dedup();
    lexemes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_marks_are_the_utc_day_of_the_entry() {
        let doc = search_document("Hải Phòng", "Cảng", 100);
        let mut vector = doc.vector.clone();
        // 23:30 at UTC-2 is the next day in UTC.
        let at = DateTime::parse_from_rfc3339("2026-11-25T23:30:00-02:00")
            .unwrap()
            .with_timezone(&Utc);
        add_dated_search_marks(&mut vector, &doc.title_words, at);
        assert_eq!(
            vector,
            format!(
                "{} '^20261126:hai' '^20261126:phong' '~d20261126' '~m202611'",
                doc.vector
            )
        );
        let mut empty = String::new();
        add_dated_search_marks(&mut empty, &[], at);
        assert_eq!(empty, "'~d20261126' '~m202611'");
    }

    #[test]
    fn search_document_marks_title_words() {
        let doc = search_document("Hải Phòng", "Cảng hải phòng mới", 100);
        assert_eq!(doc.vector, "'cang' 'hai' 'moi' 'phong' '^hai' '^phong'");
        assert_eq!(doc.title_words, ["hai", "phong"]);
        // Title words are kept when a long body is cut.
        assert_eq!(
            search_document("Hải Phòng", "a b c d e", 4).vector,
            "'a' 'b' 'hai' 'phong' '^hai' '^phong'"
        );
        assert_eq!(search_document("", "", 100).vector, "");
    }

    #[test]
    fn lexemes_are_folded_and_unique() {
        assert_eq!(
            lexemes_of(&fold("Hải Phòng, hai phong: HẢI!")),
            vec!["hai", "phong"]
        );
    }
}
