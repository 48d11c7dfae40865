#!/usr/bin/python3
"""Writes reference.json: the numbers the klloss tests compare against.

Documentation only: the Go tests read reference.json and never run this
script. It was run once, with Debian's Python packages (torch 1.13, numpy,
scipy), as

    /usr/bin/python3 gen_reference.py

from this directory. Every number comes from an implementation that shares no
code with klloss: torch.nn.functional (kl_div, log_softmax, softmax, autograd),
scipy.special.rel_entr, and numpy transcriptions of the Keras source. Where two
of them compute the same quantity the script asserts that they agree.

Gradients are of the sum of the function's output (for a scalar output, of the
output itself), as computed by torch autograd in float64.
"""

import json
import os
import tempfile

import numpy as np
import scipy
import scipy.special
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def t64(x):
    return torch.tensor(x, dtype=torch.float64)


def tolist(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64).tolist()


def flat(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64).reshape(-1).tolist()


# Forward KL from probabilities: KL(P||Q) = sum_k rel_entr(p_k, q_k), last axis.
forward_cases = [
    ("seed004", [[0.10, 0.40, 0.50], [0.80, 0.15, 0.05]],
     [[0.80, 0.15, 0.05], [0.10, 0.40, 0.50]]),
    ("target_zeros", [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]],
     [[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]]),
    ("both_zero", [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]],
     [[0.25, 0.75, 0.0], [0.25, 0.25, 0.5]]),
    ("rank3", [[[0.2, 0.8], [0.5, 0.5]], [[0.0, 1.0], [0.9, 0.1]]],
     [[[0.6, 0.4], [0.1, 0.9]], [[0.3, 0.7], [0.5, 0.5]]]),
]
forward = []
for name, p, q in forward_cases:
    per_example = scipy.special.rel_entr(np.array(p), np.array(q)).sum(-1)
    # torch gives 0 * log(0) = NaN where p = q = 0 (its input is log q = -inf
    # there), so the cross-check feeds it log q only where p > 0.
    log_q = torch.where(t64(p) > 0, t64(q).log(), t64(0.0))
    check = F.kl_div(log_q, t64(p), reduction="none").sum(-1)
    assert np.allclose(per_example, check.numpy(), rtol=1e-14, atol=0), name
    forward.append({"name": name, "p": p, "q": q,
                    "perExample": tolist(per_example)})

# Forward KL from logits: Q = softmax(logits).
forward_logits_cases = [
    ("small", [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
     [[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]]),
    ("large", [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
     [[1000.0, -1000.0, 0.0], [500.0, 1000.0, -1000.0]]),
    ("large_confident", [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
     [[-1000.0, 1000.0, 999.0], [1000.0, -1000.0, 1000.0]]),
]
forward_logits = []
for name, p, z in forward_logits_cases:
    zt = t64(z).requires_grad_(True)
    log_q = F.log_softmax(zt, dim=-1)
    per_example = F.kl_div(log_q, t64(p), reduction="none").sum(-1)
    (grad,) = torch.autograd.grad(per_example.sum(), zt)
    pn = np.array(p)
    analytic = F.softmax(t64(z), dim=-1).numpy() * pn.sum(-1, keepdims=True) - pn
    assert np.allclose(grad.numpy(), analytic, rtol=1e-12, atol=1e-15), name
    forward_logits.append({"name": name, "p": p, "logits": z,
                           "perExample": tolist(per_example),
                           "gradLogits": tolist(grad)})


# Reverse KL, KL(Q||P'), where P' is the target after the remedy.
def remedy(p, kind, eps):
    p = t64(p)
    if kind == "none":
        return p
    if kind == "clip":
        return p.clamp(eps, 1.0)
    if kind == "smooth":
        return (1 - eps) * p + eps / p.shape[-1]
    raise ValueError(kind)


onehot = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
reverse_cases = [
    ("exact", [[0.10, 0.40, 0.50], [0.2, 0.2, 0.6]],
     [[0.80, 0.15, 0.05], [0.0, 0.5, 0.5]], "none", 0.0),
    ("clip_1e-7", onehot, [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]], "clip", 1e-7),
    ("clip_1e-3", onehot, [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]], "clip", 1e-3),
    ("clip_model_zero", onehot, [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]],
     "clip", 1e-7),
    ("smooth_0.1", onehot, [[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]], "smooth", 0.1),
]
reverse = []
for name, p, q, kind, eps in reverse_cases:
    pp = remedy(p, kind, eps)
    # kl_div(input=log P', target=Q) is KL(Q||P') pointwise.
    per_example = F.kl_div(pp.log(), t64(q), reduction="none").sum(-1)
    check = scipy.special.rel_entr(np.array(q), pp.numpy()).sum(-1)
    assert np.allclose(per_example.numpy(), check, rtol=1e-14, atol=0), name
    reverse.append({"name": name, "p": p, "q": q, "remedy": kind,
                    "epsilon": eps, "perExample": tolist(per_example)})

reverse_logits_cases = [
    ("exact", [[0.10, 0.40, 0.50], [0.2, 0.2, 0.6]],
     [[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]], "none", 0.0),
    ("clip_1e-7", onehot, [[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]], "clip", 1e-7),
    ("smooth_0.1", onehot, [[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]], "smooth",
     0.1),
    ("clip_large", onehot, [[1000.0, -1000.0, 0.0], [500.0, 1000.0, -1000.0]],
     "clip", 1e-7),
    ("smooth_large", onehot,
     [[1000.0, -1000.0, 0.0], [500.0, 1000.0, -1000.0]], "smooth", 0.1),
]
reverse_logits = []
for name, p, z, kind, eps in reverse_logits_cases:
    pp = remedy(p, kind, eps)
    zt = t64(z).requires_grad_(True)
    log_q = F.log_softmax(zt, dim=-1)
    # With log_target=True, kl_div(log P', log Q) = exp(log Q)(log Q - log P').
    per_example = F.kl_div(pp.log(), log_q, reduction="none",
                           log_target=True).sum(-1)
    (grad,) = torch.autograd.grad(per_example.sum(), zt)
    q = F.softmax(t64(z), dim=-1).numpy()
    check = scipy.special.rel_entr(q, pp.numpy()).sum(-1)
    assert np.allclose(per_example.detach().numpy(), check, rtol=1e-12,
                       atol=0), name
    reverse_logits.append({"name": name, "p": p, "logits": z, "remedy": kind,
                           "epsilon": eps,
                           "perExample": tolist(per_example),
                           "gradLogits": tolist(grad)})


# Keras, transcribed from keras/src/losses/losses.py (Keras 3; tf.keras 2.x has
# the same body with backend.clip and tf.reduce_sum):
#
#   y_true = ops.clip(y_true, backend.epsilon(), 1)
#   y_pred = ops.clip(y_pred, backend.epsilon(), 1)
#   return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)
#
# and the default reduction "sum_over_batch_size": the sum of the per-example
# losses divided by their number.
def keras_kl(y_true, y_pred, dtype):
    y_pred = np.asarray(y_pred, dtype=dtype)
    y_true = np.asarray(y_true, dtype=dtype)
    eps = dtype(1e-7)  # keras.backend.epsilon()
    y_true = np.clip(y_true, eps, dtype(1))
    y_pred = np.clip(y_pred, eps, dtype(1))
    per_example = np.sum(y_true * np.log(y_true / y_pred), axis=-1)
    loss = np.sum(per_example) / dtype(per_example.size)
    return per_example, loss


keras_cases = [
    ("seed000", [[-0.4, 1.0], [3.0, 0.2]], [[0.16, 0.4], [0.14, 2.1]]),
    ("zeros", [[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]],
     [[0.1, 0.8, 0.1], [0.0, 0.5, 0.5]]),
    ("rank3", [[[0.2, 0.8], [0.5, 0.5]], [[0.0, 1.0], [0.9, 0.1]]],
     [[[0.6, 0.4], [0.1, 0.9]], [[0.3, 0.7], [0.5, 0.5]]]),
]
keras = []
for name, y_true, y_pred in keras_cases:
    for dtype in (np.float32, np.float64):
        per_example, loss = keras_kl(y_true, y_pred, dtype)
        keras.append({"name": name, "dtype": np.dtype(dtype).name,
                      "yTrue": y_true, "yPred": y_pred,
                      "perExample": tolist(per_example),
                      "loss": float(loss)})
seed000 = [c for c in keras if c["name"] == "seed000"]
# By hand: the clipped rows are y_true = [[1e-7, 1], [1, 0.2]] and
# y_pred = [[0.16, 0.4], [0.14, 1]].
by_hand = (1e-7 * np.log(1e-7 / 0.16) + np.log(1 / 0.4)
           + np.log(1 / 0.14) + 0.2 * np.log(0.2)) / 2
for c in seed000:
    assert abs(c["loss"] - by_hand) < 1e-6, c

# torch.nn.functional.kl_div with every reduction and log_target.
torch_inputs = {
    "matrix": (np.log([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]),
               [[0.0, 0.4, 0.6], [0.3, 0.3, 0.4]],
               np.log([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3]])),
    "vector": (np.log([0.25, 0.25, 0.5]), [0.5, 0.0, 0.5],
               np.log([0.5, 0.1, 0.4])),
    "rank3": (np.log([[[0.6, 0.4], [0.1, 0.9]], [[0.3, 0.7], [0.5, 0.5]]]),
              [[[0.2, 0.8], [0.5, 0.5]], [[0.0, 1.0], [0.9, 0.1]]],
              np.log([[[0.2, 0.8], [0.5, 0.5]], [[0.4, 0.6], [0.9, 0.1]]])),
    "scalar": (np.float64(-1.2), 0.3, np.float64(-0.4)),
}
torch_cases = []
for name, (inp, target, log_target_value) in torch_inputs.items():
    for log_target in (False, True):
        tgt = log_target_value if log_target else target
        for reduction in ("none", "sum", "mean", "batchmean"):
            x = t64(inp).requires_grad_(True)
            out = F.kl_div(x, t64(tgt), reduction=reduction,
                           log_target=log_target)
            (grad,) = torch.autograd.grad(out.sum(), x)
            torch_cases.append({
                "name": name, "logTarget": log_target,
                "reduction": reduction,
                "input": tolist(inp), "target": tolist(tgt),
                "shape": list(out.shape), "value": flat(out),
                "gradInput": tolist(grad)})

# Seed 002: a bimodal, unnormalised target on a grid and a standard normal Q,
# with kl_div's default reduction ("mean", here the same as "batchmean"
# because the input is one-dimensional).
seed002 = {}
for dtype in (torch.float32, torch.float64):
    x = torch.linspace(-15, 15, 1000, dtype=dtype)
    px = (torch.distributions.Normal(torch.tensor(-5.0, dtype=dtype), 1.0)
          .log_prob(x).exp()
          + torch.distributions.Normal(torch.tensor(10.0, dtype=dtype), 1.0)
          .log_prob(x).exp())
    inp = torch.distributions.Normal(torch.tensor([0.0], dtype=dtype),
                                     torch.tensor([1.0], dtype=dtype)
                                     ).log_prob(x)
    value = F.kl_div(inp, px)
    seed002[str(dtype).removeprefix("torch.")] = value.item()
assert abs(seed002["float32"] - 2.0812) < 1e-4, seed002

reference = {
    "generator": "gen_reference.py",
    "versions": {"torch": torch.__version__, "numpy": np.__version__,
                 "scipy": scipy.__version__},
    "forward": forward,
    "forwardLogits": forward_logits,
    "reverse": reverse,
    "reverseLogits": reverse_logits,
    "keras": keras,
    "torch": torch_cases,
    "seed002": seed002,
}

here = os.path.dirname(os.path.abspath(__file__))
fd, tmp = tempfile.mkstemp(dir=here, prefix=".reference-", suffix=".json")
with os.fdopen(fd, "w") as f:
    json.dump(reference, f, indent=1)
    f.write("\n")
os.chmod(tmp, 0o644)
os.replace(tmp, os.path.join(here, "reference.json"))
print("seed000 (Keras):", [(c["dtype"], c["loss"]) for c in seed000])
print("seed002 (torch kl_div, default reduction):", seed002)
