//! Stories: one article carried by several sources. Canonical URLs,
//! content fingerprints, SimHash signatures and passage sketches are pure
//! functions; `decide` is the grouping decision (pure), `group` owns the
//! SQL around it.

pub mod canonical_url;
pub mod decide;
#[cfg(test)]
mod decide_tests;
pub mod fingerprint;
pub mod group;
pub mod passages;
pub mod simhash;

/// FNV-1a over the parts, then a SplitMix64 finalizer to spread the bits:
/// stable across builds and platforms (the hashes are stored).
pub(crate) fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}
