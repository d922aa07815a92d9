use crate::common::{assert_error, TestApp};
use crate::room::live_room;
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::json;

async fn a_review_keeps_notes_and_action_items_until_someone_closes_them(app: TestApp) {
    let (session, _, op) = live_room(&app).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let host = app.staff("mei", &[Role::Host]).await;
    let host_id = app.get("/api/v1/auth/me", &host).await.1["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/sessions/{session}/review-notes");

    let (s, empty) = app.get(&path, &analyst).await;
    assert_eq!(s, StatusCode::OK, "{empty}");
    assert_eq!(
        (empty["went_well"].clone(), empty["actions"].clone()),
        (json!(""), json!([]))
    );
    assert!(
        empty["metrics"].is_object(),
        "the figures come with the notes: {empty}"
    );

    let (s, notes) = app
        .put(
            &path,
            &host,
            json!({"went_well": "开场五分钟留存高", "to_improve": "第二个商品讲解超时"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{notes}");
    assert_eq!(notes["updated_by"], "mei nick");
    assert_error(
        &app.put(&path, &analyst, json!({"went_well": "x"})).await,
        403,
        "forbidden",
    );

    let (s, item) = app
        .post(
            &format!("/api/v1/sessions/{session}/actions"),
            &op,
            json!({"text": "讲解稿压缩到 8 分钟", "owner_id": host_id, "due_on": "2020-01-31"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{item}");
    assert_eq!(
        (item["owner_name"].clone(), item["overdue"].clone()),
        (json!("mei nick"), json!(true))
    );
    let id = item["id"].as_i64().unwrap();
    // Open items show on every plan until closed.
    let (_, open) = app.get("/api/v1/actions", &analyst).await;
    assert_eq!(open["items"][0]["id"], id, "{open}");
    assert_eq!(open["items"][0]["session_id"], session);
    let (s, closed) = app
        .put(
            &format!("/api/v1/actions/{id}"),
            &host,
            json!({"text": "讲解稿压缩到 8 分钟", "owner_id": host_id, "due_on": "2020-01-31", "done": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    assert!(
        closed["done_at"].is_string() && closed["overdue"] == false,
        "{closed}"
    );
    let (_, open) = app.get("/api/v1/actions", &analyst).await;
    assert_eq!(open["items"], json!([]));
    let (_, review) = app.get(&path, &analyst).await;
    assert_eq!(
        review["actions"].as_array().unwrap().len(),
        1,
        "closed items stay in the review"
    );

    // Bad input: clear errors, nothing saved.
    let actions = format!("/api/v1/sessions/{session}/actions");
    let add = |body| app.post(&actions, &op, body);
    for (body, why) in [
        (
            json!({"text": "", "owner_id": host_id, "due_on": "2026-12-01"}),
            "text",
        ),
        (
            json!({"text": "x", "owner_id": host_id, "due_on": "next week"}),
            "due_on",
        ),
        (
            json!({"text": "x", "owner_id": 424242, "due_on": "2026-12-01"}),
            "owner_id",
        ),
    ] {
        let e = add(body).await;
        assert_error(&e, 422, "validation_failed");
        assert!(
            e.1["error"]["message"].as_str().unwrap().starts_with(why),
            "{}",
            e.1
        );
    }
    assert_error(
        &app.put(&path, &op, json!({"went_well": "好".repeat(5001)}))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/sessions/424242/review-notes", &op).await,
        404,
        "not_found",
    );
    assert_error(
        &app.put(
            "/api/v1/actions/424242",
            &op,
            json!({"text": "x", "owner_id": host_id, "due_on": "2026-12-01"}),
        )
        .await,
        404,
        "not_found",
    );
    // A session that has not gone live has no review yet.
    let now = sellstream_core::Timestamp::now();
    let (_, later) = app
        .post(
            "/api/v1/sessions",
            &op,
            json!({"title": "下周专场", "theme": "custom", "scheduled_start": now.plus_seconds(86_400).to_string(),
                   "scheduled_end": now.plus_seconds(90_000).to_string()}),
        )
        .await;
    let later = later["id"].as_i64().unwrap();
    assert_error(
        &app.put(
            &format!("/api/v1/sessions/{later}/review-notes"),
            &op,
            json!({"went_well": "?"}),
        )
        .await,
        409,
        "conflict",
    );
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/actions/{id}"),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, review) = app.get(&path, &analyst).await;
    assert_eq!(review["actions"], json!([]));
    assert_eq!(review["went_well"], "开场五分钟留存高");
}

crate::on_both_backends!(a_review_keeps_notes_and_action_items_until_someone_closes_them);
