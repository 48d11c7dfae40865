#!/usr/bin/python3
"""Reference values for pkg/toy2d, computed independently with NumPy and SciPy.

Run with Debian's Python (scipy 1.10, numpy 1.24):
    /usr/bin/python3 reference.py > reference.json
- log-densities of the 8-ring and the 25-grid (PacGAN's parameters) with scipy.stats.multivariate_normal;
- the entropy of the blog post's two-cluster mixture by adaptive quadrature (scipy.integrate.dblquad);
- mode coverage as PacGAN's MetricLogger computes it (nearest mode by standardised distance,
  high quality below 3, modes with a nonzero count, KL of the mode histogram to uniform);
- the energy distance with U-statistics within sets, by an explicit double loop.
"""
import json

import numpy as np
from scipy import integrate
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

ring_means = [[np.cos(2 * np.pi * i / 8), np.sin(2 * np.pi * i / 8)] for i in range(8)]
ring_sigma = 0.01
grid_means = [[float(i), float(j)] for i in range(-4, 5, 2) for j in range(-4, 5, 2)]
grid_sigma = 0.05


def logpdf(means, sigma, p):
    k = len(means)
    return float(logsumexp([np.log(1.0 / k) + multivariate_normal.logpdf(p, m, sigma ** 2 * np.eye(2)) for m in means]))


rng = np.random.RandomState(20261127)


def near_points(means, sigma, n):
    """Points near the modes (within a few sigma), some between modes, some far."""
    out = []
    for _ in range(n):
        m = np.array(means[rng.randint(len(means))])
        out.append((m + rng.normal(size=2) * sigma * rng.choice([0.5, 1.5, 2.9, 3.1, 6.0])).tolist())
    out.append([0.0, 0.0])
    out.append([5.0, -7.0])
    return out


def coverage(means, sigma, pts):
    """PacGAN's MetricLogger, for isotropic modes of equal weight."""
    counts = np.zeros(len(means))
    for p in pts:
        d = [np.sqrt(np.sum((np.array(p) - np.array(m)) ** 2 / sigma ** 2)) for m in means]
        j = int(np.argmin(d))
        if d[j] < 3:
            counts[j] += 1
    h = counts / counts.sum()
    kl = float(sum(hi * np.log(hi * len(means)) for hi in h if hi > 0))
    return {"per_mode": counts.astype(int).tolist(), "covered": int(np.count_nonzero(counts)),
            "high_quality": float(counts.sum() / len(pts)), "kl": kl}


def energy(x, y):
    x, y = np.asarray(x), np.asarray(y)
    cross = np.mean([np.linalg.norm(a - b) for a in x for b in y])
    wx = [np.linalg.norm(x[i] - x[j]) for i in range(len(x)) for j in range(i + 1, len(x))]
    wy = [np.linalg.norm(y[i] - y[j]) for i in range(len(y)) for j in range(i + 1, len(y))]
    return float(2 * cross - np.mean(wx) - np.mean(wy))


two = [(0.75, [0.5, 2.0], np.diag([4.0, 1.5])), (0.25, [9.0, 9.0], np.diag([1.0, 3.0]))]


def two_pdf(y, x):
    return sum(w * multivariate_normal.pdf([x, y], m, c) for w, m, c in two)


def neg_plogp(y, x):
    p = two_pdf(y, x)
    return -p * np.log(p) if p > 0 else 0.0


h_two, h_err = integrate.dblquad(neg_plogp, -20, 25, -20, 25, epsabs=1e-9, epsrel=1e-9)

ring_pts = near_points(ring_means, ring_sigma, 40)
grid_pts = near_points(grid_means, grid_sigma, 60)
ex = rng.normal(size=(30, 2)).tolist()
ey = (rng.normal(size=(25, 2)) * [1.0, 2.0] + [0.7, -0.3]).tolist()

print(json.dumps({
    "ring": {"points": ring_pts, "logpdf": [logpdf(ring_means, ring_sigma, p) for p in ring_pts],
             "coverage": coverage(ring_means, ring_sigma, ring_pts)},
    "grid": {"points": grid_pts, "logpdf": [logpdf(grid_means, grid_sigma, p) for p in grid_pts],
             "coverage": coverage(grid_means, grid_sigma, grid_pts)},
    "two_clusters_entropy": h_two, "two_clusters_entropy_quadrature_error": h_err,
    "energy": {"x": ex, "y": ey, "distance": energy(ex, ey)},
}, indent=1))
