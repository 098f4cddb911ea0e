//! The SQL side of lease holders (`poller::holder`): which advisory locks
//! mark live holders, and when a lease may be taken. Here, below the
//! poller, because the metrics read it too.

/// The first key of the two-key advisory locks that mark live holders
/// ("trib"), so that other users of advisory locks cannot collide with ours.
pub const LOCK_SPACE: i32 = 0x7472_6962;

/// A lease is takeable when it has expired, or when it names a holder whose
/// lock is gone. `sources` must be the row's table (or alias) name.
pub fn takeable(sources: &str) -> String {
    format!(
        "({sources}.lease_until IS NULL OR {sources}.lease_until < now()
          OR ({sources}.lease_holder IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM pg_locks l
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND l.classid = {LOCK_SPACE}::oid
                  AND l.objid::bigint = {sources}.lease_holder::bigint)))"
    )
}
