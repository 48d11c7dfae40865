#!/usr/bin/python3
"""Reference values for the tests of package diffusion.

The Go tests never run this script: they read reference.json, committed next to it. It says how
those numbers were made, with NumPy and SciPy as Debian ships them (/usr/bin/python3), in code
written from the papers, not from the Go package:

  linear     DDPM (Ho et al. 2020): betas = numpy.linspace(1e-4, 0.02, 1000), alpha_bar = cumprod(1 - betas).
  cosine     Nichol & Dhariwal (2021), improved-diffusion's betas_for_alpha_bar: beta_i =
             min(1 - f((i+1)/T)/f(i/T), 0.999), f(u) = cos((u + 0.008)/1.008 * pi/2)^2.
  posterior  q(x_{t-1} | x_t, x_0) by Bayes' rule written as precisions: 1/var = 1/(1 - abar_{t-1})
             + alpha_t/beta_t, mean = var * (sqrt(abar_{t-1}) x0/(1 - abar_{t-1}) + sqrt(alpha_t) xt/beta_t)
             (at t = 1 the point mass at x0); the Go package uses DDPM's closed-form coefficients.
  prior_kl   KL(N(sqrt(abar_T) x0, 1 - abar_T) || N(0, 1)) summed over the two coordinates by
             scipy.integrate.quad of p log(p/q).
  step_kl    KL(q(x_{t-1}|x_t,x_0) || N(mu_theta, sigma^2)) by scipy.integrate.quad per coordinate, with
             mu_theta = (xt - beta_t/sqrt(1 - abar_t) eps)/sqrt(alpha_t) and sigma^2 = beta_t.
  recon      -log N(x0; mu_theta(x1, 1), beta_1) with scipy.stats.norm.logpdf.
  embedding  sin/cos of t * 10000^(-k/K), k = 0..K-1, with numpy.

Regenerate with

    /usr/bin/python3 pkg/diffusion/testdata/reference.py > pkg/diffusion/testdata/reference.json
"""

import json
import math

import numpy as np
from scipy import integrate, stats

T = 1000
STEPS = [1, 2, 10, 100, 500, 999, 1000]


def linear():
    betas = np.linspace(1e-4, 0.02, T, dtype=np.float64)
    return betas, np.cumprod(1 - betas)


def cosine():
    f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = np.array([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)])
    return betas, np.cumprod(1 - betas)


def kl_quad(m1, s1, m2, s2):
    p, q = stats.norm(m1, s1), stats.norm(m2, s2)
    lo, hi = m1 - 12 * s1, m1 + 12 * s1
    val, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), lo, hi, epsabs=1e-13, epsrel=1e-11, limit=200)
    return val


def main():
    out = {}
    for name, fn in [("linear", linear), ("cosine", cosine)]:
        betas, abar = fn()
        out[name] = {"t": STEPS, "beta": [betas[t - 1] for t in STEPS], "alpha_bar": [abar[t - 1] for t in STEPS]}

    betas, abar = linear()
    abar0 = np.concatenate([[1.0], abar])  # abar0[t] = alpha_bar_t, abar0[0] = 1
    beta = lambda t: betas[t - 1]
    post = []
    x0, xt = np.array([0.8, -1.1]), np.array([0.3, 0.5])
    for t in [2, 10, 500, 1000]:
        a = 1 - beta(t)
        var = 1 / (1 / (1 - abar0[t - 1]) + a / beta(t))
        mean = var * (math.sqrt(abar0[t - 1]) * x0 / (1 - abar0[t - 1]) + math.sqrt(a) * xt / beta(t))
        post.append({"t": t, "x0": x0.tolist(), "xt": xt.tolist(), "mean": mean.tolist(), "var": var})
    out["posterior"] = post

    prior = []
    for x in [[0.0, 0.0], [1.3, -0.7], [3.0, 2.5]]:
        m, s = math.sqrt(abar0[T]), math.sqrt(1 - abar0[T])
        prior.append({"x0": x, "kl": sum(kl_quad(m * xi, s, 0.0, 1.0) for xi in x)})
    out["prior_kl"] = prior

    steps = []
    eps = np.array([0.4, -1.2])
    for t in [2, 10, 500, 1000]:
        a = 1 - beta(t)
        var = 1 / (1 / (1 - abar0[t - 1]) + a / beta(t))
        mean = var * (math.sqrt(abar0[t - 1]) * x0 / (1 - abar0[t - 1]) + math.sqrt(a) * xt / beta(t))
        mu = (xt - beta(t) / math.sqrt(1 - abar0[t]) * eps) / math.sqrt(a)
        kl = sum(kl_quad(mean[d], math.sqrt(var), mu[d], math.sqrt(beta(t))) for d in range(2))
        steps.append({"t": t, "x0": x0.tolist(), "xt": xt.tolist(), "eps": eps.tolist(), "kl": kl})
    out["step_kl"] = steps

    x1 = np.array([0.81, -1.09])
    a1 = 1 - beta(1)
    mu = (x1 - beta(1) / math.sqrt(1 - abar0[1]) * eps) / math.sqrt(a1)
    recon = -sum(stats.norm(mu[d], math.sqrt(beta(1))).logpdf(x0[d]) for d in range(2))
    out["reconstruction"] = {"x0": x0.tolist(), "x1": x1.tolist(), "eps": eps.tolist(), "nll": recon}

    K = 4
    ts = [1.0, 17.0, 500.0]
    freqs = 10000.0 ** (-np.arange(K) / K)
    emb = [np.concatenate([np.sin(t * freqs), np.cos(t * freqs)]).tolist() for t in ts]
    out["embedding"] = {"frequencies": K, "t": ts, "e": emb}

    def conv(o):
        if isinstance(o, dict):
            return {k: conv(v) for k, v in o.items()}
        if isinstance(o, list):
            return [conv(v) for v in o]
        if isinstance(o, (np.floating,)):
            return float(o)
        return o

    print(json.dumps(conv(out), indent=1))


if __name__ == "__main__":
    main()
