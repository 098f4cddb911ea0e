//! The change notification: whoever changes what merged feeds show (a
//! fetch that stored entries, a source removed or moved, retention) says so
//! with `NOTIFY tributary_changes` in its own transaction; every replica's
//! feed cache listens (`publish::cache`) and drops its copies.

/// The PostgreSQL channel changes are announced on.
pub const CHANGES_CHANNEL: &str = "tributary_changes";

/// The channel a grouping that created stories notifies, at commit: the
/// announcer (`crate::announce`) wakes to send them to webhooks and hubs.
pub const STORIES_CHANNEL: &str = "tributary_stories";

/// Tells every replica that what feeds show has changed (at commit).
pub async fn notify_changed(
    conn: &mut sqlx::PgConnection,
    source_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANGES_CHANNEL)
        .bind(source_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
