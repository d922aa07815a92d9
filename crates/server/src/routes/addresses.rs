//! The signed-in customer's delivery addresses under `/api/v1/me/addresses`.

use crate::auth::SignedIn;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::{Address, AddressInput};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AddressList {
    pub items: Vec<Address>,
}

/// My addresses, the default first (signed in).
#[utoipa::path(get, path = "/api/v1/me/addresses", tag = "orders",
    responses((status = 200, body = AddressList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
) -> Result<axum::Json<AddressList>, ApiError> {
    Ok(axum::Json(AddressList {
        items: state.accounts.addresses(me.id).await?,
    }))
}

/// Add an address; the first one, or one marked `is_default`, becomes the default (signed in).
#[utoipa::path(post, path = "/api/v1/me/addresses", tag = "orders", request_body = AddressInput,
    responses((status = 201, body = Address), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Json(input): Json<AddressInput>,
) -> Result<(StatusCode, axum::Json<Address>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(state.accounts.add_address(me.id, &input).await?),
    ))
}

/// Replace one of my addresses (signed in; someone else's is not found).
#[utoipa::path(put, path = "/api/v1/me/addresses/{id}", tag = "orders", params(("id" = i64, Path)),
    request_body = AddressInput,
    responses((status = 200, body = Address), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<i64>,
    Json(input): Json<AddressInput>,
) -> Result<axum::Json<Address>, ApiError> {
    Ok(axum::Json(
        state.accounts.update_address(me.id, id, &input).await?,
    ))
}

/// Delete one of my addresses; if it was the default, the newest other one becomes it.
#[utoipa::path(delete, path = "/api/v1/me/addresses/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    SignedIn(me): SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.accounts.delete_address(me.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
