//! Buying: the checkout preview, placing orders (idempotent by `Idempotency-Key`), a customer's
//! own orders and what they may do with them, and the staff's order desk.

use crate::auth::{Customer, Staff};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sellstream_accounts::Role;
use sellstream_commerce::orders::PaymentStarted;
use sellstream_commerce::payment::PayMethod;
use sellstream_commerce::pricing::Quote;
use sellstream_commerce::{Actor, Order, OrderFilter, OrderRequest, OrderState, Origin};
use sellstream_core::{ErrorCode, Page, PageRequest, Timestamp};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};

/// Who works the order desk: find, ship, refund.
pub(crate) const DESK: &[Role] = &[Role::Operator, Role::Controller, Role::Warehouse];

/// The session's live prices and channel, when the order comes from a live room.
async fn origin(state: &AppState, session_id: Option<i64>) -> Result<Origin, ApiError> {
    let Some(id) = session_id else {
        return Ok(Origin {
            session_id: None,
            channel: "own".into(),
            live_prices: HashMap::new(),
        });
    };
    let (session, live_prices) = state.sessions.prices_now(id).await?;
    Ok(Origin {
        session_id: Some(id),
        channel: session.channel,
        live_prices,
    })
}

/// Price a cart for the signed-in customer: the lines that explain the total, each item's share
/// of every discount, and their coupons with whether each applies (the best preselected).
/// Nothing is reserved.
#[utoipa::path(post, path = "/api/v1/checkout/preview", tag = "orders", request_body = OrderRequest,
    responses((status = 200, body = Quote), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Customer(me): Customer,
    Json(req): Json<OrderRequest>,
) -> Result<axum::Json<Quote>, ApiError> {
    let origin = origin(&state, req.session_id).await?;
    Ok(axum::Json(
        state.orders.quote(me.id, &req, &origin).await?.0,
    ))
}

/// Place an order. Send an `Idempotency-Key` header (any 1–128 visible characters, e.g. a UUID)
/// so a retry cannot order twice: the same key with the same body answers with the same order
/// (200), the same key with another body is refused (409); keys last 24 hours. Stock is reserved
/// now and released if the order is not paid within the payment window.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OrderRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Order), (status = 200, description = "the order this key placed before", body = Order),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, description = "too many orders from this customer or address", body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Customer(me): Customer,
    headers: HeaderMap,
    Json(req): Json<OrderRequest>,
) -> Result<(StatusCode, axum::Json<Order>), ApiError> {
    if let Err(wait) = state.buy_limits.check(me.id, peer.ip()) {
        return Err(ApiError {
            retry_after: Some(wait.ceil().max(1.0) as u64),
            ..ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "too many orders at once; try again in {:.1} s",
                    wait.max(0.1)
                ),
            )
        });
    }
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                "Idempotency-Key: visible ASCII characters only",
            )
        })?),
        None => None,
    };
    // A flash sale brings its own session and price: its hot path reads neither here.
    let origin = if req.flash_sale_id.is_some() {
        Origin {
            session_id: req.session_id,
            ..Origin::default()
        }
    } else {
        origin(&state, req.session_id).await?
    };
    let out = state.orders.place(me.id, &req, &origin, key).await?;
    let status = if out.order.id == 0 {
        // The redis_lua baseline answered before writing (bench only).
        StatusCode::ACCEPTED
    } else if out.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(out.order)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyOrdersQuery {
    /// One state; all when absent.
    pub state: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn parse_state(s: Option<&str>) -> Result<Option<OrderState>, ApiError> {
    match s.filter(|s| !s.is_empty() && *s != "all") {
        Some(s) => OrderState::parse(s).map(Some).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                format!("state: no state `{s}`"),
            )
        }),
        None => Ok(None),
    }
}

/// My orders, newest first.
#[utoipa::path(get, path = "/api/v1/me/orders", tag = "orders", params(MyOrdersQuery),
    responses((status = 200, body = Page<Order>), (status = 401, body = ErrorBody)))]
pub async fn my_orders(
    State(state): State<AppState>,
    Customer(me): Customer,
    Query(q): Query<MyOrdersQuery>,
) -> Result<axum::Json<Page<Order>>, ApiError> {
    let filter = OrderFilter {
        state: parse_state(q.state.as_deref())?,
        customer_id: Some(me.id),
        ..OrderFilter::default()
    };
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(axum::Json(state.orders.list(&filter, page).await?))
}

/// One of my orders with its lines, price lines, history and refunds (someone else's is not found).
#[utoipa::path(get, path = "/api/v1/me/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn my_order(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Order>, ApiError> {
    Ok(axum::Json(state.orders.get_for(me.id, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    #[serde(default)]
    pub reason: String,
}

/// Cancel my unpaid order: its stock, coupon and points come back.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = Order), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn my_cancel(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<axum::Json<Order>, ApiError> {
    Ok(axum::Json(
        state
            .orders
            .cancel(id, Actor::Customer(me.id), &input.reason)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayInput {
    pub method: PayMethod,
}

/// Start paying my order: where to send me to pay, and the amount (the server's, never the client's).
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/pay", tag = "orders", params(("id" = i64, Path)),
    request_body = PayInput,
    responses((status = 200, body = PaymentStarted), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn my_pay(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
    Json(input): Json<PayInput>,
) -> Result<axum::Json<PaymentStarted>, ApiError> {
    Ok(axum::Json(
        state.orders.start_payment(me.id, id, input.method).await?,
    ))
}

/// Confirm I received my order: it completes and earns points.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/confirm", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn my_confirm(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Order>, ApiError> {
    Ok(axum::Json(
        state.orders.complete(id, Actor::Customer(me.id)).await?,
    ))
}

/// Ask for a refund of my paid order (after-sales); staff approve or reject it.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/refund-request", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = Order), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn my_refund_request(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<axum::Json<Order>, ApiError> {
    Ok(axum::Json(
        state
            .orders
            .request_refund(id, me.id, &input.reason)
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub state: Option<String>,
    pub session_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// An order number, or part of the customer's nickname or phone.
    pub q: Option<String>,
    /// Placed at or after (RFC 3339).
    pub from: Option<String>,
    /// Placed before (RFC 3339).
    pub until: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// For the export: `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

fn filter_of(q: &OrderQuery) -> Result<OrderFilter, ApiError> {
    let time = |field: &str, v: &Option<String>| -> Result<Option<Timestamp>, ApiError> {
        match v.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Timestamp::parse(s).map(Some).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ValidationFailed,
                    format!("{field}: an RFC 3339 time such as 2026-11-26T20:00:00+08:00"),
                )
            }),
            None => Ok(None),
        }
    };
    Ok(OrderFilter {
        state: parse_state(q.state.as_deref())?,
        session_id: q.session_id,
        customer_id: q.customer_id,
        q: q.q.clone(),
        from: time("from", &q.from)?,
        until: time("until", &q.until)?,
    })
}

/// Orders, newest first, filtered by state, session, customer, number or name, and date (order desk).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = Page<Order>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<OrderQuery>,
) -> Result<axum::Json<Page<Order>>, ApiError> {
    staff.require(DESK)?;
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(axum::Json(state.orders.list(&filter_of(&q)?, page).await?))
}

/// One order, whole (order desk).
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Order>, ApiError> {
    staff.require(DESK)?;
    Ok(axum::Json(state.orders.get(id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipInput {
    pub tracking_no: String,
}

/// Ship a paid order with its tracking number (order desk).
#[utoipa::path(post, path = "/api/v1/orders/{id}/ship", tag = "orders", params(("id" = i64, Path)),
    request_body = ShipInput,
    responses((status = 200, body = Order), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ship(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ShipInput>,
) -> Result<axum::Json<Order>, ApiError> {
    let who = staff.require(DESK)?;
    Ok(axum::Json(
        state.orders.ship(id, who.id, &input.tracking_no).await?,
    ))
}

/// Record that a shipped order was delivered (order desk).
#[utoipa::path(post, path = "/api/v1/orders/{id}/deliver", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 409, body = ErrorBody)))]
pub async fn deliver(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Order>, ApiError> {
    let who = staff.require(DESK)?;
    Ok(axum::Json(
        state.orders.deliver(id, Actor::Staff(who.id)).await?,
    ))
}

/// Cancel an unpaid order (order desk).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = Order), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<axum::Json<Order>, ApiError> {
    let who = staff.require(DESK)?;
    Ok(axum::Json(
        state
            .orders
            .cancel(id, Actor::Staff(who.id), &input.reason)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// Line numbers to refund; empty or absent: everything not yet refunded.
    #[serde(default)]
    pub lines: Vec<i64>,
    pub reason: String,
}

/// Refund a paid order, whole or by line, through its payment provider (admin, operator).
#[utoipa::path(post, path = "/api/v1/orders/{id}/refund", tag = "orders", params(("id" = i64, Path)),
    request_body = RefundInput,
    responses((status = 200, body = Order), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<RefundInput>,
) -> Result<axum::Json<Order>, ApiError> {
    let who = staff.require(&[Role::Operator])?;
    Ok(axum::Json(
        state
            .orders
            .refund(id, Actor::Staff(who.id), &input.lines, &input.reason)
            .await?,
    ))
}

/// Turn down a refund request with a reason (admin, operator).
#[utoipa::path(post, path = "/api/v1/orders/{id}/refund/reject", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput,
    responses((status = 200, body = Order), (status = 409, body = ErrorBody)))]
pub async fn reject_refund(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<axum::Json<Order>, ApiError> {
    let who = staff.require(&[Role::Operator])?;
    Ok(axum::Json(
        state
            .orders
            .reject_refund(id, who.id, &input.reason)
            .await?,
    ))
}

/// Every order matching the filters as CSV (UTF-8 with BOM, opens in Excel) or XLSX: one row
/// per order line (order desk, analyst). At most 100,000 orders.
#[utoipa::path(get, path = "/api/v1/orders/export", tag = "orders", params(OrderQuery),
    responses((status = 200, description = "text/csv or XLSX"), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<OrderQuery>,
) -> Result<Response, ApiError> {
    staff.require(&[
        Role::Operator,
        Role::Controller,
        Role::Warehouse,
        Role::Analyst,
    ])?;
    let xlsx = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        other => {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                format!("format: `csv` or `xlsx`, not `{other}`"),
            ))
        }
    };
    let (ids, _) = state.orders.ids(&filter_of(&q)?, None).await?;
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        for o in state.orders.get_many(chunk).await? {
            for l in &o.lines {
                rows.push(crate::export::order_row(&o, l));
            }
        }
    }
    let stamp = Timestamp::now().millis();
    let (body, mime, ext) = if xlsx {
        (
            crate::export::xlsx(crate::export::ORDER_COLUMNS, &rows)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (
            crate::export::csv(crate::export::ORDER_COLUMNS, &rows),
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    Ok(crate::export::download(
        body,
        mime,
        &format!("orders-{stamp}.{ext}"),
    ))
}
