"""Edge of stability through the CLI: quadratic_gd's three regimes as `gradlab run` reports
them, and every example config in experiments/ running its `test` profile to completion.

The quadratic cases are exact (Cohen et al. 2021, §2): with L = λmax, η = 0.9·2/L converges and
η = 1.1·2/L diverges, which summary.json must say with the step and the reason.
"""
import json
import os
import subprocess
import unittest

from support import NATIVE_CLI, ROOT, read_jsonl, run_cli, scratch_dir


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path


def quadratic(lr, steps=500):
    return {"kind": "quadratic_gd", "seed": 2,
            "quadratic": {"eigenvalues": [0.5, 3, 10], "rotate": True},
            "optim": {"type": "gd", "lr": lr}, "train": {"steps": steps, "log_every": 1}}


class QuadraticCliTest(unittest.TestCase):
    def test_below_two_over_l_converges(self):
        with scratch_dir() as d:
            out = os.path.join(d, "run")
            run_cli("run", write(os.path.join(d, "c.json"), quadratic(0.9 * 2 / 10)), "--out", out,
                    "--quiet")
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertEqual(summary["status"], "completed")
            self.assertEqual(summary["regime"], "converges")
            self.assertLess(summary["final_loss"], 1e-10 * summary["initial_loss"])
            rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
            self.assertEqual(len(rows), 500)
            self.assertEqual(len(rows[0]["coords"]), 3)
            self.assertAlmostEqual(rows[0]["contraction"][2], 0.8)
            self.assertEqual(rows[0]["sharpness"], 10)
            self.assertAlmostEqual(rows[0]["threshold"], 2 / 0.18)

    def test_above_two_over_l_diverges_with_step_and_reason(self):
        with scratch_dir() as d:
            out = os.path.join(d, "run")
            run_cli("run", write(os.path.join(d, "c.json"), quadratic(1.1 * 2 / 10)), "--out", out,
                    "--quiet")
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertEqual(summary["status"], "diverged")
            self.assertEqual(summary["regime"], "diverges")
            rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
            # The run stops at the step whose loss passed 1e30 x the initial loss.
            self.assertEqual(summary["diverged_at_step"], rows[-1]["step"])
            self.assertLess(summary["diverged_at_step"], 500)
            self.assertGreater(rows[-1]["loss"], 1e30 * summary["initial_loss"])
            self.assertLessEqual(rows[-2]["loss"], 1e30 * summary["initial_loss"])
            reason = summary["divergence_reason"]
            self.assertIn("|1 − ηλ| = 1.2 > 1 for λ = 10", reason)
            self.assertIn("exceeds 2/λ = 0.2", reason)
            self.assertIn("at step %d" % summary["diverged_at_step"], reason)


class ExampleConfigsTest(unittest.TestCase):
    def test_every_example_config_runs_its_test_profile(self):
        configs = []
        for dirpath, _, files in os.walk(os.path.join(ROOT, "experiments")):
            configs += [os.path.join(dirpath, f) for f in files if f.endswith(".json")]
        self.assertGreater(len(configs), 0)
        with scratch_dir() as d:
            for i, path in enumerate(sorted(configs)):
                out = os.path.join(d, "run%d" % i)
                # Data paths in the examples (experiments/data/...) are relative to the repo root.
                proc = subprocess.run([NATIVE_CLI, "run", path, "--profile", "test", "--out", out,
                                       "--quiet"], cwd=ROOT, capture_output=True, text=True,
                                      timeout=300)
                self.assertEqual(proc.returncode, 0, (path, proc.stderr))
                summary = json.load(open(os.path.join(out, "summary.json")))
                self.assertEqual(summary["status"], "completed", path)
                self.assertGreater(len(read_jsonl(os.path.join(out, "metrics.jsonl"))), 0, path)


if __name__ == "__main__":
    unittest.main()
