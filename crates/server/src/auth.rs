//! Who is calling: a session token from the `ss_session` cookie (pages) or an
//! `Authorization: Bearer` header (API clients), resolved to an account.

use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use sellstream_accounts::{Account, Role, SessionToken};

pub const COOKIE: &str = "ss_session";

pub fn token_from(headers: &HeaderMap) -> Option<SessionToken> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return SessionToken::from_client(bearer.trim());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| SessionToken::from_client(v))
}

/// The signed-in account, if any.
pub struct MaybeSignedIn(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match token_from(&parts.headers) {
            Some(token) => Ok(Self(state.accounts.resolve(&token).await?)),
            None => Ok(Self(None)),
        }
    }
}

/// Any signed-in account (401 otherwise).
pub struct SignedIn(pub Account);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        MaybeSignedIn::from_request_parts(parts, state)
            .await?
            .0
            .map(Self)
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// A signed-in staff member (401 without a session, 403 for customers).
pub struct Staff(pub Account);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SignedIn(account) = SignedIn::from_request_parts(parts, state).await?;
        if !account.is_staff() {
            return Err(ApiError::forbidden("staff"));
        }
        Ok(Self(account))
    }
}

/// A signed-in customer: buying, wallets and points are theirs alone.
pub struct Customer(pub Account);

impl FromRequestParts<AppState> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let SignedIn(account) = SignedIn::from_request_parts(parts, state).await?;
        if account.is_staff() {
            return Err(ApiError::new(
                sellstream_core::ErrorCode::Forbidden,
                "only customer accounts buy; sign in as a customer",
            ));
        }
        Ok(Self(account))
    }
}

impl Staff {
    /// 403 unless the account holds one of `roles` (admins hold all).
    pub fn require(&self, roles: &[Role]) -> Result<&Account, ApiError> {
        if self.0.has_any_role(roles) {
            Ok(&self.0)
        } else {
            let need = roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" or ");
            Err(ApiError::forbidden(&need))
        }
    }
}

pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_before_cookie() {
        let t = SessionToken::generate();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("a=b; {COOKIE}={}", t.as_str()).parse().unwrap(),
        );
        assert_eq!(token_from(&h), Some(t.clone()));
        let other = SessionToken::generate();
        h.insert(
            header::AUTHORIZATION,
            format!("Bearer {}", other.as_str()).parse().unwrap(),
        );
        assert_eq!(token_from(&h), Some(other));
    }
}
