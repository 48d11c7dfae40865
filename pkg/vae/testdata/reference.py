#!/usr/bin/python3
"""Reference values for the tests of package vae.

The Go tests never run this script: they read reference.json, committed next to it. It computes
with PyTorch 1.13 as shipped by Debian (python3-torch, run with /usr/bin/python3), which shares no
code with the Go package:

  bce          torch.nn.functional.binary_cross_entropy_with_logits(reduction="none") summed per row,
               and its gradient with respect to the logits (autograd).
  kl           torch.distributions.kl_divergence(Normal(mean, exp(logvar/2)), Normal(0, 1)) summed
               per row, and its gradients with respect to mean and logvar (autograd).
  logmeanexp   torch.logsumexp(a, 0) - log(k) per column, and its gradient (autograd).
  tiny         a VAE with 6 inputs, 5 hidden units and a 2-D latent space, its weights drawn here:
               for fixed noise eps [k, batch, 2], the ELBO estimate and the IWAE bound per image
               computed with torch.distributions (Normal.log_prob, Bernoulli(logits).log_prob);
               and log p(x) itself by quadrature, a 601 x 601 midpoint rule over [-9, 9]^2 of
               p(x|z) p(z), against which the Go test checks that IWAE with many samples closes
               on log p(x) and that the ELBO stays below it.

Regenerate with

    /usr/bin/python3 pkg/vae/testdata/reference.py > pkg/vae/testdata/reference.json
"""

import json
import math

import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

torch.set_default_dtype(torch.float64)
torch.manual_seed(5)


def tolist(t):
    return t.detach().tolist()


out = {}

# Binary cross-entropy from logits, extreme logits included.
x = torch.tensor([[1, 0, 0.3, 1, 0, 1], [0.5, 0.1, 0.9, 0, 1, 0.25]])
logits = torch.tensor([[2, 2, -0.5, 60, -60, -60], [0.0, -3, 3, 10, -10, 0.7]], requires_grad=True)
bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
(g,) = torch.autograd.grad(bce.sum(), logits)
out["bce"] = {"x": tolist(x), "logits": tolist(logits), "value": tolist(bce), "grad_logits": tolist(g)}

# KL of diagonal Gaussians to N(0, I).
mean = torch.tensor([[0, 0, 0], [1, -2, 0.5], [3, 0.1, -0.7], [0, 0, 0]], requires_grad=True)
logvar = torch.tensor([[0, 0, 0], [0.3, -1, 2], [-4, 1.5, 0], [-8, 3, 0.01]], requires_grad=True)
kl = kl_divergence(Normal(mean, torch.exp(logvar / 2)), Normal(torch.zeros(3), torch.ones(3))).sum(-1)
gm, gl = torch.autograd.grad(kl.sum(), [mean, logvar])
out["kl"] = {"mean": tolist(mean), "logvar": tolist(logvar), "value": tolist(kl),
             "grad_mean": tolist(gm), "grad_logvar": tolist(gl)}

# Log-mean-exp over axis 0, with values where exp under- or overflows.
a = torch.tensor([[-1000.0, 0, 800, 1], [-1000, 1, 800, 2], [-1001, -30, 700, 3], [-1002, 2, -5, 4]], requires_grad=True)
lme = torch.logsumexp(a, 0) - math.log(a.shape[0])
(ga,) = torch.autograd.grad(lme.sum(), a)
out["logmeanexp"] = {"a": tolist(a), "value": tolist(lme), "grad": tolist(ga)}

# A tiny VAE: encoder 6-5-(2, 2), decoder 2-5-6, relu hidden layers.
D, H, L, B, K = 6, 5, 2, 3, 7
w = {
    "encoder/hidden": (torch.randn(D, H) * 0.8, torch.randn(H) * 0.3),
    "encoder/mean": (torch.randn(H, L) * 0.8, torch.randn(L) * 0.3),
    "encoder/log_var": (torch.randn(H, L) * 0.5, torch.randn(L) * 0.3 - 0.5),
    "decoder/hidden": (torch.randn(L, H) * 1.0, torch.randn(H) * 0.3),
    "decoder/output": (torch.randn(H, D) * 1.5, torch.randn(D) * 0.3),
}


def dense(name, v):
    W, b = w[name]
    return v @ W + b


def encode(x):
    h = torch.relu(dense("encoder/hidden", x))
    return dense("encoder/mean", h), dense("encoder/log_var", h)


def decode_logits(z):
    return dense("decoder/output", torch.relu(dense("decoder/hidden", z)))


xs = torch.tensor([[1.0, 0, 1, 1, 0, 0], [0, 0, 0, 1, 1, 1], [1, 1, 0, 0, 1, 0]])
eps = torch.randn(K, B, L)
mu, lv = encode(xs)
sd = torch.exp(lv / 2)
z = mu + sd * eps  # [K, B, L]
log_pxz = Bernoulli(logits=decode_logits(z)).log_prob(xs.expand(K, B, D)).sum(-1)  # [K, B]
log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
log_qz = Normal(mu, sd).log_prob(z).sum(-1)
iwae = torch.logsumexp(log_pxz + log_pz - log_qz, 0) - math.log(K)
elbo = log_pxz.mean(0) - kl_divergence(Normal(mu, sd), Normal(0.0, 1.0)).sum(-1)

# log p(x) by the midpoint rule on [-9, 9]^2.
n, lo, hi = 601, -9.0, 9.0
h = (hi - lo) / n
c = lo + h * (torch.arange(n) + 0.5)
grid = torch.stack(torch.meshgrid(c, c, indexing="ij"), -1).reshape(-1, L)
lg = decode_logits(grid)  # [n*n, D]
log_joint = Bernoulli(logits=lg.unsqueeze(1)).log_prob(xs.unsqueeze(0)).sum(-1) + Normal(0.0, 1.0).log_prob(grid).sum(-1, keepdim=True)
log_px = torch.logsumexp(log_joint, 0) + 2 * math.log(h)

out["tiny"] = {
    "inputs": D, "hidden": H, "latent": L,
    "weights": {k: {"weights": tolist(W), "biases": tolist(b)} for k, (W, b) in w.items()},
    "x": tolist(xs), "eps": tolist(eps), "elbo": tolist(elbo), "iwae": tolist(iwae), "log_px": tolist(log_px),
}
print(json.dumps(out, indent=1))
