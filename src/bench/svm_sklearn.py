"""scikit-learn's SVC (libsvm) on the data of the svm_solve benchmark (src/bench/bench_svm.cpp):
5,000 Fashion-MNIST training examples of classes 5 and 7 (the first ones in file order, as
gradlab's loader picks them with its default subset), pixels / 255, C = 1, tol = 1e-3, linear
and rbf (γ = 0.01). Prints one JSON line per kernel with the benchmark's keys and peer "sklearn";
the time is the median of 3 fits (wall clock), data loading excluded.
Run: /usr/bin/python3 src/bench/svm_sklearn.py [--quick]
"""
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
from sklearn.svm import SVC

ROOT = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    for path in (os.path.join(ROOT, name), os.path.join(ROOT, name + ".gz")):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise FileNotFoundError(os.path.join(ROOT, name))


def main():
    n = 1000 if "--quick" in sys.argv else 5000
    x = read_idx("train-images-idx3-ubyte").reshape(-1, 784).astype(np.float64) / 255.0
    labels = read_idx("train-labels-idx1-ubyte")
    keep = np.flatnonzero((labels == 5) | (labels == 7))[:n]
    x, y = x[keep], np.where(labels[keep] == 7, 1, -1)
    for kernel in ("linear", "rbf"):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            svc = SVC(kernel=kernel, C=1.0, gamma=0.01, tol=1e-3, cache_size=256).fit(x, y)
            times.append(time.perf_counter() - t0)
        print(json.dumps({"bench": "svm_solve", "target": "native", "peer": "sklearn",
                          "n": int(len(y)), "d": 784, "kernel": kernel, "C": 1.0, "tol": 1e-3,
                          "n_sv": int(len(svc.support_)),
                          "median_ms": round(1000 * statistics.median(times), 3)}), flush=True)


if __name__ == "__main__":
    main()
