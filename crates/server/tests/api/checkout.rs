//! Checkout preview: the server prices carts from the catalog and the session's live prices.

use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};

struct Shop {
    session: i64,
    red: i64,
    nude: i64,
    off_shelf_sku: i64,
    buyer: String,
}

async fn shop(app: &TestApp) -> Shop {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (_, lip) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "口红", "purchase_limit": 3, "skus": [
                {"code": "RED", "price_fen": 12900, "stock": 10},
                {"code": "NUDE", "price_fen": 13900, "stock": 2}]}),
        )
        .await;
    let (_, hidden) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "下架商品", "on_shelf": false,
                   "skus": [{"code": "GONE", "price_fen": 100, "stock": 5}]}),
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
    let pid = lip["id"].as_i64().unwrap();
    let red = lip["skus"][0]["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/sessions/{session}/bag"),
        &op,
        json!({"product_id": pid}),
    )
    .await;
    app.put(
        &format!("/api/v1/sessions/{session}/bag/{pid}/prices"),
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
    Shop {
        session,
        red,
        nude: lip["skus"][1]["id"].as_i64().unwrap(),
        off_shelf_sku: hidden["skus"][0]["id"].as_i64().unwrap(),
        buyer: app.customer("13900000001").await,
    }
}

fn kinds(q: &Value) -> Vec<String> {
    q["price_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_cart_is_priced_by_the_server_with_the_rooms_live_price(app: TestApp) {
    let s = shop(&app).await;
    let preview = "/api/v1/checkout/preview";
    let (st, q) = app
        .post(
            preview,
            &s.buyer,
            json!({"session_id": s.session, "items": [
                {"sku_id": s.red, "quantity": 2}, {"sku_id": s.nude, "quantity": 1}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{q}");
    assert_eq!(q["total"], 2 * 9900 + 13900);
    assert_eq!(kinds(&q), vec!["goods", "live_price", "shipping"]);
    assert_eq!(q["price_lines"][0]["amount"], 2 * 12900 + 13900);
    assert_eq!(q["price_lines"][1]["amount"], -2 * 3000);
    assert_eq!(q["lines"][0]["unit_price"], 9900);
    assert_eq!(q["lines"][1]["payable"], 13900);

    // Outside the session the list price applies.
    let (_, q) = app
        .post(
            preview,
            &s.buyer,
            json!({"items": [{"sku_id": s.red, "quantity": 1}]}),
        )
        .await;
    assert_eq!(q["total"], 12900);
}

async fn bad_carts_get_clear_errors(app: TestApp) {
    let s = shop(&app).await;
    let preview = "/api/v1/checkout/preview";
    let item = |sku: i64, qty: i64| json!({"items": [{"sku_id": sku, "quantity": qty}]});
    for (body, why) in [
        (json!({"items": []}), "empty cart"),
        (item(s.red, 0), "zero quantity"),
        (item(s.red, -1), "negative quantity"),
        (item(s.red, 1000), "absurd quantity"),
        (item(999_999, 1), "unknown SKU"),
        (item(s.off_shelf_sku, 1), "off-shelf SKU"),
        (item(s.nude, 3), "more than in stock"),
        (
            json!({"items": [{"sku_id": s.red, "quantity": 2}, {"sku_id": s.nude, "quantity": 2}]}),
            "over the per-customer limit across SKUs",
        ),
        (
            json!({"items": [{"sku_id": s.red, "quantity": 1}, {"sku_id": s.red, "quantity": 1}]}),
            "the same SKU twice",
        ),
        (
            json!({"items": [{"sku_id": s.red, "quantity": 1, "price_fen": 1}]}),
            "a price sent by the client",
        ),
        (
            json!({"items": [{"sku_id": s.red, "quantity": 1}], "total": 1}),
            "a total sent by the client",
        ),
        (
            json!({"items": [{"sku_id": s.red, "quantity": 1}], "coupon": {"kind": "use", "id": 5}}),
            "a coupon the customer does not hold",
        ),
        (
            json!({"items": [{"sku_id": s.red, "quantity": 1}], "points": 100}),
            "points the customer does not have",
        ),
    ] {
        let got = app.post(preview, &s.buyer, body).await;
        assert_eq!(got.0.as_u16(), 422, "{why}: {}", got.1);
        assert!(
            got.1["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{why}"
        );
    }
    let no_session = app
        .post(
            preview,
            &s.buyer,
            json!({"session_id": 999_999, "items": [{"sku_id": s.red, "quantity": 1}]}),
        )
        .await;
    assert_error(&no_session, 404, "not_found");
    let (st, _) = app
        .call(
            Method::POST,
            preview,
            None,
            Some(json!({"items": [{"sku_id": s.red, "quantity": 1}]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

fn address(recipient: &str, default: bool) -> Value {
    json!({"recipient": recipient, "phone": "138 0000 0002", "region": "浙江省 杭州市 西湖区",
           "detail": "文三路 100 号 3 幢 501", "is_default": default})
}

async fn customers_keep_addresses_with_one_default(app: TestApp) {
    let me = app.customer("13900000002").await;
    let other = app.customer("13900000003").await;
    let list = "/api/v1/me/addresses";
    let (s, first) = app.post(list, &me, address("张三", false)).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(
        first["is_default"], true,
        "the first address is the default"
    );
    assert_eq!(first["phone"], "13800000002", "the phone is normalised");
    let first_id = first["id"].as_i64().unwrap();
    let (_, second) = app.post(list, &me, address("李四", true)).await;
    let second_id = second["id"].as_i64().unwrap();
    let (_, third) = app.post(list, &me, address("王五", false)).await;
    let third_id = third["id"].as_i64().unwrap();

    let (_, all) = app.get(list, &me).await;
    let ids: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![second_id, third_id, first_id],
        "default first, then newest"
    );
    let defaults = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["is_default"] == true)
        .count();
    assert_eq!(defaults, 1);

    // Editing keeps the default; deleting it hands the mark to the newest other address.
    let (s, edited) = app
        .put(
            &format!("{list}/{second_id}"),
            &me,
            address("李四四", false),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(edited["is_default"], true);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("{list}/{second_id}"),
            Some(&me),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, all) = app.get(list, &me).await;
    assert_eq!(all["items"][0]["id"], third_id);
    assert_eq!(all["items"][0]["is_default"], true);

    // Someone else's address does not exist for me; bad input changes nothing.
    assert_error(
        &app.put(&format!("{list}/{third_id}"), &other, address("x", false))
            .await,
        404,
        "not_found",
    );
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("{list}/{third_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, theirs) = app.get(list, &other).await;
    assert_eq!(theirs["items"], json!([]));
    for (field, value) in [
        ("recipient", json!("")),
        ("phone", json!("12345")),
        ("region", json!("x")),
        ("detail", json!("")),
        ("recipient", json!("名".repeat(21))),
    ] {
        let mut bad = address("赵六", false);
        bad[field] = value;
        let got = app.post(list, &me, bad).await;
        assert_error(&got, 422, "validation_failed");
    }
    let mut extra = address("赵六", false);
    extra["account_id"] = json!(1);
    assert_error(&app.post(list, &me, extra).await, 422, "validation_failed");
    let (_, all) = app.get(list, &me).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        2,
        "nothing was added"
    );
    let (s, _) = app.call(Method::GET, list, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

crate::on_both_backends!(
    a_cart_is_priced_by_the_server_with_the_rooms_live_price,
    bad_carts_get_clear_errors,
    customers_keep_addresses_with_one_default,
);
