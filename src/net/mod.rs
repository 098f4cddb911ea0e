//! The one way out: every outbound HTTP request Tributary makes (feeds,
//! redirects, article pages, discovery, WebSub hubs and callbacks,
//! webhooks) goes through [`Client`]. A request that a user or a feed can
//! steer is [`Reach::PublicOnly`]: its URL, each address its name resolves
//! to and every redirect hop are checked against one list of non-public
//! ranges ([`ranges`]), less what the operator allows (`[poller]
//! allow_addresses`). Proxies come from the config alone, never from the
//! environment.

mod client;
pub mod guard;
pub mod ranges;

pub use client::{Client, NetError, Reply, Request, read_body};
pub use guard::{AllowRule, Refusal};

/// Whether a request may reach non-public addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Sources from the config file or an operator's CLI, webhooks the
    /// config names.
    Any,
    /// Whatever a user of the API or a feed's author steers.
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

    /// Requests a user steers directly (a hub subscriber's callback, a
    /// discovery request).
    pub fn for_users(allow_private_networks: bool) -> Reach {
        if allow_private_networks {
            Reach::Any
        } else {
            Reach::PublicOnly
        }
    }
}

/// What the URL alone tells of whether a request of this reach may go
/// there (checks made before anything is sent, as when a source is added).
pub fn check_url(
    config: &crate::config::PollerConfig,
    url: &url::Url,
    reach: Reach,
) -> Result<(), Refusal> {
    match reach {
        Reach::Any => Ok(()),
        Reach::PublicOnly => {
            guard::Guard::new(config.allow_addresses.clone(), vec![]).check_url(url)
        }
    }
}
