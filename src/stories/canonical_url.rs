//! Canonical URLs: the form two links must share to be the same article.
//! Lower-case scheme and host, no default port, no fragment, tracking
//! parameters removed, the rest sorted; `http` and `https` are one.

use url::Url;

/// Query parameters that only say who sent the click.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "vero_id",
    "vero_conv",
    "oly_enc_id",
    "oly_anon_id",
    "__twitter_impression",
    "s_cid",
    "cmpid",
    "ocid",
    "ncid",
    "spm",
    "share_source",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_PARAMS.contains(&lower.as_str())
}

/// The canonical form of an http(s) URL; `None` for other schemes.
pub fn canonical_url(url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(url.as_str().len());
    out.push_str("https://");
    out.push_str(&host);
    if let Some(port) = url.port().filter(|p| *p != 80 && *p != 443) {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path());
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.is_empty() && !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !params.is_empty() {
        params.sort();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        out.push('?');
        out.push_str(&query);
    }
    Some(out)
}

/// Parses and canonicalizes in one step.
pub fn canonical_url_str(text: &str) -> Option<String> {
    Url::parse(text).ok().as_ref().and_then(canonical_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonical_url_str(s).unwrap()
    }

    #[test]
    fn tracking_parameters_are_removed_and_the_rest_sorted() {
        assert_eq!(
            canon(
                "https://vnexpress.net/bai-viet-123.html?utm_source=rss&b=2&fbclid=xyz&a=1&utm_medium=feed"
            ),
            "https://vnexpress.net/bai-viet-123.html?a=1&b=2"
        );
        assert_eq!(
            canon("https://a.example/x?utm_campaign=c"),
            "https://a.example/x"
        );
    }

    #[test]
    fn scheme_host_case_port_and_fragment_do_not_matter() {
        let want = "https://tuoitre.vn/tin-1.htm";
        assert_eq!(canon("http://TuoiTre.VN/tin-1.htm"), want);
        assert_eq!(canon("https://tuoitre.vn:443/tin-1.htm#comments"), want);
        assert_eq!(canon("http://tuoitre.vn:80/tin-1.htm"), want);
        assert_eq!(canon("https://tuoitre.vn./tin-1.htm"), want);
        assert_eq!(
            canon("https://tuoitre.vn:8443/tin-1.htm"),
            "https://tuoitre.vn:8443/tin-1.htm"
        );
    }

    #[test]
    fn bare_host_gets_a_slash() {
        assert_eq!(canon("https://example.org"), canon("https://example.org/"));
    }

    #[test]
    fn non_web_schemes_have_no_canonical_form() {
        assert_eq!(canonical_url_str("mailto:a@b.example"), None);
        assert_eq!(canonical_url_str("file:///tmp/x"), None);
    }
}
