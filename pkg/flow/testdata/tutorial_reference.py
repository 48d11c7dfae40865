"""The flow-based sampling tutorial's phi^4 training (Albergo et al.,
arXiv:2101.08176, section on the scalar theory), rerun here in PyTorch to
measure its numbers the way the tutorial prints them and the way lecture 8
does. The model, prior, loss, optimizer and metrics follow the tutorial's
code: 16 affine couplings with checkerboard masks (parity i % 2), conv nets
1 -> 8 -> 8 -> 2 (3x3, circular padding, LeakyReLU, final tanh), PyTorch's
default initialisation, N(0, 1) prior, loss mean(log q - log p), Adam(1e-3),
25 eras x 100 steps, batch 64, float64 (the tutorial's dtype on a CPU).

Metrics:
  ess_batch_last100  the tutorial's printed ESS: the per-batch ESS of each
                     training batch of 64, averaged over the last 100 steps
  acceptance_8192    the tutorial's "Accept rate": independence Metropolis
                     over 8192 fresh samples drawn in batches of 64
  ess_N              (sum w)^2 / (N sum w^2) over N fresh samples

Usage: /usr/bin/python3 tutorial_reference.py SEED > tutorial_reference_SEED.json
"""
import json
import math
import sys
import time

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.manual_seed(seed)
np.random.seed(seed)
L, M2, LAM = 8, -4.0, 8.0


def action(phi):
    dens = M2 * phi ** 2 + LAM * phi ** 4
    for mu in (1, 2):
        dens = dens + 2 * phi ** 2 - phi * torch.roll(phi, -1, mu) - phi * torch.roll(phi, 1, mu)
    return dens.sum(dim=(1, 2))


def checker(parity):
    m = torch.ones((L, L)) - parity
    m[::2, ::2] = parity
    m[1::2, 1::2] = parity
    return m


class Coupling(torch.nn.Module):
    def __init__(self, parity):
        super().__init__()
        self.register_buffer("mask", checker(parity))
        sizes = [1, 8, 8, 2]
        net = []
        for i in range(3):
            net.append(torch.nn.Conv2d(sizes[i], sizes[i + 1], 3, padding=1, padding_mode="circular"))
            net.append(torch.nn.LeakyReLU() if i < 2 else torch.nn.Tanh())
        self.net = torch.nn.Sequential(*net)

    def forward(self, x):
        frozen = self.mask * x
        out = self.net(frozen.unsqueeze(1))
        s, t = out[:, 0], out[:, 1]
        fx = (1 - self.mask) * t + (1 - self.mask) * x * torch.exp(s) + frozen
        return fx, ((1 - self.mask) * s).sum(dim=(1, 2))


layers = torch.nn.ModuleList(Coupling(i % 2) for i in range(16))
prior = torch.distributions.Normal(torch.zeros(L * L), torch.ones(L * L))


def sample(n):
    z = prior.sample((n,))
    logq = prior.log_prob(z).sum(dim=1)
    x = z.reshape(n, L, L)
    for layer in layers:
        x, logj = layer(x)
        logq = logq - logj
    return x, logq


def ess(logw):
    return float(torch.exp(2 * torch.logsumexp(logw, 0) - torch.logsumexp(2 * logw, 0)) / len(logw))


opt = torch.optim.Adam(layers.parameters(), lr=1e-3)
ess_steps, eras = [], []
start = time.time()
for era in range(25):
    for step in range(100):
        opt.zero_grad()
        x, logq = sample(64)
        logp = -action(x)
        loss = (logq - logp).mean()
        loss.backward()
        opt.step()
        ess_steps.append(ess((logp - logq).detach()))
    eras.append({"era": era + 1, "loss": float(loss), "ess_batch_last100": float(np.mean(ess_steps[-100:]))})
    print(json.dumps(eras[-1]), file=sys.stderr, flush=True)
train_s = time.time() - start

with torch.no_grad():
    logws = []
    for _ in range(100000 // 1000):
        x, logq = sample(1000)
        logws.append(-action(x) - logq)
    logw = torch.cat(logws)
    gen = torch.Generator().manual_seed(seed)
    # the tutorial's ensemble: 8192 proposals (drawn in batches of 64; batches
    # of fresh independent samples, so the order does not matter)
    chain = logw[:8192]
    acc, cur = 0, chain[0]
    for k in range(1, len(chain)):
        if torch.rand(1, generator=gen) < torch.exp(chain[k] - cur):
            cur = chain[k]
            acc += 1
    per_batch = [ess(logw[i:i + 64]) for i in range(0, 8192, 64)]
print(json.dumps({
    "seed": seed, "torch": torch.__version__, "train_seconds_1thread": train_s,
    "eras": eras,
    "acceptance_8192": acc / (len(chain) - 1),
    "ess_batch64_fresh_mean": float(np.mean(per_batch)),
    "ess_1024": ess(logw[:1024]), "ess_8192": ess(logw[:8192]),
    "ess_20000": ess(logw[:20000]), "ess_100000": ess(logw),
}, indent=1))
