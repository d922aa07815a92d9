//! The category tree under `/api/v1/categories`.

use crate::auth::Staff;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_commerce::{Category, CategoryInput};

/// Who may change the tree.
const WRITERS: &[Role] = &[Role::Operator];

/// Every category, as the tree reads top-down (any staff).
#[utoipa::path(get, path = "/api/v1/categories", tag = "products",
    responses((status = 200, body = Vec<Category>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<Vec<Category>>, ApiError> {
    Ok(axum::Json(state.catalog.categories().await?))
}

/// Create a category, at the top or under a parent (admin, operator).
#[utoipa::path(post, path = "/api/v1/categories", tag = "products", request_body = CategoryInput,
    responses((status = 201, body = Category), (status = 409, body = ErrorBody, description = "already_exists"),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<CategoryInput>,
) -> Result<(StatusCode, axum::Json<Category>), ApiError> {
    staff.require(WRITERS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.catalog.create_category(input).await?),
    ))
}

/// Rename, reorder or move a category (admin, operator).
#[utoipa::path(put, path = "/api/v1/categories/{id}", tag = "products", params(("id" = i64, Path)),
    request_body = CategoryInput,
    responses((status = 200, body = Category), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<CategoryInput>,
) -> Result<axum::Json<Category>, ApiError> {
    staff.require(WRITERS)?;
    Ok(axum::Json(state.catalog.update_category(id, input).await?))
}

/// Delete a category without subcategories; its products become uncategorised (admin, operator).
#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "products", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "conflict")))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(WRITERS)?;
    state.catalog.delete_category(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
