//! Payments: the providers' callback, and the sandbox provider's own pay page API (what a real
//! provider would host on its side).

use crate::auth::Customer;
use crate::extract::{Json, Path};
use crate::{ApiError, AppState, ErrorBody};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use sellstream_commerce::orders::{CallbackOutcome, PaymentInfo};
use sellstream_commerce::payment::{Callback, PayMethod};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CallbackAnswer {
    pub outcome: CallbackOutcome,
}

/// The payment provider's server-to-server callback. The body and its signature header are the
/// provider's (sandbox: JSON signed with HMAC-SHA256 in `X-Sandbox-Signature`, docs/payments.md).
/// Forged or stale signatures and replayed nonces get 401; an amount that does not match 422;
/// a second callback for a recorded payment 200 `duplicate`. No sign-in: the signature is the proof.
#[utoipa::path(post, path = "/api/v1/payments/sandbox/notify", tag = "payments", security(()),
    responses((status = 200, body = CallbackAnswer), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<CallbackAnswer>, ApiError> {
    let cb = Callback {
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    };
    Ok(axum::Json(CallbackAnswer {
        outcome: handle(&state, &cb).await?,
    }))
}

/// Applies a callback and counts its outcome.
async fn handle(state: &AppState, cb: &Callback) -> Result<CallbackOutcome, ApiError> {
    let result = state.orders.handle_callback(cb).await;
    let kind = match &result {
        Ok(o) => serde_json::to_value(o)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        Err(e) => sellstream_core::Coded::code(e).as_str().to_owned(),
    };
    crate::Metrics::count(&state.metrics.payment_callbacks, &kind);
    Ok(result?)
}

/// A payment attempt for the sandbox pay page: amount, order number, state (the payer's own).
#[utoipa::path(get, path = "/api/v1/sandbox-pay/{trade_no}", tag = "payments", params(("trade_no" = String, Path)),
    responses((status = 200, body = PaymentInfo), (status = 404, body = ErrorBody)))]
pub async fn info(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(trade_no): Path<String>,
) -> Result<axum::Json<PaymentInfo>, ApiError> {
    let info = state.orders.payment(&trade_no).await?;
    state.orders.get_for(me.id, info.order_id).await?;
    Ok(axum::Json(info))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    pub method: PayMethod,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmAnswer {
    pub outcome: CallbackOutcome,
    pub order_id: i64,
}

/// The payer confirms on the sandbox pay page. The sandbox then sends its signed callback to the
/// order service exactly as a provider's server would, and answers with what it did.
#[utoipa::path(post, path = "/api/v1/sandbox-pay/{trade_no}/confirm", tag = "payments",
    params(("trade_no" = String, Path)), request_body = ConfirmInput,
    responses((status = 200, body = ConfirmAnswer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(trade_no): Path<String>,
    Json(input): Json<ConfirmInput>,
) -> Result<axum::Json<ConfirmAnswer>, ApiError> {
    let info = state.orders.payment(&trade_no).await?;
    state.orders.get_for(me.id, info.order_id).await?;
    if info.state == "succeeded" {
        // Confirmed twice (a double tap, a reload): the payment stands, nothing changes.
        return Ok(axum::Json(ConfirmAnswer {
            outcome: CallbackOutcome::Duplicate,
            order_id: info.order_id,
        }));
    }
    if info.state != "pending" {
        return Err(ApiError::new(
            sellstream_core::ErrorCode::IllegalTransition,
            format!("this payment attempt is {}", info.state),
        ));
    }
    let cb = state
        .sandbox
        .confirm(&trade_no, info.amount_fen, input.method.as_str());
    Ok(axum::Json(ConfirmAnswer {
        outcome: handle(&state, &cb).await?,
        order_id: info.order_id,
    }))
}
