use crate::auth::Staff;
use crate::extract::Json;
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use sellstream_accounts::Role;
use sellstream_ops::{Brand, Channel};
use serde::Serialize;
use utoipa::ToSchema;

/// The brand's name, logo, time zone and currency (public: the room shows them).
#[utoipa::path(get, path = "/api/v1/brand", security(()), tag = "brand", responses((status = 200, body = Brand)))]
pub async fn get_brand(State(state): State<AppState>) -> Result<axum::Json<Brand>, ApiError> {
    Ok(axum::Json(state.brand.get().await?))
}

/// Change the brand settings (admin).
#[utoipa::path(put, path = "/api/v1/brand", tag = "brand", request_body = Brand,
    responses((status = 200, body = Brand), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_brand(
    State(state): State<AppState>,
    staff: Staff,
    Json(brand): Json<Brand>,
) -> Result<axum::Json<Brand>, ApiError> {
    staff.require(&[Role::Admin])?;
    Ok(axum::Json(state.brand.set(brand).await?))
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<Channel>,
}

/// The channels sessions can go out on (any staff).
#[utoipa::path(get, path = "/api/v1/channels", tag = "brand", responses((status = 200, body = ChannelList)))]
pub async fn channels(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<ChannelList>, ApiError> {
    Ok(axum::Json(ChannelList {
        items: state.channels.list().await?,
    }))
}
