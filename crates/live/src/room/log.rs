//! The durable per-session event log (`room_events`): everything a room does, appended in
//! batches by one writer task, and read back to rebuild a room after a restart. Analytics reads
//! the same rows.

use super::state::{BagEntry, ChatLine, Draw, Lottery, Poll, Question, RoomState};
use crate::LiveError;
use sellstream_store::{Row, Store};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// One row of the log.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub session_id: i64,
    pub seq: i64,
    pub kind: &'static str,
    pub actor: Option<i64>,
    pub ref_id: Option<i64>,
    pub amount: Option<i64>,
    pub payload: String,
    pub at: i64,
}

enum LogCmd {
    Rows(Vec<LogRow>),
    Flush(oneshot::Sender<()>),
}

/// The writer's handle. Cheap to clone.
#[derive(Clone)]
pub struct EventLog {
    tx: mpsc::Sender<LogCmd>,
}

/// Rows per INSERT statement (8 parameters each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 100;
/// Rows per transaction at most.
const ROWS_PER_COMMIT: usize = 5_000;

impl EventLog {
    /// Starts the writer task.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(store, rx));
        Self { tx }
    }

    /// Queues rows; waits only when the writer is thousands of batches behind.
    pub async fn append(&self, rows: Vec<LogRow>) {
        if !rows.is_empty() && self.tx.send(LogCmd::Rows(rows)).await.is_err() {
            tracing::error!("event log writer has stopped; rows lost");
        }
    }

    /// Returns when every row appended before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(LogCmd::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<LogCmd>) {
    let mut rows: Vec<LogRow> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(cmd) = rx.recv().await {
        let mut next = Some(cmd);
        while let Some(cmd) = next.take() {
            match cmd {
                LogCmd::Rows(mut r) => rows.append(&mut r),
                LogCmd::Flush(done) => waiting.push(done),
            }
            if rows.len() < ROWS_PER_COMMIT {
                next = rx.try_recv().ok();
            }
        }
        // A database hiccup must not lose rows: retry until written.
        let mut delay = Duration::from_millis(100);
        while !rows.is_empty() {
            match write(&store, &rows).await {
                Ok(()) => rows.clear(),
                Err(e) => {
                    tracing::error!(error = %e, rows = rows.len(), "event log write failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn write(store: &Store, rows: &[LogRow]) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values = sellstream_store::value_rows(store.backend(), chunk.len(), 8);
        let sql = format!(
            "INSERT INTO room_events (session_id, seq, kind, actor_id, ref_id, amount, payload, at) VALUES {values}
             ON CONFLICT (session_id, seq) DO NOTHING"
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.session_id)
                .bind(r.seq)
                .bind(r.kind)
                .bind(r.actor)
                .bind(r.ref_id)
                .bind(r.amount)
                .bind(&r.payload)
                .bind(r.at);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The coupon a session's room last put on offer (none when withdrawn or never offered).
pub async fn last_coupon(store: &Store, session: i64) -> Result<Option<Value>, LiveError> {
    let row = sqlx::query(
        "SELECT payload FROM room_events WHERE session_id = $1 AND kind = 'coupon' ORDER BY seq DESC LIMIT 1",
    )
    .bind(session)
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let payload: String = r.try_get(0)?;
    let v: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
    Ok(Some(v["coupon"].clone()).filter(|c| !c.is_null()))
}

/// What a room restarts from.
#[derive(Debug, Default)]
pub struct Recovered {
    pub next_seq: i64,
    pub peak: u64,
    pub entries: u64,
    pub state: RoomState,
}

struct Ev {
    seq: i64,
    kind: String,
    actor: Option<i64>,
    ref_id: Option<i64>,
    amount: Option<i64>,
    data: Value,
    at: i64,
}

async fn events(
    store: &Store,
    sql: &str,
    session: i64,
    extra: Option<i64>,
) -> Result<Vec<Ev>, LiveError> {
    let mut q = sqlx::query(sql).bind(session);
    if let Some(x) = extra {
        q = q.bind(x);
    }
    let rows = q.fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            Ok(Ev {
                seq: r.try_get("seq")?,
                kind: r.try_get("kind")?,
                actor: r.try_get("actor_id")?,
                ref_id: r.try_get("ref_id")?,
                amount: r.try_get("amount")?,
                data: serde_json::from_str(&payload).unwrap_or(Value::Null),
                at: r.try_get("at")?,
            })
        })
        .collect()
}

const COLS: &str = "seq, kind, actor_id, ref_id, amount, payload, at";

fn nick(v: &Value) -> String {
    v["user"]["nick"]
        .as_str()
        .or(v["nick"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// Rebuilds a room's state from its log: likes, peak, chat, pin, announcement, the last poll and
/// lottery (with votes and entrants when still open), questions, mutes, who commented.
pub async fn recover(
    store: &Store,
    session: i64,
    bag: Vec<BagEntry>,
    now: i64,
) -> Result<Recovered, LiveError> {
    let scalar = |sql: &'static str| async move {
        let v: Option<i64> = sqlx::query(sql)
            .bind(session)
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        Ok::<i64, LiveError>(v.unwrap_or(0))
    };
    let mut r = Recovered {
        next_seq: scalar("SELECT MAX(seq) FROM room_events WHERE session_id = $1").await? + 1,
        peak: scalar("SELECT MAX(amount) FROM room_events WHERE session_id = $1 AND kind = 'peak'")
            .await? as u64,
        entries: scalar("SELECT COUNT(*) FROM room_events WHERE session_id = $1 AND kind = 'enter'")
            .await? as u64,
        state: RoomState::default(),
    };
    let s = &mut r.state;
    s.bag = bag;
    s.likes = scalar("SELECT CAST(SUM(amount) AS BIGINT) FROM room_events WHERE session_id = $1 AND kind = 'like'").await? as u64;

    let mut recent = events(
        store,
        &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind IN ('chat', 'chat_deleted', 'chat_purged') ORDER BY seq DESC LIMIT 300"),
        session,
        None,
    )
    .await?;
    recent.reverse();
    for e in recent {
        match e.kind.as_str() {
            "chat" => s.chat.push_back(ChatLine {
                id: e.seq,
                account: e.actor,
                nick: nick(&e.data),
                text: e.data["text"].as_str().unwrap_or("").to_owned(),
                staff: e.data["user"]["staff"].as_bool().unwrap_or(false),
                at: e.at,
            }),
            "chat_deleted" => s.chat.retain(|c| Some(c.id) != e.ref_id),
            _ => s.chat.retain(|c| c.account != e.ref_id),
        }
    }
    while s.chat.len() > super::state::CHAT_HISTORY {
        s.chat.pop_front();
    }

    for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind IN ('pin', 'unpin') ORDER BY seq DESC LIMIT 1"), session, None).await? {
        s.pinned = (e.kind == "pin").then_some(e.ref_id).flatten();
    }
    for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind = 'announcement' ORDER BY seq DESC LIMIT 1"), session, None).await? {
        s.announcement = e.data["text"].as_str().map(|t| (t.to_owned(), e.at));
    }
    for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind = 'coupon' ORDER BY seq DESC LIMIT 1"), session, None).await? {
        s.coupon = Some(e.data["coupon"].clone()).filter(|c| !c.is_null());
    }

    // The last poll: closed polls carry their counts; an open one is rebuilt from its votes.
    if let Some(opened) = events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind = 'poll_opened' ORDER BY seq DESC LIMIT 1"), session, None).await?.pop() {
        let id = opened.seq;
        let options: Vec<String> = serde_json::from_value(opened.data["options"].clone()).unwrap_or_default();
        let mut poll = Poll {
            id,
            question: opened.data["question"].as_str().unwrap_or("").to_owned(),
            counts: vec![0; options.len()],
            options,
            voters: HashMap::new(),
            open: true,
        };
        for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND ref_id = $2 AND kind IN ('vote', 'poll_closed') ORDER BY seq"), session, Some(id)).await? {
            if e.kind == "poll_closed" {
                poll.open = false;
            } else if let (Some(a), Some(opt)) = (e.actor, e.amount) {
                let opt = opt as usize;
                if opt < poll.counts.len() && poll.voters.insert(a, opt).is_none() {
                    poll.counts[opt] += 1;
                }
            }
        }
        s.poll = Some(poll);
    }

    if let Some(opened) = events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind = 'lottery_opened' ORDER BY seq DESC LIMIT 1"), session, None).await?.pop() {
        let id = opened.seq;
        let d = &opened.data;
        let mut lottery = Lottery {
            id,
            title: d["title"].as_str().unwrap_or("").to_owned(),
            prize: d["prize"].as_str().unwrap_or("").to_owned(),
            winners_wanted: d["winners_wanted"].as_u64().unwrap_or(1) as u32,
            keyword: d["keyword"].as_str().map(str::to_owned),
            condition: d["condition"].as_str().map(str::to_owned),
            entrants: Vec::new(),
            entered: HashSet::new(),
            drawn: None,
        };
        for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND ref_id = $2 AND kind IN ('lottery_entry', 'lottery_drawn') ORDER BY seq"), session, Some(id)).await? {
            if e.kind == "lottery_drawn" {
                let winners = e.data["winners"].as_array().map(|w| {
                    w.iter().map(|x| (x["id"].as_i64().unwrap_or(0), x["nick"].as_str().unwrap_or("").to_owned())).collect()
                });
                lottery.drawn = Some(Draw {
                    seed: e.data["seed"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0),
                    winners: winners.unwrap_or_default(),
                });
            } else if let Some(a) = e.actor {
                if lottery.entered.insert(a) {
                    lottery.entrants.push((a, nick(&e.data)));
                }
            }
        }
        s.lottery = Some(lottery);
    }

    let mut questions: Vec<Question> = Vec::new();
    for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind IN ('question', 'question_updated') ORDER BY seq"), session, None).await? {
        if e.kind == "question" {
            questions.push(Question {
                id: e.seq,
                account: e.actor.unwrap_or(0),
                nick: nick(&e.data),
                text: e.data["text"].as_str().unwrap_or("").to_owned(),
                upvoters: HashSet::new(),
                answer: None,
                pinned: false,
                at: e.at,
            });
        } else if let Some(q) = questions.iter_mut().find(|q| Some(q.id) == e.ref_id) {
            if e.amount == Some(1) {
                if let Some(a) = e.actor {
                    q.upvoters.insert(a);
                }
            } else {
                q.answer = e.data["answer"].as_str().map(str::to_owned);
                q.pinned = e.data["pinned"].as_bool().unwrap_or(false);
            }
        }
    }
    s.questions = questions;

    for e in events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind IN ('muted', 'unbanned') ORDER BY seq"), session, None).await? {
        if let Some(account) = e.ref_id {
            match (e.kind.as_str(), e.amount) {
                ("muted", Some(until)) if until > now => {
                    s.muted.insert(account, until);
                }
                _ => {
                    s.muted.remove(&account);
                }
            }
        }
    }
    let rows = sqlx::query("SELECT DISTINCT actor_id FROM room_events WHERE session_id = $1 AND kind = 'chat' AND actor_id IS NOT NULL")
        .bind(session)
        .fetch_all(store.pool())
        .await?;
    s.commenters = rows
        .iter()
        .filter_map(|r| r.try_get::<i64, _>(0).ok())
        .collect();
    Ok(r)
}

/// Accounts banned from chat in every room.
pub async fn banned(store: &Store) -> Result<HashSet<i64>, LiveError> {
    let rows = sqlx::query("SELECT account_id FROM chat_bans")
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<i64, _>(0).ok())
        .collect())
}

/// Customers following `host`.
pub async fn followers(store: &Store, host: Option<i64>) -> Result<HashSet<i64>, LiveError> {
    let Some(host) = host else {
        return Ok(HashSet::new());
    };
    let rows = sqlx::query("SELECT account_id FROM follows WHERE host_id = $1")
        .bind(host)
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<i64, _>(0).ok())
        .collect())
}

/// Records a ban or unban, or a follow, outside the log (they outlive the session).
pub async fn set_ban(
    store: &Store,
    account: i64,
    by: Option<i64>,
    banned: bool,
    now: i64,
) -> Result<(), LiveError> {
    if banned {
        sqlx::query("INSERT INTO chat_bans (account_id, banned_by, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING")
            .bind(account)
            .bind(by)
            .bind(now)
            .execute(store.pool())
            .await?;
    } else {
        sqlx::query("DELETE FROM chat_bans WHERE account_id = $1")
            .bind(account)
            .execute(store.pool())
            .await?;
    }
    Ok(())
}

pub async fn add_follow(store: &Store, account: i64, host: i64, now: i64) -> Result<(), LiveError> {
    sqlx::query("INSERT INTO follows (account_id, host_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id, host_id) DO NOTHING")
        .bind(account)
        .bind(host)
        .bind(now)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// A drawn lottery as the log recorded it: everything needed to re-run the draw.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DrawnLottery {
    pub id: i64,
    pub title: String,
    pub prize: String,
    pub winners_wanted: u64,
    pub keyword: Option<String>,
    pub condition: Option<String>,
    pub entries: u64,
    /// `[{id, nick}]`
    #[schema(value_type = Vec<Object>)]
    pub winners: Value,
    /// The draw's seed (decimal string, a u64).
    pub seed: String,
    /// Entrant account ids in entry order.
    pub entrants: Vec<i64>,
    pub drawn_at: sellstream_core::Timestamp,
}

/// The session's drawn lotteries, newest first.
pub async fn drawn_lotteries(store: &Store, session: i64) -> Result<Vec<DrawnLottery>, LiveError> {
    let drawn = events(store, &format!("SELECT {COLS} FROM room_events WHERE session_id = $1 AND kind = 'lottery_drawn' ORDER BY seq DESC"), session, None).await?;
    Ok(drawn
        .into_iter()
        .map(|e| {
            let d = e.data;
            DrawnLottery {
                id: e.ref_id.unwrap_or(0),
                title: d["title"].as_str().unwrap_or("").to_owned(),
                prize: d["prize"].as_str().unwrap_or("").to_owned(),
                winners_wanted: d["winners_wanted"].as_u64().unwrap_or(0),
                keyword: d["keyword"].as_str().map(str::to_owned),
                condition: d["condition"].as_str().map(str::to_owned),
                entries: d["entries"].as_u64().unwrap_or(0),
                winners: d["winners"].clone(),
                seed: d["seed"].as_str().unwrap_or("").to_owned(),
                entrants: serde_json::from_value(d["entrants"].clone()).unwrap_or_default(),
                drawn_at: sellstream_core::Timestamp::from_millis(e.at),
            }
        })
        .collect())
}
