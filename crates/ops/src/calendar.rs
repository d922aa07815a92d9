//! The content calendar (plan §4.1): sessions across channels in a date range with what the
//! planners need beside each (host, products, targets, script), the conflicts between them, the
//! content sheet of one session (plan §4.1.4), and the calendar as iCalendar for people's own
//! calendars.

use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A calendar reads at most this span at once.
pub const MAX_RANGE_DAYS: i64 = 100;
const DAY_MS: i64 = 86_400_000;
/// Sessions last at most a day, so one that clashes with the range starts at most a day before it.
const MAX_SESSION_MS: i64 = DAY_MS;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductPlan {
    pub id: i64,
    pub title: String,
    pub stock: i64,
    /// Units planned for this session (the bag's `planned_units`), if set.
    pub planned_units: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conflict {
    /// `host` (one host in two sessions at once), `channel` (two sessions at once on one channel
    /// account) or `stock` (the sessions ahead plan more of a product than there is).
    pub kind: &'static str,
    pub message: String,
    /// The other session, for `host` and `channel`.
    pub session_id: Option<i64>,
    /// The product, for `stock`.
    pub product_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Entry {
    pub id: i64,
    pub title: String,
    pub theme: String,
    pub format: String,
    pub festival: Option<String>,
    pub promotion_policy: String,
    pub channel: String,
    pub channel_name: String,
    pub platform: String,
    pub host_id: Option<i64>,
    pub host_name: Option<String>,
    pub state: String,
    pub scheduled_start: Timestamp,
    pub scheduled_end: Timestamp,
    pub target_gmv_fen: Option<i64>,
    pub target_viewers: Option<i64>,
    pub target_orders: Option<i64>,
    pub products: Vec<ProductPlan>,
    /// The script's latest version (0: none yet), its segments and planned minutes.
    pub script_version: i64,
    pub script_segments: i64,
    pub script_minutes: i64,
    /// Set for a private practice session of this training course (it occupies no channel).
    pub practice_course_id: Option<i64>,
    pub conflicts: Vec<Conflict>,
}

impl Entry {
    /// The channel the session occupies: none for a practice session.
    fn occupies(&self) -> &str {
        if self.practice_course_id.is_some() {
            ""
        } else {
            &self.channel
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Calendar {
    pub from: Timestamp,
    pub to: Timestamp,
    pub entries: Vec<Entry>,
    /// Entries with at least one conflict.
    pub conflicted: usize,
}

#[derive(Debug, Clone, Default)]
pub struct CalendarFilter {
    pub channel: Option<String>,
    pub host_id: Option<i64>,
    /// Cancelled sessions are left out unless asked for.
    pub include_cancelled: bool,
}

#[derive(Clone)]
pub struct Planner {
    store: Store,
}

struct Slot {
    id: i64,
    title: String,
    channel: String,
    host_id: Option<i64>,
    host_name: Option<String>,
    start: i64,
    end: i64,
}

const ENTRY_SELECT: &str = "SELECT s.id, s.title, s.theme, s.format, s.festival, s.promotion_policy,
    s.channel, COALESCE(c.name, s.channel), COALESCE(c.platform, ''), s.host_id, a.nickname, s.state,
    s.scheduled_start, s.scheduled_end, s.target_gmv_fen, s.target_viewers, s.target_orders,
    (SELECT COALESCE(MAX(v.version), 0) FROM script_versions v WHERE v.session_id = s.id),
    s.practice_course_id
    FROM live_sessions s LEFT JOIN accounts a ON a.id = s.host_id
    LEFT JOIN channels c ON c.code = s.channel";

fn fmt_time(ms: i64) -> String {
    // Planners read Beijing time.
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    format!(
        "{:02}-{:02} {:02}:{:02}",
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

impl Planner {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Sessions starting in `[from, to)` with their conflicts.
    pub async fn calendar(
        &self,
        from: Timestamp,
        to: Timestamp,
        filter: &CalendarFilter,
    ) -> Result<Calendar, OpsError> {
        let (f, t) = (from.millis(), to.millis());
        if t <= f {
            return Err(OpsError::Invalid("to: must be after from".into()));
        }
        if t - f > MAX_RANGE_DAYS * DAY_MS {
            return Err(OpsError::Invalid(format!(
                "a calendar spans at most {MAX_RANGE_DAYS} days"
            )));
        }
        let rows = sqlx::query(&format!(
            "{ENTRY_SELECT} WHERE s.scheduled_start >= $1 AND s.scheduled_start < $2
             AND ($3 = '' OR s.channel = $3) AND ($4 = 0 OR s.host_id = $4)
             AND ($5 = 1 OR s.state <> 'cancelled')
             ORDER BY s.scheduled_start, s.id"
        ))
        .bind(f)
        .bind(t)
        .bind(filter.channel.clone().unwrap_or_default())
        .bind(filter.host_id.unwrap_or(0))
        .bind(i64::from(filter.include_cancelled))
        .fetch_all(self.store.pool())
        .await?;
        let mut entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        let mut products = self.products(&ids).await?;
        let mut scripts = self.script_sizes(&ids).await?;
        let slots = self.slots(f - MAX_SESSION_MS, t + MAX_SESSION_MS).await?;
        let stock = self.stock_conflicts().await?;
        for e in &mut entries {
            e.products = products.remove(&e.id).unwrap_or_default();
            (e.script_segments, e.script_minutes) = scripts.remove(&e.id).unwrap_or((0, 0));
            if e.state == "scheduled" || e.state == "live" {
                e.conflicts = clashes(
                    e.id,
                    e.host_id,
                    e.occupies(),
                    e.scheduled_start.millis(),
                    e.scheduled_end.millis(),
                    &slots,
                );
                e.conflicts
                    .extend(stock.get(&e.id).cloned().unwrap_or_default());
            }
        }
        Ok(Calendar {
            from,
            to,
            conflicted: entries.iter().filter(|e| !e.conflicts.is_empty()).count(),
            entries,
        })
    }

    /// One session as the calendar shows it.
    pub async fn entry(&self, id: i64) -> Result<Entry, OpsError> {
        let row = sqlx::query(&format!("{ENTRY_SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or_else(|| OpsError::NotFound(format!("session {id}")))?;
        let mut e = entry_from_row(&row)?;
        e.products = self.products(&[id]).await?.remove(&id).unwrap_or_default();
        (e.script_segments, e.script_minutes) = self
            .script_sizes(&[id])
            .await?
            .remove(&id)
            .unwrap_or((0, 0));
        if e.state == "scheduled" || e.state == "live" {
            let (s, t) = (e.scheduled_start.millis(), e.scheduled_end.millis());
            let slots = self.slots(s - MAX_SESSION_MS, t + MAX_SESSION_MS).await?;
            e.conflicts = clashes(id, e.host_id, e.occupies(), s, t, &slots);
            e.conflicts.extend(
                self.stock_conflicts()
                    .await?
                    .remove(&id)
                    .unwrap_or_default(),
            );
        }
        Ok(e)
    }

    /// Which sessions a session would clash with at `[start, end)`: the same host or the same
    /// channel (`""` for a practice session, which occupies none) at once. Used before moving a
    /// session on the calendar.
    pub async fn clashes_at(
        &self,
        id: i64,
        host_id: Option<i64>,
        channel: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<Conflict>, OpsError> {
        let (s, e) = (start.millis(), end.millis());
        let slots = self.slots(s - MAX_SESSION_MS, e + MAX_SESSION_MS).await?;
        Ok(clashes(id, host_id, channel, s, e, &slots))
    }

    /// Scheduled and live sessions starting in `[from, to)`.
    async fn slots(&self, from: i64, to: i64) -> Result<Vec<Slot>, OpsError> {
        let rows = sqlx::query(
            "SELECT s.id, s.title, CASE WHEN s.practice_course_id IS NULL THEN s.channel ELSE '' END,
                    s.host_id, a.nickname, s.scheduled_start, s.scheduled_end
             FROM live_sessions s LEFT JOIN accounts a ON a.id = s.host_id
             WHERE s.state IN ('scheduled', 'live') AND s.scheduled_start >= $1 AND s.scheduled_start < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Slot {
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    channel: r.try_get(2)?,
                    host_id: r.try_get(3)?,
                    host_name: r.try_get(4)?,
                    start: r.try_get(5)?,
                    end: r.try_get(6)?,
                })
            })
            .collect()
    }

    async fn products(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<ProductPlan>>, OpsError> {
        let mut out: HashMap<i64, Vec<ProductPlan>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "SELECT b.session_id, p.id, p.title, b.planned_units,
             (SELECT CAST(COALESCE(SUM(k.stock), 0) AS BIGINT) FROM skus k WHERE k.product_id = p.id)
             FROM session_bag b JOIN products p ON p.id = b.product_id
             WHERE b.session_id IN ({list}) ORDER BY b.session_id, b.position"
        ))
        .fetch_all(self.store.pool())
        .await?;
        for r in rows {
            out.entry(r.try_get(0)?).or_default().push(ProductPlan {
                id: r.try_get(1)?,
                title: r.try_get(2)?,
                planned_units: r.try_get(3)?,
                stock: r.try_get(4)?,
            });
        }
        Ok(out)
    }

    async fn script_sizes(&self, ids: &[i64]) -> Result<HashMap<i64, (i64, i64)>, OpsError> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(&format!(
            "SELECT v.session_id, v.segments, v.total_minutes FROM script_versions v
             WHERE v.session_id IN ({list}) AND v.version =
               (SELECT MAX(w.version) FROM script_versions w WHERE w.session_id = v.session_id)"
        ))
        .fetch_all(self.store.pool())
        .await?;
        for r in rows {
            let segments: String = r.try_get(1)?;
            let n = serde_json::from_str::<Vec<serde_json::Value>>(&segments)
                .map_or(0, |v| v.len() as i64);
            out.insert(r.try_get::<i64, _>(0)?, (n, r.try_get::<i64, _>(2)?));
        }
        Ok(out)
    }

    /// Products whose planned units over the sessions ahead (scheduled or live) exceed their
    /// stock, and bag products with no stock at all, per session.
    async fn stock_conflicts(&self) -> Result<HashMap<i64, Vec<Conflict>>, OpsError> {
        let rows = sqlx::query(
            "SELECT b.session_id, p.id, p.title, COALESCE(b.planned_units, 0),
             (SELECT CAST(COALESCE(SUM(k.stock), 0) AS BIGINT) FROM skus k WHERE k.product_id = p.id)
             FROM session_bag b JOIN products p ON p.id = b.product_id
             JOIN live_sessions s ON s.id = b.session_id
             WHERE s.state IN ('scheduled', 'live')",
        )
        .fetch_all(self.store.pool())
        .await?;
        struct Use {
            session: i64,
            product: i64,
            title: String,
            planned: i64,
            stock: i64,
        }
        let uses: Vec<Use> = rows
            .iter()
            .map(|r| {
                Ok(Use {
                    session: r.try_get(0)?,
                    product: r.try_get(1)?,
                    title: r.try_get(2)?,
                    planned: r.try_get(3)?,
                    stock: r.try_get(4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        let mut planned: HashMap<i64, (i64, i64)> = HashMap::new();
        for u in &uses {
            let p = planned.entry(u.product).or_default();
            p.0 += u.planned;
            p.1 += i64::from(u.planned > 0);
        }
        let mut out: HashMap<i64, Vec<Conflict>> = HashMap::new();
        for u in &uses {
            let (sum, sessions) = planned[&u.product];
            let message = if u.stock == 0 {
                format!("{}: no stock left", u.title)
            } else if sum > u.stock && u.planned > 0 {
                format!(
                    "{}: {sum} units planned over {sessions} sessions ahead, {} in stock",
                    u.title, u.stock
                )
            } else {
                continue;
            };
            out.entry(u.session).or_default().push(Conflict {
                kind: "stock",
                message,
                session_id: None,
                product_id: Some(u.product),
            });
        }
        Ok(out)
    }

    /// Sets the units of a bag product planned for a session (none: not planned).
    pub async fn set_planned_units(
        &self,
        session: i64,
        product: i64,
        units: Option<i64>,
    ) -> Result<(), OpsError> {
        if units.is_some_and(|u| !(1..=10_000_000).contains(&u)) {
            return Err(OpsError::Invalid(
                "planned_units: a whole number from 1 to 10,000,000, or null".into(),
            ));
        }
        let n = sqlx::query(
            "UPDATE session_bag SET planned_units = $1 WHERE session_id = $2 AND product_id = $3",
        )
        .bind(units)
        .bind(session)
        .bind(product)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(OpsError::NotFound(format!(
                "product {product} in session {session}'s bag"
            )));
        }
        Ok(())
    }
}

fn clashes(
    id: i64,
    host_id: Option<i64>,
    channel: &str,
    start: i64,
    end: i64,
    slots: &[Slot],
) -> Vec<Conflict> {
    let mut out = Vec::new();
    for o in slots {
        if o.id == id || o.start >= end || start >= o.end {
            continue;
        }
        let when = format!("{}–{}", fmt_time(o.start), &fmt_time(o.end)[6..]);
        if host_id.is_some() && o.host_id == host_id {
            out.push(Conflict {
                kind: "host",
                message: format!(
                    "{} also hosts “{}” ({when})",
                    o.host_name.as_deref().unwrap_or("the host"),
                    o.title
                ),
                session_id: Some(o.id),
                product_id: None,
            });
        }
        // A practice session occupies no channel ("").
        if !channel.is_empty() && o.channel == channel {
            out.push(Conflict {
                kind: "channel",
                message: format!(
                    "“{}” is on channel {} at the same time ({when})",
                    o.title, o.channel
                ),
                session_id: Some(o.id),
                product_id: None,
            });
        }
    }
    out
}

fn entry_from_row(r: &sellstream_store::AnyRow) -> Result<Entry, OpsError> {
    Ok(Entry {
        id: r.try_get(0)?,
        title: r.try_get(1)?,
        theme: r.try_get(2)?,
        format: r.try_get(3)?,
        festival: r.try_get(4)?,
        promotion_policy: r.try_get(5)?,
        channel: r.try_get(6)?,
        channel_name: r.try_get(7)?,
        platform: r.try_get(8)?,
        host_id: r.try_get(9)?,
        host_name: r.try_get(10)?,
        state: r.try_get(11)?,
        scheduled_start: Timestamp::from_millis(r.try_get(12)?),
        scheduled_end: Timestamp::from_millis(r.try_get(13)?),
        target_gmv_fen: r.try_get(14)?,
        target_viewers: r.try_get(15)?,
        target_orders: r.try_get(16)?,
        script_version: r.try_get(17)?,
        practice_course_id: r.try_get(18)?,
        products: vec![],
        script_segments: 0,
        script_minutes: 0,
        conflicts: vec![],
    })
}

/// RFC 5545 text: backslash, semicolon, comma and newline escaped.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut len = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if len + n > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += n;
    }
    out.push_str("\r\n");
}

fn ics_time(t: Timestamp) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp_nanos(t.millis() as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        d.year(),
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// The calendar as an iCalendar file: one event per session, times in UTC.
pub fn ics(calendar: &Calendar, brand: &str, host: &str) -> String {
    let mut out = String::new();
    let stamp = ics_time(Timestamp::now());
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//sellstream//content calendar//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", ics_text(brand)), &mut out);
    for e in &calendar.entries {
        let mut desc = vec![
            format!(
                "{} · {}",
                e.channel_name,
                e.host_name.as_deref().unwrap_or("-")
            ),
            format!("{} / {}", e.theme, e.format),
        ];
        if let Some(f) = &e.festival {
            desc.push(f.clone());
        }
        if !e.promotion_policy.is_empty() {
            desc.push(e.promotion_policy.clone());
        }
        if !e.products.is_empty() {
            desc.push(
                e.products
                    .iter()
                    .map(|p| p.title.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            );
        }
        for c in &e.conflicts {
            desc.push(format!("! {}", c.message));
        }
        fold("BEGIN:VEVENT", &mut out);
        fold(
            &format!("UID:session-{}@{}", e.id, ics_text(host)),
            &mut out,
        );
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(
            &format!("DTSTART:{}", ics_time(e.scheduled_start)),
            &mut out,
        );
        fold(&format!("DTEND:{}", ics_time(e.scheduled_end)), &mut out);
        fold(&format!("SUMMARY:{}", ics_text(&e.title)), &mut out);
        fold(
            &format!("DESCRIPTION:{}", ics_text(&desc.join("\n"))),
            &mut out,
        );
        fold(&format!("CATEGORIES:{}", ics_text(&e.theme)), &mut out);
        fold(&format!("LOCATION:{}", ics_text(&e.channel_name)), &mut out);
        fold(
            if e.state == "cancelled" {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            },
            &mut out,
        );
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_between_characters() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "双11返场".repeat(10)), &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "双11返场".repeat(10)));
    }

    #[test]
    fn utc_times_in_basic_form() {
        let t = Timestamp::from_millis(1_700_000_000_000);
        assert_eq!(ics_time(t), "20231114T221320Z");
        assert_eq!(fmt_time(1_700_000_000_000), "11-15 06:13");
    }

    fn slot(id: i64, host: Option<i64>, channel: &str, start: i64, end: i64) -> Slot {
        Slot {
            id,
            title: format!("s{id}"),
            channel: channel.into(),
            host_id: host,
            host_name: Some("美美".into()),
            start,
            end,
        }
    }

    #[test]
    fn clashes_need_an_overlap_and_a_shared_host_or_channel() {
        let slots = [
            slot(1, Some(7), "own", 0, 100),
            slot(2, Some(7), "douyin", 100, 200),
            slot(3, Some(8), "own", 50, 150),
            slot(4, Some(8), "kuaishou", 60, 70),
        ];
        let c = clashes(9, Some(7), "own", 90, 120, &slots);
        let got: Vec<(&str, Option<i64>)> = c.iter().map(|c| (c.kind, c.session_id)).collect();
        assert_eq!(
            got,
            vec![
                ("host", Some(1)),
                ("channel", Some(1)),
                ("host", Some(2)),
                ("channel", Some(3))
            ]
        );
        assert!(clashes(1, Some(7), "own", 0, 100, &slots[..1]).is_empty());
        assert!(clashes(9, None, "tmall", 0, 1000, &slots).is_empty());
    }
}
