//! `GET /api/v1/entries`, `/api/v1/entries/{id}`, `/api/v1/stories/{id}`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::error::ApiError;
use super::params::{self, Params};
use super::AppState;
use crate::entries::{self, EntryFilter, DEFAULT_LIMIT, MAX_LIMIT};

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string());
    let mut filter = EntryFilter {
        limit: p.limit(DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: p.cursor(&state.cursor_key)?,
        since: p.time("since")?,
        until: p.time("until")?,
        tag: p.text("tag", crate::sources::MAX_TAG_LEN)?,
        q: p.text("q", 500)?,
        ..Default::default()
    };
    for s in p.all("source") {
        filter.sources.push(params::id("source", s)?);
    }
    if let Some(name) = p.text("channel", 64)? {
        let channel = state.config.channel(&name).ok_or_else(|| {
            ApiError::bad("channel", format!("there is no channel named {name:?}"))
        })?;
        if !channel.is_unfiltered() {
            let urls: Vec<String> = channel.sources.iter().map(|u| u.to_string()).collect();
            filter.within_sources =
                Some(entries::sources_matching(&state.pool, &channel.tags_any, &urls).await?);
        }
    }
    let page = entries::list_entries(&state.pool, &filter).await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": page.items,
        "next_cursor": page.next_cursor.map(|c| c.encode(&state.cursor_key)),
    })))
}

pub async fn one(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::id("id", &path)?;
    let entry = entries::get_entry(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no entry with id {id}")))?;
    Ok(HttpResponse::Ok().json(entry))
}

pub async fn story(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::id("id", &path)?;
    let versions = entries::get_story(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no story with id {id}")))?;
    Ok(HttpResponse::Ok().json(json!({ "id": id, "entries": versions })))
}
