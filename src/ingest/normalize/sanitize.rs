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
        Sanitizer { builder, base }
    }

    /// Cleans `html`, resolving relative URLs against `base`.
    pub fn clean(&self, html: &str, base: Option<&Url>) -> String {
        *self.base.lock().unwrap_or_else(|p| p.into_inner()) = base.cloned();
        self.builder.clean(html).to_string()
    }
}
