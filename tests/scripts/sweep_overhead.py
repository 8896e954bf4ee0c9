#!/usr/bin/python3
"""What handing a sweep to Slurm or GNU parallel costs: the wall time of 100 short points (a
quadratic_gd run each) with `gradlab sweep --on local`, `--on parallel` and `--on slurm` (on the
one-node loopback cluster of tools/local-slurm.sh, started and stopped here), as JSON lines like
`gradlab bench`. Not a test: the figure goes to docs/cluster.md.

  tests/scripts/sweep_overhead.py [--points 100] [--steps 60000] [--shards 16]

Slurm runs twice: with its default shard count (one per CPU of the partition, at most 16) and
with --shards 16.

Each engine gets the whole machine (every core); local runs the points one after another, the
engines run one shard per core at a time, so on a machine with several cores the engines may well
beat local. ratio = engine wall / local wall.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("GRADLAB_NATIVE_CLI", os.path.join(ROOT, "build", "native", "gradlab"))
STATE = os.path.join(ROOT, "build", "slurm-bench")
ENV = dict(os.environ, SLURM_CONF=os.path.join(STATE, "slurm.conf"), GRADLAB_SLURM_PORT="16847")


def timed(args):
    t0 = time.perf_counter()
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"gradlab {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--steps", type=int, default=60000)
    ap.add_argument("--shards", type=int, default=16)
    a = ap.parse_args()
    lrs = [round(0.01 + 0.005 * i, 4) for i in range(a.points)]
    config = {"kind": "quadratic_gd", "seed": 0,
              "quadratic": {"eigenvalues": [1.0, 3.0], "x0": [1.5, 1.0]},
              "optim": {"type": "gd", "lr": 0.1},
              "train": {"steps": a.steps, "log_every": 1000, "log_time": False},
              "sweep": {"optim.lr": lrs}}
    up = subprocess.run(["bash", os.path.join(ROOT, "tools", "local-slurm.sh"), "up", STATE],
                        capture_output=True, text=True, env=ENV)
    if up.returncode != 0:
        sys.exit(f"local Slurm did not start:\n{up.stdout}{up.stderr}")
    try:
        with tempfile.TemporaryDirectory(prefix="gradlab-overhead-") as d:
            path = os.path.join(d, "sweep.json")
            with open(path, "w") as f:
                json.dump(config, f)
            base = timed(["sweep", path, "--out", os.path.join(d, "local"), "--quiet"])
            common = {"bench": "sweep_overhead", "points": a.points, "steps": a.steps,
                      "cores": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 1)}
            print(json.dumps(dict(common, engine="local", wall_s=round(base, 3), ratio=1.0)))
            runs = (("parallel", []), ("slurm", []), ("slurm", ["--shards", str(a.shards)]))
            for k, (engine, extra) in enumerate(runs):
                out = os.path.join(d, f"{engine}-{k}")
                wall = timed(["sweep", path, "--out", out, "--on", engine, "--quiet", *extra])
                with open(os.path.join(out, "slurm", "jobs.jsonl") if engine == "slurm" else path) as f:
                    shards = json.loads(f.readline())["shards"] if engine == "slurm" else None
                rows = [json.loads(l) for l in open(os.path.join(out, "sweep.jsonl"))]
                assert len(rows) == a.points, (engine, len(rows))
                print(json.dumps(dict(common, engine=engine, shards=shards, wall_s=round(wall, 3),
                                      ratio=round(wall / base, 3),
                                      load_avg_1min=round(os.getloadavg()[0], 1))), flush=True)
    finally:
        subprocess.run(["bash", os.path.join(ROOT, "tools", "local-slurm.sh"), "down", STATE],
                       capture_output=True, env=ENV)


if __name__ == "__main__":
    main()
