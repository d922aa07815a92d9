//! The stable error codes clients see in `{"error":{"code","message"}}`.
//!
//! Each domain crate has its own `thiserror` enum; those enums implement [`Coded`] so the server maps
//! every failure to a status and a code in one place.

/// A stable, documented error code. The string form is part of the public API: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request body is not valid JSON or not the expected shape.
    InvalidJson,
    /// A field failed validation (the message says which and why).
    ValidationFailed,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// No such resource (or route).
    NotFound,
    /// The HTTP method is not allowed on this route.
    MethodNotAllowed,
    /// No valid session or token.
    Unauthenticated,
    /// Signed in, but the account lacks the role.
    Forbidden,
    /// Wrong login or password.
    InvalidCredentials,
    /// The account is disabled.
    AccountDisabled,
    /// Too many attempts; retry later.
    RateLimited,
    /// A unique value is already taken (username, phone, email).
    AlreadyExists,
    /// A SKU code is already used by another SKU.
    DuplicateSkuCode,
    /// A state machine refused the transition.
    IllegalTransition,
    /// A product cannot be removed while a session's bag holds it.
    ProductInUse,
    /// The product is already in the bag.
    AlreadyInBag,
    /// The change conflicts with the current state of the resource.
    Conflict,
    /// Not enough stock left for the quantity asked.
    OutOfStock,
    /// An `Idempotency-Key` was used before with a different request.
    IdempotencyKeyReused,
    /// A signed request (a payment callback) failed its signature, timestamp or nonce check.
    InvalidSignature,
    /// The database is unreachable or failed.
    Unavailable,
    /// A bug or an unexpected failure; details are in the server log under the request id.
    Internal,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        Self::InvalidJson,
        Self::ValidationFailed,
        Self::PayloadTooLarge,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::InvalidCredentials,
        Self::AccountDisabled,
        Self::RateLimited,
        Self::AlreadyExists,
        Self::DuplicateSkuCode,
        Self::IllegalTransition,
        Self::ProductInUse,
        Self::AlreadyInBag,
        Self::Conflict,
        Self::OutOfStock,
        Self::IdempotencyKeyReused,
        Self::InvalidSignature,
        Self::Unavailable,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::ValidationFailed => "validation_failed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountDisabled => "account_disabled",
            Self::RateLimited => "rate_limited",
            Self::AlreadyExists => "already_exists",
            Self::DuplicateSkuCode => "duplicate_sku_code",
            Self::IllegalTransition => "illegal_transition",
            Self::ProductInUse => "product_in_use",
            Self::AlreadyInBag => "already_in_bag",
            Self::Conflict => "conflict",
            Self::OutOfStock => "out_of_stock",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::InvalidSignature => "invalid_signature",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status this code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidJson => 400,
            Self::ValidationFailed => 422,
            Self::PayloadTooLarge => 413,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden | Self::AccountDisabled => 403,
            Self::RateLimited => 429,
            Self::AlreadyExists
            | Self::DuplicateSkuCode
            | Self::IllegalTransition
            | Self::ProductInUse
            | Self::AlreadyInBag
            | Self::Conflict
            | Self::OutOfStock
            | Self::IdempotencyKeyReused => 409,
            Self::InvalidSignature => 401,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by every domain error so the server can answer it without knowing the domain.
pub trait Coded: std::error::Error {
    fn code(&self) -> ErrorCode;
    /// The message shown to the client. Internal failures must not leak details here.
    fn public_message(&self) -> String {
        match self.code() {
            ErrorCode::Internal => "internal error".to_owned(),
            ErrorCode::Unavailable => "the database is unavailable".to_owned(),
            _ => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
            assert!((400..600).contains(&c.http_status()));
        }
    }
}
