//! Customers' delivery addresses (收货地址). One may be the default; an account keeps at most
//! [`MAX_ADDRESSES`]. Orders will copy the address they ship to, so editing one never changes a
//! placed order.

use crate::{validate, Accounts, AccountsError};
use sellstream_core::Timestamp;
use sellstream_store::{AnyRow, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_ADDRESSES: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Address {
    pub id: i64,
    pub recipient: String,
    pub phone: String,
    /// Province, city and district, e.g. `浙江省 杭州市 西湖区`.
    pub region: String,
    /// Street, building and room.
    pub detail: String,
    pub is_default: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub recipient: String,
    pub phone: String,
    pub region: String,
    pub detail: String,
    #[serde(default)]
    pub is_default: bool,
}

fn bounded(field: &str, s: &str, min: usize, max: usize) -> Result<String, AccountsError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(AccountsError::Invalid(format!(
            "{field}: {min} to {max} characters"
        )));
    }
    Ok(t.to_owned())
}

/// Checks and normalises an address.
pub fn check(input: &AddressInput) -> Result<AddressInput, AccountsError> {
    Ok(AddressInput {
        recipient: bounded("recipient", &input.recipient, 1, 20)?,
        phone: validate::phone(&input.phone)?,
        region: bounded("region", &input.region, 2, 60)?,
        detail: bounded("detail", &input.detail, 2, 120)?,
        is_default: input.is_default,
    })
}

fn from_row(r: &AnyRow) -> Result<Address, sellstream_store::Sqlx> {
    Ok(Address {
        id: r.try_get("id")?,
        recipient: r.try_get("recipient")?,
        phone: r.try_get("phone")?,
        region: r.try_get("region")?,
        detail: r.try_get("detail")?,
        is_default: sellstream_store::get_flag(r, "is_default")?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
    })
}

const COLUMNS: &str = "id, recipient, phone, region, detail, is_default, created_at";

impl Accounts {
    /// The account's addresses, the default first, then the newest.
    pub async fn addresses(&self, account: i64) -> Result<Vec<Address>, AccountsError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM addresses WHERE account_id = $1
             ORDER BY is_default DESC, created_at DESC, id DESC"
        ))
        .bind(account)
        .fetch_all(self.store().pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// One of the account's addresses; someone else's is "not found".
    pub async fn address(&self, account: i64, id: i64) -> Result<Address, AccountsError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM addresses WHERE id = $1 AND account_id = $2"
        ))
        .bind(id)
        .bind(account)
        .fetch_optional(self.store().pool())
        .await?
        .ok_or(AccountsError::AddressNotFound(id))?;
        Ok(from_row(&row)?)
    }

    /// Adds an address; the first one, or one marked default, becomes the default.
    pub async fn add_address(
        &self,
        account: i64,
        input: &AddressInput,
    ) -> Result<Address, AccountsError> {
        let a = check(input)?;
        let now = Timestamp::now().millis();
        let mut tx = self.store().begin().await?;
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM addresses WHERE account_id = $1")
            .bind(account)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if count >= MAX_ADDRESSES {
            return Err(AccountsError::Invalid(format!(
                "an account keeps at most {MAX_ADDRESSES} addresses; delete one first"
            )));
        }
        let default = a.is_default || count == 0;
        if default {
            clear_default(&mut tx, account).await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO addresses (account_id, recipient, phone, region, detail, is_default,
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(account)
        .bind(&a.recipient)
        .bind(&a.phone)
        .bind(&a.region)
        .bind(&a.detail)
        .bind(default)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        self.address(account, id).await
    }

    /// Replaces an address. Marking it default takes the mark from the others; the default stays
    /// the default (another becomes default only by being marked).
    pub async fn update_address(
        &self,
        account: i64,
        id: i64,
        input: &AddressInput,
    ) -> Result<Address, AccountsError> {
        let a = check(input)?;
        let current = self.address(account, id).await?;
        let mut tx = self.store().begin().await?;
        let default = a.is_default || current.is_default;
        if default {
            clear_default(&mut tx, account).await?;
        }
        sqlx::query(
            "UPDATE addresses SET recipient = $1, phone = $2, region = $3, detail = $4,
             is_default = $5, updated_at = $6 WHERE id = $7 AND account_id = $8",
        )
        .bind(&a.recipient)
        .bind(&a.phone)
        .bind(&a.region)
        .bind(&a.detail)
        .bind(default)
        .bind(Timestamp::now().millis())
        .bind(id)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.address(account, id).await
    }

    /// Deletes an address; when it was the default, the newest remaining one becomes default.
    pub async fn delete_address(&self, account: i64, id: i64) -> Result<(), AccountsError> {
        let current = self.address(account, id).await?;
        let mut tx = self.store().begin().await?;
        sqlx::query("DELETE FROM addresses WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        if current.is_default {
            let next: Option<i64> = sqlx::query(
                "SELECT id FROM addresses WHERE account_id = $1
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(account)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.get(0));
            if let Some(next) = next {
                sqlx::query("UPDATE addresses SET is_default = $1 WHERE id = $2")
                    .bind(true)
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn clear_default(tx: &mut sellstream_store::Tx, account: i64) -> Result<(), AccountsError> {
    sqlx::query("UPDATE addresses SET is_default = $1 WHERE account_id = $2")
        .bind(false)
        .bind(account)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
