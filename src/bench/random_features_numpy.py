#!/usr/bin/python3
"""NumPy reference for the random_features_sweep bench (src/bench/bench_double_descent.cpp).

Same sizes and maths as gradlab's double_descent kind: the first n Fashion-MNIST training
and the first 1,000 test images, standardized per pixel with training statistics, ReLU random
features phi(x) = sqrt(2/N) * max(0, v.x + b), v ~ N(0, I/sigma^2) with sigma = sqrt(784),
b ~ N(0, 1) (NumPy's generator, so the draws differ from gradlab's Rng), minimum-norm least
squares on one-hot targets with numpy.linalg.lstsq (LAPACK gelsd, SVD based) — or
numpy.linalg.pinv with --solver pinv — for N = n * 10^(k/10), k = -10..10. One timed pass
(data loading excluded), printed as one JSON line with the bench keys, target "numpy".

Usage: /usr/bin/python3 src/bench/random_features_numpy.py [--n 1000] [--solver lstsq|pinv]
Set OPENBLAS_NUM_THREADS=1 to compare with the single-threaded native figure.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(n_train, n_test):
    x_tr = idx(f"{FASHION}/train-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:n_train] / 255.0
    y_tr = idx(f"{FASHION}/train-labels-idx1-ubyte.gz", 8)[:n_train]
    x_te = idx(f"{FASHION}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:n_test] / 255.0
    y_te = idx(f"{FASHION}/t10k-labels-idx1-ubyte.gz", 8)[:n_test]
    mean, std = x_tr.mean(0), x_tr.std(0)
    std[std == 0] = 1.0
    return (x_tr - mean) / std, y_tr, (x_te - mean) / std, y_te


def fit(x_tr, y_tr, x_te, y_te, n_features, solver, rng):
    d = x_tr.shape[1]
    v = rng.standard_normal((n_features, d)) / np.sqrt(d)  # (N, d)
    b = rng.standard_normal(n_features)  # (N,)
    scale = np.sqrt(2.0 / n_features)
    phi = scale * np.maximum(x_tr @ v.T + b, 0.0)  # (n, N)
    y = np.eye(10)[y_tr]  # (n, 10)
    if solver == "lstsq":
        w = np.linalg.lstsq(phi, y, rcond=None)[0]  # (N, 10)
    else:
        w = np.linalg.pinv(phi) @ y
    pred = (scale * np.maximum(x_te @ v.T + b, 0.0)) @ w  # (m, 10)
    return float(np.mean(pred.argmax(1) != y_te)), float(np.linalg.norm(w))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--solver", choices=["lstsq", "pinv"], default="lstsq")
    args = ap.parse_args()
    x_tr, y_tr, x_te, y_te = load(args.n, args.n_test)
    grid = [round(args.n * 10 ** (k / 10)) for k in range(-10, 11)]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    errors = [fit(x_tr, y_tr, x_te, y_te, big_n, args.solver, rng) for big_n in grid]
    total_ms = (time.perf_counter() - start) * 1e3
    peak = max(range(len(grid)), key=lambda i: errors[i][0])
    print(json.dumps({
        "bench": "random_features_sweep", "target": "numpy", "impl": f"numpy.linalg.{args.solver}",
        "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "n": args.n,
        "n_test": args.n_test, "points": len(grid), "max_n_features": grid[-1],
        "samples": 1, "median_ms": round(total_ms, 1), "peak_n_features": grid[peak],
        "peak_test_error": errors[peak][0],
        "test_error_at_max_n_features": errors[-1][0]}))


if __name__ == "__main__":
    main()
