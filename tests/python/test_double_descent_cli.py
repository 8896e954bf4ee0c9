"""Network double descent through the CLI: experiments/double_descent/mlp_*.json with their test
profiles (Fashion-MNIST, 40 examples, a few seconds), sharded with `gradlab sweep --shard`.

Checks what a width sweep's user relies on: every sweep.jsonl row has width, n_params, n_train,
train_error, test_error, test_loss, param_norm; n_params equals PyTorch's count for the same
nn.Sequential; the label-noise indices are logged, the same at every width and reproducible;
sweep_summary.json marks the interpolation threshold at the first width whose train error is 0;
the epoch-wise config logs every epoch; the sample-wise config's rows carry n_train.
"""
import json
import os
import unittest

from support import ROOT, read_jsonl, run_cli, scratch_dir

CONFIGS = os.path.join(ROOT, "experiments", "double_descent")
ROW_KEYS = ("width", "n_params", "n_train", "train_error", "test_error", "test_loss", "param_norm")


def sweep(config, out, *extra):
    run_cli("sweep", os.path.join(CONFIGS, config), "--profile", "test", "--out", out, "--quiet",
            *extra)
    return read_jsonl(os.path.join(out, "sweep.jsonl"))


class NetworkDoubleDescentCliTest(unittest.TestCase):
    def test_width_sweep_sharded_rows_threshold_and_noise(self):
        with scratch_dir() as d:
            out = os.path.join(d, "sweep")
            # Two shards into one folder, as two machines would share a disk.
            sweep("mlp_width_sweep.json", out, "--shard", "1/2")
            rows = sweep("mlp_width_sweep.json", out, "--shard", "2/2")
            widths = sorted(r["width"] for r in rows)
            self.assertEqual(widths, [1, 4, 32])  # the test profile's grid, each point once
            for r in rows:
                for k in ROW_KEYS:
                    self.assertIn(k, r, f"sweep row {r['id']} lacks {k}")
                self.assertEqual(r["n_train"], 40)
                self.assertEqual(r["model.widths"], [r["width"]])
                # One hidden layer on 7x7 inputs (downsample2 twice): h(49 + 1) + 10(h + 1).
                self.assertEqual(r["n_params"], r["width"] * 50 + 10 * (r["width"] + 1))
                self.assertAlmostEqual(r["label_noise"], 0.2)
                self.assertEqual(r["n_noisy"], 8)  # round(0.2 * 40)
                self.assertEqual(r["interpolated"], r["train_error"] <= r["interpolation_tol"])
            # The same noisy labels at every width: the data depend on the seed only.
            noisy = {tuple(r["noisy_indices"]) for r in rows}
            self.assertEqual(len(noisy), 1)

            summary = json.load(open(os.path.join(out, "sweep_summary.json")))
            curve = summary["curves"][0]
            self.assertEqual(curve["axis"], "width")
            by_width = sorted(rows, key=lambda r: r["width"])
            first_zero = next((r["width"] for r in by_width if r["train_error"] == 0), None)
            self.assertIsNotNone(first_zero, "no width of the test grid fitted the 40 examples")
            self.assertEqual(curve["interpolation_threshold_width"], first_zero)
            self.assertEqual(curve["max_width"], 32)

            # Running the config's base point (model.widths [32]) alone reproduces that sweep
            # point: the same noisy indices and the same numbers.
            again = os.path.join(d, "again")
            run_cli("run", os.path.join(CONFIGS, "mlp_width_sweep.json"), "--profile", "test",
                    "--out", again, "--quiet")
            s = json.load(open(os.path.join(again, "summary.json")))
            w32 = next(r for r in rows if r["width"] == 32)
            self.assertEqual(s["width"], 32)
            self.assertEqual(s["noisy_indices"], w32["noisy_indices"])
            self.assertEqual(s["test_error"], w32["test_error"])
            self.assertEqual(s["param_norm"], w32["param_norm"])

    def test_n_params_matches_pytorch(self):
        try:
            import torch  # Debian's python3-torch; run_all.py uses /usr/bin/python3
        except ImportError as e:  # a missing oracle is a failure, never a skip
            raise AssertionError(f"PyTorch is required for this oracle test: {e}")
        with scratch_dir() as d:
            for widths in ([5], [5, 5]):
                out = os.path.join(d, "x".join(map(str, widths)))
                run_cli("run", os.path.join(CONFIGS, "mlp_epochwise.json"), "--profile", "test",
                        "--set", f"model.widths={json.dumps(widths)}", "--set",
                        "train.epochs=1", "--out", out, "--quiet")
                s = json.load(open(os.path.join(out, "summary.json")))
                layers, fan_in = [], 49  # 7x7 inputs
                for h in widths:
                    layers += [torch.nn.Linear(fan_in, h), torch.nn.ReLU()]
                    fan_in = h
                layers.append(torch.nn.Linear(fan_in, 10))
                expected = sum(p.numel() for p in torch.nn.Sequential(*layers).parameters())
                self.assertEqual(s["n_params"], expected)
                self.assertEqual(s["depth"], len(widths))

    def test_epochwise_rows_every_epoch(self):
        with scratch_dir() as d:
            out = os.path.join(d, "run")
            run_cli("run", os.path.join(CONFIGS, "mlp_epochwise.json"), "--profile", "test",
                    "--out", out, "--quiet")
            rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
            self.assertEqual([r["epoch"] for r in rows], [float(e) for e in range(20)])
            for r in rows:
                self.assertAlmostEqual(r["test_error"], 1 - r["test_acc"])
                self.assertAlmostEqual(r["train_error"], 1 - r["train_acc"])
            s = json.load(open(os.path.join(out, "summary.json")))
            self.assertEqual(s["best_test_error"], min(r["test_error"] for r in rows))
            self.assertEqual(s["width"], 32)

    def test_samplewise_rows_have_n_train(self):
        with scratch_dir() as d:
            rows = sweep("mlp_samplewise.json", os.path.join(d, "sweep"))
            self.assertEqual(sorted(r["n_train"] for r in rows), [20, 40])
            for r in rows:
                self.assertEqual(r["data.n_train"], r["n_train"])
                self.assertEqual(r["width"], 4)
                self.assertEqual(r["n_noisy"], round(0.2 * r["n_train"]))
            summary = json.load(open(os.path.join(d, "sweep", "sweep_summary.json")))
            self.assertEqual([c["axis"] for c in summary["curves"]], ["n_train"])
            self.assertEqual(summary["curves"][0]["max_n_train"], 40)


if __name__ == "__main__":
    unittest.main()
