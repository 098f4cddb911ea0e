//! Near-duplicate signatures: a 64-bit SimHash of an article's folded title
//! and body shingles, so that an edited or re-captioned copy lands a few bits
//! away from the original, and a sketch of the numbers it mentions, so that
//! template texts ("Thời tiết hôm nay: Hà Nội 18–24 độ") of different days
//! are told apart although their words barely differ.

use super::stable_hash;
use crate::text;

/// Bodies shorter than this (in words, boilerplate excluded) are too generic
/// to be matched approximately: short notices share most of their words.
pub const NEAR_MIN_WORDS: usize = 40;

/// SimHashes at most this many bits apart may be the same article.
/// Tuned on `tests/data/dedup/`: see `tests/it/dedup_eval.rs`.
pub const MAX_DISTANCE: u32 = 3;

/// The SimHash is cut into this many bands; two hashes within
/// [`MAX_DISTANCE`] bits agree on at least one band (pigeonhole), so
/// candidates are found by band equality, never by scanning.
pub const BANDS: usize = (MAX_DISTANCE + 1) as usize;
const BAND_BITS: u32 = 64 / BANDS as u32;

/// What near-duplicate matching knows about an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearSignature {
    pub simhash: u64,
    /// One bit per distinct number in the text (dates, scores, figures).
    pub numbers: u64,
}

/// Computes the signature from the folded, boilerplate-free body words
/// (see [`crate::stories::fingerprint::content_words`]) and the title;
/// `None` when the body is too short to be matched approximately.
pub fn signature<W: AsRef<str>>(title: &str, body_words: &[W]) -> Option<NearSignature> {
    if body_words.len() < NEAR_MIN_WORDS {
        return None;
    }
    // Per bit, how many features have it set; a bit of the SimHash is set
    // when more than half do (counted branch-free: the loop vectorizes).
    let mut ones = [0u32; 64];
    let mut features = 0u32;
    let mut add = |h: u64| {
        for (bit, n) in ones.iter_mut().enumerate() {
            *n += (h >> bit & 1) as u32;
        }
        features += 1;
    };
    // Word pairs of the body: robust to a changed word (two features move),
    // and to reordering of sentences (most pairs survive).
    for pair in body_words.windows(2) {
        add(stable_hash(&[
            pair[0].as_ref().as_bytes(),
            b" ",
            pair[1].as_ref().as_bytes(),
        ]));
    }
    let folded_title = text::fold(title);
    for w in text::words(&folded_title) {
        add(stable_hash(&[b"t:", w.as_bytes()]));
    }
    let simhash = ones
        .iter()
        .enumerate()
        .filter(|(_, n)| 2 * **n > features)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit);
    let numbers = body_words
        .iter()
        .map(AsRef::as_ref)
        .filter(|w: &&str| w.bytes().any(|b| b.is_ascii_digit()))
        .fold(0u64, |acc, w| {
            acc | 1 << (stable_hash(&[w.as_bytes()]) % 64)
        });
    Some(NearSignature { simhash, numbers })
}

/// Bits in which two SimHashes differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Keys of the bands of a SimHash: band index in the high bits, so one
/// index serves every band.
pub fn band_keys(simhash: u64) -> [i64; BANDS] {
    let mask = (1u64 << BAND_BITS) - 1;
    let mut keys = [0i64; BANDS];
    for (i, key) in keys.iter_mut().enumerate() {
        let value = (simhash >> (i as u32 * BAND_BITS)) & mask;
        *key = (i as i64) << BAND_BITS | value as i64;
    }
    keys
}

/// Whether two texts mention the same numbers, as far as their sketches
/// tell: at least half of the numbers of the one with fewer are in the
/// other (a trimmed copy loses some). Texts without numbers agree.
pub fn numbers_agree(a: u64, b: u64) -> bool {
    let fewer = a.count_ones().min(b.count_ones());
    2 * (a & b).count_ones() >= fewer
}

/// The stricter test for texts under generic headlines, which are often
/// templates filled in with other figures (weather, prices, results): at
/// least half of all the numbers either mentions are shared.
pub fn numbers_match(a: u64, b: u64) -> bool {
    let union = (a | b).count_ones();
    2 * (a & b).count_ones() >= union
}

/// Headlines of this many words or fewer ("Tin vắn", "Thời tiết hôm nay",
/// "Live updates") say nothing about which story a text is.
const GENERIC_TITLE_WORDS: usize = 4;

/// Whether a headline is too short to tell stories apart.
pub fn is_generic_title(title: &str) -> bool {
    text::words(&text::fold(title)).count() <= GENERIC_TITLE_WORDS
}

/// Whether two titles are about the same thing: they share at least a third
/// of their distinct folded words, or one contains the other. An edited copy
/// keeps the names in its headline; a generic title ("Tin vắn") is only
/// evidence when the bodies agree as well, which the SimHash checks.
pub fn titles_agree(a: &str, b: &str) -> bool {
    let (fa, fb) = (text::fold(a), text::fold(b));
    let mut wa: Vec<&str> = text::words(&fa).collect();
    let mut wb: Vec<&str> = text::words(&fb).collect();
    wa.sort_unstable();
    wa.dedup();
    wb.sort_unstable();
    wb.dedup();
    if wa.is_empty() || wb.is_empty() {
        return false;
    }
    let shared = wa.iter().filter(|w| wb.binary_search(w).is_ok()).count();
    let smaller = wa.len().min(wb.len());
    let union = wa.len() + wb.len() - shared;
    shared == smaller || 3 * shared >= union
}

/// A stored entry as near-duplicate matching sees it.
#[derive(Debug, Clone)]
pub struct NearEntry<'a> {
    pub title: &'a str,
    pub simhash: u64,
    pub numbers: u64,
    /// Its sentence sketch (see [`crate::stories::passages`]).
    pub passages: &'a [i64],
}

/// SimHashes this close are the same body whatever the headlines say
/// (outlets rewrite headlines of syndicated copies freely).
const SAME_BODY_DISTANCE: u32 = 1;

/// The SimHash half of the near-duplicate rule: close SimHashes, and either
/// nearly the same body or headlines that agree.
pub fn simhashes_agree(a: &NearEntry<'_>, b: &NearEntry<'_>) -> bool {
    let d = distance(a.simhash, b.simhash);
    d <= MAX_DISTANCE && (d <= SAME_BODY_DISTANCE || titles_agree(a.title, b.title))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::fingerprint::content_words;

    const BODY: &str = "Sáng 25/11, Ủy ban nhân dân thành phố Hải Phòng tổ chức hội nghị triển khai kế hoạch \
        phát triển cảng biển giai đoạn 2026-2030, với mục tiêu nâng công suất khai thác lên 200 triệu tấn \
        hàng hóa mỗi năm và thu hút thêm các hãng tàu quốc tế. Theo lãnh đạo thành phố, khu bến Lạch Huyện \
        sẽ được mở rộng thêm sáu bến container, đồng thời tuyến đường sắt nối cảng với khu công nghiệp \
        Nam Đình Vũ sẽ được khởi công trong quý II năm sau.";

    fn sig(title: &str, body: &str) -> NearSignature {
        signature(title, &content_words(body)).unwrap()
    }

    #[test]
    fn signatures_are_stable_across_builds() {
        // Stored signatures are compared with new ones: any change to the
        // hashing is a migration, not a refactoring.
        let s = sig("Hải Phòng mở rộng cảng Lạch Huyện", BODY);
        assert_eq!(
            (s.simhash, s.numbers),
            (1_748_074_303_217_916_025, 13_835_058_059_845_599_232)
        );
    }

    #[test]
    fn the_hash_is_stable_across_builds() {
        // Stored in the database: a change here needs a migration that rehashes.
        assert_eq!(stable_hash(&[b"hai phong"]), 0xf428_9905_444b_2deb);
    }

    #[test]
    fn a_recaptioned_copy_is_a_few_bits_away_and_another_story_is_not() {
        let original = sig("Hải Phòng mở rộng cảng Lạch Huyện", BODY);
        let copy = sig(
            "NÓNG: Hải Phòng mở rộng cảng Lạch Huyện",
            &format!("{BODY}\nẢnh: Lê Tân/TTXVN\nChia sẻ: Facebook | Zalo"),
        );
        assert!(distance(original.simhash, copy.simhash) <= MAX_DISTANCE);
        let other = sig(
            "Đà Nẵng khởi công cầu mới",
            "Chiều 24/11, thành phố Đà Nẵng khởi công xây dựng cây cầu thứ bảy bắc qua sông Hàn, \
             tổng vốn đầu tư hơn 3.000 tỷ đồng, dự kiến hoàn thành sau 30 tháng thi công. Cây cầu dài \
             1,2 km, rộng sáu làn xe, nối quận Hải Châu với quận Sơn Trà và giảm tải cho cầu Rồng \
             vào giờ cao điểm, theo Sở Giao thông vận tải thành phố.",
        );
        assert!(distance(original.simhash, other.simhash) > 12);
    }

    #[test]
    fn short_bodies_have_no_signature() {
        assert_eq!(
            signature("Tin vắn", &content_words("Mưa lớn ở Hà Nội chiều nay.")),
            None
        );
    }

    #[test]
    fn hashes_within_the_distance_share_a_band() {
        let a = 0x0123_4567_89ab_cdefu64;
        for flips in [[0u32, 17, 35], [15, 16, 63], [1, 2, 3]] {
            let b = flips.iter().fold(a, |h, bit| h ^ 1 << bit);
            let (ka, kb) = (band_keys(a), band_keys(b));
            assert!(ka.iter().zip(kb.iter()).any(|(x, y)| x == y));
        }
        // Keys of different bands never collide.
        let keys = band_keys(0);
        assert_eq!(keys.len(), BANDS);
        assert!(keys.windows(2).all(|w| w[0] != w[1]));
    }

    #[test]
    fn numbers_and_titles() {
        let a = sig(
            "Thời tiết hôm nay",
            &format!("{BODY} Nhiệt độ 18 đến 24 độ."),
        );
        let b = sig(
            "Thời tiết hôm nay",
            &format!("{BODY} Nhiệt độ 18 đến 24 độ."),
        );
        assert!(numbers_agree(a.numbers, b.numbers));
        assert!(numbers_agree(0, 0));
        assert!(!numbers_agree(0b1111, 0b11_0000));
        assert!(numbers_agree(0b1111, 0b11));
        assert!(!numbers_match(0b1111, 0b1));
        assert!(numbers_match(0b1111, 0b111));
        assert!(is_generic_title("Thời tiết hôm nay"));
        assert!(!is_generic_title("Hải Phòng mở rộng cảng Lạch Huyện"));
        assert!(titles_agree(
            "Hải Phòng mở rộng cảng Lạch Huyện",
            "Cảng Lạch Huyện ở Hải Phòng sẽ có thêm sáu bến"
        ));
        assert!(titles_agree("Tin vắn", "Tin vắn"));
        assert!(!titles_agree(
            "Hải Phòng mở rộng cảng Lạch Huyện",
            "Đà Nẵng khởi công cầu mới"
        ));
    }
}
