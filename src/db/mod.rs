//! The database: a pool on `DATABASE_URL` or on the embedded cluster, and the
//! migrations in `migrations/`.

pub mod changes;
pub mod embedded;
pub mod lease_holders;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::config::DatabaseConfig;
pub use embedded::{ClusterError, EmbeddedCluster};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(sqlx::Error),
    #[error("cannot reach the database at {target}: {source}")]
    Unreachable { target: String, source: sqlx::Error },
    #[error("embedded PostgreSQL: {0}")]
    Cluster(#[from] ClusterError),
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// An open database, with the embedded cluster it runs on when there is one.
#[derive(Debug)]
pub struct Database {
    pub pool: PgPool,
    cluster: Option<EmbeddedCluster>,
}

impl Database {
    /// Connects to `url`, or starts the embedded cluster when there is none.
    pub async fn open(config: &DatabaseConfig, max_connections: u32) -> Result<Database, DbError> {
        match &config.url {
            Some(url) => {
                let opts: PgConnectOptions = url.parse().map_err(DbError::InvalidUrl)?;
                let target = describe(&opts);
                let pool = connect(opts, max_connections)
                    .await
                    .map_err(|source| DbError::Unreachable { target, source })?;
                Ok(Database {
                    pool,
                    cluster: None,
                })
            }
            None => {
                let cluster = EmbeddedCluster::start(&config.data_dir.join("postgres")).await?;
                let target = format!("the embedded cluster in {}", cluster.dir().display());
                let pool = connect(cluster.connect_options(), max_connections)
                    .await
                    .map_err(|source| DbError::Unreachable { target, source })?;
                Ok(Database {
                    pool,
                    cluster: Some(cluster),
                })
            }
        }
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool and stops the embedded cluster, if ours.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

async fn connect(opts: PgConnectOptions, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let opts = opts
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
}

fn describe(opts: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        opts.get_host(),
        opts.get_port(),
        opts.get_database().unwrap_or("(default)")
    )
}

/// Whether every migration we know of has been applied (for `/readyz`).
pub async fn is_migrated(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await?;
    Ok(MIGRATOR
        .iter()
        .all(|m| applied.iter().any(|(v,)| *v == m.version)))
}
