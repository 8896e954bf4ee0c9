"""`gradlab sweep --on slurm|parallel`, --status, --resume and --merge end to end (docs/cluster.md).

A 20-point quadratic_gd sweep (each point a fraction of a second) goes to a one-node Slurm cluster
that the test starts on loopback (tools/local-slurm.sh, its own state folder and ports) and stops
again; two array tasks are cancelled with scancel while they run. The same sweep goes to GNU
parallel, and one of its shard processes is killed with SIGKILL. Each time --status must name the
unfinished points, --resume must finish them without recomputing a finished one, and the merged
sweep.jsonl must equal a `--on local` run's, point for point (every metric bit-identical; only the
times and the thread count differ), and load with pandas.read_json(lines=True).
"""
import json
import os
import re
import signal
import subprocess
import time
import unittest

from support import NATIVE_CLI, ROOT, read_jsonl, run_cli, scratch_dir

SLURM_STATE = os.path.join(ROOT, "build", "slurm-test")
SLURM_PORT = "16837"  # away from `./lab slurm up` (16817), so both can run at once
SLURM_ENV = dict(os.environ, SLURM_CONF=os.path.join(SLURM_STATE, "slurm.conf"),
                 GRADLAB_SLURM_PORT=SLURM_PORT)

CONFIG = {
    "kind": "quadratic_gd",
    "seed": 0,
    "quadratic": {"eigenvalues": [1.0, 3.0], "x0": [1.5, 1.0]},
    "optim": {"type": "gd", "lr": 0.1},
    # 150k steps: long enough to cancel a task mid-point; metrics every 1500 steps, no times.
    "train": {"steps": 150000, "log_every": 1500, "log_time": False},
    "sweep": {"optim.lr": [0.05, 0.1, 0.2, 0.3, 0.4], "quadratic.x0": [[1.5, 1.0], [0.5, -2.0],
                                                                        [3.0, 0.1], [-1.0, 1.0]]},
}
N_POINTS = 20
TIMES = ("wall_time_s", "run", "threads")  # may differ between engines; everything else may not


def cli(*args, env=None, check=True, timeout=120):
    proc = subprocess.run([NATIVE_CLI, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"gradlab {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def status_lines(out_dir, env=None):
    """{point id: (state, detail)} from `gradlab sweep --status`."""
    text = cli("sweep", "--status", out_dir, env=env).stdout
    states = {}
    for line in text.splitlines()[1:]:
        parts = line.split(None, 2)
        states[parts[1]] = (parts[0], parts[2] if len(parts) > 2 else "")
    return states


def run_infos(out_dir):
    infos = {}
    runs = os.path.join(out_dir, "runs")
    if not os.path.isdir(runs):
        return infos
    for name in sorted(os.listdir(runs)):
        path = os.path.join(runs, name, "run_info.json")
        if os.path.exists(path):
            infos[name] = json.load(open(path))
    return infos


def rows_written(out_dir, name):
    try:
        with open(os.path.join(out_dir, "runs", name, "metrics.jsonl"), "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def folder(point_id):
    """The run folder name of a point id (safe_id in src/cli/commands.cpp)."""
    return re.sub(r"[^A-Za-z0-9._=-]", "_", point_id)


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class SweepEnginesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = scratch_dir("gradlab sweep ")  # a space in every path: quoting is tested too
        cls.dir = cls.tmp.name
        cls.config = os.path.join(cls.dir, "quad sweep.json")
        with open(cls.config, "w", encoding="utf-8") as f:
            json.dump(CONFIG, f)
        cls.local = os.path.join(cls.dir, "local")
        run_cli("sweep", cls.config, "--out", cls.local, "--on", "local", "--quiet",
                "--threads", "1")
        cls.local_rows = read_jsonl(os.path.join(cls.local, "sweep.jsonl"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assert_equals_local(self, out_dir):
        rows = read_jsonl(os.path.join(out_dir, "sweep.jsonl"))
        self.assertEqual(len(rows), N_POINTS)
        self.assertEqual([r["id"] for r in rows], [r["id"] for r in self.local_rows])
        for got, want in zip(rows, self.local_rows):
            strip = lambda r: {k: v for k, v in r.items() if k not in TIMES}
            self.assertEqual(strip(got), strip(want), got["id"])
            self.assertEqual(got["status"], "completed")
            for key in ("config_hash", "seed", "build_id", "binary_hash", "host", "start_time",
                        "end_time", "exit_status"):
                self.assertIn(key, got["run"], got["id"])
            self.assertEqual(got["run"]["config_hash"], want["run"]["config_hash"])
        for name in os.listdir(os.path.join(self.local, "runs")):
            with open(os.path.join(self.local, "runs", name, "metrics.jsonl"), "rb") as f:
                want = f.read()
            with open(os.path.join(out_dir, "runs", name, "metrics.jsonl"), "rb") as f:
                self.assertEqual(f.read(), want, f"{name}: metrics.jsonl differs from --on local")
        import pandas  # python3-pandas (./lab setup)
        frame = pandas.read_json(os.path.join(out_dir, "sweep.jsonl"), lines=True)
        self.assertEqual(len(frame), N_POINTS)
        self.assertIn("final_loss", frame.columns)

    def assert_resume_completes(self, out_dir, env, interrupted):
        """--status names the interrupted points; --resume finishes only them."""
        states = status_lines(out_dir, env)
        self.assertEqual(len(states), N_POINTS)
        unfinished = {p for p, (s, _) in states.items() if s != "done"}
        self.assertTrue(interrupted <= unfinished, (interrupted, states))
        self.assertTrue(all(states[p][0] in ("failed", "missing") for p in unfinished), states)
        done_before = {name: info for name, info in run_infos(out_dir).items()
                       if info.get("status") == "completed"}
        self.assertEqual(len(done_before), N_POINTS - len(unfinished))
        cli("sweep", "--resume", out_dir, "--quiet", env=env)
        states = status_lines(out_dir, env)
        self.assertEqual({s for s, _ in states.values()}, {"done"}, states)
        after = run_infos(out_dir)
        for name, info in done_before.items():  # never recomputed: the same run record
            self.assertEqual(after[name], info, name)
        self.assert_equals_local(out_dir)
        # A merge refuses a point run with another config than the sweep's.
        some = sorted(after)[0]
        info_path = os.path.join(out_dir, "runs", some, "run_info.json")
        info = after[some]
        info["config_hash"] = "0" * 16
        with open(info_path, "w") as f:
            json.dump(info, f)
        proc = cli("sweep", "--merge", out_dir, env=env, check=False)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("another config", proc.stderr)
        cli("sweep", "--merge", out_dir, "--allow-mixed", env=env)
        # ... and points of different builds.
        info["config_hash"] = after[some]["config_hash"] = json.load(
            open(os.path.join(self.local, "runs", some, "run_info.json")))["config_hash"]
        info["binary_hash"] = "f" * 16
        with open(info_path, "w") as f:
            json.dump(info, f)
        proc = cli("sweep", "--merge", out_dir, env=env, check=False)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("different builds", proc.stderr)

    def test_run_records_run_info(self):
        with scratch_dir() as d:
            out = os.path.join(d, "one run")
            cli("run", self.config, "--set", "sweep=null", "--set", "train.steps=3000", "--out",
                out, "--quiet")
            info = json.load(open(os.path.join(out, "run_info.json")))
            self.assertEqual((info["status"], info["exit_status"], info["seed"]), ("completed", 0, 0))
            for key in ("config_hash", "build_id", "binary_hash", "host", "start_time", "end_time"):
                self.assertTrue(info[key], key)
            self.assertLessEqual(info["start_time"], info["end_time"])
            # A run that fails (here: resumed with another config) records its error line.
            proc = cli("run", self.config, "--set", "sweep=null", "--set", "train.steps=4000",
                       "--out", out, "--resume", check=False)
            self.assertEqual(proc.returncode, 2)
            info = json.load(open(os.path.join(out, "run_info.json")))
            self.assertEqual((info["status"], info["exit_status"], info["attempt"]), ("error", 2, 2))
            self.assertIn("config", info["error"])

    def test_slurm_job_array_scancel_status_resume(self):
        up = subprocess.run(["bash", os.path.join(ROOT, "tools", "local-slurm.sh"), "up", SLURM_STATE],
                            capture_output=True, text=True, env=SLURM_ENV, timeout=90)
        self.assertEqual(up.returncode, 0, f"local Slurm did not start:\n{up.stdout}{up.stderr}")
        try:
            out = os.path.join(self.dir, "on slurm")
            proc = cli("sweep", self.config, "--out", out, "--on", "slurm", "--shards", "4",
                       "--no-wait", env=SLURM_ENV)
            job = proc.stdout.split()[-1]
            with open(os.path.join(out, "slurm", "sweep.sbatch")) as f:
                script = f.read()
            self.assertIn("#SBATCH --array=1-4", script)
            self.assertIn('--shard "$SLURM_ARRAY_TASK_ID/4"', script)

            # Cancel two array tasks while each is inside a point (3 to 60 of its 100 metrics
            # rows written) with at least two more points to go, so that the cancel finds work
            # left even if that point ends before the signal lands.
            def started_tasks():
                infos = run_infos(out)
                done = lambda t: sum(i.get("slurm_array_task") == t and i["status"] == "completed"
                                     for i in infos.values())
                tasks = {i.get("slurm_array_task") for n, i in infos.items()
                         if "end_time" not in i and 3 <= rows_written(out, n) <= 60}
                return sorted(t for t in tasks if t and done(t) <= 2)

            cancelled = []

            def two_tasks():
                cancelled[:] = started_tasks()[:2]
                return len(cancelled) == 2

            wait_until(two_tasks, 60, "two array tasks inside a point")
            subprocess.run(["scancel", *cancelled], check=True, env=SLURM_ENV)
            wait_until(lambda: not subprocess.run(
                ["squeue", "-h", "-r", "-j", job, "-o", "%i"], capture_output=True, text=True,
                env=SLURM_ENV).stdout.strip(), 60, f"Slurm job {job} to end")

            # Shard t of 4 holds the points p with p % 4 == t - 1 (round robin, --shard).
            with open(os.path.join(out, "slurm", "points-1.txt")) as f:
                order = f.read().split()
            states = status_lines(out, SLURM_ENV)
            unfinished = {p for p, (s, _) in states.items() if s != "done"}
            interrupted = set()
            for task in cancelled:
                t = int(task.split("_")[1])
                left = {p for k, p in enumerate(order) if k % 4 == t - 1 and p in unfinished}
                self.assertTrue(left, f"task {task} was cancelled but finished its points: {states}")
                interrupted |= left
            self.assertEqual(unfinished, interrupted, states)  # the other two finished theirs
            failed = {p: d for p, (s, d) in states.items() if s == "failed"}
            self.assertTrue(failed, states)  # cancelled mid-point: stopped with a checkpoint
            for detail in failed.values():  # the run's last error line: stopped by scancel
                self.assertIn("SIGTERM", detail)
            self.assert_resume_completes(out, SLURM_ENV, interrupted)
        finally:
            subprocess.run(["bash", os.path.join(ROOT, "tools", "local-slurm.sh"), "down",
                            SLURM_STATE], capture_output=True, env=SLURM_ENV, timeout=60)

    def test_gnu_parallel_killed_job_status_resume(self):
        out = os.path.join(self.dir, "on parallel")
        driver = subprocess.Popen([NATIVE_CLI, "sweep", self.config, "--out", out, "--on",
                                   "parallel", "--jobs", "2", "--shards", "4", "--quiet"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            def running():
                return [(n, i) for n, i in run_infos(out).items() if "end_time" not in i]

            found = []

            def inside():
                found[:] = [(n, i) for n, i in running() if 3 <= rows_written(out, n) <= 60]
                return bool(found)

            wait_until(inside, 60, "a shard inside a point")
            name, info = found[0]
            os.kill(info["pid"], signal.SIGKILL)  # a shard process this test's driver started
            _, err = driver.communicate(timeout=120)
        finally:
            if driver.poll() is None:
                driver.kill()
        self.assertEqual(driver.returncode, 1, err)
        self.assertIn("--resume", err)
        joblog = open(os.path.join(out, "parallel", "joblog-1.tsv")).read().splitlines()[1:]
        self.assertEqual(len(joblog), 4)
        self.assertEqual(sorted(row.split("\t")[7] for row in joblog), ["0", "0", "0", "9"])
        states = status_lines(out)
        point = [p for p in states if folder(p) == name][0]
        self.assertEqual(states[point][0], "failed")
        self.assertIn("killed", states[point][1])
        self.assert_resume_completes(out, None, {point})


if __name__ == "__main__":
    unittest.main()
