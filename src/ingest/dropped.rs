//! Entries of a fetched document that were not stored, and why: counted
//! per fetch so that a source losing entries says so (fetch log, poll
//! summary, `/metrics`) instead of reporting "ok: 0 new".

use std::fmt;

/// Why entries of one document were not stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Present in the markup, but not readable as an entry at all.
    pub unreadable: u32,
    /// Neither title, link, id nor content: nothing to show or link to.
    pub empty: u32,
    /// The same entry listed again in the same document (stored once).
    pub duplicate: u32,
    /// Past `max_items_per_document` or `max_entries_per_fetch` (the
    /// newest are kept; the rest come in later fetches if still listed).
    pub over_limit: u32,
}

impl Dropped {
    pub fn total(&self) -> u32 {
        self.unreadable + self.empty + self.duplicate + self.over_limit
    }

    /// Each reason with its count, the ones that happened only.
    pub fn reasons(&self) -> impl Iterator<Item = (&'static str, u32)> + use<> {
        [
            ("unreadable", self.unreadable),
            ("empty", self.empty),
            ("duplicate", self.duplicate),
            ("over_limit", self.over_limit),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }

    /// `{"empty": 2}`, or `None` when nothing was dropped.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        (self.total() > 0).then(|| {
            self.reasons()
                .map(|(k, v)| (k.to_owned(), serde_json::Value::from(v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
    }
}

impl fmt::Display for Dropped {
    /// "2 empty, 1 unreadable".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.reasons().map(|(k, n)| format!("{n} {k}")).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reasons_that_happened_are_named() {
        let none = Dropped::default();
        assert_eq!(none.total(), 0);
        assert_eq!(none.to_json(), None);
        let some = Dropped {
            unreadable: 1,
            empty: 2,
            duplicate: 0,
            over_limit: 0,
        };
        assert_eq!(some.total(), 3);
        assert_eq!(some.to_string(), "1 unreadable, 2 empty");
        assert_eq!(
            some.to_json(),
            Some(serde_json::json!({"unreadable": 1, "empty": 2}))
        );
    }
}
