//! The values that carry rules, parsed once with their limits wherever they
//! come in (the API, the CLI, the config file, an OPML import), so that one
//! policy holds everywhere: a value out of bounds is rejected with a reason
//! naming the field, never cut or dropped silently.
//!
//! A leaf: it knows nothing of the database, HTTP or the poller.

use url::Url;

/// Longest source URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Longest source title, in characters.
pub const MAX_TITLE_LEN: usize = 300;
/// Longest tag, in characters.
pub const MAX_TAG_LEN: usize = 64;
/// Most tags on one source.
pub const MAX_TAGS: usize = 32;
/// Longest channel name, in characters.
pub const MAX_CHANNEL_NAME_LEN: usize = 64;

/// A value that breaks its rule: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

/// A URL that Tributary may poll: http or https with a host, at most
/// [`MAX_URL_LEN`] long, without its fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUrl(Url);

impl SourceUrl {
    pub fn parse(text: &str) -> Result<SourceUrl, Invalid> {
        let text = text.trim();
        if text.len() > MAX_URL_LEN {
            return Err(invalid(
                "url",
                format!("the URL is longer than {MAX_URL_LEN} characters"),
            ));
        }
        let not_a_url = || invalid("url", format!("{text:?} is not a valid URL"));
        let mut url = Url::parse(text).map_err(|_| not_a_url())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(
                "url",
                format!(
                    "only http and https URLs can be subscribed to, not {:?}",
                    url.scheme()
                ),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(not_a_url());
        }
        url.set_fragment(None);
        Ok(SourceUrl(url))
    }

    pub fn into_url(self) -> Url {
        self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A source's title: NFC, trimmed, 1 to [`MAX_TITLE_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// `None` for a missing or blank title (the feed's own is used then).
    pub fn parse(text: Option<&str>) -> Result<Option<Title>, Invalid> {
        let Some(t) = text.map(|t| crate::text::nfc(t.trim())) else {
            return Ok(None);
        };
        if t.is_empty() {
            return Ok(None);
        }
        if t.chars().count() > MAX_TITLE_LEN {
            return Err(invalid(
                "title",
                format!("longer than {MAX_TITLE_LEN} characters"),
            ));
        }
        Ok(Some(Title(t)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A source's tags: each NFC, trimmed, 1 to [`MAX_TAG_LEN`] characters; at
/// most [`MAX_TAGS`]; repeats kept once, in their first place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse<S: AsRef<str>>(tags: impl IntoIterator<Item = S>) -> Result<Tags, Invalid> {
        let mut out: Vec<String> = Vec::new();
        for t in tags {
            let t = crate::text::nfc(t.as_ref().trim());
            if t.is_empty() || t.chars().count() > MAX_TAG_LEN {
                return Err(invalid(
                    "tags",
                    format!("each tag must be 1 to {MAX_TAG_LEN} characters, not {t:?}"),
                ));
            }
            if !out.contains(&t) {
                // Checked as they come: a request with a million tags is
                // refused at the 33rd, not compared pairwise first.
                if out.len() == MAX_TAGS {
                    return Err(invalid("tags", format!("more than {MAX_TAGS} tags")));
                }
                out.push(t);
            }
        }
        Ok(Tags(out))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// What it takes to subscribe to a source, checked: from the API, the CLI
/// or an OPML outline alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub url: SourceUrl,
    pub title: Option<Title>,
    pub tags: Tags,
}

impl Subscription {
    pub fn parse<S: AsRef<str>>(
        url: &str,
        title: Option<&str>,
        tags: impl IntoIterator<Item = S>,
    ) -> Result<Subscription, Invalid> {
        Ok(Subscription {
            url: SourceUrl::parse(url)?,
            title: Title::parse(title)?,
            tags: Tags::parse(tags)?,
        })
    }
}

/// An entry's enclosure (podcast audio, an image, ...), as stored and as
/// the API and the merged feeds give it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Enclosure {
    pub url: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// A channel's name, as it appears in `/feeds/{name}.rss`: 1 to
/// [`MAX_CHANNEL_NAME_LEN`] characters of `a-z`, `0-9`, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelName(String);

impl ChannelName {
    pub fn parse(text: &str) -> Result<ChannelName, Invalid> {
        let ok = !text.is_empty()
            && text.len() <= MAX_CHANNEL_NAME_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(invalid(
                "name",
                format!(
                    "{text:?} must be 1-{MAX_CHANNEL_NAME_LEN} characters of a-z, 0-9, '-' or '_'"
                ),
            ));
        }
        Ok(ChannelName(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_urls_are_http_with_a_host_and_no_fragment() {
        let u = SourceUrl::parse("  https://vnexpress.example/rss/tin-moi.rss#top ").unwrap();
        assert_eq!(u.as_str(), "https://vnexpress.example/rss/tin-moi.rss");
        for bad in [
            "ftp://a.example/x",
            "not a url",
            "http://",
            "file:///etc/passwd",
        ] {
            let e = SourceUrl::parse(bad).unwrap_err();
            assert_eq!(e.field, "url", "{bad}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN));
        assert!(
            SourceUrl::parse(&long)
                .unwrap_err()
                .reason
                .contains("longer")
        );
    }

    #[test]
    fn titles_are_nfc_trimmed_and_bounded() {
        // "Hải Phòng" written decomposed comes out composed.
        let nfd = "  Ha\u{309}i Pho\u{300}ng ";
        assert_eq!(
            Title::parse(Some(nfd)).unwrap().unwrap().as_str(),
            "Hải Phòng"
        );
        assert_eq!(Title::parse(Some("   ")).unwrap(), None);
        assert_eq!(Title::parse(None).unwrap(), None);
        let long = "ả".repeat(MAX_TITLE_LEN + 1);
        assert_eq!(Title::parse(Some(&long)).unwrap_err().field, "title");
        let fits = "ả".repeat(MAX_TITLE_LEN);
        assert!(Title::parse(Some(&fits)).unwrap().is_some());
    }

    #[test]
    fn tags_are_checked_each_and_counted() {
        let t = Tags::parse(["Tin Việt", " tin việt", "Thể thao"]).unwrap();
        assert_eq!(t.as_slice(), ["Tin Việt", "tin việt", "Thể thao"]);
        let t = Tags::parse(["vi", "vi"]).unwrap();
        assert_eq!(t.as_slice(), ["vi"]);
        assert_eq!(Tags::parse([""]).unwrap_err().field, "tags");
        assert!(Tags::parse(["x".repeat(MAX_TAG_LEN + 1)]).is_err());
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert!(Tags::parse(&many).unwrap_err().reason.contains("more than"));
    }

    #[test]
    fn channel_names_fit_in_a_path() {
        assert!(ChannelName::parse("hai-phong_2").is_ok());
        for bad in ["", "Hải Phòng", "a/b", "UPPER", &"x".repeat(65)] {
            assert_eq!(ChannelName::parse(bad).unwrap_err().field, "name", "{bad}");
        }
    }
}
