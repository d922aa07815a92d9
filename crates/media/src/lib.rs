//! Video without a home-made media server: nginx with the RTMP module ingests the host's stream
//! and serves HLS; sellstream keeps each session's stream key (hashed), answers nginx's publish
//! callbacks, writes nginx's configuration and supervises it.

mod error;
mod keys;
pub mod nginx;
mod recordings;
pub mod secrets;
mod service;
mod simulcast;
pub mod supervisor;

pub use error::MediaError;
pub use keys::StreamKey;
pub use recordings::{Chapter, Recording, Recordings, DEFAULT_RETENTION_DAYS};
pub use secrets::SecretBox;
pub use service::{stream_name, IssuedKey, KeyStatus, Media, MediaUrls, PublishGrant};
pub use simulcast::{Simulcast, Target};
