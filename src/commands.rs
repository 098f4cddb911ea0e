//! What each CLI command does. Errors carry context for the operator
//! (`anyhow` at this edge); the library modules below have typed errors.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::config::Config;
use crate::db::{Database, DbError};
use crate::domain::Subscription;
use crate::ingest::Ingestor;
use crate::poller::{HeldElsewhere, Holder, PollOutcome, PollReport, Poller, Selection};
use crate::sources::{self, NewSource};
use crate::startup::{Application, Role};

/// Opens the database (starting the embedded cluster if needed), applies
/// migrations and syncs the config file's sources.
async fn open(config: &Config, sync_sources: bool) -> Result<Database> {
    let max = (config.poller.concurrency as u32 / 2).clamp(8, 32);
    let db = Database::open(&config.database, max)
        .await
        .context("cannot open the database")?;
    if let Err(e) = db.migrate().await {
        db.close().await;
        return Err(e).context("cannot apply migrations");
    }
    if sync_sources {
        match sources::sync_config(&db.pool, &config.sources).await {
            Ok(r) => tracing::info!(
                added = r.added,
                updated = r.updated,
                disabled = r.disabled,
                "config sources synced"
            ),
            Err(e) => {
                db.close().await;
                return Err(e).context("cannot sync the config file's sources");
            }
        }
    }
    Ok(db)
}

/// How long `serve` waits for a database that does not answer yet: a
/// container started before PostgreSQL, or while it restarts. The one-shot
/// commands fail at once instead (an operator is watching).
const START_WAIT: Duration = Duration::from_secs(60);

async fn open_when_reachable(config: &Config) -> Result<Database> {
    let started = Instant::now();
    loop {
        match open(config, true).await {
            Err(e)
                if config.database.url.is_some()
                    && started.elapsed() < START_WAIT
                    && matches!(e.downcast_ref(), Some(DbError::Unreachable { .. })) =>
            {
                tracing::warn!(error = %format!("{e:#}"), "the database does not answer yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

pub async fn serve(config: Config, role: Role) -> Result<()> {
    let config = Arc::new(config);
    let db = open_when_reachable(&config).await?;
    let app = match Application::start(config.clone(), db.pool.clone(), role).await {
        Ok(app) => app,
        Err(e) => {
            db.close().await;
            return Err(e).context("cannot start");
        }
    };
    match (app.address(), role) {
        (Some(addr), Role::Poller) => crate::telemetry::announce(&format!(
            "Tributary is polling; probes and /metrics on http://{addr}"
        )),
        (Some(addr), _) => crate::telemetry::announce(&format!(
            "Tributary is serving on http://{addr} — try {}/feeds/all.rss",
            config.server.public_url.as_str().trim_end_matches('/')
        )),
        (None, _) => {}
    }
    if config.websub.subscribe
        && crate::net::check_url(
            &config.poller,
            &config.server.public_url,
            crate::net::Reach::PublicOnly,
        )
        .is_err()
    {
        // Hubs on the internet would call back to a loopback or private
        // address: every subscription would fail verification.
        tracing::warn!(
            public_url = %config.server.public_url,
            "[websub] subscribe is on but server.public_url is a private or loopback address: hubs elsewhere cannot reach the callbacks; set public_url to this server's public address"
        );
    }
    wait_for_signal().await;
    tracing::info!("shutting down: finishing in-flight polls and requests");
    // A second signal means "now".
    tokio::spawn(async {
        wait_for_signal().await;
        eprintln!("second signal: exiting at once");
        std::process::exit(130);
    });
    app.shutdown().await;
    db.close().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (Tributary runs on unix systems: Linux and macOS).
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub async fn poll(config: Config, all: bool) -> Result<()> {
    let db = open(&config, true).await?;
    let result = poll_with(&config, &db, all).await;
    db.close().await;
    let summary = result?;
    print!("{summary}");
    Ok(())
}

async fn poll_with(config: &Config, db: &Database, all: bool) -> Result<String> {
    let ingestor =
        Ingestor::new(db.pool.clone(), &config.poller).context("cannot set up the HTTP client")?;
    let holder = Holder::register(&db.pool)
        .await
        .context("cannot register as a lease holder")?;
    let poller = Poller::new(ingestor, &config.poller).with_holder(holder);
    let started = Instant::now();
    let selection = if all {
        Selection::AllEnabled
    } else {
        Selection::Due
    };
    let mut pass = poller
        .poll_once(selection)
        .await
        .context("cannot claim sources to poll")?;
    pass.reports.sort_by_key(|r| r.source_id);
    let summary = poll_summary(&pass.reports, &pass.held_elsewhere, started.elapsed());
    announce_and_deliver(config, db).await;
    crate::retention::housekeeping(
        &db.pool,
        config.retention.max_age_days,
        config.poller.story_window,
        chrono::Utc::now(),
    )
    .await;
    Ok(summary)
}

/// What the run's new stories owe webhooks and hub subscribers, queued and
/// sent (a minute at most; what fails waits for the next run or `serve`).
async fn announce_and_deliver(config: &Config, db: &Database) {
    let config = Arc::new(config.clone());
    if let Err(e) = crate::outbox::endpoints::sync_config(&db.pool, &config).await {
        tracing::warn!(error = %e, "cannot sync webhooks; deliveries wait for the next run");
        return;
    }
    let cursor_key = match crate::cursor::CursorKey::load_or_create(&db.pool).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the cursor key; deliveries wait for the next run");
            return;
        }
    };
    let queued = Arc::new(tokio::sync::Notify::new());
    let announcer = crate::announce::Announcer::new(
        db.pool.clone(),
        config.clone(),
        cursor_key,
        queued.clone(),
    );
    if let Err(e) = announcer.catch_up().await {
        tracing::warn!(error = %e, "cannot announce new stories; the next run will");
        return;
    }
    match crate::outbox::deliverer::Deliverer::new(db.pool.clone(), &config, queued) {
        Ok(d) => {
            let n = d.drain(Duration::from_secs(60)).await;
            if n > 0 {
                tracing::info!(deliveries = n, "webhook and hub deliveries sent");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot set up the delivery client"),
    }
}

/// One line per source and a total, as `tributary poll --once` prints them;
/// the sources another live poller held are counted as skipped, with the
/// time their leases end.
pub fn poll_summary(
    reports: &[PollReport],
    held_elsewhere: &[HeldElsewhere],
    elapsed: Duration,
) -> String {
    let mut out = String::new();
    let (mut ok, mut not_modified, mut failed) = (0, 0, 0);
    let (mut new, mut updated, mut dropped) = (0u64, 0u64, 0u64);
    for r in reports {
        let what = match &r.outcome {
            PollOutcome::NotModified => {
                not_modified += 1;
                "not modified".to_owned()
            }
            PollOutcome::Fetched {
                new: n,
                updated: u,
                unchanged,
                new_stories,
                dropped: d,
            } => {
                ok += 1;
                new += n;
                updated += u;
                dropped += u64::from(d.total());
                let lost = if d.total() > 0 {
                    format!(", {} dropped ({d})", d.total())
                } else {
                    String::new()
                };
                format!(
                    "ok: {n} new, {u} updated, {unchanged} unchanged, {new_stories} new stories{lost}"
                )
            }
            PollOutcome::Failed { error, .. } => {
                failed += 1;
                format!("FAILED: {error}")
            }
        };
        let _ = writeln!(
            out,
            "source {:>4}  {}  {what} ({:.2} s)",
            r.source_id,
            r.url,
            r.elapsed.as_secs_f64()
        );
    }
    let utc = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M:%S UTC").to_string();
    for h in held_elsewhere {
        let _ = writeln!(
            out,
            "source {:>4}  {}  skipped: another poller holds it until {}",
            h.id,
            h.url,
            utc(h.lease_until)
        );
    }
    let skipped = match held_elsewhere.iter().map(|h| h.lease_until).max() {
        Some(until) => format!(
            ", {} skipped: held by another poller until {}",
            held_elsewhere.len(),
            utc(until)
        ),
        None => String::new(),
    };
    let secs = elapsed.as_secs_f64().max(0.001);
    let _ = writeln!(
        out,
        "total: {} sources ({ok} ok, {not_modified} not modified, {failed} failed{skipped}); {new} new and {updated} updated entries, {dropped} dropped, in {secs:.2} s ({:.0} entries/s)",
        reports.len() + held_elsewhere.len(),
        (new + updated) as f64 / secs
    );
    out
}

/// Asks the server on the configured port for `/healthz`.
pub async fn healthcheck(config: Config) -> Result<()> {
    let mut addr = config.server.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let url = format!("http://{addr}/healthz");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .context("cannot set up the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    println!("healthy");
    Ok(())
}

pub async fn migrate(config: Config) -> Result<()> {
    let db = open(&config, false).await?;
    db.close().await;
    println!("migrations applied");
    Ok(())
}

pub async fn sources_list(config: Config) -> Result<()> {
    with_db(&config, |pool| async move {
        let list = sources::list(&pool).await?;
        let mut out = format!(
            "{:>5}  {:<8}  {:>6}  {:>4}  {:>7}  {:<30}  {}\n",
            "id", "enabled", "status", "fail", "entries", "title", "url"
        );
        for s in &list {
            let _ = writeln!(
                out,
                "{:>5}  {:<8}  {:>6}  {:>4}  {:>7}  {:<30}  {}",
                s.id,
                if s.enabled { "yes" } else { "no" },
                s.last_status
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "-".into()),
                s.consecutive_failures,
                s.entry_count,
                truncate(&s.display_title(), 30),
                s.url
            );
            // What a source is beyond its feed: its page, full text.
            let mut notes = Vec::new();
            if let Some(page) = &s.discovered_from {
                notes.push(format!("found from {page}"));
            }
            if s.full_text {
                notes.push("full text".to_owned());
            }
            if !notes.is_empty() {
                let _ = writeln!(out, "{:>5}  ({})", "", notes.join("; "));
            }
        }
        print!("{out}");
        Ok(())
    })
    .await
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

pub async fn sources_add(
    config: Config,
    url: String,
    title: Option<String>,
    tags: Vec<String>,
    full_text: bool,
) -> Result<()> {
    let sub = Subscription::parse(&url, title.as_deref(), &tags)?;
    let url = sub.url.into_url();
    // A web page's address subscribes to the first feed it links to.
    let fetcher = crate::ingest::fetch::Fetcher::new(&config.poller)?;
    let (url, discovered_from) =
        crate::discovery::feed_for(&fetcher, &url, crate::ingest::fetch::Reach::Any).await?;
    with_db(&config, |pool| async move {
        let s = sources::add(
            &pool,
            &NewSource {
                url,
                title: sub.title,
                tags: sub.tags,
                origin: "cli",
                full_text,
                discovered_from: discovered_from.clone(),
            },
        )
        .await?;
        match discovered_from {
            Some(page) => println!("added source {} {} (found from {page})", s.id, s.url),
            None => println!("added source {} {}", s.id, s.url),
        }
        Ok(())
    })
    .await
}

pub async fn sources_remove(config: Config, id: i64) -> Result<()> {
    with_db(&config, |pool| async move {
        sources::remove(&pool, id).await?;
        println!("removed source {id} and its entries");
        Ok(())
    })
    .await
}

pub async fn sources_import(config: Config, file: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let outlines =
        crate::opml::parse(&text).with_context(|| format!("cannot import {}", file.display()))?;
    with_db(&config, |pool| async move {
        let (mut added, mut existing, mut invalid) = (0, 0, 0);
        for o in outlines {
            let sub = match Subscription::parse(&o.url, o.title.as_deref(), &o.tags) {
                Ok(sub) => sub,
                Err(e) => {
                    eprintln!("skipped {}: {e}", o.url);
                    invalid += 1;
                    continue;
                }
            };
            match sources::add(
                &pool,
                &NewSource {
                    url: sub.url.into_url(),
                    title: sub.title,
                    tags: sub.tags,
                    origin: "cli",
                    // A page's feed is found by its first poll.
                    full_text: false,
                    discovered_from: None,
                },
            )
            .await
            {
                Ok(_) => added += 1,
                Err(sources::SourceError::Duplicate { .. }) => existing += 1,
                Err(e) => return Err(e.into()),
            }
        }
        println!("imported: {added} added, {existing} already present, {invalid} skipped");
        Ok(())
    })
    .await
}

pub async fn sources_export(config: Config) -> Result<()> {
    with_db(&config, |pool| async move {
        let list = sources::list(&pool).await?;
        print!("{}", crate::opml::render(&list, "Tributary sources"));
        Ok(())
    })
    .await
}

async fn with_db<F, Fut>(config: &Config, f: F) -> Result<()>
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let db = open(config, true).await?;
    let result = f(db.pool.clone()).await;
    db.close().await;
    result
}

/// What `check-config` prints: the configuration as understood.
pub fn describe_config(c: &Config) -> String {
    let mut out = String::new();
    describe_server(&mut out, c);
    describe_poller(&mut out, &c.poller);
    let _ = writeln!(
        out,
        "[retention] max_age_days = {}",
        c.retention.max_age_days
    );
    describe_sources(&mut out, c);
    out
}

/// The config file, the server and the database.
fn describe_server(out: &mut String, c: &Config) {
    let _ = writeln!(out, "config file: {}", c.path.display());
    let _ = writeln!(
        out,
        "[server] listen = {}, public_url = {}, shutdown_timeout = {}",
        c.server.listen,
        c.server.public_url,
        humantime::format_duration(c.server.shutdown_timeout)
    );
    let _ = writeln!(
        out,
        "         write API token ({}): {}",
        c.server.api_token_env,
        if c.server.api_token.is_some() {
            "set"
        } else {
            "not set (write endpoints disabled)"
        }
    );
    match &c.database.url {
        Some(url) => {
            let _ = writeln!(out, "[database] url = {}", mask_password(url));
        }
        None => {
            let _ = writeln!(
                out,
                "[database] embedded PostgreSQL in {}",
                c.database.data_dir.join("postgres").display()
            );
        }
    }
}

/// The poller, its limits and what it may reach.
fn describe_poller(out: &mut String, p: &crate::config::PollerConfig) {
    let _ = writeln!(
        out,
        "[poller] interval {} (min {}, max {}), timeout {}, concurrency {} ({} per host), max body {} bytes, private networks {}",
        humantime::format_duration(p.default_interval),
        humantime::format_duration(p.min_interval),
        humantime::format_duration(p.max_interval),
        humantime::format_duration(p.timeout),
        p.concurrency,
        p.per_host_concurrency,
        p.max_body_bytes,
        if p.allow_private_networks {
            "allowed"
        } else {
            "refused"
        }
    );
    let _ = writeln!(out, "         user agent: {}", p.user_agent);
    let _ = writeln!(
        out,
        "         per document: {} items read, {} entries stored, {} to read and clean",
        p.max_items_per_document,
        p.max_entries_per_fetch,
        humantime::format_duration(p.processing_timeout)
    );
    if !p.allow_addresses.is_empty() {
        let allowed: Vec<String> = p.allow_addresses.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "         private addresses allowed: {}",
            allowed.join(", ")
        );
    }
    if let Some(proxy) = &p.proxy {
        let _ = writeln!(out, "         proxy: {}", mask_password(proxy.as_str()));
    }
}

/// The sources, real time and channels.
fn describe_sources(out: &mut String, c: &Config) {
    let _ = writeln!(out, "{} sources:", c.sources.len());
    for s in &c.sources {
        let mut extra = Vec::new();
        if let Some(t) = &s.title {
            extra.push(format!("title {t:?}"));
        }
        if !s.tags.is_empty() {
            extra.push(format!("tags {:?}", s.tags));
        }
        if let Some(tz) = s.timezone {
            extra.push(format!("timezone {tz}"));
        }
        if let Some(i) = s.interval {
            extra.push(format!("interval {}", humantime::format_duration(i)));
        }
        let _ = writeln!(out, "  {} {}", s.url, extra.join(", "));
    }
    let _ = writeln!(
        out,
        "[websub] subscribe to sources' hubs: {}, our feeds' hub: {}, lease {}",
        if c.websub.subscribe { "yes" } else { "no" },
        match &c.websub.hub {
            crate::config::HubSetting::None => "none".to_owned(),
            crate::config::HubSetting::Builtin => "built in (POST /websub/hub)".to_owned(),
            crate::config::HubSetting::External(u) => u.to_string(),
        },
        humantime::format_duration(c.websub.lease)
    );
    for w in &c.webhooks {
        let _ = writeln!(
            out,
            "webhook {} for channel {} (signed with {})",
            w.url, w.channel, w.secret_env
        );
    }
    let _ = writeln!(out, "channels: all (every source)");
    for ch in &c.channels {
        let _ = writeln!(
            out,
            "  {} ({:?}): tags_any {:?}, {} explicit sources, include {:?}, exclude {:?}, limit {}",
            ch.name,
            ch.title,
            ch.tags_any,
            ch.sources.len(),
            ch.include.as_ref().map(|r| r.as_str()),
            ch.exclude.as_ref().map(|r| r.as_str()),
            ch.limit
        );
    }
}

fn mask_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
