//! What one poll of one source came to, as the CLI, the API and the tests
//! see it, and the fetch log line and metrics kind it leaves.

use std::time::Duration;

use crate::ingest::dropped::Dropped;
use crate::ingest::fetch::FetchError;
use crate::ingest::{Got, IngestError};
use crate::metrics::PollKind;

use super::record::FetchLogRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    NotModified,
    Fetched {
        new: u64,
        updated: u64,
        unchanged: u64,
        new_stories: u64,
        /// Entries of the document not stored, and why.
        dropped: Dropped,
    },
    Failed {
        status: Option<u16>,
        error: String,
    },
}

#[derive(Debug, Clone)]
pub struct PollReport {
    pub source_id: i64,
    pub url: String,
    pub outcome: PollOutcome,
    pub elapsed: Duration,
}

/// The outcome, its fetch log line and its metrics kind. `new_stories` is
/// what grouping found (each new entry when grouping did not run).
pub fn outcome_of(
    result: &Result<Got, IngestError>,
    new_stories: Option<u64>,
) -> (PollOutcome, FetchLogRow, PollKind) {
    match result {
        Ok(Got::NotModified { status, .. }) => (
            PollOutcome::NotModified,
            FetchLogRow {
                status: Some(i32::from(*status)),
                ..Default::default()
            },
            PollKind::NotModified,
        ),
        Ok(Got::Stored(stored)) => (
            PollOutcome::Fetched {
                new: stored.stats.inserted,
                updated: stored.stats.updated,
                unchanged: stored.unchanged,
                new_stories: new_stories.unwrap_or(stored.stats.inserted),
                dropped: stored.dropped,
            },
            FetchLogRow {
                status: Some(i32::from(stored.status)),
                bytes: Some(stored.bytes),
                new_entries: stored.stats.inserted as i32,
                updated_entries: stored.stats.updated as i32,
                dropped: stored.dropped,
                ..Default::default()
            },
            PollKind::Ok,
        ),
        Err(e) => {
            let kind = match e {
                IngestError::Fetch(FetchError::Status { .. }) => PollKind::HttpError,
                IngestError::Fetch(_) => PollKind::NetworkError,
                IngestError::Parse(_) | IngestError::WebPage { .. } | IngestError::TooSlow(_) => {
                    PollKind::ParseError
                }
                IngestError::NothingStored { .. } => PollKind::NothingStored,
                IngestError::Store(_) | IngestError::Database(_) | IngestError::Task(_) => {
                    PollKind::DatabaseError
                }
            };
            let status = e.status();
            let error = e.to_string();
            let dropped = match e {
                IngestError::NothingStored { dropped, .. } => *dropped,
                _ => Dropped::default(),
            };
            (
                PollOutcome::Failed {
                    status,
                    error: error.clone(),
                },
                FetchLogRow {
                    status: status.map(i32::from),
                    error: Some(error),
                    dropped,
                    ..Default::default()
                },
                kind,
            )
        }
    }
}
