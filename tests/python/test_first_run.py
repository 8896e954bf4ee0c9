"""What `gradlab run` tells a person (issue 15, README "The first run"): the progress line with
the loss, the latest sharpness against 2/η and the ETA; the closing account with the run's
numbers, report.html beside the metrics and a command that repeats the run exactly; and
`gradlab run --help` listing every example config with one line.
"""
import glob
import json
import os
import re
import shlex
import subprocess
import unittest

from support import NATIVE_CLI, ROOT, read_jsonl, run_cli, scratch_dir


def small_eos_config():
    # docs/kinds/edge_of_stability.md's small demonstration at η = 0.4 (2/η = 5): progressive
    # sharpening from 3.6 reaches the edge after ~400 steps.
    return {
        "kind": "edge_of_stability",
        "seed": 0,
        "dtype": "float64",
        "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 128,
                 "n_test": 64, "num_classes": 3, "dim": 8},
        "model": {"type": "mlp", "widths": [32, 32], "activation": "tanh"},
        "loss": "mse",
        "optim": {"type": "gd", "lr": 0.4},
        "train": {"steps": 900, "batch_size": "full", "log_every": 10, "log_time": False},
        "probe": {"sharpness_every": 10, "top_k": 1, "lanczos_iters": 20, "settle_steps": 200},
    }


class FirstRunTest(unittest.TestCase):
    def test_run_prints_the_story_writes_the_report_and_a_command_that_repeats_it(self):
        with scratch_dir() as d:
            cfg = os.path.join(d, "eos.json")
            with open(cfg, "w", encoding="utf-8") as f:
                json.dump(small_eos_config(), f)
            out = os.path.join(d, "run")
            proc = run_cli("run", cfg, "--out", out, "--threads", "1")
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertIsNotNone(summary["eos_step"], summary)
            text = proc.stdout
            # Not a terminal here: plain progress lines with step, loss, sharpness / 2/η, ETA.
            progress = [l for l in proc.stderr.splitlines() if l.startswith("step ")]
            self.assertTrue(progress, proc.stderr)
            self.assertRegex(progress[-1], r"^step 900/900  loss [0-9.e-]+  sharpness [0-9.]+ / "
                             r"2/η 5  [0-9.]+ steps/s  ETA 0s$")
            self.assertNotIn("\r", proc.stderr)
            # The account: the numbers of summary.json, said in words.
            self.assertIn(f"sharpness at step 0: {summary['initial_sharpness']:.4g} = ", text)
            self.assertIn(f"reached the edge (≥ 0.95 × 2/η) at step {summary['eos_step']}", text)
            self.assertIn(f"median sharpness / 2/η = {summary['post_eos_median_ratio']:.3f}", text)
            self.assertIn(f"→ {summary['final_loss']:.4g} at the end", text)
            report = os.path.join(out, "report.html")
            self.assertIn(f"Report:    {report}\n", text)
            self.assertIn("2/η = 5", open(report, encoding="utf-8").read())
            # The command repeats the run bit for bit (the same thread count) in a new folder.
            line = [l for l in text.splitlines() if l.startswith("Reproduce: ")][0]
            argv = shlex.split(line[len("Reproduce: "):])
            self.assertEqual(argv[1:], ["run", cfg, "--threads", "1"])
            again = os.path.join(d, "again")
            subprocess.run([NATIVE_CLI, *argv[1:], "--out", again, "--quiet"], check=True,
                           capture_output=True)
            self.assertEqual(read_jsonl(os.path.join(again, "metrics.jsonl")),
                             read_jsonl(os.path.join(out, "metrics.jsonl")))

    def test_run_help_lists_every_example_config_with_one_line(self):
        proc = run_cli("run", "--help")
        lines = proc.stdout.splitlines()
        configs = ["default.json"] + sorted(
            os.path.relpath(p, os.path.join(ROOT, "experiments"))
            for p in glob.glob(os.path.join(ROOT, "experiments", "*", "*.json")))
        for name in configs:
            kind = json.load(open(os.path.join(ROOT, "experiments", name)))["kind"]
            listed = [l for l in lines if l.split()[:1] == [name]]
            self.assertEqual(len(listed), 1, f"{name} not listed once")
            self.assertIn(kind, listed[0])
        self.assertIn("--resume", proc.stdout)


if __name__ == "__main__":
    unittest.main()
