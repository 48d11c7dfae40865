"""Reference values for the gaussfit tests, computed with torch 1.13 in float64.

Run with Debian's Python (which has torch):  /usr/bin/python3 gen_reference.py > reference.json

- "optimizers": the iterates of torch.optim.Adam (lr 0.1, default betas and eps)
  and torch.optim.SGD (lr 0.01) on f(θ) = (θ₀ − 1)² + 3(θ₁ + 2)⁴ + θ₀θ₁
  from θ = (0.5, 0.3): params[k] after k steps and loss[k] there.
- "seed002": seed 002's fit (torch.optim.Adam with its defaults on μ and σ
  themselves, loss F.kl_div(Q.log_prob(x), px) with the default reduction
  "mean", px the sum of the densities of N(−5, 1) and N(10, 1) on
  linspace(−15, 15, 1000)), in float64; mu, sigma and loss after the
  recorded numbers of steps.
"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def objective(t):
    return (t[0] - 1) ** 2 + 3 * (t[1] + 2) ** 4 + t[0] * t[1]


def trajectory(make_opt, steps):
    theta = torch.tensor([0.5, 0.3], requires_grad=True)
    opt = make_opt([theta])
    params, losses = [], []
    for k in range(steps + 1):
        loss = objective(theta)
        params.append(theta.detach().tolist())
        losses.append(loss.item())
        if k == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"params": params, "loss": losses}


def seed002(checkpoints):
    x = torch.linspace(-15, 15, 1000)
    px = torch.distributions.Normal(-5.0, 1.0).log_prob(x).exp() + torch.distributions.Normal(10.0, 1.0).log_prob(x).exp()
    mu = torch.tensor([0.0], requires_grad=True)
    sigma = torch.tensor([1.0], requires_grad=True)
    opt = torch.optim.Adam([mu, sigma])
    out = []
    for k in range(max(checkpoints) + 1):
        loss = F.kl_div(torch.distributions.Normal(mu, sigma).log_prob(x), px)
        if k in checkpoints:
            out.append({"steps": k, "mu": mu.item(), "sigma": sigma.item(), "loss": loss.item()})
        opt.zero_grad()
        loss.backward()
        opt.step()
    return out


reference = {
    "optimizers": {
        "adam": trajectory(lambda p: torch.optim.Adam(p, lr=0.1), 25),
        "sgd": trajectory(lambda p: torch.optim.SGD(p, lr=0.01), 25),
    },
    "seed002": seed002([0, 1, 100, 1000, 10000]),
}
print(json.dumps(reference, indent=1))
