//! The HTTP face of sellstream: REST under `/api/v1` with its generated OpenAPI document, auth and
//! roles, health and metrics, and the built web UI. A thin layer: extract, call one service, map.

mod auth;
mod background;
mod error;
mod export;
mod extract;
mod limit;
mod listen;
mod metrics;
mod openapi;
mod routes;
mod state;
mod web;

pub use background::spawn_order_clock;
pub use error::{ApiError, ErrorBody};
pub use listen::serve;
pub use metrics::Metrics;
pub use routes::media::media_restarted;
pub use state::{AppState, ServerConfig};

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::Router;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API, health, metrics and UI.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = routes::api().split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc) }
            }),
        )
        .merge(routes::health::router())
        .route("/ws/rooms/{id}", axum::routing::get(routes::room::room_ws))
        .route(
            "/p/{code}",
            axum::routing::get(routes::announce::follow_link),
        )
        .route(
            "/media/hls/{file}",
            axum::routing::get(routes::media::hls_file),
        )
        .route(
            "/media/recordings/{file}",
            axum::routing::get(routes::media::recording_file),
        )
        .nest("/api", Router::new().fallback(error::api_not_found))
        .fallback(web::serve)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
                })
                .on_response(
                    |res: &axum::http::Response<_>, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_millis() as u64, "answered");
                    },
                ),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
