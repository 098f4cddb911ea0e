//! Text normalization shared by ingest, fingerprints and search: Unicode NFC
//! for everything stored, and a diacritic-free fold for matching only.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Unicode NFC, with characters that are invalid in XML (C0 controls other
/// than tab/newline, U+FFFE/U+FFFF) removed: feeds carry them (a `\x01` in a
/// title passes through feed-rs) and they would make our own output invalid.
pub fn nfc(s: &str) -> String {
    let quick = unicode_normalization::is_nfc_quick(s.chars());
    if quick == unicode_normalization::IsNormalized::Yes && s.chars().all(is_xml_char) {
        // Nearly every text: a copy, not a rebuild char by char (this runs
        // several times per entry).
        return s.to_owned();
    }
    let clean = s.chars().filter(|c| is_xml_char(*c));
    if quick == unicode_normalization::IsNormalized::Yes {
        clean.collect()
    } else {
        clean.nfc().collect()
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Collapses runs of whitespace into one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Case- and diacritic-folded form used by fingerprints and search:
/// `Đảng ủy Hải Phòng` → `dang uy hai phong`. Never stored as display text.
/// Char by char (canonical decomposition, marks dropped): the marks go, so
/// NFD's reordering of them would change nothing, and ASCII, most of any
/// text, skips the Unicode tables (this runs several times per entry).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            fold_char(c, &mut out);
        }
    }
    out
}

fn fold_char(c: char, out: &mut String) {
    unicode_normalization::char::decompose_canonical(c, |d| {
        if !is_combining_mark(d) {
            fold_base(d, out);
        }
    })
}

/// A decomposed character without its marks, folded.
fn fold_base(d: char, out: &mut String) {
    match d {
        // Đ/đ are letters of their own, not D plus a mark, so NFD keeps them.
        'Đ' | 'đ' | 'Ð' | 'ð' => out.push('d'),
        'Ł' | 'ł' => out.push('l'),
        'Ø' | 'ø' => out.push('o'),
        'ß' => out.push_str("ss"),
        'Æ' | 'æ' => out.push_str("ae"),
        'Œ' | 'œ' => out.push_str("oe"),
        _ => out.extend(d.to_lowercase()),
    }
}

/// Folded words: maximal runs of alphanumeric characters.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Plain text of an HTML fragment: tags dropped, entities decoded,
/// whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return collapse_whitespace(html);
    }
    // ammonia with no allowed tags parses like a browser and serializes only
    // text, escaping just & < > " and U+00A0; decode those back.
    // Block boundaries separate words ("<p>a</p><p>b</p>" is "a b", not "ab").
    let spaced = BLOCK_TAG.replace_all(html, " <$1");
    let escaped = TEXT_ONLY.with(|b| b.clean(&spaced).to_string());
    let decoded = escaped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    collapse_whitespace(&decoded)
}

/// Plain text of HTML that ammonia produced: its serializer writes
/// well-formed tags with double-quoted attributes and escapes only `&`, `<`,
/// `>`, `"` and U+00A0 in text, so a small scanner gives what
/// [`html_to_text`] gives without parsing the document a second time
/// (parsing is most of the cost of ingest, MEASURED.md).
pub fn sanitized_html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        decode_text_into(&rest[..lt], &mut out);
        let tag = &rest[lt + 1..];
        // The end of the tag: the first '>' outside a quoted attribute value.
        let mut in_quote = false;
        let mut end = tag.len();
        for (i, b) in tag.bytes().enumerate() {
            match b {
                b'"' => in_quote = !in_quote,
                b'>' if !in_quote => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if is_block(&name) {
            out.push(' ');
        }
        rest = tag.get(end + 1..).unwrap_or("");
    }
    decode_text_into(rest, &mut out);
    collapse_whitespace(&out)
}

/// Elements whose boundaries separate words.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
    "blockquote",
    "section",
    "article",
    "figure",
    "figcaption",
    "ul",
    "ol",
    "table",
    "hr",
    "pre",
    "dd",
    "dt",
];

fn is_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name)
}

fn decode_text_into(text: &str, out: &mut String) {
    if !text.contains('&') {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let (replacement, len) = [
            ("&amp;", "&"),
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&quot;", "\""),
            ("&nbsp;", " "),
        ]
        .iter()
        .find(|(entity, _)| after.starts_with(entity))
        .map(|(entity, ch)| (*ch, entity.len()))
        .unwrap_or(("&", 1));
        out.push_str(replacement);
        rest = &after[len..];
    }
    out.push_str(rest);
}

static BLOCK_TAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(&format!(r"(?i)<(/?(?:{})\b)", BLOCK_TAGS.join("|"))).expect("static regex")
});

thread_local! {
    static TEXT_ONLY: ammonia::Builder<'static> = {
        let mut b = ammonia::Builder::empty();
        b.clean_content_tags(["script", "style", "template", "noscript"].into_iter().collect());
        b
    };
}

/// Shortens to at most `max_chars` characters at a word boundary, adding "…".
pub fn truncate_words(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max_chars).collect();
    let trimmed = match cut.rfind(char::is_whitespace) {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!(
        "{}…",
        trimmed.trim_end_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
    )
}

#[cfg(test)]
mod tests {
    /// The definition `fold` must agree with: NFD, marks dropped, lowercase.
    fn fold_by_nfd(s: &str) -> String {
        let mut out = String::new();
        for c in s.nfd().filter(|c| !is_combining_mark(*c)) {
            fold_base(c, &mut out);
        }
        out
    }

    #[test]
    fn fold_agrees_with_its_nfd_definition() {
        for s in [
            "Đảng ủy Hải Phòng, TRƯỜNG SA: Ưu tiên cứu hộ!",
            "Crème brûlée, Straße, Łódź, Ærø, Œuvre, ǅemal, İstanbul, ΆΈΉ, Ωμέγα",
            "Ha\u{0300}\u{0323}i Pho\u{0300}ng (NFD input) 日本語 한국어 \u{1E9E}",
        ] {
            assert_eq!(fold(s), fold_by_nfd(s), "{s}");
        }
        for c in (0x80u32..0x3000).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            assert_eq!(fold(&s), fold_by_nfd(&s), "U+{:04X}", c as u32);
        }
    }

    use super::*;

    #[test]
    fn nfc_composes_vietnamese_tone_marks() {
        let decomposed = "Ha\u{309}i Pho\u{300}ng";
        assert_eq!(nfc(decomposed), "Hải Phòng");
        assert_eq!(nfc("Hải Phòng").len(), "Hải Phòng".len());
    }

    #[test]
    fn nfc_drops_control_characters() {
        assert_eq!(nfc("Tin\u{1} nóng\u{b}"), "Tin nóng");
        assert_eq!(nfc("a\tb\nc"), "a\tb\nc");
    }

    #[test]
    fn fold_strips_diacritics_and_d_with_stroke() {
        assert_eq!(fold("Đảng ủy Hải Phòng"), "dang uy hai phong");
        assert_eq!(fold("TRƯỜNG SA"), "truong sa");
        assert_eq!(fold("Ha\u{309}i"), "hai");
        assert_eq!(fold("Crème Brûlée"), "creme brulee");
    }

    #[test]
    fn html_to_text_decodes_entities_and_drops_scripts() {
        assert_eq!(
            html_to_text("<p>Mưa &amp; gió<script>alert(1)</script> tại <b>Hà&nbsp;Nội</b></p>"),
            "Mưa & gió tại Hà Nội"
        );
        assert_eq!(html_to_text("a &lt;b&gt; c"), "a <b> c");
        assert_eq!(html_to_text("<p>một</p><p>hai<br>ba</p>"), "một hai ba");
    }

    #[test]
    fn sanitized_fast_path_matches_the_parser() {
        let builder = ammonia::Builder::default();
        for raw in [
            "<p>Sáng 25/11, <b>Đảng ủy</b> họp.</p><p><img src=\"/a.jpg\" alt=\"a > b\"></p><p>Q&amp;A &lt;tag&gt; &quot;x&quot;&nbsp;y</p>",
            "<div><ul><li>một</li><li>hai</li></ul>ba<br>bốn</div>",
            "plain text & more",
            "<h2>Tiêu đề</h2><blockquote>trích dẫn</blockquote><table><tr><td>1</td><td>2</td></tr></table>",
            "<a href=\"https://x.example/?a=1&amp;b=2\" title=\"say &quot;hi&quot;\">link</a> after",
            "",
        ] {
            let clean = builder.clean(raw).to_string();
            assert_eq!(
                sanitized_html_to_text(&clean),
                html_to_text(&clean),
                "{clean}"
            );
        }
    }

    #[test]
    fn truncation_keeps_whole_words() {
        assert_eq!(truncate_words("một hai ba bốn năm", 9), "một hai…");
        assert_eq!(truncate_words("ngắn", 10), "ngắn");
    }
}
