use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_core::ErrorCode;
use sellstream_live::room::{BannedWord, WordCategory};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WordQuery {
    /// Part of a word.
    pub q: Option<String>,
    /// `abuse`, `contact`, `trading` or `custom`.
    pub category: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WordList {
    pub items: Vec<BannedWord>,
}

fn category(s: &str) -> Result<WordCategory, ApiError> {
    WordCategory::parse(s).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ValidationFailed,
            "category: abuse, contact, trading or custom",
        )
    })
}

/// The banned-word list chat is checked against (admin, controller).
#[utoipa::path(get, path = "/api/v1/moderation/words", tag = "moderation", params(WordQuery),
    responses((status = 200, body = WordList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<WordQuery>,
) -> Result<axum::Json<WordList>, ApiError> {
    staff.require(&[Role::Controller])?;
    let cat = q
        .category
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(category)
        .transpose()?;
    let items = state
        .rooms
        .words(q.q.as_deref().map(str::trim), cat)
        .await?;
    Ok(axum::Json(WordList { items }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewWord {
    pub word: String,
    pub category: String,
}

/// Add a banned word; every room applies it at once (admin).
#[utoipa::path(post, path = "/api/v1/moderation/words", tag = "moderation", request_body = NewWord,
    responses((status = 201, body = BannedWord), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Json(w): Json<NewWord>,
) -> Result<(StatusCode, axum::Json<BannedWord>), ApiError> {
    staff.require(&[Role::Admin])?;
    let cat = category(&w.category)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.rooms.add_word(&w.word, cat).await?),
    ))
}

/// Remove a banned word (admin).
#[utoipa::path(delete, path = "/api/v1/moderation/words/{word}", tag = "moderation", params(("word" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    Path(word): Path<String>,
) -> Result<StatusCode, ApiError> {
    staff.require(&[Role::Admin])?;
    if state.rooms.remove_word(&word).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format_args!("banned word `{word}`")))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CheckRequest {
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckResult {
    pub ok: bool,
    /// Why the text would be refused.
    pub reason: Option<String>,
}

/// Would this chat text pass moderation? (any staff)
#[utoipa::path(post, path = "/api/v1/moderation/check", tag = "moderation", request_body = CheckRequest,
    responses((status = 200, body = CheckResult)))]
pub async fn check(
    State(state): State<AppState>,
    _staff: Staff,
    Json(req): Json<CheckRequest>,
) -> axum::Json<CheckResult> {
    let result = state.rooms.check_words(&req.text);
    axum::Json(CheckResult {
        ok: result.is_ok(),
        reason: result.err(),
    })
}
