//! Tributary: a feed aggregator server.
//!
//! Data flows one way:
//!
//! ```text
//! fetch → decode → parse → normalize → identify → store → group into stories
//!                                                    ↓
//!                           publish (rss / atom / json feed)   api (rest)   web (html)
//! ```
//!
//! - [`config`]: the TOML file and environment, read once.
//! - [`db`]: the pool, migrations and the embedded PostgreSQL cluster.
//! - [`ingest`]: one source's pipeline, from fetch to store.
//! - [`stories`]: canonical URLs, fingerprints, SimHash and shingle
//!   sketches, grouping into stories.
//! - [`poller`]: leases, limits and the polling loop.
//! - [`entries`]: reading entries and stories back, with keyset pagination.
//! - [`publish`]: RSS 2.0, Atom 1.0 and JSON Feed 1.1 renderers.
//! - [`announce`], [`outbox`], [`websub`]: real time: new stories queued
//!   for webhooks and hub subscribers, delivered signed and retried.
//! - [`api`]: HTTP handlers; [`web`]: the river page people read in a
//!   browser; [`startup`] wires the application together.

pub mod announce;
pub mod api;
pub mod commands;
pub mod config;
pub mod cursor;
pub mod db;
pub mod discovery;
pub mod domain;
pub mod entries;
pub mod fulltext;
pub mod host_limits;
pub mod html_nesting;
pub mod ingest;
pub mod metrics;
pub mod net;
pub mod opml;
pub mod outbox;
pub mod poller;
pub mod publish;
pub mod retention;
pub mod schedule;
pub mod search_document;
pub mod signature;
pub mod sources;
pub mod startup;
pub mod stories;
pub mod telemetry;
pub mod text;
pub mod web;
pub mod websub;
