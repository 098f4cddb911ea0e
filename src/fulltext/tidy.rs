//! What Readability leaves around the article when a page names nothing
//! (old table layouts, bare `<div>`s): "Read more: <link>" lines between
//! paragraphs, link-dense blocks (menus, lists of other articles), and the
//! tail after a heading such as "Các tin khác", "Related" or "Have your
//! say". Run on the extracted article, not the page.

use dom_query::{Document, NodeRef};

use super::visible_chars;

/// Labels of a line that only points to another article.
const LINK_LABELS: &[&str] = &[
    "read more",
    "also read",
    "read also",
    "see also",
    "related",
    "more",
    "xem them",
    "doc them",
    "tin lien quan",
    "xem tiep",
];

/// Headings after which a page lists other things than the article.
const TAIL_HEADINGS: &[&str] = &[
    "read more",
    "related",
    "related articles",
    "related stories",
    "more on this story",
    "more stories",
    "you might also like",
    "you may also like",
    "most popular",
    "most read",
    "comments",
    "have your say",
    "cac tin khac",
    "tin khac",
    "tin lien quan",
    "bai viet lien quan",
    "tin cung chuyen muc",
    "y kien ban doc",
    "y kien",
    "binh luan",
    "xem them",
    "doc them",
    "doc nhieu",
    "xem nhieu",
];

/// A block whose text is mostly links is a menu or a list of articles.
const MAX_LINK_DENSITY: f64 = 0.5;

/// Tidies an extracted article's HTML.
pub fn tidy(html: &str) -> String {
    // Deep nesting costs html5ever quadratic time (crate::html_nesting).
    let doc =
        Document::from(crate::html_nesting::bounded(html, crate::html_nesting::MAX_DEPTH).as_ref());
    let total = visible_chars(&doc.select("body").text()).max(1);
    drop_link_lines(&doc);
    cut_tail(&doc, total);
    drop_link_blocks(&doc, total);
    doc.select("body").inner_html().trim().to_owned()
}

fn label(s: &str) -> String {
    crate::text::collapse_whitespace(
        &crate::text::fold(s)
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>(),
    )
}

fn link_chars(node: &NodeRef<'_>) -> usize {
    node.descendants()
        .iter()
        .filter(|d| d.node_name().is_some_and(|n| &*n == "a"))
        .map(|a| visible_chars(&a.text()))
        .sum()
}

/// "Read more: <a>Another headline</a>" between paragraphs.
fn drop_link_lines(doc: &Document) {
    for node in doc.select("p, div, li").nodes() {
        let text = node.text();
        let Some((head, _)) = text.split_once(':') else {
            continue;
        };
        if !LINK_LABELS.contains(&label(head).as_str()) {
            continue;
        }
        let all = visible_chars(&text).max(1);
        if link_chars(node) * 2 >= all {
            node.remove_from_parent();
        }
    }
}

/// Cuts the article at a heading that starts the page's lists of other
/// things, when what follows is the smaller part.
fn cut_tail(doc: &Document, total: usize) {
    let heading = doc
        .select("h1, h2, h3, h4, h5, h6, b, strong, p, div, span")
        .nodes()
        .iter()
        .find(|n| {
            let text = n.text();
            visible_chars(&text) <= 40 && TAIL_HEADINGS.contains(&label(&text).as_str())
        })
        .cloned();
    let Some(heading) = heading else {
        return;
    };
    // Everything after the heading, at its level and at each level above.
    let mut doomed = vec![heading];
    let mut at = Some(heading);
    while let Some(node) = at {
        let mut next = node.next_sibling();
        while let Some(sibling) = next {
            next = sibling.next_sibling();
            doomed.push(sibling);
        }
        at = node.parent().filter(|p| {
            p.node_name()
                .is_some_and(|n| &*n != "html" && &*n != "body")
        });
    }
    let removed: usize = doomed.iter().map(|n| visible_chars(&n.text())).sum();
    if removed * 2 < total {
        for node in doomed {
            node.remove_from_parent();
        }
    }
}

/// Menus and lists of other articles inside what Readability kept.
fn drop_link_blocks(doc: &Document, total: usize) {
    for node in doc.select("td, div, ul, ol, table, section, p").nodes() {
        let all = visible_chars(&node.text());
        if all == 0 || all * 10 > total * 3 {
            continue;
        }
        if link_chars(node) as f64 / all as f64 > MAX_LINK_DENSITY {
            node.remove_from_parent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "<p>Hội nghị tổng kết công tác năm diễn ra tại trụ sở với sự tham dự của đông đảo đại biểu các sở ngành và địa phương trong tỉnh.</p>";

    #[test]
    fn read_more_lines_go_and_paragraphs_stay() {
        let html = format!(
            "<div>{BODY}<p><strong>Read more:</strong> <a href=\"/x\">Ministers promise answers</a></p>\
             <p>Xem thêm: <a href=\"/y\">Giá vàng hôm nay</a></p>{BODY}<p>Read more: the council said the plan would be published in spring, with a consultation.</p></div>"
        );
        let out = tidy(&html);
        assert!(!out.contains("Ministers"), "{out}");
        assert!(!out.contains("Giá vàng"), "{out}");
        assert!(out.contains("published in spring"), "{out}");
        assert_eq!(out.matches("Hội nghị").count(), 2);
    }

    #[test]
    fn the_tail_after_other_news_goes_but_not_the_article() {
        let body = BODY.repeat(4);
        let html = format!(
            "<div>{body}<br><b>Các tin khác:</b><br><a href=\"/1\">- Tin một</a><br><a href=\"/2\">- Tin hai</a><b>Ý kiến bạn đọc</b><table><tr><td>Một bình luận dài</td></tr></table></div>"
        );
        let out = tidy(&html);
        assert!(
            !out.contains("Tin một") && !out.contains("bình luận"),
            "{out}"
        );
        assert_eq!(out.matches("Hội nghị").count(), 4);
        // A heading followed by most of the text is not a tail.
        let early = format!("<div><h2>Comments</h2>{body}</div>");
        assert_eq!(tidy(&early).matches("Hội nghị").count(), 4);
    }

    #[test]
    fn menus_go() {
        let body = BODY.repeat(4);
        let html = format!(
            "<table><tr><td><b>Chuyên mục</b><br><a href=\"/a\">Tin trong tỉnh</a><br><a href=\"/b\">Kinh tế</a><br><a href=\"/c\">Văn hóa - Xã hội</a></td><td>{body}</td></tr></table>"
        );
        let out = tidy(&html);
        assert!(!out.contains("Kinh tế"), "{out}");
        assert_eq!(out.matches("Hội nghị").count(), 4);
    }
}
