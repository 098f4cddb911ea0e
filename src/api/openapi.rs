//! `GET /api/openapi.json`: the OpenAPI 3.1 description of `/api/v1`,
//! generated from the handlers' own annotations so that it cannot drift.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::entries::EntryView;
use crate::sources::{FetchRecord, Source};

use super::{channels, entries, sources};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tributary API", description = "Merged feeds and the entries behind them."),
    paths(
        entries::list, entries::one, entries::story,
        sources::list, sources::add, sources::one, sources::remove, sources::refresh, sources::fetches,
        sources::import_opml, channels::list,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// An RFC 9457 problem.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The offending query parameter or field, when there is one.
    pub parameter: Option<String>,
    /// On a 500: the id under which the server's log has the cause (also
    /// in the `X-Request-Id` header of every answer).
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
    pub items: Vec<channels::ChannelView>,
}

#[derive(Serialize, ToSchema)]
pub struct Refreshed {
    /// `polled`, or `busy` when another poller holds the source.
    pub status: String,
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

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ApiDoc::openapi().to_json().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_route_is_described() {
        let doc = ApiDoc::openapi();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for p in [
            "/api/v1/entries",
            "/api/v1/entries/{id}",
            "/api/v1/stories/{id}",
            "/api/v1/sources",
            "/api/v1/sources/{id}",
            "/api/v1/sources/{id}/refresh",
            "/api/v1/sources/{id}/fetches",
            "/api/v1/opml",
            "/api/v1/channels",
        ] {
            assert!(
                paths.iter().any(|x| x.as_str() == p),
                "{p} missing from {paths:?}"
            );
        }
        let json = doc.to_json().unwrap();
        for schema in [
            "\"Entry\"",
            "\"Source\"",
            "\"Problem\"",
            "\"EntryPage\"",
            "\"Channel\"",
            "\"Enclosure\"",
        ] {
            assert!(json.contains(schema), "{schema}");
        }
    }
}
