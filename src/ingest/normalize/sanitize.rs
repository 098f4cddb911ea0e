//! HTML cleaning: ammonia with our allow-list, relative URLs made absolute
//! against the entry being cleaned.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use url::Url;

/// HTML cleaning with relative URLs made absolute. One builder serves a
/// whole fetch (building one per entry costs ~25% more, MEASURED.md); the
/// base changes per entry.
pub struct Sanitizer {
    builder: ammonia::Builder<'static>,
    base: Arc<Mutex<Option<Url>>>,
}

/// Resolves relative URLs against the entry being cleaned; drops those that
/// cannot be made absolute http(s) URLs.
struct RelativeTo(Arc<Mutex<Option<Url>>>);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for RelativeTo {
    fn evaluate<'url>(&self, relative: &'url str) -> Option<Cow<'url, str>> {
        let base = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let absolute = base.as_ref()?.join(relative).ok()?;
        matches!(absolute.scheme(), "http" | "https").then(|| Cow::Owned(absolute.into()))
    }
}

impl Default for Sanitizer {
    fn default() -> Self {
        Sanitizer::new()
    }
}

impl Sanitizer {
    pub fn new() -> Sanitizer {
        let base = Arc::new(Mutex::new(None));
        let mut builder = ammonia::Builder::default();
        builder.url_relative(ammonia::UrlRelative::Custom(Box::new(RelativeTo(
            base.clone(),
        ))));
        builder.link_rel(Some("noopener noreferrer"));
        builder.add_tag_attributes("img", ["srcset", "loading"]);
        builder.add_tags(["picture", "source", "audio", "video"]);
        builder.add_tag_attributes("source", ["src", "type"]);
        builder.add_tag_attributes("audio", ["src", "controls"]);
        builder.add_tag_attributes("video", ["src", "controls", "poster", "width", "height"]);
        // ammonia checks the schemes of src and href, not of srcset's
        // candidates (`<img srcset="javascript:…">` passed): each is
        // resolved and kept only as an http(s) URL.
        let srcset_base = base.clone();
        builder.attribute_filter(move |_, attribute, value| {
            if attribute != "srcset" {
                return Some(Cow::Borrowed(value));
            }
            let base = srcset_base
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            safe_srcset(value, base.as_ref()).map(Cow::Owned)
        });
        Sanitizer { builder, base }
    }

    /// Cleans `html`, resolving relative URLs against `base` (tags nested
    /// past `html_nesting::MAX_DEPTH` are left out, their text kept).
    pub fn clean(&self, html: &str, base: Option<&Url>) -> String {
        *self.base.lock().unwrap_or_else(|p| p.into_inner()) = base.cloned();
        let html = crate::html_nesting::bounded(html, crate::html_nesting::MAX_DEPTH);
        self.builder.clean(&html).to_string()
    }
}

/// A `srcset` whose every candidate is an absolute http(s) URL (relative
/// ones resolved against `base`), with its descriptor; `None` when no
/// candidate is left.
fn safe_srcset(value: &str, base: Option<&Url>) -> Option<String> {
    let kept: Vec<String> = srcset_candidates(value)
        .into_iter()
        .filter_map(|(url, descriptor)| {
            let absolute = match Url::parse(url) {
                Ok(u) => u,
                Err(_) => base?.join(url).ok()?,
            };
            if !matches!(absolute.scheme(), "http" | "https") {
                return None;
            }
            Some(if descriptor.is_empty() {
                absolute.to_string()
            } else {
                format!("{absolute} {descriptor}")
            })
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// The (URL, descriptor) candidates of a `srcset`, split as the HTML
/// standard does: a URL runs to whitespace (commas inside it, as in
/// `data:` URLs, belong to it; trailing ones end the candidate), its
/// descriptor to the next comma outside parentheses.
fn srcset_candidates(value: &str) -> Vec<(&str, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return out;
        }
        let url_end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let url = &rest[..url_end];
        rest = &rest[url_end..];
        if url.ends_with(',') {
            out.push((url.trim_end_matches(','), String::new()));
            continue;
        }
        let mut depth = 0usize;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => return true,
                    _ => {}
                }
                false
            })
            .map_or(rest.len(), |(i, _)| i);
        let descriptor = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        out.push((url, descriptor));
        rest = &rest[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srcset_keeps_only_web_urls() {
        let s = Sanitizer::new();
        let base = Url::parse("https://baophapluat.example/tin/hai-phong.html").unwrap();
        let out = s.clean(
            "<img src=\"a.jpg\" srcset=\"javascript:alert(1) 1x, /anh/cang-800.jpg 800w, data:image/png;base64,AAAA 2x\">",
            Some(&base),
        );
        assert!(!out.contains("javascript"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        assert!(
            out.contains("srcset=\"https://baophapluat.example/anh/cang-800.jpg 800w\""),
            "{out}"
        );
        let out = s.clean(
            "<img src=\"https://a.example/x.jpg\" srcset=\"javascript:alert(1)\">",
            None,
        );
        assert!(!out.contains("srcset"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
    }
}
