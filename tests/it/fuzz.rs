//! Nothing a client sends produces a 500: property tests over the query
//! parameters of the listing and feed endpoints.

use proptest::prelude::*;

use crate::support::{FeedServer, Route, TestApp, data, sources_toml};

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just(String::new()),
        Just("2026-11-25T07:30:00+07:00".to_owned()),
        Just("c2.AAAA.BBBB".to_owned()),
        "[0-9]{1,30}",
        "\\PC{0,40}",
        ".{0,300}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("limit".to_owned()),
        Just("cursor".to_owned()),
        Just("since".to_owned()),
        Just("until".to_owned()),
        Just("source".to_owned()),
        Just("tag".to_owned()),
        Just("q".to_owned()),
        Just("channel".to_owned()),
        "[a-z_]{1,10}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    proptest::collection::vec((name(), value()), 0..6).prop_map(|pairs| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    })
}

#[test]
fn arbitrary_query_parameters_never_cause_a_server_error() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(FeedServer::start());
    server.route(
        "/vi.rss",
        Route::feed(data("vi-news.rss"), "application/rss+xml"),
    );
    let app = rt.block_on(async {
        let app = TestApp::spawn(&sources_toml(&[server.url("/vi.rss")])).await;
        app.poll_all().await;
        app
    });
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(q in query(), path in prop_oneof![Just("/api/v1/entries"), Just("/feeds/all.json"), Just("/feeds/all.atom"), Just("/api/v1/sources")])| {
        let (status, content_type) = rt.block_on(async {
            let r = app.get(&format!("{path}?{q}")).await;
            let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            (r.status().as_u16(), ct)
        });
        prop_assert!(status == 200 || status == 400, "{path}?{q} answered {status}");
        if status == 400 {
            prop_assert_eq!(content_type, "application/problem+json");
        }
    });
    rt.block_on(app.shutdown());
}
