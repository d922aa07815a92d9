//! Flash sales (秒杀): the controller launches one on a product in the session's bag, the room
//! counts down and shows the units left; buyers order through `POST /api/v1/orders` with
//! `flash_sale_id`.

use crate::auth::Staff;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_commerce::flash::{FlashSale, FlashSaleInput};
use sellstream_core::ErrorCode;
use serde::Serialize;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;

/// Who launches and ends flash sales during the show.
const RUNNERS: &[Role] = &[Role::Operator, Role::Host, Role::Controller];

/// Launch a flash sale on a SKU of a product in the session's bag: its quota leaves the SKU's
/// stock at once and the room shows the countdown (admin, operator, host, controller).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/flash-sales", tag = "flash", params(("id" = i64, Path)),
    request_body = FlashSaleInput,
    responses((status = 201, body = FlashSale), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn launch(
    State(state): State<AppState>,
    staff: Staff,
    Path(session_id): Path<i64>,
    Json(input): Json<FlashSaleInput>,
) -> Result<(StatusCode, axum::Json<FlashSale>), ApiError> {
    let who = staff.require(RUNNERS)?;
    let session = state.sessions.get(session_id).await?;
    if !session.state.is_open() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the session is over: no flash sale can start in it",
        ));
    }
    if session.practice_course_id.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "a practice session takes no orders: no flash sale can start in it",
        ));
    }
    let bag = state.sessions.bag(session_id).await?;
    let in_bag = bag
        .iter()
        .any(|b| b.product.skus.iter().any(|s| s.id == input.sku_id));
    if !in_bag {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "sku_id: a SKU of a product in this session's bag",
        ));
    }
    let sale = state
        .orders
        .flash_sales()
        .create(session_id, input, Some(who.id))
        .await?;
    state.rooms.flash_sale(session_id, sale.room_json()).await;
    state.rooms.bag_changed(session_id).await;
    Ok((StatusCode::CREATED, axum::Json(sale)))
}

#[derive(Serialize, ToSchema)]
pub struct SaleFiguresView {
    #[serde(flatten)]
    pub sale: FlashSale,
    /// Orders and GMV written by this node's ledger for the sale.
    pub orders: u64,
    pub gmv_fen: u64,
    /// Buys waiting for the writer now.
    pub queue_depth: u64,
    /// Mean buys per committed batch.
    pub mean_batch: f64,
    /// Mean commit time in milliseconds.
    pub mean_commit_ms: f64,
}

#[derive(Serialize, ToSchema)]
pub struct SaleList {
    pub items: Vec<SaleFiguresView>,
}

/// A session's flash sales with their live figures (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/flash-sales", tag = "flash", params(("id" = i64, Path)),
    responses((status = 200, body = SaleList), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    Path(session_id): Path<i64>,
) -> Result<axum::Json<SaleList>, ApiError> {
    state.sessions.get(session_id).await?;
    let sales = state.orders.flash_sales().for_session(session_id).await?;
    let items = sales
        .into_iter()
        .map(|sale| {
            let f = state.orders.ledger().figures_for(sale.id);
            let batches = f.batches.load(Ordering::Relaxed);
            SaleFiguresView {
                orders: f.orders.load(Ordering::Relaxed),
                gmv_fen: f.gmv_fen.load(Ordering::Relaxed),
                queue_depth: f.queue_depth.load(Ordering::Relaxed),
                mean_batch: if batches == 0 {
                    0.0
                } else {
                    f.batched_buys.load(Ordering::Relaxed) as f64 / batches as f64
                },
                mean_commit_ms: if batches == 0 {
                    0.0
                } else {
                    f.commit_us.load(Ordering::Relaxed) as f64 / batches as f64 / 1000.0
                },
                sale,
            }
        })
        .collect();
    Ok(axum::Json(SaleList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct PublicSales {
    pub items: Vec<FlashSale>,
}

/// A session's flash sales that are counting down or selling (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/sessions/{id}/flash-sales", tag = "public", security(()),
    params(("id" = i64, Path)),
    responses((status = 200, body = PublicSales), (status = 404, body = ErrorBody)))]
pub async fn public(
    State(state): State<AppState>,
    Path(session_id): Path<i64>,
) -> Result<axum::Json<PublicSales>, ApiError> {
    state.sessions.public(session_id).await?;
    let items = state
        .orders
        .flash_sales()
        .for_session(session_id)
        .await?
        .into_iter()
        .filter(|s| s.phase != sellstream_commerce::flash::SalePhase::Ended)
        .collect();
    Ok(axum::Json(PublicSales { items }))
}

/// End a flash sale now: its unsold units go back to the SKU (admin, operator, host, controller).
#[utoipa::path(post, path = "/api/v1/flash-sales/{id}/end", tag = "flash", params(("id" = i64, Path)),
    responses((status = 200, body = FlashSale), (status = 404, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<FlashSale>, ApiError> {
    staff.require(RUNNERS)?;
    let (sale, _) = state.orders.flash_sales().end(id).await?;
    state
        .rooms
        .flash_sale(sale.session_id, sale.room_json())
        .await;
    state.rooms.bag_changed(sale.session_id).await;
    Ok(axum::Json(sale))
}
