"""Driver of the PyTorch references for `klcourse bench --compare`.

klcourse runs this file, then every bench_torch/*.py in name order (each
registers the PyTorch version of one of the course's models), then main(),
as one script on Python's standard input.

A workload is registered with

    @workload("rbm", modes=("train", "eval"), unit="images")
    def rbm(mode):
        ...
        return items, make_input, step

make_input() builds the inputs of one step (outside the timed region);
step(x) runs the step and returns a float read back from the result (a loss,
a sample), which waits for the computation to finish. items is the number of
units one step processes.

Each workload is timed as the Go benchmarks time theirs (internal/benchstep):
the first step (which in Go includes compiling the graph) is reported on its
own, the next steps are a warm-up, and throughput comes from the median of
the timed steps. Keras's initialisers are used where the sources used Keras,
so that models start where they do in Go.

Usage: python3 - --models cnn,vae,rbm --steps 20 --warmup 2 --threads 2 < script
Prints one JSON object per line: {"model", "mode", "per_s", "unit", "ms_per_step", "first_step_s", ...}.
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

WORKLOADS = {}


def workload(name, modes=("train", "eval"), unit="images"):
    """Registers fn(mode) -> (items, make_input, step) under name."""
    def register(fn):
        WORKLOADS[name] = (fn, tuple(modes), unit)
        return fn
    return register


def glorot(layer):
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def trainer_steps(mode, m, opt, loss):
    """The step of a model trained by opt on loss(x): a training step, or in
    eval mode the loss without gradients."""
    def train_step(x):
        m.train()
        opt.zero_grad(set_to_none=True)
        l = loss(x)
        l.backward()
        opt.step()
        return l.item()

    def eval_step(x):
        m.eval()
        with torch.no_grad():
            return loss(x).item()

    if mode == "train":
        return train_step
    if mode == "eval":
        return eval_step
    raise SystemExit(f"bench_torch: unknown mode {mode!r} for a trained model; want train or eval")


def measure(name, mode, steps, warmup):
    fn, _, unit = WORKLOADS[name]
    items, make_input, step = fn(mode)
    x = make_input()
    t = time.perf_counter()
    first = step(x)
    first_s = time.perf_counter() - t
    if not math.isfinite(first):
        raise SystemExit(f"bench_torch: {name} {mode}: the first step returned {first}")
    for _ in range(warmup):
        step(make_input())
    times = []
    for _ in range(steps):
        x = make_input()
        t = time.perf_counter()
        step(x)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return {"model": name, "mode": mode, "batch": items, "steps": steps, "unit": unit,
            "per_s": items / med, "ms_per_step": med * 1e3, "first_step_s": first_s}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="", help="comma-separated; default all")
    p.add_argument("--modes", default="", help="comma-separated; default each workload's own")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0 keeps the default")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    names = args.models.split(",") if args.models else sorted(WORKLOADS)
    for name in names:
        if name not in WORKLOADS:
            raise SystemExit(f"bench_torch: unknown model {name!r}; want one of {', '.join(sorted(WORKLOADS))}")
        modes = args.modes.split(",") if args.modes else WORKLOADS[name][1]
        for mode in modes:
            print(json.dumps(measure(name, mode, args.steps, args.warmup)), flush=True)
