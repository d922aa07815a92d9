use sellstream_core::{Coded, ErrorCode};
use sellstream_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Unknown or revoked key. The message never repeats the key.
    #[error("this stream key is not valid (unknown or revoked)")]
    BadKey,
    #[error("session {0} is already being streamed by another encoder")]
    AlreadyPublishing(i64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sellstream_store::Sqlx> for MediaError {
    fn from(e: sellstream_store::Sqlx) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for MediaError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::BadKey => ErrorCode::Forbidden,
            Self::AlreadyPublishing(_) => ErrorCode::Conflict,
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::Store(e) => e.code(),
        }
    }
}
