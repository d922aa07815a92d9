//! Checkout under `/api/v1/checkout`: the price of a cart before paying.

use crate::auth::SignedIn;
use crate::extract::Json;
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use sellstream_commerce::checkout::CheckoutRequest;
use sellstream_commerce::pricing::Quote;
use std::collections::HashMap;

/// Price a cart: the lines that explain the total, each item's share of every discount, and the
/// held coupons with whether they apply (signed in). The server prices; nothing is reserved.
#[utoipa::path(post, path = "/api/v1/checkout/preview", tag = "orders", request_body = CheckoutRequest,
    responses((status = 200, body = Quote), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    _who: SignedIn,
    Json(req): Json<CheckoutRequest>,
) -> Result<axum::Json<Quote>, ApiError> {
    let live = match req.session_id {
        Some(id) => state.sessions.prices_now(id).await?,
        None => HashMap::new(),
    };
    Ok(axum::Json(state.catalog.preview(&req, &live).await?))
}
