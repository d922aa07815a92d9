//! Shared vocabulary of sellstream: money in fen, time in UTC, pagination and the stable error codes.
//! Every other crate speaks these types; nothing here does I/O.

pub mod error;
pub mod money;
pub mod page;
pub mod time;
pub mod url;

pub use error::{Coded, ErrorCode};
pub use money::Fen;
pub use page::{Page, PageRequest};
pub use time::Timestamp;
