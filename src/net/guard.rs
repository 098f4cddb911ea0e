//! The guard: which addresses a request that a user or a feed steers may
//! reach. Literal addresses in URLs are checked before connecting, names
//! after resolution (in the resolver the client connects through, so a
//! name re-bound between check and connect cannot slip by), and every
//! redirect hop is checked again by [`super::Client`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

use super::ranges::is_non_public;

/// A non-public address an operator lets guarded requests reach anyway
/// (`[poller] allow_addresses`): an address, a network (`10.1.0.0/16`),
/// or an address with a port (`10.1.2.3:8080`, `[fd00::7]:443`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowRule {
    network: IpAddr,
    prefix: u8,
    port: Option<u16>,
}

impl AllowRule {
    pub fn parse(text: &str) -> Result<AllowRule, String> {
        let text = text.trim();
        let bad = || {
            format!(
                "{text:?} is not an address, a network or an address with a port (e.g. \"10.1.2.3\", \"10.1.0.0/16\", \"10.1.2.3:8080\")"
            )
        };
        if let Ok(addr) = text.parse::<SocketAddr>() {
            let full = if addr.is_ipv4() { 32 } else { 128 };
            return Ok(AllowRule {
                network: addr.ip(),
                prefix: full,
                port: Some(addr.port()),
            });
        }
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let full = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(full);
        if prefix > full {
            return Err(bad());
        }
        Ok(AllowRule {
            network,
            prefix,
            port: None,
        })
    }

    fn contains_ip(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for AllowRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let full = if self.network.is_ipv4() { 32 } else { 128 };
        match (self.port, self.network) {
            (Some(port), IpAddr::V6(ip)) => write!(f, "[{ip}]:{port}"),
            (Some(port), ip) => write!(f, "{ip}:{port}"),
            (None, ip) if self.prefix == full => write!(f, "{ip}"),
            (None, ip) => write!(f, "{ip}/{}", self.prefix),
        }
    }
}

/// The list every guarded request is checked against.
#[derive(Debug, Default)]
pub struct Guard {
    allow: Vec<AllowRule>,
    /// Names the guard resolves without judging them: the configured
    /// proxy, which the operator chose.
    trusted_names: Vec<String>,
}

impl Guard {
    pub fn new(allow: Vec<AllowRule>, trusted_names: Vec<String>) -> Arc<Guard> {
        Arc::new(Guard {
            allow,
            trusted_names,
        })
    }

    /// Whether a connection to `addr` is allowed.
    pub fn permits(&self, addr: SocketAddr) -> bool {
        !is_non_public(addr.ip())
            || self
                .allow
                .iter()
                .any(|r| r.contains_ip(addr.ip()) && r.port.is_none_or(|p| p == addr.port()))
    }

    /// Whether a resolved address (whose port the resolver is not told) is
    /// allowed: rules with a port apply only to URLs that name the address.
    fn permits_resolved(&self, ip: IpAddr) -> bool {
        !is_non_public(ip)
            || self
                .allow
                .iter()
                .any(|r| r.port.is_none() && r.contains_ip(ip))
    }

    /// Checks what the URL alone tells: a literal address, or a name that
    /// is local by definition. Names are checked again once resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        let port = url.port_or_known_default().unwrap_or(0);
        let refused = || Refusal {
            host: url.host_str().unwrap_or("").to_owned(),
        };
        match url.host() {
            Some(Host::Ipv4(ip)) if !self.permits(SocketAddr::new(IpAddr::V4(ip), port)) => {
                Err(refused())
            }
            Some(Host::Ipv6(ip)) if !self.permits(SocketAddr::new(IpAddr::V6(ip), port)) => {
                Err(refused())
            }
            Some(Host::Domain(d)) if is_local_name(d) => Err(refused()),
            None => Err(refused()),
            _ => Ok(()),
        }
    }
}

impl Guard {
    /// The addresses `host` resolves to that the guard permits: judged
    /// with `port` when the caller knows it (a resolver is not told, so
    /// rules with a port do not apply then). The configured proxy's name
    /// is resolved without judging it.
    pub async fn resolve(&self, host: &str, port: Option<u16>) -> Result<Vec<SocketAddr>, Refusal> {
        let refusal = || Refusal {
            host: host.to_owned(),
        };
        let trusted = self
            .trusted_names
            .iter()
            .any(|t| t.eq_ignore_ascii_case(host));
        if !trusted && is_local_name(host) {
            return Err(refusal());
        }
        let permitted = |a: &SocketAddr| match port {
            _ if trusted => true,
            Some(_) => self.permits(*a),
            None => self.permits_resolved(a.ip()),
        };
        let found: Vec<SocketAddr> = match tokio::net::lookup_host((host, port.unwrap_or(0))).await
        {
            Ok(found) => found.filter(permitted).collect(),
            Err(_) => Vec::new(),
        };
        if found.is_empty() {
            return Err(refusal());
        }
        Ok(found)
    }
}

/// Names that mean this machine or its local network whatever DNS says.
fn is_local_name(name: &str) -> bool {
    let d = name.trim_end_matches('.').to_ascii_lowercase();
    d == "localhost"
        || d.ends_with(".localhost")
        || d.ends_with(".local")
        || d.ends_with(".internal")
        || d.ends_with(".home.arpa")
}

/// A guarded request refused: the host has no address it may reach. The
/// same words whether the name did not resolve or resolved only to
/// addresses refused, so the answer is no probe of internal DNS.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} has no public address that Tributary may reach")]
pub struct Refusal {
    pub host: String,
}

/// The resolver of guarded clients: hands the connector only the
/// addresses the guard permits.
#[derive(Debug)]
pub struct GuardedResolver {
    pub guard: Arc<Guard>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let guard = self.guard.clone();
        Box::pin(async move {
            let addrs = guard.resolve(&host, None).await?;
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

/// The guard's refusal inside a client error, if that is what it was.
pub fn refusal_in(e: &reqwest::Error) -> Option<Refusal> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refusal>() {
            return Some(r.clone());
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn every_spelling_of_loopback_in_a_url_is_refused() {
        let guard = Guard::new(vec![], vec![]);
        for u in [
            "http://127.0.0.1:18997/internal/admin",
            "http://2130706433:18997/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:7f00:1]:18997/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://admin.localhost/",
            "http://printer.local/",
            "http://metadata.google.internal/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(guard.check_url(&url(u)).is_err(), "{u}");
        }
        assert!(guard.check_url(&url("https://vnexpress.net/rss")).is_ok());
        assert!(guard.check_url(&url("http://93.184.216.34/")).is_ok());
    }

    #[test]
    fn allow_rules_open_exactly_what_they_name() {
        let rules = [
            "10.1.0.0/16",
            "127.0.0.1:8081",
            "[fd00::7]:443",
            "192.168.5.5",
        ]
        .iter()
        .map(|r| AllowRule::parse(r).unwrap())
        .collect();
        let guard = Guard::new(rules, vec![]);
        assert!(guard.check_url(&url("http://10.1.200.3/feed")).is_ok());
        assert!(guard.check_url(&url("http://10.2.0.1/feed")).is_err());
        assert!(guard.check_url(&url("http://127.0.0.1:8081/feed")).is_ok());
        assert!(guard.check_url(&url("http://127.0.0.1:8082/feed")).is_err());
        assert!(guard.check_url(&url("https://[fd00::7]/")).is_ok());
        assert!(guard.check_url(&url("http://[fd00::7]/")).is_err());
        assert!(guard.check_url(&url("http://192.168.5.5:9/")).is_ok());
        // A port rule says nothing of names, whose port the resolver is not told.
        assert!(!guard.permits_resolved("127.0.0.1".parse().unwrap()));
        assert!(guard.permits_resolved("10.1.0.9".parse().unwrap()));
    }

    #[test]
    fn bad_allow_rules_are_named() {
        for bad in ["10.0.0.0/33", "example.org", "10.0.0.1:port", "::1/129", ""] {
            let e = AllowRule::parse(bad).unwrap_err();
            assert!(e.contains("is not an address"), "{bad}: {e}");
        }
        assert_eq!(
            AllowRule::parse("10.1.0.0/16").unwrap().to_string(),
            "10.1.0.0/16"
        );
        assert_eq!(
            AllowRule::parse("[::1]:80").unwrap().to_string(),
            "[::1]:80"
        );
    }
}
