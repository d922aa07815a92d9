use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_commerce::{Product, ProductFilter, ProductInput};
use sellstream_core::{Page, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;

/// Who may change the catalog.
const WRITERS: &[Role] = &[Role::Operator];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Part of the title, or an exact SKU code.
    pub q: Option<String>,
    pub on_shelf: Option<bool>,
    /// Products filed directly under this category.
    pub category_id: Option<i64>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Products, most recently changed first (any staff).
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(ProductQuery),
    responses((status = 200, body = Page<Product>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<ProductQuery>,
) -> Result<axum::Json<Page<Product>>, ApiError> {
    let filter = ProductFilter {
        q: q.q.filter(|s| !s.trim().is_empty()),
        on_shelf: q.on_shelf,
        category_id: q.category_id,
    };
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(axum::Json(state.catalog.list(&filter, page).await?))
}

/// Create a product with its SKUs (admin, operator).
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 409, body = ErrorBody, description = "duplicate_sku_code"),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<ProductInput>,
) -> Result<(StatusCode, axum::Json<Product>), ApiError> {
    staff.require(WRITERS)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.catalog.create(input).await?),
    ))
}

/// One product (any staff).
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<Product>, ApiError> {
    Ok(axum::Json(state.catalog.get(id).await?))
}

/// Replace a product and its SKUs (admin, operator): SKUs with an id are changed, without one are
/// added, and unlisted ones removed.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", params(("id" = i64, Path)),
    request_body = ProductInput,
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ProductInput>,
) -> Result<axum::Json<Product>, ApiError> {
    staff.require(WRITERS)?;
    Ok(axum::Json(state.catalog.update(id, input).await?))
}

/// Delete a product (admin, operator); refused while a session's bag holds it.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "product_in_use")))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    staff.require(WRITERS)?;
    state.catalog.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
