//! The category tree products are filed under (美妆 › 口红). Coupons and campaigns may be scoped
//! to a category; the pricing engine matches a product's category and its parents are not
//! implied (scope lists every category it covers).

use super::store::Catalog;
use crate::CommerceError;
use sellstream_core::Timestamp;
use sellstream_store::{unique_violation, AnyRow, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How deep the tree may go.
pub const MAX_DEPTH: usize = 4;
const MAX_NAME_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    /// Order among siblings, smallest first.
    pub position: i64,
    /// Products filed directly under this category.
    pub products: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub position: i64,
}

fn check(input: &CategoryInput) -> Result<String, CommerceError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(CommerceError::Invalid(format!(
            "name: 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_owned())
}

fn from_row(r: &AnyRow) -> Result<Category, sqlx::Error> {
    Ok(Category {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        position: r.try_get("position")?,
        products: r.try_get("products")?,
    })
}

const SELECT: &str = "SELECT c.id, c.name, c.parent_id, c.position,
    (SELECT COUNT(*) FROM products p WHERE p.category_id = c.id) AS products
    FROM categories c";

impl Catalog {
    /// Every category, parents before children, siblings by position then name.
    pub async fn categories(&self) -> Result<Vec<Category>, CommerceError> {
        let rows = sqlx::query(&format!("{SELECT} ORDER BY c.position, c.name, c.id"))
            .fetch_all(self.store().pool())
            .await?;
        let all = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        // Depth-first from the top so that a list reads as the tree.
        let mut out = Vec::with_capacity(all.len());
        let mut stack: Vec<&Category> =
            all.iter().filter(|c| c.parent_id.is_none()).rev().collect();
        while let Some(c) = stack.pop() {
            out.push(c.clone());
            stack.extend(all.iter().filter(|k| k.parent_id == Some(c.id)).rev());
        }
        Ok(out)
    }

    pub async fn category(&self, id: i64) -> Result<Category, CommerceError> {
        let row = sqlx::query(&format!("{SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(self.store().pool())
            .await?
            .ok_or(CommerceError::CategoryNotFound(id))?;
        Ok(from_row(&row)?)
    }

    pub async fn create_category(&self, input: CategoryInput) -> Result<Category, CommerceError> {
        let name = check(&input)?;
        if let Some(parent) = input.parent_id {
            self.check_parent(None, parent).await?;
        }
        let now = Timestamp::now().millis();
        let id: i64 = sqlx::query(
            "INSERT INTO categories (name, parent_id, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(&name)
        .bind(input.parent_id)
        .bind(input.position)
        .bind(now)
        .fetch_one(self.store().pool())
        .await
        .map_err(|e| name_taken(e, &name))?
        .try_get(0)?;
        self.category(id).await
    }

    /// Renames, reorders or moves a category (not under itself or its own descendants).
    pub async fn update_category(
        &self,
        id: i64,
        input: CategoryInput,
    ) -> Result<Category, CommerceError> {
        let name = check(&input)?;
        self.category(id).await?;
        if let Some(parent) = input.parent_id {
            self.check_parent(Some(id), parent).await?;
        }
        sqlx::query(
            "UPDATE categories SET name = $1, parent_id = $2, position = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(&name)
        .bind(input.parent_id)
        .bind(input.position)
        .bind(Timestamp::now().millis())
        .bind(id)
        .execute(self.store().pool())
        .await
        .map_err(|e| name_taken(e, &name))?;
        self.category(id).await
    }

    /// Deletes an empty-of-children category; its products become uncategorised.
    pub async fn delete_category(&self, id: i64) -> Result<(), CommerceError> {
        let mut tx = self.store().begin().await?;
        let children: i64 = sqlx::query("SELECT COUNT(*) FROM categories WHERE parent_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if children > 0 {
            return Err(CommerceError::CategoryInUse(id));
        }
        sqlx::query("UPDATE products SET category_id = NULL WHERE category_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM categories WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(CommerceError::CategoryNotFound(id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// `parent` exists, is not `id` nor below it, and the tree stays within [`MAX_DEPTH`].
    async fn check_parent(&self, id: Option<i64>, parent: i64) -> Result<(), CommerceError> {
        let mut depth = 1;
        let mut at = Some(parent);
        while let Some(c) = at {
            if Some(c) == id {
                return Err(CommerceError::Invalid(
                    "parent_id: a category cannot be moved under itself".into(),
                ));
            }
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(CommerceError::Invalid(format!(
                    "parent_id: categories nest at most {MAX_DEPTH} deep"
                )));
            }
            at = sqlx::query("SELECT parent_id FROM categories WHERE id = $1")
                .bind(c)
                .fetch_optional(self.store().pool())
                .await?
                .ok_or_else(|| CommerceError::Invalid(format!("parent_id: no category {c}")))?
                .try_get(0)?;
        }
        Ok(())
    }
}

fn name_taken(e: sqlx::Error, name: &str) -> CommerceError {
    if unique_violation(&e).is_some() {
        CommerceError::CategoryExists(name.to_owned())
    } else {
        e.into()
    }
}
