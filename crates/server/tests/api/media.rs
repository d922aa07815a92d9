//! Stream keys and the media server's callbacks, with nginx played by the test (the real nginx
//! is in the CLI's test).

use crate::common::{assert_error, TestApp};
use crate::room::Viewer;
use reqwest::StatusCode;
use sellstream_accounts::Role;
use serde_json::{json, Value};

async fn hook(
    app: &TestApp,
    path: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let res = app
        .client
        .post(format!(
            "{}/api/v1/media/hooks/{path}?secret={secret}",
            app.base
        ))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

fn publish<'a>(key: &'a str, client: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("call", "publish"),
        ("app", "live"),
        ("name", key),
        ("addr", "192.0.2.7"),
        ("clientid", client),
        ("tcurl", "rtmp://media.example.com:19350/live"),
    ]
}

/// A scheduled session, made by `op`: its id.
async fn scheduled_session(app: &TestApp, op: &str, title: &str) -> i64 {
    let (s, sess) = app
        .post(
            "/api/v1/sessions",
            op,
            json!({"title": title, "theme": "custom",
            "scheduled_start": "2026-01-01T12:00:00Z", "scheduled_end": "2026-01-01T14:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sess}");
    sess["id"].as_i64().unwrap()
}

async fn a_stream_key_lets_one_encoder_in_and_the_room_sees_the_stream(app: TestApp) {
    let op = app.staff("olga", &[Role::Operator]).await;
    let analyst = app.staff("andy", &[Role::Analyst]).await;
    let id = scheduled_session(&app, &op, "新品首发").await;
    let key_path = format!("/api/v1/sessions/{id}/stream-key");
    assert_error(&app.get(&key_path, &analyst).await, 403, "forbidden");
    let (_, none) = app.get(&key_path, &op).await;
    assert_eq!(none["exists"], false);
    let (s, issued) = app.post(&key_path, &op, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{issued}");
    let key = issued["key"].as_str().unwrap().to_owned();
    let (_, status) = app.get(&key_path, &op).await;
    assert_eq!(status["exists"], true);
    assert!(!status.to_string().contains(&key), "shown once: {status}");
    // Only the hash is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT key_hash FROM stream_keys")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert!(stored.iter().all(|h| h.len() == 64 && !h.contains(&key)));

    let secret = app.state.media_secret.to_string();
    // A wrong secret, a malformed key, an unknown key: refused.
    assert_eq!(
        hook(&app, "publish", "nope", &publish(&key, "1")).await.0,
        403
    );
    assert_eq!(
        hook(&app, "publish", &secret, &publish("hello", "1"))
            .await
            .0,
        403
    );
    let unknown = format!("ss_{}", "A".repeat(32));
    let (s, _, body) = hook(&app, "publish", &secret, &publish(&unknown, "1")).await;
    assert_eq!(s, 403);
    assert!(!body.contains(&unknown), "{body}");

    // A viewer asked to be reminded.
    let fan = app.customer("13900000501").await;
    app.post("/api/v1/me/reminders", &fan, json!({"session_id": id}))
        .await;

    // The good key: relayed to nginx's `show` application under the session's stream name; the
    // scheduled session goes live, the room hears it, and the reminder goes out.
    let (s, location, _) = hook(&app, "publish", &secret, &publish(&key, "7")).await;
    assert_eq!(s, 302);
    assert_eq!(
        location,
        format!("rtmp://127.0.0.1:19350/show/session-{id}")
    );
    let (_, public) = app.get(&format!("/api/v1/public/sessions/{id}"), "").await;
    assert_eq!(public["state"], "live");
    assert_eq!(public["video"]["state"], "live");
    let mut told = false;
    for _ in 0..100 {
        let (_, inbox) = app.get("/api/v1/me/notifications", &fan).await;
        if inbox["items"].as_array().is_some_and(|i| !i.is_empty()) {
            told = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(told, "an encoder starting the show sends the reminders too");
    assert_eq!(
        public["video"]["hls_url"],
        format!("/media/hls/session-{id}.m3u8")
    );
    let mut viewer = Viewer::join(&app, id, None).await;

    // A second encoder on the same key, while the first streams: refused.
    assert_eq!(
        hook(&app, "publish", &secret, &publish(&key, "8")).await.0,
        409
    );
    let (_, status) = app.get(&key_path, &op).await;
    assert_eq!(status["publishing"], true);

    // The encoder stops: the room shows the cover again; the session stays live.
    let done = [
        ("call", "publish_done"),
        ("app", "live"),
        ("name", "x"),
        ("clientid", "7"),
    ];
    assert_eq!(hook(&app, "publish-done", &secret, &done).await.0, 204);
    let ev = viewer.event("video").await;
    assert_eq!(ev["state"], "offline", "{ev}");
    let (_, status) = app.get(&key_path, &op).await;
    assert_eq!(status["publishing"], false);
    assert!(status["last_publish_ended_at"].is_string());
    // The host reconnects with the same key.
    assert_eq!(
        hook(&app, "publish", &secret, &publish(&key, "9")).await.0,
        302
    );
    let ev = viewer.event("video").await;
    assert_eq!(ev["state"], "live", "{ev}");

    // Rotating ends the stream and the old key stops working.
    let (_, rotated) = app.post(&key_path, &op, json!({})).await;
    let (s, _, _) = hook(&app, "publish", &secret, &publish(&key, "10")).await;
    assert_eq!(s, 403);
    let (_, status) = app.get(&key_path, &op).await;
    assert_eq!(status["publishing"], false);
    assert_eq!(status["hint"], rotated["hint"]);
    // Revoked: nothing publishes, and revoking twice says there is nothing to revoke.
    let new_key = rotated["key"].as_str().unwrap().to_owned();
    let res = app
        .client
        .delete(format!("{}{key_path}", app.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        hook(&app, "publish", &secret, &publish(&new_key, "11"))
            .await
            .0,
        403
    );
    let res = app
        .client
        .delete(format!("{}{key_path}", app.base))
        .bearer_auth(&op)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // An ended session takes no key and no stream.
    let (_, k3) = app.post(&key_path, &op, json!({})).await;
    let k3 = k3["key"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/sessions/{id}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    assert_error(
        &app.post(&key_path, &op, json!({})).await,
        409,
        "illegal_transition",
    );
    let (s, _, body) = hook(&app, "publish", &secret, &publish(&k3, "12")).await;
    assert_eq!(s, 409, "{body}");
    let metrics = app.metrics().await;
    for outcome in [
        "accepted",
        "bad_key",
        "busy",
        "bad_secret",
        "session_closed",
        "stopped",
    ] {
        assert!(
            metrics.contains(&format!(
                "sellstream_media_publishes_total{{kind=\"{outcome}\"}}"
            )),
            "{outcome}: {metrics}"
        );
    }
    let _: Value = public;
}

async fn channel_push_credentials_are_sealed_and_bad_simulcast_requests_are_refused(app: TestApp) {
    let op = app.staff("otto", &[Role::Operator]).await;
    let ctl = app.staff("cara", &[Role::Controller]).await;
    let bad = [
        (
            json!({"code": "Douyin Main", "platform": "douyin", "name": "x"}),
            "code",
        ),
        (
            json!({"code": "dy", "platform": "myspace", "name": "x"}),
            "platform",
        ),
        (
            json!({"code": "dy", "platform": "own", "name": "x"}),
            "platform",
        ),
        (
            json!({"code": "dy", "platform": "douyin", "name": ""}),
            "name",
        ),
    ];
    for (body, field) in bad {
        let got = app.post("/api/v1/channels", &op, body).await;
        assert_error(&got, 422, "validation_failed");
        assert!(
            got.1["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{got:?}"
        );
    }
    assert_error(
        &app.post(
            "/api/v1/channels",
            &ctl,
            json!({"code": "dy", "platform": "douyin", "name": "抖音"}),
        )
        .await,
        403,
        "forbidden",
    );
    let (s, c) = app
        .post(
            "/api/v1/channels",
            &op,
            json!({"code": "dy", "platform": "douyin", "name": "抖音官方号"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_error(
        &app.post(
            "/api/v1/channels",
            &op,
            json!({"code": "dy", "platform": "douyin", "name": "again"}),
        )
        .await,
        409,
        "already_exists",
    );
    // The account name and audience notes are the team's to keep up to date.
    let (s, edited) = app
        .put(
            "/api/v1/channels/dy",
            &op,
            json!({"name": "抖音官方号", "account": "@shiguang_official", "notes": "25–35 岁女性为主，晚 8 点后活跃"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(
        (edited["account"].clone(), edited["platform"].clone()),
        (json!("@shiguang_official"), json!("douyin"))
    );
    assert_error(
        &app.put(
            "/api/v1/channels/dy",
            &op,
            json!({"name": "", "account": "x"}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.put("/api/v1/channels/nope", &op, json!({"name": "x"}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.put("/api/v1/channels/dy", &ctl, json!({"name": "x"}))
            .await,
        403,
        "forbidden",
    );
    for body in [
        json!({"push_url": "http://example.com/live", "stream_key": "k1"}),
        json!({"push_url": "rtmp://push.example.com/live", "stream_key": ""}),
        json!({"push_url": "rtmp://push.example.com/live", "stream_key": "has space"}),
    ] {
        assert_error(
            &app.put("/api/v1/channels/dy/push", &op, body).await,
            422,
            "validation_failed",
        );
    }
    assert_error(
        &app.put(
            "/api/v1/channels/own/push",
            &op,
            json!({"push_url": "rtmp://a/b", "stream_key": "k"}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.put(
            "/api/v1/channels/nope/push",
            &op,
            json!({"push_url": "rtmp://a/b", "stream_key": "k"}),
        )
        .await,
        422,
        "validation_failed",
    );
    let (s, h) = app
        .put(
            "/api/v1/channels/dy/push",
            &op,
            json!({"push_url": "rtmp://push.example.com/stage", "stream_key": "stream-9?sign=abc123"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["push_hint"], "…c123");
    // Sealed at rest; the list shows the hint only.
    let sealed: Vec<(String, String)> =
        sqlx::query_as("SELECT push_url_sealed, push_key_sealed FROM channels WHERE code = 'dy'")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert!(sealed[0].0.starts_with("v1:") && !sealed[0].0.contains("example"));
    assert!(sealed[0].1.starts_with("v1:") && !sealed[0].1.contains("abc123"));
    let (_, list) = app.get("/api/v1/channels", &ctl).await;
    assert!(!list.to_string().contains("abc123") && !list.to_string().contains("example.com"));
    assert!(list.to_string().contains("…c123"));

    let id = scheduled_session(&app, &op, "同步推流").await;
    let (_, targets) = app
        .get(&format!("/api/v1/sessions/{id}/simulcast"), &ctl)
        .await;
    assert_eq!(targets["items"].as_array().unwrap().len(), 1, "{targets}");
    assert_eq!(targets["items"][0]["state"], "stopped");
    // This server runs no media server: nothing to relay from.
    let got = app
        .post(
            &format!("/api/v1/sessions/{id}/simulcast/dy/start"),
            &ctl,
            json!({}),
        )
        .await;
    assert_error(&got, 422, "validation_failed");
    assert!(got.1["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--media"));
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{id}/simulcast/own/start"),
            &ctl,
            json!({}),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{id}/simulcast/dy/jump"),
            &ctl,
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    app.post(
        &format!("/api/v1/sessions/{id}/transition"),
        &op,
        json!({"to": "cancelled"}),
    )
    .await;
    assert_error(
        &app.post(
            &format!("/api/v1/sessions/{id}/simulcast/dy/start"),
            &ctl,
            json!({}),
        )
        .await,
        409,
        "illegal_transition",
    );
}

/// A replay lists the session's recordings and, for each pin during one, the moment from its
/// start (pins outside every recording are left out).
async fn a_replay_has_a_chapter_for_each_product_pinned_while_recording(app: TestApp) {
    let op = app.staff("rhea", &[Role::Operator]).await;
    let id = scheduled_session(&app, &op, "回放").await;
    let t0: i64 = 1_800_000_000_000;
    for (file, start, dur) in [
        ("session-a-1.mp4", t0, 600_000_i64),
        ("session-a-2.mp4", t0 + 900_000, 300_000),
    ] {
        sqlx::query(
            "INSERT INTO recordings (session_id, file, started_at, duration_ms, bytes, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 1000, $3, $5)",
        )
        .bind(id)
        .bind(file)
        .bind(start)
        .bind(dur)
        .bind(t0 + 86_400_000)
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    for (seq, product, at) in [
        (1_i64, 11_i64, t0 + 60_000),
        (2, 12, t0 + 700_000),
        (3, 13, t0 + 1_000_000),
    ] {
        sqlx::query(
            "INSERT INTO room_events (session_id, seq, kind, ref_id, payload, at) VALUES ($1, $2, 'pin', $3, '{}', $4)",
        )
        .bind(id)
        .bind(seq)
        .bind(product)
        .bind(at)
        .execute(app.store.pool())
        .await
        .unwrap();
    }
    let (s, replay) = app
        .get(&format!("/api/v1/public/sessions/{id}/replay"), "")
        .await;
    assert_eq!(s, StatusCode::OK, "{replay}");
    let recs = replay["recordings"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["url"], "/media/recordings/session-a-1.mp4");
    let chapters: Vec<(i64, i64)> = replay["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["product_id"].as_i64().unwrap(),
                c["offset_ms"].as_i64().unwrap(),
            )
        })
        .collect();
    // Product 12 was pinned between the two recordings: no moment to jump to.
    assert_eq!(chapters, vec![(11, 60_000), (13, 100_000)]);
    assert_eq!(replay["chapters"][1]["recording_id"], recs[1]["id"]);
    // Past their retention they go.
    let n = app
        .state
        .recordings
        .purge_expired(sellstream_core::Timestamp::from_millis(t0 + 86_400_000))
        .await
        .unwrap();
    assert_eq!(n, 2);
    let (_, replay) = app
        .get(&format!("/api/v1/public/sessions/{id}/replay"), "")
        .await;
    assert_eq!(replay["recordings"], json!([]));
}

crate::on_both_backends!(
    a_replay_has_a_chapter_for_each_product_pinned_while_recording,
    a_stream_key_lets_one_encoder_in_and_the_room_sees_the_stream,
    channel_push_credentials_are_sealed_and_bad_simulcast_requests_are_refused
);
