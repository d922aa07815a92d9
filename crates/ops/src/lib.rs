//! Operations behind live selling: the deployment's brand settings, its channels and the
//! advertising-law compliance check; platform choice, the calendar, scripts and hosts join here.

pub mod announce;
mod brand;
pub mod calendar;
mod channels;
pub mod compliance;
mod error;
pub mod hosts;
pub mod outbox;
pub mod platforms;
pub mod poster;
pub mod practice;
pub mod reviews;
pub mod scripts;
pub mod talent;
pub mod training;

pub use announce::Announcements;
pub use brand::{Brand, BrandSettings};
pub use calendar::Planner;
pub use channels::{Channel, ChannelEdit, Channels, NewChannel, PLATFORMS};
pub use compliance::Compliance;
pub use error::OpsError;
pub use hosts::Hosts;
pub use outbox::Outbox;
pub use platforms::Platforms;
pub use practice::Practice;
pub use reviews::Reviews;
pub use scripts::Scripts;
pub use talent::Talent;
pub use training::Training;
