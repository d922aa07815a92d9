//! Other platforms' exports over HTTP (docs/imports.md): the column mappings, a preview that
//! writes nothing, the import itself, and the list of imports.

use super::analytics::domain;
use crate::auth::Staff;
use crate::error::ErrorBody;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use sellstream_accounts::Role;
use sellstream_analytics::crossplatform::{CrossPlatform, CrossQuery};
use sellstream_analytics::imports::{
    ImportRecord, Mapping, MappingInput, Preview, Upload, MAX_FILE_BYTES,
};
use sellstream_core::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const IMPORTERS: &[Role] = &[Role::Operator, Role::Analyst];

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "the file is larger than {} MB: export a shorter period",
            MAX_FILE_BYTES / 1024 / 1024
        ),
    )
}

/// The upload, refused by its declared length before a byte is read, and by its real length
/// while reading.
pub(crate) async fn file(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_FILE_BYTES)
        .await
        .map_err(|_| too_large())?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "send the file as the request body",
        ));
    }
    Ok(bytes.to_vec())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// taobao, douyin or kuaishou.
    pub platform: String,
    /// The export type: sessions.
    #[serde(default = "sessions")]
    pub kind: String,
    /// The file's name, for the record.
    #[serde(default)]
    pub file_name: String,
    /// The room the file is about, when it has no room column.
    pub room: Option<String>,
    /// Import the valid rows of a file with rejected ones (default: refuse the file).
    #[serde(default)]
    pub skip_rejected: bool,
}

impl UploadQuery {
    fn upload<'a>(&'a self, bytes: &'a [u8]) -> Upload<'a> {
        Upload {
            platform: &self.platform,
            kind: &self.kind,
            file_name: &self.file_name,
            bytes,
            room: self.room.as_deref(),
        }
    }
}

fn sessions() -> String {
    "sessions".into()
}

/// What importing a file would do: encoding and format found, the header row, which column each
/// field is read from, the mapped rows (first 20) and every rejected row with its reasons.
/// Nothing is written (operator, analyst). The file is the body (CSV, TSV or XLSX, up to 20 MB).
#[utoipa::path(post, path = "/api/v1/imports/preview", tag = "analytics", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Preview), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<Preview>, ApiError> {
    staff.require(IMPORTERS)?;
    let bytes = file(&headers, body).await?;
    Ok(axum::Json(
        state
            .analytics
            .preview_import(q.upload(&bytes))
            .await
            .map_err(domain)?,
    ))
}

/// Import a file in one transaction (operator, analyst): 201 with the record; the same file
/// again is 200 with its first import and changes nothing; a file with rejected rows is refused
/// (422) unless `skip_rejected=true`.
#[utoipa::path(post, path = "/api/v1/imports", tag = "analytics", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportRecord), (status = 200, body = ImportRecord),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<ImportRecord>), ApiError> {
    let by = staff.require(IMPORTERS)?.id;
    let bytes = file(&headers, body).await?;
    let record = state
        .analytics
        .import(q.upload(&bytes), q.skip_rejected, by)
        .await
        .map_err(domain)?;
    let status = if record.already {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(record)))
}

#[derive(Serialize, ToSchema)]
pub struct ImportList {
    pub items: Vec<ImportRecord>,
}

/// The latest imports with their reports (operator, analyst).
#[utoipa::path(get, path = "/api/v1/imports", tag = "analytics",
    responses((status = 200, body = ImportList)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<ImportList>, ApiError> {
    staff.require(IMPORTERS)?;
    Ok(axum::Json(ImportList {
        items: state.analytics.imports().await.map_err(domain)?,
    }))
}

/// The column mapping in use for a platform's export type (operator, analyst).
#[utoipa::path(get, path = "/api/v1/imports/mappings/{platform}/{kind}", tag = "analytics",
    params(("platform" = String, Path), ("kind" = String, Path)),
    responses((status = 200, body = Mapping), (status = 422, body = ErrorBody)))]
pub async fn mapping(
    State(state): State<AppState>,
    staff: Staff,
    Path((platform, kind)): Path<(String, String)>,
) -> Result<axum::Json<Mapping>, ApiError> {
    staff.require(IMPORTERS)?;
    Ok(axum::Json(
        state
            .analytics
            .import_mapping(&platform, &kind)
            .await
            .map_err(domain)?,
    ))
}

/// Save a platform's column mapping: each field given replaces the starter's header names
/// (operator, analyst).
#[utoipa::path(put, path = "/api/v1/imports/mappings/{platform}/{kind}", tag = "analytics",
    params(("platform" = String, Path), ("kind" = String, Path)), request_body = MappingInput,
    responses((status = 200, body = Mapping), (status = 422, body = ErrorBody)))]
pub async fn save_mapping(
    State(state): State<AppState>,
    staff: Staff,
    Path((platform, kind)): Path<(String, String)>,
    Json(input): Json<MappingInput>,
) -> Result<axum::Json<Mapping>, ApiError> {
    let by = staff.require(IMPORTERS)?.id;
    Ok(axum::Json(
        state
            .analytics
            .save_import_mapping(&platform, &kind, input, by)
            .await
            .map_err(domain)?,
    ))
}

/// Every platform side by side (operator, analyst, host, controller): the sessions sellstream
/// measured (its own room and the brand's channels) and those imported from the platforms'
/// exports, by platform, room or host, under the same metric names; `definitions` marks where a
/// platform counts a metric differently.
#[utoipa::path(get, path = "/api/v1/analytics/cross-platform", tag = "analytics", params(CrossQuery),
    responses((status = 200, body = CrossPlatform), (status = 422, body = ErrorBody)))]
pub async fn cross_platform(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CrossQuery>,
) -> Result<axum::Json<CrossPlatform>, ApiError> {
    staff.require(super::analytics::READERS)?;
    Ok(axum::Json(
        state.analytics.cross_platform(&q).await.map_err(domain)?,
    ))
}
