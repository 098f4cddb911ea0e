//! From the file as written to the checked configuration: each section
//! checked on its own, an error naming the key that is wrong.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use regex::Regex;
use url::Url;

use super::raw::{RawChannel, RawPoller, RawServer, RawSource, RawWebSub, RawWebhook};
use super::{
    ChannelConfig, DEFAULT_CHANNEL_LIMIT, EnvOverrides, HubSetting, MAX_CHANNEL_LIMIT,
    PollerConfig, ServerConfig, SourceConfig, WebSubConfig, WebhookConfig,
};
use crate::domain::{ChannelName, Invalid, SourceUrl, Tags, Title};

pub(super) fn server(raw: RawServer, env: &EnvOverrides) -> Result<ServerConfig, String> {
    let listen_text = env.listen.clone().unwrap_or(raw.listen);
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        format!("server.listen: {listen_text:?} is not an address like \"127.0.0.1:8080\"")
    })?;
    let public_url = Url::parse(raw.public_url.trim_end_matches('/'))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            format!(
                "server.public_url: {:?} is not an http(s) URL",
                raw.public_url
            )
        })?;
    let api_token = env.lookup.and_then(|f| f(&raw.api_token_env));
    Ok(ServerConfig {
        listen,
        public_url,
        api_token_env: raw.api_token_env,
        shutdown_timeout: raw.shutdown_timeout,
        body_timeout: raw.body_timeout.max(Duration::from_secs(1)),
        api_token,
    })
}

pub(super) fn poller(raw: RawPoller) -> Result<PollerConfig, String> {
    if raw.min_interval > raw.max_interval {
        return Err("poller.min_interval is longer than poller.max_interval".into());
    }
    if raw.concurrency == 0 || raw.per_host_concurrency == 0 {
        return Err("poller.concurrency and poller.per_host_concurrency must be at least 1".into());
    }
    if raw.timeout.is_zero() {
        return Err("poller.timeout must be longer than zero".into());
    }
    if raw.max_entries_per_fetch == 0 || raw.max_items_per_document == 0 {
        return Err(
            "poller.max_entries_per_fetch and poller.max_items_per_document must be at least 1"
                .into(),
        );
    }
    if raw.processing_timeout.is_zero() {
        return Err("poller.processing_timeout must be longer than zero".into());
    }
    let allow_addresses = raw
        .allow_addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            crate::net::AllowRule::parse(a).map_err(|e| format!("poller.allow_addresses[{i}]: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let proxy = raw
        .proxy
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            Url::parse(p.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| format!("poller.proxy: {p:?} is not a proxy URL (e.g. \"http://proxy.example:3128\")"))
        })
        .transpose()?;
    Ok(PollerConfig {
        default_interval: raw.default_interval,
        min_interval: raw.min_interval,
        max_interval: raw.max_interval,
        concurrency: raw.concurrency,
        per_host_concurrency: raw.per_host_concurrency,
        timeout: raw.timeout,
        max_body_bytes: raw.max_body_bytes,
        user_agent: raw.user_agent,
        allow_private_networks: raw.allow_private_networks,
        allow_addresses,
        proxy,
        max_entries_per_fetch: raw.max_entries_per_fetch,
        max_items_per_document: raw.max_items_per_document,
        processing_timeout: raw.processing_timeout,
        story_window: raw.story_window,
    })
}

pub(super) fn sources(raw: Vec<RawSource>, base_dir: &Path) -> Result<Vec<SourceConfig>, String> {
    let mut sources: Vec<SourceConfig> = Vec::with_capacity(raw.len());
    for (i, s) in raw.into_iter().enumerate() {
        let url = source_url(&s.url, base_dir).map_err(|m| format!("sources[{i}].url: {m}"))?;
        let timezone = match s.timezone {
            Some(name) => Some(name.parse::<Tz>().map_err(|_| {
                format!("sources[{i}].timezone: unknown time zone {name:?} (use an IANA name like \"Asia/Ho_Chi_Minh\")")
            })?),
            None => None,
        };
        if sources.iter().any(|o| o.url == url) {
            return Err(format!("sources[{i}].url: {url} is listed twice"));
        }
        let field = |e: Invalid| format!("sources[{i}].{e}");
        let title = Title::parse(s.title.as_deref()).map_err(field)?;
        let tags = Tags::parse(&s.tags).map_err(field)?;
        sources.push(SourceConfig {
            url,
            title: title.map(Title::into_string),
            tags: tags.into_vec(),
            timezone,
            interval: s.interval,
            full_text: s.full_text,
        });
    }
    Ok(sources)
}

pub(super) fn channels(
    raw: Vec<RawChannel>,
    base_dir: &Path,
) -> Result<Vec<ChannelConfig>, String> {
    let mut channels: Vec<ChannelConfig> = Vec::with_capacity(raw.len());
    for (i, c) in raw.into_iter().enumerate() {
        ChannelName::parse(&c.name).map_err(|e| format!("channels[{i}].{e}"))?;
        if c.name == "all" || channels.iter().any(|o| o.name == c.name) {
            return Err(format!("channels[{i}].name: {:?} is already taken", c.name));
        }
        let regex = |field: &str, pattern: Option<String>| -> Result<Option<Regex>, String> {
            pattern
                .map(|p| Regex::new(&p).map_err(|e| format!("channels[{i}].{field}: {e}")))
                .transpose()
        };
        let limit = c.limit.unwrap_or(DEFAULT_CHANNEL_LIMIT);
        if !(1..=MAX_CHANNEL_LIMIT).contains(&limit) {
            return Err(format!(
                "channels[{i}].limit: {limit} is not within 1..={MAX_CHANNEL_LIMIT}"
            ));
        }
        let mut urls = Vec::new();
        for s in &c.sources {
            urls.push(source_url(s, base_dir).map_err(|m| format!("channels[{i}].sources: {m}"))?);
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
    Ok(channels)
}

pub(super) fn websub(raw: RawWebSub) -> Result<WebSubConfig, String> {
    let hub = match raw.hub.trim() {
        "" => HubSetting::None,
        "builtin" => HubSetting::Builtin,
        other => HubSetting::External(
            Url::parse(other)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    format!("websub.hub: {other:?} is not \"builtin\", \"\" or an http(s) URL")
                })?,
        ),
    };
    if raw.lease < Duration::from_secs(3600) {
        return Err("websub.lease: shorter than an hour".into());
    }
    Ok(WebSubConfig {
        subscribe: raw.subscribe,
        hub,
        lease: raw.lease,
    })
}

pub(super) fn webhooks(
    raw: Vec<RawWebhook>,
    channels: &[RawChannel],
    env: &EnvOverrides,
) -> Result<Vec<WebhookConfig>, String> {
    let mut hooks: Vec<WebhookConfig> = Vec::with_capacity(raw.len());
    for (i, w) in raw.into_iter().enumerate() {
        let url = Url::parse(w.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| format!("webhooks[{i}].url: {:?} is not an http(s) URL", w.url))?;
        if w.channel != "all" && !channels.iter().any(|c| c.name == w.channel) {
            return Err(format!(
                "webhooks[{i}].channel: there is no channel named {:?}",
                w.channel
            ));
        }
        if hooks.iter().any(|h| h.url == url && h.channel == w.channel) {
            return Err(format!(
                "webhooks[{i}]: {url} is listed twice for channel {:?}",
                w.channel
            ));
        }
        // Unsigned deliveries could not be told from forged ones.
        let secret = env.lookup.and_then(|f| f(&w.secret_env)).ok_or_else(|| {
            format!(
                "webhooks[{i}].secret_env: the environment variable {} is not set (webhook deliveries are signed with it)",
                w.secret_env
            )
        })?;
        hooks.push(WebhookConfig {
            url,
            channel: w.channel,
            secret_env: w.secret_env,
            secret,
        });
    }
    Ok(hooks)
}

/// The data directory, relative to where Tributary is started, as documented.
pub(super) fn data_dir(raw: PathBuf) -> PathBuf {
    if raw.is_absolute() {
        return raw;
    }
    std::env::current_dir().map(|d| d.join(&raw)).unwrap_or(raw)
}

/// Source URLs in the config file may be `http(s)://` or `file:` (relative
/// file paths are resolved against the config file's directory, so the
/// shipped example works from any checkout).
fn source_url(text: &str, base_dir: &Path) -> Result<Url, String> {
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
    SourceUrl::parse(text)
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
