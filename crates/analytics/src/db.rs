//! The analytics writer's storage: appending events (with each page's sequence numbers, so a
//! retried batch is stored once), reading them back in order, and adding rollup deltas with the
//! consumer's cursor in one transaction. SQLite is driven directly (rusqlite, one connection,
//! prepared statements) because this is a hot path; PostgreSQL through the shared pool.

use crate::model::{Event, Kind};
use crate::rollup::{Delta, Op, Table};
use crate::AnalyticsError;
use rusqlite::OptionalExtension;
use sellstream_store::{Backend, Row, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Events to append in one go: a page's batch (numbered) or rows read from another log (with the
/// position its cursor moves to).
pub struct Append {
    pub source: Option<String>,
    /// The page's numbers for `events`, one each (empty for tailed rows).
    pub seqs: Vec<i64>,
    pub events: Vec<Event>,
    pub cursor: Option<Cursor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub source: &'static str,
    pub key: i64,
    pub pos: i64,
    /// Where the rows were read from. When set, the batch is stored only if the cursor is still
    /// there: a second reader of the same rows (a restarted or stale tailer) stores nothing.
    pub from: Option<i64>,
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    pub accepted: usize,
    pub duplicates: usize,
}

/// The SQLite writer's connection and the pages' last numbers it has seen (so a batch's check is
/// a lookup in memory; the table stays the record).
pub struct Lite {
    conn: rusqlite::Connection,
    last: HashMap<String, i64>,
}

#[derive(Clone)]
pub enum Db {
    /// The writer, and a second connection that reads events back beside it (WAL lets a reader
    /// run while the writer commits).
    Sqlite(Arc<Mutex<Lite>>, Arc<Mutex<Lite>>),
    Postgres(Store),
}

/// How long a page's numbers are remembered: as long as its events are taken (seven days).
const SOURCES_KEPT_MS: i64 = crate::service::MAX_AGE_MS;

const EVENT_COLS: &str =
    "session_id, kind, viewer, product_id, ref_id, units, value, flags, channel, at";

fn upsert_sql(t: &Table, backend: Backend, rows: usize) -> String {
    let width = t.keys.len() + t.cols.len();
    let ph = |i: usize| match backend {
        Backend::Sqlite => format!("?{i}"),
        Backend::Postgres => format!("${i}"),
    };
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| ph(r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let (max, min) = match backend {
        Backend::Sqlite => ("MAX", "MIN"),
        Backend::Postgres => ("GREATEST", "LEAST"),
    };
    let sets: Vec<String> = t
        .cols
        .iter()
        .map(|(c, op)| {
            let n = t.name;
            match op {
                Op::Add => format!("{c} = {n}.{c} + excluded.{c}"),
                Op::Set => format!("{c} = excluded.{c}"),
                Op::Max => format!("{c} = {max}({n}.{c}, excluded.{c})"),
                Op::Min => format!("{c} = {min}({n}.{c}, excluded.{c})"),
                Op::Or => format!("{c} = {n}.{c} | excluded.{c}"),
            }
        })
        .collect();
    let cols: Vec<&str> = t
        .keys
        .iter()
        .copied()
        .chain(t.cols.iter().map(|(c, _)| *c))
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
        t.name,
        cols.join(", "),
        values.join(", "),
        t.keys.join(", "),
        sets.join(", ")
    )
}

#[allow(clippy::too_many_arguments)]
fn event_from(
    kind: i64,
    session_id: i64,
    viewer: i64,
    product_id: Option<i64>,
    ref_id: Option<i64>,
    units: i64,
    value: i64,
    flags: i64,
    channel: Option<String>,
    at: i64,
) -> Option<Event> {
    Some(Event {
        session_id,
        kind: Kind::from_code(kind)?,
        viewer,
        product_id,
        ref_id,
        units,
        value,
        flags,
        channel,
        at,
    })
}

const ROWS_PER_INSERT: usize = 64;

fn values_sqlite(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=cols).map(|c| format!("?{}", r * cols + c)).collect();
            format!("({})", p.join(","))
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn bind_events(st: &mut rusqlite::Statement<'_>, events: &[Event]) -> rusqlite::Result<()> {
    for (r, e) in events.iter().enumerate() {
        let i = r * 10;
        st.raw_bind_parameter(i + 1, e.session_id)?;
        st.raw_bind_parameter(i + 2, e.kind.code())?;
        st.raw_bind_parameter(i + 3, e.viewer)?;
        st.raw_bind_parameter(i + 4, e.product_id)?;
        st.raw_bind_parameter(i + 5, e.ref_id)?;
        st.raw_bind_parameter(i + 6, e.units)?;
        st.raw_bind_parameter(i + 7, e.value)?;
        st.raw_bind_parameter(i + 8, e.flags)?;
        st.raw_bind_parameter(i + 9, &e.channel)?;
        st.raw_bind_parameter(i + 10, e.at)?;
    }
    Ok(())
}

/// Keeps the page's events it has not stored before, in their numbers' order, once each.
fn fresh(last: i64, seqs: &[i64], events: &[Event]) -> (Vec<Event>, i64, usize) {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|i| seqs[*i]);
    let mut keep = Vec::with_capacity(events.len());
    let mut high = last;
    for i in order {
        if seqs[i] > high {
            high = seqs[i];
            keep.push(events[i].clone());
        }
    }
    let dups = events.len() - keep.len();
    (keep, high, dups)
}

impl Db {
    pub fn open(store: &Store) -> Result<Self, AnalyticsError> {
        match (store.backend(), store.sqlite_file()) {
            (Backend::Sqlite, Some(path)) => {
                let conn = rusqlite::Connection::open(path)?;
                // Checkpoints less often than the default 1,000 pages: each one syncs the file.
                conn.execute_batch(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
                     PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8000;",
                )?;
                let mut last = HashMap::new();
                {
                    let since = sellstream_core::Timestamp::now().millis() - SOURCES_KEPT_MS;
                    let mut st = conn.prepare(
                        "SELECT source, MAX(last_seq) FROM analytics_sources WHERE updated_at > ?1 GROUP BY source",
                    )?;
                    let rows = st.query_map([since], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                    })?;
                    for r in rows {
                        let (src, seq) = r?;
                        last.insert(src, seq);
                    }
                }
                let reader = rusqlite::Connection::open(path)?;
                reader.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA cache_size = -32768;")?;
                Ok(Self::Sqlite(
                    Arc::new(Mutex::new(Lite { conn, last })),
                    Arc::new(Mutex::new(Lite {
                        conn: reader,
                        last: HashMap::new(),
                    })),
                ))
            }
            (Backend::Sqlite, None) => Err(AnalyticsError::Invalid(
                "analytics needs the SQLite store on disk".into(),
            )),
            (Backend::Postgres, _) => Ok(Self::Postgres(store.clone())),
        }
    }

    async fn sqlite<T: Send + 'static>(
        conn: &Arc<Mutex<Lite>>,
        f: impl FnOnce(&mut rusqlite::Connection, &mut HashMap<String, i64>) -> rusqlite::Result<T>
            + Send
            + 'static,
    ) -> Result<T, AnalyticsError> {
        let conn = conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().expect("analytics connection");
            let lite = &mut *guard;
            f(&mut lite.conn, &mut lite.last)
        })
        .await
        .map_err(|e| AnalyticsError::Invalid(format!("analytics writer stopped: {e}")))?
        .map_err(AnalyticsError::from)
    }

    /// Appends several batches in one transaction.
    pub async fn append(&self, batches: Vec<Append>) -> Result<Vec<Appended>, AnalyticsError> {
        let now = sellstream_core::Timestamp::now().millis();
        match self {
            Db::Sqlite(conn, _) => {
                Self::sqlite(conn, move |c, seen| {
                    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let mut out = Vec::with_capacity(batches.len());
                    let mut noted: Vec<(String, i64)> = Vec::new();
                    let mut all: Vec<Event> = Vec::new();
                    {
                        let mut set_last = tx.prepare_cached(
                            "INSERT INTO analytics_sources (source, last_seq, updated_at) VALUES (?1, ?2, ?3)",
                        )?;
                        let mut cursor = tx.prepare_cached(
                            "INSERT INTO analytics_cursors (source, key, pos) VALUES (?1, ?2, ?3)
                             ON CONFLICT (source, key) DO UPDATE SET pos = excluded.pos",
                        )?;
                        let mut current = tx.prepare_cached(
                            "SELECT pos FROM analytics_cursors WHERE source = ?1 AND key = ?2",
                        )?;
                        for b in batches {
                            if let Some(Cursor { source, key, from: Some(from), .. }) = &b.cursor {
                                let at: i64 = current
                                    .query_row(rusqlite::params![source, key], |r| r.get(0))
                                    .optional()?
                                    .unwrap_or(0);
                                if at != *from {
                                    out.push(Appended { accepted: 0, duplicates: b.events.len() });
                                    continue;
                                }
                            }
                            let (events, res) = match &b.source {
                                Some(src) => {
                                    let prev: i64 = seen.get(src).copied().unwrap_or(0);
                                    let (keep, high, duplicates) = fresh(prev, &b.seqs, &b.events);
                                    if high > prev {
                                        set_last.execute(rusqlite::params![src, high, now])?;
                                        // Remembered once the transaction has committed.
                                        seen.insert(src.clone(), high);
                                        noted.push((src.clone(), prev));
                                    }
                                    let accepted = keep.len();
                                    (keep, Appended { accepted, duplicates })
                                }
                                None => {
                                    let accepted = b.events.len();
                                    (b.events, Appended { accepted, duplicates: 0 })
                                }
                            };
                            all.extend(events);
                            if let Some(cur) = &b.cursor {
                                cursor.execute(rusqlite::params![cur.source, cur.key, cur.pos])?;
                            }
                            out.push(res);
                        }
                        // Many rows a statement: SQLite's per-statement work is paid once per 64.
                        let mut many = tx.prepare_cached(&format!(
                            "INSERT INTO analytics_events ({EVENT_COLS}) VALUES {}",
                            values_sqlite(ROWS_PER_INSERT, 10)
                        ))?;
                        let mut one = tx.prepare_cached(&format!(
                            "INSERT INTO analytics_events ({EVENT_COLS}) VALUES {}",
                            values_sqlite(1, 10)
                        ))?;
                        for chunk in all.chunks(ROWS_PER_INSERT) {
                            let st = if chunk.len() == ROWS_PER_INSERT { &mut many } else { &mut one };
                            if chunk.len() == ROWS_PER_INSERT {
                                bind_events(st, chunk)?;
                                st.raw_execute()?;
                            } else {
                                for e in chunk {
                                    bind_events(st, std::slice::from_ref(e))?;
                                    st.raw_execute()?;
                                }
                            }
                        }
                    }
                    if let Err(e) = tx.commit() {
                        for (src, prev) in noted {
                            seen.insert(src, prev);
                        }
                        return Err(e);
                    }
                    Ok(out)
                })
                .await
            }
            Db::Postgres(store) => {
                let mut tx = store.begin_write().await?;
                let mut out = Vec::with_capacity(batches.len());
                let mut all: Vec<Event> = Vec::new();
                for b in batches {
                    if let Some(Cursor {
                        source,
                        key,
                        pos,
                        from: Some(from),
                    }) = &b.cursor
                    {
                        // Moves the cursor only from where the rows were read: a concurrent
                        // reader's update waits for this one and then finds the cursor moved.
                        sqlx::query(
                            "INSERT INTO analytics_cursors (source, key, pos) VALUES ($1, $2, $3)
                             ON CONFLICT (source, key) DO NOTHING",
                        )
                        .bind(*source)
                        .bind(*key)
                        .bind(*from)
                        .execute(&mut *tx)
                        .await?;
                        let moved = sqlx::query(
                            "UPDATE analytics_cursors SET pos = $4 WHERE source = $1 AND key = $2 AND pos = $3",
                        )
                        .bind(*source)
                        .bind(*key)
                        .bind(*from)
                        .bind(*pos)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if moved == 0 {
                            out.push(Appended {
                                accepted: 0,
                                duplicates: b.events.len(),
                            });
                            continue;
                        }
                    }
                    match &b.source {
                        Some(src) => {
                            // Locks the source's row: two nodes given the same retry store it once.
                            sqlx::query(
                                "INSERT INTO analytics_sources (source, last_seq, updated_at) VALUES ($1, 0, $2)
                                 ON CONFLICT (source) DO NOTHING",
                            )
                            .bind(src)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            let prev: i64 = sqlx::query(
                                "SELECT last_seq FROM analytics_sources WHERE source = $1 FOR UPDATE",
                            )
                            .bind(src)
                            .fetch_one(&mut *tx)
                            .await?
                            .try_get(0)?;
                            let (keep, high, duplicates) = fresh(prev, &b.seqs, &b.events);
                            if high > prev {
                                sqlx::query(
                                    "UPDATE analytics_sources SET last_seq = $2, updated_at = $3 WHERE source = $1",
                                )
                                .bind(src)
                                .bind(high)
                                .bind(now)
                                .execute(&mut *tx)
                                .await?;
                            }
                            out.push(Appended {
                                accepted: keep.len(),
                                duplicates,
                            });
                            all.extend(keep);
                        }
                        None => {
                            out.push(Appended {
                                accepted: b.events.len(),
                                duplicates: 0,
                            });
                            all.extend(b.events);
                        }
                    }
                    if let Some(cur) = b.cursor.as_ref().filter(|c| c.from.is_none()) {
                        sqlx::query(
                            "INSERT INTO analytics_cursors (source, key, pos) VALUES ($1, $2, $3)
                             ON CONFLICT (source, key) DO UPDATE SET pos = excluded.pos",
                        )
                        .bind(cur.source)
                        .bind(cur.key)
                        .bind(cur.pos)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                for chunk in all.chunks(4_000) {
                    let sql = format!(
                        "INSERT INTO analytics_events ({EVENT_COLS}) VALUES {}",
                        sellstream_store::value_rows(Backend::Postgres, chunk.len(), 10)
                    );
                    let mut q = sqlx::query(&sql);
                    for e in chunk {
                        q = q
                            .bind(e.session_id)
                            .bind(e.kind.code())
                            .bind(e.viewer)
                            .bind(e.product_id)
                            .bind(e.ref_id)
                            .bind(e.units)
                            .bind(e.value)
                            .bind(e.flags)
                            .bind(e.channel.clone())
                            .bind(e.at);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(out)
            }
        }
    }

    /// Events stored after `pos`, in order, at most `limit`.
    pub async fn read_after(
        &self,
        pos: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Event)>, AnalyticsError> {
        let sql = format!(
            "SELECT id, kind, {EVENT_COLS_NO_KIND} FROM analytics_events WHERE id > $1 ORDER BY id LIMIT $2"
        );
        match self {
            Db::Sqlite(_, reader) => {
                let sql = sql.replace('$', "?");
                Self::sqlite(reader, move |c, _| {
                    let mut st = c.prepare_cached(&sql)?;
                    let rows = st.query_map([pos, limit], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            event_from(
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                                r.get(6)?,
                                r.get(7)?,
                                r.get(8)?,
                                r.get(9)?,
                                r.get(10)?,
                            ),
                        ))
                    })?;
                    let mut out = Vec::new();
                    for row in rows {
                        let (id, e) = row?;
                        if let Some(e) = e {
                            out.push((id, e));
                        }
                    }
                    Ok(out)
                })
                .await
            }
            Db::Postgres(store) => {
                let rows = sqlx::query(&sql)
                    .bind(pos)
                    .bind(limit)
                    .fetch_all(store.pool())
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let e = event_from(
                        r.try_get(1)?,
                        r.try_get(2)?,
                        r.try_get(3)?,
                        r.try_get(4)?,
                        r.try_get(5)?,
                        r.try_get(6)?,
                        r.try_get(7)?,
                        r.try_get(8)?,
                        r.try_get(9)?,
                        r.try_get(10)?,
                    );
                    if let Some(e) = e {
                        out.push((r.try_get(0)?, e));
                    }
                }
                Ok(out)
            }
        }
    }

    /// Adds a delta to the rollups and moves the consumer's cursor, in one transaction.
    pub async fn apply(&self, delta: Delta, cursor: Cursor) -> Result<(), AnalyticsError> {
        let tables = delta.tables();
        match self {
            Db::Sqlite(conn, _) => {
                Self::sqlite(conn, move |c, _| {
                    let tx =
                        c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    for (t, rows) in &tables {
                        let mut st = tx.prepare_cached(&upsert_sql(t, Backend::Sqlite, 1))?;
                        for row in rows {
                            st.execute(rusqlite::params_from_iter(row.iter()))?;
                        }
                    }
                    tx.execute(
                        "INSERT INTO analytics_cursors (source, key, pos) VALUES (?1, ?2, ?3)
                         ON CONFLICT (source, key) DO UPDATE SET pos = excluded.pos",
                        rusqlite::params![cursor.source, cursor.key, cursor.pos],
                    )?;
                    tx.commit()
                })
                .await
            }
            Db::Postgres(store) => {
                let mut tx = store.begin_write().await?;
                for (t, rows) in &tables {
                    let width = t.keys.len() + t.cols.len();
                    for chunk in rows.chunks(60_000 / width) {
                        let sql = upsert_sql(t, Backend::Postgres, chunk.len());
                        let mut q = sqlx::query(&sql);
                        for row in chunk {
                            for v in row {
                                q = q.bind(*v);
                            }
                        }
                        q.execute(&mut *tx).await?;
                    }
                }
                set_cursor(&mut tx, &cursor).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    /// Forgets pages' numbers older than the oldest event a page may still send.
    pub async fn prune_sources(&self) -> Result<u64, AnalyticsError> {
        let before = sellstream_core::Timestamp::now().millis() - SOURCES_KEPT_MS;
        match self {
            Db::Sqlite(conn, _) => {
                Self::sqlite(conn, move |c, seen| {
                    let n = c.execute(
                        "DELETE FROM analytics_sources WHERE updated_at <= ?1",
                        [before],
                    )?;
                    if n > 0 {
                        let mut keep = HashMap::new();
                        let mut st = c.prepare(
                            "SELECT source, MAX(last_seq) FROM analytics_sources GROUP BY source",
                        )?;
                        let rows = st
                            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
                        for r in rows {
                            let (src, seq) = r?;
                            keep.insert(src, seq);
                        }
                        *seen = keep;
                    }
                    Ok(n as u64)
                })
                .await
            }
            Db::Postgres(store) => Ok(sqlx::query(
                "DELETE FROM analytics_sources WHERE updated_at <= $1",
            )
            .bind(before)
            .execute(store.pool())
            .await?
            .rows_affected()),
        }
    }

    /// Where a consumer stands (0 when it has not started).
    pub async fn cursor(&self, source: &str, key: i64) -> Result<i64, AnalyticsError> {
        let pos: Option<i64> = match self {
            Db::Sqlite(conn, _) => {
                let source = source.to_string();
                Self::sqlite(conn, move |c, _| {
                    c.query_row(
                        "SELECT pos FROM analytics_cursors WHERE source = ?1 AND key = ?2",
                        rusqlite::params![source, key],
                        |r| r.get(0),
                    )
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
                })
                .await?
            }
            Db::Postgres(store) => {
                sqlx::query("SELECT pos FROM analytics_cursors WHERE source = $1 AND key = $2")
                    .bind(source)
                    .bind(key)
                    .fetch_optional(store.pool())
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?
            }
        };
        Ok(pos.unwrap_or(0))
    }
}

const EVENT_COLS_NO_KIND: &str =
    "session_id, viewer, product_id, ref_id, units, value, flags, channel, at";

async fn set_cursor(tx: &mut sellstream_store::Tx, cursor: &Cursor) -> Result<(), AnalyticsError> {
    sqlx::query(
        "INSERT INTO analytics_cursors (source, key, pos) VALUES ($1, $2, $3)
         ON CONFLICT (source, key) DO UPDATE SET pos = excluded.pos",
    )
    .bind(cursor.source)
    .bind(cursor.key)
    .bind(cursor.pos)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A session side's stored running state: (online, pcu), when it has a row.
pub async fn load_session(
    store: &Store,
    key: [i64; 2],
) -> Result<Option<(i64, i64)>, AnalyticsError> {
    let row = sqlx::query(
        "SELECT online, pcu FROM analytics_sessions WHERE session_id = $1 AND replay = $2",
    )
    .bind(key[0])
    .bind(key[1])
    .fetch_optional(store.pool())
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
        None => None,
    })
}

/// Stored viewers' (flags, watch ms) for a session side.
pub async fn load_viewers(
    store: &Store,
    key: [i64; 2],
    viewers: &[i64],
) -> Result<HashMap<i64, (i64, i64)>, AnalyticsError> {
    let mut out = HashMap::new();
    for chunk in viewers.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT viewer, flags, watch_ms FROM analytics_viewers WHERE session_id = $1 AND replay = $2 AND viewer IN ({})",
            list.join(", ")
        );
        let rows = sqlx::query(&sql)
            .bind(key[0])
            .bind(key[1])
            .fetch_all(store.pool())
            .await?;
        for r in rows {
            out.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_batch_keeps_new_numbers_once_in_order() {
        let e = |v| Event::new(1, Kind::Click, v, 0);
        let events = vec![e(3), e(1), e(2), e(2), e(9)];
        let seqs = vec![3, 1, 2, 2, 9];
        let (keep, high, dups) = fresh(1, &seqs, &events);
        assert_eq!(
            keep.iter().map(|e| e.viewer).collect::<Vec<_>>(),
            vec![2, 3, 9]
        );
        assert_eq!((high, dups), (9, 2));
    }

    #[test]
    fn upserts_combine_each_column_its_own_way() {
        let sql = upsert_sql(&crate::rollup::SESSIONS, Backend::Postgres, 2);
        assert!(sql.contains("pcu = GREATEST(analytics_sessions.pcu, excluded.pcu)"));
        assert!(sql.contains("online = excluded.online"));
        assert!(sql.contains("entries = analytics_sessions.entries + excluded.entries"));
        let sql = upsert_sql(&crate::rollup::VIEWERS, Backend::Sqlite, 1);
        assert!(sql.contains("flags = analytics_viewers.flags | excluded.flags"));
        assert!(sql.contains("first_at = MIN(analytics_viewers.first_at, excluded.first_at)"));
    }
}
