//! The sandbox provider: a complete provider that moves no money. Its pay page (served by the
//! web app at `/pay/{trade_no}`) looks like the familiar Alipay / WeChat Pay choice; confirming
//! there makes the sandbox send a callback signed exactly as documented in docs/payments.md:
//! HMAC-SHA256 with the shared secret over the canonical fields, with a timestamp and a nonce.

use super::{
    BoxFuture, Callback, Notification, PayRequest, PayStart, PaymentProvider, RefundRequest,
    CALLBACK_WINDOW_MS,
};
use crate::CommerceError;
use hmac::{Hmac, Mac};
use sellstream_core::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The header carrying the signature (lower-case hex).
pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";

pub struct SandboxProvider {
    secret: Vec<u8>,
}

/// The callback body. Field order is irrelevant: the signature covers the canonical string.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxNotice {
    pub trade_no: String,
    pub provider_txn: String,
    pub amount_fen: i64,
    pub method: String,
    /// `SUCCESS` or `CLOSED`.
    pub status: String,
    pub timestamp: i64,
    pub nonce: String,
}

impl SandboxNotice {
    /// `key=value` pairs sorted by key, joined with `&`: what the signature covers.
    pub fn canonical(&self) -> String {
        format!(
            "amount_fen={}&method={}&nonce={}&provider_txn={}&status={}&timestamp={}&trade_no={}",
            self.amount_fen,
            self.method,
            self.nonce,
            self.provider_txn,
            self.status,
            self.timestamp,
            self.trade_no
        )
    }
}

impl SandboxProvider {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length")
    }

    /// The signature of a notice, as the sandbox sends it.
    pub fn sign(&self, notice: &SandboxNotice) -> String {
        let mut mac = self.mac();
        mac.update(notice.canonical().as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The callback the sandbox sends when the customer confirms on its pay page.
    pub fn confirm(&self, trade_no: &str, amount_fen: i64, method: &str) -> Callback {
        let notice = SandboxNotice {
            trade_no: trade_no.to_owned(),
            provider_txn: format!("SBX{}", random_digits(18)),
            amount_fen,
            method: method.to_owned(),
            status: "SUCCESS".into(),
            timestamp: Timestamp::now().millis(),
            nonce: random_digits(24),
        };
        Callback {
            headers: [(SIGNATURE_HEADER.to_owned(), self.sign(&notice))].into(),
            body: serde_json::to_vec(&notice).unwrap_or_default(),
        }
    }
}

fn random_digits(n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rand::random_range(0..10u8)))
        .collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn start<'a>(&'a self, req: PayRequest<'a>) -> BoxFuture<'a, Result<PayStart, CommerceError>> {
        Box::pin(async move {
            Ok(PayStart {
                pay_url: format!("/pay/{}?method={}", req.trade_no, req.method.as_str()),
            })
        })
    }

    fn verify(&self, callback: &Callback, now: Timestamp) -> Result<Notification, CommerceError> {
        let bad = |m: &str| CommerceError::InvalidSignature(m.to_owned());
        let sig = callback
            .headers
            .get(SIGNATURE_HEADER)
            .and_then(|s| unhex(s.trim()))
            .ok_or_else(|| bad("missing or malformed signature header"))?;
        let notice: SandboxNotice = serde_json::from_slice(&callback.body)
            .map_err(|e| bad(&format!("unreadable callback body: {e}")))?;
        let mut mac = self.mac();
        mac.update(notice.canonical().as_bytes());
        // Constant-time comparison: a forger learns nothing from how long a refusal takes.
        mac.verify_slice(&sig)
            .map_err(|_| bad("the signature does not match"))?;
        if (now.millis() - notice.timestamp).abs() > CALLBACK_WINDOW_MS {
            return Err(bad(
                "the callback's timestamp is outside the accepted window",
            ));
        }
        if notice.nonce.len() < 8 || notice.nonce.len() > 64 {
            return Err(bad("the nonce must be 8 to 64 characters"));
        }
        Ok(Notification {
            trade_no: notice.trade_no,
            provider_txn: notice.provider_txn,
            amount_fen: notice.amount_fen,
            method: notice.method,
            success: notice.status == "SUCCESS",
            nonce: notice.nonce,
            timestamp: Timestamp::from_millis(notice.timestamp),
        })
    }

    fn refund<'a>(
        &'a self,
        req: RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<String, CommerceError>> {
        Box::pin(async move {
            if req.amount_fen <= 0 {
                return Err(CommerceError::Payment(
                    "refund amount must be positive".into(),
                ));
            }
            Ok(format!("SBR{}", random_digits(18)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> SandboxNotice {
        SandboxNotice {
            trade_no: "T1".into(),
            provider_txn: "P1".into(),
            amount_fen: 16900,
            method: "alipay".into(),
            status: "SUCCESS".into(),
            timestamp: Timestamp::now().millis(),
            nonce: "0123456789".into(),
        }
    }

    fn callback(p: &SandboxProvider, n: &SandboxNotice) -> Callback {
        Callback {
            headers: [(SIGNATURE_HEADER.to_owned(), p.sign(n))].into(),
            body: serde_json::to_vec(n).unwrap(),
        }
    }

    #[test]
    fn a_signed_callback_verifies_and_a_tampered_one_does_not() {
        let p = SandboxProvider::new("secret");
        let n = notice();
        let ok = p.verify(&callback(&p, &n), Timestamp::now()).unwrap();
        assert_eq!(ok.amount_fen, 16900);
        assert!(ok.success);
        let mut c = callback(&p, &n);
        c.body = serde_json::to_vec(&SandboxNotice {
            amount_fen: 1,
            ..n.clone()
        })
        .unwrap();
        assert!(matches!(
            p.verify(&c, Timestamp::now()),
            Err(CommerceError::InvalidSignature(_))
        ));
        let other = SandboxProvider::new("another secret");
        assert!(other.verify(&callback(&p, &n), Timestamp::now()).is_err());
    }

    #[test]
    fn stale_or_unsigned_callbacks_are_refused() {
        let p = SandboxProvider::new("secret");
        let n = SandboxNotice {
            timestamp: Timestamp::now().millis() - CALLBACK_WINDOW_MS - 1_000,
            ..notice()
        };
        assert!(p.verify(&callback(&p, &n), Timestamp::now()).is_err());
        let mut c = callback(&p, &notice());
        c.headers.clear();
        assert!(p.verify(&c, Timestamp::now()).is_err());
    }

    #[test]
    fn the_canonical_string_sorts_the_fields_by_name() {
        assert_eq!(
            notice()
                .canonical()
                .split('&')
                .map(|kv| kv.split('=').next().unwrap())
                .collect::<Vec<_>>(),
            [
                "amount_fen",
                "method",
                "nonce",
                "provider_txn",
                "status",
                "timestamp",
                "trade_no"
            ]
        );
    }
}
