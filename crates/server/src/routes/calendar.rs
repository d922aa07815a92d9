//! The content calendar: sessions across channels with their conflicts, moving a session by drag,
//! planned units per bag product, a session's content sheet, and the calendar as iCalendar and XLSX.

use crate::auth::Staff;
use crate::export::{download, Cell};
use crate::extract::{Json, Path, Query};
use crate::{ApiError, AppState, ErrorBody};
use axum::extract::State;
use axum::response::Response;
use sellstream_accounts::Role;
use sellstream_core::{ErrorCode, Timestamp};
use sellstream_live::{LiveSession, SessionInput};
use sellstream_ops::calendar::{ics, Calendar, CalendarFilter, Conflict, Entry};
use sellstream_ops::scripts::Segment;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const PLANNERS: &[Role] = &[Role::Operator];
/// Roles that see every session; a host who holds none of them sees their own.
const SEE_ALL: &[Role] = &[
    Role::Operator,
    Role::Controller,
    Role::Analyst,
    Role::Warehouse,
    // Talent managers plan practice sessions around the hosts' shows.
    Role::TalentManager,
];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Start of the range (RFC 3339).
    pub from: Timestamp,
    /// End of the range, at most 100 days after `from`.
    pub to: Timestamp,
    pub channel: Option<String>,
    pub host_id: Option<i64>,
    #[serde(default)]
    pub include_cancelled: bool,
}

fn filter(staff: &Staff, q: &CalendarQuery) -> CalendarFilter {
    let mut host_id = q.host_id;
    if !staff.0.has_any_role(SEE_ALL) {
        host_id = Some(staff.0.id);
    }
    CalendarFilter {
        channel: q.channel.clone().filter(|c| !c.is_empty()),
        host_id,
        include_cancelled: q.include_cancelled,
    }
}

/// Sessions starting in the range, each with host, products, targets, script size and conflicts
/// (any staff; a host sees their own sessions).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(CalendarQuery),
    responses((status = 200, body = Calendar), (status = 422, body = ErrorBody)))]
pub async fn calendar(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CalendarQuery>,
) -> Result<axum::Json<Calendar>, ApiError> {
    let f = filter(&staff, &q);
    Ok(axum::Json(state.planner.calendar(q.from, q.to, &f).await?))
}

/// The calendar as an iCalendar file to subscribe to or import (any staff).
#[utoipa::path(get, path = "/api/v1/calendar.ics", tag = "calendar", params(CalendarQuery),
    responses((status = 200, description = "text/calendar"), (status = 422, body = ErrorBody)))]
pub async fn calendar_ics(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, ApiError> {
    let f = filter(&staff, &q);
    let cal = state.planner.calendar(q.from, q.to, &f).await?;
    let brand = state.brand.get().await?;
    Ok(download(
        ics(&cal, &brand.name, "sellstream").into_bytes(),
        "text/calendar; charset=utf-8",
        "sellstream-calendar.ics",
    ))
}

const CAL_COLUMNS: &[&str] = &[
    "场次 session",
    "开始 start (UTC+8)",
    "结束 end",
    "标题 title",
    "渠道 channel",
    "主播 host",
    "主题 theme",
    "形式 format",
    "节日 festival",
    "促销政策 policy",
    "商品 products",
    "目标 GMV target",
    "目标观众 viewers target",
    "目标订单 orders target",
    "脚本段数 segments",
    "状态 state",
    "冲突 conflicts",
];

const SHEET_COLUMNS: &[&str] = &[
    "场次 session",
    "标题 title",
    "#",
    "开始 start (UTC+8)",
    "结束 end",
    "环节 kind",
    "内容 segment",
    "分钟 minutes",
    "人员 people",
    "商品 products",
    "优惠 promotion",
    "道具 props",
];

fn beijing(t: Timestamp) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp_nanos(t.millis() as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        d.year(),
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute()
    )
}

fn opt_money(v: Option<i64>) -> Cell {
    v.map_or(Cell::Text(String::new()), Cell::Money)
}

fn opt_int(v: Option<i64>) -> Cell {
    v.map_or(Cell::Text(String::new()), Cell::Int)
}

/// The calendar as a workbook: the sessions, and every session's content sheet by segment
/// (any staff).
#[utoipa::path(get, path = "/api/v1/calendar.xlsx", tag = "calendar", params(CalendarQuery),
    responses((status = 200, description = "XLSX"), (status = 422, body = ErrorBody)))]
pub async fn calendar_xlsx(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, ApiError> {
    let f = filter(&staff, &q);
    let cal = state.planner.calendar(q.from, q.to, &f).await?;
    let mut rows = Vec::new();
    let mut sheet_rows = Vec::new();
    for e in &cal.entries {
        rows.push(vec![
            Cell::Int(e.id),
            Cell::Text(beijing(e.scheduled_start)),
            Cell::Text(beijing(e.scheduled_end)),
            Cell::Text(e.title.clone()),
            Cell::Text(e.channel_name.clone()),
            Cell::Text(e.host_name.clone().unwrap_or_default()),
            Cell::Text(e.theme.clone()),
            Cell::Text(e.format.clone()),
            Cell::Text(e.festival.clone().unwrap_or_default()),
            Cell::Text(e.promotion_policy.clone()),
            Cell::Text(
                e.products
                    .iter()
                    .map(|p| p.title.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            ),
            opt_money(e.target_gmv_fen),
            opt_int(e.target_viewers),
            opt_int(e.target_orders),
            Cell::Int(e.script_segments),
            Cell::Text(e.state.clone()),
            Cell::Text(
                e.conflicts
                    .iter()
                    .map(|c| c.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ]);
        let sheet = content_sheet(&state, e.clone()).await?;
        for (i, s) in sheet.segments.iter().enumerate() {
            sheet_rows.push(vec![
                Cell::Int(e.id),
                Cell::Text(e.title.clone()),
                Cell::Int(i as i64 + 1),
                Cell::Text(beijing(s.start)),
                Cell::Text(beijing(s.end)),
                Cell::Text(s.segment.kind.as_str().to_owned()),
                Cell::Text(s.segment.title.clone()),
                Cell::Int(s.segment.minutes),
                Cell::Text(s.segment.people.join("、")),
                Cell::Text(s.product_titles.join("、")),
                Cell::Text(s.segment.promotion.clone()),
                Cell::Text(s.segment.props.clone()),
            ]);
        }
    }
    let book = sellstream_analytics::export::xlsx_book(&[
        sellstream_analytics::export::SheetRef {
            name: "日历 Calendar",
            columns: CAL_COLUMNS,
            rows: &rows,
        },
        sellstream_analytics::export::SheetRef {
            name: "内容单 Content sheets",
            columns: SHEET_COLUMNS,
            rows: &sheet_rows,
        },
    ])
    .map_err(|e| {
        tracing::error!(error = %e, "calendar xlsx failed");
        ApiError::new(ErrorCode::Internal, "the spreadsheet could not be written")
    })?;
    Ok(download(
        book,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sellstream-calendar.xlsx",
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SheetSegment {
    #[serde(flatten)]
    pub segment: Segment,
    /// Clock times if the show keeps to plan from its scheduled start.
    pub start: Timestamp,
    pub end: Timestamp,
    pub product_titles: Vec<String>,
}

/// The content sheet of plan §4.1.4: time, theme, segments, people, products, policy.
#[derive(Serialize, ToSchema)]
pub struct ContentSheet {
    pub session: Entry,
    pub segments: Vec<SheetSegment>,
    /// Everyone named in the script, and the host.
    pub people: Vec<String>,
    /// Minutes of the session the script leaves unplanned.
    pub unplanned_minutes: i64,
}

async fn content_sheet(state: &AppState, session: Entry) -> Result<ContentSheet, ApiError> {
    let script = state.scripts.get(session.id, None).await?;
    let titles: std::collections::HashMap<i64, String> = script
        .products
        .iter()
        .map(|p| (p.id, p.title.clone()))
        .collect();
    let mut at = session.scheduled_start;
    let mut people: Vec<String> = session.host_name.iter().cloned().collect();
    let mut segments = Vec::new();
    for s in script.segments {
        let end = at.plus_seconds(s.minutes * 60);
        for p in &s.people {
            if !people.contains(p) {
                people.push(p.clone());
            }
        }
        segments.push(SheetSegment {
            product_titles: s
                .products
                .iter()
                .filter_map(|p| titles.get(p).cloned())
                .collect(),
            segment: s,
            start: at,
            end,
        });
        at = end;
    }
    let length = (session.scheduled_end.millis() - session.scheduled_start.millis()) / 60_000;
    Ok(ContentSheet {
        unplanned_minutes: length - script.total_minutes,
        session,
        segments,
        people,
    })
}

/// A session's content sheet (any staff).
#[utoipa::path(get, path = "/api/v1/sessions/{id}/content-sheet", tag = "calendar", params(("id" = i64, Path)),
    responses((status = 200, body = ContentSheet), (status = 404, body = ErrorBody)))]
pub async fn sheet(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<axum::Json<ContentSheet>, ApiError> {
    let entry = state.planner.entry(id).await?;
    Ok(axum::Json(content_sheet(&state, entry).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub scheduled_start: Timestamp,
    /// Omitted: the session keeps its length.
    #[serde(default)]
    pub scheduled_end: Option<Timestamp>,
    /// Move even though the host or the channel is taken then.
    #[serde(default)]
    pub force: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Rescheduled {
    pub session: LiveSession,
    /// What the new time clashes with (only when forced).
    pub conflicts: Vec<Conflict>,
}

/// Move a scheduled session (a drag on the calendar; operator). A time when its host is in another
/// session or its channel is taken is refused (409, naming them) unless `force`.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/reschedule", tag = "calendar", params(("id" = i64, Path)),
    request_body = Reschedule,
    responses((status = 200, body = Rescheduled), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<Reschedule>,
) -> Result<axum::Json<Rescheduled>, ApiError> {
    staff.require(PLANNERS)?;
    let s = state.sessions.get(id).await?;
    if s.state != sellstream_live::SessionState::Scheduled {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("the session is {}: only a scheduled session moves", s.state),
        ));
    }
    let length = s.scheduled_end.millis() - s.scheduled_start.millis();
    let start = input.scheduled_start;
    let end = input
        .scheduled_end
        .unwrap_or_else(|| Timestamp::from_millis(start.millis() + length));
    if start.millis() < Timestamp::now().millis() - 60_000 {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "scheduled_start: a session cannot move into the past",
        ));
    }
    let conflicts = state
        .planner
        .clashes_at(
            id,
            s.host_id,
            if s.practice_course_id.is_some() {
                ""
            } else {
                &s.channel
            },
            start,
            end,
        )
        .await?;
    if !conflicts.is_empty() && !input.force {
        let list = conflicts
            .iter()
            .map(|c| c.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("that time clashes: {list}"),
        ));
    }
    // The script must still fit a shorter session.
    let script = state.scripts.get(id, None).await?;
    let minutes = (end.millis() - start.millis()) / 60_000;
    if script.total_minutes > minutes {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!(
                "the script runs {} minutes, longer than {minutes}: shorten it first",
                script.total_minutes
            ),
        ));
    }
    let session = state
        .sessions
        .update(
            id,
            SessionInput {
                title: s.title.clone(),
                theme: s.theme,
                format: s.format,
                festival: s.festival.clone(),
                promotion_policy: s.promotion_policy.clone(),
                channel: s.channel.clone(),
                host_id: s.host_id,
                scheduled_start: start,
                scheduled_end: end,
                cover_url: s.cover_url.clone(),
                target_gmv_fen: s.targets.target_gmv_fen,
                target_viewers: s.targets.target_viewers,
                target_orders: s.targets.target_orders,
            },
        )
        .await?;
    tracing::info!(session = id, %start, forced = input.force && !conflicts.is_empty(), "session moved");
    Ok(axum::Json(Rescheduled { session, conflicts }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedUnits {
    /// Units of this product planned for the session; null: not planned.
    pub planned_units: Option<i64>,
}

/// Plan how many units of a bag product a session will sell, for the calendar's stock check
/// (operator).
#[utoipa::path(put, path = "/api/v1/sessions/{id}/bag/{product_id}/units", tag = "calendar",
    params(("id" = i64, Path), ("product_id" = i64, Path)), request_body = PlannedUnits,
    responses((status = 200, body = Entry), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn planned_units(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, product)): Path<(i64, i64)>,
    Json(input): Json<PlannedUnits>,
) -> Result<axum::Json<Entry>, ApiError> {
    staff.require(PLANNERS)?;
    state
        .planner
        .set_planned_units(id, product, input.planned_units)
        .await?;
    Ok(axum::Json(state.planner.entry(id).await?))
}
