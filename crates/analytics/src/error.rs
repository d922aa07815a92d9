use sellstream_core::{Coded, ErrorCode};
use sellstream_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    /// A duplicate, or a change the record's state does not allow.
    #[error("{0}")]
    Conflict(String),
    #[error("too many event batches from this page; retry in {0} s")]
    Flooded(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("export: {0}")]
    Export(String),
}

impl From<sqlx::Error> for AnalyticsError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for AnalyticsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::TooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Flooded(_) => ErrorCode::RateLimited,
            Self::Store(e) => e.code(),
            Self::Sqlite(_) | Self::Export(_) => ErrorCode::Internal,
        }
    }
}
