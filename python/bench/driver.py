"""Driver of the peers of `klcourse bench --compare`: PyTorch (eager and
torch.compile) and JAX (jit) on the CPU.

klcourse runs this file, then every models/*.py in name order (each registers
the peer versions of one of the course's models), then main(), as one script
on the standard input of the bench environment's Python (`klcourse bench
setup` installs it from python/bench.lock).

A workload is registered once per framework:

    @workload("rbm", modes=("train",), unit="images")            # PyTorch
    def rbm(mode): ...
    @workload("rbm", modes=("train",), unit="images", framework="jax")
    def rbm_jax(mode): ...

fn(mode) returns (items, make_input, step). make_input() builds the inputs of
one step (outside the timed region); step(x) runs the step and returns a float
read back from the result (a loss, a sample), which waits for the computation
to finish. items is the number of units one step processes. A PyTorch
workload wraps its computation in compiled(f), which is f itself in eager mode
and torch.compile(f) with --framework torch-compile.

Each workload is timed as the Go benchmarks time theirs (internal/benchstep):
the first step (which includes compiling, for torch.compile and jax.jit) is
reported on its own, the next steps are a warm-up, and throughput comes from
the median of the timed steps. Keras's initialisers are used where the sources
used Keras, so that models start where they do in Go.

Usage: python3 - --framework jax --models rbm,vae --steps 20 --threads 2 < script
Prints a header line {"framework", "version", "threads"}, then one JSON object
per measurement: {"model", "mode", "per_s", "unit", "ms_per_step",
"first_step_s", ...}, or {"model", "mode", "error"} when the framework could
not run it (torch.compile without a C++ compiler, say).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback

FRAMEWORKS = ("torch", "torch-compile", "jax")
FRAMEWORK = "torch"  # set by main before any workload runs

# Thread settings must be in the environment before the libraries load: XLA
# reads XLA_FLAGS once, and OpenMP (PyTorch's intra-op pool) OMP_NUM_THREADS.
# XLA's CPU client has no flag for a thread count: it runs one thread per core
# (os.cpu_count()), or one with --xla_cpu_multi_thread_eigen=false.
if __name__ == "__main__":
    _threads = "0"
    for _i, _a in enumerate(sys.argv):
        if _a == "--threads" and _i + 1 < len(sys.argv):
            _threads = sys.argv[_i + 1]
        elif _a.startswith("--threads="):
            _threads = _a.split("=", 1)[1]
    # --profile with --framework jax: XLA writes every module it compiles,
    # after its optimizations, into the folder --xla-dump names.
    for _i, _a in enumerate(sys.argv):
        if _a == "--xla-dump" and _i + 1 < len(sys.argv):
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_dump_to=" + sys.argv[_i + 1] +
                                       " --xla_dump_hlo_as_text --xla_dump_hlo_module_re=.*").strip()
    if _threads not in ("", "0"):
        os.environ["OMP_NUM_THREADS"] = _threads
        os.environ["MKL_NUM_THREADS"] = _threads
        if _threads == "1":
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import jax
import jax.numpy as jnp

jax.config.update("jax_platforms", "cpu")
# AIS and HMC run in float64, as in Go; every other workload names float32.
jax.config.update("jax_enable_x64", True)
f32 = jnp.float32

WORKLOADS = {}


def workload(name, modes=("train", "eval"), unit="images", framework="torch"):
    """Registers fn(mode) -> (items, make_input, step) under name for
    framework ("torch" serves eager and compiled PyTorch, or "jax")."""
    def register(fn):
        WORKLOADS[(name, framework)] = (fn, tuple(modes), unit)
        return fn
    return register


def compiled(f):
    """f under torch.compile with --framework torch-compile, else f."""
    if FRAMEWORK == "torch-compile":
        return torch.compile(f)
    return f


def glorot(layer):
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def trainer_steps(mode, m, opt, loss):
    """The step of a model trained by opt on loss(x): a training step, or in
    eval mode the loss without gradients. loss is compiled with
    torch-compile (its backward with it, by AOTAutograd)."""
    loss = compiled(loss)

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
    raise SystemExit(f"bench peers: unknown mode {mode!r} for a trained model; want train or eval")


# ---- JAX helpers: parameters are pytrees of float32 arrays.

def jax_glorot(key, fan_in, fan_out, shape=None):
    """Keras's glorot_uniform for a [fan_in, fan_out] kernel (or shape), and a zero bias."""
    limit = math.sqrt(6 / (fan_in + fan_out))
    w = jax.random.uniform(key, shape or (fan_in, fan_out), f32, -limit, limit)
    return {"w": w, "b": jnp.zeros((shape or (fan_in, fan_out))[-1], f32)}


def jax_dense(p, x):
    return x @ p["w"] + p["b"]


def adam(lr, b1=0.9, b2=0.999, eps=1e-7):
    """Adam as GoMLX, Keras and PyTorch apply it, as (init, update) on pytrees."""
    def init(params):
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return {"m": zeros, "v": zeros, "t": jnp.zeros((), f32)}

    def update(params, grads, s):
        t = s["t"] + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, s["m"], grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, s["v"], grads)
        scale = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        params = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps), params, m, v)
        return params, {"m": m, "v": v, "t": t}
    return init, update


def sgd(lr):
    def init(params):
        return ()

    def update(params, grads, s):
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), s
    return init, update


def jax_trainer(mode, params, loss, opt, seed=0, has_aux=False):
    """The step of a model trained by opt on loss(params, x, key), a scalar
    (key: a fresh random key each step), or with has_aux a pair (scalar, aux)
    whose aux (a scalar the lecture tracks) is read back too. Train: one
    jitted update (gradient and optimizer); eval: the jitted loss."""
    init, update = opt
    state = {"params": params, "opt": init(params), "key": jax.random.PRNGKey(seed)}
    with_aux = loss if has_aux else (lambda p, x, k: (loss(p, x, k), jnp.zeros((), f32)))

    @jax.jit
    def train(params, opt_state, key, x):
        key, sub = jax.random.split(key)
        (l, aux), grads = jax.value_and_grad(with_aux, has_aux=True)(params, x, sub)
        params, opt_state = update(params, grads, opt_state)
        return params, opt_state, key, l, aux

    @jax.jit
    def evaluate(params, key, x):
        key, sub = jax.random.split(key)
        l, aux = with_aux(params, x, sub)
        return key, l, aux

    def train_step(x):
        state["params"], state["opt"], state["key"], l, aux = train(state["params"], state["opt"], state["key"], x)
        return float(l) + 0 * float(aux)

    def eval_step(x):
        state["key"], l, aux = evaluate(state["params"], state["key"], x)
        return float(l) + 0 * float(aux)

    if mode == "train":
        return train_step
    if mode == "eval":
        return eval_step
    raise SystemExit(f"bench peers: unknown mode {mode!r} for a trained model; want train or eval")


_np_rng = np.random.default_rng(0)


def np_rand(*shape):
    """Uniform [0, 1) float32 inputs for JAX workloads, made on the host as
    torch.rand makes PyTorch's (outside the timed region)."""
    return jnp.asarray(_np_rng.random(shape, dtype=np.float32))


def measure(name, framework, mode, steps, warmup):
    fn, _, unit = WORKLOADS[(name, framework)]
    items, make_input, step = fn(mode)
    x = make_input()
    t = time.perf_counter()
    first = step(x)
    first_s = time.perf_counter() - t
    if not math.isfinite(first):
        raise SystemExit(f"bench peers: {name} {mode} ({FRAMEWORK}): the first step returned {first}")
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


def profile_torch(name, mode, steps, warmup):
    """Where a PyTorch step's time goes: `steps` steps under torch.profiler,
    after the first and the warm-up steps; each op (an aten op, or under
    torch.compile a kernel Inductor generated) with its share of the self CPU
    time, its calls and milliseconds per step. Nested ops count in events."""
    from torch.profiler import profile as torch_profile, ProfilerActivity
    fn, _, _ = WORKLOADS[(name, "torch")]
    _, make_input, step = fn(mode)
    step(make_input())
    for _ in range(warmup):
        step(make_input())
    xs = [make_input() for _ in range(steps)]
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        t = time.perf_counter()
        for x in xs:
            step(x)
        wall = time.perf_counter() - t
    ev = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in ev) or 1
    ev.sort(key=lambda e: -e.self_cpu_time_total)
    return {"steps": steps, "ms_per_step": wall * 1e3 / steps, "self_cpu_ms_per_step": total / 1e3 / steps,
            "events_per_step": sum(e.count for e in ev) / steps, "distinct_ops": len(ev),
            "top": [{"op": e.key, "share": e.self_cpu_time_total / total, "calls_per_step": e.count / steps,
                     "ms_per_step": e.self_cpu_time_total / 1e3 / steps} for e in ev[:10]]}


# An HLO instruction: "  [ROOT] [%]name = TYPE opcode(...)"; the opcode is the
# first word followed by "(" after the "=" (a tuple type starts with "(").
_HLO_INSTR = None
# Instructions that move no data or only name it.
_HLO_FREE = {"parameter", "constant", "get-tuple-element", "tuple", "bitcast"}


def hlo_counts(text):
    """Counts of the instructions of one optimized HLO module that run once
    per call: those of its entry computation and of the bodies of its while
    loops (once each; a fusion is one loop over memory), by opcode, and the
    instructions inside the fused computations they call."""
    import re
    global _HLO_INSTR
    if _HLO_INSTR is None:
        _HLO_INSTR = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+\s*=\s*.*?\s([a-z][\w\-]*)\(")
    comps, name, entry = {}, None, None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith("{"):
            head = line.split("(")[0].split()
            name = head[-1].lstrip("%") if head else ""
            if line.startswith("ENTRY"):
                entry = name
            comps[name] = []
            continue
        if line.startswith("}"):
            name = None
            continue
        m = _HLO_INSTR.match(line)
        if m and name is not None:
            comps[name].append((m.group(1), line))
    bodies = set()
    for ops in comps.values():
        for op, line in ops:
            if op == "while":
                b = re.search(r"body=%?([\w.\-]+)", line)
                if b:
                    bodies.add(b.group(1))
    run, fused, called = {}, 0, set()
    for c in [entry] + sorted(bodies):
        for op, line in comps.get(c, []):
            if op in _HLO_FREE:
                continue
            run[op] = run.get(op, 0) + 1
            if op == "fusion":
                f = re.search(r"calls=%?([\w.\-]+)", line)
                if f:
                    called.add(f.group(1))
    for c in called:
        fused += sum(1 for op, _ in comps.get(c, []) if op not in _HLO_FREE)
    return {"entry_ops": sum(run.values()), "fusions": run.get("fusion", 0), "ops_in_fusions": fused,
            "loop_bodies": len(bodies), "by_opcode": dict(sorted(run.items(), key=lambda kv: -kv[1]))}


def profile_jax(name, mode, steps, warmup, dump):
    """What XLA made of a JAX step: the steps run with XLA_FLAGS dumping every
    compiled module into dump (see --xla-dump); the largest module after
    XLA's optimizations is the step's, and its instructions are counted."""
    measure(name, "jax", mode, steps, warmup)
    modules = []
    for f in sorted(os.listdir(dump)):
        if f.endswith("after_optimizations.txt"):
            with open(os.path.join(dump, f)) as fh:
                c = hlo_counts(fh.read())
            c["module"] = f
            modules.append(c)
    if not modules:
        raise SystemExit(f"bench peers: XLA dumped no optimized module into {dump}")
    modules.sort(key=lambda c: -(c["entry_ops"] + c["ops_in_fusions"]))
    return {"modules": len(modules), "step_module": modules[0]}


FLOPS = {}  # name -> fn(): the FLOP counts of the model's workload, by PyTorch


def gemm_ceiling(n=2048, reps=7):
    """The FP32 matrix-product throughput this machine reaches with PyTorch
    (oneDNN/MKL) and JAX (XLA's Eigen) on the threads set: the median time of
    reps products of two n x n matrices, 2 n^3 FLOPs each, after one warm-up."""
    out = {"n": n, "reps": reps}
    a, b = torch.rand(n, n), torch.rand(n, n)
    ja, jb = jnp.asarray(a.numpy()), jnp.asarray(b.numpy())
    jmm = jax.jit(lambda x, y: x @ y)
    for name, f in (("torch", lambda: torch.mm(a, b)), ("jax", lambda: jmm(ja, jb).block_until_ready())):
        f()
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        out[name + "_gflops"] = 2 * n ** 3 / statistics.median(times) / 1e9
    return out


def versions():
    from importlib.metadata import version
    return {"torch": torch.__version__, "jax": jax.__version__, "jaxlib": version("jaxlib")}


def main():
    global FRAMEWORK
    p = argparse.ArgumentParser()
    p.add_argument("--framework", default="torch", choices=FRAMEWORKS)
    p.add_argument("--models", default="", help="comma-separated; default all")
    p.add_argument("--modes", default="", help="comma-separated; default each workload's own")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="threads of the framework (JAX: 1, or one per core); 0 keeps its default")
    p.add_argument("--versions", action="store_true", help="print the versions as JSON and exit")
    p.add_argument("--profile", action="store_true", help="print where a step's time goes (torch: torch.profiler; jax: the optimized HLO, with --xla-dump) instead of timing it")
    p.add_argument("--xla-dump", default="", help="with --profile --framework jax: an empty folder for XLA's dump")
    p.add_argument("--gemm", action="store_true", help="print the FP32 matrix-product throughput of torch and jax on --threads as JSON and exit")
    p.add_argument("--flops", action="store_true", help="print the FLOP counts of the models that have them (torch's FlopCounterMode) as JSON and exit")
    args = p.parse_args()
    if args.versions:
        print(json.dumps(versions()))
        return 0
    if args.gemm:
        if args.threads > 0:
            torch.set_num_threads(args.threads)
        print(json.dumps({"gemm": gemm_ceiling()}), flush=True)
        return 0
    if args.flops:
        names = args.models.split(",") if args.models else sorted(FLOPS)
        for name in names:
            if name not in FLOPS:
                raise SystemExit(f"bench peers: no FLOP count for {name!r} (there are {', '.join(sorted(FLOPS))})")
            print(json.dumps({"model": name, "flops": FLOPS[name]()}), flush=True)
        return 0
    FRAMEWORK = args.framework
    kind = "jax" if FRAMEWORK == "jax" else "torch"
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    if kind == "jax":
        threads = 1 if args.threads == 1 else os.cpu_count()
    print(json.dumps({"framework": FRAMEWORK, "versions": versions(), "threads": threads}), flush=True)
    names = args.models.split(",") if args.models else sorted({n for n, _ in WORKLOADS})
    for name in names:
        if (name, kind) not in WORKLOADS:
            known = sorted({n for n, k in WORKLOADS if k == kind})
            print(json.dumps({"model": name, "mode": "", "error": f"no {kind} version (it has {', '.join(known)})"}), flush=True)
            continue
        modes = args.modes.split(",") if args.modes else WORKLOADS[(name, kind)][1]
        for mode in modes:
            if mode not in WORKLOADS[(name, kind)][1]:
                print(json.dumps({"model": name, "mode": mode, "error": f"the {kind} version has no mode {mode} (it has {', '.join(WORKLOADS[(name, kind)][1])})"}), flush=True)
                continue
            try:
                if args.profile and kind == "jax":
                    if not args.xla_dump:
                        raise SystemExit("bench peers: --profile --framework jax needs --xla-dump FOLDER")
                    print(json.dumps({"model": name, "mode": mode, "profile": profile_jax(name, mode, args.steps, args.warmup, args.xla_dump)}), flush=True)
                elif args.profile:
                    print(json.dumps({"model": name, "mode": mode, "profile": profile_torch(name, mode, args.steps, args.warmup)}), flush=True)
                else:
                    print(json.dumps(measure(name, kind, mode, args.steps, args.warmup)), flush=True)
            except SystemExit:
                raise
            except Exception as e:  # torch.compile's failures (no compiler, an unsupported op) are reported, not fatal
                msg = "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()
                print(json.dumps({"model": name, "mode": mode, "error": " ".join(msg[:3])[:400]}), flush=True)
    return 0
