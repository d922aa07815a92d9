//! Customer value tiers over HTTP (docs/customer-value.md): recompute, the runs with tier sizes
//! and movements, and the members of a tier (JSON or CSV).

use super::analytics::domain;
use crate::auth::Staff;
use crate::error::ErrorBody;
use crate::extract::Query;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::response::Response;
use sellstream_accounts::Role;
use sellstream_analytics::value::{Members, ValueRun};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Customers' figures are for those who run user operations, not for every reader of sessions.
const CUSTOMER_READERS: &[Role] = &[Role::Operator, Role::Analyst];

#[derive(Serialize, ToSchema)]
pub struct ValueOverview {
    /// Customers per tier now.
    pub sizes: BTreeMap<String, i64>,
    /// The latest runs, newest first, each with its sizes and movements.
    pub runs: Vec<ValueRun>,
}

/// Tier sizes now and the latest recomputations (operator, analyst).
#[utoipa::path(get, path = "/api/v1/analytics/customer-values", tag = "analytics",
    responses((status = 200, body = ValueOverview)))]
pub async fn overview(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<ValueOverview>, ApiError> {
    staff.require(CUSTOMER_READERS)?;
    Ok(axum::Json(ValueOverview {
        sizes: state.analytics.tier_sizes().await.map_err(domain)?,
        runs: state.analytics.value_runs(20).await.map_err(domain)?,
    }))
}

/// Recompute every customer's tier now (operator, analyst); also runs daily by itself.
#[utoipa::path(post, path = "/api/v1/analytics/customer-values/recompute", tag = "analytics",
    responses((status = 200, body = ValueRun)))]
pub async fn recompute(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<ValueRun>, ApiError> {
    let by = staff.require(CUSTOMER_READERS)?.id;
    Ok(axum::Json(
        state
            .analytics
            .recompute_values("manual", Some(by))
            .await
            .map_err(domain)?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// high, medium or low; all when left out.
    pub tier: Option<String>,
    pub page: Option<i64>,
    /// Up to 500 (default 50).
    pub per_page: Option<i64>,
}

/// A tier's customers, best first, phones masked (operator, analyst).
#[utoipa::path(get, path = "/api/v1/analytics/customer-values/members", tag = "analytics", params(MemberQuery),
    responses((status = 200, body = Members), (status = 422, body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<MemberQuery>,
) -> Result<axum::Json<Members>, ApiError> {
    staff.require(CUSTOMER_READERS)?;
    let per = q.per_page.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    Ok(axum::Json(
        state
            .analytics
            .value_members(q.tier.as_deref(), (page - 1) * per, per)
            .await
            .map_err(domain)?,
    ))
}

/// A tier's customers as CSV (UTF-8 with BOM), phones masked (operator, analyst).
#[utoipa::path(get, path = "/api/v1/analytics/customer-values/members.csv", tag = "analytics", params(MemberQuery),
    responses((status = 200, description = "text/csv"), (status = 422, body = ErrorBody)))]
pub async fn members_csv(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<MemberQuery>,
) -> Result<Response, ApiError> {
    staff.require(CUSTOMER_READERS)?;
    let csv = state
        .analytics
        .value_members_csv(q.tier.as_deref())
        .await
        .map_err(domain)?;
    Ok(crate::export::download(
        csv.into_bytes(),
        "text/csv; charset=utf-8",
        &format!("customers-{}.csv", q.tier.as_deref().unwrap_or("all")),
    ))
}
