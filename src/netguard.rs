//! Which addresses a source may reach. Sources added through the API or an
//! OPML import must not make Tributary fetch from loopback, private,
//! link-local or unique-local addresses (SSRF) unless
//! `allow_private_networks` is set; this is checked on the URL, after DNS
//! resolution and on every redirect hop.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use url::Url;

/// Loopback, private, carrier-grade NAT, link-local, unique-local,
/// unspecified, broadcast and multicast addresses.
pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private_ip(IpAddr::V4(v4)))
        }
    }
}

/// Whether the URL's host is, by its name or literal address alone, private.
pub fn is_private_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_private_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private_ip(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".local")
                || d.ends_with(".internal")
        }
        None => true,
    }
}

/// A DNS resolver that hands reqwest only public addresses, so a name that
/// resolves (or is re-bound) to a private address cannot be connected to.
#[derive(Debug, Default)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_private_ip(a.ip()))
                .collect();
            if public.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves only to private or loopback addresses, which sources added through the API may not reach"
                )
                .into();
                return Err(err);
            }
            let iter: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(iter)
        })
    }
}

pub fn public_only_resolver() -> Arc<PublicOnlyResolver> {
    Arc::new(PublicOnlyResolver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_private_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn private_host_names() {
        for u in [
            "http://localhost/x",
            "http://a.localhost/",
            "http://printer.local/",
            "http://[::1]:8080/",
            "http://10.0.0.1/",
        ] {
            assert!(is_private_host(&Url::parse(u).unwrap()), "{u}");
        }
        assert!(!is_private_host(
            &Url::parse("https://vnexpress.net/rss").unwrap()
        ));
    }
}
