//! The live room over real WebSocket connections.

use crate::common::{Backend, TestApp};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use sellstream_accounts::Role;
use sellstream_server::ServerConfig;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct Viewer {
    ws: Socket,
    /// Frames read but not yet looked at.
    pub(crate) seen: Vec<Value>,
    /// Events of batches read but not yet looked at.
    pub(crate) events: Vec<Value>,
}

impl Viewer {
    pub(crate) async fn join(app: &TestApp, session: i64, token: Option<&str>) -> Viewer {
        let mut v = Viewer::join_raw(app, session, token).await;
        v.frame("hello").await;
        v.frame("snapshot").await;
        v
    }

    pub(crate) async fn join_raw(app: &TestApp, session: i64, token: Option<&str>) -> Viewer {
        let url = format!(
            "{}/ws/rooms/{session}",
            app.base.replace("http://", "ws://")
        );
        let mut req = url.into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut()
                .insert("cookie", format!("ss_session={t}").parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        Viewer {
            ws,
            seen: Vec::new(),
            events: Vec::new(),
        }
    }

    pub(crate) async fn send(&mut self, msg: Value) {
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
    }

    pub(crate) async fn read(&mut self) -> Option<Value> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .ok()??
            {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads one frame into `seen` (and its events into `events`).
    pub(crate) async fn pull(&mut self, what: &str) {
        let f = self
            .read()
            .await
            .unwrap_or_else(|| panic!("connection ended waiting for {what}"));
        if let Some(es) = f["events"].as_array() {
            self.events.extend(es.iter().cloned());
        }
        self.seen.push(f);
    }

    /// The next frame of type `t` (frames before it are kept for later looks).
    pub(crate) async fn frame(&mut self, t: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = self.seen.iter().position(|f| f["t"] == t) {
                return self.seen.remove(i);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no `{t}` frame within 10 s"
            );
            self.pull(t).await;
        }
    }

    /// The next event of kind `k` in a batch.
    pub(crate) async fn event(&mut self, k: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(i) = self.events.iter().position(|e| e["k"] == k) {
                return self.events.remove(i);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no `{k}` event within 10 s"
            );
            self.pull(k).await;
        }
    }

    /// The next event of kind `k` that satisfies `pred` (others of that kind are passed over).
    pub(crate) async fn event_where(&mut self, k: &str, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let e = self.event(k).await;
            if pred(&e) {
                return e;
            }
        }
    }

    /// Waits for a batch satisfying `pred`.
    pub(crate) async fn batch_until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "no such batch within 10 s"
            );
            let b = self.frame("batch").await;
            if pred(&b) {
                return b;
            }
        }
    }

    pub(crate) async fn error(&mut self) -> Value {
        self.frame("error").await
    }
}

/// A live session with two products in the bag; returns (session, first product, operator token).
pub(crate) async fn live_room(app: &TestApp) -> (i64, i64, String) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let mut products = Vec::new();
    for code in ["LS-1", "LS-2"] {
        let (_, p) = app
            .post(
                "/api/v1/products",
                &op,
                json!({"title": format!("口红 {code}"), "images": ["/demo/lipstick.svg"],
                "skus": [{"code": code, "price_fen": 12900, "stock": 5}]}),
            )
            .await;
        products.push(p["id"].as_i64().unwrap());
    }
    let (s, sess) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "今晚直播", "theme": "custom",
            "scheduled_start": "2026-01-01T12:00:00Z", "scheduled_end": "2026-01-01T14:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sess}");
    let id = sess["id"].as_i64().unwrap();
    for p in &products {
        app.post(
            &format!("/api/v1/sessions/{id}/bag"),
            &op,
            json!({"product_id": p}),
        )
        .await;
    }
    app.post(
        &format!("/api/v1/sessions/{id}/transition"),
        &op,
        json!({"to": "live"}),
    )
    .await;
    (id, products[0], op)
}

async fn joining_gives_hello_and_a_snapshot(app: TestApp) {
    let (id, product, _) = live_room(&app).await;
    let url = format!("{}/ws/rooms/{id}", app.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello: Value = match ws.next().await.unwrap().unwrap() {
        Message::Text(t) => serde_json::from_str(&t).unwrap(),
        m => panic!("{m:?}"),
    };
    assert_eq!(hello["t"], "hello");
    assert_eq!(hello["v"], 1);
    assert_eq!(hello["you"]["id"], Value::Null, "a guest");
    let snap: Value = match ws.next().await.unwrap().unwrap() {
        Message::Text(t) => serde_json::from_str(&t).unwrap(),
        m => panic!("{m:?}"),
    };
    assert_eq!(snap["t"], "snapshot");
    assert_eq!(snap["session"]["title"], "今晚直播");
    assert_eq!(snap["bag"][0]["product"], product);
    assert_eq!(snap["bag"][0]["position"], 1);
    assert_eq!(snap["online"], 1);
    assert_eq!(snap["likes"], 0);
}

async fn chat_crosses_between_viewers_and_is_moderated(app: TestApp) {
    let (id, _, _) = live_room(&app).await;
    let ann = app.customer("13800000001").await;
    let bob = app.customer("13800000002").await;
    let host = app.staff("mei", &[Role::Host]).await;
    let mut a = Viewer::join(&app, id, Some(&ann)).await;
    let mut b = Viewer::join(&app, id, Some(&bob)).await;
    let mut h = Viewer::join(&app, id, Some(&host)).await;
    let mut guest = Viewer::join(&app, id, None).await;

    a.send(json!({"t": "chat", "text": "<b>主播好美</b>"}))
        .await;
    let seen = b.event("chat").await;
    assert_eq!(
        seen["text"], "<b>主播好美</b>",
        "text is passed as text, never as markup"
    );
    assert_eq!(seen["user"]["nick"], "顾客");
    let msg_id = seen["id"].as_i64().unwrap();

    a.send(json!({"t": "chat", "text": "有事加 微信 聊", "ref": 42}))
        .await;
    let e = a.error().await;
    assert_eq!(e["code"], "rejected");
    assert_eq!(e["ref"], 42);
    assert!(e["message"].as_str().unwrap().contains("contact"), "{e}");
    a.send(json!({"t": "chat", "text": "打我 13800138000"}))
        .await;
    assert_eq!(a.error().await["code"], "rejected");

    let hit = h.event("chat_refused").await;
    assert_eq!(
        hit["text"], "有事加 微信 聊",
        "the controller sees banned-word hits"
    );
    assert!(hit["reason"].as_str().unwrap().contains("加微信"));
    guest.send(json!({"t": "chat", "text": "hi"})).await;
    assert_eq!(guest.error().await["code"], "unauthenticated");

    // The controller deletes a message for everyone, then mutes Ann.
    h.send(json!({"t": "delete_chat", "id": msg_id})).await;
    assert_eq!(b.event("chat_deleted").await["id"], msg_id);
    let ann_id = app.get("/api/v1/auth/me", &ann).await.1["id"]
        .as_i64()
        .unwrap();
    h.send(json!({"t": "mute", "account": ann_id, "minutes": 10}))
        .await;
    h.event("muted").await;
    a.send(json!({"t": "chat", "text": "还能说话吗"})).await;
    assert_eq!(a.error().await["code"], "muted");
    // Viewers cannot moderate.
    b.send(json!({"t": "ban", "account": ann_id})).await;
    assert_eq!(b.error().await["code"], "forbidden");
    h.send(json!({"t": "ban", "account": ann_id})).await;
    h.event("banned").await;
    b.send(json!({"t": "chat", "text": "还在"})).await;
    h.event_where("chat", |e| e["text"] == "还在").await;
    assert!(
        b.events.iter().all(|e| e["k"] != "chat_refused"),
        "viewers never see refused messages"
    );
}

async fn likes_are_counted_not_broadcast_one_by_one(app: TestApp) {
    let (id, _, _) = live_room(&app).await;
    let ann = app.customer("13800000001").await;
    let mut a = Viewer::join(&app, id, Some(&ann)).await;
    let mut watcher = Viewer::join(&app, id, None).await;
    for _ in 0..10 {
        a.send(json!({"t": "like", "n": 10})).await;
    }
    let b = watcher.batch_until(|b| b["likes"] == 100).await;
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("sellstream_room_connections 2"),
        "{metrics}"
    );
    assert!(metrics.contains("sellstream_rooms 1"), "{metrics}");
    assert!(
        metrics.contains("sellstream_room_frames_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sellstream_room_tick_seconds_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sellstream_room_chat_sampled_out_total"),
        "{metrics}"
    );
    assert!(
        b["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["k"] != "like"),
        "no per-like events"
    );
    app.state.rooms.flush().await;
    let rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM room_events WHERE session_id = $1 AND kind = 'like'",
    )
    .bind(id)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert!(
        (1..=10).contains(&rows),
        "likes are logged per tick, not per tap: {rows} rows"
    );
}

async fn the_controller_pins_polls_and_draws_lotteries(app: TestApp) {
    let (id, product, _) = live_room(&app).await;
    let ctl = app.staff("ctl", &[Role::Controller]).await;
    let ann = app.customer("13800000001").await;
    let bob = app.customer("13800000002").await;
    let mut c = Viewer::join(&app, id, Some(&ctl)).await;
    let mut a = Viewer::join(&app, id, Some(&ann)).await;
    let mut b = Viewer::join(&app, id, Some(&bob)).await;

    a.send(json!({"t": "pin", "product": product})).await;
    assert_eq!(a.error().await["code"], "forbidden");
    c.send(json!({"t": "pin", "product": product})).await;
    let pin = b.event("pin").await;
    assert_eq!(pin["product"], product);
    assert_eq!(pin["position"], 1);
    assert_eq!(a.event("pin").await["product"], product);

    c.send(json!({"t": "poll_open", "question": "下一个讲哪个？", "options": ["口红", "精华"]}))
        .await;
    let poll = a.event("poll_opened").await;
    let poll_id = poll["id"].as_i64().unwrap();
    a.send(json!({"t": "vote", "poll": poll_id, "option": 1, "ref": "v1"}))
        .await;
    assert_eq!(
        a.frame("ack").await["ref"],
        "v1",
        "a successful message with a ref is acknowledged"
    );
    b.send(json!({"t": "vote", "poll": poll_id, "option": 1}))
        .await;
    let tally = c
        .batch_until(|f| {
            f["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["k"] == "poll_tally" && e["counts"] == json!([0, 2]))
        })
        .await;
    let event = tally["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["k"] == "poll_tally")
        .unwrap();
    assert!(
        event.get("seq").is_none(),
        "aggregates take no sequence number: {event}"
    );
    a.send(json!({"t": "vote", "poll": poll_id, "option": 0}))
        .await;
    assert_eq!(a.error().await["code"], "already_voted");
    c.send(json!({"t": "poll_close", "poll": poll_id})).await;
    assert_eq!(b.event("poll_closed").await["counts"], json!([0, 2]));

    c.send(json!({"t": "lottery_open", "title": "福袋", "prize": "口红一支", "winners": 1, "keyword": "想要"})).await;
    let lottery = a.event("lottery_opened").await;
    let lottery_id = lottery["id"].as_i64().unwrap();
    a.send(json!({"t": "chat", "text": "想要想要"})).await;
    b.send(json!({"t": "enter", "lottery": lottery_id})).await;
    c.batch_until(|f| {
        f["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["k"] == "lottery_entries" && e["entries"] == 2)
    })
    .await;
    c.send(json!({"t": "lottery_draw", "lottery": lottery_id}))
        .await;
    let drawn = a.event("lottery_drawn").await;
    let winners = drawn["winners"].as_array().unwrap();
    assert_eq!(winners.len(), 1);
    assert!(
        drawn["seed"].is_string() && drawn["entrants"].as_array().unwrap().len() == 2,
        "{drawn}"
    );
    b.send(json!({"t": "enter", "lottery": lottery_id})).await;
    assert_eq!(b.error().await["code"], "closed");
    app.state.rooms.flush().await;
    let (_, listed) = app
        .get(&format!("/api/v1/sessions/{id}/lotteries"), &ctl)
        .await;
    let l = &listed["items"][0];
    assert_eq!(l["id"], lottery_id);
    assert_eq!(
        l["winners"], drawn["winners"],
        "the operator sees the winners"
    );
    assert_eq!(l["seed"], drawn["seed"]);
    assert_eq!(l["entrants"].as_array().unwrap().len(), 2);
    let (_, public) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/public/sessions/{id}/lotteries"),
            None,
            None,
        )
        .await;
    assert_eq!(
        public["items"][0]["seed"], drawn["seed"],
        "anyone can audit a draw"
    );

    // Q&A.
    a.send(json!({"t": "ask", "text": "有赠品吗？"})).await;
    let q = c.event("question").await;
    let qid = q["id"].as_i64().unwrap();
    b.send(json!({"t": "upvote", "question": qid})).await;
    c.event_where("question_updated", |e| e["upvotes"] == 1)
        .await;
    c.send(json!({"t": "answer", "question": qid, "answer": "有小样"}))
        .await;
    let answered = a
        .event_where("question_updated", |e| e["answer"] == "有小样")
        .await;
    assert_eq!(answered["upvotes"], 1);
    c.send(json!({"t": "announce", "text": "8点整秒杀"})).await;
    assert_eq!(b.event("announcement").await["text"], "8点整秒杀");
}

async fn bad_frames_get_error_frames_and_the_room_stays_healthy(app: TestApp) {
    let (id, _, _) = live_room(&app).await;
    let ann = app.customer("13800000001").await;
    let mut a = Viewer::join(&app, id, Some(&ann)).await;
    let mut other = Viewer::join(&app, id, None).await;
    a.send(json!({"t": "dance"})).await;
    assert_eq!(a.error().await["code"], "unknown_type");
    a.ws.send(Message::text("{not json")).await.unwrap();
    assert_eq!(a.error().await["code"], "bad_frame");
    a.send(json!({"t": "vote", "poll": "x"})).await;
    assert_eq!(a.error().await["code"], "bad_message");
    a.send(json!({"t": "vote", "poll": 999, "option": 0})).await;
    assert_eq!(a.error().await["code"], "not_found");
    a.send(json!({"t": "chat", "text": "still here"})).await;
    other
        .event_where("chat", |e| e["text"] == "still here")
        .await;
    // Over 4 KiB: an error frame, then the connection is closed; the others carry on.
    a.ws.send(Message::text(format!(
        "{{\"t\":\"chat\",\"text\":\"{}\"}}",
        "x".repeat(5000)
    )))
    .await
    .unwrap();
    assert_eq!(a.error().await["code"], "too_large");
    assert!(
        a.read().await.is_none(),
        "closed after a frame over the limit"
    );
    let bob = app.customer("13800000002").await;
    let mut b = Viewer::join(&app, id, Some(&bob)).await;
    b.send(json!({"t": "chat", "text": "ok"})).await;
    other.event_where("chat", |e| e["text"] == "ok").await;
}

async fn unknown_and_ended_rooms_are_refused(app: TestApp) {
    let (id, _, op) = live_room(&app).await;
    let ws = |path: String| {
        let url = format!("{}{path}", app.base.replace("http://", "ws://"));
        async move { tokio_tungstenite::connect_async(url).await }
    };
    match ws("/ws/rooms/9999".into()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 404),
        other => panic!("{other:?}"),
    }
    let mut v = Viewer::join(&app, id, None).await;
    app.post(
        &format!("/api/v1/sessions/{id}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    let ended = v.event("session_state").await;
    assert_eq!(ended["state"], "ended");
    match ws(format!("/ws/rooms/{id}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 409),
        other => panic!("{other:?}"),
    }
    // Plain HTTP on the WebSocket route is a JSON error.
    let (s, body) = app
        .call(reqwest::Method::GET, &format!("/ws/rooms/{id}"), None, None)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn a_restarted_server_brings_the_room_back(mut app: TestApp) {
    let (id, product, _) = live_room(&app).await;
    let ctl = app.staff("ctl", &[Role::Controller]).await;
    let ann = app.customer("13800000001").await;
    let mut c = Viewer::join(&app, id, Some(&ctl)).await;
    let mut a = Viewer::join(&app, id, Some(&ann)).await;
    a.send(json!({"t": "chat", "text": "第一条"})).await;
    a.send(json!({"t": "like", "n": 7})).await;
    c.send(json!({"t": "pin", "product": product})).await;
    c.send(json!({"t": "announce", "text": "欢迎"})).await;
    c.send(json!({"t": "poll_open", "question": "选哪个", "options": ["A", "B", "C"]}))
        .await;
    let poll = a.event("poll_opened").await["id"].as_i64().unwrap();
    a.send(json!({"t": "vote", "poll": poll, "option": 2}))
        .await;
    c.send(json!({"t": "lottery_open", "title": "福袋", "winners": 1}))
        .await;
    let lottery = a.event("lottery_opened").await["id"].as_i64().unwrap();
    a.send(json!({"t": "enter", "lottery": lottery})).await;
    c.batch_until(|f| {
        f["likes"] == 7
            && f["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["k"] == "lottery_entries")
    })
    .await;

    app.restart().await;
    assert!(
        a.read().await.is_none() || a.read().await.is_none(),
        "the old connection is closed"
    );
    let mut again = Viewer::join_raw(&app, id, Some(&ann)).await;
    let hello = again.frame("hello").await;
    assert_eq!(hello["you"]["voted"]["option"], 2, "{hello}");
    assert_eq!(hello["you"]["entered"], true);
    let snap = again.frame("snapshot").await;
    assert_eq!(snap["chat"][0]["text"], "第一条");
    assert_eq!(snap["likes"], 7);
    assert_eq!(snap["pinned"]["product"], product);
    assert_eq!(snap["announcement"]["text"], "欢迎");
    assert_eq!(snap["poll"]["counts"], json!([0, 0, 1]));
    assert_eq!(snap["poll"]["open"], true);
    assert_eq!(snap["lottery"]["entries"], 1);
    assert_eq!(snap["lottery"]["open"], true);
    assert_eq!(snap["bag"].as_array().unwrap().len(), 2);
}

async fn banned_words_are_edited_by_admins_and_apply_at_once(app: TestApp) {
    let (id, _, _) = live_room(&app).await;
    let admin = app.staff("root", &[Role::Admin]).await;
    let ctl = app.staff("ctl", &[Role::Controller]).await;
    let ann = app.customer("13800000001").await;
    let (s, starter) = app
        .get("/api/v1/moderation/words?category=contact", &ctl)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        starter["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["word"] == "加微信"),
        "a starter list ships"
    );
    crate::common::assert_error(
        &app.get("/api/v1/moderation/words", &ann).await,
        403,
        "forbidden",
    );
    crate::common::assert_error(
        &app.post(
            "/api/v1/moderation/words",
            &ctl,
            json!({"word": "x", "category": "custom"}),
        )
        .await,
        403,
        "forbidden",
    );
    crate::common::assert_error(
        &app.post(
            "/api/v1/moderation/words",
            &admin,
            json!({"word": "x", "category": "rude"}),
        )
        .await,
        422,
        "validation_failed",
    );

    let mut a = Viewer::join(&app, id, Some(&ann)).await;
    let mut watcher = Viewer::join(&app, id, None).await;
    a.send(json!({"t": "chat", "text": "竞品链接在这"})).await;
    watcher
        .event_where("chat", |e| e["text"] == "竞品链接在这")
        .await;
    let (s, _) = app
        .post(
            "/api/v1/moderation/words",
            &admin,
            json!({"word": "竞品", "category": "custom"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    a.send(json!({"t": "chat", "text": "竞品更便宜"})).await;
    assert_eq!(a.error().await["code"], "rejected");
    let (_, check) = app
        .post(
            "/api/v1/moderation/check",
            &ctl,
            json!({"text": "去竞品看看"}),
        )
        .await;
    assert_eq!(check["ok"], false);
    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/moderation/words/%E7%AB%9E%E5%93%81",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, check) = app
        .post(
            "/api/v1/moderation/check",
            &ctl,
            json!({"text": "去竞品看看"}),
        )
        .await;
    assert_eq!(check["ok"], true);
    crate::common::assert_error(
        &app.call(
            reqwest::Method::DELETE,
            "/api/v1/moderation/words/nope",
            Some(&admin),
            None,
        )
        .await,
        404,
        "not_found",
    );
}

async fn fast_chat_is_sampled_for_viewers_but_not_for_the_controller(app: TestApp) {
    let (id, _, _) = live_room(&app).await;
    let ctl = app.staff("ctl", &[Role::Controller]).await;
    let mut c = Viewer::join(&app, id, Some(&ctl)).await;
    let mut watcher = Viewer::join(&app, id, None).await;
    let mut senders = Vec::new();
    for i in 0..10 {
        let token = app.customer(&format!("1380000{i:04}")).await;
        senders.push(Viewer::join(&app, id, Some(&token)).await);
    }
    for round in 0..2 {
        for (i, s) in senders.iter_mut().enumerate() {
            s.send(json!({"t": "chat", "text": format!("m{i}-{round}")}))
                .await;
        }
    }
    let mut controller_saw = 0;
    while controller_saw < 20 {
        let e = c.event("chat").await;
        assert!(e["text"].as_str().unwrap().starts_with('m'));
        controller_saw += 1;
    }
    // The viewer's batches carry fewer chats and say how many were left out.
    let mut left_out = 0;
    let mut seen = 0;
    while seen + left_out < 20 {
        let b = watcher.frame("batch").await;
        seen += b["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["k"] == "chat")
            .count();
        left_out += b["sampled"]["left_out"].as_u64().unwrap_or(0) as usize;
    }
    assert!(left_out > 0, "chat above 5/s per viewer is sampled");
    assert!(seen >= 1);
    let stats = app.state.rooms.stats(id).await.unwrap();
    assert_eq!(stats.chat_sampled_out, left_out as u64);
}

async fn a_live_price_reaches_the_room_at_once(app: TestApp) {
    let (id, product, op) = live_room(&app).await;
    let mut viewer = Viewer::join(&app, id, None).await;
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), &op).await;
    let sku = p["skus"][0]["id"].as_i64().unwrap();
    let (s, _) = app
        .put(
            &format!("/api/v1/sessions/{id}/bag/{product}/prices"),
            &op,
            json!({"prices": [{"sku_id": sku, "price_fen": 9900}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let bag = viewer.event("bag").await;
    let entry = bag["bag"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["product"] == product)
        .unwrap()
        .clone();
    assert_eq!(entry["live_price_min_fen"], 9900, "{bag}");
    assert_eq!(
        entry["price_min_fen"], 12900,
        "the list price stays alongside"
    );
}

crate::on_both_backends!(
    a_live_price_reaches_the_room_at_once,
    fast_chat_is_sampled_for_viewers_but_not_for_the_controller,
    banned_words_are_edited_by_admins_and_apply_at_once,
    joining_gives_hello_and_a_snapshot,
    chat_crosses_between_viewers_and_is_moderated,
    likes_are_counted_not_broadcast_one_by_one,
    the_controller_pins_polls_and_draws_lotteries,
    bad_frames_get_error_frames_and_the_room_stays_healthy,
    unknown_and_ended_rooms_are_refused,
    a_restarted_server_brings_the_room_back,
);

/// Completes a WebSocket upgrade over a raw socket with a small receive buffer and returns it
/// without reading anything more: a viewer whose app froze, or a hostile one.
async fn upgrade_raw(app: &TestApp, session: i64) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    // Small, but not below loopback's 64 KiB segment size (TCP would then crawl on window probes).
    sock.set_recv_buffer_size(64 * 1024).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    let req = format!(
        "GET /ws/rooms/{session} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(s.read_u8().await.unwrap());
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// 1,000 viewers stop reading while chat pours in: they fall behind and skip batches, what the
/// server holds for them stays bounded, the viewers who read get every message with no resync,
/// and a stuck viewer that reads again resumes from a fresh snapshot.
async fn a_thousand_viewers_that_stop_reading_hold_nobody_back(backend: Backend) {
    let queue = 8;
    let config = ServerConfig {
        rooms: sellstream_live::RoomConfig {
            queue,
            send_buffer: 16 * 1024,
            chat_per_viewer_per_second: 1000,
            ..Default::default()
        },
        ..Default::default()
    };
    // It measures the process's memory: no other story may allocate meanwhile.
    let Some(app) = TestApp::spawn_alone(backend, config).await else {
        return;
    };
    let (id, _, _) = live_room(&app).await;
    let mut stuck = Vec::new();
    for _ in 0..1000 {
        stuck.push(upgrade_raw(&app, id).await);
    }
    let mut readers = Vec::new();
    for _ in 0..3 {
        let mut v = Viewer::join(&app, id, None).await;
        readers.push(tokio::spawn(async move {
            let (mut chats, mut snapshots, mut sampled) = (Vec::new(), 0, 0);
            loop {
                let f = v.read().await.expect("a reading viewer was cut off");
                match f["t"].as_str() {
                    Some("snapshot") => snapshots += 1,
                    Some("batch") => {
                        sampled += f["sampled"]["left_out"].as_u64().unwrap_or(0);
                        for e in f["events"].as_array().unwrap() {
                            if e["k"] == "chat" {
                                chats.push(e["text"].as_str().unwrap().to_owned());
                            }
                        }
                        if chats.last().is_some_and(|t| t == "END") {
                            return (chats, snapshots, sampled);
                        }
                    }
                    _ => {}
                }
            }
        }));
    }
    let mut senders = Vec::new();
    for i in 0..8 {
        let ctl = app.staff(&format!("ctl{i}"), &[Role::Controller]).await;
        senders.push(Viewer::join(&app, id, Some(&ctl)).await);
    }
    let rss_before = rss_kib();
    // 8 senders × 15 messages a second for 6 s, each message about 400 bytes: some 50 KB a
    // second to every viewer.
    let filler = "直播间弹幕测试".repeat(16);
    let mut sent = Vec::new();
    for step in 0..60 {
        for (i, s) in senders.iter_mut().enumerate() {
            for n in 0..1 + step % 2 {
                let text = format!("{step}-{n}-{i} {filler}");
                s.send(json!({"t": "chat", "text": text})).await;
                sent.push(text);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stats = app.state.rooms.stats(id).await.unwrap();
    let rss_after = rss_kib();
    senders[0].send(json!({"t": "chat", "text": "END"})).await;
    sent.push("END".into());

    assert!(
        stats.lagging >= 1000,
        "every stuck viewer is lagging: {stats:?}"
    );
    assert!(stats.lagging_skips >= 1000, "{stats:?}");
    assert!(
        stats.queued_frames <= (stats.online) * queue as u64,
        "queues are bounded: {stats:?}"
    );
    // Bounded, not growing with what was sent: 1,000 viewers × 720 messages × 400 bytes would
    // be 288 MB if every viewer's frames were copied and kept.
    assert!(
        rss_after.saturating_sub(rss_before) < 48 * 1024,
        "memory grew from {rss_before} KiB to {rss_after} KiB"
    );
    let counters = app.state.rooms.counters();
    assert!(counters.lagging.load(std::sync::atomic::Ordering::Relaxed) >= 1000);
    let metrics = app.metrics().await;
    for name in [
        "sellstream_room_connections ",
        "sellstream_room_lagging_connections ",
        "sellstream_room_frames_total ",
        "sellstream_room_frames_skipped_total ",
        "sellstream_room_chat_sampled_out_total ",
        "sellstream_room_tick_seconds_total ",
    ] {
        assert!(metrics.contains(name), "/metrics has {name}");
    }

    sent.sort();
    for r in readers {
        let (mut chats, snapshots, sampled) = r.await.unwrap();
        assert_eq!(snapshots, 0, "a reading viewer never needed a resync");
        assert_eq!(sampled, 0);
        chats.sort();
        assert_eq!(chats, sent, "a reading viewer saw every message");
    }

    // A stuck viewer that starts reading again drains what it was sent and resumes from a
    // fresh snapshot.
    let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
        stuck.pop().unwrap(),
        tokio_tungstenite::tungstenite::protocol::Role::Client,
        None,
    )
    .await;
    let mut snapshots = 0;
    while snapshots < 2 {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the stuck viewer is sent frames again")
            .expect("the connection is still open")
            .unwrap();
        if let Message::Text(t) = frame {
            let f: Value = serde_json::from_str(&t).unwrap();
            if f["t"] == "snapshot" {
                snapshots += 1;
                // The first snapshot is the one sent on joining; the second is the resync.
                if snapshots == 2 {
                    assert!(f["online"].as_u64().unwrap() >= 1000, "{f}");
                }
            }
        }
    }
    drop(stuck);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_thousand_viewers_that_stop_reading_hold_nobody_back() {
    a_thousand_viewers_that_stop_reading_hold_nobody_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_thousand_viewers_that_stop_reading_hold_nobody_back() {
    a_thousand_viewers_that_stop_reading_hold_nobody_back(Backend::Postgres).await;
}
