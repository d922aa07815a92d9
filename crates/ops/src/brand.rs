use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The brand this deployment sells for: shown in the console, the room and receipts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    pub name: String,
    pub logo_url: Option<String>,
    /// IANA time zone in which times are shown (default `Asia/Shanghai`).
    pub time_zone: String,
    /// ISO 4217 code; amounts are integers in its minor unit. Only `CNY` for now.
    pub currency: String,
}

/// Reads and writes the single brand settings row.
#[derive(Clone)]
pub struct BrandSettings {
    store: Store,
}

impl BrandSettings {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn get(&self) -> Result<Brand, OpsError> {
        let r = sqlx::query(
            "SELECT name, logo_url, time_zone, currency FROM brand_settings WHERE id = 1",
        )
        .fetch_one(self.store.pool())
        .await?;
        Ok(Brand {
            name: r.try_get("name")?,
            logo_url: r.try_get("logo_url")?,
            time_zone: r.try_get("time_zone")?,
            currency: r.try_get("currency")?,
        })
    }

    pub async fn set(&self, brand: Brand) -> Result<Brand, OpsError> {
        let brand = check(brand)?;
        sqlx::query(
            "UPDATE brand_settings SET name = $1, logo_url = $2, time_zone = $3, currency = $4, updated_at = $5
             WHERE id = 1",
        )
        .bind(&brand.name)
        .bind(&brand.logo_url)
        .bind(&brand.time_zone)
        .bind(&brand.currency)
        .bind(Timestamp::now().millis())
        .execute(self.store.pool())
        .await?;
        self.get().await
    }
}

fn check(mut b: Brand) -> Result<Brand, OpsError> {
    b.name = b.name.trim().to_owned();
    if !(1..=60).contains(&b.name.chars().count()) {
        return Err(OpsError::Invalid("name: 1–60 characters".into()));
    }
    b.logo_url = b
        .logo_url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    if let Some(u) = &b.logo_url {
        if !sellstream_core::url::is_asset_url(u) {
            return Err(OpsError::Invalid(
                "logo_url: an http(s) URL or a path starting with /".into(),
            ));
        }
    }
    let tz_ok = b.time_zone == "UTC"
        || b.time_zone.split_once('/').is_some_and(|(area, city)| {
            !area.is_empty()
                && !city.is_empty()
                && b.time_zone
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        });
    if !tz_ok {
        return Err(OpsError::Invalid(
            "time_zone: an IANA zone such as Asia/Shanghai".into(),
        ));
    }
    if b.currency != "CNY" {
        return Err(OpsError::Invalid("currency: only CNY is supported".into()));
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brand() -> Brand {
        Brand {
            name: " 花间 ".into(),
            logo_url: Some("".into()),
            time_zone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
        }
    }

    #[test]
    fn normalises_and_checks() {
        let b = check(brand()).unwrap();
        assert_eq!(b.name, "花间");
        assert_eq!(b.logo_url, None);
        assert!(check(Brand {
            time_zone: "Shanghai".into(),
            ..brand()
        })
        .is_err());
        assert!(check(Brand {
            currency: "USD".into(),
            ..brand()
        })
        .is_err());
    }
}
