//! Failed sign-ins are limited per account and per client address over a sliding window, in memory.
//! Each node counts its own; behind a load balancer the effective limit is per node (see
//! docs/api.md).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Remembers failed sign-ins and says when to refuse more.
pub struct SignInLimiter {
    per_account: usize,
    per_address: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Keys kept at most; past this the oldest are dropped so an attack cannot grow memory.
const MAX_KEYS: usize = 100_000;

impl SignInLimiter {
    pub fn new(per_account: usize, per_address: usize, window: Duration) -> Self {
        Self {
            per_account,
            per_address,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Five failures per account and thirty per address in fifteen minutes.
    pub fn standard() -> Self {
        Self::new(5, 30, Duration::from_secs(15 * 60))
    }

    /// `Err(seconds)` to wait when either key has used its failures.
    pub fn check(&self, login: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("limiter lock");
        let mut wait = 0;
        for (key, limit) in [
            (account_key(login), self.per_account),
            (address_key(address), self.per_address),
        ] {
            if let Some(q) = map.get_mut(&key) {
                prune(q, now, self.window);
                if q.len() >= limit {
                    let oldest = *q.front().expect("non-empty");
                    let left = self.window.saturating_sub(now - oldest);
                    wait = wait.max(left.as_secs().max(1));
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, login: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().expect("limiter lock");
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, q| {
                prune(q, now, window);
                !q.is_empty()
            });
        }
        for key in [account_key(login), address_key(address)] {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn record_success(&self, login: &str) {
        self.failures
            .lock()
            .expect("limiter lock")
            .remove(&account_key(login));
    }
}

fn account_key(login: &str) -> String {
    format!("a:{}", login.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("i:{address}")
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_account_limit_and_clears_on_success() {
        let l = SignInLimiter::new(2, 100, Duration::from_secs(60));
        assert!(l.check("Ann", "1.1.1.1").is_ok());
        l.record_failure("ann", "1.1.1.1");
        l.record_failure("ANN", "2.2.2.2");
        assert!(l.check("ann", "3.3.3.3").is_err());
        assert!(l.check("bob", "1.1.1.1").is_ok());
        l.record_success("ann");
        assert!(l.check("ann", "3.3.3.3").is_ok());
    }

    #[test]
    fn refuses_after_the_address_limit() {
        let l = SignInLimiter::new(100, 3, Duration::from_secs(60));
        for i in 0..3 {
            l.record_failure(&format!("user{i}"), "9.9.9.9");
        }
        assert!(l.check("someone-else", "9.9.9.9").is_err());
        assert!(l.check("someone-else", "8.8.8.8").is_ok());
    }

    #[test]
    fn forgets_after_the_window() {
        let l = SignInLimiter::new(1, 1, Duration::from_millis(20));
        l.record_failure("a", "x");
        assert!(l.check("a", "x").is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(l.check("a", "x").is_ok());
    }
}
