//! Storage (diesel): one code path for SQLite (default, bundled) and PostgreSQL.
//!
//! Writes go through a single writer connection, so sequence numbers are assigned in one
//! place and SQLite never sees two writers; reads use a pool sized for the HTTP API. Every
//! function takes `&mut AnyConnection`, so the inbox can apply an effect and record the
//! sequence in one transaction. Errors here are `StoreError`; the HTTP layer maps them.

pub mod activities;
pub mod agreements;
pub mod claims;
pub mod emergencies;
pub mod inbound;
pub mod members;
pub mod needs;
pub mod offers;
pub mod outbox;
pub mod pairings;
pub mod participation;
pub mod recovery;
pub mod reports;
pub mod schema;
pub mod search;
pub mod services;
pub mod signins;
pub mod teams;
pub mod trust;
pub mod users;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    // SQLite accepts any path, so it must come last.
    Sqlite(diesel::SqliteConnection),
}

/// Runs the same generic query on the inner connection, for what diesel's MultiConnection
/// cannot express (ON CONFLICT, multi-row INSERT).
#[macro_export]
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::AnyConnection::Postgresql($c) => $body,
            $crate::store::AnyConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("the database task stopped: {0}")]
    Task(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    NotPermitted(String),
    /// A stream of ours waits for the peers' answers after a restore (PROTOCOL.md §7.9).
    #[error(
        "this node is recovering from a backup: stream {0} takes no new message until its peers have answered"
    )]
    Recovering(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Where a database lives and how SQLite syncs.
#[derive(Clone)]
pub struct DbTarget {
    pub url: String,
    pub sqlite_synchronous_full: bool,
}

/// The URL without its password: a `DbTarget` may be logged.
impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbTarget")
            .field("url", &redact_url(&self.url))
            .field("sqlite_synchronous_full", &self.sqlite_synchronous_full)
            .finish()
    }
}

/// A database or broker URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl DbTarget {
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")
    }

    /// SQLite: the file `tongxin db restore` copies a backup to before it puts it in place;
    /// while it exists the restore has not finished.
    pub fn restoring_file(&self) -> Option<std::path::PathBuf> {
        if self.is_postgres() {
            return None;
        }
        let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
        Some(std::path::PathBuf::from(format!("{path}.restoring")))
    }

    /// Opens one connection; chooses the backend from the URL so that a PostgreSQL error is
    /// reported as itself (MultiConnection's own `establish` would hide it).
    pub fn connect(&self) -> StoreResult<AnyConnection> {
        if self.is_postgres() {
            let c = diesel::PgConnection::establish(&self.url)
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            return Ok(AnyConnection::Postgresql(c));
        }
        let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Connect(format!("{}: {e}", dir.display())))?;
        }
        let mut c = diesel::SqliteConnection::establish(path)
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        let sync = if self.sqlite_synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        c.batch_execute(&format!(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"
        ))?;
        Ok(AnyConnection::Sqlite(c))
    }
}

struct Manager(DbTarget);

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = StoreError;
    fn connect(&self) -> StoreResult<AnyConnection> {
        self.0.connect()
    }
    fn is_valid(&self, conn: &mut AnyConnection) -> StoreResult<()> {
        conn.batch_execute("SELECT 1").map_err(StoreError::from)
    }
    fn has_broken(&self, _: &mut AnyConnection) -> bool {
        false
    }
}

/// The write-ahead log's size past which it is copied into the database: SQLite's own
/// automatic checkpoint threshold (1,000 pages of 4 KiB).
const CHECKPOINT_WAL_BYTES: u64 = 4 * 1024 * 1024;

/// The node's database: one writer, a read pool.
#[derive(Clone)]
pub struct Store {
    writer: Arc<Mutex<AnyConnection>>,
    readers: r2d2::Pool<Manager>,
    pub target: DbTarget,
}

impl Store {
    /// Connects, runs pending migrations, and builds the read pool.
    pub fn open(target: DbTarget, read_pool: u32) -> StoreResult<Store> {
        if let Some(file) = target.restoring_file()
            && file.exists()
        {
            return Err(StoreError::Connect(format!(
                "a restore of this database was interrupted ({} exists): run `tongxin db restore` again",
                file.display()
            )));
        }
        let mut writer = target.connect()?;
        if target.is_postgres() && restore_pending(&mut writer)? {
            return Err(StoreError::Connect(format!(
                "a restore into this database was interrupted (table {RESTORE_PENDING} exists): create a new, empty database and run `tongxin db restore` again"
            )));
        }
        if !target.is_postgres() {
            // The writer never checkpoints the write-ahead log itself, so no commit waits
            // for one: `keep_checkpointing` does it beside it.
            writer.batch_execute("PRAGMA wal_autocheckpoint = 0")?;
        }
        run_migrations(&mut writer)?;
        let readers = r2d2::Pool::builder()
            .max_size(read_pool.max(1))
            .connection_timeout(Duration::from_secs(5))
            .build(Manager(target.clone()))
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(Store {
            writer: Arc::new(Mutex::new(writer)),
            readers,
            target,
        })
    }

    /// Runs `f` in one write transaction, off the async executor.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> StoreResult<T> + Send + 'static,
    {
        self.transact(f).await
    }

    /// `write` with the caller's error type. The transaction commits only if `f` returns Ok:
    /// a refused action leaves nothing behind.
    pub async fn transact<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + From<StoreError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let writer = self.writer.clone();
        let target = self.target.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let result = conn.transaction(f);
            // A lost PostgreSQL connection would fail every later write: replace it.
            if result.is_err()
                && conn.batch_execute("SELECT 1").is_err()
                && let Ok(fresh) = target.connect()
            {
                tracing::warn!("the database connection was lost; reconnected");
                *conn = fresh;
            }
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on a pooled read connection, off the async executor.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Connect(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// SQLite only: copies the write-ahead log into the database whenever it has grown past
    /// [`CHECKPOINT_WAL_BYTES`], on a read connection and without waiting for readers or the
    /// writer (`PASSIVE`), until `stop` turns true. A process that stops (the CLI included)
    /// checkpoints what is left when it closes its last connection.
    pub async fn keep_checkpointing(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        if self.target.is_postgres() {
            return;
        }
        let path = self
            .target
            .url
            .strip_prefix("sqlite://")
            .unwrap_or(&self.target.url);
        let wal = std::path::PathBuf::from(format!("{path}-wal"));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = stop.changed() => return,
            }
            if std::fs::metadata(&wal).map_or(0, |m| m.len()) < CHECKPOINT_WAL_BYTES {
                continue;
            }
            if let Err(e) = self
                .read(|c| Ok(c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?))
                .await
            {
                tracing::warn!(error = %e, "checkpointing the write-ahead log failed; trying again");
            }
        }
    }

    /// A blocking write transaction, for the CLI.
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self
            .writer
            .lock()
            .map_err(|_| StoreError::Task("writer lock poisoned".into()))?;
        conn.transaction(f)
    }
}

pub fn migrations_for(conn: &AnyConnection) -> EmbeddedMigrations {
    match conn {
        AnyConnection::Postgresql(_) => PG_MIGRATIONS,
        AnyConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    }
}

pub fn run_migrations(conn: &mut AnyConnection) -> StoreResult<()> {
    let m = migrations_for(conn);
    conn.run_pending_migrations(m)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    let indexed = search::index_missing(conn)?;
    if indexed > 0 {
        tracing::info!(listings = indexed, "text search index: listings added");
    }
    Ok(())
}

/// PostgreSQL: the table `tongxin db restore` creates before `pg_restore` and drops in the
/// transaction that marks the database for recovery; while it exists the restore has not
/// finished.
pub const RESTORE_PENDING: &str = "tongxin_restore_pending";

pub fn restore_pending(conn: &mut AnyConnection) -> StoreResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        name: Option<String>,
    }
    if !matches!(conn, AnyConnection::Postgresql(_)) {
        return Ok(false);
    }
    let found: Found = diesel::sql_query(format!(
        "SELECT to_regclass('{RESTORE_PENDING}')::text AS name"
    ))
    .get_result(conn)?;
    Ok(found.name.is_some())
}

/// The filters shared by the offer and need lists.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub category: Option<String>,
    pub org_kind: Option<String>,
    pub org: Option<String>,
    pub text: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);
