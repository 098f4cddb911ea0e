//! Fixture dates moved to the run. The feeds under `tests/data` were
//! written as of [`FIXTURE_TODAY`]; tests serve them as if that day were
//! today, so an item is as old on any run as it was when the fixture was
//! written (give or take the hours of one day), whatever the calendar says.
//!
//! The shift is a whole number of days, applied to the date part of each
//! date element only (`<pubDate>`, `<updated>`, `<dc:date>`, JSON Feed
//! `date_*`, ...): times, zones and every quirk of the written form stay as
//! they are, and a weekday name turns with its date (a deliberately wrong
//! weekday stays wrong by the same amount). Text and links are untouched.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use regex::bytes::{Captures, Regex};
use unicode_normalization::UnicodeNormalization;

/// The day the fixtures were written for: every fixture date is before it.
pub const FIXTURE_TODAY: (i32, u32, u32) = (2026, 11, 27);

/// How far the fixtures move: whole days from [`FIXTURE_TODAY`] to today
/// (UTC). Read once per test binary, so a run that crosses midnight serves
/// the same bytes twice.
pub fn shift() -> Duration {
    static SHIFT: OnceLock<Duration> = OnceLock::new();
    *SHIFT.get_or_init(|| Utc::now().date_naive() - fixture_today())
}

fn fixture_today() -> NaiveDate {
    let (y, m, d) = FIXTURE_TODAY;
    NaiveDate::from_ymd_opt(y, m, d).expect("fixture day")
}

/// A fixture instant (RFC 3339) as served on this run.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339:?}: {e}"))
        .with_timezone(&Utc)
        + shift()
}

/// A feed document with every date element moved by [`shift`].
pub fn redate(doc: &[u8]) -> Vec<u8> {
    redate_by(doc, shift().num_days())
}

/// A date element: its start tag, then its value.
fn date_element() -> &'static Regex {
    static ELEMENT: OnceLock<Regex> = OnceLock::new();
    ELEMENT.get_or_init(|| {
        Regex::new(
            r"(?-u)(<(?:[A-Za-z0-9]+:)?(?:pubDate|lastBuildDate|published|updated|issued|modified|created|date)(?:\s[^>]*)?>)([^<]*)",
        )
        .expect("element regex")
    })
}

fn redate_by(doc: &[u8], days: i64) -> Vec<u8> {
    static JSON: OnceLock<Regex> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        Regex::new(r#"(?-u)("date_(?:published|modified)"\s*:\s*")([^"]*)"#).expect("json regex")
    });
    let moved = |c: &Captures<'_>| [&c[1], redate_value(&c[2], days).as_slice()].concat();
    let doc = date_element().replace_all(doc, moved);
    json.replace_all(&doc, moved).into_owned()
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The written forms of a date that fixtures use, each rewritten in kind.
enum Form {
    /// `2026-11-25`
    Iso,
    /// `25/11/2026`, `5/1/2026`
    DayMonthYear,
    /// `25 Nov 2026`, `5 November 2026`
    DayNameYear,
    /// `Nov 25, 2026`
    NameDayYear,
}

fn forms() -> &'static [(Form, Regex)] {
    static FORMS: OnceLock<Vec<(Form, Regex)>> = OnceLock::new();
    FORMS.get_or_init(|| {
        let month = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)([a-z]*)";
        [
            (Form::Iso, r"\b(20\d\d)-(\d\d)-(\d\d)".to_owned()),
            (
                Form::DayMonthYear,
                r"\b(\d{1,2})/(\d{1,2})/(20\d\d)\b".to_owned(),
            ),
            (
                Form::DayNameYear,
                format!(r"\b(\d{{1,2}})([ -]){month}([ -])(20\d\d)\b"),
            ),
            (
                Form::NameDayYear,
                format!(r"\b{month} (\d{{1,2}})(,?) (20\d\d)\b"),
            ),
        ]
        .into_iter()
        // Bytes, not text: fixtures come in legacy encodings too.
        .map(|(f, re)| (f, Regex::new(&format!("(?-u){re}")).expect("date regex")))
        .collect()
    })
}

fn num(c: &Captures<'_>, i: usize) -> u32 {
    std::str::from_utf8(&c[i])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn month_of(name: &[u8]) -> u32 {
    MONTHS
        .iter()
        .position(|m| m.as_bytes()[..3] == name[..3])
        .map_or(0, |i| i as u32 + 1)
}

/// Writes `d` as `c` wrote its date: same form, widths and month spelling.
fn write_like(form: &Form, c: &Captures<'_>, d: NaiveDate) -> String {
    let width = |i: usize| c[i].len();
    let text = |i: usize| String::from_utf8_lossy(&c[i]).into_owned();
    let month_name = |i: usize| {
        let full = MONTHS[d.month0() as usize];
        // "Nov" stays short, "November" stays long.
        if c[i].len() + c[i + 1].len() > 3 {
            full.to_owned()
        } else {
            full[..3].to_owned()
        }
    };
    match form {
        Form::Iso => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        Form::DayMonthYear => format!(
            "{:0w1$}/{:0w2$}/{:04}",
            d.day(),
            d.month(),
            d.year(),
            w1 = width(1),
            w2 = width(2)
        ),
        Form::DayNameYear => format!(
            "{:0w$}{}{}{}{:04}",
            d.day(),
            text(2),
            month_name(3),
            text(5),
            d.year(),
            w = width(1)
        ),
        Form::NameDayYear => format!(
            "{} {:0w$}{} {:04}",
            month_name(1),
            d.day(),
            text(4),
            d.year(),
            w = width(3)
        ),
    }
}

/// The date a form's captures name, if it is one.
fn date_of(form: &Form, c: &Captures<'_>) -> Option<NaiveDate> {
    let (y, m, d) = match form {
        Form::Iso => (num(c, 1), num(c, 2), num(c, 3)),
        Form::DayMonthYear => (num(c, 3), num(c, 2), num(c, 1)),
        Form::DayNameYear => (num(c, 6), month_of(&c[3]), num(c, 1)),
        Form::NameDayYear => (num(c, 5), month_of(&c[1]), num(c, 3)),
    };
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// The first written date in `v`: its form, captures and day.
fn find_date(v: &[u8]) -> Option<(&'static Form, Captures<'_>, NaiveDate)> {
    forms().iter().find_map(|(form, re)| {
        let c = re.captures(v)?;
        let date = date_of(form, &c)?;
        Some((form, c, date))
    })
}

/// The value of one date element with its date (and weekday) moved.
fn redate_value(v: &[u8], days: i64) -> Vec<u8> {
    let Some((form, c, date)) = find_date(v) else {
        return v.to_vec();
    };
    let range = c.get(0).map_or(0..0, |m| m.range());
    let written = write_like(form, &c, date + Duration::days(days));
    let mut out = turn_weekday(&v[..range.start], days);
    out.extend_from_slice(written.as_bytes());
    out.extend_from_slice(&v[range.end..]);
    out
}

/// The Vietnamese names in windows-1258 as Vietnamese software writes it:
/// letters with a horn, breve or circumflex precomposed, tones as
/// combining marks after them ("Thứ" is T h ư U+0301).
const CP1258_WORDS: [&[u8]; 7] = [
    b"Th\xFD\xEC hai",
    b"Th\xFD\xEC ba",
    b"Th\xFD\xEC t\xFD",
    b"Th\xFD\xEC n\xE3m",
    b"Th\xFD\xEC sa\xECu",
    b"Th\xFD\xEC ba\xD2y",
    b"Chu\xD2 nh\xE2\xF2t",
];
const CP1258_DIGITS: [&[u8]; 7] = [
    b"Th\xFD\xEC 2",
    b"Th\xFD\xEC 3",
    b"Th\xFD\xEC 4",
    b"Th\xFD\xEC 5",
    b"Th\xFD\xEC 6",
    b"Th\xFD\xEC 7",
    b"Chu\xD2 nh\xE2\xF2t",
];

/// Weekday names, Monday first, in each spelling fixtures use.
fn weekday_families() -> &'static [Vec<Vec<u8>>] {
    static FAMILIES: OnceLock<Vec<Vec<Vec<u8>>>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        let english = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        let vietnamese = [
            "Thứ hai",
            "Thứ ba",
            "Thứ tư",
            "Thứ năm",
            "Thứ sáu",
            "Thứ bảy",
            "Chủ nhật",
        ];
        let digits = [
            "Thứ 2",
            "Thứ 3",
            "Thứ 4",
            "Thứ 5",
            "Thứ 6",
            "Thứ 7",
            "Chủ nhật",
        ];
        let bytes = |names: &[&str], f: &dyn Fn(&str) -> Vec<u8>| -> Vec<Vec<u8>> {
            names.iter().map(|n| f(n)).collect()
        };
        let nfc = |s: &str| s.nfc().collect::<String>().into_bytes();
        let nfd = |s: &str| s.nfd().collect::<String>().into_bytes();
        vec![
            bytes(&english, &nfc),
            bytes(&english, &|s| s.as_bytes()[..3].to_vec()),
            bytes(&vietnamese, &nfc),
            bytes(&vietnamese, &nfd),
            CP1258_WORDS.iter().map(|n| n.to_vec()).collect(),
            bytes(&digits, &nfc),
            bytes(&digits, &nfd),
            CP1258_DIGITS.iter().map(|n| n.to_vec()).collect(),
        ]
    })
}

/// Where `name` stands as a word of its own in `head`: decomposed "Thứ"
/// starts with "Thu", and decomposed "Thứ ba" is the start of "Thứ bảy".
fn word_at(head: &[u8], name: &[u8]) -> Option<usize> {
    // Bytes that continue a word: letters, digits, anything not ASCII
    // (a combining mark, the rest of a letter).
    let continues = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b >= 0x80);
    (0..=head.len().checked_sub(name.len())?).find(|&at| {
        head[at..].starts_with(name)
            && !continues(at.checked_sub(1).and_then(|i| head.get(i)))
            && !continues(head.get(at + name.len()))
    })
}

/// `head` (what precedes a date) with its weekday name turned by `days`.
fn turn_weekday(head: &[u8], days: i64) -> Vec<u8> {
    for family in weekday_families() {
        for (i, name) in family.iter().enumerate() {
            if let Some(at) = word_at(head, name) {
                let next = &family[(i as i64 + days).rem_euclid(7) as usize];
                return [&head[..at], next.as_slice(), &head[at + name.len()..]].concat();
            }
        }
    }
    head.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(v: &str, days: i64) -> String {
        String::from_utf8(redate_by(v.as_bytes(), days)).unwrap()
    }

    #[test]
    fn every_written_form_moves_in_kind() {
        let cases = [
            (
                "<pubDate>Wed, 25 Nov 2026 07:30:00 +0700</pubDate>",
                "<pubDate>Mon, 07 Dec 2026 07:30:00 +0700</pubDate>",
            ),
            (
                "<pubDate>Thứ tư, 25/11/2026 06:00</pubDate>",
                "<pubDate>Thứ hai, 07/12/2026 06:00</pubDate>",
            ),
            (
                "<pubDate>25/11/2026 07:30</pubDate>",
                "<pubDate>07/12/2026 07:30</pubDate>",
            ),
            (
                "<updated>2026-11-25T08:00:00+07:00</updated>",
                "<updated>2026-12-07T08:00:00+07:00</updated>",
            ),
            (
                "<dc:date>November 25, 2026 7:30 AM</dc:date>",
                "<dc:date>December 07, 2026 7:30 AM</dc:date>",
            ),
            (
                r#""date_published": "2026-11-25T12:00:00Z""#,
                r#""date_published": "2026-12-07T12:00:00Z""#,
            ),
            // Not a date element: left alone.
            (
                "<title>Sáng 25/11/2026</title>",
                "<title>Sáng 25/11/2026</title>",
            ),
            // Not a date: left alone.
            ("<pubDate>Th</pubDate>", "<pubDate>Th</pubDate>"),
        ];
        for (from, to) in cases {
            assert_eq!(moved(from, 12), to, "{from}");
        }
    }

    #[test]
    fn a_wrong_weekday_stays_wrong_by_as_much() {
        // 25 Nov 2026 is a Wednesday; the fixture says Monday.
        assert_eq!(
            moved("<pubDate>Mon, 25 Nov 2026 07:30:00 +0700</pubDate>", 1),
            "<pubDate>Tue, 26 Nov 2026 07:30:00 +0700</pubDate>"
        );
    }

    #[test]
    fn decomposed_saturday_is_not_read_as_tuesday() {
        let nfd = |s: &str| s.nfd().collect::<String>();
        let doc = nfd("<pubDate>Thứ bảy, 28/11/2026 06:00</pubDate>");
        let want = nfd("<pubDate>Chủ nhật, 29/11/2026 06:00</pubDate>");
        assert_eq!(moved(&doc, 1), want);
    }

    #[test]
    fn windows_1258_names_are_the_vietnamese_names() {
        for (family, words) in [(CP1258_WORDS, 2), (CP1258_DIGITS, 5)] {
            for (name, want) in family.iter().zip(&weekday_families()[words]) {
                let (text, _, bad) = encoding_rs::WINDOWS_1258.decode(name);
                assert!(!bad);
                assert_eq!(text.nfc().collect::<String>().as_bytes(), want.as_slice());
            }
        }
    }

    #[test]
    fn windows_1258_weekdays_turn_in_their_own_bytes() {
        let doc = b"<pubDate>Th\xFD\xEC t\xFD, 25/11/2026 06:00</pubDate>";
        let want = b"<pubDate>Th\xFD\xEC n\xE3m, 26/11/2026 06:00</pubDate>";
        assert_eq!(redate_by(doc, 1), want);
    }

    #[test]
    fn every_fixture_is_dated_before_the_day_it_was_written_for() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut seen = 0;
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if !e.path().is_file() {
                continue;
            }
            let bytes = std::fs::read(e.path()).unwrap();
            for c in date_element().captures_iter(&bytes) {
                let Some((_, _, d)) = find_date(&c[2]) else {
                    continue;
                };
                seen += 1;
                // The one far-future date is there on purpose (a scheduled post).
                assert!(
                    d < fixture_today() || d.year() >= 2100,
                    "{}: {d} is not before the fixture day",
                    e.path().display()
                );
            }
        }
        // The labelled dedup set, shifted from its `published` fields.
        let set: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("dedup/set.json")).unwrap()).unwrap();
        for a in set["articles"].as_array().unwrap() {
            let at = DateTime::parse_from_rfc3339(a["published"].as_str().unwrap()).unwrap();
            seen += 1;
            assert!(at.date_naive() < fixture_today(), "{}: {at}", a["id"]);
        }
        assert!(seen > 100, "{seen} dates found");
    }
}
