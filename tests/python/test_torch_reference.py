"""PyTorch as the oracle for gradlab's loss, gradient and Hessian-vector product (float64).

Each case builds a small network in PyTorch with PyTorch's own conventions (nn.Linear weight
[out, in], nn.Conv2d weight [O, C, kh, kw], NCHW), draws parameters, inputs, targets and a
direction v, and writes them to a JSON file. gradlab's tests/torch/torch_ref_driver rebuilds
the same network from gradlab ops and writes back L, ∇L and (∇²L)v. PyTorch computes the same
three with torch.autograd.grad, the HVP by double backward (Pearlmutter 1994: differentiate
<∇L, v>). Both sides are exact in exact arithmetic, so in float64 they must agree to rounding:
the check is ‖ours − torch‖ / ‖torch‖ < 1e-10 for each of L, ∇L, Hv (all parameters
concatenated).

Cases: MLP with tanh and with GELU (exact erf form), each with MSE and with cross-entropy; a
CNN (conv stride 1 pad 1, relu, max-pool, conv stride 2 pad 1, elu, avg-pool, linear,
cross-entropy); a layer-norm + softmax attention block (MSE).

The driver is found in $GRADLAB_NATIVE_BUILD (default: the folder of the native CLI,
build/native) or its tests/ subfolder. Run alone:
  /usr/bin/python3 tests/python/run_all.py test_torch_reference
"""
import json
import math
import os
import subprocess
import unittest

import torch
from torch import nn
import torch.nn.functional as F

import support

TOLERANCE = 1e-10


def driver_path():
    build = os.environ.get("GRADLAB_NATIVE_BUILD", os.path.dirname(support.NATIVE_CLI))
    if not os.path.isabs(build):
        build = os.path.join(support.ROOT, build)
    candidates = [os.path.join(build, "torch_ref_driver"),
                  os.path.join(build, "tests", "torch_ref_driver")]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise AssertionError("torch_ref_driver is not built (looked for " + ", ".join(candidates) +
                         "): run ./lab build, or cmake --build build/native --target "
                         "torch_ref_driver")


# ---- the networks, in PyTorch ---------------------------------------------------------------

class MLP(nn.Module):
    """x [N, in] -> (Linear, act)* -> Linear; state_dict names layers.{0,2,4}.weight/bias."""

    def __init__(self, widths, activation):
        super().__init__()
        act = {"tanh": nn.Tanh, "gelu": nn.GELU}[activation]  # nn.GELU(): exact erf form
        mods = []
        for i in range(len(widths) - 1):
            mods.append(nn.Linear(widths[i], widths[i + 1]))
            if i + 2 < len(widths):
                mods.append(act())
        self.layers = nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(x)


class CNN(nn.Module):
    """x [N, 2, 10, 10] -> conv1 3x3 s1 p1 [N, 3, 10, 10] -> relu -> max_pool 2 [N, 3, 5, 5]
    -> conv2 3x3 s2 p1 [N, 4, 3, 3] -> elu -> avg_pool 2 s1 [N, 4, 2, 2] -> flatten 16 -> fc."""

    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, 3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.avg_pool2d(F.elu(self.conv2(h)), 2, stride=1)
        return self.fc(torch.flatten(h, 1))


class Attention(nn.Module):
    """x [B, T, D] -> u = LayerNorm(x) -> q, k, v = Linear(u) -> softmax(q kᵀ / √D) v."""

    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)

    def forward(self, x):
        u = self.ln(x)
        q, k, v = self.q(u), self.k(u), self.v(u)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(x.shape[-1]), dim=-1)
        return att @ v


def make_case(name, seed, model, x, loss, activation=None):
    """Random parameters (PyTorch default init, then perturbed so that e.g. LayerNorm's affine
    part is not the identity), targets and a direction v; returns the torch side of a case."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = model.double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    out_shape = model(x).shape
    if loss == "mse":
        target = torch.randn(out_shape, generator=gen, dtype=torch.float64)
    else:
        target = torch.randint(0, out_shape[-1], (out_shape[0],), generator=gen)
    named = list(model.named_parameters())
    v = [torch.randn(p.shape, generator=gen, dtype=torch.float64) for _, p in named]
    return {"name": name, "model": model, "kind": type(model).__name__.lower(), "x": x,
            "loss": loss, "target": target, "activation": activation, "named": named, "v": v}


def torch_reference(case):
    params = [p for _, p in case["named"]]
    out = case["model"](case["x"])
    if case["loss"] == "mse":
        loss = F.mse_loss(out, case["target"])
    else:
        loss = F.cross_entropy(out, case["target"])
    grads = torch.autograd.grad(loss, params, create_graph=True)
    # Hv = ∇_w <∇L(w), v>: the double-backward Hessian-vector product.
    gv = sum((g * v).sum() for g, v in zip(grads, case["v"]))
    hvp = torch.autograd.grad(gv, params)
    flat = lambda ts: torch.cat([t.detach().reshape(-1) for t in ts])
    return loss.item(), flat(grads), flat(hvp)


def to_json(case):
    def tensor(t):
        return {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()}

    kind = {"mlp": "mlp", "cnn": "cnn", "attention": "attention"}[case["kind"]]
    target = case["target"]
    if case["loss"] == "mse":
        target_json = tensor(target)
    else:
        target_json = {"shape": list(target.shape), "labels": target.tolist()}
    out = {"name": case["name"], "model": kind, "loss": case["loss"], "x": tensor(case["x"]),
           "target": target_json,
           "params": [dict(name=n, **tensor(p)) for n, p in case["named"]],
           "v": [v.reshape(-1).tolist() for v in case["v"]]}
    if case["activation"]:
        out["activation"] = case["activation"]
    return out


def build_cases():
    torch.manual_seed(1234)  # PyTorch's default init, before make_case perturbs it
    gen = torch.Generator().manual_seed(1234)
    randn = lambda *shape: torch.randn(*shape, generator=gen, dtype=torch.float64)
    cases = []
    seed = 10
    for activation in ("tanh", "gelu"):
        for loss in ("mse", "cross_entropy"):
            x = randn(12, 6)  # [N, in]
            cases.append(make_case(f"mlp_{activation}_{loss}", seed, MLP([6, 10, 8, 4], activation),
                                   x, loss, activation))
            seed += 1
    cases.append(make_case("cnn_cross_entropy", seed, CNN(3), randn(5, 2, 10, 10), "cross_entropy"))
    cases.append(make_case("attention_mse", seed + 1, Attention(6), randn(2, 5, 6), "mse"))
    return cases


def relative_error(ours, ref):
    ours = torch.as_tensor(ours, dtype=torch.float64).reshape(-1)
    ref = torch.as_tensor(ref, dtype=torch.float64).reshape(-1)
    return (torch.linalg.norm(ours - ref) / torch.linalg.norm(ref)).item()


class TorchReference(unittest.TestCase):
    """One driver run for all cases (setUpClass); one test method per case."""

    @classmethod
    def setUpClass(cls):
        cls.cases = {c["name"]: c for c in build_cases()}
        driver = driver_path()
        with support.scratch_dir() as tmp:
            in_path, out_path = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
            with open(in_path, "w", encoding="utf-8") as f:
                json.dump({"cases": [to_json(c) for c in cls.cases.values()]}, f)
            proc = subprocess.run([driver, in_path, out_path], capture_output=True, text=True,
                                  timeout=300)
            if proc.returncode != 0:
                raise AssertionError(f"{driver} exited {proc.returncode}\n{proc.stderr}")
            with open(out_path, encoding="utf-8") as f:
                cls.ours = {c["name"]: c for c in json.load(f)["cases"]}

    def check(self, name):
        case, ours = self.cases[name], self.ours[name]
        loss, grad, hvp = torch_reference(case)
        # The HVP must be a real test: a zero or tiny Hv would make the relative check vacuous.
        self.assertGreater(torch.linalg.norm(hvp).item(), 1e-3)
        self.assertGreater(torch.linalg.norm(grad).item(), 1e-3)
        flat = lambda lists: [x for l in lists for x in l]
        errors = {"loss": abs(ours["loss"] - loss) / abs(loss),
                  "grad": relative_error(flat(ours["grad"]), grad),
                  "hvp": relative_error(flat(ours["hvp"]), hvp)}
        n = sum(p.numel() for _, p in case["named"])
        print(f"  {name} ({n} params): relative errors " +
              ", ".join(f"{k} {v:.2e}" for k, v in errors.items()))
        for what, err in errors.items():
            self.assertLess(err, TOLERANCE, f"{name}: {what} differs from PyTorch by {err:.3e} "
                            f"(relative, tolerance {TOLERANCE:g})")

    def test_mlp_tanh_mse(self):
        self.check("mlp_tanh_mse")

    def test_mlp_tanh_cross_entropy(self):
        self.check("mlp_tanh_cross_entropy")

    def test_mlp_gelu_mse(self):
        self.check("mlp_gelu_mse")

    def test_mlp_gelu_cross_entropy(self):
        self.check("mlp_gelu_cross_entropy")

    def test_cnn_cross_entropy(self):
        self.check("cnn_cross_entropy")

    def test_attention_layer_norm_softmax_mse(self):
        self.check("attention_mse")


if __name__ == "__main__":
    unittest.main()
