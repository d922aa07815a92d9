use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};

/// A week from now at the whole hour, in Beijing time (+08:00) and in UTC.
fn next_week() -> (String, String, String) {
    use time::format_description::well_known::Rfc3339;
    let now = sellstream_core::Timestamp::now().millis();
    let start = sellstream_core::Timestamp::from_millis(now - now % 3_600_000 + 7 * 86_400_000);
    let beijing = |t: sellstream_core::Timestamp| {
        t.to_datetime()
            .to_offset(time::macros::offset!(+8))
            .format(&Rfc3339)
            .unwrap()
    };
    (
        beijing(start),
        beijing(start.plus_seconds(3 * 3600)),
        start.to_string(),
    )
}

fn session(host: Option<i64>) -> Value {
    let (start, end, _) = next_week();
    json!({
        "title": "双11 美妆专场",
        "theme": "festival_sale",
        "channel": "own",
        "host_id": host,
        "scheduled_start": start,
        "scheduled_end": end,
        "cover_url": "/demo/cover-1.svg"
    })
}

async fn product(app: &TestApp, token: &str, code: &str, on_shelf: bool) -> i64 {
    let (s, p) = app
        .post(
            "/api/v1/products",
            token,
            json!({"title": format!("商品 {code}"), "on_shelf": on_shelf,
            "skus": [{"code": code, "price_fen": 9900, "stock": 10}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn host_id(app: &TestApp, token: &str) -> i64 {
    let (_, hosts) = app.get("/api/v1/hosts", token).await;
    hosts["items"][0]["id"].as_i64().unwrap()
}

async fn a_session_is_planned_run_and_ended(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let host = app.staff("mei", &[Role::Host]).await;
    let hid = host_id(&app, &op).await;
    let (s, sess) = app.post("/api/v1/sessions", &op, session(Some(hid))).await;
    assert_eq!(s, StatusCode::CREATED, "{sess}");
    assert_eq!(sess["state"], "scheduled");
    assert_eq!(sess["host_name"], "mei nick");
    assert_eq!(
        sess["scheduled_start"],
        next_week().2,
        "stored and shown in UTC"
    );
    let id = sess["id"].as_i64().unwrap();
    let path = format!("/api/v1/sessions/{id}");

    assert!(sess["target_gmv_fen"].is_null(), "no targets unless set");
    let mut edit = session(Some(hid));
    edit["title"] = json!("双11 美妆专场（加场）");
    edit["target_gmv_fen"] = json!(5_000_000);
    edit["target_orders"] = json!(300);
    let (s, edited) = app.put(&path, &op, edit).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(edited["title"], "双11 美妆专场（加场）");
    assert_eq!(
        (
            edited["target_gmv_fen"].as_i64(),
            edited["target_viewers"].as_i64(),
            edited["target_orders"].as_i64()
        ),
        (Some(5_000_000), None, Some(300))
    );
    assert_eq!(app.get(&path, &op).await.1["target_orders"], 300);
    // Targets are the team's: viewers never see them.
    let (_, public) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/sessions/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(public["title"], "双11 美妆专场（加场）", "{public}");
    assert!(public["target_gmv_fen"].is_null(), "{public}");
    let (_, listed) = app
        .call(
            Method::GET,
            "/api/v1/public/sessions?state=scheduled",
            None,
            None,
        )
        .await;
    assert!(listed["items"][0]["target_gmv_fen"].is_null(), "{listed}");

    let (_, listed) = app.get("/api/v1/sessions?state=scheduled", &op).await;
    assert_eq!(listed["total"], 1);
    let (_, none) = app.get("/api/v1/sessions?state=live", &op).await;
    assert_eq!(none["total"], 0);

    // The host takes it live and ends it; going back is refused with the reason.
    let (s, live) = app
        .post(&format!("{path}/transition"), &host, json!({"to": "live"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{live}");
    assert_eq!(live["state"], "live");
    assert!(live["started_at"].is_string());
    let again = app
        .post(&format!("{path}/transition"), &host, json!({"to": "live"}))
        .await;
    assert_error(&again, 409, "illegal_transition");
    assert!(again.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("from live to live"));
    assert_error(
        &app.post(
            &format!("{path}/transition"),
            &host,
            json!({"to": "cancelled"}),
        )
        .await,
        403,
        "forbidden",
    );
    let (_, ended) = app
        .post(&format!("{path}/transition"), &host, json!({"to": "ended"}))
        .await;
    assert_eq!(ended["state"], "ended");
    assert!(ended["ended_at"].is_string());
    assert_error(
        &app.post(&format!("{path}/transition"), &op, json!({"to": "live"}))
            .await,
        409,
        "illegal_transition",
    );
    assert_error(
        &app.put(&path, &op, session(Some(hid))).await,
        409,
        "conflict",
    );
    assert_error(
        &app.post(&format!("{path}/transition"), &op, json!({"to": "paused"}))
            .await,
        422,
        "validation_failed",
    );
}

async fn scheduled_sessions_can_be_cancelled_only_before_going_live(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (_, sess) = app.post("/api/v1/sessions", &op, session(None)).await;
    let id = sess["id"].as_i64().unwrap();
    let (_, c) = app
        .post(
            &format!("/api/v1/sessions/{id}/transition"),
            &op,
            json!({"to": "cancelled"}),
        )
        .await;
    assert_eq!(c["state"], "cancelled");
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{id}/transition"),
            &op,
            json!({"to": "live"}),
        )
        .await,
        409,
        "illegal_transition",
    );
    assert_error(
        &app.call(
            Method::GET,
            &format!("/api/v1/public/sessions/{id}"),
            None,
            None,
        )
        .await,
        404,
        "not_found",
    );
}

async fn bad_session_input_is_refused(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let aid = app.get("/api/v1/auth/me", &analyst).await.1["id"]
        .as_i64()
        .unwrap();
    let mut reversed = session(None);
    reversed["scheduled_end"] = reversed["scheduled_start"].clone();
    let e = app.post("/api/v1/sessions", &op, reversed).await;
    assert_error(&e, 422, "validation_failed");
    assert!(e.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("scheduled_end"));
    let mut far = session(None);
    far["scheduled_start"] = json!("2099-01-01T00:00:00Z");
    far["scheduled_end"] = json!("2099-01-01T02:00:00Z");
    assert_error(
        &app.post("/api/v1/sessions", &op, far).await,
        422,
        "validation_failed",
    );
    let mut bad_time = session(None);
    bad_time["scheduled_start"] = json!("tomorrow evening");
    assert_error(
        &app.post("/api/v1/sessions", &op, bad_time).await,
        422,
        "validation_failed",
    );
    let mut bad_theme = session(None);
    bad_theme["theme"] = json!("party");
    assert_error(
        &app.post("/api/v1/sessions", &op, bad_theme).await,
        422,
        "validation_failed",
    );
    let mut bad_channel = session(None);
    bad_channel["channel"] = json!("myspace");
    assert_error(
        &app.post("/api/v1/sessions", &op, bad_channel).await,
        422,
        "validation_failed",
    );
    for (field, value) in [
        ("target_gmv_fen", json!(0)),
        ("target_viewers", json!(-5)),
        ("target_orders", json!(1.5)),
        ("target_orders", json!("many")),
    ] {
        let mut bad = session(None);
        bad[field] = value;
        let e = app.post("/api/v1/sessions", &op, bad).await;
        assert_error(&e, 422, "validation_failed");
    }
    assert_error(
        &app.post("/api/v1/sessions", &op, session(Some(aid))).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/sessions", &analyst, session(None)).await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get("/api/v1/sessions/424242", &op).await,
        404,
        "not_found",
    );
    assert_eq!(app.get("/api/v1/sessions", &op).await.1["total"], 0);
}

async fn the_bag_is_numbered_reordered_and_shown_to_viewers(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (_, sess) = app.post("/api/v1/sessions", &op, session(None)).await;
    let id = sess["id"].as_i64().unwrap();
    let bag = format!("/api/v1/sessions/{id}/bag");
    let a = product(&app, &op, "A", true).await;
    let b = product(&app, &op, "B", true).await;
    let c = product(&app, &op, "C", false).await;
    for p in [a, b, c] {
        let (s, _) = app.post(&bag, &op, json!({"product_id": p})).await;
        assert_eq!(s, StatusCode::OK);
    }
    assert_error(
        &app.post(&bag, &op, json!({"product_id": a})).await,
        409,
        "already_in_bag",
    );
    assert_error(
        &app.post(&bag, &op, json!({"product_id": 99999})).await,
        404,
        "not_found",
    );
    let order = |v: &Value| -> Vec<(i64, i64)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["position"].as_i64().unwrap(),
                    i["product"]["id"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let (_, now) = app.get(&bag, &op).await;
    assert_eq!(order(&now), vec![(1, a), (2, b), (3, c)]);

    let (s, re) = app.put(&bag, &op, json!({"product_ids": [c, a, b]})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(order(&re), vec![(1, c), (2, a), (3, b)]);
    assert_error(
        &app.put(&bag, &op, json!({"product_ids": [c, a]})).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.put(&bag, &op, json!({"product_ids": [c, a, a]})).await,
        422,
        "validation_failed",
    );

    let (_, after) = app
        .call(Method::DELETE, &format!("{bag}/{a}"), Some(&op), None)
        .await;
    assert_eq!(order(&after), vec![(1, c), (2, b)], "numbers close up");
    assert_error(
        &app.call(
            Method::DELETE,
            &format!("/api/v1/products/{b}"),
            Some(&op),
            None,
        )
        .await,
        409,
        "product_in_use",
    );
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{id}"), &op).await.1["bag_count"],
        2
    );

    // Viewers see scheduled and live sessions, and only on-shelf products.
    let (s, public) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/sessions/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(public["title"], "双11 美妆专场");
    let shown: Vec<i64> = public["bag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, vec![b]);
    let (_, upcoming) = app
        .call(
            Method::GET,
            "/api/v1/public/sessions?state=scheduled",
            None,
            None,
        )
        .await;
    assert_eq!(upcoming["total"], 1);
    // Ended sessions are listed too (their replays); cancelled ones are not.
    let (s, _) = app
        .call(
            Method::GET,
            "/api/v1/public/sessions?state=ended",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_error(
        &app.call(
            Method::GET,
            "/api/v1/public/sessions?state=cancelled",
            None,
            None,
        )
        .await,
        422,
        "validation_failed",
    );

    // An ended session's bag is frozen.
    let (_, _) = app
        .post(
            &format!("/api/v1/sessions/{id}/transition"),
            &op,
            json!({"to": "live"}),
        )
        .await;
    let (_, live) = app
        .call(Method::GET, "/api/v1/public/sessions", None, None)
        .await;
    assert_eq!(live["items"][0]["id"], id);
    let (_, _) = app
        .post(
            &format!("/api/v1/sessions/{id}/transition"),
            &op,
            json!({"to": "ended"}),
        )
        .await;
    assert_error(
        &app.post(&bag, &op, json!({"product_id": a})).await,
        409,
        "conflict",
    );
}

async fn the_overview_counts_what_is_on(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    product(&app, &op, "X", true).await;
    product(&app, &op, "Y", false).await;
    let soon = json!({"title": "今晚", "theme": "custom", "scheduled_start": "2020-01-01T00:00:00Z", "scheduled_end": "2020-01-01T02:00:00Z"});
    let (s, _) = app.post("/api/v1/sessions", &op, soon).await;
    assert_eq!(s, StatusCode::CREATED);
    app.post("/api/v1/sessions", &op, session(None)).await;
    let (_, o) = app.get("/api/v1/overview", &op).await;
    assert_eq!(o["products_on_shelf"], 1);
    assert_eq!(o["sessions_scheduled"], 2);
    assert_eq!(o["sessions_live"], 0);
}

async fn live_prices_are_set_per_sku_and_shown_in_the_bag(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let host = app.staff("zhubo", &[Role::Host]).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let (_, sess) = app.post("/api/v1/sessions", &op, session(None)).await;
    let id = sess["id"].as_i64().unwrap();
    let (_, p) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "口红", "skus": [
                {"code": "LIP-RED", "price_fen": 12900, "stock": 10},
                {"code": "LIP-NUDE", "price_fen": 13900, "stock": 10}]}),
        )
        .await;
    let pid = p["id"].as_i64().unwrap();
    let (red, nude) = (
        p["skus"][0]["id"].as_i64().unwrap(),
        p["skus"][1]["id"].as_i64().unwrap(),
    );
    let other = product(&app, &op, "OTHER", true).await;
    app.post(
        &format!("/api/v1/sessions/{id}/bag"),
        &op,
        json!({"product_id": pid}),
    )
    .await;
    let prices = format!("/api/v1/sessions/{id}/bag/{pid}/prices");

    // The host sets a live price for one colour; the bag shows it, the other stays at list.
    let (s, bag) = app
        .put(
            &prices,
            &host,
            json!({"prices": [{"sku_id": red, "price_fen": 9900}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{bag}");
    assert_eq!(
        bag["items"][0]["live_prices"],
        json!([{"sku_id": red, "price_fen": 9900}])
    );
    let (_, public) = app
        .call(
            Method::GET,
            &format!("/api/v1/public/sessions/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        public["bag"][0]["live_prices"][0]["price_fen"], 9900,
        "{public}"
    );

    // Setting them again replaces them; an empty list goes back to list prices.
    let (_, bag) = app
        .put(
            &prices,
            &op,
            json!({"prices": [{"sku_id": nude, "price_fen": 10900}]}),
        )
        .await;
    assert_eq!(
        bag["items"][0]["live_prices"],
        json!([{"sku_id": nude, "price_fen": 10900}])
    );

    // Bad input changes nothing.
    for (body, why) in [
        (
            json!({"prices": [{"sku_id": red, "price_fen": 13000}]}),
            "above list",
        ),
        (
            json!({"prices": [{"sku_id": red, "price_fen": -1}]}),
            "negative",
        ),
        (
            json!({"prices": [{"sku_id": red, "price_fen": 1}, {"sku_id": red, "price_fen": 2}]}),
            "twice",
        ),
        (
            json!({"prices": [{"sku_id": 999_999, "price_fen": 1}]}),
            "another product's SKU",
        ),
        (
            json!({"prices": [{"sku_id": red, "price_fen": 1.5}]}),
            "fractional fen",
        ),
        (
            json!({"prices": [{"sku_id": red, "price_fen": 1, "total": 0}]}),
            "unknown field",
        ),
    ] {
        let got = app.put(&prices, &op, body).await;
        assert_eq!(got.0.as_u16(), 422, "{why}: {}", got.1);
    }
    let (_, bag) = app.get(&format!("/api/v1/sessions/{id}/bag"), &op).await;
    assert_eq!(
        bag["items"][0]["live_prices"],
        json!([{"sku_id": nude, "price_fen": 10900}]),
        "nothing changed"
    );
    assert_error(
        &app.put(
            &format!("/api/v1/sessions/{id}/bag/{other}/prices"),
            &op,
            json!({"prices": []}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &app.put(&prices, &analyst, json!({"prices": []})).await,
        403,
        "forbidden",
    );
    let (_, bag) = app.put(&prices, &op, json!({"prices": []})).await;
    assert_eq!(bag["items"][0]["live_prices"], json!([]));
}

crate::on_both_backends!(
    live_prices_are_set_per_sku_and_shown_in_the_bag,
    a_session_is_planned_run_and_ended,
    scheduled_sessions_can_be_cancelled_only_before_going_live,
    bad_session_input_is_refused,
    the_bag_is_numbered_reordered_and_shown_to_viewers,
    the_overview_counts_what_is_on,
);
