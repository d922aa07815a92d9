//! Rollups: what the dashboards and reports read instead of the events. Each batch of events is
//! folded into deltas (per session, per minute, per product, per viewer) that are added to the
//! stored rows in the same transaction that moves the consumer's cursor. Unique counts (UV, buyers,
//! the funnel's steps) are kept exactly: the aggregator remembers each viewer's flags and watch
//! time per session and counts a viewer once, the first time a flag is set.

use crate::model::{Event, Kind, FLAG_FIRST_LINE};
use std::collections::HashMap;

/// How a column combines with the stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    /// Replaced by the newest value (the running online count: one writer holds it).
    Set,
    Max,
    Min,
    Or,
}

/// A rollup table: its key columns and its value columns.
pub struct Table {
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub cols: &'static [(&'static str, Op)],
}

impl Table {
    fn initial(&self) -> Vec<i64> {
        self.cols
            .iter()
            .map(|(_, op)| match op {
                Op::Max => i64::MIN,
                Op::Min => i64::MAX,
                Op::Add | Op::Set | Op::Or => 0,
            })
            .collect()
    }
}

macro_rules! columns {
    ($mod:ident: $($name:ident $op:ident),* $(,)?) => {
        #[allow(non_upper_case_globals, dead_code)]
        pub mod $mod {
            use super::Op;
            #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
            enum I { $($name),* }
            $(pub const $name: usize = I::$name as usize;)*
            pub const COLS: &[(&str, Op)] = &[$((stringify!($name), Op::$op)),*];
        }
    };
}

columns!(s:
    online Set, pcu Max, first_at Min, last_at Max, entries Add, views Add, watch_ms Add, chats Add,
    likes Add, shares Add, follows Add, interactions Add, impressions Add, exposures Add,
    bag_opens Add, clicks Add, carts Add, orders Add, order_units Add, order_fen Add,
    paid_orders Add, paid_units Add, gmv_fen Add, refunds Add, refund_fen Add, cancels Add,
    shipped Add, delivered Add, uv_all Add, uv Add, impression_uv Add, exposure_uv Add,
    click_uv Add, cart_uv Add, order_uv Add, paid_uv Add, interaction_uv Add,
    w0 Add, w1 Add, w2 Add, w3 Add, w4 Add, w5 Add, w6 Add, w7 Add,
);
columns!(m:
    online_max Max, entries Add, views Add, watch_ms Add, chats Add, likes Add, shares Add,
    follows Add, interactions Add, exposures Add, clicks Add, carts Add, orders Add, order_fen Add,
    paid_orders Add, gmv_fen Add, refunds Add, refund_fen Add,
);
columns!(p:
    exposures Add, clicks Add, carts Add, cart_units Add, orders Add, units Add, order_fen Add,
    paid_orders Add, paid_units Add, gmv_fen Add, refunds Add, refund_fen Add,
);
columns!(v:
    flags Or, first_at Min, last_at Max, watch_ms Add, entries Add, views Add, chats Add,
    clicks Add, orders Add, gmv_fen Add,
);

pub static SESSIONS: Table = Table {
    name: "analytics_sessions",
    keys: &["session_id", "replay"],
    cols: s::COLS,
};
pub static MINUTES: Table = Table {
    name: "analytics_minutes",
    keys: &["session_id", "replay", "minute"],
    cols: m::COLS,
};
pub static PRODUCTS: Table = Table {
    name: "analytics_products",
    keys: &["session_id", "replay", "product_id"],
    cols: p::COLS,
};
pub static VIEWERS: Table = Table {
    name: "analytics_viewers",
    keys: &["session_id", "replay", "viewer"],
    cols: v::COLS,
};

/// Watch-time distribution buckets (lower bounds, ms): <3s, 3–10s, 10–30s, 30s–1m, 1–3m, 3–10m,
/// 10–30m, 30m+. A viewer sits in the bucket of their total watch time in the session.
pub const WATCH_BUCKETS_MS: [i64; 8] = [
    0, 3_000, 10_000, 30_000, 60_000, 180_000, 600_000, 1_800_000,
];

pub fn watch_bucket(ms: i64) -> usize {
    WATCH_BUCKETS_MS.iter().rposition(|b| ms >= *b).unwrap_or(0)
}

/// A view counts after this much watching (docs/metrics.md).
pub const VIEW_MS: i64 = 3_000;

/// What a viewer has done in a session, as bits of `analytics_viewers.flags`.
pub mod flag {
    pub const ENTERED: i64 = 1;
    pub const VIEWED: i64 = 2;
    pub const IMPRESSED: i64 = 4;
    pub const EXPOSED: i64 = 8;
    pub const CLICKED: i64 = 16;
    pub const CARTED: i64 = 32;
    pub const ORDERED: i64 = 64;
    pub const PAID: i64 = 128;
    pub const INTERACTED: i64 = 256;
}

/// The rows one batch adds, keyed as the tables are.
#[derive(Default, Debug)]
pub struct Delta {
    pub sessions: HashMap<[i64; 2], Vec<i64>>,
    pub minutes: HashMap<[i64; 3], Vec<i64>>,
    pub products: HashMap<[i64; 3], Vec<i64>>,
    pub viewers: HashMap<[i64; 3], Vec<i64>>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Each table with its rows as `keys ++ values`.
    pub fn tables(&self) -> [(&'static Table, Vec<Vec<i64>>); 4] {
        fn rows<const N: usize>(m: &HashMap<[i64; N], Vec<i64>>) -> Vec<Vec<i64>> {
            let mut out: Vec<Vec<i64>> = m
                .iter()
                .map(|(k, v)| k.iter().chain(v.iter()).copied().collect())
                .collect();
            // A fixed order keeps two writers' row locks in the same order (PostgreSQL).
            out.sort_unstable();
            out
        }
        [
            (&SESSIONS, rows(&self.sessions)),
            (&MINUTES, rows(&self.minutes)),
            (&PRODUCTS, rows(&self.products)),
            (&VIEWERS, rows(&self.viewers)),
        ]
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ViewerState {
    pub flags: i64,
    pub watch_ms: i64,
}

/// A session's running state (live or replay side).
#[derive(Debug, Default)]
pub struct SessionState {
    pub online: i64,
    pub pcu: i64,
    /// Viewers seen; when `complete` is false some may be stored but not loaded yet.
    pub viewers: HashMap<i64, ViewerState>,
    pub complete: bool,
    pub last_used: i64,
}

/// Viewers to load, per session side.
pub type Missing = HashMap<[i64; 2], Vec<i64>>;

/// Folds events into deltas. One per rollup consumer; holds each active session's viewers.
#[derive(Default)]
pub struct Aggregator {
    pub sessions: HashMap<[i64; 2], SessionState>,
}

fn bump(row: &mut [i64], col: usize, by: i64) {
    row[col] += by;
}

fn max(row: &mut [i64], col: usize, v: i64) {
    row[col] = row[col].max(v);
}

fn min(row: &mut [i64], col: usize, v: i64) {
    row[col] = row[col].min(v);
}

impl Aggregator {
    /// Session sides (and their viewers) an event batch needs that this aggregator does not hold.
    pub fn unknown(&self, events: &[Event]) -> (Vec<[i64; 2]>, Missing) {
        let mut sessions = Vec::new();
        let mut viewers: HashMap<[i64; 2], Vec<i64>> = HashMap::new();
        for e in events {
            let key = [e.session_id, i64::from(e.replay())];
            match self.sessions.get(&key) {
                None => {
                    if !sessions.contains(&key) {
                        sessions.push(key);
                    }
                }
                Some(st)
                    if !st.complete && e.viewer != 0 && !st.viewers.contains_key(&e.viewer) =>
                {
                    let list = viewers.entry(key).or_default();
                    if !list.contains(&e.viewer) {
                        list.push(e.viewer);
                    }
                }
                Some(_) => {}
            }
        }
        (sessions, viewers)
    }

    /// Folds a batch into a delta. Every session side must be known (see [`Self::unknown`]).
    pub fn fold(&mut self, events: &[Event], now: i64) -> Delta {
        let mut d = Delta::default();
        for e in events {
            let replay = i64::from(e.replay());
            let key = [e.session_id, replay];
            let st = self.sessions.entry(key).or_insert_with(|| SessionState {
                complete: true,
                ..Default::default()
            });
            st.last_used = now;
            let sr = d.sessions.entry(key).or_insert_with(|| SESSIONS.initial());
            let minute = e.at.div_euclid(60_000) * 60_000;
            let mr = d
                .minutes
                .entry([e.session_id, replay, minute])
                .or_insert_with(|| MINUTES.initial());
            let mut new_flags = 0;
            let viewer = if e.viewer != 0 {
                Some(st.viewers.entry(e.viewer).or_default())
            } else {
                None
            };
            let prev = viewer.as_ref().map(|v| **v).unwrap_or_default();
            let mut watch_add = 0;
            let mut views = 0;
            let mut entries = 0;
            let mut chats = 0;
            let mut clicks = 0;
            let mut orders = 0;
            let mut gmv = 0;
            let first_line = i64::from(e.flags & FLAG_FIRST_LINE != 0);
            match e.kind {
                Kind::Impression => {
                    bump(sr, s::impressions, 1);
                    new_flags |= flag::IMPRESSED;
                }
                Kind::Enter => {
                    st.online += 1;
                    entries = 1;
                    bump(sr, s::entries, 1);
                    bump(mr, m::entries, 1);
                    new_flags |= flag::ENTERED;
                }
                Kind::View => {
                    views = 1;
                    new_flags |= flag::VIEWED | flag::ENTERED;
                }
                Kind::Leave => {
                    st.online = (st.online - 1).max(0);
                    watch_add = e.value.max(0);
                    bump(sr, s::watch_ms, watch_add);
                    bump(mr, m::watch_ms, watch_add);
                    new_flags |= flag::ENTERED;
                    // A replay's page reports the watch when it ends; a view is a watch of 3 s.
                    if e.replay() && watch_add >= VIEW_MS {
                        views = 1;
                    }
                    if prev.watch_ms + watch_add >= VIEW_MS {
                        new_flags |= flag::VIEWED;
                    }
                }
                Kind::Chat => {
                    chats = 1;
                    bump(sr, s::chats, 1);
                    bump(mr, m::chats, 1);
                    new_flags |= flag::INTERACTED;
                }
                Kind::Like => {
                    bump(sr, s::likes, e.value);
                    bump(mr, m::likes, e.value);
                }
                Kind::Share => {
                    bump(sr, s::shares, 1);
                    bump(mr, m::shares, 1);
                    new_flags |= flag::INTERACTED;
                }
                Kind::Follow => {
                    bump(sr, s::follows, 1);
                    bump(mr, m::follows, 1);
                    new_flags |= flag::INTERACTED;
                }
                Kind::Interact => {
                    bump(sr, s::interactions, 1);
                    bump(mr, m::interactions, 1);
                    new_flags |= flag::INTERACTED;
                }
                Kind::Exposure => {
                    bump(sr, s::exposures, 1);
                    bump(mr, m::exposures, 1);
                    new_flags |= flag::EXPOSED;
                }
                Kind::BagOpen => bump(sr, s::bag_opens, 1),
                Kind::Click => {
                    clicks = 1;
                    bump(sr, s::clicks, 1);
                    bump(mr, m::clicks, 1);
                    new_flags |= flag::CLICKED;
                }
                Kind::Cart => {
                    bump(sr, s::carts, 1);
                    bump(mr, m::carts, 1);
                    new_flags |= flag::CARTED;
                }
                Kind::OrderPlaced => {
                    orders = first_line;
                    bump(sr, s::orders, first_line);
                    bump(sr, s::order_units, e.units);
                    bump(sr, s::order_fen, e.value);
                    bump(mr, m::orders, first_line);
                    bump(mr, m::order_fen, e.value);
                    new_flags |= flag::ORDERED;
                }
                Kind::OrderPaid => {
                    gmv = e.value;
                    bump(sr, s::paid_orders, first_line);
                    bump(sr, s::paid_units, e.units);
                    bump(sr, s::gmv_fen, e.value);
                    bump(mr, m::paid_orders, first_line);
                    bump(mr, m::gmv_fen, e.value);
                    new_flags |= flag::PAID | flag::ORDERED;
                }
                Kind::OrderCancelled => bump(sr, s::cancels, first_line),
                Kind::OrderRefunded => {
                    bump(sr, s::refunds, first_line);
                    bump(sr, s::refund_fen, e.value);
                    bump(mr, m::refunds, first_line);
                    bump(mr, m::refund_fen, e.value);
                }
                Kind::OrderShipped => bump(sr, s::shipped, first_line),
                Kind::OrderDelivered => bump(sr, s::delivered, first_line),
            }
            if views > 0 {
                bump(sr, s::views, views);
                bump(mr, m::views, views);
            }
            st.pcu = st.pcu.max(st.online);
            max(sr, s::pcu, st.pcu);
            max(mr, m::online_max, st.online);
            min(sr, s::first_at, e.at);
            max(sr, s::last_at, e.at);
            if let Some(pr) = e.product_id.filter(|_| e.kind.needs_product()) {
                let prow = d
                    .products
                    .entry([e.session_id, replay, pr])
                    .or_insert_with(|| PRODUCTS.initial());
                match e.kind {
                    Kind::Exposure => bump(prow, p::exposures, 1),
                    Kind::Click => bump(prow, p::clicks, 1),
                    Kind::Cart => {
                        bump(prow, p::carts, 1);
                        bump(prow, p::cart_units, e.units);
                    }
                    Kind::OrderPlaced => {
                        bump(prow, p::orders, 1);
                        bump(prow, p::units, e.units);
                        bump(prow, p::order_fen, e.value);
                    }
                    Kind::OrderPaid => {
                        bump(prow, p::paid_orders, 1);
                        bump(prow, p::paid_units, e.units);
                        bump(prow, p::gmv_fen, e.value);
                    }
                    Kind::OrderRefunded => {
                        bump(prow, p::refunds, 1);
                        bump(prow, p::refund_fen, e.value);
                    }
                    _ => {}
                }
            }
            let Some(vs) = viewer else { continue };
            let added = new_flags & !prev.flags;
            vs.flags |= new_flags;
            vs.watch_ms += watch_add;
            for (bit, col) in [
                (flag::ENTERED, s::uv_all),
                (flag::VIEWED, s::uv),
                (flag::IMPRESSED, s::impression_uv),
                (flag::EXPOSED, s::exposure_uv),
                (flag::CLICKED, s::click_uv),
                (flag::CARTED, s::cart_uv),
                (flag::ORDERED, s::order_uv),
                (flag::PAID, s::paid_uv),
                (flag::INTERACTED, s::interaction_uv),
            ] {
                if added & bit != 0 {
                    bump(sr, col, 1);
                }
            }
            // The watch-time distribution covers viewers who entered.
            let was_in = prev.flags & flag::ENTERED != 0;
            if vs.flags & flag::ENTERED != 0 {
                let to = watch_bucket(vs.watch_ms);
                if !was_in {
                    bump(sr, s::w0 + to, 1);
                } else {
                    let from = watch_bucket(prev.watch_ms);
                    if from != to {
                        bump(sr, s::w0 + from, -1);
                        bump(sr, s::w0 + to, 1);
                    }
                }
            }
            let vr = d
                .viewers
                .entry([e.session_id, replay, e.viewer])
                .or_insert_with(|| VIEWERS.initial());
            vr[v::flags] |= vs.flags;
            min(vr, v::first_at, e.at);
            max(vr, v::last_at, e.at);
            bump(vr, v::watch_ms, watch_add);
            bump(vr, v::entries, entries);
            bump(vr, v::views, views);
            bump(vr, v::chats, chats);
            bump(vr, v::clicks, clicks);
            bump(vr, v::orders, orders);
            bump(vr, v::gmv_fen, gmv);
        }
        // `online` is stored as the latest running count.
        for (key, row) in d.sessions.iter_mut() {
            let st = &self.sessions[key];
            row[s::online] = st.online;
        }
        d
    }

    /// Forgets sessions idle since `before` (their rows stay stored and load again on demand).
    pub fn evict(&mut self, before: i64) {
        self.sessions.retain(|_, st| st.last_used >= before);
    }
}
