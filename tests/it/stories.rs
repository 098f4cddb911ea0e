//! Cross-source stories: same canonical URL or same content, one story.

use crate::support::{data, sources_toml, FeedServer, Route, TestApp};

/// A wire service and an outlet that republishes two of its stories.
async fn wire_and_republisher() -> (FeedServer, TestApp) {
    let server = FeedServer::start().await;
    server.route(
        "/wire.atom",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    server.route(
        "/delta.rss",
        Route::feed(data("wire-republished.rss"), "application/rss+xml"),
    );
    let app = TestApp::spawn(&sources_toml(&[
        server.url("/wire.atom"),
        server.url("/delta.rss"),
    ]))
    .await;
    app.poll_all().await;
    (server, app)
}

#[tokio::test(flavor = "multi_thread")]
async fn same_article_from_two_sources_is_one_story_with_alternates() {
    let (_server, app) = wire_and_republisher().await;

    let (entries, stories): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM stories)")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (entries, stories),
        (4, 2),
        "canonical URL and content fingerprint each join a pair"
    );

    let feed = app.get_json("/feeds/all.json").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // The earliest version is shown; the other outlet is an alternate.
    let terminal = items
        .iter()
        .find(|i| i["url"] == "https://harbourwire.example/881")
        .unwrap();
    assert_eq!(terminal["_tributary"]["source"]["title"], "Harbour Wire");
    assert_eq!(terminal["_tributary"]["alternates"][0]["source_id"], 2);
    let rice = items
        .iter()
        .find(|i| i["url"] == "https://harbourwire.example/880")
        .unwrap();
    assert_eq!(
        rice["_tributary"]["alternates"][0]["url"],
        "https://deltadaily.example/news/salt-rice"
    );

    let story_id = terminal["_tributary"]["story_id"].as_i64().unwrap();
    let story = app.get_json(&format!("/api/v1/stories/{story_id}")).await;
    let versions = story["entries"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["source"]["id"], 1, "oldest first");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_source_moves_its_stories_to_the_remaining_version() {
    let (_server, app) = wire_and_republisher().await;
    let before = app.cache_generation();
    tributary::sources::remove(&app.db.pool, 1).await.unwrap();
    app.wait_for_change(before).await;
    let feed = app.get_json("/feeds/all.json").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["_tributary"]["source"]["id"] == 2));
    assert!(items
        .iter()
        .all(|i| i["_tributary"]["alternates"].as_array().unwrap().is_empty()));
    app.shutdown().await;
}
