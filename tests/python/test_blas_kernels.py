"""Which OpenBLAS kernels the native CLI runs (issue 21, gradlab/blas_info.h, docs/benchmarks.md).

At start-up the CLI compares the kernel family OpenBLAS chose with what the CPU supports (CPUID):
when the library chose a weaker one (its fallback on CPU models it does not know) and the user did
not set OPENBLAS_CORETYPE, it re-executes itself once with the variable set. These tests run the
CLI in controlled environments and read the family back from summary.json, the bench lines and
`gradlab --version`:

- with OPENBLAS_CORETYPE unset, the family in use is one the CPU's class calls for (unchanged when
  the library chose a good one itself);
- a library pick of Prescott (simulated with the test hook GRADLAB_TEST_BLAS_CORENAME, since this
  machine's CPU may be one the library recognises) is replaced by the family for the CPU's class,
  and the record names the library's pick;
- a user's OPENBLAS_CORETYPE is kept even when it is the weak family;
- a process that is itself the restart (GRADLAB_BLAS_RESTARTED set) never restarts again.
"""
import json
import os
import subprocess
import unittest

from support import NATIVE_CLI, scratch_dir

# OpenBLAS 0.3 x86-64 family -> vector class (0 sse, 1 avx, 2 avx2+fma, 3 avx-512), as in
# src/backend/cpu/blas_select.cpp; the families gradlab forces per class.
FAMILY_CLASS = {"SapphireRapids": 3, "Cooperlake": 3, "SkylakeX": 3, "Haswell": 2, "Zen": 2,
                "Excavator": 2, "Sandybridge": 1, "Bulldozer": 1, "Piledriver": 1,
                "Steamroller": 1, "Prescott": 0, "Core2": 0, "Penryn": 0, "Dunnington": 0,
                "Nehalem": 0, "Atom": 0, "Nano": 0, "Barcelona": 0, "Bobcat": 0, "Opteron": 0}
FORCED = {3: "SkylakeX", 2: "Haswell", 1: "Sandybridge"}
CLASS_NAME = {3: "avx512", 2: "avx2", 1: "avx", 0: "sse"}


def cpu_class():
    """The CPU's vector class from /proc/cpuinfo's flags (what the kernel lets processes use)."""
    flags = set()
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return 3
    if {"avx2", "fma"} <= flags:
        return 2
    return 1 if "avx" in flags else 0


def clean_env(**extra):
    """This process's environment without the variables that steer OpenBLAS or the restart."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OPENBLAS_") and k not in ("GRADLAB_BLAS_RESTARTED",
                                                          "GRADLAB_TEST_BLAS_CORENAME")}
    env.update(extra)
    return env


def cli(env, *args):
    proc = subprocess.run([NATIVE_CLI, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"gradlab {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stderr}")
    return proc


def tiny_config(path):
    cfg = {"kind": "edge_of_stability", "seed": 1, "dtype": "float32",
           "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 64,
                    "n_test": 16, "num_classes": 3, "dim": 8},
           "model": {"type": "mlp", "widths": [16], "activation": "tanh"},
           "loss": "mse", "optim": {"type": "gd", "lr": 0.05},
           "train": {"steps": 2, "batch_size": "full", "log_every": 1, "log_time": False},
           "probe": {"sharpness_every": 0}}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f)
    return path


def run_blas(env):
    """summary.json's "blas" record of a 2-step run, and the blas keys of one bench line."""
    with scratch_dir() as d:
        out = os.path.join(d, "run")
        cli(env, "run", tiny_config(os.path.join(d, "c.json")), "--out", out, "--quiet",
            "--threads", "1")
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
    bench = cli(env, "bench", "--filter", "gemm_f64_nn", "--quick").stdout.splitlines()
    return summary["blas"], json.loads(bench[0])


class BlasKernelsTest(unittest.TestCase):
    def setUp(self):
        if not os.access(NATIVE_CLI, os.X_OK):
            raise AssertionError(f"{NATIVE_CLI} is not built: run ./lab build")
        self.cls = cpu_class()

    def check_records_agree(self, blas, line):
        self.assertTrue(blas["library"].startswith("OpenBLAS "), blas)
        self.assertEqual(line["blas"], blas["library"])
        self.assertEqual(line["blas_core"], blas["core"])
        self.assertEqual(line["blas_core_by"], blas["chosen_by"])
        self.assertEqual(blas["cpu_simd"], CLASS_NAME[self.cls])

    def test_clean_environment_runs_kernels_for_the_cpu(self):
        blas, line = run_blas(clean_env())
        self.check_records_agree(blas, line)
        self.assertIn(blas["chosen_by"], ("library", "gradlab"), blas)
        if blas["chosen_by"] == "gradlab":  # the library fell back: restarted with the class's
            self.assertEqual(blas["core"], FORCED[self.cls], blas)
            self.assertLess(FAMILY_CLASS[blas["library_pick"]], self.cls, blas)
        elif blas["core"] in FAMILY_CLASS:  # the library's own pick, kept: it was good enough
            self.assertGreaterEqual(FAMILY_CLASS[blas["core"]], self.cls, blas)
            self.assertNotIn("library_pick", blas)
        version = cli(clean_env(), "--version").stdout
        self.assertIn("kernels " + blas["core"], version)

    def test_a_fallback_pick_is_replaced_once(self):
        if self.cls == 0:
            self.skipTest("an SSE-only CPU: no family better than the fallback to force")
        env = clean_env(GRADLAB_TEST_BLAS_CORENAME="Prescott")
        blas, line = run_blas(env)
        self.check_records_agree(blas, line)
        self.assertEqual(blas["chosen_by"], "gradlab", blas)
        self.assertEqual(blas["library_pick"], "Prescott", blas)
        self.assertEqual(blas["core"], FORCED[self.cls], blas)
        version = cli(env, "--version").stdout
        self.assertIn(f"kernels {FORCED[self.cls]}, chosen by gradlab (the library picked "
                      "Prescott", version)

    def test_the_users_openblas_coretype_wins(self):
        env = clean_env(OPENBLAS_CORETYPE="Prescott", GRADLAB_TEST_BLAS_CORENAME="Prescott")
        blas, line = run_blas(env)
        self.check_records_agree(blas, line)
        self.assertEqual(blas["core"], "Prescott", blas)
        self.assertEqual(blas["chosen_by"], "user", blas)
        self.assertIn("chosen by the user (OPENBLAS_CORETYPE)", cli(env, "--version").stdout)

    def test_a_restarted_process_never_restarts_again(self):
        # As if the restart had lost OPENBLAS_CORETYPE and still saw the fallback: a second
        # restart would set the variable and report "gradlab"; it must run as it is.
        env = clean_env(GRADLAB_TEST_BLAS_CORENAME="Prescott", GRADLAB_BLAS_RESTARTED="Prescott")
        blas, _ = run_blas(env)
        self.assertEqual(blas["chosen_by"], "library", blas)
        self.assertNotIn("library_pick", blas)


if __name__ == "__main__":
    unittest.main()
