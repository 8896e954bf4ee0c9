"""Shared helpers for the Python oracle tests (tests/python/test_*.py).

An oracle test runs gradlab's native CLI (or reads what it wrote) and checks the numbers against
PyTorch / scikit-learn with an explicit tolerance. ./lab test builds the CLI first and sets
GRADLAB_ROOT and GRADLAB_NATIVE_CLI; run by hand, the defaults point at this checkout.
"""
import json
import os
import subprocess
import tempfile

ROOT = os.environ.get(
    "GRADLAB_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NATIVE_CLI = os.environ.get("GRADLAB_NATIVE_CLI", os.path.join(ROOT, "build", "native", "gradlab"))


def run_cli(*args, check=True, timeout=600):
    """Runs `gradlab ARGS...`; returns the CompletedProcess (text stdout/stderr).

    With check=True a non-zero exit raises AssertionError carrying the command and its stderr, so
    the test report shows why the CLI failed.
    """
    if not os.access(NATIVE_CLI, os.X_OK):
        raise AssertionError(f"{NATIVE_CLI} is not built: run ./lab build")
    cmd = [NATIVE_CLI, *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\nstderr:\n{proc.stderr}")
    return proc


def read_jsonl(path):
    """The rows of a JSON-lines file (metrics.jsonl, sweep.jsonl, bench output) as dicts."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def scratch_dir(prefix="gradlab-oracle-"):
    """A fresh temporary directory (a TemporaryDirectory: use it in a `with` block)."""
    return tempfile.TemporaryDirectory(prefix=prefix)
