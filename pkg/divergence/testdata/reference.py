#!/usr/bin/python3
"""Reference values for the tests of package divergence.

The Go tests never run this script: they read the numbers it wrote, reference.json, which is
committed next to it. It exists to say exactly how those numbers were made, with libraries that
share no code with the Go package: SciPy 1.10 and NumPy as shipped by Debian (/usr/bin/python3,
not a pyenv python without them).

Regenerate with

    /usr/bin/python3 pkg/divergence/testdata/reference.py > pkg/divergence/testdata/reference.json

What comes from where:
  discrete      scipy.special.rel_entr (KL in nats), scipy.stats.entropy with base=2 (KL in bits,
                entropy), scipy.spatial.distance.jensenshannon (it returns the JS *distance*, so the
                divergence is its square; base=2 gives bits), scipy.special.xlogy (cross-entropy).
  normal        the closed form evaluated with NumPy, and independently scipy.integrate.quad of
                p(x) log(p(x)/q(x)) over the real line with scipy.stats.norm.logpdf.
  multi_normal  the closed form with numpy.linalg.inv and numpy.linalg.slogdet.
  mixture_1d    scipy.integrate.quad for the normalised bimodal mixture of seed 002,
                P = 1/2 N(-5, 1) + 1/2 N(10, 1), against Q = N(0, 1), in both directions.
  mixture_2d    scipy.integrate.dblquad for the 2-D mixture of seed 003,
                P = 0.75 N([0.5, 2], diag(4, 1.5)) + 0.25 N([9, 9], diag(1, 3)), against the
                Gaussian Q with P's exact mean and covariance (the maximum-likelihood fit).

JSON has no infinities: an infinite value is written as the string "+Inf".
"""

import json
import math
import sys

import numpy as np
import scipy
from scipy import integrate, special, stats
from scipy.spatial import distance

LN2 = math.log(2)


def num(x):
    x = float(x)
    if math.isinf(x) and x > 0:
        return "+Inf"
    if not math.isfinite(x):
        raise ValueError(f"unexpected value {x}")
    return x


def both(nats, bits):
    return {"nats": num(nats), "bits": num(bits)}


def discrete_case(name, p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    js_dist_nats = distance.jensenshannon(p, q)
    js_dist_bits = distance.jensenshannon(p, q, base=2)
    cross_nats = -np.sum(special.xlogy(p, q))
    return {
        "name": name,
        "p": p.tolist(),
        "q": q.tolist(),
        "kl": both(np.sum(special.rel_entr(p, q)), stats.entropy(p, q, base=2)),
        "reverse_kl": both(np.sum(special.rel_entr(q, p)), stats.entropy(q, p, base=2)),
        "js": both(js_dist_nats**2, js_dist_bits**2),
        "js_distance": both(js_dist_nats, js_dist_bits),
        "entropy": both(stats.entropy(p), stats.entropy(p, base=2)),
        "cross_entropy": both(cross_nats, cross_nats / LN2),
    }


def discrete():
    rng = np.random.default_rng(20240611)
    cases = [
        ("seed004", [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]),
        ("zero in p", [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]),
        ("zero in q", [0.2, 0.3, 0.5], [0.0, 0.5, 0.5]),
        ("uniform vs peaked", [0.25, 0.25, 0.25, 0.25], [0.97, 0.01, 0.01, 0.01]),
        ("disjoint", [1.0, 0.0], [0.0, 1.0]),
        ("identical", [0.3, 0.3, 0.4], [0.3, 0.3, 0.4]),
        ("dirichlet10", rng.dirichlet(np.ones(10)), rng.dirichlet(np.ones(10))),
    ]
    out = []
    for name, p, q in cases:
        p = np.asarray(p, dtype=np.float64)
        q = np.asarray(q, dtype=np.float64)
        # The Go functions insist on sums within 1e-9 of 1; make sure the inputs qualify.
        assert abs(p.sum() - 1) <= 1e-12 and abs(q.sum() - 1) <= 1e-12, name
        out.append(discrete_case(name, p, q))
    return out


def normal():
    cases = [
        (0.0, 1.0, 0.0, 1.0),
        (0.0, 1.0, 1.0, 1.0),
        (0.0, 1.0, 0.0, 2.0),
        (1.0, 2.0, -1.0, 0.5),
        (3.0, 0.3, -2.0, 4.0),
        (-5.0, 1.0, 10.0, 1.0),
    ]
    out = []
    for mu1, s1, mu2, s2 in cases:
        closed = np.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5

        def f(x):
            lp = stats.norm.logpdf(x, mu1, s1)
            return math.exp(lp) * (lp - stats.norm.logpdf(x, mu2, s2))

        lo, hi = mu1 - 40 * s1, mu1 + 40 * s1
        quad, _ = integrate.quad(f, lo, hi, points=[mu1 - s1, mu1, mu1 + s1], epsabs=1e-14, epsrel=1e-13, limit=500)
        out.append({"mu1": mu1, "sigma1": s1, "mu2": mu2, "sigma2": s2, "closed_nats": num(closed), "quad_nats": num(quad)})
    return out


def multi_normal():
    cases = [
        ([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], [1.0, -1.0], [[2.0, 0.3], [0.3, 0.5]]),
        ([0.5, 2.0], [[4.0, 1.2], [1.2, 1.5]], [2.625, 3.75], [[19.0, 15.0], [15.0, 15.0]]),
        (
            [1.0, -2.0, 0.5],
            [[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 0.8]],
            [0.0, 0.0, 0.0],
            [[1.5, -0.2, 0.0], [-0.2, 2.5, 0.4], [0.0, 0.4, 1.0]],
        ),
    ]
    out = []
    for mu1, c1, mu2, c2 in cases:
        mu1, c1, mu2, c2 = map(lambda a: np.asarray(a, dtype=np.float64), (mu1, c1, mu2, c2))
        k = mu1.size
        inv2 = np.linalg.inv(c2)
        d = mu2 - mu1
        s1, ld1 = np.linalg.slogdet(c1)
        s2, ld2 = np.linalg.slogdet(c2)
        assert s1 > 0 and s2 > 0
        kl = 0.5 * (np.trace(inv2 @ c1) + d @ inv2 @ d - k + ld2 - ld1)
        out.append({"mu1": mu1.tolist(), "cov1": c1.tolist(), "mu2": mu2.tolist(), "cov2": c2.tolist(), "kl_nats": num(kl)})
    return out


def mixture_1d():
    def log_p(x):
        return special.logsumexp([stats.norm.logpdf(x, -5, 1), stats.norm.logpdf(x, 10, 1)]) + math.log(0.5)

    def log_q(x):
        return stats.norm.logpdf(x, 0, 1)

    opts = dict(epsabs=1e-13, epsrel=1e-13, limit=500)
    cuts = [-60.0, -5.0, 0.0, 2.5, 10.0, 60.0]

    def kl(la, lb):
        total = 0.0
        for a, b in zip(cuts[:-1], cuts[1:]):
            v, _ = integrate.quad(lambda x: math.exp(la(x)) * (la(x) - lb(x)), a, b, **opts)
            total += v
        return total

    return {
        "weights": [0.5, 0.5],
        "means": [-5.0, 10.0],
        "sigmas": [1.0, 1.0],
        "q_mean": 0.0,
        "q_sigma": 1.0,
        "kl_pq_nats": num(kl(log_p, log_q)),
        "kl_qp_nats": num(kl(log_q, log_p)),
    }


def mixture_2d():
    w = np.array([0.75, 0.25])
    means = [np.array([0.5, 2.0]), np.array([9.0, 9.0])]
    covs = [np.diag([4.0, 1.5]), np.diag([1.0, 3.0])]
    mean = sum(wi * m for wi, m in zip(w, means))
    cov = sum(wi * (c + np.outer(m, m)) for wi, m, c in zip(w, means, covs)) - np.outer(mean, mean)

    def gauss_logpdf(m, c):
        inv = np.linalg.inv(c)
        _, ld = np.linalg.slogdet(c)
        const = -math.log(2 * math.pi) - 0.5 * ld
        a, b, d = inv[0, 0], inv[0, 1], inv[1, 1]

        def f(x, y):
            dx, dy = x - m[0], y - m[1]
            return const - 0.5 * (a * dx * dx + 2 * b * dx * dy + d * dy * dy)

        return f

    comps = [gauss_logpdf(m, c) for m, c in zip(means, covs)]
    log_q = gauss_logpdf(mean, cov)

    def log_p(x, y):
        t = [math.log(wi) + f(x, y) for wi, f in zip(w, comps)]
        hi = max(t)
        return hi + math.log(sum(math.exp(ti - hi) for ti in t))

    def integrand(y, x):
        lp = log_p(x, y)
        return math.exp(lp) * (lp - log_q(x, y))

    box = {"x": [-20.0, 25.0], "y": [-15.0, 30.0]}
    kl, _ = integrate.dblquad(integrand, box["x"][0], box["x"][1], box["y"][0], box["y"][1], epsabs=1e-11, epsrel=1e-11)
    return {
        "weights": w.tolist(),
        "means": [m.tolist() for m in means],
        "covs": [c.tolist() for c in covs],
        "q_mean": mean.tolist(),
        "q_cov": cov.tolist(),
        "box": box,
        "kl_pq_nats": num(kl),
    }


def main():
    ref = {
        "generated_by": "pkg/divergence/testdata/reference.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "discrete": discrete(),
        "normal": normal(),
        "multi_normal": multi_normal(),
        "mixture_1d": mixture_1d(),
        "mixture_2d": mixture_2d(),
    }
    json.dump(ref, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
