//! The live room: one owner task per room ([`engine`]), its rules ([`state`]), chat moderation
//! ([`moderation`]), the durable event log ([`log`]) and the per-connection loop ([`conn`]).

pub mod conn;
pub mod engine;
pub mod log;
pub mod moderation;
pub mod outbox;
pub mod sampling;
pub mod state;

pub use engine::{BannedWord, Connection, RoomConfig, RoomCounters, RoomStats, Rooms};
pub use log::DrawnLottery;
pub use moderation::WordCategory;
pub use state::Actor;
