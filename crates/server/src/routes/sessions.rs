use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_core::{ErrorCode, Page, PageRequest};
use sellstream_live::{BagItem, LiveSession, SessionFilter, SessionInput, SessionState};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Who plans sessions and fills their bags.
const PLANNERS: &[Role] = &[Role::Operator];
/// Who may also move a session live and end it, and arrange the bag during the show.
const RUNNERS: &[Role] = &[Role::Operator, Role::Host, Role::Controller];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// `scheduled`, `live`, `ended` or `cancelled`; all when absent.
    pub state: Option<String>,
    /// Part of the title.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub(crate) fn parse_state(s: Option<&str>) -> Result<Option<SessionState>, ApiError> {
    match s.filter(|s| !s.is_empty() && *s != "all") {
        Some(s) => SessionState::parse(s).map(Some).ok_or_else(|| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                format!("state: no state `{s}`"),
            )
        }),
        None => Ok(None),
    }
}

/// Sessions: live first, then the soonest scheduled, then the most recent (any staff).
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions", params(SessionQuery),
    responses((status = 200, body = Page<LiveSession>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<SessionQuery>,
) -> Result<axum::Json<Page<LiveSession>>, ApiError> {
    let filter = SessionFilter {
        state: parse_state(q.state.as_deref())?,
        q: q.q,
        public_only: false,
    };
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(axum::Json(state.sessions.list(&filter, page).await?))
}

/// Schedule a session (admin, operator).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = SessionInput,
    responses((status = 201, body = LiveSession), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<SessionInput>,
) -> Result<(StatusCode, axum::Json<LiveSession>), ApiError> {
    staff.require(PLANNERS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.sessions.create(input).await?),
    ))
}

/// One session (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = LiveSession), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<LiveSession>, ApiError> {
    Ok(axum::Json(state.sessions.get(id).await?))
}

/// Change a scheduled or live session (admin, operator).
#[utoipa::path(put, path = "/api/v1/sessions/{id}", tag = "sessions", params(("id" = i64, Path)),
    request_body = SessionInput,
    responses((status = 200, body = LiveSession), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<SessionInput>,
) -> Result<axum::Json<LiveSession>, ApiError> {
    staff.require(PLANNERS)?;
    // A practice session's host stays a trainee of its course.
    if let Some(course) = state.sessions.get(id).await?.practice_course_id {
        let host = input.host_id.ok_or_else(|| {
            ApiError::new(
                ErrorCode::ValidationFailed,
                "host_id: a practice session needs its trainee",
            )
        })?;
        state.practice.check_new(course, host).await?;
    }
    Ok(axum::Json(state.sessions.update(id, input).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// `live`, `ended` or `cancelled`.
    pub to: SessionState,
}

/// Go live, end, or cancel (admin, operator, controller, the session's host). Cancelling is for
/// planners only.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/transition", tag = "sessions", params(("id" = i64, Path)),
    request_body = TransitionRequest,
    responses((status = 200, body = LiveSession), (status = 409, body = ErrorBody, description = "illegal_transition")))]
pub async fn transition(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(req): Json<TransitionRequest>,
) -> Result<axum::Json<LiveSession>, ApiError> {
    if req.to == SessionState::Cancelled {
        staff.require(PLANNERS)?;
    } else {
        staff.require(RUNNERS)?;
        // A host runs their own shows; controllers and operators run any.
        if !staff.0.has_any_role(&[Role::Operator, Role::Controller])
            && state.sessions.get(id).await?.host_id != Some(staff.0.id)
        {
            return Err(ApiError::forbidden(
                "operator or controller (or the session's host)",
            ));
        }
    }
    let session = state.sessions.transition(id, req.to).await?;
    if !session.state.is_open() {
        super::media::end_stream(&state, id, "session over").await;
        let at = session
            .ended_at
            .unwrap_or_else(sellstream_core::Timestamp::now);
        if let Err(e) = state.scripts.close_runs(id, at).await {
            tracing::warn!(error = %e, session = id, "could not close the script's running segment");
        }
    }
    if session.state == SessionState::Live {
        went_live(&state, &session).await;
    }
    state.rooms.state_changed(id, session.state).await;
    Ok(axum::Json(session))
}

/// What follows a session going live, however it went (the console, or an encoder starting to
/// publish): its reminders go out through the outbox. A failure to queue them must not undo it.
pub(crate) async fn went_live(state: &AppState, session: &LiveSession) {
    // A practice session is private: nobody is told it started.
    if session.practice_course_id.is_some() {
        return;
    }
    let id = session.id;
    if let Err(e) = state
        .outbox
        .session_started(id, &format!("/live/{id}"))
        .await
    {
        tracing::error!(error = %e, session = id, "could not queue the session's reminders");
    }
}

#[derive(Serialize, ToSchema)]
pub struct Bag {
    pub items: Vec<BagItem>,
}

#[derive(Deserialize, ToSchema)]
pub struct AddToBag {
    pub product_id: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct BagOrder {
    /// Every product in the bag, in the new order.
    pub product_ids: Vec<i64>,
}

/// The session's numbered shopping bag (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/bag", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = Bag), (status = 404, body = ErrorBody)))]
pub async fn bag(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Bag>, ApiError> {
    state.sessions.get(id).await?;
    Ok(axum::Json(Bag {
        items: state.sessions.bag(id).await?,
    }))
}

/// Put a product at the end of the bag (admin, operator, host, controller).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/bag", tag = "sessions", params(("id" = i64, Path)),
    request_body = AddToBag,
    responses((status = 200, body = Bag), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_to_bag(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(req): Json<AddToBag>,
) -> Result<axum::Json<Bag>, ApiError> {
    staff.require(RUNNERS)?;
    let items = state.sessions.add_to_bag(id, req.product_id).await?;
    state.rooms.bag_changed(id).await;
    Ok(axum::Json(Bag { items }))
}

/// Reorder the bag (admin, operator, host, controller).
#[utoipa::path(put, path = "/api/v1/sessions/{id}/bag", tag = "sessions", params(("id" = i64, Path)),
    request_body = BagOrder,
    responses((status = 200, body = Bag), (status = 422, body = ErrorBody)))]
pub async fn reorder_bag(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(req): Json<BagOrder>,
) -> Result<axum::Json<Bag>, ApiError> {
    staff.require(RUNNERS)?;
    let items = state.sessions.reorder_bag(id, &req.product_ids).await?;
    state.rooms.bag_changed(id).await;
    Ok(axum::Json(Bag { items }))
}

/// Take a product out of the bag (admin, operator, host, controller).
#[utoipa::path(delete, path = "/api/v1/sessions/{id}/bag/{product_id}", tag = "sessions",
    params(("id" = i64, Path), ("product_id" = i64, Path)),
    responses((status = 200, body = Bag), (status = 404, body = ErrorBody)))]
pub async fn remove_from_bag(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, product_id)): Path<(i64, i64)>,
) -> Result<axum::Json<Bag>, ApiError> {
    staff.require(RUNNERS)?;
    let items = state.sessions.remove_from_bag(id, product_id).await?;
    state.rooms.bag_changed(id).await;
    Ok(axum::Json(Bag { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LivePricesRequest {
    /// The product's live prices in this session, replacing the earlier ones (empty: list price).
    pub prices: Vec<sellstream_live::LivePrice>,
}

/// Set a bag product's live prices (直播价) per SKU, at most the list price (admin, operator, host,
/// controller). The room shows them at once.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/bag/{product_id}/prices", tag = "sessions",
    params(("id" = i64, Path), ("product_id" = i64, Path)), request_body = LivePricesRequest,
    responses((status = 200, body = Bag), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn set_live_prices(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, product_id)): Path<(i64, i64)>,
    Json(req): Json<LivePricesRequest>,
) -> Result<axum::Json<Bag>, ApiError> {
    staff.require(RUNNERS)?;
    let items = state
        .sessions
        .set_live_prices(id, product_id, &req.prices)
        .await?;
    state.rooms.bag_changed(id).await;
    Ok(axum::Json(Bag { items }))
}

#[derive(Serialize, ToSchema)]
pub struct LotteryList {
    pub items: Vec<sellstream_live::room::DrawnLottery>,
}

/// The session's drawn lotteries with winners, seed and entrants, newest first (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/lotteries", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = LotteryList), (status = 404, body = ErrorBody)))]
pub async fn lotteries(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<LotteryList>, ApiError> {
    Ok(axum::Json(LotteryList {
        items: state.rooms.drawn_lotteries(id).await?,
    }))
}

/// The room's live figures while it runs on this node (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/room", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = sellstream_live::RoomStats), (status = 404, body = ErrorBody)))]
pub async fn room_stats(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<sellstream_live::RoomStats>, ApiError> {
    state.sessions.get(id).await?;
    let stats = state
        .rooms
        .stats(id)
        .await
        .unwrap_or(sellstream_live::RoomStats {
            session_id: id,
            ..Default::default()
        });
    Ok(axum::Json(stats))
}
