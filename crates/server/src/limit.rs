//! Token buckets for buying: a customer or an address that floods `POST /orders` is slowed with
//! 429 before any work is done, so one account cannot crowd out a flash sale's other buyers.
//! In memory, per node.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// One bucket per key: `burst` tokens, refilled at `per_second`.
pub struct Buckets {
    burst: f64,
    per_second: f64,
    map: Mutex<HashMap<u64, (f64, Instant)>>,
}

/// Keys kept at most; past this, buckets that are full again are dropped.
const MAX_KEYS: usize = 200_000;

impl Buckets {
    pub fn new(burst: u32, per_second: u32) -> Self {
        Self {
            burst: f64::from(burst),
            per_second: f64::from(per_second),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`; `Err(seconds)` to wait when there is none.
    pub fn take(&self, key: u64) -> Result<(), f64> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            let (burst, rate) = (self.burst, self.per_second);
            map.retain(|_, (t, at)| *t + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = map.entry(key).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / self.per_second)
        }
    }
}

/// The limits on placing orders.
pub struct BuyLimits {
    pub per_customer: Buckets,
    pub per_address: Buckets,
}

impl BuyLimits {
    /// Per customer `(burst, per second)`, 10 and 2 by default; per address 1,000 at once and
    /// 500 a second (many buyers share one address behind a carrier's NAT).
    pub fn new(per_customer: Option<(u32, u32)>) -> Self {
        let (burst, rate) = per_customer.unwrap_or((10, 2));
        Self {
            per_customer: Buckets::new(burst, rate),
            per_address: Buckets::new(1_000, 500),
        }
    }

    pub fn check(&self, customer: i64, address: IpAddr) -> Result<(), f64> {
        let ip = match address {
            IpAddr::V4(v4) => u64::from(u32::from(v4)),
            IpAddr::V6(v6) => (u128::from(v6) >> 64) as u64 | (1 << 63),
        };
        self.per_address.take(ip)?;
        self.per_customer.take(customer as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_its_burst_then_refuses_until_it_refills() {
        let b = Buckets::new(3, 1);
        for _ in 0..3 {
            assert!(b.take(7).is_ok());
        }
        let wait = b.take(7).unwrap_err();
        assert!(wait > 0.0 && wait <= 1.0, "{wait}");
        assert!(b.take(8).is_ok(), "keys are separate");
    }
}
