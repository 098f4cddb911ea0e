//! Who holds a lease, and whether it still lives.
//!
//! A polling process takes a session-level advisory lock on a holder id of
//! its own, on a connection kept for that alone, and stamps the leases it
//! claims with the id. The lock lives exactly as long as the process's
//! database session: when the process dies (SIGKILL, OOM, a crash), its
//! connection closes, PostgreSQL drops the lock, and the next claim takes
//! its leases at once instead of waiting for them to expire. A holder that
//! is only slow still holds its lock, so its leases stand until they
//! expire, as before. This works for pollers on any number of hosts, since
//! they share the one database. A host that vanishes without closing its
//! connections is noticed when PostgreSQL drops the session (TCP
//! keepalive); until then the lease's expiry is the bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use sqlx::{PgConnection, PgPool};

pub use crate::db::lease_holders::{LOCK_SPACE, takeable};

/// How often the lock's connection is checked, and how long a check waits.
const CHECK_EVERY: Duration = Duration::from_secs(10);
const CHECK_WAIT: Duration = Duration::from_secs(5);

/// This process as a lease holder. Dropping it releases the lock.
pub struct Holder {
    id: Arc<AtomicI32>,
    keeper: tokio::task::JoinHandle<()>,
}

impl Holder {
    /// Takes a fresh holder id and its lock, and keeps them: after a
    /// database restart the lock is taken again (under the same id when it
    /// is still free, so leases claimed before stay this process's).
    pub async fn register(pool: &PgPool) -> Result<Holder, sqlx::Error> {
        let (id, conn) = lock_fresh_id(pool).await?;
        let id = Arc::new(AtomicI32::new(id));
        let keeper = tokio::spawn(keep(pool.clone(), conn, id.clone()));
        Ok(Holder { id, keeper })
    }

    pub fn id(&self) -> i32 {
        self.id.load(Ordering::Relaxed)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // The keeper owns the connection: ending it closes the session,
        // and PostgreSQL drops the lock.
        self.keeper.abort();
    }
}

async fn try_lock(conn: &mut PgConnection, id: i32) -> Result<bool, sqlx::Error> {
    let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1, $2)")
        .bind(LOCK_SPACE)
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(locked)
}

async fn lock_fresh_id(pool: &PgPool) -> Result<(i32, PgConnection), sqlx::Error> {
    // Detached: a connection of its own, outside the pool's accounting.
    let mut conn = pool.acquire().await?.detach();
    loop {
        let id = random_id();
        if try_lock(&mut conn, id).await? {
            return Ok((id, conn));
        }
    }
}

/// A positive id (the lock table keeps it as an unsigned oid).
fn random_id() -> i32 {
    let mut bytes = [0u8; 4];
    if getrandom::getrandom(&mut bytes).is_err() {
        // Uniqueness, not secrecy: the clock's nanoseconds will do.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.subsec_nanos());
        bytes = nanos.to_le_bytes();
    }
    (i32::from_le_bytes(bytes) & i32::MAX).max(1)
}

async fn keep(pool: PgPool, mut conn: PgConnection, id: Arc<AtomicI32>) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let alive = tokio::time::timeout(CHECK_WAIT, sqlx::query("SELECT 1").execute(&mut conn))
            .await
            .is_ok_and(|r| r.is_ok());
        if alive {
            continue;
        }
        tracing::warn!("lost the lease holder's database session; taking the lock again");
        // Closed first: if its session is in fact alive, it would keep our
        // id locked and the lock could only be taken again under a new one.
        drop(conn);
        conn = relock(&pool, &id).await;
    }
}

/// Waits for the database, then locks the same id, or a fresh one when
/// another process took it meanwhile.
async fn relock(pool: &PgPool, id: &AtomicI32) -> PgConnection {
    loop {
        let attempt = async {
            let mut conn = pool.acquire().await?.detach();
            if try_lock(&mut conn, id.load(Ordering::Relaxed)).await? {
                return Ok::<_, sqlx::Error>(conn);
            }
            loop {
                let fresh = random_id();
                if try_lock(&mut conn, fresh).await? {
                    id.store(fresh, Ordering::Relaxed);
                    return Ok(conn);
                }
            }
        };
        match attempt.await {
            Ok(conn) => return conn,
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the lease holder's lock yet; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive() {
        for _ in 0..1000 {
            assert!(random_id() > 0);
        }
    }
}
