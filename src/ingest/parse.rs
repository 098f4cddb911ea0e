//! Parsing with feed-rs (RSS 0.9x/1.0/2.0, Atom, JSON Feed), with our own
//! date parser and without feed-rs's invented ids: an entry without a guid
//! comes back with an empty id and `identity` decides what it is.

use std::borrow::Cow;

use chrono_tz::Tz;
use feed_rs::model::Feed;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed we can read: {0}")]
    Invalid(String),
}

/// A document read: its feed, and what of it could not be.
#[derive(Debug)]
pub struct Parsed {
    pub feed: Feed,
    /// Items or entries the document holds, as written (for XML, counted
    /// in its markup, so entries the parser skipped are still counted).
    pub present: usize,
    /// Fields left out so that their entry (or the feed) could be read.
    pub lost_fields: usize,
    /// Per entry of `feed`, whether it was blank in the markup (no text
    /// and no attribute anywhere in it); empty when that cannot be matched up.
    pub blank: Vec<bool>,
}

impl Parsed {
    /// Entries present in the document that did not come out of the parse.
    pub fn unreadable(&self) -> usize {
        self.present.saturating_sub(self.feed.entries.len())
    }
}

/// Parses decoded feed text. Relative links are left for `normalize`, which
/// resolves them against the site (explicit `xml:base` is honoured here).
/// Leniency is per field: a document feed-rs refuses as a whole is read
/// entry by entry and field by field (see `salvage`).
pub fn parse_feed(text: &str, tz: Option<Tz>) -> Result<Parsed, ParseError> {
    let json = text.trim_start().starts_with('{');
    let parsed = |feed: Feed, lost_fields| {
        let written = if json {
            None
        } else {
            super::salvage::scan_entries(text)
        };
        let present = written.as_ref().map_or(0, Vec::len);
        // Matched up by position only when the parser kept every entry.
        let blank = written
            .filter(|w| w.len() == feed.entries.len())
            .unwrap_or_default();
        Parsed {
            present: present.max(feed.entries.len()),
            feed,
            lost_fields,
            blank,
        }
    };
    let first = match parse_once(text, tz) {
        Ok(feed) => return Ok(parsed(feed, 0)),
        Err(first) => first,
    };
    // One bare `&` ("Q&A", "AT&T") makes the whole document invalid XML;
    // browsers and most readers shrug it off, so do we.
    let repaired = if !json && text.contains('&') {
        let repaired = escape_bare_ampersands(text);
        if repaired != text {
            if let Ok(feed) = parse_once(&repaired, tz) {
                return Ok(parsed(feed, 0));
            }
        }
        Cow::Owned(repaired)
    } else {
        Cow::Borrowed(text)
    };
    let rewritten = super::dialect::for_feed_rs(&repaired);
    match super::salvage::salvage(&rewritten, |t| parse_plain(t, tz)) {
        Some(s) => {
            let mut p = parsed(s.feed, s.lost_fields);
            if json {
                p.present += s.lost_entries;
            }
            Ok(p)
        }
        None => Err(first),
    }
}

fn parse_once(text: &str, tz: Option<Tz>) -> Result<Feed, ParseError> {
    parse_plain(&super::dialect::for_feed_rs(text), tz)
}

/// feed-rs with our settings, on text in a dialect it reads.
fn parse_plain(text: &str, tz: Option<Tz>) -> Result<Feed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_links, _title, _uri| String::new())
        .timestamp_parser(move |s| super::dates::parse_date(s, tz))
        // We sanitize with our own ammonia settings in normalize.
        .sanitize_content(false)
        .build();
    parser
        .parse(text.as_bytes())
        .map_err(|e| ParseError::Invalid(e.to_string()))
}

/// Replaces `&` that does not start an entity or character reference with
/// `&amp;`, leaving CDATA sections alone.
pub fn escape_bare_ampersands(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").map(|i| i + 3).unwrap_or(after.len());
            out.push_str("<![CDATA[");
            out.push_str(&after[..end]);
            rest = &after[end..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c == '&' && !starts_reference(&rest[1..]) {
            out.push_str("&amp;");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn starts_reference(s: &str) -> bool {
    let bytes = s.as_bytes();
    let end = bytes.iter().take(34).position(|b| *b == b';');
    let Some(end) = end else { return false };
    let name = &s[..end];
    if let Some(num) = name.strip_prefix('#') {
        if let Some(hex) = num.strip_prefix(['x', 'X']) {
            return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
        }
        return !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit());
    }
    name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_ampersands_are_escaped_but_references_and_cdata_kept() {
        assert_eq!(
            escape_bare_ampersands(
                "Q&A &amp; AT&T &#7843; &#x1EA3; &nbsp; <![CDATA[a & b]]> & end"
            ),
            "Q&amp;A &amp; AT&amp;T &#7843; &#x1EA3; &nbsp; <![CDATA[a & b]]> &amp; end"
        );
    }

    #[test]
    fn feed_with_a_bare_ampersand_still_parses() {
        let xml = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Tin & Bài</title>
            <item><title>Hỏi & đáp</title><link>https://a.example/1</link></item></channel></rss>"#;
        let feed = parse_feed(xml, None).unwrap().feed;
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "Hỏi & đáp");
    }

    #[test]
    fn entries_without_guid_get_no_invented_id() {
        let xml = r#"<rss version="2.0"><channel><title>t</title><item><title>x</title></item></channel></rss>"#;
        let feed = parse_feed(xml, None).unwrap().feed;
        assert_eq!(feed.entries[0].id, "");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_feed("<html><body>nope</body></html>", None).is_err());
        assert!(parse_feed("", None).is_err());
    }
}

/// `<ttl>`, `<skipHours>`, `<skipDays>` and `sy:updatePeriod`/`sy:updateFrequency`,
/// read from the channel header (feed-rs keeps only `ttl`).
pub fn feed_hints(text: &str, ttl_minutes: Option<u32>) -> crate::schedule::FeedHints {
    use std::sync::LazyLock;
    static SKIP_HOURS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?is)<skipHours>(.*?)</skipHours>").expect("static regex")
    });
    static HOUR: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)<hour>\s*(\d{1,2})\s*</hour>").expect("static regex")
    });
    static SKIP_DAYS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?is)<skipDays>(.*?)</skipDays>").expect("static regex")
    });
    static DAY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)<day>\s*([a-z]+)\s*</day>").expect("static regex")
    });
    static SY_PERIOD: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)<sy:updatePeriod>\s*([a-z]+)\s*</sy:updatePeriod>")
            .expect("static regex")
    });
    static SY_FREQUENCY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)<sy:updateFrequency>\s*(\d+)\s*</sy:updateFrequency>")
            .expect("static regex")
    });

    // Only the channel header: items may quote such markup in their content.
    let end = ["<item", "<entry"]
        .iter()
        .filter_map(|t| text.find(t))
        .min()
        .unwrap_or(text.len());
    // Bounded, and cut on a character boundary (a long Vietnamese channel
    // description puts multi-byte characters anywhere).
    let mut cut = end.min(64 * 1024);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    let mut hints = crate::schedule::FeedHints::default();
    if let Some(block) = SKIP_HOURS.captures(head).and_then(|c| c.get(1)) {
        hints.skip_hours = HOUR
            .captures_iter(block.as_str())
            .filter_map(|c| c[1].parse::<u32>().ok())
            .filter(|h| *h <= 24)
            .map(|h| h % 24)
            .collect();
    }
    if let Some(block) = SKIP_DAYS.captures(head).and_then(|c| c.get(1)) {
        const DAYS: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        hints.skip_days = DAY
            .captures_iter(block.as_str())
            .filter_map(|c| DAYS.iter().position(|d| d.eq_ignore_ascii_case(&c[1])))
            .map(|d| d as u32)
            .collect();
    }
    let sy = SY_PERIOD.captures(head).and_then(|c| {
        let period_secs: u64 = match c[1].to_ascii_lowercase().as_str() {
            "hourly" => 3600,
            "daily" => 86_400,
            "weekly" => 7 * 86_400,
            "monthly" => 30 * 86_400,
            "yearly" => 365 * 86_400,
            _ => return None,
        };
        let frequency: u64 = SY_FREQUENCY
            .captures(head)
            .and_then(|f| f[1].parse().ok())
            .filter(|f| *f > 0)
            .unwrap_or(1);
        Some(std::time::Duration::from_secs(period_secs / frequency))
    });
    let ttl = ttl_minutes
        .filter(|m| *m > 0)
        .map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
    hints.min_interval = match (ttl, sy) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    hints
}

#[cfg(test)]
mod hint_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn channel_hints_are_read() {
        let xml = r#"<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>
            <ttl>60</ttl><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>12</sy:updateFrequency>
            <skipHours><hour>0</hour><hour>1</hour><hour>24</hour></skipHours>
            <skipDays><day>Saturday</day><day>Sunday</day></skipDays>
            <item><description>&lt;skipHours&gt;&lt;hour&gt;5&lt;/hour&gt;&lt;/skipHours&gt;</description></item></channel></rss>"#;
        let h = feed_hints(xml, Some(60));
        assert_eq!(h.min_interval, Some(Duration::from_secs(7200)));
        assert_eq!(h.skip_hours, vec![0, 1, 0]);
        assert_eq!(h.skip_days, vec![5, 6]);
    }

    #[test]
    fn a_long_header_is_cut_on_a_character_boundary() {
        // 'ả' is two bytes; 40,000 of them put byte 65,536 inside a character.
        let xml = format!(
            "<rss><channel><description>{}</description><ttl>30</ttl></channel></rss>",
            "ả".repeat(40_000)
        );
        assert!(!xml.is_char_boundary(64 * 1024));
        let h = feed_hints(&xml, None);
        assert_eq!(h.min_interval, None);
    }
}
