use crate::SessionState;
use sellstream_commerce::CommerceError;
use sellstream_core::{Coded, ErrorCode};
use sellstream_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Invalid(String),
    #[error("no live session {0}")]
    SessionNotFound(i64),
    #[error("no product {0}")]
    ProductNotFound(i64),
    #[error("a session cannot go from {from} to {to}")]
    IllegalTransition {
        from: SessionState,
        to: SessionState,
    },
    #[error("a session that is {0} can no longer be changed")]
    Closed(SessionState),
    #[error("product {0} is already in this session's bag")]
    AlreadyInBag(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Commerce(#[from] CommerceError),
    #[error(transparent)]
    Media(#[from] sellstream_media::MediaError),
}

impl From<sqlx::Error> for LiveError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for LiveError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::SessionNotFound(_) | Self::ProductNotFound(_) => ErrorCode::NotFound,
            Self::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            Self::Closed(_) => ErrorCode::Conflict,
            Self::AlreadyInBag(_) => ErrorCode::AlreadyInBag,
            Self::Store(e) => e.code(),
            Self::Commerce(e) => e.code(),
            Self::Media(e) => e.code(),
        }
    }
}
