//! The announcer: reads the stories groupings created (the
//! `story_announcements` log, in commit order) and queues in the outbox
//! what they owe: each webhook its channel's new stories, each hub
//! subscriber its feed as it now is, the external hub a ping per changed
//! feed. One mark in the database says how far it has read, taken under a
//! row lock, so several polling processes never queue a story twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, watch};

use crate::config::{ChannelConfig, Config};
use crate::cursor::CursorKey;
use crate::entries::{self, EntryView};
use crate::outbox::{self, Endpoint, EndpointKind, endpoints};
use crate::publish::channel::{channel_page, matches, selected_sources};
use crate::publish::json_feed;
use crate::publish::{FeedFormat, FeedPage, PageUrls};

const CONSUMER: &str = "outbox";
/// Log lines read per pass (each holds one grouping's new stories).
const LINES_PER_PASS: i64 = 500;
/// Stories per webhook delivery.
const STORIES_PER_DELIVERY: usize = 100;
/// How often the log is read without a notification (one lost while the
/// listener reconnected, or a process that announced without notifying).
const TICK: Duration = Duration::from_secs(5);

pub struct Announcer {
    pool: PgPool,
    config: Arc<Config>,
    cursor_key: CursorKey,
    /// Wakes the deliverer when something was queued.
    queued: Arc<Notify>,
}

impl Announcer {
    pub fn new(
        pool: PgPool,
        config: Arc<Config>,
        cursor_key: CursorKey,
        queued: Arc<Notify>,
    ) -> Announcer {
        Announcer {
            pool,
            config,
            cursor_key,
            queued,
        }
    }

    /// Announces until `stop` turns true: at each notification from a
    /// grouping, and every few seconds.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut listener: Option<PgListener> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            if listener.is_none() {
                listener = self.listen().await;
            }
            if let Err(e) = self.catch_up().await {
                tracing::warn!(error = %e, "cannot announce new stories; retrying");
            }
            let wait = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(drop),
                    None => {
                        tokio::time::sleep(TICK).await;
                        Ok(())
                    }
                }
            };
            tokio::select! {
                _ = stop.changed() => {}
                got = tokio::time::timeout(TICK, wait) => {
                    if let Ok(Err(e)) = got {
                        tracing::warn!(error = %e, "the story listener lost its connection; reconnecting");
                        listener = None;
                    }
                }
            }
        }
    }

    /// Reads the log to its end.
    pub async fn catch_up(&self) -> Result<(), sqlx::Error> {
        while self.pass().await?.is_some() {}
        Ok(())
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut l = PgListener::connect_with(&self.pool).await.ok()?;
        l.listen(crate::db::changes::STORIES_CHANNEL).await.ok()?;
        Some(l)
    }

    /// Reads the log past the mark once: `Some(queued deliveries)` when
    /// it read lines, `None` when there were none.
    pub async fn pass(&self) -> Result<Option<usize>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // A new install (or an upgrade) starts at the log's end: what was
        // published before is not news.
        sqlx::query(
            "INSERT INTO announcement_marks (consumer, seq)
             SELECT $1, coalesce(max(seq), 0) FROM story_announcements
             ON CONFLICT (consumer) DO NOTHING",
        )
        .bind(CONSUMER)
        .execute(&mut *tx)
        .await?;
        let (mark,): (i64,) =
            sqlx::query_as("SELECT seq FROM announcement_marks WHERE consumer = $1 FOR UPDATE")
                .bind(CONSUMER)
                .fetch_one(&mut *tx)
                .await?;
        let lines: Vec<(i64, Vec<i64>)> = sqlx::query_as(
            "SELECT seq, story_ids FROM story_announcements WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(mark)
        .bind(LINES_PER_PASS)
        .fetch_all(&mut *tx)
        .await?;
        let Some(&(last, _)) = lines.last() else {
            return Ok(None);
        };
        let mut story_ids: Vec<i64> = lines.into_iter().flat_map(|(_, ids)| ids).collect();
        story_ids.sort_unstable();
        story_ids.dedup();

        let mut by_channel: BTreeMap<String, Vec<Endpoint>> = BTreeMap::new();
        for e in endpoints::receiving(&self.pool).await? {
            by_channel.entry(e.channel.clone()).or_default().push(e);
        }
        let mut queued = 0;
        for (name, receivers) in by_channel {
            // An endpoint of a channel the config no longer has waits
            // for the config sync to remove it.
            let Some(channel) = self.config.channel(&name) else {
                continue;
            };
            let new = self.new_in_channel(&channel, &story_ids).await?;
            if new.is_empty() {
                continue;
            }
            queued += self.queue(&mut tx, &channel, new, &receivers).await?;
        }
        sqlx::query("UPDATE announcement_marks SET seq = $2 WHERE consumer = $1")
            .bind(CONSUMER)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if queued > 0 {
            self.queued.notify_one();
        }
        Ok(Some(queued))
    }

    /// The new stories a channel carries, as its feeds show them.
    async fn new_in_channel(
        &self,
        channel: &ChannelConfig,
        story_ids: &[i64],
    ) -> Result<Vec<EntryView>, sqlx::Error> {
        let within = selected_sources(&self.pool, channel).await?;
        if within.as_ref().is_some_and(Vec::is_empty) {
            return Ok(vec![]);
        }
        let heads = entries::story_heads(&self.pool, story_ids, within.as_deref()).await?;
        Ok(heads.into_iter().filter(|e| matches(channel, e)).collect())
    }

    async fn queue(
        &self,
        tx: &mut sqlx::PgConnection,
        channel: &ChannelConfig,
        new: Vec<EntryView>,
        receivers: &[Endpoint],
    ) -> Result<usize, sqlx::Error> {
        let mut queued = 0;
        let webhooks: Vec<&Endpoint> = receivers
            .iter()
            .filter(|e| e.kind() == EndpointKind::Webhook)
            .collect();
        if !webhooks.is_empty() {
            for chunk in new.chunks(STORIES_PER_DELIVERY) {
                let page = self.page(channel, FeedFormat::Json, chunk.to_vec(), None);
                let payload =
                    outbox::store_payload(tx, "application/json", &json_feed::webhook_body(&page))
                        .await?;
                for w in &webhooks {
                    outbox::enqueue(tx, w.id, payload, chunk.len()).await?;
                    queued += 1;
                }
            }
        }
        // Subscribers get the feed they follow as a GET would return it
        // now (WebSub §7: the full contents of the topic).
        let mut by_topic: BTreeMap<&str, Vec<&Endpoint>> = BTreeMap::new();
        for e in receivers
            .iter()
            .filter(|e| e.kind() == EndpointKind::Subscriber)
        {
            by_topic.entry(e.topic.as_str()).or_default().push(e);
        }
        // One read of the channel's first page serves all its formats.
        let first = if by_topic.is_empty() {
            None
        } else {
            let page = channel_page(&self.pool, channel, None, channel.limit as i64).await?;
            let next = page.next_cursor.map(|c| c.encode(&self.cursor_key));
            Some((page.items, next))
        };
        for (topic, subscribers) in by_topic {
            let Some((items, next)) = &first else {
                break;
            };
            let Some(format) = topic
                .rsplit_once('.')
                .and_then(|(_, ext)| FeedFormat::from_extension(ext))
            else {
                continue;
            };
            let page = self.page(channel, format, items.clone(), next.as_deref());
            let payload =
                outbox::store_payload(tx, format.content_type(), &page.render(format)).await?;
            for s in subscribers {
                outbox::enqueue(tx, s.id, payload, new.len()).await?;
                queued += 1;
            }
        }
        for hub in receivers.iter().filter(|e| e.kind() == EndpointKind::Hub) {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("hub.mode", "publish")
                .append_pair("hub.url", &hub.topic)
                .append_pair("hub.topic", &hub.topic)
                .finish();
            let payload =
                outbox::store_payload(tx, "application/x-www-form-urlencoded", body.as_bytes())
                    .await?;
            outbox::enqueue(tx, hub.id, payload, new.len()).await?;
            queued += 1;
        }
        Ok(queued)
    }

    fn page(
        &self,
        channel: &ChannelConfig,
        format: FeedFormat,
        items: Vec<EntryView>,
        next_cursor: Option<&str>,
    ) -> FeedPage {
        let urls = PageUrls::new(
            &self.config.server.public_url,
            &channel.name,
            format,
            None,
            None,
            next_cursor,
        );
        FeedPage {
            channel: channel.clone(),
            public_url: self.config.server.public_url.clone(),
            self_url: urls.self_url,
            first_url: urls.first_url,
            next_url: urls.next_url,
            hub_url: crate::websub::hub_url(&self.config),
            items,
        }
    }
}
