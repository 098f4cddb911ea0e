//! Cross-source stories: same canonical URL or same content, one story.

use crate::support::{FeedServer, Route, TestApp, data, sources_toml};
use std::time::Duration;

/// A wire service and an outlet that republishes two of its stories.
async fn wire_and_republisher() -> (FeedServer, TestApp) {
    wire_answering(Route::feed(data("wire-en.atom"), "application/atom+xml")).await
}

/// The same, the wire answering with `wire`; polled once.
async fn wire_answering(wire: Route) -> (FeedServer, TestApp) {
    let server = FeedServer::start().await;
    server.route("/wire.atom", wire);
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
    let keys = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, i64, i64)>(
                "SELECT count(*) FILTER (WHERE e.id IS NULL), count(*),
                        count(*) FILTER (WHERE e.source_id = 2)
                 FROM near_keys k LEFT JOIN entries e ON e.id = k.entry_id",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (orphans, stored, kept) = keys(&app).await;
    assert!(orphans == 0 && stored > kept, "{orphans} {stored} {kept}");
    let before = app.cache_generation();
    tributary::sources::remove(&app.db.pool, 1).await.unwrap();
    app.wait_for_change(before).await;
    let (orphans, left, _) = keys(&app).await;
    assert_eq!(
        (orphans, left),
        (0, kept),
        "the removed source's keys go with it"
    );
    let (searchable, orphaned): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = s.entry_id))
         FROM entry_search s",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (searchable, orphaned),
        (2, 0),
        "search rows go with their entries"
    );
    let feed = app.get_json("/feeds/all.json").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i["_tributary"]["source"]["id"] == 2));
    assert!(
        items
            .iter()
            .all(|i| i["_tributary"]["alternates"].as_array().unwrap().is_empty())
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_source_waits_for_grouping_in_progress() {
    // Stories have no foreign key: an ingest joining a story must not
    // interleave with a removal deleting it (see group::refresh_heads).
    let (_server, app) = wire_and_republisher().await;
    let mut grouping = app.db.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(tributary::stories::group::GROUPING_LOCK)
        .execute(&mut *grouping)
        .await
        .unwrap();
    let pool = app.db.pool.clone();
    let removal = tokio::spawn(async move { tributary::sources::remove(&pool, 1).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!removal.is_finished(), "the removal waits for the lock");
    grouping.commit().await.unwrap();
    removal.await.unwrap().unwrap();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_channel_listing_in_the_api_is_one_item_per_story() {
    let (_server, app) = wire_and_republisher().await;
    let every = app.get_json("/api/v1/entries").await;
    assert_eq!(every["items"].as_array().unwrap().len(), 4);

    let page = app.get_json("/api/v1/entries?channel=all").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one item per story: {page}");
    for item in items {
        // The earliest version (the wire's), the republication as an alternate.
        assert_eq!(item["source"]["title"], "Harbour Wire");
        let alternates = item["alternates"].as_array().unwrap();
        assert_eq!(alternates.len(), 1);
        assert_eq!(alternates[0]["source_id"], 2);
    }
    // Filters and search combine with it.
    let searched = app.get_json("/api/v1/entries?channel=all&q=terminal").await;
    assert_eq!(searched["items"].as_array().unwrap().len(), 1);
    let paged = app.get_json("/api/v1/entries?channel=all&limit=1").await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!(
            "/api/v1/entries?channel=all&limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_ne!(rest["items"][0]["id"], paged["items"][0]["id"]);
    assert!(rest["next_cursor"].is_null());
    app.shutdown().await;
}

/// Versions of one story from the labelled set, by kind.
fn versions(story: &str) -> Vec<serde_json::Value> {
    let set: serde_json::Value = serde_json::from_slice(&data("dedup/set.json")).unwrap();
    set["articles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["story"] == story)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_copy_joins_the_story_and_stays_when_edited_again() {
    let all = versions("hp-port");
    let by_kind = |k: &str| all.iter().find(|a| a["kind"] == k).unwrap().clone();
    let original = by_kind("original");
    let edited = by_kind("edited");
    let server = FeedServer::start().await;
    server.route(
        "/a.rss",
        Route::feed(
            crate::dedup_eval::rss("a", &[&original]),
            "application/rss+xml",
        ),
    );
    server.route(
        "/b.rss",
        Route::feed(
            crate::dedup_eval::rss("b", &[&edited]),
            "application/rss+xml",
        ),
    );
    let app = TestApp::spawn(&sources_toml(&[server.url("/a.rss"), server.url("/b.rss")])).await;
    app.poll_all().await;
    let stories = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT story_id, title FROM entries ORDER BY source_id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let first = stories(&app).await;
    assert_eq!(first.len(), 2);
    assert_eq!(
        first[0].0, first[1].0,
        "another headline, edited words: one story"
    );
    let feed = app.get_json("/feeds/all.json").await;
    let item_id = feed["items"][0]["id"].clone();
    assert_eq!(feed["items"].as_array().unwrap().len(), 1);

    // Outlet b edits its copy again under the same guid: it stays in the story.
    let mut again = edited.clone();
    again["title"] = "Hải Phòng nâng công suất cảng lên 200 triệu tấn".into();
    again["html"] = by_kind("trimmed")["html"].clone();
    server.route(
        "/b.rss",
        Route::feed(
            crate::dedup_eval::rss("b", &[&again]),
            "application/rss+xml",
        ),
    );
    let before = app.cache_generation();
    let reports = app.poll_all().await;
    app.wait_for_change(before).await;
    let second = stories(&app).await;
    assert_eq!(second.len(), 2);
    assert_eq!(
        second[1].1, "Hải Phòng nâng công suất cảng lên 200 triệu tấn",
        "{reports:?}"
    );
    assert_eq!(second[0].0, first[0].0);
    assert_eq!(second[1].0, first[0].0);
    let feed = app.get_json("/feeds/all.json").await;
    assert_eq!(feed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        feed["items"][0]["id"], item_id,
        "the story's id in our feeds is stable"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn generic_headlines_with_other_figures_stay_apart() {
    let mut weather: Vec<serde_json::Value> = ["weather-24", "weather-25", "weather-26"]
        .iter()
        .flat_map(|s| versions(s))
        .collect();
    // Published within one window, by three outlets.
    for (i, w) in weather.iter_mut().enumerate() {
        w["published"] = format!("2026-11-2{}T06:00:00Z", 4 + i).into();
    }
    let server = FeedServer::start().await;
    let mut urls = vec![];
    for (i, w) in weather.iter().enumerate() {
        let path = format!("/w{i}.rss");
        server.route(
            &path,
            Route::feed(crate::dedup_eval::rss("w", &[w]), "application/rss+xml"),
        );
        urls.push(server.url(&path));
    }
    let app = TestApp::spawn(&sources_toml(&urls)).await;
    app.poll_all().await;
    let (stories,): (i64,) = sqlx::query_as("SELECT count(*) FROM stories")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stories, 3, "three days' weather reports are three stories");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn near_duplicate_keys_are_pruned_once_no_new_entry_can_match_them() {
    let server = FeedServer::start().await;
    let all = versions("hp-port");
    for (i, v) in all.iter().take(2).enumerate() {
        let path = format!("/{i}.rss");
        server.route(
            &path,
            Route::feed(crate::dedup_eval::rss("x", &[v]), "application/rss+xml"),
        );
    }
    let app = TestApp::spawn(&sources_toml(&[server.url("/0.rss"), server.url("/1.rss")])).await;
    app.poll_all().await;
    let count = |pool: sqlx::PgPool| async move {
        sqlx::query_as::<_, (i64,)>("SELECT count(*) FROM near_keys")
            .fetch_one(&pool)
            .await
            .unwrap()
            .0
    };
    // Both versions are a week old at most; make one's keys 40 days old.
    let now = chrono::Utc::now();
    sqlx::query("UPDATE entries SET sort_at = $1 - interval '40 days' WHERE id = (SELECT min(id) FROM entries)")
        .bind(now)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE near_keys SET sort_at = $1 - interval '40 days' WHERE entry_id = (SELECT min(id) FROM entries)")
        .bind(now)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let before = count(app.db.pool.clone()).await;
    let old: (i64,) =
        sqlx::query_as("SELECT count(*) FROM near_keys WHERE sort_at < $1 - interval '30 days'")
            .bind(now)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(old.0 > 0 && before > old.0, "{before} keys, {} old", old.0);
    let horizon = tributary::stories::group::near_keys_horizon(Duration::from_secs(3 * 86400));
    let pruned = tributary::retention::prune_near_keys(&app.db.pool, horizon, now)
        .await
        .unwrap();
    assert_eq!(pruned as i64, old.0);
    assert_eq!(count(app.db.pool.clone()).await, before - old.0);
    // The entries themselves stay.
    let (entries,): (i64,) = sqlx::query_as("SELECT count(*) FROM entries")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(entries, 2);
    // The grouping log (one line per grouping) keeps the last hour.
    sqlx::query("UPDATE grouping_log SET at = $1 - interval '2 hours' WHERE tx = (SELECT min(tx) FROM grouping_log)")
        .bind(now)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (lines,): (i64,) = sqlx::query_as("SELECT count(*) FROM grouping_log")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let pruned = tributary::retention::prune_grouping_log(&app.db.pool, now)
        .await
        .unwrap();
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM grouping_log")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!((pruned, left), (1, lines - 1), "{lines} lines");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_earlier_version_arriving_later_becomes_the_head() {
    // The republisher is polled first; the wire, which published earlier,
    // is down until the second round.
    let (server, app) = wire_answering(Route::status(503)).await;
    let heads = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT e.source_id, count(*) OVER () FROM stories s
                 JOIN entries e ON e.id = s.head_entry_id ORDER BY s.id",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(heads(&app).await, vec![(2, 2), (2, 2)]);
    server.route(
        "/wire.atom",
        Route::feed(data("wire-en.atom"), "application/atom+xml"),
    );
    sqlx::query("UPDATE sources SET next_poll_at = now()")
        .execute(&app.db.pool)
        .await
        .unwrap();
    app.poll_all().await;
    // Both stories now start at the wire's earlier versions.
    assert_eq!(heads(&app).await, vec![(1, 2), (1, 2)]);
    let feed = app.get_json("/feeds/all.json").await;
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| i["_tributary"]["source"]["title"] == "Harbour Wire")
    );
    app.shutdown().await;
}

/// `n` outlets' feeds carrying one story, the original and an edited
/// version by turns, each at the outlet's own URL.
fn outlet_copies(server: &FeedServer, n: usize) -> Vec<String> {
    let all = versions("hp-port");
    let by_kind = |k: &str| all.iter().find(|a| a["kind"] == k).unwrap().clone();
    (0..n)
        .map(|n| {
            let mut copy = by_kind(if n % 2 == 0 { "original" } else { "edited" });
            copy["url"] = format!("https://outlet{n}.example/tin/{n}.html").into();
            copy["id"] = format!("outlet{n}-1").into();
            let path = format!("/outlet{n}.rss");
            server.route(
                &path,
                Route::feed(
                    crate::dedup_eval::rss(&format!("outlet{n}"), &[&copy]),
                    "application/rss+xml",
                ),
            );
            server.url(&path)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_looked_up_before_either_is_stored_are_one_story() {
    // Groupings look up candidates before the grouping lock: two outlets'
    // copies both look while neither is stored, then group one after the
    // other. The second must find the first through the grouping log.
    let server = FeedServer::start().await;
    let urls = outlet_copies(&server, 2);
    let (db, config) = crate::support::db_with_sources(&sources_toml(&urls)).await;
    let mut held = db.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(tributary::stories::group::GROUPING_LOCK)
        .execute(&mut *held)
        .await
        .unwrap();
    let polls = {
        let pool = db.pool.clone();
        tokio::spawn(async move { crate::support::poll_all(&pool, &config).await })
    };
    // Both have looked up and wait for the lock.
    let mut waiting = 0i64;
    for _ in 0..200 {
        (waiting,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND datname = current_database()",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        if waiting == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(waiting, 2, "both groupings wait for the lock");
    held.commit().await.unwrap();
    polls.await.unwrap();
    let (entries, stories): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM stories)")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((entries, stories), (2, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_polled_at_once_from_many_outlets_are_one_story() {
    // Eight outlets carry the same story (the original and an edited
    // version, each at the outlet's own URL), fetched concurrently: every
    // poller groups under one lock, and each copy finds the ones committed
    // before its lookup, or since (by the grouping log), and joins them.
    let server = FeedServer::start().await;
    let urls = outlet_copies(&server, 8);
    let toml = format!(
        "[poller]\nconcurrency = 8\nper_host_concurrency = 8\n{}",
        sources_toml(&urls)
    );
    let app = TestApp::spawn(&toml).await;
    app.poll_all().await;
    let (entries, stories): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM stories)")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((entries, stories), (8, 1));
    // Its head is its earliest version, and every entry points at it.
    let (head_ok, members): (bool, i64) = sqlx::query_as(
        "SELECT s.head_entry_id = (SELECT id FROM entries ORDER BY sort_at, id LIMIT 1),
                (SELECT count(*) FROM entries e WHERE e.story_id = s.id)
         FROM stories s",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(head_ok);
    assert_eq!(members, 8);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_a_poller_stored_but_never_grouped_are_grouped_by_the_sweep() {
    // Grouping is the step after the store, in its own transaction: a
    // poller that dies between the two leaves its batch in `ungrouped`,
    // each entry a story of its own, until a sweep groups it.
    let server = FeedServer::start().await;
    let urls = outlet_copies(&server, 3);
    let (db, config) = crate::support::db_with_sources(&sources_toml(&urls)).await;
    let ingestor = tributary::ingest::Ingestor::new(db.pool.clone(), &config.poller).unwrap();
    let sources: Vec<(i64, String)> = sqlx::query_as("SELECT id, url FROM sources ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let mut batches = vec![];
    for (id, url) in &sources {
        // The ingest alone, as a poller that dies right after it.
        let ingested = ingestor
            .ingest(&tributary::ingest::Request {
                source_id: *id,
                url: url.clone(),
                reach: tributary::ingest::fetch::Reach::Any,
                validators: Default::default(),
                timezone: None,
                guid_is_unreliable: false,
                full_text: false,
            })
            .await;
        let Ok(tributary::ingest::Got::Stored(stored)) = ingested.result else {
            panic!("{:?}", ingested.result)
        };
        assert_eq!(stored.stats.inserted, 1);
        batches.push(stored.stats.ungrouped.expect("a batch to group"));
    }
    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(count("SELECT count(*) FROM stories").await, 3);
    assert_eq!(count("SELECT count(*) FROM ungrouped").await, 3);

    // A sweep leaves batches younger than its threshold to their pollers.
    let window = config.poller.story_window;
    let swept = tributary::stories::group::sweep(&db.pool, Duration::from_secs(3_600), window)
        .await
        .unwrap();
    assert_eq!(swept, 0);
    // Older ones it groups: the three copies are one story, nothing waits.
    let swept = tributary::stories::group::sweep(&db.pool, Duration::ZERO, window)
        .await
        .unwrap();
    assert_eq!(swept, 3);
    assert_eq!(count("SELECT count(*) FROM stories").await, 1);
    assert_eq!(count("SELECT count(*) FROM ungrouped").await, 0);
    assert_eq!(
        count("SELECT count(*) FROM entries e JOIN stories s ON s.id = e.story_id").await,
        3
    );
    // A batch already grouped (by another poller's sweep) is not grouped twice.
    let again = tributary::stories::group::group_batch(&db.pool, batches[0], window)
        .await
        .unwrap();
    assert_eq!(again, None);
}
