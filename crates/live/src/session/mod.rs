//! A live session and its rules. `state` is the state machine (no I/O); `store` applies it.

mod state;
mod store;

pub use state::{Format, SessionState, Theme};
pub use store::{SessionFilter, Sessions};

use sellstream_commerce::Product;
use sellstream_core::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One show (直播场次) on one channel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveSession {
    pub id: i64,
    pub title: String,
    pub theme: Theme,
    pub format: Format,
    /// The festival sale it belongs to (618, 双11…), if any.
    pub festival: Option<String>,
    /// The offer of the session as a whole (满减, gifts, coupons), in words.
    pub promotion_policy: String,
    /// Channel code: `own` for the brand's own room.
    pub channel: String,
    pub host_id: Option<i64>,
    pub host_name: Option<String>,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    pub cover_url: Option<String>,
    #[serde(flatten)]
    pub targets: Targets,
    pub state: SessionState,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Set for a private practice session of this training course: only staff open its room,
    /// viewers never see it listed and it takes no orders.
    pub practice_course_id: Option<i64>,
    /// Products in the shopping bag.
    pub bag_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    pub title: String,
    pub theme: Theme,
    #[serde(default)]
    pub format: Format,
    /// Up to 20 characters.
    #[serde(default)]
    pub festival: Option<String>,
    /// Up to 500 characters.
    #[serde(default)]
    pub promotion_policy: String,
    #[serde(default = "own_channel")]
    pub channel: String,
    pub host_id: Option<i64>,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    pub cover_url: Option<String>,
    /// Targets, each optional (see [`Targets`]).
    pub target_gmv_fen: Option<i64>,
    pub target_viewers: Option<i64>,
    pub target_orders: Option<i64>,
}

impl SessionInput {
    pub fn targets(&self) -> Targets {
        Targets {
            target_gmv_fen: self.target_gmv_fen,
            target_viewers: self.target_viewers,
            target_orders: self.target_orders,
        }
    }
}

/// What the session is meant to reach; the review sets the actuals against them. Staff only:
/// viewers never see them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Targets {
    /// Paid GMV after refunds, in fen.
    pub target_gmv_fen: Option<i64>,
    /// Unique viewers (UV, a view counted after 3 s).
    pub target_viewers: Option<i64>,
    /// Paid orders.
    pub target_orders: Option<i64>,
}

impl LiveSession {
    /// The session as the public API shows it: without the team's targets.
    pub fn for_viewers(mut self) -> Self {
        self.targets = Targets::default();
        self
    }
}

fn own_channel() -> String {
    "own".to_owned()
}

/// A numbered slot of the shopping bag (1 is the first product viewers see).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BagItem {
    pub position: i64,
    pub product: Product,
    /// This session's live prices (直播价) for some of the product's SKUs; the others sell at
    /// their list price.
    pub live_prices: Vec<LivePrice>,
}

/// A SKU's price in one session's room, at most its list price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LivePrice {
    pub sku_id: i64,
    pub price_fen: i64,
}

impl BagItem {
    /// The lowest price a viewer pays for this product in this session.
    pub fn live_price_min_fen(&self) -> Option<i64> {
        self.product
            .skus
            .iter()
            .map(|s| {
                self.live_prices
                    .iter()
                    .find(|p| p.sku_id == s.id)
                    .map_or(s.price_fen, |p| p.price_fen.min(s.price_fen))
            })
            .min()
            .filter(|_| !self.live_prices.is_empty())
    }
}

/// What a viewer may see of a session: the session and the on-shelf products of its bag.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSession {
    #[serde(flatten)]
    pub session: LiveSession,
    pub bag: Vec<BagItem>,
}
