//! Real time over HTTP: the built-in hub (`POST /websub/hub`), and the
//! state of webhooks and WebSub subscriptions (`GET /api/v1/webhooks`,
//! `GET /api/v1/websub`, token).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::AppState;
use super::auth::require_token;
use super::error::ApiError;
use crate::outbox::endpoints::{self, Endpoint, EndpointKind};
use crate::websub::hub::{self, RequestError};

/// Subscription requests are a few short fields.
pub const MAX_HUB_REQUEST_BYTES: usize = 16 * 1024;

/// `POST /websub/hub`: 202 once the request is read; intent is verified
/// against the callback afterwards (WebSub §5.2).
pub async fn hub_request(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(hub) = &state.hub else {
        return Err(ApiError::NotFound(
            "this server is not a WebSub hub ([websub] hub = \"builtin\" makes it one)".into(),
        ));
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let request = hub::parse_request(&state.config, &form).map_err(hub_error)?;
    hub.accept(request).map_err(hub_error)?;
    Ok(HttpResponse::Accepted().finish())
}

fn hub_error(e: RequestError) -> ApiError {
    match e {
        RequestError::Invalid { field, reason } => ApiError::bad(field, reason),
        RequestError::RateLimited { wait_secs, .. } => ApiError::RateLimited {
            detail: e.to_string(),
            retry_after_secs: wait_secs,
        },
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    items: Vec<WebhookView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    items: Vec<SubscriptionView>,
}

/// An endpoint's delivery state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// `ok`, `retrying` or `failing` (3 or more failures in a row).
    state: &'static str,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    consecutive_failures: i32,
    /// When the next attempt may be made, while backing off.
    retry_at: Option<DateTime<Utc>>,
    delivered: i64,
    /// Deliveries dropped after a day of failures.
    abandoned: i64,
    pending: i64,
}

impl Delivery {
    fn of(e: &Endpoint, pending: i64) -> Delivery {
        Delivery {
            state: e.state(),
            last_success_at: e.last_success_at,
            last_error: e.last_error.clone(),
            last_error_at: e.last_error_at,
            consecutive_failures: e.consecutive_failures,
            retry_at: (e.retry_at > Utc::now()).then_some(e.retry_at),
            delivered: e.delivered,
            abandoned: e.abandoned,
            pending,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    id: i64,
    url: String,
    channel: String,
    #[serde(flatten)]
    delivery: Delivery,
}

/// `GET /api/v1/webhooks`: each configured webhook and how its deliveries go.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "real time", security(("bearer" = [])),
    responses((status = 200, description = "Each configured webhook with its delivery state", body = WebhookList), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn webhooks(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let items = endpoints::list(&state.pool, EndpointKind::Webhook)
        .await?
        .into_iter()
        .map(|(e, pending)| WebhookView {
            id: e.id,
            delivery: Delivery::of(&e, pending),
            url: e.url,
            channel: e.channel,
        })
        .collect();
    Ok(HttpResponse::Ok().json(WebhookList { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    /// `hub`: someone follows one of our feeds through our hub;
    /// `hub_ping`: the external hub we ping for one of our feeds.
    role: &'static str,
    id: i64,
    topic: String,
    /// Where deliveries go: the subscriber's callback, or the hub.
    url: String,
    channel: String,
    lease_seconds: Option<i32>,
    expires_at: Option<DateTime<Utc>>,
    signed: bool,
    #[serde(flatten)]
    delivery: Delivery,
}

/// `GET /api/v1/websub`: WebSub subscriptions with their state.
#[utoipa::path(get, path = "/api/v1/websub", tag = "real time", security(("bearer" = [])),
    responses((status = 200, description = "Subscriptions to our feeds and hub pings, with their delivery state", body = SubscriptionList), (status = 401, description = "Missing or wrong bearer token", body = super::responses::Problem, content_type = "application/problem+json"), (status = 403, description = "Write endpoints are disabled (no token configured)", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn subscriptions(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_token(&req, &state.config)?;
    let mut items = Vec::new();
    for (kind, role) in [
        (EndpointKind::Subscriber, "hub"),
        (EndpointKind::Hub, "hub_ping"),
    ] {
        for (e, pending) in endpoints::list(&state.pool, kind).await? {
            items.push(SubscriptionView {
                role,
                id: e.id,
                delivery: Delivery::of(&e, pending),
                signed: e.secret.is_some(),
                topic: e.topic,
                url: e.url,
                channel: e.channel,
                lease_seconds: e.lease_seconds,
                expires_at: e.expires_at,
            });
        }
    }
    Ok(HttpResponse::Ok().json(SubscriptionList { items }))
}
