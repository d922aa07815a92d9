//! Video: each session's stream key (staff), and the media server's callbacks. nginx asks on
//! every publish (`on_publish`): a valid key for a session that is not over is let through and
//! renamed to the session's stream name; anything else is refused. The room hears when the
//! stream starts and stops.

use crate::auth::Staff;
use crate::extract::{Path, Query};
use crate::{ApiError, AppState, ErrorBody, Metrics};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use sellstream_accounts::Role;
use sellstream_core::{ErrorCode, Timestamp};
use sellstream_live::SessionState;
use sellstream_media::{IssuedKey, KeyStatus, MediaError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Who may see, create, rotate and revoke a session's stream key.
const STREAMERS: &[Role] = &[Role::Operator, Role::Host, Role::Controller];

/// The session's stream key as staff see it — never the key — and whether it is being streamed.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/stream-key", tag = "media", params(("id" = i64, Path)),
    responses((status = 200, body = KeyStatus), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn key_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<KeyStatus>, ApiError> {
    staff.require(STREAMERS)?;
    state.sessions.get(id).await?;
    Ok(axum::Json(state.media.key_status(id).await?))
}

/// Create the session's stream key, or rotate it: the old key stops working at once (an encoder
/// streaming with it is dropped). The key is in this answer only.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/stream-key", tag = "media", params(("id" = i64, Path)),
    responses((status = 201, body = IssuedKey), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn issue_key(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<(StatusCode, axum::Json<IssuedKey>), ApiError> {
    let who = staff.require(STREAMERS)?;
    let session = state.sessions.get(id).await?;
    if !session.state.is_open() {
        return Err(ApiError::new(
            ErrorCode::IllegalTransition,
            format!("this session has {}: it takes no stream", session.state),
        ));
    }
    let issued = state.media.issue_key(id, Some(who.id)).await?;
    end_stream(&state, id, "key rotated").await;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

/// Revoke the session's stream key: publishing with it is refused, and an encoder streaming
/// with it is dropped.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}/stream-key", tag = "media", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(STREAMERS)?;
    state.sessions.get(id).await?;
    if !state.media.revoke_key(id).await? {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "this session has no stream key",
        ));
    }
    end_stream(&state, id, "key revoked").await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the session's open publish, if any: tells nginx to drop the encoder and the room that
/// the stream stopped.
pub(crate) async fn end_stream(state: &AppState, session_id: i64, reason: &str) {
    if reason == "session over" {
        if let Err(e) = state.simulcast.stop_all(session_id).await {
            tracing::warn!(session = session_id, error = %e, "could not stop the session's relays");
        }
    }
    let client = state.media.publisher_of(session_id).await.ok().flatten();
    match state.media.end_publish_of(session_id, reason).await {
        Ok(true) => {
            if let (Some(control), Some(client)) = (&state.config.media_control, client) {
                if let Err(e) = drop_publisher(control, &client).await {
                    tracing::warn!(session = session_id, error = %e, "could not ask the media server to drop the encoder");
                }
            }
            state
                .rooms
                .video(session_id, state.media.video_json(session_id, None))
                .await;
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(session = session_id, error = %e, "could not end the stream"),
    }
}

/// `GET {control}/drop/client?app=live&clientid=N` on nginx-rtmp's control module.
async fn drop_publisher(control: &str, client_id: &str) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = control
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("the media control URL must be http://"))?;
    let (host, base) = rest.split_once('/').unwrap_or((rest, ""));
    if !client_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(std::io::Error::other("not an nginx client id"));
    }
    let path = format!(
        "/{}/drop/client?app=live&clientid={client_id}",
        base.trim_end_matches('/'),
    )
    .replace("//", "/");
    let mut conn = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        tokio::net::TcpStream::connect(host),
    )
    .await
    .map_err(|_| std::io::Error::other("timed out"))??;
    conn.write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await?;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        conn.read_to_end(&mut answer),
    )
    .await;
    Ok(())
}

#[derive(Deserialize, IntoParams)]
pub struct HookAuth {
    /// The secret sellstream wrote into the media server's configuration.
    pub secret: String,
}

/// What nginx-rtmp posts on `on_publish` and `on_publish_done` (form-encoded).
#[derive(Deserialize, ToSchema)]
pub struct PublishCall {
    #[serde(default)]
    pub app: String,
    /// The stream name the encoder asked for: the stream key on publish, the session's stream
    /// name when done.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub addr: String,
    #[serde(default)]
    pub clientid: String,
    /// The URL the encoder connected to (`rtmp://host:port/live`): its port is nginx's.
    #[serde(default)]
    pub tcurl: String,
}

/// Where a granted publish is relayed: nginx's own `show` application, on the port the encoder
/// reached it on.
fn relay_url(tcurl: &str, stream: &str) -> String {
    let port = tcurl
        .strip_prefix("rtmp://")
        .and_then(|r| r.split('/').next())
        .and_then(|host| host.rsplit_once(':'))
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(1935);
    format!("rtmp://127.0.0.1:{port}/show/{stream}")
}

fn secret_ok(state: &AppState, given: &str) -> bool {
    let want = state.media_secret.as_bytes();
    let given = given.as_bytes();
    // Constant time in the secret's content.
    want.len() == given.len() && want.iter().zip(given).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

fn refuse(state: &AppState, outcome: &str, code: ErrorCode, message: String) -> Response {
    Metrics::count(&state.metrics.media_publishes, outcome);
    ApiError::new(code, message).into_response()
}

/// nginx's `on_publish`: 302 to `rtmp://127.0.0.1:<port>/show/session-N` lets the publish
/// through (nginx relays it there, under the session's stream name), anything else refuses it. A publish to a scheduled session starts it.
#[utoipa::path(post, path = "/api/v1/media/hooks/publish", tag = "media", security(()), params(HookAuth),
    request_body(content = PublishCall, content_type = "application/x-www-form-urlencoded"),
    responses((status = 302, description = "allowed; Location is the stream name viewers use"),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn on_publish(
    State(state): State<AppState>,
    Query(auth): Query<HookAuth>,
    Form(call): Form<PublishCall>,
) -> Response {
    if !secret_ok(&state, &auth.secret) {
        tracing::warn!(addr = %call.addr, "media callback with a wrong secret");
        return refuse(
            &state,
            "bad_secret",
            ErrorCode::Forbidden,
            "wrong media secret".into(),
        );
    }
    match publish(&state, &call).await {
        Ok(name) => {
            Metrics::count(&state.metrics.media_publishes, "accepted");
            (StatusCode::FOUND, [(header::LOCATION, name)]).into_response()
        }
        Err((outcome, e)) => {
            tracing::warn!(addr = %call.addr, app = %call.app, outcome, reason = %e.message, "publish refused");
            refuse(&state, outcome, e.code, e.message)
        }
    }
}

async fn publish(state: &AppState, call: &PublishCall) -> Result<String, (&'static str, ApiError)> {
    if call.app != "live" {
        return Err((
            "bad_key",
            ApiError::new(ErrorCode::Forbidden, "publish to the `live` application"),
        ));
    }
    let (key_id, session_id) = state
        .media
        .session_of_key(&call.name)
        .await
        .map_err(|e| (outcome_of(&e), e.into()))?;
    let session = state
        .sessions
        .get(session_id)
        .await
        .map_err(|e| ("session_closed", e.into()))?;
    if !session.state.is_open() {
        return Err((
            "session_closed",
            ApiError::new(
                ErrorCode::IllegalTransition,
                format!(
                    "session {session_id} has {}: it takes no stream",
                    session.state
                ),
            ),
        ));
    }
    let grant = state
        .media
        .start_publish(key_id, session_id, &call.clientid, &call.addr)
        .await
        .map_err(|e| (outcome_of(&e), e.into()))?;
    if session.state == SessionState::Scheduled {
        match state
            .sessions
            .transition(session_id, SessionState::Live)
            .await
        {
            Ok(s) => {
                super::sessions::went_live(state, &s).await;
                state.rooms.state_changed(session_id, s.state).await
            }
            Err(e) => {
                tracing::warn!(session = session_id, error = %e, "could not start the session")
            }
        }
    }
    tracing::info!(session = session_id, addr = %call.addr, "stream started");
    state
        .rooms
        .video(
            session_id,
            state
                .media
                .video_json(session_id, Some(Timestamp::now().millis())),
        )
        .await;
    Ok(relay_url(&call.tcurl, &grant.stream_name))
}

fn outcome_of(e: &MediaError) -> &'static str {
    match e {
        MediaError::BadKey => "bad_key",
        MediaError::AlreadyPublishing(_) => "busy",
        _ => "error",
    }
}

/// nginx's `on_publish_done`: the encoder stopped (or was dropped). The session stays live — a
/// host whose connection dropped streams again with the same key.
#[utoipa::path(post, path = "/api/v1/media/hooks/publish-done", tag = "media", security(()), params(HookAuth),
    request_body(content = PublishCall, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn on_publish_done(
    State(state): State<AppState>,
    Query(auth): Query<HookAuth>,
    Form(call): Form<PublishCall>,
) -> Result<StatusCode, ApiError> {
    if !secret_ok(&state, &auth.secret) {
        Metrics::count(&state.metrics.media_publishes, "bad_secret");
        return Err(ApiError::new(ErrorCode::Forbidden, "wrong media secret"));
    }
    if call.app != "live" {
        return Ok(StatusCode::NO_CONTENT);
    }
    if let Some(session_id) = state.media.publish_done(&call.clientid, "stopped").await? {
        Metrics::count(&state.metrics.media_publishes, "stopped");
        tracing::info!(session = session_id, "stream stopped");
        state
            .rooms
            .video(session_id, state.media.video_json(session_id, None))
            .await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The media server (re)started: no publish recorded as open survived it.
pub async fn media_restarted(state: &AppState) {
    match state
        .media
        .end_all_publishes("media server restarted")
        .await
    {
        Ok(sessions) => {
            for id in sessions {
                state
                    .rooms
                    .video(id, state.media.video_json(id, None))
                    .await;
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not close the publishes of a restarted media server")
        }
    }
}

/// `sellstream media` on another host says its nginx (re)started.
#[utoipa::path(post, path = "/api/v1/media/hooks/restarted", tag = "media", security(()), params(HookAuth),
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn on_restarted(
    State(state): State<AppState>,
    Query(auth): Query<HookAuth>,
) -> Result<StatusCode, ApiError> {
    if !secret_ok(&state, &auth.secret) {
        return Err(ApiError::new(ErrorCode::Forbidden, "wrong media secret"));
    }
    media_restarted(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The HLS files of streams on this machine (`/media/hls/session-N.m3u8` and its segments), when
/// sellstream runs the media server itself.
pub async fn hls_file(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let not_found = || ApiError::new(ErrorCode::NotFound, "no such stream file").into_response();
    let Some(dir) = &state.config.media_hls_dir else {
        return not_found();
    };
    let ok_name = !file.is_empty()
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let kind = if file.ends_with(".m3u8") {
        ("application/vnd.apple.mpegurl", "no-cache")
    } else if file.ends_with(".ts") {
        ("video/mp2t", "public, max-age=60")
    } else {
        return not_found();
    };
    if !ok_name {
        return not_found();
    }
    match tokio::fs::read(dir.join(&file)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, kind.0),
                (header::CACHE_CONTROL, kind.1),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(),
    }
}

/// Who sets channels' push credentials.
const CHANNEL_ADMINS: &[Role] = &[Role::Operator];

/// Add a platform account as a channel (admin, operator).
#[utoipa::path(post, path = "/api/v1/channels", tag = "media", request_body = sellstream_ops::NewChannel,
    responses((status = 201, body = sellstream_ops::Channel), (status = 422, body = ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    staff: Staff,
    crate::extract::Json(input): crate::extract::Json<sellstream_ops::NewChannel>,
) -> Result<(StatusCode, axum::Json<sellstream_ops::Channel>), ApiError> {
    staff.require(CHANNEL_ADMINS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.channels.create(input).await?),
    ))
}

/// Rename a channel or update its account name and audience notes (admin, operator).
#[utoipa::path(put, path = "/api/v1/channels/{code}", tag = "media", params(("code" = String, Path)),
    request_body = sellstream_ops::ChannelEdit,
    responses((status = 200, body = sellstream_ops::Channel), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn edit_channel(
    State(state): State<AppState>,
    staff: Staff,
    crate::extract::Path(code): crate::extract::Path<String>,
    crate::extract::Json(input): crate::extract::Json<sellstream_ops::ChannelEdit>,
) -> Result<axum::Json<sellstream_ops::Channel>, ApiError> {
    staff.require(CHANNEL_ADMINS)?;
    Ok(axum::Json(state.channels.edit(&code, input).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PushCredentials {
    /// The platform's RTMP server address (rtmp://… or rtmps://…).
    pub push_url: String,
    /// The platform's stream key (推流码).
    pub stream_key: String,
}

#[derive(serde::Serialize, ToSchema)]
pub struct PushHint {
    /// The key's last characters: the credentials are never shown back.
    pub push_hint: String,
}

/// Set a channel account's RTMP push URL and stream key; both are sealed at rest and never shown
/// back (admin, operator).
#[utoipa::path(put, path = "/api/v1/channels/{code}/push", tag = "media", params(("code" = String, Path)),
    request_body = PushCredentials,
    responses((status = 200, body = PushHint), (status = 422, body = ErrorBody)))]
pub async fn set_push(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    crate::extract::Json(input): crate::extract::Json<PushCredentials>,
) -> Result<axum::Json<PushHint>, ApiError> {
    staff.require(CHANNEL_ADMINS)?;
    let push_hint = state
        .simulcast
        .set_push(&code, &input.push_url, &input.stream_key)
        .await?;
    tracing::info!(channel = %code, "push credentials set");
    Ok(axum::Json(PushHint { push_hint }))
}

#[derive(serde::Serialize, ToSchema)]
pub struct TargetList {
    pub items: Vec<sellstream_media::Target>,
}

/// The channels the session's stream can go out to, each with its relay's state.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/simulcast", tag = "media", params(("id" = i64, Path)),
    responses((status = 200, body = TargetList), (status = 404, body = ErrorBody)))]
pub async fn targets(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<TargetList>, ApiError> {
    staff.require(STREAMERS)?;
    state.sessions.get(id).await?;
    Ok(axum::Json(TargetList {
        items: state.simulcast.targets(id).await?,
    }))
}

/// Start pushing the session's stream to a channel (while the host streams), or stop.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/simulcast/{channel}/{action}", tag = "media",
    params(("id" = i64, Path), ("channel" = String, Path), ("action" = String, Path, description = "`start` or `stop`")),
    responses((status = 200, body = sellstream_media::Target), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn switch_target(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, channel, action)): Path<(i64, String, String)>,
) -> Result<axum::Json<sellstream_media::Target>, ApiError> {
    staff.require(STREAMERS)?;
    let session = state.sessions.get(id).await?;
    let target = match action.as_str() {
        "start" => {
            if !session.state.is_open() {
                return Err(ApiError::new(
                    ErrorCode::IllegalTransition,
                    format!("this session has {}: nothing to push", session.state),
                ));
            }
            state.simulcast.start(id, &channel).await?
        }
        "stop" => state.simulcast.stop(id, &channel).await?,
        _ => return Err(ApiError::new(ErrorCode::NotFound, "`start` or `stop`")),
    };
    Ok(axum::Json(target))
}

/// What nginx-rtmp posts on `on_record_done`.
#[derive(Deserialize, ToSchema)]
pub struct RecordCall {
    #[serde(default)]
    pub name: String,
    /// The finished FLV file.
    #[serde(default)]
    pub path: String,
}

/// nginx's `on_record_done`: a recording is finished; it is made into an MP4 and kept (in the
/// background: nginx does not wait for it).
#[utoipa::path(post, path = "/api/v1/media/hooks/record-done", tag = "media", security(()), params(HookAuth),
    request_body(content = RecordCall, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn on_record_done(
    State(state): State<AppState>,
    Query(auth): Query<HookAuth>,
    Form(call): Form<RecordCall>,
) -> Result<StatusCode, ApiError> {
    if !secret_ok(&state, &auth.secret) {
        return Err(ApiError::new(ErrorCode::Forbidden, "wrong media secret"));
    }
    let recordings = state.recordings.clone();
    tokio::spawn(async move {
        if let Err(e) = recordings.done(&call.name, &call.path).await {
            tracing::warn!(error = %e, "could not keep a recording");
        }
    });
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Serialize, ToSchema)]
pub struct Replay {
    /// The session's recordings, oldest first, each an MP4 the browser plays and seeks.
    pub recordings: Vec<sellstream_media::Recording>,
    /// When each product was pinned, as offsets into the recording it falls in.
    pub chapters: Vec<sellstream_media::Chapter>,
}

/// A session's replay: its recordings and the product chapters (no sign-in).
#[utoipa::path(get, path = "/api/v1/public/sessions/{id}/replay", tag = "public", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Replay), (status = 404, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Replay>, ApiError> {
    state.sessions.public(id).await?;
    let recordings = state.recordings.for_session(id).await?;
    let chapters = state.recordings.chapters(id, &recordings).await?;
    Ok(axum::Json(Replay {
        recordings,
        chapters,
    }))
}

/// The recorded MP4s, with byte ranges so players can seek.
pub async fn recording_file(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let not_found = || ApiError::new(ErrorCode::NotFound, "no such recording").into_response();
    let Some(dir) = state.recordings.dir() else {
        return not_found();
    };
    let ok_name = file.ends_with(".mp4")
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if !ok_name {
        return not_found();
    }
    let Ok(mut f) = tokio::fs::File::open(dir.join(&file)).await else {
        return not_found();
    };
    let Ok(len) = f.metadata().await.map(|m| m.len()) else {
        return not_found();
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(a, b)| {
            let start: u64 = a.parse().ok()?;
            let end: u64 = if b.is_empty() {
                len.saturating_sub(1)
            } else {
                b.parse().ok()?
            };
            (start < len && start <= end).then_some((start, end.min(len - 1)))
        });
    let (status, start, end) = match (headers.get(header::RANGE), range) {
        (None, _) => (StatusCode::OK, 0, len.saturating_sub(1)),
        (Some(_), Some((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e),
        (Some(_), None) => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response()
        }
    };
    if len == 0 {
        return not_found();
    }
    if f.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return not_found();
    }
    // Streamed from the file: an hour-long show is not read into memory.
    let body =
        axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(f.take(end - start + 1)));
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("video/mp4"),
    );
    h.insert(
        header::ACCEPT_RANGES,
        header::HeaderValue::from_static("bytes"),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=3600"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = header::HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::relay_url;

    #[test]
    fn a_granted_publish_is_relayed_to_nginx_itself_on_the_port_the_encoder_used() {
        assert_eq!(
            relay_url("rtmp://203.0.113.9:19350/live", "session-3"),
            "rtmp://127.0.0.1:19350/show/session-3"
        );
        assert_eq!(
            relay_url("rtmp://media.example.com/live", "session-3"),
            "rtmp://127.0.0.1:1935/show/session-3"
        );
    }
}
