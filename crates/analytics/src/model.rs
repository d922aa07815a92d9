//! What an analytics event is: a kind, the session it belongs to, who did it (a customer, or an
//! anonymous device), the product if any, and when. Codes are stored as integers; their names are
//! the API's and docs/metrics.md's.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// What happened. The numbers are stored; never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(i64)]
pub enum Kind {
    /// The session's card was shown to a viewer (home list, a share): the top of the funnel.
    Impression = 1,
    /// A viewer entered the room (live: a WebSocket joined; replay: the player opened).
    Enter = 2,
    /// A watch reached 3 seconds: one page view (PV).
    View = 3,
    /// A viewer left; `value` is the milliseconds watched.
    Leave = 4,
    Chat = 5,
    /// `value` likes (the room counts taps, not who tapped).
    Like = 6,
    Share = 7,
    Follow = 8,
    /// A vote, a question, a lottery entry.
    Interact = 9,
    /// A product card was shown.
    Exposure = 10,
    BagOpen = 11,
    /// A product's detail or buy sheet was opened.
    Click = 12,
    /// Buy tapped with a quantity (`units`).
    Cart = 13,
    /// One line of a placed order: `units` bought, `value` payable fen; `ref_id` the order.
    OrderPlaced = 20,
    OrderPaid = 21,
    OrderCancelled = 22,
    /// One refunded line: `value` fen given back.
    OrderRefunded = 23,
    OrderShipped = 24,
    OrderDelivered = 25,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Impression,
        Kind::Enter,
        Kind::View,
        Kind::Leave,
        Kind::Chat,
        Kind::Like,
        Kind::Share,
        Kind::Follow,
        Kind::Interact,
        Kind::Exposure,
        Kind::BagOpen,
        Kind::Click,
        Kind::Cart,
        Kind::OrderPlaced,
        Kind::OrderPaid,
        Kind::OrderCancelled,
        Kind::OrderRefunded,
        Kind::OrderShipped,
        Kind::OrderDelivered,
    ];

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Impression => "impression",
            Kind::Enter => "enter",
            Kind::View => "view",
            Kind::Leave => "leave",
            Kind::Chat => "chat",
            Kind::Like => "like",
            Kind::Share => "share",
            Kind::Follow => "follow",
            Kind::Interact => "interact",
            Kind::Exposure => "exposure",
            Kind::BagOpen => "bag_open",
            Kind::Click => "click",
            Kind::Cart => "cart",
            Kind::OrderPlaced => "order_placed",
            Kind::OrderPaid => "order_paid",
            Kind::OrderCancelled => "order_cancelled",
            Kind::OrderRefunded => "order_refunded",
            Kind::OrderShipped => "order_shipped",
            Kind::OrderDelivered => "order_delivered",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What a viewer's page may report. The rest come from the room's and the orders' own logs,
    /// which the page cannot forge.
    pub fn from_page(self) -> bool {
        matches!(
            self,
            Kind::Impression
                | Kind::Enter
                | Kind::View
                | Kind::Leave
                | Kind::Share
                | Kind::Exposure
                | Kind::BagOpen
                | Kind::Click
                | Kind::Cart
        )
    }

    pub fn needs_product(self) -> bool {
        matches!(
            self,
            Kind::Exposure
                | Kind::Click
                | Kind::Cart
                | Kind::OrderPlaced
                | Kind::OrderPaid
                | Kind::OrderCancelled
                | Kind::OrderRefunded
        )
    }
}

/// `flags` bit: the event is about a replay, not the live show.
pub const FLAG_REPLAY: i64 = 1;
/// `flags` bit: the first line of its order (orders are counted once, lines per product).
pub const FLAG_FIRST_LINE: i64 = 2;

/// One event as stored in `analytics_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub session_id: i64,
    pub kind: Kind,
    /// A customer's account id (> 0), an anonymous device's key (< 0), or 0 for nobody in
    /// particular (the room's like counter).
    pub viewer: i64,
    pub product_id: Option<i64>,
    pub ref_id: Option<i64>,
    pub units: i64,
    pub value: i64,
    pub flags: i64,
    /// Where the viewer came from (a promotion's tracking code), when known.
    pub channel: Option<String>,
    pub at: i64,
}

impl Event {
    pub fn new(session_id: i64, kind: Kind, viewer: i64, at: i64) -> Self {
        Self {
            session_id,
            kind,
            viewer,
            product_id: None,
            ref_id: None,
            units: 0,
            value: 0,
            flags: 0,
            channel: None,
            at,
        }
    }

    pub fn replay(&self) -> bool {
        self.flags & FLAG_REPLAY != 0
    }
}

/// The viewer key of an anonymous device: a stable negative number from its id, so that a device
/// is one viewer across its visits without a lookup table.
/// Only letters and digits count (the first 40), as the room takes them from its URL.
pub fn device_viewer(device: &str) -> i64 {
    let id: String = device
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    let digest = Sha256::digest(id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    -((i64::from_le_bytes(b) & (i64::MAX >> 1)) + 1)
}

/// The viewer key of someone: the customer when signed in, else their device.
pub fn viewer_of(customer: Option<i64>, device: Option<&str>) -> i64 {
    match (customer, device) {
        (Some(c), _) if c > 0 => c,
        (_, Some(d)) if d.chars().any(|c| c.is_ascii_alphanumeric()) => device_viewer(d),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_code(99), None);
    }

    #[test]
    fn devices_are_negative_stable_and_distinct() {
        let a = device_viewer("device-a");
        assert!(a < 0);
        assert_eq!(a, device_viewer("device-a"));
        assert_ne!(a, device_viewer("device-b"));
        assert_eq!(viewer_of(Some(7), Some("device-a")), 7);
        assert_eq!(viewer_of(None, Some("device-a")), a);
        assert_eq!(viewer_of(None, None), 0);
        assert_eq!(
            device_viewer("device-a"),
            device_viewer("devicea"),
            "as the room reads it"
        );
    }
}
