#!/usr/bin/env python3
"""profile_parity.py — every example config's `--profile test` run, recorded and compared.

A refactor that must not change numbers (issue 14: the kind descriptor) is checked by running
every config under experiments/ with its `test` profile before and after, and comparing the
outputs key by key with the wall-clock keys removed:

    tests/scripts/profile_parity.py record OUT_DIR [--cli build/native/gradlab]
    tests/scripts/profile_parity.py compare BEFORE_DIR AFTER_DIR

`record` runs `gradlab sweep` for configs with a sweep block (every point) and `gradlab run`
for the others, one folder per config (`edge_of_stability.fc_tanh`). `compare` checks
metrics.jsonl row by row, summary.json, sweep.jsonl and sweep_summary.json for exact equality
(floats compared as the JSON text gradlab wrote, i.e. bit for bit) and exits 1 listing every
difference. Keys that measure time or name the build are left out: they differ run to run.
"""
import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Wall-clock and build-identity keys: the only ones allowed to differ between two runs.
VOLATILE = {"time_s", "wall_time_s", "fit_time_s", "build_id", "start_time", "end_time", "host", "blas"}


def example_configs():
    configs = [ROOT / "experiments" / "default.json"]
    configs += sorted((ROOT / "experiments").glob("*/*.json"))
    return [c for c in configs if "profiles" in json.loads(c.read_text())
            and "test" in json.loads(c.read_text())["profiles"]]


def name_of(path):
    rel = path.relative_to(ROOT / "experiments").with_suffix("")
    return ".".join(rel.parts)


def record(out, cli):
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for config in example_configs():
        has_sweep = "sweep" in json.loads(config.read_text())
        cmd = [cli, "sweep" if has_sweep else "run", str(config), "--profile", "test", "--quiet",
               "--out", str(out / name_of(config))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        print(f"{name_of(config)}: {status}", flush=True)
        if proc.returncode != 0:
            failed.append(name_of(config))
            print(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "", flush=True)
    return failed


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def read_rows(path):
    return [strip(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def compare(before, after):
    problems = []
    files = sorted(p.relative_to(before) for p in before.rglob("*")
                   if p.name in ("metrics.jsonl", "summary.json", "sweep.jsonl", "sweep_summary.json"))
    if not files:
        problems.append(f"{before}: no run outputs to compare")
    for rel in files:
        a, b = before / rel, after / rel
        if not b.exists():
            problems.append(f"{rel}: missing after")
            continue
        if rel.suffix == ".jsonl":
            ra, rb = read_rows(a), read_rows(b)
            if len(ra) != len(rb):
                problems.append(f"{rel}: {len(ra)} rows before, {len(rb)} after")
            for i, (x, y) in enumerate(zip(ra, rb)):
                if x != y:
                    keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                    problems.append(f"{rel} row {i}: keys differ: {', '.join(keys)}")
                    break
        else:
            x, y = strip(json.loads(a.read_text())), strip(json.loads(b.read_text()))
            if x != y:
                keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
                problems.append(f"{rel}: keys differ: {', '.join(keys)}")
    extra = sorted(p.relative_to(after) for p in after.rglob("*")
                   if p.name in ("metrics.jsonl", "summary.json") and not (before / p.relative_to(after)).exists())
    problems += [f"{rel}: only after" for rel in extra]
    print(f"compared {len(files)} files: {len(problems)} differences")
    for p in problems:
        print("  " + p)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=pathlib.Path)
    rec.add_argument("--cli", default=str(ROOT / "build" / "native" / "gradlab"))
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=pathlib.Path)
    cmp.add_argument("after", type=pathlib.Path)
    args = parser.parse_args()
    if args.command == "record":
        sys.exit(1 if record(args.out, args.cli) else 0)
    sys.exit(1 if compare(args.before, args.after) else 0)


if __name__ == "__main__":
    main()
