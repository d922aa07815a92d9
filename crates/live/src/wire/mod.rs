//! The room's wire: a WebSocket (RFC 6455) frame codec of our own, so that a tick's frame is
//! encoded once and the same bytes go to every connection, and a connection costs a small, lazily
//! grown read buffer instead of a library's fixed one. `protocol` is the JSON spoken inside.

pub mod protocol;
pub mod ws;
