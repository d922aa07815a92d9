//! Evaluation over real sessions: before/after, GMV decomposition and correlation, with the
//! figures checked against SciPy's values for the same data (the analytics crate's fixture).

use crate::common::{assert_error, TestApp};
use reqwest::{Method, StatusCode};
use sellstream_accounts::Role;
use serde_json::{json, Value};

fn fixture() -> Value {
    serde_json::from_str(include_str!("../../../analytics/tests/fixtures/stats.json")).unwrap()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[track_caller]
fn close(got: &Value, want: f64, what: &str) {
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number"));
    assert!(
        (got - want).abs() <= 1e-7 * want.abs().max(1e-3),
        "{what}: got {got:e}, SciPy {want:e}"
    );
}

/// Ended sessions whose rollup rows hold the given figures: (uv, paid buyers, GMV in fen, average
/// watch in ms). Rows are written the way the rollup stores them.
async fn sessions(app: &TestApp, op: &str, figures: &[(i64, i64, i64, i64)]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, (uv, paid, gmv, watch)) in figures.iter().enumerate() {
        let (s, sess) = app
            .post(
                "/api/v1/sessions",
                op,
                json!({"title": format!("场次 {i}"), "theme": "custom",
                       "scheduled_start": "2026-01-01T12:00:00Z", "scheduled_end": "2026-01-01T14:00:00Z"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{sess}");
        let id = sess["id"].as_i64().unwrap();
        for to in ["live", "ended"] {
            app.post(
                &format!("/api/v1/sessions/{id}/transition"),
                op,
                json!({"to": to}),
            )
            .await;
        }
        sqlx::query("DELETE FROM analytics_sessions WHERE session_id = $1")
            .bind(id)
            .execute(app.store.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO analytics_sessions (session_id, replay, uv, uv_all, views, paid_uv, paid_orders,
             gmv_fen, watch_ms, interaction_uv) VALUES ($1, 0, $2, $2, $2, $3, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(uv)
        .bind(paid)
        .bind(gmv)
        .bind(watch * uv)
        .bind(uv / 10)
        .execute(app.store.pool())
        .await
        .unwrap();
        ids.push(id);
    }
    ids
}

/// Splits `total` into `n` whole parts that add up to it.
fn split(total: i64, n: usize) -> Vec<i64> {
    (0..n as i64)
        .map(|i| total / n as i64 + i64::from(i < total % n as i64))
        .collect()
}

async fn before_and_after_with_scipys_figures(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let an = app.staff("ana", &[Role::Analyst]).await;
    let f = fixture();
    let (gb, ga) = (
        nums(&f["sets"]["gmv_before"]),
        nums(&f["sets"]["gmv_after"]),
    );
    // Conversion: 120 of 2400 viewers after, 95 of 2500 before (the first proportions case).
    let (uv_b, paid_b) = (split(2500, gb.len()), split(95, gb.len()));
    let (uv_a, paid_a) = (split(2400, ga.len()), split(120, ga.len()));
    let row = |g: f64, uv: i64, paid: i64| (uv, paid, (g * 100.0).round() as i64, 60_000);
    let before: Vec<_> = (0..gb.len())
        .map(|i| row(gb[i], uv_b[i], paid_b[i]))
        .collect();
    let after: Vec<_> = (0..ga.len())
        .map(|i| row(ga[i], uv_a[i], paid_a[i]))
        .collect();
    let b_ids = sessions(&app, &op, &before).await;
    let a_ids = sessions(&app, &op, &after).await;

    let (s, c) = app
        .post(
            "/api/v1/analytics/compare",
            &an,
            json!({"before": {"session_ids": b_ids}, "after": {"session_ids": a_ids}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let metric = |k: &str| {
        c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == k)
            .unwrap_or_else(|| panic!("no {k} in {c}"))
            .clone()
    };
    let gmv = metric("gmv_fen");
    let w = &f["welch"]["gmv_after-gmv_before"];
    assert_eq!(
        (&gmv["before"]["n"], &gmv["after"]["n"]),
        (&json!(8), &json!(9))
    );
    assert_eq!(
        (&gmv["test"], &gmv["verdict"]),
        (&json!("welch_t"), &json!("up"))
    );
    close(&gmv["p"], w["p"].as_f64().unwrap(), "gmv p");
    close(
        &gmv["ci_low"],
        w["ci_low"].as_f64().unwrap() * 100.0,
        "gmv ci_low (fen)",
    );
    close(
        &gmv["ci_high"],
        w["ci_high"].as_f64().unwrap() * 100.0,
        "gmv ci_high (fen)",
    );
    close(
        &gmv["mann_whitney_p"],
        f["mann_whitney"]["gmv_after-gmv_before"]["p"]
            .as_f64()
            .unwrap(),
        "gmv Mann–Whitney p",
    );
    let conv = metric("conversion");
    let t = &f["two_proportions"][0];
    assert_eq!(
        (
            &conv["test"],
            &conv["before"]["count"],
            &conv["before"]["base"],
            &conv["after"]["base"]
        ),
        (
            &json!("two_proportion_z"),
            &json!(95),
            &json!(2500),
            &json!(2400)
        )
    );
    close(&conv["p"], t["p"].as_f64().unwrap(), "conversion p");
    close(
        &conv["ci_low"],
        t["ci_low"].as_f64().unwrap(),
        "conversion ci_low",
    );
    assert_eq!(
        conv["verdict"],
        if t["p"].as_f64().unwrap() < 0.05 {
            "up"
        } else {
            "no_clear_change"
        }
    );
    // Every session watched the same 60 s: nothing to test, and it says so.
    assert_eq!(metric("avg_watch_ms")["verdict"], "no_clear_change");
    assert!(metric("avg_watch_ms")["p"].is_null());

    // GMV = UV × conversion × AOV: the parts add up to the change.
    let d = &c["decomposition"];
    let parts = ["uv_effect_fen", "conversion_effect_fen", "aov_effect_fen"]
        .iter()
        .map(|k| d[k].as_f64().unwrap())
        .sum::<f64>();
    let change = d["change_fen"].as_i64().unwrap();
    let gmv_sum = |v: &[f64]| v.iter().map(|g| (g * 100.0).round() as i64).sum::<i64>();
    assert_eq!(change, gmv_sum(&ga) - gmv_sum(&gb));
    assert!((parts - change as f64).abs() < 0.05, "{d}");
    assert_eq!(
        (&d["method"], &d["before"]["uv"]),
        (&json!("lmdi"), &json!(2500))
    );
    assert!(
        d["uv_effect_fen"].as_f64().unwrap() < 0.0,
        "fewer viewers pulled GMV down: {d}"
    );

    // Two sessions against two: the figures are shown, the verdict waits for more.
    let (_, small) = app
        .post(
            "/api/v1/analytics/compare",
            &an,
            json!({"before": {"session_ids": &b_ids[..2]}, "after": {"session_ids": &a_ids[..2]}}),
        )
        .await;
    let g = small["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "gmv_fen")
        .unwrap();
    assert_eq!(
        (&g["verdict"], &g["before"]["n"]),
        (&json!("not_enough_data"), &json!(2))
    );
    assert!(g["summary"]
        .as_str()
        .unwrap()
        .contains("not enough sessions"));

    // Bad input.
    for body in [
        json!({"before": {}, "after": {}, "extra": 1}),
        json!({"before": {"from": 10, "to": 5}, "after": {}}),
        json!({"before": {"session_ids": "1,2"}, "after": {}}),
        json!({"after": {}}),
    ] {
        assert_error(
            &app.post("/api/v1/analytics/compare", &an, body).await,
            422,
            "validation_failed",
        );
    }
    let wh = app.staff("wareh", &[Role::Warehouse]).await;
    assert_error(
        &app.post(
            "/api/v1/analytics/compare",
            &wh,
            json!({"before": {}, "after": {}}),
        )
        .await,
        403,
        "forbidden",
    );
}

async fn correlation_and_the_matrix_with_scipys_figures(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let f = fixture();
    let c = &f["correlation"]["watch_vs_gmv"];
    let (xs, ys) = (nums(&c["x"]), nums(&c["y"]));
    // x: average watch in seconds → ms; y: GMV in fen.
    let rows: Vec<_> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| (100, 5, *y as i64, (*x * 1000.0) as i64))
        .collect();
    sessions(&app, &op, &rows).await;

    let (s, r) = app
        .get(
            "/api/v1/analytics/correlation?x=avg_watch_ms&y=gmv_fen",
            &op,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["n"], 12);
    close(
        &r["pearson"]["r"],
        c["pearson_r"].as_f64().unwrap(),
        "pearson r",
    );
    close(
        &r["pearson"]["p"],
        c["pearson_p"].as_f64().unwrap(),
        "pearson p",
    );
    close(
        &r["spearman"]["r"],
        c["spearman_r"].as_f64().unwrap(),
        "spearman r",
    );
    close(
        &r["spearman"]["p"],
        c["spearman_p"].as_f64().unwrap(),
        "spearman p",
    );
    close(
        &r["line"]["slope"],
        c["slope"].as_f64().unwrap() / 1000.0,
        "slope per ms",
    );
    close(
        &r["line"]["intercept"],
        c["intercept"].as_f64().unwrap(),
        "intercept",
    );
    assert_eq!(r["points"].as_array().unwrap().len(), 12);
    assert_eq!(r["strength"], "strong");
    assert!(r["caution"].as_str().unwrap().contains("not cause"));

    let (s, m) = app.get("/api/v1/analytics/correlation-matrix", &op).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let names: Vec<&str> = m["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let (wi, gi) = (
        names.iter().position(|n| *n == "avg_watch_ms").unwrap(),
        names.iter().position(|n| *n == "gmv_fen").unwrap(),
    );
    assert_eq!(m["n"], 12);
    assert_eq!(m["pearson"][wi][wi], 1.0);
    assert_eq!(m["pearson"][wi][gi], m["pearson"][gi][wi]);
    close(
        &m["pearson"][wi][gi],
        c["pearson_r"].as_f64().unwrap(),
        "matrix r",
    );
    let ui = names.iter().position(|n| *n == "uv").unwrap();
    assert!(
        m["pearson"][ui][gi].is_null(),
        "UV does not vary: no coefficient"
    );

    for q in [
        "x=avg_watch_ms",
        "x=avg_watch_ms&y=bogus",
        "x=avg_watch_ms&y=gmv_fen&from=10&to=5",
    ] {
        assert_error(
            &app.get(&format!("/api/v1/analytics/correlation?{q}"), &op)
                .await,
            422,
            "validation_failed",
        );
    }
    let (s, _) = app
        .call(
            Method::GET,
            "/api/v1/analytics/correlation-matrix",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

async fn paid_order(app: &TestApp, customer: i64, total_fen: i64, paid_at: i64) {
    sqlx::query(
        "INSERT INTO orders (number, customer_id, channel, state, goods_fen, shipping_fen, total_fen,
         points_per_yuan, address, price_lines, pay_deadline, paid_at, created_at, updated_at)
         VALUES ($1, $2, 'own', 'completed', $3, 0, $3, 1, '{}', '[]', $4, $4, $4, $4)",
    )
    .bind(format!(
        "T{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
    .bind(customer)
    .bind(total_fen)
    .bind(paid_at)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn watched(app: &TestApp, viewer: i64, session: i64, watch_ms: i64) {
    sqlx::query(
        "INSERT INTO analytics_viewers (session_id, replay, viewer, first_at, last_at, watch_ms)
         VALUES ($1, 0, $2, 0, 0, $3)",
    )
    .bind(session)
    .bind(viewer)
    .bind(watch_ms)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn customers_are_tiered_by_rfm_with_interaction(app: TestApp) {
    let an = app.staff("ana", &[Role::Analyst]).await;
    let host = app.staff("hosty", &[Role::Host]).await;
    let host_id = app.get("/api/v1/auth/me", &host).await.1["id"]
        .as_i64()
        .unwrap();
    let day = 86_400_000i64;
    let now = sellstream_core::Timestamp::now().millis();
    // Customer k bought k times, k × ¥100 in all, last (10 − k) days ago, and watched k + 1
    // minutes: each one better than the one before.
    let mut ids = Vec::new();
    for k in 0..10i64 {
        let token = app.customer(&format!("1390000{k:04}")).await;
        let id = app.get("/api/v1/auth/me", &token).await.1["id"]
            .as_i64()
            .unwrap();
        for n in 0..k {
            paid_order(&app, id, 10_000, now - (10 - k) * day - n * day).await;
        }
        watched(&app, id, 1, (k + 1) * 60_000).await;
        ids.push(id);
    }
    // Staff watching is not a customer's interaction.
    watched(&app, host_id, 1, 3_600_000).await;

    let (s, run) = app
        .post(
            "/api/v1/analytics/customer-values/recompute",
            &an,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{run}");
    assert_eq!(
        (
            &run["customers"],
            &run["high"],
            &run["medium"],
            &run["low"],
            &run["source"]
        ),
        (
            &json!(10),
            &json!(2),
            &json!(3),
            &json!(5),
            &json!("manual")
        )
    );
    assert_eq!(
        run["movements"],
        json!([
            {"from": null, "to": "high", "customers": 2},
            {"from": null, "to": "low", "customers": 5},
            {"from": null, "to": "medium", "customers": 3},
        ])
    );
    let (_, high) = app
        .get("/api/v1/analytics/customer-values/members?tier=high", &an)
        .await;
    let tiered: Vec<i64> = high["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["account_id"].as_i64().unwrap())
        .collect();
    assert_eq!(high["total"], 2);
    assert!(
        tiered.contains(&ids[9]) && tiered.contains(&ids[8]),
        "{high}"
    );
    let best = &high["items"][0];
    assert_eq!(
        (
            &best["score"],
            &best["frequency"],
            &best["recency_days"],
            &best["phone"]
        ),
        (&json!(20), &json!(9), &json!(1), &json!("139****0009")),
        "{best}"
    );
    let (_, low) = app
        .get(
            "/api/v1/analytics/customer-values/members?tier=low&per_page=10",
            &an,
        )
        .await;
    let c0 = low["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account_id"] == ids[0])
        .unwrap();
    assert_eq!(
        (
            &c0["r"],
            &c0["frequency"],
            &c0["recency_days"],
            &c0["watch_ms"]
        ),
        (&json!(1), &json!(0), &Value::Null, &json!(60_000)),
        "a watcher who never bought is tiered too: {c0}"
    );

    // The weakest customer spends big today after watching an hour: they move up, and the run
    // says who moved where.
    for _ in 0..12 {
        paid_order(&app, ids[0], 100_000, now).await;
    }
    watched(&app, ids[0], 2, 3_600_000).await;
    let (_, run2) = app
        .post(
            "/api/v1/analytics/customer-values/recompute",
            &an,
            json!({}),
        )
        .await;
    let moved = run2["movements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["from"] == "low" && m["to"] == "high")
        .cloned();
    assert_eq!(
        moved.map(|m| m["customers"].clone()),
        Some(json!(1)),
        "{run2}"
    );
    let total: i64 = run2["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["customers"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 10);
    let (_, overview) = app.get("/api/v1/analytics/customer-values", &an).await;
    assert_eq!(overview["runs"].as_array().unwrap().len(), 2);
    assert_eq!(overview["runs"][0]["id"], run2["id"]);
    assert_eq!(overview["sizes"]["high"], run2["high"]);

    let res = app
        .client
        .get(format!(
            "{}/api/v1/analytics/customer-values/members.csv?tier=high",
            app.base
        ))
        .bearer_auth(&an)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}account_id,"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        1 + run2["high"].as_i64().unwrap() as usize
    );
    assert!(
        csv.contains("139****0000") && !csv.contains("13900000000"),
        "{csv}"
    );

    assert_error(
        &app.get("/api/v1/analytics/customer-values/members?tier=vip", &an)
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/analytics/customer-values/recompute",
            &host,
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get("/api/v1/analytics/customer-values/members", &host)
            .await,
        403,
        "forbidden",
    );
}

async fn order_with(
    app: &TestApp,
    customer: i64,
    session: i64,
    total_fen: i64,
    at: i64,
    touches: (Option<i64>, Option<i64>, Option<i64>),
) {
    sqlx::query(
        "INSERT INTO orders (number, customer_id, session_id, channel, state, goods_fen, shipping_fen,
         total_fen, points_per_yuan, address, price_lines, pay_deadline, paid_at, created_at, updated_at,
         flash_sale_id, coupon_id, campaign_id)
         VALUES ($1, $2, $3, 'own', 'paid', $4, 0, $4, 1, '{}', '[]', $5, $5, $5, $5, $6, $7, $8)",
    )
    .bind(format!(
        "A{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
    .bind(customer)
    .bind(session)
    .bind(total_fen)
    .bind(at)
    .bind(touches.0)
    .bind(touches.1)
    .bind(touches.2)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn tracked_visit(app: &TestApp, session: i64, viewer: i64, code: &str, at: i64) {
    sqlx::query(
        "INSERT INTO analytics_events (session_id, kind, viewer, units, value, flags, channel, at)
         VALUES ($1, 2, $2, 0, 0, 0, $3, $4)",
    )
    .bind(session)
    .bind(viewer)
    .bind(code)
    .bind(at)
    .execute(app.store.pool())
    .await
    .unwrap();
}

async fn orders_are_credited_to_the_promotion_that_brought_them(app: TestApp) {
    let op = app.staff("oper", &[Role::Operator]).await;
    let mut ids = Vec::new();
    for title in ["预告场", "另一场"] {
        let (_, sess) = app
            .post(
                "/api/v1/sessions",
                &op,
                json!({"title": title, "theme": "custom",
                       "scheduled_start": "2026-12-20T12:00:00Z", "scheduled_end": "2026-12-20T14:00:00Z"}),
            )
            .await;
        ids.push(sess["id"].as_i64().unwrap());
    }
    let (sid, other) = (ids[0], ids[1]);
    let hour = 3_600_000i64;
    let now = sellstream_core::Timestamp::now().millis();
    let (s, link) = app
        .post(
            &format!("/api/v1/sessions/{sid}/links"),
            &op,
            json!({"label": "微信群预告"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let code = link["code"].as_str().unwrap().to_owned();
    let mut buyers = Vec::new();
    for k in 0..5 {
        let t = app.customer(&format!("1370000{k:04}")).await;
        buyers.push(
            app.get("/api/v1/auth/me", &t).await.1["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // 0: came by the link two hours before, used coupon 7 → the coupon takes the credit, the
    //    link is listed as a touch too.
    tracked_visit(&app, sid, buyers[0], &code, now - 3 * hour).await;
    order_with(
        &app,
        buyers[0],
        sid,
        10_000,
        now - hour,
        (None, Some(7), None),
    )
    .await;
    // 1: came by the link, bought at full price → the link.
    tracked_visit(&app, sid, buyers[1], &code, now - 2 * hour).await;
    order_with(&app, buyers[1], sid, 20_000, now - hour, (None, None, None)).await;
    // 2: the link was two days before the order: outside the window → organic.
    tracked_visit(&app, sid, buyers[2], &code, now - 50 * hour).await;
    order_with(&app, buyers[2], sid, 30_000, now - hour, (None, None, None)).await;
    // 3: flash sale and campaign → the flash sale.
    order_with(
        &app,
        buyers[3],
        sid,
        40_000,
        now - hour,
        (Some(3), None, Some(9)),
    )
    .await;
    // 4: came by the link to another session, ordered in this one → organic.
    tracked_visit(&app, other, buyers[4], &code, now - 2 * hour).await;
    order_with(&app, buyers[4], sid, 50_000, now - hour, (None, None, None)).await;

    let (s, a) = app
        .get(&format!("/api/v1/analytics/attribution?session={sid}"), &op)
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(
        (
            &a["orders"],
            &a["gmv_fen"],
            &a["organic_orders"],
            &a["organic_gmv_fen"],
            &a["window_ms"]
        ),
        (
            &json!(5),
            &json!(150_000),
            &json!(2),
            &json!(80_000),
            &json!(86_400_000)
        )
    );
    let touch = |kind: &str| {
        a["touches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} in {a}"))
    };
    let l = touch("link");
    assert_eq!(
        (
            &l["name"],
            &l["code"],
            &l["orders"],
            &l["gmv_fen"],
            &l["credited_orders"],
            &l["credited_gmv_fen"]
        ),
        (
            &json!("微信群预告"),
            &json!(code),
            &json!(2),
            &json!(30_000),
            &json!(1),
            &json!(20_000)
        )
    );
    let c = touch("coupon");
    assert_eq!(
        (&c["id"], &c["name"], &c["credited_gmv_fen"]),
        (&json!(7), &json!("coupon #7"), &json!(10_000))
    );
    assert_eq!(touch("flash_sale")["credited_gmv_fen"], 40_000);
    let camp = touch("campaign");
    assert_eq!(
        (&camp["orders"], &camp["credited_orders"]),
        (&json!(1), &json!(0))
    );
    let credited: i64 = a["touches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["credited_gmv_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(
        credited + 80_000,
        150_000,
        "credits and organic add up to the whole"
    );
    assert_eq!(
        a["touches"][0]["kind"], "flash_sale",
        "largest credit first"
    );

    assert_error(
        &app.get("/api/v1/analytics/attribution?from=10&to=5", &op)
            .await,
        422,
        "validation_failed",
    );
}

crate::on_both_backends!(
    before_and_after_with_scipys_figures,
    correlation_and_the_matrix_with_scipys_figures,
    customers_are_tiered_by_rfm_with_interaction,
    orders_are_credited_to_the_promotion_that_brought_them,
);
