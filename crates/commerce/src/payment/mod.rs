//! Payment providers. The order service speaks only this trait: start a payment (where to send
//! the customer), verify a server-to-server callback (signature, timestamp, the fields it
//! carries), and refund. Replays, duplicates, late payments and amount mismatches are the order
//! service's business, the same for every provider. Adding a real provider (Alipay, WeChat Pay)
//! means implementing [`PaymentProvider`]; docs/payments.md says how.

mod sandbox;

pub use sandbox::{SandboxNotice, SandboxProvider, SIGNATURE_HEADER};

use crate::CommerceError;
use sellstream_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use utoipa::ToSchema;

/// How the customer pays at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    Alipay,
    Wechat,
}

impl PayMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alipay => "alipay",
            Self::Wechat => "wechat",
        }
    }
}

/// A payment to start.
#[derive(Debug, Clone)]
pub struct PayRequest<'a> {
    /// Our reference for this attempt (商户订单号), unique per attempt.
    pub trade_no: &'a str,
    pub order_number: &'a str,
    pub amount_fen: i64,
    pub method: PayMethod,
    pub subject: &'a str,
    /// The provider should give up after this time.
    pub expires_at: Timestamp,
}

/// Where the customer goes to pay.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayStart {
    pub pay_url: String,
}

/// A callback as it arrived: header names in lower case, the raw body.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// What a verified callback says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub trade_no: String,
    /// The provider's own transaction id.
    pub provider_txn: String,
    pub amount_fen: i64,
    pub method: String,
    /// The payment succeeded (a provider may also report closed or failed attempts).
    pub success: bool,
    /// Unique per callback; a second one with the same nonce is a replay.
    pub nonce: String,
    pub timestamp: Timestamp,
}

#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    pub trade_no: &'a str,
    pub provider_txn: &'a str,
    /// Our reference for this refund, unique: a provider refunds once per reference.
    pub refund_no: &'a str,
    pub amount_fen: i64,
    pub reason: &'a str,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A payment provider. Implementations hold their keys and endpoints; nothing else in the order
/// path knows which provider runs.
pub trait PaymentProvider: Send + Sync + 'static {
    /// Stable name, stored with every payment (`sandbox`, `alipay`, …).
    fn name(&self) -> &'static str;

    /// Starts a payment at the provider.
    fn start<'a>(&'a self, req: PayRequest<'a>) -> BoxFuture<'a, Result<PayStart, CommerceError>>;

    /// Checks a callback's signature and timestamp (at most [`CALLBACK_WINDOW_MS`] from `now`)
    /// and reads it. Anything that fails is [`CommerceError::InvalidSignature`].
    fn verify(&self, callback: &Callback, now: Timestamp) -> Result<Notification, CommerceError>;

    /// Refunds (part of) a payment; returns the provider's refund reference.
    fn refund<'a>(&'a self, req: RefundRequest<'a>)
        -> BoxFuture<'a, Result<String, CommerceError>>;
}

/// How far a callback's timestamp may be from our clock.
pub const CALLBACK_WINDOW_MS: i64 = 5 * 60 * 1000;
