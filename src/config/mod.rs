//! Configuration: the TOML file and the environment, read once into a typed
//! [`Config`] that is passed down. Errors name the offending key and line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use regex::Regex;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub poller: PollerConfig,
    pub retention: RetentionConfig,
    pub sources: Vec<SourceConfig>,
    pub channels: Vec<ChannelConfig>,
    pub websub: WebSubConfig,
    pub webhooks: Vec<WebhookConfig>,
}

#[derive(Debug, Clone)]
pub struct WebSubConfig {
    /// Subscribe to sources that advertise a hub (needs a reachable
    /// `server.public_url`).
    pub subscribe: bool,
    /// The hub our own feeds advertise.
    pub hub: HubSetting,
    /// The lease asked for as a subscriber, and the longest granted as a hub.
    pub lease: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubSetting {
    None,
    /// Tributary is the hub of its own feeds (`POST /websub/hub`).
    Builtin,
    /// An external hub, pinged when a channel changes.
    External(Url),
}

#[derive(Clone)]
pub struct WebhookConfig {
    pub url: Url,
    pub channel: String,
    pub secret_env: String,
    /// The HMAC-SHA256 key, read from `secret_env`.
    pub secret: String,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url.as_str())
            .field("channel", &self.channel)
            .field("secret_env", &self.secret_env)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub public_url: Url,
    pub api_token_env: String,
    /// How long in-flight polls and requests get to finish on SIGTERM.
    pub shutdown_timeout: Duration,
    /// How long a client may take to send a request body.
    pub body_timeout: Duration,
    /// The bearer token for write endpoints; `None` disables them.
    pub api_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `None` means the embedded cluster under `data_dir/postgres`.
    pub url: Option<String>,
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct PollerConfig {
    pub default_interval: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub user_agent: String,
    pub allow_private_networks: bool,
    /// Non-public addresses guarded requests may reach anyway.
    pub allow_addresses: Vec<crate::net::AllowRule>,
    /// The only proxy outbound requests use (the environment's are ignored).
    pub proxy: Option<Url>,
    /// New or changed entries stored from one fetch (the newest first).
    pub max_entries_per_fetch: usize,
    /// Items read from one document; the rest is not parsed.
    pub max_items_per_document: usize,
    /// How long reading and cleaning one fetched document may take.
    pub processing_timeout: Duration,
    /// Versions of one story published further apart than this are
    /// different stories unless they share a canonical URL.
    pub story_window: Duration,
}

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    pub max_age_days: u32,
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub url: Url,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub timezone: Option<Tz>,
    pub interval: Option<Duration>,
    /// Fetch each new entry's article page for its full text.
    pub full_text: bool,
}

#[derive(Debug, Clone)]
pub struct ChannelConfig {
    pub name: String,
    pub title: String,
    pub tags_any: Vec<String>,
    pub sources: Vec<Url>,
    pub include: Option<Regex>,
    pub exclude: Option<Regex>,
    pub limit: usize,
}

impl ChannelConfig {
    /// The implicit channel that carries every source.
    pub fn all() -> Self {
        ChannelConfig {
            name: "all".into(),
            title: "All sources".into(),
            tags_any: vec![],
            sources: vec![],
            include: None,
            exclude: None,
            limit: DEFAULT_CHANNEL_LIMIT,
        }
    }

    /// Whether the channel selects every source (no tag or source filter).
    pub fn is_unfiltered(&self) -> bool {
        self.tags_any.is_empty() && self.sources.is_empty()
    }

    /// Whether it has include or exclude patterns on title and summary.
    pub fn has_patterns(&self) -> bool {
        self.include.is_some() || self.exclude.is_some()
    }
}

pub const DEFAULT_CHANNEL_LIMIT: usize = 100;
const MAX_CHANNEL_LIMIT: usize = 500;

mod raw;
mod validate;

use raw::{RawConfig, describe_toml_error};

// ---- loading -------------------------------------------------------------

/// Environment values that override the file, gathered at the edge so that
/// nothing deep inside reads the environment.
#[derive(Debug, Default, Clone)]
pub struct EnvOverrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    /// Looks a variable up by name (the token's variable is named in the file).
    pub lookup: Option<fn(&str) -> Option<String>>,
}

impl EnvOverrides {
    pub fn from_process_env() -> Self {
        let non_empty = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        EnvOverrides {
            database_url: non_empty("DATABASE_URL"),
            listen: non_empty("TRIBUTARY_LISTEN"),
            lookup: Some(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty())),
        }
    }
}

impl Config {
    /// Reads the file at `path`. A missing file at the default location is not
    /// an error: the built-in defaults apply.
    pub fn load(path: &Path, env: &EnvOverrides) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Config::from_toml(&text, path, env)
    }

    pub fn from_toml(text: &str, path: &Path, env: &EnvOverrides) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: describe_toml_error(text, &e),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));

        Ok(Config {
            path: path.to_owned(),
            server: validate::server(raw.server, env).map_err(invalid)?,
            database: DatabaseConfig {
                url: env.database_url.clone().or(raw.database.url),
                data_dir: validate::data_dir(raw.database.data_dir),
            },
            poller: validate::poller(raw.poller).map_err(invalid)?,
            retention: RetentionConfig {
                max_age_days: raw.retention.max_age_days,
            },
            sources: validate::sources(raw.sources, &base_dir).map_err(invalid)?,
            websub: validate::websub(raw.websub).map_err(invalid)?,
            webhooks: validate::webhooks(raw.webhooks, &raw.channels, env).map_err(invalid)?,
            channels: validate::channels(raw.channels, &base_dir).map_err(invalid)?,
        })
    }

    /// The declared channels plus the implicit `all`.
    pub fn channel(&self, name: &str) -> Option<ChannelConfig> {
        if name == "all" {
            return Some(ChannelConfig::all());
        }
        self.channels.iter().find(|c| c.name == name).cloned()
    }

    pub fn all_channels(&self) -> Vec<ChannelConfig> {
        let mut v = vec![ChannelConfig::all()];
        v.extend(self.channels.iter().cloned());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(
            text,
            Path::new("/etc/tributary/tributary.toml"),
            &EnvOverrides::default(),
        )
    }

    #[test]
    fn empty_file_gives_the_documented_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.poller.default_interval, Duration::from_secs(1800));
        assert_eq!(c.poller.max_body_bytes, 10_485_760);
        assert!(c.database.url.is_none());
        assert!(c.database.data_dir.ends_with("data"));
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("[poller]\nconcurrency = 4\nfrobnicate = true\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("frobnicate"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn bad_duration_names_the_value() {
        let err = parse("[poller]\ntimeout = \"20 parsecs\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("20 parsecs"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn relative_file_sources_resolve_against_the_config_directory() {
        let c = parse("[[sources]]\nurl = \"file:../examples/feeds/a.rss\"\n").unwrap();
        assert_eq!(
            c.sources[0].url.as_str(),
            "file:///etc/examples/feeds/a.rss"
        );
    }

    #[test]
    fn database_url_from_environment_wins() {
        let env = EnvOverrides {
            database_url: Some("postgres://x@localhost/y".into()),
            ..Default::default()
        };
        let c = Config::from_toml(
            "[database]\nurl = \"postgres://a@b/c\"\n",
            Path::new("t.toml"),
            &env,
        )
        .unwrap();
        assert_eq!(c.database.url.as_deref(), Some("postgres://x@localhost/y"));
    }

    #[test]
    fn unknown_timezone_and_bad_regex_are_reported() {
        let err =
            parse("[[sources]]\nurl = \"https://a.example/rss\"\ntimezone = \"Mars/Olympus\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
        let err = parse("[[channels]]\nname = \"x\"\ninclude = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("channels[0].include"), "{err}");
    }

    #[test]
    fn titles_tags_and_channel_names_follow_the_api_s_rules() {
        let long = "ả".repeat(crate::domain::MAX_TITLE_LEN + 1);
        for (toml, says) in [
            (
                format!("[[sources]]\nurl = \"https://a.example/rss\"\ntitle = \"{long}\"\n"),
                "sources[0].title: longer than 300",
            ),
            (
                "[[sources]]\nurl = \"https://a.example/rss\"\ntags = [\"vi\", \" \"]\n".into(),
                "sources[0].tags",
            ),
            (
                "[[channels]]\nname = \"Hải Phòng\"\n".into(),
                "channels[0].name",
            ),
        ] {
            let err = parse(&toml).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
        // Titles and tags come out NFC and trimmed, as through the API.
        let c = parse(
            "[[sources]]\nurl = \"https://a.example/rss\"\ntitle = \" Ha\\u0309i Pho\\u0300ng \"\ntags = [\"vi\", \"vi\"]\n",
        )
        .unwrap();
        assert_eq!(c.sources[0].title.as_deref(), Some("Hải Phòng"));
        assert_eq!(c.sources[0].tags, ["vi"]);
    }

    #[test]
    fn webhooks_need_a_known_channel_and_a_secret() {
        let env = EnvOverrides {
            lookup: Some(|k| (k == "HOOK_SECRET").then(|| "k3y".to_owned())),
            ..Default::default()
        };
        let load = |text: &str| Config::from_toml(text, Path::new("t.toml"), &env);
        let c = load(
            "[[channels]]\nname = \"vn\"\n[[webhooks]]\nurl = \"https://hooks.example/a\"\nchannel = \"vn\"\nsecret_env = \"HOOK_SECRET\"\n",
        )
        .unwrap();
        assert_eq!(c.webhooks[0].secret, "k3y");
        assert!(!format!("{:?}", c.webhooks[0]).contains("k3y"));
        for (text, says) in [
            (
                "[[webhooks]]\nurl = \"https://hooks.example/a\"\nchannel = \"nope\"\nsecret_env = \"HOOK_SECRET\"\n",
                "webhooks[0].channel",
            ),
            (
                "[[webhooks]]\nurl = \"https://hooks.example/a\"\n",
                "TRIBUTARY_WEBHOOK_SECRET is not set",
            ),
            (
                "[[webhooks]]\nurl = \"ftp://hooks.example/a\"\nsecret_env = \"HOOK_SECRET\"\n",
                "webhooks[0].url",
            ),
            ("[websub]\nhub = \"mailto:x@y\"\n", "websub.hub"),
        ] {
            let err = load(text).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
        let c = load("[websub]\nhub = \"builtin\"\nlease = \"2d\"\n").unwrap();
        assert_eq!(c.websub.hub, HubSetting::Builtin);
        assert_eq!(c.websub.lease, Duration::from_secs(2 * 86400));
    }

    #[test]
    fn channel_all_is_reserved() {
        let err = parse("[[channels]]\nname = \"all\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("already taken"), "{err}");
    }
}
