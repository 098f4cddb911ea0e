//! `/api/v1/sources`: list with health, add, remove, refresh.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::AppState;
use super::auth::require_token;
use super::error::ApiError;
use super::params;
use super::responses::{
    FetchBody, FetchList, ImportedSource, OpmlReport, Refreshed, RejectedSource, SourceBody,
    SourceList,
};
use crate::discovery::{self, DiscoverError, Found, FoundFeed};
use crate::domain::Subscription;
use crate::ingest::fetch::Reach;
use crate::sources::{self, NewSource};

/// Sources with their health.
#[utoipa::path(get, path = "/api/v1/sources", tag = "sources",
    responses((status = 200, description = "Every source", body = SourceList), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = sources::list(&state.pool).await?;
    Ok(HttpResponse::Ok().json(SourceList {
        items: items.into_iter().map(SourceBody::from).collect(),
    }))
}

/// One source with its health.
#[utoipa::path(get, path = "/api/v1/sources/{id}", tag = "sources", params(("id" = i64, Path, description = "Source id")),
    responses((status = 200, description = "The source", body = SourceBody), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn one(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::id("id", &path)?;
    Ok(HttpResponse::Ok().json(SourceBody::from(sources::get(&state.pool, id).await?)))
}

/// What `POST /api/v1/sources` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddSource {
    /// A feed's address, or a web page's whose first linked feed is added.
    url: String,
    title: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// Fetch each new entry's article page for its full text.
    #[serde(default)]
    full_text: bool,
}

/// Adds a source (bearer token).
#[utoipa::path(post, path = "/api/v1/sources", tag = "sources", request_body = AddSource, security(("bearer" = [])),
    responses((status = 201, description = "Added", body = SourceBody), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already there; the detail names its id", body = super::responses::Problem, content_type = "application/problem+json"), (status = 422, description = "A web page that links to no feed; the detail names the URL", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn add(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let input: AddSource =
        super::body::read_json(&req, payload, state.config.server.body_timeout).await?;
    let sub = Subscription::parse(&input.url, input.title.as_deref(), &input.tags)?;
    let url = sub.url.into_url();
    refuse_private(&state, &url)?;
    let (url, discovered_from) = feed_of(&state, url).await?;
    let source = sources::add(
        &state.pool,
        &NewSource {
            url,
            title: sub.title,
            tags: sub.tags,
            origin: "api",
            full_text: input.full_text,
            discovered_from,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/sources/{}", source.id)))
        .json(SourceBody::from(source)))
}

/// Addresses given through the API reach public networks only, unless the
/// config allows private ones (SSRF).
fn refuse_private(state: &AppState, url: &url::Url) -> Result<(), ApiError> {
    let reach = Reach::for_users(state.config.poller.allow_private_networks);
    crate::net::check_url(&state.config.poller, url, reach).map_err(|e| {
        ApiError::bad(
            "url",
            format!("{e} (set poller.allow_private_networks or poller.allow_addresses to allow)"),
        )
    })
}

/// The feed to subscribe to for `url`, and the page it was found from.
async fn feed_of(
    state: &AppState,
    url: url::Url,
) -> Result<(url::Url, Option<url::Url>), ApiError> {
    let reach = Reach::for_origin("api", state.config.poller.allow_private_networks);
    let (feed, page) = discovery::feed_for(state.poller.fetcher(), &url, reach)
        .await
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    // A public page may link to a feed on a private address.
    refuse_private(state, &feed)?;
    Ok((feed, page))
}

/// What `POST /api/v1/discover` takes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverRequest {
    /// A web page (or a feed) to look at.
    url: String,
}

/// The feeds a web page links to (bearer token), in its order; a feed's
/// own address lists itself.
#[utoipa::path(post, path = "/api/v1/discover", tag = "sources", request_body = DiscoverRequest, security(("bearer" = [])),
    responses((status = 200, description = "The feeds found", body = DiscoveredFeeds), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The page cannot be fetched, or links to no feed; the detail names the URL", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn discover(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let input: DiscoverRequest =
        super::body::read_json(&req, payload, state.config.server.body_timeout).await?;
    let url = crate::domain::SourceUrl::parse(&input.url)?.into_url();
    refuse_private(&state, &url)?;
    let reach = Reach::for_origin("api", state.config.poller.allow_private_networks);
    let items = match discovery::find(state.poller.fetcher(), &url, reach).await {
        Ok(Found::Feed(feed)) => vec![feed],
        Ok(Found::Page(feeds)) if !feeds.is_empty() => feeds,
        Ok(Found::Page(_)) => {
            return Err(ApiError::Unprocessable(
                DiscoverError::NoFeed {
                    url: url.to_string(),
                }
                .to_string(),
            ));
        }
        Err(e) => return Err(ApiError::Unprocessable(e.to_string())),
    };
    Ok(HttpResponse::Ok().json(DiscoveredFeeds { items }))
}

/// The feeds `POST /api/v1/discover` found.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DiscoveredFeeds {
    pub items: Vec<FoundFeed>,
}

/// Removes a source and its entries (bearer token).
#[utoipa::path(delete, path = "/api/v1/sources/{id}", tag = "sources", params(("id" = i64, Path, description = "Source id")), security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn remove(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let id = params::id("id", &path)?;
    sources::remove(&state.pool, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /opml`: every source as OPML 2.0, for other readers to import.
pub async fn opml(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let list = sources::list(&state.pool).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/x-opml; charset=utf-8")
        .insert_header(("Content-Disposition", "inline; filename=\"tributary.opml\""))
        .body(crate::opml::render(&list, "Tributary sources")))
}

/// Imports the subscriptions of an OPML document (bearer token). Each
/// outline is validated like `POST /api/v1/sources`; duplicates and invalid
/// ones are reported, not fatal.
#[utoipa::path(post, path = "/api/v1/opml", tag = "sources", request_body(content = String, content_type = "text/x-opml"), security(("bearer" = [])),
    responses((status = 200, description = "What was added, already there, or rejected", body = OpmlReport), (status = 400, description = "Not OPML", body = super::responses::Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn import_opml(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let body = super::body::read(
        &req,
        payload,
        super::body::MAX_OPML_BYTES,
        state.config.server.body_timeout,
    )
    .await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the OPML document is not UTF-8".into()))?;
    let outlines = crate::opml::parse(text).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if outlines.len() > MAX_OPML_OUTLINES {
        return Err(ApiError::BadRequest(format!(
            "more than {MAX_OPML_OUTLINES} subscriptions in one document"
        )));
    }
    let (mut added, mut existing, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for o in outlines {
        // One policy with the API: a URL, title or tag out of bounds
        // rejects the subscription, with its reason.
        let sub = match Subscription::parse(&o.url, o.title.as_deref(), &o.tags) {
            Ok(sub) => sub,
            Err(e) => {
                rejected.push(RejectedSource {
                    url: o.url,
                    error: e.to_string(),
                });
                continue;
            }
        };
        let url = sub.url.into_url();
        let reach = Reach::for_users(state.config.poller.allow_private_networks);
        if let Err(e) = crate::net::check_url(&state.config.poller, &url, reach) {
            rejected.push(RejectedSource {
                url: o.url,
                error: e.to_string(),
            });
            continue;
        }
        match sources::add(
            &state.pool,
            &NewSource {
                url,
                title: sub.title,
                tags: sub.tags,
                origin: "api",
                // A page's feed is found by its first poll (OPML
                // documents list hundreds; fetching each here would hold
                // the request for minutes).
                full_text: false,
                discovered_from: None,
            },
        )
        .await
        {
            Ok(s) => added.push(ImportedSource {
                id: s.id,
                url: s.url,
            }),
            Err(sources::SourceError::Duplicate { id, url }) => {
                existing.push(ImportedSource { id, url })
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(HttpResponse::Ok().json(OpmlReport {
        added,
        existing,
        rejected,
    }))
}

const MAX_OPML_OUTLINES: usize = 10_000;

/// The source's last fetches, newest first.
#[utoipa::path(get, path = "/api/v1/sources/{id}/fetches", tag = "sources", params(("id" = i64, Path, description = "Source id")),
    responses((status = 200, description = "The fetch log", body = FetchList), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn fetches(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::id("id", &path)?;
    let items = sources::fetch_log(&state.pool, id).await?;
    Ok(HttpResponse::Ok().json(FetchList {
        items: items.into_iter().map(FetchBody::from).collect(),
    }))
}

/// Polls the source now (bearer token).
#[utoipa::path(post, path = "/api/v1/sources/{id}/refresh", tag = "sources", params(("id" = i64, Path, description = "Source id")), security(("bearer" = [])),
    responses((status = 200, description = "Polled (or `busy`: another poller holds it)", body = Refreshed), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource", body = super::responses::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The source is disabled", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn refresh(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let id = params::id("id", &path)?;
    let source = sources::get(&state.pool, id).await?;
    if !source.enabled {
        return Err(ApiError::Conflict(format!(
            "source {id} is disabled: {}",
            source
                .disabled_reason
                .as_deref()
                .unwrap_or("no reason recorded")
        )));
    }
    let report = state.poller.poll_source(id).await?;
    let source = sources::get(&state.pool, id).await?;
    let status = if report.is_some() { "polled" } else { "busy" };
    Ok(HttpResponse::Ok().json(Refreshed {
        status,
        source: SourceBody::from(source),
    }))
}
