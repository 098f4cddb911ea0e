//! Content fingerprints: a hash of an article's folded text, equal for the
//! same article republished by another outlet with other markup, case,
//! spacing, punctuation or diacritics.

use sha2::{Digest, Sha256};

use crate::text;

/// Fewer words than this and the text is too generic to identify an article.
pub const MIN_WORDS: usize = 25;

/// Lines that outlets add around the same article and that must not count.
fn is_boilerplate(word_run: &str) -> bool {
    let lower = word_run.trim_start();
    [
        "anh:",
        "anh :",
        "nguon:",
        "photo:",
        "share",
        "chia se",
        "xem them",
        "read more",
        "doc them",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// The fingerprint of an article body (plain text), or `None` when it is too
/// short to tell articles apart.
pub fn content_fingerprint(body_text: &str) -> Option<[u8; 16]> {
    let folded = text::fold(body_text);
    let mut hasher = Sha256::new();
    let mut count = 0usize;
    // Sentences/lines that are boilerplate are skipped as a whole.
    for segment in folded.split(['\n', '.', '!', '?', '|', ';']) {
        if is_boilerplate(segment) {
            continue;
        }
        for w in text::words(segment) {
            hasher.update(w.as_bytes());
            hasher.update(b" ");
            count += 1;
        }
    }
    if count < MIN_WORDS {
        return None;
    }
    let digest = hasher.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "Sáng 25/11, Ủy ban nhân dân thành phố Hải Phòng tổ chức hội nghị triển khai kế hoạch \
        phát triển cảng biển giai đoạn 2026-2030, với mục tiêu nâng công suất khai thác lên 200 triệu tấn \
        hàng hóa mỗi năm và thu hút thêm các hãng tàu quốc tế.";

    #[test]
    fn same_text_other_case_spacing_and_accents_matches() {
        let other = BODY.to_uppercase().replace(' ', "  ");
        assert_eq!(content_fingerprint(BODY), content_fingerprint(&other));
        let unaccented = text::fold(BODY);
        assert_eq!(content_fingerprint(BODY), content_fingerprint(&unaccented));
    }

    #[test]
    fn photo_captions_do_not_count() {
        let with_caption = format!("{BODY}\nẢnh: Lê Tân");
        assert_eq!(
            content_fingerprint(BODY),
            content_fingerprint(&with_caption)
        );
    }

    #[test]
    fn different_text_differs_and_short_text_has_none() {
        let changed = BODY.replace("200 triệu", "300 triệu");
        assert_ne!(content_fingerprint(BODY), content_fingerprint(&changed));
        assert_eq!(content_fingerprint("Tin vắn: mưa lớn ở Hà Nội"), None);
    }
}
