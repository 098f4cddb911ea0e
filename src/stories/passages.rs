//! Shared passages: an edited copy of an article keeps most of its word
//! sequences verbatim while its headline, lede or last paragraph change, and
//! such edits move a short text's SimHash too far (10 % of words changed is
//! ~10 bits). A bottom-k sketch of word 4-shingle hashes catches those
//! copies: copies share many shingles, different stories on one topic share
//! a stock phrase or two.

use super::stable_hash;

/// Words per shingle: long enough that stock phrases ("theo số liệu của")
/// rarely make a whole shingle, short enough that one changed word spoils
/// only four.
pub const SHINGLE_WORDS: usize = 4;

/// How many shingle hashes an entry keeps: the smallest ones (a bottom-k
/// sketch), so two copies keep the same sample of the shingles they share.
pub const SKETCH_SIZE: usize = 16;

/// How many of the smallest hashes are indexed for finding candidates: two
/// versions of one text share most of their smallest hashes, so a few
/// suffice, and every indexed key costs an index entry per stored entry.
pub const INDEXED: usize = 8;

/// One text is a version of the other when at least this share of its
/// shingles (estimated from the sketches) is in the other: a trimmed or
/// extended copy is contained in the original, a follow-up article that
/// repeats one background paragraph only a third.
const MIN_CONTAINMENT: f64 = 0.6;

/// Estimates from fewer comparable hashes than this are not trusted.
const MIN_COMPARABLE: usize = 5;

/// The sketch of an article's folded words (see
/// [`crate::stories::fingerprint::content_words`]): hashes of its word
/// 4-shingles, the smallest [`SKETCH_SIZE`], sorted. Stored as signed
/// 64-bit integers.
pub fn sketch<W: AsRef<str>>(words: &[W]) -> Vec<i64> {
    let mut hashes: Vec<i64> = words
        .windows(SHINGLE_WORDS)
        .map(|w| {
            // The hash of the words joined by spaces, without joining them.
            let mut parts: [&[u8]; 2 * SHINGLE_WORDS - 1] = [b" "; 2 * SHINGLE_WORDS - 1];
            for (i, word) in w.iter().enumerate() {
                parts[2 * i] = word.as_ref().as_bytes();
            }
            stable_hash(&parts) as i64
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(SKETCH_SIZE);
    hashes
}

/// How many hashes two sorted sketches share.
pub fn shared(a: &[i64], b: &[i64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The estimated share of `a`'s shingles that are in `b`'s text, and how
/// many hashes the estimate rests on. Only hashes of `a` up to the largest
/// of `b`'s sketch can be checked (above it `b`'s sketch says nothing),
/// unless `b`'s sketch holds all its shingles.
pub fn containment(a: &[i64], b: &[i64]) -> (f64, usize) {
    let limit = match b.last() {
        Some(last) if b.len() >= SKETCH_SIZE => *last,
        _ => i64::MAX,
    };
    let comparable: Vec<i64> = a.iter().copied().filter(|v| *v <= limit).collect();
    if comparable.is_empty() {
        return (0.0, 0);
    }
    let n = shared(&comparable, b);
    (n as f64 / comparable.len() as f64, comparable.len())
}

/// Whether two sketches show one article: either text is mostly contained
/// in the other.
pub fn passages_agree(a: &[i64], b: &[i64]) -> bool {
    let ok = |(c, n): (f64, usize)| n >= MIN_COMPARABLE && c >= MIN_CONTAINMENT;
    ok(containment(a, b)) || ok(containment(b, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::fingerprint::content_words;

    const ARTICLE: &str = "Sáng 21/11, Bộ Xây dựng tổ chức lễ khởi công cầu Đại Ngãi 2 bắc qua sông Hậu, \
        thuộc dự án đường bộ ven biển nối Sóc Trăng với Trà Vinh, tổng mức đầu tư hơn 4.000 tỷ đồng. \
        Cầu dài 2,1 km, rộng bốn làn xe, có nhịp chính dây văng dài 450 m cho phép tàu biển trọng tải \
        20.000 tấn đi qua.\nCông trình dự kiến hoàn thành vào cuối năm 2028. Khi đưa vào sử dụng, cầu \
        sẽ rút ngắn thời gian đi từ Sóc Trăng sang Trà Vinh xuống còn khoảng 40 phút.\nẢnh: Bộ Xây dựng";

    fn sk(text: &str) -> Vec<i64> {
        sketch(&content_words(text))
    }

    #[test]
    fn sketches_are_bounded_and_short_texts_have_few_shingles() {
        assert_eq!(sk(ARTICLE).len(), SKETCH_SIZE);
        assert!(sk("Tin vắn: mưa to").len() < MIN_COMPARABLE);
        // Captions are not part of the text.
        assert_eq!(
            sk(ARTICLE),
            sk(&ARTICLE.replace("Ảnh: Bộ Xây dựng", "Ảnh: TTXVN"))
        );
    }

    #[test]
    fn an_edited_copy_shares_passages_and_another_story_does_not() {
        let edited = ARTICLE
            .replace("tổ chức lễ khởi công", "khởi công")
            .replace("Khi đưa vào sử dụng, c", "C");
        assert!(passages_agree(&sk(ARTICLE), &sk(&edited)));
        let other = "Sáng 21/11, Bộ Xây dựng tổ chức lễ thông xe cầu Mỹ Thuận 2 bắc qua sông Tiền, \
            nối Tiền Giang với Vĩnh Long, vốn đầu tư hơn 5.000 tỷ đồng. Cầu dài 6,8 km, rộng sáu \
            làn xe, giúp giảm tải cho cầu Mỹ Thuận hiện hữu vào các dịp lễ, Tết khi lượng xe về \
            miền Tây tăng cao, theo Ban quản lý dự án Mỹ Thuận.";
        assert!(!passages_agree(&sk(ARTICLE), &sk(other)));
    }

    #[test]
    fn shingle_hashes_are_those_of_the_joined_words() {
        // Stored sketches must not change: hashing a shingle's words with
        // spaces between equals hashing the joined shingle.
        let words = content_words(ARTICLE);
        let mut joined: Vec<i64> = words
            .windows(SHINGLE_WORDS)
            .map(|w| stable_hash(&[w.join(" ").as_bytes()]) as i64)
            .collect();
        joined.sort_unstable();
        joined.dedup();
        joined.truncate(SKETCH_SIZE);
        assert_eq!(sketch(&words), joined);
    }

    #[test]
    fn shared_counts_common_hashes_of_sorted_sketches() {
        assert_eq!(shared(&[1, 3, 5, 7], &[2, 3, 7, 9]), 2);
        assert_eq!(shared(&[], &[1]), 0);
    }

    #[test]
    fn containment_only_judges_comparable_hashes() {
        let full: Vec<i64> = (0..SKETCH_SIZE as i64).map(|i| i * 10).collect();
        // A trimmed copy: every hash it has below the full sketch's largest is in it.
        let trimmed: Vec<i64> = (0..SKETCH_SIZE as i64).map(|i| i * 20).collect();
        let (c, n) = containment(&trimmed, &full);
        assert_eq!((c, n), (1.0, 8));
        assert!(passages_agree(&trimmed, &full));
        // A short sketch (all of a short text) makes every hash comparable.
        assert_eq!(containment(&full, &[0, 10]), (2.0 / 16.0, 16));
    }
}
