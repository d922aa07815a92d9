//! Run-of-show scripts, their versions and templates, the live run of segments, and the session's
//! keyword auto-replies (docs/scripts.md).

use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_live::autoreply::{self, AutoReply, AutoReplyList};
use sellstream_ops::scripts::{
    split_script, AdvanceInput, Script, ScriptDiff, ScriptInput, Split, Template, TemplateInput,
    VersionInfo,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Who writes scripts: the planners and the host who speaks them.
const WRITERS: &[Role] = &[Role::Operator, Role::Host];
/// Who moves the live run from segment to segment.
const RUNNERS: &[Role] = &[Role::Operator, Role::Host, Role::Controller];
/// Who keeps the templates.
const PLANNERS: &[Role] = &[Role::Operator];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A past version (the latest when omitted).
    pub version: Option<i64>,
}

/// A session's script: the latest version (or `version`), the products it names, compliance hits
/// per segment and the live run (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/script", tag = "scripts",
    params(("id" = i64, Path), VersionQuery),
    responses((status = 200, body = Script), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<axum::Json<Script>, ApiError> {
    Ok(axum::Json(state.scripts.get(id, q.version).await?))
}

/// Save a new version (operator, host). Refused whole when the segments run over the session,
/// name unknown products, or the script changed since `base_version` (409).
#[utoipa::path(put, path = "/api/v1/sessions/{id}/script", tag = "scripts", params(("id" = i64, Path)),
    request_body = ScriptInput,
    responses((status = 200, body = Script), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ScriptInput>,
) -> Result<axum::Json<Script>, ApiError> {
    let by = staff.require(WRITERS)?.id;
    Ok(axum::Json(state.scripts.save(id, input, by).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromTemplate {
    pub template_id: i64,
    #[serde(default)]
    pub base_version: Option<i64>,
}

/// Start a new version from a template (operator, host).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/script/from-template", tag = "scripts", params(("id" = i64, Path)),
    request_body = FromTemplate,
    responses((status = 200, body = Script), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn from_template(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<FromTemplate>,
) -> Result<axum::Json<Script>, ApiError> {
    let by = staff.require(WRITERS)?.id;
    Ok(axum::Json(
        state
            .scripts
            .apply_template(id, input.template_id, input.base_version, by)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionInfo>,
}

/// Every saved version, newest first, with who saved it and when (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/script/versions", tag = "scripts", params(("id" = i64, Path)),
    responses((status = 200, body = VersionList), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<VersionList>, ApiError> {
    Ok(axum::Json(VersionList {
        items: state.scripts.versions(id).await?,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

/// What changed between two versions: segments added, removed and changed, field by field, and the
/// script text line by line (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/script/diff", tag = "scripts",
    params(("id" = i64, Path), DiffQuery),
    responses((status = 200, body = ScriptDiff), (status = 404, body = ErrorBody)))]
pub async fn diff(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<axum::Json<ScriptDiff>, ApiError> {
    Ok(axum::Json(state.scripts.diff(id, q.from, q.to).await?))
}

/// Move the live run: start segment `to`, the next one (no `to`), or stop (`finish`). Live
/// sessions only (operator, host, controller).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/script/advance", tag = "scripts", params(("id" = i64, Path)),
    request_body = AdvanceInput,
    responses((status = 200, body = Script), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn advance(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<AdvanceInput>,
) -> Result<axum::Json<Script>, ApiError> {
    let by = staff.require(RUNNERS)?.id;
    Ok(axum::Json(state.scripts.advance(id, input, by).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitInput {
    pub text: String,
}

/// Split a pasted script into segments by its headings; nothing is saved (any staff).
#[utoipa::path(post, path = "/api/v1/scripts/split", tag = "scripts", request_body = SplitInput,
    responses((status = 200, body = Split), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn split(
    _staff: Staff,
    Json(input): Json<SplitInput>,
) -> Result<axum::Json<Split>, ApiError> {
    Ok(axum::Json(split_script(&input.text)?))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<Template>,
}

/// Script templates, by name (any staff).
#[utoipa::path(get, path = "/api/v1/script-templates", tag = "scripts",
    responses((status = 200, body = TemplateList)))]
pub async fn templates(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<TemplateList>, ApiError> {
    Ok(axum::Json(TemplateList {
        items: state.scripts.templates().await?,
    }))
}

/// Add a template (operator). Names are unique (409).
#[utoipa::path(post, path = "/api/v1/script-templates", tag = "scripts", request_body = TemplateInput,
    responses((status = 201, body = Template), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_template(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<TemplateInput>,
) -> Result<(StatusCode, axum::Json<Template>), ApiError> {
    let by = staff.require(PLANNERS)?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.scripts.save_template(None, input, by).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/script-templates/{id}", tag = "scripts", params(("id" = i64, Path)),
    responses((status = 200, body = Template), (status = 404, body = ErrorBody)))]
pub async fn template(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Template>, ApiError> {
    Ok(axum::Json(state.scripts.template(id).await?))
}

/// Edit a template (operator).
#[utoipa::path(put, path = "/api/v1/script-templates/{id}", tag = "scripts", params(("id" = i64, Path)),
    request_body = TemplateInput,
    responses((status = 200, body = Template), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_template(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<TemplateInput>,
) -> Result<axum::Json<Template>, ApiError> {
    let by = staff.require(PLANNERS)?.id;
    Ok(axum::Json(
        state.scripts.save_template(Some(id), input, by).await?,
    ))
}

/// Delete a template (operator); scripts made from it keep their segments.
#[utoipa::path(delete, path = "/api/v1/script-templates/{id}", tag = "scripts", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_template(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(PLANNERS)?;
    state.scripts.delete_template(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct AutoReplies {
    pub rules: Vec<AutoReply>,
    /// Seconds a rule waits before answering again.
    pub cooldown_seconds: i64,
}

/// A session's keyword auto-replies (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/auto-replies", tag = "scripts", params(("id" = i64, Path)),
    responses((status = 200, body = AutoReplies), (status = 404, body = ErrorBody)))]
pub async fn auto_replies(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<AutoReplies>, ApiError> {
    state.sessions.get(id).await?;
    Ok(axum::Json(AutoReplies {
        rules: autoreply::load(&state.store, id).await?,
        cooldown_seconds: autoreply::COOLDOWN_MS / 1000,
    }))
}

/// Replace a session's auto-replies (operator, host, controller); a live room applies them at once.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/auto-replies", tag = "scripts", params(("id" = i64, Path)),
    request_body = AutoReplyList,
    responses((status = 200, body = AutoReplies), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn put_auto_replies(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<AutoReplyList>,
) -> Result<axum::Json<AutoReplies>, ApiError> {
    staff.require(RUNNERS)?;
    let session = state.sessions.get(id).await?;
    if !session.state.is_open() {
        return Err(sellstream_live::LiveError::Closed(session.state).into());
    }
    let rules = autoreply::replace(&state.store, id, input.rules).await?;
    state.rooms.auto_replies_changed(id, rules.clone()).await;
    Ok(axum::Json(AutoReplies {
        rules,
        cooldown_seconds: autoreply::COOLDOWN_MS / 1000,
    }))
}
