//! The bodies of `/api/v1` answers, as handlers send them and as the
//! OpenAPI document describes them (one type for both, so they cannot
//! drift), and the one `Problem` of every error answer.

use serde::Serialize;
use utoipa::ToSchema;

use super::channels::ChannelView;
use crate::entries::EntryView;
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

#[derive(Serialize, ToSchema)]
pub struct SourceList {
    pub items: Vec<Source>,
}

#[derive(Serialize, ToSchema)]
pub struct FetchList {
    pub items: Vec<FetchRecord>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelView>,
}

#[derive(Serialize, ToSchema)]
pub struct Refreshed {
    /// `polled`, or `busy` when another poller holds the source.
    pub status: &'static str,
    pub source: Source,
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
