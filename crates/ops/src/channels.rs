use crate::OpsError;
use sellstream_store::{Row, Store};
use serde::Serialize;
use utoipa::ToSchema;

/// Where a session goes out: the brand's own room now; Taobao Live, Douyin, Kuaishou and WeChat
/// Channels accounts later.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Channel {
    pub code: String,
    /// `own`, `taobao`, `douyin`, `kuaishou` or `wechat_channels`.
    pub platform: String,
    pub name: String,
}

#[derive(Clone)]
pub struct Channels {
    store: Store,
}

impl Channels {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn list(&self) -> Result<Vec<Channel>, OpsError> {
        let rows =
            sqlx::query("SELECT code, platform, name FROM channels ORDER BY created_at, code")
                .fetch_all(self.store.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Channel {
                    code: r.try_get("code")?,
                    platform: r.try_get("platform")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }
}
