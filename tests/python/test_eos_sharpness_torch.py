"""Edge-of-stability sharpness against PyTorch (issue 4): the λmax gradlab's Lanczos probe reports
in metrics.jsonl equals the top eigenvalue of the dense Hessian PyTorch builds at the same
parameters, to 1e-6 relative, at step 0 and at mid-run checkpoints.

`gradlab run --save-params 0,10,20` writes params-step{N}.safetensors, the parameters *before*
step N's update, which are the parameters the step-N metrics row's `sharpness` is computed at.
`gradlab data` writes the training set exactly as the run loads it. PyTorch rebuilds the network
from the definitions in docs/models.md, takes the mse loss of src/nn/loss.cpp (Cohen et al.
2021's ½‖f − y‖² summed over outputs, mean over examples, one-hot targets) on the full batch,
and differentiates it twice (double backward, one Hessian row per pass): H is small enough (≈ 140 and 330
parameters) to form densely, so torch.linalg.eigvalsh(H).max() is exact up to rounding and
gradlab's Lanczos, run for more iterations than there are parameters, must converge to it.
The MLP case also sets probe.average_window = 2: its `sharpness_avg` at step N must equal λmax
at the average of params-step{N-1} and params-step{N}; and probe.per_layer: its
`layer_sharpness` must hold, for every parameter tensor by its state_dict name, the top
eigenvalue of that tensor's diagonal block H_ℓℓ of the same dense Hessian (each block ≤ 64 × 64,
so the restricted Lanczos is exact too).
"""
import json
import os
import unittest

import torch
from torch import nn

from support import ROOT, read_jsonl, run_cli, scratch_dir
from torch_oracle import net_from_definition, read_safetensors, torch_loss

RTOL = 1e-6
CHECKPOINTS = (0, 10, 20)


def mlp_net(in_dim, classes):
    # docs/models.md, mlp with widths [8, 8], tanh: Linear layers at layers.0 / 2 / 4.
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(in_dim, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, classes))

        def forward(self, x):
            return self.layers(x.flatten(1))
    return Net()


def cnn_net(in_channels, height, width, classes):
    # docs/models.md, cnn with channels [3], kernel 3, padding "same" (= 1), tanh, max pooling:
    # Conv2d at layers.0, the head Linear after Flatten at layers.4.
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Conv2d(in_channels, 3, 3, stride=1, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(3 * (height // 2) * (width // 2), classes))

        def forward(self, x):
            return self.layers(x)
    return Net()


def dense_hessian_lambda_max(net, state, x, labels, classes):
    """λmax of ∇²L at `state`, L = 0.5 · Σ (f(x) − onehot)² / N, by double backward."""
    hessian, loss, _ = dense_hessian(net, state, x, labels, classes)
    return float(torch.linalg.eigvalsh(hessian).max()), loss, hessian.shape[0]


def block_lambda_max(net, state, x, labels, classes):
    """{state_dict name: λmax(H_ℓℓ)}: the top eigenvalue of each tensor's diagonal block of the
    dense Hessian (probe.per_layer's layer_sharpness), in the order of net.named_parameters()."""
    hessian, _, names = dense_hessian(net, state, x, labels, classes)
    out, offset = {}, 0
    for name, numel in names:
        block = hessian[offset:offset + numel, offset:offset + numel]
        out[name] = float(torch.linalg.eigvalsh(block).max())
        offset += numel
    return out


def dense_hessian(net, state, x, labels, classes):
    """(H [P, P], loss, [(name, numel)]) of the mse loss at `state`, by double backward."""
    net = net.double()
    net.load_state_dict(state, strict=True)
    params = list(net.parameters())
    y = torch.nn.functional.one_hot(labels, classes).to(torch.float64)
    out = net(x)
    loss = torch_loss("mse", out, y)
    grad = torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params, create_graph=True)])
    rows = []  # row i of H = ∇(∂L/∂θ_i), one backward pass each: [P] x P
    for i in range(grad.numel()):
        row = torch.autograd.grad(grad[i], params, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([(torch.zeros_like(p) if r is None else r).reshape(-1)
                               for p, r in zip(params, row)]))
    hessian = torch.stack(rows)  # [P, P]
    hessian = 0.5 * (hessian + hessian.T)  # symmetric up to rounding already
    return hessian, float(loss), [(n, p.numel()) for n, p in net.named_parameters()]


class EosSharpnessTorchTest(unittest.TestCase):
    def run_case(self, name, config, make_net, lanczos_iters_min):
        with scratch_dir() as d:
            config_path = os.path.join(d, "config.json")
            with open(config_path, "w", encoding="utf-8") as f:
                json.dump(config, f)
            out = os.path.join(d, "run")
            window = config["probe"].get("average_window", 0)
            saved = set(CHECKPOINTS) | ({s - 1 for s in CHECKPOINTS if s} if window else set())
            run_cli("run", config_path, "--out", out, "--quiet", "--save-params",
                    ",".join(map(str, sorted(saved))))
            data_path = os.path.join(d, "data.safetensors")
            run_cli("data", config_path, "--out", data_path)
            data, _ = read_safetensors(data_path)
            x, labels = data["x_train"], data["y_train"]
            self.assertEqual(x.dtype, torch.float64)
            classes = int(labels.max()) + 1
            rows = {r["step"]: r for r in read_jsonl(os.path.join(out, "metrics.jsonl"))}
            results = []
            for step in CHECKPOINTS:
                self.assertIn(step, rows, f"{name}: no metrics row for step {step}")
                ours = rows[step].get("sharpness")
                self.assertIsNotNone(ours, f"{name}: step {step} has no sharpness")
                state, _ = read_safetensors(os.path.join(out, f"params-step{step}.safetensors"))
                theirs, loss, n_params = dense_hessian_lambda_max(
                    make_net(x, classes), state, x, labels, classes)
                # Lanczos can only be exact once its Krylov space can span the whole space.
                self.assertGreaterEqual(lanczos_iters_min, n_params)
                # Same parameters, same data, same loss: a mismatch here would point at the
                # checkpoint/data plumbing rather than at the eigensolver.
                self.assertLessEqual(abs(loss - rows[step]["loss"]), 1e-12 * abs(loss),
                                     f"{name} step {step}: loss {rows[step]['loss']} vs torch {loss}")
                rel = abs(ours - theirs) / abs(theirs)
                results.append((step, ours, theirs, rel))
                if config["probe"].get("per_layer"):
                    # probe.per_layer: every tensor's λmax(H_ℓℓ), keyed by its state_dict name.
                    blocks = block_lambda_max(make_net(x, classes), state, x, labels, classes)
                    layers = rows[step].get("layer_sharpness")
                    self.assertIsNotNone(layers, f"{name}: step {step} has no layer_sharpness")
                    self.assertEqual(sorted(layers), sorted(blocks))
                    for tensor, value in blocks.items():
                        results.append((f"{step} {tensor}", layers[tensor], value,
                                        abs(layers[tensor] - value) / abs(value)))
                    # The blocks are not the whole Hessian: each is at most λmax(H) (Cauchy
                    # interlacing) and together they differ from it.
                    self.assertLessEqual(max(blocks.values()), theirs * (1 + RTOL))
                    self.assertLess(max(blocks.values()), theirs * (1 - 1e-3))
                if window and step > 0:
                    # probe.average_window 2: λmax at the mean of steps N − 1 and N.
                    self.assertEqual(window, 2)
                    before, _ = read_safetensors(
                        os.path.join(out, f"params-step{step - 1}.safetensors"))
                    mean = {k: 0.5 * (state[k] + before[k]) for k in state}
                    theirs_avg, _, _ = dense_hessian_lambda_max(
                        make_net(x, classes), mean, x, labels, classes)
                    ours_avg = rows[step].get("sharpness_avg")
                    self.assertIsNotNone(ours_avg, f"{name}: step {step} has no sharpness_avg")
                    results.append((f"{step} avg", ours_avg, theirs_avg,
                                    abs(ours_avg - theirs_avg) / abs(theirs_avg)))
            print(f"\n{name}: " + "; ".join(
                f"step {s}: gradlab {o:.15g} torch {t:.15g} rel {r:.2e}" for s, o, t, r in results))
            for step, ours, theirs, rel in results:
                self.assertLessEqual(rel, RTOL, f"{name} step {step}: gradlab sharpness {ours} vs "
                                                f"torch eigvalsh {theirs} (rel {rel:.3e})")
            # The check must see the parameters move: a mid-run λmax identical to step 0's
            # would mean the checkpoints were not the trained parameters.
            self.assertNotEqual(results[0][2], results[-1][2])

    def test_mlp_tanh_gaussian_mixture(self):
        iters = 160  # > 139 parameters: 4·8+8 + 8·8+8 + 8·3+3
        config = {
            "kind": "edge_of_stability", "seed": 3, "dtype": "float64",
            "data": {"source": "synthetic", "generator": "gaussian_mixture", "num_classes": 3,
                     "dim": 4, "n_train": 24, "n_test": 0},
            "model": {"type": "mlp", "widths": [8, 8], "activation": "tanh"},
            "loss": "mse", "optim": {"type": "gd", "lr": 0.1},
            "train": {"steps": 21, "batch_size": "full", "log_every": 1},
            "probe": {"sharpness_every": 10, "top_k": 1, "lanczos_iters": iters,
                      "average_window": 2, "per_layer": True},
        }
        self.run_case("mlp", config, lambda x, k: mlp_net(x[0].numel(), k), iters)

    def test_cnn_tanh_maxpool_fashion_mnist(self):
        iters = 340  # > 326 parameters: 1·3·3·3+3 + 147·2+2
        config = {
            "kind": "edge_of_stability", "seed": 5, "dtype": "float64",
            "data": {"source": "fashion_mnist", "n_train": 16, "n_test": 0, "classes": [0, 1],
                     "preprocess": ["downsample2", "standardize"], "targets": "onehot"},
            "model": {"type": "cnn", "channels": [3], "kernel": 3, "pool": "max",
                      "activation": "tanh"},
            "loss": "mse", "optim": {"type": "gd", "lr": 0.05},
            "train": {"steps": 21, "batch_size": "full", "log_every": 1},
            "probe": {"sharpness_every": 10, "top_k": 1, "lanczos_iters": iters},
        }
        self.run_case("cnn", config,
                      lambda x, k: cnn_net(x.shape[1], x.shape[2], x.shape[3], k), iters)


    def test_saved_params_carry_a_loadable_pytorch_definition(self):
        # params-step{N}.safetensors names the model's PyTorch source and loss in its metadata,
        # so a researcher can load a run's parameters into PyTorch without writing the model.
        # The loss and gradient norm PyTorch computes from that alone must equal the metrics
        # row of the same step (float64), for the sequence models and the ViT of the examples.
        # The transformer also under MSE: one-hot targets per position, [n, seq, vocab]; the
        # loss sums over positions, so its sharpness is ~100x larger and η must be smaller.
        mse = ["--set", "loss=mse", "--set", "optim.lr=0.001"]
        cases = [("transformer_char", []), ("transformer_char", mse),
                 ("lstm_seq", []), ("vit_tiny", [])]
        for example, extra in cases:
            with self.subTest(example=example, extra=extra), scratch_dir() as d:
                config = os.path.join(ROOT, "experiments", "edge_of_stability", example + ".json")
                sets = ["--profile", "test", "--set", "dtype=float64", "--set", "sweep=null",
                        "--set", "train.log_every=1"] + extra
                if example == "transformer_char":  # data.path is relative to the repository
                    sets += ["--set", "data.path=" + os.path.join(ROOT, "experiments", "data",
                                                                  "lighthouse.txt")]
                out = os.path.join(d, "run")
                run_cli("run", config, "--out", out, "--quiet", "--save-params", "0,5", *sets)
                data_path = os.path.join(d, "data.safetensors")
                run_cli("data", config, "--out", data_path, *sets)
                data, _ = read_safetensors(data_path)
                rows = {r["step"]: r for r in read_jsonl(os.path.join(out, "metrics.jsonl"))}
                for step in (0, 5):
                    state, meta = read_safetensors(
                        os.path.join(out, f"params-step{step}.safetensors"))
                    net = net_from_definition(meta["pytorch_definition"])
                    net.load_state_dict(state, strict=True)
                    x = data["x_train"]  # float64; the character model's are token ids
                    out_t = net(x.long() if example == "transformer_char" else x)
                    labels = data["y_train"]
                    with open(config, encoding="utf-8") as f:
                        self.assertEqual(meta["loss"], "mse" if extra else json.load(f)["loss"])
                    self.assertIn(meta["loss"], ("mse", "cross_entropy"))
                    target = (torch.nn.functional.one_hot(labels, out_t.shape[-1]).double()
                              if meta["loss"] == "mse" else labels)
                    loss = torch_loss(meta["loss"], out_t, target)
                    grads = torch.autograd.grad(loss, list(net.parameters()))
                    grad_norm = float(torch.sqrt(sum((g ** 2).sum() for g in grads)))
                    row = rows[step]
                    self.assertLessEqual(abs(float(loss) - row["loss"]), 1e-12 * row["loss"],
                                         f"{example} step {step}: loss")
                    self.assertLessEqual(abs(grad_norm - row["grad_norm"]),
                                         1e-9 * row["grad_norm"], f"{example} step {step}: grad")
                self.assertNotEqual(rows[0]["loss"], rows[5]["loss"])

    def test_gd_through_progressive_sharpening_equals_pytorch_gd(self):
        # experiments/edge_of_stability/mlp_silu.json (the reference setting: MLP
        # 8-16-16-1 SiLU, 128 Gaussian examples, MSE, η = 0.1, float64). PyTorch runs its own GD
        # from gradlab's initial parameters on gradlab's data and forms the dense Hessian every
        # 50 steps; through 1,650 steps of progressive sharpening (λmax 1.2 → 20.7, past
        # 2/η = 20) both trajectories, and gradlab's Lanczos against eigvalsh, agree to 1e-9.
        steps, every, lr = 1700, 50, 0.1
        config = os.path.join(ROOT, "experiments", "edge_of_stability", "mlp_silu.json")
        sets = ["--set", "sweep=null", "--set", f"train.steps={steps}",
                "--set", f"probe.sharpness_every={every}", "--set", "train.log_every=50",
                "--set", f"optim.lr={lr}"]
        with scratch_dir() as d:
            out = os.path.join(d, "run")
            run_cli("run", config, "--out", out, "--quiet", "--save-params", "0", *sets)
            data_path = os.path.join(d, "data.safetensors")
            run_cli("data", config, "--out", data_path, *sets)
            data, _ = read_safetensors(data_path)
            state, meta = read_safetensors(os.path.join(out, "params-step0.safetensors"))
            rows = {r["step"]: r for r in read_jsonl(os.path.join(out, "metrics.jsonl"))}
            summary = json.load(open(os.path.join(out, "summary.json"), encoding="utf-8"))
        net = net_from_definition(meta["pytorch_definition"])
        net.load_state_dict(state, strict=True)
        params = list(net.parameters())
        x, y = data["x_train"], data["y_train"]
        theirs = {}
        for step in range(steps):
            loss = torch_loss("mse", net(x), y)
            probe = step % every == 0
            grads = torch.autograd.grad(loss, params, create_graph=probe)
            if probe:
                flat = torch.cat([g.reshape(-1) for g in grads])
                hessian = torch.stack([
                    torch.cat([h.reshape(-1) for h in
                               torch.autograd.grad(flat[i], params, retain_graph=True)])
                    for i in range(flat.numel())])
                lam = float(torch.linalg.eigvalsh(0.5 * (hessian + hessian.T)).max())
                theirs[step] = (float(loss), lam)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= lr * g
        for step, (loss, lam) in theirs.items():
            self.assertLessEqual(abs(rows[step]["loss"] - loss), 1e-9 * loss, f"step {step}")
            self.assertLessEqual(abs(rows[step]["sharpness"] - lam), 1e-9 * lam, f"step {step}")
        threshold = 2 / lr
        self.assertLess(theirs[0][1], 0.1 * threshold)  # progressive sharpening from far below
        crossing = min(s for s, (_, lam) in theirs.items() if lam >= 0.95 * threshold)
        self.assertEqual(summary["eos_step"], crossing)
        self.assertGreater(theirs[1650][1], threshold)


if __name__ == "__main__":
    unittest.main()
