use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};

fn tee(code_prefix: &str) -> Value {
    json!({
        "title": "纯棉T恤",
        "description": "240g",
        "images": ["/demo/tshirt.svg", "https://img.example.com/t.png"],
        "skus": [
            {"code": format!("{code_prefix}-M"), "attributes": {"颜色": "白", "尺码": "M"}, "price_fen": 7900, "stock": 10},
            {"code": format!("{code_prefix}-L"), "attributes": {"颜色": "白", "尺码": "L"}, "price_fen": 8900, "stock": 5}
        ]
    })
}

async fn product_count(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/products", token).await.1["total"]
        .as_i64()
        .unwrap()
}

async fn operators_create_edit_search_and_delete_products(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (s, p) = app.post("/api/v1/products", &op, tee("TEE")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["skus"].as_array().unwrap().len(), 2);
    assert_eq!(p["price_min_fen"], 7900);
    assert_eq!(p["price_max_fen"], 8900);
    assert_eq!(p["total_stock"], 15);
    assert_eq!(p["on_shelf"], true);
    let id = p["id"].as_i64().unwrap();

    // Search by title and by exact SKU code; filter by shelf.
    let (_, found) = app.get("/api/v1/products?q=t%E6%81%A4", &op).await;
    assert_eq!(found["total"], 1, "{found}");
    let (_, found) = app.get("/api/v1/products?q=TEE-L", &op).await;
    assert_eq!(found["items"][0]["id"], id);
    let (_, off) = app.get("/api/v1/products?on_shelf=false", &op).await;
    assert_eq!(off["total"], 0);

    // Edit: swap the two codes, change a price, drop nothing, add a third SKU, take it off the shelf.
    let skus = p["skus"].as_array().unwrap();
    let edit = json!({
        "title": "纯棉T恤 2.0", "on_shelf": false, "images": [],
        "skus": [
            {"id": skus[0]["id"], "code": "TEE-L", "attributes": {"尺码": "L"}, "price_fen": 9900, "stock": 3},
            {"id": skus[1]["id"], "code": "TEE-M", "attributes": {"尺码": "M"}, "price_fen": 7900, "stock": 4},
            {"code": "TEE-XL", "attributes": {"尺码": "XL"}, "price_fen": 9900, "stock": 2}
        ]
    });
    let (s, p2) = app.put(&format!("/api/v1/products/{id}"), &op, edit).await;
    assert_eq!(s, StatusCode::OK, "{p2}");
    assert_eq!(p2["title"], "纯棉T恤 2.0");
    assert_eq!(p2["on_shelf"], false);
    assert_eq!(p2["skus"][0]["code"], "TEE-L");
    assert_eq!(p2["skus"][0]["id"], skus[0]["id"]);
    assert_eq!(p2["skus"][2]["code"], "TEE-XL");
    assert_eq!(p2["total_stock"], 9);

    // Removing a SKU by leaving it out.
    let keep_one = json!({"title": "纯棉T恤 2.0", "skus": [{"id": p2["skus"][2]["id"], "code": "TEE-XL", "price_fen": 9900, "stock": 2}]});
    let (_, p3) = app
        .put(&format!("/api/v1/products/{id}"), &op, keep_one)
        .await;
    assert_eq!(p3["skus"].as_array().unwrap().len(), 1);

    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/products/{id}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.get(&format!("/api/v1/products/{id}"), &op).await,
        404,
        "not_found",
    );
}

async fn duplicate_sku_codes_are_refused_and_nothing_is_half_saved(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let (s, first) = app.post("/api/v1/products", &op, tee("DUP")).await;
    assert_eq!(s, StatusCode::CREATED);
    // Second product: first SKU new, second collides with the first product's code.
    let mut clash = tee("NEW");
    clash["skus"][1]["code"] = json!("DUP-M");
    assert_error(
        &app.post("/api/v1/products", &op, clash).await,
        409,
        "duplicate_sku_code",
    );
    assert_eq!(
        product_count(&app, &op).await,
        1,
        "the product of a failed create is not kept"
    );
    let (_, found) = app.get("/api/v1/products?q=NEW-M", &op).await;
    assert_eq!(found["total"], 0, "nor its first SKU");
    // Within one request.
    let mut twice = tee("TW");
    twice["skus"][1]["code"] = json!("TW-M");
    assert_error(
        &app.post("/api/v1/products", &op, twice).await,
        409,
        "duplicate_sku_code",
    );
    // An update that collides leaves the product as it was.
    let id = first["id"].as_i64().unwrap();
    let (_, other) = app.post("/api/v1/products", &op, tee("OTHER")).await;
    let mut bad = tee("DUP");
    bad["title"] = json!("changed");
    bad["skus"][0]["code"] = other["skus"][0]["code"].clone();
    assert_error(
        &app.put(&format!("/api/v1/products/{id}"), &op, bad).await,
        409,
        "duplicate_sku_code",
    );
    let (_, unchanged) = app.get(&format!("/api/v1/products/{id}"), &op).await;
    assert_eq!(unchanged["title"], "纯棉T恤");
    assert_eq!(unchanged["skus"], first["skus"]);
}

async fn bad_input_gets_clear_errors(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let mut negative = tee("NEG");
    negative["skus"][0]["price_fen"] = json!(-1);
    let e = app.post("/api/v1/products", &op, negative).await;
    assert_error(&e, 422, "validation_failed");
    assert!(e.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("skus[0].price_fen"));

    let mut fractional = tee("FRA");
    fractional["skus"][1]["price_fen"] = json!(12.5);
    let e = app.post("/api/v1/products", &op, fractional).await;
    assert_error(&e, 422, "validation_failed");
    assert!(
        e.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("price_fen"),
        "{}",
        e.1
    );

    let mut wrong_type = tee("WT");
    wrong_type["title"] = json!(42);
    assert_error(
        &app.post("/api/v1/products", &op, wrong_type).await,
        422,
        "validation_failed",
    );
    let mut unknown_field = tee("UF");
    unknown_field["colour"] = json!("red");
    assert_error(
        &app.post("/api/v1/products", &op, unknown_field).await,
        422,
        "validation_failed",
    );
    let mut no_skus = tee("NS");
    no_skus["skus"] = json!([]);
    assert_error(
        &app.post("/api/v1/products", &op, no_skus).await,
        422,
        "validation_failed",
    );

    assert_error(
        &app.raw(Method::POST, "/api/v1/products", &op, "{\"title\": ")
            .await,
        400,
        "invalid_json",
    );
    let huge = format!(
        "{{\"title\":\"{}\",\"skus\":[]}}",
        "x".repeat(1024 * 1024 + 10)
    );
    assert_error(
        &app.raw(Method::POST, "/api/v1/products", &op, huge).await,
        413,
        "payload_too_large",
    );
    let no_content_type = app
        .client
        .post(format!("{}/api/v1/products", app.base))
        .bearer_auth(&op)
        .body(tee("CT").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(no_content_type.status(), 400);

    assert_error(
        &app.get("/api/v1/products/999999", &op).await,
        404,
        "not_found",
    );
    assert_error(
        &app.get("/api/v1/products/abc", &op).await,
        404,
        "not_found",
    );
    assert_error(
        &app.put("/api/v1/products/999999", &op, tee("U")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.get("/api/v1/products?page=x", &op).await,
        422,
        "validation_failed",
    );
    assert_eq!(
        product_count(&app, &op).await,
        0,
        "nothing was saved by any bad request"
    );
}

async fn lists_paginate_the_same_way(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    for i in 0..5 {
        let (s, _) = app
            .post("/api/v1/products", &op, tee(&format!("P{i}")))
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (_, page) = app.get("/api/v1/products?page=2&per_page=2", &op).await;
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    assert_eq!(page["total"], 5);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, last) = app.get("/api/v1/products?page=3&per_page=2", &op).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    let (_, clamped) = app.get("/api/v1/products?per_page=1000", &op).await;
    assert_eq!(clamped["per_page"], 100);
}

async fn categories_form_a_tree_that_products_are_filed_under(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let host = app.staff("host", &[Role::Host]).await;
    let (s, beauty) = app
        .post("/api/v1/categories", &op, json!({"name": "美妆"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{beauty}");
    let beauty = beauty["id"].as_i64().unwrap();
    let (_, lips) = app
        .post(
            "/api/v1/categories",
            &op,
            json!({"name": "口红", "parent_id": beauty}),
        )
        .await;
    let lips = lips["id"].as_i64().unwrap();
    let (_, food) = app
        .post(
            "/api/v1/categories",
            &op,
            json!({"name": " 食品 ", "position": -1}),
        )
        .await;
    assert_eq!(food["name"], "食品", "names are trimmed");
    let food = food["id"].as_i64().unwrap();

    // Read top-down: siblings by position, children right after their parent.
    let (s, tree) = app.get("/api/v1/categories", &host).await;
    assert_eq!(s, StatusCode::OK);
    let order: Vec<i64> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![food, beauty, lips]);

    // Names are unique among siblings only.
    let dup = app
        .post("/api/v1/categories", &op, json!({"name": "美妆"}))
        .await;
    assert_error(&dup, 409, "already_exists");
    let (s, _) = app
        .post(
            "/api/v1/categories",
            &op,
            json!({"name": "美妆", "parent_id": food}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "the same name under another parent");

    // A category cannot move under itself or its own child; an unknown parent is refused.
    let cycle = app
        .put(
            &format!("/api/v1/categories/{beauty}"),
            &op,
            json!({"name": "美妆", "parent_id": lips}),
        )
        .await;
    assert_error(&cycle, 422, "validation_failed");
    let unknown = app
        .post(
            "/api/v1/categories",
            &op,
            json!({"name": "x", "parent_id": 999_999}),
        )
        .await;
    assert_error(&unknown, 422, "validation_failed");
    let blank = app
        .post("/api/v1/categories", &op, json!({"name": "  "}))
        .await;
    assert_error(&blank, 422, "validation_failed");
    let denied = app
        .post("/api/v1/categories", &host, json!({"name": "x"}))
        .await;
    assert_error(&denied, 403, "forbidden");

    // Products are filed under a category, with a per-customer purchase limit, and filtered by it.
    let mut body = tee("LIP");
    body["category_id"] = json!(lips);
    body["purchase_limit"] = json!(2);
    let (s, p) = app.post("/api/v1/products", &op, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["category_id"], lips);
    assert_eq!(p["purchase_limit"], 2);
    let pid = p["id"].as_i64().unwrap();
    app.post("/api/v1/products", &op, tee("OTHER")).await;
    let (_, filed) = app
        .get(&format!("/api/v1/products?category_id={lips}"), &op)
        .await;
    assert_eq!(filed["total"], 1, "{filed}");
    assert_eq!(filed["items"][0]["id"], pid);
    let (_, tree) = app.get("/api/v1/categories", &op).await;
    let lips_row = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == lips)
        .unwrap()
        .clone();
    assert_eq!(lips_row["products"], 1);

    let mut bad = tee("BAD");
    bad["purchase_limit"] = json!(0);
    assert_error(
        &app.post("/api/v1/products", &op, bad.clone()).await,
        422,
        "validation_failed",
    );
    bad["purchase_limit"] = json!(1000);
    assert_error(
        &app.post("/api/v1/products", &op, bad.clone()).await,
        422,
        "validation_failed",
    );
    bad["purchase_limit"] = Value::Null;
    bad["category_id"] = json!(424_242);
    assert_error(
        &app.post("/api/v1/products", &op, bad).await,
        422,
        "validation_failed",
    );

    // A parent with children cannot go; a leaf can, and its products become uncategorised.
    let (s, body) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/categories/{beauty}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/categories/{lips}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = app.get(&format!("/api/v1/products/{pid}"), &op).await;
    assert_eq!(p["category_id"], Value::Null);
    assert_eq!(p["purchase_limit"], 2);
}

crate::on_both_backends!(
    categories_form_a_tree_that_products_are_filed_under,
    operators_create_edit_search_and_delete_products,
    duplicate_sku_codes_are_refused_and_nothing_is_half_saved,
    bad_input_gets_clear_errors,
    lists_paginate_the_same_way,
);
