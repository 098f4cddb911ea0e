//! The built-in hub (`[websub] hub = "builtin"`): subscribers ask at
//! `POST /websub/hub` to follow one of our feeds; the hub checks their
//! intent against their callback (`hub.challenge`, WebSub §5.3), keeps the
//! subscription for its lease, and the announcer (`crate::announce`)
//! queues the changed feed for each of them in the outbox. Subscriptions
//! are endpoints of kind `subscriber` (see `crate::outbox::endpoints`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use url::Url;

use super::rate::HostRate;
use crate::config::Config;
use crate::publish::FeedFormat;

/// Subscription requests answered per callback address per minute
/// (addresses, not names: any number of names can point at one victim).
const REQUESTS_PER_ADDRESS_PER_MINUTE: u32 = 30;
/// Verifications sent at once, and accepted but not yet sent: past that,
/// requests are answered 429 instead of queued without bound.
const VERIFYING_AT_ONCE: usize = 8;
const VERIFICATIONS_PENDING: usize = 256;
/// How long a callback's name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a callback has to answer a verification.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// The shortest lease granted: shorter asks get this (renewals every few
/// seconds would only load both sides).
const MIN_LEASE: Duration = Duration::from_secs(300);
/// Longest secret accepted (WebSub §5.1: less than 200 bytes).
const MAX_SECRET_BYTES: usize = 199;
const MAX_CALLBACK_LEN: usize = 2048;
/// What a verification answer may hold: the challenge, give or take.
const MAX_CHALLENGE_ANSWER: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Subscribe,
    Unsubscribe,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A checked subscription request.
#[derive(Debug, Clone)]
pub struct Request {
    pub mode: Mode,
    pub callback: Url,
    pub topic: String,
    pub channel: String,
    pub secret: Option<String>,
    pub lease: Duration,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("too many subscription requests for callbacks on {host}; try again in {wait_secs} s")]
    RateLimited { host: String, wait_secs: u64 },
    #[error("too many verifications are waiting; try again in {wait_secs} s")]
    Busy { wait_secs: u64 },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> RequestError {
    RequestError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Reads a `application/x-www-form-urlencoded` request (WebSub §5.1).
pub fn parse_request(config: &Config, form: &[(String, String)]) -> Result<Request, RequestError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mode = match field("hub.mode") {
        Some("subscribe") => Mode::Subscribe,
        Some("unsubscribe") => Mode::Unsubscribe,
        Some(other) => {
            return Err(invalid(
                "hub.mode",
                format!("{other:?} is not \"subscribe\" or \"unsubscribe\""),
            ));
        }
        None => return Err(invalid("hub.mode", "missing")),
    };
    let callback_text = field("hub.callback").ok_or_else(|| invalid("hub.callback", "missing"))?;
    if callback_text.len() > MAX_CALLBACK_LEN {
        return Err(invalid(
            "hub.callback",
            format!("longer than {MAX_CALLBACK_LEN} characters"),
        ));
    }
    let callback = Url::parse(callback_text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            invalid(
                "hub.callback",
                format!("{callback_text:?} is not an http(s) URL"),
            )
        })?;
    let reach = crate::net::Reach::for_users(config.poller.allow_private_networks);
    crate::net::check_url(&config.poller, &callback, reach)
        .map_err(|e| invalid("hub.callback", e.to_string()))?;
    let topic = field("hub.topic").ok_or_else(|| invalid("hub.topic", "missing"))?;
    let channel = our_channel(config, topic).ok_or_else(|| {
        invalid(
            "hub.topic",
            format!("{topic:?} is not one of this server's feeds (see GET /api/v1/channels)"),
        )
    })?;
    let secret = field("hub.secret").map(str::to_owned);
    if secret.as_ref().is_some_and(|s| s.len() > MAX_SECRET_BYTES) {
        return Err(invalid(
            "hub.secret",
            format!("longer than {MAX_SECRET_BYTES} bytes"),
        ));
    }
    let asked = match field("hub.lease_seconds") {
        None => config.websub.lease,
        Some(text) => Duration::from_secs(text.parse::<u64>().map_err(|_| {
            invalid(
                "hub.lease_seconds",
                format!("{text:?} is not a number of seconds"),
            )
        })?),
    };
    Ok(Request {
        mode,
        callback,
        topic: topic.to_owned(),
        channel,
        secret,
        lease: asked.clamp(MIN_LEASE, config.websub.lease.max(MIN_LEASE)),
    })
}

/// The channel a topic URL is a feed of, when it is one of ours.
fn our_channel(config: &Config, topic: &str) -> Option<String> {
    let base = config.server.public_url.as_str().trim_end_matches('/');
    let file = topic.strip_prefix(base)?.strip_prefix("/feeds/")?;
    let (name, ext) = file.rsplit_once('.')?;
    FeedFormat::from_extension(ext)?;
    config.channel(name).map(|c| c.name)
}

/// The hub's side of subscriptions: checks requests, verifies intent,
/// stores what was verified.
pub struct Hub {
    pool: PgPool,
    client: crate::net::Client,
    reach: crate::net::Reach,
    rate: HostRate,
    pending: Arc<tokio::sync::Semaphore>,
    sending: Arc<tokio::sync::Semaphore>,
}

impl Hub {
    pub fn new(pool: PgPool, config: &Config) -> Result<Hub, crate::net::NetError> {
        Ok(Hub {
            pool,
            client: crate::net::Client::new(&config.poller)?,
            reach: crate::net::Reach::for_users(config.poller.allow_private_networks),
            rate: HostRate::new(REQUESTS_PER_ADDRESS_PER_MINUTE, Duration::from_secs(60)),
            pending: Arc::new(tokio::sync::Semaphore::new(VERIFICATIONS_PENDING)),
            sending: Arc::new(tokio::sync::Semaphore::new(VERIFYING_AT_ONCE)),
        })
    }

    /// Accepts a checked request: counted against every address its
    /// callback resolves to, then verified in the background (the
    /// subscriber is answered 202 first, WebSub §5.2).
    pub async fn accept(self: &Arc<Self>, request: Request) -> Result<(), RequestError> {
        let Ok(pending) = self.pending.clone().try_acquire_owned() else {
            return Err(RequestError::Busy { wait_secs: 10 });
        };
        // The subscriber waits for this answer: a name that takes long to
        // resolve is refused rather than waited for.
        let addresses = tokio::time::timeout(
            RESOLVE_TIMEOUT,
            self.client.addresses(&request.callback, self.reach),
        )
        .await
        .unwrap_or_else(|_| {
            Err(crate::net::NetError::Refused(crate::net::Refusal {
                host: request.callback.host_str().unwrap_or("").to_owned(),
            }))
        })
        .map_err(|e| invalid("hub.callback", e.to_string()))?;
        let now = Instant::now();
        for ip in &addresses {
            let key = rate_key(*ip);
            self.rate
                .check(&key, now)
                .map_err(|wait| RequestError::RateLimited {
                    host: request.callback.host_str().unwrap_or("").to_owned(),
                    wait_secs: wait.as_secs().max(1),
                })?;
        }
        let hub = self.clone();
        tokio::spawn(async move {
            let _pending = pending;
            let Ok(_sending) = hub.sending.clone().acquire_owned().await else {
                return;
            };
            let mode = request.mode;
            let callback = request.callback.clone();
            match hub.verify_and_store(request).await {
                Ok(true) => {
                    tracing::info!(%callback, mode = mode.as_str(), "hub: subscription verified")
                }
                Ok(false) => {
                    tracing::info!(%callback, mode = mode.as_str(), "hub: the subscriber did not confirm; nothing changed")
                }
                Err(e) => {
                    tracing::warn!(%callback, error = %e, "hub: cannot store a verified subscription")
                }
            }
        });
        Ok(())
    }

    async fn verify_and_store(&self, request: Request) -> Result<bool, sqlx::Error> {
        if !self.verify_intent(&request).await {
            return Ok(false);
        }
        match request.mode {
            Mode::Subscribe => store_subscriber(&self.pool, &request).await?,
            Mode::Unsubscribe => {
                sqlx::query(
                    "DELETE FROM endpoints WHERE kind = 'subscriber' AND url = $1 AND topic = $2",
                )
                .bind(request.callback.as_str())
                .bind(&request.topic)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(true)
    }

    /// WebSub §5.3: a GET to the callback with a challenge, confirmed by a
    /// 2xx whose body is the challenge.
    async fn verify_intent(&self, request: &Request) -> bool {
        let challenge = random_token();
        let mut url = request.callback.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("hub.mode", request.mode.as_str())
                .append_pair("hub.topic", &request.topic)
                .append_pair("hub.challenge", &challenge);
            if request.mode == Mode::Subscribe {
                q.append_pair("hub.lease_seconds", &request.lease.as_secs().to_string());
            }
        }
        // No redirects: the callback a subscriber named is the one asked.
        let Ok(reply) = self
            .client
            .send(crate::net::Request::get(url, VERIFY_TIMEOUT), self.reach)
            .await
        else {
            return false;
        };
        if !reply.response.status().is_success() {
            return false;
        }
        let read =
            crate::net::read_body(reply.response, MAX_CHALLENGE_ANSWER as u64, VERIFY_TIMEOUT);
        match tokio::time::timeout(VERIFY_TIMEOUT, read).await {
            Ok(Ok(body)) => String::from_utf8_lossy(&body).trim() == challenge,
            _ => false,
        }
    }
}

/// What the per-address limit counts: an IPv4 address, or an IPv6 /64
/// (one host is given a whole /64 to pick addresses from).
fn rate_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Stores (or renews) a verified subscription.
async fn store_subscriber(pool: &PgPool, request: &Request) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO endpoints (kind, url, channel, topic, secret, lease_seconds, expires_at)
         VALUES ('subscriber', $1, $2, $3, $4, $5, now() + make_interval(secs => $5))
         ON CONFLICT (kind, url, channel, topic) DO UPDATE
         SET secret = EXCLUDED.secret, lease_seconds = EXCLUDED.lease_seconds,
             expires_at = EXCLUDED.expires_at",
    )
    .bind(request.callback.as_str())
    .bind(&request.channel)
    .bind(&request.topic)
    .bind(&request.secret)
    .bind(request.lease.as_secs().min(i32::MAX as u64) as i32)
    .execute(pool)
    .await?;
    Ok(())
}

/// A subscriber that answered 410 Gone, with its pending deliveries.
pub async fn remove_subscriber(pool: &PgPool, endpoint: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM endpoints WHERE id = $1 AND kind = 'subscriber'")
        .bind(endpoint)
        .execute(pool)
        .await?;
    crate::outbox::drop_unused_payloads(pool).await
}

/// Subscriptions whose lease ran out, with their pending deliveries.
pub async fn expire(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let gone =
        sqlx::query("DELETE FROM endpoints WHERE kind = 'subscriber' AND expires_at <= now()")
            .execute(pool)
            .await?
            .rows_affected();
    if gone > 0 {
        crate::outbox::drop_unused_payloads(pool).await?;
    }
    Ok(gone)
}

/// 128 random bits as hex: challenges and callback ids.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // Without the OS's randomness, a hash of the clock and a counter.
        use sha2::Digest;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let seed = format!("{:?}{n}", std::time::SystemTime::now());
        bytes.copy_from_slice(&sha2::Sha256::digest(seed.as_bytes())[..16]);
    }
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EnvOverrides;

    fn config(extra: &str) -> Config {
        Config::from_toml(
            &format!("[server]\npublic_url = \"https://news.example/\"\n[websub]\nhub = \"builtin\"\nlease = \"2d\"\n[[channels]]\nname = \"vn\"\n{extra}"),
            std::path::Path::new("t.toml"),
            &EnvOverrides::default(),
        )
        .unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_subscription_to_one_of_our_feeds_is_read_with_its_lease_clamped() {
        let c = config("");
        let r = parse_request(
            &c,
            &form(&[
                ("hub.mode", "subscribe"),
                ("hub.callback", "https://reader.example/cb/1?x=y"),
                ("hub.topic", "https://news.example/feeds/vn.atom"),
                ("hub.secret", "s"),
                ("hub.lease_seconds", "99999999"),
            ]),
        )
        .unwrap();
        assert_eq!((r.mode, r.channel.as_str()), (Mode::Subscribe, "vn"));
        assert_eq!(r.lease, Duration::from_secs(2 * 86400));
        let r = parse_request(
            &c,
            &form(&[
                ("hub.mode", "unsubscribe"),
                ("hub.callback", "https://reader.example/cb/1"),
                ("hub.topic", "https://news.example/feeds/all.json"),
                ("hub.lease_seconds", "5"),
            ]),
        )
        .unwrap();
        assert_eq!((r.channel.as_str(), r.lease), ("all", MIN_LEASE));
    }

    #[test]
    fn bad_requests_name_the_field() {
        let c = config("");
        let long_secret = "k".repeat(200);
        for (pairs, field) in [
            (vec![("hub.mode", "publish")], "hub.mode"),
            (vec![("hub.mode", "subscribe")], "hub.callback"),
            (
                vec![
                    ("hub.mode", "subscribe"),
                    ("hub.callback", "ftp://x.example/"),
                ],
                "hub.callback",
            ),
            (
                vec![
                    ("hub.mode", "subscribe"),
                    ("hub.callback", "http://127.0.0.1:9/cb"),
                ],
                "hub.callback",
            ),
            (
                vec![
                    ("hub.mode", "subscribe"),
                    ("hub.callback", "https://r.example/cb"),
                    ("hub.topic", "https://other.example/feeds/vn.atom"),
                ],
                "hub.topic",
            ),
            (
                vec![
                    ("hub.mode", "subscribe"),
                    ("hub.callback", "https://r.example/cb"),
                    ("hub.topic", "https://news.example/feeds/nope.rss"),
                ],
                "hub.topic",
            ),
            (
                vec![
                    ("hub.mode", "subscribe"),
                    ("hub.callback", "https://r.example/cb"),
                    ("hub.topic", "https://news.example/feeds/vn.rss"),
                    ("hub.secret", long_secret.as_str()),
                ],
                "hub.secret",
            ),
            (
                vec![
                    ("hub.mode", "subscribe"),
                    ("hub.callback", "https://r.example/cb"),
                    ("hub.topic", "https://news.example/feeds/vn.rss"),
                    ("hub.lease_seconds", "soon"),
                ],
                "hub.lease_seconds",
            ),
        ] {
            match parse_request(&c, &form(&pairs)) {
                Err(RequestError::Invalid { field: f, .. }) => assert_eq!(f, field, "{pairs:?}"),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }
}
