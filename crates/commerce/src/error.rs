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
            Self::Store(e) => e.code(),
        }
    }
}
