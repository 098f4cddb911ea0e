//! Configuration: the TOML file and the environment, read once into a typed
//! [`Config`] that is passed down. Errors name the offending key and line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use regex::Regex;
use serde::{Deserialize, Deserializer};
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
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub public_url: Url,
    pub api_token_env: String,
    /// How long in-flight polls and requests get to finish on SIGTERM.
    pub shutdown_timeout: Duration,
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

// ---- the file as written -------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    poller: RawPoller,
    #[serde(default)]
    retention: RawRetention,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    channels: Vec<RawChannel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    listen: String,
    public_url: String,
    api_token_env: String,
    #[serde(deserialize_with = "duration")]
    shutdown_timeout: Duration,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://localhost:8080".into(),
            api_token_env: "TRIBUTARY_API_TOKEN".into(),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDatabase {
    url: Option<String>,
    data_dir: PathBuf,
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
struct RawPoller {
    #[serde(deserialize_with = "duration")]
    default_interval: Duration,
    #[serde(deserialize_with = "duration")]
    min_interval: Duration,
    #[serde(deserialize_with = "duration")]
    max_interval: Duration,
    concurrency: usize,
    per_host_concurrency: usize,
    #[serde(deserialize_with = "duration")]
    timeout: Duration,
    max_body_bytes: u64,
    user_agent: String,
    allow_private_networks: bool,
    #[serde(deserialize_with = "duration")]
    story_window: Duration,
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
            story_window: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRetention {
    max_age_days: u32,
}

impl Default for RawRetention {
    fn default() -> Self {
        RawRetention { max_age_days: 90 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    url: String,
    title: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    timezone: Option<String>,
    #[serde(default, deserialize_with = "optional_duration")]
    interval: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: String,
    title: Option<String>,
    #[serde(default)]
    tags_any: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    include: Option<String>,
    exclude: Option<String>,
    limit: Option<usize>,
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

        let listen_text = env.listen.clone().unwrap_or(raw.server.listen);
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            invalid(format!(
                "server.listen: {listen_text:?} is not an address like \"127.0.0.1:8080\""
            ))
        })?;
        let public_url = Url::parse(raw.server.public_url.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                invalid(format!(
                    "server.public_url: {:?} is not an http(s) URL",
                    raw.server.public_url
                ))
            })?;
        let api_token = env.lookup.and_then(|f| f(&raw.server.api_token_env));

        let poller = raw.poller;
        if poller.min_interval > poller.max_interval {
            return Err(invalid(
                "poller.min_interval is longer than poller.max_interval".into(),
            ));
        }
        if poller.concurrency == 0 || poller.per_host_concurrency == 0 {
            return Err(invalid(
                "poller.concurrency and poller.per_host_concurrency must be at least 1".into(),
            ));
        }
        if poller.timeout.is_zero() {
            return Err(invalid("poller.timeout must be longer than zero".into()));
        }

        let mut sources = Vec::with_capacity(raw.sources.len());
        for (i, s) in raw.sources.into_iter().enumerate() {
            let url = parse_config_source_url(&s.url, &base_dir)
                .map_err(|m| invalid(format!("sources[{i}].url: {m}")))?;
            let timezone = match s.timezone {
                Some(name) => Some(name.parse::<Tz>().map_err(|_| {
                    invalid(format!("sources[{i}].timezone: unknown time zone {name:?} (use an IANA name like \"Asia/Ho_Chi_Minh\")"))
                })?),
                None => None,
            };
            if sources.iter().any(|o: &SourceConfig| o.url == url) {
                return Err(invalid(format!("sources[{i}].url: {url} is listed twice")));
            }
            let field = |e: crate::domain::Invalid| invalid(format!("sources[{i}].{e}"));
            let title = crate::domain::Title::parse(s.title.as_deref()).map_err(field)?;
            let tags = crate::domain::Tags::parse(&s.tags).map_err(field)?;
            sources.push(SourceConfig {
                url,
                title: title.map(crate::domain::Title::into_string),
                tags: tags.into_vec(),
                timezone,
                interval: s.interval,
            });
        }

        let mut channels = Vec::with_capacity(raw.channels.len());
        for (i, c) in raw.channels.into_iter().enumerate() {
            crate::domain::ChannelName::parse(&c.name)
                .map_err(|e| invalid(format!("channels[{i}].{e}")))?;
            if c.name == "all" || channels.iter().any(|o: &ChannelConfig| o.name == c.name) {
                return Err(invalid(format!(
                    "channels[{i}].name: {:?} is already taken",
                    c.name
                )));
            }
            let regex = |field: &str,
                         pattern: Option<String>|
             -> Result<Option<Regex>, ConfigError> {
                pattern
                    .map(|p| {
                        Regex::new(&p).map_err(|e| invalid(format!("channels[{i}].{field}: {e}")))
                    })
                    .transpose()
            };
            let limit = c.limit.unwrap_or(DEFAULT_CHANNEL_LIMIT);
            if !(1..=MAX_CHANNEL_LIMIT).contains(&limit) {
                return Err(invalid(format!(
                    "channels[{i}].limit: {limit} is not within 1..={MAX_CHANNEL_LIMIT}"
                )));
            }
            let mut urls = Vec::new();
            for s in &c.sources {
                urls.push(
                    parse_config_source_url(s, &base_dir)
                        .map_err(|m| invalid(format!("channels[{i}].sources: {m}")))?,
                );
            }
            channels.push(ChannelConfig {
                title: c.title.unwrap_or_else(|| c.name.clone()),
                name: c.name,
                tags_any: c.tags_any,
                sources: urls,
                include: regex("include", c.include)?,
                exclude: regex("exclude", c.exclude)?,
                limit,
            });
        }

        let data_dir = if raw.database.data_dir.is_absolute() {
            raw.database.data_dir
        } else {
            // Relative to where Tributary is started, as documented.
            std::env::current_dir()
                .map(|d| d.join(&raw.database.data_dir))
                .unwrap_or(raw.database.data_dir)
        };

        Ok(Config {
            path: path.to_owned(),
            server: ServerConfig {
                listen,
                public_url,
                api_token_env: raw.server.api_token_env,
                shutdown_timeout: raw.server.shutdown_timeout,
                api_token,
            },
            database: DatabaseConfig {
                url: env.database_url.clone().or(raw.database.url),
                data_dir,
            },
            poller: PollerConfig {
                default_interval: poller.default_interval,
                min_interval: poller.min_interval,
                max_interval: poller.max_interval,
                concurrency: poller.concurrency,
                per_host_concurrency: poller.per_host_concurrency,
                timeout: poller.timeout,
                max_body_bytes: poller.max_body_bytes,
                user_agent: poller.user_agent,
                allow_private_networks: poller.allow_private_networks,
                story_window: poller.story_window,
            },
            retention: RetentionConfig {
                max_age_days: raw.retention.max_age_days,
            },
            sources,
            channels,
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

/// Source URLs in the config file may be `http(s)://` or `file:` (relative
/// file paths are resolved against the config file's directory, so the
/// shipped example works from any checkout).
fn parse_config_source_url(text: &str, base_dir: &Path) -> Result<Url, String> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("file:") {
        let path_text = rest.strip_prefix("//").unwrap_or(rest);
        let path = Path::new(path_text);
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            let base = if base_dir.is_absolute() {
                base_dir.to_path_buf()
            } else {
                std::env::current_dir()
                    .map_err(|e| e.to_string())?
                    .join(base_dir)
            };
            base.join(path)
        };
        let absolute = normalize_path(&absolute);
        return Url::from_file_path(&absolute)
            .map_err(|_| format!("{text:?} is not a usable file path"));
    }
    crate::domain::SourceUrl::parse(text)
        .map(|u| u.into_url())
        .map_err(|e| e.to_string())
}

fn normalize_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// toml's messages carry the span; turn it into "line N" with the key named.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
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
    fn channel_all_is_reserved() {
        let err = parse("[[channels]]\nname = \"all\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("already taken"), "{err}");
    }
}
