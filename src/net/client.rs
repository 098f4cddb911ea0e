//! [`Client`]: one reqwest client for requests that may reach anything and
//! one whose resolver the guard holds, redirects followed by hand so that
//! each hop is checked, and bodies read within a limit.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

use super::Reach;
use super::guard::{Guard, GuardedResolver, Refusal, refusal_in};
use crate::config::PollerConfig;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("network error: {0}")]
    Network(String),
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("redirect without a usable Location header")]
    BadRedirect,
    #[error("the response is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("unsupported URL scheme {0:?}")]
    UnsupportedScheme(String),
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

/// One outbound request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<bytes::Bytes>,
    /// Redirects followed (each checked); 0 makes a redirect the answer.
    pub max_redirects: usize,
    /// For each hop, from connecting to the response head; bodies are
    /// bounded by the caller's own deadline or by [`read_body`].
    pub timeout: Duration,
}

impl Request {
    pub fn get(url: Url, timeout: Duration) -> Request {
        Request {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: None,
            max_redirects: 0,
            timeout,
        }
    }

    pub fn header(mut self, name: reqwest::header::HeaderName, value: &str) -> Request {
        if let Ok(v) = reqwest::header::HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }
}

/// The answer, after redirects.
#[derive(Debug)]
pub struct Reply {
    pub response: reqwest::Response,
    /// Where the answer came from.
    pub url: Url,
    /// Whether redirects were followed and all were permanent (301/308).
    pub all_permanent: bool,
}

#[derive(Clone)]
pub struct Client {
    open: reqwest::Client,
    guarded: reqwest::Client,
    guard: Arc<Guard>,
}

impl Client {
    pub fn new(config: &PollerConfig) -> Result<Client, NetError> {
        let trusted = config
            .proxy
            .as_ref()
            .and_then(|p| p.host_str().map(str::to_owned))
            .into_iter()
            .collect();
        let guard = Guard::new(config.allow_addresses.clone(), trusted);
        let builder = || {
            let b = reqwest::Client::builder()
                .user_agent(config.user_agent.clone())
                .connect_timeout(config.timeout.min(Duration::from_secs(10)))
                .read_timeout(config.timeout)
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
                .pool_idle_timeout(Duration::from_secs(30))
                // Never the environment's proxy: one named in HTTP_PROXY
                // would resolve names the guard never sees.
                .no_proxy();
            match &config.proxy {
                Some(p) => reqwest::Proxy::all(p.as_str()).map(|proxy| b.proxy(proxy)),
                None => Ok(b),
            }
        };
        let setup = |e: reqwest::Error| NetError::Setup(e.to_string());
        Ok(Client {
            open: builder().and_then(|b| b.build()).map_err(setup)?,
            guarded: builder()
                .and_then(|b| {
                    b.dns_resolver(Arc::new(GuardedResolver {
                        guard: guard.clone(),
                    }))
                    .build()
                })
                .map_err(setup)?,
            guard,
        })
    }

    /// What the URL alone tells of whether a guarded request may go there.
    pub fn check(&self, url: &Url, reach: Reach) -> Result<(), NetError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NetError::UnsupportedScheme(url.scheme().to_owned()));
        }
        if reach == Reach::PublicOnly {
            self.guard.check_url(url)?;
        }
        Ok(())
    }

    /// The addresses a guarded request to `url` would connect to (a
    /// literal address, or what its name resolves to), for limits per
    /// address.
    pub async fn addresses(
        &self,
        url: &Url,
        reach: Reach,
    ) -> Result<Vec<std::net::IpAddr>, NetError> {
        self.check(url, reach)?;
        let port = url.port_or_known_default().unwrap_or(0);
        let refused = || {
            NetError::Refused(Refusal {
                host: url.host_str().unwrap_or("").to_owned(),
            })
        };
        match url.host() {
            Some(url::Host::Ipv4(ip)) => Ok(vec![ip.into()]),
            Some(url::Host::Ipv6(ip)) => Ok(vec![ip.into()]),
            Some(url::Host::Domain(d)) if reach == Reach::PublicOnly => Ok(self
                .guard
                .resolve(d, Some(port))
                .await?
                .into_iter()
                .map(|a| a.ip())
                .collect()),
            Some(url::Host::Domain(d)) => {
                let found: Vec<_> = tokio::net::lookup_host((d, port))
                    .await
                    .map_err(|_| refused())?
                    .map(|a| a.ip())
                    .collect();
                if found.is_empty() {
                    Err(refused())
                } else {
                    Ok(found)
                }
            }
            None => Err(refused()),
        }
    }

    /// Sends the request, following up to `max_redirects` redirects, each
    /// hop checked as the first was. 307/308 repeat the method and body;
    /// 301/302/303 turn a POST into a GET, as browsers do.
    pub async fn send(&self, request: Request, reach: Reach) -> Result<Reply, NetError> {
        let client = match reach {
            Reach::Any => &self.open,
            Reach::PublicOnly => &self.guarded,
        };
        let Request {
            mut method,
            url,
            headers,
            mut body,
            max_redirects,
            timeout,
        } = request;
        let mut url = url;
        let mut visited = vec![url.clone()];
        let mut all_permanent = true;
        loop {
            self.check(&url, reach)?;
            let mut builder = client
                .request(method.clone(), url.clone())
                .headers(headers.clone())
                .timeout(timeout);
            if let Some(b) = &body {
                builder = builder.body(b.clone());
            }
            let response = builder.send().await.map_err(|e| classify(e, timeout))?;
            let status = response.status();
            if max_redirects == 0 || !status.is_redirection() || status == StatusCode::NOT_MODIFIED
            {
                return Ok(Reply {
                    response,
                    url,
                    all_permanent: visited.len() > 1 && all_permanent,
                });
            }
            all_permanent &= matches!(status.as_u16(), 301 | 308);
            let next = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or(NetError::BadRedirect)?;
            if visited.contains(&next) {
                return Err(NetError::RedirectLoop(next.to_string()));
            }
            if visited.len() > max_redirects {
                return Err(NetError::TooManyRedirects(max_redirects));
            }
            if !matches!(status.as_u16(), 307 | 308)
                && method != Method::GET
                && method != Method::HEAD
            {
                method = Method::GET;
                body = None;
            }
            visited.push(next.clone());
            url = next;
        }
    }
}

/// A client error as the guard and the callers need it: refusals and
/// timeouts by kind, anything else with its source chain (which says what
/// failed: DNS, refused, TLS, ...).
pub fn classify(e: reqwest::Error, timeout: Duration) -> NetError {
    if let Some(refusal) = refusal_in(&e) {
        return NetError::Refused(refusal);
    }
    if e.is_timeout() {
        return NetError::Timeout(timeout);
    }
    NetError::Network(describe(&e))
}

fn describe(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// The body, at most `limit` bytes after decompression (a gzip bomb is
/// cut off too), so memory per response is bounded whatever the server
/// says its length is.
pub async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
    timeout: Duration,
) -> Result<Vec<u8>, NetError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(NetError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, timeout))? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(NetError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
