//! The statistics against SciPy's values for the same data (tests/fixtures/stats.json, written
//! by scripts/stats_fixtures.py; its `source` names the SciPy version).

use sellstream_analytics::stats;
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/stats.json")).unwrap()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[track_caller]
fn close(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap();
    let tol = 1e-9 * want.abs().max(1e-3);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, SciPy {want:e}"
    );
}

#[test]
fn distributions_match_scipy() {
    let f = fixture();
    let d = &f["distributions"];
    for r in d["ln_gamma"].as_array().unwrap() {
        close(stats::ln_gamma(r[0].as_f64().unwrap()), &r[1], "ln_gamma");
    }
    for r in d["beta_inc"].as_array().unwrap() {
        let v = nums(r);
        close(stats::beta_inc(v[0], v[1], v[2]), &r[3], "beta_inc");
    }
    for r in d["norm_sf"].as_array().unwrap() {
        close(stats::norm_sf(r[0].as_f64().unwrap()), &r[1], "norm_sf");
    }
    for r in d["t_two_sided"].as_array().unwrap() {
        let v = nums(r);
        close(stats::t_two_sided(v[0], v[1]), &r[2], "t_two_sided");
    }
    for r in d["t_quantile"].as_array().unwrap() {
        let v = nums(r);
        close(stats::t_quantile(v[0], v[1]), &r[2], "t_quantile");
    }
}

#[test]
fn welch_and_mann_whitney_match_scipy() {
    let f = fixture();
    for (key, want) in f["welch"].as_object().unwrap() {
        let (a, b) = key.split_once('-').unwrap();
        let w = stats::welch(&nums(&f["sets"][a]), &nums(&f["sets"][b])).unwrap();
        close(w.t, &want["t"], &format!("{key} t"));
        close(w.df, &want["df"], &format!("{key} df"));
        close(w.p, &want["p"], &format!("{key} p"));
        close(w.ci_low, &want["ci_low"], &format!("{key} ci_low"));
        close(w.ci_high, &want["ci_high"], &format!("{key} ci_high"));
    }
    for (key, want) in f["mann_whitney"].as_object().unwrap() {
        let (a, b) = key.split_once('-').unwrap();
        let m = stats::mann_whitney(&nums(&f["sets"][a]), &nums(&f["sets"][b])).unwrap();
        close(m.u, &want["u"], &format!("{key} U"));
        close(m.p, &want["p"], &format!("{key} p"));
    }
}

#[test]
fn two_proportions_match_scipy() {
    for want in fixture()["two_proportions"].as_array().unwrap() {
        let n = |k: &str| want[k].as_u64().unwrap();
        let t = stats::two_proportions(n("x1"), n("n1"), n("x2"), n("n2")).unwrap();
        close(t.z, &want["z"], "z");
        close(t.p, &want["p"], "p");
        close(t.ci_low, &want["ci_low"], "ci_low");
        close(t.ci_high, &want["ci_high"], "ci_high");
    }
}

#[test]
fn correlations_and_the_fitted_line_match_scipy() {
    let f = fixture();
    for (name, c) in f["correlation"].as_object().unwrap() {
        let (x, y) = (nums(&c["x"]), nums(&c["y"]));
        let p = stats::pearson(&x, &y).unwrap();
        close(p.r, &c["pearson_r"], &format!("{name} pearson r"));
        close(p.p, &c["pearson_p"], &format!("{name} pearson p"));
        let s = stats::spearman(&x, &y).unwrap();
        close(s.r, &c["spearman_r"], &format!("{name} spearman r"));
        close(s.p, &c["spearman_p"], &format!("{name} spearman p"));
        let l = stats::fit_line(&x, &y).unwrap();
        close(l.slope, &c["slope"], &format!("{name} slope"));
        close(l.intercept, &c["intercept"], &format!("{name} intercept"));
    }
}
