use sellstream_core::{Coded, ErrorCode};
use sellstream_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("{0}")]
    Invalid(String),
    #[error("the login or password is wrong")]
    InvalidCredentials,
    #[error("this account is disabled")]
    Disabled,
    #[error("{field} `{value}` is already taken")]
    AlreadyExists { field: &'static str, value: String },
    #[error("no account {0}")]
    NotFound(i64),
    #[error("you have no address {0}")]
    AddressNotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sellstream_store::Sqlx> for AccountsError {
    fn from(e: sellstream_store::Sqlx) -> Self {
        Self::Store(e.into())
    }
}

impl Coded for AccountsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::Disabled => ErrorCode::AccountDisabled,
            Self::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            Self::NotFound(_) | Self::AddressNotFound(_) => ErrorCode::NotFound,
            Self::Store(e) => e.code(),
        }
    }
}
