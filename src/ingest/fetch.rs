//! Fetching a source over HTTP(S) — conditional GET, a total timeout, at most
//! five redirects, and a body limit enforced while streaming (after
//! decompression, so a gzip bomb is cut off too) — or from a `file:` URL,
//! which only the config file may name.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{
    HeaderMap, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use url::Url;

use crate::config::PollerConfig;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        status: u16,
        reason: Option<&'static str>,
    },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("the response is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("network error: {0}")]
    Network(String),
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("unsupported URL scheme {0:?}")]
    UnsupportedScheme(String),
}

impl FetchError {
    /// The HTTP status to record on the source, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Cache validators remembered from the last successful fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    NotModified { status: u16 },
    Fetched(FetchedFeed),
}

#[derive(Debug)]
pub struct FetchedFeed {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the body came from after redirects.
    pub final_url: Url,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
}

impl Fetcher {
    pub fn new(config: &PollerConfig) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .gzip(true)
            .brotli(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok(Fetcher {
            client,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
        })
    }

    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        match url.scheme() {
            "http" | "https" => self.fetch_http(url, validators).await,
            "file" => self.fetch_file(url, validators).await,
            other => Err(FetchError::UnsupportedScheme(other.to_owned())),
        }
    }

    async fn fetch_http(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let mut request = self.client.get(url.clone()).header(
            reqwest::header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let mut response = request.send().await.map_err(|e| self.network_error(e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified { status: 304 });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason(),
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
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.network_error(e))? {
            if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                return Err(FetchError::TooLarge {
                    limit: self.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched(FetchedFeed {
            status: status.as_u16(),
            body,
            content_type: header(&headers, CONTENT_TYPE),
            validators: Validators {
                etag: header(&headers, ETAG),
                last_modified: header(&headers, LAST_MODIFIED),
            },
            final_url,
        }))
    }

    fn network_error(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else {
            // The source chain says what actually failed (DNS, refused, TLS, ...).
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            FetchError::Network(message)
        }
    }

    /// Files get a validator from their size and modification time, so an
    /// unchanged file costs what a 304 costs.
    async fn fetch_file(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
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
        if validators.etag.as_deref() == Some(etag.as_str()) {
            return Ok(FetchOutcome::NotModified { status: 304 });
        }
        if meta.len() > self.max_body_bytes {
            return Err(FetchError::TooLarge {
                limit: self.max_body_bytes,
            });
        }
        let body = tokio::fs::read(&path).await.map_err(file_error)?;
        let last_modified = meta.modified().ok().map(httpdate);
        Ok(FetchOutcome::Fetched(FetchedFeed {
            status: 200,
            body,
            content_type: None,
            validators: Validators {
                etag: Some(etag),
                last_modified,
            },
            final_url: url.clone(),
        }))
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 1024)
}

fn httpdate(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}
