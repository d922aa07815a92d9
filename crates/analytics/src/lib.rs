//! Analytics (plan ch. 9): every viewer action and order movement lands once in the event log
//! (`analytics_events`); rollups kept from it in the same transactions feed the live dashboard,
//! the post-live review (复盘), the session list and trends, and exports. Formulas:
//! docs/metrics.md; design: docs/architecture.md.

pub mod attribution;
pub mod competitors;
pub mod crossplatform;
pub mod db;
mod error;
pub mod evaluate;
pub mod export;
pub mod gen;
pub mod imports;
pub mod list;
pub mod metrics;
pub mod model;
pub mod report;
pub mod rollup;
mod service;
pub mod sources;
pub mod stats;
pub mod value;

pub use error::AnalyticsError;
pub use metrics::{Counts, Metrics};
pub use model::{device_viewer, viewer_of, Event, Kind};
pub use report::{Live, Report};
pub use service::{
    backfill, Analytics, Ingested, PageBatch, PageEvent, Rejected, SessionInfo,
    MAX_BATCHES_PER_10S, MAX_BATCH_EVENTS,
};
