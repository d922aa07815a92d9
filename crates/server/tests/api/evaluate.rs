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

crate::on_both_backends!(
    before_and_after_with_scipys_figures,
    correlation_and_the_matrix_with_scipys_figures,
);
