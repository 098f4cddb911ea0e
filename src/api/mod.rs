//! The HTTP surface: merged feeds, the REST API under `/api/v1`, and health.
//! Handlers parse the request, call one function, render the answer.

pub mod auth;
pub mod body;
pub mod channels;
pub mod entries;
pub mod error;
pub mod feeds;
pub mod health;
pub mod openapi;
pub mod params;
pub mod responses;
pub mod sources;
pub mod websub;

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use sqlx::PgPool;

use crate::config::Config;
use crate::poller::Poller;

/// Shared by every handler.
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Polls a source on demand (`POST /api/v1/sources/{id}/refresh`).
    pub poller: Arc<Poller>,
    pub response_cache: Arc<crate::publish::response_cache::ResponseCache>,
    /// Signs and checks pagination cursors.
    pub cursor_key: crate::cursor::CursorKey,
    /// The built-in WebSub hub, when `[websub] hub = "builtin"`.
    pub hub: Option<Arc<crate::websub::hub::Hub>>,
}

/// Liveness, readiness and metrics: what every role serves.
pub fn configure_probes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        // Uptime checkers probe with HEAD.
        .route("/healthz", web::head().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics));
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_probes(cfg);
    cfg.route("/feeds/{file}", web::get().to(feeds::feed))
        // Feed readers probe with HEAD.
        .route("/feeds/{file}", web::head().to(feeds::feed))
        .route("/api/v1/entries", web::get().to(entries::list))
        .route("/api/v1/entries/{id}", web::get().to(entries::one))
        .route("/api/v1/stories/{id}", web::get().to(entries::story))
        .route("/api/v1/sources", web::get().to(sources::list))
        .route("/api/v1/sources", web::post().to(sources::add))
        .route("/api/v1/discover", web::post().to(sources::discover))
        .route("/api/v1/sources/{id}", web::get().to(sources::one))
        .route("/api/v1/sources/{id}", web::delete().to(sources::remove))
        .route(
            "/api/v1/sources/{id}/refresh",
            web::post().to(sources::refresh),
        )
        .route(
            "/api/v1/sources/{id}/fetches",
            web::get().to(sources::fetches),
        )
        .route("/api/v1/channels", web::get().to(channels::list))
        .route("/api/v1/webhooks", web::get().to(websub::webhooks))
        .route("/api/v1/websub", web::get().to(websub::subscriptions))
        .route(
            "/websub/callback/{id}",
            web::get().to(websub::callback_verify),
        )
        .route(
            "/websub/callback/{id}",
            web::post().to(websub::callback_push),
        )
        .route("/websub/hub", web::post().to(websub::hub_request))
        .route("/opml", web::get().to(sources::opml))
        .route("/api/openapi.json", web::get().to(openapi::openapi_json))
        .route("/api/v1/opml", web::post().to(sources::import_opml));
}

/// Whether the request's `If-None-Match` names `etag` (weak or strong, or `*`).
pub fn if_none_match(req: &actix_web::HttpRequest, etag: &str) -> Option<bool> {
    let inm = req
        .headers()
        .get(actix_web::http::header::IF_NONE_MATCH)?
        .to_str()
        .ok()?;
    Some(
        inm.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == etag),
    )
}

/// Paths browser apps on other origins may read (never write).
fn is_public_read_path(path: &str) -> bool {
    path.starts_with("/api/v1/")
        || path.starts_with("/feeds/")
        || path == "/opml"
        || path == "/api/openapi.json"
}

/// The id a request is logged and answered under: the caller's own
/// `X-Request-Id` when it is a sane token (a proxy's, to follow a request
/// across hops), else 16 random hex digits.
///
/// Not `tracing-actix-web`'s `RequestId`: it is always a fresh UUID
/// (`TracingLoggerMiddleware::call` inserts one before any root span
/// builder runs), so a proxy's id could only be a second id beside it, and
/// the 500 bodies (`error::REQUEST_ID`), the `X-Request-Id` answer header
/// and the per-route metrics would still need the wrapper in `startup`,
/// whose span is one line.
pub fn request_id_for(headers: &actix_web::http::header::HeaderMap) -> String {
    let given = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if let Some(id) = given {
        return id.to_owned();
    }
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        // Ids only tell log lines apart: a counter will do.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        bytes = NEXT
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_be_bytes();
    }
    hex::encode(bytes)
}

/// CORS for read endpoints: `GET`/`HEAD` answers carry
/// `Access-Control-Allow-Origin: *`, and preflights for them are answered.
/// Write endpoints get no CORS headers, so browsers on other origins cannot
/// call them.
///
/// Not `actix-cors`: it is configured per resource or scope, and a wrapped
/// resource adds `Access-Control-Allow-Origin` to every answer to a request
/// with an `Origin`, whatever its method (it checks methods in preflights
/// only; `CorsMiddleware::augment_response`, 0.7). `/api/v1/sources` and
/// `/api/v1/sources/{id}` are read and written on one path, so its writes
/// would answer cross-origin callers too (the test
/// `read_endpoints_allow_cross_origin_reads_and_writes_do_not` fails), or
/// their reads would lose CORS; and its refused preflights are not
/// problem+json. The policy is these 40 lines, by path and method.
pub fn cors_headers(
    method: &actix_web::http::Method,
    path: &str,
    headers: &mut actix_web::http::header::HeaderMap,
) {
    use actix_web::http::Method;
    use actix_web::http::header::{HeaderName, HeaderValue};
    if (method == Method::GET || method == Method::HEAD) && is_public_read_path(path) {
        headers.insert(
            HeaderName::from_static("access-control-allow-origin"),
            HeaderValue::from_static("*"),
        );
        headers.insert(
            HeaderName::from_static("access-control-expose-headers"),
            HeaderValue::from_static("ETag, Last-Modified, Location"),
        );
    }
}

/// `OPTIONS` preflight: allowed for read endpoints only.
pub fn preflight(req: &actix_web::HttpRequest) -> HttpResponse {
    let wants_read = req
        .headers()
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m.eq_ignore_ascii_case("GET") || m.eq_ignore_ascii_case("HEAD"));
    if !wants_read || !is_public_read_path(req.path()) {
        return error::problem(
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
            format!("cross-origin {} is not allowed", req.path()),
            None,
        );
    }
    HttpResponse::NoContent()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header(("Access-Control-Allow-Methods", "GET, HEAD"))
        .insert_header((
            "Access-Control-Allow-Headers",
            "Accept, Accept-Language, If-None-Match, If-Modified-Since",
        ))
        .insert_header(("Access-Control-Max-Age", "86400"))
        .finish()
}

/// Unknown paths and methods: a problem, not an empty 404.
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    error::problem(
        actix_web::http::StatusCode::NOT_FOUND,
        format!("no resource at {} {}", req.method(), req.path()),
        None,
    )
}
