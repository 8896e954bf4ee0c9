"""Every gradlab model equals its PyTorch definition: forward, loss, gradient and HVP (float64).

For each case, tests/torch/model_dump builds a model from a config's model block (build_model,
float64), draws a batch, targets and a direction v, and writes the parameters (state_dict names,
in order), input, output, loss, gradient and Hessian-vector product as safetensors, together with
Model::pytorch_definition() (the Python source of `class Net`) in the file's metadata.

Here the source is executed, Net() is made float64, the parameters are loaded with
load_state_dict(strict=True) — so names, order and shapes must match exactly — and PyTorch
recomputes the output, the loss (gradlab's conventions, src/nn/loss.cpp: mse = ½‖f − y‖² summed
over outputs and averaged over examples; cross_entropy = torch.nn.functional.cross_entropy over
every position), the gradient and the HVP (double backward, Pearlmutter 1994). Both sides are
exact in exact arithmetic, so each tensor must agree to ‖ours − torch‖ ≤ 1e-9 ‖torch‖.

Cases: mlp (several activations, both losses), linear (with and without bias), cnn (max/avg
pooling, strides, the cohen_cnn preset), vit (class token and mean pooling), transformer_lm
(full and shorter context; no layer norm with ReLU and last-position output), lstm (tokens
per position and last step, image rows, float sequences with two layers, float vectors), mamba
(test_mamba_torch.py also checks it against an independent closed-form PyTorch implementation).

model_dump is found in $GRADLAB_NATIVE_BUILD (default: the folder of the native CLI,
build/native) or its tests/ subfolder. Run alone:
  /usr/bin/python3 tests/python/run_all.py test_models_torch
"""
import json
import os
import subprocess
import unittest

import torch

import support
from torch_oracle import net_from_definition, read_safetensors, torch_loss

TOLERANCE = 1e-9

# (name, spec): spec is model_dump's SPEC.json (see tests/torch/model_dump.cpp).
CASES = [
    ("mlp_tanh_mse", {"model": {"type": "mlp", "widths": [6, 5], "activation": "tanh"},
                      "input_shape": [3, 4], "output_dim": 3, "batch": 5, "loss": "mse"}),
    ("mlp_gelu_ce", {"model": {"type": "mlp", "widths": [7], "activation": "gelu"},
                     "input_shape": [5], "output_dim": 4, "batch": 6, "loss": "cross_entropy"}),
    ("mlp_elu_nobias", {"model": {"type": "mlp", "widths": [5, 5], "activation": "elu",
                                  "bias": False},
                        "input_shape": [4], "output_dim": 2, "batch": 4, "loss": "mse"}),
    ("mlp_silu_ce", {"model": {"type": "mlp", "widths": [6], "activation": "silu"},
                     "input_shape": [4], "output_dim": 3, "batch": 5, "loss": "cross_entropy"}),
    ("mlp_softplus_mse", {"model": {"type": "mlp", "widths": [6], "activation": "softplus"},
                          "input_shape": [4], "output_dim": 2, "batch": 5, "loss": "mse"}),
    # Gromov 2023's grokking MLP: x ↦ x², no bias (the definition carries class Quadratic).
    ("mlp_quadratic_nobias_mse", {"model": {"type": "mlp", "widths": [7],
                                            "activation": "quadratic", "bias": False},
                                  "input_shape": [6], "output_dim": 3, "batch": 5, "loss": "mse"}),
    ("mlp_relu_ce", {"model": {"type": "mlp", "widths": [8, 8], "activation": "relu"},
                     "input_shape": [1, 3, 3], "output_dim": 3, "batch": 5,
                     "loss": "cross_entropy"}),
    ("linear_ce", {"model": {"type": "linear"},
                   "input_shape": [6], "output_dim": 3, "batch": 5, "loss": "cross_entropy"}),
    ("linear_nobias_mse", {"model": {"type": "linear", "bias": False},
                           "input_shape": [2, 3], "output_dim": 1, "batch": 5, "loss": "mse"}),
    ("cnn_max_ce", {"model": {"type": "cnn", "channels": [3, 4], "activation": "tanh"},
                    "input_shape": [2, 8, 8], "output_dim": 3, "batch": 3,
                    "loss": "cross_entropy"}),
    ("cnn_avg_stride_mse", {"model": {"type": "cnn", "channels": [3], "kernel": 3, "stride": 2,
                                      "padding": 0, "pool": "avg", "activation": "elu"},
                            "input_shape": [1, 9, 9], "output_dim": 2, "batch": 3,
                            "loss": "mse"}),
    ("cnn_cohen_preset", {"model": {"type": "cnn", "preset": "cohen_cnn", "activation": "elu"},
                          "input_shape": [1, 8, 8], "output_dim": 3, "batch": 2,
                          "loss": "mse"}),
    ("vit_cls_ce", {"model": {"type": "vit", "patch": 2, "dim": 8, "depth": 2, "heads": 2,
                              "mlp_ratio": 2, "pool": "cls"},
                    "input_shape": [2, 4, 6], "output_dim": 3, "batch": 3,
                    "loss": "cross_entropy"}),
    ("vit_mean_mse", {"model": {"type": "vit", "patch": 3, "dim": 6, "depth": 1, "heads": 3,
                                "mlp_ratio": 1.5, "pool": "mean"},
                      "input_shape": [1, 6, 6], "output_dim": 2, "batch": 2, "loss": "mse"}),
    ("transformer_lm_ce", {"model": {"type": "transformer_lm", "dim": 8, "depth": 2,
                                     "heads": 2, "mlp_ratio": 2, "seq_len": 6},
                           "input_shape": [6], "output_dim": 7, "vocab": 7, "batch": 3,
                           "loss": "cross_entropy"}),
    ("transformer_lm_short_mse", {"model": {"type": "transformer_lm", "dim": 4, "depth": 1,
                                            "heads": 1, "mlp_ratio": 1, "seq_len": 8},
                                  "input_shape": [5], "output_dim": 5, "vocab": 5, "batch": 2,
                                  "loss": "mse"}),
    # Nanda et al. 2023's grokking transformer, small: no LayerNorm, ReLU MLP, last position.
    ("transformer_lm_nanda_last_ce", {"model": {"type": "transformer_lm", "dim": 8, "depth": 1,
                                                "heads": 2, "mlp_ratio": 4, "seq_len": 3,
                                                "layer_norm": False, "activation": "relu",
                                                "output": "last"},
                                      "input_shape": [3], "output_dim": 5, "vocab": 6,
                                      "batch": 4, "loss": "cross_entropy"}),
    ("lstm_tokens_sequence_ce", {"model": {"type": "lstm", "hidden": 5, "layers": 2},
                                 "input_shape": [6], "output_dim": 6, "vocab": 6, "batch": 3,
                                 "loss": "cross_entropy"}),
    ("lstm_tokens_last_ce", {"model": {"type": "lstm", "hidden": 4, "output": "last"},
                             "input_shape": [5], "output_dim": 6, "vocab": 6, "batch": 3,
                             "loss": "cross_entropy"}),
    ("lstm_image_ce", {"model": {"type": "lstm", "hidden": 4},
                       "input_shape": [2, 5, 3], "output_dim": 3, "batch": 3,
                       "loss": "cross_entropy"}),
    ("lstm_sequence_two_layers_mse", {"model": {"type": "lstm", "hidden": 3, "layers": 2,
                                                "output": "sequence"},
                                      "input_shape": [4, 2], "output_dim": 2, "batch": 2,
                                      "loss": "mse"}),
    ("lstm_vector_mse", {"model": {"type": "lstm", "hidden": 3},
                         "input_shape": [5], "output_dim": 1, "batch": 4, "loss": "mse"}),
    ("mamba_two_layers_ce", {"model": {"type": "mamba", "d_model": 8, "n_layers": 2,
                                       "d_state": 4, "expand": 2, "dt_rank": 2},
                             "input_shape": [6], "output_dim": 5, "vocab": 5, "batch": 2,
                             "loss": "cross_entropy"}),
]

def model_dump_path():
    build = os.environ.get("GRADLAB_NATIVE_BUILD", os.path.dirname(support.NATIVE_CLI))
    if not os.path.isabs(build):
        build = os.path.join(support.ROOT, build)
    candidates = [os.path.join(build, "model_dump"), os.path.join(build, "tests", "model_dump")]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    raise AssertionError("model_dump is not built (looked for " + ", ".join(candidates) +
                         "): run ./lab build, or cmake --build build/native --target model_dump")


class ModelsMatchPyTorch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dump = model_dump_path()

    def assert_close(self, ours, theirs, what):
        ours, theirs = ours.to(torch.float64), theirs.detach().to(torch.float64)
        self.assertEqual(tuple(ours.shape), tuple(theirs.shape), what)
        err = (ours - theirs).norm().item()
        scale = theirs.norm().item()
        self.assertLessEqual(err, TOLERANCE * scale + 1e-300,
                             f"{what}: |ours - torch| = {err:.3e}, |torch| = {scale:.3e}")

    def run_case(self, name, spec):
        with support.scratch_dir() as tmp:
            spec_path = os.path.join(tmp, "spec.json")
            out_path = os.path.join(tmp, "dump.safetensors")
            with open(spec_path, "w", encoding="utf-8") as f:
                json.dump(spec, f)
            proc = subprocess.run([self.dump, spec_path, out_path], capture_output=True,
                                  text=True, timeout=300)
            self.assertEqual(proc.returncode, 0, f"model_dump {name}: {proc.stderr}")
            tensors, meta = read_safetensors(out_path)

        names = json.loads(meta["names"])
        net = net_from_definition(meta["pytorch_definition"])
        # Same names in the same order as PyTorch's state_dict; strict load checks shapes.
        self.assertEqual(list(net.state_dict().keys()), names)
        net.load_state_dict({n: tensors[n] for n in names}, strict=True)

        x = tensors["dump.input"]
        output = net(x)
        self.assert_close(tensors["dump.output"], output, f"{name}: output")
        loss = torch_loss(meta["loss"], output, tensors["dump.target"])
        self.assert_close(tensors["dump.loss"], loss.reshape(1), f"{name}: loss")

        params = [p for _, p in net.named_parameters()]
        self.assertEqual([n for n, _ in net.named_parameters()], names)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        for n, g in zip(names, grads):
            self.assert_close(tensors["grad." + n], g, f"{name}: gradient of {n}")
        v = [tensors["v." + n] for n in names]
        hv = torch.autograd.grad(grads, params, grad_outputs=v)
        for n, h in zip(names, hv):
            self.assert_close(tensors["hvp." + n], h, f"{name}: HVP of {n}")


def _make_test(name, spec):
    def test(self):
        self.run_case(name, spec)
    test.__doc__ = f"{name}: {spec['model']['type']} equals its PyTorch definition"
    return test


for _name, _spec in CASES:
    setattr(ModelsMatchPyTorch, "test_" + _name, _make_test(_name, _spec))


if __name__ == "__main__":
    unittest.main()
