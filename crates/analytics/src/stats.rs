//! The statistics the evaluation needs (plan §9.2): tests comparing two groups of sessions,
//! correlation, and the distributions behind their p-values and intervals. Written out here
//! rather than pulled in as a crate: it is a few hundred lines, and each function is checked
//! against values SciPy computes for the same data (`tests/fixtures/stats.json`, made by
//! `scripts/stats_fixtures.py`).

use serde::Serialize;
use utoipa::ToSchema;

const EPS: f64 = 1e-15;
const FPMIN: f64 = 1e-300;
const MAX_ITER: usize = 500;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let a = G
        .iter()
        .enumerate()
        .skip(1)
        .fold(G[0], |a, (i, g)| a + g / (x + i as f64));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized upper incomplete gamma function Q(a, x).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // Series for P(a, x).
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..MAX_ITER {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        1.0 - sum * front
    } else {
        // Continued fraction for Q(a, x) (modified Lentz).
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / FPMIN;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < FPMIN {
                d = FPMIN;
            }
            c = b + an / c;
            if c.abs() < FPMIN {
                c = FPMIN;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        front * h
    }
}

/// One step of the modified Lentz method for a continued fraction with partial numerator `aa`
/// and denominator 1; answers the factor the fraction's value is multiplied by.
fn lentz(c: &mut f64, d: &mut f64, aa: f64) -> f64 {
    let guard = |v: f64| if v.abs() < FPMIN { FPMIN } else { v };
    *d = 1.0 / guard(1.0 + aa * *d);
    *c = guard(1.0 + aa / *c);
    *d * *c
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        // The even and the odd step of the continued fraction.
        h *= lentz(&mut c, &mut d, m * (b - m) * x / ((qam + m2) * (a + m2)));
        let del = lentz(
            &mut c,
            &mut d,
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        );
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// P(Z > z) for the standard normal.
pub fn norm_sf(z: f64) -> f64 {
    if z >= 0.0 {
        0.5 * gamma_q(0.5, z * z / 2.0)
    } else {
        1.0 - norm_sf(-z)
    }
}

/// The two-sided p-value of Student's t with `df` degrees of freedom.
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    beta_inc(df / 2.0, 0.5, df / (df + t * t))
}

/// The quantile of Student's t: `t` with P(T ≤ t) = p, for p in (0.5, 1).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let upper = |t: f64| t_two_sided(t, df) / 2.0; // P(T > t) for t ≥ 0
    let target = 1.0 - p;
    let (mut lo, mut hi) = (0.0, 1.0);
    while upper(hi) > target {
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if upper(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The quantile of the standard normal, for p in (0.5, 1).
pub fn norm_quantile(p: f64) -> f64 {
    let target = 1.0 - p;
    let (mut lo, mut hi) = (0.0, 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if norm_sf(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (n − 1).
fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}

/// Welch's t-test of mean(a) − mean(b), with a 95 % interval for the difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Welch {
    pub diff: f64,
    pub t: f64,
    pub df: f64,
    pub p: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Cohen's d with the pooled standard deviation.
    pub effect_size: f64,
}

/// `None` below two values per group, or when neither group varies.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (va, vb) = (variance(a) / na, variance(b) / nb);
    let se = (va + vb).sqrt();
    if se == 0.0 || !se.is_finite() {
        return None;
    }
    let diff = mean(a) - mean(b);
    let t = diff / se;
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let half = t_quantile(0.975, df) * se;
    let pooled = (((na - 1.0) * variance(a) + (nb - 1.0) * variance(b)) / (na + nb - 2.0)).sqrt();
    Some(Welch {
        diff,
        t,
        df,
        p: t_two_sided(t, df),
        ci_low: diff - half,
        ci_high: diff + half,
        effect_size: if pooled > 0.0 { diff / pooled } else { 0.0 },
    })
}

/// Ranks from 1, ties sharing their average rank; also Σ(t³ − t) over tie groups.
fn ranks(x: &[f64]) -> (Vec<f64>, f64) {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut out = vec![0.0; x.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for k in &idx[i..=j] {
            out[*k] = rank;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    (out, ties)
}

/// Mann–Whitney U of `a` against `b`: the normal approximation with tie correction and
/// continuity correction (SciPy's `method="asymptotic"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct MannWhitney {
    /// U of the first group.
    pub u: f64,
    pub z: f64,
    pub p: f64,
}

pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<MannWhitney> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let all: Vec<f64> = a.iter().chain(b).copied().collect();
    let (r, ties) = ranks(&all);
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let n = n1 + n2;
    let u1 = r[..a.len()].iter().sum::<f64>() - n1 * (n1 + 1.0) / 2.0;
    let u = u1.max(n1 * n2 - u1);
    let s = (n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)))).sqrt();
    if s == 0.0 || !s.is_finite() {
        return None;
    }
    let z = (u - n1 * n2 / 2.0 - 0.5) / s;
    Some(MannWhitney {
        u: u1,
        z,
        p: (2.0 * norm_sf(z)).min(1.0),
    })
}

/// Two proportions x1/n1 − x2/n2: the pooled z-test, and a 95 % Wald interval for the difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct TwoProportions {
    pub diff: f64,
    pub z: f64,
    pub p: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Cohen's h.
    pub effect_size: f64,
}

pub fn two_proportions(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<TwoProportions> {
    if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 {
        return None;
    }
    let diff = p1 - p2;
    let z = diff / se;
    let half = norm_quantile(0.975) * (p1 * (1.0 - p1) / n1f + p2 * (1.0 - p2) / n2f).sqrt();
    Some(TwoProportions {
        diff,
        z,
        p: (2.0 * norm_sf(z.abs())).min(1.0),
        ci_low: diff - half,
        ci_high: diff + half,
        effect_size: 2.0 * p1.sqrt().asin() - 2.0 * p2.sqrt().asin(),
    })
}

/// A correlation coefficient with its two-sided p-value (t with n − 2 degrees of freedom).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Correlation {
    pub r: f64,
    pub p: f64,
}

fn pearson_r(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    let d = (sxx * syy).sqrt();
    (d > 0.0).then(|| (sxy / d).clamp(-1.0, 1.0))
}

fn with_p(r: f64, n: usize) -> Correlation {
    let df = n as f64 - 2.0;
    let p = if r.abs() >= 1.0 {
        0.0
    } else {
        t_two_sided(r * (df / (1.0 - r * r)).sqrt(), df)
    };
    Correlation { r, p }
}

/// Pearson's r; `None` below three pairs or when either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<Correlation> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    pearson_r(x, y).map(|r| with_p(r, x.len()))
}

/// Spearman's ρ (Pearson's r of the ranks, ties averaged).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<Correlation> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, _) = ranks(x);
    let (ry, _) = ranks(y);
    pearson_r(&rx, &ry).map(|r| with_p(r, x.len()))
}

/// The least-squares line y = slope · x + intercept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Line {
    pub slope: f64,
    pub intercept: f64,
}

pub fn fit_line(x: &[f64], y: &[f64]) -> Option<Line> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    (sxx > 0.0).then(|| {
        let slope = sxy / sxx;
        Line {
            slope,
            intercept: my - slope * mx,
        }
    })
}

/// The log mean of two positive numbers, L(a, a) = a.
fn log_mean(a: f64, b: f64) -> f64 {
    if (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) {
        a
    } else {
        (a - b) / (a.ln() - b.ln())
    }
}

/// How much of the change of a product `y = x₁·x₂·…` each factor explains, in y's units. With
/// every value positive this is the log-mean Divisia split (LMDI), whose parts add up to the
/// change exactly whatever the order of the factors; with a zero anywhere it falls back to
/// changing the factors one at a time in the order given.
pub fn decompose(before: &[f64], after: &[f64]) -> Vec<f64> {
    let y0: f64 = before.iter().product();
    let y1: f64 = after.iter().product();
    if before.iter().chain(after).all(|v| *v > 0.0) {
        let l = log_mean(y1, y0);
        return before
            .iter()
            .zip(after)
            .map(|(b, a)| l * (a / b).ln())
            .collect();
    }
    let mut current = before.to_vec();
    let mut out = Vec::with_capacity(before.len());
    for i in 0..before.len() {
        let prev: f64 = current.iter().product();
        current[i] = after[i];
        out.push(current.iter().product::<f64>() - prev);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposition_adds_up_to_the_change() {
        let (b, a) = ([1000.0, 0.05, 120.0], [1500.0, 0.04, 130.0]);
        let parts = decompose(&b, &a);
        let change = 1500.0 * 0.04 * 130.0 - 1000.0 * 0.05 * 120.0;
        assert!((parts.iter().sum::<f64>() - change).abs() < 1e-9);
        assert!(parts[0] > 0.0 && parts[1] < 0.0 && parts[2] > 0.0);
        let with_zero = decompose(&[0.0, 0.1, 100.0], &[200.0, 0.1, 100.0]);
        assert!((with_zero.iter().sum::<f64>() - 2000.0).abs() < 1e-9);
    }

    #[test]
    fn degenerate_samples_give_no_test() {
        assert!(welch(&[1.0], &[2.0, 3.0]).is_none());
        assert!(welch(&[2.0, 2.0], &[2.0, 2.0]).is_none());
        assert!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
        assert!(two_proportions(0, 10, 0, 10).is_none());
        assert!(two_proportions(11, 10, 0, 10).is_none());
    }
}
