//! Money is an integer number of fen (1/100 CNY). Never a float.

use serde::{Deserialize, Serialize};

/// An amount in fen. Signed so that discounts and refunds can be expressed as lines.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Prices and stock values larger than this are refused as input (¥100 million).
    pub const MAX_PRICE: Fen = Fen(10_000_000_000);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

impl std::fmt::Display for Fen {
    /// `¥129.00`, `-¥0.50`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_yuan_with_two_decimals() {
        assert_eq!(Fen(12900).to_string(), "¥129.00");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-50).to_string(), "-¥0.50");
    }
}
