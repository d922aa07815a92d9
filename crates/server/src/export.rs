//! Spreadsheets for staff: CSV (UTF-8 with a BOM so Excel reads Chinese text) and XLSX.

use crate::ApiError;
pub use sellstream_analytics::export::{csv, Cell};
use sellstream_commerce::orders::OrderLine;
use sellstream_commerce::Order;

pub const ORDER_COLUMNS: &[&str] = &[
    "订单号 order",
    "下单时间 placed at",
    "状态 state",
    "客户 customer",
    "场次 session",
    "渠道 channel",
    "行 line",
    "商品 product",
    "SKU",
    "数量 qty",
    "单价 unit price",
    "优惠 discounts",
    "实付 paid for line",
    "已退款 refunded",
    "订单实付 order total",
    "订单已退 order refunded",
    "收货人 recipient",
    "地区 region",
    "运单号 tracking",
];

pub fn order_row(o: &Order, l: &OrderLine) -> Vec<Cell> {
    let addr = |k: &str| {
        o.address
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    vec![
        Cell::Text(o.number.clone()),
        Cell::Text(o.created_at.to_string()),
        Cell::Text(o.state.as_str().to_owned()),
        Cell::Text(o.customer_name.clone()),
        Cell::Text(o.session_id.map(|s| s.to_string()).unwrap_or_default()),
        Cell::Text(o.channel.clone()),
        Cell::Int(l.line_no),
        Cell::Text(l.title.clone()),
        Cell::Text(l.sku_code.clone()),
        Cell::Int(l.quantity),
        Cell::Money(l.unit_price),
        Cell::Money(l.membership + l.campaign + l.coupon + l.points_fen),
        Cell::Money(l.payable),
        Cell::Text(if l.refunded { "yes" } else { "" }.to_owned()),
        Cell::Money(o.total_fen),
        Cell::Money(o.refunded_fen),
        Cell::Text(addr("recipient")),
        Cell::Text(addr("region")),
        Cell::Text(o.tracking_no.clone().unwrap_or_default()),
    ]
}

/// A one-sheet workbook; a failure is logged and answered as an internal error.
pub fn xlsx(columns: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, ApiError> {
    sellstream_analytics::export::xlsx(columns, rows).map_err(|e| {
        tracing::error!(error = %e, "xlsx export failed");
        ApiError::new(
            sellstream_core::ErrorCode::Internal,
            "the spreadsheet could not be written",
        )
    })
}

/// A file to download: its type and the name the browser saves it under.
pub fn download(body: Vec<u8>, mime: &str, name: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}
