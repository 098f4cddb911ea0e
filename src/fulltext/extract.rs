//! A web page's main article, as HTML: the page's clutter taken out
//! (`clutter`), Readability (dom_smoothie, a port of Mozilla's
//! Readability.js) picks the article, and a lead paragraph news pages set
//! apart from the body (`sapo`, `standfirst`) is put back in front.
//! Pure: text in, HTML out; sanitizing is the caller's (as for feed content).

use dom_query::Document;
use url::Url;

use super::clutter;
use crate::ingest::normalize::plain_to_html;
use crate::text;

/// Pages with more elements than this are not extracted (a hostile or
/// broken page must not cost seconds of CPU).
const MAX_ELEMENTS: usize = 30_000;

/// Class and id names of a news page's lead paragraph.
const LEAD_NAMES: &[&str] = &[
    "sapo",
    "standfirst",
    "lead",
    "lede",
    "description",
    "intro",
    "summary",
    "excerpt",
    "dek",
];

/// A paragraph this long, not named as a lead, is the body's: a lead comes
/// before it.
const BODY_PARAGRAPH_CHARS: usize = 120;

/// A lead is a paragraph, not a label or a whole section.
const LEAD_CHARS: std::ops::RangeInclusive<usize> = 60..=1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The article as HTML (not yet sanitized).
    pub html: String,
    /// Where its relative links point from: the page's `<base href>`, else
    /// the page's own address.
    pub base: Url,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("no article found on the page")]
    NoArticle,
    #[error("the page has more than {MAX_ELEMENTS} elements")]
    TooComplex,
}

/// The main article of `html`, a page fetched from `url`.
pub fn extract(html: &str, url: &Url) -> Result<Extracted, ExtractError> {
    // Deep nesting costs html5ever quadratic time (crate::html_nesting).
    let doc =
        Document::from(crate::html_nesting::bounded(html, crate::html_nesting::MAX_DEPTH).as_ref());
    if doc.select("*").length() > MAX_ELEMENTS {
        return Err(ExtractError::TooComplex);
    }
    let base = doc
        .select("head base[href]")
        .attr("href")
        .and_then(|href| url.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| url.clone());
    clutter::strip(&doc);
    let lead = lead_text(&doc);

    let config = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        ..Default::default()
    };
    let mut readability =
        dom_smoothie::Readability::with_document(doc, Some(base.as_str()), Some(config))
            .map_err(|_| ExtractError::NoArticle)?;
    let article = readability.parse().map_err(|_| ExtractError::NoArticle)?;
    let folded_body = text::collapse_whitespace(&text::fold(&article.text_content));
    if text::words(&folded_body).next().is_none() {
        return Err(ExtractError::NoArticle);
    }
    let mut html = super::tidy::tidy(&article.content);
    if let Some(lead) = lead {
        if !folded_body.contains(&text::collapse_whitespace(&text::fold(&lead))) {
            html = plain_to_html(&lead) + &html;
        }
    }
    Ok(Extracted { html, base })
}

/// The text of the page's lead paragraph, if it marks one before the
/// body's first paragraph (after it, a "summary" or "excerpt" is another
/// article's, in a list of them).
fn lead_text(doc: &Document) -> Option<String> {
    for node in doc.select("body *").nodes() {
        let named = ["class", "id", "data-role", "itemprop"]
            .iter()
            .filter_map(|a| node.attr(a))
            .any(|v| {
                v.to_lowercase()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| LEAD_NAMES.contains(&w))
            });
        let name = node.node_name();
        if !named {
            if name.as_deref() == Some("p") && node.text().chars().count() >= BODY_PARAGRAPH_CHARS {
                return None;
            }
            continue;
        }
        if name.as_deref() == Some("meta") {
            continue;
        }
        let lead = text::collapse_whitespace(&node.text());
        if LEAD_CHARS.contains(&lead.chars().count()) {
            return Some(lead);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://tin.example.vn/thoi-su/bai-viet.html").unwrap()
    }

    #[test]
    fn the_lead_set_apart_is_put_in_front_once() {
        let body = "<p>Đoạn văn thứ nhất của bài báo kể lại diễn biến sự việc với nhiều chi tiết cụ thể về thời gian và địa điểm.</p>".repeat(6);
        let lead =
            "Hải Phòng khởi công cầu vượt biển dài 5,4 km nối đảo Cát Hải với khu kinh tế Đình Vũ.";
        let page = format!(
            "<html><body><h1>Tiêu đề</h1><h2 class=\"detail-sapo\">{lead}</h2>\
             <div id=\"main-detail\" class=\"detail-content\">{body}</div></body></html>"
        );
        let got = extract(&page, &url()).unwrap();
        assert_eq!(
            got.html.matches("Hải Phòng khởi công").count(),
            1,
            "{}",
            got.html
        );
        assert!(got.html.find("Hải Phòng").unwrap() < got.html.find("Đoạn văn").unwrap());
    }

    #[test]
    fn an_excerpt_after_the_body_is_another_articles() {
        let body = "<p>Đoạn văn của bài báo kể lại diễn biến sự việc với nhiều chi tiết cụ thể về thời gian, địa điểm và những người có liên quan.</p>".repeat(6);
        let page = format!(
            "<html><body><div class=\"content\">{body}</div>\
             <div class=\"cards\"><a href=\"/cu\"><p class=\"post-excerpt\">Một bài viết khác của trang, giới thiệu ngắn gọn trong danh sách bài cũ hơn.</p></a></div></body></html>"
        );
        let got = extract(&page, &url()).unwrap();
        // Not put in front as the lead (Readability may keep it after the
        // body, as a sibling paragraph).
        let excerpt = got.html.find("Một bài viết khác");
        assert!(
            excerpt.is_none_or(|at| at > got.html.find("Đoạn văn").unwrap_or(0)),
            "{}",
            got.html
        );
    }

    #[test]
    fn base_href_is_where_links_point_from() {
        let body = "<p>A long enough paragraph of article text, repeated so that readability takes it for the article body.</p>".repeat(6);
        let page = format!(
            "<html><head><base href=\"https://cdn.example.com/news/\"></head><body><article>{body}</article></body></html>"
        );
        assert_eq!(
            extract(&page, &url()).unwrap().base.as_str(),
            "https://cdn.example.com/news/"
        );
    }

    #[test]
    fn a_page_without_text_has_no_article() {
        assert_eq!(
            extract(
                "<html><body><nav><a href=\"/\">Home</a></nav></body></html>",
                &url()
            ),
            Err(ExtractError::NoArticle)
        );
    }
}
