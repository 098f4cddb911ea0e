//! The configuration file as written: TOML deserialized with its
//! defaults, before anything is checked (see `validate`).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) server: RawServer,
    #[serde(default)]
    pub(super) database: RawDatabase,
    #[serde(default)]
    pub(super) poller: RawPoller,
    #[serde(default)]
    pub(super) retention: RawRetention,
    #[serde(default)]
    pub(super) sources: Vec<RawSource>,
    #[serde(default)]
    pub(super) channels: Vec<RawChannel>,
    #[serde(default)]
    pub(super) websub: RawWebSub,
    #[serde(default)]
    pub(super) webhooks: Vec<RawWebhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawWebSub {
    pub(super) subscribe: bool,
    pub(super) hub: String,
    #[serde(deserialize_with = "duration")]
    pub(super) lease: Duration,
}

impl Default for RawWebSub {
    fn default() -> Self {
        RawWebSub {
            subscribe: false,
            hub: String::new(),
            lease: Duration::from_secs(10 * 24 * 3600),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    pub(super) url: String,
    #[serde(default = "all_channel")]
    pub(super) channel: String,
    #[serde(default = "webhook_secret_env")]
    pub(super) secret_env: String,
}

fn all_channel() -> String {
    "all".into()
}

fn webhook_secret_env() -> String {
    "TRIBUTARY_WEBHOOK_SECRET".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawServer {
    pub(super) listen: String,
    pub(super) public_url: String,
    pub(super) api_token_env: String,
    #[serde(deserialize_with = "duration")]
    pub(super) shutdown_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub(super) body_timeout: Duration,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://localhost:8080".into(),
            api_token_env: "TRIBUTARY_API_TOKEN".into(),
            shutdown_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawDatabase {
    pub(super) url: Option<String>,
    pub(super) data_dir: PathBuf,
}

impl Default for RawDatabase {
    fn default() -> Self {
        RawDatabase {
            url: None,
            data_dir: PathBuf::from("data"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawPoller {
    #[serde(deserialize_with = "duration")]
    pub(super) default_interval: Duration,
    #[serde(deserialize_with = "duration")]
    pub(super) min_interval: Duration,
    #[serde(deserialize_with = "duration")]
    pub(super) max_interval: Duration,
    pub(super) concurrency: usize,
    pub(super) per_host_concurrency: usize,
    #[serde(deserialize_with = "duration")]
    pub(super) timeout: Duration,
    pub(super) max_body_bytes: u64,
    pub(super) user_agent: String,
    pub(super) allow_private_networks: bool,
    pub(super) allow_addresses: Vec<String>,
    pub(super) proxy: Option<String>,
    pub(super) max_entries_per_fetch: usize,
    pub(super) max_items_per_document: usize,
    #[serde(deserialize_with = "duration")]
    pub(super) processing_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub(super) story_window: Duration,
}

impl Default for RawPoller {
    fn default() -> Self {
        RawPoller {
            default_interval: Duration::from_secs(30 * 60),
            min_interval: Duration::from_secs(5 * 60),
            max_interval: Duration::from_secs(24 * 3600),
            concurrency: 64,
            per_host_concurrency: 2,
            timeout: Duration::from_secs(20),
            max_body_bytes: 10 * 1024 * 1024,
            user_agent: format!(
                "Tributary/{} (+https://example.org/tributary)",
                env!("CARGO_PKG_VERSION")
            ),
            allow_private_networks: false,
            allow_addresses: Vec::new(),
            proxy: None,
            max_entries_per_fetch: 1_000,
            max_items_per_document: 5_000,
            processing_timeout: Duration::from_secs(60),
            story_window: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawRetention {
    pub(super) max_age_days: u32,
}

impl Default for RawRetention {
    fn default() -> Self {
        RawRetention { max_age_days: 90 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) url: String,
    pub(super) title: Option<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) timezone: Option<String>,
    #[serde(default, deserialize_with = "optional_duration")]
    pub(super) interval: Option<Duration>,
    #[serde(default)]
    pub(super) full_text: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannel {
    pub(super) name: String,
    pub(super) title: Option<String>,
    #[serde(default)]
    pub(super) tags_any: Vec<String>,
    #[serde(default)]
    pub(super) sources: Vec<String>,
    pub(super) include: Option<String>,
    pub(super) exclude: Option<String>,
    pub(super) limit: Option<usize>,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration {text:?} ({e}); use e.g. \"90s\", \"5m\", \"24h\""
        ))
    })
}

fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// toml's messages carry the span; turn it into "line N" with the key named.
pub(super) fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let snippet = text.get(span.clone()).unwrap_or("").trim();
            if snippet.is_empty() {
                format!("line {line}: {message}")
            } else {
                format!("line {line}: {message} (at `{snippet}`)")
            }
        }
        None => message,
    }
}
