use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::{Account, HostRef, NewStaff, Role, StaffPatch};
use sellstream_core::{ErrorCode, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// Only staff holding this role.
    pub role: Option<String>,
    /// Part of a username or nickname.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Staff accounts (admin; talent managers read it to book interviewers).
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(StaffQuery),
    responses((status = 200, body = Page<Account>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<StaffQuery>,
) -> Result<axum::Json<Page<Account>>, ApiError> {
    staff.require(&[Role::Admin, Role::TalentManager])?;
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            ApiError::new(ErrorCode::ValidationFailed, format!("role: no role `{r}`"))
        })?),
        None => None,
    };
    let page = PageRequest {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(axum::Json(
        state
            .accounts
            .list_staff(role, q.q.as_deref(), page)
            .await?,
    ))
}

/// Create a staff account (admin).
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = NewStaff,
    responses((status = 201, body = Account), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Json(new): Json<NewStaff>,
) -> Result<(StatusCode, axum::Json<Account>), ApiError> {
    staff.require(&[Role::Admin])?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.accounts.create_staff(new).await?),
    ))
}

/// Change a staff member's nickname, roles or disabled flag (admin). Disabling signs them out.
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", request_body = StaffPatch,
    params(("id" = i64, Path)),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(patch): Json<StaffPatch>,
) -> Result<axum::Json<Account>, ApiError> {
    let me = staff.require(&[Role::Admin])?;
    if me.id == id
        && (patch.disabled == Some(true)
            || patch
                .roles
                .as_ref()
                .is_some_and(|r| !r.contains(&Role::Admin)))
    {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "you cannot disable yourself or remove your own admin role",
        ));
    }
    Ok(axum::Json(state.accounts.update_staff(id, patch).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordRequest {
    pub password: String,
}

/// Reset a staff member's password (admin); their sessions end.
#[utoipa::path(post, path = "/api/v1/staff/{id}/password", tag = "staff", request_body = PasswordRequest,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_password(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(req): Json<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    staff.require(&[Role::Admin])?;
    let target = state.accounts.get(id).await?;
    if !target.is_staff() {
        return Err(ApiError::not_found(format_args!("staff account {id}")));
    }
    state.accounts.set_password(id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct HostList {
    pub items: Vec<HostRef>,
}

/// Staff who can host a session (any staff).
#[utoipa::path(get, path = "/api/v1/hosts", tag = "staff", responses((status = 200, body = HostList)))]
pub async fn hosts(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<HostList>, ApiError> {
    Ok(axum::Json(HostList {
        items: state.accounts.hosts().await?,
    }))
}
