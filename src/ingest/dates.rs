//! The lenient date parser. Feeds write dates every way there is: RFC 822
//! with wrong weekdays, ISO 8601 without an offset, `25/11/2026 07:30`,
//! `Thứ tư, 25/11/2026 07:30`, `... ICT`, `... GMT+7`. Dates without an
//! offset are read in the source's time zone (UTC when it has none).

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Regex;

/// Parses `text`; `None` when nothing sensible can be read from it.
pub fn parse_date(text: &str, tz: Option<Tz>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 100 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.with_timezone(&Utc));
    }
    let cleaned = clean(text);
    let (rest, offset) = split_zone(&cleaned);
    let naive = parse_naive(rest.trim())?;
    let utc = match offset {
        Some(off) => off
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
        None => match tz {
            // An ambiguous local time (DST fold) takes the earlier instant.
            Some(tz) => tz
                .from_local_datetime(&naive)
                .earliest()?
                .with_timezone(&Utc),
            None => Utc.from_utc_datetime(&naive),
        },
    };
    // Years like 0026 or 9999 are typos, not dates.
    (1990..=2200)
        .contains(&chrono::Datelike::year(&utc))
        .then_some(utc)
}

static WEEKDAY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    // "Wed, ", "Thứ tư, ", "Chủ nhật, ", "Wednesday " before a digit.
    Regex::new(r"^(?:[^\d,]{2,20},\s*|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s+)")
        .expect("static regex")
});

fn clean(text: &str) -> String {
    let mut s = WEEKDAY_PREFIX.replace(text, "").into_owned();
    // Vietnamese sites: "ngày 25/11/2026 - 07:30", "25/11/2026 | 07:30", "lúc 07:30".
    for noise in ["ngày ", "Ngày ", "lúc ", "Lúc ", " - ", " | ", " -- "] {
        s = s.replace(noise, " ");
    }
    // "07h30" and "7 giờ 30" style times.
    static H_TIME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(\d{1,2})h(\d{2})\b").expect("static regex"));
    let s = H_TIME.replace_all(&s, "$1:$2");
    crate::text::collapse_whitespace(&s)
}

static ZONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s*(?:\((?P<paren>[a-z]{2,5})\)|(?:GMT|UTC|UT)?\s*(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?|(?P<name>GMT|UTC|UT|Z|ICT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|CET|CEST|EET|EEST|BST|JST|KST|WIB|SGT|HKT|AEST|AEDT|IST))$",
    )
    .expect("static regex")
});

fn split_zone(s: &str) -> (&str, Option<FixedOffset>) {
    let Some(caps) = ZONE.captures(s) else {
        return (s, None);
    };
    let Some(whole) = caps.get(0) else {
        return (s, None);
    };
    let rest = &s[..whole.start()];
    // "2026-11-25" ends in "-25": that is a day, not an offset.
    if caps.name("sign").is_some()
        && !rest.contains(':')
        && caps.name("m").is_none()
        && !whole
            .as_str()
            .trim_start()
            .to_ascii_uppercase()
            .starts_with(['G', 'U'])
    {
        return (s, None);
    }
    let offset = if let (Some(sign), Some(h)) = (caps.name("sign"), caps.name("h")) {
        let hours: i32 = h.as_str().parse().ok().filter(|h| *h <= 14).unwrap_or(0);
        let minutes: i32 = caps
            .name("m")
            .and_then(|m| m.as_str().parse().ok())
            .unwrap_or(0);
        let secs = (hours * 3600 + minutes * 60) * if sign.as_str() == "-" { -1 } else { 1 };
        FixedOffset::east_opt(secs)
    } else {
        let name = caps
            .name("name")
            .or(caps.name("paren"))
            .map(|m| m.as_str().to_ascii_uppercase());
        name.and_then(|n| named_offset(&n))
    };
    match offset {
        Some(o) => (rest, Some(o)),
        None => (s, None),
    }
}

fn named_offset(name: &str) -> Option<FixedOffset> {
    let minutes = match name {
        "GMT" | "UTC" | "UT" | "Z" => 0,
        "BST" | "CET" => 60,
        "CEST" | "EET" => 120,
        "EEST" => 180,
        "IST" => 330,
        "ICT" | "WIB" => 420,
        "SGT" | "HKT" => 480,
        "JST" | "KST" => 540,
        "AEST" => 600,
        "AEDT" => 660,
        "EDT" => -240,
        "EST" | "CDT" => -300,
        "CST" | "MDT" => -360,
        "MST" | "PDT" => -420,
        "PST" => -480,
        _ => return None,
    };
    FixedOffset::east_opt(minutes * 60)
}

const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%H:%M:%S %d/%m/%Y",
    "%H:%M %d/%m/%Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M",
    "%b %d %Y %H:%M:%S",
    "%B %d %Y %H:%M:%S",
    "%b %d %Y %H:%M",
    "%B %d %Y %H:%M",
    "%Y%m%dT%H%M%S",
];

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%b %d %Y",
    "%B %d %Y",
];

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    // "Nov 25, 2026" → "Nov 25 2026"; RFC 822 "25 Nov 2026 07:30:00" also lands here
    // when the weekday was wrong or the zone unusual.
    let s = s.replace(',', " ");
    let s = crate::text::collapse_whitespace(&s);
    for f in DATE_TIME_FORMATS {
        if let Ok(d) = NaiveDateTime::parse_from_str(&s, f) {
            return Some(d);
        }
    }
    for f in DATE_FORMATS {
        if let Ok(d) = NaiveDate::parse_from_str(&s, f) {
            return Some(d.and_time(NaiveTime::MIN));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const HCM: Option<Tz> = Some(chrono_tz::Asia::Ho_Chi_Minh);

    #[test]
    fn standard_formats() {
        assert_eq!(
            parse_date("Wed, 25 Nov 2026 07:30:00 +0700", None),
            Some(utc("2026-11-25T00:30:00Z"))
        );
        assert_eq!(
            parse_date("2026-11-25T07:30:00+07:00", None),
            Some(utc("2026-11-25T00:30:00Z"))
        );
        assert_eq!(
            parse_date("Wed, 25 Nov 2026 00:30:00 GMT", None),
            Some(utc("2026-11-25T00:30:00Z"))
        );
    }

    #[test]
    fn wrong_weekday_is_ignored() {
        assert_eq!(
            parse_date("Mon, 25 Nov 2026 07:30:00 +0700", None),
            Some(utc("2026-11-25T00:30:00Z"))
        );
    }

    #[test]
    fn vietnamese_formats_use_the_source_time_zone() {
        let want = Some(utc("2026-11-25T00:30:00Z"));
        assert_eq!(parse_date("25/11/2026 07:30", HCM), want);
        assert_eq!(parse_date("2026-11-25 07:30:00", HCM), want);
        assert_eq!(parse_date("Thứ tư, 25/11/2026 07:30", HCM), want);
        assert_eq!(parse_date("Thứ tư, ngày 25/11/2026 - 07:30", HCM), want);
        assert_eq!(parse_date("07:30 25/11/2026", HCM), want);
        assert_eq!(parse_date("25/11/2026 07h30", HCM), want);
    }

    #[test]
    fn zone_abbreviations_and_gmt_offsets() {
        let want = Some(utc("2026-11-25T00:30:00Z"));
        assert_eq!(parse_date("Wed, 25 Nov 2026 07:30:00 ICT", None), want);
        assert_eq!(parse_date("25 Nov 2026 07:30:00 GMT+7", None), want);
        assert_eq!(parse_date("25/11/2026 07:30 GMT+07:00", None), want);
        assert_eq!(
            parse_date("Tue, 24 Nov 2026 19:30:00 EST", None),
            Some(utc("2026-11-25T00:30:00Z"))
        );
    }

    #[test]
    fn offsetless_without_time_zone_is_utc() {
        assert_eq!(
            parse_date("2026-11-25 07:30:00", None),
            Some(utc("2026-11-25T07:30:00Z"))
        );
        assert_eq!(
            parse_date("2026-11-25", None),
            Some(utc("2026-11-25T00:00:00Z"))
        );
    }

    #[test]
    fn english_long_forms() {
        assert_eq!(
            parse_date("November 25, 2026 07:30:00 +0000", None),
            Some(utc("2026-11-25T07:30:00Z"))
        );
        assert_eq!(
            parse_date("25 November 2026", None),
            Some(utc("2026-11-25T00:00:00Z"))
        );
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(parse_date("hôm qua", HCM), None);
        assert_eq!(parse_date("", None), None);
        assert_eq!(parse_date("99/99/2026 07:30", None), None);
        assert_eq!(parse_date("0026-11-25", None), None);
    }
}
