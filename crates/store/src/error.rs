use sellstream_core::{Coded, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("the database holds migration {found}, newer than this binary knows ({known}); upgrade sellstream")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Coded for StoreError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Connect { .. } => ErrorCode::Unavailable,
            Self::Database(e) if is_unavailable(e) => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        }
    }
}

fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    )
}

/// If `e` is a unique-constraint violation, returns the constraint or column text the database
/// named, so the caller can say which value is taken.
pub fn unique_violation(e: &sqlx::Error) -> Option<String> {
    let db = e.as_database_error()?;
    if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return None;
    }
    Some(
        db.constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db.message().to_owned()),
    )
}
