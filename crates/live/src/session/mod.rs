//! A live session and its rules. `state` is the state machine (no I/O); `store` applies it.

mod state;
mod store;

pub use state::{SessionState, Theme};
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
    /// Channel code: `own` for the brand's own room.
    pub channel: String,
    pub host_id: Option<i64>,
    pub host_name: Option<String>,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    pub cover_url: Option<String>,
    pub state: SessionState,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
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
    #[serde(default = "own_channel")]
    pub channel: String,
    pub host_id: Option<i64>,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    pub cover_url: Option<String>,
}

fn own_channel() -> String {
    "own".to_owned()
}

/// A numbered slot of the shopping bag (1 is the first product viewers see).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BagItem {
    pub position: i64,
    pub product: Product,
}

/// What a viewer may see of a session: the session and the on-shelf products of its bag.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSession {
    #[serde(flatten)]
    pub session: LiveSession,
    pub bag: Vec<BagItem>,
}
