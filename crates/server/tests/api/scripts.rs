//! Run-of-show scripts: planning, versions and their diff, templates and pasted scripts, the live
//! run and its review, keyword auto-replies in the room.

use crate::common::{assert_error, TestApp};
use crate::room::{live_room, Viewer};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};

/// A scheduled 90-minute session tomorrow and a product; returns (session, product, operator).
async fn planned(app: &TestApp) -> (i64, i64, String) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (_, p) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "羊毛大衣", "images": ["/demo/coat.svg"],
                   "skus": [{"code": "COAT-1", "price_fen": 89900, "stock": 20}]}),
        )
        .await;
    let start = sellstream_core::Timestamp::now().plus_seconds(86_400);
    let (s, sess) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "秋冬上新", "theme": "new_launch", "scheduled_start": start.to_string(),
                   "scheduled_end": start.plus_seconds(90 * 60).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sess}");
    (sess["id"].as_i64().unwrap(), p["id"].as_i64().unwrap(), op)
}

fn seg(kind: &str, title: &str, minutes: i64) -> Value {
    json!({"kind": kind, "title": title, "minutes": minutes})
}

async fn a_script_is_planned_versioned_and_compared(app: TestApp) {
    let (session, product, op) = planned(&app).await;
    let host = app.staff("mei", &[Role::Host]).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let path = format!("/api/v1/sessions/{session}/script");

    let (s, empty) = app.get(&path, &analyst).await;
    assert_eq!(s, StatusCode::OK, "{empty}");
    assert_eq!(
        (
            &empty["version"],
            &empty["segments"],
            &empty["session_minutes"]
        ),
        (&json!(0), &json!([]), &json!(90))
    );

    let mut intro = seg("product_intro", "讲解：羊毛大衣", 30);
    intro["products"] = json!([product]);
    intro["people"] = json!(["主播小美", " 助播阿杰 "]);
    intro["text"] = json!("这件大衣面料柔软\n全网最低价，只有今天");
    intro["props"] = json!("衣架");
    let v1 = json!({"segments": [seg("opening", "开场", 5), intro, seg("closing", "收尾", 10)],
                    "note": "初稿"});
    let (s, saved) = app.put(&path, &op, v1.clone()).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["total_minutes"], 45);
    assert_eq!(saved["edited_by"], "oper nick");
    assert_eq!(
        saved["segments"][1]["people"],
        json!(["主播小美", "助播阿杰"])
    );
    assert_eq!(saved["products"][0]["title"], "羊毛大衣");
    assert_eq!(
        saved["products"][0]["in_bag"], false,
        "not in the bag yet: the editor warns it cannot be pinned"
    );
    // The compliance check runs over every segment's words, with positions in the field.
    let f = &saved["findings"];
    assert_eq!(f.as_array().unwrap().len(), 1, "{f}");
    assert_eq!(
        (&f[0]["segment"], &f[0]["field"]),
        (&json!(1), &json!("text"))
    );
    assert!(
        f[0]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["text"] == "全网最低价"),
        "{f}"
    );
    let text: Vec<u16> = "这件大衣面料柔软\n全网最低价，只有今天"
        .encode_utf16()
        .collect();
    for hit in f[0]["hits"].as_array().unwrap() {
        let (a, b) = (
            hit["start"].as_u64().unwrap() as usize,
            hit["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(String::from_utf16(&text[a..b]).unwrap(), hit["text"]);
    }

    // A second editor who started from version 0 cannot overwrite version 1 unseen.
    assert_error(&app.put(&path, &host, v1.clone()).await, 409, "conflict");

    // The host fixes the claim, shortens the intro and adds a lottery.
    let mut intro2 = saved["segments"][1].clone();
    intro2["text"] = json!("这件大衣面料柔软\n直播间专属价，只有今天");
    intro2["minutes"] = json!(25);
    let v2 = json!({"base_version": 1, "note": "改掉极限词", "segments": [
        saved["segments"][0], seg("interaction", "抽奖", 10), intro2, saved["segments"][2]]});
    let (s, saved2) = app.put(&path, &host, v2).await;
    assert_eq!(s, StatusCode::OK, "{saved2}");
    assert_eq!(saved2["version"], 2);
    assert_eq!(saved2["findings"], json!([]), "the hit is gone");
    assert_eq!(saved2["edited_by"], "mei nick");

    let (_, versions) = app.get(&format!("{path}/versions"), &analyst).await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|v| (v["version"].as_i64().unwrap(), v["note"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        vec![(2, "改掉极限词"), (1, "初稿")]
    );
    assert_eq!(items[1]["edited_by"], "oper nick");
    let (_, old) = app.get(&format!("{path}?version=1"), &analyst).await;
    assert_eq!(old["segments"].as_array().unwrap().len(), 3);

    let (s, diff) = app.get(&format!("{path}/diff?from=1&to=2"), &analyst).await;
    assert_eq!(s, StatusCode::OK, "{diff}");
    let changes: Vec<(String, String)> = diff["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap().to_owned(),
                c["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("same".into(), "开场".into()),
            ("added".into(), "抽奖".into()),
            ("changed".into(), "讲解：羊毛大衣".into()),
            ("same".into(), "收尾".into()),
        ]
    );
    let changed = &diff["segments"][2];
    assert_eq!(
        changed["fields"],
        json!([{"field": "minutes", "before": 30, "after": 25}])
    );
    assert_eq!(
        changed["text"],
        json!([{"op": "equal", "line": "这件大衣面料柔软"},
               {"op": "delete", "line": "全网最低价，只有今天"},
               {"op": "insert", "line": "直播间专属价，只有今天"}])
    );
    assert_eq!(
        (&diff["from_minutes"], &diff["to_minutes"]),
        (&json!(45), &json!(50))
    );

    // Who may write.
    assert_error(
        &app.put(
            &path,
            &analyst,
            json!({"base_version": 2, "segments": [seg("custom", "x", 1)]}),
        )
        .await,
        403,
        "forbidden",
    );

    // Bad input: clear errors, and no version is added.
    let bad = |segments: Value| json!({"base_version": 2, "segments": segments});
    for (body, status, code, words) in [
        (
            bad(json!([
                seg("opening", "开场", 60),
                seg("closing", "收尾", 31)
            ])),
            422,
            "validation_failed",
            "91 minutes, over the session's 90",
        ),
        (
            bad(json!([{"kind": "opening", "title": "开场", "minutes": 5, "products": [424242]}])),
            422,
            "validation_failed",
            "unknown product 424242",
        ),
        (
            bad(
                json!([{"kind": "opening", "title": "开场", "minutes": 5, "flash_sale_id": 424242}]),
            ),
            422,
            "validation_failed",
            "no flash sale 424242",
        ),
        (
            bad(
                json!([{"kind": "opening", "title": "开场", "minutes": 5, "text": "字".repeat(10_001)}]),
            ),
            413,
            "payload_too_large",
            "segments[0].text",
        ),
        (
            bad(json!((0..61)
                .map(|i| seg("custom", &i.to_string(), 1))
                .collect::<Vec<_>>())),
            413,
            "payload_too_large",
            "at most 60 segments",
        ),
        (
            bad(json!([])),
            422,
            "validation_failed",
            "at least one segment",
        ),
        (
            bad(json!([{"kind": "promotion", "title": "秒杀", "minutes": 5,
                        "flash": {"sku_id": 424242, "quota": 5, "price_fen": 100}}])),
            422,
            "validation_failed",
            "no SKU 424242",
        ),
        (
            bad(
                json!([{"kind": "promotion", "title": "秒杀", "minutes": 5, "products": [product],
                        "flash": {"sku_id": 1, "quota": 0, "price_fen": 100}}]),
            ),
            422,
            "validation_failed",
            "segments[0].flash.quota",
        ),
        (
            bad(json!([{"kind": "dance", "title": "x", "minutes": 1}])),
            422,
            "validation_failed",
            "kind",
        ),
        (
            bad(json!([seg("opening", "开场", 0)])),
            422,
            "validation_failed",
            "segments[0].minutes",
        ),
    ] {
        let e = app.put(&path, &op, body).await;
        assert_error(&e, status, code);
        let msg = e.1["error"]["message"].as_str().unwrap();
        assert!(msg.contains(words), "{msg} should say {words}");
    }
    let (_, versions) = app.get(&format!("{path}/versions"), &analyst).await;
    assert_eq!(
        versions["items"].as_array().unwrap().len(),
        2,
        "nothing half-saved"
    );
    assert_error(
        &app.get(&format!("{path}?version=9"), &op).await,
        404,
        "not_found",
    );
    assert_error(
        &app.get("/api/v1/sessions/424242/script", &op).await,
        404,
        "not_found",
    );
    // An ended session's script is history.
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "cancelled"}),
    )
    .await;
    assert_error(
        &app.put(
            &path,
            &op,
            json!({"base_version": 2, "segments": [seg("custom", "x", 1)]}),
        )
        .await,
        409,
        "conflict",
    );
}

async fn templates_and_pasted_scripts_start_a_plan(app: TestApp) {
    let (session, product, op) = planned(&app).await;
    let host = app.staff("mei", &[Role::Host]).await;
    let mut intro = seg("product_intro", "单品讲解", 40);
    intro["products"] = json!([product]);
    let (s, t) = app
        .post(
            "/api/v1/script-templates",
            &op,
            json!({"name": "标准带货 60 分钟", "description": "开场、讲解、互动、收尾",
                   "segments": [seg("opening", "开场", 5), intro, seg("interaction", "抽奖", 10), seg("closing", "收尾", 5)]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["total_minutes"], 60);
    let tid = t["id"].as_i64().unwrap();
    assert_error(
        &app.post(
            "/api/v1/script-templates",
            &op,
            json!({"name": "标准带货 60 分钟 ", "segments": [seg("opening", "开场", 5)]}),
        )
        .await,
        409,
        "already_exists",
    );
    assert_error(
        &app.post(
            "/api/v1/script-templates",
            &op,
            json!({"name": "秒杀", "segments": [{"kind": "promotion", "title": "秒杀", "minutes": 5, "flash_sale_id": 1}]}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/script-templates",
            &host,
            json!({"name": "主播自己的", "segments": [seg("opening", "开场", 5)]}),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, list) = app.get("/api/v1/script-templates", &host).await;
    assert_eq!(list["items"][0]["name"], "标准带货 60 分钟");

    let (s, script) = app
        .post(
            &format!("/api/v1/sessions/{session}/script/from-template"),
            &host,
            json!({"template_id": tid}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{script}");
    assert_eq!(script["version"], 1);
    assert_eq!(script["segments"][1]["products"], json!([product]));
    let (_, versions) = app
        .get(
            &format!("/api/v1/sessions/{session}/script/versions"),
            &host,
        )
        .await;
    assert_eq!(
        versions["items"][0]["note"],
        "from template 标准带货 60 分钟"
    );

    // A template longer than the session is refused for it.
    let (_, long) = app
        .post(
            "/api/v1/script-templates",
            &op,
            json!({"name": "大促 3 小时", "segments": [seg("promotion", "秒杀", 180)]}),
        )
        .await;
    let e = app
        .post(
            &format!("/api/v1/sessions/{session}/script/from-template"),
            &op,
            json!({"template_id": long["id"], "base_version": 1}),
        )
        .await;
    assert_error(&e, 422, "validation_failed");

    // A script pasted from a document comes back as segments to adjust; nothing is saved.
    let (s, split) = app
        .post(
            "/api/v1/scripts/split",
            &host,
            json!({"text": "【开场】5分钟\n欢迎新朋友\n人员：主播、助播\n二、产品讲解（20分钟）\n面料说明\n道具：面料小样\n【福利抽奖】\n扣 1 参与"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{split}");
    let got: Vec<(String, String, i64)> = split["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["title"].as_str().unwrap().to_owned(),
                s["minutes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("opening".into(), "开场".into(), 5),
            ("product_intro".into(), "产品讲解".into(), 20),
            ("interaction".into(), "福利抽奖".into(), 5),
        ]
    );
    assert_eq!(split["segments"][0]["people"], json!(["主播", "助播"]));
    assert_eq!(split["segments"][1]["props"], "面料小样");
    assert_eq!(split["warnings"].as_array().unwrap().len(), 1, "{split}");
    assert_error(
        &app.post("/api/v1/scripts/split", &host, json!({"text": " "}))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/scripts/split",
            &host,
            json!({"text": "字".repeat(100_001)}),
        )
        .await,
        413,
        "payload_too_large",
    );

    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/script-templates/{tid}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.get(&format!("/api/v1/script-templates/{tid}"), &op)
            .await,
        404,
        "not_found",
    );
    let (_, script) = app
        .get(&format!("/api/v1/sessions/{session}/script"), &op)
        .await;
    assert_eq!(
        script["segments"].as_array().unwrap().len(),
        4,
        "a script keeps the segments its template gave it"
    );
}

async fn the_live_run_follows_the_script_and_the_review_sets_plan_against_actual(app: TestApp) {
    let (session, product, op) = live_room(&app).await;
    let ctl = app.staff("kong", &[Role::Controller]).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let path = format!("/api/v1/sessions/{session}/script");
    let advance = format!("{path}/advance");

    assert_error(&app.post(&advance, &ctl, json!({})).await, 409, "conflict");
    let mut intro = seg("product_intro", "讲解口红", 20);
    intro["products"] = json!([product]);
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), &op).await;
    let sku = p["skus"][0]["id"].as_i64().unwrap();
    intro["flash"] = json!({"sku_id": sku, "quota": 3, "price_fen": 9900});
    let (s, _) = app
        .put(
            &path,
            &op,
            json!({"segments": [seg("opening", "开场", 10), intro, seg("closing", "收尾", 10)]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, script) = app.get(&path, &ctl).await;
    assert_eq!(script["products"][0]["in_bag"], true);
    // The planned flash sale comes back whole, defaults filled, ready for the panel to launch.
    assert_eq!(
        script["segments"][1]["flash"],
        json!({"sku_id": sku, "quota": 3, "price_fen": 9900, "per_customer": 1,
               "members_only": false, "countdown_secs": 10, "duration_secs": 600})
    );
    // A flash sale whose SKU is not of the segment's products is refused.
    let mut stray = seg("promotion", "秒杀", 5);
    stray["flash"] = json!({"sku_id": sku, "quota": 3, "price_fen": 9900});
    assert_error(
        &app.put(&path, &op, json!({"base_version": 1, "segments": [stray]}))
            .await,
        422,
        "validation_failed",
    );
    assert_eq!(script["current"], Value::Null);

    let (s, run) = app.post(&advance, &ctl, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{run}");
    assert_eq!(run["current"], 0);
    let (_, run) = app.post(&advance, &ctl, json!({})).await;
    assert_eq!(run["current"], 1);
    let runs = run["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0]["ended_at"].is_string() && runs[1]["ended_at"].is_null());
    assert_eq!(runs[1]["title"], "讲解口红");
    assert!(run["server_now"].is_string());
    assert_error(
        &app.post(&advance, &ctl, json!({"to": 3})).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(&advance, &analyst, json!({})).await,
        403,
        "forbidden",
    );
    // Asking for the running segment again changes nothing.
    let (_, same) = app.post(&advance, &ctl, json!({"to": 1})).await;
    assert_eq!(same["runs"].as_array().unwrap().len(), 2);
    // Two controllers press "next" at once: one moves it, the other is told (or moves it on
    // after); never two segments running, never one started twice.
    let (a, b) = tokio::join!(
        app.post(&advance, &ctl, json!({})),
        app.post(&advance, &op, json!({}))
    );
    for (s, body) in [&a, &b] {
        assert!(
            *s == StatusCode::OK || *s == StatusCode::CONFLICT,
            "{s} {body}"
        );
    }
    let (_, raced) = app.get(&path, &ctl).await;
    let runs = raced["runs"].as_array().unwrap();
    assert!(runs.iter().filter(|r| r["ended_at"].is_null()).count() <= 1);
    let positions: Vec<i64> = runs
        .iter()
        .map(|r| r["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions[..3], [0, 1, 2], "{positions:?}");
    assert!(
        positions.len() == 3,
        "segment 2 started once: {positions:?}"
    );
    // Back to the intro for the rest of the story.
    let (s, back) = app.post(&advance, &ctl, json!({"to": 1})).await;
    assert_eq!(s, StatusCode::OK, "{back}");

    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    let (_, after) = app.get(&path, &analyst).await;
    assert!(
        after["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ended_at"].is_string()),
        "ending the session closes the running segment: {after}"
    );
    assert_eq!(after["current"], Value::Null);
    assert_error(&app.post(&advance, &ctl, json!({})).await, 409, "conflict");

    // Put the runs and some chat at known times: the opening ran 12 min (2 over), the intro 18
    // (2 short); the closing never ran. Two comments in the intro, one in the opening.
    let t0 = 1_700_000_000_000_i64 - 1_700_000_000_000 % 60_000;
    let m = 60_000;
    sqlx::query("DELETE FROM script_runs WHERE session_id = $1")
        .bind(session)
        .execute(app.store.pool())
        .await
        .unwrap();
    for (pos, title, planned, start, end) in [
        (0, "开场", 10, t0, t0 + 12 * m),
        (1, "讲解口红", 20, t0 + 12 * m, t0 + 30 * m),
    ] {
        sqlx::query(
            "INSERT INTO script_runs (session_id, position, kind, title, planned_minutes, started_at, ended_at)
             VALUES ($1, $2, 'custom', $3, $4, $5, $6)",
        )
        .bind(session)
        .bind(pos)
        .bind(title)
        .bind(planned)
        .bind(start)
        .bind(end)
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    let buyer = app.customer("13900000201").await;
    let buyer_id = app.get("/api/v1/auth/me", &buyer).await.1["id"]
        .as_i64()
        .unwrap();
    for (seq, at) in [(1, t0 + m), (2, t0 + 15 * m), (3, t0 + 16 * m + 50_000)] {
        sqlx::query(
            "INSERT INTO room_events (session_id, seq, kind, actor_id, payload, at)
             VALUES ($1, $2, 'chat', $3, '{}', $4)",
        )
        .bind(session)
        .bind(900_000 + seq)
        .bind(buyer_id)
        .bind(at)
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    app.state.analytics.catch_up().await.unwrap();
    let (s, rep) = app
        .get(
            &format!("/api/v1/analytics/sessions/{session}/report"),
            &analyst,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rep}");
    let rows = rep["segments"].as_array().unwrap();
    let summary: Vec<(String, bool, i64, Option<i64>, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap().to_owned(),
                r["ran"].as_bool().unwrap(),
                r["actual_ms"].as_i64().unwrap(),
                r["over_ms"].as_i64(),
                r["comments"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("开场".into(), true, 12 * m, Some(2 * m), 1),
            ("讲解口红".into(), true, 18 * m, Some(-2 * m), 2),
            ("收尾".into(), false, 0, None, 0),
        ]
    );
    assert_eq!(rows[1]["planned_ms"], 20 * m);
}

async fn keyword_auto_replies_answer_viewers_once_per_cooldown(app: TestApp) {
    let (session, _, op) = live_room(&app).await;
    let path = format!("/api/v1/sessions/{session}/auto-replies");
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let (s, saved) = app
        .put(
            &path,
            &op,
            json!({"rules": [{"keywords": ["尺码", " Size "], "answer": "S/M/L 三个码，按身高选"},
                             {"keywords": ["发货"], "answer": "48 小时内发货", "enabled": false}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["rules"][0]["keywords"], json!(["尺码", "size"]));
    assert_eq!(saved["cooldown_seconds"], 30);

    let ann = app.customer("13800000011").await;
    let mut a = Viewer::join(&app, session, Some(&ann)).await;
    a.send(json!({"t": "chat", "text": "请问尺码怎么选"})).await;
    let reply = a.event_where("chat", |e| e["auto"] == true).await;
    assert_eq!(reply["text"], "@顾客 S/M/L 三个码，按身高选");
    assert_eq!(reply["user"]["staff"], true);
    // Within the cooldown the same rule stays quiet; a disabled rule never speaks.
    // (Others ask: one viewer may send only a few messages in a burst.)
    let bob = app.customer("13800000012").await;
    let mut b = Viewer::join(&app, session, Some(&bob)).await;
    b.send(json!({"t": "chat", "text": "SIZE?"})).await;
    b.send(json!({"t": "chat", "text": "什么时候发货"})).await;
    b.send(json!({"t": "chat", "text": "好的"})).await;
    a.event_where("chat", |e| e["text"] == "好的").await;
    assert!(
        a.events.iter().all(|e| e["auto"] != true),
        "no second answer: {:?}",
        a.events
    );

    // New rules reach the running room at once.
    let (s, _) = app
        .put(
            &path,
            &op,
            json!({"rules": [{"keywords": ["优惠"], "answer": "领券再减 20"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    a.send(json!({"t": "chat", "text": "有优惠吗"})).await;
    let reply = a.event_where("chat", |e| e["auto"] == true).await;
    assert_eq!(reply["text"], "@顾客 领券再减 20");
    assert!(b.seen.iter().all(|f| f["t"] != "error"), "{:?}", b.seen);

    // Bad input.
    for body in [
        json!({"rules": [{"keywords": ["优惠"], "answer": "a"}, {"keywords": ["优惠"], "answer": "b"}]}),
        json!({"rules": [{"keywords": [], "answer": "a"}]}),
        json!({"rules": [{"keywords": ["x"], "answer": ""}]}),
        json!({"rules": [{"keywords": ["x"], "answer": "a", "delay": 3}]}),
    ] {
        assert_error(&app.put(&path, &op, body).await, 422, "validation_failed");
    }
    assert_error(
        &app.put(&path, &analyst, json!({"rules": []})).await,
        403,
        "forbidden",
    );
    let (_, kept) = app.get(&path, &analyst).await;
    assert_eq!(
        kept["rules"][0]["answer"], "领券再减 20",
        "nothing half-saved"
    );
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    assert_error(
        &app.put(&path, &op, json!({"rules": []})).await,
        409,
        "conflict",
    );
}

crate::on_both_backends!(
    a_script_is_planned_versioned_and_compared,
    templates_and_pasted_scripts_start_a_plan,
    the_live_run_follows_the_script_and_the_review_sets_plan_against_actual,
    keyword_auto_replies_answer_viewers_once_per_cooldown,
);
