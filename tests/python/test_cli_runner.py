"""The native runner end to end: output files, determinism, checkpoints and resume after
SIGKILL, SIGINT, divergence, sweeps, and one-line errors with exit code 2 (docs/design.md §2).

Runs small synthetic-data configs so each case takes about a second.
"""
import json
import os
import signal
import subprocess
import time
import unittest

from support import NATIVE_CLI, ROOT, read_jsonl, run_cli, scratch_dir


def base_config(steps=60, **over):
    cfg = {
        "kind": "edge_of_stability",
        "seed": 3,
        "dtype": "float64",
        "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 64,
                 "n_test": 32, "num_classes": 3, "dim": 5},
        "model": {"type": "mlp", "widths": [16, 16], "activation": "tanh"},
        "loss": "mse",
        "optim": {"type": "momentum", "lr": 0.05, "momentum": 0.5},
        "train": {"steps": steps, "batch_size": 16, "log_every": 5, "log_time": False},
        "probe": {"sharpness_every": 10, "top_k": 2, "lanczos_iters": 10},
    }
    for k, v in over.items():
        cfg[k] = v
    return cfg


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path


class RunnerTest(unittest.TestCase):
    def test_output_files_and_resolved_config(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), base_config())
            out = os.path.join(d, "run")
            run_cli("run", cfg, "--out", out, "--quiet", "--save-params", "0,30")
            resolved = json.load(open(os.path.join(out, "config.json")))
            self.assertEqual(resolved["optim"]["lr"], 0.05)
            self.assertIn("log_every", resolved["train"])  # defaults filled in
            rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
            self.assertEqual(rows[0]["step"], 0)
            for key in ("loss", "train_acc", "test_loss", "test_acc", "grad_norm", "param_norm"):
                self.assertIn(key, rows[0])
            probed = [r for r in rows if "sharpness" in r]
            self.assertEqual([r["step"] for r in probed], [0, 10, 20, 30, 40, 50])
            # heavy-ball momentum threshold (2 + 2β)/η
            self.assertAlmostEqual(probed[0]["threshold"], (2 + 2 * 0.5) / 0.05)
            self.assertEqual(len(probed[0]["eigs"]), 2)
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertEqual(summary["status"], "completed")
            self.assertEqual(summary["steps_done"], 60)
            for name in ("params-step0.safetensors", "params-step30.safetensors"):
                self.assertTrue(os.path.exists(os.path.join(out, name)), name)

    def test_same_seed_gives_identical_metrics(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), base_config())
            for name in ("a", "b"):
                run_cli("run", cfg, "--out", os.path.join(d, name), "--quiet")
            a = open(os.path.join(d, "a", "metrics.jsonl"), "rb").read()
            b = open(os.path.join(d, "b", "metrics.jsonl"), "rb").read()
            self.assertGreater(len(a), 100)
            self.assertEqual(a, b)
            run_cli("run", cfg, "--out", os.path.join(d, "c"), "--quiet", "--set", "seed=4")
            c = open(os.path.join(d, "c", "metrics.jsonl"), "rb").read()
            self.assertNotEqual(a, c)

    def test_sigkill_then_resume_matches_uninterrupted_run(self):
        with scratch_dir() as d:
            cfg_obj = base_config(steps=400)
            cfg_obj["train"]["checkpoint_every"] = 40
            # Checkpoints land mid-window (steps 37-40 feed the step-40 probe), so resume must
            # restore the running sum of probe.average_window too.
            cfg_obj["probe"]["average_window"] = 4
            cfg = write(os.path.join(d, "c.json"), cfg_obj)
            run_cli("run", cfg, "--out", os.path.join(d, "full"), "--quiet")
            out = os.path.join(d, "killed")
            proc = subprocess.Popen([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            state = os.path.join(out, "checkpoint", "state.json")
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                if os.path.exists(state) and json.load(open(state))["steps_done"] >= 80:
                    break
                time.sleep(0.01)
            if proc.poll() is not None:
                self.skipTest("run finished before it could be killed (machine too fast)")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.assertFalse(os.path.exists(os.path.join(out, "summary.json")))
            # Everything written before the kill is intact: each metrics line parses.
            rows_before = read_jsonl(os.path.join(out, "metrics.jsonl"))
            self.assertGreater(len(rows_before), 0)
            run_cli("run", cfg, "--out", out, "--quiet", "--resume")
            full = open(os.path.join(d, "full", "metrics.jsonl"), "rb").read()
            resumed = open(os.path.join(out, "metrics.jsonl"), "rb").read()
            self.assertEqual(full, resumed)
            s_full = json.load(open(os.path.join(d, "full", "summary.json")))
            s_res = json.load(open(os.path.join(out, "summary.json")))
            for k in ("final_loss", "final_test_acc", "initial_sharpness", "steps_done"):
                self.assertEqual(s_full[k], s_res[k], k)

    def test_sigint_writes_checkpoint_and_interrupted_status(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), base_config(steps=100000))
            out = os.path.join(d, "run")
            proc = subprocess.Popen([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            metrics = os.path.join(out, "metrics.jsonl")
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.path.exists(metrics) and os.path.getsize(metrics) > 0:
                    break
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 130)
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertEqual(summary["status"], "interrupted")
            state = json.load(open(os.path.join(out, "checkpoint", "state.json")))
            self.assertEqual(state["steps_done"], summary["steps_done"])

    def test_resumed_progress_line_shows_the_last_logged_loss(self):
        # Rows only at step 0 (and the last): the steps after --resume log none, and the progress
        # line must show the loss of the last kept row, not NaN (which reads like divergence).
        with scratch_dir() as d:
            cfg_obj = base_config(steps=100000)
            cfg_obj["train"]["log_every"] = 100000
            cfg = write(os.path.join(d, "c.json"), cfg_obj)
            out = os.path.join(d, "run")
            proc = subprocess.Popen([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            metrics = os.path.join(out, "metrics.jsonl")
            deadline = time.time() + 60
            while time.time() < deadline and not (os.path.exists(metrics) and
                                                  os.path.getsize(metrics) > 0):
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            self.assertEqual(proc.returncode, 130)
            last = read_jsonl(metrics)[-1]
            proc = subprocess.Popen([NATIVE_CLI, "run", cfg, "--out", out, "--resume"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            line = ""
            while not line.startswith("step "):
                line = proc.stderr.readline()
                self.assertNotEqual(line, "", "the resumed run printed no progress line")
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
            self.assertNotIn("nan", line, line)
            self.assertEqual(float(line.split("loss ")[1].split()[0]), float(f"{last['loss']:.6g}"),
                             line)

    def test_divergence_is_reported_with_step(self):
        with scratch_dir() as d:
            cfg_obj = base_config(steps=500)
            cfg_obj["optim"] = {"type": "gd", "lr": 50.0}
            cfg_obj["train"]["batch_size"] = "full"
            cfg = write(os.path.join(d, "c.json"), cfg_obj)
            out = os.path.join(d, "run")
            run_cli("run", cfg, "--out", out, "--quiet")
            summary = json.load(open(os.path.join(out, "summary.json")))
            self.assertEqual(summary["status"], "diverged")
            self.assertLess(summary["diverged_at_step"], 500)
            self.assertIn("at step", summary["divergence_reason"])
            for row in read_jsonl(os.path.join(out, "metrics.jsonl")):
                for v in row.values():  # never NaN strings or nulls
                    self.assertIsNotNone(v)

    def test_sweep_writes_one_row_per_point(self):
        with scratch_dir() as d:
            cfg_obj = base_config(steps=20)
            cfg_obj["sweep"] = {"optim.lr": [0.01, 0.02, 0.04]}
            cfg = write(os.path.join(d, "c.json"), cfg_obj)
            out = os.path.join(d, "sw")
            run_cli("sweep", cfg, "--out", out, "--quiet", "--shard", "1/2")
            run_cli("sweep", cfg, "--out", out, "--quiet", "--shard", "2/2")
            rows = read_jsonl(os.path.join(out, "sweep.jsonl"))
            self.assertEqual(sorted(r["lr"] for r in rows), [0.01, 0.02, 0.04])
            for r in rows:
                self.assertEqual(r["status"], "completed")
                self.assertTrue(os.path.isdir(os.path.join(out, "runs", r["id"].replace("/", "_"))))

    def test_bad_inputs_fail_with_one_line_and_exit_2(self):
        with scratch_dir() as d:
            cases = [
                (lambda c: c["optim"].update({"lrr": 0.1}), "optim.lrr"),
                (lambda c: c["optim"].update({"lr": "fast"}), "optim.lr"),
                (lambda c: c["data"].update({"label_noise": 1.5}), "data.label_noise"),
                (lambda c: c["model"].update({"type": "resnet"}), "model.type"),
                # probe every 10 steps: a window of 11 iterates would overlap the previous one
                (lambda c: c["probe"].update({"average_window": 11}), "probe.average_window"),
            ]
            for mutate, key in cases:
                cfg_obj = base_config()
                mutate(cfg_obj)
                cfg = write(os.path.join(d, "bad.json"), cfg_obj)
                for cmd in ("validate", "run"):
                    proc = run_cli(cmd, cfg, "--out", os.path.join(d, "x"), check=False) \
                        if cmd == "run" else run_cli(cmd, cfg, check=False)
                    self.assertEqual(proc.returncode, 2, (cmd, key, proc.stderr))
                    self.assertIn(key, proc.stderr)
                    self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            proc = run_cli("run", os.path.join(d, "missing.json"), check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("missing.json", proc.stderr)
            proc = run_cli("run", cfg, "--frobnicate", check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("--frobnicate", proc.stderr)

    def test_planned_or_unknown_kind_exits_2_naming_the_implemented_kinds(self):
        listed = run_cli("list").stdout
        implemented = [line.split()[0] for line in
                       listed.split("experiment kinds:\n")[1].split("models:")[0].splitlines()]
        self.assertIn("edge_of_stability", implemented)
        with scratch_dir() as d:
            for kind in ("lottery_ticket", "nonsense"):
                cfg = write(os.path.join(d, "k.json"), {"kind": kind})
                for cmd in ("validate", "run"):
                    args = (cmd, cfg) if cmd == "validate" else (cmd, cfg, "--out", d + "/r")
                    proc = run_cli(*args, check=False)
                    self.assertEqual(proc.returncode, 2, (kind, cmd, proc.stderr))
                    self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
                    for name in implemented:
                        self.assertIn(name, proc.stderr)

    def test_a_kind_config_holds_only_what_the_kind_reads(self):
        with scratch_dir() as d:
            svm = {"kind": "svm_margin",
                   "data": {"source": "points", "points": [[1, 1], [2, 2], [-1, -1], [-2, -1]],
                            "labels": [1, 1, -1, -1]},
                   "svm": {"C": "inf"}}
            out = os.path.join(d, "svm")
            run_cli("run", write(os.path.join(d, "svm.json"), svm), "--out", out, "--quiet")
            summary = json.load(open(os.path.join(out, "summary.json")))
            # The points (1,1), (2,2) are +1: w points along (1, 1).
            self.assertGreater(summary["w"][0], 0)
            self.assertAlmostEqual(summary["margin"], 2 ** 0.5, places=9)
            svm["loss"] = "hinge"
            proc = run_cli("validate", write(os.path.join(d, "bad.json"), svm), check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertIn('loss does not apply to kind "svm_margin"', proc.stderr)
            rf = {"kind": "double_descent",
                  "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 30,
                           "n_test": 30},
                  "model": {"type": "random_features", "n_features": 10},
                  "sweep": {"model.n_features": [5, 30, 60]}}
            out = os.path.join(d, "rf")
            run_cli("sweep", write(os.path.join(d, "rf.json"), rf), "--out", out, "--quiet")
            self.assertEqual(len(read_jsonl(os.path.join(out, "sweep.jsonl"))), 3)
            self.assertTrue(os.path.exists(os.path.join(out, "sweep_summary.json")))

    def test_every_example_config_validates(self):
        folder = os.path.join(ROOT, "experiments")
        configs = []
        for dirpath, _, files in os.walk(folder):
            configs += [os.path.join(dirpath, f) for f in files if f.endswith(".json")]
        self.assertGreater(len(configs), 0, "experiments/ has no configs")
        for path in configs:
            proc = run_cli("validate", path, check=False)
            self.assertEqual(proc.returncode, 0, (path, proc.stderr))
            data = json.load(open(path))
            for profile in data.get("profiles", {}):
                proc = run_cli("validate", path, "--profile", profile, check=False)
                self.assertEqual(proc.returncode, 0, (path, profile, proc.stderr))


if __name__ == "__main__":
    unittest.main()
