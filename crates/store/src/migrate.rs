//! Migrations, one folder per backend, embedded in the binary. Applied in order, each in its own
//! transaction, recorded in `sellstream_migrations`; running them twice changes nothing.

use crate::{Backend, Store, StoreError};
use sqlx::Row;

/// One schema step. Versions are the same on both backends; their SQL differs where it must.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_room"),
    migration!(3, "0003_catalog"),
    migration!(4, "0004_live_prices"),
    migration!(5, "0005_addresses"),
    migration!(6, "0006_orders"),
    migration!(7, "0007_flash_sales"),
    migration!(8, "0008_media"),
    migration!(9, "0009_analytics"),
    migration!(10, "0010_compliance"),
    migration!(11, "0011_platforms"),
    migration!(12, "0012_reviews"),
    migration!(13, "0013_scripts"),
    migration!(14, "0014_calendar"),
    migration!(15, "0015_announce"),
    migration!(16, "0016_talent"),
    migration!(17, "0017_host_profiles"),
    migration!(18, "0018_training"),
    migration!(19, "0019_practice"),
    migration!(20, "0020_customer_values"),
    migration!(21, "0021_imports"),
    migration!(22, "0022_competitors"),
];

#[derive(Debug, Default)]
pub struct MigrationReport {
    pub applied: Vec<(i64, &'static str)>,
    pub already: usize,
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS sellstream_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

impl Store {
    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        let mut report = MigrationReport::default();
        sqlx::query(CREATE_TABLE).execute(self.pool()).await?;
        for m in MIGRATIONS {
            let mut tx = self.begin().await?;
            if self.backend() == Backend::Postgres {
                // Several nodes may start at once: one migrates, the others wait and then skip.
                sqlx::query("SELECT pg_advisory_xact_lock(7305112946)")
                    .execute(&mut *tx)
                    .await?;
            }
            let done: Option<i64> =
                sqlx::query("SELECT version FROM sellstream_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.get(0));
            if done.is_some() {
                report.already += 1;
                continue;
            }
            let sql = match self.backend() {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let wrap = |source| StoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            };
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(wrap)?;
            sqlx::query(
                "INSERT INTO sellstream_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(sellstream_core::Timestamp::now().millis())
            .execute(&mut *tx)
            .await
            .map_err(wrap)?;
            tx.commit().await.map_err(wrap)?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
            report.applied.push((m.version, m.name));
        }
        let newest: Option<i64> = sqlx::query("SELECT MAX(version) FROM sellstream_migrations")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        if let Some(found) = newest.filter(|v| *v > known) {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        Ok(report)
    }
}
