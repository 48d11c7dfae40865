"""PyTorch references of the course's models for `klcourse bench --compare`.

The models, batch sizes and optimisers are those of pkg/models:

  cnn  seed 000 CIFAR-10 CNN, batch 250, Adam(lr 1e-3), softmax cross-entropy
  vae  seed 004 VAE 784-256-2, batch 128, Adam(lr 1e-3), 784*BCE + 1*KL
  rbm  seed 001 RBM 784x500, CD-1, batch 64, SGD(lr 0.1) on F(v0) - F(v1)

Each is timed as the Go benchmarks time theirs: the first step (which in Go
includes compiling the graph) is reported on its own, the next steps are a
warm-up, and throughput comes from the median of the timed steps, each of
which ends by reading the loss. Inputs are random, generated outside the
timed region. Keras's initialisers are used where the seed used Keras, so the
exponential layer of the CNN starts where it does in Go.

Usage: python3 bench_torch.py --models cnn,vae,rbm --steps 20 --warmup 2 --threads 2
Prints one JSON object per line: {"model", "mode", "images_per_s", "ms_per_step", "first_step_s", ...}.
"""

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def glorot(layer):
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = glorot(nn.Conv2d(3, 32, 3))
        self.conv2 = glorot(nn.Conv2d(32, 128, 3))
        self.dense1 = glorot(nn.Linear(6 * 6 * 128, 64))
        self.dense2 = glorot(nn.Linear(64, 10))

    def forward(self, x):
        x = F.dropout(F.max_pool2d(torch.tanh(self.conv1(x)), 2), 0.4, self.training)
        x = F.dropout(F.max_pool2d(F.relu(self.conv2(x)), 2), 0.7, self.training)
        x = torch.exp(self.dense1(torch.flatten(x, 1)))
        return self.dense2(x)


class VAE(nn.Module):
    def __init__(self, inputs=784, hidden=256, latent=2, kl=1.0):
        super().__init__()
        self.kl = kl
        self.enc = glorot(nn.Linear(inputs, hidden))
        self.mean = glorot(nn.Linear(hidden, latent))
        self.log_var = glorot(nn.Linear(hidden, latent))
        self.dec = glorot(nn.Linear(latent, hidden))
        self.out = glorot(nn.Linear(hidden, inputs))

    def loss(self, x):
        h = F.relu(self.enc(x))
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        logits = self.out(F.relu(self.dec(z)))
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        kl = (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(1)).mean()
        return rec + self.kl * kl


class RBM(nn.Module):
    def __init__(self, visible=784, hidden=500):
        super().__init__()
        self.W = nn.Parameter(torch.randn(hidden, visible) * 1e-2)
        self.v_bias = nn.Parameter(torch.zeros(visible))
        self.h_bias = nn.Parameter(torch.zeros(hidden))

    def free_energy(self, v):
        return -v.mv(self.v_bias) - F.softplus(F.linear(v, self.W, self.h_bias)).sum(1)

    def loss(self, images):
        v = torch.bernoulli(images)
        with torch.no_grad():
            h = torch.bernoulli(torch.sigmoid(F.linear(v, self.W, self.h_bias)))
            v1 = torch.bernoulli(torch.sigmoid(F.linear(h, self.W.t(), self.v_bias)))
        return self.free_energy(v).mean() - self.free_energy(v1).mean()


def workload(name):
    if name == "cnn":
        m = CNN()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
        batch = 250
        data = lambda: (torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,)))
        loss = lambda x: F.cross_entropy(m(x[0]), x[1])
    elif name == "vae":
        m = VAE()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
        batch = 128
        data = lambda: torch.rand(batch, 784)
        loss = m.loss
    elif name == "rbm":
        m = RBM()
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        batch = 64
        data = lambda: torch.rand(batch, 784)
        loss = m.loss
    else:
        raise SystemExit(f"bench_torch.py: unknown model {name!r}; want cnn, vae or rbm")
    return m, opt, batch, data, loss


def train_step(m, opt, loss, x):
    m.train()
    opt.zero_grad(set_to_none=True)
    l = loss(x)
    l.backward()
    opt.step()
    return l.item()


def eval_step(m, opt, loss, x):
    m.eval()
    with torch.no_grad():
        return loss(x).item()


def measure(name, mode, steps, warmup):
    m, opt, batch, data, loss = workload(name)
    step = train_step if mode == "train" else eval_step
    x = data()
    t = time.perf_counter()
    first = step(m, opt, loss, x)
    first_s = time.perf_counter() - t
    if not math.isfinite(first):
        raise SystemExit(f"bench_torch.py: {name} {mode}: loss is {first}")
    for _ in range(warmup):
        step(m, opt, loss, data())
    times = []
    for _ in range(steps):
        x = data()
        t = time.perf_counter()
        step(m, opt, loss, x)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return {"model": name, "mode": mode, "batch": batch, "steps": steps,
            "images_per_s": batch / med, "ms_per_step": med * 1e3, "first_step_s": first_s}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="cnn,vae,rbm")
    p.add_argument("--modes", default="train,eval")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 keeps the default")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for name in args.models.split(","):
        for mode in args.modes.split(","):
            print(json.dumps(measure(name, mode, args.steps, args.warmup)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
