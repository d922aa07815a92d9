//! Pre-announcements: reminders, tracking links, the poster, and the outbox that tells
//! subscribers and webhooks when the session starts.

use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn scheduled(app: &TestApp, op: &str) -> i64 {
    let (_, p) = app
        .post(
            "/api/v1/products",
            op,
            json!({"title": "羊毛大衣", "skus": [{"code": "COAT-1", "price_fen": 89900, "stock": 20}]}),
        )
        .await;
    let start = sellstream_core::Timestamp::now().plus_seconds(86_400);
    let (_, s) = app
        .post(
            "/api/v1/sessions",
            op,
            json!({"title": "秋冬上新预告", "theme": "new_launch", "scheduled_start": start.to_string(),
                   "scheduled_end": start.plus_seconds(7200).to_string()}),
        )
        .await;
    let id = s["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/sessions/{id}/bag"),
        op,
        json!({"product_id": p["id"]}),
    )
    .await;
    id
}

async fn reminders_tracking_links_and_the_poster(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let analyst = app.staff("ana", &[Role::Analyst]).await;
    let session = scheduled(&app, &op).await;
    let links = format!("/api/v1/sessions/{session}/links");

    let (s, wechat) = app.post(&links, &op, json!({"label": "微信群"})).await;
    assert_eq!(s, StatusCode::CREATED, "{wechat}");
    let code = wechat["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(wechat["path"], format!("/p/{code}"));
    app.post(&links, &op, json!({"label": "微博"})).await;
    assert_error(
        &app.post(&links, &op, json!({"label": " 微信群 "})).await,
        409,
        "already_exists",
    );
    assert_error(
        &app.post(&links, &op, json!({"label": ""})).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(&links, &analyst, json!({"label": "KOL"})).await,
        403,
        "forbidden",
    );

    // Following the link counts a click and opens the session's page with the code.
    let res = app
        .client
        .get(format!("{}/p/{code}", app.base))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(
        res.headers()["location"],
        format!("/live/{session}?src={code}").as_str()
    );
    let res = app
        .client
        .get(format!("{}/p/nosuchcode", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");

    let ann = app.customer("13900000301").await;
    let bob = app.customer("13900000302").await;
    let (s, r) = app
        .post(
            "/api/v1/me/reminders",
            &ann,
            json!({"session_id": session, "src": code}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((&r["reminders"], &r["reminded"]), (&json!(1), &json!(true)));
    let (_, r) = app
        .post(
            "/api/v1/me/reminders",
            &ann,
            json!({"session_id": session, "src": code}),
        )
        .await;
    assert_eq!(r["reminders"], 1, "asking twice changes nothing");
    app.post("/api/v1/me/reminders", &bob, json!({"session_id": session}))
        .await;
    let (_, list) = app.get(&links, &analyst).await;
    let counts: Vec<(String, i64, i64)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["label"].as_str().unwrap().to_owned(),
                l["clicks"].as_i64().unwrap(),
                l["reminders"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, vec![("微信群".into(), 1, 1), ("微博".into(), 0, 0)]);
    let public = format!("/api/v1/public/sessions/{session}/reminders");
    let (_, anon) = app.get(&public, "").await;
    assert_eq!(
        (&anon["reminders"], &anon["reminded"]),
        (&json!(2), &json!(false))
    );
    let (_, mine) = app.get(&public, &ann).await;
    assert_eq!(mine["reminded"], true);
    let (_, my) = app.get("/api/v1/me/reminders", &ann).await;
    assert_eq!(my["items"][0]["session_id"], session);
    let (s, r) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/reminders/{session}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["reminders"], 1);
    assert_error(
        &app.post("/api/v1/me/reminders", &op, json!({"session_id": session}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post("/api/v1/me/reminders", &ann, json!({"session_id": 424242}))
            .await,
        404,
        "not_found",
    );

    // The poster: an SVG with the session's words and a QR code.
    let res = app
        .client
        .get(format!(
            "{}/api/v1/public/sessions/{session}/poster.svg?src={code}",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/svg+xml"));
    let svg = res.text().await.unwrap();
    assert!(svg.contains("秋冬上新预告") && svg.contains("羊毛大衣") && svg.contains("¥899"));
    assert_eq!(svg.matches("<svg").count(), 2);
    assert_error(
        &app.get(
            &format!("/api/v1/public/sessions/{session}/poster.svg?src=nosuchcode"),
            "",
        )
        .await,
        404,
        "not_found",
    );

    // A reminder for a session that is over, or live, is refused; so are links for it.
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "live"}),
    )
    .await;
    let e = app
        .post("/api/v1/me/reminders", &bob, json!({"session_id": session}))
        .await;
    assert_error(&e, 409, "conflict");
    app.post(
        &format!("/api/v1/sessions/{session}/transition"),
        &op,
        json!({"to": "ended"}),
    )
    .await;
    let e = app
        .post("/api/v1/me/reminders", &bob, json!({"session_id": session}))
        .await;
    assert_error(&e, 409, "conflict");
    assert!(e.1["error"]["message"].as_str().unwrap().contains("ended"));
    assert_error(
        &app.post(&links, &op, json!({"label": "抖音"})).await,
        409,
        "conflict",
    );
}

#[derive(Default)]
struct Received {
    hits: Vec<(axum::http::HeaderMap, String)>,
}

/// A webhook receiver that fails its first `fail` requests with 500.
async fn receiver(fail: usize) -> (String, Arc<Mutex<Received>>) {
    let got = Arc::new(Mutex::new(Received::default()));
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut g = seen.lock().unwrap();
                g.hits.push((headers, body));
                if g.hits.len() <= fail {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

async fn until<F: Fn() -> bool>(what: &str, f: F) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited too long for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn going_live_tells_subscribers_in_app_and_systems_by_signed_webhook(app: TestApp) {
    let admin = app.staff("boss", &[Role::Admin]).await;
    let op = app.staff("oper", &[Role::Operator]).await;
    let session = scheduled(&app, &op).await;
    let (url, got) = receiver(2).await;
    let (s, hook) = app
        .post("/api/v1/webhooks", &admin, json!({"url": url}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);
    let (_, hooks) = app.get("/api/v1/webhooks", &admin).await;
    assert_ne!(
        hooks["items"][0]["secret"],
        secret.as_str(),
        "shown once, masked after"
    );
    assert_error(
        &app.post("/api/v1/webhooks", &admin, json!({"url": url}))
            .await,
        409,
        "already_exists",
    );
    for bad in ["ftp://example.com/x", "not a url", ""] {
        assert_error(
            &app.post("/api/v1/webhooks", &admin, json!({"url": bad}))
                .await,
            422,
            "validation_failed",
        );
    }
    assert_error(
        &app.post(
            "/api/v1/webhooks",
            &op,
            json!({"url": "http://127.0.0.1:1/x"}),
        )
        .await,
        403,
        "forbidden",
    );
    // A second endpoint that nobody answers: retried, its error kept.
    let (_, dead) = app
        .post(
            "/api/v1/webhooks",
            &admin,
            json!({"url": "http://127.0.0.1:9/dead"}),
        )
        .await;

    let ann = app.customer("13900000401").await;
    let bob = app.customer("13900000402").await;
    app.post("/api/v1/me/reminders", &ann, json!({"session_id": session}))
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/sessions/{session}/transition"),
            &op,
            json!({"to": "live"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Two refusals, then delivered: three requests, one delivery id, each signed.
    until("three webhook requests", || {
        got.lock().unwrap().hits.len() >= 3
    })
    .await;
    let hits = got.lock().unwrap().hits.clone();
    let ids: Vec<&str> = hits
        .iter()
        .map(|(h, _)| h["x-sellstream-delivery"].to_str().unwrap())
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    for (headers, body) in &hits {
        let sig = headers["x-sellstream-signature"].to_str().unwrap();
        let t: i64 = sig
            .strip_prefix("t=")
            .and_then(|s| s.split(',').next())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(sig, sellstream_ops::outbox::signature(&secret, t, body));
        assert_eq!(headers["x-sellstream-event"], "session.started");
    }
    let body: Value = serde_json::from_str(&hits[2].1).unwrap();
    assert_eq!(body["event"], "session.started");
    assert_eq!(body["session"]["id"], session);
    assert_eq!(body["reminders"], 1);

    let dead_id = dead["id"].as_i64().unwrap();
    let mut sent = json!(null);
    let mut failing = json!(null);
    for _ in 0..300 {
        let (_, out) = app.get("/api/v1/outbox?channel=webhook", &op).await;
        let items = out["items"].as_array().unwrap().clone();
        sent = items
            .iter()
            .find(|n| n["state"] == "sent")
            .cloned()
            .unwrap_or(Value::Null);
        failing = items
            .iter()
            .find(|n| n["attempts"].as_i64().unwrap_or(0) >= 2 && n["state"] != "sent")
            .cloned()
            .unwrap_or(Value::Null);
        if !sent.is_null() && !failing.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sent["attempts"], 3, "{sent}");
    assert!(
        failing["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("request failed"),
        "{failing}"
    );
    let _ = dead_id;

    // The subscriber's inbox.
    let mut inbox = json!(null);
    for _ in 0..100 {
        inbox = app.get("/api/v1/me/notifications", &ann).await.1;
        if inbox["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(inbox["unread"], 1, "{inbox}");
    let note = &inbox["items"][0];
    assert_eq!(note["title"], "开播了：秋冬上新预告");
    assert_eq!(note["session_id"], session);
    let id = note["id"].as_i64().unwrap();
    assert_error(
        &app.post(
            &format!("/api/v1/me/notifications/{id}/read"),
            &bob,
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/me/notifications/{id}/read"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, inbox) = app.get("/api/v1/me/notifications", &ann).await;
    assert_eq!(inbox["unread"], 0);
    let (_, other) = app.get("/api/v1/me/notifications", &bob).await;
    assert_eq!(other["items"], json!([]));

    // Telling again (another node, a retry) queues nothing twice.
    let again = app
        .state
        .outbox
        .session_started(session, "/live/x")
        .await
        .unwrap();
    assert_eq!(again, 0);

    // A ping reaches the endpoint signed like the rest.
    let hook_id = hook["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/webhooks/{hook_id}/ping"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    until("the ping", || {
        got.lock()
            .unwrap()
            .hits
            .iter()
            .any(|(h, _)| h["x-sellstream-event"] == "ping")
    })
    .await;
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{dead_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

crate::on_both_backends!(
    reminders_tracking_links_and_the_poster,
    going_live_tells_subscribers_in_app_and_systems_by_signed_webhook,
);
