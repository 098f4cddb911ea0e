//! `GET /api/v1/channels`: the merged feeds and their URLs.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::AppState;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Channel)]
pub struct ChannelView {
    name: String,
    title: String,
    feeds: FeedUrls,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedUrls {
    rss: String,
    atom: String,
    json: String,
}

fn channel_views(state: &AppState) -> Vec<ChannelView> {
    let base = state
        .config
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    state
        .config
        .all_channels()
        .into_iter()
        .map(|c| ChannelView {
            feeds: FeedUrls {
                rss: format!("{base}/feeds/{}.rss", c.name),
                atom: format!("{base}/feeds/{}.atom", c.name),
                json: format!("{base}/feeds/{}.json", c.name),
            },
            name: c.name,
            title: c.title,
        })
        .collect()
}

/// The merged feeds and their URLs.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "Every channel, `all` first", body = super::responses::ChannelList)))]
pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(super::responses::ChannelList {
        items: channel_views(&state),
    })
}
