//! The bodies of `/api/v1` answers, as handlers send them and as the
//! OpenAPI document describes them (one type for both, so they cannot
//! drift), and the one `Problem` of every error answer.

use serde::Serialize;
use utoipa::ToSchema;

use super::channels::ChannelView;
use crate::entries::EntryView;
use chrono::{DateTime, Utc};

use crate::sources::{FetchRecord, Source};

/// An RFC 9457 problem: every error answer's body.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The offending query parameter or field, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// On a 500: the id under which the server's log has the cause (also
    /// in the `X-Request-Id` header of every answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryPage {
    pub items: Vec<EntryView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Story {
    pub id: i64,
    /// Every source's version, oldest first.
    pub entries: Vec<EntryView>,
}

/// A source and its health, as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Source)]
pub struct SourceBody {
    pub id: i64,
    pub url: String,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub next_poll_at: DateTime<Utc>,
    /// While a poller is fetching the source: when its lease ends (another
    /// poller takes the source over then, or at once if the holder dies).
    pub leased_until: Option<DateTime<Utc>>,
    pub entry_count: i64,
    /// New entries' article pages are fetched for their full text.
    pub full_text: bool,
    /// The web page this feed was found from, when it was added as a page.
    pub discovered_from: Option<String>,
}

impl From<Source> for SourceBody {
    fn from(s: Source) -> SourceBody {
        SourceBody {
            id: s.id,
            url: s.url,
            title: s.title,
            tags: s.tags,
            enabled: s.enabled,
            disabled_reason: s.disabled_reason,
            last_polled_at: s.last_polled_at,
            last_status: s.last_status,
            last_error: s.last_error,
            consecutive_failures: s.consecutive_failures,
            next_poll_at: s.next_poll_at,
            leased_until: s.leased_until,
            entry_count: s.entry_count,
            full_text: s.full_text,
            discovered_from: s.discovered_from,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SourceList {
    pub items: Vec<SourceBody>,
}

/// One fetch of a source, from its fetch log.
#[derive(Serialize, ToSchema)]
#[schema(as = FetchRecord)]
pub struct FetchBody {
    pub at: DateTime<Utc>,
    pub status: Option<i32>,
    pub duration_ms: i32,
    pub bytes: Option<i64>,
    pub new_entries: i32,
    pub updated_entries: i32,
    pub error: Option<String>,
    /// Entries of the document that were not stored.
    pub dropped: i32,
    /// Why, as reason → count (`unreadable`, `empty`, `duplicate`).
    #[schema(value_type = Object)]
    pub dropped_reasons: serde_json::Value,
    /// `poll` (fetched) or `push` (sent by the source's WebSub hub).
    pub via: String,
}

impl From<FetchRecord> for FetchBody {
    fn from(f: FetchRecord) -> FetchBody {
        FetchBody {
            at: f.at,
            status: f.status,
            duration_ms: f.duration_ms,
            bytes: f.bytes,
            new_entries: f.new_entries,
            updated_entries: f.updated_entries,
            error: f.error,
            dropped: f.dropped,
            dropped_reasons: f.dropped_reasons,
            via: f.via,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FetchList {
    pub items: Vec<FetchBody>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelView>,
}

#[derive(Serialize, ToSchema)]
pub struct Refreshed {
    /// `polled`, or `busy` when another poller holds the source.
    pub status: &'static str,
    pub source: SourceBody,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedSource {
    pub id: i64,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct RejectedSource {
    pub url: String,
    pub error: String,
}

#[derive(Serialize, ToSchema)]
pub struct OpmlReport {
    pub added: Vec<ImportedSource>,
    pub existing: Vec<ImportedSource>,
    pub rejected: Vec<RejectedSource>,
}
