//! `GET /ws/rooms/{session_id}`: the room's WebSocket. The upgrade is answered here; the frames
//! are spoken by `sellstream_live::room::conn` on the raw connection.

use crate::auth::MaybeSignedIn;
use crate::extract::Path;
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use sellstream_accounts::{Account, Role};
use sellstream_core::ErrorCode;
use sellstream_live::room::{conn, Actor};
use sellstream_live::wire::protocol::RoomErrorCode;
use sellstream_live::wire::ws;
use tokio::net::TcpStream;

fn header_has(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Pages on another site may not open a viewer's room with their cookie.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

pub fn actor(account: Option<&Account>) -> Actor {
    match account {
        Some(a) => Actor {
            account: Some(a.id),
            nickname: a.nickname.clone(),
            staff: a.is_staff(),
            can_control: a.has_any_role(&[Role::Host, Role::Controller, Role::Operator]),
        },
        None => Actor {
            account: None,
            nickname: String::new(),
            staff: false,
            can_control: false,
        },
    }
}

pub async fn room_ws(
    State(state): State<AppState>,
    Path(session_id): Path<i64>,
    MaybeSignedIn(account): MaybeSignedIn,
    mut req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers();
    let key = headers
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let upgrade = header_has(headers, header::UPGRADE, "websocket")
        && header_has(headers, header::CONNECTION, "upgrade");
    let (Some(key), true) = (key, upgrade) else {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "this is a WebSocket endpoint: connect with a WebSocket client",
        ));
    };
    if headers
        .get("sec-websocket-version")
        .and_then(|v| v.to_str().ok())
        != Some("13")
    {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "WebSocket version 13 is required",
        ));
    }
    if !same_origin(headers) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "cross-site WebSocket connections are refused",
        ));
    }
    let device = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("device=")))
        .map(|d| {
            d.chars()
                .filter(char::is_ascii_alphanumeric)
                .take(40)
                .collect::<String>()
        })
        .filter(|d| !d.is_empty())
        // A viewer without a device id is still one viewer for this connection's watch.
        .unwrap_or_else(|| {
            (0..20)
                .map(|_| char::from(b'a' + rand::random_range(0..26u8)))
                .collect()
        });
    let connection = state
        .rooms
        .connect(session_id, actor(account.as_ref()), device)
        .await
        .map_err(|e| {
            let code = match e.code {
                RoomErrorCode::RoomNotFound => ErrorCode::NotFound,
                RoomErrorCode::RoomClosed => ErrorCode::Conflict,
                _ => ErrorCode::Internal,
            };
            ApiError::new(code, e.message)
        })?;
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => conn::serve(parts.io.into_inner(), parts.read_buf, connection).await,
                Err(_) => {
                    tracing::error!("WebSocket upgrade on a transport other than TCP");
                    connection.leave_now();
                }
            },
            Err(e) => {
                tracing::debug!(error = %e, "WebSocket upgrade failed");
                connection.leave_now();
            }
        }
    });
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(
        "sec-websocket-accept",
        HeaderValue::from_str(&ws::accept_key(&key)).expect("base64 is a valid header value"),
    );
    Ok(res.into_response())
}
