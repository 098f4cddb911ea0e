//! The river page: the merged stream as HTML people read in a browser
//! (`/`, `/c/{channel}`), the sources' health (`/sources`), and the
//! embedded static assets. Server-rendered, works without JavaScript.

pub mod assets;
pub mod i18n;
pub mod pages;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::params::{self, Params};
use crate::config::ChannelConfig;
use crate::entries::EntryFilter;
use crate::publish::channel;
use i18n::Lang;
use pages::{Frame, River};

/// Stories per page.
const PAGE_SIZE: i64 = 30;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/c/{channel}", web::get().to(channel_river))
        .route("/sources", web::get().to(sources))
        .route("/static/{file}", web::get().to(asset))
        .route("/favicon.ico", web::get().to(asset));
}

fn lang_of(req: &HttpRequest) -> Lang {
    Lang::negotiate(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    river(&req, &state, "all").await
}

async fn channel_river(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    river(&req, &state, &path).await
}

async fn river(req: &HttpRequest, state: &AppState, name: &str) -> HttpResponse {
    let lang = lang_of(req);
    let channels = state.config.all_channels();
    let all = ChannelConfig::all();
    let Some(current) = state.config.channel(name) else {
        let frame = frame(lang, "404", &channels, &all, false);
        let message = format!("There is no channel named “{name}”.");
        return html_response(
            req,
            StatusCode::NOT_FOUND,
            pages::error(&frame, 404, &message).into_string(),
        );
    };
    match river_markup(req, state, lang, &channels, &current).await {
        Ok(body) => html_response(req, StatusCode::OK, body),
        Err(e) => error_response(req, lang, &channels, &current, &e),
    }
}

fn frame<'a>(
    lang: Lang,
    title: &'a str,
    channels: &'a [ChannelConfig],
    current: &'a ChannelConfig,
    on_river: bool,
) -> Frame<'a> {
    Frame {
        lang,
        title,
        channels,
        current,
        on_river,
    }
}

async fn river_markup(
    req: &HttpRequest,
    state: &AppState,
    lang: Lang,
    channels: &[ChannelConfig],
    current: &ChannelConfig,
) -> Result<String, ApiError> {
    let p = Params::parse(req.query_string());
    let q = p.text("q", 500)?;
    let source = match p.one("source")? {
        Some(s) if !s.trim().is_empty() => Some(params::id("source", s)?),
        _ => None,
    };
    let cursor = p.cursor(&state.cursor_key)?;

    let page = if q.is_none() && source.is_none() {
        // The channel's stories exactly as its feeds carry them.
        channel::channel_page(&state.pool, current, cursor, PAGE_SIZE).await?
    } else {
        let filter = EntryFilter {
            sources: source.into_iter().collect(),
            q: q.clone(),
            cursor,
            limit: PAGE_SIZE,
            // A source's own view lists its versions; elsewhere one per story.
            one_per_story: source.is_none(),
            ..Default::default()
        };
        channel::channel_entries(&state.pool, current, &filter).await?
    };

    let mut ids: Vec<i64> = page
        .items
        .iter()
        .flat_map(|e| e.alternates.iter().map(|a| a.source_id))
        .chain(source)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let titles: HashMap<i64, String> = crate::sources::titles(&state.pool, &ids).await?;
    let source_name = source.map(|id| {
        (
            id,
            titles
                .get(&id)
                .map(String::as_str)
                .unwrap_or("?")
                .to_owned(),
        )
    });
    let older = page.next_cursor.map(|c| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(q) = &q {
            qs.append_pair("q", q);
        }
        if let Some(id) = source {
            qs.append_pair("source", &id.to_string());
        }
        qs.append_pair("cursor", &c.encode(&state.cursor_key));
        qs.finish()
    });
    let title = q.clone().unwrap_or_else(|| current.title.clone());
    let f = frame(lang, &title, channels, current, true);
    let river = River {
        q: q.as_deref(),
        source: source_name.as_ref().map(|(id, n)| (*id, n.as_str())),
        items: &page.items,
        source_titles: &titles,
        older,
        now: Utc::now(),
    };
    Ok(pages::river(&f, &river).into_string())
}

async fn sources(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let lang = lang_of(&req);
    let channels = state.config.all_channels();
    let all = ChannelConfig::all();
    match crate::sources::list(&state.pool).await {
        Ok(list) => {
            let title = lang.t(i18n::Text::Sources);
            let f = frame(lang, title, &channels, &all, false);
            html_response(
                &req,
                StatusCode::OK,
                pages::sources(&f, &list, Utc::now()).into_string(),
            )
        }
        Err(e) => error_response(&req, lang, &channels, &all, &ApiError::from(e)),
    }
}

fn error_response(
    req: &HttpRequest,
    lang: Lang,
    channels: &[ChannelConfig],
    current: &ChannelConfig,
    e: &ApiError,
) -> HttpResponse {
    use actix_web::ResponseError;
    let status = e.status_code();
    let f = frame(lang, status.as_str(), channels, current, false);
    html_response(
        req,
        status,
        pages::error(&f, status.as_u16(), &e.to_string()).into_string(),
    )
}

/// An HTML answer with a strong ETag of its bytes, so a reload of an
/// unchanged page is a 304; pages always revalidate (new stories arrive).
fn html_response(req: &HttpRequest, status: StatusCode, body: String) -> HttpResponse {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..12]));
    let fresh = status == StatusCode::OK && matches_etag(req, &etag);
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::build(status)
    };
    builder
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header((
            header::VARY,
            HeaderValue::from_static("Accept-Language, Accept-Encoding"),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return builder.finish();
    }
    builder.content_type("text/html; charset=utf-8").body(body)
}

fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    crate::api::if_none_match(req, etag).unwrap_or(false)
}

async fn asset(req: HttpRequest) -> HttpResponse {
    let Some(a) = assets::find(req.path()) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file");
    };
    let fresh = matches_etag(&req, a.etag());
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, a.etag()))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return builder.finish();
    }
    builder.content_type(a.content_type).body(a.body)
}
