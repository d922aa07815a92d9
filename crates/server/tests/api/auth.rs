use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::json;

async fn staff_sign_in_sets_a_safe_cookie_and_logout_ends_it(app: TestApp) {
    app.staff("ann", &[Role::Operator]).await;
    let res = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"login": "ANN", "password": "ann-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("ss_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();

    let me = app
        .client
        .get(format!("{}/api/v1/auth/me", app.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["username"], "ann");
    assert_eq!(me["roles"], json!(["operator"]));

    let out = app
        .client
        .post(format!("{}/api/v1/auth/logout", app.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = app
        .client
        .get(format!("{}/api/v1/auth/me", app.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

async fn wrong_passwords_are_refused_then_rate_limited(app: TestApp) {
    app.staff("bob", &[Role::Analyst]).await;
    let bad = json!({"login": "bob", "password": "not-his-password"});
    for _ in 0..5 {
        assert_error(
            &app.call(Method::POST, "/api/v1/auth/login", None, Some(bad.clone()))
                .await,
            401,
            "invalid_credentials",
        );
    }
    let limited = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "bob", "password": "bob-password"})),
        )
        .await;
    assert_error(&limited, 429, "rate_limited");
    // An unknown login answers exactly like a wrong password.
    assert_error(
        &app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "nobody", "password": "whatever1"})),
        )
        .await,
        401,
        "invalid_credentials",
    );
}

async fn customers_register_by_phone_or_email_once(app: TestApp) {
    let token = app.customer("13800000009").await;
    let (s, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["kind"], "customer");
    assert_eq!(me["phone"], "13800000009");
    let again = app
        .call(Method::POST, "/api/v1/auth/register", None, Some(json!({"phone": "+86 138 0000 0009", "nickname": "x", "password": "another-password"})))
        .await;
    assert_error(&again, 409, "already_exists");
    let neither = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"nickname": "x", "password": "another-password"})),
        )
        .await;
    assert_error(&neither, 422, "validation_failed");
    // Sign in with the phone as typed differently.
    app.login("+86 13800000009", "customer-password").await;
}

async fn every_staff_endpoint_checks_the_role(app: TestApp) {
    assert_error(
        &app.call(Method::GET, "/api/v1/products", None, None).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &app.call(Method::GET, "/api/v1/products", Some(&"0".repeat(64)), None)
            .await,
        401,
        "unauthenticated",
    );
    let customer = app.customer("13800000008").await;
    assert_error(
        &app.get("/api/v1/products", &customer).await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get("/api/v1/sessions", &customer).await,
        403,
        "forbidden",
    );
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let (s, _) = app.get("/api/v1/products", &analyst).await;
    assert_eq!(s, StatusCode::OK, "any staff may read the catalog");
    let product = json!({"title": "t", "skus": [{"code": "A1", "price_fen": 100, "stock": 1}]});
    assert_error(
        &app.post("/api/v1/products", &analyst, product.clone())
            .await,
        403,
        "forbidden",
    );
    assert_error(&app.get("/api/v1/staff", &analyst).await, 403, "forbidden");
    assert_error(
        &app.put(
            "/api/v1/brand",
            &analyst,
            json!({"name": "x", "logo_url": null, "time_zone": "Asia/Shanghai", "currency": "CNY"}),
        )
        .await,
        403,
        "forbidden",
    );
    let admin = app.staff("root", &[Role::Admin]).await;
    let (s, _) = app.post("/api/v1/products", &admin, product).await;
    assert_eq!(s, StatusCode::CREATED, "admins hold every role");
}

async fn brand_settings_are_public_and_admin_edited(app: TestApp) {
    let (s, brand) = app.call(Method::GET, "/api/v1/brand", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(brand["time_zone"], "Asia/Shanghai");
    assert_eq!(brand["currency"], "CNY");
    let admin = app.staff("root", &[Role::Admin]).await;
    let (s, brand) = app
        .put("/api/v1/brand", &admin, json!({"name": "花间 Blossom", "logo_url": "/logo.svg", "time_zone": "Asia/Shanghai", "currency": "CNY"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{brand}");
    assert_eq!(brand["name"], "花间 Blossom");
    let bad = app
        .put(
            "/api/v1/brand",
            &admin,
            json!({"name": "x", "logo_url": null, "time_zone": "Shanghai", "currency": "CNY"}),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
}

/// First taps arrive together when a sale opens: their sessions are looked up in batches, and
/// every request must still get its own account, never a neighbour's, and a signed-out or
/// unknown token none.
async fn many_first_taps_at_once_each_get_their_own_account(app: TestApp) {
    let accounts = sellstream_accounts::Accounts::new(app.store.clone());
    let mut tokens = Vec::new();
    for phone in ["13900000001", "13900000002", "13900000003"] {
        let token = app.customer(phone).await;
        let (_, me) = app.get("/api/v1/auth/me", &token).await;
        let account = accounts.get(me["id"].as_i64().unwrap()).await.unwrap();
        tokens.push((token, me["id"].clone()));
        for _ in 0..40 {
            let more = accounts
                .start_session(account.clone(), None, None)
                .await
                .unwrap();
            tokens.push((more.token.as_str().to_owned(), me["id"].clone()));
        }
    }
    let staff = app.staff("cat", &[Role::Controller]).await;
    let (_, cat) = app.get("/api/v1/auth/me", &staff).await;
    tokens.push((staff, cat["id"].clone()));
    let gone = tokens[5].0.clone();
    let (s, _) = app.post("/api/v1/auth/logout", &gone, json!({})).await;
    assert_eq!(s, 204);
    // Each token several times, interleaved, plus unknown ones.
    let mut asks: Vec<(String, serde_json::Value)> = Vec::new();
    for round in 0..3 {
        for (i, (t, id)) in tokens.iter().enumerate() {
            let expected = if *t == gone { json!(null) } else { id.clone() };
            asks.push((t.clone(), expected));
            if (i + round) % 17 == 0 {
                asks.push((format!("ss_{round}_{i}_not_a_session"), json!(null)));
            }
        }
    }
    let answers =
        futures_util::future::join_all(asks.iter().map(|(t, _)| app.get("/api/v1/auth/me", t)))
            .await;
    for ((_, expected), (status, body)) in asks.iter().zip(answers) {
        if expected.is_null() {
            assert_eq!(status, 401, "{body}");
        } else {
            assert_eq!(status, 200, "{body}");
            assert_eq!(&body["id"], expected);
            if body["id"] == cat["id"] {
                assert_eq!(body["roles"], json!(["controller"]));
            }
        }
    }
}

crate::on_both_backends!(
    many_first_taps_at_once_each_get_their_own_account,
    staff_sign_in_sets_a_safe_cookie_and_logout_ends_it,
    wrong_passwords_are_refused_then_rate_limited,
    customers_register_by_phone_or_email_once,
    every_staff_endpoint_checks_the_role,
    brand_settings_are_public_and_admin_edited,
);
