//! Request bodies, read only after the caller is known to be allowed
//! (handlers check the token first, then call [`read`]), within a size
//! limit and a time limit: a client that announces megabytes and sends
//! them slowly, or not at all, holds neither memory nor a worker for long.

use std::time::Duration;

use actix_web::web;
use futures_util::StreamExt;

use super::error::ApiError;

/// JSON bodies of the API: a URL, a title, some tags.
pub const MAX_JSON_BYTES: u64 = 64 * 1024;
/// Subscription lists of thousands of feeds run to megabytes.
pub const MAX_OPML_BYTES: u64 = 8 * 1024 * 1024;

/// The body, refused past `limit` bytes (413, also when `Content-Length`
/// says so before a byte is read) or past `[server] body_timeout` (408).
pub async fn read(
    req: &actix_web::HttpRequest,
    payload: web::Payload,
    limit: u64,
    timeout: Duration,
) -> Result<web::Bytes, ApiError> {
    let too_large =
        || ApiError::TooLarge(format!("the body is larger than the {limit}-byte limit"));
    let announced = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, collect(payload, limit)).await {
        Ok(Ok(Some(body))) => Ok(body),
        Ok(Ok(None)) => Err(too_large()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ApiError::RequestTimeout(format!(
            "the body was not received within {} s",
            timeout.as_secs()
        ))),
    }
}

/// A JSON body (at most [`MAX_JSON_BYTES`]), as `T`; 400 naming what is
/// wrong with it.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    req: &actix_web::HttpRequest,
    payload: web::Payload,
    timeout: Duration,
) -> Result<T, ApiError> {
    let body = read(req, payload, MAX_JSON_BYTES, timeout).await?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

async fn collect(mut payload: web::Payload, limit: u64) -> Result<Option<web::Bytes>, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        if (body.len() + chunk.len()) as u64 > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}
