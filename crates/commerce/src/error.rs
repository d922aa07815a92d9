use sellstream_core::{Coded, ErrorCode};
use sellstream_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error("{0}")]
    Invalid(String),
    #[error("no product {0}")]
    ProductNotFound(i64),
    #[error("SKU code `{0}` is already used by another SKU")]
    DuplicateSkuCode(String),
    #[error("product {0} is in a live session's bag; take it out of the bag first")]
    ProductInUse(i64),
    #[error("no category {0}")]
    CategoryNotFound(i64),
    #[error("a category named `{0}` already exists here")]
    CategoryExists(String),
    #[error("category {0} has subcategories; move or delete them first")]
    CategoryInUse(i64),
    #[error("no {0} {1}")]
    NotFound(&'static str, i64),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    OutOfStock(String),
    #[error("this Idempotency-Key was used with a different request in the last 24 hours")]
    IdempotencyKeyReused,
    #[error("{0}")]
    IllegalTransition(String),
    #[error("{0}")]
    InvalidSignature(String),
    #[error("{0}")]
    Busy(String),
    #[error("payment provider: {0}")]
    Payment(String),
    #[error("stored data is not what it should be: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CommerceError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for CommerceError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::ProductNotFound(_) => ErrorCode::NotFound,
            Self::DuplicateSkuCode(_) => ErrorCode::DuplicateSkuCode,
            Self::ProductInUse(_) => ErrorCode::ProductInUse,
            Self::CategoryNotFound(_) => ErrorCode::NotFound,
            Self::CategoryExists(_) => ErrorCode::AlreadyExists,
            Self::CategoryInUse(_) => ErrorCode::Conflict,
            Self::NotFound(..) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::OutOfStock(_) => ErrorCode::OutOfStock,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::IllegalTransition(_) => ErrorCode::IllegalTransition,
            Self::InvalidSignature(_) => ErrorCode::InvalidSignature,
            Self::Payment(_) => ErrorCode::Unavailable,
            Self::Busy(_) => ErrorCode::RateLimited,
            Self::Corrupt(_) => ErrorCode::Internal,
            Self::Store(e) => e.code(),
        }
    }
}
