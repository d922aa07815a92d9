//! Importing other platforms' exports over HTTP: preview, all-or-nothing import, the same file
//! twice, overlapping exports, saved mappings, and the refusals.

use crate::common::{assert_error, TestApp};
use reqwest::StatusCode;
use sellstream_accounts::Role;
use serde_json::{json, Value};

const FILE: &str = "抖音号,直播标题,开播时间,直播时长,累计观看人数,最高在线人数,人均停留时长,直播间成交金额(元),成交订单数,成交人数
shiguang,秋冬新品首发,2026/11/20 20:00,2小时5分,1.2万,1860,1分35秒,\"￥128,500.50\",1021,962
shiguang,宠粉秒杀夜,2026-11-22 19:30:00,01:58:00,9876,1203,72,9.8万,820,800
";

async fn upload(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM platform_sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

async fn exports_are_previewed_imported_once_and_refused_when_bad(app: TestApp) {
    let an = app.staff("ana", &[Role::Analyst]).await;
    let gbk = encoding_rs::GBK.encode(FILE).0.into_owned();

    let (s, p) = upload(
        &app,
        &an,
        "/api/v1/imports/preview?platform=douyin&file_name=douyin-11.csv",
        gbk.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (
            &p["encoding"],
            &p["valid"],
            &p["rejected"],
            &p["mapping"]["uv"]
        ),
        (
            &json!("gb18030"),
            &json!(2),
            &json!([]),
            &json!("累计观看人数")
        )
    );
    assert_eq!(p["sample"][0]["gmv_fen"], 12_850_050);
    assert_eq!(count(&app).await, 0, "a preview writes nothing");

    let path = "/api/v1/imports?platform=douyin&file_name=douyin-11.csv";
    let (s, r) = upload(&app, &an, path, gbk.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (&r["added"], &r["updated"], &r["already"]),
        (&json!(2), &json!(0), &json!(false))
    );
    let (s, again) = upload(&app, &an, path, gbk.clone()).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!((&again["id"], &again["already"]), (&r["id"], &json!(true)));
    assert_eq!(count(&app).await, 2, "the same file twice changes nothing");

    // A later export with one of the same sessions updates it.
    let later = FILE.replace("9876", "10234")
        + "shiguang,周末专场,2026-11-23 20:00,1小时,5000,800,60,5万,400,390\n";
    let (s, r2) = upload(&app, &an, path, later.into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{r2}");
    assert_eq!((&r2["added"], &r2["updated"]), (&json!(1), &json!(2)));
    let uv: i64 = sqlx::query_scalar("SELECT uv FROM platform_sessions WHERE title = '宠粉秒杀夜'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(uv, 10_234);

    // A bad row refuses the whole file; skip_rejected imports the rest and keeps the report.
    let bad = "抖音号,开播时间,累计观看人数,直播间成交金额\nshiguang,2026-11-24 20:00,abc,100\nshiguang,2026-11-25 20:00,50,100\n";
    let e = upload(&app, &an, path, bad.as_bytes().to_vec()).await;
    assert_error(&e, 422, "validation_failed");
    assert!(
        e.1["error"]["message"].as_str().unwrap().contains("row 2"),
        "{}",
        e.1
    );
    assert_eq!(count(&app).await, 3, "nothing half-imported");
    let (s, r3) = upload(
        &app,
        &an,
        "/api/v1/imports?platform=douyin&file_name=bad.csv&skip_rejected=true",
        bad.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r3}");
    assert_eq!(
        (&r3["imported"], &r3["rejected"], &r3["report"][0]["row"]),
        (&json!(1), &json!(1), &json!(2))
    );

    // A renamed column is mapped by saving the platform's mapping.
    let renamed = "快手号,开播时间,观看人数,成交单量\nk1,2026-11-20 20:00,100,3\n";
    let (_, p) = upload(
        &app,
        &an,
        "/api/v1/imports/preview?platform=kuaishou",
        renamed.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(p["unmapped"], json!(["成交单量"]));
    let (s, m) = app
        .put(
            "/api/v1/imports/mappings/kuaishou/sessions",
            &an,
            json!({"columns": {"orders": ["成交单量", "订单数"]}}),
        )
        .await;
    assert_eq!((s, &m["saved"]), (StatusCode::OK, &json!(true)), "{m}");
    let (_, p) = upload(
        &app,
        &an,
        "/api/v1/imports/preview?platform=kuaishou",
        renamed.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (&p["unmapped"], &p["sample"][0]["orders"]),
        (&json!([]), &json!(3))
    );

    // Refusals: platform, field, size, an empty body, role.
    assert_error(
        &upload(
            &app,
            &an,
            "/api/v1/imports/preview?platform=weibo",
            gbk.clone(),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.put(
            "/api/v1/imports/mappings/douyin/sessions",
            &an,
            json!({"columns": {"charm": ["魅力"]}}),
        )
        .await,
        422,
        "validation_failed",
    );
    // Too large: refused on its declared length, before a byte of the body is read.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /api/v1/imports/preview?platform=douyin HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {an}\r\nContent-Type: application/octet-stream\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            21 * 1024 * 1024
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut answer = String::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tcp.read_to_string(&mut answer),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer.contains("payload_too_large") && answer.contains("20 MB"),
            "{answer}"
        );
    }
    assert_error(
        &upload(
            &app,
            &an,
            "/api/v1/imports/preview?platform=douyin",
            Vec::new(),
        )
        .await,
        422,
        "validation_failed",
    );
    let host = app.staff("hosty", &[Role::Host]).await;
    assert_error(&upload(&app, &host, path, gbk).await, 403, "forbidden");
    let (_, list) = app.get("/api/v1/imports", &an).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
}

async fn imported_and_own_sessions_side_by_side(app: TestApp) {
    let an = app.staff("ana", &[Role::Analyst]).await;
    let op = app.staff("oper", &[Role::Operator]).await;
    let (s, _) = upload(
        &app,
        &an,
        "/api/v1/imports?platform=douyin&file_name=d.csv",
        FILE.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // One own-room session measured by sellstream: 500 viewers, 20 buyers, ¥3,000.
    let (_, sess) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "自有直播间", "theme": "custom",
                   "scheduled_start": "2026-11-21T12:00:00Z", "scheduled_end": "2026-11-21T14:00:00Z"}),
        )
        .await;
    let id = sess["id"].as_i64().unwrap();
    for to in ["live", "ended"] {
        app.post(
            &format!("/api/v1/sessions/{id}/transition"),
            &op,
            json!({"to": to}),
        )
        .await;
    }
    sqlx::query("DELETE FROM analytics_sessions WHERE session_id = $1")
        .bind(id)
        .execute(app.store.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO analytics_sessions (session_id, replay, uv, paid_uv, paid_orders, gmv_fen, watch_ms, pcu)
         VALUES ($1, 0, 500, 20, 22, 300000, 30000000, 120)",
    )
    .bind(id)
    .execute(app.store.pool())
    .await
    .unwrap();

    let (s, c) = app
        .get("/api/v1/analytics/cross-platform?from=1700000000000", &an)
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let row = |src: &str, p: &str| {
        c["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["source"] == src && r["platform"] == p)
            .cloned()
            .unwrap_or_else(|| panic!("no {src}/{p} in {c}"))
    };
    let d = row("import", "douyin");
    assert_eq!(
        (
            &d["sessions"],
            &d["uv"],
            &d["buyers"],
            &d["gmv_fen"],
            &d["orders"]
        ),
        (
            &json!(2),
            &json!(21_876),
            &json!(1_762),
            &json!(22_650_050),
            &json!(1_841)
        )
    );
    // Watch time weighted by viewers: (95 s × 12000 + 72 s × 9876) ÷ 21876.
    assert_eq!(
        d["avg_watch_ms"],
        json!(((95_000i64 * 12_000 + 72_000 * 9_876) as f64 / 21_876.0).round() as i64)
    );
    let own = row("own", "own");
    assert_eq!(
        (
            &own["sessions"],
            &own["uv"],
            &own["avg_watch_ms"],
            &own["aov_fen"],
            &own["pcu_avg"]
        ),
        (
            &json!(1),
            &json!(500),
            &json!(60_000),
            &json!(15_000),
            &json!(120.0)
        )
    );
    assert!((own["conversion"].as_f64().unwrap() - 0.04).abs() < 1e-12);
    assert!(c["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["platform"] == "douyin" && x["metric"] == "uv"));
    let (_, by_room) = app
        .get(
            "/api/v1/analytics/cross-platform?from=1700000000000&by=room",
            &an,
        )
        .await;
    assert!(by_room["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["key"] == "shiguang"));
    assert_error(
        &app.get("/api/v1/analytics/cross-platform?by=weather", &an)
            .await,
        422,
        "validation_failed",
    );
}

async fn competitors_are_watched_entered_imported_and_compared(app: TestApp) {
    let an = app.staff("ana", &[Role::Analyst]).await;
    let host = app.staff("hosty", &[Role::Host]).await;
    let rival = json!({"name": "竞品A", "brand": "某美妆", "platform": "douyin", "room": "rival_beauty",
                       "category": "美妆"});
    let (s, c) = app.post("/api/v1/competitors", &an, rival.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_error(
        &app.post("/api/v1/competitors", &an, rival.clone()).await,
        409,
        "conflict",
    );
    let mut bad = rival.clone();
    bad["platform"] = json!("myspace");
    assert_error(
        &app.post("/api/v1/competitors", &an, bad).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/competitors", &host, rival.clone()).await,
        403,
        "forbidden",
    );
    let (s, _) = app.get("/api/v1/competitors", &host).await;
    assert_eq!(s, StatusCode::OK, "hosts read the watch list");

    let sessions = format!("/api/v1/competitors/{id}/sessions");
    let (s, obs) = app
        .post(
            &sessions,
            &an,
            json!({"started_at": "2026-10-15T12:00:00Z", "title": "双11预热", "uv": 8000, "pcu": 900,
                   "gmv_fen": 5_000_000, "orders": 400}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{obs}");
    assert_eq!(
        (
            &obs["items"][0]["avg_price_fen"],
            &obs["items"][0]["source"]
        ),
        (&json!(12_500), &json!("entered"))
    );
    for body in [
        json!({"started_at": "2026-10-16T12:00:00Z"}),
        json!({"started_at": "2030-01-01T12:00:00Z", "uv": 1}),
        json!({"started_at": "2026-10-16T12:00:00Z", "uv": -5}),
    ] {
        assert_error(
            &app.post(&sessions, &an, body).await,
            422,
            "validation_failed",
        );
    }

    // Their export: two of their sessions (one seen before) and a row of another room.
    let file = "抖音号,直播标题,开播时间,累计观看人数,最高在线人数,直播间成交金额\n\
                rival_beauty,双11预热,2026-10-15 20:00,8200,950,5.1万\n\
                rival_beauty,品牌日,2026-10-20 20:00,6000,700,3万\n\
                someone_else,别家,2026-10-20 20:00,1,1,1\n";
    let (s, imp) = upload(
        &app,
        &an,
        &format!("/api/v1/competitors/{id}/sessions/import?file_name=rival.csv"),
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{imp}");
    assert_eq!((&imp["added"], &imp["updated"]), (&json!(1), &json!(1)));
    let (_, detail) = app.get(&format!("/api/v1/competitors/{id}"), &an).await;
    assert_eq!(detail["observations"], 2);
    assert_eq!(
        detail["sessions"][1]["uv"], 8200,
        "the export replaced the figures entered"
    );

    let (s, w) = app
        .get(
            "/api/v1/competitors/watch?from=1788192000000&by=month",
            &host,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let oct = w["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == "2026-10")
        .cloned()
        .unwrap_or_else(|| panic!("no October in {w}"));
    let theirs = &oct["competitors"][id.to_string()];
    assert_eq!(
        (&theirs["sessions"], &theirs["uv_avg"], &theirs["gmv_fen"]),
        (&json!(2), &json!(7100.0), &json!(8_100_000))
    );
    assert_eq!(oct["ours"]["sessions"], 0);
    assert_error(
        &app.get("/api/v1/competitors/watch?by=year", &an).await,
        422,
        "validation_failed",
    );

    let (s, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/competitors/{id}"),
            Some(&an),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM competitor_observations")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
}

async fn product_exports_are_imported_and_compared_by_product(app: TestApp) {
    let an = app.staff("ana", &[Role::Analyst]).await;
    let file = "抖音号,开播时间,商品名称,商品ID,商品曝光次数,商品点击次数,成交件数,成交订单数,成交人数,成交金额,讲解时长\n\
                shiguang,2026-11-20 20:00,丝绒哑光口红,3579,1.2万,3400,520,500,480,\"¥67,080.00\",8分30秒\n\
                shiguang,2026-11-20 20:00,保湿精华,3580,8000,1200,90,88,85,2.3万,5分\n\
                shiguang,2026-11-20 20:00,丝绒哑光口红,3579,1,1,1,1,1,1,1秒\n\
                shiguang,2026-11-21 20:00,,3581,1,1,1,1,1,1,1秒\n";
    let (s, p) = upload(
        &app,
        &an,
        "/api/v1/imports/preview?platform=douyin&kind=products",
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!((&p["valid"], &p["kind"]), (&json!(2), &json!("products")));
    let why: Vec<String> = p["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["errors"][0].as_str().unwrap().to_owned())
        .collect();
    assert!(
        why[0].contains("the same room, start time and product as row 2"),
        "{why:?}"
    );
    assert!(why[1].contains("商品名称: missing"), "{why:?}");
    assert_eq!(
        (
            &p["sample"][0]["exposures"],
            &p["sample"][0]["gmv_fen"],
            &p["sample"][0]["explain_ms"]
        ),
        (&json!(12_000), &json!(6_708_000), &json!(510_000))
    );
    let (s, r) = upload(
        &app,
        &an,
        "/api/v1/imports?platform=douyin&kind=products&skip_rejected=true",
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (s, &r["added"], &r["kind"]),
        (StatusCode::CREATED, &json!(2), &json!("products")),
        "{r}"
    );
    let (s, c) = app
        .get(
            "/api/v1/analytics/cross-platform?from=1700000000000&by=product",
            &an,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let lip = c["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "丝绒哑光口红")
        .cloned()
        .unwrap_or_else(|| panic!("{c}"));
    assert_eq!(
        (
            &lip["source"],
            &lip["platform"],
            &lip["units"],
            &lip["gmv_fen"],
            &lip["aov_fen"]
        ),
        (
            &json!("import"),
            &json!("douyin"),
            &json!(520),
            &json!(6_708_000),
            &json!(13_975)
        )
    );
    // A product export without a product column is refused with the columns it has.
    let e = upload(
        &app,
        &an,
        "/api/v1/imports/preview?platform=douyin&kind=products",
        "抖音号,开播时间,成交件数,成交金额\nx,2026-11-20 20:00,1,1\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    assert_error(&e, 422, "validation_failed");
    assert!(
        e.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no product column"),
        "{}",
        e.1
    );
}

crate::on_both_backends!(
    exports_are_previewed_imported_once_and_refused_when_bad,
    imported_and_own_sessions_side_by_side,
    competitors_are_watched_entered_imported_and_compared,
    product_exports_are_imported_and_compared_by_product,
);
