use crate::common::{assert_error, TestApp};
use reqwest::StatusCode;
use sellstream_accounts::Role;
use serde_json::json;

async fn admins_manage_staff_and_their_roles(app: TestApp) {
    let admin = app.staff("root", &[Role::Admin]).await;
    let (s, mei) = app
        .post("/api/v1/staff", &admin, json!({"username": "Mei", "nickname": "主播小美", "password": "mei-password", "roles": ["host", "controller"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mei}");
    assert_eq!(mei["username"], "mei");
    assert_eq!(mei["roles"], json!(["host", "controller"]));
    let id = mei["id"].as_i64().unwrap();
    assert_error(
        &app.post("/api/v1/staff", &admin, json!({"username": "mei", "nickname": "x", "password": "another-pass", "roles": ["host"]})).await,
        409,
        "already_exists",
    );
    assert_error(
        &app.post(
            "/api/v1/staff",
            &admin,
            json!({"username": "nobody", "nickname": "x", "password": "another-pass", "roles": []}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/staff", &admin, json!({"username": "x1", "nickname": "x", "password": "another-pass", "roles": ["boss"]})).await,
        422,
        "validation_failed",
    );
    let (_, hosts) = app.get("/api/v1/staff?role=host", &admin).await;
    assert_eq!(hosts["total"], 1);

    let token = app.login("mei", "mei-password").await;
    let (s, patched) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/staff/{id}"),
            Some(&admin),
            Some(json!({"roles": ["operator"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(patched["roles"], json!(["operator"]));
    let (_, me) = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(me["roles"], json!(["operator"]), "roles apply at once");

    // Reset password: the old sessions end, the new password works.
    let (s, _) = app
        .post(
            &format!("/api/v1/staff/{id}/password"),
            &admin,
            json!({"password": "fresh-password"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.get("/api/v1/auth/me", &token).await,
        401,
        "unauthenticated",
    );
    let token = app.login("mei", "fresh-password").await;

    // Disable: signed out and refused.
    let (s, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/staff/{id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_error(
        &app.get("/api/v1/auth/me", &token).await,
        401,
        "unauthenticated",
    );
    let refused = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "mei", "password": "fresh-password"})),
        )
        .await;
    assert_error(&refused, 403, "account_disabled");

    // An admin cannot lock themselves out.
    let me = app.get("/api/v1/auth/me", &admin).await.1["id"]
        .as_i64()
        .unwrap();
    assert_error(
        &app.call(
            reqwest::Method::PATCH,
            &format!("/api/v1/staff/{me}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.call(
            reqwest::Method::PATCH,
            "/api/v1/staff/99999",
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await,
        404,
        "not_found",
    );
}

crate::on_both_backends!(admins_manage_staff_and_their_roles);
