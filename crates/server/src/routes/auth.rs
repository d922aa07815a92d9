use crate::auth::{session_cookie, token_from, SignedIn};
use crate::extract::Json;
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sellstream_accounts::{Account, NewCustomer, SignIn, SESSION_TTL_SECS};
use sellstream_core::{ErrorCode, Timestamp};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// A staff username, or a customer's phone number or email.
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedInResponse {
    /// Use as `Authorization: Bearer <token>`; pages use the cookie set alongside.
    pub token: String,
    pub expires_at: Timestamp,
    pub account: Account,
}

fn signed_in(state: &AppState, status: StatusCode, s: SignIn) -> Response {
    let cookie = session_cookie(
        s.token.as_str(),
        SESSION_TTL_SECS,
        state.config.secure_cookies,
    );
    let body = SignedInResponse {
        token: s.token.as_str().to_owned(),
        expires_at: s.expires_at,
        account: s.account,
    };
    (status, [(header::SET_COOKIE, cookie)], axum::Json(body)).into_response()
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

/// Sign in as staff (username) or customer (phone or email). Limited to 5 failures per account
/// and 30 per address in 15 minutes.
#[utoipa::path(post, path = "/api/v1/auth/login", security(()), tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SignedInResponse, description = "Signed in; also sets the `ss_session` cookie"),
              (status = 401, body = ErrorBody, description = "invalid_credentials"),
              (status = 403, body = ErrorBody, description = "account_disabled"),
              (status = 429, body = ErrorBody, description = "rate_limited")))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let address = peer.ip().to_string();
    if let Err(wait) = state.limiter.check(&req.login, &address) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                ErrorCode::RateLimited,
                format!("too many failed sign-ins; try again in {wait} s"),
            )
        });
    }
    let account = match state.accounts.authenticate(&req.login, &req.password).await {
        Ok(a) => a,
        Err(e) => {
            if matches!(e, sellstream_accounts::AccountsError::InvalidCredentials) {
                state.limiter.record_failure(&req.login, &address);
                tracing::info!(login_len = req.login.len(), "failed sign-in");
            }
            return Err(e.into());
        }
    };
    state.limiter.record_success(&req.login);
    let s = state
        .accounts
        .start_session(account, user_agent(&headers), Some(&address))
        .await?;
    Ok(signed_in(&state, StatusCode::OK, s))
}

/// Register a customer account with a phone number or an email, and sign in.
#[utoipa::path(post, path = "/api/v1/auth/register", security(()), tag = "auth", request_body = NewCustomer,
    responses((status = 201, body = SignedInResponse), (status = 409, body = ErrorBody, description = "already_exists"),
              (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<NewCustomer>,
) -> Result<Response, ApiError> {
    let account = state.accounts.register_customer(req).await?;
    let s = state
        .accounts
        .start_session(account, user_agent(&headers), Some(&peer.ip().to_string()))
        .await?;
    Ok(signed_in(&state, StatusCode::CREATED, s))
}

/// End this session (cookie or bearer token).
#[utoipa::path(post, path = "/api/v1/auth/logout", security(()), tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = token_from(&headers) {
        state.accounts.end_session(&token).await?;
    }
    let expire = session_cookie("", 0, state.config.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, expire)]).into_response())
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Account), (status = 401, body = ErrorBody)))]
pub async fn me(SignedIn(account): SignedIn) -> axum::Json<Account> {
    axum::Json(account)
}
