//! Real time: webhooks and the built-in WebSub hub, end to end — the
//! application polls a fixture feed over HTTP, groups what it stored, and
//! delivers to fixture receivers on 127.0.0.1.

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use tributary::signature;
use tributary::startup::Role;

use crate::support::{FeedServer, Receiver, Route, TOKEN, TestApp, Verify, test_config};

const WAIT: Duration = Duration::from_secs(30);

/// An RSS document with one item per (guid, title), published in the
/// last hours of this run.
fn rss(items: &[(&str, &str)]) -> Vec<u8> {
    let now = Utc::now();
    let body: String = items
        .iter()
        .enumerate()
        .map(|(i, (guid, title))| {
            format!(
                "<item><guid>{guid}</guid><title>{title}</title><link>https://baomoi.example/{guid}.html</link>\
                 <description>{title}: bài viết số {i} về {guid}, nội dung riêng không trùng với tin nào khác.</description>\
                 <pubDate>{}</pubDate></item>",
                (now - chrono::Duration::minutes(10 * i as i64 + 5)).to_rfc2822()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Tin Hải Phòng</title>\
         <link>https://baomoi.example/</link><description>Tin mới</description>{body}</channel></rss>"
    )
    .into_bytes()
}

const FIRST: [(&str, &str); 2] = [
    ("hp-cang", "Hải Phòng mở rộng cảng Lạch Huyện"),
    ("ts-dao", "Trường Sa đón đoàn công tác mùa khô"),
];
const LATER: (&str, &str) = ("dang-uy", "Đảng ủy thành phố họp phiên thường kỳ");
const LAST: (&str, &str) = ("bao-so-9", "Bão số 9 gây mưa lớn ở miền Trung");

fn titles(posts: &[crate::support::receiver::Received]) -> Vec<String> {
    posts
        .iter()
        .flat_map(|p| {
            p.json()["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|i| i["title"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

async fn webhook_app(feeds: &FeedServer, hook: &Receiver, extra: &str) -> TestApp {
    let config = test_config(&format!(
        "[poller]\nmin_interval = \"1s\"\ndefault_interval = \"1h\"\n\
         [[sources]]\nurl = \"{}\"\ntags = [\"vi\"]\n\
         [[channels]]\nname = \"vietnam\"\ntags_any = [\"vi\"]\n\
         [[webhooks]]\nurl = \"{}\"\nchannel = \"vietnam\"\nsecret_env = \"TRIBUTARY_TEST_TOKEN\"\n{extra}",
        feeds.url("/hp.rss"),
        hook.url("/hook"),
    ));
    TestApp::spawn_as(config, Role::All).await
}

/// The items of a listing that needs the token.
async fn authed_items(app: &TestApp, path: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = app
        .authed(Method::GET, path)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    v["items"].as_array().cloned().unwrap_or_default()
}

/// The fixture feed with the first two stories.
async fn first_feed() -> FeedServer {
    let feeds = FeedServer::start().await;
    feeds.route("/hp.rss", Route::feed(rss(&FIRST), "application/rss+xml"));
    feeds
}

/// Waits up to 10 s for `check` to hold.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what}: not within 10 s");
}

/// Polls the source now; while the poller's own poll of it is in flight
/// (it may have read the feed before the test changed it), again.
async fn refresh(app: &TestApp, source_id: i64) {
    for _ in 0..600 {
        let r = app
            .authed(
                Method::POST,
                &format!("/api/v1/sources/{source_id}/refresh"),
            )
            .send()
            .await
            .expect("refresh");
        assert!(r.status().is_success(), "refresh: {}", r.status());
        let answer: serde_json::Value = r.json().await.expect("json");
        if answer["status"] == "polled" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("source {source_id} stayed busy for 30 s");
}

#[tokio::test]
async fn a_webhook_gets_each_new_story_once_signed_with_a_delivery_id() {
    let feeds = first_feed().await;
    let hook = Receiver::start().await;
    let app = webhook_app(&feeds, &hook, "").await;

    let got = hook
        .wait_until(WAIT, "the first stories delivered", |r| {
            titles(r).len() >= 2
        })
        .await;
    let post = &got[0];
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("content-type"), Some("application/json"));
    let sig = post.header("x-tributary-signature").expect("signed");
    assert!(sig.starts_with("sha256="), "{sig}");
    assert!(signature::verify(sig, TOKEN.as_bytes(), &post.body));
    assert_eq!(
        sig,
        signature::sign(signature::Method::Sha256, TOKEN.as_bytes(), &post.body)
    );
    assert_eq!(post.header("x-tributary-delivery").map(str::len), Some(32));
    let body = post.json();
    assert_eq!(body["channel"], "vietnam");
    let item = &body["items"][0];
    for field in ["id", "url", "title", "date_published", "_tributary"] {
        assert!(
            !item[field].is_null(),
            "JSON Feed item without {field}: {item}"
        );
    }
    let mut first = titles(&got);
    first.sort();
    assert_eq!(
        first,
        [
            "Hải Phòng mở rộng cảng Lạch Huyện",
            "Trường Sa đón đoàn công tác mùa khô"
        ]
    );

    // One story more upstream: exactly it is delivered, and nothing twice.
    let mut more = FIRST.to_vec();
    more.insert(0, LATER);
    feeds.route("/hp.rss", Route::feed(rss(&more), "application/rss+xml"));
    refresh(&app, 1).await;
    let got = hook
        .wait_until(WAIT, "the new story delivered", |r| titles(r).len() >= 3)
        .await;
    let last = got.last().expect("a delivery");
    assert_eq!(titles(std::slice::from_ref(last)), [LATER.1]);
    // Polls that find nothing new deliver nothing.
    refresh(&app, 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = hook.posts();
    assert_eq!(titles(&all).len(), 3, "{:?}", titles(&all));
    let keys: std::collections::HashSet<_> = all
        .iter()
        .filter_map(|p| p.header("x-tributary-delivery"))
        .collect();
    assert_eq!(keys.len(), all.len(), "every delivery has its own key");

    let hooks = authed_items(&app, "/api/v1/webhooks").await;
    let w = &hooks[0];
    assert_eq!(w["url"], hook.url("/hook"));
    assert_eq!(w["state"], "ok");
    assert_eq!(w["delivered"], all.len() as u64);
    assert_eq!(w["pending"], 0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_failing_webhook_backs_off_shows_its_error_and_gets_the_same_delivery_later() {
    let feeds = first_feed().await;
    let hook = Receiver::start().await;
    hook.answer_posts_with(500);
    let app = webhook_app(&feeds, &hook, "").await;

    hook.wait_until(WAIT, "two failed attempts", |r| r.len() >= 2)
        .await;
    // The second failure is recorded a moment after the request.
    eventually("two failures recorded", || async {
        authed_items(&app, "/api/v1/webhooks").await[0]["consecutive_failures"].as_i64() >= Some(2)
    })
    .await;
    let listed = authed_items(&app, "/api/v1/webhooks").await;
    let w = &listed[0];
    assert_eq!(w["last_error"], "HTTP 500");
    assert!(w["consecutive_failures"].as_i64() >= Some(2), "{w}");
    assert_eq!(w["pending"], 1, "{w}");
    assert!(w["delivered"] == 0, "{w}");
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("tributary_deliveries_total{kind=\"webhook\",outcome=\"failed\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tributary_deliveries_pending 1"),
        "{metrics}"
    );

    // Backoff: the first retry 5 s on, the next 10 s after that, not at once.
    let attempts = hook.received();
    assert!(attempts.len() <= 3, "{} attempts", attempts.len());

    hook.answer_posts_with(204);
    let got = hook
        .wait_until(
            Duration::from_secs(60),
            "a delivery once the endpoint is back",
            |r| r.len() >= 3 && r.len() > attempts.len(),
        )
        .await;
    let keys: std::collections::HashSet<_> = got
        .iter()
        .filter_map(|p| p.header("x-tributary-delivery"))
        .collect();
    assert_eq!(keys.len(), 1, "every attempt carries the same delivery key");
    assert_eq!(
        got.last().map(|p| p.body.clone()),
        got.first().map(|p| p.body.clone())
    );
    // Recorded as delivered.
    eventually("the delivery recorded", || async {
        let w = &authed_items(&app, "/api/v1/webhooks").await[0];
        w["state"] == "ok" && w["pending"] == 0 && w["delivered"] == 1
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn deliveries_pending_at_a_restart_are_sent_after_it_once() {
    let feeds = first_feed().await;
    let hook = Receiver::start().await;
    hook.answer_posts_with(503);
    let app = webhook_app(&feeds, &hook, "").await;
    hook.wait_until(WAIT, "a failed attempt", |r| !r.is_empty())
        .await;
    let config = (*app.config).clone();
    let db = app.stop().await;
    let (pending,): (i64,) = sqlx::query_as("SELECT count(*) FROM deliveries")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(pending, 1, "the delivery waits in the outbox");
    let failed_key = hook.received()[0]
        .header("x-tributary-delivery")
        .map(str::to_owned);

    hook.answer_posts_with(200);
    // The restarted server would wait out the backoff; move it to now.
    sqlx::query("UPDATE endpoints SET retry_at = now()")
        .execute(&db.pool)
        .await
        .expect("rewind");
    let app = TestApp::start_on(db, config, Role::All).await;
    let got = hook
        .wait_until(WAIT, "the delivery after the restart", |r| {
            r.iter()
                .any(|p| p.header("x-tributary-delivery") == failed_key.as_deref() && r.len() >= 2)
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = hook.posts();
    assert_eq!(
        titles(&all[1..]).len(),
        2,
        "each story delivered once after the restart"
    );
    assert_eq!(all.len(), got.len(), "nothing more was sent");
    app.shutdown().await;
}

async fn hub_app(feeds: &FeedServer, websub: &str) -> TestApp {
    let config = test_config(&format!(
        "[poller]\nmin_interval = \"1s\"\ndefault_interval = \"1h\"\nallow_private_networks = true\n\
         [websub]\n{websub}\n\
         [[sources]]\nurl = \"{}\"\n",
        feeds.url("/hp.rss"),
    ));
    TestApp::spawn_as(config, Role::All).await
}

async fn hub_request(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(format!("{}/websub/hub", app.address))
        .form(form)
        .send()
        .await
        .expect("hub request")
}

async fn subscriptions(app: &TestApp) -> Vec<serde_json::Value> {
    authed_items(app, "/api/v1/websub").await
}

#[tokio::test]
async fn our_feeds_name_the_hub_in_body_and_headers() {
    let feeds = first_feed().await;
    let app = hub_app(&feeds, "hub = \"builtin\"").await;
    let hub = "http://tributary.test/websub/hub";
    for (path, needle) in [
        (
            "/feeds/all.atom",
            format!("<link rel=\"hub\" href=\"{hub}\"/>"),
        ),
        (
            "/feeds/all.rss",
            format!("<atom:link href=\"{hub}\" rel=\"hub\">"),
        ),
        (
            "/feeds/all.json",
            format!("\"hubs\":[{{\"type\":\"WebSub\",\"url\":\"{hub}\"}}]"),
        ),
    ] {
        let r = app.get(path).await;
        assert_eq!(
            r.headers().get("link").and_then(|v| v.to_str().ok()),
            Some(
                format!("<{hub}>; rel=\"hub\", <http://tributary.test{path}>; rel=\"self\"")
                    .as_str()
            ),
            "{path}"
        );
        let body = r.text().await.expect("body");
        assert!(body.contains(&needle), "{path}: {body}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_builtin_hub_verifies_a_subscriber_and_pushes_it_the_changed_feed_signed() {
    let feeds = first_feed().await;
    let app = hub_app(&feeds, "hub = \"builtin\"\nlease = \"1d\"").await;
    let reader = Receiver::start().await;
    let topic = "http://tributary.test/feeds/all.atom";
    let callback = reader.url("/push/7f3a");
    let r = hub_request(
        &app,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", topic),
            ("hub.callback", &callback),
            ("hub.secret", "bí mật"),
            ("hub.lease_seconds", "3600"),
        ],
    )
    .await;
    assert_eq!(r.status(), 202);
    let got = reader
        .wait_until(WAIT, "the verification of intent", |r| !r.is_empty())
        .await;
    let check = &got[0];
    assert_eq!(check.method, "GET");
    assert_eq!(check.path, "/push/7f3a");
    assert_eq!(check.query["hub.mode"], "subscribe");
    assert_eq!(check.query["hub.topic"], topic);
    assert_eq!(check.query["hub.lease_seconds"], "3600");
    assert!(check.query["hub.challenge"].len() >= 16);
    eventually("the subscription stored", || async {
        !subscriptions(&app).await.is_empty()
    })
    .await;
    let subscribed = subscriptions(&app).await;
    assert_eq!(subscribed.len(), 1, "{subscribed:?}");
    assert_eq!(subscribed[0]["role"], "hub");
    assert_eq!(subscribed[0]["url"], callback);
    assert_eq!(subscribed[0]["signed"], true);

    // A new story (the poller stored the first ones, maybe before the
    // subscription): the subscriber gets the feed as it now is.
    let mut more = FIRST.to_vec();
    more.insert(0, LATER);
    feeds.route("/hp.rss", Route::feed(rss(&more), "application/rss+xml"));
    refresh(&app, 1).await;
    let has_later = |p: &crate::support::receiver::Received| {
        p.method == "POST" && String::from_utf8_lossy(&p.body).contains(LATER.1)
    };
    let got = reader
        .wait_until(WAIT, "the content distribution", |r| {
            r.iter().any(has_later)
        })
        .await;
    let push = got.iter().find(|p| has_later(p)).expect("a push");
    assert_eq!(
        push.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let sig = push
        .header("x-hub-signature")
        .expect("signed with the secret");
    assert!(
        signature::verify(sig, "bí mật".as_bytes(), &push.body),
        "{sig}"
    );
    assert_eq!(
        push.header("link"),
        Some(
            format!("<http://tributary.test/websub/hub>; rel=\"hub\", <{topic}>; rel=\"self\"")
                .as_str()
        )
    );
    let feed = String::from_utf8_lossy(&push.body);
    assert!(feed.contains("Hải Phòng mở rộng cảng Lạch Huyện"), "{feed}");
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));

    // 410: the subscriber is gone, and so is its subscription.
    reader.answer_posts_with(410);
    let before = reader.posts().len();
    more.insert(0, LAST);
    feeds.route("/hp.rss", Route::feed(rss(&more), "application/rss+xml"));
    refresh(&app, 1).await;
    reader
        .wait_until(WAIT, "the next push", |r| {
            r.iter().filter(|p| p.method == "POST").count() > before
        })
        .await;
    eventually("a subscriber that answered 410 removed", || async {
        subscriptions(&app).await.is_empty()
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn the_hub_refuses_what_it_cannot_verify_and_limits_requests_per_callback_host() {
    let feeds = first_feed().await;
    let app = hub_app(&feeds, "hub = \"builtin\"").await;
    let reader = Receiver::start().await;
    reader.verify_with(Verify::Wrong);
    let topic = "http://tributary.test/feeds/all.rss";
    let app = &app;
    let subscribe = |cb: String| async move {
        let form = [
            ("hub.mode", "subscribe"),
            ("hub.topic", topic),
            ("hub.callback", cb.as_str()),
        ];
        hub_request(app, &form).await.status().as_u16()
    };
    assert_eq!(subscribe(reader.url("/a")).await, 202);
    reader
        .wait_until(WAIT, "a verification", |r| !r.is_empty())
        .await;
    reader.verify_with(Verify::Status(404));
    assert_eq!(subscribe(reader.url("/b")).await, 202);
    reader
        .wait_until(WAIT, "a verification", |r| r.len() >= 2)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        subscriptions(app).await.is_empty(),
        "unconfirmed subscriptions were stored"
    );

    // Topics that are not our feeds, and bad fields, are 400s naming them.
    let r = hub_request(
        app,
        &[
            ("hub.mode", "subscribe"),
            ("hub.topic", "http://elsewhere.example/feed"),
            ("hub.callback", &reader.url("/c")),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    let problem: serde_json::Value = r.json().await.expect("problem");
    assert_eq!(problem["parameter"], "hub.topic", "{problem}");

    // At most 30 requests a minute for callbacks on one host.
    let mut statuses = vec![];
    for i in 0..30 {
        statuses.push(subscribe(reader.url(&format!("/n{i}"))).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_external_hub_is_pinged_for_each_feed_of_a_channel_with_new_stories() {
    let feeds = first_feed().await;
    let hub = Receiver::start().await;
    let app = hub_app(&feeds, &format!("hub = \"{}\"", hub.url("/publish"))).await;
    let got = hub
        .wait_until(WAIT, "pings for rss, atom and json", |r| r.len() >= 3)
        .await;
    let mut pinged: Vec<String> = got
        .iter()
        .map(|p| {
            assert_eq!(
                p.header("content-type"),
                Some("application/x-www-form-urlencoded")
            );
            let form: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(&p.body).into_owned().collect();
            assert_eq!(form["hub.mode"], "publish");
            form["hub.url"].clone()
        })
        .collect();
    pinged.sort();
    assert_eq!(
        pinged,
        [
            "http://tributary.test/feeds/all.atom",
            "http://tributary.test/feeds/all.json",
            "http://tributary.test/feeds/all.rss"
        ]
    );
    let body = app.get("/feeds/all.atom").await.text().await.expect("feed");
    assert!(
        body.contains(&format!(
            "<link rel=\"hub\" href=\"{}\"/>",
            hub.url("/publish")
        )),
        "{body}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_subscription_whose_lease_ran_out_gets_nothing_and_is_removed() {
    let feeds = first_feed().await;
    let app = hub_app(&feeds, "hub = \"builtin\"").await;
    // A subscriber whose lease ended a minute ago.
    sqlx::query(
        "INSERT INTO endpoints (kind, url, channel, topic, lease_seconds, expires_at)
         VALUES ('subscriber', $1, 'all', 'http://tributary.test/feeds/all.rss', 600, now() - interval '1 minute')",
    )
    .bind("http://127.0.0.1:9/never")
    .execute(&app.db.pool)
    .await
    .expect("insert");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (queued,): (i64,) = sqlx::query_as("SELECT count(*) FROM deliveries")
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
    assert_eq!(queued, 0, "nothing is queued for a lapsed subscription");
    tributary::retention::prune_realtime(&app.db.pool, Utc::now())
        .await
        .expect("prune");
    assert!(subscriptions(&app).await.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn poll_once_from_cron_delivers_the_stories_it_found() {
    let feeds = first_feed().await;
    let hook = Receiver::start().await;
    let db = crate::support::TestDb::new().await;
    let config = crate::cli::write_config(&format!(
        "[poller]\nallow_private_networks = true\n\
         [[sources]]\nurl = \"{}\"\n\
         [[webhooks]]\nurl = \"{}\"\nsecret_env = \"HOOK_KEY\"\n",
        feeds.url("/hp.rss"),
        hook.url("/hook"),
    ));
    let run = || {
        let mut cmd = crate::cli::tributary();
        cmd.arg("--config")
            .arg(&config)
            .args(["poll", "--once"])
            .env("DATABASE_URL", db.url())
            .env("HOOK_KEY", "khóa-bí-mật");
        tokio::task::spawn_blocking(move || crate::support::run_ok(&mut cmd))
    };
    run().await.expect("poll");
    let posts = hook.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(signature::verify(
        posts[0].header("x-tributary-signature").unwrap_or(""),
        "khóa-bí-mật".as_bytes(),
        &posts[0].body
    ));
    assert_eq!(titles(&posts).len(), 2);
    // A second run finds nothing new and sends nothing.
    run().await.expect("poll");
    assert_eq!(hook.posts().len(), 1);
}

// ---- Tributary as a subscriber to its sources' hubs ----

const TOPIC: &str = "https://baomoi.example/rss/hai-phong.rss";

/// An RSS feed naming `hub` and its own topic URL.
fn rss_with_hub(hub: &str, items: &[(&str, &str)]) -> Vec<u8> {
    let doc = String::from_utf8(rss(items)).expect("utf-8");
    doc.replace(
        "<rss version=\"2.0\"><channel>",
        &format!(
            "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\"><channel>\
             <atom:link rel=\"hub\" href=\"{hub}\"/><atom:link rel=\"self\" href=\"{TOPIC}\"/>"
        ),
    )
    .into_bytes()
}

struct HubFixture {
    feeds: FeedServer,
    hub: Receiver,
    app: TestApp,
}

impl HubFixture {
    async fn start(hub_status: u16) -> HubFixture {
        let hub = Receiver::start().await;
        hub.answer_posts_with(hub_status);
        let feeds = FeedServer::start().await;
        feeds.route(
            "/hp.rss",
            Route::feed(
                rss_with_hub(&hub.url("/hub"), &FIRST),
                "application/rss+xml",
            ),
        );
        let app = hub_app(&feeds, "subscribe = true").await;
        HubFixture { feeds, hub, app }
    }

    /// The same for a full-text source whose items link to pages of the
    /// fixture server (none of them there: their failures are recorded).
    async fn start_full_text() -> HubFixture {
        let hub = Receiver::start().await;
        hub.answer_posts_with(202);
        let feeds = FeedServer::start().await;
        let body = local_links(&rss_with_hub(&hub.url("/hub"), &FIRST), &feeds);
        feeds.route("/hp.rss", Route::feed(body, "application/rss+xml"));
        let config = test_config(&format!(
            "[poller]\nmin_interval = \"1s\"\ndefault_interval = \"1h\"\nallow_private_networks = true\n\
             [websub]\nsubscribe = true\n\
             [[sources]]\nurl = \"{}\"\nfull_text = true\n",
            feeds.url("/hp.rss"),
        ));
        let app = TestApp::spawn_as(config, Role::All).await;
        HubFixture { feeds, hub, app }
    }

    /// The subscription requests the hub received.
    fn requests(&self, mode: &str) -> Vec<std::collections::HashMap<String, String>> {
        self.hub
            .posts()
            .iter()
            .map(|p| {
                url::form_urlencoded::parse(&p.body)
                    .into_owned()
                    .collect::<std::collections::HashMap<_, _>>()
            })
            .filter(|f| f.get("hub.mode").map(String::as_str) == Some(mode))
            .collect()
    }

    async fn wait_for_request(
        &self,
        mode: &str,
        count: usize,
    ) -> std::collections::HashMap<String, String> {
        self.hub
            .wait_until(
                WAIT,
                &format!("{count} {mode} request(s) at the hub"),
                |_| self.requests(mode).len() >= count,
            )
            .await;
        self.requests(mode).pop().expect("a request")
    }

    /// Our callback URL as the hub got it, on the app's real address.
    fn callback(&self, form: &std::collections::HashMap<String, String>) -> String {
        let given = &form["hub.callback"];
        let path = given
            .strip_prefix("http://tributary.test")
            .unwrap_or_else(|| panic!("callback under public_url: {given}"));
        format!("{}{path}", self.app.address)
    }

    async fn verify(
        &self,
        callback: &str,
        mode: &str,
        topic: &str,
        challenge: &str,
    ) -> (u16, String) {
        let r = self
            .app
            .http
            .get(callback)
            .query(&[
                ("hub.mode", mode),
                ("hub.topic", topic),
                ("hub.challenge", challenge),
                ("hub.lease_seconds", "86400"),
            ])
            .send()
            .await
            .expect("verify");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    async fn push(&self, callback: &str, body: Vec<u8>, signature: Option<String>) -> u16 {
        let mut r = self
            .app
            .http
            .post(callback)
            .header("content-type", "application/rss+xml")
            .body(body);
        if let Some(s) = signature {
            r = r.header("x-hub-signature", s);
        }
        r.send().await.expect("push").status().as_u16()
    }

    async fn subscription(&self) -> serde_json::Value {
        subscriptions(&self.app)
            .await
            .into_iter()
            .find(|s| s["role"] == "subscriber")
            .unwrap_or(serde_json::Value::Null)
    }

    async fn titles(&self) -> Vec<String> {
        let v = self.app.get_json("/api/v1/entries?limit=50").await;
        v["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["title"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `doc` with its items' links on the fixture server.
fn local_links(doc: &[u8], feeds: &FeedServer) -> Vec<u8> {
    String::from_utf8_lossy(doc)
        .replace("https://baomoi.example/", &feeds.url("/"))
        .into_bytes()
}

#[tokio::test]
async fn a_pushed_teaser_of_a_full_text_source_is_stored_with_its_article() {
    let f = HubFixture::start_full_text().await;
    let page = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/extraction/pages/09.html"),
    )
    .expect("page");
    f.feeds.route(
        &format!("/{}.html", LATER.0),
        Route::feed(page, "text/html"),
    );
    let asked = f.wait_for_request("subscribe", 1).await;
    let callback = f.callback(&asked);
    let topic = TOPIC.replace("https://baomoi.example/", &f.feeds.url("/"));
    assert_eq!(f.verify(&callback, "subscribe", &topic, "c").await.0, 200);
    let body = local_links(&rss(&[LATER]), &f.feeds);
    let sig = signature::sign(
        signature::Method::Sha256,
        asked["hub.secret"].as_bytes(),
        &body,
    );
    assert_eq!(f.push(&callback, body, Some(sig)).await, 202);
    eventually("the pushed entry, with its page's article", || async {
        let v = f.app.get_json("/api/v1/entries?limit=50").await;
        v["items"].as_array().into_iter().flatten().any(|e| {
            e["title"] == LATER.1
                && e["content_source"] == "extracted"
                && e["content_html"]
                    .as_str()
                    .is_some_and(|h| h.contains("sổ tay đảng viên điện tử"))
        })
    })
    .await;
    // The polled items' pages are not there: stored with the feed's text.
    let v = f.app.get_json("/api/v1/entries?limit=50").await;
    let first = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["title"] == FIRST[0].1)
        .cloned()
        .expect("a polled entry");
    assert_eq!(first["content_source"], "feed");
    assert!(
        first["extraction_error"]
            .as_str()
            .is_some_and(|e| e.contains("404")),
        "{first}"
    );
    f.app.shutdown().await;
}

#[tokio::test]
async fn a_source_that_names_a_hub_is_subscribed_and_only_signed_pushes_are_stored() {
    let f = HubFixture::start(202).await;
    let asked = f.wait_for_request("subscribe", 1).await;
    assert_eq!(asked["hub.topic"], TOPIC);
    assert_eq!(asked["hub.lease_seconds"], "864000");
    let secret = asked["hub.secret"].clone();
    assert!(secret.len() >= 32, "a fresh secret: {secret}");
    let callback = f.callback(&asked);
    let id = callback.rsplit('/').next().expect("id");
    assert!(
        id.len() >= 60 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );

    // Intent: only for the topic we asked for, only on our callback.
    assert_eq!(
        f.verify(&callback, "subscribe", "https://other.example/feed", "c0")
            .await
            .0,
        404
    );
    let unknown = format!("{}/websub/callback/{}", f.app.address, "0".repeat(64));
    assert_eq!(f.verify(&unknown, "subscribe", TOPIC, "c1").await.0, 404);
    assert_eq!(
        f.verify(&callback, "subscribe", TOPIC, "Thách thức-42")
            .await,
        (200, "Thách thức-42".to_owned())
    );
    let sub = f.subscription().await;
    assert_eq!(sub["state"], "active", "{sub}");
    assert_eq!(sub["lease_seconds"], 86400);

    // Unsigned and wrongly signed pushes are acknowledged and dropped.
    let mut pushed = FIRST.to_vec();
    pushed.insert(0, LATER);
    let body = rss(&pushed);
    assert_eq!(f.push(&callback, body.clone(), None).await, 202);
    let forged = signature::sign(signature::Method::Sha256, b"not the secret", &body);
    assert_eq!(f.push(&callback, body.clone(), Some(forged)).await, 202);
    assert!(
        !f.titles().await.contains(&LATER.1.to_owned()),
        "an unverified push was stored"
    );

    // Signed (sha1, as older hubs do): stored through the whole pipeline.
    let sig = signature::sign(signature::Method::Sha1, secret.as_bytes(), &body);
    assert_eq!(f.push(&callback, body, Some(sig)).await, 202);
    assert!(f.titles().await.contains(&LATER.1.to_owned()));
    let log = f.app.get_json("/api/v1/sources/1/fetches").await;
    assert_eq!(log["items"][0]["via"], "push", "{log}");
    assert_eq!(log["items"][0]["new_entries"], 1, "{log}");
    let sub = f.subscription().await;
    assert_eq!(sub["pushes"], 1, "{sub}");

    // A thin ping (signed, empty): the source is fetched now.
    let fetched_before = f.feeds.requests("/hp.rss").len();
    let sig = signature::sign(signature::Method::Sha512, secret.as_bytes(), b"");
    assert_eq!(f.push(&callback, vec![], Some(sig)).await, 202);
    eventually("a fetch after the thin ping", || async {
        f.feeds.requests("/hp.rss").len() > fetched_before
    })
    .await;
    // While pushes come, the poll is only a safety net: hours away.
    eventually("the relaxed schedule", || async {
        let s = f.app.get_json("/api/v1/sources/1").await;
        let next = s["next_poll_at"].as_str().unwrap_or("");
        chrono::DateTime::parse_from_rfc3339(next)
            .is_ok_and(|t| t.with_timezone(&Utc) > Utc::now() + chrono::Duration::hours(5))
    })
    .await;

    // Removing the source ends the subscription at the hub.
    let r = f
        .app
        .authed(Method::DELETE, "/api/v1/sources/1")
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    let ending = f.wait_for_request("unsubscribe", 1).await;
    assert_eq!(f.callback(&ending), callback);
    assert_eq!(ending["hub.topic"], TOPIC);
    assert_eq!(
        f.verify(&callback, "unsubscribe", TOPIC, "bye").await,
        (200, "bye".to_owned())
    );
    assert!(f.subscription().await.is_null(), "the subscription is gone");
    // A push to it now tells the hub to stop.
    assert_eq!(f.push(&callback, b"x".to_vec(), None).await, 410);
}

#[tokio::test]
async fn a_hub_that_refuses_or_never_verifies_leaves_the_source_polled_as_before() {
    let f = HubFixture::start(500).await;
    f.wait_for_request("subscribe", 1).await;
    eventually("the refusal recorded", || async {
        let s = f.subscription().await;
        s["state"] == "failed"
            && s["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("HTTP 500"))
    })
    .await;
    let s = f.app.get_json("/api/v1/sources/1").await;
    let next = chrono::DateTime::parse_from_rfc3339(s["next_poll_at"].as_str().unwrap_or(""))
        .expect("next poll");
    assert!(
        next.with_timezone(&Utc) < Utc::now() + chrono::Duration::hours(2),
        "{s}"
    );

    // Asked again later: the hub accepts, then never verifies.
    f.hub.answer_posts_with(202);
    sqlx::query("UPDATE websub_subscriptions SET next_action_at = now()")
        .execute(&f.app.db.pool)
        .await
        .expect("rewind");
    f.wait_for_request("subscribe", 2).await;
    eventually("requested", || async {
        f.subscription().await["state"] == "requested"
    })
    .await;
    // Five minutes on.
    sqlx::query("UPDATE websub_subscriptions SET next_action_at = now()")
        .execute(&f.app.db.pool)
        .await
        .expect("rewind");
    eventually("given up waiting", || async {
        let s = f.subscription().await;
        s["state"] == "failed"
            && s["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("did not verify"))
    })
    .await;

    // A hub may also deny outright (WebSub §5.2), saying why.
    let asked = f.requests("subscribe").pop().expect("asked");
    let callback = f.callback(&asked);
    let r = f
        .app
        .http
        .get(&callback)
        .query(&[
            ("hub.mode", "denied"),
            ("hub.topic", TOPIC),
            ("hub.reason", "chủ đề không công khai"),
        ])
        .send()
        .await
        .expect("denial");
    assert_eq!(r.status(), 200);
    let s = f.subscription().await;
    assert_eq!(s["state"], "denied", "{s}");
    assert!(
        s["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("chủ đề không công khai")),
        "{s}"
    );
}

#[tokio::test]
async fn a_live_subscription_is_renewed_and_a_poll_that_finds_what_a_push_missed_counts() {
    let f = HubFixture::start(202).await;
    let asked = f.wait_for_request("subscribe", 1).await;
    let callback = f.callback(&asked);
    assert_eq!(f.verify(&callback, "subscribe", TOPIC, "c").await.0, 200);

    // Renewal is due (nine tenths of the lease on): the same callback and
    // secret are asked for again, and the subscription stays live.
    sqlx::query("UPDATE websub_subscriptions SET next_action_at = now()")
        .execute(&f.app.db.pool)
        .await
        .expect("rewind");
    let renewed = f.wait_for_request("subscribe", 2).await;
    assert_eq!(renewed["hub.callback"], asked["hub.callback"]);
    assert_eq!(renewed["hub.secret"], asked["hub.secret"]);
    assert_eq!(f.subscription().await["state"], "active");
    assert_eq!(
        f.verify(&callback, "subscribe", TOPIC, "again").await.0,
        200
    );

    // The hub did not push the new story; the safety-net poll finds it.
    let mut more = FIRST.to_vec();
    more.insert(0, LATER);
    f.feeds.route(
        "/hp.rss",
        Route::feed(
            rss_with_hub(&f.hub.url("/hub"), &more),
            "application/rss+xml",
        ),
    );
    refresh(&f.app, 1).await;
    eventually("the miss counted", || async {
        f.subscription().await["missed"] == 1
    })
    .await;
    let metrics = f.app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("tributary_websub_missed_by_push_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_hub_subscriber_answering_500_gets_the_same_signed_delivery_again_later() {
    let feeds = first_feed().await;
    let app = hub_app(&feeds, "hub = \"builtin\"").await;
    let reader = Receiver::start().await;
    reader.answer_posts_with(500);
    let topic = "http://tributary.test/feeds/all.json";
    let callback = reader.url("/push/json");
    let form = [
        ("hub.mode", "subscribe"),
        ("hub.topic", topic),
        ("hub.callback", callback.as_str()),
        ("hub.secret", "k"),
    ];
    assert_eq!(hub_request(&app, &form).await.status(), 202);
    eventually("the subscription stored", || async {
        subscriptions(&app).await.iter().any(|s| s["role"] == "hub")
    })
    .await;
    let mut more = FIRST.to_vec();
    more.insert(0, LATER);
    feeds.route("/hp.rss", Route::feed(rss(&more), "application/rss+xml"));
    refresh(&app, 1).await;
    let got = reader
        .wait_until(WAIT, "a refused distribution", |r| {
            r.iter().any(|p| p.method == "POST")
        })
        .await;
    let refused = got
        .into_iter()
        .find(|p| p.method == "POST")
        .expect("a push");
    let key = refused.header("x-tributary-delivery").map(str::to_owned);
    reader.answer_posts_with(200);
    let same = |p: &&crate::support::receiver::Received| {
        p.method == "POST" && p.header("x-tributary-delivery") == key.as_deref()
    };
    let got = reader
        .wait_until(WAIT, "the same distribution again", |r| {
            r.iter().filter(same).count() >= 2
        })
        .await;
    let sent: Vec<_> = got.iter().filter(same).collect();
    assert_eq!(sent[0].body, sent[1].body);
    assert_eq!(
        sent[1].header("content-type"),
        Some("application/feed+json; charset=utf-8")
    );
    let sig = sent[1].header("x-hub-signature").expect("signed");
    assert!(signature::verify(sig, b"k", &sent[1].body));
    eventually("the subscriber healthy again", || async {
        subscriptions(&app)
            .await
            .iter()
            .any(|s| s["role"] == "hub" && s["state"] == "ok" && s["pending"] == 0)
    })
    .await;
    app.shutdown().await;
}
