//! Analytics over HTTP: pages' event batches in, and for staff the live dashboard, the post-live
//! review (JSON, CSV, XLSX), the session list and trends.

use crate::auth::{MaybeSignedIn, Staff};
use crate::error::ErrorBody;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use sellstream_accounts::Role;
use sellstream_analytics::list::{ListQuery, SessionList, Trend, TrendQuery};
use sellstream_analytics::{AnalyticsError, Ingested, Live, PageBatch, Report};
use sellstream_core::ErrorCode;
use std::net::SocketAddr;

/// Who may read the figures.
pub(crate) const READERS: &[Role] = &[Role::Operator, Role::Analyst, Role::Host, Role::Controller];

/// Batches one client address may send per 10 s (a shop's Wi-Fi holds many viewers).
const BATCHES_PER_ADDRESS: usize = 600;

pub(crate) fn domain(e: AnalyticsError) -> ApiError {
    let wait = match &e {
        AnalyticsError::Flooded(s) => Some(*s),
        _ => None,
    };
    let mut err = ApiError::from_domain(e);
    err.retry_after = wait;
    err
}

/// A page's batch of viewing events (impression, enter/view/leave of a replay, share, exposure,
/// bag_open, click, cart). Anonymous viewers send a device id; a signed-in customer is taken from
/// the session, never from the body. Bad events are rejected one by one (`rejected`), the rest
/// stored; a retried batch is stored once (`duplicates`).
#[utoipa::path(post, path = "/api/v1/events", tag = "analytics", request_body = PageBatch,
    responses((status = 200, body = Ingested), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn ingest(
    State(state): State<AppState>,
    MaybeSignedIn(account): MaybeSignedIn,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(batch): Json<PageBatch>,
) -> Result<axum::Json<Ingested>, ApiError> {
    if let Some(wait) = state
        .analytics
        .flooded(&format!("ip:{}", peer.ip()), BATCHES_PER_ADDRESS)
    {
        return Err(domain(AnalyticsError::Flooded(wait)));
    }
    let customer = account.filter(|a| !a.is_staff()).map(|a| a.id);
    Ok(axum::Json(
        state
            .analytics
            .ingest_page(customer, batch)
            .await
            .map_err(domain)?,
    ))
}

/// The live dashboard of a session: figures so far from the rollups (updated as events arrive,
/// poll it every second), online now from the room itself.
#[utoipa::path(get, path = "/api/v1/analytics/sessions/{id}/live", tag = "analytics",
    params(("id" = i64, Path)), responses((status = 200, body = Live), (status = 404, body = ErrorBody)))]
pub async fn live(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Live>, ApiError> {
    staff.require(READERS)?;
    let mut live = state.analytics.live(id).await.map_err(domain)?;
    if let Some(stats) = state.rooms.stats(id).await {
        live.online = stats.online as i64;
        live.pcu = live.pcu.max(stats.peak as i64);
    } else if live.session.state != "live" {
        live.online = 0;
    }
    Ok(axum::Json(live))
}

/// The post-live review (复盘) of a session: the standard metrics (docs/metrics.md), funnel,
/// minute by minute, per product, watch-time distribution, replay, targets.
#[utoipa::path(get, path = "/api/v1/analytics/sessions/{id}/report", tag = "analytics",
    params(("id" = i64, Path)), responses((status = 200, body = Report), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Report>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(
        state.analytics.report(id).await.map_err(domain)?,
    ))
}

async fn review_file(
    state: &AppState,
    staff: &Staff,
    id: i64,
    xlsx: bool,
) -> Result<Response, ApiError> {
    staff.require(READERS)?;
    let r = state.analytics.report(id).await.map_err(domain)?;
    Ok(if xlsx {
        crate::export::download(
            sellstream_analytics::export::report_xlsx(&r).map_err(domain)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("session-{id}-review.xlsx"),
        )
    } else {
        crate::export::download(
            sellstream_analytics::export::report_csv(&r),
            "text/csv; charset=utf-8",
            &format!("session-{id}-review.csv"),
        )
    })
}

/// The review as CSV (UTF-8 with BOM; the tables one after another).
#[utoipa::path(get, path = "/api/v1/analytics/sessions/{id}/report.csv", tag = "analytics",
    params(("id" = i64, Path)), responses((status = 200, description = "text/csv"), (status = 404, body = ErrorBody)))]
pub async fn report_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    review_file(&state, &staff, id, false).await
}

/// The review as an XLSX workbook (a sheet per table).
#[utoipa::path(get, path = "/api/v1/analytics/sessions/{id}/report.xlsx", tag = "analytics",
    params(("id" = i64, Path)), responses((status = 200, description = "XLSX"), (status = 404, body = ErrorBody)))]
pub async fn report_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    review_file(&state, &staff, id, true).await
}

/// Sessions side by side with their metrics, sorted by any of them.
#[utoipa::path(get, path = "/api/v1/analytics/sessions", tag = "analytics", params(ListQuery),
    responses((status = 200, body = SessionList), (status = 422, body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<SessionList>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(
        state.analytics.sessions(&q).await.map_err(domain)?,
    ))
}

/// The same metrics by day, week or month (Asia/Shanghai), host, channel or product; by product
/// (or with `product=`) each row adds that product's own figures. Each row says how many sessions
/// are behind it.
#[utoipa::path(get, path = "/api/v1/analytics/trend", tag = "analytics", params(TrendQuery),
    responses((status = 200, body = Trend), (status = 422, body = ErrorBody)))]
pub async fn trend(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<TrendQuery>,
) -> Result<axum::Json<Trend>, ApiError> {
    staff.require(READERS)?;
    if q.by.as_deref() == Some("") {
        return Err(ApiError::new(ErrorCode::ValidationFailed, "by is empty"));
    }
    Ok(axum::Json(state.analytics.trend(&q).await.map_err(domain)?))
}
