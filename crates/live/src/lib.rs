//! Live sessions (直播场次): their schedule, the state machine scheduled → live → ended (or
//! cancelled) and the numbered shopping bag. The real-time room engine joins here next.

pub mod autoreply;
mod error;
pub mod room;
pub mod session;
pub mod wire;

pub use error::LiveError;
pub use room::{Actor, RoomConfig, RoomStats, Rooms};
pub use session::{
    BagItem, Format, LivePrice, LiveSession, PublicSession, SessionFilter, SessionInput,
    SessionState, Sessions, Theme,
};
