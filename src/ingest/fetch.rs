//! Fetching a source over HTTP(S) — conditional GET, connect and total
//! timeouts, at most five redirects followed one by one (so each hop can be
//! checked and permanent moves noticed), and a body limit enforced while
//! streaming (after decompression, so a gzip bomb is cut off too) — or from
//! a `file:` URL, which only the config file may name.

use std::time::{Duration, Instant, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use reqwest::header::{
    CACHE_CONTROL, CONTENT_LOCATION, CONTENT_TYPE, ETAG, EXPIRES, HeaderMap, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use url::Url;

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
        "{0} is a private or loopback address, which sources added through the API may not reach"
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

/// Whether a fetch may reach private addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Sources from the config file or an operator's CLI.
    Any,
    /// Sources added through the API or OPML import (unless allowed by config).
    PublicOnly,
}

impl Reach {
    /// Sources added through the API (`origin = "api"`, OPML imports
    /// included) reach only public addresses unless the config allows
    /// private networks.
    pub fn for_origin(origin: &str, allow_private_networks: bool) -> Reach {
        if origin == "api" && !allow_private_networks {
            Reach::PublicOnly
        } else {
            Reach::Any
        }
    }
}

/// Every `Link` header of a response, joined as one list.
fn link_header(headers: &HeaderMap) -> Option<String> {
    let all: Vec<&str> = headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join(", "))
}

/// A client error with its source chain, which says what actually failed
/// (DNS, refused, TLS, a private address refused, ...).
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[derive(Clone)]
pub struct Fetcher {
    open: reqwest::Client,
    guarded: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
}

impl Fetcher {
    pub fn new(config: &PollerConfig) -> Result<Fetcher, FetchError> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .connect_timeout(config.timeout.min(Duration::from_secs(10)))
                .read_timeout(config.timeout)
                // Redirects are followed by hand, hop by hop.
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
                .pool_idle_timeout(Duration::from_secs(30))
        };
        let build =
            |b: reqwest::ClientBuilder| b.build().map_err(|e| FetchError::Network(e.to_string()));
        Ok(Fetcher {
            open: build(builder())?,
            guarded: build(builder().dns_resolver(crate::netguard::public_only_resolver()))?,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
        })
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
        let client = match reach {
            Reach::Any => &self.open,
            Reach::PublicOnly => &self.guarded,
        };
        let mut url = start.clone();
        let mut visited = vec![url.clone()];
        let mut all_permanent = true;
        let mut response = loop {
            if reach == Reach::PublicOnly && crate::netguard::is_private_host(&url) {
                return Err(FetchError::PrivateAddress(
                    url.host_str().unwrap_or("").to_owned(),
                ));
            }
            let response = self.send(client, &url, validators).await?;
            let status = response.status();
            if !status.is_redirection() || status == reqwest::StatusCode::NOT_MODIFIED {
                break response;
            }
            all_permanent &= matches!(status.as_u16(), 301 | 308);
            let next = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or(FetchError::BadRedirect)?;
            if visited.contains(&next) {
                return Err(FetchError::RedirectLoop(next.to_string()));
            }
            if visited.len() > MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects);
            }
            visited.push(next.clone());
            url = next;
        };
        let moved_to = (visited.len() > 1 && all_permanent).then(|| url.clone());
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
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes)
        {
            return Err(FetchError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.network_error(e))? {
            if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                return Err(FetchError::TooLarge {
                    limit: self.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
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

    async fn send(
        &self,
        client: &reqwest::Client,
        url: &Url,
        validators: &Validators,
    ) -> Result<reqwest::Response, FetchError> {
        let mut request = client.get(url.clone()).header(
            reqwest::header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        request.send().await.map_err(|e| self.network_error(e))
    }

    fn network_error(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout(self.timeout);
        }
        FetchError::Network(describe_reqwest_error(&e))
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
