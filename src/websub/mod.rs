//! WebSub (W3C Recommendation, 2018): Tributary as a hub for its own
//! feeds ([`hub`]), and as a subscriber to sources that name a hub.

pub mod discover;
pub mod hub;
pub mod rate;
pub mod subscriber;

use crate::config::{Config, HubSetting};

/// The hub our feeds advertise, if any.
pub fn hub_url(config: &Config) -> Option<String> {
    match &config.websub.hub {
        HubSetting::None => None,
        HubSetting::Builtin => Some(format!(
            "{}/websub/hub",
            config.server.public_url.as_str().trim_end_matches('/')
        )),
        HubSetting::External(url) => Some(url.to_string()),
    }
}
