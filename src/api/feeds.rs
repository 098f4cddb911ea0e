//! `GET /feeds/{channel}.{rss,atom,json}`: a channel's merged feed, with
//! RFC 5005 paging, a strong ETag and Last-Modified, 304s, and gzip/br
//! bodies compressed once per render (see `publish::cache`).

use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::params::Params;
use crate::entries::MAX_LIMIT;
use crate::publish::channel::channel_page;
use crate::publish::response_cache::{FeedKey, RenderedFeed, compress};
use crate::publish::{FeedFormat, FeedPage, PageUrls};

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
    let cursor = p.cursor(&state.cursor_key)?;
    let key = FeedKey {
        channel: channel.name.clone(),
        format,
        limit,
        cursor: cursor.map(|c| c.encode(&state.cursor_key)),
    };
    // WebSub discovery in the headers too (§4), for clients that read no body.
    let hub_link = crate::websub::hub_url(&state.config).map(|hub| {
        let topic = PageUrls::new(
            &state.config.server.public_url,
            name,
            format,
            (limit != channel.limit as i64).then_some(limit),
            key.cursor.as_deref(),
            None,
        )
        .self_url;
        format!("<{hub}>; rel=\"hub\", <{topic}>; rel=\"self\"")
    });
    let with_links = |mut res: HttpResponse| {
        if let Some(v) = hub_link
            .as_deref()
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            res.headers_mut().insert(header::LINK, v);
        }
        res
    };
    if let Some(cached) = state.response_cache.get(&key) {
        return Ok(with_links(respond(&req, &cached)));
    }

    // Read the generation before the data, so a change during rendering
    // leaves this render uncached.
    let generation = state.response_cache.generation();
    let page = match channel_page(&state.pool, &channel, cursor, limit).await {
        Ok(page) => page,
        Err(e) => {
            let e = ApiError::from(e);
            // An outage: the last page rendered, rather than no feed.
            if let (ApiError::Unavailable, Some(stale)) = (&e, state.response_cache.get_stale(&key))
            {
                return Ok(with_links(respond(&req, &stale)));
            }
            return Err(e);
        }
    };
    let limit_param = (limit != channel.limit as i64).then_some(limit);
    let next_cursor = page.next_cursor.map(|c| c.encode(&state.cursor_key));
    let urls = PageUrls::new(
        &state.config.server.public_url,
        name,
        format,
        limit_param,
        key.cursor.as_deref(),
        next_cursor.as_deref(),
    );
    let feed_page = FeedPage {
        channel,
        public_url: state.config.server.public_url.clone(),
        self_url: urls.self_url,
        first_url: urls.first_url,
        next_url: urls.next_url,
        hub_url: crate::websub::hub_url(&state.config),
        items: page.items,
    };
    let updated = feed_page.updated();
    let body = feed_page.render(format);
    let rendered = Arc::new(
        web::block(move || prepare(body, format.content_type(), updated, generation))
            .await
            .map_err(ApiError::internal)?,
    );
    state.response_cache.put(key, rendered.clone());
    Ok(with_links(respond(&req, &rendered)))
}

/// Validators and compressed variants for a body, computed once.
pub fn prepare(
    body: Vec<u8>,
    content_type: &'static str,
    updated: DateTime<Utc>,
    generation: u64,
) -> RenderedFeed {
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let (gzip, br) = compress(&body);
    RenderedFeed {
        generation,
        identity: web::Bytes::from(body),
        gzip,
        br,
        etag,
        last_modified: updated.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        content_type,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
    Identity,
}

/// The best coding the client accepts (q=0 refuses one).
fn negotiate(req: &HttpRequest) -> Coding {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Coding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (coding.eq_ignore_ascii_case(name) || coding == "*") && q > 0.0
        })
    };
    if accepts("br") {
        Coding::Brotli
    } else if accepts("gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// A 200 in the negotiated coding, or a 304 when the client's copy is current.
fn respond(req: &HttpRequest, feed: &RenderedFeed) -> HttpResponse {
    let headers = req.headers();
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    let not_modified = match super::if_none_match(req, &feed.etag) {
        Some(matched) => matched,
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .zip(DateTime::parse_from_rfc2822(&feed.last_modified).ok())
            .is_some_and(|(since, modified)| modified.timestamp() <= since.timestamp()),
    };
    let mut builder = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, feed.etag.as_str()))
        .insert_header((header::LAST_MODIFIED, feed.last_modified.as_str()))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    if not_modified {
        return builder.finish();
    }
    builder.content_type(feed.content_type);
    // An explicit Content-Encoding makes the Compress middleware leave the body alone.
    match negotiate(req) {
        Coding::Brotli => builder
            .insert_header((header::CONTENT_ENCODING, "br"))
            .body(feed.br.clone()),
        Coding::Gzip => builder
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(feed.gzip.clone()),
        Coding::Identity => builder
            .insert_header((header::CONTENT_ENCODING, "identity"))
            .body(feed.identity.clone()),
    }
}
