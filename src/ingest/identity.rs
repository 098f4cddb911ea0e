//! Which stored entry a parsed entry is: its guid; without one, its
//! canonical link; without that, a hash of title and date. Sources that
//! repeat one guid for different items fall back to guid + link.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What identity needs to know about one parsed entry.
#[derive(Debug, Clone)]
pub struct IdentityInput<'a> {
    pub guid: Option<&'a str>,
    pub canonical_link: Option<&'a str>,
    pub title: &'a str,
    pub date: Option<DateTime<Utc>>,
    /// Used only when there is neither guid, link nor title.
    pub body: &'a str,
}

/// The identity key stored in `entries.identity`.
pub fn entry_identity(input: &IdentityInput<'_>, guid_is_unreliable: bool) -> String {
    match (input.guid, input.canonical_link) {
        (Some(guid), Some(link)) if guid_is_unreliable => format!("gl:{guid} {link}"),
        (Some(guid), None) if guid_is_unreliable => format!("gl:{guid} {}", title_date_hash(input)),
        (Some(guid), _) => format!("g:{guid}"),
        (None, Some(link)) => format!("u:{link}"),
        (None, None) => format!("h:{}", title_date_hash(input)),
    }
}

fn title_date_hash(input: &IdentityInput<'_>) -> String {
    let mut h = Sha256::new();
    h.update(crate::text::collapse_whitespace(input.title).as_bytes());
    h.update([0]);
    if let Some(d) = input.date {
        h.update(d.timestamp().to_be_bytes());
    }
    if input.title.trim().is_empty() {
        h.update([1]);
        h.update(input.body.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// Whether one fetch uses the same guid for items that are clearly
/// different (other link or other title): such a feed's guids identify nothing.
pub fn has_repeated_guids(inputs: &[IdentityInput<'_>]) -> bool {
    let mut seen: HashMap<&str, (Option<&str>, &str)> = HashMap::new();
    for i in inputs {
        let Some(guid) = i.guid else { continue };
        match seen.get(guid) {
            Some((link, title)) if *link != i.canonical_link || *title != i.title => return true,
            Some(_) => {}
            None => {
                seen.insert(guid, (i.canonical_link, i.title));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        guid: Option<&'a str>,
        link: Option<&'a str>,
        title: &'a str,
    ) -> IdentityInput<'a> {
        IdentityInput {
            guid,
            canonical_link: link,
            title,
            date: None,
            body: "",
        }
    }

    #[test]
    fn guid_then_link_then_hash() {
        assert_eq!(
            entry_identity(&input(Some("abc"), Some("https://a/1"), "t"), false),
            "g:abc"
        );
        assert_eq!(
            entry_identity(&input(None, Some("https://a/1"), "t"), false),
            "u:https://a/1"
        );
        assert!(entry_identity(&input(None, None, "t"), false).starts_with("h:"));
    }

    #[test]
    fn title_edit_keeps_identity_when_there_is_a_link() {
        let a = entry_identity(&input(None, Some("https://a/1"), "Bão số 9"), false);
        let b = entry_identity(&input(None, Some("https://a/1"), "Bão số 9 đổ bộ"), false);
        assert_eq!(a, b);
    }

    #[test]
    fn bare_items_hash_title_and_date_stably() {
        let mut i = input(None, None, "Thời tiết");
        i.date = Some(
            DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        assert_eq!(entry_identity(&i, false), entry_identity(&i.clone(), false));
        let mut j = i.clone();
        j.date = Some(
            DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        assert_ne!(entry_identity(&i, false), entry_identity(&j, false));
    }

    #[test]
    fn repeated_guid_is_detected_and_split_by_link() {
        let items = [
            input(Some("same"), Some("https://a/1"), "Một"),
            input(Some("same"), Some("https://a/2"), "Hai"),
        ];
        assert!(has_repeated_guids(&items));
        assert_ne!(
            entry_identity(&items[0], true),
            entry_identity(&items[1], true)
        );
        let dup = [
            input(Some("x"), Some("https://a/1"), "Một"),
            input(Some("x"), Some("https://a/1"), "Một"),
        ];
        assert!(!has_repeated_guids(&dup));
    }
}
