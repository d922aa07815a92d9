//! Buying: orders placed once per key, stock reserved and never oversold, the sandbox provider's
//! signed callbacks, cancellations and refunds giving back stock, coupons and points, coupons
//! and campaigns, points and tiers, the order desk and its exports.

use crate::common::{assert_error, TestApp, SANDBOX_SECRET};
use crate::room::{live_room, Viewer};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use sellstream_commerce::payment::{SandboxNotice, SandboxProvider};
use sellstream_core::Timestamp;
use sellstream_store::Row;
use serde_json::{json, Value};

/// A shop with one live session: a lipstick (two shades, ¥129 list, ¥99 live for RED) and a
/// serum (¥199), a buyer with an address, and an operator.
struct Shop {
    op: String,
    session: i64,
    red: i64,
    nude: i64,
    serum: i64,
    buyer: String,
    buyer_id: i64,
    address: i64,
}

async fn shop(app: &TestApp) -> Shop {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (_, lip) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "口红", "purchase_limit": 5, "skus": [
                {"code": "RED", "price_fen": 12900, "stock": 10},
                {"code": "NUDE", "price_fen": 12900, "stock": 10}]}),
        )
        .await;
    let (_, serum) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "精华", "skus": [{"code": "SERUM", "price_fen": 19900, "stock": 10}]}),
        )
        .await;
    let (_, sess) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "直播", "theme": "custom",
            "scheduled_start": "2026-01-01T12:00:00Z", "scheduled_end": "2026-01-01T14:00:00Z"}),
        )
        .await;
    let session = sess["id"].as_i64().unwrap();
    let lipstick = lip["id"].as_i64().unwrap();
    let red = lip["skus"][0]["id"].as_i64().unwrap();
    for p in [lipstick, serum["id"].as_i64().unwrap()] {
        app.post(
            &format!("/api/v1/sessions/{session}/bag"),
            &op,
            json!({"product_id": p}),
        )
        .await;
    }
    app.put(
        &format!("/api/v1/sessions/{session}/bag/{lipstick}/prices"),
        &op,
        json!({"prices": [{"sku_id": red, "price_fen": 9900}]}),
    )
    .await;
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "live"}),
    )
    .await;
    let (buyer, buyer_id, address) = buyer(app, "13900000001").await;
    Shop {
        op,
        session,
        red,
        nude: lip["skus"][1]["id"].as_i64().unwrap(),
        serum: serum["skus"][0]["id"].as_i64().unwrap(),
        buyer,
        buyer_id,
        address,
    }
}

/// A customer with one address: (token, account id, address id).
pub(crate) async fn buyer(app: &TestApp, phone: &str) -> (String, i64, i64) {
    let token = app.customer(phone).await;
    let (_, me) = app.get("/api/v1/auth/me", &token).await;
    let (s, a) = app
        .post(
            "/api/v1/me/addresses",
            &token,
            json!({"recipient": "张三", "phone": phone, "region": "浙江省 杭州市 西湖区",
                   "detail": "文三路 100 号", "is_default": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    (token, me["id"].as_i64().unwrap(), a["id"].as_i64().unwrap())
}

impl Shop {
    fn order(&self, items: &[(i64, u32)]) -> Value {
        json!({
            "session_id": self.session,
            "items": items.iter().map(|(s, q)| json!({"sku_id": s, "quantity": q})).collect::<Vec<_>>(),
            "address_id": self.address,
        })
    }
}

pub(crate) async fn place(
    app: &TestApp,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/orders", app.base))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn stock(app: &TestApp, sku: i64) -> i64 {
    sqlx::query("SELECT stock FROM skus WHERE id = $1")
        .bind(sku)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Starts a payment and confirms it on the sandbox pay page, as the customer would.
pub(crate) async fn pay(app: &TestApp, token: &str, order: i64) -> Value {
    let (s, started) = app
        .post(
            &format!("/api/v1/me/orders/{order}/pay"),
            token,
            json!({"method": "alipay"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{started}");
    let trade = started["trade_no"].as_str().unwrap();
    assert!(started["pay_url"].as_str().unwrap().contains(trade));
    let (s, done) = app
        .post(
            &format!("/api/v1/sandbox-pay/{trade}/confirm"),
            token,
            json!({"method": "alipay"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["outcome"], "paid");
    let (s, again) = app
        .post(
            &format!("/api/v1/sandbox-pay/{trade}/confirm"),
            token,
            json!({"method": "alipay"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(
        again["outcome"], "duplicate",
        "a second confirm changes nothing"
    );
    let (_, o) = app.get(&format!("/api/v1/me/orders/{order}"), token).await;
    assert_eq!(o["state"], "paid", "{o}");
    o
}

/// One value of a GET, by JSON pointer.
async fn field(app: &TestApp, token: &str, path: &str, pointer: &str) -> Value {
    let (_, v) = app.get(path, token).await;
    v.pointer(pointer).cloned().unwrap_or(Value::Null)
}

fn states(o: &Value) -> Vec<String> {
    o["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to_state"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_order_is_placed_once_per_key_reserves_stock_and_is_paid(app: TestApp) {
    let s = shop(&app).await;
    let body = s.order(&[(s.red, 2), (s.serum, 1)]);
    let (st, first) = place(&app, &s.buyer, Some("key-1"), body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    assert_eq!(first["state"], "pending_payment");
    assert_eq!(
        first["total_fen"],
        2 * 9900 + 19900,
        "the live price applies"
    );
    assert_eq!(first["session_id"], s.session);
    assert_eq!(first["lines"].as_array().unwrap().len(), 2);
    assert!(!first["price_lines"].as_array().unwrap().is_empty());
    assert_eq!(first["address"]["recipient"], "张三");
    assert_eq!(
        stock(&app, s.red).await,
        8,
        "stock is reserved at order time"
    );

    // A retry with the same key and body is the same order; nothing more is reserved.
    let (st, again) = place(&app, &s.buyer, Some("key-1"), body.clone()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(stock(&app, s.red).await, 8);
    // The same key with another body is refused.
    let other = place(&app, &s.buyer, Some("key-1"), s.order(&[(s.red, 1)])).await;
    assert_error(&other, 409, "idempotency_key_reused");
    // Keys belong to their customer: another customer's same key is theirs alone.
    let (other_buyer, _, other_address) = buyer(&app, "13900000009").await;
    let mut theirs = s.order(&[(s.red, 1)]);
    theirs["address_id"] = json!(other_address);
    let (st, _) = place(&app, &other_buyer, Some("key-1"), theirs).await;
    assert_eq!(st, StatusCode::CREATED);
    // After 24 hours the key places a new order.
    sqlx::query("UPDATE idempotency_keys SET expires_at = 0 WHERE key = 'key-1'")
        .execute(app.store.pool())
        .await
        .unwrap();
    let (st, later) = place(&app, &s.buyer, Some("key-1"), body).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_ne!(later["id"], first["id"]);

    let id = first["id"].as_i64().unwrap();
    let paid = pay(&app, &s.buyer, id).await;
    assert_eq!(states(&paid), ["pending_payment", "paid"]);
    assert!(paid["paid_at"].is_string());
    // A second payment of a paid order is refused.
    let again = app
        .post(
            &format!("/api/v1/me/orders/{id}/pay"),
            &s.buyer,
            json!({"method": "wechat"}),
        )
        .await;
    assert_error(&again, 409, "illegal_transition");

    // The event log has the order's story with its session, for analytics.
    let kinds: Vec<(String, Option<i64>)> =
        sqlx::query("SELECT kind, session_id FROM order_events WHERE order_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(app.store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
            .collect();
    assert_eq!(
        kinds,
        [
            ("order.placed".to_owned(), Some(s.session)),
            ("order.paid".to_owned(), Some(s.session))
        ]
    );
    let (_, mine) = app.get("/api/v1/me/orders?state=paid", &s.buyer).await;
    assert_eq!(mine["total"], 1);
}

fn callback(trade_no: &str, amount: i64, nonce: &str, at: i64, secret: &str) -> (String, Vec<u8>) {
    let notice = SandboxNotice {
        trade_no: trade_no.into(),
        provider_txn: "TXN-1".into(),
        amount_fen: amount,
        method: "alipay".into(),
        status: "SUCCESS".into(),
        timestamp: at,
        nonce: nonce.into(),
    };
    (
        SandboxProvider::new(secret).sign(&notice),
        serde_json::to_vec(&notice).unwrap(),
    )
}

async fn notify(app: &TestApp, (sig, body): (String, Vec<u8>)) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/payments/sandbox/notify", app.base))
        .header("x-sandbox-signature", sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

async fn payment_callbacks_are_verified_and_applied_once(app: TestApp) {
    let s = shop(&app).await;
    let (_, o) = place(&app, &s.buyer, None, s.order(&[(s.serum, 1)])).await;
    let id = o["id"].as_i64().unwrap();
    let (_, started) = app
        .post(
            &format!("/api/v1/me/orders/{id}/pay"),
            &s.buyer,
            json!({"method": "alipay"}),
        )
        .await;
    let trade = started["trade_no"].as_str().unwrap().to_owned();
    let amount = started["amount_fen"].as_i64().unwrap();
    assert_eq!(amount, 19900, "the server's amount, not the client's");
    let now = Timestamp::now().millis();

    // Forged: signed with another secret.
    let forged = notify(&app, callback(&trade, amount, "nonce-0001", now, "guess")).await;
    assert_error(&forged, 401, "invalid_signature");
    // Tampered: the body changed after signing.
    let (sig, _) = callback(&trade, amount, "nonce-0002", now, SANDBOX_SECRET);
    let (_, other_body) = callback(&trade, 1, "nonce-0002", now, SANDBOX_SECRET);
    assert_error(
        &notify(&app, (sig, other_body)).await,
        401,
        "invalid_signature",
    );
    // Stale: signed correctly, but an hour old.
    let stale = callback(
        &trade,
        amount,
        "nonce-0003",
        now - 3_600_000,
        SANDBOX_SECRET,
    );
    assert_error(&notify(&app, stale).await, 401, "invalid_signature");
    // Amount mismatch: signed correctly, wrong amount; nothing changes.
    let short = callback(&trade, amount - 1, "nonce-0004", now, SANDBOX_SECRET);
    assert_error(&notify(&app, short).await, 422, "validation_failed");
    assert_eq!(
        field(&app, &s.buyer, &format!("/api/v1/me/orders/{id}"), "/state").await,
        "pending_payment"
    );

    // The real one pays the order.
    let good = callback(&trade, amount, "nonce-0005", now, SANDBOX_SECRET);
    let (st, out) = notify(&app, good.clone()).await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(out["outcome"], "paid");
    assert_eq!(
        field(&app, &s.buyer, &format!("/api/v1/me/orders/{id}"), "/state").await,
        "paid"
    );
    // Replayed as it was: refused.
    assert_error(&notify(&app, good).await, 401, "invalid_signature");
    // The provider's retry (a new nonce) is a duplicate: answered, nothing changes.
    let retry = callback(&trade, amount, "nonce-0006", now, SANDBOX_SECRET);
    let (st, out) = notify(&app, retry).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(out["outcome"], "duplicate");
    let (_, o) = app.get(&format!("/api/v1/me/orders/{id}"), &s.buyer).await;
    assert_eq!(states(&o), ["pending_payment", "paid"], "paid once");
    // An unknown trade is not found.
    let unknown = callback("NO-SUCH-TRADE", amount, "nonce-0007", now, SANDBOX_SECRET);
    assert_error(&notify(&app, unknown).await, 404, "not_found");

    let metrics = app.metrics().await;
    for line in [
        "sellstream_payment_callbacks_total{kind=\"invalid_signature\"} 4",
        "sellstream_payment_callbacks_total{kind=\"paid\"} 1",
        "sellstream_payment_callbacks_total{kind=\"duplicate\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    // Late: the order was cancelled before the money arrived, so it goes straight back.
    let (_, late) = place(&app, &s.buyer, None, s.order(&[(s.serum, 1)])).await;
    let late_id = late["id"].as_i64().unwrap();
    let (_, started) = app
        .post(
            &format!("/api/v1/me/orders/{late_id}/pay"),
            &s.buyer,
            json!({"method": "wechat"}),
        )
        .await;
    let late_trade = started["trade_no"].as_str().unwrap().to_owned();
    let (st, _) = app
        .post(
            &format!("/api/v1/me/orders/{late_id}/cancel"),
            &s.buyer,
            json!({"reason": "changed my mind"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, out) = notify(
        &app,
        callback(&late_trade, 19900, "nonce-0008", now, SANDBOX_SECRET),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{out}");
    assert_eq!(out["outcome"], "refunded_late");
    let (_, o) = app
        .get(&format!("/api/v1/me/orders/{late_id}"), &s.buyer)
        .await;
    assert_eq!(
        o["state"], "cancelled",
        "a late payment never revives an order"
    );
    assert_eq!(o["refunds"][0]["amount_fen"], 19900);
    assert_eq!(o["refunds"][0]["state"], "succeeded");
}

async fn cancellations_and_refunds_give_back_stock_coupons_and_points(app: TestApp) {
    let s = shop(&app).await;
    // A coupon and points for the buyer.
    let (st, coupon) = app
        .post(
            "/api/v1/coupons",
            &s.op,
            json!({"name": "满100减10", "rule": {"kind": "threshold", "min_spend": 10000, "off": 1000},
                   "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{coupon}");
    let cid = coupon["id"].as_i64().unwrap();
    let (_, issued) = app
        .post(
            &format!("/api/v1/coupons/{cid}/issue"),
            &s.op,
            json!({"customer_ids": [s.buyer_id]}),
        )
        .await;
    assert_eq!(issued["issued"], 1, "{issued}");
    let (st, by_phone) = app
        .post(
            &format!("/api/v1/coupons/{cid}/issue"),
            &s.op,
            json!({"phones": ["139 0000 0001", "13911112222"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{by_phone}");
    assert_eq!(by_phone["issued"], 0, "{by_phone}");
    let reasons: Vec<&str> = by_phone["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons[0].contains("already holds"),
        "a spaced phone is the same customer: {reasons:?}"
    );
    assert!(reasons[1].contains("no customer"), "{reasons:?}");
    let (st, bal) = app
        .post(
            &format!("/api/v1/customers/{}/points", s.buyer_id),
            &s.op,
            json!({"delta": 1000, "note": "welcome"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{bal}");
    assert_eq!(bal["balance"], 1000);

    let mut body = s.order(&[(s.red, 1), (s.serum, 1)]);
    body["points"] = json!(500);
    let (st, o) = place(&app, &s.buyer, None, body.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!(o["points_used"], 500);
    assert!(
        o["coupon_id"].is_i64(),
        "the best coupon is used by default: {o}"
    );
    // 99 + 199 − 10 coupon − 5 points.
    assert_eq!(o["total_fen"], 9900 + 19900 - 1000 - 500);
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/points", "/summary/balance").await,
        500
    );
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/coupons", "/items/0/state").await,
        "used"
    );
    assert_eq!(stock(&app, s.red).await, 9);

    // Cancelled: everything comes back.
    let id = o["id"].as_i64().unwrap();
    let (st, c) = app
        .post(
            &format!("/api/v1/me/orders/{id}/cancel"),
            &s.buyer,
            json!({"reason": "wrong colour"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "cancelled");
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/points", "/summary/balance").await,
        1000
    );
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/coupons", "/items/0/state").await,
        "available"
    );
    assert_eq!(stock(&app, s.red).await, 10);
    // Cancelling again is refused with the reason.
    let again = app
        .post(
            &format!("/api/v1/me/orders/{id}/cancel"),
            &s.buyer,
            json!({}),
        )
        .await;
    assert_error(&again, 409, "illegal_transition");

    // Bought and paid, then refunded a line at a time.
    let (_, o) = place(&app, &s.buyer, None, body).await;
    let id = o["id"].as_i64().unwrap();
    let o = pay(&app, &s.buyer, id).await;
    let serum_line = &o["lines"][1];
    let refund = format!("/api/v1/orders/{id}/refund");
    let (st, r) = app
        .post(
            &refund,
            &s.op,
            json!({"lines": [serum_line["line_no"]], "reason": "破损"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "paid", "a partial refund leaves the order paid");
    assert_eq!(r["refunded_fen"], serum_line["payable"]);
    assert_eq!(r["lines"][1]["refunded"], true);
    let share = 500 * serum_line["points_fen"].as_i64().unwrap()
        / (o["lines"][0]["points_fen"].as_i64().unwrap()
            + serum_line["points_fen"].as_i64().unwrap());
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/points", "/summary/balance").await,
        500 + share,
        "the line's points share comes back"
    );
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/coupons", "/items/0/state").await,
        "used",
        "a partial refund keeps the coupon used"
    );
    assert_eq!(
        stock(&app, s.serum).await,
        10,
        "unshipped goods go back on the shelf"
    );
    // The same line twice, a line that does not exist: refused, nothing changes.
    let twice = app
        .post(
            &refund,
            &s.op,
            json!({"lines": [serum_line["line_no"]], "reason": "x"}),
        )
        .await;
    assert_error(&twice, 422, "validation_failed");
    let nowhere = app
        .post(&refund, &s.op, json!({"lines": [99], "reason": "x"}))
        .await;
    assert_error(&nowhere, 422, "validation_failed");
    let amount = app
        .post(
            &refund,
            &s.op,
            json!({"amount_fen": 999_999, "reason": "x"}),
        )
        .await;
    assert_eq!(
        amount.0.as_u16(),
        422,
        "amounts are never taken from the client: {}",
        amount.1
    );
    // The rest: the order is refunded, the coupon and all points are back.
    let (st, r) = app
        .post(&refund, &s.op, json!({"reason": "客户不要了"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "refunded");
    assert_eq!(r["refunded_fen"], r["total_fen"]);
    assert_eq!(r["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/points", "/summary/balance").await,
        1000
    );
    assert_eq!(
        field(&app, &s.buyer, "/api/v1/me/coupons", "/items/0/state").await,
        "available"
    );
    // Nothing is left to refund.
    let more = app.post(&refund, &s.op, json!({"reason": "again"})).await;
    assert_error(&more, 409, "illegal_transition");
    let (_, ledger) = app.get("/api/v1/me/points", &s.buyer).await;
    let reasons: Vec<&str> = ledger["history"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["return", "return", "spend", "return", "spend", "adjust"]
    );
}

async fn the_payment_window_cancels_unpaid_orders(app: TestApp) {
    let s = shop(&app).await;
    let (_, o) = place(&app, &s.buyer, None, s.order(&[(s.nude, 3)])).await;
    let id = o["id"].as_i64().unwrap();
    let deadline = Timestamp::parse(o["pay_deadline"].as_str().unwrap()).unwrap();
    let created = Timestamp::parse(o["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        deadline.millis() - created.millis(),
        15 * 60 * 1000,
        "15 minutes by default"
    );
    assert_eq!(stock(&app, s.nude).await, 7);
    // Not yet.
    assert_eq!(
        app.state
            .orders
            .expire_unpaid(Timestamp::now())
            .await
            .unwrap(),
        0
    );
    // Once the window has passed, the clock cancels it and the stock is back.
    let later = deadline.plus_seconds(1);
    assert_eq!(app.state.orders.expire_unpaid(later).await.unwrap(), 1);
    let (_, o) = app.get(&format!("/api/v1/me/orders/{id}"), &s.buyer).await;
    assert_eq!(o["state"], "cancelled");
    assert_eq!(o["cancel_reason"], "payment window ended");
    assert_eq!(o["history"][1]["actor"], "system");
    assert_eq!(stock(&app, s.nude).await, 10);
    // The window is configurable.
    let admin = app.staff("boss", &[Role::Admin]).await;
    let (_, mut settings) = app.get("/api/v1/commerce/settings", &admin).await;
    settings["payment_window_secs"] = json!(300);
    let (st, saved) = app
        .put("/api/v1/commerce/settings", &admin, settings.clone())
        .await;
    assert_eq!(st, StatusCode::OK, "{saved}");
    let (_, o) = place(&app, &s.buyer, None, s.order(&[(s.nude, 1)])).await;
    let deadline = Timestamp::parse(o["pay_deadline"].as_str().unwrap()).unwrap();
    let created = Timestamp::parse(o["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(deadline.millis() - created.millis(), 300_000);
    settings["payment_window_secs"] = json!(5);
    let bad = app.put("/api/v1/commerce/settings", &admin, settings).await;
    assert_error(&bad, 422, "validation_failed");
    let not_admin = app.put("/api/v1/commerce/settings", &s.op, saved).await;
    assert_error(&not_admin, 403, "forbidden");
}

async fn many_buyers_at_once_never_oversell_and_lose_no_order(app: TestApp) {
    let s = shop(&app).await;
    let (_, p) = app
        .post(
            "/api/v1/products",
            &s.op,
            json!({"title": "限量款", "skus": [{"code": "HOT", "price_fen": 100, "stock": 7}]}),
        )
        .await;
    let sku = p["skus"][0]["id"].as_i64().unwrap();
    let mut buyers = Vec::new();
    for i in 0..24 {
        buyers.push(buyer(&app, &format!("1370000{i:04}")).await);
    }
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, (token, _, address))| {
            let app_base = app.base.clone();
            let client = app.client.clone();
            tokio::spawn(async move {
                let res = client
                    .post(format!("{app_base}/api/v1/orders"))
                    .bearer_auth(token)
                    .header("Idempotency-Key", format!("race-{i}"))
                    .json(
                        &json!({"items": [{"sku_id": sku, "quantity": 1}], "address_id": address}),
                    )
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let mut told = Vec::new();
    let mut sold_out = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::CREATED => told.push(body["id"].as_i64().unwrap()),
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "out_of_stock", "{body}");
                sold_out += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(told.len(), 7, "exactly the stock is sold");
    assert_eq!(sold_out, 17);
    assert_eq!(stock(&app, sku).await, 0, "never below zero");
    // Every order a buyer was told about exists, once, with its line.
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM order_lines WHERE sku_id = $1")
        .bind(sku)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(stored, 7);
    for id in told {
        let (st, _) = app.get(&format!("/api/v1/orders/{id}"), &s.op).await;
        assert_eq!(st, StatusCode::OK);
    }
}

async fn bad_orders_get_clear_errors_and_change_nothing(app: TestApp) {
    let s = shop(&app).await;
    let (other, _, other_address) = buyer(&app, "13900000002").await;
    // Someone else's address.
    let mut body = s.order(&[(s.red, 1)]);
    body["address_id"] = json!(other_address);
    assert_error(&place(&app, &s.buyer, None, body).await, 404, "not_found");
    // No address, a price or total from the client, absurd quantities.
    let mut no_address = s.order(&[(s.red, 1)]);
    no_address.as_object_mut().unwrap().remove("address_id");
    assert_error(
        &place(&app, &s.buyer, None, no_address).await,
        422,
        "validation_failed",
    );
    let mut priced = s.order(&[(s.red, 1)]);
    priced["total_fen"] = json!(1);
    assert_eq!(place(&app, &s.buyer, None, priced).await.0.as_u16(), 422);
    for q in [0, 1000] {
        let got = place(&app, &s.buyer, None, s.order(&[(s.red, q)])).await;
        assert_error(&got, 422, "validation_failed");
    }
    assert_error(
        &place(&app, &s.buyer, None, s.order(&[(999_999, 1)])).await,
        422,
        "validation_failed",
    );
    // Over the purchase limit across orders: 5 per customer.
    let (st, _) = place(&app, &s.buyer, None, s.order(&[(s.red, 3)])).await;
    assert_eq!(st, StatusCode::CREATED);
    let over = place(&app, &s.buyer, None, s.order(&[(s.nude, 3)])).await;
    assert_error(&over, 422, "validation_failed");
    assert!(over.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already ordered 3"));
    // A bad key.
    let bad_key = place(
        &app,
        &s.buyer,
        Some(&"k".repeat(200)),
        s.order(&[(s.red, 1)]),
    )
    .await;
    assert_error(&bad_key, 422, "validation_failed");
    // Someone else's coupon, an expired one, one whose quantity is gone.
    let (_, coupon) = app
        .post(
            "/api/v1/coupons",
            &s.op,
            json!({"name": "五元券", "rule": {"kind": "fixed", "off": 500}, "claimable": true,
                   "total_quantity": 1,
                   "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    let cid = coupon["id"].as_i64().unwrap();
    let (st, held) = app
        .post(
            &format!("/api/v1/coupons/{cid}/claim"),
            &other,
            json!({"session_id": s.session}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{held}");
    let gone = app
        .post(&format!("/api/v1/coupons/{cid}/claim"), &s.buyer, json!({}))
        .await;
    assert_error(&gone, 409, "conflict");
    let mut theirs = s.order(&[(s.serum, 1)]);
    theirs["coupon"] = json!({"kind": "use", "id": held["id"]});
    assert_error(
        &place(&app, &s.buyer, None, theirs).await,
        422,
        "validation_failed",
    );
    let (_, expired) = app
        .post(
            "/api/v1/coupons",
            &s.op,
            json!({"name": "过期券", "rule": {"kind": "fixed", "off": 500},
                   "valid_from": "2025-01-01T00:00:00Z", "valid_until": "2025-02-01T00:00:00Z"}),
        )
        .await;
    let (_, issued) = app
        .post(
            &format!("/api/v1/coupons/{}/issue", expired["id"]),
            &s.op,
            json!({"customer_ids": [s.buyer_id]}),
        )
        .await;
    assert_eq!(
        issued["issued"], 0,
        "an expired coupon is not handed out: {issued}"
    );
    assert!(issued["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("expired"));
    // A coupon held while valid, used after it expired.
    let (_, soon) = app
        .post(
            "/api/v1/coupons",
            &s.op,
            json!({"name": "限时券", "rule": {"kind": "fixed", "off": 500},
                   "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    let (_, issued) = app
        .post(
            &format!("/api/v1/coupons/{}/issue", soon["id"]),
            &s.op,
            json!({"phones": ["13900000001"]}),
        )
        .await;
    assert_eq!(issued["issued"], 1, "{issued}");
    sqlx::query("UPDATE coupons SET valid_from = 0, valid_until = $1 WHERE id = $2")
        .bind(Timestamp::now().plus_seconds(-3600).millis())
        .bind(soon["id"].as_i64().unwrap())
        .execute(app.store.pool())
        .await
        .unwrap();
    let mut late = s.order(&[(s.serum, 1)]);
    late["coupon"] = json!({"kind": "use", "id": issued["results"][0]["held_id"]});
    let expired_use = place(&app, &s.buyer, None, late).await;
    assert_error(&expired_use, 422, "validation_failed");
    assert!(expired_use.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    // Negative quantities and off-shelf SKUs.
    let negative = place(
        &app,
        &s.buyer,
        None,
        json!({"items": [{"sku_id": s.red, "quantity": -1}], "address_id": s.address}),
    )
    .await;
    assert_eq!(negative.0.as_u16(), 422, "{}", negative.1);
    let (_, hidden) = app
        .post(
            "/api/v1/products",
            &s.op,
            json!({"title": "下架", "on_shelf": false, "skus": [{"code": "OFF", "price_fen": 100, "stock": 5}]}),
        )
        .await;
    let off = place(
        &app,
        &s.buyer,
        None,
        s.order(&[(hidden["skus"][0]["id"].as_i64().unwrap(), 1)]),
    )
    .await;
    assert_error(&off, 422, "validation_failed");
    // Someone else's order.
    let (_, mine) = place(&app, &s.buyer, None, s.order(&[(s.serum, 1)])).await;
    let id = mine["id"].as_i64().unwrap();
    assert_error(
        &app.get(&format!("/api/v1/me/orders/{id}"), &other).await,
        404,
        "not_found",
    );
    let steal = app
        .post(&format!("/api/v1/me/orders/{id}/cancel"), &other, json!({}))
        .await;
    assert_error(&steal, 404, "not_found");
    let pay_theirs = app
        .post(
            &format!("/api/v1/me/orders/{id}/pay"),
            &other,
            json!({"method": "alipay"}),
        )
        .await;
    assert_error(&pay_theirs, 404, "not_found");
    // Illegal moves say why.
    let ship = app
        .post(
            &format!("/api/v1/orders/{id}/ship"),
            &s.op,
            json!({"tracking_no": "SF123456"}),
        )
        .await;
    assert_error(&ship, 409, "illegal_transition");
    assert!(ship.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not paid"));
    let confirm = app
        .call(
            Method::POST,
            &format!("/api/v1/me/orders/{id}/confirm"),
            Some(&s.buyer),
            None,
        )
        .await;
    assert_error(&confirm, 409, "illegal_transition");
    pay(&app, &s.buyer, id).await;
    let cancel_paid = app
        .post(
            &format!("/api/v1/me/orders/{id}/cancel"),
            &s.buyer,
            json!({}),
        )
        .await;
    assert_error(&cancel_paid, 409, "illegal_transition");
    assert!(cancel_paid.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("refund"));
    // Staff cannot buy; customers cannot reach the order desk.
    let staff_buy = place(&app, &s.op, None, s.order(&[(s.red, 1)])).await;
    assert_error(&staff_buy, 403, "forbidden");
    assert_error(&app.get("/api/v1/orders", &s.buyer).await, 403, "forbidden");
    let viewer_refund = app
        .post(
            &format!("/api/v1/orders/{id}/refund"),
            &s.buyer,
            json!({"reason": "x"}),
        )
        .await;
    assert_error(&viewer_refund, 403, "forbidden");
    // After all that, stock is exactly what the placed orders took.
    assert_eq!(stock(&app, s.red).await, 7);
    assert_eq!(stock(&app, s.serum).await, 9);
}

async fn an_order_lives_from_payment_to_completion_and_earns_points(app: TestApp) {
    let s = shop(&app).await;
    let (_, o) = place(&app, &s.buyer, None, s.order(&[(s.serum, 1)])).await;
    let id = o["id"].as_i64().unwrap();
    pay(&app, &s.buyer, id).await;
    let wh = app.staff("wareh", &[Role::Warehouse]).await;
    let bad = app
        .post(
            &format!("/api/v1/orders/{id}/ship"),
            &wh,
            json!({"tracking_no": "x"}),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    let (st, o) = app
        .post(
            &format!("/api/v1/orders/{id}/ship"),
            &wh,
            json!({"tracking_no": "SF1234567890"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{o}");
    assert_eq!(o["tracking_no"], "SF1234567890");
    // A refund request, rejected, goes back to shipped.
    let (st, o) = app
        .post(
            &format!("/api/v1/me/orders/{id}/refund-request"),
            &s.buyer,
            json!({"reason": "不想要了"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{o}");
    assert_eq!(o["state"], "refund_requested");
    let (_, o) = app
        .post(
            &format!("/api/v1/orders/{id}/refund/reject"),
            &s.op,
            json!({"reason": "已发货"}),
        )
        .await;
    assert_eq!(o["state"], "shipped");
    app.call(
        Method::POST,
        &format!("/api/v1/orders/{id}/deliver"),
        Some(&wh),
        None,
    )
    .await;
    let (st, o) = app
        .call(
            Method::POST,
            &format!("/api/v1/me/orders/{id}/confirm"),
            Some(&s.buyer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{o}");
    assert_eq!(
        states(&o),
        [
            "pending_payment",
            "paid",
            "shipped",
            "refund_requested",
            "shipped",
            "delivered",
            "completed"
        ]
    );
    // ¥199 paid at 1 point per yuan.
    let (_, p) = app.get("/api/v1/me/points", &s.buyer).await;
    assert_eq!(p["summary"]["balance"], 199);
    assert_eq!(p["history"]["items"][0]["reason"], "earn");
    // A completed order's after-sales period is over.
    let late = app
        .post(
            &format!("/api/v1/orders/{id}/refund"),
            &s.op,
            json!({"reason": "x"}),
        )
        .await;
    assert_error(&late, 409, "illegal_transition");
    // Points expire by rule: a year later, what was not spent is gone.
    let year = Timestamp::now().plus_seconds(366 * 24 * 3600);
    assert_eq!(app.state.points.expire_due(year).await.unwrap(), 199);
    let (_, p) = app.get("/api/v1/me/points", &s.buyer).await;
    assert_eq!(p["summary"]["balance"], 0);
    assert_eq!(app.state.points.expire_due(year).await.unwrap(), 0, "once");
}

async fn membership_tiers_follow_twelve_month_spend_and_discount_every_line(app: TestApp) {
    let s = shop(&app).await;
    let (_, m) = app.get("/api/v1/me/membership", &s.buyer).await;
    assert_eq!(m["spend_12m_fen"], 0);
    assert!(m["tier"].is_null());
    let (_, o) = place(&app, &s.buyer, None, s.order(&[(s.serum, 1)])).await;
    pay(&app, &s.buyer, o["id"].as_i64().unwrap()).await;
    let (st, tiers) = app
        .put(
            "/api/v1/membership/tiers",
            &s.op,
            json!({"tiers": [{"name": "银卡", "min_spend_fen": 10000, "off_bp": 500},
                             {"name": "金卡", "min_spend_fen": 100000, "off_bp": 1000}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tiers}");
    let (_, m) = app.get("/api/v1/me/membership", &s.buyer).await;
    assert_eq!(m["spend_12m_fen"], 19900);
    assert_eq!(m["tier"]["name"], "银卡");
    assert_eq!(m["to_next_fen"], 100000 - 19900);
    let (_, q) = app
        .post(
            "/api/v1/checkout/preview",
            &s.buyer,
            s.order(&[(s.serum, 1)]),
        )
        .await;
    let member = q["price_lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "membership")
        .unwrap_or_else(|| panic!("no membership line: {q}"));
    assert_eq!(member["amount"], -995);
    let bad = app
        .put(
            "/api/v1/membership/tiers",
            &s.op,
            json!({"tiers": [{"name": "A", "min_spend_fen": 100, "off_bp": 900},
                             {"name": "B", "min_spend_fen": 200, "off_bp": 100}]}),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
}

async fn coupons_and_campaigns_are_managed_and_reach_the_room(app: TestApp) {
    let (session, product, op) = live_room(&app).await;
    let (buyer_token, _, address) = buyer(&app, "13900000003").await;
    let mut viewer = Viewer::join(&app, session, Some(&buyer_token)).await;
    // Bad definitions are refused, naming the field.
    for (body, field) in [
        (
            json!({"name": "", "rule": {"kind": "fixed", "off": 500}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
            "name",
        ),
        (
            json!({"name": "x", "rule": {"kind": "fixed", "off": 0}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
            "rule.off",
        ),
        (
            json!({"name": "x", "rule": {"kind": "threshold", "min_spend": 100, "off": 500}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
            "rule.off",
        ),
        (
            json!({"name": "x", "rule": {"kind": "percent", "off_bp": 10000}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
            "rule.off_bp",
        ),
        (
            json!({"name": "x", "rule": {"kind": "fixed", "off": 500}, "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}),
            "valid_until",
        ),
        (
            json!({"name": "x", "rule": {"kind": "fixed", "off": 500}, "scope": {"kind": "products", "ids": [999999]}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
            "scope.ids",
        ),
    ] {
        let got = app.post("/api/v1/coupons", &op, body).await;
        assert_error(&got, 422, "validation_failed");
        assert!(
            got.1["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{}",
            got.1
        );
    }
    let (st, c) = app
        .post(
            "/api/v1/coupons",
            &op,
            json!({"name": "直播间专享 8 折", "rule": {"kind": "percent", "off_bp": 2000, "cap": 2000},
                   "scope": {"kind": "products", "ids": [product]}, "claimable": true,
                   "total_quantity": 100, "per_customer": 1,
                   "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    // Offered in the room: every viewer sees the card.
    let (st, _) = app
        .put(
            &format!("/api/v1/sessions/{session}/coupon"),
            &op,
            json!({"coupon_id": cid}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let card = viewer.event("coupon").await;
    assert_eq!(card["coupon"]["id"], cid, "{card}");
    assert_eq!(card["coupon"]["left"], 100);
    // Claimed once per customer.
    let claim = format!("/api/v1/coupons/{cid}/claim");
    let (st, held) = app
        .post(&claim, &buyer_token, json!({"session_id": session}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{held}");
    assert_eq!(held["source"], "claimed");
    let left = viewer
        .event_where("coupon", |e| e["coupon"]["left"] == 99)
        .await;
    assert_eq!(left["coupon"]["id"], cid, "the room sees one fewer left");
    app.state.rooms.flush().await;
    let (_, offered) = app
        .get(&format!("/api/v1/sessions/{session}/coupon"), &op)
        .await;
    assert_eq!(offered["coupon"]["id"], cid, "{offered}");
    assert_error(
        &app.post(&claim, &buyer_token, json!({})).await,
        409,
        "conflict",
    );
    // A 满减 campaign stacks with it.
    let (st, camp) = app
        .post(
            "/api/v1/campaigns",
            &op,
            json!({"name": "每满100减10", "rule": {"kind": "every_full", "every": 10000, "off": 1000, "cap": 5000},
                   "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{camp}");
    let bad = app
        .post(
            "/api/v1/campaigns",
            &op,
            json!({"name": "x", "rule": {"kind": "tiered", "tiers": [{"min_spend": 20000, "off": 3000}, {"min_spend": 10000, "off": 4000}]},
                   "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), &op).await;
    let sku = p["skus"][0]["id"].as_i64().unwrap();
    let (st, o) = place(
        &app,
        &buyer_token,
        Some("room-1"),
        json!({"session_id": session, "items": [{"sku_id": sku, "quantity": 2}], "address_id": address}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    // 2 × 129 = 258; 每满100减10 → −20; 20 % of 238 capped at 20 → −20.
    assert_eq!(o["total_fen"], 25800 - 2000 - 2000, "{o}");
    // The room sees the stock fall, then the purchase once paid.
    let st_ev = viewer
        .event_where("stock", |e| e["product"] == product)
        .await;
    assert_eq!(st_ev["stock"], 3);
    pay(&app, &buyer_token, o["id"].as_i64().unwrap()).await;
    let bought = viewer.event("purchase").await;
    assert_eq!(bought["product"], product);
    assert_eq!(bought["quantity"], 2);
    assert!(
        bought["buyer"].as_str().unwrap().ends_with("**"),
        "{bought}"
    );
    // The coupon's use shows in its counts; its rule is now fixed.
    let (_, c) = app.get(&format!("/api/v1/coupons/{cid}"), &op).await;
    assert_eq!(
        (c["granted"].as_i64(), c["used"].as_i64()),
        (Some(1), Some(1))
    );
    let change = app
        .put(
            &format!("/api/v1/coupons/{cid}"),
            &op,
            json!({"name": "x", "rule": {"kind": "fixed", "off": 9900}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(&change, 409, "conflict");
    // Withdrawn from the room.
    let (st, _) = app
        .put(
            &format!("/api/v1/sessions/{session}/coupon"),
            &op,
            json!({"coupon_id": null}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let gone = viewer.event("coupon").await;
    assert!(gone["coupon"].is_null());
    let analyst = app.staff("analyst1", &[Role::Analyst]).await;
    let not_theirs = app
        .post(
            "/api/v1/coupons",
            &analyst,
            json!({"name": "x", "rule": {"kind": "fixed", "off": 500}, "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(&not_theirs, 403, "forbidden");
}

async fn the_order_desk_finds_and_exports_orders(app: TestApp) {
    let s = shop(&app).await;
    let (_, a) = place(&app, &s.buyer, None, s.order(&[(s.red, 1), (s.nude, 1)])).await;
    let (_, b) = place(
        &app,
        &s.buyer,
        None,
        json!({"items": [{"sku_id": s.serum, "quantity": 1}], "address_id": s.address}),
    )
    .await;
    pay(&app, &s.buyer, a["id"].as_i64().unwrap()).await;
    let (_, all) = app.get("/api/v1/orders", &s.op).await;
    assert_eq!(all["total"], 2);
    let (_, paid) = app.get("/api/v1/orders?state=paid", &s.op).await;
    assert_eq!(paid["total"], 1);
    assert_eq!(paid["items"][0]["id"], a["id"]);
    let (_, in_session) = app
        .get(&format!("/api/v1/orders?session_id={}", s.session), &s.op)
        .await;
    assert_eq!(
        in_session["total"], 1,
        "the second order came from the shop, not the room"
    );
    let (_, by_number) = app
        .get(
            &format!("/api/v1/orders?q={}", b["number"].as_str().unwrap()),
            &s.op,
        )
        .await;
    assert_eq!(by_number["items"][0]["id"], b["id"]);
    let (_, by_phone) = app.get("/api/v1/orders?q=13900000001", &s.op).await;
    assert_eq!(by_phone["total"], 2);
    let (_, none) = app
        .get("/api/v1/orders?from=2030-01-01T00:00:00Z", &s.op)
        .await;
    assert_eq!(none["total"], 0);
    assert_error(
        &app.get("/api/v1/orders?from=yesterday", &s.op).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/orders?state=lost", &s.op).await,
        422,
        "validation_failed",
    );

    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let csv = app
        .client
        .get(format!("{}/api/v1/orders/export?format=csv", app.base))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM so Excel reads UTF-8");
    assert_eq!(
        text.lines().count(),
        1 + 3,
        "a header and one row per order line"
    );
    assert!(text.contains(a["number"].as_str().unwrap()));
    let xlsx = app
        .client
        .get(format!(
            "{}/api/v1/orders/export?format=xlsx&state=paid",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");
    let bad = app.get("/api/v1/orders/export?format=pdf", &analyst).await;
    assert_error(&bad, 422, "validation_failed");
    assert_error(
        &app.get("/api/v1/orders/export", &s.buyer).await,
        403,
        "forbidden",
    );
}

/// After the show the replay still sells: the order counts for the session, at list price (the
/// live price was for the show); a session that has not started sells nothing yet.
async fn buying_from_the_replay_counts_for_the_session_at_list_price(app: TestApp) {
    let shop = shop(&app).await;
    app.post(
        &format!("/api/v1/sessions/{}/transition", shop.session),
        &shop.op,
        json!({"to": "ended"}),
    )
    .await;
    let (_, public) = app
        .get(&format!("/api/v1/public/sessions/{}", shop.session), "")
        .await;
    assert!(
        public["bag"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["live_prices"] == json!([])),
        "{public}"
    );
    let (_, ended) = app.get("/api/v1/public/sessions?state=ended", "").await;
    assert_eq!(ended["items"][0]["id"], shop.session, "{ended}");
    let (s, order) = place(&app, &shop.buyer, None, shop.order(&[(shop.red, 1)])).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    assert_eq!(order["session_id"], shop.session);
    assert_eq!(
        order["lines"][0]["unit_price"], 12900,
        "list price: {order}"
    );

    let (_, later) = app
        .post(
            "/api/v1/sessions",
            &shop.op,
            json!({"title": "下周", "theme": "custom",
            "scheduled_start": "2026-02-01T12:00:00Z", "scheduled_end": "2026-02-01T14:00:00Z"}),
        )
        .await;
    let mut body = shop.order(&[(shop.red, 1)]);
    body["session_id"] = later["id"].clone();
    let got = place(&app, &shop.buyer, None, body).await;
    assert_error(&got, 422, "validation_failed");
}

crate::on_both_backends!(
    buying_from_the_replay_counts_for_the_session_at_list_price,
    an_order_is_placed_once_per_key_reserves_stock_and_is_paid,
    payment_callbacks_are_verified_and_applied_once,
    cancellations_and_refunds_give_back_stock_coupons_and_points,
    the_payment_window_cancels_unpaid_orders,
    many_buyers_at_once_never_oversell_and_lose_no_order,
    bad_orders_get_clear_errors_and_change_nothing,
    an_order_lives_from_payment_to_completion_and_earns_points,
    membership_tiers_follow_twelve_month_spend_and_discount_every_line,
    coupons_and_campaigns_are_managed_and_reach_the_room,
    the_order_desk_finds_and_exports_orders,
);
