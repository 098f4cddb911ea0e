//! Static assets embedded in the binary, served under names that carry a
//! hash of their bytes, so they can be cached for a year and a new build's
//! pages never see an old stylesheet.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

pub struct Asset {
    stem: &'static str,
    ext: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    hashed: OnceLock<(String, String)>,
}

impl Asset {
    const fn new(
        stem: &'static str,
        ext: &'static str,
        content_type: &'static str,
        body: &'static [u8],
    ) -> Asset {
        Asset {
            stem,
            ext,
            content_type,
            body,
            hashed: OnceLock::new(),
        }
    }

    fn hashed(&self) -> &(String, String) {
        self.hashed.get_or_init(|| {
            let digest = Sha256::digest(self.body);
            let hex = hex::encode(&digest[..6]);
            (
                format!("/static/{}-{hex}.{}", self.stem, self.ext),
                format!("\"{hex}\""),
            )
        })
    }

    /// The URL path pages link.
    pub fn path(&self) -> &str {
        &self.hashed().0
    }

    pub fn etag(&self) -> &str {
        &self.hashed().1
    }
}

pub static STYLE: Asset = Asset::new(
    "style",
    "css",
    "text/css; charset=utf-8",
    include_bytes!("../../assets/style.css"),
);

pub static TIMES: Asset = Asset::new(
    "times",
    "js",
    "text/javascript; charset=utf-8",
    include_bytes!("../../assets/times.js"),
);

pub static ICON: Asset = Asset::new(
    "favicon",
    "svg",
    "image/svg+xml",
    include_bytes!("../../assets/favicon.svg"),
);

/// The asset a request path names (only the current hashed names; browsers
/// ask for `/favicon.ico` whatever the page says).
pub fn find(path: &str) -> Option<&'static Asset> {
    if path == "/favicon.ico" {
        return Some(&ICON);
    }
    [&STYLE, &TIMES, &ICON]
        .into_iter()
        .find(|a| a.path() == path)
}
