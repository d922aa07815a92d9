//! The one place that knows which database runs: SQLite in the data folder (the embedded default) or
//! PostgreSQL (`postgres://…`). Queries written once use `$1` placeholders, which both accept.

mod error;
mod migrate;

pub use error::{unique_violation, StoreError};
pub use migrate::{Migration, MigrationReport};
pub use sqlx::{any::AnyRow, Any, AnyPool, Error as Sqlx, Row, Transaction};

use sqlx::any::AnyPoolOptions;
use sqlx::AnyConnection;
use sqlx::Executor;
use std::time::Duration;

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A pool of connections to the system of record. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    sqlite_file: Option<std::path::PathBuf>,
}

/// A transaction on either backend.
pub type Tx = Transaction<'static, Any>;

impl Store {
    /// Connects to `url` (`sqlite://path/to/file.db?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .max_connections(match backend {
                // One file, one writer at a time: a few connections serve reads under WAL.
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .after_connect(move |conn: &mut AnyConnection, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            // A 32 MB page cache and reads through mmap: the default 2 MB
                            // cache rereads pages on every large scan or rewrite.
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                             PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456; \
                             PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .connect(url)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact(url),
                source,
            })?;
        let sqlite_file = (backend == Backend::Sqlite)
            .then(|| {
                let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
                let path = rest.split('?').next().unwrap_or_default();
                (!path.is_empty() && !path.starts_with(':')).then(|| std::path::PathBuf::from(path))
            })
            .flatten();
        Ok(Self {
            pool,
            backend,
            sqlite_file,
        })
    }

    /// The SQLite URL of the default store file inside `data_dir`.
    pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("sellstream.db").display()
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database file when the store is SQLite on disk: the hot-path writers that drive SQLite
    /// directly open it themselves.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that will write: on SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so one that reads first and writes later waits its turn under `busy_timeout`
    /// instead of failing with "database is locked" when another writer got there between.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The placeholders of a multi-row `VALUES` for `n` rows of `cols` parameters, bound in order:
/// `($1,$2,…),(…)` on PostgreSQL, `(?,?,…),(…)` on SQLite. The statement must have no other
/// parameters.
pub fn value_rows(backend: Backend, n: usize, cols: usize) -> String {
    match backend {
        // Plain `?`: SQLite numbers them as it reads, where each `$N` or `?N` is looked up in
        // the statement's parameter list — quadratic, seconds for a few thousand parameters.
        Backend::Sqlite => {
            let row = format!("({})", vec!["?"; cols].join(","));
            vec![row; n].join(",")
        }
        Backend::Postgres => (0..n)
            .map(|r| {
                let p: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
                format!("({})", p.join(","))
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// Hides a password in a database URL so it can be logged or shown.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_number_parameters_in_order() {
        assert_eq!(value_rows(Backend::Postgres, 2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(value_rows(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn picks_backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://a.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgresql://x/y").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://x").is_err());
    }
}

/// Reads a flag column: `BOOLEAN` on PostgreSQL, `INTEGER` 0/1 on SQLite (the Any driver cannot
/// map SQLite's boolean affinity).
pub fn get_flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(first) => row
            .try_get::<i64, _>(column)
            .map(|v| v != 0)
            .map_err(|_| first),
    }
}
