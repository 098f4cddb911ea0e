//! Bytes to UTF-8: BOM, then the declared charsets (HTTP header and XML
//! prolog, or for web pages `<meta charset>`, reconciled against what the
//! bytes actually are), then a windows-1252 fallback. The prolog is
//! rewritten to say UTF-8 so that the parser does not decode a second time.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Decodes a fetched body to UTF-8 text.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let (encoding, bom_len) = match Encoding::for_bom(bytes) {
        Some((enc, len)) => (enc, len),
        None => (choose_encoding(bytes, content_type), 0),
    };
    let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
    declare_utf8(&text)
}

/// Decodes a fetched web page to UTF-8 text: the document's own
/// `<meta charset>` (or `http-equiv` Content-Type) stands where a feed's
/// XML prolog does.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    let (encoding, bom_len) = match Encoding::for_bom(bytes) {
        Some((enc, len)) => (enc, len),
        None => (
            reconcile(
                bytes,
                content_type.and_then(charset_param).and_then(label),
                meta_charset(bytes).and_then(label),
            ),
            0,
        ),
    };
    let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
    text.into_owned()
}

fn choose_encoding(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    reconcile(
        bytes,
        content_type.and_then(charset_param).and_then(label),
        prolog_encoding(bytes).and_then(label),
    )
}

/// The server's and the document's declarations against the bytes.
fn reconcile(
    bytes: &[u8],
    from_http: Option<&'static Encoding>,
    from_prolog: Option<&'static Encoding>,
) -> &'static Encoding {
    let is_utf8 = std::str::from_utf8(bytes).is_ok();
    let says_utf8 = |e: Option<&'static Encoding>| e == Some(UTF_8);
    // Valid UTF-8 that anyone declares as UTF-8 (or nobody declares) is UTF-8:
    // servers often send a stale "charset=iso-8859-1" for UTF-8 documents.
    if is_utf8
        && (says_utf8(from_http)
            || says_utf8(from_prolog)
            || (from_http.is_none() && from_prolog.is_none()))
    {
        return UTF_8;
    }
    // Otherwise the document's own declaration, then the server's.
    for candidate in [from_prolog, from_http].into_iter().flatten() {
        if candidate != UTF_8 || is_utf8 {
            return candidate;
        }
    }
    if is_utf8 { UTF_8 } else { WINDOWS_1252 }
}

fn label(name: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(name.trim().as_bytes())?;
    // A UTF-16 label on bytes without a BOM is almost always a lie.
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(enc)
}

fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The `encoding` of an `<?xml ...?>` prolog at the start of the bytes.
fn prolog_encoding(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let prolog = std::str::from_utf8(&head[..end]).ok()?;
    let at = prolog.find("encoding")?;
    let rest = prolog[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    rest.find(quote).map(|e| &rest[..e])
}

/// The charset a page declares in its first 1024 bytes, as the HTML
/// prescan reads it: `<meta charset=..>` or `<meta http-equiv=..
/// content="text/html; charset=..">`.
fn meta_charset(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(1024)];
    let mut at = 0;
    while let Some(found) = find_ascii_ci(&head[at..], b"<meta") {
        let start = at + found + 5;
        let end = head[start..]
            .iter()
            .position(|b| *b == b'>')
            .map_or(head.len(), |e| start + e);
        let tag = &head[start..end];
        if let Some(c) = find_ascii_ci(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|b| matches!(b, b'"' | b'\'' | b';' | b'/' | b' ' | b'>'))
                    .unwrap_or(rest.len());
                if let Ok(name) = std::str::from_utf8(&rest[..len]) {
                    if !name.is_empty() {
                        return Some(name);
                    }
                }
            }
        }
        at = end;
    }
    None
}

fn find_ascii_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Rewrites the prolog's encoding declaration, if any, to UTF-8.
fn declare_utf8(text: &str) -> String {
    let trimmed = text.trim_start();
    let offset = text.len() - trimmed.len();
    if trimmed.starts_with("<?xml") {
        if let Some(end) = trimmed.find("?>") {
            let prolog = &trimmed[..end];
            if let Some(enc) = prolog_encoding(&trimmed.as_bytes()[..end + 2]) {
                if !enc.eq_ignore_ascii_case("utf-8") {
                    let fixed = prolog.replacen(enc, "UTF-8", 1);
                    return format!("{fixed}{}", &trimmed[end..]);
                }
            }
        }
    }
    if offset > 0 {
        trimmed.to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1258_prolog_is_honoured_and_rewritten() {
        // "Hải Phòng" as windows-1258 writes it: base letters plus combining
        // tone marks (0xD2 hook above, 0xCC grave).
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><t>Ha".to_vec();
        bytes.extend_from_slice(&[0xD2]);
        bytes.extend_from_slice(b"i Pho");
        bytes.extend_from_slice(&[0xCC]);
        bytes.extend_from_slice(b"ng</t>");
        let text = decode(&bytes, None);
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{text}"
        );
        // windows-1258 encodes tone marks as combining characters; NFC comes later.
        assert_eq!(
            crate::text::nfc(&text).matches("Hải Phòng").count(),
            1,
            "{text}"
        );
    }

    #[test]
    fn http_charset_used_when_prolog_is_silent() {
        let (bytes, _, _) = WINDOWS_1252.encode("<rss><title>Café</title></rss>");
        assert!(decode(&bytes, Some("text/xml; charset=ISO-8859-1")).contains("Café"));
    }

    #[test]
    fn valid_utf8_wins_over_a_stale_latin1_header() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><t>Đà Nẵng</t>";
        assert!(decode(body.as_bytes(), Some("text/xml; charset=iso-8859-1")).contains("Đà Nẵng"));
    }

    #[test]
    fn utf8_declared_but_invalid_falls_back_to_windows_1252() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>caf".to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(b"</t>");
        assert!(decode(&bytes, None).contains("café"));
    }

    #[test]
    fn legacy_encodings_from_the_prolog() {
        for (label, text) in [
            ("Shift_JIS", "東京のニュース"),
            ("GB18030", "北京新闻"),
            ("KOI8-R", "Новости Москвы"),
            ("ISO-8859-2", "Zprávy z Prahy: žluťoučký kůň"),
            ("windows-1252", "Café “Sài Gòn” — €5"),
        ] {
            let encoding = Encoding::for_label(label.as_bytes()).unwrap();
            let doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><t>{text}</t>");
            let (bytes, _, unmappable) = encoding.encode(&doc);
            assert!(!unmappable, "{label}");
            let decoded = decode(&bytes, Some("application/xml"));
            assert!(decoded.contains(text), "{label}: {decoded}");
            assert!(decoded.contains("encoding=\"UTF-8\""), "{label}: {decoded}");
        }
    }

    #[test]
    fn blank_lines_before_the_declaration_are_dropped() {
        let decoded = decode(b"\n\n  <?xml version=\"1.0\"?><rss/>", None);
        assert!(decoded.starts_with("<?xml"));
    }

    #[test]
    fn pages_declare_their_charset_in_meta() {
        let page = |meta: &str, text: &str, enc: &'static Encoding| {
            let doc = format!(
                "<!DOCTYPE html><html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"
            );
            enc.encode(&doc).0.into_owned()
        };
        // windows-1258 writes tones as combining marks: encode the NFD-ish form.
        let vi = "Hải Phòng";
        let mut bytes = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1258\"></head><body>Ha".to_vec();
        bytes.extend_from_slice(&[0xD2]);
        bytes.extend_from_slice(b"i Pho");
        bytes.extend_from_slice(&[0xCC]);
        bytes.extend_from_slice(b"ng</body></html>");
        assert!(crate::text::nfc(&decode_html(&bytes, Some("text/html"))).contains(vi));
        let latin = page("<meta charset='ISO-8859-1'>", "Café crème", WINDOWS_1252);
        assert!(decode_html(&latin, None).contains("Café crème"));
        let sjis = page(
            "<META CHARSET=Shift_JIS>",
            "東京のニュース",
            encoding_rs::SHIFT_JIS,
        );
        assert!(decode_html(&sjis, None).contains("東京のニュース"));
        // The header speaks when the page does not; valid UTF-8 survives a stale header.
        let plain = page("", "Café", WINDOWS_1252);
        assert!(decode_html(&plain, Some("text/html; charset=windows-1252")).contains("Café"));
        let utf8 = page("<meta charset=\"utf-8\">", "Đà Nẵng", UTF_8);
        assert!(decode_html(&utf8, Some("text/html; charset=iso-8859-1")).contains("Đà Nẵng"));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(&page("<meta charset=windows-1252>", "Huế", UTF_8));
        assert!(decode_html(&bom, None).contains("Huế"));
    }

    #[test]
    fn bom_wins() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<t>Huế</t>".as_bytes());
        assert_eq!(
            decode(&bytes, Some("text/xml; charset=windows-1252")),
            "<t>Huế</t>"
        );
    }
}
