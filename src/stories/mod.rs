//! Stories: one article carried by several sources. Canonical URLs and
//! content fingerprints are pure functions; `group` owns the SQL.

pub mod canonical_url;
pub mod fingerprint;
pub mod group;
