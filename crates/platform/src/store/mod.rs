//! Durable state in SQL through sqlx: agents, the webhook inbox, call records, conversations,
//! call-permission facts.
//!
//! Queries are plain runtime `query`/`query_as` (no compile-time database), written in SQL that
//! both SQLite and PostgreSQL accept. SQLite runs in WAL mode so the webhook handler's inbox
//! insert and the processor's updates do not block each other's readers.

pub mod admin;
pub mod agents;
pub mod assignment;
pub mod audit;
pub mod batch;
pub mod calls;
pub mod conversations;
pub mod health;
pub mod history;
pub mod inbox;
pub mod kpis;
pub mod numbers;
pub mod outreach;
pub mod permissions;
pub mod recordings;
pub mod recovery;
pub mod serve_lock;
pub mod time;
pub mod wire;

pub use batch::Write;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("stored value {value:?} in {column} is not valid: {reason}")]
    Corrupt {
        column: &'static str,
        value: String,
        reason: String,
    },
}

/// The connection pool every part of the platform shares.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Test seam: how many of the next non-empty [`Store::apply`] calls fail without writing
    /// (see [`Store::fail_next_applies`]). Shared by every clone of the store.
    fail_next_applies: Arc<AtomicU32>,
    /// Streamed exports running at once: each holds a pooled connection for as long as its
    /// client reads, so they may never take all of them from the platform's own work.
    exports: Arc<tokio::sync::Semaphore>,
}

/// Streamed exports that may run at once (of the pool's connections).
pub const CONCURRENT_EXPORTS: usize = 2;

impl Store {
    /// Opens (creating if needed) the database at `url`, switches SQLite to WAL and runs the
    /// migrations in `crates/platform/migrations/`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|source| StoreError::Open {
                url: url.to_owned(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an inbox row acknowledged to Meta must survive power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                url: url.to_owned(),
                source,
            })?;
        migrator().run(&pool).await?;
        Ok(Self {
            pool,
            fail_next_applies: Arc::new(AtomicU32::new(0)),
            exports: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_EXPORTS)),
        })
    }

    /// A place for one streamed export, or `None` while [`CONCURRENT_EXPORTS`] are running.
    pub(crate) fn export_permit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.exports.clone().try_acquire_owned().ok()
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for in-flight queries and closes the connections (part of graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The migrations in `crates/platform/migrations/`, embedded in the binary (built by hand rather
/// than with `sqlx::migrate!`, which would need sqlx's macro feature).
fn migrator() -> Migrator {
    let migrations = vec![
        Migration::new(
            1,
            Cow::Borrowed("platform"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0001_platform.sql")),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("messages"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0002_messages.sql")),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("permissions"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0003_permissions.sql")),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("placed_by"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0004_placed_by.sql")),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("history"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0005_history.sql")),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("call_quality"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0006_call_quality.sql")),
            false,
        ),
        Migration::new(
            7,
            Cow::Borrowed("recordings"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0007_recordings.sql")),
            false,
        ),
        Migration::new(
            8,
            Cow::Borrowed("admin"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0008_admin.sql")),
            false,
        ),
        Migration::new(
            9,
            Cow::Borrowed("numbers"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0009_numbers.sql")),
            false,
        ),
    ];
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// A fresh random id: 16 random bytes as hex.
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}
