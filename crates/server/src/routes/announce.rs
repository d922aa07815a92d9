//! Pre-announcements: "remind me", tracking links and their redirect, the poster, the customer's
//! in-app inbox, webhooks and the outbox's deliveries (docs/notifications.md).

use crate::auth::{Customer, MaybeSignedIn, Staff};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sellstream_accounts::Role;
use sellstream_ops::announce::{MyReminder, PromoLink, ReminderState};
use sellstream_ops::outbox::{Notification, WebhookInfo};
use sellstream_ops::poster::{poster as render_poster, PosterInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const PROMOTERS: &[Role] = &[Role::Operator];
const OUTBOX_READERS: &[Role] = &[Role::Operator];

/// How many asked to be reminded, and whether the signed-in customer did (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/public/sessions/{id}/reminders", tag = "public", security(()),
    params(("id" = i64, Path)), responses((status = 200, body = ReminderState), (status = 404, body = ErrorBody)))]
pub async fn reminder_state(
    State(state): State<AppState>,
    who: MaybeSignedIn,
    Path(id): Path<i64>,
) -> Result<axum::Json<ReminderState>, ApiError> {
    let account = who.0.filter(|a| !a.is_staff()).map(|a| a.id);
    Ok(axum::Json(state.announce.state(id, account).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemindInput {
    pub session_id: i64,
    /// The tracking link's code the customer came through (`?src=` of the page).
    #[serde(default)]
    pub src: Option<String>,
}

/// Remind me when this session starts (customers). A session that is live, over or cancelled
/// answers 409; asking twice changes nothing.
#[utoipa::path(post, path = "/api/v1/me/reminders", tag = "public", request_body = RemindInput,
    responses((status = 200, body = ReminderState), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remind(
    State(state): State<AppState>,
    Customer(me): Customer,
    Json(input): Json<RemindInput>,
) -> Result<axum::Json<ReminderState>, ApiError> {
    Ok(axum::Json(
        state
            .announce
            .remind(input.session_id, me.id, input.src.as_deref())
            .await?,
    ))
}

/// Take back a reminder (customers).
#[utoipa::path(delete, path = "/api/v1/me/reminders/{session_id}", tag = "public",
    params(("session_id" = i64, Path)),
    responses((status = 200, body = ReminderState), (status = 404, body = ErrorBody)))]
pub async fn forget(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(session): Path<i64>,
) -> Result<axum::Json<ReminderState>, ApiError> {
    Ok(axum::Json(state.announce.forget(session, me.id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct MyReminders {
    pub items: Vec<MyReminder>,
}

/// The customer's reminders for sessions not yet over.
#[utoipa::path(get, path = "/api/v1/me/reminders", tag = "public",
    responses((status = 200, body = MyReminders)))]
pub async fn my_reminders(
    State(state): State<AppState>,
    Customer(me): Customer,
) -> Result<axum::Json<MyReminders>, ApiError> {
    Ok(axum::Json(MyReminders {
        items: state.announce.mine(me.id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Inbox {
    pub items: Vec<Notification>,
    pub unread: usize,
}

/// The customer's in-app notifications, newest first.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "public",
    responses((status = 200, body = Inbox)))]
pub async fn inbox(
    State(state): State<AppState>,
    Customer(me): Customer,
) -> Result<axum::Json<Inbox>, ApiError> {
    let mut items = state.outbox.inbox(me.id).await?;
    for n in &mut items {
        n.target = String::new();
    }
    Ok(axum::Json(Inbox {
        unread: items.iter().filter(|n| n.read_at.is_none()).count(),
        items,
    }))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "public",
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.outbox.mark_read(me.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct LinkList {
    pub items: Vec<PromoLink>,
}

/// A session's tracking links with their clicks and the reminders they brought (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/links", tag = "sessions", params(("id" = i64, Path)),
    responses((status = 200, body = LinkList), (status = 404, body = ErrorBody)))]
pub async fn links(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<LinkList>, ApiError> {
    Ok(axum::Json(LinkList {
        items: state.announce.links(id).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// Where it will be shared: 微信群, 微博, a KOL's name…
    pub label: String,
}

/// A tracking link for one channel of promotion (operator).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/links", tag = "sessions", params(("id" = i64, Path)),
    request_body = LinkInput,
    responses((status = 201, body = PromoLink), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_link(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<LinkInput>,
) -> Result<(StatusCode, axum::Json<PromoLink>), ApiError> {
    let by = staff.require(PROMOTERS)?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.announce.add_link(id, &input.label, by).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/sessions/{id}/links/{link_id}", tag = "sessions",
    params(("id" = i64, Path), ("link_id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_link(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, link)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    staff.require(PROMOTERS)?;
    state.announce.delete_link(id, link).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `/p/{code}`: counts the visit and opens the session's page with the link's code.
pub async fn follow_link(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    match state.announce.click(&code).await {
        Ok(session) => Redirect::to(&format!("/live/{session}?src={code}")).into_response(),
        Err(_) => Redirect::to("/").into_response(),
    }
}

/// The address people reach this server at, from the request.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PosterQuery {
    /// A tracking link's code: the QR code opens that link.
    pub src: Option<String>,
}

/// The session's poster as SVG (750 × 1334) with a QR code of its page or of a tracking link
/// (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/sessions/{id}/poster.svg", tag = "public", security(()),
    params(("id" = i64, Path), PosterQuery),
    responses((status = 200, description = "image/svg+xml"), (status = 404, body = ErrorBody)))]
pub async fn poster(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<PosterQuery>,
) -> Result<Response, ApiError> {
    let s = state.sessions.public(id).await?;
    let base = origin(&headers);
    let url = match q.src.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => {
            let link = state.announce.link(id, code).await?;
            format!("{base}{}", link.path)
        }
        None => format!("{base}/live/{id}"),
    };
    let brand = state.brand.get().await?;
    let products: Vec<(String, i64)> = s
        .bag
        .iter()
        .map(|b| {
            (
                b.product.title.clone(),
                b.live_price_min_fen().unwrap_or(b.product.price_min_fen),
            )
        })
        .collect();
    let svg = render_poster(&PosterInput {
        brand: &brand.name,
        title: &s.session.title,
        start: s.session.scheduled_start,
        host: s.session.host_name.as_deref(),
        products: &products,
        url: &url,
    })
    .map_err(|e| ApiError::new(sellstream_core::ErrorCode::ValidationFailed, e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookInfo>,
}

/// Webhook endpoints, secrets masked (admin).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "brand",
    responses((status = 200, body = WebhookList)))]
pub async fn webhooks(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<WebhookList>, ApiError> {
    staff.require(&[Role::Admin])?;
    Ok(axum::Json(WebhookList {
        items: state.outbox.webhooks().await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    pub url: String,
}

/// Add an endpoint (admin). The answer carries its signing secret in full, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "brand", request_body = WebhookInput,
    responses((status = 201, body = WebhookInfo), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_webhook(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<WebhookInput>,
) -> Result<(StatusCode, axum::Json<WebhookInfo>), ApiError> {
    staff.require(&[Role::Admin])?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.outbox.add_webhook(&input.url).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "brand", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(&[Role::Admin])?;
    state.outbox.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub notification_id: i64,
}

/// Send a `ping` to an endpoint (admin).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "brand", params(("id" = i64, Path)),
    responses((status = 202, body = Queued), (status = 404, body = ErrorBody)))]
pub async fn ping_webhook(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<(StatusCode, axum::Json<Queued>), ApiError> {
    staff.require(&[Role::Admin])?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(Queued {
            notification_id: state.outbox.ping_webhook(id).await?,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// pending, sending, sent or failed.
    pub state: Option<String>,
    /// in_app, webhook, sms or email.
    pub channel: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<Notification>,
}

/// The latest 200 messages with their delivery state, attempts and last error (admin, operator).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "brand", params(OutboxQuery),
    responses((status = 200, body = OutboxList)))]
pub async fn outbox(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<OutboxQuery>,
) -> Result<axum::Json<OutboxList>, ApiError> {
    staff.require(OUTBOX_READERS)?;
    Ok(axum::Json(OutboxList {
        items: state
            .outbox
            .recent(q.state.as_deref(), q.channel.as_deref())
            .await?,
    }))
}
