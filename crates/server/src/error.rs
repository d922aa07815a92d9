//! Every failure leaves as `{"error":{"code","message"}}` with the status its code names.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sellstream_core::{Coded, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds the client should wait (429).
    pub retry_after: Option<u64>,
}

/// The JSON every error answers with.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `duplicate_sku_code` (see docs/api.md).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "sign in first")
    }

    pub fn forbidden(need: &str) -> Self {
        Self::new(ErrorCode::Forbidden, format!("this needs the {need} role"))
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("no {what}"))
    }

    /// Maps any domain error, logging the ones whose details stay on the server.
    pub fn from_domain<E: Coded>(e: E) -> Self {
        let code = e.code();
        if matches!(code, ErrorCode::Internal | ErrorCode::Unavailable) {
            tracing::error!(error = %e, "request failed");
        }
        Self::new(code, e.public_message())
    }
}

macro_rules! domain_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                Self::from_domain(e)
            }
        }
    )*};
}

domain_errors!(
    sellstream_accounts::AccountsError,
    sellstream_commerce::CommerceError,
    sellstream_live::LiveError,
    sellstream_media::MediaError,
    sellstream_ops::OpsError,
    sellstream_store::StoreError
);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_owned(),
                message: self.message,
            },
        };
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}

pub async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no route {}", uri.path()))
}

pub async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}", uri.path()),
    )
}
