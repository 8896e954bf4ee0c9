"""Crash-safe runs (issue 15, docs/runner.md "Checkpoints and --resume"): SIGKILL at random
moments then --resume ends bit-identical to an uninterrupted run; --resume on a folder without a
checkpoint starts from step 0 with a notice; a differing config is refused naming the keys; a
full disk (or a file-size limit) stops the run with a clear error and leaves the last checkpoint
and metrics.jsonl intact, so --resume still ends identical.

Tiny synthetic configs with wall-time checkpoints every 30 ms, so every trial is short and
kills land before, between and inside checkpoint writes.
"""
import json
import os
import random
import resource
import signal
import subprocess
import time
import unittest

from support import NATIVE_CLI, read_jsonl, run_cli, scratch_dir


def tiny_config(steps=200, checkpoint_seconds=0.03):
    # Minibatch SGD with momentum (the batch order draws from the RNG), a sharpness probe and an
    # averaging window: everything a checkpoint has to carry for a bit-identical resume.
    return {
        "kind": "edge_of_stability",
        "seed": 11,
        "dtype": "float64",
        "data": {"source": "synthetic", "generator": "gaussian_mixture", "n_train": 64,
                 "n_test": 32, "num_classes": 3, "dim": 5},
        "model": {"type": "mlp", "widths": [16, 16], "activation": "tanh"},
        "loss": "mse",
        "optim": {"type": "momentum", "lr": 0.05, "momentum": 0.5},
        "train": {"steps": steps, "batch_size": 16, "log_every": 3, "log_time": False,
                  "checkpoint_seconds": checkpoint_seconds},
        "probe": {"sharpness_every": 10, "top_k": 2, "lanczos_iters": 8, "average_window": 4},
    }


def write(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def figures(out):
    s = json.load(open(os.path.join(out, "summary.json")))
    return {k: v for k, v in s.items() if k not in ("wall_time_s", "build_id", "blas", "threads")}


def check_intact(test, out):
    """What a killed or failed run leaves: a state.json naming a tensor file that exists, and a
    metrics.jsonl whose complete rows parse and number at least the checkpoint's rows."""
    state_path = os.path.join(out, "checkpoint", "state.json")
    metrics = os.path.join(out, "metrics.jsonl")
    lines = read_bytes(metrics).split(b"\n") if os.path.exists(metrics) else [b""]
    complete = [json.loads(line) for line in lines[:-1]]  # the last piece may be a half row
    if os.path.exists(state_path):
        state = json.load(open(state_path))
        test.assertTrue(os.path.exists(os.path.join(out, "checkpoint", state["tensors"])))
        test.assertGreaterEqual(len(complete), state["metrics_rows"])
        return state["steps_done"]
    return None


def wait_for_first_row(proc, out):
    """Waits until the run in `out` has written a metrics row (or ended); returns that moment."""
    metrics = os.path.join(out, "metrics.jsonl")
    while proc.poll() is None and not (os.path.exists(metrics) and os.path.getsize(metrics) > 0):
        time.sleep(0.002)
    return time.monotonic()


class CrashSafeRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One uninterrupted run of the tiny config: the reference every interrupted run must
        # end identical to.
        cls.scratch = scratch_dir()
        cls.dir = cls.scratch.name
        cls.cfg = write(os.path.join(cls.dir, "c.json"), tiny_config())
        # Timed from its first metrics row: before it the process starts and loads its data,
        # which on a quiet machine is most of the wall time and has no checkpoint to land on.
        out = os.path.join(cls.dir, "full")
        proc = subprocess.Popen([NATIVE_CLI, "run", cls.cfg, "--out", out, "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t = wait_for_first_row(proc, out)
        _, err = proc.communicate()
        assert proc.returncode == 0, err
        cls.full_s = max(time.monotonic() - t, 0.05)
        cls.full = read_bytes(os.path.join(cls.dir, "full", "metrics.jsonl"))
        cls.full_figures = figures(os.path.join(cls.dir, "full"))

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def test_sigkill_at_random_moments_then_resume_is_bit_identical(self):
        # 24 kills that land while the run is alive (a run that had already ended does not count,
        # and the next sleeps are shortened: the machine's speed drifts with its load).
        trials = 24
        cfg, full, full_figures = self.cfg, self.full, self.full_figures
        span = 0.9 * self.full_s
        with scratch_dir() as d:
            rng = random.Random(15)
            killed_at, fresh_starts, attempts = [], 0, 0
            while len(killed_at) < trials:
                attempts += 1
                self.assertLessEqual(attempts, 3 * trials, f"only {len(killed_at)} kills landed")
                out = os.path.join(d, f"k{attempts}")
                proc = subprocess.Popen([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wait_for_first_row(proc, out)
                time.sleep(rng.uniform(0.0, span))
                if proc.poll() is not None:
                    span *= 0.8
                    continue
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                # (A kill while report.html is written finds summary.json already there: the
                # run is complete and --resume must leave it identical too.)
                step = check_intact(self, out)
                killed_at.append(step)
                resumed = run_cli("run", cfg, "--out", out, "--quiet", "--resume")
                if step is None:  # killed before its first checkpoint: a fresh start, said once
                    fresh_starts += 1
                    self.assertIn("no checkpoint", resumed.stderr)
                self.assertEqual(read_bytes(os.path.join(out, "metrics.jsonl")), full,
                                 f"kill {len(killed_at)}: at checkpoint step {step}")
                self.assertEqual(figures(out), full_figures, f"kill {len(killed_at)}")
            resumed_from = [s for s in killed_at if s is not None]
            # The kills must really have landed mid-run, at several different checkpoints.
            self.assertGreaterEqual(len(set(resumed_from)), 5, killed_at)
            print(f"\n  {trials} SIGKILLs mid-run ({attempts} tries), uninterrupted run "
                  f"{self.full_s:.2f} s; resumed from steps {sorted(resumed_from)}; "
                  f"{fresh_starts} before the first checkpoint")

    def test_kill_after_3_s_then_resume_gives_the_same_final_row(self):
        # The acceptance: run, SIGKILL after 3 s, --resume → the final row equals the
        # uninterrupted run's. Checkpoints every 0.5 s of wall time. The run is sized to last
        # ~8 s on this machine now (timed first), so the test costs ~20 s under any load instead
        # of minutes on a busy machine, or a run that ends before the kill on a quiet one.
        with scratch_dir() as d:
            def config(steps):
                c = tiny_config(steps=steps, checkpoint_seconds=0.5)
                c["train"]["log_every"] = 50
                c["probe"]["sharpness_every"] = 200
                return write(os.path.join(d, f"c{steps}.json"), c)
            def seconds(steps):
                t = time.monotonic()
                run_cli("run", config(steps), "--out", os.path.join(d, f"t{steps}"), "--quiet")
                return time.monotonic() - t
            # Per step from the difference of two runs (start-up and the report drop out).
            per_step = max(1e-6, (seconds(2200) - seconds(200)) / 2000)
            steps = max(4000, int(8.0 / per_step) // 100 * 100)
            cfg = config(steps)
            out = os.path.join(d, "killed")
            proc = subprocess.Popen([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(3)
            self.assertIsNone(proc.poll(), f"the {steps}-step run ended before 3 s")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            step = check_intact(self, out)
            self.assertIsNotNone(step, "no checkpoint after 3 s with checkpoint_seconds 0.5")
            self.assertGreater(step, 0)
            run_cli("run", cfg, "--out", out, "--quiet", "--resume")
            run_cli("run", cfg, "--out", os.path.join(d, "full"), "--quiet")
            a = read_jsonl(os.path.join(d, "full", "metrics.jsonl"))
            b = read_jsonl(os.path.join(out, "metrics.jsonl"))
            self.assertEqual(a[-1], b[-1])
            self.assertEqual(a[-1]["step"], steps - 1)
            self.assertEqual(len(a), len(b))
            print(f"\n  killed after 3 s at checkpoint step {step} of {steps}; final rows equal")

    def test_resume_without_checkpoint_starts_at_step_0_with_a_notice(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), tiny_config(steps=30))
            out = os.path.join(d, "new")
            proc = run_cli("run", cfg, "--out", out, "--resume")
            notices = [line for line in proc.stderr.splitlines() if "no checkpoint" in line]
            self.assertEqual(len(notices), 1, proc.stderr)
            self.assertIn("starting from step 0", notices[0])
            rows = read_jsonl(os.path.join(out, "metrics.jsonl"))
            self.assertEqual(rows[0]["step"], 0)
            self.assertEqual(json.load(open(os.path.join(out, "summary.json")))["steps_done"], 30)

    def test_resume_with_a_different_config_is_refused_naming_the_keys(self):
        with scratch_dir() as d:
            cfg = write(os.path.join(d, "c.json"), tiny_config(steps=30))
            out = os.path.join(d, "run")
            run_cli("run", cfg, "--out", out, "--quiet")
            before = read_bytes(os.path.join(out, "metrics.jsonl"))
            proc = run_cli("run", cfg, "--out", out, "--quiet", "--resume", "--set", "optim.lr=0.1",
                           "--set", "train.log_every=5", check=False)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertIn("optim.lr (0.1 here, 0.05 in config.json)", lines[0])
            self.assertIn("train.log_every (5 here, 3 in config.json)", lines[0])
            self.assertNotIn("optim.momentum", lines[0])
            self.assertEqual(read_bytes(os.path.join(out, "metrics.jsonl")), before)

    def _resume_after_write_failure(self, out, cfg, full):
        """A run stopped by a failed write: exit 2, one line naming the file and the reason,
        files intact; then --resume ends identical to the uninterrupted run."""
        step = check_intact(self, out)
        self.assertIsNotNone(step, "the write failed before the first checkpoint: nothing kept")
        self.assertFalse(os.path.exists(os.path.join(out, "summary.json")))
        self.assertTrue(read_bytes(os.path.join(out, "metrics.jsonl")).endswith(b"\n"),
                        "metrics.jsonl ends in half a row")
        leftovers = [f for f in os.listdir(os.path.join(out, "checkpoint")) if f.endswith(".tmp")]
        self.assertEqual(leftovers, [])
        run_cli("run", cfg, "--out", out, "--quiet", "--resume")
        self.assertEqual(read_bytes(os.path.join(out, "metrics.jsonl")), full)

    def test_file_size_limit_stops_the_run_cleanly_and_resume_finishes_it(self):
        # RLIMIT_FSIZE makes every write past the limit fail (EFBIG), as a full disk does
        # (ENOSPC) — without root. metrics.jsonl outgrows the limit mid-run.
        cfg, full = self.cfg, self.full
        with scratch_dir() as d:
            limit = len(full) // 2

            def limit_file_size():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            out = os.path.join(d, "limited")
            proc = subprocess.run([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                  capture_output=True, text=True, preexec_fn=limit_file_size,
                                  timeout=120)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertIn("metrics.jsonl", lines[0])
            self.assertIn("File too large", lines[0])
            self.assertIn("--resume", lines[0])
            self.assertLessEqual(os.path.getsize(os.path.join(out, "metrics.jsonl")), limit)
            self._resume_after_write_failure(out, cfg, full)

    @unittest.skipUnless(os.geteuid() == 0, "mounting a small tmpfs needs root")
    def test_full_disk_stops_the_run_cleanly_and_resume_finishes_it(self):
        # A real ENOSPC: the run writes into a 512 KiB tmpfs that fills up mid-run (a checkpoint
        # or a metrics row fails, whichever comes first).
        cfg, full = self.cfg, self.full
        with scratch_dir() as d:
            disk = os.path.join(d, "disk")
            os.mkdir(disk)
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", disk],
                              capture_output=True).returncode != 0:
                self.skipTest("mount -t tmpfs is not permitted here")
            try:
                # Leave 10 pages: config.json, two 3-page tensor files and state.json while a
                # checkpoint replaces the last one, and about 2 pages of the ~5 of metrics.
                filler = os.path.join(disk, "filler")
                with open(filler, "wb") as f:
                    f.write(b"\0" * (512 * 1024 - 10 * 4096))
                out = os.path.join(disk, "run")
                proc = subprocess.run([NATIVE_CLI, "run", cfg, "--out", out, "--quiet"],
                                      capture_output=True, text=True, timeout=120)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                lines = proc.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, proc.stderr)
                self.assertIn("No space left on device", lines[0])
                self.assertIn("--resume", lines[0])
                print(f"\n  {lines[0]}")
                os.remove(filler)  # space freed: the run can go on
                self._resume_after_write_failure(out, cfg, full)
            finally:
                subprocess.run(["umount", disk], capture_output=True)


if __name__ == "__main__":
    unittest.main()
