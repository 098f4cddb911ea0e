//! Integration tests: the real application against a real PostgreSQL and a
//! fixture HTTP server on 127.0.0.1. One binary, so the throwaway cluster is
//! started once.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod api;
mod channel_filters;
mod cli;
mod dedup_eval;
#[path = "../shared/dedup_feed.rs"]
mod dedup_feed;
mod dialects;
mod discovery;
mod feeds;
mod fulltext;
mod fuzz;
mod hardening;
mod ingest;
mod leases;
mod lifecycle;
mod peer;
mod poller;
mod realtime;
mod stories;
mod support;
mod web;
