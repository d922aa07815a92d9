//! `serve --simulate`: simulated viewers in every live room, so a new user sees a room that moves.
//! They join through the room engine like any connection (in process, without a socket), chat,
//! like, follow, vote and enter lotteries; one simulated controller pins a product and opens a
//! poll and a lottery when none is open.

use rand::distr::SampleString;
use rand::prelude::*;
use sellstream_accounts::{Accounts, AccountsError, NewCustomer};
use sellstream_core::PageRequest;
use sellstream_live::room::{Actor, Connection};
use sellstream_live::wire::protocol::{ClientMsg, Incoming, LotteryOpen};
use sellstream_live::{SessionFilter, SessionState};
use sellstream_server::AppState;
use serde_json::Value;
use std::time::Duration;

const VIEWERS: usize = 36;

const LINES: &[&str] = &[
    "主播好美！",
    "3号链接还有吗",
    "已下单 🎉",
    "这个色号显白吗",
    "M码偏大吗？",
    "求返场",
    "包邮吗",
    "好划算",
    "来了来了",
    "支持主播",
    "黄皮能用吗",
    "买了三支",
    "什么时候秒杀",
    "刚拍下",
    "能便宜点吗",
    "质量怎么样",
    "主播讲讲精华",
    "在线等",
    "Nice!",
    "第一次来",
    "已关注",
    "求链接",
    "价格好美丽",
    "抢到了！",
];

const NICKS: &[&str] = &[
    "小鹿",
    "阿柠",
    "Lily",
    "大橙子",
    "momo",
    "南风",
    "小葵",
    "可乐",
    "米粒",
    "Aki",
    "暖阳",
    "桃子",
    "小熊",
    "Vivian",
    "阿杰",
    "七七",
    "柚子",
    "木木",
    "Coco",
    "星星",
    "小白",
    "糖糖",
    "西瓜",
    "Ray",
];

/// Starts the simulation in the background.
pub fn start(state: AppState) {
    tokio::spawn(async move {
        if let Err(e) = run(state).await {
            tracing::warn!(error = %e, "viewer simulation stopped");
        }
    });
}

async fn sim_accounts(accounts: &Accounts) -> anyhow::Result<Vec<Actor>> {
    let mut out = Vec::with_capacity(VIEWERS);
    for i in 0..VIEWERS {
        let phone = format!("1990000{i:04}");
        let nickname = format!(
            "{}{}",
            NICKS[i % NICKS.len()],
            if i >= NICKS.len() { "2" } else { "" }
        );
        let password: String = rand::distr::Alphanumeric.sample_string(&mut rand::rng(), 20);
        let account = match accounts
            .register_customer(NewCustomer {
                phone: Some(phone.clone()),
                email: None,
                nickname: nickname.clone(),
                password,
            })
            .await
        {
            Ok(a) => a.id,
            Err(AccountsError::AlreadyExists { .. }) => {
                match accounts.find_id_by_phone(&phone).await? {
                    Some(id) => id,
                    None => continue,
                }
            }
            Err(e) => return Err(e.into()),
        };
        out.push(Actor {
            account: Some(account),
            nickname,
            staff: false,
            can_control: false,
        });
    }
    Ok(out)
}

async fn run(state: AppState) -> anyhow::Result<()> {
    let viewers = sim_accounts(&state.accounts).await?;
    let controller = state
        .accounts
        .find_staff_by_username("controller")
        .await?
        .map(|a| Actor {
            account: Some(a.id),
            nickname: a.nickname,
            staff: true,
            can_control: true,
        });
    loop {
        let live = state
            .sessions
            .list(
                &SessionFilter {
                    state: Some(SessionState::Live),
                    q: None,
                    // Simulated customers may not enter a practice room.
                    public_only: true,
                },
                PageRequest::default(),
            )
            .await?;
        for s in live.items {
            if let Some(c) = &controller {
                set_the_stage(&state, s.id, c.clone()).await;
            }
            let viewers = viewers.clone();
            let state = state.clone();
            // One simulated audience per live room, for as long as the room takes connections.
            tokio::spawn(async move { audience(state, s.id, viewers).await });
        }
        // New sessions going live get an audience too.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// Pins the first product and opens a poll and a lottery if none is open.
async fn set_the_stage(state: &AppState, session: i64, controller: Actor) {
    let Ok(conn) = state
        .rooms
        .connect(session, controller, "simulated".into())
        .await
    else {
        return;
    };
    let snapshot = loop {
        match tokio::time::timeout(Duration::from_secs(2), conn.recv()).await {
            Ok(Some(f)) => match parse_frame(&f) {
                Some(v) if v["t"] == "snapshot" => break v,
                _ => continue,
            },
            _ => return,
        }
    };
    let mut msgs = Vec::new();
    if snapshot["pinned"].is_null() {
        if let Some(p) = snapshot["bag"][0]["product"].as_i64() {
            msgs.push(ClientMsg::Pin { product: p });
        }
    }
    if snapshot["poll"].is_null() {
        msgs.push(ClientMsg::PollOpen {
            question: "下一个想看哪款？".into(),
            options: vec!["口红试色".into(), "精华上脸".into(), "耳机降噪".into()],
        });
    }
    if snapshot["lottery"].is_null() {
        msgs.push(ClientMsg::LotteryOpen(LotteryOpen {
            title: "整点福袋".into(),
            prize: "丝绒口红一支".into(),
            winners: 3,
            keyword: Some("想要".into()),
            condition: None,
        }));
    }
    for msg in msgs {
        conn.send(Incoming { msg, r#ref: None }).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    while conn.try_recv().is_some() {}
    conn.leave_now();
}

async fn audience(state: AppState, session: i64, viewers: Vec<Actor>) {
    let mut rng = StdRng::from_os_rng();
    let mut joined: Vec<(Actor, Connection)> = Vec::new();
    let mut poll: Option<(i64, usize)> = None;
    let mut lottery: Option<i64> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(700));
    loop {
        tick.tick().await;
        // Arrivals and departures keep the online count moving.
        if joined.len() < viewers.len() && rng.random_bool(0.6) {
            let v = viewers[joined.len()].clone();
            match state
                .rooms
                .connect(session, v.clone(), format!("sim{}", v.account.unwrap_or(0)))
                .await
            {
                Ok(c) => joined.push((v, c)),
                Err(_) => return,
            }
        } else if joined.len() > viewers.len() / 2 && rng.random_bool(0.05) {
            let (_, c) = joined.swap_remove(rng.random_range(0..joined.len()));
            c.leave_now();
        }
        // Read what the room says through one of them: open polls and lotteries.
        for (i, (_, c)) in joined.iter_mut().enumerate() {
            while let Some(frame) = c.try_recv() {
                if i == 0 {
                    note(&frame, &mut poll, &mut lottery);
                }
            }
        }
        if joined.is_empty() {
            continue;
        }
        let pick = rng.random_range(0..joined.len());
        let (_, conn) = &joined[pick];
        let msg = match rng.random_range(0..100) {
            0..=34 => ClientMsg::Chat {
                text: LINES[rng.random_range(0..LINES.len())].into(),
            },
            35..=79 => ClientMsg::Like {
                n: rng.random_range(1..12),
            },
            80..=84 => ClientMsg::Follow,
            85..=92 => match poll {
                Some((id, options)) => ClientMsg::Vote {
                    poll: id,
                    option: rng.random_range(0..options),
                },
                None => ClientMsg::Like { n: 3 },
            },
            _ => match lottery {
                Some(id) if rng.random_bool(0.5) => ClientMsg::Enter { lottery: id },
                Some(_) => ClientMsg::Chat {
                    text: "想要想要".into(),
                },
                None => ClientMsg::Chat {
                    text: LINES[rng.random_range(0..LINES.len())].into(),
                },
            },
        };
        if !conn.send(Incoming { msg, r#ref: None }).await {
            return;
        }
    }
}

/// The JSON of a server text frame (header, then payload).
fn parse_frame(frame: &[u8]) -> Option<Value> {
    if frame.len() < 2 || frame[0] & 0x0F != 0x1 {
        return None;
    }
    let start = match frame[1] & 0x7F {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    serde_json::from_slice(frame.get(start..)?).ok()
}

/// Follows open polls and lotteries from what the room sends.
fn note(frame: &[u8], poll: &mut Option<(i64, usize)>, lottery: &mut Option<i64>) {
    let Some(v) = parse_frame(frame) else { return };
    if v["t"] == "snapshot" {
        *poll = v["poll"]
            .as_object()
            .filter(|p| p["open"] == true)
            .map(|p| {
                (
                    p["id"].as_i64().unwrap_or(0),
                    p["options"].as_array().map_or(2, Vec::len),
                )
            });
        *lottery = v["lottery"]
            .as_object()
            .filter(|l| l["open"] == true)
            .and_then(|l| l["id"].as_i64());
    }
    for e in v["events"].as_array().into_iter().flatten() {
        match e["k"].as_str() {
            Some("poll_opened") => {
                *poll = Some((
                    e["id"].as_i64().unwrap_or(0),
                    e["options"].as_array().map_or(2, Vec::len),
                ))
            }
            Some("poll_closed") => *poll = None,
            Some("lottery_opened") => *lottery = e["id"].as_i64(),
            Some("lottery_drawn") => *lottery = None,
            _ => {}
        }
    }
}
