//! Content fingerprints: a hash of an article's folded text, equal for the
//! same article republished by another outlet with other markup, case,
//! spacing, punctuation or diacritics.

use sha2::{Digest, Sha256};

use crate::text;

/// Fewer words than this and the text is too generic to identify an article.
pub const MIN_WORDS: usize = 25;

/// Lines that outlets add around the same article and that must not count:
/// photo credits, share bars, "read more" links. Prefixes carry their colon
/// where the bare words start real sentences ("Chia sẻ với báo chí, ...").
fn is_boilerplate(word_run: &str) -> bool {
    let lower = word_run.trim_start();
    [
        "anh:",
        "anh :",
        "nguon:",
        "photo:",
        "photo :",
        "image:",
        "share:",
        "share this",
        "chia se:",
        "xem them",
        "read more",
        "doc them",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// The folded words of an article body (plain text), with boilerplate
/// left out: a line that starts as a caption or a share bar goes whole, so
/// do such sentences within a line. Fingerprints, SimHashes and passage
/// hashes are computed from these.
pub fn content_words(body_text: &str) -> Vec<String> {
    content_words_of(&text::fold(body_text))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// [`content_words`] of an already folded body, borrowed from it (ingest
/// computes them once per entry and hashes them three ways).
pub fn content_words_of(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in folded.lines() {
        if is_boilerplate(line) {
            continue;
        }
        for sentence in line.split(['.', '!', '?', '|', ';']) {
            if !is_boilerplate(sentence) {
                out.extend(text::words(sentence));
            }
        }
    }
    out
}

/// The fingerprint of an article's body words (see [`content_words`]), or
/// `None` when they are too few to tell articles apart.
pub fn content_fingerprint<W: AsRef<str>>(words: &[W]) -> Option<[u8; 16]> {
    if words.len() < MIN_WORDS {
        return None;
    }
    let mut hasher = Sha256::new();
    for w in words {
        hasher.update(w.as_ref().as_bytes());
        hasher.update(b" ");
    }
    let digest = hasher.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(body: &str) -> Option<[u8; 16]> {
        content_fingerprint(&content_words(body))
    }

    const BODY: &str = "Sáng 25/11, Ủy ban nhân dân thành phố Hải Phòng tổ chức hội nghị triển khai kế hoạch \
        phát triển cảng biển giai đoạn 2026-2030, với mục tiêu nâng công suất khai thác lên 200 triệu tấn \
        hàng hóa mỗi năm và thu hút thêm các hãng tàu quốc tế.";

    #[test]
    fn same_text_other_case_spacing_and_accents_matches() {
        let other = BODY.to_uppercase().replace(' ', "  ");
        assert_eq!(fp(BODY), fp(&other));
        let unaccented = text::fold(BODY);
        assert_eq!(fp(BODY), fp(&unaccented));
    }

    #[test]
    fn photo_captions_do_not_count() {
        let with_caption = format!("{BODY}\nẢnh: Lê Tân");
        assert_eq!(fp(BODY), fp(&with_caption));
    }

    #[test]
    fn different_text_differs_and_short_text_has_none() {
        let changed = BODY.replace("200 triệu", "300 triệu");
        assert_ne!(fp(BODY), fp(&changed));
        assert_eq!(fp("Tin vắn: mưa lớn ở Hà Nội"), None);
    }
}
