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
use crate::websub::subscriber::{self, Verified};

/// Subscription requests are a few short fields.
pub const MAX_HUB_REQUEST_BYTES: usize = 16 * 1024;

/// `POST /websub/hub`: 202 once the request is read; intent is verified
/// against the callback afterwards (WebSub §5.2).
pub async fn hub_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(hub) = &state.hub else {
        return Err(ApiError::NotFound(
            "this server is not a WebSub hub ([websub] hub = \"builtin\" makes it one)".into(),
        ));
    };
    let body = super::body::read(
        &req,
        payload,
        MAX_HUB_REQUEST_BYTES as u64,
        state.config.server.body_timeout,
    )
    .await?;
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let request = hub::parse_request(&state.config, &form).map_err(hub_error)?;
    hub.accept(request).await.map_err(hub_error)?;
    Ok(HttpResponse::Accepted().finish())
}

/// `GET /websub/callback/{id}`: a hub verifies intent (WebSub §5.3) or
/// reports a denial (§5.2). The challenge is echoed only for a
/// subscription we asked for, on the topic we asked for.
pub async fn callback_verify(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let query: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    let topic = field("hub.topic");
    let unknown = || ApiError::NotFound("no such subscription on this topic".into());
    match field("hub.mode") {
        "subscribe" => {
            let challenge = field("hub.challenge");
            if challenge.is_empty() {
                return Err(ApiError::bad("hub.challenge", "missing"));
            }
            let lease = match field("hub.lease_seconds") {
                "" => state.config.websub.lease,
                s => std::time::Duration::from_secs(
                    s.trim()
                        .parse()
                        .map_err(|_| ApiError::bad("hub.lease_seconds", "not a number"))?,
                ),
            };
            match subscriber::confirm_subscribe(&state.pool, &id, topic, lease).await? {
                Verified::Confirmed => Ok(echo(challenge)),
                Verified::Unknown => Err(unknown()),
            }
        }
        "unsubscribe" => match subscriber::confirm_unsubscribe(&state.pool, &id, topic).await? {
            Verified::Confirmed => Ok(echo(field("hub.challenge"))),
            Verified::Unknown => Err(unknown()),
        },
        "denied" => {
            if subscriber::denied(&state.pool, &id, topic, field("hub.reason")).await? {
                Ok(HttpResponse::Ok().finish())
            } else {
                Err(unknown())
            }
        }
        other => Err(ApiError::bad(
            "hub.mode",
            format!("{other:?} is not subscribe, unsubscribe or denied"),
        )),
    }
}

fn echo(challenge: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(challenge.to_owned())
}

/// Whether a content distribution carries `X-Hub-Signature` by `secret`;
/// one that does not is counted and logged (and then ignored, §8).
fn signed_with(req: &HttpRequest, secret: &str, body: &[u8], source_id: i64) -> bool {
    let signature = req
        .headers()
        .get("x-hub-signature")
        .and_then(|v| v.to_str().ok());
    let Some(signature) = signature else {
        crate::metrics::record_push("unsigned");
        tracing::warn!(
            source_id,
            "WebSub: an unsigned content distribution ignored"
        );
        return false;
    };
    if !crate::signature::verify(signature, secret.as_bytes(), body) {
        crate::metrics::record_push("bad_signature");
        tracing::warn!(
            source_id,
            "WebSub: a content distribution with a wrong signature ignored"
        );
        return false;
    }
    true
}

/// `POST /websub/callback/{id}`: a hub's content distribution (WebSub §7).
/// Signed with our secret: a feed is stored as a poll's would be (a fat
/// ping), an empty body has the source polled now (a thin ping). Unsigned
/// or wrongly signed: acknowledged and ignored (§8). An unknown
/// subscription is 410 Gone, which tells the hub to stop.
pub async fn callback_push(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let Some(sub) = subscriber::by_callback(&state.pool, &id)
        .await?
        .filter(|s| s.state != "unsubscribing")
    else {
        crate::metrics::record_push("unknown_subscription");
        return Ok(HttpResponse::Gone().finish());
    };
    let Some(source_id) = sub.source_id else {
        return Ok(HttpResponse::Gone().finish());
    };
    let body = super::body::read(
        &req,
        payload,
        state.config.poller.max_body_bytes,
        state.config.server.body_timeout,
    )
    .await?
    .to_vec();
    if !signed_with(&req, &sub.secret, &body, source_id) {
        return Ok(HttpResponse::Accepted().finish());
    }
    subscriber::record_push(&state.pool, sub.id).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        // A thin ping: the hub says the feed changed, not how.
        crate::metrics::record_push("fetched");
        let poller = state.poller.clone();
        tokio::spawn(async move {
            if let Err(e) = poller.poll_source(source_id).await {
                tracing::warn!(source_id, error = %e, "WebSub: cannot poll after a thin ping");
            }
        });
        return Ok(HttpResponse::Accepted().finish());
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let full_text: Option<bool> = sqlx::query_scalar("SELECT full_text FROM sources WHERE id = $1")
        .bind(source_id)
        .fetch_optional(&state.pool)
        .await?;
    if full_text == Some(true) {
        // Its entries' pages are fetched before they are stored: the hub
        // is not kept waiting for other servers.
        let poller = state.poller.clone();
        tokio::spawn(async move {
            match poller.push(source_id, body, content_type).await {
                Ok(pushed) => count_push(pushed.as_ref()),
                Err(e) => {
                    crate::metrics::record_push("failed");
                    tracing::warn!(source_id, error = %e, "WebSub: cannot store a content distribution");
                }
            }
        });
        return Ok(HttpResponse::Accepted().finish());
    }
    count_push(
        state
            .poller
            .push(source_id, body, content_type)
            .await?
            .as_ref(),
    );
    Ok(HttpResponse::Accepted().finish())
}

/// A content distribution stored, failed, or left (`busy`: the source was
/// being polled).
fn count_push(pushed: Option<&crate::poller::PollReport>) {
    match pushed {
        Some(report) => {
            let stored = !matches!(report.outcome, crate::poller::PollOutcome::Failed { .. });
            crate::metrics::record_push(if stored { "stored" } else { "failed" });
        }
        None => crate::metrics::record_push("busy"),
    }
}

fn hub_error(e: RequestError) -> ApiError {
    match e {
        RequestError::Invalid { field, reason } => ApiError::bad(field, reason),
        RequestError::RateLimited { wait_secs, .. } | RequestError::Busy { wait_secs } => {
            ApiError::RateLimited {
                detail: e.to_string(),
                retry_after_secs: wait_secs,
            }
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    items: Vec<WebhookView>,
}

/// Our subscriptions to sources' hubs (`role: "subscriber"`) first, then
/// our own hub's subscribers (`hub`) and the external hub's pings
/// (`hub_ping`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    items: Vec<WebSubItem>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WebSubItem {
    Source(SourceSubscriptionView),
    Ours(SubscriptionView),
}

/// Tributary's subscription to a source's hub.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceSubscriptionView {
    /// `subscriber`.
    role: &'static str,
    id: i64,
    /// `null` once the source is removed (the subscription is ending).
    source_id: Option<i64>,
    hub: String,
    topic: String,
    /// `pending`, `requested` (awaiting the hub's verification),
    /// `active`, `failed` or `denied` (polled only, asked again at
    /// `next_action_at`), `unsubscribing`.
    state: String,
    lease_seconds: Option<i32>,
    expires_at: Option<DateTime<Utc>>,
    verified_at: Option<DateTime<Utc>>,
    next_action_at: DateTime<Utc>,
    last_error: Option<String>,
    last_push_at: Option<DateTime<Utc>>,
    pushes: i64,
    /// Polls that found entries the hub had not pushed.
    missed: i64,
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
    let mut items: Vec<WebSubItem> = subscriber::list(&state.pool)
        .await?
        .into_iter()
        .map(|s| {
            WebSubItem::Source(SourceSubscriptionView {
                role: "subscriber",
                id: s.id,
                source_id: s.source_id,
                hub: s.hub,
                topic: s.topic,
                state: s.state,
                lease_seconds: s.lease_seconds,
                expires_at: s.expires_at,
                verified_at: s.verified_at,
                next_action_at: s.next_action_at,
                last_error: s.last_error,
                last_push_at: s.last_push_at,
                pushes: s.pushes,
                missed: s.missed,
            })
        })
        .collect();
    for (kind, role) in [
        (EndpointKind::Subscriber, "hub"),
        (EndpointKind::Hub, "hub_ping"),
    ] {
        for (e, pending) in endpoints::list(&state.pool, kind).await? {
            items.push(WebSubItem::Ours(SubscriptionView {
                role,
                id: e.id,
                delivery: Delivery::of(&e, pending),
                signed: e.secret.is_some(),
                topic: e.topic,
                url: e.url,
                channel: e.channel,
                lease_seconds: e.lease_seconds,
                expires_at: e.expires_at,
            }));
        }
    }
    Ok(HttpResponse::Ok().json(SubscriptionList { items }))
}
