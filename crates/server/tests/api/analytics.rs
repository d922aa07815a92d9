//! Analytics: a small session built by hand, every figure of its review worked out below; the
//! room's own enter/view/leave reaching the figures; pages' bad batches.

use crate::common::{assert_error, TestApp};
use crate::orders::{buyer, pay, place};
use crate::room::{live_room, Viewer};
use reqwest::StatusCode;
use sellstream_accounts::Role;
use sellstream_store::Row;
use serde_json::{json, Value};

/// Writes a row into a session's room log as the room's writer would.
#[allow(clippy::too_many_arguments)]
async fn room_row(
    app: &TestApp,
    session: i64,
    seq: i64,
    kind: &str,
    actor: Option<i64>,
    ref_id: Option<i64>,
    amount: Option<i64>,
    payload: Value,
    at: i64,
) {
    sqlx::query(
        "INSERT INTO room_events (session_id, seq, kind, actor_id, ref_id, amount, payload, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(session)
    .bind(seq)
    .bind(kind)
    .bind(actor)
    .bind(ref_id)
    .bind(amount)
    .bind(payload.to_string())
    .bind(at)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn events(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/events", token, body).await
}

fn ev(seq: i64, kind: &str, session: i64, at: i64) -> Value {
    json!({"seq": seq, "kind": kind, "session": session, "at": at})
}

fn with(mut v: Value, extra: Value) -> Value {
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn approx(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

async fn a_hand_built_session_has_every_figure_of_its_review_right(app: TestApp) {
    let (session, p1, op) = live_room(&app).await;
    let analyst = app.staff("anna", &[Role::Analyst]).await;
    let (_, bag) = app
        .get(&format!("/api/v1/sessions/{session}/bag"), &op)
        .await;
    let p2 = bag["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["product"]["id"].as_i64().unwrap())
        .find(|p| *p != p1)
        .unwrap();
    let mut skus = Vec::new();
    for p in [p1, p2] {
        let (_, prod) = app.get(&format!("/api/v1/products/{p}"), &op).await;
        skus.push(prod["skus"][0]["id"].as_i64().unwrap());
    }
    let (sku1, sku2) = (skus[0], skus[1]);
    // The show started five minutes ago and is planned to end 20 minutes after its start.
    let now = sellstream_core::Timestamp::now().millis();
    let t0 = now - 300_000;
    // Targets as the operator sets them: GMV ¥258, 4 orders, no viewer target.
    let path = format!("/api/v1/sessions/{session}");
    let (_, cur) = app.get(&path, &op).await;
    let mut plan = json!({"target_gmv_fen": 25_800, "target_orders": 4});
    for k in [
        "title",
        "theme",
        "channel",
        "host_id",
        "scheduled_start",
        "scheduled_end",
        "cover_url",
    ] {
        plan[k] = cur[k].clone();
    }
    let (st, body) = app.put(&path, &op, plan).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    sqlx::query("UPDATE live_sessions SET started_at = $1 WHERE id = $2")
        .bind(t0)
        .bind(session)
        .execute(app.store.pool())
        .await
        .unwrap();
    let (alice, alice_id, alice_addr) = buyer(&app, "13900000101").await;
    let (bob, bob_id, bob_addr) = buyer(&app, "13900000102").await;
    let carol = "device-carol-01";
    let dave = "device-dave-001";

    // The room's log: A(lice), C(arol, anonymous), B(ob), D(ave, anonymous) enter; D leaves after
    // 1 s (no view); A chats and votes, B follows; C watches 60 s, A 120 s, B 300 s. 30 likes.
    let s = 100_000;
    let d = |dev: &str| json!({"device": dev});
    room_row(
        &app,
        session,
        s + 1,
        "enter",
        Some(alice_id),
        None,
        None,
        json!({}),
        t0 + 1_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 2,
        "enter",
        None,
        None,
        None,
        d(carol),
        t0 + 2_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 3,
        "pin",
        Some(1),
        Some(p1),
        None,
        json!({"product": p1, "title": "口红 LS-1"}),
        t0 + 2_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 4,
        "view",
        Some(alice_id),
        None,
        None,
        json!({}),
        t0 + 4_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 5,
        "enter",
        Some(bob_id),
        None,
        None,
        json!({}),
        t0 + 5_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 6,
        "view",
        None,
        None,
        None,
        d(carol),
        t0 + 5_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 7,
        "enter",
        None,
        None,
        None,
        d(dave),
        t0 + 6_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 8,
        "leave",
        None,
        None,
        Some(1_000),
        d(dave),
        t0 + 7_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 9,
        "view",
        Some(bob_id),
        None,
        None,
        json!({}),
        t0 + 8_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 10,
        "chat",
        Some(alice_id),
        None,
        None,
        json!({"text": "好看"}),
        t0 + 10_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 11,
        "like",
        None,
        None,
        Some(30),
        json!({"n": 30}),
        t0 + 11_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 12,
        "follow",
        Some(bob_id),
        None,
        None,
        json!({}),
        t0 + 12_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 13,
        "vote",
        Some(alice_id),
        None,
        None,
        json!({"option": 0}),
        t0 + 13_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 14,
        "leave",
        None,
        None,
        Some(60_000),
        d(carol),
        t0 + 62_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 15,
        "pin",
        Some(1),
        Some(p2),
        None,
        json!({"product": p2, "title": "口红 LS-2"}),
        t0 + 62_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 16,
        "leave",
        Some(alice_id),
        None,
        Some(120_000),
        json!({}),
        t0 + 121_000,
    )
    .await;
    room_row(
        &app,
        session,
        s + 17,
        "leave",
        Some(bob_id),
        None,
        Some(300_000),
        json!({}),
        t0 + 305_000,
    )
    .await;

    // The pages: A sees the card, P1, clicks it, adds one, shares; C sees the card, P1 and P2;
    // B sees P2 and clicks it.
    let alice_batch = json!({"source": "src-alice-0001", "events": [
        ev(1, "impression", session, t0 + 500),
        with(ev(2, "exposure", session, t0 + 20_000), json!({"product": p1})),
        with(ev(3, "click", session, t0 + 21_000), json!({"product": p1})),
        with(ev(4, "cart", session, t0 + 22_000), json!({"product": p1, "quantity": 1})),
        ev(5, "share", session, t0 + 23_000),
    ]});
    let (st, r) = events(&app, &alice, alice_batch.clone()).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (r["accepted"].as_i64(), r["duplicates"].as_i64()),
        (Some(5), Some(0)),
        "{r}"
    );
    // The page retries (its answer was lost): nothing is stored twice.
    let (_, r) = events(&app, &alice, alice_batch).await;
    assert_eq!(
        (r["accepted"].as_i64(), r["duplicates"].as_i64()),
        (Some(0), Some(5)),
        "{r}"
    );
    let (st, r) = events(
        &app,
        "",
        json!({"source": "src-carol-0001", "device": carol, "events": [
            ev(1, "impression", session, t0 + 1_500),
            with(ev(2, "exposure", session, t0 + 20_000), json!({"product": p1})),
            with(ev(3, "exposure", session, t0 + 30_000), json!({"product": p2})),
        ]}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["accepted"], 3, "{r}");
    let (_, r) = events(
        &app,
        &bob,
        json!({"source": "src-bob-00001", "events": [
            with(ev(1, "exposure", session, t0 + 30_000), json!({"product": p2})),
            with(ev(2, "click", session, t0 + 31_000), json!({"product": p2})),
        ]}),
    )
    .await;
    assert_eq!(r["accepted"], 2, "{r}");

    // A buys one P1 and pays; B buys one P2, pays, and is refunded in full.
    let order = |sku: i64, addr: i64| json!({"session_id": session, "items": [{"sku_id": sku, "quantity": 1}], "address_id": addr});
    let (st, a_order) = place(&app, &alice, None, order(sku1, alice_addr)).await;
    assert_eq!(st, StatusCode::CREATED, "{a_order}");
    assert_eq!(
        a_order["lines"][0]["payable"], 12900,
        "no discounts: the list price"
    );
    pay(&app, &alice, a_order["id"].as_i64().unwrap()).await;
    let (_, b_order) = place(&app, &bob, None, order(sku2, bob_addr)).await;
    let b_id = b_order["id"].as_i64().unwrap();
    pay(&app, &bob, b_id).await;
    let (st, r) = app
        .post(
            &format!("/api/v1/orders/{b_id}/refund"),
            &op,
            json!({"reason": "不想要了"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["refunded_fen"], 12900);

    // The show ends; it is recorded as 20 minutes long.
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    sqlx::query("UPDATE live_sessions SET ended_at = $1 WHERE id = $2")
        .bind(t0 + 1_200_000)
        .bind(session)
        .execute(app.store.pool())
        .await
        .unwrap();
    app.state.analytics.catch_up().await.unwrap();

    let (st, rep) = app
        .get(
            &format!("/api/v1/analytics/sessions/{session}/report"),
            &analyst,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{rep}");
    let m = &rep["metrics"];
    // Entries: A, C, B, D. Views (3 s or more): A, C, B. D's 1 s is an entry, not a view.
    assert_eq!(m["entries"], 4, "{m}");
    assert_eq!(m["uv_all"], 4);
    assert_eq!(m["pv"], 3);
    assert_eq!(m["uv"], 3);
    // Online 1, 2, 3, 4 as they enter: PCU 4.
    assert_eq!(m["pcu"], 4);
    // Watch: 1 + 60 + 120 + 300 s = 481 s; average over the UV: 481,000 ÷ 3 = 160,333 ms.
    assert_eq!(m["total_watch_ms"], 481_000);
    assert_eq!(m["avg_watch_ms"], 160_333);
    // ACU: 481 s watched over a 1,200 s show.
    approx(&m["acu"], 481_000.0 / 1_200_000.0);
    assert_eq!(m["duration_ms"], 1_200_000);
    assert_eq!(
        (m["comments"].as_i64(), m["likes"].as_i64()),
        (Some(1), Some(30))
    );
    assert_eq!(
        (m["shares"].as_i64(), m["follows"].as_i64()),
        (Some(1), Some(1))
    );
    // Interacting viewers: A (chat, vote, share) and B (follow) of 3.
    assert_eq!(m["interaction_viewers"], 2);
    approx(&m["interaction_rate"], 2.0 / 3.0);
    approx(&m["follower_conversion"], 1.0 / 3.0);
    assert_eq!(
        (
            m["product_exposures"].as_i64(),
            m["product_clicks"].as_i64()
        ),
        (Some(4), Some(2))
    );
    // Orders: two, both paid (25,800), one refunded (12,900): GMV 12,900.
    assert_eq!(
        (m["orders"].as_i64(), m["buyers"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (m["paid_orders"].as_i64(), m["paid_buyers"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(m["paid_fen"], 25_800);
    assert_eq!(
        (m["refunds"].as_i64(), m["refund_fen"].as_i64()),
        (Some(1), Some(12_900))
    );
    assert_eq!(m["gmv_fen"], 12_900);
    // AOV 12,900 ÷ 2 buyers; UV value 12,900 ÷ 3; GPM 12,900 × 1000 ÷ 3 PV.
    assert_eq!(m["aov_fen"], 6_450);
    assert_eq!(m["uv_value_fen"], 4_300);
    assert_eq!(m["gpm_fen"], 4_300_000);
    approx(&m["conversion"], 2.0 / 3.0);
    approx(&m["refund_rate"], 0.5);
    // Funnel in unique viewers: card seen by A and C; entered 4; saw a product A, C, B; clicked
    // A and B; ordered A and B; paid A and B.
    let steps: Vec<(String, i64)> = rep["funnel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["viewers"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("impression", 2),
            ("entry", 4),
            ("product_exposure", 3),
            ("click", 2),
            ("order", 2),
            ("paid", 2)
        ]
        .map(|(s, n)| (s.to_owned(), n))
        .to_vec()
    );
    approx(&rep["funnel"][2]["rate"], 3.0 / 4.0);
    approx(&rep["funnel"][5]["overall"], 1.0);
    // Watch time per viewer: D <3 s; C 60 s and A 120 s in 1–3 min; B 300 s in 3–10 min.
    let dist: Vec<i64> = rep["watch_distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["viewers"].as_i64().unwrap())
        .collect();
    assert_eq!(dist, vec![1, 0, 0, 0, 2, 1, 0, 0]);
    // Per product: P1 exposed twice, clicked once, carted, ordered and paid; pinned 60 s.
    // P2 exposed twice, clicked once, paid then refunded; pinned from 62 s to the end (1,200 s).
    let prod = |id: i64| {
        rep["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product_id"] == id)
            .unwrap()
            .clone()
    };
    let (r1, r2) = (prod(p1), prod(p2));
    assert_eq!(
        (
            r1["exposures"].as_i64(),
            r1["clicks"].as_i64(),
            r1["carts"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    approx(&r1["ctr"], 0.5);
    assert_eq!(
        (
            r1["orders"].as_i64(),
            r1["units"].as_i64(),
            r1["gmv_fen"].as_i64()
        ),
        (Some(1), Some(1), Some(12_900))
    );
    assert_eq!(r1["explained_ms"], 60_000);
    assert_eq!(
        (r2["gmv_fen"].as_i64(), r2["refund_fen"].as_i64()),
        (Some(0), Some(12_900))
    );
    assert_eq!(r2["explained_ms"], 1_138_000);
    assert_eq!(rep["products"][0]["product_id"], p1, "ranked by GMV");
    // Targets: GMV 12,900 of 25,800; orders 2 of 4.
    let t = &rep["targets"];
    assert_eq!(
        (t[0]["metric"].as_str(), t[0]["actual"].as_i64()),
        (Some("gmv_fen"), Some(12_900))
    );
    approx(&t[0]["ratio"], 0.5);
    assert_eq!(
        (t[1]["metric"].as_str(), t[1]["actual"].as_i64()),
        (Some("orders"), Some(2))
    );
    // Minutes add up to the totals; pins are markers.
    let mins = rep["minutes"].as_array().unwrap();
    let sum = |k: &str| mins.iter().map(|x| x[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(
        (sum("entries"), sum("views"), sum("gmv_fen")),
        (4, 3, 12_900)
    );
    assert_eq!(
        mins.iter().map(|x| x["online_max"].as_i64().unwrap()).max(),
        Some(4)
    );
    assert_eq!(
        rep["markers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] == "pin")
            .count(),
        2
    );
    // Both denominators are kept.
    assert_eq!(rep["denominators"][0]["ours"], 3);
    assert_eq!(rep["denominators"][0]["raw"], 4);

    // Running the tailers again changes nothing (cursors).
    app.state.analytics.catch_up().await.unwrap();
    let (_, again) = app
        .get(
            &format!("/api/v1/analytics/sessions/{session}/report"),
            &analyst,
        )
        .await;
    assert_eq!(again["metrics"], rep["metrics"]);

    // Exports, the list and trends.
    let res = app
        .client
        .get(format!(
            "{}/api/v1/analytics/sessions/{session}/report.csv",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("# funnel") && csv.contains("129.00"),
        "{csv}"
    );
    let res = app
        .client
        .get(format!(
            "{}/api/v1/analytics/sessions/{session}/report.xlsx",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK");
    // A second show that nobody has watched yet is listed with zeros, after the first by GMV.
    let (_, quiet) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "无人观看", "theme": "custom",
            "scheduled_start": "2026-01-02T12:00:00Z", "scheduled_end": "2026-01-02T14:00:00Z"}),
        )
        .await;
    let quiet = quiet["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/sessions/{quiet}/transition"),
        &op,
        json!({"to": "live"}),
    )
    .await;
    let (_, list) = app
        .get("/api/v1/analytics/sessions?sort=gmv_fen", &analyst)
        .await;
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(list["items"][0]["metrics"]["gmv_fen"], 12_900);
    assert_eq!(list["items"][1]["session"]["id"], quiet);
    assert_eq!(list["items"][1]["metrics"]["uv"], 0);
    assert!(
        list["items"][1]["metrics"]["conversion"].is_null(),
        "no UV: no rate"
    );
    app.post(
        &format!("/api/v1/sessions/{quiet}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    assert_error(
        &app.get("/api/v1/analytics/sessions?sort=nonsense", &analyst)
            .await,
        422,
        "validation_failed",
    );
    for by in ["day", "week", "month", "host", "channel"] {
        let (st, tr) = app
            .get(&format!("/api/v1/analytics/trend?by={by}"), &analyst)
            .await;
        assert_eq!(st, StatusCode::OK, "{tr}");
        let rows = tr["rows"].as_array().unwrap();
        let sum = |f: &dyn Fn(&Value) -> i64| rows.iter().map(f).sum::<i64>();
        assert_eq!(sum(&|r| r["sessions"].as_i64().unwrap()), 2, "{by}: {tr}");
        assert_eq!(
            sum(&|r| r["metrics"]["gmv_fen"].as_i64().unwrap()),
            12_900,
            "{by}"
        );
    }
    let (_, tr) = app
        .get("/api/v1/analytics/trend?by=product", &analyst)
        .await;
    // By product: the metrics of the sessions that showed it, and its own figures there.
    let row = |tr: &Value, i: usize| tr["rows"][i].clone();
    let (a, b) = (row(&tr, 0), row(&tr, 1));
    assert_eq!(tr["rows"].as_array().unwrap().len(), 2, "{tr}");
    assert_eq!(
        (a["key"].clone(), b["key"].clone()),
        (json!(p1.to_string()), json!(p2.to_string())),
        "ranked by the product's GMV"
    );
    for r in [&a, &b] {
        assert_eq!(r["sessions"], 1, "the quiet session showed nothing");
        assert_eq!(
            (
                r["metrics"]["uv"].as_i64(),
                r["metrics"]["gmv_fen"].as_i64()
            ),
            (Some(3), Some(12_900))
        );
    }
    assert_eq!(
        (
            a["product"]["exposures"].as_i64(),
            a["product"]["clicks"].as_i64(),
            a["product"]["gmv_fen"].as_i64()
        ),
        (Some(2), Some(1), Some(12_900))
    );
    approx(&a["product"]["ctr"], 0.5);
    approx(&a["product"]["click_conversion"], 1.0);
    approx(&a["product"]["gmv_share"], 1.0);
    assert_eq!(
        (
            b["product"]["gmv_fen"].as_i64(),
            b["product"]["refund_fen"].as_i64()
        ),
        (Some(0), Some(12_900))
    );
    approx(&b["product"]["gmv_share"], 0.0);
    // One product over time: only the sessions that showed it, with its figures per day.
    let (_, tr) = app
        .get(
            &format!("/api/v1/analytics/trend?by=day&product={p2}"),
            &analyst,
        )
        .await;
    let rows = tr["rows"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| r["sessions"].as_i64().unwrap())
            .sum::<i64>(),
        1,
        "{tr}"
    );
    assert_eq!(
        rows.iter()
            .map(|r| r["product"]["refund_fen"].as_i64().unwrap())
            .sum::<i64>(),
        12_900
    );
    assert_error(
        &app.get("/api/v1/analytics/trend?by=year", &analyst).await,
        422,
        "validation_failed",
    );
    // Customers do not read the figures.
    assert_error(
        &app.get(
            &format!("/api/v1/analytics/sessions/{session}/report"),
            &alice,
        )
        .await,
        403,
        "forbidden",
    );
}

async fn the_room_counts_entries_views_and_watch_time_itself(app: TestApp) {
    let (session, _, op) = live_room(&app).await;
    let fan = app.customer("13900000201").await;
    let mut v = Viewer::join(&app, session, Some(&fan)).await;
    v.send(json!({"t": "chat", "text": "第一次来"})).await;
    // Long enough to count as a view.
    tokio::time::sleep(std::time::Duration::from_millis(3_600)).await;
    let mut brief = Viewer::join_raw(&app, session, None).await;
    brief.frame("snapshot").await;
    drop(brief);
    drop(v);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.state.analytics.catch_up().await.unwrap();
    let (_, live) = app
        .get(&format!("/api/v1/analytics/sessions/{session}/live"), &op)
        .await;
    assert_eq!(live["entries"], 2, "{live}");
    assert_eq!(live["pv"], 1, "the anonymous visit was too short: {live}");
    assert_eq!(live["uv"], 1);
    assert_eq!(live["comments"], 1);
    assert_eq!(live["online"], 0, "both left");
    assert!(live["avg_watch_ms"].as_i64().unwrap() >= 3_000, "{live}");
    assert_eq!(live["pcu"], 2);
}

async fn bad_event_batches_are_refused_or_trimmed_and_the_rest_kept(app: TestApp) {
    let (session, p1, _) = live_room(&app).await;
    let now = sellstream_core::Timestamp::now().millis();
    let dev = "device-bad-0001";
    let batch = |source: &str, events: Vec<Value>| json!({"source": source, "device": dev, "events": events});
    let (st, r) = events(
        &app,
        "",
        batch(
            "src-bad-00001",
            vec![
                with(ev(1, "click", session, now), json!({"product": p1})),
                ev(2, "click", session, now),
                ev(3, "impression", 999_999, now),
                ev(4, "impression", session, now + 3_600_000),
                ev(5, "impression", session, now - 30 * 86_400_000),
                ev(6, "order_paid", session, now),
                ev(0, "impression", session, now),
                with(
                    ev(7, "leave", session, now),
                    json!({"ms": -5, "replay": true}),
                ),
                with(
                    ev(8, "cart", session, now),
                    json!({"product": p1, "quantity": 5000}),
                ),
                ev(9, "impression", session, now),
                ev(9, "impression", session, now),
            ],
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let codes: Vec<&str> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "product_required",
            "unknown_session",
            "time_in_future",
            "time_too_old",
            "unknown_kind",
            "invalid_seq",
            "invalid_ms",
            "invalid_quantity"
        ]
    );
    assert_eq!(r["rejected"][1]["index"], 2);
    // The good click and one of the two events numbered 9 are kept.
    assert_eq!(
        (r["accepted"].as_i64(), r["duplicates"].as_i64()),
        (Some(2), Some(1)),
        "{r}"
    );
    // Too many events at once: refused whole, before anything is stored.
    let many: Vec<Value> = (1..=501)
        .map(|i| ev(i, "impression", session, now))
        .collect();
    assert_error(
        &events(&app, "", batch("src-bad-00002", many)).await,
        413,
        "payload_too_large",
    );
    // Anonymous without a device, a malformed source.
    assert_error(
        &events(
            &app,
            "",
            json!({"source": "src-bad-00003", "events": [ev(1, "impression", session, now)]}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &events(&app, "", batch("x", vec![])).await,
        422,
        "validation_failed",
    );
    assert_error(
        &events(&app, "", json!({"source": 5})).await,
        422,
        "validation_failed",
    );
    // A page that floods: after 30 batches in 10 s it is told to wait.
    let mut last = (StatusCode::OK, Value::Null);
    for i in 1..=31 {
        last = events(
            &app,
            "",
            batch("src-flood-0001", vec![ev(i, "impression", session, now)]),
        )
        .await;
    }
    assert_error(&last, 429, "rate_limited");
    // The room is unaffected and what was kept is counted.
    let mut v = Viewer::join(&app, session, None).await;
    v.send(json!({"t": "ping"})).await;
    app.state.analytics.catch_up().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM analytics_events WHERE session_id = $1 AND kind IN (1, 12)",
    )
    .bind(session)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(
        n,
        2 + 30,
        "the kept events and the 30 batches before the flood limit (the room's own entry aside)"
    );
}

/// Two readers of the same log rows (a stale tailer beside a new one, or a test's catch-up beside
/// the background loop) store them once: the cursor moves only from where the rows were read.
async fn two_readers_of_the_same_rows_store_them_once(app: TestApp) {
    use sellstream_analytics::db::{Append, Cursor, Db};
    let (one, two) = (Db::open(&app.store).unwrap(), Db::open(&app.store).unwrap());
    let now = sellstream_core::Timestamp::now().millis();
    let rows = || {
        vec![Append {
            source: None,
            seqs: vec![],
            events: (0..3)
                .map(|i| {
                    sellstream_analytics::Event::new(
                        424_242,
                        sellstream_analytics::Kind::Chat,
                        -7,
                        now + i,
                    )
                })
                .collect(),
            cursor: Some(Cursor {
                source: "room",
                key: 424_242,
                pos: 3,
                from: Some(0),
            }),
        }]
    };
    let (a, b) = tokio::join!(one.append(rows()), two.append(rows()));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a[0].accepted + b[0].accepted,
        3,
        "one reader stored the rows, the other nothing"
    );
    assert_eq!(a[0].duplicates + b[0].duplicates, 3);
    let stored: i64 =
        sqlx::query("SELECT COUNT(*) FROM analytics_events WHERE session_id = 424242")
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get(0);
    assert_eq!(stored, 3);
    assert_eq!(one.cursor("room", 424_242).await.unwrap(), 3);
    // Many catch-ups beside the background loop count the room once.
    let (session, _, op) = live_room(&app).await;
    let fan = app.customer("13900000202").await;
    let v = Viewer::join(&app, session, Some(&fan)).await;
    drop(v);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let a = &app.state.analytics;
    let (x, y, z) = tokio::join!(a.catch_up(), a.catch_up(), a.catch_up());
    (x.unwrap(), y.unwrap(), z.unwrap());
    let (_, live) = app
        .get(&format!("/api/v1/analytics/sessions/{session}/live"), &op)
        .await;
    assert_eq!(live["entries"], 1, "{live}");
}

crate::on_both_backends!(
    two_readers_of_the_same_rows_store_them_once,
    a_hand_built_session_has_every_figure_of_its_review_right,
    the_room_counts_entries_views_and_watch_time_itself,
    bad_event_batches_are_refused_or_trimmed_and_the_rest_kept
);
