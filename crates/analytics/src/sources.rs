//! Tailers: the room's log (`room_events`, per session) and the orders' log (`order_events`) are
//! read after their cursors and appended as analytics events, each batch with its cursor in the
//! same transaction, so nothing is counted twice or lost across restarts.

use crate::db::{Append, Cursor};
use crate::model::{viewer_of, Event, Kind, FLAG_FIRST_LINE, FLAG_REPLAY};
use crate::service::Analytics;
use crate::AnalyticsError;
use sellstream_core::Timestamp;
use sellstream_store::Row;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const ROWS_PER_READ: i64 = 5_000;

/// Tails both logs about twice a second while this node leads.
pub async fn run(a: Analytics) {
    let mut gaps = Gaps::default();
    loop {
        if let Err(e) = tail(&a, &mut gaps).await {
            tracing::error!(error = %e, "analytics: tailing the room and order logs failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One pass over both logs (tests and `catch_up` call it to be sure the logs are in).
pub async fn tail_once(a: &Analytics) -> Result<(), AnalyticsError> {
    let mut gaps = Gaps {
        patient: false,
        ..Default::default()
    };
    tail(a, &mut gaps).await
}

/// Missing ids in a log, and since when: an insert still committing shows up shortly; one that
/// rolled back never does, and after a few seconds the reader goes past it.
struct Gaps {
    seen: HashMap<(&'static str, i64), (i64, Instant)>,
    patient: bool,
}

impl Default for Gaps {
    fn default() -> Self {
        Self {
            seen: HashMap::new(),
            patient: true,
        }
    }
}

impl Gaps {
    /// How many of `ids` (ascending, all after `pos`) can be taken now.
    fn contiguous(&mut self, log: (&'static str, i64), pos: i64, ids: &[i64]) -> usize {
        let mut expect = pos + 1;
        for (n, id) in ids.iter().enumerate() {
            if *id != expect {
                if !self.patient {
                    return ids.len();
                }
                match self.seen.get(&log) {
                    Some((g, since))
                        if *g == expect && since.elapsed() > Duration::from_secs(5) => {}
                    Some((g, _)) if *g == expect => return n,
                    _ => {
                        self.seen.insert(log, (expect, Instant::now()));
                        return n;
                    }
                }
            }
            expect = id + 1;
        }
        ids.len()
    }
}

async fn tail(a: &Analytics, gaps: &mut Gaps) -> Result<(), AnalyticsError> {
    let _one_at_a_time = a.inner.tailing.lock().await;
    while tail_orders(a, gaps).await? {}
    let now = Timestamp::now().millis();
    let rows = sqlx::query(
        "SELECT id FROM live_sessions WHERE state = 'live' OR (state = 'ended' AND ended_at > $1) ORDER BY id",
    )
    .bind(now - 24 * 3_600_000)
    .fetch_all(a.store().pool())
    .await?;
    for r in rows {
        let session: i64 = r.try_get(0)?;
        while tail_room(a, gaps, session).await? {}
    }
    Ok(())
}

/// The next rows of a log after its cursor (`$1` the cursor, `$2` the limit, `$3` the session if
/// any): the rows, their positions (first column), how many can be taken now, and the cursor.
async fn next_rows(
    a: &Analytics,
    gaps: &mut Gaps,
    log: (&'static str, i64),
    sql: &str,
    session: Option<i64>,
) -> Result<Option<(Vec<sellstream_store::AnyRow>, Vec<i64>, usize, i64)>, AnalyticsError> {
    let pos = a.inner.db.cursor(log.0, log.1).await?;
    let mut q = sqlx::query(sql).bind(pos).bind(ROWS_PER_READ);
    if let Some(s) = session {
        q = q.bind(s);
    }
    let rows = q.fetch_all(a.store().pool()).await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let take = gaps.contiguous(log, pos, &ids);
    Ok((take > 0).then_some((rows, ids, take, pos)))
}

/// Appends the next rows of a session's room log; true when there may be more.
async fn tail_room(a: &Analytics, gaps: &mut Gaps, session: i64) -> Result<bool, AnalyticsError> {
    let Some((rows, seqs, take, from)) = next_rows(
        a,
        gaps,
        ("room", session),
        "SELECT seq, kind, actor_id, amount, payload, at FROM room_events
         WHERE session_id = $3 AND seq > $1 ORDER BY seq LIMIT $2",
        Some(session),
    )
    .await?
    else {
        return Ok(false);
    };
    let mut events = Vec::new();
    for r in &rows[..take] {
        let kind: String = r.try_get(1)?;
        let kind = match kind.as_str() {
            "enter" => Kind::Enter,
            "view" => Kind::View,
            "leave" => Kind::Leave,
            "chat" => Kind::Chat,
            "like" => Kind::Like,
            "follow" => Kind::Follow,
            "vote" | "question" => Kind::Interact,
            _ => continue,
        };
        let actor: Option<i64> = r.try_get(2)?;
        let amount: Option<i64> = r.try_get(3)?;
        let at: i64 = r.try_get(5)?;
        let viewer = if kind == Kind::Like {
            0
        } else {
            let payload: String = r.try_get(4)?;
            let device = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v["device"].as_str().map(str::to_owned));
            viewer_of(actor, device.as_deref())
        };
        if viewer == 0 && kind != Kind::Like {
            continue;
        }
        let mut e = Event::new(session, kind, viewer, at);
        if matches!(kind, Kind::Leave | Kind::Like) {
            e.value = amount.unwrap_or(0).max(0);
        }
        events.push(e);
    }
    let last = seqs[take - 1];
    a.append(Append {
        source: None,
        seqs: vec![],
        events,
        cursor: Some(Cursor {
            source: "room",
            key: session,
            pos: last,
            from: Some(from),
        }),
    })
    .await?;
    Ok(take == rows.len() && rows.len() as i64 == ROWS_PER_READ)
}

struct Line {
    line_no: i64,
    product_id: i64,
    quantity: i64,
    payable: i64,
}

/// Appends the next rows of the orders' log, one event per order line; true when there may be more.
async fn tail_orders(a: &Analytics, gaps: &mut Gaps) -> Result<bool, AnalyticsError> {
    let Some((rows, ids, take, from)) = next_rows(
        a,
        gaps,
        ("orders", 0),
        "SELECT id, kind, order_id, session_id, customer_id, amount, payload, at FROM order_events
         WHERE id > $1 ORDER BY id LIMIT $2",
        None,
    )
    .await?
    else {
        return Ok(false);
    };
    let rows = &rows[..take];
    let mut order_ids: Vec<i64> = Vec::new();
    for r in rows {
        let session: Option<i64> = r.try_get(3)?;
        if session.is_some() {
            order_ids.push(r.try_get(2)?);
        }
    }
    order_ids.sort_unstable();
    order_ids.dedup();
    let mut lines: HashMap<i64, Vec<Line>> = HashMap::new();
    for chunk in order_ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT order_id, line_no, product_id, quantity, payable FROM order_lines WHERE order_id IN ({}) ORDER BY order_id, line_no",
            list.join(", ")
        );
        for r in sqlx::query(&sql).fetch_all(a.store().pool()).await? {
            lines.entry(r.try_get(0)?).or_default().push(Line {
                line_no: r.try_get(1)?,
                product_id: r.try_get(2)?,
                quantity: r.try_get(3)?,
                payable: r.try_get(4)?,
            });
        }
    }
    let mut events = Vec::new();
    for r in rows {
        let Some(session) = r.try_get::<Option<i64>, _>(3)? else {
            continue;
        };
        let kind: String = r.try_get(1)?;
        let kind = match kind.as_str() {
            "order.placed" => Kind::OrderPlaced,
            "order.paid" => Kind::OrderPaid,
            "order.cancelled" => Kind::OrderCancelled,
            "order.refunded" => Kind::OrderRefunded,
            "order.shipped" => Kind::OrderShipped,
            "order.delivered" => Kind::OrderDelivered,
            _ => continue,
        };
        let order: i64 = r.try_get(2)?;
        let customer: i64 = r.try_get(4)?;
        let amount: i64 = r.try_get(5)?;
        let at: i64 = r.try_get(7)?;
        let Some(order_lines) = lines.get(&order) else {
            continue;
        };
        // Orders placed after the show ended came from its replay.
        let replay = a
            .session_info(session)
            .await?
            .and_then(|i| i.ended_at)
            .is_some_and(|ended| at > ended);
        let chosen: Vec<&Line> = match kind {
            Kind::OrderRefunded => {
                let payload: String = r.try_get(6)?;
                let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
                let nos: Vec<i64> = v["lines"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
                    .unwrap_or_default();
                order_lines
                    .iter()
                    .filter(|l| nos.is_empty() || nos.contains(&l.line_no))
                    .collect()
            }
            // One event per order for the moves that are not about money.
            Kind::OrderShipped | Kind::OrderDelivered => order_lines.iter().take(1).collect(),
            _ => order_lines.iter().collect(),
        };
        // The refund's own amount is what went back; lines share it as their payables do.
        let payable_sum: i64 = chosen.iter().map(|l| l.payable).sum();
        let mut given = 0;
        for (i, l) in chosen.iter().enumerate() {
            let mut e = Event::new(session, kind, customer, at);
            e.product_id = Some(l.product_id);
            e.ref_id = Some(order);
            e.units = l.quantity;
            e.value = match kind {
                Kind::OrderRefunded if i + 1 == chosen.len() => amount - given,
                Kind::OrderRefunded if payable_sum > 0 => amount * l.payable / payable_sum,
                Kind::OrderShipped | Kind::OrderDelivered => 0,
                _ => l.payable,
            };
            given += e.value;
            if i == 0 {
                e.flags |= FLAG_FIRST_LINE;
            }
            if replay {
                e.flags |= FLAG_REPLAY;
            }
            events.push(e);
        }
    }
    a.append(Append {
        source: None,
        seqs: vec![],
        events,
        cursor: Some(Cursor {
            source: "orders",
            key: 0,
            pos: ids[take - 1],
            from: Some(from),
        }),
    })
    .await?;
    Ok(take == ids.len() && ids.len() as i64 == ROWS_PER_READ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_waits_at_a_gap_then_goes_past_it() {
        let mut g = Gaps::default();
        assert_eq!(g.contiguous(("orders", 0), 10, &[11, 12, 14, 15]), 2);
        assert_eq!(g.contiguous(("orders", 0), 12, &[14, 15]), 0);
        g.seen
            .insert(("orders", 0), (13, Instant::now() - Duration::from_secs(6)));
        assert_eq!(g.contiguous(("orders", 0), 12, &[14, 15]), 2);
    }
}
