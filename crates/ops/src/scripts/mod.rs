//! Run-of-show scripts (直播脚本, plan §4.1.4): a session's ordered segments, versioned on every
//! save; reusable templates; a pasted script split into segments; the segments as they actually ran.

mod diff;
mod split;

pub use diff::{diff_scripts, FieldChange, LineChange, ScriptDiff, SegmentChange};
pub use split::{split_script, Split};

use crate::compliance::{Compliance, Hit};
use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

pub const MAX_SEGMENTS: usize = 60;
pub const MAX_TEXT_CHARS: usize = 10_000;
/// All the words of a script together (texts, promotions, props).
pub const MAX_SCRIPT_CHARS: usize = 100_000;
const MAX_TITLE_CHARS: usize = 80;
const MAX_SHORT_CHARS: usize = 500;
const MAX_PEOPLE: usize = 10;
const MAX_PRODUCTS: usize = 20;
const MAX_SEGMENT_MINUTES: i64 = 600;
const MAX_NOTE_CHARS: usize = 200;
const MAX_TEMPLATES: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    Opening,
    ProductIntro,
    Interaction,
    Promotion,
    Closing,
    Custom,
}

impl SegmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::ProductIntro => "product_intro",
            Self::Interaction => "interaction",
            Self::Promotion => "promotion",
            Self::Closing => "closing",
            Self::Custom => "custom",
        }
    }
}

/// One segment of a run of show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub kind: SegmentKind,
    pub title: String,
    /// Planned length, 1–600.
    pub minutes: i64,
    /// Who is on (host, assistant, guest…), as names or roles.
    #[serde(default)]
    pub people: Vec<String>,
    /// Products shown, in order; the first is the one to pin.
    #[serde(default)]
    pub products: Vec<i64>,
    /// A flash sale of this session already launched that the segment is about (not in templates).
    #[serde(default)]
    pub flash_sale_id: Option<i64>,
    /// The flash sale the live panel launches with one click when the segment comes (its fields
    /// are those of `POST /sessions/{id}/flash-sales`); its SKU is of one of the segment's products.
    #[serde(default)]
    pub flash: Option<FlashPlan>,
    /// The offer to announce (price, coupon, gift).
    #[serde(default)]
    pub promotion: String,
    /// What the host says.
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub props: String,
}

/// A flash sale planned in a script, launched from the live panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashPlan {
    pub sku_id: i64,
    /// Units set aside from the SKU's stock at launch.
    pub quota: i64,
    pub price_fen: i64,
    #[serde(default = "one")]
    pub per_customer: i64,
    #[serde(default)]
    pub members_only: bool,
    /// Seconds of countdown in the room before it opens.
    #[serde(default = "ten")]
    pub countdown_secs: i64,
    /// How long it runs once open.
    #[serde(default = "six_hundred")]
    pub duration_secs: i64,
}

fn one() -> i64 {
    1
}
fn ten() -> i64 {
    10
}
fn six_hundred() -> i64 {
    600
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptInput {
    pub segments: Vec<Segment>,
    /// The version this edit started from; a save over a newer version is refused (409) so two
    /// editors never overwrite each other unseen. Omit for the first version.
    #[serde(default)]
    pub base_version: Option<i64>,
    /// What changed, for the version list.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductRef {
    pub id: i64,
    pub title: String,
    pub image: Option<String>,
    /// In this session's shopping bag (only bag products can be pinned).
    pub in_bag: bool,
}

/// Compliance hits in one field of one segment (positions as in [`Hit`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SegmentFindings {
    pub segment: usize,
    /// `title`, `text` or `promotion`.
    pub field: &'static str,
    pub hits: Vec<Hit>,
}

/// A segment as it ran.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Run {
    pub position: i64,
    pub kind: String,
    pub title: String,
    pub planned_minutes: i64,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// A session's script: its latest version, the products it names, its compliance hits and how the
/// live run stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Script {
    pub session_id: i64,
    /// 0 when nothing has been saved yet.
    pub version: i64,
    pub segments: Vec<Segment>,
    pub total_minutes: i64,
    /// The scheduled length of the session, which the segments must fit in.
    pub session_minutes: i64,
    pub session_state: String,
    pub edited_by: Option<String>,
    pub edited_at: Option<Timestamp>,
    pub products: Vec<ProductRef>,
    pub findings: Vec<SegmentFindings>,
    /// The segment running now (its position), if any.
    pub current: Option<i64>,
    pub runs: Vec<Run>,
    /// The server's clock, so a panel's timer does not depend on the viewer's.
    pub server_now: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionInfo {
    pub version: i64,
    pub segments: usize,
    pub total_minutes: i64,
    pub note: String,
    pub edited_by: Option<String>,
    pub edited_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub segments: Vec<Segment>,
    pub total_minutes: i64,
    pub updated_by: Option<String>,
    pub updated_at: Timestamp,
}

/// Move the live run: to a given segment, to the next one (`to` omitted), or stop (`finish`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceInput {
    #[serde(default)]
    pub to: Option<i64>,
    #[serde(default)]
    pub finish: bool,
}

#[derive(Clone)]
pub struct Scripts {
    store: Store,
    compliance: Compliance,
}

struct SessionInfo {
    state: String,
    minutes: i64,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn total_minutes(segments: &[Segment]) -> i64 {
    segments.iter().map(|s| s.minutes).sum()
}

/// Checks the shape of segments (lengths, sizes, counts) and trims their words. Whether products
/// and flash sales exist is the store's to check.
pub fn clean_segments(segments: Vec<Segment>) -> Result<Vec<Segment>, OpsError> {
    if segments.is_empty() {
        return Err(OpsError::Invalid(
            "a script has at least one segment".into(),
        ));
    }
    if segments.len() > MAX_SEGMENTS {
        return Err(OpsError::TooLarge(format!(
            "a script has at most {MAX_SEGMENTS} segments"
        )));
    }
    let mut all = 0;
    let mut out = Vec::with_capacity(segments.len());
    for (i, mut s) in segments.into_iter().enumerate() {
        let at = |field: &str| format!("segments[{i}].{field}");
        s.title = s.title.trim().to_owned();
        if s.title.is_empty() || chars(&s.title) > MAX_TITLE_CHARS {
            return Err(OpsError::Invalid(format!(
                "{}: 1 to {MAX_TITLE_CHARS} characters",
                at("title")
            )));
        }
        if !(1..=MAX_SEGMENT_MINUTES).contains(&s.minutes) {
            return Err(OpsError::Invalid(format!(
                "{}: 1 to {MAX_SEGMENT_MINUTES}",
                at("minutes")
            )));
        }
        if chars(&s.text) > MAX_TEXT_CHARS {
            return Err(OpsError::TooLarge(format!(
                "{}: at most {MAX_TEXT_CHARS} characters",
                at("text")
            )));
        }
        for (field, v) in [("promotion", &mut s.promotion), ("props", &mut s.props)] {
            *v = v.trim().to_owned();
            if chars(v) > MAX_SHORT_CHARS {
                return Err(OpsError::Invalid(format!(
                    "{}: at most {MAX_SHORT_CHARS} characters",
                    at(field)
                )));
            }
        }
        s.people = s
            .people
            .iter()
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if s.people.len() > MAX_PEOPLE || s.people.iter().any(|p| chars(p) > 40) {
            return Err(OpsError::Invalid(format!(
                "{}: at most {MAX_PEOPLE} names of up to 40 characters",
                at("people")
            )));
        }
        if let Some(f) = &s.flash {
            for (field, v, lo, hi) in [
                ("quota", f.quota, 1, 1_000_000),
                ("price_fen", f.price_fen, 1, 100_000_000),
                ("per_customer", f.per_customer, 1, 99),
                ("countdown_secs", f.countdown_secs, 0, 3_600),
                ("duration_secs", f.duration_secs, 10, 86_400),
            ] {
                if !(lo..=hi).contains(&v) {
                    return Err(OpsError::Invalid(format!(
                        "{}.{field}: {lo} to {hi}",
                        at("flash")
                    )));
                }
            }
        }
        let mut seen = HashSet::new();
        s.products.retain(|p| seen.insert(*p));
        if s.products.len() > MAX_PRODUCTS {
            return Err(OpsError::Invalid(format!(
                "{}: at most {MAX_PRODUCTS}",
                at("products")
            )));
        }
        all += chars(&s.text) + chars(&s.promotion) + chars(&s.props) + chars(&s.title);
        out.push(s);
    }
    if all > MAX_SCRIPT_CHARS {
        return Err(OpsError::TooLarge(format!(
            "a script holds at most {MAX_SCRIPT_CHARS} characters in all"
        )));
    }
    Ok(out)
}

fn decode(json: &str) -> Result<Vec<Segment>, OpsError> {
    serde_json::from_str(json)
        .map_err(|e| OpsError::Invalid(format!("stored script unreadable: {e}")))
}

fn encode(segments: &[Segment]) -> String {
    serde_json::to_string(segments).expect("segments serialise")
}

impl Scripts {
    pub fn new(store: Store, compliance: Compliance) -> Self {
        Self { store, compliance }
    }

    async fn session(&self, id: i64) -> Result<SessionInfo, OpsError> {
        let row = sqlx::query(
            "SELECT state, scheduled_start, scheduled_end FROM live_sessions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("session {id}")))?;
        let start: i64 = row.try_get(1)?;
        let end: i64 = row.try_get(2)?;
        Ok(SessionInfo {
            state: row.try_get(0)?,
            minutes: (end - start) / 60_000,
        })
    }

    /// Refuses products that do not exist and flash sales that are not this session's.
    async fn check_refs(&self, segments: &[Segment], session: Option<i64>) -> Result<(), OpsError> {
        let ids: HashSet<i64> = segments.iter().flat_map(|s| s.products.clone()).collect();
        if !ids.is_empty() {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let rows = sqlx::query(&format!("SELECT id FROM products WHERE id IN ({list})"))
                .fetch_all(self.store.pool())
                .await?;
            let found: HashSet<i64> = rows
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            let mut missing: Vec<i64> = ids.difference(&found).copied().collect();
            missing.sort_unstable();
            if !missing.is_empty() {
                return Err(OpsError::Invalid(format!(
                    "unknown product{} {}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        for (i, s) in segments.iter().enumerate() {
            let Some(plan) = &s.flash else {
                continue;
            };
            let product: Option<i64> = sqlx::query("SELECT product_id FROM skus WHERE id = $1")
                .bind(plan.sku_id)
                .fetch_optional(self.store.pool())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            match product {
                None => {
                    return Err(OpsError::Invalid(format!(
                        "segments[{i}].flash.sku_id: no SKU {}",
                        plan.sku_id
                    )))
                }
                Some(p) if !s.products.contains(&p) => {
                    return Err(OpsError::Invalid(format!(
                        "segments[{i}].flash.sku_id: a SKU of one of the segment's products"
                    )))
                }
                Some(_) => {}
            }
        }
        for (i, s) in segments.iter().enumerate() {
            let Some(sale) = s.flash_sale_id else {
                continue;
            };
            let Some(session) = session else {
                return Err(OpsError::Invalid(format!(
                    "segments[{i}].flash_sale_id: a template cannot name a session's flash sale"
                )));
            };
            let n: i64 =
                sqlx::query("SELECT COUNT(*) FROM flash_sales WHERE id = $1 AND session_id = $2")
                    .bind(sale)
                    .bind(session)
                    .fetch_one(self.store.pool())
                    .await?
                    .try_get(0)?;
            if n == 0 {
                return Err(OpsError::Invalid(format!(
                    "segments[{i}].flash_sale_id: no flash sale {sale} in this session"
                )));
            }
        }
        Ok(())
    }

    /// The latest version (or `version`) of a session's script, with what the editor and the live
    /// panel need beside it.
    pub async fn get(&self, session: i64, version: Option<i64>) -> Result<Script, OpsError> {
        let info = self.session(session).await?;
        // Version 0 reads the latest.
        let row = sqlx::query(
            "SELECT v.version, v.segments, v.total_minutes, COALESCE(a.nickname, a.username),
             v.edited_at FROM script_versions v LEFT JOIN accounts a ON a.id = v.edited_by
             WHERE v.session_id = $1 AND ($2 = 0 OR v.version = $2)
             ORDER BY v.version DESC LIMIT 1",
        )
        .bind(session)
        .bind(version.unwrap_or(0))
        .fetch_optional(self.store.pool())
        .await?;
        if let (None, Some(v)) = (&row, version.filter(|v| *v != 0)) {
            return Err(OpsError::NotFound(format!(
                "version {v} of session {session}'s script"
            )));
        }
        let (version, segments, total, by, at) = match row {
            Some(r) => (
                r.try_get::<i64, _>(0)?,
                decode(&r.try_get::<String, _>(1)?)?,
                r.try_get::<i64, _>(2)?,
                r.try_get::<Option<String>, _>(3)?,
                Some(Timestamp::from_millis(r.try_get(4)?)),
            ),
            None => (0, vec![], 0, None, None),
        };
        let products = self.products(session, &segments).await?;
        let findings = self.findings(&segments).await?;
        let runs = self.runs(session).await?;
        let current = runs
            .iter()
            .rev()
            .find(|r| r.ended_at.is_none())
            .map(|r| r.position);
        Ok(Script {
            session_id: session,
            version,
            segments,
            total_minutes: total,
            session_minutes: info.minutes,
            session_state: info.state,
            edited_by: by,
            edited_at: at,
            products,
            findings,
            current,
            runs,
            server_now: Timestamp::now(),
        })
    }

    async fn products(
        &self,
        session: i64,
        segments: &[Segment],
    ) -> Result<Vec<ProductRef>, OpsError> {
        let mut ids: Vec<i64> = Vec::new();
        for s in segments {
            for p in &s.products {
                if !ids.contains(p) {
                    ids.push(*p);
                }
            }
        }
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "SELECT p.id, p.title, p.images,
             (SELECT COUNT(*) FROM session_bag b WHERE b.session_id = $1 AND b.product_id = p.id)
             FROM products p WHERE p.id IN ({list})"
        ))
        .bind(session)
        .fetch_all(self.store.pool())
        .await?;
        let mut by_id = HashMap::new();
        for r in rows {
            let images: String = r.try_get(2)?;
            let image = serde_json::from_str::<Vec<String>>(&images)
                .ok()
                .and_then(|v| v.into_iter().next());
            let id: i64 = r.try_get(0)?;
            by_id.insert(
                id,
                ProductRef {
                    id,
                    title: r.try_get(1)?,
                    image,
                    in_bag: r.try_get::<i64, _>(3)? > 0,
                },
            );
        }
        Ok(ids.into_iter().filter_map(|id| by_id.remove(&id)).collect())
    }

    async fn findings(&self, segments: &[Segment]) -> Result<Vec<SegmentFindings>, OpsError> {
        if segments.is_empty() {
            return Ok(vec![]);
        }
        let checker = self.compliance.checker(None).await?;
        let mut out = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            for (field, text) in [
                ("title", &s.title),
                ("text", &s.text),
                ("promotion", &s.promotion),
            ] {
                if text.is_empty() {
                    continue;
                }
                let r = checker.check(text)?;
                if !r.hits.is_empty() {
                    out.push(SegmentFindings {
                        segment: i,
                        field,
                        hits: r.hits,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Saves a new version. The segments must fit in the session's scheduled length and name only
    /// products that exist; the save is refused whole otherwise.
    pub async fn save(
        &self,
        session: i64,
        input: ScriptInput,
        by: i64,
    ) -> Result<Script, OpsError> {
        let info = self.session(session).await?;
        if !matches!(info.state.as_str(), "scheduled" | "live") {
            return Err(OpsError::Conflict(format!(
                "the session is {}: its script can no longer change",
                info.state
            )));
        }
        if chars(&input.note) > MAX_NOTE_CHARS {
            return Err(OpsError::Invalid(format!(
                "note: at most {MAX_NOTE_CHARS} characters"
            )));
        }
        let segments = clean_segments(input.segments)?;
        let total = total_minutes(&segments);
        if total > info.minutes {
            return Err(OpsError::Invalid(format!(
                "the segments add up to {total} minutes, over the session's {} minutes",
                info.minutes
            )));
        }
        self.check_refs(&segments, Some(session)).await?;
        let current: i64 = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) FROM script_versions WHERE session_id = $1",
        )
        .bind(session)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        if input.base_version.unwrap_or(0) != current {
            return Err(OpsError::Conflict(format!(
                "the script was saved as version {current} since this edit began from version {}: reload and edit again",
                input.base_version.unwrap_or(0)
            )));
        }
        let inserted = sqlx::query(
            "INSERT INTO script_versions (session_id, version, segments, total_minutes, note,
             edited_by, edited_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(session)
        .bind(current + 1)
        .bind(encode(&segments))
        .bind(total)
        .bind(input.note.trim())
        .bind(by)
        .bind(Timestamp::now().millis())
        .execute(self.store.pool())
        .await;
        match inserted {
            Ok(_) => {}
            // Two saves from the same base: the primary key lets one in.
            Err(e) if sellstream_store::unique_violation(&e).is_some() => {
                return Err(OpsError::Conflict(
                    "someone saved this script at the same moment: reload and edit again".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(session, version = current + 1, "script saved");
        self.get(session, None).await
    }

    /// Starts a new version from a template (operators planning a session).
    pub async fn apply_template(
        &self,
        session: i64,
        template: i64,
        base_version: Option<i64>,
        by: i64,
    ) -> Result<Script, OpsError> {
        let t = self.template(template).await?;
        self.save(
            session,
            ScriptInput {
                segments: t.segments,
                base_version,
                note: format!("from template {}", t.name),
            },
            by,
        )
        .await
    }

    pub async fn versions(&self, session: i64) -> Result<Vec<VersionInfo>, OpsError> {
        self.session(session).await?;
        let rows = sqlx::query(
            "SELECT v.version, v.segments, v.total_minutes, v.note, COALESCE(a.nickname, a.username),
             v.edited_at FROM script_versions v LEFT JOIN accounts a ON a.id = v.edited_by
             WHERE v.session_id = $1 ORDER BY v.version DESC",
        )
        .bind(session)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VersionInfo {
                    version: r.try_get(0)?,
                    segments: decode(&r.try_get::<String, _>(1)?)?.len(),
                    total_minutes: r.try_get(2)?,
                    note: r.try_get(3)?,
                    edited_by: r.try_get(4)?,
                    edited_at: Timestamp::from_millis(r.try_get(5)?),
                })
            })
            .collect()
    }

    async fn segments_of(&self, session: i64, version: i64) -> Result<Vec<Segment>, OpsError> {
        let row = sqlx::query(
            "SELECT segments FROM script_versions WHERE session_id = $1 AND version = $2",
        )
        .bind(session)
        .bind(version)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| {
            OpsError::NotFound(format!("version {version} of session {session}'s script"))
        })?;
        decode(&row.try_get::<String, _>(0)?)
    }

    /// What changed from one version to another.
    pub async fn diff(&self, session: i64, from: i64, to: i64) -> Result<ScriptDiff, OpsError> {
        self.session(session).await?;
        let a = self.segments_of(session, from).await?;
        let b = self.segments_of(session, to).await?;
        Ok(diff_scripts(from, &a, to, &b))
    }

    async fn runs(&self, session: i64) -> Result<Vec<Run>, OpsError> {
        let rows = sqlx::query(
            "SELECT position, kind, title, planned_minutes, started_at, ended_at FROM script_runs
             WHERE session_id = $1 ORDER BY started_at, id",
        )
        .bind(session)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Run {
                    position: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    title: r.try_get(2)?,
                    planned_minutes: r.try_get(3)?,
                    started_at: Timestamp::from_millis(r.try_get(4)?),
                    ended_at: r.try_get::<Option<i64>, _>(5)?.map(Timestamp::from_millis),
                })
            })
            .collect()
    }

    /// Moves the live run on: ends the running segment and starts the one asked for (the next by
    /// default). Only while the session is live.
    pub async fn advance(
        &self,
        session: i64,
        input: AdvanceInput,
        by: i64,
    ) -> Result<Script, OpsError> {
        let info = self.session(session).await?;
        if info.state != "live" {
            return Err(OpsError::Conflict(format!(
                "the session is {}: segments run only while it is live",
                info.state
            )));
        }
        let script = self.get(session, None).await?;
        if script.segments.is_empty() {
            return Err(OpsError::Conflict(
                "this session has no script to follow".into(),
            ));
        }
        let next = if input.finish {
            None
        } else {
            let to = match (input.to, script.current) {
                (Some(to), _) => to,
                (None, Some(cur)) => cur + 1,
                (None, None) => script.runs.last().map_or(0, |r| r.position + 1),
            };
            if to < 0 || to as usize >= script.segments.len() {
                if input.to.is_some() {
                    return Err(OpsError::Invalid(format!(
                        "to: the script has segments 0 to {}",
                        script.segments.len() - 1
                    )));
                }
                None // past the last segment: the run finishes
            } else {
                Some(to)
            }
        };
        if next.is_some() && next == script.current {
            return Ok(script);
        }
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        // Two controllers pressing "next" at once: the second finds the run already moved.
        let running: Option<i64> = sqlx::query(
            "SELECT position FROM script_runs WHERE session_id = $1 AND ended_at IS NULL",
        )
        .bind(session)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        if running != script.current {
            return Err(OpsError::Conflict(
                "another controller moved the script just now: look again".into(),
            ));
        }
        // Ends the segment this request saw running, and only that one: on PostgreSQL a request
        // that read the run just before another moved it would otherwise end the newcomer's
        // segment and start the same one again.
        let ended = sqlx::query(
            "UPDATE script_runs SET ended_at = $1
             WHERE session_id = $2 AND ended_at IS NULL AND position = $3",
        )
        .bind(now)
        .bind(session)
        .bind(script.current.unwrap_or(-1))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if script.current.is_some() && ended != 1 {
            return Err(OpsError::Conflict(
                "another controller moved the script just now: look again".into(),
            ));
        }
        if let Some(pos) = next {
            let s = &script.segments[pos as usize];
            let inserted = sqlx::query(
                "INSERT INTO script_runs (session_id, position, kind, title, planned_minutes,
                 started_at, started_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(session)
            .bind(pos)
            .bind(s.kind.as_str())
            .bind(&s.title)
            .bind(s.minutes)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                return Err(if sellstream_store::unique_violation(&e).is_some() {
                    OpsError::Conflict(
                        "another controller moved the script at the same moment".into(),
                    )
                } else {
                    e.into()
                });
            }
        }
        tx.commit().await?;
        tracing::info!(session, segment = ?next, "script advanced");
        self.get(session, None).await
    }

    /// Closes the running segment when the session ends.
    pub async fn close_runs(&self, session: i64, at: Timestamp) -> Result<(), OpsError> {
        sqlx::query(
            "UPDATE script_runs SET ended_at = $1 WHERE session_id = $2 AND ended_at IS NULL",
        )
        .bind(at.millis())
        .bind(session)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    // Templates.

    pub async fn templates(&self) -> Result<Vec<Template>, OpsError> {
        let rows = sqlx::query(&format!("{TEMPLATE_SELECT} ORDER BY t.name"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(template_from_row).collect()
    }

    pub async fn template(&self, id: i64) -> Result<Template, OpsError> {
        let row = sqlx::query(&format!("{TEMPLATE_SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("script template {id}")))?;
        template_from_row(&row)
    }

    async fn clean_template(&self, input: TemplateInput) -> Result<TemplateInput, OpsError> {
        let name = input.name.trim().to_owned();
        if name.is_empty() || chars(&name) > 60 {
            return Err(OpsError::Invalid("name: 1 to 60 characters".into()));
        }
        if chars(&input.description) > MAX_SHORT_CHARS {
            return Err(OpsError::Invalid(format!(
                "description: at most {MAX_SHORT_CHARS} characters"
            )));
        }
        let segments = clean_segments(input.segments)?;
        self.check_refs(&segments, None).await?;
        Ok(TemplateInput {
            name,
            description: input.description.trim().to_owned(),
            segments,
        })
    }

    /// Saves a template (new when `id` is none). Names are unique, case aside.
    pub async fn save_template(
        &self,
        id: Option<i64>,
        input: TemplateInput,
        by: i64,
    ) -> Result<Template, OpsError> {
        let t = self.clean_template(input).await?;
        let key = t.name.to_lowercase();
        let now = Timestamp::now().millis();
        let result = match id {
            None => {
                let n: i64 = sqlx::query("SELECT COUNT(*) FROM script_templates")
                    .fetch_one(self.store.pool())
                    .await?
                    .try_get(0)?;
                if n >= MAX_TEMPLATES {
                    return Err(OpsError::Invalid(format!(
                        "at most {MAX_TEMPLATES} templates: delete one first"
                    )));
                }
                sqlx::query(
                    "INSERT INTO script_templates (name, name_key, description, segments, updated_by,
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(&t.name)
                .bind(&key)
                .bind(&t.description)
                .bind(encode(&t.segments))
                .bind(by)
                .bind(now)
                .fetch_one(self.store.pool())
                .await
                .and_then(|r| r.try_get::<i64, _>(0))
            }
            Some(id) => {
                self.template(id).await?;
                sqlx::query(
                    "UPDATE script_templates SET name = $1, name_key = $2, description = $3,
                     segments = $4, updated_by = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(&t.name)
                .bind(&key)
                .bind(&t.description)
                .bind(encode(&t.segments))
                .bind(by)
                .bind(now)
                .bind(id)
                .execute(self.store.pool())
                .await
                .map(|_| id)
            }
        };
        match result {
            Ok(id) => self.template(id).await,
            Err(e) if sellstream_store::unique_violation(&e).is_some() => Err(
                OpsError::AlreadyExists(format!("a template named {} exists", t.name)),
            ),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_template(&self, id: i64) -> Result<(), OpsError> {
        let n = sqlx::query("DELETE FROM script_templates WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!("script template {id}")));
        }
        Ok(())
    }
}

const TEMPLATE_SELECT: &str = "SELECT t.id, t.name, t.description, t.segments,
    COALESCE(a.nickname, a.username), t.updated_at
    FROM script_templates t LEFT JOIN accounts a ON a.id = t.updated_by";

fn template_from_row(r: &sellstream_store::AnyRow) -> Result<Template, OpsError> {
    let segments = decode(&r.try_get::<String, _>(3)?)?;
    Ok(Template {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        description: r.try_get(2)?,
        total_minutes: total_minutes(&segments),
        segments,
        updated_by: r.try_get(4)?,
        updated_at: Timestamp::from_millis(r.try_get(5)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(title: &str, minutes: i64) -> Segment {
        Segment {
            kind: SegmentKind::Custom,
            title: title.into(),
            minutes,
            people: vec![],
            products: vec![],
            flash_sale_id: None,
            flash: None,
            promotion: String::new(),
            text: String::new(),
            props: String::new(),
        }
    }

    #[test]
    fn shape_errors_name_the_segment_and_field() {
        let e = clean_segments(vec![seg("ok", 5), seg("  ", 5)]).unwrap_err();
        assert!(e.to_string().contains("segments[1].title"), "{e}");
        let e = clean_segments(vec![seg("ok", 0)]).unwrap_err();
        assert!(e.to_string().contains("segments[0].minutes"), "{e}");
        assert!(clean_segments(vec![]).is_err());
        let mut big = seg("big", 5);
        big.text = "字".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(
            clean_segments(vec![big]),
            Err(OpsError::TooLarge(_))
        ));
        let many = (0..=MAX_SEGMENTS).map(|i| seg(&i.to_string(), 1)).collect();
        assert!(matches!(clean_segments(many), Err(OpsError::TooLarge(_))));
    }

    #[test]
    fn cleaning_trims_and_dedups() {
        let mut s = seg("  开场  ", 5);
        s.people = vec![" 主播 ".into(), "".into()];
        s.products = vec![3, 3, 4];
        let out = clean_segments(vec![s]).unwrap();
        assert_eq!(out[0].title, "开场");
        assert_eq!(out[0].people, vec!["主播"]);
        assert_eq!(out[0].products, vec![3, 4]);
    }
}
