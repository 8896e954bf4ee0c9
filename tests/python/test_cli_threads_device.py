"""The native CLI's --threads option and the config's device key (issue 8, docs/cuda.md).

- --threads N / GRADLAB_THREADS: invalid counts are one-line errors with exit code 2 that name
  the flag or variable and the text; summary.json records the count in effect (by default every
  core of the affinity mask, capped by the cgroup CPU quota); runs with 1 and 2
  threads give the same metrics (bit-identical CPU kernels; OpenBLAS may round GEMMs differently
  across counts, so equality is to 1e-12 relative), and repeated runs with 2 threads are
  byte-identical.
- device: "cuda" on a machine or build without a GPU fails before running, naming what is
  missing; "auto" runs on the CPU with a one-line notice; kinds that compute on the CPU reject
  "cuda".

These run on machines without a GPU; the GPU side is tests/cuda/cuda_parity.cpp and
.ci/gpu_check.sh.
"""
import json
import math
import os
import re
import unittest

from support import read_jsonl, run_cli, scratch_dir


def config(**over):
    cfg = {
        "kind": "edge_of_stability",
        "seed": 5,
        "dtype": "float64",
        "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 256,
                 "n_test": 64, "num_classes": 3, "dim": 20},
        "model": {"type": "mlp", "widths": [64, 64], "activation": "tanh"},
        "loss": "mse",
        "optim": {"type": "gd", "lr": 0.05},
        "train": {"steps": 30, "batch_size": "full", "log_every": 5, "log_time": False},
        "probe": {"sharpness_every": 10, "top_k": 1, "lanczos_iters": 10},
    }
    cfg.update(over)
    return cfg


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path


def run_env(env_over, *args):
    """run_cli with extra environment variables (GRADLAB_THREADS)."""
    old = {k: os.environ.get(k) for k in env_over}
    os.environ.update(env_over)
    try:
        return run_cli(*args, check=False)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class ThreadsTest(unittest.TestCase):
    def test_invalid_thread_counts_are_one_line_errors(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), config())
            for bad in ("0", "-1", "1.5", "two", ""):
                proc = run_cli("run", cfg, "--out", os.path.join(d, "r"), "--quiet",
                               "--threads", bad, check=False)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("--threads", proc.stderr)
                self.assertIn(f"'{bad}'", proc.stderr)
                self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            proc = run_cli("run", cfg, "--out", os.path.join(d, "r"), "--threads", check=False)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("--threads needs a value", proc.stderr)
            proc = run_env({"GRADLAB_THREADS": "0"}, "run", cfg, "--out", os.path.join(d, "r"),
                           "--quiet")
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("GRADLAB_THREADS", proc.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "r", "summary.json")))

    def test_thread_counts_give_the_same_metrics(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), config())
            outs = {}
            for name, args, env in (("one", ["--threads", "1"], {}),
                                    ("two", ["--threads", "2"], {}),
                                    ("two_again", [], {"GRADLAB_THREADS": "2"})):
                out = os.path.join(d, name)
                proc = run_env(env, "run", cfg, "--out", out, "--quiet", *args)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                outs[name] = out
                summary = json.load(open(os.path.join(out, "summary.json")))
                self.assertEqual(summary["threads"], 1 if name == "one" else 2)
            two = open(os.path.join(outs["two"], "metrics.jsonl")).read()
            again = open(os.path.join(outs["two_again"], "metrics.jsonl")).read()
            self.assertEqual(two, again)  # deterministic for a fixed count
            rows1 = read_jsonl(os.path.join(outs["one"], "metrics.jsonl"))
            rows2 = read_jsonl(os.path.join(outs["two"], "metrics.jsonl"))
            self.assertEqual(len(rows1), len(rows2))
            for a, b in zip(rows1, rows2):
                for key in ("loss", "grad_norm", "param_norm", "sharpness"):
                    if key in a:
                        self.assertAlmostEqual(a[key], b[key], delta=1e-12 * max(1.0, abs(a[key])),
                                               msg=f"step {a['step']} {key}")

    def test_default_uses_every_available_core(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), config(train={"steps": 2, "batch_size": "full",
                                                                 "log_every": 1}))
            old = os.environ.pop("GRADLAB_THREADS", None)
            try:
                proc = run_cli("run", cfg, "--out", os.path.join(d, "r"), "--quiet", check=False)
            finally:
                if old is not None:
                    os.environ["GRADLAB_THREADS"] = old
            self.assertEqual(proc.returncode, 0, proc.stderr)
            summary = json.load(open(os.path.join(d, "r", "summary.json")))
            # Every core of the affinity mask, capped by the cgroup CPU quota rounded up
            # (tests/backend/test_cpu_quota.cpp checks how the quota is read).
            version = run_cli("--version").stdout
            m = re.search(r"CPU threads: (\d+) \(affinity mask (\d+) CPUs, cgroup CPU quota "
                          r"(none|[0-9.]+)\)", version)
            self.assertIsNotNone(m, version)
            self.assertEqual(int(m.group(2)), len(os.sched_getaffinity(0)))
            expected = len(os.sched_getaffinity(0))
            if m.group(3) != "none":
                expected = max(1, min(expected, math.ceil(float(m.group(3)) - 1e-9)))
            self.assertEqual(int(m.group(1)), expected)
            self.assertEqual(summary["threads"], expected)


class DeviceTest(unittest.TestCase):
    def test_cuda_without_a_gpu_is_a_clear_error(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), config(device="cuda"))
            proc = run_cli("run", cfg, "--out", os.path.join(d, "r"), "--quiet", check=False)
            if proc.returncode == 0:
                self.skipTest("this machine has a usable CUDA GPU and a CUDA build")
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("device 'cuda' is not available", proc.stderr)
            # names what is missing: the CUDA build, or the driver / GPU
            self.assertTrue("-DGRADLAB_CUDA=ON" in proc.stderr or "GPU" in proc.stderr,
                            proc.stderr)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "r", "metrics.jsonl")))

    def test_auto_falls_back_to_the_cpu_with_a_notice(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), config(device="auto"))
            proc = run_cli("run", cfg, "--out", os.path.join(d, "auto"), "--quiet", check=False)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            if "running on the CPU" not in proc.stderr:
                self.skipTest("auto found a GPU here")
            notices = [l for l in proc.stderr.splitlines() if "device auto" in l]
            self.assertEqual(len(notices), 1, proc.stderr)
            cpu_cfg = write(os.path.join(d, "cpu.json"), config(device="cpu"))
            run_cli("run", cpu_cfg, "--out", os.path.join(d, "cpu"), "--quiet")
            self.assertEqual(open(os.path.join(d, "auto", "metrics.jsonl")).read(),
                             open(os.path.join(d, "cpu", "metrics.jsonl")).read())

    def test_cpu_only_kinds_reject_cuda(self):
        with scratch_dir() as d:
            quadratic = {"kind": "quadratic_gd", "seed": 0,
                         "quadratic": {"eigenvalues": [0.5, 1, 2], "rotate": True},
                         "optim": {"type": "gd", "lr": 0.1}, "train": {"steps": 5, "log_every": 1}}
            cfg = write(os.path.join(d, "c.json"), dict(quadratic, device="cuda"))
            proc = run_cli("run", cfg, "--out", os.path.join(d, "r"), "--quiet", check=False)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn('device: "cuda" is not supported by kind quadratic_gd', proc.stderr)
            auto = write(os.path.join(d, "a.json"), dict(quadratic, device="auto"))
            run_cli("run", auto, "--out", os.path.join(d, "a"), "--quiet")


if __name__ == "__main__":
    unittest.main()
