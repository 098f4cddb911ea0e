//! Fetching a source over HTTP(S) through the guarded network path
//! ([`crate::net`]) — conditional GET, connect and total timeouts, at most
//! five redirects followed one by one (each hop checked, permanent moves
//! noticed), and a body limit enforced while streaming (after
//! decompression, so a gzip bomb is cut off too) — or from a `file:` URL,
//! which only the config file may name.

use std::time::{Duration, Instant, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use reqwest::header::{
    CACHE_CONTROL, CONTENT_LOCATION, CONTENT_TYPE, ETAG, EXPIRES, HeaderMap, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use url::Url;

use crate::net::{NetError, Request, read_body};

use crate::config::PollerConfig;

const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        status: u16,
        reason: Option<&'static str>,
        /// From `Retry-After` on 429 and 503.
        retry_after: Option<DateTime<Utc>>,
    },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("the response is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("network error: {0}")]
    Network(String),
    #[error("too many redirects (more than {MAX_REDIRECTS})")]
    TooManyRedirects,
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("redirect without a usable Location header")]
    BadRedirect,
    #[error(
        "{0} has no public address that Tributary may reach (sources added through the API reach public addresses only)"
    )]
    PrivateAddress(String),
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("unsupported URL scheme {0:?}")]
    UnsupportedScheme(String),
}

/// Cache validators remembered from the last successful fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub use crate::schedule::CacheHints;

#[derive(Debug)]
pub struct FetchResult {
    pub outcome: FetchOutcome,
    pub hints: CacheHints,
    /// Set when every hop to the body was a permanent redirect (301/308):
    /// where the source now lives.
    pub moved_to: Option<Url>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    NotModified { status: u16 },
    Fetched(Box<FetchedFeed>),
}

#[derive(Debug)]
pub struct FetchedFeed {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the body came from after redirects.
    pub final_url: Url,
    /// The body's own address when the server names one
    /// (`Content-Location`): the base of its relative links.
    pub content_location: Option<Url>,
    /// The `Link` header (WebSub discovery).
    pub link_header: Option<String>,
}

pub use crate::net::Reach;

/// Every `Link` header of a response, joined as one list.
fn link_header(headers: &HeaderMap) -> Option<String> {
    let all: Vec<&str> = headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join(", "))
}

#[derive(Clone)]
pub struct Fetcher {
    client: crate::net::Client,
    timeout: Duration,
    max_body_bytes: u64,
}

impl From<NetError> for FetchError {
    fn from(e: NetError) -> FetchError {
        match e {
            NetError::Refused(r) => FetchError::PrivateAddress(r.host),
            NetError::Timeout(t) => FetchError::Timeout(t),
            NetError::Network(m) | NetError::Setup(m) => FetchError::Network(m),
            NetError::TooManyRedirects(_) => FetchError::TooManyRedirects,
            NetError::RedirectLoop(u) => FetchError::RedirectLoop(u),
            NetError::BadRedirect => FetchError::BadRedirect,
            NetError::TooLarge { limit } => FetchError::TooLarge { limit },
            NetError::UnsupportedScheme(s) => FetchError::UnsupportedScheme(s),
        }
    }
}

impl Fetcher {
    pub fn new(config: &PollerConfig) -> Result<Fetcher, FetchError> {
        Ok(Fetcher {
            client: crate::net::Client::new(config)?,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// The guarded network path this fetcher sends through.
    pub fn client(&self) -> &crate::net::Client {
        &self.client
    }

    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
        reach: Reach,
    ) -> Result<FetchResult, FetchError> {
        match url.scheme() {
            // The total timeout covers every hop and the whole body.
            "http" | "https" => {
                tokio::time::timeout(self.timeout, self.fetch_http(url, validators, reach))
                    .await
                    .unwrap_or(Err(FetchError::Timeout(self.timeout)))
            }
            "file" if reach == Reach::Any => self.fetch_file(url, validators).await,
            other => Err(FetchError::UnsupportedScheme(other.to_owned())),
        }
    }

    async fn fetch_http(
        &self,
        start: &Url,
        validators: &Validators,
        reach: Reach,
    ) -> Result<FetchResult, FetchError> {
        let mut request = Request::get(start.clone(), self.timeout).header(
            reqwest::header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        request.max_redirects = MAX_REDIRECTS;
        let reply = self.client.send(request, reach).await?;
        let url = reply.url;
        let response = reply.response;
        let moved_to = reply.all_permanent.then(|| url.clone());
        let status = response.status();
        let headers = response.headers().clone();
        let hints = cache_hints(&headers);
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(FetchResult {
                outcome: FetchOutcome::NotModified { status: 304 },
                hints,
                moved_to,
            });
        }
        if !status.is_success() {
            let retry_after = matches!(status.as_u16(), 429 | 503)
                .then(|| {
                    headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after)
                })
                .flatten();
            return Err(FetchError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason(),
                retry_after,
            });
        }
        let body = read_body(response, self.max_body_bytes, self.timeout).await?;
        Ok(FetchResult {
            outcome: FetchOutcome::Fetched(Box::new(FetchedFeed {
                status: status.as_u16(),
                body,
                content_type: header(&headers, CONTENT_TYPE),
                validators: Validators {
                    etag: header(&headers, ETAG),
                    last_modified: header(&headers, LAST_MODIFIED),
                },
                content_location: header(&headers, CONTENT_LOCATION)
                    .and_then(|l| url.join(l.trim()).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https")),
                link_header: link_header(&headers),
                final_url: url,
            })),
            hints,
            moved_to,
        })
    }

    /// Files get a validator from their size and modification time, so an
    /// unchanged file costs what a 304 costs.
    async fn fetch_file(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchResult, FetchError> {
        let path = url.to_file_path().map_err(|_| FetchError::File {
            path: url.to_string(),
            message: "not a local file path".into(),
        })?;
        let file_error = |e: std::io::Error| FetchError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let meta = tokio::fs::metadata(&path).await.map_err(file_error)?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .unwrap_or_default();
        let etag = format!("\"{:x}-{:x}\"", modified.as_nanos(), meta.len());
        let result = |outcome| FetchResult {
            outcome,
            hints: CacheHints::default(),
            moved_to: None,
        };
        if validators.etag.as_deref() == Some(etag.as_str()) {
            return Ok(result(FetchOutcome::NotModified { status: 304 }));
        }
        if meta.len() > self.max_body_bytes {
            return Err(FetchError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let body = tokio::fs::read(&path).await.map_err(file_error)?;
        let last_modified = meta
            .modified()
            .ok()
            .map(|t| httpdate(DateTime::<Utc>::from(t)));
        Ok(result(FetchOutcome::Fetched(Box::new(FetchedFeed {
            status: 200,
            body,
            content_type: None,
            validators: Validators {
                etag: Some(etag),
                last_modified,
            },
            final_url: url.clone(),
            content_location: None,
            link_header: None,
        }))))
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 1024)
}

fn httpdate(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn cache_hints(headers: &HeaderMap) -> CacheHints {
    let max_age = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|d| {
            let (k, v) = d.split_once('=')?;
            matches!(
                k.trim().to_ascii_lowercase().as_str(),
                "max-age" | "s-maxage"
            )
            .then(|| v.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
        })
        .max()
        .map(Duration::from_secs);
    let expires = headers
        .get(EXPIRES)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
        .map(|d| d.with_timezone(&Utc));
    CacheHints { max_age, expires }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Utc::now() + chrono::Duration::seconds(secs.min(30 * 86_400) as i64));
    }
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// How long a poll took, for the fetch log.
pub fn elapsed_ms(started: Instant) -> i32 {
    started.elapsed().as_millis().min(i32::MAX as u128) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn cache_control_and_expires_are_read() {
        let mut h = HeaderMap::new();
        h.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=600"),
        );
        h.insert(
            EXPIRES,
            HeaderValue::from_static("Wed, 25 Nov 2026 08:00:00 GMT"),
        );
        let hints = cache_hints(&h);
        assert_eq!(hints.max_age, Some(Duration::from_secs(600)));
        assert_eq!(
            hints.expires.unwrap().to_rfc3339(),
            "2026-11-25T08:00:00+00:00"
        );
    }

    #[test]
    fn retry_after_seconds_or_date() {
        let soon = parse_retry_after("120").unwrap();
        let delta = (soon - Utc::now()).num_seconds();
        assert!((118..=120).contains(&delta), "{delta}");
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 08:00:00 GMT")
                .unwrap()
                .to_rfc3339(),
            "2026-11-25T08:00:00+00:00"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
