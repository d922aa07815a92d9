#!/usr/bin/env python3
"""Reference values for sellstream's statistics (crates/analytics/src/stats.rs), computed by SciPy.

    pip install scipy==1.* numpy && python3 scripts/stats_fixtures.py

writes crates/analytics/tests/fixtures/stats.json. The data sets are fixed; the file records the
SciPy and NumPy versions that produced it. Tests compare against it; never edit it by hand.
"""
import json
import math
import pathlib

import numpy as np
import scipy
from scipy import special, stats

# Per-session figures as the console would send them: GMV in yuan, watch time in seconds,
# conversion counts. Some with ties, some skewed, one pair of small groups.
SETS = {
    "gmv_before": [12800.0, 9650.5, 15420.0, 8800.0, 11200.0, 13050.0, 9900.0, 10400.0],
    "gmv_after": [14900.0, 16320.0, 12100.0, 18850.5, 15500.0, 13900.0, 17250.0, 16100.0, 14420.0],
    "watch_before": [61, 75, 75, 80, 92, 58, 75, 66, 70, 88, 80, 64],
    "watch_after": [82, 90, 75, 101, 95, 80, 88, 80, 93, 110],
    "skew_a": [1, 2, 2, 3, 3, 3, 4, 5, 40, 120],
    "skew_b": [2, 4, 4, 6, 7, 9, 9, 12, 15, 18, 22],
    "tiny_a": [3.0, 5.0, 4.0],
    "tiny_b": [6.0, 9.0, 7.5],
}
CORR = {
    "watch_vs_gmv": (
        [45, 60, 62, 71, 80, 84, 90, 95, 101, 120, 130, 66],
        [8200, 9100, 12050, 9900, 14800, 13900, 15100, 17000, 16500, 21000, 19800, 8000],
    ),
    "with_ties": ([1, 2, 2, 3, 4, 4, 4, 5, 6, 7], [3, 1, 4, 4, 5, 9, 2, 6, 5, 8]),
    "negative": ([10, 20, 30, 40, 50, 60, 70], [7.1, 6.2, 6.8, 5.1, 4.0, 4.4, 2.9]),
}
PROPS = [(120, 2400, 95, 2500), (18, 300, 31, 310), (5, 40, 2, 45), (600, 10000, 640, 10000)]


def welch(a, b):
    r = stats.ttest_ind(a, b, equal_var=False)
    ci = r.confidence_interval(0.95)
    return {"t": r.statistic, "df": r.df, "p": r.pvalue, "ci_low": ci.low, "ci_high": ci.high}


def mwu(a, b):
    r = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    return {"u": r.statistic, "p": r.pvalue}


def props(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p1 - p2) / se
    half = stats.norm.ppf(0.975) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return {"x1": x1, "n1": n1, "x2": x2, "n2": n2, "z": z, "p": 2 * stats.norm.sf(abs(z)),
            "ci_low": p1 - p2 - half, "ci_high": p1 - p2 + half}


out = {
    "source": f"scipy {scipy.__version__}, numpy {np.__version__}: scripts/stats_fixtures.py",
    "sets": SETS,
    "welch": {f"{a}-{b}": welch(SETS[a], SETS[b]) for a, b in
              [("gmv_after", "gmv_before"), ("watch_after", "watch_before"), ("skew_a", "skew_b"), ("tiny_a", "tiny_b")]},
    "mann_whitney": {f"{a}-{b}": mwu(SETS[a], SETS[b]) for a, b in
                     [("gmv_after", "gmv_before"), ("watch_after", "watch_before"), ("skew_a", "skew_b"), ("tiny_a", "tiny_b")]},
    "two_proportions": [props(*p) for p in PROPS],
    "correlation": {},
    "distributions": {
        "ln_gamma": [[x, float(special.gammaln(x))] for x in [0.1, 0.5, 1.0, 2.5, 7.0, 33.3, 171.5]],
        "beta_inc": [[a, b, x, float(special.betainc(a, b, x))] for a, b, x in
                     [(0.5, 0.5, 0.3), (2.0, 3.0, 0.4), (10.0, 0.5, 0.95), (50.0, 60.0, 0.45), (1.5, 8.0, 0.01)]],
        "norm_sf": [[z, float(stats.norm.sf(z))] for z in [-2.0, 0.0, 0.5, 1.96, 3.0, 6.0]],
        "t_two_sided": [[t, df, float(2 * stats.t.sf(abs(t), df))] for t, df in
                        [(0.3, 3), (2.1, 7.5), (-3.2, 15), (1.0, 1), (4.5, 120), (2.0, 1000)]],
        "t_quantile": [[p, df, float(stats.t.ppf(p, df))] for p, df in [(0.975, 2), (0.975, 9.3), (0.975, 30), (0.95, 5)]],
    },
}
for name, (x, y) in CORR.items():
    pr = stats.pearsonr(x, y)
    sr = stats.spearmanr(x, y)
    lr = stats.linregress(x, y)
    out["correlation"][name] = {"x": x, "y": y, "pearson_r": pr.statistic, "pearson_p": pr.pvalue,
                                "spearman_r": sr.statistic, "spearman_p": sr.pvalue,
                                "slope": lr.slope, "intercept": lr.intercept}


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    return v


path = pathlib.Path(__file__).resolve().parent.parent / "crates/analytics/tests/fixtures/stats.json"
path.write_text(json.dumps(plain(out), indent=1, ensure_ascii=False) + "\n")
print(f"wrote {path}")
