//! Competitor watch (plan §2.2): competitor rooms and brands as records, what was observed of
//! their sessions — entered by hand while watching, or imported from an export with the same
//! reader and mapping as the brand's own — and their figures set beside ours period by period.
//! docs/competitors.md.

use crate::imports::{self, SessionRow};
use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_core::Timestamp;
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub const PLATFORMS: [&str; 4] = ["taobao", "douyin", "kuaishou", "other"];

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetitorInput {
    pub name: String,
    #[serde(default)]
    pub brand: String,
    /// taobao, douyin, kuaishou or other.
    pub platform: String,
    /// The room's account on the platform (抖音号, 快手号, 淘宝直播间).
    pub room: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Competitor {
    pub id: i64,
    pub name: String,
    pub brand: String,
    pub platform: String,
    pub room: String,
    pub category: String,
    pub notes: String,
    pub observations: i64,
    pub last_observed: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationInput {
    pub started_at: Timestamp,
    #[serde(default)]
    pub title: String,
    pub uv: Option<i64>,
    pub pcu: Option<i64>,
    /// Estimated GMV in fen (third-party tools or the public sales counters).
    pub gmv_fen: Option<i64>,
    pub orders: Option<i64>,
    pub avg_price_fen: Option<i64>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Observation {
    pub id: i64,
    pub competitor_id: i64,
    pub started_at: Timestamp,
    pub title: String,
    pub uv: Option<i64>,
    pub pcu: Option<i64>,
    pub gmv_fen: Option<i64>,
    pub orders: Option<i64>,
    pub avg_price_fen: Option<i64>,
    pub notes: String,
    /// entered or import.
    pub source: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObservationImport {
    pub added: i64,
    pub updated: i64,
    pub preview: imports::Preview,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WatchQuery {
    /// Default: 180 days back.
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// week or month (default), Beijing time.
    pub by: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Figures {
    pub sessions: i64,
    /// Means per session of what was known.
    pub uv_avg: Option<f64>,
    pub pcu_avg: Option<f64>,
    pub gmv_fen_avg: Option<f64>,
    pub gmv_fen: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WatchPeriod {
    pub period: String,
    /// Our own sessions (all channels, measured by sellstream).
    pub ours: Figures,
    /// Competitor id → their figures in the period.
    pub competitors: BTreeMap<i64, Figures>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Watch {
    pub by: String,
    pub competitors: Vec<Competitor>,
    pub periods: Vec<WatchPeriod>,
}

#[derive(Default)]
struct Acc {
    n: i64,
    uv: (f64, i64),
    pcu: (f64, i64),
    gmv: (f64, i64),
    gmv_total: i64,
}

impl Acc {
    fn add(&mut self, uv: Option<i64>, pcu: Option<i64>, gmv: Option<i64>) {
        self.n += 1;
        for (slot, v) in [
            (&mut self.uv, uv),
            (&mut self.pcu, pcu),
            (&mut self.gmv, gmv),
        ] {
            if let Some(v) = v {
                slot.0 += v as f64;
                slot.1 += 1;
            }
        }
        self.gmv_total += gmv.unwrap_or(0);
    }

    fn figures(&self) -> Figures {
        let avg = |(s, n): (f64, i64)| (n > 0).then(|| (s / n as f64 * 10.0).round() / 10.0);
        Figures {
            sessions: self.n,
            uv_avg: avg(self.uv),
            pcu_avg: avg(self.pcu),
            gmv_fen_avg: avg(self.gmv),
            gmv_fen: self.gmv_total,
        }
    }
}

fn text(field: &str, v: &str, max: usize, required: bool) -> Result<String, AnalyticsError> {
    let v = v.trim();
    if (required && v.is_empty()) || v.chars().count() > max {
        return Err(AnalyticsError::Invalid(format!(
            "{field}: {} to {max} characters",
            if required { 1 } else { 0 }
        )));
    }
    Ok(v.to_owned())
}

fn figure(field: &str, v: Option<i64>) -> Result<(), AnalyticsError> {
    match v {
        Some(v) if !(0..=1_000_000_000_000).contains(&v) => Err(AnalyticsError::Invalid(format!(
            "{field}: a whole number from 0, or left out"
        ))),
        _ => Ok(()),
    }
}

const SELECT: &str = "SELECT c.id, c.name, c.brand, c.platform, c.room, c.category, c.notes,
    (SELECT COUNT(*) FROM competitor_observations o WHERE o.competitor_id = c.id),
    (SELECT MAX(o.started_at) FROM competitor_observations o WHERE o.competitor_id = c.id),
    c.created_at, c.updated_at FROM competitors c";

fn competitor_from(r: &sellstream_store::AnyRow) -> Result<Competitor, AnalyticsError> {
    Ok(Competitor {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        brand: r.try_get(2)?,
        platform: r.try_get(3)?,
        room: r.try_get(4)?,
        category: r.try_get(5)?,
        notes: r.try_get(6)?,
        observations: r.try_get(7)?,
        last_observed: r.try_get::<Option<i64>, _>(8)?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.try_get(9)?),
        updated_at: Timestamp::from_millis(r.try_get(10)?),
    })
}

impl Analytics {
    pub async fn competitors(&self) -> Result<Vec<Competitor>, AnalyticsError> {
        let rows = sqlx::query(&format!("{SELECT} ORDER BY c.name, c.id"))
            .fetch_all(self.store().pool())
            .await?;
        rows.iter().map(competitor_from).collect()
    }

    pub async fn competitor(&self, id: i64) -> Result<Competitor, AnalyticsError> {
        let r = sqlx::query(&format!("{SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(self.store().pool())
            .await?
            .ok_or_else(|| AnalyticsError::NotFound(format!("competitor {id}")))?;
        competitor_from(&r)
    }

    /// Adds (`id` None) or edits a competitor; one record per platform and room (409).
    pub async fn save_competitor(
        &self,
        id: Option<i64>,
        input: CompetitorInput,
        by: i64,
    ) -> Result<Competitor, AnalyticsError> {
        let name = text("name", &input.name, 60, true)?;
        let brand = text("brand", &input.brand, 60, false)?;
        let room = text("room", &input.room, 120, true)?;
        let category = text("category", &input.category, 40, false)?;
        let notes = text("notes", &input.notes, 2000, false)?;
        if !PLATFORMS.contains(&input.platform.as_str()) {
            return Err(AnalyticsError::Invalid(format!(
                "platform: one of {}",
                PLATFORMS.join(", ")
            )));
        }
        let taken: Option<i64> =
            sqlx::query("SELECT id FROM competitors WHERE platform = $1 AND room = $2")
                .bind(&input.platform)
                .bind(&room)
                .fetch_optional(self.store().pool())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        if taken.is_some_and(|t| Some(t) != id) {
            return Err(AnalyticsError::Conflict(format!(
                "{} room {room} is already watched",
                input.platform
            )));
        }
        let now = Timestamp::now().millis();
        let id = match id {
            None => sqlx::query(
                "INSERT INTO competitors (name, brand, platform, room, category, notes, created_by,
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(&name)
            .bind(&brand)
            .bind(&input.platform)
            .bind(&room)
            .bind(&category)
            .bind(&notes)
            .bind(by)
            .bind(now)
            .fetch_one(self.store().pool())
            .await?
            .try_get(0)?,
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE competitors SET name = $1, brand = $2, platform = $3, room = $4,
                     category = $5, notes = $6, updated_at = $7 WHERE id = $8",
                )
                .bind(&name)
                .bind(&brand)
                .bind(&input.platform)
                .bind(&room)
                .bind(&category)
                .bind(&notes)
                .bind(now)
                .bind(id)
                .execute(self.store().pool())
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(AnalyticsError::NotFound(format!("competitor {id}")));
                }
                id
            }
        };
        self.competitor(id).await
    }

    /// Removes a competitor with its observations.
    pub async fn delete_competitor(&self, id: i64) -> Result<(), AnalyticsError> {
        let n = sqlx::query("DELETE FROM competitors WHERE id = $1")
            .bind(id)
            .execute(self.store().pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(AnalyticsError::NotFound(format!("competitor {id}")));
        }
        Ok(())
    }

    pub async fn observations(&self, competitor: i64) -> Result<Vec<Observation>, AnalyticsError> {
        self.competitor(competitor).await?;
        let rows = sqlx::query(
            "SELECT id, competitor_id, started_at, title, uv, pcu, gmv_fen, orders, avg_price_fen,
                    notes, source, created_at
             FROM competitor_observations WHERE competitor_id = $1 ORDER BY started_at DESC",
        )
        .bind(competitor)
        .fetch_all(self.store().pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Observation {
                    id: r.try_get(0)?,
                    competitor_id: r.try_get(1)?,
                    started_at: Timestamp::from_millis(r.try_get(2)?),
                    title: r.try_get(3)?,
                    uv: r.try_get(4)?,
                    pcu: r.try_get(5)?,
                    gmv_fen: r.try_get(6)?,
                    orders: r.try_get(7)?,
                    avg_price_fen: r.try_get(8)?,
                    notes: r.try_get(9)?,
                    source: r.try_get(10)?,
                    created_at: Timestamp::from_millis(r.try_get(11)?),
                })
            })
            .collect()
    }

    /// Records what was seen of one competitor session; the same start again replaces it.
    pub async fn observe(
        &self,
        competitor: i64,
        input: ObservationInput,
        by: i64,
    ) -> Result<Vec<Observation>, AnalyticsError> {
        self.competitor(competitor).await?;
        let title = text("title", &input.title, 120, false)?;
        let notes = text("notes", &input.notes, 2000, false)?;
        for (f, v) in [
            ("uv", input.uv),
            ("pcu", input.pcu),
            ("gmv_fen", input.gmv_fen),
            ("orders", input.orders),
            ("avg_price_fen", input.avg_price_fen),
        ] {
            figure(f, v)?;
        }
        if [input.uv, input.pcu, input.gmv_fen, input.orders]
            .iter()
            .all(Option::is_none)
        {
            return Err(AnalyticsError::Invalid(
                "give at least one figure: uv, pcu, gmv_fen or orders".into(),
            ));
        }
        if input.started_at.millis() > Timestamp::now().millis() + 86_400_000 {
            return Err(AnalyticsError::Invalid(
                "started_at: an observed session is not in the future".into(),
            ));
        }
        let row = SessionRow {
            row: 0,
            room: String::new(),
            title,
            host: None,
            started_at: input.started_at.millis(),
            duration_ms: None,
            uv: input.uv,
            pv: None,
            pcu: input.pcu,
            avg_watch_ms: None,
            new_followers: None,
            comments: None,
            gmv_fen: input.gmv_fen,
            orders: input.orders,
            buyers: None,
            conversion: None,
            refund_fen: None,
        };
        let mut tx = self.store().begin_write().await?;
        upsert(
            &mut tx,
            competitor,
            &row,
            input.avg_price_fen,
            &notes,
            "entered",
            by,
        )
        .await?;
        tx.commit().await?;
        self.observations(competitor).await
    }

    pub async fn delete_observation(&self, competitor: i64, id: i64) -> Result<(), AnalyticsError> {
        let n =
            sqlx::query("DELETE FROM competitor_observations WHERE id = $1 AND competitor_id = $2")
                .bind(id)
                .bind(competitor)
                .execute(self.store().pool())
                .await?
                .rows_affected();
        if n == 0 {
            return Err(AnalyticsError::NotFound(format!("observation {id}")));
        }
        Ok(())
    }

    /// Imports a competitor's sessions from an export (the platform's mapping; rows for other
    /// rooms are left out), all or nothing; rejected rows refuse the file.
    pub async fn import_observations(
        &self,
        competitor: i64,
        file_name: &str,
        bytes: &[u8],
        by: i64,
    ) -> Result<ObservationImport, AnalyticsError> {
        let c = self.competitor(competitor).await?;
        let platform = if c.platform == "other" {
            "douyin"
        } else {
            c.platform.as_str()
        };
        let mapping = self.import_mapping(platform, "sessions").await?;
        let (mut preview, rows) = imports::parse_file(bytes, &mapping.columns, Some(&c.room))?;
        preview.platform = c.platform.clone();
        preview.kind = "competitor".into();
        preview.file_name = file_name.chars().take(200).collect();
        preview.bytes = bytes.len();
        imports::refuse_rejected(&preview, "Fix the file and import it again.")?;
        let mine: Vec<&SessionRow> = rows.iter().filter(|r| r.room == c.room).collect();
        if mine.is_empty() {
            return Err(AnalyticsError::Invalid(format!(
                "no rows for room {} in the file",
                c.room
            )));
        }
        let mut tx = self.store().begin_write().await?;
        let (mut added, mut updated) = (0, 0);
        for r in mine {
            if upsert(&mut tx, competitor, r, None, "", "import", by).await? {
                updated += 1;
            } else {
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(ObservationImport {
            added,
            updated,
            preview,
        })
    }

    /// Our sessions and the competitors', period by period.
    pub async fn watch(&self, q: &WatchQuery) -> Result<Watch, AnalyticsError> {
        let to = q.to.unwrap_or_else(|| Timestamp::now().millis());
        let from = q.from.unwrap_or(to - 180 * 86_400_000);
        if to <= from {
            return Err(AnalyticsError::Invalid("to: must be after from".into()));
        }
        let by = q.by.clone().unwrap_or_else(|| "month".into());
        if by != "week" && by != "month" {
            return Err(AnalyticsError::Invalid("by: week or month".into()));
        }
        let mut periods: BTreeMap<String, (Acc, BTreeMap<i64, Acc>)> = BTreeMap::new();
        for (s, c) in self.rows(Some(from), Some(to), None, None, None).await? {
            let m = crate::metrics::Metrics::from_counts(&c, s.duration_ms);
            let at = s.started_at.unwrap_or(s.scheduled_start);
            let (key, _) = crate::list::period(at, &by);
            periods
                .entry(key)
                .or_default()
                .0
                .add(Some(m.uv), Some(m.pcu), Some(m.gmv_fen));
        }
        for r in sqlx::query(
            "SELECT competitor_id, started_at, uv, pcu, gmv_fen FROM competitor_observations
             WHERE started_at >= $1 AND started_at < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.store().pool())
        .await?
        {
            let (key, _) = crate::list::period(r.try_get(1)?, &by);
            periods
                .entry(key)
                .or_default()
                .1
                .entry(r.try_get(0)?)
                .or_default()
                .add(r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
        }
        Ok(Watch {
            by,
            competitors: self.competitors().await?,
            periods: periods
                .into_iter()
                .map(|(period, (ours, theirs))| WatchPeriod {
                    period,
                    ours: ours.figures(),
                    competitors: theirs.into_iter().map(|(k, a)| (k, a.figures())).collect(),
                })
                .collect(),
        })
    }
}

/// Writes one observation; answers whether it replaced an earlier one.
async fn upsert(
    tx: &mut sellstream_store::Tx,
    competitor: i64,
    r: &SessionRow,
    avg_price_fen: Option<i64>,
    notes: &str,
    source: &str,
    by: i64,
) -> Result<bool, AnalyticsError> {
    let existed: Option<i64> = sqlx::query(
        "SELECT id FROM competitor_observations WHERE competitor_id = $1 AND started_at = $2",
    )
    .bind(competitor)
    .bind(r.started_at)
    .fetch_optional(&mut **tx)
    .await?
    .map(|x| x.try_get(0))
    .transpose()?;
    let avg_price = avg_price_fen.or(match (r.gmv_fen, r.orders) {
        (Some(g), Some(o)) if o > 0 => Some(g / o),
        _ => None,
    });
    sqlx::query(
        "INSERT INTO competitor_observations (competitor_id, started_at, title, uv, pcu, gmv_fen,
         orders, avg_price_fen, notes, source, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (competitor_id, started_at) DO UPDATE SET title = excluded.title,
         uv = excluded.uv, pcu = excluded.pcu, gmv_fen = excluded.gmv_fen, orders = excluded.orders,
         avg_price_fen = excluded.avg_price_fen, notes = excluded.notes, source = excluded.source",
    )
    .bind(competitor)
    .bind(r.started_at)
    .bind(&r.title)
    .bind(r.uv)
    .bind(r.pcu)
    .bind(r.gmv_fen)
    .bind(r.orders)
    .bind(avg_price)
    .bind(notes)
    .bind(source)
    .bind(by)
    .bind(Timestamp::now().millis())
    .execute(&mut **tx)
    .await?;
    Ok(existed.is_some())
}
