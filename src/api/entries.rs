//! `GET /api/v1/entries`, `/api/v1/entries/{id}`, `/api/v1/stories/{id}`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::error::ApiError;
use super::params::{self, Params};
use crate::entries::{self, DEFAULT_LIMIT, EntryFilter, MAX_LIMIT};

/// The query `GET /api/v1/entries` takes. The handler parses it by hand
/// (`Params`) so that every error names its parameter; this type documents it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EntryQuery {
    /// A channel's sources (`all` or a `[[channels]]` name); lists one item per
    /// story, its earliest version in the channel, with the others as
    /// `alternates`, through the channel's include/exclude patterns.
    channel: Option<String>,
    /// Source ids; repeat for several.
    source: Option<Vec<i64>>,
    /// A source tag.
    tag: Option<String>,
    /// Published at or after (RFC 3339).
    since: Option<String>,
    /// Published before (RFC 3339).
    until: Option<String>,
    /// Full-text search, accent- and case-insensitive; results by relevance, then recency.
    q: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Entries, newest first (or by relevance with `q`), with keyset pagination.
#[utoipa::path(get, path = "/api/v1/entries", tag = "entries", params(EntryQuery),
    responses((status = 200, description = "A page of entries", body = super::responses::EntryPage), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // Repeated queries (a dashboard's first page, a popular search) are
    // answered from memory until the next change to the entries.
    let key = listing_key(req.query_string());
    if let Some(body) = state.response_cache.get_listing(&key) {
        return Ok(HttpResponse::Ok()
            .content_type("application/json")
            .body(body));
    }
    let generation = state.response_cache.generation();
    let p = Params::parse(req.query_string());
    let mut filter = EntryFilter {
        limit: p.limit(DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: p.cursor(&state.cursor_key)?,
        since: p.time("since")?,
        until: p.time("until")?,
        tag: p.text("tag", crate::domain::MAX_TAG_LEN)?,
        q: p.text("q", 500)?,
        ..Default::default()
    };
    for s in p.all("source") {
        filter.sources.push(params::id("source", s)?);
    }
    let page = match p.text("channel", 64)? {
        Some(name) => {
            let channel = state.config.channel(&name).ok_or_else(|| {
                ApiError::bad("channel", format!("there is no channel named {name:?}"))
            })?;
            filter.one_per_story = true;
            crate::publish::channel::channel_entries(&state.pool, &channel, &filter).await?
        }
        None => entries::list_entries(&state.pool, &filter).await?,
    };
    // Serialized straight from the entries: through a `serde_json::Value`
    // it cost a map per entry (a tenth of a listing's CPU).
    let body = serde_json::to_vec(&super::responses::EntryPage {
        items: page.items,
        next_cursor: page.next_cursor.map(|c| c.encode(&state.cursor_key)),
    })
    // Plain data always serializes; were it not to, that is a bug.
    .map_err(ApiError::internal)?;
    let body = web::Bytes::from(body);
    state
        .response_cache
        .put_listing(key, generation, body.clone());
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

/// The cache key of a listing: its parameters decoded and sorted, so the
/// same query spelled in another order or encoding is one entry (no
/// parameter's order matters: repeated `source`s are a set).
fn listing_key(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// One entry.
#[utoipa::path(get, path = "/api/v1/entries/{id}", tag = "entries", params(("id" = i64, Path, description = "Entry id")),
    responses((status = 200, description = "The entry", body = entries::EntryView), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
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

/// One story: its entries from every source, oldest first.
#[utoipa::path(get, path = "/api/v1/stories/{id}", tag = "entries", params(("id" = i64, Path, description = "Story id")),
    responses((status = 200, description = "The story", body = super::responses::Story), (status = 400, description = "A bad parameter, named in the problem", body = super::responses::Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource", body = super::responses::Problem, content_type = "application/problem+json"), (status = 503, description = "The database is unavailable", body = super::responses::Problem, content_type = "application/problem+json")))]
pub async fn story(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = params::id("id", &path)?;
    let versions = entries::get_story(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no story with id {id}")))?;
    Ok(HttpResponse::Ok().json(super::responses::Story {
        id,
        entries: versions,
    }))
}

#[cfg(test)]
mod tests {
    use super::listing_key;

    #[test]
    fn listing_keys_ignore_parameter_order_and_encoding() {
        assert_eq!(
            listing_key("limit=50&tag=vi"),
            listing_key("tag=vi&limit=50")
        );
        assert_eq!(
            listing_key("q=h%E1%BA%A3i+ph%C3%B2ng"),
            listing_key("q=hải%20phòng")
        );
        assert_eq!(
            listing_key("source=1&source=2"),
            listing_key("source=2&source=1")
        );
        assert_ne!(listing_key("tag=vi"), listing_key("tag=en"));
    }
}
