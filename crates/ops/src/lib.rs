//! Operations behind live selling. For now the deployment's brand settings and its channels;
//! platform choice, the calendar, scripts, compliance and hosts join here later.

mod brand;
mod channels;
mod error;

pub use brand::{Brand, BrandSettings};
pub use channels::{Channel, Channels, NewChannel, PLATFORMS};
pub use error::OpsError;
