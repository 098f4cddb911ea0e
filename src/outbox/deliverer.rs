//! Sends what the outbox holds: claims due deliveries (one at a time per
//! endpoint, so each receives in order and a failing one is not flooded),
//! POSTs them signed, and records the outcome. Runs in polling processes;
//! a web replica never sends.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::stream::{FuturesUnordered, StreamExt};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, LINK};
use sqlx::PgPool;
use tokio::sync::{Notify, watch};

use super::{Claimed, EndpointKind};
use crate::config::Config;
use crate::signature::{self, Method};

/// Deliveries in flight at once (each to a different endpoint).
const IN_FLIGHT: usize = 32;

/// Headers naming a delivery: the same on every retry of it.
pub const DELIVERY_HEADER: &str = "x-tributary-delivery";
/// The webhook signature: `sha256=<hex HMAC-SHA256 of the body>`.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-tributary-signature";

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("HTTP {0}")]
    Status(u16),
    /// A subscriber answered 410: it wants no more.
    #[error("HTTP 410 Gone: the subscriber ended its subscription")]
    Gone,
    #[error("{0}")]
    Network(String),
    #[error("no secret configured for this webhook any more")]
    NoSecret,
}

pub struct Deliverer {
    pool: PgPool,
    client: crate::net::Client,
    /// Of subscribers' callbacks (webhooks and hubs are the config's).
    subscriber_reach: crate::net::Reach,
    /// Webhook secrets by (url, channel), from the config.
    secrets: HashMap<(String, String), String>,
    /// Our hub, named in the `Link` header of content distributions.
    hub_url: Option<String>,
    timeout: Duration,
    wake: Arc<Notify>,
}

impl Deliverer {
    pub fn new(pool: PgPool, config: &Config, wake: Arc<Notify>) -> Result<Deliverer, SendError> {
        let timeout = config.poller.timeout.min(Duration::from_secs(30));
        Ok(Deliverer {
            pool,
            client: crate::net::Client::new(&config.poller)
                .map_err(|e| SendError::Network(e.to_string()))?,
            subscriber_reach: crate::net::Reach::for_users(config.poller.allow_private_networks),
            secrets: config
                .webhooks
                .iter()
                .map(|w| ((w.url.to_string(), w.channel.clone()), w.secret.clone()))
                .collect(),
            hub_url: crate::websub::hub_url(config),
            timeout,
            wake,
        })
    }

    /// Sends until `stop` turns true; what is in flight then finishes
    /// (each within the request timeout) or is claimed again later.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut in_flight = FuturesUnordered::new();
        let hold = this.timeout * 2 + Duration::from_secs(10);
        loop {
            if *stop.borrow() {
                break;
            }
            let free = IN_FLIGHT.saturating_sub(in_flight.len());
            if free > 0 {
                match super::claim(&this.pool, free as i64, hold).await {
                    Ok(claimed) => {
                        for c in claimed {
                            let d = this.clone();
                            in_flight.push(tokio::spawn(async move { d.deliver(c).await }));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim deliveries; retrying"),
                }
            }
            let idle = Duration::from_secs(1);
            tokio::select! {
                _ = stop.changed() => {}
                Some(_) = in_flight.next(), if !in_flight.is_empty() => {}
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(idle) => {}
            }
        }
        let grace = tokio::time::sleep(this.timeout + Duration::from_secs(1));
        tokio::pin!(grace);
        while !in_flight.is_empty() {
            tokio::select! {
                _ = &mut grace => break,
                _ = in_flight.next() => {}
            }
        }
    }

    /// Sends what is due now, until nothing is or `within` has passed
    /// (`poll --once`: a run from cron delivers what it announced, and
    /// what failed waits for the next run). Returns the deliveries made.
    pub async fn drain(self, within: Duration) -> usize {
        let this = Arc::new(self);
        let deadline = tokio::time::Instant::now() + within;
        let hold = this.timeout * 2 + Duration::from_secs(10);
        let mut delivered = 0;
        while tokio::time::Instant::now() < deadline {
            let claimed = match super::claim(&this.pool, IN_FLIGHT as i64, hold).await {
                Ok(c) if !c.is_empty() => c,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim deliveries");
                    break;
                }
            };
            let sends: FuturesUnordered<_> = claimed
                .into_iter()
                .map(|c| {
                    let d = this.clone();
                    async move { d.deliver(c).await }
                })
                .collect();
            delivered += sends.filter(|ok| std::future::ready(*ok)).count().await;
        }
        delivered
    }

    /// One delivery, start to end: sent, and its outcome recorded.
    async fn deliver(&self, claimed: Claimed) -> bool {
        let kind = claimed.endpoint.kind();
        let outcome = self.send(&claimed).await;
        let recorded = match &outcome {
            Ok(()) => super::delivered(&self.pool, &claimed).await,
            Err(SendError::Gone) if kind == EndpointKind::Subscriber => {
                crate::websub::hub::remove_subscriber(&self.pool, claimed.endpoint.id).await
            }
            Err(e) => super::failed(&self.pool, &claimed, &e.to_string(), Utc::now()).await,
        };
        crate::metrics::record_delivery(kind.as_str(), outcome.is_ok());
        match &outcome {
            Ok(()) => {
                tracing::debug!(endpoint = %claimed.endpoint.url, key = %claimed.delivery_key, "delivered")
            }
            Err(e) => {
                tracing::warn!(endpoint = %claimed.endpoint.url, key = %claimed.delivery_key, attempt = claimed.attempts, error = %e, "delivery failed")
            }
        }
        if let Err(e) = recorded {
            // The claim runs out and the delivery is sent again: the
            // receiver sees the same delivery key.
            tracing::warn!(error = %e, "cannot record a delivery's outcome");
        }
        outcome.is_ok()
    }

    async fn send(&self, claimed: &Claimed) -> Result<(), SendError> {
        let endpoint = &claimed.endpoint;
        let mut headers = HeaderMap::new();
        let value =
            |s: &str| HeaderValue::from_str(s).map_err(|e| SendError::Network(e.to_string()));
        headers.insert(CONTENT_TYPE, value(&claimed.content_type)?);
        headers.insert(DELIVERY_HEADER, value(&claimed.delivery_key)?);
        let reach = match endpoint.kind() {
            EndpointKind::Webhook => {
                let secret = self
                    .secrets
                    .get(&(endpoint.url.clone(), endpoint.channel.clone()))
                    .ok_or(SendError::NoSecret)?;
                headers.insert(
                    WEBHOOK_SIGNATURE_HEADER,
                    value(&signature::sign(
                        Method::Sha256,
                        secret.as_bytes(),
                        &claimed.body,
                    ))?,
                );
                crate::net::Reach::Any
            }
            EndpointKind::Subscriber => {
                if let Some(secret) = &endpoint.secret {
                    headers.insert(
                        "x-hub-signature",
                        value(&signature::sign(
                            Method::Sha256,
                            secret.as_bytes(),
                            &claimed.body,
                        ))?,
                    );
                }
                if let Some(hub) = &self.hub_url {
                    headers.insert(
                        LINK,
                        value(&format!(
                            "<{hub}>; rel=\"hub\", <{}>; rel=\"self\"",
                            endpoint.topic
                        ))?,
                    );
                }
                self.subscriber_reach
            }
            EndpointKind::Hub => crate::net::Reach::Any,
        };
        let url = url::Url::parse(&endpoint.url).map_err(|e| SendError::Network(e.to_string()))?;
        // A redirect is an answer, not a delivery (max_redirects 0).
        let request = crate::net::Request {
            method: reqwest::Method::POST,
            url,
            headers,
            body: Some(claimed.body.clone().into()),
            max_redirects: 0,
            timeout: self.timeout,
        };
        let reply = self
            .client
            .send(request, reach)
            .await
            .map_err(|e| SendError::Network(e.to_string()))?;
        let status = reply.response.status().as_u16();
        match status {
            200..=299 => Ok(()),
            410 if endpoint.kind() == EndpointKind::Subscriber => Err(SendError::Gone),
            _ => Err(SendError::Status(status)),
        }
    }
}
