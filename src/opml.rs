//! OPML 2.0: exporting the sources, and reading subscription lists exported
//! by other readers (nested outlines, `xmlUrl` attributes, folders as tags).

use quick_xml::escape::escape;
use quick_xml::events::Event;

use crate::sources::Source;

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("not OPML: {0}")]
    Invalid(String),
}

/// One subscription found in an OPML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub url: String,
    pub title: Option<String>,
    /// Enclosing folder titles.
    pub tags: Vec<String>,
}

// decode_and_unescape_value is deprecated for a replacement that needs the
// document's XML version, which OPML files do not vary.
#[allow(deprecated)]
pub fn parse(text: &str) -> Result<Vec<Outline>, OpmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut found = Vec::new();
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut saw_opml = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| OpmlError::Invalid(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                if name.as_ref() == b"opml" {
                    saw_opml = true;
                }
                if name.as_ref() != b"outline" {
                    continue;
                }
                let mut url = None;
                let mut title = None;
                let mut text_attr = None;
                for a in e.attributes().flatten() {
                    let value = a
                        .decode_and_unescape_value(reader.decoder())
                        .map(|v| crate::text::nfc(v.trim()))
                        .unwrap_or_default();
                    match a.key.local_name().as_ref() {
                        b"xmlUrl" | b"xmlurl" | b"url" => url = Some(value),
                        b"title" => title = Some(value),
                        b"text" => text_attr = Some(value),
                        _ => {}
                    }
                }
                let title = title.or(text_attr).filter(|t| !t.is_empty());
                let url = url.filter(|u| !u.is_empty());
                let is_folder = url.is_none();
                if let Some(url) = url {
                    found.push(Outline {
                        url,
                        title: title.clone(),
                        tags: folders.iter().flatten().cloned().collect(),
                    });
                }
                // Every open outline is pushed, so that its end tag pops it.
                if !is_empty {
                    folders.push(if is_folder { title } else { None });
                }
            }
            Event::End(ref e) if e.local_name().as_ref() == b"outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError::Invalid("no <opml> element".into()));
    }
    Ok(found)
}

pub fn render(sources: &[Source], title: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n",
    );
    out.push_str(&format!("    <title>{}</title>\n", escape(title)));
    out.push_str(&format!(
        "    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        chrono::Utc::now().to_rfc2822()
    ));
    for s in sources {
        let t = s.display_title();
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\"",
            escape(&t),
            escape(&t),
            escape(&s.url)
        ));
        if let Some(site) = &s.site_url {
            out.push_str(&format!(" htmlUrl=\"{}\"", escape(site)));
        }
        if !s.tags.is_empty() {
            out.push_str(&format!(" category=\"{}\"", escape(s.tags.join(","))));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_become_tagged_sources() {
        let doc = r#"<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
            <outline text="Tin Việt">
              <outline text="VnExpress" xmlUrl="https://vnexpress.net/rss/tin-moi-nhat.rss"/>
              <outline text="Tuổi Trẻ" type="rss" xmlUrl="https://tuoitre.vn/rss/tin-moi-nhat.rss"></outline>
            </outline>
            <outline title="Rust Blog" xmlUrl="https://blog.rust-lang.org/feed.xml"/>
          </body></opml>"#;
        let found = parse(doc).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].title.as_deref(), Some("VnExpress"));
        assert_eq!(found[0].tags, vec!["Tin Việt"]);
        assert_eq!(found[1].tags, vec!["Tin Việt"]);
        assert!(found[2].tags.is_empty());
    }

    #[test]
    fn not_opml_is_an_error() {
        assert!(parse("<rss/>").is_err());
        assert!(parse("<opml><body><outline").is_err());
    }
}
