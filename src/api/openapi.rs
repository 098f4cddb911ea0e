//! `GET /api/openapi.json`: the OpenAPI 3.1 description of `/api/v1`,
//! generated from the handlers' own annotations so that it cannot drift.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{channels, entries, sources, websub};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tributary API", description = "Merged feeds and the entries behind them."),
    paths(
        entries::list, entries::one, entries::story,
        sources::list, sources::add, sources::one, sources::remove, sources::refresh, sources::fetches,
        sources::import_opml, sources::discover, channels::list, websub::webhooks, websub::subscriptions,
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
            "/api/v1/discover",
            "/api/v1/channels",
            "/api/v1/webhooks",
            "/api/v1/websub",
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
