//! Evaluation over HTTP (plan §9.2): before/after of two groups of sessions, correlation between
//! session metrics, and the correlation matrix (docs/analytics-evaluation.md).

use super::analytics::{domain, READERS};
use crate::auth::Staff;
use crate::error::ErrorBody;
use crate::extract::{Json, Query};
use crate::{ApiError, AppState};
use axum::extract::State;
use sellstream_analytics::attribution::{Attribution, AttributionQuery};
use sellstream_analytics::evaluate::{
    CompareInput, Comparison, CorrelationMatrix, CorrelationReport, Group,
};
use serde::Deserialize;
use utoipa::IntoParams;

/// Compare two groups of sessions — two periods, two hosts, or any two lists — on sales, UV,
/// watch time, AOV and conversion: the change, a 95 % interval, the test that suits each metric
/// (Welch's t with Mann–Whitney beside it for per-session figures, a two-proportion z-test for
/// rates), sample sizes and a verdict; and GMV split into UV × conversion × AOV.
#[utoipa::path(post, path = "/api/v1/analytics/compare", tag = "analytics", request_body = CompareInput,
    responses((status = 200, body = Comparison), (status = 422, body = ErrorBody)))]
pub async fn compare(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CompareInput>,
) -> Result<axum::Json<Comparison>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(
        state.analytics.compare(&input).await.map_err(domain)?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CorrelationQuery {
    /// A session metric (e.g. avg_watch_ms).
    pub x: Option<String>,
    /// Another (e.g. gmv_fen).
    pub y: Option<String>,
    /// Sessions that started at or after (epoch ms).
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub channel: Option<String>,
    pub host: Option<i64>,
}

impl CorrelationQuery {
    fn group(&self) -> Group {
        Group {
            from: self.from,
            to: self.to,
            channel: self.channel.clone(),
            host: self.host,
            session_ids: None,
        }
    }
}

/// Pearson and Spearman between two session metrics, with n, p-values, the points and the fitted
/// line — and the reminder that correlation is not cause.
#[utoipa::path(get, path = "/api/v1/analytics/correlation", tag = "analytics", params(CorrelationQuery),
    responses((status = 200, body = CorrelationReport), (status = 422, body = ErrorBody)))]
pub async fn correlation(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CorrelationQuery>,
) -> Result<axum::Json<CorrelationReport>, ApiError> {
    staff.require(READERS)?;
    let (Some(x), Some(y)) = (q.x.as_deref(), q.y.as_deref()) else {
        return Err(ApiError::new(
            sellstream_core::ErrorCode::ValidationFailed,
            "x and y: two session metrics, e.g. x=avg_watch_ms&y=gmv_fen",
        ));
    };
    Ok(axum::Json(
        state
            .analytics
            .correlation(x, y, &q.group())
            .await
            .map_err(domain)?,
    ))
}

/// Pearson and Spearman between every pair of the standard session metrics.
#[utoipa::path(get, path = "/api/v1/analytics/correlation-matrix", tag = "analytics", params(CorrelationQuery),
    responses((status = 200, body = CorrelationMatrix), (status = 422, body = ErrorBody)))]
pub async fn correlation_matrix(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CorrelationQuery>,
) -> Result<axum::Json<CorrelationMatrix>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(
        state
            .analytics
            .correlation_matrix(&q.group())
            .await
            .map_err(domain)?,
    ))
}

/// Which promotion brought the paid orders: flash sale, coupon, 满减 campaign or tracking link
/// (the buyer's latest tracked visit within 24 hours before the order), each touch with the
/// orders carrying it and the orders credited to it alone (flash sale, then coupon, then
/// campaign, then link), and the orders with none.
#[utoipa::path(get, path = "/api/v1/analytics/attribution", tag = "analytics", params(AttributionQuery),
    responses((status = 200, body = Attribution), (status = 422, body = ErrorBody)))]
pub async fn attribution(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AttributionQuery>,
) -> Result<axum::Json<Attribution>, ApiError> {
    staff.require(READERS)?;
    Ok(axum::Json(
        state.analytics.attribution(&q).await.map_err(domain)?,
    ))
}
