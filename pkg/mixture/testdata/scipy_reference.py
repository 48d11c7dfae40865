#!/usr/bin/python3
"""Reference values for pkg/mixture, computed independently with SciPy.

Run with Debian's Python (scipy 1.10):  /usr/bin/python3 scipy_reference.py > scipy_reference.json
The Go tests compare Univariate.LogPDF, Bivariate.LogPDF and the exact moments
with these numbers. The points include far tails, where the density itself
underflows to 0 but its logarithm is finite.
"""
import json

import numpy as np
import scipy
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

# Seed 002: 1/2 N(-5, 1) + 1/2 N(10, 1).
bimodal = [(0.5, -5.0, 1.0), (0.5, 10.0, 1.0)]
# Seed 003: 0.75 N((0.5, 2), diag(4, 1.5)) + 0.25 N((9, 9), diag(1, 3)).
two_clusters = [(0.75, [0.5, 2.0], [[4.0, 0.0], [0.0, 1.5]]), (0.25, [9.0, 9.0], [[1.0, 0.0], [0.0, 3.0]])]
# A mixture with correlated, unequal components, to exercise the general formulas.
skewed = [(0.2, [-1.0, 3.0], [[2.0, 0.8], [0.8, 1.0]]), (0.5, [4.0, -2.0], [[0.5, -0.3], [-0.3, 2.5]]),
          (0.3, [0.0, 0.0], [[1.0, 0.9], [0.9, 1.0]])]


def logpdf1(mix, x):
    return float(logsumexp([np.log(w) + norm.logpdf(x, m, s) for w, m, s in mix]))


def logpdf2(mix, p):
    return float(logsumexp([np.log(w) + multivariate_normal.logpdf(p, m, c) for w, m, c in mix]))


def moments2(mix):
    w = np.array([c[0] for c in mix])
    mus = np.array([c[1] for c in mix])
    covs = np.array([c[2] for c in mix])
    mean = (w[:, None] * mus).sum(axis=0)
    second = sum(wi * (np.array(ci) + np.outer(mi, mi)) for wi, mi, ci in zip(w, mus, covs))
    return mean.tolist(), (second - np.outer(mean, mean)).tolist()


xs = [-200.0, -40.0, -15.0, -5.0, -3.7, 0.0, 2.5, 7.0, 10.0, 15.0, 60.0, 300.0]
points = [[0.0, 0.0], [0.5, 2.0], [9.0, 9.0], [2.625, 3.75], [-3.0, 7.5], [12.0, -4.0], [40.0, 40.0], [-100.0, 250.0]]

out = {
    "scipy_version": scipy.__version__,
    "bimodal": {"x": xs, "logpdf": [logpdf1(bimodal, x) for x in xs],
                "mean": float(sum(w * m for w, m, s in bimodal)),
                "variance": float(sum(w * (s * s + m * m) for w, m, s in bimodal) - sum(w * m for w, m, s in bimodal) ** 2)},
}
for name, mix in [("two_clusters", two_clusters), ("skewed", skewed)]:
    mean, cov = moments2(mix)
    out[name] = {"components": [{"weight": w, "mean": m, "cov": c} for w, m, c in mix],
                 "points": points, "logpdf": [logpdf2(mix, p) for p in points], "mean": mean, "cov": cov}
print(json.dumps(out, indent=1))
