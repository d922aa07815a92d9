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
    /// The account as the platform shows it (e.g. @brand_official).
    pub account: String,
    /// Who watches there, what works: the team's notes.
    pub notes: String,
    /// The last characters of the RTMP stream key, when push credentials are set (the URL and key
    /// themselves are never shown back).
    pub push_hint: Option<String>,
}

/// The platforms a channel can be on.
pub const PLATFORMS: [&str; 5] = ["own", "taobao", "douyin", "kuaishou", "wechat_channels"];

#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub code: String,
    pub platform: String,
    pub name: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub notes: String,
}

/// What can change on a channel (its code and platform cannot).
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelEdit {
    pub name: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub notes: String,
}

/// Trims and checks a channel's name, account and notes.
fn described(name: &str, account: &str, notes: &str) -> Result<(String, String, String), OpsError> {
    let (name, account, notes) = (name.trim(), account.trim(), notes.trim());
    if name.is_empty() || name.chars().count() > 60 {
        return Err(OpsError::Invalid("name: 1 to 60 characters".into()));
    }
    if account.chars().count() > 60 {
        return Err(OpsError::Invalid("account: at most 60 characters".into()));
    }
    if notes.chars().count() > 2_000 {
        return Err(OpsError::Invalid("notes: at most 2,000 characters".into()));
    }
    Ok((name.to_owned(), account.to_owned(), notes.to_owned()))
}

#[derive(Clone)]
pub struct Channels {
    store: Store,
}

impl Channels {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Adds a platform account as a channel (`code`: short, lowercase, e.g. `douyin-main`).
    pub async fn create(&self, input: NewChannel) -> Result<Channel, OpsError> {
        let code = input.code.trim().to_owned();
        if code.is_empty()
            || code.len() > 40
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(OpsError::Invalid(
                "code: 1 to 40 of a-z, 0-9, - and _".into(),
            ));
        }
        if !PLATFORMS.contains(&input.platform.as_str()) || input.platform == "own" {
            return Err(OpsError::Invalid(format!(
                "platform: one of {}",
                PLATFORMS[1..].join(", ")
            )));
        }
        let (name, account, notes) = described(&input.name, &input.account, &input.notes)?;
        let inserted = sqlx::query(
            "INSERT INTO channels (code, platform, name, account, notes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&code)
        .bind(&input.platform)
        .bind(&name)
        .bind(&account)
        .bind(&notes)
        .bind(sellstream_core::Timestamp::now().millis())
        .execute(self.store.pool())
        .await;
        match inserted {
            Ok(_) => Ok(Channel {
                code,
                platform: input.platform,
                name,
                account,
                notes,
                push_hint: None,
            }),
            Err(e) if sellstream_store::unique_violation(&e).is_some() => Err(
                OpsError::AlreadyExists(format!("code: `{code}` is already a channel")),
            ),
            Err(e) => Err(e.into()),
        }
    }

    /// Renames a channel or updates its account and audience notes.
    pub async fn edit(&self, code: &str, input: ChannelEdit) -> Result<Channel, OpsError> {
        let (name, account, notes) = described(&input.name, &input.account, &input.notes)?;
        let n =
            sqlx::query("UPDATE channels SET name = $1, account = $2, notes = $3 WHERE code = $4")
                .bind(&name)
                .bind(&account)
                .bind(&notes)
                .bind(code)
                .execute(self.store.pool())
                .await?
                .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!("channel `{code}`")));
        }
        self.list()
            .await?
            .into_iter()
            .find(|c| c.code == code)
            .ok_or_else(|| OpsError::NotFound(format!("channel `{code}`")))
    }

    pub async fn list(&self) -> Result<Vec<Channel>, OpsError> {
        let rows = sqlx::query(
            "SELECT code, platform, name, account, notes, push_hint FROM channels ORDER BY created_at, code",
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Channel {
                    code: r.try_get("code")?,
                    platform: r.try_get("platform")?,
                    name: r.try_get("name")?,
                    account: r.try_get("account")?,
                    notes: r.try_get("notes")?,
                    push_hint: r.try_get("push_hint")?,
                })
            })
            .collect()
    }
}
