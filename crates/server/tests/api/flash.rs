//! Flash sales through the stock ledger: the quota sold and never more, limits and keys judged
//! inside the writer, times, cancellations giving units back to the sale, the room counting down
//! and showing what is left, and two nodes selling one sale.

use crate::common::{assert_error, TestApp};
use crate::room::Viewer;
use reqwest::StatusCode;
use sellstream_accounts::Role;
use sellstream_store::Row;
use serde_json::{json, Value};

struct Sale {
    op: String,
    session: i64,
    sku: i64,
    sale: i64,
}

/// A live session with a product of `stock` units, and a flash sale on it.
async fn sale(app: &TestApp, stock: i64, sale: Value) -> Sale {
    let op = app.staff("ctrl", &[Role::Controller, Role::Operator]).await;
    let (_, p) = app
        .post(
            "/api/v1/products",
            &op,
            json!({"title": "爆款", "skus": [{"code": "HOT", "price_fen": 19900, "stock": stock}]}),
        )
        .await;
    let (_, s) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "秒杀专场", "theme": "limited_discount",
            "scheduled_start": "2026-01-01T12:00:00Z", "scheduled_end": "2026-01-01T14:00:00Z"}),
        )
        .await;
    let session = s["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/sessions/{session}/bag"),
        &op,
        json!({"product_id": p["id"]}),
    )
    .await;
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "live"}),
    )
    .await;
    let sku = p["skus"][0]["id"].as_i64().unwrap();
    let mut body = sale;
    body["sku_id"] = json!(sku);
    let (st, f) = app
        .post(
            &format!("/api/v1/sessions/{session}/flash-sales"),
            &op,
            body,
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{f}");
    Sale {
        op,
        session,
        sku,
        sale: f["id"].as_i64().unwrap(),
    }
}

/// `n` customers with an address each: (token, address id).
async fn buyers(app: &TestApp, n: usize, prefix: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for i in 0..n {
        let phone = format!("{prefix}{i:04}");
        let token = app.customer(&phone).await;
        let (_, a) = app
            .post(
                "/api/v1/me/addresses",
                &token,
                json!({"recipient": "买家", "phone": phone, "region": "上海市 浦东新区", "detail": "世纪大道 100 号"}),
            )
            .await;
        out.push((token, a["id"].as_i64().unwrap()));
    }
    out
}

fn buy(s: &Sale, address: i64, quantity: u32) -> Value {
    json!({"flash_sale_id": s.sale, "session_id": s.session,
           "items": [{"sku_id": s.sku, "quantity": quantity}], "address_id": address})
}

async fn order(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let res = client
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let st = res.status();
    (st, res.json().await.unwrap())
}

async fn one(app: &TestApp, sql: &str, id: i64) -> i64 {
    sqlx::query(sql)
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn a_flash_sale_sells_its_quota_and_never_more(app: TestApp) {
    let s = sale(
        &app,
        50,
        json!({"quota": 10, "price_fen": 9900, "per_customer": 1, "countdown_secs": 0}),
    )
    .await;
    assert_eq!(
        one(&app, "SELECT stock FROM skus WHERE id = $1", s.sku).await,
        40,
        "the quota leaves the shelf"
    );
    let viewer_token = app.customer("13500009999").await;
    let mut viewer = Viewer::join(&app, s.session, Some(&viewer_token)).await;
    let people = buyers(&app, 30, "1350000").await;
    let tasks: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, (token, address))| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
            let body = buy(&s, *address, 1);
            tokio::spawn(
                async move { order(&client, &base, &token, &format!("k{i}"), &body).await },
            )
        })
        .collect();
    let (mut told, mut sold_out) = (Vec::new(), 0);
    for t in tasks {
        let (st, body) = t.await.unwrap();
        match st {
            StatusCode::CREATED => {
                assert_eq!(body["flash_sale_id"], s.sale);
                assert_eq!(body["total_fen"], 9900, "the flash price");
                assert!(body["price_lines"].to_string().contains("flash price"));
                told.push(body["id"].as_i64().unwrap());
            }
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "out_of_stock", "{body}");
                sold_out += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((told.len(), sold_out), (10, 20));
    assert_eq!(
        one(
            &app,
            "SELECT remaining FROM flash_sales WHERE id = $1",
            s.sale
        )
        .await,
        0
    );
    assert_eq!(
        one(
            &app,
            "SELECT COUNT(*) FROM orders WHERE flash_sale_id = $1",
            s.sale
        )
        .await,
        10,
        "every acknowledged order exists, once"
    );
    for id in &told {
        assert_eq!(
            one(&app, "SELECT COUNT(*) FROM orders WHERE id = $1", *id).await,
            1
        );
    }
    // The room saw the sale and its end of stock.
    let sold = viewer
        .event_where("flash_stock", |e| e["id"] == s.sale && e["remaining"] == 0)
        .await;
    assert_eq!(sold["sold_out"], true);
    let (_, figures) = app
        .get(
            &format!("/api/v1/sessions/{}/flash-sales", s.session),
            &s.op,
        )
        .await;
    assert_eq!(figures["items"][0]["orders"], 10, "{figures}");
    assert_eq!(figures["items"][0]["gmv_fen"], 99000);
    assert_eq!(figures["items"][0]["phase"], "sold_out");
    // A cancelled order gives its unit back to the sale, and someone else can buy it.
    let (st, _) = app
        .post(
            &format!("/api/v1/orders/{}/cancel", told[0]),
            &s.op,
            json!({"reason": "test"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        one(
            &app,
            "SELECT remaining FROM flash_sales WHERE id = $1",
            s.sale
        )
        .await,
        1
    );
    let (late, address) = &buyers(&app, 1, "1350001").await[0];
    let (st, body) = order(&app.client, &app.base, late, "late", &buy(&s, *address, 1)).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    // Ended: unsold units go back to the shelf (none here), and buying stops.
    let (st, ended) = app
        .post(
            &format!("/api/v1/flash-sales/{}/end", s.sale),
            &s.op,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{ended}");
    assert_eq!(ended["phase"], "ended");
    assert_eq!(ended["returned"], 0);
    assert_eq!(
        one(&app, "SELECT stock FROM skus WHERE id = $1", s.sku).await,
        40
    );
}

async fn limits_keys_and_times_are_judged_inside_the_writer(app: TestApp) {
    let s = sale(
        &app,
        100,
        json!({"quota": 20, "price_fen": 9900, "per_customer": 2, "countdown_secs": 0}),
    )
    .await;
    let people = buyers(&app, 2, "1360000").await;
    let (token, address) = people[0].clone();
    // Five requests at once from one customer with different keys: the limit holds.
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
            let body = buy(&s, address, 1);
            tokio::spawn(
                async move { order(&client, &base, &token, &format!("mine-{i}"), &body).await },
            )
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let (st, body) = t.await.unwrap();
        if st == StatusCode::CREATED {
            ok += 1;
        } else {
            assert_error(&(st, body), 422, "validation_failed");
        }
    }
    assert_eq!(ok, 2, "two per customer, however fast they tap");
    // The same key five times at once: one order, the others answered with it.
    let (other, other_address) = people[1].clone();
    let body = buy(&s, other_address, 1);
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (client, base, token, body) = (
                app.client.clone(),
                app.base.clone(),
                other.clone(),
                body.clone(),
            );
            tokio::spawn(async move { order(&client, &base, &token, "same-key", &body).await })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        let (st, body) = t.await.unwrap();
        assert!(
            st == StatusCode::CREATED || st == StatusCode::OK,
            "{st}: {body}"
        );
        ids.push(body["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one order for one key");
    let reused = order(
        &app.client,
        &app.base,
        &other,
        "same-key",
        &buy(&s, other_address, 2),
    )
    .await;
    assert_error(&reused, 409, "idempotency_key_reused");
    assert_eq!(
        one(
            &app,
            "SELECT remaining FROM flash_sales WHERE id = $1",
            s.sale
        )
        .await,
        17
    );
    // Coupons and points do not apply; the SKU must be the sale's.
    let mut with_points = buy(&s, other_address, 1);
    with_points["points"] = json!(10);
    assert_error(
        &order(&app.client, &app.base, &other, "p", &with_points).await,
        422,
        "validation_failed",
    );
    let mut wrong = buy(&s, other_address, 1);
    wrong["items"][0]["sku_id"] = json!(999_999);
    assert_error(
        &order(&app.client, &app.base, &other, "w", &wrong).await,
        422,
        "validation_failed",
    );
    let not_mine = order(&app.client, &app.base, &other, "addr", &buy(&s, address, 1)).await;
    assert_error(&not_mine, 404, "not_found");
    let too_many = order(
        &app.client,
        &app.base,
        &other,
        "t",
        &buy(&s, other_address, 3),
    )
    .await;
    assert_error(&too_many, 422, "validation_failed");

    // Before the start and after the end.
    let (st, later) = app
        .post(
            &format!("/api/v1/sessions/{}/flash-sales", s.session),
            &s.op,
            json!({"sku_id": s.sku, "quota": 5, "price_fen": 5000, "countdown_secs": 3600}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{later}");
    assert_eq!(later["phase"], "upcoming");
    let mut early = buy(&s, other_address, 1);
    early["flash_sale_id"] = later["id"].clone();
    let got = order(&app.client, &app.base, &other, "early", &early).await;
    assert_error(&got, 409, "illegal_transition");
    assert!(got.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not started"));
    app.post(
        &format!("/api/v1/flash-sales/{}/end", later["id"]),
        &s.op,
        json!({}),
    )
    .await;
    let got = order(&app.client, &app.base, &other, "after", &early).await;
    assert_error(&got, 409, "illegal_transition");
    // Members only.
    let (st, members) = app
        .post(
            &format!("/api/v1/sessions/{}/flash-sales", s.session),
            &s.op,
            json!({"sku_id": s.sku, "quota": 5, "price_fen": 5000, "countdown_secs": 0, "members_only": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let mut member_buy = buy(&s, other_address, 1);
    member_buy["flash_sale_id"] = members["id"].clone();
    let got = order(&app.client, &app.base, &other, "member", &member_buy).await;
    assert_error(&got, 422, "validation_failed");
    // Bad launches.
    for (body, why) in [
        (
            json!({"sku_id": s.sku, "quota": 0, "price_fen": 100}),
            "no quota",
        ),
        (
            json!({"sku_id": s.sku, "quota": 1, "price_fen": 99999}),
            "above list price",
        ),
        (
            json!({"sku_id": s.sku, "quota": 1000, "price_fen": 100}),
            "more than in stock",
        ),
        (
            json!({"sku_id": 999999, "quota": 1, "price_fen": 100}),
            "not in the bag",
        ),
    ] {
        let got = app
            .post(
                &format!("/api/v1/sessions/{}/flash-sales", s.session),
                &s.op,
                body,
            )
            .await;
        assert!(
            got.0 == StatusCode::UNPROCESSABLE_ENTITY || got.0 == StatusCode::CONFLICT,
            "{why}: {}",
            got.1
        );
    }
    let viewer = app.customer("13600009999").await;
    let refused = app
        .post(
            &format!("/api/v1/sessions/{}/flash-sales", s.session),
            &viewer,
            json!({"sku_id": s.sku, "quota": 1, "price_fen": 100}),
        )
        .await;
    assert_error(&refused, 403, "forbidden");
    // The unsold units of an ended sale go back to the shelf.
    let before = one(&app, "SELECT stock FROM skus WHERE id = $1", s.sku).await;
    let (_, ended) = app
        .post(
            &format!("/api/v1/flash-sales/{}/end", s.sale),
            &s.op,
            json!({}),
        )
        .await;
    assert_eq!(ended["returned"], 17);
    assert_eq!(
        one(&app, "SELECT stock FROM skus WHERE id = $1", s.sku).await,
        before + 17
    );
}

async fn two_nodes_selling_one_sale_never_oversell(app: TestApp) {
    let s = sale(
        &app,
        100,
        json!({"quota": 15, "price_fen": 9900, "per_customer": 1, "countdown_secs": 0}),
    )
    .await;
    let second = app.second_node().await;
    let people = buyers(&app, 40, "1370000").await;
    let tasks: Vec<_> = people
        .iter()
        .enumerate()
        .flat_map(|(i, (token, address))| {
            // Every buyer taps on both nodes at once, under different keys.
            [app.base.clone(), second.clone()]
                .into_iter()
                .enumerate()
                .map(move |(n, base)| (i, n, base, token.clone(), *address))
        })
        .map(|(i, n, base, token, address)| {
            let client = app.client.clone();
            let body = buy(&s, address, 1);
            tokio::spawn(async move {
                (
                    i,
                    order(&client, &base, &token, &format!("node{n}-{i}"), &body).await,
                )
            })
        })
        .collect();
    let mut per_buyer = vec![0; people.len()];
    let mut told = 0;
    for t in tasks {
        let (i, (st, body)) = t.await.unwrap();
        match st {
            StatusCode::CREATED => {
                told += 1;
                per_buyer[i] += 1;
            }
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(told, 15, "the quota, across both nodes");
    assert!(
        per_buyer.iter().all(|n| *n <= 1),
        "one per customer across nodes: {per_buyer:?}"
    );
    assert_eq!(
        one(
            &app,
            "SELECT remaining FROM flash_sales WHERE id = $1",
            s.sale
        )
        .await,
        0
    );
    assert_eq!(
        one(
            &app,
            "SELECT COUNT(*) FROM orders WHERE flash_sale_id = $1",
            s.sale
        )
        .await,
        15
    );
    assert_eq!(
        one(
            &app,
            "SELECT CAST(SUM(quantity) AS BIGINT) FROM flash_buyers WHERE sale_id = $1",
            s.sale
        )
        .await,
        15
    );
}

/// One account flooding the buy button is slowed down; nothing is oversold and nobody else is
/// held up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_flooding_orders_is_rate_limited() {
    let config = sellstream_server::ServerConfig {
        buys_per_customer: None,
        ..Default::default()
    };
    let app = TestApp::spawn_with(crate::common::Backend::Sqlite, config)
        .await
        .unwrap();
    let s = sale(
        &app,
        100,
        json!({"quota": 50, "price_fen": 9900, "per_customer": 1, "countdown_secs": 0}),
    )
    .await;
    let people = buyers(&app, 2, "1380000").await;
    let (flooder, address) = people[0].clone();
    let mut limited = 0;
    let mut placed = 0;
    for i in 0..30 {
        let (st, body) = order(
            &app.client,
            &app.base,
            &flooder,
            &format!("f{i}"),
            &buy(&s, address, 1),
        )
        .await;
        match st {
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(body["error"]["code"], "rate_limited");
                limited += 1;
            }
            StatusCode::CREATED => placed += 1,
            _ => assert_eq!(body["error"]["code"], "validation_failed", "{body}"),
        }
    }
    assert!(limited >= 15, "{limited} of 30 refused");
    assert_eq!(placed, 1, "one per customer however many taps");
    let (other, other_address) = people[1].clone();
    let (st, body) = order(
        &app.client,
        &app.base,
        &other,
        "o",
        &buy(&s, other_address, 1),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::CREATED,
        "another buyer is not held up: {body}"
    );
}

/// The bench's one-transaction-per-buy baseline is slower, not wrong.
async fn the_naive_baseline_sells_the_quota_too(app: TestApp) {
    let s = sale(
        &app,
        50,
        json!({"quota": 5, "price_fen": 9900, "per_customer": 1, "countdown_secs": 0, "strategy": "naive"}),
    )
    .await;
    let people = buyers(&app, 12, "1390000").await;
    let tasks: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, (token, address))| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
            let body = buy(&s, *address, 1);
            tokio::spawn(
                async move { order(&client, &base, &token, &format!("n{i}"), &body).await },
            )
        })
        .collect();
    let mut told = 0;
    for t in tasks {
        let (st, body) = t.await.unwrap();
        match st {
            StatusCode::CREATED => told += 1,
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "out_of_stock", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(told, 5);
    let (token, address) = &people[0];
    let again = order(&app.client, &app.base, token, "n0", &buy(&s, *address, 1)).await;
    assert!(
        again.0 == StatusCode::OK || again.0 == StatusCode::CONFLICT,
        "{}",
        again.1
    );
    assert_eq!(
        one(
            &app,
            "SELECT COUNT(*) FROM orders WHERE flash_sale_id = $1",
            s.sale
        )
        .await,
        5
    );
}

crate::on_both_backends!(
    the_naive_baseline_sells_the_quota_too,
    a_flash_sale_sells_its_quota_and_never_more,
    limits_keys_and_times_are_judged_inside_the_writer,
    two_nodes_selling_one_sale_never_oversell,
);
