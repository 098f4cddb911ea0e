//! `GET /feeds/{channel}.{rss,atom,json}`: a channel's merged feed, with
//! RFC 5005 paging, a strong ETag and Last-Modified, and 304s.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::params::Params;
use super::AppState;
use crate::entries::MAX_LIMIT;
use crate::publish::channel::channel_page;
use crate::publish::{FeedFormat, FeedPage};

pub async fn feed(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let file = path.into_inner();
    let (name, format) = file
        .rsplit_once('.')
        .and_then(|(n, ext)| Some((n, FeedFormat::from_extension(ext)?)))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no feed {file:?}: feeds end in .rss, .atom or .json"
            ))
        })?;
    let channel = state
        .config
        .channel(name)
        .ok_or_else(|| ApiError::NotFound(format!("there is no channel named {name:?}")))?;
    let p = Params::parse(req.query_string());
    let limit = p.limit(channel.limit as i64, MAX_LIMIT)?;
    let cursor = p.cursor()?;
    let page = channel_page(&state.pool, &channel, cursor, limit).await?;

    let base = state
        .config
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let path_url = format!("{base}/feeds/{name}.{}", format.extension());
    let limit_param = (limit != channel.limit as i64).then(|| format!("limit={limit}"));
    let with_query = |parts: Vec<String>| {
        if parts.is_empty() {
            path_url.clone()
        } else {
            format!("{path_url}?{}", parts.join("&"))
        }
    };
    let mut self_parts: Vec<String> = limit_param.iter().cloned().collect();
    if let Some(c) = cursor {
        self_parts.push(format!("cursor={}", c.encode()));
    }
    let feed_page = FeedPage {
        channel,
        public_url: state.config.server.public_url.clone(),
        self_url: with_query(self_parts),
        first_url: with_query(limit_param.iter().cloned().collect()),
        next_url: page.next_cursor.map(|c| {
            let mut parts: Vec<String> = limit_param.iter().cloned().collect();
            parts.push(format!("cursor={}", c.encode()));
            with_query(parts)
        }),
        items: page.items,
    };
    let updated = feed_page.updated();
    let body = feed_page.render(format);
    Ok(conditional_response(
        &req,
        body,
        format.content_type(),
        updated,
    ))
}

/// A 200 with validators, or a 304 when the client's copy is current.
pub fn conditional_response(
    req: &HttpRequest,
    body: Vec<u8>,
    content_type: &str,
    updated: DateTime<Utc>,
) -> HttpResponse {
    let etag = format!(
        "\"{}\"",
        crate::ingest::identity::hex(&Sha256::digest(&body)[..16])
    );
    let last_modified = updated.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let headers = req.headers();
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        Some(inm) => inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| updated.timestamp() <= since.timestamp()),
    };
    let mut builder = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, etag))
        .insert_header((header::LAST_MODIFIED, last_modified))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    if not_modified {
        builder.finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}
