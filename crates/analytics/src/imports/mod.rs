//! Session figures from the other platforms' back-ends (plan §3.2 (5), §9.1): the exports Taobao
//! Live (生意参谋), Douyin (巨量百应 / 抖店罗盘) and Kuaishou give merchants, as CSV or XLSX. A
//! saved column mapping per platform and export type finds the columns (starter mappings know
//! their common Chinese headers); units are normalised; a preview shows the mapped rows and the
//! rejected ones with reasons before anything is written; an import is all or nothing, and the
//! same file twice changes nothing. docs/imports.md.

pub mod read;
pub mod units;

use crate::service::Analytics;
use crate::AnalyticsError;
use read::{Cell, Grid};
use sellstream_core::Timestamp;
use sellstream_store::Row;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

pub const PLATFORMS: [&str; 3] = ["taobao", "douyin", "kuaishou"];
/// Export types: one row per live session, or one row per product of a session.
pub const KINDS: [&str; 2] = ["sessions", "products"];
/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Rows shown in a preview.
const SAMPLE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Text,
    Time,
    Duration,
    Count,
    Money,
    Rate,
}

/// The fields of a session row and their units.
const SESSION_FIELDS: [(&str, Unit); 16] = [
    ("room", Unit::Text),
    ("title", Unit::Text),
    ("host", Unit::Text),
    ("started_at", Unit::Time),
    ("duration_ms", Unit::Duration),
    ("uv", Unit::Count),
    ("pv", Unit::Count),
    ("pcu", Unit::Count),
    ("avg_watch_ms", Unit::Duration),
    ("new_followers", Unit::Count),
    ("comments", Unit::Count),
    ("gmv_fen", Unit::Money),
    ("orders", Unit::Count),
    ("buyers", Unit::Count),
    ("conversion", Unit::Rate),
    ("refund_fen", Unit::Money),
];

/// The fields of a product row (one product of one session).
const PRODUCT_FIELDS: [(&str, Unit); 11] = [
    ("room", Unit::Text),
    ("started_at", Unit::Time),
    ("product", Unit::Text),
    ("product_code", Unit::Text),
    ("exposures", Unit::Count),
    ("clicks", Unit::Count),
    ("units", Unit::Count),
    ("orders", Unit::Count),
    ("buyers", Unit::Count),
    ("gmv_fen", Unit::Money),
    ("explain_ms", Unit::Duration),
];

fn fields(kind: &str) -> &'static [(&'static str, Unit)] {
    if kind == "products" {
        &PRODUCT_FIELDS
    } else {
        &SESSION_FIELDS
    }
}

/// What makes a row one: a second row with the same values is a duplicate.
fn key_fields(kind: &str) -> &'static [&'static str] {
    if kind == "products" {
        &["room", "started_at", "product"]
    } else {
        &["room", "started_at"]
    }
}

/// Starter mappings: the header names each platform's export uses for a field (the first that
/// is present wins). Edited mappings are saved per platform and export type.
pub fn starter(platform: &str, kind: &str) -> BTreeMap<String, Vec<String>> {
    let room: &[&str] = &["直播间", "直播间名称", "账号", "账号名称", "店铺名称"];
    let started: &[&str] = &[
        "开播时间",
        "直播开始时间",
        "开始时间",
        "直播时间",
        "场次开始时间",
    ];
    let common: Vec<(&str, &[&str])> = if kind == "products" {
        vec![
            ("room", room),
            ("started_at", started),
            ("product", &["商品名称", "商品标题", "商品"]),
            (
                "product_code",
                &["商品ID", "商品id", "商品编码", "商品编号"],
            ),
            (
                "exposures",
                &["商品曝光次数", "曝光次数", "商品曝光人数", "曝光人数"],
            ),
            (
                "clicks",
                &["商品点击次数", "点击次数", "商品点击人数", "点击人数"],
            ),
            (
                "units",
                &["成交件数", "商品成交件数", "销量", "成交商品件数"],
            ),
            ("orders", &["成交订单数", "成交笔数", "订单数"]),
            ("buyers", &["成交人数", "购买人数", "支付人数"]),
            ("gmv_fen", &["成交金额", "商品成交金额", "GMV", "支付金额"]),
            ("explain_ms", &["讲解时长", "讲解总时长"]),
        ]
    } else {
        vec![
            ("room", room),
            ("title", &["直播标题", "直播间标题", "标题"]),
            ("host", &["主播", "主播昵称", "达人昵称"]),
            ("started_at", started),
            ("duration_ms", &["直播时长", "开播时长", "时长"]),
            ("uv", &["观看人数", "累计观看人数", "场观", "观看用户数"]),
            ("pv", &["观看次数", "累计观看次数", "浏览次数"]),
            (
                "pcu",
                &["最高在线人数", "在线人数峰值", "最高在线", "峰值在线人数"],
            ),
            (
                "avg_watch_ms",
                &["人均观看时长", "人均停留时长", "平均观看时长"],
            ),
            (
                "new_followers",
                &["新增粉丝数", "涨粉数", "新增粉丝", "新增关注"],
            ),
            ("comments", &["评论数", "评论次数", "评论人数"]),
            (
                "gmv_fen",
                &[
                    "成交金额",
                    "直播间成交金额",
                    "GMV",
                    "支付金额",
                    "引导成交金额",
                ],
            ),
            (
                "orders",
                &["成交订单数", "成交笔数", "订单数", "支付订单数"],
            ),
            (
                "buyers",
                &["成交人数", "购买人数", "支付人数", "引导成交人数"],
            ),
            (
                "conversion",
                &["成交转化率", "转化率", "观看-成交转化率", "支付转化率"],
            ),
            ("refund_fen", &["退款金额", "成功退款金额"]),
        ]
    };
    let extra: &[(&str, &[&str])] = match platform {
        "taobao" => &[("room", &["主播昵称"]), ("started_at", &["直播开始时间"])],
        "douyin" => &[
            ("room", &["抖音号", "达人昵称"]),
            ("avg_watch_ms", &["人均看播时长"]),
        ],
        "kuaishou" => &[("room", &["快手号", "主播昵称"]), ("pcu", &["在线峰值"])],
        _ => &[],
    };
    let mut out: BTreeMap<String, Vec<String>> = common
        .iter()
        .map(|(f, names)| (f.to_string(), names.iter().map(|n| n.to_string()).collect()))
        .collect();
    for (f, names) in extra {
        let Some(v) = out.get_mut(*f) else { continue };
        for n in names.iter() {
            if !v.iter().any(|x| x == n) {
                v.push(n.to_string());
            }
        }
    }
    out
}

/// How headers compare: case, spaces, brackets and units in brackets do not matter
/// (`成交金额(元)` is `成交金额`).
fn header_key(h: &str) -> String {
    let h = h.trim();
    let cut = h.find(['(', '（', '[', '【']).unwrap_or(h.len());
    h[..cut]
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// One field's value as read: text, a whole number (counts, fen, ms) or a rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Val {
    Text(String),
    Int(i64),
    Rate(f64),
}

impl Val {
    fn key(&self) -> String {
        match self {
            Val::Text(t) => t.clone(),
            Val::Int(i) => i.to_string(),
            Val::Rate(r) => r.to_string(),
        }
    }
}

/// A row of an export as read: the fields found, by name.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The row's number in the file (1 = the first line).
    pub row: usize,
    pub values: BTreeMap<&'static str, Val>,
}

impl ImportRow {
    pub fn text(&self, k: &str) -> Option<String> {
        match self.values.get(k) {
            Some(Val::Text(t)) => Some(t.clone()),
            _ => None,
        }
    }

    pub fn int(&self, k: &str) -> Option<i64> {
        match self.values.get(k) {
            Some(Val::Int(i)) => Some(*i),
            _ => None,
        }
    }

    fn rate(&self, k: &str) -> Option<f64> {
        match self.values.get(k) {
            Some(Val::Rate(r)) => Some(*r),
            _ => None,
        }
    }

    /// Every field of the kind (null when not given) and the row number.
    pub fn json(&self, kind: &str) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("row".into(), self.row.into());
        for (f, _) in fields(kind) {
            m.insert(
                f.to_string(),
                self.values
                    .get(f)
                    .map(|v| serde_json::to_value(v).expect("a value serialises"))
                    .unwrap_or(serde_json::Value::Null),
            );
        }
        serde_json::Value::Object(m)
    }

    pub fn session(&self) -> SessionRow {
        SessionRow {
            row: self.row,
            room: self.text("room").unwrap_or_default(),
            title: self.text("title").unwrap_or_default(),
            host: self.text("host"),
            started_at: self.int("started_at").unwrap_or_default(),
            duration_ms: self.int("duration_ms"),
            uv: self.int("uv"),
            pv: self.int("pv"),
            pcu: self.int("pcu"),
            avg_watch_ms: self.int("avg_watch_ms"),
            new_followers: self.int("new_followers"),
            comments: self.int("comments"),
            gmv_fen: self.int("gmv_fen"),
            orders: self.int("orders"),
            buyers: self.int("buyers"),
            conversion: self.rate("conversion"),
            refund_fen: self.int("refund_fen"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionRow {
    /// The row's number in the file (1 = the first line).
    pub row: usize,
    pub room: String,
    pub title: String,
    pub host: Option<String>,
    pub started_at: i64,
    pub duration_ms: Option<i64>,
    pub uv: Option<i64>,
    pub pv: Option<i64>,
    pub pcu: Option<i64>,
    pub avg_watch_ms: Option<i64>,
    pub new_followers: Option<i64>,
    pub comments: Option<i64>,
    pub gmv_fen: Option<i64>,
    pub orders: Option<i64>,
    pub buyers: Option<i64>,
    pub conversion: Option<f64>,
    pub refund_fen: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rejected {
    pub row: usize,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub platform: String,
    pub kind: String,
    pub file_name: String,
    pub bytes: usize,
    pub sha256: String,
    /// csv, tsv or xlsx.
    pub format: String,
    pub encoding: String,
    pub sheet: Option<String>,
    /// The header's line in the file (1-based).
    pub header_row: usize,
    /// Field → the column header it was read from.
    pub mapping: BTreeMap<String, String>,
    /// Headers no field reads (a renamed column shows up here).
    pub unmapped: Vec<String>,
    /// Data rows (blank and total rows not counted).
    pub rows: usize,
    pub valid: usize,
    pub rejected: Vec<Rejected>,
    /// Total rows (合计) left out.
    pub skipped_totals: usize,
    /// The first mapped rows, normalised: every field of the export type, null when not given.
    #[schema(value_type = Vec<Object>)]
    pub sample: Vec<serde_json::Value>,
    /// Set when this very file was imported before (importing it again changes nothing).
    pub imported_as: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRecord {
    pub id: i64,
    pub platform: String,
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub encoding: String,
    pub rows: i64,
    pub imported: i64,
    pub rejected: i64,
    /// Sessions the file added, and those it updated (the same room and start, from an
    /// earlier export).
    pub added: i64,
    pub updated: i64,
    pub report: Vec<Rejected>,
    pub by_id: Option<i64>,
    pub created_at: Timestamp,
    /// True when the file had been imported already: nothing changed.
    pub already: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingInput {
    /// Field → header names to look for, first match wins. Fields left out keep the starter.
    pub columns: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mapping {
    pub platform: String,
    pub kind: String,
    pub columns: BTreeMap<String, Vec<String>>,
    /// False while the starter mapping is in use.
    pub saved: bool,
}

/// A file as uploaded: for which platform and export type, its name, its bytes, and the room it
/// is about when it has no room column.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub platform: &'a str,
    pub kind: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub room: Option<&'a str>,
}

/// What a file says, mapped: the work of preview and import alike.
struct Parsed {
    preview: Preview,
    rows: Vec<ImportRow>,
}

fn check_platform(platform: &str, kind: &str) -> Result<(), AnalyticsError> {
    if !PLATFORMS.contains(&platform) {
        return Err(AnalyticsError::Invalid(format!(
            "platform: one of {}",
            PLATFORMS.join(", ")
        )));
    }
    if !KINDS.contains(&kind) {
        return Err(AnalyticsError::Invalid(format!(
            "kind: one of {}",
            KINDS.join(", ")
        )));
    }
    Ok(())
}

fn is_total(row: &[Cell]) -> bool {
    row.iter().take(2).any(|c| {
        let t = c.text.trim();
        matches!(t, "合计" | "总计" | "汇总" | "Total" | "total")
    })
}

/// Parses one file with a mapping; `room` names the room when the file has no room column.
fn parse(
    grid: &Grid,
    kind: &str,
    columns: &BTreeMap<String, Vec<String>>,
    room: Option<&str>,
) -> Result<(Preview, Vec<ImportRow>), AnalyticsError> {
    // The header is the line among the first ten that the mapping recognises best (a merged
    // title row above it recognises nothing).
    let wanted: HashMap<String, &str> = columns
        .iter()
        .flat_map(|(f, names)| names.iter().map(move |n| (header_key(n), f.as_str())))
        .collect();
    let (header_at, _) = grid
        .rows
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, r)| {
            (
                i,
                r.iter()
                    .filter(|c| wanted.contains_key(&header_key(&c.text)))
                    .count(),
            )
        })
        .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)))
        .ok_or_else(|| AnalyticsError::Invalid("the file has no rows".into()))?;
    let header = &grid.rows[header_at];
    // Field → column index: for each field, the first of its names present.
    let mut col: BTreeMap<&str, usize> = BTreeMap::new();
    for (f, names) in columns {
        if let Some(i) = names.iter().find_map(|n| {
            header
                .iter()
                .position(|c| header_key(&c.text) == header_key(n))
        }) {
            col.insert(f.as_str(), i);
        }
    }
    let headers: Vec<String> = header.iter().map(|c| c.text.clone()).collect();
    let shown = || {
        headers
            .iter()
            .filter(|h| !h.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !col.contains_key("started_at") {
        return Err(AnalyticsError::Invalid(format!(
            "no start time column (one of {}): the header row has {}",
            columns
                .get("started_at")
                .map(|v| v.join(", "))
                .unwrap_or_default(),
            shown()
        )));
    }
    if kind == "products" && !col.contains_key("product") {
        return Err(AnalyticsError::Invalid(format!(
            "no product column (one of {}): the header row has {}",
            columns
                .get("product")
                .map(|v| v.join(", "))
                .unwrap_or_default(),
            shown()
        )));
    }
    if col.len() < 3 {
        return Err(AnalyticsError::Invalid(format!(
            "only {} known columns: is this a session export of this platform? The header row has {}",
            col.len(),
            shown()
        )));
    }
    if !col.contains_key("room") && room.is_none_or(|r| r.trim().is_empty()) {
        return Err(AnalyticsError::Invalid(format!(
            "no room column ({}): name the room the file is about (room=…)",
            columns
                .get("room")
                .map(|v| v.join(", "))
                .unwrap_or_default()
        )));
    }
    let mapped: Vec<usize> = col.values().copied().collect();
    let unmapped: Vec<String> = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| !h.is_empty() && !mapped.contains(i))
        .map(|(_, h)| h.clone())
        .collect();
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let mut skipped_totals = 0;
    let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
    let mut data_rows = 0;
    for (i, line) in grid.rows.iter().enumerate().skip(header_at + 1) {
        let n = i + 1;
        if line.iter().all(|c| c.text.trim().is_empty()) {
            continue;
        }
        if is_total(line) {
            skipped_totals += 1;
            continue;
        }
        data_rows += 1;
        let mut errors = Vec::new();
        let mut row = ImportRow {
            row: n,
            values: BTreeMap::new(),
        };
        if let Some(r) = room.map(str::trim).filter(|r| !r.is_empty()) {
            row.values.insert("room", Val::Text(r.to_owned()));
        }
        for &(field, unit) in fields(kind) {
            let Some(&c) = col.get(field) else { continue };
            let name = &headers[c];
            let required = field == "started_at" || (kind == "products" && field == "product");
            let cell = line
                .get(c)
                .filter(|cell| !units::is_blank(&cell.text) || cell.formula.is_some());
            let Some(cell) = cell else {
                if required {
                    errors.push(format!("{name}: missing"));
                }
                continue;
            };
            if let Some(f) = &cell.formula {
                errors.push(format!(
                    "{name}: the cell holds a formula ({f}); export values, not formulas"
                ));
                continue;
            }
            let text = cell.text.as_str();
            let value = match unit {
                Unit::Text if text.starts_with(['=', '+', '@']) => {
                    Err(format!("`{text}` looks like a formula"))
                }
                Unit::Text => Ok(Val::Text(text.chars().take(120).collect())),
                Unit::Time => match cell.serial {
                    Some(s) => units::excel_serial_ms(s),
                    None => match text.parse::<f64>() {
                        // A date cell a CSV writer turned into its serial.
                        Ok(s) if (20_000.0..80_000.0).contains(&s) => units::excel_serial_ms(s),
                        _ => units::datetime_ms(text),
                    },
                }
                .map(Val::Int),
                Unit::Duration => units::duration_ms(text).map(Val::Int),
                Unit::Money => units::money_fen(text).map(Val::Int),
                Unit::Count => units::count(text).map(Val::Int),
                Unit::Rate => units::rate(text).map(Val::Rate),
            };
            match value {
                Ok(v) => {
                    row.values.insert(field, v);
                }
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        if errors.is_empty() && row.text("room").is_none() {
            errors.push("the room is empty".into());
        }
        if errors.is_empty() {
            let key: Vec<String> = key_fields(kind)
                .iter()
                .map(|k| row.values.get(k).map(Val::key).unwrap_or_default())
                .collect();
            if let Some(first) = seen.insert(key, n) {
                errors.push(format!(
                    "the same {} as row {first}",
                    if kind == "products" {
                        "room, start time and product"
                    } else {
                        "room and start time"
                    }
                ));
            }
        }
        if errors.is_empty() {
            rows.push(row);
        } else {
            rejected.push(Rejected { row: n, errors });
        }
    }
    let preview = Preview {
        platform: String::new(),
        kind: String::new(),
        file_name: String::new(),
        bytes: 0,
        sha256: String::new(),
        format: grid.format.to_owned(),
        encoding: grid.encoding.to_owned(),
        sheet: grid.sheet.clone(),
        header_row: header_at + 1,
        mapping: col
            .iter()
            .map(|(f, i)| (f.to_string(), headers[*i].clone()))
            .collect(),
        unmapped,
        rows: data_rows,
        valid: rows.len(),
        rejected,
        skipped_totals,
        sample: rows.iter().take(SAMPLE).map(|r| r.json(kind)).collect(),
        imported_as: None,
    };
    Ok((preview, rows))
}

fn read_file(bytes: &[u8]) -> Result<Grid, AnalyticsError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AnalyticsError::TooLarge(format!(
            "the file is larger than {} MB",
            MAX_FILE_BYTES / 1024 / 1024
        )));
    }
    read::read(bytes).map_err(AnalyticsError::Invalid)
}

/// Parses a session export with `columns`, in pure form (no store): for tests, fuzzing and the
/// competitor import.
pub fn parse_file(
    bytes: &[u8],
    columns: &BTreeMap<String, Vec<String>>,
    room: Option<&str>,
) -> Result<(Preview, Vec<SessionRow>), AnalyticsError> {
    let (p, rows) = parse(&read_file(bytes)?, "sessions", columns, room)?;
    Ok((p, rows.iter().map(ImportRow::session).collect()))
}

/// Parses an export of any kind with `columns`.
pub fn parse_file_kind(
    bytes: &[u8],
    kind: &str,
    columns: &BTreeMap<String, Vec<String>>,
    room: Option<&str>,
) -> Result<(Preview, Vec<ImportRow>), AnalyticsError> {
    parse(&read_file(bytes)?, kind, columns, room)
}

impl Analytics {
    /// The mapping in use for a platform's export type: the saved one, or the starter.
    pub async fn import_mapping(
        &self,
        platform: &str,
        kind: &str,
    ) -> Result<Mapping, AnalyticsError> {
        check_platform(platform, kind)?;
        let saved: Option<String> =
            sqlx::query("SELECT columns FROM import_mappings WHERE platform = $1 AND kind = $2")
                .bind(platform)
                .bind(kind)
                .fetch_optional(self.store().pool())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        let mut columns = starter(platform, kind);
        if let Some(s) = &saved {
            let mine: BTreeMap<String, Vec<String>> = serde_json::from_str(s)
                .map_err(|e| AnalyticsError::Invalid(format!("stored mapping: {e}")))?;
            columns.extend(mine);
        }
        Ok(Mapping {
            platform: platform.into(),
            kind: kind.into(),
            columns,
            saved: saved.is_some(),
        })
    }

    /// Saves a platform's mapping: each field given replaces the starter's names.
    pub async fn save_import_mapping(
        &self,
        platform: &str,
        kind: &str,
        input: MappingInput,
        by: i64,
    ) -> Result<Mapping, AnalyticsError> {
        check_platform(platform, kind)?;
        for (f, names) in &input.columns {
            if !fields(kind).iter().any(|(k, _)| k == f) {
                return Err(AnalyticsError::Invalid(format!(
                    "columns: no field `{f}` (fields: {})",
                    fields(kind)
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let names: Vec<&String> = names.iter().filter(|n| !n.trim().is_empty()).collect();
            if names.is_empty() || names.len() > 10 || names.iter().any(|n| n.chars().count() > 60)
            {
                return Err(AnalyticsError::Invalid(format!(
                    "columns.{f}: 1 to 10 header names of up to 60 characters"
                )));
            }
        }
        let json = serde_json::to_string(&input.columns).expect("a map of strings serialises");
        sqlx::query(
            "INSERT INTO import_mappings (platform, kind, columns, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (platform, kind) DO UPDATE SET columns = excluded.columns,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(platform)
        .bind(kind)
        .bind(&json)
        .bind(by)
        .bind(Timestamp::now().millis())
        .execute(self.store().pool())
        .await?;
        self.import_mapping(platform, kind).await
    }

    async fn parse_upload(&self, u: Upload<'_>) -> Result<Parsed, AnalyticsError> {
        let Upload {
            platform,
            kind,
            file_name,
            bytes,
            room,
        } = u;
        let mapping = self.import_mapping(platform, kind).await?;
        let (mut preview, rows) = parse_file_kind(bytes, kind, &mapping.columns, room)?;
        preview.platform = platform.into();
        preview.kind = kind.into();
        preview.file_name = file_name.chars().take(200).collect();
        preview.bytes = bytes.len();
        preview.sha256 = format!("{:x}", Sha256::digest(bytes));
        preview.imported_as = sqlx::query("SELECT id FROM platform_imports WHERE sha256 = $1")
            .bind(&preview.sha256)
            .fetch_optional(self.store().pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(Parsed { preview, rows })
    }

    /// What importing the file would do, without writing anything.
    pub async fn preview_import(&self, u: Upload<'_>) -> Result<Preview, AnalyticsError> {
        Ok(self.parse_upload(u).await?.preview)
    }

    /// Imports the file in one transaction. A file with rejected rows is refused unless
    /// `skip_rejected` (then the valid rows go in and the report keeps the others). The same
    /// file again answers its first import and changes nothing.
    pub async fn import(
        &self,
        u: Upload<'_>,
        skip_rejected: bool,
        by: i64,
    ) -> Result<ImportRecord, AnalyticsError> {
        let Parsed { preview, rows } = self.parse_upload(u).await?;
        let platform = u.platform;
        let kind = u.kind;
        if let Some(id) = preview.imported_as {
            let mut r = self.import_record(id).await?;
            r.already = true;
            return Ok(r);
        }
        if !skip_rejected {
            refuse_rejected(
                &preview,
                "Fix the file, or import the valid rows with skip_rejected=true",
            )?;
        }
        if rows.is_empty() {
            return Err(AnalyticsError::Invalid("no rows to import".into()));
        }
        let now = Timestamp::now().millis();
        let mut tx = self.store().begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO platform_imports (platform, kind, file_name, sha256, format, encoding, rows,
             imported, rejected, added, updated, report, by_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, $11, $12) RETURNING id",
        )
        .bind(platform)
        .bind(kind)
        .bind(&preview.file_name)
        .bind(&preview.sha256)
        .bind(&preview.format)
        .bind(&preview.encoding)
        .bind(preview.rows as i64)
        .bind(rows.len() as i64)
        .bind(preview.rejected.len() as i64)
        .bind(serde_json::to_string(&preview.rejected).expect("the report serialises"))
        .bind(by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let (mut added, mut updated) = (0i64, 0i64);
        for r in &rows {
            let replaced = if kind == "products" {
                upsert_product(&mut tx, platform, r, id, now).await?
            } else {
                upsert_session(&mut tx, platform, &r.session(), id, now).await?
            };
            if replaced {
                updated += 1;
            } else {
                added += 1;
            }
        }
        sqlx::query("UPDATE platform_imports SET added = $1, updated = $2 WHERE id = $3")
            .bind(added)
            .bind(updated)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.import_record(id).await
    }

    pub async fn import_record(&self, id: i64) -> Result<ImportRecord, AnalyticsError> {
        let r = sqlx::query(
            "SELECT id, platform, kind, file_name, sha256, format, encoding, rows, imported, rejected,
                    added, updated, report, by_id, created_at
             FROM platform_imports WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store().pool())
        .await?
        .ok_or_else(|| AnalyticsError::NotFound(format!("import {id}")))?;
        record_from(&r)
    }

    /// The latest imports, newest first.
    pub async fn imports(&self) -> Result<Vec<ImportRecord>, AnalyticsError> {
        let rows = sqlx::query(
            "SELECT id, platform, kind, file_name, sha256, format, encoding, rows, imported, rejected,
                    added, updated, report, by_id, created_at
             FROM platform_imports ORDER BY id DESC LIMIT 100",
        )
        .fetch_all(self.store().pool())
        .await?;
        rows.iter().map(record_from).collect()
    }
}

/// Writes one imported session; answers whether it replaced an earlier export's row.
async fn upsert_session(
    tx: &mut sellstream_store::Tx,
    platform: &str,
    r: &SessionRow,
    import_id: i64,
    now: i64,
) -> Result<bool, AnalyticsError> {
    let existed: Option<i64> = sqlx::query(
        "SELECT id FROM platform_sessions WHERE platform = $1 AND room = $2 AND started_at = $3",
    )
    .bind(platform)
    .bind(&r.room)
    .bind(r.started_at)
    .fetch_optional(&mut **tx)
    .await?
    .map(|x| x.try_get(0))
    .transpose()?;
    sqlx::query(
            "INSERT INTO platform_sessions (platform, room, title, host, started_at, duration_ms, uv, pv,
             pcu, avg_watch_ms, new_followers, comments, gmv_fen, orders, buyers, conversion,
             refund_fen, import_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
             ON CONFLICT (platform, room, started_at) DO UPDATE SET title = excluded.title,
             host = excluded.host, duration_ms = excluded.duration_ms, uv = excluded.uv,
             pv = excluded.pv, pcu = excluded.pcu, avg_watch_ms = excluded.avg_watch_ms,
             new_followers = excluded.new_followers, comments = excluded.comments,
             gmv_fen = excluded.gmv_fen, orders = excluded.orders, buyers = excluded.buyers,
             conversion = excluded.conversion, refund_fen = excluded.refund_fen,
             import_id = excluded.import_id, updated_at = excluded.updated_at",
        )
        .bind(platform)
        .bind(&r.room)
        .bind(&r.title)
        .bind(&r.host)
        .bind(r.started_at)
        .bind(r.duration_ms)
        .bind(r.uv)
        .bind(r.pv)
        .bind(r.pcu)
        .bind(r.avg_watch_ms)
        .bind(r.new_followers)
        .bind(r.comments)
        .bind(r.gmv_fen)
        .bind(r.orders)
        .bind(r.buyers)
        .bind(r.conversion)
        .bind(r.refund_fen)
        .bind(import_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(existed.is_some())
}

/// Writes one imported product row; answers whether it replaced an earlier export's row.
async fn upsert_product(
    tx: &mut sellstream_store::Tx,
    platform: &str,
    r: &ImportRow,
    import_id: i64,
    now: i64,
) -> Result<bool, AnalyticsError> {
    let (room, started_at, product) = (
        r.text("room").unwrap_or_default(),
        r.int("started_at").unwrap_or_default(),
        r.text("product").unwrap_or_default(),
    );
    let existed: Option<i64> = sqlx::query(
        "SELECT id FROM platform_products
         WHERE platform = $1 AND room = $2 AND started_at = $3 AND product = $4",
    )
    .bind(platform)
    .bind(&room)
    .bind(started_at)
    .bind(&product)
    .fetch_optional(&mut **tx)
    .await?
    .map(|x| x.try_get(0))
    .transpose()?;
    sqlx::query(
        "INSERT INTO platform_products (platform, room, started_at, product, product_code, exposures,
         clicks, units, orders, buyers, gmv_fen, explain_ms, import_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (platform, room, started_at, product) DO UPDATE SET
         product_code = excluded.product_code, exposures = excluded.exposures,
         clicks = excluded.clicks, units = excluded.units, orders = excluded.orders,
         buyers = excluded.buyers, gmv_fen = excluded.gmv_fen, explain_ms = excluded.explain_ms,
         import_id = excluded.import_id, updated_at = excluded.updated_at",
    )
    .bind(platform)
    .bind(&room)
    .bind(started_at)
    .bind(&product)
    .bind(r.text("product_code"))
    .bind(r.int("exposures"))
    .bind(r.int("clicks"))
    .bind(r.int("units"))
    .bind(r.int("orders"))
    .bind(r.int("buyers"))
    .bind(r.int("gmv_fen"))
    .bind(r.int("explain_ms"))
    .bind(import_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(existed.is_some())
}

/// A file with rejected rows is refused whole, naming the first and what to do (`then`).
pub(crate) fn refuse_rejected(preview: &Preview, then: &str) -> Result<(), AnalyticsError> {
    match preview.rejected.first() {
        None => Ok(()),
        Some(first) => Err(AnalyticsError::Invalid(format!(
            "{} of {} rows are rejected (row {}: {}); nothing was imported. {then}",
            preview.rejected.len(),
            preview.rows,
            first.row,
            first.errors.join("; ")
        ))),
    }
}

fn record_from(r: &sellstream_store::AnyRow) -> Result<ImportRecord, AnalyticsError> {
    Ok(ImportRecord {
        id: r.try_get(0)?,
        platform: r.try_get(1)?,
        kind: r.try_get(2)?,
        file_name: r.try_get(3)?,
        sha256: r.try_get(4)?,
        format: r.try_get(5)?,
        encoding: r.try_get(6)?,
        rows: r.try_get(7)?,
        imported: r.try_get(8)?,
        rejected: r.try_get(9)?,
        added: r.try_get(10)?,
        updated: r.try_get(11)?,
        report: serde_json::from_str(&r.try_get::<String, _>(12)?).unwrap_or_default(),
        by_id: r.try_get(13)?,
        created_at: Timestamp::from_millis(r.try_get(14)?),
        already: false,
    })
}
