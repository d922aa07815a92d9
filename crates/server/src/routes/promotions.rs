//! Coupons and full-reduction campaigns: staff define, issue and push them into live rooms;
//! customers claim them and see their wallet.

use crate::auth::{Customer, Staff};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_commerce::promo::{
    CampaignInput, CampaignRecord, CouponInput, CouponRecord, GrantOutcome, HeldCoupon,
};
use sellstream_core::{ErrorCode, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Who runs promotions.
const MARKETERS: &[Role] = &[Role::Operator];
/// Who may push a coupon into a room during the show.
const RUNNERS: &[Role] = &[Role::Operator, Role::Host, Role::Controller];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl PageQuery {
    fn page(&self) -> PageRequest {
        PageRequest {
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// Coupons, newest first, with how many were handed out and used (any staff).
#[utoipa::path(get, path = "/api/v1/coupons", tag = "promotions", params(PageQuery),
    responses((status = 200, body = Page<CouponRecord>), (status = 403, body = ErrorBody)))]
pub async fn coupons(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<Page<CouponRecord>>, ApiError> {
    Ok(axum::Json(state.promotions.coupons(q.page()).await?))
}

/// Define a coupon (admin, operator).
#[utoipa::path(post, path = "/api/v1/coupons", tag = "promotions", request_body = CouponInput,
    responses((status = 201, body = CouponRecord), (status = 422, body = ErrorBody)))]
pub async fn create_coupon(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CouponInput>,
) -> Result<(StatusCode, axum::Json<CouponRecord>), ApiError> {
    staff.require(MARKETERS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.promotions.create_coupon(input).await?),
    ))
}

/// One coupon (any staff).
#[utoipa::path(get, path = "/api/v1/coupons/{id}", tag = "promotions", params(("id" = i64, Path)),
    responses((status = 200, body = CouponRecord), (status = 404, body = ErrorBody)))]
pub async fn coupon(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<CouponRecord>, ApiError> {
    Ok(axum::Json(state.promotions.coupon(id).await?))
}

/// Change a coupon; its rule and scope are fixed once any was handed out (admin, operator).
#[utoipa::path(put, path = "/api/v1/coupons/{id}", tag = "promotions", params(("id" = i64, Path)),
    request_body = CouponInput,
    responses((status = 200, body = CouponRecord), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_coupon(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CouponInput>,
) -> Result<axum::Json<CouponRecord>, ApiError> {
    staff.require(MARKETERS)?;
    Ok(axum::Json(state.promotions.update_coupon(id, input).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    /// Customers by id…
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// …or by phone number.
    #[serde(default)]
    pub phones: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IssueResult {
    pub issued: usize,
    pub results: Vec<GrantOutcome>,
}

/// Issue a coupon to customers; each gets it or a reason why not (limits, quantity, dates)
/// (admin, operator).
#[utoipa::path(post, path = "/api/v1/coupons/{id}/issue", tag = "promotions", params(("id" = i64, Path)),
    request_body = IssueInput,
    responses((status = 200, body = IssueResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<IssueInput>,
) -> Result<axum::Json<IssueResult>, ApiError> {
    staff.require(MARKETERS)?;
    if input.customer_ids.len() + input.phones.len() > 1_000 {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "customer_ids and phones: at most 1000 in all",
        ));
    }
    let mut ids = input.customer_ids;
    let mut unknown = Vec::new();
    for phone in &input.phones {
        let found = match sellstream_accounts::validate::phone(phone) {
            Ok(p) => state.accounts.find_id_by_phone(&p).await?,
            Err(_) => None,
        };
        match found {
            Some(id) => ids.push(id),
            None => unknown.push(GrantOutcome {
                customer_id: None,
                phone: Some(phone.clone()),
                held_id: None,
                reason: Some(format!("no customer with phone {phone}")),
            }),
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    let mut results = if ids.is_empty() {
        state.promotions.coupon(id).await?;
        Vec::new()
    } else {
        state.promotions.issue(id, &ids).await?
    };
    results.extend(unknown);
    Ok(axum::Json(IssueResult {
        issued: results.iter().filter(|r| r.held_id.is_some()).count(),
        results,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// A claimable coupon; none withdraws the one on offer.
    pub coupon_id: Option<i64>,
}

/// Put a claimable coupon on offer in a live room (viewers see a card and claim it), or withdraw
/// it (admin, operator, host, controller).
#[utoipa::path(put, path = "/api/v1/sessions/{id}/coupon", tag = "promotions", params(("id" = i64, Path)),
    request_body = OfferInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn offer(
    State(state): State<AppState>,
    staff: Staff,
    Path(session_id): Path<i64>,
    Json(input): Json<OfferInput>,
) -> Result<StatusCode, ApiError> {
    staff.require(RUNNERS)?;
    let session = state.sessions.get(session_id).await?;
    if !session.state.is_open() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the session is over: its room shows nothing new",
        ));
    }
    if session.practice_course_id.is_some() && input.coupon_id.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "a practice session takes no orders: no coupons are offered in it",
        ));
    }
    let card = match input.coupon_id {
        Some(id) => {
            let c = state.promotions.coupon(id).await?;
            if !c.claimable || !c.active {
                return Err(ApiError::new(
                    ErrorCode::ValidationFailed,
                    "coupon_id: only an active, claimable coupon can be offered in a room",
                ));
            }
            Some(serde_json::json!({
                "id": c.id, "name": c.name, "rule": c.rule, "scope": c.scope,
                "valid_from": c.valid_from, "valid_until": c.valid_until,
                "left": c.total_quantity.map(|t| t - c.granted),
            }))
        }
        None => None,
    };
    if !state.rooms.offer_coupon(session_id, card).await {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the room is not open yet: offer the coupon once viewers are in",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    /// The room it was claimed in.
    pub session_id: Option<i64>,
}

/// Claim a claimable coupon into my wallet (signed-in customer).
#[utoipa::path(post, path = "/api/v1/coupons/{id}/claim", tag = "promotions", params(("id" = i64, Path)),
    request_body = ClaimInput,
    responses((status = 201, body = HeldCoupon), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
    Json(input): Json<ClaimInput>,
) -> Result<(StatusCode, axum::Json<HeldCoupon>), ApiError> {
    if let Some(s) = input.session_id {
        state.sessions.get(s).await?;
    }
    let held = state.promotions.claim(id, me.id, input.session_id).await?;
    if let Some(session) = input.session_id {
        let c = state.promotions.coupon(id).await?;
        if let Some(total) = c.total_quantity {
            state
                .rooms
                .coupon_left(session, id, total - c.granted)
                .await;
        }
    }
    Ok((StatusCode::CREATED, axum::Json(held)))
}

#[derive(Serialize, ToSchema)]
pub struct Offered {
    /// The coupon card the room shows (as in the room's `coupon` event), or null.
    #[schema(value_type = Object)]
    pub coupon: Option<serde_json::Value>,
}

/// The coupon a session's room offers now (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/coupon", tag = "promotions", params(("id" = i64, Path)),
    responses((status = 200, body = Offered), (status = 404, body = ErrorBody)))]
pub async fn offered(
    State(state): State<AppState>,
    _staff: Staff,
    Path(session_id): Path<i64>,
) -> Result<axum::Json<Offered>, ApiError> {
    state.sessions.get(session_id).await?;
    Ok(axum::Json(Offered {
        coupon: state.rooms.offered_coupon(session_id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Wallet {
    pub items: Vec<HeldCoupon>,
}

/// My coupons: available, used, expired (signed-in customer).
#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "promotions",
    responses((status = 200, body = Wallet), (status = 401, body = ErrorBody)))]
pub async fn wallet(
    State(state): State<AppState>,
    Customer(me): Customer,
) -> Result<axum::Json<Wallet>, ApiError> {
    Ok(axum::Json(Wallet {
        items: state.promotions.wallet(me.id).await?,
    }))
}

/// Full-reduction campaigns (满减), newest first (any staff).
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "promotions", params(PageQuery),
    responses((status = 200, body = Page<CampaignRecord>)))]
pub async fn campaigns(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<Page<CampaignRecord>>, ApiError> {
    Ok(axum::Json(state.promotions.campaigns(q.page()).await?))
}

/// Define a campaign: tiered 满减 or 每满X减Y (admin, operator).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "promotions", request_body = CampaignInput,
    responses((status = 201, body = CampaignRecord), (status = 422, body = ErrorBody)))]
pub async fn create_campaign(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CampaignInput>,
) -> Result<(StatusCode, axum::Json<CampaignRecord>), ApiError> {
    staff.require(MARKETERS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.promotions.create_campaign(input).await?),
    ))
}

/// Change a campaign (admin, operator).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "promotions", params(("id" = i64, Path)),
    request_body = CampaignInput,
    responses((status = 200, body = CampaignRecord), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_campaign(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CampaignInput>,
) -> Result<axum::Json<CampaignRecord>, ApiError> {
    staff.require(MARKETERS)?;
    Ok(axum::Json(
        state.promotions.update_campaign(id, input).await?,
    ))
}
