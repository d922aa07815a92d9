//! Points, membership tiers and the selling rules (points, payment window, shipping).

use crate::auth::{Customer, Staff};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use sellstream_accounts::Role;
use sellstream_commerce::{CommerceSettings, MemberStatus, PointsEntry, PointsSummary, TierInput};
use sellstream_core::{Page, PageRequest, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct MyPoints {
    pub summary: PointsSummary,
    pub history: Page<PointsEntry>,
}

/// My points: balance, what expires soon, and the ledger, newest first.
#[utoipa::path(get, path = "/api/v1/me/points", tag = "members", params(PageQuery),
    responses((status = 200, body = MyPoints), (status = 401, body = ErrorBody)))]
pub async fn my_points(
    State(state): State<AppState>,
    Customer(me): Customer,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<MyPoints>, ApiError> {
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(axum::Json(MyPoints {
        summary: state.points.summary(me.id).await?,
        history: state.points.history(me.id, page).await?,
    }))
}

/// My membership: 12-month spend, tier, and what is left to the next one.
#[utoipa::path(get, path = "/api/v1/me/membership", tag = "members",
    responses((status = 200, body = MemberStatus), (status = 401, body = ErrorBody)))]
pub async fn my_membership(
    State(state): State<AppState>,
    Customer(me): Customer,
) -> Result<axum::Json<MemberStatus>, ApiError> {
    Ok(axum::Json(
        state.memberships.status(me.id, Timestamp::now()).await?,
    ))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    pub tiers: Vec<TierInput>,
}

/// Membership tiers, lowest first (public: viewers see what a tier gives).
#[utoipa::path(get, path = "/api/v1/membership/tiers", tag = "members", security(()),
    responses((status = 200, body = Tiers)))]
pub async fn tiers(State(state): State<AppState>) -> Result<axum::Json<Tiers>, ApiError> {
    Ok(axum::Json(Tiers {
        tiers: state.memberships.tiers().await?,
    }))
}

/// Replace the membership tiers (admin, operator).
#[utoipa::path(put, path = "/api/v1/membership/tiers", tag = "members", request_body = Tiers,
    responses((status = 200, body = Tiers), (status = 422, body = ErrorBody)))]
pub async fn set_tiers(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<Tiers>,
) -> Result<axum::Json<Tiers>, ApiError> {
    staff.require(&[Role::Operator])?;
    Ok(axum::Json(Tiers {
        tiers: state.memberships.set_tiers(input.tiers).await?,
    }))
}

/// The selling rules: points value and ceiling, earning, validity, payment window, shipping
/// (public: checkout shows them to customers).
#[utoipa::path(get, path = "/api/v1/commerce/settings", tag = "members", security(()),
    responses((status = 200, body = CommerceSettings)))]
pub async fn settings(
    State(state): State<AppState>,
) -> Result<axum::Json<CommerceSettings>, ApiError> {
    Ok(axum::Json(CommerceSettings::load(&state.store).await?))
}

/// Change the selling rules; placed orders keep what they were priced with (admin).
#[utoipa::path(put, path = "/api/v1/commerce/settings", tag = "members", request_body = CommerceSettings,
    responses((status = 200, body = CommerceSettings), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CommerceSettings>,
) -> Result<axum::Json<CommerceSettings>, ApiError> {
    staff.require(&[Role::Admin])?;
    input.save(&state.store).await?;
    Ok(axum::Json(CommerceSettings::load(&state.store).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustInput {
    /// Points to add (positive) or take (negative).
    pub delta: i64,
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct Balance {
    pub balance: i64,
}

/// Add or take a customer's points with a note (admin, operator); never below zero.
#[utoipa::path(post, path = "/api/v1/customers/{id}/points", tag = "members", params(("id" = i64, Path)),
    request_body = AdjustInput,
    responses((status = 200, body = Balance), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<AdjustInput>,
) -> Result<axum::Json<Balance>, ApiError> {
    staff.require(&[Role::Operator])?;
    let days = CommerceSettings::load(&state.store)
        .await?
        .points_valid_days;
    Ok(axum::Json(Balance {
        balance: state
            .points
            .adjust(id, input.delta, &input.note, days)
            .await?,
    }))
}
