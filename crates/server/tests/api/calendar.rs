//! The content calendar: sessions across channels, their conflicts, moving one, the content
//! sheet, and the exports.

use crate::common::{assert_error, TestApp};
use reqwest::StatusCode;
use sellstream_accounts::Role;
use sellstream_core::Timestamp;
use serde_json::{json, Value};

/// 20:00 Beijing time, `days` from now.
fn evening(days: i64) -> Timestamp {
    let now = Timestamp::now().millis();
    let day = 86_400_000;
    Timestamp::from_millis((now / day + days) * day + 12 * 3_600_000)
}

async fn id_of(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/auth/me", token).await.1["id"]
        .as_i64()
        .unwrap()
}

async fn plan(
    app: &TestApp,
    op: &str,
    title: &str,
    channel: &str,
    host: i64,
    start: Timestamp,
    minutes: i64,
) -> i64 {
    let (s, b) = app
        .post(
            "/api/v1/sessions",
            op,
            json!({"title": title, "theme": "festival_sale", "format": "interactive", "festival": "双11",
                   "promotion_policy": "满 299 减 50", "channel": channel, "host_id": host,
                   "scheduled_start": start.to_string(),
                   "scheduled_end": start.plus_seconds(minutes * 60).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

fn kinds(entry: &Value) -> Vec<(String, Option<i64>)> {
    entry["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["session_id"].as_i64().or(c["product_id"].as_i64()),
            )
        })
        .collect()
}

async fn the_calendar_flags_double_booked_hosts_busy_channels_and_short_stock(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let mei = app.staff("mei", &[Role::Host]).await;
    let jie = app.staff("jie", &[Role::Host]).await;
    let (mei_id, jie_id) = (id_of(&app, &mei).await, id_of(&app, &jie).await);
    let (s, _) = app
        .post(
            "/api/v1/channels",
            &op,
            json!({"code": "dy-main", "platform": "douyin", "name": "抖音主号"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let t = evening(2);
    // A: Mei on the own room 20:00–22:00. B: Mei again on Douyin from 21:00. C: Jie on the own
    // room from 21:30. D: cancelled, overlapping everything, left out.
    let a = plan(&app, &op, "双11 美妆专场", "own", mei_id, t, 120).await;
    let b = plan(
        &app,
        &op,
        "抖音同步场",
        "dy-main",
        mei_id,
        t.plus_seconds(3600),
        120,
    )
    .await;
    let c = plan(&app, &op, "夜场", "own", jie_id, t.plus_seconds(5400), 60).await;
    let d = plan(&app, &op, "取消的场", "own", jie_id, t, 240).await;
    app.post(
        &format!("/api/v1/sessions/{d}/transition"),
        &op,
        json!({"to": "cancelled"}),
    )
    .await;
    let (_, coat) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "羊毛大衣", "skus": [{"code": "C-1", "price_fen": 89900, "stock": 20}]}),
        )
        .await;
    let coat = coat["id"].as_i64().unwrap();
    for (s, units) in [(a, 15), (c, 10)] {
        app.post(
            &format!("/api/v1/sessions/{s}/bag"),
            &op,
            json!({"product_id": coat}),
        )
        .await;
        let (st, e) = app
            .put(
                &format!("/api/v1/sessions/{s}/bag/{coat}/units"),
                &op,
                json!({"planned_units": units}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{e}");
    }

    let range = format!(
        "from={}&to={}",
        t.plus_seconds(-86_400),
        t.plus_seconds(86_400)
    );
    let (s, cal) = app.get(&format!("/api/v1/calendar?{range}"), &op).await;
    assert_eq!(s, StatusCode::OK, "{cal}");
    let entries = cal["entries"].as_array().unwrap();
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(
        ids,
        vec![a, b, c],
        "in time order, the cancelled one left out"
    );
    assert_eq!(
        kinds(&entries[0]),
        vec![
            ("host".into(), Some(b)),
            ("channel".into(), Some(c)),
            ("stock".into(), Some(coat))
        ]
    );
    assert_eq!(kinds(&entries[1]), vec![("host".into(), Some(a))]);
    assert_eq!(
        kinds(&entries[2]),
        vec![("channel".into(), Some(a)), ("stock".into(), Some(coat))]
    );
    assert_eq!(cal["conflicted"], 3);
    let stock = &entries[0]["conflicts"][2]["message"];
    assert_eq!(
        stock, "羊毛大衣: 25 units planned over 2 sessions ahead, 20 in stock",
        "{stock}"
    );
    let e = &entries[0];
    assert_eq!(
        (
            &e["festival"],
            &e["format"],
            &e["promotion_policy"],
            &e["host_name"]
        ),
        (
            &json!("双11"),
            &json!("interactive"),
            &json!("满 299 减 50"),
            &json!("mei nick")
        )
    );
    assert_eq!(e["products"][0]["planned_units"], 15);
    assert_eq!(entries[1]["channel_name"], "抖音主号");

    // Filters, and a host sees their own sessions only.
    let (_, own) = app
        .get(&format!("/api/v1/calendar?{range}&channel=own"), &op)
        .await;
    assert_eq!(own["entries"].as_array().unwrap().len(), 2);
    let (_, mine) = app.get(&format!("/api/v1/calendar?{range}"), &jie).await;
    let mine: Vec<i64> = mine["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(mine, vec![c]);
    let (_, with) = app
        .get(
            &format!("/api/v1/calendar?{range}&include_cancelled=true"),
            &op,
        )
        .await;
    assert_eq!(with["entries"].as_array().unwrap().len(), 4);

    // Dragging C after A ends clears the channel clash; its length is kept.
    let (s, moved) = app
        .post(
            &format!("/api/v1/sessions/{c}/reschedule"),
            &op,
            json!({"scheduled_start": t.plus_seconds(7200).to_string()}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["conflicts"], json!([]));
    assert_eq!(
        moved["session"]["scheduled_end"],
        json!(t.plus_seconds(10_800).to_string())
    );
    // Onto A's time: refused, naming the clash, unless forced.
    let e = app
        .post(
            &format!("/api/v1/sessions/{c}/reschedule"),
            &op,
            json!({"scheduled_start": t.to_string()}),
        )
        .await;
    assert_error(&e, 409, "conflict");
    assert!(
        e.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("双11 美妆专场"),
        "{}",
        e.1
    );
    let (s, forced) = app
        .post(
            &format!("/api/v1/sessions/{c}/reschedule"),
            &op,
            json!({"scheduled_start": t.to_string(), "force": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{forced}");
    assert_eq!(kinds(&forced)[0].0, "channel");

    // Bad moves and bad ranges.
    for (body, status, code) in [
        (
            json!({"scheduled_start": t.to_string(), "scheduled_end": t.plus_seconds(-60).to_string(), "force": true}),
            422,
            "validation_failed",
        ),
        (
            json!({"scheduled_start": Timestamp::now().plus_seconds(-86_400).to_string()}),
            422,
            "validation_failed",
        ),
        (
            json!({"scheduled_start": "next friday"}),
            422,
            "validation_failed",
        ),
    ] {
        assert_error(
            &app.post(&format!("/api/v1/sessions/{c}/reschedule"), &op, body)
                .await,
            status,
            code,
        );
    }
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{c}/reschedule"),
            &mei,
            json!({"scheduled_start": t.to_string()}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{d}/reschedule"),
            &op,
            json!({"scheduled_start": t.plus_seconds(86_400).to_string()}),
        )
        .await,
        409,
        "conflict",
    );
    let far = format!("from={}&to={}", t, t.plus_seconds(101 * 86_400));
    assert_error(
        &app.get(&format!("/api/v1/calendar?{far}"), &op).await,
        422,
        "validation_failed",
    );
    let back = format!("from={}&to={}", t, t.plus_seconds(-60));
    assert_error(
        &app.get(&format!("/api/v1/calendar?{back}"), &op).await,
        422,
        "validation_failed",
    );
    for units in [json!(0), json!(-3), json!("many")] {
        assert_error(
            &app.put(
                &format!("/api/v1/sessions/{a}/bag/{coat}/units"),
                &op,
                json!({"planned_units": units}),
            )
            .await,
            422,
            "validation_failed",
        );
    }
    assert_error(
        &app.put(
            &format!("/api/v1/sessions/{b}/bag/{coat}/units"),
            &op,
            json!({"planned_units": 3}),
        )
        .await,
        404,
        "not_found",
    );
    // Plan fields are checked like the rest of a session.
    for (field, value) in [
        (
            "festival",
            json!("一个非常非常非常非常非常长的节日名字啊啊啊"),
        ),
        ("format", json!("karaoke")),
        ("promotion_policy", json!("减".repeat(501))),
    ] {
        let mut body = json!({"title": "x", "theme": "custom", "host_id": mei_id,
            "scheduled_start": t.to_string(), "scheduled_end": t.plus_seconds(60).to_string()});
        body[field] = value;
        assert_error(
            &app.post("/api/v1/sessions", &op, body).await,
            422,
            "validation_failed",
        );
    }
}

async fn the_content_sheet_and_the_exports(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let mei = app.staff("mei", &[Role::Host]).await;
    let mei_id = id_of(&app, &mei).await;
    let t = evening(3);
    let a = plan(&app, &op, "双11, 美妆; 专场", "own", mei_id, t, 90).await;
    let (_, lip) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "口红", "skus": [{"code": "L-1", "price_fen": 9900, "stock": 50}]}),
        )
        .await;
    let lip = lip["id"].as_i64().unwrap();
    let (s, _) = app
        .put(
            &format!("/api/v1/sessions/{a}/script"),
            &op,
            json!({"segments": [
                {"kind": "opening", "title": "开场", "minutes": 10, "people": ["助播阿杰"]},
                {"kind": "product_intro", "title": "口红试色", "minutes": 40, "products": [lip], "promotion": "第二支半价"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, sheet) = app
        .get(&format!("/api/v1/sessions/{a}/content-sheet"), &op)
        .await;
    assert_eq!(s, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["people"], json!(["mei nick", "助播阿杰"]));
    assert_eq!(sheet["unplanned_minutes"], 40);
    assert_eq!(sheet["session"]["script_segments"], 2);
    let seg = &sheet["segments"][1];
    assert_eq!(seg["start"], json!(t.plus_seconds(600).to_string()));
    assert_eq!(seg["end"], json!(t.plus_seconds(3000).to_string()));
    assert_eq!(seg["product_titles"], json!(["口红"]));
    assert_eq!(seg["promotion"], "第二支半价");
    assert_error(
        &app.get("/api/v1/sessions/424242/content-sheet", &op).await,
        404,
        "not_found",
    );

    let range = format!("from={}&to={}", t.plus_seconds(-3600), t.plus_seconds(3600));
    let res = app
        .client
        .get(format!("{}/api/v1/calendar.ics?{range}", app.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let body = res.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 1);
    assert!(body.contains(&format!("UID:session-{a}@sellstream")));
    let unfolded = body.replace("\r\n ", "");
    assert!(
        unfolded.contains("SUMMARY:双11\\, 美妆\\; 专场\r\n"),
        "text is escaped: {unfolded}"
    );
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "a line longer than 75 octets: {line}");
    }
    let res = app
        .client
        .get(format!("{}/api/v1/calendar.xlsx?{range}", app.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(&res.bytes().await.unwrap()[..2], b"PK");
}

crate::on_both_backends!(
    the_calendar_flags_double_booked_hosts_busy_channels_and_short_stock,
    the_content_sheet_and_the_exports,
);
