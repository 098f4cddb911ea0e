//! What on an article page is not the article: navigation, share bars,
//! related-article lists, comments, cookie and newsletter banners, photo
//! captions. Readability scores only `class` and `id` against English
//! words; news pages also name these blocks in other attributes
//! (`data-component`, `type`) and in Vietnamese (`tin-lien-quan`,
//! `binh-luan`, `chia-se`), so they are taken out before it runs.

use dom_query::Document;

/// Elements that are never the article's text.
const NEVER_TEXT: &str = "nav, aside, form, button, figcaption, noscript, iframe, dialog, \
     [role=navigation], [role=complementary], [role=contentinfo], [role=dialog], [role=banner], \
     [aria-hidden=true]";

/// Names (whole, once split at `-`, `_` and spaces) that mark clutter.
const CLUTTER_WORDS: &[&str] = &[
    "ad",
    "ads",
    "advert",
    "advertisement",
    "banner",
    "breadcrumb",
    "breadcrumbs",
    "byline",
    "caption",
    "comment",
    "comments",
    "consent",
    "cookie",
    "cookies",
    "discussion",
    "gdpr",
    "masthead",
    "menu",
    "newsletter",
    "onwards",
    "pagination",
    "popup",
    "promo",
    "rating",
    "recommendations",
    "recommended",
    "related",
    "share",
    "sharing",
    "sidebar",
    "signup",
    "social",
    "sponsor",
    "sponsored",
    "subscribe",
    "subscription",
    "tags",
    "toolbar",
    "widget",
    // Vietnamese news sites, as their markup spells them.
    "binhluan",
    "chiase",
    "docthem",
    "lienquan",
    "quangcao",
    "tinkhac",
    "tinlienquan",
    "xemnhieu",
    "xemthem",
    "ykien",
];

/// Parts of compound names (`relatedbox`, `box_comment_vne`,
/// `tin-lien-quan` read as `tinlienquan`) that mark clutter.
const CLUTTER_STEMS: &[&str] = &[
    "related",
    "comment",
    "newsletter",
    "cookie",
    "breadcrumb",
    "sharing",
    "socialshare",
    "mostread",
    "mostview",
    "readmore",
    "tinlienquan",
    "tinkhac",
    "binhluan",
    "xemthem",
    "docthem",
    "xemnhieu",
    "docnhieu",
    "quangcao",
    "chiase",
];

/// Attributes whose values name what a block is.
const NAMING_ATTRIBUTES: &[&str] = &["class", "id", "data-component", "data-role", "type"];

/// A block holding more than this share of the page's text is kept
/// whatever its name: a wrapper named `has-sidebar` or `with-comments`
/// may hold the article itself.
const MAX_SHARE_OF_TEXT: f64 = 0.4;

/// Removes from `doc` what is never the article.
pub fn strip(doc: &Document) {
    doc.select(NEVER_TEXT).remove();
    let total = super::visible_chars(&doc.select("body").text()).max(1) as f64;
    for node in doc.select("body *").nodes() {
        let Some(name) = node.node_name() else {
            continue;
        };
        if matches!(&*name, "html" | "body" | "main" | "article") {
            continue;
        }
        let named = NAMING_ATTRIBUTES
            .iter()
            .filter_map(|a| node.attr(a))
            .any(|v| names_clutter(&v));
        if named && (super::visible_chars(&node.text()) as f64) < MAX_SHARE_OF_TEXT * total {
            node.remove_from_parent();
        }
    }
}

/// Whether an attribute value (a class list, an id) names clutter.
fn names_clutter(value: &str) -> bool {
    let lower = value.to_lowercase();
    lower.split_ascii_whitespace().any(|name| {
        let words: Vec<&str> = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if words.iter().any(|w| CLUTTER_WORDS.contains(w)) {
            return true;
        }
        let joined: String = words.concat();
        CLUTTER_STEMS.iter().any(|s| joined.contains(s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_english_and_vietnamese() {
        for clutter in [
            "box-tinlienquan",
            "tin-lien-quan",
            "box_comment_vne",
            "article-comments",
            "kbwscwl-relatedbox type-1",
            "sd-sharing-enabled",
            "cookie-banner",
            "RelatedNewsBox",
            "box-binh-luan",
            "social",
            "ad",
        ] {
            assert!(names_clutter(clutter), "{clutter}");
        }
        for content in [
            "fck_detail",
            "detail-content afcbc-body",
            "article-body-commercial-selector",
            "entry-content",
            "singular-content",
            "gh-content gh-canvas",
            "body markup",
            "threads",
            "downloads",
            "shadow",
        ] {
            assert!(!names_clutter(content), "{content}");
        }
    }

    #[test]
    fn a_wrapper_named_like_clutter_is_kept_when_it_holds_the_text() {
        let body = "<p>Tin tức trong nước hôm nay rất dài. </p>".repeat(20);
        let doc = Document::from(format!(
            "<html><body><div class=\"layout-with-sidebar\">{body}</div>\
             <div class=\"related\"><a href=\"/x\">Các tin khác</a></div></body></html>"
        ));
        strip(&doc);
        let html = doc.html();
        assert!(html.contains("layout-with-sidebar"), "{html}");
        assert!(!html.contains("Các tin khác"), "{html}");
    }
}
