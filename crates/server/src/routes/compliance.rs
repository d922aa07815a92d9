//! The advertising-law check under `/api/v1/compliance`: check a text, scan what the brand has
//! published, and keep the rules (admins).

use crate::auth::Staff;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::http::StatusCode;
use sellstream_accounts::Role;
use sellstream_ops::compliance::{CheckResult, Hit, Rule, RuleInput};
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<Rule>,
}

/// Every rule, enabled or not, in the shape an import takes (any staff).
#[utoipa::path(get, path = "/api/v1/compliance/rules", tag = "compliance",
    responses((status = 200, body = RuleList), (status = 401, body = ErrorBody)))]
pub async fn rules(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<axum::Json<RuleList>, ApiError> {
    Ok(axum::Json(RuleList {
        items: state.compliance.list().await?,
    }))
}

/// Add a rule; it must flag its `example` (and not its `clean_example`) to be saved (admin).
#[utoipa::path(post, path = "/api/v1/compliance/rules", tag = "compliance", request_body = RuleInput,
    responses((status = 201, body = Rule), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "already_exists"), (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<RuleInput>,
) -> Result<(StatusCode, axum::Json<Rule>), ApiError> {
    let by = staff.require(&[Role::Admin])?.id;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.compliance.save(input, true, by).await?),
    ))
}

/// Replace a rule, e.g. to widen it, rewrite its advice or disable it (admin).
#[utoipa::path(put, path = "/api/v1/compliance/rules/{code}", tag = "compliance",
    params(("code" = String, Path)), request_body = RuleInput,
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_rule(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Json(mut input): Json<RuleInput>,
) -> Result<axum::Json<Rule>, ApiError> {
    let by = staff.require(&[Role::Admin])?.id;
    if input.code.trim() != code {
        return Err(ApiError::new(
            sellstream_core::ErrorCode::ValidationFailed,
            "code: a rule's code cannot change (add a new rule instead)",
        ));
    }
    input.code = code;
    Ok(axum::Json(state.compliance.save(input, false, by).await?))
}

/// Delete a rule the brand added; starter rules can only be disabled (admin).
#[utoipa::path(delete, path = "/api/v1/compliance/rules/{code}", tag = "compliance",
    params(("code" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    staff.require(&[Role::Admin])?;
    state.compliance.delete(&code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleImport {
    pub rules: Vec<RuleInput>,
}

#[derive(Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// Add or replace rules by code, all or nothing: one bad rule and nothing is saved (admin).
#[utoipa::path(post, path = "/api/v1/compliance/rules/import", tag = "compliance", request_body = RuleImport,
    responses((status = 200, body = Imported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_rules(
    State(state): State<AppState>,
    staff: Staff,
    Json(input): Json<RuleImport>,
) -> Result<axum::Json<Imported>, ApiError> {
    let by = staff.require(&[Role::Admin])?.id;
    Ok(axum::Json(Imported {
        imported: state.compliance.import(input.rules, by).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    pub text: String,
    /// ordinary, cosmetics, food, health_food or apparel: rules limited to other goods are
    /// skipped. Absent: every rule applies.
    pub goods: Option<String>,
}

/// Check a text (a script, product copy, an announcement, a coupon's wording) (any staff).
#[utoipa::path(post, path = "/api/v1/compliance/check", tag = "compliance", request_body = CheckInput,
    responses((status = 200, body = CheckResult), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    _staff: Staff,
    Json(input): Json<CheckInput>,
) -> Result<axum::Json<CheckResult>, ApiError> {
    Ok(axum::Json(
        state
            .compliance
            .check(&input.text, input.goods.as_deref())
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct ScanQuery {
    /// Only findings of this severity (block or warn).
    pub severity: Option<String>,
}

/// One piece of published wording with what the check found in it.
#[derive(Serialize, ToSchema)]
pub struct Finding {
    /// product, coupon, campaign or session.
    pub kind: String,
    pub id: i64,
    /// The field: title, description or name.
    pub field: String,
    /// What the record is called, to find it.
    pub label: String,
    pub hits: Vec<Hit>,
}

#[derive(Serialize, ToSchema)]
pub struct Scan {
    /// Pieces of wording read.
    pub checked: usize,
    pub findings: Vec<Finding>,
}

/// Check everything the brand has put into words: products' titles and descriptions, coupons'
/// and campaigns' names, and the titles of sessions not yet over (any staff).
#[utoipa::path(get, path = "/api/v1/compliance/scan", tag = "compliance", params(ScanQuery),
    responses((status = 200, body = Scan), (status = 422, body = ErrorBody)))]
pub async fn scan(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<ScanQuery>,
) -> Result<axum::Json<Scan>, ApiError> {
    if let Some(s) = &q.severity {
        if !sellstream_ops::compliance::SEVERITIES.contains(&s.as_str()) {
            return Err(ApiError::new(
                sellstream_core::ErrorCode::ValidationFailed,
                "severity: block or warn",
            ));
        }
    }
    let pool = state.store.pool();
    let mut texts: Vec<(&str, i64, &str, String, String)> = Vec::new();
    for r in sqlx::query("SELECT id, title, description FROM products ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(sellstream_store::StoreError::from)?
    {
        let (id, title): (i64, String) = (r.get(0), r.get(1));
        texts.push(("product", id, "title", title.clone(), title.clone()));
        texts.push(("product", id, "description", title, r.get(2)));
    }
    for (kind, table) in [("coupon", "coupons"), ("campaign", "campaigns")] {
        for r in sqlx::query(&format!("SELECT id, name FROM {table} ORDER BY id"))
            .fetch_all(pool)
            .await
            .map_err(sellstream_store::StoreError::from)?
        {
            let name: String = r.get(1);
            texts.push((kind, r.get(0), "name", name.clone(), name));
        }
    }
    for r in sqlx::query(
        "SELECT id, title FROM live_sessions WHERE state IN ('scheduled', 'live') ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .map_err(sellstream_store::StoreError::from)?
    {
        let title: String = r.get(1);
        texts.push(("session", r.get(0), "title", title.clone(), title));
    }
    let mut findings = Vec::new();
    let checked = texts.len();
    let checker = state.compliance.checker(None).await?;
    for (kind, id, field, label, text) in texts {
        let mut hits = checker.check(&text)?.hits;
        if let Some(s) = &q.severity {
            hits.retain(|h| &h.severity == s);
        }
        if !hits.is_empty() {
            findings.push(Finding {
                kind: kind.into(),
                id,
                field: field.into(),
                label,
                hits,
            });
        }
    }
    Ok(axum::Json(Scan { checked, findings }))
}
