"""gradlab's optimizers and learning-rate schedules against torch.optim (float64).

Each case draws a small MLP (nn.Linear default init, tanh), a batch x and regression targets y,
and trains for a few steps with one optimizer config. tests/torch/optim_driver does the same with
gradlab (gradient by autograd, learning rate from scheduled_lr, Optimizer::step — the loop of
src/experiments/training.cpp) and writes the parameters after every step. PyTorch runs the loop
with the torch.optim class and arguments docs/models.md names for that config, and the
torch.optim.lr_scheduler equivalent of its schedule. Gradients are recomputed at every step from
the current parameters, so an error in one update also changes every later gradient.

Both sides compute the same formulas in float64 and may differ only by rounding (PyTorch fuses
some operations, e.g. addcmul). Checks, for every step k:
  ‖θ_k − θ_k^torch‖ ≤ 1e-9 ‖θ_k^torch‖                  (the acceptance criterion), and
  ‖(θ_k − θ_0) − (θ_k^torch − θ_0)‖ ≤ 1e-9 ‖θ_k^torch − θ_0‖
The second is the sharp one: the displacement is small next to θ, so an update that is wrong by
1e-7 of itself would still pass the first check but not this one. The loss before each step is
compared too.

LAMB has no torch.optim class in 1.13: the reference is written here from You et al. 2020
("Large batch optimization for deep learning: training BERT in 76 minutes"), Algorithm 2 with
φ = identity, trust ratio 1 when either norm is 0. Neither has normalized GD: its reference is
θ ← θ − η g/‖g‖ with the norm over all parameters, and its control normalises per tensor.

Losses: two GD steps with each config loss (src/nn/loss.cpp) against the PyTorch expression
docs/models.md gives for it, so the documented expressions are the ones gradlab computes.

A control per knob (weight decay, betas, eps, momentum, alpha, schedule) checks that changing it
changes PyTorch's trajectory by far more than the tolerance, so a knob that gradlab ignored could
not pass.

Schedules: scheduled_lr(optim, t, T) for every t against StepLR, CosineAnnealingLR, LinearLR /
SequentialLR where they are equivalent, and the closed forms of src/optim/optimizers.cpp:
  warmup   lr · min(1, (t + 1) / w)
  cosine   t < w: lr · (t + 1) / w;  else min_lr + (lr − min_lr)(1 + cos(π (t − w) / (T − w))) / 2

optim_driver is found in $GRADLAB_NATIVE_BUILD (default: the folder of the native CLI,
build/native) or its tests/ subfolder. Run alone:
  /usr/bin/python3 tests/python/run_all.py test_optim_torch
"""
import json
import math
import os
import subprocess
import unittest
import warnings

import torch
from torch import nn
import torch.nn.functional as F

import support

TOLERANCE = 1e-9
WIDTHS = [4, 6, 5, 3]  # MLP in -> hidden -> hidden -> out
BATCH = 8


def driver_path():
    build = os.environ.get("GRADLAB_NATIVE_BUILD", os.path.dirname(support.NATIVE_CLI))
    if not os.path.isabs(build):
        build = os.path.join(support.ROOT, build)
    candidates = [os.path.join(build, "optim_driver"), os.path.join(build, "tests", "optim_driver")]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise AssertionError("optim_driver is not built (looked for " + ", ".join(candidates) +
                         "): run ./lab build, or cmake --build build/native --target optim_driver")


# ---- the torch side ---------------------------------------------------------------------------

def lamb_reference(params, lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, clamp=None,
                   bias_correction=True):
    """You et al. 2020, Algorithm 2 (LAMB), as an object with torch.optim's step() interface.

    Per parameter tensor x with gradient g at step t = 1, 2, ...:
      m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
      m̂ = m / (1 − β1ᵗ),      v̂ = v / (1 − β2ᵗ)    (m̂ = m, v̂ = v without bias correction)
      r = m̂ / (√v̂ + ε) + λ x
      x ← x − η (φ(‖x‖) / ‖r‖) r       (the ratio is 1 when ‖x‖ or ‖r‖ is 0)
    with φ the identity, or z ↦ min(max(z, lo), hi) for clamp = (lo, hi).
    """
    class Lamb:
        def __init__(self):
            self.param_groups = [{"lr": lr, "params": list(params)}]
            self.t = 0
            self.m = [torch.zeros_like(p) for p in params]
            self.v = [torch.zeros_like(p) for p in params]

        def zero_grad(self):
            for p in self.param_groups[0]["params"]:
                p.grad = None

        @torch.no_grad()
        def step(self):
            self.t += 1
            b1, b2 = betas
            eta = self.param_groups[0]["lr"]
            for i, x in enumerate(self.param_groups[0]["params"]):
                g = x.grad
                self.m[i] = b1 * self.m[i] + (1 - b1) * g
                self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
                c1, c2 = (1 - b1 ** self.t, 1 - b2 ** self.t) if bias_correction else (1, 1)
                m_hat = self.m[i] / c1
                v_hat = self.v[i] / c2
                r = m_hat / (v_hat.sqrt() + eps) + weight_decay * x
                x_norm, r_norm = x.norm().item(), r.norm().item()
                phi = x_norm if clamp is None else min(max(x_norm, clamp[0]), clamp[1])
                trust = phi / r_norm if x_norm > 0 and r_norm > 0 else 1.0
                x -= eta * trust * r

    return Lamb()


def adam_without_bias_correction(params, lr, betas=(0.9, 0.999), eps=1e-8):
    """Adam as Cohen et al. 2022 run it (optim.bias_correction false): m, v as torch.optim.Adam,
    x ← x − η m / (√v + ε) with no 1 − βᵗ corrections. torch.optim.Adam has no such switch."""
    class AdamRaw:
        def __init__(self):
            self.param_groups = [{"lr": lr, "params": list(params)}]
            self.m = [torch.zeros_like(p) for p in params]
            self.v = [torch.zeros_like(p) for p in params]

        def zero_grad(self):
            for p in self.param_groups[0]["params"]:
                p.grad = None

        @torch.no_grad()
        def step(self):
            b1, b2 = betas
            eta = self.param_groups[0]["lr"]
            for i, x in enumerate(self.param_groups[0]["params"]):
                g = x.grad
                self.m[i] = b1 * self.m[i] + (1 - b1) * g
                self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
                x -= eta * self.m[i] / (self.v[i].sqrt() + eps)

    return AdamRaw()


def lars_reference(params, lr, momentum=0.9, weight_decay=0.0, trust=0.001):
    """LARS (You, Gitman & Ginsburg 2017, Algorithm 1) per parameter tensor w:
      local = η_trust ‖w‖ / (‖g‖ + λ‖w‖)   (1 when ‖w‖ or the denominator is 0)
      v ← μ v + η local (g + λ w),  w ← w − v."""
    class Lars:
        def __init__(self):
            self.param_groups = [{"lr": lr, "params": list(params)}]
            self.v = [torch.zeros_like(p) for p in params]

        def zero_grad(self):
            for p in self.param_groups[0]["params"]:
                p.grad = None

        @torch.no_grad()
        def step(self):
            eta = self.param_groups[0]["lr"]
            for i, w in enumerate(self.param_groups[0]["params"]):
                g = w.grad
                w_norm, g_norm = w.norm().item(), g.norm().item()
                denom = g_norm + weight_decay * w_norm
                local = trust * w_norm / denom if w_norm > 0 and denom > 0 else 1.0
                self.v[i] = momentum * self.v[i] + eta * local * (g + weight_decay * w)
                w -= self.v[i]

    return Lars()


def normalized_gd_reference(params, lr, per_tensor=False):
    """Normalized GD, θ ← θ − η g/‖g‖ with ‖g‖ over all parameters together (no step at g = 0),
    as an object with torch.optim's step() interface. per_tensor=True normalises each tensor by
    its own norm instead: the control, which a per-tensor implementation would match."""
    class NormalizedGd:
        def __init__(self):
            self.param_groups = [{"lr": lr, "params": list(params)}]

        def zero_grad(self):
            for p in self.param_groups[0]["params"]:
                p.grad = None

        @torch.no_grad()
        def step(self):
            ps = self.param_groups[0]["params"]
            eta = self.param_groups[0]["lr"]
            total = torch.sqrt(sum((p.grad ** 2).sum() for p in ps)).item()
            for p in ps:
                norm = p.grad.norm().item() if per_tensor else total
                if norm > 0:
                    p -= (eta / norm) * p.grad

    return NormalizedGd()


# (name, gradlab optim block, torch optimizer factory, steps, total_steps, schedule factory).
# The factory gets the parameter list; the schedule factory the optimizer (None: constant lr).
SGD, Adam, AdamW, RMSprop = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW,
                             torch.optim.RMSprop)
CASES = {
    "gd": ({"type": "gd", "lr": 0.2}, lambda p: SGD(p, lr=0.2)),
    "sgd_weight_decay": ({"type": "sgd", "lr": 0.2, "weight_decay": 0.05},
                         lambda p: SGD(p, lr=0.2, weight_decay=0.05)),
    "momentum": ({"type": "momentum", "lr": 0.1},  # momentum 0.9 by default
                 lambda p: SGD(p, lr=0.1, momentum=0.9)),
    "momentum_weight_decay": ({"type": "momentum", "lr": 0.1, "momentum": 0.7,
                               "weight_decay": 0.02},
                              lambda p: SGD(p, lr=0.1, momentum=0.7, weight_decay=0.02)),
    "nesterov": ({"type": "nesterov", "lr": 0.1},
                 lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_nesterov_flag": ({"type": "sgd", "lr": 0.1, "momentum": 0.6, "nesterov": True,
                           "weight_decay": 0.03},
                          lambda p: SGD(p, lr=0.1, momentum=0.6, nesterov=True,
                                        weight_decay=0.03)),
    "adam": ({"type": "adam", "lr": 0.01}, lambda p: Adam(p, lr=0.01)),
    "adam_weight_decay": ({"type": "adam", "lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-3,
                           "weight_decay": 0.1},
                          lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-3,
                                         weight_decay=0.1)),
    "adamw": ({"type": "adamw", "lr": 0.01},  # weight_decay 0.01 by default, as torch
              lambda p: AdamW(p, lr=0.01)),
    "adamw_weight_decay": ({"type": "adamw", "lr": 0.01, "betas": [0.85, 0.95], "eps": 1e-4,
                            "weight_decay": 0.5},
                           lambda p: AdamW(p, lr=0.01, betas=(0.85, 0.95), eps=1e-4,
                                           weight_decay=0.5)),
    "rmsprop": ({"type": "rmsprop", "lr": 0.01}, lambda p: RMSprop(p, lr=0.01)),
    "rmsprop_momentum": ({"type": "rmsprop", "lr": 0.01, "momentum": 0.9, "alpha": 0.9,
                          "eps": 1e-4, "weight_decay": 0.05},
                         lambda p: RMSprop(p, lr=0.01, momentum=0.9, alpha=0.9, eps=1e-4,
                                           weight_decay=0.05)),
    "lamb": ({"type": "lamb", "lr": 0.02}, lambda p: lamb_reference(p, lr=0.02)),
    "lamb_weight_decay": ({"type": "lamb", "lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-4,
                           "weight_decay": 0.1},
                          lambda p: lamb_reference(p, lr=0.02, betas=(0.8, 0.99), eps=1e-4,
                                                   weight_decay=0.1)),
    "normalized_gd": ({"type": "normalized_gd", "lr": 0.05},
                      lambda p: normalized_gd_reference(p, lr=0.05)),
    "adam_no_bias_correction": ({"type": "adam", "lr": 0.01, "bias_correction": False},
                                lambda p: adam_without_bias_correction(p, lr=0.01)),
    "lamb_trust_clamp": ({"type": "lamb", "lr": 0.02, "trust_clamp": [0.2, 0.6]},
                         lambda p: lamb_reference(p, lr=0.02, clamp=(0.2, 0.6))),
    "lamb_no_bias_correction": ({"type": "lamb", "lr": 0.02, "bias_correction": False},
                                lambda p: lamb_reference(p, lr=0.02, bias_correction=False)),
    "lars": ({"type": "lars", "lr": 2.0}, lambda p: lars_reference(p, lr=2.0)),
    "lars_weight_decay": ({"type": "lars", "lr": 2.0, "momentum": 0.5, "weight_decay": 0.1,
                           "trust_coefficient": 0.01},
                          lambda p: lars_reference(p, lr=2.0, momentum=0.5, weight_decay=0.1,
                                                   trust=0.01)),
}
STEPS = 3

# Training with a schedule: (gradlab optim block, torch optimizer, torch scheduler, steps).
SCHEDULED_CASES = {
    "momentum_step_schedule": (
        {"type": "momentum", "lr": 0.1, "schedule": {"type": "step", "step_size": 2,
                                                      "gamma": 0.5}},
        lambda p: SGD(p, lr=0.1, momentum=0.9),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), 5),
    "adam_cosine_warmup": (
        {"type": "adam", "lr": 0.02, "schedule": {"type": "cosine", "warmup_steps": 2,
                                                   "min_lr": 0.001}},
        lambda p: Adam(p, lr=0.02),
        lambda o: torch.optim.lr_scheduler.LambdaLR(
            o, lambda t: cosine_warmup_formula(1.0, 0.001 / 0.02, 2, t, 6)), 6),
}

# Losses: two GD steps with each loss (src/nn/loss.cpp) against its PyTorch expression in
# TORCH_LOSSES (the one docs/models.md gives); (loss, MLP widths). The binary margin losses have
# one output.
LOSS_CASES = {
    "mse_mean": [4, 6, 3],
    "cross_entropy": [4, 6, 3],
    "logistic": [4, 6, 1],
    "exponential": [4, 6, 1],
    "hinge": [4, 6, 1],
    "squared_hinge": [4, 6, 1],
}
LOSS_STEPS = 2

# Knob controls: (case, changed torch factory). Changing the knob must move PyTorch's
# trajectory by more than CONTROL_MIN (relative), else the case could not catch an ignored knob.
CONTROL_MIN = 1e-6
CONTROLS = {
    "sgd_weight_decay": lambda p: SGD(p, lr=0.2),
    "momentum": lambda p: SGD(p, lr=0.1),
    "momentum_weight_decay": lambda p: SGD(p, lr=0.1, momentum=0.7),
    "nesterov": lambda p: SGD(p, lr=0.1, momentum=0.9),
    "sgd_nesterov_flag": lambda p: SGD(p, lr=0.1, momentum=0.6, weight_decay=0.03),
    "adam": lambda p: Adam(p, lr=0.01, eps=1e-7),
    "adam_weight_decay": lambda p: Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-3),
    "adamw": lambda p: AdamW(p, lr=0.01, weight_decay=0.0),
    "adamw_weight_decay": lambda p: AdamW(p, lr=0.01, eps=1e-4, weight_decay=0.5),
    "rmsprop": lambda p: RMSprop(p, lr=0.01, alpha=0.9),
    "rmsprop_momentum": lambda p: RMSprop(p, lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.05),
    "lamb": lambda p: lamb_reference(p, lr=0.02, eps=1e-2),
    "lamb_weight_decay": lambda p: lamb_reference(p, lr=0.02, betas=(0.8, 0.99), eps=1e-4),
    "normalized_gd": lambda p: normalized_gd_reference(p, lr=0.05, per_tensor=True),
    "adam_no_bias_correction": lambda p: Adam(p, lr=0.01),
    "lamb_trust_clamp": lambda p: lamb_reference(p, lr=0.02),
    "lamb_no_bias_correction": lambda p: lamb_reference(p, lr=0.02),
    "lars": lambda p: lars_reference(p, lr=2.0, momentum=0.0),
    "lars_weight_decay": lambda p: lars_reference(p, lr=2.0, momentum=0.5, trust=0.01),
}


def cosine_warmup_formula(lr, min_lr, warmup, t, total):
    """The cosine schedule of src/optim/optimizers.cpp, written independently."""
    if t < warmup:
        return lr * (t + 1) / warmup
    span = max(total - warmup, 1)
    return min_lr + (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (t - warmup) / span))


def signs(labels, f):
    """Binary labels {0, 1} as ±1, shaped like the one-output model's f [N, 1]."""
    return (2 * labels - 1).to(f.dtype).reshape(f.shape)


# Each loss as the PyTorch expression docs/models.md gives for it (f [N, K] output, y dense
# targets, labels class ids).
TORCH_LOSSES = {
    "mse": lambda f, y, labels: 0.5 * ((f - y) ** 2).sum() / f.shape[0],
    "mse_mean": lambda f, y, labels: F.mse_loss(f, y),
    "cross_entropy": lambda f, y, labels: F.cross_entropy(f, labels),
    "logistic": lambda f, y, labels: F.softplus(-signs(labels, f) * f).mean(),
    "exponential": lambda f, y, labels: torch.exp(-signs(labels, f) * f).mean(),
    "hinge": lambda f, y, labels: F.relu(1 - signs(labels, f) * f).mean(),
    "squared_hinge": lambda f, y, labels: (F.relu(1 - signs(labels, f) * f) ** 2).mean(),
}
DENSE_TARGET_LOSSES = ("mse", "mse_mean")


def make_problem(seed, loss="mse", widths=WIDTHS):
    """An MLP with PyTorch's default init (float64), a batch x [N, in] and targets for the loss:
    y [N, out] (mse, mse_mean) or labels [N] (classes out; {0, 1} for the one-output binary
    losses)."""
    torch.manual_seed(seed)
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.Tanh())
    net = nn.Sequential(*layers).double()
    gen = torch.Generator().manual_seed(seed + 1)
    problem = {"named": [(f"layers.{n}", p.detach().clone()) for n, p in net.named_parameters()],
               "x": torch.randn(BATCH, widths[0], generator=gen, dtype=torch.float64),
               "y": None, "labels": None, "loss": loss}
    if loss in DENSE_TARGET_LOSSES:
        problem["y"] = torch.randn(BATCH, widths[-1], generator=gen, dtype=torch.float64)
    else:
        classes = max(widths[-1], 2)
        problem["labels"] = torch.randint(0, classes, (BATCH,), generator=gen)
    return problem


def problem_loss(params, problem):
    """The problem's loss at params: the tanh MLP, then the loss's PyTorch expression."""
    h = problem["x"]
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = torch.tanh(h)
    return TORCH_LOSSES[problem["loss"]](h, problem["y"], problem["labels"])


def torch_trajectory(problem, make_optimizer, steps, make_scheduler=None):
    """Trains with torch; returns (lr per step, loss per step, flat parameters after each step)."""
    params = [p.clone().requires_grad_(True) for _, p in problem["named"]]
    opt = make_optimizer(params)
    sched = make_scheduler(opt) if make_scheduler else None
    lrs, losses, after = [], [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = problem_loss(params, problem)
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        losses.append(loss.item())
        opt.step()
        if sched:
            sched.step()
        after.append(torch.cat([p.detach().reshape(-1) for p in params]))
    return lrs, losses, after


def case_json(name, optim, problem, steps):
    tensor = lambda t: {"shape": list(t.shape), "data": t.reshape(-1).tolist()}
    case = {"name": name, "optim": optim, "steps": steps, "total_steps": steps,
            "activation": "tanh", "loss": problem["loss"],
            "params": [dict(name=n, **tensor(p)) for n, p in problem["named"]],
            "x": tensor(problem["x"])}
    if problem["y"] is not None:
        case["y"] = tensor(problem["y"])
    if problem["labels"] is not None:
        case["labels"] = {"shape": list(problem["labels"].shape),
                          "labels": problem["labels"].tolist()}
    return case


# Schedules alone: (gradlab optim block, T, torch scheduler factory or None, formula or None).
def _formula_warmup(lr, w):
    return lambda t, total: lr * min(1.0, (t + 1) / w)


def _formula_cosine(lr, min_lr, w):
    return lambda t, total: cosine_warmup_formula(lr, min_lr, w, t, total)


SCHEDULES = {
    "constant": ({"lr": 0.3}, 7, None, lambda t, total: 0.3),
    "step": ({"lr": 0.3, "schedule": {"type": "step", "step_size": 3, "gamma": 0.5}}, 10,
             lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), None),
    "step_default_gamma": ({"lr": 0.3, "schedule": {"type": "step", "step_size": 4}}, 13,
                           lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4), None),
    "cosine": ({"lr": 0.1, "schedule": {"type": "cosine", "min_lr": 0.001}}, 10,
               lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
               _formula_cosine(0.1, 0.001, 0)),
    "cosine_warmup": (
        {"lr": 0.1, "schedule": {"type": "cosine", "warmup_steps": 3, "min_lr": 0.01}}, 12,
        lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
            torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / 3, end_factor=1.0,
                                              total_iters=2),
            torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=9, eta_min=0.01)],
            milestones=[3]),
        _formula_cosine(0.1, 0.01, 3)),
    "warmup": ({"lr": 0.2, "schedule": {"type": "warmup", "warmup_steps": 4}}, 9,
               lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / 4, end_factor=1.0,
                                                           total_iters=3),
               _formula_warmup(0.2, 4)),
}


def torch_schedule(make_scheduler, lr, total):
    """The lr a torch scheduler gives at steps 0 .. total−1 (scheduler.step() after each step)."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    with warnings.catch_warnings():
        # SequentialLR steps its second scheduler with an epoch argument: a deprecation warning.
        warnings.simplefilter("ignore", UserWarning)
        sched = make_scheduler(opt)
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sched.step()
    return lrs


def relative(ours, ref):
    ours = torch.as_tensor(ours, dtype=torch.float64).reshape(-1)
    ref = torch.as_tensor(ref, dtype=torch.float64).reshape(-1)
    return (torch.linalg.norm(ours - ref) / torch.linalg.norm(ref)).item()


class OptimizersMatchTorch(unittest.TestCase):
    """One driver run for every case and schedule (setUpClass); one test method per case."""

    @classmethod
    def setUpClass(cls):
        cls.problems = {}
        cases = []
        for i, (name, (optim, _)) in enumerate(CASES.items()):
            cls.problems[name] = make_problem(100 + i)
            cases.append(case_json(name, optim, cls.problems[name], STEPS))
        for i, (name, (optim, _, _, steps)) in enumerate(SCHEDULED_CASES.items()):
            cls.problems[name] = make_problem(200 + i)
            cases.append(case_json(name, optim, cls.problems[name], steps))
        for i, (loss, widths) in enumerate(LOSS_CASES.items()):
            cls.problems["loss_" + loss] = make_problem(300 + i, loss, widths)
            cases.append(case_json("loss_" + loss, {"type": "gd", "lr": 0.5},
                                   cls.problems["loss_" + loss], LOSS_STEPS))
        schedules = [{"name": name, "optim": dict(optim, type="gd"), "total_steps": total}
                     for name, (optim, total, _, _) in SCHEDULES.items()]
        driver = driver_path()
        with support.scratch_dir() as tmp:
            in_path, out_path = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
            with open(in_path, "w", encoding="utf-8") as f:
                json.dump({"cases": cases, "schedules": schedules}, f)
            proc = subprocess.run([driver, in_path, out_path], capture_output=True, text=True,
                                  timeout=300)
            if proc.returncode != 0:
                raise AssertionError(f"{driver} exited {proc.returncode}\n{proc.stderr}")
            with open(out_path, encoding="utf-8") as f:
                out = json.load(f)
        cls.ours = {c["name"]: c for c in out["cases"]}
        cls.our_schedules = {s["name"]: s["lr"] for s in out["schedules"]}

    def check_trajectory(self, name, make_optimizer, steps, make_scheduler=None):
        problem = self.problems[name]
        theta0 = torch.cat([p.reshape(-1) for _, p in problem["named"]])
        lrs, losses, after = torch_trajectory(problem, make_optimizer, steps, make_scheduler)
        ours = self.ours[name]
        self.assertEqual(len(ours["params"]), steps)
        worst = {"params": 0.0, "displacement": 0.0, "loss": 0.0, "lr": 0.0}
        for k in range(steps):
            mine = torch.tensor([v for p in ours["params"][k] for v in p], dtype=torch.float64)
            errors = {"params": relative(mine, after[k]),
                      "displacement": relative(mine - theta0, after[k] - theta0),
                      "loss": abs(ours["loss"][k] - losses[k]) / abs(losses[k]),
                      "lr": abs(ours["lr"][k] - lrs[k]) / abs(lrs[k])}
            # The update must be a real one: a vanishing displacement would make it vacuous.
            self.assertGreater((after[k] - theta0).norm().item(), 1e-4, f"{name}: step {k}")
            for what, err in errors.items():
                worst[what] = max(worst[what], err)
                self.assertLess(err, TOLERANCE, f"{name}: step {k}: {what} differs from torch by "
                                f"{err:.3e} (relative, tolerance {TOLERANCE:g})")
        print(f"  {name} ({steps} steps): worst relative errors " +
              ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
        return after

    def check_case(self, name):
        _, make_optimizer = CASES[name]
        after = self.check_trajectory(name, make_optimizer, STEPS)
        if name in CONTROLS:
            _, _, other = torch_trajectory(self.problems[name], CONTROLS[name], STEPS)
            moved = relative(other[-1], after[-1])
            self.assertGreater(moved, CONTROL_MIN,
                               f"{name}: the control trajectory is too close ({moved:.1e}) to "
                               "tell whether the knob is applied")

    def test_gd(self):
        self.check_case("gd")

    def test_sgd_weight_decay(self):
        self.check_case("sgd_weight_decay")

    def test_momentum(self):
        self.check_case("momentum")

    def test_momentum_weight_decay(self):
        self.check_case("momentum_weight_decay")

    def test_nesterov(self):
        self.check_case("nesterov")

    def test_sgd_nesterov_flag(self):
        self.check_case("sgd_nesterov_flag")

    def test_adam(self):
        self.check_case("adam")

    def test_adam_weight_decay(self):
        self.check_case("adam_weight_decay")

    def test_adamw(self):
        self.check_case("adamw")

    def test_adamw_weight_decay(self):
        self.check_case("adamw_weight_decay")

    def test_rmsprop(self):
        self.check_case("rmsprop")

    def test_rmsprop_momentum(self):
        self.check_case("rmsprop_momentum")

    def test_lamb(self):
        self.check_case("lamb")

    def test_lamb_weight_decay(self):
        self.check_case("lamb_weight_decay")

    def test_normalized_gd(self):
        self.check_case("normalized_gd")

    def test_adam_no_bias_correction(self):
        self.check_case("adam_no_bias_correction")

    def test_lamb_trust_clamp(self):
        self.check_case("lamb_trust_clamp")

    def test_lamb_no_bias_correction(self):
        self.check_case("lamb_no_bias_correction")

    def test_lars(self):
        self.check_case("lars")

    def test_lars_weight_decay(self):
        self.check_case("lars_weight_decay")

    def test_training_with_step_schedule(self):
        optim, make_optimizer, make_scheduler, steps = SCHEDULED_CASES["momentum_step_schedule"]
        self.check_trajectory("momentum_step_schedule", make_optimizer, steps, make_scheduler)

    def test_training_with_cosine_warmup_schedule(self):
        optim, make_optimizer, make_scheduler, steps = SCHEDULED_CASES["adam_cosine_warmup"]
        self.check_trajectory("adam_cosine_warmup", make_optimizer, steps, make_scheduler)

    def test_lamb_reference_without_decay_is_adam_direction_rescaled(self):
        """Sanity of the hand-written LAMB reference: without weight decay its first step has
        length lr·‖x‖ (the trust ratio ‖x‖/‖r‖ times ‖r‖), whatever the gradient."""
        x = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
        opt = lamb_reference([x], lr=0.1)
        (x * torch.tensor([1.0, -2.0], dtype=torch.float64)).sum().backward()
        before = x.detach().clone()
        opt.step()
        self.assertAlmostEqual((x.detach() - before).norm().item(), 0.1 * 5.0, places=12)

    def check_loss(self, loss):
        self.check_trajectory("loss_" + loss, lambda p: SGD(p, lr=0.5), LOSS_STEPS)

    def test_loss_mse_mean(self):
        self.check_loss("mse_mean")

    def test_loss_cross_entropy(self):
        self.check_loss("cross_entropy")

    def test_loss_logistic(self):
        self.check_loss("logistic")
        # docs/models.md: the logistic loss is binary cross-entropy on the logit.
        problem = self.problems["loss_logistic"]
        params = [p for _, p in problem["named"]]
        f = problem["x"]
        for i in range(0, len(params), 2):
            f = f @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                f = torch.tanh(f)
        labels = problem["labels"]
        bce = F.binary_cross_entropy_with_logits(f, labels.to(f.dtype).reshape(f.shape))
        self.assertAlmostEqual(bce.item(), problem_loss(params, problem).item(), places=13)

    def test_loss_exponential(self):
        self.check_loss("exponential")

    def test_loss_hinge(self):
        self.check_loss("hinge")

    def test_loss_squared_hinge(self):
        self.check_loss("squared_hinge")

    def check_schedule(self, name):
        optim, total, make_scheduler, formula = SCHEDULES[name]
        ours = self.our_schedules[name]
        self.assertEqual(len(ours), total)
        refs = {}
        if make_scheduler:
            refs["torch"] = torch_schedule(make_scheduler, optim["lr"], total)
        if formula:
            refs["formula"] = [formula(t, total) for t in range(total)]
        for what, ref in refs.items():
            for t in range(total):
                err = abs(ours[t] - ref[t]) / abs(ref[t])
                self.assertLess(err, TOLERANCE, f"schedule {name}: step {t}: gradlab {ours[t]!r}, "
                                f"{what} {ref[t]!r}")

    def test_schedule_constant(self):
        self.check_schedule("constant")

    def test_schedule_step_matches_steplr(self):
        self.check_schedule("step")

    def test_schedule_step_default_gamma(self):
        self.check_schedule("step_default_gamma")

    def test_schedule_cosine_matches_cosineannealinglr(self):
        self.check_schedule("cosine")

    def test_schedule_cosine_warmup(self):
        self.check_schedule("cosine_warmup")

    def test_schedule_warmup_matches_linearlr(self):
        self.check_schedule("warmup")


if __name__ == "__main__":
    unittest.main()
