//! The built web UI (`web/dist`): embedded in release builds, read from disk in debug builds or from
//! `--web-dir`. Without a build, a page says how to make one.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Dist;

/// Serves a file of the UI, or the page of the app that owns the path (history routing).
pub async fn serve(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return crate::error::method_not_allowed(method, uri)
            .await
            .into_response();
    }
    let path = uri.path().trim_start_matches('/');
    if !path.is_empty() && !path.ends_with('/') {
        if let Some(res) = file(&state, path, true).await {
            return res;
        }
        // A missing file (a name with an extension) is a 404, not the app's page.
        let last = path.rsplit('/').next().unwrap_or(path);
        if path.starts_with("assets/") || path.contains("..") || last.contains('.') {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
    }
    let page = if path == "console" || path.starts_with("console/") {
        "console.html"
    } else if path == "api-docs" || path.starts_with("api-docs/") {
        "api-docs.html"
    } else {
        "index.html"
    };
    match file(&state, page, false).await {
        Some(res) => res,
        None => not_built(),
    }
}

async fn file(state: &AppState, path: &str, cache: bool) -> Option<Response> {
    if path.contains("..") {
        return None;
    }
    let bytes: Cow<'static, [u8]> = match &state.config.web_dir {
        Some(dir) => Cow::Owned(tokio::fs::read(dir.join(path)).await.ok()?),
        None => Dist::get(path)?.data,
    };
    // HLS types as players (iOS Safari's native HLS) expect them; mime_guess knows older names.
    let mime = if path.ends_with(".m3u8") {
        "application/vnd.apple.mpegurl".to_owned()
    } else if path.ends_with(".ts") {
        "video/mp2t".to_owned()
    } else {
        mime_guess::from_path(path)
            .first_or_octet_stream()
            .to_string()
    };
    // Vite puts a content hash in every asset name, so those never change; pages must be fresh.
    let cache_control = if cache && path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = (StatusCode::OK, bytes.into_owned()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Some(res)
}

fn not_built() -> Response {
    let html = r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>sellstream</title>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.6">
<h1>sellstream is running</h1>
<p>The web UI has not been built into this binary. Build it with Node.js 20 or newer, then rebuild or restart:</p>
<pre style="background:#f4f4f5;padding:1rem;border-radius:6px">npm ci --prefix web &amp;&amp; npm run build --prefix web</pre>
<p>界面尚未构建：请安装 Node.js 20+ 并运行上面的命令。</p>
<p>The API is available: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> · <a href="/healthz">/healthz</a></p>
</body></html>"#;
    let mut res = (StatusCode::OK, html).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}
